// SPDX-License-Identifier: GPL-2.0-only
/*
 * A partitioned VM on a heterogeneous host: two or more host PMUs, each
 * on its own CPUs (big.LITTLE), of different sizes (issue 14 item 4,
 * docs/partition.md "Heterogeneous hosts").
 *
 * Usage: hetero_partition default|attribute [OPTION...]
 *   default    the module is loaded with default_mode=partitioned; the
 *              test's VMs do not choose a mode (an unmodified VMM);
 *   attribute  the VMs choose the mode with KVM_PMU_PARTITION_ATTR_PARTITIONED
 *              (any default_mode; with default_mode=emulated the test also
 *              checks that a VM that does not choose keeps stock KVM's
 *              SET_PMU behaviour).
 * The OPTIONs are the kselftest harness's (kselftest_harness.h): -l lists
 * the tests, -t TEST runs only that one.
 *
 * Host kind: the split-PMU rig (tests/rig/plans/split.plan: -smp 4, CPUs
 * 0-1 armv8_cortex_a53 with 6 event counters, CPUs 2-3 armv8_cortex_a72
 * with 4), under -icount for the exact counts; any host with two armv8
 * PMUs otherwise. Skips where there are fewer than two. The migrations go
 * between the first CPU of the first PMU (by name) and the first CPU of
 * the second.
 *
 * Rules checked (docs/partition.md):
 *  - the guest's PMCR_EL0.N is the smallest host PMU's N minus
 *    reserved_host_counters on every cluster, and so is KVM_GET_ONE_REG's
 *    and the attribute GET's; ID_AA64DFR0_EL1.PMUVer is the lowest of the
 *    host PMUs' and KVM's limit (PMUv3p5);
 *  - a counting guest's event counters and cycle counter keep counting
 *    across forced migrations between the clusters (sched_setaffinity of
 *    the vCPU thread between KVM_RUNs): never backwards, advancing by at
 *    least the guest's loop each time, and INST_RETIRED by exactly the
 *    same count in every round, migrated or not (-icount); the same
 *    measurement of a stock VM (default_mode=emulated, N lowered to the
 *    partition's) must find counts standing still on the other cluster,
 *    which shows the check can fail;
 *  - the kvm_pmu_partition_swap tracepoint shows each migration: the
 *    vCPU's state swapped out ("put") on a CPU of one PMU and swapped in
 *    ("load") on a CPU of the other, in and out strictly alternating;
 *  - PMCEID0/1_EL0 read the same on every cluster: the common events
 *    every host PMU implements (as the PMU driver lists them in sysfs,
 *    which never lists SW_INCR and CHAIN), without the STALL_SLOT events;
 *  - an event no host PMU implements (absent from PMCEID) is accepted and
 *    counts nothing on either cluster;
 *  - an event one host PMU implements and another lacks counts nowhere
 *    (issue 14's rule, module/event_filter.h). The rig's QEMU gives every
 *    CPU -cpu max's events, so no event lacks on one PMU there: that test
 *    skips on the rig; the rule itself is the KUnit case
 *    events_count_only_where_every_pmu_has_them (module/kunit_test.c);
 *  - a VMM that calls KVM_ARM_VCPU_PMU_V3_SET_PMU keeps the partition (N
 *    as above) but, as with stock KVM, the VM may then run only on the
 *    chosen PMU's CPUs: KVM_RUN on another CPU returns KVM_EXIT_FAIL_ENTRY
 *    (KVM_EXIT_FAIL_ENTRY_CPU_UNSUPPORTED, 6.12 arch/arm64/kvm/arm.c
 *    kvm_vcpu_exit_request()), and the guest's counts are intact when it
 *    runs again on its PMU's CPU.
 * Each test runs in a process of its own (the harness forks it), with a
 * VM of its own, destroyed in the fixture's teardown.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest.h"
#include "pmu_test.h"
#include "rig_harness.h"

#define MAX_PMUS		8
#define CYCLE_INDEX		31	/* PMCCNTR in the snapshot, as in PMCNTENSET */
#define COUNT_LOOP		5000	/* nops between two snapshots */
#define STAY_ROUNDS		4	/* rounds on the first CPU before migrating */
#define MIGRATIONS		200	/* continuity: forced moves between clusters */
#define TRACED_MIGRATIONS	40	/* tracepoint: moves traced one by one */
#define PROBE_LOOP		20000	/* nops an event-probing guest counts over */
/* A round's count beyond this went backwards (unsigned) or is garbage. */
#define ROUND_LIMIT		BIT_ULL(40)
#define TEST_SECONDS		900

#define TRACING			"/sys/kernel/tracing"
#define SWAP_EVENT		TRACING "/events/kvm_pmu_partition/kvm_pmu_partition_swap/enable"

/* ID_AA64DFR0_EL1.PMUVer of PMUv3p5, KVM 6.12's limit for guests. */
#define KVM_PMUVER_LIMIT	6

/* PMCEID1_EL0 bits of STALL_SLOT_BACKEND, _FRONTEND and STALL_SLOT (0x3d-0x3f). */
#define PMCEID1_STALL_SLOT	(BIT_ULL(0x3d - 32) | BIT_ULL(0x3e - 32) | BIT_ULL(0x3f - 32))

static bool by_attribute;	/* the VMs choose the mode themselves */
static bool icount;		/* RIG_ICOUNT=1: INST_RETIRED is exact */

struct pmu_info {
	char name[64];
	int type;		/* perf type, for SET_PMU */
	int first_cpu;
	char cpus[64];		/* its cpus file: "0-1" */
	uint64_t pmceid[2];	/* what its sysfs events/ directory lists */
	bool inst_retired;
};

