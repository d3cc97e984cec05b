/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What our kselftests written for the kselftest harness
 * (tools/testing/selftests/kselftest_harness.h: FIXTURE, TEST_F) share:
 * checks of an errno with its name in the log, and the start of the
 * harness from a main() that has parsed the test's own arguments.
 *
 * In a harness test, report only through the harness (EXPECT_*,
 * ASSERT_*, SKIP()): the ksft_test_result*() and ksft_exit_*() calls of
 * kselftest.h print TAP lines of their own, numbered by the forked test
 * process, inside the harness's stream.
 */
#ifndef PMU_HARNESS_H
#define PMU_HARNESS_H

#include <signal.h>
#include <string.h>

#include "kselftest_harness.h"

static inline const char *errno_name(int err)
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
		       errno_name(__errno_got), errno_name(expected));		\
} while (0)
#define EXPECT_ERRNO(expected, call)	__ERRNO_CHECK(EXPECT_EQ, expected, call)
#define ASSERT_ERRNO(expected, call)	__ERRNO_CHECK(ASSERT_EQ, expected, call)

/* Set by harness_run(): what a stopped run must put back (signal-safe). */
static void (*harness_restore_on_stop)(void);

/*
 * The rig's plan runner (tests/rig/init) ends an entry past its timeout
 * with SIGTERM to the entry's process group, but the harness runs each
 * test in a process group of its own: pass the signal on to the running
 * test's group, so that no test outlives its entry (and, say, holds
 * counters while the next entry unloads the module), and put back what
 * the test's teardown would have.
 */
static void harness_stop_running_test(int sig)
{
	if (__active_test && __active_test->pid > 0)
		kill(-__active_test->pid, SIGKILL);
	if (harness_restore_on_stop)
		harness_restore_on_stop();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Whether the harness will only print its usage or its list of tests. */
static inline bool harness_lists_only(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-l") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

/*
 * Runs the tests @argv selects (the harness's -t/-T/-f/-F/-v/-V/-r);
 * @restore (or NULL) runs if the run is stopped by SIGTERM or SIGINT.
 */
static inline int harness_run(int argc, char **argv, void (*restore)(void))
{
	harness_restore_on_stop = restore;
	signal(SIGTERM, harness_stop_running_test);
	signal(SIGINT, harness_stop_running_test);
	return test_harness_run(argc, argv);
}

#endif /* PMU_HARNESS_H */
