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
# `make bindeb-pkg`) do not. The running kernel's /sys/kernel/btf/vmlinux
# is the same base only if the target is the very build that runs: the
# same release is not enough (a rebuilt kernel package keeps it), so the
# target's image (/boot/vmlinuz-KERNELVER) must hold the running kernel's
# /proc/version banner, which names the build (number, date, compiler).
# Then pahole (Debian's dwarves) encodes the BTF with the flags of 6.12's
# scripts/Makefile.btf for its version. Otherwise it adds none: BTF on
# the wrong base makes the module fail to load. resolve_btfids is not
# needed: the module has no BTF_ID sets (add it here if it gets one). It
# never fails the build: each case that adds nothing prints one line (in
# DKMS's make.log) saying why and what to do.
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
again="after booting it, rebuild: dkms build --force -k $kernelver kvm-pmu-partition/<version>, then dkms install --force with the same arguments"
if [ "$kernelver" != "$(uname -r)" ]; then
	say "no BTF: kernel $kernelver is not the running kernel ($(uname -r)); $again"
	exit 0
fi
banner=$(cat /proc/version)
if [ ! -r "/boot/vmlinuz-$kernelver" ] ||
	! zcat -f "/boot/vmlinuz-$kernelver" | grep -a -F -q -e "$banner"; then
	say "no BTF: /boot/vmlinuz-$kernelver is not the running build of $kernelver (its banner differs, or it is missing); $again"
	exit 0
fi
if [ ! -r /sys/kernel/btf/vmlinux ]; then
	say "no BTF: the running kernel has no /sys/kernel/btf/vmlinux"
	exit 0
fi
if ! command -v pahole >/dev/null; then
	say "no BTF: pahole is missing; install dwarves, then rebuild: dkms build --force and dkms install --force"
	exit 0
fi
# 6.12's scripts/Makefile.btf, for a module built outside the tree.
version=$(pahole --version | sed -n 's/^v\([0-9]*\)\.\([0-9]*\).*/\1\2/p')
version=${version:-0}
flags=
if [ "$version" -le 125 ]; then
	[ "$version" -ge 118 ] && [ "$version" -le 121 ] && flags="$flags --skip_encoding_btf_vars"
	[ "$version" -ge 121 ] && flags="$flags --btf_gen_floats"
	[ "$version" -ge 125 ] && flags="$flags --skip_encoding_btf_inconsistent_proto --btf_gen_optimized"
else
	flags="$flags --btf_features=encode_force,var,float,enum64,decl_tag,type_tag,optimized_func,consistent_func,decl_tag_kfuncs"
	flags="$flags --btf_features=distilled_base"
fi
[ "$version" -ge 122 ] && flags="$flags -j"
# pahole before 1.25 adds the .BTF section with $LLVM_OBJCOPY, which the
# kernel's build sets to its objcopy; binutils' serves.
# shellcheck disable=SC2086 # flags are separate words
if ! LLVM_OBJCOPY=${LLVM_OBJCOPY:-objcopy} \
	pahole -J $flags --btf_base /sys/kernel/btf/vmlinux "$module"; then
	say "no BTF: pahole failed (above); the module works without it, bpftrace and pmu-overflow-trace need it"
	exit 0
fi
say "BTF added against the running kernel's /sys/kernel/btf/vmlinux"
