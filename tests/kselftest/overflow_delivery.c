// SPDX-License-Identifier: GPL-2.0-only
/*
 * PMU overflow interrupts reach the guest exactly once per overflow, for
 * every counter kind and in every host set-up.
 *
 * Usage: overflow_delivery stock|fgt|trap|slow [FILTER] [harness options]
 *        overflow_delivery -l   (lists every test)
 *   stock  no module loaded: KVM 6.12's perf-backed emulation
 *   fgt    kvm_pmu_partition default_mode=partitioned
 *          reserved_host_counters=2 (fine-grained traps, fast path)
 *   trap   the same with fgt=off (MDCR_EL2.TPM/TPMCR traps, fast path)
 *   slow   the same with fgt=off fast_path=0 (every trap a full exit)
 *   FILTER runs only the cases whose full name (FIXTURE.VARIANT.TEST, as
 *          the TAP lines print it) contains it; a comma-separated list
 *          selects those that contain one of its words and none of its
 *          words marked with '-' ("swinc,-cpu1"). It does not start with
 *          '-' (",-cpu1" excludes only). The kselftest harness's options
 *          may follow: -T TEST, -V VARIANT, -F FIXTURE take tests out of
 *          FILTER's selection, -t, -v, -f, -r add to it.
 *
 * The cases are kselftest harness tests (kselftest_harness.h, run by
 * rig_harness.h), each in a process of its own with a fresh VM that its
 * fixture creates and destroys: counter.KIND.CASE (fixture counter, one
 * variant per counter kind) and pmu.CASE; the harness counts the plan.
 *
 * It runs on the rig's -cpu max host (FEAT_FGT, PMUv3p5, 6 event counters,
 * docs/rig.md), where a partitioned VM is PMUv3p5 with 4 event counters,
 * and on the plans' other host kinds: neoverse-n1 (no FGT, no FEAT_HPMN0,
 * PMUv3p1) with and without EL3, EL3 with -cpu max, and the split-PMU rig
 * (the .plan files in tests/rig/plans/).
 * Every case is one fresh VM whose guest counts its PMU interrupts in its
 * IRQ handler (which reads PMOVSSET_EL0, clears what it read with
 * PMOVSCLR_EL0 and EOIs), records per round how many interrupts came and
 * what PMOVSSET_EL0 held afterwards, and the host compares with the Arm
 * ARM's rules (DDI0487, D13.3 and the PMCR_EL0, PMOVSSET_EL0,
 * PMINTENSET_EL1 register descriptions; shared pseudocode
 * CheckPMUOverflowCondition() and AArch64.IncrementEventCounter()):
 *
 * - overflow position: an event counter overflows on unsigned overflow of
 *   bit 63 when PMCR_EL0.LP is 1 (FEAT_PMUv3p5), of bit 31 when it is 0;
 *   the cycle counter likewise with PMCR_EL0.LC. LP is RES0 without
 *   PMUv3p5; LC is RES1 when AArch32 is supported at no Exception level,
 *   which for a KVM guest (AArch64 EL1) is ID_AA64PFR0_EL1.EL0 == 1.
 * - an overflow sets its PMOVSSET_EL0 bit; the PMU interrupt is requested
 *   while PMCR_EL0.E, PMOVSSET_EL0.<n> and PMINTENSET_EL1.<n> are all 1
 *   (level-sensitive: clearing PMOVSSET ends it). So each overflow gives
 *   one interrupt, an overflow with PMINTENSET or E clear none until the
 *   guest sets it and then one at once, a PMOVSSET_EL0 write (RW1S) one,
 *   and the flag and the request survive anything the hypervisor does in
 *   between (exits to user space, migration to another CPU).
 *
 * Cases (fixture counter), each for the cycle counter and event counter 0
 * (counting CPU_CYCLES), 32-bit and 64-bit (the variants cycle32, cycle64,
 * event32, event64): overflow_position (preloads 2^32 - D and 2^64 - D),
 * 8_wraps (8 overflows in one guest run with no exit in between, each D
 * after a preload), overflow_then_pmintenset, overflow_pending and
 * counting across an exit to user space and across a migration to CPU 1,
 * overflow_pending across CPU 1 going offline under the running vCPU,
 * overflow_pending cleared by the VMM's KVM_SET_ONE_REG at the exit (no
 * interrupt then), and an overflow with PMINTENSET or PMCR_EL0.E clear
 * across an exit or a migration, then set; and (fixture pmu)
 * pmovsset_write, pmovsset_with_e_clear, lc_res1 and lp_res0. The 32-bit
 * cycle counter is tested only where the VM's EL0 has AArch32 (otherwise
 * LC is RES1, as lc_res1 checks), the 64-bit event counter only on a
 * PMUv3p5 VM: the other kinds' cases skip. Where the interrupt is due the
 * moment the guest sets the last enable (or unmasks IRQs), it must come
 * within PROMPT_LIMIT loop iterations: a hypervisor that only notices at
 * its next unrelated exit (a timer tick) fails, however long the wait.
 *
 * Counting is over short distances (D instructions) from a preloaded value,
 * as counting 2^32 events would take minutes under emulation. QEMU 10.0.2
 * arms an event counter's overflow timer one count early and does not
 * re-arm it (docs/qemu.md), so the guest reads an event counter now and
 * then while it waits, as guest perf does; the cycle counter needs none.
 * QEMU 10.0.2's pmcr_write() also never re-evaluates the overflow
 * interrupt, so a PMCR_EL0.E change neither raises nor lowers it: the
 * PMCR_EL0.E cases of the fgt and trap set-ups fail on a rig QEMU without
 * that fix, whatever the module does.
 *
 * The swinc32 and swinc64 kinds (variants), run only when a word of
 * FILTER starts with "swinc", program event counter 0 with SW_INCR and
 * have every loop iteration write PMSWINC_EL0: the same cases with counts known exactly
 * and overflows the PMU finds at the increment, not by a timer, so they
 * hold without -icount too (the MTTCG rig and make soak run them there).
 * Stock KVM and fgt=off trap every increment, hence not by default.
 *
 * Every case also prints "overflow count: CASE: taken T, delivered D": the
 * overflows its guest caused that must each interrupt it once, and the
 * interrupts it took (make soak adds them up and fails on a difference).
 *
 * A lost interrupt cannot hang the test: every guest wait is bounded, the
 * guest's handler masks PMINTENSET after too many interrupts, and every
 * KVM_RUN is bounded by an alarm. A case then fails and prints its counts.
 * The harness's timeout of a case (CASE_SECONDS) is above its KVM_RUNs'.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <glob.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <uapi/linux/kvm_pmu_partition.h>

#include "rig_harness.h"
#include "pmu_vm.h"
#include "kernel_state.h"
#include <gic.h>

#define SYSFS			KVM_PMU_PARTITION_SYSFS_DIR
#define DISTANCE		20000	/* counts from the preload to the wrap */
#define WAIT_LIMIT		(8 * DISTANCE)	/* loop iterations waiting for an IRQ */
#define READ_EVERY		1000	/* event counter read interval (QEMU) */
#define WRAP_ROUNDS		8
#define WRITE_ROUNDS		4
#define MAX_ROUNDS		8
#define STORM_LIMIT		64	/* interrupts after which the guest masks them */
#define PROMPT_LIMIT		64	/* iterations an already requested IRQ may take */
/*
 * Seconds one KVM_RUN of a case may take: 120, or the environment's
 * OVERFLOW_DELIVERY_RUN_SECONDS (the soak on the debug kernel, where the
 * slow path's full exit per increment takes longer under load).
 */
static unsigned int run_seconds(void)
{
	const char *seconds = getenv("OVERFLOW_DELIVERY_RUN_SECONDS");

	if (seconds && strtoul(seconds, NULL, 0) > 0)
		return strtoul(seconds, NULL, 0);
	return 120;
}

static unsigned int case_timeout;	/* run_seconds(), set by main() */
#define CYCLE_COUNTER		31
#define SYNC_STAY		0	/* guest's request at a GUEST_SYNC */
#define SYNC_MIGRATE		1
#define SYNC_VMM_CLEARS		2	/* the VMM stores the flag cleared */
#define TWO_32			(1ULL << 32)
#define CPU1_ONLINE		"/sys/devices/system/cpu/cpu1/online"
/*
 * Iterations the guest waits, IRQs masked, for the host to take CPU 1
 * offline: about 10^9 instructions, below the 2^32 a 32-bit counter
 * needs to wrap again (the host's alarm ends the case before, if not).
 */
