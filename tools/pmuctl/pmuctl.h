/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pmuctl.h - declarations shared by the pmuctl command objects.
 *
 * Owns: the global output options, the exit status values, error reporting
 * (p_err, as a line on stderr or, with -j, as JSON on stdout), the
 * in-memory state read from sysfs, the shared "show" and verb drivers of
 * the objects, parsing a number argument, the "module", "pmu", "cpu" and
 * "vm" objects, and "pmuctl metrics".
 */
#ifndef PMUCTL_H
#define PMUCTL_H

#include <linux/kvm_pmu_partition.h>
#include <stdbool.h>
#include <stddef.h>

#include "json.h"
#include "sysfs.h"

#ifndef PMUCTL_VERSION
#define PMUCTL_VERSION "0.2.0"
#endif

#define PMUCTL_DEFAULT_SYSFS_ROOT KVM_PMU_PARTITION_SYSFS_DIR

#define ARRAY_SIZE(array) (sizeof(array) / sizeof((array)[0]))

#ifndef __printf
#define __printf(a, b) __attribute__((__format__(__printf__, a, b)))
#endif

/* Exit status values, documented in pmuctl.8. */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

extern bool json_output;
extern bool pretty_output;
/* -t/--traps: the text output of "vm show" and "show" adds the trap table. */
extern bool traps_output;

/*
 * Report an error: one "Error: ..." line on stderr or, with -j, the
 * object {"error": "..."} on stdout (stderr stays empty), as bpftool does.
 */
void p_err(const char *fmt, ...) __printf(1, 2);

/* pmuctl_find_sysfs_root(): the sysfs root does not exist. */
#define PMUCTL_NOT_LOADED 1

/*
 * Set *ROOT to the module's sysfs root (PMUCTL_SYSFS_ROOT, or the default)
 * and return 0 when it is a directory; PMUCTL_NOT_LOADED, printing
 * nothing, when it does not exist; -1 after printing an error when it
 * cannot be accessed or is not a directory.
 */
int pmuctl_find_sysfs_root(const char **root);

/*
 * Return the module's sysfs root, or NULL after printing an error when the
 * module is not loaded or the root is not a readable directory.
 */
const char *pmuctl_sysfs_root(void);

/* Check that no arguments are left after a verb; returns 0 or EXIT_USAGE. */
int pmuctl_no_more_args(int argc, char **argv);

/*
 * Flush stdout and report write errors (on stderr, also with -j: stdout
 * cannot take them); returns EXIT_OK or EXIT_FAIL.
 */
int pmuctl_finish_output(void);

/*
 * Parse ARG, the argument NAME of a command, as a decimal number from MIN
 * to MAX; WHAT says what it is ("a number of counters").  0, or EXIT_USAGE
 * after an error that tells a malformed number from one out of range
 * (negative, or too large).
 */
int pmuctl_parse_number(const char *name, const char *what, const char *arg,
			unsigned long min, unsigned long max, unsigned long *value);

/* State of the module, from the files at the top of the sysfs root. */
struct module_state {
	char version[64];
	unsigned long abi_version;
	char default_mode[64];
	char fgt[64];
	bool fgt_present;
	unsigned long reserved_host_counters;
	unsigned long vms;
	/* The partitioned PMU's files (0.2.0), absent with older modules. */
	char trap_policy[64];			/* "" when absent */
	struct sysfs_optional_bool fast_path;
	struct sysfs_optional_u64 partitioned_vms;
	struct sysfs_optional_bool counters_claimed;
};

int module_state_read(const char *root, struct module_state *state);
void module_state_print_plain(const struct module_state *state);
void module_state_write_json(struct json_writer *w, const struct module_state *state);

/* One host PMUv3 instance, from pmus/<name>/. */
struct pmu_info {
	char name[256];
	char cpus[8192];		/* a sysfs value is at most one page */
	unsigned int *cpu_list;
	size_t nr_cpus;
	unsigned long counters;
	bool cycle_counter;
	unsigned long reserved_host_counters;
	unsigned long guest_counters;
	unsigned long pmuver;
};

struct pmu_list {
	struct pmu_info *pmus;
	size_t count;
};

