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
# that make soak and make soak-debug can run at once. SOAK_BUILD=DIR takes
# the kernel, QEMU and device tree from another build directory (default
# build/), SOAK_INITRD=FILE another initramfs (a worktree's own).
#
# The soak entry of soak.plan has no timeout of its own: it gets the rig's
# default, rig.timeout=, which this script sets from SOAK_SECONDS (plus
# RIG_SLACK for the last phase's workers and the final checks), below
# run-qemu.sh's --timeout, so that a hung soak still ends with the rig's
# TAP. The host TAP's rig_completed fails when the rig did not get to
# RIG-DONE (timeout, panic, QEMU gone): its plan may not have been printed,
# and nothing else would count the results it never gave.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${SOAK_BUILD:-$top/build}
out=${SOAK_OUT:-$build/soak$([ "${SOAK_KERNEL:-normal}" = debug ] && echo -debug)}
seconds=${SOAK_SECONDS:-1800}
mkdir -p "$out"

case "${SOAK_KERNEL:-normal}" in
debug)
	kernel=$build/kernel-debug/arch/arm64/boot/Image
	initrd=${SOAK_INITRD:-$build/initramfs-debug.cpio.gz}
	# Its accesses per sub-mode are reported, not required (soak.sh).
	accesses=warn
	;;
*)
	kernel=$build/kernel/arch/arm64/boot/Image
	initrd=${SOAK_INITRD:-$build/initramfs.cpio.gz}
	accesses=fail
	;;
esac
for f in "$kernel" "$initrd" "$build/qemu/qemu-system-aarch64"; do
	[ -r "$f" ] || { echo "run-soak: no $f (make soak builds it)" >&2; exit 2; }
done
icount=()
# The rig's clock: the soak, the last phase's workers (up to soak.sh's
# RUN_TIMEOUT, 900 s) and the final checks.
RIG_SLACK=2400
rig_timeout=$((seconds + RIG_SLACK))
# Wall clock, for QEMU: above rig_timeout (under -icount a rig second is
# many wall seconds).
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
	--append "rig.soak_seconds=$seconds rig.soak_accesses=$accesses rig.timeout=$rig_timeout loglevel=5" \
	"${icount[@]}"
rig_status=$?
echo "# soak rig exit status $rig_status"
grep -a '^# # soak' "$log" | sed 's/^# //'

# Kernel reports on the console (tests/rig/kernel-reports.sh).
. "$top/tests/rig/kernel-reports.sh"
kernel_report_lines "$log" > "$out/console-reports.txt"
{
	echo "TAP version 13"
	echo "1..2"
	sed 's/^/# /' "$out/console-reports.txt"
	if [ -s "$out/console-reports.txt" ]; then
		echo "not ok 1 - soak_console_has_no_kernel_report"
	else
		echo "ok 1 - soak_console_has_no_kernel_report"
	fi
	# run-qemu.sh: 0 every result passed, 1 some failed (counted from
	# the rig's TAP); anything else, or no RIG-DONE, the rig never ended
	# its plan.
	if { [ $rig_status = 0 ] || [ $rig_status = 1 ]; } && grep -aq '^RIG-DONE ' "$log"; then
		echo "ok 2 - soak_rig_completed"
	else
		echo "# run-qemu.sh exit status $rig_status: $(grep -a '^# rig: result=' "$log" | tail -n1)"
		echo "not ok 2 - soak_rig_completed # exit=$rig_status"
	fi
} > "$out/host.tap"
cat "$out/host.tap"
"$top/tests/rig/tap-summary.sh" "$log" "$out/host.tap"
