#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run.sh - host tests for pmuctl, TAP output.
#
# Owns: building fake kvm_pmu_partition sysfs trees in a temporary directory
# and checking pmuctl's exit status, error lines, human output and JSON
# (parsed with python3 and compared value by value, types included) against
# them.  Exits non-zero when any test fails.
#
# Environment: PMUCTL (binary to test, default: ../pmuctl next to this
# script), PMUCTL_EXPECTED_VERSION (default: 0.1.0).

# The check helpers are only called through check(), indirectly.
# shellcheck disable=SC2317

set -u

here=$(cd "$(dirname "$0")" && pwd)
PMUCTL=${PMUCTL:-$here/../pmuctl}
expected_version=${PMUCTL_EXPECTED_VERSION:-0.1.0}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pmuctl-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

tests=0
failed=0
rc=0

echo "TAP version 13"

if [ ! -x "$PMUCTL" ]; then
	echo "Bail out! $PMUCTL is not an executable"
	exit 1
fi
if ! command -v python3 >/dev/null; then
	echo "Bail out! python3 is needed to check the JSON output"
	exit 1
fi

diag()
{
	echo "# $*"
}

# check DESCRIPTION COMMAND...: one test, passing when COMMAND succeeds.
check()
{
	description=$1
	shift
	tests=$((tests + 1))
	if "$@"; then
		echo "ok $tests - $description"
	else
		echo "not ok $tests - $description"
		failed=$((failed + 1))
		diag "stdout:"
		head -c 400 "$tmp/out" 2>/dev/null | awk '{ print "#   " $0 }'
		diag "stderr:"
		head -c 400 "$tmp/err" 2>/dev/null | awk '{ print "#   " $0 }'
	fi
}

# run ROOT ARGS...: run pmuctl on the sysfs tree ROOT; sets rc, $tmp/out, $tmp/err.
run()
{
	root=$1
	shift
	PMUCTL_SYSFS_ROOT=$root "$PMUCTL" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# make_module ROOT [FILE=VALUE...]: a module tree with default values, an
# empty pmus/ directory, and FILE=VALUE overrides.
make_module()
{
	root=$1
	shift
	rm -rf "$root"
	mkdir -p "$root/pmus"
	printf '0.1.0\n' >"$root/version"
	printf '1\n' >"$root/abi_version"
	printf 'emulated\n' >"$root/default_mode"
	printf 'auto\n' >"$root/fgt"
	printf '1\n' >"$root/fgt_present"
	printf '2\n' >"$root/reserved_host_counters"
	printf '0\n' >"$root/vms"
	for assignment in "$@"; do
		printf '%s\n' "${assignment#*=}" >"$root/${assignment%%=*}"
	done
}

# add_pmu ROOT NAME CPUS COUNTERS CYCLE HOST GUEST PMUVER
add_pmu()
{
	dir=$1/pmus/$2
	mkdir -p "$dir"
	printf '%s\n' "$3" >"$dir/cpus"
	printf '%s\n' "$4" >"$dir/counters"
	printf '%s\n' "$5" >"$dir/cycle_counter"
	printf '%s\n' "$6" >"$dir/reserved_host_counters"
	printf '%s\n' "$7" >"$dir/guest_counters"
	printf '%s\n' "$8" >"$dir/pmuver"
}

# add_vm ROOT NAME PID MODE: a vm/NAME/ directory without vCPUs.
add_vm()
{
	dir=$1/vm/$2
	mkdir -p "$dir"
	printf '%s\n' "$3" >"$dir/pid"
	printf '%s\n' "$4" >"$dir/mode"
}

# add_vcpu ROOT VM ID BACKING_PMU LOADS BACKING_SWITCHES
add_vcpu()
{
	dir=$1/vm/$2/vcpu$3
	mkdir -p "$dir"
	printf '%s\n' "$4" >"$dir/backing_pmu"
	printf '%s\n' "$5" >"$dir/loads"
	printf '%s\n' "$6" >"$dir/backing_switches"
}

expect_rc()
{
	[ "$rc" -eq "$1" ] && return 0
	diag "exit status $rc, expected $1"
	return 1
}

# expect_success: exit 0, nothing on stderr, something on stdout.
expect_success()
{
	expect_rc 0 || return 1
	[ ! -s "$tmp/err" ] || { diag "stderr is not empty"; return 1; }
	[ -s "$tmp/out" ] || { diag "stdout is empty"; return 1; }
}

# expect_error STATUS TEXT: exit STATUS, stdout empty, stderr exactly one
# line starting with "Error: " and containing TEXT.
expect_error()
{
	expect_rc "$1" || return 1
	[ ! -s "$tmp/out" ] || { diag "stdout is not empty"; return 1; }
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || { diag "stderr is not one line"; return 1; }
	case $(cat "$tmp/err") in
	"Error: "*) ;;
	*) diag "stderr does not start with 'Error: '"; return 1 ;;
	esac
	grep -qF -- "$2" "$tmp/err" || { diag "stderr does not contain '$2'"; return 1; }
}

