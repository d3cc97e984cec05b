// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host-side test of the reference model (pmu_access_model.h): each case
 * is a rule read from the Arm ARM (DDI0487 D24.5 accessibility pseudocode,
 * J1.3.1.114 PMUSwIncrement, the PMCR_EL0 and PMEVTYPER<n>_EL0 field
 * descriptions) or a quirk of stock KVM 6.12, written as an access
 * sequence and the outcome or value the rule gives. The guest tester
 * (tests/kselftest/pmu_conformance.c) trusts the model; this is what the
 * model is held to. Prints TAP; exits 1 on any failure.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pmu_access_model.h"

static int number, failed;

static void result(int ok, const char *name)
{
	number++;
	if (!ok)
		failed++;
	printf("%sok %d - %s\n", ok ? "" : "not ", number, name);
}

/* A model with every register written once from EL1, as the tester does. */
static void model_ready(struct pmu_access_model *model, unsigned int counters,
			unsigned int pmuver, bool el3, bool fgt, unsigned int quirks)
{
	struct pmu_access_model_config config = {
		.counters = counters, .pmuver = pmuver, .el2 = true, .el3 = el3,
		.aarch32 = false, .fgt = fgt, .quirks = quirks,
		.events = BIT_ULL(PMU_ACCESS_EVENT_SW_INCR) |
			  BIT_ULL(PMU_ACCESS_EVENT_CHAIN) | BIT_ULL(0x11),
		.hardware_counters = 6, .hardware_counters_most = 6,
	};
	struct pmu_access access = { .write = true };
	unsigned int n;

	pmu_access_model_init(model, &config);
	access.reg = PMU_ACCESS_PMCR;
	access.value = PMU_MODEL_PMCR_P | PMU_MODEL_PMCR_C;
	pmu_access_model_commit(model, &access, PMU_ACCESS_DONE, 0);
	access.value = ~0ULL;
	access.reg = PMU_ACCESS_PMCNTENCLR;
	pmu_access_model_commit(model, &access, PMU_ACCESS_DONE, 0);
	access.reg = PMU_ACCESS_PMOVSCLR;
	pmu_access_model_commit(model, &access, PMU_ACCESS_DONE, 0);
	access.reg = PMU_ACCESS_PMINTENCLR;
	pmu_access_model_commit(model, &access, PMU_ACCESS_DONE, 0);
	access.value = 0;
	for (n = 0; n < counters; n++) {
		access.reg = PMU_ACCESS_PMEVTYPER0 + n;
		pmu_access_model_commit(model, &access, PMU_ACCESS_DONE, 0);
	}
}

static unsigned int outcome_of(struct pmu_access_model *model, unsigned int reg,
			       bool write, bool el0, u64 value)
{
	struct pmu_access access = { .reg = reg, .write = write, .el0 = el0,
				     .value = value };
	struct pmu_access_expectation expect;

	pmu_access_model_expect(model, &access, &expect);
	return expect.outcomes;
}

/* Performs a write the model allows (done) and commits it. */
static void write_register(struct pmu_access_model *model, unsigned int reg,
			   bool el0, u64 value)
{
	struct pmu_access access = { .reg = reg, .write = true, .el0 = el0,
				     .value = value };

	pmu_access_model_commit(model, &access, PMU_ACCESS_DONE, 0);
}

static struct pmu_access_expectation read_register(struct pmu_access_model *model,
						   unsigned int reg)
{
	struct pmu_access access = { .reg = reg };
	struct pmu_access_expectation expect;

	pmu_access_model_expect(model, &access, &expect);
	return expect;
}

