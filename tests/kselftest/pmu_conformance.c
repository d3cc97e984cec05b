// SPDX-License-Identifier: GPL-2.0-only
/*
 * pmu_conformance: a guest issues reproducible random sequences of PMU
 * system register accesses, from EL1 and from EL0 with PMUSERENR_EL0
 * varied, and compares every outcome (done, UNDEFINED, trapped to EL1 with
 * its syndrome) and every value read with the reference model in
 * tests/model/pmu_access_model.h, which it runs alongside.
 *
 *   pmu_conformance MODE [-n ACCESSES] [-s SEED] [-v VMS] [-c VCPUS] [-m] [-a] [-l] [-H N]
 *
 * MODE says what the VMs must be, checked after each has run: stock (no
 * module, or module VMs in stock mode), partitioned (default_mode=
 * partitioned: fgt, fgt=off or fast_path=0, as loaded), fixed
 * (default_mode=fixed). Stock VMs may show the stock KVM quirks the model
 * knows (pmu_access_quirk), partitioned VMs only the module's one
 * (PARTITION_EL0_REFUSAL_BEFORE_RANGE), fixed VMs that and the late flag of
 * a perf-backed counter (OVERFLOW_FLAG_LATE); each one seen is reported,
 * with how often. Any other departure from the architecture fails.
 *
 * Each of VMS VMs (default 4) runs ACCESSES / VMS accesses (default
 * 100,000 in all) from seed SEED + i. With -c, each VM has VCPUS vCPUs
 * (default 1, at most 8), running at once on threads of their own, each
 * with its own PMU and model: vCPU j of VM i runs ACCESSES / VMS / VCPUS
 * accesses from seed SEED + i * VCPUS + j, so one VM's vCPUs load and put
 * their PMUs on different CPUs at the same time. The last VM of a stock or
 * partitioned run (every VM with -l) has PMCR_EL0.N lowered by the VMM to
 * 1 (KVM_SET_ONE_REG; the guest must read 1), so the out-of-range rules
 * are also checked against an N that is not the host's. On the first divergence the test prints the seed, the accesses
 * before it (the last 48, or N with -H; the sequence is a function of the
 * seed alone),
 * what the model allowed and what the guest saw, and fails.
 *
 * With -a the VMM chooses the mode with the module's vCPU attribute
 * (KVM_PMU_PARTITION_ATTR_PARTITIONED or _FIXED_COUNTERS_ONLY) instead of
 * relying on default_mode, so that VMs of every mode can run at once.
 *
 * With -m a host thread moves the vCPU's thread to the next online CPU
 * every millisecond, so the guest's PMU state is put on one CPU and loaded
 * on another (of another PMU type on the split-PMU rig) between accesses;
 * a move counts when /proc says the thread last ran on another CPU, and a
 * vCPU that runs 10^4 accesses or more without one fails the run.
 *
 * Host kinds: whatever the rig booted (the plans run it on -cpu max with
 * FEAT_FGT, -cpu neoverse-n1 without it, and with EL3); the model takes
 * N, PMUVer, EL3, AArch32 and FGT from the guest's own ID registers.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pmu_test.h"

#include "pmu_access_model.h"

#define DEFAULT_ACCESSES	100000
#define DEFAULT_VMS		4
#define MAX_VCPUS		8	/* per VM (-c) */
#define HISTORY			48	/* accesses printed before a divergence (-H) */
#define READ_MARKER		0x5a5a5a5a5a5a5a5aULL

/* ------------------------------------------------ register accessors */

/*
 * One 16-byte stub per register and direction, in enum
 * pmu_access_register order: MRS x0 or MSR x0, then (EL1 table) ISB; RET
 * or (EL0 table) ISB; SVC #0. The generic S3_<op1>_C<n>_C<m>_<op2>
 * names let the assembler emit every encoding, including the MSR of a
 * read-only register and the MRS of PMSWINC_EL0.
 */
#define STUB_SIZE	16
#define STUB(op1, crn, crm, op2, tail)					\
	".balign 16\n"							\
	"mrs x0, S3_" #op1 "_C" #crn "_C" #crm "_" #op2 "\n"		\
	"isb\n" tail "\n"						\
	".balign 16\n"							\
	"msr S3_" #op1 "_C" #crn "_C" #crm "_" #op2 ", x0\n"		\
	"isb\n" tail "\n"

#define EIGHT(crm, tail)						\
	STUB(3, 14, crm, 0, tail) STUB(3, 14, crm, 1, tail)		\
	STUB(3, 14, crm, 2, tail) STUB(3, 14, crm, 3, tail)		\
	STUB(3, 14, crm, 4, tail) STUB(3, 14, crm, 5, tail)		\
	STUB(3, 14, crm, 6, tail) STUB(3, 14, crm, 7, tail)
#define SEVEN(crm, tail)						\
	STUB(3, 14, crm, 0, tail) STUB(3, 14, crm, 1, tail)		\
	STUB(3, 14, crm, 2, tail) STUB(3, 14, crm, 3, tail)		\
	STUB(3, 14, crm, 4, tail) STUB(3, 14, crm, 5, tail)		\
	STUB(3, 14, crm, 6, tail)

#define STUB_TABLE(tail)						\
	STUB(3, 9, 12, 0, tail)		/* PMCR_EL0 */			\
	STUB(3, 9, 12, 1, tail)		/* PMCNTENSET_EL0 */		\
	STUB(3, 9, 12, 2, tail)		/* PMCNTENCLR_EL0 */		\
	STUB(3, 9, 14, 3, tail)		/* PMOVSSET_EL0 */		\
	STUB(3, 9, 12, 3, tail)		/* PMOVSCLR_EL0 */		\
	STUB(0, 9, 14, 1, tail)		/* PMINTENSET_EL1 */		\
	STUB(0, 9, 14, 2, tail)		/* PMINTENCLR_EL1 */		\
	STUB(3, 9, 12, 4, tail)		/* PMSWINC_EL0 */		\
	STUB(3, 9, 12, 5, tail)		/* PMSELR_EL0 */		\
	STUB(3, 9, 12, 6, tail)		/* PMCEID0_EL0 */		\
	STUB(3, 9, 12, 7, tail)		/* PMCEID1_EL0 */		\
	STUB(3, 9, 13, 0, tail)		/* PMCCNTR_EL0 */		\
	STUB(3, 9, 13, 1, tail)		/* PMXEVTYPER_EL0 */		\
	STUB(3, 9, 13, 2, tail)		/* PMXEVCNTR_EL0 */		\
	STUB(3, 9, 14, 0, tail)		/* PMUSERENR_EL0 */		\
	STUB(3, 14, 15, 7, tail)	/* PMCCFILTR_EL0 */		\
	STUB(0, 9, 14, 6, tail)		/* PMMIR_EL1 */			\
	EIGHT(8, tail) EIGHT(9, tail) EIGHT(10, tail) SEVEN(11, tail)	\
	EIGHT(12, tail) EIGHT(13, tail) EIGHT(14, tail) SEVEN(15, tail)

