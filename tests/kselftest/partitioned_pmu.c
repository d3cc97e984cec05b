// SPDX-License-Identifier: GPL-2.0-only
/*
 * The partitioned PMU (docs/partition.md) on the rig.
 *
 * Usage: partitioned_pmu stock  (stock KVM emulation: no module loaded, or
 *                                loaded with default_mode=emulated)
 *        partitioned_pmu fgt    (loaded with default_mode=partitioned
 *                                reserved_host_counters=2, fgt=auto)
 *        partitioned_pmu trap   (the same with fgt=off)
 *
 * The guest-side checks (exact counting, host perf untouched by a guest's
 * PMU writes, two VMs on one CPU, overflow interrupts, no counting at EL2,
 * the sanitised PMCEID/PMMIR view, ONE_REG state and migration) state
 * rules that stock KVM's emulation also keeps, so "stock" runs them there
 * to validate the harness; the one stock KVM does not keep (NSH read back
 * from PMEVTYPER) is skipped there. The module modes run
 * them on VMs the module partitions (default_mode=partitioned), check that
 * every such VM was partitioned, and add the attribute, claim and sysfs
 * rules of the module. Every check fails if its rule is broken: module
 * builds with the partition's HPMN, its counter save or its EL2 filtering
 * broken fail the host-perf, two-VM/migration and EL2 checks.
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

enum mode { MODE_STOCK, MODE_FGT, MODE_TRAP };
static enum mode mode;
static bool module_mode;
static bool icount;			/* RIG_ICOUNT=1: QEMU counts exactly */
static struct host_pmu pmu;		/* the host's armv8 PMU */
static unsigned int host_counters;	/* event counters of the host PMU */
static unsigned int smallest_counters;	/* of the smallest host PMU (HPMN's base) */
static uint64_t expected_n;		/* PMCR_EL0.N of a partitioned guest */

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
 * Every VM of the module modes must have been partitioned by
 * default_mode=partitioned at its first KVM_RUN, with PMCR_EL0.N = the
 * host's counters minus the reservation (docs/partition.md "Enabling it",
 * "What the guest sees"). Checked once per VM after it ran; reported once.
 */
static int vms_checked, vms_not_partitioned;

static void note_vm_mode(struct kvm_vcpu *vcpu, const char *test)
{
	uint64_t n = ~0ULL, pmcr = 0;
	int err;

	if (!module_mode)
		return;
	vms_checked++;
	err = pmu_attr(vcpu, KVM_GET_DEVICE_ATTR, KVM_PMU_PARTITION_ATTR_PARTITIONED, &n);
	vcpu_get_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMCR_EL0), &pmcr);
	if (err || n != expected_n || FIELD_GET(ARMV8_PMU_PMCR_N, pmcr) != expected_n) {
		ksft_print_msg("%s: VM not partitioned as expected: GET attr %s, N %lu, PMCR_EL0.N %lu, expected N %lu\n",
			       test, err ? strerror(err) : "ok", n,
			       FIELD_GET(ARMV8_PMU_PMCR_N, pmcr), expected_n);
		vms_not_partitioned++;
	}
}

/* ------------------------------------------------------- guest helpers */

