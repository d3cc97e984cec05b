// SPDX-License-Identifier: GPL-2.0-only
/*
 * Every hook point of the kernel shim is reached once a module registers:
 * with kvm_pmu_partition loaded, a guest that programs its PMU and host
 * perf with a sampling event must raise the count of each hook that
 * debugfs kvm_pmu_partition/hook_calls lists (one line per hook of the
 * module's table, module/stats.c; the test keeps no list of its own, and
 * fails if the file lists fewer than 10). The module leaves every decision
 * to KVM for a VM in the emulated mode, so that guest must also read the
 * same counts as stock KVM gives it: "hooks_reached record FILE", run
 * before the module is loaded, keeps stock KVM's readings of the same
 * guest, and "hooks_reached FILE" compares with them (INST_RETIRED within
 * 1%, CPU_CYCLES within 25%: the guest's own timer interrupts land in the
 * counted loop differently). The hooks that run on every entry and exit (vcpu_load/put,
 * setup_mdcr, overflow_status) count only where they act, so a second VM
 * opts into the partitioned PMU (attribute 0x100), with its counters
 * enabled from user space so that vcpu_load loads them.
 */
#include <linux/perf_event.h>
#include <sys/syscall.h>

#include "kselftest.h"
#include <uapi/linux/kvm_pmu_partition.h>

#include "pmu_vm.h"

#define HOOK_CALLS	"/sys/kernel/debug/kvm_pmu_partition/hook_calls"

#define MAX_HOOKS	64

/* The hooks the module counts, as its hook_calls file lists them. */
static char hooks[MAX_HOOKS][64];
static size_t hook_count;
static bool plan_set;

/*
 * Reads the counts of every hook in hook_calls; the first call also takes
 * the list of hooks from it, so the test follows the module's hook table
 * instead of a copy. A hook missing from a later read counts as -1.
 */
static void read_hook_calls(long long counts[MAX_HOOKS])
{
	char name[64];
	long long count;
	FILE *f = fopen(HOOK_CALLS, "r");
	size_t i;

	if (!f)
		ksft_exit_skip("%s: %s (module not loaded?)\n", HOOK_CALLS,
			       strerror(errno));
	for (i = 0; i < MAX_HOOKS; i++)
		counts[i] = -1;
	while (fscanf(f, "%63s %lld", name, &count) == 2) {
		for (i = 0; i < hook_count; i++)
			if (!strcmp(name, hooks[i]))
				break;
		if (i == hook_count && hook_count < MAX_HOOKS) {
			if (plan_set)	/* the plan counted the first read's hooks */
				ksft_exit_fail_msg("%s lists a new hook %s\n", HOOK_CALLS, name);
			strcpy(hooks[hook_count++], name);
		}
		if (i < MAX_HOOKS)
			counts[i] = count;
	}
	fclose(f);
}

/* Host perf: a sampling cycles event makes the driver start, stop and
 * take overflow interrupts. */
static void run_host_perf(void)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_HARDWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_HW_CPU_CYCLES,
		.sample_period = 20000,
		.exclude_kernel = 1,
	};
	volatile unsigned long spin;
	int fd;

	fd = syscall(__NR_perf_event_open, &attr, 0, -1, -1, 0);
	if (fd < 0)
		ksft_exit_fail_msg("perf_event_open: %s\n", strerror(errno));
	for (spin = 0; spin < 2000000; spin++)
		;
	close(fd);
}

/* The demo guest in a partitioned VM whose counters count from the start. */
static struct pmu_guest_readings run_partitioned_vm(void)
{
	struct kvm_device_attr partitioned = {
		.group = KVM_ARM_VCPU_PMU_V3_CTRL,
		.attr = KVM_PMU_PARTITION_ATTR_PARTITIONED,
	};
	struct pmu_guest_readings readings;
	struct kvm_vcpu_init init;
	struct pmu_vm p;
	uint64_t pmcr;

