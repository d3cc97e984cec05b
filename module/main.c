// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm_pmu_partition: PMU partitioning policy for arm64 KVM, plugged into
 * the kernel through the PMU hooks of the kvm-pmu-partition shim series.
 *
 * Owns the module parameters (validated once, at load, each failure an
 * errno and one log line saying what to do), and the order of load and
 * unload. Unload is safe by construction: every vCPU that went through
 * the module holds a module reference (vm.c), so rmmod is refused while
 * one exists, and kvm_pmu_hooks_unregister() waits for every hook still
 * running before the module text goes away.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>

#include <kvm/arm_pmu_hooks.h>

#include "counter_mask.h"
#include "kvm_pmu_partition.h"

struct partition_config partition_config;

/* The one copy: pmuctl's writes (partition_set_reservation()) show here too. */
module_param_named(reserved_host_counters,
		   partition_config.reserved_host_counters, uint, 0444);
MODULE_PARM_DESC(reserved_host_counters,
		 "Event counters kept for host perf on every host PMU, 0..N of the smallest (default 0)");

static char *default_mode = "emulated";
module_param(default_mode, charp, 0444);
MODULE_PARM_DESC(default_mode,
		 "PMU for VMs that do not choose: emulated (stock KVM), fixed (cycle counter only), partitioned (default emulated)");

static bool fast_path = true;
module_param(fast_path, bool, 0444);
MODULE_PARM_DESC(fast_path,
		 "Emulate a partitioned guest's trapped PMU accesses in KVM's guest-exit path (default 1; 0 makes each a full exit, for comparison)");

static char *fgt = "auto";
module_param(fgt, charp, 0444);
MODULE_PARM_DESC(fgt,
		 "Fine-grained traps: auto (use FEAT_FGT where present) or off (default auto)");

static int partition_check_params(void)
{
	struct partition_host_pmu *smallest;
	const char *unavailable;
	int mode, fgt_policy;

	mode = partition_parse_mode(default_mode);
	if (mode < 0) {
		pr_err("default_mode=%s is not one of emulated, partitioned, fixed\n",
		       default_mode);
		return -EINVAL;
	}
	fgt_policy = partition_parse_fgt(fgt);
	if (fgt_policy < 0) {
		pr_err("fgt=%s is not one of auto, off\n", fgt);
		return -EINVAL;
	}

	smallest = partition_host_pmu_smallest();
	if (!smallest) {
		pr_err("KVM has no host PMUv3 to partition; check that the PMU driver probed (dmesg | grep 'hw perfevents')\n");
		return -ENODEV;
	}
	if (!partition_reservation_fits(smallest->counters,
					partition_config.reserved_host_counters)) {
		pr_err("reserved_host_counters=%u exceeds the %u event counters of host PMU %s; choose 0..%u\n",
		       partition_config.reserved_host_counters,
		       smallest->counters, smallest->name, smallest->counters);
		return -EINVAL;
	}
	/* A default no VM could get is refused here, not VM by VM. */
	unavailable = partition_modes[mode]->host_unavailable ?
		      partition_modes[mode]->host_unavailable() : NULL;
	if (unavailable) {
		pr_err("default_mode=%s is not possible on this host: %s; load with default_mode=emulated\n",
		       partition_mode_names[mode], unavailable);
		return -EOPNOTSUPP;
	}

	partition_config.default_mode = mode;
	partition_config.fgt = fgt_policy;
	partition_config.fast_path = fast_path;
	return 0;
}

static int partition_register_hooks(void)
{
	int ret = kvm_pmu_hooks_register(&partition_hooks);

	switch (ret) {
	case 0:
		break;
	case -EPROTO:
		pr_err("built for PMU hook ABI %d, which this kernel's shim does not provide; rebuild the module against this kernel\n",
		       KVM_PMU_HOOKS_ABI_VERSION);
		break;
	case -ENODEV:
		pr_err("needs KVM in VHE mode (not nVHE or protected) with a host PMUv3; check dmesg for 'VHE mode initialized'\n");
		break;
	case -EBUSY:
		pr_err("another module already registered KVM PMU hooks; unload it first\n");
		break;
	default:
		pr_err("registering the KVM PMU hooks failed (%d)\n", ret);
	}
	return ret;
}

static int __init partition_init(void)
{
	int ret;

	ret = partition_host_pmus_discover();
	if (ret)
		return ret;
	ret = partition_check_params();
	if (ret)
		return ret;
	ret = partition_setup();
	if (ret)
		return ret;
	ret = partition_sysfs_init();
	if (ret) {
		pr_err("creating /sys/kernel/%s failed (%d)\n", KBUILD_MODNAME, ret);
		goto out_teardown;
	}
	partition_stats_init();

	ret = partition_register_hooks();
	if (ret)
		goto out_sysfs;

	pr_info("version %s loaded: default_mode=%s fgt=%s (trap policy %s%s) reserved_host_counters=%u, %u host PMU(s)\n",
		KVM_PMU_PARTITION_VERSION,
		partition_mode_names[partition_config.default_mode],
		partition_fgt_names[partition_config.fgt],
		partition_trap_policy(),
		partition_config.fast_path ? "" : ", no fast path",
		partition_config.reserved_host_counters,
		partition_host_pmu_count());
#ifdef KVM_PMU_PARTITION_TEST_HOOKS
	pr_warn("test build (KVM_PMU_PARTITION_TEST_HOOKS): for make check only, never for a production host\n");
	add_taint(TAINT_TEST, LOCKDEP_STILL_OK);
#endif
	return 0;

out_sysfs:
	partition_stats_exit();
	partition_sysfs_exit();
out_teardown:
	partition_teardown();
	return ret;
}

static void __exit partition_exit(void)
{
	/* No vCPU holds module state any more: rmmod got here. */
	kvm_pmu_hooks_unregister(&partition_hooks);
	partition_teardown();
	partition_stats_exit();
	partition_sysfs_exit();
	pr_info("unloaded\n");
}

module_init(partition_init);
module_exit(partition_exit);

MODULE_DESCRIPTION("PMU partitioning policy for arm64 KVM");
MODULE_LICENSE("GPL");
MODULE_VERSION(KVM_PMU_PARTITION_VERSION);
