/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * gaptree: a B+tree of disjoint pfn ranges with per-child gap summaries.
 * The invariants are listed and numbered at the top of gaptree.c.
 *
 * The tree never allocates.  Nodes come from a pool (struct iova_index_pool) that
 * the caller fills beforehand (iova_index_insert_need() says how many); nodes that
 * an erase releases go back to the pool.  So an erase cannot fail, and an
 * insert cannot fail once the pool holds what iova_index_insert_need() asked for.
 *
 * Writers are not thread-safe: the caller holds the domain lock.  Readers
 * need no lock: every change a reader can see (ranges, user pointers, keys,
 * children, the root) is made inside a write section that makes the tree's
 * sequence count odd, so iova_index_find_lockless() and friends read
 * optimistically and retry when the count moved.  What they return was
 * therefore the tree's content at one instant.  Nodes a reader may still be
 * reading must not go back to the memory hooks before a grace period (the
 * domain defers them); a node reused through the pool keeps its kind, so a
 * stale pointer never reads past its node.
 */
#ifndef IOVA_INDEX_GAPTREE_H
#define IOVA_INDEX_GAPTREE_H

#include "../env.h"

/*
 * Tunables: node capacities.  A leaf is 784 bytes, an inner node 1,040.  Test
 * builds with IOVA_TEST_SMALL_NODES use tiny nodes so that a few hundred
 * ranges exercise every split, merge and root change.
 */
#ifdef IOVA_TEST_SMALL_NODES
enum { IOVA_INDEX_LEAF_CAP = 4, IOVA_INDEX_INNER_CAP = 4, IOVA_INDEX_MAX_HEIGHT = 48 };
#else
enum {
	IOVA_INDEX_LEAF_CAP = 60,	/* ranges per leaf: 64 + 60 * 12 = 784 bytes */
	IOVA_INDEX_INNER_CAP = 25,	/* children per inner node: 8 + 25 * 40 + 32 bytes */
	IOVA_INDEX_MAX_HEIGHT = 16,	/* 62 * 25^15 ranges: more than 2^64 */
};
#endif

struct iova_index_leaf {
	uint32_t n;		/* ranges in use, [0, IOVA_INDEX_LEAF_CAP] */
	uint8_t cnt[3];		/* non-candidate gaps at th[k] (see hmask) */
	uint8_t _pad;
	uint64_t rsv;		/* bit j: range j is a reservation */
	uint64_t gmask;		/* bit j: the gap below range j is not empty */
	/*
	 * Candidate gaps for the leaf's summary: a non-empty gap whose bit is
	 * clear has length <= th[0], aligned-run key <= th[1] and
	 * aligned-point key <= th[2], and cnt[k] of them are at th[k], so the
	 * leaf's maxima follow from the candidates (gaptree.c, leaf_summary()).
	 */
	uint64_t hmask;
	uint64_t th[3];
	/*
	 * A range j is [lo[j], lo[j] + len], len = len[j] + ext[j] * 2^32: a
	 * leaf holds the high halves only while one of its ranges needs them
	 * (2^32 pages or more), in a block from the pool's inner nodes.
	 */
	uint32_t *ext;		/* NULL, or IOVA_INDEX_LEAF_CAP high halves */
	uint64_t lo[IOVA_INDEX_LEAF_CAP];
	uint32_t len[IOVA_INDEX_LEAF_CAP];	/* hi - lo, low 32 bits */
	void *udata[];		/* IOVA_INDEX_LEAF_CAP pointers if the tree has udata */
};

struct iova_index_inner {
	uint32_t n;		/* children in use, [1, IOVA_INDEX_INNER_CAP] */
	uint32_t gmask;		/* bit i: child i owns a non-empty gap (gap[i] != 0) */
	uint64_t key[IOVA_INDEX_INNER_CAP];	/* hi of the last range of child i */
	uint64_t gap[IOVA_INDEX_INNER_CAP];	/* largest gap owned by child i */
	uint64_t akey[IOVA_INDEX_INNER_CAP];	/* largest aligned-run key in child i */
	uint64_t tkey[IOVA_INDEX_INNER_CAP];	/* largest aligned-point key in child i */
	void *child[IOVA_INDEX_INNER_CAP];
	/*
	 * Writer-only hint (gaptree.c, fix_up_leaf()): sec[k] is the second
	 * largest of the children's gap, akey or tkey (k = 0, 1, 2; a tie with
	 * the largest counts, 0 with one child), valid where bit k of sec_ok
	 * is set.  Any other change to the slots clears sec_ok.
	 */
	uint64_t sec[3];
	uint32_t sec_ok;
};

