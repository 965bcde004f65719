/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * libiova: the Linux-compatible API.
 *
 * The names, signatures and conventions of the kernel's IOVA allocator
 * (include/linux/iova.h, drivers/iommu/iova.c), so that code written for it
 * (and its tests) runs on libiova's O(log n) index unchanged.  Every
 * deliberate difference from mainline is listed, with its reason, in
 * docs/linux-compat.md; the short version:
 *
 *  - alloc_iova() returns the exact highest fit below limit_pfn (mainline
 *    walks down from a cached node and may skip holes above it);
 *  - a failed allocation is never remembered (no max32_alloc_size);
 *  - size 0, reversed ranges and limits below start_pfn are refused;
 *  - bad frees (unknown pfn, reservation, double free) change nothing, are
 *    counted, and are reported through a hook (abort in debug builds when
 *    no hook is installed);
 *  - overlapping and adjacent reservations merge into one range, and a
 *    reservation never swallows a live allocation.
 *
 * The Linux `struct iova_domain` here and the native `struct iova_ndomain`
 * of include/iova/iova.h are distinct types, so both headers may be
 * included together and the compiler refuses a domain of one API passed to
 * the other.  The native domain behind a compat one is iova_linux_native().
 *
 * Units: a pfn is a granule-sized frame number; every range and limit is
 * inclusive.  Types follow the kernel (unsigned long); the API assumes a
 * 64-bit unsigned long for the full pfn space.
 *
 * Thread safety: as in the kernel, every call may run concurrently with any
 * other on the same domain, except init_iova_domain(), put_iova_domain()
 * and iova_domain_init_rcaches(), which the caller serialises.
 */
#ifndef IOVA_LINUX_H
#define IOVA_LINUX_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "api.h"	/* IOVA_API */

/*
 * dma_addr_t, as the kernel spells it.  A program that already has one
 * defines IOVA_LINUX_HAVE_DMA_ADDR_T before including this header.
 */
#ifndef IOVA_LINUX_HAVE_DMA_ADDR_T
typedef uint64_t dma_addr_t;
#endif

/* The CPU page size iova_rcache_range() is expressed in. */
#ifndef IOVA_LINUX_PAGE_SIZE
#define IOVA_LINUX_PAGE_SIZE 4096UL
#endif

/* Sizes (pfns) below 2^(IOVA_RANGE_CACHE_MAX_SIZE - 1) are rounded up to a
 * power of two by alloc_iova_fast(); orders below it are cached. */
#define IOVA_RANGE_CACHE_MAX_SIZE 6
/* pfns per per-CPU magazine. */
#define IOVA_MAG_SIZE 127

/*
 * One allocated or reserved range, [pfn_lo, pfn_hi].
 *
 * Lifetime: the struct returned by alloc_iova() is valid until the range is
 * freed (free_iova(), __free_iova(), free_iova_fast() or
 * put_iova_domain()).  The struct of a reservation is valid until
 * put_iova_domain(); when later reservations merge with it, its pfn_lo and
 * pfn_hi are widened to the merged range.  find_iova() on a range made by
 * alloc_iova_fast() creates its struct on demand, valid until that range is
 * freed.  Callers read pfn_lo and pfn_hi and must not write them.
 */
struct iova {
	unsigned long pfn_hi;	/* highest pfn, inclusive */
	unsigned long pfn_lo;	/* lowest pfn */
};

struct iova_ndomain;		/* the native domain (iova.h) */
struct iova_linux_priv;		/* private per-domain state */

/*
 * A domain, embedded or allocated by the caller and set up with
 * init_iova_domain().  The public fields are the ones kernel callers read;
 * they must not be written.
 */
struct iova_domain {
	unsigned long granule;		/* bytes per pfn, a power of two */
	unsigned long start_pfn;	/* lowest pfn alloc_iova() hands out */
	unsigned long dma_32bit_pfn;	/* 1 << (32 - shift): 4 GiB in pfns */
	unsigned long max32_alloc_size;	/* kept for source compatibility:
					 * always dma_32bit_pfn (libiova
					 * remembers no failure) */
	struct iova_linux_priv *_priv;	/* private; NULL until the native
					 * domain exists (see below) */
	unsigned long _magic;		/* private: initialised, destroyed */
};

/* --- the kernel's API ---------------------------------------------- */

