// SPDX-License-Identifier: GPL-2.0
/*
 * boot.c - owns the firmware's boot flow and its per-CPU EL3 set-up: each
 * CPU's power-up (EL3 controls from its ID registers, EL2 reset values, its
 * GIC redistributor), the primary CPU's cold boot (GIC distributor, the
 * hand-off block, the kernel's entry at Non-secure EL2 with x0 = the DTB),
 * the console and the fatal-error path.
 *
 * The EL3 controls are what TF-A's BL31 programs for a Non-secure world
 * with every feature it finds enabled (lib/el3_runtime/aarch64/context_mgmt.c
 * and the lib/extensions/ drivers with ENABLE_FEAT_* = FEAT_STATE_CHECKED),
 * and what Documentation/arch/arm64/booting.rst requires of EL3.
 */
#include "firmware.h"

/* SCR_EL3 (Arm ARM DDI0487 D23.2.148) */
#define SCR_NS		BIT(0)
#define SCR_RES1	(BIT(4) | BIT(5))
#define SCR_HCE		BIT(8)
#define SCR_SIF		BIT(9)
#define SCR_RW		BIT(10)
#define SCR_APK		BIT(16)
#define SCR_API		BIT(17)
#define SCR_ENSCXT	BIT(25)
#define SCR_ATA		BIT(26)
#define SCR_FGTEN	BIT(27)
#define SCR_ECVEN	BIT(28)
#define SCR_ENAS0	BIT(36)
#define SCR_HXEN	BIT(38)
#define SCR_GCSEN	BIT(39)
#define SCR_TRNDR	BIT(40)
#define SCR_ENTP2	BIT(41)
#define SCR_RCWMASKEN	BIT(42)
#define SCR_TCR2EN	BIT(43)
#define SCR_SCTLR2EN	BIT(44)
#define SCR_PIEN	BIT(45)
#define SCR_AIEN	BIT(46)
#define SCR_D128EN	BIT(47)
#define SCR_ENFPM	BIT(50)
#define SCR_PFAREN	BIT(53)
#define SCR_FGTEN2	BIT(59)

/* MDCR_EL3 (D23.3.17) */
#define MDCR_ENPM2	BIT(7)
#define MDCR_NSPB_NS	(3UL << 12)	/* SPE buffer owned by Non-secure EL1 */
#define MDCR_SPD32_OFF	(2UL << 14)	/* AArch32 Secure self-hosted debug off */
#define MDCR_SDD	BIT(16)
#define MDCR_SPME	BIT(17)
#define MDCR_SCCD	BIT(23)
#define MDCR_NSTB_NS	(3UL << 24)	/* trace buffer owned by Non-secure */
#define MDCR_SBRBE_NS	(3UL << 32)	/* BRBE allowed in Non-secure */
#define MDCR_MCCD	BIT(34)

/* CPTR_EL3 (D23.2.37): TCPAC, TAM, TTA and TFP stay 0, nothing trapped */
#define CPTR_EZ		BIT(8)
#define CPTR_ESM	BIT(12)

#define SMCR_LEN_MAX	0xfUL
#define SMCR_EZT0	BIT(30)
#define SMCR_FA64	BIT(31)
#define ZCR_LEN_MAX	0xfUL

#define ICC_SRE_SRE	BIT(0)
#define ICC_SRE_DFB	BIT(1)
#define ICC_SRE_DIB	BIT(2)
#define ICC_SRE_EN	BIT(3)

/* SCTLR_EL3: MMU off, little-endian, I-cache on, SP alignment checked */
#define SCTLR_EL3_RES1	0x30c50830UL
#define SCTLR_SA	BIT(3)
#define SCTLR_I		BIT(12)

/* EL2 reset values, as TF-A's cm_prepare_el3_exit() writes them */
#define SCTLR_EL2_RES1	0x30c50830UL	/* MMU, caches off, little-endian */
#define HCR_RW		BIT(31)
#define CPTR_EL2_RES1	0x22ffUL	/* bits 0-7, 9, 13 */
#define CPTR_EL2_TSM	BIT(12)		/* RES1 without FEAT_SME */
#define CNTHCTL_EL1PCTEN_EL1PCEN	0x3UL

