#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The kvm_pmu_partition_backing_change tracepoint must have recorded the
# fixed-counters-only vCPU moving between the two PMUs, both ways, with the
# guest's count carried over and never going backwards.
set -u
trace=/sys/kernel/tracing/trace
events=$(grep -c 'kvm_pmu_partition_backing_change:' "$trace")
to_big=$(grep -c 'from=armv8_cortex_a53 to=armv8_cortex_a72' "$trace")
to_little=$(grep -c 'from=armv8_cortex_a72 to=armv8_cortex_a53' "$trace")
grep -m 3 'kvm_pmu_partition_backing_change:' "$trace"
echo "$events backing changes: $to_big to the a72 PMU, $to_little to the a53 PMU"
echo 0 > /sys/kernel/tracing/events/kvm_pmu_partition/kvm_pmu_partition_backing_change/enable

# Counts of one vCPU must not decrease between consecutive changes; every
# event must parse (identity first: docs/tracing.md), or the check would
# pass on nothing.
counts=$(sed -n 's/.*kvm_pmu_partition_backing_change: vmm=[0-9]* vm=[0-9]* vcpu=0 cpu=[0-9]* from=[^ ]* to=[^ ]* count=\([0-9]*\)$/\1/p' "$trace")
parsed=$(printf '%s\n' "$counts" | grep -c .)
backwards=$(printf '%s\n' "$counts" |
	awk 'NR > 1 && $1 < last { bad++ } { last = $1 } END { print bad + 0 }')
echo "$parsed of $events events parsed for vCPU 0; count went backwards $backwards times"
[ "$to_big" -gt 0 ] && [ "$to_little" -gt 0 ] && [ "$parsed" = "$events" ] &&
	[ "$backwards" = 0 ]
