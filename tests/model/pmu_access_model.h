/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reference model of the PMUv3 a guest sees through its system registers,
 * written from the Arm ARM (DDI0487), not from KVM or the module: for a VM
 * without EL2 (with or without EL3 in its ID registers), N event counters,
 * a PMU version up to PMUv3p5 and AArch64 at every Exception level, it
 * gives for each MRS/MSR of a PMU register from the guest's EL1 or EL0
 *
 * - the outcomes the architecture allows: done, UNDEFINED (an exception to
 *   EL1 with ESR_EL1.EC 0x00), or trapped to EL1 by PMUSERENR_EL0 (EC
 *   0x18); and, where the Arm ARM makes it CONSTRAINED UNPREDICTABLE
 *   (PMXEVCNTR_EL0/PMXEVTYPER_EL0 with PMSELR_EL0.SEL out of range), each
 *   choice it lists that a guest can tell apart (UNDEFINED, RAZ/WI);
 * - the value a read returns: every bit of it wherever counting is
 *   stopped, and the bits that cannot have changed where a counter may be
 *   counting events the model cannot predict;
 * - the state the access leaves: counters reset by PMCR_EL0.P/C,
 *   incremented by PMSWINC_EL0 (event SW_INCR, 0x00) and by the overflow
 *   of their even neighbour (event CHAIN, 0x1e), overflow flags set on a
 *   32-bit or 64-bit wrap as PMCR_EL0.LP and the counter width say.
 *
 * What the model cannot know it learns once and then holds the guest to:
 * the read-only PMCR_EL0.IDCODE/IMP, PMCEID0/1_EL0 and PMMIR_EL1 values,
 * and a counter's value after it was counting (the first read once it
 * stopped). A RES0 bit of a read/write register may be RAZ/WI or keep what
 * was written (the Arm ARM's glossary allows both); the model holds it to
 * one of the two: it reads 0 unless the last write set it. So do PMCR_EL0.X
 * (RW, or RAZ/WI without an event export) and the RES0 fields of PMCR_EL0
 * and the type registers that depend on the PE (D without AArch32, DP
 * without EL3, LP before PMUv3p5, NSK/NSU/M without EL3, NSH without EL2).
 * The rules come from the register descriptions and their accessibility
 * pseudocode (DDI0487 D24.5, "Performance Monitors registers", and
 * J1.3.1.114 PMUSwIncrement); docs/conformance.md lists them.
 *
 * Stock KVM 6.12 departs from some of them. Each departure is a quirk the
 * caller may switch on (config.quirks), for stock VMs only; the model then
 * behaves as KVM does and says in the expectation or the commit's return
 * value where the quirk made a difference, so a tester can count and
 * report it without the architectural rules losing anything.
 *
 * Not modelled: PMUv3p7 and later (FZO, PMUSERENR_EL0.UEN), AArch32 state,
 * PMU interrupts (PMINTENSET_EL1 is state only), the event filter of the
 * VM (every event is allowed), multithreaded PEs, and the CONSTRAINED
 * UNPREDICTABLE choice "as if an UNKNOWN accessible index" for an index
 * out of range (a PE that makes it shows up as a divergence whose rule
 * names the CONSTRAINED UNPREDICTABLE case).
 *
 * Plain C with no library calls (it runs in KVM selftest guests): the
 * caller provides u64, bool and BIT_ULL, as for pmu_filter_model.h.
 */
#ifndef PMU_ACCESS_MODEL_H
#define PMU_ACCESS_MODEL_H

#include "pmu_filter_model.h"

/* The registers, in the order the guest tester numbers its accessors. */
enum pmu_access_register {
	PMU_ACCESS_PMCR,
	PMU_ACCESS_PMCNTENSET,
	PMU_ACCESS_PMCNTENCLR,
	PMU_ACCESS_PMOVSSET,
	PMU_ACCESS_PMOVSCLR,
	PMU_ACCESS_PMINTENSET,
	PMU_ACCESS_PMINTENCLR,
	PMU_ACCESS_PMSWINC,
	PMU_ACCESS_PMSELR,
	PMU_ACCESS_PMCEID0,
	PMU_ACCESS_PMCEID1,
	PMU_ACCESS_PMCCNTR,
	PMU_ACCESS_PMXEVTYPER,
	PMU_ACCESS_PMXEVCNTR,
	PMU_ACCESS_PMUSERENR,
	PMU_ACCESS_PMCCFILTR,
	PMU_ACCESS_PMMIR,
	PMU_ACCESS_PMEVCNTR0,
	PMU_ACCESS_PMEVTYPER0 = PMU_ACCESS_PMEVCNTR0 + 31,
	PMU_ACCESS_REGISTER_COUNT = PMU_ACCESS_PMEVTYPER0 + 31
};

/* Counter index of the cycle counter in the mask registers. */
#define PMU_ACCESS_CYCLE_COUNTER	31
#define PMU_ACCESS_EVENT_SW_INCR	0x00
#define PMU_ACCESS_EVENT_CHAIN		0x1e

/* PMUSERENR_EL0 fields (D24.5.21). */
#define PMU_ACCESS_USERENR_EN		BIT_ULL(0)
#define PMU_ACCESS_USERENR_SW		BIT_ULL(1)
#define PMU_ACCESS_USERENR_CR		BIT_ULL(2)
#define PMU_ACCESS_USERENR_ER		BIT_ULL(3)
#define PMU_ACCESS_USERENR_FIELDS	0xfULL

/* PMSELR_EL0.SEL (D24.5.20). */
#define PMU_ACCESS_SELECT_FIELD		0x1fULL

/* What an access may do; an expectation allows one or more of them. */
enum pmu_access_outcome {
	PMU_ACCESS_DONE = 1,		/* completed (a read returns a value) */
	PMU_ACCESS_UNDEFINED = 2,	/* exception to EL1, EC 0x00 */
	PMU_ACCESS_TRAPPED = 4,		/* trapped to EL1, EC 0x18 */
	PMU_ACCESS_IGNORED = 8,		/* RAZ/WI or NOP: reads 0 or nothing */
};

/*
 * Stock KVM 6.12's departures from the architecture (arch/arm64/kvm/
 * sys_regs.c and pmu-emul.c), for config.quirks.
 */
enum pmu_access_quirk {
	/* A refused EL0 access is an UNDEFINED exception (EC 0x00), not a
	 * trap to EL1 (EC 0x18): check_pmu_access_disabled(). */
	PMU_ACCESS_QUIRK_EL0_REFUSAL_UNDEFINED = 1,
	/* PMXEVCNTR_EL0 with PMSELR_EL0.SEL = 31 reaches PMCCNTR_EL0 (at
	 * EL0 with ER as for an event counter): pmu_counter_idx_valid(). */
	PMU_ACCESS_QUIRK_PMXEVCNTR_SELECTS_CYCLE_COUNTER = 2,
	/* PMSWINC_EL0 increments counters whose filter (P, U) excludes the
	 * Exception level of the write, and an even counter's overflow
	 * counts CHAIN on its odd neighbour whatever that one's filter says:
	 * kvm_pmu_software_increment(), kvm_pmu_counter_increment(). */
	PMU_ACCESS_QUIRK_SOFTWARE_INCREMENT_UNFILTERED = 4,
	/*
	 * Not KVM's: the module's, in both modes, which keep the guest's
	 * PMUSERENR_EL0 in the hardware. The guest's N (MDCR_EL2.HPMN when
	 * partitioned, 0 in the fixed mode) is below the N the PE checks
	 * (config.hardware_counters). For an index in
	 * [N, hardware N) the PE checks PMUSERENR_EL0 first, so a refused
	 * EL0 access traps to EL1 where a PE with N counters has it
	 * UNDEFINED (with FEAT_FGT). No EL2 trap comes before the EL0 one.
	 * Where the host's PMUs differ in N (config.hardware_counters_most),
	 * an index between the two gets either, by the CPU the vCPU is on.
	 */
	PMU_ACCESS_QUIRK_PARTITION_EL0_REFUSAL_BEFORE_RANGE = 8,
	/*
	 * Stock KVM on a host whose PMUs differ in N (config.hardware_counters
	 * below config.counters): the VM's N is one PMU's, and its vCPUs run
	 * on every CPU. On a CPU with fewer counters an event counter index in
	 * [that CPU's N, the VM's N) is out of the PE's own range, which it
	 * checks before KVM's trap (MDCR_EL2.TPM): UNDEFINED there, and
	 * nothing changes.
	 */
	PMU_ACCESS_QUIRK_STOCK_COUNTER_BEYOND_CPU = 16,
	/*
	 * Counters backed by host perf events (stock KVM's, and the fixed
	 * mode's cycle counter): the overflow flag is set when the host
	 * takes the event's overflow interrupt, which may come after the
	 * guest read the counter past its wrap (on the rig without -icount
	 * QEMU notices a wrap late, docs/rig.md "Timing"). A flag whose wrap
	 * a read showed stays open, cleared or not, until it is seen set.
	 */
	PMU_ACCESS_QUIRK_OVERFLOW_FLAG_LATE = 32,
};

#define PMU_ACCESS_QUIRK_COUNT		6
#define PMU_ACCESS_QUIRKS_STOCK_KVM	55
#define PMU_ACCESS_QUIRKS_PARTITIONED	8
/*
 * The fixed-counters-only PMU loads the guest's PMUSERENR_EL0 as the
 * partitioned one does (module/fixed.c), with N = 0.
 */
#define PMU_ACCESS_QUIRKS_FIXED		(PMU_ACCESS_QUIRK_PARTITION_EL0_REFUSAL_BEFORE_RANGE | \
					 PMU_ACCESS_QUIRK_OVERFLOW_FLAG_LATE)

