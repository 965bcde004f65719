# SPDX-License-Identifier: MIT OR GPL-2.0-only
# The per-CPU cache benchmark (docs/caches.md).  From bench/CMakeLists.txt:
#   include(${CMAKE_CURRENT_SOURCE_DIR}/cache_bench.cmake)
add_executable(cache_bench ${CMAKE_CURRENT_LIST_DIR}/cache_bench.c)
target_link_libraries(cache_bench PRIVATE iova Threads::Threads)
