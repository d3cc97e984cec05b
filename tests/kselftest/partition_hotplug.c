// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPUs going offline and online while partitioned VMs run.
 *
 * Usage: partition_hotplug [harness options]
 *        (kvm_pmu_partition loaded with default_mode=partitioned and a
 *        reservation; at least 2 CPUs; the plan may have loaded it while
 *        CPU 1 was offline). The kselftest harness runs each test in a
 *        process of its own; each fixture brings CPU 1 online first, and
 *        its teardown brings it back online whatever the test did. -l
 *        lists the tests, -t TEST runs one. TAP names: FIXTURE.TEST.
 *
 * Rules checked (docs/partition.md "Host kinds", "CPU hotplug"):
 *  - the module learns what a CPU's PMU implements when the CPU comes
 *    online, also for a CPU that was offline when the module loaded: its
 *    counter count and trap policy in sysfs equal those of a CPU that was
 *    online (before the fix a late CPU had none, and the module gave it
 *    MDCR_EL2.HPMN = 0, which stops the host's counters and is CONSTRAINED
 *    UNPREDICTABLE without FEAT_HPMN0);
 *  - a partitioned vCPU whose CPU goes offline moves with its PMU state:
 *    its counters keep counting its own instructions exactly (difference
 *    of a 2K- and a K-iteration loop, least of the rounds: under -icount
 *    other vCPUs' work only ever adds) and its cycle counter never goes
 *    back, while CPU 1 goes offline and online HOTPLUG_CYCLES times;
 *  - host perf on the CPU that came back keeps a counter all the time
 *    while the partitioned vCPU runs there;
 *  - no kernel warning, and nothing stays claimed once the VM is gone.
 * Covers the rig's host kinds it runs on (check.plan: -cpu max with FGT;
 * the neoverse-n1 variant without FGT and FEAT_HPMN0; the EL3 rigs).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>

#include <uapi/linux/kvm_pmu_partition.h>

#include "pmu_test.h"
#include "rig_harness.h"

#define SYSFS		KVM_PMU_PARTITION_SYSFS_DIR
#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"
#define LOOP_K		2000	/* iterations of the short counted loop */
#define HOTPLUG_CYCLES	8
#define ROUNDS_BETWEEN	6	/* guest rounds between hotplug steps */

/*
 * Timeout of a test, seconds of the rig's clock (virtual time: the tests
 * need -icount). One run across HOTPLUG_CYCLES takes about 0.2 s of it on
 * the normal kernel; the bound leaves room for the debug kernel, whose
 * CPU hotplug is much slower, and stays below the plans' 300 s for the
 * whole entry, so that the harness, not the plan, ends a test that
 * hangs (its teardown cannot run then: the next test's setup, or the
 * harness's exit, brings CPU 1 online).
 */
#define HOTPLUG_TEST_TIMEOUT	240

/* ----------------------------------------------------------------- guest */

/*
 * Round r counts a loop of (r % 2 + 1) * LOOP_K iterations on counter 0
 * (INST_RETIRED) and reports it with the cycle counter before and after.
 */
static void guest_code(void)
{
	uint64_t round = 0;

	write_sysreg(ARMV8_PMUV3_PERFCTR_INST_RETIRED, pmevtyper0_el0);
	write_sysreg(0, pmccfiltr_el0);
	write_sysreg(BIT(0) | BIT(31), pmcntenset_el0);
	write_sysreg(ARMV8_PMU_PMCR_LC | ARMV8_PMU_PMCR_E, pmcr_el0);
	isb();
	for (;;) {
		uint64_t n = (round % 2 + 1) * LOOP_K, before, after, inst;

		before = read_sysreg(pmccntr_el0);
		write_sysreg(0, pmevcntr0_el0);
		isb();
		asm volatile("1:\tnop\n\t"
			     "nop\n\t"
			     "subs %[n], %[n], #1\n\t"
			     "b.ne 1b\n\t"
			     : [n] "+r" (n) : : "cc");
		inst = read_sysreg(pmevcntr0_el0);
		after = read_sysreg(pmccntr_el0);
		ucall(UCALL_SYNC, 4, round, inst, before, after);
		round++;
	}
}

