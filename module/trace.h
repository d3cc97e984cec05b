/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tracepoints of kvm_pmu_partition (events/kvm_pmu_partition/ in tracefs).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kvm_pmu_partition

#if !defined(KVM_PMU_PARTITION_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define KVM_PMU_PARTITION_TRACE_H

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

#endif /* KVM_PMU_PARTITION_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
