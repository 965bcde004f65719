#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0-only
#
# kernel/source.sh: the Linux 6.12 source that the lab and the kernel check
# build from: Debian's linux-source-6.12 package (installed with apt-get when
# missing and we are root), unpacked into an ignored build folder.  Nothing it
# extracts is ever committed.
#
#   sh kernel/source.sh --tarball          print the tarball's path (install if missing)
#   sh kernel/source.sh --lab DIR          extract what bench/kernel needs into
#                                          DIR/linux-source-6.12 (reused when present)
#   sh kernel/source.sh --check DIR        exit 0 if DIR holds a complete lab extraction
# Environment: KSRC_NO_APT=1 never calls apt-get.
set -eu

PKG=linux-source-6.12
TOP=linux-source-6.12
# Everything the userspace builds of iova.c, rbtree.c and maple_tree.c read.
LAB_FILES="drivers/iommu/iova.c include/linux/iova.h lib/rbtree.c
	include/linux/rbtree.h include/linux/rbtree_types.h include/linux/rbtree_augmented.h
	include/linux/xarray.h include/linux/gfp_types.h include/linux/radix-tree.h include/linux/kconfig.h
	include/linux/idr.h
	lib/maple_tree.c include/linux/maple_tree.h include/trace/events/maple_tree.h"
LAB_DIRS="tools/include tools/testing/shared tools/testing/radix-tree tools/lib tools/arch/x86/include"

die() { echo "kernel/source.sh: $*" >&2; exit 1; }

tarball() {
	t=$(ls /usr/src/$PKG.tar.* 2>/dev/null | head -1 || true)
	if [ -z "$t" ]; then
		[ -z "${KSRC_NO_APT:-}" ] || die "$PKG is not installed (KSRC_NO_APT set)"
		[ "$(id -u)" = 0 ] || die "$PKG is not installed; run: sudo apt-get install $PKG"
		echo "kernel/source.sh: installing $PKG" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $PKG >&2 ||
			{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -q --no-install-recommends $PKG >&2; } ||
			die "apt-get install $PKG failed"
		t=$(ls /usr/src/$PKG.tar.* 2>/dev/null | head -1 || true)
		[ -n "$t" ] || die "no /usr/src/$PKG.tar.* after installing $PKG"
	fi
	echo "$t"
}

complete() { # complete DIR: every lab file is there
	for f in $LAB_FILES; do [ -f "$1/$TOP/$f" ] || return 1; done
	[ -f "$1/$TOP/.lab-extracted" ]
}

case "${1:-}" in
--tarball)
	tarball
	;;
--check)
	[ -n "${2:-}" ] || die "usage: --check DIR"
	complete "$2"
	;;
--lab)
	dir=${2:-}
	[ -n "$dir" ] || die "usage: --lab DIR"
	if complete "$dir"; then
		echo "$dir/$TOP"
		exit 0
	fi
	t=$(tarball)
	mkdir -p "$dir"
	rm -rf "${dir:?}/$TOP"
	members=""
	for f in $LAB_FILES $LAB_DIRS; do members="$members $TOP/$f"; done
	echo "kernel/source.sh: extracting the lab's files from $t" >&2
	# shellcheck disable=SC2086
	tar -C "$dir" -xf "$t" $members || die "extraction from $t failed"
	touch "$dir/$TOP/.lab-extracted"
	complete "$dir" || die "extraction incomplete in $dir/$TOP"
	echo "$dir/$TOP"
	;;
*)
	die "usage: source.sh --tarball | --lab DIR | --check DIR"
	;;
esac
