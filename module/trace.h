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

#include "kvm_pmu_partition.h"

/*
 * Every event names its vCPU the way sysfs does (vm/<pid>.<serial>/
 * vcpu<id>/): the VMM's process id (vmm), the VM's serial (vm) and the
 * vCPU id, and gives the host CPU it ran on. Counter masks: bit n is event
 * counter n, bit 31 the cycle counter. docs/tracing.md follows an
 * overflow through overflow, inject and acknowledge.
 */
#ifndef KVM_PMU_PARTITION_TRACE_HELPERS
#define KVM_PMU_PARTITION_TRACE_HELPERS
static inline pid_t partition_trace_vmm(struct kvm_vcpu *vcpu)
{
	struct partition_vcpu *state = partition_vcpu(vcpu);

	return state ? state->vm->pid : 0;
}

static inline unsigned int partition_trace_vm(struct kvm_vcpu *vcpu)
{
	struct partition_vcpu *state = partition_vcpu(vcpu);

	return state ? state->vm->serial : 0;
}
#endif

#define PARTITION_TRACE_IDENTITY_FORMAT	"vmm=%d vm=%u vcpu=%d cpu=%d"

/*
 * A fixed-counters-only vCPU's cycle counter moved to the PMU of the CPU
 * it now runs on; @count is the guest's count carried over.
 */
TRACE_EVENT(kvm_pmu_partition_backing_change,
	    TP_PROTO(struct kvm_vcpu *vcpu, const char *from, const char *to,
		     u64 count),
	    TP_ARGS(vcpu, from, to, count),
	    TP_STRUCT__entry(__field(pid_t, vmm)
			     __field(unsigned int, vm)
			     __field(int, vcpu_id)
			     __field(int, cpu)
			     __string(from, from)
			     __string(to, to)
			     __field(u64, count)),
	    TP_fast_assign(__entry->vmm = partition_trace_vmm(vcpu);
			   __entry->vm = partition_trace_vm(vcpu);
			   __entry->vcpu_id = vcpu->vcpu_id;
			   __entry->cpu = raw_smp_processor_id();
			   __assign_str(from);
			   __assign_str(to);
			   __entry->count = count;),
	    TP_printk(PARTITION_TRACE_IDENTITY_FORMAT " from=%s to=%s count=%llu",
		      __entry->vmm, __entry->vm, __entry->vcpu_id, __entry->cpu, __get_str(from),
		      __get_str(to), __entry->count)
);

/*
 * A partitioned vCPU's PMU state was loaded into (@in; field swap_in) or
 * saved from its CPU's registers; @reason is "load", "first access" or "put". A first
 * access handled in the guest-exit path (where nothing may be traced) is
 * traced at the vCPU's next full exit or put.
 */
TRACE_EVENT(kvm_pmu_partition_swap,
	    TP_PROTO(struct kvm_vcpu *vcpu, bool in, const char *reason),
	    TP_ARGS(vcpu, in, reason),
	    TP_STRUCT__entry(__field(pid_t, vmm)
			     __field(unsigned int, vm)
			     __field(int, vcpu_id)
			     __field(int, cpu)
			     __field(bool, swap_in)
			     __string(reason, reason)),
	    TP_fast_assign(__entry->vmm = partition_trace_vmm(vcpu);
			   __entry->vm = partition_trace_vm(vcpu);
			   __entry->vcpu_id = vcpu->vcpu_id;
			   __entry->cpu = raw_smp_processor_id();
			   __entry->swap_in = in;
			   __assign_str(reason);),
	    TP_printk(PARTITION_TRACE_IDENTITY_FORMAT " %s reason=%s",
		      __entry->vmm, __entry->vm, __entry->vcpu_id, __entry->cpu,
		      __entry->swap_in ? "in" : "out", __get_str(reason))
);

