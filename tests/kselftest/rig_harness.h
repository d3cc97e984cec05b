/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kselftest harness (6.12's kselftest_harness.h: FIXTURE, TEST_F, a
 * plan the harness counts) as the rig runs it, shared by every kselftest
 * of ours written for it. A test's main() parses its own arguments and
 * ends with rig_harness_run(), which calls test_harness_run() and adds
 * what the rig relies on:
 *
 *  - rig_harness_at_end, if a test sets it, runs in the harness's process
 *    after the last test (for state a test killed at its timeout left:
 *    its teardown died with it); when it returns false the run fails;
 *  - a run in which every test skipped exits KSFT_SKIP (4), as a test that
 *    called ksft_exit_skip() did, so its plan line reads "ok # SKIP" (the
 *    harness alone exits 0 then, and the plan line would pass); a run in
 *    which no test was selected (a filter that names none) fails;
 *  - SIGTERM (a plan line's timeout, tests/rig/init) or SIGINT kills the
 *    running test's process group before the harness dies: the harness
 *    runs each test in a child with a process group of its own, which the
 *    rig's kill of the plan line's group does not reach, and a test left
 *    running would still load modules and create VMs during the next plan
 *    line; rig_harness_restore_on_stop, if set, then puts back what that
 *    test's teardown would have (it must be async-signal-safe): a fixture
 *    teardown, even FIXTURE_TEARDOWN_PARENT, runs in the test's process,
 *    which that kill ends, and rig_harness_at_end does not run either.
 *
 * Also checks of an errno with its name in the log (EXPECT_ERRNO). In a
 * harness test, report only through the harness (EXPECT_*, ASSERT_*,
 * SKIP()): the ksft_test_result*() and ksft_exit_*() calls of kselftest.h
 * print TAP lines of their own, numbered by the forked test process,
 * inside the harness's stream.
 *
 * Each test gets a timeout (TEST_F_TIMEOUT) in seconds of the rig's clock:
 * emulated time under -icount, wall time without it.
 */
#ifndef RIG_HARNESS_H
#define RIG_HARNESS_H

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

static inline const char *rig_errno_name(int err)
{
	return err ? strerror(err) : "success";
}

/*
 * @call returns 0 or an errno (pmu_attr(), write_file()); it is
 * @expected. The log says both by name.
 */
#define __ERRNO_CHECK(check, expected, call) do {				\
	int __errno_got = (call);						\
										\
	check(expected, __errno_got)						\
		TH_LOG("%s: %s, expected %s", #call,				\
		       rig_errno_name(__errno_got), rig_errno_name(expected));		\
} while (0)
#define EXPECT_ERRNO(expected, call)	__ERRNO_CHECK(EXPECT_EQ, expected, call)
#define ASSERT_ERRNO(expected, call)	__ERRNO_CHECK(ASSERT_EQ, expected, call)

static pid_t rig_harness_pid;
static bool rig_harness_listing;
static bool (*rig_harness_at_end)(void);
static void (*rig_harness_restore_on_stop)(void);

static void rig_harness_exit(void)
{
	/* Tests are forked: only the harness itself decides the exit. */
	if (getpid() != rig_harness_pid)
		return;
	if (rig_harness_listing)
		return;
	if (rig_harness_at_end && !rig_harness_at_end()) {
		fflush(stdout);
		_exit(KSFT_FAIL);
	}
	/* A filter that selects no test (mistyped, or stale) is no pass. */
	if (!ksft_test_num()) {
		printf("# rig_harness: no test selected\n");
		fflush(stdout);
		_exit(KSFT_FAIL);
	}
	if (ksft_cnt.ksft_xskip && !ksft_cnt.ksft_pass && !ksft_cnt.ksft_fail &&
	    !ksft_cnt.ksft_xfail && !ksft_cnt.ksft_xpass && !ksft_cnt.ksft_error) {
		fflush(stdout);
		_exit(KSFT_SKIP);
	}
}

static void rig_harness_terminate(int sig)
{
	struct __test_metadata *test = __active_test;

	if (getpid() == rig_harness_pid) {
		if (test && test->pid > 0) {
			kill(-test->pid, SIGKILL);
			/* Gone, with what it held (a VM, the module), before restoring. */
			waitpid(test->pid, NULL, 0);
		}
		if (rig_harness_restore_on_stop)
			rig_harness_restore_on_stop();
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Whether the harness will only print its usage or its list of tests. */
static inline bool rig_harness_lists_only(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-l") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

static inline int rig_harness_run(int argc, char **argv)
{
	rig_harness_pid = getpid();
	rig_harness_listing = rig_harness_lists_only(argc, argv);
	atexit(rig_harness_exit);
	signal(SIGTERM, rig_harness_terminate);
	signal(SIGINT, rig_harness_terminate);
	return test_harness_run(argc, argv);
}

#endif /* RIG_HARNESS_H */
