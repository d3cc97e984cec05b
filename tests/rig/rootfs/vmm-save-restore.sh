#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rig-vmm-save-restore MODE   (inside the rig's Debian userland, /rig/bin/;
#                              tests/rig/rootfs/plans/user-path.plan)
#
# Owns: saving and restoring a running guest through the VMM (issue 12,
# docs/partition.md "Saving and restoring a vCPU"). QEMU A boots the guest
# as rig-kvm-guest-perf does, with plan guest-saved: perf stat -e
# cycles,instructions over two passes of guest-workload with an 8 s pause
# between them. When the guest's console says the first pass is done, A is
# stopped and migrated to a file (HMP "migrate exec:cat > FILE", the state
# QEMU reads back with KVM_GET_ONE_REG), and quits; QEMU B starts with
# -incoming from that file (KVM_SET_ONE_REG before its first KVM_RUN), is
# told to continue (HMP cont: A was stopped when saved) and the guest goes
# on in B. The guest checks that perf's counts went on from
# where they were (guest-perf.sh saved); here: B's VM is in MODE too
# (pmuctl), both QEMUs exit 0, the guest's plan passed in B.
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
wait_for() {	# wait_for FILE PATTERN SECONDS
	local i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le $(($3 * 5)) ] || return 1
		sleep 0.2
	done
}

qemu_start a
a=$qemu
cat "$work/a.mon.out" > "$work/a.monitor" &
say "QEMU A (pid $a) boots the guest"
if ! wait_for "$work/a.log" 'guest-workload: pass done' 600; then
	say "FAILED: the guest never finished its first pass"
	tr -d '\r' < "$work/a.log" | sed 's/^/guest A: /'
	kill $a
	exit 1
fi
hmp a stop
[ "$mode" = stock ] || pmuctl vm show $a
hmp a "migrate \"exec:cat > $work/vm.state\""
i=0
until hmp a "info migrate"; grep -q 'Migration status: \(completed\|failed\)' "$work/a.monitor"; do
	i=$((i + 1))
	[ $i -le 300 ] || break
	sleep 0.5
done
hmp a quit
for i in $(seq 300); do
	kill -0 $a 2>/dev/null || break
	sleep 0.2
done
kill $a 2>/dev/null && say "FAILED: QEMU A did not quit; killed"
wait $a
a_rc=$?
tr -d '\r' < "$work/a.log" | sed 's/^/guest A: /'
cat "$work/a.out"
grep 'Migration status' "$work/a.monitor" | tail -n 1
check "QEMU A saved the VM (migration completed)" grep -q 'Migration status: completed' "$work/a.monitor"
check "QEMU A exited 0" [ $a_rc = 0 ]
say "state file: $(stat -c %s "$work/vm.state" 2>/dev/null) bytes"

qemu_start b -incoming "exec:cat $work/vm.state"
b=$qemu
cat "$work/b.mon.out" > "$work/b.monitor" &
say "QEMU B (pid $b) restores it"
# A was stopped when it was saved, so B stays paused once the state is in
# (as libvirt's restore, B is then told to continue).
i=0
until tr -d '\r' < "$work/b.monitor" | grep -q '^VM status: paused$'; do
	i=$((i + 1))
	[ $i -le 600 ] || { say "FAILED: QEMU B never reached 'paused'"; fail=1; break; }
	hmp b "info status"
	sleep 0.5
done
hmp b cont
# B's mode is settled at its first KVM_RUN, right after cont: ask pmuctl
# until it shows one, while the guest still has its pause to sleep.
vm_json=
if [ "$mode" != stock ]; then
	for i in $(seq 50); do
		vm_json=$(pmuctl -j vm show $b)
		grep -q '"mode":"[a-z]' <<< "$vm_json" && break
	done
	pmuctl vm show $b
fi
i=0
while kill -0 $b 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 3000 ]; then
		say "FAILED: QEMU B still runs after 600 s; its monitor says:"
		hmp b "info status"
		sleep 1
		cat "$work/b.monitor"
		kill $b
		fail=1
		break
	fi
	sleep 0.2
done
wait $b
b_rc=$?
tr -d '\r' < "$work/b.log" | sed 's/^/guest B: /'
cat "$work/b.out"
check "QEMU B exited 0" [ $b_rc = 0 ]
check "the guest's plan passed after the restore" grep -q '^RIG-DONE .* failed=0' "$work/b.log"
if [ "$mode" != stock ]; then
	check "pmuctl: B's VM (pid $b) is $mode" \
		grep -q "\"pid\":$b,\"mode\":\"$mode\"" <<< "$vm_json"
fi
rm -rf "$work"
exit $fail