/* A trapped PMU register access emulated on a full exit (the slow path). */
TRACE_EVENT(kvm_pmu_partition_trap,
	    TP_PROTO(struct kvm_vcpu *vcpu, const char *reg, bool is_write,
		     u64 value),
	    TP_ARGS(vcpu, reg, is_write, value),
	    TP_STRUCT__entry(__field(pid_t, vmm)
			     __field(unsigned int, vm)
			     __field(int, vcpu_id)
			     __field(int, cpu)
			     __string(reg, reg)
			     __field(bool, is_write)
			     __field(u64, value)),
	    TP_fast_assign(__entry->vmm = partition_trace_vmm(vcpu);
			   __entry->vm = partition_trace_vm(vcpu);
			   __entry->vcpu_id = vcpu->vcpu_id;
			   __entry->cpu = raw_smp_processor_id();
			   __assign_str(reg);
			   __entry->is_write = is_write;
			   __entry->value = value;),
	    TP_printk(PARTITION_TRACE_IDENTITY_FORMAT " %s %s value=%#llx",
		      __entry->vmm, __entry->vm, __entry->vcpu_id, __entry->cpu,
		      __entry->is_write ? "write" : "read", __get_str(reg),
		      __entry->value)
);

/*
 * @count trapped accesses to @reg (partition_register_names) emulated in
 * the guest-exit path since the last full exit or put: they cannot be
 * traced one by one there (noinstr).
 */
TRACE_EVENT(kvm_pmu_partition_fast_traps,
	    TP_PROTO(struct kvm_vcpu *vcpu, const char *reg, u64 count),
	    TP_ARGS(vcpu, reg, count),
	    TP_STRUCT__entry(__field(pid_t, vmm)
			     __field(unsigned int, vm)
			     __field(int, vcpu_id)
			     __field(int, cpu)
			     __string(reg, reg)
			     __field(u64, count)),
	    TP_fast_assign(__entry->vmm = partition_trace_vmm(vcpu);
			   __entry->vm = partition_trace_vm(vcpu);
			   __entry->vcpu_id = vcpu->vcpu_id;
			   __entry->cpu = raw_smp_processor_id();
			   __assign_str(reg);
			   __entry->count = count;),
	    TP_printk(PARTITION_TRACE_IDENTITY_FORMAT " %s count=%llu",
		      __entry->vmm, __entry->vm, __entry->vcpu_id, __entry->cpu, __get_str(reg),
		      __entry->count)
);

/*
 * Overflow, inject, acknowledge and drop follow each overflow's delivery;
 * the module keeps that bookkeeping only while overflow is enabled, and
 * starts afresh when it is (partition_deliveries_trace_reg()): deliveries
 * already under way then are not traced at all. A consumer enables
 * overflow last.
 *
 * The host took guest overflows: @counters overflowed anew, @coalesced
 * overflowed again before the guest cleared the earlier overflow (the
 * guest sees one flag for both). @path is "exit" (found at a guest exit:
 * usually the exit the PMU interrupt itself caused, before the host's
 * handler ran; if it may interrupt the guest, the inject event follows at
 * once, with the counter in same_exit) or "irq" (the host PMU interrupt
 * handler).
 */
TRACE_EVENT_FN(kvm_pmu_partition_overflow,
	       TP_PROTO(struct kvm_vcpu *vcpu, u64 counters, u64 coalesced,
			const char *path),
	       TP_ARGS(vcpu, counters, coalesced, path),
	       TP_STRUCT__entry(__field(pid_t, vmm)
				__field(unsigned int, vm)
				__field(int, vcpu_id)
				__field(int, cpu)
				__field(u64, counters)
				__field(u64, coalesced)
				__string(path, path)),
	       TP_fast_assign(__entry->vmm = partition_trace_vmm(vcpu);
			      __entry->vm = partition_trace_vm(vcpu);
			      __entry->vcpu_id = vcpu->vcpu_id;
			      __entry->cpu = raw_smp_processor_id();
			      __entry->counters = counters;
			      __entry->coalesced = coalesced;
			      __assign_str(path);),
	       TP_printk(PARTITION_TRACE_IDENTITY_FORMAT " counters=%#llx coalesced=%#llx path=%s",
			 __entry->vmm, __entry->vm, __entry->vcpu_id, __entry->cpu,
			 __entry->counters, __entry->coalesced, __get_str(path)),
	       partition_deliveries_trace_reg, NULL
);

/*
 * The guest's PMU interrupt was raised for @counters (their overflow,
 * PMINTENSET and PMCR_EL0.E are set), each once per overflow: counters
 * already injected and not yet cleared are not named again, nor flags
 * that KVM's vCPU reset or a VMM's restore left (no overflow the host
 * took). @same_exit: those of them whose overflow this same exit found
 * (the overflow event just before): injected at once, with no interval to
 * measure; the others waited (for the interrupt, or for the guest to
 * enable it).
 */
