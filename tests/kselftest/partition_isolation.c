// SPDX-License-Identifier: GPL-2.0-only
/*
 * The partition's isolation rules that a VMM or a guest could break, each
 * a regression test of a defect found in v0.2.0 (issue "Isolation holds
 * on every host kind"):
 *
 *  - event filtering by exception level: a guest's P/U (and NSK/NSU when
 *    its VM has EL3) decide where its counters count, on hosts with and
 *    without EL3, also when the VMM hides EL3 from the VM;
 *  - values the VMM stores with KVM_SET_ONE_REG reach the hardware only
 *    sanitised: no NSH, MT, SH or high bits, no PMCR_EL0.X, so no counting
 *    at EL2 whatever the PMU version;
 *  - PMCR_EL0 reads give one value whatever the trap state;
 *  - a VM's mode has one owner: a default partition that the VMM turns
 *    into another mode holds no claim, an explicit choice cannot change,
 *    a refused SET leaves a running VM as it was, and two vCPUs' first
 *    runs at once count the VM once;
 *  - PMCR_EL0.N = 0 is partitioned only with FEAT_HPMN0, else KVM_RUN of
 *    an explicit choice fails and a default one runs emulated;
 *  - a nested-virtualisation vCPU is refused;
 *  - HAS says what SET can do; the module parameter follows pmuctl's
 *    writes; the per-VM sysfs files are root's;
 *  - cpus/cpu<n>/owner, and pmuctl cpu show, name the partitioned vCPU
 *    running on CPU n, and last_owner the one that ran there last;
 *    pmuctl cpu show says every CPU is reserved while a partitioned VM
 *    exists and none of its vCPUs is loaded, and free once it is gone;
 *  - on a host whose PMUs differ in size, HPMN is the smallest PMU's N
 *    minus the reservation on every PMU, and host perf keeps [HPMN, N)
 *    of each (issue 11 defect 12).
 *
 * Usage: partition_isolation fgt|trap [races] [harness options]
 *        (kvm_pmu_partition loaded with default_mode=partitioned
 *        reserved_host_counters=2; trap: fgt=off, with or without
 *        fast_path; races: only first_run.*, the case that needs threads
 *        in parallel, for the rigs without -icount). The kselftest harness
 *        runs each test in a process of its own, with a fixture that
 *        creates its VM and a teardown that puts back what it changed;
 *        -l lists the tests, -f FIXTURE or -t TEST runs some of them. TAP
 *        names: FIXTURE[.VARIANT].TEST.
 * Host kinds: every rig variant of check.plan (-cpu max: FGT, FEAT_HPMN0,
 * PMUv3p5; -cpu neoverse-n1: no FGT, no FEAT_HPMN0, PMUv3p1; EL3 present)
 * and the split rig (two PMUs, 6 and 4 event counters).
 * Each test says which host kind can make it fail; a test that does not
 * apply to the host skips and says why.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <glob.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <linux/psci.h>

#include <uapi/linux/kvm_pmu_partition.h>

#include "pmu_test.h"
#include "rig_harness.h"

#define SYSFS		KVM_PMU_PARTITION_SYSFS_DIR
#define LOOP_K		2000
#define HVC_K		100
#define RACE_VMS	12

#define PFR0_EL3	GENMASK_ULL(15, 12)
#define DFR0_PMUVER	GENMASK_ULL(11, 8)
#define EVTYPE_P	ARMV8_PMU_EXCLUDE_EL1
#define EVTYPE_U	ARMV8_PMU_EXCLUDE_EL0
#define EVTYPE_NSK	ARMV8_PMU_EXCLUDE_NS_EL1
#define EVTYPE_NSU	ARMV8_PMU_EXCLUDE_NS_EL0
#define EVTYPE_NSH	ARMV8_PMU_INCLUDE_EL2
#define EVTYPE_M	ARMV8_PMU_EXCLUDE_EL3
#define EVTYPE_MT	BIT(25)
#define EVTYPE_SH	BIT(24)

/*
 * Timeouts, seconds of the rig's clock (virtual time under -icount). The
 * whole program takes about 0.6 s of it on the normal kernel under
 * -icount (make check); the bounds leave room for the debug kernel and
 * for rigs without -icount, below the plans' timeout for the whole entry
 * (300 s in check.plan), so that the harness, not the plan, ends a test
 * that hangs. The racing first runs create RACE_VMS VMs of two vCPUs, on
 * the debug kernel without -icount (debug.plan: 1200 s for the entry).
 */
#define VM_TEST_TIMEOUT		120
#define RACE_TEST_TIMEOUT	600

static bool icount;
static uint64_t expected_n;

/* ------------------------------------------------------------ host side */

static bool within_one_percent(uint64_t value, uint64_t expected)
{
	return value * 100 >= expected * 99 && value * 100 <= expected * 101;
}

static int attr_set(struct kvm_vcpu *vcpu, uint64_t attribute)
{
	return pmu_attr(vcpu, KVM_SET_DEVICE_ATTR, attribute, NULL);
}

/* CPU @cpu (not 0, which cannot go offline) is online. */
static bool cpu_online(int cpu)
{
	char path[64], value[8];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	return read_line(path, value, sizeof(value)) && !strcmp(value, "1");
}

/*
 * A fixture of one VM per test: one vCPU with PMUv3, its PMU not
 * initialised yet (a test may still choose a mode and set registers), a
 * vGICv3 and exception vectors; the test gives the guest code
 * (vcpu_arch_set_entry_point()). Teardown destroys the VM unless the test
 * did (tvm_gone(): a test of what happens when the VM goes).
 */
#define TVM_FIXTURE(name)						\
	FIXTURE(name) {							\
		struct tvm t;						\
	};								\
	FIXTURE_SETUP(name)						\
	{								\
		tvm_add(&self->t, guest_sync_forever, true);		\
	}								\
	FIXTURE_TEARDOWN(name)						\
	{								\
		if (self->t.vm)						\
			tvm_destroy(&self->t);				\
	}

static void tvm_gone(struct tvm *t)
{
	tvm_destroy(t);
	t->vm = NULL;
}

/* -------------------------------------------------- event filters by EL */

#define FILTER_ROUNDS	3	/* loops counted per filter case */

/* The counter-0 type and PMCCFILTR each round uses, set by the host. */
static uint64_t filter_type, cycle_filter;

/*
 * Counts a LOOP_K x LOOP_INSNS-instruction loop at EL1 (the guest runs no
 * EL0 code) on counter 0 (INST_RETIRED with filter_type's filter bits)
 * and the cycle counter (cycle_filter), and reports both and what the
 * guest reads back, round after round.
 */
static void guest_filtered_loop(void)
{
	uint64_t inst, cycles;

	for (;;) {
		write_sysreg(0, pmcr_el0);
		write_sysreg(ARMV8_PMUV3_PERFCTR_INST_RETIRED | READ_ONCE(filter_type),
			     pmevtyper0_el0);
		write_sysreg(READ_ONCE(cycle_filter), pmccfiltr_el0);
		guest_count_nop_loop(LOOP_K, &inst, &cycles);
		ucall(UCALL_SYNC, 5, inst, cycles, read_sysreg(pmevtyper0_el0),
		      read_sysreg(pmccfiltr_el0), read_sysreg(id_aa64pfr0_el1));
	}
}

struct filter_case {
	uint64_t type;		/* counter 0's filter bits */
	bool counts;		/* the guest's EL1 loop is counted */
	bool needs_vm_el3;	/* NSK/NSU mean something only then */
};

/*
 * Rule (Arm ARM, PMEVTYPER<n>_EL0): without EL3, EL1 counts when P == 0;
 * with EL3 in the VM's view, Non-secure EL1 counts when P == NSK. The
 * guest's loop runs at EL1, so counter 0 must count it exactly when its
 * filter says EL1, and the cycle counter the same with PMCCFILTR. On a
 * host with EL3 (the EL3 rig variant) the module must give the hardware
 * values whose live NSK/NSU/M bits mean what the guest asked, with and
 * without EL3 in the VM's ID registers (v0.2.0 copied P into NSK there,
 * which made the guest's own EL1 exclusion count).
 *
 * Checks one case of the rule on @t's vCPU (its PMU initialised, its
 * guest guest_filtered_loop); @el3_hidden: the VMM hid EL3 from the VM.
 */
