#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rig-overflow-trace-check [anomalies]   (inside the rig's Debian userland,
#                             /rig/bin/; tests/rig/rootfs/plans/user-path.plan)
#
# Owns: the rig test of pmu-overflow-trace (tools/pmu-overflow-trace, from
# the pmuctl package) against a guest with a known number of overflows:
# kvm_pmu_partition loaded with default_mode=partitioned, a partitioned
# Linux guest (rig-kvm-guest-perf partitioned guest-overflows) runs
# perf record -e instructions:u -c 2000000 on 10^8 user instructions,
# which takes exactly 50 samples (guest/guest-perf.sh overflows prints the
# samples S and the guest's PMU interrupts I over the record).
# QEMU starts through a wrapper first on PATH that writes its pid and waits
# before exec-ing the real QEMU (the same pid), so that four tracers attach
# with -p before the VM exists: pmu-overflow-trace -p PID -j (one JSON line
# per delivery, the summary), pmu-overflow-trace -p PID --vcpu 0
# --histogram -j (histograms at exit), pmu-overflow-trace -p PID (text),
# and pmu-overflow-trace -p PID -j again, which gets SIGINT at its first
# delivery line, while the VM runs; and two whose filters exclude the VM:
# -p of this script's process, and --vcpu 1 (QEMU's VM has vCPU 0 only).
# The others get SIGINT once QEMU is gone. Covers the rig's -cpu max host
# (FGT) with the module loaded default_mode=partitioned.
# Before that, two tracers load and exit after one second with -v: no
# filter, and every filter with --histogram (the programs' largest
# variant), to read what each program cost the rig kernel's verifier.
# Checks: the tracer and its manual page come from the pmuctl package;
# the verifier passed each program within half its 1,000,000-instruction
# limit; the tracers started and exited 0; the guest's plan passed; the
# summary has the one vCPU of QEMU's VM, gone, with overflows, injected
# and acknowledged all S, and I injections, nothing coalesced, acknowledged
# without injection, in flight, lost, unacknowledged, duplicated,
# untracked or unexpected; S delivery lines, each delivered, injection ->
# acknowledgement > 0, and host interrupt -> injection > 0, or none (null)
# for those the exit that found them injected at once (on this rig, where
# QEMU raises the flag before its interrupt reaches the host, every one:
# the exit the interrupt causes finds it); the histograms count the timed
# ones and S; no ring buffer
# record dropped, no map full, no event missed; the text output has S
# delivery lines and a summary row saying the same. The tracer stopped
# while the VM ran: its VM is not gone, OVERFLOWS = ACKED + IN-FLIGHT,
# as many delivery lines as acknowledgements, at least one, nothing lost,
# unacknowledged, duplicated or unexpected (whether it stopped before the
# last delivery depends on timing: printed, not asserted). The two that
# exclude the VM traced nothing (no summary row, no delivery line).
# Prints the tracers' output (every delivery line not "delivered" too) and
# one "overflow-trace-check: ..." line per check; exit 0 when all hold.
#
# With "anomalies" (module loaded default_mode=partitioned fgt=off
# fast_path=0 on the rig's -cpu max host): one tracer, -j, follows
# overflow_delivery's slow pmovsset_write cases (2 VMs, 4 flags the guest
# sets, each taken by the host's PMU interrupt: path irq, since the slow
# path emulates the write with IRQs on) and its overflow_pending_cleared
# cases (one VM per counter kind: an overflow injected while the guest's
# IRQs are masked, then the VMM stores the flags cleared at an exit: the
# module drops the delivery, the guest gets no interrupt). Checks: both
# passed; the totals: overflows 8 + C (C cleared cases), acknowledged 8,
# unacknowledged C, nothing lost, duplicated, untracked, unexpected or in
# flight, nothing dropped or missed; C delivery lines "unacknowledged",
# reason "vmm-store"; 8 "delivered" lines with path irq and a host
# interrupt -> injection time > 0; the histogram-free summary exit 0.
# Also its overflow_with_pmintenset_clear_across cases (P VMs: an overflow
# found at an exit while its interrupt is disabled, injected when the
# guest enables it): P delivered lines, path exit, with a host interrupt
# -> injection time > 0 (injected by a later exit). pmu_overflow_latency.bt
# runs alongside: its @irq_to_inject_ns histograms hold 8 + P samples, its
# @found_at_exit counts C, its @dropped C.
# The helpers run through check and wait_for, indirectly.
# shellcheck disable=SC2317
set -u
work=$(mktemp -d /tmp/overflow-trace.XXXXXX)
fail=0
say() { echo "overflow-trace-check: $*"; }
check() {	# check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then say "ok: $what"; else say "FAILED: $what"; fail=1; fi
}
# field NAME FILE: the number NAME has in the JSON lines of FILE (one).
field() {
	sed -n "s/.*\"$1\":\\([0-9][0-9]*\\).*/\\1/p" "$2"
}
# wait_for SECONDS COMMAND...: until COMMAND succeeds; 1 on timeout.
wait_for() {
	local i=0 limit=$(($1 * 10))
	shift
	until "$@"; do
		i=$((i + 1))
		[ $i -le $limit ] || return 1
		sleep 0.1
	done
}
alive() { kill -0 "$1" 2>/dev/null; }
started() { grep -q '^Tracing' "$1" || ! alive "$2"; }

