#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run.sh - host tests for pmu-overflow-trace, TAP output.
#
# Owns: what can be checked of pmu-overflow-trace without the module: its
# help and version, each bad argument's exit status 2 and error line, that
# good arguments pass parsing, the checks before loading on fake sysfs
# trees (PMU_OVERFLOW_TRACE_SYSFS: module not loaded, no kernel BTF, no
# module BTF, unreadable module BTF, a module older than the tracer), that
# the records the BPF programs read are those module/trace.h declares, and
# (as root) that the BPF programs pass the running kernel's verifier
# (tests/load-check.c with CO-RE against tests/btf-types.c's records)
# and have no BPF-to-BPF calls or callbacks (kernels without BPF JIT).
# Exits non-zero when any test fails.
#
# Environment (make test sets them): PMU_OVERFLOW_TRACE (the binary,
# default ../pmu-overflow-trace next to this script), POT_TEST_DIR (where
# make test put load-check and the test BTF: vmlinux.btf, module.btf,
# module-old.btf, standalone.btf; their tests fail when missing),
# POT_EXPECTED_VERSION (default 0.2.0).

# The check helpers are only called through check(), indirectly.
# shellcheck disable=SC2317

set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
TRACER=${PMU_OVERFLOW_TRACE:-$here/../pmu-overflow-trace}
test_dir=${POT_TEST_DIR:-$(dirname "$TRACER")/tests}
expected_version=${POT_EXPECTED_VERSION:-0.2.0}
name=pmu-overflow-trace

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pot-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

tests=0
failed=0

echo "TAP version 13"

if [ ! -x "$TRACER" ]; then
	echo "Bail out! $TRACER is not an executable"
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
		diag "exit status: ${rc:-}"
		diag "stdout:"
		head -c 400 "$tmp/out" 2>/dev/null | awk '{ print "#   " $0 }'
		diag "stderr:"
		head -c 600 "$tmp/err" 2>/dev/null | awk '{ print "#   " $0 }'
	fi
}

skip()
{
	tests=$((tests + 1))
	echo "ok $tests - $1 # SKIP $2"
}

