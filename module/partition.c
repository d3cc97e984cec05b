// SPDX-License-Identifier: GPL-2.0-only
/*
 * The partitioned PMU: a VM that opts in owns hardware counters [0, HPMN)
 * and the cycle counter, with MDCR_EL2.HPMN = its PMCR_EL0.N; host perf
 * keeps [HPMN, N). docs/partition.md describes it for users.
 *
 * Owns: the claim of the guest counters from the host PMUv3 driver (taken
 * when the first VM becomes partitioned, given back when the last one is
 * destroyed), the per-CPU record of which vCPU's state is in the CPU's PMU
 * (partition_cpus), the opt-in attribute, and the hooks of partitioned
 * vCPUs outside the guest-exit path: vcpu_load/put (lazy context switch),
 * MDCR_EL2, the slow path of trapped accesses, the guest's overflow
 * interrupt, and the host driver's start/stop and overflow IRQ.
 *
 * Concurrency: the guest-owned state of a CPU changes only on that CPU
 * with IRQs masked (vcpu_load/put under local_irq_save, the guest-exit
 * path with DAIF masked), and the host driver's hooks run with IRQs masked
 * too, so none of them can see a half-switched PMU. Pseudo-NMIs would
 * break that; partitioning is refused on hosts that use them. The claim
 * and the reservation change under partition_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/bitmap.h>
#include <linux/kvm_host.h>
#include <linux/mutex.h>
#include <linux/perf/arm_pmu.h>
#include <linux/perf/arm_pmuv3.h>
#include <linux/smp.h>
#include <linux/uaccess.h>

#include <asm/cpufeature.h>
#include <asm/kvm_emulate.h>
#include <asm/sysreg.h>

#include "counter_mask.h"
#include "kvm_pmu_partition.h"
#include "trace.h"

#define DFR0_PMU_VERSION	GENMASK_ULL(11, 8)
#define DFR0_HPMN0		GENMASK_ULL(63, 60)
#define DFR1_PMICNTR		GENMASK_ULL(39, 36)
#define PFR0_EL3		GENMASK_ULL(15, 12)
#define PFR0_EL0		GENMASK_ULL(3, 0)
#define PFR0_EL0_AARCH64_ONLY	1
#define PMU_VERSION_V3		1
#define PMU_VERSION_V3P5	6

DEFINE_PER_CPU(struct partition_cpu, partition_cpus);
bool partition_use_fgt;

/* Protects the claim, the reservation and the partitioned VM count. */
static DEFINE_MUTEX(partition_lock);
static unsigned int claim_users;
static unsigned int partitioned_vms;
static u64 claimed_masks[PARTITION_MAX_HOST_PMUS];
static struct cpumask claimed_cpus[PARTITION_MAX_HOST_PMUS];
static bool all_cpus_hpmn0;

unsigned int partition_partitioned_vms(void)
{
	guard(mutex)(&partition_lock);
	return partitioned_vms;
}

bool partition_counters_claimed(void)
{
	guard(mutex)(&partition_lock);
	return claim_users;
}

/* The guest counter count: the smallest host PMU's N minus the reservation. */
static unsigned int partition_size(void)
{
	struct partition_host_pmu *smallest = partition_host_pmu_smallest();

	return partition_hpmn(smallest->counters,
			      partition_config.reserved_host_counters);
}

static unsigned long *used_mask(struct partition_host_pmu *host_pmu, int cpu)
{
	return per_cpu_ptr(host_pmu->pmu->hw_events, cpu)->used_mask;
}

/* Gives back the counters of every CPU in claimed_cpus[]. */
static void release_claim(void)
{
	unsigned int i;
	int cpu, bit;

	lockdep_assert_held(&partition_lock);
	for (i = 0; i < partition_host_pmu_count(); i++) {
		unsigned long mask = claimed_masks[i];

		for_each_cpu(cpu, &claimed_cpus[i])
			for_each_set_bit(bit, &mask, BITS_PER_LONG)
				clear_bit(bit, used_mask(partition_host_pmu(i), cpu));
		cpumask_clear(&claimed_cpus[i]);
		claimed_masks[i] = 0;
	}
}

