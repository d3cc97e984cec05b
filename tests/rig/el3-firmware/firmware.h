/* SPDX-License-Identifier: GPL-2.0 */
/*
 * firmware.h - owns what the rig's EL3 firmware's files share: types, the
 * system register accessors, the virt board's memory map as the firmware
 * uses it, the boot hand-off block, the per-CPU records and the functions
 * each file exports.
 */
#ifndef RIG_EL3_FIRMWARE_H
#define RIG_EL3_FIRMWARE_H

/* CPUs the firmware serves: MPIDR Aff0 0..15, Aff1..Aff3 zero. */
#define MAX_CPUS		16
#define STACK_SHIFT		13	/* 8 KiB of Secure RAM per CPU */

#ifndef __ASSEMBLY__

#include <stdbool.h>
#include <stddef.h>

typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned char u8;
typedef long s64;

#define BIT(n)			(1UL << (n))
#define FIELD(reg, shift, width)				\
	(((reg) >> (shift)) & ((1UL << (width)) - 1))

/*
 * System registers are named by their encodings (S<op0>_<op1>_C<n>_C<m>_<op2>)
 * where older assemblers may not know the name.
 */
#define read_sysreg(r)		__read_sysreg(r)	/* expands r first */
#define write_sysreg(v, r)	__write_sysreg(v, r)
#define __read_sysreg(r) ({					\
	u64 __v;						\
	asm volatile("mrs %0, " #r : "=r"(__v) : : "memory");	\
	__v;							\
})
#define __write_sysreg(v, r) do {					\
	u64 __v = (u64)(v);					\
	asm volatile("msr " #r ", %0" : : "r"(__v) : "memory");	\
} while (0)

#define __noreturn	__attribute__((__noreturn__))

static inline void isb(void)
{
	asm volatile("isb" : : : "memory");
}

static inline void dsb_sy(void)
{
	asm volatile("dsb sy" : : : "memory");
}

static inline void wfi(void)
{
	asm volatile("wfi" : : : "memory");
}

static inline void wfe(void)
{
	asm volatile("wfe" : : : "memory");
}

static inline void sev(void)
{
	asm volatile("sev" : : : "memory");
}

/*
 * Device registers, one single-copy-atomic access each (the MMU is off:
 * every data access is Device-nGnRnE).
 */
static inline u32 mmio_read32(u64 addr)
{
	u32 value;

	asm volatile("ldr %w0, [%1]" : "=r"(value) : "r"(addr) : "memory");
	return value;
}

static inline void mmio_write32(u64 addr, u32 value)
{
	asm volatile("str %w0, [%1]" : : "rZ"(value), "r"(addr) : "memory");
}

static inline u64 mmio_read64(u64 addr)
{
	u64 value;

	asm volatile("ldr %0, [%1]" : "=r"(value) : "r"(addr) : "memory");
	return value;
}

#define SYS_CURRENTEL		S3_0_C4_C2_2
#define SYS_ID_AA64PFR2_EL1	S3_0_C0_C4_2
#define SYS_ID_AA64SMFR0_EL1	S3_0_C0_C4_5
#define SYS_ID_AA64MMFR3_EL1	S3_0_C0_C7_3
#define SYS_ZCR_EL3		S3_6_C1_C2_0
#define SYS_SMCR_EL3		S3_6_C1_C2_6
#define SYS_HCRX_EL2		S3_4_C1_C2_2
#define SYS_ICC_PMR_EL1		S3_0_C4_C6_0
#define SYS_ICC_IAR0_EL1	S3_0_C12_C8_0
#define SYS_ICC_EOIR0_EL1	S3_0_C12_C8_1
#define SYS_ICC_SGI0R_EL1	S3_0_C12_C11_7
#define SYS_ICC_IGRPEN0_EL1	S3_0_C12_C12_6
#define SYS_ICC_SRE_EL2		S3_4_C12_C9_5
#define SYS_ICC_SRE_EL3		S3_6_C12_C12_5
#define SYS_ICC_IGRPEN1_EL3	S3_6_C12_C12_7

#define MPIDR_AFFINITY_MASK	0xff00ffffffUL

/*
 * The virt board (QEMU hw/arm/virt.c, base_memmap[]) with secure=on and
 * gic-version=3: the firmware is loaded into the Secure-only flash at 0
 * (-bios), runs with its data and stacks in the Secure-only RAM at
 * 0x0e000000, and reaches the GIC, the console UART and the Secure GPIO
 * controller that QEMU wires to its power-off and reset requests.
 */
#define VIRT_GICD_BASE		0x08000000UL
#define VIRT_GICR_BASE		0x080a0000UL
#define VIRT_UART0_BASE		0x09000000UL
#define VIRT_SECURE_GPIO_BASE	0x090b0000UL
#define VIRT_SECURE_GPIO_POWEROFF	0	/* virt.c SECURE_GPIO_POWEROFF */
#define VIRT_SECURE_GPIO_RESET		1	/* virt.c SECURE_GPIO_RESET */

/*
 * The boot hand-off block, written into Non-secure RAM by QEMU
 * (-device loader,data=...; tests/rig/run-qemu.sh --el3) before any CPU
 * runs: where the kernel Image and its device tree were loaded.
 */
#define HANDOFF_BASE		0x40100000UL
#define HANDOFF_MAGIC		0x4f48334c45474952UL	/* "RIGEL3HO" */
struct handoff {
	u64 magic;
	u64 kernel;	/* the Image's first byte (its 2 MiB aligned base) */
	u64 dtb;	/* the device tree, 8-byte aligned */
};

/* The power state of a CPU, as the PSCI calls see it. */
enum cpu_power {
	CPU_POWER_RUNNING = 1,	/* in the Non-secure world */
	CPU_POWER_OFF,		/* parked in the firmware, waiting for CPU_ON */
	CPU_POWER_CLAIMED,	/* a CPU_ON is writing its entry point */
	CPU_POWER_ON_PENDING,	/* CPU_ON done, the CPU has not left yet */
};

struct cpu_record {
	u32 power;		/* enum cpu_power, changed atomically */
	u64 entry;		/* CPU_ON: Non-secure EL2 entry point */
	u64 context;		/* CPU_ON: context_id, passed in x0 */
};

extern struct cpu_record cpu_records[MAX_CPUS];
extern char __stacks_start[];	/* el3-firmware.ld */

/* start.S */
void __noreturn el3_enter_ns_el2(u64 entry, u64 x0, u64 stack_top);

/* boot.c */
void __noreturn cpu_power_up(unsigned int cpu);
void __noreturn el3_unexpected(u64 vector_offset);
void cpu_init_el3(void);
u64 cpu_stack_top(unsigned int cpu);
unsigned int mpidr_to_cpu(u64 mpidr);
void console_puts(const char *s);
void console_hex(u64 value);
void __noreturn fatal(const char *what, u64 value);

/* gic.c */
void gic_init_distributor(void);
bool gic_init_redistributor(u64 mpidr);
bool gic_cpu_exists(u64 mpidr);
unsigned int gic_wait_for_cpus(void);
void gic_doorbell_arm(void);
void gic_doorbell_drain(void);
void gic_doorbell_disarm(void);
void gic_doorbell_ring(u64 mpidr);

/* psci.c */
void el3_sync_lower(void *smc_frame);
void __noreturn cpu_park(unsigned int cpu);
void __noreturn power_off_system(unsigned int pin);

#endif /* !__ASSEMBLY__ */
#endif /* RIG_EL3_FIRMWARE_H */