struct pmu_access_model_config {
	unsigned int counters;		/* PMCR_EL0.N */
	unsigned int pmuver;		/* ID_AA64DFR0_EL1.PMUVer, 1..6 */
	bool el2;			/* ID_AA64PFR0_EL1.EL2 != 0 (KVM shows it) */
	bool el3;			/* ID_AA64PFR0_EL1.EL3 != 0 */
	bool aarch32;			/* AArch32 at some EL (ID_AA64PFR0_EL1) */
	bool fgt;			/* ID_AA64MMFR0_EL1.FGT != 0 */
	unsigned int quirks;		/* enum pmu_access_quirk bits */
	u64 events;			/* PMCEID0_EL0: common events 0x00-0x1f */
	unsigned int hardware_counters;	/* the host's smallest PMCR_EL0.N */
	unsigned int hardware_counters_most;	/* and its largest */
};

struct pmu_access {
	unsigned int reg;		/* enum pmu_access_register */
	bool write;
	bool el0;
	u64 value;			/* written value */
};

struct pmu_access_expectation {
	unsigned int outcomes;		/* enum pmu_access_outcome bits */
	u64 value;			/* of a completed read */
	u64 checked;			/* the bits of value a read must match */
	u64 zero;			/* other bits a read must have clear */
	u64 ones;			/* bits a read must have set */
	u64 at_least_within;		/* a counting counter: value read - value,
					 * modulo its width, at most this */
	u64 width;			/* that counter's width mask */
	const char *rule;		/* why: the rule that decided the outcome */
	unsigned int quirk;		/* the quirk that changed it, or 0 */
	unsigned int quirk_if_undefined;	/* the quirk an UNDEFINED outcome
						 * would be, or 0 */
};

/* The learned read-only values. */
enum pmu_access_learned {
	PMU_ACCESS_LEARNED_PMCR_ID = 1,
	PMU_ACCESS_LEARNED_PMCEID0 = 2,
	PMU_ACCESS_LEARNED_PMCEID1 = 4,
	PMU_ACCESS_LEARNED_PMMIR = 8,
};

struct pmu_access_model {
	struct pmu_access_model_config config;
	struct pmu_model_vm vm;
	u64 pmcr;			/* the RW bits of PMCR_EL0 */
	u64 enabled;			/* PMCNTENSET_EL0 */
	u64 interrupts;			/* PMINTENSET_EL1 */
	u64 overflows;			/* PMOVSSET_EL0 */
	u64 select;			/* PMSELR_EL0, as written */
	u64 user_enable;		/* PMUSERENR_EL0, as written */
	u64 pmcr_written;		/* PMCR_EL0, as last written */
	u64 type[32];			/* PMEVTYPER<n>_EL0, [31] PMCCFILTR_EL0 */
	u64 type_unknown;		/* types no completed write or read set */
	u64 count[32];			/* PMEVCNTR<n>_EL0, [31] PMCCNTR_EL0 */
	u64 count_written[32];		/* the counters as last written */
	u64 count_unknown;		/* counters that may have counted */
	/*
	 * Counters whose last value is no base to tell a wrap from: their
	 * overflow width (PMCR_EL0.LP/LC) changed, or their flag was
	 * cleared, while they may have counted.
	 */
	u64 wrap_base_stale;
	/* PMU_ACCESS_QUIRK_OVERFLOW_FLAG_LATE: wraps seen, flags not yet. */
	u64 late_flags;
	u64 overflow_unknown;		/* overflow flags that may have been set */
	unsigned int learned;		/* enum pmu_access_learned bits */
	u64 pmcr_id;			/* PMCR_EL0.IDCODE and IMP */
	u64 pmceid[2];
	u64 pmmir;
};

