#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-debs.sh [OUTDIR]
#
# Owns: the project's Debian binary packages (issue 12), built with
# `dpkg-deb --build` from staging trees made here (no debian/ directory, no
# dh sequence):
#   kvm-pmu-partition-dkms_<V>-<R>_all.deb  the module's DKMS source tree in
#       /usr/src/kvm-pmu-partition-<V>/ (dkms.conf, module/*.[ch] + Kbuild,
#       include/, tests/model/: what module/Kbuild builds from, nothing
#       else), with the postinst and prerm that dh_dkms (dh-dkms 3.0.10,
#       Debian 12) generates; Depends: dkms (>= 2.1.0.0), as dh_dkms adds.
#   pmuctl_<V>-<R>_<arch>.deb, for each arch in PMUCTL_ARCHES: pmuctl built
#       with Debian's build flags (dpkg-buildflags, hardening=+all),
#       dynamically linked and stripped, installed by its own
#       `make install DESTDIR=... PREFIX=/usr`: /usr/sbin/pmuctl (a root-run
#       admin tool, manual section 8), its man page (gzipped here) and its
#       bash completion in /usr/share/bash-completion/completions/pmuctl;
#       Depends: libc6 (>= the highest GLIBC_x.y symbol version the binary
#       uses). The arm64 package also has pmu-overflow-trace (the libbpf
#       tracer of overflow delivery, tools/pmu-overflow-trace), built the
#       same way with libbpf, libelf, zlib and zstd linked statically (so
#       libc6 is still all it needs), installed by its own make install:
#       /usr/sbin/pmu-overflow-trace and its man page (gzipped here).
#   Both: /usr/share/doc/<package>/copyright (DEP-5) and changelog.Debian.gz,
#   DEBIAN/md5sums, Installed-Size.
# Inputs: dkms.conf (PACKAGE_NAME and PACKAGE_VERSION: V, the one version of
#   the project; tools/pmuctl/Makefile's PMUCTL_VERSION must agree), the git
#   index (which files are sources) and work tree (their contents),
#   tools/pmuctl/ (sources, pmuctl.8, bash-completion/),
#   tools/pmu-overflow-trace/ (sources, pmu-overflow-trace.8; its Makefile's
#   PMU_OVERFLOW_TRACE_VERSION must agree too), the last commit (SOURCE_DATE_EPOCH,
#   copyright years, changelog). Environment:
#     DEB_REVISION    Debian revision R (default 1)
#     DEB_MAINTAINER  Maintainer field (default: the project's commit identity)
#     PMUCTL_ARCHES   default: arm64 and this machine's architecture
#     PMU_OVERFLOW_TRACE_VMLINUX  the kernel whose BTF gives the tracer's
#                     vmlinux.h (default: the rig's, build/kernel-rootfs/
#                     vmlinux, built with CONFIG_DEBUG_INFO_BTF)
#     SOURCE_DATE_EPOCH  default: the last commit's time
# Outputs: OUTDIR (default build/debs-out; not build/debs, the rig's download
#   cache): the .deb files, any older versions of them removed. Scratch:
#   build/debs-work/ (recreated each run). Same tree and commit give the same
#   bytes (sorted archives, mtimes = SOURCE_DATE_EPOCH, root:root, fixed
#   modes, gzip -n).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"   # dpkg-buildflags maps this directory to . in debug info
out=${1:-$top/build/debs-out}
work=$top/build/debs-work
revision=${DEB_REVISION:-1}
maintainer=${DEB_MAINTAINER:-kvm-pmu-partition developers <kvm-pmu-partition@invalid>}
arches=${PMUCTL_ARCHES:-}
trace_vmlinux=${PMU_OVERFLOW_TRACE_VMLINUX:-$top/build/kernel-rootfs/vmlinux}

die() { echo "build-debs.sh: $*" >&2; exit 1; }

