/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reference model of the PMUv3 event filtering a partitioned guest can
 * observe, written from the Arm ARM (DDI0487) rather than from the module:
 *
 * - the hardware: whether a counter whose PMEVTYPER<n>_EL0/PMCCFILTR_EL0
 *   holds a given value counts in a given PE state (security state and
 *   Exception level) on a PE with or without EL2, EL3, FEAT_SEL2, FEAT_RME,
 *   from the filter part of CountPMUEvents() (J1.3.1.93) and the field
 *   descriptions of PMEVTYPER<n>_EL0 (D24.5.12) and PMCCFILTR_EL0 (D24.5.1);
 *   optionally with the prohibition controls of the same function
 *   (MDCR_EL3.SPME/MPMX/SCCD/MCCD, MDCR_EL2.HPMD/HCCD, PMCR_EL0.DP; see
 *   "Prohibiting event and cycle counting", D11.5.3 in the I-era text);
 * - the guest's intent: where a guest at Non-secure EL1/EL0 of a VM without
 *   EL2, with or without EL3 in its ID registers, expects the counter to
 *   count after writing a value, given whether the VM's event filter allows
 *   the event: at its EL1 and EL0 as the field descriptions say, nowhere
 *   else;
 * - the guest's read-back value (KVM 6.12 kvm_pmu_evtyper_mask() for a VM
 *   without EL2; PMCCFILTR_EL0 has no evtCount, as in the architecture);
 * - which PMCR_EL0 bits (D24.5.8) a guest value may put in the hardware.
 *
 * Not modelled: Debug state, enables, freezing, threshold/SME/SYNC fields,
 * AArch32, Secure-only implementations, the authentication interface of
 * pre-Debugv8p2 PEs. Plain C, usable from KUnit and from user space.
 */
#ifndef PMU_FILTER_MODEL_H
#define PMU_FILTER_MODEL_H

#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stdint.h>
/* uint64_t: the same type as the KVM selftests' own u64, so both may be seen. */
typedef uint64_t u64;
#ifndef BIT_ULL
#define BIT_ULL(nr)	(1ULL << (nr))
#endif
#endif

/* PMEVTYPER<n>_EL0 and PMCCFILTR_EL0 fields, D24.5.12 and D24.5.1. */
#define PMU_MODEL_TYPE_P		BIT_ULL(31)
#define PMU_MODEL_TYPE_U		BIT_ULL(30)
#define PMU_MODEL_TYPE_NSK		BIT_ULL(29)
#define PMU_MODEL_TYPE_NSU		BIT_ULL(28)
#define PMU_MODEL_TYPE_NSH		BIT_ULL(27)
#define PMU_MODEL_TYPE_M		BIT_ULL(26)
#define PMU_MODEL_TYPE_MT		BIT_ULL(25)	/* PMEVTYPER only */
#define PMU_MODEL_TYPE_SH		BIT_ULL(24)
#define PMU_MODEL_TYPE_T		BIT_ULL(23)	/* FEAT_TME, withdrawn */
#define PMU_MODEL_TYPE_RLK		BIT_ULL(22)
#define PMU_MODEL_TYPE_RLU		BIT_ULL(21)
#define PMU_MODEL_TYPE_RLH		BIT_ULL(20)
#define PMU_MODEL_EVENT_V3		0x3ffULL	/* evtCount[9:0] */
#define PMU_MODEL_EVENT_V3P1		0xffffULL	/* evtCount[15:0] */

/* Fields a sanitised value must never carry, whatever the host. */
#define PMU_MODEL_TYPE_NEVER_IN_HARDWARE				\
	(PMU_MODEL_TYPE_NSH | PMU_MODEL_TYPE_MT | PMU_MODEL_TYPE_SH |	\
	 PMU_MODEL_TYPE_T | PMU_MODEL_TYPE_RLK | PMU_MODEL_TYPE_RLU |	\
	 PMU_MODEL_TYPE_RLH)

