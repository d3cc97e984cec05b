#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs every Debian package the rig needs on a Debian 12 x86_64 host:
# the cross toolchain, kernel build dependencies, linux-source-6.12, QEMU 10
# (the stock binary, for comparison), what building the rig's patched QEMU
# needs (meson and python3-pycotap from bookworm-backports) and promtool
# (unpacked from the prometheus package, not installed) for pmuctl's tests.
# Idempotent: does nothing when all packages are present.
#
# bookworm-backports (deb, and deb-src for QEMU's source tarball) is added
# by copying the machine's existing Debian deb822 source entry and changing
# only its type and suite, so no archive host name is written by this
# project.
set -euo pipefail

stamp=${1:-build/.host-packages}
packages=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross make flex bison bc
	  libelf-dev libssl-dev dwarves ccache cpio xz-utils rsync
	  linux-source-6.12 python3 kmod
	  ninja-build pkg-config libglib2.0-dev libpixman-1-dev libfdt-dev
	  zlib1g-dev python3-venv dpkg-dev debhelper device-tree-compiler)
# promtool parses and lints "pmuctl metrics" in pmuctl's host tests
# (tools/pmuctl/tests/run.sh), which fail without it. Debian 12 has it only
# in the prometheus package, which would also install and enable a
# Prometheus server on this machine: the package is downloaded and only
# its promtool unpacked, into build/host-tools/ (beside the stamp).
promtool=$(dirname "$stamp")/host-tools/promtool
backports_packages=(qemu-system-arm meson python3-pycotap)
arm64_packages=(busybox-static:arm64)
# pmu-overflow-trace (tools/pmu-overflow-trace, issue 13): clang builds its
# BPF object, llvm's llvm-strip strips it, bpftool makes vmlinux.h from the
# rig kernel's BTF and the skeleton; libbpf-dev (headers, and the library
# of the host build its tests run) and, through multiarch, the arm64
# static libraries it links: libbpf, libelf, zlib, zstd (libelf's).
packages+=(clang llvm bpftool libbpf-dev libzstd-dev)
trace_arm64_packages=(libbpf-dev:arm64 libelf-dev:arm64 zlib1g-dev:arm64
		      libzstd-dev:arm64)

missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

need=$(missing "${packages[@]}" "${backports_packages[@]}" "${trace_arm64_packages[@]}")
if [ -z "$need" ] && [ -f "$stamp" ] && [ -x "$promtool" ]; then
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "setup-host: packages missing ($need); run as root" >&2
	exit 1
fi

# derive_source TYPE FILE: the first Debian stanza carrying the plain
# 'bookworm' suite, with Types and Suites replaced.
derive_source() {
	local type=$1 file=$2 src=/etc/apt/sources.list.d/debian.sources

	[ -f "$file" ] && return 0
	if [ ! -f "$src" ]; then
		echo "setup-host: no $src to derive bookworm-backports from; add the suite by hand" >&2
		exit 1
	fi
	awk -v type="$type" 'BEGIN { RS = ""; ORS = "\n\n" }
	     /Suites:[^\n]*bookworm([ \t]|$|\n)/ && !/bookworm-security/ && !done {
		     gsub(/Types:[^\n]*/, "Types: " type);
		     gsub(/Suites:[^\n]*/, "Suites: bookworm-backports"); print; done = 1 }' \
		"$src" > "$file"
	if ! grep -q bookworm-backports "$file"; then
		rm -f "$file"
		echo "setup-host: could not derive bookworm-backports from $src" >&2
		exit 1
	fi
}

# Binary packages: only if no source list has the suite yet.
if ! grep -rqsE '^deb .*bookworm-backports|^Suites:.*bookworm-backports' \
	--exclude=kvm-pmu-partition-backports-src.sources \
	/etc/apt/sources.list /etc/apt/sources.list.d/; then
	derive_source deb /etc/apt/sources.list.d/kvm-pmu-partition-backports.sources
fi
derive_source deb-src /etc/apt/sources.list.d/kvm-pmu-partition-backports-src.sources

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	dpkg --add-architecture arm64
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${packages[@]}"
# After apt-get update with arm64 added (above): multiarch packages.
apt-get install -y -q --no-install-recommends "${trace_arm64_packages[@]}"
apt-get install -y -q --no-install-recommends -t bookworm-backports "${backports_packages[@]}"
if [ ! -x "$promtool" ]; then
	download=$(mktemp -d)
	(cd "$download" && apt-get download -q -o APT::Sandbox::User=root prometheus)
	dpkg-deb -x "$download"/prometheus_*.deb "$download/root"
	install -D -m 0755 "$download/root/usr/bin/promtool" "$promtool"
	rm -rf "$download"
fi
mkdir -p "$(dirname "$stamp")"
touch "$stamp"
