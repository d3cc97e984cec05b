/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pmu-overflow-trace.h - what pmu-overflow-trace.bpf.c and
 * pmu-overflow-trace.c share: the keys and values of the BPF maps, the
 * ring buffer record and the histogram size.
 *
 * A delivery is one overflow of one guest counter, followed per
 * (VMM pid, VM serial, vCPU id, counter) through the module's tracepoints
 * kvm_pmu_partition_overflow (the host took it), _inject (the guest's PMU
 * interrupt was raised for it) and _acknowledge (the guest cleared its
 * overflow flag), or _drop (the module ended it: a vCPU reset, or a VMM's
 * store cleared the flag). Counter numbers are the module's mask bits: n
 * is event counter n, 31 the cycle counter.
 */
#ifndef PMU_OVERFLOW_TRACE_H
#define PMU_OVERFLOW_TRACE_H

#define POT_COUNTERS		32	/* bits of a counter mask */
#define POT_CYCLE_COUNTER	31
#define POT_HIST_SLOTS		32	/* log2(microseconds) slots */
#define POT_MAX_DELIVERIES	16384	/* (vCPU, counter) pairs followed */
#define POT_MAX_VCPUS		4096
#define POT_MAX_VMS		1024

/* Where a delivery is; an acknowledged one stays as POT_DONE. */
enum pot_phase {
	POT_OVERFLOWED = 1,	/* the host took the overflow */
	POT_INJECTED,		/* and raised the guest's PMU interrupt */
	POT_DONE,		/* the guest cleared the flag */
};

/* How the host found the overflow: the event's path field. */
enum pot_path {
	POT_PATH_IRQ,		/* its PMU interrupt */
	POT_PATH_EXIT,		/* at a guest exit, before the interrupt */
};

/* What a ring buffer record reports. */
enum pot_kind {
	POT_DELIVERED,		/* acknowledged (injected or not) */
	POT_LOST,		/* ended neither injected nor acknowledged */
	POT_UNACKED,		/* ended injected but not acknowledged */
	POT_DUPLICATE,		/* injected again without a new overflow */
};

/* Why a delivery ended without an acknowledgement. */
enum pot_reason {
	POT_REASON_NONE,
	POT_REASON_SUPERSEDED,	/* a new overflow of the counter began */
	POT_REASON_VM_GONE,	/* its VM went away (user space finds this) */
	POT_REASON_RESET,	/* drop event: KVM reset the vCPU */
	POT_REASON_STORE,	/* drop event: a VMM's store cleared the flag */
};

enum pot_latency {
	POT_IRQ_TO_INJECT,	/* overflow -> inject event, not the same exit */
	POT_INJECT_TO_ACK,	/* inject event -> the guest's clear */
	POT_LATENCIES,
};

struct pot_vcpu_key {
	__u32 vmm;
	__u32 vm;
	__s32 vcpu;
};

struct pot_delivery_key {
	__u32 vmm;
	__u32 vm;
	__s32 vcpu;
	__u32 counter;
};

struct pot_delivery {
	__u64 overflow_ns;	/* CLOCK_MONOTONIC of the overflow event */
	__u64 inject_ns;	/* of the inject event, 0 before it */
	__u64 coalesced;	/* overflows folded into this one */
	__u32 cpu;		/* host CPU that took the overflow */
	__u8 phase;		/* enum pot_phase */
	__u8 path;		/* enum pot_path */
	__u8 same_exit;		/* injected by the exit that found it */
	__u8 pad;
};

/* Per vCPU; lost and unacked also grow in user space (VM gone). */
struct pot_vcpu_stats {
	__u64 overflows;	/* deliveries begun */
	__u64 coalesced;	/* overflows again before the clear */
	__u64 injected;
	__u64 acknowledged;
	__u64 acked_no_inject;	/* acknowledged, never injected */
	__u64 lost;
	__u64 unacked;
	__u64 duplicates;
	__u64 untracked;	/* inject or clear of an overflow not seen */
	__u64 unexpected;	/* steps the module never emits so (defect) */
};

struct pot_hist_key {
	__u32 vmm;
	__u32 vm;
	__u32 latency;		/* enum pot_latency */
};

struct pot_hist {
	__u32 slots[POT_HIST_SLOTS];
};

struct pot_record {
	__u64 overflow_ns;
	__u64 inject_ns;	/* 0: not injected */
	__u64 ack_ns;		/* 0: not acknowledged */
	__u64 event_ns;		/* when the record was made */
	__u64 coalesced;
	__u32 vmm;
	__u32 vm;
	__s32 vcpu;
	__u32 counter;
	__u32 cpu;		/* host CPU that took the overflow */
	__u8 kind;		/* enum pot_kind */
	__u8 reason;		/* enum pot_reason */
	__u8 path;		/* enum pot_path */
	__u8 same_exit;		/* no host interrupt -> injection interval */
};

#endif /* PMU_OVERFLOW_TRACE_H */
