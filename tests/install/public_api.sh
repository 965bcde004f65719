#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0-only
#
# public_api.sh INCLUDE_DIR: print, one per line and sorted, the names of the
# functions the public headers (INCLUDE_DIR/iova/*.h) declare, without
# their static inline helpers.  The headers are run through the C
# preprocessor with IOVA_API defined empty, so that the list does not depend
# on the export marks it is used to check.  Environment: CC (default cc).
set -eu
inc=$(cd "$1" && pwd)
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for h in "$inc"/iova/*.h; do
	printf '#include "%s"\n' "$h"
done >"$tmp/all.c"
"$cc" -E -std=c11 -DIOVA_API= -I"$inc" "$tmp/all.c" >"$tmp/all.i"

# Keep the text that came from the public headers (the line markers name the
# file), drop brace-enclosed bodies (structs, enums, inline functions), cut
# at ';' and '}', and print the identifier before the first '(' of every
# declaration that is neither a typedef nor static.
awk -v inc="$inc/iova/" '
/^# [0-9]+ "/ {
	f = $3; gsub(/"/, "", f)
	mine = index(f, inc) == 1
	next
}
mine { text = text " " $0 }
END {
	depth = 0; stmt = ""
	n = length(text)
	for (i = 1; i <= n; i++) {
		c = substr(text, i, 1)
		if (c == "{") {
			if (depth == 0) {
				emit(stmt)
				stmt = ""
			}
			depth++
		} else if (c == "}") {
			depth--
		} else if (depth == 0) {
			if (c == ";") {
				emit(stmt)
				stmt = ""
			} else
				stmt = stmt c
		}
	}
}
function emit(s,    p, head) {
	if (s ~ /(^|[^A-Za-z0-9_])(typedef|static)([^A-Za-z0-9_]|$)/)
		return
	p = index(s, "(")
	if (!p)
		return
	head = substr(s, 1, p - 1)
	sub(/[ \t]+$/, "", head)
	if (match(head, /[A-Za-z_][A-Za-z0-9_]*$/))
		print substr(head, RSTART, RLENGTH)
}' "$tmp/all.i" | LC_ALL=C sort -u
