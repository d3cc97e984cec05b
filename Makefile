# SPDX-License-Identifier: GPL-2.0
#
# kvm-pmu-partition: `make demo` and `make check` do everything, from a
# fresh Debian 12 x86_64 machine (as root) to a booted arm64 KVM rig.
#
#   make demo    build, boot the rig on Debian, install the packages (DKMS),
#                modprobe, run a QEMU guest with perf, show pmuctl, bpftrace
#   make demo-initramfs  the module and a selftest guest on the small rig
#   make check   checkpatch, build everything, run the tests on the rig;
#                prints TAP and a final "N passed, N failed"
#   make bench   benchmarks on the rig under -icount (not tests); writes
#                bench-results.json
#   make shell   boot the rig to an interactive shell
#   make check-debug  the module's paths on a lockdep + KASAN kernel
#                (build/kernel-debug), with and without -icount; not part
#                of check
#   make rootfs  the rig's Debian arm64 userland image (build/rootfs.ext4)
#   make deb     Debian packages of the DKMS module and pmuctl (arm64,
#                amd64; the arm64 one with pmu-overflow-trace) in
#                build/debs-out/
#   make pmu-overflow-trace  the libbpf tracer of overflow delivery, for
#                arm64 (static) and the build host (its tests)
#   make user-path  the user path on the rig's Debian userland: packages,
#                DKMS, modprobe, QEMU running a Linux guest with perf
#                (stock, partitioned, fixed), a save and restore
#
# Everything built goes to build/ (the module's objects to module/).

TOP := $(CURDIR)
BUILD := $(TOP)/build
KSRC := $(BUILD)/src/linux-source-6.12
KOUT := $(BUILD)/kernel
IMAGE := $(KOUT)/arch/arm64/boot/Image
SELFTEST_OUT := $(BUILD)/selftests
KVM_TESTS := $(SELFTEST_OUT)/kselftest/kvm
INITRAMFS := $(BUILD)/initramfs.cpio.gz
# The rig runs on QEMU 10.0.2 patched to enforce MDCR_EL2.HPMN (docs/qemu.md).
export QEMU := $(BUILD)/qemu/qemu-system-aarch64
CROSS := ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
JOBS ?= $(shell nproc)
RIG_ARGS ?= --smp 2 --memory 1024 --icount
# make check-debug: the same source with tests/rig/kernel-debug.config, the
# module built from a copy of its sources (module/*.ko stay the normal ones).
# The rig kernel for the Debian userland (virtio-blk, ext4: tests/rig/
# kernel-rootfs.config) and its linux-image/linux-headers packages.
ROOTFS_KOUT := $(BUILD)/kernel-rootfs
DEBUG_KOUT := $(BUILD)/kernel-debug
DEBUG_TREE := $(BUILD)/debug-tree
INITRAMFS_DEBUG := $(BUILD)/initramfs-debug.cpio.gz
# make check's test build of the module (KVM_PMU_PARTITION_TEST_HOOKS,
# module/fixed.c), from a copy of its sources like the debug module; never
# packaged.
TEST_HOOKS_TREE := $(BUILD)/test-hooks-tree

# $(call mirror_module_sources,DIR): copies the module's sources, with the
# include/ and tests/model/ its Kbuild wants beside it, under DIR, so that a
# second build (the debug kernel's, the test build) leaves module/ alone.
define mirror_module_sources
	@mkdir -p $(1)/tests
	@for d in module include tests/model; do \
		rsync -a --delete --prune-empty-dirs --exclude='*.mod.c' \
			--include='*/' --include='*.[ch]' --include=Kbuild \
			--exclude='*' $(TOP)/$$d/ $(1)/$$d/ || exit 1; \
	done
endef

.PHONY: all setup kernel module bench-module pmuctl selftests kselftests initramfs \
	qemu split-dtb probe el3-firmware el3 check bench demo shell clean distclean \
	pmu-overflow-trace \
	kernel-debug module-debug initramfs-debug check-debug rootfs deb \
	kernel-rootfs kernel-debs user-path demo-initramfs soak soak-debug \
	module-test-hooks

