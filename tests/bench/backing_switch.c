// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark: what a vcpu_load costs a fixed-counters-only vCPU when it
 * switches the cycle counter's backing PMU, against one that does not.
 * Runs on the split-PMU rig under -icount shift=0, where CNTVCT_EL0 ticks
 * are emulated instructions (1 GHz virtual clock, 1 ns per instruction).
 *
 * Each iteration moves the vCPU thread to another CPU and runs the guest to
 * its next exit to user space (a KVM_RUN round trip: vcpu_load, entry,
 * exit, vcpu_put). The CPUs alternate within one PMU (0 <-> 1) or across
 * the two (0 <-> 2); a third series stays on CPU 0. The figure per series
 * is the median of ITERATIONS samples; the difference of the first two is
 * the cost of switching the backing PMU. Results are printed as a table and
 * as "BENCH {json}" lines for make bench to collect.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include <uapi/linux/kvm_pmu_partition.h>

#include "../kselftest/pmu_vm.h"

#define ITERATIONS	201

static void guest_exit_forever(void)
{
	write_sysreg(0, pmccfiltr_el0);
	write_sysreg(BIT(31), pmcntenset_el0);
	write_sysreg(ARMV8_PMU_PMCR_E | ARMV8_PMU_PMCR_LC, pmcr_el0);
	isb();
	for (;;)
		GUEST_SYNC(0);
}

static uint64_t ticks(void)
{
	uint64_t value;

	asm volatile("isb; mrs %0, cntvct_el0" : "=r"(value));
	return value;
}

static int compare(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median cost of one migration plus KVM_RUN round trip, in ticks. */
static uint64_t measure(struct kvm_vcpu *vcpu, int cpu_a, int cpu_b)
{
	uint64_t samples[ITERATIONS], start;
	struct ucall uc;
	int i;

	for (i = 0; i < ITERATIONS; i++) {
		start = ticks();
		pin_to_cpu(i % 2 ? cpu_a : cpu_b);
		vcpu_run(vcpu);
		samples[i] = ticks() - start;
		TEST_ASSERT(get_ucall(vcpu, &uc) == UCALL_SYNC, "unexpected exit");
	}
	qsort(samples, ITERATIONS, sizeof(samples[0]), compare);
	return samples[ITERATIONS / 2];
}

static void report(const char *op, uint64_t insn)
{
	printf("  %-36s %10lu\n", op, insn);
	printf("BENCH {\"mode\": \"fixed\", \"op\": \"%s\", \"insn_per_op\": %lu}\n",
	       op, insn);
}

int main(void)
{
	struct kvm_device_attr attr = {
		.group = KVM_ARM_VCPU_PMU_V3_CTRL,
		.attr = KVM_PMU_PARTITION_ATTR_FIXED_COUNTERS_ONLY,
	};
	uint64_t stay, same, across;
	struct kvm_vcpu_init init;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int gic_fd;

	pin_to_cpu(0);
	vm = vm_create(1);
	vm_ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init);
	init.features[0] |= 1 << KVM_ARM_VCPU_PMU_V3;
	vcpu = aarch64_vcpu_add(vm, 0, &init, guest_exit_forever);
	gic_fd = vgic_v3_setup(vm, 1, 64);
	vcpu_ioctl(vcpu, KVM_SET_DEVICE_ATTR, &attr);
	pmu_vcpu_init(vcpu);

	/* Warm up: first run, cycle counter enabled. */
	measure(vcpu, 0, 0);
	stay = measure(vcpu, 0, 0);
	same = measure(vcpu, 0, 1);
	across = measure(vcpu, 0, 2);

	printf("fixed-counters-only vCPU, emulated instructions per KVM_RUN round trip (median of %d):\n",
	       ITERATIONS);
	report("run_same_cpu", stay);
	report("vcpu_load_same_pmu", same);
	report("vcpu_load_switching_pmu", across);
	report("backing_pmu_switch_cost", across > same ? across - same : 0);

	close(gic_fd);
	kvm_vm_free(vm);
	return 0;
}
