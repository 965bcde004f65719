/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Internal declarations shared by the userspace library's files (prefix
 * _iova_).  Tests may include this header to inspect or corrupt a domain.
 */
#ifndef IOVA_INTERNAL_H
#define IOVA_INTERNAL_H

#include <errno.h>

#include "iova/iova.h"
#include "env.h"
#include "index/gaptree.h"
#include "index/fit.h"
#include "sync/lock.h"

/*
 * The domain.  Counting identities (checked by iova_domain_validate):
 *   tree.count  == live_ranges + reserved_ranges
 *   live_pages  == sum of sizes of live ranges
 *   reserved_pages == sum of sizes of reserved ranges
 */
struct iova_rcache;

struct iova_ndomain {
	iova_lock_t lock;	/* protects everything below */
	struct iova_index tree;
	struct iova_mem_hooks mem;
	uint64_t granule;
	unsigned int shift;
	unsigned int flags;	/* IOVA_DOMAIN_* */
	uint64_t live_ranges, live_pages;
	uint64_t reserved_ranges, reserved_pages;
	struct iova_stats st;	/* event counters (allocs, frees, ...) */
	struct iova_rcache *rcache;	/* per-CPU caches (src/cache/), or NULL */
};

/* src/cache/: release the caches' ranges and memory (destroy path). */
void iova__cache_destroy(struct iova_ndomain *d);

/*
 * src/cache/: check the caches' invariants (0 without caches, -EIO and a
 * reason, or -ENOMEM).  Takes the cache locks, then the domain lock: call
 * it without d->lock held.
 */
int iova__cache_validate(struct iova_ndomain *d, const char **why);

/* Drop d->lock, then free the pool nodes beyond what an insert needs. */
void iova__unlock_trim(struct iova_ndomain *d);

/* Spare-node cap kept in the pool after an erase released nodes. */
#define IOVA_POOL_SPARE_LEAVES 2u

/* Fault injection (IOVA_FAULT_INJECT builds): the k-th node allocation
 * from now fails (k = 1: the next one); 0 disables.  Returns the number of
 * node allocations made since the last call (to count reachable sites). */
unsigned long iova__fault_inject(unsigned long k);

/* Allocate/free one index node through the domain's hooks. */
void *iova__node_alloc(struct iova_ndomain *d, size_t size);
void iova__node_free(struct iova_ndomain *d, void *node, size_t size);

/*
 * With d->lock held: make sure an insert cannot run out of nodes.  May drop
 * and retake the lock (so the caller must look at the tree only after it).
 * Returns 0 or -ENOMEM (nothing changed).
 */
int iova__pool_fill(struct iova_ndomain *d);

/*
 * With d->lock held: the core of iova_alloc/iova_free without argument
 * checks or locking, for the caches and the compat layer.
 */
int iova__alloc_locked(struct iova_ndomain *d, uint64_t size, uint64_t align,
		       uint64_t min_pfn, uint64_t max_pfn,
		       enum iova_policy policy, void *udata, uint64_t *pfn_out);
int iova__free_locked(struct iova_ndomain *d, uint64_t pfn, bool must_start,
		      struct iova_range *out);

/* iova_domain_validate() with d->lock held. */
int iova__validate_locked(struct iova_ndomain *d, const char **why);

/* Debug level 3: validate after a mutation, abort with the reason. */
void iova__check_domain(struct iova_ndomain *d);

#endif
