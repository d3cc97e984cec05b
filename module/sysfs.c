// SPDX-License-Identifier: GPL-2.0-only
/*
 * State for tools, under /sys/kernel/kvm_pmu_partition/: the module's
 * configuration and counts, pmus/<name>/ per host PMU, cpus/cpu<n>/ (its
 * PMU, and which partitioned vCPU owns it now and owned it last), and
 * vm/<pid>.<serial>/ per VM with vcpu<id>/ (mode, HPMN, swaps, traps,
 * overflows, the fixed mode's backing PMU). Read-only but
 * reserved_host_counters, which pmuctl writes. docs/sysfs.md documents the
 * layout. Process context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/perf/arm_pmu.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include <kvm/arm_pmu_hooks.h>

#include "counter_mask.h"
#include "kvm_pmu_partition.h"

static struct kobject *partition_kobj;
static struct kobject *partition_pmus_kobj;
static struct kobject *partition_cpus_kobj;
static struct kobject **partition_cpu_kobjs;
static struct kobject *partition_vm_kobj;

#define PARTITION_ATTR_RO(name, format, value)				\
static ssize_t name##_show(struct kobject *kobj,			\
			   struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, format "\n", value);			\
}									\
static struct kobj_attribute name##_attribute = __ATTR_RO(name)

PARTITION_ATTR_RO(version, "%s", KVM_PMU_PARTITION_VERSION);
PARTITION_ATTR_RO(abi_version, "%d", KVM_PMU_HOOKS_ABI_VERSION);
PARTITION_ATTR_RO(default_mode, "%s",
		  partition_mode_names[partition_config.default_mode]);
PARTITION_ATTR_RO(fgt, "%s", partition_fgt_names[partition_config.fgt]);
PARTITION_ATTR_RO(fgt_present, "%d", partition_fgt_present());
PARTITION_ATTR_RO(vms, "%u", partition_vm_count());
PARTITION_ATTR_RO(trap_policy, "%s", partition_trap_policy());
PARTITION_ATTR_RO(fast_path, "%d", partition_config.fast_path);
PARTITION_ATTR_RO(partitioned_vms, "%u", partition_partitioned_vms());
PARTITION_ATTR_RO(counters_claimed, "%d", partition_counters_claimed());

static ssize_t reserved_host_counters_show(struct kobject *kobj,
					   struct kobj_attribute *attr,
					   char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(partition_config.reserved_host_counters));
}

/* pmuctl pmu reserve N: only while no partitioned VM exists. */
static ssize_t reserved_host_counters_store(struct kobject *kobj,
					    struct kobj_attribute *attr,
					    const char *buf, size_t count)
{
	unsigned int reserved;
	int ret;

	ret = kstrtouint(buf, 0, &reserved);
	if (ret) {
		pr_warn("reserved_host_counters takes a number of counters\n");
		return ret;
	}
	ret = partition_set_reservation(reserved);
	return ret ? ret : count;
}

static struct kobj_attribute reserved_host_counters_attribute =
	__ATTR_RW_MODE(reserved_host_counters, 0644);

static struct attribute *partition_attrs[] = {
	&version_attribute.attr,
	&abi_version_attribute.attr,
	&default_mode_attribute.attr,
	&fgt_attribute.attr,
	&fgt_present_attribute.attr,
	&reserved_host_counters_attribute.attr,
	&vms_attribute.attr,
	&trap_policy_attribute.attr,
	&fast_path_attribute.attr,
	&partitioned_vms_attribute.attr,
	&counters_claimed_attribute.attr,
	NULL,
};

static const struct attribute_group partition_group = {
	.attrs = partition_attrs,
};

static struct partition_host_pmu *to_host_pmu(struct kobject *kobj)
{
	return container_of(kobj, struct partition_host_pmu, kobj);
}

