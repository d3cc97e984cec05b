// SPDX-License-Identifier: GPL-2.0
/*
 * vm.c - the "vm" object: the VMs that went through the module.
 *
 * Owns: listing ROOT/vm/ in name order (a missing vm/ is an older module:
 * no VMs), reading each VM's files (pid, mode, the optional hpmn) and its
 * vcpu<id>/ directories in id order (backing_pmu, loads, backing_switches,
 * and the optional state, cpu, swaps_in, swaps_out, overflows and traps,
 * which modules before 0.2.0 do not have), skipping a VM or vCPU whose
 * directory vanishes while it is read, printing them as a table (and the
 * trap table) or as the JSON "vms" array, and what "pmuctl vm [PID]" shows
 * and its help text (pmuctl.c runs the verbs).
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmuctl.h"
#include "sysfs.h"
#include "table.h"

/* scandir() filter: the vcpu<id> entries; the VM's own files are read by name. */
static int vcpu_dirent_filter(const struct dirent *entry)
{
	unsigned long id;

	return !parse_index_name(entry->d_name, "vcpu", &id);
}

static int vcpu_compare(const void *a, const void *b)
{
	const struct vcpu_info *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* A register name in a traps file: lower-case letters, digits, '_'. */
static bool vcpu_register_name_valid(const char *name)
{
	size_t i;

	if (!name[0] || strlen(name) >= VCPU_REGISTER_SIZE)
		return false;
	for (i = 0; name[i]; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
			return false;
	return true;
}

/* Parse one "<register> <fast> <full>" LINE into *TRAPS; 0 or -1. */
static int vcpu_parse_traps_line(char *line, struct vcpu_traps *traps)
{
	char *fields[3], *save = NULL, *field;
	int nr_fields = 0;

	for (field = strtok_r(line, " \t", &save); field;
	     field = strtok_r(NULL, " \t", &save)) {
		if (nr_fields == 3)
			return -1;
		fields[nr_fields++] = field;
	}
	if (nr_fields != 3 || !vcpu_register_name_valid(fields[0]) ||
	    parse_u64(fields[1], &traps->fast) || parse_u64(fields[2], &traps->full))
		return -1;
	memcpy(traps->name, fields[0], strlen(fields[0]) + 1);
	return 0;
}

/*
 * Parse TEXT, the traps file of the vCPU in DIR, into VCPU: one line per
 * register, in the file's order; 0, or -1 after an error naming the file.
 */
static int vcpu_parse_traps(const char *dir, char *text, struct vcpu_info *vcpu)
{
	char shown[64], *line, *next;
	unsigned int line_number = 0;
	size_t i;

	vcpu->nr_traps = 0;
	if (!text[0])
		return 0;
	for (line = text; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		line_number++;
		/* Parsing cuts LINE into fields: keep it whole for the message. */
		sanitize(line, shown, sizeof(shown));
		if (vcpu->nr_traps == VCPU_TRAPS_MAX) {
			p_err("%s/traps: more than %d registers", dir, VCPU_TRAPS_MAX);
			return -1;
		}
		if (vcpu_parse_traps_line(line, &vcpu->traps[vcpu->nr_traps])) {
			p_err("%s/traps: invalid line %u \"%s\" (expected: REGISTER FAST FULL)",
			      dir, line_number, shown);
			return -1;
		}
		for (i = 0; i < vcpu->nr_traps; i++) {
			if (!strcmp(vcpu->traps[i].name, vcpu->traps[vcpu->nr_traps].name)) {
				p_err("%s/traps: register %s listed twice", dir,
				      vcpu->traps[i].name);
				return -1;
			}
		}
		vcpu->nr_traps++;
	}
	return 0;
}

/*
 * Read the partitioned PMU's files of the vCPU in DIR (state, cpu,
 * swaps_in, swaps_out, overflows, traps), which modules before 0.2.0 do
 * not have: a missing one is absent, unless the vCPU itself is gone.
 * 0, SYSFS_GONE (skip it) or -1.
 */
static int vcpu_read_partition(const char *dir, struct vcpu_info *vcpu)
{
	char text[SYSFS_PAGE_SIZE + 1];
	bool is_dir;
	int ret;

	if (sysfs_read_optional_string(dir, "state", vcpu->state, sizeof(vcpu->state)) ||
	    sysfs_read_optional_index(dir, "cpu", &vcpu->cpu) ||
	    sysfs_read_optional_u64(dir, "swaps_in", &vcpu->swaps_in) ||
	    sysfs_read_optional_u64(dir, "swaps_out", &vcpu->swaps_out) ||
	    sysfs_read_optional_u64(dir, "overflows", &vcpu->overflows))
		return -1;
	ret = sysfs_try_read_text(dir, "traps", text, sizeof(text));
	if (ret < 0)
		return -1;
	vcpu->has_traps = !ret;
	if (vcpu->has_traps && vcpu_parse_traps(dir, text, vcpu))
		return -1;

	/* Files that were missing may have gone with the vCPU. */
	return sysfs_stat_dir(dir, &is_dir);
}

/* sysfs_read_dir() reader: the vcpu<id>/ directory NAME, at PATH, into ELEMENT. */
static int vcpu_read(const char *path, const char *name, void *element, void *context)
{
	struct vcpu_info *vcpu = element;
	int ret;

	(void)context;			/* every vCPU is read */
	parse_index_name(name, "vcpu", &vcpu->id);
	ret = sysfs_try_read_string(path, "backing_pmu", vcpu->backing_pmu,
				    sizeof(vcpu->backing_pmu));
	if (!ret)
		ret = sysfs_try_read_u64(path, "loads", &vcpu->loads);
	if (!ret)
		ret = sysfs_try_read_u64(path, "backing_switches",
					 &vcpu->backing_switches);
	if (!ret)
		ret = vcpu_read_partition(path, vcpu);
	return ret;
}

static const struct sysfs_dir_reader vcpu_dir_reader = {
	.filter = vcpu_dirent_filter,
	.compare = sysfs_dirent_byte_order,
	.only_dirs = true,
	.element_size = sizeof(struct vcpu_info),
	.read_entry = vcpu_read,
};

/* Read the vcpu<id>/ directories of VM_DIR, sorted by id; 0, SYSFS_GONE or -1. */
static int vm_read_vcpus(const char *vm_dir, struct vm_info *vm)
{
	struct sysfs_dir_array array;
	bool is_dir;
	int ret;

	ret = sysfs_read_dir(vm_dir, &vcpu_dir_reader, NULL, &array);
	if (ret)
		return ret;
	vm->vcpus = array.elements;
	vm->nr_vcpus = array.count;
	qsort(vm->vcpus, vm->nr_vcpus, sizeof(*vm->vcpus), vcpu_compare);

	/*
	 * A vCPU that vanished may mean the whole VM is being destroyed: do
	 * not show a VM whose directory is gone with the vCPUs that were left.
	 */
	return array.skipped ? sysfs_stat_dir(vm_dir, &is_dir) : 0;
}

/*
 * sysfs_read_dir() reader: the VM directory NAME, at PATH, into ELEMENT;
 * CONTEXT points to the PID filter: when not 0, another process's VM is
 * skipped.
 */
static int vm_read(const char *path, const char *name, void *element, void *context)
{
	const unsigned long *pid_filter = context;
	struct vm_info *vm = element;
	int ret;

	if (strlen(name) >= sizeof(vm->name)) {
		p_err("path too long: %s", path);
		return -1;
	}
	memcpy(vm->name, name, strlen(name) + 1);

	ret = sysfs_try_read_ulong(path, "pid", &vm->pid);
	if (ret)
		return ret;
	/* Other processes' VMs are not read at all, so cannot fail the command. */
	if (*pid_filter && vm->pid != *pid_filter)
		return SYSFS_GONE;
	ret = sysfs_try_read_string(path, "mode", vm->mode, sizeof(vm->mode));
	if (ret)
		return ret;
	/* Modules before 0.2.0 have no hpmn; a VM that vanished has no vCPUs. */
	if (sysfs_read_optional_index(path, "hpmn", &vm->hpmn))
		return -1;
	return vm_read_vcpus(path, vm);
}

/* sysfs_read_dir() release: the vCPUs of the VM ELEMENT. */
static void vm_release(void *element)
{
	struct vm_info *vm = element;

	free(vm->vcpus);
}

static const struct sysfs_dir_reader vm_dir_reader = {
	.filter = sysfs_dirent_any,
	.compare = sysfs_dirent_byte_order,
	.only_dirs = true,
	.element_size = sizeof(struct vm_info),
	.read_entry = vm_read,
	.release = vm_release,
};

void vm_list_free(struct vm_list *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		vm_release(&list->vms[i]);
	free(list->vms);
	list->vms = NULL;
	list->count = 0;
}

int vm_list_read(const char *root, unsigned long pid_filter, struct vm_list *list)
{
	struct sysfs_dir_array array;
	char vm_parent[PATH_MAX];
	int ret;

	list->vms = NULL;
	list->count = 0;
	if (sysfs_join(vm_parent, sizeof(vm_parent), root, "vm"))
		return -1;
	ret = sysfs_read_dir(vm_parent, &vm_dir_reader, &pid_filter, &array);
	/* SYSFS_GONE: a module older than the vm/ directory, no VM to show. */
	if (ret)
		return ret < 0 ? -1 : 0;
	list->vms = array.elements;
	list->count = array.count;
	return 0;
}

#define VM_COLUMNS 13

/* Rows of VM in the table: one per vCPU, one of "-" for a VM without vCPUs. */
static size_t vm_rows(const struct vm_info *vm)
{
	return vm->nr_vcpus ? vm->nr_vcpus : 1;
}

/* The strings the cells of one table row point to. */
struct vm_row_text {
	char name[VM_NAME_SIZE];
	char pid[24];
	char mode[VM_MODE_SIZE];
	char hpmn[24];
	char id[24];
	char backing_pmu[VCPU_BACKING_PMU_SIZE];
	char loads[24];
	char switches[24];
	char state[VCPU_STATE_SIZE];
	char cpu[24];
	char swaps_in[24];
	char swaps_out[24];
	char overflows[24];
};

/* Fill CELLS, with TEXT, for row ROW of VM. */
static void vm_fill_row(const struct vm_info *vm, size_t row, struct vm_row_text *text,
			const char **cells)
{
	const struct vcpu_info *vcpu = vm->nr_vcpus ? &vm->vcpus[row] : NULL;
	int column;

	snprintf(text->pid, sizeof(text->pid), "%lu", vm->pid);
	cells[0] = sanitize(vm->name, text->name, sizeof(text->name));
	cells[1] = text->pid;
	cells[2] = sanitize(vm->mode, text->mode, sizeof(text->mode));
	cells[3] = table_cell_uint(text->hpmn, sizeof(text->hpmn), vm->hpmn >= 0, vm->hpmn);
	if (!vcpu) {
		for (column = 4; column < VM_COLUMNS; column++)
			cells[column] = "-";
		return;
	}
	snprintf(text->id, sizeof(text->id), "%lu", vcpu->id);
	snprintf(text->loads, sizeof(text->loads), "%llu", vcpu->loads);
	snprintf(text->switches, sizeof(text->switches), "%llu", vcpu->backing_switches);
	cells[4] = text->id;
	cells[5] = sanitize(vcpu->backing_pmu, text->backing_pmu, sizeof(text->backing_pmu));
	cells[6] = text->loads;
	cells[7] = text->switches;
	cells[8] = vcpu->state[0] ?
		   sanitize(vcpu->state, text->state, sizeof(text->state)) : "-";
	cells[9] = table_cell_uint(text->cpu, sizeof(text->cpu), vcpu->cpu >= 0, vcpu->cpu);
	cells[10] = table_cell_uint(text->swaps_in, sizeof(text->swaps_in),
				    vcpu->swaps_in.present, vcpu->swaps_in.value);
	cells[11] = table_cell_uint(text->swaps_out, sizeof(text->swaps_out),
				    vcpu->swaps_out.present, vcpu->swaps_out.value);
	cells[12] = table_cell_uint(text->overflows, sizeof(text->overflows),
				    vcpu->overflows.present, vcpu->overflows.value);
}

#define TRAPS_COLUMNS 5

/* The strings the cells of one trap table row point to. */
struct traps_row_text {
	char name[VM_NAME_SIZE];
	char id[24];
	char fast[24];
	char full[24];
};

/*
 * Widen WIDTHS for, or with PRINT print, the trap table row of register
 * TRAP of VCPU of VM; VCPU is NULL for a VM without vCPUs and TRAP is NULL
 * for a vCPU without trap counts: "-".
 */
static void traps_row(const struct vm_info *vm, const struct vcpu_info *vcpu,
		      const struct vcpu_traps *trap, int *widths, bool print)
{
	const char *cells[TRAPS_COLUMNS];
	struct traps_row_text text;

	cells[0] = sanitize(vm->name, text.name, sizeof(text.name));
	cells[1] = vcpu ? table_cell_uint(text.id, sizeof(text.id), true, vcpu->id) : "-";
	cells[2] = trap ? trap->name : "-";
	cells[3] = table_cell_uint(text.fast, sizeof(text.fast), trap, trap ? trap->fast : 0);
	cells[4] = table_cell_uint(text.full, sizeof(text.full), trap, trap ? trap->full : 0);
	if (print)
		table_print_row(widths, cells, TRAPS_COLUMNS);
	else
		table_widen(widths, cells, TRAPS_COLUMNS);
}

/*
 * Widen WIDTHS for, or with PRINT print, every row of the trap table: one
 * per register of each vCPU, one of "-" for a vCPU without trap counts (a
 * module before 0.2.0) and for a VM without vCPUs.
 */
static void traps_rows(const struct vm_list *list, int *widths, bool print)
{
	const struct vcpu_info *vcpu;
	const struct vm_info *vm;
	size_t i, v, t;

	for (i = 0; i < list->count; i++) {
		vm = &list->vms[i];
		if (!vm->nr_vcpus)
			traps_row(vm, NULL, NULL, widths, print);
		for (v = 0; v < vm->nr_vcpus; v++) {
			vcpu = &vm->vcpus[v];
			if (!vcpu->nr_traps)
				traps_row(vm, vcpu, NULL, widths, print);
			for (t = 0; t < vcpu->nr_traps; t++)
				traps_row(vm, vcpu, &vcpu->traps[t], widths, print);
		}
	}
}

/* The trap table of every vCPU: register, fast-path and full-exit counts. */
static void vm_list_print_traps(const struct vm_list *list)
{
	static const char *const headers[TRAPS_COLUMNS] = {
		"VM", "VCPU", "REGISTER", "FAST", "FULL",
	};
	int widths[TRAPS_COLUMNS] = { 0 };

	table_widen(widths, headers, TRAPS_COLUMNS);
	traps_rows(list, widths, false);
	table_print_row(widths, headers, TRAPS_COLUMNS);
	traps_rows(list, widths, true);
}

void vm_list_print_plain(const struct vm_list *list)
{
	static const char *const headers[VM_COLUMNS] = {
		"VM", "PID", "MODE", "HPMN", "VCPU", "BACKING PMU", "LOADS", "SWITCHES",
		"STATE", "CPU", "SWAPS IN", "SWAPS OUT", "OVERFLOWS",
	};
	int widths[VM_COLUMNS] = { 0 };
	const char *cells[VM_COLUMNS];
	struct vm_row_text text;
	size_t i, row;

	if (!list->count) {
		printf("no VMs\n");
		return;
	}

	table_widen(widths, headers, VM_COLUMNS);
	for (i = 0; i < list->count; i++) {
		for (row = 0; row < vm_rows(&list->vms[i]); row++) {
			vm_fill_row(&list->vms[i], row, &text, cells);
			table_widen(widths, cells, VM_COLUMNS);
		}
	}

	table_print_row(widths, headers, VM_COLUMNS);
	for (i = 0; i < list->count; i++) {
		for (row = 0; row < vm_rows(&list->vms[i]); row++) {
			vm_fill_row(&list->vms[i], row, &text, cells);
			table_print_row(widths, cells, VM_COLUMNS);
		}
	}

	if (traps_output) {
		printf("\n");
		vm_list_print_traps(list);
	}
}

/* The traps member of VCPU: an object of {fast, full} per register, or null. */
static void vcpu_write_traps_json(struct json_writer *w, const struct vcpu_info *vcpu)
{
	size_t t;

	json_name(w, "traps");
	if (!vcpu->has_traps) {
		json_null(w);
		return;
	}
	json_start_object(w);
	for (t = 0; t < vcpu->nr_traps; t++) {
		json_name(w, vcpu->traps[t].name);
		json_start_object(w);
		json_uint_field(w, "fast", vcpu->traps[t].fast);
		json_uint_field(w, "full", vcpu->traps[t].full);
		json_end_object(w);
	}
	json_end_object(w);
}

void vm_list_write_json(struct json_writer *w, const struct vm_list *list)
{
	size_t i, v;

	json_start_array(w);
	for (i = 0; i < list->count; i++) {
		const struct vm_info *vm = &list->vms[i];

		json_start_object(w);
		json_string_field(w, "name", vm->name);
		json_uint_field(w, "pid", vm->pid);
		json_string_field(w, "mode", vm->mode);
		json_uint_or_null_field(w, "hpmn", vm->hpmn >= 0, vm->hpmn);
		json_name(w, "vcpus");
		json_start_array(w);
		for (v = 0; v < vm->nr_vcpus; v++) {
			const struct vcpu_info *vcpu = &vm->vcpus[v];

			json_start_object(w);
			json_uint_field(w, "id", vcpu->id);
			json_string_field(w, "backing_pmu", vcpu->backing_pmu);
			json_uint_field(w, "loads", vcpu->loads);
			json_uint_field(w, "backing_switches", vcpu->backing_switches);
			json_string_or_null_field(w, "state",
						  vcpu->state[0] ? vcpu->state : NULL);
			json_uint_or_null_field(w, "cpu", vcpu->cpu >= 0, vcpu->cpu);
			json_uint_or_null_field(w, "swaps_in", vcpu->swaps_in.present,
						vcpu->swaps_in.value);
			json_uint_or_null_field(w, "swaps_out", vcpu->swaps_out.present,
						vcpu->swaps_out.value);
			json_uint_or_null_field(w, "overflows", vcpu->overflows.present,
						vcpu->overflows.value);
			vcpu_write_traps_json(w, vcpu);
			json_end_object(w);
		}
		json_end_array(w);
		json_end_object(w);
	}
	json_end_array(w);
}

static int do_vm_show(int argc, char **argv)
{
	unsigned long pid = 0;

	if (argc > 0) {
		if (pmuctl_parse_number("PID", "a process id", argv[0], 1, INT_MAX, &pid))
			return EXIT_USAGE;
		argc--;
		argv++;
	}
	return pmuctl_show(PMUCTL_SHOW_VMS, pid, argc, argv);
}

static const struct pmuctl_cmd vm_verbs[] = {
	{ "show",	do_vm_show },
	{ NULL,		NULL },
};

const struct pmuctl_object vm_object = {
	.name = "vm",
	.verbs = vm_verbs,
	.help = "Usage: pmuctl [OPTIONS] vm { show [PID] | help }\n"
		"\n"
		"  pmuctl vm show       list the VMs that went through kvm_pmu_partition,\n"
		"                       one row per vCPU: VM, VMM process id, mode, guest\n"
		"                       counters of a partitioned VM (HPMN), vCPU id, host\n"
		"                       PMU backing the cycle counter, vcpu_load count,\n"
		"                       backing PMU changes, PMU state (free or guest-owned),\n"
		"                       CPU it is guest-owned on, PMU state loads (swaps in)\n"
		"                       and saves (swaps out), overflow interrupts\n"
		"  pmuctl vm show PID   only the VMs of process PID\n"
		"  pmuctl vm help       show this help\n"
		"\n"
		"\"pmuctl vm\" alone is \"pmuctl vm show\".  With -t, the table is followed\n"
		"by each vCPU's trapped PMU register accesses: handled in the guest-exit\n"
		"path (FAST) or by a full exit (FULL); the JSON always has them (\"traps\").\n"
		"OPTIONS := { -j|--json | -p|--pretty | -t|--traps }\n",
};
