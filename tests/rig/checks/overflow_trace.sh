#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# overflow_trace.sh fgt|trap|slow [CASES PER_VM [DROPPED [PATH [SAME]]]]
#                      (in the rig, module loaded with the overflow_delivery
#                       set-up of that name; CASES filters overflow_delivery's
#                       case names, default wraps; PER_VM is the overflows
#                       each of those cases' VMs takes, default 8; DROPPED
#                       of them, per VM, the VMM's store ends, default 0;
#                       PATH irq or exit: every overflow must be taken so,
#                       default either; SAME all or none: the injections the
#                       exit that found the overflow made, default any)
#
# Rule (docs/tracing.md): every step of a guest overflow's delivery is
# traced, with enough identity to join the steps: the host taking the
# overflow (kvm_pmu_partition_overflow), the guest's PMU interrupt rising
# for it (..._inject), and the guest clearing the flag (..._acknowledge,
# emulated in the guest-exit path where nothing can be traced, reported
# later with its delay). Runs overflow_delivery's cases named CASES: by
# default the wrap cases, each a fresh VM whose guest takes WRAP_ROUNDS (8)
# overflows of one counter, one interrupt each (overflow_delivery checks
# the guest's side); pmovsset_write (4 flags the guest sets itself, one
# interrupt each: an overflow to the architecture, traced as one);
# overflow_pending_across (1 overflow with the guest's IRQs masked, taken
# after an exit to user space or a move to CPU 1, or to CPU 0 when CPU 1
# goes offline under the running vCPU); overflow_pending_cleared (1
# overflow, injected, then the VMM stores the flag cleared: dropped).
# Checks the trace of each VM that traced anything:
# - per counter, the steps come in order: overflow, inject, acknowledge
#   (or drop), and again; no step out of order, no overflow left open;
# - PER_VM overflows and injections, PER_VM - DROPPED acknowledgements and
#   DROPPED drops (reason store) per VM (none coalesced,
#   none acknowledged without injection: the flags KVM's vCPU reset leaves,
#   its UNKNOWN 0x8000001e, are no overflow and must not be traced), and
#   as many VMs as CASES cases passed;
# - every event names the VMM (vmm = the process id of the case, which
#   the kselftest harness runs in a process of its own, and the traced
#   task: the vCPU runs in that process's main thread) and vCPU 0; cpu
#   is the trace's CPU column (the same processor id by construction:
#   checked so that a field mix-up shows);
# - every acknowledgement has 0 < delay_ns < 1 s (the clear was recorded
#   in the guest-exit path and traced after it);
# - an injection names a counter in same_exit only when the event just
#   before it (the VM's, on the same CPU) is that counter's overflow at
#   path exit (the exit that found it injected it at once), and with SAME
#   all (or none), every injection names it (or none does).
# Covers, with the module's default_mode=partitioned: the rig's -cpu max
# host (FGT; trap and slow: fgt=off; check.plan), the EL3 rig (el3.plan),
# and the neoverse-n1 host without FGT and FEAT_HPMN0, with and without EL3
# (neoverse.plan, neoverse-el3.plan: trap).
set -u
mode=${1:?usage: overflow_trace.sh fgt|trap|slow [CASES PER_VM]}
cases_filter=${2:-wraps}
per_vm=${3:-8}
dropped=${4:-0}
path=${5:-any}
same=${6:-any}
tracing=/sys/kernel/tracing
# Overflow last: the module follows deliveries from its enabling on.
events="kvm_pmu_partition_drop kvm_pmu_partition_acknowledge kvm_pmu_partition_inject kvm_pmu_partition_overflow"
out=/tmp/overflow_trace.$$

echo 0 > $tracing/tracing_on
echo > $tracing/trace
for e in $events; do
	echo 1 > "$tracing/events/kvm_pmu_partition/$e/enable" || exit 1
done
echo 1 > $tracing/tracing_on
"$RIG_TESTS/overflow_delivery" "$mode" "$cases_filter" > "$out.tap" 2>&1
status=$?
echo 0 > $tracing/tracing_on
for e in $events; do
	echo 0 > "$tracing/events/kvm_pmu_partition/$e/enable"
done
grep -a 'kvm_pmu_partition_' $tracing/trace > "$out.trace"
cases=$(grep "^ok [0-9]* .*$cases_filter" "$out.tap" | grep -vc "# SKIP")
grep -a -e '^ok' -e '^not ok' "$out.tap"
echo "overflow_delivery $mode $cases_filter: exit $status, $cases cases passed; $(wc -l < "$out.trace") events traced"
head -n 6 "$out.trace"

