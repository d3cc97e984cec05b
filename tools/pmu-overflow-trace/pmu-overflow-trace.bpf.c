// SPDX-License-Identifier: GPL-2.0
/*
 * pmu-overflow-trace.bpf.c - the in-kernel half of pmu-overflow-trace:
 * tracepoint programs on the kvm_pmu_partition module's overflow, inject,
 * acknowledge and drop events that follow each guest counter overflow in a
 * hash map keyed by (VMM pid, VM serial, vCPU id, counter), count what
 * happens to deliveries per vCPU, and send every finished or faulty
 * delivery to user space through a ring buffer (or, with --histogram,
 * add its two latencies to log2 histograms per VM instead).
 *
 * No BPF-to-BPF calls or callbacks (bpf_loop()): everything is inlined and
 * the counters of an event are walked by a bounded loop, so that kernels
 * without CONFIG_BPF_JIT (the interpreter rejects callbacks), such as
 * the test rig's, load the programs too.
 *
 * The events' fields are read with CO-RE from the module's own BTF
 * (/sys/kernel/btf/kvm_pmu_partition), where TRACE_EVENT() gives each
 * record the type trace_event_raw_<event>.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "pmu-overflow-trace.h"

struct trace_event_raw_kvm_pmu_partition_overflow {
	struct trace_entry ent;
	pid_t vmm;
	unsigned int vm;
	int vcpu_id;
	int cpu;
	u64 counters;
	u64 coalesced;
	u32 __data_loc_path;
} __attribute__((preserve_access_index));

struct trace_event_raw_kvm_pmu_partition_inject {
	struct trace_entry ent;
	pid_t vmm;
	unsigned int vm;
	int vcpu_id;
	int cpu;
	u64 counters;
	u64 same_exit;
} __attribute__((preserve_access_index));

struct trace_event_raw_kvm_pmu_partition_acknowledge {
	struct trace_entry ent;
	pid_t vmm;
	unsigned int vm;
	int vcpu_id;
	int cpu;
	u64 counters;
	u64 delay_ns;
} __attribute__((preserve_access_index));

struct trace_event_raw_kvm_pmu_partition_drop {
	struct trace_entry ent;
	pid_t vmm;
	unsigned int vm;
	int vcpu_id;
	int cpu;
	u64 counters;
	u32 __data_loc_reason;
} __attribute__((preserve_access_index));

/* Filters, set by user space before loading: 0 or -1 is "any". */
const volatile __u32 target_vmm = 0;
const volatile int target_cpu = -1;
const volatile int target_vcpu = -1;
const volatile bool histogram = false;

/* Records the ring buffer had no room for; map updates that failed. */
__u64 ringbuf_drops = 0;
__u64 map_full = 0;

/*
 * Set by user space before it attaches the programs (the overflow one
 * last: the module begins a tracing session when that tracepoint is
 * enabled, and follows no delivery before), cleared before it detaches
 * them: the four stop following deliveries at one instant. Read once per
 * event.
 */
