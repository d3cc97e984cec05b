// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm_pmu_partition load, parameter validation and unload, on the rig.
 *
 * Usage: module_lifecycle PATH/kvm_pmu_partition.ko
 *
 * Each test loads the module with finit_module(2) so it sees the exact
 * errno, and reads /dev/kmsg for the one log line the module promises for
 * each refused parameter. The host PMU's counter count is taken from the
 * PMU driver's own boot message, not from the module.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest.h"
#include "kernel_state.h"

#define MODULE_NAME	"kvm_pmu_partition"
#define SYSFS_DIR	"/sys/kernel/" MODULE_NAME

static const char *module_path;
static char smallest_pmu[64];
static unsigned int smallest_counters = ~0U;

static int load(const char *params)
{
	int fd = open(module_path, O_RDONLY | O_CLOEXEC);
	int ret, saved;

	if (fd < 0)
		ksft_exit_fail_msg("open %s: %s\n", module_path, strerror(errno));
	ret = syscall(__NR_finit_module, fd, params, 0);
	saved = errno;
	close(fd);
	errno = saved;
	return ret;
}

static int unload(void)
{
	return syscall(__NR_delete_module, MODULE_NAME, O_NONBLOCK);
}

static bool loaded(void)
{
	return access(SYSFS_DIR, F_OK) == 0;
}

/*
 * "hw perfevents: enabled with armv8_pmuv3_0 PMU driver, 7 (0,8000003f)
 * counters available": bits 0..30 of the mask are the event counters.
 */
static void find_smallest_host_pmu(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	char record[2048], name[64];
	unsigned int total, high, low;
	ssize_t len;
	char *line;

	if (fd < 0)
		ksft_exit_fail_msg("open /dev/kmsg: %s\n", strerror(errno));
	while ((len = read(fd, record, sizeof(record) - 1)) != 0) {
		if (len < 0) {
			if (errno == EPIPE)
				continue;
			break;
		}
		record[len] = '\0';
		line = strstr(record, "hw perfevents: enabled with ");
		if (!line || sscanf(line, "hw perfevents: enabled with %63s PMU driver, %u (%x,%x)",
				    name, &total, &high, &low) != 4)
			continue;
		if ((unsigned int)__builtin_popcount(low & 0x7fffffff) < smallest_counters) {
			smallest_counters = __builtin_popcount(low & 0x7fffffff);
			snprintf(smallest_pmu, sizeof(smallest_pmu), "%s", name);
		}
	}
	close(fd);
	if (smallest_counters == ~0U)
		ksft_exit_skip("no 'hw perfevents: enabled' line in the kernel log\n");
}

static bool read_sysfs(const char *file, char *buf, size_t size)
{
	char path[256];

	snprintf(path, sizeof(path), SYSFS_DIR "/%s", file);
	return read_line(path, buf, size);
}

static void ensure_unloaded(void)
{
	if (loaded() && unload())
		ksft_exit_fail_msg("cannot unload a leftover %s: %s\n",
				   MODULE_NAME, strerror(errno));
}

/* A refused load: the expected errno, one clear log line, no leftovers. */
static void test_refused(const char *name, const char *params, int expected_errno,
			 const char *expected_log)
{
	int kmsg, ret, err;
	bool ok;

	ensure_unloaded();
	kmsg = kmsg_mark();
	ret = load(params);
	err = errno;
	ok = kmsg_has(kmsg, expected_log);
	if (ret == 0) {
		ksft_print_msg("'%s' was accepted\n", params);
		unload();
		ok = false;
	} else if (err != expected_errno) {
		ksft_print_msg("'%s' failed with %s, expected %s\n", params,
			       strerror(err), strerror(expected_errno));
		ok = false;
	}
	ok = ok && !loaded();
	ksft_test_result(ok, "%s\n", name);
}

static void test_bad_parameters(void)
{
	char params[64], log[256];

	snprintf(params, sizeof(params), "reserved_host_counters=%u",
		 smallest_counters + 1);
	snprintf(log, sizeof(log),
		 MODULE_NAME ": reserved_host_counters=%u exceeds the %u event counters of host PMU %s; choose 0..%u",
		 smallest_counters + 1, smallest_counters, smallest_pmu,
		 smallest_counters);
	test_refused("reserved_host_counters_above_the_smallest_pmu_is_refused",
		     params, EINVAL, log);
	test_refused("reserved_host_counters_not_a_number_is_refused",
		     "reserved_host_counters=two", EINVAL,
		     MODULE_NAME ": `two' invalid for parameter `reserved_host_counters'");
	test_refused("reserved_host_counters_negative_is_refused",
		     "reserved_host_counters=-1", EINVAL,
		     MODULE_NAME ": `-1' invalid for parameter `reserved_host_counters'");
	test_refused("default_mode_unknown_is_refused", "default_mode=turbo",
		     EINVAL,
		     MODULE_NAME ": default_mode=turbo is not one of emulated, partitioned, fixed");
	test_refused("fast_path_not_a_boolean_is_refused", "fast_path=sometimes",
		     EINVAL,
		     MODULE_NAME ": `sometimes' invalid for parameter `fast_path'");
	test_refused("fgt_unknown_is_refused", "fgt=on", EINVAL,
		     MODULE_NAME ": fgt=on is not one of auto, off");
}

