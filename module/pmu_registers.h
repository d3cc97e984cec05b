/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which PMUv3 system register an AArch64 encoding names: the registers a
 * partitioned guest's traps can reach, grouped as the trap statistics
 * count them, and the counter number an encoding or PMSELR_EL0 selects.
 * Anything else, including the registers that share Op0 = 3, CRn = 9 with
 * the PMU (SPE's PMS*, TRBE's TRB*, FEAT_PMUv3p9's PMUACR_EL1 and
 * PMZR_EL0, FEAT_PMUv3_ICNTR's PMICNTR/PMICFILTR), is not a register the
 * module emulates: partition_register_of() says PARTITION_REGISTER_NONE
 * and the trap goes to KVM untouched.
 *
 * Also the AArch64 register an AArch32 PMU access names, and whether
 * guest EL0 may make an access under its PMUSERENR_EL0.
 *
 * Pure functions, __always_inline for the guest-exit path (noinstr);
 * the KUnit suite checks them over every Op0 = 3 encoding, every AArch32
 * PMU encoding, and every PMUSERENR_EL0 value.
 */
#ifndef KVM_PMU_PARTITION_PMU_REGISTERS_H
#define KVM_PMU_PARTITION_PMU_REGISTERS_H

#include <linux/perf/arm_pmuv3.h>
#include <linux/types.h>

#include <asm/sysreg.h>

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
	PARTITION_REGISTER_NONE = PARTITION_REGISTER_COUNT,
};

/* PMEVCNTR<n>_EL0 is sys_reg(3, 3, 14, 8 + n / 8, n % 8); PMEVTYPER<n>, CRm 12. */
#define PMEVCNTR_ENCODING_MASK	(~sys_reg(0, 0, 0, 3, 7))
#define PMEVCNTR_ENCODING_BASE	sys_reg(3, 3, 14, 8, 0)
#define PMEVTYPER_ENCODING_BASE	sys_reg(3, 3, 14, 12, 0)

static __always_inline enum partition_register partition_register_of(u32 encoding)
{
	if ((encoding & PMEVCNTR_ENCODING_MASK) == PMEVCNTR_ENCODING_BASE)
		return sys_reg_CRm(encoding) == 11 && sys_reg_Op2(encoding) == 7 ?
		       PARTITION_REGISTER_NONE : PARTITION_REGISTER_PMEVCNTR;
	if ((encoding & PMEVCNTR_ENCODING_MASK) == PMEVTYPER_ENCODING_BASE)
		return PARTITION_REGISTER_PMEVTYPER;
	switch (encoding) {
	case SYS_PMCR_EL0:
		return PARTITION_REGISTER_PMCR;
	case SYS_PMCNTENSET_EL0:
	case SYS_PMCNTENCLR_EL0:
		return PARTITION_REGISTER_PMCNTEN;
	case SYS_PMINTENSET_EL1:
	case SYS_PMINTENCLR_EL1:
		return PARTITION_REGISTER_PMINTEN;
	case SYS_PMOVSSET_EL0:
	case SYS_PMOVSCLR_EL0:
		return PARTITION_REGISTER_PMOVS;
	case SYS_PMSELR_EL0:
		return PARTITION_REGISTER_PMSELR;
	case SYS_PMCCNTR_EL0:
		return PARTITION_REGISTER_PMCCNTR;
	case SYS_PMXEVCNTR_EL0:
		return PARTITION_REGISTER_PMEVCNTR;
	case SYS_PMXEVTYPER_EL0:
		return PARTITION_REGISTER_PMEVTYPER;
	case SYS_PMUSERENR_EL0:
		return PARTITION_REGISTER_PMUSERENR;
	case SYS_PMSWINC_EL0:
		return PARTITION_REGISTER_PMSWINC;
	case SYS_PMCEID0_EL0:
	case SYS_PMCEID1_EL0:
		return PARTITION_REGISTER_PMCEID;
	case SYS_PMMIR_EL1:
		return PARTITION_REGISTER_PMMIR;
	default:
		return PARTITION_REGISTER_NONE;
	}
}

/*
 * The counter PMEVCNTR<n>/PMEVTYPER<n> names (31 for PMCCFILTR_EL0), or,
 * for PMXEVCNTR/PMXEVTYPER, the one @selected (PMSELR_EL0.SEL) picks.
 */
static __always_inline unsigned int
partition_counter_of(u32 encoding, u64 selected)
{
	if (encoding == SYS_PMXEVCNTR_EL0 || encoding == SYS_PMXEVTYPER_EL0)
		return selected & PMSELR_EL0_SEL_MASK;
	return (sys_reg_CRm(encoding) & 3) << 3 | sys_reg_Op2(encoding);
}

/*
 * The AArch64 encoding of the PMU register an AArch32 access names. KVM
 * hands the hook the coprocessor encoding: sys_reg(0, opc1, CRn, CRm, opc2)
 * of an MRC/MCR p15, sys_reg(0, opc1, 0, CRm, 0) of an MRRC/MCRR p15, of
 * which PMCCNTR (CRm = 9) is the only PMU register. The AArch32 PMU
 * registers are the AArch64 ones of the same CRn, CRm and opc2 (PMOVSR is
 * PMOVSCLR_EL0), with Op1 = 3, or Op1 = 0 for the EL1 ones: PMINTENSET,
 * PMINTENCLR and PMMIR. 0 for PMCEID2 and PMCEID3, the upper halves of
 * PMCEID0/1_EL0, which the module does not emulate (UNDEFINED).
 */
