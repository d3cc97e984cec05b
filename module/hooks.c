// SPDX-License-Identifier: GPL-2.0-only
/*
 * The hook table the shim calls (include/kvm/arm_pmu_hooks.h), the context
 * each hook runs in, and where it goes: the VM and vCPU lifecycle and the
 * VM's mode to vm.c; the hooks whose work differs between PMU modes through
 * the per-mode operations table (partition_modes[]: stock KVM, the
 * partitioned PMU in partition.c, the fixed-counters-only PMU in fixed.c);
 * the hooks of every guest entry and exit and of the host PMU driver to the
 * partitioned PMU's switch side (partition_switch.c) or partition.c,
 * registered directly where a wrapper would cost every exit.
 *
 * A hook counts its call (stats.c) where it acts; the hooks of every entry
 * and exit count only the calls where they act, so that a VM they leave
 * alone costs no more than a check.
 */
#include <linux/kvm_host.h>
#include <linux/perf/arm_pmu.h>

#include <kvm/arm_pmu_hooks.h>

#include "kvm_pmu_partition.h"

/* Stock KVM: every operation absent, KVM's emulation does the work. */
static const struct partition_mode_ops emulated_ops = {
	.title = "emulated PMU",
};

const struct partition_mode_ops *const partition_modes[PARTITION_MODE_COUNT] = {
	[PARTITION_MODE_EMULATED] = &emulated_ops,
	[PARTITION_MODE_PARTITIONED] = &partition_partitioned_ops,
	[PARTITION_MODE_FIXED] = &partition_fixed_ops,
};

/*
 * Process context, no locks held; the vCPU is not yet visible to user
 * space, and KVM_CREATE_VCPU may still refuse it (a duplicate id), in
 * which case on_vcpu_destroy follows.
 */
static void hook_vcpu_init(struct kvm_vcpu *vcpu)
{
	partition_count_hook(PARTITION_HOOK_VCPU_INIT);
	partition_vm_vcpu_init(vcpu);
}

/* Process context; the hook dispatcher's SRCU section covers module_put. */
static void hook_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	partition_count_hook(PARTITION_HOOK_VCPU_DESTROY);
	partition_vm_vcpu_destroy(vcpu);
}

/*
 * Each vCPU's first KVM_RUN: process context, under kvm->arch.config_lock,
 * in the critical section where KVM marks the VM as having run
 * (HAS_RAN_ONCE), so no VM-wide PMU state can change after it.
 */
static int hook_vcpu_first_run(struct kvm_vcpu *vcpu)
{
	partition_count_hook(PARTITION_HOOK_VCPU_FIRST_RUN);
	lockdep_assert_held(&vcpu->kvm->arch.config_lock);
	return partition_vm_first_run(vcpu);
}

/* Process context; SET under kvm->arch.config_lock. */
static int hook_attr(enum kvm_pmu_hook_attr_op op, struct kvm_vcpu *vcpu,
		     struct kvm_device_attr *attr)
{
	partition_count_hook(PARTITION_HOOK_ATTR);
	return partition_vm_attr(op, vcpu, attr);
}

/*
 * KVM_SET_ONE_REG of PM{C,I}NTEN{SET,CLR} or PMOVS{SET,CLR}: process
 * context, vcpu->mutex held, the vCPU not running.
 */
static bool hook_set_pmreg_raw(struct kvm_vcpu *vcpu)
{
	partition_count_hook(PARTITION_HOOK_SET_PMREG_RAW);
	return partition_vm_set_pmreg_raw(vcpu);
}

/* Under config_lock, at vCPU init, SET_PMU and user-space PMCR writes. */
static u8 hook_max_counters(struct kvm *kvm, u8 hardware_counters)
{
	partition_count_hook(PARTITION_HOOK_MAX_COUNTERS);
	lockdep_assert_held(&kvm->arch.config_lock);
	return partition_vm_max_counters(kvm, hardware_counters);
}

/* Process context, preemptible, vCPU loaded: the full exit of a trap. */
static enum kvm_pmu_hook_result
hook_sysreg_access(struct kvm_vcpu *vcpu, struct kvm_pmu_sysreg_access *access)
{
	const struct partition_mode_ops *ops = partition_vcpu_ops(vcpu);

	partition_count_hook(PARTITION_HOOK_SYSREG_ACCESS);
	return ops->sysreg_access ? ops->sysreg_access(vcpu, access) :
				    KVM_PMU_HOOK_STOCK;
}

