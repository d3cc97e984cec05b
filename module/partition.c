// SPDX-License-Identifier: GPL-2.0-only
/*
 * The partitioned PMU: a VM that opts in owns hardware counters [0, HPMN)
 * and the cycle counter, with MDCR_EL2.HPMN = its PMCR_EL0.N; host perf
 * keeps [HPMN, N). docs/partition.md describes it for users.
 *
 * Owns: the claim of the guest counters from the host PMUv3 driver (taken
 * when the first VM becomes partitioned, given back when the last one is
 * destroyed), what each CPU's PMU implements and holds (partition_cpus,
 * probed when the CPU comes online), the partitioned VM's configuration
 * (its counter count, PMU version and event filter, fixed at its first
 * run), its mode operations (partition_partitioned_ops: vcpu_load/put,
 * the lazy context switch; the slow path of trapped accesses), the
 * tracing of overflow deliveries, and the host driver's overflow IRQ.
 * The registers of a guest-owned PMU are partition_switch.c's.
 *
 * Concurrency: the guest-owned state of a CPU changes only on that CPU
 * with IRQs masked (vcpu_load/put under local_irq_save, the guest-exit
 * path with DAIF masked), and the host driver's hooks run with IRQs masked
 * too, so none of them can see a half-switched PMU. Pseudo-NMIs would
 * break that; partitioning is refused on hosts that use them. The claim,
 * the reservation and the CPUs' features change under partition_lock,
 * which nests inside kvm->arch.config_lock and vm.c's lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/bitmap.h>
#include <linux/cpuhotplug.h>
#include <linux/kvm_host.h>
#include <linux/mutex.h>
#include <linux/perf/arm_pmu.h>
#include <linux/perf/arm_pmuv3.h>
#include <linux/smp.h>
#include <linux/uaccess.h>

#include <asm/arch_timer.h>
#include <asm/cpufeature.h>
#include <asm/kvm_emulate.h>
#include <asm/sysreg.h>

#include "counter_mask.h"
#include "kvm_pmu_partition.h"
#include "trace.h"

DEFINE_PER_CPU(struct partition_cpu, partition_cpus);

/* Protects the claim, the reservation and the CPUs' probed features. */
static DEFINE_MUTEX(partition_lock);
static unsigned int claim_users;
static u64 claimed_masks[PARTITION_MAX_HOST_PMUS];
static struct cpumask claimed_cpus[PARTITION_MAX_HOST_PMUS];
/* Probed CPUs without FEAT_HPMN0, and claims of VMs with HPMN = 0. */
static unsigned int cpus_without_hpmn0;
static unsigned int hpmn0_users;
static enum cpuhp_state partition_cpuhp_state;

unsigned int partition_partitioned_vms(void)
{
	guard(mutex)(&partition_lock);
	return claim_users;
}

bool partition_counters_claimed(void)
{
	guard(mutex)(&partition_lock);
	return claim_users;
}

/* The guest counter count: the smallest host PMU's N minus the reservation. */
unsigned int partition_size(void)
{
	struct partition_host_pmu *smallest = partition_host_pmu_smallest();

	return partition_hpmn(smallest->counters,
			      READ_ONCE(partition_config.reserved_host_counters));
}

static unsigned long *used_mask(struct partition_host_pmu *host_pmu, int cpu)
{
	return per_cpu_ptr(host_pmu->pmu->hw_events, cpu)->used_mask;
}

/* Gives back the counters of every CPU in claimed_cpus[]. */
static void release_claim(void)
{
	unsigned int i;
	int cpu, bit;

	lockdep_assert_held(&partition_lock);
	for (i = 0; i < partition_host_pmu_count(); i++) {
		unsigned long mask = claimed_masks[i];

		for_each_cpu(cpu, &claimed_cpus[i])
			for_each_set_bit(bit, &mask, BITS_PER_LONG)
				clear_bit(bit, used_mask(partition_host_pmu(i), cpu));
		cpumask_clear(&claimed_cpus[i]);
		claimed_masks[i] = 0;
	}
}