/* PMUVer of ID_AA64DFR0_EL1 */
#define PMUVER_IMP_DEF	0xf
#define PMUVER_V3P5	6
#define PMUVER_V3P7	7
#define PMUVER_V3P9	9

#define IMAGE_MAGIC		0x644d5241U	/* "ARM\x64" at Image + 56 */
#define IMAGE_MAGIC_OFFSET	56
#define FDT_MAGIC_LE		0xedfe0dd0U	/* 0xd00dfeed, big-endian */

struct cpu_record cpu_records[MAX_CPUS];

u64 cpu_stack_top(unsigned int cpu)
{
	return (u64)__stacks_start + ((u64)(cpu + 1) << STACK_SHIFT);
}

unsigned int mpidr_to_cpu(u64 mpidr)
{
	mpidr &= MPIDR_AFFINITY_MASK;
	return mpidr < MAX_CPUS ? (unsigned int)mpidr : MAX_CPUS;
}

#define UART_DR		0x00
#define UART_FR		0x18
#define UART_FR_TXFF	BIT(5)

static void console_putc(char c)
{
	while (mmio_read32(VIRT_UART0_BASE + UART_FR) & UART_FR_TXFF)
		;
	mmio_write32(VIRT_UART0_BASE + UART_DR, (u8)c);
}

void console_puts(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			console_putc('\r');
		console_putc(*s);
	}
}

void console_hex(u64 value)
{
	static const char digits[] = "0123456789abcdef";
	int shift = 60;

	console_puts("0x");
	while (shift > 0 && !(value >> shift))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		console_putc(digits[(value >> shift) & 0xf]);
}

static void console_dec(u64 value)
{
	char digits[21];
	int n = sizeof(digits) - 1;

	digits[n] = '\0';
	do {
		digits[--n] = '0' + value % 10;
		value /= 10;
	} while (value);
	console_puts(&digits[n]);
}

void fatal(const char *what, u64 value)
{
	console_puts("\nrig-el3: error: ");
	console_puts(what);
	console_puts(" ");
	console_hex(value);
	console_puts("\n");
	power_off_system(VIRT_SECURE_GPIO_POWEROFF);
}

/* Any exception but an SMC from below, see start.S. */
void el3_unexpected(u64 vector_offset)
{
	console_puts("\nrig-el3: unexpected exception, vector offset ");
	console_hex(vector_offset);
	console_puts(" ELR_EL3 ");
	console_hex(read_sysreg(elr_el3));
	fatal("ESR_EL3", read_sysreg(esr_el3));
}

static bool pauth_implemented(void)
{
	u64 isar1 = read_sysreg(id_aa64isar1_el1);
	u64 isar2 = read_sysreg(id_aa64isar2_el1);

	return FIELD(isar1, 4, 4) || FIELD(isar1, 8, 4) ||	/* APA, API */
	       FIELD(isar1, 24, 4) || FIELD(isar1, 28, 4) ||	/* GPA, GPI */
	       FIELD(isar2, 8, 4) || FIELD(isar2, 12, 4);	/* GPA3, APA3 */
}

/*
 * SCR_EL3: lower ELs are Non-secure and AArch64, EL2 has HVC, interrupts
 * and external aborts go to EL2/EL1 (IRQ, FIQ, EA = 0), and every EL3 trap
 * or enable of a feature the CPU implements is set so that the feature
 * works below EL3.  TRNDR stays 0: RNDR and RNDRRS are not trapped to EL3
 * (this firmware does not emulate them).  EEL2 stays 0: no Secure EL2.
 */
