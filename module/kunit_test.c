// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for the pure helpers of kvm_pmu_partition: parameter
 * parsing (param_parse.h), counter-mask arithmetic (counter_mask.h), and
 * which encodings are the PMU registers the module emulates and when
 * fine-grained untrapping is safe (pmu_registers.h). Built as its own
 * module, kvm_pmu_partition_kunit.ko, so it runs without registering any
 * hooks; pure functions, no hardware.
 */
#include <kunit/test.h>
#include <linux/module.h>

#include "counter_mask.h"
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

/* The rig's PMU: N = 6. reserved_host_counters = 2 gives HPMN = 4. */
static void masks_split_six_counters_at_hpmn(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, partition_hpmn(6, 2), 4U);
	KUNIT_EXPECT_EQ(test, partition_guest_mask(6, 2), 0x8000000fULL);
	KUNIT_EXPECT_EQ(test, partition_host_mask(6, 2), 0x30ULL);
}

static void masks_never_overlap_and_cover_the_pmu(struct kunit *test)
{
	unsigned int counters, reserved;

	for (counters = 0; counters <= PARTITION_MAX_EVENT_COUNTERS; counters++) {
		for (reserved = 0; reserved <= counters; reserved++) {
			u64 guest = partition_guest_mask(counters, reserved);
			u64 host = partition_host_mask(counters, reserved);

			KUNIT_EXPECT_EQ(test, guest & host, 0ULL);
			KUNIT_EXPECT_EQ(test, (guest | host) & ~BIT_ULL(31),
					partition_counter_range(0, counters));
			KUNIT_EXPECT_EQ(test, hweight64(host), reserved);
			KUNIT_EXPECT_TRUE(test, guest & BIT_ULL(31));
		}
	}
}

static void everything_reserved_leaves_the_guest_the_cycle_counter(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, partition_hpmn(6, 6), 0U);
	KUNIT_EXPECT_EQ(test, partition_guest_mask(6, 6), BIT_ULL(31));
	KUNIT_EXPECT_EQ(test, partition_host_mask(6, 6), 0x3fULL);
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
	KUNIT_EXPECT_EQ(test, partition_claim_mask(6, false),
			partition_guest_mask(6, 0));
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

static void counter_of_decodes_the_counter_number(struct kunit *test)
{
	unsigned int n;

	for (n = 0; n < 31; n++) {
		KUNIT_EXPECT_EQ(test, partition_counter_of(event_counter_encoding(n, false), 0), n);
		KUNIT_EXPECT_EQ(test, partition_counter_of(event_counter_encoding(n, true), 0), n);
	}
	KUNIT_EXPECT_EQ(test, partition_counter_of(SYS_PMCCFILTR_EL0, 0), 31U);
	KUNIT_EXPECT_EQ(test, partition_counter_of(SYS_PMXEVCNTR_EL0, 5), 5U);
	/* PMSELR_EL0.SEL is bits [4:0]. */
	KUNIT_EXPECT_EQ(test, partition_counter_of(SYS_PMXEVTYPER_EL0, 0xff), 31U);
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

static struct kunit_case partition_helper_cases[] = {
	KUNIT_CASE(parse_mode_accepts_every_name),
	KUNIT_CASE(parse_mode_rejects_other_strings),
	KUNIT_CASE(parse_fgt_accepts_auto_and_off_only),
	KUNIT_CASE(counter_range_covers_first_to_last),
	KUNIT_CASE(reservation_fits_only_within_the_pmu),
	KUNIT_CASE(masks_split_six_counters_at_hpmn),
	KUNIT_CASE(masks_never_overlap_and_cover_the_pmu),
	KUNIT_CASE(everything_reserved_leaves_the_guest_the_cycle_counter),
	KUNIT_CASE(claim_is_hpmn_on_every_pmu_with_the_instruction_counter),
	KUNIT_CASE(register_of_matches_the_pmu_registers_exactly),
	KUNIT_CASE(counter_of_decodes_the_counter_number),
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