asm(".pushsection .text\n"
    ".balign 4096\n"
    ".global el1_stubs\n"
    "el1_stubs:\n"
    STUB_TABLE("ret")
    ".global el1_stubs_end\n"
    "el1_stubs_end:\n"
    ".balign 4096\n"
    ".global el0_stubs\n"
    "el0_stubs:\n"
    STUB_TABLE("svc #0")
    ".global el0_stubs_end\n"
    "el0_stubs_end:\n"
    /*
     * el0_call(stub, x0): ERET to @stub at EL0 (interrupts masked) with
     * x0; el0_exception() brings any exception from it back to
     * el0_return at EL1 with the same SP_EL1, x0 being the stub's.
     */
    ".balign 16\n"
    ".global el0_call\n"
    "el0_call:\n"
    "	stp x29, x30, [sp, #-16]!\n"
    "	msr elr_el1, x0\n"
    "	mov x2, #0x3c0\n"
    "	msr spsr_el1, x2\n"
    "	mov x0, x1\n"
    "	eret\n"
    ".global el0_return\n"
    "el0_return:\n"
    "	ldp x29, x30, [sp], #16\n"
    "	ret\n"
    ".popsection\n");

extern char el1_stubs[], el1_stubs_end[], el0_stubs[], el0_stubs_end[];
extern char el0_return[];
uint64_t el0_call(uint64_t stub, uint64_t x0);

/* ------------------------------------------------------ guest state */

/* Set by the host before the guest runs; vCPU j runs seed guest_seed + j. */
static uint64_t guest_seed, guest_accesses, guest_el0_stubs;
static unsigned int guest_quirks, guest_hardware_counters;
static unsigned int guest_hardware_counters_most;

/* What each vCPU's last access did, from the exception handlers. */
static volatile uint64_t fault_esr[MAX_VCPUS];
static volatile bool faulted[MAX_VCPUS];

struct conformance_report {
	uint64_t checked;
	uint64_t by_outcome[4];		/* done, UNDEFINED, trapped, ignored */
	uint64_t at_el0;
	uint64_t quirk_hits[PMU_ACCESS_QUIRK_COUNT];
	struct pmu_access_model_config config;
	bool diverged;
	uint64_t index;			/* of the diverging access */
	struct pmu_access access;
	struct pmu_access_expectation expect;
	char rule[128];
	unsigned int outcome;
	uint64_t esr;
	uint64_t value;
	char why[64];
	/* Where the model last changed each overflow flag and counter value. */
	uint64_t flag_changed_at[32];
	uint64_t count_changed_at[32];
};

static struct conformance_report report[MAX_VCPUS];

/* The calling vCPU's (TPIDR_EL1 holds its index: aarch64_vcpu_setup()). */
#define this_vcpu()	guest_get_vcpuid()
#define this_report	(report[this_vcpu()])

/* xorshift64*: the sequence depends on the seed alone. */
struct random {
	uint64_t state;
};

static uint64_t random_next(struct random *r)
{
	r->state ^= r->state >> 12;
	r->state ^= r->state << 25;
	r->state ^= r->state >> 27;
	return r->state * 0x2545f4914f6cdd1dULL;
}

static uint64_t random_below(struct random *r, uint64_t n)
{
	return random_next(r) % n;
}

static void random_init(struct random *r, uint64_t seed)
{
	r->state = seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
	if (!r->state)
		r->state = 1;
}

/* ------------------------------------------------- access generation */

static uint64_t random_filter(struct random *r)
{
	static const uint64_t bits[] = {
		PMU_MODEL_TYPE_P, PMU_MODEL_TYPE_U, PMU_MODEL_TYPE_NSK,
		PMU_MODEL_TYPE_NSU, PMU_MODEL_TYPE_NSH, PMU_MODEL_TYPE_M,
	};
	uint64_t filter = 0;
	unsigned int i;

	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (random_below(r, 2))
			filter |= bits[i];
	return filter;
}

static uint64_t random_type(struct random *r)
{
	static const uint64_t events[] = {
		PMU_ACCESS_EVENT_SW_INCR, PMU_ACCESS_EVENT_SW_INCR,
		PMU_ACCESS_EVENT_SW_INCR, PMU_ACCESS_EVENT_CHAIN,
		PMU_ACCESS_EVENT_CHAIN, 0x11 /* CPU_CYCLES */,
		0x08 /* INST_RETIRED */,
	};
	uint64_t choice = random_below(r, 10);

	if (choice == 0)
		return random_next(r);
	if (choice == 1)
		return random_filter(r) | (random_next(r) & 0xffff);
	return random_filter(r) |
	       events[random_below(r, sizeof(events) / sizeof(events[0]))];
}

static uint64_t random_counter_value(struct random *r)
{
	switch (random_below(r, 5)) {
	case 0:
		return 0xffffffffULL - random_below(r, 3);
	case 1:
		return ~0ULL - random_below(r, 3);
	case 2:
		return 0x7fffffffffffffffULL - random_below(r, 3);
	case 3:
		return random_below(r, 16);
	}
	return random_next(r);
}

static uint64_t random_mask(struct random *r)
{
	switch (random_below(r, 6)) {
	case 0:
		return ~0ULL;
	case 1:
		return BIT_ULL(random_below(r, 32));
	case 2:
		return random_next(r);
	}
	return random_next(r) & (0x3fULL | BIT_ULL(31));
}

static uint64_t random_pmcr(struct random *r)
{
	uint64_t value = 0;

	if (random_below(r, 8) == 0)
		return random_next(r);
	if (random_below(r, 2))
		value |= PMU_MODEL_PMCR_E;
	if (random_below(r, 5) == 0)
		value |= PMU_MODEL_PMCR_P;
	if (random_below(r, 5) == 0)
		value |= PMU_MODEL_PMCR_C;
	if (random_below(r, 2))
		value |= PMU_MODEL_PMCR_LP;
	if (random_below(r, 2))
		value |= PMU_MODEL_PMCR_LC;
	if (random_below(r, 4) == 0)
		value |= PMU_MODEL_PMCR_D | PMU_MODEL_PMCR_X | PMU_MODEL_PMCR_DP;
	return value;
}

