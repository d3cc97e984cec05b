// SPDX-License-Identifier: GPL-2.0-only
/*
 * The demo's guest: a KVM guest that programs its PMU, runs a loop of
 * PMU_VM_LOOP_ITERATIONS nops and reports PMCR_EL0.N, INST_RETIRED and
 * CPU_CYCLES. Fails if the counts are not plausible for that loop.
 * Usage: pmu_guest_demo [COMMAND]: COMMAND (a shell command line) runs
 * after the guest, while its VM still exists, e.g. "pmuctl vm show".
 */
#include <stdlib.h>

#include "pmu_vm.h"

int main(int argc, char *argv[])
{
	struct pmu_guest_readings readings;
	struct pmu_vm p;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_PMU_V3));
	pmu_vm_create(&p);
	readings = pmu_vm_run(&p);
	if (argc > 1 && system(argv[1]))
		printf("'%s' failed\n", argv[1]);
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