static void el0_permissions(void)
{
	struct pmu_access_model model;

	model_ready(&model, 4, PMU_MODEL_PMUVER_V3P5, false, true, 0);
	/* PMUSERENR_EL0 = 0: EL0 traps to EL1 (EC 0x18) but reads PMUSERENR. */
	result(outcome_of(&model, PMU_ACCESS_PMCR, false, true, 0) == PMU_ACCESS_TRAPPED,
	       "el0_pmcr_read_traps_to_el1_without_en");
	result(outcome_of(&model, PMU_ACCESS_PMUSERENR, false, true, 0) == PMU_ACCESS_DONE,
	       "el0_reads_pmuserenr_always");
	result(outcome_of(&model, PMU_ACCESS_PMUSERENR, true, true, 0) == PMU_ACCESS_UNDEFINED,
	       "el0_pmuserenr_write_is_undefined");
	result(outcome_of(&model, PMU_ACCESS_PMINTENSET, false, true, 0) == PMU_ACCESS_UNDEFINED,
	       "el0_pmintenset_el1_is_undefined");
	/* CR: PMCCNTR reads only; ER: event counter reads and PMSELR; SW: PMSWINC writes. */
	write_register(&model, PMU_ACCESS_PMUSERENR, false, PMU_ACCESS_USERENR_CR);
	result(outcome_of(&model, PMU_ACCESS_PMCCNTR, false, true, 0) == PMU_ACCESS_DONE &&
	       outcome_of(&model, PMU_ACCESS_PMCCNTR, true, true, 0) == PMU_ACCESS_TRAPPED &&
	       outcome_of(&model, PMU_ACCESS_PMEVCNTR0, false, true, 0) == PMU_ACCESS_TRAPPED,
	       "el0_cr_gives_pmccntr_reads_only");
	write_register(&model, PMU_ACCESS_PMUSERENR, false, PMU_ACCESS_USERENR_ER);
	result(outcome_of(&model, PMU_ACCESS_PMEVCNTR0, false, true, 0) == PMU_ACCESS_DONE &&
	       outcome_of(&model, PMU_ACCESS_PMEVCNTR0, true, true, 0) == PMU_ACCESS_TRAPPED &&
	       outcome_of(&model, PMU_ACCESS_PMSELR, true, true, 0) == PMU_ACCESS_DONE &&
	       outcome_of(&model, PMU_ACCESS_PMXEVCNTR, false, true, 0) == PMU_ACCESS_DONE &&
	       outcome_of(&model, PMU_ACCESS_PMEVTYPER0, false, true, 0) == PMU_ACCESS_TRAPPED &&
	       outcome_of(&model, PMU_ACCESS_PMCCNTR, false, true, 0) == PMU_ACCESS_TRAPPED,
	       "el0_er_gives_event_counter_reads_and_pmselr");
	write_register(&model, PMU_ACCESS_PMUSERENR, false, PMU_ACCESS_USERENR_SW);
	result(outcome_of(&model, PMU_ACCESS_PMSWINC, true, true, 1) == PMU_ACCESS_DONE &&
	       outcome_of(&model, PMU_ACCESS_PMCR, true, true, 0) == PMU_ACCESS_TRAPPED,
	       "el0_sw_gives_pmswinc_writes_only");
	/* Range first: n >= N is UNDEFINED (FEAT_FGT) even where EL0 would trap. */
	write_register(&model, PMU_ACCESS_PMUSERENR, false, 0);
	result(outcome_of(&model, PMU_ACCESS_PMEVCNTR0 + 4, false, true, 0) == PMU_ACCESS_UNDEFINED,
	       "range_check_comes_before_the_el0_check");
}

static void encodings(void)
{
	struct pmu_access_model model;

	model_ready(&model, 4, PMU_MODEL_PMUVER_V3P1, false, false, 0);
	result(outcome_of(&model, PMU_ACCESS_PMSWINC, false, false, 0) == PMU_ACCESS_UNDEFINED,
	       "mrs_of_write_only_pmswinc_is_undefined");
	result(outcome_of(&model, PMU_ACCESS_PMCEID0, true, false, 0) == PMU_ACCESS_UNDEFINED,
	       "msr_to_read_only_pmceid0_is_undefined");
	result(outcome_of(&model, PMU_ACCESS_PMMIR, false, false, 0) == PMU_ACCESS_UNDEFINED,
	       "pmmir_before_pmuv3p4_is_undefined");
	/* Without FEAT_FGT, out of range is CONSTRAINED UNPREDICTABLE. */
	result(outcome_of(&model, PMU_ACCESS_PMEVCNTR0 + 4, false, false, 0) ==
	       (PMU_ACCESS_UNDEFINED | PMU_ACCESS_IGNORED),
	       "out_of_range_without_fgt_is_undefined_or_raz_wi");
	write_register(&model, PMU_ACCESS_PMSELR, false, 31);
	result(outcome_of(&model, PMU_ACCESS_PMXEVTYPER, false, false, 0) == PMU_ACCESS_DONE &&
	       outcome_of(&model, PMU_ACCESS_PMXEVCNTR, false, false, 0) ==
	       (PMU_ACCESS_UNDEFINED | PMU_ACCESS_IGNORED),
	       "sel_31_is_pmccfiltr_for_pmxevtyper_and_out_of_range_for_pmxevcntr");
}