/* The written value for @reg; reads carry a marker a NOP read leaves. */
static uint64_t random_value(struct random *r, unsigned int reg)
{
	switch (reg) {
	case PMU_ACCESS_PMCR:
		return random_pmcr(r);
	case PMU_ACCESS_PMSELR:
		return random_below(r, 8) ? random_below(r, 32) : random_next(r);
	case PMU_ACCESS_PMUSERENR:
		return random_below(r, 8) ? random_below(r, 16) : random_next(r);
	case PMU_ACCESS_PMCCNTR:
	case PMU_ACCESS_PMXEVCNTR:
		return random_counter_value(r);
	case PMU_ACCESS_PMCCFILTR:
		return random_below(r, 8) ? random_filter(r) : random_next(r);
	case PMU_ACCESS_PMXEVTYPER:
		return random_type(r);
	}
	if (reg >= PMU_ACCESS_PMEVTYPER0)
		return random_type(r);
	if (reg >= PMU_ACCESS_PMEVCNTR0)
		return random_counter_value(r);
	return random_mask(r);
}

/*
 * The next access of the sequence: a register (the counter-numbered ones
 * mostly below 8, so that they are often in range), EL0 one time in
 * three, read or write, a value.
 */
static void random_access(struct random *r, struct pmu_access *access)
{
	uint64_t pick = random_below(r, 40);

	if (pick < PMU_ACCESS_PMEVCNTR0)
		access->reg = pick;
	else if (pick < 31)
		access->reg = PMU_ACCESS_PMEVCNTR0 + random_below(r, 31 - 23 * (pick & 1));
	else
		access->reg = PMU_ACCESS_PMEVTYPER0 + random_below(r, 31 - 23 * (pick & 1));
	access->el0 = random_below(r, 3) == 0;
	access->write = random_below(r, 2);
	access->value = access->write ? random_value(r, access->reg) : READ_MARKER;
	/* Writes of PMSWINC_EL0 are the ones that count: more of them. */
	if (access->reg == PMU_ACCESS_PMSWINC && random_below(r, 4)) {
		access->write = true;
		access->value = random_mask(r);
	}
}

/* ------------------------------------------------------ guest side */

static void el1_exception(struct ex_regs *regs)
{
	uint64_t stubs = (uint64_t)el1_stubs;

	__GUEST_ASSERT(regs->pc >= stubs && regs->pc < (uint64_t)el1_stubs_end,
		       "exception outside the stubs: PC 0x%lx ESR 0x%lx FAR 0x%lx",
		       regs->pc, read_sysreg(esr_el1), read_sysreg(far_el1));
	fault_esr[this_vcpu()] = read_sysreg(esr_el1);
	faulted[this_vcpu()] = true;
	regs->pc = regs->regs[30];
}

static void el0_exception(struct ex_regs *regs)
{
	uint64_t esr = read_sysreg(esr_el1);

	faulted[this_vcpu()] = (esr >> ESR_EC_SHIFT & ESR_EC_MASK) != ESR_EC_SVC64;
	fault_esr[this_vcpu()] = esr;
	regs->pc = (uint64_t)el0_return;
	regs->pstate = 0x3c5;	/* EL1h, DAIF masked */
}

static const char *const outcome_names[] = {
	"done", "UNDEFINED", "trapped to EL1", "RAZ/WI or NOP",
};

static unsigned int outcome_index(unsigned int outcome)
{
	return outcome == PMU_ACCESS_DONE ? 0 :
	       outcome == PMU_ACCESS_UNDEFINED ? 1 :
	       outcome == PMU_ACCESS_TRAPPED ? 2 : 3;
}

static void copy_string(char *to, const char *from, unsigned int size)
{
	unsigned int i;

	for (i = 0; i + 1 < size && from[i]; i++)
		to[i] = from[i];
	to[i] = 0;
}

/* The EC 0x18 syndrome the access must carry (ISS, D24.2.x ESR_EL1). */
static uint64_t expected_trap_iss(unsigned int reg, bool write)
{
	uint32_t insn = *(uint32_t *)(el1_stubs + (reg * 2 + write) * STUB_SIZE);
	uint64_t op0 = (insn >> 19) & 3, op1 = (insn >> 16) & 7;
	uint64_t crn = (insn >> 12) & 0xf, crm = (insn >> 8) & 0xf;
	uint64_t op2 = (insn >> 5) & 7;

	return op0 << 20 | op2 << 17 | op1 << 14 | crn << 10 | crm << 1 |
	       (write ? 0 : 1);
}

/*
 * Performs @access; returns its outcome (0 for an exception the model
 * has no name for) and the value read.
 */
static unsigned int perform(const struct pmu_access *access, uint64_t *value,
			    uint64_t *esr)
{
	unsigned int slot = (access->reg * 2 + access->write) * STUB_SIZE;
	unsigned int vcpu = this_vcpu();
	uint64_t ec;

	faulted[vcpu] = false;
	fault_esr[vcpu] = 0;
	if (access->el0) {
		*value = el0_call(guest_el0_stubs + slot, access->value);
	} else {
		uint64_t (*stub)(uint64_t) = (void *)(el1_stubs + slot);

		*value = stub(access->value);
	}
	*esr = fault_esr[vcpu];
	if (!faulted[vcpu])
		return PMU_ACCESS_DONE;
	ec = *esr >> ESR_EC_SHIFT & ESR_EC_MASK;
	if (ec == ESR_EC_UNKNOWN)
		return PMU_ACCESS_UNDEFINED;
	if (ec == 0x18)
		return PMU_ACCESS_TRAPPED;
	return 0;
}

static bool diverge(uint64_t index, const struct pmu_access *access,
		    const struct pmu_access_expectation *expect,
		    unsigned int outcome, uint64_t esr, uint64_t value,
		    const char *why)
{
	this_report.diverged = true;
	this_report.index = index;
	this_report.access = *access;
	this_report.expect = *expect;
	copy_string(this_report.rule, expect->rule, sizeof(this_report.rule));
	this_report.expect.rule = NULL;
	this_report.outcome = outcome;
	this_report.esr = esr;
	this_report.value = value;
	copy_string(this_report.why, why, sizeof(this_report.why));
	return false;
}

