#!/bin/sh
# SPDX-License-Identifier: MIT OR GPL-2.0-only
#
# check_install.sh BUILD_DIR SRC_DIR WORK_DIR
# Install BUILD_DIR into WORK_DIR/prefix and check the tree: headers, both
# libraries and the SONAME chain, libiova.pc and what pkg-config makes of
# it, the CMake package (no definitions or options for consumers, version
# compatibility), the licence; then build and run examples/ against it
# (examples/run-consumers.sh).  The expected version is read from the
# header's IOVA_VERSION_* lines.  Prints TAP; exits with the failure count.
set -eu
build=$1
src=$(cd "$2" && pwd)
work=$3
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
p="$work/prefix"
fail=0
n=0
t() {	# t COND DESCRIPTION
	n=$((n + 1))
	if eval "$1"; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fail=$((fail + 1))
	fi
}
ver() { sed -n "s/^#define IOVA_VERSION_$1 \\([0-9]*\\)\$/\\1/p" "$src/include/iova/iova.h"; }
major=$(ver MAJOR) minor=$(ver MINOR) patch=$(ver PATCH)
v="$major.$minor.$patch"

cmake --install "$build" --prefix "$p" >"$work/install.log" 2>&1 && ok=1 || ok=0
t '[ $ok = 1 ]' "cmake --install into a fresh prefix"
[ $ok = 1 ] || { sed 's/^/# /' "$work/install.log"; exit 1; }

hdrs=0 same=0
for h in "$src"/include/iova/*.h; do
	hdrs=$((hdrs + 1))
	cmp -s "$h" "$p/include/iova/${h##*/}" && same=$((same + 1))
done
t '[ $hdrs -ge 3 ] && [ $same = $hdrs ]' "all $hdrs public headers installed unchanged"
t '[ "$(ls "$p/include/iova" | wc -l)" = $hdrs ]' "and nothing else under include/iova"
t '[ -f "$p/lib/libiova.a" ] && [ ! -L "$p/lib/libiova.a" ]' "lib/libiova.a"
t '[ "$(readlink "$p/lib/libiova.so")" = libiova.so.$major ]' \
	"lib/libiova.so -> libiova.so.$major"
t '[ "$(readlink "$p/lib/libiova.so.$major")" = libiova.so.$v ] && [ -f "$p/lib/libiova.so.$v" ] && [ ! -L "$p/lib/libiova.so.$v" ]' \
	"lib/libiova.so.$major -> libiova.so.$v (a file)"
