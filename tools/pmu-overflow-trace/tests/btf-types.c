// SPDX-License-Identifier: GPL-2.0
/*
 * btf-types.c - the types of the test BTF that tools/pmu-overflow-trace/
 * Makefile makes with pahole for tests/run.sh: with -DWITH_KERNEL a few
 * kernel types (the base, as /sys/kernel/btf/vmlinux); with -DWITH_MODULE
 * the records of the module's overflow, inject and acknowledge
 * tracepoints as TRACE_EVENT() lays them out (module/trace.h); with
 * -DWITH_OLD_MODULE those of a module before VM identity (no vmm, vm or
 * cpu fields, no acknowledge tracepoint). Names and field types are what
 * CO-RE matches; nothing here runs.
 */
#ifdef WITH_KERNEL
typedef int pid_t;
typedef unsigned long long u64;
typedef unsigned int u32;

struct trace_entry {
	unsigned short type;
	unsigned char flags;
	unsigned char preempt_count;
	int pid;
};
#endif

#ifdef WITH_MODULE
struct trace_event_raw_kvm_pmu_partition_overflow {
	struct trace_entry ent;
	pid_t vmm;
	unsigned int vm;
	int vcpu_id;
	int cpu;
	u64 counters;
	u64 coalesced;
	u32 __data_loc_path;
	char __data[];
};

struct trace_event_raw_kvm_pmu_partition_inject {
	struct trace_entry ent;
	pid_t vmm;
	unsigned int vm;
	int vcpu_id;
	int cpu;
	u64 counters;
	u64 same_exit;
	char __data[];
};

struct trace_event_raw_kvm_pmu_partition_acknowledge {
	struct trace_entry ent;
	pid_t vmm;
	unsigned int vm;
	int vcpu_id;
	int cpu;
	u64 counters;
	u64 delay_ns;
	char __data[];
};

struct trace_event_raw_kvm_pmu_partition_drop {
	struct trace_entry ent;
	pid_t vmm;
	unsigned int vm;
	int vcpu_id;
	int cpu;
	u64 counters;
	u32 __data_loc_reason;
	char __data[];
};
#endif

#ifdef WITH_OLD_MODULE
struct trace_event_raw_kvm_pmu_partition_overflow {
	struct trace_entry ent;
	int vcpu_id;
	u64 counters;
	char __data[];
};

struct trace_event_raw_kvm_pmu_partition_inject {
	struct trace_entry ent;
	int vcpu_id;
	u64 counters;
	char __data[];
};
#endif

int btf_types_anchor;
