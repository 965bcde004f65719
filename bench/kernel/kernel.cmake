# SPDX-License-Identifier: MIT OR GPL-2.0-only
# The designs built from the real kernel source (design names linux and
# maple), as the static library iova_bench_kernel, when the cache variable
# IOVA_BENCH_KERNEL_SRC names an extraction made by kernel/source.sh --lab
# (make bench-kernel does both).  Kernel files are compiled unmodified;
# everything that links this library is GPL-2.0-only and stays local.
# Included from bench/CMakeLists.txt and tests/baselines/CMakeLists.txt.
include_guard(GLOBAL)

set(IOVA_BENCH_KERNEL_SRC "" CACHE PATH
    "extracted linux-source-6.12 for the linux and maple designs (kernel/source.sh --lab)")
set(IOVA_BENCH_KERNEL OFF)
if(IOVA_BENCH_KERNEL_SRC)
  set(K ${IOVA_BENCH_KERNEL_SRC})
  foreach(f drivers/iommu/iova.c lib/rbtree.c lib/maple_tree.c
            tools/testing/shared/linux.c tools/testing/shared/maple-shared.h)
    if(NOT EXISTS ${K}/${f})
      message(FATAL_ERROR "IOVA_BENCH_KERNEL_SRC=${K}: no ${f} (run sh kernel/source.sh --lab DIR)")
    endif()
  endforeach()
  set(IOVA_BENCH_KERNEL ON)
  set(kdir ${PROJECT_SOURCE_DIR}/bench/kernel)
  set(kgen ${CMAKE_BINARY_DIR}/bench-kernel-gen)

  # iova.c's and rbtree.c's <linux/...> headers: each one is kshim.h.
  foreach(h types kernel dma-mapping kmemleak module slab smp bitops cpu
            workqueue container_of stddef rcupdate compiler export)
    file(WRITE ${kgen}/linux-shim/linux/${h}.h.tmp "#include \"kshim.h\"\n")
    file(COPY_FILE ${kgen}/linux-shim/linux/${h}.h.tmp ${kgen}/linux-shim/linux/${h}.h
         ONLY_IF_DIFFERENT)
  endforeach()
  # The harness's generated headers (its Makefile writes them the same way).
  file(WRITE ${kgen}/maple/generated/map-shift.h "#define XA_CHUNK_SHIFT 3\n")
  file(WRITE ${kgen}/maple/generated/bit-length.h "#define CONFIG_64BIT 1\n")
  file(WRITE ${kgen}/maple/generated/autoconf.h "#include \"bit-length.h\"\n#define CONFIG_XARRAY_MULTI 1\n")

  find_library(URCU_LIB urcu)
  if(NOT URCU_LIB)
    message(FATAL_ERROR "the maple harness needs liburcu (apt-get install liburcu-dev)")
  endif()

  add_library(iova_bench_kernel STATIC ${kdir}/linux_iova.c ${kdir}/maple_iova.c
              ${K}/tools/testing/shared/linux.c)
  set_target_properties(iova_bench_kernel PROPERTIES C_EXTENSIONS ON)
  # Kernel code: its own warning set is not ours.
  target_compile_options(iova_bench_kernel PRIVATE -w -fno-strict-aliasing)
  target_include_directories(iova_bench_kernel PRIVATE ${PROJECT_SOURCE_DIR}/bench ${kdir})
  set_source_files_properties(${kdir}/linux_iova.c PROPERTIES
    INCLUDE_DIRECTORIES "${kgen}/linux-shim;${kdir};${K}/include;${K}")
  set_source_files_properties(${kdir}/maple_iova.c ${K}/tools/testing/shared/linux.c PROPERTIES
    INCLUDE_DIRECTORIES "${K}/tools/testing/shared;${kgen}/maple;${K}/tools/testing/radix-tree;${K}/tools/include"
    COMPILE_DEFINITIONS "_LGPL_SOURCE")
  target_link_libraries(iova_bench_kernel PUBLIC ${URCU_LIB} Threads::Threads)
  target_compile_definitions(iova_bench_kernel INTERFACE BENCH_HAVE_KERNEL=1)
  target_include_directories(iova_bench_kernel INTERFACE ${kdir})
endif()