static void check_filtered_loop(struct __test_metadata *_metadata, struct tvm *t,
				const struct filter_case *c, bool el3_hidden)
{
	uint64_t expected = (uint64_t)LOOP_K * LOOP_INSNS, inst, cycles;
	struct ucall uc;
	int round;

	if (c->needs_vm_el3 &&
	    !FIELD_GET(PFR0_EL3, get_reg(t->vcpu, SYS_ID_AA64PFR0_EL1)))
		SKIP(return, "the VM has no EL3");
	filter_type = c->type;
	cycle_filter = c->type & ~(uint64_t)ARMV8_PMU_EVTYPE_EVENT;
	sync_global_to_guest(t->vm, filter_type);
	sync_global_to_guest(t->vm, cycle_filter);
	/*
	 * The least of FILTER_ROUNDS for a counting filter, the most for one
	 * that excludes: QEMU's INST_RETIRED under -icount is the instruction
	 * count of every CPU, so another CPU's work during one loop only ever
	 * adds.
	 */
	inst = c->counts ? ~0ULL : 0;
	cycles = inst;
	for (round = 0; round < FILTER_ROUNDS; round++) {
		ASSERT_EQ(UCALL_SYNC, run_to_ucall(t->vcpu, &uc));
		inst = c->counts ? min_u64(inst, uc.args[0]) : inst | uc.args[0];
		cycles = c->counts ? min_u64(cycles, uc.args[1]) : cycles | uc.args[1];
	}
	ksft_print_msg("%stype 0x%lx reads 0x%lx, PMCCFILTR reads 0x%lx; INST_RETIRED %lu, CPU_CYCLES %lu (loop %lu)\n",
		       el3_hidden ? "EL3 hidden, " : "", c->type, uc.args[2],
		       uc.args[3], inst, cycles, expected);
	if (el3_hidden)
		EXPECT_EQ(0, FIELD_GET(PFR0_EL3, uc.args[4]))
			TH_LOG("the guest still sees EL3");
	if (c->counts) {
		EXPECT_LE(expected, inst);
		EXPECT_LE(expected, cycles);
		if (icount)
			EXPECT_GT(expected + 64, inst);
	} else {
		EXPECT_EQ(0, inst);
		EXPECT_EQ(0, cycles);
	}
}

/*
 * event_filter.<case>.guest_el1_loop: a VM with the host's ID registers.
 * Host kinds: every rig; the NSK cases skip where the VM has no EL3 (all
 * but the EL3 rigs).
 */
FIXTURE(event_filter) {
	struct tvm t;
};

FIXTURE_VARIANT(event_filter) {
	struct filter_case c;
};

FIXTURE_VARIANT_ADD(event_filter, el1_counted) {
	.c = { 0, true, false },
};

FIXTURE_VARIANT_ADD(event_filter, p_excludes_el1) {
	.c = { EVTYPE_P, false, false },
};

FIXTURE_VARIANT_ADD(event_filter, u_does_not_exclude_el1) {
	.c = { EVTYPE_U, true, false },
};

FIXTURE_VARIANT_ADD(event_filter, p_and_nsk_count_el1) {
	.c = { EVTYPE_P | EVTYPE_NSK, true, true },
};

FIXTURE_VARIANT_ADD(event_filter, nsk_alone_excludes_el1) {
	.c = { EVTYPE_NSK, false, true },
};

FIXTURE_SETUP(event_filter)
{
	tvm_add(&self->t, guest_filtered_loop, true);
	pmu_vcpu_init(self->t.vcpu);
}

FIXTURE_TEARDOWN(event_filter)
{
	tvm_destroy(&self->t);
}

TEST_F_TIMEOUT(event_filter, guest_el1_loop, VM_TEST_TIMEOUT)
{
	check_filtered_loop(_metadata, &self->t, &variant->c, false);
}

/*
 * vm_without_el3_on_an_el3_host.<case>.guest_el1_loop: the VMM clears
 * ID_AA64PFR0_EL1.EL3; without EL3 the P and U cases say it all. Host
 * kinds: the EL3 rigs; skipped on a host without EL3.
 */
FIXTURE(vm_without_el3_on_an_el3_host) {
	struct tvm t;
};

FIXTURE_VARIANT(vm_without_el3_on_an_el3_host) {
	struct filter_case c;
};

FIXTURE_VARIANT_ADD(vm_without_el3_on_an_el3_host, p_excludes_el1) {
	.c = { EVTYPE_P, false, false },
};

FIXTURE_VARIANT_ADD(vm_without_el3_on_an_el3_host, u_does_not_exclude_el1) {
	.c = { EVTYPE_U, true, false },
};

FIXTURE_SETUP(vm_without_el3_on_an_el3_host)
{
	uint64_t pfr0;

	tvm_add(&self->t, guest_filtered_loop, true);
	pfr0 = get_reg(self->t.vcpu, SYS_ID_AA64PFR0_EL1);
	if (!FIELD_GET(PFR0_EL3, pfr0))
		SKIP(return, "the host has no EL3");
	vcpu_set_reg(self->t.vcpu, KVM_ARM64_SYS_REG(SYS_ID_AA64PFR0_EL1),
		     pfr0 & ~PFR0_EL3);
	pmu_vcpu_init(self->t.vcpu);
}

FIXTURE_TEARDOWN(vm_without_el3_on_an_el3_host)
{
	tvm_destroy(&self->t);
}

TEST_F_TIMEOUT(vm_without_el3_on_an_el3_host, guest_el1_loop, VM_TEST_TIMEOUT)
{
	check_filtered_loop(_metadata, &self->t, &variant->c, true);
}

/* ----------------------------------------------- ONE_REG sanitisation */

/*
 * Reads back what the VMM stored, then counts HVC loops on counter 0 and
 * the cycle counter with the event types as the VMM left them.
 */
static void guest_hvcs_as_set(void)
{
	uint64_t inst[2], cycles[2];

	ucall(UCALL_SYNC, 3, read_sysreg(pmevtyper0_el0), read_sysreg(pmccfiltr_el0),
	      read_sysreg(pmcr_el0));
	guest_count_hvc_loop(HVC_K, &inst[0], &cycles[0]);
	guest_count_hvc_loop(2 * HVC_K, &inst[1], &cycles[1]);
	ucall(UCALL_SYNC, 2, inst[1] - inst[0], cycles[1] - cycles[0]);
	GUEST_DONE();
}

/*
 * Rule: whatever a VMM stores with KVM_SET_ONE_REG, the hardware gets the
 * sanitised value and the guest reads what its own write of it would
 * leave: no MT (other threads), SH, bits above 31 in the event types, no
 * PMCR_EL0.X; NSH only where the VM's ID_AA64PFR0_EL1 shows EL2 (stock
 * 6.12 shows every VM the host's, and keeps NSH: docs/conformance.md),
 * and never in the hardware. The guest never writes its types here; it
 * only runs HVC loops: every HVC is a full exit through EL2, so its
 * counters must count only its own 4 instructions per iteration. Fails on
 * a host without PMUv3p5 (no HPMD/HCCD, the neoverse-n1 variant) if the
 * raw NSH reaches the hardware; the read-back fails everywhere.
 *
 * The fixture: a VM whose VMM stored dirty values (NSH, MT, SH, high
 * bits; PMCR_EL0.X) in PMEVTYPER0_EL0 and PMCCFILTR_EL0 before its first
 * run.
 */
FIXTURE(one_reg) {
	struct tvm t;
	uint64_t nsh;	/* NSH where the guest reads it back, else 0 */
};

FIXTURE_SETUP(one_reg)
{
	uint64_t dirty = EVTYPE_NSH | EVTYPE_MT | EVTYPE_SH | GENMASK_ULL(63, 32);
	struct kvm_vcpu *vcpu;
	uint64_t pmcr;

	vcpu = tvm_add(&self->t, guest_hvcs_as_set, true);
	pmu_vcpu_init(vcpu);
	pmcr = get_reg(vcpu, SYS_PMCR_EL0);
	/* ID_AA64PFR0_EL1.EL2, bits [11:8]: NSH is a field the guest reads back. */
	self->nsh = (get_reg(vcpu, SYS_ID_AA64PFR0_EL1) >> 8) & 0xf ? EVTYPE_NSH : 0;
	vcpu_set_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMEVTYPERn_EL0(0)),
		     ARMV8_PMUV3_PERFCTR_INST_RETIRED | dirty);
	vcpu_set_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMCCFILTR_EL0), dirty);
	vcpu_set_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMCNTENSET_EL0), BIT(0) | BIT(31));
	vcpu_set_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMCR_EL0),
		     pmcr | ARMV8_PMU_PMCR_E | ARMV8_PMU_PMCR_X | ARMV8_PMU_PMCR_LC);
}

FIXTURE_TEARDOWN(one_reg)
{
	tvm_destroy(&self->t);
}

/* Host kinds: every rig. */
TEST_F_TIMEOUT(one_reg, values_read_back_sanitised, VM_TEST_TIMEOUT)
{
	struct ucall uc;

	ASSERT_EQ(UCALL_SYNC, run_to_ucall(self->t.vcpu, &uc));
	ksft_print_msg("the guest reads PMEVTYPER0 0x%lx PMCCFILTR 0x%lx PMCR 0x%lx\n",
		       uc.args[0], uc.args[1], uc.args[2]);
	EXPECT_EQ(ARMV8_PMUV3_PERFCTR_INST_RETIRED | self->nsh, uc.args[0]);
	EXPECT_EQ(self->nsh, uc.args[1]);
	EXPECT_FALSE(uc.args[2] & ARMV8_PMU_PMCR_X);
}

