#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rig-kvm-guest-perf MODE [GUEST-PLAN]   (inside the rig's Debian userland,
#                            /rig/bin/; tests/rig/rootfs/plans/*.plan)
#
# Owns: one guest run of the user path (issue 12): Debian's
# qemu-system-aarch64 -accel kvm -cpu host -M virt,gic-version=3 boots the
# rig kernel (/rig/guest/Image) with the guest initramfs
# (/rig/guest/initramfs.cpio.gz) running GUEST-PLAN (default guest-perf:
# perf stat and perf record in the guest, tests/rig/rootfs/guest/
# guest-perf.sh) and the Debian image as its read-only disk (the rig's
# second virtio disk, the one not mounted).
# MODE is what VMs get from the host as it is now: stock (no module),
# partitioned or fixed (kvm_pmu_partition loaded with that default_mode).
# Once the guest runs perf (its console says "guest-perf: perf ..."):
#   - pmuctl vm show -j lists QEMU's VM (its pid) with MODE (not stock);
#   - pmuctl cpu show: partitioned, no CPU is free: each is guest-owned
#     (the vCPU is loaded there, its OWNER shown) or reserved (the guest
#     counters claimed, no vCPU loaded there right then);
#   - host perf stat -a -e instructions,cycles starts and counts until QEMU
#     exits, on the host's counters (with a partition, the reserved ones):
#     both counted, 100% of the time unless stock (where the guest's
#     counters are host perf events, which share the host's counters with
#     it and multiplex). It starts after the VM's first run:
#     host events that hold the guest's counters when a VM is partitioned
#     make a default_mode VM run emulated (docs/partition.md, Limits).
# The guest gets rig.guestpmu=MODE, rig.guestcounters=G, the event counters
# it must see (this CPU's PMCR_EL0.N, from the host's PMU driver line, for
# stock; N - reserved_host_counters for partitioned; 0 for fixed), and
# $RIG_GUEST_APPEND on its command line.
# Prints the guest console and one "kvm-guest-perf: ..." line per check;
# exit 0 when the guest's plan passed and every check holds.
# rig-kvm-guest-perf --disk and --counters MODE print the guest's disk and
# G alone (for rig-vmm-save-restore). The guest gets $RIG_GUEST_TIMEOUT
# seconds (default 1500, below the plans' entry timeouts): QEMU is killed
# after that and its console still printed.
set -u

# The guest's disk: the virtio disk that is not the rig's root (/proc/mounts
# names the root /dev/root, so compare device numbers).
guest_disk() {
	local root d
	root=$(mountpoint -d /)
	for d in /sys/block/vd*; do
		[ "$(cat "$d/dev")" = "$root" ] || { echo "/dev/${d##*/}"; return 0; }
	done
	echo "rig-kvm-guest-perf: no second virtio disk for the guest (run-qemu.sh --guest-disk)" >&2
	return 1
}

# The event counters a guest of MODE must see.
guest_counters() {
	local total host module=/sys/module/kvm_pmu_partition
	total=$(dmesg | sed -n 's/.*hw perfevents: enabled with .* PMU driver, \([0-9]*\) .*counters available.*/\1/p' | head -n 1)
	host=$((${total:-1} - 1))
	case $1 in
	stock)
		[ ! -d $module ] || { echo "rig-kvm-guest-perf: stock wants no kvm_pmu_partition loaded" >&2; return 1; }
		echo "$host" ;;
	partitioned) echo $((host - $(cat $module/parameters/reserved_host_counters))) ;;
	fixed) echo 0 ;;
	*) echo "rig-kvm-guest-perf: unknown mode $1" >&2; return 2 ;;
	esac
}

case ${1:-} in
--disk) guest_disk; exit ;;
--counters) guest_counters "${2:?usage: rig-kvm-guest-perf --counters MODE}"; exit ;;
esac

mode=${1:?usage: rig-kvm-guest-perf stock|partitioned|fixed [GUEST-PLAN]}
plan=${2:-guest-perf}
fail=0
say() { echo "kvm-guest-perf: $*"; }
check() {	# check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then say "ok: $what"; else say "FAILED: $what"; fail=1; fi
}

disk=$(guest_disk) || exit 1
counters=$(guest_counters "$mode") || exit 1
if [ "$mode" != stock ]; then
	check "kvm_pmu_partition default_mode is $mode" \
		[ "$(cat /sys/module/kvm_pmu_partition/parameters/default_mode)" = "$mode" ]
fi
work=$(mktemp -d /tmp/kvm-guest-perf.XXXXXX)

