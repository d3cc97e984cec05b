// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite kvm_pmu_partition_filter: checks the module's PMU filter
 * (event_filter.h) against the reference model written from the Arm ARM
 * in tests/model/pmu_filter_model.h. A pure-function test: it touches no
 * PMU register and needs no VM, so it gives the same result on any host;
 * the host set-ups it covers are modelled, not detected.
 *
 * event_types_follow_the_model, one run per set-up: a host with EL3 (and,
 * as the worst case, FEAT_SEL2 and FEAT_RME, which only add Secure EL2
 * and Realm states and the fields filtering them) with a VM that has EL3
 * or not, and a host without EL3; PMUv3p1 and PMUv3p5 VMs on a host of
 * the same version; PMEVTYPER<n>_EL0 and PMCCFILTR_EL0. For every
 * combination of bits [31:20], event numbers 0 (SW_INCR), 0x8, 0x11,
 * 0x1e (CHAIN), 0x3ff, 0x400, 0xffff, two bits [19:16] and four bits
 * [63:32] patterns, the event allowed and denied by the VM's event filter:
 *  (a) read-back: the guest reads back what KVM 6.12 shows a VM without
 *      EL2 (P, U, its evtCount width, NSK NSU M with EL3; PMCCFILTR_EL0
 *      has no evtCount);
 *  (b) isolation: in every PE state of the host the hardware value counts
 *      exactly where the guest expects, its EL1 and EL0 as it asked and
 *      only for an allowed event, and never at EL2, EL3, in Secure or
 *      Realm state, nor (MT) on another PE;
 *  (c) no field the host's PMU does not implement, and never NSH, MT, SH,
 *      T, RLK, RLU or RLH, reaches the hardware;
 *  (d) an allowed event keeps its event number in the hardware;
 * (b) to (d) also for the raw value, as a VMM may store it with
 * KVM_SET_ONE_REG for vcpu_load to put in the hardware unfiltered.
 *
 * guest_counts_at_follows_the_model: partition_guest_counts_at(), which
 * the software increments (PMSWINC_EL0, CHAIN) of partition_registers.c
 * ask directly, against the guest's intent in the model (its EL1 counts
 * iff P == NSK with EL3 in the VM's ID registers, iff P == 0 without; EL0
 * likewise with U, NSU), for a host with EL3 and a VM with and without
 * it, a host without EL3 (a VM asking for EL3 there gets none), every
 * value of bits [31:20] with the event numbers and bits [19:16] and
 * [63:32] patterns above, at EL1 and at EL0.
 *
 * pmcr_keeps_only_guest_bits: for PMUv3p1 and PMUv3p5 VMs, with and
 * without AArch32 EL0, every value of PMCR_EL0 bits [7:0] with N, IDCODE,
 * IMP, FZO, FZS and other upper-bit patterns: only E, D, DP, LC and (for
 * PMUv3p5) LP reach the hardware, and LC is set where it is RES1.
 *
 * model_matches_the_arm_arm: a few decisions of the model itself derived
 * by hand from the PMEVTYPER<n>_EL0 field descriptions, so that a broken
 * model does not pass a broken filter, and that its filter reads bits
 * [31:20] only, which lets event_types_follow_the_model tabulate it.
 *
 * Each run reports at most MAX_REPORTED_FAILURES failures with their
 * inputs, then only how many more there were.
 */
#include <kunit/test.h>
#include <linux/bits.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "event_filter.h"
#include "pmu_filter_model.h"

#define MAX_REPORTED_FAILURES	10

struct filter_setup {
	bool host_el3;
	bool vm_el2;
	bool vm_el3;
	unsigned int pmuver;
	bool cycle_counter;
};

