# SPDX-License-Identifier: MIT OR GPL-2.0-only
# Convenience front end over CMake presets (see README.md).
#   make            release build
#   make bench      main job: the benchmark suite (bench/run.sh)
#   make demo       the small native-API demo (iova-demo)
#   make check      every test: debug-full, ASan+UBSan, TSan stress
#   make kernel-check   boot test under QEMU (kernel/check.sh)
#   make bench-kernel   the benchmark with the real iova.c and maple tree (bench/kernel/run.sh)
#   make fuzz / coverage / soak   assurance runs (docs/assurance.md)
JOBS ?= $(shell nproc)
CTEST = ctest --output-on-failure -j$(JOBS)

.PHONY: all release demo bench check check-debug check-asan check-tsan \
        kernel-check bench-kernel bench-kernel-smoke fuzz fuzz-ci coverage soak clean

all: release

release:
	cmake --preset release
	cmake --build --preset release -j$(JOBS)

demo: release
	./build/release/demo/iova-demo

# The main job: the benchmark suite's default selection (< 3 minutes):
# every design on every workload, ratios, CSV and plots.
bench: release
	sh bench/run.sh build/release $(BENCH_ARGS)

check-debug:
	cmake --preset debug
	cmake --build --preset debug -j$(JOBS)
	cd build/debug && $(CTEST)

check-asan:
	cmake --preset asan-ubsan
	cmake --build --preset asan-ubsan -j$(JOBS)
	cd build/asan-ubsan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(CTEST)

check-tsan:
	cmake --preset tsan
	cmake --build --preset tsan -j$(JOBS)
	cd build/tsan && $(CTEST) -L stress

check: check-debug check-asan check-tsan
	@echo "make check: all test builds passed"

kernel-check:
	bash kernel/check.sh

# The benchmark with the real kernel designs (linux, maple) added; builds
# them from linux-source-6.12 in build/bench-kernel (GPL-2.0-only, local).
bench-kernel:
	sh bench/kernel/run.sh $(BENCH_ARGS)

# The short CI run of the same (about a minute).
bench-kernel-smoke:
	sh bench/kernel/run.sh --smoke

# libFuzzer (clang) over both APIs and the caches (docs/assurance.md).
FUZZ_SECONDS ?= 600
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/build_fuzzer.sh run

# The short session CI runs when clang is present (about a minute).
fuzz-ci:
	FUZZ_SECONDS=45 FUZZ_OUT=build/fuzz sh tests/fuzz/build_fuzzer.sh run

# Line and branch coverage of src/ (gcovr), failing under 95% / 85%.
coverage:
	COV_FAIL_UNDER=1 sh tools/coverage.sh

# 10^7 live ranges with periodic validation; not part of check.
SOAK_MINUTES ?= 20
soak:
	sh tools/soak/soak.sh --minutes $(SOAK_MINUTES)

clean:
	rm -rf build
