#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds the rig's QEMU: qemu-system-aarch64 10.0.2 from Debian's source
# tarball (qemu_10.0.2+ds.orig.tar.xz, fetched with `apt-get source` from
# the deb-src entry setup-host.sh derives) with tests/rig/qemu-patches/series
# applied. Writes build/qemu/qemu-system-aarch64 and build/qemu/VERSION (the
# version and patch set, printed by `make check`).
#
# The binary is cached under $RIG_QEMU_CACHE (default
# ~/.cache/kvm-pmu-partition/qemu/<fingerprint>/), keyed by the tarball,
# the patches and the configure options, so only a change to one of those
# rebuilds it, also from a fresh clone. meson uses ccache when present.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/rig/series.sh"
build=$top/build
patches=$top/tests/rig/qemu-patches
debs=${RIG_CACHE:-$build/debs}
cache_root=${RIG_QEMU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kvm-pmu-partition/qemu}
upstream=10.0.2
tarball=$debs/qemu_${upstream}+ds.orig.tar.xz
out=$build/qemu

# Only what the rig uses: TCG, aarch64 system emulation, the virt board.
configure_args=(--target-list=aarch64-softmmu --python=/usr/bin/python3
		--without-default-features --enable-fdt=system --enable-tcg
		--disable-download --disable-install-blobs --disable-docs
		--disable-tools --disable-werror)

if [ ! -f "$tarball" ]; then
	mkdir -p "$debs"
	# The backports .dsc may be gone from the archive while the orig
	# tarball is still served; the tarball alone is enough.
	(cd "$debs" && apt-get source --download-only -t bookworm-backports qemu) \
		> "$debs/qemu-source.log" 2>&1 || true
	if [ ! -f "$tarball" ]; then
		echo "build-qemu: could not fetch $(basename "$tarball") with apt-get source:" >&2
		cat "$debs/qemu-source.log" >&2
		exit 1
	fi
fi

fingerprint=$( {
	sha256sum < "$tarball"
	echo "${configure_args[*]}"
	series_contents "$patches"
} | sha256sum | cut -c1-16)
cached=$cache_root/$fingerprint

if [ ! -x "$cached/qemu-system-aarch64" ]; then
	work=$build/qemu-work
	rm -rf "$work"
	mkdir -p "$work"
	echo "build-qemu: extracting $(basename "$tarball")"
	tar -C "$work" -xf "$tarball"
	src=$(echo "$work"/qemu-*)
	series_apply "$patches" "$src" "QEMU $upstream" || exit 1
	# The +ds tarball carries no edk2 firmware blobs to unpack.
	sed -i 's/unpack_edk2_blobs = bzip2.found()/unpack_edk2_blobs = false/' \
		"$src/meson.build"

	mkdir -p "$src/build"
	(cd "$src/build" && ../configure "${configure_args[@]}") > "$work/configure.log" 2>&1 || {
		echo "build-qemu: configure failed:" >&2
		tail -n 30 "$work/configure.log" >&2
		exit 1
	}
	echo "build-qemu: building qemu-system-aarch64 (about 10 minutes on 2 cores)"
	ninja -C "$src/build" -j"${JOBS:-$(nproc)}" qemu-system-aarch64 > "$work/ninja.log" 2>&1 || {
		echo "build-qemu: build failed:" >&2
		tail -n 30 "$work/ninja.log" >&2
		exit 1
	}

	mkdir -p "$cached.tmp"
	cp "$src/build/qemu-system-aarch64" "$cached.tmp/"
	{
		echo "QEMU $upstream (Debian $(basename "$tarball")) + tests/rig/qemu-patches:"
		sed 's/^/  /' "$patches/series"
	} > "$cached.tmp/VERSION"
	rm -rf "$cached"
	mv "$cached.tmp" "$cached"
	rm -rf "$work"
fi

mkdir -p "$out"
# Copy, then rename over: a rig still running the old binary keeps it
# (writing into a running executable fails with ETXTBSY).
for f in qemu-system-aarch64 VERSION; do
	cmp -s "$cached/$f" "$out/$f" && continue
	cp "$cached/$f" "$out/.$f.new"
	mv -f "$out/.$f.new" "$out/$f"
done
echo "build-qemu: $(head -n1 "$out/VERSION") -> $out/qemu-system-aarch64"