#define OFFLINE_WAIT_LIMIT	(1 << 28)

enum scenario {
	SCENARIO_POSITION,
	SCENARIO_WRAP,
	SCENARIO_PMOVSSET_WRITE,
	SCENARIO_E_GATE,
	SCENARIO_INTEN_LATER,
	SCENARIO_PENDING_ACROSS_EXIT,
	SCENARIO_COUNTING_ACROSS_EXIT,
	SCENARIO_INTEN_ACROSS_EXIT,
	SCENARIO_E_ACROSS_EXIT,
	SCENARIO_PENDING_ACROSS_OFFLINE,
};

/* The guest and the host thread taking CPU 1 offline (offline_handshake). */
enum {
	OFFLINE_IDLE,
	OFFLINE_GUEST_WAITING,		/* the guest, IRQs masked, on CPU 1 */
	OFFLINE_HOST_DONE,		/* CPU 1 went offline (or failed to) */
};

/* What the guest does; the host sets it before the first KVM_RUN. */
struct guest_case {
	enum scenario scenario;
	uint64_t counter;		/* 0 or CYCLE_COUNTER */
	bool software;			/* counter 0 counts SW_INCR, one per tick */
	uint64_t pmcr;			/* LC/LP the guest writes, E clear */
	uint64_t sync_request;		/* SYNC_STAY or SYNC_MIGRATE */
};

/* What the guest saw; the host reads it after GUEST_DONE. */
struct guest_result {
	uint64_t irqs;			/* PMU interrupts taken */
	uint64_t wrong_bits;		/* of them, with PMOVSSET != the counter's bit */
	uint64_t last_wrong_bits;
	uint64_t stray;			/* other INTIDs */
	uint64_t storm;			/* the handler masked PMINTENSET */
	uint64_t pmcr_readback;		/* PMCR_EL0 after writing case.pmcr */
	uint64_t rounds;
	uint64_t round_irqs[MAX_ROUNDS];
	uint64_t round_pmovs[MAX_ROUNDS];	/* PMOVSSET_EL0 after the round */
	uint64_t round_value[MAX_ROUNDS];	/* the counter after the round */
	uint64_t round_wait[MAX_ROUNDS];	/* iterations waited for the IRQ */
	uint64_t value_after_sync;	/* counter right after the GUEST_SYNC */
	uint64_t final_irqs;		/* after a last quiet period */
	uint64_t offline_wait;		/* iterations until OFFLINE_HOST_DONE */
};

static struct guest_case gcase;
static volatile struct guest_result gres;
/* Written by both sides while the guest runs (guest memory, via its HVA). */
static volatile uint64_t offline_handshake;

/* ------------------------------------------------------------- the guest */

static void guest_irq(struct ex_regs *regs)
{
	uint32_t intid = gic_get_and_ack_irq();
	uint64_t bits;

	if (intid != PMU_VM_IRQ) {
		gres.stray++;
		if (intid < 1020)
			gic_set_eoi(intid);
		return;
	}
	bits = read_sysreg(pmovsset_el0);
	if (bits != BIT(gcase.counter)) {
		gres.wrong_bits++;
		gres.last_wrong_bits = bits;
	}
	write_sysreg(bits, pmovsclr_el0);
	isb();
	if (++gres.irqs >= STORM_LIMIT) {
		write_sysreg(~0UL, pmintenclr_el1);
		isb();
		gres.storm = 1;
	}
	gic_set_eoi(intid);
}

static uint64_t counter_read(void)
{
	if (gcase.counter == CYCLE_COUNTER)
		return read_sysreg(pmccntr_el0);
	return read_sysreg(pmevcntr0_el0);
}

static void counter_write(uint64_t value)
{
	if (gcase.counter == CYCLE_COUNTER)
		write_sysreg(value, pmccntr_el0);
	else
		write_sysreg(value, pmevcntr0_el0);
	isb();
}

static void pmcr_write(uint64_t value)
{
	write_sysreg(value, pmcr_el0);
	isb();
}

/*
 * One loop iteration; an event counter is read every READ_EVERY; a
 * software-incremented one counts one here.
 */
static void tick(int i)
{
	if (gcase.software)
		write_sysreg(BIT(0), pmswinc_el0);
	else if (gcase.counter != CYCLE_COUNTER && !(i % READ_EVERY))
		(void)read_sysreg(pmevcntr0_el0);
	asm volatile("nop");
}

/*
 * Bounded: until @target interrupts in all or WAIT_LIMIT iterations; the
 * iterations it took are the round's wait (an interrupt that is already
 * requested is taken within a few).
 */
static void wait_for_irqs(uint64_t target)
{
	int i;

	for (i = 0; i < WAIT_LIMIT && gres.irqs < target; i++)
		tick(i);
	if (gres.rounds < MAX_ROUNDS)
		gres.round_wait[gres.rounds] = i;
}

/* Runs on: a late or repeated interrupt would come in here. */
static void spin(int iterations)
{
	for (int i = 0; i < iterations; i++)
		tick(i);
}

static void end_round(uint64_t irqs_before)
{
	uint64_t r = gres.rounds;

	if (r >= MAX_ROUNDS)
		return;
	gres.round_irqs[r] = gres.irqs - irqs_before;
	gres.round_pmovs[r] = read_sysreg(pmovsset_el0);
	gres.round_value[r] = counter_read();
	gres.rounds = r + 1;
}

/* Preloads the counter (stopped), starts it, waits for its interrupt. */
static void count_from(uint64_t preload)
{
	uint64_t before = gres.irqs;

	pmcr_write(gcase.pmcr);
	counter_write(preload);
	pmcr_write(gcase.pmcr | ARMV8_PMU_PMCR_E);
	wait_for_irqs(before + 1);
	spin(DISTANCE);
	pmcr_write(gcase.pmcr);
	end_round(before);
}

/* The counter's wrap: 2^32 or 2^64 (as 0) as PMCR_EL0 reads now. */
static uint64_t wrap_preload(void)
{
	uint64_t long_bit = gcase.counter == CYCLE_COUNTER ? ARMV8_PMU_PMCR_LC :
							     ARMV8_PMU_PMCR_LP;

	return (read_sysreg(pmcr_el0) & long_bit) ? -(uint64_t)DISTANCE :
						    TWO_32 - DISTANCE;
}