#define PMU_ACCESS_PMCR_ID	(PMU_MODEL_PMCR_IDCODE | PMU_MODEL_PMCR_IMP)

/* Counters that exist: bits 0..N-1 and the cycle counter (bit 31). */
static inline u64 pmu_access_implemented(const struct pmu_access_model *model)
{
	return ((1ULL << model->config.counters) - 1) |
	       BIT_ULL(PMU_ACCESS_CYCLE_COUNTER);
}

static inline bool pmu_access_v3p5(const struct pmu_access_model *model)
{
	return pmu_model_has_version(model->config.pmuver,
				     PMU_MODEL_PMUVER_V3P5);
}

/*
 * The read/write fields of PMCR_EL0 (D24.5.8): E; D and LC with AArch32
 * (else D is RES0 and LC RES1); DP with EL3, or with EL2 from PMUv3p1 (as
 * the VM's ID registers show them; PMUv3p7 is beyond the model; else
 * RES0); LP from PMUv3p5 (else RES0). X is RW or RAZ/WI: treated as RES0.
 * P and C read as 0.
 */
static inline u64 pmu_access_pmcr_rw(const struct pmu_access_model *model)
{
	u64 bits = PMU_MODEL_PMCR_E;

	if (model->config.aarch32)
		bits |= PMU_MODEL_PMCR_D | PMU_MODEL_PMCR_LC;
	/* D24.5.8: HaveEL(EL3) || (FEAT_PMUv3p1 && HaveEL(EL2)) || ... */
	if (model->config.el3 ||
	    (model->config.el2 &&
	     pmu_model_has_version(model->config.pmuver, PMU_MODEL_PMUVER_V3P1)))
		bits |= PMU_MODEL_PMCR_DP;
	if (pmu_access_v3p5(model))
		bits |= PMU_MODEL_PMCR_LP;
	return bits;
}

/* Every bit of PMCR_EL0 that is not RES0 (or treated as such). */
static inline u64 pmu_access_pmcr_defined(const struct pmu_access_model *model)
{
	return pmu_access_pmcr_rw(model) | PMU_MODEL_PMCR_P | PMU_MODEL_PMCR_C |
	       PMU_MODEL_PMCR_LC | PMU_MODEL_PMCR_N | PMU_ACCESS_PMCR_ID;
}

/* LC is RES1 where AArch32 is not implemented. */
static inline u64 pmu_access_pmcr_fixed(const struct pmu_access_model *model)
{
	return model->config.aarch32 ? 0 : PMU_MODEL_PMCR_LC;
}

/*
 * Starting state: everything zero, counter values and overflow flags
 * unknown (their reset values are UNKNOWN). The tester writes every
 * register once before it reads any. Only where
 * PMU_ACCESS_QUIRK_STOCK_COUNTER_BEYOND_CPU may make such a write
 * UNDEFINED (counters in [hardware_counters, counters)) do event types
 * start unknown too: one stays so until a write or read of it completes
 * (the read is learned), and may count anything meanwhile. Everywhere
 * else a type is what the tester wrote, and nothing is learned from the
 * hardware.
 */
static inline void pmu_access_model_init(struct pmu_access_model *model,
					 const struct pmu_access_model_config *config)
{
	unsigned int i;

	model->config = *config;
	model->vm.el2 = config->el2;
	model->vm.el3 = config->el3;
	model->vm.pmuver = config->pmuver;
	model->vm.aarch64_only_el0 = !config->aarch32;
	model->pmcr = pmu_access_pmcr_fixed(model);
	model->enabled = 0;
	model->interrupts = 0;
	model->overflows = 0;
	model->select = 0;
	model->user_enable = 0;
	model->pmcr_written = 0;
	for (i = 0; i < 32; i++) {
		model->type[i] = 0;
		model->count[i] = 0;
		model->count_written[i] = 0;
	}
	model->count_unknown = pmu_access_implemented(model);
	model->wrap_base_stale = pmu_access_implemented(model);
	model->late_flags = 0;
	model->overflow_unknown = pmu_access_implemented(model);
	model->type_unknown = 0;
	if (config->quirks & PMU_ACCESS_QUIRK_STOCK_COUNTER_BEYOND_CPU)
		for (i = config->hardware_counters; i < config->counters; i++)
			model->type_unknown |= BIT_ULL(i);
	model->learned = 0;
	model->pmcr_id = 0;
	model->pmceid[0] = 0;
	model->pmceid[1] = 0;
	model->pmmir = 0;
}

/* Event counters hold 64 bits from PMUv3p5, 32 before; PMCCNTR_EL0 64. */
static inline u64 pmu_access_counter_width_mask(const struct pmu_access_model *model,
						unsigned int counter)
{
	if (counter == PMU_ACCESS_CYCLE_COUNTER || pmu_access_v3p5(model))
		return ~0ULL;
	return 0xffffffffULL;
}

/* Does counter @counter overflow at 64 bits (PMCR_EL0.LC/LP), or at 32? */
static inline bool pmu_access_overflows_at_64(const struct pmu_access_model *model,
					      unsigned int counter)
{
	if (counter == PMU_ACCESS_CYCLE_COUNTER)
		return !model->config.aarch32 || (model->pmcr & PMU_MODEL_PMCR_LC);
	return pmu_access_v3p5(model) && (model->pmcr & PMU_MODEL_PMCR_LP);
}

static inline u64 pmu_access_event(const struct pmu_access_model *model,
				   unsigned int counter)
{
	return model->type[counter] & pmu_model_event_mask(model->config.pmuver);
}

/* Counting enabled at all: PMCR_EL0.E and the counter's enable bit. */
static inline bool pmu_access_counter_enabled(const struct pmu_access_model *model,
					      unsigned int counter)
{
	return (model->pmcr & PMU_MODEL_PMCR_E) &&
	       (model->enabled & BIT_ULL(counter));
}

/* Does the filter let the counter count at the guest's EL1 (or EL0)? */
static inline bool pmu_access_filter_counts(const struct pmu_access_model *model,
					    unsigned int counter, bool el0)
{
	return pmu_model_guest_expects(&model->vm, model->type[counter], true,
				       el0 ? PMU_MODEL_NONSECURE_EL0 :
					     PMU_MODEL_NONSECURE_EL1);
}

/* Does the PE implement common event @event (PMCEID0_EL0, D24.5.3)? */
static inline bool pmu_access_event_implemented(const struct pmu_access_model *model,
						u64 event)
{
	return event < 32 && (model->config.events & BIT_ULL(event));
}

