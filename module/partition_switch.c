// SPDX-License-Identifier: GPL-2.0-only
/*
 * The switch side of the partitioned PMU: every access to the PMU's
 * system registers, MDCR_EL2 and HDFGRTR/HDFGWTR_EL2 made for a
 * guest-owned PMU. Loading a vCPU's PMU state into the CPU and saving it
 * back (swap in and out), the MDCR_EL2 and fine-grained trap values of a
 * guest-owned PMU, the emulation of trapped accesses against the
 * guest-owned hardware, and the hooks that run on every guest entry and
 * exit or in the host PMU driver while a guest owns the PMU.
 *
 * Contexts, all on the CPU the vCPU is loaded on:
 *  - noinstr, IRQs masked: the VHE guest-exit path (partition_hyp_sysreg():
 *    DAIF masked, RCU not watching, the hyp vectors live: no tracing, no
 *    WARN or BUG, nothing that can fault), and swap in/out and emulation
 *    from vcpu_load/put and the slow path under local_irq_save().
 *  - notrace, preemption disabled: the hooks of every guest entry and exit
 *    (partition_setup_mdcr(), IRQs off; partition_overflow_status()).
 *  - IRQs off or hardirq: the host PMU driver's start/stop and overflow
 *    interrupt (partition_host_pmu_ctrl(), partition_take_overflows()).
 * Nothing here traces; what is to be traced waits in the vCPU's
 * partition_vcpu for partition.c, which traces at the next traceable
 * point. It touches only the registers above, CNTPCT_EL0 (read), the
 * vCPU, its partition_vcpu and this CPU's partition_cpu; statistics are
 * plain increments by the vCPU's one writer. The owner test is
 * partition_cpu_owner_is().
 *
 * Counter n is reached through PMSELR_EL0.SEL = n and PMXEVCNTR_EL0 /
 * PMXEVTYPER_EL0 (at EL2 every counter is accessible), with the guest's
 * PMSELR_EL0 put back afterwards.
 *
 * Every event type and PMCR_EL0 value that reaches the guest's hardware
 * registers goes through event_filter.h, whether the guest wrote it or
 * the VMM stored it with KVM_SET_ONE_REG; the guest's counter values and
 * PMSELR_EL0 leave the hardware with it (zeroed at swap out), so neither
 * host user space (perf user access) nor the next guest can read them.
 */
#include <linux/bitfield.h>
#include <linux/kvm_host.h>
#include <linux/perf/arm_pmuv3.h>

#include <asm/arch_timer.h>
#include <asm/kvm_emulate.h>
#include <asm/sysreg.h>

#include "kvm_pmu_partition.h"
#include "trace.h"

#define CYCLE_COUNTER	ARMV8_PMU_CYCLE_IDX
#define SELECT_MASK	PMSELR_EL0_SEL_MASK

/*
 * Fine-grained traps a guest-owned PMU keeps (1 = trap). PMCR_EL0 writes
 * stay trapped: the hardware register has bits the guest may not set
 * (X, which exports events beyond the guest's counters; LP, FZO, FZS
 * where the CPU is newer than the VM), so they go through
 * event_filter.h; its reads are untrapped.
 */
#define FGT_READ_TRAPPED	(HDFGRTR_EL2_PMOVS | HDFGRTR_EL2_PMEVTYPERn_EL0 | \
				 HDFGRTR_EL2_PMCCFILTR_EL0 | \
				 HDFGRTR_EL2_PMCEIDn_EL0 | HDFGRTR_EL2_PMMIR_EL1)
#define FGT_READ_UNTRAPPED	(HDFGRTR_EL2_PMUSERENR_EL0 | \
				 HDFGRTR_EL2_PMSELR_EL0 | HDFGRTR_EL2_PMINTEN | \
				 HDFGRTR_EL2_PMCNTEN | HDFGRTR_EL2_PMCCNTR_EL0 | \
				 HDFGRTR_EL2_PMEVCNTRn_EL0)
#define FGT_WRITE_TRAPPED	(HDFGWTR_EL2_PMOVS | HDFGWTR_EL2_PMEVTYPERn_EL0 | \
				 HDFGWTR_EL2_PMCCFILTR_EL0 | HDFGWTR_EL2_PMCR_EL0)
#define FGT_WRITE_UNTRAPPED	(HDFGWTR_EL2_PMUSERENR_EL0 | \
				 HDFGWTR_EL2_PMSWINC_EL0 | \
				 HDFGWTR_EL2_PMSELR_EL0 | HDFGWTR_EL2_PMINTEN | \
				 HDFGWTR_EL2_PMCNTEN | HDFGWTR_EL2_PMCCNTR_EL0 | \
				 HDFGWTR_EL2_PMEVCNTRn_EL0)

const char *const partition_register_names[PARTITION_REGISTER_COUNT] = {
	[PARTITION_REGISTER_PMCR] = "pmcr",
	[PARTITION_REGISTER_PMCNTEN] = "pmcnten",
	[PARTITION_REGISTER_PMINTEN] = "pminten",
	[PARTITION_REGISTER_PMOVS] = "pmovs",
	[PARTITION_REGISTER_PMSELR] = "pmselr",
	[PARTITION_REGISTER_PMCCNTR] = "pmccntr",
	[PARTITION_REGISTER_PMEVCNTR] = "pmevcntr",
	[PARTITION_REGISTER_PMEVTYPER] = "pmevtyper",
	[PARTITION_REGISTER_PMUSERENR] = "pmuserenr",
	[PARTITION_REGISTER_PMSWINC] = "pmswinc",
	[PARTITION_REGISTER_PMCEID] = "pmceid",
	[PARTITION_REGISTER_PMMIR] = "pmmir",
};

/*
 * A PMU register in the vCPU's context. Not KVM's __vcpu_sys_reg(): that
 * may call kvm_vcpu_sanitise_vncr_reg() (out of line, not exported) for a
 * non-constant index, and its __ctxt_sys_reg() is not __always_inline,
 * so neither belongs in this noinstr file. The PMU registers are below
 * __VNCR_START__, so the plain array is what __vcpu_sys_reg() reads too.
 */
