#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-selftests.sh KSRC OUTDIR
#
# Owns: cross-building the Linux 6.12 KVM selftests (arm64) out of tree, with
# the selftests Makefile's own O= and headers_install.  Nothing is written into KSRC
# (it may be read-only): headers go to OUTDIR/usr/include, the generated arm64
# sysreg header to OUTDIR/tools/arch/arm64/include/generated, the binaries and
# library objects to OUTDIR/kselftest/kvm.
#
# Results (checked after the build, printed on stdout as "name path"):
#   OUTDIR/kselftest/kvm/aarch64/vpmu_counter_access
#   OUTDIR/kselftest/kvm/arch_timer        (6.12: split test, top level)
#   OUTDIR/kselftest/kvm/get-reg-list      (6.12: split test, top level)
#
# Idempotent: when OUTDIR/.rig-selftests.stamp exists, names the same KSRC and
# is newer than KSRC/Makefile and than every file under the selftest, tools
# header and uapi directories, the build is skipped.  FORCE=1 rebuilds.
# Environment: RIG_JOBS (default: nproc), CROSS_COMPILE (default
# aarch64-linux-gnu-).
set -euo pipefail

usage() { echo "usage: $0 KSRC OUTDIR" >&2; exit 2; }
[ $# -eq 2 ] || usage

KSRC=$(cd "$1" && pwd -P)
mkdir -p "$2"
# The selftests Makefile resolves a relative O= against KSRC: use an absolute path.
O=$(cd "$2" && pwd -P)
CROSS_COMPILE=${CROSS_COMPILE:-aarch64-linux-gnu-}
JOBS=${RIG_JOBS:-$(nproc)}
KVM_OUT=$O/kselftest/kvm
stamp=$O/.rig-selftests.stamp

[ -f "$KSRC/Makefile" ] && [ -d "$KSRC/tools/testing/selftests/kvm" ] ||
	{ echo "build-selftests: $KSRC is not a kernel source tree" >&2; exit 1; }
case "$O/" in
"$KSRC"/*) echo "build-selftests: OUTDIR must not be inside KSRC" >&2; exit 1 ;;
esac

# Where the three tests the rig relies on land; checked, not assumed.
find_outputs() {
	local name rel
	for name in vpmu_counter_access arch_timer get-reg-list; do
		rel=
		for cand in "aarch64/$name" "$name"; do
			if [ -x "$KVM_OUT/$cand" ] && [ -f "$KVM_OUT/$cand" ]; then
				rel=$cand
				break
			fi
		done
		if [ -z "$rel" ]; then
			echo "build-selftests: $name not found under $KVM_OUT" >&2
			return 1
		fi
		echo "$name $KVM_OUT/$rel"
	done
}

up_to_date() {
	[ "${FORCE:-0}" = 1 ] && return 1
	[ -f "$stamp" ] || return 1
	[ "$(cat "$stamp")" = "$KSRC" ] || return 1
	[ "$stamp" -nt "$KSRC/Makefile" ] || return 1
	local newer
	newer=$(find "$KSRC/tools/testing/selftests/kvm" "$KSRC/tools/testing/selftests/lib.mk" \
		     "$KSRC/tools/include" "$KSRC/tools/arch/arm64" \
		     "$KSRC/include/uapi" "$KSRC/arch/arm64/include/uapi" \
		     -newer "$stamp" -print -quit 2>/dev/null)
	[ -z "$newer" ] || return 1
	find_outputs >/dev/null 2>&1
}

if up_to_date; then
	echo "build-selftests: up to date ($stamp)"
	find_outputs
	exit 0
fi

start=$(date +%s)
rm -f "$stamp"
# (a) tools/scripts/Makefile.include aborts if OUTPUT ($O/tools/) does not exist.
mkdir -p "$O/tools"

echo "build-selftests: headers_install into $O/usr/include"
make -s -C "$KSRC" ARCH=arm64 CROSS_COMPILE="$CROSS_COMPILE" O="$O" headers_install

# (b) abs_objdir: keeps the generated sysreg-defs.h out of KSRC.
# (c) TMPOUT: keeps try-run's .tmp_<pid>/ out of KSRC's kvm/ directory.
echo "build-selftests: kvm selftests into $KVM_OUT (-j$JOBS)"
make -s -C "$KSRC/tools/testing/selftests" ARCH=arm64 CROSS_COMPILE="$CROSS_COMPILE" \
	TARGETS=kvm O="$O" abs_objdir="$O" TMPOUT="$O/.tmpout" -j"$JOBS"

find_outputs
echo "$KSRC" > "$stamp"
echo "build-selftests: done in $(( $(date +%s) - start )) s"
