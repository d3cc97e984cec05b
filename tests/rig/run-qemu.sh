#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-qemu.sh --kernel IMAGE --initrd CPIO [--plan NAME] [--smp N] [--memory MB]
#             [--icount] [--timeout SECONDS] [--log FILE] [--dtb FILE]
#             [--append "extra cmdline"] [--el3]
# run-qemu.sh --kernel IMAGE --rootfs EXT4 [--plans DIR]... [--add SRC:DEST]...
#             [--guest-disk FILE] [--plan NAME] [--smp N] [--memory MB] [--icount]
#             [--timeout SECONDS] [--log FILE] [--dtb FILE] [--append "extra cmdline"]
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
# --el3: EL3 present, as on an arm64 server with TF-A (docs/rig.md): the
#   machine gets secure=on,acpi=off and the project's EL3 firmware
#   (tests/rig/el3-firmware; $RIG_EL3_FIRMWARE, default
#   build/el3-firmware/el3-firmware.bin) as -bios, which enters the kernel at
#   Non-secure EL2 and serves PSCI over SMC.  The Image, the initramfs, the
#   device tree (QEMU's own for this machine, or --dtb FILE, given a /psci
#   node with method "smc", enable-method "psci" on each CPU and /chosen
#   bootargs and initrd; dtc's fdtput) and the firmware's hand-off block go
#   to fixed places in RAM with -device loader instead of -kernel, -initrd,
#   -append and -dtb.
# --rootfs EXT4: instead of an initramfs, the Debian userland of
#   tests/rig/build-rootfs.sh (build/rootfs.ext4) as the root disk: a
#   virtio-blk device on virt's virtio-mmio transports, root=/dev/vda rw
#   rootwait (the kernel needs tests/rig/kernel-rootfs.config:
#   build/kernel-rootfs).  EXT4 itself is never written: QEMU gets a sparse
#   copy in the temporary directory, into which debugfs -w (no mount, no
#   loop device) first writes
#     /rig/init          tests/rig/init, the initramfs's plan runner (it runs
#                        under Debian's dash), started by the image's
#                        /sbin/init through rig.run=/rig/init
#     /rig/plans/*.plan  from every --plans DIR (default tests/rig/plans)
#     --add SRC:DEST     SRC a file: written to DEST (DEST ending in "/": into
#                        that directory); SRC a directory: its files written
#                        under the directory DEST.  Missing parent
#                        directories are created, existing files replaced;
#                        DEST must not go through a symlink (/usr/bin, not
#                        /bin).  /rig/bin is on the plan's PATH.
#   so rig.plan=NAME, the TAP output, RIG-DONE and the exit status below are
#   those of an initramfs run.  Not with --initrd or --el3.
# --guest-disk FILE (with --rootfs): FILE as a second, read-only virtio-blk
#   disk, for the rig's own guests (tests/rig/rootfs/kvm-guest-perf.sh boots
#   its L2 guest with the disk that is not mounted as the rig's root).
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
	sed -n '4,9p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

kernel='' initrd='' plan=check smp=2 mem=1024 icount=0 tmo=1200 log='' dtb='' extra=''
el3=0 rootfs='' rootfs_plans=() rootfs_adds=() guest_disk=''
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
	--el3) el3=1; shift ;;
	--rootfs) rootfs=${2:?}; shift 2 ;;
	--plans) rootfs_plans+=("${2:?}"); shift 2 ;;
	--add) rootfs_adds+=("${2:?}"); shift 2 ;;
	--guest-disk) guest_disk=${2:?}; shift 2 ;;
	-h|--help) usage ;;
	*) echo "run-qemu: unknown argument $1" >&2; usage ;;
	esac
done
if [ -n "$rootfs" ]; then
	[ -z "$initrd" ] || { echo "run-qemu: --rootfs boots without --initrd" >&2; usage; }
	[ "$el3" = 0 ] || { echo "run-qemu: --rootfs is not supported with --el3" >&2; exit 2; }
elif [ ${#rootfs_plans[@]} -gt 0 ] || [ ${#rootfs_adds[@]} -gt 0 ] || [ -n "$guest_disk" ]; then
	echo "run-qemu: --plans, --add and --guest-disk go with --rootfs (an initramfs has its own)" >&2
	usage
fi
if [ -z "$kernel" ] || { [ -z "$initrd" ] && [ -z "$rootfs" ]; }; then
	usage
fi
for f in "$kernel" ${initrd:+"$initrd"} ${rootfs:+"$rootfs"} ${dtb:+"$dtb"} ${guest_disk:+"$guest_disk"}; do
	[ -r "$f" ] || { echo "run-qemu: cannot read $f" >&2; exit 2; }
done
case "$tmo" in ''|*[!0-9]*) echo "run-qemu: bad --timeout $tmo" >&2; exit 2 ;; esac
case "$mem" in ''|*[!0-9]*) echo "run-qemu: bad --memory $mem" >&2; exit 2 ;; esac