# out_has ERE: some stdout line matches ERE.
out_has()
{
	grep -Eq -- "$1" "$tmp/out"
}

# succeeds_without ERE: exit 0, output on stdout, no stdout line matches ERE.
succeeds_without()
{
	expect_success || return 1
	! grep -Eq -- "$1" "$tmp/out"
}

# out_is TEXT: stdout is exactly TEXT and a newline.
out_is()
{
	printf '%s\n' "$1" | cmp -s - "$tmp/out"
}

out_lines()
{
	[ "$(wc -l <"$tmp/out")" -eq "$1" ]
}

# json_is JSON: stdout parses as JSON equal to JSON, value and type.
json_is()
{
	python3 - "$tmp/out" "$1" <<'PYTHON'
import json
import sys

def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b

try:
    with open(sys.argv[1], encoding="utf-8") as f:
        got = json.load(f)
except ValueError as e:
    print("# invalid JSON: %s" % e)
    sys.exit(1)
want = json.loads(sys.argv[2])
if not same(got, want):
    print("# got:  " + json.dumps(got))
    print("# want: " + json.dumps(want))
    sys.exit(1)
PYTHON
}

### One PMU, the values of the documented example.

one=$tmp/one
make_module "$one"
add_pmu "$one" armv8_pmuv3_0 0-1 6 1 2 4 6

one_module='{"version":"0.1.0","abi_version":1,"default_mode":"emulated","fgt":"auto","fgt_present":true,"reserved_host_counters":2,"vms":0}'
one_pmus='[{"name":"armv8_pmuv3_0","cpus":"0-1","cpu_list":[0,1],"counters":6,"cycle_counter":true,"reserved_host_counters":2,"guest_counters":4,"pmuver":6}]'
one_doc="{\"pmuctl_version\":\"$expected_version\",\"module\":$one_module,\"pmus\":$one_pmus,\"vms\":[]}"

run "$one" show
check "show: exit 0, output on stdout only" expect_success
check "show: header names version and hook ABI" \
	out_has '^kvm_pmu_partition 0\.1\.0 \(hook ABI 1\)$'
check "show: default mode line" out_has '^  default mode: +emulated$'
check "show: fine-grained traps line" \
	out_has '^  fine-grained traps: +auto \(FEAT_FGT present\)$'
check "show: reserved host counters line" out_has '^  reserved host counters: +2$'
check "show: VMs attached line" out_has '^  VMs attached: +0$'
check "show: table header" out_has '^PMU +CPUs +COUNTERS +CYCLE +HOST +GUEST +PMUVER$'
check "show: table row" out_has '^armv8_pmuv3_0 +0-1 +6 +yes +2 +4 +6$'

run "$one" -j show
check "show -j: exit 0" expect_success
check "show -j: exactly the documented compact document" out_is "$one_doc"
check "show -j: parsed values" json_is "$one_doc"