/*
 * Takes the guest counters, [0, HPMN) and the cycle counter (and the
 * instruction counter: partition_claim_mask()), of every host PMU on every
 * CPU from the PMU driver with the driver's own atomic
 * allocation primitive, so host perf no longer schedules events on them.
 * HPMN is the same on every PMU (the smallest one's N minus the
 * reservation): a larger PMU keeps more counters for the host. A counter
 * a host event holds fails the claim, and everything taken so far is given
 * back.
 */
static int take_claim(void)
{
	unsigned int i, hpmn = partition_size();
	unsigned long busy;
	int cpu, bit, undo;

	lockdep_assert_held(&partition_lock);
	for (i = 0; i < partition_host_pmu_count(); i++) {
		struct arm_pmu *pmu = partition_host_pmu(i)->pmu;

		claimed_masks[i] =
			partition_claim_mask(hpmn, test_bit(ARMV8_PMU_INSTR_IDX,
							    pmu->cntr_mask));
		cpumask_clear(&claimed_cpus[i]);
	}
	for (i = 0; i < partition_host_pmu_count(); i++) {
		struct partition_host_pmu *host_pmu = partition_host_pmu(i);
		unsigned long mask = claimed_masks[i];

		for_each_cpu(cpu, host_pmu->cpus) {
			unsigned long *used = used_mask(host_pmu, cpu);

			for_each_set_bit(bit, &mask, BITS_PER_LONG) {
				if (!test_and_set_bit(bit, used))
					continue;
				for_each_set_bit(undo, &mask, bit)
					clear_bit(undo, used);
				busy = READ_ONCE(*used) & mask;
				pr_warn_ratelimited("partitioned PMU refused: CPU %d has host perf events on counters %*pbl of %s (31: the cycle counter); stop them (perf, watchdog) or raise reserved_host_counters\n",
						    cpu, BITS_PER_LONG, &busy, host_pmu->name);
				release_claim();
				return -ENOSPC;
			}
			cpumask_set_cpu(cpu, &claimed_cpus[i]);
		}
	}
	return 0;
}

static int claim_get(struct partition_vm *vm)
{
	int ret = 0;

	lockdep_assert_held(&partition_lock);
	if (vm->claimed)
		return 0;
	if (!claim_users)
		ret = take_claim();
	if (ret)
		return ret;
	claim_users++;
	vm->claimed = true;
	return 0;
}

/* Under config_lock: @vm takes (a reference on) the claim; -ENOSPC. */
int partition_claim(struct partition_vm *vm)
{
	guard(mutex)(&partition_lock);
	return claim_get(vm);
}

/* Under config_lock or vm.c's lock: @vm gives its claim back. */
void partition_release(struct partition_vm *vm)
{
	guard(mutex)(&partition_lock);
	if (!vm->claimed)
		return;
	vm->claimed = false;
	if (vm->needs_hpmn0) {
		vm->needs_hpmn0 = false;
		hpmn0_users--;
	}
	if (!--claim_users)
		release_claim();
}

int partition_set_reservation(unsigned int reserved)
{
	struct partition_host_pmu *smallest = partition_host_pmu_smallest();

	guard(mutex)(&partition_lock);
	if (claim_users) {
		pr_warn("reserved_host_counters can change only while no partitioned VM exists (%u do)\n",
			claim_users);
		return -EBUSY;
	}
	if (!partition_reservation_fits(smallest->counters, reserved)) {
		pr_warn("reserved_host_counters=%u exceeds the %u event counters of host PMU %s; choose 0..%u\n",
			reserved, smallest->counters, smallest->name,
			smallest->counters);
		return -EINVAL;
	}
	WRITE_ONCE(partition_config.reserved_host_counters, reserved);
	return 0;
}

/* Why this host cannot partition, or NULL. */
static const char *partition_host_unavailable(void)
{
	if (system_uses_irq_prio_masking())
		return "the host uses pseudo-NMIs, which could interrupt a PMU switch";
	if (!partition_host_pmus_cover_all_cpus())
		return "the host PMUs do not cover every CPU";
	return NULL;
}