/* Checks one access against the model and moves the model on. */
static bool check(struct pmu_access_model *model, uint64_t index,
		  const struct pmu_access *access)
{
	struct pmu_access_expectation expect;
	unsigned int outcome, quirk;
	uint64_t value, esr;

	pmu_access_model_expect(model, access, &expect);
	outcome = perform(access, &value, &esr);

	if (outcome == PMU_ACCESS_DONE && (expect.outcomes & PMU_ACCESS_IGNORED)) {
		if (!access->write && value != 0 && value != READ_MARKER)
			return diverge(index, access, &expect, outcome, esr, value,
				       "read neither 0 (RAZ) nor unchanged (NOP)");
		outcome = PMU_ACCESS_IGNORED;
	}
	if (!(expect.outcomes & outcome))
		return diverge(index, access, &expect, outcome, esr, value,
			       "outcome not allowed");
	if (outcome == PMU_ACCESS_TRAPPED &&
	    (esr & 0x1ffffff) != expected_trap_iss(access->reg, access->write))
		return diverge(index, access, &expect, outcome, esr, value,
			       "EC 0x18 syndrome names another access");
	if (outcome == PMU_ACCESS_DONE && !access->write &&
	    (value & expect.checked) != (expect.value & expect.checked))
		return diverge(index, access, &expect, outcome, esr, value,
			       "value read differs");
	if (outcome == PMU_ACCESS_DONE && !access->write && (value & expect.zero))
		return diverge(index, access, &expect, outcome, esr, value,
			       "RES0 bit set that was not written");
	if (outcome == PMU_ACCESS_DONE && !access->write &&
	    (value & expect.ones) != expect.ones)
		return diverge(index, access, &expect, outcome, esr, value,
			       "an overflow flag clear that must read set (the guest set it, or the counter's reads show a wrap)");
	if (outcome == PMU_ACCESS_DONE && !access->write && expect.at_least_within &&
	    ((value - expect.value) & expect.width) > expect.at_least_within)
		return diverge(index, access, &expect, outcome, esr, value,
			       "a counting counter went back (or jumped)");

	{
		u64 flags = model->overflows;
		u64 counts[32];
		unsigned int c;

		for (c = 0; c < 32; c++)
			counts[c] = model->count[c];
		quirk = pmu_access_model_commit(model, access, outcome, value);
		for (c = 0; c < 32; c++) {
			if ((flags ^ model->overflows) & BIT_ULL(c))
				this_report.flag_changed_at[c] = index;
			if (counts[c] != model->count[c])
				this_report.count_changed_at[c] = index;
		}
	}
	quirk |= expect.quirk;
	if (outcome == PMU_ACCESS_UNDEFINED)
		quirk |= expect.quirk_if_undefined;
	this_report.checked++;
	this_report.by_outcome[outcome_index(outcome)]++;
	this_report.at_el0 += access->el0;
	for (unsigned int q = 0; q < PMU_ACCESS_QUIRK_COUNT; q++)
		if (quirk & (1u << q))
			this_report.quirk_hits[q]++;
	return true;
}

static void guest_config(struct pmu_access_model_config *config)
{
	uint64_t dfr0 = read_sysreg(id_aa64dfr0_el1);
	uint64_t pfr0 = read_sysreg(id_aa64pfr0_el1);
	uint64_t mmfr0 = read_sysreg(id_aa64mmfr0_el1);

	config->counters = (read_sysreg(pmcr_el0) >> 11) & 0x1f;
	config->pmuver = (dfr0 >> 8) & 0xf;
	config->el2 = (pfr0 >> 8) & 0xf;
	config->el3 = (pfr0 >> 12) & 0xf;
	config->aarch32 = (pfr0 & 0xf) == 2 || ((pfr0 >> 4) & 0xf) == 2 ||
			  ((pfr0 >> 12) & 0xf) == 2;
	config->fgt = (mmfr0 >> 56) & 0xf;
	config->events = read_sysreg(pmceid0_el0) & 0xffffffffULL;
	config->quirks = guest_quirks;
	config->hardware_counters = guest_hardware_counters;
	config->hardware_counters_most = guest_hardware_counters_most;
}

static bool check_all(struct pmu_access_model *model,
		      const struct pmu_access *accesses, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++)
		if (!check(model, 0, &accesses[i]))
			return false;
	return true;
}

#define CHECK_ALL(model, accesses) \
	check_all(model, accesses, sizeof(accesses) / sizeof(accesses[0]))

/*
 * The accesses of the defects this tester found, every run, before the
 * random ones (docs/conformance.md, "What it found"): NSH and the EL3
 * fields read back from a type register; an EL0 read of PMUSERENR_EL0;
 * an EL0 access PMUSERENR_EL0 refuses as the first PMU access after the
 * vCPU was put and loaded again (an exit to user space); a cycle counter
 * filter written while the counter is disabled, which must hold once it
 * is enabled; the first counter at or above N, the host's last, and
 * counter 30, read at EL1 and EL0.
 */
