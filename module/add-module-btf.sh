#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# add-module-btf.sh KERNELVER HEADERS-DIR MODULE.ko   (dkms.conf's MAKE[0])
#
# Owns: giving a DKMS-built kvm_pmu_partition.ko its BTF
# (/sys/kernel/btf/kvm_pmu_partition once loaded), which bpftrace and
# tools/pmu-overflow-trace (CO-RE) read the module's tracepoint types from.
# The kernel's own build adds module BTF only when the headers hold
# vmlinux, and distribution headers packages (Debian's, and those of
# `make bindeb-pkg`) do not. The running kernel's BTF is the same base:
# for the running kernel, with CONFIG_DEBUG_INFO_BTF_MODULES, pahole
# (Debian's dwarves) encodes the module's BTF against
# /sys/kernel/btf/vmlinux, with the pahole flags of the kernel's
# scripts/Makefile.btf for pahole 1.16-1.25. A module built for another
# kernel (a kernel package's DKMS hook) gets none: a BTF on the wrong base
# would make the module fail to load. It never fails the build: each case
# that adds nothing prints one line (in DKMS's make.log) saying why and
# what to do.
set -u
kernelver=${1:?usage: add-module-btf.sh KERNELVER HEADERS-DIR MODULE.ko}
headers=${2:?usage: add-module-btf.sh KERNELVER HEADERS-DIR MODULE.ko}
module=${3:?usage: add-module-btf.sh KERNELVER HEADERS-DIR MODULE.ko}
say() { echo "kvm-pmu-partition: $module: $*"; }

# Headers packages carry the configuration as include/config/auto.conf
# (6.12's install-extmod-build leaves .config out).
config=$headers/include/config/auto.conf
[ -r "$config" ] || config=$headers/.config
grep -q '^CONFIG_DEBUG_INFO_BTF_MODULES=y' "$config" 2>/dev/null || exit 0
if readelf -S -W "$module" 2>/dev/null | grep -q ' \.BTF '; then
	exit 0		# the kernel's build added it (headers with vmlinux)
fi
if [ "$kernelver" != "$(uname -r)" ]; then
	say "no BTF: kernel $kernelver is not the running kernel ($(uname -r)); after booting it, run 'dkms build' and 'dkms install --force' for it again"
	exit 0
fi
if [ ! -r /sys/kernel/btf/vmlinux ]; then
	say "no BTF: the running kernel has no /sys/kernel/btf/vmlinux"
	exit 0
fi
if ! command -v pahole >/dev/null; then
	say "no BTF: pahole is missing; install dwarves, then run 'dkms build' and 'dkms install --force' again"
	exit 0
fi
version=$(pahole --version | sed -n 's/^v\([0-9]*\)\.\([0-9]*\).*/\1\2/p')
flags=
[ "${version:-0}" -ge 118 ] && flags="$flags --skip_encoding_btf_vars"
[ "${version:-0}" -ge 121 ] && flags="$flags --btf_gen_floats"
[ "${version:-0}" -ge 122 ] && flags="$flags -j"
# pahole before 1.25 adds the .BTF section with $LLVM_OBJCOPY, which the
# kernel's build sets to its objcopy; binutils' serves.
# shellcheck disable=SC2086 # flags are separate words
if ! LLVM_OBJCOPY=${LLVM_OBJCOPY:-objcopy} \
	pahole -J $flags --btf_base /sys/kernel/btf/vmlinux "$module"; then
	say "no BTF: pahole failed (above); the module works without it, bpftrace and pmu-overflow-trace need it"
	exit 0
fi
say "BTF added against the running kernel's /sys/kernel/btf/vmlinux"