/*
 * Under config_lock, whenever the VM is (re)requested partitioned: its
 * counter count fits the partition, and its PMU version is one every host
 * PMU it may run on implements.
 */
static void partition_apply(struct kvm *kvm)
{
	lockdep_assert_held(&kvm->arch.config_lock);
	kvm->arch.pmcr_n = min_t(unsigned int, kvm->arch.pmcr_n, partition_size());
	partition_lower_pmu_version(kvm, partition_host_pmus_min_pmuver());
}

/*
 * Under config_lock, at the VM's first run: takes the claim if the VMM did
 * not (default_mode), checks what only now is final, and fixes what the
 * guest-exit path needs to know about the VM. Returns why the VM cannot be
 * partitioned, or NULL.
 */
static const char *partition_prepare(struct partition_vm *vm,
				     struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vm->kvm;
	u64 pfr0 = kvm_read_vm_id_reg(kvm, SYS_ID_AA64PFR0_EL1);
	u64 host_pfr0 = read_sanitised_ftr_reg(SYS_ID_AA64PFR0_EL1);

	lockdep_assert_held(&kvm->arch.config_lock);
	guard(mutex)(&partition_lock);
	if (claim_get(vm))
		return "host perf events hold its counters (the line above names them)";
	/* The reservation cannot change while the claim is held. */
	partition_apply(kvm);
	if (!kvm->arch.pmcr_n && cpus_without_hpmn0)
		return "it has no event counters (PMCR_EL0.N = 0) and a CPU lacks FEAT_HPMN0";
	if (!kvm->arch.pmcr_n && !vm->needs_hpmn0) {
		vm->needs_hpmn0 = true;
		hpmn0_users++;
	}
	partition_event_filter_init(&vm->filter, partition_vm_pmu_version(kvm),
				    kvm_has_feat(kvm, ID_AA64PFR0_EL1, EL2, IMP),
				    SYS_FIELD_GET(ID_AA64PFR0_EL1, EL3, pfr0),
				    SYS_FIELD_GET(ID_AA64PFR0_EL1, EL3, host_pfr0),
				    SYS_FIELD_GET(ID_AA64PFR0_EL1, EL0, pfr0) ==
				    ID_AA64PFR0_EL1_EL0_IMP);
	vm->filter.filter_events = partition_filter_size();
	return NULL;
}

/*
 * PMCEID0/1_EL0 of a partitioned guest: the common events every host PMU
 * implements (the guest may run on any of them), minus what the VM's filter
 * denies and the STALL_SLOT events (PMMIR_EL1 reads as zero), as KVM does.
 */
static u64 partition_pmceid(struct kvm_vcpu *vcpu, bool pmceid1)
{
	const unsigned long *filter = vcpu->kvm->arch.pmu_filter;
	unsigned int filter_events = partition_vcpu(vcpu)->vm->filter.filter_events;
	unsigned int base = pmceid1 ? 32 : 0, i;
	u64 value = 0;

	for (i = 0; i < 32; i++) {
		unsigned int event = base + i;
		unsigned int extended_event = EXTENDED_COMMON_EVENT_BASE + event;

		if (((partition_host_events.common[0] >> event) & 1) &&
		    (!filter || (event < filter_events && test_bit(event, filter))))
			value |= BIT_ULL(i);
		/* A PMUv3 VM's filter is too small to name extended events. */
		if (((partition_host_events.common[1] >> event) & 1) &&
		    (!filter || (extended_event < filter_events &&
				 test_bit(extended_event, filter))))
			value |= BIT_ULL(32 + i);
	}
	if (pmceid1)
		value &= ~(BIT_ULL(ARMV8_PMUV3_PERFCTR_STALL_SLOT - 32) |
			   BIT_ULL(ARMV8_PMUV3_PERFCTR_STALL_SLOT_FRONTEND - 32) |
			   BIT_ULL(ARMV8_PMUV3_PERFCTR_STALL_SLOT_BACKEND - 32));
	return value;
}

