#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0-only
#
# check_symbols.sh shared LIB.so INCLUDE_DIR
#   The dynamic symbols LIB.so defines are exactly the functions declared in
#   the public headers: none missing (a declaration without IOVA_API), none
#   extra (an internal function or variable left visible).
# check_symbols.sh static LIB.a INCLUDE_DIR
#   Every global symbol LIB.a defines is in libiova's namespace (iova_...,
#   iova__... for internal ones) or one of the Linux-API functions that
#   include/iova/linux.h declares.
# Prints TAP; exits with the number of failed checks.
set -eu
mode=$1 lib=$2 inc=$3
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

"$here/public_api.sh" "$inc" >"$tmp/api"
echo "1..2"
if [ "$(wc -l <"$tmp/api")" -ge 10 ]; then
	echo "ok 1 - the public headers declare $(wc -l <"$tmp/api") functions"
else
	echo "not ok 1 - only $(wc -l <"$tmp/api") functions found in $inc/iova/*.h"
	fail=$((fail + 1))
fi

case $mode in
shared)
	nm -D --defined-only "$lib" | awk 'NF >= 3 { print $3 }' |
		LC_ALL=C sort -u >"$tmp/syms"
	LC_ALL=C comm -13 "$tmp/api" "$tmp/syms" >"$tmp/extra"
	LC_ALL=C comm -23 "$tmp/api" "$tmp/syms" >"$tmp/missing"
	if [ -s "$tmp/extra" ] || [ -s "$tmp/missing" ]; then
		echo "not ok 2 - $lib exports exactly the public API"
		sed 's/^/# exported but not declared public: /' "$tmp/extra"
		sed 's/^/# declared public but not exported: /' "$tmp/missing"
		fail=$((fail + 1))
	else
		echo "ok 2 - $lib exports exactly the $(wc -l <"$tmp/syms") public functions"
	fi
	;;
static)
	nm -g --defined-only "$lib" | awk 'NF == 3 { print $3 }' |
		LC_ALL=C sort -u >"$tmp/syms"
	grep -v '^iova_' "$tmp/api" >"$tmp/linux" || true
	grep -v '^iova_' "$tmp/syms" | LC_ALL=C comm -23 - "$tmp/linux" >"$tmp/bad"
	if [ -s "$tmp/bad" ]; then
		echo "not ok 2 - every global symbol of $lib is iova_-prefixed or Linux API"
		sed 's/^/# outside the namespace: /' "$tmp/bad"
		fail=$((fail + 1))
	else
		echo "ok 2 - all $(wc -l <"$tmp/syms") global symbols of $lib are iova_-prefixed or Linux API"
	fi
	;;
*)
	echo "usage: $0 shared|static LIB INCLUDE_DIR" >&2
	exit 2
	;;
esac
exit $fail
