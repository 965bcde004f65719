// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Design "maple": an IOVA domain on the kernel's real lib/maple_tree.c,
 * compiled unmodified in userspace through the harness headers the kernel
 * ships for it (tools/testing/shared, tools/include, tools/testing/radix-
 * tree), as the 2026 review's maple-tree conversion describes the domain:
 *
 *  - one tree, MT_FLAGS_ALLOC_RANGE | MT_FLAGS_LOCK_EXTERN, under one
 *    spinlock of the domain's;
 *  - alloc = mas_empty_area_rev(start_pfn, limit, size + align - 1), then
 *    start = (last - size + 1) & align_mask, and a store of [start, end];
 *    the padded search is what that conversion does, so it reports -ENOMEM
 *    for aligned fits narrower than size + align - 1 that do exist;
 *  - free = erase, find = walk; a 16-byte struct iova {pfn_lo, pfn_hi};
 *  - alloc_iova_fast = mainline's rounding (sizes below 32 pages to a power
 *    of two) then a size-aligned tree allocation; there is no rcache.
 *
 * Layout: the harness never defines CONFIG_64BIT, so out of the box it
 * builds the 32-bit node layout (63 slots, 512-byte nodes on LP64).  This
 * file defines it, unless BENCH_MAPLE_32BIT_LAYOUT is set, to get the
 * kernel's real x86-64 layout (256-byte nodes); maple_layout_bytes() says
 * which one was built.
 *
 * The harness's kmem_cache refuses allocations without __GFP_DIRECT_RECLAIM
 * (to test failure paths), so nodes are stored with GFP_KERNEL here; the
 * cost of the node allocation itself is the harness's (posix_memalign for
 * the node cache, a 10-object free list for the others).
 *
 * The binary this links into contains GPL-2.0-only kernel code: built and
 * run locally, never distributed (bench/README.md).
 */
#if !defined(BENCH_MAPLE_32BIT_LAYOUT) && !defined(CONFIG_64BIT)
#define CONFIG_64BIT 1
#endif
#include "maple-shared.h"
#undef CONFIG_DEBUG_MAPLE_TREE	/* maple-shared.h turns on the debug checks */

#include "../../../lib/maple_tree.c"

#include <errno.h>
#include <pthread.h>

#include "alloc_iface.h"
#include "kernel_designs.h"

int kmalloc_verbose;

/* The 16-byte struct iova of the conversion. */
struct miova {
	unsigned long pfn_lo, pfn_hi;
};

/* Marks reserved ranges in the tree (an xarray value entry, not a pointer). */
#define MIOVA_RESERVED xa_mk_value(1)

struct mdomain {
	pthread_spinlock_t lock;
	struct maple_tree mt;
	unsigned long start_pfn, end_pfn;
	long ranges;		/* entries: live + reserved */
	struct kmem_cache *iova_cache;
};

static struct kmem_cache *miova_cache;
static pthread_once_t miova_once = PTHREAD_ONCE_INIT;

static void miova_init_once(void)
{
	maple_tree_init();
	miova_cache = kmem_cache_create("iova16", sizeof(struct miova), 0, 0, NULL);
}

size_t maple_layout_bytes(void)
{
	return sizeof(struct maple_node);
}

long maple_nodes_live(void)
{
	return (long)kmem_cache_nr_allocated(maple_node_cache);
}

static void *m_create(uint64_t start_pfn, uint64_t end_pfn)
{
	struct mdomain *d;

	pthread_once(&miova_once, miova_init_once);
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	pthread_spin_init(&d->lock, PTHREAD_PROCESS_PRIVATE);
	mt_init_flags(&d->mt, MT_FLAGS_ALLOC_RANGE | MT_FLAGS_LOCK_EXTERN);
	mt_set_external_lock(&d->mt, &d->lock);
	d->start_pfn = start_pfn;
	d->end_pfn = end_pfn;
	d->iova_cache = miova_cache;
	return d;
}

static void m_destroy(void *a)
{
	struct mdomain *d = a;
	MA_STATE(mas, &d->mt, 0, 0);
	void *e;

	pthread_spin_lock(&d->lock);
	mas_for_each(&mas, e, ULONG_MAX)
		if (!xa_is_value(e))
			kmem_cache_free(d->iova_cache, e);
	__mt_destroy(&d->mt);
	pthread_spin_unlock(&d->lock);
	pthread_spin_destroy(&d->lock);
	free(d);
}

/* Under the lock: place [pfn, pfn + size - 1] for an entry. */
static int m_alloc_locked(struct mdomain *d, unsigned long size,
			  unsigned long limit, unsigned long align,
			  struct miova *iova, unsigned long *pfn)
{
	MA_STATE(mas, &d->mt, 0, 0);
	unsigned long lo;

