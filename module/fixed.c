// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fixed-counters-only PMU: a PMUv3 with no event counters
 * (PMCR_EL0.N = 0; PMCEID0 lists CPU_CYCLES alone) whose cycle counter keeps
 * counting whichever host PMU the vCPU's CPU belongs to.
 *
 * Stock KVM backs the guest's counters with perf events of one host PMU,
 * which stop counting while the vCPU runs on a CPU of another PMU type
 * (big.LITTLE). Here the cycle counter's perf event lives in KVM's own slot
 * (vcpu->arch.pmu.pmc[31].perf_event), so KVM's reads, reset and release
 * keep working, but this file creates it, on the PMU of the CPU the vCPU
 * runs on. When a vCPU is loaded on a CPU of another PMU, vcpu_load asks
 * for KVM_REQ_RELOAD_PMU; KVM answers it before entering the guest, in
 * preemptible context, through the handle_pmcr hook, where the event is
 * re-created on the new PMU with the count carried over.
 *
 * As in KVM, the guest's count is the saved register (sys_regs[PMCCNTR_EL0])
 * plus what the event counted since it was created.
 *
 * Contexts: sysreg_access runs in process context, fixed_apply()
 * under kvm->arch.config_lock; handle_pmcr is preemptible; vcpu_load runs
 * with preemption disabled; the overflow handler in IRQ (or NMI) context.
 * vm.c decides which VMs are in this mode.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/irq_work.h>
#include <linux/kvm_host.h>
#include <linux/perf/arm_pmu.h>
#include <linux/perf/arm_pmuv3.h>
#include <linux/perf_event.h>

#include <asm/kvm_emulate.h>
#include <asm/sysreg.h>

#include <uapi/linux/kvm_pmu_partition.h>

#include "kvm_pmu_partition.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

#define CYCLE_COUNTER		ARMV8_PMU_CYCLE_IDX
#define CYCLE_COUNTER_BIT	BIT(ARMV8_PMU_CYCLE_IDX)
/* config1 bit 0 of the PMUv3 perf driver ("long"): a 64-bit counter */
#define PMUV3_CONFIG1_LONG	BIT(0)

#ifdef KVM_PMU_PARTITION_TEST_HOOKS
/*
 * Test builds only (make check builds one, never shipped; docs/rig.md):
 * with sleep_after_cycle_counter_release set, cycle_counter_stop() sleeps
 * after each release until RCU has freed the event. The sleep puts and
 * loads this task's vCPU (KVM's preempt notifiers), as preemption may at
 * any point of a preemptible kernel; the rig kernel is PREEMPT_NONE. With
 * slub_debug poisoning, a vcpu_load that still found the freed event would
 * fault. The two counters prove the window was exercised. Preemption can
 * also come inside the release, after the free, which no sleep here
 * reaches: so each release also counts whether the event was still
 * published when it began (releases_of_published_events, must stay 0),
 * which catches the clear moved back after the release.
 */
static bool sleep_after_cycle_counter_release;
module_param(sleep_after_cycle_counter_release, bool, 0444);
static atomic_t sleeps_after_cycle_counter_release = ATOMIC_INIT(0);
module_param_named(sleeps_after_cycle_counter_release,
		   sleeps_after_cycle_counter_release.counter, int, 0444);
static atomic_t loads_in_cycle_counter_release = ATOMIC_INIT(0);
module_param_named(loads_in_cycle_counter_release,
		   loads_in_cycle_counter_release.counter, int, 0444);
static atomic_t releases_of_published_events = ATOMIC_INIT(0);
module_param_named(releases_of_published_events,
		   releases_of_published_events.counter, int, 0444);
MODULE_INFO(test_hooks, "Y");

static void test_before_release(struct kvm_vcpu *vcpu, struct perf_event *event)
{
	if (READ_ONCE(vcpu->arch.pmu.pmc[ARMV8_PMU_CYCLE_IDX].perf_event) == event)
		atomic_inc(&releases_of_published_events);
}

