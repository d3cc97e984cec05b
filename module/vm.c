// SPDX-License-Identifier: GPL-2.0-only
/*
 * The lifecycle of the VMs and vCPUs that went through the module, and the
 * one owner of a VM's PMU mode (hooks.c calls in here).
 *
 * A vCPU created while the module is loaded gets a partition_vcpu (hung
 * off vcpu->arch.pmu.hook_data) that pins the module: rmmod is refused
 * with -EBUSY while any such vCPU exists, so no hook can outlive the
 * state it needs. vCPUs created before the load have no state and are
 * left to stock KVM; a VM with such a vCPU never enters a module mode.
 *
 * The mode (struct partition_vm): before a VM first runs, the VMM's
 * attribute or default_mode sets the requested mode (vm_request(), under
 * kvm->arch.config_lock, as KVM holds it for attribute SETs); the first
 * KVM_RUN of the VM's first vCPU fixes the mode the hooks act on
 * (vm_commit(), under the same lock, in the critical section where KVM
 * marks the VM as having run, before that vCPU enters the guest; a second
 * vCPU's first run takes the lock after it and finds it committed). One
 * rule for what cannot be honoured: a mode the VMM chose fails the call
 * that made it impossible (the attribute, or the first KVM_RUN) with an
 * errno and one log line; a mode only default_mode chose leaves the VM on
 * KVM's stock emulation, with one log line. The errno table is in
 * include/uapi/linux/kvm_pmu_partition.h.
 *
 * Locks, outermost first: kvm->arch.config_lock, partition_vms_lock (the
 * VM list, each VM's vCPU list and sysfs directories), partition.c's
 * partition_lock (the counter claim).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kvm_host.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/perf_event.h>
#include <linux/perf/arm_pmu.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <asm/kvm_emulate.h>
#include <asm/kvm_nested.h>

#include <kvm/arm_pmu_hooks.h>
#include <kvm/arm_vgic.h>

#include "kvm_pmu_partition.h"

static DEFINE_MUTEX(partition_vms_lock);
static LIST_HEAD(partition_vms);
static unsigned int partition_vms_count;
static unsigned int partition_vms_serial;

unsigned int partition_vm_count(void)
{
	guard(mutex)(&partition_vms_lock);
	return partition_vms_count;
}

/* The module's record of @kvm, or NULL. */
static struct partition_vm *vm_find(struct kvm *kvm)
{
	struct partition_vm *vm;

	lockdep_assert_held(&partition_vms_lock);
	list_for_each_entry(vm, &partition_vms, node)
		if (vm->kvm == kvm)
			return vm;
	return NULL;
}

/* The record of @kvm, created with its first vCPU. */
static struct partition_vm *vm_get(struct kvm *kvm)
{
	struct partition_vm *vm = vm_find(kvm);

	if (vm)
		return vm;
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return NULL;
	vm->kvm = kvm;
	INIT_LIST_HEAD(&vm->vcpus);
	vm->requested_mode = partition_config.default_mode;
	vm->mode = PARTITION_MODE_EMULATED;
	vm->ops = partition_modes[PARTITION_MODE_EMULATED];
	vm->pid = task_tgid_nr(current);
	vm->serial = partition_vms_serial++;
	if (partition_sysfs_add_vm(vm))
		return NULL;	/* the kobject's release freed it */
	list_add(&vm->node, &partition_vms);
	partition_vms_count++;
	return vm;
}

/* After its last vCPU: give back the claim, remove and free the record. */
static void vm_put(struct partition_vm *vm)
{
	lockdep_assert_held(&partition_vms_lock);
	if (vm->vcpu_count)
		return;
	list_del(&vm->node);
	partition_vms_count--;
	if (vm->claimed)
		partition_release(vm);
	partition_sysfs_remove_vm(vm);	/* frees it */
}