for tool in git make gzip dpkg-deb dpkg-buildflags; do
	command -v "$tool" >/dev/null || die "needs $tool (packages git make gzip dpkg-dev)"
done

# The version: dkms.conf's PACKAGE_VERSION, once.
conf_value() {
	local v
	v=$(sed -n "s/^$1=\"\\{0,1\\}\\([^\"]*\\)\"\\{0,1\\}[[:space:]]*\$/\\1/p" dkms.conf)
	if [ -z "$v" ] || [ "$(printf '%s\n' "$v" | wc -l)" != 1 ]; then
		die "dkms.conf: want exactly one $1=..."
	fi
	printf '%s\n' "$v"
}
name=$(conf_value PACKAGE_NAME)
version=$(conf_value PACKAGE_VERSION)
deb_version=$version-$revision
pmuctl_default=$(sed -n 's/^PMUCTL_VERSION[[:space:]]*?=[[:space:]]*//p' tools/pmuctl/Makefile)
[ "$pmuctl_default" = "$version" ] ||
	die "tools/pmuctl/Makefile has PMUCTL_VERSION $pmuctl_default, dkms.conf $version: make them agree"
trace_default=$(sed -n 's/^PMU_OVERFLOW_TRACE_VERSION[[:space:]]*?=[[:space:]]*//p' \
	tools/pmu-overflow-trace/Makefile)
[ "$trace_default" = "$version" ] ||
	die "tools/pmu-overflow-trace/Makefile has PMU_OVERFLOW_TRACE_VERSION $trace_default, dkms.conf $version: make them agree"

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
export LC_ALL=C TZ=UTC
umask 022
commit=$(git rev-parse --short=12 HEAD)
dirty=
git diff --quiet HEAD -- dkms.conf module include tests/model tools/pmuctl tools/bpftrace tools/pmu-overflow-trace ||
	dirty=" with uncommitted changes"
# (tail, not head: head's early exit would be git's SIGPIPE under pipefail)
first_year=$(git log --format=%cd --date=format:%Y | tail -n 1)
last_year=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y)
years=$first_year
[ "$first_year" = "$last_year" ] || years=$first_year-$last_year

host_arch=$(dpkg --print-architecture)
# Default: arm64, plus this machine's architecture when it is another.
[ -n "$arches" ] || arches=$(printf '%s\n' arm64 "$host_arch" | sort -u | tr '\n' ' ')
for arch in $arches; do
	case $arch in
	arm64 | "$host_arch") ;;
	*) die "PMUCTL_ARCHES: cannot build pmuctl for $arch here (arm64, $host_arch)" ;;
	esac
done

rm -rf "$work"
mkdir -p "$work" "$out"

# /usr/share/doc/PACKAGE: copyright and changelog.Debian.gz.
install_docs() {
	local root=$1 pkg=$2 doc=$1/usr/share/doc/$2
	mkdir -p "$doc"
	cat > "$doc/copyright" <<-EOF
	Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
	Upstream-Name: $name
	Upstream-Contact: $maintainer

	Files: *
	Copyright: $years kvm-pmu-partition developers
	License: GPL-2
	Comment: The uapi header include/uapi/linux/kvm_pmu_partition.h is
	 GPL-2.0-only WITH Linux-syscall-note.

	License: GPL-2
	 This program is free software; you can redistribute it and/or modify
	 it under the terms of the GNU General Public License version 2 as
	 published by the Free Software Foundation.
	 .
	 This program is distributed in the hope that it will be useful,
	 but WITHOUT ANY WARRANTY; without even the implied warranty of
	 MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
	 GNU General Public License for more details.
	 .
	 On Debian systems, the complete text of the GNU General Public License
	 version 2 can be found in /usr/share/common-licenses/GPL-2.
	EOF
	{
		printf '%s (%s) unstable; urgency=medium\n\n' "$name" "$deb_version"
		printf '  * Built by tools/packaging/build-debs.sh from git commit\n'
		printf '    %s%s.\n\n' "$commit" "$dirty"
		printf ' -- %s  %s\n' "$maintainer" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
	} | gzip -9n > "$doc/changelog.Debian.gz"
}

