// SPDX-License-Identifier: GPL-2.0
/*
 * pmu-overflow-trace.c - the user-space half of pmu-overflow-trace: the
 * command line, the checks before loading (module loaded, kernel and
 * module BTF present, the module's tracepoints recent enough), loading
 * and attaching the BPF programs (pmu-overflow-trace.bpf.c, through the
 * skeleton), printing deliveries or histograms (text or JSON lines),
 * ending the deliveries of VMs that went away, and the summary at exit.
 *
 * Lost and duplicate deliveries, as counted here (pmu-overflow-trace.8):
 * a delivery is lost when it ends neither injected nor acknowledged:
 * its VM went away, the module dropped it (drop event: a vCPU reset, or
 * the VMM's store cleared the flag), or the same counter overflowed anew
 * without the guest having cleared it. It is unacknowledged when the same
 * happens after injection. An injection is a duplicate when the counter's
 * delivery was injected or acknowledged already and no overflow came
 * since. A delivery whose VM still exists at exit is in flight, not lost.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "pmu-overflow-trace.h"
#include "pmu-overflow-trace.skel.h"

#ifndef PMU_OVERFLOW_TRACE_VERSION
#define PMU_OVERFLOW_TRACE_VERSION "unknown"
#endif

#define PROGRAM		"pmu-overflow-trace"
#define MODULE		"kvm_pmu_partition"
#define SYSFS_ENV	"PMU_OVERFLOW_TRACE_SYSFS"
#define PRUNE_NS	1000000000ULL	/* look for VMs gone every second */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static struct env {
	pid_t pid;		/* 0: every VMM */
	int cpu;		/* -1: every host CPU */
	int vcpu;		/* -1: every vCPU */
	bool histogram;
	bool json;
	bool verbose;
	long interval;		/* seconds; 0: none given */
	long count;		/* intervals; -1: no limit */
} env = {
	.cpu = -1,
	.vcpu = -1,
	.count = -1,
};

/* Deliveries that user space ended (VM gone), and what exit found. */
struct tally {
	struct pot_vcpu_key key;
	struct pot_vcpu_stats stats;
	__u64 in_flight;
	bool gone;
};

/*
 * The summary keeps one row per vCPU, up to MAX_TALLIES; beyond that
 * further vCPUs (of VMs gone or not) are folded into one row (VMM 0, VM 0,
 * vCPU -1), so that a VMM creating and destroying VMs in a loop cannot
 * make the tracer grow without bound.
 */
#define MAX_TALLIES	4096
static struct tally *tallies;
static size_t tally_count;
static bool tallies_folded;
static const char *sysfs = "/sys";
static __s64 realtime_offset;	/* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
static volatile sig_atomic_t exiting;

const char *argp_program_version = PROGRAM " " PMU_OVERFLOW_TRACE_VERSION;
static const char argp_program_doc[] =
"Trace the delivery of guest PMU counter overflows by the kvm_pmu_partition\n"
"module: each overflow from the host's PMU interrupt to its injection into\n"
"the guest and the guest's acknowledgement (its PMOVSCLR_EL0 write).\n"
"\n"
"USAGE: pmu-overflow-trace [-p PID] [-c CPU] [--vcpu ID] [--histogram] [-j]\n"
"                          [-v] [interval] [count]\n"
"\n"
"One line per acknowledged delivery (time, VMM pid, VM, vCPU, counter,\n"
"host CPU, host interrupt to injection and injection to acknowledgement in\n"
"microseconds), or with --histogram log2 histograms of both latencies per\n"
"VM every interval. At Ctrl-C, or after count intervals, a summary per\n"
"vCPU: overflows, injections, acknowledgements, deliveries in flight, lost\n"
"and duplicate ones.\n"
"\n"
"EXAMPLES:\n"
"    pmu-overflow-trace                 # every delivery, summary at Ctrl-C\n"
"    pmu-overflow-trace -p 1234         # the VMs of VMM process 1234 only\n"
"    pmu-overflow-trace -p 1234 --vcpu 0  # and of those, vCPU 0 only\n"
"    pmu-overflow-trace -c 2            # overflows host CPU 2 took\n"
"    pmu-overflow-trace --histogram 5   # latency histograms every 5 s\n"
"    pmu-overflow-trace --histogram 1 10  # every second, 10 times, then exit\n"
"    pmu-overflow-trace -j 30 1         # JSON lines for 30 s, then exit\n"
"\n"
"Needs root, the module loaded, and BTF for the kernel and the module\n"
"(/sys/kernel/btf/vmlinux, /sys/kernel/btf/kvm_pmu_partition).\n";

enum {
	OPT_VCPU = 0x100,
	OPT_HISTOGRAM,
};

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "Trace only the VMs of this VMM process", 0 },
	{ "cpu", 'c', "CPU", 0,
	  "Trace only the overflows this host CPU took (and their deliveries)", 0 },
	{ "vcpu", OPT_VCPU, "ID", 0, "Trace only the vCPU with this id", 0 },
	{ "histogram", OPT_HISTOGRAM, NULL, 0,
	  "Print log2 histograms of the two latencies per VM, each interval, "
	  "instead of one line per delivery", 0 },
	{ "json", 'j', NULL, 0, "Print one JSON object per line", 0 },
	{ "verbose", 'v', NULL, 0,
	  "Print libbpf's messages and what each program cost the verifier", 0 },
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Show the full help", 0 },
	{},
};

/* parse_long TEXT MIN MAX OUT: 0, or EINVAL (not a number) or ERANGE. */
static int parse_long(const char *text, long min, long max, long *out)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (end == text || *end != '\0')
		return EINVAL;
	if (errno == ERANGE || value < min || value > max)
		return ERANGE;
	*out = value;
	return 0;
}

