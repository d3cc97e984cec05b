// SPDX-License-Identifier: GPL-2.0
/*
 * probe.c - owns the hpmn-probe tests: whether an emulated CPU enforces the
 * PMU partition that MDCR_EL2.HPMN makes (Arm ARM DDI0487, D24.5 and the
 * MDCR_EL2 page), seen from EL1 and EL0 with EL2 enabled, one TAP line per
 * rule and Exception level.
 *
 * Each test sets the host's PMU state from EL2 (host_reset()), runs one
 * access at EL1 or EL0 (run_at()), then checks from EL2: where the
 * exception went (last_exc), whether the value reached the destination
 * register, and whether the host's registers changed.  Counters count
 * SW_INCR (event 0x00), so nothing moves unless PMSWINC_EL0 is written;
 * only R12 counts instructions (INST_RETIRED, under run.sh's -icount).
 *
 * Terms: N = PMCR_EL0.N read at EL2 (implemented event counters);
 * HPMN = MDCR_EL2.HPMN; "guest" counters are 0..HPMN-1 (first range),
 * "host" counters HPMN..N-1 (second range).
 */
#include "lib.h"
#include "pmu.h"

#ifndef PROBE_HPMN
#define PROBE_HPMN 2
#endif

#define SENTINEL	0x5a5a5a5a5a5a5a5aUL
#define GUEST_VAL	0xdead0000beefUL
#define GUEST_TYPE	0x11UL		/* CPU_CYCLES */
#define HOST_TYPE	(EVT_NSH | EVT_SW_INCR)

static unsigned int hw_n;	/* PMCR_EL0.N at EL2 */
static unsigned int hpmn = PROBE_HPMN;
static unsigned int host_idx;	/* a counter in HPMN..N-1 */
static unsigned int guest_idx;	/* a counter in 0..HPMN-1 */
static unsigned int undef_idx;	/* N: not implemented */
static bool have_hpmn0;

static u64 host_val(unsigned int i)
{
	return 0x12345000UL + i;
}

/* Detail text of the current test. */
static char det[256];
static int det_len;

static void det_reset(void)
{
	det[0] = '\0';
	det_len = 0;
}

static void __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	if (det_len && det_len < (int)sizeof(det) - 2) {
		det[det_len++] = ';';
		det[det_len++] = ' ';
	}
	if (det_len >= (int)sizeof(det) - 1)
		return;
	va_start(ap, fmt);
	det_len += vsnprintf_k(det + det_len, sizeof(det) - det_len, fmt, ap);
	va_end(ap);
	if (det_len > (int)sizeof(det) - 1)
		det_len = sizeof(det) - 1;
}

static bool failed(void)
{
	return det_len != 0;
}

/* At EL2: the host's PMU state every test starts from. */
static void host_reset(unsigned int h)
{
	unsigned int i;

	write_sysreg(MDCR_HPMN(h) | MDCR_HPME, mdcr_el2);
	write_sysreg(0, pmcr_el0);
	write_sysreg(0xffffffffUL, pmcntenclr_el0);
	write_sysreg(0xffffffffUL, pmintenclr_el1);
	write_sysreg(0xffffffffUL, pmovsclr_el0);
	write_sysreg(0, pmselr_el0);
	for (i = 0; i < hw_n; i++) {
		pmevtyper_write(i, HOST_TYPE);
		pmevcntr_write(i, host_val(i));
	}
	write_sysreg(PMCR_E, pmcr_el0);
	isb();
	exc_reset();
}

/* ---- steps: run at EL1 or EL0 -------------------------------------- */

struct step {
	unsigned int n;
	u64 val;
	u64 out;
	u64 out2;
};

enum acc_kind {
	EVCNTR_R, EVCNTR_W, EVTYPER_R, EVTYPER_W,
	XEVCNTR_R, XEVCNTR_W, XEVTYPER_R, XEVTYPER_W,
};

static const char *const acc_name[] = {
	[EVCNTR_R] = "pmevcntr%u_read",
	[EVCNTR_W] = "pmevcntr%u_write",
	[EVTYPER_R] = "pmevtyper%u_read",
	[EVTYPER_W] = "pmevtyper%u_write",
	[XEVCNTR_R] = "pmxevcntr_sel%u_read",
	[XEVCNTR_W] = "pmxevcntr_sel%u_write",
	[XEVTYPER_R] = "pmxevtyper_sel%u_read",
	[XEVTYPER_W] = "pmxevtyper_sel%u_write",
};

static long st_evcntr_r(void *p)
{
	struct step *s = p;

	s->out = pmevcntr_read(s->n, SENTINEL);
	return 0;
}

static long st_evcntr_w(void *p)
{
	struct step *s = p;

	pmevcntr_write(s->n, s->val);
	isb();
	return 0;
}

static long st_evtyper_r(void *p)
{
	struct step *s = p;

	s->out = pmevtyper_read(s->n, SENTINEL);
	return 0;
}

static long st_evtyper_w(void *p)
{
	struct step *s = p;

	pmevtyper_write(s->n, s->val);
	isb();
	return 0;
}

static long st_xevcntr_r(void *p)
{
	struct step *s = p;

	write_sysreg(s->n, pmselr_el0);
	isb();
	s->out = pmxevcntr_read(SENTINEL);
	return 0;
}

static long st_xevcntr_w(void *p)
{
	struct step *s = p;

	write_sysreg(s->n, pmselr_el0);
	isb();
	write_sysreg(s->val, pmxevcntr_el0);
	isb();
	return 0;
}

static long st_xevtyper_r(void *p)
{
	struct step *s = p;

	write_sysreg(s->n, pmselr_el0);
	isb();
	s->out = pmxevtyper_read(SENTINEL);
	return 0;
}

static long st_xevtyper_w(void *p)
{
	struct step *s = p;

	write_sysreg(s->n, pmselr_el0);
	isb();
	write_sysreg(s->val, pmxevtyper_el0);
	isb();
	return 0;
}

static long (*const acc_step[])(void *) = {
	[EVCNTR_R] = st_evcntr_r, [EVCNTR_W] = st_evcntr_w,
	[EVTYPER_R] = st_evtyper_r, [EVTYPER_W] = st_evtyper_w,
	[XEVCNTR_R] = st_xevcntr_r, [XEVCNTR_W] = st_xevcntr_w,
	[XEVTYPER_R] = st_xevtyper_r, [XEVTYPER_W] = st_xevtyper_w,
};

static long st_pmcr_read(void *p)
{
	struct step *s = p;

	s->out = read_sysreg(pmcr_el0);
	return 0;
}

static long st_pmcr_p(void *p)
{
	write_sysreg(read_sysreg(pmcr_el0) | PMCR_P, pmcr_el0);
	isb();
	return 0;
}

static long st_pmswinc(void *p)
{
	struct step *s = p;

	write_sysreg(s->val, pmswinc_el0);
	isb();
	return 0;
}