static void test_sleep_after_release(struct kvm_vcpu *vcpu)
{
	struct partition_vcpu *state = partition_vcpu(vcpu);

	if (!sleep_after_cycle_counter_release)
		return;
	WRITE_ONCE(state->sleeping_after_release, true);
	rcu_barrier();		/* the event's memory is freed when it returns */
	WRITE_ONCE(state->sleeping_after_release, false);
	atomic_inc(&sleeps_after_cycle_counter_release);
}

static void test_note_load(struct kvm_vcpu *vcpu)
{
	if (READ_ONCE(partition_vcpu(vcpu)->sleeping_after_release))
		atomic_inc(&loads_in_cycle_counter_release);
}
#else
static void test_before_release(struct kvm_vcpu *vcpu, struct perf_event *event) {}
static void test_sleep_after_release(struct kvm_vcpu *vcpu) {}
static void test_note_load(struct kvm_vcpu *vcpu) {}
#endif

static struct kvm_pmc *cycle_pmc(struct kvm_vcpu *vcpu)
{
	return &vcpu->arch.pmu.pmc[CYCLE_COUNTER];
}

static bool cycle_counter_enabled(struct kvm_vcpu *vcpu)
{
	return (__vcpu_sys_reg(vcpu, PMCR_EL0) & ARMV8_PMU_PMCR_E) &&
	       (__vcpu_sys_reg(vcpu, PMCNTENSET_EL0) & CYCLE_COUNTER_BIT);
}

/* The guest's count: the saved value plus what the event counted since. */
static u64 cycle_counter_read(struct kvm_vcpu *vcpu)
{
	struct perf_event *event = cycle_pmc(vcpu)->perf_event;
	u64 enabled, running, count = __vcpu_sys_reg(vcpu, PMCCNTR_EL0);

	if (event)
		count += perf_event_read_value(event, &enabled, &running);
	return count;
}

/* Events to go before the counter wraps: at bit 64 with PMCR.LC, else 32. */
static u64 cycle_counter_period(struct kvm_vcpu *vcpu, u64 count)
{
	if (__vcpu_sys_reg(vcpu, PMCR_EL0) & ARMV8_PMU_PMCR_LC)
		return -count;
	return (-count) & GENMASK_ULL(31, 0) ?: BIT_ULL(32);
}

/* IRQ or NMI context, while the vCPU's thread runs on this CPU. */
static void cycle_counter_overflow(struct perf_event *event,
				   struct perf_sample_data *data,
				   struct pt_regs *regs)
{
	struct kvm_vcpu *vcpu = event->overflow_handler_context;
	struct arm_pmu *pmu = to_arm_pmu(event->pmu);
	u64 period;

	pmu->pmu.stop(event, PERF_EF_UPDATE);

	/* The next overflow is a full wrap of the guest's counter away. */
	period = cycle_counter_period(vcpu, __vcpu_sys_reg(vcpu, PMCCNTR_EL0) +
					    local64_read(&event->count));
	local64_set(&event->hw.period_left, 0);
	event->attr.sample_period = period;
	event->hw.sample_period = period;

	__vcpu_sys_reg(vcpu, PMOVSSET_EL0) |= CYCLE_COUNTER_BIT;
	if ((__vcpu_sys_reg(vcpu, PMCR_EL0) & ARMV8_PMU_PMCR_E) &&
	    (__vcpu_sys_reg(vcpu, PMINTENSET_EL1) & CYCLE_COUNTER_BIT)) {
		kvm_make_request(KVM_REQ_IRQ_PENDING, vcpu);
		if (in_nmi())
			irq_work_queue(&vcpu->arch.pmu.overflow_work);
		else
			kvm_vcpu_kick(vcpu);
	}

	pmu->pmu.start(event, PERF_EF_RELOAD);
}

/*
 * On a VHE host the PMUv3 driver programs a guest-only (exclude_host)
 * event with EL0 excluded, since host and guest EL0 are the same
 * Exception level, and KVM lets it count at EL0 only while the vCPU is
 * loaded (kvm_vcpu_pmu_restore_guest() at vcpu_load). An event created or
 * enabled with the vCPU already loaded would miss the guest's EL0 until
 * the next vcpu_load: have KVM resync before it enters the guest again, as
 * its own PMU emulation does after it programs an event.
 */