# run ARGS...: the tracer on the real /sys; sets rc, $tmp/out, $tmp/err.
run()
{
	"$TRACER" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# run_fake ROOT ARGS...: the tracer on the fake sysfs tree ROOT.
run_fake()
{
	root=$1
	shift
	PMU_OVERFLOW_TRACE_SYSFS=$root "$TRACER" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# usage_error MESSAGE: exit 2, nothing on stdout, stderr the program's
# name and MESSAGE (a fixed string) on its first line, then argp's hint.
usage_error()
{
	[ "$rc" = 2 ] && [ ! -s "$tmp/out" ] &&
		head -n 1 "$tmp/err" | grep -qF -- "$name: $1" &&
		grep -qF "Try \`$name --help'" "$tmp/err"
}

# one_error MESSAGE: exit 1, nothing on stdout, exactly one line on
# stderr, starting with the program's name and holding MESSAGE.
one_error()
{
	[ "$rc" = 1 ] && [ ! -s "$tmp/out" ] &&
		[ "$(wc -l <"$tmp/err")" = 1 ] &&
		grep -qF -- "$name: " "$tmp/err" && grep -qF -- "$1" "$tmp/err"
}

help_ok()
{
	[ "$rc" = 0 ] && [ ! -s "$tmp/err" ] || return 1
	for want in "USAGE: $name" "EXAMPLES:" "--pid=PID" "--cpu=CPU" \
		    "--vcpu=ID" "--histogram" "--json" "--verbose" \
		    "[interval] [count]" "$name -p 1234"; do
		grep -qF -- "$want" "$tmp/out" || { diag "help lacks: $want"; return 1; }
	done
}

# --- help and version ------------------------------------------------------
run --help
check "--help prints usage, every option and examples, exit 0" help_ok
run -h
check "-h is --help" help_ok
run --version
# shellcheck disable=SC2016 # the inner shell expands them
check "--version prints $name $expected_version" \
	sh -c '[ "$0" = 0 ] && [ "$(cat "$1")" = "$2" ]' "$rc" "$tmp/out" \
	"$name $expected_version"

# --- bad arguments ----------------------------------------------------------
pid_max=$(cat /proc/sys/kernel/pid_max 2>/dev/null || echo 4194304)
cpus=$(getconf _NPROCESSORS_CONF)
possible=$(cat /sys/devices/system/cpu/possible 2>/dev/null || echo "0-$((cpus - 1))")
last_cpu=${possible##*-}
last_cpu=${last_cpu##*,}

# bad DESCRIPTION MESSAGE ARGS...: ARGS are a usage error with MESSAGE.
bad()
{
	description=$1
	message=$2
	shift 2
	run "$@"
	check "bad argument: $description ($*)" usage_error "$message"
}

bad "pid not a number" "invalid VMM pid 'abc': Invalid argument" -p abc
bad "pid with trailing text" "invalid VMM pid '12x': Invalid argument" -p 12x
bad "pid empty" "invalid VMM pid '': Invalid argument" --pid=
bad "pid zero" "invalid VMM pid '0': Numerical result out of range" -p 0
bad "pid negative" "invalid VMM pid '-5': Numerical result out of range" -p -5
bad "pid beyond int" "invalid VMM pid '99999999999': Numerical result out of range" \
	-p 99999999999
bad "pid of no process" "VMM pid $pid_max: No such process" -p "$pid_max"
bad "pid missing" "option requires an argument -- 'p'" -p
bad "cpu not a number" "invalid CPU 'x': Invalid argument" -c x
bad "cpu negative" "invalid CPU '-1': Numerical result out of range" -c -1
bad "cpu not on this host" \
	"invalid CPU '$((last_cpu + 1))': Numerical result out of range (this host's CPUs are 0-$last_cpu)" \
	--cpu "$((last_cpu + 1))"
bad "vcpu not a number" "invalid vCPU id 'one': Invalid argument" --vcpu one
bad "vcpu negative" "invalid vCPU id '-1': Numerical result out of range" --vcpu=-1
bad "vcpu missing" "option '--vcpu' requires an argument" --vcpu
bad "interval zero" "invalid interval '0': Numerical result out of range" 0
bad "interval not a number" "invalid interval '1s': Invalid argument" 1s
bad "count zero" "invalid count '0': Numerical result out of range" 1 0
bad "count not a number" "invalid count 'many': Invalid argument" 1 many
bad "a third positional argument" "unexpected argument '3': Argument list too long" 1 2 3
bad "unknown long option" "unrecognized option '--bogus'" --bogus
bad "unknown short option" "invalid option -- 'x'" -x
bad "--histogram takes no value" "option '--histogram' doesn't allow an argument" \
	--histogram=5

# --- checks before loading, on fake sysfs trees ----------------------------
fake=$tmp/sys
# make_tree [module] [vmlinux] [MODULE_BTF]: a fake /sys with what is named.
make_tree()
{
	rm -rf "$fake"
	mkdir -p "$fake/kernel/btf" "$fake/module"
	for part in "$@"; do
		case $part in
		module)
			mkdir -p "$fake/module/kvm_pmu_partition"
			echo 0.2.0 >"$fake/module/kvm_pmu_partition/version" ;;
		vmlinux)
			cp "$test_dir/vmlinux.btf" "$fake/kernel/btf/vmlinux" ;;
		*)
			cp "$part" "$fake/kernel/btf/kvm_pmu_partition" ;;
		esac
	done
}

have_test_btf()
{
	for f in vmlinux.btf module.btf module-old.btf standalone.btf; do
		[ -s "$test_dir/$f" ] || { diag "no $test_dir/$f (make test builds it)"; return 1; }
	done
}
check "the test BTF is built (make test)" have_test_btf

good_args="-p $$ -c 0 --vcpu 0 --histogram -j -v 1 1"
make_tree
# shellcheck disable=SC2086 # word splitting intended
run_fake "$fake" $good_args
check "good arguments pass parsing, then: module not loaded (exit 1, one line)" \
	one_error "the kvm_pmu_partition module is not loaded"
make_tree module
run_fake "$fake"
check "no kernel BTF: one line naming CONFIG_DEBUG_INFO_BTF" \
	one_error "this kernel has no BTF; it needs CONFIG_DEBUG_INFO_BTF=y"
make_tree module vmlinux
run_fake "$fake" -j
check "no module BTF: one line saying to install dwarves and rebuild with DKMS" \
	one_error "kvm_pmu_partition: No such file or directory: the module was built without BTF; install dwarves (pahole), rebuild it with DKMS for the running kernel (dkms build --force kvm-pmu-partition/0.2.0 && dkms install --force kvm-pmu-partition/0.2.0) and reload it"
echo "not BTF" >"$tmp/garbage.btf"
make_tree module vmlinux "$tmp/garbage.btf"
run_fake "$fake"
check "unreadable module BTF: one line" \
	one_error "cannot read the module's BTF $fake/kernel/btf/kvm_pmu_partition: "
make_tree module vmlinux "$test_dir/module-old.btf"
run_fake "$fake"
check "a module older than the tracer (records without VM identity): one line" \
	one_error "the loaded kvm_pmu_partition is older than this tracer: its BTF has no trace_event_raw_kvm_pmu_partition_overflow field vmm; install and load the module of the tracer's version (0.2.0)"
# With the records the tracer wants, the checks pass: what fails then is
# loading, against the real kernel, which has no such records.
make_tree module vmlinux "$test_dir/module.btf"
run_fake "$fake"
check "a module with the records passes the checks (then loading fails: one line)" \
	one_error "cannot load the BPF programs: "

# The real /sys of this host, where the module is not loaded.
if [ -d /sys/module/kvm_pmu_partition ]; then
	skip "module not loaded, on this host's /sys" "kvm_pmu_partition is loaded here"
else
	run -p $$
	check "module not loaded, on this host's /sys: exit 1, one line" \
		one_error "the kvm_pmu_partition module is not loaded (/sys/module/kvm_pmu_partition: No such file or directory): load it with modprobe kvm_pmu_partition"
fi

# --- the records read are the module's --------------------------------------
# fields EVENT: the fields of EVENT's TP_STRUCT__entry in module/trace.h.
fields()
{
	awk -v event="kvm_pmu_partition_$1," '
		(index($0, "TRACE_EVENT(" event) == 1 ||
		 index($0, "TRACE_EVENT_FN(" event) == 1) { inside = 1 }
		inside && /TP_fast_assign/ { exit }
		inside { while (match($0, /__(field|string)\([^,]*, *[a-z_]*\)/)) {
				f = substr($0, RSTART, RLENGTH); $0 = substr($0, RSTART + RLENGTH)
				sub(/.*, */, "", f); sub(/\)/, "", f); printf "%s ", f } }
	' "$top/module/trace.h"
}
module_fields_ok()
{
	got=$(fields "$1")
	[ "$got" = "$2" ] || { diag "module/trace.h kvm_pmu_partition_$1: '$got', want '$2'"; return 1; }
}
if [ -r "$top/module/trace.h" ]; then
	check "module/trace.h: overflow has the fields the tracer reads" \
		module_fields_ok overflow "vmm vm vcpu_id cpu counters coalesced path "
	check "module/trace.h: inject has the fields the tracer reads" \
		module_fields_ok inject "vmm vm vcpu_id cpu counters same_exit "
	check "module/trace.h: acknowledge has the fields the tracer reads" \
		module_fields_ok acknowledge "vmm vm vcpu_id cpu counters delay_ns "
	check "module/trace.h: drop has the fields the tracer reads" \
		module_fields_ok drop "vmm vm vcpu_id cpu counters reason "