static struct pmu_info pmus[MAX_PMUS];
static int pmu_count;
static long expected_hpmn = -1;		/* smallest N - reserved_host_counters */
static long expected_pmuver = -1;	/* lowest host PMUVer, at most p5 */

/* ------------------------------------------------------------- guest side */

static uint64_t guest_snapshot[32];	/* PMEVCNTR<n>, [31] PMCCNTR */
static uint64_t guest_event;		/* the event a probing guest programs */

/*
 * Counts without stopping: counter n INST_RETIRED for even n, CPU_CYCLES
 * for odd n, and the cycle counter, at EL0 and EL1. Each round runs a loop
 * of COUNT_LOOP nops, stores every counter in guest_snapshot and exits
 * (GUEST_SYNC); the code between two snapshots is the same every round,
 * so INST_RETIRED grows by the same count each time, wherever the vCPU
 * was put and loaded in between.
 */
static void guest_count_across_exits(void)
{
	uint64_t n = FIELD_GET(ARMV8_PMU_PMCR_N, read_sysreg(pmcr_el0));
	uint64_t enable = BIT(CYCLE_INDEX);
	uint64_t i;

	write_sysreg(ARMV8_PMU_PMCR_LC, pmcr_el0);
	write_sysreg(~0UL, pmcntenclr_el0);
	write_sysreg(~0UL, pmintenclr_el1);
	write_sysreg(~0UL, pmovsclr_el0);
	for (i = 0; i < n; i++) {
		write_pmevtypern(i, i % 2 ? ARMV8_PMUV3_PERFCTR_CPU_CYCLES :
					    ARMV8_PMUV3_PERFCTR_INST_RETIRED);
		enable |= BIT(i);
	}
	write_sysreg(0, pmccfiltr_el0);
	write_sysreg(enable, pmcntenset_el0);
	write_sysreg(ARMV8_PMU_PMCR_LC | ARMV8_PMU_PMCR_P | ARMV8_PMU_PMCR_C, pmcr_el0);
	isb();
	write_sysreg(ARMV8_PMU_PMCR_LC | ARMV8_PMU_PMCR_E, pmcr_el0);
	isb();
	for (;;) {
		for (i = 0; i < COUNT_LOOP; i++)
			asm volatile("nop");
		for (i = 0; i < n; i++)
			guest_snapshot[i] = read_pmevcntrn(i);
		guest_snapshot[CYCLE_INDEX] = read_sysreg(pmccntr_el0);
		GUEST_SYNC(n);
	}
}

/* What the guest sees of its PMU, on every run. */
static void guest_view(void)
{
	for (;;)
		GUEST_SYNC_ARGS(0, FIELD_GET(ARMV8_PMU_PMCR_N, read_sysreg(pmcr_el0)),
				FIELD_GET(ID_AA64DFR0_EL1_PMUVer_MASK,
					  read_sysreg(id_aa64dfr0_el1)),
				read_sysreg(pmceid0_el0), read_sysreg(pmceid1_el0));
}

/*
 * Counter 0 programmed with guest_event, the cycle counter as the control,
 * over a loop of PROBE_LOOP nops; reports counter 0, the cycle counter and
 * what PMEVTYPER0_EL0 reads back, on every run.
 */
static void guest_probe_event(void)
{
	uint64_t type;

	for (;;) {
		write_sysreg(ARMV8_PMU_PMCR_LC, pmcr_el0);
		write_sysreg(~0UL, pmcntenclr_el0);
		write_sysreg(~0UL, pmovsclr_el0);
		write_sysreg(guest_event, pmevtyper0_el0);
		write_sysreg(0, pmccfiltr_el0);
		write_sysreg(BIT(0) | BIT(CYCLE_INDEX), pmcntenset_el0);
		write_sysreg(ARMV8_PMU_PMCR_LC | ARMV8_PMU_PMCR_P | ARMV8_PMU_PMCR_C,
			     pmcr_el0);
		isb();
		write_sysreg(ARMV8_PMU_PMCR_LC | ARMV8_PMU_PMCR_E, pmcr_el0);
		isb();
		for (int i = 0; i < PROBE_LOOP; i++)
			asm volatile("nop");
		write_sysreg(ARMV8_PMU_PMCR_LC, pmcr_el0);
		isb();
		type = read_sysreg(pmevtyper0_el0);
		GUEST_SYNC_ARGS(0, read_sysreg(pmevcntr0_el0), read_sysreg(pmccntr_el0),
				type, 0);
	}
}

/* -------------------------------------------------------------- host side */

/* The index of the host PMU whose CPUs include @cpu, or -1. */
static int pmu_of_cpu(int cpu)
{
	for (int i = 0; i < pmu_count; i++) {
		char list[64], *range, *save = NULL;

		snprintf(list, sizeof(list), "%s", pmus[i].cpus);
		for (range = strtok_r(list, ",", &save); range;
		     range = strtok_r(NULL, ",", &save)) {
			int first = atoi(range), last = first;
			char *dash = strchr(range, '-');

			if (dash)
				last = atoi(dash + 1);
			if (cpu >= first && cpu <= last)
				return i;
		}
	}
	return -1;
}

/*
 * The common events (0x0-0x3f, and 0x4000-0x403f in the high halves) that
 * @pmu's driver lists in sysfs, as PMCEID0/1_EL0 would show them: the
 * PMUv3 driver lists an event only where the PMU's PMCEID has it.
 */
