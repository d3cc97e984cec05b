#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs the module's KUnit suites (kvm_pmu_partition_kunit.ko: the pure
# helpers, and the event filter against the reference model) in the rig
# and prints their KTAP. Fails unless every suite ran and every case
# passed.
set -u

grep -q '^kunit ' /proc/modules || insmod "$RIG_MODULES/kunit.ko" || exit 1
insmod "$RIG_MODULES/kvm_pmu_partition_kunit.ko" || exit 1
status=0
for suite in kvm_pmu_partition_helpers kvm_pmu_partition_filter; do
	results=/sys/kernel/debug/kunit/$suite/results
	if [ ! -r "$results" ]; then
		echo "no $results: the suite did not run"
		status=1
		continue
	fi
	cat "$results"
	grep -q "^ok [0-9]* $suite" "$results" || status=1
	grep -q "not ok" "$results" && status=1
done
rmmod kvm_pmu_partition_kunit
exit $status