/* Another vCPU of @vm with the id of @state, or NULL. */
static struct partition_vcpu *vcpu_sibling(struct partition_vm *vm,
					   struct partition_vcpu *state,
					   bool with_directory)
{
	struct partition_vcpu *other;

	lockdep_assert_held(&partition_vms_lock);
	list_for_each_entry(other, &vm->vcpus, node)
		if (other != state && other->has_directory == with_directory &&
		    other->vcpu->vcpu_id == state->vcpu->vcpu_id)
			return other;
	return NULL;
}

/*
 * A new vCPU: process context, no locks held; the vCPU is not yet visible
 * to user space, and KVM_CREATE_VCPU may still refuse it (a duplicate id),
 * in which case partition_vm_vcpu_destroy() follows.
 */
void partition_vm_vcpu_init(struct kvm_vcpu *vcpu)
{
	struct partition_vcpu *state;
	struct partition_vm *vm;

	/* Fails only while the module is being removed: stay stock. */
	if (!try_module_get(THIS_MODULE))
		return;

	state = kzalloc(sizeof(*state), GFP_KERNEL_ACCOUNT);
	if (!state)
		goto stock;
	state->vcpu = vcpu;
	state->owned_cpu = -1;
	partition_sysfs_init_vcpu(state);	/* its kobject owns it now */

	mutex_lock(&partition_vms_lock);
	vm = vm_get(vcpu->kvm);
	if (!vm) {
		mutex_unlock(&partition_vms_lock);
		partition_sysfs_remove_vcpu(state);
		goto stock;
	}
	state->vm = vm;
	/* A duplicate id gets no directory: its name is taken. */
	if (!vcpu_sibling(vm, state, true))
		partition_sysfs_add_vcpu(state);
	list_add(&state->node, &vm->vcpus);
	vm->vcpu_count++;
	mutex_unlock(&partition_vms_lock);
	vcpu->arch.pmu.hook_data = state;
	return;

stock:
	/* The vCPU runs as stock KVM; its VM cannot enter a module mode. */
	pr_warn_ratelimited("out of memory for vCPU %d; it runs with stock KVM PMU emulation\n",
			    vcpu->vcpu_id);
	module_put(THIS_MODULE);
}

/* Process context; the hook dispatcher's SRCU section covers module_put. */
void partition_vm_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	struct partition_vcpu *state = partition_vcpu(vcpu), *heir;
	const struct partition_mode_ops *ops;
	struct partition_vm *vm;

	if (!state)
		return;
	vm = state->vm;
	ops = READ_ONCE(vm->ops);
	if (ops->vcpu_destroy)
		ops->vcpu_destroy(vcpu);

	vcpu->arch.pmu.hook_data = NULL;
	scoped_guard(mutex, &partition_vms_lock) {
		list_del(&state->node);
		vm->vcpu_count--;
		/* A duplicate that KVM kept takes over the directory's name. */
		heir = state->has_directory ? vcpu_sibling(vm, state, false) : NULL;
		partition_sysfs_remove_vcpu(state);	/* frees it */
		if (heir)
			partition_sysfs_add_vcpu(heir);
		vm_put(vm);
	}
	module_put(THIS_MODULE);
}

/* The counters a VM in @mode may have on a PMU with @hardware_counters. */
static u8 vm_max_counters(enum partition_mode mode, u8 hardware_counters)
{
	const struct partition_mode_ops *ops = partition_modes[mode];

	return ops->max_counters ? ops->max_counters(hardware_counters) :
				   hardware_counters;
}

static u8 hardware_counters(struct kvm *kvm)
{
	struct arm_pmu *pmu = kvm->arch.arm_pmu;

	return pmu ? bitmap_weight(pmu->cntr_mask, ARMV8_PMU_MAX_GENERAL_COUNTERS) : 0;
}

/*
 * Why no vCPU of @kvm can be in a module mode, or NULL; @vcpu is one of
 * them, initialised. Features are VM-wide (KVM_ARM_VCPU_INIT), so one
 * vCPU answers for all but the module's state.
 */