static void read_pmu_events(struct pmu_info *pmu)
{
	char path[512], buf[128];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/events", pmu->name);
	dir = opendir(path);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		unsigned long event;
		char *config;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/events/%s",
			 pmu->name, d->d_name);
		if (!read_line(path, buf, sizeof(buf)))
			continue;
		config = strstr(buf, "event=");
		if (!config)
			continue;
		event = strtoul(config + strlen("event="), NULL, 0);
		if (event == ARMV8_PMUV3_PERFCTR_INST_RETIRED)
			pmu->inst_retired = true;
		if (event < 0x40)
			pmu->pmceid[event / 32] |= BIT_ULL(event % 32);
		else if (event >= 0x4000 && event < 0x4040)
			pmu->pmceid[(event - 0x4000) / 32] |= BIT_ULL(32 + event % 32);
	}
	closedir(dir);
}

static int compare_pmu_names(const void *a, const void *b)
{
	return strcmp(((const struct pmu_info *)a)->name, ((const struct pmu_info *)b)->name);
}

/* The armv8 PMUs of /sys/bus/event_source/devices, sorted by name. */
static void find_host_pmus(void)
{
	DIR *dir = opendir("/sys/bus/event_source/devices");
	char path[512], buf[64];
	struct dirent *d;

	if (!dir)
		return;
	while ((d = readdir(dir)) && pmu_count < MAX_PMUS) {
		struct pmu_info *pmu = &pmus[pmu_count];

		if (strncmp(d->d_name, "armv8", 5))
			continue;
		memset(pmu, 0, sizeof(*pmu));
		snprintf(pmu->name, sizeof(pmu->name), "%.63s", d->d_name);
		snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/type", pmu->name);
		pmu->type = read_line(path, buf, sizeof(buf)) ? atoi(buf) : -1;
		snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/cpus", pmu->name);
		if (!read_line(path, pmu->cpus, sizeof(pmu->cpus)))
			continue;
		pmu->first_cpu = atoi(pmu->cpus);
		read_pmu_events(pmu);
		pmu_count++;
	}
	closedir(dir);
	qsort(pmus, pmu_count, sizeof(pmus[0]), compare_pmu_names);
}

/*
 * What the module says a partitioned guest gets: HPMN from its host PMUs'
 * counters and reserved_host_counters, PMUVer the lowest of theirs.
 */
static void read_expectations(void)
{
	long reserved = read_sysfs_long("reserved_host_counters");
	long smallest = smallest_pmu_counters();
	char buf[32];
	glob_t g;

	if (reserved >= 0 && smallest >= 0)
		expected_hpmn = smallest - reserved;
	if (glob(KVM_PMU_PARTITION_SYSFS_DIR "/pmus/*/pmuver", 0, NULL, &g))
		return;
	expected_pmuver = KVM_PMUVER_LIMIT;
	for (size_t i = 0; i < g.gl_pathc; i++)
		if (read_line(g.gl_pathv[i], buf, sizeof(buf)) &&
		    strtol(buf, NULL, 0) < expected_pmuver)
			expected_pmuver = strtol(buf, NULL, 0);
	globfree(&g);
}

/* The module's default_mode, or "" without the module. */
static void read_default_mode(char *buf, size_t size)
{
	if (!read_line(KVM_PMU_PARTITION_SYSFS_DIR "/default_mode", buf, size))
		buf[0] = '\0';
}

static int cpu_a(void)
{
	return pmus[0].first_cpu;
}

static int cpu_b(void)
{
	return pmus[1].first_cpu;
}

/*
 * The test's VM: one vCPU with PMUv3 and a vGICv3, created on CPU @cpu,
 * in the mode the argument says (the attribute, or default_mode); with
 * @set_pmu >= 0 the VMM also chooses that host PMU (perf type) with
 * KVM_ARM_VCPU_PMU_V3_SET_PMU, before the attribute. Returns the
 * errno of SET_PMU (0 without one).
 */
static int vm_setup(struct tvm *t, void *guest_code, int cpu, bool partition,
		    int set_pmu)
{
	int err = 0;

	pin_to_cpu(cpu);
	tvm_add(t, guest_code, true);
	if (set_pmu >= 0)
		err = pmu_attr(t->vcpu, KVM_SET_DEVICE_ATTR,
			       KVM_ARM_VCPU_PMU_V3_SET_PMU, &set_pmu);
	if (partition && by_attribute)
		TEST_ASSERT(!pmu_attr(t->vcpu, KVM_SET_DEVICE_ATTR,
				      KVM_PMU_PARTITION_ATTR_PARTITIONED, NULL),
			    "KVM_PMU_PARTITION_ATTR_PARTITIONED: %s", strerror(errno));
	pmu_vcpu_init(t->vcpu);
	return err;
}

/* Runs @vcpu on @cpu to its next GUEST_SYNC; false on anything else. */
static bool run_on(struct kvm_vcpu *vcpu, int cpu, struct ucall *uc)
{
	pin_to_cpu(cpu);
	return run_to_ucall(vcpu, uc) == UCALL_SYNC;
}

/* One round of guest_count_across_exits: its snapshot, or false. */
static bool count_round(struct tvm *t, int cpu, uint64_t *snapshot, uint64_t *n)
{
	struct ucall uc;

	if (!run_on(t->vcpu, cpu, &uc))
		return false;
	*n = uc.args[1];
	sync_global_from_guest(t->vm, guest_snapshot);
	memcpy(snapshot, guest_snapshot, sizeof(guest_snapshot));
	return true;
}

static bool is_inst_retired_counter(uint64_t index)
{
	return index != CYCLE_INDEX && index % 2 == 0;
}

