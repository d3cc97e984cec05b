// SPDX-License-Identifier: GPL-2.0-only
/*
 * The partitioned PMU (docs/partition.md) on the rig.
 *
 * Usage: partitioned_pmu stock [OPTION...] (stock KVM emulation: no module
 *                                loaded, or loaded with default_mode=emulated)
 *        partitioned_pmu fgt [OPTION...]   (loaded with default_mode=partitioned
 *                                reserved_host_counters=2, fgt=auto)
 *        partitioned_pmu trap [OPTION...]  (the same with fgt=off, or on a
 *                                host without FEAT_FGT)
 * The OPTIONs are the kselftest harness's (kselftest_harness.h): -l lists
 * the tests, -f FIXTURE, -t TEST or -r FIXTURE.TEST runs only those.
 *
 * The guest-side checks (exact counting, host perf untouched by a guest's
 * PMU writes, two VMs on one CPU, no counting at EL2, the sanitised
 * PMCEID/PMMIR view, ONE_REG state and migration) state rules that stock
 * KVM's emulation also keeps, so "stock" runs them there to validate the
 * harness; the one stock KVM does not keep (live counters restored into a
 * new VM) has a stock twin that checks 6.12's behaviour instead. The module
 * modes run them on VMs the module partitions (default_mode=partitioned),
 * check that every such VM was partitioned, and add the attribute, claim
 * and sysfs rules of the module. Every check fails if its rule is broken:
 * module builds with the partition's HPMN, its counter save or its EL2
 * filtering broken fail the host-perf, two-VM/migration and EL2 checks.
 *
 * Each test runs in a process of its own (the harness forks it): its
 * fixture's setup creates the VMs and host perf events it needs, the test
 * runs them and checks, the teardown destroys them, so one test's failure
 * leaves nothing behind for the next. A test that does not apply to the
 * mode, the host or the QEMU clock is skipped with the reason: the
 * module's rules in stock mode, stock 6.12's in the module modes, the
 * other trap policy's and fast path setting's checks, exact counts
 * without -icount, PMMIR_EL1 on a guest PMU older than PMUv3p4
 * (neoverse-n1). In the module modes each test checks that the VMs it
 * runs were partitioned, with PMCR_EL0.N = the host's counters minus the
 * reservation (docs/partition.md "Enabling it", "What the guest sees").
 *
 * Isolation between the guest's counters [0, HPMN) and the host's
 * [HPMN, N) means something only because the rig's QEMU is patched to
 * enforce the Arm ARM's MDCR_EL2.HPMN rules (docs/qemu.md): stock QEMU lets
 * EL1 reach the host's counters. The checks that rely on it say so.
 *
 * QEMU implements INST_RETIRED only under -icount (rig.md: make check runs
 * with --icount); without it the host PMU does not advertise the event
 * (no events/inst_retired in sysfs) and the checks that need it are
 * skipped, since they could not fail.
 *
 * Unless a test says otherwise it covers every host the plans run it on
 * (-cpu max with FEAT_FGT, -cpu neoverse-n1 without, EL3 present, the
 * split-PMU rig), with and without -icount, on CPU 0.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>

#include <uapi/linux/kvm_pmu_partition.h>

#include "kselftest.h"
#include "pmu_test.h"
#include <gic.h>
#include "rig_harness.h"

#define SYSFS			KVM_PMU_PARTITION_SYSFS_DIR

#define LOOP_K			10000	/* iterations of the counted loop */
#define HVC_K			200	/* HVCs of the EL2 check */
#define HAMMER_K		100	/* iterations of the PMU-hammering guest */
#define HOST_LOOP		100000	/* the host's own counted loop */
#define SHARE_ROUNDS		150	/* exits of each of the two VMs */
#define MIGRATIONS		20
#define MIGRATION_LOOP		5000
/*
 * Under -icount QEMU runs the vCPUs round-robin on one instruction count:
 * a counter also counts what another vCPU executes while it is enabled
 * (measured on the rig: a spinner on CPU 1 adds about 10^6 to a per-task
 * count on CPU 0, a timer tick there about 3,600). That only ever adds,
 * so exact checks take the least of REPEATS identical measurements.
 */
#define REPEATS			5

/*
 * Seconds one test may take before the harness kills it (its default is
 * 30), by the rig's clock: under -icount one emulated instruction per
 * nanosecond, without it about wall time. The whole binary took at most
 * 1.0 s on check.plan's rig (-icount), 15 s on the debug kernel under
 * -icount and 25 s on it without (debug.plan; measured 2026-12-08), so a
 * test that has not ended in 60 s hangs. Less than check.plan's timeout=
 * for the binary (120): a hung test is reported by name and the rest run.
 */
#define TEST_SECONDS		60

enum mode { MODE_STOCK, MODE_FGT, MODE_TRAP };
static enum mode mode;
static bool module_mode;
static bool icount;			/* RIG_ICOUNT=1: QEMU counts exactly */
static struct host_pmu pmu;		/* the host's armv8 PMU */
static unsigned int host_counters;	/* event counters of the host PMU */
static unsigned int smallest_counters;	/* of the smallest host PMU (HPMN's base) */
static uint64_t expected_n;		/* PMCR_EL0.N of a partitioned guest */

/* Why a test of a rule of the module's modes skips in stock mode. */
#define NOT_IN_STOCK_MODE	"stock mode: a rule of the module's modes"

/* EXPECT_ERRNO(), ASSERT_ERRNO(): rig_harness.h. */

/* ---------------------------------------------------------------- host side */

/* write(2) of @value to a sysfs file: 0 or the errno. */
static int write_sysfs(const char *file, const char *value)
{
	char path[256];

	snprintf(path, sizeof(path), SYSFS "/%s", file);
	return write_file(path, value);
}

/* Bit e of the result: the host PMU driver shows event e (< 0x40). */
static uint64_t host_event_bitmap(void)
{
	char path[512], buf[64];
	uint64_t events = 0;
	struct dirent *d;
	unsigned int e;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/events", pmu.name);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/events/%s",
			 pmu.name, d->d_name);
		if (read_line(path, buf, sizeof(buf)) &&
		    sscanf(buf, "event=%x", &e) == 1 && e < 64)
			events |= BIT_ULL(e);
	}
	closedir(dir);
	return events;
}

/* Pinned CPU-wide INST_RETIRED events on @cpu: how many got a counter. */
static int count_scheduled(int *fds, int count, int cpu, bool *last_scheduled)
{
	volatile unsigned long spin;
	struct perf_count c;
	int i, scheduled = 0;

	pin_to_cpu(cpu);
	for (spin = 0; spin < 200000; spin++)
		;
	for (i = 0; i < count; i++) {
		c = read_event(fds[i]);
		if (c.read_ok && c.running > 0)
			scheduled++;
		*last_scheduled = c.read_ok && c.running > 0;
	}
	return scheduled;
}

static void close_events(int *fds, int count)
{
	while (count--)
		if (fds[count] >= 0)
			close(fds[count]);
}

/* @count pinned CPU-wide INST_RETIRED events on @cpu; false if one failed. */
static bool open_cpu_events(int *fds, int count, int cpu)
{
	int i;

	for (i = 0; i < count; i++) {
		fds[i] = open_host_el0_event(&pmu, ARMV8_PMUV3_PERFCTR_INST_RETIRED, -1, cpu,
					     false);
		if (fds[i] < 0) {
			ksft_print_msg("perf_event_open on CPU %d: %s\n", cpu, strerror(errno));
			close_events(fds, i);
			return false;
		}
	}
	return true;
}

/* --------------------------------------------------------------- the VMs */

/* The same with its PMU initialised, optionally after an event filter. */
static void tvm_create(struct tvm *t, void *guest_code,
		       struct kvm_pmu_event_filter *filter)
{
	tvm_add(t, guest_code, true);
	if (filter)
		TEST_ASSERT(!pmu_attr(t->vcpu, KVM_SET_DEVICE_ATTR,
				      KVM_ARM_VCPU_PMU_V3_FILTER, filter),
			    "event filter: %s", strerror(errno));
	pmu_vcpu_init(t->vcpu);
}

/*
 * Whether the VM of @vcpu, after its first run, is what the mode wants:
 * in the module modes partitioned by default_mode=partitioned at its first
 * KVM_RUN, with PMCR_EL0.N = the host's counters minus the reservation
 * (docs/partition.md "Enabling it", "What the guest sees"); any VM in
 * stock mode. Prints what differs.
 */
static bool vm_as_the_mode_wants(struct kvm_vcpu *vcpu, const char *vm)
{
	uint64_t n = ~0ULL, pmcr = 0;
	int err;

	if (!module_mode)
		return true;
	err = pmu_attr(vcpu, KVM_GET_DEVICE_ATTR, KVM_PMU_PARTITION_ATTR_PARTITIONED, &n);
	vcpu_get_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMCR_EL0), &pmcr);
	if (!err && n == expected_n && FIELD_GET(ARMV8_PMU_PMCR_N, pmcr) == expected_n)
		return true;
	ksft_print_msg("%s: VM not partitioned as expected: GET attr %s, N %lu, PMCR_EL0.N %lu, expected N %lu\n",
		       vm, err ? strerror(err) : "ok", n,
		       FIELD_GET(ARMV8_PMU_PMCR_N, pmcr), expected_n);
	return false;
}

#define EXPECT_VM_AS_THE_MODE_WANTS(vcpu, vm)	EXPECT_TRUE(vm_as_the_mode_wants(vcpu, vm))

static int set_partitioned(struct kvm_vcpu *vcpu)
{
	return pmu_attr(vcpu, KVM_SET_DEVICE_ATTR, KVM_PMU_PARTITION_ATTR_PARTITIONED, NULL);
}

/* ------------------------------------------------------- guest helpers */

static uint64_t guest_pmcr_n(void)
{
	return FIELD_GET(ARMV8_PMU_PMCR_N, read_sysreg(pmcr_el0));
}

/* --------------------------------------------------- the module's set-up */

FIXTURE(module_config) {
	char expected_policy[8];
};

FIXTURE_SETUP(module_config)
{
	if (!module_mode)
		SKIP(return, NOT_IN_STOCK_MODE);
	snprintf(self->expected_policy, sizeof(self->expected_policy), "%s",
		 mode == MODE_FGT ? "fgt" : "trap");
}

FIXTURE_TEARDOWN(module_config)
{
}

/*
 * Rule: the module runs the configuration the plan loaded:
 * default_mode=partitioned, two counters reserved, and the trap policy
 * the mode argument names (fgt: FEAT_FGT; trap: fgt=off, or a host
 * without FEAT_FGT). Covers the module modes; skipped in stock mode.
 */
TEST_F_TIMEOUT(module_config, module_loaded_partitioned_with_the_modes_trap_policy,
	       TEST_SECONDS)
{
	char default_mode[64] = "?", trap_policy[64] = "?";

	read_line(SYSFS "/default_mode", default_mode, sizeof(default_mode));
	read_line(SYSFS "/trap_policy", trap_policy, sizeof(trap_policy));
	ksft_print_msg("default_mode %s, trap_policy %s (expected %s), reserved_host_counters %ld, guest counters %lu of %u\n",
		       default_mode, trap_policy, self->expected_policy,
		       read_sysfs_long("reserved_host_counters"), expected_n, host_counters);
	EXPECT_STREQ(KVM_PMU_PARTITION_MODE_PARTITIONED, default_mode);
	EXPECT_STREQ(self->expected_policy, trap_policy);
	EXPECT_EQ(2, read_sysfs_long("reserved_host_counters"));
	EXPECT_EQ(smallest_counters - 2, expected_n);
}

/* ------------------------------------------------------------- counting */

/*
 * Counts a loop of @iterations x LOOP_INSNS instructions on counter 0
 * (INST_RETIRED at EL0/EL1) and the cycle counter. Between the two PMCR
 * writes only the loop runs, identically for every @iterations.
 */
