// SPDX-License-Identifier: GPL-2.0-only
/*
 * Rule: host user space never sees a guest's PMU counter values.
 *
 * Usage: host_counter_leak stock        (no module loaded: the control,
 *                                        stock KVM's emulation)
 *        host_counter_leak partitioned  (kvm_pmu_partition loaded, any
 *                                        default_mode: the test opts its
 *                                        VM in with the attribute)
 *        either followed by the kselftest harness's options (-t TEST, ...);
 *        host_counter_leak -l lists the tests.
 *
 * Host kinds: the rig's -cpu max host (check.plan: stock; "partitioned"
 * with the module loaded default_mode=partitioned with FGT, with fgt=off,
 * and default_mode=fixed; debug.plan: the debug kernel, FGT), and
 * "partitioned" on EL3 with -cpu max (el3.plan), neoverse-n1 with and
 * without EL3 (neoverse.plan, neoverse-el3.plan: no FGT, PMUv3p1) and the
 * split-PMU rig (split.plan).
 *
 * Host set-up covered: perf user access. With
 * /proc/sys/kernel/perf_user_access = 1 and a task event asking for it
 * (attr.config1 bit 1, "rdpmc"), the PMUv3 driver sets PMUSERENR_EL0.ER
 * and CR while the event is scheduled, so EL0 reads PMEVCNTR<n>_EL0,
 * PMSELR_EL0 and PMCCNTR_EL0 with mrs; it zeroes the counters no host
 * event uses first (armv8pmu_enable_user_access() in
 * drivers/perf/arm_pmuv3.c), which is what keeps other tasks' counts away
 * from EL0. A partitioned guest's counters are hardware counters that the
 * driver does not see as free while they are claimed, so whatever the
 * guest leaves in them is for the module to clear.
 *
 * The guest writes distinctive values to every PMEVCNTR<n>_EL0 it has,
 * PMCCNTR_EL0 and PMSELR_EL0, with its counters stopped, and exits
 * (GUEST_SYNC), so the vCPU is put when KVM_RUN returns. Then, on the
 * same CPU, host EL0 reads every counter PMUSERENR lets it read (an
 * UNDEFINED one raises SIGILL, which is handled) and none may hold a
 * guest value: in the VMM thread right after KVM_RUN returns with a user
 * access event that was live across it, with an event opened after the
 * guest ran, in another process, and after the VM is destroyed. Every
 * such read must find PMCCNTR_EL0 readable, or it could see no value.
 *
 * Each rule is a kselftest harness test (fixture guest_counters: a fresh
 * VM whose guest ran once, perf_user_access on, both undone by the
 * teardown), in a process of its own; the harness counts the plan.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "rig_harness.h"
#include "pmu_test.h"

#define TEST_CPU		0
#define GUEST_COUNTER(n)	(0x5a5a0000UL + (n))
#define GUEST_CYCLES		0x5a5a5a5a5a5a001fUL
#define GUEST_PMSELR		0x1e	/* SEL: not a counter of the rig */
#define PMCCNTR_INDEX		31
#define PMSELR_INDEX		32
#define EL0_REGISTERS		33
#define PERF_USER_ACCESS	"/proc/sys/kernel/perf_user_access"
/* attr.config1 bit 1 of the armv8 PMUs (format/rdpmc): EL0 may read. */
#define CONFIG1_RDPMC		BIT(1)
/*
 * Seconds a test may take (the harness's timeout): far above a run on
 * the debug kernel under -icount, where the whole program takes seconds.
 */
#define TEST_SECONDS		120

static bool module_mode;
static struct host_pmu host_pmu;
static uint64_t guest_counters;	/* PMCR_EL0.N the guest saw */

/* ------------------------------------------------------------- guest */

static void guest_write_distinctive_values(void)
{
	uint64_t n = FIELD_GET(ARMV8_PMU_PMCR_N, read_sysreg(pmcr_el0));

	for (;;) {
		/* Stopped: the values stay exactly as written. */
		write_sysreg(0, pmcr_el0);
		write_sysreg(~0UL, pmcntenclr_el0);
		isb();
		for (int i = 0; i < (int)n; i++)
			write_pmevcntrn(i, GUEST_COUNTER(i));
		write_sysreg(GUEST_CYCLES, pmccntr_el0);
		write_sysreg(GUEST_PMSELR, pmselr_el0);
		isb();
		GUEST_SYNC(n);
	}
}

/* ---------------------------------------------------------- host EL0 */

struct el0_view {
	uint64_t value[EL0_REGISTERS];	/* PMEVCNTR0..30, PMCCNTR, PMSELR */
	bool readable[EL0_REGISTERS];
};

static sigjmp_buf undefined_instruction;

static void on_sigill(int signal)
{
	siglongjmp(undefined_instruction, 1);
}