/* PMCR_EL0 fields, D24.5.8. */
#define PMU_MODEL_PMCR_E		BIT_ULL(0)
#define PMU_MODEL_PMCR_P		BIT_ULL(1)
#define PMU_MODEL_PMCR_C		BIT_ULL(2)
#define PMU_MODEL_PMCR_D		BIT_ULL(3)
#define PMU_MODEL_PMCR_X		BIT_ULL(4)
#define PMU_MODEL_PMCR_DP		BIT_ULL(5)
#define PMU_MODEL_PMCR_LC		BIT_ULL(6)
#define PMU_MODEL_PMCR_LP		BIT_ULL(7)
#define PMU_MODEL_PMCR_FZO		BIT_ULL(9)
#define PMU_MODEL_PMCR_N		(0x1fULL << 11)
#define PMU_MODEL_PMCR_IDCODE		(0xffULL << 16)
#define PMU_MODEL_PMCR_IMP		(0xffULL << 24)
#define PMU_MODEL_PMCR_FZS		BIT_ULL(32)

/* MDCR_EL3 and MDCR_EL2 prohibition controls. */
#define PMU_MODEL_MDCR_EL3_SPME		BIT_ULL(17)
#define PMU_MODEL_MDCR_EL3_SCCD		BIT_ULL(23)
#define PMU_MODEL_MDCR_EL3_MCCD		BIT_ULL(34)
#define PMU_MODEL_MDCR_EL3_MPMX		BIT_ULL(35)
#define PMU_MODEL_MDCR_EL2_HPMD		BIT_ULL(17)
#define PMU_MODEL_MDCR_EL2_HCCD		BIT_ULL(23)

/* ID_AA64DFR0_EL1.PMUVer encodings. */
#define PMU_MODEL_PMUVER_V3		1
#define PMU_MODEL_PMUVER_V3P1		4
#define PMU_MODEL_PMUVER_V3P4		5
#define PMU_MODEL_PMUVER_V3P5		6
#define PMU_MODEL_PMUVER_V3P7		7
#define PMU_MODEL_PMUVER_IMP_DEF	0xf

/* The PE states of CountPMUEvents(): security state and Exception level. */
enum pmu_model_state {
	PMU_MODEL_NONSECURE_EL0,
	PMU_MODEL_NONSECURE_EL1,
	PMU_MODEL_NONSECURE_EL2,
	PMU_MODEL_SECURE_EL0,
	PMU_MODEL_SECURE_EL1,
	PMU_MODEL_SECURE_EL2,
	PMU_MODEL_EL3,		/* Secure state, or Root with FEAT_RME */
	PMU_MODEL_REALM_EL0,
	PMU_MODEL_REALM_EL1,
	PMU_MODEL_REALM_EL2,
	PMU_MODEL_STATE_COUNT
};

/* What the PE implements; the highest Exception level uses AArch64. */
struct pmu_model_pe {
	bool el2;
	bool el3;
	bool secure_el2;	/* FEAT_SEL2 */
	bool realm;		/* FEAT_RME (implies EL2 and EL3) */
	bool multithreaded;	/* FEAT_MTPMU implemented and enabled */
	unsigned int pmuver;	/* ID_AA64DFR0_EL1.PMUVer */
};

/*
 * A VM as its guest sees it: it runs at Non-secure EL1 and EL0 only, but
 * its ID registers may name EL2 (KVM 6.12 shows every VM the host's
 * ID_AA64PFR0_EL1.EL2) and EL3.
 */
struct pmu_model_vm {
	bool el2;		/* ID_AA64PFR0_EL1.EL2 set: NSH is a field */
	bool el3;		/* ID_AA64PFR0_EL1.EL3 set (only if the host has EL3) */
	unsigned int pmuver;	/* the VM's ID_AA64DFR0_EL1.PMUVer */
	bool aarch64_only_el0;	/* no AArch32 EL0: PMCR_EL0.LC is RES1 */
};

/* The prohibition controls CountPMUEvents() reads besides the filter. */
struct pmu_model_controls {
	u64 mdcr_el3;
	u64 mdcr_el2;
	u64 pmcr;		/* only DP is used */
	bool first_range;	/* event counter n < HPMN; the cycle counter always is */
};

static inline bool pmu_model_has_version(unsigned int pmuver,
					 unsigned int at_least)
{
	return pmuver != PMU_MODEL_PMUVER_IMP_DEF && pmuver >= at_least;
}