run "$one" show --pretty
check "show --pretty: exit 0" expect_success
check "show --pretty: indented over several lines" out_has '^  "module": \{$'
check "show --pretty: parsed values equal the compact form" json_is "$one_doc"

run "$one" module show --json
check "module show --json: the module object alone" json_is "$one_module"
check "module show --json: exit 0" expect_success

run "$one" pmu show -j
check "pmu show -j: the pmus array alone" json_is "$one_pmus"

run "$one" module show
check "module show: exit 0" expect_success
check "module show: module lines" out_has '^  VMs attached: +0$'
check "module show: no PMU table" succeeds_without 'PMUVER'

run "$one" pmu show
check "pmu show: table row" out_has '^armv8_pmuv3_0 +0-1 +6 +yes +2 +4 +6$'
check "pmu show: no module lines" succeeds_without 'default mode'
cp "$tmp/out" "$tmp/pmu-show"
run "$one" pmu
check "pmu without a verb is pmu show" \
	sh -c "grep -q '^armv8_pmuv3_0 ' '$tmp/out' && cmp -s '$tmp/out' '$tmp/pmu-show'"

### big.LITTLE: two PMUs, created in reverse name order.

bl=$tmp/biglittle
make_module "$bl" default_mode=partitioned fgt=off fgt_present=0 \
	reserved_host_counters=1 vms=3 abi_version=7 version=0.2.0-rc1
add_pmu "$bl" armv8_cortex_a72 2-3 6 1 2 4 4
add_pmu "$bl" armv8_cortex_a53 0-1 6 0 1 5 1

bl_module='{"version":"0.2.0-rc1","abi_version":7,"default_mode":"partitioned","fgt":"off","fgt_present":false,"reserved_host_counters":1,"vms":3}'
bl_pmus='[{"name":"armv8_cortex_a53","cpus":"0-1","cpu_list":[0,1],"counters":6,"cycle_counter":false,"reserved_host_counters":1,"guest_counters":5,"pmuver":1},{"name":"armv8_cortex_a72","cpus":"2-3","cpu_list":[2,3],"counters":6,"cycle_counter":true,"reserved_host_counters":2,"guest_counters":4,"pmuver":4}]'

run "$bl" show -j
check "big.LITTLE show -j: exit 0" expect_success
check "big.LITTLE show -j: both PMUs sorted by name, all values" \
	json_is "{\"pmuctl_version\":\"$expected_version\",\"module\":$bl_module,\"pmus\":$bl_pmus,\"vms\":[]}"
check "big.LITTLE show -j: one line" out_lines 1

run "$bl" -p pmu show
check "big.LITTLE pmu show -p: parsed values" json_is "$bl_pmus"

run "$bl" show
check "big.LITTLE show: FEAT_FGT not present" \
	out_has '^  fine-grained traps: +off \(FEAT_FGT not present\)$'
check "big.LITTLE show: header" out_has '^kvm_pmu_partition 0\.2\.0-rc1 \(hook ABI 7\)$'
check "big.LITTLE show: a53 row" out_has '^armv8_cortex_a53 +0-1 +6 +no +1 +5 +1$'
check "big.LITTLE show: a72 row" out_has '^armv8_cortex_a72 +2-3 +6 +yes +2 +4 +4$'
check "big.LITTLE show: rows in name order" \
	sh -c "grep -n cortex '$tmp/out' | head -n 1 | grep -q a53"
check "big.LITTLE show: 5 header lines, blank, table header, 2 rows" out_lines 9

### cpulists, odd names, no PMU at all.

cl=$tmp/cpulist
make_module "$cl"
add_pmu "$cl" p0 0-1,4 6 1 2 4 6
add_pmu "$cl" p1 7 6 1 2 4 6
add_pmu "$cl" p2 '' 6 1 2 4 6
add_pmu "$cl" p3 0,2-3,10-12 6 1 2 4 6
run "$cl" pmu show -j
check "cpulists expand: 0-1,4 / 7 / empty / 0,2-3,10-12" python3 -c '
import json, sys
try:
    pmus = json.load(open(sys.argv[1]))
