#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tap-summary.sh LOG...
#
# Owns: the one-line verdict over TAP streams (the rig's console log from
# run-qemu.sh and host-side TAP files).  Carriage returns are stripped.
# Counted: top-level result lines only, i.e. lines starting exactly "ok " or
# "not ok " (diagnostics "# ...", indented subtests and kernel messages are
# ignored).  "ok ... # SKIP" counts as skipped; "not ok ... # TODO" as skipped
# (TAP: not a failure); a top-level "Bail out!" counts as one failure; when a
# stream's plan "1..N" promises more results than it delivered (say the kernel
# died mid-plan), the missing ones count as failed.  A stream starts at a
# top-level "TAP version" line or at the start of each file.
#
# Output: one line per failed test ("FAIL file: line"), then as the LAST line
#   "P passed, F failed" (+ ", S skipped" when S > 0).
# Exit: 0 when F = 0 and at least one result was found, 1 otherwise.
set -euo pipefail

if [ $# -eq 0 ]; then
	echo "usage: $0 LOG..." >&2
	exit 2
fi
for f in "$@"; do
	[ -r "$f" ] || { echo "tap-summary: cannot read $f" >&2; exit 2; }
done

awk '
function close_stream() {
	if (planned >= 0 && seen < planned) {
		printf "FAIL %s: plan 1..%d but only %d results\n", FILENAME_prev, planned, seen
		failed += planned - seen
	}
	planned = -1
	seen = 0
}
BEGIN { passed = failed = skipped = 0; planned = -1; seen = 0 }
FNR == 1 { if (NR > 1) close_stream(); FILENAME_prev = FILENAME }
{ sub(/\r+$/, ""); gsub(/\r/, "") }
/^TAP version / { close_stream(); next }
/^1\.\.[0-9]+/ {
	if (planned < 0) { s = $0; sub(/^1\.\./, "", s); planned = s + 0 }
	next
}
/^Bail out!/ { failed++; printf "FAIL %s: %s\n", FILENAME, $0; planned = -1; next }
/^ok / {
	seen++
	if ($0 ~ /#[ \t]*[Ss][Kk][Ii][Pp]/) skipped++; else passed++
	next
}
/^not ok / {
	seen++
	if ($0 ~ /#[ \t]*[Tt][Oo][Dd][Oo]/) skipped++
	else { failed++; printf "FAIL %s: %s\n", FILENAME, $0 }
	next
}
END {
	close_stream()
	line = sprintf("%d passed, %d failed", passed, failed)
	if (skipped > 0) line = line sprintf(", %d skipped", skipped)
	print line
	exit (failed > 0 || passed + failed + skipped == 0) ? 1 : 0
}
' "$@"