static void guest_main(void)
{
	uint64_t bit = BIT(gcase.counter), before;
	int i;

	pmcr_write(0);
	write_sysreg(~0UL, pmovsclr_el0);
	write_sysreg(~0UL, pmintenclr_el1);
	write_sysreg(~0UL, pmcntenclr_el0);
	isb();
	gic_init(GIC_V3, 1);
	gic_irq_enable(PMU_VM_IRQ);
	local_irq_enable();
	write_sysreg(gcase.software ? ARMV8_PMUV3_PERFCTR_SW_INCR :
				      ARMV8_PMUV3_PERFCTR_CPU_CYCLES, pmevtyper0_el0);
	write_sysreg(0, pmccfiltr_el0);
	pmcr_write(gcase.pmcr);
	gres.pmcr_readback = read_sysreg(pmcr_el0);
	write_sysreg(bit, pmintenset_el1);
	write_sysreg(bit, pmcntenset_el0);
	isb();

	switch (gcase.scenario) {
	case SCENARIO_POSITION:
		count_from(TWO_32 - DISTANCE);
		count_from(-(uint64_t)DISTANCE);
		break;
	case SCENARIO_WRAP:
		for (int r = 0; r < WRAP_ROUNDS; r++)
			count_from(wrap_preload());
		break;
	case SCENARIO_PMOVSSET_WRITE:
		write_sysreg(bit, pmcntenclr_el0);
		pmcr_write(gcase.pmcr | ARMV8_PMU_PMCR_E);
		for (int r = 0; r < WRITE_ROUNDS; r++) {
			before = gres.irqs;
			write_sysreg(bit, pmovsset_el0);
			isb();
			wait_for_irqs(before + 1);
			spin(DISTANCE / 4);
			end_round(before);
		}
		pmcr_write(gcase.pmcr);
		break;
	case SCENARIO_E_GATE:
		write_sysreg(bit, pmcntenclr_el0);
		before = gres.irqs;
		write_sysreg(bit, pmovsset_el0);
		isb();
		spin(DISTANCE);
		end_round(before);
		before = gres.irqs;
		pmcr_write(gcase.pmcr | ARMV8_PMU_PMCR_E);
		wait_for_irqs(before + 1);
		spin(DISTANCE / 4);
		pmcr_write(gcase.pmcr);
		end_round(before);
		break;
	case SCENARIO_PENDING_ACROSS_EXIT:
		local_irq_disable();
		before = gres.irqs;
		counter_write(wrap_preload());
		pmcr_write(gcase.pmcr | ARMV8_PMU_PMCR_E);
		spin(3 * DISTANCE);
		end_round(before);
		GUEST_SYNC(gcase.sync_request);
		before = gres.irqs;
		local_irq_enable();
		wait_for_irqs(before + 1);
		spin(DISTANCE);
		pmcr_write(gcase.pmcr);
		end_round(before);
		break;
	case SCENARIO_INTEN_LATER:
	case SCENARIO_INTEN_ACROSS_EXIT:
		write_sysreg(bit, pmintenclr_el1);
		before = gres.irqs;
		counter_write(wrap_preload());
		pmcr_write(gcase.pmcr | ARMV8_PMU_PMCR_E);
		spin(3 * DISTANCE);
		end_round(before);
		if (gcase.scenario == SCENARIO_INTEN_ACROSS_EXIT)
			GUEST_SYNC(gcase.sync_request);
		before = gres.irqs;
		write_sysreg(bit, pmintenset_el1);
		isb();
		wait_for_irqs(before + 1);
		spin(DISTANCE);
		pmcr_write(gcase.pmcr);
		end_round(before);
		break;
	case SCENARIO_E_ACROSS_EXIT:
		local_irq_disable();
		before = gres.irqs;
		counter_write(wrap_preload());
		pmcr_write(gcase.pmcr | ARMV8_PMU_PMCR_E);
		spin(3 * DISTANCE);
		pmcr_write(gcase.pmcr);
		GUEST_SYNC(gcase.sync_request);
		local_irq_enable();
		spin(DISTANCE);
		end_round(before);
		before = gres.irqs;
		pmcr_write(gcase.pmcr | ARMV8_PMU_PMCR_E);
		wait_for_irqs(before + 1);
		spin(DISTANCE);
		pmcr_write(gcase.pmcr);
		end_round(before);
		break;
	case SCENARIO_PENDING_ACROSS_OFFLINE:
		local_irq_disable();
		before = gres.irqs;
		counter_write(wrap_preload());
		pmcr_write(gcase.pmcr | ARMV8_PMU_PMCR_E);
		spin(3 * DISTANCE);
		end_round(before);
		/* No exit: CPU 1 goes offline under the running vCPU. */
		offline_handshake = OFFLINE_GUEST_WAITING;
		for (i = 0; i < OFFLINE_WAIT_LIMIT &&
			    offline_handshake != OFFLINE_HOST_DONE; i++)
			tick(i);
		gres.offline_wait = i;
		before = gres.irqs;
		local_irq_enable();
		wait_for_irqs(before + 1);
		spin(DISTANCE);
		pmcr_write(gcase.pmcr);
		end_round(before);
		break;
	case SCENARIO_COUNTING_ACROSS_EXIT:
		before = gres.irqs;
		counter_write(wrap_preload());
		pmcr_write(gcase.pmcr | ARMV8_PMU_PMCR_E);
		/* A software count made before the exit must be carried over. */
		if (gcase.software)
			spin(DISTANCE / 2);
		GUEST_SYNC(gcase.sync_request);
		gres.value_after_sync = counter_read();
		wait_for_irqs(before + 1);
		spin(DISTANCE);
		pmcr_write(gcase.pmcr);
		end_round(before);
		break;
	}
	/* Counters stopped: no late or repeated interrupt either. */
	spin(2 * DISTANCE);
	gres.final_irqs = gres.irqs;
	GUEST_DONE();
}

/* -------------------------------------------------------------- the host */

enum mode { MODE_STOCK, MODE_FGT, MODE_TRAP, MODE_SLOW };
static const char *const mode_names[] = { "stock", "fgt", "trap", "slow" };
static enum mode mode;
static const char *filter;
static uint64_t vm_el0;		/* ID_AA64PFR0_EL1.EL0 of a default VM */
static uint64_t vm_pmuver;	/* ID_AA64DFR0_EL1.PMUVer of a default VM */

/*
 * FILTER: comma-separated substrings; a name is selected when it contains
 * one of the plain ones (or there is none) and none of those after a '-'
 * ("swinc,-cpu1": the swinc cases but those that use CPU 1).
 */
static bool filter_selects(const char *name)
{
	bool positive = false, hit = false;
	const char *p = filter;

	if (!filter)
		return true;
	while (*p) {
		size_t len = strcspn(p, ",");
		bool negative = *p == '-';
		char token[64];

		if (negative) {
			p++;
			len--;
		}
		if (len && len < sizeof(token)) {
			memcpy(token, p, len);
			token[len] = '\0';
			if (negative && strstr(name, token))
				return false;
			if (!negative) {
				positive = true;
				hit = hit || strstr(name, token);
			}
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return !positive || hit;
}

/* Whether a plain FILTER token asks for the swinc kinds. */
static bool filter_asks_for(const char *what)
{
	const char *p = filter;

	while (p && (p = strstr(p, what))) {
		if (p == filter || p[-1] == ',')
			return true;
		p++;
	}
	return false;
}

/*
 * A counter kind: which counter, whether the guest asks for 64 bits, and
 * whether it counts the guest's PMSWINC_EL0 writes (only when asked for).
 */
struct kind {
	const char *name;
	uint64_t counter;
	bool long_counter;
	bool software;
};

/* VM ID register changes of a case (0: leave the register as it is). */
struct id_override {
	uint64_t el0;		/* ID_AA64PFR0_EL1.EL0 */
	uint64_t pmuver;	/* ID_AA64DFR0_EL1.PMUVer */
};

/* What the host expects per round: interrupts, and PMOVSSET afterwards. */
struct expectation {
	int rounds;
	uint64_t irqs[MAX_ROUNDS];
	uint64_t pmovs[MAX_ROUNDS];
	bool value_above_32;	/* round 0 must end with the counter >= 2^32 */
	uint64_t prompt;	/* rounds whose interrupt is due when the wait starts */
	int counting_across_sync;	/* 32 or 64: not yet wrapped after the sync */
	uint64_t pmcr_set, pmcr_clear;	/* PMCR_EL0 bits read back after the write */
};

static void on_alarm(int sig)
{
}

static uint64_t id_reg(struct kvm_vcpu *vcpu, uint64_t encoding)
{
	uint64_t value;

	vcpu_get_reg(vcpu, KVM_ARM64_SYS_REG(encoding), &value);
	return value;
}

static void set_id_field(struct __test_metadata *_metadata, struct kvm_vcpu *vcpu,
			 uint64_t encoding, uint64_t mask, uint64_t field)
{
	uint64_t value = id_reg(vcpu, encoding);
	int err;

	value = (value & ~mask) | ((field << __builtin_ctzll(mask)) & mask);
	err = __vcpu_set_reg(vcpu, KVM_ARM64_SYS_REG(encoding), value);
	ASSERT_EQ(0, err)
		TH_LOG("KVM_SET_ONE_REG of ID register 0x%lx: %s", encoding, strerror(errno));
}

/* The guest injections the module counted for this process's VM, or -1. */
static long module_injections(void)
{
	char pattern[128], buf[64];
	long value = -1;
	glob_t g;

	snprintf(pattern, sizeof(pattern), SYSFS "/vm/%d.*/vcpu0/overflows", getpid());
	if (glob(pattern, 0, NULL, &g))
		return -1;
	if (g.gl_pathc && read_line(g.gl_pathv[g.gl_pathc - 1], buf, sizeof(buf)))
		value = strtol(buf, NULL, 0);
	globfree(&g);
	return value;
}

/* 0, or the errno of taking CPU 1 offline or bringing it online. */
static int set_cpu1_online(bool online)
{
	return write_file(CPU1_ONLINE, online ? "1" : "0");
}

/*
 * Set while a case may have CPU 1 offline, until its teardown brought it
 * back (memory every case's process shares with the harness, set up by
 * main()): a case the harness killed at its timeout had no teardown, so
 * the next case's setup, or the harness at its end, brings CPU 1 back.
 * Only this run's own offline is undone, not another's (make soak's).
 */
static volatile bool *cpu1_left_offline;

/* rig_harness_at_end: CPU 1 back online after a killed offline case. */
static bool cpu1_back_online(void)
{
	if (!*cpu1_left_offline)
		return true;
	ksft_print_msg("a killed case left CPU 1 offline: bringing it back online\n");
	return !set_cpu1_online(true);
}

/*
 * rig_harness_restore_on_stop (a signal handler: open, write, close only):
 * CPU 1 back online when the plan line's timeout stopped a case that had
 * it offline.
 */
static void cpu1_online_on_stop(void)
{
	int fd;

	if (!*cpu1_left_offline)
		return;
	fd = open(CPU1_ONLINE, O_WRONLY);
	if (fd < 0)
		return;
	if (write(fd, "1", 1) == 1)
		*cpu1_left_offline = false;
	close(fd);
}

/* The host thread of SCENARIO_PENDING_ACROSS_OFFLINE, on CPU 0. */
struct offline_helper {
	volatile uint64_t *handshake;	/* offline_handshake in guest memory */
	pthread_t vcpu_thread;
	pid_t vcpu_tid;
	int vcpu_cpu;			/* where the vCPU thread ran just before */
	int err;			/* of taking CPU 1 offline; -1: never asked */
};

/* The CPU thread @tid of this process last ran on (/proc stat field 39), or -1. */
static int last_cpu_of(pid_t tid)
{
	char path[64], line[1024], *p;
	int cpu = -1, field;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f)) {
		/* Fields from 3 on follow the ")" that ends the command. */
		p = strrchr(line, ')');
		for (field = 2; p && field < 39; field++)
			p = strchr(p + 1, ' ');
		if (p)
			cpu = atoi(p + 1);
	}
	fclose(f);
	return cpu;
}