/* Set/clear register pairs: s->n = pair, s->val = bits, op in out2. */
enum pair { CNTEN, INTEN, OVS };
static const char *const pair_name[] = { "pmcnten", "pminten", "pmovs" };
enum pair_op { P_READ, P_WRITE_SET, P_WRITE_CLR };

static long st_pair(void *p)
{
	struct step *s = p;

	switch (s->out2) {
	case P_READ:
		if (s->n == CNTEN) {
			s->out = read_sysreg(pmcntenset_el0);
			s->out2 = read_sysreg(pmcntenclr_el0);
		} else if (s->n == INTEN) {
			s->out = read_sysreg(pmintenset_el1);
			s->out2 = read_sysreg(pmintenclr_el1);
		} else {
			s->out = read_sysreg(pmovsset_el0);
			s->out2 = read_sysreg(pmovsclr_el0);
		}
		break;
	case P_WRITE_SET:
		if (s->n == CNTEN)
			write_sysreg(s->val, pmcntenset_el0);
		else if (s->n == INTEN)
			write_sysreg(s->val, pmintenset_el1);
		else
			write_sysreg(s->val, pmovsset_el0);
		break;
	case P_WRITE_CLR:
		if (s->n == CNTEN)
			write_sysreg(s->val, pmcntenclr_el0);
		else if (s->n == INTEN)
			write_sysreg(s->val, pmintenclr_el1);
		else
			write_sysreg(s->val, pmovsclr_el0);
		break;
	}
	isb();
	return 0;
}

/* At EL2: the host's view of a set/clear pair. */
static u64 pair_read_el2(enum pair pr)
{
	if (pr == CNTEN)
		return read_sysreg(pmcntenset_el0);
	if (pr == INTEN)
		return read_sysreg(pmintenset_el1);
	return read_sysreg(pmovsset_el0);
}

static void pair_set_el2(enum pair pr, u64 bits)
{
	if (pr == CNTEN)
		write_sysreg(bits, pmcntenset_el0);
	else if (pr == INTEN)
		write_sysreg(bits, pmintenset_el1);
	else
		write_sysreg(bits, pmovsset_el0);
	isb();
}

/* ---- checks ---------------------------------------------------------- */

static void check_no_exception(const char *what)
{
	if (last_exc.count)
		fail("%s: unexpected exception to EL%u EC 0x%x ISS 0x%lx",
		     what, last_exc.el, last_exc.ec, last_exc.iss);
}

/* Trapped to EL2 with EC 0x18 for the expected register and direction. */
static void check_trap_el2(int from_el, u64 iss, bool read)
{
	u64 want = iss | (read ? SYS_ISS_READ : 0);

	if (!last_exc.count) {
		fail("no exception: the access executed");
		return;
	}
	if (last_exc.el != 2 || last_exc.ec != EC_SYS64) {
		fail("exception to EL%u EC 0x%x ISS 0x%lx, want EL2 EC 0x18",
		     last_exc.el, last_exc.ec, last_exc.iss);
		return;
	}
	if ((last_exc.iss & (SYS_ISS_MASK | SYS_ISS_READ)) != want)
		fail("trapped with ISS 0x%lx, want 0x%lx (Rt ignored)",
		     last_exc.iss, want);
	if (last_exc.from_el != (u32)from_el)
		fail("trap came from EL%u, want EL%d",
		     last_exc.from_el, from_el);
	if (last_exc.count != 1)
		fail("%u exceptions, want 1", last_exc.count);
}

/* UNDEFINED: exception to EL1 (HCR_EL2.TGE = 0) with EC 0x00. */
static void check_undef(int from_el)
{
	if (!last_exc.count) {
		fail("no exception: the access executed");
		return;
	}
	if (last_exc.el != 1 || last_exc.ec != EC_UNKNOWN)
		fail("exception to EL%u EC 0x%x ISS 0x%lx, want EL1 EC 0x0",
		     last_exc.el, last_exc.ec, last_exc.iss);
	else if (last_exc.from_el != (u32)from_el)
		fail("exception came from EL%u, want EL%d",
		     last_exc.from_el, from_el);
}

/* ---- tests: each prints exactly one TAP line ----------------------- */

enum expect { TRAP_EL2, UNDEF, ALLOWED };
static const char *const expect_name[] = {
	"traps_to_el2", "undefined", "allowed"
};

struct acc_test {
	int el;
	enum acc_kind kind;
	unsigned int *idx;
	enum expect expect;
	u64 mdcr_extra;		/* harness controls: e.g. MDCR_EL2.TPM */
};

static u64 acc_iss(enum acc_kind k, unsigned int n)
{
	switch (k) {
	case EVCNTR_R: case EVCNTR_W:
		return ISS_PMEVCNTR(n);
	case EVTYPER_R: case EVTYPER_W:
		return ISS_PMEVTYPER(n);
	case XEVCNTR_R: case XEVCNTR_W:
		return ISS_PMXEVCNTR;
	default:
		return ISS_PMXEVTYPER;
	}
}

static bool acc_is_read(enum acc_kind k)
{
	return k == EVCNTR_R || k == EVTYPER_R || k == XEVCNTR_R ||
	       k == XEVTYPER_R;
}

static bool acc_is_type(enum acc_kind k)
{
	return k == EVTYPER_R || k == EVTYPER_W || k == XEVTYPER_R ||
	       k == XEVTYPER_W;
}

/*
 * R1-R4 and the "allowed" controls: one access to counter/type n.
 *
 * R1 PMEVCNTR<n>_EL0, D24.5.10: "elsif EL2Enabled() && m >=
 *    GetNumEventCountersAccessible() then ... AArch64.SystemAccessTrap(EL2,
 *    0x18)" (with FEAT_FGT), for MRS and MSR, at EL1 and (after the
 *    PMUSERENR_EL0 checks) at EL0.
 * R2 PMEVTYPER<n>_EL0, D24.5.12: the same condition.
 * R3 PMXEVCNTR_EL0 (D24.5.27) / PMXEVTYPER_EL0 (D24.5.28): the same with
 *    m = PMSELR_EL0.SEL (SEL != 31 for PMXEVTYPER).
 * R4 all four: "elsif m >= GetNumEventCountersSelfHosted() then if
 *    IsFeatureImplemented(FEAT_FGT) then UNDEFINED", checked before the
 *    EL-specific part, so also from EL0.
 * GetNumEventCountersAccessible() (shared pseudocode): MDCR_EL2.HPMN when
 * PSTATE.EL is EL1 or EL0 and EL2Enabled(), else the implemented number.
 */
