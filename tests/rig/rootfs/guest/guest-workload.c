// SPDX-License-Identifier: GPL-2.0
/*
 * guest-workload [-p SECONDS] ITERATIONS [ITERATIONS...]
 *
 * Owns: the deterministic CPU-bound workload of the user-path tests
 * (issue 12), run under perf in an L2 guest. For each argument it runs
 * spin_loop(), a two-instruction loop (subs, b.ne) ITERATIONS times, so the
 * user-space instructions it retires are 2 * sum(ITERATIONS) plus this
 * program's own start-up and exit (a static binary: a few thousand). After
 * each pass but the last it prints "guest-workload: pass done, pausing S s"
 * and sleeps SECONDS (-p, default 0), so that a test can act between passes
 * while perf keeps counting: the VMM saves the VM there and a second VMM
 * restores it (tests/rig/rootfs/vmm-save-restore.sh). Each pass prints
 * "guest-workload: ITERATIONS iterations in T ticks", T the virtual
 * counter's (CNTVCT_EL0) ticks around spin_loop(): under the rig's
 * -icount shift=0, the instructions the whole rig emulated meanwhile, the
 * guest's and its host's (make bench: the cost of profiling the guest).
 *
 * Built static for arm64 (no dynamic loader in the instruction count):
 * tests/rig/rootfs/run-user-path.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Not inlined, so that perf report attributes the samples to this symbol. */
__attribute__((noinline)) void spin_loop(unsigned long iterations)
{
	if (!iterations)
		return;
	asm volatile("1:	subs	%0, %0, #1\n"
		     "	b.ne	1b\n"
		     : "+r" (iterations) : : "cc");
}

static unsigned long number(const char *program, const char *text)
{
	char *end;
	unsigned long n = strtoul(text, &end, 0);

	if (*text == '\0' || *end != '\0') {
		fprintf(stderr, "%s: not a number: %s\n", program, text);
		exit(2);
	}
	return n;
}

static inline unsigned long virtual_count(void)
{
	unsigned long count;

	asm volatile("isb\n"
		     "	mrs	%0, cntvct_el0\n"
		     "	isb" : "=r" (count) : : "memory");
	return count;
}

int main(int argc, char **argv)
{
	struct timespec pause = { 0, 0 };
	int i = 1;

	if (argc > 2 && !strcmp(argv[1], "-p")) {
		pause.tv_sec = number(argv[0], argv[2]);
		i = 3;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: %s [-p SECONDS] ITERATIONS [ITERATIONS...]\n",
			argv[0]);
		return 2;
	}
	for (; i < argc; i++) {
		unsigned long iterations = number(argv[0], argv[i]);
		unsigned long start = virtual_count();

		spin_loop(iterations);
		printf("guest-workload: %lu iterations in %lu ticks\n", iterations,
		       virtual_count() - start);
		fflush(stdout);
		if (i + 1 < argc) {
			printf("guest-workload: pass done, pausing %ld s\n",
			       (long)pause.tv_sec);
			fflush(stdout);
			while (nanosleep(&pause, &pause))
				;
		}
	}
	return 0;
}