static bool guest_directed(struct pmu_access_model *model)
{
	static const struct pmu_access user_enable_clear = {
		PMU_ACCESS_PMUSERENR, true, false, 0
	};
	static const struct pmu_access refused_after_load[] = {
		{ PMU_ACCESS_PMCR, false, true, READ_MARKER },
		{ PMU_ACCESS_PMCCNTR, true, true, 0 },
	};
	static const struct pmu_access filter_while_disabled[] = {
		{ PMU_ACCESS_PMCCFILTR, true, false, 0 },
		{ PMU_ACCESS_PMCR, true, false, PMU_MODEL_PMCR_E | PMU_MODEL_PMCR_LC },
		{ PMU_ACCESS_PMCNTENSET, true, false, BIT_ULL(31) },
		{ PMU_ACCESS_PMCNTENCLR, true, false, BIT_ULL(31) },
		{ PMU_ACCESS_PMCCFILTR, true, false, PMU_MODEL_TYPE_P | PMU_MODEL_TYPE_U },
		{ PMU_ACCESS_PMCNTENSET, true, false, BIT_ULL(31) },
		{ PMU_ACCESS_PMCCNTR, false, false, READ_MARKER },
		{ PMU_ACCESS_PMCEID0, false, false, READ_MARKER },
		{ PMU_ACCESS_PMCEID1, false, false, READ_MARKER },
		{ PMU_ACCESS_PMCCNTR, false, false, READ_MARKER },
		{ PMU_ACCESS_PMCNTENCLR, true, false, BIT_ULL(31) },
		{ PMU_ACCESS_PMCR, true, false, PMU_MODEL_PMCR_LC },
		{ PMU_ACCESS_PMCCFILTR, true, false, 0 },
	};

	if (!check(model, 0, &user_enable_clear))
		return false;
	GUEST_SYNC(0);		/* put and loaded again: the PMU is not yet the guest's */
	if (!CHECK_ALL(model, refused_after_load))
		return false;
	GUEST_SYNC(0);
	if (!CHECK_ALL(model, filter_while_disabled))
		return false;

	static const struct pmu_access directed[] = {
		{ PMU_ACCESS_PMCCFILTR, true, false,
		  PMU_MODEL_TYPE_P | PMU_MODEL_TYPE_NSH | PMU_MODEL_TYPE_NSK },
		{ PMU_ACCESS_PMCCFILTR, false, false, READ_MARKER },
		{ PMU_ACCESS_PMCCFILTR, true, false, 0 },
		{ PMU_ACCESS_PMUSERENR, false, true, READ_MARKER },
		{ PMU_ACCESS_PMUSERENR, true, false, PMU_ACCESS_USERENR_EN },
		{ PMU_ACCESS_PMUSERENR, false, true, READ_MARKER },
		{ PMU_ACCESS_PMUSERENR, true, false, 0 },
	};
	unsigned int beyond[] = { model->config.counters,
				  model->config.hardware_counters_most - 1, 30 };
	struct pmu_access access;
	unsigned int i;

	for (i = 0; i < sizeof(directed) / sizeof(directed[0]); i++)
		if (!check(model, 0, &directed[i]))
			return false;
	if (model->config.counters) {
		access = (struct pmu_access){ PMU_ACCESS_PMEVTYPER0, true, false,
					      PMU_MODEL_TYPE_U | PMU_MODEL_TYPE_NSH |
					      PMU_MODEL_TYPE_NSU | 0x11 };
		if (!check(model, 0, &access))
			return false;
		access.write = false;
		access.value = READ_MARKER;
		if (!check(model, 0, &access))
			return false;
		access = (struct pmu_access){ PMU_ACCESS_PMEVTYPER0, true, false, 0 };
		if (!check(model, 0, &access))
			return false;
	}
	for (i = 0; i < sizeof(beyond) / sizeof(beyond[0]); i++) {
		if (beyond[i] < model->config.counters || beyond[i] > 30)
			continue;
		access = (struct pmu_access){ PMU_ACCESS_PMEVCNTR0 + beyond[i], false,
					      false, READ_MARKER };
		if (!check(model, 0, &access))
			return false;
		access.el0 = true;
		if (!check(model, 0, &access))
			return false;
	}
	return true;
}

/* Every register written once from EL1, so nothing is UNKNOWN but counts. */
static bool guest_initialise(struct pmu_access_model *model)
{
	struct pmu_access access = { .write = true };
	unsigned int n;

	access.reg = PMU_ACCESS_PMCR;
	access.value = PMU_MODEL_PMCR_P | PMU_MODEL_PMCR_C | PMU_MODEL_PMCR_LC;
	if (!check(model, 0, &access))
		return false;
	for (access.reg = PMU_ACCESS_PMCNTENCLR; access.reg <= PMU_ACCESS_PMINTENCLR;
	     access.reg++) {
		if (access.reg == PMU_ACCESS_PMOVSSET ||
		    access.reg == PMU_ACCESS_PMINTENSET)
			continue;
		access.value = ~0ULL;
		if (!check(model, 0, &access))
			return false;
	}
	access.value = 0;
	for (access.reg = PMU_ACCESS_PMSELR; access.reg <= PMU_ACCESS_PMCCFILTR;
	     access.reg++) {
		if (access.reg == PMU_ACCESS_PMCEID0 ||
		    access.reg == PMU_ACCESS_PMCEID1 ||
		    access.reg == PMU_ACCESS_PMXEVTYPER ||
		    access.reg == PMU_ACCESS_PMXEVCNTR)
			continue;
		if (!check(model, 0, &access))
			return false;
	}
	for (n = 0; n < model->config.counters; n++) {
		access.reg = PMU_ACCESS_PMEVTYPER0 + n;
		if (!check(model, 0, &access))
			return false;
	}
	return guest_directed(model);
}

static void guest_code(void)
{
	struct pmu_access_model model;
	struct pmu_access_model_config config;
	struct pmu_access access;
	struct random r;
	uint64_t i;

	guest_config(&config);
	this_report.config = config;
	__GUEST_ASSERT(config.pmuver >= PMU_MODEL_PMUVER_V3 &&
		       config.pmuver <= PMU_MODEL_PMUVER_V3P5,
		       "PMUVer %u: the model covers PMUv3 to PMUv3p5", config.pmuver);
	pmu_access_model_init(&model, &config);
	random_init(&r, guest_seed + this_vcpu());
	if (guest_initialise(&model)) {
		for (i = 1; i <= guest_accesses; i++) {
			random_access(&r, &access);
			if (!check(&model, i, &access))
				break;
		}
	}
	GUEST_DONE();
}

/* ------------------------------------------------------- host side */


static const char *const register_names[PMU_ACCESS_PMEVCNTR0] = {
	"PMCR_EL0", "PMCNTENSET_EL0", "PMCNTENCLR_EL0", "PMOVSSET_EL0",
	"PMOVSCLR_EL0", "PMINTENSET_EL1", "PMINTENCLR_EL1", "PMSWINC_EL0",
	"PMSELR_EL0", "PMCEID0_EL0", "PMCEID1_EL0", "PMCCNTR_EL0",
	"PMXEVTYPER_EL0", "PMXEVCNTR_EL0", "PMUSERENR_EL0", "PMCCFILTR_EL0",
	"PMMIR_EL1",
};

static const char *const quirk_names[PMU_ACCESS_QUIRK_COUNT] = {
	"a refused EL0 access is UNDEFINED (EC 0x00), not trapped to EL1 (EC 0x18)",
	"PMXEVCNTR_EL0 with PMSELR_EL0.SEL = 31 reads and writes PMCCNTR_EL0",
	"PMSWINC_EL0 and CHAIN count where the counter's filter excludes the EL",
	"an EL0 access PMUSERENR_EL0 refuses, to a counter in [N, host N), traps to EL1 before the range check (UNDEFINED)",
	"on a host whose PMUs differ in N, an event counter the VM has but the CPU lacks is UNDEFINED there",
	"an overflow flag reads clear after the counter was read past its wrap (set by the host's perf interrupt, later)",
};

static void register_name(unsigned int reg, char *name, size_t size)
{
	if (reg < PMU_ACCESS_PMEVCNTR0)
		snprintf(name, size, "%s", register_names[reg]);
	else if (reg < PMU_ACCESS_PMEVTYPER0)
		snprintf(name, size, "PMEVCNTR%u_EL0", reg - PMU_ACCESS_PMEVCNTR0);
	else
		snprintf(name, size, "PMEVTYPER%u_EL0", reg - PMU_ACCESS_PMEVTYPER0);
}