/*
 * The tracing session deliveries are followed for: bumped when the
 * overflow tracepoint gets its first probe (its registration callback,
 * under tracepoints_mutex, before the tracepoint's static key is enabled),
 * which is when the bookkeeping begins (deliveries_traced()). A vCPU whose
 * deliveries_generation differs kept its state for an earlier session, or
 * none: deliveries_resync() starts it afresh.
 */
static unsigned int deliveries_generation;

int partition_deliveries_trace_reg(void)
{
	WRITE_ONCE(deliveries_generation, deliveries_generation + 1);
	return 0;
}

static __always_inline bool deliveries_current(struct partition_vcpu *state)
{
	return state->deliveries_generation == READ_ONCE(deliveries_generation);
}

/*
 * Whether anyone follows deliveries: the bookkeeping of the exit and the
 * interrupt runs only while the overflow tracepoint, which begins each
 * delivery, is enabled (one static branch otherwise), so that an exit
 * costs what it did without tracing (make bench's hvc row). A consumer of
 * inject, acknowledge or drop alone sees nothing; one that enables
 * overflow last sees every delivery after that whole.
 */
static __always_inline bool deliveries_traced(void)
{
	return trace_kvm_pmu_partition_overflow_enabled();
}

/*
 * At the first traced point of a tracing session: @flags, the overflow
 * flags the vCPU has now, are deliveries already under way, which nobody
 * saw begin; they stay untracked until the guest clears them, so that a
 * tracer sees each delivery whole or not at all. What an earlier session
 * left is forgotten. IRQs masked, on the vCPU's CPU.
 */
static void deliveries_resync(struct partition_vcpu *state, u64 flags)
{
	if (likely(deliveries_current(state)))
		return;
	state->deliveries_generation = READ_ONCE(deliveries_generation);
	state->delivery_overflowed = 0;
	state->delivery_injected = 0;
	state->delivery_untracked = flags;
	state->acknowledged_untraced = 0;
	state->dropped_untraced = 0;
}

/*
 * Traces the deliveries that a VMM's store ended (their flag was cleared:
 * partition_swap_in() noted them where nothing may be traced). Preemption
 * disabled, on the vCPU's CPU (or the vCPU loaded nowhere).
 */
static void trace_dropped(struct kvm_vcpu *vcpu, struct partition_vcpu *state)
{
	u64 dropped = state->dropped_untraced;

	if (!dropped)
		return;
	state->dropped_untraced = 0;
	if (deliveries_traced() && deliveries_current(state))
		trace_kvm_pmu_partition_drop(vcpu, dropped, "store");
}

/*
 * The slow path (a full exit), preemptible with the vCPU loaded: PMCEID,
 * PMMIR, UNDEFINED counters, AArch32, and everything when fast_path=0.
 */
static enum kvm_pmu_hook_result
partition_sysreg_access(struct kvm_vcpu *vcpu,
			struct kvm_pmu_sysreg_access *access)
{
	struct partition_vcpu *state = partition_vcpu(vcpu);
	struct partition_cpu *cpu;
	u32 encoding = access->encoding;
	enum kvm_pmu_hook_result result;
	enum partition_register group;
	unsigned long flags;
	u64 value = access->value;

	if (access->is_aarch32) {
		encoding = partition_aarch64_encoding(encoding);
		if (!encoding)
			return KVM_PMU_HOOK_UNDEF;
	}
	group = partition_register_of(encoding);
	if (group == PARTITION_REGISTER_NONE)
		return KVM_PMU_HOOK_STOCK;

