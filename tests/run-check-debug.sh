#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The body of `make check-debug`, run once everything is built: boots the
# debug rig (build/kernel-debug: tests/rig/kernel.config plus
# tests/rig/kernel-debug.config, lockdep, DEBUG_ATOMIC_SLEEP, DEBUG_PREEMPT,
# KASAN, DEBUG_LIST, UBSAN) with build/initramfs-debug.cpio.gz (the module
# built against that kernel) and runs tests/rig/plans/debug.plan twice,
# then checks both console logs for a kernel report, and prints one verdict
# line "N passed, N failed" over all of it. Exits non-zero on any failure.
#
#  1. without -icount: with it QEMU runs both vCPUs round-robin on one host
#     thread; without it (MTTCG) each vCPU has its own host thread and the
#     module's per-CPU paths really run in parallel, which races need. The
#     tests see RIG_ICOUNT=0 and skip the cases that need exact counts; the
#     plan skips or filters the entries that need -icount.
#  2. with -icount: every case of every entry.
# Both boot with loglevel=5: the console gets the kernel's warnings and
# errors (every report the checkers print) but not KUnit's KTAP, whose
# "ok N suite" lines would count as results of the plan (the plan's KUnit
# entry prints them as diagnostics); dmesg keeps everything.
# Not part of make check: it takes longer than make check's whole budget
# (docs/rig.md, "Debug kernel: make check-debug").
#
# Owns build/check-debug/ (rig-debug.log, rig-debug-icount.log: the
# consoles; host.tap). Environment: RIG_DEBUG_TIMEOUT (seconds per boot,
# default 3600).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
out=$build/check-debug
kernel=$build/kernel-debug/arch/arm64/boot/Image
initrd=$build/initramfs-debug.cpio.gz
rig_log=$out/rig-debug.log
icount_log=$out/rig-debug-icount.log
host_tap=$out/host.tap
mkdir -p "$out"

for f in "$kernel" "$initrd" "$build/qemu/qemu-system-aarch64"; do
	[ -r "$f" ] || { echo "run-check-debug: no $f (make check-debug builds it)" >&2; exit 2; }
done

echo "# kernel: $(cat "$build/kernel-source-version") + tests/rig/kernel-debug.config"
sed 's/^/# qemu: /' "$build/qemu/VERSION"

# boot_debug_rig NAME LOG [run-qemu.sh options]
boot_debug_rig() {
	local name=$1 log=$2

	shift 2
	QEMU=$build/qemu/qemu-system-aarch64 "$top/tests/rig/run-qemu.sh" \
		--kernel "$kernel" --initrd "$initrd" --plan debug --smp 2 \
		--memory 2048 --timeout "${RIG_DEBUG_TIMEOUT:-3600}" --log "$log" \
		--append loglevel=5 "$@"
	local status=$?
	echo "# $name exit status $status"
	rig_status+=("$status")
}

rig_status=()
echo "# debug rig without -icount (MTTCG: a host thread per vCPU), -smp 2"
boot_debug_rig "debug rig" "$rig_log"
echo "# debug rig with -icount, -smp 2"
boot_debug_rig "debug rig (icount)" "$icount_log" --icount

# The plan's last entry reads dmesg; the consoles also have what came
# after it, and everything when a kernel died mid-plan. Kernel lines only:
# the runner prefixes test output with "# " (a test's copy of a kernel
# record is not a second report).
. "$top/tests/rig/kernel-reports.sh"
kernel_report_lines "$rig_log" "$icount_log" > "$out/console-reports.txt"
# rig_completed NUMBER NAME LOG STATUS: the boot got to RIG-DONE. run-qemu.sh
# exits 0 (all passed) or 1 (failures, counted from the rig's TAP) then;
# otherwise (timeout, panic, QEMU gone) the rig may have died before its
# plan line, and no missing result would be counted.
rig_completed() {
	if { [ "$4" = 0 ] || [ "$4" = 1 ]; } && grep -aq '^RIG-DONE ' "$3"; then
		echo "ok $1 - $2"
	else
		echo "# run-qemu.sh exit status $4: $(grep -a '^# rig: result=' "$3" | tail -n1)"
		echo "not ok $1 - $2 # exit=$4"
	fi
}
{
	echo "TAP version 13"
	echo "1..3"
	sed 's/^/# /' "$out/console-reports.txt"
	if [ -s "$out/console-reports.txt" ]; then
		echo "not ok 1 - debug_rig_console_has_no_kernel_report"
	else
		echo "ok 1 - debug_rig_console_has_no_kernel_report"
	fi
	rig_completed 2 debug_rig_completed "$rig_log" "${rig_status[0]}"
	rig_completed 3 debug_rig_icount_completed "$icount_log" "${rig_status[1]}"
} | tee "$host_tap"

"$top/tests/rig/tap-summary.sh" "$rig_log" "$icount_log" "$host_tap"
