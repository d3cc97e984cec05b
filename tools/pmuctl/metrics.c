// SPDX-License-Identifier: GPL-2.0
/*
 * metrics.c - "pmuctl metrics": the module's state in the Prometheus text
 * exposition format 0.0.4, for node_exporter's textfile collector.
 *
 * Owns: the metric families (names, all prefixed kvm_pmu_partition_, types,
 * help texts, labels) and the order they are written in; the format's
 * syntax: a family's HELP and TYPE lines written once, before its first
 * sample, its samples together, label values escaped (backslash, double
 * quote, newline) and made valid UTF-8 (U+FFFD for a byte that is not);
 * "kvm_pmu_partition_module_loaded 0", and exit status 0, when the module
 * is not loaded, so that a scraper does not fail; and refusing -j/-p, as
 * the output is not JSON.  Reading the state is the objects' (through
 * pmuctl_state_read()), as for "pmuctl show".
 */
#include <stdio.h>
#include <string.h>

#include "pmuctl.h"

#define METRICS_PREFIX "kvm_pmu_partition_"

/* A metric family: its samples share the name, type and help text. */
struct metric_family {
	const char *name;	/* after METRICS_PREFIX; a counter's ends in _total */
	const char *type;	/* "gauge" or "counter" */
	const char *help;	/* one line, without a backslash: written as is */
};

/* Writes samples to OUT, with the HELP and TYPE lines of each new family. */
struct metrics_writer {
	FILE *out;
	const struct metric_family *family;	/* of the last sample, or NULL */
};

/* The most labels of a sample: a vCPU's trapped accesses have 6. */
#define METRICS_MAX_LABELS 8

/* The labels of a sample, in the order they are written. */
struct metric_labels {
	const char *names[METRICS_MAX_LABELS];
	const char *values[METRICS_MAX_LABELS];
	/* Room for the values that are numbers. */
	char numbers[METRICS_MAX_LABELS][24];
	size_t count;
};

static void labels_add(struct metric_labels *labels, const char *name, const char *value)
{
	if (labels->count == METRICS_MAX_LABELS)
		return;		/* not reached: no family has more */
	labels->names[labels->count] = name;
	labels->values[labels->count] = value;
	labels->count++;
}

static void labels_add_uint(struct metric_labels *labels, const char *name,
			    unsigned long long value)
{
	if (labels->count == METRICS_MAX_LABELS)
		return;
	snprintf(labels->numbers[labels->count], sizeof(labels->numbers[0]), "%llu", value);
	labels_add(labels, name, labels->numbers[labels->count]);
}

/*
 * Write VALUE as a label value, between its quotes: a backslash, a double
 * quote and a newline escaped as the format has it, every other byte as it
 * is, except that a byte that does not start a valid UTF-8 sequence is
 * written as U+FFFD, since the format's parsers refuse invalid UTF-8 (and
 * node_exporter would then drop the whole file).
 */
static void metrics_write_label_value(FILE *out, const char *value)
{
	const unsigned char *s = (const unsigned char *)value;
	unsigned int length;

	while (*s) {
		if (*s == '\\') {
			fputs("\\\\", out);
		} else if (*s == '"') {
			fputs("\\\"", out);
		} else if (*s == '\n') {
			fputs("\\n", out);
		} else {
			length = utf8_sequence_length(s);
			if (!length) {
				fputs("\xef\xbf\xbd", out);	/* U+FFFD */
			} else {
				fwrite(s, 1, length, out);
				s += length;
				continue;
			}
		}
		s++;
	}
}

/*
 * Write one sample of FAMILY, with LABELS (NULL: none) and VALUE; before
 * the first sample of a family, its HELP and TYPE lines.  The caller writes
 * all the samples of a family one after the other.
 */
static void metrics_sample(struct metrics_writer *w, const struct metric_family *family,
			   const struct metric_labels *labels, unsigned long long value)
{
	size_t i;

	if (w->family != family) {
		fprintf(w->out, "# HELP %s%s %s\n", METRICS_PREFIX, family->name, family->help);
		fprintf(w->out, "# TYPE %s%s %s\n", METRICS_PREFIX, family->name, family->type);
		w->family = family;
	}
	fprintf(w->out, "%s%s", METRICS_PREFIX, family->name);
	if (labels && labels->count) {
		fputc('{', w->out);
		for (i = 0; i < labels->count; i++) {
			fprintf(w->out, "%s%s=\"", i ? "," : "", labels->names[i]);
			metrics_write_label_value(w->out, labels->values[i]);
			fputc('"', w->out);
		}
		fputc('}', w->out);
	}
	fprintf(w->out, " %llu\n", value);
}