/* Preemptible, vCPU loaded; guest PMCR_EL0 writes and KVM_REQ_RELOAD_PMU. */
static bool hook_handle_pmcr(struct kvm_vcpu *vcpu, u64 value)
{
	const struct partition_mode_ops *ops = partition_vcpu_ops(vcpu);

	partition_count_hook(PARTITION_HOOK_HANDLE_PMCR);
	return ops->handle_pmcr && ops->handle_pmcr(vcpu, value);
}

/*
 * Preemption disabled, vCPU not loaded (KVM put it), registers reset in
 * memory: nothing is guest-owned; overflow deliveries in flight end.
 */
static void hook_vcpu_reset(struct kvm_vcpu *vcpu)
{
	partition_count_hook_atomic(PARTITION_HOOK_VCPU_RESET);
	if (partition_vcpu(vcpu))
		partition_forget_deliveries(vcpu, true);
}

/*
 * Preemption disabled, IRQs on. A mode that loads lazily (the partitioned
 * PMU) is not called for an idle PMU, which stays trapped until its first
 * access: the check is inline because it runs at every load, and an exit
 * to user space is a put and a load.
 */
static notrace void hook_vcpu_load(struct kvm_vcpu *vcpu, int cpu)
{
	const struct partition_mode_ops *ops = partition_vcpu_ops(vcpu);

	if (!ops->vcpu_load ||
	    (ops->loads_lazily && !partition_pmu_counting(vcpu)))
		return;
	partition_count_hook_atomic(PARTITION_HOOK_VCPU_LOAD);
	ops->vcpu_load(vcpu, cpu);
}

/*
 * Preemption disabled; from kvm_sched_out with IRQs off, rq lock held. The
 * vCPU that owns this CPU's PMU (partitioned, loaded) gives it back; the
 * owner test comes first, as it costs one per-CPU load for every vCPU.
 */
static notrace void hook_vcpu_put(struct kvm_vcpu *vcpu)
{
	const struct partition_mode_ops *ops;

	if (partition_cpu_owner_is(raw_cpu_ptr(&partition_cpus), vcpu)) {
		partition_count_hook_atomic(PARTITION_HOOK_VCPU_PUT);
		partition_vcpu_put_owner(vcpu);
		return;
	}
	ops = partition_vcpu_ops(vcpu);
	if (ops->vcpu_put) {
		partition_count_hook_atomic(PARTITION_HOOK_VCPU_PUT);
		ops->vcpu_put(vcpu);
	}
}

/* Host PMUv3 driver: IRQs off or hardirq (NMI with pseudo-NMI). */
static bool hook_host_pmu_ctrl(struct arm_pmu *pmu, bool enable)
{
	partition_count_hook_atomic(PARTITION_HOOK_HOST_PMU_CTRL);
	return partition_host_pmu_ctrl(enable);
}

/* Host PMU overflow IRQ: hardirq (NMI with pseudo-NMI). */
static bool hook_host_pmu_irq(struct arm_pmu *pmu)
{
	partition_count_hook_atomic(PARTITION_HOOK_HOST_PMU_IRQ);
	return partition_host_pmu_irq();
}

const struct kvm_pmu_hooks partition_hooks = {
	.abi_version = KVM_PMU_HOOKS_ABI_VERSION,
	.on_vcpu_init = hook_vcpu_init,
	.on_vcpu_destroy = hook_vcpu_destroy,
	.on_vcpu_first_run = hook_vcpu_first_run,
	.on_attr = hook_attr,
	.on_set_pmreg_raw = hook_set_pmreg_raw,
	.on_max_counters = hook_max_counters,
	.on_sysreg_access = hook_sysreg_access,
	.on_handle_pmcr = hook_handle_pmcr,
	.on_vcpu_reset = hook_vcpu_reset,
	.on_vcpu_load = hook_vcpu_load,
	.on_vcpu_put = hook_vcpu_put,
	/* Every entry and exit (partition_switch.c): no wrapper. */
	.on_setup_mdcr = partition_setup_mdcr,
	.on_overflow_status = partition_overflow_status,
	/* The VHE guest-exit path: noinstr (partition_switch.c). */
	.on_hyp_sysreg = partition_hyp_sysreg,
	.on_host_pmu_ctrl = hook_host_pmu_ctrl,
	.on_host_pmu_irq = hook_host_pmu_irq,
};