static inline bool pmu_model_bit(u64 value, u64 field)
{
	return (value & field) != 0;
}

/* The evtCount bits a PMU of version @pmuver implements (D24.5.12). */
static inline u64 pmu_model_event_mask(unsigned int pmuver)
{
	if (pmu_model_has_version(pmuver, PMU_MODEL_PMUVER_V3P1))
		return PMU_MODEL_EVENT_V3P1;
	if (pmuver == PMU_MODEL_PMUVER_V3)
		return PMU_MODEL_EVENT_V3;
	return 0;
}

/* Whether @pe can execute in @state at all. */
static inline bool pmu_model_state_exists(const struct pmu_model_pe *pe,
					  enum pmu_model_state state)
{
	switch (state) {
	case PMU_MODEL_NONSECURE_EL0:
	case PMU_MODEL_NONSECURE_EL1:
		return true;
	case PMU_MODEL_NONSECURE_EL2:
		return pe->el2;
	case PMU_MODEL_SECURE_EL0:
	case PMU_MODEL_SECURE_EL1:
	case PMU_MODEL_EL3:
		return pe->el3;
	case PMU_MODEL_SECURE_EL2:
		return pe->el3 && pe->el2 && pe->secure_el2;
	case PMU_MODEL_REALM_EL0:
	case PMU_MODEL_REALM_EL1:
	case PMU_MODEL_REALM_EL2:
		return pe->realm && pe->el3 && pe->el2;
	default:
		return false;
	}
}

/*
 * The filter of CountPMUEvents(): true if a counter holding @type is not
 * filtered out in @state. Fields the PE does not implement read as zero,
 * as the pseudocode reads them; @state must exist on @pe, else false.
 */
static inline bool pmu_model_filter_counts(const struct pmu_model_pe *pe,
					   u64 type, enum pmu_model_state state)
{
	bool p = pmu_model_bit(type, PMU_MODEL_TYPE_P);
	bool u = pmu_model_bit(type, PMU_MODEL_TYPE_U);
	bool nsk = pe->el3 && pmu_model_bit(type, PMU_MODEL_TYPE_NSK);
	bool nsu = pe->el3 && pmu_model_bit(type, PMU_MODEL_TYPE_NSU);
	bool nsh = pe->el2 && pmu_model_bit(type, PMU_MODEL_TYPE_NSH);
	bool m = pe->el3 && pmu_model_bit(type, PMU_MODEL_TYPE_M);
	bool sh = pe->el3 && pe->secure_el2 &&
		  pmu_model_bit(type, PMU_MODEL_TYPE_SH);
	bool rlk = pe->realm && pmu_model_bit(type, PMU_MODEL_TYPE_RLK);
	bool rlu = pe->realm && pmu_model_bit(type, PMU_MODEL_TYPE_RLU);
	bool rlh = pe->realm && pmu_model_bit(type, PMU_MODEL_TYPE_RLH);

	if (!pmu_model_state_exists(pe, state))
		return false;

	switch (state) {
	case PMU_MODEL_NONSECURE_EL0:
		return u == nsu;
	case PMU_MODEL_NONSECURE_EL1:
		return p == nsk;
	case PMU_MODEL_NONSECURE_EL2:
		return nsh;
	case PMU_MODEL_SECURE_EL0:
		return !u;
	case PMU_MODEL_SECURE_EL1:
		return !p;
	case PMU_MODEL_SECURE_EL2:
		return nsh != sh;
	case PMU_MODEL_EL3:
		return m == p;
	case PMU_MODEL_REALM_EL0:
		return u == rlu;
	case PMU_MODEL_REALM_EL1:
		return p == rlk;
	case PMU_MODEL_REALM_EL2:
		return nsh != rlh;
	default:
		return false;
	}
}

/*
 * MT (D24.5.12): with FEAT_MTPMU enabled, an event counter holding @type
 * also counts the events of the other PEs sharing its affinity level 1.
 */
static inline bool pmu_model_counts_other_threads(const struct pmu_model_pe *pe,
						  bool cycle_counter, u64 type)
{
	return pe->multithreaded && !cycle_counter &&
	       pmu_model_bit(type, PMU_MODEL_TYPE_MT);
}