static void guest_measure_loop(uint64_t iterations, uint64_t *inst, uint64_t *cycles)
{
	write_sysreg(0, pmcr_el0);
	write_sysreg(ARMV8_PMUV3_PERFCTR_INST_RETIRED, pmevtyper0_el0);
	write_sysreg(0, pmccfiltr_el0);
	guest_count_nop_loop(iterations, inst, cycles);
}

static void guest_count_loops(void)
{
	struct loop_counts least = guest_least_counts(guest_measure_loop, LOOP_K, REPEATS);
	uint64_t prev, now, first, not_increasing = 0;

	/* The cycle counter, read while it counts, only goes up. */
	write_sysreg(ARMV8_PMU_PMCR_LC | ARMV8_PMU_PMCR_E, pmcr_el0);
	isb();
	first = prev = read_sysreg(pmccntr_el0);
	for (int r = 0; r < 16; r++) {
		for (int i = 0; i < 200; i++)
			asm volatile("nop");
		now = read_sysreg(pmccntr_el0);
		not_increasing += now <= prev;
		prev = now;
	}
	write_sysreg(ARMV8_PMU_PMCR_LC, pmcr_el0);
	isb();
	ucall(UCALL_SYNC, 7, guest_pmcr_n(), least.inst1, least.cycles1,
	      least.inst2, least.cycles2,
	      not_increasing, now - first);
	GUEST_DONE();
}

/*
 * Rule: a partitioned guest's counters count its own execution exactly
 * (docs/partition.md "What the guest sees"). Difference method: the
 * count of a 2K-iteration loop minus that of a K-iteration loop is exactly
 * K x LOOP_INSNS under -icount, whatever the fixed cost of starting and
 * stopping the counters (least of REPEATS each). CPU_CYCLES under -icount
 * shift=0 is QEMU's virtual clock, one tick per emulated instruction at
 * the counted ELs.
 */
FIXTURE(counting) {
	struct tvm t;
	bool ran;		/* the guest reached both its ucalls */
	uint64_t inst1, cycles1, inst2, cycles2, not_increasing, read_span;
};

FIXTURE_SETUP(counting)
{
	pin_to_cpu(0);
	tvm_create(&self->t, guest_count_loops, NULL);
}

FIXTURE_TEARDOWN(counting)
{
	tvm_destroy(&self->t);
}

static void counting_run(struct __test_metadata *_metadata, FIXTURE_DATA(counting) *self)
{
	struct ucall uc;

	self->ran = run_to_ucall(self->t.vcpu, &uc) == UCALL_SYNC;
	EXPECT_VM_AS_THE_MODE_WANTS(self->t.vcpu, "counting");
	self->inst1 = uc.args[1];
	self->cycles1 = uc.args[2];
	self->inst2 = uc.args[3];
	self->cycles2 = uc.args[4];
	self->not_increasing = uc.args[5];
	self->read_span = uc.args[6];
	ksft_print_msg("N %lu; INST_RETIRED %lu (K) %lu (2K); CPU_CYCLES %lu (K) %lu (2K); expected difference %lu\n",
		       uc.args[0], self->inst1, self->inst2, self->cycles1, self->cycles2,
		       (uint64_t)LOOP_K * LOOP_INSNS);
	ksft_print_msg("16 reads of a counting PMCCNTR: %lu not above the previous one, %lu cycles from first to last\n",
		       self->not_increasing, self->read_span);
	if (self->ran)
		self->ran = run_to_ucall(self->t.vcpu, &uc) == UCALL_DONE;
}

/* Covers: a host PMU with INST_RETIRED, under -icount (exact). */
TEST_F_TIMEOUT(counting, inst_retired_difference_is_exact, TEST_SECONDS)
{
	if (!pmu.inst_retired)
		SKIP(return, "the host PMU has no INST_RETIRED: QEMU without -icount");
	if (!icount)
		SKIP(return, "not under -icount: inst_retired_difference_within_1_percent");
	counting_run(_metadata, self);
	EXPECT_TRUE(self->ran);
	EXPECT_EQ((uint64_t)LOOP_K * LOOP_INSNS, self->inst2 - self->inst1);
}

/* Covers: a host PMU with INST_RETIRED, not under -icount (real hardware). */
TEST_F_TIMEOUT(counting, inst_retired_difference_within_1_percent, TEST_SECONDS)
{
	uint64_t expected = (uint64_t)LOOP_K * LOOP_INSNS;

	if (!pmu.inst_retired)
		SKIP(return, "the host PMU has no INST_RETIRED: QEMU without -icount");
	if (icount)
		SKIP(return, "under -icount: inst_retired_difference_is_exact");
	counting_run(_metadata, self);
	EXPECT_TRUE(self->ran);
	EXPECT_LE(expected * 99, (self->inst2 - self->inst1) * 100);
	EXPECT_GE(expected * 101, (self->inst2 - self->inst1) * 100);
}

/* The cycle counter counts, and only goes up while it counts. Covers: any clock. */
TEST_F_TIMEOUT(counting, cpu_cycles_nonzero_and_monotonic, TEST_SECONDS)
{
	counting_run(_metadata, self);
	EXPECT_TRUE(self->ran);
	EXPECT_LT(0, self->cycles1);
	EXPECT_GT(self->cycles2, self->cycles1);
	EXPECT_EQ(0, self->not_increasing);
}

/*
 * Measured on stock KVM under -icount: the two differences are equal;
 * allow 0.1% for QEMU's clock bookkeeping. Covers: -icount.
 */
TEST_F_TIMEOUT(counting, cpu_cycles_difference_matches_inst_retired, TEST_SECONDS)
{
	uint64_t inst_diff, cycle_diff;

	if (!icount || !pmu.inst_retired)
		SKIP(return, "needs -icount");
	counting_run(_metadata, self);
	inst_diff = self->inst2 - self->inst1;
	cycle_diff = self->cycles2 - self->cycles1;
	ksft_print_msg("CPU_CYCLES difference %lu, INST_RETIRED difference %lu\n",
		       cycle_diff, inst_diff);
	EXPECT_TRUE(self->ran);
	EXPECT_LE(inst_diff * 999, cycle_diff * 1000);
	EXPECT_GE(inst_diff * 1001, cycle_diff * 1000);
}

/* ------------------------------------------------ host perf vs the guest */

/* Set by the host between runs (sync_global_to_guest). */
static uint64_t guest_hammer;

static void guest_hammer_pmu(void)
{
	uint64_t n = guest_pmcr_n();
	int k, i;

	GUEST_SYNC(0);
	for (;;) {
		for (k = 0; k < HAMMER_K; k++) {
			if (!READ_ONCE(guest_hammer)) {
				for (i = 0; i < 8; i++)
					asm volatile("nop");
				continue;
			}
			write_sysreg(ARMV8_PMU_PMCR_P | ARMV8_PMU_PMCR_C |
				     ARMV8_PMU_PMCR_E, pmcr_el0);
			isb();
			(void)read_sysreg(pmcr_el0);
			write_sysreg(~0UL, pmswinc_el0);
			write_sysreg(~0UL, pmcntenset_el0);
			for (i = 0; i < (int)n; i++)
				write_pmevcntrn(i, 0xffffff00UL + k);
			write_sysreg(0xffffff00UL + k, pmccntr_el0);
			write_sysreg(0, pmselr_el0);
			isb();
			write_sysreg(0x12345, pmxevcntr_el0);
			write_sysreg(ARMV8_PMU_PMCR_P | ARMV8_PMU_PMCR_C, pmcr_el0);
			isb();
		}
		GUEST_SYNC(1);
	}
}

/* The `<fast> <full>` counts of one register in the vCPU's traps file. */
static bool vcpu_traps(const char *reg, long *fast, long *full)
{
	char pattern[256], line[256], name[64];
	bool found = false;
	glob_t g;
	FILE *f;

	snprintf(pattern, sizeof(pattern), SYSFS "/vm/%d.*/vcpu0/traps", getpid());
	if (glob(pattern, 0, NULL, &g) || g.gl_pathc != 1) {
		ksft_print_msg("%s: %zu matches\n", pattern, g.gl_pathc);
		globfree(&g);
		return false;
	}
	f = fopen(g.gl_pathv[0], "r");
	globfree(&g);
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld %ld", name, fast, full) == 3 &&
		    !strcmp(name, reg)) {
			found = true;
			break;
		}
	fclose(f);
	return found;
}

/*
 * Rule: host perf keeps the counters [HPMN, N); PMCR_EL0.P/C/E,
 * PMSWINC_EL0, PMCNTENSET_EL0 and the counters a guest writes act on the
 * guest's counters only (docs/partition.md; the architecture's HPMN rules,
 * which the rig's QEMU is patched to enforce, docs/qemu.md). A pinned
 * INST_RETIRED event of the VMM's own thread, counting its user space,
 * must count the same whether the guest it runs hammers its PMU or not: a
 * leaked PMCR.P would zero the host's counter, a leaked E stop it. The
 * least of REPEATS rounds of each kind (see REPEATS); a leak in every
 * hammering round still shows. The same rounds count the vCPU's PMCR_EL0
 * traps for the module's trap rules.
 */
#define HOST_ROUNDS	REPEATS	/* clean rounds wanted of each kind */
#define HOST_ATTEMPTS	(4 * REPEATS)

FIXTURE(host_perf) {
	struct tvm t;
	bool guest_ok;			/* every run ended in the expected ucall */
	bool ran_all_the_time;		/* the host event never lost its counter */
	int clean[2];			/* rounds used, quiet and hammering */
	uint64_t least[2];		/* the least host count of each kind */
	bool traps_found;		/* the vCPU's traps file has a pmcr line */
	long fast, full;		/* its PMCR_EL0 traps */
	long hammering;			/* hammering iterations run */
};

FIXTURE_SETUP(host_perf)
{
	pin_to_cpu(0);
	tvm_create(&self->t, guest_hammer_pmu, NULL);
}

FIXTURE_TEARDOWN(host_perf)
{
	tvm_destroy(&self->t);
}

static void host_perf_run(struct __test_metadata *_metadata, FIXTURE_DATA(host_perf) *self)
{
	struct perf_count counts[2][HOST_ROUNDS], c[HOST_ATTEMPTS];
	int entries[HOST_ATTEMPTS], attempts, attempt, hammer, fd, rc, i;
	volatile unsigned long spin;
	struct ucall uc;

	self->guest_ok = true;
	self->ran_all_the_time = true;
	self->least[0] = ~0UL;
	self->least[1] = ~0UL;
	self->fast = -1;
	self->full = -1;
	/* The first run makes the VM partitioned and claims its counters. */
	self->guest_ok &= run_to_ucall(self->t.vcpu, &uc) == UCALL_SYNC;
	EXPECT_VM_AS_THE_MODE_WANTS(self->t.vcpu, "host_perf");

	fd = open_host_el0_event(&pmu, ARMV8_PMUV3_PERFCTR_INST_RETIRED, 0, -1, true);
	ASSERT_LE(0, fd) {
		TH_LOG("perf_event_open %s/0x8: %s", pmu.name, strerror(errno));
	}
	/* Bind errno's and the syscalls' PLT entries before measuring. */
	errno = 0;
	read_event(fd);
	for (attempt = 0; attempt < HOST_ATTEMPTS && self->guest_ok &&
	     (self->clean[0] < HOST_ROUNDS || self->clean[1] < HOST_ROUNDS); attempt++) {
		hammer = attempt % 2;
		guest_hammer = hammer;
		sync_global_to_guest(self->t.vm, guest_hammer);
		ioctl(fd, PERF_EVENT_IOC_RESET, 0);
		ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
		/* Measured: this loop, KVM_RUN, the read. */
		for (spin = 0; spin < HOST_LOOP; spin++)
			;
		rc = run_counting_entries(self->t.vcpu, &entries[attempt]);
		c[attempt] = read_event(fd);
		ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
		self->guest_ok &= !rc && get_ucall(self->t.vcpu, &uc) == UCALL_SYNC;
		self->ran_all_the_time &= c[attempt].read_ok && c[attempt].enabled > 0 &&
					  c[attempt].running == c[attempt].enabled;
		if (entries[attempt] > 1 || self->clean[hammer] == HOST_ROUNDS)
			continue;
		counts[hammer][self->clean[hammer]++] = c[attempt];
	}
	close(fd);
	/* Printed afterwards: the console's reader runs on the other vCPU. */
	attempts = attempt;
	for (attempt = 0; attempt < attempts; attempt++)
		ksft_print_msg("%s guest: host INST_RETIRED %lu, enabled %lu ns, running %lu ns%s\n",
			       attempt % 2 ? "hammering" : "quiet", c[attempt].value,
			       c[attempt].enabled, c[attempt].running,
			       entries[attempt] > 1 ? " (KVM_RUN re-entered: not used)" : "");
	for (hammer = 0; hammer < 2; hammer++)
		for (i = 0; i < self->clean[hammer]; i++)
			if (counts[hammer][i].read_ok)
				self->least[hammer] = min_u64(self->least[hammer],
							      counts[hammer][i].value);
	ksft_print_msg("least of %d rounds: quiet %lu, hammering %lu\n", HOST_ROUNDS,
		       self->least[0], self->least[1]);
	self->hammering = (long)(attempts / 2) * HAMMER_K;
	if (module_mode) {
		self->traps_found = vcpu_traps("pmcr", &self->fast, &self->full);
		if (!self->traps_found)
			ksft_print_msg("no pmcr line in the vCPU's traps file\n");
		ksft_print_msg("pmcr traps: %ld fast, %ld full; %ld writes, %ld reads\n",
			       self->fast, self->full, 2 * self->hammering, self->hammering);
	}
}

