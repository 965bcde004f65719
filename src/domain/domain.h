/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * The domain: one index of ranges under one lock, its node memory, its
 * reservations and counters.  This is the interface the layers above it
 * (src/cache, src/linux) use; the native public API (include/iova/iova.h)
 * is a thin checked wrapper of the same functions, in domain.c.
 *
 * Layers (docs/design.md, "Map"): linux -> cache -> domain -> index; each
 * file includes and calls only the layers below it.  The caches attach to a
 * domain through struct iova__domain_ext, so the domain never names them.
 *
 * Invariants (checked by iova__validate_locked(), cited as "D1)" etc.):
 *  D1) tree.count == live_ranges + reserved_ranges, and live_pages and
 *      reserved_pages are the sums of the sizes of those ranges.
 *  D2) No two reservations overlap or touch (they were merged).
 *  D3) Every range lies inside [tree.start, tree.end].
 *  D4) The index invariants (src/index/gaptree.c, "I1)".."I9)").
 *
 * Locking: d->lock protects everything below it; lookups (iova__find())
 * read the index without it, so a node leaves for the memory hooks only
 * after an RCU grace period (free_list() in domain.c).  The memory hooks are
 * called without it, except free, which an erase may call with it held (a
 * node released by a merge).  Upper layers take their own locks before
 * d->lock, never after.
 */
#ifndef IOVA_DOMAIN_H
#define IOVA_DOMAIN_H

#include "../env.h"
#include "../index/gaptree.h"
#include "../index/fit.h"

struct iova_rcache;

/* An upper layer attached to a domain (the per-CPU caches). */
struct iova__domain_ext {
	/*
	 * Give every range the layer holds back to the index (the domain
	 * calls it without d->lock when a request found no room).
	 */
	void (*flush)(struct iova_ndomain *d);
	/* Check the layer's invariants; called without d->lock. */
	int (*validate)(struct iova_ndomain *d, const char **why);
	/* Free the layer's memory; its ranges go with the tree. */
	void (*destroy)(struct iova_ndomain *d);
};

struct iova_ndomain {
	iova_lock_t lock;	/* protects everything below */
	struct iova_index tree;
	struct iova_mem_hooks mem;
	uint64_t granule;
	unsigned int shift;
	unsigned int flags;	/* IOVA_DOMAIN_* */
	bool fast_used;		/* a fast call ran: no caches may be added */
	uint64_t live_ranges, live_pages;
	uint64_t reserved_ranges, reserved_pages;
	struct iova_stats st;	/* event counters (allocs, frees, ...) */
	/* The caches (src/cache/): set once under the lock, read without it. */
	struct iova_rcache *rcache;
	const struct iova__domain_ext *ext;
	/*
	 * Called (under d->lock) for the user pointer of a range that an
	 * upper layer gives back to the index (iova__release_locked()).
	 */
	void (*udata_release)(struct iova_ndomain *d, void *udata);
	void *udata_release_ctx;	/* for udata_release */
	/*
	 * Bytes of nodes handed to iova_call_rcu() whose free has not run
	 * yet (counted in the index's bytes).
	 */
	iova_atomic_t rcu_pending;
};

/* Spare leaves kept in the node pool after an erase released nodes. */
#define IOVA_POOL_SPARE_LEAVES 2u

/* One index node (or any other object of the domain) through the hooks. */
void *iova__mem_alloc(struct iova_ndomain *d, size_t size);
void iova__mem_free(struct iova_ndomain *d, void *p, size_t size);

/*
 * Create a domain; cfg has been checked (iova_domain_create() does that),
 * mem is never NULL.  0 or -ENOMEM.
 */
int iova__domain_create(const struct iova_domain_config *cfg,
			struct iova_ndomain **out);

/*
 * Attach the caches: ext and rc are published together under d->lock.
 * -EEXIST if caches are attached already, -EBUSY if a fast call ran before
 * (its ranges were sized without the caches' rounding).
 */
int iova__attach_ext(struct iova_ndomain *d, const struct iova__domain_ext *ext,
		     struct iova_rcache *rc);

/* --- with d->lock held ------------------------------------------------ */