/*
 * May the counter count something the model cannot predict? The cycle
 * counter and every event but SW_INCR and CHAIN do, while enabled and
 * while the filter lets them count at the guest's EL1 or EL0; a counter
 * the filter keeps out of both counts nothing (it must not count at EL2,
 * where the host runs). A CHAIN counter follows its even neighbour's
 * overflows: unpredictable when that neighbour is, or overflows at 64
 * bits (CHAIN is then CONSTRAINED UNPREDICTABLE), or when PMCEID0_EL0
 * does not list CHAIN (what a PE does with an event it does not implement
 * is not the architecture's to say; QEMU implements none).
 */
static inline bool pmu_access_counts_freely(const struct pmu_access_model *model,
					    unsigned int counter)
{
	bool filtered_out;
	u64 event;

	if (!pmu_access_counter_enabled(model, counter))
		return false;
	if (model->type_unknown & BIT_ULL(counter))
		return true;
	filtered_out = !pmu_access_filter_counts(model, counter, false) &&
		       !pmu_access_filter_counts(model, counter, true);
	if (counter == PMU_ACCESS_CYCLE_COUNTER)
		return !filtered_out;
	event = pmu_access_event(model, counter);
	if (event == PMU_ACCESS_EVENT_SW_INCR)
		return false;
	if (event == PMU_ACCESS_EVENT_CHAIN) {
		/* Stock KVM chains whatever the odd counter's filter says. */
		if (filtered_out &&
		    !(model->config.quirks & PMU_ACCESS_QUIRK_SOFTWARE_INCREMENT_UNFILTERED))
			return false;
		if (!pmu_access_event_implemented(model, PMU_ACCESS_EVENT_CHAIN))
			return true;
		if (!(counter & 1))
			return false;	/* CHAIN on an even counter: no source */
		return pmu_access_counts_freely(model, counter - 1) ||
		       pmu_access_overflows_at_64(model, counter - 1);
	}
	return !filtered_out;
}

/* Marks what may have counted since the last access as unknown. */
static inline void pmu_access_note_counting(struct pmu_access_model *model)
{
	unsigned int counter;

	for (counter = 0; counter < 32; counter++) {
		if (!(pmu_access_implemented(model) & BIT_ULL(counter)))
			continue;
		if (pmu_access_counts_freely(model, counter)) {
			model->count_unknown |= BIT_ULL(counter);
			model->overflow_unknown |= BIT_ULL(counter);
		}
	}
}

/*
 * One increment of an event counter by SW_INCR or CHAIN (never the cycle
 * counter): sets the overflow flag on a 32- or 64-bit wrap, which a CHAIN
 * odd neighbour counts when the wrap is at 32 bits.
 */
static inline unsigned int pmu_access_increment(struct pmu_access_model *model,
						unsigned int counter, bool el0)
{
	u64 width = pmu_access_counter_width_mask(model, counter);
	u64 next = (model->count[counter] + 1) & width;
	bool wrapped = pmu_access_overflows_at_64(model, counter) ?
		next == 0 : (next & 0xffffffffULL) == 0;
	unsigned int odd = counter + 1;

	unsigned int quirk = 0;

	model->count[counter] = next;
	/*
	 * A counter whose value is open (it counted freely before) may or may
	 * not wrap now: its flag, and a CHAIN neighbour's count, open too.
	 */
	if (model->count_unknown & BIT_ULL(counter)) {
		model->overflow_unknown |= BIT_ULL(counter);
		if (!(counter & 1) && odd < model->config.counters) {
			model->count_unknown |= BIT_ULL(odd);
			model->overflow_unknown |= BIT_ULL(odd);
		}
		return 0;
	}
	if (!wrapped)
		return 0;
	model->overflows |= BIT_ULL(counter);
	if ((counter & 1) || odd >= model->config.counters)
		return 0;
	if (pmu_access_counter_enabled(model, odd) &&
	    (model->type_unknown & BIT_ULL(odd))) {
		model->count_unknown |= BIT_ULL(odd);
		model->overflow_unknown |= BIT_ULL(odd);
		return 0;
	}
	if (!pmu_access_counter_enabled(model, odd) ||
	    pmu_access_event(model, odd) != PMU_ACCESS_EVENT_CHAIN ||
	    !pmu_access_event_implemented(model, PMU_ACCESS_EVENT_CHAIN))
		return 0;
	if (!pmu_access_filter_counts(model, odd, el0)) {
		if (!(model->config.quirks & PMU_ACCESS_QUIRK_SOFTWARE_INCREMENT_UNFILTERED))
			return 0;
		quirk = PMU_ACCESS_QUIRK_SOFTWARE_INCREMENT_UNFILTERED;
	}
	if (pmu_access_overflows_at_64(model, counter))
		return 0;	/* unreachable: a 64-bit wrap */
	return quirk | pmu_access_increment(model, odd, el0);
}

/* Is the access to @counter (or n of PMEV*<n>) out of the guest's range? */
static inline bool pmu_access_beyond_counters(const struct pmu_access_model *model,
					      unsigned int counter)
{
	return counter >= model->config.counters;
}

/* PMXEVCNTR_EL0 reaching PMCCNTR_EL0 through SEL = 31 (a stock KVM quirk). */
static inline bool pmu_access_quirk_cycle_select(const struct pmu_access_model *model,
						 const struct pmu_access *access)
{
	return access->reg == PMU_ACCESS_PMXEVCNTR &&
	       (model->config.quirks &
		PMU_ACCESS_QUIRK_PMXEVCNTR_SELECTS_CYCLE_COUNTER) &&
	       (model->select & PMU_ACCESS_SELECT_FIELD) == PMU_ACCESS_CYCLE_COUNTER;
}

/*
 * The EL0 permission of an access, from PMUSERENR_EL0: EN gives every
 * EL0-accessible register; SW also PMSWINC_EL0 writes; CR also
 * PMCCNTR_EL0 reads; ER also PMEVCNTR<n>_EL0 and PMXEVCNTR_EL0 reads and
 * PMSELR_EL0 reads and writes.
 */
static inline bool pmu_access_el0_permitted(const struct pmu_access_model *model,
					    const struct pmu_access *access)
{
	u64 user = model->user_enable;
	u64 also = 0;

	switch (access->reg) {
	case PMU_ACCESS_PMSWINC:
		also = access->write ? PMU_ACCESS_USERENR_SW : 0;
		break;
	case PMU_ACCESS_PMCCNTR:
		also = access->write ? 0 : PMU_ACCESS_USERENR_CR;
		break;
	case PMU_ACCESS_PMXEVCNTR:
		also = access->write ? 0 : PMU_ACCESS_USERENR_ER;
		break;
	case PMU_ACCESS_PMSELR:
		also = PMU_ACCESS_USERENR_ER;
		break;
	default:
		if (access->reg >= PMU_ACCESS_PMEVCNTR0 &&
		    access->reg < PMU_ACCESS_PMEVTYPER0 && !access->write)
			also = PMU_ACCESS_USERENR_ER;
		break;
	}
	return user & (PMU_ACCESS_USERENR_EN | also);
}

