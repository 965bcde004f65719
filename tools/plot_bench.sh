#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0-only
#
# Plot iova-bench CSV output with gnuplot (apt-get install gnuplot-nox).
#   tools/plot_bench.sh RESULTS.csv [OUTDIR] [svg|png|both]
# Writes, per workload measured at two or more n, OUTDIR/<workload>.svg/.png
# (ns/op against n, log-log, one line per allocator), and OUTDIR/summary.*
# (ns/op of every allocator on every workload at its largest n, log scale).
set -eu

csv=${1:?usage: plot_bench.sh RESULTS.csv [OUTDIR] [svg|png|both]}
out=${2:-$(dirname "$csv")}
fmt=${3:-both}
command -v gnuplot >/dev/null 2>&1 || {
	echo "plot_bench.sh: gnuplot not found (apt-get install gnuplot-nox)" >&2
	exit 1
}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One data file per workload/allocator: "n ns_per_op capped".
awk -F, -v dir="$tmp" 'NR > 1 && $7 > 0 {
	f = dir "/" $1 "__" $3 ".dat"
	print $2, $7, ($14 == "no" ? 0 : 1) >> f
	seen[$1 SUBSEP $2] = 1
}
END {
	for (k in seen) { split(k, p, SUBSEP); cnt[p[1]]++ }
	for (w in cnt) print w, cnt[w] > (dir "/workloads")
}' "$csv"

terms() {
	case $fmt in
	svg) echo svg ;;
	png) echo png ;;
	*) echo "svg png" ;;
	esac
}

setterm() {	# $1 = svg|png, $2 = output file without extension
	if [ "$1" = svg ]; then
		echo "set terminal svg size 800,500 dynamic enhanced font 'sans,11'"
	else
		echo "set terminal pngcairo size 800,500 enhanced font 'sans,10'"
	fi
	echo "set output '$2.$1'"
}

[ -s "$tmp/workloads" ] || { echo "plot_bench.sh: no data in $csv" >&2; exit 1; }

while read -r wl count; do
	[ "$count" -ge 2 ] || continue
	for t in $(terms); do
		{
			setterm "$t" "$out/$wl"
			echo "set title 'iova-bench: $wl (ns per op vs live ranges; open points = capped run)'"
			echo "set logscale xy"
			echo "set xlabel 'live ranges (n)'"
			echo "set ylabel 'ns per op (median of repeats)'"
			echo "set key top left"
			echo "set grid"
			printf "plot "
			sep=""
			for f in "$tmp/${wl}__"*.dat; do
				a=$(basename "$f" .dat)
				a=${a#"${wl}__"}
				case $a in
				iova) col='#d62728' ;;
				classic) col='#1f77b4' ;;
				augrb) col='#2ca02c' ;;
				*) col='#7f7f7f' ;;
				esac
				printf "%s'%s' using 1:2 with linespoints lw 2 pt 7 lc rgb '%s' title '%s'" "$sep" "$f" "$col" "$a"
				sep=", "
				printf "%s'%s' using 1:(\$3 > 0 ? \$2 : 1/0) with points pt 6 ps 2 lc rgb 'black' notitle" "$sep" "$f"
			done
			echo
		} > "$tmp/plot.gp"
		gnuplot "$tmp/plot.gp"
		echo "wrote $out/$wl.$t"
	done
done < "$tmp/workloads"

# Summary: each workload at its largest n, one bar group per workload.
awk -F, 'NR > 1 && $7 > 0 {
	if (!($1 in maxn) || $2 + 0 > maxn[$1] + 0) maxn[$1] = $2
	v[$1 SUBSEP $2 SUBSEP $3] = $7
	if (!($3 in an)) { an[$3] = ++na; names[na] = $3 }
	if (!($1 in wn)) { wn[$1] = ++nw; wls[nw] = $1 }
}
END {
	printf "workload"
	for (j = 1; j <= na; j++) printf " %s", names[j]
	print ""
	for (i = 1; i <= nw; i++) {
		w = wls[i]
		printf "%s(n=%s)", w, maxn[w]
		for (j = 1; j <= na; j++) {
			k = w SUBSEP maxn[w] SUBSEP names[j]
			printf " %s", (k in v) ? v[k] : "NaN"
		}
		print ""
	}
}' "$csv" > "$tmp/summary.dat"
ncols=$(head -1 "$tmp/summary.dat" | awk '{print NF}')
for t in $(terms); do
	{
		setterm "$t" "$out/summary"
		echo "set title 'iova-bench: ns per op at the largest n of each workload (log scale)'"
		echo "set style data histograms"
		echo "set style histogram cluster gap 1"
		echo "set style fill solid 0.8 border -1"
		echo "set logscale y"
		echo "set ylabel 'ns per op'"
		echo "set xtics rotate by -30 noenhanced"
		echo "set key top left autotitle columnheader"
		echo "set grid ytics"
		printf "plot '%s' using 2:xtic(1)" "$tmp/summary.dat"
		i=3
		while [ "$i" -le "$ncols" ]; do
			printf ", '' using %d" "$i"
			i=$((i + 1))
		done
		echo
	} > "$tmp/plot.gp"
	gnuplot "$tmp/plot.gp"
	echo "wrote $out/summary.$t"
done