/*
 * Takes the guest counters of every host PMU on every CPU from the PMU
 * driver with the driver's own atomic allocation primitive, so host perf
 * no longer schedules events on them. A counter a host event holds fails
 * the claim, and everything taken so far is given back.
 */
static int take_claim(void)
{
	unsigned long busy;
	unsigned int i;
	int cpu, bit, undo;

	lockdep_assert_held(&partition_lock);
	for (i = 0; i < partition_host_pmu_count(); i++) {
		struct partition_host_pmu *host_pmu = partition_host_pmu(i);

		claimed_masks[i] = partition_guest_mask(host_pmu->counters,
							partition_config.reserved_host_counters);
		cpumask_clear(&claimed_cpus[i]);
	}
	for (i = 0; i < partition_host_pmu_count(); i++) {
		struct partition_host_pmu *host_pmu = partition_host_pmu(i);
		unsigned long mask = claimed_masks[i];

		for_each_cpu(cpu, host_pmu->cpus) {
			unsigned long *used = used_mask(host_pmu, cpu);

			for_each_set_bit(bit, &mask, BITS_PER_LONG) {
				if (!test_and_set_bit(bit, used))
					continue;
				for_each_set_bit(undo, &mask, bit)
					clear_bit(undo, used);
				busy = READ_ONCE(*used) & mask;
				pr_warn("partitioned PMU refused: CPU %d has host perf events on counters %*pbl of %s (31: the cycle counter); stop them (perf, watchdog) or raise reserved_host_counters\n",
					cpu, BITS_PER_LONG, &busy, host_pmu->name);
				release_claim();
				return -EBUSY;
			}
			cpumask_set_cpu(cpu, &claimed_cpus[i]);
		}
	}
	return 0;
}

static int claim_get(void)
{
	int ret;

	lockdep_assert_held(&partition_lock);
	if (claim_users++)
		return 0;
	ret = take_claim();
	if (ret)
		claim_users = 0;
	return ret;
}

static void claim_put(void)
{
	lockdep_assert_held(&partition_lock);
	if (!--claim_users)
		release_claim();
}

/* A VM becomes partitioned (attr SET or first run): take the claim. */
static int vm_enter(struct partition_vm *vm)
{
	int ret;

	guard(mutex)(&partition_lock);
	if (vm->claimed)
		return 0;
	ret = claim_get();
	if (!ret)
		vm->claimed = true;
	return ret;
}

/* The VM is gone (its last vCPU destroyed), or leaves partitioned mode. */
void partition_vm_destroy(struct partition_vm *vm)
{
	scoped_guard(mutex, &partition_lock) {
		if (vm->claimed)
			claim_put();
		vm->claimed = false;
	}
	partition_vm_set_partitioned(vm, false);
}

void partition_vm_set_partitioned(struct partition_vm *vm, bool partitioned)
{
	bool was = vm->mode == PARTITION_MODE_PARTITIONED;

	guard(mutex)(&partition_lock);
	if (partitioned == was)
		return;
	partitioned_vms += partitioned ? 1 : -1;
	WRITE_ONCE(vm->mode, partitioned ? PARTITION_MODE_PARTITIONED :
					   PARTITION_MODE_EMULATED);
}

int partition_set_reservation(unsigned int reserved)
{
	struct partition_host_pmu *smallest = partition_host_pmu_smallest();

	guard(mutex)(&partition_lock);
	if (partitioned_vms || claim_users) {
		pr_warn("reserved_host_counters can change only while no partitioned VM exists (%u do)\n",
			max(partitioned_vms, 1U));
		return -EBUSY;
	}
	if (!partition_reservation_fits(smallest->counters, reserved)) {
		pr_warn("reserved_host_counters=%u exceeds the %u event counters of host PMU %s; choose 0..%u\n",
			reserved, smallest->counters, smallest->name,
			smallest->counters);
		return -EINVAL;
	}
	WRITE_ONCE(partition_config.reserved_host_counters, reserved);
	return 0;
}