/* The process (Tgid in /proc/ID/status) of thread @id, or -1. */
static long process_of(long id)
{
	char path[64], line[128];
	long tgid = -1;
	FILE *status;

	snprintf(path, sizeof(path), "/proc/%ld/status", id);
	status = fopen(path, "r");
	if (!status)
		return -1;
	while (fgets(line, sizeof(line), status))
		if (sscanf(line, "Tgid: %ld", &tgid) == 1)
			break;
	fclose(status);
	return tgid;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	char proc[32];
	long value, tgid;
	int err, cpus;

	switch (key) {
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		break;
	case 'v':
		env.verbose = true;
		break;
	case 'j':
		env.json = true;
		break;
	case OPT_HISTOGRAM:
		env.histogram = true;
		break;
	case 'p':
		err = parse_long(arg, 1, INT_MAX, &value);
		if (err)
			argp_error(state, "invalid VMM pid '%s': %s", arg, strerror(err));
		snprintf(proc, sizeof(proc), "/proc/%ld", value);
		if (access(proc, F_OK))
			argp_error(state, "VMM pid %ld: %s", value, strerror(ESRCH));
		tgid = process_of(value);
		if (tgid > 0 && tgid != value)
			argp_error(state, "%ld is a thread of process %ld (a vCPU thread?): use -p %ld",
				   value, tgid, tgid);
		env.pid = value;
		break;
	case 'c':
		err = parse_long(arg, 0, INT_MAX, &value);
		cpus = libbpf_num_possible_cpus();
		if (!err && cpus > 0 && value >= cpus)
			argp_error(state, "invalid CPU '%s': %s (this host's CPUs are 0-%d)",
				   arg, strerror(ERANGE), cpus - 1);
		if (err)
			argp_error(state, "invalid CPU '%s': %s", arg, strerror(err));
		env.cpu = value;
		break;
	case OPT_VCPU:
		err = parse_long(arg, 0, INT_MAX, &value);
		if (err)
			argp_error(state, "invalid vCPU id '%s': %s", arg, strerror(err));
		env.vcpu = value;
		break;
	case ARGP_KEY_ARG:
		if (state->arg_num == 0) {
			err = parse_long(arg, 1, INT_MAX, &value);
			if (err)
				argp_error(state, "invalid interval '%s': %s (seconds, at least 1)",
					   arg, strerror(err));
			env.interval = value;
		} else if (state->arg_num == 1) {
			err = parse_long(arg, 1, INT_MAX, &value);
			if (err)
				argp_error(state, "invalid count '%s': %s", arg,
					   strerror(err));
			env.count = value;
		} else {
			argp_error(state, "unexpected argument '%s': %s (at most [interval] [count])",
				   arg, strerror(E2BIG));
		}
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *format,
			va_list args)
{
	(void)level;
	if (!env.verbose)
		return 0;
	return vfprintf(stderr, format, args);
}

static void fail(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr, prefixed with the program's name. */
static void fail(const char *format, ...)
{
	va_list args;

	fprintf(stderr, PROGRAM ": ");
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
	fputc('\n', stderr);
}

/* strerror(), which knows libbpf's own codes too. */
static const char *error_text(int err)
{
	static char buf[128];

	libbpf_strerror(err, buf, sizeof(buf));
	return buf;
}

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static __u64 monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * Local wall-clock time of a CLOCK_MONOTONIC instant: HH:MM:SS.uuuuuu for
 * the text lines, ISO 8601 with the date and the UTC offset for JSON
 * (2026-12-07T11:42:02.123456+0000), which a log pipeline can order across
 * days and hosts.
 */
static void format_time(__u64 ns, char *buf, size_t size)
{
	__s64 wall = (__s64)ns + realtime_offset;
	time_t seconds = wall / 1000000000LL;
	struct tm tm;
	size_t n;

	localtime_r(&seconds, &tm);
	n = strftime(buf, size, env.json ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S", &tm);
	n += snprintf(buf + n, size - n, ".%06lld",
		      (long long)(wall % 1000000000LL) / 1000);
	if (env.json && n < size)
		strftime(buf + n, size - n, "%z", &tm);
}

static void counter_name(__u32 counter, char *buf, size_t size)
{
	if (counter == POT_CYCLE_COUNTER)
		snprintf(buf, size, "cycle");
	else
		snprintf(buf, size, "ev%u", counter);
}

static const char *kind_name(__u8 kind, bool injected)
{
	switch (kind) {
	case POT_DELIVERED:
		return injected ? "delivered" : "not-injected";
	case POT_LOST:
		return "lost";
	case POT_UNACKED:
		return "unacknowledged";
	case POT_DUPLICATE:
		return "duplicate";
	}
	return "unknown";
}

static const char *reason_name(__u8 reason)
{
	switch (reason) {
	case POT_REASON_SUPERSEDED:
		return "new-overflow";
	case POT_REASON_VM_GONE:
		return "vm-gone";
	case POT_REASON_RESET:
		return "vcpu-reset";
	case POT_REASON_STORE:
		return "vmm-store";
	}
	return NULL;
}

static void print_header(void)
{
	if (env.json || env.histogram)
		return;
	printf("%-15s %-7s %-4s %-4s %-7s %-4s %-4s %12s %12s %s\n", "TIME", "VMM",
	       "VM", "VCPU", "COUNTER", "CPU", "PATH", "IRQ->INJ(us)",
	       "INJ->ACK(us)", "NOTE");
}

/* A finished delivery, or one that went wrong, as a line. */
static void print_record(const struct pot_record *r)
{
	bool injected = r->inject_ns != 0;
	bool acked = r->kind == POT_DELIVERED;
	/* Injected by the exit that found it: no interval to measure. */
	bool timed = injected && !r->same_exit;
	__u64 when = acked ? r->ack_ns : r->event_ns;
	__u64 to_inject = 0, to_ack = 0, overflow_to_ack = 0;
	const char *path = r->path == POT_PATH_EXIT ? "exit" : "irq";
	const char *reason = reason_name(r->reason);
	char time[48], counter[16], a[24], b[24];

	if (timed && r->inject_ns > r->overflow_ns)
		to_inject = r->inject_ns - r->overflow_ns;
	if (acked && injected && r->ack_ns > r->inject_ns)
		to_ack = r->ack_ns - r->inject_ns;
	if (acked && r->ack_ns > r->overflow_ns)
		overflow_to_ack = r->ack_ns - r->overflow_ns;
	format_time(when, time, sizeof(time));
	counter_name(r->counter, counter, sizeof(counter));

	if (env.json) {
		printf("{\"type\":\"delivery\",\"time\":\"%s\",\"timestamp_ns\":%llu,"
		       "\"status\":\"%s\",", time, (unsigned long long)when,
		       kind_name(r->kind, injected));
		if (reason)
			printf("\"reason\":\"%s\",", reason);
		printf("\"vmm\":%u,\"vm\":%u,\"vcpu\":%d,\"counter\":%u,"
		       "\"counter_name\":\"%s\",\"cpu\":%u,\"path\":\"%s\","
		       "\"overflow_ns\":%llu,", r->vmm, r->vm, r->vcpu, r->counter,
		       counter, r->cpu, path, (unsigned long long)r->overflow_ns);
		if (timed)
			printf("\"irq_to_inject_ns\":%llu,",
			       (unsigned long long)to_inject);
		else
			printf("\"irq_to_inject_ns\":null,");
		if (acked && injected)
			printf("\"inject_to_ack_ns\":%llu,", (unsigned long long)to_ack);
		else
			printf("\"inject_to_ack_ns\":null,");
		if (acked)
			printf("\"overflow_to_ack_ns\":%llu,",
			       (unsigned long long)overflow_to_ack);
		else
			printf("\"overflow_to_ack_ns\":null,");
		printf("\"coalesced\":%llu}\n", (unsigned long long)r->coalesced);
		return;
	}

	if (timed)
		snprintf(a, sizeof(a), "%.3f", to_inject / 1000.0);
	else
		snprintf(a, sizeof(a), "-");
	if (acked && injected)
		snprintf(b, sizeof(b), "%.3f", to_ack / 1000.0);
	else
		snprintf(b, sizeof(b), "-");
	printf("%-15s %-7u %-4u %-4d %-7s %-4u %-4s %12s %12s", time, r->vmm, r->vm,
	       r->vcpu, counter, r->cpu, path, a, b);
	switch (r->kind) {
	case POT_DELIVERED:
		if (!injected)
			printf(" not injected; acknowledged %.3f us after the overflow",
			       overflow_to_ack / 1000.0);
		break;
	case POT_LOST:
	case POT_UNACKED:
		printf(" %s: %s", r->kind == POT_LOST ? "LOST" : "UNACKNOWLEDGED",
		       r->reason == POT_REASON_VM_GONE ? "its VM went away" :
		       r->reason == POT_REASON_RESET ? "the vCPU was reset" :
		       r->reason == POT_REASON_STORE ?
		       "the VMM's store cleared the flag" :
		       "the counter overflowed anew");
		break;
	case POT_DUPLICATE:
		printf(" DUPLICATE injection");
		break;
	}
	if (r->coalesced)
		printf(" (+%llu coalesced)", (unsigned long long)r->coalesced);
	putchar('\n');
}

static int handle_record(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (size >= sizeof(struct pot_record))
		print_record(data);
	return 0;
}

static struct tally *tally_of(const struct pot_vcpu_key *key)
{
	static const struct pot_vcpu_key folded = { .vmm = 0, .vm = 0, .vcpu = -1 };
	struct tally *t;
	size_t i;

	for (i = 0; i < tally_count; i++)
		if (tallies[i].key.vmm == key->vmm && tallies[i].key.vm == key->vm &&
		    tallies[i].key.vcpu == key->vcpu)
			return &tallies[i];
	if (tally_count >= MAX_TALLIES && key->vcpu != -1) {
		tallies_folded = true;
		return tally_of(&folded);
	}
	t = realloc(tallies, (tally_count + 1) * sizeof(*t));
	if (!t) {
		fail("out of memory");
		exit(1);
	}
	tallies = t;
	t = &tallies[tally_count++];
	memset(t, 0, sizeof(*t));
	t->key = *key;
	return t;
}

static void stats_add(struct pot_vcpu_stats *to, const struct pot_vcpu_stats *from)
{
	to->overflows += from->overflows;
	to->coalesced += from->coalesced;
	to->injected += from->injected;
	to->acknowledged += from->acknowledged;
	to->acked_no_inject += from->acked_no_inject;
	to->lost += from->lost;
	to->unacked += from->unacked;
	to->duplicates += from->duplicates;
	to->untracked += from->untracked;
	to->unexpected += from->unexpected;
}

/*
 * Whether VM vmm.vm still exists: its sysfs directory goes away with it.
 * When the module's vm/ directory cannot be read at all, every VM counts
 * as present (nothing is then called lost for being gone).
 */
static bool vm_present(__u32 vmm, __u32 vm)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/kernel/" MODULE "/vm", sysfs);
	if (stat(path, &st))
		return true;
	snprintf(path, sizeof(path), "%s/kernel/" MODULE "/vm/%u.%u", sysfs, vmm, vm);
	return stat(path, &st) == 0 || errno != ENOENT;
}

/* The VMs one prune() pass looked up: one stat() each, not one per key. */
struct vm_lookups {
	struct vm_lookup {
		__u32 vmm;
		__u32 vm;
		bool present;
	} *vms;
	size_t count;
};

static bool vm_present_cached(struct vm_lookups *seen, __u32 vmm, __u32 vm)
{
	struct vm_lookup *grown;
	bool present;
	size_t i;

	for (i = 0; i < seen->count; i++)
		if (seen->vms[i].vmm == vmm && seen->vms[i].vm == vm)
			return seen->vms[i].present;
	present = vm_present(vmm, vm);
	grown = realloc(seen->vms, (seen->count + 1) * sizeof(*grown));
	if (grown) {
		seen->vms = grown;
		seen->vms[seen->count++] = (struct vm_lookup){ vmm, vm, present };
	}
	return present;
}

/*
 * Ends the deliveries of VMs that went away (lost when never injected,
 * unacknowledged when injected) and moves their vCPUs' counts here, which
 * keeps the maps small. At exit (final), counts the deliveries of live
 * VMs that are in flight.
 */
static int prune(struct pmu_overflow_trace_bpf *skel, bool final)
{
	int dfd = bpf_map__fd(skel->maps.deliveries);
	int sfd = bpf_map__fd(skel->maps.vcpu_stats);
	struct pot_delivery_key dkey, *dkeys = NULL;
	struct pot_vcpu_key skey, *skeys = NULL;
	struct vm_lookups seen = {};
	size_t n = 0, cap = 0, i;
	void *prev;
	int err = 0;

	for (prev = NULL; !bpf_map_get_next_key(dfd, prev, &dkey); prev = &dkeys[n - 1]) {
		if (n == cap) {
			void *grown = realloc(dkeys, (cap = cap * 2 + 64) * sizeof(dkey));

			if (!grown) {
				err = -ENOMEM;
				goto out;
			}
			dkeys = grown;
		}
		dkeys[n++] = dkey;
	}
	for (i = 0; i < n; i++) {
		struct pot_vcpu_key vkey = {
			.vmm = dkeys[i].vmm, .vm = dkeys[i].vm, .vcpu = dkeys[i].vcpu,
		};
		struct pot_delivery d;
		struct pot_record r;

		if (bpf_map_lookup_elem(dfd, &dkeys[i], &d))
			continue;
		if (vm_present_cached(&seen, dkeys[i].vmm, dkeys[i].vm)) {
			if (final && d.phase != POT_DONE)
				tally_of(&vkey)->in_flight++;
			continue;
		}
		bpf_map_delete_elem(dfd, &dkeys[i]);
		if (d.phase == POT_DONE)
			continue;
		if (d.phase == POT_INJECTED)
			tally_of(&vkey)->stats.unacked++;
		else
			tally_of(&vkey)->stats.lost++;
		if (env.histogram)
			continue;
		memset(&r, 0, sizeof(r));
		r.overflow_ns = d.overflow_ns;
		r.inject_ns = d.inject_ns;
		r.event_ns = monotonic_ns();
		r.coalesced = d.coalesced;
		r.vmm = dkeys[i].vmm;
		r.vm = dkeys[i].vm;
		r.vcpu = dkeys[i].vcpu;
		r.counter = dkeys[i].counter;
		r.cpu = d.cpu;
		r.kind = d.phase == POT_INJECTED ? POT_UNACKED : POT_LOST;
		r.reason = POT_REASON_VM_GONE;
		r.path = d.path;
		print_record(&r);
	}

	/* The counts of vCPUs of VMs gone. */
	n = cap = 0;
	for (prev = NULL; !bpf_map_get_next_key(sfd, prev, &skey); prev = &skeys[n - 1]) {
		if (n == cap) {
			void *grown = realloc(skeys, (cap = cap * 2 + 64) * sizeof(skey));

			if (!grown) {
				err = -ENOMEM;
				goto out;
			}
			skeys = grown;
		}
		skeys[n++] = skey;
	}
	for (i = 0; i < n; i++) {
		struct pot_vcpu_stats s;
		struct tally *t;

		if (vm_present_cached(&seen, skeys[i].vmm, skeys[i].vm))
			continue;
		if (bpf_map_lookup_elem(sfd, &skeys[i], &s))
			continue;
		bpf_map_delete_elem(sfd, &skeys[i]);
		t = tally_of(&skeys[i]);
		stats_add(&t->stats, &s);
		t->gone = true;
	}
out:
	free(dkeys);
	free(skeys);
	free(seen.vms);
	return err;
}

static void print_hist_text(const struct pot_hist_key *key, const struct pot_hist *h)
{
	static const char * const titles[POT_LATENCIES] = {
		[POT_IRQ_TO_INJECT] = "host interrupt -> injection",
		[POT_INJECT_TO_ACK] = "injection -> guest acknowledgement",
	};
	unsigned int max = 0, last = 0, i, j, stars;
	const int width = 40;

	for (i = 0; i < POT_HIST_SLOTS; i++) {
		if (h->slots[i] > max)
			max = h->slots[i];
		if (h->slots[i])
			last = i;
	}
	printf("\nVM %u.%u (VMM %u): %s\n", key->vmm, key->vm, key->vmm,
	       key->latency < POT_LATENCIES ? titles[key->latency] : "?");
	printf("%24s : %-10s distribution\n", "usecs", "count");
	if (!max)
		return;
	for (i = 0; i <= last; i++) {
		unsigned long long low = i ? 1ULL << i : 0;
		unsigned long long high = (1ULL << (i + 1)) - 1;

		stars = (unsigned long long)h->slots[i] * width / max;
		printf("%10llu -> %-10llu : %-10u |", low, high, h->slots[i]);
		for (j = 0; j < (unsigned int)width; j++)
			putchar(j < stars ? '*' : ' ');
		printf("|\n");
	}
}

static void print_hist_json(const struct pot_hist_key *key, const struct pot_hist *h,
			    const char *time)
{
	bool first = true;
	unsigned int i;

	printf("{\"type\":\"histogram\",\"time\":\"%s\",\"vmm\":%u,\"vm\":%u,"
	       "\"latency\":\"%s\",\"unit\":\"usecs\",\"buckets\":[", time, key->vmm,
	       key->vm, key->latency == POT_IRQ_TO_INJECT ? "irq_to_inject" :
	       "inject_to_ack");
	for (i = 0; i < POT_HIST_SLOTS; i++) {
		if (!h->slots[i])
			continue;
		printf("%s{\"low\":%llu,\"high\":%llu,\"count\":%u}", first ? "" : ",",
		       i ? 1ULL << i : 0ULL, (1ULL << (i + 1)) - 1, h->slots[i]);
		first = false;
	}
	printf("]}\n");
}

static int compare_hist_keys(const void *a, const void *b)
{
	const struct pot_hist_key *x = a, *y = b;

	if (x->vmm != y->vmm)
		return x->vmm < y->vmm ? -1 : 1;
	if (x->vm != y->vm)
		return x->vm < y->vm ? -1 : 1;
	return x->latency < y->latency ? -1 : x->latency > y->latency;
}

/* The histograms so far, per VM, then cleared. */
static int print_hists(struct pmu_overflow_trace_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.hists);
	struct pot_hist_key key, *keys = NULL;
	size_t n = 0, cap = 0, i;
	char time[48];
	void *prev;

	for (prev = NULL; !bpf_map_get_next_key(fd, prev, &key); prev = &keys[n - 1]) {
		if (n == cap) {
			void *grown = realloc(keys, (cap = cap * 2 + 16) * sizeof(key));

			if (!grown) {
				free(keys);
				return -ENOMEM;
			}
			keys = grown;
		}
		keys[n++] = key;
	}
	qsort(keys, n, sizeof(*keys), compare_hist_keys);
	format_time(monotonic_ns(), time, sizeof(time));
	if (!env.json)
		printf("\n%s\n", time);
	for (i = 0; i < n; i++) {
		struct pot_hist h;

		/* In one step: no count added in between is dropped. */
		if (bpf_map_lookup_and_delete_elem(fd, &keys[i], &h))
			continue;
		if (env.json)
			print_hist_json(&keys[i], &h, time);
		else
			print_hist_text(&keys[i], &h);
	}
	if (!env.json && !n)
		printf("no delivery acknowledged\n");
	fflush(stdout);
	free(keys);
	return 0;
}

static int compare_tallies(const void *a, const void *b)
{
	const struct tally *x = a, *y = b;

	if (x->key.vmm != y->key.vmm)
		return x->key.vmm < y->key.vmm ? -1 : 1;
	if (x->key.vm != y->key.vm)
		return x->key.vm < y->key.vm ? -1 : 1;
	return x->key.vcpu < y->key.vcpu ? -1 : x->key.vcpu > y->key.vcpu;
}

/*
 * Events the kernel did not run the programs for because another BPF
 * program was running on that CPU (the overflow event comes from the
 * host's PMU interrupt, which can interrupt one): each is a step missed,
 * which the counts then show as untracked or in flight.
 */
static __u64 recursion_misses(struct pmu_overflow_trace_bpf *skel)
{
	struct bpf_program *prog;
	__u64 misses = 0;

	bpf_object__for_each_program(prog, skel->obj) {
		struct bpf_prog_info info = {};
		__u32 length = sizeof(info);

		if (!bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &length))
			misses += info.recursion_misses;
	}
	return misses;
}