/* Counter behind an access, or -1 (PMXEV* resolve through PMSELR_EL0). */
static inline int pmu_access_counter_of(const struct pmu_access_model *model,
					const struct pmu_access *access)
{
	if (access->reg >= PMU_ACCESS_PMEVTYPER0)
		return access->reg - PMU_ACCESS_PMEVTYPER0;
	if (access->reg >= PMU_ACCESS_PMEVCNTR0)
		return access->reg - PMU_ACCESS_PMEVCNTR0;
	switch (access->reg) {
	case PMU_ACCESS_PMCCNTR:
	case PMU_ACCESS_PMCCFILTR:
		return PMU_ACCESS_CYCLE_COUNTER;
	case PMU_ACCESS_PMXEVTYPER:
	case PMU_ACCESS_PMXEVCNTR:
		return model->select & PMU_ACCESS_SELECT_FIELD;
	}
	return -1;
}

static inline void pmu_access_expect_outcome(struct pmu_access_expectation *expect,
					     unsigned int outcomes, const char *rule)
{
	expect->outcomes = outcomes;
	expect->rule = rule;
}

/*
 * An index out of range (PMEV*<n>_EL0 with n >= N, PMXEV* with SEL out of
 * range), checked before the EL0 permission: UNDEFINED with FEAT_FGT,
 * else CONSTRAINED UNPREDICTABLE: UNDEFINED, RAZ/WI, NOP, or as if an
 * UNKNOWN index in range, whose own EL0 check may then trap.
 */
static inline void pmu_access_expect_out_of_range(const struct pmu_access_model *model,
						  const struct pmu_access *access,
						  struct pmu_access_expectation *expect)
{
	unsigned int outcomes = PMU_ACCESS_UNDEFINED | PMU_ACCESS_IGNORED;
	int counter = pmu_access_counter_of(model, access);

	if (access->el0 && !pmu_access_el0_permitted(model, access) &&
	    (model->config.quirks &
	     PMU_ACCESS_QUIRK_PARTITION_EL0_REFUSAL_BEFORE_RANGE) &&
	    counter < (int)model->config.hardware_counters_most) {
		pmu_access_expect_outcome(expect, PMU_ACCESS_TRAPPED,
					  "partition: a refused EL0 access below the host's N traps to EL1 first");
		if (counter >= (int)model->config.hardware_counters)
			expect->outcomes |= PMU_ACCESS_UNDEFINED;
		if (model->config.fgt)
			expect->quirk = PMU_ACCESS_QUIRK_PARTITION_EL0_REFUSAL_BEFORE_RANGE;
		return;
	}
	if (model->config.fgt) {
		pmu_access_expect_outcome(expect, PMU_ACCESS_UNDEFINED,
					  "counter index >= PMCR_EL0.N with FEAT_FGT is UNDEFINED");
		return;
	}
	if (access->el0 && !pmu_access_el0_permitted(model, access) &&
	    !(model->config.quirks & PMU_ACCESS_QUIRK_EL0_REFUSAL_UNDEFINED))
		outcomes |= PMU_ACCESS_TRAPPED;
	pmu_access_expect_outcome(expect, outcomes,
				  "counter index >= PMCR_EL0.N is CONSTRAINED UNPREDICTABLE: UNDEFINED, RAZ/WI or NOP");
}

/*
 * How far a counter may have counted between two accesses of the guest:
 * far below a wrap of a 32-bit counter, far above anything a few thousand
 * guest instructions (and the time the vCPU spends at EL2, which a guest
 * counter must not count) can add.
 */
#define PMU_ACCESS_COUNT_MARGIN_32	(1ULL << 30)
#define PMU_ACCESS_COUNT_MARGIN_64	(1ULL << 40)

/*
 * A read of a counter: every bit, unless it may have counted; then a
 * counter never goes back: it reads at least what it last read or was
 * written, modulo its width (a wrap sets the overflow flag, which is open
 * while it counts), within a margin.
 */
static inline void pmu_access_expect_count(const struct pmu_access_model *model,
					   unsigned int counter,
					   struct pmu_access_expectation *expect)
{
	u64 width = pmu_access_counter_width_mask(model, counter);

	expect->value = model->count[counter];
	expect->checked = width;
	if (model->count_unknown & BIT_ULL(counter)) {
		expect->checked = 0;
		expect->at_least_within = width == ~0ULL ?
			PMU_ACCESS_COUNT_MARGIN_64 : PMU_ACCESS_COUNT_MARGIN_32;
		expect->width = width;
	}
	/* Bits [63:32] of a 32-bit counter are RES0. */
	expect->zero = ~width & ~model->count_written[counter];
}

/*
 * A read of PMOVSSET_EL0/PMOVSCLR_EL0: flags that may have been set are
 * open, but one known set stays set (only the guest clears it).
 */
static inline void pmu_access_expect_flags(const struct pmu_access_model *model,
					   u64 flags, u64 open,
					   struct pmu_access_expectation *expect)
{
	expect->value = flags & pmu_access_implemented(model);
	expect->checked = ~(open & pmu_access_implemented(model)) &
			  0xffffffffffffffffULL;
	expect->ones = flags & open & pmu_access_implemented(model);
}

/* The type register's read-back: pmu_model_guest_read_back(). */
static inline u64 pmu_access_type_read_back(const struct pmu_access_model *model,
					    unsigned int counter, u64 written)
{
	return pmu_model_guest_read_back(&model->vm,
					 counter == PMU_ACCESS_CYCLE_COUNTER,
					 written);
}

/* A read of a type register: its fields exactly, its RES0 bits 0 or as written. */
static inline void pmu_access_expect_type(const struct pmu_access_model *model,
					  unsigned int counter,
					  struct pmu_access_expectation *expect)
{
	u64 fields = pmu_access_type_read_back(model, counter, ~0ULL);

	expect->value = pmu_access_type_read_back(model, counter,
						  model->type[counter]);
	expect->checked = fields;
	expect->zero = ~fields & ~model->type[counter];
	if (model->type_unknown & BIT_ULL(counter)) {
		expect->checked = 0;	/* its UNKNOWN reset value's fields */
		expect->zero = ~fields;
	}
}

