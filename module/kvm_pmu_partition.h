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

#include <asm/kvm_emulate.h>

#include <kvm/arm_pmu_hooks.h>

#include <uapi/linux/kvm_pmu_partition.h>

#include "event_filter.h"
#include "param_parse.h"
#include "pmu_registers.h"

#define PARTITION_MAX_HOST_PMUS		8

struct arm_pmu;
struct partition_mode_ops;
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
/* Fixed at load (host_pmu.c); read by the guest-exit path. */
extern struct partition_host_events partition_host_events;
unsigned int partition_host_pmu_count(void);
struct partition_host_pmu *partition_host_pmu(unsigned int index);
/* The host PMU with the fewest event counters, or NULL. */
struct partition_host_pmu *partition_host_pmu_smallest(void);
bool partition_fgt_present(void);

/*
 * A VM that went through the module; vm.c owns the list, the lifetime and
 * the mode. Its PMU mode has one owner, vm.c: before the VM first runs, the
 * VMM's attribute (or default_mode) sets requested_mode, under
 * kvm->arch.config_lock; when its first vCPU first runs, vm_commit() fixes
 * mode, under the same lock, before any vCPU of the VM enters the guest.
 * From then on mode never changes, and the hooks of the run path read it
 * without a lock. Until then mode is emulated: nothing the module does to
 * the hardware happens for a VM that has not run (or that has no PMU, whose
 * vCPUs never reach the first-run hook).
 */
struct partition_vm {
	struct list_head node;
	struct kvm *kvm;
	struct list_head vcpus;		/* partition_vcpu.node */
	unsigned int vcpu_count;
	/* Configuration, under kvm->arch.config_lock. */
	enum partition_mode requested_mode;
	bool mode_chosen;		/* by the VMM's attribute, not default_mode */
	bool stock_pmu_choice;		/* the VMM set SET_PMU or FILTER */
	bool claimed;			/* holds a reference on the counter claim */
	bool needs_hpmn0;		/* claimed with HPMN = 0 (partition.c) */
	/* Fixed at the first run, then read-only. */
	bool committed;
	enum partition_mode mode;	/* what the hooks act on */
	const struct partition_mode_ops *ops;	/* partition_modes[mode] */
	struct partition_event_filter filter;	/* partitioned: event_filter.h */
	pid_t pid;			/* of the VMM that created it */
	unsigned int serial;		/* names it in sysfs: <pid>.<serial> */
	struct kobject kobj;		/* vm/<pid>.<serial>/ */
};

extern const char *const partition_register_names[PARTITION_REGISTER_COUNT];

/* Per-vCPU state, at vcpu->arch.pmu.hook_data; vm.c owns it. */
struct partition_vcpu {
	struct partition_vm *vm;
	struct list_head node;		/* in vm->vcpus */
	struct kvm_vcpu *vcpu;
	/*
	 * vm/<pid>.<serial>/vcpu<id>/; absent for a second vCPU with an id
	 * already taken, which KVM_CREATE_VCPU is about to refuse (EEXIST).
	 */
	struct kobject kobj;
	bool has_directory;
	/* Fixed-counters-only PMU, see fixed.c. */
	struct arm_pmu *backing_pmu;	/* backs the cycle counter's event */
	bool rebacking_pending;		/* loaded on a CPU of another PMU */
	u64 loads;
	u64 backing_switches;
#ifdef KVM_PMU_PARTITION_TEST_HOOKS
	bool sleeping_after_release;	/* fixed.c's test hook */
#endif
	/*
	 * Partitioned PMU, see partition.c. Written only on the CPU the vCPU
	 * is loaded on (hooks and guest-exit path), read by sysfs.
	 */
	int owned_cpu;			/* its state is in this CPU's PMU, or -1 */
	bool swap_in_untraced;		/* by the guest-exit path, to trace */
	u64 swaps_in;
	u64 swaps_out;
	u64 overflows;
	u64 traps_fast[PARTITION_REGISTER_COUNT];
	u64 traps_full[PARTITION_REGISTER_COUNT];
	/* traps_fast already traced (kvm_pmu_partition_fast_traps) */
	u64 fast_traps_traced[PARTITION_REGISTER_COUNT];
	/*
	 * Overflow delivery, followed for the tracepoints (docs/tracing.md):
	 * counters whose overflow the host took and the guest has not yet
	 * cleared, those of them injected, and the clears made in the
	 * guest-exit path, where nothing may be traced, with the
	 * CNTPCT_EL0 of the first; the next traceable point reports them.
	 * Flags that KVM's vCPU reset or a VMM's KVM_SET_ONE_REG left are
	 * no overflow: untracked until the guest clears them (worked out at
	 * the next swap in when deliveries_stale); deliveries whose flag a
	 * store cleared end there (dropped_untraced, traced at the next
	 * traceable point), a reset ends them all. deliveries_generation:
	 * the tracing session this was kept for (partition.c). Changed with
	 * IRQs masked on the CPU the vCPU is loaded on, or while it is loaded
	 * nowhere.
	 */
	u64 delivery_overflowed;
	u64 delivery_injected;
	u64 delivery_untracked;
	bool deliveries_stale;
	unsigned int deliveries_generation;
	u64 acknowledged_untraced;
	u64 acknowledged_at;
	u64 dropped_untraced;
};

