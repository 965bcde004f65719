#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR GPL-2.0-only
#
# kernel/patch.sh: libiova's kernel change as a reviewable `git format-patch` series against
# Debian's linux-source-6.12, in an ignored folder (build/kernel-patch/series/):
#   0000 cover letter (the numbers of docs/kernel.md and docs/PERFORMANCE.md)
#   0001 iommu/iova: the core library under drivers/iommu/libiova/ (nothing includes it yet)
#   0002 iommu/iova: include/linux/iova.h and drivers/iommu/iova.c switched over to it
#   0003 iommu/iova: the KUnit suite
# The files and where they go come from kernel/overlay.sh (shared with kernel/check.sh);
# the commit messages from kernel/linux/series/*.msg.
#
# Usage: bash kernel/patch.sh [series|check|apply|build]     (default: series)
#   series  write the series, check that it applies in order to the pristine tree
#           (git apply --check, then apply), run checkpatch.pl --strict on each patch
#   check   the same, but fail unless it applies and checkpatch --strict reports nothing
#           (the CI check: extracts only drivers/iommu, include/linux/iova.h and
#           checkpatch from the tarball, ~20 s; KPATCH_STRICT=0 to only report)
#   apply   series and the apply check, without checkpatch (kernel/check.sh builds its
#           "ours" kernel from the series this writes)
#   build   series, then apply it patch by patch to a full extracted tree and compile
#           drivers/iommu/ after each (tinyconfig + IOMMU_DMA + KUnit; the first
#           `make prepare` takes minutes, later runs reuse it)
# Environment: KPATCH_OUT=dir (default build/kernel-patch), KPATCH_BUILD=dir (the full tree
#   and objects for `build`, default kernel/build/kpatch), KPATCH_JOBS=N (default 2),
#   KPATCH_STRICT=1 (fail when checkpatch reports anything; the default of check),
#   KSRC_NO_APT=1.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=kernel/overlay.sh
. "$HERE/overlay.sh"
OUT=${KPATCH_OUT:-$ROOT/build/kernel-patch}
KB=${KPATCH_BUILD:-$HERE/build/kpatch}
JOBS=${KPATCH_JOBS:-2}
MODE=${1:-series}
TOP=linux-source-6.12
BASE=$OUT/base/$TOP          # pristine: drivers/iommu, include/linux/iova.h, checkpatch
SERIES=$OUT/series
MSGS=$HERE/linux/series
DATE="2026-01-01T00:00:00Z"
ID="libiova developers"
MAIL="libiova@invalid"

say() { echo "[kpatch] $*"; }
die() { echo "kernel/patch.sh: FAIL: $*" >&2; exit 1; }

# The few pristine files the series touches or needs, from the tarball (one tar pass).
extract_base() {
	local t
	t=$(sh "$HERE/source.sh" --tarball) || die "no /usr/src/$TOP.tar.*"
	if [ -f "$BASE/.kpatch-extracted" ] && [ "$BASE/.kpatch-extracted" -nt "$t" ] &&
		[ -f "$BASE/MAINTAINERS" ]; then
		return 0
	fi
	rm -rf "$OUT/base"; mkdir -p "$OUT/base"
	say "extracting drivers/iommu, include/linux/iova.h and checkpatch from $t"
	tar -C "$OUT/base" -xf "$t" --wildcards "$TOP/drivers/iommu/*" "$TOP/include/linux/iova.h" \
		"$TOP/MAINTAINERS" \
		"$TOP/scripts/checkpatch.pl" "$TOP/scripts/spelling.txt" \
		"$TOP/scripts/const_structs.checkpatch" || die "extraction from $t failed"
	[ -f "$BASE/drivers/iommu/iova.c" ] || die "no drivers/iommu/iova.c in $t"
	grep -qx "F:	drivers/iommu/iova.c" "$BASE/MAINTAINERS" || die "MAINTAINERS has no drivers/iommu/iova.c entry"
	touch "$BASE/.kpatch-extracted"
}

msg() { # msg FILE: a commit message without its SPDX line and leading blank lines
	sed -e '/^SPDX-License-Identifier/d' -e '/./,$!d' "$1"
}

# patch 2's iova.c: ours without the block that includes the KUnit suite (patch 3 adds it)
strip_kunit() {
	awk '/^#if IS_BUILTIN\(CONFIG_KUNIT\)$/ { skip = 1 }
	     !skip { print }
	     skip && /^#endif/ { skip = 0; drop_blank = 1; next }' "$1" |
		awk 'NR > 1 && prev == "" && $0 == "" { next } { print; prev = $0 }'
}

# maintainers_add FILE PATH: an "F:" line for PATH in the section that lists iova.c
# (IOMMU DMA-API LAYER), kept in order
maintainers_add() {
	awk -v add="F:	$2" '
		/^$/ { if (insec && !done) { print add; done = 1 } insec = 0 }
		$0 == "F:	drivers/iommu/iova.c" { insec = 1 }
		insec && !done && /^F:	/ && $0 > add { print add; done = 1 }
		{ print }' "$1" > "$1.new" && mv "$1.new" "$1"
	grep -qx "F:	$2" "$1" || die "could not add $2 to MAINTAINERS"
}

