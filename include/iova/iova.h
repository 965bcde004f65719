/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * libiova: an I/O virtual address allocator.
 *
 * A domain hands out ranges of page frame numbers (pfns) of a device address
 * space.  Every range is [lo, hi], inclusive, size = hi - lo + 1 >= 1.  All
 * bounds are inclusive too.
 *
 * Allocation is O(log n) for any bounds: the index keeps, per subtree, the
 * largest free gap and an exact summary of size-aligned fits, and prunes by
 * address as well as by gap (docs/design.md).
 *
 * Conventions:
 *  - Functions return 0 (or a value) on success and a negative errno on
 *    failure.  A failed call changes nothing.
 *  - Every function is thread-safe on one domain (one lock per domain).
 *  - Bounds wider than the domain are clamped to it.
 *  - Memory for the index comes from the domain's hooks, and is obtained
 *    before the domain lock is taken.  Freeing never allocates.
 */
#ifndef IOVA_IOVA_H
#define IOVA_IOVA_H

#ifdef __KERNEL__
#include <linux/types.h>	/* the kernel build of the core */
#else
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The version of these headers, major.minor.patch.  IOVA_VERSION is one
 * number, ordered like the versions: compare it with IOVA_MAKE_VERSION().
 * iova_version() returns the library's own IOVA_VERSION at run time (a
 * program built against one release may run with another shared library
 * of the same major version).
 */
#define IOVA_VERSION_MAJOR 0
#define IOVA_VERSION_MINOR 1
#define IOVA_VERSION_PATCH 0
#define IOVA_MAKE_VERSION(major, minor, patch) \
	(((major) << 16) | ((minor) << 8) | (patch))
#define IOVA_VERSION \
	IOVA_MAKE_VERSION(IOVA_VERSION_MAJOR, IOVA_VERSION_MINOR, \
			  IOVA_VERSION_PATCH)
#define IOVA_VERSION_STRING "0.1.0"

#include "api.h"	/* IOVA_API */

/* The library's IOVA_VERSION (see above). */
IOVA_API unsigned int iova_version(void);

/* The opaque allocator state.  Created by iova_domain_create(). */
struct iova_ndomain;

/*
 * Memory hooks.  alloc returns size bytes aligned for any object, or NULL;
 * free gets back exactly what alloc returned, with the same size.  Both may
 * be called from any thread but never with the domain lock held... except
 * that free may be called under it when a node is released by an erase.
 */
struct iova_mem_hooks {
	void *(*alloc)(size_t size, void *ctx);
	void (*free)(void *ptr, size_t size, void *ctx);
	void *ctx;
};

/* Domain flags. */
#define IOVA_DOMAIN_UDATA 0x1u	/* keep a user pointer per range (+8 B/range) */

struct iova_domain_config {
	uint64_t granule;	/* bytes per pfn, a power of two; 0 = 4096 */
	uint64_t start_pfn;	/* lowest pfn that may be handed out */
	uint64_t end_pfn;	/* highest pfn; 0 = top (UINT64_MAX >> shift) */
	const struct iova_mem_hooks *mem; /* NULL = malloc/free */
	unsigned int flags;	/* IOVA_DOMAIN_* */
};

/*
 * Create a domain.  cfg may be NULL for the defaults (4 KiB granule, pfns
 * [0, 2^52 - 1]).  On success *out owns the domain.
 * Errors: -EINVAL (granule not a power of two, start > end, end above
 * UINT64_MAX >> log2(granule) (its byte address would wrap), unknown flag,
 * out NULL), -ENOMEM (hooks returned NULL).
 */
IOVA_API int iova_domain_create(const struct iova_domain_config *cfg,
				struct iova_ndomain **out);

/*
 * Destroy a domain and every range in it (live or reserved).  The caller
 * must make sure no other thread uses the domain.  NULL is a no-op.
 */
IOVA_API void iova_domain_destroy(struct iova_ndomain *d);

/* Placement policies for iova_alloc(). */
enum iova_policy {
	IOVA_TOP_DOWN = 0,	/* highest fit inside [min_pfn, max_pfn] */
	IOVA_BOTTOM_UP = 1,	/* lowest fit inside [min_pfn, max_pfn] */
	IOVA_EXACT = 2,		/* exactly [min_pfn, min_pfn + size - 1] */
};

/*
 * Allocate size pfns whose start is a multiple of align (a power of two;
 * 1 = no alignment), inside [min_pfn, max_pfn] clamped to the domain.
 * TOP_DOWN returns the highest such start, BOTTOM_UP the lowest; EXACT asks
 * for the start min_pfn itself (which must then be a multiple of align, and
 * the range must end at or below max_pfn).  On success *pfn_out = start.
 * Errors:
 *  -EINVAL  size 0, align not a power of two, min_pfn > max_pfn, a range
 *           that would wrap past UINT64_MAX, unknown policy, pfn_out NULL,
 *           EXACT with a misaligned min_pfn;
 *  -ENOMEM  no placement exists, or the memory hooks failed (the stats tell
 *           which: alloc_fail_nospace / alloc_fail_nomem).  Neither is
 *           remembered: the next feasible request succeeds.
 */
