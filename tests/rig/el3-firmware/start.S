/* SPDX-License-Identifier: GPL-2.0 */
/*
 * start.S - owns the firmware's low level: the reset entry every CPU takes
 * at EL3 (MMU and caches off, as QEMU's virt board starts them all at the
 * flash's first byte when it loads -bios), the per-CPU stacks in Secure
 * RAM, the EL3 vector table (an SMC from the Non-secure world is the only
 * exception served; anything else is fatal) and the exception return that
 * enters Non-secure EL2.  Everything else is in C.
 */
#include "firmware.h"
#include "gpr_pairs.h"

#define FRAME_SIZE	256	/* x0-x30, padded to 16 bytes */
#define SPSR_EL2H_DAIF	0x3c9	/* EL2h, D, A, I and F masked */

	.section .text.boot, "ax"
	.global	_start
_start:
	msr	daifset, #0xf
	/*
	 * The CPU's slot is MPIDR_EL1.Aff0; the virt board numbers CPUs
	 * 0..15 there before it uses Aff1.  CPUs beyond MAX_CPUS stay here.
	 */
	mrs	x0, mpidr_el1
	ubfx	x19, x0, #0, #8
	ubfx	x1, x0, #8, #16		/* Aff1, Aff2 */
	ubfx	x2, x0, #32, #8		/* Aff3 */
	orr	x1, x1, x2
	cbnz	x1, park_forever
	cmp	x19, #MAX_CPUS
	b.hs	park_forever

	/* SP_EL3 = the top of this CPU's stack. */
	ldr	x1, =__stacks_start
	add	x2, x19, #1
	add	x1, x1, x2, lsl #STACK_SHIFT
	mov	sp, x1

	ldr	x1, =el3_vectors
	msr	vbar_el3, x1
	isb
	mov	x0, x19
	bl	cpu_power_up		/* does not return */
park_forever:
	wfi
	b	park_forever

/*
 * void el3_enter_ns_el2(u64 entry, u64 x0, u64 stack_top)
 * Reset SP_EL3 to stack_top (nothing of EL3 stays on the stack while the
 * Non-secure world runs), clear every general-purpose register but x0 and
 * ERET to entry at Non-secure EL2 (SCR_EL3.NS, HCE and RW are set) with
 * all of DAIF masked, as Documentation/arch/arm64/booting.rst asks.
 */
	.text
	.global	el3_enter_ns_el2
el3_enter_ns_el2:
	mov	sp, x2
	msr	elr_el3, x0
	mov	x2, #SPSR_EL2H_DAIF
	msr	spsr_el3, x2
	mov	x0, x1
	.irp	n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	mov	x\n, xzr
	.endr
	.irp	n, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30
	mov	x\n, xzr
	.endr
	eret

/*
 * An SMC from the Non-secure world: save x0-x30 (SMCCC 1.1 has the callee
 * preserve x4-x17 and the caller's x18-x30), let el3_sync_lower() edit the
 * frame, restore and return after the SMC (ELR_EL3 already points there).
 */
lower_sync:
	sub	sp, sp, #FRAME_SIZE
	gpr_pairs stp
	str	x30, [sp, #240]
	mov	x0, sp
	bl	el3_sync_lower
	gpr_pairs ldp
	ldr	x30, [sp, #240]
	add	sp, sp, #FRAME_SIZE
	eret

/* Any other exception: x0 = the vector's offset, see el3_unexpected(). */
.macro	ventry offset
	.balign	0x80
	.if	\offset == 0x400
	b	lower_sync
	.else
	mov	x0, #\offset
	b	el3_unexpected
	.endif
.endm

	.balign	0x800
el3_vectors:
	.irp	offset, 0x000, 0x080, 0x100, 0x180, 0x200, 0x280, 0x300, 0x380
	ventry	\offset
	.endr
	.irp	offset, 0x400, 0x480, 0x500, 0x580, 0x600, 0x680, 0x700, 0x780
	ventry	\offset
	.endr
