#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0-only
#
# make bench-kernel: the benchmark with the real kernel designs added.
#   sh bench/kernel/run.sh [--smoke] [extra iova-bench options]
# 1. kernel/source.sh --lab: linux-source-6.12 (apt-get when missing), only
#    the files the lab needs, into build/kernel-src (ignored);
# 2. a release build in build/bench-kernel with IOVA_BENCH_KERNEL_SRC set:
#    iova-bench and iova-replay gain the designs linux (drivers/iommu/iova.c
#    + lib/rbtree.c) and maple (lib/maple_tree.c, x86-64 node layout), and
#    the fidelity test is built;
# 3. the fidelity test, then bench/run.sh on that build (table with ratios,
#    CSV and plots in build/bench-kernel/bench-results/).
# --smoke: a short run for CI (about a minute): a few workloads at 1e4.
# The binaries contain GPL-2.0-only kernel code: local use only.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
build=${BENCH_KERNEL_BUILD:-build/bench-kernel}
smoke=0
if [ "${1:-}" = --smoke ]; then
	smoke=1
	shift
fi
src=$(sh kernel/source.sh --lab build/kernel-src)
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DIOVA_BUILD_BENCH=ON \
	-DIOVA_FAULT_INJECT=OFF -DIOVA_BENCH_KERNEL_SRC="$here/$src" >/dev/null
cmake --build "$build" -j"${JOBS:-2}" --target iova-bench iova-replay \
	baselines_kernel_fidelity baselines_augrb32_oracle
(cd "$build" && ctest --output-on-failure -R 'baselines_(kernel_fidelity|augrb32_oracle)')
if [ $smoke = 1 ]; then
	sh bench/run.sh "$build" --quick --repeat 1 --n 1e4 \
		--filter fill1,fillmix,pair32,drain,fastpair,dac32,mixed "$@"
	"$build"/tools/replay/iova-replay examples/traces/churn.trace --compare \
		--plot "$build/replay-smoke.gp" \
		--quiet --repeat 1 >/dev/null
	echo "bench-kernel smoke: ok"
else
	sh bench/run.sh "$build" "$@"
fi