static void software_increment(void)
{
	struct pmu_access_model model;
	struct pmu_access_expectation expect;

	/* PMUv3p5, LP = 0: 64-bit counter, overflow on the 32-bit carry, then CHAIN. */
	model_ready(&model, 4, PMU_MODEL_PMUVER_V3P5, false, true, 0);
	write_register(&model, PMU_ACCESS_PMEVTYPER0 + 1, false, PMU_ACCESS_EVENT_CHAIN);
	write_register(&model, PMU_ACCESS_PMEVCNTR0, false, 0x1ffffffffULL);
	write_register(&model, PMU_ACCESS_PMCNTENSET, false, 3);
	write_register(&model, PMU_ACCESS_PMCR, false, PMU_MODEL_PMCR_E);
	write_register(&model, PMU_ACCESS_PMSWINC, false, 1);
	expect = read_register(&model, PMU_ACCESS_PMEVCNTR0);
	result(expect.value == 0x200000000ULL && expect.checked == ~0ULL,
	       "sw_incr_carries_into_bit_32_of_a_64_bit_counter");
	expect = read_register(&model, PMU_ACCESS_PMOVSSET);
	result(expect.value == 1, "sw_incr_overflow_at_32_bits_with_lp_clear");
	expect = read_register(&model, PMU_ACCESS_PMEVCNTR0 + 1);
	result(expect.value == 1, "chain_counts_the_even_counters_overflow");
	/* A PE whose PMCEID0_EL0 lists no CHAIN: the odd counter is unpredictable. */
	model.config.events &= ~BIT_ULL(PMU_ACCESS_EVENT_CHAIN);
	write_register(&model, PMU_ACCESS_PMSWINC, false, 0);
	expect = read_register(&model, PMU_ACCESS_PMEVCNTR0 + 1);
	result(expect.checked == 0, "chain_not_in_pmceid0_is_not_predicted");

	/* P = 1 excludes EL1: an EL1 write of PMSWINC does not count; EL0 does. */
	write_register(&model, PMU_ACCESS_PMEVTYPER0 + 2, false,
		       PMU_MODEL_TYPE_P | PMU_ACCESS_EVENT_SW_INCR);
	write_register(&model, PMU_ACCESS_PMCNTENSET, false, 4);
	write_register(&model, PMU_ACCESS_PMSWINC, false, 4);
	write_register(&model, PMU_ACCESS_PMSWINC, true, 4);
	expect = read_register(&model, PMU_ACCESS_PMEVCNTR0 + 2);
	result(expect.value == 1, "sw_incr_is_filtered_by_the_writers_el");

	/* Stock KVM counts both, and says the quirk made the difference. */
	model_ready(&model, 4, PMU_MODEL_PMUVER_V3P5, false, true,
		    PMU_ACCESS_QUIRKS_STOCK_KVM);
	write_register(&model, PMU_ACCESS_PMEVTYPER0 + 2, false, PMU_MODEL_TYPE_P);
	write_register(&model, PMU_ACCESS_PMCNTENSET, false, 4);
	write_register(&model, PMU_ACCESS_PMCR, false, PMU_MODEL_PMCR_E);
	{
		struct pmu_access access = { .reg = PMU_ACCESS_PMSWINC, .write = true,
					     .value = 4 };

		result(pmu_access_model_commit(&model, &access, PMU_ACCESS_DONE, 0) ==
		       PMU_ACCESS_QUIRK_SOFTWARE_INCREMENT_UNFILTERED &&
		       read_register(&model, PMU_ACCESS_PMEVCNTR0 + 2).value == 1,
		       "stock_quirk_counts_filtered_sw_incr_and_reports_it");
	}

	/* PMUv3p1: 32-bit counters, a write keeps the low 32 bits. */
	/* A SW_INCR of a counter whose value is open: its wrap is open too. */
	model_ready(&model, 4, PMU_MODEL_PMUVER_V3P5, false, true, 0);
	write_register(&model, PMU_ACCESS_PMEVCNTR0, false, 0xfffffffffffffff0ULL);
	write_register(&model, PMU_ACCESS_PMEVTYPER0, false, 0x11);
	write_register(&model, PMU_ACCESS_PMCNTENSET, false, 1);
	write_register(&model, PMU_ACCESS_PMCR, false, PMU_MODEL_PMCR_E);
	write_register(&model, PMU_ACCESS_PMEVTYPER0, false, PMU_ACCESS_EVENT_SW_INCR);
	write_register(&model, PMU_ACCESS_PMOVSCLR, false, 1);
	write_register(&model, PMU_ACCESS_PMSWINC, false, 1);
	expect = read_register(&model, PMU_ACCESS_PMOVSSET);
	result(!(expect.checked & 1), "sw_incr_of_an_open_counter_leaves_its_flag_open");

	model_ready(&model, 4, PMU_MODEL_PMUVER_V3P1, false, false, 0);
	write_register(&model, PMU_ACCESS_PMEVCNTR0, false, 0x1234ffffffffULL);
	expect = read_register(&model, PMU_ACCESS_PMEVCNTR0);
	result(expect.value == 0xffffffffULL && expect.checked == 0xffffffffULL &&
	       expect.zero == 0xffffedcb00000000ULL,
	       "pmuv3p1_event_counters_are_32_bits_upper_res0");
}

