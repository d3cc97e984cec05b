#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The body of `make bench`: boots the rig under -icount shift=0
# (deterministic: one virtual ns per emulated instruction; run-qemu.sh
# --icount also passes sleep=off, -seed 1 and -rtc clock=vm, so two runs
# print the same figures):
#   - the split-PMU rig (-smp 4) with tests/rig/plans/bench.plan: the
#     fixed-counters-only backing-PMU switch (tests/bench/backing_switch.c);
#   - a one-CPU rig once per host set-up, with
#     tests/rig/plans/bench-pmu-<mode>.plan: the cost of each guest PMU
#     operation (tests/bench/pmu_ops.c) for stock KVM and the partitioned
#     PMU with FGT, without, and without its fast path, and the floor of a
#     trapped access (exit-floor: tests/bench/exit-floor). One boot each, as
#     what one set-up leaves in the kernel (module load and unload, freed
#     VMs) shifts the next one's figures by a few instructions;
#   - the rig on the Debian userland (tests/rig/rootfs/run-user-path.sh
#     --plan bench-guest-perf): the cost of profiling a Linux guest with
#     perf stat and perf record, stock, partitioned (FGT and fgt=off) and
#     fixed (tests/rig/rootfs/guest/guest-perf.sh bench).
# Prints the benchmarks' tables, the pmu_ops targets (PASS/MISS, never a
# failure), and writes their "BENCH {json}" lines to bench-results.json as
# {"unit": "emulated_instructions", "results": [...]}. Figures are the rig's
# (QEMU's model), not hardware's. Exits non-zero only when a rig run fails
# (a benchmark or a module load); what did run is still written.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
kernel=$build/kernel/arch/arm64/boot/Image
initrd=$build/initramfs.cpio.gz
mkdir -p "$build/bench"
export QEMU=${QEMU:-$build/qemu/qemu-system-aarch64}

failed=0
rig() {	# LOG run-qemu.sh-arguments...
	local log=$1 rc=0
	shift
	"$top/tests/rig/run-qemu.sh" --kernel "$kernel" --initrd "$initrd" \
		--icount --log "$log" "$@" > /dev/null || rc=$?
	if [ "$rc" != 0 ]; then
		echo "make bench: rig run failed (status $rc), see $log:" >&2
		grep -a -E '^not ok |^# rig: result=' "$log" >&2 || true
		failed=1
	fi
}

switch_log=$build/bench/rig.log
rig "$switch_log" --plan bench --smp 4 --memory 1024 \
	--dtb "$build/split-pmu.dtb" --timeout 1800
logs=("$switch_log")
for mode in stock partitioned-fgt partitioned-trap-fast partitioned-trap-slow exit-floor; do
	logs+=("$build/bench/pmu-ops-$mode.log")
	rig "${logs[-1]}" --plan "bench-pmu-$mode" --smp 1 --memory 1024 --timeout 600
done

# The cost of profiling a Linux guest with perf (issue 12): the Debian
# userland rig, DKMS, Debian's QEMU and perf (tests/rig/rootfs/plans/
# bench-guest-perf.plan).
guest_log=$build/bench/guest-perf.log
logs+=("$guest_log")
rm -f "$guest_log"
rc=0
"$top/tests/rig/rootfs/run-user-path.sh" --plan bench-guest-perf \
	--log "$guest_log" > /dev/null || rc=$?
if [ "$rc" != 0 ]; then
	echo "make bench: the guest profiling rig run failed (status $rc), see $guest_log:" >&2
	grep -a -E '^not ok |^# rig: result=' "$guest_log" >&2 || true
	failed=1
fi

grep -v '^# BENCH' "$switch_log" | sed -n 's/^# \(  .*\|fixed-counters.*\)$/\1/p'
results=$top/bench-results.json
{
	echo '{"unit": "emulated_instructions", "results": ['
	for log in "${logs[@]}"; do
		[ ! -r "$log" ] || sed -n 's/^# BENCH //p' "$log"
	done | sed '$!s/$/,/'
	echo ']}'
} > "$results"
python3 "$top/tests/bench/pmu_ops_table.py" "$results"
echo "bench-results.json: $(grep -c insn_per_op "$results") results"
exit "$failed"
