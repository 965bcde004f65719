/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Writer for the native trace format (docs/trace-format.md).
 *
 * A benchmark workload dumps itself as a trace like this:
 *
 *	struct trace_writer *w = trace_writer_open("churn.trace", 4096, 1,
 *						   (1ull << 36) - 1);
 *	trace_write_comment(w, "workload churn, seed %u", seed);
 *	trace_write_reserve(w, 0xfee00, 0xfeeff);
 *	trace_write_alloc(w, id, size, limit_pfn, align, TRACE_TOP_DOWN);
 *	trace_write_free(w, id);
 *	if (trace_writer_close(w))
 *		... the file is incomplete ...
 *
 * Ids are the caller's (any u64); an id may be reused once it is freed.
 * The writer does not check the sequence (the reader does); it counts the
 * operations and closes the file with "end N" so a truncated copy is
 * detected.  Only stdio is used; no allocator library is needed.
 */
#ifndef IOVA_REPLAY_TRACE_WRITE_H
#define IOVA_REPLAY_TRACE_WRITE_H

#include <stdint.h>
#include <stdio.h>

#include "trace.h"

struct trace_writer;

/* path "-" writes to stdout.  NULL on failure (errno set). */
struct trace_writer *trace_writer_open(const char *path, uint64_t granule,
				       uint64_t start_pfn, uint64_t end_pfn);
/* Write to an open stream; close does not fclose it. */
struct trace_writer *trace_writer_stream(FILE *f, uint64_t granule,
					 uint64_t start_pfn, uint64_t end_pfn);

/* "# text" (newlines inside become separate comment lines). */
int trace_write_comment(struct trace_writer *w, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* a ID SIZE LIMIT ALIGN POLICY (align 1 = none; size-aligned Linux
 * requests pass trace_roundup_pow2(size)). */
int trace_write_alloc(struct trace_writer *w, uint64_t id, uint64_t size,
		      uint64_t limit_pfn, uint64_t align,
		      enum trace_policy policy);

/* The same with the optional fields: min_pfn (has_min) and the original
 * placement at (has_at), taken from op; op->kind must be TRACE_ALLOC. */
int trace_write_alloc_op(struct trace_writer *w, const struct trace_op *op);

int trace_write_free(struct trace_writer *w, uint64_t id);
int trace_write_reserve(struct trace_writer *w, uint64_t lo, uint64_t hi);

/* Writes "end N", flushes, closes.  0, or -EIO if any write failed. */
int trace_writer_close(struct trace_writer *w);

/* Write a whole loaded trace (NOPs dropped).  0 or -EIO. */
int trace_write_all(FILE *f, const struct trace *t, const char *comment);

#endif