/* Covers: a host PMU with INST_RETIRED (-icount on the rig). */
TEST_F_TIMEOUT(host_perf, host_perf_count_unchanged_by_guest_pmu_writes, TEST_SECONDS)
{
	if (!pmu.inst_retired)
		SKIP(return, "no INST_RETIRED: QEMU without -icount");
	host_perf_run(_metadata, self);
	EXPECT_TRUE(self->guest_ok);
	EXPECT_EQ(HOST_ROUNDS, self->clean[0]);
	EXPECT_EQ(HOST_ROUNDS, self->clean[1]);
	EXPECT_EQ(self->least[0], self->least[1]);
	EXPECT_LT(HOST_LOOP, self->least[0]);
}

/* The host's pinned event kept its counter through every round. Covers: any host. */
TEST_F_TIMEOUT(host_perf, host_perf_event_had_a_counter_all_the_time, TEST_SECONDS)
{
	host_perf_run(_metadata, self);
	EXPECT_TRUE(self->guest_ok);
	EXPECT_TRUE(self->ran_all_the_time);
}

/*
 * Rule: with FEAT_FGT PMCR_EL0 reads are untrapped and its writes
 * trapped (they are sanitised); without (fgt=off) both are trapped
 * and emulated (docs/partition.md "Traps and context switch"), as the
 * vCPU's sysfs traps file counts. Each hammering iteration writes
 * PMCR_EL0 twice and reads it once; a lazy load adds a trap or two.
 * Covers: fgt mode (a host with FEAT_FGT).
 */
TEST_F_TIMEOUT(host_perf, fgt_mode_traps_pmcr_writes_not_reads, TEST_SECONDS)
{
	if (mode != MODE_FGT)
		SKIP(return, "%s", module_mode ?
		     "trap mode: trap_mode_traps_pmcr_reads_and_writes" : NOT_IN_STOCK_MODE);
	host_perf_run(_metadata, self);
	EXPECT_TRUE(self->guest_ok);
	EXPECT_TRUE(self->traps_found);
	EXPECT_LE(0, self->fast);
	EXPECT_LE(0, self->full);
	EXPECT_LE(2 * self->hammering, self->fast + self->full);
	EXPECT_GT(2 * self->hammering + self->hammering / 2, self->fast + self->full);
}

/* The same rule. Covers: trap mode (fgt=off, or a host without FEAT_FGT). */
TEST_F_TIMEOUT(host_perf, trap_mode_traps_pmcr_reads_and_writes, TEST_SECONDS)
{
	if (mode != MODE_TRAP)
		SKIP(return, "%s", module_mode ?
		     "fgt mode: fgt_mode_traps_pmcr_writes_not_reads" : NOT_IN_STOCK_MODE);
	host_perf_run(_metadata, self);
	EXPECT_TRUE(self->guest_ok);
	EXPECT_TRUE(self->traps_found);
	EXPECT_LE(3 * self->hammering, self->fast + self->full);
}

/*
 * Rule: with fast_path=1 the guest-exit path emulates every trapped
 * PMCR_EL0 access but the odd first one after a load. Covers: the module
 * modes loaded with fast_path=1 (the default).
 */
TEST_F_TIMEOUT(host_perf, fast_path_emulates_the_pmcr_traps, TEST_SECONDS)
{
	if (!module_mode)
		SKIP(return, NOT_IN_STOCK_MODE);
	if (read_sysfs_long("fast_path") != 1)
		SKIP(return, "fast_path=0: no_fast_path_emulation_with_fast_path_0");
	host_perf_run(_metadata, self);
	ksft_print_msg("%ld fast, %ld full\n", self->fast, self->full);
	EXPECT_TRUE(self->guest_ok);
	EXPECT_LE(2 * self->hammering, self->fast);
}

/*
 * Rule: with fast_path=0 the guest-exit path emulates none, and each
 * trapped access takes a full exit. Covers: the module modes loaded with
 * fast_path=0 (check.plan's partitioned_slow set-up).
 */
TEST_F_TIMEOUT(host_perf, no_fast_path_emulation_with_fast_path_0, TEST_SECONDS)
{
	if (!module_mode)
		SKIP(return, NOT_IN_STOCK_MODE);
	if (read_sysfs_long("fast_path") == 1)
		SKIP(return, "fast_path=1: fast_path_emulates_the_pmcr_traps");
	host_perf_run(_metadata, self);
	ksft_print_msg("%ld fast, %ld full\n", self->fast, self->full);
	EXPECT_TRUE(self->guest_ok);
	EXPECT_EQ(0, self->fast);
	EXPECT_LE(2 * self->hammering, self->full);
}

/* ------------------------------------------- two VMs sharing one CPU */

static uint64_t share_tag;	/* 0xa or 0xb, per VM */

static uint64_t share_counter(uint64_t tag, int i)
{
	return (tag << 28) | ((uint64_t)i << 20) | (0x5a5 + i);
}

static uint64_t share_type(uint64_t tag, int i)
{
	bool even = (i + (tag == 0xb)) % 2 == 0;

	return (even ? ARMV8_PMUV3_PERFCTR_INST_RETIRED : ARMV8_PMUV3_PERFCTR_CPU_CYCLES) |
	       (tag == 0xa ? ARMV8_PMU_EXCLUDE_EL0 : 0);
}

static void guest_static_pattern(void)
{
	uint64_t tag = READ_ONCE(share_tag), n = guest_pmcr_n(), bad, first_bad, value;
	/* Only the guest's counters' bits exist: N is 2 on the split rig. */
	uint64_t inten = tag == 0xa ? (BIT(0) | (n > 2 ? BIT(2) : 0)) : (BIT(1) | BIT(31));
	uint64_t sel = tag == 0xa ? 1 : 2;
	uint64_t cycles = (tag << 40) | 0xcc;
	int round, i;

	/* Counters disabled: every value below is static. */
	write_sysreg(0, pmcr_el0);
	write_sysreg(~0UL, pmcntenclr_el0);
	write_sysreg(~0UL, pmintenclr_el1);
	write_sysreg(~0UL, pmovsclr_el0);
	isb();
	for (i = 0; i < (int)n; i++) {
		write_pmevtypern(i, share_type(tag, i));
		write_pmevcntrn(i, share_counter(tag, i));
	}
	write_sysreg(cycles, pmccntr_el0);
	write_sysreg(inten, pmintenset_el1);
	write_sysreg(sel, pmselr_el0);
	isb();
	for (round = 0; round < SHARE_ROUNDS; round++) {
		bad = 0;
		first_bad = 0;
		for (i = 0; i < (int)n; i++) {
			value = read_pmevcntrn(i);
			if (value != share_counter(tag, i) && !bad++)
				first_bad = value;
			value = read_pmevtypern(i);
			if (value != share_type(tag, i) && !bad++)
				first_bad = value;
		}
		value = read_sysreg(pmccntr_el0);
		if (value != cycles && !bad++)
			first_bad = value;
		value = read_sysreg(pmintenset_el1);
		if (value != inten && !bad++)
			first_bad = value;
		value = read_sysreg(pmselr_el0);
		if (value != sel && !bad++)
			first_bad = value;
		ucall(UCALL_SYNC, 4, tag, round, bad, first_bad);
	}
	GUEST_DONE();
}

struct share_thread {
	struct tvm t;
	pthread_barrier_t *barrier;
	int cpu;
	uint64_t tag;
	long mismatches, rounds;
	bool ok;
};

static void *share_run(void *arg)
{
	struct share_thread *s = arg;
	struct ucall uc;
	uint64_t cmd;

	pin_to_cpu(s->cpu);
	pthread_barrier_wait(s->barrier);
	s->ok = true;
	for (;;) {
		cmd = run_to_ucall(s->t.vcpu, &uc);
		if (cmd == UCALL_DONE)
			break;
		if (cmd != UCALL_SYNC) {
			s->ok = false;
			break;
		}
		s->rounds++;
		if (uc.args[2]) {
			if (!s->mismatches)
				ksft_print_msg("VM %lx round %lu: %lu registers differ, first 0x%lx\n",
					       uc.args[0], uc.args[1], uc.args[2], uc.args[3]);
			s->mismatches += uc.args[2];
		}
		sched_yield();
	}
	return NULL;
}

/*
 * Rule: a vCPU's PMU state is its own: saved at vcpu_put and loaded into
 * a CPU before its next PMU access (docs/partition.md "Traps and context
 * switch"); the guest's counters are real hardware counters, so two VMs
 * time-sharing a CPU would see each other's values if a switch were
 * missed. Both vCPU threads are pinned to CPU 0 and yield after every
 * exit; each guest re-reads its own pattern every round.
 */
FIXTURE(two_vms) {
	struct share_thread s[2];
	pthread_barrier_t barrier;
};

FIXTURE_SETUP(two_vms)
{
	pin_to_cpu(0);
	pthread_barrier_init(&self->barrier, NULL, 2);
	for (int i = 0; i < 2; i++) {
		self->s[i].tag = i ? 0xb : 0xa;
		self->s[i].cpu = 0;
		self->s[i].barrier = &self->barrier;
		tvm_create(&self->s[i].t, guest_static_pattern, NULL);
		share_tag = self->s[i].tag;
		sync_global_to_guest(self->s[i].t.vm, share_tag);
	}
}

FIXTURE_TEARDOWN(two_vms)
{
	for (int i = 0; i < 2; i++)
		tvm_destroy(&self->s[i].t);
	pthread_barrier_destroy(&self->barrier);
}

/* Two VMs of 150 exits each, on CPU 0. Covers: any host; every counter the guest has. */
TEST_F_TIMEOUT(two_vms, two_vms_sharing_a_cpu_see_only_their_own_pmu_state, TEST_SECONDS)
{
	pthread_t threads[2];
	int i;

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, share_run, &self->s[i]));
	for (i = 0; i < 2; i++) {
		struct share_thread *s = &self->s[i];

		pthread_join(threads[i], NULL);
		EXPECT_VM_AS_THE_MODE_WANTS(s->t.vcpu, "two_vms");
		ksft_print_msg("VM %lx: %ld rounds, %ld mismatching registers\n",
			       s->tag, s->rounds, s->mismatches);
		EXPECT_TRUE(s->ok);
		EXPECT_EQ(SHARE_ROUNDS, s->rounds);
		EXPECT_EQ(0, s->mismatches);
	}
}

/* ------------------------------------------------------ no EL2 counting */

