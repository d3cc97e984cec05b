#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# guest-perf stat|record|saved|saved-record|overflows|bench   (inside the
#                                             L2 guest, /rig/bin/guest-perf)
#
# Owns: what the user-path tests (issue 12) check inside a Linux guest that
# Debian's QEMU runs on the rig's KVM: Debian's perf, on the guest's PMU, on
# guest-workload (2 instructions per iteration, tests/rig/rootfs/guest/
# guest-workload.c). The guest is the rig kernel with a busybox initramfs;
# its only disk (/dev/vda, read-only) is the rig's Debian image, mounted on
# /debian, and perf runs there with chroot (tmpfs /tmp, proc, sysfs, dev).
# The guest's kernel command line says what it should see:
#   rig.guestpmu=stock|partitioned|fixed   the PMU the host gives the VM
#   rig.guestcounters=G                    event counters the guest has
#                                          (stock: all; partitioned: HPMN;
#                                          fixed: 0, the cycle counter only)
#   rig.icount=1                           QEMU counts instructions only
#                                          under -icount (docs/rig.md)
# stat    perf stat -e cycles plus G events on the event counters
#         (instructions first): every event counted 100% of the time (no
#         multiplexing, no <not counted>), and instructions within 1% of
#         the workload's 2 * ITERATIONS, cycles at least that under -icount
#         (QEMU's cycles are its virtual clock then). Fixed: cycles only;
#         instructions is <not supported>.
# record  perf record -F 1000 -e cycles, perf report: at least 20 samples
#         and at least 90% of them in spin_loop.
# saved   perf stat -e cycles,instructions over two passes with a pause
#         between them, in which the VMM saves the VM and another VMM
#         restores it (tests/rig/rootfs/vmm-save-restore.sh): the count
#         goes on, within 1% above both passes' total. The guest's PMU
#         interrupt count before and after is printed.
# saved-record  perf record -e instructions:u -c 2000000 the same way,
#         across another save and restore: exactly 50 samples for the
#         loops' 10^8 user instructions (the counting went on, no overflow
#         interrupt was lost or added).
# overflows  that perf record alone, without the save: the known overflow
#         count of the overflow tracer's check (tests/rig/rootfs/
#         overflow-trace-check.sh): prints "guest-perf: overflows:
#         samples=S pmu_interrupts=I", the samples (want 50) and the
#         guest's PMU interrupts over the record.
# bench   the cost of profiling the guest (make bench): guest-workload's
#         own count of virtual-counter ticks around its loop of 10^8
#         iterations (under -icount shift=0: instructions the whole rig
#         emulated), run alone, under perf stat with the events of `stat`,
#         and under perf record -F 1000 -e cycles, each three times (the
#         least kept); prints two "BENCH {json}"
#         lines, overhead = (profiled - alone) / alone in percent, with mode
#         rig.benchmode (default rig.guestpmu). Only under -icount.
# Prints the perf output and one "guest-perf: ..." line per check; exit 0
# when all hold.
set -u
what=${1:?usage: guest-perf stat|record|saved}
root=/debian
iterations=25000000
fail=0

cmdline_value() {
	tr ' ' '\n' < /proc/cmdline | sed -n "s/^$1=//p" | tail -n 1
}
pmu=$(cmdline_value rig.guestpmu)
want_counters=$(cmdline_value rig.guestcounters)
icount=$(cmdline_value rig.icount)
bench_mode=$(cmdline_value rig.benchmode)

check() {	# check DESCRIPTION COMMAND...
	_what=$1
	shift
	if "$@"; then
		echo "guest-perf: ok: $_what"
	else
		echo "guest-perf: FAILED: $_what"
		fail=1
	fi
}

within() {	# within VALUE LOW HIGH (integers)
	awk -v v="$1" -v l="$2" -v h="$3" 'BEGIN { exit !(v + 0 >= l && v + 0 <= h) }'
}