/*
 * Always succeeds, like the kernel's: the library sets the domain up now,
 * and if memory is short it retries on the next call that needs the domain
 * (which then fails with that call's error if memory is still short).
 * A granule that is 0, not a power of two, or above 2^31 makes a domain on
 * which every call fails (the kernel BUG()s).  Pfns below start_pfn can be
 * reserved but are never allocated.  Calling it on a live domain leaks it:
 * put_iova_domain() first.
 */
IOVA_API void init_iova_domain(struct iova_domain *iovad, unsigned long granule,
		      unsigned long start_pfn);

/*
 * Free every range, struct iova and cache of the domain.  The caller makes
 * sure nobody else uses it; afterwards every call on it fails (it may be
 * set up again with init_iova_domain()).  NULL or a destroyed domain: no-op.
 */
IOVA_API void put_iova_domain(struct iova_domain *iovad);

/*
 * Allocate size pfns at the highest place in [start_pfn, limit_pfn] (clamped
 * to the pfn space) that is free, aligned to roundup_pow_of_two(size) when
 * size_aligned.  Returns the new range's struct, or NULL when no such place
 * exists, size is 0 (or above 2^63 when aligned), limit_pfn < start_pfn, or
 * memory is short.  A failure changes nothing and is not remembered.
 */
IOVA_API struct iova *alloc_iova(struct iova_domain *iovad, unsigned long size,
			unsigned long limit_pfn, bool size_aligned);

/*
 * Free the range of iova, a struct returned by alloc_iova() or find_iova()
 * for a live allocation.  NULL, a reservation's struct, or a struct that is
 * not the live one of its range is a bad free (reported, no change).  As in
 * the kernel, passing a pointer that was already freed is a use after free.
 */
IOVA_API void __free_iova(struct iova_domain *iovad, struct iova *iova);

/*
 * Free the live allocation containing pfn (any pfn inside it).  A free pfn,
 * a reserved one, or a double free is a bad free: reported, no change.
 */
IOVA_API void free_iova(struct iova_domain *iovad, unsigned long pfn);

/*
 * The range (allocated or reserved) containing pfn, or NULL.  O(log n).
 * NULL also if the struct of a range made by alloc_iova_fast() must be
 * created and memory is short.
 */
IOVA_API struct iova *find_iova(struct iova_domain *iovad, unsigned long pfn);

/*
 * Reserve [pfn_lo, pfn_hi] so that it is never allocated; pfns below
 * start_pfn are allowed.  Reservations that overlap or touch it merge into
 * one range, whose struct is returned (an existing one when there was one).
 * NULL if pfn_lo > pfn_hi, a pfn is above ULONG_MAX >> shift, part of the
 * range is allocated, or memory is short (in each case nothing changes).
 */
IOVA_API struct iova *reserve_iova(struct iova_domain *iovad, unsigned long pfn_lo,
			  unsigned long pfn_hi);

/*
 * Set up the per-CPU range caches used by alloc_iova_fast() and
 * free_iova_fast() (orders 0..5, IOVA_MAG_SIZE pfns per magazine, one CPU
 * slot per configured CPU).  Returns 0, -ENOMEM (nothing changed; may be
 * retried), -EINVAL (domain not usable) or -EBUSY (a fast call already
 * ran on the domain: call it first).  Calling it again is a no-op.
 * Without it, the fast calls still work, through the index.
 */
IOVA_API int iova_domain_init_rcaches(struct iova_domain *iovad);

/*
 * Allocate a range for size pfns at or below limit_pfn and at or above
 * start_pfn, size-aligned; sizes below 32 are first rounded up to a power
 * of two.  Cached orders come from this CPU's cache when it has one that
 * fits.  When nothing fits and flush_rcache is set, every cache is given
 * back to the index and the index is tried once more.  Returns the first
 * pfn, or 0 on failure (so a domain with start_pfn 0 cannot tell pfn 0 from
 * failure, as in the kernel).
 */
IOVA_API unsigned long alloc_iova_fast(struct iova_domain *iovad, unsigned long size,
			      unsigned long limit_pfn, bool flush_rcache);

/*
 * Free a range from alloc_iova_fast() (size as passed to it: it maps to the
 * same rounded size).  Cached orders go to this CPU's cache.  A pfn that is
 * not the start of a live range of that size is a bad free (reported, no
 * change); on the cached path a misaligned or out-of-domain pfn is always
 * caught, the rest (double free, free or reserved pfn) in debug builds and
 * with IOVA_LINUX_CHECK_FREES (docs/linux-compat.md).
 */