/* Read every PMU under ROOT/pmus, sorted by name. */
int pmu_list_read(const char *root, struct pmu_list *list);
/*
 * The smallest counters value of the PMUs under ROOT/pmus, without printing
 * anything: 0, or -1 when there is no PMU or one cannot be read.
 */
int pmu_smallest_counters(const char *root, unsigned long *counters);
void pmu_list_free(struct pmu_list *list);
void pmu_list_print_plain(const struct pmu_list *list);
/* Write the PMUs as a JSON array. */
void pmu_list_write_json(struct json_writer *w, const struct pmu_list *list);

/*
 * What a CPU's PMU is to partitioned guests, from its owner file and the
 * module's counters_claimed (the claim covers every CPU of every host PMU
 * at once: docs/partition.md).
 */
enum cpu_state {
	/* Not guest-owned, and the module has no counters_claimed file. */
	CPU_STATE_UNKNOWN,
	/* Nothing claimed (or no PMU): host perf may use every counter. */
	CPU_STATE_FREE,
	/* Counters [0, N) and the cycle counter claimed, no vCPU loaded. */
	CPU_STATE_RESERVED,
	/* A partitioned vCPU's PMU state is in the CPU's registers. */
	CPU_STATE_GUEST_OWNED,
};

/* One host CPU, from cpus/cpu<n>/. */
struct cpu_info {
	unsigned long cpu;
	char pmu[256];			/* a PMU name or "none" */
	char owner[512];		/* "free" or "<pid>.<serial>/vcpu<id>" */
	/* "none" or "<pid>.<serial>/vcpu<id>"; "" when absent (older modules) */
	char last_owner[512];
	enum cpu_state state;
	/*
	 * Reserved or guest-owned: N, the event counters [0, N) claimed for
	 * guests (pmus/<pmu>/guest_counters); absent when free, unknown, or
	 * the CPU has no PMU.
	 */
	bool has_claimed_counters;
	unsigned long claimed_counters;
};

struct cpu_list {
	struct cpu_info *cpus;		/* sorted by number */
	size_t count;
};

/*
 * Read every CPU under ROOT/cpus (none when cpus/ is missing: a module
 * older than 0.2.0), sorted by number, with its state: ROOT/counters_claimed
 * is read once, before the CPUs, and each CPU's owner file once.  CPUs whose
 * directory vanishes while they are read are left out.
 */
int cpu_list_read(const char *root, struct cpu_list *list);
void cpu_list_free(struct cpu_list *list);
/* The table, or "no CPUs listed". */
void cpu_list_print_plain(const struct cpu_list *list);
/* Write the CPUs as a JSON array. */
void cpu_list_write_json(struct json_writer *w, const struct cpu_list *list);

#define VM_NAME_SIZE		256
#define VM_MODE_SIZE		64
#define VCPU_BACKING_PMU_SIZE	256
#define VCPU_STATE_SIZE		64
#define VCPU_REGISTER_SIZE	32
/* Registers in a traps file; the module 0.2.0 lists 12. */
#define VCPU_TRAPS_MAX		32

/* Trapped accesses to one PMU register, a line of vcpu<id>/traps. */
struct vcpu_traps {
	char name[VCPU_REGISTER_SIZE];
	unsigned long long fast;	/* handled in the guest-exit path */
	unsigned long long full;	/* took a full exit */
};

/* One vCPU of a VM, from vm/<pid>.<serial>/vcpu<id>/. */
struct vcpu_info {
	unsigned long id;
	char backing_pmu[VCPU_BACKING_PMU_SIZE];	/* a PMU name or "none" */
	unsigned long long loads;
	unsigned long long backing_switches;
	/* The partitioned PMU's files (0.2.0), absent with older modules. */
	char state[VCPU_STATE_SIZE];	/* "free" or "guest-owned"; "" when absent */
	long cpu;			/* -1: not guest-owned, or absent */
	struct sysfs_optional_u64 swaps_in;
	struct sysfs_optional_u64 swaps_out;
	struct sysfs_optional_u64 overflows;
	bool has_traps;
	struct vcpu_traps traps[VCPU_TRAPS_MAX];	/* in the file's order */
	size_t nr_traps;
};

