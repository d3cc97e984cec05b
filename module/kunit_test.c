// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for the pure helpers of kvm_pmu_partition, each one the
 * module calls: parameter parsing (param_parse.h: main.c), the counter
 * claim (counter_mask.h: partition.c, main.c), which encodings are the
 * PMU registers the module emulates, the AArch64 register of an AArch32
 * access, whether guest EL0 may make an access, when fine-grained
 * untrapping is safe (pmu_registers.h: partition.c, partition_registers.c,
 * fixed.c), and the size of a VM's event filter (event_filter.h:
 * host_pmu.c). Built as its own module, kvm_pmu_partition_kunit.ko, so it
 * runs without registering any hooks; pure functions, no hardware, the
 * same result on any host.
 */
#include <kunit/test.h>
#include <linux/module.h>

#include "counter_mask.h"
#include "event_filter.h"
#include "param_parse.h"
#include "pmu_registers.h"

static void parse_mode_accepts_every_name(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, partition_parse_mode("emulated"),
			PARTITION_MODE_EMULATED);
	KUNIT_EXPECT_EQ(test, partition_parse_mode("partitioned"),
			PARTITION_MODE_PARTITIONED);
	KUNIT_EXPECT_EQ(test, partition_parse_mode("fixed"),
			PARTITION_MODE_FIXED);
	/* sysfs writes end in a newline */
	KUNIT_EXPECT_EQ(test, partition_parse_mode("fixed\n"),
			PARTITION_MODE_FIXED);
}

static void parse_mode_rejects_other_strings(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, partition_parse_mode(""), -EINVAL);
	KUNIT_EXPECT_EQ(test, partition_parse_mode(NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, partition_parse_mode("Emulated"), -EINVAL);
	KUNIT_EXPECT_EQ(test, partition_parse_mode("partition"), -EINVAL);
	KUNIT_EXPECT_EQ(test, partition_parse_mode("fixed "), -EINVAL);
	KUNIT_EXPECT_EQ(test, partition_parse_mode("emulated\n\n"), -EINVAL);
}

static void parse_fgt_accepts_auto_and_off_only(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, partition_parse_fgt("auto"), PARTITION_FGT_AUTO);
	KUNIT_EXPECT_EQ(test, partition_parse_fgt("off\n"), PARTITION_FGT_OFF);
	KUNIT_EXPECT_EQ(test, partition_parse_fgt("on"), -EINVAL);
	KUNIT_EXPECT_EQ(test, partition_parse_fgt("1"), -EINVAL);
	KUNIT_EXPECT_EQ(test, partition_parse_fgt(""), -EINVAL);
}

static void counter_range_covers_first_to_last(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, partition_counter_range(0, 0), 0ULL);
	KUNIT_EXPECT_EQ(test, partition_counter_range(3, 0), 0ULL);
	KUNIT_EXPECT_EQ(test, partition_counter_range(0, 1), 0x1ULL);
	KUNIT_EXPECT_EQ(test, partition_counter_range(2, 4), 0x3cULL);
	KUNIT_EXPECT_EQ(test, partition_counter_range(0, 31), 0x7fffffffULL);
}

static void reservation_fits_only_within_the_pmu(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, partition_reservation_fits(6, 0));
	KUNIT_EXPECT_TRUE(test, partition_reservation_fits(6, 6));
	KUNIT_EXPECT_FALSE(test, partition_reservation_fits(6, 7));
	KUNIT_EXPECT_TRUE(test, partition_reservation_fits(0, 0));
	KUNIT_EXPECT_FALSE(test, partition_reservation_fits(0, 1));
	KUNIT_EXPECT_TRUE(test, partition_reservation_fits(31, 31));
	KUNIT_EXPECT_FALSE(test, partition_reservation_fits(32, 0));
}

/*
 * The rig's PMU: N = 6. reserved_host_counters = 2 gives HPMN = 4: the
 * claim is counters 0-3 and the cycle counter; 4 and 5 stay the host's.
 */
