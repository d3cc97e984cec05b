#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-user-path.sh [run-qemu.sh options...]
#
# (--plan demo: what `make demo` shows, tests/rig/rootfs/plans/demo.plan;
# a later run-qemu.sh option wins over the defaults here.)
#
# Owns: the user path on the rig (issue 12; docs/rig.md "Debian userland"):
# boots the rig's KVM host on the Debian userland (run-qemu.sh --rootfs)
# with --icount (instruction counts are exact only then) and runs
# tests/rig/rootfs/plans/user-path.plan there: the kernel's and the
# project's packages installed with dpkg/apt, DKMS building the module,
# modprobe, and Debian's QEMU running a Linux guest with perf in it, stock,
# partitioned (FGT and fgt=off) and fixed, and a save and restore of a
# partitioned guest through QEMU; pmu-overflow-trace (from the pmuctl
# package) on a guest with a known number of overflows
# (overflow-trace-check.sh).
# Inputs (make user-path builds them):
#   build/kernel-rootfs   the rig kernel for the Debian userland (Image)
#   build/kernel-debs/    its linux-image and linux-headers packages
#                         (tests/rig/build-kernel-debs.sh)
#   build/debs-out/       the project's packages (make deb)
#   build/rootfs.ext4     the Debian image (make rootfs): the rig's root disk
#                         (a copy) and, read-only, the guest's disk
#   build/qemu/qemu-system-aarch64  the rig's patched QEMU (make qemu)
#   build/tests/overflow_delivery   the kselftest whose wrap cases give the
#                         bpftrace checks known overflow counts
#                         (make kselftests)
#   $RIG_ROOTFS_KERNEL, $RIG_ROOTFS, $QEMU override the Image, the image
#   and the QEMU.
# Builds build/user-path/: guest-workload (static arm64) and the guest's
# initramfs (busybox, tests/rig/init, tests/rig/rootfs/guest-plans/, the
# workload and guest-perf). Console log: build/user-path/console.log.
# Exit status: run-qemu.sh's.
set -euo pipefail

top=$(cd "$(dirname "$0")/../../.." && pwd)
here=$top/tests/rig/rootfs
out=$top/build/user-path
kernel=${RIG_ROOTFS_KERNEL:-$top/build/kernel-rootfs/arch/arm64/boot/Image}
rootfs=${RIG_ROOTFS:-$top/build/rootfs.ext4}
kernel_debs=$top/build/kernel-debs
project_debs=$top/build/debs-out

# The rig's patched QEMU (docs/qemu.md), as make sets it, unless given.
export QEMU=${QEMU:-$top/build/qemu/qemu-system-aarch64}
for f in "$kernel" "$rootfs" "$QEMU" "$top/build/tests/overflow_delivery"; do
	[ -r "$f" ] || { echo "run-user-path: no $f (make user-path builds it)" >&2; exit 2; }
done
for d in "$kernel_debs"/linux-image-*.deb "$kernel_debs"/linux-headers-*.deb \
	 "$project_debs"/kvm-pmu-partition-dkms_*_all.deb "$project_debs"/pmuctl_*_arm64.deb; do
	[ -r "$d" ] || { echo "run-user-path: no $d (make user-path builds it)" >&2; exit 2; }
done

mkdir -p "$out/debs"
rm -f "$out"/debs/*.deb
cp "$kernel_debs"/linux-image-*.deb "$kernel_debs"/linux-headers-*.deb \
   "$project_debs"/kvm-pmu-partition-dkms_*_all.deb "$project_debs"/pmuctl_*_arm64.deb \
   "$out/debs/"
aarch64-linux-gnu-gcc -O2 -static -Wall -Wextra -o "$out/guest-workload" \
	"$here/guest/guest-workload.c"
"$top/tests/rig/build-initramfs.sh" "$out/guest-initramfs.cpio.gz" \
	--plans "$here/guest-plans" \
	--add "$out/guest-workload:/rig/bin/guest-workload" \
	--add "$here/guest/guest-perf.sh:/rig/bin/guest-perf"

exec "$top/tests/rig/run-qemu.sh" --kernel "$kernel" --rootfs "$rootfs" \
	--guest-disk "$rootfs" \
	--plans "$here/plans" --plan user-path \
	--add "$here/kvm-guest-perf.sh:/rig/bin/rig-kvm-guest-perf" \
	--add "$here/vmm-save-restore.sh:/rig/bin/rig-vmm-save-restore" \
	--add "$here/dkms-checks.sh:/rig/bin/rig-dkms-check" \
	--add "$here/demo-bpftrace.sh:/rig/bin/rig-demo-bpftrace" \
	--add "$here/overflow-trace-check.sh:/rig/bin/rig-overflow-trace-check" \
	--add "$here/bpftrace-checks.sh:/rig/bin/rig-bpftrace-check" \
	--add "$top/build/tests/overflow_delivery:/rig/bin/overflow_delivery" \
	--add "$out/debs:/rig/debs" \
	--add "$kernel:/rig/guest/Image" \
	--add "$out/guest-initramfs.cpio.gz:/rig/guest/initramfs.cpio.gz" \
	--smp 2 --memory 2048 --icount --timeout 7200 \
	--log "$out/console.log" "$@"
