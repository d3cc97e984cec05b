#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rig-bpftrace-check [--examples DIR]   (inside the rig's Debian userland,
#                                        /rig/bin/; user-path.plan)
#
# Owns: the check of the bpftrace scripts (tools/bpftrace/, installed by
# the pmuctl package in /usr/share/kvm-pmu-partition/bpftrace) on real
# overflows: all four run at once, with Debian's bpftrace, while
# overflow_delivery's wrap cases run (module loaded default_mode=
# partitioned, FGT: the rig's -cpu max host). Each wrap case is a fresh VM
# whose guest takes exactly 8 overflows of one counter, one interrupt each
# (overflow_delivery checks the guest side and prints one TAP line per
# case). Checked per VM that the scripts saw:
#   pmu_overflow_count.bt    8 overflows, 8 injections, 8 acknowledgements
#                            (the guest's own count, which overflow_delivery
#                            checks), none uninjected, @lost 0 (none
#                            coalesced), @duplicate 0, @in_flight 0, and as
#                            many VMs as cases passed;
#   pmu_overflow_latency.bt  @inject_to_ack_ns holds 8 samples, none at
#                            0 ns; @irq_to_inject_ns (overflows injected
#                            after the host took them) and @found_at_exit
#                            (those the exit that found them injected at
#                            once: all of them on this rig, where QEMU
#                            raises the flag before its interrupt reaches
#                            the host) add up to 8, the histogram with none
#                            at 0 ns (the anomalies mode of
#                            rig-overflow-trace-check fills it);
#   pmu_swaps.bt             as many swaps in as out, at least one;
#   pmu_traps.bt             at least 16 fast-path pmovs accesses (each
#                            interrupt reads PMOVSSET and writes PMOVSCLR,
#                            both trapped, FGT or not).
# --examples DIR copies each script's output to DIR/NAME_example.txt.
# Exit 0 when all hold.
set -u
scripts=/usr/share/kvm-pmu-partition/bpftrace
examples=
[ "${1:-}" = --examples ] && examples=${2:?--examples wants a directory}
names="pmu_overflow_count pmu_overflow_latency pmu_swaps pmu_traps"
out=/tmp/bpftrace-check
rm -rf "$out"
mkdir -p "$out"
fail=0
check() {	# check DESCRIPTION COMMAND...
	if "${@:2}"; then
		echo "bpftrace-check: ok: $1"
	else
		echo "bpftrace-check: FAILED: $1"
		fail=1
	fi
}

declare -A tracer
for name in $names; do
	bpftrace "$scripts/$name.bt" > "$out/$name.txt" 2>&1 &
	tracer[$name]=$!
done
waited=0
for name in $names; do
	# Each script's BEGIN prints a line ending "Hit Ctrl-C to end.":
	# bpftrace runs BEGIN once every probe is attached ("Attaching N
	# probes..." comes before, and attaching takes a while here).
	until grep -q 'Hit Ctrl-C to end\.$' "$out/$name.txt"; do
		waited=$((waited + 1))
		if [ $waited -gt 1200 ] || ! kill -0 "${tracer[$name]}" 2>/dev/null; then
			cat "$out/$name.txt"
			echo "bpftrace-check: $name.bt did not attach (or has no BEGIN line)"
			kill "${tracer[@]}" 2>/dev/null
			exit 1
		fi
		sleep 0.5
	done
done
echo "bpftrace-check: all four attached; running overflow_delivery fgt wraps"
# By its full path: the KVM selftest library loads the guest code from
# the program's own ELF file, found by the name it was run with.
/rig/bin/overflow_delivery fgt wraps > "$out/workload.tap" 2>&1
status=$?
cat "$out/workload.tap"
cases=$(grep '^ok [0-9]* .*_wraps_' "$out/workload.tap" | grep -vc '# SKIP')
check "overflow_delivery's wrap cases passed ($cases, exit $status)" \
	[ "$status" = 0 -a "$cases" -gt 0 ]
sleep 2		# one more interval line of the per-second scripts
for name in $names; do
	kill -INT "${tracer[$name]}"