volatile bool tracing = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, POT_MAX_DELIVERIES);
	__type(key, struct pot_delivery_key);
	__type(value, struct pot_delivery);
} deliveries SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, POT_MAX_VCPUS);
	__type(key, struct pot_vcpu_key);
	__type(value, struct pot_vcpu_stats);
} vcpu_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, POT_MAX_VMS * POT_LATENCIES);
	__type(key, struct pot_hist_key);
	__type(value, struct pot_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

/* One event being applied to its counters, one loop step each. */
struct walk {
	struct pot_delivery_key key;
	struct pot_vcpu_stats *stats;	/* the vCPU's, in vcpu_stats */
	u64 counters;
	u64 coalesced;
	u64 same_exit;			/* inject: found by this same exit */
	u64 now;
	u64 ack_ns;
	u32 cpu;
	u8 path;
	bool cpu_ok;			/* the event ran on the -c CPU */
};

/*
 * Counts go straight to the vCPU's entry (atomically: its events come
 * from one CPU at a time, user space reads meanwhile), not through the
 * stack, where each count would make the verifier explore another state
 * of the loop over counters.
 */
#define COUNT(w, field) __sync_fetch_and_add(&(w)->stats->field, 1)

/* The event is one to trace: fill in @w, with its vCPU's counts. */
static __always_inline bool selected(struct walk *w, u64 now, u32 vmm, u32 vm,
				     s32 vcpu, s32 cpu)
{
	struct pot_vcpu_key key = {
		.vmm = vmm,
		.vm = vm,
		.vcpu = vcpu,
	};
	struct pot_vcpu_stats zero = {}, *s;

	if (target_vmm && vmm != target_vmm)
		return false;
	if (target_vcpu >= 0 && vcpu != target_vcpu)
		return false;
	s = bpf_map_lookup_elem(&vcpu_stats, &key);
	if (!s) {
		bpf_map_update_elem(&vcpu_stats, &key, &zero, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&vcpu_stats, &key);
		if (!s) {
			__sync_fetch_and_add(&map_full, 1);
			return false;
		}
	}
	__builtin_memset(w, 0, sizeof(*w));
	w->key.vmm = vmm;
	w->key.vm = vm;
	w->key.vcpu = vcpu;
	w->stats = s;
	w->cpu = cpu;
	w->cpu_ok = target_cpu < 0 || cpu == target_cpu;
	w->now = now;
	return true;
}

static __always_inline void emit(struct walk *w, struct pot_delivery *d,
				 u8 kind, u8 reason)
{
	struct pot_record *r;

	if (histogram)
		return;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		__sync_fetch_and_add(&ringbuf_drops, 1);
		return;
	}
	r->overflow_ns = d->overflow_ns;
	r->inject_ns = d->inject_ns;
	r->ack_ns = kind == POT_DELIVERED ? w->ack_ns : 0;
	r->event_ns = w->now;
	r->coalesced = d->coalesced;
	r->vmm = w->key.vmm;
	r->vm = w->key.vm;
	r->vcpu = w->key.vcpu;
	r->counter = w->key.counter;
	r->cpu = d->cpu;
	r->kind = kind;
	r->reason = reason;
	r->path = d->path;
	r->same_exit = d->same_exit;
	bpf_ringbuf_submit(r, 0);
}

/* floor(log2(v)), 0 for 0. */
static __always_inline u32 log2_slot(u64 v)
{
	u32 slot = 0;

	if (v >> 32) {
		v >>= 32;
		slot += 32;
	}
	if (v >> 16) {
		v >>= 16;
		slot += 16;
	}
	if (v >> 8) {
		v >>= 8;
		slot += 8;
	}
	if (v >> 4) {
		v >>= 4;
		slot += 4;
	}
	if (v >> 2) {
		v >>= 2;
		slot += 2;
	}
	if (v >> 1)
		slot += 1;
	return slot;
}

static __always_inline void hist_add(struct walk *w, u32 latency, u64 ns)
{
	struct pot_hist_key key = {
		.vmm = w->key.vmm,
		.vm = w->key.vm,
		.latency = latency,
	};
	struct pot_hist zero = {}, *h;
	u32 slot;

	h = bpf_map_lookup_elem(&hists, &key);
	if (!h) {
		bpf_map_update_elem(&hists, &key, &zero, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hists, &key);
		if (!h) {
			__sync_fetch_and_add(&map_full, 1);
			return;
		}
	}
	slot = log2_slot(ns / 1000);
	if (slot >= POT_HIST_SLOTS)
		slot = POT_HIST_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
}

/* A delivery in flight ends without the guest's clear. */
static __always_inline void end_unacknowledged(struct walk *w,
					       struct pot_delivery *d, u8 reason)
{
	if (d->phase == POT_INJECTED) {
		COUNT(w, unacked);
		emit(w, d, POT_UNACKED, reason);
	} else {
		COUNT(w, lost);
		emit(w, d, POT_LOST, reason);
	}
}

/*
 * Counter i of an overflow event: a new delivery (counters), or a further
 * overflow of one in flight (coalesced). A new overflow of a counter whose
 * delivery the guest never acknowledged means the module dropped that
 * delivery (a vCPU reset, or the VMM setting PMU registers): it ends.
 */