/* With -v: how much of the verifier's budget each program took. */
static void print_verified(struct pmu_overflow_trace_bpf *skel)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, skel->obj) {
		struct bpf_prog_info info = {};
		__u32 length = sizeof(info);

		if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &length))
			continue;
		fprintf(stderr, PROGRAM ": %s: %u instructions, %u verified\n",
			bpf_program__name(prog), info.xlated_prog_len / 8,
			info.verified_insns);
	}
}

/* Per vCPU: the maps' counts, those of VMs gone, what is in flight. */
static int print_summary(struct pmu_overflow_trace_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.vcpu_stats);
	__u64 misses = recursion_misses(skel);
	struct pot_vcpu_stats total = {};
	struct pot_vcpu_key key;
	__u64 in_flight = 0;
	size_t i, rows = 0;
	void *prev;

	for (prev = NULL; !bpf_map_get_next_key(fd, prev, &key); prev = &key) {
		struct pot_vcpu_stats s;

		if (!bpf_map_lookup_elem(fd, &key, &s))
			stats_add(&tally_of(&key)->stats, &s);
	}
	qsort(tallies, tally_count, sizeof(*tallies), compare_tallies);
	if (!env.json) {
		printf("\nDeliveries per vCPU (LOST: never injected nor acknowledged; "
		       "UNACKED: injected, never acknowledged; DUP: injected again "
		       "without an overflow; UNEXPECTED: steps the module never "
		       "emits in that order):\n");
		printf("%-7s %-4s %-4s %9s %9s %8s %8s %9s %9s %6s %7s %6s %9s %10s\n",
		       "VMM", "VM", "VCPU", "OVERFLOWS", "COALESCED", "INJECTED",
		       "ACKED", "NO-INJECT", "IN-FLIGHT", "LOST", "UNACKED", "DUP",
		       "UNTRACKED", "UNEXPECTED");
	}
	for (i = 0; i < tally_count; i++) {
		const struct tally *t = &tallies[i];
		const struct pot_vcpu_stats *s = &t->stats;

		/* Events seen, none counted (-c: all on other CPUs). */
		if (!(s->overflows | s->coalesced | s->injected | s->acknowledged |
		      s->lost | s->unacked | s->duplicates | s->untracked |
		      s->unexpected | t->in_flight))
			continue;
		rows++;
		stats_add(&total, s);
		in_flight += t->in_flight;
		if (env.json) {
			printf("{\"type\":\"summary\",\"vmm\":%u,\"vm\":%u,\"vcpu\":%d,"
			       "\"vm_gone\":%s,\"overflows\":%llu,\"coalesced\":%llu,"
			       "\"injected\":%llu,\"acknowledged\":%llu,"
			       "\"acknowledged_without_injection\":%llu,"
			       "\"in_flight\":%llu,\"lost\":%llu,\"unacknowledged\":%llu,"
			       "\"duplicates\":%llu,\"untracked\":%llu,"
			       "\"unexpected\":%llu}\n",
			       t->key.vmm, t->key.vm, t->key.vcpu,
			       t->gone || !vm_present(t->key.vmm, t->key.vm) ?
			       "true" : "false",
			       (unsigned long long)s->overflows,
			       (unsigned long long)s->coalesced,
			       (unsigned long long)s->injected,
			       (unsigned long long)s->acknowledged,
			       (unsigned long long)s->acked_no_inject,
			       (unsigned long long)t->in_flight,
			       (unsigned long long)s->lost, (unsigned long long)s->unacked,
			       (unsigned long long)s->duplicates,
			       (unsigned long long)s->untracked,
			       (unsigned long long)s->unexpected);
			continue;
		}
		printf("%-7u %-4u %-4d %9llu %9llu %8llu %8llu %9llu %9llu %6llu %7llu %6llu %9llu %10llu\n",
		       t->key.vmm, t->key.vm, t->key.vcpu,
		       (unsigned long long)s->overflows, (unsigned long long)s->coalesced,
		       (unsigned long long)s->injected,
		       (unsigned long long)s->acknowledged,
		       (unsigned long long)s->acked_no_inject,
		       (unsigned long long)t->in_flight, (unsigned long long)s->lost,
		       (unsigned long long)s->unacked, (unsigned long long)s->duplicates,
		       (unsigned long long)s->untracked,
		       (unsigned long long)s->unexpected);
	}
	if (env.json) {
		printf("{\"type\":\"totals\",\"vcpus\":%zu,\"overflows\":%llu,"
		       "\"coalesced\":%llu,\"injected\":%llu,\"acknowledged\":%llu,"
		       "\"acknowledged_without_injection\":%llu,\"in_flight\":%llu,"
		       "\"lost\":%llu,\"unacknowledged\":%llu,\"duplicates\":%llu,"
		       "\"untracked\":%llu,\"unexpected\":%llu,"
		       "\"records_dropped\":%llu,\"map_full\":%llu,"
		       "\"recursion_misses\":%llu}\n", rows,
		       (unsigned long long)total.overflows,
		       (unsigned long long)total.coalesced,
		       (unsigned long long)total.injected,
		       (unsigned long long)total.acknowledged,
		       (unsigned long long)total.acked_no_inject,
		       (unsigned long long)in_flight, (unsigned long long)total.lost,
		       (unsigned long long)total.unacked,
		       (unsigned long long)total.duplicates,
		       (unsigned long long)total.untracked,
		       (unsigned long long)total.unexpected,
		       (unsigned long long)skel->bss->ringbuf_drops,
		       (unsigned long long)skel->bss->map_full,
		       (unsigned long long)misses);
	} else if (!rows) {
		printf("no overflow traced\n");
	}
	if (skel->bss->ringbuf_drops)
		fail("warning: %llu records lost: the ring buffer was full",
		     (unsigned long long)skel->bss->ringbuf_drops);
	if (skel->bss->map_full)
		fail("warning: %llu map updates failed (maps full): counts are low",
		     (unsigned long long)skel->bss->map_full);
	if (misses)
		fail("warning: %llu events missed: another BPF program was running "
		     "on their CPU (the kernel runs one at a time per CPU)",
		     (unsigned long long)misses);
	if (total.unexpected)
		fail("warning: %llu steps out of the module's order (a second "
		     "acknowledgement, an overflow coalesced into or a drop of an "
		     "acknowledged delivery): a " MODULE " defect; please report it "
		     "with this output", (unsigned long long)total.unexpected);
	fflush(stdout);
	if (tallies_folded)
		fail("warning: more than %d vCPUs: those past it are in one row "
		     "(VMM 0, VM 0, vCPU -1)", MAX_TALLIES);
	/* Counts or lines missing: say so in the exit status too. */
	return skel->bss->ringbuf_drops || skel->bss->map_full || misses ? 3 : 0;
}

