/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * "classic": a model of the mainline Linux IOVA allocator (drivers/iommu/
 * iova.c, v6.16-era) written from the behavioural description in
 * ../shared/brief/linux-iova-semantics.md section 2: an rbtree of allocated
 * ranges keyed on pfn_lo, an anchor node at ~0, cached_node/cached32_node,
 * the top-down walk from the cached node with one retry pass, and the
 * max32_alloc_size fast-fail.  Plus a single-CPU model of the rcache
 * (section 3) for the alloc_iova_fast()/free_iova_fast() entry points.
 *
 * No locking: callers serialise (the bench wraps it in a mutex).
 */
#ifndef IOVA_BENCH_CLASSIC_H
#define IOVA_BENCH_CLASSIC_H

#include <stdbool.h>
#include <stdint.h>

#include "rbtree.h"

/* The kernel's struct iova: 40 bytes, a 64-byte slab object. */
struct classic_iova {
	struct brb_node node;
	uint64_t pfn_hi;	/* inclusive */
	uint64_t pfn_lo;
};

#define CLASSIC_IOVA_OBJ_BYTES 64u	/* SLAB_HWCACHE_ALIGN object size */
#define CLASSIC_ANCHOR UINT64_MAX
#define CLASSIC_RCACHE_ORDERS 6
#define CLASSIC_MAG_SIZE 127

struct classic_mag {
	struct classic_mag *next;	/* depot link */
	unsigned long size;
	uint64_t pfns[CLASSIC_MAG_SIZE];
};

struct classic_rcache {
	struct classic_mag *loaded, *prev;	/* the one CPU's pair */
	struct classic_mag *depot;
	unsigned long depot_size;
	bool work_pending;	/* the 100 ms depot worker is armed */
};

struct classic_domain {
	struct brb_root rbroot;
	struct brb_node *cached_node;	/* walks with limit > 4 GiB start here */
	struct brb_node *cached32_node;	/* walks with limit <= 4 GiB */
	uint64_t granule;
	uint64_t start_pfn;
	uint64_t dma_32bit_pfn;
	uint64_t max32_alloc_size;
	struct classic_iova anchor;
	struct classic_rcache *rcaches;	/* NULL until init_rcaches */
	uint64_t nodes;			/* allocated nodes, anchor excluded */
	uint64_t walk_steps;		/* predecessor steps, for statistics */
};

void classic_init_iova_domain(struct classic_domain *d, uint64_t granule,
			      uint64_t start_pfn);
void classic_put_iova_domain(struct classic_domain *d);

/* alloc_iova(): limit_pfn inclusive; NULL on failure. */
struct classic_iova *classic_alloc_iova(struct classic_domain *d,
					uint64_t size, uint64_t limit_pfn,
					bool size_aligned);
struct classic_iova *classic_find_iova(struct classic_domain *d, uint64_t pfn);
void classic___free_iova(struct classic_domain *d, struct classic_iova *iova);
/* free_iova(): any pfn inside a range frees it; unknown pfns are ignored. */
void classic_free_iova(struct classic_domain *d, uint64_t pfn);
struct classic_iova *classic_reserve_iova(struct classic_domain *d,
					  uint64_t pfn_lo, uint64_t pfn_hi);

/* The rcache model (one CPU).  0 on success, -ENOMEM. */
int classic_init_rcaches(struct classic_domain *d);
uint64_t classic_alloc_iova_fast(struct classic_domain *d, uint64_t size,
				 uint64_t limit_pfn, bool flush_rcache);
void classic_free_iova_fast(struct classic_domain *d, uint64_t pfn,
			    uint64_t size);
/*
 * One run of the depot worker of every order (what happens every 100 ms
 * while it is armed).  Returns the number of ranges given back to the tree.
 */
unsigned long classic_depot_work(struct classic_domain *d);
/* Count of pfns sitting in the magazines and depot of one order. */
unsigned long classic_rcache_count(const struct classic_domain *d,
				   unsigned int order, unsigned long *depot);

/* Structure checks: 0, or -1 and a reason. */
int classic_validate(struct classic_domain *d, const char **why);

#endif