static void t_access(void *p)
{
	const struct acc_test *t = p;
	unsigned int n = *t->idx;
	bool rd = acc_is_read(t->kind), ty = acc_is_type(t->kind);
	struct step s = { .n = n, .val = ty ? GUEST_TYPE : GUEST_VAL };
	u64 host = ty ? HOST_TYPE : host_val(n), now;
	char name[64];

	det_reset();
	host_reset(hpmn);
	if (t->mdcr_extra) {
		write_sysreg(read_sysreg(mdcr_el2) | t->mdcr_extra, mdcr_el2);
		isb();
	}
	run_at(t->el, acc_step[t->kind], &s);
	if (t->mdcr_extra) {
		write_sysreg(read_sysreg(mdcr_el2) & ~t->mdcr_extra, mdcr_el2);
		isb();
	}

	switch (t->expect) {
	case TRAP_EL2:
		check_trap_el2(t->el, acc_iss(t->kind, n), rd);
		break;
	case UNDEF:
		check_undef(t->el);
		break;
	case ALLOWED:
		check_no_exception("access");
		break;
	}
	if (rd && t->expect != ALLOWED && s.out != SENTINEL)
		fail("value 0x%lx reached the destination register", s.out);
	if (rd && t->expect == ALLOWED && s.out != host)
		fail("read 0x%lx, want 0x%lx", s.out, host);
	if (n < hw_n) {
		now = ty ? pmevtyper_read(n, 0) : pmevcntr_read(n, 0);
		if (t->expect != ALLOWED && now != host)
			fail("host register changed: 0x%lx -> 0x%lx", host, now);
		if (t->expect == ALLOWED && !rd && now != s.val)
			fail("write did not land: reads 0x%lx at EL2", now);
	}
	snprintf_k(name, sizeof(name), acc_name[t->kind], n);
	tap_result(!failed(), det, "el%d_%s_%s%s", t->el, name,
		   expect_name[t->expect],
		   t->mdcr_extra ? "_with_mdcr_tpm" : "");
}

/*
 * R5: bits at and above HPMN of PMCNTENSET/CLR (D24.5.7/D24.5.6),
 * PMINTENSET/CLR_EL1 and PMOVSSET/CLR (D24.5.21): "When m >=
 * GetNumEventCountersAccessible(), access to this field is RAZ/WI."
 * Bit guest_idx (below HPMN) is the positive control: it must work.
 */
struct pair_test {
	int el;
	enum pair pr;
};

static void t_pair(void *p)
{
	const struct pair_test *t = p;
	u64 hb = BIT(host_idx), gb = BIT(guest_idx), v;
	struct step s = { .n = t->pr };

	det_reset();

	/* Reads hide the host's bit. */
	host_reset(hpmn);
	pair_set_el2(t->pr, hb | gb);
	s.out2 = P_READ;
	run_at(t->el, st_pair, &s);
	check_no_exception("read");
	if (s.out & hb)
		fail("SET reads bit %u as 1", host_idx);
	if (s.out2 & hb)
		fail("CLR reads bit %u as 1", host_idx);
	if (!(s.out & gb))
		fail("control: SET reads guest bit %u as 0", guest_idx);

	/* Writes to CLR leave the host's bit alone. */
	exc_reset();
	s.out2 = P_WRITE_CLR;
	s.val = hb | gb;
	run_at(t->el, st_pair, &s);
	check_no_exception("CLR write");
	v = pair_read_el2(t->pr);
	if (!(v & hb))
		fail("CLR write cleared host bit %u", host_idx);
	if (v & gb)
		fail("control: CLR write left guest bit %u set", guest_idx);

	/* Writes to SET leave the host's bit alone. */
	host_reset(hpmn);
	s.out2 = P_WRITE_SET;
	s.val = hb | gb;
	run_at(t->el, st_pair, &s);
	check_no_exception("SET write");
	v = pair_read_el2(t->pr);
	if (v & hb)
		fail("SET write set host bit %u", host_idx);
	if (!(v & gb))
		fail("control: SET write did not set guest bit %u", guest_idx);

	host_reset(hpmn);
	tap_result(!failed(), det, "el%d_%s_bit%u_raz_wi", t->el,
		   pair_name[t->pr], host_idx);
}

/*
 * R6: PMCR_EL0.P, D24.5.8: resets "All event counters in the first range"
 * and those in the second range only if "EL2 is disabled or not
 * implemented in the current Security state" or "The PE is executing at
 * EL2 or EL3".
 */
static void t_pmcr_p(void *p)
{
	int el = *(int *)p;
	unsigned int i;
	u64 v;

	det_reset();
	host_reset(hpmn);
	run_at(el, st_pmcr_p, NULL);
	check_no_exception("PMCR write");
	for (i = 0; i < hw_n; i++) {
		v = pmevcntr_read(i, 0);
		if (i < hpmn && v != 0)
			fail("guest counter %u not reset (0x%lx)", i, v);
		if (i >= hpmn && v != host_val(i))
			fail("host counter %u 0x%lx -> 0x%lx", i,
			     host_val(i), v);
	}
	tap_result(!failed(), det, "el%d_pmcr_p_resets_only_guest_counters",
		   el);
}

/*
 * R7: PMSWINC_EL0, D24.5.24: P<m> "When m >=
 * GetNumEventCountersAccessible(), access to this field is RAZ/WI."
 * Both counters count SW_INCR at EL0/EL1 and are enabled (PMCR.E for the
 * guest one, MDCR_EL2.HPME for the host one).
 */
static void t_pmswinc(void *p)
{
	int el = *(int *)p;
	struct step s = { .val = BIT(host_idx) | BIT(guest_idx) };
	u64 g, h;

	det_reset();
	host_reset(hpmn);
	write_sysreg(BIT(host_idx) | BIT(guest_idx), pmcntenset_el0);
	isb();
	run_at(el, st_pmswinc, &s);
	check_no_exception("PMSWINC write");
	g = pmevcntr_read(guest_idx, 0);
	h = pmevcntr_read(host_idx, 0);
	if (h != host_val(host_idx))
		fail("host counter %u 0x%lx -> 0x%lx", host_idx,
		     host_val(host_idx), h);
	if (g != host_val(guest_idx) + 1)
		fail("control: guest counter %u 0x%lx -> 0x%lx, want +1",
		     guest_idx, host_val(guest_idx), g);
	host_reset(hpmn);
	tap_result(!failed(), det, "el%d_pmswinc_ignores_bit%u", el,
		   host_idx);
}

/*
 * R8: at EL2 GetNumEventCountersAccessible() is the implemented number
 * (shared pseudocode: HPMN only applies when PSTATE.EL is EL1 or EL0), so
 * the PMEVCNTR<n>_EL0 pseudocode's "elsif PSTATE.EL == EL2" branch reads
 * and writes PMEVCNTR_EL0[m] (no HPMN check); PMCR_EL0.N reads N; PMCR.P
 * at EL2 resets the second range too (D24.5.8).
 */