/*
 * What the architecture allows for @access in @model's state. Order of the
 * checks, as in the accessibility pseudocode: an encoding with no register
 * (a write of a read-only one, a read of PMSWINC_EL0, an EL1 register at
 * EL0, PMMIR_EL1 before PMUv3p4) is UNDEFINED first; then an index out of
 * range, PMEV*<n>_EL0 with n >= N or PMXEV* with PMSELR_EL0.SEL >= N (the
 * pages of PMXEVCNTR_EL0 and PMXEVTYPER_EL0, DDI0487 D24.5.27/28, check
 * m >= GetNumEventCountersSelfHosted() at every Exception level before
 * PMUSERENR_EL0; tests/rig/qemu-patches/0002 reads them the same way):
 * UNDEFINED with FEAT_FGT, else CONSTRAINED UNPREDICTABLE
 * (pmu_access_expect_out_of_range()); then EL0 is trapped to EL1 unless
 * PMUSERENR_EL0 permits.
 */
static inline void pmu_access_expect_architecture(const struct pmu_access_model *model,
						  const struct pmu_access *access,
						  struct pmu_access_expectation *expect)
{
	unsigned int reg = access->reg;
	int counter = pmu_access_counter_of(model, access);
	u64 implemented = pmu_access_implemented(model);

	expect->value = 0;
	expect->checked = 0;
	expect->zero = 0;
	expect->ones = 0;
	expect->at_least_within = 0;
	expect->width = 0;
	expect->quirk = 0;
	expect->quirk_if_undefined = 0;

	if ((reg == PMU_ACCESS_PMCEID0 || reg == PMU_ACCESS_PMCEID1 ||
	     reg == PMU_ACCESS_PMMIR) && access->write) {
		pmu_access_expect_outcome(expect, PMU_ACCESS_UNDEFINED,
					  "MSR to a read-only register is UNDEFINED");
		return;
	}
	if (reg == PMU_ACCESS_PMSWINC && !access->write) {
		pmu_access_expect_outcome(expect, PMU_ACCESS_UNDEFINED,
					  "MRS of write-only PMSWINC_EL0 is UNDEFINED");
		return;
	}
	if (access->el0 && (reg == PMU_ACCESS_PMINTENSET ||
			    reg == PMU_ACCESS_PMINTENCLR ||
			    reg == PMU_ACCESS_PMMIR)) {
		pmu_access_expect_outcome(expect, PMU_ACCESS_UNDEFINED,
					  "an _EL1 PMU register is UNDEFINED at EL0");
		return;
	}
	if (reg == PMU_ACCESS_PMMIR &&
	    !pmu_model_has_version(model->config.pmuver, PMU_MODEL_PMUVER_V3P4)) {
		pmu_access_expect_outcome(expect, PMU_ACCESS_UNDEFINED,
					  "PMMIR_EL1 before PMUv3p4 is UNDEFINED");
		return;
	}
	if (reg == PMU_ACCESS_PMUSERENR && access->el0 && access->write) {
		pmu_access_expect_outcome(expect, PMU_ACCESS_UNDEFINED,
					  "PMUSERENR_EL0 is read-only at EL0");
		return;
	}
	if ((reg >= PMU_ACCESS_PMEVCNTR0 &&
	     pmu_access_beyond_counters(model, counter)) ||
	    (reg == PMU_ACCESS_PMXEVCNTR &&
	     pmu_access_beyond_counters(model, counter) &&
	     !pmu_access_quirk_cycle_select(model, access)) ||
	    (reg == PMU_ACCESS_PMXEVTYPER &&
	     counter != PMU_ACCESS_CYCLE_COUNTER &&
	     pmu_access_beyond_counters(model, counter))) {
		pmu_access_expect_out_of_range(model, access, expect);
		return;
	}
	if (access->el0 && reg != PMU_ACCESS_PMUSERENR &&
	    !pmu_access_el0_permitted(model, access)) {
		if (model->config.quirks & PMU_ACCESS_QUIRK_EL0_REFUSAL_UNDEFINED) {
			pmu_access_expect_outcome(expect, PMU_ACCESS_UNDEFINED,
						  "stock KVM: a refused EL0 access is UNDEFINED (EC 0x00)");
			expect->quirk = PMU_ACCESS_QUIRK_EL0_REFUSAL_UNDEFINED;
			return;
		}
		pmu_access_expect_outcome(expect, PMU_ACCESS_TRAPPED,
					  "EL0 access PMUSERENR_EL0 does not permit traps to EL1 (EC 0x18)");
		return;
	}
	if (pmu_access_quirk_cycle_select(model, access))
		expect->quirk = PMU_ACCESS_QUIRK_PMXEVCNTR_SELECTS_CYCLE_COUNTER;

	pmu_access_expect_outcome(expect, PMU_ACCESS_DONE,
				  access->write ? "write" : "read");
	if (expect->quirk)
		expect->rule = "stock KVM: PMXEVCNTR_EL0 with PMSELR_EL0.SEL = 31 is PMCCNTR_EL0";
	if (access->write)
		return;

	switch (reg) {
	case PMU_ACCESS_PMCR:
		expect->value = (model->pmcr & pmu_access_pmcr_rw(model)) |
				pmu_access_pmcr_fixed(model) |
				((u64)model->config.counters << 11) |
				model->pmcr_id;
		expect->checked = pmu_access_pmcr_defined(model);
		expect->zero = ~expect->checked & ~model->pmcr_written;
		if (!(model->learned & PMU_ACCESS_LEARNED_PMCR_ID))
			expect->checked &= ~PMU_ACCESS_PMCR_ID;
		break;
	case PMU_ACCESS_PMCNTENSET:
	case PMU_ACCESS_PMCNTENCLR:
		expect->value = model->enabled & implemented;
		expect->checked = ~0ULL;
		break;
	case PMU_ACCESS_PMINTENSET:
	case PMU_ACCESS_PMINTENCLR:
		expect->value = model->interrupts & implemented;
		expect->checked = ~0ULL;
		break;
	case PMU_ACCESS_PMOVSSET:
	case PMU_ACCESS_PMOVSCLR:
		pmu_access_expect_flags(model, model->overflows,
					model->overflow_unknown, expect);
		break;
	case PMU_ACCESS_PMSELR:
		expect->value = model->select & PMU_ACCESS_SELECT_FIELD;
		expect->checked = PMU_ACCESS_SELECT_FIELD;
		expect->zero = ~PMU_ACCESS_SELECT_FIELD & ~model->select;
		break;
	case PMU_ACCESS_PMCEID0:
	case PMU_ACCESS_PMCEID1: {
		unsigned int which = reg - PMU_ACCESS_PMCEID0;

		expect->value = model->pmceid[which];
		if (model->learned & (PMU_ACCESS_LEARNED_PMCEID0 << which))
			expect->checked = ~0ULL;
		break;
	}
	case PMU_ACCESS_PMMIR:
		expect->value = model->pmmir;
		if (model->learned & PMU_ACCESS_LEARNED_PMMIR)
			expect->checked = ~0ULL;
		break;
	case PMU_ACCESS_PMUSERENR:
		expect->value = model->user_enable & PMU_ACCESS_USERENR_FIELDS;
		expect->checked = PMU_ACCESS_USERENR_FIELDS;
		expect->zero = ~PMU_ACCESS_USERENR_FIELDS & ~model->user_enable;
		break;
	case PMU_ACCESS_PMCCNTR:
	case PMU_ACCESS_PMXEVCNTR:
		pmu_access_expect_count(model, counter, expect);
		break;
	case PMU_ACCESS_PMCCFILTR:
	case PMU_ACCESS_PMXEVTYPER:
		pmu_access_expect_type(model, counter, expect);
		break;
	default:
		if (reg >= PMU_ACCESS_PMEVTYPER0) {
			pmu_access_expect_type(model, counter, expect);
		} else {
			pmu_access_expect_count(model, counter, expect);
		}
		break;
	}
}

