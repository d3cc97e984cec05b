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
one_doc="{\"pmuctl_version\":\"$expected_version\",\"module\":$one_module,\"pmus\":$one_pmus}"

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
	json_is "{\"pmuctl_version\":\"$expected_version\",\"module\":$bl_module,\"pmus\":$bl_pmus}"
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
	"{\"pmuctl_version\":\"$expected_version\",\"module\":$one_module,\"pmus\":[]}"
run "$none" pmu show
check "no PMUs: table says so" out_has '^\(no host PMUs\)$'

### Module not loaded.

for args in "show" "module show" "pmu show" "-j show" "pmu -p"; do
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

for args in "frob" "module frob" "pmu frob" "show extra" "module show extra" \
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
for object in module pmu; do
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