QEMU=${QEMU:-qemu-system-aarch64}
cmdline="console=ttyAMA0 panic=-1"
[ -n "$rootfs" ] && cmdline+=" root=/dev/vda rw rootwait rig.run=/rig/init"
cmdline+=" rig.plan=$plan rig.icount=$icount${extra:+ $extra}"
machine=virt,virtualization=on,gic-version=3
[ "$el3" = 1 ] && machine+=,secure=on,acpi=off
board=(-M "$machine" -cpu max -smp "$smp" -m "$mem")
icount_args=()
# shellcheck disable=SC2054 # commas are QEMU syntax
[ "$icount" = 1 ] && icount_args=(-icount shift=0,sleep=off -seed 1
				  -rtc base=2020-01-01T00:00:00,clock=vm)
extra_args=()
# shellcheck disable=SC2206
[ -n "${RIG_QEMU_EXTRA:-}" ] && extra_args=(${RIG_QEMU_EXTRA})

tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/rig-qemu.XXXXXX")
trap 'rm -rf "$tmpdir"' EXIT

# --el3 memory map (RAM starts at 0x40000000; QEMU puts its own DTB for
# the firmware at the first MiB and we leave it there).  HANDOFF is
# HANDOFF_BASE of tests/rig/el3-firmware/firmware.h.
readonly EL3_HANDOFF=$((0x40100000)) EL3_DTB=$((0x40200000))
readonly EL3_KERNEL_BASE=$((0x40400000)) EL3_HANDOFF_MAGIC=0x4f48334c45474952
readonly SZ_2M=$((0x200000))

el3_fail() { echo "run-qemu: --el3: $*" >&2; exit 2; }
hex() { printf '0x%x' "$1"; }
# A file name inside a QEMU option string: commas doubled.
qemu_file() { printf '%s' "${1//,/,,}"; }

# el3_dtb OUT INITRD_START INITRD_END: the kernel's device tree.
el3_dtb() {
	local out=$1 start=$2 end=$3 node

	if [ -n "$dtb" ]; then
		dtc -q -I dtb -O dtb -o "$out" "$dtb"
	else
		"$QEMU" "${board[@]}" -bios "$firmware" -nographic -nodefaults \
			"${icount_args[@]}" "${extra_args[@]}" \
			-machine dumpdtb="$tmpdir/machine.dtb" \
			</dev/null >"$tmpdir/dumpdtb.log" 2>&1 || {
			cat "$tmpdir/dumpdtb.log" >&2
			el3_fail "QEMU could not dump the machine's DTB"
		}
		# dumpdtb writes the whole 1 MiB buffer; dtc packs it.
		dtc -q -I dtb -O dtb -o "$out" "$tmpdir/machine.dtb"
	fi
	if fdtget "$out" /psci compatible >/dev/null 2>&1; then
		fdtput -r "$out" /psci
	fi
	fdtput -c "$out" /psci
	fdtput -t s "$out" /psci compatible arm,psci-1.0 arm,psci-0.2
	fdtput -t s "$out" /psci method smc
	for node in $(fdtget -l "$out" /cpus); do
		if [ "$(fdtget "$out" "/cpus/$node" device_type 2>/dev/null)" = cpu ]; then
			fdtput -t s "$out" "/cpus/$node" enable-method psci
		fi
	done
	fdtput -p -t s "$out" /chosen bootargs "$cmdline"
	fdtput -t x "$out" /chosen linux,initrd-start \
		"$(hex $((start >> 32)))" "$(hex $((start & 0xffffffff)))"
	fdtput -t x "$out" /chosen linux,initrd-end \
		"$(hex $((end >> 32)))" "$(hex $((end & 0xffffffff)))"
	[ "$(stat -c %s "$out")" -le "$SZ_2M" ] || el3_fail "DTB larger than 2 MiB"
}

