#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-initramfs.sh OUT.cpio.gz [--add SRC:DEST]... [--plans DIR]...
#
# Owns: the rig's arm64 initramfs (gzip'd newc cpio, every file root:root).
# Contents:
#   /bin/busybox + one symlink per applet (busybox-static:arm64, fetched with
#     `apt-get download` into $RIG_CACHE, default $PWD/build/debs, reused)
#   /init                 tests/rig/init (the plan runner)
#   /lib/ld-linux-aarch64.so.1, libc.so.6, libm.so.6 and every further
#     DT_NEEDED library of the ELF files added (from /usr/aarch64-linux-gnu/lib)
#   /rig/plans/*.plan     from every --plans DIR (default: tests/rig/plans)
#   /rig/tests /rig/modules /rig/bin (empty unless --add fills them)
#   /dev/console          character node 5:1 (written without mknod/fakeroot)
# --add SRC:DEST   SRC a file: copied to DEST (DEST ending in "/" means a
#                  directory to copy it into); SRC a directory: its contents
#                  copied into the directory DEST.  Symlinks are followed.
# Determinism: sorted file list, fixed mtimes (SOURCE_DATE_EPOCH, default 0),
# cpio --reproducible, gzip -n.
set -euo pipefail

usage() {
	echo "usage: $0 OUT.cpio.gz [--add SRC:DEST]... [--plans DIR]..." >&2
	exit 2
}

here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || usage
out=$1
shift
adds=()
plans=()
while [ $# -gt 0 ]; do
	case "$1" in
	--add) [ $# -ge 2 ] || usage; adds+=("$2"); shift 2 ;;
	--add=*) adds+=("${1#--add=}"); shift ;;
	--plans) [ $# -ge 2 ] || usage; plans+=("$2"); shift 2 ;;
	--plans=*) plans+=("${1#--plans=}"); shift ;;
	*) usage ;;
	esac
