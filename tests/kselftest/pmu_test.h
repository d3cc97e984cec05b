/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the PMU kselftests share beyond a one-vCPU VM (pmu_vm.h) and the
 * kernel log (kernel_state.h): a test VM with exception vectors (struct
 * tvm), running a vCPU to its next ucall, a TAP result for an expected
 * errno, the module's sysfs numbers, the host's armv8 PMU and pinned perf
 * events on it, accessors of the numbered PMU registers (for guests and
 * host EL0), and the HVC loop that shows whether a guest's counters count
 * at EL2. partitioned_pmu.c still has its own copies of most of these.
 */
#ifndef PMU_TEST_H
#define PMU_TEST_H

#include <dirent.h>
#include <glob.h>
#include <string.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>
#include <linux/psci.h>

#include <uapi/linux/kvm_pmu_partition.h>

#include "kselftest.h"
#include "pmu_vm.h"
#include "kernel_state.h"

/* ----------------------------------------------------------- test VMs */

struct tvm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	int gic_fd;
};

/* One vCPU with PMUv3 (unless !pmu), a vGICv3 and exception vectors. */
static inline struct kvm_vcpu *tvm_add(struct tvm *t, void *guest_code, bool pmu)
{
	struct kvm_vcpu_init init;

	t->vm = vm_create(1);
	vm_ioctl(t->vm, KVM_ARM_PREFERRED_TARGET, &init);
	if (pmu)
		init.features[0] |= 1 << KVM_ARM_VCPU_PMU_V3;
	t->vcpu = aarch64_vcpu_add(t->vm, 0, &init, guest_code);
	vm_init_descriptor_tables(t->vm);
	vcpu_init_descriptor_tables(t->vcpu);
	t->gic_fd = vgic_v3_setup(t->vm, 1, 64);
	__TEST_REQUIRE(t->gic_fd >= 0, "no vGICv3 on this host");
	return t->vcpu;
}

static inline void tvm_destroy(struct tvm *t)
{
	close(t->gic_fd);
	kvm_vm_free(t->vm);
}

/*
 * Runs to the next ucall and returns it; a guest assertion or another
 * exit is printed, not fatal.
 */
static inline uint64_t run_to_ucall(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	uint64_t cmd;

	vcpu_run(vcpu);
	TEST_ASSERT(vcpu->run->exit_reason != KVM_EXIT_FAIL_ENTRY,
		    "KVM_EXIT_FAIL_ENTRY (reason %llu) on CPU %u",
		    vcpu->run->fail_entry.hardware_entry_failure_reason,
		    vcpu->run->fail_entry.cpu);
	cmd = get_ucall(vcpu, uc);
	if (cmd == UCALL_ABORT)
		ksft_print_msg("guest assertion: %s at %s:%ld\n",
			       (const char *)uc->buffer, (const char *)uc->args[1],
			       uc->args[2]);
	else if (cmd != UCALL_SYNC && cmd != UCALL_DONE)
		ksft_print_msg("unexpected exit %u, ucall %lu\n",
			       vcpu->run->exit_reason, cmd);
	return cmd;
}

/*
 * KVM_RUN until it returns for something other than a signal, as the
 * library's vcpu_run() does, counting the entries: a measurement whose
 * KVM_RUN was re-entered ran more user-space code.
 */
static inline int run_counting_entries(struct kvm_vcpu *vcpu, int *entries)
{
	int rc;

	*entries = 0;
	do {
		rc = ioctl(vcpu->fd, KVM_RUN, NULL);
		(*entries)++;
	} while (rc == -1 && errno == EINTR);
	return rc;
}

static inline void expect_errno(const char *name, int got, int expected)
{
	if (got != expected)
		ksft_print_msg("%s: %s, expected %s\n", name,
			       got ? strerror(got) : "success",
			       expected ? strerror(expected) : "success");
	ksft_test_result(got == expected, "%s\n", name);
}

static inline uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* ------------------------------------------- the module, host PMU, perf */