static void resync_guest_el0(struct kvm_vcpu *vcpu)
{
	kvm_make_request(KVM_REQ_RESYNC_PMU_EL0, vcpu);
}

/* Saves the count into the register and drops the event. Preemptible. */
static void cycle_counter_stop(struct kvm_vcpu *vcpu)
{
	struct kvm_pmc *pmc = cycle_pmc(vcpu);
	struct perf_event *event = pmc->perf_event;

	if (!event)
		return;
	__vcpu_sys_reg(vcpu, PMCCNTR_EL0) = cycle_counter_read(vcpu);
	perf_event_disable(event);
	/*
	 * Unpublished before the release, which may be preempted: this
	 * task's own vcpu_load (fixed_vcpu_load(), from KVM's
	 * preempt notifier) must not find an event perf is freeing (found by
	 * make soak-debug: KASAN slab-use-after-free).
	 */
	WRITE_ONCE(pmc->perf_event, NULL);
	test_before_release(vcpu, event);
	perf_event_release_kernel(event);
	test_sleep_after_release(vcpu);
}

/*
 * Makes the event match the guest's registers, on the PMU of the CPU the
 * vCPU runs on now. Preemptible, vCPU loaded. A vCPU moved meanwhile is
 * caught by vcpu_load, which asks for another reload.
 */
static void cycle_counter_sync(struct kvm_vcpu *vcpu, bool recreate)
{
	struct partition_vcpu *state = partition_vcpu(vcpu);
	struct partition_host_pmu *host_pmu;
	struct kvm_pmc *pmc = cycle_pmc(vcpu);
	struct perf_event_attr attr = {};
	struct perf_event *event;
	struct arm_pmu *previous;
	u64 filter;

	host_pmu = partition_host_pmu_of_cpu(raw_smp_processor_id());
	if (state->rebacking_pending || !host_pmu ||
	    (pmc->perf_event && to_arm_pmu(pmc->perf_event->pmu) != host_pmu->pmu))
		recreate = true;
	state->rebacking_pending = false;

	if (!cycle_counter_enabled(vcpu)) {
		/*
		 * A filter or PMU change made while disabled must not be lost:
		 * the event goes, and enabling creates one that follows it.
		 */
		if (recreate)
			cycle_counter_stop(vcpu);
		else if (pmc->perf_event)
			perf_event_disable(pmc->perf_event);
		return;
	}
	if (pmc->perf_event && !recreate) {
		perf_event_enable(pmc->perf_event);
		resync_guest_el0(vcpu);
		return;
	}

	previous = pmc->perf_event ? to_arm_pmu(pmc->perf_event->pmu) : NULL;
	cycle_counter_stop(vcpu);
	if (!host_pmu)
		return;

	filter = __vcpu_sys_reg(vcpu, PMCCFILTR_EL0);
	attr.type = host_pmu->pmu->pmu.type;
	attr.size = sizeof(attr);
	attr.config = ARMV8_PMUV3_PERFCTR_CPU_CYCLES;
	attr.config1 = PMUV3_CONFIG1_LONG;
	attr.pinned = 1;
	/* With EL3, Non-secure EL1 counts iff P == NSK (EL0: U == NSU). */
	attr.exclude_kernel = !(filter & ARMV8_PMU_EXCLUDE_EL1) !=
			      !(filter & ARMV8_PMU_EXCLUDE_NS_EL1);
	attr.exclude_user = !(filter & ARMV8_PMU_EXCLUDE_EL0) !=
			    !(filter & ARMV8_PMU_EXCLUDE_NS_EL0);
	attr.exclude_hv = 1;	/* the guest never counts at EL2 */
	attr.exclude_host = 1;
	attr.sample_period = cycle_counter_period(vcpu, __vcpu_sys_reg(vcpu, PMCCNTR_EL0));

	event = perf_event_create_kernel_counter(&attr, -1, current,
						 cycle_counter_overflow, vcpu);
	if (IS_ERR(event)) {
		pr_err_ratelimited("cycle counter of vCPU %d: perf event on %s failed (%ld); it does not count\n",
				   vcpu->vcpu_id, host_pmu->name, PTR_ERR(event));
		return;
	}
	WRITE_ONCE(pmc->perf_event, event);
	resync_guest_el0(vcpu);

	if (previous && previous != host_pmu->pmu) {
		state->backing_switches++;
		trace_kvm_pmu_partition_backing_change(vcpu,
						       previous->name,
						       host_pmu->name,
						       __vcpu_sys_reg(vcpu, PMCCNTR_EL0));
	}
	WRITE_ONCE(state->backing_pmu, host_pmu->pmu);
}