static void t_el2_counter_rw(void *unused)
{
	u64 v;

	det_reset();
	host_reset(hpmn);
	v = pmevcntr_read(host_idx, SENTINEL);
	if (v != host_val(host_idx))
		fail("read 0x%lx, want 0x%lx", v, host_val(host_idx));
	pmevcntr_write(host_idx, GUEST_VAL);
	isb();
	v = pmevcntr_read(host_idx, SENTINEL);
	if (v != GUEST_VAL)
		fail("write: reads back 0x%lx", v);
	write_sysreg(host_idx, pmselr_el0);
	isb();
	v = pmxevcntr_read(SENTINEL);
	if (v != GUEST_VAL)
		fail("PMXEVCNTR reads 0x%lx", v);
	pmevtyper_write(host_idx, GUEST_TYPE | EVT_NSH);
	isb();
	v = pmevtyper_read(host_idx, SENTINEL);
	if (v != (GUEST_TYPE | EVT_NSH))
		fail("PMEVTYPER reads back 0x%lx", v);
	check_no_exception("EL2 access");
	host_reset(hpmn);
	tap_result(!failed(), det, "el2_reads_and_writes_host_counter%u",
		   host_idx);
}

static void t_el2_pmcr_n(void *unused)
{
	u64 n;

	det_reset();
	host_reset(hpmn);
	n = PMCR_N(read_sysreg(pmcr_el0));
	if (n != hw_n)
		fail("PMCR_EL0.N at EL2 reads %lu with HPMN %u, want %u",
		     n, hpmn, hw_n);
	tap_result(!failed(), det, "el2_pmcr_n_reads_implemented_n");
}

static void t_el2_pmcnten(void *unused)
{
	det_reset();
	host_reset(hpmn);
	write_sysreg(BIT(host_idx), pmcntenset_el0);
	isb();
	if (!(read_sysreg(pmcntenset_el0) & BIT(host_idx)))
		fail("PMCNTENSET bit %u does not stick at EL2", host_idx);
	write_sysreg(BIT(host_idx), pmcntenclr_el0);
	isb();
	if (read_sysreg(pmcntenset_el0) & BIT(host_idx))
		fail("PMCNTENCLR bit %u does not clear at EL2", host_idx);
	check_no_exception("EL2 access");
	tap_result(!failed(), det, "el2_pmcnten_bit%u_rw", host_idx);
}

static void t_el2_pmswinc(void *unused)
{
	u64 v;

	det_reset();
	host_reset(hpmn);
	write_sysreg(BIT(host_idx), pmcntenset_el0);
	isb();
	write_sysreg(BIT(host_idx), pmswinc_el0);
	isb();
	v = pmevcntr_read(host_idx, 0);
	if (v != host_val(host_idx) + 1)
		fail("counter %u 0x%lx -> 0x%lx, want +1", host_idx,
		     host_val(host_idx), v);
	host_reset(hpmn);
	tap_result(!failed(), det, "el2_pmswinc_increments_host_counter%u",
		   host_idx);
}

static void t_el2_pmcr_p(void *unused)
{
	unsigned int i;
	u64 v;

	det_reset();
	host_reset(hpmn);
	write_sysreg(read_sysreg(pmcr_el0) | PMCR_P, pmcr_el0);
	isb();
	for (i = 0; i < hw_n; i++) {
		v = pmevcntr_read(i, 0);
		if (v)
			fail("counter %u not reset (0x%lx)", i, v);
	}
	host_reset(hpmn);
	tap_result(!failed(), det, "el2_pmcr_p_resets_all_counters");
}

/*
 * P1: PMCR_EL0.N, D24.5.8: "When EL2 is implemented and enabled for the
 * current Security state, reads of this field from EL1 and EL0 return the
 * Effective value of MDCR_EL2.HPMN."
 */
static void t_pmcr_n(void *p)
{
	int el = *(int *)p;
	struct step s = { .out = SENTINEL };

	det_reset();
	host_reset(hpmn);
	run_at(el, st_pmcr_read, &s);
	check_no_exception("PMCR read");
	if (PMCR_N(s.out) != hpmn)
		fail("PMCR_EL0.N reads %lu, want HPMN %u", PMCR_N(s.out),
		     hpmn);
	tap_result(!failed(), det, "el%d_pmcr_n_reads_hpmn", el);
}

/*
 * P2: PMCR_EL0.E, D24.5.8: affects "The event counters in the first
 * range"; the second range is enabled by MDCR_EL2.HPME (MDCR_EL2 page).
 * Counted from EL2 (PMEVTYPER.NSH = 1) with SW_INCR.
 */
static void swinc_el2(u64 pmcr, u64 mdcr, u64 *g, u64 *h)
{
	host_reset(hpmn);
	write_sysreg(mdcr, mdcr_el2);
	write_sysreg(pmcr, pmcr_el0);
	write_sysreg(BIT(host_idx) | BIT(guest_idx), pmcntenset_el0);
	isb();
	write_sysreg(BIT(host_idx) | BIT(guest_idx), pmswinc_el0);
	isb();
	*g = pmevcntr_read(guest_idx, 0) - host_val(guest_idx);
	*h = pmevcntr_read(host_idx, 0) - host_val(host_idx);
	host_reset(hpmn);
}

static void t_hpme(void *unused)
{
	u64 g, h;

	det_reset();
	swinc_el2(0, MDCR_HPMN(hpmn) | MDCR_HPME, &g, &h);
	if (h != 1)
		fail("PMCR.E=0 HPME=1: host counter +%lu, want +1", h);
	swinc_el2(PMCR_E, MDCR_HPMN(hpmn), &g, &h);
	if (h != 0)
		fail("PMCR.E=1 HPME=0: host counter +%lu, want +0", h);
	tap_result(!failed(), det, "hpme_enables_upper_counters");
}

static void t_pmcr_e(void *unused)
{
	u64 g, h;

	det_reset();
	swinc_el2(0, MDCR_HPMN(hpmn) | MDCR_HPME, &g, &h);
	if (g != 0)
		fail("PMCR.E=0 HPME=1: guest counter +%lu, want +0", g);
	swinc_el2(PMCR_E, MDCR_HPMN(hpmn), &g, &h);
	if (g != 1)
		fail("PMCR.E=1 HPME=0: guest counter +%lu, want +1", g);
	tap_result(!failed(), det, "pmcr_e_enables_only_lower_counters");
}

/*
 * P3: MDCR_EL2.HPMN = 0 with FEAT_HPMN0 (ID_AA64DFR0_EL1.HPMN0, bits
 * [63:60]): GetNumEventCountersAccessible() returns 0 (without FEAT_HPMN0
 * it is CONSTRAINED UNPREDICTABLE), so PMCR_EL0.N reads 0 at EL1 and
 * counter 0 traps to EL2 like any other host counter.
 */