static void counting(void)
{
	struct pmu_access_model model;
	struct pmu_access_expectation expect;

	model_ready(&model, 4, PMU_MODEL_PMUVER_V3P5, false, true, 0);
	/* CPU_CYCLES counting at EL1: unknown while it may count... */
	write_register(&model, PMU_ACCESS_PMEVTYPER0, false, 0x11);
	write_register(&model, PMU_ACCESS_PMCNTENSET, false, 1);
	write_register(&model, PMU_ACCESS_PMCR, false, PMU_MODEL_PMCR_E);
	expect = read_register(&model, PMU_ACCESS_PMEVCNTR0);
	result(expect.checked == 0, "a_counting_counter_is_not_checked");
	/* ...and exact again once its first read after stopping taught the model. */
	write_register(&model, PMU_ACCESS_PMCR, false, 0);
	{
		struct pmu_access access = { .reg = PMU_ACCESS_PMEVCNTR0 };

		pmu_access_model_commit(&model, &access, PMU_ACCESS_DONE, 1234);
	}
	expect = read_register(&model, PMU_ACCESS_PMEVCNTR0);
	result(expect.value == 1234 && expect.checked == ~0ULL,
	       "a_stopped_counter_is_exact_after_one_read");
	/* While counting, a read teaches the least the next read may be. */
	write_register(&model, PMU_ACCESS_PMEVTYPER0, false, 0x11);
	write_register(&model, PMU_ACCESS_PMCR, false, PMU_MODEL_PMCR_E);
	{
		struct pmu_access access = { .reg = PMU_ACCESS_PMEVCNTR0 };

		pmu_access_model_commit(&model, &access, PMU_ACCESS_DONE, 5000);
	}
	expect = read_register(&model, PMU_ACCESS_PMEVCNTR0);
	result(expect.checked == 0 && expect.value == 5000 &&
	       expect.at_least_within == PMU_ACCESS_COUNT_MARGIN_64 && expect.width == ~0ULL,
	       "a_counting_counter_never_reads_less_than_last_time");
	write_register(&model, PMU_ACCESS_PMCR, false, 0);
	write_register(&model, PMU_ACCESS_PMEVCNTR0, false, 1234);
	/* Filtered away from EL1 and EL0, the same event counts nothing. */
	write_register(&model, PMU_ACCESS_PMEVTYPER0, false,
		       PMU_MODEL_TYPE_P | PMU_MODEL_TYPE_U | PMU_MODEL_TYPE_NSH | 0x11);
	write_register(&model, PMU_ACCESS_PMCR, false, PMU_MODEL_PMCR_E);
	expect = read_register(&model, PMU_ACCESS_PMEVCNTR0);
	result(expect.value == 1234 && expect.checked == ~0ULL,
	       "a_counter_excluded_from_el1_and_el0_counts_nothing_even_with_nsh");
}