#define HOST_PMU_ATTR_RO(name, format, value)				\
static ssize_t pmu_##name##_show(struct kobject *kobj,		\
				 struct kobj_attribute *attr, char *buf) \
{									\
	struct partition_host_pmu *host_pmu = to_host_pmu(kobj);	\
									\
	return sysfs_emit(buf, format "\n", value);			\
}									\
static struct kobj_attribute pmu_##name##_attribute =			\
	__ATTR(name, 0444, pmu_##name##_show, NULL)

HOST_PMU_ATTR_RO(cpus, "%*pbl", cpumask_pr_args(host_pmu->cpus));
HOST_PMU_ATTR_RO(counters, "%u", host_pmu->counters);
HOST_PMU_ATTR_RO(cycle_counter, "%d", host_pmu->cycle_counter);
/*
 * HPMN is one for every PMU (the smallest PMU's N minus the reservation),
 * so a larger PMU keeps more than the reservation for host perf.
 */
HOST_PMU_ATTR_RO(reserved_host_counters, "%u",
		 host_pmu->counters - min(partition_size(), host_pmu->counters));
HOST_PMU_ATTR_RO(guest_counters, "%u",
		 min(partition_size(), host_pmu->counters));
HOST_PMU_ATTR_RO(pmuver, "%u", host_pmu->pmuver);

static struct attribute *host_pmu_attrs[] = {
	&pmu_cpus_attribute.attr,
	&pmu_counters_attribute.attr,
	&pmu_cycle_counter_attribute.attr,
	&pmu_reserved_host_counters_attribute.attr,
	&pmu_guest_counters_attribute.attr,
	&pmu_pmuver_attribute.attr,
	NULL,
};
ATTRIBUTE_GROUPS(host_pmu);

/* The table in host_pmu.c owns the memory: nothing to free. */
static void host_pmu_release(struct kobject *kobj)
{
}

static const struct kobj_type host_pmu_ktype = {
	.release = host_pmu_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = host_pmu_groups,
};

/* cpus/cpu<n>/: the CPU number is in the directory's name. */
static int kobject_cpu(struct kobject *kobj)
{
	int cpu;

	return kstrtoint(kobject_name(kobj) + strlen("cpu"), 10, &cpu) ? -1 : cpu;
}

static ssize_t cpu_pmu_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct partition_host_pmu *host_pmu =
		partition_host_pmu_of_cpu(kobject_cpu(kobj));

	return sysfs_emit(buf, "%s\n", host_pmu ? host_pmu->name : "none");
}

/* A CPU's owner as sysfs shows it: whether there is one, and its name. */
struct owner_name {
	bool owned;
	pid_t pid;
	unsigned int serial;
	int vcpu_id;
};

/*
 * Reads the owner's name, never the pointer (that vCPU may be going), as
 * one with whether there is an owner: the swap in and out change them
 * while owner_sequence is odd (partition_switch.c), so a read that
 * overlapped a change is made again.
 */
static void read_owner(struct partition_cpu *cpu, struct owner_name *name)
{
	unsigned int sequence;

	for (;;) {
		sequence = READ_ONCE(cpu->owner_sequence);
		if (sequence & 1) {
			cpu_relax();
			continue;
		}
		/* The sequence before the name: pairs with end_owner_change(). */
		smp_rmb();
		name->owned = READ_ONCE(cpu->owner);
		name->pid = READ_ONCE(cpu->owner_pid);
		name->serial = READ_ONCE(cpu->owner_serial);
		name->vcpu_id = READ_ONCE(cpu->owner_vcpu_id);
		/* The name before the sequence: pairs with begin_owner_change(). */
		smp_rmb();
		if (READ_ONCE(cpu->owner_sequence) == sequence)
			return;
	}
}

static ssize_t cpu_owner_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	struct owner_name name;

	read_owner(per_cpu_ptr(&partition_cpus, kobject_cpu(kobj)), &name);
	if (!name.owned)
		return sysfs_emit(buf, "free\n");
	return sysfs_emit(buf, "%d.%u/vcpu%d\n", name.pid, name.serial,
			  name.vcpu_id);
}

/*
 * The partitioned vCPU whose PMU state this CPU held last: the owner while
 * there is one, and after vcpu_put, when owner is free again, until another
 * vCPU's state is loaded here. partition_swap_in() writes the name and
 * partition_swap_out() leaves it; "none" before any (a VMM's pid is never
 * 0). It may name a vCPU that is gone.
 */