series() {
	local g=$OUT/git src dst n=0
	rm -rf "$g" "$SERIES"; mkdir -p "$g" "$SERIES"
	local git=(git -C "$g" -c user.name="$ID" -c user.email="$MAIL" -c commit.gpgsign=false
		-c core.autocrlf=false -c format.signature=)
	export GIT_AUTHOR_DATE=$DATE GIT_COMMITTER_DATE=$DATE
	"${git[@]}" init -q
	for f in drivers/iommu/iova.c include/linux/iova.h MAINTAINERS; do
		mkdir -p "$g/$(dirname "$f")"; cp "$BASE/$f" "$g/$f"
	done
	"${git[@]}" add drivers/iommu/iova.c include/linux/iova.h MAINTAINERS
	"${git[@]}" commit -q -m "$TOP: the files the series modifies"
	"${git[@]}" tag base

	# 1: the core (every overlay file under drivers/iommu/libiova/)
	while read -r src dst; do
		case $dst in drivers/iommu/libiova/*)
			mkdir -p "$g/$(dirname "$dst")"; cp "$src" "$g/$dst"; n=$((n + 1)) ;;
		esac
	done < <(overlay_list)
	[ $n -gt 0 ] || die "overlay_list gave no core files"
	maintainers_add "$g/MAINTAINERS" "drivers/iommu/libiova/"
	"${git[@]}" add drivers/iommu/libiova MAINTAINERS
	"${git[@]}" commit -q -F <(msg "$MSGS/1-core.msg")

	# 2: the header and iova.c, without the KUnit include
	cp "$HERE/linux/iova.h" "$g/include/linux/iova.h"
	strip_kunit "$HERE/linux/iova.c" > "$g/drivers/iommu/iova.c"
	! grep -q iova_kunit "$g/drivers/iommu/iova.c" || die "could not strip the KUnit include from iova.c"
	"${git[@]}" add include/linux/iova.h drivers/iommu/iova.c
	"${git[@]}" commit -q -F <(msg "$MSGS/2-switch.msg")

	# 3: the KUnit suite and its include
	cp "$HERE/linux/iova_kunit.c" "$g/drivers/iommu/iova_kunit.c"
	cp "$HERE/linux/iova.c" "$g/drivers/iommu/iova.c"
	maintainers_add "$g/MAINTAINERS" "drivers/iommu/iova_kunit.c"
	"${git[@]}" add drivers/iommu/iova_kunit.c drivers/iommu/iova.c MAINTAINERS
	"${git[@]}" commit -q -F <(msg "$MSGS/3-kunit.msg")

	# every overlay file is in the final tree, byte for byte
	while read -r src dst; do
		cmp -s "$src" "$g/$dst" || die "$dst in the series differs from $src"
	done < <(overlay_list)

	"${git[@]}" format-patch -q --cover-letter --no-signature -o "$SERIES" base..HEAD > /dev/null
	local cover
	cover=$(ls "$SERIES"/0000-*.patch)
	python3 - "$cover" "$MSGS/0-cover.msg" <<'PY'
import sys
path, src = sys.argv[1], sys.argv[2]
lines = [l for l in open(src).read().splitlines() if not l.startswith("SPDX-License-Identifier")]
while lines and not lines[0].strip():
    lines.pop(0)
subject, body = lines[0], "\n".join(lines[1:]).strip("\n")
text = open(path).read()
assert "*** SUBJECT HERE ***" in text and "*** BLURB HERE ***" in text
text = text.replace("*** SUBJECT HERE ***", subject).replace("*** BLURB HERE ***", body)
open(path, "w").write(text)
PY
	[ "$cover" = "$SERIES/0000-cover-letter.patch" ] || mv "$cover" "$SERIES/0000-cover-letter.patch"
	say "series in $SERIES:"
	for f in "$SERIES"/*.patch; do echo "  ${f##*/}"; done
}

# Inside another repository (this one: build/ and kernel/build/ are in its work tree),
# `git apply` run in a subfolder silently skips every path outside that folder, and a
# check would pass having applied nothing.  So each tree it patches is its own repository.
own_git() { [ -d "$1/.git" ] || git -C "$1" init -q; }

# git apply --check, then apply, in order, on a copy of the pristine files
apply_check() {
	local a=$OUT/apply p
	rm -rf "$a"; mkdir -p "$a"
	cp -a "$BASE/drivers" "$BASE/include" "$BASE/MAINTAINERS" "$a/"
	own_git "$a"
	for p in "$SERIES"/000[1-9]-*.patch; do
		(cd "$a" && git apply --check "$p" && git apply "$p") ||
			die "$(basename "$p") does not apply to the pristine tree (after the ones before it)"
		say "applies: $(basename "$p")"
	done
	same_as_overlay "$a"
}

# After the whole series, the tree holds every overlay file, byte for byte.
same_as_overlay() {
	local src dst n=0
	while read -r src dst; do
		cmp -s "$src" "$1/$dst" || die "after the series, $dst in $1 is not $src"
		n=$((n + 1))
	done < <(overlay_list)
	say "after the series, the $n files of kernel/overlay.sh are in $1, byte for byte"
}