# The Debian userland, once per boot.
if ! [ -x $root/tmp/guest-workload ]; then
	mkdir -p $root
	mount -o ro /dev/vda $root || { echo "guest-perf: cannot mount /dev/vda"; exit 1; }
	mount -t tmpfs tmpfs $root/tmp
	mount -t proc proc $root/proc
	mount -t sysfs sysfs $root/sys
	mount -t devtmpfs devtmpfs $root/dev
	cp /rig/bin/guest-workload $root/tmp/
fi
perf() { chroot $root perf "$@"; }

# Event counters this guest has: the PMU driver's "N (...) counters
# available" counts the cycle counter too.
total=$(dmesg | sed -n 's/.*hw perfevents: enabled with .* PMU driver, \([0-9]*\) .*counters available.*/\1/p' | head -n 1)
counters=$((${total:-1} - 1))
echo "guest-perf: PMU $pmu, $counters event counters + the cycle counter"
check "the guest has $want_counters event counters" [ "$counters" = "$want_counters" ]

# perf stat -x, lines: value,unit,event,run time,percentage running,...
stat_value() {	# stat_value FILE EVENT
	awk -F, -v e="$2" '$3 == e { print $1; exit }' "$1"
}
stat_running() {
	awk -F, -v e="$2" '$3 == e { print $5; exit }' "$1"
}

# cycles plus one event per event counter: instructions, CPU_CYCLES (0x11)
# on an event counter, and their :u/:k halves.
stat_events() {
	events=cycles
	i=0
	for e in instructions r11 instructions:u r11:u instructions:k r11:k; do
		[ $i -lt "$counters" ] || break
		events="$events,$e"
		i=$((i + 1))
	done
	[ $i = "$counters" ] || echo "guest-perf: only $i of $counters counters have an event here" >&2
	echo "$events"
}
# workload_ticks FILE: the ticks guest-workload printed in FILE.
# The guest's PMU interrupts so far, all CPUs (its /proc/interrupts line,
# printed too).
pmu_interrupts() {
	grep -i pmu /proc/interrupts >&2
	awk 'tolower($0) ~ /pmu/ { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; found = 1 }
	     END { if (found) print s + 0 }' /proc/interrupts
}

least() {	# least A B: the smaller of two numbers, either may be empty
	if [ -z "$1" ] || { [ -n "$2" ] && [ "$2" -lt "$1" ]; }; then echo "$2"; else echo "$1"; fi
}

workload_ticks() {
	sed -n 's/^guest-workload: [0-9]* iterations in \([0-9]*\) ticks$/\1/p' "$1" | tail -n 1
}

case $what in
stat)
	events=$(stat_events)
	echo "guest-perf: perf stat -e $events -- guest-workload $iterations"
	perf stat -x, -o /tmp/stat.csv -e "$events" -- /tmp/guest-workload $iterations
	cat $root/tmp/stat.csv
	for e in $(echo "$events" | tr , ' '); do
		v=$(stat_value $root/tmp/stat.csv "$e")
		r=$(stat_running $root/tmp/stat.csv "$e")
		check "$e counted ($v), running 100% ($r)" \
			sh -c "case '$v' in ''|*[!0-9]*) exit 1;; esac; [ '$r' = 100.00 ]"
	done
	expect=$((2 * iterations))
	if [ "$counters" -gt 0 ] && [ "$icount" = 1 ]; then
		v=$(stat_value $root/tmp/stat.csv instructions)
		check "instructions $v within 1% above $expect" within "$v" $expect $((expect + expect / 100))
		v=$(stat_value $root/tmp/stat.csv instructions:u)
		[ -z "$v" ] || check "instructions:u $v within 1% above $expect" within "$v" $expect $((expect + expect / 100))
	fi
	# Under -icount shift=0 QEMU's cycle counter is the virtual clock,
	# which advances one ns per instruction of any vCPU of the rig: the
	# loop's cycles are at least its instructions (a rig property, not
	# the architecture's), more when the host's other CPU runs meanwhile.
	if [ "$icount" = 1 ]; then
		v=$(stat_value $root/tmp/stat.csv cycles)
		check "cycles $v at least $expect (rig: a cycle per ns, an instruction per ns)" \
			within "$v" $expect $((expect * 100))
	fi
	if [ "$pmu" = fixed ]; then
		perf stat -x, -o /tmp/stat-insn.csv -e instructions -- /tmp/guest-workload 1000
		cat $root/tmp/stat-insn.csv
		check "fixed: instructions not supported" grep -q '^<not supported>,.*instructions' $root/tmp/stat-insn.csv
	fi
	;;
