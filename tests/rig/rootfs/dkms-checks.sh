#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rig-dkms-check loaded|no-shim|kernel-hook|bad-input   (inside the rig's
#                        Debian userland, /rig/bin/; plans/user-path.plan)
#
# Owns: the DKMS checks of the user path (issue 12), after the packages
# (linux-headers of the rig kernel, kvm-pmu-partition-dkms) were installed
# with apt.
# loaded   the kvm_pmu_partition that is loaded is the one DKMS built and
#          installed: modprobe resolves it to updates/dkms/, that file is
#          byte-identical to DKMS's build, its GNU build ID equals the loaded
#          module's (/sys/module/.../notes), the kernel's module tree has no
#          other copy, and dkms status says "installed" for the running kernel.
# no-shim  against headers without the shim (the rig's headers, as
#          symlinks, minus include/kvm/arm_pmu_hooks.h): dkms build is
#          skipped (exit 77) with dkms.conf's one-line reason and nothing
#          is built; the DKMS kernel hook a kernel package's postinst runs
#          (/etc/kernel/postinst.d/dkms, dkms autoinstall) exits 0 with that
#          reason, so installing such a kernel does not fail; make in
#          module/ against them stops with module/Kbuild's reason.
# kernel-hook  after dkms uninstall for the running (shim) kernel, the DKMS
#          kernel hook for it (as when its package is reinstalled) exits 0
#          and installs the module again.
# bad-input  dkms build for a kernel without headers, and QEMU without
#          access to /dev/kvm (run as nobody): each fails with a message that
#          says why (dkms's and QEMU's own).
set -u
name=kvm-pmu-partition
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' /usr/src/$name-*/dkms.conf | head -n 1)
kver=$(uname -r)
fail=0
say() { echo "dkms-check: $*"; }
check() {
	local what=$1
	shift
	if "$@"; then say "ok: $what"; else say "FAILED: $what"; fail=1; fi
}

case ${1:-} in
loaded)
	dkms status | tee /tmp/dkms.status
	check "dkms status: $name/$version installed for $kver" \
		grep -q "^$name/$version, $kver, aarch64: installed" /tmp/dkms.status
	file=$(modinfo -n kvm_pmu_partition)
	check "modprobe finds $file in updates/dkms" \
		[ "$file" = "/lib/modules/$kver/updates/dkms/kvm_pmu_partition.ko" ]
	built=/var/lib/dkms/$name/$version/$kver/aarch64/module/kvm_pmu_partition.ko
	check "it is DKMS's build ($built)" cmp "$file" "$built"
	file_id=$(readelf -n "$file" | sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p')
	# The note: namesz, descsz, type (4 bytes each), "GNU\0", the ID.
	loaded_id=$(od -An -tx1 -v /sys/module/kvm_pmu_partition/notes/.note.gnu.build-id |
		tr -d ' \n' | cut -c33-)
	check "the loaded module's build ID ($loaded_id) is the file's ($file_id)" \
		test -n "$file_id" -a "$file_id" = "$loaded_id"
	# Where modprobe looks: the running kernel's module tree (/lib is
	# /usr/lib on Debian 12).
	copies=$(find /usr/lib/modules/"$kver" -name 'kvm_pmu_partition*.ko*' | sort)
	echo "$copies"
	check "the module tree has only updates/dkms's copy" \
		test "$copies" = "/usr/lib/modules/$kver/updates/dkms/kvm_pmu_partition.ko"
	;;
no-shim)
	noshim=$kver-noshim
	work=$(mktemp -d /tmp/dkms-noshim.XXXXXX)
	fake=$work/linux-headers-$noshim
	cp -as "$(readlink -f /lib/modules/$kver/build)" "$fake"
	rm "$fake/include/kvm/arm_pmu_hooks.h"
	dkms build -m $name -v "$version" -k "$noshim" --kernelsourcedir "$fake" \
		> "$work/build.out" 2>&1
	rc=$?
	cat "$work/build.out"
	check "dkms build skips it (exit $rc, want 77)" [ $rc = 77 ]
	check "with dkms.conf's reason" \
		grep -q "^$name: kernel $noshim lacks the kvm-pmu-partition shim" "$work/build.out"
	check "nothing built for it" [ ! -e "/var/lib/dkms/$name/$version/$noshim" ]

	# A kernel without the shim being installed: its postinst runs the
	# DKMS kernel hook, which must not fail (dkms 3.0.10 fails a whole
	# autoinstall for one excluded module: dkms.conf opts out instead).
	mkdir -p "/lib/modules/$noshim"
	ln -s "$fake" "/lib/modules/$noshim/build"
	/etc/kernel/postinst.d/dkms "$noshim" > "$work/hook.out" 2>&1
	rc=$?
	cat "$work/hook.out"
	check "the kernel hook (dkms autoinstall) goes on (exit $rc, want 0)" [ $rc = 0 ]
	check "with dkms.conf's reason" \
		grep -q "^$name: kernel $noshim lacks the kvm-pmu-partition shim" "$work/hook.out"
	check "nothing built for it" [ ! -e "/var/lib/dkms/$name/$version/$noshim" ]
	check "the running kernel's module is still installed" \
		dkms status -m $name -v "$version" -k "$kver" | grep -q ': installed'
	rm -rf "/lib/modules/$noshim"

	cp -r /usr/src/$name-$version "$work/source"
	make -C "$fake" M="$work/source/module" modules > "$work/make.out" 2>&1
	rc=$?
	cat "$work/make.out"
	check "make against it fails (exit $rc)" [ $rc != 0 ]
	check "with module/Kbuild's reason" \
		grep -q "this kernel lacks the kvm-pmu-partition shim" "$work/make.out"
	rm -rf "$work"
	;;
