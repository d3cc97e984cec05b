// SPDX-License-Identifier: GPL-2.0
/*
 * pmuctl.c - command line entry point of pmuctl.
 *
 * Owns: option parsing, the top-level help and version output, locating the
 * module's sysfs root (PMUCTL_SYSFS_ROOT), error reporting, dispatching to
 * the "module", "pmu", "cpu" and "vm" objects and to "pmuctl reserve",
 * running an object's verbs (show, help), and the one "show" driver: reading
 * and printing one object, or all four at once for "pmuctl show".
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pmuctl.h"

bool json_output;
bool pretty_output;
bool traps_output;

struct cmd {
	const char *name;
	int (*func)(int argc, char **argv);
};

void p_err(const char *fmt, ...)
{
	char message[1024];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);

	/* Keep the message on one line whatever the arguments contain. */
	for (i = 0; message[i]; i++)
		if ((unsigned char)message[i] < 0x20 || message[i] == 0x7f)
			message[i] = '?';
	fflush(stdout);
	fprintf(stderr, "Error: %s\n", message);
}

const char *pmuctl_sysfs_root(void)
{
	const char *root = getenv("PMUCTL_SYSFS_ROOT");
	struct stat st;

	if (!root || !*root)
		root = PMUCTL_DEFAULT_SYSFS_ROOT;
	if (stat(root, &st)) {
		if (errno == ENOENT)
			p_err("kvm_pmu_partition is not loaded (load it with: modprobe kvm_pmu_partition, or insmod kvm_pmu_partition.ko)");
		else
			p_err("cannot access %s: %s", root, strerror(errno));
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		p_err("%s is not a directory", root);
		return NULL;
	}
	return root;
}

int pmuctl_no_more_args(int argc, char **argv)
{
	if (argc > 0) {
		p_err("unexpected argument '%s'", argv[0]);
		return EXIT_USAGE;
	}
	return 0;
}