/*
 * A read of a counter that can no longer be counting teaches its value; of
 * one still counting, the least it can read next. A value that passed a
 * multiple of the overflow width since the last one (the counter counts
 * far less than that between two accesses: PMU_ACCESS_COUNT_MARGIN_32)
 * means the counter overflowed meanwhile: its PMOVSSET_EL0 flag is set,
 * and stays set until the guest clears it, so later reads must show it.
 */
static inline void pmu_access_learn_count(struct pmu_access_model *model,
					  unsigned int counter, u64 value)
{
	u64 mask = pmu_access_counter_width_mask(model, counter);
	u64 width = pmu_access_overflows_at_64(model, counter) ? ~0ULL :
		    0xffffffffULL;
	u64 bit = BIT_ULL(counter);
	u64 before, counted;

	if (!(model->count_unknown & bit))
		return;
	before = model->count[counter];
	model->count[counter] = value & mask;
	counted = (model->count[counter] - before) & mask;
	if (!(model->wrap_base_stale & bit) &&
	    counted > width - (before & width)) {
		if (model->config.quirks & PMU_ACCESS_QUIRK_OVERFLOW_FLAG_LATE)
			model->late_flags |= bit;
		else
			model->overflows |= bit;
	}
	model->wrap_base_stale &= ~bit;
	if (!pmu_access_counts_freely(model, counter))
		model->count_unknown &= ~bit;
}

static inline void pmu_access_learn_flags(struct pmu_access_model *model,
					  u64 value)
{
	unsigned int counter;

	for (counter = 0; counter < 32; counter++) {
		u64 bit = BIT_ULL(counter);

		if (!(model->overflow_unknown & bit) ||
		    !(pmu_access_implemented(model) & bit))
			continue;
		model->overflows = (model->overflows & ~bit) | (value & bit);
		if (value & bit)
			model->late_flags &= ~bit;
		if (!pmu_access_counts_freely(model, counter) &&
		    !(model->late_flags & bit))
			model->overflow_unknown &= ~bit;
	}
}

static inline void pmu_access_write_count(struct pmu_access_model *model,
					  unsigned int counter, u64 value)
{
	model->count[counter] = value & pmu_access_counter_width_mask(model, counter);
	model->count_written[counter] = value;
	model->count_unknown &= ~BIT_ULL(counter);
	model->wrap_base_stale &= ~BIT_ULL(counter);
}

/*
 * PMSWINC_EL0: one SW_INCR for each enabled counter < N named in @value
 * whose filter counts at the writer's Exception level (CountPMUEvents()).
 * Returns the quirk that made a difference, or 0.
 */
static inline unsigned int pmu_access_software_increment(struct pmu_access_model *model,
							 u64 value, bool el0)
{
	bool unfiltered = model->config.quirks &
			  PMU_ACCESS_QUIRK_SOFTWARE_INCREMENT_UNFILTERED;
	unsigned int counter, quirk = 0;

	for (counter = 0; counter < model->config.counters; counter++) {
		if (!(value & BIT_ULL(counter)) ||
		    !pmu_access_counter_enabled(model, counter))
			continue;
		if (model->type_unknown & BIT_ULL(counter)) {
			model->count_unknown |= BIT_ULL(counter);
			model->overflow_unknown |= BIT_ULL(counter);
			continue;
		}
		if (pmu_access_event(model, counter) != PMU_ACCESS_EVENT_SW_INCR)
			continue;
		if (!pmu_access_filter_counts(model, counter, el0)) {
			if (!unfiltered)
				continue;
			quirk = PMU_ACCESS_QUIRK_SOFTWARE_INCREMENT_UNFILTERED;
		}
		quirk |= pmu_access_increment(model, counter, el0);
	}
	return quirk;
}

/* PMCR_EL0 write: the RW bits, then P (event counters) and C (PMCCNTR_EL0). */
static inline void pmu_access_write_pmcr(struct pmu_access_model *model, u64 value)
{
	u64 width_before = 0;
	unsigned int counter;

	for (counter = 0; counter < 32; counter++)
		if (pmu_access_overflows_at_64(model, counter))
			width_before |= BIT_ULL(counter);
	model->pmcr = (value & pmu_access_pmcr_rw(model)) |
		      pmu_access_pmcr_fixed(model);
	for (counter = 0; counter < 32; counter++)
		if (!!(width_before & BIT_ULL(counter)) !=
		    pmu_access_overflows_at_64(model, counter))
			model->wrap_base_stale |= BIT_ULL(counter);
	model->pmcr_written = value;
	if (value & PMU_MODEL_PMCR_P)
		for (counter = 0; counter < model->config.counters; counter++)
			pmu_access_write_count(model, counter, 0);
	if (value & PMU_MODEL_PMCR_C)
		pmu_access_write_count(model, PMU_ACCESS_CYCLE_COUNTER, 0);
}

/*
 * The state after @access completed with @outcome (one the expectation
 * allowed) and, for a read, @read. Reads teach what the model left open;
 * then whatever may count from now on becomes unknown. Returns the quirk
 * that changed the state, or 0.
 */
/*
 * Whether @access reaches an event counter that a CPU with the host's
 * smallest N lacks, while the VM's N has it
 * (PMU_ACCESS_QUIRK_STOCK_COUNTER_BEYOND_CPU).
 */