static void read_back(void)
{
	struct pmu_access_model model;
	struct pmu_access_expectation expect;

	model_ready(&model, 4, PMU_MODEL_PMUVER_V3P5, false, true, 0);
	/* NSH is a field where the VM shows EL2; bits [15:0] of PMCCFILTR are RES0. */
	write_register(&model, PMU_ACCESS_PMCCFILTR, false,
		       PMU_MODEL_TYPE_P | PMU_MODEL_TYPE_NSH | PMU_MODEL_TYPE_NSK | 0x11);
	expect = read_register(&model, PMU_ACCESS_PMCCFILTR);
	result(expect.value == (PMU_MODEL_TYPE_P | PMU_MODEL_TYPE_NSH) &&
	       (expect.checked & PMU_MODEL_TYPE_NSH) && !(expect.zero & 0x11) &&
	       (expect.zero & 0x100) && !(expect.checked & PMU_MODEL_TYPE_NSK),
	       "pmccfiltr_fields_exact_res0_zero_or_as_written");
	/* PMCR: LC is RES1 without AArch32; P and C read as zero; N as configured. */
	write_register(&model, PMU_ACCESS_PMCR, false,
		       PMU_MODEL_PMCR_P | PMU_MODEL_PMCR_C | PMU_MODEL_PMCR_LP);
	expect = read_register(&model, PMU_ACCESS_PMCR);
	result(expect.value == (PMU_MODEL_PMCR_LC | PMU_MODEL_PMCR_LP | (4ULL << 11)) &&
	       (expect.checked & (PMU_MODEL_PMCR_P | PMU_MODEL_PMCR_C | PMU_MODEL_PMCR_LC)) ==
	       (PMU_MODEL_PMCR_P | PMU_MODEL_PMCR_C | PMU_MODEL_PMCR_LC),
	       "pmcr_lc_res1_p_c_read_zero_n_read_only");
	write_register(&model, PMU_ACCESS_PMCNTENSET, false, ~0ULL);
	expect = read_register(&model, PMU_ACCESS_PMCNTENSET);
	result(expect.value == (0xfULL | (1ULL << 31)) && expect.checked == ~0ULL,
	       "pmcntenset_bits_of_absent_counters_are_raz_wi");
	/* DP is a field with EL2 from PMUv3p1 (the VM shows EL2). */
	write_register(&model, PMU_ACCESS_PMCR, false, PMU_MODEL_PMCR_DP);
	expect = read_register(&model, PMU_ACCESS_PMCR);
	result((expect.value & PMU_MODEL_PMCR_DP) && (expect.checked & PMU_MODEL_PMCR_DP),
	       "pmcr_dp_is_rw_with_el2_from_pmuv3p1");
	/* An overflow flag set while its counter counts stays set until cleared. */
	write_register(&model, PMU_ACCESS_PMOVSSET, false, BIT_ULL(31));
	write_register(&model, PMU_ACCESS_PMCR, false, PMU_MODEL_PMCR_E);
	expect = read_register(&model, PMU_ACCESS_PMOVSSET);
	result((expect.ones & BIT_ULL(31)) && !(expect.checked & BIT_ULL(31)),
	       "a_set_overflow_flag_of_a_counting_counter_stays_set");
}