# The arm64 Image header (Documentation/arch/arm64/booting.rst): text_offset
# at byte 8, image_size at 16, "ARM\x64" at 56.  The Image goes text_offset
# bytes above a 2 MiB aligned base, the initramfs after its image_size.
el3_loaders() {
	local text_offset image_size kernel_addr initrd_addr initrd_end

	firmware=${RIG_EL3_FIRMWARE:-$top/build/el3-firmware/el3-firmware.bin}
	[ -r "$firmware" ] || el3_fail "no EL3 firmware at $firmware" \
		"(make -C tests/rig/el3-firmware O=build/el3-firmware)"
	[ "$(od -An -tx4 -j56 -N4 "$kernel" | tr -d ' ')" = 644d5241 ] ||
		el3_fail "$kernel is not an arm64 Image"
	read -r text_offset image_size < <(od -An -tu8 -j8 -N16 "$kernel")
	[ "$image_size" -gt 0 ] || el3_fail "$kernel has no image_size (pre-3.17)"
	kernel_addr=$((EL3_KERNEL_BASE + text_offset))
	initrd_addr=$(((kernel_addr + image_size + SZ_2M - 1) & ~(SZ_2M - 1)))
	initrd_end=$((initrd_addr + $(stat -L -c %s "$initrd")))
	[ "$initrd_end" -le $((0x40000000 + (mem << 20))) ] ||
		el3_fail "Image and initramfs do not fit in --memory $mem"

	el3_dtb "$tmpdir/kernel.dtb" "$initrd_addr" "$initrd_end"
	args+=(-bios "$firmware"
	       -device "loader,addr=$(hex "$EL3_HANDOFF"),data=$EL3_HANDOFF_MAGIC,data-len=8"
	       -device "loader,addr=$(hex $((EL3_HANDOFF + 8))),data=$(hex "$kernel_addr"),data-len=8"
	       -device "loader,addr=$(hex $((EL3_HANDOFF + 16))),data=$(hex "$EL3_DTB"),data-len=8"
	       -device "loader,file=$(qemu_file "$tmpdir/kernel.dtb"),addr=$(hex "$EL3_DTB"),force-raw=on"
	       -device "loader,file=$(qemu_file "$kernel"),addr=$(hex "$kernel_addr"),force-raw=on"
	       -device "loader,file=$(qemu_file "$initrd"),addr=$(hex "$initrd_addr"),force-raw=on")
	el3_note="firmware $firmware; Image at $(hex "$kernel_addr");"
	el3_note+=" DTB at $(hex "$EL3_DTB") (${dtb:-QEMU dumpdtb} with /psci"
	el3_note+=" smc, bootargs, initrd); initramfs at $(hex "$initrd_addr")"
}

rootfs_fail() { echo "run-qemu: --rootfs: $*" >&2; exit 2; }

