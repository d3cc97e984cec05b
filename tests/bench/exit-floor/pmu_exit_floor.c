// SPDX-License-Identifier: GPL-2.0-only
/*
 * pmu_exit_floor: a module for make bench alone, never packaged or shipped.
 *
 * It registers the shim's PMU hooks with nothing but the VHE early-exit
 * hook, which takes every trap the shim hands it as done at once: a write
 * is dropped, a read leaves the guest's register as it was, and KVM skips
 * the instruction. The shim hands it every trapped system register of the
 * PMU's encoding space (CRn 9 and 14, whatever Op1, CRm and Op2: SPE and
 * TRBE registers too), of every vCPU, with a PMU or not, EL0 accesses
 * included; so while it is loaded all of those are NOPs in every VM.
 * Nothing of the host is exposed (a read returns the guest's own Xt).
 *
 * With it loaded, stock KVM's traps of a guest's PMU accesses
 * (MDCR_EL2.TPM) stop in the early-exit path, so pmu_ops
 * exit-floor times the least a trapped access can cost there: the guest
 * exit and entry, fixup_guest_exit()'s dispatch on the exception class and
 * the shim's encoding test and hook call (the bench row exit_floor, against
 * which the partitioned PMU's fast path is measured). The hook decides
 * nothing, so that the floor is the shim's path alone: load it only on a
 * bench rig, with no other VM.
 */
#include <linux/module.h>

#include <kvm/arm_pmu_hooks.h>

/*
 * VHE guest-exit path: noinstr, DAIF masked, RCU not watching; it touches
 * nothing.
 */
static noinstr enum kvm_pmu_hook_result
exit_floor_hyp_sysreg(struct kvm_vcpu *vcpu, u64 esr)
{
	return KVM_PMU_HOOK_DONE;
}

static const struct kvm_pmu_hooks exit_floor_hooks = {
	.abi_version = KVM_PMU_HOOKS_ABI_VERSION,
	.on_hyp_sysreg = exit_floor_hyp_sysreg,
};

static int __init exit_floor_init(void)
{
	int ret = kvm_pmu_hooks_register(&exit_floor_hooks);

	if (ret == -EBUSY)
		pr_err("pmu_exit_floor: another module holds the PMU hooks: unload kvm_pmu_partition first\n");
	else if (ret)
		pr_err("pmu_exit_floor: registering the PMU hooks failed (%d): it needs a VHE host with the shim and a PMU\n",
		       ret);
	return ret;
}

static void __exit exit_floor_exit(void)
{
	kvm_pmu_hooks_unregister(&exit_floor_hooks);
}

module_init(exit_floor_init);
module_exit(exit_floor_exit);
MODULE_DESCRIPTION("make bench's floor of a trapped guest PMU access (bench rig only)");
MODULE_LICENSE("GPL");
