#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0-only
#
# Build the soak test (optimised, fault-injection hook on, cheap asserts)
# into build/soak/iova-soak and run it with the given arguments:
#
#   tools/soak/soak.sh --minutes 20            # 10^7 live ranges
#   tools/soak/soak.sh --minutes 1 --ranges 1000000
#
# It is not part of `make check`.  Environment: SOAK_OUT (build directory,
# default build/soak), CC (default cc).
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
out=${SOAK_OUT:-$root/build/soak}
cc=${CC:-cc}

mkdir -p "$out"
# shellcheck disable=SC2046
$cc -std=c11 -O2 -g -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Werror -D_GNU_SOURCE -DIOVA_FAULT_INJECT=1 \
	-I"$root/include" -I"$root/src" \
	$(find "$root/src" -name '*.c' | LC_ALL=C sort) \
	"$root/tools/soak/soak.c" -o "$out/iova-soak" -lpthread
exec "$out/iova-soak" "$@"