static const struct filter_setup filter_setups[] = {
	{ .host_el3 = true, .vm_el3 = true, .pmuver = PMU_MODEL_PMUVER_V3P1 },
	{ .host_el3 = true, .vm_el3 = true, .pmuver = PMU_MODEL_PMUVER_V3P1,
	  .cycle_counter = true },
	{ .host_el3 = true, .vm_el3 = true, .pmuver = PMU_MODEL_PMUVER_V3P5 },
	{ .host_el3 = true, .vm_el3 = true, .pmuver = PMU_MODEL_PMUVER_V3P5,
	  .cycle_counter = true },
	{ .host_el3 = true, .pmuver = PMU_MODEL_PMUVER_V3P1 },
	{ .host_el3 = true, .pmuver = PMU_MODEL_PMUVER_V3P1,
	  .cycle_counter = true },
	{ .host_el3 = true, .pmuver = PMU_MODEL_PMUVER_V3P5 },
	{ .host_el3 = true, .pmuver = PMU_MODEL_PMUVER_V3P5,
	  .cycle_counter = true },
	{ .pmuver = PMU_MODEL_PMUVER_V3P1 },
	{ .pmuver = PMU_MODEL_PMUVER_V3P1, .cycle_counter = true },
	{ .pmuver = PMU_MODEL_PMUVER_V3P5 },
	{ .pmuver = PMU_MODEL_PMUVER_V3P5, .cycle_counter = true },
	/* KVM 6.12 shows every VM the host's ID_AA64PFR0_EL1.EL2. */
	{ .host_el3 = true, .vm_el2 = true, .vm_el3 = true,
	  .pmuver = PMU_MODEL_PMUVER_V3P5 },
	{ .host_el3 = true, .vm_el2 = true, .vm_el3 = true,
	  .pmuver = PMU_MODEL_PMUVER_V3P5, .cycle_counter = true },
	{ .vm_el2 = true, .pmuver = PMU_MODEL_PMUVER_V3P1 },
	{ .vm_el2 = true, .pmuver = PMU_MODEL_PMUVER_V3P5, .cycle_counter = true },
};

static void filter_setup_describe(const struct filter_setup *setup,
				  char *description)
{
	snprintf(description, KUNIT_PARAM_DESC_SIZE,
		 "host %s EL3, VM %s EL2, %s EL3, PMUVer %u, %s",
		 setup->host_el3 ? "with" : "without",
		 setup->vm_el2 ? "with" : "without",
		 setup->vm_el3 ? "with" : "without", setup->pmuver,
		 setup->cycle_counter ? "PMCCFILTR_EL0" : "PMEVTYPER<n>_EL0");
}

KUNIT_ARRAY_PARAM(filter_setup, filter_setups, filter_setup_describe);

static const char * const state_names[PMU_MODEL_STATE_COUNT] = {
	[PMU_MODEL_NONSECURE_EL0] = "counting at Non-secure EL0",
	[PMU_MODEL_NONSECURE_EL1] = "counting at Non-secure EL1",
	[PMU_MODEL_NONSECURE_EL2] = "counting at Non-secure EL2",
	[PMU_MODEL_SECURE_EL0] = "counting at Secure EL0",
	[PMU_MODEL_SECURE_EL1] = "counting at Secure EL1",
	[PMU_MODEL_SECURE_EL2] = "counting at Secure EL2",
	[PMU_MODEL_EL3] = "counting at EL3",
	[PMU_MODEL_REALM_EL0] = "counting at Realm EL0",
	[PMU_MODEL_REALM_EL1] = "counting at Realm EL1",
	[PMU_MODEL_REALM_EL2] = "counting at Realm EL2",
};

static const u64 event_numbers[] = { 0x0, 0x8, 0x11, 0x1e, 0x3ff, 0x400, 0xffff };
static const u64 bits_19_16_patterns[] = { 0x0, 0xf };
/* Nothing; everything; TC, TE, TH; SYNC, VS, TLC. */
static const u64 upper_half_patterns[] = {
	0x0, 0xffffffff, 0xf0000fff, 0x07c00000,
};

struct failure_budget {
	unsigned int reported;
	unsigned long suppressed;
};

/* Whether one more mismatch may be reported; the others are only counted. */
static bool budget_reports(struct failure_budget *budget)
{
	if (budget->reported >= MAX_REPORTED_FAILURES) {
		budget->suppressed++;
		return false;
	}
	budget->reported++;
	return true;
}

/* PMEVTYPER/PMCCFILTR bits [31:20]: all the filter of CountPMUEvents() reads. */
#define FILTER_BITS_SHIFT	20
#define FILTER_BITS_VALUES	4096