/* Whether the guest may make this access now: its PMUSERENR_EL0 is in memory. */
static bool access_allowed(struct kvm_vcpu *vcpu, enum partition_register group,
			   bool is_write)
{
	return partition_el0_access_allowed(vcpu, group,
					    __vcpu_sys_reg(vcpu, PMUSERENR_EL0),
					    is_write);
}

static enum kvm_pmu_hook_result
access_cycle_counter(struct kvm_vcpu *vcpu, struct kvm_pmu_sysreg_access *access)
{
	if (!access_allowed(vcpu, PARTITION_REGISTER_PMCCNTR, access->is_write))
		return KVM_PMU_HOOK_UNDEF;
	if (!access->is_write) {
		access->value = cycle_counter_read(vcpu);
		return KVM_PMU_HOOK_DONE;
	}
	cycle_counter_stop(vcpu);
	__vcpu_sys_reg(vcpu, PMCCNTR_EL0) = access->value;
	cycle_counter_sync(vcpu, true);
	return KVM_PMU_HOOK_DONE;
}

/*
 * The PMCCFILTR_EL0 fields the guest sets and reads back, as KVM 6.12's
 * kvm_pmu_evtyper_mask() without an event number: P and U; NSH where the
 * VM's ID_AA64PFR0_EL1 shows EL2 (KVM shows every VM the host's; the
 * counter still never counts at EL2: exclude_hv); NSK, NSU and M where it
 * shows EL3 (NSK and NSU decide with P and U where EL1 and EL0 count).
 */
static u64 cycle_filter_fields(struct kvm *kvm)
{
	u64 fields = ARMV8_PMU_EXCLUDE_EL1 | ARMV8_PMU_EXCLUDE_EL0;

	if (kvm_has_feat(kvm, ID_AA64PFR0_EL1, EL2, IMP))
		fields |= ARMV8_PMU_INCLUDE_EL2;
	if (kvm_has_feat(kvm, ID_AA64PFR0_EL1, EL3, IMP))
		fields |= ARMV8_PMU_EXCLUDE_NS_EL1 | ARMV8_PMU_EXCLUDE_NS_EL0 |
			  ARMV8_PMU_EXCLUDE_EL3;
	return fields;
}

static enum kvm_pmu_hook_result
access_cycle_filter(struct kvm_vcpu *vcpu, struct kvm_pmu_sysreg_access *access)
{
	if (!access_allowed(vcpu, PARTITION_REGISTER_PMEVTYPER, access->is_write))
		return KVM_PMU_HOOK_UNDEF;
	if (!access->is_write) {
		access->value = __vcpu_sys_reg(vcpu, PMCCFILTR_EL0);
		return KVM_PMU_HOOK_DONE;
	}
	__vcpu_sys_reg(vcpu, PMCCFILTR_EL0) = access->value &
					cycle_filter_fields(vcpu->kvm);
	cycle_counter_sync(vcpu, true);
	return KVM_PMU_HOOK_DONE;
}

static enum kvm_pmu_hook_result
access_counter_enables(struct kvm_vcpu *vcpu, struct kvm_pmu_sysreg_access *access,
		       bool set)
{
	u64 *enables = &__vcpu_sys_reg(vcpu, PMCNTENSET_EL0);

	if (!access_allowed(vcpu, PARTITION_REGISTER_PMCNTEN, access->is_write))
		return KVM_PMU_HOOK_UNDEF;
	if (!access->is_write) {
		access->value = *enables & CYCLE_COUNTER_BIT;
		return KVM_PMU_HOOK_DONE;
	}
	if (access->value & CYCLE_COUNTER_BIT) {
		if (set)
			*enables |= CYCLE_COUNTER_BIT;
		else
			*enables &= ~CYCLE_COUNTER_BIT;
		cycle_counter_sync(vcpu, false);
	}
	return KVM_PMU_HOOK_DONE;
}

