/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Backends of the replayer besides the "trace" pseudo-design:
 *
 *  - any design of the benchmark registry (bench/alloc_iface.h), through
 *    its bench_alloc_ops: top-down only, lower bound = the domain's start,
 *    alignment 1 or size-aligned; other requests are "unsupported";
 *  - "iova-native": libiova through include/iova/iova.h directly, every
 *    policy, bound and alignment of the trace format;
 *  - "iova-linux": libiova through the Linux-compatible API
 *    (include/iova/linux.h), only when built with IOVA_REPLAY_LINUX_API
 *    (the header is not part of every tree yet).
 */
#ifndef IOVA_REPLAY_BACKENDS_H
#define IOVA_REPLAY_BACKENDS_H

#include "replay.h"

struct bench_alloc_ops;

/* Fill *out to drive ops; out->arg points at ops. */
void replay_backend_bench(const struct bench_alloc_ops *ops,
			  struct replay_backend *out);

extern const struct replay_backend replay_native_backend;

#ifdef IOVA_REPLAY_HAVE_LINUX
extern const struct replay_backend replay_linux_backend;
#endif

#endif