static void t_hpmn0(void *p)
{
	int which = *(int *)p;
	struct step s = { .n = 0, .out = SENTINEL };
	u64 v;

	det_reset();
	if (!have_hpmn0) {
		static const char *const nm[] = {
			"hpmn0_accepted", "el1_pmcr_n_reads_0_with_hpmn0",
			"el1_pmevcntr0_read_traps_to_el2_with_hpmn0",
		};
		tap_skip("no FEAT_HPMN0", "%s", nm[which]);
		return;
	}
	host_reset(0);
	switch (which) {
	case 0:
		v = read_sysreg(mdcr_el2) & 0x1f;
		if (v != 0)
			fail("MDCR_EL2.HPMN reads back %lu", v);
		host_reset(hpmn);
		tap_result(!failed(), det, "hpmn0_accepted");
		return;
	case 1:
		run_at(1, st_pmcr_read, &s);
		check_no_exception("PMCR read");
		if (PMCR_N(s.out) != 0)
			fail("PMCR_EL0.N reads %lu", PMCR_N(s.out));
		host_reset(hpmn);
		tap_result(!failed(), det, "el1_pmcr_n_reads_0_with_hpmn0");
		return;
	default:
		run_at(1, st_evcntr_r, &s);
		check_trap_el2(1, ISS_PMEVCNTR(0), true);
		if (s.out != SENTINEL)
			fail("value 0x%lx reached the destination register",
			     s.out);
		host_reset(hpmn);
		tap_result(!failed(), det,
			   "el1_pmevcntr0_read_traps_to_el2_with_hpmn0");
		return;
	}
}

/*
 * R9: the PMU overflow interrupt request, D13.3.1: "The PE signals a
 * request for: Any implemented PMEVCNTR<n> counter, when the global enable
 * control for the event counter is 1, the value of PMOVSSET.P<n> is 1, and
 * the value of PMINTENSET.P<n> is 1", the cycle counter "when the values of
 * PMCR.E, PMOVSSET.C and PMINTENSET.C are all 1"; counters from HPMN up
 * "can be signaled ... but only if the value of HDCR.HPME is 1".  Shared
 * pseudocode CheckPMUOverflowCondition() (called by CheckForPMUOverflow()):
 * global_en is PMCR_EL0.E for PMUCounterRange_R1 (n < HPMN) and
 * MDCR_EL2.HPME for PMUCounterRange_R2, "ovsf<idx> = ovsf<idx> AND
 * global_en".  Seen as the pending state of the PMU PPI (INTID 23 on QEMU
 * virt) in the GICv3 redistributor, which for a level-sensitive PPI reads
 * the input level: no GIC setup is needed and the interrupt is not taken.
 * All set up and overflowed from EL2.
 */
#define GICR_SGI_BASE	(0x080a0000UL + 0x10000)	/* CPU 0 */
#define GICR_ISPENDR0	(GICR_SGI_BASE + 0x200)
#define GICR_ICPENDR0	(GICR_SGI_BASE + 0x280)
#define PMU_PPI		23

static bool pmu_irq_pending(void)
{
	u32 v;

	asm volatile("dsb sy" : : : "memory");
	isb();
	v = *(volatile u32 *)GICR_ISPENDR0;
	return v & BIT(PMU_PPI);
}

/*
 * At EL2: counter n overflows (SW_INCR from 0xffffffff) with its
 * PMINTENSET bit set, then PMCR_EL0.E and MDCR_EL2.HPME are set as given;
 * returns whether the PMU interrupt is asserted, *ovf whether PMOVSSET.n
 * is set.
 */
static bool overflow_irq(unsigned int n, bool pmcr_e, bool hpme, bool *ovf)
{
	bool pend;

	host_reset(hpmn);
	*(volatile u32 *)GICR_ICPENDR0 = BIT(PMU_PPI);
	/* Both ranges enabled while counting, so the overflow happens. */
	write_sysreg(MDCR_HPMN(hpmn) | MDCR_HPME, mdcr_el2);
	write_sysreg(PMCR_E, pmcr_el0);
	pmevcntr_write(n, 0xffffffffUL);
	write_sysreg(BIT(n), pmcntenset_el0);
	isb();
	write_sysreg(BIT(n), pmswinc_el0);
	isb();
	write_sysreg(BIT(n), pmcntenclr_el0);
	write_sysreg(MDCR_HPMN(hpmn) | (hpme ? MDCR_HPME : 0), mdcr_el2);
	write_sysreg(pmcr_e ? PMCR_E : 0, pmcr_el0);
	isb();
	write_sysreg(BIT(n), pmintenset_el1);
	isb();
	*ovf = read_sysreg(pmovsset_el0) & BIT(n);
	pend = pmu_irq_pending();
	host_reset(hpmn);
	if (pmu_irq_pending())
		fail("PMU interrupt still pending after PMOVSCLR");
	return pend;
}

static void t_irq_host(void *p)
{
	int want = *(int *)p;	/* 1: PMCR.E=0 HPME=1; 0: PMCR.E=1 HPME=0 */
	bool ovf, pend;

	det_reset();
	pend = overflow_irq(host_idx, !want, want, &ovf);
	if (!ovf)
		fail("counter %u did not overflow (PMOVSSET clear)", host_idx);
	if (want && !pend)
		fail("PMCR.E=0 HPME=1: no PMU interrupt (PPI %u not pending)",
		     PMU_PPI);
	if (!want && pend)
		fail("PMCR.E=1 HPME=0: PMU interrupt pending (PPI %u)",
		     PMU_PPI);
	tap_result(!failed(), det, want ?
		   "host_counter%u_overflow_irq_with_pmcr_e0_and_hpme1" :
		   "host_counter%u_overflow_no_irq_with_pmcr_e1_and_hpme0",
		   host_idx);
}

/* Control (QEMU models it): the guest's counter interrupt follows PMCR.E. */
static void t_irq_guest(void *unused)
{
	bool ovf, pend;

	det_reset();
	pend = overflow_irq(guest_idx, true, false, &ovf);
	if (!ovf)
		fail("counter %u did not overflow (PMOVSSET clear)", guest_idx);
	if (!pend)
		fail("PMCR.E=1 HPME=0: no PMU interrupt (PPI %u not pending)",
		     PMU_PPI);
	pend = overflow_irq(guest_idx, false, true, &ovf);
	if (pend)
		fail("PMCR.E=0 HPME=1: PMU interrupt pending (PPI %u)",
		     PMU_PPI);
	tap_result(!failed(), det, "pmcr_e_gates_guest_counter%u_overflow_irq",
		   guest_idx);
}

/*
 * R10: EL0 accesses enabled by PMUSERENR_EL0.ER/CR/SW (EN = 0) still trap
 * to EL2 when MDCR_EL2.TPM = 1.  D24.5.10 PMEVCNTR<n>_EL0, EL0 branch:
 * "elsif ... PMUSERENR_EL0.<ER,EN> == '00' then ... AArch64.SystemAccessTrap
 * (EL1, 0x18); elsif ... HDFGRTR_EL2.PMEVCNTRn_EL0 == '1' then ...; elsif
 * EL2Enabled() && MDCR_EL2.TPM == '1' then AArch64.SystemAccessTrap(EL2,
 * 0x18)"; the same with <CR,EN> for PMCCNTR_EL0 (D24.5.2) and <SW,EN> for
 * PMSWINC_EL0 (D24.5.24).  PMUSERENR_EL0.ER (D24.5.26): reads "are
 * enabled, unless trapped by another control".  Counter guest_idx is below
 * HPMN, so only TPM can trap.  Controls (`_allowed`): the same accesses
 * with TPM = 0 execute.
 */