static __always_inline u64 *guest_reg(struct kvm_vcpu *vcpu, int reg)
{
	return &vcpu->arch.ctxt.sys_regs[reg];
}

static __always_inline unsigned int guest_counters(struct kvm_vcpu *vcpu)
{
	return vcpu->kvm->arch.pmcr_n;
}

static __always_inline void select_counter(unsigned int counter)
{
	write_sysreg_s(counter, SYS_PMSELR_EL0);
	isb();
}

/*
 * Whether @event may count: it counts the same on every host PMU the vCPU
 * may run on, and the VM's event filter lets it.
 */
static __always_inline bool event_allowed(struct kvm_vcpu *vcpu, u64 event)
{
	const unsigned long *filter = vcpu->kvm->arch.pmu_filter;

	if (!partition_event_counts_everywhere(&partition_host_events, event))
		return false;
	if (!filter)
		return true;
	/* The VM's event numbers fit; a bound against a surprise, not a rule. */
	if (event >= partition_vcpu(vcpu)->vm->filter.filter_events)
		return false;
	return (filter[event / BITS_PER_LONG] >> (event % BITS_PER_LONG)) & 1;
}

static __always_inline const struct partition_event_filter *
vm_filter(struct kvm_vcpu *vcpu)
{
	return &partition_vcpu(vcpu)->vm->filter;
}

static __always_inline int event_type_reg(unsigned int counter)
{
	return counter == CYCLE_COUNTER ? PMCCFILTR_EL0 :
					  PMEVTYPER0_EL0 + counter;
}

/*
 * Programs counter @counter's hardware event type from the guest's type
 * @type (what the guest reads back): event_filter.h decides what counts.
 * The counter is selected (PMSELR_EL0) unless it is the cycle counter.
 */
static __always_inline void program_event_type(struct kvm_vcpu *vcpu,
					       unsigned int counter, u64 type)
{
	bool cycle_counter = counter == CYCLE_COUNTER;
	u64 event = cycle_counter ? ARMV8_PMUV3_PERFCTR_CPU_CYCLES :
				    type & EVENT_NUMBER_V3P1;
	u64 hardware = partition_hardware_event_type(vm_filter(vcpu),
						     cycle_counter, type,
						     event_allowed(vcpu, event));

	if (cycle_counter)
		write_sysreg_s(hardware, SYS_PMCCFILTR_EL0);
	else
		write_sysreg_s(hardware, SYS_PMXEVTYPER_EL0);
}

/* PMEVTYPER<counter> or PMCCFILTR write: remember it, program the filter. */
static __always_inline void write_event_type(struct kvm_vcpu *vcpu,
					     unsigned int counter, u64 value)
{
	u64 type = partition_guest_event_type(vm_filter(vcpu),
					      counter == CYCLE_COUNTER, value);
	u64 selected = read_sysreg_s(SYS_PMSELR_EL0);

	*guest_reg(vcpu, event_type_reg(counter)) = type;
	if (counter != CYCLE_COUNTER)
		select_counter(counter);
	program_event_type(vcpu, counter, type);
	if (counter != CYCLE_COUNTER)
		write_sysreg_s(selected, SYS_PMSELR_EL0);
}

static __always_inline u64 read_counter(unsigned int counter)
{
	u64 selected, value;

	if (counter == CYCLE_COUNTER)
		return read_sysreg_s(SYS_PMCCNTR_EL0);
	selected = read_sysreg_s(SYS_PMSELR_EL0);
	select_counter(counter);
	value = read_sysreg_s(SYS_PMXEVCNTR_EL0);
	write_sysreg_s(selected, SYS_PMSELR_EL0);
	return value;
}

static __always_inline void write_counter(unsigned int counter, u64 value)
{
	u64 selected;

	if (counter == CYCLE_COUNTER) {
		write_sysreg_s(value, SYS_PMCCNTR_EL0);
		return;
	}
	selected = read_sysreg_s(SYS_PMSELR_EL0);
	select_counter(counter);
	write_sysreg_s(value, SYS_PMXEVCNTR_EL0);
	write_sysreg_s(selected, SYS_PMSELR_EL0);
}

/*
 * MDCR_EL2 while the guest owns the PMU, from KVM's value @mdcr. Its
 * partition fields are kept in cpu->owned_mdcr, which the per-entry hook
 * (partition_setup_mdcr()) applies: called again whenever an input here
 * changes (swap-in, cpu->host_pmcr).
 */
noinstr u64 partition_update_owned_mdcr(struct kvm_vcpu *vcpu,
					struct partition_cpu *cpu, u64 mdcr)
{
	u64 owned = guest_counters(vcpu);

	if (cpu->host_pmcr & ARMV8_PMU_PMCR_E)
		owned |= MDCR_EL2_HPME;
	if (!cpu->fine_grained)
		owned |= MDCR_EL2_TPM | MDCR_EL2_TPMCR;
	if (cpu->long_counters) {
		/* Scoped to the guest's range from PMUv3p5 on. */
		owned |= MDCR_EL2_HPMD | MDCR_EL2_HCCD;
		if (cpu->host_pmcr & ARMV8_PMU_PMCR_LP)
			owned |= MDCR_EL2_HLP;
	}
	cpu->owned_mdcr = owned;
	return (mdcr & ~(u64)MDCR_PARTITION) | owned;
}

/* MDCR_EL2 while the host owns the PMU: KVM's, trapping every access. */
static __always_inline u64 free_mdcr(struct partition_cpu *cpu, u64 mdcr)
{
	mdcr &= ~(u64)MDCR_PARTITION;
	return mdcr | cpu->host_counters | MDCR_EL2_TPM | MDCR_EL2_TPMCR;
}

/*
 * The guest's view of counter @counter's event type, from memory, where
 * KVM_SET_ONE_REG may have put any value: what a guest write of it would
 * leave, stored back so that the guest reads what it would read.
 */
