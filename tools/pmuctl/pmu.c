// SPDX-License-Identifier: GPL-2.0
/*
 * pmu.c - the "pmu" object: the host PMUv3 instances the module sees.
 *
 * Owns: listing ROOT/pmus/ in name order, reading each PMU's files (cpus,
 * counters, cycle_counter, reserved_host_counters, guest_counters, pmuver),
 * printing them as a table or as the JSON "pmus" array, the "pmuctl pmu"
 * verbs, and finding the smallest PMU for the error of "pmuctl reserve".
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pmuctl.h"
#include "sysfs.h"
#include "table.h"

static int pmu_read(const char *pmus_dir, const char *name, struct pmu_info *pmu)
{
	char dir[PATH_MAX];

	if (snprintf(dir, sizeof(dir), "%s/%s", pmus_dir, name) >= (int)sizeof(dir) ||
	    strlen(name) >= sizeof(pmu->name)) {
		p_err("path too long: %s/%s", pmus_dir, name);
		return -1;
	}
	strcpy(pmu->name, name);

	if (sysfs_read_cpulist(dir, "cpus", pmu->cpus, sizeof(pmu->cpus),
			       &pmu->cpu_list, &pmu->nr_cpus))
		return -1;
	if (sysfs_read_ulong(dir, "counters", &pmu->counters) ||
	    sysfs_read_bool(dir, "cycle_counter", &pmu->cycle_counter) ||
	    sysfs_read_ulong(dir, "reserved_host_counters", &pmu->reserved_host_counters) ||
	    sysfs_read_ulong(dir, "guest_counters", &pmu->guest_counters) ||
	    sysfs_read_ulong(dir, "pmuver", &pmu->pmuver))
		return -1;
	return 0;
}

/* scandir() filter: every entry except "." and ".."; non-directories are
 * skipped later, because d_type is not reliable on every filesystem. */
static int pmu_dirent_filter(const struct dirent *entry)
{
	return strcmp(entry->d_name, ".") && strcmp(entry->d_name, "..");
}