/* An mrs of register @index at EL0; false if it was UNDEFINED. */
static bool el0_read(int index, uint64_t *value)
{
	if (sigsetjmp(undefined_instruction, 1))
		return false;
	if (index == PMCCNTR_INDEX)
		*value = read_sysreg(pmccntr_el0);
	else if (index == PMSELR_INDEX)
		*value = read_sysreg(pmselr_el0);
	else
		*value = read_pmevcntrn(index);
	return true;
}

static void el0_read_all(struct el0_view *view)
{
	for (int i = 0; i < EL0_REGISTERS; i++)
		view->readable[i] = el0_read(i, &view->value[i]);
}

static bool is_guest_value(int index, uint64_t value)
{
	uint32_t low = value;

	if (index == PMSELR_INDEX)
		return value == GUEST_PMSELR;
	if (low == (uint32_t)GUEST_CYCLES)
		return true;
	for (uint64_t n = 0; n < guest_counters; n++)
		if (low == (uint32_t)GUEST_COUNTER(n))
			return true;
	return false;
}

/*
 * Prints what EL0 read, @when; fails the test if a readable register held
 * a guest value, or if PMCCNTR_EL0 was not readable (nothing was checked).
 */
static void expect_no_guest_value(struct __test_metadata *_metadata, const char *when,
				  const struct el0_view *view)
{
	char line[1024], name[16];
	int used = 0, leaks = 0;

	for (int i = 0; i < EL0_REGISTERS && used < (int)sizeof(line); i++) {
		if (!view->readable[i])
			continue;
		leaks += is_guest_value(i, view->value[i]);
		if (i == PMCCNTR_INDEX)
			snprintf(name, sizeof(name), "PMCCNTR");
		else if (i == PMSELR_INDEX)
			snprintf(name, sizeof(name), "PMSELR");
		else
			snprintf(name, sizeof(name), "PMEVCNTR%d", i);
		used += snprintf(line + used, sizeof(line) - used, " %s=0x%lx%s", name,
				 view->value[i],
				 is_guest_value(i, view->value[i]) ? " (guest's)" : "");
	}
	ksft_print_msg("%s:%s\n", when, used ? line : " no register readable");
	EXPECT_EQ(0, leaks)
		TH_LOG("%s: host EL0 read guest values", when);
	EXPECT_TRUE(view->readable[PMCCNTR_INDEX])
		TH_LOG("%s: PMCCNTR_EL0 was UNDEFINED at EL0", when);
}

/*
 * A task event of this thread that asks for EL0 access, enabled and
 * mmapped as a user-space reader would; -1 if perf refused it.
 */
static int open_user_access_event(void)
{
	struct perf_event_attr attr = {
		.type = host_pmu.type,
		.size = sizeof(attr),
		.config = ARMV8_PMUV3_PERFCTR_CPU_CYCLES,
		.config1 = CONFIG1_RDPMC,
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};
	struct perf_event_mmap_page *page;
	int fd = syscall(__NR_perf_event_open, &attr, 0, -1, -1, 0);

	if (fd < 0) {
		ksft_print_msg("perf_event_open with rdpmc: %s\n", strerror(errno));
		return -1;
	}
	page = mmap(NULL, getpagesize(), PROT_READ, MAP_SHARED, fd, 0);
	if (page == MAP_FAILED) {
		ksft_print_msg("mmap of the event: %s\n", strerror(errno));
	} else {
		/* Scheduled now: the index says which counter it has. */
		ksft_print_msg("user access event: cap_user_rdpmc %u, index %u\n",
			       (unsigned int)page->cap_user_rdpmc, page->index);
		munmap(page, getpagesize());
	}
	return fd;
}

/* ------------------------------------------------------------ the VM */

/* The guest writes its values again and exits; KVM_RUN returns. */
static void run_guest(struct __test_metadata *_metadata, struct tvm *t)
{
	struct ucall uc;

	ASSERT_EQ(UCALL_SYNC, run_to_ucall(t->vcpu, &uc))
		TH_LOG("the guest did not sync");
}

/*
 * Fixture guest_counters: SIGILL handled, this thread on TEST_CPU, a VM
 * whose guest ran once, its values in place (in module mode opted in with
 * the attribute, which must make it partitioned), and perf_user_access
 * set to 1. The teardown closes the test's user access event, destroys
 * the VM (unless the test did) and restores perf_user_access.
 */
FIXTURE(guest_counters) {
	struct tvm t;
	bool vm_alive;
	int live_fd;		/* the test's user access event, or -1 */
	int partition_err;	/* of opting the VM in (module mode) */
	uint64_t partitioned_n;	/* the attribute's N read back (module mode) */
	char old_access[16];	/* perf_user_access before the setup */
};

