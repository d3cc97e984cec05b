#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs every Debian package the rig needs on a Debian 12 x86_64 host.
# Idempotent: does nothing when all packages are present.
#
# bookworm-backports (QEMU 10) is added by copying the machine's existing
# Debian deb822 source entry and changing only its suite, so no archive host
# name is written by this project.
set -euo pipefail

stamp=${1:-build/.host-packages}
packages=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross make flex bison bc
	  libelf-dev libssl-dev dwarves ccache cpio xz-utils rsync
	  linux-source-6.12 python3 kmod)
backports_packages=(qemu-system-arm)
arm64_packages=(busybox-static:arm64)

missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

need=$(missing "${packages[@]}" "${backports_packages[@]}")
if [ -z "$need" ] && [ -f "$stamp" ]; then
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "setup-host: packages missing ($need); run as root" >&2
	exit 1
fi

backports=/etc/apt/sources.list.d/kvm-pmu-partition-backports.sources
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	src=/etc/apt/sources.list.d/debian.sources
	if [ ! -f "$src" ]; then
		echo "setup-host: no $src to derive bookworm-backports from; add the suite by hand" >&2
		exit 1
	fi
	# First stanza that carries the plain 'bookworm' suite, suite replaced.
	awk 'BEGIN { RS = ""; ORS = "\n\n" }
	     /Suites:[^\n]*bookworm([ \t]|$|\n)/ && !/bookworm-security/ && !done {
		     gsub(/Suites:[^\n]*/, "Suites: bookworm-backports"); print; done = 1 }' \
		"$src" > "$backports"
	if ! grep -q bookworm-backports "$backports"; then
		rm -f "$backports"
		echo "setup-host: could not derive bookworm-backports from $src" >&2
		exit 1
	fi
fi

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	dpkg --add-architecture arm64
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${packages[@]}"
apt-get install -y -q --no-install-recommends -t bookworm-backports "${backports_packages[@]}"
mkdir -p "$(dirname "$stamp")"
touch "$stamp"