	local_irq_save(flags);
	cpu = this_cpu_ptr(&partition_cpus);
	if (!partition_cpu_owner_is(cpu, vcpu)) {
		partition_swap_in(vcpu, cpu);
		trace_dropped(vcpu, state);
		trace_kvm_pmu_partition_swap(vcpu, true, "first access");
		/*
		 * From EL0, KVM's all-ones PMUSERENR_EL0 let the access trap
		 * here; run it again under the guest's, now the hardware's, as
		 * the fast path does: a refusal is then the PE's own trap to
		 * EL1 (EC 0x18), which the architecture requires. AArch64
		 * only: KVM writes an AArch32 MRRC's registers back even when
		 * it is not completed, with a value it never read.
		 */
		if (partition_guest_at_el0(vcpu) && !access->is_aarch32) {
			local_irq_restore(flags);
			return KVM_PMU_HOOK_RETRY;
		}
	}
	if (!partition_access_allowed_now(vcpu, group, access->is_write)) {
		local_irq_restore(flags);
		return KVM_PMU_HOOK_UNDEF;
	}
	if (group == PARTITION_REGISTER_PMMIR || group == PARTITION_REGISTER_PMCEID) {
		local_irq_restore(flags);
		if (access->is_write)
			return KVM_PMU_HOOK_UNDEF;
		access->value = group == PARTITION_REGISTER_PMMIR ? 0 :
				partition_pmceid(vcpu, encoding == SYS_PMCEID1_EL0);
		goto done;
	}
	result = partition_emulate(vcpu, encoding, access->is_write, &value);
	local_irq_restore(flags);
	if (result != KVM_PMU_HOOK_DONE)
		return KVM_PMU_HOOK_UNDEF;	/* a counter it does not have */
	if (access->is_aarch32 && encoding != SYS_PMCCNTR_EL0)
		value = lower_32_bits(value);
	access->value = value;
done:
	state->traps_full[group]++;
	trace_kvm_pmu_partition_trap(vcpu, partition_register_names[group],
				     access->is_write, access->value);
	return KVM_PMU_HOOK_DONE;
}

/*
 * What the guest-exit path did since the last traceable point: a swap in,
 * and its trapped accesses per register. Preemption disabled, on the
 * vCPU's CPU; the host PMU interrupt does not touch these fields (the
 * deliveries a swap in dropped wait for an IRQs-off point:
 * follow_deliveries(), or the load and put).
 */
static void trace_fast_path_work(struct kvm_vcpu *vcpu, struct partition_vcpu *state)
{
	int i;

	if (state->swap_in_untraced) {
		state->swap_in_untraced = false;
		trace_kvm_pmu_partition_swap(vcpu, true, "first access");
	}
	if (!trace_kvm_pmu_partition_fast_traps_enabled())
		return;
	for (i = 0; i < PARTITION_REGISTER_COUNT; i++) {
		u64 count = state->traps_fast[i] - state->fast_traps_traced[i];

		if (!count)
			continue;
		trace_kvm_pmu_partition_fast_traps(vcpu, partition_register_names[i],
						   count);
		state->fast_traps_traced[i] = state->traps_fast[i];
	}
}

/* Inline: on every entry and exit, a load and a static branch when idle. */
static __always_inline void trace_fast_path(struct kvm_vcpu *vcpu,
					    struct partition_vcpu *state)
{
	if (unlikely(state->swap_in_untraced) ||
	    trace_kvm_pmu_partition_fast_traps_enabled())
		trace_fast_path_work(vcpu, state);
}

/* The generic timer's frequency (CNTFRQ_EL0, read at init), in Hz. */
static u32 counter_frequency;

/*
 * Traces the guest's clears of taken overflows that emulate() noted
 * (note_acknowledged()), with how long ago the first happened. IRQs
 * masked, on the vCPU's CPU; before any overflow the caller traces, so
 * that a counter's delivery ends before its next one begins.
 */
static void trace_acknowledged(struct kvm_vcpu *vcpu, struct partition_vcpu *state)
{
	u64 ticks, delay_ns = 0;

	if (!state->acknowledged_untraced)
		return;
	/* Only within the session the delivery began in. */
	if (deliveries_traced() && trace_kvm_pmu_partition_acknowledge_enabled() &&
	    deliveries_current(state)) {
		/* Without CNTFRQ_EL0 (firmware left it 0) the delay is 0. */
		if (counter_frequency) {
			ticks = __arch_counter_get_cntpct() - state->acknowledged_at;
			delay_ns = mul_u64_u32_div(ticks, NSEC_PER_SEC,
						   counter_frequency);
		}
		trace_kvm_pmu_partition_acknowledge(vcpu,
						    state->acknowledged_untraced,
						    delay_ns);
	}
	state->acknowledged_untraced = 0;
}