done
wait
for name in $names; do
	echo "--- $name.bt"
	cat "$out/$name.txt"
	[ -n "$examples" ] && cp "$out/$name.txt" "$examples/${name}_example.txt"
done

# value FILE MAP KEY: the value of @MAP[KEY] in bpftrace's END output.
value() {
	sed -n "s/^@$2\[$3\]: \([0-9]*\)\$/\1/p" "$1" | tail -n 1
}
count=$out/pmu_overflow_count.txt
vms=$(sed -n 's/^@overflows\[\([0-9]*\), \([0-9]*\), 0\]: [0-9]*$/\1, \2/p' "$count" | sort -u)
check "pmu_overflow_count.bt saw $(echo "$vms" | grep -c .) VMs, one per wrap case ($cases)" \
	[ "$(echo "$vms" | grep -c .)" = "$cases" -a "$cases" -gt 0 ]
while read -r vm; do
	[ -n "$vm" ] || continue
	overflows=$(value "$count" overflows "$vm, 0")
	injections=$(value "$count" injections "$vm, 0")
	acknowledged=$(value "$count" acknowledged "$vm, 0")
	uninjected=$(value "$count" uninjected "$vm, 0")
	uninjected=${uninjected:-0}
	check "VM [$vm]: 8 overflows ($overflows), 8 injections ($injections), 8 acknowledged ($acknowledged), none without injection ($uninjected)" \
		[ "$overflows" = 8 -a "$injections" = 8 -a "$acknowledged" = 8 -a \
		  "$uninjected" = 0 ]
	latency=$out/pmu_overflow_latency.txt
	at_exit=$(value "$latency" found_at_exit "$vm")
	at_exit=${at_exit:-0}
	for hist in irq_to_inject_ns inject_to_ack_ns; do
		# Bucket lines: "[LOW, HIGH)   COUNT |@@@   |"; "[0]" is 0 ns.
		read -r samples zero < <(awk -v head="@${hist}[$vm]:" '
			index($0, head) == 1 { on = 1; next }
			on && /^[[(]/ {
				line = $0; sub(/\|.*/, "", line)
				k = split(line, f, " "); n += f[k]
				if (line ~ /^\[0\]/) z = 1
				next
			}
			on { on = 0 }
			END { print n + 0, z + 0 }' "$latency")
		want=8
		[ $hist = irq_to_inject_ns ] && want=$((8 - at_exit))
		# On this rig the exit the interrupt causes finds every one.
		[ $hist = irq_to_inject_ns ] && check "VM [$vm]: @found_at_exit is 8 ($at_exit)" [ "$at_exit" = 8 ]
		check "VM [$vm]: @$hist holds $want samples ($samples; $at_exit found at an exit), none at 0 ns" \
			[ "$samples" = "$want" -a "$zero" = 0 ]
	done
	swaps=$out/pmu_swaps.txt
	in=$(sed -n "s/^@total\[$vm, in, [^]]*\]: \([0-9]*\)\$/\1/p" "$swaps" |
	     awk '{ n += $1 } END { print n + 0 }')
	swapped_out=$(sed -n "s/^@total\[$vm, out, [^]]*\]: \([0-9]*\)\$/\1/p" "$swaps" |
		      awk '{ n += $1 } END { print n + 0 }')
	check "VM [$vm]: swapped in $in times, out $swapped_out times" \
		[ "$in" -gt 0 -a "$in" = "$swapped_out" ]
	pmovs=$(value "$out/pmu_traps.txt" traps "$vm, pmovs, fast")
	check "VM [$vm]: at least 16 fast-path pmovs accesses (${pmovs:-none})" \
		[ "${pmovs:-0}" -ge 16 ]
done <<< "$vms"
for map in lost duplicate in_flight; do
	got=$(sed -n "s/^@$map: \([0-9]*\)\$/\1/p" "$count")
	check "pmu_overflow_count.bt: @$map is 0 (${got:-absent})" [ "$got" = 0 ]
done
exit $fail