/* One run of event_types_follow_the_model: a set-up and its model. */
struct filter_run {
	struct kunit *test;
	const struct filter_setup *setup;
	struct partition_event_filter filter;
	struct pmu_model_pe host;
	struct pmu_model_vm vm;
	/* per value of bits [31:20]: the host states it counts in, one bit each */
	u16 *host_states;
	struct failure_budget budget;
};

/* One PMEVTYPER/PMCCFILTR value under test and what the filter made of it. */
struct type_check {
	const char *source;	/* where the value handed to the hardware side came from */
	u64 written;
	bool allowed;
	u64 read_back;
	u64 hardware;
};

static void expect_type_value(struct filter_run *run,
			      const struct type_check *check, const char *what,
			      u64 actual, u64 expected)
{
	const struct filter_setup *setup = run->setup;

	if (actual == expected || !budget_reports(&run->budget))
		return;
	KUNIT_EXPECT_EQ_MSG(run->test, actual, expected,
			    "%s (%s): host %s EL3, VM %s EL3, PMUVer %u, %s, event %s: wrote %#llx, read back %#llx, hardware %#llx",
			    what, check->source,
			    setup->host_el3 ? "with" : "without",
			    setup->vm_el3 ? "with" : "without", setup->pmuver,
			    setup->cycle_counter ? "PMCCFILTR_EL0" : "PMEVTYPER<n>_EL0",
			    check->allowed ? "allowed" : "denied",
			    check->written, check->read_back, check->hardware);
}

/*
 * The model's decisions for the host, tabulated once per run: the filter
 * reads only bits [31:20] (model_matches_the_arm_arm checks that), so a
 * lookup replaces ten evaluations for each of the ~10^6 values.
 */
static void tabulate_host_states(struct filter_run *run)
{
	unsigned int filter_bits;
	int state;

	for (filter_bits = 0; filter_bits < FILTER_BITS_VALUES; filter_bits++) {
		u64 type = (u64)filter_bits << FILTER_BITS_SHIFT;

		run->host_states[filter_bits] = 0;
		for (state = 0; state < PMU_MODEL_STATE_COUNT; state++)
			if (pmu_model_filter_counts(&run->host, type, state))
				run->host_states[filter_bits] |= BIT(state);
	}
}

/*
 * (b), (c) and (d) for the hardware value made of @type: the guest's
 * read-back, or a value the VMM stored with KVM_SET_ONE_REG, which reaches
 * the hardware at vcpu_load without passing partition_guest_event_type().
 */
static void check_hardware_type(struct filter_run *run,
				struct type_check *check, u64 type)
{
	bool cycle_counter = run->setup->cycle_counter;
	unsigned int counts, expected = 0;
	u64 permitted;
	int state;

	/* (b) isolation */
	check->hardware = partition_hardware_event_type(&run->filter,
							cycle_counter, type,
							check->allowed);
	counts = run->host_states[(check->hardware >> FILTER_BITS_SHIFT) &
				  (FILTER_BITS_VALUES - 1)];
	for (state = 0; state < PMU_MODEL_STATE_COUNT; state++)
		if (pmu_model_guest_expects(&run->vm, check->written,
					    check->allowed, state))
			expected |= BIT(state);
	if (counts != expected) {
		for (state = 0; state < PMU_MODEL_STATE_COUNT; state++)
			expect_type_value(run, check, state_names[state],
					  !!(counts & BIT(state)),
					  !!(expected & BIT(state)));
	}
	expect_type_value(run, check, "counting on another PE (MT)",
			  pmu_model_counts_other_threads(&run->host,
							 cycle_counter,
							 check->hardware),
			  false);

	/* (c) only fields the host implements and the guest may control */
	permitted = pmu_model_hardware_type_fields(&run->host, cycle_counter) &
		    ~PMU_MODEL_TYPE_NEVER_IN_HARDWARE;
	expect_type_value(run, check, "stray hardware bits",
			  check->hardware & ~permitted, 0);