static void claim_splits_six_counters_at_hpmn(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, partition_hpmn(6, 2), 4U);
	KUNIT_EXPECT_EQ(test, partition_claim_mask(partition_hpmn(6, 2), false),
			0x8000000fULL);
}

/*
 * Rule: for every N of a PMUv3 (0 to 31 event counters) and every
 * reservation that fits, the claim takes event counters from 0 up, never
 * one the PMU lacks, always the cycle counter, and leaves host perf
 * exactly the reserved number at the top of [0, N).
 */
static void claim_leaves_the_host_exactly_the_reservation(struct kunit *test)
{
	unsigned int counters, reserved;

	for (counters = 0; counters <= PARTITION_MAX_EVENT_COUNTERS; counters++) {
		u64 pmu = counters ? GENMASK_ULL(counters - 1, 0) : 0;

		for (reserved = 0; reserved <= counters; reserved++) {
			u64 claim = partition_claim_mask(partition_hpmn(counters,
									reserved),
							 false);
			u64 events = claim & ~BIT_ULL(31);
			u64 host = pmu & ~claim;

			KUNIT_EXPECT_TRUE(test, claim & BIT_ULL(31));
			KUNIT_EXPECT_EQ(test, events & ~pmu, 0ULL);
			/* contiguous from counter 0 */
			KUNIT_EXPECT_EQ(test, events & (events + 1), 0ULL);
			KUNIT_EXPECT_EQ(test, hweight64(host), reserved);
			/* the host's are above every claimed one */
			KUNIT_EXPECT_LT(test, events, host ? host & -host : BIT_ULL(31));
		}
	}
}

static void everything_reserved_leaves_the_guest_the_cycle_counter(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, partition_hpmn(6, 6), 0U);
	KUNIT_EXPECT_EQ(test, partition_claim_mask(partition_hpmn(6, 6), false),
			BIT_ULL(31));
}

/*
 * Heterogeneous hosts (issue 11 defect 12): the claim is HPMN, from the
 * smallest PMU, on every PMU, so a larger PMU keeps [HPMN, N) for host
 * perf; the instruction counter, which a guest's PMCR_EL0.E drives, is
 * taken wherever the PMU has one.
 */
static void claim_is_hpmn_on_every_pmu_with_the_instruction_counter(struct kunit *test)
{
	unsigned int hpmn = partition_hpmn(4, 2);	/* the smaller PMU: N = 4 */
	u64 larger_host = partition_counter_range(hpmn, 6 - hpmn);	/* N = 6 */

	KUNIT_EXPECT_EQ(test, partition_claim_mask(hpmn, false), 0x80000003ULL);
	KUNIT_EXPECT_EQ(test, partition_claim_mask(hpmn, false) & larger_host, 0ULL);
	KUNIT_EXPECT_EQ(test, partition_claim_mask(hpmn, true), 0x180000003ULL);
	KUNIT_EXPECT_EQ(test, partition_claim_mask(0, false), BIT_ULL(31));
	KUNIT_EXPECT_EQ(test, partition_claim_mask(6, false), 0x8000003fULL);
}

/* Every register the module emulates, with its statistics group. */
struct known_register {
	u32 encoding;
	enum partition_register group;
};