static u64 scr_el3_value(void)
{
	u64 pfr0 = read_sysreg(id_aa64pfr0_el1);
	u64 pfr1 = read_sysreg(id_aa64pfr1_el1);
	u64 pfr2 = read_sysreg(SYS_ID_AA64PFR2_EL1);
	u64 mmfr0 = read_sysreg(id_aa64mmfr0_el1);
	u64 mmfr1 = read_sysreg(id_aa64mmfr1_el1);
	u64 mmfr3 = read_sysreg(SYS_ID_AA64MMFR3_EL1);
	u64 isar1 = read_sysreg(id_aa64isar1_el1);
	u64 csv2 = FIELD(pfr0, 56, 4);
	u64 scr = SCR_NS | SCR_RES1 | SCR_HCE | SCR_SIF | SCR_RW;

	if (pauth_implemented())
		scr |= SCR_API | SCR_APK;
	if (FIELD(pfr1, 8, 4) >= 2)				/* FEAT_MTE2 */
		scr |= SCR_ATA;
	if (csv2 >= 2 || (csv2 == 1 && FIELD(pfr1, 32, 4) >= 2))
		scr |= SCR_ENSCXT;		/* FEAT_CSV2_2, FEAT_CSV2_1p2 */
	if (FIELD(mmfr0, 56, 4) >= 1)				/* FEAT_FGT */
		scr |= SCR_FGTEN;
	if (FIELD(mmfr0, 56, 4) >= 2)				/* FEAT_FGT2 */
		scr |= SCR_FGTEN2;
	if (FIELD(mmfr0, 60, 4) >= 1)				/* FEAT_ECV */
		scr |= SCR_ECVEN;
	if (FIELD(mmfr1, 40, 4) >= 1)				/* FEAT_HCX */
		scr |= SCR_HXEN;
	if (FIELD(pfr1, 24, 4) >= 1)				/* FEAT_SME */
		scr |= SCR_ENTP2;
	if (FIELD(pfr1, 44, 4) >= 1)				/* FEAT_GCS */
		scr |= SCR_GCSEN;
	if (FIELD(pfr1, 48, 4) >= 1)				/* FEAT_THE */
		scr |= SCR_RCWMASKEN;
	if (FIELD(pfr1, 60, 4) >= 1)				/* FEAT_PFAR */
		scr |= SCR_PFAREN;
	if (FIELD(pfr2, 32, 4) >= 1)				/* FEAT_FPMR */
		scr |= SCR_ENFPM;
	if (FIELD(mmfr3, 0, 4) >= 1)				/* FEAT_TCR2 */
		scr |= SCR_TCR2EN;
	if (FIELD(mmfr3, 4, 4) >= 1)				/* FEAT_SCTLR2 */
		scr |= SCR_SCTLR2EN;
	if (FIELD(mmfr3, 8, 4) >= 1 || FIELD(mmfr3, 16, 4) >= 1)
		scr |= SCR_PIEN;			/* FEAT_S1PIE, FEAT_S1POE */
	if (FIELD(mmfr3, 24, 4) >= 1)				/* FEAT_AIE */
		scr |= SCR_AIEN;
	if (FIELD(mmfr3, 32, 4) >= 1)				/* FEAT_D128 */
		scr |= SCR_D128EN;
	if (FIELD(isar1, 60, 4) >= 3)			/* FEAT_LS64_ACCDATA */
		scr |= SCR_ENAS0;
	return scr & ~SCR_TRNDR;
}

/*
 * MDCR_EL3: nothing the Non-secure world uses is trapped (TPM, TDA, TDOSA,
 * TDCC, TTRF = 0) and counting is prohibited in Secure state and at EL3:
 * SPME = 0 (MPMX = 0) for the event counters, SCCD (PMUv3p5) and MCCD
 * (PMUv3p7) for the cycle counter.  Secure self-hosted debug is off (SDD,
 * SPD32), SPE, TRBE and BRBE belong to the Non-secure world, and PMUv3p9's
 * EL2 controls are enabled (EnPM2, booting.rst).
 */
