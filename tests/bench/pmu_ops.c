// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark: what one guest PMU operation, an HVC and an exit to user space
 * cost, in emulated instructions. Runs on the rig under -icount shift=0,
 * where the guest's CNTVCT_EL0 ticks are instructions emulated at every
 * exception level (guest, host kernel, KVM, the VMM): 1 GHz virtual clock,
 * 1 ns per instruction.
 *
 * Usage: pmu_ops MODE
 *   MODE names the host set-up the plan made and is checked against it:
 *   stock (no kvm_pmu_partition), partitioned-fgt (default_mode=partitioned),
 *   partitioned-trap-fast (and fgt=off), partitioned-trap-slow (and fgt=off
 *   fast_path=0), exit-floor (pmu_exit_floor.ko instead of the module: its
 *   early-exit hook takes every trapped access as done at once, so each
 *   trapped operation costs the guest exit round trip alone; only the ops
 *   VM runs, and the PMCCNTR read's figure is also printed as the row
 *   exit_floor).
 *
 * Each operation runs in a loop of N inside the guest, timed with CNTVCT,
 * against the same loop without the operation (the "empty" loop, which keeps
 * any set-up instruction the operation needs, such as the HVC's function ID);
 * a sample is (ticks of the loop - fewest ticks of its empty loop) / N. The
 * figure is the most frequent of REPS samples, the smallest on a tie: a host
 * timer tick landing in a loop adds about 3,570 instructions to that sample
 * only.
 *
 * Three VMs, created fresh and one after the other, each with one vCPU,
 * PMUv3 and a vGICv3:
 *   idle: never touches its PMU; times N writes to an unmapped GPA, each a
 *         KVM_EXIT_MMIO to this program, which only runs the vCPU again (the
 *         round trip puts and loads the vCPU): mmio_exit_idle_guest.
 *   pmu:  enables counter 0 (INST_RETIRED) and the cycle counter and keeps
 *         them counting, so a partitioned vCPU's PMU is loaded eagerly at
 *         every vcpu_load; the same MMIO loop: mmio_exit_pmu_guest.
 *   ops:  resets its PMU (counters disabled and zeroed, overflow and
 *         interrupt-enable bits clear), then times each register access in
 *         the order of ops[], PMEVTYPER writes last: they reprogram host perf
 *         events under stock KVM, and what they leave behind would land in
 *         the next loop.
 *
 * Output: a table and one "BENCH {json}" line per operation for make bench.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uapi/linux/kvm_pmu_partition.h>

#include "../kselftest/pmu_vm.h"

#define REPS		15
#define HVC_PSCI_VERSION	"0x84000000"	/* PSCI_0_2_FN_PSCI_VERSION */
#define SYSFS		KVM_PMU_PARTITION_SYSFS_DIR

enum op_id {
	OP_TPIDR_READ,
	OP_HVC,
	OP_PMCCNTR_READ,
	OP_PMEVCNTR_READ,
	OP_PMSELR_PMXEVCNTR,
	OP_PMCNTENSET_WRITE,
	OP_PMCR_WRITE,
	OP_PMOVSSET_READ,
	OP_PMEVTYPER_WRITE,
	OP_MMIO_EXIT_IDLE,
	OP_MMIO_EXIT_PMU,
	NR_OPS
};

static const struct {
	const char *name;
	uint64_t n;	/* loop length: a loop stays well below a 4 ms tick */
} ops[NR_OPS] = {
	[OP_TPIDR_READ]		= { "tpidr_read",		1000 },
	[OP_HVC]		= { "hvc",			64 },
	[OP_PMCCNTR_READ]	= { "pmccntr_read",		64 },
	[OP_PMEVCNTR_READ]	= { "pmevcntr_read",		64 },
	[OP_PMSELR_PMXEVCNTR]	= { "pmselr_pmxevcntr",		64 },
	[OP_PMCNTENSET_WRITE]	= { "pmcntenset_write",		64 },
	[OP_PMCR_WRITE]		= { "pmcr_write",		64 },
	[OP_PMOVSSET_READ]	= { "pmovsset_read",		64 },
	[OP_PMEVTYPER_WRITE]	= { "pmevtyper_write",		16 },
	[OP_MMIO_EXIT_IDLE]	= { "mmio_exit_idle_guest",	32 },
	[OP_MMIO_EXIT_PMU]	= { "mmio_exit_pmu_guest",	32 },
};

/* Guest memory: set by the host before the run, read back after it. */
static uint64_t mmio_gva;
static uint64_t loop_n[NR_OPS];
static uint64_t ticks_empty[NR_OPS][REPS], ticks_op[NR_OPS][REPS];

/*
 * One timed loop of n iterations of PRE BODY. %[v] holds the value an
 * operation writes, %[a] the MMIO address; the clobbers are the caller's.
 */
#define TIMED_LOOP(n, pre, body, ...)					\
({									\
	uint64_t __t0, __t1, __n = (n);					\
	asm volatile("isb\n\t"						\
		     "mrs %[t0], cntvct_el0\n"				\
		     "1:\n\t"						\
		     pre "\n\t"						\
		     body "\n\t"					\
		     "subs %[n], %[n], #1\n\t"				\
		     "b.ne 1b\n\t"					\
		     "isb\n\t"						\
		     "mrs %[t1], cntvct_el0"				\
		     : [t0] "=&r" (__t0), [t1] "=&r" (__t1), [n] "+r" (__n) \
		     : [v] "r" (v), [a] "r" (a)				\
		     : "memory", "cc", ##__VA_ARGS__);			\
	__t1 - __t0;							\
})

#define OP_LOOP(with_op, n, pre, body, ...)				\
	((with_op) ? TIMED_LOOP(n, pre, body, ##__VA_ARGS__)		\
		   : TIMED_LOOP(n, pre, "", ##__VA_ARGS__))

static uint64_t guest_loop(enum op_id op, bool with_op)
{
	uint64_t n = loop_n[op], v = 0, a = mmio_gva;

	switch (op) {
	case OP_TPIDR_READ:
		return OP_LOOP(with_op, n, "", "mrs x0, tpidr_el0", "x0");
	case OP_HVC:
		return OP_LOOP(with_op, n, "mov x0, #" HVC_PSCI_VERSION, "hvc #0",
			       "x0", "x1", "x2", "x3");
	case OP_PMCCNTR_READ:
		return OP_LOOP(with_op, n, "", "mrs x0, pmccntr_el0", "x0");
	case OP_PMEVCNTR_READ:
		return OP_LOOP(with_op, n, "", "mrs x0, pmevcntr0_el0", "x0");
	case OP_PMSELR_PMXEVCNTR:
		/* Counter 0 stays selected, so no ISB is needed between. */
		return OP_LOOP(with_op, n, "",
			       "msr pmselr_el0, xzr\n\tmrs x0, pmxevcntr_el0", "x0");
	case OP_PMCNTENSET_WRITE:
		v = BIT(0);
		return OP_LOOP(with_op, n, "", "msr pmcntenset_el0, %[v]");
	case OP_PMCR_WRITE:
		v = read_sysreg(pmcr_el0) & ~(uint64_t)ARMV8_PMU_PMCR_E;
		return OP_LOOP(with_op, n, "", "msr pmcr_el0, %[v]");
	case OP_PMOVSSET_READ:
		return OP_LOOP(with_op, n, "", "mrs x0, pmovsset_el0", "x0");
	case OP_PMEVTYPER_WRITE:
		v = ARMV8_PMUV3_PERFCTR_INST_RETIRED;
		return OP_LOOP(with_op, n, "", "msr pmevtyper0_el0, %[v]");
	case OP_MMIO_EXIT_IDLE:
	case OP_MMIO_EXIT_PMU:
		return OP_LOOP(with_op, n, "", "str xzr, [%[a]]");
	default:
		GUEST_FAIL("no op %d", op);
		return 0;
	}
}

static void guest_measure(enum op_id op)
{
	for (int r = 0; r < REPS; r++) {
		ticks_empty[op][r] = guest_loop(op, false);
		ticks_op[op][r] = guest_loop(op, true);
	}
}

static void guest_idle(void)
{
	guest_measure(OP_MMIO_EXIT_IDLE);
	GUEST_DONE();
}

/* Disabled, zeroed counters with no overflow or interrupt enabled. */
static void guest_pmu_reset(void)
{
	write_sysreg(~0ul, pmcntenclr_el0);
	write_sysreg(~0ul, pmintenclr_el1);
	write_sysreg(~0ul, pmovsclr_el0);
	isb();
	write_sysreg((read_sysreg(pmcr_el0) & ~(uint64_t)ARMV8_PMU_PMCR_E) |
		     ARMV8_PMU_PMCR_P | ARMV8_PMU_PMCR_C, pmcr_el0);
	isb();
}

static void guest_pmu_counting(void)
{
	guest_pmu_reset();
	write_sysreg(ARMV8_PMUV3_PERFCTR_INST_RETIRED, pmevtyper0_el0);
	write_sysreg(0, pmccfiltr_el0);
	write_sysreg(BIT(0) | BIT(31), pmcntenset_el0);
	isb();
	write_sysreg(read_sysreg(pmcr_el0) | ARMV8_PMU_PMCR_E |
		     ARMV8_PMU_PMCR_LC, pmcr_el0);
	isb();
	guest_measure(OP_MMIO_EXIT_PMU);
	GUEST_ASSERT(read_sysreg(pmevcntr0_el0) != 0);
	GUEST_DONE();
}

static void guest_pmu_ops(void)
{
	guest_pmu_reset();
	for (int op = OP_TPIDR_READ; op <= OP_PMEVTYPER_WRITE; op++)
		guest_measure(op);
	GUEST_DONE();
}

static const char *mode;

static struct kvm_vm *bench_vm_create(void *guest_code, struct kvm_vcpu **vcpu,
				      int *gic_fd, uint64_t *mmio_gpa)
{
	struct kvm_vcpu_init init;
	struct kvm_vm *vm;
	int op;

	vm = vm_create(1);
	vm_ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init);
	init.features[0] |= 1 << KVM_ARM_VCPU_PMU_V3;
	*vcpu = aarch64_vcpu_add(vm, 0, &init, guest_code);
	*gic_fd = vgic_v3_setup(vm, 1, 64);
	__TEST_REQUIRE(*gic_fd >= 0, "no vGICv3 on this host");
	pmu_vcpu_init(*vcpu);

	/* A page above the ucall page: mapped in the guest, in no memslot. */
	*mmio_gpa = vm->ucall_mmio_addr + vm->page_size;
	mmio_gva = vm_vaddr_unused_gap(vm, vm->page_size, KVM_UTIL_MIN_VADDR);
	virt_map(vm, mmio_gva, *mmio_gpa, 1);
	sync_global_to_guest(vm, mmio_gva);
	for (op = 0; op < NR_OPS; op++)
		loop_n[op] = ops[op].n;
	sync_global_to_guest(vm, loop_n);
	return vm;
}

static int read_sysfs(const char *file, char *buf, size_t size)
{
	char path[256];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", SYSFS, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = !!fgets(buf, size, f);
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* The host set-up the plan made must be the one MODE names. */
static void check_host_mode(void)
{
	char policy[32] = "", fast[8] = "", dmode[32] = "";
	bool loaded = access("/sys/module/kvm_pmu_partition", F_OK) == 0;

	if (!strcmp(mode, "exit-floor")) {
		TEST_ASSERT(!loaded && !access("/sys/module/pmu_exit_floor", F_OK),
			    "mode exit-floor needs pmu_exit_floor loaded, kvm_pmu_partition not");
		return;
	}
	if (!strcmp(mode, "stock")) {
		TEST_ASSERT(!loaded, "mode stock with kvm_pmu_partition loaded");
		return;
	}
	TEST_ASSERT(loaded, "mode %s without kvm_pmu_partition loaded", mode);
	TEST_ASSERT(!read_sysfs("default_mode", dmode, sizeof(dmode)) &&
		    !strcmp(dmode, KVM_PMU_PARTITION_MODE_PARTITIONED),
		    "mode %s: default_mode is '%s'", mode, dmode);
	TEST_ASSERT(!read_sysfs("trap_policy", policy, sizeof(policy)) &&
		    !read_sysfs("fast_path", fast, sizeof(fast)),
		    "mode %s: no %s/trap_policy or fast_path", mode, SYSFS);
	if (!strcmp(mode, "partitioned-fgt"))
		TEST_ASSERT(!strcmp(policy, "fgt") && !strcmp(fast, "1"),
			    "mode %s: trap_policy=%s fast_path=%s", mode, policy, fast);
	else if (!strcmp(mode, "partitioned-trap-fast"))
		TEST_ASSERT(!strcmp(policy, "trap") && !strcmp(fast, "1"),
			    "mode %s: trap_policy=%s fast_path=%s", mode, policy, fast);
	else if (!strcmp(mode, "partitioned-trap-slow"))
		TEST_ASSERT(!strcmp(policy, "trap") && !strcmp(fast, "0"),
			    "mode %s: trap_policy=%s fast_path=%s", mode, policy, fast);
	else
		TEST_FAIL("unknown mode %s", mode);
}

/* After its first run a VM must be partitioned exactly when MODE says so. */
static void check_vm_mode(struct kvm_vcpu *vcpu)
{
	uint64_t n;
	int ret;

	ret = __vcpu_device_attr_get(vcpu, KVM_ARM_VCPU_PMU_V3_CTRL,
				     KVM_PMU_PARTITION_ATTR_PARTITIONED, &n);
	if (!strcmp(mode, "stock") || !strcmp(mode, "exit-floor"))
		TEST_ASSERT(ret, "%s VM reports a partitioned PMU", mode);
	else
		TEST_ASSERT(!ret, "mode %s: VM is not partitioned", mode);
}

/*
 * Runs the vCPU to GUEST_DONE. A write to the bench's MMIO page comes back
 * here as KVM_EXIT_MMIO and is only re-run: nothing else happens in user
 * space between the exit and the next KVM_RUN.
 */
static void run_to_done(struct kvm_vcpu *vcpu, uint64_t mmio_gpa)
{
	struct kvm_run *run = vcpu->run;
	struct ucall uc;
	int ret;

	for (;;) {
		ret = __vcpu_run(vcpu);
		if (!ret && run->exit_reason == KVM_EXIT_MMIO &&
		    run->mmio.phys_addr == mmio_gpa)
			continue;
		TEST_ASSERT(!ret, KVM_IOCTL_ERROR(KVM_RUN, ret));
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_DONE:
			return;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		default:
			TEST_FAIL("unexpected exit %u, ucall %lu",
				  run->exit_reason, uc.cmd);
		}
	}
}

/* Runs GUEST_CODE in a fresh VM and keeps its samples of ops FIRST..LAST. */
static void measure_vm(void *guest_code, enum op_id first, enum op_id last)
{
	size_t size = (last - first + 1) * sizeof(ticks_op[0]);
	struct kvm_vcpu *vcpu;
	uint64_t mmio_gpa;
	struct kvm_vm *vm;
	int gic_fd;

	vm = bench_vm_create(guest_code, &vcpu, &gic_fd, &mmio_gpa);
	run_to_done(vcpu, mmio_gpa);
	check_vm_mode(vcpu);
	memcpy(ticks_empty[first],
	       addr_gva2hva(vm, (vm_vaddr_t)ticks_empty[first]), size);
	memcpy(ticks_op[first],
	       addr_gva2hva(vm, (vm_vaddr_t)ticks_op[first]), size);
	close(gic_fd);
	kvm_vm_free(vm);
}

static int compare(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The most frequent sample, the smallest on a tie; and the range. */
static int64_t figure(enum op_id op, int64_t *lo, int64_t *hi)
{
	int64_t base = INT64_MAX, n = ops[op].n, samples[REPS], best = 0;
	int r, run, best_run = 0;

	for (r = 0; r < REPS; r++)
		if ((int64_t)ticks_empty[op][r] < base)
			base = ticks_empty[op][r];
	for (r = 0; r < REPS; r++) {
		int64_t d = (int64_t)ticks_op[op][r] - base;

		samples[r] = (d + n / 2) / n;
	}
	qsort(samples, REPS, sizeof(samples[0]), compare);
	for (r = 0; r < REPS; r += run) {
		for (run = 1; r + run < REPS && samples[r + run] == samples[r]; run++)
			;
		if (run > best_run) {
			best_run = run;
			best = samples[r];
		}
	}
	*lo = samples[0];
	*hi = samples[REPS - 1];
	return best;
}

int main(int argc, char **argv)
{
	int64_t value, lo, hi;
	int op, first = 0, last = NR_OPS - 1;
	bool floor;

	TEST_ASSERT(argc == 2, "usage: %s stock|partitioned-fgt|%s", argv[0],
		    "partitioned-trap-fast|partitioned-trap-slow|exit-floor");
	mode = argv[1];
	floor = !strcmp(mode, "exit-floor");
	check_host_mode();
	pin_to_cpu(0);

	if (floor) {
		/* The trapped PMU accesses alone. */
		first = OP_PMCCNTR_READ;
		last = OP_PMEVTYPER_WRITE;
	} else {
		measure_vm(guest_idle, OP_MMIO_EXIT_IDLE, OP_MMIO_EXIT_IDLE);
		measure_vm(guest_pmu_counting, OP_MMIO_EXIT_PMU, OP_MMIO_EXIT_PMU);
	}
	measure_vm(guest_pmu_ops, OP_TPIDR_READ, OP_PMEVTYPER_WRITE);

	printf("%s: emulated instructions per guest operation\n", mode);
	printf("  (most frequent of %d samples; the samples' range)\n", REPS);
	for (op = first; op <= last; op++) {
		value = figure(op, &lo, &hi);
		printf("  %-24s %8ld   %ld..%ld\n", ops[op].name, value, lo, hi);
	}
	for (op = first; op <= last; op++) {
		value = figure(op, &lo, &hi);
		printf("BENCH {\"mode\": \"%s\", \"op\": \"%s\", \"insn_per_op\": %ld}\n",
		       mode, ops[op].name, value);
	}
	if (floor) {
		value = figure(OP_PMCCNTR_READ, &lo, &hi);
		printf("BENCH {\"mode\": \"%s\", \"op\": \"exit_floor\", \"insn_per_op\": %ld}\n",
		       mode, value);
	}
	return 0;
}