static const struct known_register known_registers[] = {
	{ SYS_PMCR_EL0, PARTITION_REGISTER_PMCR },
	{ SYS_PMCNTENSET_EL0, PARTITION_REGISTER_PMCNTEN },
	{ SYS_PMCNTENCLR_EL0, PARTITION_REGISTER_PMCNTEN },
	{ SYS_PMINTENSET_EL1, PARTITION_REGISTER_PMINTEN },
	{ SYS_PMINTENCLR_EL1, PARTITION_REGISTER_PMINTEN },
	{ SYS_PMOVSSET_EL0, PARTITION_REGISTER_PMOVS },
	{ SYS_PMOVSCLR_EL0, PARTITION_REGISTER_PMOVS },
	{ SYS_PMSELR_EL0, PARTITION_REGISTER_PMSELR },
	{ SYS_PMCCNTR_EL0, PARTITION_REGISTER_PMCCNTR },
	{ SYS_PMXEVCNTR_EL0, PARTITION_REGISTER_PMEVCNTR },
	{ SYS_PMXEVTYPER_EL0, PARTITION_REGISTER_PMEVTYPER },
	{ SYS_PMUSERENR_EL0, PARTITION_REGISTER_PMUSERENR },
	{ SYS_PMSWINC_EL0, PARTITION_REGISTER_PMSWINC },
	{ SYS_PMCEID0_EL0, PARTITION_REGISTER_PMCEID },
	{ SYS_PMCEID1_EL0, PARTITION_REGISTER_PMCEID },
	{ SYS_PMMIR_EL1, PARTITION_REGISTER_PMMIR },
	{ SYS_PMCCFILTR_EL0, PARTITION_REGISTER_PMEVTYPER },
};

/* PMEVCNTR<n>_EL0 and PMEVTYPER<n>_EL0, n = 0..30, as the Arm ARM encodes them. */
static u32 event_counter_encoding(unsigned int n, bool type)
{
	return sys_reg(3, 3, 14, (type ? 12 : 8) | n >> 3, n & 7);
}

static enum partition_register expected_group(u32 encoding)
{
	unsigned int i, n;

	for (i = 0; i < ARRAY_SIZE(known_registers); i++)
		if (known_registers[i].encoding == encoding)
			return known_registers[i].group;
	for (n = 0; n < 31; n++) {
		if (encoding == event_counter_encoding(n, false))
			return PARTITION_REGISTER_PMEVCNTR;
		if (encoding == event_counter_encoding(n, true))
			return PARTITION_REGISTER_PMEVTYPER;
	}
	return PARTITION_REGISTER_NONE;
}

/*
 * Rule: of every Op0 = 3 encoding, exactly the PMU registers above are the
 * module's; SPE's PMS* and TRBE's TRB* (Op1 = 0, CRn = 9), PMUACR_EL1,
 * PMZR_EL0, PMICNTR_EL0, PMICFILTR_EL0 and the unallocated PMEVCNTR31 slot
 * are not (the guest-exit hook leaves them to KVM without loading the PMU).
 */
static void register_of_matches_the_pmu_registers_exactly(struct kunit *test)
{
	unsigned int op1, crn, crm, op2, wrong = 0;

	for (op1 = 0; op1 < 8; op1++)
		for (crn = 0; crn < 16; crn++)
			for (crm = 0; crm < 16; crm++)
				for (op2 = 0; op2 < 8; op2++) {
					u32 encoding = sys_reg(3, op1, crn, crm, op2);
					enum partition_register got =
						partition_register_of(encoding);

					if (got == expected_group(encoding))
						continue;
					if (wrong++ < 10)
						KUNIT_FAIL(test,
							   "sys_reg(3, %u, %u, %u, %u): group %d, expected %d",
							   op1, crn, crm, op2, got,
							   expected_group(encoding));
				}
	KUNIT_EXPECT_EQ(test, wrong, 0U);
	KUNIT_EXPECT_EQ(test, partition_register_of(sys_reg(3, 0, 9, 9, 0)),
			PARTITION_REGISTER_NONE);	/* PMSCR_EL1 */
	KUNIT_EXPECT_EQ(test, partition_register_of(sys_reg(3, 0, 9, 11, 0)),
			PARTITION_REGISTER_NONE);	/* TRBLIMITR_EL1 */
	KUNIT_EXPECT_EQ(test, partition_register_of(sys_reg(3, 0, 9, 14, 4)),
			PARTITION_REGISTER_NONE);	/* PMUACR_EL1 */
	KUNIT_EXPECT_EQ(test, partition_register_of(sys_reg(3, 3, 9, 13, 4)),
			PARTITION_REGISTER_NONE);	/* PMZR_EL0 */
	KUNIT_EXPECT_EQ(test, partition_register_of(sys_reg(3, 3, 9, 4, 0)),
			PARTITION_REGISTER_NONE);	/* PMICNTR_EL0 */
}