static const char *vm_unsuitable(struct kvm *kvm, struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu *sibling;
	unsigned long i;

	if (vcpu_el1_is_32bit(vcpu))
		return "its vCPUs run AArch32 at EL1";
	if (vcpu_has_nv(vcpu))
		return "it has EL2 (nested virtualisation)";
	kvm_for_each_vcpu(i, sibling, kvm)
		if (!partition_vcpu(sibling))
			return "it has vCPUs created before kvm_pmu_partition was loaded";
	return NULL;
}

/* Why this host cannot give any VM @mode, or NULL. */
static const char *mode_unavailable(enum partition_mode mode)
{
	const struct partition_mode_ops *ops = partition_modes[mode];

	return ops->host_unavailable ? ops->host_unavailable() : NULL;
}

/* What the mode asks of the VM's configuration, applied at once. */
static void vm_apply_mode(struct partition_vm *vm, enum partition_mode was)
{
	const struct partition_mode_ops *ops = partition_modes[vm->requested_mode];
	struct kvm *kvm = vm->kvm;
	u8 max = vm_max_counters(vm->requested_mode, hardware_counters(kvm));

	lockdep_assert_held(&kvm->arch.config_lock);
	/* Leaving the fixed mode gives back the counters it took; else keep a lowered N. */
	if (kvm->arch.arm_pmu)
		kvm->arch.pmcr_n = was == PARTITION_MODE_FIXED ? max :
				   min(kvm->arch.pmcr_n, max);
	if (ops->apply)
		ops->apply(kvm);
}

/*
 * The one function that changes the requested mode, under config_lock,
 * before the VM runs. @chosen: the VMM's attribute asks for it. A chosen
 * partition takes the counter claim now, so that SET fails (ENOSPC) while
 * the VMM can still act on it; a default one takes it at the first run.
 */
static int vm_request(struct partition_vm *vm, enum partition_mode mode,
		      bool chosen)
{
	enum partition_mode was = vm->requested_mode;
	int ret;

	lockdep_assert_held(&vm->kvm->arch.config_lock);
	if (mode == PARTITION_MODE_PARTITIONED && chosen && !vm->claimed) {
		ret = partition_claim(vm);
		if (ret)
			return ret;
	}
	if (mode != PARTITION_MODE_PARTITIONED && vm->claimed)
		partition_release(vm);
	WRITE_ONCE(vm->requested_mode, mode);
	vm->mode_chosen |= chosen;
	vm_apply_mode(vm, was);
	return 0;
}

/* "partitioned PMU", for log lines. */
static const char *mode_title(enum partition_mode mode)
{
	return partition_modes[mode]->title;
}

/*
 * Under config_lock, at the first KVM_RUN of the VM's first vCPU: fixes the
 * mode the hooks act on. What only now shows (a user-space irqchip, N = 0
 * without FEAT_HPMN0, a claim that host perf events block for a default
 * partition) fails a chosen mode's KVM_RUN and sends a default one to
 * KVM's emulation.
 */
static int vm_commit(struct partition_vm *vm, struct kvm_vcpu *vcpu)
{
	enum partition_mode mode = vm->requested_mode;
	struct kvm *kvm = vm->kvm;
	const char *reason = NULL;

	lockdep_assert_held(&kvm->arch.config_lock);
	/* Without a vPMU (a VM-wide feature) there is nothing to put in a mode. */
	if (!kvm_vcpu_has_pmu(vcpu))
		mode = PARTITION_MODE_EMULATED;
	if (mode != PARTITION_MODE_EMULATED) {
		reason = vm_unsuitable(kvm, vcpu) ?: mode_unavailable(mode);
		if (!reason && !irqchip_in_kernel(kvm))
			reason = "it has a user-space irqchip";
		if (!reason && partition_modes[mode]->prepare)
			reason = partition_modes[mode]->prepare(vm, vcpu);
	}
	if (reason && vm->mode_chosen) {
		pr_warn_ratelimited("the %s the VMM (process %d) chose cannot run: %s; KVM_RUN fails with EINVAL\n",
				    mode_title(mode), vm->pid, reason);
		/* A VM that does not run holds no counters; a retry claims again. */
		partition_release(vm);
		return -EINVAL;
	}
	if (reason) {
		pr_info_ratelimited("VM of process %d runs with KVM's PMU emulation, not default_mode=%s: %s\n",
				    vm->pid, partition_mode_names[mode], reason);
		vm_request(vm, PARTITION_MODE_EMULATED, false);
		mode = PARTITION_MODE_EMULATED;
	}
	WRITE_ONCE(vm->mode, mode);
	WRITE_ONCE(vm->ops, partition_modes[mode]);
	/* Lockless readers that see committed see the mode (vm_visible_mode()). */
	smp_store_release(&vm->committed, true);
	return 0;
}