/*
 * Waits (at most case_timeout s) for the guest to wait with the overflow
 * pending, takes CPU 1 offline, which moves the running vCPU's thread to
 * CPU 0, and tells the guest, even when the offline failed. The vCPU
 * thread may run on CPUs 0 and 1 first (it stays on 1), so that it moves
 * to CPU 0, a CPU of the same PMU on the split-PMU rig, and keeps an
 * affinity the offline does not have to break.
 */
static void *take_cpu1_offline(void *arg)
{
	struct offline_helper *h = arg;
	cpu_set_t cpus;
	int waited;

	pin_to_cpu(0);
	h->err = -1;
	for (waited = 0; *h->handshake != OFFLINE_GUEST_WAITING &&
			 waited < case_timeout * 1000; waited++)
		usleep(1000);
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	CPU_SET(1, &cpus);
	if (*h->handshake == OFFLINE_GUEST_WAITING &&
	    !pthread_setaffinity_np(h->vcpu_thread, sizeof(cpus), &cpus)) {
		h->vcpu_cpu = last_cpu_of(h->vcpu_tid);
		h->err = set_cpu1_online(false);
	}
	*h->handshake = OFFLINE_HOST_DONE;
	return NULL;
}

/*
 * The VMM stores the vCPU's overflow flags cleared, as restoring a state
 * without them would. A module VM stores ONE_REG values as given (the
 * value of PMOVSSET_EL0, and of PMOVSCLR_EL0, is the flags); stock 6.12
 * applies them as a guest write would, where a PMOVSCLR_EL0 write clears.
 */
static void vmm_clears_flags(struct kvm_vcpu *vcpu, bool partitioned)
{
	if (partitioned)
		vcpu_set_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMOVSSET_EL0), 0);
	else
		vcpu_set_reg(vcpu, KVM_ARM64_SYS_REG(SYS_PMOVSCLR_EL0), ~0UL);
}

/*
 * Runs the case's VM to GUEST_DONE, migrating at the guest's request.
 * Returns false on a timeout, a guest assertion or an unexpected exit.
 */
static bool run_vm(struct __test_metadata *_metadata, struct pmu_vm *p,
		   bool *partitioned, long *injections)
{
	struct ucall uc;
	int ret;

	for (;;) {
		alarm(case_timeout);
		ret = __vcpu_run(p->vcpu);
		alarm(0);
		if (ret && errno == EINTR) {
			ksft_print_msg("KVM_RUN did not return within %u s\n", case_timeout);
			return false;
		}
		ASSERT_EQ(0, ret)
			TH_LOG("KVM_RUN: %s", strerror(errno));
		if (mode != MODE_STOCK && !*partitioned) {
			uint64_t n;

			*partitioned = !pmu_attr(p->vcpu, KVM_GET_DEVICE_ATTR,
						 KVM_PMU_PARTITION_ATTR_PARTITIONED, &n);
		}
		switch (get_ucall(p->vcpu, &uc)) {
		case UCALL_SYNC:
			if (uc.args[1] == SYNC_MIGRATE)
				pin_to_cpu(1);
			if (uc.args[1] == SYNC_VMM_CLEARS)
				vmm_clears_flags(p->vcpu, *partitioned);
			break;
		case UCALL_DONE:
			*injections = mode == MODE_STOCK ? -1 : module_injections();
			return true;
		case UCALL_ABORT:
			ksft_print_msg("guest assertion: %s at %s:%ld\n",
				       (const char *)uc.buffer,
				       (const char *)uc.args[1], uc.args[2]);
			return false;
		default:
			ksft_print_msg("unexpected exit %u\n", p->vcpu->run->exit_reason);
			return false;
		}
	}
}

/*
 * What one case creates, the fixtures' data: its VM and, for the CPU 1
 * offline case, the host thread that takes CPU 1 offline. The teardown
 * ends the thread, brings CPU 1 back online and destroys the VM, also
 * after a failed assertion, so the next case starts as this one did.
 */
struct case_state {
	char name[128];			/* FIXTURE[.VARIANT].TEST */
	struct pmu_vm p;
	bool vm_created;
	struct offline_helper offline;
	pthread_t helper;
	bool helper_running;
	bool cpu1_may_be_offline;
};

/* A fresh VM whose guest runs guest_main, the vCPU thread on CPU 0. */
static void case_setup(struct __test_metadata *_metadata, struct case_state *s)
{
	struct sigaction action = { .sa_handler = on_alarm };

	/* No SA_RESTART: the alarm ends a KVM_RUN that takes too long. */
	ASSERT_EQ(0, sigaction(SIGALRM, &action, NULL));
	if (*cpu1_left_offline) {
		ksft_print_msg("a killed case left CPU 1 offline: bringing it back online\n");
		ASSERT_EQ(0, set_cpu1_online(true));
		*cpu1_left_offline = false;
	}
	ksft_print_msg("mode %s; a default VM has ID_AA64PFR0_EL1.EL0 %lu, PMUVer %lu; RIG_ICOUNT %s\n",
		       mode_names[mode], vm_el0, vm_pmuver,
		       getenv("RIG_ICOUNT") ? getenv("RIG_ICOUNT") : "unset");
	pin_to_cpu(0);
	pmu_vm_create_running(&s->p, guest_main);
	s->vm_created = true;
	vm_init_descriptor_tables(s->p.vm);
	vcpu_init_descriptor_tables(s->p.vcpu);
	vm_install_exception_handler(s->p.vm, VECTOR_IRQ_CURRENT, guest_irq);
}

/* The vCPU thread starts on CPU 1, which the helper takes offline under it. */
static void start_offline(struct __test_metadata *_metadata, struct case_state *s)
{
	s->offline.err = -1;
	s->offline.vcpu_cpu = -1;
	s->offline.handshake = addr_gva2hva(s->p.vm, (vm_vaddr_t)&offline_handshake);
	*s->offline.handshake = OFFLINE_IDLE;
	s->offline.vcpu_thread = pthread_self();
	s->offline.vcpu_tid = syscall(SYS_gettid);
	pin_to_cpu(1);
	s->cpu1_may_be_offline = true;
	*cpu1_left_offline = true;
	ASSERT_EQ(0, pthread_create(&s->helper, NULL, take_cpu1_offline, &s->offline));
	s->helper_running = true;
}

/* Stops the helper (it stops waiting) and brings CPU 1 back online. */
static void end_offline(struct __test_metadata *_metadata, struct case_state *s)
{
	int online_err;

	if (s->helper_running) {
		*s->offline.handshake = OFFLINE_HOST_DONE;
		pthread_join(s->helper, NULL);
		s->helper_running = false;
	}
	if (s->cpu1_may_be_offline) {
		s->cpu1_may_be_offline = false;
		online_err = set_cpu1_online(true);
		EXPECT_EQ(0, online_err)
			TH_LOG("cannot bring CPU 1 back online: %s", strerror(online_err));
		if (!online_err)
			*cpu1_left_offline = false;
	}
}