static __always_inline void overflow_bit(struct walk *w, u32 i)
{
	u64 bit = 1ULL << (i & (POT_COUNTERS - 1));
	struct pot_delivery fresh = {}, *d;

	if (!((w->counters | w->coalesced) & bit))
		return;
	w->key.counter = i;
	d = bpf_map_lookup_elem(&deliveries, &w->key);
	if (w->counters & bit) {
		if (d && d->phase != POT_DONE)
			end_unacknowledged(w, d, POT_REASON_SUPERSEDED);
		if (!w->cpu_ok) {
			/* Not followed (-c): nor is what it leads to. */
			if (d)
				bpf_map_delete_elem(&deliveries, &w->key);
			return;
		}
		fresh.overflow_ns = w->now;
		fresh.cpu = w->cpu;
		fresh.path = w->path;
		fresh.phase = POT_OVERFLOWED;
		if (d) {
			*d = fresh;
		} else if (bpf_map_update_elem(&deliveries, &w->key, &fresh,
					       BPF_NOEXIST)) {
			__sync_fetch_and_add(&map_full, 1);
			return;
		}
		COUNT(w, overflows);
	} else if (d && d->phase != POT_DONE) {
		__sync_fetch_and_add(&d->coalesced, 1);
		COUNT(w, coalesced);
	} else if (d) {
		/* The guest cleared the flag: the module must begin anew. */
		COUNT(w, unexpected);
	} else if (w->cpu_ok) {
		COUNT(w, coalesced);
	}
}

/* Counter i of an inject event. */
static __always_inline void inject_bit(struct walk *w, u32 i)
{
	u64 bit = 1ULL << (i & (POT_COUNTERS - 1));
	struct pot_delivery *d;

	if (!(w->counters & bit))
		return;
	w->key.counter = i;
	d = bpf_map_lookup_elem(&deliveries, &w->key);
	if (!d) {
		if (w->cpu_ok)
			COUNT(w, untracked);
		return;
	}
	if (d->phase == POT_OVERFLOWED) {
		d->inject_ns = w->now;
		d->same_exit = !!(w->same_exit & bit);
		d->phase = POT_INJECTED;
		COUNT(w, injected);
		return;
	}
	/* Injected already, or acknowledged: no overflow since. */
	COUNT(w, duplicates);
	emit(w, d, POT_DUPLICATE, POT_REASON_NONE);
}

/*
 * Counter i of an event that ends a delivery (acknowledge, drop): the
 * delivery in flight, or NULL when the counter is not in the event, the
 * trace never saw the delivery begin (untracked), or it had ended already
 * (a second clear or a drop with no overflow in between: the module never
 * does that, counted unexpected).
 */
static __always_inline struct pot_delivery *ending_delivery(struct walk *w, u32 i)
{
	u64 bit = 1ULL << (i & (POT_COUNTERS - 1));
	struct pot_delivery *d;

	if (!(w->counters & bit))
		return NULL;
	w->key.counter = i;
	d = bpf_map_lookup_elem(&deliveries, &w->key);
	if (!d) {
		if (w->cpu_ok)
			COUNT(w, untracked);
		return NULL;
	}
	if (d->phase == POT_DONE) {
		COUNT(w, unexpected);
		return NULL;
	}
	return d;
}

/* Counter i of an acknowledge event: the delivery is over. */
static __always_inline void acknowledge_bit(struct walk *w, u32 i)
{
	struct pot_delivery *d = ending_delivery(w, i);

	if (!d)
		return;
	COUNT(w, acknowledged);
	if (d->phase == POT_INJECTED) {
		if (histogram) {
			/*
			 * An overflow injected by the exit that found it has no
			 * interval: it would be this program's own run.
			 */
			if (!d->same_exit)
				hist_add(w, POT_IRQ_TO_INJECT,
					 d->inject_ns - d->overflow_ns);
			hist_add(w, POT_INJECT_TO_ACK, w->ack_ns > d->inject_ns ?
				 w->ack_ns - d->inject_ns : 0);
		}
	} else {
		COUNT(w, acked_no_inject);
	}
	emit(w, d, POT_DELIVERED, POT_REASON_NONE);
	d->phase = POT_DONE;
}

