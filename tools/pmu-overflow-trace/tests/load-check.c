// SPDX-License-Identifier: GPL-2.0
/*
 * load-check.c - tests/run.sh's check that pmu-overflow-trace's BPF
 * programs pass the running kernel's verifier: loads the skeleton's object
 * with BTF_FILE (the module's records and the kernel types they use, from
 * tests/btf-types.c) as the CO-RE target, once for each of the 16 ways
 * the tool can set its four load-time constants (-p, -c, --vcpu each on
 * or off, line or --histogram mode: each prunes different branches, so
 * each is a program of its own to the verifier), attaching nothing; that
 * no program took more than half of the verifier's 1,000,000-instruction
 * budget (BPF_COMPLEXITY_LIMIT_INSNS), so that another kernel's verifier,
 * which explores differently, has room; and that no program has a
 * BPF-to-BPF call or a callback, which kernels without CONFIG_BPF_JIT (the
 * interpreter) refuse. Needs CAP_BPF (root) for the loads.
 *
 * load-check BTF_FILE: exit 0 when the object has no calls and every load
 * succeeds within budget (one line each on stdout), 1 otherwise (libbpf's
 * messages and the verifier log on stderr).
 * load-check --calls-only: only the check for calls (no privileges).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gelf.h>

#include "pmu-overflow-trace.h"
#include "pmu-overflow-trace.skel.h"

/* Half of BPF_COMPLEXITY_LIMIT_INSNS: what one program may take. */
#define VERIFIER_BUDGET	500000

/* The constants of combination @combination: bit 0 -p, 1 -c, 2 --vcpu, 3 --histogram. */
static int load(const char *btf_path, unsigned int combination)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = btf_path);
	struct pmu_overflow_trace_bpf *skel;
	struct bpf_program *prog;
	int err, programs = 0, over = 0;
	__u32 most = 0;
	char name[64];

	snprintf(name, sizeof(name), "%s%s%s%s", combination & 1 ? " -p" : "",
		 combination & 2 ? " -c" : "", combination & 4 ? " --vcpu" : "",
		 combination & 8 ? " --histogram" : "");
	skel = pmu_overflow_trace_bpf__open_opts(&opts);
	if (!skel) {
		fprintf(stderr, "load-check: cannot open the object: %s\n", strerror(errno));
		return 1;
	}
	if (combination & 1)
		skel->rodata->target_vmm = 1;
	if (combination & 2)
		skel->rodata->target_cpu = 0;
	if (combination & 4)
		skel->rodata->target_vcpu = 0;
	skel->rodata->histogram = combination & 8;
	err = pmu_overflow_trace_bpf__load(skel);
	if (err) {
		fprintf(stderr, "load-check:%s: cannot load: %s\n",
			*name ? name : " no filters", strerror(-err));
		pmu_overflow_trace_bpf__destroy(skel);
		return 1;
	}
	bpf_object__for_each_program(prog, skel->obj) {
		struct bpf_prog_info info = {};
		__u32 length = sizeof(info);

		programs++;
		if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &length)) {
			fprintf(stderr, "load-check: %s: no program info: %s\n",
				bpf_program__name(prog), strerror(errno));
			over++;
			continue;
		}
		if (info.verified_insns > most)
			most = info.verified_insns;
		if (info.verified_insns > VERIFIER_BUDGET) {
			fprintf(stderr, "load-check:%s: %s: %u instructions verified, over %u\n",
				*name ? name : " no filters", bpf_program__name(prog),
				info.verified_insns, VERIFIER_BUDGET);
			over++;
		}
	}
	printf("loaded %d programs (%s), at most %u instructions verified\n",
	       programs, *name ? name + 1 : "no filters", most);
	pmu_overflow_trace_bpf__destroy(skel);
	return over ? 1 : 0;
}

/*
 * BPF-to-BPF calls and callbacks (bpf_loop()) need the JIT; both have
 * their target in .text, as a function of its own (a subprogram): the
 * object, as the skeleton embeds it, must have none.
 */
static int no_calls(void)
{
	size_t size, shstrndx, text = 0;
	Elf_Scn *scn = NULL, *symtab = NULL;
	const void *bytes;
	int found = 0;
	GElf_Shdr shdr;
	Elf *elf;

	bytes = pmu_overflow_trace_bpf__elf_bytes(&size);
	elf = elf_version(EV_CURRENT) != EV_NONE ?
	      elf_memory((char *)bytes, size) : NULL;
	if (!elf || elf_getshdrstrndx(elf, &shstrndx)) {
		fprintf(stderr, "load-check: cannot read the object: %s\n",
			elf_errmsg(-1));
		if (elf)
			elf_end(elf);
		return 1;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &shdr))
			continue;
		name = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (name && !strcmp(name, ".text"))
			text = elf_ndxscn(scn);
		if (shdr.sh_type == SHT_SYMTAB)
			symtab = scn;
	}
	if (text && symtab && gelf_getshdr(symtab, &shdr)) {
		Elf_Data *data = elf_getdata(symtab, NULL);
		size_t i, n = shdr.sh_entsize ? shdr.sh_size / shdr.sh_entsize : 0;
		GElf_Sym sym;

		for (i = 0; data && i < n; i++) {
			if (!gelf_getsym(data, i, &sym) || sym.st_shndx != text ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC)
				continue;
			fprintf(stderr, "load-check: %s is a subprogram (a BPF-to-BPF call or a callback)\n",
				elf_strptr(elf, shdr.sh_link, sym.st_name));
			found = 1;
		}
	}
	elf_end(elf);
	if (!found)
		printf("no BPF-to-BPF calls or callbacks\n");
	return found;
}

int main(int argc, char **argv)
{
	unsigned int combination;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: load-check BTF_FILE | --calls-only\n");
		return 2;
	}
	err = no_calls();
	if (!strcmp(argv[1], "--calls-only"))
		return err;
	for (combination = 0; combination < 16; combination++)
		err |= load(argv[1], combination);
	return err;
}
