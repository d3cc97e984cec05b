#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-rootfs.sh [OUT.ext4]
#
# Owns: the rig's Debian userland, a Debian 12 (bookworm) arm64 root file
# system as an ext4 image for the KVM host's virtio-blk disk (issue 12).
# Inputs:
#   tests/rig/rootfs.packages  the packages (and why), on top of mmdebstrap's
#                              `apt` variant (Essential set, dpkg, apt)
#   /etc/apt/sources.list.d/debian.sources  the machine's Debian entry: its
#                              bookworm, bookworm-updates and bookworm-security
#                              stanzas are copied (Types: deb, no
#                              Architectures), plus bookworm-backports derived
#                              from the bookworm stanza as setup-host.sh does,
#                              so no archive host name is written by this
#                              project. The image keeps them in
#                              /etc/apt/sources.list.d/0000debian.sources.
# Outputs: OUT.ext4 (default build/rootfs.ext4) and OUT's manifest
#   (build/rootfs.manifest: fingerprint, then every installed package's
#   name, version and architecture). The image has dpkg's and apt's
#   databases intact (`dpkg -i`, `apt install ./x.deb` work inside), no
#   init system but a small /sbin/init written here (below), and about
#   1 GiB free for headers, DKMS builds and guest images.
# How: mmdebstrap --mode=unshare (its mounts of /proc, /dev, ... stay in a
#   private mount namespace; nothing is mounted on the machine), running the
#   arm64 maintainer scripts through qemu-user-static registered with
#   binfmt_misc, into a directory; then `mke2fs -t ext4 -d`. No loop device.
#   As root this registers qemu-aarch64 with binfmt_misc when it is not
#   (mounting /proc/sys/fs/binfmt_misc first if needed).
# Cache: the image and manifest are kept under $RIG_ROOTFS_CACHE (default
#   ~/.cache/kvm-pmu-partition/rootfs/<fingerprint>/), keyed by this script
#   and rootfs.packages only: a change to either rebuilds it, also from a
#   fresh clone; otherwise OUT is a fresh copy of the cached image (the rig
#   may write to OUT; the cache stays pristine). The package versions are
#   whatever the archive served at build time: the manifest records them.
#   The .debs of the last build are kept in <cache>/debs/ so that a rebuild
#   downloads only what changed; mmdebstrap's log is kept next to the image.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=$top/build
packages=$top/tests/rig/rootfs.packages
out=${1:-$build/rootfs.ext4}
manifest=${out%.ext4}.manifest
cache_root=${RIG_ROOTFS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kvm-pmu-partition/rootfs}
host_sources=/etc/apt/sources.list.d/debian.sources
suite=bookworm
# Free space left in the image beyond its contents, in MiB.
free_mb=1024

die() {
	echo "build-rootfs: $*" >&2
	exit 1
}

fingerprint=$(cat "$0" "$packages" | sha256sum | cut -c1-16)
cached=$cache_root/$fingerprint

# The package names: comments and blank lines dropped.
package_names() {
	sed -e 's/#.*//' "$packages" | tr -s ' \t' '\n' | sed '/^$/d'
}

# rootfs_sources FILE: the image's deb822 Debian entry, from the machine's.
rootfs_sources() {
	local file=$1

	[ -f "$host_sources" ] ||
		die "no $host_sources to derive the image's Debian sources from"
	awk -v suite="$suite" 'BEGIN { RS = ""; ORS = "\n\n" }
	     function strip(s) {
		     gsub(/Types:[^\n]*/, "Types: deb", s)
		     gsub(/\n?Architectures:[^\n]*/, "", s)
		     return s
	     }
	     $0 ~ "Types:[^\n]*deb([ \t]|$|\n)" &&
	     $0 ~ "Suites:[^\n]*" suite "([ \t-]|$|\n)" {
		     print strip($0)
		     if ($0 ~ "Suites:[^\n]*" suite "-backports")
			     bpo = 1
		     if (!base && $0 ~ "Suites:[^\n]*" suite "([ \t]|$|\n)")
			     base = $0
	     }
	     END {
		     if (base && !bpo) {
			     s = strip(base)
			     gsub(/Suites:[^\n]*/, "Suites: " suite "-backports", s)
			     print s
		     }
	     }' "$host_sources" > "$file"
	grep -qE "^Suites:.*$suite([[:space:]]|$)" "$file" ||
		die "no Debian '$suite' deb stanza in $host_sources"
}

