/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * libiova per-CPU magazine caches (docs/caches.md).
 *
 * A fast path in front of the index for small, size-aligned ranges: freed
 * ranges of a cached order go into a magazine of this CPU instead of back to
 * the index, and the next allocation of that order takes one from there.
 * A cached range stays allocated in the index: it never looks free there,
 * and only iova_alloc_fast() of the same order can hand it out again.
 *
 * Shape (per domain): orders 0..max_order-1 are cached; per CPU and order a
 * "loaded" and a "prev" magazine of mag_size pfns; per order a depot of full
 * magazines, at most depot_max of them (the surplus is given back to the
 * index when it is pushed; iova_cache_trim() gives back the rest).
 *
 * Memory is taken lazily: setting up the caches allocates one block (under
 * 1 KiB for up to 256 CPUs with the defaults) and nothing per CPU.  A CPU
 * gets its slot (256 bytes with the defaults, allocated in chunks of up to
 * 8 neighbouring slots) when it first frees into a cache, or first misses
 * while the depot holds a full magazine of that order; it gets a magazine
 * of an order when it first frees a range of that order, a second one when
 * the first fills.  When memory cannot be had the range simply goes to (or
 * comes from) the index: no cache call fails for lack of memory.
 * iova_cache_trim() gives an idle CPU's magazines back (see there).
 *
 * Conventions as in iova.h: 0 or a negative errno; thread-safe; memory from
 * the domain's hooks, never obtained with a cache or domain lock held.
 */
#ifndef IOVA_CACHE_H
#define IOVA_CACHE_H

#include "iova.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Defaults and limits of struct iova_cache_config. */
#define IOVA_CACHE_DEFAULT_MAX_ORDER 6	/* orders 0..5: 1..32 pfns, as Linux */
#define IOVA_CACHE_DEFAULT_MAG_SIZE 127	/* 8 + 127 * 8 = 1 KiB, as Linux */
#define IOVA_CACHE_MAX_ORDER 32
#define IOVA_CACHE_MAX_MAG_SIZE 65535
#define IOVA_CACHE_MAX_CPUS 65536	/* nr_cpus and depot_max */

/* Cache flags (struct iova_cache_config.flags). */
#define IOVA_CACHE_CHECK_FREES 0x1u /* full check of every iova_free_fast()
				     * against the index and the cached set,
				     * in any build (see iova_free_fast)
				     */

struct iova_cache_config {
	unsigned int max_order;	/* cache orders 0..max_order-1; 0 = 6 (max 32) */
	unsigned int mag_size;	/* pfns per magazine; 0 = 127 (max 65535) */
	unsigned int nr_cpus;	/* CPU slots; 0 = the configured CPUs.
				 * CPU n uses slot n % nr_cpus (1 = one slot,
				 * fully deterministic)
				 */
	unsigned int depot_max;	/* full depot magazines kept per order;
				 * 0 = nr_cpus
				 */
	unsigned int flags;	/* IOVA_CACHE_* */
};

/*
 * Set up the caches of d (once), before any iova_alloc_fast() or
 * iova_free_fast() call on d: a range sized without the caches' rounding
 * could otherwise be cached with the wrong size.  cfg may be NULL for the
 * defaults.  Allocates one block, nothing per CPU (see above).
 * Errors: -EINVAL (d NULL, max_order > 32, mag_size > 65535, nr_cpus or
 * depot_max > 65536, unknown flag), -ENOMEM (hooks failed; nothing
 * changed), -EEXIST (already set up), -EBUSY (a fast call already ran on
 * d; nothing changed).
 */
IOVA_API int iova_domain_init_caches(struct iova_ndomain *d,
				     const struct iova_cache_config *cfg);

/*
 * Allocate a size-aligned range of size pfns at or below max_pfn (and at or
 * above the domain's start), the highest such range when the index is used.
 * With caches, a size whose order ceil(log2 size) is cached is rounded up
 * to 2^order, and the range comes first from this CPU's loaded magazine
 * (the most recently cached range that fits under max_pfn), else from the
 * index.  The index aligns the start to 2^ceil(log2 size) in every case.
 * When the index has no room (not when memory is short) and flush_retry is
 * set, every cache is flushed back to the index and the index is asked
 * once more.  Without caches every size goes to the index unrounded.
 * On success *pfn_out = the range's start.
 * Errors: -EINVAL (d or pfn_out NULL, size 0 or above 2^63), -ENOMEM.
 */
IOVA_API int iova_alloc_fast(struct iova_ndomain *d, uint64_t size, uint64_t max_pfn,
			     bool flush_retry, uint64_t *pfn_out);

