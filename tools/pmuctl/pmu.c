// SPDX-License-Identifier: GPL-2.0
/*
 * pmu.c - the "pmu" object: the host PMUv3 instances the module sees.
 *
 * Owns: listing ROOT/pmus/ in name order, reading each PMU's files (cpus,
 * counters, cycle_counter, reserved_host_counters, guest_counters, pmuver),
 * printing them as a table or as the JSON "pmus" array, what "pmuctl pmu"
 * shows and its help text (pmuctl.c runs the verbs), and "pmuctl pmu
 * reserve N": writing reserved_host_counters, which applies to every host
 * PMU, and explaining why the module refused it (with the smallest PMU's
 * counters).  The test build (PMUCTL_TEST_HOOKS) can fake the refusal.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pmuctl.h"
#include "sysfs.h"
#include "table.h"

/* sysfs_read_dir() reader: the PMU directory NAME, at PATH, into ELEMENT. */
static int pmu_read(const char *path, const char *name, void *element, void *context)
{
	struct pmu_info *pmu = element;
	struct stat st;

	(void)context;			/* every PMU is read */
	/* PMUs do not come and go: one that cannot be stat()ed is an error. */
	if (stat(path, &st)) {
		p_err("cannot stat %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return SYSFS_GONE;	/* not a PMU: skipped */
	if (strlen(name) >= sizeof(pmu->name)) {
		p_err("path too long: %s", path);
		return -1;
	}
	memcpy(pmu->name, name, strlen(name) + 1);

	if (sysfs_read_cpulist(path, "cpus", pmu->cpus, sizeof(pmu->cpus),
			       &pmu->cpu_list, &pmu->nr_cpus))
		return -1;
	if (sysfs_read_ulong(path, "counters", &pmu->counters) ||
	    sysfs_read_bool(path, "cycle_counter", &pmu->cycle_counter) ||
	    sysfs_read_ulong(path, "reserved_host_counters", &pmu->reserved_host_counters) ||
	    sysfs_read_ulong(path, "guest_counters", &pmu->guest_counters) ||
	    sysfs_read_ulong(path, "pmuver", &pmu->pmuver))
		return -1;
	return 0;
}

/* sysfs_read_dir() release: the expanded cpulist of the PMU ELEMENT. */
static void pmu_release(void *element)
{
	struct pmu_info *pmu = element;

	free(pmu->cpu_list);
}

static const struct sysfs_dir_reader pmu_dir_reader = {
	.filter = sysfs_dirent_any,
	.compare = sysfs_dirent_byte_order,
	.only_dirs = false,		/* pmu_read() checks */
	.element_size = sizeof(struct pmu_info),
	.read_entry = pmu_read,
	.release = pmu_release,
};

void pmu_list_free(struct pmu_list *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		pmu_release(&list->pmus[i]);
	free(list->pmus);
	list->pmus = NULL;
	list->count = 0;
}

int pmu_list_read(const char *root, struct pmu_list *list)
{
	struct sysfs_dir_array array;
	char pmus_dir[PATH_MAX];
	int ret;

	list->pmus = NULL;
	list->count = 0;
	if (sysfs_join(pmus_dir, sizeof(pmus_dir), root, "pmus"))
		return -1;
	ret = sysfs_read_dir(pmus_dir, &pmu_dir_reader, NULL, &array);
	if (ret == SYSFS_GONE)
		p_err("required directory %s is missing", pmus_dir);
	if (ret)
		return -1;
	list->pmus = array.elements;
	list->count = array.count;
	return 0;
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
	nr_entries = scandir(pmus_dir, &entries, sysfs_dirent_any, sysfs_dirent_byte_order);
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
		json_string_field(w, "cpulist", pmu->cpus);
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
	return pmuctl_show(PMUCTL_SHOW_PMUS, 0, argc, argv);
}

#ifdef PMUCTL_TEST_HOOKS
/*
 * Test hook, only in the test build (make test): under a fake tree
 * (PMUCTL_SYSFS_ROOT set), the errno named by PMUCTL_FAKE_WRITE_ERRNO
 * replaces the result of writing reserved_host_counters, since a plain file
 * cannot refuse a value as the module does.  Returns 0 when there is none,
 * the errno, or -1 after an error.
 */
static int reserve_fake_errno(void)
{
	static const struct {
		const char *name;
		int value;
	} errnos[] = {
		{ "EBUSY",	EBUSY },
		{ "EINVAL",	EINVAL },
		{ "EACCES",	EACCES },
		{ "EPERM",	EPERM },
		{ "EIO",	EIO },
	};
	const char *root = getenv("PMUCTL_SYSFS_ROOT");
	const char *name = getenv("PMUCTL_FAKE_WRITE_ERRNO");
	char shown[64];
	size_t i;

	if (!root || !*root || !name || !*name)
		return 0;
	for (i = 0; i < ARRAY_SIZE(errnos); i++)
		if (!strcmp(name, errnos[i].name))
			return errnos[i].value;
	p_err("invalid PMUCTL_FAKE_WRITE_ERRNO '%s' (expected EBUSY, EINVAL, EACCES, EPERM or EIO)",
	      sanitize(name, shown, sizeof(shown)));
	return -1;
}
#else
/* The shipped binary has no test hook. */
static int reserve_fake_errno(void)
{
	return 0;
}
#endif

/* Report, on one line, why writing COUNT to PATH failed with ERROR. */
static void reserve_report(const char *root, const char *path, unsigned long count,
			   int error)
{
	unsigned long value;

	switch (error) {
	case EBUSY:
		if (!sysfs_peek_ulong(root, "partitioned_vms", &value))
			p_err("reserved_host_counters can change only while no partitioned VM exists (%lu do); stop them first",
			      value);
		else
			p_err("reserved_host_counters can change only while no partitioned VM exists; stop them first");
		break;
	case EINVAL:
	case ERANGE:
		if (!pmu_smallest_counters(root, &value) && count > value)
			p_err("%lu exceeds the smallest host PMU's counters (%lu)", count, value);
		else
			p_err("kvm_pmu_partition refused %lu reserved host counters: %s",
			      count, strerror(error));
		break;
	case EACCES:
	case EPERM:
		p_err("changing reserved_host_counters needs root (%s: %s)",
		      path, strerror(error));
		break;
	default:
		p_err("cannot write %lu to %s: %s", count, path, strerror(error));
		break;
	}
}

/*
 * Write "COUNT\n" to PATH in one write(), as sysfs needs: 0, the errno of
 * the failure, or -1 after reporting an error of the test hook.
 */
static int reserve_write(const char *path, unsigned long count)
{
	char text[24];
	int length, fd, error;
	ssize_t n;

	error = reserve_fake_errno();
	if (error)
		return error;

	length = snprintf(text, sizeof(text), "%lu\n", count);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return errno;
	do {
		n = write(fd, text, length);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		error = errno;
	else if (n != length)
		error = EIO;
	if (close(fd) && !error)
		error = errno;
	return error;
}

int do_pmu_reserve(int argc, char **argv)
{
	char path[PATH_MAX];
	unsigned long count;
	struct json_writer w;
	const char *root;
	struct stat st;
	int error;

	if (argc < 1) {
		p_err("missing N, the number of counters to reserve for host perf (try: pmuctl pmu help)");
		return EXIT_USAGE;
	}
	/* The module takes an unsigned int; it refuses more than a PMU has. */
	if (pmuctl_parse_number("N", "a number of counters", argv[0], 0, UINT_MAX, &count))
		return EXIT_USAGE;
	if (pmuctl_no_more_args(argc - 1, argv + 1))
		return EXIT_USAGE;
	root = pmuctl_sysfs_root();
	if (!root)
		return EXIT_FAIL;
	if (snprintf(path, sizeof(path), "%s/reserved_host_counters", root) >=
	    (int)sizeof(path)) {
		p_err("path too long: %s/reserved_host_counters", root);
		return EXIT_FAIL;
	}

	/* Modules older than 0.2.0 publish the parameter read-only. */
	if (stat(path, &st)) {
		if (errno == ENOENT)
			p_err("required file %s is missing", path);
		else
			p_err("cannot stat %s: %s", path, strerror(errno));
		return EXIT_FAIL;
	}
	if (!(st.st_mode & 0222)) {
		p_err("%s is read-only: this kvm_pmu_partition cannot change the reservation (0.2.0 and later can)",
		      path);
		return EXIT_FAIL;
	}

	error = reserve_write(path, count);
	if (error < 0)
		return EXIT_FAIL;
	if (error) {
		reserve_report(root, path, count, error);
		return EXIT_FAIL;
	}

	if (json_output) {
		json_writer_init(&w, stdout, pretty_output);
		json_start_object(&w);
		json_uint_field(&w, "reserved_host_counters", count);
		json_end_object(&w);
		json_writer_finish(&w);
	}
	return pmuctl_finish_output();
}

static const struct pmuctl_cmd pmu_verbs[] = {
	{ "show",	do_pmu_show },
	{ "reserve",	do_pmu_reserve },
	{ NULL,		NULL },
};

const struct pmuctl_object pmu_object = {
	.name = "pmu",
	.verbs = pmu_verbs,
	.help = "Usage: pmuctl [OPTIONS] pmu { show | reserve N | help }\n"
		"\n"
		"  pmuctl pmu show        list the host PMUv3 instances: CPUs, event counters,\n"
		"                         cycle counter, counters reserved for the host,\n"
		"                         counters a partitioned guest could own, PMUVer\n"
		"  pmuctl pmu reserve N   keep N event counters of every host PMU for host\n"
		"                         perf; a partitioned guest gets the rest of the\n"
		"                         smallest PMU.  N is 0 (every counter to the\n"
		"                         guests) or more.  Root only, and only while no\n"
		"                         partitioned VM exists.  Prints nothing, or with\n"
		"                         -j {\"reserved_host_counters\":N}\n"
		"  pmuctl pmu help        show this help\n"
		"\n"
		"\"pmuctl pmu\" alone is \"pmuctl pmu show\".\n"
		"OPTIONS := { -j|--json | -p|--pretty }\n",
};