TRACE_EVENT(kvm_pmu_partition_inject,
	    TP_PROTO(struct kvm_vcpu *vcpu, u64 counters, u64 same_exit),
	    TP_ARGS(vcpu, counters, same_exit),
	    TP_STRUCT__entry(__field(pid_t, vmm)
			     __field(unsigned int, vm)
			     __field(int, vcpu_id)
			     __field(int, cpu)
			     __field(u64, counters)
			     __field(u64, same_exit)),
	    TP_fast_assign(__entry->vmm = partition_trace_vmm(vcpu);
			   __entry->vm = partition_trace_vm(vcpu);
			   __entry->vcpu_id = vcpu->vcpu_id;
			   __entry->cpu = raw_smp_processor_id();
			   __entry->counters = counters;
			   __entry->same_exit = same_exit;),
	    TP_printk(PARTITION_TRACE_IDENTITY_FORMAT " counters=%#llx same_exit=%#llx",
		      __entry->vmm, __entry->vm, __entry->vcpu_id, __entry->cpu,
		      __entry->counters, __entry->same_exit)
);

/*
 * The guest cleared (PMOVSCLR_EL0) the overflow flags of @counters that
 * the host had taken: their delivery is over. The clear happened
 * @delay_ns before this event: it is recorded where it is emulated (for
 * the guest-exit path, where nothing may be traced) and traced at the
 * vCPU's next traceable point; with several clears in between, the delay
 * is the first one's. 0 when the firmware left CNTFRQ_EL0 0.
 */
TRACE_EVENT(kvm_pmu_partition_acknowledge,
	    TP_PROTO(struct kvm_vcpu *vcpu, u64 counters, u64 delay_ns),
	    TP_ARGS(vcpu, counters, delay_ns),
	    TP_STRUCT__entry(__field(pid_t, vmm)
			     __field(unsigned int, vm)
			     __field(int, vcpu_id)
			     __field(int, cpu)
			     __field(u64, counters)
			     __field(u64, delay_ns)),
	    TP_fast_assign(__entry->vmm = partition_trace_vmm(vcpu);
			   __entry->vm = partition_trace_vm(vcpu);
			   __entry->vcpu_id = vcpu->vcpu_id;
			   __entry->cpu = raw_smp_processor_id();
			   __entry->counters = counters;
			   __entry->delay_ns = delay_ns;),
	    TP_printk(PARTITION_TRACE_IDENTITY_FORMAT " counters=%#llx delay_ns=%llu",
		      __entry->vmm, __entry->vm, __entry->vcpu_id, __entry->cpu,
		      __entry->counters, __entry->delay_ns)
);

/*
 * The module stopped following the deliveries of @counters without the
 * guest's clear, while deliveries are traced: @reason "reset" (KVM reset
 * the vCPU; every delivery in flight ends) or "store" (the VMM stored the
 * PMU registers with KVM_SET_ONE_REG, as a restore does, and the flag is
 * no longer set). The guest sees no interrupt for them afterwards.
 */
TRACE_EVENT(kvm_pmu_partition_drop,
	    TP_PROTO(struct kvm_vcpu *vcpu, u64 counters, const char *reason),
	    TP_ARGS(vcpu, counters, reason),
	    TP_STRUCT__entry(__field(pid_t, vmm)
			     __field(unsigned int, vm)
			     __field(int, vcpu_id)
			     __field(int, cpu)
			     __field(u64, counters)
			     __string(reason, reason)),
	    TP_fast_assign(__entry->vmm = partition_trace_vmm(vcpu);
			   __entry->vm = partition_trace_vm(vcpu);
			   __entry->vcpu_id = vcpu->vcpu_id;
			   __entry->cpu = raw_smp_processor_id();
			   __entry->counters = counters;
			   __assign_str(reason);),
	    TP_printk(PARTITION_TRACE_IDENTITY_FORMAT " counters=%#llx reason=%s",
		      __entry->vmm, __entry->vm, __entry->vcpu_id, __entry->cpu, __entry->counters,
		      __get_str(reason))
);

#endif /* KVM_PMU_PARTITION_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
