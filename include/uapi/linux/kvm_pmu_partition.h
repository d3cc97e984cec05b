/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * What kvm_pmu_partition.ko shows user space: the sysfs directory with its
 * state (layout in pmuctl(8) and docs/sysfs.md), the names of its modes,
 * and the vCPU attributes a VMM uses to opt a VM into a mode. Shared by the
 * module, pmuctl and VMMs.
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
 * Both are VM-wide and have no payload for SET. A VMM sets one after
 * KVM_ARM_VCPU_INIT (with KVM_ARM_VCPU_PMU_V3) and before
 * KVM_ARM_VCPU_PMU_V3_INIT, on any vCPU; the choice is fixed when the
 * first vCPU first runs.
 *
 * KVM_PMU_PARTITION_ATTR_PARTITIONED: the guest owns hardware event
 * counters [0, PMCR_EL0.N) and the cycle counter directly
 * (MDCR_EL2.HPMN = PMCR_EL0.N); host perf keeps the counters above. N is
 * the smallest host PMU's counter count minus the module's
 * reserved_host_counters; a VMM may lower it with KVM_SET_ONE_REG of
 * PMCR_EL0 before the VM runs. GET writes N as a __u64 to addr.
 *
 * KVM_PMU_PARTITION_ATTR_FIXED_COUNTERS_ONLY: the VM's PMUv3 has no event
 * counters (PMCR_EL0.N = 0, PMCEID0/1 = 0) and a cycle counter that counts
 * on whichever CPU the vCPU runs. GET succeeds (no payload) in this mode.
 *
 * Errors, one meaning each (every refusal of SET also logs one kernel line
 * that says what to do, but the "too late" and "no PMU" ones):
 *   ENODEV     SET: the vCPU has no PMUv3 (KVM_ARM_VCPU_PMU_V3 not set at
 *              KVM_ARM_VCPU_INIT, or no KVM_ARM_VCPU_INIT yet).
 *   EBUSY      SET: too late: this vCPU's PMU is initialised
 *              (KVM_ARM_VCPU_PMU_V3_INIT) or a vCPU of the VM has run.
 *   EPERM      SET (partitioned): the VMM lacks CAP_PERFMON; a partition
 *              takes counters from host perf on every CPU, as a pinned
 *              CPU-wide perf event would (default_mode needs no capability:
 *              the host's administrator chose it).
 *   EEXIST     SET: the VMM already chose the other mode for this VM.
 *   EINVAL     SET: this VM's configuration cannot have the mode: a vCPU
 *              runs AArch32 at EL1, the VM has EL2 (nested virtualisation),
 *              another vCPU was created before the module was loaded (a VM
 *              is never half in a mode; on such a vCPU itself the attribute
 *              is unknown to KVM: ENXIO), or, for the fixed mode, the VMM
 *              chose a PMU (SET_PMU) or an event filter. SET_PMU and FILTER
 *              on a VM that chose the fixed mode fail with EINVAL too.
 *   EOPNOTSUPP SET: this host cannot provide the mode: its PMUs do not
 *              cover every CPU, or (partitioned) it uses pseudo-NMIs.
 *   ENOSPC     SET (partitioned): host perf events hold counters the
 *              partition needs; the log names the CPU and counters.
 *   ENXIO      GET: the VM is not in this mode. HAS: this vCPU cannot have
 *              the mode (any SET would fail for a reason above but EBUSY,
 *              EEXIST and ENOSPC).
 *   EFAULT     GET (partitioned): addr is not writable.
 * The first KVM_RUN of a VM that chose a mode fails with EINVAL (and one
 * log line) when the choice became impossible after SET: PMCR_EL0.N set to
 * 0 on a host without FEAT_HPMN0, a user-space irqchip, or a vCPU created
 * before the module was loaded. A VM that only default_mode put into a mode
 * runs with KVM's stock emulation instead, with one log line.
 */
#define KVM_PMU_PARTITION_ATTR_PARTITIONED		0x100
#define KVM_PMU_PARTITION_ATTR_FIXED_COUNTERS_ONLY	0x101

#endif /* _UAPI_LINUX_KVM_PMU_PARTITION_H */
