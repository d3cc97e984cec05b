#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The body of `make check`, run once everything is built: host-side checks
# (checkpatch --strict on module/ and every shim patch, the series applying
# to a pristine linux-source-6.12 with patch -p1, pmuctl's own tests,
# pmu-overflow-trace's host tests (bad arguments, help, the checks before
# loading, its BPF programs through this host's verifier), the
# HPMN probe on the rig's patched QEMU and on Debian's stock one) as TAP,
# then the rig (tests/rig/plans/check.plan) booted in the patched QEMU, the
# same rig without -icount (tests/rig/plans/mttcg.plan), then
# the rig again as a host without FEAT_FGT, FEAT_HPMN0 or PMUv3p5
# (-cpu neoverse-n1: tests/rig/plans/neoverse.plan), with EL3 present
# (run-qemu.sh --el3: tests/rig/plans/el3.plan), both at once
# (tests/rig/plans/neoverse-el3.plan), the split-PMU rig
# (tests/rig/plans/split.plan: two host PMUs, as on big.LITTLE) and an
# uncovered-PMU rig (a PMU for only some CPUs: tests/rig/plans/uncovered.plan),
# then the user path on the Debian userland (tests/rig/rootfs/run-user-path.sh),
# then one verdict line "N passed, N failed" over all of it.
# Exits non-zero on any failure.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
out=$build/check
ksrc=$build/src/linux-source-6.12
checkpatch=$ksrc/scripts/checkpatch.pl
mkdir -p "$out"
host_tap=$out/host.tap
rig_log=$out/rig.log
: > "$host_tap"
number=0

# result STATUS NAME [OUTPUT_FILE]: one top-level TAP line, output as diagnostics.
result() {
	number=$((number + 1))
	if [ -n "${3:-}" ] && [ -s "$3" ]; then
		sed 's/^/# /' "$3" | tee -a "$host_tap"
	fi
	if [ "$1" = 0 ]; then
		echo "ok $number - $2" | tee -a "$host_tap"
	else
		echo "not ok $number - $2" | tee -a "$host_tap"
	fi
}

echo "TAP version 13" | tee -a "$host_tap"
echo "# kernel: $(cat "$build/kernel-source-version")" | tee -a "$host_tap"
sed 's/^/# qemu: /' "$build/qemu/VERSION" | tee -a "$host_tap"

# Tracked sources only: not the generated *.mod.c next to them. checkpatch
# runs outside the repository so that it leaves no .checkpatch-camelcase.*
# cache behind. Its CamelCase check only knows the identifiers of the
# tree's include/ (not arch/arm64/include, where sys_reg_CRn() lives, nor
# the generated sysreg-defs.h of the built tree, with ID_AA64DFR0_EL1_PMUVer_*
# and the HDFGRTR_EL2_*n names), so it runs separately below: every
# CamelCase identifier in module/ must be one the kernel defines.
camelcase=$out/camelcase.txt
: > "$camelcase"
for file in $(git -C "$top" ls-files 'module/*.c' 'module/*.h'); do
	file=$top/$file
	(cd "$out" && perl "$checkpatch" --strict --no-tree -q --show-types \
		--ignore CAMELCASE -f "$file") > "$out/checkpatch.txt" 2>&1
	result $? "checkpatch_strict module/$(basename "$file")" "$out/checkpatch.txt"
	(cd "$out" && perl "$checkpatch" --strict --no-tree -q --types CAMELCASE \
		-f "$file") 2>&1 | sed -n 's/.*Avoid CamelCase: <\(.*\)>.*/\1/p' >> "$camelcase"
done
: > "$out/camelcase-unknown.txt"
# A field name the kernel's SYS_FIELD_GET() and kvm_has_feat() take (PMUVer
# of ID_AA64DFR0_EL1) is defined only inside <REG>_<field>_MASK.
for word in $(sort -u "$camelcase"); do
	grep -rqsw -e "define $word" "$ksrc/arch/arm64/include" "$ksrc/include" \
		"$build/kernel/arch/arm64/include/generated" ||
	grep -rqsE -e "define [A-Z0-9_]+_EL[0-3]_${word}_MASK\b" \
		"$build/kernel/arch/arm64/include/generated" ||
		echo "$word is not an identifier the kernel defines" >> "$out/camelcase-unknown.txt"
done
[ ! -s "$out/camelcase-unknown.txt" ]
result $? "module_camelcase_names_are_the_kernels_own ($(sort -u "$camelcase" | tr '\n' ' '))" \
	"$out/camelcase-unknown.txt"
while read -r patch; do
	[ -n "$patch" ] || continue
	(cd "$out" && perl "$checkpatch" --strict --no-tree -q --show-types \
		"$top/shim-patch/$patch") > "$out/checkpatch.txt" 2>&1
	result $? "checkpatch_strict shim-patch/$patch" "$out/checkpatch.txt"
done < "$top/shim-patch/series"

