/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The partitioned PMU's filter: what a partitioned guest reads back from
 * PMEVTYPER<n>_EL0 and PMCCFILTR_EL0, and the value the hardware register
 * gets instead, so that a guest counter counts exactly where the guest
 * asked (its EL1 and EL0) and nowhere else: not at EL2 (the host), not at
 * EL3, not in Secure or Realm state, not on another thread (MT), and
 * nowhere at all for an event the VM's event filter denies. Also the
 * PMCR_EL0 bits a guest may put in the hardware.
 *
 * Every value that reaches a guest-owned counter's registers goes through
 * here: the guest's trapped writes, and what vcpu_load/the first access
 * loads from memory, which the VMM may have set with KVM_SET_ONE_REG to
 * anything.
 *
 * The filtering rules (Arm ARM D13.5 and the PMEVTYPER<n>_EL0 page): in
 * Non-secure state EL1 is counted when P == NSK and EL0 when U == NSU if
 * EL3 is implemented, and when P == 0, U == 0 if not (NSK and NSU are then
 * RES0); Non-secure EL2 only when NSH == 1; EL3 only when M == P; Secure
 * EL1/EL0 when P/U == 0 (and counting in Secure state is allowed by EL3).
 * So on a host with EL3 the hardware gets P = U = 1 (no Secure EL1/EL0,
 * and with M = 0 no EL3) and the Non-secure choice in NSK/NSU; without EL3
 * it gets the choice in P/U. A guest whose VM has EL3 in its ID registers
 * states its choice as P == NSK, U == NSU; one without, as P, U alone.
 *
 * Pure functions on a partition_event_filter that is fixed when the VM
 * first runs, __always_inline so that the guest-exit path (noinstr) can
 * use them; the KUnit suite checks them against the reference model in
 * tests/model/pmu_filter_model.h.
 */
#ifndef KVM_PMU_PARTITION_EVENT_FILTER_H
#define KVM_PMU_PARTITION_EVENT_FILTER_H

#include <linux/bits.h>
#include <linux/perf/arm_pmuv3.h>
#include <linux/types.h>

#define EVENT_TYPE_P		ARMV8_PMU_EXCLUDE_EL1
#define EVENT_TYPE_U		ARMV8_PMU_EXCLUDE_EL0
#define EVENT_TYPE_NSK		ARMV8_PMU_EXCLUDE_NS_EL1
#define EVENT_TYPE_NSU		ARMV8_PMU_EXCLUDE_NS_EL0
#define EVENT_TYPE_M		ARMV8_PMU_EXCLUDE_EL3
#define EVENT_TYPE_NSH		ARMV8_PMU_INCLUDE_EL2
/* evtCount: 10 bits in PMUv3, 16 from PMUv3p1. */
#define EVENT_NUMBER_V3		GENMASK_ULL(9, 0)
#define EVENT_NUMBER_V3P1	GENMASK_ULL(15, 0)

/* ID_AA64DFR0_EL1.PMUVer values this file needs. */
#define PMU_VERSION_V3		1
#define PMU_VERSION_V3P5	6

/*
 * The events KVM's filter bitmap covers for a VM of PMU version @pmuver:
 * KVM's __kvm_pmu_event_mask() + 1.
 */
static inline unsigned int partition_filter_events(unsigned int pmuver)
{
	switch (pmuver) {
	case 1:			/* PMUv3 */
		return EVENT_NUMBER_V3 + 1;
	case 4: case 5: case 6: case 7:	/* PMUv3p1, p4, p5, p7 */
		return EVENT_NUMBER_V3P1 + 1;
	default:
		return 1;
	}
}

/* PMCR_EL0 bits a guest's value may put in the hardware. */
#define PMCR_HARDWARE_BITS	(ARMV8_PMU_PMCR_E | ARMV8_PMU_PMCR_D | \
				 ARMV8_PMU_PMCR_DP | ARMV8_PMU_PMCR_LC | \
				 ARMV8_PMU_PMCR_LP)

struct partition_event_filter {
	u64 guest_type_mask;	/* PMEVTYPER bits the guest may set and read back */
	bool vm_el3;		/* the VM's ID_AA64PFR0_EL1.EL3 is set */
	bool host_el3;		/* the host implements EL3: NSK/NSU/M are live */
	bool vm_long_counters;	/* the VM is PMUv3p5 or later: PMCR_EL0.LP exists */
	bool cycle_overflow_res1;	/* PMCR_EL0.LC is RES1 for the VM */
	unsigned int filter_events;	/* events KVM's filter bitmap has */
};

/*
 * For a VM of PMU version @vm_pmuver (ID_AA64DFR0_EL1.PMUVer) on a host
 * with or without EL3. The guest's view follows KVM's
 * kvm_pmu_evtyper_mask(): P, U, the event number of its PMU version, NSH
 * if the VM's ID_AA64PFR0_EL1 shows EL2 (@vm_el2: KVM 6.12 shows every VM
 * the host's, so NSH is a field the guest reads back, though it never
 * reaches the hardware), and NSK, NSU, M if the VM has EL3. A VM cannot
 * have EL3 where the host has none. LC is RES1 where EL0 is AArch64-only
 * (KVM's kvm_supports_32bit_el0()).
 */