/* Why this host cannot partition, or NULL. */
static const char *partition_unavailable(void)
{
	if (system_uses_irq_prio_masking())
		return "the host uses pseudo-NMIs, which could interrupt a PMU switch";
	if (!partition_host_pmus_cover_all_cpus())
		return "the host PMUs do not cover every CPU";
	return NULL;
}

static unsigned int vm_pmu_version(struct kvm *kvm)
{
	return FIELD_GET(DFR0_PMU_VERSION,
			 kvm->arch.id_regs[IDREG_IDX(SYS_ID_AA64DFR0_EL1)]);
}

/*
 * Under config_lock at the VM's first run: what the guest-exit path needs
 * to know about the VM, fixed from now on. The event type mask follows
 * KVM's kvm_pmu_evtyper_mask() (no NSH: KVM offers no EL2).
 */
static void vm_freeze(struct kvm *kvm, struct partition_vm *vm)
{
	unsigned int pmuver = vm_pmu_version(kvm);
	u64 pfr0 = kvm->arch.id_regs[IDREG_IDX(SYS_ID_AA64PFR0_EL1)];
	bool vm_el3 = FIELD_GET(PFR0_EL3, pfr0);
	bool host_el3 = FIELD_GET(PFR0_EL3, read_sanitised_ftr_reg(SYS_ID_AA64PFR0_EL1));

	vm->evtyper_mask = ARMV8_PMU_EXCLUDE_EL1 | ARMV8_PMU_EXCLUDE_EL0 |
			   (pmuver == PMU_VERSION_V3 ? GENMASK(9, 0) : GENMASK(15, 0));
	if (vm_el3)
		vm->evtyper_mask |= ARMV8_PMU_EXCLUDE_NS_EL0 |
				    ARMV8_PMU_EXCLUDE_NS_EL1 |
				    ARMV8_PMU_EXCLUDE_EL3;
	vm->copy_el_filters = host_el3 && !vm_el3;
	vm->long_counters = pmuver >= PMU_VERSION_V3P5;
	/* LC is RES1 where EL0 cannot run AArch32 (KVM's kvm_supports_32bit_el0()). */
	vm->cycle_overflow_res1 = FIELD_GET(PFR0_EL0, pfr0) == PFR0_EL0_AARCH64_ONLY;
}

int partition_attr(enum kvm_pmu_hook_attr_op op, struct kvm_vcpu *vcpu,
		   struct kvm_device_attr *attr)
{
	struct partition_vm *vm = partition_vcpu(vcpu)->vm;
	struct kvm *kvm = vcpu->kvm;
	const char *reason;
	int ret;

	switch (op) {
	case KVM_PMU_HOOK_ATTR_HAS:
		return kvm_vcpu_has_pmu(vcpu) ? 0 : -ENXIO;
	case KVM_PMU_HOOK_ATTR_GET:
		if (vm->mode != PARTITION_MODE_PARTITIONED)
			return -ENXIO;
		return put_user((u64)kvm->arch.pmcr_n,
				(u64 __user *)(unsigned long)attr->addr) ? -EFAULT : 0;
	case KVM_PMU_HOOK_ATTR_SET:
		break;
	}

	lockdep_assert_held(&kvm->arch.config_lock);
	if (!kvm_vcpu_has_pmu(vcpu))
		return -ENODEV;
	if (vcpu->arch.pmu.created || kvm_vm_has_ran_once(kvm))
		return -EBUSY;
	if (vm->mode_chosen && vm->mode != PARTITION_MODE_PARTITIONED)
		return -EINVAL;
	if (vcpu_el1_is_32bit(vcpu))
		return -EINVAL;
	reason = partition_unavailable();
	if (reason) {
		pr_warn_ratelimited("partitioned PMU refused: %s\n", reason);
		return -EOPNOTSUPP;
	}
	ret = vm_enter(vm);
	if (ret)
		return ret;
	partition_vm_set_partitioned(vm, true);
	vm->mode_chosen = true;
	kvm->arch.pmcr_n = min_t(unsigned int, kvm->arch.pmcr_n,
				 partition_size());
	return 0;
}

