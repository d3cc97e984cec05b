/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Declarations shared by the files of kvm_pmu_partition.ko. Each piece of
 * state has one owner file, named next to it; the others ask that file.
 */
#ifndef KVM_PMU_PARTITION_H
#define KVM_PMU_PARTITION_H

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/kobject.h>
#include <linux/list.h>

#include <uapi/linux/kvm_pmu_partition.h>

#include "param_parse.h"

#define PARTITION_MAX_HOST_PMUS		8

struct arm_pmu;
struct kvm;

/* Load-time configuration; main.c owns it, fixed once the module is live. */
struct partition_config {
	enum partition_mode default_mode;
	enum partition_fgt_policy fgt;
	unsigned int reserved_host_counters;
};

extern struct partition_config partition_config;

/* One host PMUv3 instance; host_pmu.c owns the table. */
struct partition_host_pmu {
	struct arm_pmu *pmu;
	const char *name;
	const struct cpumask *cpus;
	unsigned int counters;		/* programmable event counters, N */
	bool cycle_counter;
	unsigned int pmuver;		/* ID_AA64DFR0_EL1.PMUVer */
	struct kobject kobj;		/* pmus/<name>/ in sysfs */
};

int partition_host_pmus_discover(void);
unsigned int partition_host_pmu_count(void);
struct partition_host_pmu *partition_host_pmu(unsigned int index);
/* The host PMU with the fewest event counters, or NULL. */
struct partition_host_pmu *partition_host_pmu_smallest(void);
bool partition_fgt_present(void);

/* VMs and vCPUs attached to the module; vm.c owns them. */
extern const struct kvm_pmu_hooks partition_hooks;
unsigned int partition_vm_count(void);

/* Hook call counts, for tests and pmuctl; stats.c owns them. */
enum partition_hook {
	PARTITION_HOOK_VCPU_INIT,
	PARTITION_HOOK_VCPU_DESTROY,
	PARTITION_HOOK_VCPU_FIRST_RUN,
	PARTITION_HOOK_ATTR,
	PARTITION_HOOK_MAX_COUNTERS,
	PARTITION_HOOK_SYSREG_ACCESS,
	PARTITION_HOOK_HANDLE_PMCR,
	PARTITION_HOOK_VCPU_RESET,
	PARTITION_HOOK_VCPU_LOAD,
	PARTITION_HOOK_VCPU_PUT,
	PARTITION_HOOK_SETUP_MDCR,
	PARTITION_HOOK_OVERFLOW_STATUS,
	PARTITION_HOOK_HYP_SYSREG,
	PARTITION_HOOK_HOST_PMU_CTRL,
	PARTITION_HOOK_HOST_PMU_IRQ,
	PARTITION_HOOK_COUNT,
};

extern atomic64_t partition_hook_calls[PARTITION_HOOK_COUNT];

static __always_inline void partition_count_hook(enum partition_hook hook)
{
	/* raw_: also called from the noinstr guest-exit path. */
	raw_atomic64_inc(&partition_hook_calls[hook]);
}

void partition_stats_init(void);
void partition_stats_exit(void);

int partition_sysfs_init(void);
void partition_sysfs_exit(void);

#endif /* KVM_PMU_PARTITION_H */
