/* SPDX-License-Identifier: GPL-2.0 */
/*
 * start.S - owns the hpmn-probe's low level: entry at EL2, stacks, BSS,
 * the EL2 and EL1 vector tables, and the trampolines that run a C function
 * at EL1 (ERET from EL2, back with HVC #0) or at EL0 (ERET from EL1, back
 * with SVC #0).  Everything else is in C (probe.c, lib.c).
 */

#include "gpr_pairs.h"

#define FRAME_SIZE	272	/* x0-x30, ELR, SPSR, padded to 16 */
#define CALLEE_SIZE	112	/* x19-x30, padded to 16 */

	.section .text.boot, "ax"
	.global _start
_start:
	ldr	x0, =el2_stack_top
	mov	sp, x0

	/* Zero the BSS (the stacks are NOLOAD, outside it). */
	ldr	x0, =__bss_start
	ldr	x1, =__bss_end
1:	cmp	x0, x1
	b.hs	2f
	str	xzr, [x0], #8
	b	1b
2:
	mrs	x0, CurrentEL
	lsr	x0, x0, #2
	cmp	x0, #2
	b.eq	3f
	bl	boot_wrong_el		/* prints, exits; x0 = current EL */
	b	.
3:
	ldr	x0, =el1_stack_top
	msr	sp_el1, x0
	ldr	x0, =el0_stack_top
	msr	sp_el0, x0
	adr	x0, el2_vectors
	msr	vbar_el2, x0
	adr	x0, el1_vectors
	msr	vbar_el1, x0
	isb
	bl	main
	bl	semihost_exit		/* x0 = exit status; does not return */
	b	.

/*
 * Save the interrupted context in a frame on the current stack, call
 * \handler(frame), restore (the handler may edit the frame) and ERET.
 */
.macro	exc_entry el, handler
	sub	sp, sp, #FRAME_SIZE
	gpr_pairs stp
	mrs	x0, elr_el\el
	mrs	x1, spsr_el\el
	stp	x30, x0, [sp, #240]
	str	x1, [sp, #256]
	mov	x0, sp
	bl	\handler
	ldp	x30, x0, [sp, #240]
	ldr	x1, [sp, #256]
	msr	elr_el\el, x0
	msr	spsr_el\el, x1
	gpr_pairs ldp
	add	sp, sp, #FRAME_SIZE
	eret
.endm

.macro	ventry target
	.balign	0x80
	b	\target
.endm

/* Synchronous exceptions are handled; anything else is fatal. */
.macro	vectors el
	.balign	0x800
el\el\()_vectors:
	ventry	el\el\()_sync		/* current EL, SP_EL0 */
	ventry	el\el\()_async
	ventry	el\el\()_async
	ventry	el\el\()_async
	ventry	el\el\()_sync		/* current EL, SP_ELx */
	ventry	el\el\()_async
	ventry	el\el\()_async
	ventry	el\el\()_async
	ventry	el\el\()_sync		/* lower EL, AArch64 */
	ventry	el\el\()_async
	ventry	el\el\()_async
	ventry	el\el\()_async
	ventry	el\el\()_async		/* lower EL, AArch32: unused */
	ventry	el\el\()_async
	ventry	el\el\()_async
	ventry	el\el\()_async

el\el\()_sync:
	exc_entry \el, el\el\()_sync_handler
el\el\()_async:
	mov	x0, #\el
	mrs	x1, esr_el\el
	bl	async_exception		/* prints, exits */
	b	.
.endm

	.text
	vectors	2
	vectors	1

.macro	save_callee
	sub	sp, sp, #CALLEE_SIZE
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
.endm

.macro	restore_callee_ret
	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	add	sp, sp, #CALLEE_SIZE
	ret
.endm

/*
 * long el2_call_lower(u64 spsr, long (*fn)(void *), void *arg)
 * At EL2: ERET to lower_trampoline at the EL/mode in spsr, which runs
 * fn(arg) and comes back with HVC #0; the EL2 sync handler then calls
 * el2_resume(ret), which returns from here with fn's result.
 */
	.global	el2_call_lower
el2_call_lower:
	save_callee
	mov	x3, sp
	ldr	x4, =el2_saved_sp
	str	x3, [x4]
	msr	spsr_el2, x0
	ldr	x0, =lower_trampoline
	msr	elr_el2, x0
	mov	x0, x1
	mov	x1, x2
	isb
	eret

	.global	el2_resume
el2_resume:
	ldr	x4, =el2_saved_sp
	ldr	x3, [x4]
	mov	sp, x3
	restore_callee_ret

/*
 * long el1_call_el0(long (*fn)(void *), void *arg)
 * At EL1: ERET to EL0 (EL0t, DAIF masked, fresh SP_EL0), run fn(arg), come
 * back with SVC #0; the EL1 sync handler calls el1_resume(ret).
 */
	.global	el1_call_el0
el1_call_el0:
	save_callee
	mov	x3, sp
	ldr	x4, =el1_saved_sp
	str	x3, [x4]
	ldr	x2, =el0_stack_top
	msr	sp_el0, x2
	mov	x2, #0x3c0		/* EL0t, D, A, I, F masked */
	msr	spsr_el1, x2
	ldr	x2, =el0_trampoline
	msr	elr_el1, x2
	isb
	eret

	.global	el1_resume
el1_resume:
	ldr	x4, =el1_saved_sp
	ldr	x3, [x4]
	mov	sp, x3
	restore_callee_ret

/* x0 = fn, x1 = arg; runs at EL1. */
lower_trampoline:
	mov	x2, x0
	mov	x0, x1
	blr	x2
	hvc	#0
	b	.

/* x0 = fn, x1 = arg; runs at EL0. */
el0_trampoline:
	mov	x2, x0
	mov	x0, x1
	blr	x2
	svc	#0
	b	.

	.data
	.balign	8
el2_saved_sp:	.quad	0
el1_saved_sp:	.quad	0