# Run arm64 binaries: qemu-user-static through binfmt_misc.
ensure_arm64_exec() {
	arch-test arm64 >/dev/null 2>&1 && return 0
	[ "$(id -u)" = 0 ] ||
		die "this machine cannot run arm64 binaries and only root can register qemu-aarch64 with binfmt_misc"
	[ -x /usr/libexec/qemu-binfmt/aarch64-binfmt-P ] ||
		die "qemu-user-static installed but its aarch64 binfmt handler is missing"
	if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
		mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
			die "cannot mount binfmt_misc: arm64 maintainer scripts cannot run here"
	fi
	update-binfmts --enable qemu-aarch64 >&2 ||
		die "update-binfmts --enable qemu-aarch64 failed"
	arch-test arm64 >/dev/null 2>&1 ||
		die "arm64 binaries still do not run after registering qemu-aarch64 ($(arch-test arm64 2>&1))"
}

write_init() {
	local root=$1

	# Merged /usr: /sbin is usr/sbin. Never follow a link out of the tree.
	if [ -e "$root/usr/sbin/init" ] || [ -L "$root/usr/sbin/init" ]; then
		die "the image already has a /sbin/init (an init system among the packages?)"
	fi
	cat > "$root/usr/sbin/init" <<'EOF'
#!/bin/sh
# /sbin/init of the rig's Debian userland (tests/rig/build-rootfs.sh).
# Mounts the kernel file systems, then runs rig.run=PATH from the kernel
# command line (default /etc/rig/rc) if it is executable, else a login
# shell on the console; then powers off. No services, no getty.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin
HOME=/root
TERM=${TERM:-linux}
export PATH HOME TERM

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620 devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs tmpfs /tmp
ln -sf /proc/self/fd /dev/fd
ln -sf fd/0 /dev/stdin
ln -sf fd/1 /dev/stdout
ln -sf fd/2 /dev/stderr
mount -o remount,rw /
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
cat /etc/hostname > /proc/sys/kernel/hostname

run=/etc/rig/rc
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	rig.run=*) run=${arg#rig.run=} ;;
	esac
done
if [ -x "$run" ]; then
	"$run"
	echo "rig-init: $run exited with $?"
else
	setsid -c /bin/bash -l < /dev/console > /dev/console 2>&1
fi

sync
mount -o remount,ro / 2>/dev/null
echo o > /proc/sysrq-trigger 2>/dev/null
sleep 5
exit 1	# init exiting panics the kernel; panic=-1 + -no-reboot ends QEMU
EOF
	chmod 755 "$root/usr/sbin/init"
	echo rig > "$root/etc/hostname"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\trig\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
		> "$root/etc/hosts"
	echo '/dev/vda / ext4 defaults 0 1' > "$root/etc/fstab"
	mkdir -p "$root/etc/rig"
}

# What building the image needs on the x86_64 machine, installed only when
# an image is built (make check does not build one, so setup-host.sh does
# not install these).
ensure_builder_packages() {
	local wanted=(mmdebstrap arch-test qemu-user-static binfmt-support e2fsprogs)
	local missing=() p

	for p in "${wanted[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] ||
		die "missing ${missing[*]}: run as root to install them, or apt-get install them"
	echo "build-rootfs: installing ${missing[*]}"
	{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
		--no-install-recommends "${missing[@]}"; } >&2 ||
		die "apt-get install ${missing[*]} failed"
}

