#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# rig-kvm-guest-boot IMAGE INITRD [PLAN]  (inside the rig's Debian userland,
# /rig/bin/ via run-qemu.sh --rootfs --add; tests/rig/rootfs/run-smoke.sh)
#
# Boots a Linux guest with Debian's qemu-system-aarch64 on the rig kernel's
# KVM: -accel kvm -cpu host -M virt,gic-version=3 -m 256, the rig's
# initramfs (/init = tests/rig/init) running rig.plan=PLAN (default
# guest-smoke), and checks the guest's console: its plan passed (its own
# "RIG-DONE ... failed=0"; it reaches us as a "# " line of the host's plan)
# and its kernel found a PMU ("hw perfevents").  Prints the guest console and
# the wall time of the boot; exit 0 when both hold.
set -u
img=${1:?usage: rig-kvm-guest-boot IMAGE INITRD [PLAN]}
initrd=${2:?usage: rig-kvm-guest-boot IMAGE INITRD [PLAN]}
plan=${3:-guest-smoke}
log=/tmp/kvm-guest.$$.log
QEMU=${QEMU:-qemu-system-aarch64}

set -- "$QEMU" -accel kvm -cpu host -M virt,gic-version=3 -smp 1 -m 256 \
	-nographic -nic none -no-reboot \
	-kernel "$img" -initrd "$initrd" \
	-append "console=ttyAMA0 panic=-1 rig.plan=$plan"
echo "kvm-guest: $*"
start=$(cut -d' ' -f1 /proc/uptime)
{
	"$@" </dev/null 2>&1
	echo "kvm-guest: qemu exit $?"
} | tr -d '\r' | tee "$log"
end=$(cut -d' ' -f1 /proc/uptime)
echo "kvm-guest: wall $(awk "BEGIN { printf \"%.1f\", $end - $start }")s (host uptime clock)"

rc=0
if grep -q '^RIG-DONE .* failed=0' "$log"; then
	echo "kvm-guest: guest plan $plan passed: $(grep '^RIG-DONE' "$log")"
else
	echo "kvm-guest: guest plan $plan did not pass: $(grep '^RIG-DONE' "$log" || echo 'no RIG-DONE')"
	rc=1
fi
if grep -q 'hw perfevents: enabled' "$log"; then
	echo "kvm-guest: guest PMU: $(grep -m1 'hw perfevents' "$log")"
else
	echo "kvm-guest: no 'hw perfevents: enabled' line in the guest's log"
	rc=1
fi
grep -q '^kvm-guest: qemu exit 0$' "$log" || { echo "kvm-guest: QEMU did not exit 0"; rc=1; }
exit $rc