/* The hook table (hooks.c). */
extern const struct kvm_pmu_hooks partition_hooks;

/*
 * What a PMU mode does where the modes differ; hooks.c and vm.c look it up
 * in partition_modes[] by the VM's mode instead of switching on it. An
 * absent operation is what stock KVM does. Contexts as the hooks they
 * serve (include/kvm/arm_pmu_hooks.h).
 */
struct partition_mode_ops {
	const char *title;		/* "partitioned PMU", in log lines */
	/* Event counters a guest may have on a PMU that has these. */
	u8 (*max_counters)(u8 hardware_counters);
	/* Why no VM of this host can have the mode, or NULL. */
	const char *(*host_unavailable)(void);
	/* Under config_lock: the mode's VM configuration, each time it is requested. */
	void (*apply)(struct kvm *kvm);
	/* Under config_lock, at the first run: why it cannot run, or NULL. */
	const char *(*prepare)(struct partition_vm *vm, struct kvm_vcpu *vcpu);
	/* Preemptible, vCPU loaded. */
	enum kvm_pmu_hook_result (*sysreg_access)(struct kvm_vcpu *vcpu,
						  struct kvm_pmu_sysreg_access *access);
	bool (*handle_pmcr)(struct kvm_vcpu *vcpu, u64 value);
	/* Process context, before the vCPU's state goes. */
	void (*vcpu_destroy)(struct kvm_vcpu *vcpu);
	/* Preemption disabled. */
	void (*vcpu_load)(struct kvm_vcpu *vcpu, int cpu);
	bool loads_lazily;	/* vcpu_load only a counting PMU */
	/*
	 * Not for the vCPU that owns the CPU's PMU, which the partitioned
	 * PMU gives back first (partition_vcpu_put_owner()).
	 */
	void (*vcpu_put)(struct kvm_vcpu *vcpu);
};

extern const struct partition_mode_ops *const partition_modes[PARTITION_MODE_COUNT];
extern const struct partition_mode_ops partition_partitioned_ops;	/* partition.c */
extern const struct partition_mode_ops partition_fixed_ops;		/* fixed.c */

/* VM and vCPU lifecycle and the VM's mode (vm.c); contexts as their hooks. */
void partition_vm_vcpu_init(struct kvm_vcpu *vcpu);
void partition_vm_vcpu_destroy(struct kvm_vcpu *vcpu);
int partition_vm_first_run(struct kvm_vcpu *vcpu);
int partition_vm_attr(enum kvm_pmu_hook_attr_op op, struct kvm_vcpu *vcpu,
		      struct kvm_device_attr *attr);
bool partition_vm_set_pmreg_raw(struct kvm_vcpu *vcpu);
u8 partition_vm_max_counters(struct kvm *kvm, u8 hardware_counters);
unsigned int partition_vm_count(void);

static inline struct partition_vcpu *partition_vcpu(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.pmu.hook_data;
}

/*
 * The mode the hooks act on for @vcpu's VM: emulated (stock KVM) for VMs
 * the module lacks and for VMs that have not run yet.
 */
static __always_inline enum partition_mode partition_vcpu_mode(struct kvm_vcpu *vcpu)
{
	struct partition_vcpu *state = partition_vcpu(vcpu);

	return state ? READ_ONCE(state->vm->mode) : PARTITION_MODE_EMULATED;
}

/*
 * The operations of that mode: read on every vcpu_load and put, so kept
 * in the VM (vm->ops, set with vm->mode) rather than looked up.
 */
static __always_inline const struct partition_mode_ops *
partition_vcpu_ops(struct kvm_vcpu *vcpu)
{
	struct partition_vcpu *state = partition_vcpu(vcpu);

	return state ? READ_ONCE(state->vm->ops) :
		       partition_modes[PARTITION_MODE_EMULATED];
}

