#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs the module's KUnit suite (kvm_pmu_partition_kunit.ko) in the rig and
# prints its KTAP. Fails unless the suite ran and every case passed.
set -u
suite=kvm_pmu_partition_helpers
results=/sys/kernel/debug/kunit/$suite/results

grep -q '^kunit ' /proc/modules || insmod "$RIG_MODULES/kunit.ko" || exit 1
insmod "$RIG_MODULES/kvm_pmu_partition_kunit.ko" || exit 1
status=0
if [ ! -r "$results" ]; then
	echo "no $results: the suite did not run"
	status=1
else
	cat "$results"
	grep -q "^ok [0-9]* $suite" "$results" || status=1
	grep -q "not ok" "$results" && status=1
fi
rmmod kvm_pmu_partition_kunit
exit $status