/* One VM that went through the module, from vm/<pid>.<serial>/. */
struct vm_info {
	char name[VM_NAME_SIZE];
	unsigned long pid;
	char mode[VM_MODE_SIZE];
	long hpmn;			/* -1: not partitioned, or absent */
	struct vcpu_info *vcpus;	/* sorted by id */
	size_t nr_vcpus;
};

struct vm_list {
	struct vm_info *vms;
	size_t count;
};

/*
 * Read every VM under ROOT/vm (none when vm/ is missing), sorted by name,
 * only those of process PID_FILTER unless it is 0.  VMs and vCPUs whose
 * directory vanishes while they are read are left out.
 */
int vm_list_read(const char *root, unsigned long pid_filter, struct vm_list *list);
void vm_list_free(struct vm_list *list);
/* The table, or "no VMs"; with traps_output, then the trap table. */
void vm_list_print_plain(const struct vm_list *list);
/* Write the VMs as a JSON array. */
void vm_list_write_json(struct json_writer *w, const struct vm_list *list);

/* What pmuctl_show() reads and prints. */
#define PMUCTL_SHOW_MODULE	0x1
#define PMUCTL_SHOW_PMUS	0x2
#define PMUCTL_SHOW_CPUS	0x4
#define PMUCTL_SHOW_VMS		0x8
#define PMUCTL_SHOW_ALL		(PMUCTL_SHOW_MODULE | PMUCTL_SHOW_PMUS | \
				 PMUCTL_SHOW_CPUS | PMUCTL_SHOW_VMS)

/* What pmuctl_state_read() read; the parts it was not asked for stay empty. */
struct pmuctl_state {
	struct module_state module;
	struct pmu_list pmus;
	struct cpu_list cpus;
	struct vm_list vms;
};

/*
 * Read PARTS of STATE from ROOT (of the VMs, only those of process PID
 * unless it is 0), in the order module, PMUs, CPUs, VMs, stopping at the
 * first failure: 0, or -1 after an error, STATE then empty.
 */
int pmuctl_state_read(const char *root, unsigned int parts, unsigned long pid,
		      struct pmuctl_state *state);
void pmuctl_state_free(struct pmuctl_state *state);

/*
 * The "show" verbs: check that no argument is left in ARGC/ARGV, read PARTS
 * from the sysfs root (of the VMs, only those of process PID unless it is
 * 0) and print them: one part alone as its table or JSON value, several as
 * the document of "pmuctl show".  Returns an exit status.
 */
int pmuctl_show(unsigned int parts, unsigned long pid, int argc, char **argv);

/* A command of the command line: an object, or a verb of one. */
struct pmuctl_cmd {
	const char *name;
	/* ARGC/ARGV are the arguments after the name. */
	int (*func)(int argc, char **argv);
};

/* An object of the command line, and its verbs. */
struct pmuctl_object {
	const char *name;
	/*
	 * Its verbs but "help", ended by a NULL name; the first one ("show")
	 * runs when there is no verb.
	 */
	const struct pmuctl_cmd *verbs;
	/* The text of "help". */
	const char *help;
};

/*
 * Does ARG name NAME?  The whole name or, as bpftool takes them, a prefix
 * of it ("pmuctl p s"); the first of a table that matches wins.
 */
bool pmuctl_is_prefix(const char *arg, const char *name);

/*
 * Run the verb ARGV[0] of OBJECT: one of its verbs (the first when there
 * is none), "help", or an error.  Returns an exit status.
 */
int pmuctl_run_object(const struct pmuctl_object *object, int argc, char **argv);

/* Print the help of OBJECT (with -j: null, as bpftool); an exit status. */
int pmuctl_object_help(const struct pmuctl_object *object);

/* The objects of the command line. */
extern const struct pmuctl_object module_object;
extern const struct pmuctl_object pmu_object;
extern const struct pmuctl_object cpu_object;
extern const struct pmuctl_object vm_object;

/* pmuctl pmu reserve N: ARGV[0] is N. */
int do_pmu_reserve(int argc, char **argv);

/*
 * pmuctl metrics: everything "pmuctl show" reads, in the Prometheus text
 * exposition format (metrics.c).
 */
int do_metrics(int argc, char **argv);

#endif /* PMUCTL_H */
