/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Counter-mask arithmetic for splitting a PMUv3's counters between host
 * and guest. Bit n stands for PMEVCNTR<n>_EL0 and bit 31 for PMCCNTR_EL0,
 * as in PMCNTENSET_EL0 and the host driver's counter bitmap. MDCR_EL2.HPMN
 * gives the guest counters [0, HPMN) and the host [HPMN, N), so the host's
 * reservation is always the top of the range. Pure functions, tested by
 * the KUnit suite.
 */
#ifndef KVM_PMU_PARTITION_COUNTER_MASK_H
#define KVM_PMU_PARTITION_COUNTER_MASK_H

#include <linux/bits.h>
#include <linux/types.h>

#define PARTITION_CYCLE_COUNTER		31
#define PARTITION_INSTRUCTION_COUNTER	32	/* FEAT_PMUv3_ICNTR's PMICNTR_EL0 */
#define PARTITION_MAX_EVENT_COUNTERS	31

/* Mask of event counters [first, first + count); count may be 0. */
static inline u64 partition_counter_range(unsigned int first,
					  unsigned int count)
{
	if (!count)
		return 0;
	return GENMASK_ULL(first + count - 1, first);
}

static inline bool partition_reservation_fits(unsigned int counters,
					      unsigned int reserved)
{
	return counters <= PARTITION_MAX_EVENT_COUNTERS && reserved <= counters;
}

/* MDCR_EL2.HPMN: the number of event counters the guest owns. */
static inline unsigned int partition_hpmn(unsigned int counters,
					  unsigned int reserved)
{
	return counters - reserved;
}

/*
 * Counters the partition takes from a host PMU's driver: the guest's
 * [0, @hpmn) and cycle counter, and the instruction counter where the PMU
 * has one. A guest's PMCR_EL0.E starts and stops PMICNTR_EL0 as it does
 * PMCCNTR_EL0 (both are outside HPMN's reach), so host perf may not keep
 * an event there; guests get no instruction counter (KVM hides it).
 */
static inline u64 partition_claim_mask(unsigned int hpmn,
				       bool instruction_counter)
{
	return partition_counter_range(0, hpmn) |
	       BIT_ULL(PARTITION_CYCLE_COUNTER) |
	       (instruction_counter ? BIT_ULL(PARTITION_INSTRUCTION_COUNTER) : 0);
}

#endif /* KVM_PMU_PARTITION_COUNTER_MASK_H */
