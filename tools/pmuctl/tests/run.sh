#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run.sh - host tests for pmuctl, TAP output.
#
# Owns: building fake kvm_pmu_partition sysfs trees in a temporary directory
# (of the current module, 0.2.0, and of older ones without its files) and
# checking pmuctl's exit status, error lines (and JSON errors with -j),
# human output and JSON (parsed with python3 and compared value by value,
# types included) against them, what "pmuctl pmu reserve" writes or reports
# (the module's refusals are faked with PMUCTL_FAKE_WRITE_ERRNO, which only
# the test build has), "pmuctl metrics" (parsed and linted by promtool,
# which must be installed: Debian's prometheus package, as
# tests/rig/setup-host.sh does; its samples read back with a strict reader
# of the format), help, abbreviations, range errors, the bash completion
# and "make install".  Exits non-zero when any test fails.
#
# Environment: PMUCTL (the shipped binary to test, default: ../pmuctl next
# to this script), PMUCTL_TEST (the test build, with the write-error hook;
# default: test-hooks/pmuctl next to PMUCTL; its tests are skipped when it
# is missing), PMUCTL_BUILD_DIR (the O= of PMUCTL, for "make install";
# default: a new build in the temporary directory),
# PMUCTL_EXPECTED_VERSION (default: 0.2.0).

# The check helpers are only called through check(), indirectly.
# shellcheck disable=SC2317

set -u

here=$(cd "$(dirname "$0")" && pwd)
PMUCTL=${PMUCTL:-$here/../pmuctl}
PMUCTL_TEST=${PMUCTL_TEST:-$(dirname "$PMUCTL")/test-hooks/pmuctl}
expected_version=${PMUCTL_EXPECTED_VERSION:-0.2.0}

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

# json_args ARGS...: sets json_mode to 1 when ARGS ask for JSON (-j, -p,
# --json, --pretty, or a cluster of short options with j or p).
json_args()
{
	json_mode=0
	for arg in "$@"; do
		case $arg in
		--) break ;;
		--json | --pretty) json_mode=1 ;;
		--*) ;;
		-*[jp]*) json_mode=1 ;;
		esac
	done
}

