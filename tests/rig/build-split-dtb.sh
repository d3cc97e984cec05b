#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-split-dtb.sh QEMU OUT.dtb [CPU_SETS...]
#
# The split-PMU rig's device tree: QEMU's own virt DTB for the rig's machine
# (-smp 4), dumped with dumpdtb, with its PMU split into PMUv3 nodes for the
# given CPU sets (default "0,1 2,3": two arm_pmu instances, as on
# big.LITTLE; "0,1" alone leaves CPUs 2-3 without a PMU), by
# tests/rig/split-pmu-dtb.py.
set -euo pipefail

qemu=$1
out=$2
shift 2
if [ $# -gt 0 ]; then
	sets=("$@")
else
	sets=(0,1 2,3)
fi
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$qemu" -M virt,virtualization=on,gic-version=3,dumpdtb="$work/virt.dtb" \
	-cpu max -smp 4 -m 1024 -nographic -nodefaults </dev/null > "$work/qemu.log" 2>&1 || {
	echo "build-split-dtb: dumpdtb failed:" >&2
	cat "$work/qemu.log" >&2
	exit 1
}
dtc -q -I dtb -O dts -o "$work/virt.dts" "$work/virt.dtb"
python3 "$here/split-pmu-dtb.py" "$work/virt.dts" "$work/split.dts" "${sets[@]}"
mkdir -p "$(dirname "$out")"
dtc -q -I dts -O dtb -o "$out" "$work/split.dts"
echo "build-split-dtb: $out (PMUs for CPU sets: ${sets[*]})"