static __always_inline u32 partition_aarch64_encoding(u32 aarch32_encoding)
{
	u32 crn = sys_reg_CRn(aarch32_encoding);
	u32 crm = sys_reg_CRm(aarch32_encoding);
	u32 op2 = sys_reg_Op2(aarch32_encoding);

	if (crn == 0 && crm == 9)
		return SYS_PMCCNTR_EL0;
	if (crn == 9 && crm == 14 && (op2 == 1 || op2 == 2 || op2 == 6))
		return sys_reg(3, 0, 9, 14, op2);
	if (crn == 9 && crm == 14 && (op2 == 4 || op2 == 5))
		return 0;
	return sys_reg(3, 3, crn, crm, op2);
}

/*
 * Whether guest EL0 may make this access (a write if @is_write, else a
 * read) to a register of @group when its PMUSERENR_EL0 is @userenr, from
 * AArch64 or AArch32 (PMUSERENR is the same register). From the
 * PMUSERENR_EL0 field descriptions (Arm ARM D24.5.21, DDI0601): EN
 * enables every PMU register EL0 can reach; without it, SW enables
 * PMSWINC writes, CR PMCCNTR reads, ER PMEVCNTR<n>/PMXEVCNTR reads and
 * PMSELR reads and writes. EL0 reads PMUSERENR_EL0 whatever it holds and
 * never writes it. Never, whatever @userenr: PMINTENSET/CLR_EL1 and
 * PMMIR_EL1, EL1 registers (UNDEFINED at EL0); a read of the write-only
 * PMSWINC_EL0 and a write of the read-only PMCEID<n>_EL0 (UNDEFINED at
 * any Exception level); PARTITION_REGISTER_NONE. Bits [63:4] are not
 * looked at: a guest's PMU is at most PMUv3p5 (KVM 6.12), which has no
 * UEN, IR or TID.
 */
static __always_inline bool
partition_el0_may_access(enum partition_register group, u64 userenr,
			 bool is_write)
{
	u64 enables = ARMV8_PMU_USERENR_EN;

	switch (group) {
	case PARTITION_REGISTER_PMUSERENR:
		return !is_write;
	case PARTITION_REGISTER_PMINTEN:
	case PARTITION_REGISTER_PMMIR:
	case PARTITION_REGISTER_NONE:
		return false;
	case PARTITION_REGISTER_PMSWINC:
		if (!is_write)
			return false;
		enables |= ARMV8_PMU_USERENR_SW;
		break;
	case PARTITION_REGISTER_PMCEID:
		if (is_write)
			return false;
		break;
	case PARTITION_REGISTER_PMCCNTR:
		if (!is_write)
			enables |= ARMV8_PMU_USERENR_CR;
		break;
	case PARTITION_REGISTER_PMEVCNTR:
		if (!is_write)
			enables |= ARMV8_PMU_USERENR_ER;
		break;
	case PARTITION_REGISTER_PMSELR:
		enables |= ARMV8_PMU_USERENR_ER;
		break;
	default:
		break;
	}
	return userenr & enables;
}

/*
 * The ID register fields that tell whether clearing MDCR_EL2.TPM and TPMCR
 * (fine-grained untrapping) leaves reachable only PMU registers the module
 * switches or keeps trapped: PMUv3 up to PMUv3p8, and none of the PMU
 * extensions whose registers only TPM (or, with FEAT_FGT2, an n-bit of
 * HDFGRTR2/HDFGWTR2_EL2 that Linux's EL2 set-up, __init_el2_fgt2, clears)
 * traps: FEAT_PMUv3p9 (PMUACR_EL1, PMZR_EL0), FEAT_PMUv3_ICNTR (PMICNTR,
 * PMICFILTR), FEAT_PMUv3_SS (PMSSCR, PMSSDATA), FEAT_SEBEP and FEAT_EBEP
 * (PMECR_EL1, PMIAR_EL1), FEAT_SPMU (the system PMU's SPM* registers).
 * An allowlist: a field this code does not know to be harmless must be 0.
 */
#define DFR0_PMUVER		GENMASK_ULL(11, 8)
#define DFR0_SEBEP		GENMASK_ULL(27, 24)
#define DFR0_PMSS		GENMASK_ULL(19, 16)
#define DFR1_EBEP		GENMASK_ULL(51, 48)
#define DFR1_PMICNTR		GENMASK_ULL(39, 36)
#define DFR1_SPMU		GENMASK_ULL(35, 32)
#define PMU_VERSION_V3P8	8

/*
 * Whether a CPU with these raw ID_AA64DFR0_EL1 (@dfr0) and ID_AA64DFR1_EL1
 * (@dfr1) may run partitioned guests with fine-grained untrapping; if not,
 * its guests get MDCR_EL2.TPM/TPMCR traps and those registers' accesses
 * are UNDEFINED (KVM offers at most PMUv3p5).
 */
static inline bool partition_untrapping_is_safe(u64 dfr0, u64 dfr1)
{
	u64 version = (dfr0 & DFR0_PMUVER) >> 8;

	return version >= 1 && version <= PMU_VERSION_V3P8 &&
	       !(dfr0 & (DFR0_SEBEP | DFR0_PMSS)) &&
	       !(dfr1 & (DFR1_EBEP | DFR1_PMICNTR | DFR1_SPMU));
}

#endif /* KVM_PMU_PARTITION_PMU_REGISTERS_H */