/* Host kinds: every rig; a raw NSH counts EL2 without PMUv3p5 (neoverse-n1). */
TEST_F_TIMEOUT(one_reg, nsh_does_not_count_el2, VM_TEST_TIMEOUT)
{
	uint64_t expected = (uint64_t)HVC_K * HVC_LOOP_INSNS;
	struct ucall uc;

	ASSERT_EQ(UCALL_SYNC, run_to_ucall(self->t.vcpu, &uc));
	ASSERT_EQ(UCALL_SYNC, run_to_ucall(self->t.vcpu, &uc));
	ksft_print_msg("%d more HVCs: INST_RETIRED +%lu, CPU_CYCLES +%lu (guest-only %lu)\n",
		       HVC_K, uc.args[0], uc.args[1], expected);
	/*
	 * One HVC round trip through EL2 is about 1,500 instructions (rig.md):
	 * counting EL2 would add far more than the 1% QEMU's bookkeeping of a
	 * restarted counter may (seen: one instruction).
	 */
	if (icount) {
		EXPECT_TRUE(within_one_percent(uc.args[0], expected));
		EXPECT_TRUE(within_one_percent(uc.args[1], expected));
	} else {
		EXPECT_GE(2 * expected, uc.args[0]);
	}
}

/* ------------------------------------------------------ PMCR one value */

static void guest_pmcr_reads(void)
{
	uint64_t first = read_sysreg(pmcr_el0), second, third;

	write_sysreg(first | ARMV8_PMU_PMCR_E | ARMV8_PMU_PMCR_LC, pmcr_el0);
	isb();
	second = read_sysreg(pmcr_el0);
	ucall(UCALL_SYNC, 5, first, second, 0, 0, 0);
	/* After an exit to user space: vcpu_put and vcpu_load. */
	third = read_sysreg(pmcr_el0);
	write_sysreg(0, pmcr_el0);
	isb();
	ucall(UCALL_SYNC, 5, third, read_sysreg(pmcr_el0), 0, 0, 0);
	GUEST_DONE();
}

TVM_FIXTURE(pmcr)

/*
 * Rule: every guest read of PMCR_EL0 gives one value for its read-only
 * fields (IMP, IDCODE, N), whether the read traps (the first access after
 * vcpu_load, or MDCR_EL2.TPMCR without FGT) or not (FGT, PMU guest-owned).
 * v0.2.0 gave IMP = 0 when trapped and the hardware's otherwise, with FGT.
 * Host kinds: every rig (FGT and trap policies).
 */
TEST_F_TIMEOUT(pmcr, reads_give_one_value_whatever_the_trap_state, VM_TEST_TIMEOUT)
{
	uint64_t reads[4], fixed = GENMASK_ULL(31, 11);
	struct kvm_vcpu *vcpu = self->t.vcpu;
	struct ucall uc;
	int i;

	vcpu_arch_set_entry_point(vcpu, guest_pmcr_reads);
	pmu_vcpu_init(vcpu);
	ASSERT_EQ(UCALL_SYNC, run_to_ucall(vcpu, &uc));
	reads[0] = uc.args[0];
	reads[1] = uc.args[1];
	ASSERT_EQ(UCALL_SYNC, run_to_ucall(vcpu, &uc));
	reads[2] = uc.args[0];
	reads[3] = uc.args[1];
	ksft_print_msg("PMCR_EL0 reads: first 0x%lx, after a write 0x%lx, after an exit 0x%lx, after clearing 0x%lx\n",
		       reads[0], reads[1], reads[2], reads[3]);
	for (i = 1; i < 4; i++)
		EXPECT_EQ(reads[0] & fixed, reads[i] & fixed)
			TH_LOG("read %d differs from the first in IMP, IDCODE or N", i);
	EXPECT_EQ(expected_n, FIELD_GET(ARMV8_PMU_PMCR_N, reads[0]));
	EXPECT_TRUE(reads[1] & ARMV8_PMU_PMCR_E);
	EXPECT_FALSE(reads[3] & ARMV8_PMU_PMCR_E);
}

/* ----------------------------------------------------- mode ownership */

/* Counts a loop on the cycle counter; one ucall per call. */
static void guest_cycles_rounds(void)
{
	write_sysreg(0, pmccfiltr_el0);
	write_sysreg(BIT(31), pmcntenset_el0);
	write_sysreg(ARMV8_PMU_PMCR_LC | ARMV8_PMU_PMCR_E, pmcr_el0);
	isb();
	for (;;) {
		for (int i = 0; i < 1000; i++)
			asm volatile("nop");
		ucall(UCALL_SYNC, 5, read_sysreg(pmccntr_el0), 0, 0, 0, 0);
	}
}

/*
 * Rule: only a partition the VMM chose takes the claim at SET; a default
 * one that the VMM turns into the fixed-counters-only PMU never holds it;
 * a chosen mode cannot be changed (EEXIST); and counts return to 0 when
 * the VM goes (v0.2.0 kept the claim of partitioned-then-fixed VMs until
 * rmmod, and counted partitioned VMs twice).
 * Host kinds: every rig (the rule does not depend on the PMU).
 */
TVM_FIXTURE(mode)

TEST_F_TIMEOUT(mode, default_partition_turned_fixed_holds_no_claim, VM_TEST_TIMEOUT)
{
	struct kvm_vcpu *vcpu = self->t.vcpu;
	uint64_t n = 0;

	EXPECT_ERRNO(0, attr_set(vcpu, KVM_PMU_PARTITION_ATTR_FIXED_COUNTERS_ONLY));
	EXPECT_EQ(0, read_sysfs_long("counters_claimed"));
	EXPECT_EQ(0, read_sysfs_long("partitioned_vms"));
	EXPECT_ERRNO(ENXIO, pmu_attr(vcpu, KVM_GET_DEVICE_ATTR,
				     KVM_PMU_PARTITION_ATTR_PARTITIONED, &n));
	EXPECT_ERRNO(0, pmu_attr(vcpu, KVM_GET_DEVICE_ATTR,
				 KVM_PMU_PARTITION_ATTR_FIXED_COUNTERS_ONLY, NULL));
	tvm_gone(&self->t);
	EXPECT_EQ(0, read_sysfs_long("counters_claimed"));
}

TEST_F_TIMEOUT(mode, chosen_partition_then_fixed_is_eexist, VM_TEST_TIMEOUT)
{
	struct kvm_vcpu *vcpu = self->t.vcpu;

	ASSERT_ERRNO(0, attr_set(vcpu, KVM_PMU_PARTITION_ATTR_PARTITIONED));
	EXPECT_ERRNO(EEXIST, attr_set(vcpu, KVM_PMU_PARTITION_ATTR_FIXED_COUNTERS_ONLY));
}

TEST_F_TIMEOUT(mode, chosen_partition_releases_its_claim_with_the_vm, VM_TEST_TIMEOUT)
{
	struct kvm_vcpu *vcpu = self->t.vcpu;

	EXPECT_ERRNO(0, attr_set(vcpu, KVM_PMU_PARTITION_ATTR_PARTITIONED));
	EXPECT_EQ(1, read_sysfs_long("counters_claimed"));
	EXPECT_EQ(1, read_sysfs_long("partitioned_vms"));
	EXPECT_ERRNO(EEXIST, attr_set(vcpu, KVM_PMU_PARTITION_ATTR_FIXED_COUNTERS_ONLY));
	EXPECT_EQ(1, read_sysfs_long("partitioned_vms"));
	tvm_gone(&self->t);
	EXPECT_EQ(0, read_sysfs_long("counters_claimed"));
	EXPECT_EQ(0, read_sysfs_long("partitioned_vms"));
}

/*
 * Rule: a SET refused because the VM ran leaves the VM in its mode, and
 * the partitioned vCPU keeps counting on its hardware counters (v0.2.0
 * made a default-partitioned VM emulated before it validated the SET).
 */
TEST_F_TIMEOUT(mode, refused_set_on_a_running_vm_changes_nothing, VM_TEST_TIMEOUT)
{
	struct kvm_vcpu *vcpu = self->t.vcpu;
	uint64_t n = 0, before, after;
	struct ucall uc;
	int err;

	vcpu_arch_set_entry_point(vcpu, guest_cycles_rounds);
	pmu_vcpu_init(vcpu);
	ASSERT_EQ(UCALL_SYNC, run_to_ucall(vcpu, &uc));
	before = uc.args[0];
	err = attr_set(vcpu, KVM_PMU_PARTITION_ATTR_FIXED_COUNTERS_ONLY);
	EXPECT_ERRNO(EBUSY, err);
	EXPECT_ERRNO(0, pmu_attr(vcpu, KVM_GET_DEVICE_ATTR,
				 KVM_PMU_PARTITION_ATTR_PARTITIONED, &n));
	EXPECT_EQ(expected_n, n);
	EXPECT_EQ(1, read_sysfs_long("partitioned_vms"));
	ASSERT_EQ(UCALL_SYNC, run_to_ucall(vcpu, &uc));
	after = uc.args[0];
	ksft_print_msg("SET after the run: %s; GET N %lu; cycles %lu then %lu\n",
		       rig_errno_name(err), n, before, after);
	EXPECT_LT(before + 1000, after);
}

/* ------------------------------------------------- racing first runs */

