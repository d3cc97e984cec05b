/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lib.h - owns the probe's freestanding support: types, system register
 * accessors, PL011 output, a small printf, TAP output, semihosting exit,
 * the "last exception" record and running a function at EL1 or EL0.
 */
#ifndef HPMN_PROBE_LIB_H
#define HPMN_PROBE_LIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef unsigned long u64;
typedef unsigned int u32;

#define BIT(n)		(1UL << (n))

#define read_sysreg(r)		__read_sysreg(r)	/* expands r first */
#define write_sysreg(v, r)	__write_sysreg(v, r)

#define __read_sysreg(r) ({					\
	u64 __v;						\
	asm volatile("mrs %0, " #r : "=r"(__v));		\
	__v;							\
})

#define __write_sysreg(v, r) do {					\
	u64 __v = (u64)(v);					\
	asm volatile("msr " #r ", %0" : : "r"(__v));		\
} while (0)

#define isb()		asm volatile("isb" : : : "memory")

/* ESR_ELx.EC values used here (Arm ARM D24.2, ESR_EL2). */
#define EC_UNKNOWN	0x00
#define EC_SVC64	0x15
#define EC_HVC64	0x16
#define EC_SYS64	0x18

/* Encode op0/op1/CRn/CRm/op2 as in the ISS of EC 0x18 (Rt and dir clear). */
#define SYS_ISS(op0, op1, crn, crm, op2)				\
	(((u64)(op0) << 20) | ((u64)(op2) << 17) | ((u64)(op1) << 14) | \
	 ((u64)(crn) << 10) | ((u64)(crm) << 1))
#define SYS_ISS_MASK	(SYS_ISS(3, 7, 15, 15, 7))
#define SYS_ISS_READ	1UL

/* The last synchronous exception the handlers recorded (then skipped). */
struct exc_record {
	u32 count;	/* exceptions recorded since exc_reset() */
	u32 el;		/* EL the exception was taken to */
	u32 from_el;	/* EL it was taken from (SPSR.M[3:2]) */
	u32 ec;
	u64 iss;
	u64 elr;
};

extern volatile struct exc_record last_exc;

void exc_reset(void);

/*
 * Run fn(arg) at EL1 or EL0 (with PMUSERENR_EL0 = el0_pmuserenr, 0xf
 * unless a test changes it, set at EL2).
 */
extern u64 el0_pmuserenr;
long run_at(int el, long (*fn)(void *), void *arg);

void putc_uart(char c);
void puts_uart(const char *s);
int vsnprintf_k(char *buf, int size, const char *fmt, va_list ap);
int snprintf_k(char *buf, int size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* TAP: one result line; detail may be empty. Returns ok. */
bool tap_result(bool ok, const char *detail, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tap_skip(const char *why, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
extern int tap_passed, tap_failed, tap_count;

void __attribute__((noreturn)) semihost_exit(long status);

void *memset(void *s, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);

#endif