static void guest_measure_hvcs(uint64_t iterations, uint64_t *inst, uint64_t *cycles,
			       uint64_t *typer, uint64_t *filter)
{
	write_sysreg(0, pmcr_el0);
	/* P = U = 0 (count EL1 and EL0), NSH = 1: asks for EL2 too. */
	write_sysreg(ARMV8_PMUV3_PERFCTR_INST_RETIRED | ARMV8_PMU_INCLUDE_EL2,
		     pmevtyper0_el0);
	write_sysreg(ARMV8_PMU_INCLUDE_EL2, pmccfiltr_el0);
	isb();
	*typer = read_sysreg(pmevtyper0_el0);
	*filter = read_sysreg(pmccfiltr_el0);
	guest_count_hvc_loop(iterations, inst, cycles);
}

static void guest_hvcs(void)
{
	uint64_t inst1 = ~0UL, cycles1 = ~0UL, inst2 = ~0UL, cycles2 = ~0UL;
	uint64_t inst, cycles, typer, filter;

	for (int r = 0; r < REPEATS; r++) {
		guest_measure_hvcs(HVC_K, &inst, &cycles, &typer, &filter);
		inst1 = min_u64(inst1, inst);
		cycles1 = min_u64(cycles1, cycles);
		guest_measure_hvcs(2 * HVC_K, &inst, &cycles, &typer, &filter);
		inst2 = min_u64(inst2, inst);
		cycles2 = min_u64(cycles2, cycles);
	}
	ucall(UCALL_SYNC, 7, inst1, cycles1, inst2, cycles2, typer, filter,
	      (read_sysreg(id_aa64pfr0_el1) >> 8) & 0xf);
	GUEST_DONE();
}

/*
 * Rule: a guest cannot count at EL2: PMEVTYPER<n>_EL0 and PMCCFILTR_EL0
 * are trapped and sanitised (NSH never reaches the hardware) and
 * MDCR_EL2.HPMD/HCCD are set (docs/partition.md "What the guest sees").
 * The guest reads NSH back where its ID_AA64PFR0_EL1 shows EL2, as on
 * stock 6.12, which shows every VM the host's EL2. Each HVC is a full exit
 * through the host's EL2 (about 1,500 instructions on the rig, rig.md);
 * the counts of HVC_K and 2 x HVC_K iterations (least of REPEATS each) may
 * differ only by the guest's own HVC_LOOP_INSNS instructions per iteration.
 */
FIXTURE(no_el2_counting) {
	struct tvm t;
	bool ran;
	uint64_t inst_diff, cycle_diff, typer, filter, nsh;
};

FIXTURE_SETUP(no_el2_counting)
{
	pin_to_cpu(0);
	tvm_create(&self->t, guest_hvcs, NULL);
}

FIXTURE_TEARDOWN(no_el2_counting)
{
	tvm_destroy(&self->t);
}

static void no_el2_counting_run(struct __test_metadata *_metadata,
				FIXTURE_DATA(no_el2_counting) *self)
{
	struct ucall uc;

	self->ran = run_to_ucall(self->t.vcpu, &uc) == UCALL_SYNC;
	EXPECT_VM_AS_THE_MODE_WANTS(self->t.vcpu, "el2");
	self->inst_diff = uc.args[2] - uc.args[0];
	self->cycle_diff = uc.args[3] - uc.args[1];
	self->typer = uc.args[4];
	self->filter = uc.args[5];
	self->nsh = uc.args[6] ? ARMV8_PMU_INCLUDE_EL2 : 0;
	ksft_print_msg("%d more HVCs: INST_RETIRED +%lu, CPU_CYCLES +%lu (guest-only: %lu); PMEVTYPER0 0x%lx, PMCCFILTR 0x%lx\n",
		       HVC_K, self->inst_diff, self->cycle_diff,
		       (uint64_t)HVC_K * HVC_LOOP_INSNS, self->typer, self->filter);
	if (self->ran)
		self->ran = run_to_ucall(self->t.vcpu, &uc) == UCALL_DONE;
}

/*
 * Covers: a host PMU with INST_RETIRED; exact under -icount, at most
 * twice the guest's instructions without.
 */
TEST_F_TIMEOUT(no_el2_counting, event_counter_counts_no_el2_instructions, TEST_SECONDS)
{
	uint64_t expected = (uint64_t)HVC_K * HVC_LOOP_INSNS;

	if (!pmu.inst_retired)
		SKIP(return, "no INST_RETIRED: QEMU without -icount");
	no_el2_counting_run(_metadata, self);
	EXPECT_TRUE(self->ran);
	/* Exactly @expected under -icount; at most twice it without. */
	EXPECT_LE(icount ? expected : 0, self->inst_diff);
	EXPECT_GE(icount ? expected : 2 * expected, self->inst_diff);
}

/*
 * Without -icount CPU_CYCLES is time, whose share of an exit varies;
 * with it, one cycle per guest instruction (exact on stock KVM).
 * Covers: -icount.
 */
TEST_F_TIMEOUT(no_el2_counting, cycle_counter_counts_no_el2_cycles, TEST_SECONDS)
{
	if (!icount)
		SKIP(return, "needs -icount");
	no_el2_counting_run(_metadata, self);
	EXPECT_TRUE(self->ran);
	EXPECT_EQ((uint64_t)HVC_K * HVC_LOOP_INSNS, self->cycle_diff);
}

/* Stock and partitioned alike: NSH reads back iff the VM shows EL2. */
TEST_F_TIMEOUT(no_el2_counting, nsh_reads_back_where_the_vm_shows_el2, TEST_SECONDS)
{
	no_el2_counting_run(_metadata, self);
	EXPECT_TRUE(self->ran);
	EXPECT_EQ(self->nsh, self->typer & ARMV8_PMU_INCLUDE_EL2);
	EXPECT_EQ(ARMV8_PMUV3_PERFCTR_INST_RETIRED, self->typer & ARMV8_PMU_EVTYPE_EVENT);
	EXPECT_EQ(self->nsh, self->filter & ARMV8_PMU_INCLUDE_EL2);
}

/* ------------------------------------------------ PMCEID, PMMIR, filter */

static void guest_read_view(void)
{
	/* PMMIR_EL1 exists from PMUv3p4; before, it is UNDEFINED. */
	uint64_t pmuver = FIELD_GET(ARM64_FEATURE_MASK(ID_AA64DFR0_EL1_PMUVer),
				    read_sysreg(id_aa64dfr0_el1));
	uint64_t pmmir = pmuver >= ID_AA64DFR0_EL1_PMUVer_V3P4 ?
			 read_sysreg_s(SYS_PMMIR_EL1) : 0;

	ucall(UCALL_SYNC, 5, read_sysreg(pmceid0_el0), read_sysreg(pmceid1_el0),
	      pmmir, guest_pmcr_n(), pmuver);

	/* Counter 0: the denied INST_RETIRED; counter 1: CPU_CYCLES, allowed. */
	write_sysreg(0, pmcr_el0);
	write_pmevtypern(0, ARMV8_PMUV3_PERFCTR_INST_RETIRED);
	write_pmevtypern(1, ARMV8_PMUV3_PERFCTR_CPU_CYCLES);
	write_sysreg(BIT(0) | BIT(1), pmcntenset_el0);
	write_sysreg(ARMV8_PMU_PMCR_P | ARMV8_PMU_PMCR_E, pmcr_el0);
	isb();
	for (int i = 0; i < 10000; i++)
		asm volatile("nop");
	write_sysreg(0, pmcr_el0);
	isb();
	ucall(UCALL_SYNC, 3, read_pmevcntrn(0), read_pmevcntrn(1), read_pmevtypern(0));
	GUEST_DONE();
}

/*
 * Rule: PMCEID0/1_EL0 report the host's events minus those the VM's filter
 * denies and the STALL_SLOT family (0x3d-0x3f, as stock KVM, which also
 * keeps STALL, 0x3c); PMMIR_EL1 reads as zero; a denied event counts
 * nowhere while the guest reads back what it wrote (docs/partition.md
 * "What the guest sees"). On the rig the hardware's PMMIR_EL1 is 0 and
 * it has no STALL_SLOT events, so those two checks only catch a wrong
 * trap or emulation; the subset check is the one that catches a leak.
 * The VM's filter denies INST_RETIRED.
 */
FIXTURE(guest_view) {
	struct tvm t;
	bool ran, ran_counting;		/* the first ucall; the second too */
	uint64_t pmceid0, pmceid1, pmmir, host;
	uint64_t pmuver;		/* the guest's ID_AA64DFR0_EL1.PMUVer */
	bool vm_ok;			/* vm_as_the_mode_wants() */
	uint64_t denied_count, allowed_count, typer0;
};

FIXTURE_SETUP(guest_view)
{
	uint8_t storage[sizeof(struct kvm_pmu_event_filter)];
	struct kvm_pmu_event_filter *filter = (void *)storage;

	pin_to_cpu(0);
	memset(storage, 0, sizeof(storage));
	filter->base_event = ARMV8_PMUV3_PERFCTR_INST_RETIRED;
	filter->nevents = 1;
	filter->action = KVM_PMU_EVENT_DENY;
	tvm_create(&self->t, guest_read_view, filter);
}

FIXTURE_TEARDOWN(guest_view)
{
	tvm_destroy(&self->t);
}

/*
 * Runs the guest; each test checks self->vm_ok itself (pmmir_el1_reads_zero
 * decides whether to skip first).
 */
static void guest_view_run(FIXTURE_DATA(guest_view) *self)
{
	struct ucall uc;

	self->host = host_event_bitmap();
	self->ran = run_to_ucall(self->t.vcpu, &uc) == UCALL_SYNC;
	self->vm_ok = vm_as_the_mode_wants(self->t.vcpu, "guest_view");
	self->pmceid0 = uc.args[0];
	self->pmceid1 = uc.args[1];
	self->pmmir = uc.args[2];
	self->pmuver = uc.args[4];
	ksft_print_msg("guest PMCEID0 0x%lx PMCEID1 0x%lx PMMIR 0x%lx; host events 0x%lx\n",
		       self->pmceid0, self->pmceid1, self->pmmir, self->host);

	self->ran_counting = self->ran && run_to_ucall(self->t.vcpu, &uc) == UCALL_SYNC;
	self->denied_count = uc.args[0];
	self->allowed_count = uc.args[1];
	self->typer0 = uc.args[2];
	ksft_print_msg("denied INST_RETIRED counted %lu, CPU_CYCLES %lu; PMEVTYPER0 reads 0x%lx\n",
		       self->denied_count, self->allowed_count, self->typer0);
	if (self->ran_counting)
		run_to_ucall(self->t.vcpu, &uc);
}

/* Covers: a host PMU with INST_RETIRED (-icount on the rig). */
TEST_F_TIMEOUT(guest_view, pmceid0_hides_the_denied_inst_retired, TEST_SECONDS)
{
	if (!pmu.inst_retired)
		SKIP(return, "the host has no INST_RETIRED");
	guest_view_run(self);
	EXPECT_TRUE(self->vm_ok);
	EXPECT_TRUE(self->ran);
	EXPECT_EQ(0, self->pmceid0 & BIT(ARMV8_PMUV3_PERFCTR_INST_RETIRED));
}

/* Covers: any host; the events its PMU driver shows in sysfs. */
TEST_F_TIMEOUT(guest_view, pmceid_shows_no_event_beyond_the_host_minus_filter_and_stall_slot,
	       TEST_SECONDS)
{
	uint64_t allowed0, allowed1, stall_slot = GENMASK_ULL(31, 29);

	guest_view_run(self);
	EXPECT_TRUE(self->vm_ok);
	/*
	 * KVM always offers CHAIN, the PMU driver hides SW_INCR from sysfs
	 * (every PMUv3 has it); the filter takes INST_RETIRED away.
	 */
	allowed0 = ((self->host & GENMASK_ULL(31, 0)) | BIT_ULL(ARMV8_PMUV3_PERFCTR_CHAIN) |
		    BIT_ULL(ARMV8_PMUV3_PERFCTR_SW_INCR)) &
		   ~BIT_ULL(ARMV8_PMUV3_PERFCTR_INST_RETIRED);
	allowed1 = (self->host >> 32) & ~stall_slot;
	EXPECT_TRUE(self->ran);
	EXPECT_EQ(0, self->pmceid1 & stall_slot);
	EXPECT_EQ(0, self->pmceid0 & GENMASK_ULL(31, 0) & ~allowed0);
	EXPECT_EQ(0, self->pmceid1 & GENMASK_ULL(31, 0) & ~allowed1);
}

