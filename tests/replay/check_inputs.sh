#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0-only
#
# check_inputs.sh IOVA_REPLAY EXAMPLES_DIR WORK_DIR
# iova-replay on bad and unusual inputs (docs/trace-format.md, "Exit
# status"): each bad input fails with its exit code and a message saying
# why, before anything is replayed; output files are checked before the
# replay and written only where asked; repeats report a median and a
# spread; CSV and JSON carry one record per design.  The inputs are made
# here from the examples.  Prints TAP; exits with the failure count.
set -u
R=$1
ex=$(cd "$2" && pwd)
w=$3
rm -rf "$w"
mkdir -p "$w"
w=$(cd "$w" && pwd)
fail=0 n=0
t() {	# t COND DESCRIPTION
	n=$((n + 1))
	if eval "$1"; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		sed 's/^/#   err: /' "$w/err" | head -5
		fail=$((fail + 1))
	fi
}
run() {	# run ARGS...: $rc, $w/out, $w/err
	"$R" "$@" >"$w/out" 2>"$w/err"
	rc=$?
}
skip() {
	n=$((n + 1))
	echo "ok $n - # SKIP $1"
}
replayed() { grep -q -e "^== " -e "throughput" "$w/out"; }
perf=$ex/perf-script-sample.txt
tfs=$ex/tracefs-sample.txt
churn=$ex/churn.trace

# Nothing to replay.
: >"$w/empty.txt"
run "$w/empty.txt" --quiet
t '[ $rc = 3 ] && grep -q "no iommu:map events" "$w/err" && ! replayed' \
	"an empty file: exit 3, no events"
grep '^#' "$perf" >"$w/comments.txt"
run "$w/comments.txt" --quiet
t '[ $rc = 3 ] && grep -q "no iommu:map events" "$w/err"' \
	"comments only: exit 3, no events"
printf 'iovatrace 1\ngranule 4096\nend 0\n' >"$w/noops.trace"
run "$w/noops.trace" --quiet
t '[ $rc = 3 ] && grep -q "no allocations" "$w/err"' \
	"a native trace without operations: exit 3"

# Binary and compressed input.
printf 'PERFILE2\000\000\001\002binary' >"$w/perf.data"
run "$w/perf.data" --quiet
t '[ $rc = 3 ] && grep -q "binary data" "$w/err" && grep -q "perf script" "$w/err"' \
	"perf.data: exit 3, binary, use perf script"
for z in gzip xz; do
	if command -v $z >/dev/null 2>&1; then
		$z -c "$churn" >"$w/churn.trace.$z"
		run "$w/churn.trace.$z" --quiet --repeat 1 --alloc iova
		t '[ $rc = 0 ] && grep -q "4000 ops" "$w/out"' \
			"$z-compressed trace: read through $z -dc (4000 ops)"
		head -c 200 "$w/churn.trace.$z" >"$w/cut.$z"
		run "$w/cut.$z" --quiet
		t '[ $rc = 3 ] && grep -q "failed" "$w/err" && ! replayed' \
			"a cut $z file: exit 3, decompression failed"
		run - --quiet <"$w/churn.trace.$z"
		t '[ $rc = 3 ] && grep -q "standard input" "$w/err"' \
			"$z data on stdin: exit 3, says to decompress first"
	else
		skip "$z is not installed"
	fi
done

# Files cut in the middle of their last line, without --strict.
len=$(wc -c <"$perf")
head -c $((len - 30)) "$perf" >"$w/perf-cut.txt"
run "$w/perf-cut.txt" --quiet
t '[ $rc = 3 ] && grep -q "truncated last line" "$w/err" && ! replayed' \
	"perf output cut mid-line: exit 3, truncated"
# ... where what is left of the line still parses ("f 1" of "f 1796").
{ head -n 100 "$churn"; printf 'f 1'; } >"$w/churn-cut.trace"
run "$w/churn-cut.trace" --quiet
t '[ $rc = 3 ] && grep -q "truncated" "$w/err" && ! replayed' \
	"native trace cut mid-line: exit 3, truncated"

# tracefs header counts.
sed 's#entries-written: 12/15#entries-written: 13/16#' "$tfs" >"$w/tfs-short.txt"
run "$w/tfs-short.txt" --quiet
t '[ $rc = 3 ] && grep -q "13 entries in the buffer but 12" "$w/err" && ! replayed' \
	"tracefs header 13 entries, 12 read: exit 3"
sed 's#entries-written: 12/15#entries-written: 12/40#' "$tfs" >"$w/tfs-over.txt"
run "$w/tfs-over.txt" --quiet
t '[ $rc = 3 ] && grep -q "overwrote" "$w/err"' \
	"tracefs header 40 written, 12 held + 3 lost: exit 3, overwritten"
run "$tfs" --quiet --repeat 1 --alloc iova
t '[ $rc = 0 ]' "the consistent tracefs sample replays"

# perf's optional columns.
sed 's/^\( *[^ ].* [0-9]*\.[0-9]*:\) /\1      12345 /' "$perf" >"$w/perf-period.txt"
grep -q ':      12345 iommu:map' "$w/perf-period.txt"; st=$?
t '[ $st = 0 ]' "(fixture: a period column after the timestamp)"
run "$w/perf-period.txt" --quiet --no-replay
t '[ $rc = 0 ] && grep -q " 7 map, 5 unmap" "$w/out"' \
	"perf -F +period: the same 7 maps and 5 unmaps"
