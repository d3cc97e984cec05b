// SPDX-License-Identifier: GPL-2.0
/*
 * pmuctl.c - command line entry point of pmuctl.
 *
 * Owns: splitting the command line into options and arguments (a negative
 * number is an argument, so that it gets a range error), option parsing,
 * the top-level help and version output, locating the module's sysfs root
 * (PMUCTL_SYSFS_ROOT), error reporting (a line on stderr, or JSON with
 * -j), parsing a number argument, dispatching to the "module", "pmu", "cpu"
 * and "vm" objects, to "pmuctl metrics" (metrics.c) and to the deprecated
 * "pmuctl reserve", running an
 * object's verbs and its help, and the one "show" driver: reading and
 * printing one object, or all four at once for "pmuctl show".
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pmuctl.h"

bool json_output;
bool pretty_output;
bool traps_output;

/* Report MESSAGE: as JSON on stdout when TO_JSON, else a line on stderr. */
static void report_error(bool to_json, const char *fmt, va_list ap)
{
	struct json_writer w;
	char message[1024];
	size_t i;

	vsnprintf(message, sizeof(message), fmt, ap);
	/*
	 * Keep the message on one line and free of terminal controls whatever
	 * the arguments contain: C0 and DEL, and C1 (U+0080-U+009F, UTF-8
	 * 0xc2 0x80-0x9f), which some terminals obey (0x9b is CSI).
	 */
	for (i = 0; message[i]; i++) {
		unsigned char c = message[i], next = message[i + 1];

		if (c < 0x20 || c == 0x7f) {
			message[i] = '?';
		} else if (c == 0xc2 && next >= 0x80 && next <= 0x9f) {
			message[i] = '?';
			message[++i] = '?';
		}
	}
	if (to_json) {
		json_writer_init(&w, stdout, pretty_output);
		json_start_object(&w);
		json_string_field(&w, "error", message);
		json_end_object(&w);
		json_writer_finish(&w);
		fflush(stdout);
		return;
	}
	fflush(stdout);
	fprintf(stderr, "Error: %s\n", message);
}

void p_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_error(json_output, fmt, ap);
	va_end(ap);
}

/* An error about stdout itself: on stderr, also with -j. */
static void __printf(1, 2) p_err_stderr(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_error(false, fmt, ap);
	va_end(ap);
}