static void quirks(void)
{
	struct pmu_access_model model;
	struct pmu_access access = { .reg = PMU_ACCESS_PMCR, .el0 = true };
	struct pmu_access_expectation expect;

	model_ready(&model, 4, PMU_MODEL_PMUVER_V3P5, false, true,
		    PMU_ACCESS_QUIRKS_STOCK_KVM);
	pmu_access_model_expect(&model, &access, &expect);
	result(expect.outcomes == PMU_ACCESS_UNDEFINED &&
	       expect.quirk == PMU_ACCESS_QUIRK_EL0_REFUSAL_UNDEFINED,
	       "stock_quirk_el0_refusal_undefined_is_named");
	write_register(&model, PMU_ACCESS_PMSELR, false, 31);
	write_register(&model, PMU_ACCESS_PMCCNTR, false, 77);
	access.reg = PMU_ACCESS_PMXEVCNTR;
	access.el0 = false;
	pmu_access_model_expect(&model, &access, &expect);
	result(expect.outcomes == PMU_ACCESS_DONE && expect.value == 77 &&
	       expect.quirk == PMU_ACCESS_QUIRK_PMXEVCNTR_SELECTS_CYCLE_COUNTER,
	       "stock_quirk_pmxevcntr_sel_31_is_pmccntr");

	/* Partition: [N, host N) at EL0 refused traps first; at EL1, UNDEFINED. */
	model_ready(&model, 2, PMU_MODEL_PMUVER_V3P5, false, true,
		    PMU_ACCESS_QUIRKS_PARTITIONED);
	result(outcome_of(&model, PMU_ACCESS_PMEVCNTR0 + 3, false, true, 0) == PMU_ACCESS_TRAPPED &&
	       outcome_of(&model, PMU_ACCESS_PMEVCNTR0 + 3, false, false, 0) == PMU_ACCESS_UNDEFINED &&
	       outcome_of(&model, PMU_ACCESS_PMEVCNTR0 + 6, false, true, 0) == PMU_ACCESS_UNDEFINED,
	       "partition_quirk_only_below_the_hosts_n");

	/*
	 * Stock on a host with PMUs of 6 and 4 counters, a VM of 6: counters
	 * 4 and 5 may be UNDEFINED (on a 4-counter CPU), and that changes
	 * nothing; counters below 4 and the cycle counter may not; without
	 * the quirk none may.
	 */
	model_ready(&model, 6, PMU_MODEL_PMUVER_V3P5, false, true,
		    PMU_ACCESS_QUIRKS_STOCK_KVM);
	model.config.hardware_counters = 4;
	write_register(&model, PMU_ACCESS_PMEVCNTR0 + 5, false, 1234);
	access = (struct pmu_access){ .reg = PMU_ACCESS_PMEVCNTR0 + 5 };
	pmu_access_model_expect(&model, &access, &expect);
	{
		bool ok = expect.outcomes == (PMU_ACCESS_DONE | PMU_ACCESS_UNDEFINED) &&
			  expect.quirk_if_undefined ==
			  PMU_ACCESS_QUIRK_STOCK_COUNTER_BEYOND_CPU &&
			  outcome_of(&model, PMU_ACCESS_PMEVTYPER0 + 4, true, false, 0) ==
			  (PMU_ACCESS_DONE | PMU_ACCESS_UNDEFINED) &&
			  outcome_of(&model, PMU_ACCESS_PMEVCNTR0 + 3, false, false, 0) ==
			  PMU_ACCESS_DONE &&
			  outcome_of(&model, PMU_ACCESS_PMCCNTR, false, false, 0) ==
			  PMU_ACCESS_DONE;

		access.write = true;
		access.value = 99;
		pmu_access_model_commit(&model, &access, PMU_ACCESS_UNDEFINED, 0);
		access.write = false;
		pmu_access_model_expect(&model, &access, &expect);
		ok = ok && expect.value == 1234;
		model.config.quirks = 0;
		ok = ok && outcome_of(&model, PMU_ACCESS_PMEVCNTR0 + 5, false, false, 0) ==
			   PMU_ACCESS_DONE;
		result(ok, "stock_quirk_counter_beyond_a_smaller_cpu_only_there");
	}

	/*
	 * A type whose every write was UNDEFINED keeps its UNKNOWN reset
	 * value: any fields read back (RES0 bits still 0), the first read is
	 * learned, and until then the counter may count anything.
	 */
	{
		struct pmu_access_model_config config = model.config;
		bool ok;

		config.quirks = PMU_ACCESS_QUIRKS_STOCK_KVM;
		config.hardware_counters = 4;
		pmu_access_model_init(&model, &config);
		access = (struct pmu_access){ .reg = PMU_ACCESS_PMEVTYPER0 + 5 };
		pmu_access_model_expect(&model, &access, &expect);
		ok = expect.checked == 0 && (expect.zero & 0xffff) == 0 &&
		     (expect.zero & (1ULL << 32));
		write_register(&model, PMU_ACCESS_PMCR, false, PMU_MODEL_PMCR_E);
		write_register(&model, PMU_ACCESS_PMCNTENSET, false, BIT_ULL(5));
		ok = ok && pmu_access_counts_freely(&model, 5);
		pmu_access_model_commit(&model, &access, PMU_ACCESS_DONE, 0x11);
		pmu_access_model_expect(&model, &access, &expect);
		ok = ok && expect.value == 0x11 && (expect.checked & 0xffff) == 0xffff;
		config.quirks = PMU_ACCESS_QUIRKS_PARTITIONED;
		pmu_access_model_init(&model, &config);
		pmu_access_model_expect(&model, &access, &expect);
		ok = ok && (expect.checked & 0xffff) == 0xffff;
		result(ok, "an_unwritten_type_is_open_until_read_only_under_the_quirk");
	}
}