static const struct metric_family module_loaded_family = {
	"module_loaded", "gauge",
	"1 if the kvm_pmu_partition module is loaded (its sysfs directory exists), 0 if not.",
};

static const struct metric_family module_info_family = {
	"module_info", "gauge",
	"Always 1; labels: the module's version, hook ABI version (abi_version), default mode, fgt parameter and trap policy of partitioned guests.",
};

static const struct metric_family fgt_present_family = {
	"fgt_present", "gauge",
	"1 if the CPUs implement FEAT_FGT (fine-grained traps), 0 if not.",
};

static const struct metric_family fast_path_family = {
	"fast_path", "gauge",
	"1 if trapped PMU register accesses are emulated in the guest-exit path, 0 if each takes a full exit.",
};

static const struct metric_family reserved_host_counters_family = {
	"reserved_host_counters", "gauge",
	"Event counters of every host PMU kept for host perf (the reservation).",
};

static const struct metric_family counters_claimed_family = {
	"counters_claimed", "gauge",
	"1 while the partition's counters are claimed from host perf (a partitioned VM exists), 0 if not.",
};

static const struct metric_family partitioned_vms_family = {
	"partitioned_vms", "gauge",
	"VMs holding the counter claim (in partitioned mode).",
};

static const struct metric_family attached_vms_family = {
	"attached_vms", "gauge",
	"VMs with vCPUs attached to the module.",
};

/* The module: the files at the top of the sysfs root; a file it lacks, no sample. */
static void metrics_write_module(struct metrics_writer *w, const struct module_state *module)
{
	struct metric_labels labels = { .count = 0 };

	metrics_sample(w, &module_loaded_family, NULL, 1);

	labels_add(&labels, "version", module->version);
	labels_add_uint(&labels, "abi_version", module->abi_version);
	labels_add(&labels, "default_mode", module->default_mode);
	labels_add(&labels, "fgt", module->fgt);
	if (module->trap_policy[0])
		labels_add(&labels, "trap_policy", module->trap_policy);
	metrics_sample(w, &module_info_family, &labels, 1);

	metrics_sample(w, &fgt_present_family, NULL, module->fgt_present);
	if (module->fast_path.present)
		metrics_sample(w, &fast_path_family, NULL, module->fast_path.value);
	metrics_sample(w, &reserved_host_counters_family, NULL, module->reserved_host_counters);
	if (module->counters_claimed.present)
		metrics_sample(w, &counters_claimed_family, NULL, module->counters_claimed.value);
	if (module->partitioned_vms.present)
		metrics_sample(w, &partitioned_vms_family, NULL, module->partitioned_vms.value);
	metrics_sample(w, &attached_vms_family, NULL, module->vms);
}

/* A number of a host PMU, or its info sample when VALUE is NULL. */
struct pmu_metric {
	struct metric_family family;
	unsigned long (*value)(const struct pmu_info *pmu);
};

static unsigned long pmu_counters(const struct pmu_info *pmu)
{
	return pmu->counters;
}

static unsigned long pmu_cycle_counters(const struct pmu_info *pmu)
{
	return pmu->cycle_counter;
}

static unsigned long pmu_reserved_host_counters(const struct pmu_info *pmu)
{
	return pmu->reserved_host_counters;
}

static unsigned long pmu_guest_counters(const struct pmu_info *pmu)
{
	return pmu->guest_counters;
}

static const struct pmu_metric pmu_metrics[] = {
	{ { "pmu_info", "gauge",
	    "Always 1, for each host PMUv3 instance; labels: its name (pmu), its CPUs (a cpulist) and its ID_AA64DFR0_EL1.PMUVer (pmuver).",
	  },
	  NULL },
	{ { "pmu_counters", "gauge", "Programmable event counters of the host PMU." },
	  pmu_counters },
	/* Not "_cycle_counter": a name must not end in a type (promtool's lint). */
	{ { "pmu_cycle_counters", "gauge",
	    "Cycle counters of the host PMU: 1 if it has PMCCNTR_EL0, 0 if not." },
	  pmu_cycle_counters },
	{ { "pmu_reserved_host_counters", "gauge",
	    "Event counters of the host PMU kept for host perf while the counters are claimed." },
	  pmu_reserved_host_counters },
	{ { "pmu_guest_counters", "gauge",
	    "Event counters of the host PMU that a partitioned guest owns (HPMN)." },
	  pmu_guest_counters },
};