/* Whether every host PMU advertises INST_RETIRED (QEMU: under -icount). */
static bool hosts_count_instructions(void)
{
	for (int i = 0; i < pmu_count; i++)
		if (!pmus[i].inst_retired)
			return false;
	return true;
}

struct continuity {
	uint64_t n;
	uint64_t baseline[32];	/* each counter's round on the first CPU */
	int rounds;		/* rounds after the baseline */
	int migrations;
	int backwards;		/* rounds a counter went back or jumped */
	int short_rounds;	/* rounds a counter grew by less than the loop */
	int inexact;		/* INST_RETIRED rounds that differ from the baseline */
};

/*
 * A round's growth of every counter, checked against the baseline: grows
 * by at least the loop (a cycle or an instruction per nop under -icount,
 * anything but 0 without), never back, INST_RETIRED exactly as much as in
 * the baseline round.
 */
static void check_round(struct continuity *c, const uint64_t *before,
			const uint64_t *after, int cpu)
{
	uint64_t least = icount ? COUNT_LOOP : 1;
	bool back = false, short_round = false, inexact = false;

	for (uint64_t i = 0; i < 32; i++) {
		uint64_t delta = after[i] - before[i];
		bool bad = false;

		if (i >= c->n && i != CYCLE_INDEX)
			continue;
		if (delta >= ROUND_LIMIT)
			bad = back = true;
		else if (delta < least)
			bad = short_round = true;
		if (is_inst_retired_counter(i) && icount && delta != c->baseline[i])
			bad = inexact = true;
		if (bad && c->backwards + c->short_rounds + c->inexact < 8)
			ksft_print_msg("round %d on CPU %d: counter %lu %lu -> %lu (+%ld, baseline +%lu)\n",
				       c->rounds, cpu, i, before[i], after[i],
				       (long)delta, c->baseline[i]);
	}
	c->backwards += back;
	c->short_rounds += short_round;
	c->inexact += inexact;
	c->rounds++;
}

FIXTURE(hetero) {
	struct tvm t;
	bool created;
	bool tracing;	/* the test turned the swap event on */
};

FIXTURE_SETUP(hetero)
{
	self->created = false;
	self->tracing = false;
}

FIXTURE_TEARDOWN(hetero)
{
	if (self->created)
		tvm_destroy(&self->t);
	if (self->tracing)
		write_file(SWAP_EVENT, "0");
}

/*
 * HPMN: the smallest PMU's N minus the reservation, whatever CPU the
 * guest reads PMCR_EL0 on, as KVM_GET_ONE_REG and the attribute say; the
 * PMU version is the lowest. (The rig's two PMUs have the same PMUVer,
 * so only N tells them apart.)
 */
TEST_F_TIMEOUT(hetero, guest_gets_the_counters_of_its_smallest_pmu, TEST_SECONDS)
{
	uint64_t pmcr, dfr0, attr_n = ~0ULL;
	struct ucall uc_a, uc_b;

	vm_setup(&self->t, guest_view, cpu_a(), true, -1);
	self->created = true;
	vcpu_get_reg(self->t.vcpu, KVM_ARM64_SYS_REG(SYS_PMCR_EL0), &pmcr);
	vcpu_get_reg(self->t.vcpu, KVM_ARM64_SYS_REG(SYS_ID_AA64DFR0_EL1), &dfr0);
	pmu_attr(self->t.vcpu, KVM_GET_DEVICE_ATTR, KVM_PMU_PARTITION_ATTR_PARTITIONED,
		 &attr_n);
	ASSERT_TRUE(run_on(self->t.vcpu, cpu_a(), &uc_a));
	ASSERT_TRUE(run_on(self->t.vcpu, cpu_b(), &uc_b));
	ksft_print_msg("expected N %ld, PMUVer %ld; guest on CPU %d (%s): N %lu PMUVer %lu; on CPU %d (%s): N %lu PMUVer %lu; GET_ONE_REG N %lu PMUVer %lu; attribute N %ld\n",
		       expected_hpmn, expected_pmuver, cpu_a(), pmus[0].name, uc_a.args[2],
		       uc_a.args[3], cpu_b(), pmus[1].name, uc_b.args[2], uc_b.args[3],
		       FIELD_GET(ARMV8_PMU_PMCR_N, pmcr),
		       FIELD_GET(ID_AA64DFR0_EL1_PMUVer_MASK, dfr0), (long)attr_n);
	EXPECT_EQ(expected_hpmn, (long)uc_a.args[2]);
	EXPECT_EQ(expected_hpmn, (long)uc_b.args[2]);
	EXPECT_EQ(expected_hpmn, (long)FIELD_GET(ARMV8_PMU_PMCR_N, pmcr));
	EXPECT_EQ(expected_hpmn, (long)attr_n);
	EXPECT_EQ(expected_pmuver, (long)uc_a.args[3]);
	EXPECT_EQ(expected_pmuver, (long)uc_b.args[3]);
	EXPECT_EQ(expected_pmuver, (long)FIELD_GET(ID_AA64DFR0_EL1_PMUVer_MASK, dfr0));
}

/*
 * STAY_ROUNDS rounds of guest_count_across_exits on the first cluster
 * (the first gives the baseline), then @migrations rounds, each on the
 * other cluster than the last. Returns false if a round did not end in
 * its GUEST_SYNC.
 */
