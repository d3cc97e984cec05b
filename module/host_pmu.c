// SPDX-License-Identifier: GPL-2.0-only
/*
 * The host's PMUv3 instances as KVM sees them: name, CPUs, counter count
 * and version, read once at load (KVM never forgets a host PMU). Owns the
 * host PMU table, and the reading and lowering of a VM's PMU version to
 * what the host PMUs implement. Process context only.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/bitmap.h>
#include <linux/kvm_host.h>
#include <linux/perf/arm_pmu.h>
#include <linux/perf/arm_pmuv3.h>

#include <asm/cpufeature.h>

#include "counter_mask.h"
#include "kvm_pmu_partition.h"

static struct partition_host_pmu host_pmus[PARTITION_MAX_HOST_PMUS];
static unsigned int host_pmu_count;
struct partition_host_events partition_host_events __ro_after_init;

int partition_host_pmus_discover(void)
{
	struct arm_pmu *pmus[PARTITION_MAX_HOST_PMUS];
	int count, i;

	count = kvm_pmu_get_host_pmus(pmus, ARRAY_SIZE(pmus));
	if (count > ARRAY_SIZE(pmus)) {
		pr_err("the host has %d PMUs, more than the %zu this module supports\n",
		       count, ARRAY_SIZE(pmus));
		return -E2BIG;
	}

	for (i = 0; i < count; i++) {
		struct partition_host_pmu *host_pmu = &host_pmus[i];
		struct arm_pmu *pmu = pmus[i];

		host_pmu->pmu = pmu;
		host_pmu->name = pmu->name;
		host_pmu->cpus = &pmu->supported_cpus;
		host_pmu->counters = bitmap_weight(pmu->cntr_mask,
						   PARTITION_MAX_EVENT_COUNTERS);
		host_pmu->cycle_counter = test_bit(PARTITION_CYCLE_COUNTER,
						   pmu->cntr_mask);
		host_pmu->pmuver = pmu->pmuver;
	}
	host_pmu_count = count;

	/* The events that count the same on every host PMU (event_filter.h). */
	partition_host_events.common[0] = ~0ULL;
	partition_host_events.common[1] = ~0ULL;
	for (i = 0; i < count; i++) {
		partition_host_events.common[0] &= pmus[i]->pmceid_bitmap[0];
		partition_host_events.common[1] &= pmus[i]->pmceid_ext_bitmap[0];
	}
	partition_host_events.several_pmus = count > 1;
	return 0;
}

unsigned int partition_host_pmu_count(void)
{
	return host_pmu_count;
}

struct partition_host_pmu *partition_host_pmu(unsigned int index)
{
	return index < host_pmu_count ? &host_pmus[index] : NULL;
}

struct partition_host_pmu *partition_host_pmu_smallest(void)
{
	struct partition_host_pmu *smallest = NULL;
	unsigned int i;

	for (i = 0; i < host_pmu_count; i++)
		if (!smallest || host_pmus[i].counters < smallest->counters)
			smallest = &host_pmus[i];
	return smallest;
}

bool partition_fgt_present(void)
{
	return cpus_have_final_cap(ARM64_HAS_FGT);
}

struct partition_host_pmu *partition_host_pmu_of_cpu(int cpu)
{
	unsigned int i;

	for (i = 0; i < host_pmu_count; i++)
		if (cpumask_test_cpu(cpu, host_pmus[i].cpus))
			return &host_pmus[i];
	return NULL;
}

bool partition_host_pmus_cover_all_cpus(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		if (!partition_host_pmu_of_cpu(cpu))
			return false;
	return true;
}

unsigned int partition_host_pmus_min_pmuver(void)
{
	unsigned int i, pmuver = ~0U;

	for (i = 0; i < host_pmu_count; i++)
		pmuver = min(pmuver, host_pmus[i].pmuver);
	return pmuver;
}

unsigned int partition_vm_pmu_version(struct kvm *kvm)
{
	return SYS_FIELD_GET(ID_AA64DFR0_EL1, PMUVer,
			     kvm_read_vm_id_reg(kvm, SYS_ID_AA64DFR0_EL1));
}

void partition_lower_pmu_version(struct kvm *kvm, unsigned int pmuver)
{
	u64 *dfr0 = __vm_id_reg(&kvm->arch, SYS_ID_AA64DFR0_EL1);

	lockdep_assert_held(&kvm->arch.config_lock);
	if (pmuver >= partition_vm_pmu_version(kvm))
		return;
	*dfr0 &= ~ID_AA64DFR0_EL1_PMUVer_MASK;
	*dfr0 |= SYS_FIELD_PREP(ID_AA64DFR0_EL1, PMUVer, pmuver);
}

/*
 * KVM's kvm_arm_pmu_get_pmuver_limit() (not exported): the host's
 * sanitised PMUVer, capped at PMUv3p5, with an IMPLEMENTATION DEFINED PMU
 * as none; FILTER sizes its bitmap by it.
 */
unsigned int partition_filter_size(void)
{
	unsigned int pmuver = SYS_FIELD_GET(ID_AA64DFR0_EL1, PMUVer,
					    read_sanitised_ftr_reg(SYS_ID_AA64DFR0_EL1));

	if (pmuver == ID_AA64DFR0_EL1_PMUVer_IMP_DEF)
		pmuver = 0;
	return partition_filter_events(min_t(unsigned int, pmuver,
					     ID_AA64DFR0_EL1_PMUVer_V3P5));
}