/* The host PMUs, by name: one family after the other. */
static void metrics_write_pmus(struct metrics_writer *w, const struct pmu_list *pmus)
{
	const struct pmu_metric *metric;
	struct metric_labels labels;
	size_t m, i;

	for (m = 0; m < ARRAY_SIZE(pmu_metrics); m++) {
		metric = &pmu_metrics[m];
		for (i = 0; i < pmus->count; i++) {
			labels.count = 0;
			labels_add(&labels, "pmu", pmus->pmus[i].name);
			if (!metric->value) {
				labels_add(&labels, "cpus", pmus->pmus[i].cpus);
				labels_add_uint(&labels, "pmuver", pmus->pmus[i].pmuver);
			}
			metrics_sample(w, &metric->family, &labels,
				       metric->value ? metric->value(&pmus->pmus[i]) : 1);
		}
	}
}

static const struct metric_family cpu_info_family = {
	"cpu_info", "gauge",
	"Always 1, for each host CPU; labels: its number (cpu) and its host PMU (pmu; none when no PMU covers it).",
};

static const struct metric_family cpu_guest_owned_family = {
	"cpu_guest_owned", "gauge",
	"1 while a partitioned vCPU's PMU state is in the CPU's registers (guest-owned), 0 while the CPU is free.",
};

static const struct metric_family cpu_owner_family = {
	"cpu_owner", "gauge",
	"Always 1, for each guest-owned CPU; labels: the CPU (cpu) and the partitioned vCPU that owns it (pid, vm, vcpu).",
};

/* The owner of a guest-owned CPU, "<pid>.<serial>/vcpu<id>", split. */
struct cpu_owner_labels {
	char vm[sizeof(((struct cpu_info *)0)->owner)];
	char pid[sizeof(((struct cpu_info *)0)->owner)];
	char vcpu[24];
};

/*
 * Split OWNER into the VM ("<pid>.<serial>"), the pid and the vCPU id.  An
 * owner of another form (not one the module writes) is all VM, the pid
 * and vCPU empty (a label that Prometheus treats as absent).
 */
static void cpu_owner_split(const char *owner, struct cpu_owner_labels *split)
{
	const char *slash = strrchr(owner, '/');
	unsigned long vcpu;
	size_t length;

	split->pid[0] = '\0';
	split->vcpu[0] = '\0';
	if (!slash || parse_index_name(slash + 1, "vcpu", &vcpu)) {
		snprintf(split->vm, sizeof(split->vm), "%s", owner);
		return;
	}
	length = slash - owner;
	memcpy(split->vm, owner, length);
	split->vm[length] = '\0';
	snprintf(split->vcpu, sizeof(split->vcpu), "%lu", vcpu);
	length = strcspn(split->vm, ".");
	memcpy(split->pid, split->vm, length);
	split->pid[length] = '\0';
}

/* "free": no partitioned vCPU's PMU state is in the CPU's registers. */
static bool cpu_is_free(const struct cpu_info *cpu)
{
	return !strcmp(cpu->owner, "free");
}

/* The host CPUs, by number: none with a module older than 0.2.0. */
static void metrics_write_cpus(struct metrics_writer *w, const struct cpu_list *cpus)
{
	struct cpu_owner_labels split;
	struct metric_labels labels;
	size_t i;

	for (i = 0; i < cpus->count; i++) {
		labels.count = 0;
		labels_add_uint(&labels, "cpu", cpus->cpus[i].cpu);
		labels_add(&labels, "pmu", cpus->cpus[i].pmu);
		metrics_sample(w, &cpu_info_family, &labels, 1);
	}
	for (i = 0; i < cpus->count; i++) {
		labels.count = 0;
		labels_add_uint(&labels, "cpu", cpus->cpus[i].cpu);
		metrics_sample(w, &cpu_guest_owned_family, &labels, !cpu_is_free(&cpus->cpus[i]));
	}
	for (i = 0; i < cpus->count; i++) {
		if (cpu_is_free(&cpus->cpus[i]))
			continue;
		cpu_owner_split(cpus->cpus[i].owner, &split);
		labels.count = 0;
		labels_add_uint(&labels, "cpu", cpus->cpus[i].cpu);
		labels_add(&labels, "pid", split.pid);
		labels_add(&labels, "vm", split.vm);
		labels_add(&labels, "vcpu", split.vcpu);
		metrics_sample(w, &cpu_owner_family, &labels, 1);
	}
}

