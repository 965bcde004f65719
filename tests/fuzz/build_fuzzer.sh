#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0-only
#
# Build the libFuzzer targets with clang and, optionally, run one.
#
#   tests/fuzz/build_fuzzer.sh            build build/fuzz/fuzz_ops{,_small}
#   tests/fuzz/build_fuzzer.sh run        build, then fuzz fuzz_ops
#   tests/fuzz/build_fuzzer.sh run small  ... the 4-entry-node build
#   tests/fuzz/build_fuzzer.sh run mixed  ... the mixed target (fuzz_mixed.c:
#                                 native + fast + Linux calls, two threads)
#
# Environment:
#   FUZZ_SECONDS  run time (default 60)
#   FUZZ_OUT      build directory (default build/fuzz)
#   FUZZ_ARGS     extra libFuzzer flags (e.g. -jobs=2 -workers=2)
#   CC            a clang with libFuzzer (default clang)
#
# New inputs go to $FUZZ_OUT/corpus-<target>/ (the committed seeds in
# tests/fuzz/corpus/ are read, never written); crashes to $FUZZ_OUT/.
# To fold new finds into the seed corpus, minimised:
#   build/fuzz/fuzz_ops -merge=1 tests/fuzz/corpus build/fuzz/corpus-fuzz_ops
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_OUT:-$root/build/fuzz}
cc=${CC:-clang}
secs=${FUZZ_SECONDS:-60}

mkdir -p "$out"
flags="-std=c11 -g -O1 -fno-omit-frame-pointer
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
       -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
       -Wmissing-prototypes -Werror
       -D_GNU_SOURCE -DIOVA_FAULT_INJECT=1 -DIOVA_DEBUG=2
       -I$root/include -I$root/src -I$root/tests"
srcs=$(find "$root/src" -name "*.c" | LC_ALL=C sort)

# shellcheck disable=SC2086
$cc $flags $srcs "$root/tests/fuzz/fuzz_ops.c" "$root/tests/fuzz/fuzz_linux.c" "$root/tests/fuzz/fuzz_cache.c" -o "$out/fuzz_ops" -lpthread
# shellcheck disable=SC2086
$cc $flags -DIOVA_TEST_SMALL_NODES=1 $srcs "$root/tests/fuzz/fuzz_ops.c" "$root/tests/fuzz/fuzz_linux.c" "$root/tests/fuzz/fuzz_cache.c" \
	-o "$out/fuzz_ops_small" -lpthread
# The mixed target: its own binary, linked with the malloc wrappers of
# tests/isolation/iso_wrap.h; seeds in tests/fuzz/corpus-mixed/.
wrap="-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,--wrap=posix_memalign,--wrap=aligned_alloc"
# shellcheck disable=SC2086
$cc $flags $srcs "$root/tests/fuzz/fuzz_mixed.c" -o "$out/fuzz_mixed" -lpthread $wrap
echo "built $out/fuzz_ops, $out/fuzz_ops_small and $out/fuzz_mixed"

[ "${1:-}" = run ] || exit 0
target=fuzz_ops
[ "${2:-}" = small ] && target=fuzz_ops_small
seeds="$root/tests/fuzz/corpus"
if [ "${2:-}" = mixed ]; then
	target=fuzz_mixed
	seeds="$root/tests/fuzz/corpus-mixed"
fi
mkdir -p "$out/corpus-$target"
# shellcheck disable=SC2086
exec "$out/$target" -max_total_time="$secs" -max_len=8192 -timeout=30 \
	-print_final_stats=1 -artifact_prefix="$out/$target-" \
	${FUZZ_ARGS:-} "$out/corpus-$target" "$seeds"