/* Process context, no locks held: the last point VM-wide state may change. */
int partition_first_run(struct kvm_vcpu *vcpu)
{
	struct partition_vm *vm = partition_vcpu(vcpu)->vm;
	struct kvm *kvm = vcpu->kvm;
	const char *reason = partition_unavailable();
	int ret;

	if (!reason && vcpu_el1_is_32bit(vcpu))
		reason = "its vCPUs run AArch32 at EL1";
	if (!reason && !all_cpus_hpmn0 && !kvm->arch.pmcr_n)
		reason = "it has no event counters and the CPUs lack FEAT_HPMN0";
	if (reason) {
		/* default_mode only: an explicit opt-in was checked already. */
		pr_info_ratelimited("VM of process %d runs with KVM's trapping PMU emulation: %s\n",
				    vm->pid, reason);
		partition_vm_destroy(vm);
		return 0;
	}

	ret = vm_enter(vm);
	if (ret)
		return ret;
	guard(mutex)(&kvm->arch.config_lock);
	/* The reservation may have changed since KVM_ARM_VCPU_INIT. */
	kvm->arch.pmcr_n = min_t(unsigned int, kvm->arch.pmcr_n, partition_size());
	vm_freeze(kvm, vm);
	return 0;
}

/* Under config_lock: the default PMCR_EL0.N and the limit for the VMM. */
u8 partition_max_counters(struct partition_vm *vm, u8 hardware_counters)
{
	return min_t(unsigned int, hardware_counters, partition_size());
}

/*
 * PMCEID0/1_EL0 of a partitioned guest: the common events every host PMU
 * implements (the guest may run on any of them), minus what the VM's filter
 * denies and the STALL_SLOT events (PMMIR_EL1 reads as zero), as KVM does.
 */
static u64 sanitised_pmceid(struct kvm_vcpu *vcpu, bool pmceid1)
{
	DECLARE_BITMAP(common, ARMV8_PMUV3_MAX_COMMON_EVENTS);
	DECLARE_BITMAP(extended, ARMV8_PMUV3_MAX_COMMON_EVENTS);
	const unsigned long *filter = vcpu->kvm->arch.pmu_filter;
	unsigned int base = pmceid1 ? 32 : 0, i;
	u64 value = 0;

	bitmap_fill(common, ARMV8_PMUV3_MAX_COMMON_EVENTS);
	bitmap_fill(extended, ARMV8_PMUV3_MAX_COMMON_EVENTS);
	for (i = 0; i < partition_host_pmu_count(); i++) {
		struct arm_pmu *pmu = partition_host_pmu(i)->pmu;

		bitmap_and(common, common, pmu->pmceid_bitmap,
			   ARMV8_PMUV3_MAX_COMMON_EVENTS);
		bitmap_and(extended, extended, pmu->pmceid_ext_bitmap,
			   ARMV8_PMUV3_MAX_COMMON_EVENTS);
	}
	for (i = 0; i < 32; i++) {
		unsigned int event = base + i;

		if (test_bit(event, common) &&
		    (!filter || test_bit(event, filter)))
			value |= BIT_ULL(i);
		if (test_bit(event, extended) &&
		    (!filter || vm_pmu_version(vcpu->kvm) == PMU_VERSION_V3 ||
		     test_bit(ARMV8_PMUV3_EXT_COMMON_EVENT_BASE + event, filter)))
			value |= BIT_ULL(32 + i);
	}
	if (pmceid1)
		value &= ~(BIT_ULL(ARMV8_PMUV3_PERFCTR_STALL_SLOT - 32) |
			   BIT_ULL(ARMV8_PMUV3_PERFCTR_STALL_SLOT_FRONTEND - 32) |
			   BIT_ULL(ARMV8_PMUV3_PERFCTR_STALL_SLOT_BACKEND - 32));
	return value;
}