static inline void
partition_event_filter_init(struct partition_event_filter *filter,
			    unsigned int vm_pmuver, bool vm_el2, bool vm_el3,
			    bool host_el3, bool aarch64_only_el0)
{
	filter->vm_el3 = vm_el3 && host_el3;
	filter->host_el3 = host_el3;
	filter->guest_type_mask = EVENT_TYPE_P | EVENT_TYPE_U |
		(vm_pmuver > PMU_VERSION_V3 ? EVENT_NUMBER_V3P1 : EVENT_NUMBER_V3);
	if (vm_el2)
		filter->guest_type_mask |= EVENT_TYPE_NSH;
	if (filter->vm_el3)
		filter->guest_type_mask |= EVENT_TYPE_NSK | EVENT_TYPE_NSU |
					   EVENT_TYPE_M;
	filter->vm_long_counters = vm_pmuver >= PMU_VERSION_V3P5;
	filter->cycle_overflow_res1 = aarch64_only_el0;
}

/*
 * What the guest reads back after writing @value to PMEVTYPER<n>_EL0
 * (@cycle_counter false) or PMCCFILTR_EL0 (true), which has no event
 * number.
 */
static __always_inline u64
partition_guest_event_type(const struct partition_event_filter *filter,
			   bool cycle_counter, u64 value)
{
	u64 mask = filter->guest_type_mask;

	if (cycle_counter)
		mask &= ~EVENT_NUMBER_V3P1;
	return value & mask;
}

/* Whether the guest asks to count at EL1 (@kernel) or EL0. */
static __always_inline bool
partition_guest_counts_at(const struct partition_event_filter *filter,
			  u64 type, bool kernel)
{
	u64 exclude = kernel ? EVENT_TYPE_P : EVENT_TYPE_U;
	u64 non_secure = kernel ? EVENT_TYPE_NSK : EVENT_TYPE_NSU;

	if (filter->vm_el3)
		return !(type & exclude) == !(type & non_secure);
	return !(type & exclude);
}

/*
 * The hardware value for the guest's type @type (any value: what the guest
 * wrote, or what the VMM stored with KVM_SET_ONE_REG); @allowed: the VM's
 * event filter lets it count this event (SW_INCR and CHAIN included, where
 * stock KVM does not filter them: a denied event counts nowhere). Only
 * the event number and the filter bits above reach the hardware: never
 * NSH, MT, SH or any field the guest cannot see.
 */
static __always_inline u64
partition_hardware_event_type(const struct partition_event_filter *filter,
			      bool cycle_counter, u64 type, bool allowed)
{
	bool kernel = allowed && partition_guest_counts_at(filter, type, true);
	bool user = allowed && partition_guest_counts_at(filter, type, false);
	u64 hardware = cycle_counter ? 0 : type & EVENT_NUMBER_V3P1;

	if (filter->host_el3) {
		/* P = U = 1, M = 0: no Secure EL1/EL0, no EL3. */
		hardware |= EVENT_TYPE_P | EVENT_TYPE_U;
		if (kernel)
			hardware |= EVENT_TYPE_NSK;
		if (user)
			hardware |= EVENT_TYPE_NSU;
	} else {
		if (!kernel)
			hardware |= EVENT_TYPE_P;
		if (!user)
			hardware |= EVENT_TYPE_U;
	}
	return hardware;
}

/*
 * The hardware PMCR_EL0 for the guest value @value. P and C are actions
 * the caller performs on the guest's counters only; X (export to an
 * external trace unit) is not the guest's to set; LP exists only for a
 * PMUv3p5 VM; LC reads as one where it is RES1.
 */
static __always_inline u64
partition_hardware_pmcr(const struct partition_event_filter *filter, u64 value)
{
	u64 hardware = value & PMCR_HARDWARE_BITS;

	if (!filter->vm_long_counters)
		hardware &= ~(u64)ARMV8_PMU_PMCR_LP;
	if (filter->cycle_overflow_res1)
		hardware |= ARMV8_PMU_PMCR_LC;
	return hardware;
}

/*
 * Which event numbers mean the same event on every host PMU a partitioned
 * VM may run on (host_pmu.c fills it at load): the architected common
 * events 0x0-0x3f (common[0], bit n) and 0x4000-0x403f (common[1]) that
 * every host PMU lists in PMCEID0/1 (the intersection the guest's PMCEID
 * shows), and, on a host with a single PMU type, every other number.
 */
struct partition_host_events {
	u64 common[2];
	bool several_pmus;	/* IMPLEMENTATION DEFINED numbers differ */
};

#define COMMON_EVENT_COUNT		64
#define EXTENDED_COMMON_EVENT_BASE	0x4000

/*
 * Whether a guest counter of event @event may count: only where it counts
 * the same on every CPU the vCPU may move to. On a heterogeneous host an
 * event one PMU lacks, or an IMPLEMENTATION DEFINED number (which names
 * different events on different PMU types), would count on some CPUs and
 * stand still or count something else on others; it counts nowhere
 * instead. SW_INCR is always implemented (Arm ARM, PMUv3).
 */
static __always_inline bool
partition_event_counts_everywhere(const struct partition_host_events *events,
				  u64 event)
{
	if (event == ARMV8_PMUV3_PERFCTR_SW_INCR)
		return true;
	if (event < COMMON_EVENT_COUNT)
		return (events->common[0] >> event) & 1;
	if (event >= EXTENDED_COMMON_EVENT_BASE &&
	    event < EXTENDED_COMMON_EVENT_BASE + COMMON_EVENT_COUNT)
		return (events->common[1] >> (event - EXTENDED_COMMON_EVENT_BASE)) & 1;
	return !events->several_pmus;
}

#endif /* KVM_PMU_PARTITION_EVENT_FILTER_H */
