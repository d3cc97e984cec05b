// SPDX-License-Identifier: GPL-2.0
/*
 * cpu.c - the "cpu" object: each host CPU's PMU and who owns it.
 *
 * Owns: listing ROOT/cpus/ (a missing cpus/ is a module older than 0.2.0:
 * no CPUs), reading each cpu<n>/ directory (pmu, owner) in number order,
 * skipping a CPU whose files vanish while they are read, printing them as a
 * table or as the JSON "cpus" array, and the "pmuctl cpu" verbs.
 */
#include <dirent.h>
#include <errno.h>
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

/* Read CPUS_DIR/NAME into *CPU; 0, SYSFS_GONE (skip it) or -1. */
static int cpu_read(const char *cpus_dir, const char *name, struct cpu_info *cpu)
{
	char dir[PATH_MAX];
	bool is_dir;
	int ret;

	if (snprintf(dir, sizeof(dir), "%s/%s", cpus_dir, name) >= (int)sizeof(dir)) {
		p_err("path too long: %s/%s", cpus_dir, name);
		return -1;
	}
	ret = sysfs_stat_dir(dir, &is_dir);
	if (ret)
		return ret;
	if (!is_dir)
		return SYSFS_GONE;

	parse_index_name(name, "cpu", &cpu->cpu);
	ret = sysfs_try_read_string(dir, "pmu", cpu->pmu, sizeof(cpu->pmu));
	if (!ret)
		ret = sysfs_try_read_string(dir, "owner", cpu->owner, sizeof(cpu->owner));
	return ret;
}

void cpu_list_free(struct cpu_list *list)
{
	free(list->cpus);
	list->cpus = NULL;
	list->count = 0;
}

int cpu_list_read(const char *root, struct cpu_list *list)
{
	char cpus_dir[PATH_MAX];
	struct dirent **entries;
	int nr_entries, i, ret = -1;

	list->cpus = NULL;
	list->count = 0;

	if (snprintf(cpus_dir, sizeof(cpus_dir), "%s/cpus", root) >= (int)sizeof(cpus_dir)) {
		p_err("path too long: %s/cpus", root);
		return -1;
	}
	nr_entries = scandir(cpus_dir, &entries, cpu_dirent_filter, NULL);
	if (nr_entries < 0) {
		/* Modules older than the cpus/ directory: no CPU to show. */
		if (errno == ENOENT)
			return 0;
		p_err("cannot list %s: %s", cpus_dir, strerror(errno));
		return -1;
	}

	list->cpus = calloc(nr_entries ? nr_entries : 1, sizeof(*list->cpus));
	if (!list->cpus) {
		p_err("out of memory listing %s", cpus_dir);
		goto out;
	}
	for (i = 0; i < nr_entries; i++) {
		int err = cpu_read(cpus_dir, entries[i]->d_name, &list->cpus[list->count]);

		if (err < 0)
			goto out;
		if (!err)
			list->count++;
	}
	qsort(list->cpus, list->count, sizeof(*list->cpus), cpu_compare);
	ret = 0;
out:
	for (i = 0; i < nr_entries; i++)
		free(entries[i]);
	free(entries);
	if (ret)
		cpu_list_free(list);
	return ret;
}

#define CPU_COLUMNS 3

/* The strings the cells of one table row point to. */
struct cpu_row_text {
	char cpu[24];
	char pmu[sizeof(((struct cpu_info *)0)->pmu)];
	char owner[sizeof(((struct cpu_info *)0)->owner)];
};

/* Fill CELLS, with TEXT, for CPU. */
static void cpu_fill_row(const struct cpu_info *cpu, struct cpu_row_text *text,
			 const char **cells)
{
	snprintf(text->cpu, sizeof(text->cpu), "%lu", cpu->cpu);
	cells[0] = text->cpu;
	cells[1] = sanitize(cpu->pmu, text->pmu, sizeof(text->pmu));
	cells[2] = sanitize(cpu->owner, text->owner, sizeof(text->owner));
}

void cpu_list_print_plain(const struct cpu_list *list)
{
	static const char *const headers[CPU_COLUMNS] = { "CPU", "PMU", "OWNER" };
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
		json_end_object(w);
	}
	json_end_array(w);
}

static int do_cpu_show(int argc, char **argv)
{
	struct cpu_list list;
	struct json_writer w;
	const char *root;

	if (pmuctl_no_more_args(argc, argv))
		return EXIT_USAGE;
	root = pmuctl_sysfs_root();
	if (!root)
		return EXIT_FAIL;
	if (cpu_list_read(root, &list))
		return EXIT_FAIL;

	if (json_output) {
		json_writer_init(&w, stdout, pretty_output);
		cpu_list_write_json(&w, &list);
		json_writer_finish(&w);
	} else {
		cpu_list_print_plain(&list);
	}
	cpu_list_free(&list);
	return pmuctl_finish_output();
}

static int do_cpu_help(int argc, char **argv)
{
	if (pmuctl_no_more_args(argc, argv))
		return EXIT_USAGE;
	printf("Usage: pmuctl [OPTIONS] cpu { show | help }\n"
	       "\n"
	       "  pmuctl cpu show   list the host CPUs: the host PMU of each, and its owner:\n"
	       "                    \"free\", or the partitioned vCPU whose PMU state is in\n"
	       "                    the CPU's registers (<pid>.<serial>/vcpu<id>)\n"
	       "  pmuctl cpu help   show this help\n"
	       "\n"
	       "\"pmuctl cpu\" alone is \"pmuctl cpu show\".\n"
	       "OPTIONS := { -j|--json | -p|--pretty }\n");
	return pmuctl_finish_output();
}

int do_cpu(int argc, char **argv)
{
	if (argc < 1)
		return do_cpu_show(0, argv);
	if (!strcmp(argv[0], "show"))
		return do_cpu_show(argc - 1, argv + 1);
	if (!strcmp(argv[0], "help"))
		return do_cpu_help(argc - 1, argv + 1);
	p_err("unknown command '%s' for object 'cpu' (try: pmuctl cpu help)", argv[0]);
	return EXIT_USAGE;
}
