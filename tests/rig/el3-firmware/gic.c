// SPDX-License-Identifier: GPL-2.0
/*
 * gic.c - owns the firmware's GICv3 set-up, the Secure side of it that
 * TF-A's drivers/arm/gic/v3 driver does on real servers: affinity routing
 * for both Security states, every SPI, extended SPI, SGI, PPI and extended
 * PPI in Group 1 Non-secure, each CPU's redistributor awake, and one SGI
 * kept in Group 0 as the firmware's doorbell that wakes a parked CPU.
 *
 * Linux uses SGIs 0-7 (Arm's SBSA leaves 8-15 to the Secure world); the
 * doorbell is SGI 15.  A parked CPU sits in WFI at EL3 with only Group 0
 * enabled on its CPU interface, so nothing of the Non-secure world wakes
 * it, and CPU_ON rings the doorbell after it has published the entry point.
 * (QEMU implements WFE as a plain yield, so a WFE pen would spin a host
 * thread for every parked CPU.)
 */
#include "firmware.h"

#define GICD_CTLR		0x0000
#define GICD_TYPER		0x0004
#define GICD_IGROUPR		0x0080
#define GICD_IGRPMODR		0x0d00
#define GICD_IGROUPRNE		0x1000
#define GICD_IGRPMODRNE		0x3400
#define GICD_CTLR_ENABLE_G0	BIT(0)
#define GICD_CTLR_ENABLE_G1NS	BIT(1)
#define GICD_CTLR_ENABLE_G1S	BIT(2)
#define GICD_CTLR_ARE_S		BIT(4)
#define GICD_CTLR_ARE_NS	BIT(5)
#define GICD_CTLR_RWP		BIT(31)
#define GICD_TYPER_ESPI		BIT(8)

#define GICR_CTLR		0x0000
#define GICR_TYPER		0x0008
#define GICR_WAKER		0x0014
#define GICR_CTLR_RWP		BIT(3)
#define GICR_TYPER_VLPIS	BIT(1)
#define GICR_TYPER_LAST		BIT(4)
#define GICR_WAKER_PROCESSOR_SLEEP	BIT(1)
#define GICR_WAKER_CHILDREN_ASLEEP	BIT(2)
#define GICR_FRAME_SIZE		0x20000UL	/* RD_base + SGI_base */
#define GICR_VLPI_FRAME_SIZE	0x20000UL	/* GICv4: VLPI_base + reserved */
#define GICR_MAX_FRAMES		256

/* In the SGI_base frame */
#define GICR_SGI_BASE		0x10000UL
#define GICR_IGROUPR0		0x0080
#define GICR_ISENABLER0		0x0100
#define GICR_ICENABLER0		0x0180
#define GICR_ICPENDR0		0x0280
#define GICR_IPRIORITYR		0x0400
#define GICR_IGRPMODR0		0x0d00

#define DOORBELL_SGI		15
#define DOORBELL_PRIORITY	0x00
#define ICC_IAR_INTID(iar)	((iar) & 0xffffff)
#define ICC_INTID_SPURIOUS	1020	/* 1020-1023: no interrupt */

static void gicd_wait_rwp(void)
{
	while (mmio_read32(VIRT_GICD_BASE + GICD_CTLR) & GICD_CTLR_RWP)
		;
}

