/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tracepoints of kvm_pmu_partition (events/kvm_pmu_partition/ in tracefs).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kvm_pmu_partition

#if !defined(KVM_PMU_PARTITION_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define KVM_PMU_PARTITION_TRACE_H

#include <linux/kvm_host.h>
#include <linux/tracepoint.h>

/*
 * A fixed-counters-only vCPU's cycle counter moved to the PMU of the CPU
 * it now runs on; @count is the guest's count carried over.
 */
TRACE_EVENT(kvm_pmu_partition_backing_change,
	    TP_PROTO(int vcpu_id, const char *from, const char *to, u64 count),
	    TP_ARGS(vcpu_id, from, to, count),
	    TP_STRUCT__entry(__field(int, vcpu_id)
			     __string(from, from)
			     __string(to, to)
			     __field(u64, count)),
	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __assign_str(from);
			   __assign_str(to);
			   __entry->count = count;),
	    TP_printk("vcpu=%d from=%s to=%s count=%llu", __entry->vcpu_id,
		      __get_str(from), __get_str(to), __entry->count)
);

/*
 * A partitioned vCPU's PMU state was loaded into (@in) or saved from its
 * CPU's registers; @reason is "load", "first access" or "put". A first
 * access handled in the guest-exit path (where nothing may be traced) is
 * traced at the vCPU's next full exit or put.
 */
TRACE_EVENT(kvm_pmu_partition_swap,
	    TP_PROTO(struct kvm_vcpu *vcpu, bool in, const char *reason),
	    TP_ARGS(vcpu, in, reason),
	    TP_STRUCT__entry(__field(int, vcpu_id)
			     __field(int, cpu)
			     __field(bool, in)
			     __string(reason, reason)),
	    TP_fast_assign(__entry->vcpu_id = vcpu->vcpu_id;
			   __entry->cpu = smp_processor_id();
			   __entry->in = in;
			   __assign_str(reason);),
	    TP_printk("vcpu=%d cpu=%d %s reason=%s", __entry->vcpu_id,
		      __entry->cpu, __entry->in ? "in" : "out",
		      __get_str(reason))
);

/* A trapped PMU register access emulated on a full exit (the slow path). */
TRACE_EVENT(kvm_pmu_partition_trap,
	    TP_PROTO(struct kvm_vcpu *vcpu, const char *reg, bool is_write,
		     u64 value),
	    TP_ARGS(vcpu, reg, is_write, value),
	    TP_STRUCT__entry(__field(int, vcpu_id)
			     __string(reg, reg)
			     __field(bool, is_write)
			     __field(u64, value)),
	    TP_fast_assign(__entry->vcpu_id = vcpu->vcpu_id;
			   __assign_str(reg);
			   __entry->is_write = is_write;
			   __entry->value = value;),
	    TP_printk("vcpu=%d %s %s value=%#llx", __entry->vcpu_id,
		      __entry->is_write ? "write" : "read", __get_str(reg),
		      __entry->value)
);

/*
 * Trapped accesses emulated in the guest-exit path since the last full
 * exit (they cannot be traced one by one there: noinstr).
 */
TRACE_EVENT(kvm_pmu_partition_fast_traps,
	    TP_PROTO(struct kvm_vcpu *vcpu, u64 count),
	    TP_ARGS(vcpu, count),
	    TP_STRUCT__entry(__field(int, vcpu_id)
			     __field(u64, count)),
	    TP_fast_assign(__entry->vcpu_id = vcpu->vcpu_id;
			   __entry->count = count;),
	    TP_printk("vcpu=%d count=%llu", __entry->vcpu_id, __entry->count)
);

/* A vCPU and a mask of its counters (bit 31: the cycle counter). */
DECLARE_EVENT_CLASS(kvm_pmu_partition_counters,
		    TP_PROTO(struct kvm_vcpu *vcpu, u64 counters),
		    TP_ARGS(vcpu, counters),
		    TP_STRUCT__entry(__field(int, vcpu_id)
				     __field(u64, counters)),
		    TP_fast_assign(__entry->vcpu_id = vcpu->vcpu_id;
				   __entry->counters = counters;),
		    TP_printk("vcpu=%d counters=%#llx", __entry->vcpu_id,
			      __entry->counters)
);

/* The host PMU interrupt took these overflow flags for the guest. */
DEFINE_EVENT(kvm_pmu_partition_counters, kvm_pmu_partition_overflow,
	     TP_PROTO(struct kvm_vcpu *vcpu, u64 counters),
	     TP_ARGS(vcpu, counters));

/* The guest's PMU interrupt rose for these (PMOVSSET & PMINTENSET). */
DEFINE_EVENT(kvm_pmu_partition_counters, kvm_pmu_partition_inject,
	     TP_PROTO(struct kvm_vcpu *vcpu, u64 counters),
	     TP_ARGS(vcpu, counters));

#endif /* KVM_PMU_PARTITION_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