/* Guest EL0 access allowed by its PMUSERENR_EL0 (as KVM's checks). */
static bool el0_allowed(struct kvm_vcpu *vcpu, u32 encoding, bool is_write)
{
	u64 userenr = read_sysreg_s(SYS_PMUSERENR_EL0);

	if ((*vcpu_cpsr(vcpu) & PSR_MODE_MASK) != PSR_MODE_EL0t ||
	    (userenr & ARMV8_PMU_USERENR_EN))
		return true;
	switch (partition_register_of(encoding)) {
	case PARTITION_REGISTER_PMSWINC:
		return userenr & ARMV8_PMU_USERENR_SW;
	case PARTITION_REGISTER_PMCCNTR:
		return !is_write && (userenr & ARMV8_PMU_USERENR_CR);
	case PARTITION_REGISTER_PMEVCNTR:
		return !is_write && (userenr & ARMV8_PMU_USERENR_ER);
	case PARTITION_REGISTER_PMSELR:
		return userenr & ARMV8_PMU_USERENR_ER;
	default:
		return false;
	}
}

/*
 * AArch32 accesses (from a guest's AArch32 EL0) use the AArch64 register
 * of the same CRn/CRm/opc2; the 64-bit PMCCNTR is MRRC/MCRR c9.
 */
static u32 aarch64_encoding(u32 encoding)
{
	if (ENCODING_CRN(encoding) == 0 && ENCODING_CRM(encoding) == 9)
		return SYS_PMCCNTR_EL0;
	if (ENCODING_CRN(encoding) == 9 && ENCODING_CRM(encoding) == 14 &&
	    (ENCODING_OP2(encoding) == 1 || ENCODING_OP2(encoding) == 2 ||
	     ENCODING_OP2(encoding) == 6))
		return sys_reg(3, 0, 9, 14, ENCODING_OP2(encoding));
	if (ENCODING_CRN(encoding) == 9 && ENCODING_CRM(encoding) == 14 &&
	    (ENCODING_OP2(encoding) == 4 || ENCODING_OP2(encoding) == 5))
		return 0;	/* PMCEID2/3: the upper halves, unsupported */
	return sys_reg(3, 3, ENCODING_CRN(encoding), ENCODING_CRM(encoding),
		       ENCODING_OP2(encoding));
}

/*
 * The slow path (a full exit), preemptible with the vCPU loaded: PMCEID,
 * PMMIR, UNDEFINED counters, AArch32, and everything when fast_path=0.
 */
enum kvm_pmu_hook_result
partition_sysreg_access(struct kvm_vcpu *vcpu,
			struct kvm_pmu_sysreg_access *access)
{
	struct partition_vcpu *state = partition_vcpu(vcpu);
	u32 encoding = access->encoding;
	enum kvm_pmu_hook_result result;
	enum partition_register group;
	unsigned long flags;
	u64 value = access->value;

	if (access->is_aarch32) {
		encoding = aarch64_encoding(encoding);
		if (!encoding)
			return KVM_PMU_HOOK_UNDEF;
	}
	group = partition_register_of(encoding);
	if (encoding == SYS_PMMIR_EL1 || group == PARTITION_REGISTER_PMCEID) {
		if (access->is_write)
			return KVM_PMU_HOOK_UNDEF;
		access->value = encoding == SYS_PMMIR_EL1 ? 0 :
				sanitised_pmceid(vcpu, encoding == SYS_PMCEID1_EL0);
		goto done;
	}

	local_irq_save(flags);
	if (raw_cpu_read(partition_cpus.owner) != vcpu) {
		partition_swap_in(vcpu, this_cpu_ptr(&partition_cpus));
		trace_kvm_pmu_partition_swap(vcpu, true, "first access");
	}
	if (!el0_allowed(vcpu, encoding, access->is_write)) {
		local_irq_restore(flags);
		return KVM_PMU_HOOK_UNDEF;
	}
	result = partition_emulate(vcpu, encoding, access->is_write, &value);
	local_irq_restore(flags);
	if (result != KVM_PMU_HOOK_DONE)
		return KVM_PMU_HOOK_UNDEF;	/* a counter it does not have */
	if (access->is_aarch32 && encoding != SYS_PMCCNTR_EL0)
		value = lower_32_bits(value);
	access->value = value;
done:
	state->traps_full[group]++;
	trace_kvm_pmu_partition_trap(vcpu, partition_register_names[group],
				     access->is_write, access->value);
	return KVM_PMU_HOOK_DONE;
}