static bool measure_continuity(struct tvm *t, int migrations, struct continuity *c)
{
	uint64_t before[32], after[32], n;
	int round, cpu;

	memset(c, 0, sizeof(*c));
	if (!count_round(t, cpu_a(), before, &n))
		return false;
	c->n = n;
	if (!count_round(t, cpu_a(), after, &n))
		return false;
	for (uint64_t i = 0; i < 32; i++)
		c->baseline[i] = after[i] - before[i];
	memcpy(before, after, sizeof(after));
	for (round = 0; round < STAY_ROUNDS + migrations; round++) {
		cpu = round < STAY_ROUNDS ? cpu_a() :
		      (round - STAY_ROUNDS) % 2 ? cpu_a() : cpu_b();
		if (!count_round(t, cpu, after, &n))
			return false;
		c->migrations += round >= STAY_ROUNDS;
		check_round(c, before, after, cpu);
		memcpy(before, after, sizeof(after));
	}
	ksft_print_msg("N %lu; per round: INST_RETIRED +%lu, CPU_CYCLES +%lu, PMCCNTR +%lu (baseline on CPU %d)\n",
		       c->n, c->baseline[0], c->n > 1 ? c->baseline[1] : 0,
		       c->baseline[CYCLE_INDEX], cpu_a());
	ksft_print_msg("%d rounds, %d migrations between CPU %d (%s) and CPU %d (%s): %d with a counter back or jumping, %d short, %d with INST_RETIRED other than the baseline\n",
		       c->rounds, c->migrations, cpu_a(), pmus[0].name, cpu_b(),
		       pmus[1].name, c->backwards, c->short_rounds, c->inexact);
	return true;
}

/*
 * Continuity: every counter advances by at least the loop in each of
 * MIGRATIONS rounds, each after a move to the other cluster, and
 * INST_RETIRED by exactly the baseline round's count.
 */
TEST_F_TIMEOUT(hetero, counts_continue_exactly_across_migrations, TEST_SECONDS)
{
	struct continuity c;

	vm_setup(&self->t, guest_count_across_exits, cpu_a(), true, -1);
	self->created = true;
	ASSERT_TRUE(measure_continuity(&self->t, MIGRATIONS, &c));
	EXPECT_EQ(expected_hpmn, (long)c.n);
	EXPECT_EQ(0, c.backwards);
	EXPECT_EQ(0, c.short_rounds);
	if (icount && hosts_count_instructions()) {
		EXPECT_GE(c.baseline[0], COUNT_LOOP);
		EXPECT_EQ(0, c.inexact);
	} else {
		ksft_print_msg("INST_RETIRED exactness not checked: needs -icount (RIG_ICOUNT=1) and INST_RETIRED on every host PMU\n");
	}
}

/*
 * The same measurement fails for stock KVM, which the partition replaces:
 * a VM that does not choose the mode while the module's default is
 * emulated, its PMCR_EL0.N lowered by the VMM to the partition's (so
 * that every counter exists on every cluster), counts with perf events of
 * the first PMU, which stand still on the second's CPUs. Runs only with
 * default_mode=emulated.
 */
TEST_F_TIMEOUT(hetero, stock_counts_stand_still_on_the_other_pmu, TEST_SECONDS)
{
	struct continuity c;
	uint64_t pmcr;
	char mode[32];

	read_default_mode(mode, sizeof(mode));
	if (strcmp(mode, "emulated"))
		SKIP(return, "needs the module loaded with default_mode=emulated (it is '%s')", mode);
	vm_setup(&self->t, guest_count_across_exits, cpu_a(), false, -1);
	self->created = true;
	vcpu_get_reg(self->t.vcpu, KVM_ARM64_SYS_REG(SYS_PMCR_EL0), &pmcr);
	pmcr &= ~ARMV8_PMU_PMCR_N;
	pmcr |= FIELD_PREP(ARMV8_PMU_PMCR_N, expected_hpmn);
	vcpu_set_reg(self->t.vcpu, KVM_ARM64_SYS_REG(SYS_PMCR_EL0), pmcr);
	ASSERT_TRUE(measure_continuity(&self->t, STAY_ROUNDS, &c));
	EXPECT_EQ(expected_hpmn, (long)c.n);
	EXPECT_GT(c.short_rounds, 0);
	if (icount && hosts_count_instructions())
		EXPECT_GT(c.inexact, 0);
}

struct swap {
	bool in;
	int cpu;
	char reason[32];
	char text[160];		/* the event as the trace prints it */
};

/*
 * The kvm_pmu_partition_swap events of this process's vCPU 0, in trace
 * order, into @swaps (at most @max); returns how many.
 */
static int read_swaps(struct swap *swaps, int max)
{
	FILE *f = fopen(TRACING "/trace", "r");
	char line[512], needle[64], direction[8];
	int count = 0;

	if (!f)
		return -1;
	snprintf(needle, sizeof(needle), "kvm_pmu_partition_swap: vmm=%d ", getpid());
	while (fgets(line, sizeof(line), f) && count < max) {
		char *event = strstr(line, needle);
		int vcpu, cpu;

		if (!event)
			continue;
		if (sscanf(event, "kvm_pmu_partition_swap: vmm=%*d vm=%*u vcpu=%d cpu=%d %7s reason=%31[^\n]",
			   &vcpu, &cpu, direction, swaps[count].reason) != 4 || vcpu != 0)
			continue;
		snprintf(swaps[count].text, sizeof(swaps[count].text), "%.*s",
			 (int)strcspn(event, "\n"), event);
		swaps[count].in = !strcmp(direction, "in");
		swaps[count].cpu = cpu;
		count++;
	}
	fclose(f);
	return count;
}

/*
 * Each forced migration shows in the tracepoint as a swap out on a CPU of
 * one PMU followed by a swap in on a CPU of the other: as many such pairs,
 * each way, as the test made moves, and ins and outs alternating.
 */