/*
 * The host took the overflow flags @taken of @vcpu's counters (@path:
 * "irq" or "exit"): those not already on their way to the guest begin a
 * delivery. @coalesced overflowed again while the guest had not cleared
 * the earlier overflow (the flag was already in memory). Traces the
 * guest's clears before, so that a counter's delivery ends before its
 * next one begins. IRQs masked, on the vCPU's CPU.
 */
static u64 note_overflows(struct kvm_vcpu *vcpu, struct partition_vcpu *state,
			  u64 taken, u64 coalesced, const char *path)
{
	u64 new = taken & ~state->delivery_overflowed & ~state->delivery_untracked;

	trace_dropped(vcpu, state);
	trace_acknowledged(vcpu, state);
	/* Flags taken again before the guest's clear (an untraced one: not). */
	coalesced &= ~state->delivery_untracked & ~new;
	if (!new && !coalesced)
		return 0;
	state->delivery_overflowed |= new;
	trace_kvm_pmu_partition_overflow(vcpu, new, coalesced, path);
	return new;
}

/*
 * At an exit, IRQs masked: flags the interrupt has not taken yet begin a
 * delivery here, and counters now requesting the guest's interrupt are
 * injected, once per overflow.
 */
static void follow_deliveries(struct kvm_vcpu *vcpu, struct partition_vcpu *state,
			      u64 overflow, u64 status)
{
	u64 injected, noted = 0;

	deliveries_resync(state, overflow);
	if ((overflow & ~state->delivery_overflowed & ~state->delivery_untracked) ||
	    state->acknowledged_untraced || state->dropped_untraced)
		noted = note_overflows(vcpu, state, overflow, 0, "exit");
	injected = status & ~state->delivery_injected & ~state->delivery_untracked;
	if (injected) {
		state->delivery_injected |= injected;
		/* Found and injected here: no interval between the two. */
		trace_kvm_pmu_partition_inject(vcpu, injected, injected & noted);
	}
}

/*
 * KVM reset the vCPU's registers (@reset), or the VMM is storing PMU
 * registers with KVM_SET_ONE_REG (before the store): the flags the vCPU
 * ends up with are no overflows the host took, and stay untracked
 * (partition_swap_in()). A reset ends every delivery in flight, traced
 * here as dropped; after a store, the next swap in keeps following the
 * deliveries whose flags are still set and ends the others. The vCPU is
 * loaded nowhere, so nothing else touches these fields: process context
 * with vcpu->mutex held, or preemption disabled after KVM put the vCPU
 * (reset). The guest's clears were traced at the put.
 */
void partition_forget_deliveries(struct kvm_vcpu *vcpu, bool reset)
{
	struct partition_vcpu *state = partition_vcpu(vcpu);
	u64 dropped;

	WARN_ON_ONCE(READ_ONCE(state->owned_cpu) >= 0);
	state->acknowledged_untraced = 0;
	state->deliveries_stale = true;
	if (!reset)
		return;
	trace_dropped(vcpu, state);
	dropped = state->delivery_overflowed;
	state->delivery_overflowed = 0;
	state->delivery_injected = 0;
	if (dropped && deliveries_traced() && deliveries_current(state))
		trace_kvm_pmu_partition_drop(vcpu, dropped, "reset");
}

/*
 * vcpu_load of a counting PMU (partition_pmu_counting(); the mode loads
 * lazily), preemption disabled, IRQs on. KVM has just written MDCR_EL2
 * (all PMU accesses trapped) and its PMUSERENR_EL0. An idle PMU stays
 * trapped and costs nothing until its first access (partition_hyp_sysreg(),
 * or the slow path).
 */
