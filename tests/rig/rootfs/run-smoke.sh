#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-smoke.sh [run-qemu.sh options...]
#
# Boots the rig's KVM host on the Debian userland (run-qemu.sh --rootfs,
# docs/rig.md "Debian userland") and runs tests/rig/rootfs/plans/
# rootfs-smoke.plan there: uname, host perf stat, bpftrace and QEMU
# versions, and Debian's qemu-system-aarch64 -accel kvm booting the rig's
# own Image as an L2 guest with a small initramfs whose plan is
# tests/rig/rootfs/guest-plans/guest-smoke.plan.
# Inputs: build/kernel-rootfs (tests/rig/build-kernel.sh --out
#   build/kernel-rootfs --fragment tests/rig/kernel-rootfs.config),
#   build/rootfs.ext4 (make rootfs; never written: run-qemu.sh boots a copy).
#   $RIG_ROOTFS_KERNEL and $RIG_ROOTFS override them; $QEMU as for run-qemu.sh.
# Builds build/rootfs-guest-initramfs.cpio.gz (busybox + tests/rig/init +
# the guest plan); console log in build/rootfs-smoke/console.log.
# Exit status: run-qemu.sh's.
set -euo pipefail

top=$(cd "$(dirname "$0")/../../.." && pwd)
here=$top/tests/rig/rootfs
kernel=${RIG_ROOTFS_KERNEL:-$top/build/kernel-rootfs/arch/arm64/boot/Image}
rootfs=${RIG_ROOTFS:-$top/build/rootfs.ext4}
guest_initrd=$top/build/rootfs-guest-initramfs.cpio.gz

for f in "$kernel" "$rootfs"; do
	[ -r "$f" ] || { echo "run-smoke: no $f (see the header of $0)" >&2; exit 2; }
done
"$top/tests/rig/build-initramfs.sh" "$guest_initrd" --plans "$here/guest-plans"

exec "$top/tests/rig/run-qemu.sh" --kernel "$kernel" --rootfs "$rootfs" \
	--plans "$here/plans" --plan rootfs-smoke \
	--add "$here/kvm-guest-boot.sh:/rig/bin/rig-kvm-guest-boot" \
	--add "$kernel:/rig/guest/Image" \
	--add "$guest_initrd:/rig/guest/initramfs.cpio.gz" \
	--smp 2 --memory 2048 --timeout 3600 \
	--log "$top/build/rootfs-smoke/console.log" "$@"
