/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * The small interface every allocator design implements for the benchmark
 * and the trace replayer: libiova's index (through the native API), and the
 * baselines in bench/baselines/ written from published designs.
 *
 * Semantics follow the Linux convention the workloads model: top-down
 * allocation at or below an inclusive limit_pfn, optionally size-aligned
 * (align = roundup_pow_of_two(size)), never below the domain's start_pfn.
 * Each design keeps its own placement policy; all must be safe (no overlap,
 * nothing outside [start_pfn, limit]).
 */
#ifndef IOVA_BENCH_ALLOC_IFACE_H
#define IOVA_BENCH_ALLOC_IFACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bench_alloc_ops {
	const char *name;
	/* A domain for pfns [start_pfn, end_pfn]; NULL on failure. */
	void *(*create)(uint64_t start_pfn, uint64_t end_pfn);
	void (*destroy)(void *a);
	/* 0 and *pfn = start on success, negative errno on failure. */
	int (*alloc)(void *a, uint64_t size, uint64_t limit_pfn,
		     bool size_aligned, uint64_t *pfn);
	/* Free the range starting at pfn; 0 or -ENOENT. */
	int (*free)(void *a, uint64_t pfn);
	/* Reserve [lo, hi]; 0 or negative errno. */
	int (*reserve)(void *a, uint64_t lo, uint64_t hi);
	/* Bytes of memory the design holds for its index right now. */
	uint64_t (*bytes)(void *a);
	/* Number of live + reserved ranges. */
	uint64_t (*count)(void *a);
	/* Optional (NULL = none): the alloc_iova_fast/free_iova_fast pair of
	 * the design (caches in front of the tree, size-aligned); 0 or
	 * negative errno, and the size given back to free_fast is the one
	 * asked of alloc_fast. */
	int (*alloc_fast)(void *a, uint64_t size, uint64_t limit_pfn,
			  uint64_t *pfn);
	void (*free_fast)(void *a, uint64_t pfn, uint64_t size);
	/* Run only when named (iova-bench --alloc, iova-replay --alloc), not
	 * in the default selection: variants that add minutes to make bench. */
	bool opt_in;
};

/* Registered designs, NULL-terminated; defined in bench/allocs.c. */
extern const struct bench_alloc_ops *const bench_allocs[];
const struct bench_alloc_ops *bench_alloc_by_name(const char *name);

#endif