	/* (d) the event counted is the event asked for */
	if (check->allowed && !cycle_counter)
		expect_type_value(run, check, "hardware event number",
				  check->hardware &
				  pmu_model_event_mask(run->host.pmuver),
				  type & pmu_model_event_mask(run->vm.pmuver));
}

static void check_event_type(struct filter_run *run, struct type_check *check)
{
	bool cycle_counter = run->setup->cycle_counter;

	/* (a) read-back */
	check->source = "guest write";
	check->read_back = partition_guest_event_type(&run->filter,
						      cycle_counter,
						      check->written);
	check->hardware = 0;
	expect_type_value(run, check, "read-back", check->read_back,
			  pmu_model_guest_read_back(&run->vm, cycle_counter,
						    check->written));
	check_hardware_type(run, check, check->read_back);

	check->source = "value set by the VMM";
	check_hardware_type(run, check, check->written);
}

/* Every guest value with bits [31:20] = @filter_bits, allowed and denied. */
static unsigned long check_filter_bits(struct filter_run *run,
				       unsigned int filter_bits)
{
	struct type_check check = {};
	unsigned int event, low, upper, allowed;
	unsigned long checked = 0;

	for (event = 0; event < ARRAY_SIZE(event_numbers); event++) {
		for (low = 0; low < ARRAY_SIZE(bits_19_16_patterns); low++) {
			for (upper = 0; upper < ARRAY_SIZE(upper_half_patterns);
			     upper++) {
				check.written = upper_half_patterns[upper] << 32 |
						(u64)filter_bits << FILTER_BITS_SHIFT |
						bits_19_16_patterns[low] << 16 |
						event_numbers[event];
				for (allowed = 0; allowed < 2; allowed++) {
					check.allowed = allowed;
					check_event_type(run, &check);
					checked++;
				}
			}
		}
	}
	return checked;
}

static void event_types_follow_the_model(struct kunit *test)
{
	const struct filter_setup *setup = test->param_value;
	struct filter_run *run;
	unsigned long checked = 0;
	unsigned int filter_bits;

	run = kunit_kzalloc(test, sizeof(*run), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, run);
	run->host_states = kunit_kcalloc(test, FILTER_BITS_VALUES,
					 sizeof(*run->host_states), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, run->host_states);
	run->test = test;
	run->setup = setup;
	run->host = (struct pmu_model_pe) {
		.el2 = true,
		.el3 = setup->host_el3,
		.secure_el2 = setup->host_el3,
		.realm = setup->host_el3,
		.multithreaded = true,
		.pmuver = setup->pmuver,
	};
	run->vm = (struct pmu_model_vm) {
		.el2 = setup->vm_el2,
		.el3 = setup->vm_el3,
		.pmuver = setup->pmuver,
		.aarch64_only_el0 = true,
	};
	partition_event_filter_init(&run->filter, setup->pmuver, setup->vm_el2,
				    setup->vm_el3, setup->host_el3,
				    run->vm.aarch64_only_el0);
	tabulate_host_states(run);

	for (filter_bits = 0; filter_bits < FILTER_BITS_VALUES; filter_bits++) {
		checked += check_filter_bits(run, filter_bits);
		cond_resched();
	}

	KUNIT_EXPECT_EQ_MSG(test, run->budget.suppressed, 0UL,
			    "failures not shown after the first %u",
			    MAX_REPORTED_FAILURES);
	kunit_info(test, "%lu guest values checked", checked);
}

/* The EL3 set-ups partition_guest_counts_at() tells apart. */
static const struct {
	bool host_el3;
	bool vm_el3;		/* as the VMM asks */
} counts_at_setups[] = {
	{ .host_el3 = true, .vm_el3 = true },
	{ .host_el3 = true, .vm_el3 = false },
	{ .host_el3 = false, .vm_el3 = false },
	{ .host_el3 = false, .vm_el3 = true },
};

/*
 * The guest type number @index (0 to TYPE_PATTERNS - 1) with bits [31:20]
 * = @filter_bits: each event number, bits [19:16] and [63:32] pattern.
 */
#define TYPE_PATTERNS	(ARRAY_SIZE(event_numbers) * \
			 ARRAY_SIZE(bits_19_16_patterns) * \
			 ARRAY_SIZE(upper_half_patterns))

