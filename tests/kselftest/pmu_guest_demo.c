// SPDX-License-Identifier: GPL-2.0-only
/*
 * The demo's guest: a KVM guest that programs its PMU, runs a loop of
 * PMU_VM_LOOP_ITERATIONS nops and reports PMCR_EL0.N, INST_RETIRED and
 * CPU_CYCLES. Fails if the counts are not plausible for that loop.
 */
#include "pmu_vm.h"

int main(void)
{
	struct pmu_guest_readings readings;
	struct pmu_vm p;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_PMU_V3));
	pmu_vm_create(&p);
	readings = pmu_vm_run(&p);
	pmu_vm_destroy(&p);

	printf("guest PMU: PMCR_EL0.N = %lu event counters\n", readings.pmcr_n);
	printf("guest PMU: INST_RETIRED = %lu over a loop of %d nops\n",
	       readings.inst_retired, PMU_VM_LOOP_ITERATIONS);
	printf("guest PMU: CPU_CYCLES   = %lu\n", readings.cpu_cycles);

	TEST_ASSERT(readings.inst_retired >= PMU_VM_LOOP_ITERATIONS,
		    "INST_RETIRED %lu is below the loop's %d instructions",
		    readings.inst_retired, PMU_VM_LOOP_ITERATIONS);
	TEST_ASSERT(readings.cpu_cycles > 0, "the cycle counter did not count");
	return 0;
}