static ssize_t cpu_last_owner_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	struct owner_name name;

	read_owner(per_cpu_ptr(&partition_cpus, kobject_cpu(kobj)), &name);
	if (!name.pid)
		return sysfs_emit(buf, "none\n");
	return sysfs_emit(buf, "%d.%u/vcpu%d\n", name.pid, name.serial,
			  name.vcpu_id);
}

/* What the CPU's PMU has, read at EL2 when it came online; -1 before. */
static ssize_t cpu_counters_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	struct partition_cpu *cpu = per_cpu_ptr(&partition_cpus,
						kobject_cpu(kobj));

	return sysfs_emit(buf, "%d\n", READ_ONCE(cpu->probed) ?
			  (int)READ_ONCE(cpu->host_counters) : -1);
}

/* Whether the CPU has FEAT_HPMN0 (MDCR_EL2.HPMN may be 0); -1 before. */
static ssize_t cpu_hpmn0_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	struct partition_cpu *cpu = per_cpu_ptr(&partition_cpus,
						kobject_cpu(kobj));

	return sysfs_emit(buf, "%d\n", READ_ONCE(cpu->probed) ?
			  (int)READ_ONCE(cpu->hpmn0) : -1);
}

/* How a partitioned guest reaches its registers on this CPU. */
static ssize_t cpu_trap_policy_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	struct partition_cpu *cpu = per_cpu_ptr(&partition_cpus,
						kobject_cpu(kobj));

	if (!READ_ONCE(cpu->probed))
		return sysfs_emit(buf, "unknown\n");
	return sysfs_emit(buf, "%s\n", READ_ONCE(cpu->fine_grained) ? "fgt" : "trap");
}

static struct kobj_attribute cpu_pmu_attribute = __ATTR(pmu, 0444, cpu_pmu_show, NULL);
/* The owner names a VMM process: root only, as vm/. */
static struct kobj_attribute cpu_owner_attribute = __ATTR(owner, 0400, cpu_owner_show, NULL);
static struct kobj_attribute cpu_last_owner_attribute =
	__ATTR(last_owner, 0400, cpu_last_owner_show, NULL);
static struct kobj_attribute cpu_counters_attribute =
	__ATTR(counters, 0444, cpu_counters_show, NULL);
static struct kobj_attribute cpu_trap_policy_attribute =
	__ATTR(trap_policy, 0444, cpu_trap_policy_show, NULL);
static struct kobj_attribute cpu_hpmn0_attribute =
	__ATTR(hpmn0, 0444, cpu_hpmn0_show, NULL);

static struct attribute *cpu_attrs[] = {
	&cpu_pmu_attribute.attr,
	&cpu_owner_attribute.attr,
	&cpu_last_owner_attribute.attr,
	&cpu_counters_attribute.attr,
	&cpu_trap_policy_attribute.attr,
	&cpu_hpmn0_attribute.attr,
	NULL,
};

static const struct attribute_group cpu_group = {
	.attrs = cpu_attrs,
};

static void cpus_sysfs_exit(void)
{
	int cpu;

	if (partition_cpu_kobjs)
		for_each_possible_cpu(cpu)
			kobject_put(partition_cpu_kobjs[cpu]);
	kfree(partition_cpu_kobjs);
	partition_cpu_kobjs = NULL;
	kobject_put(partition_cpus_kobj);
	partition_cpus_kobj = NULL;
}

static int cpus_sysfs_init(void)
{
	int cpu, ret;

	partition_cpus_kobj = kobject_create_and_add("cpus", partition_kobj);
	partition_cpu_kobjs = kcalloc(nr_cpu_ids, sizeof(*partition_cpu_kobjs),
				      GFP_KERNEL);
	if (!partition_cpus_kobj || !partition_cpu_kobjs)
		goto fail;
	for_each_possible_cpu(cpu) {
		struct kobject *parent = partition_cpus_kobj;
		char name[16];

		snprintf(name, sizeof(name), "cpu%d", cpu);
		partition_cpu_kobjs[cpu] = kobject_create_and_add(name, parent);
		if (!partition_cpu_kobjs[cpu])
			goto fail;
		ret = sysfs_create_group(partition_cpu_kobjs[cpu], &cpu_group);
		if (ret)
			goto fail;
	}
	return 0;
fail:
	cpus_sysfs_exit();
	return -ENOMEM;
}

