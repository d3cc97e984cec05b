#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepares and cross-builds the rig's host kernel: extracts Debian's
# linux-source-6.12 into build/src/, applies shim-patch/series with
# patch -p1 (stopping at the first patch that does not apply, by name),
# configures allnoconfig + tests/rig/kernel.config, and builds Image and
# modules under build/kernel/ with ccache. Re-extracts only when the
# source package or a patch changed; records the source version in
# build/kernel-source-version.
#
# build-kernel.sh [--out DIR] [--fragment FILE]...
#   --out DIR        build into DIR instead of build/kernel (same source tree)
#   --fragment FILE  a further config fragment, applied after kernel.config
#                    (make check-debug: tests/rig/kernel-debug.config); every
#                    line of every fragment is checked in the final .config
# Without options it builds build/kernel from kernel.config alone.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/rig/series.sh"
build=$top/build
tarball=/usr/src/linux-source-6.12.tar.xz
src=$build/src/linux-source-6.12
out=$build/kernel
fragment=$top/tests/rig/kernel.config
fragments=("$fragment")
while [ $# -gt 0 ]; do
	case "$1" in
	--out) out=${2:?--out wants a directory}; shift 2 ;;
	--fragment)
		[ -r "${2:?--fragment wants a file}" ] ||
			{ echo "build-kernel: cannot read $2" >&2; exit 2; }
		fragments+=("$(cd "$(dirname "$2")" && pwd)/$(basename "$2")")
		shift 2 ;;
	*) echo "usage: $0 [--out DIR] [--fragment FILE]..." >&2; exit 2 ;;
	esac
done
case "$out" in /*) ;; *) out=$PWD/$out ;; esac
jobs=${JOBS:-$(nproc)}
make_args=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- O="$out")

export CCACHE_DIR=${CCACHE_DIR:-$HOME/.ccache}
export CCACHE_NOHASHDIR=1
export CCACHE_BASEDIR=$top
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
export KBUILD_BUILD_TIMESTAMP="2026-01-01"
export KBUILD_BUILD_USER=rig KBUILD_BUILD_HOST=rig
# The build number too (not .version's count of links): build-kernel-
# debs.sh's bindeb-pkg links the same kernel again, and the packaged
# kernel must be the one the rig boots, banner and BTF alike
# (module/add-module-btf.sh compares the banner).
export KBUILD_BUILD_VERSION=1

version=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) || {
	echo "build-kernel: linux-source-6.12 is not installed; run 'make setup' (as root)" >&2
	exit 1
}

# Everything the patched tree depends on, as one fingerprint.
fingerprint=$( {
	echo "$version"
	series_contents "$top/shim-patch"
} | sha256sum | cut -d' ' -f1)

if [ "$(cat "$build/src/.fingerprint" 2>/dev/null)" != "$fingerprint" ]; then
	echo "build-kernel: extracting linux-source-6.12 $version"
	rm -rf "$build/src"
	mkdir -p "$build/src"
	tar -C "$build/src" -xf "$tarball"
	series_apply "$top/shim-patch" "$src" "linux-source-6.12 $version" || exit 1
	echo "$fingerprint" > "$build/src/.fingerprint"
fi
echo "linux-source-6.12 $version + shim-patch ($(grep -c . "$top/shim-patch/series") patches)" \
	> "$build/kernel-source-version"

mkdir -p "$out"
# (With kernel.config alone, the fingerprint is that of kernel.config.)
config_fingerprint=$(cat "${fragments[@]}" "$build/src/.fingerprint" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$out/.config-fingerprint" 2>/dev/null)" != "$config_fingerprint" ]; then
	allconfig=$fragment
	if [ ${#fragments[@]} -gt 1 ]; then
		# KCONFIG_ALLCONFIG takes one file: the fragments in order.
		allconfig=$out/.config-fragments
		cat "${fragments[@]}" > "$allconfig"
	fi
	make -s -C "$src" "${make_args[@]}" KCONFIG_ALLCONFIG="$allconfig" allnoconfig
	missing=0
	for f in "${fragments[@]}"; do
		while read -r line; do
			case "$line" in ''|'#'*) continue ;; esac
			if ! grep -qx "$line" "$out/.config"; then
				echo "build-kernel: $line from $(basename "$f") did not survive Kconfig" >&2
				missing=1
			fi
		done < "$f"
	done
	[ "$missing" = 0 ] || exit 1
	echo "$config_fingerprint" > "$out/.config-fingerprint"
fi

make -s -C "$src" "${make_args[@]}" CC="ccache aarch64-linux-gnu-gcc" \
	-j"$jobs" Image modules
echo "build-kernel: $(cat "$build/kernel-source-version") -> $out/arch/arm64/boot/Image"