/*
 * Free a range obtained from iova_alloc_fast() with the same size (the
 * unrounded size is fine: it maps to the same order).  A cached order goes
 * into this CPU's magazine; otherwise, or if a magazine cannot be obtained,
 * the range goes back to the index.  Never fails for a live range.
 * Errors: -EINVAL (d NULL, size 0), -ENOENT (refused; nothing changed).
 * What is refused:
 *  - always: a pfn not aligned to the (rounded) size, or a range not
 *    inside [start, end] of the domain; and on the index path anything
 *    that is not exactly a live range of that size;
 *  - on the cached path with IOVA_CACHE_CHECK_FREES, or in debug builds
 *    (IOVA_DEBUG >= 1): also a free, reserved or differently sized range
 *    and a double free (the range is already cached), checked against the
 *    index under the domain lock and against the set of cached pfns.
 *    Without the flag a release build trusts the caller there (the cost of
 *    the check is in docs/caches.md).
 */
IOVA_API int iova_free_fast(struct iova_ndomain *d, uint64_t pfn, uint64_t size);

/*
 * Give the ranges in CPU slot cpu's magazines back to the index, and the
 * magazines back to the memory hooks (what a dead CPU's caches need; the
 * slot itself stays, empty).  A cpu without a slot, or no caches: no-op.
 */
IOVA_API void iova_cache_flush_cpu(struct iova_ndomain *d, unsigned int cpu);

/*
 * Flush every CPU slot (its magazines stay, empty), then give every depot
 * magazine back to the index.
 */
IOVA_API void iova_cache_flush_all(struct iova_ndomain *d);

/*
 * Give back what sits idle.  First every idle CPU slot: one that saw no
 * cache call (no hit, miss or free on that CPU) since the previous
 * iova_cache_trim() gives its ranges back to the index and its magazines
 * back to the memory hooks; so calling this every T seconds returns a quiet
 * CPU's magazines within 2T, and two calls in a row with no traffic in
 * between return them all.  (The slots themselves stay until the domain is
 * destroyed: a lock-free fast path may be looking at one.)  Then every full
 * depot magazine goes back to the index, the spare empty ones and the
 * depot's arrays to the hooks.  Returns the number of full depot magazines
 * given back (0 without caches).
 */
IOVA_API unsigned int iova_cache_trim(struct iova_ndomain *d);

/* Per-order statistics. */
struct iova_cache_stats {
	uint64_t hits, misses;	/* iova_alloc_fast() of this order */
	uint64_t depot_mags;	/* full magazines in the depot now */
	uint64_t flushes;	/* CPU slot flushes (flush_cpu; flush_all
				 * counts one per slot in use); domain-wide:
				 * the same in every order
				 */
	uint64_t trims;		/* full magazines given back to the index by
				 * the depot bound or iova_cache_trim()
				 */
	uint64_t cached_ranges;	/* ranges of this order in caches now */
	uint64_t depot_pushes, depot_pops; /* full magazines in / out */
	uint64_t flushed_ranges; /* ranges given back by flushes and idle
				  * trims
				  */
	uint64_t put_fallbacks;	/* frees that went to the index because no
				 * CPU slot, magazine or depot array could
				 * be allocated
				 */
	uint64_t mag_bytes;	/* magazine memory of this order now (CPU
				 * slots and depot)
				 */
	/* Domain-wide (the same in every order): */
	uint64_t cpu_slots;	/* CPU slots allocated (whole chunks) */
	uint64_t idle_trims;	/* CPU slots whose magazines
				 * iova_cache_trim() gave back as idle
				 */
	uint64_t cache_bytes;	/* all memory of the caches now, as asked of
				 * the hooks: the set-up block, slot chunks,
				 * magazines, depot arrays (and the checked
				 * frees' set)
				 */
};

/*
 * Snapshot the statistics of one order.  Errors: -EINVAL (d or st NULL, or
 * order not cached), -ENOENT (no caches).
 */
IOVA_API int iova_cache_get_stats(struct iova_ndomain *d, unsigned int order,
				  struct iova_cache_stats *st);

/*
 * The configuration in force (defaults filled in; IOVA_CACHE_CHECK_FREES
 * set whenever frees are fully checked, as in debug builds).  -ENOENT: no
 * caches.
 */
IOVA_API int iova_cache_get_config(struct iova_ndomain *d,
				   struct iova_cache_config *cfg);

#ifdef __cplusplus
}
#endif
#endif /* IOVA_CACHE_H */