static struct partition_vm *to_vm(struct kobject *kobj)
{
	return container_of(kobj, struct partition_vm, kobj);
}

static struct partition_vcpu *to_vcpu_state(struct kobject *kobj)
{
	return container_of(kobj, struct partition_vcpu, kobj);
}

#define VM_ATTR_RO(name, format, value)					\
static ssize_t vm_##name##_show(struct kobject *kobj,			\
				struct kobj_attribute *attr, char *buf)	\
{									\
	struct partition_vm *vm = to_vm(kobj);				\
									\
	return sysfs_emit(buf, format "\n", value);			\
}									\
static struct kobj_attribute vm_##name##_attribute =			\
	__ATTR(name, 0400, vm_##name##_show, NULL)

VM_ATTR_RO(pid, "%d", vm->pid);
/* Before the VM runs, the mode it asked for (or default_mode gave it). */
static enum partition_mode vm_shown_mode(struct partition_vm *vm)
{
	/* Pairs with vm_commit()'s release: committed means mode is set. */
	return smp_load_acquire(&vm->committed) ? READ_ONCE(vm->mode) :
					  READ_ONCE(vm->requested_mode);
}

VM_ATTR_RO(mode, "%s", partition_mode_names[vm_shown_mode(vm)]);
VM_ATTR_RO(hpmn, "%d", vm_shown_mode(vm) == PARTITION_MODE_PARTITIONED ?
			(int)READ_ONCE(vm->kvm->arch.pmcr_n) : -1);

static struct attribute *vm_attrs[] = {
	&vm_pid_attribute.attr,
	&vm_mode_attribute.attr,
	&vm_hpmn_attribute.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vm);

static void vm_release(struct kobject *kobj)
{
	kfree(to_vm(kobj));
}

static const struct kobj_type vm_ktype = {
	.release = vm_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = vm_groups,
};

#define VCPU_ATTR_RO(name, format, value)				\
static ssize_t vcpu_##name##_show(struct kobject *kobj,		\
				  struct kobj_attribute *attr, char *buf) \
{									\
	struct partition_vcpu *state = to_vcpu_state(kobj);		\
									\
	return sysfs_emit(buf, format "\n", value);			\
}									\
static struct kobj_attribute vcpu_##name##_attribute =			\
	__ATTR(name, 0400, vcpu_##name##_show, NULL)

/* The PMU whose perf event backs the cycle counter; "none" before any. */
static const char *vcpu_backing_name(struct partition_vcpu *state)
{
	struct arm_pmu *pmu = READ_ONCE(state->backing_pmu);

	return pmu ? pmu->name : "none";
}

VCPU_ATTR_RO(backing_pmu, "%s", vcpu_backing_name(state));
VCPU_ATTR_RO(loads, "%llu", READ_ONCE(state->loads));
VCPU_ATTR_RO(backing_switches, "%llu", READ_ONCE(state->backing_switches));
VCPU_ATTR_RO(state, "%s", READ_ONCE(state->owned_cpu) < 0 ? "free" : "guest-owned");
VCPU_ATTR_RO(cpu, "%d", READ_ONCE(state->owned_cpu));
VCPU_ATTR_RO(swaps_in, "%llu", READ_ONCE(state->swaps_in));
VCPU_ATTR_RO(swaps_out, "%llu", READ_ONCE(state->swaps_out));
VCPU_ATTR_RO(overflows, "%llu", READ_ONCE(state->overflows));

/* One line per register: "<register> <fast> <full>". */
static ssize_t vcpu_traps_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	struct partition_vcpu *state = to_vcpu_state(kobj);
	int length = 0, i;

	for (i = 0; i < PARTITION_REGISTER_COUNT; i++)
		length += sysfs_emit_at(buf, length, "%s %llu %llu\n",
					partition_register_names[i],
					READ_ONCE(state->traps_fast[i]),
					READ_ONCE(state->traps_full[i]));
	return length;
}

