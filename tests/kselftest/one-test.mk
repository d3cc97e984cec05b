# SPDX-License-Identifier: GPL-2.0
# Builds the one test named by KSELFTEST_SRC (see ../rig/kselftest.mk).
.DEFAULT_GOAL := kselftest
include $(dir $(lastword $(MAKEFILE_LIST)))../rig/kselftest.mk