/* Covers: a guest PMU of PMUv3p4 or later (-cpu max), which has PMMIR_EL1. */
TEST_F_TIMEOUT(guest_view, pmmir_el1_reads_zero, TEST_SECONDS)
{
	guest_view_run(self);
	if (self->ran && self->vm_ok && self->pmuver < ID_AA64DFR0_EL1_PMUVer_V3P4)
		SKIP(return, "the guest's PMUVer is %lu, before PMUv3p4: no PMMIR_EL1",
		     self->pmuver);
	EXPECT_TRUE(self->vm_ok);
	EXPECT_TRUE(self->ran);
	EXPECT_EQ(0, self->pmmir);
}

/* Covers: a host PMU with INST_RETIRED (-icount on the rig). */
TEST_F_TIMEOUT(guest_view, denied_event_does_not_count_and_reads_back_as_written,
	       TEST_SECONDS)
{
	if (!pmu.inst_retired)
		SKIP(return, "the host has no INST_RETIRED");
	guest_view_run(self);
	EXPECT_TRUE(self->vm_ok);
	EXPECT_TRUE(self->ran_counting);
	EXPECT_EQ(0, self->denied_count);
	EXPECT_LT(0, self->allowed_count);
	EXPECT_EQ(ARMV8_PMUV3_PERFCTR_INST_RETIRED, self->typer0);
}

/* ------------------------------------------ ONE_REG state, migration */

#define STATE_CNTR0	0x12345678UL
#define STATE_CCNTR	0x1122334455667788UL
#define STATE_CNTEN	(BIT(0) | BIT(1) | BIT(31))
#define SET_CNTR0	0x07654321UL
#define SET_CCNTR	0x0000005566778899UL
#define SET_CNTEN	(BIT(0) | BIT(31))
#define PMCR_KEPT	(ARMV8_PMU_PMCR_N | ARMV8_PMU_PMCR_LC | ARMV8_PMU_PMCR_E)

static void guest_state(void)
{
	int m;

	write_sysreg(ARMV8_PMU_PMCR_LC, pmcr_el0);
	write_sysreg(~0UL, pmcntenclr_el0);
	write_sysreg(STATE_CNTEN, pmcntenset_el0);
	write_sysreg(ARMV8_PMUV3_PERFCTR_CPU_CYCLES, pmevtyper0_el0);
	write_sysreg(0, pmccfiltr_el0);
	write_sysreg(STATE_CNTR0, pmevcntr0_el0);
	write_sysreg(STATE_CCNTR, pmccntr_el0);
	isb();
	ucall(UCALL_SYNC, 5, 1, read_sysreg(pmevcntr0_el0), read_sysreg(pmccntr_el0),
	      read_sysreg(pmcr_el0), read_sysreg(pmcntenset_el0));
	/* The host has set the registers. */
	ucall(UCALL_SYNC, 5, 2, read_sysreg(pmevcntr0_el0), read_sysreg(pmccntr_el0),
	      read_sysreg(pmcr_el0), read_sysreg(pmcntenset_el0));
	for (m = 0; m < MIGRATIONS; m++)
		ucall(UCALL_SYNC, 3, 3, read_sysreg(pmevcntr0_el0), read_sysreg(pmccntr_el0));
	write_sysreg(read_sysreg(pmcr_el0) | ARMV8_PMU_PMCR_E, pmcr_el0);
	isb();
	for (m = 0; m < MIGRATIONS; m++) {
		for (int i = 0; i < MIGRATION_LOOP; i++)
			asm volatile("nop");
		ucall(UCALL_SYNC, 3, 4, read_sysreg(pmevcntr0_el0), read_sysreg(pmccntr_el0));
	}
	GUEST_DONE();
}

/*
 * Rule: KVM_GET/SET_ONE_REG of every PMU register read and set the
 * guest's values, and a vCPU moved to another CPU keeps its counts
 * (docs/partition.md "What the guest sees"). A partitioned guest's
 * values live in hardware while it runs, so GET must see what the guest
 * wrote, SET must reach the hardware before the guest's next access, and
 * a migration must carry them: exactly while stopped, increasing by at
 * least the loop (one cycle per instruction under -icount) while counting.
 * The guest goes through four stages, each test runs it as far as its
 * check: the guest's writes and GET, SET, MIGRATIONS migrations with the
 * counters stopped, MIGRATIONS more with them counting. The migrations
 * cover a host with more than one CPU (every rig).
 */
enum state_stage { STATE_GET = 1, STATE_SET, STATE_STOPPED, STATE_RUNNING };

FIXTURE(one_reg_state) {
	struct tvm t;
	int cpus;
	bool ran[STATE_RUNNING + 1];	/* the guest reached each stage's ucalls */
	bool get_ok, set_ok, stopped_exact, running_increasing;
};

FIXTURE_SETUP(one_reg_state)
{
	pin_to_cpu(0);
	self->cpus = sysconf(_SC_NPROCESSORS_ONLN);
	tvm_create(&self->t, guest_state, NULL);
}

FIXTURE_TEARDOWN(one_reg_state)
{
	tvm_destroy(&self->t);
}

/* Runs the guest through the stages up to @last; their verdicts in *self. */
static void one_reg_state_run(struct __test_metadata *_metadata,
			      FIXTURE_DATA(one_reg_state) *self, enum state_stage last)
{
	struct kvm_vcpu *vcpu = self->t.vcpu;
	uint64_t pmcr, cntr0, ccntr, prev0, prevc;
	struct ucall uc;
	bool ok;
	int m;

	ok = run_to_ucall(vcpu, &uc) == UCALL_SYNC && uc.args[0] == 1;
	EXPECT_VM_AS_THE_MODE_WANTS(vcpu, "state");
	cntr0 = get_reg(vcpu, SYS_PMEVCNTRn_EL0(0));
	ccntr = get_reg(vcpu, SYS_PMCCNTR_EL0);
	pmcr = get_reg(vcpu, SYS_PMCR_EL0);
	ksft_print_msg("guest wrote: PMEVCNTR0 0x%lx PMCCNTR 0x%lx PMCR 0x%lx PMCNTENSET 0x%lx; GET_ONE_REG: 0x%lx 0x%lx 0x%lx 0x%lx\n",
		       uc.args[1], uc.args[2], uc.args[3], uc.args[4], cntr0, ccntr, pmcr,
		       get_reg(vcpu, SYS_PMCNTENSET_EL0));
	self->ran[STATE_GET] = ok;
	self->get_ok = uc.args[1] == STATE_CNTR0 && uc.args[2] == STATE_CCNTR &&
		       uc.args[4] == STATE_CNTEN && cntr0 == STATE_CNTR0 &&
		       ccntr == STATE_CCNTR && (pmcr & PMCR_KEPT) == (uc.args[3] & PMCR_KEPT) &&
		       get_reg(vcpu, SYS_PMCNTENSET_EL0) == STATE_CNTEN;
	if (last == STATE_GET)
		return;

	vcpu_set_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMEVCNTRn_EL0(0)), SET_CNTR0);
	vcpu_set_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMCCNTR_EL0), SET_CCNTR);
	vcpu_set_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMCNTENCLR_EL0), ~0UL);
	vcpu_set_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMCNTENSET_EL0), SET_CNTEN);
	vcpu_set_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMCR_EL0), pmcr & ~ARMV8_PMU_PMCR_LC);
	ok = ok && run_to_ucall(vcpu, &uc) == UCALL_SYNC && uc.args[0] == 2;
	ksft_print_msg("after SET_ONE_REG the guest reads: PMEVCNTR0 0x%lx PMCCNTR 0x%lx PMCR 0x%lx PMCNTENSET 0x%lx\n",
		       uc.args[1], uc.args[2], uc.args[3], uc.args[4]);
	self->ran[STATE_SET] = ok;
	self->set_ok = uc.args[1] == SET_CNTR0 && uc.args[2] == SET_CCNTR &&
		       (uc.args[3] & PMCR_KEPT) == (pmcr & PMCR_KEPT & ~ARMV8_PMU_PMCR_LC) &&
		       uc.args[4] == SET_CNTEN;
	if (last == STATE_SET)
		return;

	self->stopped_exact = true;
	for (m = 0; ok && m < MIGRATIONS; m++) {
		pin_to_cpu(m % self->cpus);
		ok = run_to_ucall(vcpu, &uc) == UCALL_SYNC && uc.args[0] == 3;
		if (ok && (uc.args[1] != SET_CNTR0 || uc.args[2] != SET_CCNTR) &&
		    self->stopped_exact) {
			ksft_print_msg("stopped, on CPU %d: PMEVCNTR0 0x%lx PMCCNTR 0x%lx\n",
				       m % self->cpus, uc.args[1], uc.args[2]);
			self->stopped_exact = false;
		}
	}
	self->ran[STATE_STOPPED] = ok;
	if (last == STATE_STOPPED)
		return;

	self->running_increasing = true;
	prev0 = SET_CNTR0;
	prevc = SET_CCNTR;
	for (m = 0; ok && m < MIGRATIONS; m++) {
		uint64_t min = icount ? MIGRATION_LOOP : 1;

		pin_to_cpu(m % self->cpus);
		ok = run_to_ucall(vcpu, &uc) == UCALL_SYNC && uc.args[0] == 4;
		if (ok && (uc.args[1] < prev0 + min || uc.args[2] < prevc + min) &&
		    self->running_increasing) {
			ksft_print_msg("counting, on CPU %d: PMEVCNTR0 0x%lx after 0x%lx, PMCCNTR 0x%lx after 0x%lx\n",
				       m % self->cpus, uc.args[1], prev0, uc.args[2], prevc);
			self->running_increasing = false;
		}
		prev0 = uc.args[1];
		prevc = uc.args[2];
	}
	ok = ok && run_to_ucall(vcpu, &uc) == UCALL_DONE;
	self->ran[STATE_RUNNING] = ok;
}

/* GET after the guest's first run: its counters, PMCR_EL0, PMCNTENSET_EL0. */
TEST_F_TIMEOUT(one_reg_state, get_one_reg_returns_the_guest_values, TEST_SECONDS)
{
	one_reg_state_run(_metadata, self, STATE_GET);
	EXPECT_TRUE(self->ran[STATE_GET]);
	EXPECT_TRUE(self->get_ok);
}

/* SET between two runs: what the guest reads at its second. */
TEST_F_TIMEOUT(one_reg_state, set_one_reg_values_are_what_the_guest_reads, TEST_SECONDS)
{
	one_reg_state_run(_metadata, self, STATE_SET);
	EXPECT_TRUE(self->ran[STATE_SET]);
	EXPECT_TRUE(self->set_ok);
}

/* Counters stopped, the vCPU moved to CPU m % CPUs before each of 20 runs. */
TEST_F_TIMEOUT(one_reg_state, stopped_counts_stay_exact_across_20_migrations, TEST_SECONDS)
{
	one_reg_state_run(_metadata, self, STATE_STOPPED);
	EXPECT_TRUE(self->ran[STATE_STOPPED]);
	EXPECT_TRUE(self->stopped_exact);
	EXPECT_LT(1, self->cpus);
}

/* The same with the counters counting a loop of MIGRATION_LOOP between exits. */
TEST_F_TIMEOUT(one_reg_state, running_counts_keep_counting_across_20_migrations, TEST_SECONDS)
{
	one_reg_state_run(_metadata, self, STATE_RUNNING);
	EXPECT_TRUE(self->ran[STATE_RUNNING]);
	EXPECT_TRUE(self->running_increasing);
	EXPECT_LT(1, self->cpus);
}

