#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0-only
#
# Line and branch coverage of src/ by the unit, compat, oracle and
# fuzz-smoke tests (gcc --coverage, gcovr from Debian: apt-get install
# gcovr).  Builds into build/coverage, prints a per-file table of lines and
# one of branches, writes build/coverage/html/index.html, and compares the
# totals with the targets (95% lines, 85% branches).
#
#   tools/coverage.sh                 report
#   COV_FAIL_UNDER=1 tools/coverage.sh   also fail below the targets
#
# The library is built with -DNDEBUG (IOVA_DEBUG 0): the measured branches
# are the code's own, not the never-taken arms of its debug asserts.
# Environment: COV_OUT (default build/coverage), COV_LABELS (a ctest -L
# regex, default unit|compat|oracle|fuzz-smoke), JOBS.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
out=${COV_OUT:-$root/build/coverage}
labels=${COV_LABELS:-'unit|compat|oracle|fuzz-smoke'}
jobs=${JOBS:-$(nproc)}

if ! command -v gcovr >/dev/null 2>&1; then
	echo "coverage.sh: gcovr not found (apt-get install gcovr)" >&2
	exit 2
fi
# Ninja when installed, else Unix Makefiles (a tree keeps its generator).
gen=$(sed -n 's/^CMAKE_GENERATOR:INTERNAL=//p' "$out/CMakeCache.txt" 2>/dev/null || true)
if [ -z "$gen" ]; then
	gen="Unix Makefiles"
	command -v ninja >/dev/null 2>&1 && gen=Ninja
fi
# No shared library: its link would need the gcov runtime too.  The
# shipped objects get the fault-injection hook like iova_testhooks, so
# that both compile the same code and gcovr can merge their counts.
cmake -S "$root" -B "$out" -G "$gen" -DCMAKE_BUILD_TYPE=Debug \
	-DIOVA_BUILD_SHARED=OFF -DIOVA_FAULT_INJECT=ON \
	-DCMAKE_C_COMPILER=gcc \
	-DCMAKE_C_FLAGS="--coverage -fprofile-update=atomic -O0 -DNDEBUG" \
	-DCMAKE_EXE_LINKER_FLAGS="--coverage" \
	-DIOVA_BUILD_BENCH=OFF -DIOVA_DEBUG_FULL=OFF >/dev/null
cmake --build "$out" -j "$jobs"
find "$out" -name '*.gcda' -delete
(cd "$out" && ctest --output-on-failure -j "$jobs" -L "$labels")

# Count the library as linked by the tests (the shipped objects of target
# iova_objects, and iova_testhooks, the same sources with the fault-
# injection hook, for the tests that need it) and its 4-entry-node build
# from tests/fuzz (iova_fz_small: same sources, tiny nodes, so the fuzz
# corpus reaches every split, merge and root change).  The
# IOVA_DEBUG=3 iova_small of tests/oracle is left out: its extra debug code
# has other line numbers, which gcovr 5 cannot merge.
mkdir -p "$out/html"
cd "$out"	# gcov's scratch files land here, not in the source tree
set -- -r "$root" --filter "$root/src/" --exclude-unreachable-branches \
	"$out/CMakeFiles/iova_objects.dir" "$out/CMakeFiles/iova_testhooks.dir" \
	"$out/tests/fuzz/CMakeFiles/iova_fz_small.dir"
gcovr "$@" --txt "$out/lines.txt" --html-details "$out/html/index.html"
gcovr "$@" --branches --txt "$out/branches.txt"
echo
echo "== line coverage of src/"
cat "$out/lines.txt"
echo
echo "== branch coverage of src/"
cat "$out/branches.txt"
echo
echo "== totals (src/, both builds)"
# Never "-o /dev/null": gcovr replaces its output file, which would turn
# /dev/null into a regular file for the whole machine.
gcovr "$@" --print-summary -o "$out/summary-report.txt" | tee "$out/summary.txt"
echo "== totals (src/, the full-size builds alone)"
gcovr -r "$root" --filter "$root/src/" --exclude-unreachable-branches \
	--print-summary -o "$out/summary-full-report.txt" \
	"$out/CMakeFiles/iova_objects.dir" "$out/CMakeFiles/iova_testhooks.dir"
if [ "${COV_FAIL_UNDER:-0}" = 1 ]; then
	gcovr "$@" --fail-under-line 95 --fail-under-branch 85 \
		-o "$out/fail-under-report.txt"
fi