static __always_inline u64 saved_event_type(struct kvm_vcpu *vcpu,
					    unsigned int counter)
{
	u64 *saved = guest_reg(vcpu, event_type_reg(counter));

	*saved = partition_guest_event_type(vm_filter(vcpu),
					    counter == CYCLE_COUNTER, *saved);
	return *saved;
}

/*
 * Overflow flags in memory that cannot request the guest's interrupt now
 * (PMCR_EL0.E or their PMINTENSET_EL1 bit clear) go back to the hardware,
 * which requests it when the guest sets that enable, trapped or not (Arm
 * ARM: a counter's overflow interrupt request is PMCR_EL0.E && PMOVSSET<n>
 * && PMINTENSET<n>). Memory keeps the flags that can request it, which KVM
 * injects (partition_overflow_status()). Without this, a flag the host's
 * PMU interrupt handler or a swap took into memory while it could not
 * request the interrupt would wait for an unrelated full exit. The vCPU
 * owns this CPU's PMU; IRQs masked.
 */
noinstr void partition_park_overflows(struct kvm_vcpu *vcpu)
{
	u64 *overflow = guest_reg(vcpu, PMOVSSET_EL0);
	u64 requesting = 0, parked;

	if (read_sysreg_s(SYS_PMCR_EL0) & ARMV8_PMU_PMCR_E)
		requesting = read_sysreg_s(SYS_PMINTENSET_EL1);
	parked = *overflow & ~requesting & partition_guest_counters(vcpu);
	if (!parked)
		return;
	*overflow &= ~parked;
	write_sysreg_s(parked, SYS_PMOVSSET_EL0);
}

/*
 * Loads the vCPU's PMU state into this CPU and makes it guest-owned. The
 * guest's counters are claimed from host perf, so they are idle here.
 * MDCR_EL2 goes first: once HPMN is the guest's, the guest's PMCR_EL0.E no
 * longer gates the host's counters (MDCR_EL2.HPME does).
 */
noinstr void partition_swap_in(struct kvm_vcpu *vcpu, struct partition_cpu *cpu)
{
	struct partition_vcpu *state = partition_vcpu(vcpu);
	unsigned int counter, counters = guest_counters(vcpu);
	u64 valid = partition_guest_counters(vcpu), mdcr;

	if (unlikely(state->deliveries_stale)) {
		u64 flags = *guest_reg(vcpu, PMOVSSET_EL0);

		/*
		 * After a reset or a VMM's store (partition_forget_deliveries()):
		 * deliveries whose flag the store cleared end, untraced here.
		 */
		state->dropped_untraced |= state->delivery_overflowed & ~flags;
		state->delivery_overflowed &= flags;
		state->delivery_injected &= flags;
		state->delivery_untracked = flags & ~state->delivery_overflowed;
		state->deliveries_stale = false;
	}
	cpu->host_pmcr = read_sysreg_s(SYS_PMCR_EL0);
	cpu->owner_counters = valid;
	mdcr = partition_update_owned_mdcr(vcpu, cpu, vcpu->arch.mdcr_el2);
	write_sysreg(mdcr, mdcr_el2);
	vcpu->arch.mdcr_el2 = mdcr;
	isb();

	for (counter = 0; counter < counters; counter++) {
		select_counter(counter);
		program_event_type(vcpu, counter, saved_event_type(vcpu, counter));
		write_sysreg_s(*guest_reg(vcpu, PMEVCNTR0_EL0 + counter),
			       SYS_PMXEVCNTR_EL0);
	}
	program_event_type(vcpu, CYCLE_COUNTER,
			   saved_event_type(vcpu, CYCLE_COUNTER));
	write_sysreg_s(*guest_reg(vcpu, PMCCNTR_EL0), SYS_PMCCNTR_EL0);
	write_sysreg_s(*guest_reg(vcpu, PMSELR_EL0) & SELECT_MASK, SYS_PMSELR_EL0);
	write_sysreg_s(*guest_reg(vcpu, PMUSERENR_EL0) & ARMV8_PMU_USERENR_MASK,
		       SYS_PMUSERENR_EL0);
	write_sysreg_s(valid, SYS_PMINTENCLR_EL1);
	write_sysreg_s(*guest_reg(vcpu, PMINTENSET_EL1) & valid,
		       SYS_PMINTENSET_EL1);
	/* Flags stay in memory (parked below); the hardware adds new ones. */
	write_sysreg_s(valid, SYS_PMOVSCLR_EL0);

	if (cpu->fine_grained) {
		cpu->saved_hdfgrtr = read_sysreg_s(SYS_HDFGRTR_EL2);
		cpu->saved_hdfgwtr = read_sysreg_s(SYS_HDFGWTR_EL2);
		write_sysreg_s((cpu->saved_hdfgrtr & ~FGT_READ_UNTRAPPED) |
			       FGT_READ_TRAPPED, SYS_HDFGRTR_EL2);
		write_sysreg_s((cpu->saved_hdfgwtr & ~FGT_WRITE_UNTRAPPED) |
			       FGT_WRITE_TRAPPED, SYS_HDFGWTR_EL2);
	}

	write_sysreg_s(partition_hardware_pmcr(vm_filter(vcpu),
					       *guest_reg(vcpu, PMCR_EL0)),
		       SYS_PMCR_EL0);
	write_sysreg_s(*guest_reg(vcpu, PMCNTENSET_EL0) & valid,
		       SYS_PMCNTENSET_EL0);
	partition_park_overflows(vcpu);
	isb();

	cpu->owner_pid = state->vm->pid;
	cpu->owner_serial = state->vm->serial;
	cpu->owner_vcpu_id = vcpu->vcpu_id;
	WRITE_ONCE(cpu->owner, vcpu);
	cpu->fast_owner = partition_config.fast_path ? vcpu : NULL;
	state->owned_cpu = vcpu->cpu;
	state->swaps_in++;
}

/*
 * Saves the guest's PMU state to memory, stops its counters and clears
 * their enables, values, PMSELR_EL0 and the claimed instruction counter
 * (host user space may read counters directly: perf_user_access), and
 * gives the PMU back to the host: its PMCR_EL0, MDCR_EL2 with HPMN = N and
 * every access trapped (what vcpu_load writes next time too), and its
 * fine-grained traps.
 */