	p.vm = vm_create(1);
	vm_ioctl(p.vm, KVM_ARM_PREFERRED_TARGET, &init);
	init.features[0] |= 1 << KVM_ARM_VCPU_PMU_V3;
	p.vcpu = aarch64_vcpu_add(p.vm, 0, &init, pmu_guest_code);
	p.gic_fd = vgic_v3_setup(p.vm, 1, 64);
	__TEST_REQUIRE(p.gic_fd >= 0, "no vGICv3 on this host");
	vcpu_ioctl(p.vcpu, KVM_SET_DEVICE_ATTR, &partitioned);
	pmu_vcpu_init(p.vcpu);
	vcpu_set_reg(p.vcpu, KVM_ARM64_SYS_REG(SYS_PMCNTENSET_EL0), BIT(31));
	/* Keeps PMCR_EL0.N: user space sets the VM's counter count with it. */
	vcpu_get_reg(p.vcpu, KVM_ARM64_SYS_REG(SYS_PMCR_EL0), &pmcr);
	vcpu_set_reg(p.vcpu, KVM_ARM64_SYS_REG(SYS_PMCR_EL0),
		     pmcr | ARMV8_PMU_PMCR_E | ARMV8_PMU_PMCR_LC);
	readings = pmu_vm_run(&p);
	pmu_vm_destroy(&p);
	return readings;
}

/* Whether @value is within @percent of @reference. */
static bool within(uint64_t value, uint64_t reference, uint64_t percent)
{
	uint64_t diff = value > reference ? value - reference : reference - value;

	return diff * 100 <= reference * percent;
}

/* hooks_reached record FILE: stock KVM's readings of the guest, no module. */
static int record_stock(const char *path)
{
	struct pmu_guest_readings readings;
	struct pmu_vm p;
	FILE *f;

	ksft_set_plan(1);
	pmu_vm_create(&p);
	readings = pmu_vm_run(&p);
	pmu_vm_destroy(&p);
	f = fopen(path, "w");
	if (!f)
		ksft_exit_fail_msg("%s: %s\n", path, strerror(errno));
	fprintf(f, "%lu %lu\n", readings.inst_retired, readings.cpu_cycles);
	fclose(f);
	ksft_test_result(readings.inst_retired >= PMU_VM_LOOP_ITERATIONS &&
			 readings.cpu_cycles > 0,
			 "stock_guest_readings_recorded (INST_RETIRED %lu, CPU_CYCLES %lu)\n",
			 readings.inst_retired, readings.cpu_cycles);
	ksft_finished();
}

int main(int argc, char **argv)
{
	long long before[MAX_HOOKS], after[MAX_HOOKS];
	struct pmu_guest_readings readings, partitioned, stock = { 0 };
	struct pmu_vm p;
	size_t i;
	FILE *f;

	ksft_print_header();
	if (!kvm_has_cap(KVM_CAP_ARM_PMU_V3))
		ksft_exit_skip("KVM has no PMUv3 on this host\n");
	if (argc == 3 && !strcmp(argv[1], "record"))
		return record_stock(argv[2]);
	if (argc != 2)
		ksft_exit_fail_msg("usage: %s STOCK_READINGS | record STOCK_READINGS\n",
				   argv[0]);
	f = fopen(argv[1], "r");
	if (!f || fscanf(f, "%lu %lu", &stock.inst_retired, &stock.cpu_cycles) != 2)
		ksft_exit_fail_msg("%s: no stock readings (hooks_reached record %s runs before the module is loaded)\n",
				   argv[1], argv[1]);
	fclose(f);
	read_hook_calls(before);
	if (hook_count < 10)
		ksft_exit_fail_msg("%s lists %zu hooks\n", HOOK_CALLS, hook_count);
	ksft_set_plan(hook_count + 2);
	plan_set = true;

	pmu_vm_create(&p);
	readings = pmu_vm_run(&p);
	pmu_vm_destroy(&p);
	partitioned = run_partitioned_vm();
	run_host_perf();
	read_hook_calls(after);

	ksft_test_result(readings.inst_retired >= PMU_VM_LOOP_ITERATIONS &&
			 within(readings.inst_retired, stock.inst_retired, 1) &&
			 readings.cpu_cycles > 0 &&
			 within(readings.cpu_cycles, stock.cpu_cycles, 25),
			 "guest_counts_like_stock_kvm (INST_RETIRED %lu, CPU_CYCLES %lu; stock KVM %lu, %lu)\n",
			 readings.inst_retired, readings.cpu_cycles,
			 stock.inst_retired, stock.cpu_cycles);
	ksft_test_result(partitioned.inst_retired >= PMU_VM_LOOP_ITERATIONS &&
			 partitioned.cpu_cycles > 0,
			 "partitioned_guest_counts (INST_RETIRED %lu, CPU_CYCLES %lu)\n",
			 partitioned.inst_retired, partitioned.cpu_cycles);
	for (i = 0; i < hook_count; i++)
		ksft_test_result(before[i] >= 0 && after[i] > before[i],
				 "hook_%s_reached (%lld -> %lld)\n", hooks[i],
				 before[i], after[i]);
	ksft_finished();
}