TEST_F_TIMEOUT(hetero, swap_tracepoint_shows_each_migration, TEST_SECONDS)
{
	static struct swap swaps[8 * TRACED_MIGRATIONS + 64];
	int count, crossings[2] = {}, unpaired = 0, wrong_reason = 0;
	uint64_t snapshot[32], n;
	int fd;

	if (access(SWAP_EVENT, F_OK))
		SKIP(return, "no %s (tracefs or the module's tracepoints missing)", SWAP_EVENT);
	vm_setup(&self->t, guest_count_across_exits, cpu_a(), true, -1);
	self->created = true;
	ASSERT_TRUE(count_round(&self->t, cpu_a(), snapshot, &n));
	/* From here on, only this test's swaps: an empty buffer, the event on. */
	fd = open(TRACING "/trace", O_WRONLY | O_TRUNC);
	ASSERT_GE(fd, 0);
	close(fd);
	ASSERT_EQ(0, write_file(SWAP_EVENT, "1"));
	self->tracing = true;
	/* A round on the first CPU, so that the first move's swap out is traced too. */
	ASSERT_TRUE(count_round(&self->t, cpu_a(), snapshot, &n));
	for (int m = 0; m < TRACED_MIGRATIONS; m++)
		ASSERT_TRUE(count_round(&self->t, m % 2 ? cpu_a() : cpu_b(), snapshot, &n));
	ASSERT_EQ(0, write_file(SWAP_EVENT, "0"));
	self->tracing = false;

	count = read_swaps(swaps, ARRAY_SIZE(swaps));
	for (int i = 0; i < count; i++) {
		bool was_in = i > 0 && swaps[i - 1].in;
		int from = i > 0 ? pmu_of_cpu(swaps[i - 1].cpu) : -1;
		int to = pmu_of_cpu(swaps[i].cpu);

		if (i > 0 && swaps[i].in == was_in)
			unpaired++;
		if (strcmp(swaps[i].reason, swaps[i].in ? "load" : "put") &&
		    strcmp(swaps[i].reason, "first access"))
			wrong_reason++;
		if (!swaps[i].in || was_in || from < 0 || to < 0 || from == to)
			continue;
		crossings[to == 1]++;
		if (crossings[0] + crossings[1] <= 2)
			ksft_print_msg("swap out on CPU %d (%s), swap in on CPU %d (%s):\n#   %s\n#   %s\n",
				       swaps[i - 1].cpu, pmus[from].name, swaps[i].cpu,
				       pmus[to].name, swaps[i - 1].text, swaps[i].text);
	}
	ksft_print_msg("%d swap events of vCPU 0 for %d migrations: %d out-then-in moves to %s, %d to %s; %d not alternating, %d with another reason\n",
		       count, TRACED_MIGRATIONS, crossings[0], pmus[0].name, crossings[1],
		       pmus[1].name, unpaired, wrong_reason);
	EXPECT_EQ(TRACED_MIGRATIONS / 2, crossings[0]);
	EXPECT_EQ(TRACED_MIGRATIONS / 2, crossings[1]);
	EXPECT_EQ(0, unpaired);
	EXPECT_EQ(0, wrong_reason);
}

/*
 * PMCEID0_EL0 bits the PMUv3 driver never lists in sysfs, whatever the
 * PMU implements (drivers/perf/arm_pmuv3.c: SW_INCR "not usable" from
 * perf, CHAIN "useless in isolation"): checked only for being the same on
 * every cluster.
 */
#define PMCEID0_UNLISTED	(BIT_ULL(ARMV8_PMUV3_PERFCTR_SW_INCR) | \
				 BIT_ULL(ARMV8_PMUV3_PERFCTR_CHAIN))

/*
 * PMCEID0/1_EL0: the same on every cluster, and what every host PMU
 * implements, as their drivers list it in sysfs, without STALL_SLOT.
 */
TEST_F_TIMEOUT(hetero, pmceid_lists_the_events_common_to_every_pmu, TEST_SECONDS)
{
	uint64_t common[2] = { ~0ULL, ~0ULL }, seen[2];
	struct ucall uc_a, uc_b;

	for (int i = 0; i < pmu_count; i++) {
		ksft_print_msg("%s lists PMCEID0 0x%016lx PMCEID1 0x%016lx\n", pmus[i].name,
			       pmus[i].pmceid[0], pmus[i].pmceid[1]);
		common[0] &= pmus[i].pmceid[0];
		common[1] &= pmus[i].pmceid[1];
	}
	common[1] &= ~PMCEID1_STALL_SLOT;
	vm_setup(&self->t, guest_view, cpu_a(), true, -1);
	self->created = true;
	ASSERT_TRUE(run_on(self->t.vcpu, cpu_a(), &uc_a));
	ASSERT_TRUE(run_on(self->t.vcpu, cpu_b(), &uc_b));
	seen[0] = uc_a.args[4] & ~PMCEID0_UNLISTED;
	seen[1] = uc_a.args[5];
	ksft_print_msg("guest PMCEID0 0x%016lx PMCEID1 0x%016lx on CPU %d, 0x%016lx 0x%016lx on CPU %d; common 0x%016lx 0x%016lx (PMCEID0 without SW_INCR and CHAIN)\n",
		       uc_a.args[4], uc_a.args[5], cpu_a(), uc_b.args[4], uc_b.args[5],
		       cpu_b(), common[0], common[1]);
	EXPECT_EQ(uc_a.args[4], uc_b.args[4]);
	EXPECT_EQ(uc_a.args[5], uc_b.args[5]);
	/* Only common events... */
	EXPECT_EQ(0, seen[0] & ~common[0]);
	EXPECT_EQ(0, seen[1] & ~common[1]);
	/* ...and all of them. */
	EXPECT_EQ(common[0], seen[0]);
	EXPECT_EQ(common[1], seen[1]);
}