/* Reads counter @counter as the guest would see @value, and commits it. */
static void read_count(struct pmu_access_model *model, unsigned int counter,
		       u64 value)
{
	struct pmu_access access = { .reg = PMU_ACCESS_PMEVCNTR0 + counter };

	pmu_access_model_commit(model, &access, PMU_ACCESS_DONE, value);
}

/* A PMUv3p5 model whose counter 0 counts CPU_CYCLES from @value, once enabled. */
static void counter_0_counting_cycles(struct pmu_access_model *model, u64 value)
{
	model_ready(model, 4, PMU_MODEL_PMUVER_V3P5, false, true, 0);
	write_register(model, PMU_ACCESS_PMEVTYPER0, false, 0x11);
	write_register(model, PMU_ACCESS_PMEVCNTR0, false, value);
	write_register(model, PMU_ACCESS_PMCNTENSET, false, BIT_ULL(0));
}

/*
 * Reads counter 0 as @value, then whether the model requires its overflow
 * flag to read set.
 */
static bool flag_required_after_read(struct pmu_access_model *model, u64 value)
{
	read_count(model, 0, value);
	return read_register(model, PMU_ACCESS_PMOVSSET).ones & BIT_ULL(0);
}

/*
 * A counting counter read past a multiple of its overflow width overflowed
 * meanwhile (D24.5: PMOVSSET_EL0 records an unsigned overflow of the
 * counter at 32 bits, or at 64 with PMCR_EL0.LP): its flag must read set.
 * Not past it, the flag stays open; after LP changed while it counted,
 * the last value is no base.
 */