/* Counter i of a drop event: the module ended the delivery. */
static __always_inline void drop_bit(struct walk *w, u32 i, u8 reason)
{
	struct pot_delivery *d = ending_delivery(w, i);

	if (!d)
		return;
	end_unacknowledged(w, d, reason);
	bpf_map_delete_elem(&deliveries, &w->key);
}

SEC("tracepoint/kvm_pmu_partition/kvm_pmu_partition_overflow")
int handle_overflow(struct trace_event_raw_kvm_pmu_partition_overflow *ctx)
{
	struct walk w;
	char path = 0;
	u32 loc, i;
	u64 now;

	now = bpf_ktime_get_ns();	/* first: the event's time */
	if (!tracing)
		return 0;
	if (!selected(&w, now, ctx->vmm, ctx->vm, ctx->vcpu_id, ctx->cpu))
		return 0;
	w.counters = ctx->counters;
	w.coalesced = ctx->coalesced;
	/* __string(path): offset in the low 16 bits of __data_loc_path. */
	loc = ctx->__data_loc_path;
	bpf_probe_read_kernel(&path, 1, (void *)ctx + (loc & 0xffff));
	w.path = path == 'e' ? POT_PATH_EXIT : POT_PATH_IRQ;
	for (i = 0; i < POT_COUNTERS; i++)
		overflow_bit(&w, i);
	return 0;
}

SEC("tracepoint/kvm_pmu_partition/kvm_pmu_partition_inject")
int handle_inject(struct trace_event_raw_kvm_pmu_partition_inject *ctx)
{
	struct walk w;
	u64 now;
	u32 i;

	now = bpf_ktime_get_ns();	/* first: the event's time */
	if (!tracing)
		return 0;
	if (!selected(&w, now, ctx->vmm, ctx->vm, ctx->vcpu_id, ctx->cpu))
		return 0;
	w.counters = ctx->counters;
	w.same_exit = ctx->same_exit;
	for (i = 0; i < POT_COUNTERS; i++)
		inject_bit(&w, i);
	return 0;
}

SEC("tracepoint/kvm_pmu_partition/kvm_pmu_partition_acknowledge")
int handle_acknowledge(struct trace_event_raw_kvm_pmu_partition_acknowledge *ctx)
{
	struct walk w;
	u64 delay, now;
	u32 i;

	now = bpf_ktime_get_ns();	/* first: the event's time */
	if (!tracing)
		return 0;
	if (!selected(&w, now, ctx->vmm, ctx->vm, ctx->vcpu_id, ctx->cpu))
		return 0;
	w.counters = ctx->counters;
	/*
	 * The clear happened delay_ns before this event (the module measures
	 * it with the generic timer; 0 where CNTFRQ_EL0 is 0).
	 */
	delay = ctx->delay_ns;
	w.ack_ns = delay < w.now ? w.now - delay : 0;
	for (i = 0; i < POT_COUNTERS; i++)
		acknowledge_bit(&w, i);
	return 0;
}

SEC("tracepoint/kvm_pmu_partition/kvm_pmu_partition_drop")
int handle_drop(struct trace_event_raw_kvm_pmu_partition_drop *ctx)
{
	char reason = 0;
	struct walk w;
	u64 now;
	u32 loc, i;
	u8 why;

	now = bpf_ktime_get_ns();	/* first: the event's time */
	if (!tracing)
		return 0;
	if (!selected(&w, now, ctx->vmm, ctx->vm, ctx->vcpu_id, ctx->cpu))
		return 0;
	w.counters = ctx->counters;
	/* __string(reason): "reset" or "store". */
	loc = ctx->__data_loc_reason;
	bpf_probe_read_kernel(&reason, 1, (void *)ctx + (loc & 0xffff));
	why = reason == 'r' ? POT_REASON_RESET : POT_REASON_STORE;
	for (i = 0; i < POT_COUNTERS; i++)
		drop_bit(&w, i, why);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
