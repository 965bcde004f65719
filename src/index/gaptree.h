/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * gaptree: a B+tree of disjoint pfn ranges with per-child gap summaries.
 * The invariants are listed and numbered at the top of gaptree.c.
 *
 * The tree never allocates.  Nodes come from a pool (struct gt_pool) that
 * the caller fills beforehand (gt_insert_need() says how many); nodes that
 * an erase releases go back to the pool.  So an erase cannot fail, and an
 * insert cannot fail once the pool holds what gt_insert_need() asked for.
 *
 * Not thread-safe: the caller holds the domain lock.
 */
#ifndef IOVA_INDEX_GAPTREE_H
#define IOVA_INDEX_GAPTREE_H

#include "../env.h"

/*
 * Tunables: node capacities.  A leaf is 1 KiB, an inner node ~1 KiB.  Test
 * builds with IOVA_TEST_SMALL_NODES use tiny nodes so that a few hundred
 * ranges exercise every split, merge and root change.
 */
#ifdef IOVA_TEST_SMALL_NODES
enum { GT_LEAF_CAP = 4, GT_INNER_CAP = 4, GT_MAX_HEIGHT = 48 };
#else
enum {
	GT_LEAF_CAP = 62,	/* ranges per leaf: 24 + 62 * 16 = 1016 bytes */
	GT_INNER_CAP = 25,	/* children per inner node: 8 + 25 * 40 bytes */
	GT_MAX_HEIGHT = 16,	/* 62 * 25^15 ranges: more than 2^64 */
};
#endif

struct gt_leaf {
	uint32_t n;		/* ranges in use, [0, GT_LEAF_CAP] */
	uint32_t _pad;
	uint64_t rsv;		/* bit j: range j is a reservation */
	uint64_t gmask;		/* bit j: the gap below range j is not empty */
	uint64_t lo[GT_LEAF_CAP];
	uint64_t hi[GT_LEAF_CAP];
	void *udata[];		/* GT_LEAF_CAP pointers if the tree has udata */
};

struct gt_inner {
	uint32_t n;		/* children in use, [1, GT_INNER_CAP] */
	uint32_t _pad;
	uint64_t key[GT_INNER_CAP];	/* hi of the last range of child i */
	uint64_t gap[GT_INNER_CAP];	/* largest gap owned by child i */
	uint64_t akey[GT_INNER_CAP];	/* largest aligned-run key in child i */
	uint64_t tkey[GT_INNER_CAP];	/* largest aligned-point key in child i */
	void *child[GT_INNER_CAP];
};

/* The summaries of a set of free runs (the maxima over the runs). */
struct gt_sum {
	uint64_t gap;	/* the longest run */
	uint64_t akey;	/* aligned-run key (policy.h) */
	uint64_t tkey;	/* aligned-point key (policy.h) */
};

/* Spare nodes, each linked through its first word. */
struct gt_pool {
	void *leaves, *inners;
	uint32_t nr_leaves, nr_inners;
};

struct gt_tree {
	void *root;		/* a gt_leaf when height == 1 */
	uint32_t height;	/* levels, >= 1 */
	bool has_udata;
	uint64_t start, end;	/* the domain: every range lies inside */
	uint64_t count;		/* ranges */
	uint64_t free_gaps;	/* non-empty gaps, the tail gap included */
	uint64_t nr_leaves, nr_inners;	/* nodes in the tree (not the pool) */
	size_t leaf_size;
	struct gt_pool pool;
	uint64_t search_nodes;	/* statistics: nodes visited by searches */
	uint64_t search_backtracks;	/* descents that found nothing */
};

/* One range as the tree reports it. */
struct gt_range {
	uint64_t lo, hi;
	bool rsv;
	void *udata;
};

/*
 * A root-to-leaf path, recorded by gt_search() so that gt_insert_at() can
 * place the range without a second descent.  Valid until the tree changes.
 */
