// SPDX-License-Identifier: GPL-2.0
/*
 * cpu.c - the "cpu" object: each host CPU's PMU and who owns it.
 *
 * Owns: listing ROOT/cpus/ (a missing cpus/ is a module older than 0.2.0:
 * no CPUs), reading each cpu<n>/ directory (pmu, owner, and last_owner,
 * which older modules do not have) in number order,
 * skipping a CPU whose files vanish while they are read, each CPU's state
 * (guest-owned, reserved for partitioned VMs, or free: from its owner, the
 * module's counters_claimed and its PMU's guest_counters), printing them as
 * a table or as the JSON "cpus" array, and what "pmuctl cpu" shows and its
 * help text (pmuctl.c runs the verbs).
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmuctl.h"
#include "sysfs.h"
#include "table.h"

/* scandir() filter: the cpu<n> entries; others are ignored. */
static int cpu_dirent_filter(const struct dirent *entry)
{
	unsigned long cpu;

	return !parse_index_name(entry->d_name, "cpu", &cpu);
}

static int cpu_compare(const void *a, const void *b)
{
	const struct cpu_info *x = a, *y = b;

	return (x->cpu > y->cpu) - (x->cpu < y->cpu);
}

/*
 * The vCPU whose PMU state the CPU at PATH held last, which modules before
 * it do not publish: absent unless the CPU itself is gone.  0, SYSFS_GONE
 * or -1.
 */
static int cpu_read_last_owner(const char *path, struct cpu_info *cpu)
{
	bool is_dir;

	if (sysfs_read_optional_string(path, "last_owner", cpu->last_owner,
				       sizeof(cpu->last_owner)))
		return -1;
	return cpu->last_owner[0] ? 0 : sysfs_stat_dir(path, &is_dir);
}

/* What every CPU's state is read against. */
struct cpu_read_context {
	const char *root;
	/* ROOT/counters_claimed, read once before the CPUs. */
	struct sysfs_optional_bool claimed;
};

/*
 * The guest counters of the PMU of CPU, at PATH, which its claim holds:
 * ROOT/pmus/<pmu>/guest_counters (HPMN: the claim is [0, HPMN) and the
 * cycle counter on every PMU).  0 or -1.
 */
static int cpu_read_claimed_counters(const char *root, const char *path,
				     struct cpu_info *cpu)
{
	char pmus[PATH_MAX], pmu_dir[PATH_MAX], shown[sizeof(cpu->pmu)];

	/* The module's PMU names are perf's: never a path of their own. */
	if (strchr(cpu->pmu, '/') || !strcmp(cpu->pmu, ".") || !strcmp(cpu->pmu, "..")) {
		p_err("invalid PMU name '%s' in %s/pmu",
		      sanitize(cpu->pmu, shown, sizeof(shown)), path);
		return -1;
	}
	if (sysfs_join(pmus, sizeof(pmus), root, "pmus") ||
	    sysfs_join(pmu_dir, sizeof(pmu_dir), pmus, cpu->pmu) ||
	    sysfs_read_ulong(pmu_dir, "guest_counters", &cpu->claimed_counters))
		return -1;
	cpu->has_claimed_counters = true;
	return 0;
}

/*
 * The state of CPU, at PATH, from the owner it read and CONTEXT's claim.
 * A guest-owned CPU has the claim (its vCPU's VM holds it), even when
 * counters_claimed, read earlier, said no: the claim came in between.  0
 * or -1.
 */
static int cpu_read_state(const struct cpu_read_context *context, const char *path,
			  struct cpu_info *cpu)
{
	bool has_pmu = strcmp(cpu->pmu, "none");

	if (strcmp(cpu->owner, "free"))
		cpu->state = CPU_STATE_GUEST_OWNED;
	else if (!context->claimed.present)
		cpu->state = CPU_STATE_UNKNOWN;
	else if (context->claimed.value && has_pmu)
		cpu->state = CPU_STATE_RESERVED;
	else
		cpu->state = CPU_STATE_FREE;
	if (!has_pmu || (cpu->state != CPU_STATE_GUEST_OWNED &&
			 cpu->state != CPU_STATE_RESERVED))
		return 0;
	return cpu_read_claimed_counters(context->root, path, cpu);
}

