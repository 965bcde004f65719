/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Record any benchmark design's calls as a native trace, without touching
 * the workloads: wrap its bench_alloc_ops and hand the wrapper to the
 * workload instead.
 *
 *	const struct bench_alloc_ops *ops = bench_alloc_by_name("iova");
 *	ops = trace_record_begin(ops, "churn.trace", "workload churn");
 *	... run the workload with ops ...
 *	if (trace_record_end())
 *		... the trace is incomplete ...
 *
 * The first domain the wrapper creates is recorded (header from its
 * start_pfn/end_pfn, 4 KiB granule); later ones (repeats) pass through.
 * Each successful alloc becomes "a PFN SIZE LIMIT ALIGN td at=PFN" (the id
 * is the start pfn, unique among live ranges), each successful free "f PFN",
 * each successful reserve "r LO HI"; failed calls change nothing in the
 * domain and are only counted (a comment at the end).  A mutex is held
 * across the call and its line, so a multi-threaded workload is recorded
 * in the order the design saw it (and is serialised while recording).
 * One recording at a time.
 */
#ifndef IOVA_REPLAY_TRACE_RECORD_H
#define IOVA_REPLAY_TRACE_RECORD_H

struct bench_alloc_ops;

/* NULL if a recording is already running (the path is opened lazily, at
 * the first create). */
const struct bench_alloc_ops *
trace_record_begin(const struct bench_alloc_ops *inner, const char *path,
		   const char *comment);
/* Close the trace: 0, or -EIO if it could not be written completely. */
int trace_record_end(void);

#endif