int pmuctl_finish_output(void)
{
	if (fflush(stdout) || ferror(stdout)) {
		p_err("cannot write to standard output: %s", strerror(errno));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static void print_usage(FILE *out)
{
	fprintf(out,
		"Usage: pmuctl [OPTIONS] OBJECT { COMMAND | help }\n"
		"       pmuctl [OPTIONS] show\n"
		"       pmuctl [OPTIONS] reserve N\n"
		"       pmuctl { help | -h | --help | -V | --version }\n"
		"\n"
		"Inspect the kvm_pmu_partition module (PMU partitioning for arm64 KVM).\n"
		"\n"
		"  OBJECT  := { module | pmu | cpu | vm }\n"
		"  COMMAND := { show }\n"
		"  OPTIONS := { -j|--json | -p|--pretty | -t|--traps | -h|--help |\n"
		"               -V|--version }\n"
		"\n"
		"  pmuctl show          module state, host PMUs, CPUs and VMs\n"
		"  pmuctl module show   module state only\n"
		"  pmuctl pmu show      host PMUs only\n"
		"  pmuctl cpu show      host CPUs only: PMU and owner (free or a vCPU)\n"
		"  pmuctl vm show [PID] VMs and their vCPUs only (of process PID)\n"
		"  pmuctl reserve N     keep N event counters of every host PMU for host\n"
		"                       perf (root; only while no VM is partitioned)\n"
		"\n"
		"  -j, --json     print JSON on one line\n"
		"  -p, --pretty   print indented JSON (implies --json)\n"
		"  -t, --traps    vm show and show: add each vCPU's trapped register\n"
		"                 accesses (the JSON always has them)\n"
		"\n"
		"Environment: PMUCTL_SYSFS_ROOT replaces %s.\n"
		"Exit status: 0 success, 1 failure, 2 usage error.  See pmuctl(8).\n",
		PMUCTL_DEFAULT_SYSFS_ROOT);
}

static int do_help(int argc, char **argv)
{
	if (pmuctl_no_more_args(argc, argv))
		return EXIT_USAGE;
	print_usage(stdout);
	return pmuctl_finish_output();
}

static int do_version(void)
{
	struct json_writer w;

	if (json_output) {
		json_writer_init(&w, stdout, pretty_output);
		json_start_object(&w);
		json_string_field(&w, "pmuctl_version", PMUCTL_VERSION);
		json_end_object(&w);
		json_writer_finish(&w);
	} else {
		printf("pmuctl %s\n", PMUCTL_VERSION);
	}
	return pmuctl_finish_output();
}

int pmuctl_run_object(const struct pmuctl_object *object, int argc, char **argv)
{
	if (argc < 1)
		return object->show(0, argv);
	if (!strcmp(argv[0], "show"))
		return object->show(argc - 1, argv + 1);
	if (!strcmp(argv[0], "help")) {
		if (pmuctl_no_more_args(argc - 1, argv + 1))
			return EXIT_USAGE;
		fputs(object->help, stdout);
		return pmuctl_finish_output();
	}
	p_err("unknown command '%s' for object '%s' (try: pmuctl %s help)", argv[0],
	      object->name, object->name);
	return EXIT_USAGE;
}

/* What pmuctl_show() read; the parts it was not asked for stay empty. */
struct pmuctl_state {
	struct module_state module;
	struct pmu_list pmus;
	struct cpu_list cpus;
	struct vm_list vms;
};

static void pmuctl_state_free(struct pmuctl_state *state)
{
	pmu_list_free(&state->pmus);
	cpu_list_free(&state->cpus);
	vm_list_free(&state->vms);
}

/* Read PARTS of STATE from ROOT, in this order, stopping at the first failure. */
static int pmuctl_state_read(const char *root, unsigned int parts, unsigned long pid,
			     struct pmuctl_state *state)
{
	memset(state, 0, sizeof(*state));
	if (((parts & PMUCTL_SHOW_MODULE) && module_state_read(root, &state->module)) ||
	    ((parts & PMUCTL_SHOW_PMUS) && pmu_list_read(root, &state->pmus)) ||
	    ((parts & PMUCTL_SHOW_CPUS) && cpu_list_read(root, &state->cpus)) ||
	    ((parts & PMUCTL_SHOW_VMS) && vm_list_read(root, pid, &state->vms))) {
		pmuctl_state_free(state);
		return -1;
	}
	return 0;
}

/* Several parts, not one: "pmuctl show". */
static bool pmuctl_several(unsigned int parts)
{
	return parts & (parts - 1);
}

/* Is PART one of PARTS?  In a document of several, write its member NAME. */
static bool pmuctl_json_part(struct json_writer *w, unsigned int parts, unsigned int part,
			     const char *name)
{
	if (!(parts & part))
		return false;
	if (pmuctl_several(parts))
		json_name(w, name);
	return true;
}

/*
 * The JSON of PARTS of STATE: one part alone, or the object of "pmuctl
 * show" with the version of pmuctl and a member for each part.
 */
static void pmuctl_state_write_json(const struct pmuctl_state *state, unsigned int parts)
{
	struct json_writer w;

	json_writer_init(&w, stdout, pretty_output);
	if (pmuctl_several(parts)) {
		json_start_object(&w);
		json_string_field(&w, "pmuctl_version", PMUCTL_VERSION);
	}
	if (pmuctl_json_part(&w, parts, PMUCTL_SHOW_MODULE, "module"))
		module_state_write_json(&w, &state->module);
	if (pmuctl_json_part(&w, parts, PMUCTL_SHOW_PMUS, "pmus"))
		pmu_list_write_json(&w, &state->pmus);
	if (pmuctl_json_part(&w, parts, PMUCTL_SHOW_CPUS, "cpus"))
		cpu_list_write_json(&w, &state->cpus);
	if (pmuctl_json_part(&w, parts, PMUCTL_SHOW_VMS, "vms"))
		vm_list_write_json(&w, &state->vms);
	if (pmuctl_several(parts))
		json_end_object(&w);
	json_writer_finish(&w);
}

/*
 * Is PART one of PARTS, to be printed?  With several parts, an EMPTY list
 * is left out, and a blank line goes before each part but the first;
 * *PRINTED says whether one was printed.
 */
static bool pmuctl_plain_part(bool *printed, unsigned int parts, unsigned int part,
			      bool empty)
{
	if (!(parts & part) || (pmuctl_several(parts) && empty))
		return false;
	if (*printed)
		printf("\n");
	*printed = true;
	return true;
}

/* The text of PARTS of STATE, a blank line between two parts. */
static void pmuctl_state_print_plain(const struct pmuctl_state *state, unsigned int parts)
{
	bool printed = false;

	if (pmuctl_plain_part(&printed, parts, PMUCTL_SHOW_MODULE, false))
		module_state_print_plain(&state->module);
	if (pmuctl_plain_part(&printed, parts, PMUCTL_SHOW_PMUS, false))
		pmu_list_print_plain(&state->pmus);
	if (pmuctl_plain_part(&printed, parts, PMUCTL_SHOW_CPUS, !state->cpus.count))
		cpu_list_print_plain(&state->cpus);
	if (pmuctl_plain_part(&printed, parts, PMUCTL_SHOW_VMS, !state->vms.count))
		vm_list_print_plain(&state->vms);
}

int pmuctl_show(unsigned int parts, unsigned long pid, int argc, char **argv)
{
	struct pmuctl_state state;
	const char *root;

	if (pmuctl_no_more_args(argc, argv))
		return EXIT_USAGE;
	root = pmuctl_sysfs_root();
	if (!root)
		return EXIT_FAIL;
	if (pmuctl_state_read(root, parts, pid, &state))
		return EXIT_FAIL;

	if (json_output)
		pmuctl_state_write_json(&state, parts);
	else
		pmuctl_state_print_plain(&state, parts);
	pmuctl_state_free(&state);
	return pmuctl_finish_output();
}

/*
 * pmuctl show: the module object and the PMU, CPU and VM arrays in one
 * document.
 */
static int do_show(int argc, char **argv)
{
	return pmuctl_show(PMUCTL_SHOW_ALL, 0, argc, argv);
}

static const struct cmd cmds[] = {
	{ "show",	do_show },
	{ "module",	do_module },
	{ "pmu",	do_pmu },
	{ "cpu",	do_cpu },
	{ "vm",		do_vm },
	{ "reserve",	do_reserve },
	{ "help",	do_help },
	{ NULL,		NULL },
};

static void report_bad_option(char **argv)
{
	const char *arg = argv[optind - 1];

	if (optopt && strncmp(arg, "--", 2))
		p_err("unknown option '-%c' (try: pmuctl help)", optopt);
	else
		p_err("unknown option '%s' (try: pmuctl help)", arg);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json",	no_argument,	NULL,	'j' },
		{ "pretty",	no_argument,	NULL,	'p' },
		{ "traps",	no_argument,	NULL,	't' },
		{ "help",	no_argument,	NULL,	'h' },
		{ "version",	no_argument,	NULL,	'V' },
		{ NULL,		0,		NULL,	0 },
	};
	bool help = false, version = false;
	const struct cmd *cmd;
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "jpthV", options, NULL)) >= 0) {
		switch (opt) {
		case 'j':
			json_output = true;
			break;
		case 'p':
			json_output = true;
			pretty_output = true;
			break;
		case 't':
			traps_output = true;
			break;
		case 'h':
			help = true;
			break;
		case 'V':
			version = true;
			break;
		default:
			report_bad_option(argv);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;

	if (version)
		return do_version();
	if (help)
		return do_help(0, argv);
	if (argc < 1) {
		p_err("missing OBJECT (try: pmuctl help)");
		return EXIT_USAGE;
	}

	for (cmd = cmds; cmd->name; cmd++)
		if (!strcmp(argv[0], cmd->name))
			return cmd->func(argc - 1, argv + 1);

	p_err("unknown object '%s' (try: pmuctl help)", argv[0]);
	return EXIT_USAGE;
}