struct racing_run {
	struct kvm_vcpu *vcpu;
	pthread_barrier_t *barrier;
	int cpu;		/* each thread on a CPU of its own */
	int err;
};

static void *racing_run_thread(void *arg)
{
	struct racing_run *f = arg;
	struct ucall uc;

	/* main() pinned the process to CPU 0; threads inherit that. */
	pin_to_cpu(f->cpu);
	pthread_barrier_wait(f->barrier);
	f->err = _vcpu_run(f->vcpu) ? errno : 0;
	if (!f->err && get_ucall(f->vcpu, &uc) != UCALL_SYNC)
		f->err = EIO;
	return NULL;
}

/* The fixture: no partitioned VM at the start, the rule's zero. */
FIXTURE(first_run) {
	long partitioned_vms;
};

FIXTURE_SETUP(first_run)
{
	self->partitioned_vms = read_sysfs_long("partitioned_vms");
	ASSERT_EQ(0, self->partitioned_vms)
		TH_LOG("a partitioned VM exists before the test's first");
}

FIXTURE_TEARDOWN(first_run)
{
}

/*
 * Rule: a VM's mode is fixed once, by whichever vCPU runs first; two
 * vCPUs' first KVM_RUN at the same time count the VM once (v0.2.0 read
 * the mode before its lock and could count it twice, making
 * partitioned_vms underflow).
 * Where it can fail: only if both first runs are in the kernel at once,
 * on CPUs 0 and 1, inside a window of a few instructions; nothing here
 * shows that they overlapped. Under make check's -icount QEMU runs the
 * rig's CPUs one at a time, so there it checks the outcome; make
 * check-debug also runs it alone ("races") without -icount (host threads
 * in parallel). What proves the rule is lockdep there: the first-run
 * hook's lockdep_assert_held() says every decision is made under
 * config_lock.
 */
TEST_F_TIMEOUT(first_run, concurrent_first_runs_count_the_vm_once, RACE_TEST_TIMEOUT)
{
	long most = 0, during;
	bool ok = true;
	int v, i;

	for (v = 0; v < RACE_VMS && ok; v++) {
		struct kvm_vcpu_init init;
		struct racing_run runs[2];
		pthread_barrier_t barrier;
		pthread_t threads[2];
		struct kvm_vm *vm;
		int gic_fd;

		vm = vm_create(2);
		vm_ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init);
		init.features[0] |= 1 << KVM_ARM_VCPU_PMU_V3;
		pthread_barrier_init(&barrier, NULL, 2);
		for (i = 0; i < 2; i++) {
			runs[i].vcpu = aarch64_vcpu_add(vm, i, &init, guest_sync_forever);
			runs[i].barrier = &barrier;
			runs[i].cpu = i && cpu_online(i) ? i : 0;
		}
		gic_fd = vgic_v3_setup(vm, 2, 64);
		for (i = 0; i < 2; i++)
			pmu_vcpu_init(runs[i].vcpu);
		for (i = 0; i < 2; i++)
			ASSERT_EQ(0, pthread_create(&threads[i], NULL, racing_run_thread,
						    &runs[i]));
		for (i = 0; i < 2; i++) {
			pthread_join(threads[i], NULL);
			if (runs[i].err)
				ksft_print_msg("VM %d, vCPU %d: first KVM_RUN: %s\n",
					       v, i, strerror(runs[i].err));
			ok &= !runs[i].err;
		}
		during = read_sysfs_long("partitioned_vms");
		most = during > most ? during : most;
		ok &= during == 1;
		pthread_barrier_destroy(&barrier);
		close(gic_fd);
		kvm_vm_free(vm);
		ok &= read_sysfs_long("partitioned_vms") == 0;
	}
	ksft_print_msg("%d VMs with two racing first runs: partitioned_vms at most %ld, now %ld\n",
		       v, most, read_sysfs_long("partitioned_vms"));
	EXPECT_TRUE(ok)
		TH_LOG("VM %d: a first run failed, or partitioned_vms was not 1 with the VM, 0 without",
		       v - 1);
	EXPECT_EQ(RACE_VMS, v);
	EXPECT_EQ(0, read_sysfs_long("counters_claimed"));
}

/* --------------------------------------------------------- N = 0, NV */

/*
 * Guest: PMCR_EL0.N, and the cycles of a 1000-nop loop counted from a
 * reset (PMCR_EL0.C), so that only a counting cycle counter reads
 * 1000 or more and a reset one below 2^32.
 */
static void guest_reads_n_and_cycles(void)
{
	write_sysreg(0, pmccfiltr_el0);
	write_sysreg(BIT(31), pmcntenset_el0);
	write_sysreg(ARMV8_PMU_PMCR_LC | ARMV8_PMU_PMCR_C, pmcr_el0);
	isb();
	write_sysreg(ARMV8_PMU_PMCR_LC | ARMV8_PMU_PMCR_E, pmcr_el0);
	isb();
	for (int i = 0; i < 1000; i++)
		asm volatile("nop");
	write_sysreg(ARMV8_PMU_PMCR_LC, pmcr_el0);
	isb();
	ucall(UCALL_SYNC, 5, FIELD_GET(ARMV8_PMU_PMCR_N, read_sysreg(pmcr_el0)),
			read_sysreg(pmccntr_el0), 0, 0, 0);
	GUEST_DONE();
}

/*
 * Rule: a partition with no event counters needs MDCR_EL2.HPMN = 0, which
 * only FEAT_HPMN0 makes defined. With it the VM runs partitioned with
 * N = 0 and a counting cycle counter; without it (the neoverse-n1
 * variant) the first KVM_RUN of a VMM's explicit choice fails with EINVAL
 * and a log line (v0.2.0 made it emulated without a word), and a default
 * one runs with KVM's emulation, with a log line.
 * Host kinds: with FEAT_HPMN0 (-cpu max) and without (neoverse-n1); each
 * test says which rule it checked.
 */
TVM_FIXTURE(zero_counters)

/* FEAT_HPMN0 on the host, as the module found it on CPU 0. */
static bool host_has_hpmn0(void)
{
	return read_sysfs_long("cpus/cpu0/hpmn0") == 1;
}

/*
 * The fixture's VM with PMCR_EL0.N = 0, @chosen by its VMM or by
 * default_mode; 0 or the errno of its first KVM_RUN, with a kernel log
 * mark taken before it in @kmsg.
 */
static int first_run_with_n_0(struct __test_metadata *_metadata, struct tvm *t,
			      bool chosen, int *kmsg)
{
	uint64_t pmcr;

	vcpu_arch_set_entry_point(t->vcpu, guest_reads_n_and_cycles);
	if (chosen)
		EXPECT_ERRNO(0, attr_set(t->vcpu, KVM_PMU_PARTITION_ATTR_PARTITIONED));
	pmcr = get_reg(t->vcpu, SYS_PMCR_EL0);
	vcpu_set_reg(t->vcpu, KVM_ARM64_SYS_REG(SYS_PMCR_EL0), pmcr & ~ARMV8_PMU_PMCR_N);
	pmu_vcpu_init(t->vcpu);
	*kmsg = kmsg_mark();
	return _vcpu_run(t->vcpu) ? errno : 0;
}

/* With FEAT_HPMN0: the first run ran partitioned with N = 0. */
static void check_runs_with_hpmn0(struct __test_metadata *_metadata, struct tvm *t,
				  const char *name, int err)
{
	struct ucall uc;
	uint64_t n = ~0ULL;

	ASSERT_ERRNO(0, err);
	ASSERT_EQ(UCALL_SYNC, get_ucall(t->vcpu, &uc));
	ksft_print_msg("%s N = 0 with FEAT_HPMN0: run ok, guest N %lu, cycles %lu\n",
		       name, uc.args[0], uc.args[1]);
	EXPECT_EQ(0, uc.args[0]);
	EXPECT_LE(1000, uc.args[1]);
	EXPECT_GT(BIT_ULL(32), uc.args[1]);
	EXPECT_ERRNO(0, pmu_attr(t->vcpu, KVM_GET_DEVICE_ATTR,
				 KVM_PMU_PARTITION_ATTR_PARTITIONED, &n));
	EXPECT_EQ(0, n);
}

TEST_F_TIMEOUT(zero_counters, chosen_partition_with_n_0, VM_TEST_TIMEOUT)
{
	int kmsg, err;

	err = first_run_with_n_0(_metadata, &self->t, true, &kmsg);
	if (host_has_hpmn0()) {
		close(kmsg);
		check_runs_with_hpmn0(_metadata, &self->t, "chosen", err);
		return;
	}
	/* A VM that cannot run holds no counters from host perf. */
	ksft_print_msg("chosen N = 0 without FEAT_HPMN0: first KVM_RUN %s\n",
		       rig_errno_name(err));
	EXPECT_ERRNO(EINVAL, err);
	EXPECT_TRUE(kmsg_has(kmsg, "KVM_RUN fails with EINVAL"));
	EXPECT_EQ(0, read_sysfs_long("counters_claimed"));
}