# rootfs_stage: the files --rootfs writes into the image, as a tree under
# $tmpdir/stage (so that DEST paths are checked and symlinks followed once).
rootfs_stage() {
	local stage=$tmpdir/stage d p add src dest
	local plan_dirs=("${rootfs_plans[@]}")

	[ ${#plan_dirs[@]} -gt 0 ] || plan_dirs=("$top/tests/rig/plans")
	mkdir -p "$stage/rig/plans" "$stage/rig/bin"
	cp "$top/tests/rig/init" "$stage/rig/init"
	chmod 755 "$stage/rig/init"
	for d in "${plan_dirs[@]}"; do
		[ -d "$d" ] || rootfs_fail "--plans $d is not a directory"
		for p in "$d"/*.plan; do
			[ -e "$p" ] && cp -L "$p" "$stage/rig/plans/"
		done
	done
	for add in "${rootfs_adds[@]}"; do
		case "$add" in *:/*) ;; *) rootfs_fail "--add wants SRC:/DEST, not $add" ;; esac
		src=${add%%:*} dest=${add#*:}
		[ -e "$src" ] || rootfs_fail "--add: no $src"
		case "$dest" in *..*|*[[:space:]]*|*'"'*)
			rootfs_fail "--add: DEST $dest: no '..', spaces or quotes" ;; esac
		if [ -d "$src" ]; then
			mkdir -p "$stage$dest"
			cp -rL "$src/." "$stage$dest/"
		elif [ "${dest%/}" != "$dest" ]; then
			mkdir -p "$stage$dest"
			cp -L "$src" "$stage$dest"
		else
			mkdir -p "$(dirname "$stage$dest")"
			cp -L "$src" "$stage$dest"
		fi
	done
}

# rootfs_image OUT: a copy of $rootfs with the staged tree written into it.
# debugfs reports errors on stderr but exits 0: an existing directory
# (mkdir) and a missing file (rm before write) are expected, anything else
# fails the run.
rootfs_image() {
	local out=$1 stage=$tmpdir/stage path

	cp --sparse=always "$rootfs" "$out"
	{
		(cd "$stage" && find . -mindepth 1 -type d | sort) | while read -r path; do
			echo "mkdir ${path#.}"
		done
		(cd "$stage" && find . -type f | sort) | while read -r path; do
			echo "rm ${path#.}"
			echo "write $stage/${path#./} ${path#.}"
		done
	} > "$tmpdir/debugfs.cmds"
	debugfs -w -f "$tmpdir/debugfs.cmds" "$out" >"$tmpdir/debugfs.out" 2>"$tmpdir/debugfs.err" ||
		{ cat "$tmpdir/debugfs.err" >&2; rootfs_fail "debugfs -w $out failed"; }
	if grep -v -e '^debugfs [0-9]' -e 'already exists' \
		-e 'File not found by ext2_lookup' "$tmpdir/debugfs.err" |
		grep -q .; then
		cat "$tmpdir/debugfs.err" >&2
		rootfs_fail "debugfs could not write the rig's files into the image copy"
	fi
	rootfs_note="$(cd "$stage" && find . -type f | wc -l) files written under"
	rootfs_note+=" $(cd "$stage" && find . -mindepth 1 -maxdepth 1 -type d | sed 's|^\.||' | sort | paste -sd' ' -)"
	rootfs_note+=" of a copy of $rootfs"
}

top=$(cd "$(dirname "$0")/../.." && pwd)
firmware='' el3_note='' rootfs_note=''
args=("${board[@]}" -nographic -nodefaults -serial stdio -monitor none -no-reboot)
if [ "$el3" = 1 ]; then
	el3_loaders
elif [ -n "$rootfs" ]; then
	command -v debugfs >/dev/null || rootfs_fail "debugfs missing (e2fsprogs)"
	rootfs_stage
	rootfs_image "$tmpdir/rootfs.ext4"
	# shellcheck disable=SC2054 # commas are QEMU syntax
	# QEMU virt puts the last virtio-mmio device first in the device
	# tree, so Linux names it vda: the root disk comes last.
	# shellcheck disable=SC2054 # commas are QEMU syntax
	[ -n "$guest_disk" ] &&
		args+=(-drive "file=$(qemu_file "$guest_disk"),format=raw,if=none,id=guestdisk,readonly=on"
		       -device virtio-blk-device,drive=guestdisk)
	# shellcheck disable=SC2054 # commas are QEMU syntax
	args+=(-kernel "$kernel" -append "$cmdline"
	       -drive "file=$(qemu_file "$tmpdir/rootfs.ext4"),format=raw,if=none,id=rootfs,cache=unsafe"
	       -device virtio-blk-device,drive=rootfs)
	[ -n "$dtb" ] && args+=(-dtb "$dtb")
else
	args+=(-kernel "$kernel" -initrd "$initrd" -append "$cmdline")
	[ -n "$dtb" ] && args+=(-dtb "$dtb")
fi
args+=("${icount_args[@]}" "${extra_args[@]}")

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
[ -n "$el3_note" ] && say "# qemu: el3: $el3_note"
[ -n "$rootfs_note" ] && say "# qemu: rootfs: $rootfs_note"

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
# Kernel reports (tests/rig/kernel-reports.sh): any one fails the boot.
. "$(dirname "$0")/kernel-reports.sh"
splats=$(kernel_report_lines "$log" | wc -l)

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
if [ "${splats:-0}" -gt 0 ]; then
	why="$why; kernel reports (Oops/BUG/WARNING/stall/...) in log: $splats"
	[ "$rc" = 0 ] && rc=1
fi
say "# rig: result=$rc qemu-exit=$qrc wall=${wall}s: $why"
# A boot that did not finish its plan cleanly is a failed test of its own
# for tap-summary.sh: a kernel report, or a rig that died before RIG-DONE
# (perhaps before it printed its plan, whose missing results nothing else
# would count). Failed tests alone are counted by their own TAP lines.
if [ "${splats:-0}" -gt 0 ] || [ -z "$done_line" ]; then
	printf 'TAP version 13\n1..1\nnot ok 1 - rig_%s_finished_cleanly # %s\n' \
		"$plan" "$why" >> "$log"
fi
exit "$rc"