/* ----------------------------------------------- restore before a run */

#define RESTORED_CNTR0	0x40000000UL
#define RESTORED_CCNTR	0x5000000000UL
#define RESTORE_LOOP	20000

/* Touches no PMU register before the loop: nothing loads the PMU lazily. */
static void guest_restored(void)
{
	for (int i = 0; i < RESTORE_LOOP; i++)
		asm volatile("nop");
	ucall(UCALL_SYNC, 3, 1, read_sysreg(pmevcntr0_el0), read_sysreg(pmccntr_el0));
	GUEST_DONE();
}

/*
 * Rule: a VMM restores a vCPU with KVM_SET_ONE_REG before the new VM's
 * first KVM_RUN (docs/partition.md "Saving and restoring a vCPU"), and the
 * guest continues from those values: counters the restored state has
 * counting count from the guest's first instruction, not from its first
 * PMU access. The guest runs a loop before it reads any PMU register; both
 * counters must have grown by at least the loop (CPU_CYCLES and the cycle
 * counter: at least one cycle per instruction under -icount).
 */
FIXTURE(restore_before_first_run) {
	struct tvm t;
};

/* The new VM, its PMU restored with CPU_CYCLES and the cycle counter counting. */
FIXTURE_SETUP(restore_before_first_run)
{
	struct kvm_vcpu *vcpu;
	uint64_t pmcr;

	pin_to_cpu(0);
	tvm_create(&self->t, guest_restored, NULL);
	vcpu = self->t.vcpu;
	pmcr = get_reg(vcpu, SYS_PMCR_EL0);
	vcpu_set_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMCR_EL0),
		     (pmcr & ARMV8_PMU_PMCR_N) | ARMV8_PMU_PMCR_LC | ARMV8_PMU_PMCR_E);
	vcpu_set_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMEVTYPERn_EL0(0)),
		     ARMV8_PMUV3_PERFCTR_CPU_CYCLES);
	vcpu_set_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMCCFILTR_EL0), 0);
	vcpu_set_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMEVCNTRn_EL0(0)), RESTORED_CNTR0);
	vcpu_set_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMCCNTR_EL0), RESTORED_CCNTR);
	vcpu_set_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMCNTENSET_EL0), BIT(0) | BIT(31));
}

FIXTURE_TEARDOWN(restore_before_first_run)
{
	tvm_destroy(&self->t);
}

/* Covers: any host; a loop of RESTORE_LOOP nops before the first PMU access. */
TEST_F_TIMEOUT(restore_before_first_run, restored_counters_count_from_the_first_instruction,
	       TEST_SECONDS)
{
	uint64_t cntr0, ccntr;
	struct ucall uc;
	bool ok;

	ok = run_to_ucall(self->t.vcpu, &uc) == UCALL_SYNC && uc.args[0] == 1;
	EXPECT_VM_AS_THE_MODE_WANTS(self->t.vcpu, "restore");
	cntr0 = uc.args[1];
	ccntr = uc.args[2];
	ksft_print_msg("restored PMEVCNTR0 0x%lx PMCCNTR 0x%lx; after a loop of %d: 0x%lx 0x%lx\n",
		       RESTORED_CNTR0, RESTORED_CCNTR, RESTORE_LOOP, cntr0, ccntr);
	EXPECT_TRUE(ok);
	EXPECT_LE(RESTORED_CNTR0 + RESTORE_LOOP, cntr0);
	EXPECT_GT(RESTORED_CNTR0 + 100 * RESTORE_LOOP, cntr0);
	EXPECT_LE(RESTORED_CCNTR + RESTORE_LOOP, ccntr);
	EXPECT_GT(RESTORED_CCNTR + 100 * RESTORE_LOOP, ccntr);
}

/* --------------------------------------------- live save and restore */

#define LIVE_LOOP	20000

/* Counts, live, a loop: counter 0 CPU_CYCLES, 1 INST_RETIRED, PMCCNTR. */
static void guest_live_before_save(void)
{
	write_sysreg(~0UL, pmcntenclr_el0);
	write_sysreg(~0UL, pmintenclr_el1);
	write_sysreg(~0UL, pmovsclr_el0);
	write_sysreg(ARMV8_PMUV3_PERFCTR_CPU_CYCLES, pmevtyper0_el0);
	write_sysreg(ARMV8_PMUV3_PERFCTR_INST_RETIRED, pmevtyper1_el0);
	write_sysreg(0, pmccfiltr_el0);
	write_sysreg(BIT(0) | BIT(1) | BIT(31), pmcntenset_el0);
	write_sysreg(ARMV8_PMU_PMCR_LC | ARMV8_PMU_PMCR_E, pmcr_el0);
	isb();
	for (int i = 0; i < LIVE_LOOP; i++)
		asm volatile("nop");
	/* Exits with the counters still counting. */
	ucall(UCALL_SYNC, 4, 1, read_sysreg(pmevcntr0_el0), read_sysreg(pmevcntr1_el0),
	      read_sysreg(pmccntr_el0));
	for (;;)
		GUEST_SYNC(2);
}

/* The restored guest: a loop first, then the counters and PMOVSSET; again. */
static void guest_live_after_restore(void)
{
	for (;;) {
		for (int i = 0; i < LIVE_LOOP; i++)
			asm volatile("nop");
		ucall(UCALL_SYNC, 5, 1, read_sysreg(pmevcntr0_el0),
		      read_sysreg(pmevcntr1_el0), read_sysreg(pmccntr_el0),
		      read_sysreg(pmovsset_el0));
	}
}

/*
 * Whether @after (the guest's counters after a loop of LIVE_LOOP) went on
 * from @before: under -icount by at least the loop and less than 100
 * times it; without it by at least a quarter of the loop (a wide core
 * retires more than one instruction a cycle, and the host may preempt
 * the vCPU in the loop).
 */
static bool live_counts_continue(const char *when, const uint64_t before[3],
				 const uint64_t after[3], bool *stopped)
{
	static const char * const names[] = { "PMEVCNTR0", "PMEVCNTR1", "PMCCNTR" };
	bool ok = true;

	*stopped = true;
	for (int c = 0; c < 3; c++) {
		if (c == 1 && !pmu.inst_retired)
			continue;	/* INST_RETIRED counts nothing without -icount */
		ksft_print_msg("%s: %s %lu, after a loop of %d: %lu (+%ld)\n", when,
			       names[c], before[c], LIVE_LOOP, after[c],
			       (long)(after[c] - before[c]));
		/* A cycle per instruction is the rig's rate, not silicon's. */
		ok &= after[c] >= before[c] + (icount ? LIVE_LOOP : LIVE_LOOP / 4) &&
		      (!icount || after[c] < before[c] + 100 * LIVE_LOOP);
		*stopped &= after[c] == before[c];
	}
	return ok;
}

/*
 * Rule: a VMM that saves a vCPU whose counters are live (PMCR_EL0.E set,
 * counters enabled: a guest running system-wide perf, or its watchdog) and
 * restores it into a new VM gets the counts back, and they go on counting
 * from the new VM's first instruction (docs/partition.md "Saving and
 * restoring a vCPU"). The VMM does what QEMU's migration does
 * (copy_pmu_one_regs()). After a loop of LIVE_LOOP iterations each
 * counter must have grown by at least LIVE_LOOP (one cycle per instruction
 * under -icount) and, under -icount, by less than 100 times it; no
 * overflow flag may be set. Then a snapshot of that VM, which has run, is
 * restored into it after it counted on (loadvm), REPEATS times: it must
 * count on from the snapshot each time. Covers partitioned VMs (FGT and
 * fgt=off) on the host this runs on, counters far from overflow.
 * Stock 6.12 breaks the rule: its SET of PMCNTENCLR clears what PMCNTENSET
 * set (upstream fixed that in commit f2aeb7bbd574, which 6.12 lacks), so
 * the restored counters stand still; and SET of PMOVSSET/CLR cannot clear
 * a flag, so the new vCPU keeps the overflow flags its reset left
 * (KVM's UNKNOWN pattern, 0x8000001e with six counters), which a guest
 * takes for overflows. In stock mode, and for VMs left to KVM's emulation
 * with the module loaded, the check is that the counters still stand
 * still: the module changes nothing for a VM that did not opt in.
 */
FIXTURE(live_save_restore) {
	struct tvm a, b;		/* the saved VM, the one restored into */
	bool ok;			/* runs, copies and SETs all succeeded */
	bool counts_ok, again_ok;	/* counting on: after the copy, the loadvm */
	bool stopped, again_stopped;	/* standing still: the same */
	uint64_t overflow;		/* PMOVSSET_EL0 of the new VM's guest */
};

FIXTURE_SETUP(live_save_restore)
{
	pin_to_cpu(0);
	tvm_create(&self->a, guest_live_before_save, NULL);
}

FIXTURE_TEARDOWN(live_save_restore)
{
	if (self->a.vm)
		tvm_destroy(&self->a);
	if (self->b.vm)
		tvm_destroy(&self->b);
}

static void live_save_restore_run(struct __test_metadata *_metadata,
				  FIXTURE_DATA(live_save_restore) *self)
{
	static const uint64_t counter_regs[] = {
		SYS_PMEVCNTRn_EL0(0), SYS_PMEVCNTRn_EL0(1), SYS_PMCCNTR_EL0,
	};
	uint64_t saved[3], restored[3], ahead[3], again[3];
	static struct pmu_one_regs snapshot;
	int copied, set_errors, again_errors, c;
	bool ok, rewound = true;
	struct ucall uc;

	ok = run_to_ucall(self->a.vcpu, &uc) == UCALL_SYNC && uc.args[0] == 1;
	EXPECT_VM_AS_THE_MODE_WANTS(self->a.vcpu, "live save");
	for (c = 0; c < 3; c++)
		saved[c] = get_reg(self->a.vcpu, counter_regs[c]);

	tvm_create(&self->b, guest_live_after_restore, NULL);
	copied = copy_pmu_one_regs(self->a.vcpu, self->b.vcpu, &set_errors);
	tvm_destroy(&self->a);
	self->a.vm = NULL;
	ok = ok && run_to_ucall(self->b.vcpu, &uc) == UCALL_SYNC && uc.args[0] == 1;
	EXPECT_VM_AS_THE_MODE_WANTS(self->b.vcpu, "live restore");
	for (c = 0; c < 3; c++)
		restored[c] = uc.args[1 + c];
	self->overflow = uc.args[4];
	self->counts_ok = ok && live_counts_continue("restored into a new VM", saved, restored,
						     &self->stopped);

	/*
	 * loadvm: snapshot the VM that has run, let it count on, restore the
	 * snapshot into it. It must count on from the snapshot (rewound:
	 * under -icount, less than a loop past where it had got to; a
	 * snapshot that was not loaded puts it a whole loop, 3 x LIVE_LOOP
	 * instructions, past).
	 */
	save_pmu_one_regs(self->b.vcpu, &snapshot);
	ok = ok && run_to_ucall(self->b.vcpu, &uc) == UCALL_SYNC && uc.args[0] == 1;
	for (c = 0; c < 3; c++)
		ahead[c] = uc.args[1 + c];
	/*
	 * What another vCPU of the rig runs meanwhile only adds to a cycle
	 * count (see REPEATS): restore the snapshot REPEATS times and keep
	 * the least of each counter.
	 */
	again_errors = 0;
	for (c = 0; c < 3; c++)
		again[c] = ~0UL;
	for (int repeat = 0; repeat < REPEATS; repeat++) {
		again_errors += restore_pmu_one_regs(self->b.vcpu, &snapshot);
		ok = ok && run_to_ucall(self->b.vcpu, &uc) == UCALL_SYNC && uc.args[0] == 1;
		for (c = 0; c < 3; c++)
			again[c] = min(again[c], uc.args[1 + c]);
		self->overflow |= uc.args[4];
	}
	for (c = 0; c < 3; c++)
		rewound &= !icount || again[c] < ahead[c] + LIVE_LOOP;
	/* Printed before any verdict, so a failure shows its values. */
	self->again_ok = live_counts_continue("restored into the same VM", restored, again,
					      &self->again_stopped);
	if (!rewound)
		ksft_print_msg("not rewound: before the restore the VM had got to %lu %lu %lu\n",
			       ahead[0], ahead[1], ahead[2]);
	self->again_ok = self->again_ok && ok && rewound;
	ksft_print_msg("%d PMU registers copied, %d + %d SET errors, PMOVSSET after the restores 0x%lx\n",
		       copied, set_errors, again_errors, self->overflow);
	self->ok = ok && copied > 10 && !set_errors && !again_errors;
}