/*
 * Each vCPU's first KVM_RUN: process context, under kvm->arch.config_lock,
 * in the critical section where KVM marks the VM as having run
 * (HAS_RAN_ONCE), so no VM-wide PMU state can change after vm_commit().
 */
int partition_vm_first_run(struct kvm_vcpu *vcpu)
{
	struct partition_vcpu *state = partition_vcpu(vcpu);
	struct kvm *kvm = vcpu->kvm;
	struct partition_vm *vm;
	int ret;

	lockdep_assert_held(&kvm->arch.config_lock);
	if (state) {
		vm = state->vm;	/* pinned by this vCPU */
		return vm->committed ? 0 : vm_commit(vm, vcpu);
	}

	/*
	 * A vCPU without module state (created before the load, or its
	 * allocation failed) pins no record: a vCPU with a duplicate id
	 * that KVM refuses may free it at any time, so it is only used
	 * under partition_vms_lock.
	 */
	guard(mutex)(&partition_vms_lock);
	vm = vm_find(kvm);
	if (!vm)
		return 0;	/* no vCPU of this VM went through the module */
	if (!vm->committed) {
		ret = vm_commit(vm, vcpu);
		if (ret)
			return ret;
	}
	if (vm->mode != PARTITION_MODE_EMULATED) {
		pr_warn_ratelimited("vCPU %d of the VM of process %d has no module state and cannot join its %s; KVM_RUN fails with EINVAL\n",
				    vcpu->vcpu_id, vm->pid, mode_title(vm->mode));
		return -EINVAL;
	}
	return 0;
}

/* The mode the VM is in for the attribute's GET: chosen, default or run. */
static enum partition_mode vm_visible_mode(struct partition_vm *vm)
{
	/* Pairs with vm_commit()'s release: committed means mode is set. */
	return smp_load_acquire(&vm->committed) ? READ_ONCE(vm->mode) :
					  READ_ONCE(vm->requested_mode);
}

/* HAS: whether any SET of @mode on @vcpu could succeed. Not under config_lock. */
static int mode_attr_has(struct kvm_vcpu *vcpu, enum partition_mode mode)
{
	if (!kvm_vcpu_has_pmu(vcpu) || vm_unsuitable(vcpu->kvm, vcpu) ||
	    mode_unavailable(mode) ||
	    (mode == PARTITION_MODE_FIXED &&
	     partition_vcpu(vcpu)->vm->stock_pmu_choice))
		return -ENXIO;
	return 0;
}

static int mode_attr_get(struct kvm_vcpu *vcpu, enum partition_mode mode,
			 struct kvm_device_attr *attr)
{
	struct partition_vm *vm = partition_vcpu(vcpu)->vm;

	if (!kvm_vcpu_has_pmu(vcpu) || vm_visible_mode(vm) != mode)
		return -ENXIO;
	if (mode != PARTITION_MODE_PARTITIONED)
		return 0;
	return put_user((u64)READ_ONCE(vcpu->kvm->arch.pmcr_n),
			(u64 __user *)(unsigned long)attr->addr) ? -EFAULT : 0;
}

