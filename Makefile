# SPDX-License-Identifier: MIT OR GPL-2.0-only
# Convenience front end over CMake presets (see README.md).
#   make            release build
#   make bench      main job: the benchmark suite (bench/run.sh)
#   make demo       the small native-API demo (iova-demo)
#   make check      every test: debug-full, ASan+UBSan, TSan stress
#   make kernel-check   boot test under QEMU (kernel/check.sh)
JOBS ?= $(shell nproc)
CTEST = ctest --output-on-failure -j$(JOBS)

.PHONY: all release demo bench check check-debug check-asan check-tsan \
        kernel-check clean

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

clean:
	rm -rf build