/*
 * PMCEID0/1_EL0: CPU_CYCLES alone (@value), the cycle counter's event,
 * which every PMUv3 implements: nothing about any host PMU shows. Linux's
 * PMUv3 driver offers the "cycles" event only when PMCEID0 lists it. A
 * fixed VM has no event filter (vm.c refuses one). Read-only: a write is
 * UNDEFINED, as in KVM's emulation.
 */
static enum kvm_pmu_hook_result
access_event_ids(struct kvm_vcpu *vcpu, struct kvm_pmu_sysreg_access *access,
		 u64 value)
{
	if (access->is_write ||
	    !access_allowed(vcpu, PARTITION_REGISTER_PMCEID, access->is_write))
		return KVM_PMU_HOOK_UNDEF;
	access->value = value;
	return KVM_PMU_HOOK_DONE;
}

/*
 * The guest's PMUSERENR_EL0 and PMSELR_EL0 go into the hardware while the
 * vCPU is loaded (KVM keeps all-ones and 0 there), because the PE checks
 * them before MDCR_EL2.TPM brings an access here: a refused EL0 access
 * traps to the guest's EL1 (EC 0x18, or 0x03 from AArch32), and PMXEV*
 * with PMSELR_EL0.SEL out of range is UNDEFINED (with FEAT_FGT), as the
 * architecture orders them.
 * KVM puts the host's PMUSERENR_EL0 back at vcpu_put, and
 * fixed_vcpu_put() clears PMSELR_EL0, so that host user space
 * never reads the guest's. Preemption disabled, vCPU loaded on this CPU.
 */
static void load_el0_state(struct kvm_vcpu *vcpu)
{
	if (!vcpu_get_flag(vcpu, PMUSERENR_ON_CPU))
		return;
	/*
	 * Without FEAT_FGT a SEL the PE lacks is CONSTRAINED UNPREDICTABLE
	 * there: keep KVM's 0, and KVM's emulation decides (UNDEFINED for
	 * N = 0, PMCCFILTR for PMXEVTYPER with SEL = 31).
	 */
	if (partition_fgt_present())
		write_sysreg(__vcpu_sys_reg(vcpu, PMSELR_EL0) & PMSELR_EL0_SEL_MASK,
			     pmselr_el0);
	write_sysreg(__vcpu_sys_reg(vcpu, PMUSERENR_EL0) & ARMV8_PMU_USERENR_MASK,
		     pmuserenr_el0);
}

/*
 * PMUSERENR_EL0 (read-only at EL0) and PMSELR_EL0, or their AArch32
 * views: kept as KVM keeps them, then loaded. A refused EL0 access never
 * gets here (the PE trapped it to EL1), but is refused as KVM would.
 */
static enum kvm_pmu_hook_result
access_el0_state(struct kvm_vcpu *vcpu, struct kvm_pmu_sysreg_access *access,
		 bool user_enable)
{
	int reg = user_enable ? PMUSERENR_EL0 : PMSELR_EL0;

	if (!access_allowed(vcpu, user_enable ? PARTITION_REGISTER_PMUSERENR :
						PARTITION_REGISTER_PMSELR,
			    access->is_write))
		return KVM_PMU_HOOK_UNDEF;
	if (!access->is_write) {
		access->value = __vcpu_sys_reg(vcpu, reg);
		return KVM_PMU_HOOK_DONE;
	}
	__vcpu_sys_reg(vcpu, reg) = access->value & (user_enable ?
					       ARMV8_PMU_USERENR_MASK :
					       PMSELR_EL0_SEL_MASK);
	/* Preempted before this, the vCPU's next load wrote the new value. */
	preempt_disable();
	load_el0_state(vcpu);
	preempt_enable();
	return KVM_PMU_HOOK_DONE;
}