enum user_kind { U_ER, U_CR, U_SW };
static const char *const user_name[] = {
	"pmuserenr_er_pmevcntr%u_read", "pmuserenr_cr_pmccntr_read",
	"pmuserenr_sw_pmswinc%u_write",
};

static long st_ccntr_r(void *p)
{
	struct step *s = p;

	asm volatile("mrs %0, pmccntr_el0" : "+r"(s->out));
	return 0;
}

struct user_test {
	enum user_kind kind;
	bool tpm;
};

static void t_user(void *p)
{
	const struct user_test *t = p;
	struct step s = { .n = guest_idx, .out = SENTINEL };
	static const u64 bit[] = { PMUSERENR_ER, PMUSERENR_CR, PMUSERENR_SW };
	static const u64 iss[] = { 0, ISS_PMCCNTR, ISS_PMSWINC };
	long (*fn)(void *) = t->kind == U_ER ? st_evcntr_r :
			     t->kind == U_CR ? st_ccntr_r : st_pmswinc;
	bool rd = t->kind != U_SW;
	char name[64];
	u64 v;

	det_reset();
	host_reset(hpmn);
	if (t->kind == U_SW) {
		s.val = BIT(guest_idx);
		write_sysreg(BIT(guest_idx), pmcntenset_el0);
	}
	if (t->tpm)
		write_sysreg(read_sysreg(mdcr_el2) | MDCR_TPM, mdcr_el2);
	isb();
	el0_pmuserenr = bit[t->kind];
	run_at(0, fn, &s);
	el0_pmuserenr = 0xf;
	write_sysreg(read_sysreg(mdcr_el2) & ~MDCR_TPM, mdcr_el2);
	isb();

	v = pmevcntr_read(guest_idx, 0);
	if (t->tpm) {
		check_trap_el2(0, t->kind == U_ER ? ISS_PMEVCNTR(guest_idx) :
			       iss[t->kind], rd);
		if (rd && s.out != SENTINEL)
			fail("value 0x%lx reached the destination register",
			     s.out);
		if (t->kind == U_SW && v != host_val(guest_idx))
			fail("counter %u incremented: 0x%lx -> 0x%lx",
			     guest_idx, host_val(guest_idx), v);
	} else {
		check_no_exception("access");
		if (t->kind == U_ER && s.out != host_val(guest_idx))
			fail("read 0x%lx, want 0x%lx", s.out,
			     host_val(guest_idx));
		if (t->kind == U_SW && v != host_val(guest_idx) + 1)
			fail("counter %u 0x%lx -> 0x%lx, want +1", guest_idx,
			     host_val(guest_idx), v);
	}
	host_reset(hpmn);
	snprintf_k(name, sizeof(name), user_name[t->kind], guest_idx);
	tap_result(!failed(), det, "el0_%s_%s", name,
		   t->tpm ? "traps_to_el2_on_tpm" : "allowed");
}

/*
 * R11: the overflow interrupt request is a level that follows PMCR_EL0.E.
 * D13.3.1 (as R9); shared pseudocode CheckForPMUOverflow(), "Called before
 * each instruction is executed", sets the request level from
 * CheckPMUOverflowCondition(PMUOverflowCondition_IRQ, ...), where
 * global_en is PMCR_EL0.E for PMUCounterRange_R1.  So with PMOVSSET.n and
 * PMINTENSET.n set for counter n below HPMN, a PMCR_EL0 write that sets E
 * raises the request and one that clears E lowers it, with no other PMU
 * register written.  The PMCR_EL0 writes are the guest's (EL1).  The
 * checks marked "control" hold on stock QEMU: the request is evaluated
 * with the E in force when PMINTENSET is written.
 */
static long st_pmcr_write(void *p)
{
	struct step *s = p;

	write_sysreg(s->val, pmcr_el0);
	isb();
	return 0;
}

static void t_irq_follows_pmcr_e(void *unused)
{
	struct step s = { .val = PMCR_E };
	u64 bit = BIT(guest_idx);

	det_reset();
	host_reset(hpmn);
	write_sysreg(0, pmcr_el0);
	write_sysreg(bit, pmovsset_el0);
	write_sysreg(bit, pmintenset_el1);
	isb();
	if (pmu_irq_pending())
		fail("control: PMCR.E=0: PMU interrupt pending");

	run_at(1, st_pmcr_write, &s);
	check_no_exception("PMCR write");
	if (!pmu_irq_pending())
		fail("EL1 set PMCR.E with PMOVSSET.%u and PMINTENSET.%u set: no PMU interrupt (PPI %u not pending)",
		     guest_idx, guest_idx, PMU_PPI);

	write_sysreg(bit, pmintenset_el1);
	isb();
	if (!pmu_irq_pending())
		fail("control: PMCR.E=1: no PMU interrupt after a PMINTENSET write");

	exc_reset();
	s.val = 0;
	run_at(1, st_pmcr_write, &s);
	check_no_exception("PMCR write");
	if (pmu_irq_pending())
		fail("EL1 cleared PMCR.E: PMU interrupt still pending (PPI %u)",
		     PMU_PPI);

	host_reset(hpmn);
	if (pmu_irq_pending())
		fail("PMU interrupt still pending after PMOVSCLR");
	tap_result(!failed(), det,
		   "el1_guest_counter%u_overflow_irq_follows_pmcr_enable",
		   guest_idx);
}

/*
 * R12: an event counter preloaded with 2^32 - D (PMCR_EL0.LP = 0) overflows
 * after exactly D events, and its interrupt request is raised then, with no
 * PMU register access.  Shared pseudocode AArch64.IncrementEventCounter():
 * "new_value = old_value + increment; ... ovflw = if lp == '1' then 64
 * else 32; if old_value<64:ovflw> != new_value<64:ovflw> then
 * PMOVSSET_EL0<idx> = '1'", and AArch64.PMUCycle(), "Called at the end of
 * each cycle to increment event counters and check for PMU overflow", then
 * calls CheckForPMUOverflow().  The counter counts INST_RETIRED (event
 * 0x08, implemented by QEMU only under -icount, which run.sh passes) at
 * EL2 while a loop of POLL_INSNS instructions polls the PMU PPI in the GIC
 * redistributor (MMIO, not a PMU access).  Once the PPI reads pending, the
 * counter is read (the next instruction): it must have counted at least D
 * events (no early overflow) and at most D + OVERFLOW_SLACK (seen within
 * two polls of the D-th event; the poll is the only granularity).  Counter
 * guest_idx, PMCR_EL0.E = 1, every other counter disabled.
 */
