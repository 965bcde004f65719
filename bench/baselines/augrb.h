/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * "augrb": an rbtree of ranges augmented with the largest free gap in each
 * subtree (each gap is owned by the range just above it; an anchor range at
 * end_pfn + 1 owns the top gap), searched with the general limit-aware
 * top-down walk sketched in the 2026 review: descend toward the highest free
 * space under the limit for any limit, pruning subtrees by address (their
 * gaps all start above the limit) and by gap size (max gap < size).
 * Placement is the exact highest fit (size-aligned when asked).
 *
 * Alignment is checked exactly per gap but cannot be summarised by a max,
 * so a subtree whose max gap is >= size but holds no aligned fit is entered
 * and fails: aligned requests can visit more than O(log n) nodes.
 */
#ifndef IOVA_BENCH_AUGRB_H
#define IOVA_BENCH_AUGRB_H

#include <stdbool.h>
#include <stdint.h>

#include "rbtree.h"

struct augrb_node {
	struct brb_node node;
	uint64_t lo, hi;	/* inclusive */
	uint64_t gap;		/* free pfns just below lo (down to the pred) */
	uint64_t max_gap;	/* max gap in this subtree */
	uint64_t reserved;	/* nonzero for a reservation */
#ifdef AUGRB_CLAMPED32
	/* augrb32 (baselines/augrb32.c): max over the subtree of the part of
	 * each gap below AUGRB_DMA32_PFN (clamped_gap32) */
	uint64_t max_gap32;
#endif
};

struct augrb_domain {
	struct brb_root root;
	uint64_t start_pfn, end_pfn;
	struct augrb_node anchor;	/* [end_pfn + 1, end_pfn + 1] */
	uint64_t nodes;			/* live + reserved, anchor excluded */
	uint64_t visits;		/* nodes visited by searches */
};

/* end_pfn must be < UINT64_MAX; returns 0 or -EINVAL. */
int augrb_init(struct augrb_domain *d, uint64_t start_pfn, uint64_t end_pfn);
void augrb_destroy(struct augrb_domain *d);
/*
 * Highest start s with [s, s+size-1] free inside [start_pfn, min(limit,
 * end_pfn)] and s % align == 0 (align a power of two).  0 or -ENOMEM/-EINVAL.
 */
int augrb_alloc(struct augrb_domain *d, uint64_t size, uint64_t align,
		uint64_t limit_pfn, uint64_t *pfn);
/* Free the live range starting at pfn: 0 or -ENOENT. */
int augrb_free(struct augrb_domain *d, uint64_t pfn);
/*
 * Reserve [lo, hi] (clipped to the domain); merges with overlapping or
 * adjacent reservations.  -EBUSY if it overlaps a live range, -EINVAL if
 * lo > hi, -ENOMEM.
 */
int augrb_reserve(struct augrb_domain *d, uint64_t lo, uint64_t hi);
/* Find the range containing pfn, or NULL. */
struct augrb_node *augrb_find(struct augrb_domain *d, uint64_t pfn);
struct augrb_node *augrb_first(struct augrb_domain *d);
struct augrb_node *augrb_next(struct augrb_node *n);
int augrb_validate(struct augrb_domain *d, const char **why);

#endif