noinstr void partition_swap_out(struct kvm_vcpu *vcpu, struct partition_cpu *cpu)
{
	struct partition_vcpu *state = partition_vcpu(vcpu);
	unsigned int counter, counters = guest_counters(vcpu);
	u64 valid = partition_guest_counters(vcpu), mdcr;

	*guest_reg(vcpu, PMCNTENSET_EL0) = read_sysreg_s(SYS_PMCNTENSET_EL0) & valid;
	write_sysreg_s(valid, SYS_PMCNTENCLR_EL0);
	isb();

	*guest_reg(vcpu, PMCR_EL0) = read_sysreg_s(SYS_PMCR_EL0) & ARMV8_PMU_PMCR_MASK;
	*guest_reg(vcpu, PMSELR_EL0) = read_sysreg_s(SYS_PMSELR_EL0) & SELECT_MASK;
	*guest_reg(vcpu, PMUSERENR_EL0) = read_sysreg_s(SYS_PMUSERENR_EL0) &
					  ARMV8_PMU_USERENR_MASK;
	for (counter = 0; counter < counters; counter++) {
		select_counter(counter);
		*guest_reg(vcpu, PMEVCNTR0_EL0 + counter) =
			read_sysreg_s(SYS_PMXEVCNTR_EL0);
		write_sysreg_s(0, SYS_PMXEVCNTR_EL0);
	}
	write_sysreg_s(0, SYS_PMSELR_EL0);
	*guest_reg(vcpu, PMCCNTR_EL0) = read_sysreg_s(SYS_PMCCNTR_EL0);
	write_sysreg_s(0, SYS_PMCCNTR_EL0);
	/* Claimed, never the guest's: it counted what the guest's E allowed. */
	if (cpu->instruction_counter)
		write_sysreg_s(0, SYS_PMICNTR_EL0);
	*guest_reg(vcpu, PMINTENSET_EL1) = read_sysreg_s(SYS_PMINTENSET_EL1) & valid;
	*guest_reg(vcpu, PMOVSSET_EL0) |= read_sysreg_s(SYS_PMOVSSET_EL0) & valid;
	write_sysreg_s(valid, SYS_PMINTENCLR_EL1);
	write_sysreg_s(valid, SYS_PMOVSCLR_EL0);

	/* Host PMCR_EL0 first: the guest's E still gates only its range. */
	write_sysreg_s(cpu->host_pmcr, SYS_PMCR_EL0);
	mdcr = free_mdcr(cpu, vcpu->arch.mdcr_el2);
	write_sysreg(mdcr, mdcr_el2);
	vcpu->arch.mdcr_el2 = mdcr;
	if (cpu->fine_grained) {
		write_sysreg_s(cpu->saved_hdfgrtr, SYS_HDFGRTR_EL2);
		write_sysreg_s(cpu->saved_hdfgwtr, SYS_HDFGWTR_EL2);
	}
	isb();

	cpu->fast_owner = NULL;
	WRITE_ONCE(cpu->owner, NULL);
	state->owned_cpu = -1;
	state->swaps_out++;
}

/*
 * The guest cleared overflow flags: those the host took end their
 * delivery. Nothing may be traced here (noinstr), so the counters and the
 * time of the first clear wait for the next traceable point
 * (trace_acknowledged() in partition.c). Flags that were no overflow
 * (delivery_untracked) just go. Costs two loads, a store and a test when
 * no taken overflow is cleared.
 */
static __always_inline void note_acknowledged(struct kvm_vcpu *vcpu, u64 cleared)
{
	struct partition_vcpu *state = partition_vcpu(vcpu);
	u64 acknowledged = cleared & state->delivery_overflowed;

	state->delivery_untracked &= ~cleared;
	if (likely(!acknowledged))
		return;
	if (!state->acknowledged_untraced)
		state->acknowledged_at = __arch_counter_get_cntpct();
	state->acknowledged_untraced |= acknowledged;
	state->delivery_overflowed &= ~acknowledged;
	state->delivery_injected &= ~acknowledged;
}

/*
 * PMCR_EL0 write: P and C are emulated, on the guest's counters only, so
 * that EL2 does not reset the host's; the rest through event_filter.h.
 */
static __always_inline void write_guest_pmcr(struct kvm_vcpu *vcpu, u64 value)
{
	unsigned int counter;

	if (value & ARMV8_PMU_PMCR_P)
		for (counter = 0; counter < guest_counters(vcpu); counter++)
			write_counter(counter, 0);
	if (value & ARMV8_PMU_PMCR_C)
		write_sysreg_s(0, SYS_PMCCNTR_EL0);
	write_sysreg_s(partition_hardware_pmcr(vm_filter(vcpu), value),
		       SYS_PMCR_EL0);
}

/*
 * PMCR_EL0 as the guest reads it: what an untrapped read at EL1 gives (the
 * hardware's, N = HPMN, P and C read as zero), so that a read gives one
 * value whether FEAT_FGT leaves it untrapped or MDCR_EL2.TPMCR traps it.
 */
static __always_inline u64 read_guest_pmcr(struct kvm_vcpu *vcpu)
{
	u64 pmcr = read_sysreg_s(SYS_PMCR_EL0);

	pmcr &= ~(u64)(ARMV8_PMU_PMCR_N | ARMV8_PMU_PMCR_P | ARMV8_PMU_PMCR_C);
	return pmcr | FIELD_PREP(ARMV8_PMU_PMCR_N, guest_counters(vcpu));
}

/*
 * CHAIN (0x1e) on the odd neighbour of @counter, whose software increment
 * just overflowed at 32 bits: the hardware counts CHAIN only for overflows
 * it counted itself (Arm ARM AArch64.IncrementEventCounter()), so an
 * emulated increment generates it here, where this CPU implements the
 * event (PMCEID0_EL0 bit 30; the guest's PMCEID0 lists only events every
 * host PMU has), the odd counter is enabled and counts CHAIN at the
 * guest's current Exception level. Its own overflow sets its flag.
 */