/* Without FEAT_HPMN0: a retry fails the same way, and claims nothing either. */
TEST_F_TIMEOUT(zero_counters, retried_kvm_run_of_a_chosen_n_0_vm_fails_and_claims_nothing,
	       VM_TEST_TIMEOUT)
{
	int kmsg, err;

	if (host_has_hpmn0())
		SKIP(return, "FEAT_HPMN0: that VM's first KVM_RUN succeeds");
	err = first_run_with_n_0(_metadata, &self->t, true, &kmsg);
	close(kmsg);
	ASSERT_ERRNO(EINVAL, err);
	EXPECT_ERRNO(EINVAL, _vcpu_run(self->t.vcpu) ? errno : 0);
	EXPECT_EQ(0, read_sysfs_long("counters_claimed"));
}

TEST_F_TIMEOUT(zero_counters, default_partition_with_n_0, VM_TEST_TIMEOUT)
{
	uint64_t n = ~0ULL;
	int kmsg, err;

	err = first_run_with_n_0(_metadata, &self->t, false, &kmsg);
	if (host_has_hpmn0()) {
		close(kmsg);
		check_runs_with_hpmn0(_metadata, &self->t, "default", err);
		return;
	}
	ksft_print_msg("default N = 0 without FEAT_HPMN0: first KVM_RUN %s\n",
		       rig_errno_name(err));
	EXPECT_ERRNO(0, err);
	EXPECT_TRUE(kmsg_has(kmsg, "FEAT_HPMN0"));
	EXPECT_ERRNO(ENXIO, pmu_attr(self->t.vcpu, KVM_GET_DEVICE_ATTR,
				     KVM_PMU_PARTITION_ATTR_PARTITIONED, &n));
}

/*
 * A VM and its vCPU 0 with PMUv3 and the @features the VMM asks for at
 * KVM_ARM_VCPU_INIT; 0 or the errno of the INIT.
 */
static int vcpu_with_features(struct kvm_vm **vm, struct kvm_vcpu **vcpu,
			      uint32_t features)
{
	struct kvm_vcpu_init init;

	*vm = vm_create(1);
	vm_ioctl(*vm, KVM_ARM_PREFERRED_TARGET, &init);
	init.features[0] |= 1 << KVM_ARM_VCPU_PMU_V3 | features;
	*vcpu = __vm_vcpu_add(*vm, 0);
	return __vcpu_ioctl(*vcpu, KVM_ARM_VCPU_INIT, &init) ? errno : 0;
}

/*
 * Rule: a vCPU with EL2 (KVM_ARM_VCPU_HAS_EL2, nested virtualisation) is
 * never partitioned: the fast path would emulate an L2 guest's traps
 * against the hardware, bypassing L1's MDCR_EL2. 6.12 refuses the feature
 * itself (KVM_VCPU_MAX_FEATURES); the module also refuses such a VM
 * (docs/partition.md). Either way: INIT fails or the VM is not
 * partitioned, and nothing is claimed.
 * Host kinds: every rig (6.12 refuses the feature on each).
 */
FIXTURE(nested_virtualisation) {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	int init_err;
};

FIXTURE_SETUP(nested_virtualisation)
{
	self->init_err = vcpu_with_features(&self->vm, &self->vcpu,
					    1 << KVM_ARM_VCPU_HAS_EL2);
}

FIXTURE_TEARDOWN(nested_virtualisation)
{
	kvm_vm_free(self->vm);
}

TEST_F_TIMEOUT(nested_virtualisation, vm_is_not_partitioned, VM_TEST_TIMEOUT)
{
	uint64_t n;
	int err;

	if (self->init_err) {
		ksft_print_msg("KVM_ARM_VCPU_INIT with EL2: %s (KVM refuses it)\n",
			       strerror(self->init_err));
	} else {
		err = attr_set(self->vcpu, KVM_PMU_PARTITION_ATTR_PARTITIONED);
		ksft_print_msg("a vCPU with EL2: SET %s\n", rig_errno_name(err));
		EXPECT_ERRNO(EINVAL, err);
		EXPECT_ERRNO(ENXIO, pmu_attr(self->vcpu, KVM_GET_DEVICE_ATTR,
					     KVM_PMU_PARTITION_ATTR_PARTITIONED, &n));
	}
	EXPECT_EQ(0, read_sysfs_long("counters_claimed"));
}

/* ---------------------------------------------------------- UAPI, sysfs */

/*
 * Rule: HAS returns 0 only where a SET could succeed: ENXIO for a vCPU
 * without PMUv3 and for an AArch32 EL1 vCPU (v0.2.0 returned 0 there too).
 * Host kinds: every rig; the AArch32 EL1 tests skip where KVM cannot
 * create such a vCPU.
 */
FIXTURE(vcpu_without_pmuv3) {
	struct tvm t;
};

FIXTURE_SETUP(vcpu_without_pmuv3)
{
	tvm_add(&self->t, guest_sync_forever, false);
}

FIXTURE_TEARDOWN(vcpu_without_pmuv3)
{
	tvm_destroy(&self->t);
}

TEST_F_TIMEOUT(vcpu_without_pmuv3, has_is_enxio, VM_TEST_TIMEOUT)
{
	EXPECT_ERRNO(ENXIO, pmu_attr(self->t.vcpu, KVM_HAS_DEVICE_ATTR,
				     KVM_PMU_PARTITION_ATTR_PARTITIONED, NULL));
}

FIXTURE(aarch32_el1_vcpu) {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
};

FIXTURE_SETUP(aarch32_el1_vcpu)
{
	int err = vcpu_with_features(&self->vm, &self->vcpu,
				     1 << KVM_ARM_VCPU_EL1_32BIT);

	if (err)
		SKIP(return, "no AArch32 EL1: %s", strerror(err));
}

FIXTURE_TEARDOWN(aarch32_el1_vcpu)
{
	kvm_vm_free(self->vm);
}

TEST_F_TIMEOUT(aarch32_el1_vcpu, has_is_enxio, VM_TEST_TIMEOUT)
{
	EXPECT_ERRNO(ENXIO, pmu_attr(self->vcpu, KVM_HAS_DEVICE_ATTR,
				     KVM_PMU_PARTITION_ATTR_PARTITIONED, NULL));
}

TEST_F_TIMEOUT(aarch32_el1_vcpu, set_is_einval, VM_TEST_TIMEOUT)
{
	EXPECT_ERRNO(EINVAL, attr_set(self->vcpu, KVM_PMU_PARTITION_ATTR_PARTITIONED));
}

/* Drops CAP_PERFMON and CAP_SYS_ADMIN from this process's effective set. */
static bool drop_perfmon(void)
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(__NR_capget, &header, data))
		return false;
	data[CAP_PERFMON / 32].effective &= ~(1U << (CAP_PERFMON % 32));
	data[CAP_SYS_ADMIN / 32].effective &= ~(1U << (CAP_SYS_ADMIN % 32));
	return !syscall(__NR_capset, &header, data);
}

/*
 * Rule: a VMM's explicit partition takes hardware counters from host perf
 * on every CPU, which perf allows only with CAP_PERFMON (pinned CPU-wide
 * events): without it the SET fails with EPERM and a log line, and takes
 * nothing (v0.2.0 let any /dev/kvm user hold the claim).
 * The fixture: the test's process drops CAP_PERFMON and CAP_SYS_ADMIN,
 * then creates its VM. Host kinds: every rig.
 */
FIXTURE(vmm_without_cap_perfmon) {
	struct tvm t;
	int kmsg;
};

FIXTURE_SETUP(vmm_without_cap_perfmon)
{
	self->kmsg = kmsg_mark();
	ASSERT_TRUE(drop_perfmon());
	tvm_add(&self->t, guest_sync_forever, true);
}

FIXTURE_TEARDOWN(vmm_without_cap_perfmon)
{
	tvm_destroy(&self->t);
}

TEST_F_TIMEOUT(vmm_without_cap_perfmon, explicit_partition_is_eperm, VM_TEST_TIMEOUT)
{
	EXPECT_ERRNO(EPERM, attr_set(self->t.vcpu, KVM_PMU_PARTITION_ATTR_PARTITIONED));
	EXPECT_EQ(0, read_sysfs_long("counters_claimed"));
	EXPECT_TRUE(kmsg_has(self->kmsg, "lacks CAP_PERFMON"));
}

/*
 * Rule: /sys/module/kvm_pmu_partition/parameters/reserved_host_counters is
 * the reservation pmuctl sets (v0.2.0 kept the load-time value there).
 * The fixture keeps the reservation the plan loaded the module with and
 * writes it back after the test, whatever the test did.
 * Host kinds: every rig.
 */
FIXTURE(reservation) {
	long reserved;
};

FIXTURE_SETUP(reservation)
{
	self->reserved = read_sysfs_long("reserved_host_counters");
	ASSERT_LE(0, self->reserved);
}

FIXTURE_TEARDOWN_PARENT(reservation)
{
	char value[16];

	if (read_sysfs_long("reserved_host_counters") == self->reserved)
		return;
	snprintf(value, sizeof(value), "%ld\n", self->reserved);
	ksft_print_msg("putting back reserved_host_counters %ld: %s\n", self->reserved,
		       rig_errno_name(write_file(SYSFS "/reserved_host_counters", value)));
}

