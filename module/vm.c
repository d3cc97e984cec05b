// SPDX-License-Identifier: GPL-2.0-only
/*
 * The hook table, and the VMs and vCPUs that went through the module.
 *
 * A vCPU created while the module is loaded gets a partition_vcpu (hung
 * off vcpu->arch.pmu.hook_data) that pins the module: rmmod is refused
 * with -EBUSY while any such vCPU exists, so no hook can outlive the
 * state it needs. vCPUs created before the load have no state and are
 * left to stock KVM.
 *
 * A VM's PMU mode is emulated (stock KVM) unless the VMM opts in through a
 * vCPU attribute, or default_mode chose another mode for VMs that do not
 * choose. Hooks for emulated VMs return "stock"; those of fixed-counters-
 * only VMs go to fixed.c. Every hook counts its calls, which lets the tests
 * prove that every call site of the kernel shim is reached.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kvm_host.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include <kvm/arm_pmu_hooks.h>

#include "kvm_pmu_partition.h"

/* Protects partition_vms and every partition_vm.vcpus. */
static DEFINE_MUTEX(partition_vms_lock);
static LIST_HEAD(partition_vms);
static unsigned int partition_vms_count;
static unsigned int partition_vms_serial;

unsigned int partition_vm_count(void)
{
	guard(mutex)(&partition_vms_lock);
	return partition_vms_count;
}

static struct partition_vm *partition_vm_get(struct kvm *kvm)
{
	struct partition_vm *vm;

	lockdep_assert_held(&partition_vms_lock);
	list_for_each_entry(vm, &partition_vms, node)
		if (vm->kvm == kvm)
			goto found;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return NULL;
	vm->kvm = kvm;
	vm->mode = partition_config.default_mode == PARTITION_MODE_FIXED ?
		   PARTITION_MODE_FIXED : PARTITION_MODE_EMULATED;
	vm->pid = task_tgid_nr(current);
	vm->serial = partition_vms_serial++;
	if (partition_sysfs_add_vm(vm))
		return NULL;	/* the kobject's release freed it */
	list_add(&vm->node, &partition_vms);
	partition_vms_count++;
	if (partition_config.default_mode == PARTITION_MODE_PARTITIONED)
		partition_vm_set_partitioned(vm, true);
found:
	vm->vcpus++;
	return vm;
}

static void partition_vm_put(struct partition_vm *vm)
{
	lockdep_assert_held(&partition_vms_lock);
	if (--vm->vcpus)
		return;
	list_del(&vm->node);
	partition_vms_count--;
	partition_vm_destroy(vm);
	partition_sysfs_remove_vm(vm);	/* frees it */
}

/* Process context, the vCPU is not yet visible to userspace. */
static void hook_vcpu_init(struct kvm_vcpu *vcpu)
{
	struct partition_vcpu *state;

	partition_count_hook(PARTITION_HOOK_VCPU_INIT);

	/* Fails only while the module is being removed: stay stock. */
	if (!try_module_get(THIS_MODULE))
		return;

	state = kzalloc(sizeof(*state), GFP_KERNEL_ACCOUNT);
	if (!state)
		goto stock;
	state->vcpu = vcpu;
	state->owned_cpu = -1;

	mutex_lock(&partition_vms_lock);
	state->vm = partition_vm_get(vcpu->kvm);
	if (!state->vm) {
		mutex_unlock(&partition_vms_lock);
		kfree(state);
		goto stock;
	}
	if (partition_sysfs_add_vcpu(state)) {	/* frees state on failure */
		partition_vm_put(state->vm);
		mutex_unlock(&partition_vms_lock);
		goto stock;
	}
	mutex_unlock(&partition_vms_lock);
	vcpu->arch.pmu.hook_data = state;
	return;

stock:
	/* The VM runs as stock KVM; nothing it asked for is lost. */
	pr_warn_ratelimited("out of memory for vCPU %d; it runs with stock KVM PMU emulation\n",
			    vcpu->vcpu_id);
	module_put(THIS_MODULE);
}