FIXTURE_SETUP(guest_counters)
{
	struct sigaction sigill = { .sa_handler = on_sigill };
	struct ucall uc;
	int fd;

	self->live_fd = -1;
	ASSERT_EQ(0, sigaction(SIGILL, &sigill, NULL));
	pin_to_cpu(TEST_CPU);

	tvm_add(&self->t, guest_write_distinctive_values, true);
	self->vm_alive = true;
	if (module_mode) {
		self->partition_err = pmu_attr(self->t.vcpu, KVM_SET_DEVICE_ATTR,
					       KVM_PMU_PARTITION_ATTR_PARTITIONED, NULL);
		if (!self->partition_err)
			self->partition_err = pmu_attr(self->t.vcpu, KVM_GET_DEVICE_ATTR,
						       KVM_PMU_PARTITION_ATTR_PARTITIONED,
						       &self->partitioned_n);
		ksft_print_msg("opting the VM in: %s, N %lu\n",
			       self->partition_err ? strerror(self->partition_err) : "ok",
			       self->partitioned_n);
		ASSERT_EQ(0, self->partition_err);
		ASSERT_GT(self->partitioned_n, 0);
	}
	pmu_vcpu_init(self->t.vcpu);
	ASSERT_EQ(UCALL_SYNC, run_to_ucall(self->t.vcpu, &uc))
		TH_LOG("the guest did not sync");
	guest_counters = uc.args[1];
	ksft_print_msg("%s: guest N %lu; guest values 0x%lx + n, PMCCNTR 0x%lx, PMSELR 0x%x\n",
		       module_mode ? "partitioned" : "stock", guest_counters,
		       GUEST_COUNTER(0), GUEST_CYCLES, GUEST_PMSELR);

	/* Last: a failed setup has no teardown to restore it. */
	ASSERT_TRUE(read_line(PERF_USER_ACCESS, self->old_access, sizeof(self->old_access)));
	fd = open(PERF_USER_ACCESS, O_WRONLY);
	ASSERT_LE(0, fd)
		TH_LOG("opening %s: %s", PERF_USER_ACCESS, strerror(errno));
	ASSERT_EQ(1, write(fd, "1", 1))
		TH_LOG("enabling %s: %s", PERF_USER_ACCESS, strerror(errno));
	close(fd);
}

FIXTURE_TEARDOWN(guest_counters)
{
	size_t len = strlen(self->old_access);
	int fd;

	if (self->live_fd >= 0)
		close(self->live_fd);
	if (self->vm_alive)
		tvm_destroy(&self->t);
	fd = open(PERF_USER_ACCESS, O_WRONLY);
	EXPECT_LE(0, fd)
		TH_LOG("opening %s: %s", PERF_USER_ACCESS, strerror(errno));
	if (fd >= 0) {
		EXPECT_EQ(len, write(fd, self->old_access, len))
			TH_LOG("restoring %s: %s", PERF_USER_ACCESS, strerror(errno));
		close(fd);
	}
}

/* The test's user access event, live from now on (closed by the teardown). */
static void open_live_event(struct __test_metadata *_metadata, int *live_fd)
{
	*live_fd = open_user_access_event();
	ASSERT_LE(0, *live_fd)
		TH_LOG("perf refused a user access event");
}

/* ---------------------------------------------------------- the rules */

/*
 * Rule: in module mode the test's VM is partitioned: the attribute opts
 * it in, reads back N > 0, and its guest sees that N in PMCR_EL0.N. Host
 * kinds: the file's, module mode ("partitioned"); stock has no module and
 * skips.
 */
TEST_F_TIMEOUT(guest_counters, test_vm_is_partitioned, TEST_SECONDS)
{
	if (!module_mode)
		SKIP(return, "stock KVM: no module");
	EXPECT_EQ(0, self->partition_err);
	EXPECT_GT(self->partitioned_n, 0);
	EXPECT_EQ(self->partitioned_n, guest_counters);
}

/*
 * Rule: a user access event opened after the guest ran (scheduled now,
 * the driver zeroes the counters no host event uses) shows host EL0 no
 * guest value. Host kinds and inputs: the file's, both modes.
 */
TEST_F_TIMEOUT(guest_counters,
	       host_el0_event_opened_after_the_guest_ran_sees_no_guest_counter_value,
	       TEST_SECONDS)
{
	struct el0_view view;

	open_live_event(_metadata, &self->live_fd);
	el0_read_all(&view);
	expect_no_guest_value(_metadata, "event opened after the guest ran", &view);
}

/*
 * Rule: with a user access event live across KVM_RUN (nothing
 * rescheduled it), the VMM thread reads no guest value once KVM_RUN
 * returns. Host kinds and inputs: the file's, both modes.
 */
TEST_F_TIMEOUT(guest_counters, host_el0_sees_no_guest_counter_value_when_kvm_run_returns,
	       TEST_SECONDS)
{
	struct el0_view view;

	open_live_event(_metadata, &self->live_fd);
	run_guest(_metadata, &self->t);
	el0_read_all(&view);
	expect_no_guest_value(_metadata, "right after KVM_RUN", &view);
}

