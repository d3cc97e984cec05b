// SPDX-License-Identifier: GPL-2.0
/*
 * cpu.c - the "cpu" object: each host CPU's PMU and who owns it.
 *
 * Owns: listing ROOT/cpus/ (a missing cpus/ is a module older than 0.2.0:
 * no CPUs), reading each cpu<n>/ directory (pmu, owner, and last_owner,
 * which older modules do not have) in number order,
 * skipping a CPU whose files vanish while they are read, printing them as a
 * table or as the JSON "cpus" array, and what "pmuctl cpu" shows and its
 * help text (pmuctl.c runs the verbs).
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

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

/* sysfs_read_dir() reader: the cpu<n>/ directory NAME, at PATH, into ELEMENT. */
static int cpu_read(const char *path, const char *name, void *element, void *context)
{
	struct cpu_info *cpu = element;
	int ret;

	(void)context;			/* every CPU is read */
	parse_index_name(name, "cpu", &cpu->cpu);
	ret = sysfs_try_read_string(path, "pmu", cpu->pmu, sizeof(cpu->pmu));
	if (!ret)
		ret = sysfs_try_read_string(path, "owner", cpu->owner, sizeof(cpu->owner));
	if (!ret)
		ret = cpu_read_last_owner(path, cpu);
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
	struct sysfs_dir_array array;
	char cpus_dir[PATH_MAX];
	int ret;

	list->cpus = NULL;
	list->count = 0;
	if (sysfs_join(cpus_dir, sizeof(cpus_dir), root, "cpus"))
		return -1;
	ret = sysfs_read_dir(cpus_dir, &cpu_dir_reader, NULL, &array);
	/* SYSFS_GONE: a module older than the cpus/ directory, no CPU to show. */
	if (ret)
		return ret < 0 ? -1 : 0;
	list->cpus = array.elements;
	list->count = array.count;
	qsort(list->cpus, list->count, sizeof(*list->cpus), cpu_compare);
	return 0;
}

#define CPU_COLUMNS 4

/* The strings the cells of one table row point to. */
struct cpu_row_text {
	char cpu[24];
	char pmu[sizeof(((struct cpu_info *)0)->pmu)];
	char owner[sizeof(((struct cpu_info *)0)->owner)];
	char last_owner[sizeof(((struct cpu_info *)0)->last_owner)];
};

/* Fill CELLS, with TEXT, for CPU. */
static void cpu_fill_row(const struct cpu_info *cpu, struct cpu_row_text *text,
			 const char **cells)
{
	snprintf(text->cpu, sizeof(text->cpu), "%lu", cpu->cpu);
	cells[0] = text->cpu;
	cells[1] = sanitize(cpu->pmu, text->pmu, sizeof(text->pmu));
	cells[2] = sanitize(cpu->owner, text->owner, sizeof(text->owner));
	cells[3] = cpu->last_owner[0] ?
		   sanitize(cpu->last_owner, text->last_owner, sizeof(text->last_owner)) :
		   "-";
}

void cpu_list_print_plain(const struct cpu_list *list)
{
	static const char *const headers[CPU_COLUMNS] = {
		"CPU", "PMU", "OWNER", "LAST OWNER",
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
		"  pmuctl cpu show   list the host CPUs: the host PMU of each, its owner:\n"
		"                    \"free\", or the partitioned vCPU whose PMU state is in\n"
		"                    the CPU's registers now (<pid>.<serial>/vcpu<id>), and\n"
		"                    its last owner: the partitioned vCPU whose PMU state\n"
		"                    it held last, or \"none\"\n"
		"  pmuctl cpu help   show this help\n"
		"\n"
		"A vCPU owns a CPU only while it is loaded there (in KVM_RUN, and from its\n"
		"first PMU access while its PMU is idle): between two runs every CPU is\n"
		"free, and LAST OWNER says which vCPU ran there.\n"
		"\"pmuctl cpu\" alone is \"pmuctl cpu show\".\n"
		"OPTIONS := { -j|--json | -p|--pretty }\n",
};