record)
	echo "guest-perf: perf record -F 1000 -e cycles -- guest-workload $((4 * iterations))"
	perf record -F 1000 -e cycles -o /tmp/perf.data -- /tmp/guest-workload $((4 * iterations)) 2>&1
	perf report -i /tmp/perf.data --stdio --sort sym > $root/tmp/report.txt 2>&1
	grep -v '^$' $root/tmp/report.txt | head -n 20
	samples=$(sed -n 's/^# Samples: \([0-9]*\).*/\1/p' $root/tmp/report.txt | head -n 1)
	top=$(grep -v '^#' $root/tmp/report.txt | grep . | head -n 1)
	share=$(echo "$top" | awk '{ sub("%", "", $1); print int($1) }')
	check "at least 20 samples ($samples)" [ "${samples:-0}" -ge 20 ]
	check "the top symbol is spin_loop with >= 90% ($top)" \
		sh -c "echo '$top' | grep -q 'spin_loop' && [ '${share:-0}' -ge 90 ]"
	;;
saved|saved-live)
	# saved: the workload's task sleeps in the pause, so perf has
	# switched its events out: the counts the save carries are in the
	# guest's memory, and perf programs the counters again when the task
	# wakes in the restored VM.
	# saved-live: system-wide events (-a) stay enabled in the PMU through
	# the pause, so the save carries them in the counter registers, and
	# the restore must give them back enabled. Stock 6.12 does not (its
	# KVM_SET_ONE_REG of PMCNTENCLR clears what PMCNTENSET set; the
	# kselftest live_counters_continue_after_save_and_restore), so this
	# one runs for the module's modes only. It counts user instructions:
	# system-wide, the kernel's timer ticks through the 8 s pause add about
	# 1% (measured on the rig: 101,118,857 instructions for the loops'
	# 10^8), and nothing else in the guest runs user code meanwhile.
	scope='' insn=instructions
	[ "$what" = saved ] || { scope=-a; insn=instructions:u; }
	if [ "$what" = saved-live ] && [ "$pmu" = stock ]; then
		echo "guest-perf: saved-live skipped: stock 6.12 stops live counters at a restore"
		exit 4	# the plan runner's SKIP
	fi
	# No counter comes near an overflow (perf starts 32-bit counters
	# 2^31 before it; cycles is 64-bit), so the PMU interrupt count must
	# not move: an overflow flag a restore cannot clear would raise one.
	echo "guest-perf: perf stat $scope -e cycles,$insn -- guest-workload -p 8 $iterations $iterations"
	before=$(pmu_interrupts)
	perf stat $scope -x, -o /tmp/stat.csv -e cycles,$insn -- \
		/tmp/guest-workload -p 8 $iterations $iterations
	after=$(pmu_interrupts)
	cat $root/tmp/stat.csv
	expect=$((4 * iterations))
	v=$(stat_value $root/tmp/stat.csv $insn)
	check "$insn over the save and restore $v within 1% above $expect" \
		within "$v" $expect $((expect + expect / 100))
	check "no PMU interrupt over the save and restore ($before before, $after after)" \
		test -n "$before" -a "$before" = "$after"
	;;
saved-record)
	# Sampling across a save and restore with a fixed period: perf keeps
	# the period's remainder while the task sleeps, so the loops' 10^8
	# user instructions (and the workload's few thousand of start-up)
	# give exactly 50 samples; a lost or an extra overflow interrupt
	# gives 49 or 51.
	period=2000000
	expect=$((4 * iterations / period))
	echo "guest-perf: perf record -e instructions:u -c $period -- guest-workload -p 8 $iterations $iterations"
	perf record -e instructions:u -c $period -o /tmp/saved.data -- \
		/tmp/guest-workload -p 8 $iterations $iterations 2>&1
	perf report -i /tmp/saved.data --stdio --sort sym > $root/tmp/saved-report.txt 2>&1
	grep -v '^$' $root/tmp/saved-report.txt | head -n 12
	samples=$(sed -n 's/^# Samples: \([0-9]*\).*/\1/p' $root/tmp/saved-report.txt | head -n 1)
	check "one sample per $period user instructions over the save and restore: $samples, want $expect" \
		test "${samples:-0}" = $expect
	;;