/* Process context; the hook dispatcher's SRCU section covers module_put. */
static void hook_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	struct partition_vcpu *state = vcpu->arch.pmu.hook_data;

	partition_count_hook(PARTITION_HOOK_VCPU_DESTROY);
	if (!state)
		return;
	if (state->vm->mode == PARTITION_MODE_FIXED)
		partition_fixed_vcpu_destroy(vcpu);

	vcpu->arch.pmu.hook_data = NULL;
	scoped_guard(mutex, &partition_vms_lock) {
		struct partition_vm *vm = state->vm;

		partition_sysfs_remove_vcpu(state);	/* frees it */
		partition_vm_put(vm);
	}
	module_put(THIS_MODULE);
}

/* Process context, no locks held; VM-wide PMU state may still change. */
static int hook_vcpu_first_run(struct kvm_vcpu *vcpu)
{
	partition_count_hook(PARTITION_HOOK_VCPU_FIRST_RUN);
	switch (partition_vcpu_mode(vcpu)) {
	case PARTITION_MODE_FIXED: {
		/* Also for default_mode=fixed, whose ID registers KVM set later. */
		guard(mutex)(&vcpu->kvm->arch.config_lock);
		partition_fixed_enter(vcpu->kvm);
		return 0;
	}
	case PARTITION_MODE_PARTITIONED:
		return partition_first_run(vcpu);
	default:
		return 0;
	}
}

/* Process context; SET under kvm->arch.config_lock. */
static int hook_attr(enum kvm_pmu_hook_attr_op op, struct kvm_vcpu *vcpu,
		     struct kvm_device_attr *attr)
{
	struct partition_vcpu *state = partition_vcpu(vcpu);

	partition_count_hook(PARTITION_HOOK_ATTR);
	if (!state)
		return -ENOIOCTLCMD;	/* created before the module: stock */
	if (attr->attr == KVM_PMU_PARTITION_ATTR_PARTITIONED)
		return partition_attr(op, vcpu, attr);
	/* An explicit fixed-counters-only choice overrides default_mode. */
	if (attr->attr == KVM_PMU_PARTITION_ATTR_FIXED_COUNTERS_ONLY &&
	    op == KVM_PMU_HOOK_ATTR_SET && !state->vm->mode_chosen &&
	    state->vm->mode == PARTITION_MODE_PARTITIONED)
		partition_vm_set_partitioned(state->vm, false);
	return partition_fixed_attr(op, vcpu, attr);
}

/* Under config_lock, at vCPU init, SET_PMU and userspace PMCR writes. */
static u8 hook_max_counters(struct kvm *kvm, u8 hardware_counters)
{
	struct partition_vm *vm;

	partition_count_hook(PARTITION_HOOK_MAX_COUNTERS);
	guard(mutex)(&partition_vms_lock);
	list_for_each_entry(vm, &partition_vms, node) {
		if (vm->kvm != kvm)
			continue;
		if (vm->mode == PARTITION_MODE_FIXED)
			return 0;
		if (vm->mode == PARTITION_MODE_PARTITIONED)
			return partition_max_counters(vm, hardware_counters);
	}
	return hardware_counters;
}

/* Process context, preemptible, vCPU loaded. */
static enum kvm_pmu_hook_result
hook_sysreg_access(struct kvm_vcpu *vcpu, struct kvm_pmu_sysreg_access *access)
{
	partition_count_hook(PARTITION_HOOK_SYSREG_ACCESS);
	switch (partition_vcpu_mode(vcpu)) {
	case PARTITION_MODE_FIXED:
		return partition_fixed_sysreg_access(vcpu, access);
	case PARTITION_MODE_PARTITIONED:
		return partition_sysreg_access(vcpu, access);
	default:
		return KVM_PMU_HOOK_STOCK;
	}
}

/*
 * Preemptible; guest PMCR_EL0 writes and KVM_REQ_RELOAD_PMU. A partitioned
 * guest's counters are hardware, never perf events.
 */