/*
 * Place size pfns aligned to align inside [min_pfn, max_pfn] (clamped to
 * the domain).  May drop and retake d->lock to fill the node pool, so the
 * caller may assume nothing about the tree from before the call.  Returns
 * 0 (*pfn_out), -ENOSPC (no fit; nothing changed) or -ENOMEM (memory
 * hooks failed; nothing changed).  Counts the outcome.
 */
int iova__alloc_locked(struct iova_ndomain *d, uint64_t size, uint64_t align,
		       uint64_t min_pfn, uint64_t max_pfn,
		       enum iova_policy policy, void *udata, uint64_t *pfn_out);

/*
 * iova__alloc_locked(), and when it finds no room while an upper layer
 * holds ranges (the caches), have the layer give them back and try once
 * more: cached ranges are free space to the user, so a request never fails
 * for lack of room that a flush would make.  Same returns.
 */
int iova__alloc_flush_locked(struct iova_ndomain *d, uint64_t size,
			     uint64_t align, uint64_t min_pfn, uint64_t max_pfn,
			     enum iova_policy policy, void *udata,
			     uint64_t *pfn_out);

/*
 * Free the live (not reserved) range that contains pfn.  size != 0: the
 * range must start at pfn and hold exactly size pfns.  udata != NULL: its
 * user pointer must be udata.  Returns 0 (*out, if not NULL, describes the
 * range) or -ENOENT (no such range: nothing changed; a bad free counted).
 * Never allocates.
 */
int iova__free_locked(struct iova_ndomain *d, uint64_t pfn, uint64_t size,
		      const void *udata, struct iova_range *out);

/*
 * A check-then-free in one descent, for an upper layer that checks more than
 * iova__free_locked() does: iova__find_at_locked() is iova__find_locked(d,
 * pfn, false, out) that also records in c where the range is, and
 * iova__free_at_locked() frees exactly that range (any range, reservations
 * included: the caller checked), under the same lock hold.
 */
int iova__find_at_locked(struct iova_ndomain *d, uint64_t pfn,
			 struct iova_range *out, struct iova_index_cursor *c);
void iova__free_at_locked(struct iova_ndomain *d, struct iova_index_cursor *c,
			  struct iova_range *out);

/* Free the live range that starts at pfn (one descent).  0 or -ENOENT. */
int iova__free_start_locked(struct iova_ndomain *d, uint64_t pfn,
			    struct iova_range *out);

/*
 * A free by an upper layer that does not know the range's user pointer:
 * iova__free_locked(d, pfn, size, NULL, NULL), then a user pointer still
 * attached (a find_iova() raced the free) goes to d->udata_release.
 */
int iova__free_release_locked(struct iova_ndomain *d, uint64_t pfn,
			      uint64_t size);

/*
 * iova__free_release_locked() of n ranges of 2^order pfns held by an upper layer;
 * a user pointer still attached to one goes to d->udata_release.  Returns
 * how many were not such ranges (skipped).
 */
size_t iova__release_locked(struct iova_ndomain *d, const uint64_t *pfn,
			    size_t n, unsigned int order);

/*
 * Without d->lock: the range containing pfn (0) or the first with
 * hi >= pfn (next), as the index held it at one instant during the call
 * (a lockless read under RCU where the environment has it, else under the
 * lock).  -ENOENT if none.
 */
int iova__find(struct iova_ndomain *d, uint64_t pfn, bool next,
	       struct iova_range *out);

/* The range containing pfn (0) or the first with hi >= pfn (next). */
int iova__find_locked(struct iova_ndomain *d, uint64_t pfn, bool next,
		      struct iova_range *out);

/* Set the user pointer of the range containing pfn: 0 or -ENOENT. */
int iova__set_udata_locked(struct iova_ndomain *d, uint64_t pfn, void *udata);

/*
 * Reserve [lo, hi] clamped to the domain, merging reservations that
 * overlap or touch it.  May drop and retake d->lock.  0, -EBUSY (overlaps
 * a live range), -ENOMEM; on error nothing changed.
 */
int iova__reserve_locked(struct iova_ndomain *d, uint64_t lo, uint64_t hi);

/* Drop d->lock, then free the pool nodes beyond what an insert needs. */
void iova__unlock_trim(struct iova_ndomain *d);

/* iova_domain_validate() of the domain alone. */
int iova__validate_locked(struct iova_ndomain *d, const char **why);

#endif /* IOVA_DOMAIN_H */
