/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Parsing of kvm_pmu_partition's string module parameters. Pure functions
 * with no kernel state, so the KUnit suite can test them directly.
 */
#ifndef KVM_PMU_PARTITION_PARAM_PARSE_H
#define KVM_PMU_PARTITION_PARAM_PARSE_H

#include <linux/errno.h>
#include <linux/string.h>

#include <uapi/linux/kvm_pmu_partition.h>

enum partition_mode {
	PARTITION_MODE_EMULATED,	/* stock KVM: perf-backed emulation */
	PARTITION_MODE_PARTITIONED,	/* guest owns counters below HPMN */
	PARTITION_MODE_FIXED,		/* cycle counter only, any host PMU */
	PARTITION_MODE_COUNT,
};

enum partition_fgt_policy {
	PARTITION_FGT_AUTO,		/* use FEAT_FGT where the CPUs have it */
	PARTITION_FGT_OFF,		/* always trap with MDCR_EL2.TPM/TPMCR */
	PARTITION_FGT_COUNT,
};

static const char * const partition_mode_names[PARTITION_MODE_COUNT] = {
	[PARTITION_MODE_EMULATED] = KVM_PMU_PARTITION_MODE_EMULATED,
	[PARTITION_MODE_PARTITIONED] = KVM_PMU_PARTITION_MODE_PARTITIONED,
	[PARTITION_MODE_FIXED] = KVM_PMU_PARTITION_MODE_FIXED,
};

static const char * const partition_fgt_names[PARTITION_FGT_COUNT] = {
	[PARTITION_FGT_AUTO] = "auto",
	[PARTITION_FGT_OFF] = "off",
};

/* Index of @value in @names (a trailing newline is ignored), or -EINVAL. */
static inline int partition_parse_choice(const char *value,
					 const char * const *names,
					 int count)
{
	int i;

	if (!value)
		return -EINVAL;
	for (i = 0; i < count; i++)
		if (sysfs_streq(value, names[i]))
			return i;
	return -EINVAL;
}

static inline int partition_parse_mode(const char *value)
{
	return partition_parse_choice(value, partition_mode_names,
				      PARTITION_MODE_COUNT);
}

static inline int partition_parse_fgt(const char *value)
{
	return partition_parse_choice(value, partition_fgt_names,
				      PARTITION_FGT_COUNT);
}

#endif /* KVM_PMU_PARTITION_PARAM_PARSE_H */
