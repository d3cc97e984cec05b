#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rig-demo-bpftrace   (inside the rig's Debian userland, /rig/bin/;
#                      tests/rig/rootfs/plans/demo.plan)
#
# Owns: the demo's tracing step: Debian's bpftrace runs the packaged
# pmu_overflow_count.bt (tools/bpftrace/, docs/tracing.md) on the module's
# tracepoints while a partitioned guest runs perf record
# (rig-kvm-guest-perf partitioned guest-record): overflows and injections
# per second per VM and vCPU, then the totals and the exactly-once check.
# Exit 0 when the guest passed and bpftrace saw overflows, injections and
# acknowledgements, none lost or duplicated.
set -u
script=/usr/share/kvm-pmu-partition/bpftrace/pmu_overflow_count.bt
out=$(mktemp /tmp/demo-bpftrace.XXXXXX)
bpftrace "$script" > "$out" 2>&1 &
tracer=$!
i=0
# The script's BEGIN line comes once every probe is attached.
until grep -q 'Hit Ctrl-C to end\.$' "$out"; do
	i=$((i + 1))
	if [ $i -gt 600 ] || ! kill -0 $tracer 2>/dev/null; then
		kill $tracer 2>/dev/null
		cat "$out"
		echo "demo-bpftrace: bpftrace did not attach"
		exit 1
	fi
	sleep 0.5
done
echo "demo-bpftrace: bpftrace $script is attached; the guest runs perf record -F 1000 -e cycles"
rig-kvm-guest-perf partitioned guest-record > "$out.guest" 2>&1
guest=$?
grep -a -e 'guest-perf: ' -e 'Samples' -e 'spin_loop' "$out.guest"
kill -INT $tracer
wait $tracer
echo "demo-bpftrace: per second, then totals; maps as [VMM process id, VM serial, vCPU]: count"
grep -v -e '^Attaching' -e '^$' "$out"
rc=0
[ $guest = 0 ] || { echo "demo-bpftrace: the guest run failed"; rc=1; }
for map in overflows injections acknowledged; do
	grep -q "^@$map\[" "$out" || { echo "demo-bpftrace: no $map traced"; rc=1; }
done
for map in lost duplicate; do
	grep -qx "@$map: 0" "$out" || { echo "demo-bpftrace: @$map is not 0"; rc=1; }
done
rm -f "$out" "$out.guest"
exit $rc
