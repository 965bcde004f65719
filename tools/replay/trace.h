/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * In-memory form of an allocation trace, and the two readers that build it:
 * the native text format (docs/trace-format.md) and the importer for the
 * kernel's iommu:map / iommu:unmap trace events (perf script output or the
 * tracefs "trace" file).
 *
 * A trace is one domain (granule, start_pfn, end_pfn) and a sequence of
 * operations.  Allocation ids are resolved at load time into dense "slots":
 * op->slot of a free names the alloc it releases, so the replayer needs no
 * hash table on the timed path.
 *
 * Nothing in here links against the allocator library.
 */
#ifndef IOVA_REPLAY_TRACE_H
#define IOVA_REPLAY_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum trace_kind {
	TRACE_ALLOC = 0,
	TRACE_FREE = 1,
	TRACE_RESERVE = 2,
	TRACE_NOP = 3,		/* an import's alloc merged into another */
};

enum trace_policy {
	TRACE_TOP_DOWN = 0,	/* "td" */
	TRACE_BOTTOM_UP = 1,	/* "bu" */
	TRACE_EXACT = 2,	/* "ex": exactly at min_pfn */
};

struct trace_op {
	uint8_t kind;		/* enum trace_kind */
	uint8_t policy;		/* enum trace_policy (alloc) */
	uint8_t has_at;		/* alloc: 'at' holds the trace's placement */
	uint8_t has_min;	/* alloc: min_pfn given explicitly */
	uint32_t slot;		/* alloc, free: dense allocation index */
	uint64_t a;		/* alloc: size (pfns); reserve: lo */
	uint64_t b;		/* alloc: limit_pfn (inclusive); reserve: hi */
	uint64_t min_pfn;	/* alloc: lower bound (start_pfn if !has_min) */
	uint64_t align;		/* alloc: alignment in pfns, power of two */
	uint64_t at;		/* alloc: original placement (if has_at) */
	uint64_t id;		/* alloc, free: the id written in the trace */
	uint32_t line;		/* source line, for messages */
};

/* What the kernel-event importer saw and did (all counts). */
struct kimport_stats {
	uint64_t lines;		/* input lines */
	uint64_t maps, unmaps;	/* iommu map / unmap events parsed */
	uint64_t skipped;	/* comments, headers, other events, call chains */
	uint64_t malformed;	/* map/unmap lines that did not parse */
	uint64_t lost;		/* "[LOST n EVENTS]" markers seen */
	uint64_t allocs;	/* allocations produced (after coalescing) */
	uint64_t frees;		/* frees produced */
	uint64_t coalesced;	/* map events folded into an earlier one */
	uint64_t partial_unmaps; /* unmaps that covered part of a mapping */
	uint64_t unmatched_unmaps; /* unmaps of nothing we saw mapped */
	uint64_t remapped;	/* maps over a live mapping (freed first) */
	uint64_t rounded;	/* allocations whose size was rounded up */
	uint64_t live_at_end;	/* still mapped at the end (not leaks) */
	/* Live before the capture: pages unmapped but never mapped by the
	 * trace, as maximal runs (reserved first with pre_reserve). */
	uint64_t prelive_ranges, prelive_pages;
};

struct trace {
	uint64_t granule;	/* bytes per pfn */
	uint64_t start_pfn, end_pfn;
	struct trace_op *ops;
	size_t nops, cap;
	uint32_t nslots;	/* number of alloc ops (slots 0..nslots-1) */
	uint64_t max_limit;	/* highest alloc limit, clamped to end_pfn */
	uint64_t nallocs, nfrees, nreserves;
	bool has_end;		/* native: the "end" trailer was present */
	bool imported;		/* built from kernel events */
	struct kimport_stats kstats;
};

enum trace_format {
	TRACE_FMT_AUTO = 0,
	TRACE_FMT_NATIVE,
	TRACE_FMT_KERNEL,	/* perf script or tracefs: same reader */
};

/*
 * Message sink.  fatal messages end the load; the others are warnings
 * (malformed kernel events, a missing "end").  name is the input's name,
 * line is 1-based (0: no particular line).
 */
typedef void (*trace_msg_fn)(void *ctx, const char *name, unsigned long line,
			     bool fatal, const char *text);

struct trace_opts {
	enum trace_format format;
	/* Kernel import. */
	uint64_t granule;	/* 0 = 4096 */
	unsigned limit_bits;	/* 0 = smallest power of two (>= 32 bits)
				   covering every mapped iova */
	bool no_round;		/* keep the mapped size: no size<32 pow2
				   rounding, no size alignment */
	bool no_coalesce;	/* never fold scatter-gather maps */
	bool pre_reserve;	/* reserve the ranges live before the capture
				   (kimport_stats.prelive_*) at the start */
	/* Both. */
	bool strict;		/* warnings become fatal */
	unsigned max_warnings;	/* printed before going quiet; 0 = 20 */
	trace_msg_fn msg;	/* NULL = print "name:line: text" to stderr */
	void *msg_ctx;
};

/* Return codes of the loaders (negative errno style). */
#define TRACE_OK 0
#define TRACE_EPARSE (-22)	/* -EINVAL: a fatal parse error was reported */
#define TRACE_ENOMEM (-12)
#define TRACE_EIO (-5)

void trace_init(struct trace *t);
void trace_free(struct trace *t);

/*
 * Parse len bytes of buf (no NUL needed) named name.  On failure the trace
 * is left empty and a fatal message was sent.  opts may be NULL.
 */
int trace_parse_buf(const char *buf, size_t len, const char *name,
		    const struct trace_opts *opts, struct trace *t);
/*
 * Read path ("-" = stdin) and parse it.  TRACE_EIO if it cannot be read.
 * A gzip, xz, zstd or bzip2 file is decompressed through the system's
 * tool of that name ("xz -dc -- path"); compressed data on stdin, binary
 * data (a NUL byte) and a failed decompression are fatal (TRACE_EPARSE).
 */
int trace_load_file(const char *path, const struct trace_opts *opts,
		    struct trace *t);
/* "gzip", "xz", "zstd", "bzip2" if buf starts with that magic, or NULL. */
const char *trace_compression(const char *buf, size_t len);

/* The individual readers (trace_parse_buf picks one). */
int trace_parse_native(const char *buf, size_t len, const char *name,
		       const struct trace_opts *opts, struct trace *t);
int trace_import_kernel(const char *buf, size_t len, const char *name,
			const struct trace_opts *opts, struct trace *t);
/* TRACE_FMT_NATIVE if the first meaningful line is the magic, else KERNEL. */
enum trace_format trace_detect(const char *buf, size_t len);

/* Append an op (internal to the readers, exposed for tests). */
int trace_push(struct trace *t, const struct trace_op *op);

/* Small helpers shared by the tools. */
uint64_t trace_roundup_pow2(uint64_t v);	/* 0 -> 1; > 2^63 -> 0 */
bool trace_is_pow2(uint64_t v);
unsigned trace_ilog2(uint64_t v);		/* floor; v > 0 */
/* The pfn of the last page below 4 GiB (UINT64_MAX if granule > 4 GiB). */
uint64_t trace_pfn_4g(const struct trace *t);

#endif