/* The counter partition_register_of_iss() gives for @encoding. */
static unsigned int counter_of(u32 encoding)
{
	unsigned int counter = ~0U;

	partition_register_of_iss(partition_iss_of_encoding(encoding), &counter);
	return counter;
}

/*
 * Rule: PMEVCNTR<n>_EL0 and PMEVTYPER<n>_EL0 name counter n (n = CRm[1:0]
 * :Op2), PMCCFILTR_EL0 counter 31, PMXEVCNTR/PMXEVTYPER the one PMSELR_EL0
 * selects; and the trap's ISS decodes as the encoding does (the guest-exit
 * path decodes the ISS: ESR_ELx's Op0/Op2/Op1/CRn/CRm order, Rt and the
 * direction bit ignored).
 */
static void counter_of_decodes_the_counter_number(struct kunit *test)
{
	unsigned int n, counter;
	u64 iss;

	for (n = 0; n < 31; n++) {
		KUNIT_EXPECT_EQ(test, counter_of(event_counter_encoding(n, false)), n);
		KUNIT_EXPECT_EQ(test, counter_of(event_counter_encoding(n, true)), n);
	}
	KUNIT_EXPECT_EQ(test, counter_of(SYS_PMCCFILTR_EL0), 31U);
	KUNIT_EXPECT_EQ(test, counter_of(SYS_PMXEVCNTR_EL0), PARTITION_COUNTER_SELECTED);
	KUNIT_EXPECT_EQ(test, counter_of(SYS_PMXEVTYPER_EL0), PARTITION_COUNTER_SELECTED);
	/* An MRS X7, PMEVCNTR5_EL0 trap: ISS Op0 3, Op2 5, Op1 3, CRn 14, Rt 7, CRm 8, read. */
	iss = (3UL << 20) | (5UL << 17) | (3UL << 14) | (14UL << 10) | (7UL << 5) |
	      (8UL << 1) | 1;
	KUNIT_EXPECT_EQ(test, partition_register_of_iss(iss & ESR_ELx_SYS64_ISS_SYS_MASK,
							&counter),
			PARTITION_REGISTER_PMEVCNTR);
	KUNIT_EXPECT_EQ(test, counter, 5U);
}

/* An AArch32 PMU register as KVM hands it to the hook, and its AArch64 one. */
struct aarch32_register {
	const char *name;
	u32 aarch32;		/* sys_reg(0, opc1, CRn, CRm, opc2) */
	u32 aarch64;		/* 0: not emulated, UNDEFINED */
	enum partition_register group;
	int counter;		/* for PMSELR_EL0.SEL = 5; -1: none */
};

/* MRC/MCR p15, 0, <Rt>, <CRn>, <CRm>, <opc2> and MRRC/MCRR p15, 0, <Rt>, <Rt2>, <CRm>. */
#define AARCH32_32(crn, crm, opc2)	sys_reg(0, 0, (crn), (crm), (opc2))
#define AARCH32_64(crm)			sys_reg(0, 0, 0, (crm), 0)
#define SELECTED_COUNTER		PARTITION_COUNTER_SELECTED

