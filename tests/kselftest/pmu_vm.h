/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A one-vCPU VM with PMUv3 and an in-kernel vGICv3, built with the KVM
 * selftest library the way 6.12's vpmu_counter_access does, and a guest
 * that programs its PMU (INST_RETIRED on counter 0, the cycle counter),
 * runs a loop and reports both counts; pin_to_cpu() for tests that move
 * a vCPU between CPUs; and save/restore/copy_pmu_one_regs(), a VMM's save
 * and restore of the PMU registers (uses kselftest.h's ksft_print_msg()).
 */
#ifndef PMU_VM_H
#define PMU_VM_H

#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>

#include <kvm_util.h>
#include <processor.h>
#include <test_util.h>
#include <vgic.h>
#include <linux/bitfield.h>
#include <perf/arm_pmuv3.h>

#define PMU_VM_IRQ		23
#define PMU_VM_LOOP_ITERATIONS	100000

struct pmu_vm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	int gic_fd;
};

struct pmu_guest_readings {
	uint64_t pmcr_n;
	uint64_t inst_retired;
	uint64_t cpu_cycles;
};

static void pmu_guest_code(void)
{
	uint64_t pmcr = read_sysreg(pmcr_el0);

	/* Counter 0 counts INST_RETIRED at EL0/EL1; PMCCNTR counts cycles. */
	write_sysreg(ARMV8_PMUV3_PERFCTR_INST_RETIRED, pmevtyper0_el0);
	write_sysreg(0, pmccfiltr_el0);
	write_sysreg(BIT(0) | BIT(31), pmcntenset_el0);
	isb();
	write_sysreg(pmcr | ARMV8_PMU_PMCR_E | ARMV8_PMU_PMCR_P |
		     ARMV8_PMU_PMCR_C, pmcr_el0);
	isb();
	for (int i = 0; i < PMU_VM_LOOP_ITERATIONS; i++)
		asm volatile("nop");
	write_sysreg(pmcr & ~ARMV8_PMU_PMCR_E, pmcr_el0);
	isb();

	GUEST_SYNC_ARGS(0, FIELD_GET(ARMV8_PMU_PMCR_N, pmcr),
			read_sysreg(pmevcntr0_el0), read_sysreg(pmccntr_el0),
			read_sysreg(pmovsset_el0));
	GUEST_DONE();
}

/* A guest that only reports to its VMM, forever. */
static void __maybe_unused guest_sync_forever(void)
{
	for (;;)
		GUEST_SYNC(0);
}

/* The vCPU's system register @reg (a sys_reg() encoding). */
static inline uint64_t get_reg(struct kvm_vcpu *vcpu, uint64_t reg)
{
	uint64_t value;

	vcpu_get_reg(vcpu, KVM_ARM64_SYS_REG(reg), &value);
	return value;
}

/*
 * KVM_{SET,GET,HAS}_DEVICE_ATTR (@request) of PMU attribute @attribute;
 * returns 0 or the errno. ioctl(2) itself: the library's wrappers want a
 * constant request.
 */
static inline int pmu_attr(struct kvm_vcpu *vcpu, unsigned long request,
			   uint64_t attribute, void *addr)
{
	struct kvm_device_attr attr = {
		.group = KVM_ARM_VCPU_PMU_V3_CTRL,
		.attr = attribute,
		.addr = (uint64_t)addr,
	};

	return ioctl(vcpu->fd, request, &attr) ? errno : 0;
}

/* Sets the vCPU's PMU interrupt (PPI PMU_VM_IRQ) and initialises its PMU. */
static inline void pmu_vcpu_init(struct kvm_vcpu *vcpu)
{
	uint64_t irq = PMU_VM_IRQ;
	struct kvm_device_attr irq_attr = {
		.group = KVM_ARM_VCPU_PMU_V3_CTRL,
		.attr = KVM_ARM_VCPU_PMU_V3_IRQ,
		.addr = (uint64_t)&irq,
	};
	struct kvm_device_attr init_attr = {
		.group = KVM_ARM_VCPU_PMU_V3_CTRL,
		.attr = KVM_ARM_VCPU_PMU_V3_INIT,
	};

	vcpu_ioctl(vcpu, KVM_SET_DEVICE_ATTR, &irq_attr);
	vcpu_ioctl(vcpu, KVM_SET_DEVICE_ATTR, &init_attr);
}

