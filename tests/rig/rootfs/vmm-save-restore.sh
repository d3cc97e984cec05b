#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rig-vmm-save-restore MODE   (inside the rig's Debian userland, /rig/bin/;
#                              tests/rig/rootfs/plans/user-path.plan)
#
# Owns: saving and restoring a running guest through the VMM (issue 12,
# docs/partition.md "Saving and restoring a vCPU"). QEMU A boots the guest
# as rig-kvm-guest-perf does, with plan guest-saved, whose three entries
# each run two passes of guest-workload with an 8 s pause between them:
# perf stat -e cycles,instructions, the same with -a (system-wide: the
# counters stay live in the PMU through the save), then perf record -e
# instructions:u with a fixed period. In each pause the running QEMU is
# stopped, migrated to a file (HMP "migrate exec:cat > FILE": the state
# QEMU reads with KVM_GET_ONE_REG) and quits, and a new one starts with
# -incoming from that file (KVM_SET_ONE_REG before its first KVM_RUN) and
# is told to continue (HMP cont): A to B in perf stat's pause, B to C in
# perf stat -a's, C to D in perf record's. The guest checks that the
# counts went on from where they were and that the sampling interrupts
# went on (guest-perf.sh saved, saved-live, saved-record); here: each save
# completed, each QEMU exited 0, pmuctl shows each restored VM in MODE,
# and the guest's plan passed in D. For the module's modes: stock 6.12
# stops live counters at a restore (guest-perf.sh saved-live).
# The monitor is HMP on a pair of named pipes (-chardev pipe), so no socket
# tool is needed.
set -u
mode=${1:?usage: rig-vmm-save-restore partitioned|fixed|stock}
work=$(mktemp -d /tmp/vmm-save-restore.XXXXXX)
fail=0
say() { echo "vmm-save-restore: $*"; }
check() {
	local what=$1
	shift
	if "$@"; then say "ok: $what"; else say "FAILED: $what"; fail=1; fi
}

disk=$(rig-kvm-guest-perf --disk) || exit 1
counters=$(rig-kvm-guest-perf --counters "$mode") || exit 1

# qemu_start NAME EXTRA...: QEMU in the background (its pid in $qemu),
# console in NAME.log, HMP monitor on NAME.mon.in / NAME.mon.out.
qemu_start() {
	local name=$1
	shift
	mkfifo "$work/$name.mon.in" "$work/$name.mon.out"
	# Held open read-write here, so a command never blocks, even when
	# QEMU has gone (a FIFO write waits for a reader otherwise).
	exec {monitor_fd}<>"$work/$name.mon.in"
	monitor_fds[$name]=$monitor_fd
	qemu-system-aarch64 -accel kvm -cpu host -M virt,gic-version=3 \
		-smp 1 -m 256 -display none -nodefaults -no-reboot \
		-serial "file:$work/$name.log" \
		-chardev "pipe,id=monitor,path=$work/$name.mon" -mon chardev=monitor,mode=readline \
		-drive "file=$disk,format=raw,if=none,id=debian,readonly=on" \
		-device virtio-blk-device,drive=debian \
		-kernel /rig/guest/Image -initrd /rig/guest/initramfs.cpio.gz \
		-append "console=ttyAMA0 panic=-1 rig.plan=guest-saved rig.guestpmu=$mode rig.guestcounters=$counters rig.icount=${RIG_ICOUNT:-0}" \
		"$@" </dev/null >"$work/$name.out" 2>&1 &
	qemu=$!
}
declare -A monitor_fds
# hmp NAME COMMAND: one monitor command; the monitor's output is drained
# into NAME.monitor by a reader started after the QEMU.
hmp() {
	echo "$2" >&"${monitor_fds[$1]}"
}
wait_for() {	# wait_for FILE PATTERN SECONDS PID: while PID lives
	local i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le $(($3 * 5)) ] && kill -0 "$4" 2>/dev/null || return 1
		sleep 0.2
	done
}

