// SPDX-License-Identifier: GPL-2.0
/*
 * psci.c - owns the firmware's runtime service: the SMC dispatcher (SMCCC
 * 1.1 fast calls from the Non-secure world, Arm DEN0028) and PSCI 1.1 (Arm
 * DEN0022): PSCI_VERSION, PSCI_FEATURES, CPU_SUSPEND (standby only),
 * CPU_OFF, CPU_ON, AFFINITY_INFO (level 0), MIGRATE_INFO_TYPE, SYSTEM_OFF
 * and SYSTEM_RESET; the parking of a CPU that is off; the system power-off
 * and reset through the virt board's Secure GPIO controller.
 *
 * A CPU that is off waits in WFI at EL3 for the GIC doorbell (gic.c); the
 * virt board has no power controller to take it down.  CPU_ON then runs the
 * same EL3 power-up as a cold boot before entering the Non-secure world.
 *
 * cpu_records[].power changes with load-acquire/store-release and
 * compare-and-swap while the MMU is off (Device memory): QEMU implements
 * the exclusives for any memory type; hardware would want TF-A's bakery
 * locks here.
 */
#include "firmware.h"

#define EC_SMC64		0x17

#define SMCCC_VERSION		0x80000000U
#define SMCCC_ARCH_FEATURES	0x80000001U
#define SMCCC_VERSION_1_1	0x10001
#define SMCCC_SMC64		BIT(30)

#define PSCI_VERSION		0x84000000U
#define PSCI_CPU_SUSPEND	0x84000001U
#define PSCI_CPU_SUSPEND_64	0xc4000001U
#define PSCI_CPU_OFF		0x84000002U
#define PSCI_CPU_ON		0x84000003U
#define PSCI_CPU_ON_64		0xc4000003U
#define PSCI_AFFINITY_INFO	0x84000004U
#define PSCI_AFFINITY_INFO_64	0xc4000004U
#define PSCI_MIGRATE_INFO_TYPE	0x84000006U
#define PSCI_SYSTEM_OFF		0x84000008U
#define PSCI_SYSTEM_RESET	0x84000009U
#define PSCI_FEATURES		0x8400000aU
#define PSCI_VERSION_1_1	0x10001

#define PSCI_SUCCESS		0
#define PSCI_NOT_SUPPORTED	(-1)
#define PSCI_INVALID_PARAMETERS	(-2)
#define PSCI_ALREADY_ON		(-4)
#define PSCI_ON_PENDING		(-5)
#define PSCI_INVALID_ADDRESS	(-9)

#define AFFINITY_ON		0
#define AFFINITY_OFF		1
#define AFFINITY_ON_PENDING	2

/* "Trusted OS is either not present or does not require migration" */
#define MIGRATE_TYPE_NOT_PRESENT	2

#define PL061_DATA(pin)		(BIT(pin) << 2)	/* address-masked data */
#define PL061_DIR		0x400

struct smc_frame {
	u64 x[31];
	u64 pad;
};

void power_off_system(unsigned int pin)
{
	u64 gpio = VIRT_SECURE_GPIO_BASE;

	mmio_write32(gpio + PL061_DIR,
		     mmio_read32(gpio + PL061_DIR) | BIT(pin));
	mmio_write32(gpio + PL061_DATA(pin), BIT(pin));
	for (;;)
		wfi();
}

/* A CPU is off from here until CPU_ON; then it powers up again. */
void cpu_park(unsigned int cpu)
{
	struct cpu_record *record = &cpu_records[cpu];
	u64 mpidr = read_sysreg(mpidr_el1) & MPIDR_AFFINITY_MASK;
	u64 entry, context;

	gic_doorbell_arm();
	__atomic_store_n(&record->power, CPU_POWER_OFF, __ATOMIC_RELEASE);
	while (__atomic_load_n(&record->power, __ATOMIC_ACQUIRE) !=
	       CPU_POWER_ON_PENDING) {
		wfi();
		gic_doorbell_drain();
	}
	gic_doorbell_disarm();

	cpu_init_el3();
	if (!gic_init_redistributor(mpidr))
		fatal("no GIC redistributor for MPIDR", mpidr);
	entry = record->entry;
	context = record->context;
	__atomic_store_n(&record->power, CPU_POWER_RUNNING, __ATOMIC_RELEASE);
	el3_enter_ns_el2(entry, context, cpu_stack_top(cpu));
}