static void print_access(uint64_t index, const struct pmu_access *access)
{
	char name[24];

	register_name(access->reg, name, sizeof(name));
	if (access->write)
		ksft_print_msg("  %6lu EL%d MSR %-16s <- 0x%016lx\n", index,
			       access->el0 ? 0 : 1, name, access->value);
	else
		ksft_print_msg("  %6lu EL%d MRS %s\n", index, access->el0 ? 0 : 1,
			       name);
}

static void outcomes_text(unsigned int outcomes, char *text, size_t size)
{
	size_t used = 0;
	unsigned int i;

	text[0] = 0;
	for (i = 0; i < 4; i++)
		if (outcomes & (1u << i))
			used += snprintf(text + used, size - used, "%s%s",
					 used ? " or " : "", outcome_names[i]);
	if (!used)
		snprintf(text, size, "another exception");
}

/* Replays the seed's sequence (it depends on the seed alone) up to @index. */
static uint64_t history = HISTORY;
static const char *mode_name;
static bool choose_mode, move_vcpu, lower_all;
static uint64_t vcpus_per_vm = 1;

static void print_divergence(uint64_t seed, const struct conformance_report *rep,
			     bool lower)
{
	struct pmu_access access;
	struct random r;
	char allowed[96], seen[96];
	uint64_t i;

	if (rep->index)
		ksft_print_msg("divergence at access %lu of seed %lu (rerun: pmu_conformance %s -s %lu -v 1 -n %lu%s%s%s, -H N for N accesses before it%s)\n",
			       rep->index, seed, mode_name, seed, rep->index,
			       choose_mode ? " -a" : "", move_vcpu ? " -m" : "",
			       lower ? " -l" : "",
			       vcpus_per_vm > 1 ? "; its sibling vCPUs ran at once" : "");
	else
		ksft_print_msg("divergence at the %lu-th of the initial and directed accesses (guest_initialise(), then guest_directed())\n",
			       rep->checked + 1);
	random_init(&r, seed);
	if (rep->index > history)
		ksft_print_msg("  (after initialisation and %lu earlier accesses)\n",
			       rep->index - history);
	else
		ksft_print_msg("  (after initialisation: every register written from EL1)\n");
	for (i = 1; i <= rep->index; i++) {
		random_access(&r, &access);
		if (i + history > rep->index)
			print_access(i, &access);
	}
	if (!rep->index)
		print_access(0, &rep->access);
	outcomes_text(rep->expect.outcomes, allowed, sizeof(allowed));
	outcomes_text(rep->outcome, seen, sizeof(seen));
	ksft_print_msg("  %s: model allows %s (%s)", rep->why, allowed, rep->rule);
	if (rep->expect.outcomes & PMU_ACCESS_DONE && !rep->access.write)
		printf(", value 0x%016lx in bits 0x%016lx, bits 0x%016lx clear",
		       rep->expect.value, rep->expect.checked, rep->expect.zero);
	printf("\n");
	ksft_print_msg("  guest saw %s, ESR_EL1 0x%lx, value 0x%016lx\n", seen,
		       rep->esr, rep->value);
	ksft_print_msg("  the model last changed overflow flag n / counter n at access:");
	for (i = 0; i < 32; i++)
		if (rep->flag_changed_at[i] || rep->count_changed_at[i])
			printf(" %lu:%lu/%lu", i, rep->flag_changed_at[i],
			       rep->count_changed_at[i]);
	printf("\n");
}

enum vm_mode { MODE_STOCK, MODE_PARTITIONED, MODE_FIXED };

/* -m: the thread that moves the vCPU's thread between CPUs. */
struct mover {
	pthread_t thread;
	pid_t vcpu_tid;
	volatile bool stop;
	unsigned long moves;	/* seen: the thread's CPU changed */
	long first_cpu;		/* sibling vCPUs start apart */
};

/* The CPU a thread last ran on: field 39 of /proc/self/task/TID/stat. */
static int thread_cpu(pid_t tid)
{
	char path[64], buf[1024], *p;
	int field = 2;		/* the ')' ends field 2, comm */
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p || !(p = strrchr(buf, ')')))
		return -1;
	for (; *p && field < 39; p++)
		if (*p == ' ')
			field++;
	return field == 39 ? atoi(p) : -1;
}

static void *mover_main(void *arg)
{
	struct mover *mover = arg;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int last = thread_cpu(mover->vcpu_tid), now;
	cpu_set_t set;
	long cpu = mover->first_cpu % cpus;

	while (!mover->stop) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(mover->vcpu_tid, sizeof(set), &set);
		cpu = (cpu + 1) % cpus;
		usleep(1000);
		now = thread_cpu(mover->vcpu_tid);
		if (now >= 0 && now != last)
			mover->moves++;
		last = now;
	}
	return NULL;
}

/* The mode the VM ended up in, from the module's vCPU attributes. */
static bool vm_in_mode(struct kvm_vcpu *vcpu, enum vm_mode mode)
{
	uint64_t n;
	bool partitioned = !pmu_attr(vcpu, KVM_GET_DEVICE_ATTR,
				     KVM_PMU_PARTITION_ATTR_PARTITIONED, &n);
	bool fixed = !pmu_attr(vcpu, KVM_GET_DEVICE_ATTR,
			       KVM_PMU_PARTITION_ATTR_FIXED_COUNTERS_ONLY, &n);

	switch (mode) {
	case MODE_STOCK:
		return !partitioned && !fixed;
	case MODE_PARTITIONED:
		return partitioned && !fixed;
	case MODE_FIXED:
		return fixed && !partitioned;
	}
	return false;
}

/* One vCPU's thread: runs the vCPU to its end, moved between CPUs (-m). */
struct vcpu_runner {
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	bool move;
	uint64_t cmd;		/* the last ucall */
	unsigned long moves;
};

static void *vcpu_runner_main(void *arg)
{
	struct vcpu_runner *runner = arg;
	struct mover mover = {
		.vcpu_tid = gettid(),
		.first_cpu = runner->vcpu->id,
	};
	struct ucall uc;

	if (runner->move)
		TEST_ASSERT(!pthread_create(&mover.thread, NULL, mover_main, &mover),
			    "pthread_create");
	while ((runner->cmd = run_to_ucall(runner->vcpu, &uc)) == UCALL_SYNC)
		;
	if (runner->move) {
		mover.stop = true;
		pthread_join(mover.thread, NULL);
		runner->moves = mover.moves;
	}
	return NULL;
}