/* sysfs_read_dir() reader: the cpu<n>/ directory NAME, at PATH, into ELEMENT. */
static int cpu_read(const char *path, const char *name, void *element, void *context)
{
	struct cpu_info *cpu = element;
	int ret;

	parse_index_name(name, "cpu", &cpu->cpu);
	ret = sysfs_try_read_string(path, "pmu", cpu->pmu, sizeof(cpu->pmu));
	/* One read of owner: the vCPU loaded there, or free, at that time. */
	if (!ret)
		ret = sysfs_try_read_string(path, "owner", cpu->owner, sizeof(cpu->owner));
	if (!ret)
		ret = cpu_read_last_owner(path, cpu);
	if (!ret)
		ret = cpu_read_state(context, path, cpu);
	return ret;
}

static const struct sysfs_dir_reader cpu_dir_reader = {
	.filter = cpu_dirent_filter,
	.compare = NULL,		/* sorted by number afterwards */
	.only_dirs = true,
	.element_size = sizeof(struct cpu_info),
	.read_entry = cpu_read,
};

void cpu_list_free(struct cpu_list *list)
{
	free(list->cpus);
	list->cpus = NULL;
	list->count = 0;
}

int cpu_list_read(const char *root, struct cpu_list *list)
{
	struct cpu_read_context context = { .root = root };
	struct sysfs_dir_array array;
	char cpus_dir[PATH_MAX];
	int ret;

	list->cpus = NULL;
	list->count = 0;
	if (sysfs_join(cpus_dir, sizeof(cpus_dir), root, "cpus"))
		return -1;
	/*
	 * Once, for every CPU: a claim taken or given back while the CPUs
	 * are read shows on none of those without an owner, rather than on
	 * some of them (cpu_read_state()).
	 */
	if (sysfs_read_optional_bool(root, "counters_claimed", &context.claimed))
		return -1;
	ret = sysfs_read_dir(cpus_dir, &cpu_dir_reader, &context, &array);
	/* SYSFS_GONE: a module older than the cpus/ directory, no CPU to show. */
	if (ret)
		return ret < 0 ? -1 : 0;
	list->cpus = array.elements;
	list->count = array.count;
	qsort(list->cpus, list->count, sizeof(*list->cpus), cpu_compare);
	return 0;
}

#define CPU_COLUMNS 6

/* The STATE column, and the JSON "state" (NULL: null). */
static const char *cpu_state_name(enum cpu_state state)
{
	switch (state) {
	case CPU_STATE_FREE:
		return "free";
	case CPU_STATE_RESERVED:
		return "reserved";
	case CPU_STATE_GUEST_OWNED:
		return "guest-owned";
	case CPU_STATE_UNKNOWN:
		break;
	}
	return NULL;
}

/* The strings the cells of one table row point to. */
struct cpu_row_text {
	char cpu[24];
	char pmu[sizeof(((struct cpu_info *)0)->pmu)];
	char owner[sizeof(((struct cpu_info *)0)->owner)];
	char claimed[48];
	char last_owner[sizeof(((struct cpu_info *)0)->last_owner)];
};

/* Fill CELLS, with TEXT, for CPU. */
static void cpu_fill_row(const struct cpu_info *cpu, struct cpu_row_text *text,
			 const char **cells)
{
	const char *state = cpu_state_name(cpu->state);

	snprintf(text->cpu, sizeof(text->cpu), "%lu", cpu->cpu);
	cells[0] = text->cpu;
	cells[1] = sanitize(cpu->pmu, text->pmu, sizeof(text->pmu));
	cells[2] = state ? state : "-";
	cells[3] = cpu->state == CPU_STATE_GUEST_OWNED ?
		   sanitize(cpu->owner, text->owner, sizeof(text->owner)) : "-";
	if (cpu->has_claimed_counters)
		snprintf(text->claimed, sizeof(text->claimed), "[0,%lu)",
			 cpu->claimed_counters);
	else
		snprintf(text->claimed, sizeof(text->claimed), "-");
	cells[4] = text->claimed;
	cells[5] = cpu->last_owner[0] ?
		   sanitize(cpu->last_owner, text->last_owner, sizeof(text->last_owner)) :
		   "-";
}