/* Covers: stock mode (no module, or the module with default_mode=emulated). */
TEST_F_TIMEOUT(live_save_restore, stock_6_12_live_counters_stand_still_after_save_and_restore,
	       TEST_SECONDS)
{
	if (module_mode)
		SKIP(return, "the module's modes: live_counters_continue_after_save_and_restore");
	live_save_restore_run(_metadata, self);
	EXPECT_TRUE(self->ok);
	EXPECT_TRUE(self->stopped);
	EXPECT_TRUE(self->again_stopped);
}

/* Covers: the module modes (partitioned VMs). */
TEST_F_TIMEOUT(live_save_restore, live_counters_continue_after_save_and_restore, TEST_SECONDS)
{
	if (!module_mode)
		SKIP(return, "stock mode: stock_6_12_live_counters_stand_still_after_save_and_restore");
	live_save_restore_run(_metadata, self);
	EXPECT_TRUE(self->ok);
	EXPECT_TRUE(self->counts_ok);
	EXPECT_TRUE(self->again_ok);
	EXPECT_EQ(0, self->overflow);
}

/* ------------------------------------------ the host's counter ceiling */

/*
 * Stock: the harness sees a pinned event that gets no counter (the host
 * PMU has host_counters event counters; the next INST_RETIRED event,
 * which cannot use the cycle counter, fails to schedule). host_perf's
 * isolation check relies on the harness seeing that. Covers: stock mode;
 * the module modes have the claim tests instead.
 */
FIXTURE(counter_ceiling) {
	int fds[32];
};

FIXTURE_SETUP(counter_ceiling)
{
	if (module_mode)
		SKIP(return, "the module's modes: the claim_held tests count the host's counters");
	pin_to_cpu(0);
	ASSERT_TRUE(open_cpu_events(self->fds, host_counters + 1, 0));
}

FIXTURE_TEARDOWN(counter_ceiling)
{
	close_events(self->fds, host_counters + 1);
}

/* host_counters + 1 pinned INST_RETIRED events on CPU 0: the last gets none. */
TEST_F_TIMEOUT(counter_ceiling, harness_sees_pinned_events_beyond_the_host_counters_fail,
	       TEST_SECONDS)
{
	int scheduled;
	bool last;

	scheduled = count_scheduled(self->fds, host_counters + 1, 0, &last);
	ksft_print_msg("%d of %u pinned events scheduled on %u event counters\n",
		       scheduled, host_counters + 1, host_counters);
	EXPECT_EQ(host_counters, scheduled);
	EXPECT_FALSE(last);
}

/* ------------------------------------------------ the attribute's errors */

/*
 * Rule: the attribute's errors (include/uapi/linux/kvm_pmu_partition.h,
 * docs/partition.md "Errors"). Covers: the module modes; skipped in stock
 * mode, where KVM knows no such attribute.
 */

/* A vCPU without PMUv3. */
FIXTURE(attribute_without_pmuv3) {
	struct tvm t;
};

FIXTURE_SETUP(attribute_without_pmuv3)
{
	if (!module_mode)
		SKIP(return, NOT_IN_STOCK_MODE);
	tvm_add(&self->t, guest_sync_forever, false);
}

FIXTURE_TEARDOWN(attribute_without_pmuv3)
{
	tvm_destroy(&self->t);
}

/* SET on a vCPU created without KVM_ARM_VCPU_PMU_V3. */
TEST_F_TIMEOUT(attribute_without_pmuv3, attr_set_without_pmuv3_is_enodev, TEST_SECONDS)
{
	EXPECT_ERRNO(ENODEV, set_partitioned(self->t.vcpu));
}

/*
 * A VM of two vCPUs with PMUv3, their PMUs not initialised yet. Each test
 * takes the first vCPU through the documented order (SET, then INIT, then
 * KVM_RUN) as far as its check, each step of the way asserted.
 */
FIXTURE(attribute) {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu, *second;
	int gic_fd;
};

FIXTURE_SETUP(attribute)
{
	struct kvm_vcpu_init init;

	if (!module_mode)
		SKIP(return, NOT_IN_STOCK_MODE);
	self->vm = vm_create(2);
	vm_ioctl(self->vm, KVM_ARM_PREFERRED_TARGET, &init);
	init.features[0] |= 1 << KVM_ARM_VCPU_PMU_V3;
	self->vcpu = aarch64_vcpu_add(self->vm, 0, &init, guest_sync_forever);
	self->second = aarch64_vcpu_add(self->vm, 1, &init, guest_sync_forever);
	self->gic_fd = vgic_v3_setup(self->vm, 2, 64);
	ASSERT_LE(0, self->gic_fd);
}

FIXTURE_TEARDOWN(attribute)
{
	close(self->gic_fd);
	kvm_vm_free(self->vm);
}

/* HAS before anything else. */
TEST_F_TIMEOUT(attribute, attr_has_is_0, TEST_SECONDS)
{
	EXPECT_ERRNO(0, pmu_attr(self->vcpu, KVM_HAS_DEVICE_ATTR,
				 KVM_PMU_PARTITION_ATTR_PARTITIONED, NULL));
}

/* SET before INIT, then GET: N = the host's counters minus the reservation. */
TEST_F_TIMEOUT(attribute, attr_set_is_0_and_get_returns_n, TEST_SECONDS)
{
	uint64_t n = ~0ULL;
	int err;

	err = set_partitioned(self->vcpu);
	if (!err)
		err = pmu_attr(self->vcpu, KVM_GET_DEVICE_ATTR,
			       KVM_PMU_PARTITION_ATTR_PARTITIONED, &n);
	ksft_print_msg("SET then GET: %s, N %lu (expected %lu)\n", strerror(err), n, expected_n);
	EXPECT_ERRNO(0, err);
	EXPECT_EQ(expected_n, n);
}

/* GET into an unmapped address after SET. */
TEST_F_TIMEOUT(attribute, attr_get_with_a_bad_address_is_efault, TEST_SECONDS)
{
	ASSERT_EQ(0, set_partitioned(self->vcpu));
	EXPECT_ERRNO(EFAULT, pmu_attr(self->vcpu, KVM_GET_DEVICE_ATTR,
				      KVM_PMU_PARTITION_ATTR_PARTITIONED, (void *)8));
}

/* SET, INIT, SET again. */
TEST_F_TIMEOUT(attribute, attr_set_after_pmu_init_is_ebusy, TEST_SECONDS)
{
	ASSERT_EQ(0, set_partitioned(self->vcpu));
	pmu_vcpu_init(self->vcpu);
	EXPECT_ERRNO(EBUSY, set_partitioned(self->vcpu));
}

/* SET, INIT, KVM_RUN of the first vCPU, then SET on the second. */
TEST_F_TIMEOUT(attribute, attr_set_after_the_vm_ran_is_ebusy, TEST_SECONDS)
{
	struct ucall uc;

	ASSERT_EQ(0, set_partitioned(self->vcpu));
	pmu_vcpu_init(self->vcpu);
	ASSERT_EQ(UCALL_SYNC, run_to_ucall(self->vcpu, &uc));
	EXPECT_ERRNO(EBUSY, set_partitioned(self->second));
}

/* A VM that chose the fixed-counters-only PMU. */
FIXTURE(attribute_fixed_vm) {
	struct tvm t;
};

FIXTURE_SETUP(attribute_fixed_vm)
{
	int err;

	if (!module_mode)
		SKIP(return, NOT_IN_STOCK_MODE);
	tvm_add(&self->t, guest_sync_forever, true);
	err = pmu_attr(self->t.vcpu, KVM_SET_DEVICE_ATTR,
		       KVM_PMU_PARTITION_ATTR_FIXED_COUNTERS_ONLY, NULL);
	ASSERT_EQ(0, err) {
		TH_LOG("choosing fixed: %s", strerror(err));
	}
}

FIXTURE_TEARDOWN(attribute_fixed_vm)
{
	tvm_destroy(&self->t);
}

/* SET after the VMM chose the fixed-counters-only PMU. */
TEST_F_TIMEOUT(attribute_fixed_vm, attr_set_on_a_vm_that_chose_fixed_is_eexist, TEST_SECONDS)
{
	EXPECT_ERRNO(EEXIST, set_partitioned(self->t.vcpu));
}

/* GET on that VM, which is not partitioned. */
TEST_F_TIMEOUT(attribute_fixed_vm, attr_get_on_a_vm_that_is_not_partitioned_is_enxio,
	       TEST_SECONDS)
{
	uint64_t n;

	EXPECT_ERRNO(ENXIO, pmu_attr(self->t.vcpu, KVM_GET_DEVICE_ATTR,
				     KVM_PMU_PARTITION_ATTR_PARTITIONED, &n));
}

/* ------------------------------------------------------------- the claim */

/*
 * Rule: the guest counters are claimed from host perf on every CPU while
 * a partitioned VM exists; host perf then schedules only on the
 * reserved counters, and gets them all back when the last partitioned VM
 * is destroyed; the claim fails with ENOSPC while host events hold the
 * guest's counters (docs/partition.md "Enabling it", "Errors"). The armv8
 * PMU driver allocates the lowest free counter, so one pinned CPU-wide
 * event sits on counter 0, a guest counter. Covers: the module modes,
 * CPU 0; skipped in stock mode.
 */

/* A host event on counter 0 of CPU 0, then a VM whose PMU is not initialised. */
FIXTURE(claim_refused) {
	struct tvm t;
	int fd;
	bool scheduled;		/* the host event got its counter */
	int err, err_after;	/* SET with the host event, and after it */
	bool logged;
	uint64_t n;
};

FIXTURE_SETUP(claim_refused)
{
	if (!module_mode)
		SKIP(return, NOT_IN_STOCK_MODE);
	self->fd = -1;
	ASSERT_TRUE(open_cpu_events(&self->fd, 1, 0));
	count_scheduled(&self->fd, 1, 0, &self->scheduled);
	tvm_add(&self->t, guest_sync_forever, true);
}

FIXTURE_TEARDOWN(claim_refused)
{
	close_events(&self->fd, 1);
	tvm_destroy(&self->t);
}

/* SET with the host event, then once it is closed. */
static void claim_refused_run(FIXTURE_DATA(claim_refused) *self)
{
	int kmsg;

	kmsg = kmsg_mark();
	self->err = set_partitioned(self->t.vcpu);
	/* The line docs/partition.md "Errors" gives. */
	self->logged = kmsg_has(kmsg, "partitioned PMU refused: CPU 0 has host perf events on counters 0");
	close_events(&self->fd, 1);
	self->fd = -1;
	ksft_print_msg("SET with a pinned host event on CPU 0 (scheduled: %d): %s\n",
		       self->scheduled, self->err ? strerror(self->err) : "success");
	self->n = 0;
	self->err_after = set_partitioned(self->t.vcpu);
	if (!self->err_after)
		self->err_after = pmu_attr(self->t.vcpu, KVM_GET_DEVICE_ATTR,
					   KVM_PMU_PARTITION_ATTR_PARTITIONED, &self->n);
	ksft_print_msg("SET once the host event is gone: %s, N %lu\n",
		       self->err_after ? strerror(self->err_after) : "ok", self->n);
}

