/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pmu.h - owns the PMU register definitions and the indexed accessors
 * (PMEVCNTR<n>_EL0 / PMEVTYPER<n>_EL0 by run-time n) the probe uses.
 * Read accessors take the value to leave in the destination register if
 * the access is trapped and skipped, so a test sees whether it leaked.
 */
#ifndef HPMN_PROBE_PMU_H
#define HPMN_PROBE_PMU_H

#include "lib.h"

#define PMCR_E		BIT(0)
#define PMCR_P		BIT(1)
#define PMCR_N(v)	(((v) >> 11) & 0x1f)

#define MDCR_HPMN(n)	((u64)(n) & 0x1f)
#define MDCR_TPMCR	BIT(5)
#define MDCR_TPM	BIT(6)
#define MDCR_HPME	BIT(7)

#define EVT_SW_INCR	0x00
#define EVT_NSH		BIT(27)	/* count at EL2 too */

#define HDFGRTR_EL2	s3_4_c3_c1_4
#define HDFGWTR_EL2	s3_4_c3_c1_5

/* ISS (EC 0x18) encodings of the registers a trap test expects. */
#define ISS_PMEVCNTR(n)		SYS_ISS(3, 3, 14, 8 + ((n) >> 3), (n) & 7)
#define ISS_PMEVTYPER(n)	SYS_ISS(3, 3, 14, 12 + ((n) >> 3), (n) & 7)
#define ISS_PMXEVTYPER		SYS_ISS(3, 3, 9, 13, 1)
#define ISS_PMXEVCNTR		SYS_ISS(3, 3, 9, 13, 2)
#define ISS_PMCCNTR		SYS_ISS(3, 3, 9, 13, 0)
#define ISS_PMSWINC		SYS_ISS(3, 3, 9, 12, 4)

#define PMUSERENR_EN	BIT(0)
#define PMUSERENR_SW	BIT(1)
#define PMUSERENR_CR	BIT(2)
#define PMUSERENR_ER	BIT(3)

#define PMEV_LIST(X)							\
	X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10)	\
	X(11) X(12) X(13) X(14) X(15) X(16) X(17) X(18) X(19) X(20)	\
	X(21) X(22) X(23) X(24) X(25) X(26) X(27) X(28) X(29) X(30)

static inline u64 pmevcntr_read(unsigned int n, u64 v)
{
	switch (n) {
#define X(i) case i: asm volatile("mrs %0, pmevcntr" #i "_el0" : "+r"(v)); break;
	PMEV_LIST(X)
#undef X
	}
	return v;
}

static inline void pmevcntr_write(unsigned int n, u64 v)
{
	switch (n) {
#define X(i) case i: asm volatile("msr pmevcntr" #i "_el0, %0" : : "r"(v)); break;
	PMEV_LIST(X)
#undef X
	}
}

static inline u64 pmevtyper_read(unsigned int n, u64 v)
{
	switch (n) {
#define X(i) case i: asm volatile("mrs %0, pmevtyper" #i "_el0" : "+r"(v)); break;
	PMEV_LIST(X)
#undef X
	}
	return v;
}

static inline void pmevtyper_write(unsigned int n, u64 v)
{
	switch (n) {
#define X(i) case i: asm volatile("msr pmevtyper" #i "_el0, %0" : : "r"(v)); break;
	PMEV_LIST(X)
#undef X
	}
}

static inline u64 pmxevcntr_read(u64 v)
{
	asm volatile("mrs %0, pmxevcntr_el0" : "+r"(v));
	return v;
}

static inline u64 pmxevtyper_read(u64 v)
{
	asm volatile("mrs %0, pmxevtyper_el0" : "+r"(v));
	return v;
}

#endif