static s64 psci_cpu_on(u64 target, u64 entry, u64 context)
{
	unsigned int cpu = mpidr_to_cpu(target);
	struct cpu_record *record;
	u32 power = CPU_POWER_OFF;

	if (cpu >= MAX_CPUS || !gic_cpu_exists(target))
		return PSCI_INVALID_PARAMETERS;
	if (!entry || (entry & 3))
		return PSCI_INVALID_ADDRESS;
	record = &cpu_records[cpu];
	if (!__atomic_compare_exchange_n(&record->power, &power,
					 CPU_POWER_CLAIMED, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return power == CPU_POWER_CLAIMED ||
		       power == CPU_POWER_ON_PENDING ?
		       PSCI_ON_PENDING : PSCI_ALREADY_ON;
	record->entry = entry;
	record->context = context;
	__atomic_store_n(&record->power, CPU_POWER_ON_PENDING,
			 __ATOMIC_RELEASE);
	gic_doorbell_ring(target & MPIDR_AFFINITY_MASK);
	return PSCI_SUCCESS;
}

static s64 psci_affinity_info(u64 target, u64 lowest_level)
{
	unsigned int cpu = mpidr_to_cpu(target);

	if (lowest_level != 0 || cpu >= MAX_CPUS || !gic_cpu_exists(target))
		return PSCI_INVALID_PARAMETERS;
	switch (__atomic_load_n(&cpu_records[cpu].power, __ATOMIC_ACQUIRE)) {
	case CPU_POWER_RUNNING:
		return AFFINITY_ON;
	case CPU_POWER_CLAIMED:
	case CPU_POWER_ON_PENDING:
		return AFFINITY_ON_PENDING;
	default:
		return AFFINITY_OFF;
	}
}

/*
 * Every power state is entered as standby: WFI until an interrupt is
 * pending for the CPU, then return SUCCESS, which PSCI allows for a power
 * down state too ("the core did not power down").
 */
static s64 psci_cpu_suspend(void)
{
	dsb_sy();
	wfi();
	return PSCI_SUCCESS;
}

static s64 psci_features(u32 function)
{
	switch (function) {
	case PSCI_VERSION:
	case PSCI_CPU_SUSPEND:
	case PSCI_CPU_SUSPEND_64:	/* original power_state format, no OSI */
	case PSCI_CPU_OFF:
	case PSCI_CPU_ON:
	case PSCI_CPU_ON_64:
	case PSCI_AFFINITY_INFO:
	case PSCI_AFFINITY_INFO_64:
	case PSCI_MIGRATE_INFO_TYPE:
	case PSCI_SYSTEM_OFF:
	case PSCI_SYSTEM_RESET:
	case PSCI_FEATURES:
	case SMCCC_VERSION:
		return PSCI_SUCCESS;
	default:
		return PSCI_NOT_SUPPORTED;
	}
}

static s64 smc_call(unsigned int cpu, u32 function, u64 arg1, u64 arg2,
		    u64 arg3)
{
	/* SMC32 calls take their arguments in W registers. */
	if (!(function & SMCCC_SMC64)) {
		arg1 = (u32)arg1;
		arg2 = (u32)arg2;
		arg3 = (u32)arg3;
	}
	switch (function) {
	case SMCCC_VERSION:
		return SMCCC_VERSION_1_1;
	case SMCCC_ARCH_FEATURES:
		/* No SMCCC_ARCH_WORKAROUND_*, no SMCCC_ARCH_SOC_ID. */
		return PSCI_NOT_SUPPORTED;
	case PSCI_VERSION:
		return PSCI_VERSION_1_1;
	case PSCI_FEATURES:
		return psci_features((u32)arg1);
	case PSCI_CPU_SUSPEND:
	case PSCI_CPU_SUSPEND_64:
		return psci_cpu_suspend();
	case PSCI_CPU_OFF:
		cpu_park(cpu);
	case PSCI_CPU_ON:
	case PSCI_CPU_ON_64:
		return psci_cpu_on(arg1, arg2, arg3);
	case PSCI_AFFINITY_INFO:
	case PSCI_AFFINITY_INFO_64:
		return psci_affinity_info(arg1, arg2);
	case PSCI_MIGRATE_INFO_TYPE:
		return MIGRATE_TYPE_NOT_PRESENT;
	case PSCI_SYSTEM_OFF:
		power_off_system(VIRT_SECURE_GPIO_POWEROFF);
	case PSCI_SYSTEM_RESET:
		power_off_system(VIRT_SECURE_GPIO_RESET);
	default:
		return PSCI_NOT_SUPPORTED;	/* SMCCC: unknown function */
	}
}

/* A synchronous exception from a lower EL, see start.S. */
void el3_sync_lower(void *smc_frame)
{
	struct smc_frame *frame = smc_frame;
	u64 esr = read_sysreg(esr_el3);
	unsigned int cpu = mpidr_to_cpu(read_sysreg(mpidr_el1));

	if (FIELD(esr, 26, 6) != EC_SMC64)
		fatal("unexpected exception from below EL3, ESR_EL3", esr);
	frame->x[0] = (u64)smc_call(cpu, (u32)frame->x[0], frame->x[1],
				    frame->x[2], frame->x[3]);
}