# Modes, mtimes, md5sums, control; then dpkg-deb. $3 is the control file's
# body without Installed-Size, which is computed here as dpkg-gencontrol
# does (KiB per file rounded up, 1 per directory or link); $4 the package's
# architecture.
build_deb() {
	local root=$1 pkg=$2 control=$3 arch=$4 size
	find "$root" -type d -exec chmod 0755 {} +
	find "$root" -type f ! -perm -u+x -exec chmod 0644 {} +
	find "$root" -type f -perm -u+x -exec chmod 0755 {} +
	(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' |
		sort -z | xargs -0r md5sum) > "$root/DEBIAN/md5sums"
	size=$(find "$root" -mindepth 1 -path "$root/DEBIAN" -prune -o -printf '%y %s\n' |
		awk '{ n += ($1 == "f") ? int(($2 + 1023) / 1024) : 1 } END { print n + 0 }')
	printf '%s\n' "$control" |
		awk -v s="$size" '{ print } /^Maintainer:/ { print "Installed-Size: " s }' \
		> "$root/DEBIAN/control"
	chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
	find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
	rm -f "$out/${pkg}"_*_"$arch".deb
	dpkg-deb --root-owner-group -Zxz --build "$root" "$out/" >/dev/null
	[ -f "$out/${pkg}_${deb_version}_$arch.deb" ] || die "dpkg-deb made no ${pkg}_${deb_version}_$arch.deb"
	echo "  DEB     ${pkg}_${deb_version}_$arch.deb"
}

# --- kvm-pmu-partition-dkms ------------------------------------------------
pkg=$name-dkms
root=$work/$pkg
src=$root/usr/src/$name-$version
mkdir -p "$root/DEBIAN" "$src"
install -m 0644 dkms.conf "$src/dkms.conf"
mapfile -t sources < <(git ls-files -- module include tests/model |
	grep -E '(\.[ch]|^module/Kbuild|^module/add-module-btf\.sh)$')
for f in "${sources[@]}"; do
	[ -f "$f" ] || die "$f is in git's index but not in the work tree"
	install -D -m 0644 "$f" "$src/$f"
done
# Every object module/Kbuild names has its .c, every -I$(src)/../DIR exists.
kbuild=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' module/Kbuild)
for o in $(printf '%s\n' "$kbuild" | sed -n 's/^[^#]*-y[[:space:]]*[:+]\{0,1\}=//p' | tr -s '[:space:]' '\n' | sed -n 's/\.o$//p'); do
	[ -f "$src/module/$o.c" ] || die "module/Kbuild builds $o.o, but module/$o.c is not staged"
done
# shellcheck disable=SC2016 # $(src) is make's, not the shell's
for d in $(printf '%s\n' "$kbuild" | grep -o '\$(src)/\.\./[^[:space:]]*' | sed 's|^\$(src)/\.\./||'); do
	[ -d "$src/$d" ] || die "module/Kbuild includes ../$d, which is not staged"
done
install_docs "$root" "$pkg"
# The maintainer scripts dh_dkms writes: dh-dkms 3.0.10's autoscripts
# postinst-dkms and prerm-dkms with #MODULE_NAME# and #MODULE_VERSION#
# substituted, in the "#!/bin/sh / set -e" frame of dh_installdeb. The
# postinst runs dkms's /usr/lib/dkms/common.postinst: dkms add, then build
# and install for the running kernel (and the newest installed one) where
# its headers are present; a failed build fails the postinst (dkms prints
# the make.log to consult), BUILD_EXCLUSIVE_ARCH skips (exit 77).
cat > "$root/DEBIAN/postinst" <<EOF
#!/bin/sh
set -e
# Automatically added by dh_dkms/3.0.10-8+deb12u1 (written by build-debs.sh)
# The original file can be found in template-dkms-mkdeb/debian/postinst
# in the DKMS tarball, check it for copyright notices.

