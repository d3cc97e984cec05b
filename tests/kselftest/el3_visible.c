// SPDX-License-Identifier: GPL-2.0-only
/*
 * Whether the host implements EL3, as KVM and its guests see it, and what
 * PMEVTYPER<n>_EL0.NSK then does to a guest's counter.
 *
 * Usage: el3_visible present|absent [OPTION...]
 * The OPTIONs are the kselftest harness's (kselftest_harness.h): -l lists
 * the tests, -t TEST runs only that one.
 *
 * Rules checked:
 *  - ID_AA64PFR0_EL1.EL3 (bits [15:12], Arm ARM DDI0487) is
 *    non-zero exactly when EL3 is implemented, and KVM gives its guests
 *    the host's sanitised field (6.12 read_sanitised_id_aa64pfr0_el1()
 *    keeps EL3): KVM_GET_ONE_REG on a vCPU reads it "present" on the rig's
 *    --el3 host (secure=on, tests/rig/el3-firmware) and "absent" on the
 *    default host (one_reg_el3_matches_the_argument);
 *  - a guest's MRS of ID_AA64PFR0_EL1 reads the same EL3 field
 *    (guest_reads_same_el3_field).
 * Reported, not checked: CPU_CYCLES on event counter 0 over the guest's
 * EL1 loop with PMEVTYPER0_EL0.{P,NSK} = {0,0} and {0,1} (CPU_CYCLES, not
 * INST_RETIRED: QEMU counts instructions only under -icount).  With EL3
 * implemented, "If the value of this bit is not equal to the value of P,
 * events in Non-secure EL1 are not counted" (PMEVTYPER<n>_EL0.NSK);
 * without EL3 the bit is RES0.
 * 6.12's kvm_pmu_evtyper_mask() lets a guest set NSK once EL3 is visible.
 * Covers the rig's -cpu max and -cpu neoverse-n1 hosts, with and without
 * --el3, with whatever PMU backing the plan's module set-up gives new VMs.
 * Each test runs in a process of its own (the harness forks it), with a
 * VM of its own that the fixture creates and runs, then destroys.
 */
#include <string.h>

#include "kselftest.h"
#include "pmu_vm.h"
#include "rig_harness.h"

#define ID_AA64PFR0_EL3(pfr0)	(((pfr0) >> 12) & 0xf)
#define PMEVTYPER_NSK		BIT(29)
#define NSK_LOOP_ITERATIONS	10000

/*
 * Seconds one test may take before the harness kills it (its default is
 * 30): the whole binary takes 0.03 s of the rig's clock (-icount: one
 * emulated instruction per nanosecond), so a test that has not ended in
 * 60 s hangs. Less than the plans' timeout= for the binary (120).
 */
#define TEST_SECONDS		60

static bool want_present;	/* the argument: the rig implements EL3 */

static uint64_t guest_count_loop(uint64_t evtyper)
{
	uint64_t pmcr = read_sysreg(pmcr_el0);

	write_sysreg(0, pmevcntr0_el0);
	write_sysreg(ARMV8_PMUV3_PERFCTR_CPU_CYCLES | evtyper, pmevtyper0_el0);
	write_sysreg(BIT(0), pmcntenset_el0);
	isb();
	write_sysreg(pmcr | ARMV8_PMU_PMCR_E, pmcr_el0);
	isb();
	for (int i = 0; i < NSK_LOOP_ITERATIONS; i++)
		asm volatile("nop");
	write_sysreg(pmcr & ~ARMV8_PMU_PMCR_E, pmcr_el0);
	isb();
	return read_sysreg(pmevcntr0_el0);
}

static void guest_code(void)
{
	uint64_t pfr0 = read_sysreg(id_aa64pfr0_el1);
	uint64_t plain = guest_count_loop(0);
	uint64_t nsk = guest_count_loop(PMEVTYPER_NSK);

	GUEST_SYNC_ARGS(0, pfr0, plain, nsk, 0);
	GUEST_DONE();
}

/*
 * A one-vCPU VM with PMUv3, run to completion: what KVM_GET_ONE_REG read
 * before its run and what its guest read and counted.
 */
FIXTURE(el3) {
	struct pmu_vm p;
	uint64_t one_reg, guest_pfr0, plain, nsk;
};

FIXTURE_SETUP(el3)
{
	struct ucall uc;

	pmu_vm_create_running(&self->p, guest_code);
	vcpu_get_reg(self->p.vcpu, KVM_ARM64_SYS_REG(SYS_ID_AA64PFR0_EL1), &self->one_reg);
	for (bool done = false; !done;) {
		vcpu_run(self->p.vcpu);
		switch (get_ucall(self->p.vcpu, &uc)) {
		case UCALL_SYNC:
			self->guest_pfr0 = uc.args[2];
			self->plain = uc.args[3];
			self->nsk = uc.args[4];
			break;
		case UCALL_DONE:
			done = true;
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		default:
			TEST_FAIL("unexpected ucall %lu", uc.cmd);
		}
	}
	ksft_print_msg("KVM_GET_ONE_REG ID_AA64PFR0_EL1 = 0x%016lx (EL3 = %lu)\n",
		       self->one_reg, ID_AA64PFR0_EL3(self->one_reg));
	ksft_print_msg("guest MRS ID_AA64PFR0_EL1      = 0x%016lx (EL3 = %lu)\n",
		       self->guest_pfr0, ID_AA64PFR0_EL3(self->guest_pfr0));
	ksft_print_msg("guest CPU_CYCLES on PMEVCNTR0 over a %d-nop EL1 loop: P=0 NSK=0: %lu, P=0 NSK=1: %lu\n",
		       NSK_LOOP_ITERATIONS, self->plain, self->nsk);
}

FIXTURE_TEARDOWN(el3)
{
	pmu_vm_destroy(&self->p);
}

/* EL3 as KVM_GET_ONE_REG reads it: present or absent, as the argument says. */
TEST_F_TIMEOUT(el3, one_reg_el3_matches_the_argument, TEST_SECONDS)
{
	ksft_print_msg("expected: EL3 %s\n", want_present ? "present" : "absent");
	EXPECT_EQ(want_present, ID_AA64PFR0_EL3(self->one_reg) != 0);
}

TEST_F_TIMEOUT(el3, guest_reads_same_el3_field, TEST_SECONDS)
{
	EXPECT_EQ(ID_AA64PFR0_EL3(self->one_reg), ID_AA64PFR0_EL3(self->guest_pfr0));
}

int main(int argc, char *argv[])
{
	if (argc < 2 || (strcmp(argv[1], "present") &&
			 strcmp(argv[1], "absent"))) {
		fprintf(stderr, "usage: %s present|absent [harness option...]\n", argv[0]);
		return KSFT_FAIL;
	}
	want_present = !strcmp(argv[1], "present");
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_PMU_V3));

	/* The harness parses what follows the argument. */
	argv[1] = argv[0];
	return rig_harness_run(argc - 1, argv + 1);
}