TEST_F_TIMEOUT(reservation, module_parameter_follows_writes, VM_TEST_TIMEOUT)
{
	const char *param = "/sys/module/kvm_pmu_partition/parameters/reserved_host_counters";
	char buf[16], value[16];

	EXPECT_ERRNO(0, write_file(SYSFS "/reserved_host_counters", "1\n"));
	ASSERT_TRUE(read_line(param, buf, sizeof(buf)));
	EXPECT_STREQ("1", buf);
	snprintf(value, sizeof(value), "%ld\n", self->reserved);
	EXPECT_ERRNO(0, write_file(SYSFS "/reserved_host_counters", value));
	ASSERT_TRUE(read_line(param, buf, sizeof(buf)));
	EXPECT_EQ(self->reserved, atol(buf));
}

/* -------------------------------------------------- owner, last_owner */

static void guest_reports_n(void)
{
	for (;;)
		ucall(UCALL_SYNC, 1, FIELD_GET(ARMV8_PMU_PMCR_N, read_sysreg(pmcr_el0)));
}

/*
 * <pid>.<serial>/vcpu0 of this process's one VM (sysfs vm/<pid>.<serial>),
 * as owner and last_owner name it; false if there is not exactly one.
 */
static bool vcpu0_sysfs_name(char *name, size_t size)
{
	char path[256];
	glob_t g;
	bool found;

	snprintf(path, sizeof(path), SYSFS "/vm/%d.*", getpid());
	found = !glob(path, 0, NULL, &g) && g.gl_pathc == 1;
	if (found)
		snprintf(name, size, "%s/vcpu0", strrchr(g.gl_pathv[0], '/') + 1);
	else
		ksft_print_msg("no single %s\n", path);
	globfree(&g);
	return found;
}

/* Mode bits 0400: readable by root only. */
static bool root_only(const char *path)
{
	struct stat st;

	if (stat(path, &st)) {
		ksft_print_msg("%s: %s\n", path, strerror(errno));
		return false;
	}
	if ((st.st_mode & 0777) != 0400)
		ksft_print_msg("%s: mode %03o\n", path, st.st_mode & 0777);
	return (st.st_mode & 0777) == 0400;
}

/* Host kinds: every rig (the files do not depend on the PMU). */
TVM_FIXTURE(owner)

/*
 * Rule: vm/<pid>.<serial>/ files, which name VMM processes, are root's
 * only, and so are cpus/cpu<n>/owner and last_owner.
 */
TEST_F_TIMEOUT(owner, vm_and_owner_files_are_root_only, VM_TEST_TIMEOUT)
{
	char path[256], vcpu[64];

	ASSERT_TRUE(vcpu0_sysfs_name(vcpu, sizeof(vcpu)));
	snprintf(path, sizeof(path), SYSFS "/vm/%s/traps", vcpu);
	EXPECT_TRUE(root_only(path));
	snprintf(path, sizeof(path), SYSFS "/vm/%s/swaps_in", vcpu);
	EXPECT_TRUE(root_only(path));
	/* <pid>.<serial>/vcpu0 -> .../vm/<pid>.<serial>/mode */
	snprintf(path, sizeof(path), SYSFS "/vm/%.*s/mode",
		 (int)(strchr(vcpu, '/') - vcpu), vcpu);
	EXPECT_TRUE(root_only(path));
	EXPECT_TRUE(root_only(SYSFS "/cpus/cpu0/owner"));
	EXPECT_TRUE(root_only(SYSFS "/cpus/cpu0/last_owner"));
}

/*
 * Rule: cpus/cpu<n>/owner is free once the vCPU is put; last_owner
 * still names it (pmuctl cpu show), until another vCPU loads there.
 * This process runs on CPU 0; the guest reads PMCR_EL0, which loads
 * its PMU state there.
 */
TEST_F_TIMEOUT(owner, cpu_last_owner_names_the_vcpu_after_it_was_put, VM_TEST_TIMEOUT)
{
	char expected[64], owner[64], last[64];
	struct ucall uc;

	vcpu_arch_set_entry_point(self->t.vcpu, guest_reports_n);
	pmu_vcpu_init(self->t.vcpu);
	ASSERT_EQ(UCALL_SYNC, run_to_ucall(self->t.vcpu, &uc));
	ASSERT_TRUE(vcpu0_sysfs_name(expected, sizeof(expected)));
	ASSERT_TRUE(read_line(SYSFS "/cpus/cpu0/owner", owner, sizeof(owner)));
	ASSERT_TRUE(read_line(SYSFS "/cpus/cpu0/last_owner", last, sizeof(last)));
	ksft_print_msg("after KVM_RUN returned: cpu0 owner %s, last_owner %s (expected %s)\n",
		       owner, last, expected);
	EXPECT_STREQ("free", owner);
	EXPECT_STREQ(expected, last);
}

/* Set by the host, in guest memory, once it has looked: the guest stops. */
static volatile uint64_t owner_looked_at;

/*
 * Guest: counts cycles, so that every vcpu_load puts its PMU state on the
 * CPU again, and spins (no exit of its own) until the host has looked.
 */
static void guest_counts_until_looked_at(void)
{
	write_sysreg(0, pmccfiltr_el0);
	write_sysreg(BIT(31), pmcntenset_el0);
	write_sysreg(ARMV8_PMU_PMCR_LC | ARMV8_PMU_PMCR_E, pmcr_el0);
	isb();
	while (!owner_looked_at)
		;
	for (;;)
		GUEST_SYNC(0);
}

struct owner_run {
	struct kvm_vcpu *vcpu;
	int cpu;
	uint64_t ucall;		/* what KVM_RUN returned with */
};

static void *owner_run_thread(void *arg)
{
	struct owner_run *run = arg;
	struct ucall uc;

	pin_to_cpu(run->cpu);
	run->ucall = run_to_ucall(run->vcpu, &uc);
	return NULL;
}

/* `pmuctl cpu show -j` into @out, of @size bytes: true if it succeeded. */
static bool pmuctl_cpu_show(char *out, size_t size)
{
	size_t length;
	FILE *pipe;

	pipe = popen("pmuctl cpu show -j 2>&1", "r");
	if (!pipe)
		return false;
	length = fread(out, 1, size - 1, pipe);
	out[length] = '\0';
	return !pclose(pipe);
}

/*
 * The object of CPU @cpu in the `pmuctl cpu show -j` output @out, into
 * @object of @size bytes (its strings never hold a brace): true if found.
 */
static bool pmuctl_cpu_object(const char *out, int cpu, char *object, size_t size)
{
	const char *start, *end;
	char key[32];

	snprintf(key, sizeof(key), "{\"cpu\":%d,", cpu);
	start = strstr(out, key);
	end = start ? strchr(start, '}') : NULL;
	if (!end || (size_t)(end - start) + 2 > size)
		return false;
	memcpy(object, start, end - start + 1);
	object[end - start + 1] = '\0';
	return true;
}

/* How many CPU objects @out has, and in *@with how many of them hold @needle. */
static int pmuctl_cpus_with(const char *out, const char *needle, int *with)
{
	const char *start = out, *end;
	char object[1024];
	int cpus = 0;

	*with = 0;
	while ((start = strstr(start, "{\"cpu\":"))) {
		end = strchr(start, '}');
		if (!end || (size_t)(end - start) + 2 > sizeof(object))
			break;
		memcpy(object, start, end - start + 1);
		object[end - start + 1] = '\0';
		cpus++;
		*with += !!strstr(object, needle);
		start = end;
	}
	return cpus;
}

/*
 * `pmuctl cpu show -j` says CPU @cpu is guest-owned by @owner, with the
 * partition's counters claimed.
 */
static bool pmuctl_cpu_show_guest_owned(int cpu, const char *owner)
{
	char out[8192], object[1024], claimed[48], owned_by[96];

	snprintf(owned_by, sizeof(owned_by), "\"owner\":\"%s\"", owner);
	snprintf(claimed, sizeof(claimed), "\"claimed_counters\":%lu}",
		 (unsigned long)expected_n);
	return pmuctl_cpu_show(out, sizeof(out)) &&
	       pmuctl_cpu_object(out, cpu, object, sizeof(object)) &&
	       strstr(object, owned_by) &&
	       strstr(object, "\"state\":\"guest-owned\"") && strstr(object, claimed);
}

static bool pmuctl_in_path(void)
{
	return !system("command -v pmuctl >/dev/null 2>&1");
}

/* What watch_owner() saw. */
struct owner_seen {
	bool sysfs;		/* cpus/cpu1/owner named the vCPU */
	bool pmuctl;		/* and then pmuctl cpu show -j did, guest-owned */
	uint64_t ucall;		/* the vCPU's KVM_RUN returned with */
};

