/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * What kvm_pmu_partition.ko shows user space: the sysfs directory with its
 * read-only state (layout in pmuctl(8) and docs/sysfs.md), the names of
 * its modes, and the vCPU attributes a VMM uses to opt a VM into a mode.
 * Shared by the module, pmuctl and VMMs.
 */
#ifndef _UAPI_LINUX_KVM_PMU_PARTITION_H
#define _UAPI_LINUX_KVM_PMU_PARTITION_H

#define KVM_PMU_PARTITION_VERSION	"0.2.0"
#define KVM_PMU_PARTITION_SYSFS_DIR	"/sys/kernel/kvm_pmu_partition"

/* default_mode values */
#define KVM_PMU_PARTITION_MODE_EMULATED		"emulated"
#define KVM_PMU_PARTITION_MODE_PARTITIONED	"partitioned"
#define KVM_PMU_PARTITION_MODE_FIXED		"fixed"

/*
 * Private attributes of the KVM_ARM_VCPU_PMU_V3_CTRL group (0) of
 * KVM_{SET,GET,HAS}_DEVICE_ATTR on a vCPU. KVM 6.12 uses 0..3 and upstream
 * has taken 4 (SET_NR_COUNTERS); the unmerged partitioned-PMU and
 * fixed-counters-only series both claim 5. These numbers stay clear of
 * both until upstream settles.
 *
 * KVM_PMU_PARTITION_ATTR_PARTITIONED: VM-wide, no payload. The guest owns
 * hardware event counters [0, PMCR_EL0.N) and the cycle counter directly
 * (MDCR_EL2.HPMN = PMCR_EL0.N); host perf keeps the counters above. N is
 * the smallest host PMU's counter count minus the module's
 * reserved_host_counters; a VMM may lower it with KVM_SET_ONE_REG of
 * PMCR_EL0 before the VM runs. SET returns -ENODEV without PMUv3, -EBUSY
 * once this vCPU's PMU is initialised or the VM has run, or while host perf
 * events hold counters the partition needs (the kernel log names the CPU),
 * -EINVAL when the VM chose another mode or the vCPU runs AArch32 at EL1,
 * -EOPNOTSUPP when this host cannot partition (its PMUs do not cover every
 * CPU, or it uses pseudo-NMIs); GET writes N as a __u64 to addr, or
 * returns -ENXIO unless the VM is partitioned (-EFAULT for a bad addr).
 *
 * KVM_PMU_PARTITION_ATTR_FIXED_COUNTERS_ONLY: VM-wide, no payload. The VM's
 * PMUv3 has no event counters (PMCR_EL0.N = 0, PMCEID0/1 = 0) and a cycle
 * counter that counts on whichever CPU the vCPU runs. SET returns -ENODEV
 * without PMUv3, -EBUSY once this vCPU's PMU is initialised or the VM has
 * run or an event filter or SET_PMU is in effect, -EOPNOTSUPP when the
 * host's PMUs do not cover every CPU; GET returns -ENXIO unless the VM is
 * in this mode.
 */
#define KVM_PMU_PARTITION_ATTR_PARTITIONED		0x100
#define KVM_PMU_PARTITION_ATTR_FIXED_COUNTERS_ONLY	0x101

#endif /* _UAPI_LINUX_KVM_PMU_PARTITION_H */