static bool hook_handle_pmcr(struct kvm_vcpu *vcpu, u64 value)
{
	partition_count_hook(PARTITION_HOOK_HANDLE_PMCR);
	switch (partition_vcpu_mode(vcpu)) {
	case PARTITION_MODE_FIXED:
		partition_fixed_handle_pmcr(vcpu, value);
		return true;
	case PARTITION_MODE_PARTITIONED:
		return true;
	default:
		return false;
	}
}

/*
 * Preemption disabled, vCPU not loaded (KVM put it), registers reset in
 * memory: nothing is guest-owned, so nothing to do.
 */
static void hook_vcpu_reset(struct kvm_vcpu *vcpu)
{
	partition_count_hook_atomic(PARTITION_HOOK_VCPU_RESET);
}

/* Preemption disabled, IRQs on. */
static notrace void hook_vcpu_load(struct kvm_vcpu *vcpu, int cpu)
{
	switch (partition_vcpu_mode(vcpu)) {
	case PARTITION_MODE_FIXED:
		partition_count_hook_atomic(PARTITION_HOOK_VCPU_LOAD);
		partition_fixed_vcpu_load(vcpu, cpu);
		break;
	case PARTITION_MODE_PARTITIONED:
		/* An idle PMU stays trapped until its first access. */
		if (partition_pmu_counting(vcpu)) {
			partition_count_hook_atomic(PARTITION_HOOK_VCPU_LOAD);
			partition_vcpu_load(vcpu, cpu);
		}
		break;
	default:
		break;
	}
}

/*
 * Whether this CPU's PMU holds @vcpu's partitioned state. Only the vCPU
 * loaded on a CPU can own it, so for every other vCPU this is one per-CPU
 * load: the hooks below run on every guest entry and exit, and cost that
 * much for VMs that are not partitioned or whose PMU is idle.
 */
static __always_inline bool owns_this_cpu(struct kvm_vcpu *vcpu)
{
	return raw_cpu_read(partition_cpus.owner) == vcpu;
}

/* Preemption disabled; from kvm_sched_out with IRQs off, rq lock held. */
static notrace void hook_vcpu_put(struct kvm_vcpu *vcpu)
{
	if (owns_this_cpu(vcpu)) {
		partition_count_hook_atomic(PARTITION_HOOK_VCPU_PUT);
		partition_vcpu_put(vcpu);
	}
}

/* Preemption disabled; IRQs off on the entry path. */
static notrace void hook_setup_mdcr(struct kvm_vcpu *vcpu, u64 *mdcr_el2)
{
	if (owns_this_cpu(vcpu)) {
		partition_count_hook_atomic(PARTITION_HOOK_SETUP_MDCR);
		partition_setup_mdcr(vcpu, mdcr_el2);
	}
}

/*
 * Preemption disabled, every entry and exit. Fixed VMs keep PMOVSSET,
 * PMINTENSET and PMCR in the vCPU's registers, so KVM's own computation
 * serves them, as it serves a partitioned guest whose PMU is not
 * guest-owned; a guest-owned PMU's live in hardware.
 */
static notrace bool hook_overflow_status(struct kvm_vcpu *vcpu, u64 *status)
{
	if (!owns_this_cpu(vcpu))
		return false;
	partition_count_hook_atomic(PARTITION_HOOK_OVERFLOW_STATUS);
	return partition_overflow_status(vcpu, status);
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
	.owner = THIS_MODULE,
	.on_vcpu_init = hook_vcpu_init,
	.on_vcpu_destroy = hook_vcpu_destroy,
	.on_vcpu_first_run = hook_vcpu_first_run,
	.on_attr = hook_attr,
	.on_max_counters = hook_max_counters,
	.on_sysreg_access = hook_sysreg_access,
	.on_handle_pmcr = hook_handle_pmcr,
	.on_vcpu_reset = hook_vcpu_reset,
	.on_vcpu_load = hook_vcpu_load,
	.on_vcpu_put = hook_vcpu_put,
	.on_setup_mdcr = hook_setup_mdcr,
	.on_overflow_status = hook_overflow_status,
	.on_hyp_sysreg = partition_hyp_sysreg,
	.on_host_pmu_ctrl = hook_host_pmu_ctrl,
	.on_host_pmu_irq = hook_host_pmu_irq,
};