static __always_inline void chain_increment(struct kvm_vcpu *vcpu,
					    unsigned int counter, bool kernel)
{
	unsigned int odd = counter + 1;
	u64 type, count;

	if ((counter & 1) || odd >= guest_counters(vcpu) ||
	    !(read_sysreg_s(SYS_PMCEID0_EL0) & BIT_ULL(ARMV8_PMUV3_PERFCTR_CHAIN)) ||
	    !(read_sysreg_s(SYS_PMCNTENSET_EL0) & BIT_ULL(odd)) ||
	    !event_allowed(vcpu, ARMV8_PMUV3_PERFCTR_CHAIN))
		return;
	type = *guest_reg(vcpu, PMEVTYPER0_EL0 + odd);
	if ((type & EVENT_NUMBER_V3P1) != ARMV8_PMUV3_PERFCTR_CHAIN ||
	    !partition_guest_counts_at(vm_filter(vcpu), type, kernel))
		return;
	count = read_counter(odd) + 1;
	write_counter(odd, count);
	if (!lower_32_bits(count))
		write_sysreg_s(BIT_ULL(odd), SYS_PMOVSSET_EL0);
}

/*
 * PMSWINC_EL0 write: increments, in software, the guest's enabled
 * counters that count SW_INCR at the guest's current Exception level (a
 * write at EL2 would not count: the guest's types exclude EL2), and CHAIN
 * on the odd neighbour of one that overflows at 32 bits.
 */
static __always_inline void software_increment(struct kvm_vcpu *vcpu, u64 value)
{
	u64 pmcr = read_sysreg_s(SYS_PMCR_EL0);
	bool kernel = !partition_guest_at_el0(vcpu);
	unsigned int counter;

	if (!(pmcr & ARMV8_PMU_PMCR_E) ||
	    !event_allowed(vcpu, ARMV8_PMUV3_PERFCTR_SW_INCR))
		return;
	value &= read_sysreg_s(SYS_PMCNTENSET_EL0) &
		 (partition_guest_counters(vcpu) & ~BIT_ULL(CYCLE_COUNTER));
	for (counter = 0; counter < guest_counters(vcpu); counter++) {
		u64 type = *guest_reg(vcpu, PMEVTYPER0_EL0 + counter), count;

		if (!(value & BIT_ULL(counter)) ||
		    (type & EVENT_NUMBER_V3P1) != ARMV8_PMUV3_PERFCTR_SW_INCR ||
		    !partition_guest_counts_at(vm_filter(vcpu), type, kernel))
			continue;
		count = read_counter(counter) + 1;
		write_counter(counter, count);
		if ((pmcr & ARMV8_PMU_PMCR_LP) ? !count : !lower_32_bits(count)) {
			write_sysreg_s(BIT_ULL(counter), SYS_PMOVSSET_EL0);
			if (!(pmcr & ARMV8_PMU_PMCR_LP))
				chain_increment(vcpu, counter, kernel);
		}
	}
}

/*
 * A PMU register as the ESR_ELx ISS of its trap names it (Op0, Op1, CRn,
 * CRm, Op2: ESR_ELx_SYS64_ISS_SYS_MASK), so that the guest-exit path
 * switches on the trap's ISS with no decoding; iss_of_encoding() gives
 * the slow path's sys_reg() encodings the same form, and
 * check_iss_names() that each name below is its register's.
 */
#define ISS(op0, op1, crn, crm, op2)	ESR_ELx_SYS64_ISS_SYS_VAL(op0, op1, op2, crn, crm)

enum {
	ISS_PMCR_EL0 = ISS(3, 3, 9, 12, 0),
	ISS_PMCNTENSET_EL0 = ISS(3, 3, 9, 12, 1),
	ISS_PMCNTENCLR_EL0 = ISS(3, 3, 9, 12, 2),
	ISS_PMOVSCLR_EL0 = ISS(3, 3, 9, 12, 3),
	ISS_PMSWINC_EL0 = ISS(3, 3, 9, 12, 4),
	ISS_PMSELR_EL0 = ISS(3, 3, 9, 12, 5),
	ISS_PMCCNTR_EL0 = ISS(3, 3, 9, 13, 0),
	ISS_PMXEVTYPER_EL0 = ISS(3, 3, 9, 13, 1),
	ISS_PMXEVCNTR_EL0 = ISS(3, 3, 9, 13, 2),
	ISS_PMUSERENR_EL0 = ISS(3, 3, 9, 14, 0),
	ISS_PMOVSSET_EL0 = ISS(3, 3, 9, 14, 3),
	ISS_PMINTENSET_EL1 = ISS(3, 0, 9, 14, 1),
	ISS_PMINTENCLR_EL1 = ISS(3, 0, 9, 14, 2),
	ISS_PMEVCNTR0_EL0 = ISS(3, 3, 14, 8, 0),
};

/*
 * PMEVCNTR<n>_EL0 (CRm 8-11) and PMEVTYPER<n>_EL0 (CRm 12-15, bit 2 set):
 * n is CRm[1:0]:Op2.
 */
#define ISS_COUNTER_FAMILY_MASK						\
	(ESR_ELx_SYS64_ISS_SYS_MASK &					\
	 ~((7UL << ESR_ELx_SYS64_ISS_CRM_SHIFT) | ESR_ELx_SYS64_ISS_OP2_MASK))
#define ISS_EVENT_TYPE		(4UL << ESR_ELx_SYS64_ISS_CRM_SHIFT)

static __always_inline u64 iss_of_encoding(u32 encoding)
{
	return ISS(sys_reg_Op0(encoding), sys_reg_Op1(encoding),
		   sys_reg_CRn(encoding), sys_reg_CRm(encoding),
		   sys_reg_Op2(encoding));
}