/*
 * Whether the guest runs at EL0 now: AArch64 EL0t or AArch32 User mode.
 * KVM's vcpu_mode_priv() answers the same, but in 6.12 it is not
 * __always_inline, which partition_switch.c's noinstr code needs.
 */
static __always_inline bool partition_guest_at_el0(const struct kvm_vcpu *vcpu)
{
	if (vcpu_mode_is_32bit(vcpu))
		return (*vcpu_cpsr(vcpu) & PSR_AA32_MODE_MASK) <= PSR_AA32_MODE_USR;
	return (*vcpu_cpsr(vcpu) & PSR_MODE_MASK) == PSR_MODE_EL0t;
}

/*
 * The one answer to "may the guest, at its current Exception level, make
 * this access to a register of @group", with @userenr its PMUSERENR_EL0
 * (in memory or in the hardware, wherever the mode keeps it).
 */
static __always_inline bool
partition_el0_access_allowed(const struct kvm_vcpu *vcpu,
			     enum partition_register group, u64 userenr,
			     bool is_write)
{
	return !partition_guest_at_el0(vcpu) ||
	       partition_el0_may_access(group, userenr, is_write);
}

/* The host PMU whose CPUs include @cpu, or NULL. */
struct partition_host_pmu *partition_host_pmu_of_cpu(int cpu);
/* Whether the host PMUs together cover every possible CPU. */
bool partition_host_pmus_cover_all_cpus(void);
/* The lowest PMUVer among the host PMUs. */
unsigned int partition_host_pmus_min_pmuver(void);
/*
 * The events KVM's event filter bitmap (kvm->arch.pmu_filter) has: KVM
 * sizes it by the host's PMU version limit, whatever the VM's.
 */
unsigned int partition_filter_size(void);
/* Lowers the VM's ID_AA64DFR0_EL1.PMUVer to @pmuver; under config_lock. */
void partition_lower_pmu_version(struct kvm *kvm, unsigned int pmuver);
/* The VM's ID_AA64DFR0_EL1.PMUVer. */
unsigned int partition_vm_pmu_version(struct kvm *kvm);

/*
 * The partitioned PMU; partition.c (claim, configuration, slow path,
 * tracing) and partition_switch.c (every register access for a
 * guest-owned PMU).
 */

/* What one CPU's PMU holds and implements; partition.c owns it. */
struct partition_cpu {
	struct kvm_vcpu *owner;		/* guest-owned by this vCPU, or NULL */
	/* The owner while fast_path=1 (the guest-exit path emulates), or NULL. */
	struct kvm_vcpu *fast_owner;
	/*
	 * Names the owner for sysfs, which must not follow the pointer; kept
	 * after swap-out: the last owner (cpus/cpu<n>/last_owner).
	 */
	pid_t owner_pid;
	unsigned int owner_serial;
	int owner_vcpu_id;
	u64 host_pmcr;			/* host PMCR_EL0 while guest-owned */
	/*
	 * While guest-owned, for the hooks of every entry and exit: the
	 * owner's MDCR_EL2 partition fields (partition_update_owned_mdcr())
	 * and partition_guest_counters().
	 */
	u64 owned_mdcr;
	u64 owner_counters;
	/*
	 * HDFGRTR/HDFGWTR_EL2 as KVM left them at vcpu_load (for a VM without
	 * nested virtualisation, the host's), while guest-owned.
	 */
	u64 saved_hdfgrtr;
	u64 saved_hdfgwtr;
	/* Read at EL2 when the CPU comes online (partition_cpu_online()). */
	bool probed;
	unsigned int host_counters;	/* PMCR_EL0.N */
	unsigned int pmu_version;	/* ID_AA64DFR0_EL1.PMUVer */
	bool long_counters;		/* FEAT_PMUv3p5: HPMD/HCCD/HLP scope */
	bool hpmn0;			/* FEAT_HPMN0 */
	bool instruction_counter;	/* FEAT_PMUv3_ICNTR: PMICNTR_EL0 */
	bool fine_grained;		/* guests' accesses untrapped by FEAT_FGT */
};

DECLARE_PER_CPU(struct partition_cpu, partition_cpus);

/* The MDCR_EL2 fields the partition decides; KVM's value keeps the rest. */
#define MDCR_PARTITION	(MDCR_EL2_HPMN_MASK | MDCR_EL2_HPME | MDCR_EL2_HPMD | \
			 MDCR_EL2_HCCD | MDCR_EL2_HLP | MDCR_EL2_TPM | \
			 MDCR_EL2_TPMCR)