struct gt_cursor {
	void *node[GT_MAX_HEIGHT];
	uint32_t idx[GT_MAX_HEIGHT];	/* child index per depth */
	uint64_t pred[GT_MAX_HEIGHT];	/* pred_end of node[d] */
	uint32_t pos;		/* leaf position of the new range */
	uint32_t height;
	bool valid;		/* false: the fit was the tail gap */
};

/* A placement request, prepared by iova_req_init() (policy.h). */
struct iova_req;

size_t gt_leaf_size(bool has_udata);

/* Set up an empty tree; root must be a zeroed node of gt_leaf_size(). */
void gt_init(struct gt_tree *t, uint64_t start, uint64_t end, bool has_udata,
	     void *root);

/* Release every node (tree and pool) through free_node. */
void gt_destroy(struct gt_tree *t,
		void (*free_node)(void *node, size_t size, void *ctx),
		void *ctx);

/* Nodes an insert may need: a leaf and one inner node per level. */
static inline void gt_insert_need(const struct gt_tree *t, uint32_t *leaves,
				  uint32_t *inners)
{
	*leaves = 1;
	*inners = t->height;
}

static inline bool gt_pool_ready(const struct gt_tree *t)
{
	return t->pool.nr_leaves >= 1 && t->pool.nr_inners >= t->height;
}

void gt_pool_put(struct gt_tree *t, void *node, bool is_leaf);
void *gt_pool_get(struct gt_tree *t, bool is_leaf);

static inline size_t gt_inner_size(void)
{
	return sizeof(struct gt_inner);
}

/*
 * Insert [lo, hi], which must lie in free space inside [start, end].  The
 * pool must be ready (gt_pool_ready()).  Cannot fail.
 */
void gt_insert(struct gt_tree *t, uint64_t lo, uint64_t hi, bool rsv,
	       void *udata);

/*
 * Erase the range containing pfn.  Returns false (nothing changed) if pfn is
 * free, or if must_start is set and pfn is not the range's lo, or if the
 * range's reservation flag differs from rsv.  Fills *out when not NULL.
 * Never allocates.
 */
bool gt_erase(struct gt_tree *t, uint64_t pfn, bool must_start, bool rsv,
	      struct gt_range *out);

/* The range containing pfn (false if pfn is free). */
bool gt_find(const struct gt_tree *t, uint64_t pfn, struct gt_range *out);

/* The lowest range with hi >= pfn (false if none). */
bool gt_find_next(const struct gt_tree *t, uint64_t pfn, struct gt_range *out);

/* Set the user pointer of the range containing pfn. */
bool gt_set_udata(struct gt_tree *t, uint64_t pfn, void *udata);

/*
 * The highest (top_down) or lowest placement of req; false if none.  Visits
 * O(height) nodes for unaligned and size-aligned requests.  If c is not
 * NULL it records where the placement goes, for gt_insert_at().
 */
bool gt_search(struct gt_tree *t, const struct iova_req *req, bool top_down,
	       uint64_t *pfn, struct gt_cursor *c);

/* gt_insert() of the range gt_search() just placed through cursor c. */
void gt_insert_at(struct gt_tree *t, struct gt_cursor *c, uint64_t lo,
		  uint64_t hi, bool rsv, void *udata);

/* True if [lo, hi] (inside the domain) is entirely free. */
bool gt_range_free(const struct gt_tree *t, uint64_t lo, uint64_t hi);

/* The largest free run inside [min, max] (saturating at UINT64_MAX). */
uint64_t gt_largest_gap(struct gt_tree *t, uint64_t min, uint64_t max);

/* Visit ranges in order; a non-zero return from fn stops and is returned. */
int gt_walk(const struct gt_tree *t,
	    int (*fn)(const struct gt_range *r, void *arg), void *arg);

/* Node bytes held by the tree and its pool. */
uint64_t gt_bytes(const struct gt_tree *t);

/*
 * Recompute every invariant; NULL if all hold, else a static string naming
 * the first broken one.  *pages_rsv and *pages_live receive the page counts.
 */
const char *gt_validate(const struct gt_tree *t, uint64_t *pages_live,
			uint64_t *pages_rsv, uint64_t *ranges_rsv);

#endif /* IOVA_INDEX_GAPTREE_H */