static void case_teardown(struct __test_metadata *_metadata, struct case_state *s)
{
	end_offline(_metadata, s);
	if (s->vm_created)
		pmu_vm_destroy(&s->p);
	s->vm_created = false;
}

/*
 * Runs the case @c in the fixture's VM (with the ID registers @ids
 * changed first) and checks what its guest saw against @e: every check a
 * harness EXPECT, each printed when it fails, then the rounds.
 */
static void run_case(struct __test_metadata *_metadata, struct case_state *s,
		     const struct guest_case *c, const struct id_override *ids,
		     const struct expectation *e)
{
	bool offline_case = c->scenario == SCENARIO_PENDING_ACROSS_OFFLINE;
	const char *name = s->name;
	bool done, partitioned = false;
	uint64_t expected_total = 0;
	long injections = -1;
	struct guest_result r;
	char waits[128];
	int i;

	if (offline_case && access(CPU1_ONLINE, W_OK))
		SKIP(return, "%s: %s", CPU1_ONLINE, strerror(errno));
	if (ids && ids->el0)
		set_id_field(_metadata, s->p.vcpu, SYS_ID_AA64PFR0_EL1,
			     ARM64_FEATURE_MASK(ID_AA64PFR0_EL1_EL0), ids->el0);
	if (ids && ids->pmuver)
		set_id_field(_metadata, s->p.vcpu, SYS_ID_AA64DFR0_EL1,
			     ARM64_FEATURE_MASK(ID_AA64DFR0_EL1_PMUVer), ids->pmuver);
	gcase = *c;
	sync_global_to_guest(s->p.vm, gcase);
	if (offline_case)
		start_offline(_metadata, s);
	done = run_vm(_metadata, &s->p, &partitioned, &injections);
	if (offline_case)
		end_offline(_metadata, s);
	memcpy(&r, addr_gva2hva(s->p.vm, (vm_vaddr_t)&gres), sizeof(r));
	pin_to_cpu(0);

	for (i = 0; i < e->rounds; i++)
		expected_total += e->irqs[i];
	if (offline_case) {
		/* CPU 1 went offline under the guest as it waited, not after. */
		ksft_print_msg("%s: CPU 1 offline: %s, the vCPU thread on CPU %d then; the guest waited %lu iterations\n",
			       name, s->offline.err < 0 ? "never asked" :
			       s->offline.err ? strerror(s->offline.err) : "done",
			       s->offline.vcpu_cpu, r.offline_wait);
	}
	for (i = 0, waits[0] = '\0'; i < (int)r.rounds && i < MAX_ROUNDS; i++)
		snprintf(waits + strlen(waits), sizeof(waits) - strlen(waits), "%s%lu",
			 i ? "," : "", r.round_wait[i]);
	ksft_print_msg("%s: %lu interrupts (expected %lu), after the quiet period %lu; wrong PMOVSSET %lu (last 0x%lx), stray %lu, storm %lu; PMCR_EL0 0x%lx; module injections %ld; waits %s\n",
		       name, r.irqs, expected_total, r.final_irqs, r.wrong_bits,
		       r.last_wrong_bits, r.stray, r.storm, r.pmcr_readback, injections,
		       waits);
	/*
	 * The figures make soak adds up (tests/rig/soak.sh): the overflows
	 * the case's guest caused that must each interrupt it once (its
	 * rounds' expected interrupts, exact: preloads D below a wrap,
	 * software increments, PMOVSSET_EL0 writes), against the PMU
	 * interrupts its handler took, the quiet period included.
	 */
	ksft_print_msg("overflow count: %s: taken %lu, delivered %lu\n",
		       name, expected_total, r.irqs);

	EXPECT_TRUE(done)
		TH_LOG("the guest did not run to its end");
	EXPECT_EQ(e->rounds, r.rounds);
	for (i = 0; i < e->rounds; i++) {
		EXPECT_EQ(e->irqs[i], r.round_irqs[i])
			TH_LOG("round %d: interrupts", i);
		EXPECT_EQ(e->pmovs[i], r.round_pmovs[i])
			TH_LOG("round %d: PMOVSSET_EL0 after the round", i);
		/* An EXPECT is two statements: braces around it. */
		if (e->prompt & BIT(i)) {
			EXPECT_LE(r.round_wait[i], PROMPT_LIMIT)
				TH_LOG("round %d: the interrupt was due at once", i);
		}
	}
	EXPECT_EQ(expected_total, r.irqs);
	EXPECT_EQ(expected_total, r.final_irqs)
		TH_LOG("an interrupt came after the counters stopped");
	EXPECT_EQ(0, r.wrong_bits)
		TH_LOG("last PMOVSSET_EL0 other than the counter's bit: 0x%lx",
		       r.last_wrong_bits);
	EXPECT_EQ(0, r.stray);
	EXPECT_EQ(0, r.storm);
	EXPECT_EQ(e->pmcr_set, r.pmcr_readback & e->pmcr_set)
		TH_LOG("PMCR_EL0 0x%lx", r.pmcr_readback);
	EXPECT_EQ(0, r.pmcr_readback & e->pmcr_clear)
		TH_LOG("PMCR_EL0 0x%lx", r.pmcr_readback);
	if (e->value_above_32) {
		EXPECT_GE(r.round_value[0], TWO_32);
	}
	/*
	 * Software-incremented: exact. The wrap is the DISTANCE-th increment
	 * of the wait, and the count across an exit is the preload plus the
	 * DISTANCE / 2 made before it.
	 */
	if (c->software && (c->scenario == SCENARIO_POSITION ||
			    c->scenario == SCENARIO_WRAP)) {
		for (i = 0; i < e->rounds; i++) {
			if (!e->irqs[i])
				continue;
			EXPECT_GE(r.round_wait[i], DISTANCE)
				TH_LOG("round %d's interrupt came after %lu increments, not %d",
				       i, r.round_wait[i], DISTANCE);
			EXPECT_LE(r.round_wait[i], DISTANCE + PROMPT_LIMIT)
				TH_LOG("round %d's interrupt came after %lu increments, not %d",
				       i, r.round_wait[i], DISTANCE);
		}
	}
	if (c->software && e->counting_across_sync) {
		uint64_t want = (e->counting_across_sync == 64 ? -(uint64_t)DISTANCE :
				 TWO_32 - DISTANCE) + DISTANCE / 2;

		EXPECT_EQ(want, r.value_after_sync)
			TH_LOG("the counter after the exit");
	}
	if (e->counting_across_sync) {
		uint64_t left = e->counting_across_sync == 64 ? -r.value_after_sync :
				TWO_32 - (uint32_t)r.value_after_sync;

		/* Else the overflow came before the exit: not this case's rule. */
		EXPECT_LE(left, DISTANCE)
			TH_LOG("the counter had wrapped before the exit (0x%lx)",
			       r.value_after_sync);
	}
	if (mode != MODE_STOCK) {
		EXPECT_TRUE(partitioned)
			TH_LOG("the VM was not partitioned");
	}
	if (offline_case) {
		EXPECT_EQ(0, s->offline.err)
			TH_LOG("CPU 1 did not go offline under the waiting guest");
		EXPECT_EQ(1, s->offline.vcpu_cpu)
			TH_LOG("the vCPU thread was not on CPU 1 when it went offline");
		EXPECT_LT(r.offline_wait, OFFLINE_WAIT_LIMIT)
			TH_LOG("the guest stopped waiting before CPU 1 went offline");
	}

	if (_metadata->exit_code != KSFT_FAIL)
		return;
	for (i = 0; i < (int)r.rounds && i < MAX_ROUNDS; i++)
		ksft_print_msg("%s: round %d: %lu interrupts (expected %lu) after %lu iterations%s, PMOVSSET 0x%lx (expected 0x%lx), counter 0x%lx\n",
			       name, i, r.round_irqs[i], i < e->rounds ? e->irqs[i] : 0,
			       r.round_wait[i],
			       e->prompt & BIT(i) ? " (due at once)" : "",
			       r.round_pmovs[i], i < e->rounds ? e->pmovs[i] : 0,
			       r.round_value[i]);
}

static uint64_t long_bit(const struct kind *k)
{
	if (!k->long_counter)
		return 0;
	return k->counter == CYCLE_COUNTER ? ARMV8_PMU_PMCR_LC : ARMV8_PMU_PMCR_LP;
}