except ValueError:
    sys.exit(1)
want = {"p0": [0, 1, 4], "p1": [7], "p2": [], "p3": [0, 2, 3, 10, 11, 12]}
sys.exit(0 if {p["name"]: p["cpu_list"] for p in pmus} == want else 1)' "$tmp/out"

odd=$tmp/odd
make_module "$odd"
add_pmu "$odd" 'we"ird\name' 0 6 1 2 4 6
add_pmu "$odd" "$(printf 'new\nline')" 1 6 1 2 4 6
add_pmu "$odd" "$(printf 'tab\tcaf\303\251')" 2 6 1 2 4 6
add_pmu "$odd" "$(printf 'bad\377byte')" 3 6 1 2 4 6
run "$odd" pmu show -j
check "odd PMU names: exit 0" expect_success
check "odd PMU names: escaped, invalid UTF-8 replaced, byte order" python3 -c '
import json, sys
try:
    names = [p["name"] for p in json.load(open(sys.argv[1], encoding="utf-8"))]
except ValueError:
    sys.exit(1)
want = ["bad\ufffdbyte", "new\nline", "tab\tcaf\u00e9", "we\"ird\\name"]
print("# names: %r" % names)
sys.exit(0 if names == want else 1)' "$tmp/out"
run "$odd" pmu show
check "odd PMU names: one table line each, control characters hidden" \
	sh -c "[ \$(wc -l <'$tmp/out') -eq 5 ] && grep -q '^new?line ' '$tmp/out'"

none=$tmp/none
make_module "$none"
run "$none" show -j
check "no PMUs: empty pmus array" json_is \
	"{\"pmuctl_version\":\"$expected_version\",\"module\":$one_module,\"pmus\":[],\"vms\":[]}"
run "$none" pmu show
check "no PMUs: table says so" out_has '^\(no host PMUs\)$'

### VMs: vm/<pid>.<serial>/ with vcpu<id>/ directories.

# An older module without vm/: no VMs, not an error.
run "$one" vm show
check "no vm/: vm show exits 0" expect_success
check "no vm/: vm show says 'no VMs'" out_is "no VMs"
run "$one" vm show -j
check "no vm/: vm show -j is an empty array" json_is '[]'
check "no vm/: vm show -j prints exactly []" out_is "[]"
run "$one" show
check "no vm/: show has no VM table" succeeds_without '^(VM |no VMs)'
run "$one" vm show 1234
check "no vm/: vm show PID says 'no VMs'" out_is "no VMs"

empty=$tmp/empty-vm
make_module "$empty"
mkdir "$empty/vm"
run "$empty" vm -j
check "empty vm/: vm -j is an empty array" json_is '[]'
run "$empty" vm
check "empty vm/: vm says 'no VMs'" out_is "no VMs"

# Two VMs of two vCPUs each, created out of order: names sort in byte order
# ("1234.0" before "987.1"), vCPU ids numerically (2 before 10).
vms=$tmp/vms
make_module "$vms" vms=2 default_mode=fixed
add_pmu "$vms" armv8_cortex_a53 0-1 6 1 2 4 4
add_pmu "$vms" armv8_cortex_a72 2-3 6 1 2 4 4
add_vm "$vms" 987.1 987 partitioned
add_vcpu "$vms" 987.1 10 armv8_cortex_a53 18446744073709551615 4294967296
add_vcpu "$vms" 987.1 2 none 0 0
add_vm "$vms" 1234.0 1234 fixed
add_vcpu "$vms" 1234.0 1 none 3 0
add_vcpu "$vms" 1234.0 0 armv8_cortex_a72 2031 1000
printf 'x\n' >"$vms/vm/not-a-vm"
# Not vCPUs: other entries of a VM directory are ignored.
add_vcpu "$vms" 1234.0 x none 5 5
add_vcpu "$vms" 1234.0 01 none 5 5