overflows)
	period=2000000
	expect=$((4 * iterations / period))
	echo "guest-perf: perf record -e instructions:u -c $period -- guest-workload $iterations $iterations"
	before=$(pmu_interrupts)
	perf record -e instructions:u -c $period -o /tmp/overflows.data -- \
		/tmp/guest-workload $iterations $iterations 2>&1
	after=$(pmu_interrupts)
	perf report -i /tmp/overflows.data --stdio --sort sym > $root/tmp/overflows-report.txt 2>&1
	grep -v '^$' $root/tmp/overflows-report.txt | head -n 12
	samples=$(sed -n 's/^# Samples: \([0-9]*\).*/\1/p' $root/tmp/overflows-report.txt | head -n 1)
	echo "guest-perf: overflows: samples=${samples:-0} pmu_interrupts=$((${after:-0} - ${before:-0}))"
	check "one sample per $period user instructions: $samples, want $expect" \
		test "${samples:-0}" = $expect
	;;
bench)
	[ "$icount" = 1 ] || { echo "guest-perf: bench needs -icount"; exit 1; }
	n=100000000
	events=$(stat_events)
	# Each way three times, the least count kept: what else the rig runs
	# meanwhile (the host's timers, QEMU's I/O threads) only adds to the
	# loop's ticks, by up to about 1% of a run (measured: two make bench
	# runs of one pass each differed by up to 1.1M ticks alone and one
	# point of stock's perf record overhead).
	plain='' stat='' record='' timed=0
	for pass in 1 2 3; do
		chroot $root /tmp/guest-workload $n > /tmp/plain.out 2>&1
		perf stat -x, -o /tmp/bench-stat.csv -e "$events" -- /tmp/guest-workload $n \
			> /tmp/stat.out 2>&1
		perf record -q -F 1000 -e cycles -o /tmp/bench.data -- /tmp/guest-workload $n \
			> /tmp/record.out 2>&1
		echo "guest-perf: pass $pass: $(workload_ticks /tmp/plain.out) alone," \
			"$(workload_ticks /tmp/stat.out) perf stat, $(workload_ticks /tmp/record.out) perf record"
		[ -n "$(workload_ticks /tmp/plain.out)" ] && [ -n "$(workload_ticks /tmp/stat.out)" ] &&
			[ -n "$(workload_ticks /tmp/record.out)" ] && timed=$((timed + 1))
		plain=$(least "$plain" "$(workload_ticks /tmp/plain.out)")
		stat=$(least "$stat" "$(workload_ticks /tmp/stat.out)")
		record=$(least "$record" "$(workload_ticks /tmp/record.out)")
	done
	cat $root/tmp/bench-stat.csv
	echo "guest-perf: loop of $n iterations: $plain ticks alone, $stat under perf stat -e $events, $record under perf record"
	check "three timings in each of the three passes ($timed passes)" test $timed = 3
	[ $fail = 0 ] || exit 1
	for run in stat record; do
		profiled=$stat
		[ $run = stat ] || profiled=$record
		printf 'BENCH {"mode": "%s", "op": "guest_perf_%s_overhead", "insn_per_op": %s, "workload_insn": %s, "profiled_insn": %s, "events": "%s"}\n' \
			"${bench_mode:-$pmu}" "$run" \
			"$(awk -v p="$profiled" -v a="$plain" 'BEGIN { printf "%.3f", (p - a) * 100 / a }')" \
			"$plain" "$profiled" "$([ $run = stat ] && echo "$events" || echo cycles)"
	done
	;;
*)
	echo "usage: guest-perf stat|record|saved|saved-live|saved-record|overflows|bench" >&2
	exit 2
	;;
esac
exit $fail
