#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh QEMU_BINARY [ELF]
#
# Owns: running the bare-metal hpmn-probe (default: hpmn-probe.elf next to
# this script) in QEMU's virt machine with EL2 (virtualization=on, no EL3)
# and -cpu max, under -icount shift=0 (one instruction per ns, as the rig
# runs; QEMU implements the INST_RETIRED event only then), with a 60 s
# timeout and no stdin.  The TAP stream goes to stdout.  Exit status:
# QEMU's (the probe exits through semihosting with 0 when every test
# passed, 1 otherwise; 2 wrong boot EL, 3 unexpected exception), 124 on
# timeout, 2 on usage errors.
set -uo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 QEMU_BINARY [ELF]" >&2
	exit 2
fi
qemu=$1
elf=${2:-$(dirname "$(readlink -f "$0")")/hpmn-probe.elf}
if [ ! -r "$elf" ]; then
	echo "run.sh: no probe at $elf (run make first)" >&2
	exit 2
fi

timeout 60 "$qemu" -M virt,virtualization=on,gic-version=3 -cpu max \
	-icount shift=0,sleep=off \
	-nographic -nodefaults -serial stdio -monitor none \
	-kernel "$elf" -semihosting-config enable=on,target=native </dev/null |
	tr -d '\r'
exit "${PIPESTATUS[0]}"