static const struct metric_family vm_info_family = {
	"vm_info", "gauge",
	"Always 1, for each VM that went through the module; labels: its VMM's process id (pid), its name (vm, <pid>.<serial>) and its mode.",
};

static const struct metric_family vm_hpmn_family = {
	"vm_hpmn", "gauge",
	"Event counters a partitioned VM owns (PMCR_EL0.N = MDCR_EL2.HPMN); no sample for other modes.",
};

/* Start LABELS with those of VM: pid, vm, mode. */
static void vm_labels(struct metric_labels *labels, const struct vm_info *vm)
{
	labels->count = 0;
	labels_add_uint(labels, "pid", vm->pid);
	labels_add(labels, "vm", vm->name);
	labels_add(labels, "mode", vm->mode);
}

/* Start LABELS with those of VCPU of VM: pid, vm, vcpu, mode. */
static void vcpu_labels(struct metric_labels *labels, const struct vm_info *vm,
			const struct vcpu_info *vcpu)
{
	labels->count = 0;
	labels_add_uint(labels, "pid", vm->pid);
	labels_add(labels, "vm", vm->name);
	labels_add_uint(labels, "vcpu", vcpu->id);
	labels_add(labels, "mode", vm->mode);
}

/* The VMs, by name. */
static void metrics_write_vms(struct metrics_writer *w, const struct vm_list *vms)
{
	struct metric_labels labels;
	size_t i;

	for (i = 0; i < vms->count; i++) {
		vm_labels(&labels, &vms->vms[i]);
		metrics_sample(w, &vm_info_family, &labels, 1);
	}
	for (i = 0; i < vms->count; i++) {
		if (vms->vms[i].hpmn < 0)
			continue;
		vm_labels(&labels, &vms->vms[i]);
		metrics_sample(w, &vm_hpmn_family, &labels, vms->vms[i].hpmn);
	}
}

/* A number of a vCPU: false when the module does not publish it (older). */
struct vcpu_metric {
	struct metric_family family;
	bool (*value)(const struct vcpu_info *vcpu, unsigned long long *value);
};

static bool vcpu_loads(const struct vcpu_info *vcpu, unsigned long long *value)
{
	*value = vcpu->loads;
	return true;
}

static bool vcpu_backing_switches(const struct vcpu_info *vcpu, unsigned long long *value)
{
	*value = vcpu->backing_switches;
	return true;
}

/* 1 for "guest-owned", 0 for "free" (or a state that a later module adds). */
static bool vcpu_guest_owned(const struct vcpu_info *vcpu, unsigned long long *value)
{
	*value = !strcmp(vcpu->state, "guest-owned");
	return vcpu->state[0];
}

static bool vcpu_swaps_in(const struct vcpu_info *vcpu, unsigned long long *value)
{
	*value = vcpu->swaps_in.value;
	return vcpu->swaps_in.present;
}

static bool vcpu_swaps_out(const struct vcpu_info *vcpu, unsigned long long *value)
{
	*value = vcpu->swaps_out.value;
	return vcpu->swaps_out.present;
}

static bool vcpu_overflows(const struct vcpu_info *vcpu, unsigned long long *value)
{
	*value = vcpu->overflows.value;
	return vcpu->overflows.present;
}

static const struct metric_family vcpu_backing_pmu_family = {
	"vcpu_backing_pmu", "gauge",
	"Always 1, for each vCPU; labels: the vCPU (pid, vm, vcpu, mode) and the host PMU whose perf event backs its cycle counter (pmu; none when there is none).",
};

static const struct vcpu_metric vcpu_metrics[] = {
	{ { "vcpu_loads_total", "counter", "vcpu_load calls of the vCPU seen by the module." },
	  vcpu_loads },
	{ { "vcpu_backing_switches_total", "counter",
	    "Times the vCPU's backing PMU changed (it moved to a CPU of another PMU type)." },
	  vcpu_backing_switches },
	{ { "vcpu_guest_owned", "gauge",
	    "1 while the vCPU's PMU state is in a CPU's registers (guest-owned), 0 while it is in memory (free).",
	  },
	  vcpu_guest_owned },
	{ { "vcpu_swaps_in_total", "counter",
	    "Times the vCPU's PMU state was loaded into a CPU." },
	  vcpu_swaps_in },
	{ { "vcpu_swaps_out_total", "counter",
	    "Times the vCPU's PMU state was saved back at vcpu_put." },
	  vcpu_swaps_out },
	{ { "vcpu_overflows_total", "counter",
	    "PMU overflow interrupts injected into the vCPU." },
	  vcpu_overflows },
};

