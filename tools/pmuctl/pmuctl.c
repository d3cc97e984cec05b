// SPDX-License-Identifier: GPL-2.0
/*
 * pmuctl.c - command line entry point of pmuctl.
 *
 * Owns: option parsing, the top-level help and version output, locating the
 * module's sysfs root (PMUCTL_SYSFS_ROOT), error reporting, dispatching to
 * the "module", "pmu", "cpu" and "vm" objects and to "pmuctl reserve", and
 * "pmuctl show" (all four objects at once).
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

/*
 * pmuctl show: the module object and the PMU, CPU and VM arrays in one
 * document.
 */
static int do_show(int argc, char **argv)
{
	struct module_state state;
	struct pmu_list list;
	struct cpu_list cpus;
	struct vm_list vms;
	struct json_writer w;
	const char *root;

	if (pmuctl_no_more_args(argc, argv))
		return EXIT_USAGE;
	root = pmuctl_sysfs_root();
	if (!root)
		return EXIT_FAIL;
	if (module_state_read(root, &state) || pmu_list_read(root, &list))
		return EXIT_FAIL;
	if (cpu_list_read(root, &cpus)) {
		pmu_list_free(&list);
		return EXIT_FAIL;
	}
	if (vm_list_read(root, 0, &vms)) {
		pmu_list_free(&list);
		cpu_list_free(&cpus);
		return EXIT_FAIL;
	}

	if (json_output) {
		json_writer_init(&w, stdout, pretty_output);
		json_start_object(&w);
		json_string_field(&w, "pmuctl_version", PMUCTL_VERSION);
		json_name(&w, "module");
		module_state_write_json(&w, &state);
		json_name(&w, "pmus");
		pmu_list_write_json(&w, &list);
		json_name(&w, "cpus");
		cpu_list_write_json(&w, &cpus);
		json_name(&w, "vms");
		vm_list_write_json(&w, &vms);
		json_end_object(&w);
		json_writer_finish(&w);
	} else {
		module_state_print_plain(&state);
		printf("\n");
		pmu_list_print_plain(&list);
		if (cpus.count) {
			printf("\n");
			cpu_list_print_plain(&cpus);
		}
		if (vms.count) {
			printf("\n");
			vm_list_print_plain(&vms);
		}
	}
	pmu_list_free(&list);
	cpu_list_free(&cpus);
	vm_list_free(&vms);
	return pmuctl_finish_output();
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