static void partitioned_vcpu_load(struct kvm_vcpu *vcpu, int cpu)
{
	unsigned long flags;

	local_irq_save(flags);
	partition_swap_in(vcpu, this_cpu_ptr(&partition_cpus));
	/* Before any overflow the interrupt could note. */
	trace_dropped(vcpu, partition_vcpu(vcpu));
	local_irq_restore(flags);
	trace_kvm_pmu_partition_swap(vcpu, true, "load");
}

/*
 * vcpu_put of the vCPU that owns this CPU's PMU: preemption disabled; from
 * kvm_sched_out with IRQs off and the rq lock. Saves its state and gives
 * the PMU back.
 */
void partition_vcpu_put_owner(struct kvm_vcpu *vcpu)
{
	struct partition_vcpu *state = partition_vcpu(vcpu);
	unsigned long flags;

	trace_fast_path(vcpu, state);
	local_irq_save(flags);
	trace_dropped(vcpu, state);
	trace_acknowledged(vcpu, state);
	partition_swap_out(vcpu, this_cpu_ptr(&partition_cpus));
	local_irq_restore(flags);
	trace_kvm_pmu_partition_swap(vcpu, false, "put");
}

/*
 * The guest's PMU interrupt level while its PMU is guest-owned on this
 * CPU, when it may have changed or deliveries are traced: the full path of
 * partition_overflow_status() (partition_switch.c). Overflow flags in
 * memory that cannot request the interrupt go back to the hardware first
 * (partition_park_overflows()). While deliveries are traced,
 * follow_deliveries() then notes them with IRQs masked (docs/tracing.md);
 * a flag the interrupt took since the reads is already noted there, so
 * none is counted twice. Preemption disabled.
 */
noinline bool partition_overflow_status_full(struct kvm_vcpu *vcpu, u64 *status)
{
	struct partition_vcpu *state = partition_vcpu(vcpu);
	u64 overflow, requesting;
	unsigned long flags;

	trace_fast_path(vcpu, state);
	local_irq_save(flags);
	partition_park_overflows(vcpu);
	local_irq_restore(flags);
	overflow = partition_owned_overflows(vcpu, &requesting);
	if (requesting && !vcpu->arch.pmu.irq_level)
		state->overflows++;
	if (deliveries_traced()) {
		local_irq_save(flags);
		follow_deliveries(vcpu, state, overflow, requesting);
		local_irq_restore(flags);
	}
	*status = requesting;
	return true;
}

/*
 * The host PMU interrupt (hardirq): the guest's overflow flags go to the
 * vCPU's PMOVSSET (partition_take_overflows()), and KVM re-evaluates the
 * guest's interrupt before it re-enters the guest. The vCPU is loaded on
 * this CPU, in its run loop.
 */
bool partition_host_pmu_irq(void)
{
	struct kvm_vcpu *vcpu = this_cpu_read(partition_cpus.owner);
	u64 overflow, coalesced, requesting;

	if (!vcpu)
		return false;
	overflow = partition_take_overflows(vcpu, &coalesced);
	if (!overflow)
		return false;
	kvm_make_request(KVM_REQ_IRQ_PENDING, vcpu);
	if (deliveries_traced()) {
		struct partition_vcpu *state = partition_vcpu(vcpu);

		deliveries_resync(state, partition_owned_overflows(vcpu, &requesting));
		note_overflows(vcpu, state, overflow, coalesced, "irq");
	}
	return true;
}

/* The partitioned VM's counters: at most the partition's size. */
static u8 partitioned_max_counters(u8 hardware_counters)
{
	return min_t(unsigned int, hardware_counters, partition_size());
}

/* A partitioned guest's counters are hardware, never perf events. */
static bool partitioned_handle_pmcr(struct kvm_vcpu *vcpu, u64 value)
{
	return true;
}

const struct partition_mode_ops partition_partitioned_ops = {
	.title = "partitioned PMU",
	.max_counters = partitioned_max_counters,
	.host_unavailable = partition_host_unavailable,
	.apply = partition_apply,
	.prepare = partition_prepare,
	.sysreg_access = partition_sysreg_access,
	.handle_pmcr = partitioned_handle_pmcr,
	.vcpu_load = partitioned_vcpu_load,
	.loads_lazily = true,
};

