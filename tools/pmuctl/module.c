// SPDX-License-Identifier: GPL-2.0
/*
 * module.c - the "module" object: kvm_pmu_partition's global state.
 *
 * Owns: reading the files at the top of the sysfs root (version,
 * abi_version, default_mode, fgt, fgt_present, reserved_host_counters,
 * vms, and the optional trap_policy, fast_path, partitioned_vms,
 * counters_claimed), printing them as text or as the JSON "module" object,
 * what "pmuctl module" shows and its help text (pmuctl.c runs the verbs),
 * and "pmuctl reserve" (writing
 * reserved_host_counters and explaining why the module refused it).
 */
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

int module_state_read(const char *root, struct module_state *state)
{
	memset(state, 0, sizeof(*state));
	if (sysfs_read_string(root, "version", state->version, sizeof(state->version)) ||
	    sysfs_read_ulong(root, "abi_version", &state->abi_version) ||
	    sysfs_read_string(root, "default_mode", state->default_mode,
			      sizeof(state->default_mode)) ||
	    sysfs_read_string(root, "fgt", state->fgt, sizeof(state->fgt)) ||
	    sysfs_read_bool(root, "fgt_present", &state->fgt_present) ||
	    sysfs_read_ulong(root, "reserved_host_counters",
			     &state->reserved_host_counters) ||
	    sysfs_read_ulong(root, "vms", &state->vms))
		return -1;
	/* Modules older than the partitioned PMU (0.2.0) have none of these. */
	if (sysfs_read_optional_string(root, "trap_policy", state->trap_policy,
				       sizeof(state->trap_policy)) ||
	    sysfs_read_optional_bool(root, "fast_path", &state->fast_path) ||
	    sysfs_read_optional_u64(root, "partitioned_vms", &state->partitioned_vms) ||
	    sysfs_read_optional_bool(root, "counters_claimed", &state->counters_claimed))
		return -1;
	return 0;
}

/* "yes", "no", or "-" when the module has no such file. */
static const char *module_yes_no(const struct sysfs_optional_bool *value)
{
	if (!value->present)
		return "-";
	return value->value ? "yes" : "no";
}

void module_state_print_plain(const struct module_state *state)
{
	char version[sizeof(state->version)], mode[sizeof(state->default_mode)];
	char fgt[sizeof(state->fgt)], trap_policy[sizeof(state->trap_policy)];
	char partitioned_vms[24];

	printf("kvm_pmu_partition %s (hook ABI %lu)\n",
	       sanitize(state->version, version, sizeof(version)), state->abi_version);
	printf("  default mode:            %s\n",
	       sanitize(state->default_mode, mode, sizeof(mode)));
	printf("  fine-grained traps:      %s (FEAT_FGT %s)\n",
	       sanitize(state->fgt, fgt, sizeof(fgt)),
	       state->fgt_present ? "present" : "not present");
	printf("  trap policy:             %s\n", state->trap_policy[0] ?
	       sanitize(state->trap_policy, trap_policy, sizeof(trap_policy)) : "-");
	printf("  fast path:               %s\n", module_yes_no(&state->fast_path));
	printf("  reserved host counters:  %lu\n", state->reserved_host_counters);
	printf("  counters claimed:        %s\n", module_yes_no(&state->counters_claimed));
	printf("  partitioned VMs:         %s\n",
	       table_cell_uint(partitioned_vms, sizeof(partitioned_vms),
			       state->partitioned_vms.present, state->partitioned_vms.value));
	printf("  VMs attached:            %lu\n", state->vms);
}

void module_state_write_json(struct json_writer *w, const struct module_state *state)
{
	json_start_object(w);
	json_string_field(w, "version", state->version);
	json_uint_field(w, "abi_version", state->abi_version);
	json_string_field(w, "default_mode", state->default_mode);
	json_string_field(w, "fgt", state->fgt);
	json_bool_field(w, "fgt_present", state->fgt_present);
	json_string_or_null_field(w, "trap_policy",
				  state->trap_policy[0] ? state->trap_policy : NULL);
	json_bool_or_null_field(w, "fast_path", state->fast_path.present,
				state->fast_path.value);
	json_uint_field(w, "reserved_host_counters", state->reserved_host_counters);
	json_bool_or_null_field(w, "counters_claimed", state->counters_claimed.present,
				state->counters_claimed.value);
	json_uint_or_null_field(w, "partitioned_vms", state->partitioned_vms.present,
				state->partitioned_vms.value);
	json_uint_field(w, "vms", state->vms);
	json_end_object(w);
}

static int do_module_show(int argc, char **argv)
{
	return pmuctl_show(PMUCTL_SHOW_MODULE, 0, argc, argv);
}

static const struct pmuctl_object module_object = {
	.name = "module",
	.show = do_module_show,
	.help = "Usage: pmuctl [OPTIONS] module { show | help }\n"
		"\n"
		"  pmuctl module show   show the state of kvm_pmu_partition: version,\n"
		"                       hook ABI, default mode, fine-grained traps, trap\n"
		"                       policy of partitioned guests, guest-exit fast path,\n"
		"                       reserved host counters, whether the guest counters\n"
		"                       are claimed, partitioned VMs, attached VMs\n"
		"  pmuctl module help   show this help\n"
		"\n"
		"\"pmuctl module\" alone is \"pmuctl module show\"; \"pmuctl reserve N\" changes\n"
		"the reserved host counters.\n"
		"OPTIONS := { -j|--json | -p|--pretty }\n",
};

int do_module(int argc, char **argv)
{
	return pmuctl_run_object(&module_object, argc, argv);
}

/*
 * Test hook: under a fake tree (PMUCTL_SYSFS_ROOT set), the errno named by
 * PMUCTL_FAKE_WRITE_ERRNO replaces the result of writing
 * reserved_host_counters, since a plain file cannot refuse a value as the
 * module does.  Returns 0 when there is none, the errno, or -1 after an
 * error.
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

int do_reserve(int argc, char **argv)
{
	char path[PATH_MAX], shown[64];
	unsigned long count;
	struct json_writer w;
	const char *root;
	struct stat st;
	int error;

	if (argc < 1) {
		p_err("missing N, the number of counters to reserve for host perf (try: pmuctl help)");
		return EXIT_USAGE;
	}
	if (parse_ulong(argv[0], &count)) {
		p_err("invalid N '%s' (expected a non-negative decimal number of counters)",
		      sanitize(argv[0], shown, sizeof(shown)));
		return EXIT_USAGE;
	}
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