/*
 * One VM of @vcpus vCPUs, vCPU j running @accesses accesses from @seed + j,
 * all at once; @lower_n makes the VMM set N = 1. Each vCPU's report goes
 * to @out[j].
 */
static bool run_vm(enum vm_mode mode, uint64_t seed, uint64_t accesses,
		   unsigned int vcpus, bool lower_n, bool move, bool choose,
		   unsigned long *moves, struct conformance_report *out)
{
	struct vcpu_runner runners[MAX_VCPUS] = {};
	struct kvm_vcpu_init init;
	cpu_set_t pinned, all;
	bool pin = mode == MODE_STOCK && !move;
	struct kvm_vm *vm;
	vm_vaddr_t stubs;
	uint64_t *pte, pmcr;
	unsigned int ec, j;
	bool ok = true;
	int gic_fd;

	/*
	 * A stock VM without -m stays on the CPU it is created on (its vCPU
	 * threads inherit the affinity), so its PMU is that CPU's: no counter
	 * of it can be beyond the CPU's (PMU_ACCESS_QUIRK_STOCK_COUNTER_BEYOND_CPU
	 * stays off below).
	 */
	if (pin) {
		sched_getaffinity(0, sizeof(all), &all);
		CPU_ZERO(&pinned);
		CPU_SET(sched_getcpu(), &pinned);
		sched_setaffinity(0, sizeof(pinned), &pinned);
	}
	vm = vm_create(vcpus);
	vm_ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init);
	init.features[0] |= 1 << KVM_ARM_VCPU_PMU_V3;
	for (j = 0; j < vcpus; j++)
		runners[j].vcpu = aarch64_vcpu_add(vm, j, &init, guest_code);
	vm_init_descriptor_tables(vm);
	for (j = 0; j < vcpus; j++)
		vcpu_init_descriptor_tables(runners[j].vcpu);
	gic_fd = vgic_v3_setup(vm, vcpus, 64);
	__TEST_REQUIRE(gic_fd >= 0, "no vGICv3 on this host");

	/* The mode is the VM's: chosen on vCPU 0, before any PMU init. */
	if (choose && mode != MODE_STOCK)
		TEST_ASSERT(!pmu_attr(runners[0].vcpu, KVM_SET_DEVICE_ATTR,
				      mode == MODE_FIXED ?
				      KVM_PMU_PARTITION_ATTR_FIXED_COUNTERS_ONLY :
				      KVM_PMU_PARTITION_ATTR_PARTITIONED, NULL),
			    "choosing the mode: %s", strerror(errno));
	for (j = 0; j < vcpus; j++) {
		struct kvm_vcpu *vcpu = runners[j].vcpu;

		if (lower_n) {
			vcpu_get_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMCR_EL0), &pmcr);
			if (FIELD_GET(ARMV8_PMU_PMCR_N, pmcr) > 1) {
				pmcr = (pmcr & ~ARMV8_PMU_PMCR_N) |
				       FIELD_PREP(ARMV8_PMU_PMCR_N, 1);
				vcpu_set_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMCR_EL0), pmcr);
			}
		}
		pmu_vcpu_init(vcpu);
	}

	/* The EL0 stubs on a page of their own, read-only and executable at EL0. */
	stubs = vm_vaddr_alloc_pages(vm, 1);
	memcpy(addr_gva2hva(vm, stubs), el0_stubs, el0_stubs_end - el0_stubs);
	pte = virt_get_pte_hva(vm, stubs);
	*pte |= BIT_ULL(6) | BIT_ULL(7);	/* AP[2:1] = 0b11 */

	for (ec = 0; ec < ESR_EC_NUM; ec++) {
		vm_install_sync_handler(vm, VECTOR_SYNC_CURRENT, ec, el1_exception);
		vm_install_sync_handler(vm, VECTOR_SYNC_LOWER_64, ec, el0_exception);
	}
	guest_seed = seed;
	guest_accesses = accesses;
	guest_el0_stubs = stubs;
	guest_quirks = mode == MODE_STOCK ? PMU_ACCESS_QUIRKS_STOCK_KVM :
		       mode == MODE_PARTITIONED ? PMU_ACCESS_QUIRKS_PARTITIONED :
		       PMU_ACCESS_QUIRKS_FIXED;
	/*
	 * The host's PMU sizes, from the module's sysfs: the partitioned
	 * modes need them (the module is loaded there); stock VMs only on a
	 * host whose PMUs differ and only when they move (-m), and without
	 * the module they cannot know (31: no counter is beyond the smallest
	 * CPU, the quirk is off).
	 */
	guest_hardware_counters = smallest_pmu_counters() >= 0 && !pin ?
				  smallest_pmu_counters() : 31;
	guest_hardware_counters_most = max_t(long, host_pmu_counters(true), 0);
	sync_global_to_guest(vm, guest_seed);
	sync_global_to_guest(vm, guest_accesses);
	sync_global_to_guest(vm, guest_el0_stubs);
	sync_global_to_guest(vm, guest_quirks);
	sync_global_to_guest(vm, guest_hardware_counters);
	sync_global_to_guest(vm, guest_hardware_counters_most);

	for (j = 0; j < vcpus; j++) {
		runners[j].move = move;
		TEST_ASSERT(!pthread_create(&runners[j].thread, NULL,
					    vcpu_runner_main, &runners[j]),
			    "pthread_create");
	}
	for (j = 0; j < vcpus; j++) {
		pthread_join(runners[j].thread, NULL);
		*moves += runners[j].moves;
		/* 10^4 accesses take tens of milliseconds: -m moves within them. */
		if (move && !runners[j].moves && accesses >= 10000) {
			ksft_print_msg("-m: the thread of VM seed %lu's vCPU %u never ran on another CPU\n",
				       seed, j);
			ok = false;
		}
	}
	sync_global_from_guest(vm, report);
	for (j = 0; j < vcpus; j++) {
		out[j] = report[j];
		if (runners[j].cmd != UCALL_DONE) {
			ksft_print_msg("seed %lu: vCPU %u stopped without finishing (ucall %lu)\n",
				       seed + j, j, runners[j].cmd);
			ok = false;
		} else if (!vm_in_mode(runners[j].vcpu, mode)) {
			ksft_print_msg("seed %lu: vCPU %u is not in the mode the test was asked for\n",
				       seed + j, j);
			ok = false;
		}
		ok = ok && !report[j].diverged;
	}
	close(gic_fd);
	kvm_vm_free(vm);
	if (pin)
		sched_setaffinity(0, sizeof(all), &all);
	return ok;
}