static struct guest_case case_of(const struct kind *k, enum scenario s,
				 uint64_t sync_request)
{
	struct guest_case c = {
		.scenario = s,
		.counter = k->counter,
		.software = k->software,
		.pmcr = long_bit(k),
		.sync_request = sync_request,
	};

	return c;
}

/* The PMCR_EL0 bits the kind's write must leave as written. */
static void expect_pmcr(struct expectation *e, const struct kind *k)
{
	uint64_t bit = k->counter == CYCLE_COUNTER ? ARMV8_PMU_PMCR_LC :
						     ARMV8_PMU_PMCR_LP;

	if (k->long_counter)
		e->pmcr_set = bit;
	else
		e->pmcr_clear = bit;
}

/* ------------------------------------------------------------ the tests */

/*
 * Harness timeout of a case, in seconds: its KVM_RUNs (two at most, one
 * GUEST_SYNC between them; the CPU 1 offline thread waits within the
 * run), each bounded by case_timeout, and a minute for the VM's creation
 * and the checks. Computed when the harness registers the tests, so it
 * follows OVERFLOW_DELIVERY_RUN_SECONDS.
 */
#define CASE_SECONDS	(2 * run_seconds() + 60)

/*
 * Fixture counter: the cases of one counter kind (the variant), each in a
 * fresh VM. Host kinds: every rig plan that runs overflow_delivery
 * (check.plan's -cpu max with FGT, PMUv3p5 and 6 event counters in the
 * fgt, trap, slow and stock set-ups; neoverse-n1, no FGT, no FEAT_HPMN0,
 * PMUv3p1, with and without EL3, trap; EL3 with -cpu max, fgt; the
 * split-PMU rig, fgt; the debug kernel; the MTTCG rig and make soak
 * without -icount, the swinc kinds), in the MODE given. Inputs: the kind
 * (cycle32, cycle64, event32, event64: CPU_CYCLES on the cycle counter or
 * event counter 0, PMCR_EL0.LC/LP 0 or 1; swinc32, swinc64: SW_INCR on
 * event counter 0, only when FILTER asks for them). A kind the host's
 * default VM lacks (the 32-bit cycle counter where the VM's EL0 is
 * AArch64-only, the 64-bit event counter below PMUv3p5) skips each case.
 */
FIXTURE(counter) {
	struct case_state s;
};

FIXTURE_VARIANT(counter) {
	struct kind kind;
};

FIXTURE_VARIANT_ADD(counter, cycle32) {
	.kind = { "cycle32", CYCLE_COUNTER, false, false },
};

FIXTURE_VARIANT_ADD(counter, cycle64) {
	.kind = { "cycle64", CYCLE_COUNTER, true, false },
};

FIXTURE_VARIANT_ADD(counter, event32) {
	.kind = { "event32", 0, false, false },
};

FIXTURE_VARIANT_ADD(counter, event64) {
	.kind = { "event64", 0, true, false },
};

FIXTURE_VARIANT_ADD(counter, swinc32) {
	.kind = { "swinc32", 0, false, true },
};

FIXTURE_VARIANT_ADD(counter, swinc64) {
	.kind = { "swinc64", 0, true, true },
};

FIXTURE_SETUP(counter)
{
	const struct kind *k = &variant->kind;

	snprintf(self->s.name, sizeof(self->s.name), "counter.%s.%s", k->name,
		 _metadata->name);
	if (k->counter == CYCLE_COUNTER && !k->long_counter &&
	    vm_el0 == ID_AA64PFR0_EL1_EL0_IMP)
		SKIP(return, "%s: LC is RES1 (the VM's EL0 is AArch64-only)", k->name);
	if (k->counter != CYCLE_COUNTER && k->long_counter &&
	    vm_pmuver < ID_AA64DFR0_EL1_PMUVer_V3P5)
		SKIP(return, "%s: the VM's PMUVer %lu has no PMCR_EL0.LP", k->name,
		     vm_pmuver);
	case_setup(_metadata, &self->s);
}

FIXTURE_TEARDOWN(counter)
{
	case_teardown(_metadata, &self->s);
}

/*
 * Rule: LP (event counters, FEAT_PMUv3p5) and LC (cycle counter) choose
 * overflow on unsigned overflow of bit 63 (1) or bit 31 (0). Preloaded at
 * 2^32 - D, a 32-bit counter overflows once and a 64-bit one carries into
 * bit 32 without an overflow; preloaded at 2^64 - D both overflow once.
 * Covers: the fixture's host kinds and modes, each counter kind.
 */
TEST_F_TIMEOUT(counter, overflow_position, CASE_SECONDS)
{
	const struct kind *k = &variant->kind;
	struct guest_case c = case_of(k, SCENARIO_POSITION, SYNC_STAY);
	struct expectation e = { .rounds = 2, .irqs = { !k->long_counter, 1 } };

	expect_pmcr(&e, k);
	e.value_above_32 = k->long_counter;
	run_case(_metadata, &self->s, &c, NULL, &e);
}

_Static_assert(WRAP_ROUNDS == 8, "8_wraps_8_interrupts names WRAP_ROUNDS");

/*
 * Rule: every overflow sets PMOVSSET_EL0.<n> and, with PMCR_EL0.E and
 * PMINTENSET_EL1.<n> set, requests one interrupt; WRAP_ROUNDS overflows
 * in one guest run, with no exit to user space between them, give exactly
 * WRAP_ROUNDS interrupts, each showing only the counter's bit.
 * Covers: the fixture's host kinds and modes, each counter kind.
 */
TEST_F_TIMEOUT(counter, 8_wraps_8_interrupts, CASE_SECONDS)
{
	const struct kind *k = &variant->kind;
	struct guest_case c = case_of(k, SCENARIO_WRAP, SYNC_STAY);
	struct expectation e = { .rounds = WRAP_ROUNDS };
	int i;

	for (i = 0; i < WRAP_ROUNDS; i++)
		e.irqs[i] = 1;
	expect_pmcr(&e, k);
	run_case(_metadata, &self->s, &c, NULL, &e);
}

/*
 * Rule: the interrupt request needs PMINTENSET_EL1.<n>: an overflow while
 * it is clear sets PMOVSSET_EL0.<n> and requests nothing; setting
 * PMINTENSET_EL1.<n> afterwards requests exactly one interrupt, at once.
 * Covers: the fixture's host kinds and modes, each counter kind.
 */
TEST_F_TIMEOUT(counter, overflow_then_pmintenset_one_interrupt, CASE_SECONDS)
{
	const struct kind *k = &variant->kind;
	struct guest_case c = case_of(k, SCENARIO_INTEN_LATER, SYNC_STAY);
	struct expectation e = {
		.rounds = 2, .irqs = { 0, 1 }, .pmovs = { BIT(k->counter), 0 },
		.prompt = BIT(1),
	};

	expect_pmcr(&e, k);
	run_case(_metadata, &self->s, &c, NULL, &e);
}

/*
 * Rule: PMOVSSET_EL0.<n> and the interrupt request it makes persist until
 * the guest clears them, whatever the hypervisor does meanwhile. Pending:
 * the overflow happens with the guest's IRQs masked, before an exit to
 * user space (and a migration to CPU 1), and is taken after it, once.
 * Counting: the counter is started D below its wrap just before the exit
 * and overflows after it, on the same or the other CPU: one interrupt.
 */
static void across_exit(struct __test_metadata *_metadata, struct case_state *s,
			const struct kind *k, bool pending, bool migrate)
{
	struct guest_case c = case_of(k, SCENARIO_COUNTING_ACROSS_EXIT, SYNC_STAY);
	struct expectation e = { .rounds = 1, .irqs = { 1 } };

	if (migrate)
		c.sync_request = SYNC_MIGRATE;
	if (pending) {
		c.scenario = SCENARIO_PENDING_ACROSS_EXIT;
		e.rounds = 2;
		e.irqs[0] = 0;
		e.irqs[1] = 1;
		e.pmovs[0] = BIT(k->counter);
		e.prompt = BIT(1);
	} else {
		e.counting_across_sync = k->long_counter ? 64 : 32;
	}
	expect_pmcr(&e, k);
	run_case(_metadata, s, &c, NULL, &e);
}

/* across_exit(), pending. Covers: the fixture's host kinds and modes, each kind. */
TEST_F_TIMEOUT(counter, overflow_pending_across_exit_to_user_space, CASE_SECONDS)
{
	across_exit(_metadata, &self->s, &variant->kind, true, false);
}