#define EVT_INST_RETIRED	0x08
#define OVERFLOW_DISTANCE	1000UL	/* D */
#define POLL_INSNS		4	/* instructions per poll */
#define POLL_LIMIT		OVERFLOW_DISTANCE	/* 4 * D instructions */
#define OVERFLOW_SLACK		(2 * POLL_INSNS)

/*
 * At EL2: enable counter n, then poll the PMU PPI with no PMU register
 * access until it reads pending or POLL_LIMIT polls passed, then read the
 * counter (PMXEVCNTR_EL0, PMSELR_EL0 = n: the next instruction).  Returns
 * the value read; *polls the polls before the one that saw the PPI
 * pending (POLL_LIMIT: none did).
 */
static u64 poll_overflow_irq(unsigned int n, u64 *polls)
{
	u64 left = POLL_LIMIT, v;

	write_sysreg(n, pmselr_el0);
	isb();
	asm volatile("	msr	pmcntenset_el0, %[bit]\n"
		     "	isb\n"
		     "1:	ldr	%w[v], [%[pend]]\n"
		     "	tbnz	%w[v], #%[ppi], 2f\n"
		     "	subs	%[left], %[left], #1\n"
		     "	b.ne	1b\n"
		     "2:	mrs	%[v], pmxevcntr_el0\n"
		     : [left] "+r"(left), [v] "=&r"(v)
		     : [bit] "r"(BIT(n)), [pend] "r"(GICR_ISPENDR0),
		       [ppi] "i"(PMU_PPI)
		     : "cc", "memory");
	*polls = POLL_LIMIT - left;
	return v;
}

/*
 * At EL2: counter n counts INST_RETIRED at EL2 from 2^32 - D with its
 * PMINTENSET bit set, polled as above.  Returns the events it counted up
 * to the read; *polls as above, *ovf whether PMOVSSET.n was set after the
 * read, *pend whether the PPI was pending after the read.
 */
static u64 count_to_overflow(unsigned int n, u64 *polls, bool *ovf,
			     bool *pend)
{
	u64 v;

	host_reset(hpmn);
	pmevtyper_write(n, EVT_NSH | EVT_INST_RETIRED);
	pmevcntr_write(n, BIT(32) - OVERFLOW_DISTANCE);
	write_sysreg(BIT(n), pmintenset_el1);
	isb();
	if (pmu_irq_pending())
		fail("control: PMU interrupt pending before counting");
	v = poll_overflow_irq(n, polls);
	write_sysreg(BIT(n), pmcntenclr_el0);
	isb();
	*ovf = read_sysreg(pmovsset_el0) & BIT(n);
	*pend = pmu_irq_pending();
	host_reset(hpmn);
	if (pmu_irq_pending())
		fail("PMU interrupt still pending after PMOVSCLR");
	/* Bits [63:32] count on with FEAT_PMUv3p5: compare 32 bits. */
	return (u32)(v - (BIT(32) - OVERFLOW_DISTANCE));
}

static bool inst_retired_implemented(void)
{
	if (read_sysreg(pmceid0_el0) & BIT(EVT_INST_RETIRED))
		return true;
	fail("control: INST_RETIRED not implemented (PMCEID0_EL0 bit 8 clear): QEMU needs -icount");
	return false;
}

static void t_overflow_on_time(void *unused)
{
	u64 polls = POLL_LIMIT, counted = 0;
	bool ovf, pend;

	det_reset();
	if (!inst_retired_implemented())
		goto out;
	counted = count_to_overflow(guest_idx, &polls, &ovf, &pend);
	if (polls == POLL_LIMIT)
		fail("no PMU interrupt within %lu events of 2^32 - %lu with no PMU access (a counter read then found %lu events, PMOVSSET.%u %d)",
		     POLL_LIMIT * POLL_INSNS, OVERFLOW_DISTANCE, counted,
		     guest_idx, ovf);
	else if (counted < OVERFLOW_DISTANCE ||
		 counted > OVERFLOW_DISTANCE + OVERFLOW_SLACK)
		fail("PMU interrupt seen after poll %lu with %lu events counted, want %lu to %lu",
		     polls, counted, OVERFLOW_DISTANCE,
		     OVERFLOW_DISTANCE + OVERFLOW_SLACK);
	if (!ovf)
		fail("PMOVSSET.%u clear after %lu events", guest_idx, counted);
out:
	tap_result(!failed(), det,
		   "guest_counter%u_overflow_irq_after_d_events_without_pmu_access",
		   guest_idx);
	if (polls < POLL_LIMIT)
		printk("# counter %u from 2^32 - %lu: PPI pending at poll %lu, %lu events counted at the read\n",
		       guest_idx, OVERFLOW_DISTANCE, polls, counted);
}

/*
 * Control of R12 (QEMU models it): the same counter, once read after it
 * wrapped, has PMOVSSET set and its interrupt requested.  Shows that
 * INST_RETIRED counts and that the PPI is seen when the overflow is.
 */
static void t_overflow_after_read(void *unused)
{
	u64 polls, counted;
	bool ovf, pend;

	det_reset();
	if (!inst_retired_implemented())
		goto out;
	counted = count_to_overflow(guest_idx, &polls, &ovf, &pend);
	if (counted < OVERFLOW_DISTANCE)
		fail("counted %lu INST_RETIRED events, want at least %lu",
		     counted, OVERFLOW_DISTANCE);
	if (!ovf)
		fail("PMOVSSET.%u clear after %lu events", guest_idx, counted);
	if (!pend)
		fail("no PMU interrupt after the counter read (PPI %u)",
		     PMU_PPI);
out:
	tap_result(!failed(), det,
		   "el2_guest_counter%u_overflow_irq_after_pmevcntr_read",
		   guest_idx);
}

/* ---- the test table ---------------------------------------------------- */

static int el0 = 0, el1 = 1;
static int hz0 = 0, hz1 = 1, hz2 = 2;

#define ACC(e, k, i, x) \
	{ t_access, &(struct acc_test){ e, k, &i, x, 0 } }
#define ACC_TPM(e, k, i) \
	{ t_access, &(struct acc_test){ e, k, &i, TRAP_EL2, MDCR_TPM } }
#define PAIR(e, r) \
	{ t_pair, &(struct pair_test){ e, r } }
#define USER(k, tpm) \
	{ t_user, &(struct user_test){ k, tpm } }
static int irq_hpme1 = 1, irq_pmcr_e1 = 0;