	if (limit > d->end_pfn)
		limit = d->end_pfn;
	if (size == 0 || limit < d->start_pfn || size + align - 1 < size)
		return -ENOMEM;
	if (mas_empty_area_rev(&mas, d->start_pfn, limit, size + align - 1))
		return -ENOMEM;
	lo = (mas.last - size + 1) & ~(align - 1);
	iova->pfn_lo = lo;
	iova->pfn_hi = lo + size - 1;
	mas_set_range(&mas, lo, lo + size - 1);
	if (mas_store_gfp(&mas, iova, GFP_KERNEL))
		return -ENOMEM;
	d->ranges++;
	*pfn = lo;
	return 0;
}

static int m_alloc_align(struct mdomain *d, uint64_t size, uint64_t limit,
			 uint64_t align, uint64_t *pfn)
{
	struct miova *iova = kmem_cache_alloc(d->iova_cache, GFP_KERNEL);
	unsigned long lo = 0;
	int r;

	if (!iova)
		return -ENOMEM;
	pthread_spin_lock(&d->lock);
	r = m_alloc_locked(d, size, limit, align, iova, &lo);
	pthread_spin_unlock(&d->lock);
	if (r) {
		kmem_cache_free(d->iova_cache, iova);
		return r;
	}
	*pfn = lo;
	return 0;
}

static int m_alloc(void *a, uint64_t size, uint64_t limit_pfn,
		   bool size_aligned, uint64_t *pfn)
{
	uint64_t align = 1;

	if (size_aligned && size > 1)
		align = (uint64_t)1 << (64 - __builtin_clzll(size - 1));
	return m_alloc_align(a, size, limit_pfn, align, pfn);
}

static int m_free(void *a, uint64_t pfn)
{
	struct mdomain *d = a;
	MA_STATE(mas, &d->mt, pfn, pfn);
	void *e;

	pthread_spin_lock(&d->lock);
	e = mas_walk(&mas);
	if (!e || xa_is_value(e) || ((struct miova *)e)->pfn_lo != pfn) {
		pthread_spin_unlock(&d->lock);
		return -ENOENT;
	}
	mas_erase(&mas);
	d->ranges--;
	pthread_spin_unlock(&d->lock);
	kmem_cache_free(d->iova_cache, e);
	return 0;
}

/*
 * reserve_iova's contract: [lo, hi] is never handed out afterwards; live
 * ranges inside it stay.  Each free stretch of [lo, hi] gets a reserved
 * entry of its own.
 */
static int m_reserve(void *a, uint64_t lo, uint64_t hi)
{
	struct mdomain *d = a;
	uint64_t at = lo;
	int r = 0;

	if (lo > hi)
		return -EINVAL;
	pthread_spin_lock(&d->lock);
	while (at <= hi) {
		MA_STATE(mas, &d->mt, at, at);
		void *e = mas_walk(&mas);

		if (e) {	/* occupied: skip past this entry */
			if (mas.last >= hi)
				break;
			at = mas.last + 1;
			continue;
		}
		/* mas.index..mas.last is the empty range around at */
		{
			uint64_t end = mas.last < hi ? mas.last : hi;

			mas_set_range(&mas, at, end);
			if (mas_store_gfp(&mas, MIOVA_RESERVED, GFP_KERNEL)) {
				r = -ENOMEM;
				break;
			}
			d->ranges++;
			if (end >= hi)
				break;
			at = end + 1;
		}
	}
	pthread_spin_unlock(&d->lock);
	return r;
}

static uint64_t m_count(void *a)
{
	return (uint64_t)((struct mdomain *)a)->ranges;
}

/* Kernel-equivalent: maple nodes (one domain at a time) and 16-byte iovas. */
static uint64_t m_bytes(void *a)
{
	struct mdomain *d = a;

	return (uint64_t)maple_nodes_live() * sizeof(struct maple_node) +
	       (uint64_t)kmem_cache_nr_allocated(d->iova_cache) * 16u;
}

/* mainline's alloc_iova_fast rounding, straight to the tree */
static int m_alloc_fast(void *a, uint64_t size, uint64_t limit_pfn, uint64_t *pfn)
{
	if (size < 32)
		size = size > 1 ? (uint64_t)1 << (64 - __builtin_clzll(size - 1)) : 1;
	return m_alloc(a, size, limit_pfn, true, pfn);
}

static void m_free_fast(void *a, uint64_t pfn, uint64_t size)
{
	(void)size;
	m_free(a, pfn);
}

int maple_alloc_raw(void *a, uint64_t size, uint64_t align, uint64_t limit,
		    uint64_t *pfn)
{
	return m_alloc_align(a, size, limit, align, pfn);
}

const struct bench_alloc_ops bench_maple_ops = {
	.name = "maple",
	.create = m_create,
	.destroy = m_destroy,
	.alloc = m_alloc,
	.free = m_free,
	.reserve = m_reserve,
	.bytes = m_bytes,
	.count = m_count,
	.alloc_fast = m_alloc_fast,
	.free_fast = m_free_fast,
};
