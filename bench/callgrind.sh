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
set -eu
bench=${1:?usage: callgrind.sh IOVA-BENCH [options]}
shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
valgrind --tool=callgrind --instr-atstart=no \
	--callgrind-out-file="$dir/cg.out" "$bench" --callgrind "$@" \
	>"$dir/stdout" 2>"$dir/stderr" || { cat "$dir/stderr" >&2; exit 1; }
printf '%-10s %10s %-8s %8s %14s %10s\n' workload n alloc ops Ir Ir/op
for f in "$dir"/cg.out.*; do
	awk '/^desc: Trigger: Client Request:/ {
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	}
	/^totals:/ { ir = $2 }
	END {
		if (v["ops"] > 0)
			printf "%-10s %10s %-8s %8s %14s %10.0f\n", v["wl"], v["n"],
			       v["alloc"], v["ops"], ir, ir / v["ops"]
	}' "$f"
done | sort -k1,1 -k2,2n