/* A number from the module's sysfs directory, or -1. */
static inline long read_sysfs_long(const char *file)
{
	char path[256], buf[64];

	snprintf(path, sizeof(path), KVM_PMU_PARTITION_SYSFS_DIR "/%s", file);
	if (!read_line(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 0);
}

/*
 * The event counters of the module's smallest (@largest false) or largest
 * host PMU (pmus/<name>/counters); HPMN and the reservation are measured
 * against the smallest on every PMU. -1 without the module.
 */
static inline long host_pmu_counters(bool largest)
{
	long counters, found = -1;
	char buf[32];
	glob_t g;
	size_t i;

	if (glob(KVM_PMU_PARTITION_SYSFS_DIR "/pmus/*/counters", 0, NULL, &g))
		return -1;
	for (i = 0; i < g.gl_pathc; i++) {
		if (!read_line(g.gl_pathv[i], buf, sizeof(buf)))
			continue;
		counters = strtol(buf, NULL, 0);
		if (found < 0 || (largest ? counters > found : counters < found))
			found = counters;
	}
	globfree(&g);
	return found;
}

static inline long smallest_pmu_counters(void)
{
	return host_pmu_counters(false);
}

struct host_pmu {
	char name[64];		/* perf name, e.g. armv8_pmuv3_0 */
	int type;		/* perf type */
	bool inst_retired;	/* advertises INST_RETIRED (QEMU: -icount) */
};

/* The first armv8 PMU in sysfs; skips the test if there is none. */
static inline void find_host_pmu(struct host_pmu *pmu)
{
	DIR *dir = opendir("/sys/bus/event_source/devices");
	char path[512], buf[64];
	struct dirent *d;

	memset(pmu, 0, sizeof(*pmu));
	pmu->type = -1;
	if (!dir)
		ksft_exit_fail_msg("no /sys/bus/event_source/devices\n");
	while ((d = readdir(dir))) {
		if (strncmp(d->d_name, "armv8", 5))
			continue;
		if (pmu->name[0] && strcmp(d->d_name, pmu->name) > 0)
			continue;
		snprintf(pmu->name, sizeof(pmu->name), "%.63s", d->d_name);
	}
	closedir(dir);
	if (!pmu->name[0])
		ksft_exit_skip("no armv8 PMU in /sys/bus/event_source/devices\n");
	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/type", pmu->name);
	if (read_line(path, buf, sizeof(buf)))
		pmu->type = atoi(buf);
	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/events/inst_retired",
		 pmu->name);
	pmu->inst_retired = access(path, F_OK) == 0;
}

struct perf_count {
	uint64_t value, enabled, running;
	bool read_ok;
};

/*
 * A pinned event of @pmu counting @config at host EL0 only (for @pid on
 * any CPU, or on @cpu), with its enabled and running times.
 */
static inline int open_host_el0_event(const struct host_pmu *pmu, uint64_t config,
				      pid_t pid, int cpu, bool disabled)
{
	struct perf_event_attr attr = {
		.type = pmu->type,
		.size = sizeof(attr),
		.config = config,
		.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED |
			       PERF_FORMAT_TOTAL_TIME_RUNNING,
		.disabled = disabled,
		.pinned = 1,
		.exclude_kernel = 1,
		.exclude_hv = 1,
		.exclude_guest = 1,
	};

	return syscall(__NR_perf_event_open, &attr, pid, cpu, -1, 0);
}

/* A pinned event that could not get a counter is in error state: read 0. */
static inline struct perf_count read_event(int fd)
{
	struct perf_count c = {};
	uint64_t buf[3];

	if (read(fd, buf, sizeof(buf)) == sizeof(buf)) {
		c.value = buf[0];
		c.enabled = buf[1];
		c.running = buf[2];
		c.read_ok = true;
	}
	return c;
}

/* ------------------------------------ numbered PMU registers, any EL */

#define READ_PMEVCNTRN(n)	return read_sysreg(pmevcntr##n##_el0)
static inline uint64_t read_pmevcntrn(int n)
{
	PMEVN_SWITCH(n, READ_PMEVCNTRN);
	return 0;
}

#define WRITE_PMEVCNTRN(n)	write_sysreg(val, pmevcntr##n##_el0)
static inline void write_pmevcntrn(int n, uint64_t val)
{
	PMEVN_SWITCH(n, WRITE_PMEVCNTRN);
}

#define READ_PMEVTYPERN(n)	return read_sysreg(pmevtyper##n##_el0)
static inline uint64_t read_pmevtypern(int n)
{
	PMEVN_SWITCH(n, READ_PMEVTYPERN);
	return 0;
}

#define WRITE_PMEVTYPERN(n)	write_sysreg(val, pmevtyper##n##_el0)
static inline void write_pmevtypern(int n, uint64_t val)
{
	PMEVN_SWITCH(n, WRITE_PMEVTYPERN);
}

