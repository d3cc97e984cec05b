// SPDX-License-Identifier: GPL-2.0
/*
 * load-check.c - tests/run.sh's check that pmu-overflow-trace's BPF
 * programs pass the running kernel's verifier: loads the skeleton's object
 * with BTF_FILE (the module's records and the kernel types they use, from
 * tests/btf-types.c) as the CO-RE target, once per way the tool sets its
 * filters (all off, line mode; all on, --histogram mode), attaching
 * nothing. Needs CAP_BPF (root).
 *
 * load-check BTF_FILE: exit 0 when both loads succeed (one line each on
 * stdout), 1 otherwise (libbpf's messages and the verifier log on stderr).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "pmu-overflow-trace.h"
#include "pmu-overflow-trace.skel.h"

static int load(const char *btf_path, bool filtered)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = btf_path);
	struct pmu_overflow_trace_bpf *skel;
	struct bpf_program *prog;
	int err, programs = 0;

	skel = pmu_overflow_trace_bpf__open_opts(&opts);
	if (!skel) {
		fprintf(stderr, "load-check: cannot open the object: %s\n", strerror(errno));
		return 1;
	}
	if (filtered) {
		skel->rodata->target_vmm = 1;
		skel->rodata->target_cpu = 0;
		skel->rodata->target_vcpu = 0;
		skel->rodata->histogram = true;
	}
	err = pmu_overflow_trace_bpf__load(skel);
	if (err) {
		fprintf(stderr, "load-check: %s: cannot load: %s\n",
			filtered ? "filters, --histogram" : "no filters", strerror(-err));
	} else {
		bpf_object__for_each_program(prog, skel->obj)
			programs++;
		printf("loaded %d programs (%s)\n", programs,
		       filtered ? "filters, --histogram" : "no filters");
	}
	pmu_overflow_trace_bpf__destroy(skel);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: load-check BTF_FILE\n");
		return 2;
	}
	return load(argv[1], false) | load(argv[1], true);
}