/*
 * AArch32 accesses (a guest's AArch32 EL0) keep KVM's emulation, except
 * PMUSERENR and PMSELR, which go into the hardware, and PMCEID0-3, where
 * KVM would show the events of a host PMU: PMCEID0 and 1 are the low
 * halves of PMCEID0/1_EL0, PMCEID2 and 3 their high halves
 * (partition_aarch64_encoding() names the AArch64 register).
 */
static enum kvm_pmu_hook_result
aarch32_access(struct kvm_vcpu *vcpu, struct kvm_pmu_sysreg_access *access)
{
	u32 encoding = partition_aarch64_encoding(access->encoding);

	switch (encoding) {
	case 0:		/* PMCEID2 and PMCEID3: no AArch64 register, no event */
		return access_event_ids(vcpu, access, 0);
	case SYS_PMUSERENR_EL0:
	case SYS_PMSELR_EL0:
		return access_el0_state(vcpu, access,
					encoding == SYS_PMUSERENR_EL0);
	case SYS_PMCEID0_EL0:
		return access_event_ids(vcpu, access,
					BIT(ARMV8_PMUV3_PERFCTR_CPU_CYCLES));
	case SYS_PMCEID1_EL0:
		return access_event_ids(vcpu, access, 0);
	default:
		return KVM_PMU_HOOK_STOCK;
	}
}

/*
 * Registers whose stock emulation would use KVM's perf events or reveal
 * the host's PMU. The rest (PMCR reads, PMSELR, PMUSERENR, PMINTEN, PMOVS,
 * PMSWINC, and the event counters, UNDEFINED with N = 0) KVM emulates from
 * the vCPU's registers; PMCR writes come back through handle_pmcr. AArch32
 * accesses keep KVM's emulation but for PMCEID0-3 (aarch32_access()).
 */
static enum kvm_pmu_hook_result
fixed_sysreg_access(struct kvm_vcpu *vcpu, struct kvm_pmu_sysreg_access *access)
{
	u64 select = __vcpu_sys_reg(vcpu, PMSELR_EL0) & PMSELR_EL0_SEL_MASK;

	if (access->is_aarch32)
		return aarch32_access(vcpu, access);

	switch (access->encoding) {
	case SYS_PMUSERENR_EL0:
	case SYS_PMSELR_EL0:
		return access_el0_state(vcpu, access,
					access->encoding == SYS_PMUSERENR_EL0);
	case SYS_PMCCNTR_EL0:
		return access_cycle_counter(vcpu, access);
	case SYS_PMCCFILTR_EL0:
		return access_cycle_filter(vcpu, access);
	case SYS_PMXEVTYPER_EL0:
		/* SEL == 31 is PMCCFILTR; there are no event counters. */
		if (select != CYCLE_COUNTER)
			return KVM_PMU_HOOK_UNDEF;
		return access_cycle_filter(vcpu, access);
	case SYS_PMXEVCNTR_EL0:
		/* SEL >= N (0 here) is UNDEFINED on a CPU with FEAT_FGT. */
		return KVM_PMU_HOOK_UNDEF;
	case SYS_PMCNTENSET_EL0:
		return access_counter_enables(vcpu, access, true);
	case SYS_PMCNTENCLR_EL0:
		return access_counter_enables(vcpu, access, false);
	case SYS_PMCEID0_EL0:
	case SYS_PMCEID1_EL0:
		return access_event_ids(vcpu, access,
					access->encoding == SYS_PMCEID0_EL0 ?
					BIT_ULL(ARMV8_PMUV3_PERFCTR_CPU_CYCLES) : 0);
	default:
		return KVM_PMU_HOOK_STOCK;
	}
}

/*
 * A guest PMCR_EL0 write, or KVM_REQ_RELOAD_PMU (first run, or a vCPU
 * loaded on another PMU's CPU). Preemptible, vCPU loaded.
 */