/* ------------------------------------------- counting a guest's loop */

#define LOOP_INSNS	4	/* guest instructions per nop loop iteration */
#define HVC_LOOP_INSNS	4	/* guest instructions per HVC loop iteration */

/*
 * Guest: counter 0 and the cycle counter, reset first, over @iterations
 * iterations of the loop @body (a string of instructions ending in the
 * loop's own "subs"/"b.ne"). Their event types and filters are the
 * caller's. Between the two PMCR writes only the loop runs, so the counts
 * of two iteration counts differ by exactly the counted instructions of
 * the extra iterations.
 */
#define GUEST_COUNT_LOOP(iterations, inst, cycles, body, ...)			\
do {										\
	uint64_t __n = (iterations);						\
										\
	write_sysreg(0, pmcr_el0);						\
	write_sysreg(BIT(0) | BIT(31), pmcntenset_el0);				\
	write_sysreg(ARMV8_PMU_PMCR_P | ARMV8_PMU_PMCR_C | ARMV8_PMU_PMCR_LC,	\
		     pmcr_el0);							\
	isb();									\
	asm volatile("msr pmcr_el0, %[on]\n\t"					\
		     "isb\n\t"							\
		     "1:\t" body						\
		     "subs %[n], %[n], #1\n\t"					\
		     "b.ne 1b\n\t"						\
		     "msr pmcr_el0, %[off]\n\t"					\
		     "isb\n\t"							\
		     : [n] "+r" (__n)						\
		     : [on] "r" ((uint64_t)(ARMV8_PMU_PMCR_LC | ARMV8_PMU_PMCR_E)),	\
		       [off] "r" ((uint64_t)ARMV8_PMU_PMCR_LC)			\
		       __VA_ARGS__);						\
	*(inst) = read_sysreg(pmevcntr0_el0);					\
	*(cycles) = read_sysreg(pmccntr_el0);					\
} while (0)

/* Guest: a loop of LOOP_INSNS instructions per iteration, all at its EL. */
static inline void guest_count_nop_loop(uint64_t iterations, uint64_t *inst,
					uint64_t *cycles)
{
	GUEST_COUNT_LOOP(iterations, inst, cycles, "nop\n\tnop\n\t",
			 : "cc", "memory");
}

/*
 * Guest: a loop of HVC_LOOP_INSNS instructions per iteration, one of them
 * an HVC (PSCI_VERSION, a full exit through the host's EL2): counts that
 * grow by more than the guest's instructions count EL2.
 */
static inline void guest_count_hvc_loop(uint64_t iterations, uint64_t *inst,
					uint64_t *cycles)
{
	GUEST_COUNT_LOOP(iterations, inst, cycles, "mov x0, %[fn]\n\thvc #0\n\t",
			 , [fn] "r" ((uint64_t)PSCI_0_2_FN_PSCI_VERSION)
			 : "x0", "x1", "x2", "x3", "cc", "memory");
}

/* The counts of one guest loop: counter 0 and the cycle counter. */
typedef void (*guest_loop_t)(uint64_t iterations, uint64_t *inst, uint64_t *cycles);

/* Two loop lengths' counts, each the least of its repeats. */
struct loop_counts {
	uint64_t inst1, cycles1;	/* @k iterations */
	uint64_t inst2, cycles2;	/* 2 x @k iterations */
};

/*
 * Guest: runs @loop over @k and 2 x @k iterations, @repeats times each,
 * keeping the least count of each: an interrupt or exit taken during one
 * run does not show, and the difference of the two is the cost of @k
 * iterations.
 */
static inline struct loop_counts guest_least_counts(guest_loop_t loop, uint64_t k,
						    int repeats)
{
	struct loop_counts least = { ~0UL, ~0UL, ~0UL, ~0UL };
	uint64_t inst, cycles;

	for (int r = 0; r < repeats; r++) {
		loop(k, &inst, &cycles);
		least.inst1 = min_u64(least.inst1, inst);
		least.cycles1 = min_u64(least.cycles1, cycles);
		loop(2 * k, &inst, &cycles);
		least.inst2 = min_u64(least.inst2, inst);
		least.cycles2 = min_u64(least.cycles2, cycles);
	}
	return least;
}

#endif /* PMU_TEST_H */