set -- qemu-system-aarch64 -accel kvm -cpu host -M virt,gic-version=3 \
	-smp 1 -m 256 -display none -nodefaults -serial "file:$work/console.log" \
	-no-reboot \
	-drive "file=$disk,format=raw,if=none,id=debian,readonly=on" \
	-device virtio-blk-device,drive=debian \
	-kernel /rig/guest/Image -initrd /rig/guest/initramfs.cpio.gz \
	-append "console=ttyAMA0 panic=-1 rig.plan=$plan rig.guestpmu=$mode rig.guestcounters=$counters rig.icount=${RIG_ICOUNT:-0}${RIG_GUEST_APPEND:+ $RIG_GUEST_APPEND}"
say "$*"

start=$(cut -d' ' -f1 /proc/uptime)
: > "$work/console.log"
"$@" </dev/null >"$work/qemu.out" 2>&1 &
qemu=$!
# The watchdog takes its sleep with it when told to stop, so that nothing
# keeps the plan entry's output open after this script ends.
(
	trap 'kill $sleeper 2>/dev/null; exit 0' TERM
	sleep "${RIG_GUEST_TIMEOUT:-1500}" >/dev/null 2>&1 &
	sleeper=$!
	wait $sleeper
	kill $qemu 2>/dev/null && echo "kvm-guest-perf: the guest ran out of time; QEMU killed"
) &
watchdog=$!

# pmuctl and host perf, once the guest runs perf. The wait starts no
# process of its own (bash builtins only: the console read from an open
# descriptor, read -t on a FIFO that never has data as the sleep), so
# that nothing but the guest, pmuctl and perf runs on the host meanwhile.
# RIG_GUEST_QUIET=1 (make bench): no pmuctl, no host perf, no checks of
# them; only the wait.
running=0 host_perf='' partial=''
if [ "${RIG_GUEST_QUIET:-0}" != 1 ]; then
	mkfifo "$work/tick"
	exec 8<"$work/console.log" 9<>"$work/tick"
	while kill -0 $qemu 2>/dev/null; do
		while [ $running = 0 ]; do
			line=
			if ! IFS= read -r line <&8; then
				partial+=$line	# a line QEMU has not finished yet
				break
			fi
			line=$partial$line partial=
			case $line in
			*"guest-perf: perf"*)
				running=1
				if [ "$mode" != stock ]; then
					pmuctl vm show "$qemu"
					pmuctl -j vm show "$qemu" > "$work/vm.json"
					cat "$work/vm.json"
					pmuctl cpu show
					pmuctl -j cpu show > "$work/cpu.json"
				fi
				perf stat -a -x, -o "$work/host-perf.csv" -e instructions,cycles &
				host_perf=$!
				;;
			esac
		done
		read -r -t 0.2 -u 9 _ || true
	done
	exec 8<&- 9<&-
fi
wait $qemu
qemu_rc=$?
kill $watchdog 2>/dev/null
end=$(cut -d' ' -f1 /proc/uptime)
if [ -n "$host_perf" ]; then
	kill -INT $host_perf
	wait $host_perf
fi
tr -d '\r' < "$work/console.log" | sed 's/^/guest: /'
cat "$work/qemu.out"
say "QEMU exit $qemu_rc, wall $(awk "BEGIN { printf \"%.1f\", $end - $start }")s (host uptime clock)"
check "QEMU exited 0" [ $qemu_rc = 0 ]
check "the guest's plan $plan passed" grep -q '^RIG-DONE .* failed=0' "$work/console.log"

if [ "${RIG_GUEST_QUIET:-0}" = 1 ]; then
	tr -d '\r' < "$work/console.log" | grep -a '^# BENCH ' | sed 's/^# //'
	rm -rf "$work"
	exit $fail
fi
check "the guest ran perf" [ $running = 1 ]
cat "$work/host-perf.csv" 2>/dev/null
for e in instructions cycles; do
	line=$(awk -F, -v e="$e" '$3 == e' "$work/host-perf.csv")
	value=${line%%,*}
	running=$(echo "$line" | cut -d, -f5)
	[ "${RIG_ICOUNT:-0}" = 1 ] || [ $e != instructions ] || continue
	# Stock KVM backs the guest's counters with host perf events, so
	# host events multiplex with them: only counted is checked there.
	want=100.00
	[ "$mode" != stock ] || want=$running
	check "host $e counted alongside ($value, running $running%, want $want%)" \
		bash -c "[[ '$value' =~ ^[0-9]+$ ]] && [ '$value' -gt 0 ] && [ '$running' = '$want' ]"
done
if [ "$mode" != stock ]; then
	check "pmuctl vm show lists QEMU's VM (pid $qemu) in mode $mode" \
		grep -q "\"pid\":$qemu,\"mode\":\"$mode\"" "$work/vm.json"
fi
if [ "$mode" = partitioned ]; then
	check "pmuctl cpu show: while the guest ran perf, every CPU guest-owned or reserved, none free" \
		bash -c "grep -Eq '\"state\":\"(guest-owned|reserved)\"' '$work/cpu.json' &&
			 ! grep -Eq '\"state\":(\"free\"|null)' '$work/cpu.json'"
fi
rm -rf "$work"
exit $fail
