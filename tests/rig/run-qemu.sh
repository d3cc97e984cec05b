#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-qemu.sh --kernel IMAGE --initrd CPIO [--plan NAME] [--smp N] [--memory MB]
#             [--icount] [--timeout SECONDS] [--log FILE] [--dtb FILE]
#             [--append "extra cmdline"]
#
# Owns: booting the rig's arm64 KVM host in QEMU (-M virt,virtualization=on,
# gic-version=3 -cpu max) with an initramfs from build-initramfs.sh, and turning
# its console into an exit status.  The console is streamed to stdout and to
# the log (carriage returns stripped); the first lines are "# qemu: ..." (QEMU
# version and command line), the last one "# rig: ..." (result, wall time).
#
# Defaults: --plan check, --smp 2, --memory 1024, --timeout 1200.
# --icount: -icount shift=0,sleep=off -seed 1 -rtc base=2020-01-01T00:00:00,clock=vm
#   (1 ns of virtual time per emulated instruction, byte-identical runs; rig.md);
#   the kernel command line gets rig.icount=1 (tests see RIG_ICOUNT=1).
# QEMU never reads a terminal (stdin is /dev/null), so the script is safe in CI
# and in the background.  Environment: QEMU (default qemu-system-aarch64),
# RIG_QEMU_EXTRA (extra QEMU arguments, word-split).
#
# Exit status: 0  console shows "RIG-DONE ... failed=0"
#              1  RIG-DONE shows failures
#              3  kernel panic, or QEMU exited without RIG-DONE
#              124 timeout (QEMU killed)
#              2  usage error
set -euo pipefail

usage() {
	sed -n '4,6p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

kernel='' initrd='' plan=check smp=2 mem=1024 icount=0 tmo=1200 log='' dtb='' extra=''
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=${2:?}; shift 2 ;;
	--initrd) initrd=${2:?}; shift 2 ;;
	--plan) plan=${2:?}; shift 2 ;;
	--smp) smp=${2:?}; shift 2 ;;
	--memory) mem=${2:?}; shift 2 ;;
	--icount) icount=1; shift ;;
	--timeout) tmo=${2:?}; shift 2 ;;
	--log) log=${2:?}; shift 2 ;;
	--dtb) dtb=${2:?}; shift 2 ;;
	--append) extra=${2?}; shift 2 ;;
	-h|--help) usage ;;
	*) echo "run-qemu: unknown argument $1" >&2; usage ;;
	esac
done
[ -n "$kernel" ] && [ -n "$initrd" ] || usage
for f in "$kernel" "$initrd" ${dtb:+"$dtb"}; do
	[ -r "$f" ] || { echo "run-qemu: cannot read $f" >&2; exit 2; }
done
case "$tmo" in ''|*[!0-9]*) echo "run-qemu: bad --timeout $tmo" >&2; exit 2 ;; esac

QEMU=${QEMU:-qemu-system-aarch64}
cmdline="console=ttyAMA0 panic=-1 rig.plan=$plan rig.icount=$icount${extra:+ $extra}"
# shellcheck disable=SC2054 # commas are QEMU syntax
args=(-M virt,virtualization=on,gic-version=3 -cpu max
      -smp "$smp" -m "$mem"
      -nographic -nodefaults -serial stdio -monitor none -no-reboot
      -kernel "$kernel" -initrd "$initrd" -append "$cmdline")
[ -n "$dtb" ] && args+=(-dtb "$dtb")
# shellcheck disable=SC2054
[ "$icount" = 1 ] && args+=(-icount shift=0,sleep=off -seed 1
			    -rtc base=2020-01-01T00:00:00,clock=vm)
# shellcheck disable=SC2206
[ -n "${RIG_QEMU_EXTRA:-}" ] && args+=(${RIG_QEMU_EXTRA})

tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/rig-qemu.XXXXXX")
trap 'rm -rf "$tmpdir"' EXIT
if [ -z "$log" ]; then
	log=$tmpdir/console.log
else
	mkdir -p "$(dirname "$log")"
fi
: > "$log"

say() { printf '%s\n' "$*" | tee -a "$log"; }

say "# qemu: $("$QEMU" --version </dev/null | head -n1)"
quote() {	# shell-quote only the words that need it
	local w out=
	for w in "$@"; do
		if [[ $w =~ ^[A-Za-z0-9_./=:,+@%-]+$ ]]; then out+=" $w"
		else out+=" '${w//\'/\'\\\'\'}'"
		fi
	done
	printf '%s' "${out# }"
}
say "# qemu: $(quote "$QEMU" "${args[@]}")"

start=$(date +%s.%N)
set +e
# timeout(1) without --foreground puts QEMU in its own process group; that is
# harmless because QEMU gets no terminal at all (stdin /dev/null, stdout a
# pipe).  -k: SIGKILL if QEMU ignores the SIGTERM.
timeout -k 10 "$tmo" "$QEMU" "${args[@]}" </dev/null 2>&1 |
	sed -u 's/\r*$//' | tee -a "$log"
status=("${PIPESTATUS[@]}")
set -e
qrc=${status[0]}
wall=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

done_line=$(grep -a '^RIG-DONE ' "$log" | tail -n1 || true)
panic=$(grep -a -m1 'Kernel panic - not syncing' "$log" || true)
splats=$(grep -a -c -E 'Internal error: Oops|BUG: |WARNING: CPU' "$log" || true)

if [ -n "$panic" ]; then
	rc=3 why="kernel panic: $panic"
elif [ -n "$done_line" ]; then
	case "$done_line" in
	*" failed=0"*) rc=0 why="$done_line" ;;
	*) rc=1 why="$done_line" ;;
	esac
	[ "$qrc" = 124 ] && why="$why (QEMU did not power off; killed at ${tmo}s)"
elif [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	rc=124 why="timeout after ${tmo}s without RIG-DONE"
else
	rc=3 why="QEMU exited ($qrc) without RIG-DONE"
fi
[ "${splats:-0}" -gt 0 ] && why="$why; kernel splats (Oops/BUG/WARNING) in log: $splats"
say "# rig: result=$rc qemu-exit=$qrc wall=${wall}s: $why"
exit "$rc"