static u64 mdcr_el3_value(void)
{
	u64 dfr0 = read_sysreg(id_aa64dfr0_el1);
	u64 pmuver = FIELD(dfr0, 8, 4);
	u64 mdcr = MDCR_SDD | MDCR_SPD32_OFF;

	if (pmuver != PMUVER_IMP_DEF && pmuver >= PMUVER_V3P5)
		mdcr |= MDCR_SCCD;
	if (pmuver != PMUVER_IMP_DEF && pmuver >= PMUVER_V3P7)
		mdcr |= MDCR_MCCD;
	if (pmuver != PMUVER_IMP_DEF && pmuver >= PMUVER_V3P9)
		mdcr |= MDCR_ENPM2;
	if (FIELD(dfr0, 32, 4))					/* PMSVer */
		mdcr |= MDCR_NSPB_NS;
	if (FIELD(dfr0, 44, 4))					/* TraceBuffer */
		mdcr |= MDCR_NSTB_NS;
	if (FIELD(dfr0, 52, 4))					/* BRBE */
		mdcr |= MDCR_SBRBE_NS;
	return mdcr & ~MDCR_SPME;
}

/* CPTR_EL3 and the vector lengths: FP, SVE, SME and AMU usable below. */
static void cpu_init_el3_cptr(void)
{
	u64 pfr0 = read_sysreg(id_aa64pfr0_el1);
	u64 pfr1 = read_sysreg(id_aa64pfr1_el1);
	bool sve = FIELD(pfr0, 32, 4) >= 1;
	u64 sme = FIELD(pfr1, 24, 4);
	u64 cptr = 0;

	if (sve)
		cptr |= CPTR_EZ;
	if (sme)
		cptr |= CPTR_ESM;
	write_sysreg(cptr, cptr_el3);
	isb();
	/* The largest length; the CPU caps it at what it implements. */
	if (sve)
		write_sysreg(ZCR_LEN_MAX, SYS_ZCR_EL3);
	if (sme) {
		u64 smcr = SMCR_LEN_MAX;

		if (read_sysreg(SYS_ID_AA64SMFR0_EL1) & BIT(63))
			smcr |= SMCR_FA64;
		if (sme >= 2)
			smcr |= SMCR_EZT0;
		write_sysreg(smcr, SYS_SMCR_EL3);
	}
	/* FEAT_AMUv1: CPTR_EL3.TAM is 0; the four fixed counters run. */
	if (FIELD(pfr0, 44, 4))
		write_sysreg(0xfUL, S3_3_C13_C2_5);		/* AMCNTENSET0_EL0 */
}

/*
 * Registers at EL2 get defined values before the kernel is entered there
 * (booting.rst: "All writable architected system registers at or below the
 * exception level where the kernel image will be entered must be
 * initialised"); the kernel's init_el2_state() sets the ones it uses.
 */
static void cpu_init_el2(void)
{
	u64 pmcr_n = FIELD(read_sysreg(pmcr_el0), 11, 5);
	u64 cptr = CPTR_EL2_RES1;

	if (!FIELD(read_sysreg(id_aa64pfr1_el1), 24, 4))
		cptr |= CPTR_EL2_TSM;
	write_sysreg(SCTLR_EL2_RES1, sctlr_el2);
	write_sysreg(HCR_RW, hcr_el2);
	if (FIELD(read_sysreg(id_aa64mmfr1_el1), 40, 4))
		write_sysreg(0, SYS_HCRX_EL2);
	write_sysreg(cptr, cptr_el2);
	write_sysreg(0, hstr_el2);
	write_sysreg(CNTHCTL_EL1PCTEN_EL1PCEN, cnthctl_el2);
	write_sysreg(0, cntvoff_el2);
	write_sysreg(0, cnthp_ctl_el2);
	write_sysreg(read_sysreg(midr_el1), vpidr_el2);
	write_sysreg(read_sysreg(mpidr_el1), vmpidr_el2);
	write_sysreg(0, vttbr_el2);
	/* All event counters to EL1 and EL0, nothing trapped: HPMN = N. */
	write_sysreg(pmcr_n, mdcr_el2);
	write_sysreg(ICC_SRE_SRE | ICC_SRE_EN, SYS_ICC_SRE_EL2);
	isb();
}