/*
 * Rule: while a partitioned vCPU is inside KVM_RUN with its PMU counting,
 * cpus/cpu<n>/owner of the CPU it runs on names it, and pmuctl cpu show
 * says so (issue 16: the demo, which looks after KVM_RUN returned, showed
 * every CPU free): guest-owned, the counters [0, HPMN) claimed. The
 * vCPU's thread runs on CPU 1; this process stays on CPU 0 (pmuctl too,
 * which inherits that), so it does not push the vCPU off. The vCPU is put
 * whenever its thread is scheduled out, so the check looks again, every
 * 10 ms for at most 10 s, until it sees the owner (and, with @pmuctl,
 * pmuctl shows it).
 * Where it can fail: every rig with a CPU 1.
 */
static void watch_owner(struct __test_metadata *_metadata, struct tvm *t, bool pmuctl,
			struct owner_seen *seen)
{
	char expected[64], owner[64] = "";
	struct owner_run run = { .vcpu = t->vcpu, .cpu = 1 };
	volatile uint64_t *looked_at;
	pthread_t thread;
	int i;

	vcpu_arch_set_entry_point(t->vcpu, guest_counts_until_looked_at);
	pmu_vcpu_init(t->vcpu);
	ASSERT_TRUE(vcpu0_sysfs_name(expected, sizeof(expected)));
	looked_at = addr_gva2hva(t->vm, (vm_vaddr_t)&owner_looked_at);
	*looked_at = 0;
	ASSERT_EQ(0, pthread_create(&thread, NULL, owner_run_thread, &run));
	for (i = 0; i < 1000 && !(seen->sysfs && (seen->pmuctl || !pmuctl)); i++) {
		usleep(10000);
		if (!read_line(SYSFS "/cpus/cpu1/owner", owner, sizeof(owner)) ||
		    strcmp(owner, expected))
			continue;
		seen->sysfs = true;
		if (pmuctl)
			seen->pmuctl = pmuctl_cpu_show_guest_owned(1, expected);
	}
	*looked_at = 1;
	pthread_join(thread, NULL);
	seen->ucall = run.ucall;
	ksft_print_msg("while vcpu0 ran on CPU 1: owner %s after %d looks (expected %s), pmuctl %s; KVM_RUN returned ucall %lu\n",
		       owner, i, expected,
		       !pmuctl ? "not asked" : seen->pmuctl ? "showed it" : "did not show it",
		       run.ucall);
}

TEST_F_TIMEOUT(owner, cpu_owner_names_the_vcpu_while_it_runs, VM_TEST_TIMEOUT)
{
	struct owner_seen seen = {};

	if (!cpu_online(1))
		SKIP(return, "no CPU 1");
	watch_owner(_metadata, &self->t, false, &seen);
	EXPECT_TRUE(seen.sysfs);
	EXPECT_EQ(UCALL_SYNC, seen.ucall);
}

TEST_F_TIMEOUT(owner, pmuctl_cpu_show_names_the_vcpu_while_it_runs, VM_TEST_TIMEOUT)
{
	struct owner_seen seen = {};

	if (!cpu_online(1))
		SKIP(return, "no CPU 1");
	if (!pmuctl_in_path())
		SKIP(return, "no pmuctl in PATH");
	watch_owner(_metadata, &self->t, true, &seen);
	EXPECT_TRUE(seen.sysfs);
	EXPECT_TRUE(seen.pmuctl);
	EXPECT_EQ(UCALL_SYNC, seen.ucall);
}

/*
 * Rule: once KVM_RUN returned (no vCPU loaded) while the VM exists, pmuctl
 * shows every CPU reserved, not free, CPU 1 with the vCPU as last owner;
 * once the VM is destroyed (the claim given back), every CPU free. The
 * vCPU first runs on CPU 1 as in watch_owner().
 * Where it can fail: every rig with a CPU 1 (the split rig: CPUs of both
 * PMUs reserved).
 */
TEST_F_TIMEOUT(owner, pmuctl_cpu_show_reserved_then_free, VM_TEST_TIMEOUT)
{
	char expected[64], needle[96], out[8192], object[1024];
	struct owner_seen seen = {};
	int cpus, with;

	if (!cpu_online(1))
		SKIP(return, "no CPU 1");
	if (!pmuctl_in_path())
		SKIP(return, "no pmuctl in PATH");
	watch_owner(_metadata, &self->t, false, &seen);
	EXPECT_EQ(UCALL_SYNC, seen.ucall);

	/* KVM_RUN returned: vcpu0 is put, its VM holds the claim. */
	ASSERT_TRUE(vcpu0_sysfs_name(expected, sizeof(expected)));
	snprintf(needle, sizeof(needle), "\"last_owner\":\"%s\"", expected);
	EXPECT_TRUE(pmuctl_cpu_show(out, sizeof(out)))
		TH_LOG("pmuctl cpu show -j: %s", out);
	cpus = pmuctl_cpus_with(out, "\"state\":\"reserved\"", &with);
	if (!pmuctl_cpu_object(out, 1, object, sizeof(object)))
		snprintf(object, sizeof(object), "missing");
	ksft_print_msg("VM idle: %d of %d CPUs reserved; CPU 1: %s\n",
		       with, cpus, object);
	EXPECT_LT(1, cpus);
	EXPECT_EQ(cpus, with);
	EXPECT_TRUE(!!strstr(object, "\"owner\":\"free\""));
	EXPECT_TRUE(!!strstr(object, needle));

	/* No partitioned VM left in this process: the claim is given back. */
	tvm_gone(&self->t);
	EXPECT_TRUE(pmuctl_cpu_show(out, sizeof(out)))
		TH_LOG("pmuctl cpu show -j: %s", out);
	cpus = pmuctl_cpus_with(out, "\"state\":\"free\",\"claimed_counters\":null}",
				&with);
	ksft_print_msg("after the VM was destroyed: %d of %d CPUs free\n", with, cpus);
	EXPECT_LT(1, cpus);
	EXPECT_EQ(cpus, with);
}

/* ------------------------------------------------ heterogeneous hosts */

struct het_pmu {
	char name[64];		/* the module's pmus/<name>, perf's name */
	int type;		/* perf type */
	int cpu;		/* its first CPU */
	long counters;		/* its PMCR_EL0.N */
};

/* The module's pmus/ in directory order; how many, or -1 without pmus/. */
static int read_host_pmus(struct het_pmu *pmus, int size)
{
	DIR *dir = opendir(SYSFS "/pmus");
	char file[96], path[160], buf[64];
	struct dirent *d;
	int count = 0;

	if (!dir)
		return -1;
	while ((d = readdir(dir)) && count < size) {
		struct het_pmu *p = &pmus[count];

		if (d->d_name[0] == '.')
			continue;
		snprintf(p->name, sizeof(p->name), "%.63s", d->d_name);
		snprintf(file, sizeof(file), "pmus/%s/counters", p->name);
		p->counters = read_sysfs_long(file);
		snprintf(path, sizeof(path), SYSFS "/pmus/%s/cpus", p->name);
		p->cpu = read_line(path, buf, sizeof(buf)) ? atoi(buf) : -1;
		snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/type", p->name);
		p->type = read_line(path, buf, sizeof(buf)) ? atoi(buf) : -1;
		count++;
	}
	closedir(dir);
	return count;
}

/* The guest's PMCR_EL0.N: the smallest PMU's guest_counters (HPMN); or -1. */
static long partition_n(void)
{
	struct het_pmu pmus[8];
	long n, least = -1;
	char file[96];
	int i, count = read_host_pmus(pmus, 8);

	for (i = 0; i < count; i++) {
		snprintf(file, sizeof(file), "pmus/%.63s/guest_counters", pmus[i].name);
		n = read_sysfs_long(file);
		if (least < 0 || n < least)
			least = n;
	}
	return least;
}

/*
 * Pinned CPU-wide events of @p on its first CPU (INST_RETIRED at host
 * EL0, which never takes the cycle counter), @count of them: how many got
 * a counter and ran all the time they were enabled; -1 if one could not
 * be opened. The armv8 PMU driver gives each the lowest free event
 * counter.
 */
static int pinned_events_running(const struct het_pmu *p, int count)
{
	struct host_pmu perf_pmu = { .type = p->type };
	int fds[32], i, opened, running = 0;
	struct perf_count c;

	for (opened = 0; opened < count; opened++) {
		fds[opened] = open_host_el0_event(&perf_pmu, ARMV8_PMUV3_PERFCTR_INST_RETIRED,
						  -1, p->cpu, false);
		if (fds[opened] < 0) {
			ksft_print_msg("perf_event_open of %s on CPU %d: %s\n",
				       p->name, p->cpu, strerror(errno));
			running = -1;
			break;
		}
	}
	/* CPU-wide events are enabled, and run if they can, all the time. */
	usleep(2000);
	for (i = 0; i < opened && running >= 0; i++) {
		c = read_event(fds[i]);
		if (c.read_ok && c.enabled > 0 && c.running == c.enabled)
			running++;
	}
	while (opened--)
		close(fds[opened]);
	return running;
}