static const struct {
	void (*fn)(void *);
	void *arg;
} tests[] = {
	/* Controls: counters below HPMN are the guest's (pass everywhere). */
	ACC(1, EVCNTR_R, guest_idx, ALLOWED),
	ACC(1, EVCNTR_W, guest_idx, ALLOWED),
	ACC(0, EVCNTR_R, guest_idx, ALLOWED),
	ACC(1, XEVTYPER_R, guest_idx, ALLOWED),
	/*
	 * Controls of the trap checks: MDCR_EL2.TPM = 1 traps these accesses
	 * to EL2 with EC 0x18 ("elsif EL2Enabled() && MDCR_EL2.TPM == '1'
	 * then AArch64.SystemAccessTrap(EL2, 0x18)", D24.5.10), which QEMU
	 * models: these show a trap is detected when one happens.
	 */
	ACC_TPM(1, EVCNTR_R, host_idx),
	ACC_TPM(0, EVCNTR_W, host_idx),
	/* R1 */
	ACC(1, EVCNTR_R, host_idx, TRAP_EL2),
	ACC(1, EVCNTR_W, host_idx, TRAP_EL2),
	ACC(0, EVCNTR_R, host_idx, TRAP_EL2),
	ACC(0, EVCNTR_W, host_idx, TRAP_EL2),
	/* R2 */
	ACC(1, EVTYPER_R, host_idx, TRAP_EL2),
	ACC(1, EVTYPER_W, host_idx, TRAP_EL2),
	ACC(0, EVTYPER_R, host_idx, TRAP_EL2),
	ACC(0, EVTYPER_W, host_idx, TRAP_EL2),
	/* R3 */
	ACC(1, XEVCNTR_R, host_idx, TRAP_EL2),
	ACC(1, XEVCNTR_W, host_idx, TRAP_EL2),
	ACC(1, XEVTYPER_R, host_idx, TRAP_EL2),
	ACC(1, XEVTYPER_W, host_idx, TRAP_EL2),
	ACC(0, XEVCNTR_R, host_idx, TRAP_EL2),
	ACC(0, XEVCNTR_W, host_idx, TRAP_EL2),
	ACC(0, XEVTYPER_R, host_idx, TRAP_EL2),
	ACC(0, XEVTYPER_W, host_idx, TRAP_EL2),
	/* R4 */
	ACC(1, EVCNTR_R, undef_idx, UNDEF),
	ACC(1, EVCNTR_W, undef_idx, UNDEF),
	ACC(1, EVTYPER_R, undef_idx, UNDEF),
	ACC(0, EVCNTR_R, undef_idx, UNDEF),
	ACC(1, XEVCNTR_R, undef_idx, UNDEF),
	ACC(1, XEVTYPER_R, undef_idx, UNDEF),
	/* R5 */
	PAIR(1, CNTEN),
	PAIR(1, INTEN),
	PAIR(1, OVS),
	PAIR(0, CNTEN),
	PAIR(0, OVS),
	/* R6 */
	{ t_pmcr_p, &el1 },
	{ t_pmcr_p, &el0 },
	/* R7 */
	{ t_pmswinc, &el1 },
	{ t_pmswinc, &el0 },
	/* R8 */
	{ t_el2_counter_rw, NULL },
	{ t_el2_pmcr_n, NULL },
	{ t_el2_pmcnten, NULL },
	{ t_el2_pmswinc, NULL },
	{ t_el2_pmcr_p, NULL },
	/* P1 */
	{ t_pmcr_n, &el1 },
	{ t_pmcr_n, &el0 },
	/* P2 */
	{ t_hpme, NULL },
	{ t_pmcr_e, NULL },
	/* P3 */
	{ t_hpmn0, &hz0 },
	{ t_hpmn0, &hz1 },
	{ t_hpmn0, &hz2 },
	/* R9 (and its control) */
	{ t_irq_guest, NULL },
	{ t_irq_host, &irq_hpme1 },
	{ t_irq_host, &irq_pmcr_e1 },
	/* R10 (and its controls) */
	USER(U_ER, false),
	USER(U_CR, false),
	USER(U_SW, false),
	USER(U_ER, true),
	USER(U_CR, true),
	USER(U_SW, true),
	/* R11 (control: pmcr_e_gates_guest_counter*_overflow_irq) */
	{ t_irq_follows_pmcr_e, NULL },
	/* R12 (and its control) */
	{ t_overflow_after_read, NULL },
	{ t_overflow_on_time, NULL },
};

#define NTESTS	(sizeof(tests) / sizeof(tests[0]))

static bool setup_el2(void)
{
	u64 mmfr0 = read_sysreg(id_aa64mmfr0_el1);
	u64 dfr0 = read_sysreg(id_aa64dfr0_el1);
	u64 pmuver = (dfr0 >> 8) & 0xf;
	u64 fgt = (mmfr0 >> 56) & 0xf;

	have_hpmn0 = ((dfr0 >> 60) & 0xf) >= 1;
	hw_n = PMCR_N(read_sysreg(pmcr_el0));
	printk("# ID_AA64DFR0_EL1 0x%016lx (PMUVer %lu, HPMN0 %d), "
	       "ID_AA64MMFR0_EL1.FGT %lu, PMCR_EL0 0x%lx (N %u), HPMN %u\n",
	       dfr0, pmuver, have_hpmn0, fgt, read_sysreg(pmcr_el0), hw_n,
	       hpmn);
	if (pmuver == 0 || pmuver == 0xf) {
		printk("Bail out! no PMUv3 (PMUVer %lu)\n", pmuver);
		return false;
	}
	if (!fgt) {
		/*
		 * Without FEAT_FGT the HPMN rules for PMEVCNTR<n> etc. are
		 * CONSTRAINED UNPREDICTABLE (D24.5.10): nothing to test.
		 */
		printk("Bail out! no FEAT_FGT: the rules are UNPREDICTABLE\n");
		return false;
	}
	if (hpmn < 1 || hpmn + 1 > hw_n || hw_n > 30) {
		printk("Bail out! HPMN %u does not fit N %u "
		       "(need 1 <= HPMN < N <= 30)\n", hpmn, hw_n);
		return false;
	}
	guest_idx = hpmn - 1;
	host_idx = hpmn + 1 < hw_n ? hpmn + 1 : hpmn;
	undef_idx = hw_n;

	/* EL1 is AArch64, no VHE, no TGE; nothing else trapped. */
	write_sysreg(BIT(31), hcr_el2);
	write_sysreg(0x30d00800UL, sctlr_el1);	/* RES1 bits, MMU off */
	write_sysreg(0, HDFGRTR_EL2);
	write_sysreg(0, HDFGWTR_EL2);
	isb();
	host_reset(hpmn);
	return true;
}

int main(void)
{
	unsigned int i;

	printk("TAP version 13\n");
	if (!setup_el2()) {
		printk("PROBE-DONE passed=0 failed=1\n");
		return 1;
	}
	printk("1..%u\n", (unsigned int)NTESTS);
	for (i = 0; i < NTESTS; i++)
		tests[i].fn(tests[i].arg);
	printk("PROBE-DONE passed=%d failed=%d\n", tap_passed, tap_failed);
	return tap_failed ? 1 : 0;
}