/* What the guest-exit path did since the last traceable point. */
static void trace_fast_path(struct kvm_vcpu *vcpu, struct partition_vcpu *state)
{
	u64 fast_traps = 0;
	int i;

	if (state->swap_in_untraced) {
		state->swap_in_untraced = false;
		trace_kvm_pmu_partition_swap(vcpu, true, "first access");
	}
	if (!trace_kvm_pmu_partition_fast_traps_enabled())
		return;
	for (i = 0; i < PARTITION_REGISTER_COUNT; i++)
		fast_traps += state->traps_fast[i];
	if (fast_traps != state->fast_traps_traced)
		trace_kvm_pmu_partition_fast_traps(vcpu, fast_traps -
						   state->fast_traps_traced);
	state->fast_traps_traced = fast_traps;
}

/*
 * Preemption disabled, IRQs on; the vCPU's PMU is counting
 * (partition_pmu_counting()), so it is loaded now. KVM has just written
 * MDCR_EL2 (all PMU accesses trapped) and its PMUSERENR_EL0. An idle PMU
 * is not loaded: it costs nothing until its first access
 * (partition_hyp_sysreg()).
 */
void partition_vcpu_load(struct kvm_vcpu *vcpu, int cpu)
{
	unsigned long flags;

	local_irq_save(flags);
	partition_swap_in(vcpu, this_cpu_ptr(&partition_cpus));
	local_irq_restore(flags);
	trace_kvm_pmu_partition_swap(vcpu, true, "load");
}

/*
 * Preemption disabled; from kvm_sched_out with IRQs off and the rq lock.
 * The vCPU owns this CPU's PMU: save its state and give the PMU back.
 */
void partition_vcpu_put(struct kvm_vcpu *vcpu)
{
	struct partition_vcpu *state = partition_vcpu(vcpu);
	unsigned long flags;

	trace_fast_path(vcpu, state);
	local_irq_save(flags);
	partition_swap_out(vcpu, this_cpu_ptr(&partition_cpus));
	local_irq_restore(flags);
	trace_kvm_pmu_partition_swap(vcpu, false, "put");
}

/* Every entry, IRQs off, the vCPU owns this CPU's PMU: keep its MDCR_EL2. */
void partition_setup_mdcr(struct kvm_vcpu *vcpu, u64 *mdcr_el2)
{
	*mdcr_el2 = partition_owned_mdcr(vcpu, this_cpu_ptr(&partition_cpus),
					 *mdcr_el2);
}

/*
 * Preemption disabled, every entry and exit: the guest's PMU interrupt
 * level while its PMU is guest-owned on this CPU (otherwise memory holds
 * it all and KVM computes it). Overflow flags are the ones in memory
 * (taken by the IRQ hook) plus the hardware's; PMCR_EL0 and PMINTENSET_EL1
 * are the hardware's. Hardware first: an IRQ moving bits to memory in
 * between is then still seen.
 */
bool partition_overflow_status(struct kvm_vcpu *vcpu, u64 *status_out)
{
	struct partition_vcpu *state = partition_vcpu(vcpu);
	u64 pmcr, enabled, overflow, status;

	trace_fast_path(vcpu, state);
	overflow = read_sysreg_s(SYS_PMOVSSET_EL0);
	pmcr = read_sysreg_s(SYS_PMCR_EL0);
	enabled = read_sysreg_s(SYS_PMINTENSET_EL1);
	overflow |= READ_ONCE(vcpu->arch.ctxt.sys_regs[PMOVSSET_EL0]);
	status = pmcr & ARMV8_PMU_PMCR_E ?
		 overflow & enabled & partition_guest_counters(vcpu) : 0;
	if (status && !vcpu->arch.pmu.irq_level) {
		state->overflows++;
		trace_kvm_pmu_partition_inject(vcpu, status);
	}
	*status_out = status;
	return true;
}

