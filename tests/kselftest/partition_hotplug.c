// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPUs going offline and online while partitioned VMs run.
 *
 * Usage: partition_hotplug  (kvm_pmu_partition loaded with
 *        default_mode=partitioned and a reservation; at least 2 CPUs; the
 *        plan may have loaded it while CPU 1 was offline)
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
 * the neoverse-n1 variant without FGT and FEAT_HPMN0).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>

#include <uapi/linux/kvm_pmu_partition.h>

#include "kselftest.h"
#include "pmu_test.h"

#define SYSFS		KVM_PMU_PARTITION_SYSFS_DIR
#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"
#define LOOP_K		2000	/* iterations of the short counted loop */
#define HOTPLUG_CYCLES	8
#define ROUNDS_BETWEEN	6	/* guest rounds between hotplug steps */

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

int main(void)
{
	char pmu[64], path[256], policy0[16], policy1[16], hpmn0_0[8], hpmn0_1[8];
	struct vcpu_thread v = {};
	struct host_pmu host;
	uint64_t counts[3];
	long counters, cpu1_counters;
	pthread_t thread;
	int i, err, fd, kmsg;
	bool hotplug_ok = true, counted, partitioned;
	uint64_t n = 0;
	volatile unsigned long spin;

	ksft_print_header();
	if (access(SYSFS, F_OK))
		ksft_exit_fail_msg("%s missing: kvm_pmu_partition is not loaded\n", SYSFS);
	if (access(CPU1_ONLINE, W_OK))
		ksft_exit_skip("CPU 1 cannot go offline (no CONFIG_HOTPLUG_CPU or one CPU)\n");
	ksft_set_plan(6);
	kmsg = kmsg_mark();

	/* The CPU the plan may have onlined after the load. */
	if (!cpu1_online() && set_cpu1_online(true))
		ksft_exit_fail_msg("cannot online CPU 1\n");
	read_sysfs("cpus/cpu0/pmu", pmu, sizeof(pmu));
	snprintf(path, sizeof(path), "pmus/%s/counters", pmu);
	counters = read_sysfs_long(path);
	cpu1_counters = read_sysfs_long("cpus/cpu1/counters");
	read_sysfs("cpus/cpu0/trap_policy", policy0, sizeof(policy0));
	read_sysfs("cpus/cpu1/trap_policy", policy1, sizeof(policy1));
	read_sysfs("cpus/cpu0/hpmn0", hpmn0_0, sizeof(hpmn0_0));
	read_sysfs("cpus/cpu1/hpmn0", hpmn0_1, sizeof(hpmn0_1));
	ksft_print_msg("PMU %s: %ld counters; CPU 1 probed %ld, trap policy %s (CPU 0 %s), FEAT_HPMN0 %s (CPU 0 %s)\n",
		       pmu, counters, cpu1_counters, policy1, policy0, hpmn0_1, hpmn0_0);
	ksft_test_result(counters > 0 && cpu1_counters == counters &&
			 !strcmp(policy0, policy1) && !strcmp(hpmn0_0, hpmn0_1),
			 "cpu_onlined_after_load_is_probed_like_the_others\n");

	pmu_vm_create_running(&v.p, guest_code);
	v.least[0] = v.least[1] = ~0ULL;
	v.ok = true;
	pthread_create(&thread, NULL, vcpu_run_loop, &v);
	wait_rounds(&v, ROUNDS_BETWEEN);
	for (i = 0; i < HOTPLUG_CYCLES && v.ok; i++) {
		err = set_cpu1_online(false);
		if (!err) {
			wait_rounds(&v, ROUNDS_BETWEEN);
			err = set_cpu1_online(true);
		}
		if (err) {
			ksft_print_msg("hotplug cycle %d: %s\n", i, strerror(err));
			hotplug_ok = false;
			break;
		}
		wait_rounds(&v, ROUNDS_BETWEEN);
	}

	/* Host perf on CPU 1 while the vCPU runs there. */
	find_host_pmu(&host);
	fd = open_host_el0_event(&host, ARMV8_PMUV3_PERFCTR_INST_RETIRED, -1, 1, false);
	pin_to_cpu(1);
	for (spin = 0; spin < 200000; spin++)
		;
	wait_rounds(&v, ROUNDS_BETWEEN);
	counted = fd >= 0 && read(fd, counts, sizeof(counts)) == sizeof(counts) &&
		  counts[0] >= 200000 && counts[1] > 0 && counts[2] == counts[1];
	ksft_print_msg("host event on CPU 1: value %lu, enabled %lu, running %lu\n",
		       fd >= 0 ? counts[0] : 0, fd >= 0 ? counts[1] : 0,
		       fd >= 0 ? counts[2] : 0);
	if (fd >= 0)
		close(fd);
	pin_to_cpu(0);

	atomic_store(&v.stop, true);
	pthread_join(thread, NULL);
	partitioned = !pmu_attr(v.p.vcpu, KVM_GET_DEVICE_ATTR,
				KVM_PMU_PARTITION_ATTR_PARTITIONED, &n);
	pmu_vm_destroy(&v.p);

	ksft_print_msg("%ld guest rounds, %ld on CPU 1, %d hotplug cycles; least INST_RETIRED %lu (K) %lu (2K); %ld short counts, %ld cycle counter steps back\n",
		       v.rounds, v.on_cpu1, i, v.least[0], v.least[1],
		       v.short_counts, v.backwards);
	ksft_print_msg("the VM was %spartitioned (N %lu)\n", partitioned ? "" : "NOT ", n);
	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/events/inst_retired", pmu);
	if (access(path, F_OK))	/* QEMU counts instructions only with -icount */
		ksft_test_result_skip("partitioned_counts_stay_exact_across_cpu_offline_online (no INST_RETIRED: QEMU without -icount)\n");
	else
		ksft_test_result(partitioned && hotplug_ok && i == HOTPLUG_CYCLES &&
				 v.ok && v.on_cpu1 > 0 && !v.short_counts &&
				 v.least[1] - v.least[0] == (uint64_t)LOOP_K * LOOP_INSNS,
				 "partitioned_counts_stay_exact_across_cpu_offline_online\n");
	ksft_test_result(v.ok && v.rounds > 0 && !v.backwards,
			 "partitioned_cycle_counter_never_goes_back_across_hotplug\n");
	ksft_test_result(counted, "host_perf_keeps_a_counter_on_the_cpu_that_came_back\n");

	ksft_test_result(!kmsg_warnings(kmsg), "no_kernel_warning_during_hotplug\n");
	ksft_test_result(read_sysfs_long("counters_claimed") == 0 &&
			 read_sysfs_long("vms") == 0,
			 "nothing_stays_claimed_after_the_vm_is_gone\n");
	ksft_finished();
}
