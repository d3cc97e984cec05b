// SPDX-License-Identifier: GPL-2.0
/*
 * vm.c - the "vm" object: the VMs that went through the module.
 *
 * Owns: listing ROOT/vm/ in name order (a missing vm/ is an older module:
 * no VMs), reading each VM's files (pid, mode) and its vcpu<id>/ directories
 * in id order (backing_pmu, loads, backing_switches), skipping a VM or vCPU
 * whose directory vanishes while it is read, printing them as a table or as
 * the JSON "vms" array, and the "pmuctl vm" verbs.
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

/*
 * scandir() filter: every entry except "." and ".."; non-directories are
 * skipped later, because d_type is not reliable on every filesystem.
 */
static int vm_dirent_filter(const struct dirent *entry)
{
	return strcmp(entry->d_name, ".") && strcmp(entry->d_name, "..");
}

/* Byte order, independent of the locale. */
static int vm_dirent_compare(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/*
 * Parse a vCPU directory name, "vcpu" and a decimal id without leading
 * zeros as the kernel writes it ("vcpu%d"); returns 0 or -1.
 */
static int vcpu_parse_name(const char *name, unsigned long *id)
{
	if (strncmp(name, "vcpu", 4))
		return -1;
	name += 4;
	if (name[0] == '0' && name[1])
		return -1;
	if (parse_ulong(name, id) || *id > INT_MAX)
		return -1;
	return 0;
}

/* scandir() filter: the vcpu<id> entries; the VM's own files are read by name. */
static int vcpu_dirent_filter(const struct dirent *entry)
{
	unsigned long id;

	return !vcpu_parse_name(entry->d_name, &id);
}

static int vcpu_compare(const void *a, const void *b)
{
	const struct vcpu_info *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/*
 * Stat PATH, which the kernel may remove at any time: 0 with *IS_DIR set,
 * SYSFS_GONE when it does not exist, -1 after printing an error.
 */
static int vm_stat_dir(const char *path, bool *is_dir)
{
	struct stat st;

	if (stat(path, &st)) {
		if (errno == ENOENT)
			return SYSFS_GONE;
		p_err("cannot stat %s: %s", path, strerror(errno));
		return -1;
	}
	*is_dir = S_ISDIR(st.st_mode);
	return 0;
}

/* Read VM_DIR/NAME into *VCPU; 0, SYSFS_GONE (skip it) or -1. */
static int vcpu_read(const char *vm_dir, const char *name, struct vcpu_info *vcpu)
{
	char dir[PATH_MAX];
	bool is_dir;
	int ret;

	if (snprintf(dir, sizeof(dir), "%s/%s", vm_dir, name) >= (int)sizeof(dir)) {
		p_err("path too long: %s/%s", vm_dir, name);
		return -1;
	}
	ret = vm_stat_dir(dir, &is_dir);
	if (ret)
		return ret;
	if (!is_dir)
		return SYSFS_GONE;

	vcpu_parse_name(name, &vcpu->id);
	ret = sysfs_try_read_string(dir, "backing_pmu", vcpu->backing_pmu,
				    sizeof(vcpu->backing_pmu));
	if (!ret)
		ret = sysfs_try_read_u64(dir, "loads", &vcpu->loads);
	if (!ret)
		ret = sysfs_try_read_u64(dir, "backing_switches",
					 &vcpu->backing_switches);
	return ret;
}

/* Read the vcpu<id>/ directories of VM_DIR, sorted by id; 0, SYSFS_GONE or -1. */
static int vm_read_vcpus(const char *vm_dir, struct vm_info *vm)
{
	struct dirent **entries;
	int nr_entries, i, ret = -1, skipped = 0;
	bool is_dir;

	nr_entries = scandir(vm_dir, &entries, vcpu_dirent_filter, vm_dirent_compare);
	if (nr_entries < 0) {
		if (errno == ENOENT)
			return SYSFS_GONE;
		p_err("cannot list %s: %s", vm_dir, strerror(errno));
		return -1;
	}

	vm->vcpus = calloc(nr_entries ? nr_entries : 1, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		p_err("out of memory listing %s", vm_dir);
		goto out;
	}
	for (i = 0; i < nr_entries; i++) {
		ret = vcpu_read(vm_dir, entries[i]->d_name, &vm->vcpus[vm->nr_vcpus]);
		if (ret < 0)
			goto out;
		if (ret == SYSFS_GONE)
			skipped++;
		else
			vm->nr_vcpus++;
	}
	qsort(vm->vcpus, vm->nr_vcpus, sizeof(*vm->vcpus), vcpu_compare);

	/*
	 * A vCPU that vanished may mean the whole VM is being destroyed: do
	 * not show a VM whose directory is gone with the vCPUs that were left.
	 */
	ret = skipped ? vm_stat_dir(vm_dir, &is_dir) : 0;
out:
	for (i = 0; i < nr_entries; i++)
		free(entries[i]);
	free(entries);
	return ret;
}

/*
 * Read VM_PARENT/NAME into *VM; 0, SYSFS_GONE (skip it: gone, not a
 * directory, or PID_FILTER is not 0 and the VM is another process's) or -1.
 */
static int vm_read(const char *vm_parent, const char *name, unsigned long pid_filter,
		   struct vm_info *vm)
{
	char dir[PATH_MAX];
	bool is_dir;
	int ret;

	if (snprintf(dir, sizeof(dir), "%s/%s", vm_parent, name) >= (int)sizeof(dir) ||
	    strlen(name) >= sizeof(vm->name)) {
		p_err("path too long: %s/%s", vm_parent, name);
		return -1;
	}
	ret = vm_stat_dir(dir, &is_dir);
	if (ret)
		return ret;
	if (!is_dir)
		return SYSFS_GONE;
	strcpy(vm->name, name);

	ret = sysfs_try_read_ulong(dir, "pid", &vm->pid);
	if (ret)
		return ret;
	/* Other processes' VMs are not read at all, so cannot fail the command. */
	if (pid_filter && vm->pid != pid_filter)
		return SYSFS_GONE;
	ret = sysfs_try_read_string(dir, "mode", vm->mode, sizeof(vm->mode));
	if (ret)
		return ret;
	return vm_read_vcpus(dir, vm);
}

void vm_list_free(struct vm_list *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		free(list->vms[i].vcpus);
	free(list->vms);
	list->vms = NULL;
	list->count = 0;
}

int vm_list_read(const char *root, unsigned long pid_filter, struct vm_list *list)
{
	char vm_parent[PATH_MAX];
	struct dirent **entries;
	int nr_entries, i, ret = -1;

	list->vms = NULL;
	list->count = 0;

	if (snprintf(vm_parent, sizeof(vm_parent), "%s/vm", root) >= (int)sizeof(vm_parent)) {
		p_err("path too long: %s/vm", root);
		return -1;
	}
	nr_entries = scandir(vm_parent, &entries, vm_dirent_filter, vm_dirent_compare);
	if (nr_entries < 0) {
		/* Modules older than the vm/ directory: no VM to show. */
		if (errno == ENOENT)
			return 0;
		p_err("cannot list %s: %s", vm_parent, strerror(errno));
		return -1;
	}

	list->vms = calloc(nr_entries ? nr_entries : 1, sizeof(*list->vms));
	if (!list->vms) {
		p_err("out of memory listing %s", vm_parent);
		goto out;
	}

	for (i = 0; i < nr_entries; i++) {
		struct vm_info *vm = &list->vms[list->count];
		int err = vm_read(vm_parent, entries[i]->d_name, pid_filter, vm);

		if (err < 0) {
			free(vm->vcpus);
			goto out;
		}
		if (err == SYSFS_GONE) {
			free(vm->vcpus);
			memset(vm, 0, sizeof(*vm));
			continue;
		}
		list->count++;
	}
	ret = 0;
out:
	for (i = 0; i < nr_entries; i++)
		free(entries[i]);
	free(entries);
	if (ret)
		vm_list_free(list);
	return ret;
}

#define VM_COLUMNS 7

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
	char id[24];
	char backing_pmu[VCPU_BACKING_PMU_SIZE];
	char loads[24];
	char switches[24];
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
	if (!vcpu) {
		for (column = 3; column < VM_COLUMNS; column++)
			cells[column] = "-";
		return;
	}
	snprintf(text->id, sizeof(text->id), "%lu", vcpu->id);
	snprintf(text->loads, sizeof(text->loads), "%llu", vcpu->loads);
	snprintf(text->switches, sizeof(text->switches), "%llu", vcpu->backing_switches);
	cells[3] = text->id;
	cells[4] = sanitize(vcpu->backing_pmu, text->backing_pmu, sizeof(text->backing_pmu));
	cells[5] = text->loads;
	cells[6] = text->switches;
}

void vm_list_print_plain(const struct vm_list *list)
{
	static const char *const headers[VM_COLUMNS] = {
		"VM", "PID", "MODE", "VCPU", "BACKING PMU", "LOADS", "SWITCHES",
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
		json_name(w, "vcpus");
		json_start_array(w);
		for (v = 0; v < vm->nr_vcpus; v++) {
			const struct vcpu_info *vcpu = &vm->vcpus[v];

			json_start_object(w);
			json_uint_field(w, "id", vcpu->id);
			json_string_field(w, "backing_pmu", vcpu->backing_pmu);
			json_uint_field(w, "loads", vcpu->loads);
			json_uint_field(w, "backing_switches", vcpu->backing_switches);
			json_end_object(w);
		}
		json_end_array(w);
		json_end_object(w);
	}
	json_end_array(w);
}

/* Parse the PID argument of "vm show": a positive process id. */
static int vm_parse_pid(const char *arg, unsigned long *pid)
{
	char shown[64];

	if (parse_ulong(arg, pid) || !*pid || *pid > INT_MAX) {
		p_err("invalid PID '%s' (expected a positive decimal process id)",
		      sanitize(arg, shown, sizeof(shown)));
		return EXIT_USAGE;
	}
	return 0;
}

static int do_vm_show(int argc, char **argv)
{
	unsigned long pid = 0;
	struct vm_list list;
	struct json_writer w;
	const char *root;

	if (argc > 0) {
		if (vm_parse_pid(argv[0], &pid))
			return EXIT_USAGE;
		argc--;
		argv++;
	}
	if (pmuctl_no_more_args(argc, argv))
		return EXIT_USAGE;
	root = pmuctl_sysfs_root();
	if (!root)
		return EXIT_FAIL;
	if (vm_list_read(root, pid, &list))
		return EXIT_FAIL;

	if (json_output) {
		json_writer_init(&w, stdout, pretty_output);
		vm_list_write_json(&w, &list);
		json_writer_finish(&w);
	} else {
		vm_list_print_plain(&list);
	}
	vm_list_free(&list);
	return pmuctl_finish_output();
}

static int do_vm_help(int argc, char **argv)
{
	if (pmuctl_no_more_args(argc, argv))
		return EXIT_USAGE;
	printf("Usage: pmuctl [OPTIONS] vm { show [PID] | help }\n"
	       "\n"
	       "  pmuctl vm show       list the VMs that went through kvm_pmu_partition,\n"
	       "                       one row per vCPU: VM, VMM process id, mode, vCPU id,\n"
	       "                       host PMU backing the cycle counter, vcpu_load count,\n"
	       "                       backing PMU changes\n"
	       "  pmuctl vm show PID   only the VMs of process PID\n"
	       "  pmuctl vm help       show this help\n"
	       "\n"
	       "\"pmuctl vm\" alone is \"pmuctl vm show\".\n"
	       "OPTIONS := { -j|--json | -p|--pretty }\n");
	return pmuctl_finish_output();
}

int do_vm(int argc, char **argv)
{
	if (argc < 1)
		return do_vm_show(0, argv);
	if (!strcmp(argv[0], "show"))
		return do_vm_show(argc - 1, argv + 1);
	if (!strcmp(argv[0], "help"))
		return do_vm_help(argc - 1, argv + 1);
	p_err("unknown command '%s' for object 'vm' (try: pmuctl vm help)", argv[0]);
	return EXIT_USAGE;
}
