#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0-only
#
# check_cli.sh TOOL NAME VERSION OPTION
# The command-line conventions every tool keeps: --help prints the usage on
# stdout and exits 0; --version prints "NAME (libiova) VERSION" and exits
# 0; a bad value for OPTION, given as "OPTION abc" or "OPTION=abc", and an
# unknown option exit 2 with a message naming what was wrong.
# Prints TAP; exits with the failure count.
set -u
tool=$1 name=$2 version=$3 opt=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0
t() {	# t COND DESCRIPTION
	n=$((n + 1))
	if eval "$1"; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fail=$((fail + 1))
	fi
}
run() {	# run ARGS...: $rc, $tmp/out, $tmp/err
	"$tool" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

run --help
t '[ $rc = 0 ] && grep -q "^usage: $name" "$tmp/out" && [ ! -s "$tmp/err" ]' \
	"$name --help: usage on stdout, exit 0"
run -h
t '[ $rc = 0 ] && grep -q "^usage: $name" "$tmp/out"' "$name -h: the same"
run --version
t '[ $rc = 0 ] && [ "$(cat "$tmp/out")" = "$name (libiova) $version" ]' \
	"$name --version: '$name (libiova) $version'"
run "$opt" abc
t '[ $rc = 2 ] && grep -q -e "$opt" "$tmp/err" && grep -q "abc" "$tmp/err"' \
	"$name $opt abc: exit 2 naming $opt and 'abc'"
sed 's/^/#   /' "$tmp/err"
run "$opt=abc"
t '[ $rc = 2 ] && grep -q -e "$opt" "$tmp/err" && grep -q "abc" "$tmp/err"' \
	"$name $opt=abc: the same"
run --no-such-option
t '[ $rc = 2 ] && grep -q -e "--no-such-option" "$tmp/err"' \
	"$name --no-such-option: exit 2 naming it"
run "$opt"
t '[ $rc = 2 ] && grep -q -e "$opt" "$tmp/err"' "$name $opt without a value: exit 2 naming it"
echo "1..$n"
exit $fail
