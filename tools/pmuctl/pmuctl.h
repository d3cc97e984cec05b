/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pmuctl.h - declarations shared by the pmuctl command objects.
 *
 * Owns: the global output options, the exit status values, error reporting
 * (p_err), the in-memory state read from sysfs and the entry points of the
 * "module", "pmu" and "vm" objects.
 */
#ifndef PMUCTL_H
#define PMUCTL_H

#include <linux/kvm_pmu_partition.h>
#include <stdbool.h>
#include <stddef.h>

#include "json.h"

#ifndef PMUCTL_VERSION
#define PMUCTL_VERSION "0.1.0"
#endif

#define PMUCTL_DEFAULT_SYSFS_ROOT KVM_PMU_PARTITION_SYSFS_DIR

/* Exit status values, documented in pmuctl.8. */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

extern bool json_output;
extern bool pretty_output;

/* Print one "Error: ..." line on stderr. */
void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Return the module's sysfs root, or NULL after printing an error when the
 * module is not loaded or the root is not a readable directory.
 */
const char *pmuctl_sysfs_root(void);

/* Check that no arguments are left after a verb; returns 0 or EXIT_USAGE. */
int pmuctl_no_more_args(int argc, char **argv);

/* Flush stdout and report write errors; returns EXIT_OK or EXIT_FAIL. */
int pmuctl_finish_output(void);

/* State of the module, from the files at the top of the sysfs root. */
struct module_state {
	char version[64];
	unsigned long abi_version;
	char default_mode[64];
	char fgt[64];
	bool fgt_present;
	unsigned long reserved_host_counters;
	unsigned long vms;
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
void pmu_list_free(struct pmu_list *list);
void pmu_list_print_plain(const struct pmu_list *list);
/* Write the PMUs as a JSON array. */
void pmu_list_write_json(struct json_writer *w, const struct pmu_list *list);

#define VM_NAME_SIZE		256
#define VM_MODE_SIZE		64
#define VCPU_BACKING_PMU_SIZE	256

/* One vCPU of a VM, from vm/<pid>.<serial>/vcpu<id>/. */
struct vcpu_info {
	unsigned long id;
	char backing_pmu[VCPU_BACKING_PMU_SIZE];	/* a PMU name or "none" */
	unsigned long long loads;
	unsigned long long backing_switches;
};

/* One VM that went through the module, from vm/<pid>.<serial>/. */
struct vm_info {
	char name[VM_NAME_SIZE];
	unsigned long pid;
	char mode[VM_MODE_SIZE];
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
/* The table, or "no VMs". */
void vm_list_print_plain(const struct vm_list *list);
/* Write the VMs as a JSON array. */
void vm_list_write_json(struct json_writer *w, const struct vm_list *list);

/* Object entry points: ARGV[0] is the verb, if any. */
int do_module(int argc, char **argv);
int do_pmu(int argc, char **argv);
int do_vm(int argc, char **argv);

#endif /* PMUCTL_H */
