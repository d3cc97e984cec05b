#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `pmuctl pmu show -j` must report, for every host PMUv3, the number of
# event counters and the CPU list that the kernel's PMU driver reports:
# the counter mask of its "hw perfevents: enabled with NAME PMU driver,
# T (MASK) counters available" boot line (bits 0..30 are event counters)
# and /sys/bus/event_source/devices/NAME/cpus.
set -u
json=$(pmuctl pmu show -j) || { echo "pmuctl failed"; exit 1; }
echo "pmuctl: $json"
fail=0
driver_pmus=0

for line in $(dmesg | sed -n 's/.*hw perfevents: enabled with \([^ ]*\) PMU driver, [0-9]* (\([0-9a-f,]*\)).*/\1:\2/p'); do
	name=${line%%:*}
	mask=${line#*:}
	low=${mask##*,}
	low=$((0x$low & 0x7fffffff))
	counters=0
	while [ "$low" -ne 0 ]; do
		counters=$((counters + (low & 1)))
		low=$((low >> 1))
	done
	cpus=$(cat "/sys/bus/event_source/devices/$name/cpus")
	driver_pmus=$((driver_pmus + 1))

	entry=$(echo "$json" | grep -o "{\"name\":\"$name\"[^}]*}")
	got_counters=$(echo "$entry" | sed -n 's/.*"counters":\([0-9]*\).*/\1/p')
	got_cpus=$(echo "$entry" | sed -n 's/.*"cpulist":"\([^"]*\)".*/\1/p')
	echo "driver: $name counters=$counters cpus=$cpus; pmuctl: counters=$got_counters cpus=$got_cpus"
	if [ "$got_counters" != "$counters" ] || [ "$got_cpus" != "$cpus" ]; then
		echo "mismatch for $name"
		fail=1
	fi
done

reported=$(echo "$json" | grep -o '"name":' | wc -l)
if [ "$driver_pmus" -eq 0 ] || [ "$reported" -ne "$driver_pmus" ]; then
	echo "the driver reported $driver_pmus PMUs, pmuctl $reported"
	fail=1
fi
exit $fail