all: initramfs

setup:
	@tests/rig/setup-host.sh $(BUILD)/.host-packages

kernel: setup
	@JOBS=$(JOBS) tests/rig/build-kernel.sh

module: kernel
	$(MAKE) -C $(KOUT) $(CROSS) M=$(TOP)/module -j$(JOBS) modules

module-test-hooks: kernel
	$(call mirror_module_sources,$(TEST_HOOKS_TREE))
	$(MAKE) -C $(KOUT) $(CROSS) M=$(TEST_HOOKS_TREE)/module -j$(JOBS) \
		KVM_PMU_PARTITION_TEST_HOOKS=1 modules

# make bench's floor of a trapped PMU access (tests/bench/exit-floor).
bench-module: kernel
	$(MAKE) -C $(KOUT) $(CROSS) M=$(TOP)/tests/bench/exit-floor modules

pmuctl: setup
	$(MAKE) -C tools/pmuctl O=$(BUILD)/pmuctl-host
	$(MAKE) -C tools/pmuctl O=$(BUILD)/pmuctl-arm64 \
		CC=aarch64-linux-gnu-gcc LDFLAGS=-static

# The libbpf CO-RE tracer of overflow delivery (issue 13,
# tools/pmu-overflow-trace): its vmlinux.h comes from the BTF of the rig
# kernel (kernel-rootfs, CONFIG_DEBUG_INFO_BTF).
TRACE_VMLINUX ?= $(ROOTFS_KOUT)/vmlinux
pmu-overflow-trace: setup kernel-rootfs
	$(MAKE) -C tools/pmu-overflow-trace O=$(BUILD)/pmu-overflow-trace-host \
		VMLINUX=$(TRACE_VMLINUX)
	$(MAKE) -C tools/pmu-overflow-trace O=$(BUILD)/pmu-overflow-trace-arm64 \
		VMLINUX=$(TRACE_VMLINUX) CC=aarch64-linux-gnu-gcc LDFLAGS=-static

qemu: setup
	@tests/rig/build-qemu.sh

split-dtb: qemu
	@tests/rig/build-split-dtb.sh $(QEMU) $(BUILD)/split-pmu.dtb
	@tests/rig/build-split-dtb.sh $(QEMU) $(BUILD)/uncovered-pmu.dtb 0,1

probe: setup
	$(MAKE) -C tests/rig/hpmn-probe O=$(BUILD)/hpmn-probe

# The EL3 firmware of the rig's EL3 variant (run-qemu.sh --el3, docs/rig.md).
el3-firmware: setup
	$(MAKE) -C tests/rig/el3-firmware O=$(BUILD)/el3-firmware

# The Debian 12 arm64 userland for the rig's KVM host (issue 12), cached
# under ~/.cache/kvm-pmu-partition/rootfs/: build/rootfs.ext4 and
# build/rootfs.manifest (tests/rig/build-rootfs.sh).
rootfs: setup
	@tests/rig/build-rootfs.sh $(BUILD)/rootfs.ext4

# Debian packages (issue 12): kvm-pmu-partition-dkms (all) and pmuctl
# (arm64, amd64), version from dkms.conf, in build/debs-out/
# (tools/packaging/build-debs.sh; build/debs/ is the rig's download cache).
# The arm64 pmuctl package carries pmu-overflow-trace.
deb: pmuctl pmu-overflow-trace
	@PMU_OVERFLOW_TRACE_VMLINUX=$(TRACE_VMLINUX) tools/packaging/build-debs.sh $(BUILD)/debs-out

kernel-rootfs: setup
	@JOBS=$(JOBS) tests/rig/build-kernel.sh --out $(ROOTFS_KOUT) \
		--fragment $(TOP)/tests/rig/kernel-rootfs.config