kernel-hook)
	# The kernel hook for the shim kernel itself, as when its package is
	# reinstalled or upgraded: dkms autoinstall puts the module back.
	dkms uninstall -m $name -v "$version" -k "$kver"
	check "dkms uninstall took it out of the module tree" \
		test ! -e "/usr/lib/modules/$kver/updates/dkms/kvm_pmu_partition.ko"
	/etc/kernel/postinst.d/dkms "$kver"
	rc=$?
	check "the kernel hook (dkms autoinstall) for $kver exits 0 ($rc)" [ $rc = 0 ]
	dkms status -m $name -v "$version" -k "$kver" | tee /tmp/dkms.status
	check "and installed the module again" grep -q ': installed' /tmp/dkms.status
	;;
bad-input)
	# What an administrator sees on the other bad inputs of this path.
	dkms build -m $name -v "$version" -k "$kver-noheaders" > /tmp/dkms-noheaders.out 2>&1
	rc=$?
	cat /tmp/dkms-noheaders.out
	check "dkms build for a kernel without headers fails (exit $rc)" [ $rc != 0 ]
	check "and says the headers cannot be found" \
		grep -q "headers for kernel $kver-noheaders cannot be found" /tmp/dkms-noheaders.out
	# A VMM without access to /dev/kvm (here: QEMU as nobody). It must
	# fail at once; bounded (once so far QEMU did not exit: the log
	# then shows /dev/kvm's mode and QEMU's state instead of a plan
	# timeout).
	ls -l /dev/kvm
	timeout -s KILL 120 setpriv --reuid=65534 --regid=65534 --clear-groups \
		qemu-system-aarch64 -accel kvm -M virt -display none -nodefaults \
		> /tmp/qemu-nokvm.out 2>&1 < /dev/null
	rc=$?
	cat /tmp/qemu-nokvm.out
	[ $rc = 137 ] && echo "dkms-check: QEMU as nobody had not exited after 120 s"
	check "QEMU without /dev/kvm access fails (exit $rc)" [ $rc != 0 ]
	check "and says why" grep -q "Could not access KVM kernel module: Permission denied" /tmp/qemu-nokvm.out
	;;
*)
	echo "usage: rig-dkms-check loaded|no-shim|kernel-hook|bad-input" >&2
	exit 2
	;;
esac
exit $fail
