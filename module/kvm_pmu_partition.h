/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Declarations shared by the files of kvm_pmu_partition.ko. Each piece of
 * state has one owner file, named next to it; the others ask that file.
 */
#ifndef KVM_PMU_PARTITION_H
#define KVM_PMU_PARTITION_H

#include <linux/cpumask.h>
#include <linux/kobject.h>
#include <linux/kvm_host.h>
#include <linux/list.h>
#include <linux/percpu.h>

#include <kvm/arm_pmu_hooks.h>

#include <uapi/linux/kvm_pmu_partition.h>

#include "param_parse.h"

#define PARTITION_MAX_HOST_PMUS		8

struct arm_pmu;
struct kvm;

/* Load-time configuration; main.c owns it, fixed once the module is live. */
struct partition_config {
	enum partition_mode default_mode;
	enum partition_fgt_policy fgt;
	unsigned int reserved_host_counters;
};

extern struct partition_config partition_config;

/* One host PMUv3 instance; host_pmu.c owns the table. */
struct partition_host_pmu {
	struct arm_pmu *pmu;
	const char *name;
	const struct cpumask *cpus;
	unsigned int counters;		/* programmable event counters, N */
	bool cycle_counter;
	unsigned int pmuver;		/* ID_AA64DFR0_EL1.PMUVer */
	struct kobject kobj;		/* pmus/<name>/ in sysfs */
};

int partition_host_pmus_discover(void);
unsigned int partition_host_pmu_count(void);
struct partition_host_pmu *partition_host_pmu(unsigned int index);
/* The host PMU with the fewest event counters, or NULL. */
struct partition_host_pmu *partition_host_pmu_smallest(void);
bool partition_fgt_present(void);

/*
 * A VM that went through the module. vm.c owns the list and the lifetime;
 * the mode is fixed before the VM first runs (under kvm->arch.config_lock).
 */
struct partition_vm {
	struct list_head node;
	struct kvm *kvm;
	unsigned int vcpus;		/* vCPUs with a partition_vcpu */
	enum partition_mode mode;
	bool mode_chosen;		/* by the VMM, not by default_mode */
	bool set_pmu_seen;		/* KVM_ARM_VCPU_PMU_V3_SET_PMU was used */
	pid_t pid;			/* of the VMM that created it */
	unsigned int serial;		/* names it in sysfs: <pid>.<serial> */
	struct kobject kobj;		/* vms/<pid>.<serial>/ */
};

/* Per-vCPU state, at vcpu->arch.pmu.hook_data; vm.c owns it. */
struct partition_vcpu {
	struct partition_vm *vm;
	struct kvm_vcpu *vcpu;
	struct kobject kobj;		/* vms/<vm>/vcpu<id>/ */
	/* Fixed-counters-only PMU, see fixed.c. */
	struct arm_pmu *backing_pmu;	/* backs the cycle counter's event */
	bool rebacking_pending;		/* loaded on a CPU of another PMU */
	u64 loads;
	u64 backing_switches;
};

extern const struct kvm_pmu_hooks partition_hooks;
unsigned int partition_vm_count(void);

static inline struct partition_vcpu *partition_vcpu(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.pmu.hook_data;
}

/* The PMU mode of @vcpu's VM; stock (emulated) for VMs the module lacks. */
static inline enum partition_mode partition_vcpu_mode(struct kvm_vcpu *vcpu)
{
	struct partition_vcpu *state = partition_vcpu(vcpu);

	return state ? state->vm->mode : PARTITION_MODE_EMULATED;
}

/* The host PMU whose CPUs include @cpu, or NULL. */
struct partition_host_pmu *partition_host_pmu_of_cpu(int cpu);
/* Whether the host PMUs together cover every possible CPU. */
bool partition_host_pmus_cover_all_cpus(void);
/* The lowest PMUVer among the host PMUs. */
unsigned int partition_host_pmus_min_pmuver(void);

/* Fixed-counters-only PMU; fixed.c. Contexts as the hooks they serve. */
int partition_fixed_attr(enum kvm_pmu_hook_attr_op op, struct kvm_vcpu *vcpu,
			 struct kvm_device_attr *attr);
void partition_fixed_enter(struct kvm *kvm);
enum kvm_pmu_hook_result
partition_fixed_sysreg_access(struct kvm_vcpu *vcpu,
			      struct kvm_pmu_sysreg_access *access);
void partition_fixed_handle_pmcr(struct kvm_vcpu *vcpu, u64 value);
void partition_fixed_vcpu_load(struct kvm_vcpu *vcpu, int cpu);
void partition_fixed_vcpu_destroy(struct kvm_vcpu *vcpu);

/* Hook call counts, for tests and pmuctl; stats.c owns them. */
enum partition_hook {
	PARTITION_HOOK_VCPU_INIT,
	PARTITION_HOOK_VCPU_DESTROY,
	PARTITION_HOOK_VCPU_FIRST_RUN,
	PARTITION_HOOK_ATTR,
	PARTITION_HOOK_MAX_COUNTERS,
	PARTITION_HOOK_SYSREG_ACCESS,
	PARTITION_HOOK_HANDLE_PMCR,
	PARTITION_HOOK_VCPU_RESET,
	PARTITION_HOOK_VCPU_LOAD,
	PARTITION_HOOK_VCPU_PUT,
	PARTITION_HOOK_SETUP_MDCR,
	PARTITION_HOOK_OVERFLOW_STATUS,
	PARTITION_HOOK_HYP_SYSREG,
	PARTITION_HOOK_HOST_PMU_CTRL,
	PARTITION_HOOK_HOST_PMU_IRQ,
	PARTITION_HOOK_COUNT,
};

struct partition_hook_calls {
	u64 calls[PARTITION_HOOK_COUNT];
};

/* Per CPU: hooks run on every guest entry, on every CPU. */
DECLARE_PER_CPU(struct partition_hook_calls, partition_hook_calls);

/* Any context but the guest-exit path. */
static inline void partition_count_hook(enum partition_hook hook)
{
	this_cpu_inc(partition_hook_calls.calls[hook]);
}

/* Guest-exit path: interrupts masked, so no preemption guard is needed. */
static __always_inline void partition_count_hook_noinstr(enum partition_hook hook)
{
	raw_cpu_inc(partition_hook_calls.calls[hook]);
}

void partition_stats_init(void);
void partition_stats_exit(void);

int partition_sysfs_init(void);
void partition_sysfs_exit(void);
/* vms/<pid>.<serial>/ and its vcpu<id>/ directories; process context. */
int partition_sysfs_add_vm(struct partition_vm *vm);
void partition_sysfs_remove_vm(struct partition_vm *vm);
int partition_sysfs_add_vcpu(struct partition_vcpu *state);
void partition_sysfs_remove_vcpu(struct partition_vcpu *state);

#endif /* KVM_PMU_PARTITION_H */
