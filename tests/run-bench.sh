#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The body of `make bench`: boots the split-PMU rig under -icount shift=0
# (deterministic: one virtual ns per emulated instruction) with
# tests/rig/plans/bench.plan, prints the benchmarks' tables and writes their
# "BENCH {json}" lines to bench-results.json as
# {"unit": "emulated_instructions", "results": [...]}. Figures are the rig's
# (QEMU's model), not hardware's.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
log=$build/bench/rig.log
mkdir -p "$build/bench"

QEMU=$build/qemu/qemu-system-aarch64 "$top/tests/rig/run-qemu.sh" \
	--kernel "$build/kernel/arch/arm64/boot/Image" \
	--initrd "$build/initramfs.cpio.gz" --plan bench --smp 4 --memory 1024 \
	--icount --dtb "$build/split-pmu.dtb" --timeout 1800 --log "$log" > /dev/null

grep -v '^# BENCH' "$log" | sed -n 's/^# \(  .*\|fixed-counters.*\)$/\1/p'
{
	echo '{"unit": "emulated_instructions", "results": ['
	sed -n 's/^# BENCH //p' "$log" | sed '$!s/$/,/'
	echo ']}'
} > "$top/bench-results.json"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$top/bench-results.json"
echo "bench-results.json: $(grep -c insn_per_op "$top/bench-results.json") results"
