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
#include <linux/perf/arm_pmuv3.h>

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
	unsigned int reserved_host_counters;	/* changes under partition.c's lock */
	bool fast_path;		/* emulate traps in the guest-exit path */
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
	bool claimed;			/* holds a reference on the counter claim */
	/* Partitioned PMU, fixed at first run; read by the guest-exit path. */
	u64 evtyper_mask;		/* PMEVTYPER bits the VM may set */
	bool copy_el_filters;		/* hardware NSK/NSU := guest P/U */
	bool long_counters;		/* PMUv3p5 VM: PMCR_EL0.LP exists */
	bool cycle_overflow_res1;	/* PMCR_EL0.LC is RES1 */
	pid_t pid;			/* of the VMM that created it */
	unsigned int serial;		/* names it in sysfs: <pid>.<serial> */
	struct kobject kobj;		/* vms/<pid>.<serial>/ */
};

/* Fields of a sys_reg(op0, op1, crn, crm, op2) encoding. */
#define ENCODING_CRN(encoding)	(((encoding) >> 12) & 0xf)
#define ENCODING_CRM(encoding)	(((encoding) >> 8) & 0xf)
#define ENCODING_OP2(encoding)	(((encoding) >> 5) & 0x7)

/* Register groups of the partitioned PMU's trap statistics. */
enum partition_register {
	PARTITION_REGISTER_PMCR,
	PARTITION_REGISTER_PMCNTEN,
	PARTITION_REGISTER_PMINTEN,
	PARTITION_REGISTER_PMOVS,
	PARTITION_REGISTER_PMSELR,
	PARTITION_REGISTER_PMCCNTR,
	PARTITION_REGISTER_PMEVCNTR,	/* and PMXEVCNTR */
	PARTITION_REGISTER_PMEVTYPER,	/* and PMXEVTYPER, PMCCFILTR */
	PARTITION_REGISTER_PMUSERENR,
	PARTITION_REGISTER_PMSWINC,
	PARTITION_REGISTER_PMCEID,
	PARTITION_REGISTER_PMMIR,
	PARTITION_REGISTER_COUNT,
};

extern const char *const partition_register_names[PARTITION_REGISTER_COUNT];

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
	/*
	 * Partitioned PMU, see partition.c. Written only on the CPU the vCPU
	 * is loaded on (hooks and guest-exit path), read by sysfs.
	 */
	int owned_cpu;			/* its state is in this CPU's PMU, or -1 */
	bool swap_in_untraced;		/* by the guest-exit path, to trace */
	u64 fast_traps_traced;		/* sum of traps_fast already traced */
	u64 swaps_in;
	u64 swaps_out;
	u64 overflows;
	u64 traps_fast[PARTITION_REGISTER_COUNT];
	u64 traps_full[PARTITION_REGISTER_COUNT];
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

/*
 * The partitioned PMU; partition.c (process, IRQ contexts) and
 * partition_registers.c (noinstr register work).
 */

/* What one CPU's PMU holds; partition.c owns it. */
struct partition_cpu {
	struct kvm_vcpu *owner;		/* guest-owned by this vCPU, or NULL */
	/* Names the owner for sysfs, which must not follow the pointer. */
	pid_t owner_pid;
	unsigned int owner_serial;
	int owner_vcpu_id;
	u64 host_pmcr;			/* host PMCR_EL0 while guest-owned */
	u64 host_hdfgrtr;		/* host fine-grained traps, likewise */
	u64 host_hdfgwtr;
	unsigned int host_counters;	/* PMCR_EL0.N read at EL2 */
	bool long_counters;		/* FEAT_PMUv3p5: HPMD/HCCD/HLP scope */
	bool hpmn0;			/* FEAT_HPMN0 */
};

DECLARE_PER_CPU(struct partition_cpu, partition_cpus);

/* Set once at load: the trap policy partitioned guests get. */
extern bool partition_use_fgt;

static inline bool partition_vcpu_partitioned(struct partition_vcpu *state)
{
	return state && state->vm->mode == PARTITION_MODE_PARTITIONED;
}

/* Counters a partitioned guest owns: [0, PMCR_EL0.N) and the cycle counter. */
static __always_inline u64 partition_guest_counters(struct kvm_vcpu *vcpu)
{
	return (BIT_ULL(vcpu->kvm->arch.pmcr_n) - 1) | BIT_ULL(ARMV8_PMU_CYCLE_IDX);
}

/* Whether the vCPU's saved PMU counts: then vcpu_load loads it. */
static __always_inline bool partition_pmu_counting(struct kvm_vcpu *vcpu)
{
	const u64 *regs = vcpu->arch.ctxt.sys_regs;

	return (regs[PMCR_EL0] & ARMV8_PMU_PMCR_E) &&
	       (regs[PMCNTENSET_EL0] & partition_guest_counters(vcpu));
}

int partition_setup(void);
void partition_teardown(void);
int partition_attr(enum kvm_pmu_hook_attr_op op, struct kvm_vcpu *vcpu,
		   struct kvm_device_attr *attr);
int partition_first_run(struct kvm_vcpu *vcpu);
u8 partition_max_counters(struct partition_vm *vm, u8 hardware_counters);
void partition_vm_destroy(struct partition_vm *vm);
void partition_vm_set_partitioned(struct partition_vm *vm, bool partitioned);
int partition_set_reservation(unsigned int reserved);
unsigned int partition_partitioned_vms(void);
bool partition_counters_claimed(void);
enum kvm_pmu_hook_result
partition_sysreg_access(struct kvm_vcpu *vcpu,
			struct kvm_pmu_sysreg_access *access);
void partition_vcpu_load(struct kvm_vcpu *vcpu, int cpu);
void partition_vcpu_put(struct kvm_vcpu *vcpu);
void partition_setup_mdcr(struct kvm_vcpu *vcpu, u64 *mdcr_el2);
bool partition_overflow_status(struct kvm_vcpu *vcpu, u64 *status);
bool partition_host_pmu_ctrl(bool enable);
bool partition_host_pmu_irq(void);

/* noinstr: IRQs masked, on the vCPU's CPU (partition_registers.c). */
void partition_swap_in(struct kvm_vcpu *vcpu, struct partition_cpu *cpu);
void partition_swap_out(struct kvm_vcpu *vcpu, struct partition_cpu *cpu);
u64 partition_owned_mdcr(struct kvm_vcpu *vcpu, struct partition_cpu *cpu,
			 u64 mdcr);
enum partition_register partition_register_of(u32 encoding);
enum kvm_pmu_hook_result partition_emulate(struct kvm_vcpu *vcpu, u32 encoding,
					   bool is_write, u64 *value);
enum kvm_pmu_hook_result partition_hyp_sysreg(struct kvm_vcpu *vcpu, u64 esr);

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

/*
 * Per CPU: hooks run on every guest entry, on every CPU. The hooks that
 * run on every entry and exit (load, put, MDCR_EL2, overflow status, the
 * guest-exit path) count only the calls where they act, so that a VM they
 * leave alone costs no more than a check.
 */
DECLARE_PER_CPU(struct partition_hook_calls, partition_hook_calls);

/* Any context but the guest-exit path. */
static inline void partition_count_hook(enum partition_hook hook)
{
	this_cpu_inc(partition_hook_calls.calls[hook]);
}

/* Preemption disabled. */
static __always_inline void partition_count_hook_atomic(enum partition_hook hook)
{
	raw_cpu_inc(partition_hook_calls.calls[hook]);
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
