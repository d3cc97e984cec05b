# SPDX-License-Identifier: GPL-2.0
# kernel-reports.sh: sourced by run-qemu.sh, run-check-debug.sh and
# run-soak.sh. Owns the one list of kernel console reports that fail a
# boot: oopses, BUG and WARNING (lockdep's too), the debug kernel's
# checkers (KASAN, UBSAN, atomic sleep, RCU, lists, lockdep), hung tasks,
# RCU stalls and lockups, and slub_debug's object checks ("BUG <cache>
# (...): Poison overwritten"). A line a test printed (the rig's init
# prefixes test output "# ") or a TAP result is not a report:
# kernel_report_lines drops those.
kernel_reports='BUG:|WARNING:|Internal error|Oops|kernel BUG|UBSAN:|KASAN:'
kernel_reports+='|sleeping function called from invalid context|suspicious RCU usage'
kernel_reports+='|circular locking dependency|recursive locking|inconsistent lock state'
kernel_reports+='|lock held when returning|bad unlock balance|held lock freed|non-static key'
kernel_reports+='|list_[a-z_]* corruption|detected stall|scheduling while atomic'
kernel_reports+='|INFO: task .* blocked for more than|rcu_.*kthread starved|rcu: INFO:'
kernel_reports+='|stall on CPU|soft lockup|hard LOCKUP'
kernel_reports+='|BUG [^ :]+ \(|Poison overwritten|Redzone overwritten|Object padding overwritten'

# kernel_report_lines FILE...: the report lines, "FILE:LINE:text" (-n, -H).
# No report is no error: callers run under set -e and pipefail.
kernel_report_lines() {
	{ grep -a -H -n -E "$kernel_reports" "$@" || :; } |
		{ grep -a -v -E '^[^:]*:[0-9]+:(# |ok |not ok )' || :; }
}