/* The c9 and the 64-bit PMU registers, from the Arm ARM's AArch32 register pages. */
static const struct aarch32_register aarch32_registers[] = {
	{ "PMCR", AARCH32_32(9, 12, 0), SYS_PMCR_EL0, PARTITION_REGISTER_PMCR, -1 },
	{ "PMCNTENSET", AARCH32_32(9, 12, 1), SYS_PMCNTENSET_EL0,
	  PARTITION_REGISTER_PMCNTEN, -1 },
	{ "PMCNTENCLR", AARCH32_32(9, 12, 2), SYS_PMCNTENCLR_EL0,
	  PARTITION_REGISTER_PMCNTEN, -1 },
	{ "PMOVSR", AARCH32_32(9, 12, 3), SYS_PMOVSCLR_EL0,
	  PARTITION_REGISTER_PMOVS, -1 },
	{ "PMSWINC", AARCH32_32(9, 12, 4), SYS_PMSWINC_EL0,
	  PARTITION_REGISTER_PMSWINC, -1 },
	{ "PMSELR", AARCH32_32(9, 12, 5), SYS_PMSELR_EL0,
	  PARTITION_REGISTER_PMSELR, -1 },
	{ "PMCEID0", AARCH32_32(9, 12, 6), SYS_PMCEID0_EL0,
	  PARTITION_REGISTER_PMCEID, -1 },
	{ "PMCEID1", AARCH32_32(9, 12, 7), SYS_PMCEID1_EL0,
	  PARTITION_REGISTER_PMCEID, -1 },
	{ "PMCCNTR", AARCH32_32(9, 13, 0), SYS_PMCCNTR_EL0,
	  PARTITION_REGISTER_PMCCNTR, -1 },
	{ "PMXEVTYPER", AARCH32_32(9, 13, 1), SYS_PMXEVTYPER_EL0,
	  PARTITION_REGISTER_PMEVTYPER, SELECTED_COUNTER },
	{ "PMXEVCNTR", AARCH32_32(9, 13, 2), SYS_PMXEVCNTR_EL0,
	  PARTITION_REGISTER_PMEVCNTR, SELECTED_COUNTER },
	{ "PMUSERENR", AARCH32_32(9, 14, 0), SYS_PMUSERENR_EL0,
	  PARTITION_REGISTER_PMUSERENR, -1 },
	{ "PMINTENSET", AARCH32_32(9, 14, 1), SYS_PMINTENSET_EL1,
	  PARTITION_REGISTER_PMINTEN, -1 },
	{ "PMINTENCLR", AARCH32_32(9, 14, 2), SYS_PMINTENCLR_EL1,
	  PARTITION_REGISTER_PMINTEN, -1 },
	{ "PMOVSSET", AARCH32_32(9, 14, 3), SYS_PMOVSSET_EL0,
	  PARTITION_REGISTER_PMOVS, -1 },
	/* The upper halves of PMCEID0/1_EL0: the module makes them UNDEFINED. */
	{ "PMCEID2", AARCH32_32(9, 14, 4), 0, PARTITION_REGISTER_NONE, -1 },
	{ "PMCEID3", AARCH32_32(9, 14, 5), 0, PARTITION_REGISTER_NONE, -1 },
	{ "PMMIR", AARCH32_32(9, 14, 6), SYS_PMMIR_EL1, PARTITION_REGISTER_PMMIR, -1 },
	{ "PMCCFILTR", AARCH32_32(14, 15, 7), SYS_PMCCFILTR_EL0,
	  PARTITION_REGISTER_PMEVTYPER, 31 },
	{ "PMCCNTR (64-bit)", AARCH32_64(9), SYS_PMCCNTR_EL0,
	  PARTITION_REGISTER_PMCCNTR, -1 },
};

static void expect_aarch32_register(struct kunit *test, const char *name,
				    u32 aarch32, u32 aarch64,
				    enum partition_register group, int counter)
{
	u32 encoding = partition_aarch64_encoding(aarch32);

	KUNIT_EXPECT_EQ_MSG(test, encoding, aarch64, "%s: AArch64 encoding", name);
	if (!aarch64)
		return;
	KUNIT_EXPECT_EQ_MSG(test, partition_register_of(encoding), group,
			    "%s: register group", name);
	if (counter >= 0)
		KUNIT_EXPECT_EQ_MSG(test, counter_of(encoding), (unsigned int)counter,
				    "%s: counter", name);
}

/*
 * Rule: every AArch32 PMU register (the c9 ones, PMEVCNTR<n> and
 * PMEVTYPER<n> for n = 0..30, PMCCFILTR, the 64-bit PMCCNTR) is the
 * AArch64 register of the same name, which partition_register_of() and
 * partition_counter_of() then decode to the same group and counter
 * (PMXEV* through PMSELR_EL0.SEL); PMCEID2/3 are 0 (UNDEFINED).
 */