/* The summaries of a set of free runs (the maxima over the runs). */
struct iova_index_sum {
	uint64_t gap;	/* the longest run */
	uint64_t akey;	/* aligned-run key (fit.h) */
	uint64_t tkey;	/* aligned-point key (fit.h) */
};

/* Spare nodes, each linked through its first word. */
struct iova_index_pool {
	void *leaves, *inners;
	uint32_t nr_leaves, nr_inners;
};

struct iova_index {
	void *root;		/* a iova_index_leaf when height == 1 */
	uint32_t height;	/* levels, >= 1 */
	uint32_t seq;		/* odd while a write section is open */
	uint32_t wdepth;	/* nested write sections (writer only) */
	bool has_udata;
	uint64_t start, end;	/* the domain: every range lies inside */
	uint64_t count;		/* ranges */
	uint64_t free_gaps;	/* non-empty gaps, the tail gap included */
	uint64_t nr_leaves, nr_inners;	/* nodes in the tree (not the pool) */
	uint64_t nr_exts;	/* leaves' high-half blocks (inner-sized) */
	size_t leaf_size;
	struct iova_index_pool pool;
	uint64_t search_nodes;	/* statistics: nodes visited by searches */
	uint64_t search_backtracks;	/* descents that found nothing */
};

/* One range as the tree reports it. */
struct iova_index_range {
	uint64_t lo, hi;
	bool rsv;
	void *udata;
};

/*
 * A root-to-leaf path, recorded by iova_index_search() so that iova_index_insert_at() can
 * place the range without a second descent.  Valid until the tree changes.
 */
struct iova_index_cursor {
	void *node[IOVA_INDEX_MAX_HEIGHT];
	uint32_t idx[IOVA_INDEX_MAX_HEIGHT];	/* child index per depth */
	uint64_t pred[IOVA_INDEX_MAX_HEIGHT];	/* pred_end of node[d] */
	uint32_t pos;		/* leaf position of the new range */
	uint32_t height;
	bool valid;		/* false: the fit was the tail gap */
};

/* A placement request, prepared by iova_req_init() (fit.h). */
struct iova_req;

size_t iova_index_leaf_size(bool has_udata);

/* Set up an empty tree; root must be a zeroed node of iova_index_leaf_size(). */
void iova_index_init(struct iova_index *t, uint64_t start, uint64_t end, bool has_udata,
		     void *root);

/* Release every node (tree and pool) through free_node. */
void iova_index_destroy(struct iova_index *t,
			void (*free_node)(void *node, size_t size, void *ctx),
			void *ctx);

/*
 * Nodes an insert may need: a leaf, one inner node per level, and two
 * inner-sized blocks for leaves that take a range of 2^32 pages or more
 * (the one it goes into and a new sibling).
 */
enum { IOVA_INDEX_EXT_NEED = 2 };

static inline void iova_index_insert_need(const struct iova_index *t, uint32_t *leaves,
					  uint32_t *inners)
{
	*leaves = 1;
	*inners = t->height + IOVA_INDEX_EXT_NEED;
}

static inline bool iova_index_pool_ready(const struct iova_index *t)
{
	return t->pool.nr_leaves >= 1 &&
	       t->pool.nr_inners >= t->height + IOVA_INDEX_EXT_NEED;
}

void iova_index_pool_put(struct iova_index *t, void *node, bool is_leaf);
void *iova_index_pool_get(struct iova_index *t, bool is_leaf);

static inline size_t iova_index_inner_size(void)
{
	return sizeof(struct iova_index_inner);
}