/* Compile-time only: partition_emulate() calls it so that it is checked. */
static __always_inline void check_iss_names(void)
{
	BUILD_BUG_ON(iss_of_encoding(SYS_PMCR_EL0) != ISS_PMCR_EL0);
	BUILD_BUG_ON(iss_of_encoding(SYS_PMCNTENSET_EL0) != ISS_PMCNTENSET_EL0);
	BUILD_BUG_ON(iss_of_encoding(SYS_PMCNTENCLR_EL0) != ISS_PMCNTENCLR_EL0);
	BUILD_BUG_ON(iss_of_encoding(SYS_PMOVSCLR_EL0) != ISS_PMOVSCLR_EL0);
	BUILD_BUG_ON(iss_of_encoding(SYS_PMSWINC_EL0) != ISS_PMSWINC_EL0);
	BUILD_BUG_ON(iss_of_encoding(SYS_PMSELR_EL0) != ISS_PMSELR_EL0);
	BUILD_BUG_ON(iss_of_encoding(SYS_PMCCNTR_EL0) != ISS_PMCCNTR_EL0);
	BUILD_BUG_ON(iss_of_encoding(SYS_PMXEVTYPER_EL0) != ISS_PMXEVTYPER_EL0);
	BUILD_BUG_ON(iss_of_encoding(SYS_PMXEVCNTR_EL0) != ISS_PMXEVCNTR_EL0);
	BUILD_BUG_ON(iss_of_encoding(SYS_PMUSERENR_EL0) != ISS_PMUSERENR_EL0);
	BUILD_BUG_ON(iss_of_encoding(SYS_PMOVSSET_EL0) != ISS_PMOVSSET_EL0);
	BUILD_BUG_ON(iss_of_encoding(SYS_PMINTENSET_EL1) != ISS_PMINTENSET_EL1);
	BUILD_BUG_ON(iss_of_encoding(SYS_PMINTENCLR_EL1) != ISS_PMINTENCLR_EL1);
	BUILD_BUG_ON(iss_of_encoding(SYS_PMEVCNTRn_EL0(0)) != ISS_PMEVCNTR0_EL0);
	BUILD_BUG_ON(iss_of_encoding(SYS_PMEVTYPERn_EL0(0)) !=
		     (ISS_PMEVCNTR0_EL0 | ISS_EVENT_TYPE));
	BUILD_BUG_ON(iss_of_encoding(SYS_PMCCFILTR_EL0) !=
		     (ISS_PMEVCNTR0_EL0 | ISS_EVENT_TYPE | ISS(0, 0, 0, 3, 7)));
}

static __always_inline unsigned int iss_counter(u64 iss)
{
	return ((iss >> ESR_ELx_SYS64_ISS_CRM_SHIFT) & 3) << 3 |
	       (iss & ESR_ELx_SYS64_ISS_OP2_MASK) >> ESR_ELx_SYS64_ISS_OP2_SHIFT;
}

/*
 * Emulates a trapped access to the guest-owned PMU, @iss its register
 * (ISS_*). Returns the register's group (for the trap statistics),
 * with a read's result in *@value, or PARTITION_REGISTER_NONE for what
 * needs kernel context (PMCEID, PMMIR), is UNDEFINED (counters the guest
 * does not have) or is not a PMU register the module emulates: the slow
 * path or KVM decides those.
 */
static __always_inline enum partition_register
emulate(struct kvm_vcpu *vcpu, u64 iss, bool is_write, u64 *value)
{
	unsigned int counters = guest_counters(vcpu), counter;
	u64 valid = partition_guest_counters(vcpu);
	u64 *overflow = guest_reg(vcpu, PMOVSSET_EL0);

	/* The cycle counter first: what a counting guest reads most. */
	if (iss == ISS_PMCCNTR_EL0) {
		if (is_write)
			write_sysreg_s(*value, SYS_PMCCNTR_EL0);
		else
			*value = read_sysreg_s(SYS_PMCCNTR_EL0);
		return PARTITION_REGISTER_PMCCNTR;
	}
	if ((iss & ISS_COUNTER_FAMILY_MASK) == ISS_PMEVCNTR0_EL0) {
		counter = iss_counter(iss);	/* PMEVTYPER 31: PMCCFILTR_EL0 */
		if (iss & ISS_EVENT_TYPE)
			goto event_type;
		goto event_counter;
	}

	switch (iss) {
	case ISS_PMXEVCNTR_EL0:
		counter = read_sysreg_s(SYS_PMSELR_EL0) & SELECT_MASK;
		goto event_counter;
	case ISS_PMXEVTYPER_EL0:
		counter = read_sysreg_s(SYS_PMSELR_EL0) & SELECT_MASK;
		goto event_type;
	case ISS_PMSELR_EL0:
		if (is_write)
			write_sysreg_s(*value & SELECT_MASK, SYS_PMSELR_EL0);
		else
			*value = read_sysreg_s(SYS_PMSELR_EL0);
		return PARTITION_REGISTER_PMSELR;
	case ISS_PMCR_EL0:
		if (is_write)
			write_guest_pmcr(vcpu, *value);
		else
			*value = read_guest_pmcr(vcpu);
		return PARTITION_REGISTER_PMCR;
	case ISS_PMCNTENSET_EL0:
	case ISS_PMCNTENCLR_EL0:
		if (!is_write)
			*value = read_sysreg_s(SYS_PMCNTENSET_EL0) & valid;
		else if (iss == ISS_PMCNTENSET_EL0)
			write_sysreg_s(*value & valid, SYS_PMCNTENSET_EL0);
		else
			write_sysreg_s(*value & valid, SYS_PMCNTENCLR_EL0);
		return PARTITION_REGISTER_PMCNTEN;
	case ISS_PMINTENSET_EL1:
	case ISS_PMINTENCLR_EL1:
		if (!is_write)
			*value = read_sysreg_s(SYS_PMINTENSET_EL1) & valid;
		else if (iss == ISS_PMINTENSET_EL1)
			write_sysreg_s(*value & valid, SYS_PMINTENSET_EL1);
		else
			write_sysreg_s(*value & valid, SYS_PMINTENCLR_EL1);
		return PARTITION_REGISTER_PMINTEN;
	case ISS_PMOVSSET_EL0:
	case ISS_PMOVSCLR_EL0:
		/* Memory holds the overflows taken so far, hardware new ones. */
		if (!is_write) {
			*value = (*overflow | read_sysreg_s(SYS_PMOVSSET_EL0)) & valid;
		} else if (iss == ISS_PMOVSSET_EL0) {
			/*
			 * A new overflow, so the hardware's: raises the
			 * interrupt now if enabled (host IRQ hook), which
			 * takes it to memory like a counted one.
			 */
			write_sysreg_s(*value & valid, SYS_PMOVSSET_EL0);
		} else {
			*overflow &= ~(*value & valid);
			write_sysreg_s(*value & valid, SYS_PMOVSCLR_EL0);
			note_acknowledged(vcpu, *value & valid);
		}
		return PARTITION_REGISTER_PMOVS;
	case ISS_PMUSERENR_EL0:
		if (is_write)
			write_sysreg_s(*value & ARMV8_PMU_USERENR_MASK,
				       SYS_PMUSERENR_EL0);
		else
			*value = read_sysreg_s(SYS_PMUSERENR_EL0);
		return PARTITION_REGISTER_PMUSERENR;
	case ISS_PMSWINC_EL0:
		if (!is_write)
			return PARTITION_REGISTER_NONE;	/* write-only: UNDEFINED */
		software_increment(vcpu, *value);
		return PARTITION_REGISTER_PMSWINC;
	default:
		return PARTITION_REGISTER_NONE;
	}

event_counter:
	if (counter >= counters)
		return PARTITION_REGISTER_NONE;
	if (is_write)
		write_counter(counter, *value);
	else
		*value = read_counter(counter);
	return PARTITION_REGISTER_PMEVCNTR;

event_type:
	if (counter >= counters && counter != CYCLE_COUNTER)
		return PARTITION_REGISTER_NONE;
	if (is_write)
		write_event_type(vcpu, counter, *value);
	else
		*value = *guest_reg(vcpu, event_type_reg(counter));
	return PARTITION_REGISTER_PMEVTYPER;
}

