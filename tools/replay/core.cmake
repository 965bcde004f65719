# SPDX-License-Identifier: MIT OR GPL-2.0-only
# The replay engine as a static library, shared by tools/replay (the
# iova-replay tool) and tests/replay (the tests are configured even when
# IOVA_BUILD_BENCH is OFF).  Needs nothing but libc and pthreads.  Included
# from both directories: the variables are set in each, the target once.
set(IOVA_REPLAY_DIR ${CMAKE_CURRENT_LIST_DIR})
set(IOVA_REPLAY_CORE_SOURCES
  ${IOVA_REPLAY_DIR}/trace.c
  ${IOVA_REPLAY_DIR}/kimport.c
  ${IOVA_REPLAY_DIR}/ptreap.c
  ${IOVA_REPLAY_DIR}/trace_write.c
  ${IOVA_REPLAY_DIR}/hist.c
  ${IOVA_REPLAY_DIR}/replay.c
  ${IOVA_REPLAY_DIR}/report.c)
if(NOT TARGET iova_replay_core)
  add_library(iova_replay_core STATIC ${IOVA_REPLAY_CORE_SOURCES}
              ${IOVA_REPLAY_DIR}/trace_record.c)
  # trace_record.c wraps a bench_alloc_ops: the header only, no link.
  target_include_directories(iova_replay_core PUBLIC ${IOVA_REPLAY_DIR}
                             PRIVATE ${PROJECT_SOURCE_DIR}/bench)
  target_link_libraries(iova_replay_core PUBLIC Threads::Threads)
endif()