static __always_inline bool partition_vcpu_partitioned(struct partition_vcpu *state)
{
	return state && READ_ONCE(state->vm->mode) == PARTITION_MODE_PARTITIONED;
}

/*
 * The one owner test: whether @cpu's PMU holds @vcpu's partitioned state.
 * Only the vCPU loaded on a CPU can own it, so for every other vCPU this
 * is one load: it runs on every guest entry and exit.
 */
static __always_inline bool partition_cpu_owner_is(const struct partition_cpu *cpu,
						   const struct kvm_vcpu *vcpu)
{
	return READ_ONCE(cpu->owner) == vcpu;
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

/* partition.c: process and IRQ contexts. */
int partition_setup(void);
void partition_teardown(void);
/* How partitioned guests reach their registers: "fgt", "trap" or "mixed". */
const char *partition_trap_policy(void);
unsigned int partition_size(void);
int partition_claim(struct partition_vm *vm);
void partition_release(struct partition_vm *vm);
int partition_set_reservation(unsigned int reserved);
unsigned int partition_partitioned_vms(void);
bool partition_counters_claimed(void);
/*
 * The vCPU's PMU flags were reset or stored by the VMM; it is loaded
 * nowhere (process context or preemption disabled).
 */
void partition_forget_deliveries(struct kvm_vcpu *vcpu, bool reset);
int partition_deliveries_trace_reg(void);
/* vcpu_put of the vCPU that owns this CPU's PMU; IRQs may be off. */
void partition_vcpu_put_owner(struct kvm_vcpu *vcpu);
/* partition_overflow_status()'s traced path; preemption disabled. */
bool partition_overflow_status_full(struct kvm_vcpu *vcpu, u64 *status);
bool partition_host_pmu_irq(void);

/*
 * partition_switch.c, on the vCPU's CPU. noinstr with IRQs masked: swap
 * in/out, overflow parking, MDCR_EL2, emulation, the guest-exit hook.
 */
void partition_swap_in(struct kvm_vcpu *vcpu, struct partition_cpu *cpu);
void partition_swap_out(struct kvm_vcpu *vcpu, struct partition_cpu *cpu);
void partition_park_overflows(struct kvm_vcpu *vcpu);
u64 partition_update_owned_mdcr(struct kvm_vcpu *vcpu,
				struct partition_cpu *cpu, u64 mdcr);
enum kvm_pmu_hook_result partition_emulate(struct kvm_vcpu *vcpu, u32 encoding,
					   bool is_write, u64 *value);
enum kvm_pmu_hook_result partition_hyp_sysreg(struct kvm_vcpu *vcpu, u64 esr);
/* The slow path, IRQs masked, the PMU guest-owned. */
bool partition_access_allowed_now(struct kvm_vcpu *vcpu,
				  enum partition_register group, bool is_write);
/* Every guest entry and exit, preemption disabled; setup_mdcr IRQs off. */
void partition_setup_mdcr(struct kvm_vcpu *vcpu, u64 *mdcr_el2);
bool partition_overflow_status(struct kvm_vcpu *vcpu, u64 *status);
u64 partition_owned_overflows(struct kvm_vcpu *vcpu, u64 *requesting);
/* Host PMU driver: IRQs off or hardirq. */
bool partition_host_pmu_ctrl(bool enable);
u64 partition_take_overflows(struct kvm_vcpu *vcpu, u64 *coalesced);

/* Hook call counts, for tests and pmuctl; stats.c owns them. */
enum partition_hook {
	PARTITION_HOOK_VCPU_INIT,
	PARTITION_HOOK_VCPU_DESTROY,
	PARTITION_HOOK_VCPU_FIRST_RUN,
	PARTITION_HOOK_ATTR,
	PARTITION_HOOK_SET_PMREG_RAW,
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
/* vm/<pid>.<serial>/ and its vcpu<id>/ directories; process context. */
int partition_sysfs_add_vm(struct partition_vm *vm);
void partition_sysfs_remove_vm(struct partition_vm *vm);
/*
 * A vCPU's state lives as long as its kobject: initialised with the state,
 * added as vcpu<id>/ when the name is free (a failure only loses the
 * directory), freed by remove.
 */
void partition_sysfs_init_vcpu(struct partition_vcpu *state);
void partition_sysfs_add_vcpu(struct partition_vcpu *state);
void partition_sysfs_remove_vcpu(struct partition_vcpu *state);

#endif /* KVM_PMU_PARTITION_H */