/* vm/<pid>.<serial>/hpmn of this process's one VM, or -1. */
static long vm_hpmn(void)
{
	char path[256], buf[16];
	long hpmn = -1;
	glob_t g;

	snprintf(path, sizeof(path), SYSFS "/vm/%d.*/hpmn", getpid());
	if (!glob(path, 0, NULL, &g) && g.gl_pathc == 1 &&
	    read_line(g.gl_pathv[0], buf, sizeof(buf)))
		hpmn = atol(buf);
	globfree(&g);
	return hpmn;
}

/*
 * Rule (issue 11 defect 12, docs/partition.md): on a host whose PMUs have
 * different numbers of event counters, HPMN is the same on every PMU, the
 * smallest PMU's N minus the reservation; a guest owns [0, HPMN) and the
 * cycle counter on every CPU, and host perf keeps [HPMN, N) of each PMU,
 * so a larger PMU keeps more than the reservation. v0.2.0 claimed
 * [0, N - reserved) of every PMU, so on a larger PMU the counters from
 * HPMN up to N - reserved belonged to nobody: neither the guest (N =
 * HPMN) nor host perf could use them.
 * Host kind: heterogeneous PMUs of different sizes (the split rig, with
 * QEMU's x-pmu-event-counters giving CPUs 0-1 six event counters and
 * CPUs 2-3 four); skipped where every host PMU has the same N.
 * The fixture: the host's PMUs, the largest and the smallest, and the
 * HPMN they make; the tests that need a VM create it
 * (run_on_big_and_small()), after what they measure without one.
 */
FIXTURE(heterogeneous_host) {
	struct het_pmu pmus[8];
	int count;
	struct het_pmu *big, *small;
	long reserved, hpmn;
	struct tvm t;
};

FIXTURE_SETUP(heterogeneous_host)
{
	int i;

	self->count = read_host_pmus(self->pmus, 8);
	ASSERT_LT(0, self->count)
		TH_LOG("no host PMU in %s/pmus", SYSFS);
	self->big = &self->pmus[0];
	self->small = &self->pmus[0];
	for (i = 1; i < self->count; i++) {
		if (self->pmus[i].counters > self->big->counters)
			self->big = &self->pmus[i];
		if (self->pmus[i].counters < self->small->counters)
			self->small = &self->pmus[i];
	}
	if (self->big->counters == self->small->counters)
		SKIP(return, "host PMUs of one size: %d PMU(s), all with %ld event counters; only a host whose PMUs differ in size (the split rig) shows the rule",
		     self->count, self->big->counters);
	self->reserved = read_sysfs_long("reserved_host_counters");
	self->hpmn = self->small->counters - self->reserved;
	if (self->hpmn < 0)
		self->hpmn = 0;
}

FIXTURE_TEARDOWN(heterogeneous_host)
{
	if (self->t.vm)
		tvm_destroy(&self->t);
}

/*
 * cpus/cpu<n>/counters is PMCR_EL0.N as the CPU's EL2 reads it;
 * pmus/<name>/guest_counters is HPMN on every PMU and
 * reserved_host_counters the rest of each PMU's N.
 */
TEST_F_TIMEOUT(heterogeneous_host, sysfs_shows_each_pmu_n_and_one_hpmn, VM_TEST_TIMEOUT)
{
	char path[128];
	long n, guest, host;
	int i;

	for (i = 0; i < self->count; i++) {
		const struct het_pmu *p = &self->pmus[i];

		snprintf(path, sizeof(path), "cpus/cpu%d/counters", p->cpu);
		n = read_sysfs_long(path);
		snprintf(path, sizeof(path), "pmus/%.63s/guest_counters", p->name);
		guest = read_sysfs_long(path);
		snprintf(path, sizeof(path), "pmus/%.63s/reserved_host_counters", p->name);
		host = read_sysfs_long(path);
		ksft_print_msg("%s: CPUs from %d, %ld event counters (CPU %d reads N = %ld), perf type %d; sysfs: guest %ld, host %ld\n",
			       p->name, p->cpu, p->counters, p->cpu, n, p->type, guest, host);
		EXPECT_EQ(p->counters, n);
		EXPECT_LE(0, p->type);
		EXPECT_EQ(self->hpmn, guest);
		EXPECT_EQ(p->counters - self->hpmn, host);
	}
}

/*
 * A VM whose vCPU reads PMCR_EL0.N, run first on the largest PMU's CPU
 * (its first run claims the partition's counters: default_mode) and then
 * on the smallest's; what it read on each.
 */
static void run_on_big_and_small(struct __test_metadata *_metadata,
				 FIXTURE_DATA(heterogeneous_host) *self, uint64_t n[2])
{
	struct ucall uc;

	tvm_add(&self->t, guest_reports_n, true);
	pmu_vcpu_init(self->t.vcpu);
	pin_to_cpu(self->big->cpu);
	ASSERT_EQ(UCALL_SYNC, run_to_ucall(self->t.vcpu, &uc));
	n[0] = uc.args[0];
	ksft_print_msg("the guest reads PMCR_EL0.N = %lu on CPU %d (%s)\n",
		       n[0], self->big->cpu, self->big->name);
	pin_to_cpu(self->small->cpu);
	ASSERT_EQ(UCALL_SYNC, run_to_ucall(self->t.vcpu, &uc));
	n[1] = uc.args[0];
	ksft_print_msg("the guest reads PMCR_EL0.N = %lu on CPU %d (%s)\n",
		       n[1], self->small->cpu, self->small->name);
	pin_to_cpu(0);
}

TEST_F_TIMEOUT(heterogeneous_host, guest_n_is_hpmn_on_every_pmu, VM_TEST_TIMEOUT)
{
	uint64_t n[2];
	long vm;

	run_on_big_and_small(_metadata, self, n);
	vm = vm_hpmn();
	ksft_print_msg("vm/%d.*/hpmn %ld; HPMN expected %ld (%ld - %ld reserved)\n",
		       getpid(), vm, self->hpmn, self->small->counters, self->reserved);
	EXPECT_EQ(self->hpmn, n[0]);
	EXPECT_EQ(self->hpmn, n[1]);
	EXPECT_EQ(self->hpmn, vm);
}

/*
 * Before any partitioned VM, host perf has all N of the larger PMU; with
 * the claim held, each PMU's CPU schedules exactly N - HPMN pinned
 * events: one more finds only claimed counters.
 */
TEST_F_TIMEOUT(heterogeneous_host, perf_keeps_hpmn_to_n_of_every_pmu, VM_TEST_TIMEOUT)
{
	const struct het_pmu *big = self->big;
	int baseline, running, want, i;
	uint64_t n[2];

	baseline = pinned_events_running(big, big->counters + 1);
	ksft_print_msg("no partitioned VM: %d of %ld pinned events of %s run on CPU %d\n",
		       baseline, big->counters + 1, big->name, big->cpu);
	EXPECT_EQ(big->counters, baseline);
	run_on_big_and_small(_metadata, self, n);
	EXPECT_EQ(1, read_sysfs_long("counters_claimed"));
	for (i = 0; i < self->count; i++) {
		const struct het_pmu *p = &self->pmus[i];

		want = p->counters - self->hpmn;
		running = pinned_events_running(p, want + 1);
		ksft_print_msg("partitioned VM: %d of %d pinned events of %s run on CPU %d (host keeps [%ld, %ld))\n",
			       running, want + 1, p->name, p->cpu, self->hpmn, p->counters);
		EXPECT_EQ(want, running);
	}
}

/* -------------------------------------------------------------- main */

int main(int argc, char **argv)
{
	const char *icount_env = getenv("RIG_ICOUNT");
	char *harness_argv[argc + 3];
	int harness_argc = 0, i = 2;
	bool races;

	if (argc < 2 || (strcmp(argv[1], "fgt") && strcmp(argv[1], "trap"))) {
		ksft_print_header();
		ksft_exit_fail_msg("usage: %s fgt|trap [races] [harness options]\n", argv[0]);
	}
	races = argc > 2 && !strcmp(argv[2], "races");
	i += races;
	if (i < argc && argv[i][0] != '-') {
		ksft_print_header();
		ksft_exit_fail_msg("usage: %s fgt|trap [races] [harness options]\n", argv[0]);
	}
	/* The harness's options follow ours; races selects first_run's tests. */
	harness_argv[harness_argc++] = argv[0];
	if (races) {
		harness_argv[harness_argc++] = "-f";
		harness_argv[harness_argc++] = "first_run";
	}
	while (i < argc)
		harness_argv[harness_argc++] = argv[i++];
	harness_argv[harness_argc] = NULL;

	icount = icount_env && !strcmp(icount_env, "1");
	if (!rig_harness_lists_only(harness_argc, harness_argv)) {
		long n;

		if (access(SYSFS, F_OK)) {
			ksft_print_header();
			ksft_exit_fail_msg("%s missing: kvm_pmu_partition is not loaded\n", SYSFS);
		}
		n = partition_n();
		if (n < 0) {
			ksft_print_header();
			ksft_exit_fail_msg("no host PMU in %s/pmus\n", SYSFS);
		}
		expected_n = n;
		/* Every test runs on CPU 0 unless it moves (a forked test inherits it). */
		pin_to_cpu(0);
	}
	return rig_harness_run(harness_argc, harness_argv);
}