if [ ! -f "$cached/rootfs.ext4" ] || [ ! -f "$cached/rootfs.manifest" ]; then
	# mke2fs -d copies owners from the directory: only a root build has
	# the image's (mmdebstrap: other modes give wrong ownership there).
	[ "$(id -u)" = 0 ] || die "building the image needs root (file owners); a cached one does not"
	ensure_builder_packages
	for tool in mmdebstrap mke2fs debugfs arch-test update-binfmts dpkg-query; do
		command -v "$tool" >/dev/null || die "$tool missing after installing its package"
	done
	ensure_arm64_exec

	work=$build/rootfs-work
	rm -rf "$work"
	mkdir -p "$work"
	rootfs_sources "$work/debian.sources"
	names=$(package_names | paste -sd, -)
	echo "build-rootfs: mmdebstrap $suite arm64 with $(package_names | wc -l) packages (a few minutes, most of it qemu-user)"
	debs=$cache_root/debs
	mkdir -p "$debs" "$work/debs"
	# shellcheck disable=SC2016 # $1 is the hook's, not ours
	mmdebstrap --mode=unshare --variant=apt --architectures=arm64 \
		--aptopt='Acquire::Languages "none"' \
		--include="$names" --skip=essential/unlink \
		--setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
		--setup-hook="sync-in $debs /var/cache/apt/archives/" \
		--customize-hook="sync-out /var/cache/apt/archives $work/debs" \
		"$suite" "$work/root" "$work/debian.sources" \
		> "$work/mmdebstrap.log" 2>&1 || {
		echo "build-rootfs: mmdebstrap failed:" >&2
		tail -n 40 "$work/mmdebstrap.log" >&2
		exit 1
	}
	root=$work/root

	# Every listed package must be installed, not only unpacked.
	for p in $(package_names); do
		p=${p%%/*}
		dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' ||
			die "$p is not installed in the image (see $work/mmdebstrap.log)"
	done
	write_init "$root"
	rm -rf "$debs"
	mv "$work/debs" "$debs"

	mkdir -p "$cached.tmp"
	{
		echo "fingerprint $fingerprint"
		echo "suite $suite arm64 (mmdebstrap --variant=apt + tests/rig/rootfs.packages)"
		echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) with mmdebstrap $(dpkg-query -W -f='${Version}' mmdebstrap), qemu-user-static $(dpkg-query -W -f='${Version}' qemu-user-static)"
		echo
		dpkg-query --admindir="$root/var/lib/dpkg" -W \
			-f='${Package}\t${Version}\t${Architecture}\n' | sort
	} > "$cached.tmp/rootfs.manifest"

	used_mb=$(du -sm "$root" | cut -f1)
	size_mb=$(( (used_mb * 11 / 10 + free_mb + 63) / 64 * 64 ))
	echo "build-rootfs: mke2fs -t ext4 -d ($used_mb MiB of files, a $size_mb MiB image)"
	mke2fs -q -t ext4 -L rig-root -d "$root" -F "$cached.tmp/rootfs.ext4" "${size_mb}M" \
		> "$work/mke2fs.log" 2>&1 || {
		echo "build-rootfs: mke2fs failed:" >&2
		cat "$work/mke2fs.log" >&2
		exit 1
	}
	# The kernel opens /dev/console before init runs; without devtmpfs
	# mounted by the kernel, these nodes are all /dev has.
	debugfs -w -f - "$cached.tmp/rootfs.ext4" > "$work/debugfs.log" 2>&1 <<-EOF || {
		cd /dev
		mknod console c 5 1
		sif console mode 020600
		mknod null c 1 3
		sif null mode 020666
		EOF
		echo "build-rootfs: debugfs mknod failed:" >&2
		cat "$work/debugfs.log" >&2
		exit 1
	}
	cp "$work/mmdebstrap.log" "$cached.tmp/"
	rm -rf "$cached"
	mv "$cached.tmp" "$cached"
	rm -rf "$work"
fi

mkdir -p "$(dirname "$out")"
cp --sparse=always "$cached/rootfs.ext4" "$out.tmp"
mv "$out.tmp" "$out"
cp "$cached/rootfs.manifest" "$manifest"
echo "build-rootfs: Debian $suite arm64, $(($(sed -n '5,$p' "$manifest" | wc -l))) packages ($fingerprint) -> $out"