static void aarch64_encoding_names_the_same_register(struct kunit *test)
{
	unsigned int i, n;

	for (i = 0; i < ARRAY_SIZE(aarch32_registers); i++) {
		const struct aarch32_register *reg = &aarch32_registers[i];

		expect_aarch32_register(test, reg->name, reg->aarch32,
					reg->aarch64, reg->group, reg->counter);
	}
	for (n = 0; n < 31; n++) {
		char name[16];

		snprintf(name, sizeof(name), "PMEVCNTR%u", n);
		expect_aarch32_register(test, name,
					AARCH32_32(14, 8 | n >> 3, n & 7),
					event_counter_encoding(n, false),
					PARTITION_REGISTER_PMEVCNTR, n);
		snprintf(name, sizeof(name), "PMEVTYPER%u", n);
		expect_aarch32_register(test, name,
					AARCH32_32(14, 12 | n >> 3, n & 7),
					event_counter_encoding(n, true),
					PARTITION_REGISTER_PMEVTYPER, n);
	}
}

/*
 * Which PMUSERENR_EL0 bits let guest EL0 make an access, written from the
 * PMUSERENR_EL0 field descriptions (Arm ARM D24.5.21; DDI0601) and the
 * registers' accessibility: EN every register EL0 can reach; SW PMSWINC
 * writes; CR PMCCNTR reads; ER PMEVCNTR<n>/PMXEVCNTR reads and PMSELR
 * reads and writes. _EL1 registers and an access the register lacks
 * (PMSWINC reads, PMCEID writes) are UNDEFINED at EL0: no bit enables
 * them. EL0 always reads PMUSERENR_EL0 and never writes it.
 */
#define EL0_EN		ARMV8_PMU_USERENR_EN
#define EL0_SW		ARMV8_PMU_USERENR_SW
#define EL0_CR		ARMV8_PMU_USERENR_CR
#define EL0_ER		ARMV8_PMU_USERENR_ER
#define EL0_NEVER	0
#define EL0_ALWAYS	0x10	/* not a PMUSERENR_EL0 bit: whatever it holds */

struct el0_rule {
	const char *name;
	u8 read;	/* EL0_*: the bits any one of which allows a read */
	u8 write;
};

static const struct el0_rule el0_rules[PARTITION_REGISTER_COUNT + 1] = {
	[PARTITION_REGISTER_PMCR] = { "PMCR", EL0_EN, EL0_EN },
	[PARTITION_REGISTER_PMCNTEN] = { "PMCNTEN", EL0_EN, EL0_EN },
	[PARTITION_REGISTER_PMINTEN] = { "PMINTEN", EL0_NEVER, EL0_NEVER },
	[PARTITION_REGISTER_PMOVS] = { "PMOVS", EL0_EN, EL0_EN },
	[PARTITION_REGISTER_PMSELR] = { "PMSELR", EL0_EN | EL0_ER, EL0_EN | EL0_ER },
	[PARTITION_REGISTER_PMCCNTR] = { "PMCCNTR", EL0_EN | EL0_CR, EL0_EN },
	[PARTITION_REGISTER_PMEVCNTR] = { "PMEVCNTR", EL0_EN | EL0_ER, EL0_EN },
	[PARTITION_REGISTER_PMEVTYPER] = { "PMEVTYPER", EL0_EN, EL0_EN },
	[PARTITION_REGISTER_PMUSERENR] = { "PMUSERENR", EL0_ALWAYS, EL0_NEVER },
	[PARTITION_REGISTER_PMSWINC] = { "PMSWINC", EL0_NEVER, EL0_EN | EL0_SW },
	[PARTITION_REGISTER_PMCEID] = { "PMCEID", EL0_EN, EL0_NEVER },
	[PARTITION_REGISTER_PMMIR] = { "PMMIR", EL0_NEVER, EL0_NEVER },
	[PARTITION_REGISTER_NONE] = { "none", EL0_NEVER, EL0_NEVER },
};