checkpatch() {
	local p r total=0 out
	for p in "$SERIES"/000[1-9]-*.patch; do
		out=$OUT/checkpatch-$(basename "$p" .patch).txt
		# (run from $OUT: checkpatch keeps a cache file in the current folder)
		local rc=0
		(cd "$OUT" && perl "$BASE/scripts/checkpatch.pl" --strict --no-tree --show-types \
			--no-summary "$p") > "$out" 2>&1 || rc=$?
		if [ $rc -gt 1 ]; then
			say "checkpatch did not run (status $rc, see $out)"
			[ "${KPATCH_STRICT:-}" != 1 ] || die "checkpatch did not run"
			continue
		fi
		r=$(grep -cE '^(ERROR|WARNING|CHECK):' "$out" || true)
		total=$((total + r))
		say "checkpatch --strict: $(basename "$p"): $r report(s) (errors $(grep -c '^ERROR:' "$out" || true))$([ "$r" -eq 0 ] || echo ", see $out")"
	done
	if [ "${KPATCH_STRICT:-}" = 1 ] && [ $total -ne 0 ]; then die "checkpatch reported $total item(s)"; fi
	return 0
}

# ------------------------------------------------------------ build after each patch
CONFIG_ON="64BIT SMP PRINTK BUG PCI IOMMU_SUPPORT DEBUG_FS KUNIT"
build() {
	local t s=$KB/$TOP o=$KB/obj p f
	t=$(sh "$HERE/source.sh" --tarball) || die "no /usr/src/$TOP.tar.*"
	if [ ! -f "$s/.kpatch-extracted" ]; then
		rm -rf "$s" "$o"; mkdir -p "$KB"
		say "extracting $t into $KB"
		tar -C "$KB" -xf "$t" || die "extraction failed"
		touch "$s/.kpatch-extracted"
	fi
	own_git "$s"
	# back to pristine (a previous run leaves the series applied), from $BASE: the same
	# tarball's files
	rm -rf "$s/drivers/iommu/libiova" "$s/drivers/iommu/iova_kunit.c"
	for f in drivers/iommu/iova.c include/linux/iova.h MAINTAINERS; do
		# (a fresh time, so make recompiles what the series had changed)
		cmp -s "$BASE/$f" "$s/$f" || { rm -f "$s/$f"; cp "$BASE/$f" "$s/$f"; }
	done
	if [ ! -f "$o/.kpatch-prepared" ]; then
		rm -rf "$o"; mkdir -p "$o"
		make -s -C "$s" O="$o" ARCH=x86_64 tinyconfig > "$KB/config.log" 2>&1 || die "tinyconfig"
		local args=()
		for f in $CONFIG_ON; do args+=(--enable "$f"); done
		"$s/scripts/config" --file "$o/.config" "${args[@]}"
		make -s -C "$s" O="$o" ARCH=x86_64 olddefconfig >> "$KB/config.log" 2>&1 || die "olddefconfig"
		for f in IOMMU_IOVA IOMMU_DMA KUNIT; do
			grep -qx "CONFIG_$f=y" "$o/.config" || die "CONFIG_$f did not stick"
		done
		say "make prepare (once; minutes on 2 cores)"
		make -C "$s" O="$o" ARCH=x86_64 -j"$JOBS" prepare > "$KB/prepare.log" 2>&1 ||
			die "make prepare (see $KB/prepare.log)"
		touch "$o/.kpatch-prepared"
	fi
	step_build base
	for p in "$SERIES"/000[1-9]-*.patch; do
		(cd "$s" && git apply --check "$p" && git apply "$p") || die "$(basename "$p") does not apply to $s"
		step_build "$(basename "$p" .patch)"
	done
	same_as_overlay "$s"
	say "every patch builds on its own"
}

step_build() { # step_build NAME: compile drivers/iommu/ of the tree as it is now
	local s=$KB/$TOP o=$KB/obj log=$KB/build-$1.log
	make -C "$s" O="$o" ARCH=x86_64 -j"$JOBS" W=1 drivers/iommu/ > "$log" 2>&1 ||
		{ grep -E 'error' "$log" | head -20; die "drivers/iommu/ does not build after $1 (see $log)"; }
	[ -f "$o/drivers/iommu/iova.o" ] || die "no drivers/iommu/iova.o after $1"
	say "builds: $1 ($(grep -cE '^\s+CC ' "$log" || true) files compiled, $(grep -c 'warning:' "$log" || true) warnings)"
	grep 'warning:' "$log" | head -10 || true
}

case $MODE in
	series) extract_base; series; apply_check; checkpatch ;;
	apply) extract_base; series; apply_check ;;
	check) KPATCH_STRICT=${KPATCH_STRICT:-1}; extract_base; series; apply_check; checkpatch ;;
	build) extract_base; series; apply_check; checkpatch; build ;;
	*) die "usage: $0 [series|check|apply|build]" ;;
esac
say "done ($MODE)"