static void test_default_mode_fixed_loads(void)
{
	char value[64];
	bool ok;

	ensure_unloaded();
	ok = load("default_mode=fixed") == 0;
	ok = ok && read_sysfs("default_mode", value, sizeof(value)) &&
	     !strcmp(value, "fixed");
	ok = ok && unload() == 0;
	ksft_test_result(ok && !loaded(), "default_mode_fixed_loads\n");
}

/* default_mode=partitioned loads; fgt=off and fast_path=0 choose the traps. */
static void test_default_mode_partitioned_loads(void)
{
	char mode[64], policy[64], fast[64];
	bool ok;

	ensure_unloaded();
	ok = load("default_mode=partitioned fgt=off fast_path=0") == 0;
	ok = ok && read_sysfs("default_mode", mode, sizeof(mode)) &&
	     !strcmp(mode, "partitioned");
	ok = ok && read_sysfs("trap_policy", policy, sizeof(policy)) &&
	     !strcmp(policy, "trap");
	ok = ok && read_sysfs("fast_path", fast, sizeof(fast)) &&
	     !strcmp(fast, "0");
	ok = ok && unload() == 0;
	ksft_test_result(ok && !loaded(), "default_mode_partitioned_loads\n");
}

static void test_load_with_every_parameter_then_unload(void)
{
	char params[128], value[64], expected[16];
	bool ok;

	ensure_unloaded();
	snprintf(params, sizeof(params),
		 "reserved_host_counters=%u default_mode=emulated fgt=off",
		 smallest_counters);
	ok = load(params) == 0;
	if (!ok)
		ksft_print_msg("load '%s': %s\n", params, strerror(errno));
	snprintf(expected, sizeof(expected), "%u", smallest_counters);
	ok = ok && read_sysfs("reserved_host_counters", value, sizeof(value)) &&
	     !strcmp(value, expected);
	ok = ok && read_sysfs("default_mode", value, sizeof(value)) &&
	     !strcmp(value, "emulated");
	ok = ok && read_sysfs("fgt", value, sizeof(value)) && !strcmp(value, "off");
	if (unload()) {
		ksft_print_msg("unload: %s\n", strerror(errno));
		ok = false;
	}
	ksft_test_result(ok && !loaded(),
			 "load_with_the_largest_reservation_then_unload\n");
}

struct vm_fds {
	int kvm, vm, vcpu;
};

static bool create_vm_with_vcpu(struct vm_fds *fds)
{
	fds->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fds->kvm < 0)
		return false;
	fds->vm = ioctl(fds->kvm, KVM_CREATE_VM, 0);
	if (fds->vm < 0)
		return false;
	fds->vcpu = ioctl(fds->vm, KVM_CREATE_VCPU, 0);
	return fds->vcpu >= 0;
}

static void destroy_vm(struct vm_fds *fds)
{
	close(fds->vcpu);
	close(fds->vm);
	close(fds->kvm);
}

static void test_unload_refused_while_a_vm_went_through_the_module(void)
{
	struct vm_fds fds;
	char vms[16] = "";
	bool ok;

	ensure_unloaded();
	ok = load("reserved_host_counters=0") == 0;
	ok = ok && create_vm_with_vcpu(&fds);
	ok = ok && read_sysfs("vms", vms, sizeof(vms)) && !strcmp(vms, "1");
	if (ok && (unload() == 0 || (errno != EWOULDBLOCK && errno != EBUSY))) {
		ksft_print_msg("unload with a live vCPU: %s\n",
			       errno ? strerror(errno) : "succeeded");
		ok = false;
	}
	ok = ok && loaded();
	destroy_vm(&fds);
	ok = ok && read_sysfs("vms", vms, sizeof(vms)) && !strcmp(vms, "0");
	if (unload()) {
		ksft_print_msg("unload after the VM is gone: %s\n", strerror(errno));
		ok = false;
	}
	ksft_test_result(ok, "unload_refused_while_a_vm_went_through_the_module\n");
}

static void test_vm_created_before_load_stays_stock(void)
{
	struct vm_fds fds;
	char vms[16] = "";
	bool ok;

	ensure_unloaded();
	ok = create_vm_with_vcpu(&fds);
	ok = ok && load("") == 0;
	ok = ok && read_sysfs("vms", vms, sizeof(vms)) && !strcmp(vms, "0");
	/* The VM never went through the module, so nothing pins it. */
	ok = ok && unload() == 0;
	destroy_vm(&fds);
	ksft_test_result(ok && !loaded(), "vm_created_before_load_stays_stock\n");
}

int main(int argc, char **argv)
{
	if (argc != 2)
		ksft_exit_fail_msg("usage: %s PATH/kvm_pmu_partition.ko\n", argv[0]);
	module_path = argv[1];

	ksft_print_header();
	find_smallest_host_pmu();
	ksft_print_msg("smallest host PMU: %s with %u event counters\n",
		       smallest_pmu, smallest_counters);
	ksft_set_plan(11);

	test_bad_parameters();
	test_default_mode_fixed_loads();
	test_default_mode_partitioned_loads();
	test_load_with_every_parameter_then_unload();
	test_unload_refused_while_a_vm_went_through_the_module();
	test_vm_created_before_load_stays_stock();

	ksft_finished();
}