/*
 * Rule: the table above, for every register group (and NONE), every
 * PMUSERENR_EL0 value of EN, SW, CR, ER (0 to 15), read and write; bits
 * [63:4] set as well change nothing.
 */
static void el0_access_follows_pmuserenr(struct kunit *test)
{
	unsigned int group, userenr, is_write;

	for (group = 0; group <= PARTITION_REGISTER_NONE; group++) {
		const struct el0_rule *rule = &el0_rules[group];

		KUNIT_ASSERT_NOT_NULL_MSG(test, rule->name, "group %u has no rule", group);
		for (userenr = 0; userenr < 16; userenr++) {
			u64 with_upper_bits = userenr | GENMASK_ULL(63, 4);

			for (is_write = 0; is_write < 2; is_write++) {
				u8 allows = is_write ? rule->write : rule->read;
				bool expected = (allows & EL0_ALWAYS) ||
						(allows & userenr);
				const char *access = is_write ? "write" : "read";

				KUNIT_EXPECT_EQ_MSG(test,
						    partition_el0_may_access(group, userenr,
									     is_write),
						    expected, "%s %s, PMUSERENR_EL0 %#x",
						    rule->name, access, userenr);
				KUNIT_EXPECT_EQ_MSG(test,
						    partition_el0_may_access(group,
									     with_upper_bits,
									     is_write),
						    expected, "%s %s, PMUSERENR_EL0 %#llx",
						    rule->name, access, with_upper_bits);
			}
		}
	}
}

/*
 * Rule: a VM's event filter has as many events as its PMU version's
 * evtCount field names (Arm ARM, PMEVTYPER<n>_EL0: 10 bits in PMUv3, 16
 * from PMUv3p1), as KVM 6.12's __kvm_pmu_event_mask() + 1 sizes the
 * bitmap; for a version KVM 6.12 does not know (0: no PMU, the reserved
 * 2 and 3, PMUv3p8 and later, IMPLEMENTATION DEFINED), its mask is 0: one
 * event. host_pmu.c asks for the host's version capped at PMUv3p5, with
 * IMPLEMENTATION DEFINED as 0. Covers PMUVer 0 to 15.
 */
static void filter_events_follow_the_pmu_version(struct kunit *test)
{
	static const unsigned int events[16] = {
		[0] = 1, [1] = 1024, [2] = 1, [3] = 1,
		[4] = 65536, [5] = 65536, [6] = 65536, [7] = 65536,
		[8 ... 15] = 1,
	};
	unsigned int version;

	for (version = 0; version < ARRAY_SIZE(events); version++)
		KUNIT_EXPECT_EQ_MSG(test, partition_filter_events(version),
				    events[version], "PMUVer %u", version);
}

/*
 * Rule: clearing MDCR_EL2.TPM is safe only where it exposes no register
 * the module neither switches nor traps: PMUv3 to PMUv3p8, without
 * FEAT_PMUv3_ICNTR, _SS, SEBEP, EBEP or SPMU (an allowlist over the ID
 * register fields).
 */
static void untrapping_is_safe_only_for_known_pmu_features(struct kunit *test)
{
	static const u64 extensions[][2] = {
		{ GENMASK_ULL(27, 24), 0 },	/* SEBEP */
		{ GENMASK_ULL(19, 16), 0 },	/* PMSS */
		{ 0, GENMASK_ULL(51, 48) },	/* EBEP */
		{ 0, GENMASK_ULL(39, 36) },	/* PMICNTR */
		{ 0, GENMASK_ULL(35, 32) },	/* SPMU */
	};
	unsigned int version, i;

	for (version = 0; version < 16; version++) {
		u64 dfr0 = (u64)version << 8;

		KUNIT_EXPECT_EQ(test, partition_untrapping_is_safe(dfr0, 0),
				version >= 1 && version <= 8);
		for (i = 0; i < ARRAY_SIZE(extensions); i++)
			KUNIT_EXPECT_FALSE(test,
					   partition_untrapping_is_safe(dfr0 | extensions[i][0],
									extensions[i][1]));
	}
	/* The rig's -cpu max: PMUv3p5, HPMN0, no extension. */
	KUNIT_EXPECT_TRUE(test, partition_untrapping_is_safe(0x100000001030560aULL, 0));
}

