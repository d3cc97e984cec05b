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
 * In this version every PMU decision is left to KVM: the hooks return
 * "stock" and only count their calls, which lets the tests prove that
 * every call site of the kernel shim is reached.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kvm_host.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include <kvm/arm_pmu_hooks.h>

#include "kvm_pmu_partition.h"

struct partition_vm {
	struct list_head node;
	struct kvm *kvm;
	unsigned int vcpus;	/* vCPUs with a partition_vcpu */
};

struct partition_vcpu {
	struct partition_vm *vm;
};

/* Protects partition_vms and every partition_vm.vcpus. */
static DEFINE_MUTEX(partition_vms_lock);
static LIST_HEAD(partition_vms);
static unsigned int partition_vms_count;

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
	list_add(&vm->node, &partition_vms);
	partition_vms_count++;
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
	kfree(vm);
}

/* Process context, the vCPU is not yet visible to userspace. */
static void partition_vcpu_init(struct kvm_vcpu *vcpu)
{
	struct partition_vcpu *state;

	partition_count_hook(PARTITION_HOOK_VCPU_INIT);

	/* Fails only while the module is being removed: stay stock. */
	if (!try_module_get(THIS_MODULE))
		return;

	state = kzalloc(sizeof(*state), GFP_KERNEL_ACCOUNT);
	if (state) {
		guard(mutex)(&partition_vms_lock);
		state->vm = partition_vm_get(vcpu->kvm);
	}
	if (!state || !state->vm) {
		/* The VM runs as stock KVM; nothing it asked for is lost. */
		pr_warn_ratelimited("out of memory for vCPU %d; it runs with stock KVM PMU emulation\n",
				    vcpu->vcpu_id);
		kfree(state);
		module_put(THIS_MODULE);
		return;
	}
	vcpu->arch.pmu.hook_data = state;
}

/* Process context; the hook dispatcher's SRCU section covers module_put. */
static void partition_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	struct partition_vcpu *state = vcpu->arch.pmu.hook_data;

	partition_count_hook(PARTITION_HOOK_VCPU_DESTROY);
	if (!state)
		return;

	vcpu->arch.pmu.hook_data = NULL;
	scoped_guard(mutex, &partition_vms_lock)
		partition_vm_put(state->vm);
	kfree(state);
	module_put(THIS_MODULE);
}

static int partition_vcpu_first_run(struct kvm_vcpu *vcpu)
{
	partition_count_hook(PARTITION_HOOK_VCPU_FIRST_RUN);
	return 0;
}

static int partition_attr(enum kvm_pmu_hook_attr_op op, struct kvm_vcpu *vcpu,
			  struct kvm_device_attr *attr)
{
	partition_count_hook(PARTITION_HOOK_ATTR);
	return -ENOIOCTLCMD;
}

static u8 partition_max_counters(struct kvm *kvm, u8 hardware_counters)
{
	partition_count_hook(PARTITION_HOOK_MAX_COUNTERS);
	return hardware_counters;
}

static enum kvm_pmu_hook_result
partition_sysreg_access(struct kvm_vcpu *vcpu,
			struct kvm_pmu_sysreg_access *access)
{
	partition_count_hook(PARTITION_HOOK_SYSREG_ACCESS);
	return KVM_PMU_HOOK_STOCK;
}

static bool partition_handle_pmcr(struct kvm_vcpu *vcpu, u64 value)
{
	partition_count_hook(PARTITION_HOOK_HANDLE_PMCR);
	return false;
}

static void partition_vcpu_reset(struct kvm_vcpu *vcpu)
{
	partition_count_hook(PARTITION_HOOK_VCPU_RESET);
}

static void partition_vcpu_load(struct kvm_vcpu *vcpu, int cpu)
{
	partition_count_hook(PARTITION_HOOK_VCPU_LOAD);
}

static void partition_vcpu_put(struct kvm_vcpu *vcpu)
{
	partition_count_hook(PARTITION_HOOK_VCPU_PUT);
}

static void partition_setup_mdcr(struct kvm_vcpu *vcpu, u64 *mdcr_el2)
{
	partition_count_hook(PARTITION_HOOK_SETUP_MDCR);
}

static bool partition_overflow_status(struct kvm_vcpu *vcpu, u64 *status)
{
	partition_count_hook(PARTITION_HOOK_OVERFLOW_STATUS);
	return false;
}

/* VHE guest-exit path: noinstr, DAIF masked, RCU not watching. */
static noinstr enum kvm_pmu_hook_result
partition_hyp_sysreg(struct kvm_vcpu *vcpu, u64 esr)
{
	partition_count_hook(PARTITION_HOOK_HYP_SYSREG);
	return KVM_PMU_HOOK_STOCK;
}

/* Host PMUv3 driver: IRQs off or hardirq. */
static bool partition_host_pmu_ctrl(struct arm_pmu *pmu, bool enable)
{
	partition_count_hook(PARTITION_HOOK_HOST_PMU_CTRL);
	return false;
}

static bool partition_host_pmu_irq(struct arm_pmu *pmu)
{
	partition_count_hook(PARTITION_HOOK_HOST_PMU_IRQ);
	return false;
}

const struct kvm_pmu_hooks partition_hooks = {
	.abi_version = KVM_PMU_HOOKS_ABI_VERSION,
	.owner = THIS_MODULE,
	.on_vcpu_init = partition_vcpu_init,
	.on_vcpu_destroy = partition_vcpu_destroy,
	.on_vcpu_first_run = partition_vcpu_first_run,
	.on_attr = partition_attr,
	.on_max_counters = partition_max_counters,
	.on_sysreg_access = partition_sysreg_access,
	.on_handle_pmcr = partition_handle_pmcr,
	.on_vcpu_reset = partition_vcpu_reset,
	.on_vcpu_load = partition_vcpu_load,
	.on_vcpu_put = partition_vcpu_put,
	.on_setup_mdcr = partition_setup_mdcr,
	.on_overflow_status = partition_overflow_status,
	.on_hyp_sysreg = partition_hyp_sysreg,
	.on_host_pmu_ctrl = partition_host_pmu_ctrl,
	.on_host_pmu_irq = partition_host_pmu_irq,
};