kernel-debs: kernel-rootfs
	@tests/rig/build-kernel-debs.sh $(ROOTFS_KOUT) $(BUILD)/kernel-debs

# The user path (issue 12): tests/rig/rootfs/run-user-path.sh.
user-path: kernel-debs rootfs deb qemu kselftests
	@tests/rig/rootfs/run-user-path.sh

selftests: kernel
	@tests/rig/build-selftests.sh $(KSRC) $(SELFTEST_OUT)

kselftests: selftests
	$(MAKE) -C tests/kselftest KSRC=$(KSRC) SELFTEST_OUT=$(SELFTEST_OUT) \
		OUTDIR=$(BUILD)/tests

# What both initramfs images carry besides the modules: tests, checks, plans.
RIG_TEST_FILES = \
	--add $(KVM_TESTS)/aarch64/vpmu_counter_access:/rig/tests/kvm/ \
	--add $(KVM_TESTS)/get-reg-list:/rig/tests/kvm/ \
	--add $(KVM_TESTS)/arch_timer:/rig/tests/kvm/ \
	--add $(BUILD)/tests/module_lifecycle:/rig/tests/ \
	--add $(BUILD)/tests/hooks_reached:/rig/tests/ \
	--add $(BUILD)/tests/pmu_guest_demo:/rig/tests/ \
	--add $(BUILD)/tests/fixed_counters:/rig/tests/ \
	--add $(BUILD)/tests/partitioned_pmu:/rig/tests/ \
	--add $(BUILD)/tests/pmu_conformance:/rig/tests/ \
	--add $(BUILD)/tests/soak_host_events:/rig/tests/ \
	--add $(TOP)/tests/rig/soak.sh:/rig/tests/ \
	--add $(BUILD)/tests/partition_isolation:/rig/tests/ \
	--add $(BUILD)/tests/partition_hotplug:/rig/tests/ \
	--add $(BUILD)/tests/el3_visible:/rig/tests/ \
	--add $(BUILD)/tests/hostile_vmm:/rig/tests/ \
	--add $(BUILD)/tests/host_counter_leak:/rig/tests/ \
	--add $(BUILD)/tests/overflow_delivery:/rig/tests/ \
	--add $(BUILD)/tests/hetero_partition:/rig/tests/ \
	--add $(BUILD)/tests/backing_switch:/rig/tests/ \
	--add $(BUILD)/tests/pmu_ops:/rig/tests/ \
	--add $(TOP)/tests/rig/checks:/rig/tests \
	--add $(BUILD)/pmuctl-arm64/pmuctl:/rig/bin/ \
	--plans $(TOP)/tests/rig/plans

initramfs: module module-test-hooks bench-module pmuctl kselftests
	@tests/rig/build-initramfs.sh $(INITRAMFS) \
		$(RIG_TEST_FILES) \
		--add $(TOP)/module/kvm_pmu_partition.ko:/rig/modules/ \
		--add $(TEST_HOOKS_TREE)/module/kvm_pmu_partition.ko:/rig/modules/test-hooks/ \
		--add $(TOP)/tests/bench/exit-floor/pmu_exit_floor.ko:/rig/modules/ \
		--add $(TOP)/module/kvm_pmu_partition_kunit.ko:/rig/modules/ \
		--add $(KOUT)/lib/kunit/kunit.ko:/rig/modules/

check: initramfs qemu probe split-dtb el3-firmware kernel-debs rootfs deb
	@tests/run-check.sh

# The user's path on the rig's Debian userland (tests/rig/rootfs/plans/
# demo.plan): packages, DKMS, modprobe, a QEMU guest running perf, pmuctl,
# bpftrace. demo-initramfs: the module and a selftest guest, in a minute.
demo: kernel-debs rootfs deb qemu kselftests
	@echo "== kvm-pmu-partition demo: $$(cat $(BUILD)/kernel-source-version)"
	@tests/rig/rootfs/run-user-path.sh --plan demo --log $(BUILD)/demo.log