else
	skip "module/trace.h fields" "no module/trace.h next to the tool"
fi

# --- the BPF programs through this kernel's verifier -------------------------
calls_ok()
{
	"$test_dir/load-check" --calls-only >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" = 0 ] && grep -qx 'no BPF-to-BPF calls or callbacks' "$tmp/out"
}
if [ -x "$test_dir/load-check" ]; then
	check "no BPF-to-BPF calls or callbacks (kernels without BPF JIT refuse them)" \
		calls_ok
else
	check "no BPF-to-BPF calls or callbacks (no $test_dir/load-check)" false
fi
load_ok()
{
	"$test_dir/load-check" "$test_dir/standalone.btf" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" = 0 ] && [ "$(grep -c '^loaded 4 programs' "$tmp/out")" = 16 ] &&
		grep -qx 'no BPF-to-BPF calls or callbacks' "$tmp/out"
}
if [ "$(id -u)" != 0 ]; then
	skip "the BPF programs pass this kernel's verifier" "not root"
elif [ ! -x "$test_dir/load-check" ]; then
	check "the BPF programs pass this kernel's verifier (no $test_dir/load-check)" false
else
	check "the BPF programs pass this kernel's verifier ($(uname -r); the 16 filter settings, each program within half the instruction limit)" \
		load_ok
	sed 's/^/# /' "$tmp/out"
fi

echo "1..$tests"
if [ "$failed" != 0 ]; then
	diag "$failed of $tests failed"
	exit 1
fi
