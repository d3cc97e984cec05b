#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-kernel-debs.sh KOUT OUTDIR
#
# Owns: the rig kernel's Debian packages, the way a distribution ships a
# kernel to DKMS users (issue 12): `make bindeb-pkg` on the already built
# kernel tree KOUT (build/kernel-rootfs), which makes linux-image-<release>
# and linux-headers-<release> for arm64. 6.12's headers package carries the
# external-module build tree in /usr/src/linux-headers-<release> with the
# /lib/modules/<release>/build link; its host programs (fixdep, modpost, ...)
# are rebuilt with the cross compiler (scripts/package/install-extmod-build),
# so they run on the arm64 rig. linux-libc-dev is made too and dropped;
# the kernel has DWARF (for its BTF), so bindeb-pkg would also make a
# linux-image-dbg package of it: the build profile nokerneldbg skips it.
# Outputs: OUTDIR/linux-image-*.deb and OUTDIR/linux-headers-*.deb (older
#   ones removed); the package version is <release>-1. Nothing is done when
#   both are newer than KOUT's Image, Module.symvers and .config.
# Needs: dpkg-dev and debhelper (dh_listpackages) on the build machine
#   (setup-host.sh installs them); no build-dependency check (-d): the
#   cross toolchain is this machine's, not a Debian build environment.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
kout=${1:?usage: $0 KOUT OUTDIR}
outdir=${2:?usage: $0 KOUT OUTDIR}
src=$top/build/src/linux-source-6.12
case "$kout" in /*) ;; *) kout=$PWD/$kout ;; esac
[ -r "$kout/.config" ] || { echo "build-kernel-debs: no kernel built in $kout" >&2; exit 1; }
for tool in dpkg-buildpackage dh_listpackages; do
	command -v "$tool" >/dev/null ||
		{ echo "build-kernel-debs: needs $tool (dpkg-dev, debhelper; make setup)" >&2; exit 1; }
done
release=$(cat "$kout/include/config/kernel.release")
# Up to date: both packages newer than the kernel build they come from.
image=$kout/arch/arm64/boot/Image
if [ -f "$outdir/linux-image-${release}_$release-1_arm64.deb" ] &&
	[ -f "$outdir/linux-headers-${release}_$release-1_arm64.deb" ] &&
	[ -z "$(find "$image" "$kout/Module.symvers" "$kout/.config" \
		-newer "$outdir/linux-image-${release}_$release-1_arm64.deb" 2>/dev/null)" ] &&
	[ -z "$(find "$image" "$kout/Module.symvers" "$kout/.config" \
		-newer "$outdir/linux-headers-${release}_$release-1_arm64.deb" 2>/dev/null)" ]; then
	echo "build-kernel-debs: $outdir is up to date with $kout"
	exit 0
fi
# bindeb-pkg writes its results next to KOUT, under these names.
parent=$(dirname "$kout")
results=("$parent"/linux-{image,headers}-"$release"_"$release"-1_arm64.deb
	 "$parent"/linux-libc-dev_"$release"-1_arm64.deb
	 "$parent"/linux-upstream_"$release"-1_arm64.{buildinfo,changes})
rm -f "${results[@]}"
# The same CC as build-kernel.sh, so that nothing is rebuilt, and the same
# build identity, so that the kernel bindeb-pkg links again is the one the
# rig boots (same banner, same BTF: pahole before 1.27 runs without -j
# when KBUILD_BUILD_TIMESTAMP is set, so its output is reproducible).
export KBUILD_BUILD_TIMESTAMP="2026-01-01"
export KBUILD_BUILD_USER=rig KBUILD_BUILD_HOST=rig KBUILD_BUILD_VERSION=1
make -s -C "$src" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- O="$kout" \
	CC="ccache aarch64-linux-gnu-gcc" -j"${JOBS:-$(nproc)}" \
	KDEB_PKGVERSION="$release-1" DPKG_FLAGS=-d \
	DEB_BUILD_PROFILES=pkg.linux-upstream.nokerneldbg bindeb-pkg > "$kout/bindeb-pkg.log" 2>&1 ||
	{ tail -n 30 "$kout/bindeb-pkg.log" >&2; echo "build-kernel-debs: make bindeb-pkg failed (log: $kout/bindeb-pkg.log)" >&2; exit 1; }
mkdir -p "$outdir"
rm -f "$outdir"/linux-image-*.deb "$outdir"/linux-headers-*.deb
mv "${results[0]}" "${results[1]}" "$outdir/"
rm -f "${results[@]:2}"
for deb in "$outdir"/*.deb; do
	echo "  DEB     $(basename "$deb")"
done