IOVA_API int iova_alloc(struct iova_ndomain *d, uint64_t size, uint64_t align,
			uint64_t min_pfn, uint64_t max_pfn, enum iova_policy policy,
			uint64_t *pfn_out);

/* As iova_alloc(), and set the range's user pointer (IOVA_DOMAIN_UDATA). */
IOVA_API int iova_alloc_udata(struct iova_ndomain *d, uint64_t size, uint64_t align,
			      uint64_t min_pfn, uint64_t max_pfn,
			      enum iova_policy policy, void *udata, uint64_t *pfn_out);

/*
 * Free the live range that starts at pfn.  Never allocates, cannot fail for
 * a live range.  Errors: -ENOENT (pfn is not the start of a live allocation:
 * free space, the middle of a range, a reservation, or a double free).
 */
IOVA_API int iova_free(struct iova_ndomain *d, uint64_t pfn);

/* Range flags. */
#define IOVA_RANGE_RESERVED 0x1u

struct iova_range {
	uint64_t lo, hi;	/* inclusive */
	unsigned int flags;	/* IOVA_RANGE_* */
	void *udata;		/* NULL unless IOVA_DOMAIN_UDATA */
};

/*
 * Find the range (live or reserved) that contains pfn.
 * Errors: -ENOENT (pfn is free or outside the domain), -EINVAL (out NULL).
 */
IOVA_API int iova_find(struct iova_ndomain *d, uint64_t pfn, struct iova_range *out);

/*
 * Find the lowest range whose hi >= pfn.  Errors: -ENOENT (none), -EINVAL.
 */
IOVA_API int iova_find_next(struct iova_ndomain *d, uint64_t pfn, struct iova_range *out);

/*
 * The range after prev (the lowest whose lo > prev->hi); -ENOENT at the
 * end (also when prev ends at UINT64_MAX), -EINVAL.  prev and out may be
 * the same.  Iteration that cannot wrap:
 *
 *	for (e = iova_find_next(d, 0, &r); !e; e = iova_find_after(d, &r, &r))
 *		use(&r);
 */
IOVA_API int iova_find_after(struct iova_ndomain *d,
			     const struct iova_range *prev,
			     struct iova_range *out);

/*
 * Set the user pointer of the range containing pfn.  Errors: -ENOENT,
 * -EOPNOTSUPP (domain created without IOVA_DOMAIN_UDATA).
 */
IOVA_API int iova_set_udata(struct iova_ndomain *d, uint64_t pfn, void *udata);

/*
 * Reserve [lo, hi] so that it is never handed out.  The part outside the
 * domain is ignored.  Overlapping or adjacent reservations merge into one
 * range.  Errors: -EINVAL (lo > hi), -EBUSY (overlaps a live allocation;
 * nothing changes), -ENOMEM (memory hooks failed; nothing changes).
 */
IOVA_API int iova_reserve(struct iova_ndomain *d, uint64_t lo, uint64_t hi);

/*
 * Call fn for every range (live and reserved) in address order, under the
 * domain lock (fn must not call back into this domain).  A non-zero return
 * from fn stops the walk and is returned.  Returns 0 after a full walk.
 */
IOVA_API int iova_for_each(struct iova_ndomain *d,
			   int (*fn)(const struct iova_range *r, void *arg), void *arg);

/* Page counts are modulo 2^64: a range of the whole 64-bit space counts 0. */
struct iova_stats {
	uint64_t live_ranges, live_pages;
	uint64_t reserved_ranges, reserved_pages;
	uint64_t free_gaps;	/* maximal free runs inside the domain */
	uint64_t index_bytes;	/* bytes held by the index: spare nodes and
				 * nodes waiting for lockless readers too
				 */
	uint64_t index_nodes;
	uint32_t index_height;	/* 1 = the root is a leaf */
	uint64_t allocs, frees, reserves;
	uint64_t alloc_fail_nospace, alloc_fail_nomem;
	uint64_t bad_frees;	/* -ENOENT from iova_free */
	uint64_t search_nodes;	/* nodes visited by all searches */
	uint64_t search_backtracks; /* descents that found nothing */
};

/* Snapshot the statistics.  Errors: -EINVAL (st NULL). */
IOVA_API int iova_get_stats(struct iova_ndomain *d, struct iova_stats *st);

/*
 * Size of the largest free run inside [min_pfn, max_pfn] (clamped to the
 * domain), in pfns; 0 if none.  A run of 2^64 pfns reports UINT64_MAX.
 */
IOVA_API uint64_t iova_largest_gap(struct iova_ndomain *d, uint64_t min_pfn,
				   uint64_t max_pfn);

/*
 * Recompute every invariant of the domain (order, no overlap, node fill,
 * keys, gap summaries, counters).  Returns 0, or -EIO and a static string
 * naming the first broken invariant in *why (if why is not NULL).
 */
IOVA_API int iova_domain_validate(struct iova_ndomain *d, const char **why);

/* Domain geometry. */
IOVA_API uint64_t iova_domain_granule(const struct iova_ndomain *d);
IOVA_API uint64_t iova_domain_start_pfn(const struct iova_ndomain *d);
IOVA_API uint64_t iova_domain_end_pfn(const struct iova_ndomain *d);

#ifdef __cplusplus
}
#endif
#endif /* IOVA_IOVA_H */