noinstr enum kvm_pmu_hook_result
partition_emulate(struct kvm_vcpu *vcpu, u32 encoding, bool is_write, u64 *value)
{
	check_iss_names();
	return emulate(vcpu, iss_of_encoding(encoding), is_write, value) ==
	       PARTITION_REGISTER_NONE ? KVM_PMU_HOOK_STOCK : KVM_PMU_HOOK_DONE;
}

/*
 * The VHE early-exit hook of a vCPU that does not own this CPU's PMU, or
 * with fast_path=0. Only the PMU registers partition_register_of() knows
 * are the module's: SPE, TRBE and newer PMU registers go to KVM untouched,
 * without loading the PMU. A partitioned vCPU's first PMU access since
 * vcpu_load makes its PMU guest-owned here; an access from guest EL0 is
 * then retried, so that the hardware applies the guest's PMUSERENR_EL0
 * (KVM's all-ones value let it trap here).
 */
static noinstr enum kvm_pmu_hook_result
hyp_sysreg_not_owned(struct kvm_vcpu *vcpu, u64 esr)
{
	struct partition_vcpu *state = partition_vcpu(vcpu);
	struct partition_cpu *cpu = raw_cpu_ptr(&partition_cpus);

	if (!partition_config.fast_path || partition_cpu_owner_is(cpu, vcpu) ||
	    partition_register_of(esr_sys64_to_sysreg(esr)) == PARTITION_REGISTER_NONE ||
	    !partition_vcpu_partitioned(state)) {
		partition_count_hook_noinstr(PARTITION_HOOK_HYP_SYSREG);
		return KVM_PMU_HOOK_STOCK;
	}
	partition_swap_in(vcpu, cpu);
	state->swap_in_untraced = true;
	if (partition_guest_at_el0(vcpu))
		return KVM_PMU_HOOK_RETRY;
	return partition_hyp_sysreg(vcpu, esr);
}

/*
 * The shim's VHE early-exit hook, for SYS64 traps with an encoding in the
 * PMU's space. While this vCPU owns the CPU's PMU (and fast_path=1), the
 * access is emulated against the hardware, switched on the trap's ISS with
 * nothing else decoded (make bench's trap-fast rows measure it against
 * the exit floor); anything emulate() leaves alone takes the full exit.
 * An EL0 access the guest's PMUSERENR_EL0 refuses never gets here while
 * the PMU is guest-owned: the PE traps it to EL1 first.
 */
noinstr enum kvm_pmu_hook_result
partition_hyp_sysreg(struct kvm_vcpu *vcpu, u64 esr)
{
	bool is_write = !(esr & ESR_ELx_SYS64_ISS_DIR_READ);
	u8 rt = ESR_ELx_SYS64_ISS_RT(esr);
	enum partition_register group;
	u64 value;

	if (unlikely(raw_cpu_read(partition_cpus.fast_owner) != vcpu))
		return hyp_sysreg_not_owned(vcpu, esr);

	value = is_write ? vcpu_get_reg(vcpu, rt) : 0;
	group = emulate(vcpu, esr & ESR_ELx_SYS64_ISS_SYS_MASK, is_write, &value);
	if (unlikely(group == PARTITION_REGISTER_NONE)) {
		partition_count_hook_noinstr(PARTITION_HOOK_HYP_SYSREG);
		return KVM_PMU_HOOK_STOCK;
	}
	if (!is_write)
		vcpu_set_reg(vcpu, rt, value);
	partition_vcpu(vcpu)->traps_fast[group]++;
	return KVM_PMU_HOOK_DONE;
}

/*
 * Whether the guest may make this access now, under its PMUSERENR_EL0 in
 * the hardware (EL1 always may). The slow path, IRQs masked, the vCPU
 * owning this CPU's PMU.
 */
bool partition_access_allowed_now(struct kvm_vcpu *vcpu,
				  enum partition_register group, bool is_write)
{
	return partition_el0_access_allowed(vcpu, group,
					    read_sysreg_s(SYS_PMUSERENR_EL0),
					    is_write);
}