/* SET, under config_lock: the VMM chooses @mode for the whole VM. */
static int mode_attr_set(struct kvm_vcpu *vcpu, enum partition_mode mode)
{
	struct partition_vm *vm = partition_vcpu(vcpu)->vm;
	struct kvm *kvm = vcpu->kvm;
	const char *reason;

	lockdep_assert_held(&kvm->arch.config_lock);
	if (!kvm_vcpu_has_pmu(vcpu))
		return -ENODEV;
	if (vcpu->arch.pmu.created || kvm_vm_has_ran_once(kvm) || vm->committed)
		return -EBUSY;
	if (vm->mode_chosen && vm->requested_mode != mode) {
		pr_warn_ratelimited("%s refused for the VM of process %d: its VMM chose the %s\n",
				    mode_title(mode), vm->pid, mode_title(vm->requested_mode));
		return -EEXIST;
	}
	if (vm->mode_chosen)
		return 0;
	/*
	 * A partition takes hardware counters from host perf on every CPU, as
	 * a pinned CPU-wide perf event would: perf asks for CAP_PERFMON there.
	 */
	if (mode == PARTITION_MODE_PARTITIONED && !perfmon_capable()) {
		pr_warn_ratelimited("partitioned PMU refused for the VM of process %d: the VMM lacks CAP_PERFMON (or load the module with default_mode=partitioned)\n",
				    vm->pid);
		return -EPERM;
	}
	reason = vm_unsuitable(kvm, vcpu);
	if (!reason && mode == PARTITION_MODE_FIXED && vm->stock_pmu_choice)
		reason = "the VMM chose a host PMU or an event filter";
	if (reason) {
		pr_warn_ratelimited("%s refused for the VM of process %d: %s\n",
				    mode_title(mode), vm->pid, reason);
		return -EINVAL;
	}
	reason = mode_unavailable(mode);
	if (reason) {
		pr_warn_ratelimited("%s refused: %s\n", mode_title(mode), reason);
		return -EOPNOTSUPP;
	}
	return vm_request(vm, mode, true);
}

/*
 * Whether KVM will accept this SET of SET_PMU or FILTER: its own checks
 * (kvm_arm_pmu_v3_set_attr()), run first so that a call KVM refuses
 * changes nothing here. User memory is read again by KVM; a VMM that
 * changes it in between only misleads itself about its own VM.
 */
static bool stock_attr_accepted(struct kvm_vcpu *vcpu, struct kvm_device_attr *attr)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_pmu_event_filter filter;
	unsigned int i;
	int pmu_id;

	if (!kvm_vcpu_has_pmu(vcpu) || vcpu->arch.pmu.created ||
	    kvm_vm_has_ran_once(kvm))
		return false;
	if (attr->attr == KVM_ARM_VCPU_PMU_V3_FILTER) {
		if (copy_from_user(&filter, u64_to_user_ptr(attr->addr), sizeof(filter)))
			return false;
		return (u32)filter.base_event + filter.nevents <= partition_filter_size() &&
		       (filter.action == KVM_PMU_EVENT_ALLOW ||
			filter.action == KVM_PMU_EVENT_DENY);
	}
	if (get_user(pmu_id, (int __user *)u64_to_user_ptr(attr->addr)))
		return false;
	for (i = 0; i < partition_host_pmu_count(); i++) {
		struct arm_pmu *pmu = partition_host_pmu(i)->pmu;

		if (pmu->pmu.type == pmu_id)
			return !kvm->arch.pmu_filter || kvm->arch.arm_pmu == pmu;
	}
	return false;
}

/*
 * SET of KVM's SET_PMU or FILTER, under config_lock, before KVM handles
 * it: a chosen fixed-counters-only PMU can honour neither (EINVAL); a
 * default one yields to the VMM's choice, and the VM is stock again.
 */
