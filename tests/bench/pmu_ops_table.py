#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Prints make bench's table of guest PMU operation costs.

Usage: pmu_ops_table.py bench-results.json

Reads the pmu_ops results (tests/bench/pmu_ops.c) and the guest profiling
overheads (tests/rig/rootfs/guest/guest-perf.sh bench) from the file make
bench wrote, prints them with the operations as rows and the host set-ups as
columns, then checks them against the partitioned PMU's targets, one
PASS/MISS line per operation. A MISS is reported, not fatal: the figures
are the rig's (QEMU's model under -icount), not hardware's. A mode that did
not run shows "-" and its targets "n/a".
"""
import json
import sys

MODES = ["stock", "partitioned-fgt", "partitioned-trap-fast",
         "partitioned-trap-slow", "exit-floor"]
OPS = ["tpidr_read", "hvc", "pmccntr_read", "pmevcntr_read",
       "pmselr_pmxevcntr", "pmcntenset_write", "pmcr_write", "pmovsset_read",
       "pmevtyper_write", "mmio_exit_idle_guest", "mmio_exit_pmu_guest",
       "exit_floor"]
# With FEAT_FGT these reach the hardware without a trap (docs/partition.md).
FGT_UNTRAPPED = ["pmccntr_read", "pmevcntr_read", "pmselr_pmxevcntr",
                 "pmcntenset_write", "pmcr_write"]
# Without FGT every guest PMU access traps.
TRAPPED = ["pmccntr_read", "pmevcntr_read", "pmselr_pmxevcntr",
           "pmcntenset_write", "pmcr_write", "pmovsset_read",
           "pmevtyper_write"]
# The cost of profiling a Linux guest (tests/rig/rootfs/guest/guest-perf.sh
# bench): percent of the guest loop's emulated instructions.
PROFILING_MODES = ["stock", "partitioned-fgt", "partitioned-trap-fast",
                   "fixed"]
PROFILING_OPS = ["guest_perf_stat_overhead", "guest_perf_record_overhead"]
STAT_MAX_PERCENT = 1
RECORD_DIVISOR = 5
FGT_MAX = 2
FAST_PATH_DIVISOR = 10
# Against the floor (exit-floor: the same access trapped to an early-exit
# hook that does nothing; exit_floor is its PMCCNTR read): 1.1 x, which
# for PMSELR + PMXEVCNTR, two traps, is 2.2 x exit_floor.
FLOOR_FACTOR = 1.1
IDLE_EXIT_TOLERANCE = 0.02


def check(lines, label, value, ok, bound):
    if value is None:
        lines.append(f"  n/a   {label:<48} (not measured)")
    else:
        verdict = "PASS" if ok else "MISS"
        lines.append(f"  {verdict}  {label:<48} {value:>8,} (target {bound})")


def main():
    with open(sys.argv[1]) as f:
        results = json.load(f)["results"]
    fig = {(r["mode"], r["op"]): r["insn_per_op"] for r in results
           if r["mode"] in MODES}

    def get(mode, op):
        return fig.get((mode, op))

    width = {m: max(len(m), 8) for m in MODES}
    print("Guest operation cost, emulated instructions per operation "
          "(rig: QEMU under -icount shift=0, not hardware)")
    print(f"  {'operation':<22}" + "".join(f"  {m:>{width[m]}}" for m in MODES))
    for op in OPS:
        cells = []
        for mode in MODES:
            value = get(mode, op)
            text = "-" if value is None else f"{value:,}"
            cells.append(f"  {text:>{width[mode]}}")
        print(f"  {op:<22}" + "".join(cells))

    lines = []
    lines.append(f"FEAT_FGT: counter and control accesses do not exit "
                 f"(<= {FGT_MAX} instructions), partitioned-fgt:")
    for op in FGT_UNTRAPPED:
        value = get("partitioned-fgt", op)
        check(lines, op, value, value is not None and value <= FGT_MAX,
              f"<= {FGT_MAX}")
    lines.append(f"No FGT: the fast path costs <= 1/{FAST_PATH_DIVISOR} of "
                 f"stock per trapped access, partitioned-trap-fast:")
    for op in TRAPPED:
        value, stock = get("partitioned-trap-fast", op), get("stock", op)
        bound = None if stock is None else stock / FAST_PATH_DIVISOR
        check(lines, op, value if bound is not None else None,
              value is not None and bound is not None and value <= bound,
              f"<= {bound:,.0f}" if bound is not None else "")
    lines.append(f"No FGT: a trapped access in the fast path costs <= "
                 f"{FLOOR_FACTOR} x its own floor (exit-floor column; "
                 f"PMSELR + PMXEVCNTR's is two traps), partitioned-trap-fast:")
    for op in TRAPPED:
        value, floor = get("partitioned-trap-fast", op), get("exit-floor", op)
        bound = None if floor is None else floor * FLOOR_FACTOR
        check(lines, op, value if bound is not None else None,
              value is not None and bound is not None and value <= bound,
              f"<= {bound:,.0f}" if bound is not None else "")
    lines.append(f"An exit of a guest that never touches its PMU costs what "
                 f"stock's does (within {IDLE_EXIT_TOLERANCE:.0%}):")
    stock = get("stock", "mmio_exit_idle_guest")
    for mode in MODES[1:4]:
        value = get(mode, "mmio_exit_idle_guest")
        if stock is None:
            value = None
        ok = value is not None and \
            abs(value - stock) <= IDLE_EXIT_TOLERANCE * stock
        bound = "" if stock is None else \
            f"{stock * (1 - IDLE_EXIT_TOLERANCE):,.0f}.." \
            f"{stock * (1 + IDLE_EXIT_TOLERANCE):,.0f}"
        check(lines, f"mmio_exit_idle_guest, {mode}", value, ok, bound)
    profiling_table(results, lines)
    print("Targets (a MISS is reported; make bench does not fail on it):")
    for line in lines:
        print(line if line.startswith("  ") else f" {line}")


def profiling_table(results, lines):
    """The cost of profiling a Linux guest (guest-perf.sh bench)."""
    fig = {(r["mode"], r["op"]): r for r in results
           if r["op"] in PROFILING_OPS}
    if not fig:
        return
    print("Profiling a Linux guest: overhead on the guest's loop, in percent "
          "of its emulated instructions alone (rig, -icount)")
    print(f"  {'operation':<28}" + "".join(f"  {m:>22}"
                                          for m in PROFILING_MODES))
    for op in PROFILING_OPS:
        cells = []
        for mode in PROFILING_MODES:
            r = fig.get((mode, op))
            text = "-" if r is None else \
                f"{r['insn_per_op']:.2f}% ({r['profiled_insn'] - r['workload_insn']:,})"
            cells.append(f"  {text:>22}")
        print(f"  {op:<28}" + "".join(cells))

    def overhead(mode, op):
        r = fig.get((mode, op))
        return None if r is None else r["insn_per_op"]

    lines.append(f"Profiling a partitioned guest: perf stat costs <= "
                 f"{STAT_MAX_PERCENT}%, perf record <= 1/{RECORD_DIVISOR} of "
                 f"stock's overhead:")
    stock_record = overhead("stock", "guest_perf_record_overhead")
    for mode in ("partitioned-fgt", "partitioned-trap-fast"):
        value = overhead(mode, "guest_perf_stat_overhead")
        ok = value is not None and value <= STAT_MAX_PERCENT
        lines.append(f"  {'PASS' if ok else 'MISS' if value is not None else 'n/a '}"
                     f"  {'guest_perf_stat_overhead, ' + mode:<48} "
                     f"{'-' if value is None else f'{value:.2f}%':>8} "
                     f"(target <= {STAT_MAX_PERCENT}%)")
        value = overhead(mode, "guest_perf_record_overhead")
        bound = None if stock_record is None else stock_record / RECORD_DIVISOR
        ok = value is not None and bound is not None and value <= bound
        lines.append(f"  {'PASS' if ok else 'MISS' if value is not None and bound is not None else 'n/a '}"
                     f"  {'guest_perf_record_overhead, ' + mode:<48} "
                     f"{'-' if value is None else f'{value:.2f}%':>8} "
                     f"(target <= {'-' if bound is None else f'{bound:.2f}%'})")


if __name__ == "__main__":
    main()
