// SPDX-License-Identifier: GPL-2.0
/*
 * module.c - the "module" object: kvm_pmu_partition's global state.
 *
 * Owns: reading the files at the top of the sysfs root (version,
 * abi_version, default_mode, fgt, fgt_present, reserved_host_counters,
 * vms), printing them as text or as the JSON "module" object, and the
 * "pmuctl module" verbs.
 */
#include <stdio.h>
#include <string.h>

#include "pmuctl.h"
#include "sysfs.h"

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
	return 0;
}

void module_state_print_plain(const struct module_state *state)
{
	char version[sizeof(state->version)], mode[sizeof(state->default_mode)];
	char fgt[sizeof(state->fgt)];

	printf("kvm_pmu_partition %s (hook ABI %lu)\n",
	       sanitize(state->version, version, sizeof(version)), state->abi_version);
	printf("  default mode:            %s\n",
	       sanitize(state->default_mode, mode, sizeof(mode)));
	printf("  fine-grained traps:      %s (FEAT_FGT %s)\n",
	       sanitize(state->fgt, fgt, sizeof(fgt)),
	       state->fgt_present ? "present" : "not present");
	printf("  reserved host counters:  %lu\n", state->reserved_host_counters);
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
	json_uint_field(w, "reserved_host_counters", state->reserved_host_counters);
	json_uint_field(w, "vms", state->vms);
	json_end_object(w);
}

static int do_module_show(int argc, char **argv)
{
	struct module_state state;
	struct json_writer w;
	const char *root;

	if (pmuctl_no_more_args(argc, argv))
		return EXIT_USAGE;
	root = pmuctl_sysfs_root();
	if (!root)
		return EXIT_FAIL;
	if (module_state_read(root, &state))
		return EXIT_FAIL;

	if (json_output) {
		json_writer_init(&w, stdout, pretty_output);
		module_state_write_json(&w, &state);
		json_writer_finish(&w);
	} else {
		module_state_print_plain(&state);
	}
	return pmuctl_finish_output();
}

static int do_module_help(int argc, char **argv)
{
	if (pmuctl_no_more_args(argc, argv))
		return EXIT_USAGE;
	printf("Usage: pmuctl [OPTIONS] module { show | help }\n"
	       "\n"
	       "  pmuctl module show   show the state of kvm_pmu_partition: version,\n"
	       "                       hook ABI, default mode, fine-grained traps,\n"
	       "                       reserved host counters, attached VMs\n"
	       "  pmuctl module help   show this help\n"
	       "\n"
	       "\"pmuctl module\" alone is \"pmuctl module show\".\n"
	       "OPTIONS := { -j|--json | -p|--pretty }\n");
	return pmuctl_finish_output();
}

int do_module(int argc, char **argv)
{
	if (argc < 1)
		return do_module_show(0, argv);
	if (!strcmp(argv[0], "show"))
		return do_module_show(argc - 1, argv + 1);
	if (!strcmp(argv[0], "help"))
		return do_module_help(argc - 1, argv + 1);
	p_err("unknown command '%s' for object 'module' (try: pmuctl module help)", argv[0]);
	return EXIT_USAGE;
}