vm_1234='{"name":"1234.0","pid":1234,"mode":"fixed","vcpus":[{"id":0,"backing_pmu":"armv8_cortex_a72","loads":2031,"backing_switches":1000},{"id":1,"backing_pmu":"none","loads":3,"backing_switches":0}]}'
vm_987='{"name":"987.1","pid":987,"mode":"partitioned","vcpus":[{"id":2,"backing_pmu":"none","loads":0,"backing_switches":0},{"id":10,"backing_pmu":"armv8_cortex_a53","loads":18446744073709551615,"backing_switches":4294967296}]}'

run "$vms" vm show -j
check "two VMs: vm show -j exits 0" expect_success
check "two VMs: vm show -j, VMs by name, vCPUs by id, all values (u64 too)" \
	json_is "[$vm_1234,$vm_987]"
check "two VMs: vm show -j is one line" out_lines 1
run "$vms" -p vm
check "two VMs: vm -p, parsed values" json_is "[$vm_1234,$vm_987]"
python3 -c 'import json, sys; print(json.dumps(json.loads(sys.argv[1])))' \
	"[$vm_1234,$vm_987]" >"$tmp/expected-vms"
run "$vms" show -j
check "two VMs: show -j has the vms array after pmus" python3 -c '
import json, sys
try:
    doc = json.load(open(sys.argv[1]))
except ValueError:
    sys.exit(1)
keys = list(doc)
print("# keys: %r" % keys)
sys.exit(0 if keys == ["pmuctl_version", "module", "pmus", "vms"] and
         [v["name"] for v in doc["vms"]] == ["1234.0", "987.1"] else 1)' "$tmp/out"
