/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * What kvm_pmu_partition.ko shows user space: the sysfs directory with its
 * read-only state (layout in pmuctl(8) and docs/sysfs.md) and the names of
 * its modes. Shared by the module and pmuctl. The vCPU attributes for
 * opting a VM into a mode will be defined here too.
 */
#ifndef _UAPI_LINUX_KVM_PMU_PARTITION_H
#define _UAPI_LINUX_KVM_PMU_PARTITION_H

#define KVM_PMU_PARTITION_VERSION	"0.1.0"
#define KVM_PMU_PARTITION_SYSFS_DIR	"/sys/kernel/kvm_pmu_partition"

/* default_mode values */
#define KVM_PMU_PARTITION_MODE_EMULATED		"emulated"
#define KVM_PMU_PARTITION_MODE_PARTITIONED	"partitioned"
#define KVM_PMU_PARTITION_MODE_FIXED		"fixed"

#endif /* _UAPI_LINUX_KVM_PMU_PARTITION_H */