static u64 type_pattern(unsigned int filter_bits, unsigned int index)
{
	unsigned int event = index % ARRAY_SIZE(event_numbers);
	unsigned int rest = index / ARRAY_SIZE(event_numbers);
	unsigned int low = rest % ARRAY_SIZE(bits_19_16_patterns);
	unsigned int upper = rest / ARRAY_SIZE(bits_19_16_patterns);

	return upper_half_patterns[upper] << 32 |
	       (u64)filter_bits << FILTER_BITS_SHIFT |
	       bits_19_16_patterns[low] << 16 | event_numbers[event];
}

/* partition_guest_counts_at() for @type at EL1 and EL0 against the model. */
static void check_counts_at(struct kunit *test, struct failure_budget *budget,
			    const struct partition_event_filter *filter,
			    const struct pmu_model_vm *vm, bool vm_el3, u64 type)
{
	unsigned int kernel;

	for (kernel = 0; kernel < 2; kernel++) {
		enum pmu_model_state state = kernel ? PMU_MODEL_NONSECURE_EL1 :
						      PMU_MODEL_NONSECURE_EL0;
		bool actual = partition_guest_counts_at(filter, type, kernel);
		bool expected = pmu_model_guest_expects(vm, type, true, state);

		if (actual == expected || !budget_reports(budget))
			continue;
		KUNIT_EXPECT_EQ_MSG(test, actual, expected,
				    "host %s EL3, VM asking %s EL3: type %#llx at EL%u",
				    filter->host_el3 ? "with" : "without",
				    vm_el3 ? "with" : "without", type, kernel);
	}
}

static void guest_counts_at_follows_the_model(struct kunit *test)
{
	struct failure_budget budget = {};
	unsigned long checked = 0;
	unsigned int setup, filter_bits, index;

	for (setup = 0; setup < ARRAY_SIZE(counts_at_setups); setup++) {
		bool host_el3 = counts_at_setups[setup].host_el3;
		bool vm_el3 = counts_at_setups[setup].vm_el3;
		struct partition_event_filter filter;
		struct pmu_model_vm vm = {
			/* the VM's ID registers cannot show an EL3 the host lacks */
			.el3 = vm_el3 && host_el3,
			.pmuver = PMU_MODEL_PMUVER_V3P5,
			.aarch64_only_el0 = true,
		};

		partition_event_filter_init(&filter, vm.pmuver, false, vm_el3,
					    host_el3, vm.aarch64_only_el0);
		for (filter_bits = 0; filter_bits < FILTER_BITS_VALUES; filter_bits++) {
			for (index = 0; index < TYPE_PATTERNS; index++)
				check_counts_at(test, &budget, &filter, &vm, vm_el3,
						type_pattern(filter_bits, index));
			checked += 2 * TYPE_PATTERNS;
		}
		cond_resched();
	}
	KUNIT_EXPECT_EQ_MSG(test, budget.suppressed, 0UL,
			    "failures not shown after the first %u",
			    MAX_REPORTED_FAILURES);
	kunit_info(test, "%lu decisions checked", checked);
}

static const u64 pmcr_upper_patterns[] = {
	0x0,
	PMU_MODEL_PMCR_N,
	PMU_MODEL_PMCR_IDCODE | PMU_MODEL_PMCR_IMP,
	PMU_MODEL_PMCR_FZO | (1ULL << 8) | (1ULL << 10),
	PMU_MODEL_PMCR_FZS,
	~0xffULL,
};

