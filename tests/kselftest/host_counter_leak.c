// SPDX-License-Identifier: GPL-2.0-only
/*
 * Rule: host user space never sees a guest's PMU counter values.
 *
 * Usage: host_counter_leak stock        (no module loaded: the control,
 *                                        stock KVM's emulation)
 *        host_counter_leak partitioned  (kvm_pmu_partition loaded, any
 *                                        default_mode: the test opts its
 *                                        VM in with the attribute)
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
 * guest ran, in another process, and after the VM is destroyed.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

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

static bool module_mode;
static struct host_pmu host_pmu;
static uint64_t guest_counters;	/* PMCR_EL0.N the guest saw */
static bool pmccntr_was_readable;

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

/* Prints what EL0 read; true if no readable register held a guest value. */
static bool no_guest_value(const char *when, const struct el0_view *view)
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
	pmccntr_was_readable |= view->readable[PMCCNTR_INDEX];
	ksft_print_msg("%s:%s\n", when, used ? line : " no register readable");
	return !leaks;
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

/* A VM whose guest ran once: its values are in place. */
static void create_vm(struct tvm *t)
{
	struct ucall uc;
	uint64_t n = 0;
	int err;

	tvm_add(t, guest_write_distinctive_values, true);
	if (module_mode) {
		err = pmu_attr(t->vcpu, KVM_SET_DEVICE_ATTR,
			       KVM_PMU_PARTITION_ATTR_PARTITIONED, NULL);
		if (!err)
			err = pmu_attr(t->vcpu, KVM_GET_DEVICE_ATTR,
				       KVM_PMU_PARTITION_ATTR_PARTITIONED, &n);
		ksft_print_msg("opting the VM in: %s, N %lu\n",
			       err ? strerror(err) : "ok", n);
		ksft_test_result(!err && n > 0, "test_vm_is_partitioned\n");
	}
	pmu_vcpu_init(t->vcpu);
	TEST_ASSERT(run_to_ucall(t->vcpu, &uc) == UCALL_SYNC, "the guest did not sync");
	guest_counters = uc.args[1];
}

/* The guest writes its values again and exits; KVM_RUN returns. */
static void run_guest(struct tvm *t)
{
	struct ucall uc;

	TEST_ASSERT(run_to_ucall(t->vcpu, &uc) == UCALL_SYNC, "the guest did not sync");
}

/* ---------------------------------------------------------- the rules */

static void check_other_process(struct tvm *t)
{
	struct el0_view view = {};
	int pipe_fds[2], status;
	pid_t child;

	run_guest(t);
	TEST_ASSERT(!pipe(pipe_fds), "pipe");
	fflush(stdout);
	child = fork();
	TEST_ASSERT(child >= 0, "fork");
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
	waitpid(child, &status, 0);
	ksft_test_result(no_guest_value("another process", &view),
			 "another_process_on_the_cpu_sees_no_guest_counter_value\n");
}

int main(int argc, char **argv)
{
	struct sigaction sigill = { .sa_handler = on_sigill };
	struct el0_view view;
	char old_access[16];
	int live_fd, fd;
	struct tvm t;
	bool ok;

	if (argc != 2 || (strcmp(argv[1], "stock") && strcmp(argv[1], "partitioned")))
		ksft_exit_fail_msg("usage: %s stock|partitioned\n", argv[0]);
	module_mode = !strcmp(argv[1], "partitioned");

	ksft_print_header();
	if (!kvm_has_cap(KVM_CAP_ARM_PMU_V3))
		ksft_exit_skip("KVM has no PMUv3 on this host\n");
	if (module_mode && access(KVM_PMU_PARTITION_SYSFS_DIR, F_OK))
		ksft_exit_fail_msg("kvm_pmu_partition is not loaded\n");
	if (!module_mode && !access(KVM_PMU_PARTITION_SYSFS_DIR, F_OK))
		ksft_exit_fail_msg("stock: kvm_pmu_partition is loaded\n");
	if (!read_line(PERF_USER_ACCESS, old_access, sizeof(old_access)))
		ksft_exit_skip("no %s: this kernel has no perf user access\n", PERF_USER_ACCESS);
	find_host_pmu(&host_pmu);
	ksft_set_plan(6);

	fd = open(PERF_USER_ACCESS, O_WRONLY);
	TEST_ASSERT(fd >= 0 && write(fd, "1", 1) == 1, "enabling %s", PERF_USER_ACCESS);
	close(fd);
	sigaction(SIGILL, &sigill, NULL);
	pin_to_cpu(TEST_CPU);

	create_vm(&t);
	if (!module_mode)
		ksft_test_result_skip("test_vm_is_partitioned (stock KVM: no module)\n");
	ksft_print_msg("%s: guest N %lu; guest values 0x%lx + n, PMCCNTR 0x%lx, PMSELR 0x%x\n",
		       argv[1], guest_counters, GUEST_COUNTER(0), GUEST_CYCLES, GUEST_PMSELR);

	/* Scheduled now, after the guest ran: the driver zeroes free counters. */
	live_fd = open_user_access_event();
	el0_read_all(&view);
	ksft_test_result(no_guest_value("event opened after the guest ran", &view),
			 "host_el0_event_opened_after_the_guest_ran_sees_no_guest_counter_value\n");

	/* Live across KVM_RUN: nothing rescheduled it. */
	run_guest(&t);
	el0_read_all(&view);
	ksft_test_result(no_guest_value("right after KVM_RUN", &view),
			 "host_el0_sees_no_guest_counter_value_when_kvm_run_returns\n");

	check_other_process(&t);

	run_guest(&t);
	tvm_destroy(&t);
	el0_read_all(&view);
	ok = no_guest_value("VM destroyed, event live", &view);
	close(live_fd);
	fd = open_user_access_event();
	el0_read_all(&view);
	ok &= no_guest_value("VM destroyed, new event", &view);
	close(fd);
	ksft_test_result(ok, "host_el0_sees_no_guest_counter_value_after_the_vm_is_destroyed\n");

	/* The harness: the checks above could see a value at all. */
	ksft_test_result(pmccntr_was_readable && live_fd >= 0,
			 "perf_user_access_lets_host_el0_read_the_counters\n");

	fd = open(PERF_USER_ACCESS, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, old_access, strlen(old_access)) < 0)
			ksft_print_msg("restoring %s: %s\n", PERF_USER_ACCESS, strerror(errno));
		close(fd);
	}
	ksft_finished();
}
