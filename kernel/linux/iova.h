/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * IOVA allocator API, implemented by libiova (drivers/iommu/iova.c on top of the
 * gap-augmented B+tree in drivers/iommu/libiova/).
 *
 * The calls, argument conventions and the struct iova fields are the ones the kernel's
 * IOMMU code already uses (inclusive limit_pfn, size-aligned = aligned to the next power
 * of two, fast-path rounding of small sizes).  Placement is the exact highest fit below
 * the limit, found in O(log n); see docs/kernel.md of libiova for every difference.
 */
#ifndef _IOVA_H_
#define _IOVA_H_

#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/spinlock.h>
#include <linux/dma-mapping.h>
#include <linux/workqueue.h>

/* A range handed out by alloc_iova() or described by reserve_iova()/find_iova(). */
struct iova {
	unsigned long	pfn_hi;		/* last pfn, inclusive */
	unsigned long	pfn_lo;		/* first pfn */
};

struct iova_linux_priv;

/* Sizes up to 2^(IOVA_RANGE_CACHE_MAX_SIZE - 1) pfns are cached per CPU. */
#define IOVA_RANGE_CACHE_MAX_SIZE	6
#define IOVA_MAG_SIZE			127	/* a magazine is 1 KiB */

/*
 * The fields dma-iommu reads; the rest is libiova's (drivers/iommu/libiova/src/linux/
 * linux.c), which sets the domain up on first use so that init_iova_domain() cannot fail.
 */
struct iova_domain {
	unsigned long	granule;	/* bytes per pfn, a power of two */
	unsigned long	start_pfn;	/* lowest pfn ever handed out */
	unsigned long	dma_32bit_pfn;	/* first pfn above 4 GiB */
	unsigned long	max32_alloc_size;	/* always dma_32bit_pfn: no failure is remembered */
	struct iova_linux_priv *_priv;	/* private: the native domain and its state */
	unsigned long	_magic;		/* private: initialised, destroyed */
	struct hlist_node cpuhp_dead;	/* on the CPU-hotplug list while it has caches */
	struct delayed_work trim_work;	/* gives idle cached memory back, while it has caches */
};

static inline unsigned long iova_size(struct iova *iova)
{
	return iova->pfn_hi - iova->pfn_lo + 1;
}

static inline unsigned long iova_shift(struct iova_domain *iovad)
{
	return __ffs(iovad->granule);
}

static inline unsigned long iova_mask(struct iova_domain *iovad)
{
	return iovad->granule - 1;
}

static inline size_t iova_offset(struct iova_domain *iovad, dma_addr_t iova)
{
	return iova & iova_mask(iovad);
}

static inline size_t iova_align(struct iova_domain *iovad, size_t size)
{
	return ALIGN(size, iovad->granule);
}

static inline size_t iova_align_down(struct iova_domain *iovad, size_t size)
{
	return ALIGN_DOWN(size, iovad->granule);
}

static inline dma_addr_t iova_dma_addr(struct iova_domain *iovad, struct iova *iova)
{
	return (dma_addr_t)iova->pfn_lo << iova_shift(iovad);
}

static inline unsigned long iova_pfn(struct iova_domain *iovad, dma_addr_t iova)
{
	return iova >> iova_shift(iovad);
}

#if IS_REACHABLE(CONFIG_IOMMU_IOVA)
int iova_cache_get(void);
void iova_cache_put(void);

unsigned long iova_rcache_range(void);

void free_iova(struct iova_domain *iovad, unsigned long pfn);
void __free_iova(struct iova_domain *iovad, struct iova *iova);
struct iova *alloc_iova(struct iova_domain *iovad, unsigned long size,
			unsigned long limit_pfn, bool size_aligned);
void free_iova_fast(struct iova_domain *iovad, unsigned long pfn,
		    unsigned long size);
unsigned long alloc_iova_fast(struct iova_domain *iovad, unsigned long size,
			      unsigned long limit_pfn, bool flush_rcache);
struct iova *reserve_iova(struct iova_domain *iovad, unsigned long pfn_lo,
			  unsigned long pfn_hi);
void init_iova_domain(struct iova_domain *iovad, unsigned long granule,
		      unsigned long start_pfn);
int iova_domain_init_rcaches(struct iova_domain *iovad);
struct iova *find_iova(struct iova_domain *iovad, unsigned long pfn);
void put_iova_domain(struct iova_domain *iovad);

/* libiova extensions (docs/linux-compat.md of libiova). */
typedef void (*iova_linux_bad_free_fn)(struct iova_domain *iovad, unsigned long pfn,
				       const char *what);
void iova_linux_set_bad_free_hook(iova_linux_bad_free_fn fn);
unsigned long iova_linux_bad_frees(const struct iova_domain *iovad);
#define IOVA_LINUX_CHECK_FREES 0x1u
int iova_linux_init_rcaches(struct iova_domain *iovad, unsigned int nr_cpus,
			    unsigned int flags);
struct iova_ndomain *iova_linux_native(struct iova_domain *iovad);
#else
static inline int iova_cache_get(void)
{
	return -ENOTSUPP;
}

static inline void iova_cache_put(void)
{
}

static inline unsigned long iova_rcache_range(void)
{
	return 0;
}

static inline void free_iova(struct iova_domain *iovad, unsigned long pfn)
{
}

static inline void __free_iova(struct iova_domain *iovad, struct iova *iova)
{
}

static inline struct iova *alloc_iova(struct iova_domain *iovad, unsigned long size,
				      unsigned long limit_pfn, bool size_aligned)
{
	return NULL;
}

static inline void free_iova_fast(struct iova_domain *iovad, unsigned long pfn,
				  unsigned long size)
{
}

static inline unsigned long alloc_iova_fast(struct iova_domain *iovad, unsigned long size,
					    unsigned long limit_pfn, bool flush_rcache)
{
	return 0;
}

static inline struct iova *reserve_iova(struct iova_domain *iovad, unsigned long pfn_lo,
					unsigned long pfn_hi)
{
	return NULL;
}

static inline void init_iova_domain(struct iova_domain *iovad, unsigned long granule,
				    unsigned long start_pfn)
{
}

static inline int iova_domain_init_rcaches(struct iova_domain *iovad)
{
	return -EOPNOTSUPP;
}

static inline struct iova *find_iova(struct iova_domain *iovad, unsigned long pfn)
{
	return NULL;
}

static inline void put_iova_domain(struct iova_domain *iovad)
{
}
#endif

#endif /* _IOVA_H_ */