static bool fixed_handle_pmcr(struct kvm_vcpu *vcpu, u64 value)
{
	/* The event's sample period is a wrap at the old width (LC) away. */
	bool width_changed = (__vcpu_sys_reg(vcpu, PMCR_EL0) ^ value) & ARMV8_PMU_PMCR_LC;

	/* PMCR.LP only exists from PMUv3p5; C and P are actions, not state. */
	if (!kvm_has_feat(vcpu->kvm, ID_AA64DFR0_EL1, PMUVer, V3P5))
		value &= ~ARMV8_PMU_PMCR_LP;
	__vcpu_sys_reg(vcpu, PMCR_EL0) = value & ~(ARMV8_PMU_PMCR_C | ARMV8_PMU_PMCR_P);

	if (value & ARMV8_PMU_PMCR_C) {
		cycle_counter_stop(vcpu);
		__vcpu_sys_reg(vcpu, PMCCNTR_EL0) = 0;
		cycle_counter_sync(vcpu, true);
		return true;
	}
	cycle_counter_sync(vcpu, width_changed);
	return true;
}

/*
 * Process context, before the vCPU's state and its module reference go:
 * the event carries this module's overflow handler, so it must not outlive
 * the module (KVM would release it only after this hook).
 */
static void fixed_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	cycle_counter_stop(vcpu);
}

/*
 * Preemption disabled: only notes the move; the reload does the work. It
 * may preempt this task's own cycle_counter_stop() or _sync(), which
 * publish an event only while it lives.
 */
static void fixed_vcpu_load(struct kvm_vcpu *vcpu, int cpu)
{
	struct partition_vcpu *state = partition_vcpu(vcpu);
	struct perf_event *event = READ_ONCE(cycle_pmc(vcpu)->perf_event);

	state->loads++;
	test_note_load(vcpu);
	load_el0_state(vcpu);
	if (event && !cpumask_test_cpu(cpu, &to_arm_pmu(event->pmu)->supported_cpus)) {
		state->rebacking_pending = true;
		kvm_make_request(KVM_REQ_RELOAD_PMU, vcpu);
	}
}

/*
 * Preemption disabled, before KVM restores the host's PMUSERENR_EL0: the
 * guest's PMSELR_EL0 (load_el0_state()) leaves the hardware.
 */
static void fixed_vcpu_put(struct kvm_vcpu *vcpu)
{
	/* Loaded only where FEAT_FGT is (load_el0_state()). */
	if (vcpu_get_flag(vcpu, PMUSERENR_ON_CPU) && partition_fgt_present())
		write_sysreg(0, pmselr_el0);
}

/*
 * Under config_lock, before the VM runs: the guest's PMU has no event
 * counters (vm.c sets PMCR_EL0.N = 0) and no PMU version that a host PMU
 * it may run on lacks.
 */
static void fixed_apply(struct kvm *kvm)
{
	lockdep_assert_held(&kvm->arch.config_lock);
	kvm->arch.pmcr_n = 0;
	partition_lower_pmu_version(kvm, partition_host_pmus_min_pmuver());
}

/* At the VM's first run, under config_lock: nothing can fail any more. */
static const char *fixed_prepare(struct partition_vm *vm, struct kvm_vcpu *vcpu)
{
	fixed_apply(vm->kvm);
	return NULL;
}

/* No event counters. */
static u8 fixed_max_counters(u8 hardware_counters)
{
	return 0;
}

/* Why this host cannot give a VM this PMU, or NULL. */
static const char *fixed_host_unavailable(void)
{
	if (!partition_host_pmus_cover_all_cpus())
		return "the host PMUs do not cover every CPU";
	return NULL;
}

const struct partition_mode_ops partition_fixed_ops = {
	.title = "fixed-counters-only PMU",
	.max_counters = fixed_max_counters,
	.host_unavailable = fixed_host_unavailable,
	.apply = fixed_apply,
	.prepare = fixed_prepare,
	.sysreg_access = fixed_sysreg_access,
	.handle_pmcr = fixed_handle_pmcr,
	.vcpu_load = fixed_vcpu_load,
	.vcpu_put = fixed_vcpu_put,
	.vcpu_destroy = fixed_vcpu_destroy,
};
