#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The body of `make soak` (and `make soak-debug`), run once everything is
# built: boots the rig with -smp 4 and tests/rig/plans/soak.plan, which
# runs tests/rig/soak.sh for SOAK_SECONDS (default 1800) seconds, and
# prints its figures and one verdict line "N passed, N failed". Not part of
# make check (docs/conformance.md, "Soak").
#
# The rig is the split-PMU one by default (as run-check.sh boots it: two
# PMU nodes, CPUs 0-1 with six event counters, CPUs 2-3 with four), so that
# fixed-counters-only VMs change backing PMU as they move and partitioned
# VMs get the smaller PMU's counters; SOAK_RIG=uniform boots -cpu max with
# one PMU of six counters.
#
# Environment: SOAK_SECONDS (default 1800, the rig's clock); SOAK_KERNEL=
# debug boots the debug kernel (build/kernel-debug, make soak-debug);
# SOAK_ICOUNT=1 runs under -icount (exact counts and overflow_delivery, but
# a rig second is 10^9 emulated instructions: many wall seconds); the
# default is MTTCG (a host thread per vCPU: the rig's clock is about wall
# time, and vCPUs really run in parallel, as races need). After the run,
# the console is searched for kernel reports too (the rig's own log may
# have lost them). Owns build/soak/ (build/soak-debug/ for the debug
# kernel; SOAK_OUT=DIR for another), rig-soak.log there: the console, so
# that make soak and make soak-debug can run at once.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
out=${SOAK_OUT:-$build/soak$([ "${SOAK_KERNEL:-normal}" = debug ] && echo -debug)}
seconds=${SOAK_SECONDS:-1800}
mkdir -p "$out"

case "${SOAK_KERNEL:-normal}" in
debug)
	kernel=$build/kernel-debug/arch/arm64/boot/Image
	initrd=$build/initramfs-debug.cpio.gz
	;;
*)
	kernel=$build/kernel/arch/arm64/boot/Image
	initrd=$build/initramfs.cpio.gz
	;;
esac
for f in "$kernel" "$initrd" "$build/qemu/qemu-system-aarch64"; do
	[ -r "$f" ] || { echo "run-soak: no $f (make soak builds it)" >&2; exit 2; }
done
icount=()
timeout=$((seconds + 3600))
if [ "${SOAK_ICOUNT:-0}" = 1 ]; then
	icount=(--icount)
	timeout=$((seconds * 30 + 3600))
fi

rig=()
case "${SOAK_RIG:-split}" in
split)
	[ -r "$build/split-pmu.dtb" ] ||
		{ echo "run-soak: no $build/split-pmu.dtb (make soak builds it)" >&2; exit 2; }
	rig=(--dtb "$build/split-pmu.dtb")
	export RIG_QEMU_EXTRA="${RIG_QEMU_EXTRA:-} -global max-arm-cpu.x-pmu-event-counters=6:6:4:4"
	;;
uniform) ;;
*) echo "run-soak: SOAK_RIG is split or uniform" >&2; exit 2 ;;
esac

log=$out/rig-soak.log
echo "# soak: $seconds s on $(basename "$(dirname "$(dirname "$(dirname "$(dirname "$kernel")")")")"), ${SOAK_RIG:-split} PMU rig, -smp 4, ${icount[*]:-no -icount}"
QEMU=$build/qemu/qemu-system-aarch64 "$top/tests/rig/run-qemu.sh" \
	--kernel "$kernel" --initrd "$initrd" --plan soak --smp 4 --memory 2048 \
	--timeout "$timeout" --log "$log" "${rig[@]}" \
	--append "rig.soak_seconds=$seconds loglevel=5" "${icount[@]}"
echo "# soak rig exit status $?"
grep -a '^# # soak' "$log" | sed 's/^# //'

# Kernel reports on the console (not test output, which init prefixes "# ").
reports='BUG:|WARNING:|Internal error|Oops|kernel BUG|UBSAN:|KASAN:'
reports+='|sleeping function called from invalid context|suspicious RCU usage'
reports+='|circular locking dependency|recursive locking|inconsistent lock state'
reports+='|lock held when returning|bad unlock balance|held lock freed|non-static key'
reports+='|list_[a-z_]* corruption|detected stall|scheduling while atomic'
grep -a -n -E "$reports" "$log" | grep -a -v -E '^[0-9]+:(# |ok |not ok )' > "$out/console-reports.txt"
{
	echo "TAP version 13"
	echo "1..1"
	sed 's/^/# /' "$out/console-reports.txt"
	if [ -s "$out/console-reports.txt" ]; then
		echo "not ok 1 - soak_console_has_no_kernel_report"
	else
		echo "ok 1 - soak_console_has_no_kernel_report"
	fi
} > "$out/host.tap"
cat "$out/host.tap"
"$top/tests/rig/tap-summary.sh" "$log" "$out/host.tap"