/*
 * What a CPU's PMU implements, read at EL2 on the CPU itself when it comes
 * online (cpuhp, before tasks can run there), so that a CPU onlined after
 * the module loaded has its real counter count, PMU version and
 * FEAT_HPMN0 before any vCPU is loaded on it. A CPU that lacks FEAT_HPMN0
 * may not come online while a VM with HPMN = 0 exists.
 */
static int partition_cpu_online(unsigned int cpu_number)
{
	struct partition_cpu *cpu = per_cpu_ptr(&partition_cpus, cpu_number);
	u64 dfr0 = read_sysreg_s(SYS_ID_AA64DFR0_EL1);
	u64 dfr1 = read_sysreg_s(SYS_ID_AA64DFR1_EL1);
	unsigned int pmu_version = SYS_FIELD_GET(ID_AA64DFR0_EL1, PMUVer, dfr0);
	bool hpmn0 = SYS_FIELD_GET(ID_AA64DFR0_EL1, HPMN0, dfr0);

	if (pmu_version == ID_AA64DFR0_EL1_PMUVer_IMP_DEF)
		pmu_version = 0;
	guard(mutex)(&partition_lock);
	if (!hpmn0 && hpmn0_users) {
		pr_err("CPU %u cannot come online: it lacks FEAT_HPMN0, which %u partitioned VM(s) with no event counters need; stop them first\n",
		       cpu_number, hpmn0_users);
		return -EOPNOTSUPP;
	}
	if (cpu->probed && !cpu->hpmn0)
		cpus_without_hpmn0--;
	WRITE_ONCE(cpu->host_counters,
		   FIELD_GET(ARMV8_PMU_PMCR_N, read_sysreg_s(SYS_PMCR_EL0)));
	cpu->pmu_version = pmu_version;
	cpu->long_counters = pmu_version >= ID_AA64DFR0_EL1_PMUVer_V3P5;
	cpu->hpmn0 = hpmn0;
	cpu->instruction_counter = SYS_FIELD_GET(ID_AA64DFR1_EL1, PMICNTR, dfr1);
	if (!hpmn0)
		cpus_without_hpmn0++;
	WRITE_ONCE(cpu->fine_grained,
		   partition_config.fgt == PARTITION_FGT_AUTO &&
		   partition_fgt_present() &&
		   partition_untrapping_is_safe(dfr0, dfr1));
	WRITE_ONCE(cpu->probed, true);
	return 0;
}

/* "fgt", "trap", or "mixed" when the probed CPUs differ. */
const char *partition_trap_policy(void)
{
	bool fine_grained = false, trapped = false;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct partition_cpu *state = per_cpu_ptr(&partition_cpus, cpu);

		if (!READ_ONCE(state->probed))
			continue;
		if (READ_ONCE(state->fine_grained))
			fine_grained = true;
		else
			trapped = true;
	}
	if (fine_grained && trapped)
		return "mixed";
	return fine_grained ? "fgt" : "trap";
}

int partition_setup(void)
{
	int ret;

	counter_frequency = read_sysreg(cntfrq_el0);
	if (!counter_frequency)
		pr_warn("CNTFRQ_EL0 is 0 (firmware did not set it): the acknowledge tracepoint's delay_ns reads 0\n");
	/* Runs partition_cpu_online() on every online CPU before it returns. */
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "kvm_pmu_partition:online",
				partition_cpu_online, NULL);
	if (ret < 0) {
		pr_err("registering the CPU hotplug callback failed (%d)\n", ret);
		return ret;
	}
	partition_cpuhp_state = ret;
	return 0;
}

void partition_teardown(void)
{
	cpuhp_remove_state(partition_cpuhp_state);
	/* rmmod got here: no VM, so no claim and no guest-owned CPU. */
	guard(mutex)(&partition_lock);
	WARN_ON(claim_users);
}