sed '/iommu:map:.*size=[0-9]*$/s/$/ ffffffff8153a2b7 __iommu_map+0x147 ([kernel.kallsyms])/' \
	"$perf" >"$w/perf-ip.txt"
run "$w/perf-ip.txt" --quiet --no-replay
t '[ $rc = 0 ] && grep -q " 7 map, 5 unmap" "$w/out" && grep -q "4 malformed" "$w/out"' \
	"perf -F +ip,sym: the same maps, no new malformed line"

# Output paths: checked before the replay, written only where asked.
for o in --plot --csv --json --write; do
	run "$churn" --quiet --repeat 1 $o /nonexistent-dir/out
	t '[ $rc = 4 ] && grep -q -e "$o" "$w/err" && ! replayed && ! grep -q "^trace " "$w/out"' \
		"$o into a missing directory: exit 4 before loading"
done
run "$churn" --quiet --repeat 1 --plot "$w"
t '[ $rc = 4 ] && grep -q "is a directory" "$w/err" && ! replayed' \
	"--plot onto a directory: exit 4"
mkdir -p "$w/cwd"
(cd "$w/cwd" && "$R" "$churn" --quiet --repeat 1 --compare >/dev/null 2>&1)
t '[ -z "$(ls -A "$w/cwd")" ]' "--compare without --plot writes no file"
run "$churn" --quiet --repeat 1 --alloc iova --plot "$w/p.gp"
t '[ $rc = 0 ] && [ -s "$w/p.gp" ] && [ -s "$w/p.gp.dat" ]' \
	"--plot FILE writes FILE and FILE.dat"

# Repeats: a median and a spread; stalls are flagged.
run "$churn" --quiet --repeat 3 --alloc iova
t '[ $rc = 0 ] && grep -q "the median of 3 runs" "$w/out" && grep -q "spread" "$w/out"' \
	"--repeat 3: the median of 3 runs with the spread"
run "$churn" --quiet --repeat 3 --alloc iova,classic --compare
t '[ $rc = 0 ] && grep -q "^spread over runs" "$w/out" && grep -q "^runs with stalls .*/3" "$w/out"' \
	"--compare: spread and stall rows"

# CSV and JSON: one record per design.
run "$churn" --quiet --repeat 2 --alloc iova,classic --csv "$w/r.csv" --json "$w/r.json"
t '[ $rc = 0 ] && [ "$(wc -l <"$w/r.csv")" = 3 ] && head -1 "$w/r.csv" | grep -q "^trace,design,"' \
	"--csv: a header and 2 rows"
t '[ "$(awk -F, "{ print NF }" "$w/r.csv" | sort -u | wc -l)" = 1 ] && [ "$(cut -d, -f2 "$w/r.csv" | tr "\n" " ")" = "design iova classic " ]' \
	"--csv: the same columns on every line, rows iova and classic"
t 'grep -q "\"tool\": \"iova-replay\"" "$w/r.json" && [ "$(grep -o "\"design\": \"[a-z]*\"" "$w/r.json" | tr "\n" " ")" = "\"design\": \"iova\" \"design\": \"classic\" " ]' \
	"--json: the tool and 2 designs"
if command -v python3 >/dev/null 2>&1 && python3 -c 'import json' 2>/dev/null; then
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [x["design"] for x in d["designs"]] == ["iova","classic"]; assert all(x["runs"] == 2 for x in d["designs"])' "$w/r.json"; st=$?
	t '[ $st = 0 ]' "--json parses as JSON (python3), runs = 2"
else
	skip "python3 is not installed"
fi
# The median: the middle of the runs listed, per design.
run "$churn" --quiet --repeat 3 --alloc iova,classic --csv "$w/m.csv"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
{
	k = split($col["mops_runs"], v, ";")
	for (i = 1; i <= k; i++)
		for (j = i + 1; j <= k; j++)
			if (v[j] + 0 < v[i] + 0) { x = v[i]; v[i] = v[j]; v[j] = x }
	if (k != 3 || v[2] + 0 != $col["mops_median"] + 0 ||
	    v[1] + 0 != $col["mops_min"] + 0 || v[3] + 0 != $col["mops_max"] + 0)
		bad++
}
END { exit bad }' "$w/m.csv"; st=$?
t '[ $st = 0 ] && [ "$(wc -l <"$w/m.csv")" = 3 ]' \
	"--repeat 3: mops_median/min/max are the middle/least/most of the 3 runs listed"
run "$churn" --quiet --repeat 1 --alloc iova --csv -
t '[ $rc = 0 ] && head -1 "$w/out" | grep -q "^trace,design," && grep -q "^trace " "$w/err"' \
	"--csv -: CSV on stdout, the text report on stderr"

# Ranges live before the capture.
run "$perf" --quiet --no-replay
t '[ $rc = 0 ] && grep -q "1 ranges (1 pages) were live before the capture" "$w/out" && grep -q " 0 reserves" "$w/out"' \
	"the perf sample: 1 range live before the capture, not reserved"
run "$perf" --quiet --no-replay --pre-reserve
t '[ $rc = 0 ] && grep -q " 1 reserves" "$w/out" && grep -q "reserved first" "$w/out"' \
	"--pre-reserve: reserved first"
echo "1..$n"
exit $fail