/* A one-line hint on stderr, also with -j (stdout stays JSON). */
static void __printf(1, 2) p_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fflush(stdout);
	fputs("Warning: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int pmuctl_find_sysfs_root(const char **root)
{
	struct stat st;

	*root = getenv("PMUCTL_SYSFS_ROOT");
	if (!*root || !**root)
		*root = PMUCTL_DEFAULT_SYSFS_ROOT;
	if (stat(*root, &st)) {
		if (errno == ENOENT)
			return PMUCTL_NOT_LOADED;
		p_err("cannot access %s: %s", *root, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		p_err("%s is not a directory", *root);
		return -1;
	}
	return 0;
}

const char *pmuctl_sysfs_root(void)
{
	const char *root;
	int ret;

	ret = pmuctl_find_sysfs_root(&root);
	if (ret == PMUCTL_NOT_LOADED)
		p_err("kvm_pmu_partition is not loaded (load it with: modprobe kvm_pmu_partition, or insmod kvm_pmu_partition.ko)");
	return ret ? NULL : root;
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
		p_err_stderr("cannot write to standard output: %s", strerror(errno));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* "-" and digits: a negative number, an argument rather than an option. */
static bool is_negative_number(const char *arg)
{
	return arg[0] == '-' && arg[1] >= '0' && arg[1] <= '9';
}

int pmuctl_parse_number(const char *name, const char *what, const char *arg,
			unsigned long min, unsigned long max, unsigned long *value)
{
	char shown[64];

	sanitize(arg, shown, sizeof(shown));
	if (is_negative_number(arg) && strspn(arg + 1, "0123456789") == strlen(arg + 1)) {
		p_err("invalid %s '%s': out of range, %s cannot be negative (expected %lu to %lu)",
		      name, shown, what, min, max);
		return EXIT_USAGE;
	}
	if (parse_ulong(arg, value)) {
		/* parse_ulong() fails on overflow too: digits alone are too large. */
		if (arg[0] && strspn(arg, "0123456789") == strlen(arg))
			p_err("invalid %s '%s': out of range, too large for %s (expected %lu to %lu)",
			      name, shown, what, min, max);
		else
			p_err("invalid %s '%s': not a decimal number (expected %s, %lu to %lu)",
			      name, shown, what, min, max);
		return EXIT_USAGE;
	}
	if (*value < min || *value > max) {
		p_err("invalid %s '%s': out of range for %s (expected %lu to %lu)",
		      name, shown, what, min, max);
		return EXIT_USAGE;
	}
	return 0;
}

static void print_usage(FILE *out)
{
	fprintf(out,
		"Usage: pmuctl [OPTIONS] OBJECT { COMMAND | help }\n"
		"       pmuctl [OPTIONS] show\n"
		"       pmuctl metrics\n"
		"       pmuctl { help | -h [OBJECT] | --help [OBJECT] | -V | --version }\n"
		"\n"
		"Inspect the kvm_pmu_partition module (PMU partitioning for arm64 KVM).\n"
		"\n"
		"  OBJECT  := { module | pmu | cpu | vm }\n"
		"  OPTIONS := { -j|--json | -p|--pretty | -t|--traps | -h|--help |\n"
		"               -V|--version }\n"
		"\n"
		"  pmuctl show             every object's show in one output: module state,\n"
		"                          host PMUs, CPUs and VMs\n"
		"  pmuctl module show      module state\n"
		"  pmuctl pmu show         host PMUs\n"
		"  pmuctl pmu reserve N    keep N event counters of every host PMU for host\n"
		"                          perf (root; only while no VM is partitioned)\n"
		"  pmuctl cpu show         host CPUs: PMU, state (guest-owned by a vCPU,\n"
		"                          reserved for partitioned VMs, or free), claimed\n"
		"                          counters, last owner\n"
		"  pmuctl vm show [PID]    VMs and their vCPUs (of process PID)\n"
		"  pmuctl metrics          all of it in the Prometheus text format, for\n"
		"                          node_exporter's textfile collector; exits 0\n"
		"                          with kvm_pmu_partition_module_loaded 0 when the\n"
		"                          module is not loaded\n"
		"  pmuctl OBJECT help      the commands of OBJECT (or: pmuctl -h OBJECT)\n"
		"\n"
		"  -j, --json     print JSON on one line; errors too: {\"error\":\"...\"}\n"
		"  -p, --pretty   print indented JSON (implies --json)\n"
		"  -t, --traps    vm show and show: add each vCPU's trapped register\n"
		"                 accesses (the JSON always has them)\n"
		"\n"
		"Objects and commands may be abbreviated (pmuctl p s).  \"pmuctl OBJECT\"\n"
		"alone is \"pmuctl OBJECT show\"; \"pmuctl reserve N\" is a deprecated alias of\n"
		"\"pmuctl pmu reserve N\".\n"
		"Environment: PMUCTL_SYSFS_ROOT replaces %s.\n"
		"Exit status: 0 success, 1 failure, 2 usage error.  See pmuctl(8).\n",
		PMUCTL_DEFAULT_SYSFS_ROOT);
}

/* With -j, help is null, as bpftool's: stdout is always JSON. */
static int print_help(const char *text)
{
	struct json_writer w;

	if (json_output) {
		json_writer_init(&w, stdout, pretty_output);
		json_null(&w);
		json_writer_finish(&w);
	} else if (text) {
		fputs(text, stdout);
	} else {
		print_usage(stdout);
	}
	return pmuctl_finish_output();
}

static int do_help(int argc, char **argv)
{
	if (pmuctl_no_more_args(argc, argv))
		return EXIT_USAGE;
	return print_help(NULL);
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

bool pmuctl_is_prefix(const char *arg, const char *name)
{
	size_t length = strlen(arg);

	return length && length <= strlen(name) && !strncmp(arg, name, length);
}

int pmuctl_object_help(const struct pmuctl_object *object)
{
	return print_help(object->help);
}

int pmuctl_run_object(const struct pmuctl_object *object, int argc, char **argv)
{
	const struct pmuctl_cmd *verb;

	if (argc < 1)
		return object->verbs[0].func(0, argv);
	for (verb = object->verbs; verb->name; verb++)
		if (pmuctl_is_prefix(argv[0], verb->name))
			return verb->func(argc - 1, argv + 1);
	if (pmuctl_is_prefix(argv[0], "help")) {
		if (pmuctl_no_more_args(argc - 1, argv + 1))
			return EXIT_USAGE;
		return pmuctl_object_help(object);
	}
	p_err("unknown command '%s' for object '%s' (try: pmuctl %s help)", argv[0],
	      object->name, object->name);
	return EXIT_USAGE;
}

void pmuctl_state_free(struct pmuctl_state *state)
{
	pmu_list_free(&state->pmus);
	cpu_list_free(&state->cpus);
	vm_list_free(&state->vms);
}

int pmuctl_state_read(const char *root, unsigned int parts, unsigned long pid,
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

/* pmuctl reserve N: the deprecated alias of pmuctl pmu reserve N. */
static int do_reserve(int argc, char **argv)
{
	p_warn("'pmuctl reserve N' is deprecated, use 'pmuctl pmu reserve N'");
	return do_pmu_reserve(argc, argv);
}

/*
 * The words after the options: an object, or a command of its own.  In
 * the order an abbreviation picks them: "s" is show, "m" module (metrics
 * is "me"), "r" reserve.
 */
static const struct {
	const char *name;
	const struct pmuctl_object *object;
	int (*func)(int argc, char **argv);	/* when not an object */
} cmds[] = {
	{ "show",	NULL,		do_show },
	{ "module",	&module_object,	NULL },
	{ "pmu",	&pmu_object,	NULL },
	{ "cpu",	&cpu_object,	NULL },
	{ "vm",		&vm_object,	NULL },
	{ "metrics",	NULL,		do_metrics },
	{ "reserve",	NULL,		do_reserve },
	{ "help",	NULL,		do_help },
};

/* pmuctl -h [OBJECT ...]: the help of OBJECT, or the usage. */
static int do_option_help(int argc, char **argv)
{
	size_t i;

	if (argc > 0)
		for (i = 0; i < ARRAY_SIZE(cmds); i++)
			if (pmuctl_is_prefix(argv[0], cmds[i].name))
				return cmds[i].object ? pmuctl_object_help(cmds[i].object) :
							print_help(NULL);
	return print_help(NULL);
}

/*
 * Split ARGV into OPTIONS (ARGV[0] first, then every option) and ARGS (the
 * rest, in order): options may appear anywhere, none takes an argument, and
 * "-" alone, a negative number ("-1") and everything after "--" are
 * arguments.  Both arrays have room for ARGC + 1 pointers.
 */
static void split_args(int argc, char **argv, char **options, int *nr_options,
		       char **args, int *nr_args)
{
	bool only_args = false;
	int i;

	*nr_options = 0;
	*nr_args = 0;
	options[(*nr_options)++] = argv[0];
	for (i = 1; i < argc; i++) {
		if (!only_args && !strcmp(argv[i], "--"))
			only_args = true;
		else if (!only_args && argv[i][0] == '-' && argv[i][1] &&
			 !is_negative_number(argv[i]))
			options[(*nr_options)++] = argv[i];
		else
			args[(*nr_args)++] = argv[i];
	}
	options[*nr_options] = NULL;
	args[*nr_args] = NULL;
}

/* What getopt_long() refused in OPTIONS: write it into BUF. */
static void describe_bad_option(char **options, char *buf, size_t size)
{
	const char *arg = options[optind - 1];

	if (optopt && strncmp(arg, "--", 2))
		snprintf(buf, size, "unknown option '-%c'", optopt);
	else
		snprintf(buf, size, "unknown option '%s'", arg);
}

int main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "json",	no_argument,	NULL,	'j' },
		{ "pretty",	no_argument,	NULL,	'p' },
		{ "traps",	no_argument,	NULL,	't' },
		{ "help",	no_argument,	NULL,	'h' },
		{ "version",	no_argument,	NULL,	'V' },
		{ NULL,		0,		NULL,	0 },
	};
	bool help = false, version = false;
	char **options, **args, bad_option[300] = "";
	int nr_options, nr_args, opt;
	size_t i;

	options = calloc(argc + 1, sizeof(*options));
	args = calloc(argc + 1, sizeof(*args));
	if (!options || !args) {
		p_err("out of memory");
		return EXIT_FAIL;
	}
	split_args(argc, argv, options, &nr_options, args, &nr_args);

	/* Every option is read before a bad one is reported: -j may follow. */
	opterr = 0;
	while ((opt = getopt_long(nr_options, options, "jpthV", long_options, NULL)) >= 0) {
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
			if (!bad_option[0])
				describe_bad_option(options, bad_option, sizeof(bad_option));
			break;
		}
	}
	if (bad_option[0]) {
		p_err("%s (try: pmuctl help)", bad_option);
		return EXIT_USAGE;
	}

	if (version)
		return do_version();
	if (help)
		return do_option_help(nr_args, args);
	if (nr_args < 1) {
		p_err("missing OBJECT (try: pmuctl help)");
		return EXIT_USAGE;
	}

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (!pmuctl_is_prefix(args[0], cmds[i].name))
			continue;
		if (cmds[i].object)
			return pmuctl_run_object(cmds[i].object, nr_args - 1, args + 1);
		return cmds[i].func(nr_args - 1, args + 1);
	}

	p_err("unknown object '%s' (try: pmuctl help)", args[0]);
	return EXIT_USAGE;
}