/* Every PMCR_EL0 test value for one VM: the model's hardware value or a failure. */
static void check_pmcr_values(struct kunit *test, struct failure_budget *budget,
			      const struct pmu_model_vm *vm, bool host_el3)
{
	struct partition_event_filter filter;
	unsigned int pattern, low;

	partition_event_filter_init(&filter, vm->pmuver, vm->el2, vm->el3,
				    host_el3, vm->aarch64_only_el0);
	for (pattern = 0; pattern < ARRAY_SIZE(pmcr_upper_patterns); pattern++) {
		for (low = 0; low < 256; low++) {
			u64 value = pmcr_upper_patterns[pattern] | low;
			u64 actual = partition_hardware_pmcr(&filter, value);
			u64 expected = pmu_model_hardware_pmcr(vm, value);

			if (actual == expected || !budget_reports(budget))
				continue;
			KUNIT_EXPECT_EQ_MSG(test, actual, expected,
					    "PMCR_EL0: PMUVer %u, %s AArch32 EL0, host %s EL3: wrote %#llx",
					    vm->pmuver,
					    vm->aarch64_only_el0 ? "no" : "with",
					    host_el3 ? "with" : "without", value);
		}
	}
}

static void pmcr_keeps_only_guest_bits(struct kunit *test)
{
	static const unsigned int versions[] = {
		PMU_MODEL_PMUVER_V3P1, PMU_MODEL_PMUVER_V3P5,
	};
	struct failure_budget budget = {};
	unsigned int version, aarch64_only, host_el3;

	for (version = 0; version < ARRAY_SIZE(versions); version++) {
		for (aarch64_only = 0; aarch64_only < 2; aarch64_only++) {
			for (host_el3 = 0; host_el3 < 2; host_el3++) {
				struct pmu_model_vm vm = {
					.el3 = host_el3,
					.pmuver = versions[version],
					.aarch64_only_el0 = aarch64_only,
				};

				check_pmcr_values(test, &budget, &vm, host_el3);
			}
		}
	}
	KUNIT_EXPECT_EQ_MSG(test, budget.suppressed, 0UL,
			    "failures not shown after the first %u",
			    MAX_REPORTED_FAILURES);
}