# run ROOT ARGS...: run pmuctl on the sysfs tree ROOT; sets rc, json_mode,
# $tmp/out, $tmp/err.
run()
{
	root=$1
	shift
	json_args "$@"
	PMUCTL_SYSFS_ROOT=$root "$PMUCTL" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# make_module ROOT [FILE=VALUE...]: a module 0.2.0 tree with default
# values, an empty pmus/ directory, no cpus/ and no vm/, and FILE=VALUE
# overrides.
make_module()
{
	root=$1
	shift
	rm -rf "$root"
	mkdir -p "$root/pmus"
	printf '0.2.0\n' >"$root/version"
	printf '1\n' >"$root/abi_version"
	printf 'emulated\n' >"$root/default_mode"
	printf 'auto\n' >"$root/fgt"
	printf '1\n' >"$root/fgt_present"
	printf '2\n' >"$root/reserved_host_counters"
	printf '0\n' >"$root/vms"
	printf 'fgt\n' >"$root/trap_policy"
	printf '1\n' >"$root/fast_path"
	printf '0\n' >"$root/partitioned_vms"
	printf '0\n' >"$root/counters_claimed"
	for assignment in "$@"; do
		printf '%s\n' "${assignment#*=}" >"$root/${assignment%%=*}"
	done
}

# The files that modules before 0.2.0 do not have, at the top of the root.
new_module_files="trap_policy fast_path partitioned_vms counters_claimed"

# make_old_module ROOT [FILE=VALUE...]: a module 0.1.0 tree, without them.
make_old_module()
{
	make_module "$@"
	for file in $new_module_files; do
		rm "$1/$file"
	done
	printf '0.1.0\n' >"$1/version"
}

# add_cpu ROOT N PMU OWNER [LAST_OWNER]: without LAST_OWNER, no last_owner
# file (module 0.2.0 before it).
add_cpu()
{
	dir=$1/cpus/cpu$2
	mkdir -p "$dir"
	printf '%s\n' "$3" >"$dir/pmu"
	printf '%s\n' "$4" >"$dir/owner"
	if [ $# -ge 5 ]; then
		printf '%s\n' "$5" >"$dir/last_owner"
	fi
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

# add_vm ROOT NAME PID MODE [HPMN]: a vm/NAME/ directory without vCPUs;
# HPMN defaults to -1 (not partitioned).
add_vm()
{
	dir=$1/vm/$2
	mkdir -p "$dir"
	printf '%s\n' "$3" >"$dir/pid"
	printf '%s\n' "$4" >"$dir/mode"
	printf '%s\n' "${5:--1}" >"$dir/hpmn"
}

# add_vcpu ROOT VM ID BACKING_PMU LOADS BACKING_SWITCHES: the files of
# every module version; modules before 0.2.0 have no others.
add_vcpu()
{
	dir=$1/vm/$2/vcpu$3
	mkdir -p "$dir"
	printf '%s\n' "$4" >"$dir/backing_pmu"
	printf '%s\n' "$5" >"$dir/loads"
	printf '%s\n' "$6" >"$dir/backing_switches"
}

# The registers of a traps file, in the module's order.
trap_registers="pmcr pmcnten pminten pmovs pmselr pmccntr pmevcntr pmevtyper pmuserenr pmswinc pmceid pmmir"

# add_vcpu_partition ROOT VM ID STATE CPU SWAPS_IN SWAPS_OUT OVERFLOWS BASE:
# the files of module 0.2.0 for a vCPU made by add_vcpu; register number i
# (from 0) of the traps file has BASE+i fast and i full accesses.
add_vcpu_partition()
{
	dir=$1/vm/$2/vcpu$3
	printf '%s\n' "$4" >"$dir/state"
	printf '%s\n' "$5" >"$dir/cpu"
	printf '%s\n' "$6" >"$dir/swaps_in"
	printf '%s\n' "$7" >"$dir/swaps_out"
	printf '%s\n' "$8" >"$dir/overflows"
	i=0
	for register in $trap_registers; do
		printf '%s %s %s\n' "$register" $(($9 + i)) $i
		i=$((i + 1))
	done >"$dir/traps"
}

# traps_json BASE: the JSON traps object add_vcpu_partition writes.
traps_json()
{
	python3 -c '
import json, sys
base = int(sys.argv[1])
traps = {r: {"fast": base + i, "full": i} for i, r in enumerate(sys.argv[2].split())}
print(json.dumps(traps, separators=(",", ":")))' "$1" "$trap_registers"
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
# line starting with "Error: " and containing TEXT; or, when the command
# asked for JSON (json_mode), stderr empty and stdout the JSON object
# {"error": MESSAGE}, MESSAGE containing TEXT without a leading "Error: ".
expect_error()
{
	if [ "$json_mode" = 1 ]; then
		expect_json_error "$@"
		return
	fi
	expect_rc "$1" || return 1
	[ ! -s "$tmp/out" ] || { diag "stdout is not empty"; return 1; }
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || { diag "stderr is not one line"; return 1; }
	case $(cat "$tmp/err") in
	"Error: "*) ;;
	*) diag "stderr does not start with 'Error: '"; return 1 ;;
	esac
	grep -qF -- "$2" "$tmp/err" || { diag "stderr does not contain '$2'"; return 1; }
}

# expect_json_error STATUS TEXT: exit STATUS, stderr empty, stdout exactly
# one JSON object with one member, "error", a string containing TEXT (less
# a leading "Error: ").
expect_json_error()
{
	expect_rc "$1" || return 1
	[ ! -s "$tmp/err" ] || { diag "stderr is not empty"; return 1; }
	python3 - "$tmp/out" "${2#Error: }" <<'PYTHON'
import json
import sys

try:
    with open(sys.argv[1], encoding="utf-8") as f:
        got = json.load(f)
except ValueError as e:
    print("# stdout is not JSON: %s" % e)
    sys.exit(1)
if not (isinstance(got, dict) and list(got) == ["error"] and
        isinstance(got["error"], str)):
    print("# not {\"error\": STRING}: %r" % got)
    sys.exit(1)
if sys.argv[2] not in got["error"]:
    print("# the error does not contain %r" % sys.argv[2])
    sys.exit(1)
PYTHON
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
add_cpu "$one" 0 armv8_pmuv3_0 free none
add_cpu "$one" 1 armv8_pmuv3_0 free 1234.0/vcpu0

one_module='{"version":"0.2.0","abi_version":1,"default_mode":"emulated","fgt":"auto","fgt_present":true,"trap_policy":"fgt","fast_path":true,"reserved_host_counters":2,"counters_claimed":false,"partitioned_vms":0,"attached_vms":0}'
one_pmus='[{"name":"armv8_pmuv3_0","cpulist":"0-1","cpu_list":[0,1],"counters":6,"cycle_counter":true,"reserved_host_counters":2,"guest_counters":4,"pmuver":6}]'
one_cpus='[{"cpu":0,"pmu":"armv8_pmuv3_0","owner":"free","last_owner":"none","state":"free","claimed_counters":null},{"cpu":1,"pmu":"armv8_pmuv3_0","owner":"free","last_owner":"1234.0/vcpu0","state":"free","claimed_counters":null}]'
one_doc="{\"pmuctl_version\":\"$expected_version\",\"module\":$one_module,\"pmus\":$one_pmus,\"cpus\":$one_cpus,\"vms\":[]}"

run "$one" show
check "show: exit 0, output on stdout only" expect_success
check "show: header names version and hook ABI" \
	out_has '^kvm_pmu_partition 0\.2\.0 \(hook ABI 1\)$'
check "show: default mode line" out_has '^  default mode: +emulated$'
check "show: fine-grained traps line" \
	out_has '^  fine-grained traps: +auto \(FEAT_FGT present\)$'
check "show: trap policy line" out_has '^  trap policy: +fgt$'
check "show: fast path line" out_has '^  fast path: +yes$'
check "show: reserved host counters line" out_has '^  reserved host counters: +2$'
check "show: counters claimed line" out_has '^  counters claimed: +no$'
check "show: partitioned VMs line" out_has '^  partitioned VMs: +0$'
check "show: VMs attached line" out_has '^  VMs attached: +0$'
check "show: module values aligned in one column" sh -c "
	[ \$(sed -n '2,9p' '$tmp/out' | sed 's/:  *[^ ].*//' | wc -l) -eq 8 ] &&
	[ \$(sed -n '2,9p' '$tmp/out' | awk '{ match(\$0, /:  *[^ ]/); print RSTART + RLENGTH }' |
		sort -u | wc -l) -eq 1 ]"
check "show: table header" out_has '^PMU +CPUs +COUNTERS +CYCLE +HOST +GUEST +PMUVER$'
check "show: table row" out_has '^armv8_pmuv3_0 +0-1 +6 +yes +2 +4 +6$'
check "show: CPU table header" out_has '^CPU +PMU +STATE +OWNER +CLAIMED +LAST OWNER$'
check "show: CPU rows, the last owner of a free CPU" sh -c "
	grep -Eq '^0 +armv8_pmuv3_0 +free +- +- +none$' '$tmp/out' &&
	grep -Eq '^1 +armv8_pmuv3_0 +free +- +- +1234\.0/vcpu0$' '$tmp/out'"
check "show: module (9), blank, PMUs (2), blank, CPUs (3)" out_lines 16

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

bl_module='{"version":"0.2.0-rc1","abi_version":7,"default_mode":"partitioned","fgt":"off","fgt_present":false,"trap_policy":"fgt","fast_path":true,"reserved_host_counters":1,"counters_claimed":false,"partitioned_vms":0,"attached_vms":3}'
bl_pmus='[{"name":"armv8_cortex_a53","cpulist":"0-1","cpu_list":[0,1],"counters":6,"cycle_counter":false,"reserved_host_counters":1,"guest_counters":5,"pmuver":1},{"name":"armv8_cortex_a72","cpulist":"2-3","cpu_list":[2,3],"counters":6,"cycle_counter":true,"reserved_host_counters":2,"guest_counters":4,"pmuver":4}]'

run "$bl" show -j
check "big.LITTLE show -j: exit 0" expect_success
check "big.LITTLE show -j: both PMUs sorted by name, all values" \
	json_is "{\"pmuctl_version\":\"$expected_version\",\"module\":$bl_module,\"pmus\":$bl_pmus,\"cpus\":[],\"vms\":[]}"
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
check "big.LITTLE show: 9 header lines, blank, table header, 2 rows" out_lines 13

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
	"{\"pmuctl_version\":\"$expected_version\",\"module\":$one_module,\"pmus\":[],\"cpus\":[],\"vms\":[]}"
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

# The vCPU members of module 0.2.0's files, for a vCPU without them.
old_vcpu='"state":null,"cpu":null,"swaps_in":null,"swaps_out":null,"overflows":null,"traps":null'

# Two VMs of two vCPUs each, created out of order: names sort in byte order
# ("1234.0" before "987.1"), vCPU ids numerically (2 before 10).  987.1 is
# partitioned, its vCPU 10 guest-owned on CPU 3.
vms=$tmp/vms
make_module "$vms" vms=2 default_mode=fixed partitioned_vms=1 counters_claimed=1
add_pmu "$vms" armv8_cortex_a53 0-1 6 1 2 4 4
add_pmu "$vms" armv8_cortex_a72 2-3 6 1 2 4 4
add_vm "$vms" 987.1 987 partitioned 4
add_vcpu "$vms" 987.1 10 armv8_cortex_a53 18446744073709551615 4294967296
add_vcpu_partition "$vms" 987.1 10 guest-owned 3 18446744073709551615 7 4294967296 100
add_vcpu "$vms" 987.1 2 none 0 0
add_vcpu_partition "$vms" 987.1 2 free -1 0 0 0 0
add_vm "$vms" 1234.0 1234 fixed
add_vcpu "$vms" 1234.0 1 none 3 0
add_vcpu_partition "$vms" 1234.0 1 free -1 1 1 0 0
add_vcpu "$vms" 1234.0 0 armv8_cortex_a72 2031 1000
add_vcpu_partition "$vms" 1234.0 0 free -1 0 0 0 0
printf 'x\n' >"$vms/vm/not-a-vm"
# Not vCPUs: other entries of a VM directory are ignored.
add_vcpu "$vms" 1234.0 x none 5 5
add_vcpu "$vms" 1234.0 01 none 5 5

traps_0=$(traps_json 0)
traps_100=$(traps_json 100)
vm_1234="{\"name\":\"1234.0\",\"pid\":1234,\"mode\":\"fixed\",\"hpmn\":null,\"vcpus\":[{\"id\":0,\"backing_pmu\":\"armv8_cortex_a72\",\"loads\":2031,\"backing_switches\":1000,\"state\":\"free\",\"cpu\":null,\"swaps_in\":0,\"swaps_out\":0,\"overflows\":0,\"traps\":$traps_0},{\"id\":1,\"backing_pmu\":\"none\",\"loads\":3,\"backing_switches\":0,\"state\":\"free\",\"cpu\":null,\"swaps_in\":1,\"swaps_out\":1,\"overflows\":0,\"traps\":$traps_0}]}"
vm_987="{\"name\":\"987.1\",\"pid\":987,\"mode\":\"partitioned\",\"hpmn\":4,\"vcpus\":[{\"id\":2,\"backing_pmu\":\"none\",\"loads\":0,\"backing_switches\":0,\"state\":\"free\",\"cpu\":null,\"swaps_in\":0,\"swaps_out\":0,\"overflows\":0,\"traps\":$traps_0},{\"id\":10,\"backing_pmu\":\"armv8_cortex_a53\",\"loads\":18446744073709551615,\"backing_switches\":4294967296,\"state\":\"guest-owned\",\"cpu\":3,\"swaps_in\":18446744073709551615,\"swaps_out\":7,\"overflows\":4294967296,\"traps\":$traps_100}]}"

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
check "two VMs: show -j has the cpus and vms arrays after pmus" python3 -c '
import json, sys
try:
    doc = json.load(open(sys.argv[1]))
except ValueError:
    sys.exit(1)
keys = list(doc)
print("# keys: %r" % keys)
sys.exit(0 if keys == ["pmuctl_version", "module", "pmus", "cpus", "vms"] and
         [v["name"] for v in doc["vms"]] == ["1234.0", "987.1"] else 1)' "$tmp/out"
check "two VMs: show -j, vms equal vm show -j" sh -c "
python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))[\"vms\"]))' '$tmp/out' |
	cmp -s - '$tmp/expected-vms'"

run "$vms" vm show
check "two VMs: vm show exits 0" expect_success
check "two VMs: table header" \
	out_has '^VM +PID +MODE +HPMN +VCPU +BACKING PMU +LOADS +SWITCHES +STATE +CPU +SWAPS IN +SWAPS OUT +OVERFLOWS$'
check "two VMs: 1234.0 vCPU 0 row" \
	out_has '^1234\.0 +1234 +fixed +- +0 +armv8_cortex_a72 +2031 +1000 +free +- +0 +0 +0$'
check "two VMs: 1234.0 vCPU 1 row" \
	out_has '^1234\.0 +1234 +fixed +- +1 +none +3 +0 +free +- +1 +1 +0$'
check "two VMs: 987.1 vCPU 2 row" \
	out_has '^987\.1 +987 +partitioned +4 +2 +none +0 +0 +free +- +0 +0 +0$'
check "two VMs: 987.1 vCPU 10 row" \
	out_has '^987\.1 +987 +partitioned +4 +10 +armv8_cortex_a53 +18446744073709551615 +4294967296 +guest-owned +3 +18446744073709551615 +7 +4294967296$'
check "two VMs: header and 4 rows, in name then id order" sh -c "
	[ \$(wc -l <'$tmp/out') -eq 5 ] &&
	awk 'NR > 1 { printf \"%s/%s \", \$1, \$5 }' '$tmp/out' |
		grep -qx '1234.0/0 1234.0/1 987.1/2 987.1/10 '"
check "two VMs: columns aligned" sh -c "
	[ \$(awk '{ print index(\$0, \"SWITCHES\") }' '$tmp/out' | head -n 1) -eq \
	  \$(awk 'NR == 5 { print index(\$0, \"4294967296\") }' '$tmp/out') ] &&
	[ \$(awk 'NR == 1 { print index(\$0, \"OVERFLOWS\") }' '$tmp/out') -eq \
	  \$(awk 'NR == 5 { match(\$0, /[^ ]+\$/); print RSTART }' '$tmp/out') ]"
check "two VMs: no trap table without -t" succeeds_without 'REGISTER'

run "$vms" show
check "two VMs: show exits 0" expect_success
check "two VMs: show has the VM table after the PMU table" sh -c "
	grep -n -e '^PMU ' -e '^VM ' '$tmp/out' | cut -d: -f2 | cut -c1-3 |
		tr '\n' ' ' | grep -qx 'PMU VM  '"
check "two VMs: show is module (9), blank, PMUs (3), blank, VMs (5)" out_lines 19
check "two VMs: show has a VM row" \
	out_has '^1234\.0 +1234 +fixed +- +0 +armv8_cortex_a72 +2031 +1000 +free +- +0 +0 +0$'

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
	json_is "[{\"name\":\"1.0\",\"pid\":77,\"mode\":\"emulated\",\"hpmn\":null,\"vcpus\":[{\"id\":0,\"backing_pmu\":\"none\",\"loads\":1,\"backing_switches\":0,$old_vcpu}]}]"
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
check "vm show -1: exit 2, out of range, negative" \
	expect_error 2 "Error: invalid PID '-1': out of range, a process id cannot be negative (expected 1 to 2147483647)"
run "$vms" vm show 0
check "vm show 0: exit 2, out of range" \
	expect_error 2 "Error: invalid PID '0': out of range for a process id (expected 1 to 2147483647)"
run "$vms" vm show 2147483648
check "vm show 2147483648: exit 2, out of range" \
	expect_error 2 "invalid PID '2147483648': out of range"
run "$vms" -j vm show -7
check "vm show -7 -j: the range error as JSON" \
	expect_json_error 2 "invalid PID '-7': out of range, a process id cannot be negative"
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
	json_is "[{\"name\":\"5.0\",\"pid\":5,\"mode\":\"fixed\",\"hpmn\":null,\"vcpus\":[{\"id\":0,\"backing_pmu\":\"armv8_pmuv3_0\",\"loads\":7,\"backing_switches\":1,$old_vcpu}]}]"
run "$gone" vm show
check "vanishing vCPUs and VMs (text): one row" sh -c "
	[ \$(wc -l <'$tmp/out') -eq 2 ] &&
	grep -Eq '^5\.0 +5 +fixed +- +0 +armv8_pmuv3_0 +7 +1 +- +- +- +- +-$' '$tmp/out'"

# A VM without vCPUs: an empty array, one row of "-".
add_vm "$gone" 8.0 8 emulated
run "$gone" vm show 8 -j
check "VM without vCPUs: empty vcpus array" \
	json_is '[{"name":"8.0","pid":8,"mode":"emulated","hpmn":null,"vcpus":[]}]'
run "$gone" vm show 8
check "VM without vCPUs (text): one row of '-'" out_has '^8\.0 +8 +emulated( +-){10}$'
run "$gone" vm show 8 -t
check "VM without vCPUs (-t): one trap row of '-'" out_has '^8\.0 +- +- +- +-$'

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

### Trapped register accesses: -t and the traps member.

run "$vms" vm show -t
check "vm show -t: exit 0" expect_success
check "vm show -t: trap table header after a blank line" sh -c "
	sed -n '6p' '$tmp/out' | grep -qx '' &&
	sed -n '7p' '$tmp/out' | grep -Eqx 'VM +VCPU +REGISTER +FAST +FULL'"
check "vm show -t: VM table (5), blank, trap header, 4 vCPUs of 12 registers" out_lines 55
check "vm show -t: 987.1 vCPU 10 pmcr row" out_has '^987\.1 +10 +pmcr +100 +0$'
check "vm show -t: 987.1 vCPU 10 pmmir row" out_has '^987\.1 +10 +pmmir +111 +11$'
check "vm show -t: registers in the file's order" sh -c "
	awk '\$1 == \"987.1\" && \$2 == \"10\" && NF == 5 { printf \"%s \", \$3 }' '$tmp/out' |
		grep -qx '$trap_registers '"
check "vm show -t: vCPUs in VM then id order" sh -c "
	awk 'NR > 7 { print \$1 \"/\" \$2 }' '$tmp/out' | uniq | tr '\n' ' ' |
		grep -qx '1234.0/0 1234.0/1 987.1/2 987.1/10 '"
run "$vms" vm show --traps 987
check "vm show --traps PID: only that VM's rows" sh -c "
	[ \$(wc -l <'$tmp/out') -eq 29 ] && ! grep -q '^1234' '$tmp/out'"
run "$vms" show --traps
check "show --traps: the trap table ends the output" sh -c "
	[ \$(wc -l <'$tmp/out') -eq 69 ] &&
	tail -n 1 '$tmp/out' | grep -Eqx '987\.1 +10 +pmmir +111 +11'"
run "$vms" vm show -t -j
check "vm show -t -j: the same JSON as without -t" json_is "[$vm_1234,$vm_987]"
check "vm show -j: traps members in the file's order" python3 -c '
import json, sys
try:
    vms = json.load(open(sys.argv[1]))
except ValueError:
    sys.exit(1)
order = [list(c["traps"]) for v in vms for c in v["vcpus"]]
sys.exit(0 if all(o == sys.argv[2].split() for o in order) else 1)' "$tmp/out" "$trap_registers"
run "$vms" -t module show
check "-t: module show ignores it" sh -c "
	[ $rc -eq 0 ] && ! grep -q REGISTER '$tmp/out' && grep -q 'VMs attached' '$tmp/out'"

# The traps file: blanks, order, other registers, an empty table.
tr=$tmp/traps
make_module "$tr"
add_vm "$tr" 3.0 3 partitioned 2
add_vcpu "$tr" 3.0 0 none 1 1
add_vcpu_partition "$tr" 3.0 0 guest-owned 0 1 0 0 0
printf 'pmselr\t 5   6\npmfuture 0 18446744073709551615\npmcr 1 2' >"$tr/vm/3.0/vcpu0/traps"
add_vcpu "$tr" 3.0 1 none 1 1
add_vcpu_partition "$tr" 3.0 1 free -1 0 0 0 0
: >"$tr/vm/3.0/vcpu1/traps"
run "$tr" vm show -j
check "traps: blanks, file order, new registers, no final newline, empty file" python3 -c '
import json, sys
try:
    vcpus = json.load(open(sys.argv[1]))[0]["vcpus"]
except ValueError:
    sys.exit(1)
want = {"pmselr": {"fast": 5, "full": 6},
        "pmfuture": {"fast": 0, "full": 18446744073709551615},
        "pmcr": {"fast": 1, "full": 2}}
sys.exit(0 if list(vcpus[0]["traps"]) == list(want) and vcpus[0]["traps"] == want and
         vcpus[1]["traps"] == {} else 1)' "$tmp/out"
run "$tr" vm show -t
check "traps: a vCPU with an empty table has one row of '-'" out_has '^3\.0 +1 +- +- +-$'
check "traps: a new register is shown" out_has '^3\.0 +0 +pmfuture +0 +18446744073709551615$'

for value in 'pmcr 1' 'pmcr 1 2 3' 'PMCR 1 2' 'pmcr x 2' 'pmcr -1 2' 'pmcr 1 +2' \
	     'pmcr 1 18446744073709551616' "$(printf 'pmcr 1 2\n\npmselr 1 2')" \
	     "$(printf 'pmcr 1 2\npmcr 3 4')" 'pmcr-x 1 2' \
	     "$(printf 'pmcr 1 2\nreg_with_a_name_of_thirty_two_ch 1 2')"; do
	printf '%s\n' "$value" >"$tr/vm/3.0/vcpu0/traps"
	run "$tr" vm show -j
	check "traps '$(printf '%s' "$value" | tr '\n\t' '|>')': exit 1, error names the file" \
		expect_error 1 "$tr/vm/3.0/vcpu0/traps"
done
i=0
while [ $i -lt 33 ]; do
	printf 'r%d 0 0\n' $i
	i=$((i + 1))
done >"$tr/vm/3.0/vcpu0/traps"
run "$tr" vm show
check "traps: 33 registers: exit 1, error names the file" \
	expect_error 1 "$tr/vm/3.0/vcpu0/traps: more than 32 registers"
head -n 32 "$tr/vm/3.0/vcpu0/traps" >"$tmp/traps32"
cp "$tmp/traps32" "$tr/vm/3.0/vcpu0/traps"
run "$tr" vm show -j
check "traps: 32 registers are accepted" expect_success

### The vCPU and VM files of module 0.2.0: values, types, errors.

pv=$tmp/partitioned
for file in state cpu swaps_in swaps_out overflows traps; do
	make_module "$pv"
	add_vm "$pv" 3.0 3 partitioned 5
	add_vcpu "$pv" 3.0 0 none 1 1
	add_vcpu_partition "$pv" 3.0 0 guest-owned 2 4 3 1 0
	rm "$pv/vm/3.0/vcpu0/$file"
	run "$pv" vm show -j
	check "vCPU without $file: exit 0, $file null, the others read" python3 -c '
import json, sys
try:
    vcpu = json.load(open(sys.argv[1]))[0]["vcpus"][0]
except (ValueError, IndexError):
    sys.exit(1)
new = ["state", "cpu", "swaps_in", "swaps_out", "overflows", "traps"]
sys.exit(0 if vcpu[sys.argv[2]] is None and
         all(vcpu[k] is not None for k in new if k != sys.argv[2]) else 1)' "$tmp/out" "$file"
	if [ "$file" = traps ]; then
		run "$pv" vm show -t
		check "vCPU without traps (text): a trap row of '-'" \
			out_has '^3\.0 +0 +- +- +-$'
	else
		run "$pv" vm show
		check "vCPU without $file (text): its cell is '-'" sh -c "
			[ $rc -eq 0 ] && [ \$(wc -l <'$tmp/out') -eq 2 ] &&
			tail -n 1 '$tmp/out' | grep -Eq ' -( |\$)'"
	fi
done

make_module "$pv"
add_vm "$pv" 3.0 3 partitioned 0
add_vcpu "$pv" 3.0 0 none 1 1
add_vcpu_partition "$pv" 3.0 0 guest-owned 0 0 0 0 0
run "$pv" vm show -j
check "hpmn 0 and cpu 0 are numbers, not null" python3 -c '
import json, sys
try:
    vm = json.load(open(sys.argv[1]))[0]
except ValueError:
    sys.exit(1)
sys.exit(0 if type(vm["hpmn"]) is int and vm["hpmn"] == 0 and
         type(vm["vcpus"][0]["cpu"]) is int and vm["vcpus"][0]["cpu"] == 0 else 1)' "$tmp/out"
run "$pv" vm show
check "hpmn 0 and cpu 0 (text)" \
	out_has '^3\.0 +3 +partitioned +0 +0 +none +1 +1 +guest-owned +0 +0 +0 +0$'

for value in -2 -01 +1 x '' 1x 9223372036854775808; do
	for file in hpmn vcpu0/cpu; do
		make_module "$pv"
		add_vm "$pv" 3.0 3 partitioned 4
		add_vcpu "$pv" 3.0 0 none 1 1
		add_vcpu_partition "$pv" 3.0 0 free -1 0 0 0 0
		printf '%s\n' "$value" >"$pv/vm/3.0/$file"
		run "$pv" vm show -j
		check "$file '$value': exit 1, error names the file" \
			expect_error 1 "$pv/vm/3.0/$file"
	done
done
for file in swaps_in swaps_out overflows; do
	for value in 12abc -1 '' 18446744073709551616; do
		make_module "$pv"
		add_vm "$pv" 3.0 3 partitioned 4
		add_vcpu "$pv" 3.0 0 none 1 1
		add_vcpu_partition "$pv" 3.0 0 free -1 0 0 0 0
		printf '%s\n' "$value" >"$pv/vm/3.0/vcpu0/$file"
		run "$pv" vm show -j
		check "vcpu0/$file '$value': exit 1, error names the file" \
			expect_error 1 "$pv/vm/3.0/vcpu0/$file"
	done
done
make_module "$pv"
add_vm "$pv" 3.0 3 partitioned 4
add_vcpu "$pv" 3.0 0 none 1 1
add_vcpu_partition "$pv" 3.0 0 '' -1 0 0 0 0
run "$pv" vm show
check "empty state: exit 1, error names the file" expect_error 1 "$pv/vm/3.0/vcpu0/state"
rm "$pv/vm/3.0/vcpu0/state"
mkdir "$pv/vm/3.0/vcpu0/state"
run "$pv" vm show
check "state is a directory: exit 1, error names the file" \
	expect_error 1 "cannot read $pv/vm/3.0/vcpu0/state"

### An older module (0.1.0): none of the files of 0.2.0, not an error.

old=$tmp/old
make_old_module "$old" vms=1
add_pmu "$old" armv8_pmuv3_0 0-1 6 1 2 4 6
add_vm "$old" 3.0 3 fixed
rm "$old/vm/3.0/hpmn"
add_vcpu "$old" 3.0 0 armv8_pmuv3_0 5 1

old_module='{"version":"0.1.0","abi_version":1,"default_mode":"emulated","fgt":"auto","fgt_present":true,"trap_policy":null,"fast_path":null,"reserved_host_counters":2,"counters_claimed":null,"partitioned_vms":null,"attached_vms":1}'
old_vms="[{\"name\":\"3.0\",\"pid\":3,\"mode\":\"fixed\",\"hpmn\":null,\"vcpus\":[{\"id\":0,\"backing_pmu\":\"armv8_pmuv3_0\",\"loads\":5,\"backing_switches\":1,$old_vcpu}]}]"

run "$old" module show -j
check "0.1.0 module show -j: exit 0" expect_success
check "0.1.0 module show -j: the new members are null" json_is "$old_module"
run "$old" module show
check "0.1.0 module show: trap policy '-'" out_has '^  trap policy: +-$'
check "0.1.0 module show: fast path '-'" out_has '^  fast path: +-$'
check "0.1.0 module show: counters claimed '-'" out_has '^  counters claimed: +-$'
check "0.1.0 module show: partitioned VMs '-'" out_has '^  partitioned VMs: +-$'
run "$old" show -j
check "0.1.0 show -j: no CPUs, VM and vCPU members null" json_is \
	"{\"pmuctl_version\":\"$expected_version\",\"module\":$old_module,\"pmus\":$one_pmus,\"cpus\":[],\"vms\":$old_vms}"
run "$old" show
check "0.1.0 show: exit 0" expect_success
check "0.1.0 show: no CPU table" succeeds_without '^(CPU |no CPUs)'
check "0.1.0 show: VM row with '-' for the new columns" \
	out_has '^3\.0 +3 +fixed +- +0 +armv8_pmuv3_0 +5 +1 +- +- +- +- +-$'
check "0.1.0 show: module (9), blank, PMUs (2), blank, VMs (2)" out_lines 15
run "$old" cpu show
check "0.1.0 cpu show: exit 0" expect_success
check "0.1.0 cpu show: 'no CPUs listed'" out_is "no CPUs listed"
run "$old" cpu show -j
check "0.1.0 cpu show -j: exactly []" out_is "[]"
run "$old" vm show -t
check "0.1.0 vm show -t: a trap row of '-' per vCPU" out_has '^3\.0 +0 +- +- +-$'

opt=$tmp/optional
for file in $new_module_files; do
	make_module "$opt"
	rm "$opt/$file"
	run "$opt" module show -j
	check "missing $file: exit 0, module.$file null" python3 -c '
import json, sys
try:
    module = json.load(open(sys.argv[1]))
except ValueError:
    sys.exit(1)
new = sys.argv[3].split()
sys.exit(0 if module[sys.argv[2]] is None and
         all(module[k] is not None for k in new if k != sys.argv[2]) else 1)' \
		"$tmp/out" "$file" "$new_module_files"
done
for assignment in fast_path=yes counters_claimed=2 partitioned_vms=x partitioned_vms=-1 \
		  trap_policy=; do
	make_module "$opt" "$assignment"
	run "$opt" show
	check "$assignment: exit 1, error names the file" \
		expect_error 1 "$opt/${assignment%%=*}"
done

### CPUs: cpus/cpu<n>/.

cpus=$tmp/cpus
make_module "$cpus" partitioned_vms=1 counters_claimed=1
add_pmu "$cpus" armv8_cortex_a72 4-10 8 1 4 4 4
add_pmu "$cpus" armv8_cortex_a53 1-3 6 1 2 4 3
add_cpu "$cpus" 10 armv8_cortex_a72 free
add_cpu "$cpus" 2 armv8_cortex_a53 4242.0/vcpu1
add_cpu "$cpus" 0 none free
# Not CPUs: other entries are ignored; a CPU without its files is left out.
mkdir "$cpus/cpus/cpufreq" "$cpus/cpus/cpu01"
printf '0-10\n' >"$cpus/cpus/online"
mkdir "$cpus/cpus/cpu3"
printf 'free\n' >"$cpus/cpus/cpu3/owner"

cpus_json='[{"cpu":0,"pmu":"none","owner":"free","last_owner":null,"state":"free","claimed_counters":null},{"cpu":2,"pmu":"armv8_cortex_a53","owner":"4242.0/vcpu1","last_owner":null,"state":"guest-owned","claimed_counters":4},{"cpu":10,"pmu":"armv8_cortex_a72","owner":"free","last_owner":null,"state":"reserved","claimed_counters":4}]'
run "$cpus" cpu show -j
check "cpu show -j: exit 0" expect_success
check "cpu show -j: CPUs by number, owner a string, no last_owner file: null" \
	json_is "$cpus_json"
check "cpu show -j: one line" out_lines 1
run "$cpus" -p cpu
check "cpu -p: parsed values" json_is "$cpus_json"
run "$cpus" cpu show
check "cpu show: exit 0" expect_success
check "cpu show: header" out_has '^CPU +PMU +STATE +OWNER +CLAIMED +LAST OWNER$'
check "cpu show: rows in number order" sh -c "
	[ \$(wc -l <'$tmp/out') -eq 4 ] &&
	awk 'NR > 1 { printf \"%s \", \$1 }' '$tmp/out' | grep -qx '0 2 10 '"
check "cpu show: guest-owned row, no last_owner file: '-'" \
	out_has '^2 +armv8_cortex_a53 +guest-owned +4242\.0/vcpu1 +\[0,4\) +-$'
check "cpu show: columns aligned" sh -c "
	[ \$(awk 'NR == 1 { print index(\$0, \"OWNER\") }' '$tmp/out') -eq \
	  \$(awk 'NR == 3 { print index(\$0, \"4242\") }' '$tmp/out') ]"
cp "$tmp/out" "$tmp/cpu-show"
run "$cpus" cpu
check "cpu without a verb is cpu show" cmp -s "$tmp/out" "$tmp/cpu-show"
run "$cpus" show -j
check "show -j: the cpus array" python3 -c '
import json, sys
try:
    doc = json.load(open(sys.argv[1]))
except ValueError:
    sys.exit(1)
sys.exit(0 if doc["cpus"] == json.loads(sys.argv[2]) else 1)' "$tmp/out" "$cpus_json"
run "$cpus" show
check "show: the CPU table between the PMU and VM tables" sh -c "
	grep -n -e '^PMU ' -e '^CPU ' '$tmp/out' | cut -d: -f2 | cut -c1-3 |
		tr '\n' ' ' | grep -qx 'PMU CPU '"

# One JSON type per member name, wherever it appears (null aside).
cp -R "$vms" "$tmp/all"
add_cpu "$tmp/all" 0 armv8_cortex_a53 free 987.1/vcpu10
add_cpu "$tmp/all" 3 armv8_cortex_a72 987.1/vcpu10 987.1/vcpu10
run "$tmp/all" show -j
check "show -j: every member name has one JSON type" python3 -c '
import json, sys
try:
    doc = json.load(open(sys.argv[1]))
except ValueError:
    sys.exit(1)
types = {}
def walk(value, name=None):
    if name is not None and value is not None:
        types.setdefault(name, set()).add(type(value).__name__)
    if isinstance(value, dict):
        for k, v in value.items():
            # traps members are named by registers: not schema names.
            if name != "traps":
                walk(v, k)
    elif isinstance(value, list):
        for v in value:
            walk(v)
walk(doc)
mixed = {k: sorted(v) for k, v in types.items() if len(v) > 1}
print("# mixed: %r" % mixed)
sys.exit(0 if not mixed and "attached_vms" in types and "cpulist" in types else 1)' "$tmp/out"

make_module "$tmp/cpus-empty"
mkdir "$tmp/cpus-empty/cpus"
run "$tmp/cpus-empty" cpu show
check "empty cpus/: 'no CPUs listed'" out_is "no CPUs listed"
run "$tmp/cpus-empty" cpu show -j
check "empty cpus/: []" json_is '[]'

make_module "$opt"
add_cpu "$opt" 0 '' free
run "$opt" cpu show
check "empty cpus/cpu0/pmu: exit 1, error names the file" expect_error 1 "$opt/cpus/cpu0/pmu"
make_module "$opt"
add_cpu "$opt" 0 none ''
run "$opt" show -j
check "empty cpus/cpu0/owner: show fails, error names the file" \
	expect_error 1 "$opt/cpus/cpu0/owner"
run "$opt" module show
check "module show does not read the CPU files" expect_success
make_module "$opt"
add_cpu "$opt" 0 none free ''
run "$opt" cpu show
check "empty cpus/cpu0/last_owner: exit 1, error names the file" \
	expect_error 1 "$opt/cpus/cpu0/last_owner"
make_module "$opt" partitioned_vms=1 counters_claimed=1
add_pmu "$opt" armv8_pmuv3_0 0-2 6 1 2 4 6
add_cpu "$opt" 0 armv8_pmuv3_0 77.2/vcpu3 77.2/vcpu3
add_cpu "$opt" 1 armv8_pmuv3_0 free 77.2/vcpu1
add_cpu "$opt" 2 armv8_pmuv3_0 free
run "$opt" cpu show -j
check "last_owner: of a guest-owned CPU, of a free one, and absent (null)" json_is \
	'[{"cpu":0,"pmu":"armv8_pmuv3_0","owner":"77.2/vcpu3","last_owner":"77.2/vcpu3","state":"guest-owned","claimed_counters":4},{"cpu":1,"pmu":"armv8_pmuv3_0","owner":"free","last_owner":"77.2/vcpu1","state":"reserved","claimed_counters":4},{"cpu":2,"pmu":"armv8_pmuv3_0","owner":"free","last_owner":null,"state":"reserved","claimed_counters":4}]'
run "$opt" cpu show
check "last_owner (text): the LAST OWNER column, '-' when absent" sh -c "
	grep -Eq '^0 +armv8_pmuv3_0 +guest-owned +77\.2/vcpu3 +\[0,4\) +77\.2/vcpu3$' '$tmp/out' &&
	grep -Eq '^1 +armv8_pmuv3_0 +reserved +- +\[0,4\) +77\.2/vcpu1$' '$tmp/out' &&
	grep -Eq '^2 +armv8_pmuv3_0 +reserved +- +\[0,4\) +-$' '$tmp/out'"
make_module "$opt"
printf 'x\n' >"$opt/cpus"
run "$opt" cpu show
check "cpus is a file: exit 1, error names it" expect_error 1 "$opt/cpus"

### CPU states: guest-owned, reserved for partitioned VMs, free.
#
# Host kind: any (fake module 0.2.0 trees); inputs: counters_claimed, each
# CPU's owner and pmu, and pmus/<name>/guest_counters, as the module
# writes them in each situation (and as a read racing a claim can find
# them).

# cpu_fields_are JSON: the state and claimed_counters of every CPU of the
# "cpu show -j" output, as JSON [[cpu, state, claimed_counters], ...].
cpu_fields_are()
{
	python3 - "$tmp/out" "$1" <<'PYTHON'
import json
import sys

try:
    with open(sys.argv[1], encoding="utf-8") as f:
        cpus = json.load(f)
except ValueError as e:
    print("# invalid JSON: %s" % e)
    sys.exit(1)
got = [[c["cpu"], c["state"], c["claimed_counters"]] for c in cpus]
want = json.loads(sys.argv[2])
# type() too: 0 is not false, and a number is not its string.
if [[type(x) for x in c] for c in got] != [[type(x) for x in c] for c in want] or got != want:
    print("# got:  " + json.dumps(got))
    print("# want: " + json.dumps(want))
    sys.exit(1)
PYTHON
}

# make_states ROOT CLAIMED OWNER0 OWNER1 [LAST0 LAST1]: one PMU of 6
# counters, 2 kept for the host (guest_counters 4), CPUs 0 and 1.
make_states()
{
	make_module "$1" counters_claimed="$2" partitioned_vms="$2" default_mode=partitioned
	add_pmu "$1" armv8_pmuv3_0 0-1 6 1 2 4 6
	add_cpu "$1" 0 armv8_pmuv3_0 "$3" "${5:-none}"
	add_cpu "$1" 1 armv8_pmuv3_0 "$4" "${6:-none}"
}

st=$tmp/states

# No partitioned VM: nothing claimed, every CPU free (the last owner stays).
make_states "$st" 0 free free none 9.0/vcpu0
run "$st" cpu show -j
check "states, no claim: exit 0" expect_success
check "states, no claim: every CPU free, claimed_counters null" \
	cpu_fields_are '[[0,"free",null],[1,"free",null]]'
run "$st" cpu show
check "states, no claim (text): free, OWNER and CLAIMED '-', the last owner kept" sh -c "
	grep -Eq '^0 +armv8_pmuv3_0 +free +- +- +none$' '$tmp/out' &&
	grep -Eq '^1 +armv8_pmuv3_0 +free +- +- +9\.0/vcpu0$' '$tmp/out'"

# A partitioned VM exists, none of its vCPUs loaded (between two KVM_RUNs,
# as the demo looks): reserved, not free; owner stays the module's "free".
make_states "$st" 1 free free 12.3/vcpu1 none
run "$st" cpu show -j
check "states, claimed, no vCPU loaded: every CPU reserved, [0,4) claimed" \
	cpu_fields_are '[[0,"reserved",4],[1,"reserved",4]]'
check "states, claimed, no vCPU loaded: owner is still the file's \"free\"" json_is \
	'[{"cpu":0,"pmu":"armv8_pmuv3_0","owner":"free","last_owner":"12.3/vcpu1","state":"reserved","claimed_counters":4},{"cpu":1,"pmu":"armv8_pmuv3_0","owner":"free","last_owner":"none","state":"reserved","claimed_counters":4}]'
run "$st" cpu show
check "states, claimed, no vCPU loaded (text): reserved [0,4), the last owner" sh -c "
	grep -Eq '^0 +armv8_pmuv3_0 +reserved +- +\[0,4\) +12\.3/vcpu1$' '$tmp/out' &&
	grep -Eq '^1 +armv8_pmuv3_0 +reserved +- +\[0,4\) +none$' '$tmp/out'"

# A partitioned vCPU loaded on CPU 1, none on CPU 0.
make_states "$st" 1 free 12.3/vcpu1 none 12.3/vcpu1
run "$st" cpu show -j
check "states, vCPU loaded on CPU 1: CPU 1 guest-owned, CPU 0 reserved" \
	cpu_fields_are '[[0,"reserved",4],[1,"guest-owned",4]]'
run "$st" cpu show
check "states, vCPU loaded on CPU 1 (text): OWNER names the VM and vCPU" sh -c "
	grep -Eq '^0 +armv8_pmuv3_0 +reserved +- +\[0,4\) +none$' '$tmp/out' &&
	grep -Eq '^1 +armv8_pmuv3_0 +guest-owned +12\.3/vcpu1 +\[0,4\) +12\.3/vcpu1$' '$tmp/out'"
run "$st" show
check "states: pmuctl show has the same CPU rows" \
	out_has '^1 +armv8_pmuv3_0 +guest-owned +12\.3/vcpu1 +\[0,4\) +12\.3/vcpu1$'

# A read racing the first claim: counters_claimed (read first) said 0, the
# owner (read after) names a vCPU. Its VM holds the claim: guest-owned,
# with the claimed counters; the other CPU as counters_claimed said.
make_states "$st" 0 free 12.3/vcpu1
run "$st" cpu show -j
check "states, owner seen but counters_claimed 0 (a racing read): guest-owned, [0,4)" \
	cpu_fields_are '[[0,"free",null],[1,"guest-owned",4]]'

# HPMN 0 (FEAT_HPMN0; reserved_host_counters = N): the claim is the cycle
# counter alone; claimed_counters is 0, a number, not null.
make_module "$st" counters_claimed=1 partitioned_vms=1
add_pmu "$st" armv8_pmuv3_0 0 6 1 6 0 6
add_cpu "$st" 0 armv8_pmuv3_0 free
run "$st" cpu show -j
check "states, HPMN 0: reserved, claimed_counters 0 (a number)" \
	cpu_fields_are '[[0,"reserved",0]]'
run "$st" cpu show
check "states, HPMN 0 (text): [0,0)" out_has '^0 +armv8_pmuv3_0 +reserved +- +\[0,0\) +-$'

# big.LITTLE: each CPU's claimed counters are its own PMU's guest_counters
# (the module gives every PMU the same HPMN; the values differ here so that
# a CPU reading another PMU's file fails), and a CPU without a PMU has
# nothing to claim: free.
make_module "$st" counters_claimed=1 partitioned_vms=1
add_pmu "$st" armv8_cortex_a53 0-1 4 1 1 3 1
add_pmu "$st" armv8_cortex_a72 2-3 6 1 1 5 4
add_cpu "$st" 0 armv8_cortex_a53 free
add_cpu "$st" 3 armv8_cortex_a72 free
add_cpu "$st" 2 armv8_cortex_a72 1.0/vcpu0
add_cpu "$st" 7 none free
run "$st" cpu show -j
check "states, two PMUs: each CPU's own PMU's guest_counters; no PMU: free" \
	cpu_fields_are '[[0,"reserved",3],[2,"guest-owned",5],[3,"reserved",5],[7,"free",null]]'

# A module with cpus/ but without counters_claimed (no such module was
# released; the member is null as for every file a module lacks): a CPU
# without an owner is neither reserved nor free for sure; an owned one is
# guest-owned.
make_states "$st" 1 free 4.0/vcpu2
rm "$st/counters_claimed"
run "$st" cpu show -j
check "states, no counters_claimed file: state null unless guest-owned" \
	cpu_fields_are '[[0,null,null],[1,"guest-owned",4]]'
run "$st" cpu show
check "states, no counters_claimed file (text): STATE '-'" \
	out_has '^0 +armv8_pmuv3_0 +- +- +- +none$'

# Without a claim, pmus/ is not read for the CPUs: a broken PMU file fails
# pmu show, not cpu show.
make_states "$st" 0 free free
printf 'x\n' >"$st/pmus/armv8_pmuv3_0/guest_counters"
run "$st" cpu show -j
check "states, no claim: the PMU's guest_counters is not read" \
	cpu_fields_are '[[0,"free",null],[1,"free",null]]'

# With a claim, the CPU's PMU directory and its guest_counters are required.
make_states "$st" 1 free free
printf 'x\n' >"$st/pmus/armv8_pmuv3_0/guest_counters"
run "$st" cpu show
check "states, invalid guest_counters: exit 1, error names the file" \
	expect_error 1 "$st/pmus/armv8_pmuv3_0/guest_counters"
make_states "$st" 1 free free
rm -r "$st/pmus/armv8_pmuv3_0"
run "$st" cpu show -j
check "states, the CPU's PMU directory missing: exit 1, error names the file" \
	expect_error 1 "$st/pmus/armv8_pmuv3_0/guest_counters"
make_states "$st" 1 free free
printf '../../etc\n' >"$st/cpus/cpu0/pmu"
run "$st" cpu show
check "states, a PMU name that is a path: exit 1, error names the pmu file" \
	expect_error 1 "invalid PMU name '../../etc' in $st/cpus/cpu0/pmu"
make_states "$st" 2 free free
run "$st" cpu show
check "states, counters_claimed 2: exit 1, error names the file" \
	expect_error 1 "$st/counters_claimed"

### pmuctl metrics: the Prometheus text exposition format 0.0.4.

# A strict reader of what pmuctl metrics writes, for the checks below; the
# format's own parser is promtool's (promtool_clean).
cat >"$tmp/metrics.py" <<'PYTHON'
import json
import re
import sys

PREFIX = "kvm_pmu_partition_"
NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
UNESCAPE = {"\\": "\\", '"': '"', "n": "\n"}


def parse_sample(line):
    """(name, [(label, value)], value text) of a sample line, or ValueError."""
    match = NAME.match(line)
    if not match:
        raise ValueError("no metric name")
    name, i, labels = match.group(), match.end(), []
    if line[i:i + 1] == "{":
        i += 1
        while line[i:i + 1] != "}":
            if labels:
                if line[i:i + 1] != ",":
                    raise ValueError("no ',' between labels")
                i += 1
            match = LABEL_NAME.match(line, i)
            if not match or line[match.end():match.end() + 2] != '="':
                raise ValueError("bad label at column %d" % i)
            i, value = match.end() + 2, ""
            while line[i:i + 1] != '"':
                if i >= len(line):
                    raise ValueError("unterminated label value")
                if line[i] == "\\":
                    if line[i + 1:i + 2] not in UNESCAPE:
                        raise ValueError("bad escape %r" % line[i:i + 2])
                    value += UNESCAPE[line[i + 1]]
                    i += 2
                else:
                    value += line[i]
                    i += 1
            labels.append((match.group(), value))
            i += 1
        i += 1
    if line[i:i + 1] != " " or not re.fullmatch(r"[0-9]+", line[i + 1:]):
        raise ValueError("the value is not ' ' and an integer")
    return name, labels, line[i + 1:]


def read(path):
    """The families of PATH, in order: [(name, type, [(labels, value)])]."""
    with open(path, "rb") as f:
        data = f.read()
    text = data.decode("utf-8")          # UnicodeDecodeError is a ValueError
    if not text.endswith("\n"):
        raise ValueError("the output does not end with a newline")
    families, seen, series, state = [], set(), set(), "sample"
    for number, line in enumerate(text[:-1].split("\n"), 1):
        where = "line %d %r: " % (number, line)
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            if state != "sample" or name in seen or not help_text.strip():
                raise ValueError(where + "HELP not first, twice, or empty")
            if not name.startswith(PREFIX):
                raise ValueError(where + "not prefixed " + PREFIX)
            seen.add(name)
            families.append([name, None, []])
            state = "help"
        elif line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            if state != "help" or name != families[-1][0]:
                raise ValueError(where + "TYPE not right after its HELP")
            if kind not in ("gauge", "counter"):
                raise ValueError(where + "type neither gauge nor counter")
            if (kind == "counter") != name.endswith("_total"):
                raise ValueError(where + "a counter is named _total, and only a counter")
            families[-1][1] = kind
            state = "type"
        else:
            if state == "help" or not families:
                raise ValueError(where + "a sample before HELP and TYPE")
            name, labels, value = parse_sample(line)
            if name != families[-1][0]:
                raise ValueError(where + "not of the family above it")
            names = [k for k, _ in labels]
            if len(set(names)) != len(names):
                raise ValueError(where + "a label twice")
            key = (name, tuple(sorted(labels)))
            if key in series:
                raise ValueError(where + "the same series twice")
            series.add(key)
            families[-1][2].append((dict(labels), int(value)))
            state = "sample"
    if state != "sample":
        raise ValueError("the last family has no sample")
    return families


try:
    families = read(sys.argv[2])
except ValueError as e:
    print("# not what pmuctl metrics should write: %s" % e)
    sys.exit(1)
if sys.argv[1] == "check":
    sys.exit(0)
if sys.argv[1] == "families":
    got = [name[len(PREFIX):] for name, _, _ in families]
    want = json.loads(sys.argv[3])
elif sys.argv[1] == "samples":
    got = [[labels, value] for name, _, samples in families
           if name == PREFIX + sys.argv[3] for labels, value in samples]
    want = json.loads(sys.argv[4])
if got != want:
    print("# got:  " + json.dumps(got))
    print("# want: " + json.dumps(want))
    sys.exit(1)
PYTHON

# metrics_valid: stdout is what pmuctl metrics writes (families of HELP,
# TYPE and samples, one after the other; names prefixed; counters _total;
# label values escaped; valid UTF-8; a final newline).
metrics_valid()
{
	python3 "$tmp/metrics.py" check "$tmp/out"
}

# metrics_families JSON: the families of stdout, without the prefix, in order.
metrics_families()
{
	python3 "$tmp/metrics.py" families "$tmp/out" "$1"
}

# metrics_samples FAMILY JSON: the samples of FAMILY (without the prefix),
# in order, as [[{LABEL: VALUE, ...}, VALUE], ...].
metrics_samples()
{
	python3 "$tmp/metrics.py" samples "$tmp/out" "$1" "$2"
}

# promtool_clean: Prometheus's promtool ($PROMTOOL, default promtool on
# PATH) parses stdout and its linter has nothing to say (any output is a
# failure).  promtool is not optional: tests/rig/setup-host.sh unpacks it
# from Debian's prometheus package into build/host-tools/, which make
# check passes as PROMTOOL.
promtool_clean()
{
	if ! command -v "${PROMTOOL:-promtool}" >/dev/null; then
		diag "promtool (${PROMTOOL:-promtool}) is missing: run make setup (tests/rig/setup-host.sh unpacks it into build/host-tools/), or set PROMTOOL"
		return 1
	fi
	"${PROMTOOL:-promtool}" check metrics <"$tmp/out" >"$tmp/promtool" 2>&1
	promtool_rc=$?
	[ "$promtool_rc" -eq 0 ] && [ ! -s "$tmp/promtool" ] && return 0
	diag "promtool check metrics: exit $promtool_rc"
	awk '{ print "#   " $0 }' "$tmp/promtool"
	return 1
}

# vl PID VM VCPU MODE: the labels of a vCPU's samples, as JSON.
vl()
{
	printf '{"pid":"%s","vm":"%s","vcpu":"%s","mode":"%s"}' "$1" "$2" "$3" "$4"
}

# VMs in the three modes, two PMUs, CPUs created out of order, one of them
# owned by a partitioned vCPU.
mt=$tmp/metrics
make_module "$mt" vms=3 default_mode=partitioned fgt=off fgt_present=0 \
	reserved_host_counters=2 partitioned_vms=1 counters_claimed=1 fast_path=0 \
	trap_policy=trap
add_pmu "$mt" armv8_cortex_a72 2-3 7 1 4 3 4
add_pmu "$mt" armv8_cortex_a53 0-1 5 0 2 3 1
add_cpu "$mt" 10 none free none
add_cpu "$mt" 3 armv8_cortex_a72 987.1/vcpu10 987.1/vcpu10
add_cpu "$mt" 0 armv8_cortex_a53 free 987.1/vcpu2
add_vm "$mt" 987.1 987 partitioned 3
add_vcpu "$mt" 987.1 10 armv8_cortex_a53 18446744073709551615 4294967296
add_vcpu_partition "$mt" 987.1 10 guest-owned 3 18446744073709551615 7 4294967296 100
add_vcpu "$mt" 987.1 2 none 0 0
add_vcpu_partition "$mt" 987.1 2 free -1 4 4 0 0
add_vm "$mt" 55.3 55 emulated
add_vcpu "$mt" 55.3 0 none 9 0
add_vcpu_partition "$mt" 55.3 0 free -1 0 0 0 5
add_vm "$mt" 1234.0 1234 fixed
add_vcpu "$mt" 1234.0 1 none 3 0
add_vcpu_partition "$mt" 1234.0 1 free -1 1 1 0 0
add_vcpu "$mt" 1234.0 0 armv8_cortex_a72 2031 1000
add_vcpu_partition "$mt" 1234.0 0 free -1 0 0 2 0

v_1234_0=$(vl 1234 1234.0 0 fixed)
v_1234_1=$(vl 1234 1234.0 1 fixed)
v_55_0=$(vl 55 55.3 0 emulated)
v_987_2=$(vl 987 987.1 2 partitioned)
v_987_10=$(vl 987 987.1 10 partitioned)

run "$mt" metrics
check "metrics: exit 0, output on stdout only" expect_success
check "metrics: promtool check metrics parses it and lints nothing" promtool_clean
check "metrics: HELP and TYPE before each family's samples, grouped, escaped, a final newline" \
	metrics_valid
check "metrics: every family, in the documented order" metrics_families \
	'["module_loaded","module_info","fgt_present","fast_path","reserved_host_counters","counters_claimed","partitioned_vms","attached_vms","pmu_info","pmu_counters","pmu_cycle_counters","pmu_reserved_host_counters","pmu_guest_counters","cpu_info","cpu_guest_owned","cpu_owner","vm_info","vm_hpmn","vcpu_backing_pmu","vcpu_loads_total","vcpu_backing_switches_total","vcpu_guest_owned","vcpu_swaps_in_total","vcpu_swaps_out_total","vcpu_overflows_total","vcpu_trapped_accesses_total"]'
check "metrics: module_loaded 1" out_has '^kvm_pmu_partition_module_loaded 1$'
check "metrics: module_info labels" metrics_samples module_info \
	'[[{"version":"0.2.0","abi_version":"1","default_mode":"partitioned","fgt":"off","trap_policy":"trap"},1]]'
check "metrics: the module's numbers" sh -c "
	python3 '$tmp/metrics.py' samples '$tmp/out' fgt_present '[[{},0]]' &&
	python3 '$tmp/metrics.py' samples '$tmp/out' fast_path '[[{},0]]' &&
	python3 '$tmp/metrics.py' samples '$tmp/out' reserved_host_counters '[[{},2]]' &&
	python3 '$tmp/metrics.py' samples '$tmp/out' counters_claimed '[[{},1]]' &&
	python3 '$tmp/metrics.py' samples '$tmp/out' partitioned_vms '[[{},1]]' &&
	python3 '$tmp/metrics.py' samples '$tmp/out' attached_vms '[[{},3]]'"
check "metrics: pmu_info, PMUs by name" metrics_samples pmu_info \
	'[[{"pmu":"armv8_cortex_a53","cpus":"0-1","pmuver":"1"},1],[{"pmu":"armv8_cortex_a72","cpus":"2-3","pmuver":"4"},1]]'
check "metrics: each PMU's numbers" sh -c "
	python3 '$tmp/metrics.py' samples '$tmp/out' pmu_counters \
		'[[{\"pmu\":\"armv8_cortex_a53\"},5],[{\"pmu\":\"armv8_cortex_a72\"},7]]' &&
	python3 '$tmp/metrics.py' samples '$tmp/out' pmu_cycle_counters \
		'[[{\"pmu\":\"armv8_cortex_a53\"},0],[{\"pmu\":\"armv8_cortex_a72\"},1]]' &&
	python3 '$tmp/metrics.py' samples '$tmp/out' pmu_reserved_host_counters \
		'[[{\"pmu\":\"armv8_cortex_a53\"},2],[{\"pmu\":\"armv8_cortex_a72\"},4]]' &&
	python3 '$tmp/metrics.py' samples '$tmp/out' pmu_guest_counters \
		'[[{\"pmu\":\"armv8_cortex_a53\"},3],[{\"pmu\":\"armv8_cortex_a72\"},3]]'"
check "metrics: cpu_info, CPUs by number" metrics_samples cpu_info \
	'[[{"cpu":"0","pmu":"armv8_cortex_a53"},1],[{"cpu":"3","pmu":"armv8_cortex_a72"},1],[{"cpu":"10","pmu":"none"},1]]'
check "metrics: cpu_guest_owned" metrics_samples cpu_guest_owned \
	'[[{"cpu":"0"},0],[{"cpu":"3"},1],[{"cpu":"10"},0]]'
check "metrics: cpu_owner, the owner split into pid, vm and vcpu" metrics_samples cpu_owner \
	'[[{"cpu":"3","pid":"987","vm":"987.1","vcpu":"10"},1]]'
check "metrics: vm_info, a VM in each mode, VMs by name" metrics_samples vm_info \
	'[[{"pid":"1234","vm":"1234.0","mode":"fixed"},1],[{"pid":"55","vm":"55.3","mode":"emulated"},1],[{"pid":"987","vm":"987.1","mode":"partitioned"},1]]'
check "metrics: vm_hpmn of the partitioned VM only" metrics_samples vm_hpmn \
	'[[{"pid":"987","vm":"987.1","mode":"partitioned"},3]]'
check "metrics: vcpu_backing_pmu" metrics_samples vcpu_backing_pmu "[[$(vl 1234 1234.0 0 fixed | sed 's/}$/,"pmu":"armv8_cortex_a72"}/'),1],[$(vl 1234 1234.0 1 fixed | sed 's/}$/,"pmu":"none"}/'),1],[$(vl 55 55.3 0 emulated | sed 's/}$/,"pmu":"none"}/'),1],[$(vl 987 987.1 2 partitioned | sed 's/}$/,"pmu":"none"}/'),1],[$(vl 987 987.1 10 partitioned | sed 's/}$/,"pmu":"armv8_cortex_a53"}/'),1]]"
check "metrics: vcpu_loads_total, u64 exact, vCPUs by VM then id" metrics_samples \
	vcpu_loads_total "[[$v_1234_0,2031],[$v_1234_1,3],[$v_55_0,9],[$v_987_2,0],[$v_987_10,18446744073709551615]]"
check "metrics: vcpu_backing_switches_total" metrics_samples vcpu_backing_switches_total \
	"[[$v_1234_0,1000],[$v_1234_1,0],[$v_55_0,0],[$v_987_2,0],[$v_987_10,4294967296]]"
check "metrics: vcpu_guest_owned" metrics_samples vcpu_guest_owned \
	"[[$v_1234_0,0],[$v_1234_1,0],[$v_55_0,0],[$v_987_2,0],[$v_987_10,1]]"
check "metrics: vcpu_swaps_in_total" metrics_samples vcpu_swaps_in_total \
	"[[$v_1234_0,0],[$v_1234_1,1],[$v_55_0,0],[$v_987_2,4],[$v_987_10,18446744073709551615]]"
check "metrics: vcpu_swaps_out_total" metrics_samples vcpu_swaps_out_total \
	"[[$v_1234_0,0],[$v_1234_1,1],[$v_55_0,0],[$v_987_2,4],[$v_987_10,7]]"
check "metrics: vcpu_overflows_total" metrics_samples vcpu_overflows_total \
	"[[$v_1234_0,2],[$v_1234_1,0],[$v_55_0,0],[$v_987_2,0],[$v_987_10,4294967296]]"
expected_traps=$(python3 -c '
import json, sys
out = []
for arg in sys.argv[2:]:
    labels, base = json.loads(arg)
    for i, register in enumerate(sys.argv[1].split()):
        for exit, value in (("fast", base + i), ("full", i)):
            out.append([dict(labels, register=register, exit=exit), value])
print(json.dumps(out))' "$trap_registers" "[$v_1234_0,0]" "[$v_1234_1,0]" "[$v_55_0,5]" \
	"[$v_987_2,0]" "[$v_987_10,100]")
check "metrics: vcpu_trapped_accesses_total, per register in the file's order, fast then full" \
	metrics_samples vcpu_trapped_accesses_total "$expected_traps"
check "metrics: a counter's TYPE line" \
	out_has '^# TYPE kvm_pmu_partition_vcpu_trapped_accesses_total counter$'
check "metrics: a gauge's TYPE line" out_has '^# TYPE kvm_pmu_partition_vm_hpmn gauge$'
check "metrics: a sample line, exactly" \
	out_has '^kvm_pmu_partition_vcpu_overflows_total\{pid="987",vm="987\.1",vcpu="10",mode="partitioned"\} 4294967296$'
run "$mt" -t metrics
check "metrics -t: -t is ignored" sh -c "[ $rc -eq 0 ] &&
	python3 '$tmp/metrics.py' samples '$tmp/out' vm_hpmn \
		'[[{\"pid\":\"987\",\"vm\":\"987.1\",\"mode\":\"partitioned\"},3]]'"
run "$mt" me
check "'me' is 'metrics'" sh -c "[ $rc -eq 0 ] && grep -q '^kvm_pmu_partition_module_loaded 1$' '$tmp/out'"

# The module not loaded: a scraper gets module_loaded 0, and exit 0.
run "$tmp/does-not-exist" metrics
check "metrics, not loaded: exit 0, stderr empty" expect_success
check "metrics, not loaded: exactly the module_loaded 0 gauge" out_is \
"# HELP kvm_pmu_partition_module_loaded 1 if the kvm_pmu_partition module is loaded (its sysfs directory exists), 0 if not.
# TYPE kvm_pmu_partition_module_loaded gauge
kvm_pmu_partition_module_loaded 0"
check "metrics, not loaded: promtool check metrics parses it and lints nothing" promtool_clean
check "metrics, not loaded: grouped, a final newline" metrics_valid
run "$tmp/does-not-exist" -j metrics
check "metrics -j, not loaded: a usage error first, as JSON" \
	expect_json_error 2 "pmuctl metrics prints the Prometheus text format, not JSON"
run "$mt" metrics -p
check "metrics -p: exit 2, as JSON" expect_json_error 2 "not JSON: drop -j/-p"
printf 'x\n' >"$tmp/metrics-not-a-dir"
run "$tmp/metrics-not-a-dir" metrics
check "metrics, the sysfs root a file: exit 1, not a scrape of 'not loaded'" \
	expect_error 1 "not a directory"

# Label values that need escaping: PMU and VM names are directory names.
esc=$tmp/metrics-escape
make_module "$esc" vms=2
add_pmu "$esc" 'we"ird\name' 0 6 1 2 4 6
add_pmu "$esc" "$(printf 'new\nline')" 1 6 1 2 4 6
add_pmu "$esc" "$(printf 'tab\tcaf\303\251')" 2 6 1 2 4 6
add_pmu "$esc" "$(printf 'bad\377byte')" 3 6 1 2 4 6
add_vm "$esc" '7.0"\x' 7 'odd"mode\'
add_vm "$esc" "$(printf '8.0\\\\n\nx')" 8 fixed
# An owner not of the form the module writes: all of it is the vm label.
add_cpu "$esc" 0 none 'own"er\x'
add_cpu "$esc" 1 none 12.0/vcpu3
run "$esc" metrics
check "metrics, names to escape: exit 0" expect_success
check "metrics, names to escape: promtool check metrics parses it and lints nothing" \
	promtool_clean
check "metrics, names to escape: valid UTF-8, escapes of the format only" metrics_valid
check "metrics, names to escape: a quote and a backslash escaped" \
	grep -qF 'kvm_pmu_partition_pmu_counters{pmu="we\"ird\\name"} 6' "$tmp/out"
check "metrics, names to escape: a newline escaped as backslash-n" \
	grep -qF 'kvm_pmu_partition_pmu_counters{pmu="new\nline"} 6' "$tmp/out"
check "metrics, names to escape: the label values read back, invalid UTF-8 made U+FFFD" \
	metrics_samples pmu_counters \
	'[[{"pmu":"bad\ufffdbyte"},6],[{"pmu":"new\nline"},6],[{"pmu":"tab\tcaf\u00e9"},6],[{"pmu":"we\"ird\\name"},6]]'
check "metrics, names to escape: an owner of another form is all vm, pid and vcpu empty" \
	metrics_samples cpu_owner \
	'[[{"cpu":"0","pid":"","vm":"own\"er\\x","vcpu":""},1],[{"cpu":"1","pid":"12","vm":"12.0","vcpu":"3"},1]]'
check "metrics, names to escape: VM names and a mode read back" metrics_samples vm_info \
	'[[{"pid":"7","vm":"7.0\"\\x","mode":"odd\"mode\\"},1],[{"pid":"8","vm":"8.0\\\\n\nx","mode":"fixed"},1]]'

# An older module (0.1.0): no sample for what it does not publish.
run "$old" metrics
check "metrics, 0.1.0: exit 0" expect_success
check "metrics, 0.1.0: promtool check metrics parses it and lints nothing" promtool_clean
check "metrics, 0.1.0: grouped, a final newline" metrics_valid
check "metrics, 0.1.0: no family of the files it lacks" metrics_families \
	'["module_loaded","module_info","fgt_present","reserved_host_counters","attached_vms","pmu_info","pmu_counters","pmu_cycle_counters","pmu_reserved_host_counters","pmu_guest_counters","vm_info","vcpu_backing_pmu","vcpu_loads_total","vcpu_backing_switches_total"]'
check "metrics, 0.1.0: module_info without trap_policy" metrics_samples module_info \
	'[[{"version":"0.1.0","abi_version":"1","default_mode":"emulated","fgt":"auto"},1]]'

run "$none" metrics
check "metrics, no PMU, CPU or VM: the module's families only" metrics_families \
	'["module_loaded","module_info","fgt_present","fast_path","reserved_host_counters","counters_claimed","partitioned_vms","attached_vms"]'
check "metrics, no PMU, CPU or VM: promtool check metrics parses it and lints nothing" \
	promtool_clean

# Other failures keep pmuctl's error behaviour: exit 1, stdout empty.
make_module "$bad"
add_vm "$bad" 3.0 3 fixed
add_vcpu "$bad" 3.0 0 none 1 1
printf 'x\n' >"$bad/vm/3.0/vcpu0/loads"
run "$bad" metrics
check "metrics, an invalid file: exit 1, error names the file, stdout empty" \
	expect_error 1 "$bad/vm/3.0/vcpu0/loads"
run "$mt" metrics extra
check "metrics extra: exit 2" expect_error 2 "unexpected argument 'extra'"
if [ -w /dev/full ]; then
	PMUCTL_SYSFS_ROOT=$mt "$PMUCTL" metrics >/dev/full 2>"$tmp/err"
	rc=$?
	: >"$tmp/out"
	json_mode=0
	check "metrics, write error on stdout: exit 1" expect_error 1 "standard output"
else
	tests=$((tests + 1))
	echo "ok $tests - metrics, write error on stdout # SKIP no /dev/full"
fi

### pmuctl pmu reserve N.

# run_errno ERRNO ROOT ARGS...: run the test build with the module's
# refusal faked.
run_errno()
{
	errno_name=$1
	root=$2
	shift 2
	json_args "$@"
	PMUCTL_FAKE_WRITE_ERRNO=$errno_name PMUCTL_SYSFS_ROOT=$root "$PMUCTL_TEST" "$@" \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# check_hook DESCRIPTION COMMAND...: check(), or a skip without the test build.
check_hook()
{
	if [ -x "$PMUCTL_TEST" ]; then
		check "$@"
	else
		tests=$((tests + 1))
		echo "ok $tests - $1 # SKIP no test build (PMUCTL_TEST)"
	fi
}

# expect_silent_success: exit 0, nothing on stdout or stderr.
expect_silent_success()
{
	expect_rc 0 || return 1
	[ ! -s "$tmp/err" ] || { diag "stderr is not empty"; return 1; }
	[ ! -s "$tmp/out" ] || { diag "stdout is not empty"; return 1; }
}

# reserved_is ROOT VALUE: ROOT/reserved_host_counters holds VALUE and a newline.
reserved_is()
{
	printf '%s\n' "$2" | cmp -s - "$1/reserved_host_counters" && return 0
	diag "reserved_host_counters holds '$(cat "$1/reserved_host_counters")', expected '$2'"
	return 1
}

rs=$tmp/reserve
make_module "$rs" reserved_host_counters=10 partitioned_vms=1
add_pmu "$rs" armv8_cortex_a72 2-3 6 1 2 4 4
add_pmu "$rs" armv8_cortex_a53 0-1 4 1 2 2 4

run "$rs" pmu reserve 3
check "pmu reserve 3: exit 0, prints nothing" expect_silent_success
check "pmu reserve 3: writes '3' and a newline (over '10')" reserved_is "$rs" 3
run "$rs" module show
check "pmu reserve 3: module show reads 3 back" out_has '^  reserved host counters: +3$'
run "$rs" pmu reserve 0 -j
check "pmu reserve 0 -j: exit 0" expect_success
check "pmu reserve 0 -j: prints the new value" json_is '{"reserved_host_counters":0}'
check "pmu reserve 0 -j: writes 0" reserved_is "$rs" 0
run "$rs" -p pmu reserve 4
check "-p pmu reserve 4: prints the new value" json_is '{"reserved_host_counters":4}'

run_errno EBUSY "$rs" pmu reserve 2
check_hook "pmu reserve, EBUSY: exit 1, names the partitioned VMs" expect_error 1 \
	"Error: reserved_host_counters can change only while no partitioned VM exists (1 do); stop them first"
check_hook "pmu reserve, EBUSY: the file is unchanged" reserved_is "$rs" 4
run_errno EBUSY "$rs" -j pmu reserve 2
check_hook "pmu reserve -j, EBUSY: exit 1, the JSON error" \
	expect_error 1 "can change only while no partitioned VM exists (1 do)"
rm "$rs/partitioned_vms"
run_errno EBUSY "$rs" pmu reserve 2
check_hook "pmu reserve, EBUSY, partitioned_vms unreadable: no count" expect_error 1 \
	"Error: reserved_host_counters can change only while no partitioned VM exists; stop them first"
printf '1\n' >"$rs/partitioned_vms"

run_errno EINVAL "$rs" pmu reserve 5
check_hook "pmu reserve, EINVAL: exit 1, names the smallest PMU's counters" \
	expect_error 1 "Error: 5 exceeds the smallest host PMU's counters (4)"
run_errno EINVAL "$rs" pmu reserve 3
check_hook "pmu reserve, EINVAL within the PMUs' counters: the module's refusal" \
	expect_error 1 "kvm_pmu_partition refused 3 reserved host counters: Invalid argument"
printf 'x\n' >"$rs/pmus/armv8_cortex_a53/counters"
run_errno EINVAL "$rs" pmu reserve 5
check_hook "pmu reserve, EINVAL, a PMU unreadable: one line, the module's refusal" \
	expect_error 1 "kvm_pmu_partition refused 5 reserved host counters"
printf '4\n' >"$rs/pmus/armv8_cortex_a53/counters"

for errno_name in EACCES EPERM; do
	run_errno $errno_name "$rs" pmu reserve 2
	check_hook "pmu reserve, $errno_name: exit 1, needs root" \
		expect_error 1 "Error: changing reserved_host_counters needs root ($rs/reserved_host_counters: "
done
run_errno EIO "$rs" pmu reserve 2
check_hook "pmu reserve, EIO: exit 1, names the file and the error" \
	expect_error 1 "Error: cannot write 2 to $rs/reserved_host_counters: Input/output error"
run_errno EAGAIN "$rs" pmu reserve 2
check_hook "pmu reserve, bad PMUCTL_FAKE_WRITE_ERRNO: exit 1" \
	expect_error 1 "invalid PMUCTL_FAKE_WRITE_ERRNO 'EAGAIN'"
check_hook "pmu reserve, refused: the file is unchanged" reserved_is "$rs" 4
if [ ! -e /sys/kernel/kvm_pmu_partition ]; then
	run_errno EAGAIN "" pmu reserve 2
	check_hook "pmu reserve: PMUCTL_FAKE_WRITE_ERRNO is ignored without PMUCTL_SYSFS_ROOT" \
		expect_error 1 "kvm_pmu_partition is not loaded"
else
	tests=$((tests + 1))
	echo "ok $tests - PMUCTL_FAKE_WRITE_ERRNO without PMUCTL_SYSFS_ROOT # SKIP the module is loaded"
fi

chmod 444 "$rs/reserved_host_counters"
run "$rs" pmu reserve 2
check "pmu reserve, read-only file (module before 0.2.0): exit 1" expect_error 1 \
	"Error: $rs/reserved_host_counters is read-only: this kvm_pmu_partition cannot change the reservation"
if [ "$(id -u)" -ne 0 ]; then
	# Writable by the group only: the owner, not root, gets EACCES.
	chmod 464 "$rs/reserved_host_counters"
	run "$rs" pmu reserve 2
	check "pmu reserve, EACCES from open (not root): needs root" \
		expect_error 1 "changing reserved_host_counters needs root"
else
	tests=$((tests + 1))
	echo "ok $tests - reserve, EACCES from open # SKIP running as root"
fi
chmod 644 "$rs/reserved_host_counters"
rm "$rs/reserved_host_counters"
run "$rs" pmu reserve 2
check "pmu reserve, no reserved_host_counters: exit 1, names the file" \
	expect_error 1 "required file $rs/reserved_host_counters is missing"

make_module "$rs" reserved_host_counters=4
for value in abc '' +1 1x 0x1 ' 1' 1.0 99999999999999999999999; do
	for root in "$rs" "$tmp/does-not-exist"; do
		run "$root" pmu reserve "$value"
		check "pmu reserve '$value' ($(basename "$root")): exit 2, invalid N" \
			expect_error 2 "Error: invalid N '$value'"
	done
done
run "$rs" pmu reserve -- -1
check "pmu reserve -- -1: exit 2, invalid N" expect_error 2 "invalid N '-1'"
run "$rs" pmu reserve
check "pmu reserve without N: exit 2" expect_error 2 "missing N"
run "$rs" pmu reserve 1 2
check "pmu reserve 1 2: exit 2, the extra argument named" expect_error 2 "'2'"
check "pmu reserve, usage errors: the file is unchanged" reserved_is "$rs" 4

# Negative numbers are arguments, not options: a range error.
for value in -1 -5 -0 -99999999999999999999999; do
	for root in "$rs" "$tmp/does-not-exist"; do
		run "$root" pmu reserve "$value"
		check "pmu reserve $value ($(basename "$root")): exit 2, out of range, negative" \
			expect_error 2 "Error: invalid N '$value': out of range, a number of counters cannot be negative (expected 0 to 4294967295)"
	done
done
run "$rs" pmu reserve -j -1
check "pmu reserve -j -1: the range error as JSON" \
	expect_json_error 2 "invalid N '-1': out of range, a number of counters cannot be negative"
run "$rs" pmu reserve 4294967296
check "pmu reserve 4294967296: exit 2, out of range" \
	expect_error 2 "Error: invalid N '4294967296': out of range for a number of counters (expected 0 to 4294967295)"
run "$rs" pmu reserve 99999999999999999999999
check "pmu reserve 99999999999999999999999: exit 2, out of range, too large" \
	expect_error 2 "invalid N '99999999999999999999999': out of range, too large"
run "$rs" pmu reserve abc
check "pmu reserve abc: exit 2, not a number" \
	expect_error 2 "Error: invalid N 'abc': not a decimal number (expected a number of counters, 0 to 4294967295)"
run "$rs" pmu reserve 4294967295
check "pmu reserve 4294967295: the largest N is written (the module judges it)" \
	sh -c "[ $rc -eq 0 ] && printf '4294967295\n' | cmp -s - '$rs/reserved_host_counters'"
printf '4\n' >"$rs/reserved_host_counters"
check "pmu reserve, range errors: the file is unchanged" reserved_is "$rs" 4

# The deprecated "pmuctl reserve N": works, with a one-line hint on stderr.
deprecated="Warning: 'pmuctl reserve N' is deprecated, use 'pmuctl pmu reserve N'"
run "$rs" reserve 3
check "reserve 3 (deprecated): exit 0, stdout empty" sh -c "[ $rc -eq 0 ] && [ ! -s '$tmp/out' ]"
check "reserve 3 (deprecated): one hint line on stderr" \
	sh -c "[ \"\$(cat '$tmp/err')\" = \"$deprecated\" ]"
check "reserve 3 (deprecated): writes 3" reserved_is "$rs" 3
run "$rs" -j reserve 2
check "reserve 2 -j (deprecated): the JSON on stdout" json_is '{"reserved_host_counters":2}'
check "reserve 2 -j (deprecated): the hint on stderr" \
	sh -c "[ \"\$(cat '$tmp/err')\" = \"$deprecated\" ]"
check "reserve 2 -j (deprecated): writes 2" reserved_is "$rs" 2
run "$rs" reserve -1
check "reserve -1 (deprecated): exit 2, the hint then the range error" sh -c "
	[ $rc -eq 2 ] && [ ! -s '$tmp/out' ] && [ \$(wc -l <'$tmp/err') -eq 2 ] &&
	head -n 1 '$tmp/err' | grep -qxF \"$deprecated\" &&
	tail -n 1 '$tmp/err' | grep -qF \"Error: invalid N '-1': out of range\""
run "$rs" res 1
check "res 1 (deprecated, abbreviated): writes 1" reserved_is "$rs" 1

# The write-error hook is in the test build only.
check "the shipped binary has no PMUCTL_FAKE_WRITE_ERRNO hook" \
	sh -c "! grep -q PMUCTL_FAKE_WRITE_ERRNO '$PMUCTL'"
check_hook "the test build has the PMUCTL_FAKE_WRITE_ERRNO hook" \
	grep -q PMUCTL_FAKE_WRITE_ERRNO "$PMUCTL_TEST"
PMUCTL_FAKE_WRITE_ERRNO=EBUSY PMUCTL_SYSFS_ROOT=$rs "$PMUCTL" pmu reserve 3 \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
check "the shipped binary ignores PMUCTL_FAKE_WRITE_ERRNO: it writes" \
	sh -c "[ $rc -eq 0 ] && [ ! -s '$tmp/err' ] && printf '3\n' | cmp -s - '$rs/reserved_host_counters'"

### Module not loaded.

for args in "show" "module show" "pmu show" "-j show" "pmu -p" "vm show" "vm -j" \
	    "cpu show" "cpu -j" "pmu reserve 1" "-j pmu reserve 1"; do
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
	    "cpu frob" "cpu show extra" "cpu help extra" "pmu reserve" "pmu reserve x" \
	    "pmu reserve 1 2" "pmu reserve -1" "--traps=1 vm" "--bogus show" "-x show" \
	    "--json=1 show" "-jx show" "help extra" "pmu help extra" "vm show -1" \
	    "-j frob" "frob -p" "-x show -j" "pmu -j reserve -1" "metrics extra" \
	    "-j metrics" "metrics -p" ""; do
	for root in "$one" "$tmp/does-not-exist"; do
		# shellcheck disable=SC2086
		run "$root" $args
		check "usage error '$args' ($(basename "$root")): exit 2, one Error line" \
			expect_error 2 "Error: "
	done
done
run "$one" -jx show
check "unknown short option is named (JSON: -j came first)" grep -qF "'-x'" "$tmp/out"
run "$one" -tx show
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
for object in module pmu cpu vm; do
	run "$tmp/does-not-exist" $object help
	check "'$object help': exit 0 with the $object usage" \
		sh -c "[ $rc -eq 0 ] && [ ! -s '$tmp/err' ] &&
			grep -q '^Usage: pmuctl \[OPTIONS\] $object ' '$tmp/out'"
	cp "$tmp/out" "$tmp/object-help"
	for args in "-h $object" "--help $object" "$object -h" "$object show -h" \
		    "-h $object show" "$object h"; do
		# shellcheck disable=SC2086
		run "$tmp/does-not-exist" $args
		check "'$args': exit 0, the same as '$object help'" \
			sh -c "[ $rc -eq 0 ] && [ ! -s '$tmp/err' ] && cmp -s '$tmp/out' '$tmp/object-help'"
	done
done
run "$one" pmu help
check "pmu help: names reserve N" out_has '^  pmuctl pmu reserve N '
run "$one" help
check "help: names pmu reserve N and OBJECT help" sh -c "
	grep -q '^  pmuctl pmu reserve N ' '$tmp/out' && grep -q '^  pmuctl OBJECT help ' '$tmp/out'"
check "help: names metrics" out_has '^  pmuctl metrics  '
run "$one" -h metrics
check "-h metrics: the usage" sh -c "[ $rc -eq 0 ] && grep -q '^  pmuctl metrics  ' '$tmp/out'"
for args in "-j help" "-h -j" "-p pmu help" "-j -h vm"; do
	# shellcheck disable=SC2086
	run "$one" $args
	check "'$args': help with JSON is null, as bpftool's" \
		sh -c "[ $rc -eq 0 ] && [ ! -s '$tmp/err' ] && [ \"\$(cat '$tmp/out')\" = null ]"
done

for args in "--version" "-V"; do
	run "$tmp/does-not-exist" $args
	check "'$args': prints 'pmuctl $expected_version'" \
		sh -c "[ $rc -eq 0 ] && [ \"\$(cat '$tmp/out')\" = 'pmuctl $expected_version' ]"
done
run "$one" -j --version
check "'-j --version': JSON version" json_is "{\"pmuctl_version\":\"$expected_version\"}"

### Abbreviations, as bpftool takes them: the first match wins.

run "$one" pmu show
cp "$tmp/out" "$tmp/full"
for args in "p s" "pm sh" "p"; do
	# shellcheck disable=SC2086
	run "$one" $args
	check "'$args' is 'pmu show'" sh -c "[ $rc -eq 0 ] && cmp -s '$tmp/out' '$tmp/full'"
done
run "$one" cpu show
cp "$tmp/out" "$tmp/full"
run "$one" c s
check "'c s' is 'cpu show'" sh -c "[ $rc -eq 0 ] && cmp -s '$tmp/out' '$tmp/full'"
run "$one" show
cp "$tmp/out" "$tmp/full"
run "$one" s
check "'s' is 'show'" sh -c "[ $rc -eq 0 ] && cmp -s '$tmp/out' '$tmp/full'"
run "$one" m -j
check "'m -j' is 'module show -j'" json_is "$one_module"
run "$one" pmux
check "'pmux' is no object: exit 2" expect_error 2 "unknown object 'pmux'"
run "$one" pmu showx
check "'pmu showx' is no command: exit 2" expect_error 2 "unknown command 'showx' for object 'pmu'"

### JSON errors: with -j or -p, {"error": "..."} on stdout, stderr empty.

run "$tmp/does-not-exist" -j show
check "-j, not loaded: exactly the documented error object" \
	out_is '{"error":"kvm_pmu_partition is not loaded (load it with: modprobe kvm_pmu_partition, or insmod kvm_pmu_partition.ko)"}'
check "-j, not loaded: exit 1, stderr empty" sh -c "[ $rc -eq 1 ] && [ ! -s '$tmp/err' ]"
run "$tmp/does-not-exist" show --pretty
check "--pretty, not loaded: the error object indented" sh -c "
	[ $rc -eq 1 ] && [ ! -s '$tmp/err' ] && [ \$(wc -l <'$tmp/out') -eq 3 ] &&
	sed -n 2p '$tmp/out' | grep -q '^  \"error\": \"kvm_pmu_partition is not loaded'"
check "--pretty, not loaded: parsed, one member" \
	expect_json_error 1 "kvm_pmu_partition is not loaded"
run "$one" frob -j
check "-j after an unknown object: exit 2, JSON" expect_json_error 2 "unknown object 'frob'"
run "$one" -x show -j
check "-j after an unknown option: exit 2, JSON naming the option" \
	expect_json_error 2 "unknown option '-x'"
run "$one" pmu reserve -j
check "-j, missing N: exit 2, JSON" expect_json_error 2 "missing N"
tree=$tmp/json-error
make_module "$tree"
add_pmu "$tree" armv8_pmuv3_0 0-1 6 1 2 4 6
printf 'x\n' >"$tree/pmus/armv8_pmuv3_0/counters"
run "$tree" pmu show -j
check "-j, invalid file: exit 1, JSON naming the file" \
	expect_json_error 1 "$tree/pmus/armv8_pmuv3_0/counters: invalid number \"x\""
printf '%s\n' "$(printf 'we"ird\tvalue')" >"$tree/pmus/armv8_pmuv3_0/counters"
run "$tree" pmu show -j
check "-j, a quote and a tab in the value: valid JSON, the tab made '?'" \
	expect_json_error 1 'invalid number "we"ird?value"'
run "$tree" pmu show
check "without -j the same error is a line on stderr" \
	expect_error 1 "$tree/pmus/armv8_pmuv3_0/counters: invalid number"
run "$tree" "$(printf 'c1\302\23331mred')"
check "a C1 control (UTF-8 CSI) in an argument is made '??' in the error" \
	expect_error 2 'c1??31mred'

### Per-VM files are root's (mode 0400 since 0.2.0's isolation fixes).

restricted=$tmp/restricted
make_module "$restricted" vms=1
add_vm "$restricted" 100.0 100 partitioned 4
chmod 0400 "$restricted/vm/100.0/pid" "$restricted/vm/100.0/mode" "$restricted/vm/100.0/hpmn"
chmod a+x "$tmp"
chmod -R a+rX "$restricted"
chmod 0400 "$restricted/vm/100.0/pid" "$restricted/vm/100.0/mode" "$restricted/vm/100.0/hpmn"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null &&
   setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	PMUCTL_SYSFS_ROOT=$restricted setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$PMUCTL" vm show >"$tmp/out" 2>"$tmp/err"
	rc=$?
	check "vm show as a user: exit 1, says the per-VM state is root's" \
		expect_error 1 "run pmuctl as root"
else
	tests=$((tests + 1))
	echo "ok $tests - vm show as a user # SKIP needs root and setpriv to become a user"
fi

### Output errors.

if [ -w /dev/full ]; then
	PMUCTL_SYSFS_ROOT=$one "$PMUCTL" show >/dev/full 2>"$tmp/err"
	rc=$?
	: >"$tmp/out"
	check "write error on stdout: exit 1" expect_error 1 "standard output"
	PMUCTL_SYSFS_ROOT=$one "$PMUCTL" show -j >/dev/full 2>"$tmp/err"
	rc=$?
	json_mode=0
	check "write error on stdout with -j: exit 1, the error on stderr" \
		expect_error 1 "cannot write to standard output"
else
	tests=$((tests + 2))
	echo "ok $((tests - 1)) - write error on stdout # SKIP no /dev/full"
	echo "ok $tests - write error on stdout with -j # SKIP no /dev/full"
fi

### Bash completion (bash-completion/pmuctl).

# complete WORDS...: the completions of the last word (may be ''), sorted,
# one line, against the tree $one.
complete_words()
{
	PMUCTL_SYSFS_ROOT=$comp_root bash -c '
		. "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_pmuctl pmuctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		[ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
		complete "$here/../bash-completion/pmuctl" "$@"
}

# completes "EXPECTED" WORDS...
completes()
{
	want=$1
	shift
	got=$(complete_words "$@")
	[ "$got" = "$want" ] && return 0
	diag "completions '$got', expected '$want'"
	return 1
}

if command -v bash >/dev/null; then
	comp_root=$tmp/completion
	make_module "$comp_root"
	add_pmu "$comp_root" armv8_cortex_a53 0-1 4 1 2 2 4
	add_pmu "$comp_root" armv8_cortex_a72 2-3 6 1 2 4 4
	add_vm "$comp_root" 987.1 987 partitioned 4
	add_vm "$comp_root" 1234.0 1234 fixed
	add_vm "$comp_root" 1234.1 1234 fixed
	check "completion: objects" completes "cpu help metrics module pmu show vm " pmuctl ''
	check "completion: metrics" completes "metrics " pmuctl me
	check "completion: nothing after metrics" completes "" pmuctl metrics ''
	check "completion: objects after an option" completes "pmu " pmuctl -j p
	check "completion: pmu commands" completes "help reserve show " pmuctl pmu ''
	check "completion: vm commands" completes "help show " pmuctl vm ''
	check "completion: options" completes "--json " pmuctl --j
	check "completion: pmu reserve N, 0 to the smallest PMU's counters" \
		completes "0 1 2 3 4 " pmuctl pmu reserve ''
	check "completion: vm show PID, the VMs' pids" completes "1234 987 " pmuctl vm show ''
	check "completion: vm show PID, a prefix" completes "987 " pmuctl -p vm show 9
	check "completion: nothing after vm show PID" completes "" pmuctl vm show 987 ''
	check "completion: -h OBJECT" completes "module " pmuctl -h mo
else
	tests=$((tests + 1))
	echo "ok $tests - completion # SKIP no bash"
fi

### make install DESTDIR=... PREFIX=...

if command -v make >/dev/null; then
	build_dir=${PMUCTL_BUILD_DIR:-$tmp/build}
	dest=$tmp/destdir
	make -s -C "$here/.." O="$build_dir" DESTDIR="$dest" PREFIX=/usr install \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
	check "make install DESTDIR PREFIX=/usr: exit 0" expect_rc 0
	check "install: the binary in /usr/sbin, mode 0755, the shipped one" sh -c "
		[ \"\$(stat -c %a '$dest/usr/sbin/pmuctl')\" = 755 ] &&
		'$dest/usr/sbin/pmuctl' --version | grep -qx 'pmuctl $expected_version' &&
		! grep -q PMUCTL_FAKE_WRITE_ERRNO '$dest/usr/sbin/pmuctl'"
	check "install: the man page in /usr/share/man/man8, mode 0644" sh -c "
		[ \"\$(stat -c %a '$dest/usr/share/man/man8/pmuctl.8')\" = 644 ] &&
		cmp -s '$here/../pmuctl.8' '$dest/usr/share/man/man8/pmuctl.8'"
	check "install: the completion in /usr/share/bash-completion/completions" sh -c "
		[ \"\$(stat -c %a '$dest/usr/share/bash-completion/completions/pmuctl')\" = 644 ] &&
		cmp -s '$here/../bash-completion/pmuctl' \
			'$dest/usr/share/bash-completion/completions/pmuctl'"
	check "install: nothing else" sh -c "
		[ \"\$(cd '$dest' && find . -type f | sort | tr '\n' ' ')\" = \
		  './usr/sbin/pmuctl ./usr/share/bash-completion/completions/pmuctl ./usr/share/man/man8/pmuctl.8 ' ]"
	make -s -C "$here/.." O="$build_dir" DESTDIR="$dest" PREFIX=/usr uninstall \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
	check "make uninstall: exit 0, the files are gone" sh -c "
		[ $rc -eq 0 ] && [ -z \"\$(find '$dest' -type f)\" ]"
	make -s -C "$here/.." O="$build_dir" DESTDIR="$dest" install >"$tmp/out" 2>"$tmp/err"
	rc=$?
	check "make install without PREFIX: under /usr/local" sh -c "
		[ $rc -eq 0 ] && [ -x '$dest/usr/local/sbin/pmuctl' ] &&
		[ -f '$dest/usr/local/share/man/man8/pmuctl.8' ] &&
		[ -f '$dest/usr/local/share/bash-completion/completions/pmuctl' ]"
else
	tests=$((tests + 1))
	echo "ok $tests - make install # SKIP no make"
fi

echo "1..$tests"
if [ "$failed" -ne 0 ]; then
	diag "$failed of $tests tests failed"
	exit 1
fi
exit 0
