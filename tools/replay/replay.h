/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * The replay engine: runs a loaded trace against one allocator design and
 * measures it.
 *
 * A design is reached through struct replay_backend.  Backends exist for
 * every design in the benchmark registry (bench/alloc_iface.h), for
 * libiova's native API directly (all policies and bounds), for the
 * Linux-compatible API (compile-time optional), and for the trace itself
 * ("trace": each allocation is put where the trace says it was, so the
 * kernel's own fragmentation can be compared with ours).
 *
 * The engine keeps its own shadow of every placement, so it checks each
 * design (inside the domain and the bounds, aligned, no overlap) and
 * measures fragmentation the same way for all of them.
 */
#ifndef IOVA_REPLAY_REPLAY_H
#define IOVA_REPLAY_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "hist.h"
#include "trace.h"

struct replay_backend {
	const char *name;
	bool placement_only;	/* no meaningful timing (the "trace" design) */
	const void *arg;	/* passed to create */
	/* A domain for t's geometry; NULL on failure. */
	void *(*create)(const void *arg, const struct trace *t);
	void (*destroy)(void *ctx);
	/* 0 and *pfn, -ENOMEM (no room), -EOPNOTSUPP (the design cannot
	 * express this request: policy, lower bound or alignment). */
	int (*alloc)(void *ctx, const struct trace_op *op, uint64_t *pfn);
	/* Free what alloc_op placed at pfn.  0 or a negative errno. */
	int (*free)(void *ctx, uint64_t pfn, const struct trace_op *alloc_op);
	int (*reserve)(void *ctx, uint64_t lo, uint64_t hi);
	uint64_t (*bytes)(void *ctx);	/* may be NULL */
};

/* A fragmentation sample, taken every sample_every operations. */
struct replay_sample {
	uint64_t op;		/* operations done */
	uint64_t live;		/* live allocations */
	uint64_t gap4g;		/* largest free run below 4 GiB, pfns */
	uint64_t gapmax;	/* largest free run at or below max_limit */
	uint64_t gaps;		/* free runs in the domain */
	uint64_t bytes;		/* the design's index bytes */
};

struct replay_result {
	char name[40];
	bool placement_only;
	uint64_t nops, allocs, frees, reserves;
	uint64_t alloc_fail;	/* -ENOMEM (or another error) */
	uint64_t unsupported;	/* -EOPNOTSUPP: not replayed */
	uint64_t skipped_frees;	/* frees of allocations that failed */
	uint64_t free_fail, reserve_fail;
	unsigned long first_fail_line;
	uint64_t violations;	/* safety: overlap, out of bounds, ... */
	char violation[200];	/* the first one */
	uint64_t op_ns;		/* sum of per-op times (timer cost removed) */
	double wall_s;		/* whole replay, sampling included */
	struct rhist h_alloc, h_free;
	uint64_t peak_bytes, final_bytes;
	uint64_t peak_live, bytes_at_peak_live, final_live;
	uint64_t same_at, with_at;	/* placed where the trace placed it */
	struct replay_sample *samples;
	size_t nsamples;
	/* Over the repeated runs (filled by iova-replay, not the engine;
	 * runs == 0: one run, these unused).  The other fields are those
	 * of the median run. */
	unsigned runs;
	double *run_mops;	/* runs values, in run order (malloc'd) */
	double mops_median, mops_min, mops_max;
	unsigned stall_runs;	/* runs with an operation >= stall_ns */
	uint64_t stall_ops;	/* such operations, over all runs */
	uint64_t stall_ns;	/* the threshold */
};

struct replay_opts {
	uint64_t sample_every;	/* 0 = about 256 samples per trace */
	bool progress;		/* draw a bar on stderr after 1 s */
};

/*
 * Replay t on be.  0, or -ENOMEM if the engine (or be->create) failed; a
 * design's failures are counted in res, not returned.
 */
int replay_run(const struct trace *t, const struct replay_backend *be,
	       const struct replay_opts *o, struct replay_result *res);
void replay_result_free(struct replay_result *res);

/* The "trace" pseudo-design: replays the trace's own placements. */
extern const struct replay_backend replay_trace_backend;

/* Nanoseconds from CLOCK_MONOTONIC. */
uint64_t replay_now_ns(void);

#endif