/*
 * Insert [lo, hi], which must lie in free space inside [start, end].  The
 * pool must be ready (iova_index_pool_ready()).  Cannot fail.
 */
void iova_index_insert(struct iova_index *t, uint64_t lo, uint64_t hi, bool rsv,
		       void *udata);

/*
 * Erase the range containing pfn.  Returns false (nothing changed) if pfn is
 * free, or if must_start is set and pfn is not the range's lo, or if the
 * range's reservation flag differs from rsv.  Fills *out when not NULL.
 * Never allocates.
 */
bool iova_index_erase(struct iova_index *t, uint64_t pfn, bool must_start, bool rsv,
		      struct iova_index_range *out);

/* The range containing pfn (false if pfn is free). */
bool iova_index_find(const struct iova_index *t, uint64_t pfn, struct iova_index_range *out);

/*
 * iova_index_find() that also records the path to the range in c, so that
 * iova_index_erase_at() can erase it without a second descent: a caller's
 * checks between the two cost no search.  The cursor is spent by any change
 * to the tree.
 */
bool iova_index_find_at(struct iova_index *t, uint64_t pfn,
			struct iova_index_range *out, struct iova_index_cursor *c);

/*
 * Erase the range iova_index_find_at() just found through c (into *out when
 * not NULL).  Never allocates.
 */
void iova_index_erase_at(struct iova_index *t, struct iova_index_cursor *c,
			 struct iova_index_range *out);

/* The lowest range with hi >= pfn (false if none). */
bool iova_index_find_next(const struct iova_index *t, uint64_t pfn, struct iova_index_range *out);

/*
 * Lockless twins of iova_index_find() / iova_index_find_next(), safe
 * against one concurrent writer: they retry until they read the tree
 * between two write sections.  The caller keeps the nodes alive (a read
 * side critical section of the domain's RCU).
 */
bool iova_index_find_lockless(const struct iova_index *t, uint64_t pfn,
			      struct iova_index_range *out);
bool iova_index_find_next_lockless(const struct iova_index *t, uint64_t pfn,
				   struct iova_index_range *out);

/*
 * Group several changes into one write section, so that lockless readers
 * see all of them or none (a reservation merge).  Every mutating call opens
 * its own section too; sections nest.
 */
void iova_index_write_begin(struct iova_index *t);
void iova_index_write_end(struct iova_index *t);

/* Set the user pointer of the range containing pfn. */
bool iova_index_set_udata(struct iova_index *t, uint64_t pfn, void *udata);

/*
 * The highest (top_down) or lowest placement of req; false if none.  Visits
 * O(height) nodes for unaligned and size-aligned requests.  If c is not
 * NULL it records where the placement goes, for iova_index_insert_at().
 */
bool iova_index_search(struct iova_index *t, const struct iova_req *req, bool top_down,
		       uint64_t *pfn, struct iova_index_cursor *c);

/* iova_index_insert() of the range iova_index_search() just placed through cursor c. */
void iova_index_insert_at(struct iova_index *t, struct iova_index_cursor *c, uint64_t lo,
			  uint64_t hi, bool rsv, void *udata);

/* True if [lo, hi] (inside the domain) is entirely free. */
bool iova_index_range_free(const struct iova_index *t, uint64_t lo, uint64_t hi);

/* The largest free run inside [min, max] (saturating at UINT64_MAX). */
uint64_t iova_index_largest_gap(struct iova_index *t, uint64_t min, uint64_t max);

/* Visit ranges in order; a non-zero return from fn stops and is returned. */
int iova_index_walk(const struct iova_index *t,
		    int (*fn)(const struct iova_index_range *r, void *arg), void *arg);

/* Node bytes held by the tree and its pool. */
uint64_t iova_index_bytes(const struct iova_index *t);

/*
 * Recompute every invariant; NULL if all hold, else a static string naming
 * the first broken one.  *pages_rsv and *pages_live receive the page counts.
 */
const char *iova_index_validate(const struct iova_index *t, uint64_t *pages_live,
				uint64_t *pages_rsv, uint64_t *ranges_rsv);

#endif /* IOVA_INDEX_GAPTREE_H */