# The tracer against deliveries that end otherwise than acknowledged, and
# against the host interrupt's path (see the header).
anomalies() {
	local tracer bt rc writes cleared enables w c e n irq later hist dropped
	pmu-overflow-trace -j > "$work/anomalies.json" 2> "$work/anomalies.err" &
	tracer=$!
	bpftrace /usr/share/kvm-pmu-partition/bpftrace/pmu_overflow_latency.bt \
		> "$work/latency.txt" 2>&1 &
	bt=$!
	wait_for 600 started "$work/anomalies.err" $tracer
	wait_for 600 bash -c "grep -q 'Hit Ctrl-C to end\.\$' '$work/latency.txt' || ! kill -0 $bt"
	check "pmu-overflow-trace -j started ($(head -n 1 "$work/anomalies.err"))" \
		grep -q '^Tracing' "$work/anomalies.err"
	check "pmu_overflow_latency.bt started" grep -q 'Hit Ctrl-C to end\.$' "$work/latency.txt"
	/rig/bin/overflow_delivery slow pmovsset_write > "$work/writes.tap" 2>&1
	writes=$?
	/rig/bin/overflow_delivery slow overflow_pending_cleared > "$work/cleared.tap" 2>&1
	cleared=$?
	/rig/bin/overflow_delivery slow overflow_with_pmintenset_clear_across > "$work/enables.tap" 2>&1
	enables=$?
	alive $tracer && kill -INT $tracer
	alive $bt && kill -INT $bt
	wait $tracer
	rc=$?
	wait $bt
	grep -a -e '^ok' -e '^not ok' "$work/writes.tap" "$work/cleared.tap" "$work/enables.tap"
	cat "$work/anomalies.err"
	grep -v '"status":"delivered"' "$work/anomalies.json"
	grep -v '^$' "$work/latency.txt"
	w=$(grep '^ok [0-9]* .*pmovsset_write' "$work/writes.tap" | grep -vc '# SKIP')
	c=$(grep '^ok [0-9]* .*overflow_pending_cleared' "$work/cleared.tap" | grep -vc '# SKIP')
	e=$(grep '^ok [0-9]* .*overflow_with_pmintenset_clear_across' "$work/enables.tap" | grep -vc '# SKIP')
	check "overflow_delivery slow: pmovsset_write exit $writes ($w cases passed), overflow_pending_cleared exit $cleared ($c), overflow_with_pmintenset_clear_across exit $enables ($e)" \
		[ "$writes" = 0 -a "$cleared" = 0 -a "$enables" = 0 -a "$w" = 2 -a "$c" -gt 0 -a "$e" -gt 0 ]
	check "the tracer exited 0 ($rc)" [ "$rc" = 0 ]
	grep '"type":"totals"' "$work/anomalies.json" > "$work/anomalies.totals"
	for f in overflows acknowledged unacknowledged; do
		v=$(field "$f" "$work/anomalies.totals")
		case $f in
		overflows) want=$((8 + c + e)) ;;
		acknowledged) want=$((8 + e)) ;;
		unacknowledged) want=$c ;;
		esac
		check "totals: $f $v = $want" [ "${v:-x}" = "$want" ]
	done
	for f in lost duplicates untracked unexpected in_flight coalesced \
		 records_dropped map_full recursion_misses; do
		v=$(field "$f" "$work/anomalies.totals")
		check "totals: $f $v = 0" [ "${v:-x}" = 0 ]
	done
	n=$(grep '"type":"delivery"' "$work/anomalies.json" |
	    grep '"status":"unacknowledged"' | grep -c '"reason":"vmm-store"')
	check "$n deliveries unacknowledged, reason vmm-store = the $c cleared cases" [ "$n" = "$c" ]
	irq=$(grep '"status":"delivered"' "$work/anomalies.json" | grep '"path":"irq"' |
	      grep -cE '"irq_to_inject_ns":[1-9][0-9]*,')
	check "$irq delivered on path irq, host interrupt -> injection > 0 = the 8 flags set" [ "$irq" = 8 ]
	later=$(grep '"status":"delivered"' "$work/anomalies.json" | grep '"path":"exit"' |
		grep -cE '"irq_to_inject_ns":[1-9][0-9]*,')
	check "$later delivered on path exit, injected by a later exit, host interrupt -> injection > 0 = the $e enable cases" \
		[ "$later" = "$e" ]
	# bpftrace: histogram buckets "[LOW, HIGH)   COUNT |@@@ |", per VM.
	hist=$(awk '/^@irq_to_inject_ns\[/ { on = 1; next }
		    on && /^[[(]/ { line = $0; sub(/\|.*/, "", line); k = split(line, f, " "); n += f[k]; next }
		    { on = 0 }
		    END { print n + 0 }' "$work/latency.txt")
	n=$(sed -n 's/^@found_at_exit\[[0-9, ]*\]: \([0-9]*\)$/\1/p' "$work/latency.txt" |
	    awk '{ s += $1 } END { print s + 0 }')
	dropped=$(sed -n 's/^@dropped\[[0-9, ]*\]: \([0-9]*\)$/\1/p' "$work/latency.txt" |
		  awk '{ s += $1 } END { print s + 0 }')
	check "pmu_overflow_latency.bt: @irq_to_inject_ns holds $hist = 8 + $e, @found_at_exit $n = $c, @dropped $dropped = $c" \
		[ "$hist" = $((8 + e)) -a "$n" = "$c" -a "$dropped" = "$c" ]
}
if [ "${1:-}" = anomalies ]; then
	command -v pmu-overflow-trace >/dev/null || { say "FAILED: no pmu-overflow-trace"; exit 1; }
	anomalies
	rm -rf "$work"
	exit $fail
fi

check "pmu-overflow-trace and its manual page come from the pmuctl package" \
	bash -c 'dpkg -L pmuctl | grep -qx /usr/sbin/pmu-overflow-trace &&
		 dpkg -L pmuctl | grep -qx /usr/share/man/man8/pmu-overflow-trace.8.gz'
command -v pmu-overflow-trace >/dev/null || { say "FAILED: no pmu-overflow-trace"; exit 1; }
pmu-overflow-trace --version

# What the verifier of the rig's kernel (no JIT: the interpreter) spent on
# each program, with no filter and with all of them and --histogram.
for args in "" "-p $$ -c 0 --vcpu 0 --histogram"; do
	# shellcheck disable=SC2086 # $args is a list of arguments
	timeout 600 pmu-overflow-trace -v $args 1 1 > "$work/load.out" 2> "$work/load.err"
	rc=$?
	grep 'verified$' "$work/load.err"
	worst=$(sed -n 's/.*instructions, \([0-9]*\) verified$/\1/p' "$work/load.err" |
		sort -n | tail -n 1)
	check "pmu-overflow-trace -v $args 1 1: exit $rc, 4 programs, the most verified ${worst:-none} <= 500000" \
		bash -c "[ $rc = 0 ] && [ \$(grep -c 'verified\$' '$work/load.err') = 4 ] &&
			 [ '${worst:-x}' -le 500000 ] 2>/dev/null"
done

# The QEMU wrapper: the tracers need QEMU's pid before its VM runs.
real_qemu=$(command -v qemu-system-aarch64)
mkdir -p "$work/bin"
cat > "$work/bin/qemu-system-aarch64" <<EOF
#!/bin/sh
echo \$\$ > $work/qemu.pid.tmp && mv $work/qemu.pid.tmp $work/qemu.pid
while [ ! -e $work/go ]; do sleep 0.1; done
exec $real_qemu "\$@"
EOF
chmod +x "$work/bin/qemu-system-aarch64"

PATH=$work/bin:$PATH rig-kvm-guest-perf partitioned guest-overflows > "$work/guest.out" 2>&1 &
runner=$!
if ! wait_for 120 test -s "$work/qemu.pid"; then
	say "FAILED: QEMU did not start"
	touch "$work/go"
	wait $runner
	cat "$work/guest.out"
	exit 1
fi
qemu=$(cat "$work/qemu.pid")
say "QEMU pid $qemu waits; the tracers attach"

pmu-overflow-trace -p "$qemu" -j > "$work/lines.json" 2> "$work/lines.err" &
lines=$!
pmu-overflow-trace -p "$qemu" --vcpu 0 --histogram -j > "$work/hist.json" 2> "$work/hist.err" &
hist=$!
pmu-overflow-trace -p "$qemu" > "$work/text.out" 2> "$work/text.err" &
text=$!
pmu-overflow-trace -p "$qemu" -j > "$work/stop.json" 2> "$work/stop.err" &
stop=$!
pmu-overflow-trace -p $$ -j > "$work/other-pid.json" 2> "$work/other-pid.err" &
other_pid=$!
pmu-overflow-trace --vcpu 1 -j > "$work/other-vcpu.json" 2> "$work/other-vcpu.err" &
other_vcpu=$!
wait_for 600 started "$work/lines.err" $lines
wait_for 600 started "$work/hist.err" $hist
wait_for 600 started "$work/text.out" $text
wait_for 600 started "$work/stop.err" $stop
wait_for 600 started "$work/other-pid.err" $other_pid
wait_for 600 started "$work/other-vcpu.err" $other_vcpu
check "pmu-overflow-trace -p $qemu -j started ($(head -n 1 "$work/lines.err"))" \
	grep -q '^Tracing' "$work/lines.err"
check "pmu-overflow-trace -p $qemu --vcpu 0 --histogram -j started ($(head -n 1 "$work/hist.err"))" \
	grep -q '^Tracing' "$work/hist.err"
check "pmu-overflow-trace -p $qemu started ($(head -n 1 "$work/text.out") $(cat "$work/text.err"))" \
	grep -q '^Tracing' "$work/text.out"
# One that did not start says why with libbpf's messages (-v).
for t in lines hist; do
	grep -q '^Tracing' "$work/$t.err" && continue
	say "$t: pmu-overflow-trace -v -p $qemu, the last lines:"
	timeout 600 pmu-overflow-trace -v -p "$qemu" 1 1 2>&1 | tail -n 60
	break
done
touch "$work/go"
# The fourth tracer stops at its first delivery line, while the VM runs
# (deliveries come about 2 ms apart in the rig's virtual time).
stopped_vm_alive=no
until grep -q '"type":"delivery"' "$work/stop.json" || ! alive $stop || ! alive $runner; do
	sleep 0.01
done
alive "$qemu" && stopped_vm_alive=yes
alive $stop && kill -INT $stop
wait $stop
stop_rc=$?
wait $runner
guest=$?
for t in $lines $hist $text $other_pid $other_vcpu; do
	alive "$t" && kill -INT "$t"
done
wait $other_pid
other_pid_rc=$?
wait $other_vcpu
other_vcpu_rc=$?
wait $lines
lines_rc=$?
wait $hist
hist_rc=$?
wait $text
text_rc=$?

if [ $guest = 0 ]; then
	grep -a -e '^kvm-guest-perf: ' -e 'guest-perf: ' -e 'Samples' "$work/guest.out"
else
	cat "$work/guest.out"
fi
say "pmu-overflow-trace -p $qemu -j (exit $lines_rc; first 3 deliveries, then the summary):"
cat "$work/lines.err"
grep '"type":"delivery"' "$work/lines.json" | head -n 3
grep '"type":"delivery"' "$work/lines.json" | grep -v '"status":"delivered"'
grep -v '"type":"delivery"' "$work/lines.json"
say "pmu-overflow-trace -p $qemu -j, stopped at its first delivery (exit $stop_rc, QEMU alive then: $stopped_vm_alive):"
cat "$work/stop.err"
grep '"type":"delivery"' "$work/stop.json" | grep -v '"status":"delivered"'
grep -v '"type":"delivery"' "$work/stop.json"
say "pmu-overflow-trace -p $qemu --vcpu 0 --histogram -j (exit $hist_rc):"
cat "$work/hist.err" "$work/hist.json"
say "pmu-overflow-trace -p $qemu (exit $text_rc; the header, 3 deliveries, the summary):"
head -n 5 "$work/text.out"
sed -n '/^Deliveries per vCPU/,$p' "$work/text.out"
cat "$work/text.err"

check "the guest's plan passed (rig-kvm-guest-perf exit $guest)" [ $guest = 0 ]
line=$(grep -a 'guest-perf: overflows: samples=' "$work/guest.out" | tail -n 1)
samples=$(echo "$line" | sed -n 's/.*samples=\([0-9]*\).*/\1/p')
interrupts=$(echo "$line" | sed -n 's/.*pmu_interrupts=\([0-9]*\).*/\1/p')
check "the guest took $samples samples over $interrupts PMU interrupts (want 50)" \
	[ "${samples:-0}" = 50 ]
check "the tracers exited 0 ($lines_rc, $hist_rc, $text_rc)" \
	[ "$lines_rc $hist_rc $text_rc" = "0 0 0" ]

for out in lines hist; do
	grep '"type":"summary"' "$work/$out.json" > "$work/$out.summary"
	grep '"type":"totals"' "$work/$out.json" > "$work/$out.totals"
	check "$out: one summary line, QEMU's VM's vCPU 0, the VM gone" \
		bash -c "[ \$(wc -l < '$work/$out.summary') = 1 ] &&
			 grep -q '\"vmm\":$qemu,\"vm\":[0-9]*,\"vcpu\":0,\"vm_gone\":true' '$work/$out.summary'"
	for f in overflows injected acknowledged; do
		v=$(field "$f" "$work/$out.summary")
		check "$out: $f $v = the guest's samples $samples" [ "${v:-x}" = "${samples:-y}" ]
	done
	v=$(field injected "$work/$out.summary")
	check "$out: injected $v = the guest's PMU interrupts $interrupts" \
		[ "${v:-x}" = "${interrupts:-y}" ]
	for f in coalesced acknowledged_without_injection in_flight lost unacknowledged \
		 duplicates untracked unexpected; do
		v=$(field "$f" "$work/$out.summary")
		check "$out: $f $v = 0" [ "${v:-x}" = 0 ]
	done
	for f in records_dropped map_full recursion_misses; do
		v=$(field "$f" "$work/$out.totals")
		check "$out: $f $v = 0" [ "${v:-x}" = 0 ]
	done
done

# Each delivery line: delivered, injection -> acknowledgement above 0;
# host interrupt -> injection above 0, or null (injected by the exit that
# found it), and never null for path irq.
grep '"type":"delivery"' "$work/lines.json" > "$work/deliveries"
n=$(wc -l < "$work/deliveries")
check "$n delivery lines = the guest's samples $samples" [ "$n" = "${samples:-y}" ]
timed=$(grep -cE '"irq_to_inject_ns":[1-9][0-9]*,' "$work/deliveries")
good=$(grep '"status":"delivered"' "$work/deliveries" |
	grep -E '"irq_to_inject_ns":[1-9][0-9]*,|"path":"exit".*"irq_to_inject_ns":null,' |
	grep -cE '"inject_to_ack_ns":[1-9][0-9]*,')
check "$good of them delivered, injection -> acknowledgement > 0, host interrupt -> injection > 0 on $timed, null on the others (path exit, injected at once)" \
	test "$n" -gt 0 -a "$good" = "$n"
# On this rig the exit the interrupt causes finds every overflow and
# injects it at once: none timed (the anomalies mode has timed ones).
check "$timed deliveries timed = 0 (all injected by the exit that found them)" [ "$timed" = 0 ]
sed -n 's/.*"inject_to_ack_ns":\([0-9]*\),.*/\1/p' "$work/deliveries" | awk '
	{ s += $1 }
	END { if (NR) printf "overflow-trace-check: injection -> acknowledgement mean %d ns over %d deliveries\n", s / NR, NR }'

# The histograms: host interrupt -> injection counts the timed deliveries,
# injection -> acknowledgement every one.
for latency in irq_to_inject inject_to_ack; do
	total=$(grep "\"latency\":\"$latency\"" "$work/hist.json" |
		grep -o '"count":[0-9]*' | cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }')
	want=${samples:-y}
	[ $latency = irq_to_inject ] && want=$timed
	check "histogram $latency counts $total = $want" [ "$total" = "$want" ]
done

# The tracer stopped while the VM ran: what it began is acknowledged or in
# flight (not lost: the VM is there), and every acknowledgement has its line.
check "stopped: the tracer exited 0 ($stop_rc)" [ "$stop_rc" = 0 ]
grep '"type":"summary"' "$work/stop.json" > "$work/stop.summary"
grep '"type":"totals"' "$work/stop.json" > "$work/stop.totals"
overflows=$(field overflows "$work/stop.summary")
acknowledged=$(field acknowledged "$work/stop.summary")
in_flight=$(field in_flight "$work/stop.summary")
n=$(grep -c '"type":"delivery"' "$work/stop.json")
say "stopped after $acknowledged of the guest's $samples deliveries ($in_flight in flight)"
check "stopped: one summary line, QEMU's VM's vCPU 0, the VM not gone (QEMU alive then: $stopped_vm_alive)" \
	bash -c "[ \$(wc -l < '$work/stop.summary') = 1 ] && [ $stopped_vm_alive = yes ] &&
		 grep -q '\"vmm\":$qemu,\"vm\":[0-9]*,\"vcpu\":0,\"vm_gone\":false' '$work/stop.summary'"
check "stopped: overflows $overflows = acknowledged $acknowledged + in flight $in_flight, > 0" \
	bash -c "[ '${overflows:-x}' -gt 0 ] && [ '$overflows' = \$(( ${acknowledged:-0} + ${in_flight:-0} )) ]" 2>/dev/null
check "stopped: $n delivery lines = acknowledged $acknowledged, all delivered" \
	bash -c "[ '$n' = '${acknowledged:-x}' ] && ! grep '\"type\":\"delivery\"' '$work/stop.json' | grep -qv '\"status\":\"delivered\"'"
for f in lost unacknowledged duplicates unexpected; do
	v=$(field "$f" "$work/stop.summary")
	check "stopped: $f $v = 0" [ "${v:-x}" = 0 ]
done
for f in records_dropped map_full recursion_misses; do
	v=$(field "$f" "$work/stop.totals")
	check "stopped: $f $v = 0" [ "${v:-x}" = 0 ]
done

# The filters that exclude the VM: started, exited 0, traced nothing.
for t in other-pid other-vcpu; do
	rc=$other_pid_rc
	[ $t = other-vcpu ] && rc=$other_vcpu_rc
	check "$t: pmu-overflow-trace $( [ $t = other-pid ] && echo "-p $$" || echo "--vcpu 1") started, exited 0 ($rc), traced nothing: $(grep '"type":"totals"' "$work/$t.json")" \
		bash -c "grep -q '^Tracing' '$work/$t.err' && [ $rc = 0 ] &&
			 ! grep -q -e '\"type\":\"delivery\"' -e '\"type\":\"summary\"' '$work/$t.json' &&
			 grep -q '\"type\":\"totals\",\"vcpus\":0,\"overflows\":0,' '$work/$t.json'"
done

# The text output: a line per delivery (time, VMM pid, ...), and the
# summary row: VMM VM VCPU OVERFLOWS COALESCED INJECTED ACKED NO-INJECT
# IN-FLIGHT LOST UNACKED DUP UNTRACKED UNEXPECTED.
n=$(grep -cE "^[0-9:.]+ +$qemu +[0-9]+ +0 +(ev[0-9]+|cycle) +[0-9]+ +(irq +[0-9.]+|exit +([0-9.]+|-)) +[0-9.]+\$" "$work/text.out")
check "text: $n delivery lines = the guest's samples $samples" [ "$n" = "${samples:-y}" ]
row=$(awk -v vmm="$qemu" '$1 == vmm && NF == 14' "$work/text.out")
check "text: summary row '$row' = $samples overflows, injected, acknowledged, nothing else" \
	test "$(echo "$row" | awk '{ $1 = $2 = ""; print }' | xargs)" = \
	"0 ${samples:-y} 0 ${samples:-y} ${samples:-y} 0 0 0 0 0 0 0"

rm -rf "$work"
exit $fail