static void model_matches_the_arm_arm(struct kunit *test)
{
	const u64 p = PMU_MODEL_TYPE_P, u = PMU_MODEL_TYPE_U;
	const u64 nsk = PMU_MODEL_TYPE_NSK, nsu = PMU_MODEL_TYPE_NSU;
	const u64 nsh = PMU_MODEL_TYPE_NSH, m = PMU_MODEL_TYPE_M;
	struct pmu_model_pe no_el3 = {
		.el2 = true, .pmuver = PMU_MODEL_PMUVER_V3P5,
	};
	struct pmu_model_pe el3 = {
		.el2 = true, .el3 = true, .secure_el2 = true, .realm = true,
		.pmuver = PMU_MODEL_PMUVER_V3P5,
	};
	struct pmu_model_vm vm_el3 = {
		.el3 = true, .pmuver = PMU_MODEL_PMUVER_V3P1,
	};
	const u64 other_bits = ~GENMASK_ULL(31, FILTER_BITS_SHIFT);
	unsigned int filter_bits, other_bits_matter = 0;
	int state;

	/* Without EL3: EL1 counts iff P == 0, EL0 iff U == 0, EL2 iff NSH. */
	KUNIT_EXPECT_TRUE(test, pmu_model_filter_counts(&no_el3, 0, PMU_MODEL_NONSECURE_EL1));
	KUNIT_EXPECT_FALSE(test, pmu_model_filter_counts(&no_el3, p, PMU_MODEL_NONSECURE_EL1));
	KUNIT_EXPECT_TRUE(test, pmu_model_filter_counts(&no_el3, p, PMU_MODEL_NONSECURE_EL0));
	KUNIT_EXPECT_FALSE(test, pmu_model_filter_counts(&no_el3, 0, PMU_MODEL_NONSECURE_EL2));
	KUNIT_EXPECT_TRUE(test, pmu_model_filter_counts(&no_el3, nsh, PMU_MODEL_NONSECURE_EL2));
	/* NSK is RES0 without EL3: P | NSK still excludes EL1. */
	KUNIT_EXPECT_FALSE(test, pmu_model_filter_counts(&no_el3, p | nsk,
							 PMU_MODEL_NONSECURE_EL1));
	KUNIT_EXPECT_FALSE(test, pmu_model_filter_counts(&no_el3, 0, PMU_MODEL_SECURE_EL1));

	/* With EL3: 0 counts in Secure EL1 and EL3 (M == P) as well. */
	KUNIT_EXPECT_TRUE(test, pmu_model_filter_counts(&el3, 0, PMU_MODEL_SECURE_EL1));
	KUNIT_EXPECT_TRUE(test, pmu_model_filter_counts(&el3, 0, PMU_MODEL_EL3));
	KUNIT_EXPECT_FALSE(test, pmu_model_filter_counts(&el3, m, PMU_MODEL_EL3));
	/* P | NSK: Non-secure EL1 but not Secure EL1; P without M: no EL3. */
	KUNIT_EXPECT_TRUE(test, pmu_model_filter_counts(&el3, p | nsk, PMU_MODEL_NONSECURE_EL1));
	KUNIT_EXPECT_FALSE(test, pmu_model_filter_counts(&el3, p | nsk, PMU_MODEL_SECURE_EL1));
	KUNIT_EXPECT_FALSE(test, pmu_model_filter_counts(&el3, p | nsk, PMU_MODEL_EL3));
	KUNIT_EXPECT_TRUE(test, pmu_model_filter_counts(&el3, p | u | nsu,
							PMU_MODEL_NONSECURE_EL0));
	/* NSH without SH counts at Secure EL2; RLK == P counts at Realm EL1. */
	KUNIT_EXPECT_TRUE(test, pmu_model_filter_counts(&el3, p | u | nsh, PMU_MODEL_SECURE_EL2));
	KUNIT_EXPECT_TRUE(test, pmu_model_filter_counts(&el3, p | u | PMU_MODEL_TYPE_RLK,
							PMU_MODEL_REALM_EL1));

	/* The filter reads bits [31:20] only (tabulate_host_states relies on it). */
	for (filter_bits = 0; filter_bits < FILTER_BITS_VALUES; filter_bits++) {
		u64 type = (u64)filter_bits << FILTER_BITS_SHIFT;

		for (state = 0; state < PMU_MODEL_STATE_COUNT; state++)
			if (pmu_model_filter_counts(&el3, type | other_bits, state) !=
			    pmu_model_filter_counts(&el3, type, state))
				other_bits_matter++;
	}
	KUNIT_EXPECT_EQ(test, other_bits_matter, 0U);

	/* The guest's view: with EL3 it counts at EL1 iff P == NSK. */
	KUNIT_EXPECT_TRUE(test, pmu_model_guest_expects(&vm_el3, p | nsk, true,
							PMU_MODEL_NONSECURE_EL1));
	KUNIT_EXPECT_FALSE(test, pmu_model_guest_expects(&vm_el3, nsk, true,
							 PMU_MODEL_NONSECURE_EL1));
	KUNIT_EXPECT_FALSE(test, pmu_model_guest_expects(&vm_el3, 0, false,
							 PMU_MODEL_NONSECURE_EL1));
	KUNIT_EXPECT_FALSE(test, pmu_model_guest_expects(&vm_el3, nsh, true,
							 PMU_MODEL_NONSECURE_EL2));
	KUNIT_EXPECT_EQ(test, pmu_model_guest_read_back(&vm_el3, true, ~0ULL),
			p | u | nsk | nsu | m);
	/* A VM whose ID registers show EL2 reads NSH back (it counts nowhere). */
	vm_el3.el2 = true;
	KUNIT_EXPECT_EQ(test, pmu_model_guest_read_back(&vm_el3, true, ~0ULL),
			p | u | nsk | nsu | m | nsh);
	KUNIT_EXPECT_FALSE(test, pmu_model_guest_expects(&vm_el3, nsh, true,
							 PMU_MODEL_NONSECURE_EL2));
}

static struct kunit_case partition_filter_cases[] = {
	KUNIT_CASE(model_matches_the_arm_arm),
	KUNIT_CASE_PARAM(event_types_follow_the_model, filter_setup_gen_params),
	KUNIT_CASE(guest_counts_at_follows_the_model),
	KUNIT_CASE(pmcr_keeps_only_guest_bits),
	{}
};

static struct kunit_suite partition_filter_suite = {
	.name = "kvm_pmu_partition_filter",
	.test_cases = partition_filter_cases,
};

kunit_test_suite(partition_filter_suite);