void gic_init_distributor(void)
{
	u32 typer = mmio_read32(VIRT_GICD_BASE + GICD_TYPER);
	unsigned int regs = FIELD(typer, 0, 5) + 1;	/* ITLinesNumber */
	unsigned int n;
	u32 ctlr;

	ctlr = mmio_read32(VIRT_GICD_BASE + GICD_CTLR);
	ctlr &= ~(GICD_CTLR_ENABLE_G0 | GICD_CTLR_ENABLE_G1NS |
		  GICD_CTLR_ENABLE_G1S);
	mmio_write32(VIRT_GICD_BASE + GICD_CTLR, ctlr);
	gicd_wait_rwp();
	ctlr |= GICD_CTLR_ARE_S | GICD_CTLR_ARE_NS;
	mmio_write32(VIRT_GICD_BASE + GICD_CTLR, ctlr);
	gicd_wait_rwp();

	/* Register 0 covers SGIs and PPIs: banked in each redistributor. */
	for (n = 1; n < regs; n++) {
		mmio_write32(VIRT_GICD_BASE + GICD_IGROUPR + 4 * n, ~0U);
		mmio_write32(VIRT_GICD_BASE + GICD_IGRPMODR + 4 * n, 0);
	}
	if (typer & GICD_TYPER_ESPI) {
		regs = FIELD(typer, 27, 5) + 1;		/* ESPI_range */
		for (n = 0; n < regs; n++) {
			mmio_write32(VIRT_GICD_BASE + GICD_IGROUPRNE + 4 * n, ~0U);
			mmio_write32(VIRT_GICD_BASE + GICD_IGRPMODRNE + 4 * n, 0);
		}
	}

	/* Linux enables Group 1 Non-secure itself; Group 0 is the doorbell. */
	mmio_write32(VIRT_GICD_BASE + GICD_CTLR, ctlr | GICD_CTLR_ENABLE_G0);
	gicd_wait_rwp();
}

/* The RD_base after the one whose GICR_TYPER is typer; 0 after the last. */
static u64 gicr_next(u64 base, u64 typer)
{
	if (typer & GICR_TYPER_LAST)
		return 0;
	base += GICR_FRAME_SIZE;
	if (typer & GICR_TYPER_VLPIS)
		base += GICR_VLPI_FRAME_SIZE;
	return base;
}

/* GICR_TYPER.Affinity is Aff3.Aff2.Aff1.Aff0 of the CPU's MPIDR. */
static u64 gicr_mpidr(u64 typer)
{
	u64 affinity = typer >> 32;

	return (affinity & 0xffffff) | ((affinity >> 24) << 32);
}

/* The RD_base of the redistributor of the CPU with this MPIDR. */
static u64 gicr_find(u64 mpidr)
{
	u64 base = VIRT_GICR_BASE;
	int n;

	for (n = 0; base && n < GICR_MAX_FRAMES; n++) {
		u64 typer = mmio_read64(base + GICR_TYPER);

		if (gicr_mpidr(typer) == mpidr)
			return base;
		base = gicr_next(base, typer);
	}
	return 0;
}

/*
 * The primary's cold boot waits here until every CPU the firmware serves
 * has reached it: each one wakes its own redistributor (GICR_WAKER resets
 * with ProcessorSleep set on every system reset, unlike the Secure RAM)
 * after it has recorded itself as off.  Returns the number of CPUs.
 */
unsigned int gic_wait_for_cpus(void)
{
	unsigned int cpus = 0;
	u64 base = VIRT_GICR_BASE;
	int n;

	for (n = 0; base && n < GICR_MAX_FRAMES; n++) {
		u64 typer = mmio_read64(base + GICR_TYPER);

		if (mpidr_to_cpu(gicr_mpidr(typer)) < MAX_CPUS) {
			while (mmio_read32(base + GICR_WAKER) &
			       GICR_WAKER_PROCESSOR_SLEEP)
				wfe();
			cpus++;
		}
		base = gicr_next(base, typer);
	}
	return cpus;
}

bool gic_cpu_exists(u64 mpidr)
{
	return gicr_find(mpidr & MPIDR_AFFINITY_MASK) != 0;
}

static void gicr_wait_rwp(u64 rd_base)
{
	while (mmio_read32(rd_base + GICR_CTLR) & GICR_CTLR_RWP)
		;
}