/*
 * The host driver enables or disables its counters (IRQs off or hardirq).
 * While a guest owns this CPU's PMU, PMCR_EL0.E is the guest's: the
 * host's counters follow MDCR_EL2.HPME instead, and the host's PMCR_EL0.E
 * is restored at put.
 */
bool partition_host_pmu_ctrl(bool enable)
{
	struct partition_cpu *cpu = this_cpu_ptr(&partition_cpus);
	struct kvm_vcpu *vcpu = cpu->owner;
	u64 mdcr;

	if (!vcpu)
		return false;
	if (enable)
		cpu->host_pmcr |= ARMV8_PMU_PMCR_E;
	else
		cpu->host_pmcr &= ~(u64)ARMV8_PMU_PMCR_E;
	mdcr = partition_owned_mdcr(vcpu, cpu, vcpu->arch.mdcr_el2);
	vcpu->arch.mdcr_el2 = mdcr;
	write_sysreg(mdcr, mdcr_el2);
	isb();
	return true;
}

/*
 * The host PMU interrupt (hardirq): take the guest's overflow flags first,
 * clear them in hardware (which lowers the interrupt), keep them in the
 * vCPU's PMOVSSET and have KVM re-evaluate the guest's interrupt before it
 * re-enters the guest. The vCPU is loaded on this CPU, in its run loop.
 */
bool partition_host_pmu_irq(void)
{
	struct kvm_vcpu *vcpu = this_cpu_read(partition_cpus.owner);
	u64 overflow;

	if (!vcpu)
		return false;
	overflow = read_sysreg_s(SYS_PMOVSSET_EL0) & partition_guest_counters(vcpu);
	if (!overflow)
		return false;
	write_sysreg_s(overflow, SYS_PMOVSCLR_EL0);
	isb();
	vcpu->arch.ctxt.sys_regs[PMOVSSET_EL0] |= overflow;
	kvm_make_request(KVM_REQ_IRQ_PENDING, vcpu);
	trace_kvm_pmu_partition_overflow(vcpu, overflow);
	return true;
}

/* On each CPU at load: what its PMU implements, read at EL2. */
static void probe_cpu(void *unused)
{
	struct partition_cpu *cpu = this_cpu_ptr(&partition_cpus);
	u64 dfr0 = read_sysreg_s(SYS_ID_AA64DFR0_EL1);

	cpu->host_counters = FIELD_GET(ARMV8_PMU_PMCR_N,
				       read_sysreg_s(SYS_PMCR_EL0));
	cpu->long_counters = FIELD_GET(DFR0_PMU_VERSION, dfr0) >= PMU_VERSION_V3P5 &&
			     FIELD_GET(DFR0_PMU_VERSION, dfr0) != 0xf;
	cpu->hpmn0 = FIELD_GET(DFR0_HPMN0, dfr0);
}

int partition_setup(void)
{
	u64 dfr1 = read_sanitised_ftr_reg(SYS_ID_AA64DFR1_EL1);
	int cpu;

	on_each_cpu(probe_cpu, NULL, 1);
	all_cpus_hpmn0 = true;
	for_each_online_cpu(cpu)
		all_cpus_hpmn0 &= per_cpu(partition_cpus, cpu).hpmn0;

	partition_use_fgt = partition_config.fgt == PARTITION_FGT_AUTO &&
			    partition_fgt_present();
	/*
	 * FEAT_PMUv3_ICNTR with FEAT_FGT2: EL2 boot code untraps PMICNTR for
	 * EL1, and only MDCR_EL2.TPM would trap it again.
	 */
	if (partition_use_fgt && FIELD_GET(DFR1_PMICNTR, dfr1)) {
		pr_info("the PMU has an instruction counter that fine-grained traps would expose; partitioned guests use MDCR_EL2.TPM traps\n");
		partition_use_fgt = false;
	}
	return 0;
}

void partition_teardown(void)
{
	/* rmmod got here: no VM, so no claim and no guest-owned CPU. */
	guard(mutex)(&partition_lock);
	WARN_ON(claim_users);
}