/*
 * Programs @event on counter 0 of a guest that runs on the first CPU of
 * every host PMU; expects it accepted (PMEVTYPER0 reads it back) and
 * counted nowhere while the cycle counter counts the loop.
 */
static void expect_counted_nowhere(struct __test_metadata *_metadata, struct tvm *t,
				   uint64_t event)
{
	struct ucall uc;

	guest_event = event;
	sync_global_to_guest(t->vm, guest_event);
	for (int i = 0; i < pmu_count; i++) {
		ASSERT_TRUE(run_on(t->vcpu, pmus[i].first_cpu, &uc));
		ksft_print_msg("event 0x%lx on CPU %d (%s): counted %lu, cycle counter %lu, PMEVTYPER0 0x%lx\n",
			       event, pmus[i].first_cpu, pmus[i].name, uc.args[2], uc.args[3],
			       uc.args[4]);
		EXPECT_EQ(0, uc.args[2]);
		EXPECT_GE(uc.args[3], icount ? PROBE_LOOP : 1);
		EXPECT_EQ(event, uc.args[4] & ARMV8_PMU_EVTYPE_EVENT);
	}
}

/* An event below 0x40 that no host PMU lists, or -1. */
static long event_no_pmu_has(void)
{
	uint64_t any[2] = {};

	for (int i = 0; i < pmu_count; i++) {
		any[0] |= pmus[i].pmceid[0];
		any[1] |= pmus[i].pmceid[1];
	}
	for (long event = 1; event < 0x40; event++)
		if (!(any[event / 32] & BIT_ULL(event % 32)) &&
		    event != ARMV8_PMUV3_PERFCTR_CHAIN)
			return event;
	return -1;
}

/* An event below 0x40 that some host PMU lists and another does not, or -1. */
static long event_one_pmu_lacks(void)
{
	uint64_t any[2] = {}, all[2] = { ~0ULL, ~0ULL };

	for (int i = 0; i < pmu_count; i++) {
		for (int r = 0; r < 2; r++) {
			any[r] |= pmus[i].pmceid[r];
			all[r] &= pmus[i].pmceid[r];
		}
	}
	for (long event = 1; event < 0x40; event++) {
		uint64_t bit = BIT_ULL(event % 32);

		if ((any[event / 32] & bit) && !(all[event / 32] & bit) &&
		    event != ARMV8_PMUV3_PERFCTR_CHAIN)
			return event;
	}
	return -1;
}

/* An event no host PMU implements: accepted, counts 0 on every cluster. */
TEST_F_TIMEOUT(hetero, event_no_pmu_implements_counts_nowhere, TEST_SECONDS)
{
	long event = event_no_pmu_has();

	if (event < 0)
		SKIP(return, "every common event is implemented by some host PMU");
	vm_setup(&self->t, guest_probe_event, cpu_a(), true, -1);
	self->created = true;
	expect_counted_nowhere(_metadata, &self->t, event);
}

/*
 * An event one host PMU lacks counts nowhere (issue 14's rule). Skips
 * where the host PMUs list the same common events, as on the split-PMU
 * rig, whose QEMU gives every CPU the events of -cpu max.
 */
TEST_F_TIMEOUT(hetero, event_one_pmu_lacks_counts_nowhere, TEST_SECONDS)
{
	long event = event_one_pmu_lacks();

	if (event < 0)
		SKIP(return, "the host PMUs implement the same common events (the split-PMU rig's QEMU gives every CPU those of -cpu max): no event lacks on one PMU");
	vm_setup(&self->t, guest_probe_event, cpu_a(), true, -1);
	self->created = true;
	expect_counted_nowhere(_metadata, &self->t, event);
}

/*
 * KVM_RUN of a vCPU whose VM chose host PMU @chosen (SET_PMU) on @cpu,
 * outside that PMU's CPUs: stock KVM's KVM_EXIT_FAIL_ENTRY.
 */
static void expect_fail_entry(struct __test_metadata *_metadata, struct kvm_vcpu *vcpu,
			      int cpu)
{
	struct kvm_run *run = vcpu->run;
	int rc;

	pin_to_cpu(cpu);
	rc = ioctl(vcpu->fd, KVM_RUN, NULL);
	ksft_print_msg("KVM_RUN on CPU %d: %d (%s), exit_reason %u, fail_entry reason 0x%llx cpu %u\n",
		       cpu, rc, rc ? strerror(errno) : "ok", run->exit_reason,
		       run->fail_entry.hardware_entry_failure_reason, run->fail_entry.cpu);
	EXPECT_EQ(0, rc);
	EXPECT_EQ(KVM_EXIT_FAIL_ENTRY, run->exit_reason);
	EXPECT_EQ(KVM_EXIT_FAIL_ENTRY_CPU_UNSUPPORTED,
		  run->fail_entry.hardware_entry_failure_reason);
	EXPECT_EQ(cpu, (int)run->fail_entry.cpu);
}

/*
 * A VMM that chooses a host PMU (SET_PMU, as kvmtool-style VMMs do) and
 * does not pin its vCPU thread: the VM stays partitioned with the
 * partition's N, runs on the chosen PMU's CPUs, and, as with stock KVM,
 * fails entry (KVM_EXIT_FAIL_ENTRY) where the scheduler puts it on
 * another PMU's CPU; the failed entry costs the guest no count.
 */