static inline bool pmu_access_beyond_smallest_cpu(const struct pmu_access_model *model,
						  const struct pmu_access *access)
{
	int counter = pmu_access_counter_of(model, access);

	if (counter < 0 || counter == PMU_ACCESS_CYCLE_COUNTER ||
	    model->config.hardware_counters >= model->config.counters)
		return false;
	if (access->reg != PMU_ACCESS_PMXEVCNTR &&
	    access->reg != PMU_ACCESS_PMXEVTYPER &&
	    access->reg < PMU_ACCESS_PMEVCNTR0)
		return false;
	return counter >= (int)model->config.hardware_counters &&
	       counter < (int)model->config.counters;
}

/*
 * What @access may do and, for a read that completes, what it must
 * return: the architecture's rules, then the quirks of config.quirks that
 * widen them.
 */
static inline void pmu_access_model_expect(const struct pmu_access_model *model,
					   const struct pmu_access *access,
					   struct pmu_access_expectation *expect)
{
	pmu_access_expect_architecture(model, access, expect);
	if ((model->config.quirks & PMU_ACCESS_QUIRK_STOCK_COUNTER_BEYOND_CPU) &&
	    !(expect->outcomes & PMU_ACCESS_UNDEFINED) &&
	    pmu_access_beyond_smallest_cpu(model, access)) {
		/*
		 * On that CPU the index is out of its range: UNDEFINED with
		 * FEAT_FGT. Without it the choice is CONSTRAINED
		 * UNPREDICTABLE; the model allows UNDEFINED alone (what QEMU
		 * does), as a RAZ read could not be told from a completed
		 * one: a PE that chooses RAZ/WI or NOP shows as a divergence
		 * whose rule is this one.
		 */
		expect->outcomes |= PMU_ACCESS_UNDEFINED;
		expect->rule = "stock KVM, PMUs of different N: UNDEFINED on a CPU with fewer counters";
		expect->quirk_if_undefined = PMU_ACCESS_QUIRK_STOCK_COUNTER_BEYOND_CPU;
	}
}

/* A completed read of an unknown type: its fields are what it holds. */
static inline void pmu_access_learn_type(struct pmu_access_model *model,
					 int counter, u64 read)
{
	if (counter < 0 || !(model->type_unknown & BIT_ULL(counter)))
		return;
	model->type[counter] = read & pmu_access_type_read_back(model, counter, ~0ULL);
	model->type_unknown &= ~BIT_ULL(counter);
}

static inline unsigned int pmu_access_model_commit(struct pmu_access_model *model,
						   const struct pmu_access *access,
						   enum pmu_access_outcome outcome, u64 read)
{
	unsigned int quirk = 0;
	unsigned int reg = access->reg;
	int counter = pmu_access_counter_of(model, access);
	u64 implemented = pmu_access_implemented(model);
	u64 value = access->value;

	if (outcome != PMU_ACCESS_DONE)
		goto counting;

	if (!access->write) {
		switch (reg) {
		case PMU_ACCESS_PMCR:
			if (!(model->learned & PMU_ACCESS_LEARNED_PMCR_ID)) {
				model->pmcr_id = read & PMU_ACCESS_PMCR_ID;
				model->learned |= PMU_ACCESS_LEARNED_PMCR_ID;
			}
			break;
		case PMU_ACCESS_PMCEID0:
		case PMU_ACCESS_PMCEID1: {
			unsigned int which = reg - PMU_ACCESS_PMCEID0;

			model->pmceid[which] = read;
			model->learned |= PMU_ACCESS_LEARNED_PMCEID0 << which;
			break;
		}
		case PMU_ACCESS_PMMIR:
			model->pmmir = read;
			model->learned |= PMU_ACCESS_LEARNED_PMMIR;
			break;
		case PMU_ACCESS_PMOVSSET:
		case PMU_ACCESS_PMOVSCLR:
			if (model->late_flags & implemented & ~read)
				quirk = PMU_ACCESS_QUIRK_OVERFLOW_FLAG_LATE;
			pmu_access_learn_flags(model, read);
			break;
		case PMU_ACCESS_PMCCNTR:
		case PMU_ACCESS_PMXEVCNTR:
			pmu_access_learn_count(model, counter, read);
			break;
		case PMU_ACCESS_PMCCFILTR:
		case PMU_ACCESS_PMXEVTYPER:
			pmu_access_learn_type(model, counter, read);
			break;
		default:
			if (reg >= PMU_ACCESS_PMEVTYPER0)
				pmu_access_learn_type(model, counter, read);
			else if (reg >= PMU_ACCESS_PMEVCNTR0)
				pmu_access_learn_count(model, counter, read);
			break;
		}
		goto counting;
	}

	switch (reg) {
	case PMU_ACCESS_PMCR:
		pmu_access_write_pmcr(model, value);
		break;
	case PMU_ACCESS_PMCNTENSET:
		model->enabled |= value & implemented;
		break;
	case PMU_ACCESS_PMCNTENCLR:
		model->enabled &= ~value;
		break;
	case PMU_ACCESS_PMINTENSET:
		model->interrupts |= value & implemented;
		break;
	case PMU_ACCESS_PMINTENCLR:
		model->interrupts &= ~value;
		break;
	case PMU_ACCESS_PMOVSSET:
		model->overflows |= value & implemented;
		break;
	case PMU_ACCESS_PMOVSCLR:
		model->overflows &= ~value;
		model->overflow_unknown &= ~(value & implemented);
		/*
		 * A counter that may have wrapped since its last value may
		 * have wrapped before this clear: that value is no base.
		 */
		model->wrap_base_stale |= value & model->count_unknown;
		/* A late flag may still come after the clear. */
		model->overflow_unknown |= model->late_flags;
		break;
	case PMU_ACCESS_PMSWINC:
		quirk = pmu_access_software_increment(model, value, access->el0);
		break;
	case PMU_ACCESS_PMSELR:
		model->select = value;
		break;
	case PMU_ACCESS_PMUSERENR:
		model->user_enable = value;
		break;
	case PMU_ACCESS_PMCCNTR:
	case PMU_ACCESS_PMXEVCNTR:
		pmu_access_write_count(model, counter, value);
		break;
	case PMU_ACCESS_PMCCFILTR:
	case PMU_ACCESS_PMXEVTYPER:
		model->type[counter] = value;
		model->type_unknown &= ~BIT_ULL(counter);
		break;
	default:
		if (reg >= PMU_ACCESS_PMEVTYPER0) {
			model->type[counter] = value;
			model->type_unknown &= ~BIT_ULL(counter);
		} else if (reg >= PMU_ACCESS_PMEVCNTR0) {
			pmu_access_write_count(model, counter, value);
		}
		break;
	}

counting:
	pmu_access_note_counting(model);
	return quirk;
}

#endif /* PMU_ACCESS_MODEL_H */
