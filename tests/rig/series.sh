# SPDX-License-Identifier: GPL-2.0
#
# Shell functions for a patch series directory (a `series` file naming
# git format-patch files, in order), sourced by the scripts that build the
# rig's kernel and QEMU and by make check.
#
#   series_contents DIR         the series file and every patch, for hashing
#   series_apply DIR SRC WHAT   apply with patch -p1 to the tree SRC; stop at
#                               the first patch that does not apply, naming it
#                               and WHAT it was applied to

series_contents() {
	local dir=$1 patch

	cat "$dir/series"
	while read -r patch; do
		[ -n "$patch" ] && cat "$dir/$patch"
	done < "$dir/series"
}

series_apply() {
	local dir=$1 src=$2 what=$3 patch log

	log=$(mktemp)
	while read -r patch; do
		[ -n "$patch" ] || continue
		if ! patch -d "$src" -p1 --forward --batch --dry-run \
			< "$dir/$patch" > "$log" 2>&1; then
			echo "$(basename "$dir")/$patch does not apply to $what:" >&2
			cat "$log" >&2
			rm -f "$log"
			return 1
		fi
		patch -d "$src" -p1 --forward --batch --quiet < "$dir/$patch"
		echo "applied $(basename "$dir")/$patch"
	done < "$dir/series"
	rm -f "$log"
}