void cpu_list_print_plain(const struct cpu_list *list)
{
	static const char *const headers[CPU_COLUMNS] = {
		"CPU", "PMU", "STATE", "OWNER", "CLAIMED", "LAST OWNER",
	};
	int widths[CPU_COLUMNS] = { 0 };
	const char *cells[CPU_COLUMNS];
	struct cpu_row_text text;
	size_t i;

	if (!list->count) {
		printf("no CPUs listed\n");
		return;
	}

	table_widen(widths, headers, CPU_COLUMNS);
	for (i = 0; i < list->count; i++) {
		cpu_fill_row(&list->cpus[i], &text, cells);
		table_widen(widths, cells, CPU_COLUMNS);
	}

	table_print_row(widths, headers, CPU_COLUMNS);
	for (i = 0; i < list->count; i++) {
		cpu_fill_row(&list->cpus[i], &text, cells);
		table_print_row(widths, cells, CPU_COLUMNS);
	}
}

void cpu_list_write_json(struct json_writer *w, const struct cpu_list *list)
{
	size_t i;

	json_start_array(w);
	for (i = 0; i < list->count; i++) {
		const struct cpu_info *cpu = &list->cpus[i];

		json_start_object(w);
		json_uint_field(w, "cpu", cpu->cpu);
		json_string_field(w, "pmu", cpu->pmu);
		json_string_field(w, "owner", cpu->owner);
		json_string_or_null_field(w, "last_owner",
					  cpu->last_owner[0] ? cpu->last_owner : NULL);
		/* Added after last_owner: members are only ever appended. */
		json_string_or_null_field(w, "state", cpu_state_name(cpu->state));
		json_uint_or_null_field(w, "claimed_counters", cpu->has_claimed_counters,
					cpu->claimed_counters);
		json_end_object(w);
	}
	json_end_array(w);
}

static int do_cpu_show(int argc, char **argv)
{
	return pmuctl_show(PMUCTL_SHOW_CPUS, 0, argc, argv);
}

static const struct pmuctl_cmd cpu_verbs[] = {
	{ "show",	do_cpu_show },
	{ NULL,		NULL },
};

const struct pmuctl_object cpu_object = {
	.name = "cpu",
	.verbs = cpu_verbs,
	.help = "Usage: pmuctl [OPTIONS] cpu { show | help }\n"
		"\n"
		"  pmuctl cpu show   list the host CPUs: the host PMU of each; its STATE:\n"
		"                    \"guest-owned\" (a partitioned vCPU's PMU state is\n"
		"                    in the CPU's registers: OWNER names it,\n"
		"                    <pid>.<serial>/vcpu<id>), \"reserved\" (the guest\n"
		"                    counters are claimed from host perf for\n"
		"                    partitioned VMs, but no vCPU is loaded there) or\n"
		"                    \"free\" (no claim: host perf has every counter);\n"
		"                    CLAIMED, the event counters [0,N) claimed (with\n"
		"                    the cycle counter); and its LAST OWNER: the\n"
		"                    partitioned vCPU whose PMU state it held last, or\n"
		"                    \"none\"\n"
		"  pmuctl cpu help   show this help\n"
		"\n"
		"The counters are claimed on every CPU while a partitioned VM exists; a\n"
		"vCPU owns a CPU only while it is loaded there (in KVM_RUN, and from its\n"
		"first PMU access while its PMU is idle): between two runs its CPU is\n"
		"reserved, and LAST OWNER says which vCPU ran there.\n"
		"\"pmuctl cpu\" alone is \"pmuctl cpu show\".\n"
		"OPTIONS := { -j|--json | -p|--pretty }\n",
};