static void wraps(void)
{
	struct pmu_access_model model;
	struct pmu_access_expectation expect;
	bool ok;

	counter_0_counting_cycles(&model, 0xfffffff0ULL);
	write_register(&model, PMU_ACCESS_PMCR, false, PMU_MODEL_PMCR_E);
	read_count(&model, 0, 0xfffffff8ULL);
	expect = read_register(&model, PMU_ACCESS_PMOVSSET);
	ok = !(expect.ones & BIT_ULL(0)) && !(expect.checked & BIT_ULL(0));
	ok = ok && flag_required_after_read(&model, 0x100000003ULL);
	result(ok, "a_counter_read_past_its_32_bit_wrap_shows_its_overflow_flag");

	counter_0_counting_cycles(&model, 0xfffffff0ULL);
	write_register(&model, PMU_ACCESS_PMCR, false,
		       PMU_MODEL_PMCR_E | PMU_MODEL_PMCR_LP);
	ok = !flag_required_after_read(&model, 0x100000003ULL);
	write_register(&model, PMU_ACCESS_PMEVCNTR0, false, ~0ULL - 8);
	ok = ok && flag_required_after_read(&model, 5);
	result(ok, "with_lp_only_a_64_bit_wrap_sets_the_flag");

	counter_0_counting_cycles(&model, 0xfffffff0ULL);
	write_register(&model, PMU_ACCESS_PMCR, false,
		       PMU_MODEL_PMCR_E | PMU_MODEL_PMCR_LP);
	write_register(&model, PMU_ACCESS_PMCR, false, PMU_MODEL_PMCR_E);
	ok = !flag_required_after_read(&model, 0x100000003ULL);
	ok = ok && flag_required_after_read(&model, 0x200000001ULL);
	result(ok, "after_lp_changed_while_counting_the_next_read_is_the_base");

	counter_0_counting_cycles(&model, 0xffffffffULL);
	write_register(&model, PMU_ACCESS_PMCR, false, PMU_MODEL_PMCR_E);
	write_register(&model, PMU_ACCESS_PMOVSCLR, false, ~0ULL);
	ok = !flag_required_after_read(&model, 0x100000003ULL);
	ok = ok && flag_required_after_read(&model, 0x200000001ULL);
	result(ok, "a_wrap_that_may_precede_a_flag_clear_is_not_required_to_show");

	/* Under the late-flag quirk: open, a clear read is the quirk, a set one ends it. */
	counter_0_counting_cycles(&model, 0xfffffff0ULL);
	model.config.quirks = PMU_ACCESS_QUIRK_OVERFLOW_FLAG_LATE;
	write_register(&model, PMU_ACCESS_PMCR, false, PMU_MODEL_PMCR_E);
	ok = !flag_required_after_read(&model, 0x100000003ULL);
	{
		struct pmu_access access = { .reg = PMU_ACCESS_PMOVSSET };

		ok = ok && pmu_access_model_commit(&model, &access, PMU_ACCESS_DONE, 0) ==
			   PMU_ACCESS_QUIRK_OVERFLOW_FLAG_LATE;
		ok = ok && pmu_access_model_commit(&model, &access, PMU_ACCESS_DONE,
						   BIT_ULL(0)) == 0 &&
		     !(model.late_flags & BIT_ULL(0));
	}
	result(ok, "a_late_flag_is_open_until_seen_set_under_its_quirk");
}

/*
 * PMXEVCNTR_EL0 with PMSELR_EL0.SEL >= N, from EL0 with PMUSERENR_EL0 = 0:
 * with FEAT_FGT the range check (m >= GetNumEventCountersSelfHosted())
 * comes before the EL0 one, so UNDEFINED; under the module's quirk, an
 * index below the N the PE checks (the host's) traps to EL1 first.
 */
static void selected_out_of_range_at_el0(void)
{
	struct pmu_access_model model;
	bool ok;

	model_ready(&model, 4, PMU_MODEL_PMUVER_V3P5, false, true, 0);
	write_register(&model, PMU_ACCESS_PMSELR, false, 5);
	ok = outcome_of(&model, PMU_ACCESS_PMXEVCNTR, false, true, 0) ==
	     PMU_ACCESS_UNDEFINED &&
	     outcome_of(&model, PMU_ACCESS_PMXEVTYPER, true, true, 0) ==
	     PMU_ACCESS_UNDEFINED;
	model.config.quirks = PMU_ACCESS_QUIRKS_PARTITIONED;
	ok = ok && outcome_of(&model, PMU_ACCESS_PMXEVCNTR, false, true, 0) ==
		   PMU_ACCESS_TRAPPED;
	write_register(&model, PMU_ACCESS_PMSELR, false, 10);
	ok = ok && outcome_of(&model, PMU_ACCESS_PMXEVCNTR, false, true, 0) ==
		   PMU_ACCESS_UNDEFINED;
	write_register(&model, PMU_ACCESS_PMSELR, false, 2);
	ok = ok && outcome_of(&model, PMU_ACCESS_PMXEVCNTR, false, true, 0) ==
		   PMU_ACCESS_TRAPPED;
	result(ok, "pmxevcntr_selecting_beyond_n_at_el0_is_undefined_before_the_el0_trap");
}

int main(void)
{
	printf("TAP version 13\n");
	el0_permissions();
	encodings();
	software_increment();
	counting();
	read_back();
	quirks();
	wraps();
	selected_out_of_range_at_el0();
	printf("1..%d\n", number);
	return failed ? 1 : 0;
}