static const struct metric_family vcpu_trapped_accesses_family = {
	"vcpu_trapped_accesses_total", "counter",
	"Trapped accesses to a PMU register (register) emulated by the module, by how they were handled (exit: fast in the guest-exit path, full after a full exit).",
};

/* Each vCPU's trapped accesses: per register, fast then full. */
static void metrics_write_traps(struct metrics_writer *w, const struct vm_list *vms)
{
	const struct metric_family *family = &vcpu_trapped_accesses_family;
	const struct vcpu_traps *trap;
	const struct vcpu_info *vcpu;
	struct metric_labels labels;
	size_t i, v, t;

	for (i = 0; i < vms->count; i++) {
		for (v = 0; v < vms->vms[i].nr_vcpus; v++) {
			vcpu = &vms->vms[i].vcpus[v];
			for (t = 0; t < vcpu->nr_traps; t++) {
				trap = &vcpu->traps[t];
				vcpu_labels(&labels, &vms->vms[i], vcpu);
				labels_add(&labels, "register", trap->name);
				labels_add(&labels, "exit", "fast");
				metrics_sample(w, family, &labels, trap->fast);
				labels.values[labels.count - 1] = "full";
				metrics_sample(w, family, &labels, trap->full);
			}
		}
	}
}

/* The vCPUs of the VMs, by VM name then id: one family after the other. */
static void metrics_write_vcpus(struct metrics_writer *w, const struct vm_list *vms)
{
	const struct vcpu_metric *metric;
	const struct vcpu_info *vcpu;
	struct metric_labels labels;
	unsigned long long value;
	size_t m, i, v;

	for (i = 0; i < vms->count; i++) {
		for (v = 0; v < vms->vms[i].nr_vcpus; v++) {
			vcpu = &vms->vms[i].vcpus[v];
			vcpu_labels(&labels, &vms->vms[i], vcpu);
			labels_add(&labels, "pmu", vcpu->backing_pmu);
			metrics_sample(w, &vcpu_backing_pmu_family, &labels, 1);
		}
	}
	for (m = 0; m < ARRAY_SIZE(vcpu_metrics); m++) {
		metric = &vcpu_metrics[m];
		for (i = 0; i < vms->count; i++) {
			for (v = 0; v < vms->vms[i].nr_vcpus; v++) {
				vcpu = &vms->vms[i].vcpus[v];
				if (!metric->value(vcpu, &value))
					continue;
				vcpu_labels(&labels, &vms->vms[i], vcpu);
				metrics_sample(w, &metric->family, &labels, value);
			}
		}
	}
	metrics_write_traps(w, vms);
}

int do_metrics(int argc, char **argv)
{
	struct metrics_writer w = { .out = stdout, .family = NULL };
	struct pmuctl_state state;
	const char *root;
	int ret;

	if (pmuctl_no_more_args(argc, argv))
		return EXIT_USAGE;
	if (json_output) {
		p_err("pmuctl metrics prints the Prometheus text format, not JSON: drop -j/-p");
		return EXIT_USAGE;
	}

	ret = pmuctl_find_sysfs_root(&root);
	if (ret < 0)
		return EXIT_FAIL;
	if (ret == PMUCTL_NOT_LOADED) {
		/* Not a failure: the scraper records that the module is absent. */
		metrics_sample(&w, &module_loaded_family, NULL, 0);
		return pmuctl_finish_output();
	}
	if (pmuctl_state_read(root, PMUCTL_SHOW_ALL, 0, &state))
		return EXIT_FAIL;

	metrics_write_module(&w, &state.module);
	metrics_write_pmus(&w, &state.pmus);
	metrics_write_cpus(&w, &state.cpus);
	metrics_write_vms(&w, &state.vms);
	metrics_write_vcpus(&w, &state.vms);
	pmuctl_state_free(&state);
	return pmuctl_finish_output();
}