/* The records the programs read, and their fields (module/trace.h). */
static const struct {
	const char *type;
	const char *fields[8];
} needed[] = {
	{ "trace_event_raw_kvm_pmu_partition_overflow",
	  { "vmm", "vm", "vcpu_id", "cpu", "counters", "coalesced",
	    "__data_loc_path" } },
	{ "trace_event_raw_kvm_pmu_partition_inject",
	  { "vmm", "vm", "vcpu_id", "cpu", "counters", "same_exit" } },
	{ "trace_event_raw_kvm_pmu_partition_acknowledge",
	  { "vmm", "vm", "vcpu_id", "cpu", "counters", "delay_ns" } },
	{ "trace_event_raw_kvm_pmu_partition_drop",
	  { "vmm", "vm", "vcpu_id", "cpu", "counters", "__data_loc_reason" } },
};

static bool has_member(const struct btf *btf, const struct btf_type *t,
		       const char *name)
{
	const struct btf_member *m = btf_members(t);
	int i;

	for (i = 0; i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), name))
			return true;
	return false;
}

static void read_version(char *buf, size_t size)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(buf, size, "<version>");
	snprintf(path, sizeof(path), "%s/module/" MODULE "/version", sysfs);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, size, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/*
 * Before loading: the module is loaded, the kernel and the module have
 * BTF, and the module's records have the fields the programs read. Prints
 * one line and returns nonzero when not.
 */