static int stock_attr_set(struct kvm_vcpu *vcpu, struct kvm_device_attr *attr)
{
	struct partition_vm *vm = partition_vcpu(vcpu)->vm;

	lockdep_assert_held(&vcpu->kvm->arch.config_lock);
	if (!kvm_vcpu_has_pmu(vcpu) || vcpu->arch.pmu.created ||
	    vm->committed || kvm_vm_has_ran_once(vcpu->kvm))
		return -ENOIOCTLCMD;	/* KVM refuses it */
	if (vm->mode_chosen && vm->requested_mode == PARTITION_MODE_FIXED) {
		pr_warn_ratelimited("the VM of process %d chose the fixed-counters-only PMU, which has no host PMU choice or event filter\n",
				    vm->pid);
		return -EINVAL;
	}
	if (!stock_attr_accepted(vcpu, attr))
		return -ENOIOCTLCMD;	/* KVM refuses it */
	vm->stock_pmu_choice = true;
	if (vm->requested_mode == PARTITION_MODE_FIXED)
		vm_request(vm, PARTITION_MODE_EMULATED, false);
	return -ENOIOCTLCMD;
}

/* The PMU vCPU attributes: process context; SET under kvm->arch.config_lock. */
int partition_vm_attr(enum kvm_pmu_hook_attr_op op, struct kvm_vcpu *vcpu,
		      struct kvm_device_attr *attr)
{
	struct partition_vcpu *state = partition_vcpu(vcpu);
	enum partition_mode mode;

	if (!state)
		return -ENOIOCTLCMD;	/* created before the module: stock */

	switch (attr->attr) {
	case KVM_PMU_PARTITION_ATTR_PARTITIONED:
		mode = PARTITION_MODE_PARTITIONED;
		break;
	case KVM_PMU_PARTITION_ATTR_FIXED_COUNTERS_ONLY:
		mode = PARTITION_MODE_FIXED;
		break;
	case KVM_ARM_VCPU_PMU_V3_FILTER:
	case KVM_ARM_VCPU_PMU_V3_SET_PMU:
		if (op == KVM_PMU_HOOK_ATTR_SET)
			return stock_attr_set(vcpu, attr);
		return -ENOIOCTLCMD;
	default:
		return -ENOIOCTLCMD;
	}

	switch (op) {
	case KVM_PMU_HOOK_ATTR_SET:
		return mode_attr_set(vcpu, mode);
	case KVM_PMU_HOOK_ATTR_GET:
		return mode_attr_get(vcpu, mode, attr);
	default:
		return mode_attr_has(vcpu, mode);
	}
}

/*
 * KVM_SET_ONE_REG of PM{C,I}NTEN{SET,CLR} or PMOVS{SET,CLR}: process
 * context, vcpu->mutex held, the vCPU not running, before or after the
 * VM's first run. A VM in a module mode (committed, or chosen or
 * defaulted before its first run, when a VMM restores it) stores the
 * value as given, as upstream KVM does for every VM since commit
 * f2aeb7bbd574, and KVM then reloads its PMU (KVM_REQ_RELOAD_PMU: the
 * fixed mode's cycle event is enabled or disabled to match; its count is
 * not rebuilt). Otherwise a VMM that restores every register of
 * KVM_GET_REG_LIST in its order would clear with PMCNTENCLR what it set
 * with PMCNTENSET, and a restored guest's live counters would stop
 * (docs/partition.md "Saving and restoring a vCPU"). Emulated VMs keep
 * 6.12's guest-write semantics; a VM that the first run sends back to
 * emulation keeps the values its earlier SETs stored as given. Overflow
 * flags the store sets are not followed as overflows (docs/tracing.md).
 */
bool partition_vm_set_pmreg_raw(struct kvm_vcpu *vcpu)
{
	struct partition_vcpu *state = partition_vcpu(vcpu);

	if (!state || vm_visible_mode(state->vm) == PARTITION_MODE_EMULATED)
		return false;
	partition_forget_deliveries(vcpu, false);
	return true;
}

/*
 * The counters a guest of @kvm may have: under config_lock, at vCPU init,
 * SET_PMU and user-space PMCR writes.
 */
u8 partition_vm_max_counters(struct kvm *kvm, u8 hardware_counters)
{
	struct partition_vm *vm;

	/* Only under the lock: a refused duplicate vCPU may free the record. */
	guard(mutex)(&partition_vms_lock);
	vm = vm_find(kvm);
	if (!vm)
		return hardware_counters;
	return vm_max_counters(vm->committed ? vm->mode : vm->requested_mode,
			       hardware_counters);
}