/* across_exit(), counting. Covers: the fixture's host kinds and modes, each kind. */
TEST_F_TIMEOUT(counter, counting_across_exit_to_user_space, CASE_SECONDS)
{
	across_exit(_metadata, &self->s, &variant->kind, false, false);
}

/*
 * across_exit(), pending, the vCPU moved to CPU 1 at the exit.
 * Covers: the fixture's host kinds and modes, each kind (needs CPU 1).
 */
TEST_F_TIMEOUT(counter, overflow_pending_across_migration_to_cpu1, CASE_SECONDS)
{
	across_exit(_metadata, &self->s, &variant->kind, true, true);
}

/*
 * across_exit(), counting, the vCPU moved to CPU 1 at the exit.
 * Covers: the fixture's host kinds and modes, each kind (needs CPU 1).
 */
TEST_F_TIMEOUT(counter, counting_across_migration_to_cpu1, CASE_SECONDS)
{
	across_exit(_metadata, &self->s, &variant->kind, false, true);
}

/*
 * Rule: as for an overflow pending across an exit (across_exit()), with
 * no exit to user space: the overflow happens with the guest's IRQs
 * masked on CPU 1 (the host takes it and raises the guest's interrupt,
 * which the guest does not handle yet), CPU 1 goes offline while the guest
 * runs (the host moves the vCPU's thread to CPU 0 and gives CPU 1's PMU
 * back), and the guest, on CPU 0, takes the interrupt once, at once.
 * Covers: the fixture's host kinds and modes, each kind (on the split-PMU
 * rig CPUs 0 and 1 share a PMU); needs CPU 1 hotpluggable, and skips
 * otherwise.
 */
TEST_F_TIMEOUT(counter, overflow_pending_across_cpu1_going_offline, CASE_SECONDS)
{
	const struct kind *k = &variant->kind;
	struct guest_case c = case_of(k, SCENARIO_PENDING_ACROSS_OFFLINE, SYNC_STAY);
	struct expectation e = {
		.rounds = 2, .irqs = { 0, 1 }, .pmovs = { BIT(k->counter), 0 },
		.prompt = BIT(1),
	};

	expect_pmcr(&e, k);
	run_case(_metadata, &self->s, &c, NULL, &e);
}

/*
 * Rule: the overflow flag and its interrupt request are the state's: an
 * overflow pending with the guest's IRQs masked, at an exit to user space
 * where the VMM stores the flags cleared (a restore of a state without the
 * overflow), requests nothing once the guest unmasks IRQs: no interrupt,
 * PMOVSSET_EL0 0. The module traces the delivery as dropped ("store").
 * Covers: the fixture's host kinds and modes, each counter kind.
 */
TEST_F_TIMEOUT(counter, overflow_pending_cleared_by_the_vmm_no_interrupt, CASE_SECONDS)
{
	const struct kind *k = &variant->kind;
	struct guest_case c = case_of(k, SCENARIO_PENDING_ACROSS_EXIT, SYNC_VMM_CLEARS);
	struct expectation e = {
		.rounds = 2, .irqs = { 0, 0 }, .pmovs = { BIT(k->counter), 0 },
	};

	expect_pmcr(&e, k);
	run_case(_metadata, &self->s, &c, NULL, &e);
}

/*
 * Rule: the interrupt is requested while PMCR_EL0.E, PMOVSSET_EL0.<n> and
 * PMINTENSET_EL1.<n> are all 1, at whatever moment the last of them is
 * set. An overflow flag that is pending with PMINTENSET_EL1.<n> clear
 * (@gate_e false) or with PMCR_EL0.E clear (@gate_e true) across an exit
 * to user space (and a migration to CPU 1) requests nothing until the
 * guest sets that enable, then exactly one interrupt, at once.
 */
static void enable_across_exit(struct __test_metadata *_metadata, struct case_state *s,
			       const struct kind *k, bool gate_e, bool migrate)
{
	struct guest_case c = case_of(k, SCENARIO_INTEN_ACROSS_EXIT, SYNC_STAY);
	struct expectation e = {
		.rounds = 2, .irqs = { 0, 1 }, .pmovs = { BIT(k->counter), 0 },
		.prompt = BIT(1),
	};

	if (migrate)
		c.sync_request = SYNC_MIGRATE;
	if (gate_e)
		c.scenario = SCENARIO_E_ACROSS_EXIT;
	expect_pmcr(&e, k);
	run_case(_metadata, s, &c, NULL, &e);
}

/* enable_across_exit(), PMINTENSET. Covers: the fixture's host kinds and modes, each kind. */
TEST_F_TIMEOUT(counter, overflow_with_pmintenset_clear_across_exit_to_user_space_then_set,
	       CASE_SECONDS)
{
	enable_across_exit(_metadata, &self->s, &variant->kind, false, false);
}

/*
 * enable_across_exit(), PMINTENSET, the vCPU moved to CPU 1 at the exit.
 * Covers: the fixture's host kinds and modes, each kind (needs CPU 1).
 */
TEST_F_TIMEOUT(counter, overflow_with_pmintenset_clear_across_migration_to_cpu1_then_set,
	       CASE_SECONDS)
{
	enable_across_exit(_metadata, &self->s, &variant->kind, false, true);
}

/*
 * enable_across_exit(), PMCR_EL0.E (a rig QEMU without the pmcr_write()
 * fix fails it in the fgt and trap set-ups, see the top of the file).
 * Covers: the fixture's host kinds and modes, each kind.
 */
TEST_F_TIMEOUT(counter, overflow_with_pmcr_e_clear_across_exit_to_user_space_then_set,
	       CASE_SECONDS)
{
	enable_across_exit(_metadata, &self->s, &variant->kind, true, false);
}

/*
 * enable_across_exit(), PMCR_EL0.E, the vCPU moved to CPU 1 at the exit.
 * Covers: the fixture's host kinds and modes, each kind (needs CPU 1).
 */
TEST_F_TIMEOUT(counter, overflow_with_pmcr_e_clear_across_migration_to_cpu1_then_set,
	       CASE_SECONDS)
{
	enable_across_exit(_metadata, &self->s, &variant->kind, true, true);
}

/*
 * Fixture pmu: the rules of one register or bit, each case in a fresh VM
 * with the counter it names. Host kinds: those of fixture counter, in the
 * MODE given (lc_res1: the module's set-ups only).
 */
FIXTURE(pmu) {
	struct case_state s;
};

FIXTURE_SETUP(pmu)
{
	snprintf(self->s.name, sizeof(self->s.name), "pmu.%s", _metadata->name);
	case_setup(_metadata, &self->s);
}

FIXTURE_TEARDOWN(pmu)
{
	case_teardown(_metadata, &self->s);
}

/*
 * Rule: PMOVSSET_EL0 is write-1-to-set; a write sets the flag as an
 * overflow would, so with PMCR_EL0.E and PMINTENSET_EL1.<n> set each write
 * (flag cleared by the handler in between) requests one interrupt, at once.
 */
static void pmovsset_write(struct __test_metadata *_metadata, struct case_state *s,
			   uint64_t counter)
{
	struct kind k = { counter == CYCLE_COUNTER ? "cycle" : "event", counter, false };
	struct guest_case c = case_of(&k, SCENARIO_PMOVSSET_WRITE, SYNC_STAY);
	struct expectation e = { .rounds = WRITE_ROUNDS };
	int i;

	c.pmcr = 0;
	for (i = 0; i < WRITE_ROUNDS; i++) {
		e.irqs[i] = 1;
		e.prompt |= BIT(i);
	}
	run_case(_metadata, s, &c, NULL, &e);
}

/* pmovsset_write() on event counter 0. Covers: fixture pmu's host kinds and modes. */
TEST_F_TIMEOUT(pmu, event_pmovsset_write_one_interrupt_each, CASE_SECONDS)
{
	pmovsset_write(_metadata, &self->s, 0);
}

/* pmovsset_write() on the cycle counter. Covers: fixture pmu's host kinds and modes. */
TEST_F_TIMEOUT(pmu, cycle_pmovsset_write_one_interrupt_each, CASE_SECONDS)
{
	pmovsset_write(_metadata, &self->s, CYCLE_COUNTER);
}

/*
 * Rule: PMCR_EL0.E gates the interrupt of the cycle counter and of the
 * event counters below HPMN (CheckPMUOverflowCondition()): a flag set
 * while E is 0 requests nothing until E is set, then exactly one, at once.
 * Covers: fixture pmu's host kinds and modes, event counter 0.
 */