/*
 * Rule: another process on the CPU, with a user access event of its own,
 * reads no guest value while the VMM thread sleeps after KVM_RUN (its
 * event live). Host kinds and inputs: the file's, both modes.
 */
TEST_F_TIMEOUT(guest_counters, another_process_on_the_cpu_sees_no_guest_counter_value,
	       TEST_SECONDS)
{
	struct el0_view view = {};
	int pipe_fds[2], status;
	pid_t child;

	open_live_event(_metadata, &self->live_fd);
	run_guest(_metadata, &self->t);
	ASSERT_EQ(0, pipe(pipe_fds));
	fflush(stdout);
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		int fd;

		close(pipe_fds[0]);
		pin_to_cpu(TEST_CPU);
		fd = open_user_access_event();
		el0_read_all(&view);
		fflush(stdout);
		if (write(pipe_fds[1], &view, sizeof(view)) != sizeof(view))
			_exit(1);
		close(fd);
		_exit(0);
	}
	close(pipe_fds[1]);
	/* The VMM thread sleeps here while the child has the CPU. */
	if (read(pipe_fds[0], &view, sizeof(view)) != sizeof(view))
		memset(&view, 0, sizeof(view));
	close(pipe_fds[0]);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("the other process ended with status 0x%x", status);
	expect_no_guest_value(_metadata, "another process", &view);
}

/*
 * Rule: once the VM is destroyed (right after its guest ran), host EL0
 * reads no guest value, with the event that was live across it and with
 * a new one. Host kinds and inputs: the file's, both modes.
 */
TEST_F_TIMEOUT(guest_counters, host_el0_sees_no_guest_counter_value_after_the_vm_is_destroyed,
	       TEST_SECONDS)
{
	struct el0_view view;

	open_live_event(_metadata, &self->live_fd);
	run_guest(_metadata, &self->t);
	tvm_destroy(&self->t);
	self->vm_alive = false;
	el0_read_all(&view);
	expect_no_guest_value(_metadata, "VM destroyed, event live", &view);
	close(self->live_fd);
	open_live_event(_metadata, &self->live_fd);
	el0_read_all(&view);
	expect_no_guest_value(_metadata, "VM destroyed, new event", &view);
}

/*
 * The harness's own check: perf user access lets host EL0 read the
 * counters at all (a user access event opens; PMCCNTR_EL0 reads at EL0
 * with it, before and after a KVM_RUN), so the rules above could see a
 * guest value. Host kinds and inputs: the file's, both modes.
 */
TEST_F_TIMEOUT(guest_counters, perf_user_access_lets_host_el0_read_the_counters,
	       TEST_SECONDS)
{
	struct el0_view view;

	open_live_event(_metadata, &self->live_fd);
	el0_read_all(&view);
	EXPECT_TRUE(view.readable[PMCCNTR_INDEX])
		TH_LOG("PMCCNTR_EL0 was UNDEFINED at EL0 with a user access event");
	run_guest(_metadata, &self->t);
	el0_read_all(&view);
	EXPECT_TRUE(view.readable[PMCCNTR_INDEX])
		TH_LOG("PMCCNTR_EL0 was UNDEFINED at EL0 after KVM_RUN");
}

int main(int argc, char **argv)
{
	char access_value[16];

	/* host_counter_leak -l (or -h): the harness lists the tests. */
	if (argc > 1 && argv[1][0] == '-')
		return rig_harness_run(argc, argv);
	if (argc < 2 || (strcmp(argv[1], "stock") && strcmp(argv[1], "partitioned")))
		ksft_exit_fail_msg("usage: %s stock|partitioned [harness options]\n", argv[0]);
	module_mode = !strcmp(argv[1], "partitioned");

	if (!kvm_has_cap(KVM_CAP_ARM_PMU_V3))
		ksft_exit_skip("KVM has no PMUv3 on this host\n");
	if (module_mode && access(KVM_PMU_PARTITION_SYSFS_DIR, F_OK))
		ksft_exit_fail_msg("kvm_pmu_partition is not loaded\n");
	if (!module_mode && !access(KVM_PMU_PARTITION_SYSFS_DIR, F_OK))
		ksft_exit_fail_msg("stock: kvm_pmu_partition is loaded\n");
	if (!read_line(PERF_USER_ACCESS, access_value, sizeof(access_value)))
		ksft_exit_skip("no %s: this kernel has no perf user access\n", PERF_USER_ACCESS);
	find_host_pmu(&host_pmu);

	/* The harness's arguments: the program, then the options after MODE. */
	argv[1] = argv[0];
	return rig_harness_run(argc - 1, argv + 1);
}