/* SET refused while the host event holds counter 0; accepted once it is closed. */
TEST_F_TIMEOUT(claim_refused, attr_set_while_a_host_event_holds_a_guest_counter_is_enospc,
	       TEST_SECONDS)
{
	claim_refused_run(self);
	EXPECT_TRUE(self->scheduled);
	EXPECT_ERRNO(ENOSPC, self->err);
	EXPECT_ERRNO(0, self->err_after);
	EXPECT_EQ(expected_n, self->n);
}

/* The refusal's kernel log line names CPU 0 and counter 0. */
TEST_F_TIMEOUT(claim_refused, attr_set_refusal_names_the_cpu_and_counters_in_the_log,
	       TEST_SECONDS)
{
	claim_refused_run(self);
	EXPECT_TRUE(self->logged);
}

/*
 * A host event on counter 0 of CPU 0, then a VM (PMU initialised) that
 * only default_mode=partitioned would put in the mode.
 */
FIXTURE(claim_blocked) {
	struct tvm t;
	int fd;
	bool scheduled;
};

FIXTURE_SETUP(claim_blocked)
{
	if (!module_mode)
		SKIP(return, NOT_IN_STOCK_MODE);
	self->fd = -1;
	ASSERT_TRUE(open_cpu_events(&self->fd, 1, 0));
	count_scheduled(&self->fd, 1, 0, &self->scheduled);
	tvm_create(&self->t, guest_sync_forever, NULL);
}

FIXTURE_TEARDOWN(claim_blocked)
{
	close_events(&self->fd, 1);
	if (self->t.vm)
		tvm_destroy(&self->t);
}

/*
 * The VM's first KVM_RUN runs with KVM's emulation instead, says so once,
 * and claims nothing.
 */
TEST_F_TIMEOUT(claim_blocked, default_partition_blocked_by_host_events_runs_emulated,
	       TEST_SECONDS)
{
	int kmsg, err, attr;
	bool logged;
	uint64_t n;

	kmsg = kmsg_mark();
	err = __vcpu_run(self->t.vcpu) ? errno : 0;
	logged = kmsg_has(kmsg, "runs with KVM's PMU emulation, not default_mode=partitioned: host perf events hold its counters");
	close_events(&self->fd, 1);
	self->fd = -1;
	attr = pmu_attr(self->t.vcpu, KVM_GET_DEVICE_ATTR, KVM_PMU_PARTITION_ATTR_PARTITIONED, &n);
	ksft_print_msg("first KVM_RUN with a pinned host event on CPU 0: %s, logged %d\n",
		       err ? strerror(err) : "ok", logged);
	tvm_destroy(&self->t);
	self->t.vm = NULL;
	EXPECT_TRUE(self->scheduled);
	EXPECT_ERRNO(0, err);
	EXPECT_ERRNO(ENXIO, attr);
	EXPECT_TRUE(logged);
	EXPECT_EQ(0, read_sysfs_long("counters_claimed"));
}

/* A partitioned VM that has run: the counters are claimed. */
FIXTURE(claim_held) {
	struct tvm t;
	bool ran;
	int fds[32];
	int events;
};

FIXTURE_SETUP(claim_held)
{
	struct ucall uc;

	if (!module_mode)
		SKIP(return, NOT_IN_STOCK_MODE);
	pin_to_cpu(0);
	tvm_create(&self->t, guest_sync_forever, NULL);
	self->ran = run_to_ucall(self->t.vcpu, &uc) == UCALL_SYNC;
}

FIXTURE_TEARDOWN(claim_held)
{
	close_events(self->fds, self->events);
	if (self->t.vm)
		tvm_destroy(&self->t);
}

/* reserved + 1 pinned events on CPU 0 while the VM exists: the last gets none. */
TEST_F_TIMEOUT(claim_held, host_perf_gets_only_the_reserved_counters_while_partitioned,
	       TEST_SECONDS)
{
	int scheduled, reserved = host_counters - expected_n;
	bool last;

	EXPECT_TRUE(self->ran);
	EXPECT_VM_AS_THE_MODE_WANTS(self->t.vcpu, "claim");
	ASSERT_TRUE(open_cpu_events(self->fds, reserved + 1, 0));
	self->events = reserved + 1;
	scheduled = count_scheduled(self->fds, reserved + 1, 0, &last);
	ksft_print_msg("with a partitioned VM: %d of %d pinned events scheduled, counters_claimed %ld\n",
		       scheduled, reserved + 1, read_sysfs_long("counters_claimed"));
	EXPECT_EQ(reserved, scheduled);
	EXPECT_FALSE(last);
	EXPECT_EQ(1, read_sysfs_long("counters_claimed"));
}

/* The VM destroyed, host_counters pinned events on CPU 0 all get one. */
TEST_F_TIMEOUT(claim_held, host_perf_gets_all_counters_back_after_the_vm_is_destroyed,
	       TEST_SECONDS)
{
	int scheduled;
	bool last;

	EXPECT_TRUE(self->ran);
	EXPECT_VM_AS_THE_MODE_WANTS(self->t.vcpu, "claim");
	EXPECT_EQ(1, read_sysfs_long("counters_claimed"));
	tvm_destroy(&self->t);
	self->t.vm = NULL;
	ASSERT_TRUE(open_cpu_events(self->fds, host_counters, 0));
	self->events = host_counters;
	scheduled = count_scheduled(self->fds, host_counters, 0, &last);
	ksft_print_msg("VM destroyed: %d of %u pinned events scheduled, counters_claimed %ld\n",
		       scheduled, host_counters, read_sysfs_long("counters_claimed"));
	EXPECT_EQ(host_counters, scheduled);
	EXPECT_EQ(0, read_sysfs_long("counters_claimed"));
}

/* ------------------------------------------------------- the reservation */

/*
 * Rule: /sys/kernel/kvm_pmu_partition/reserved_host_counters can be
 * written while no partitioned VM exists (EBUSY otherwise, EINVAL above
 * the smallest PMU's N), and a new partitioned VM gets the new N
 * (docs/partition.md, docs/sysfs.md). The teardown, in the harness's
 * process, puts back the reservation the plan loaded, however the test
 * ended. Covers: the module modes; skipped in stock mode.
 */
FIXTURE(reservation) {
	int reserved;		/* the plan's reservation */
};

FIXTURE_SETUP(reservation)
{
	if (!module_mode)
		SKIP(return, NOT_IN_STOCK_MODE);
	pin_to_cpu(0);
	self->reserved = smallest_counters - expected_n;
}

FIXTURE_TEARDOWN_PARENT(reservation)
{
	char value[16];
	int err;

	if (read_sysfs_long("reserved_host_counters") == self->reserved)
		return;
	snprintf(value, sizeof(value), "%d\n", self->reserved);
	err = write_sysfs("reserved_host_counters", value);
	ksft_print_msg("teardown: reserved_host_counters restored to %d: %s\n",
		       self->reserved, err ? strerror(err) : "ok");
}

/* Writing 3 while a partitioned VM exists: EBUSY, and the log says why. */
TEST_F_TIMEOUT(reservation, reserved_host_counters_write_with_a_partitioned_vm_is_ebusy,
	       TEST_SECONDS)
{
	char log[128];
	struct ucall uc;
	struct tvm t;
	bool logged;
	int kmsg, err;

	tvm_create(&t, guest_sync_forever, NULL);
	run_to_ucall(t.vcpu, &uc);
	EXPECT_VM_AS_THE_MODE_WANTS(t.vcpu, "reservation");
	kmsg = kmsg_mark();
	err = write_sysfs("reserved_host_counters", "3\n");
	snprintf(log, sizeof(log),
		 "reserved_host_counters can change only while no partitioned VM exists (%d do)", 1);
	logged = kmsg_has(kmsg, log);
	tvm_destroy(&t);
	EXPECT_TRUE(logged);
	EXPECT_ERRNO(EBUSY, err);
}

/* Writing the smallest PMU's N + 1. */
TEST_F_TIMEOUT(reservation, reserved_host_counters_write_above_n_is_einval, TEST_SECONDS)
{
	char value[16];

	snprintf(value, sizeof(value), "%u\n", smallest_counters + 1);
	EXPECT_ERRNO(EINVAL, write_sysfs("reserved_host_counters", value));
}

/* Writing 3 with no partitioned VM: a new one gets N - 3; then the plan's value back. */
TEST_F_TIMEOUT(reservation, reserved_host_counters_write_without_partitioned_vms_sets_n,
	       TEST_SECONDS)
{
	char value[16], guest_counters[96];
	uint64_t n = 0;
	struct tvm t;
	int err;

	snprintf(guest_counters, sizeof(guest_counters), "pmus/%s/guest_counters", pmu.name);
	ASSERT_ERRNO(0, write_sysfs("reserved_host_counters", "3\n"));
	EXPECT_EQ(3, read_sysfs_long("reserved_host_counters"));
	EXPECT_EQ((long)smallest_counters - 3, read_sysfs_long(guest_counters));

	tvm_add(&t, guest_sync_forever, true);
	EXPECT_ERRNO(0, set_partitioned(t.vcpu));
	EXPECT_ERRNO(0, pmu_attr(t.vcpu, KVM_GET_DEVICE_ATTR,
				 KVM_PMU_PARTITION_ATTR_PARTITIONED, &n));
	EXPECT_EQ(smallest_counters - 3, n);
	EXPECT_EQ(n, FIELD_GET(ARMV8_PMU_PMCR_N, get_reg(t.vcpu, SYS_PMCR_EL0)));
	tvm_destroy(&t);

	snprintf(value, sizeof(value), "%d\n", self->reserved);
	err = write_sysfs("reserved_host_counters", value);
	ksft_print_msg("reserved_host_counters 3: guest N %lu; restoring %d: %s\n",
		       n, self->reserved, err ? strerror(err) : "ok");
	EXPECT_ERRNO(0, err);
	EXPECT_EQ(self->reserved, read_sysfs_long("reserved_host_counters"));
}

/* ----------------------------------------------------------------- main */

int main(int argc, char **argv)
{
	const char *icount_env = getenv("RIG_ICOUNT");
	char path[256];

	if (argc < 2 || (strcmp(argv[1], "stock") && strcmp(argv[1], "fgt") &&
			 strcmp(argv[1], "trap")))
		ksft_exit_fail_msg("usage: %s stock|fgt|trap [harness option...]\n", argv[0]);
	mode = !strcmp(argv[1], "stock") ? MODE_STOCK :
	       !strcmp(argv[1], "fgt") ? MODE_FGT : MODE_TRAP;
	module_mode = mode != MODE_STOCK;
	icount = icount_env && !strcmp(icount_env, "1");

	ksft_print_header();
	if (!kvm_has_cap(KVM_CAP_ARM_PMU_V3))
		ksft_exit_skip("KVM has no PMUv3 on this host\n");
	find_host_pmu(&pmu);
	if (module_mode) {
		if (access(SYSFS, F_OK))
			ksft_exit_fail_msg("%s missing: kvm_pmu_partition is not loaded\n", SYSFS);
		snprintf(path, sizeof(path), "pmus/%s/counters", pmu.name);
		host_counters = read_sysfs_long(path);
		snprintf(path, sizeof(path), "pmus/%s/guest_counters", pmu.name);
		expected_n = read_sysfs_long(path);
		smallest_counters = smallest_pmu_counters();
	} else {
		/* Stock KVM gives a VM all the host PMU's counters. */
		struct tvm t;

		tvm_create(&t, guest_sync_forever, NULL);
		host_counters = FIELD_GET(ARMV8_PMU_PMCR_N, get_reg(t.vcpu, SYS_PMCR_EL0));
		smallest_counters = host_counters;
		tvm_destroy(&t);
	}
	ksft_print_msg("mode %s; host PMU %s (type %d, %u event counters, INST_RETIRED %s); icount %d\n",
		       argv[1], pmu.name, pmu.type, host_counters,
		       pmu.inst_retired ? "yes" : "no", icount);
	/* The header is out: the harness must not print it a second time. */
	setenv("KSFT_TAP_LEVEL", "1", 1);

	/* The harness parses what follows the mode. */
	argv[1] = argv[0];
	return rig_harness_run(argc - 1, argv + 1);
}