TEST_F_TIMEOUT(hetero, set_pmu_keeps_the_partition_on_the_chosen_pmu, TEST_SECONDS)
{
	uint64_t before[32], after[32], baseline, n, pmcr, attr_n = ~0ULL;
	int err;

	err = vm_setup(&self->t, guest_count_across_exits, cpu_a(), true, pmus[0].type);
	self->created = true;
	ASSERT_EQ(0, err);
	vcpu_get_reg(self->t.vcpu, KVM_ARM64_SYS_REG(SYS_PMCR_EL0), &pmcr);
	EXPECT_EQ(0, pmu_attr(self->t.vcpu, KVM_GET_DEVICE_ATTR,
			      KVM_PMU_PARTITION_ATTR_PARTITIONED, &attr_n));
	ksft_print_msg("SET_PMU %s: PMCR_EL0.N %lu, attribute N %ld, expected %ld\n",
		       pmus[0].name, FIELD_GET(ARMV8_PMU_PMCR_N, pmcr), (long)attr_n,
		       expected_hpmn);
	EXPECT_EQ(expected_hpmn, (long)FIELD_GET(ARMV8_PMU_PMCR_N, pmcr));
	EXPECT_EQ(expected_hpmn, (long)attr_n);

	ASSERT_TRUE(count_round(&self->t, cpu_a(), before, &n));
	ASSERT_TRUE(count_round(&self->t, cpu_a(), after, &n));
	baseline = after[0] - before[0];
	memcpy(before, after, sizeof(after));
	expect_fail_entry(_metadata, self->t.vcpu, cpu_b());
	ASSERT_TRUE(count_round(&self->t, cpu_a(), after, &n));
	ksft_print_msg("counter 0 round on CPU %d: +%lu, after the failed entry on CPU %d: +%lu; PMCCNTR +%lu\n",
		       cpu_a(), baseline, cpu_b(), after[0] - before[0],
		       after[CYCLE_INDEX] - before[CYCLE_INDEX]);
	EXPECT_EQ(expected_hpmn, (long)n);
	if (icount && hosts_count_instructions())
		EXPECT_EQ(baseline, after[0] - before[0]);
	EXPECT_GE(after[CYCLE_INDEX] - before[CYCLE_INDEX], icount ? COUNT_LOOP : 1);
	EXPECT_LT(after[CYCLE_INDEX] - before[CYCLE_INDEX], ROUND_LIMIT);
}

/*
 * Stock KVM, for comparison: a VM that did not choose the mode while the
 * module's default is emulated, after SET_PMU, runs on that PMU's CPUs
 * and fails entry elsewhere. Runs only with default_mode=emulated.
 */
TEST_F_TIMEOUT(hetero, set_pmu_stock_vm_fails_entry_on_the_other_pmu, TEST_SECONDS)
{
	uint64_t snapshot[32], n, pmcr;
	char mode[32];

	read_default_mode(mode, sizeof(mode));
	if (strcmp(mode, "emulated"))
		SKIP(return, "needs the module loaded with default_mode=emulated (it is '%s')", mode);
	ASSERT_EQ(0, vm_setup(&self->t, guest_count_across_exits, cpu_a(), false,
			      pmus[0].type));
	self->created = true;
	EXPECT_EQ(ENXIO, pmu_attr(self->t.vcpu, KVM_GET_DEVICE_ATTR,
				  KVM_PMU_PARTITION_ATTR_PARTITIONED, NULL));
	vcpu_get_reg(self->t.vcpu, KVM_ARM64_SYS_REG(SYS_PMCR_EL0), &pmcr);
	ksft_print_msg("stock VM, SET_PMU %s: PMCR_EL0.N %lu\n", pmus[0].name,
		       FIELD_GET(ARMV8_PMU_PMCR_N, pmcr));
	ASSERT_TRUE(count_round(&self->t, cpu_a(), snapshot, &n));
	EXPECT_EQ(FIELD_GET(ARMV8_PMU_PMCR_N, pmcr), n);
	expect_fail_entry(_metadata, self->t.vcpu, cpu_b());
	ASSERT_TRUE(count_round(&self->t, cpu_a(), snapshot, &n));
}

int main(int argc, char *argv[])
{
	const char *env = getenv("RIG_ICOUNT");

	if (argc < 2 || (strcmp(argv[1], "default") && strcmp(argv[1], "attribute"))) {
		fprintf(stderr, "usage: %s default|attribute [harness option...]\n", argv[0]);
		return KSFT_FAIL;
	}
	by_attribute = !strcmp(argv[1], "attribute");
	icount = env && !strcmp(env, "1");
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_PMU_V3));
	find_host_pmus();
	if (pmu_count < 2) {
		ksft_print_msg("%d armv8 PMU(s): not a heterogeneous host\n", pmu_count);
		return KSFT_SKIP;
	}
	read_expectations();
	for (int i = 0; i < pmu_count; i++)
		ksft_print_msg("host PMU %s: type %d, CPUs %s%s\n", pmus[i].name, pmus[i].type,
			       pmus[i].cpus, pmus[i].inst_retired ? ", INST_RETIRED" : "");
	ksft_print_msg("VMs %s; expected HPMN %ld, PMUVer %ld; -icount %s\n",
		       by_attribute ? "choose the partition with the attribute" :
				      "rely on default_mode",
		       expected_hpmn, expected_pmuver, icount ? "yes" : "no");

	/* The harness parses what follows the argument. */
	argv[1] = argv[0];
	return rig_harness_run(argc - 1, argv + 1);
}