bool gic_init_redistributor(u64 mpidr)
{
	u64 rd_base = gicr_find(mpidr);
	u64 sgi_base = rd_base + GICR_SGI_BASE;
	u64 priority_reg = sgi_base + GICR_IPRIORITYR + (DOORBELL_SGI & ~3);
	unsigned int priority_shift = 8 * (DOORBELL_SGI & 3);
	unsigned int ppi_regs, n;
	u32 waker, priorities;

	if (!rd_base)
		return false;

	waker = mmio_read32(rd_base + GICR_WAKER);
	mmio_write32(rd_base + GICR_WAKER, waker & ~GICR_WAKER_PROCESSOR_SLEEP);
	while (mmio_read32(rd_base + GICR_WAKER) & GICR_WAKER_CHILDREN_ASLEEP)
		;
	sev();		/* gic_wait_for_cpus() */

	mmio_write32(sgi_base + GICR_ICENABLER0, BIT(DOORBELL_SGI));
	gicr_wait_rwp(rd_base);
	mmio_write32(sgi_base + GICR_IGROUPR0, ~(u32)BIT(DOORBELL_SGI));
	mmio_write32(sgi_base + GICR_IGRPMODR0, 0);
	/* Extended PPIs: GICR_IGROUPR<n>E follow GICR_IGROUPR0. */
	ppi_regs = FIELD(mmio_read64(rd_base + GICR_TYPER), 27, 5);
	for (n = 1; n <= ppi_regs && n <= 2; n++) {
		mmio_write32(sgi_base + GICR_IGROUPR0 + 4 * n, ~0U);
		mmio_write32(sgi_base + GICR_IGRPMODR0 + 4 * n, 0);
	}

	priorities = mmio_read32(priority_reg);
	priorities &= ~(0xffU << priority_shift);
	priorities |= (u32)DOORBELL_PRIORITY << priority_shift;
	mmio_write32(priority_reg, priorities);
	mmio_write32(sgi_base + GICR_ICPENDR0, BIT(DOORBELL_SGI));
	mmio_write32(sgi_base + GICR_ISENABLER0, BIT(DOORBELL_SGI));
	gicr_wait_rwp(rd_base);
	return true;
}

/*
 * Park: no Group 1 interrupt (Secure or Non-secure) is signalled, every
 * priority passes the mask, Group 0 (the doorbell) is.  The kernel sets
 * ICC_PMR_EL1 and ICC_IGRPEN1_EL1 again when the CPU comes back.
 */
void gic_doorbell_arm(void)
{
	write_sysreg(0, SYS_ICC_IGRPEN1_EL3);
	write_sysreg(0xff, SYS_ICC_PMR_EL1);
	write_sysreg(1, SYS_ICC_IGRPEN0_EL1);
	isb();
}

/* Acknowledge and complete every pending Group 0 interrupt. */
void gic_doorbell_drain(void)
{
	for (;;) {
		u64 intid = ICC_IAR_INTID(read_sysreg(SYS_ICC_IAR0_EL1));

		if (intid >= ICC_INTID_SPURIOUS)
			break;
		write_sysreg(intid, SYS_ICC_EOIR0_EL1);
	}
	isb();
}

void gic_doorbell_disarm(void)
{
	gic_doorbell_drain();
	write_sysreg(0, SYS_ICC_IGRPEN0_EL1);
	isb();
}

/* ICC_SGI0R_EL1: Group 0 SGI to the one CPU with this MPIDR. */
void gic_doorbell_ring(u64 mpidr)
{
	u64 aff0 = FIELD(mpidr, 0, 8);
	u64 sgi = BIT(aff0 % 16) |			/* TargetList */
		  (FIELD(mpidr, 8, 8) << 16) |		/* Aff1 */
		  ((u64)DOORBELL_SGI << 24) |		/* INTID */
		  (FIELD(mpidr, 16, 8) << 32) |		/* Aff2 */
		  ((aff0 / 16) << 44) |			/* RS */
		  (FIELD(mpidr, 32, 8) << 48);		/* Aff3 */

	dsb_sy();	/* the published entry point before the doorbell */
	write_sysreg(sgi, SYS_ICC_SGI0R_EL1);
	isb();
}