/* The VM above, running @guest_code instead of pmu_guest_code. */
static inline void pmu_vm_create_running(struct pmu_vm *p, void *guest_code)
{
	struct kvm_vcpu_init init;

	p->vm = vm_create(1);
	vm_ioctl(p->vm, KVM_ARM_PREFERRED_TARGET, &init);
	init.features[0] |= 1 << KVM_ARM_VCPU_PMU_V3;
	p->vcpu = aarch64_vcpu_add(p->vm, 0, &init, guest_code);
	p->gic_fd = vgic_v3_setup(p->vm, 1, 64);
	__TEST_REQUIRE(p->gic_fd >= 0, "no vGICv3 on this host");
	pmu_vcpu_init(p->vcpu);
}

static inline void pmu_vm_create(struct pmu_vm *p)
{
	pmu_vm_create_running(p, pmu_guest_code);
}

/* Runs the guest to completion and returns what it read. */
static inline struct pmu_guest_readings pmu_vm_run(struct pmu_vm *p)
{
	struct pmu_guest_readings readings = {};
	struct ucall uc;

	for (;;) {
		vcpu_run(p->vcpu);
		switch (get_ucall(p->vcpu, &uc)) {
		case UCALL_SYNC:
			readings.pmcr_n = uc.args[2];
			readings.inst_retired = uc.args[3];
			readings.cpu_cycles = uc.args[4];
			break;
		case UCALL_DONE:
			return readings;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		default:
			TEST_FAIL("unexpected ucall %lu", uc.cmd);
		}
	}
}

/* Moves the calling thread, and so the vCPU it runs, to @cpu. */
static inline void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT(!pthread_setaffinity_np(pthread_self(), sizeof(set), &set),
		    "cannot pin to CPU %d", cpu);
}

static inline void pmu_vm_destroy(struct pmu_vm *p)
{
	close(p->gic_fd);
	kvm_vm_free(p->vm);
}

/* The PMU registers of KVM_GET_REG_LIST: op0 3, CRn 9 CRm 12-14, CRn 14 CRm 8-15. */
static inline bool is_pmu_one_reg(uint64_t id)
{
	uint64_t op0, crn, crm;

	if ((id & KVM_REG_ARM_COPROC_MASK) != KVM_REG_ARM64_SYSREG)
		return false;
	op0 = (id & KVM_REG_ARM64_SYSREG_OP0_MASK) >> KVM_REG_ARM64_SYSREG_OP0_SHIFT;
	crn = (id & KVM_REG_ARM64_SYSREG_CRN_MASK) >> KVM_REG_ARM64_SYSREG_CRN_SHIFT;
	crm = (id & KVM_REG_ARM64_SYSREG_CRM_MASK) >> KVM_REG_ARM64_SYSREG_CRM_SHIFT;
	return op0 == 3 && ((crn == 9 && crm >= 12) || (crn == 14 && crm >= 8));
}

/* A vCPU's PMU registers as a VMM saves them: KVM_GET_REG_LIST's order. */
#define PMU_ONE_REGS_MAX	128
struct pmu_one_regs {
	int count;
	uint64_t id[PMU_ONE_REGS_MAX];
	uint64_t value[PMU_ONE_REGS_MAX];
};

/* GET every PMU register of KVM_GET_REG_LIST, in the list's order. */
static inline void save_pmu_one_regs(struct kvm_vcpu *vcpu, struct pmu_one_regs *regs)
{
	struct kvm_reg_list *list = vcpu_get_reg_list(vcpu);

	regs->count = 0;
	for (uint64_t i = 0; i < list->n && regs->count < PMU_ONE_REGS_MAX; i++) {
		if (!is_pmu_one_reg(list->reg[i]) ||
		    __vcpu_get_reg(vcpu, list->reg[i], &regs->value[regs->count]))
			continue;
		regs->id[regs->count++] = list->reg[i];
	}
	free(list);
}

/*
 * SET each saved register, in the saved order, to its saved value, as
 * QEMU, crosvm and Firecracker restore a vCPU. Returns the number of SETs
 * that failed (each printed).
 */
static inline int restore_pmu_one_regs(struct kvm_vcpu *vcpu,
				       const struct pmu_one_regs *regs)
{
	int errors = 0;

	for (int i = 0; i < regs->count; i++) {
		if (__vcpu_set_reg(vcpu, regs->id[i], regs->value[i])) {
			ksft_print_msg("SET_ONE_REG 0x%lx = 0x%lx: %s\n", regs->id[i],
				       regs->value[i], strerror(errno));
			errors++;
		}
	}
	return errors;
}

/*
 * Saves @from's PMU state and restores it into @to: a migration. Returns
 * the number of registers copied; failed SETs go to *@set_errors.
 */
static inline int copy_pmu_one_regs(struct kvm_vcpu *from, struct kvm_vcpu *to,
				    int *set_errors)
{
	static struct pmu_one_regs regs;

	save_pmu_one_regs(from, &regs);
	*set_errors = restore_pmu_one_regs(to, &regs);
	return regs.count;
}

#endif /* PMU_VM_H */