TEST_F_TIMEOUT(pmu, event_pmovsset_with_e_clear_interrupts_when_e_set, CASE_SECONDS)
{
	struct kind k = { "event", 0, false };
	struct guest_case c = case_of(&k, SCENARIO_E_GATE, SYNC_STAY);
	struct expectation e = {
		.rounds = 2, .irqs = { 0, 1 }, .pmovs = { BIT(0), 0 },
		.prompt = BIT(1),
	};

	c.pmcr = 0;
	run_case(_metadata, &self->s, &c, NULL, &e);
}

/*
 * Rule: PMCR_EL0.LC is RES1 when AArch32 is supported at no Exception
 * level; a VM whose ID_AA64PFR0_EL1.EL0 says AArch64 only (KVM guests run
 * AArch64 at EL1) gets LC = 1 whatever it writes, so its cycle counter
 * overflows at bit 63 only. Stock KVM 6.12 decides LC on the host's
 * AArch32 support (kvm_supports_32bit_el0()), not on the VM's ID
 * register, so the case runs in the module's set-ups only (fgt, trap,
 * slow) and skips in stock. Covers: fixture pmu's host kinds.
 */
TEST_F_TIMEOUT(pmu, cycle_lc_res1_on_aarch64_only_el0_vm, CASE_SECONDS)
{
	struct kind k = { "cycle32", CYCLE_COUNTER, false };
	struct guest_case c = case_of(&k, SCENARIO_POSITION, SYNC_STAY);
	struct id_override ids = { .el0 = ID_AA64PFR0_EL1_EL0_IMP };
	struct expectation e = {
		.rounds = 2, .irqs = { 0, 1 }, .value_above_32 = true,
		.pmcr_set = ARMV8_PMU_PMCR_LC,
	};

	if (mode == MODE_STOCK)
		SKIP(return, "stock KVM keys LC on the host's AArch32 support");
	run_case(_metadata, &self->s, &c, &ids, &e);
}

/*
 * Rule: PMCR_EL0.LP is RES0 without FEAT_PMUv3p5; on a VM whose
 * ID_AA64DFR0_EL1.PMUVer says PMUv3p4, a write of LP = 1 reads back 0 and
 * the event counter overflows at bit 31. Covers: fixture pmu's host kinds
 * and modes; a host below PMUv3p4 (Neoverse N1: PMUv3p1) cannot raise
 * PMUVer to v3p4, and its default VM, which already lacks LP, is tested.
 */
TEST_F_TIMEOUT(pmu, event_lp_res0_on_pmuv3p4_vm, CASE_SECONDS)
{
	struct kind k = { "event64", 0, true };
	struct guest_case c = case_of(&k, SCENARIO_POSITION, SYNC_STAY);
	struct id_override ids = { .pmuver = ID_AA64DFR0_EL1_PMUVer_V3P4 };
	struct expectation e = {
		.rounds = 2, .irqs = { 1, 1 }, .pmcr_clear = ARMV8_PMU_PMCR_LP,
	};

	if (vm_pmuver < ID_AA64DFR0_EL1_PMUVer_V3P4)
		ids.pmuver = 0;
	run_case(_metadata, &self->s, &c, &ids, &e);
}

/* -------------------------------------------------------------- main() */

/* The module's set-up must be the one the mode names. */
static void check_module(void)
{
	char policy[16] = "", fast[8] = "";
	const char *want_policy = mode == MODE_FGT ? "fgt" : "trap";
	const char *want_fast = mode == MODE_SLOW ? "0" : "1";

	if (mode == MODE_STOCK) {
		if (!access(SYSFS, F_OK))
			ksft_exit_fail_msg("stock mode, but kvm_pmu_partition is loaded\n");
		return;
	}
	if (!read_line(SYSFS "/trap_policy", policy, sizeof(policy)) ||
	    !read_line(SYSFS "/fast_path", fast, sizeof(fast)))
		ksft_exit_fail_msg("%s missing: kvm_pmu_partition is not loaded\n", SYSFS);
	if (strcmp(policy, want_policy) || strcmp(fast, want_fast))
		ksft_exit_fail_msg("module has trap_policy %s fast_path %s; this mode wants %s and %s\n",
				   policy, fast, want_policy, want_fast);
}

/*
 * Whether the harness runs the test FIXTURE.VARIANT.TEST @name: FILTER
 * selects it, and a swinc kind's only when FILTER asks for swinc (stock
 * KVM and fgt=off trap every increment).
 */
static bool selected(const struct __fixture_metadata *f,
		     const struct __fixture_variant_metadata *v, const char *name)
{
	if (!strcmp(f->name, "counter") &&
	    ((const FIXTURE_VARIANT(counter) *)v->data)->kind.software &&
	    !filter_asks_for("swinc"))
		return false;
	return filter_selects(name);
}

/*
 * The harness's arguments: argv[0], the caller's harness options
 * (@argv[@first] on), then "-r FIXTURE.VARIANT.TEST" for each test
 * selected(); when none is, "-r none", which runs none.
 */
static char **harness_arguments(int argc, char **argv, int first, int *count)
{
	struct __fixture_variant_metadata no_variant = { .name = "" };
	struct __fixture_variant_metadata *v;
	struct __fixture_metadata *f;
	struct __test_metadata *t;
	int tests = 0, n = 0, i, selections = 0;
	char **args, name[256];

	for (f = __fixture_list; f; f = f->next)
		for (v = f->variant ?: &no_variant; v; v = v->next)
			for (t = f->tests; t; t = t->next)
				tests++;
	args = calloc(1 + (argc - first) + 2 * (tests + 1) + 1, sizeof(*args));
	if (!args)
		ksft_exit_fail_msg("out of memory\n");
	args[n++] = argv[0];
	for (i = first; i < argc; i++)
		args[n++] = argv[i];
	for (f = __fixture_list; f; f = f->next) {
		for (v = f->variant ?: &no_variant; v; v = v->next) {
			for (t = f->tests; t; t = t->next) {
				snprintf(name, sizeof(name), "%s%s%s.%s", f->name,
					 v->name[0] ? "." : "", v->name, t->name);
				if (!selected(f, v, name))
					continue;
				args[n++] = "-r";
				args[n++] = strdup(name);
				selections++;
			}
		}
	}
	if (!selections) {
		args[n++] = "-r";
		args[n++] = "none";
	}
	*count = n;
	return args;
}

int main(int argc, char **argv)
{
	struct pmu_vm probe;
	char **args;
	int first = 2, count;
	unsigned int i;

	/* overflow_delivery -l (or -h): the harness lists the tests. */
	if (argc > 1 && argv[1][0] == '-')
		return rig_harness_run(argc, argv);
	if (argc < 2)
		ksft_exit_fail_msg("usage: %s stock|fgt|trap|slow [FILTER] [harness options]\n",
				   argv[0]);
	for (i = 0; i < ARRAY_SIZE(mode_names) && strcmp(argv[1], mode_names[i]); i++)
		;
	if (i == ARRAY_SIZE(mode_names))
		ksft_exit_fail_msg("usage: %s stock|fgt|trap|slow [FILTER] [harness options]\n",
				   argv[0]);
	mode = i;
	if (argc > 2 && argv[2][0] != '-') {
		filter = argv[2];
		first = 3;
	}
	case_timeout = run_seconds();

	if (!kvm_has_cap(KVM_CAP_ARM_PMU_V3))
		ksft_exit_skip("KVM has no PMUv3 on this host\n");
	check_module();
	pmu_vm_create(&probe);
	vm_el0 = FIELD_GET(ARM64_FEATURE_MASK(ID_AA64PFR0_EL1_EL0),
			     id_reg(probe.vcpu, SYS_ID_AA64PFR0_EL1));
	vm_pmuver = FIELD_GET(ARM64_FEATURE_MASK(ID_AA64DFR0_EL1_PMUVer),
				id_reg(probe.vcpu, SYS_ID_AA64DFR0_EL1));
	pmu_vm_destroy(&probe);

	cpu1_left_offline = mmap(NULL, sizeof(*cpu1_left_offline), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (cpu1_left_offline == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	rig_harness_at_end = cpu1_back_online;
	rig_harness_restore_on_stop = cpu1_online_on_stop;

	args = harness_arguments(argc, argv, first, &count);
	return rig_harness_run(count, args);
}
