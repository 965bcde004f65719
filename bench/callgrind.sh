#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0-only
#
# Instruction counts per op, stable on a noisy machine:
#   bench/callgrind.sh path/to/iova-bench [iova-bench options...]
# e.g. bench/callgrind.sh build/release/bench/iova-bench --filter nic,mixed --n 1e4
# Runs iova-bench --callgrind under callgrind with instrumentation off
# outside the timed phases (the bench toggles it with CALLGRIND_* client
# requests when valgrind/callgrind.h was found at build time), then prints
# instructions (Ir) per op for every workload/n/allocator.  Counts include
# the bench's own per-op bookkeeping (a histogram update, ~20 Ir).
# CG_CACHE=1 adds callgrind's cache simulation and prints data misses per op
# (D1 = first-level data read+write misses, LL = last-level data misses).
set -eu
bench=${1:?usage: callgrind.sh IOVA-BENCH [options]}
shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cache=""
[ "${CG_CACHE:-0}" = 1 ] && cache="--cache-sim=yes"
# shellcheck disable=SC2086
valgrind --tool=callgrind --instr-atstart=no $cache \
	--callgrind-out-file="$dir/cg.out" "$bench" --callgrind "$@" \
	>"$dir/stdout" 2>"$dir/stderr" || { cat "$dir/stderr" >&2; exit 1; }
printf '%-10s %10s %-8s %8s %14s %10s %9s %9s\n' workload n alloc ops Ir Ir/op D1miss/op LLmiss/op
for f in "$dir"/cg.out.*; do
	awk '/^desc: Trigger: Client Request:/ {
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	}
	/^events:/ { for (i = 2; i <= NF; i++) ev[$i] = i }
	/^totals:/ { for (i = 2; i <= NF; i++) t[i] = $i; ir = $2 }
	END {
		d1 = "-"; ll = "-"
		if (v["ops"] > 0 && ("D1mr" in ev)) {
			d1 = sprintf("%.1f", (t[ev["D1mr"]] + t[ev["D1mw"]]) / v["ops"])
			ll = sprintf("%.1f", (t[ev["DLmr"]] + t[ev["DLmw"]]) / v["ops"])
		}
		if (v["ops"] > 0)
			printf "%-10s %10s %-8s %8s %14s %10.0f %9s %9s\n", v["wl"], v["n"],
			       v["alloc"], v["ops"], ir, ir / v["ops"], d1, ll
	}' "$f"
done | sort -k1,1 -k2,2n