static struct kobj_attribute vcpu_traps_attribute =
	__ATTR(traps, 0400, vcpu_traps_show, NULL);

static struct attribute *vcpu_attrs[] = {
	&vcpu_backing_pmu_attribute.attr,
	&vcpu_loads_attribute.attr,
	&vcpu_backing_switches_attribute.attr,
	&vcpu_state_attribute.attr,
	&vcpu_cpu_attribute.attr,
	&vcpu_swaps_in_attribute.attr,
	&vcpu_swaps_out_attribute.attr,
	&vcpu_overflows_attribute.attr,
	&vcpu_traps_attribute.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vcpu);

static void vcpu_release(struct kobject *kobj)
{
	kfree(to_vcpu_state(kobj));
}

static const struct kobj_type vcpu_ktype = {
	.release = vcpu_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = vcpu_groups,
};

/* On failure the VM is freed. */
int partition_sysfs_add_vm(struct partition_vm *vm)
{
	int ret = kobject_init_and_add(&vm->kobj, &vm_ktype, partition_vm_kobj,
				       "%d.%u", vm->pid, vm->serial);

	if (ret)
		kobject_put(&vm->kobj);
	return ret;
}

/* Removes the directory and frees the VM. */
void partition_sysfs_remove_vm(struct partition_vm *vm)
{
	kobject_del(&vm->kobj);
	kobject_put(&vm->kobj);
}

void partition_sysfs_init_vcpu(struct partition_vcpu *state)
{
	kobject_init(&state->kobj, &vcpu_ktype);
}

void partition_sysfs_add_vcpu(struct partition_vcpu *state)
{
	int ret = kobject_add(&state->kobj, &state->vm->kobj, "vcpu%d",
			      state->vcpu->vcpu_id);

	if (ret) {
		pr_warn_ratelimited("no sysfs directory for vCPU %d of the VM of process %d (%d); its statistics are not shown\n",
				    state->vcpu->vcpu_id, state->vm->pid, ret);
		return;
	}
	state->has_directory = true;
}

void partition_sysfs_remove_vcpu(struct partition_vcpu *state)
{
	if (state->has_directory)
		kobject_del(&state->kobj);
	state->has_directory = false;
	kobject_put(&state->kobj);
}

int partition_sysfs_init(void)
{
	unsigned int i, added = 0;
	int ret = -ENOMEM;

	partition_kobj = kobject_create_and_add(KBUILD_MODNAME, kernel_kobj);
	if (!partition_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(partition_kobj, &partition_group);
	if (ret)
		goto out_put;
	partition_pmus_kobj = kobject_create_and_add("pmus", partition_kobj);
	partition_vm_kobj = kobject_create_and_add("vm", partition_kobj);
	if (!partition_pmus_kobj || !partition_vm_kobj) {
		ret = -ENOMEM;
		goto out_pmus;
	}

	ret = cpus_sysfs_init();
	if (ret)
		goto out_pmus;

	for (i = 0; i < partition_host_pmu_count(); i++, added++) {
		struct partition_host_pmu *host_pmu = partition_host_pmu(i);

		ret = kobject_init_and_add(&host_pmu->kobj, &host_pmu_ktype,
					   partition_pmus_kobj, "%s",
					   host_pmu->name);
		if (ret) {
			kobject_put(&host_pmu->kobj);
			goto out_pmus;
		}
	}
	return 0;

out_pmus:
	while (added--)
		kobject_put(&partition_host_pmu(added)->kobj);
	cpus_sysfs_exit();
	kobject_put(partition_vm_kobj);
	kobject_put(partition_pmus_kobj);
out_put:
	kobject_put(partition_kobj);
	return ret;
}

void partition_sysfs_exit(void)
{
	unsigned int i;

	for (i = 0; i < partition_host_pmu_count(); i++)
		kobject_put(&partition_host_pmu(i)->kobj);
	cpus_sysfs_exit();
	kobject_put(partition_vm_kobj);
	kobject_put(partition_pmus_kobj);
	kobject_put(partition_kobj);
}
