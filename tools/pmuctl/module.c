// SPDX-License-Identifier: GPL-2.0
/*
 * module.c - the "module" object: kvm_pmu_partition's global state.
 *
 * Owns: reading the files at the top of the sysfs root (version,
 * abi_version, default_mode, fgt, fgt_present, reserved_host_counters,
 * vms, and the optional trap_policy, fast_path, partitioned_vms,
 * counters_claimed), printing them as text or as the JSON "module" object
 * (the vms file as "attached_vms": "vms" is the array of VMs), and what
 * "pmuctl module" shows and its help text (pmuctl.c runs the verbs).
 */
#include <stdio.h>
#include <string.h>

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
	json_uint_field(w, "attached_vms", state->vms);
	json_end_object(w);
}

static int do_module_show(int argc, char **argv)
{
	return pmuctl_show(PMUCTL_SHOW_MODULE, 0, argc, argv);
}

static const struct pmuctl_cmd module_verbs[] = {
	{ "show",	do_module_show },
	{ NULL,		NULL },
};

const struct pmuctl_object module_object = {
	.name = "module",
	.verbs = module_verbs,
	.help = "Usage: pmuctl [OPTIONS] module { show | help }\n"
		"\n"
		"  pmuctl module show   show the state of kvm_pmu_partition: version,\n"
		"                       hook ABI, default mode, fine-grained traps, trap\n"
		"                       policy of partitioned guests, guest-exit fast path,\n"
		"                       reserved host counters, whether the guest counters\n"
		"                       are claimed, partitioned VMs, attached VMs\n"
		"  pmuctl module help   show this help\n"
		"\n"
		"\"pmuctl module\" alone is \"pmuctl module show\"; \"pmuctl pmu reserve N\"\n"
		"changes the reserved host counters.\n"
		"OPTIONS := { -j|--json | -p|--pretty }\n",
};