# The series must apply with plain patch -p1 to the files of the Debian
# package, not only to the tree build-kernel.sh keeps.
pristine=$out/pristine
rm -rf "$pristine" && mkdir -p "$pristine"
files=$(sed -n 's|^+++ b/||p' "$top"/shim-patch/*.patch | sort -u)
(
	cd "$pristine" || exit 1
	# New files are absent from the tarball: list only existing ones.
	members=$(for f in $files; do echo "linux-source-6.12/$f"; done |
		  tar -tf /usr/src/linux-source-6.12.tar.xz -T - 2>/dev/null)
	tar -xf /usr/src/linux-source-6.12.tar.xz $members
	. "$top/tests/rig/series.sh"
	series_apply "$top/shim-patch" linux-source-6.12 "linux-source-6.12"
) > "$out/apply.txt" 2>&1
result $? "shim_series_applies_with_patch_p1 to linux-source-6.12 $(dpkg-query -W -f='${Version}' linux-source-6.12)" "$out/apply.txt"
rm -rf "$pristine"

PROMTOOL=$build/host-tools/promtool \
	make -s -C "$top/tools/pmuctl" O="$build/pmuctl-host" test > "$out/pmuctl.txt" 2>&1
result $? "pmuctl_host_tests" "$out/pmuctl.txt"

make -s -C "$top/tests/model" O="$build/model" test > "$out/model.txt" 2>&1
result $? "pmu_access_model_follows_the_arm_arm (tests/model)" "$out/model.txt"

make -s -C "$top/tools/pmu-overflow-trace" O="$build/pmu-overflow-trace-host" \
	VMLINUX="$build/kernel-rootfs/vmlinux" test > "$out/pmu-overflow-trace.txt" 2>&1
result $? "pmu_overflow_trace_host_tests" "$out/pmu-overflow-trace.txt"

# The rig's QEMU must enforce MDCR_EL2.HPMN the way the Arm ARM says, or no
# partition isolation test means anything: the bare-metal probe checks
# every rule (tests/rig/hpmn-probe/README.md). Its results count one by one.
probe_tap=$out/hpmn-probe.tap
"$top/tests/rig/hpmn-probe/run.sh" "$build/qemu/qemu-system-aarch64" \
	"$build/hpmn-probe/hpmn-probe.elf" > "$probe_tap" 2>&1
echo "# hpmn-probe on the rig's QEMU: exit $?"
cat "$probe_tap"

# The probe must also be able to fail: on Debian's unpatched QEMU the
# HPMN rules fail while the properties QEMU models and the controls pass.
"$top/tests/rig/hpmn-probe/run.sh" /usr/bin/qemu-system-aarch64 \
	"$build/hpmn-probe/hpmn-probe.elf" > "$out/hpmn-probe-stock.txt" 2>&1
stock_status=$?
stock_failed=$(grep -c '^not ok' "$out/hpmn-probe-stock.txt")
controls_failed=$(grep -E '^not ok' "$out/hpmn-probe-stock.txt" |
	grep -cE '_allowed|_with_mdcr_tpm|- el2_|pmcr_n_reads|hpme_|pmcr_e_|hpmn0_accepted')
echo "stock $(/usr/bin/qemu-system-aarch64 --version | head -n1): exit $stock_status, $stock_failed rules failed, $controls_failed controls failed" \
	> "$out/hpmn-probe-stock-summary.txt"
[ "$stock_status" = 1 ] && [ "$stock_failed" -gt 0 ] && [ "$controls_failed" = 0 ]
result $? "hpmn_probe_fails_on_unpatched_qemu" "$out/hpmn-probe-stock-summary.txt"

echo "1..$number" | tee -a "$host_tap"

# boot_rig NAME PLAN LOG [run-qemu.sh options]: one boot of the rig's
# kernel and initramfs in the patched QEMU, under icount (RIG_MTTCG=1:
# without, a host thread per vCPU).
boot_rig() {
	local name=$1 plan=$2 log=$3 icount=--icount

	shift 3
	[ "${RIG_MTTCG:-0}" = 1 ] && icount=
	QEMU=$build/qemu/qemu-system-aarch64 "$top/tests/rig/run-qemu.sh" \
		--kernel "$build/kernel/arch/arm64/boot/Image" \
		--initrd "$build/initramfs.cpio.gz" --plan "$plan" --memory 1024 \
		$icount --log "$log" "$@"
	status=$?
	echo "# $name exit status $status"
	# run-qemu.sh's verdict line is its last word: without it the script
	# died after QEMU (a boot whose TAP passed would otherwise count as
	# passed; it happened once, 2026-12-07).
	if ! grep -aq '^# rig: result=' "$log"; then
		printf 'TAP version 13\n1..1\nnot ok 1 - rig_%s_reached_its_verdict # run-qemu.sh exit %s without its result line\n' \
			"$plan" "$status" >> "$log"
	fi
}

# slub_debug=FZPU: freed objects are poisoned and checked, so a use after
# free in the module's error paths reads poison instead of stale data.
boot_rig rig check "$rig_log" --smp 2 --timeout 2400 --append slub_debug=FZPU

# The same rig without -icount (MTTCG): vCPU threads in parallel and QEMU's
# PMU timer on wall-clock time, where a defect timing hides under -icount
# (tests/rig/plans/mttcg.plan).
mttcg_log=$out/rig-mttcg.log
echo "# MTTCG rig: -cpu max without -icount, -smp 2"
RIG_MTTCG=1 boot_rig "MTTCG rig" mttcg "$mttcg_log" --smp 2 --timeout 2400

# A host without FEAT_FGT, FEAT_HPMN0 or PMUv3p5 (Neoverse N1: Graviton2,
# Altra): the partitioned suite through the trap fast path.
neoverse_log=$out/rig-neoverse-n1.log
echo "# neoverse-n1 rig: -cpu neoverse-n1 (no FGT, no HPMN0, PMUv3p1), -smp 2"
RIG_QEMU_EXTRA="-cpu neoverse-n1" boot_rig "neoverse-n1 rig" neoverse "$neoverse_log" \
	--smp 2 --timeout 2400 --append slub_debug=FZPU

# EL3 present (a firmware of the rig's own hands over at Non-secure EL2, as
# TF-A does on every server): PMEVTYPER's NSK, NSU and M are live.
el3_log=$out/rig-el3.log
echo "# EL3 rig: run-qemu.sh --el3 (tests/rig/el3-firmware), -smp 2"
boot_rig "EL3 rig" el3 "$el3_log" --smp 2 --timeout 2400 --el3 --append slub_debug=FZPU

# Both at once, the production shape of Graviton2 / Altra hosts: no FGT,
# no HPMD, EL3 present, every guest PMU access through the trap path.
neoverse_el3_log=$out/rig-neoverse-n1-el3.log
echo "# neoverse-n1 EL3 rig: -cpu neoverse-n1 --el3, -smp 2"
RIG_QEMU_EXTRA="-cpu neoverse-n1" boot_rig "neoverse-n1 EL3 rig" neoverse-el3 \
	"$neoverse_el3_log" --smp 2 --timeout 2400 --el3 --append slub_debug=FZPU

# The split-PMU rig: the same host kernel with -smp 4 and a device tree
# whose PMU is split in two (CPUs 0-1, CPUs 2-3), as on big.LITTLE, with
# PMUs of different sizes: 6 event counters on CPUs 0-1, 4 on CPUs 2-3
# (QEMU patch 0009's x-pmu-event-counters).
split_log=$out/rig-split-pmu.log
split_counters=6:6:4:4
echo "# split-PMU rig: $build/split-pmu.dtb, -smp 4, event counters $split_counters"
RIG_QEMU_EXTRA="-global max-arm-cpu.x-pmu-event-counters=$split_counters" \
	boot_rig "split-PMU rig" split "$split_log" --smp 4 --timeout 2400 \
	--dtb "$build/split-pmu.dtb"

# A host whose only PMU covers CPUs 0-1 of 4: the mode must be refused.
uncovered_log=$out/rig-uncovered-pmu.log
echo "# uncovered-PMU rig: $build/uncovered-pmu.dtb, -smp 4, a PMU for CPUs 0-1 only"
boot_rig "uncovered-PMU rig" uncovered "$uncovered_log" --smp 4 --timeout 600 \
	--dtb "$build/uncovered-pmu.dtb"

# The user path (issue 12): the rig's KVM host on the Debian userland, the
# kernel's and the project's packages installed with dpkg and apt, DKMS,
# modprobe, Debian's QEMU running a Linux guest with perf (stock,
# partitioned with and without FGT, fixed) and a save and restore
# (tests/rig/rootfs/plans/user-path.plan), under icount.
user_path_log=$build/user-path/console.log
rm -f "$user_path_log"
echo "# user-path rig: tests/rig/rootfs/run-user-path.sh (Debian userland, -smp 2)"
QEMU=$build/qemu/qemu-system-aarch64 "$top/tests/rig/rootfs/run-user-path.sh"
status=$?
echo "# user-path rig exit status $status"
# A run that never booted, or never got through its plan, is one failure.
if [ ! -s "$user_path_log" ] || ! grep -q '^1\.\.[0-9]' "$user_path_log" ||
	! grep -q '^RIG-DONE ' "$user_path_log" ||
	! grep -aq '^# rig: result=' "$user_path_log"; then
	mkdir -p "$(dirname "$user_path_log")"
	printf 'TAP version 13\n1..1\nnot ok 1 - user-path # run-user-path.sh exit %s without a finished plan\n' \
		"$status" >> "$user_path_log"
fi

"$top/tests/rig/tap-summary.sh" "$host_tap" "$probe_tap" "$rig_log" "$mttcg_log" "$neoverse_log" \
	"$el3_log" "$neoverse_el3_log" "$split_log" "$uncovered_log" "$user_path_log"
