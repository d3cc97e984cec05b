// SPDX-License-Identifier: GPL-2.0
/*
 * lib.c - owns the probe's freestanding support: PL011 output, printf,
 * TAP lines, semihosting exit, the EL2/EL1 synchronous exception handlers
 * (record, skip the instruction, return) and run_at().
 */
#include "lib.h"

#define UART_DR		((volatile u32 *)0x09000000UL)	/* virt PL011 */

volatile struct exc_record last_exc;
int tap_passed, tap_failed, tap_count;

/* In start.S */
long el2_call_lower(u64 spsr, long (*fn)(void *), void *arg);
void __attribute__((noreturn)) el2_resume(long ret);
long el1_call_el0(long (*fn)(void *), void *arg);
void __attribute__((noreturn)) el1_resume(long ret);

struct exc_frame {
	u64 x[31];
	u64 elr;
	u64 spsr;
	u64 pad;
};

void *memset(void *s, int c, unsigned long n)
{
	unsigned char *p = s;

	while (n--)
		*p++ = (unsigned char)c;
	return s;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

void putc_uart(char c)
{
	if (c == '\n')
		*UART_DR = '\r';
	*UART_DR = (unsigned char)c;
}

void puts_uart(const char *s)
{
	while (*s)
		putc_uart(*s++);
}

struct outbuf {
	char *buf;
	int size;
	int len;
};

static void out_c(struct outbuf *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_num(struct outbuf *o, u64 v, int base, int width, char pad,
		    bool neg)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		tmp[n++] = '-';
	while (width-- > n)
		out_c(o, pad);
	while (n)
		out_c(o, tmp[--n]);
}

/* %s %c %d %u %x with optional 0-padding width and l/ll modifiers. */
int vsnprintf_k(char *buf, int size, const char *fmt, va_list ap)
{
	struct outbuf o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		int width = 0, lng = 0;
		char pad = ' ';

		if (*fmt != '%') {
			out_c(&o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);

			while (*s)
				out_c(&o, *s++);
			break;
		}
		case 'c':
			out_c(&o, (char)va_arg(ap, int));
			break;
		case 'd': {
			long v = lng ? va_arg(ap, long) : va_arg(ap, int);

			out_num(&o, v < 0 ? -v : v, 10, width, pad, v < 0);
			break;
		}
		case 'u':
		case 'x': {
			u64 v = lng ? va_arg(ap, u64) : va_arg(ap, u32);

			out_num(&o, v, *fmt == 'x' ? 16 : 10, width, pad, false);
			break;
		}
		case '%':
			out_c(&o, '%');
			break;
		default:
			out_c(&o, '?');
			break;
		}
	}
	if (size > 0)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len;
}

int snprintf_k(char *buf, int size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf_k(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void printk(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf_k(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	puts_uart(buf);
}

bool tap_result(bool ok, const char *detail, const char *fmt, ...)
{
	char name[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf_k(name, sizeof(name), fmt, ap);
	va_end(ap);
	tap_count++;
	if (ok)
		tap_passed++;
	else
		tap_failed++;
	printk("%sok %d - %s", ok ? "" : "not ", tap_count, name);
	if (!ok && detail && *detail)
		printk(" # %s", detail);
	printk("\n");
	return ok;
}

void tap_skip(const char *why, const char *fmt, ...)
{
	char name[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf_k(name, sizeof(name), fmt, ap);
	va_end(ap);
	tap_count++;
	tap_passed++;
	printk("ok %d - %s # SKIP %s\n", tap_count, name, why);
}

/*
 * Semihosting SYS_EXIT (0x18) with ADP_Stopped_ApplicationExit and the
 * status as subcode: QEMU exits with that status.
 */
void semihost_exit(long status)
{
	static volatile u64 block[2];
	register u64 x0 asm("x0") = 0x18;
	register u64 x1 asm("x1") = (u64)block;

	block[0] = 0x20026;
	block[1] = (u64)status;
	asm volatile("hlt #0xf000" : : "r"(x0), "r"(x1) : "memory");
	for (;;)
		;
}

void boot_wrong_el(u64 el)
{
	printk("hpmn-probe: started at EL%lu, needs EL2 "
	       "(-M virt,virtualization=on, no secure=on)\n", el);
	printk("PROBE-DONE passed=0 failed=1\n");
	semihost_exit(2);
}

void async_exception(u64 el, u64 esr)
{
	printk("Bail out! asynchronous exception at EL%lu, ESR 0x%lx\n",
	       el, esr);
	semihost_exit(3);
}

void exc_reset(void)
{
	last_exc.count = 0;
	last_exc.el = 0;
	last_exc.from_el = 0;
	last_exc.ec = 0;
	last_exc.iss = 0;
	last_exc.elr = 0;
}

static void record(u32 el, u64 esr, struct exc_frame *f)
{
	last_exc.count++;
	last_exc.el = el;
	last_exc.from_el = (f->spsr >> 2) & 3;
	last_exc.ec = (esr >> 26) & 0x3f;
	last_exc.iss = esr & 0x1ffffff;
	last_exc.elr = f->elr;
	if (last_exc.count > 16) {
		printk("Bail out! exception storm, EL%u EC 0x%x ELR 0x%lx\n",
		       el, last_exc.ec, f->elr);
		semihost_exit(3);
	}
	f->elr += 4;	/* skip the faulting instruction */
}

void el2_sync_handler(struct exc_frame *f)
{
	u64 esr = read_sysreg(esr_el2);
	u32 from_el = (f->spsr >> 2) & 3;

	/* HVC #0 from EL1 ends run_at(): fn's result is in x0. */
	if (((esr >> 26) & 0x3f) == EC_HVC64 && from_el == 1 &&
	    (esr & 0xffff) == 0)
		el2_resume(f->x[0]);
	record(2, esr, f);
}

void el1_sync_handler(struct exc_frame *f)
{
	u64 esr = read_sysreg(esr_el1);
	u32 from_el = (f->spsr >> 2) & 3;

	/* SVC #0 from EL0 ends an EL0 run: fn's result is in x0. */
	if (((esr >> 26) & 0x3f) == EC_SVC64 && from_el == 0 &&
	    (esr & 0xffff) == 0)
		el1_resume(f->x[0]);
	record(1, esr, f);
}

struct el0_call {
	long (*fn)(void *);
	void *arg;
};

/* Runs at EL1: call fn at EL0. */
static long el1_run_el0(void *p)
{
	struct el0_call *c = p;

	return el1_call_el0(c->fn, c->arg);
}

#define SPSR_EL1H_MASKED	0x3c5	/* EL1h, D, A, I, F masked */

u64 el0_pmuserenr = 0xf;

long run_at(int el, long (*fn)(void *), void *arg)
{
	struct el0_call c = { fn, arg };

	if (el == 1)
		return el2_call_lower(SPSR_EL1H_MASKED, fn, arg);
	/*
	 * Give EL0 the PMU (PMUSERENR_EL0 = el0_pmuserenr, by default
	 * EN|SW|CR|ER).  Written here at EL2 rather than by EL1 so that an
	 * EL1 write never adds a trap of its own when a test sets
	 * MDCR_EL2.TPM.
	 */
	write_sysreg(el0_pmuserenr, pmuserenr_el0);
	isb();
	return el2_call_lower(SPSR_EL1H_MASKED, el1_run_el0, &c);
}
