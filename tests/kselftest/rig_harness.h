/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kselftest harness (6.12's kselftest_harness.h: FIXTURE, TEST_F, a
 * plan the harness counts) as the rig runs it. A test's main() parses its
 * own arguments and ends with rig_harness_run(), which calls
 * test_harness_run() and adds three things the rig relies on:
 *
 *  - rig_harness_at_end, if a test sets it, runs in the harness's process
 *    after the last test (for state a test killed at its timeout left:
 *    its teardown died with it); when it returns false the run fails;
 *  - a run in which every test skipped exits KSFT_SKIP (4), as a test that
 *    called ksft_exit_skip() did, so its plan line reads "ok # SKIP" (the
 *    harness alone exits 0 then, and the plan line would pass);
 *  - SIGTERM (a plan line's timeout, tests/rig/init) kills the running
 *    test's process group before the harness dies: the harness runs each
 *    test in a child with a process group of its own, which the rig's
 *    kill of the plan line's group does not reach, and a test left running
 *    would still load modules and create VMs during the next plan line.
 *
 * Each test gets a timeout (TEST_F_TIMEOUT) in seconds of the rig's clock:
 * emulated time under -icount, wall time without it.
 */
#ifndef RIG_HARNESS_H
#define RIG_HARNESS_H

#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "kselftest_harness.h"

static pid_t rig_harness_pid;
static bool (*rig_harness_at_end)(void);

static void rig_harness_exit(void)
{
	/* Tests are forked: only the harness itself decides the exit. */
	if (getpid() != rig_harness_pid)
		return;
	if (rig_harness_at_end && !rig_harness_at_end()) {
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

	if (getpid() == rig_harness_pid && test && test->pid > 0)
		kill(-test->pid, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

static inline int rig_harness_run(int argc, char **argv)
{
	rig_harness_pid = getpid();
	atexit(rig_harness_exit);
	signal(SIGTERM, rig_harness_terminate);
	return test_harness_run(argc, argv);
}

#endif /* RIG_HARNESS_H */