DKMS_NAME=$name
DKMS_PACKAGE_NAME=\$DKMS_NAME-dkms
DKMS_VERSION=$version

postinst_found=0

case "\$1" in
	configure)
		for DKMS_POSTINST in /usr/lib/dkms/common.postinst /usr/share/\$DKMS_PACKAGE_NAME/postinst; do
			if [ -f \$DKMS_POSTINST ]; then
				\$DKMS_POSTINST \$DKMS_NAME \$DKMS_VERSION /usr/share/\$DKMS_PACKAGE_NAME "" \$2
				postinst_found=1
				break
			fi
		done
		if [ "\$postinst_found" -eq 0 ]; then
			echo "ERROR: DKMS version is too old and \$DKMS_PACKAGE_NAME was not"
			echo "built with legacy DKMS support."
			echo "You must either rebuild \$DKMS_PACKAGE_NAME with legacy postinst"
			echo "support or upgrade DKMS to a more current version."
			exit 1
		fi
	;;
esac
# End automatically added section
EOF
cat > "$root/DEBIAN/prerm" <<EOF
#!/bin/sh
set -e
# Automatically added by dh_dkms/3.0.10-8+deb12u1 (written by build-debs.sh)
DKMS_NAME=$name
DKMS_VERSION=$version

case "\$1" in
    remove|upgrade|deconfigure)
      if [  "\$(dkms status -m \$DKMS_NAME -v \$DKMS_VERSION)" ]; then
         dkms remove -m \$DKMS_NAME -v \$DKMS_VERSION --all
      fi
    ;;
esac
# End automatically added section
EOF
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm"
sh -n "$root/DEBIAN/postinst"
sh -n "$root/DEBIAN/prerm"
build_deb "$root" "$pkg" "Package: $pkg
Source: $name
Version: $deb_version
Architecture: all
Maintainer: $maintainer
Depends: dkms (>= 2.1.0.0)
Suggests: pmuctl
Section: kernel
Priority: optional
Description: PMU partitioning for arm64 KVM, kernel module (DKMS source)
 The kvm_pmu_partition module gives KVM guests on arm64 hosts a PMU of
 their own: a partitioned PMU (the guest owns hardware event counters
 through MDCR_EL2.HPMN, without trapping where FEAT_FGT exists) or a
 fixed-counters-only PMU whose cycle counter keeps counting across the
 cores of big.LITTLE hosts. VMs that do not opt in get stock KVM PMU
 emulation.
 .
 This package provides the module's source for DKMS, which builds and
 installs it for each kernel whose headers are installed. The kernel must
 be a 6.12 arm64 kernel carrying the kvm-pmu-partition shim patch series;
 on any other arm64 kernel the build stops with \"this kernel lacks the
 kvm-pmu-partition shim\". Other architectures are skipped." all