IOVA_API void free_iova_fast(struct iova_domain *iovad, unsigned long pfn,
		    unsigned long size);

/*
 * Process-wide reference count kept for source compatibility (the kernel
 * creates its slab caches here; libiova needs nothing).  get always returns
 * 0; a put without a get is ignored.
 */
IOVA_API int iova_cache_get(void);
IOVA_API void iova_cache_put(void);

/* --- helpers (as in the kernel) ------------------------------------ */

static inline unsigned long iova_size(const struct iova *iova)
{
	return iova->pfn_hi - iova->pfn_lo + 1;
}

static inline unsigned long iova_shift(const struct iova_domain *iovad)
{
	return (unsigned long)__builtin_ctzl(iovad->granule);
}

static inline unsigned long iova_mask(const struct iova_domain *iovad)
{
	return iovad->granule - 1;
}

static inline size_t iova_offset(const struct iova_domain *iovad,
				 dma_addr_t iova)
{
	return (size_t)(iova & iova_mask(iovad));
}

static inline size_t iova_align(const struct iova_domain *iovad, size_t size)
{
	return (size + iova_mask(iovad)) & ~(size_t)iova_mask(iovad);
}

static inline size_t iova_align_down(const struct iova_domain *iovad,
				     size_t size)
{
	return size & ~(size_t)iova_mask(iovad);
}

static inline dma_addr_t iova_dma_addr(const struct iova_domain *iovad,
				       const struct iova *iova)
{
	return (dma_addr_t)iova->pfn_lo << iova_shift(iovad);
}

static inline unsigned long iova_pfn(const struct iova_domain *iovad,
				     dma_addr_t iova)
{
	return (unsigned long)(iova >> iova_shift(iovad));
}

/* The largest mapping size (bytes) the caches serve: 32 CPU pages. */
static inline unsigned long iova_rcache_range(void)
{
	return IOVA_LINUX_PAGE_SIZE << (IOVA_RANGE_CACHE_MAX_SIZE - 1);
}

/* --- libiova extensions -------------------------------------------- */

/*
 * Bad-free reporting.  Every bad free (see free_iova(), __free_iova(),
 * free_iova_fast()) changes nothing and is counted per domain.  Then the
 * hook, if one is installed, is called with the pfn (0 for a NULL struct)
 * and a static description; if none is installed, debug builds of the
 * library (IOVA_DEBUG >= 1) print the report and abort, release builds do
 * nothing more.  The hook is process-wide; NULL uninstalls it.
 */
typedef void (*iova_linux_bad_free_fn)(struct iova_domain *iovad,
				       unsigned long pfn, const char *what);
IOVA_API void iova_linux_set_bad_free_hook(iova_linux_bad_free_fn fn);

/* Bad frees counted on this domain since init_iova_domain(). */
IOVA_API unsigned long iova_linux_bad_frees(const struct iova_domain *iovad);

/*
 * As iova_domain_init_rcaches(), with nr_cpus CPU slots (0 = every
 * configured CPU; 1 = one shared slot, fully deterministic) and flags:
 * IOVA_LINUX_CHECK_FREES checks every free_iova_fast() that goes into a
 * cache against the index and the caches (a lookup under the domain lock),
 * so that a double free or a free of a free pfn is reported in any build;
 * without it only debug builds of the library do so (docs/linux-compat.md).
 */
#define IOVA_LINUX_CHECK_FREES 0x1u
IOVA_API int iova_linux_init_rcaches(struct iova_domain *iovad, unsigned int nr_cpus,
			    unsigned int flags);

/*
 * The native domain behind iovad (NULL if it does not exist yet or the
 * domain is unusable), for iova_domain_validate(), iova_get_stats(),
 * iova_for_each()...  Its pfn space is [start_pfn, ULONG_MAX >> shift]:
 * nothing below start_pfn is ever handed out, and reservations below it
 * are kept only as records (find_iova() returns them).
 */
IOVA_API struct iova_ndomain *iova_linux_native(struct iova_domain *iovad);

#ifdef __cplusplus
}
#endif
#endif /* IOVA_LINUX_H */