/*
 * The N a VM of @mode must show, from the host's side rather than from the
 * guest's own PMCR_EL0 (which the model then trusts): the fixed mode has no
 * event counters; a partitioned VM gets the partition, the smallest of the
 * module's pmus/<name>/guest_counters. -1: not known here (stock VMs).
 */
static long expected_guest_counters(enum vm_mode mode)
{
	long counters, found = -1;
	char buf[32];
	glob_t g;
	size_t i;

	if (mode == MODE_FIXED)
		return 0;
	if (mode != MODE_PARTITIONED ||
	    glob(KVM_PMU_PARTITION_SYSFS_DIR "/pmus/*/guest_counters", 0, NULL, &g))
		return -1;
	for (i = 0; i < g.gl_pathc; i++) {
		if (!read_line(g.gl_pathv[i], buf, sizeof(buf)))
			continue;
		counters = strtol(buf, NULL, 0);
		if (found < 0 || counters < found)
			found = counters;
	}
	globfree(&g);
	return found;
}

int main(int argc, char **argv)
{
	uint64_t accesses = DEFAULT_ACCESSES, seed = 1, vms = DEFAULT_VMS, vcpus = 1;
	uint64_t total[4] = { 0 }, quirks[PMU_ACCESS_QUIRK_COUNT] = { 0 };
	uint64_t checked = 0, at_el0 = 0, per_vcpu, i;
	unsigned long moves = 0;
	bool move = false, choose = false;
	struct conformance_report results[MAX_VCPUS];
	long expected_n;
	enum vm_mode mode;
	bool ok = true;
	const char *name;
	int opt;

	if (argc < 2) {
		fprintf(stderr, "usage: %s stock|partitioned|fixed [-n ACCESSES] [-s SEED] [-v VMS] [-c VCPUS] [-m] [-a] [-l] [-H N]\n",
			argv[0]);
		return KSFT_FAIL;
	}
	name = mode_name = argv[1];
	if (!strcmp(name, "stock"))
		mode = MODE_STOCK;
	else if (!strcmp(name, "partitioned"))
		mode = MODE_PARTITIONED;
	else if (!strcmp(name, "fixed"))
		mode = MODE_FIXED;
	else {
		fprintf(stderr, "pmu_conformance: unknown mode '%s': stock, partitioned or fixed\n",
			name);
		return KSFT_FAIL;
	}
	optind = 2;
	while ((opt = getopt(argc, argv, "n:s:v:c:malH:")) != -1) {
		switch (opt) {
		case 'c':
			vcpus = strtoull(optarg, NULL, 0);
			break;
		case 'l':
			lower_all = true;
			break;
		case 'H':
			history = strtoull(optarg, NULL, 0);
			break;
		case 'a':
			choose = choose_mode = true;
			break;
		case 'm':
			move = move_vcpu = true;
			break;
		case 'n':
			accesses = strtoull(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'v':
			vms = strtoull(optarg, NULL, 0);
			break;
		default:
			return KSFT_FAIL;
		}
	}
	if (!vms || accesses < vms) {
		fprintf(stderr, "pmu_conformance: need at least one VM and one access per VM\n");
		return KSFT_FAIL;
	}
	if (!vcpus || vcpus > MAX_VCPUS || accesses < vms * vcpus) {
		fprintf(stderr, "pmu_conformance: -c takes 1 to %u vCPUs, each with at least one access\n",
			MAX_VCPUS);
		return KSFT_FAIL;
	}
	vcpus_per_vm = vcpus;

	ksft_print_header();
	ksft_set_plan(1);
	per_vcpu = accesses / vms / vcpus;
	expected_n = expected_guest_counters(mode);
	for (i = 0; i < vms && ok; i++) {
		bool lower_n = mode != MODE_FIXED &&
			       (lower_all || (vms > 1 && i == vms - 1));
		uint64_t vm_seed = seed + i * vcpus;

		ok = run_vm(mode, vm_seed, per_vcpu, vcpus, lower_n, move, choose,
			    &moves, results);
		for (unsigned int j = 0; j < vcpus; j++) {
			struct conformance_report *result = &results[j];

			if (lower_n && result->config.counters != 1) {
				ksft_print_msg("VM %lu vCPU %u: the VMM set PMCR_EL0.N = 1, the guest reads %u\n",
					       i, j, result->config.counters);
				ok = false;
			}
			if (!lower_n && expected_n >= 0 &&
			    result->config.counters != expected_n) {
				ksft_print_msg("VM %lu vCPU %u: the guest reads PMCR_EL0.N = %u, the host gives it %ld\n",
					       i, j, result->config.counters, expected_n);
				ok = false;
			}
			if (result->diverged)
				print_divergence(vm_seed + j, result, lower_n);
			checked += result->checked;
			at_el0 += result->at_el0;
			for (unsigned int o = 0; o < 4; o++)
				total[o] += result->by_outcome[o];
			for (unsigned int q = 0; q < PMU_ACCESS_QUIRK_COUNT; q++)
				quirks[q] += result->quirk_hits[q];
			ksft_print_msg("VM %lu: seed %lu, vCPU %u of %lu, N %u (host %u), PMUVer %u, EL2 %d, EL3 %d, AArch32 %d, FGT %d, %lu accesses checked\n",
				       i, vm_seed + j, j, vcpus, result->config.counters,
				       result->config.hardware_counters, result->config.pmuver,
				       result->config.el2, result->config.el3,
				       result->config.aarch32, result->config.fgt,
				       result->checked);
		}
	}
	ksft_print_msg("%lu accesses checked (%lu at EL0): %lu done, %lu UNDEFINED, %lu trapped to EL1, %lu RAZ/WI or NOP\n",
		       checked, at_el0, total[0], total[1], total[2], total[3]);
	if (move) {
		ksft_print_msg("the vCPU thread was moved to another CPU %lu times\n",
			       moves);
		/* Each vCPU thread's own moves are checked in run_vm(). */
	}
	for (unsigned int q = 0; q < PMU_ACCESS_QUIRK_COUNT; q++)
		if (quirks[q])
			ksft_print_msg("%s departs from the architecture: %s (%lu accesses)\n",
				       q < 3 ? "KVM's trap emulation" :
				       q == 3 ? "the module's guest PMUSERENR_EL0" :
				       q == 5 ? "a perf-backed counter (stock KVM, the fixed mode)" :
				       "stock KVM's PMU",
				       quirk_names[q], quirks[q]);
	ksft_test_result(ok && checked >= per_vcpu * vms * vcpus,
			 "%s_guest_pmu_accesses_match_the_reference_model\n", name);
	ksft_finished();
}