/*
 * The prohibition part of CountPMUEvents() for @state, including the
 * cycle counter's PMCR_EL0.DP, MDCR_EL3.SCCD/MCCD and MDCR_EL2.HCCD rules.
 */
static inline bool pmu_model_prohibited(const struct pmu_model_pe *pe,
					const struct pmu_model_controls *controls,
					bool cycle_counter,
					enum pmu_model_state state)
{
	bool first_range = cycle_counter || controls->first_range;
	bool at_el3 = state == PMU_MODEL_EL3;
	bool at_el2 = state == PMU_MODEL_NONSECURE_EL2 ||
		      state == PMU_MODEL_SECURE_EL2 ||
		      state == PMU_MODEL_REALM_EL2;
	bool secure_or_el3 = at_el3 || state == PMU_MODEL_SECURE_EL0 ||
			     state == PMU_MODEL_SECURE_EL1 ||
			     state == PMU_MODEL_SECURE_EL2;
	bool v3p7 = pmu_model_has_version(pe->pmuver, PMU_MODEL_PMUVER_V3P7);
	bool spme = pmu_model_bit(controls->mdcr_el3, PMU_MODEL_MDCR_EL3_SPME);
	bool mpmx = pmu_model_bit(controls->mdcr_el3, PMU_MODEL_MDCR_EL3_MPMX);
	bool prohibited = false;

	if (pe->el3 && secure_or_el3)
		prohibited = !spme && (!v3p7 || !mpmx);
	if (!prohibited && v3p7 && at_el3)
		prohibited = mpmx && (!spme || first_range);
	if (!prohibited && at_el2 && first_range &&
	    pmu_model_has_version(pe->pmuver, PMU_MODEL_PMUVER_V3P1))
		prohibited = pmu_model_bit(controls->mdcr_el2,
					   PMU_MODEL_MDCR_EL2_HPMD);
	if (!cycle_counter)
		return prohibited;

	/* The cycle counter obeys the rules above only when PMCR_EL0.DP is 1. */
	prohibited = prohibited &&
		     pmu_model_bit(controls->pmcr, PMU_MODEL_PMCR_DP);
	if (pmu_model_has_version(pe->pmuver, PMU_MODEL_PMUVER_V3P5)) {
		if (pe->el3 && secure_or_el3 &&
		    pmu_model_bit(controls->mdcr_el3, PMU_MODEL_MDCR_EL3_SCCD))
			prohibited = true;
		if (at_el2 &&
		    pmu_model_bit(controls->mdcr_el2, PMU_MODEL_MDCR_EL2_HCCD))
			prohibited = true;
	}
	if (v3p7 && at_el3 &&
	    pmu_model_bit(controls->mdcr_el3, PMU_MODEL_MDCR_EL3_MCCD))
		prohibited = true;
	return prohibited;
}

/* An enabled counter holding @type counts in @state: filter and prohibitions. */
static inline bool pmu_model_counter_counts(const struct pmu_model_pe *pe,
					    const struct pmu_model_controls *controls,
					    bool cycle_counter, u64 type,
					    enum pmu_model_state state)
{
	return pmu_model_filter_counts(pe, type, state) &&
	       !pmu_model_prohibited(pe, controls, cycle_counter, state);
}

/*
 * The guest's intent: does a guest that wrote @written expect counting in
 * @state? Only its own Non-secure EL1 and EL0 exist for it. From the P/U/
 * NSK/NSU field descriptions: without EL3, EL1 counts iff P == 0 and EL0
 * iff U == 0; with EL3, iff P == NSK and U == NSU. An event the VM's event
 * filter denies (@allowed false) counts nowhere.
 */
static inline bool pmu_model_guest_expects(const struct pmu_model_vm *vm,
					   u64 written, bool allowed,
					   enum pmu_model_state state)
{
	bool p = pmu_model_bit(written, PMU_MODEL_TYPE_P);
	bool u = pmu_model_bit(written, PMU_MODEL_TYPE_U);
	bool nsk = vm->el3 && pmu_model_bit(written, PMU_MODEL_TYPE_NSK);
	bool nsu = vm->el3 && pmu_model_bit(written, PMU_MODEL_TYPE_NSU);