static uint64_t guest_pmcr_n(void)
{
	return FIELD_GET(ARMV8_PMU_PMCR_N, read_sysreg(pmcr_el0));
}

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
static void test_counting(void)
{
	uint64_t inst_diff, cycle_diff, expected = (uint64_t)LOOP_K * LOOP_INSNS;
	uint64_t inst1, cycles1, inst2, cycles2, not_increasing, read_span;
	struct ucall uc;
	struct tvm t;
	bool ok;

	tvm_create(&t, guest_count_loops, NULL);
	ok = run_to_ucall(t.vcpu, &uc) == UCALL_SYNC;
	note_vm_mode(t.vcpu, "counting");
	inst1 = uc.args[1];
	cycles1 = uc.args[2];
	inst2 = uc.args[3];
	cycles2 = uc.args[4];
	not_increasing = uc.args[5];
	read_span = uc.args[6];
	ksft_print_msg("N %lu; INST_RETIRED %lu (K) %lu (2K); CPU_CYCLES %lu (K) %lu (2K); expected difference %lu\n",
		       uc.args[0], inst1, inst2, cycles1, cycles2, expected);
	if (ok)
		ok = run_to_ucall(t.vcpu, &uc) == UCALL_DONE;
	tvm_destroy(&t);

	inst_diff = inst2 - inst1;
	cycle_diff = cycles2 - cycles1;
	if (!pmu.inst_retired)
		ksft_test_result_skip("inst_retired_difference_is_exact (the host PMU has no INST_RETIRED: QEMU without -icount)\n");
	else if (icount)
		ksft_test_result(ok && inst_diff == expected,
				 "inst_retired_difference_is_exact (%lu)\n", inst_diff);
	else	/* real hardware: within 1% */
		ksft_test_result(ok && inst_diff * 100 >= expected * 99 &&
				 inst_diff * 100 <= expected * 101,
				 "inst_retired_difference_within_1%% (%lu)\n", inst_diff);

	ksft_print_msg("16 reads of a counting PMCCNTR: %lu not above the previous one, %lu cycles from first to last\n",
		       not_increasing, read_span);
	ksft_test_result(ok && cycles1 > 0 && cycles2 > cycles1 && !not_increasing,
			 "cpu_cycles_nonzero_and_monotonic\n");

	/*
	 * Measured on stock KVM under -icount: the two differences are
	 * equal; allow 0.1% for QEMU's clock bookkeeping.
	 */
	if (!icount || !pmu.inst_retired)
		ksft_test_result_skip("cpu_cycles_difference_matches_inst_retired (needs -icount)\n");
	else
		ksft_test_result(ok && cycle_diff * 1000 >= inst_diff * 999 &&
				 cycle_diff * 1000 <= inst_diff * 1001,
				 "cpu_cycles_difference_matches_inst_retired (%lu vs %lu)\n",
				 cycle_diff, inst_diff);
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
 * hammering round still shows.
 */
#define HOST_ROUNDS	REPEATS	/* clean rounds wanted of each kind */
#define HOST_ATTEMPTS	(4 * REPEATS)

static void test_host_perf_unchanged(void)
{
	struct perf_count counts[2][HOST_ROUNDS], c[HOST_ATTEMPTS];
	int clean[2] = {}, entries[HOST_ATTEMPTS], attempts, attempt, hammer, fd, rc, i;
	uint64_t least[2] = { ~0UL, ~0UL };
	bool ran_all_the_time = true, equal, guest_ok = true;
	long fast = -1, full = -1, hammering;
	volatile unsigned long spin;
	struct ucall uc;
	struct tvm t;

	tvm_create(&t, guest_hammer_pmu, NULL);
	/* The first run makes the VM partitioned and claims its counters. */
	guest_ok &= run_to_ucall(t.vcpu, &uc) == UCALL_SYNC;
	note_vm_mode(t.vcpu, "host_perf");

	fd = open_host_el0_event(&pmu, ARMV8_PMUV3_PERFCTR_INST_RETIRED, 0, -1, true);
	if (fd < 0)
		ksft_exit_fail_msg("perf_event_open %s/0x8: %s\n", pmu.name, strerror(errno));
	/* Bind errno's and the syscalls' PLT entries before measuring. */
	errno = 0;
	read_event(fd);
	for (attempt = 0; attempt < HOST_ATTEMPTS && guest_ok &&
	     (clean[0] < HOST_ROUNDS || clean[1] < HOST_ROUNDS); attempt++) {
		hammer = attempt % 2;
		guest_hammer = hammer;
		sync_global_to_guest(t.vm, guest_hammer);
		ioctl(fd, PERF_EVENT_IOC_RESET, 0);
		ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
		/* Measured: this loop, KVM_RUN, the read. */
		for (spin = 0; spin < HOST_LOOP; spin++)
			;
		rc = run_counting_entries(t.vcpu, &entries[attempt]);
		c[attempt] = read_event(fd);
		ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
		guest_ok &= !rc && get_ucall(t.vcpu, &uc) == UCALL_SYNC;
		ran_all_the_time &= c[attempt].read_ok && c[attempt].enabled > 0 &&
				    c[attempt].running == c[attempt].enabled;
		if (entries[attempt] > 1 || clean[hammer] == HOST_ROUNDS)
			continue;
		counts[hammer][clean[hammer]++] = c[attempt];
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
		for (i = 0; i < clean[hammer]; i++)
			if (counts[hammer][i].read_ok)
				least[hammer] = min_u64(least[hammer], counts[hammer][i].value);
	ksft_print_msg("least of %d rounds: quiet %lu, hammering %lu\n", HOST_ROUNDS,
		       least[0], least[1]);
	equal = clean[0] == HOST_ROUNDS && clean[1] == HOST_ROUNDS && least[0] == least[1];
	if (module_mode && !vcpu_traps("pmcr", &fast, &full))
		ksft_print_msg("no pmcr line in the vCPU's traps file\n");
	tvm_destroy(&t);

	if (!pmu.inst_retired)
		ksft_test_result_skip("host_perf_count_unchanged_by_guest_pmu_writes (no INST_RETIRED: QEMU without -icount)\n");
	else
		ksft_test_result(guest_ok && equal && least[0] > HOST_LOOP,
				 "host_perf_count_unchanged_by_guest_pmu_writes\n");
	ksft_test_result(guest_ok && ran_all_the_time,
			 "host_perf_event_had_a_counter_all_the_time\n");

	if (!module_mode)
		return;
	/*
	 * Rule: with FEAT_FGT PMCR_EL0 reads are untrapped and its writes
	 * trapped (they are sanitised); without (fgt=off) both are trapped
	 * and emulated (docs/partition.md "Traps and context switch"), as the
	 * vCPU's sysfs traps file counts. Each hammering iteration writes
	 * PMCR_EL0 twice and reads it once; a lazy load adds a trap or two.
	 */
	hammering = (long)(attempts / 2) * HAMMER_K;
	ksft_print_msg("pmcr traps: %ld fast, %ld full; %ld writes, %ld reads\n",
		       fast, full, 2 * hammering, hammering);
	if (mode == MODE_FGT)
		ksft_test_result(fast >= 0 && full >= 0 && fast + full >= 2 * hammering &&
				 fast + full < 2 * hammering + hammering / 2,
				 "fgt_mode_traps_pmcr_writes_not_reads\n");
	else
		ksft_test_result(fast + full >= 3 * hammering,
				 "trap_mode_traps_pmcr_reads_and_writes\n");
	/*
	 * Rule: with fast_path=1 the guest-exit path emulates every trapped
	 * PMCR_EL0 access but the odd first one after a load; with
	 * fast_path=0 it emulates none, and each takes a full exit.
	 */
	if (read_sysfs_long("fast_path") == 1)
		ksft_test_result(fast >= 2 * hammering,
				 "fast_path_emulates_the_pmcr_traps (%ld fast, %ld full)\n",
				 fast, full);
	else
		ksft_test_result(fast == 0 && full >= 2 * hammering,
				 "no_fast_path_emulation_with_fast_path_0 (%ld fast, %ld full)\n",
				 fast, full);
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
 * missed. Both vCPU threads are pinned to one CPU and yield after every
 * exit; each guest re-reads its own pattern every round.
 */
static void test_two_vms_share_a_cpu(void)
{
	struct share_thread s[2] = {};
	pthread_barrier_t barrier;
	pthread_t threads[2];
	bool ok = true;
	int i;

	pthread_barrier_init(&barrier, NULL, 2);
	for (i = 0; i < 2; i++) {
		s[i].tag = i ? 0xb : 0xa;
		s[i].cpu = 0;
		s[i].barrier = &barrier;
		tvm_create(&s[i].t, guest_static_pattern, NULL);
		share_tag = s[i].tag;
		sync_global_to_guest(s[i].t.vm, share_tag);
	}
	for (i = 0; i < 2; i++)
		pthread_create(&threads[i], NULL, share_run, &s[i]);
	for (i = 0; i < 2; i++) {
		pthread_join(threads[i], NULL);
		note_vm_mode(s[i].t.vcpu, "two_vms");
		ksft_print_msg("VM %lx: %ld rounds, %ld mismatching registers\n",
			       s[i].tag, s[i].rounds, s[i].mismatches);
		ok &= s[i].ok && s[i].rounds == SHARE_ROUNDS && !s[i].mismatches;
		tvm_destroy(&s[i].t);
	}
	pthread_barrier_destroy(&barrier);
	pin_to_cpu(0);
	ksft_test_result(ok, "two_vms_sharing_a_cpu_see_only_their_own_pmu_state\n");
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
static void test_no_el2_counting(void)
{
	uint64_t inst_diff, cycle_diff, expected = (uint64_t)HVC_K * HVC_LOOP_INSNS;
	uint64_t typer, filter, nsh;
	struct ucall uc;
	struct tvm t;
	bool ok;

	tvm_create(&t, guest_hvcs, NULL);
	ok = run_to_ucall(t.vcpu, &uc) == UCALL_SYNC;
	note_vm_mode(t.vcpu, "el2");
	inst_diff = uc.args[2] - uc.args[0];
	cycle_diff = uc.args[3] - uc.args[1];
	typer = uc.args[4];
	filter = uc.args[5];
	nsh = uc.args[6] ? ARMV8_PMU_INCLUDE_EL2 : 0;
	ksft_print_msg("%d more HVCs: INST_RETIRED +%lu, CPU_CYCLES +%lu (guest-only: %lu); PMEVTYPER0 0x%lx, PMCCFILTR 0x%lx\n",
		       HVC_K, inst_diff, cycle_diff, expected, typer, filter);
	if (ok)
		ok = run_to_ucall(t.vcpu, &uc) == UCALL_DONE;
	tvm_destroy(&t);

	if (!pmu.inst_retired)
		ksft_test_result_skip("event_counter_counts_no_el2_instructions (no INST_RETIRED: QEMU without -icount)\n");
	else
		ksft_test_result(ok && (icount ? inst_diff == expected :
					inst_diff <= 2 * expected),
				 "event_counter_counts_no_el2_instructions\n");
	/*
	 * Without -icount CPU_CYCLES is time, whose share of an exit varies;
	 * with it, one cycle per guest instruction (exact on stock KVM).
	 */
	if (!icount)
		ksft_test_result_skip("cycle_counter_counts_no_el2_cycles (needs -icount)\n");
	else
		ksft_test_result(ok && cycle_diff == expected,
				 "cycle_counter_counts_no_el2_cycles\n");
	/* Stock and partitioned alike: NSH reads back iff the VM shows EL2. */
	ksft_test_result(ok && (typer & ARMV8_PMU_INCLUDE_EL2) == nsh &&
			 (typer & ARMV8_PMU_EVTYPE_EVENT) == ARMV8_PMUV3_PERFCTR_INST_RETIRED &&
			 (filter & ARMV8_PMU_INCLUDE_EL2) == nsh,
			 "nsh_reads_back_where_the_vm_shows_el2\n");
}

/* ------------------------------------------------ PMCEID, PMMIR, filter */

static void guest_view(void)
{
	/* PMMIR_EL1 exists from PMUv3p4; before, it is UNDEFINED. */
	uint64_t pmuver = FIELD_GET(ARM64_FEATURE_MASK(ID_AA64DFR0_EL1_PMUVer),
				    read_sysreg(id_aa64dfr0_el1));
	uint64_t pmmir = pmuver >= ID_AA64DFR0_EL1_PMUVer_V3P4 ?
			 read_sysreg_s(SYS_PMMIR_EL1) : 0;

	ucall(UCALL_SYNC, 4, read_sysreg(pmceid0_el0), read_sysreg(pmceid1_el0),
	      pmmir, guest_pmcr_n());

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
 */
static void test_guest_view(void)
{
	uint8_t storage[sizeof(struct kvm_pmu_event_filter)];
	struct kvm_pmu_event_filter *filter = (void *)storage;
	uint64_t pmceid0, pmceid1, pmmir, host = host_event_bitmap();
	uint64_t allowed0, allowed1, stall_slot = GENMASK_ULL(31, 29);
	struct ucall uc;
	struct tvm t;
	bool ok;

	memset(storage, 0, sizeof(storage));
	filter->base_event = ARMV8_PMUV3_PERFCTR_INST_RETIRED;
	filter->nevents = 1;
	filter->action = KVM_PMU_EVENT_DENY;
	tvm_create(&t, guest_view, filter);
	ok = run_to_ucall(t.vcpu, &uc) == UCALL_SYNC;
	note_vm_mode(t.vcpu, "guest_view");
	pmceid0 = uc.args[0];
	pmceid1 = uc.args[1];
	pmmir = uc.args[2];
	/*
	 * KVM always offers CHAIN, the PMU driver hides SW_INCR from sysfs
	 * (every PMUv3 has it); the filter takes INST_RETIRED away.
	 */
	allowed0 = ((host & GENMASK_ULL(31, 0)) | BIT_ULL(ARMV8_PMUV3_PERFCTR_CHAIN) |
		    BIT_ULL(ARMV8_PMUV3_PERFCTR_SW_INCR)) &
		   ~BIT_ULL(ARMV8_PMUV3_PERFCTR_INST_RETIRED);
	allowed1 = (host >> 32) & ~stall_slot;
	ksft_print_msg("guest PMCEID0 0x%lx PMCEID1 0x%lx PMMIR 0x%lx; host events 0x%lx\n",
		       pmceid0, pmceid1, pmmir, host);

	if (!pmu.inst_retired)
		ksft_test_result_skip("pmceid0_hides_the_denied_inst_retired (the host has no INST_RETIRED)\n");
	else
		ksft_test_result(ok && !(pmceid0 & BIT(ARMV8_PMUV3_PERFCTR_INST_RETIRED)),
				 "pmceid0_hides_the_denied_inst_retired\n");
	ksft_test_result(ok && !(pmceid1 & stall_slot) &&
			 !(pmceid0 & GENMASK_ULL(31, 0) & ~allowed0) &&
			 !(pmceid1 & GENMASK_ULL(31, 0) & ~allowed1),
			 "pmceid_shows_no_event_beyond_the_host_minus_filter_and_stall_slot\n");
	ksft_test_result(ok && pmmir == 0, "pmmir_el1_reads_zero\n");

	ok = ok && run_to_ucall(t.vcpu, &uc) == UCALL_SYNC;
	ksft_print_msg("denied INST_RETIRED counted %lu, CPU_CYCLES %lu; PMEVTYPER0 reads 0x%lx\n",
		       uc.args[0], uc.args[1], uc.args[2]);
	if (!pmu.inst_retired)
		ksft_test_result_skip("denied_event_does_not_count (the host has no INST_RETIRED)\n");
	else
		ksft_test_result(ok && uc.args[0] == 0 && uc.args[1] > 0 &&
				 uc.args[2] == ARMV8_PMUV3_PERFCTR_INST_RETIRED,
				 "denied_event_does_not_count_and_reads_back_as_written\n");
	if (ok)
		run_to_ucall(t.vcpu, &uc);
	tvm_destroy(&t);
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

static uint64_t get_reg(struct kvm_vcpu *vcpu, uint64_t reg)
{
	uint64_t value;

	vcpu_get_reg(vcpu, KVM_ARM64_SYS_REG(reg), &value);
	return value;
}

/*
 * Rule: KVM_GET/SET_ONE_REG of every PMU register read and set the
 * guest's values, and a vCPU moved to another CPU keeps its counts
 * (docs/partition.md "What the guest sees"). A partitioned guest's
 * values live in hardware while it runs, so GET must see what the guest
 * wrote, SET must reach the hardware before the guest's next access, and
 * a migration must carry them: exactly while stopped, increasing by at
 * least the loop (one cycle per instruction under -icount) while counting.
 */
static void test_state(void)
{
	uint64_t pmcr, cntr0, ccntr, prev0 = 0, prevc = 0;
	bool get_ok, set_ok, stopped_ok = true, running_ok = true, ok;
	struct ucall uc;
	struct tvm t;
	int m, cpus = sysconf(_SC_NPROCESSORS_ONLN);

	pin_to_cpu(0);
	tvm_create(&t, guest_state, NULL);
	ok = run_to_ucall(t.vcpu, &uc) == UCALL_SYNC && uc.args[0] == 1;
	note_vm_mode(t.vcpu, "state");
	cntr0 = get_reg(t.vcpu, SYS_PMEVCNTRn_EL0(0));
	ccntr = get_reg(t.vcpu, SYS_PMCCNTR_EL0);
	pmcr = get_reg(t.vcpu, SYS_PMCR_EL0);
	ksft_print_msg("guest wrote: PMEVCNTR0 0x%lx PMCCNTR 0x%lx PMCR 0x%lx PMCNTENSET 0x%lx; GET_ONE_REG: 0x%lx 0x%lx 0x%lx 0x%lx\n",
		       uc.args[1], uc.args[2], uc.args[3], uc.args[4], cntr0, ccntr, pmcr,
		       get_reg(t.vcpu, SYS_PMCNTENSET_EL0));
	get_ok = ok && uc.args[1] == STATE_CNTR0 && uc.args[2] == STATE_CCNTR &&
		 uc.args[4] == STATE_CNTEN && cntr0 == STATE_CNTR0 &&
		 ccntr == STATE_CCNTR && (pmcr & PMCR_KEPT) == (uc.args[3] & PMCR_KEPT) &&
		 get_reg(t.vcpu, SYS_PMCNTENSET_EL0) == STATE_CNTEN;
	ksft_test_result(get_ok, "get_one_reg_returns_the_guest_values\n");

	vcpu_set_reg(t.vcpu, KVM_ARM64_SYS_REG(SYS_PMEVCNTRn_EL0(0)), SET_CNTR0);
	vcpu_set_reg(t.vcpu, KVM_ARM64_SYS_REG(SYS_PMCCNTR_EL0), SET_CCNTR);
	vcpu_set_reg(t.vcpu, KVM_ARM64_SYS_REG(SYS_PMCNTENCLR_EL0), ~0UL);
	vcpu_set_reg(t.vcpu, KVM_ARM64_SYS_REG(SYS_PMCNTENSET_EL0), SET_CNTEN);
	vcpu_set_reg(t.vcpu, KVM_ARM64_SYS_REG(SYS_PMCR_EL0), pmcr & ~ARMV8_PMU_PMCR_LC);
	ok = ok && run_to_ucall(t.vcpu, &uc) == UCALL_SYNC && uc.args[0] == 2;
	ksft_print_msg("after SET_ONE_REG the guest reads: PMEVCNTR0 0x%lx PMCCNTR 0x%lx PMCR 0x%lx PMCNTENSET 0x%lx\n",
		       uc.args[1], uc.args[2], uc.args[3], uc.args[4]);
	set_ok = ok && uc.args[1] == SET_CNTR0 && uc.args[2] == SET_CCNTR &&
		 (uc.args[3] & PMCR_KEPT) == (pmcr & PMCR_KEPT & ~ARMV8_PMU_PMCR_LC) &&
		 uc.args[4] == SET_CNTEN;
	ksft_test_result(set_ok, "set_one_reg_values_are_what_the_guest_reads\n");

	for (m = 0; ok && m < MIGRATIONS; m++) {
		pin_to_cpu(m % cpus);
		ok = run_to_ucall(t.vcpu, &uc) == UCALL_SYNC && uc.args[0] == 3;
		if (ok && (uc.args[1] != SET_CNTR0 || uc.args[2] != SET_CCNTR) && stopped_ok) {
			ksft_print_msg("stopped, on CPU %d: PMEVCNTR0 0x%lx PMCCNTR 0x%lx\n",
				       m % cpus, uc.args[1], uc.args[2]);
			stopped_ok = false;
		}
	}
	ksft_test_result(ok && stopped_ok && cpus > 1,
			 "stopped_counts_stay_exact_across_%d_migrations\n", MIGRATIONS);

	prev0 = SET_CNTR0;
	prevc = SET_CCNTR;
	for (m = 0; ok && m < MIGRATIONS; m++) {
		uint64_t min = icount ? MIGRATION_LOOP : 1;

		pin_to_cpu(m % cpus);
		ok = run_to_ucall(t.vcpu, &uc) == UCALL_SYNC && uc.args[0] == 4;
		if (ok && (uc.args[1] < prev0 + min || uc.args[2] < prevc + min) &&
		    running_ok) {
			ksft_print_msg("counting, on CPU %d: PMEVCNTR0 0x%lx after 0x%lx, PMCCNTR 0x%lx after 0x%lx\n",
				       m % cpus, uc.args[1], prev0, uc.args[2], prevc);
			running_ok = false;
		}
		prev0 = uc.args[1];
		prevc = uc.args[2];
	}
	ok = ok && run_to_ucall(t.vcpu, &uc) == UCALL_DONE;
	ksft_test_result(ok && running_ok && cpus > 1,
			 "running_counts_keep_counting_across_%d_migrations\n", MIGRATIONS);
	tvm_destroy(&t);
	pin_to_cpu(0);
}

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
static void test_restore_before_first_run(void)
{
	uint64_t pmcr, cntr0, ccntr;
	struct ucall uc;
	struct tvm t;
	bool ok;

	pin_to_cpu(0);
	tvm_create(&t, guest_restored, NULL);
	pmcr = get_reg(t.vcpu, SYS_PMCR_EL0);
	vcpu_set_reg(t.vcpu, KVM_ARM64_SYS_REG(SYS_PMCR_EL0),
		     (pmcr & ARMV8_PMU_PMCR_N) | ARMV8_PMU_PMCR_LC | ARMV8_PMU_PMCR_E);
	vcpu_set_reg(t.vcpu, KVM_ARM64_SYS_REG(SYS_PMEVTYPERn_EL0(0)),
		     ARMV8_PMUV3_PERFCTR_CPU_CYCLES);
	vcpu_set_reg(t.vcpu, KVM_ARM64_SYS_REG(SYS_PMCCFILTR_EL0), 0);
	vcpu_set_reg(t.vcpu, KVM_ARM64_SYS_REG(SYS_PMEVCNTRn_EL0(0)), RESTORED_CNTR0);
	vcpu_set_reg(t.vcpu, KVM_ARM64_SYS_REG(SYS_PMCCNTR_EL0), RESTORED_CCNTR);
	vcpu_set_reg(t.vcpu, KVM_ARM64_SYS_REG(SYS_PMCNTENSET_EL0), BIT(0) | BIT(31));
	ok = run_to_ucall(t.vcpu, &uc) == UCALL_SYNC && uc.args[0] == 1;
	note_vm_mode(t.vcpu, "restore");
	cntr0 = uc.args[1];
	ccntr = uc.args[2];
	ksft_print_msg("restored PMEVCNTR0 0x%lx PMCCNTR 0x%lx; after a loop of %d: 0x%lx 0x%lx\n",
		       RESTORED_CNTR0, RESTORED_CCNTR, RESTORE_LOOP, cntr0, ccntr);
	ksft_test_result(ok && cntr0 >= RESTORED_CNTR0 + RESTORE_LOOP &&
			 cntr0 < RESTORED_CNTR0 + 100 * RESTORE_LOOP &&
			 ccntr >= RESTORED_CCNTR + RESTORE_LOOP &&
			 ccntr < RESTORED_CCNTR + 100 * RESTORE_LOOP,
			 "restored_counters_count_from_the_first_instruction\n");
	tvm_destroy(&t);
}

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
static void test_live_save_restore(void)
{
	static const uint64_t counter_regs[] = {
		SYS_PMEVCNTRn_EL0(0), SYS_PMEVCNTRn_EL0(1), SYS_PMCCNTR_EL0,
	};
	uint64_t saved[3], restored[3], ahead[3], again[3], overflow;
	static struct pmu_one_regs snapshot;
	int copied, set_errors, again_errors, c;
	bool ok, counts_ok, again_ok, stopped, again_stopped, rewound = true;
	struct ucall uc;
	struct tvm a, b;

	pin_to_cpu(0);
	tvm_create(&a, guest_live_before_save, NULL);
	ok = run_to_ucall(a.vcpu, &uc) == UCALL_SYNC && uc.args[0] == 1;
	note_vm_mode(a.vcpu, "live save");
	for (c = 0; c < 3; c++)
		saved[c] = get_reg(a.vcpu, counter_regs[c]);

	tvm_create(&b, guest_live_after_restore, NULL);
	copied = copy_pmu_one_regs(a.vcpu, b.vcpu, &set_errors);
	tvm_destroy(&a);
	ok = ok && run_to_ucall(b.vcpu, &uc) == UCALL_SYNC && uc.args[0] == 1;
	note_vm_mode(b.vcpu, "live restore");
	for (c = 0; c < 3; c++)
		restored[c] = uc.args[1 + c];
	overflow = uc.args[4];
	counts_ok = ok && live_counts_continue("restored into a new VM", saved, restored,
					       &stopped);

	/*
	 * loadvm: snapshot the VM that has run, let it count on, restore the
	 * snapshot into it. It must count on from the snapshot (rewound:
	 * under -icount, less than a loop past where it had got to; a
	 * snapshot that was not loaded puts it a whole loop, 3 x LIVE_LOOP
	 * instructions, past).
	 */
	save_pmu_one_regs(b.vcpu, &snapshot);
	ok = ok && run_to_ucall(b.vcpu, &uc) == UCALL_SYNC && uc.args[0] == 1;
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
		again_errors += restore_pmu_one_regs(b.vcpu, &snapshot);
		ok = ok && run_to_ucall(b.vcpu, &uc) == UCALL_SYNC && uc.args[0] == 1;
		for (c = 0; c < 3; c++)
			again[c] = min(again[c], uc.args[1 + c]);
		overflow |= uc.args[4];
	}
	for (c = 0; c < 3; c++)
		rewound &= !icount || again[c] < ahead[c] + LIVE_LOOP;
	/* Printed before any verdict, so a failure shows its values. */
	again_ok = live_counts_continue("restored into the same VM", restored, again,
					&again_stopped);
	if (!rewound)
		ksft_print_msg("not rewound: before the restore the VM had got to %lu %lu %lu\n",
			       ahead[0], ahead[1], ahead[2]);
	again_ok = again_ok && ok && rewound;
	ksft_print_msg("%d PMU registers copied, %d + %d SET errors, PMOVSSET after the restores 0x%lx\n",
		       copied, set_errors, again_errors, overflow);
	ok = ok && copied > 10 && !set_errors && !again_errors;
	if (mode == MODE_STOCK)
		ksft_test_result(ok && stopped && again_stopped,
				 "stock_6_12_live_counters_stand_still_after_save_and_restore\n");
	else
		ksft_test_result(ok && counts_ok && again_ok && !overflow,
				 "live_counters_continue_after_save_and_restore\n");
	tvm_destroy(&b);
}

/* --------------------------------------------------- the module's rules */

static void guest_sync_forever(void)
{
	for (;;)
		GUEST_SYNC(0);
}

static int set_partitioned(struct kvm_vcpu *vcpu)
{
	return pmu_attr(vcpu, KVM_SET_DEVICE_ATTR, KVM_PMU_PARTITION_ATTR_PARTITIONED, NULL);
}

/* Rule: the module runs the configuration check.plan loaded. */
static void test_module_config(void)
{
	char value[64], expected_policy[8];
	bool ok;

	snprintf(expected_policy, sizeof(expected_policy), "%s",
		 mode == MODE_FGT ? "fgt" : "trap");
	ok = read_line(SYSFS "/default_mode", value, sizeof(value)) &&
	     !strcmp(value, KVM_PMU_PARTITION_MODE_PARTITIONED);
	ok = ok && read_line(SYSFS "/trap_policy", value, sizeof(value)) &&
	     !strcmp(value, expected_policy);
	ksft_print_msg("default_mode %s... trap_policy %s, reserved_host_counters %ld, guest counters %lu of %u\n",
		       ok ? "partitioned" : "?", value, read_sysfs_long("reserved_host_counters"),
		       expected_n, host_counters);
	ksft_test_result(ok && read_sysfs_long("reserved_host_counters") == 2 &&
			 expected_n == smallest_counters - 2,
			 "module_loaded_partitioned_with_trap_policy_%s\n", expected_policy);
}

/*
 * Rule: the attribute's errors (include/uapi/linux/kvm_pmu_partition.h,
 * docs/partition.md "Errors").
 */
static void test_attribute_errors(void)
{
	struct kvm_vcpu *vcpu, *second;
	struct kvm_vcpu_init init;
	struct ucall uc;
	uint64_t n = ~0ULL;
	struct tvm t;
	int err;

	/* A vCPU without PMUv3. */
	tvm_add(&t, guest_sync_forever, false);
	expect_errno("attr_set_without_pmuv3_is_enodev", set_partitioned(t.vcpu), ENODEV);
	tvm_destroy(&t);

	/* Two vCPUs with PMUv3, PMUs not initialised yet. */
	t.vm = vm_create(2);
	vm_ioctl(t.vm, KVM_ARM_PREFERRED_TARGET, &init);
	init.features[0] |= 1 << KVM_ARM_VCPU_PMU_V3;
	vcpu = aarch64_vcpu_add(t.vm, 0, &init, guest_sync_forever);
	second = aarch64_vcpu_add(t.vm, 1, &init, guest_sync_forever);
	t.gic_fd = vgic_v3_setup(t.vm, 2, 64);
	expect_errno("attr_has_is_0",
		     pmu_attr(vcpu, KVM_HAS_DEVICE_ATTR, KVM_PMU_PARTITION_ATTR_PARTITIONED, NULL), 0);
	err = set_partitioned(vcpu);
	if (!err)
		err = pmu_attr(vcpu, KVM_GET_DEVICE_ATTR, KVM_PMU_PARTITION_ATTR_PARTITIONED, &n);
	ksft_print_msg("SET then GET: %s, N %lu (expected %lu)\n", strerror(err), n, expected_n);
	ksft_test_result(!err && n == expected_n, "attr_set_is_0_and_get_returns_n\n");
	expect_errno("attr_get_with_a_bad_address_is_efault",
		     pmu_attr(vcpu, KVM_GET_DEVICE_ATTR, KVM_PMU_PARTITION_ATTR_PARTITIONED,
			      (void *)8), EFAULT);
	pmu_vcpu_init(vcpu);
	expect_errno("attr_set_after_pmu_init_is_ebusy", set_partitioned(vcpu), EBUSY);
	run_to_ucall(vcpu, &uc);
	expect_errno("attr_set_after_the_vm_ran_is_ebusy", set_partitioned(second), EBUSY);
	close(t.gic_fd);
	kvm_vm_free(t.vm);

	/* A VM that chose the fixed-counters-only PMU. */
	tvm_add(&t, guest_sync_forever, true);
	err = pmu_attr(t.vcpu, KVM_SET_DEVICE_ATTR, KVM_PMU_PARTITION_ATTR_FIXED_COUNTERS_ONLY, NULL);
	if (err) {
		ksft_print_msg("choosing fixed: %s\n", strerror(err));
		ksft_test_result_fail("attr_set_on_a_vm_that_chose_fixed_is_eexist\n");
		ksft_test_result_fail("attr_get_on_a_vm_that_is_not_partitioned_is_enxio\n");
	} else {
		expect_errno("attr_set_on_a_vm_that_chose_fixed_is_eexist",
			     set_partitioned(t.vcpu), EEXIST);
		expect_errno("attr_get_on_a_vm_that_is_not_partitioned_is_enxio",
			     pmu_attr(t.vcpu, KVM_GET_DEVICE_ATTR,
				      KVM_PMU_PARTITION_ATTR_PARTITIONED, &n), ENXIO);
	}
	tvm_destroy(&t);
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

static int open_cpu_events(int *fds, int count, int cpu)
{
	int i;

	for (i = 0; i < count; i++) {
		fds[i] = open_host_el0_event(&pmu, ARMV8_PMUV3_PERFCTR_INST_RETIRED, -1, cpu, false);
		if (fds[i] < 0)
			ksft_exit_fail_msg("perf_event_open on CPU %d: %s\n", cpu, strerror(errno));
	}
	return count;
}

static void close_events(int *fds, int count)
{
	while (count--)
		close(fds[count]);
}

/*
 * Stock: the harness sees a pinned event that gets no counter (the host
 * PMU has host_counters event counters; the next INST_RETIRED event,
 * which cannot use the cycle counter, fails to schedule).
 */
static void test_stock_counter_ceiling(void)
{
	int fds[32], scheduled;
	bool last;

	open_cpu_events(fds, host_counters + 1, 0);
	scheduled = count_scheduled(fds, host_counters + 1, 0, &last);
	close_events(fds, host_counters + 1);
	ksft_test_result(scheduled == (int)host_counters && !last,
			 "harness_sees_pinned_events_beyond_%u_counters_fail (%d scheduled)\n",
			 host_counters, scheduled);
}

/*
 * Rule: the guest counters are claimed from host perf on every CPU while
 * a partitioned VM exists; host perf then schedules only on the
 * reserved counters, and gets them all back when the last partitioned VM
 * is destroyed; the claim fails with EBUSY while host events hold the
 * guest's counters (docs/partition.md "Enabling it", "Errors"). The armv8
 * PMU driver allocates the lowest free counter, so one pinned CPU-wide
 * event sits on counter 0, a guest counter.
 */
static void test_claim(void)
{
	int fds[32], kmsg, err, scheduled, reserved = host_counters - expected_n;
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	uint64_t n = 0;
	struct tvm t;
	bool last, ok, logged;

	/* SET while a host event holds counter 0 of CPU 0. */
	open_cpu_events(fds, 1, 0);
	count_scheduled(fds, 1, 0, &last);
	vcpu = tvm_add(&t, guest_sync_forever, true);
	kmsg = kmsg_mark();
	err = set_partitioned(vcpu);
	/* The line docs/partition.md "Errors" gives. */
	logged = kmsg_has(kmsg, "partitioned PMU refused: CPU 0 has host perf events on counters 0");
	close_events(fds, 1);
	ksft_print_msg("SET with a pinned host event on CPU 0 (scheduled: %d): %s\n",
		       last, err ? strerror(err) : "success");
	ok = err == ENOSPC && last;
	err = set_partitioned(vcpu);
	if (!err)
		err = pmu_attr(vcpu, KVM_GET_DEVICE_ATTR, KVM_PMU_PARTITION_ATTR_PARTITIONED, &n);
	ksft_print_msg("SET once the host event is gone: %s, N %lu\n",
		       err ? strerror(err) : "ok", n);
	ok = ok && !err && n == expected_n;
	tvm_destroy(&t);
	ksft_test_result(ok, "attr_set_while_a_host_event_holds_a_guest_counter_is_enospc\n");
	ksft_test_result(logged, "attr_set_refusal_names_the_cpu_and_counters_in_the_log\n");

	/*
	 * The first KVM_RUN of a VM only default_mode=partitioned put in the
	 * mode: it runs with KVM's emulation instead, and says so once.
	 */
	open_cpu_events(fds, 1, 0);
	count_scheduled(fds, 1, 0, &last);
	tvm_create(&t, guest_sync_forever, NULL);
	kmsg = kmsg_mark();
	err = __vcpu_run(t.vcpu) ? errno : 0;
	logged = kmsg_has(kmsg, "runs with KVM's PMU emulation, not default_mode=partitioned: host perf events hold its counters");
	close_events(fds, 1);
	ok = !err && pmu_attr(t.vcpu, KVM_GET_DEVICE_ATTR,
			      KVM_PMU_PARTITION_ATTR_PARTITIONED, &n) == ENXIO;
	ksft_print_msg("first KVM_RUN with a pinned host event on CPU 0: %s, logged %d\n",
		       err ? strerror(err) : "ok", logged);
	tvm_destroy(&t);
	ksft_test_result(ok && logged && last && read_sysfs_long("counters_claimed") == 0,
			 "default_partition_blocked_by_host_events_runs_emulated\n");

	/* A partitioned VM exists: host perf has only the reserved counters. */
	tvm_create(&t, guest_sync_forever, NULL);
	ok = run_to_ucall(t.vcpu, &uc) == UCALL_SYNC;
	note_vm_mode(t.vcpu, "claim");
	open_cpu_events(fds, reserved + 1, 0);
	scheduled = count_scheduled(fds, reserved + 1, 0, &last);
	close_events(fds, reserved + 1);
	ksft_print_msg("with a partitioned VM: %d of %d pinned events scheduled, counters_claimed %ld\n",
		       scheduled, reserved + 1, read_sysfs_long("counters_claimed"));
	ksft_test_result(ok && scheduled == reserved && !last &&
			 read_sysfs_long("counters_claimed") == 1,
			 "host_perf_gets_only_the_%d_reserved_counters_while_partitioned\n", reserved);
	tvm_destroy(&t);

	open_cpu_events(fds, host_counters, 0);
	scheduled = count_scheduled(fds, host_counters, 0, &last);
	close_events(fds, host_counters);
	ksft_print_msg("VM destroyed: %d of %u pinned events scheduled, counters_claimed %ld\n",
		       scheduled, host_counters, read_sysfs_long("counters_claimed"));
	ksft_test_result(scheduled == (int)host_counters &&
			 read_sysfs_long("counters_claimed") == 0,
			 "host_perf_gets_all_%u_counters_back_after_the_vm_is_destroyed\n",
			 host_counters);
}

/*
 * Rule: /sys/kernel/kvm_pmu_partition/reserved_host_counters can be
 * written while no partitioned VM exists (EBUSY otherwise, EINVAL above
 * the smallest PMU's N), and a new partitioned VM gets the new N
 * (docs/partition.md, docs/sysfs.md).
 */
static void test_reservation_writes(void)
{
	char value[16], guest_counters[256], log[128];
	int kmsg, err, reserved = smallest_counters - expected_n;
	struct ucall uc;
	uint64_t n = 0;
	struct tvm t;
	bool ok;

	snprintf(guest_counters, sizeof(guest_counters), "pmus/%s/guest_counters", pmu.name);
	tvm_create(&t, guest_sync_forever, NULL);
	run_to_ucall(t.vcpu, &uc);
	note_vm_mode(t.vcpu, "reservation");
	kmsg = kmsg_mark();
	err = write_sysfs("reserved_host_counters", "3\n");
	snprintf(log, sizeof(log),
		 "reserved_host_counters can change only while no partitioned VM exists (%d do)", 1);
	ok = kmsg_has(kmsg, log);
	if (err != EBUSY)
		ksft_print_msg("write: %s, expected EBUSY\n", err ? strerror(err) : "success");
	ksft_test_result(ok && err == EBUSY,
			 "reserved_host_counters_write_with_a_partitioned_vm_is_ebusy\n");
	tvm_destroy(&t);

	snprintf(value, sizeof(value), "%u\n", smallest_counters + 1);
	expect_errno("reserved_host_counters_write_above_n_is_einval",
		     write_sysfs("reserved_host_counters", value), EINVAL);

	err = write_sysfs("reserved_host_counters", "3\n");
	ok = !err && read_sysfs_long("reserved_host_counters") == 3 &&
	     read_sysfs_long(guest_counters) == (long)smallest_counters - 3;
	if (!err) {
		tvm_add(&t, guest_sync_forever, true);
		err = set_partitioned(t.vcpu);
		ok = ok && !err && !pmu_attr(t.vcpu, KVM_GET_DEVICE_ATTR,
					     KVM_PMU_PARTITION_ATTR_PARTITIONED, &n) &&
		     n == smallest_counters - 3 &&
		     FIELD_GET(ARMV8_PMU_PMCR_N, get_reg(t.vcpu, SYS_PMCR_EL0)) == n;
		tvm_destroy(&t);
	}
	snprintf(value, sizeof(value), "%d\n", reserved);
	err = write_sysfs("reserved_host_counters", value);
	ksft_print_msg("reserved_host_counters 3: guest N %lu; restoring %d: %s\n",
		       n, reserved, err ? strerror(err) : "ok");
	ok = ok && !err && read_sysfs_long("reserved_host_counters") == reserved;
	ksft_test_result(ok, "reserved_host_counters_write_without_partitioned_vms_sets_n\n");
}

int main(int argc, char **argv)
{
	const char *icount_env = getenv("RIG_ICOUNT");
	char path[256];

	if (argc != 2 || (strcmp(argv[1], "stock") && strcmp(argv[1], "fgt") &&
			  strcmp(argv[1], "trap")))
		ksft_exit_fail_msg("usage: %s stock|fgt|trap\n", argv[0]);
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
	ksft_set_plan(module_mode ? 39 : 20);
	pin_to_cpu(0);

	if (module_mode)
		test_module_config();
	test_counting();
	test_host_perf_unchanged();
	test_two_vms_share_a_cpu();
	test_no_el2_counting();
	test_guest_view();
	test_state();
	test_restore_before_first_run();
	test_live_save_restore();
	if (!module_mode) {
		test_stock_counter_ceiling();
		ksft_finished();
	}
	test_attribute_errors();
	test_claim();
	test_reservation_writes();
	ksft_print_msg("%d VMs checked, %d not partitioned\n", vms_checked, vms_not_partitioned);
	ksft_test_result(vms_checked > 0 && !vms_not_partitioned,
			 "every_vm_was_partitioned_with_pmcr_n_%lu\n", expected_n);
	ksft_finished();
}