# One line per problem, then one "vm ..." line per VM: counts per step.
awk -v per_vm="$per_vm" -v dropped="$dropped" -v want_path="$path" -v want_same="$same" '
function hexbits(hex, bits,   i, d, v, n) {
	# bits[k] = 1 for each set bit k of the hex mask (0x...)
	sub(/^0x/, "", hex)
	n = 0
	for (i = length(hex); i > 0; i--) {
		d = index("0123456789abcdef", substr(hex, i, 1)) - 1
		for (v = 0; v < 4; v++) {
			if (d % 2)
				bits[n] = 1
			d = int(d / 2)
			n++
		}
	}
}
function field(name,   i) {
	for (i = 1; i <= NF; i++)
		if (index($i, name "=") == 1)
			return substr($i, length(name) + 2)
	return ""
}
{
	pid = $1; sub(/.*-/, "", pid)
	cpu_column = $2; gsub(/[][]/, "", cpu_column); cpu_column += 0
	event = $5; sub(/:$/, "", event); sub(/^kvm_pmu_partition_/, "", event)
	vmm = field("vmm"); vm = vmm "." field("vm"); vcpu = field("vcpu")
	if (vmm != pid || field("cpu") + 0 != cpu_column || vcpu != "0") {
		print "identity: " $0; bad++
	}
	vms[vm] = 1
	delete bits
	hexbits(field("counters"), bits)
	delete same_bits
	if (event == "inject")
		hexbits(field("same_exit"), same_bits)
	for (k in bits) {
		key = vm "/" k
		if (event == "overflow") {
			if (state[key]) { print "overflow while one is open: " $0; bad++ }
			state[key] = 1; overflows[vm]++
		} else if (event == "inject") {
			if (state[key] != 1) { print "inject without an open overflow: " $0; bad++ }
			state[key] = 2; injects[vm]++
			# same_exit only right after the overflow of the counter at an exit.
			could_be_same = prev_event == "overflow" && prev_vm == vm &&
					prev_cpu == cpu_column && prev_path == "exit" && (k in prev_bits)
			if ((k in same_bits) && !could_be_same) { print "same_exit without its overflow just before: " $0; bad++ }
			same_count[(k in same_bits)]++
		} else if (event == "drop") {
			if (!state[key]) { print "drop without an open overflow: " $0; bad++ }
			if (field("reason") != "store") { print "drop for another reason: " $0; bad++ }
			state[key] = 0; drops[vm]++
		} else if (event == "acknowledge") {
			if (state[key] != 2) { print "acknowledge without an injection: " $0; bad++ }
			state[key] = 0; acks[vm]++
			# Above 0 (recorded in the exit path, traced later), and
			# below a second (a sign or unit error is far above).
			delay = field("delay_ns") + 0
			if (delay <= 0 || delay >= 1000000000) { print "acknowledge delay out of range: " $0; bad++ }
		}
	}
	if (event == "overflow" && field("coalesced") != "0x0") {
		print "coalesced overflow: " $0; bad++
	}
	if (event == "overflow" && field("path") != "exit" && field("path") != "irq") {
		print "unknown path: " $0; bad++
	}
	# This event is "just before" the next one.
	prev_event = event; prev_vm = vm; prev_cpu = cpu_column; prev_path = field("path")
	delete prev_bits
	for (k in bits)
		prev_bits[k] = 1
	if (event == "overflow") {
		paths[field("path")]++
		if (want_path != "any" && field("path") != want_path) {
			print "not taken at " want_path ": " $0; bad++
		}
	}
}
END {
	for (key in state)
		if (state[key]) { print "left open: " key; bad++ }
	for (vm in vms) {
		printf "vm %s: %d overflows, %d injections, %d acknowledgements, %d dropped\n",
		       vm, overflows[vm], injects[vm], acks[vm], drops[vm]
		if (overflows[vm] != per_vm || injects[vm] != per_vm ||
		    acks[vm] != per_vm - dropped || drops[vm] != dropped)
			bad++
		n++
	}
	printf "overflows taken at an exit: %d, by the interrupt: %d; injected by the exit that found them: %d, later: %d\n", paths["exit"], paths["irq"], same_count[1], same_count[0]
	if ((want_same == "all" && same_count[0]) || (want_same == "none" && same_count[1])) {
		print "want " want_same " injected by the exit that found them"; bad++
	}
	print n + 0 > "/dev/stderr"
	exit (bad > 0)
}' "$out.trace" 2> "$out.vms"
ok=$?
vms=$(cat "$out.vms")
echo "$vms VMs traced, $cases $cases_filter cases passed"
rm -f "$out.tap" "$out.trace" "$out.vms"
[ "$status" = 0 ] && [ "$ok" = 0 ] && [ "$cases" -gt 0 ] && [ "$vms" = "$cases" ]
