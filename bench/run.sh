#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0-only
#
# The default benchmark selection (what `make bench` runs): prints the
# comparison table, writes BUILD/bench-results/results.csv and the plots.
#   sh bench/run.sh [BUILD_DIR] [extra iova-bench options]
# BUILD_DIR defaults to build/release.  Finishes in under 3 minutes on a
# 2-core machine.  Pass --full for the whole suite (about 15-20 minutes).
set -eu
build=${1:-build/release}
[ $# -gt 0 ] && shift
bench=$build/bench/iova-bench
out=$build/bench-results
here=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -x "$bench" ]; then
	echo "run.sh: $bench not built (cmake --preset release && cmake --build --preset release)" >&2
	exit 1
fi
mkdir -p "$out"
"$bench" --csv "$out/results.csv" "$@" | tee "$out/results.txt"
if command -v gnuplot >/dev/null 2>&1; then
	sh "$here/tools/plot_bench.sh" "$out/results.csv" "$out" >/dev/null &&
		echo "plots: $out/*.svg $out/*.png"
else
	echo "gnuplot not found: no plots (apt-get install gnuplot-nox)"
fi
echo "table: $out/results.txt  csv: $out/results.csv"