/* Everything a CPU's EL3 needs at each power-up (cold boot and CPU_ON). */
void cpu_init_el3(void)
{
	write_sysreg(SCTLR_EL3_RES1 | SCTLR_SA | SCTLR_I, sctlr_el3);
	isb();
	write_sysreg(scr_el3_value(), scr_el3);
	write_sysreg(mdcr_el3_value(), mdcr_el3);
	isb();
	cpu_init_el3_cptr();
	write_sysreg(ICC_SRE_SRE | ICC_SRE_DFB | ICC_SRE_DIB | ICC_SRE_EN,
		     SYS_ICC_SRE_EL3);
	isb();
	/*
	 * CNTFRQ_EL0 is programmed with the frequency of the system counter.
	 * The virt board has no CNTControlBase frame to read it from; QEMU
	 * resets CNTFRQ_EL0 to the frequency its counter runs at, which is
	 * the platform constant this firmware writes back.
	 */
	write_sysreg(read_sysreg(cntfrq_el0), cntfrq_el0);
	cpu_init_el2();
}

static void banner_reg(const char *name, u64 value)
{
	console_puts(" ");
	console_puts(name);
	console_puts("=");
	console_hex(value);
}

static void __noreturn primary_cold_boot(void)
{
	const struct handoff *handoff = (const struct handoff *)HANDOFF_BASE;
	unsigned int cpus;
	u64 kernel, dtb;

	gic_init_distributor();
	cpus = gic_wait_for_cpus();
	if (handoff->magic != HANDOFF_MAGIC)
		fatal("no hand-off block (run-qemu.sh --el3) at",
		      HANDOFF_BASE);
	kernel = handoff->kernel;
	dtb = handoff->dtb;
	if (*(const u32 *)(kernel + IMAGE_MAGIC_OFFSET) != IMAGE_MAGIC)
		fatal("no arm64 Image at", kernel);
	if ((dtb & 7) || *(const u32 *)dtb != FDT_MAGIC_LE)
		fatal("no device tree at", dtb);

	console_puts("rig-el3: EL3 firmware at CurrentEL ");
	console_hex(FIELD(read_sysreg(SYS_CURRENTEL), 2, 2));
	banner_reg("SCR_EL3", read_sysreg(scr_el3));
	banner_reg("MDCR_EL3", read_sysreg(mdcr_el3));
	banner_reg("CPTR_EL3", read_sysreg(cptr_el3));
	banner_reg("CNTFRQ_EL0", read_sysreg(cntfrq_el0));
	console_puts("\nrig-el3: ");
	console_dec(cpus);
	console_puts(" CPUs; PSCI 1.1 over SMC; entering the kernel at ");
	console_hex(kernel);
	console_puts(" (Non-secure EL2), DTB ");
	console_hex(dtb);
	console_puts("\n");

	__atomic_store_n(&cpu_records[0].power, CPU_POWER_RUNNING,
			 __ATOMIC_RELEASE);
	el3_enter_ns_el2(kernel, dtb, cpu_stack_top(0));
}

/*
 * Every CPU at reset, from start.S, on its own stack.  A secondary records
 * itself as off before its redistributor wakes, which is what the primary
 * waits for before it enters the kernel: CPU_ON can then find every CPU.
 */
void cpu_power_up(unsigned int cpu)
{
	u64 mpidr = read_sysreg(mpidr_el1) & MPIDR_AFFINITY_MASK;

	cpu_init_el3();
	if (cpu != 0) {
		__atomic_store_n(&cpu_records[cpu].power, CPU_POWER_OFF,
				 __ATOMIC_RELEASE);
		dsb_sy();
	}
	if (!gic_init_redistributor(mpidr))
		fatal("no GIC redistributor for MPIDR", mpidr);
	if (cpu == 0)
		primary_cold_boot();
	cpu_park(cpu);
}