/*
 * Rule (issue 14 item 4): an event counts only where it counts the same on
 * every host PMU: on a host with several PMU types, a common event (0x0-0x3f,
 * 0x4000-0x403f) every PMU lists in PMCEID and SW_INCR, nothing else; on a
 * host with one PMU type, every event (its hardware decides). Two PMUs
 * here: A lists 0x8 and 0x11 and extended 0x4001, B lists 0x11, 0x1e and
 * extended 0x4001; neither lists SW_INCR (0x0), which counts anyway.
 */
static void events_count_only_where_every_pmu_has_them(struct kunit *test)
{
	const u64 pmu_a[2] = { BIT_ULL(0x8) | BIT_ULL(0x11), BIT_ULL(0x1) };
	const u64 pmu_b[2] = { BIT_ULL(0x11) | BIT_ULL(0x1e), BIT_ULL(0x1) };
	struct partition_host_events several = {
		.common = { pmu_a[0] & pmu_b[0], pmu_a[1] & pmu_b[1] },
		.several_pmus = true,
	};
	struct partition_host_events one = {
		.common = { pmu_a[0], pmu_a[1] },
		.several_pmus = false,
	};
	u64 event;

	for (event = 0; event < 0x10000; event++) {
		bool common = event < 0x40 || (event >= 0x4000 && event < 0x4040);
		u64 bit = event < 0x40 ? event : event - 0x4000;
		unsigned int half = event < 0x40 ? 0 : 1;
		bool expected_several, expected_one;

		expected_one = true;
		if (event == 0)
			expected_several = true;
		else if (common)
			expected_several = (pmu_a[half] >> bit & 1) &&
					   (pmu_b[half] >> bit & 1);
		else
			expected_several = false;
		KUNIT_EXPECT_EQ_MSG(test,
				    partition_event_counts_everywhere(&several, event),
				    expected_several, "event %#llx, two PMU types", event);
		KUNIT_EXPECT_EQ_MSG(test,
				    partition_event_counts_everywhere(&one, event),
				    expected_one, "event %#llx, one PMU type", event);
	}
}

static struct kunit_case partition_helper_cases[] = {
	KUNIT_CASE(parse_mode_accepts_every_name),
	KUNIT_CASE(parse_mode_rejects_other_strings),
	KUNIT_CASE(parse_fgt_accepts_auto_and_off_only),
	KUNIT_CASE(counter_range_covers_first_to_last),
	KUNIT_CASE(reservation_fits_only_within_the_pmu),
	KUNIT_CASE(claim_splits_six_counters_at_hpmn),
	KUNIT_CASE(claim_leaves_the_host_exactly_the_reservation),
	KUNIT_CASE(everything_reserved_leaves_the_guest_the_cycle_counter),
	KUNIT_CASE(claim_is_hpmn_on_every_pmu_with_the_instruction_counter),
	KUNIT_CASE(register_of_matches_the_pmu_registers_exactly),
	KUNIT_CASE(counter_of_decodes_the_counter_number),
	KUNIT_CASE(aarch64_encoding_names_the_same_register),
	KUNIT_CASE(el0_access_follows_pmuserenr),
	KUNIT_CASE(filter_events_follow_the_pmu_version),
	KUNIT_CASE(events_count_only_where_every_pmu_has_them),
	KUNIT_CASE(untrapping_is_safe_only_for_known_pmu_features),
	{}
};

static struct kunit_suite partition_helper_suite = {
	.name = "kvm_pmu_partition_helpers",
	.test_cases = partition_helper_cases,
};

kunit_test_suite(partition_helper_suite);

MODULE_DESCRIPTION("KUnit tests for kvm_pmu_partition's helpers");
MODULE_LICENSE("GPL");