demo-initramfs: initramfs qemu
	@tests/rig/run-qemu.sh --kernel $(IMAGE) --initrd $(INITRAMFS) \
		--plan demo $(RIG_ARGS) --timeout 900 --log $(BUILD)/demo-initramfs.log

# The debug kernel (lockdep, atomic sleep, KASAN, ...; docs/rig.md), not
# part of make check: the module's Kbuild wants ../include and
# ../tests/model next to module/, so build/debug-tree/ mirrors those sources.
kernel-debug: setup
	@JOBS=$(JOBS) tests/rig/build-kernel.sh --out $(DEBUG_KOUT) \
		--fragment $(TOP)/tests/rig/kernel-debug.config

module-debug: kernel-debug
	$(call mirror_module_sources,$(DEBUG_TREE))
	$(MAKE) -C $(DEBUG_KOUT) $(CROSS) M=$(DEBUG_TREE)/module -j$(JOBS) modules
	@mkdir -p $(DEBUG_TREE)-test-hooks
	@rsync -a --delete $(DEBUG_TREE)/ $(DEBUG_TREE)-test-hooks/
	$(MAKE) -C $(DEBUG_KOUT) $(CROSS) M=$(DEBUG_TREE)-test-hooks/module \
		-j$(JOBS) KVM_PMU_PARTITION_TEST_HOOKS=1 modules

# The initramfs target's files, with the debug kernel's modules.
initramfs-debug: module-debug pmuctl kselftests
	@tests/rig/build-initramfs.sh $(INITRAMFS_DEBUG) \
		$(RIG_TEST_FILES) \
		--add $(DEBUG_TREE)/module/kvm_pmu_partition.ko:/rig/modules/ \
		--add $(DEBUG_TREE)-test-hooks/module/kvm_pmu_partition.ko:/rig/modules/test-hooks/ \
		--add $(DEBUG_TREE)/module/kvm_pmu_partition_kunit.ko:/rig/modules/ \
		--add $(DEBUG_KOUT)/lib/kunit/kunit.ko:/rig/modules/

check-debug: initramfs-debug qemu
	@tests/run-check-debug.sh

# Mixed load for SOAK_SECONDS (default 1800) of the rig's clock
# (tests/rig/soak.sh, docs/conformance.md), not part of make check, on the
# split-PMU rig (SOAK_RIG=uniform: one PMU); SOAK_ICOUNT=1 for exact
# counts; soak-debug on the debug kernel.
soak: initramfs qemu split-dtb
	@tests/run-soak.sh

soak-debug: initramfs-debug qemu split-dtb
	@SOAK_KERNEL=debug tests/run-soak.sh

# Benchmarks: deterministic figures under -icount, not part of make check.
bench: initramfs qemu split-dtb kernel-debs rootfs deb
	@tests/run-bench.sh

# The rig with EL3 present: its own plan, alone.
el3: initramfs qemu el3-firmware
	@tests/rig/run-qemu.sh --kernel $(IMAGE) --initrd $(INITRAMFS) \
		--plan el3 $(RIG_ARGS) --el3 --timeout 1200 --log $(BUILD)/el3.log

shell: initramfs qemu
	@tests/rig/run-qemu.sh --kernel $(IMAGE) --initrd $(INITRAMFS) \
		--plan shell $(RIG_ARGS) --timeout 36000

clean:
	$(MAKE) -C $(KOUT) $(CROSS) M=$(TOP)/module clean 2>/dev/null || true
	$(MAKE) -C $(KOUT) $(CROSS) M=$(TOP)/tests/bench/exit-floor clean 2>/dev/null || true
	rm -rf $(BUILD)/tests $(BUILD)/pmuctl-* $(BUILD)/pmu-overflow-trace-* $(INITRAMFS)

distclean:
	rm -rf $(BUILD)
	git clean -fdX module