/* Byte order, independent of the locale. */
static int pmu_dirent_compare(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

void pmu_list_free(struct pmu_list *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		free(list->pmus[i].cpu_list);
	free(list->pmus);
	list->pmus = NULL;
	list->count = 0;
}

int pmu_list_read(const char *root, struct pmu_list *list)
{
	char pmus_dir[PATH_MAX], path[PATH_MAX];
	struct dirent **entries;
	struct stat st;
	int nr_entries, i, ret = -1;

	list->pmus = NULL;
	list->count = 0;

	if (snprintf(pmus_dir, sizeof(pmus_dir), "%s/pmus", root) >= (int)sizeof(pmus_dir)) {
		p_err("path too long: %s/pmus", root);
		return -1;
	}
	nr_entries = scandir(pmus_dir, &entries, pmu_dirent_filter, pmu_dirent_compare);
	if (nr_entries < 0) {
		if (errno == ENOENT)
			p_err("required directory %s is missing", pmus_dir);
		else
			p_err("cannot list %s: %s", pmus_dir, strerror(errno));
		return -1;
	}

	list->pmus = calloc(nr_entries ? nr_entries : 1, sizeof(*list->pmus));
	if (!list->pmus) {
		p_err("out of memory listing %s", pmus_dir);
		goto out;
	}

	for (i = 0; i < nr_entries; i++) {
		const char *name = entries[i]->d_name;

		if (snprintf(path, sizeof(path), "%s/%s", pmus_dir, name) >= (int)sizeof(path)) {
			p_err("path too long: %s/%s", pmus_dir, name);
			goto out;
		}
		if (stat(path, &st)) {
			p_err("cannot stat %s: %s", path, strerror(errno));
			goto out;
		}
		if (!S_ISDIR(st.st_mode))
			continue;
		if (pmu_read(pmus_dir, name, &list->pmus[list->count])) {
			free(list->pmus[list->count].cpu_list);
			goto out;
		}
		list->count++;
	}
	ret = 0;
out:
	for (i = 0; i < nr_entries; i++)
		free(entries[i]);
	free(entries);
	if (ret)
		pmu_list_free(list);
	return ret;
}

/* Is PATH a directory?  False when it cannot be stat()ed. */
static bool pmu_is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

int pmu_smallest_counters(const char *root, unsigned long *counters)
{
	char pmus_dir[PATH_MAX], dir[PATH_MAX];
	struct dirent **entries;
	unsigned long value;
	int nr_entries, i;
	bool found = false, failed = false;

	if (snprintf(pmus_dir, sizeof(pmus_dir), "%s/pmus", root) >= (int)sizeof(pmus_dir))
		return -1;
	nr_entries = scandir(pmus_dir, &entries, pmu_dirent_filter, pmu_dirent_compare);
	if (nr_entries < 0)
		return -1;
	for (i = 0; i < nr_entries && !failed; i++) {
		if (snprintf(dir, sizeof(dir), "%s/%s", pmus_dir, entries[i]->d_name) >=
		    (int)sizeof(dir)) {
			failed = true;
			continue;
		}
		/* Not a PMU, as in pmu_list_read(). */
		if (!pmu_is_dir(dir))
			continue;
		if (sysfs_peek_ulong(dir, "counters", &value)) {
			failed = true;
			continue;
		}
		if (!found || value < *counters)
			*counters = value;
		found = true;
	}
	for (i = 0; i < nr_entries; i++)
		free(entries[i]);
	free(entries);
	return found && !failed ? 0 : -1;
}

#define PMU_COLUMNS 7

/* The strings the cells of one table row point to. */
struct pmu_row_text {
	char name[sizeof(((struct pmu_info *)0)->name)];
	char cpus[sizeof(((struct pmu_info *)0)->cpus)];
	char counters[24], host[24], guest[24], pmuver[24];
};

/* Fill CELLS, with TEXT, for PMU. */
static void pmu_fill_row(const struct pmu_info *pmu, struct pmu_row_text *text,
			 const char **cells)
{
	snprintf(text->counters, sizeof(text->counters), "%lu", pmu->counters);
	snprintf(text->host, sizeof(text->host), "%lu", pmu->reserved_host_counters);
	snprintf(text->guest, sizeof(text->guest), "%lu", pmu->guest_counters);
	snprintf(text->pmuver, sizeof(text->pmuver), "%lu", pmu->pmuver);
	cells[0] = sanitize(pmu->name, text->name, sizeof(text->name));
	cells[1] = sanitize(pmu->cpus, text->cpus, sizeof(text->cpus));
	cells[2] = text->counters;
	cells[3] = pmu->cycle_counter ? "yes" : "no";
	cells[4] = text->host;
	cells[5] = text->guest;
	cells[6] = text->pmuver;
}

void pmu_list_print_plain(const struct pmu_list *list)
{
	static const char *const headers[PMU_COLUMNS] = {
		"PMU", "CPUs", "COUNTERS", "CYCLE", "HOST", "GUEST", "PMUVER",
	};
	int widths[PMU_COLUMNS] = { 0 };
	const char *cells[PMU_COLUMNS];
	struct pmu_row_text text;
	size_t i;

	table_widen(widths, headers, PMU_COLUMNS);
	for (i = 0; i < list->count; i++) {
		pmu_fill_row(&list->pmus[i], &text, cells);
		table_widen(widths, cells, PMU_COLUMNS);
	}

	table_print_row(widths, headers, PMU_COLUMNS);
	if (!list->count)
		printf("(no host PMUs)\n");
	for (i = 0; i < list->count; i++) {
		pmu_fill_row(&list->pmus[i], &text, cells);
		table_print_row(widths, cells, PMU_COLUMNS);
	}
}

void pmu_list_write_json(struct json_writer *w, const struct pmu_list *list)
{
	size_t i, cpu;

	json_start_array(w);
	for (i = 0; i < list->count; i++) {
		const struct pmu_info *pmu = &list->pmus[i];

		json_start_object(w);
		json_string_field(w, "name", pmu->name);
		json_string_field(w, "cpus", pmu->cpus);
		json_name(w, "cpu_list");
		json_start_array(w);
		for (cpu = 0; cpu < pmu->nr_cpus; cpu++)
			json_uint(w, pmu->cpu_list[cpu]);
		json_end_array(w);
		json_uint_field(w, "counters", pmu->counters);
		json_bool_field(w, "cycle_counter", pmu->cycle_counter);
		json_uint_field(w, "reserved_host_counters", pmu->reserved_host_counters);
		json_uint_field(w, "guest_counters", pmu->guest_counters);
		json_uint_field(w, "pmuver", pmu->pmuver);
		json_end_object(w);
	}
	json_end_array(w);
}

static int do_pmu_show(int argc, char **argv)
{
	struct pmu_list list;
	struct json_writer w;
	const char *root;

	if (pmuctl_no_more_args(argc, argv))
		return EXIT_USAGE;
	root = pmuctl_sysfs_root();
	if (!root)
		return EXIT_FAIL;
	if (pmu_list_read(root, &list))
		return EXIT_FAIL;

	if (json_output) {
		json_writer_init(&w, stdout, pretty_output);
		pmu_list_write_json(&w, &list);
		json_writer_finish(&w);
	} else {
		pmu_list_print_plain(&list);
	}
	pmu_list_free(&list);
	return pmuctl_finish_output();
}

static int do_pmu_help(int argc, char **argv)
{
	if (pmuctl_no_more_args(argc, argv))
		return EXIT_USAGE;
	printf("Usage: pmuctl [OPTIONS] pmu { show | help }\n"
	       "\n"
	       "  pmuctl pmu show   list the host PMUv3 instances: CPUs, event counters,\n"
	       "                    cycle counter, counters reserved for the host,\n"
	       "                    counters a partitioned guest could own, PMUVer\n"
	       "  pmuctl pmu help   show this help\n"
	       "\n"
	       "\"pmuctl pmu\" alone is \"pmuctl pmu show\".\n"
	       "OPTIONS := { -j|--json | -p|--pretty }\n");
	return pmuctl_finish_output();
}

int do_pmu(int argc, char **argv)
{
	if (argc < 1)
		return do_pmu_show(0, argv);
	if (!strcmp(argv[0], "show"))
		return do_pmu_show(argc - 1, argv + 1);
	if (!strcmp(argv[0], "help"))
		return do_pmu_help(argc - 1, argv + 1);
	p_err("unknown command '%s' for object 'pmu' (try: pmuctl pmu help)", argv[0]);
	return EXIT_USAGE;
}
