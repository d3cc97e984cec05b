#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rig-demo-bpftrace   (inside the rig's Debian userland, /rig/bin/;
#                      tests/rig/rootfs/plans/demo.plan)
#
# Owns: the demo's tracing step: Debian's bpftrace on the module's
# tracepoints (kvm_pmu_partition:kvm_pmu_partition_overflow, the host PMU
# taking a guest counter's overflow, and ..._inject, the guest's PMU
# interrupt rising), per VM, vCPU and counter mask, while a partitioned
# guest runs perf record (rig-kvm-guest-perf partitioned guest-record).
# Prints bpftrace's maps; exit 0 when the guest passed and bpftrace saw at
# least one overflow and one injection.
set -u
out=$(mktemp /tmp/demo-bpftrace.XXXXXX)
bpftrace -e '
BEGIN { printf("all probes attached\n"); }
tracepoint:kvm_pmu_partition:kvm_pmu_partition_overflow {
	@overflows[args->vmm, args->vm, args->vcpu_id, args->counters] = count();
}
tracepoint:kvm_pmu_partition:kvm_pmu_partition_inject {
	@injections[args->vmm, args->vm, args->vcpu_id, args->counters] = count();
}' > "$out" 2>&1 &
tracer=$!
i=0
# BEGIN runs once every probe is attached.
until grep -q '^all probes attached' "$out"; do
	i=$((i + 1))
	if [ $i -gt 600 ] || ! kill -0 $tracer 2>/dev/null; then
		kill $tracer 2>/dev/null
		cat "$out"
		echo "demo-bpftrace: bpftrace did not attach"
		exit 1
	fi
	sleep 0.5
done
echo "demo-bpftrace: $(head -n 1 "$out") (the module's overflow and injection tracepoints); the guest runs perf record -F 1000 -e cycles"
rig-kvm-guest-perf partitioned guest-record > "$out.guest" 2>&1
guest=$?
grep -a -e 'guest-perf: ' -e 'Samples' -e 'spin_loop' "$out.guest"
kill -INT $tracer
wait $tracer
echo "demo-bpftrace: maps as [VMM process id, VM serial, vCPU, counter mask (bit 31: the cycle counter)]: count"
sed '1,2d' "$out"
rc=0
[ $guest = 0 ] || { echo "demo-bpftrace: the guest run failed"; rc=1; }
grep -q '^@overflows\[' "$out" || { echo "demo-bpftrace: no overflow traced"; rc=1; }
grep -q '^@injections\[' "$out" || { echo "demo-bpftrace: no injection traced"; rc=1; }
rm -f "$out" "$out.guest"
exit $rc
