/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gpr_pairs.h - owns the one assembler macro the rig's bare-metal programs
 * (tests/rig/hpmn-probe, tests/rig/el3-firmware) share for exception
 * frames: x0-x29 saved to or restored from the first 240 bytes at sp.
 */
#ifndef RIG_GPR_PAIRS_H
#define RIG_GPR_PAIRS_H

/* \op (stp to save, ldp to restore) of x0-x29 at [sp, #0] .. [sp, #232]. */
.macro	gpr_pairs op
	\op	x0, x1, [sp, #0]
	\op	x2, x3, [sp, #16]
	\op	x4, x5, [sp, #32]
	\op	x6, x7, [sp, #48]
	\op	x8, x9, [sp, #64]
	\op	x10, x11, [sp, #80]
	\op	x12, x13, [sp, #96]
	\op	x14, x15, [sp, #112]
	\op	x16, x17, [sp, #128]
	\op	x18, x19, [sp, #144]
	\op	x20, x21, [sp, #160]
	\op	x22, x23, [sp, #176]
	\op	x24, x25, [sp, #192]
	\op	x26, x27, [sp, #208]
	\op	x28, x29, [sp, #224]
.endm

#endif /* RIG_GPR_PAIRS_H */