# --- pmuctl ------------------------------------------------------------------
# Debian's flags for ARCH ($1): FLAG ($2).
buildflags() {
	DEB_HOST_ARCH=$1 DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get "$2"
}
for arch in $arches; do
	case $arch in
	arm64) triplet=aarch64-linux-gnu gccpkg=gcc-aarch64-linux-gnu ;;
	amd64) triplet=x86_64-linux-gnu gccpkg=gcc ;;
	*) die "PMUCTL_ARCHES: no triplet known for $arch" ;;
	esac
	command -v "$triplet-gcc" >/dev/null ||
		die "needs $triplet-gcc for pmuctl ($arch): install $gccpkg, or set PMUCTL_ARCHES"
	obj=$work/pmuctl-build-$arch
	pkg=pmuctl
	root=$work/$pkg-$arch
	mkdir -p "$root/DEBIAN"
	make -s -C tools/pmuctl O="$obj" CC="$triplet-gcc" PMUCTL_VERSION="$version" \
		CFLAGS="$(buildflags "$arch" CFLAGS) -Wall -Wextra -Werror" \
		CPPFLAGS="$(buildflags "$arch" CPPFLAGS)" \
		LDFLAGS="$(buildflags "$arch" LDFLAGS)" \
		DESTDIR="$root" PREFIX=/usr install >/dev/null
	bin=$root/usr/sbin/pmuctl
	for f in "$bin" "$root/usr/share/man/man8/pmuctl.8" \
		 "$root/usr/share/bash-completion/completions/pmuctl"; do
		[ -f "$f" ] || die "make install put no ${f#"$root"} in the package"
	done
	# Only libc6's libraries (libc, the dynamic loader): then Depends is
	# libc6 (>= the newest GLIBC_x.y symbol version the binary uses).
	for lib in $("$triplet-objdump" -p "$bin" | awk '$1 == "NEEDED" { print $2 }'); do
		case $lib in
		libc.so.6 | ld-linux*.so.*) ;;
		*) die "pmuctl ($arch) needs $lib; this script knows only libc6's libraries" ;;
		esac
	done
	glibc=$("$triplet-objdump" -T "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' |
		sed 's/^GLIBC_//' | sort -V | tail -n 1)
	[ -n "$glibc" ] || die "pmuctl ($arch): no GLIBC symbol versions found"
	if [ "$arch" = "$host_arch" ]; then
		got=$("$bin" --version)
		case $got in
		*"$version"*) ;;
		*) die "pmuctl ($arch) --version says '$got', not $version" ;;
		esac
	fi
	# pmu-overflow-trace, on arm64 only (the module's architecture):
	# libbpf, libelf, zlib and zstd are linked in, libc is not.
	trace_text=
	bins=$bin
	if [ "$arch" = arm64 ]; then
		[ -r "$trace_vmlinux" ] ||
			die "needs $trace_vmlinux (the rig kernel, make kernel-rootfs) for pmu-overflow-trace's vmlinux.h, or PMU_OVERFLOW_TRACE_VMLINUX"
		make -s -C tools/pmu-overflow-trace O="$work/trace-build-$arch" \
			CC="$triplet-gcc" PMU_OVERFLOW_TRACE_VERSION="$version" \
			VMLINUX="$trace_vmlinux" \
			CFLAGS="$(buildflags "$arch" CFLAGS) -Wall -Wextra -Werror" \
			CPPFLAGS="$(buildflags "$arch" CPPFLAGS)" \
			LDFLAGS="$(buildflags "$arch" LDFLAGS)" \
			LDLIBS="-Wl,-Bstatic -lbpf -lelf -lz -lzstd -Wl,-Bdynamic" \
			DESTDIR="$root" PREFIX=/usr install >/dev/null
		trace_bin=$root/usr/sbin/pmu-overflow-trace
		for f in "$trace_bin" "$root/usr/share/man/man8/pmu-overflow-trace.8"; do
			[ -f "$f" ] || die "make install put no ${f#"$root"} in the package"
		done
		bins="$bin $trace_bin"
		trace_text="
 .
 On arm64, pmu-overflow-trace (libbpf, CO-RE) follows each guest counter
 overflow from the host's PMU interrupt to the guest's acknowledgement,
 with latencies, histograms per VM, and lost or duplicate deliveries."
	fi
	# Only libc6's libraries (libc, the dynamic loader): then Depends is
	# libc6 (>= the newest GLIBC_x.y symbol version the binaries use).
	for b in $bins; do
		for lib in $("$triplet-objdump" -p "$b" | awk '$1 == "NEEDED" { print $2 }'); do
			case $lib in
			libc.so.6 | ld-linux*.so.*) ;;
			*) die "${b##*/} ($arch) needs $lib; this script knows only libc6's libraries" ;;
			esac
		done
	done
	# shellcheck disable=SC2086 # one word per binary
	glibc=$(for b in $bins; do "$triplet-objdump" -T "$b"; done |
		grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/^GLIBC_//' | sort -V | tail -n 1)
	[ -n "$glibc" ] || die "pmuctl ($arch): no GLIBC symbol versions found"

	# dh_strip's options for an executable; dh_installman's gzip.
	# shellcheck disable=SC2086 # one word per binary
	"$triplet-strip" --remove-section=.comment --remove-section=.note $bins
	gzip -9n "$root/usr/share/man/man8/pmuctl.8"
	[ -z "$trace_text" ] || gzip -9n "$root/usr/share/man/man8/pmu-overflow-trace.8"
	# The bpftrace scripts (docs/tracing.md), with their example outputs.
	scripts=$root/usr/share/$name/bpftrace
	install -d "$scripts"
	for script in tools/bpftrace/*.bt; do
		example=${script%.bt}_example.txt
		[ -f "$example" ] || die "$script has no ${example#tools/bpftrace/}"
		install -m 0755 "$script" "$scripts/"
		install -m 0644 "$example" "$scripts/"
	done
	install_docs "$root" "$pkg"
	# The libraries linked into pmu-overflow-trace: their licences (BSD
	# ones among them) want their notices with the binary, and Debian's
	# Built-Using names the sources of what is linked in statically.
	built_using=
	if [ -n "$trace_text" ]; then
		notices=$root/usr/share/doc/$pkg/copyright.static-libraries
		{
			echo "usr/sbin/pmu-overflow-trace is linked statically with the"
			echo "following libraries, from these Debian packages (arm64). Their"
			echo "copyright files follow, as Debian ships them."
		} > "$notices"
		for lib in libbpf1 libelf1 zlib1g libzstd1; do
			ver=$(dpkg-query -W -f='${Version}' "$lib:$arch" 2>/dev/null) ||
				die "pmu-overflow-trace links $lib:$arch, which is not installed (make setup)"
			src=$(dpkg-query -W -f='${source:Package} (= ${source:Version})' "$lib:$arch")
			[ -r "/usr/share/doc/$lib/copyright" ] ||
				die "no /usr/share/doc/$lib/copyright for pmu-overflow-trace's notices"
			printf '\n==== %s %s (source %s) ====\n\n' "$lib" "$ver" "$src" >> "$notices"
			cat "/usr/share/doc/$lib/copyright" >> "$notices"
			built_using="${built_using:+$built_using, }$src"
		done
		cat >> "$root/usr/share/doc/$pkg/copyright" <<-EOF

		Files: usr/sbin/pmu-overflow-trace
		Copyright: $years kvm-pmu-partition developers; and the authors of the
		 statically linked libbpf, libelf (elfutils), zlib and zstd
		License: GPL-2
		Comment: The notices and licences of the statically linked libraries are
		 in /usr/share/doc/$pkg/copyright.static-libraries.
		EOF
		built_using="
Built-Using: $built_using"
	fi
	build_deb "$root" "$pkg" "Package: $pkg
Source: $name
Version: $deb_version
Architecture: $arch
Maintainer: $maintainer
Depends: libc6 (>= $glibc)${built_using}
Suggests: $name-dkms, bpftrace
Section: admin
Priority: optional
Description: inspect the kvm_pmu_partition module of arm64 KVM
 pmuctl prints the state that the kvm_pmu_partition kernel module
 publishes under /sys/kernel/kvm_pmu_partition, as text or JSON: the
 module's parameters, the host PMUs and their counter reservation, which
 vCPU owns each CPU's PMU, and each VM's vCPUs with their PMU mode,
 HPMN, counter swaps, traps and overflows. As root it changes the number
 of event counters of every host PMU kept for host perf.$trace_text
 .
 Also bpftrace scripts on the module's tracepoints, in
 /usr/share/$name/bpftrace: overflow delivery latency and counts, PMU
 context swaps, trapped accesses.
 .
 The module comes from the $name-dkms package." "$arch"
done
