#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0-only
#
# The lab's comparison table (issue 11's "Measured" rows) on a bench-kernel
# build: every design on every path, medians of --repeat rounds (default 6),
# ratios from the same run.
#   sh bench/kernel/table.sh [BUILD] [extra iova-bench options]
# BUILD defaults to build/bench-kernel (make bench-kernel builds it);
# TABLE_ROUNDS=N changes the number of rounds.
# Writes BUILD/lab-table/{*.csv,table.txt,table.md}.  Row -> workload:
#   top-down fill 1-page (1e5)         fill1   n=1e5
#   top-down fill mixed (1e5 / 1e6)    fillmix n=1e5, 1e6
#   steady 32-bit pair (1e5 live)      pair32  n=1e5
#   random-order free (1e5 / 32-bit)   drain   n=1e5 / drain32 (<= 1e5)
#   fast pair, sizes 1..32             fastpair n=1e4 live
#   first 32-bit alloc (1e5 64-bit)    dac32   n=1e5
#   churn 1e5 (1..16 pages, 64-bit)    scale   n=1e5
#   mixed masks 1e6                    mixed   n=1e6
#   memory after mixed churn 1e6       memmix  n=1e6 (B/range and heap)
set -eu
build=${1:-build/bench-kernel}
[ $# -gt 0 ] && shift
bench=$build/bench/iova-bench
out=$build/lab-table
[ -x "$bench" ] || { echo "table.sh: $bench not built (make bench-kernel)" >&2; exit 1; }
mkdir -p "$out"
: > "$out/table.txt"
rounds=${TABLE_ROUNDS:-6}
run() { # run NAME ROUNDS iova-bench-args...
	name=$1
	r=$2
	shift 2
	"$bench" --repeat "$r" --budget 2 --setup-budget 20 \
		--alloc iova,iova-lx,classic,augrb,augrb32,linux,maple \
		--csv "$out/$name.csv" "$@" |
		tee -a "$out/table.txt"
}
run fill "$rounds" --filter fill1,fillmix --n 1e5 "$@"
run fill6 "$rounds" --filter fillmix --n 1e6 "$@"
run e5 "$rounds" --filter pair32,drain,dac32,scale --n 1e5 "$@"
run fast "$rounds" --filter fastpair --n 1e4 "$@"
run e6 "$rounds" --filter mixed --n 1e6 "$@"
# memmix builds its domain every round: one round (its heap figure is the
# first round's anyway)
run mem 1 --filter memmix --n 1e6 "$@"
# augrb32 cannot set up 1e6 mixed ranges in the budget (O(n) per range for
# the 33..56-bit masks): its mixed row at 1e5, with the others for ratios
run e5m "$rounds" --filter mixed --n 1e5 "$@"
# One markdown row per workload/n: ns/op per design ('+' = capped, a lower
# bound; '-' = no such path), with the cycle count of the libiova row.
awk -F, '
FNR == 1 { next }
{
	key = $1 " " $2
	if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
	v = ($7 < 0) ? "-" : sprintf($7 >= 10000 ? "%.0f" : "%.0f", $7)
	if ($7 >= 0 && $14 != "no") v = v "+"
	if ($14 == "capped(setup)") v = "setup>20s"
	cell[key, $3] = v
	if (!($3 in dseen)) { dseen[$3] = 1; dorder[++nd] = $3 }
	ops[key, $3] = $6
	if ($21 != "" && $21 >= 0) heap[key, $3] = $21
	bpr[key, $3] = $11
}
END {
	printf "| workload n |"
	for (j = 1; j <= nd; j++) printf " %s |", dorder[j]
	printf "\n|---|"
	for (j = 1; j <= nd; j++) printf "---|"
	printf "\n"
	for (i = 1; i <= nk; i++) {
		k = order[i]
		printf "| %s |", k
		for (j = 1; j <= nd; j++) {
			d = dorder[j]
			c = ((k, d) in cell) ? cell[k, d] : "-"
			if ((k, d) in ops && c != "-") c = c " (" ops[k, d] ")"
			printf " %s |", c
		}
		printf "\n"
		if (k ~ /^memmix/) {
			printf "| %s B/range (kernel-equivalent) |", k
			for (j = 1; j <= nd; j++) printf " %s |", bpr[k, dorder[j]]
			printf "\n| %s heap B/range (measured) |", k
			for (j = 1; j <= nd; j++) {
				d = dorder[j]
				printf " %s |", ((k, d) in heap) ? sprintf("%.1f", heap[k, d]) : "-"
			}
			printf "\n"
		}
	}
}' "$out"/fill.csv "$out"/fill6.csv "$out"/e5.csv "$out"/fast.csv "$out"/e6.csv \
	"$out"/mem.csv "$out"/e5m.csv > "$out/table.md"
echo "ns/op (total timed ops over all rounds in parentheses); '+' = capped run, a lower bound"
cat "$out/table.md"