done
[ ${#plans[@]} -gt 0 ] || plans=("$here/plans")

CROSS_COMPILE=${CROSS_COMPILE:-aarch64-linux-gnu-}
READELF=${CROSS_COMPILE}readelf
SYSROOT_LIB=${RIG_SYSROOT_LIB:-/usr/aarch64-linux-gnu/lib}
cache=${RIG_CACHE:-$PWD/build/debs}
epoch=${SOURCE_DATE_EPOCH:-0}

for tool in cpio gzip dpkg-deb apt-get "$READELF"; do
	command -v "$tool" >/dev/null || { echo "build-initramfs: $tool missing (tests/rig/setup-host.sh)" >&2; exit 1; }
done

stage=$(mktemp -d "${TMPDIR:-/tmp}/rig-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# --- busybox ---------------------------------------------------------------
mkdir -p "$cache"
deb=$(ls "$cache"/busybox-static_*_arm64.deb 2>/dev/null | sort | tail -n1 || true)
if [ -z "$deb" ]; then
	echo "build-initramfs: downloading busybox-static:arm64 into $cache" >&2
	(cd "$cache" && apt-get download -q busybox-static:arm64 >&2)
	deb=$(ls "$cache"/busybox-static_*_arm64.deb | sort | tail -n1)
fi
bbdir=$cache/${deb##*/}.x
if [ ! -x "$bbdir/bin/busybox" ] || [ "$deb" -nt "$bbdir/bin/busybox" ]; then
	rm -rf "$bbdir"
	dpkg-deb -x "$deb" "$bbdir"
	touch "$bbdir/bin/busybox"
fi

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,lib,dev,proc,sys,tmp,run,etc,root}
mkdir -p "$stage"/rig/{plans,tests,modules,bin}
ln -s lib "$stage/lib64"
ln -s ../lib "$stage/usr/lib"
cp "$bbdir/bin/busybox" "$stage/bin/busybox"

# Applet names: busybox keeps them as one NUL-separated, sorted table
# starting "[\0[[\0" (the binary is arm64, so it cannot be asked here).
off=$(grep -m1 -obUaP '\[\x00\[\[\x00' "$stage/bin/busybox" | cut -d: -f1)
[ -n "$off" ] || { echo "build-initramfs: no applet table in busybox" >&2; exit 1; }
# (Every stage reads all its input: no SIGPIPE under pipefail.)
applets=$(dd if="$stage/bin/busybox" iflag=skip_bytes,count_bytes skip="$off" count=16384 status=none |
	  tr '\0' '\n' | awk 'end { next } /^$/ { end = 1; next } /^[][a-z0-9_.-]+$/ { print }')
for a in sh mount poweroff setsid awk sleep kill; do
	grep -qx -- "$a" <<<"$applets" || { echo "build-initramfs: busybox lacks $a" >&2; exit 1; }
done
while read -r a; do
	[ "$a" = busybox ] && continue
	ln -s busybox "$stage/bin/$a"
done <<<"$applets"

# --- runner, plans, added files ---------------------------------------------
install -m 0755 "$here/init" "$stage/init"
for d in "${plans[@]}"; do
	[ -d "$d" ] || { echo "build-initramfs: no plans dir $d" >&2; exit 1; }
	found=0
	for p in "$d"/*.plan; do
		[ -e "$p" ] || continue
		install -m 0644 "$p" "$stage/rig/plans/"
		found=1
	done
	[ $found = 1 ] || echo "build-initramfs: warning: no .plan files in $d" >&2
done

for spec in "${adds[@]}"; do
	case "$spec" in *:*) ;; *) echo "build-initramfs: --add wants SRC:DEST, got $spec" >&2; exit 2 ;; esac
	src=${spec%:*}
	dest=${spec##*:}
	case "$dest" in /*) ;; *) dest=/$dest ;; esac
	if [ -d "$src" ]; then
		mkdir -p "$stage$dest"
		cp -rL "$src"/. "$stage$dest"/
	elif [ -f "$src" ]; then
		case "$dest" in
		*/) mkdir -p "$stage$dest"; cp -L "$src" "$stage$dest" ;;
		*) mkdir -p "$(dirname "$stage$dest")"; cp -L "$src" "$stage$dest" ;;
		esac
	else
		echo "build-initramfs: --add: no such file or directory: $src" >&2
		exit 1
	fi
done

# --- dynamic loader and libraries ------------------------------------------
add_lib() {
	local name=$1 src
	[ -e "$stage/lib/$name" ] && return 1
	src=$SYSROOT_LIB/$name
	[ -e "$src" ] || { echo "build-initramfs: library $name not in $SYSROOT_LIB" >&2; exit 1; }
	cp -L "$src" "$stage/lib/$name"
	return 0
}
for l in ld-linux-aarch64.so.1 libc.so.6 libm.so.6; do
	add_lib "$l" || true
done
# DT_NEEDED closure over every ELF file in the image (busybox is static).
todo=$(find "$stage" -type f ! -path "$stage/bin/busybox" | sort)
while [ -n "$todo" ]; do
	next=
	while read -r f; do
		[ -n "$f" ] || continue
		[ "$(head -c4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
		for need in $("$READELF" -d "$f" 2>/dev/null |
			      sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			if add_lib "$need"; then
				next+="$stage/lib/$need"$'\n'
			fi
		done
	done <<<"$todo"
	todo=$next
done

# --- /dev/console: a hand-written newc entry (no mknod, no fakeroot) -------
newc_entry() {	# name mode rdevmajor rdevminor
	local name=$1 mode=$2 maj=$3 min=$4 namesize hdr pad
	namesize=$(( ${#name} + 1 ))
	hdr=$(printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		0 "$mode" 0 0 1 "$epoch" 0 0 0 "$maj" "$min" "$namesize" 0)
	printf '%s%s\0' "$hdr" "$name"
	pad=$(( (4 - (110 + namesize) % 4) % 4 ))
	head -c "$pad" /dev/zero
}
devcpio() {
	newc_entry dev $((0040755)) 0 0
	newc_entry dev/console $((0020600)) 5 1
	newc_entry TRAILER!!! 0 0 0
}

# --- archive ----------------------------------------------------------------
find "$stage" -exec touch -h -d "@$epoch" {} +
mkdir -p "$(dirname "$out")"
tmp_out=$out.tmp.$$
{
	devcpio
	(cd "$stage" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort |
		cpio -o -H newc --quiet --reproducible --owner=0:0)
} | gzip -n -6 > "$tmp_out"
mv "$tmp_out" "$out"

nfiles=$(find "$stage" -mindepth 1 | wc -l)
echo "build-initramfs: $out ($(du -k "$out" | cut -f1) KiB, $nfiles entries; libs: $(ls "$stage/lib" | tr '\n' ' '))"
