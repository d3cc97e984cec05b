# SPDX-License-Identifier: GPL-2.0
#
# tests/rig/kselftest.mk -- make fragment.
#
# Owns: compiling ONE extra KVM selftest (.c, aarch64) outside the kernel tree
# against the library objects that tests/rig/build-selftests.sh already built
# in $(SELFTEST_OUT)/kselftest/kvm/lib, with the kvm/Makefile flags of 6.12
# (include set per hookmap-6.12.md section 5.3).  Never writes into KSRC.
#
# Inputs (set before the include):
#   KSRC            kernel source tree (read-only is fine)                [required]
#   SELFTEST_OUT    OUTDIR given to build-selftests.sh                    [required]
#   KSELFTEST_SRC   the test's .c file                                    [required]
#   KSELFTEST_OUTDIR  where the object and binary go
#                   (default: $(SELFTEST_OUT)/rig-extra)
#   KSELFTEST_NAME  binary name (default: basename of KSELFTEST_SRC without .c)
#   KSELFTEST_EXTRA_CFLAGS  appended to CFLAGS (e.g. -I for the test's own headers)
#   CROSS_COMPILE   default aarch64-linux-gnu-
#
# Provides:
#   KSELFTEST_BIN   path of the binary
#   targets: kselftest (builds $(KSELFTEST_BIN); first target if included
#   before any other rule), kselftest-clean
#
# Example (tests/foo/Makefile):
#   KSRC ?= /usr/src/linux-6.12
#   SELFTEST_OUT ?= $(abspath ../../build/selftests)
#   KSELFTEST_SRC := $(abspath vpmu_partition.c)
#   include ../rig/kselftest.mk
#   all: kselftest

ifeq ($(strip $(KSRC)),)
$(error kselftest.mk: KSRC is not set)
endif
ifeq ($(strip $(SELFTEST_OUT)),)
$(error kselftest.mk: SELFTEST_OUT is not set)
endif
ifneq ($(words $(KSELFTEST_SRC)),1)
$(error kselftest.mk: KSELFTEST_SRC must name exactly one .c file)
endif

CROSS_COMPILE ?= aarch64-linux-gnu-
KSELFTEST_CC := $(CROSS_COMPILE)gcc

KSELFTEST_KSRC := $(abspath $(KSRC))
KSELFTEST_O := $(abspath $(SELFTEST_OUT))
KSELFTEST_KVMSRC := $(KSELFTEST_KSRC)/tools/testing/selftests/kvm
KSELFTEST_KVMOUT := $(KSELFTEST_O)/kselftest/kvm
KSELFTEST_OUTDIR ?= $(KSELFTEST_O)/rig-extra
KSELFTEST_NAME ?= $(basename $(notdir $(KSELFTEST_SRC)))
KSELFTEST_BIN := $(abspath $(KSELFTEST_OUTDIR))/$(KSELFTEST_NAME)
KSELFTEST_OBJ := $(KSELFTEST_BIN).o

# The same objects kvm/Makefile links every test with (LIBKVM, LIBKVM_aarch64,
# LIBKVM_STRING).
KSELFTEST_LIBOBJS := $(sort $(wildcard $(KSELFTEST_KVMOUT)/lib/*.o)) \
		     $(sort $(wildcard $(KSELFTEST_KVMOUT)/lib/aarch64/*.o))

# CFLAGS of tools/testing/selftests/lib.mk + kvm/Makefile (6.12, ARCH=arm64),
# with every relative include made absolute.
KSELFTEST_CFLAGS := -Wno-address-of-packed-member -Wno-gnu-variable-sized-type-not-at-end \
	-D_GNU_SOURCE= \
	-Wall -Wstrict-prototypes -Wuninitialized -O2 -g -std=gnu99 \
	-MD -MP -DCONFIG_64BIT -U_FORTIFY_SOURCE \
	-fno-builtin-memcmp -fno-builtin-memcpy -fno-builtin-memset -fno-builtin-strnlen \
	-fno-stack-protector -fno-PIE -fno-strict-aliasing \
	-I$(KSELFTEST_KSRC)/tools/include \
	-I$(KSELFTEST_KSRC)/tools/arch/arm64/include \
	-I$(KSELFTEST_KVMSRC)/include \
	-I$(dir $(abspath $(KSELFTEST_SRC))) \
	-I$(KSELFTEST_KVMSRC)/include/aarch64 \
	-I$(KSELFTEST_KVMSRC) \
	-I$(KSELFTEST_KSRC)/tools/testing/selftests/rseq \
	-I$(KSELFTEST_KSRC)/tools/testing/selftests \
	-isystem $(KSELFTEST_O)/usr/include \
	-I$(KSELFTEST_O)/tools/arch/arm64/include/generated/ \
	$(KSELFTEST_EXTRA_CFLAGS)
KSELFTEST_LDFLAGS := -pthread -no-pie
KSELFTEST_LDLIBS := -ldl

.PHONY: kselftest kselftest-clean kselftest-check-lib

kselftest: $(KSELFTEST_BIN)

kselftest-check-lib:
	@test -f $(KSELFTEST_KVMOUT)/lib/kvm_util.o -a -f $(KSELFTEST_KVMOUT)/lib/aarch64/processor.o || \
	  { echo "kselftest.mk: no selftest library in $(KSELFTEST_KVMOUT)/lib;" \
		 "run tests/rig/build-selftests.sh $(KSRC) $(SELFTEST_OUT) first" >&2; exit 1; }

$(KSELFTEST_OBJ): $(KSELFTEST_SRC) | kselftest-check-lib
	@mkdir -p $(dir $@)
	$(KSELFTEST_CC) $(KSELFTEST_CFLAGS) -c $< -o $@

$(KSELFTEST_BIN): $(KSELFTEST_OBJ) $(KSELFTEST_LIBOBJS)
	$(KSELFTEST_CC) $(KSELFTEST_CFLAGS) $(KSELFTEST_LDFLAGS) $< $(KSELFTEST_LIBOBJS) \
		$(KSELFTEST_LDLIBS) -o $@

kselftest-clean:
	rm -f $(KSELFTEST_BIN) $(KSELFTEST_OBJ) $(KSELFTEST_OBJ:.o=.d)

-include $(KSELFTEST_OBJ:.o=.d)