/*
 * The on_setup_mdcr hook: every entry of every vCPU, IRQs off. While the
 * vCPU owns this CPU's PMU, its MDCR_EL2 keeps the partition's fields.
 * Registered directly (no hooks.c wrapper): it is on the path of every
 * exit, PMU or not (issue 14: cost of exits that do not touch the PMU).
 */
notrace void partition_setup_mdcr(struct kvm_vcpu *vcpu, u64 *mdcr_el2)
{
	struct partition_cpu *cpu = raw_cpu_ptr(&partition_cpus);

	if (!partition_cpu_owner_is(cpu, vcpu))
		return;
	partition_count_hook_atomic(PARTITION_HOOK_SETUP_MDCR);
	*mdcr_el2 = (*mdcr_el2 & ~(u64)MDCR_PARTITION) | cpu->owned_mdcr;
}

/*
 * The guest's overflow flags, in memory (taken by the host's interrupt)
 * and in the hardware, and in *@requesting those that request its
 * interrupt (Arm ARM: PMCR_EL0.E, PMOVSSET<n> and PMINTENSET<n>).
 * Hardware first: an interrupt moving flags to memory in between is then
 * still seen. Preemption disabled, the vCPU owning this CPU's PMU.
 */
notrace u64 partition_owned_overflows(struct kvm_vcpu *vcpu, u64 *requesting)
{
	u64 valid = partition_guest_counters(vcpu);
	u64 overflow = read_sysreg_s(SYS_PMOVSSET_EL0);
	u64 pmcr = read_sysreg_s(SYS_PMCR_EL0);
	u64 enabled = read_sysreg_s(SYS_PMINTENSET_EL1);

	overflow = (overflow | READ_ONCE(*guest_reg(vcpu, PMOVSSET_EL0))) & valid;
	*requesting = pmcr & ARMV8_PMU_PMCR_E ? overflow & enabled : 0;
	return overflow;
}

/*
 * The on_overflow_status hook: every entry and exit of every vCPU,
 * preemption disabled. Registered directly, like partition_setup_mdcr().
 * A vCPU that does not own this CPU's PMU (fixed VMs, and partitioned ones
 * whose PMU is not guest-owned) keeps its state in memory, and KVM's own
 * computation serves it.
 *
 * No flag taken or pending and the line low: the interrupt cannot be due.
 * Before an entry (IRQs on), a flag in hardware that can request it
 * asserts the host's PMU interrupt (Arm ARM: PMCR_EL0.E, PMOVSSET<n> and
 * PMINTENSET<n>, n < HPMN), whose hook takes it into memory and makes KVM
 * loop (KVM_REQ_IRQ_PENDING) before the entry, or the guest exits for it
 * at once: the hardware need not be read. After an exit (IRQs off) it
 * must be: the exit may be a WFI that KVM blocks on before the interrupt
 * is taken, or the host's PMU may have no interrupt, and the line must be
 * up before that. Traced deliveries and fast-path traces take partition.c's
 * full path, which notes them. A swap-in made while the swap tracepoint
 * was off is noted at the next full path or the put: enabled in between,
 * its "first access" event comes late.
 */
notrace bool partition_overflow_status(struct kvm_vcpu *vcpu, u64 *status)
{
	struct partition_cpu *cpu = raw_cpu_ptr(&partition_cpus);
	u64 pending;

	if (!partition_cpu_owner_is(cpu, vcpu))
		return false;
	partition_count_hook_atomic(PARTITION_HOOK_OVERFLOW_STATUS);
	if (vcpu->arch.pmu.irq_level ||
	    trace_kvm_pmu_partition_overflow_enabled() ||
	    trace_kvm_pmu_partition_fast_traps_enabled() ||
	    (trace_kvm_pmu_partition_swap_enabled() &&
	     partition_vcpu(vcpu)->swap_in_untraced))
		return partition_overflow_status_full(vcpu, status);
	pending = READ_ONCE(*guest_reg(vcpu, PMOVSSET_EL0));
	if (irqs_disabled())
		pending |= read_sysreg_s(SYS_PMOVSSET_EL0);
	if (pending & cpu->owner_counters)
		return partition_overflow_status_full(vcpu, status);
	*status = 0;
	return true;
}

/*
 * The host driver enables or disables its counters (IRQs off or hardirq).
 * While a guest owns this CPU's PMU, PMCR_EL0.E is the guest's: the
 * host's counters follow MDCR_EL2.HPME instead, and the host's PMCR_EL0.E
 * is restored at put.
 */
bool partition_host_pmu_ctrl(bool enable)
{
	struct partition_cpu *cpu = this_cpu_ptr(&partition_cpus);
	struct kvm_vcpu *vcpu = cpu->owner;
	u64 mdcr;

	if (!vcpu)
		return false;
	if (enable)
		cpu->host_pmcr |= ARMV8_PMU_PMCR_E;
	else
		cpu->host_pmcr &= ~(u64)ARMV8_PMU_PMCR_E;
	mdcr = partition_update_owned_mdcr(vcpu, cpu, vcpu->arch.mdcr_el2);
	vcpu->arch.mdcr_el2 = mdcr;
	write_sysreg(mdcr, mdcr_el2);
	isb();
	return true;
}

/*
 * The host PMU interrupt (hardirq), @vcpu owning this CPU's PMU: takes
 * the guest's overflow flags out of the hardware (which lowers the
 * interrupt) into the vCPU's PMOVSSET, and returns them; *@coalesced:
 * those already in memory, which overflowed again before the guest
 * cleared them.
 */
u64 partition_take_overflows(struct kvm_vcpu *vcpu, u64 *coalesced)
{
	u64 *memory = guest_reg(vcpu, PMOVSSET_EL0);
	u64 overflow = read_sysreg_s(SYS_PMOVSSET_EL0) &
		       partition_guest_counters(vcpu);

	if (!overflow)
		return 0;
	write_sysreg_s(overflow, SYS_PMOVSCLR_EL0);
	isb();
	*coalesced = *memory & overflow;
	*memory |= overflow;
	return overflow;
}