/* ------------------------------------------------------------------ host */

static bool read_sysfs(const char *file, char *buf, size_t size)
{
	char path[256];

	snprintf(path, sizeof(path), SYSFS "/%s", file);
	return read_line(path, buf, size);
}

/* 0, or the errno of taking CPU 1 offline or bringing it online. */
static int set_cpu1_online(bool online)
{
	return write_file(CPU1_ONLINE, online ? "1" : "0");
}

static bool cpu1_online(void)
{
	char buf[8];

	return read_line(CPU1_ONLINE, buf, sizeof(buf)) && buf[0] == '1';
}

static bool cpu1_can_go_offline(void)
{
	return !access(CPU1_ONLINE, W_OK);
}

/*
 * CPU 1 online again after a test that may have left it offline, from
 * the test's process (the harness's child, after the test body's), and
 * from the harness's signal handler (only open, write and close).
 */
static void cpu1_back_online(void)
{
	int fd = open(CPU1_ONLINE, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	/* A failure (it cannot come back) leaves nothing more to try. */
	write(fd, "1", 1);
	close(fd);
}

/*
 * The setup of every fixture here: CPU 1 can go offline (else the test
 * skips), a kernel log mark in @kmsg, then CPU 1 online (the plan may have
 * loaded the module while it was offline).
 */
static void prepare_cpu1(struct __test_metadata *_metadata, int *kmsg)
{
	if (!cpu1_can_go_offline())
		SKIP(return, "CPU 1 cannot go offline (no CONFIG_HOTPLUG_CPU or one CPU)");
	*kmsg = kmsg_mark();
	if (!cpu1_online())
		ASSERT_ERRNO(0, set_cpu1_online(true));
}

/* The teardown of every fixture here, in the test's process (after the body's). */
static void restore_cpu1(void)
{
	if (!cpu1_can_go_offline() || cpu1_online())
		return;
	ksft_print_msg("teardown: CPU 1 was left offline; bringing it online\n");
	cpu1_back_online();
}

/* ------------------------------------------------ a CPU onlined late */

/*
 * The fixture: CPU 1 online (the first test's setup brings it online
 * when check.plan loaded the module with CPU 1 offline).
 */
FIXTURE(late_cpu) {
	int kmsg;
};

FIXTURE_SETUP(late_cpu)
{
	prepare_cpu1(_metadata, &self->kmsg);
}

FIXTURE_TEARDOWN_PARENT(late_cpu)
{
	restore_cpu1();
}

/*
 * A CPU the module first sees when it comes online gets the same counter
 * count, trap policy and FEAT_HPMN0 in sysfs as CPU 0, and its coming
 * online warns of nothing. Host kinds: every rig that runs it; fails
 * where the module's CPU-online path does not probe the PMU.
 */
TEST_F_TIMEOUT(late_cpu, cpu_onlined_after_load_is_probed_like_the_others,
	       HOTPLUG_TEST_TIMEOUT)
{
	char pmu[64], file[96], policy0[16], policy1[16], hpmn0_0[8], hpmn0_1[8];
	long counters, cpu1_counters;

	ASSERT_TRUE(read_sysfs("cpus/cpu0/pmu", pmu, sizeof(pmu)));
	snprintf(file, sizeof(file), "pmus/%.63s/counters", pmu);
	counters = read_sysfs_long(file);
	cpu1_counters = read_sysfs_long("cpus/cpu1/counters");
	EXPECT_TRUE(read_sysfs("cpus/cpu0/trap_policy", policy0, sizeof(policy0)));
	EXPECT_TRUE(read_sysfs("cpus/cpu1/trap_policy", policy1, sizeof(policy1)));
	EXPECT_TRUE(read_sysfs("cpus/cpu0/hpmn0", hpmn0_0, sizeof(hpmn0_0)));
	EXPECT_TRUE(read_sysfs("cpus/cpu1/hpmn0", hpmn0_1, sizeof(hpmn0_1)));
	ksft_print_msg("PMU %s: %ld counters; CPU 1 probed %ld, trap policy %s (CPU 0 %s), FEAT_HPMN0 %s (CPU 0 %s)\n",
		       pmu, counters, cpu1_counters, policy1, policy0, hpmn0_1, hpmn0_0);
	EXPECT_LT(0, counters);
	EXPECT_EQ(counters, cpu1_counters);
	EXPECT_STREQ(policy0, policy1);
	EXPECT_STREQ(hpmn0_0, hpmn0_1);
	EXPECT_EQ(0, kmsg_warnings(self->kmsg));
}

/* ------------------------------------- a partitioned vCPU across hotplug */

/* Best effort: the vCPU thread prefers CPU 1 whenever it is online. */
static void prefer_cpu1(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu1_online() ? 1 : 0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

struct vcpu_thread {
	struct pmu_vm p;
	atomic_bool stop;
	atomic_long rounds;
	long on_cpu1, backwards, short_counts;
	uint64_t least[2], last_after;
	atomic_bool ok;
};

static void *vcpu_run_loop(void *arg)
{
	struct vcpu_thread *v = arg;
	struct ucall uc;

	while (!atomic_load(&v->stop)) {
		prefer_cpu1();
		vcpu_run(v->p.vcpu);
		if (get_ucall(v->p.vcpu, &uc) != UCALL_SYNC) {
			if (uc.cmd == UCALL_ABORT)
				REPORT_GUEST_ASSERT(uc);
			v->ok = false;
			break;
		}
		v->on_cpu1 += sched_getcpu() == 1;
		/* args: 0 round, 1 INST_RETIRED, 2 PMCCNTR before, 3 after */
		if (uc.args[1] < (uc.args[0] % 2 + 1) * LOOP_K * LOOP_INSNS)
			v->short_counts++;
		if (uc.args[3] <= uc.args[2] || uc.args[2] < v->last_after)
			v->backwards++;
		v->last_after = uc.args[3];
		if (uc.args[1] < v->least[uc.args[0] % 2])
			v->least[uc.args[0] % 2] = uc.args[1];
		v->rounds++;
	}
	return NULL;
}

/* Waits (at most about 30 s) until the guest has done @rounds more rounds. */
static void wait_rounds(struct vcpu_thread *v, long rounds)
{
	long target = v->rounds + rounds;
	int waited;

	for (waited = 0; v->rounds < target && v->ok && waited < 30000; waited++)
		usleep(1000);
}

/* What a run across hotplug showed, besides the vCPU thread's counts. */
struct hotplug_run {
	int cycles;		/* hotplug cycles completed */
	int err;		/* the errno that stopped them, or 0 */
	bool host_read;		/* the host event could be opened and read */
	uint64_t host[3];	/* its value, time enabled, time running */
	bool partitioned;	/* the VM was partitioned at the end */
	uint64_t n;		/* its N */
};

/*
 * The fixture: CPU 1 online, a kernel log mark, and a partitioned VM
 * (default_mode) whose vCPU counts its loops (guest_code); run_across_hotplug()
 * runs it while CPU 1 goes offline and online, and destroys it.
 */
FIXTURE(partitioned_vcpu) {
	int kmsg;
	struct vcpu_thread v;
	struct hotplug_run run;
};

FIXTURE_SETUP(partitioned_vcpu)
{
	prepare_cpu1(_metadata, &self->kmsg);
	if (_metadata->exit_code)
		return;
	pmu_vm_create_running(&self->v.p, guest_code);
}

FIXTURE_TEARDOWN_PARENT(partitioned_vcpu)
{
	restore_cpu1();
}

/*
 * The vCPU runs (on CPU 1 whenever it is online) while CPU 1 goes offline
 * and online HOTPLUG_CYCLES times, ROUNDS_BETWEEN guest rounds apart;
 * then a pinned host event counts on CPU 1 while the vCPU still runs;
 * then the vCPU stops and the VM is destroyed.
 */
static void run_across_hotplug(struct __test_metadata *_metadata,
			       FIXTURE_DATA(partitioned_vcpu) *self)
{
	struct vcpu_thread *v = &self->v;
	struct hotplug_run *run = &self->run;
	volatile unsigned long spin;
	struct host_pmu host;
	pthread_t thread;
	int fd;

	v->least[0] = v->least[1] = ~0ULL;
	v->ok = true;
	ASSERT_EQ(0, pthread_create(&thread, NULL, vcpu_run_loop, v));
	wait_rounds(v, ROUNDS_BETWEEN);
	for (run->cycles = 0; run->cycles < HOTPLUG_CYCLES && v->ok; run->cycles++) {
		run->err = set_cpu1_online(false);
		if (!run->err) {
			wait_rounds(v, ROUNDS_BETWEEN);
			run->err = set_cpu1_online(true);
		}
		if (run->err) {
			ksft_print_msg("hotplug cycle %d: %s\n", run->cycles,
				       strerror(run->err));
			break;
		}
		wait_rounds(v, ROUNDS_BETWEEN);
	}

	/* Host perf on CPU 1 while the vCPU runs there. */
	find_host_pmu(&host);
	fd = open_host_el0_event(&host, ARMV8_PMUV3_PERFCTR_INST_RETIRED, -1, 1, false);
	pin_to_cpu(1);
	for (spin = 0; spin < 200000; spin++)
		;
	wait_rounds(v, ROUNDS_BETWEEN);
	run->host_read = fd >= 0 && read(fd, run->host, sizeof(run->host)) == sizeof(run->host);
	ksft_print_msg("host event on CPU 1: value %lu, enabled %lu, running %lu%s\n",
		       run->host[0], run->host[1], run->host[2],
		       fd < 0 ? " (no event)" : run->host_read ? "" : " (no read)");
	if (fd >= 0)
		close(fd);
	pin_to_cpu(0);

	atomic_store(&v->stop, true);
	pthread_join(thread, NULL);
	run->partitioned = !pmu_attr(v->p.vcpu, KVM_GET_DEVICE_ATTR,
				     KVM_PMU_PARTITION_ATTR_PARTITIONED, &run->n);
	pmu_vm_destroy(&v->p);

	ksft_print_msg("%ld guest rounds, %ld on CPU 1, %d hotplug cycles; least INST_RETIRED %lu (K) %lu (2K); %ld short counts, %ld cycle counter steps back\n",
		       (long)v->rounds, v->on_cpu1, run->cycles, v->least[0], v->least[1],
		       v->short_counts, v->backwards);
	ksft_print_msg("the VM was %spartitioned (N %lu)\n", run->partitioned ? "" : "NOT ",
		       run->n);
}

/* Every test of the fixture: the run went through all its hotplug cycles. */
static void check_hotplug_cycles(struct __test_metadata *_metadata,
				 FIXTURE_DATA(partitioned_vcpu) *self)
{
	EXPECT_ERRNO(0, self->run.err);
	EXPECT_EQ(HOTPLUG_CYCLES, self->run.cycles);
	/* Every check here is of a partitioned vCPU: a stock one proves nothing. */
	EXPECT_TRUE(self->run.partitioned);
}

/*
 * The vCPU's INST_RETIRED counts its own loops exactly across every
 * offline and online of its CPU. Host kinds: every rig under -icount;
 * skipped without INST_RETIRED (QEMU counts instructions only with
 * -icount).
 */
TEST_F_TIMEOUT(partitioned_vcpu, counts_stay_exact_across_cpu_offline_online,
	       HOTPLUG_TEST_TIMEOUT)
{
	char pmu[64], path[256];

	ASSERT_TRUE(read_sysfs("cpus/cpu0/pmu", pmu, sizeof(pmu)));
	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/events/inst_retired", pmu);
	if (access(path, F_OK))
		SKIP(return, "no INST_RETIRED: QEMU without -icount");
	run_across_hotplug(_metadata, self);
	check_hotplug_cycles(_metadata, self);
	EXPECT_TRUE(self->run.partitioned);
	EXPECT_TRUE(self->v.ok);
	EXPECT_LT(0, self->v.on_cpu1);
	EXPECT_EQ(0, self->v.short_counts);
	EXPECT_EQ((uint64_t)LOOP_K * LOOP_INSNS, self->v.least[1] - self->v.least[0]);
}

/* Its cycle counter never goes back across hotplug. Host kinds: every rig. */
TEST_F_TIMEOUT(partitioned_vcpu, cycle_counter_never_goes_back_across_hotplug,
	       HOTPLUG_TEST_TIMEOUT)
{
	run_across_hotplug(_metadata, self);
	check_hotplug_cycles(_metadata, self);
	EXPECT_TRUE(self->v.ok);
	EXPECT_LT(0, self->v.rounds);
	EXPECT_EQ(0, self->v.backwards);
}

/*
 * A pinned host event on CPU 1, after CPU 1 came back, gets a counter all
 * the time it is enabled while the partitioned vCPU runs there. Host
 * kinds: every rig.
 */
TEST_F_TIMEOUT(partitioned_vcpu, host_perf_keeps_a_counter_on_the_cpu_that_came_back,
	       HOTPLUG_TEST_TIMEOUT)
{
	run_across_hotplug(_metadata, self);
	check_hotplug_cycles(_metadata, self);
	EXPECT_TRUE(self->run.host_read);
	EXPECT_LE(200000, self->run.host[0]);
	EXPECT_LT(0, self->run.host[1]);
	EXPECT_EQ(self->run.host[1], self->run.host[2]);
}

/* No kernel warning from CPU 1's setup online to the VM's end. Every rig. */
TEST_F_TIMEOUT(partitioned_vcpu, no_kernel_warning_during_hotplug, HOTPLUG_TEST_TIMEOUT)
{
	run_across_hotplug(_metadata, self);
	check_hotplug_cycles(_metadata, self);
	EXPECT_EQ(0, kmsg_warnings(self->kmsg));
}

/* The VM's claim goes with it, also after hotplug. Every rig. */
TEST_F_TIMEOUT(partitioned_vcpu, nothing_stays_claimed_after_the_vm_is_gone,
	       HOTPLUG_TEST_TIMEOUT)
{
	run_across_hotplug(_metadata, self);
	check_hotplug_cycles(_metadata, self);
	EXPECT_EQ(0, read_sysfs_long("counters_claimed"));
	EXPECT_EQ(0, read_sysfs_long("vms"));
}

static pid_t harness_pid;

/*
 * At the harness's exit: CPU 1 online, also after a test the harness
 * ended at its timeout (its teardown did not run then).
 */
static void cpu1_online_at_exit(void)
{
	if (getpid() == harness_pid && cpu1_can_go_offline() && !cpu1_online())
		cpu1_back_online();
}

int main(int argc, char **argv)
{
	harness_pid = getpid();
	atexit(cpu1_online_at_exit);
	if (!rig_harness_lists_only(argc, argv)) {
		if (access(SYSFS, F_OK)) {
			ksft_print_header();
			ksft_exit_fail_msg("%s missing: kvm_pmu_partition is not loaded\n",
					   SYSFS);
		}
		if (!cpu1_can_go_offline()) {
			ksft_print_header();
			ksft_exit_skip("CPU 1 cannot go offline (no CONFIG_HOTPLUG_CPU or one CPU)\n");
		}
	}
	rig_harness_restore_on_stop = cpu1_back_online;
	return rig_harness_run(argc, argv);
}