# save NAME STATE: in the guest's pause, stop NAME, migrate it to STATE
# through the monitor and have it quit.
save() {
	local name=$1 state=$2 pid=${pids[$1]} i rc
	hmp "$name" stop
	[ "$mode" = stock ] || pmuctl vm show "$pid"
	hmp "$name" "migrate \"exec:cat > $state\""
	for i in $(seq 300); do
		hmp "$name" "info migrate"
		grep -q 'Migration status: \(completed\|failed\)' "$work/$name.monitor" && break
		sleep 0.5
	done
	hmp "$name" quit
	for i in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	kill "$pid" 2>/dev/null && say "FAILED: QEMU $name did not quit; killed"
	wait "$pid"
	rc=$?
	tr -d '\r' < "$work/$name.log" | sed "s/^/guest $name: /"
	cat "$work/$name.out"
	grep 'Migration status' "$work/$name.monitor" | tail -n 1
	check "QEMU $name saved the VM (migration completed)" \
		grep -q 'Migration status: completed' "$work/$name.monitor"
	check "QEMU $name exited 0" [ $rc = 0 ]
	say "state file: $(stat -c %s "$state" 2>/dev/null) bytes"
}

# restore NAME STATE: a new QEMU NAME from STATE, told to continue (the
# saved VM was stopped, so it stays paused once the state is in, as after
# libvirt's restore); pmuctl shows its VM once its first KVM_RUN settled
# the mode, while the guest still has its pause to sleep.
restore() {
	local name=$1 state=$2 i json=
	qemu_start "$name" -incoming "exec:cat $state"
	pids[$name]=$qemu
	cat "$work/$name.mon.out" > "$work/$name.monitor" 2>/dev/null &
	say "QEMU $name (pid $qemu) restores it"
	for i in $(seq 600); do
		tr -d '\r' < "$work/$name.monitor" | grep -q '^VM status: paused$' && break
		hmp "$name" "info status"
		sleep 0.5
	done
	tr -d '\r' < "$work/$name.monitor" | grep -q '^VM status: paused$' ||
		{ say "FAILED: QEMU $name never reached 'paused'"; fail=1; }
	hmp "$name" cont
	[ "$mode" != stock ] || return 0
	for i in $(seq 100); do
		json=$(pmuctl -j vm show "$qemu")
		grep -q '"mode":"[a-z]' <<< "$json" && break
		sleep 0.05
	done
	pmuctl vm show "$qemu"
	check "pmuctl: $name's VM (pid $qemu) is $mode" \
		grep -q "\"pid\":$qemu,\"mode\":\"$mode\"" <<< "$json"
}

declare -A pids
# Nothing of ours outlives the script: the plan runner waits for its
# output to close.
trap 'kill $(jobs -p) 2>/dev/null' EXIT
qemu_start a
pids[a]=$qemu
cat "$work/a.mon.out" > "$work/a.monitor" 2>/dev/null &
say "QEMU A (pid $qemu) boots the guest"
# Three pauses: perf stat's (A to B), perf stat -a's (B to C), perf
# record's (C to D).
current=a
for next in b c d; do
	if ! wait_for "$work/$current.log" 'guest-workload: pass done' 600 "${pids[$current]}"; then
		say "FAILED: the guest never reached its pause in QEMU $current"
		tr -d '\r' < "$work/$current.log" | sed "s/^/guest $current: /"
		cat "$work/$current.out"
		rm -rf "$work"
		exit 1
	fi
	save $current "$work/$current.state"
	restore $next "$work/$current.state"
	current=$next
done

last=${pids[$current]}
i=0
while kill -0 "$last" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 3000 ]; then
		say "FAILED: QEMU $current still runs after 600 s; its monitor says:"
		hmp $current "info status"
		sleep 1
		cat "$work/$current.monitor"
		kill "$last"
		fail=1
		break
	fi
	sleep 0.2
done
wait "$last"
rc=$?
tr -d '\r' < "$work/$current.log" | sed "s/^/guest $current: /"
cat "$work/$current.out"
check "QEMU $current exited 0" [ $rc = 0 ]
check "the guest's plan passed after the restores" grep -q '^RIG-DONE .* failed=0' "$work/$current.log"
rm -rf "$work"
exit $fail