check "two VMs: show -j, vms equal vm show -j" sh -c "
python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))[\"vms\"]))' '$tmp/out' |
	cmp -s - '$tmp/expected-vms'"

run "$vms" vm show
check "two VMs: vm show exits 0" expect_success
check "two VMs: table header" \
	out_has '^VM +PID +MODE +VCPU +BACKING PMU +LOADS +SWITCHES$'
check "two VMs: 1234.0 vCPU 0 row" \
	out_has '^1234\.0 +1234 +fixed +0 +armv8_cortex_a72 +2031 +1000$'
check "two VMs: 1234.0 vCPU 1 row" out_has '^1234\.0 +1234 +fixed +1 +none +3 +0$'
check "two VMs: 987.1 vCPU 2 row" out_has '^987\.1 +987 +partitioned +2 +none +0 +0$'
check "two VMs: 987.1 vCPU 10 row" \
	out_has '^987\.1 +987 +partitioned +10 +armv8_cortex_a53 +18446744073709551615 +4294967296$'
check "two VMs: header and 4 rows, in name then id order" sh -c "
	[ \$(wc -l <'$tmp/out') -eq 5 ] &&
	awk 'NR > 1 { printf \"%s/%s \", \$1, \$4 }' '$tmp/out' |
		grep -qx '1234.0/0 1234.0/1 987.1/2 987.1/10 '"
check "two VMs: columns aligned" sh -c "
	[ \$(awk '{ print index(\$0, \"SWITCHES\") }' '$tmp/out' | head -n 1) -eq \
	  \$(awk 'NR == 5 { print index(\$0, \"4294967296\") }' '$tmp/out') ]"

run "$vms" show
check "two VMs: show exits 0" expect_success
check "two VMs: show has the VM table after the PMU table" sh -c "
	grep -n -e '^PMU ' -e '^VM ' '$tmp/out' | cut -d: -f2 | cut -c1-3 |
		tr '\n' ' ' | grep -qx 'PMU VM  '"
check "two VMs: show is module (5), blank, PMUs (3), blank, VMs (5)" out_lines 15
check "two VMs: show has a VM row" \
	out_has '^1234\.0 +1234 +fixed +0 +armv8_cortex_a72 +2031 +1000$'

run "$vms" vm show 987 -j
check "vm show PID: exit 0" expect_success
check "vm show PID: only that process's VMs" json_is "[$vm_987]"
run "$vms" vm show 1234
check "vm show PID (text): only 1234.0 rows" sh -c "
	[ \$(wc -l <'$tmp/out') -eq 3 ] && ! grep -q '^987' '$tmp/out' &&
	grep -q '^1234\.0 ' '$tmp/out'"
run "$vms" vm show 4242 -j
check "vm show PID without VMs: empty array" json_is '[]'
run "$vms" vm show 4242
check "vm show PID without VMs: 'no VMs'" out_is "no VMs"

# The pid file is what counts, not the directory name.
pid=$tmp/pid
make_module "$pid"
add_vm "$pid" 1.0 77 emulated
add_vcpu "$pid" 1.0 0 none 1 0
add_vm "$pid" 2.0 88 emulated
printf 'garbage\n' >"$pid/vm/2.0/mode"
add_vcpu "$pid" 2.0 0 none junk 0
run "$pid" vm show 77 -j
check "vm show PID: filters on the pid file, other VMs are not read" \
	json_is '[{"name":"1.0","pid":77,"mode":"emulated","vcpus":[{"id":0,"backing_pmu":"none","loads":1,"backing_switches":0}]}]'
run "$pid" vm show 1 -j
check "vm show PID: not matched on the directory name" json_is '[]'

for value in abc 0 +5 12x 0x10 '' ' 5' 2147483648 99999999999999999999999; do
	for root in "$vms" "$tmp/does-not-exist"; do
		run "$root" vm show "$value"
		check "vm show PID '$value' ($(basename "$root")): exit 2, one Error line" \
			expect_error 2 "invalid PID"
	done
done
run "$vms" vm show -- -1
check "vm show -- -1: exit 2, invalid PID" expect_error 2 "invalid PID '-1'"
run "$vms" vm show -1
check "vm show -1: exit 2, taken as an unknown option" expect_error 2 "'-1'"
run "$vms" vm show 987 987
check "vm show PID PID: exit 2, the extra argument named" expect_error 2 "'987'"

# Vanishing VMs and vCPUs: a directory without its files is skipped.
gone=$tmp/gone
make_module "$gone"
add_vm "$gone" 5.0 5 fixed
add_vcpu "$gone" 5.0 0 armv8_pmuv3_0 7 1
mkdir "$gone/vm/5.0/vcpu1"
add_vcpu "$gone" 5.0 2 none 9 0
rm "$gone/vm/5.0/vcpu2/backing_switches"
mkdir "$gone/vm/6.0"
add_vm "$gone" 7.0 7 emulated
add_vcpu "$gone" 7.0 0 none 1 0
rm "$gone/vm/7.0/mode"
run "$gone" vm show -j
check "vanishing vCPUs and VMs: exit 0" expect_success
check "vanishing vCPUs and VMs: skipped, the rest shown" \
	json_is '[{"name":"5.0","pid":5,"mode":"fixed","vcpus":[{"id":0,"backing_pmu":"armv8_pmuv3_0","loads":7,"backing_switches":1}]}]'
run "$gone" vm show
check "vanishing vCPUs and VMs (text): one row" sh -c "
	[ \$(wc -l <'$tmp/out') -eq 2 ] &&
	grep -Eq '^5\.0 +5 +fixed +0 +armv8_pmuv3_0 +7 +1$' '$tmp/out'"

# A VM without vCPUs: an empty array, one row of "-".
add_vm "$gone" 8.0 8 emulated
run "$gone" vm show 8 -j
check "VM without vCPUs: empty vcpus array" \
	json_is '[{"name":"8.0","pid":8,"mode":"emulated","vcpus":[]}]'
run "$gone" vm show 8
check "VM without vCPUs (text): one row of '-'" out_has '^8\.0 +8 +emulated +- +- +- +-$'

# Invalid values and read errors other than ENOENT are errors naming the file.
bad=$tmp/badvm
for file in loads backing_switches; do
	for value in 12abc -1 '' 18446744073709551616; do
		make_module "$bad"
		add_vm "$bad" 3.0 3 fixed
		add_vcpu "$bad" 3.0 0 none 1 1
		printf '%s\n' "$value" >"$bad/vm/3.0/vcpu0/$file"
		run "$bad" vm show -j
		check "vcpu0/$file '$value': exit 1, error names the file" \
			expect_error 1 "$bad/vm/3.0/vcpu0/$file"
	done
done
run "$bad" show
check "garbage in a VM file fails 'show' too" \
	expect_error 1 "$bad/vm/3.0/vcpu0/backing_switches"
run "$bad" module show
check "module show does not read the VM files" expect_success

make_module "$bad"
add_vm "$bad" 3.0 three fixed
run "$bad" vm show
check "pid 'three': exit 1, error names the file" expect_error 1 "$bad/vm/3.0/pid"
make_module "$bad"
add_vm "$bad" 3.0 3 ''
run "$bad" vm show
check "empty mode: exit 1, error names the file" expect_error 1 "$bad/vm/3.0/mode"
make_module "$bad"
add_vm "$bad" 3.0 3 fixed
add_vcpu "$bad" 3.0 0 '' 1 1
run "$bad" vm show
check "empty backing_pmu: exit 1, error names the file" \
	expect_error 1 "$bad/vm/3.0/vcpu0/backing_pmu"
make_module "$bad"
add_vm "$bad" 3.0 3 fixed
add_vcpu "$bad" 3.0 0 none 1 1
rm "$bad/vm/3.0/vcpu0/loads"
mkdir "$bad/vm/3.0/vcpu0/loads"
run "$bad" vm show
check "loads is a directory: exit 1, error names the file" \
	expect_error 1 "cannot read $bad/vm/3.0/vcpu0/loads"
make_module "$bad"
printf 'x\n' >"$bad/vm"
run "$bad" vm show
check "vm is a file: exit 1, error names it" expect_error 1 "$bad/vm"

### Module not loaded.

for args in "show" "module show" "pmu show" "-j show" "pmu -p" "vm show" "vm -j"; do
	# shellcheck disable=SC2086
	run "$tmp/does-not-exist" $args
	check "not loaded: '$args' exits 1 with the load hint" \
		expect_error 1 "Error: kvm_pmu_partition is not loaded (load it with: modprobe kvm_pmu_partition, or insmod kvm_pmu_partition.ko)"
done

printf 'x\n' >"$tmp/not-a-dir"
run "$tmp/not-a-dir" show
check "sysfs root is a file: exit 1" expect_error 1 "not a directory"

### Corrupt values.

for value in 6x ' 6' -1 +6 0x6 '' 99999999999999999999999 "$(printf '6\n7')"; do
	tree=$tmp/corrupt
	make_module "$tree"
	add_pmu "$tree" armv8_pmuv3_0 0-1 6 1 2 4 6
	printf '%s\n' "$value" >"$tree/pmus/armv8_pmuv3_0/counters"
	run "$tree" show
	check "counters '$(printf '%s' "$value" | tr '\n' '|')': exit 1, error names the file" \
		expect_error 1 "pmus/armv8_pmuv3_0/counters"
done

make_module "$tree"
add_pmu "$tree" armv8_pmuv3_0 0-1 6 2 2 4 6
run "$tree" pmu show -j
check "cycle_counter '2': exit 1, error names the file" expect_error 1 "cycle_counter"
run "$tree" module show
check "module show does not read the PMU files" expect_success

for value in 3-1 0- 0,,1 a '0-1,' ,1 1,0 0-1,1 1-2-3 99999999; do
	make_module "$tree"
	add_pmu "$tree" armv8_pmuv3_0 "$value" 6 1 2 4 6
	run "$tree" pmu show
	check "cpus '$value': exit 1, error names the file" expect_error 1 "armv8_pmuv3_0/cpus"
done

make_module "$tree" abi_version=one
run "$tree" module show -j
check "abi_version 'one': exit 1, error names the file" expect_error 1 "abi_version"
make_module "$tree" fgt_present=yes
run "$tree" show
check "fgt_present 'yes': exit 1, error names the file" expect_error 1 "fgt_present"
make_module "$tree" default_mode=
run "$tree" show
check "empty default_mode: exit 1, error names the file" expect_error 1 "default_mode"

### Missing required files.

for file in version abi_version default_mode fgt fgt_present reserved_host_counters vms; do
	make_module "$tree"
	rm "$tree/$file"
	run "$tree" module show
	check "missing $file: exit 1, error names the file" expect_error 1 "$tree/$file"
done

for file in cpus counters cycle_counter reserved_host_counters guest_counters pmuver; do
	make_module "$tree"
	add_pmu "$tree" armv8_pmuv3_0 0-1 6 1 2 4 6
	rm "$tree/pmus/armv8_pmuv3_0/$file"
	run "$tree" show -j
	check "missing pmus/armv8_pmuv3_0/$file: exit 1, error names the file" \
		expect_error 1 "$tree/pmus/armv8_pmuv3_0/$file"
done

make_module "$tree"
rmdir "$tree/pmus"
run "$tree" pmu show
check "missing pmus/: exit 1, error names the directory" expect_error 1 "$tree/pmus"

### Usage errors: exit 2, before the module is looked at.

for args in "frob" "module frob" "pmu frob" "vm frob" "show extra" "module show extra" \
	    "--bogus show" "-x show" "--json=1 show" "-jx show" "help extra" ""; do
	for root in "$one" "$tmp/does-not-exist"; do
		# shellcheck disable=SC2086
		run "$root" $args
		check "usage error '$args' ($(basename "$root")): exit 2, one Error line" \
			expect_error 2 "Error: "
	done
done
run "$one" -jx show
check "unknown short option is named" grep -qF "'-x'" "$tmp/err"
run "$one" --bogus show
check "unknown long option is named" grep -qF "'--bogus'" "$tmp/err"

### Help and version.

for args in "help" "--help" "-h" "-h show"; do
	# shellcheck disable=SC2086
	run "$one" $args
	check "'$args': exit 0 with the usage" \
		sh -c "[ $rc -eq 0 ] && grep -q '^Usage: pmuctl ' '$tmp/out'"
done
for object in module pmu vm; do
	run "$tmp/does-not-exist" $object help
	check "'$object help': exit 0 with the $object usage" \
		sh -c "[ $rc -eq 0 ] && grep -q '^Usage: pmuctl \[OPTIONS\] $object ' '$tmp/out'"
done

for args in "--version" "-V"; do
	run "$tmp/does-not-exist" $args
	check "'$args': prints 'pmuctl $expected_version'" \
		sh -c "[ $rc -eq 0 ] && [ \"\$(cat '$tmp/out')\" = 'pmuctl $expected_version' ]"
done
run "$one" -j --version
check "'-j --version': JSON version" json_is "{\"pmuctl_version\":\"$expected_version\"}"

### Output errors.

if [ -w /dev/full ]; then
	PMUCTL_SYSFS_ROOT=$one "$PMUCTL" show >/dev/full 2>"$tmp/err"
	rc=$?
	: >"$tmp/out"
	check "write error on stdout: exit 1" expect_error 1 "standard output"
else
	tests=$((tests + 1))
	echo "ok $tests - write error on stdout # SKIP no /dev/full"
fi

echo "1..$tests"
if [ "$failed" -ne 0 ]; then
	diag "$failed of $tests tests failed"
	exit 1
fi
exit 0
