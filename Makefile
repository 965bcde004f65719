# SPDX-License-Identifier: MIT OR GPL-2.0-only
# Convenience front end over CMake presets (see README.md).
#   make            release build
#   make bench      main job: the benchmark suite (bench/run.sh)
#   make demo       the small native-API demo (iova-demo)
#   make check      every test: debug-full, ASan+UBSan, TSan stress
#   make kernel-check   boot test under QEMU, stock vs the series, with dma_map_benchmark (kernel/check.sh)
#   make kernel-patch   the kernel change as a 3-patch series, each patch built (kernel/patch.sh)
#   make kernel-patch-check   the series applies to pristine 6.12, checkpatch --strict clean (CI)
#   make bench-kernel   the benchmark with the real iova.c and maple tree (bench/kernel/run.sh)
#   make fuzz / coverage / soak   assurance runs (docs/assurance.md)
#   make install PREFIX=/usr/local   install the release build
#   make examples   install into build/prefix, build and run examples/
#
# BUILD (default build) is where the build trees go; CMAKE_ARGS are passed
# to every configure.  The presets ask for Ninja; without ninja on PATH the
# trees are generated for Unix Makefiles instead (a tree keeps the
# generator it was first configured with).
JOBS ?= $(shell nproc)
BUILD ?= build
PREFIX ?= /usr/local
CTEST = ctest --output-on-failure -j$(JOBS)

# $(call configure,PRESET) and $(call build,PRESET)
generator = $$(g=$$(sed -n 's/^CMAKE_GENERATOR:INTERNAL=//p' \
		$(BUILD)/$(1)/CMakeCache.txt 2>/dev/null); \
	if [ -n "$$g" ]; then echo "$$g"; \
	elif command -v ninja >/dev/null 2>&1; then echo Ninja; \
	else echo "Unix Makefiles"; fi)
configure = cmake --preset $(1) -B $(BUILD)/$(1) -G "$(call generator,$(1))" $(CMAKE_ARGS)
build = cmake --build $(BUILD)/$(1) -j$(JOBS)

.PHONY: all release demo bench check check-debug check-asan check-tsan \
        install examples kernel-check kernel-patch kernel-patch-check bench-kernel bench-kernel-smoke fuzz fuzz-ci \
        coverage soak clean

all: release

release:
	$(call configure,release)
	$(call build,release)

demo: release
	$(BUILD)/release/demo/iova-demo

# The main job: the benchmark suite's default selection (< 3 minutes):
# every design on every workload, ratios, CSV and plots.
bench: release
	sh bench/run.sh $(BUILD)/release $(BENCH_ARGS)

install: release
	cmake --install $(BUILD)/release --prefix $(PREFIX)

# The consumer programs (pkg-config, find_package) against a fresh install.
examples: release
	rm -rf $(BUILD)/prefix $(BUILD)/examples
	cmake --install $(BUILD)/release --prefix $(BUILD)/prefix
	sh examples/run-consumers.sh $(BUILD)/prefix $(BUILD)/examples

check-debug:
	$(call configure,debug)
	$(call build,debug)
	cd $(BUILD)/debug && $(CTEST)

check-asan:
	$(call configure,asan-ubsan)
	$(call build,asan-ubsan)
	cd $(BUILD)/asan-ubsan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(CTEST)

check-tsan:
	$(call configure,tsan)
	$(call build,tsan)
	cd $(BUILD)/tsan && $(CTEST) -L stress

check: check-debug check-asan check-tsan
	@echo "make check: all test builds passed"

# Stock 6.12 and "ours" (the pristine tree + the kernel-patch series, drivers/iommu/
# compiled after each patch) booted under QEMU: DMA checks, KUnit, dma_map_benchmark
# (docs/kernel.md; the table in kernel/build/dmabench.md).
kernel-check:
	bash kernel/check.sh

# The series in build/kernel-patch/series/ (docs/kernel.md): applied in order to
# the pristine tree, checkpatch'd, and drivers/iommu/ compiled after each patch.
kernel-patch:
	bash kernel/patch.sh build

# The same series, checked to apply in order (about 20 s, no kernel build; that
# each patch builds is checked by kernel-check, which builds ours from the series).
kernel-patch-check:
	bash kernel/patch.sh check

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
	rm -rf $(BUILD)