soname=$(readelf -d "$p/lib/libiova.so.$v" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
t '[ "$soname" = libiova.so.$major ]' "SONAME is libiova.so.$major (got '$soname')"
t '! readelf -d "$p/lib/libiova.so.$v" | grep -q -e RPATH -e RUNPATH' \
	"the installed shared library has no RPATH/RUNPATH"
t '! readelf -d "$p/lib/libiova.so.$v" | grep -q "TEXTREL"' "and no text relocations"
t '! readelf -d "$p/lib/libiova.so.$v" | grep -q "STATIC_TLS"' \
	"and no static TLS (its thread-locals allow dlopen)"
if ${CC:-cc} -std=c11 -Wall -Wextra -Werror -I"$p/include" "$src/tests/install/dlopen.c" \
	-o "$work/dlopen" -ldl >"$work/dlopen.log" 2>&1 &&
	"$work/dlopen" "$p/lib/libiova.so.$major" >>"$work/dlopen.log" 2>&1; then
	ok=1
else
	ok=0
	sed 's/^/# /' "$work/dlopen.log"
fi
t '[ $ok = 1 ]' "dlopen(libiova.so.$major): public symbols callable, internal ones hidden"
t 'sh "$src/tests/install/check_symbols.sh" shared "$p/lib/libiova.so.$v" "$p/include" >"$work/syms.log"' \
	"the installed libiova.so exports exactly the public API"
sed 's/^/# /' "$work/syms.log" | grep -v '^# ok' || true

pc="$p/lib/pkgconfig/libiova.pc"
t '[ -f "$pc" ]' "lib/pkgconfig/libiova.pc"
export PKG_CONFIG_PATH="$p/lib/pkgconfig"
unset PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR || true
if command -v pkg-config >/dev/null 2>&1; then
	t '[ "$(pkg-config --modversion libiova)" = "$v" ]' "pkg-config --modversion = $v"
	t '[ "$(pkg-config --cflags libiova | sed "s/ *$//")" = "-I$p/include" ]' \
		"pkg-config --cflags is exactly -I<prefix>/include (no definitions)"
	t '[ "$(pkg-config --libs libiova | sed "s/ *$//")" = "-L$p/lib -liova" ]' \
		"pkg-config --libs is -L<prefix>/lib -liova"
	t 'pkg-config --static --libs libiova | grep -q -e "-pthread"' \
		"pkg-config --static --libs adds -pthread"
else
	t true "# SKIP pkg-config is not installed"
fi

cm="$p/lib/cmake/iova"
t '[ -f "$cm/iovaConfig.cmake" ] && [ -f "$cm/iovaConfigVersion.cmake" ] && [ -f "$cm/iovaTargets.cmake" ]' \
	"lib/cmake/iova/{iovaConfig,iovaConfigVersion,iovaTargets}.cmake"
t 'grep -q "add_library(iova::iova_static STATIC IMPORTED)" "$cm/iovaTargets.cmake" && grep -q "add_library(iova::iova_shared SHARED IMPORTED)" "$cm/iovaTargets.cmake"' \
	"the package exports iova::iova_static and iova::iova_shared"
t '! grep -q -e INTERFACE_COMPILE_DEFINITIONS -e INTERFACE_COMPILE_OPTIONS "$cm"/iovaTargets*.cmake' \
	"the exported targets impose no definitions or options on consumers"

# find_package version checks: this major accepted, the next refused.
mkdir -p "$work/vcheck"
for want in "$major.$minor" "$((major + 1)).0"; do
	printf 'cmake_minimum_required(VERSION 3.20)\nproject(v LANGUAGES C)\nfind_package(iova %s REQUIRED)\n' \
		"$want" >"$work/vcheck/CMakeLists.txt"
	rm -rf "$work/vcheck/b"
	if cmake -S "$work/vcheck" -B "$work/vcheck/b" -DCMAKE_PREFIX_PATH="$p" \
		-G "Unix Makefiles" >"$work/vcheck-$want.log" 2>&1; then
		res=1
	else
		res=0
	fi
	if [ "$want" = "$major.$minor" ]; then
		t '[ $res = 1 ]' "find_package(iova $want) accepts $v"
	else
		t '[ $res = 0 ]' "find_package(iova $want) refuses $v"
	fi
done

lic="$p/share/doc/libiova/LICENSE"
t '[ -f "$lic" ] && grep -q "^MIT License" "$lic" && grep -q "GNU GENERAL PUBLIC LICENSE" "$lic" && grep -q "Version 2, June 1991" "$lic"' \
	"share/doc/libiova/LICENSE has the MIT and the GPL-2.0 texts"

sh "$src/examples/run-consumers.sh" "$p" "$work/consumers" >"$work/consumers.log" 2>&1 && ok=1 || ok=0
sed 's/^/# /' "$work/consumers.log"
t '[ $ok = 1 ]' "examples/ (pkg-config, find_package shared and static, libiova.a in a .so) build and run against the prefix"
# add_subdirectory(): iova::iova links, and the subproject brings no
# tests, demo or tools along.
as="$work/as-subdir"
mkdir -p "$as"
cp "$src/examples/cmake/consumer.c" "$as/"
printf '%s\n' 'cmake_minimum_required(VERSION 3.20)' 'project(sub LANGUAGES C)' \
	"add_subdirectory(\"$src\" libiova)" 'add_executable(consumer consumer.c)' \
	'target_link_libraries(consumer PRIVATE iova::iova)' >"$as/CMakeLists.txt"
if cmake -S "$as" -B "$as/b" -G "Unix Makefiles" >"$as.log" 2>&1 &&
	cmake --build "$as/b" --target consumer -j2 >>"$as.log" 2>&1 && "$as/b/consumer" >>"$as.log" 2>&1; then
	ok=1
else
	ok=0
	sed 's/^/# /' "$as.log" | tail -20
fi
t '[ $ok = 1 ]' "add_subdirectory(libiova): iova::iova builds and runs"
t '! grep -q -e "^IOVA_BUILD_TESTS:BOOL=ON" -e "^IOVA_BUILD_DEMO:BOOL=ON" -e "^IOVA_INSTALL:BOOL=ON" "$as/b/CMakeCache.txt" && ! [ -e "$as/b/libiova/tests" ] && ! [ -e "$as/b/libiova/demo" ]' \
	"... with tests, demo and install rules off"
echo "1..$n"
exit $fail
