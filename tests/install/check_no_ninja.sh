#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0-only
#
# check_no_ninja.sh SRC_DIR WORK_DIR
# `make release` on a machine without ninja: PATH is rebuilt from the
# current one with every ninja hidden, then the top-level Makefile must
# configure the release preset for Unix Makefiles and build the library.
# (Tests, demo and tools are left out to keep it short: the generator is
# chosen before any of them.)  Prints TAP; exits with the failure count.
set -eu
src=$(cd "$1" && pwd)
work=$2
rm -rf "$work"
mkdir -p "$work/path"
work=$(cd "$work" && pwd)
fail=0
n=0
t() {	# t COND DESCRIPTION
	n=$((n + 1))
	if eval "$1"; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fail=$((fail + 1))
	fi
}

# One shadow directory per PATH entry that has a ninja: links to everything
# else in it.
newpath=""
i=0
IFS_save=$IFS
IFS=:
for d in $PATH; do
	IFS=$IFS_save
	[ -d "$d" ] || continue
	if [ -e "$d/ninja" ] || [ -e "$d/ninja-build" ]; then
		i=$((i + 1))
		mkdir -p "$work/path/$i"
		for f in "$d"/* "$d"/.[!.]*; do
			[ -e "$f" ] || continue
			case ${f##*/} in ninja | ninja-build) continue ;; esac
			ln -s "$f" "$work/path/$i/${f##*/}"
		done
		d="$work/path/$i"
	fi
	newpath="${newpath:+$newpath:}$d"
done
IFS=$IFS_save

echo "1..4"
t '! PATH="$newpath" command -v ninja >/dev/null 2>&1' "ninja is hidden"
PATH="$newpath" make -C "$src" BUILD="$work/b" JOBS=2 \
	CMAKE_ARGS="-DIOVA_BUILD_TESTS=OFF -DIOVA_BUILD_DEMO=OFF -DIOVA_BUILD_BENCH=OFF -DIOVA_INSTALL=OFF" \
	release >"$work/make.log" 2>&1 && ok=1 || ok=0
[ $ok = 1 ] || sed 's/^/# /' "$work/make.log" | tail -20
t '[ $ok = 1 ]' "make release succeeds without ninja"
t 'grep -q "^CMAKE_GENERATOR:INTERNAL=Unix Makefiles$" "$work/b/release/CMakeCache.txt" 2>/dev/null' \
	"the tree is generated for Unix Makefiles"
t '[ -f "$work/b/release/libiova.a" ] && [ -f "$work/b/release/libiova.so.0" ]' \
	"libiova.a and libiova.so.0 are built"
exit $fail
