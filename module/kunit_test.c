// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for the pure helpers of kvm_pmu_partition: parameter
 * parsing (param_parse.h) and counter-mask arithmetic (counter_mask.h).
 * Built as its own module, kvm_pmu_partition_kunit.ko, so it runs without
 * registering any hooks.
 */
#include <kunit/test.h>
#include <linux/module.h>

#include "counter_mask.h"
#include "param_parse.h"

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

static struct kunit_case partition_helper_cases[] = {
	KUNIT_CASE(parse_mode_accepts_every_name),
	KUNIT_CASE(parse_mode_rejects_other_strings),
	KUNIT_CASE(parse_fgt_accepts_auto_and_off_only),
	KUNIT_CASE(counter_range_covers_first_to_last),
	KUNIT_CASE(reservation_fits_only_within_the_pmu),
	KUNIT_CASE(masks_split_six_counters_at_hpmn),
	KUNIT_CASE(masks_never_overlap_and_cover_the_pmu),
	KUNIT_CASE(everything_reserved_leaves_the_guest_the_cycle_counter),
	{}
};

static struct kunit_suite partition_helper_suite = {
	.name = "kvm_pmu_partition_helpers",
	.test_cases = partition_helper_cases,
};

kunit_test_suite(partition_helper_suite);

MODULE_DESCRIPTION("KUnit tests for kvm_pmu_partition's helpers");
MODULE_LICENSE("GPL");
