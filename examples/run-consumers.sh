#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0-only
#
# examples/run-consumers.sh PREFIX [WORKDIR]
#
# Build and run the example consumers against a libiova installed under
# PREFIX (`cmake --install BUILD --prefix PREFIX`), using nothing from the
# source tree but examples/:
#   pkgconfig/  cc $(pkg-config --cflags --libs libiova), shared library
#   cmake/      find_package(iova): iova::iova (shared), then again with
#               IOVA_USE_STATIC_LIBS=ON (static), and libiova.a linked into
#               a shared object
# Each program must run with the library from PREFIX.  Prints one line per
# step; exits non-zero at the first failure.  Environment: CC (default cc).
set -eu
prefix=$(cd "$1" && pwd)
work=${2:-$(mktemp -d)}
here=$(cd "$(dirname "$0")" && pwd)
cc=${CC:-cc}
mkdir -p "$work"
work=$(cd "$work" && pwd)

die() { echo "run-consumers: FAILED: $*" >&2; exit 1; }

pc=$(find "$prefix" -name libiova.pc -path '*/pkgconfig/*' | head -1)
[ -n "$pc" ] || die "no libiova.pc under $prefix"
libdir=$(dirname "$(dirname "$pc")")

# The program resolves libiova.so.0 to the one under PREFIX (want=shared),
# or does not load it at all (want=static).
uses_lib() {
	prog=$1 want=$2
	got=$(LD_LIBRARY_PATH="$libdir" ldd "$prog" | awk '/libiova\.so/ { print $3 }')
	case $want in
	shared) [ "$got" = "$libdir/libiova.so.0" ] ||
		die "$prog loads '${got:-no libiova}', not $libdir/libiova.so.0" ;;
	static) [ -z "$got" ] || die "$prog loads $got, want libiova linked in" ;;
	esac
}

# 1. pkg-config (skipped, and said so, where it is not installed).
if command -v pkg-config >/dev/null 2>&1; then
	export PKG_CONFIG_PATH="$libdir/pkgconfig"
	# shellcheck disable=SC2046
	"$cc" -std=c11 -Wall -Wextra -Werror "$here/pkgconfig/consumer.c" \
		$(pkg-config --cflags --libs libiova) -o "$work/pc-consumer" ||
		die "pkg-config consumer did not build"
	uses_lib "$work/pc-consumer" shared
	LD_LIBRARY_PATH="$libdir" "$work/pc-consumer" || die "pkg-config consumer"
else
	echo "run-consumers: SKIP the pkg-config consumer: pkg-config is not installed"
fi

# 2. find_package(iova), shared then static.
for kind in shared static; do
	b="$work/cmake-$kind"
	use_static=OFF
	[ $kind = static ] && use_static=ON
	cmake -S "$here/cmake" -B "$b" -DCMAKE_PREFIX_PATH="$prefix" \
		-DCMAKE_C_COMPILER="$cc" -DIOVA_USE_STATIC_LIBS=$use_static \
		-G "Unix Makefiles" >"$b.log" 2>&1 ||
		{ cat "$b.log"; die "cmake consumer ($kind) did not configure"; }
	cmake --build "$b" >>"$b.log" 2>&1 ||
		{ cat "$b.log"; die "cmake consumer ($kind) did not build"; }
	uses_lib "$b/consumer" $kind
	"$b/consumer" || die "cmake consumer ($kind)"
done
uses_lib "$work/cmake-shared/consumer_with_plugin" static
"$work/cmake-shared/consumer_with_plugin" || die "static libiova in a shared object"
echo "run-consumers: all consumers built and ran against $prefix"
