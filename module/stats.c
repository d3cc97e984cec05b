// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hook call counts, in debugfs at kvm_pmu_partition/hook_calls as
 * "<hook> <count>" lines. Owns the per-CPU counters; they are updated from
 * every context the hooks run in (partition_count_hook() and, in the
 * guest-exit path, partition_count_hook_noinstr()).
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "kvm_pmu_partition.h"

DEFINE_PER_CPU(struct partition_hook_calls, partition_hook_calls);

static const char * const partition_hook_names[PARTITION_HOOK_COUNT] = {
	[PARTITION_HOOK_VCPU_INIT] = "vcpu_init",
	[PARTITION_HOOK_VCPU_DESTROY] = "vcpu_destroy",
	[PARTITION_HOOK_VCPU_FIRST_RUN] = "vcpu_first_run",
	[PARTITION_HOOK_ATTR] = "attr",
	[PARTITION_HOOK_SET_PMREG_RAW] = "set_pmreg_raw",
	[PARTITION_HOOK_MAX_COUNTERS] = "max_counters",
	[PARTITION_HOOK_SYSREG_ACCESS] = "sysreg_access",
	[PARTITION_HOOK_HANDLE_PMCR] = "handle_pmcr",
	[PARTITION_HOOK_VCPU_RESET] = "vcpu_reset",
	[PARTITION_HOOK_VCPU_LOAD] = "vcpu_load",
	[PARTITION_HOOK_VCPU_PUT] = "vcpu_put",
	[PARTITION_HOOK_SETUP_MDCR] = "setup_mdcr",
	[PARTITION_HOOK_OVERFLOW_STATUS] = "overflow_status",
	[PARTITION_HOOK_HYP_SYSREG] = "hyp_sysreg",
	[PARTITION_HOOK_HOST_PMU_CTRL] = "host_pmu_ctrl",
	[PARTITION_HOOK_HOST_PMU_IRQ] = "host_pmu_irq",
};

static struct dentry *partition_debugfs_dir;

static int hook_calls_show(struct seq_file *m, void *unused)
{
	int hook, cpu;
	u64 calls;

	for (hook = 0; hook < PARTITION_HOOK_COUNT; hook++) {
		calls = 0;
		for_each_possible_cpu(cpu)
			calls += READ_ONCE(per_cpu(partition_hook_calls, cpu).calls[hook]);
		seq_printf(m, "%s %llu\n", partition_hook_names[hook], calls);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hook_calls);

void partition_stats_init(void)
{
	/* debugfs is optional: errors only mean the file is missing. */
	partition_debugfs_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("hook_calls", 0444, partition_debugfs_dir, NULL,
			    &hook_calls_fops);
}

void partition_stats_exit(void)
{
	debugfs_remove_recursive(partition_debugfs_dir);
}