static int preflight(void)
{
	char path[PATH_MAX], base_path[PATH_MAX], version[64];
	struct btf *base = NULL, *btf = NULL;
	struct stat st;
	size_t i, j;
	int err = 1;

	snprintf(path, sizeof(path), "%s/module/" MODULE, sysfs);
	if (stat(path, &st)) {
		fail("the " MODULE " module is not loaded (%s: %s): load it with modprobe "
		     MODULE, path, strerror(errno));
		return 1;
	}
	snprintf(base_path, sizeof(base_path), "%s/kernel/btf/vmlinux", sysfs);
	if (stat(base_path, &st)) {
		fail("%s: %s: this kernel has no BTF; it needs CONFIG_DEBUG_INFO_BTF=y",
		     base_path, strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/kernel/btf/" MODULE, sysfs);
	if (stat(path, &st)) {
		read_version(version, sizeof(version));
		fail("%s: %s: the module was built without BTF; install dwarves (pahole), "
		     "rebuild it with DKMS for the running kernel (dkms build --force "
		     "kvm-pmu-partition/%s && dkms install --force kvm-pmu-partition/%s) "
		     "and reload it", path, strerror(errno), version, version);
		return 1;
	}
	base = btf__parse(base_path, NULL);
	if (!base) {
		fail("cannot read the kernel's BTF %s: %s", base_path, error_text(errno));
		return 1;
	}
	btf = btf__parse_split(path, base);
	if (!btf) {
		fail("cannot read the module's BTF %s: %s", path, error_text(errno));
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(needed); i++) {
		__s32 id = btf__find_by_name_kind(btf, needed[i].type, BTF_KIND_STRUCT);
		const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
		const char *missing = NULL;

		for (j = 0; t && !missing && j < ARRAY_SIZE(needed[i].fields) &&
			    needed[i].fields[j]; j++)
			if (!has_member(btf, t, needed[i].fields[j]))
				missing = needed[i].fields[j];
		if (!t || missing) {
			fail("the loaded " MODULE " is older than this tracer: its BTF has no "
			     "%s%s%s; install and load the module of the tracer's version "
			     "(%s)", needed[i].type, missing ? " field " : "",
			     missing ? missing : "", PMU_OVERFLOW_TRACE_VERSION);
			goto out;
		}
	}
	err = 0;
out:
	btf__free(btf);
	btf__free(base);
	return err;
}

/*
 * Attaches the four programs, the overflow one last: the module begins a
 * tracing session when the overflow tracepoint gets its first probe, and
 * follows no delivery under way then, so that the programs, already
 * following (main() set tracing), see every delivery whole. If another
 * consumer already holds the overflow tracepoint, a delivery under way is
 * seen from its later steps only, which the summary counts as untracked,
 * never as a step missing (lost, not injected). The links go into the
 * skeleton, so that detach_programs() can stop all four before the
 * summary.
 */
static int attach_programs(struct pmu_overflow_trace_bpf *skel)
{
	struct {
		struct bpf_program *prog;
		struct bpf_link **link;
	} order[] = {
		{ skel->progs.handle_drop, &skel->links.handle_drop },
		{ skel->progs.handle_acknowledge, &skel->links.handle_acknowledge },
		{ skel->progs.handle_inject, &skel->links.handle_inject },
		{ skel->progs.handle_overflow, &skel->links.handle_overflow },
	};
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const char *section = bpf_program__section_name(order[i].prog);
		int err;

		*order[i].link = bpf_program__attach(order[i].prog);
		if (*order[i].link)
			continue;
		err = errno;
		if (stat("/sys/kernel/tracing/events", &st) &&
		    stat("/sys/kernel/debug/tracing/events", &st))
			fail("cannot attach to %s: %s: tracefs is not mounted "
			     "(mount -t tracefs tracefs /sys/kernel/tracing)", section,
			     strerror(err));
		else
			fail("cannot attach to %s: %s%s", section, strerror(err),
			     err == ENOENT ? " (the module has no such tracepoint)" : "");
		return 1;
	}
	return 0;
}

/*
 * Stops the programs before the summary, all four at one instant (tracing
 * cleared: no step of a delivery is seen without the ones after it), so
 * that the last drain of the ring buffer and the counts the summary reads
 * no longer move: every delivery line printed is in the summary's counts,
 * and OVERFLOWS = ACKED + IN-FLIGHT + LOST + UNACKED holds on a running
 * VM too.
 */
static void detach_programs(struct pmu_overflow_trace_bpf *skel)
{
	struct bpf_link **links[] = {
		&skel->links.handle_overflow,
		&skel->links.handle_inject,
		&skel->links.handle_acknowledge,
		&skel->links.handle_drop,
	};
	size_t i;

	skel->bss->tracing = false;
	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		bpf_link__destroy(*links[i]);
		*links[i] = NULL;
	}
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		.options = opts,
		.parser = parse_arg,
		.args_doc = "[interval] [count]",
		.doc = argp_program_doc,
	};
	struct pmu_overflow_trace_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	__u64 now, next_prune, next_interval = 0;
	struct timespec real, mono;
	const char *root;
	int err;

	argp_err_exit_status = 2;
	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return 2;
	root = getenv(SYSFS_ENV);
	if (root && *root)
		sysfs = root;
	libbpf_set_print(libbpf_print);

	if (preflight())
		return 1;

	skel = pmu_overflow_trace_bpf__open();
	if (!skel) {
		fail("cannot open the BPF object: %s", strerror(errno));
		return 1;
	}
	skel->rodata->target_vmm = env.pid;
	skel->rodata->target_cpu = env.cpu;
	skel->rodata->target_vcpu = env.vcpu;
	skel->rodata->histogram = env.histogram;
	err = pmu_overflow_trace_bpf__load(skel);
	if (err) {
		err = -err;
		fail("cannot load the BPF programs: %s%s", error_text(err),
		     err == EPERM ? " (it needs root: CAP_BPF and CAP_PERFMON)" :
		     env.verbose ? "" : " (-v shows libbpf's messages)");
		err = 1;
		goto out;
	}
	if (env.verbose)
		print_verified(skel);
	skel->bss->tracing = true;
	if (attach_programs(skel)) {
		err = 1;
		goto out;
	}
	if (!env.histogram) {
		rb = ring_buffer__new(bpf_map__fd(skel->maps.events), handle_record,
				      NULL, NULL);
		if (!rb) {
			fail("cannot create the ring buffer: %s", strerror(errno));
			err = 1;
			goto out;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	realtime_offset = (real.tv_sec - mono.tv_sec) * 1000000000LL +
			  (real.tv_nsec - mono.tv_nsec);

	fprintf(env.json ? stderr : stdout,
		"Tracing guest PMU overflow deliveries%s... Hit Ctrl-C to end.\n",
		env.histogram ? " (histograms)" : "");
	print_header();
	fflush(stdout);

	now = monotonic_ns();
	next_prune = now + PRUNE_NS;
	if (env.interval)
		next_interval = now + env.interval * 1000000000ULL;
	err = 0;
	while (!exiting) {
		if (rb) {
			err = ring_buffer__poll(rb, 100);
			if (err < 0 && err != -EINTR) {
				fail("cannot read the ring buffer: %s", strerror(-err));
				err = 1;
				goto out;
			}
			err = 0;
			fflush(stdout);
		} else {
			usleep(100000);
		}
		now = monotonic_ns();
		if (now >= next_prune) {
			prune(skel, false);
			next_prune = now + PRUNE_NS;
		}
		if (env.interval && now >= next_interval) {
			if (env.histogram)
				print_hists(skel);
			if (env.count > 0 && --env.count == 0)
				break;
			next_interval += env.interval * 1000000000ULL;
		}
	}
	detach_programs(skel);
	if (rb)
		ring_buffer__consume(rb);
	prune(skel, true);
	/* Ctrl-C ends an interval early: print what it holds. */
	if (env.histogram && (exiting || !env.interval))
		print_hists(skel);
	err = print_summary(skel);
out:
	ring_buffer__free(rb);
	pmu_overflow_trace_bpf__destroy(skel);
	free(tallies);
	return err;
}