	if (!allowed)
		return false;
	if (state == PMU_MODEL_NONSECURE_EL1)
		return p == nsk;
	if (state == PMU_MODEL_NONSECURE_EL0)
		return u == nsu;
	return false;
}

/*
 * What the guest reads back from PMEVTYPER<n>_EL0 (@cycle_counter false)
 * or PMCCFILTR_EL0 after writing @written: the fields its ID registers say
 * exist, as KVM 6.12 kvm_pmu_evtyper_mask() keeps them (P, U, evtCount of
 * the VM's PMU version, NSH if the VM shows EL2, NSK NSU M if it shows
 * EL3); PMCCFILTR_EL0 has no evtCount (D24.5.1). NSH is only read back:
 * the guest never runs at EL2, and nothing it writes counts there.
 */
static inline u64 pmu_model_guest_read_back(const struct pmu_model_vm *vm,
					    bool cycle_counter, u64 written)
{
	u64 mask = PMU_MODEL_TYPE_P | PMU_MODEL_TYPE_U;

	if (!cycle_counter)
		mask |= pmu_model_event_mask(vm->pmuver);
	if (vm->el2)
		mask |= PMU_MODEL_TYPE_NSH;
	if (vm->el3)
		mask |= PMU_MODEL_TYPE_NSK | PMU_MODEL_TYPE_NSU |
			PMU_MODEL_TYPE_M;
	return written & mask;
}

/*
 * The PMEVTYPER<n>_EL0/PMCCFILTR_EL0 fields @pe implements (bits [63:32]
 * only hold fields with FEAT_PMUv3_TH, SEBEP, SME and the like, which the
 * model leaves out, so none here).
 */
static inline u64 pmu_model_hardware_type_fields(const struct pmu_model_pe *pe,
						 bool cycle_counter)
{
	u64 fields = PMU_MODEL_TYPE_P | PMU_MODEL_TYPE_U;

	if (pe->el3)
		fields |= PMU_MODEL_TYPE_NSK | PMU_MODEL_TYPE_NSU |
			  PMU_MODEL_TYPE_M;
	if (pe->el2)
		fields |= PMU_MODEL_TYPE_NSH;
	if (pe->el3 && pe->secure_el2)
		fields |= PMU_MODEL_TYPE_SH;
	if (pe->realm)
		fields |= PMU_MODEL_TYPE_RLK | PMU_MODEL_TYPE_RLU |
			  PMU_MODEL_TYPE_RLH;
	if (!cycle_counter) {
		fields |= pmu_model_event_mask(pe->pmuver);
		if (pe->multithreaded)
			fields |= PMU_MODEL_TYPE_MT;
	}
	return fields;
}

/*
 * The PMCR_EL0 bits a guest of PMU version @vm_pmuver may put in the
 * hardware: E, D, DP, LC, and LP from PMUv3p5. Never P or C (actions, not
 * state), X (event export is not per guest), N, IDCODE, IMP (read-only),
 * FZO or FZS (KVM 6.12 offers neither).
 */
static inline u64 pmu_model_pmcr_guest_bits(unsigned int vm_pmuver)
{
	u64 bits = PMU_MODEL_PMCR_E | PMU_MODEL_PMCR_D | PMU_MODEL_PMCR_DP |
		   PMU_MODEL_PMCR_LC;

	if (pmu_model_has_version(vm_pmuver, PMU_MODEL_PMUVER_V3P5))
		bits |= PMU_MODEL_PMCR_LP;
	return bits;
}

/* The hardware PMCR_EL0 for a guest write of @written; LC is RES1 without AArch32 EL0. */
static inline u64 pmu_model_hardware_pmcr(const struct pmu_model_vm *vm,
					  u64 written)
{
	u64 hardware = written & pmu_model_pmcr_guest_bits(vm->pmuver);

	if (vm->aarch64_only_el0)
		hardware |= PMU_MODEL_PMCR_LC;
	return hardware;
}

#endif /* PMU_FILTER_MODEL_H */
