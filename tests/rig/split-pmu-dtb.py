#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# split-pmu-dtb.py IN.dts OUT.dts CPUS_A [CPUS_B]
#
# Turns the device tree QEMU's virt machine generates (dumped with
# -M virt,...,dumpdtb=FILE and decompiled with dtc) into that of a
# heterogeneous host: the one PMUv3 node becomes two, each covering a
# disjoint set of CPUs (e.g. "0,1" and "2,3"), so that Linux registers two
# arm_pmu instances, as it does on big.LITTLE.
#
# Both PMU nodes use the same per-CPU interrupt (PPI), which a real
# big.LITTLE device tree splits with the GICv3 binding's ppi-partitions:
# the GIC gets #interrupt-cells = <4> and a ppi-partitions subnode, every
# interrupt specifier that goes to the GIC gets a 4th cell (0: no
# partition), and each PMU's specifier names its partition. As on real
# big.LITTLE parts, each PMU node names its core type (Cortex-A53 for the
# first set, Cortex-A72 for the second), which also gives the two perf PMUs
# distinct names (armv8_cortex_a53, armv8_cortex_a72); the PMU underneath is
# QEMU's -cpu max PMUv3 on every CPU. With CPUS_A alone, only those CPUs get
# a PMU node: a host whose PMUs do not cover every CPU.
import re
import sys


def fail(message):
    sys.exit("split-pmu-dtb: " + message)


def node_span(text, name_regex):
    """(start, end) of the first node whose name matches, braces included."""
    match = re.search(r"^(\s*)(" + name_regex + r")\s*\{", text, re.M)
    if not match:
        fail("no node matching " + name_regex)
    depth = 0
    for index in range(match.end() - 1, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                end = text.index(";", index) + 1
                return match.start(), end
    fail("unbalanced braces in " + match.group(2))


def cells(value):
    return [int(cell, 0) for cell in value.split()]


def format_cells(values):
    return "<" + " ".join("0x%x" % value for value in values) + ">"


def main():
    if len(sys.argv) not in (4, 5):
        fail("usage: split-pmu-dtb.py IN.dts OUT.dts CPUS_A [CPUS_B]")
    text = open(sys.argv[1]).read()
    cpu_sets = [[int(cpu) for cpu in arg.split(",")] for arg in sys.argv[3:]]

    gic_start, gic_end = node_span(text, r"intc@[0-9a-f]+")
    gic = text[gic_start:gic_end]
    gic_phandle = int(re.search(r"phandle = <(0x[0-9a-f]+)>;", gic).group(1), 16)
    if "#interrupt-cells = <0x03>;" not in gic:
        fail("the GIC does not use 3 interrupt cells")
    gic_address_cells = int(re.search(r"#address-cells = <(0x[0-9a-f]+)>;", gic).group(1), 16)

    cpu_phandles = {}
    for match in re.finditer(r"cpu@([0-9a-f]+) \{[^}]*?phandle = <(0x[0-9a-f]+)>;", text):
        cpu_phandles[int(match.group(1), 16)] = int(match.group(2), 16)
    for cpu in sum(cpu_sets, []):
        if cpu not in cpu_phandles:
            fail("no cpu@%x node (boot with enough -smp)" % cpu)

    used = {int(value, 16) for value in re.findall(r"phandle = <(0x[0-9a-f]+)>;", text)}
    partition_phandles = []
    next_phandle = max(used) + 1
    for _ in cpu_sets:
        partition_phandles.append(next_phandle)
        next_phandle += 1

    # Every interrupts property resolved through the root's interrupt-parent
    # (the GIC here) gets a 4th cell. The GIC's own maintenance interrupt too.
    root_parent = re.search(r"^\tinterrupt-parent = <(0x[0-9a-f]+)>;", text, re.M)
    if not root_parent or int(root_parent.group(1), 16) != gic_phandle:
        fail("the root interrupt-parent is not the GIC")

    def widen_interrupts(match):
        values = cells(match.group(2))
        if len(values) % 3:
            fail("interrupts property with %d cells" % len(values))
        widened = []
        for index in range(0, len(values), 3):
            widened += values[index:index + 3] + [0]
        return match.group(1) + format_cells(widened) + ";"

    text = re.sub(r"(\binterrupts = )<([^>]*)>;", widen_interrupts, text)

    # interrupt-map entries whose parent is the GIC: child unit address and
    # specifier (#address-cells and #interrupt-cells of the mapping node),
    # the parent's phandle, its unit address and its 3-cell specifier.
    def widen_interrupt_map(match):
        node = match.group(0)
        child_address = int(re.search(r"#address-cells = <(0x[0-9a-f]+)>;", node).group(1), 16)
        child_interrupt = int(re.search(r"#interrupt-cells = <(0x[0-9a-f]+)>;", node).group(1), 16)
        entry_map = re.search(r"interrupt-map = <([^>]*)>;", node)
        values = cells(entry_map.group(1))
        widened = []
        index = 0
        while index < len(values):
            head = values[index:index + child_address + child_interrupt]
            index += len(head)
            if values[index] != gic_phandle:
                fail("interrupt-map entry whose parent is not the GIC")
            parent = values[index:index + 1 + gic_address_cells + 3]
            index += len(parent)
            widened += head + parent + [0]
        return node.replace(entry_map.group(0), "interrupt-map = " + format_cells(widened) + ";")

    text = re.sub(r"\{[^{}]*interrupt-map = <[^>]*>;[^{}]*\}", widen_interrupt_map, text)

    # The GIC: 4 cells and the partitions.
    gic_start, gic_end = node_span(text, r"intc@[0-9a-f]+")
    gic = text[gic_start:gic_end].replace("#interrupt-cells = <0x03>;", "#interrupt-cells = <0x04>;")
    partitions = "\n\t\tppi-partitions {\n"
    for number, (cpus, phandle) in enumerate(zip(cpu_sets, partition_phandles)):
        partitions += "\t\t\tinterrupt-partition-%d {\n" % number
        partitions += "\t\t\t\taffinity = %s;\n" % format_cells([cpu_phandles[cpu] for cpu in cpus])
        partitions += "\t\t\t\tphandle = <0x%x>;\n\t\t\t};\n" % phandle
    partitions += "\t\t};\n"
    # Subnodes follow the properties: add it last.
    closing = gic.rindex("\n", 0, gic.rindex("};")) + 1
    gic = gic[:closing] + partitions.lstrip("\n") + gic[closing:]
    text = text[:gic_start] + gic + text[gic_end:]

    # The PMU: one node per partition, same PPI.
    pmu_start, pmu_end = node_span(text, r"pmu")
    pmu = text[pmu_start:pmu_end]
    specifier = cells(re.search(r"interrupts = <([^>]*)>;", pmu).group(1))
    if len(specifier) != 4 or specifier[0] != 1:
        fail("the PMU interrupt is not a single PPI")
    split = ""
    compatibles = ["arm,cortex-a53-pmu", "arm,cortex-a72-pmu"]
    for number, phandle in enumerate(partition_phandles):
        split += "\n\tpmu-%d {\n" % number
        split += "\t\tinterrupts = %s;\n" % format_cells(specifier[:3] + [phandle])
        split += "\t\tcompatible = \"%s\";\n\t};\n" % compatibles[number]
    text = text[:pmu_start] + split + text[pmu_end:]

    open(sys.argv[2], "w").write(text)


main()
