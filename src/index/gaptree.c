// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * gaptree: a B+tree of disjoint pfn ranges, augmented with gap summaries so
 * that the highest (or lowest) fit inside any [min, max] is found by
 * visiting O(height) nodes.
 *
 * Invariants (validate checks each one and names it by number):
 *  1) Ranges are sorted, disjoint and inside [start, end]; every range has
 *     lo <= hi.
 *  2) Gap ownership: the gap of a range r is [pred_end, r.lo - 1], where
 *     pred_end is the previous range's hi + 1, or start for the first range.
 *     The "tail" gap [last.hi + 1, end] (or [start, end] when empty) belongs
 *     to an implicit sentinel above end.  So every free pfn of the domain is
 *     in exactly one gap, and an insert changes two gaps, both owned by
 *     ranges in one leaf (or the tail).
 *  3) All leaves are at depth height - 1.  Non-root nodes are not empty;
 *     an inner root has >= 2 children.  Capacities are IOVA_INDEX_*_CAP.
 *  4) key[i] of an inner node is the hi of the last range below child i.
 *     Hence the pred_end of child i is key[i - 1] + 1 (or the node's own
 *     pred_end for i = 0): leaves need no "previous" field.
 *  5) gap[i] is the largest gap owned by a range below child i; akey[i] and
 *     tkey[i] the largest aligned-run and aligned-point keys (fit.h) of
 *     those gaps, 0 for none; bit i of gmask says gap[i] != 0, so searches
 *     and summaries skip full children (a fill leaves most of them full).
 *     Where bit k of sec_ok is set, sec[k] is the second largest of part
 *     k (gap, akey, tkey) over the children, a tie with the largest
 *     counting (so most in-place changes update an ancestor without a
 *     rescan, fix_up_leaf()).
 *  6) count, free_gaps, nr_leaves, nr_inners and nr_exts match the tree.
 *  7) Leaf candidates: a non-empty gap whose hmask bit is clear has its
 *     length, aligned-run key and aligned-point key at or below th[0..2],
 *     and cnt[k] is the number of such gaps at th[k] (leaf_summary()).
 *
 * Searching (top-down; bottom-up mirrors it).  A child whose gaps all lie
 * inside [min, max] ("inside") is answered by its summaries: Cond G and
 * Cond A of fit.h are exact, so the descent into a child that passes
 * never fails.  Only children that straddle min or max ("edge") are entered
 * on hope; at each level at most one child straddles each bound, so at most
 * two root-to-leaf paths are explored besides the one that succeeds.
 *
 * Memory.  A leaf is 784 bytes: 60 ranges of 12 B (lo, and hi - lo in 32
 * bits), a reserved bitmap, a non-empty-gap bitmap (so searches and
 * summaries visit only real gaps) and the candidate bitmap, thresholds and
 * counts of invariant 7 (so a summary rarely rescans the leaf).  A range of
 * 2^32 pages or more keeps the high half of its length in a block of the
 * leaf's (ext: an inner-sized node from the pool, taken by an insert that
 * needs it, moved by a merge, released with the leaf), so a leaf without
 * such ranges pays 8 bytes for the pointer.  A full node passes one entry
 * to a sibling with room before it splits (B*-style); a split at the
 * tree's edge, where top-down and bottom-up fills grow, is [new] + [old
 * full node], elsewhere in halves.  So a top-down fill keeps leaves full
 * (~13.1 B per range) and random churn settles near 14.5.  Erase merges a
 * node into a sibling when both fit in 7/8 of one node (hysteresis against
 * split/merge flapping).
 */
#include "gaptree.h"
#include "fit.h"

static_assert(IOVA_INDEX_INNER_CAP <= 32, "an inner node's gap bits fit a uint32_t");
static_assert(IOVA_INDEX_LEAF_CAP <= 64, "a leaf's bits fit a uint64_t");
static_assert(sizeof(struct iova_index_inner) >= IOVA_INDEX_LEAF_CAP * sizeof(uint32_t),
	      "a leaf's high halves fit an inner node");

#define MERGE_LEAF (IOVA_INDEX_LEAF_CAP - IOVA_INDEX_LEAF_CAP / 8)
#define MERGE_INNER (IOVA_INDEX_INNER_CAP - IOVA_INDEX_INNER_CAP / 8)

/* ------------------------------------------------------------------ */
/* Pool                                                                */

void iova_index_pool_put(struct iova_index *t, void *node, bool is_leaf)
{
	void **link = node;

	if (is_leaf) {
		*link = t->pool.leaves;
		t->pool.leaves = node;
		t->pool.nr_leaves++;
	} else {
		*link = t->pool.inners;
		t->pool.inners = node;
		t->pool.nr_inners++;
	}
}

void *iova_index_pool_get(struct iova_index *t, bool is_leaf)
{
	void **head = is_leaf ? &t->pool.leaves : &t->pool.inners;
	void **node = *head;

	if (!node)
		return NULL;
	*head = *node;
	if (is_leaf)
		t->pool.nr_leaves--;
	else
		t->pool.nr_inners--;
	return node;
}

/* Make every gap of l a candidate (thresholds 0): always valid. */
static inline void leaf_forget_thresholds(struct iova_index_leaf *l)
{
	l->hmask = UINT64_MAX;
	l->th[0] = 0;
	l->th[1] = 0;
	l->th[2] = 0;
	l->cnt[0] = 0;
	l->cnt[1] = 0;
	l->cnt[2] = 0;
}

static void *take_node(struct iova_index *t, bool is_leaf)
{
	void *node = iova_index_pool_get(t, is_leaf);

	if (!node)
		iova_env_panic("gaptree: node pool empty during insert");
	if (is_leaf) {
		((struct iova_index_leaf *)node)->n = 0;
		((struct iova_index_leaf *)node)->rsv = 0;
		((struct iova_index_leaf *)node)->gmask = 0;
		((struct iova_index_leaf *)node)->ext = NULL;
		leaf_forget_thresholds(node);
		t->nr_leaves++;
	} else {
		((struct iova_index_inner *)node)->n = 0;
		((struct iova_index_inner *)node)->gmask = 0;
		((struct iova_index_inner *)node)->sec_ok = 0;
		t->nr_inners++;
	}
	return node;
}

static void drop_node(struct iova_index *t, void *node, bool is_leaf)
{
	if (is_leaf) {
		struct iova_index_leaf *l = node;

		if (l->ext) {
			iova_index_pool_put(t, l->ext, false);
			l->ext = NULL;
			t->nr_exts--;
		}
		t->nr_leaves--;
	} else {
		t->nr_inners--;
	}
	iova_index_pool_put(t, node, is_leaf);
}

/* Give l a block of high halves, all zero (inside an insert: from the pool). */
static void leaf_add_ext(struct iova_index *t, struct iova_index_leaf *l)
{
	uint32_t *e = iova_index_pool_get(t, false);

	if (!e)
		iova_env_panic("gaptree: node pool empty during insert");
	iova_memset(e, 0, IOVA_INDEX_LEAF_CAP * sizeof(uint32_t));
	l->ext = e;
	t->nr_exts++;
}

/* ------------------------------------------------------------------ */
/* Leaf helpers                                                        */

size_t iova_index_leaf_size(bool has_udata)
{
	return sizeof(struct iova_index_leaf) +
	       (has_udata ? IOVA_INDEX_LEAF_CAP * sizeof(void *) : 0);
}

static inline uint64_t low_bits(unsigned int n)
{
	return n >= 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1;
}

/* hi - lo of range j of l. */
static inline uint64_t leaf_len(const struct iova_index_leaf *l, unsigned int j)
{
	uint64_t len = l->len[j];

	if (iova_unlikely(l->ext))
		len |= (uint64_t)l->ext[j] << 32;
	return len;
}

static inline uint64_t leaf_hi(const struct iova_index_leaf *l, unsigned int j)
{
	return l->lo[j] + leaf_len(l, j);
}

/* leaf_hi() with single loads, for the lockless readers. */
static inline uint64_t leaf_hi_once(const struct iova_index_leaf *l, unsigned int j)
{
	const uint32_t *ext = iova_read_once(l->ext);
	uint64_t len = iova_read_once(l->len[j]);

	if (iova_unlikely(ext))
		len |= (uint64_t)iova_read_once(ext[j]) << 32;
	return iova_read_once(l->lo[j]) + len;
}

/*
 * Copy cnt ranges src[si..] to dst[di..]; overlapping copies are fine.  A
 * dst without high halves gets a block when src has one (only inserts copy
 * between leaves: the pool has it); erase merges go through leaf_absorb().
 */
static void leaf_copy(struct iova_index *t, struct iova_index_leaf *dst,
		      unsigned int di, struct iova_index_leaf *src, unsigned int si,
		      unsigned int cnt)
{
	uint64_t bits, gbits;

	if (!cnt)
		return;
	bits = (src->rsv >> si) & low_bits(cnt);
	gbits = (src->gmask >> si) & low_bits(cnt);
	iova_memmove(&dst->lo[di], &src->lo[si], cnt * sizeof(uint64_t));
	iova_memmove(&dst->len[di], &src->len[si], cnt * sizeof(uint32_t));
	if (iova_unlikely(src->ext || dst->ext)) {
		if (!src->ext) {
			iova_memset(&dst->ext[di], 0, cnt * sizeof(uint32_t));
		} else {
			if (!dst->ext)
				leaf_add_ext(t, dst);
			iova_memmove(&dst->ext[di], &src->ext[si],
				     cnt * sizeof(uint32_t));
		}
	}
	if (t->has_udata)
		iova_memmove(&dst->udata[di], &src->udata[si],
			     cnt * sizeof(void *));
	dst->rsv = (dst->rsv & ~(low_bits(cnt) << di)) | bits << di;
	dst->gmask = (dst->gmask & ~(low_bits(cnt) << di)) | gbits << di;
	/*
	 * Within a leaf the candidate bits move with their ranges; ranges
	 * moved to another leaf are candidates there (its thresholds say
	 * nothing about them).
	 */
	gbits = dst == src ? (src->hmask >> si) & low_bits(cnt) : low_bits(cnt);
	dst->hmask = (dst->hmask & ~(low_bits(cnt) << di)) | gbits << di;
	/*
	 * A src that loses counted gaps to another leaf must take them out of
	 * its counts first (leaf_uncount()) or forget its thresholds.
	 */
}

/*
 * The non-empty gap [a, b] of range j is about to change or vanish: if it
 * is not a candidate, take it out of the counts and make it one.
 */
static void leaf_uncount(struct iova_index_leaf *l, unsigned int j, uint64_t a,
			 uint64_t b)
{
	uint64_t bit = UINT64_C(1) << j;

	if ((l->hmask & bit) || !(l->gmask & bit))
		return;
	l->hmask |= bit;
	l->cnt[0] -= b - a + 1 == l->th[0];
	l->cnt[1] -= iova_run_key(a, b) == l->th[1];
	l->cnt[2] -= iova_point_key(a, b) == l->th[2];
}

/* Forget the bits of slots at or past l->n. */
static inline void leaf_trim_bits(struct iova_index_leaf *l)
{
	l->rsv &= low_bits(l->n);
	l->gmask &= low_bits(l->n);
	l->hmask &= low_bits(l->n);
}

static inline void set_bit_to(uint64_t *w, unsigned int j, bool v)
{
	*w = (*w & ~(UINT64_C(1) << j)) | (uint64_t)v << j;
}

/* Range flags as the insert path carries them. */
enum { RB_RSV = 1, RB_GAP = 2 };	/* reserved; its gap is not empty */

static void leaf_set(struct iova_index *t, struct iova_index_leaf *l,
		     unsigned int j, uint64_t lo, uint64_t hi, unsigned int rb,
		     void *udata)
{
	uint64_t len = hi - lo;

	l->lo[j] = lo;
	l->len[j] = (uint32_t)len;
	if (iova_unlikely(len >> 32) && !l->ext)
		leaf_add_ext(t, l);
	if (iova_unlikely(l->ext))
		l->ext[j] = (uint32_t)(len >> 32);
	set_bit_to(&l->rsv, j, rb & RB_RSV);
	set_bit_to(&l->gmask, j, rb & RB_GAP);
	l->hmask |= (uint64_t)(rb & RB_GAP ? 1 : 0) << j;	/* a new gap */
	if (t->has_udata)
		l->udata[j] = udata;
}

static void leaf_get(const struct iova_index *t, const struct iova_index_leaf *l,
		     unsigned int j, struct iova_index_range *r)
{
	r->lo = l->lo[j];
	r->hi = leaf_hi(l, j);
	r->rsv = (l->rsv >> j) & 1;
	r->udata = t->has_udata ? l->udata[j] : NULL;
}

/* The first free pfn below range j of leaf l. */
static inline uint64_t leaf_gap_lo(const struct iova_index_leaf *l, unsigned int j,
				   uint64_t pred)
{
	return j ? leaf_hi(l, j - 1) + 1 : pred;
}

/* The summaries of one free run [a, b]. */
static inline void run_sum(uint64_t a, uint64_t b, struct iova_index_sum *r)
{
	r->gap = iova_span(a, b);
	r->akey = iova_run_key(a, b);
	r->tkey = iova_point_key(a, b);
}

static inline void sum_max(struct iova_index_sum *acc, const struct iova_index_sum *x)
{
	acc->gap = iova_max64(acc->gap, x->gap);
	acc->akey = iova_max64(acc->akey, x->akey);
	acc->tkey = iova_max64(acc->tkey, x->tkey);
}

/* Does acc already cover x in every part? */
static inline bool sum_covers(const struct iova_index_sum *acc, const struct iova_index_sum *x)
{
	return acc->gap >= x->gap && acc->akey >= x->akey &&
	       acc->tkey >= x->tkey;
}

/*
 * The summaries of the gaps owned by the ranges of a leaf, from every gap
 * (validate uses it as the reference).
 */
static void leaf_summary_full(const struct iova_index_leaf *l, uint64_t pred,
			      struct iova_index_sum *sum)
{
	struct iova_index_sum acc = { 0, 0, 0 };
	uint64_t m;

	for (m = l->gmask; m; m &= m - 1) {	/* only non-empty gaps */
		unsigned int j = iova_ctz64(m);
		uint64_t a = leaf_gap_lo(l, j, pred), b = l->lo[j] - 1;
		uint64_t len = b - a + 1;

		acc.gap = iova_max64(acc.gap, len);
		/* The key is at most (flog2(len) + 1, len): skip if that loses. */
		if (acc.akey < ((uint64_t)(iova_flog2(len) + 1) << IOVA_KEY_SHIFT |
				iova_min64(len, IOVA_KEY_FMAX)))
			acc.akey = iova_max64(acc.akey, iova_run_key(a, b));
		acc.tkey = iova_max64(acc.tkey, iova_point_key(a, b));
	}
	*sum = acc;
}

/*
 * Candidates kept per summary part when the thresholds are rebuilt, and the
 * most candidates worth scanning before a rebuild (tuned with callgrind on
 * the fills, churn, reserve and mixed workloads: docs/PERFORMANCE.md).
 */
enum { LEAF_TOPK = 3, LEAF_SCAN_MAX = 16 };

/* Insert v into the descending top-LEAF_TOPK list top (v > top[last]). */
static inline void topk_add(uint64_t *top, uint64_t v)
{
	unsigned int i = LEAF_TOPK - 1;

	while (i > 0 && top[i - 1] < v) {
		top[i] = top[i - 1];
		i--;
	}
	top[i] = v;
}

/*
 * Recompute every gap's summaries and return their maxima.  Each threshold
 * becomes the LEAF_TOPK-th largest value of its part (0 if fewer gaps); the
 * candidates are the gaps above some threshold (at most LEAF_TOPK - 1 per
 * part, whatever the ties), and cnt[k] counts the others at th[k].
 */
static void leaf_rebuild(struct iova_index_leaf *l, uint64_t pred,
			 struct iova_index_sum *sum)
{
	uint64_t tg[LEAF_TOPK] = { 0 }, ta[LEAF_TOPK] = { 0 }, tt[LEAF_TOPK] = { 0 };
	uint64_t m, h = 0, maybe = 0;
	unsigned int c0 = 0, c1 = 0, c2 = 0;

	/*
	 * Two passes that recompute the keys (no per-gap arrays on the
	 * stack).  The running k-th largest values only grow, so a gap below
	 * all three when the first pass meets it stays below the final
	 * thresholds: neither a candidate nor a tie.  The second pass visits
	 * only the others (maybe): the gaps that entered a running top-k or tied
	 * it, about k ln(n / k) per part for gaps in random order.
	 */
	for (m = l->gmask; m; m &= m - 1) {
		unsigned int j = iova_ctz64(m);
		uint64_t a = leaf_gap_lo(l, j, pred), b = l->lo[j] - 1;
		uint64_t vg = b - a + 1, va = iova_run_key(a, b), vt = iova_point_key(a, b);

		if (vg < tg[LEAF_TOPK - 1] && va < ta[LEAF_TOPK - 1] &&
		    vt < tt[LEAF_TOPK - 1])
			continue;
		maybe |= UINT64_C(1) << j;
		if (vg > tg[LEAF_TOPK - 1])
			topk_add(tg, vg);
		if (va > ta[LEAF_TOPK - 1])
			topk_add(ta, va);
		if (vt > tt[LEAF_TOPK - 1])
			topk_add(tt, vt);
	}
	l->th[0] = tg[LEAF_TOPK - 1];
	l->th[1] = ta[LEAF_TOPK - 1];
	l->th[2] = tt[LEAF_TOPK - 1];
	for (m = maybe; m; m &= m - 1) {
		unsigned int j = iova_ctz64(m);
		uint64_t a = leaf_gap_lo(l, j, pred), b = l->lo[j] - 1;
		uint64_t vg = b - a + 1, va = iova_run_key(a, b), vt = iova_point_key(a, b);

		if (vg > l->th[0] || va > l->th[1] || vt > l->th[2]) {
			h |= UINT64_C(1) << j;
		} else {
			c0 += vg == l->th[0];
			c1 += va == l->th[1];
			c2 += vt == l->th[2];
		}
	}
	l->hmask = h;
	l->cnt[0] = (uint8_t)c0;
	l->cnt[1] = (uint8_t)c1;
	l->cnt[2] = (uint8_t)c2;
	sum->gap = tg[0];
	sum->akey = ta[0];
	sum->tkey = tt[0];
}

/*
 * One part of a leaf's summary from the candidates' maximum x: exact if x
 * reaches the threshold th, else th if a non-candidate gap holds it; false
 * if neither (the leaf must be rebuilt).
 */
static inline bool leaf_part(uint64_t x, uint64_t th, unsigned int cnt, uint64_t *out)
{
	if (x >= th) {
		*out = x;
		return true;
	}
	*out = th;
	return cnt != 0;
}

/*
 * The summaries of the gaps owned by the ranges of a leaf, from the
 * candidate gaps (hmask) and the counts.  Every gap that changes becomes a
 * candidate, so after an insert or erase this rescans a handful of gaps,
 * not the leaf; it rebuilds when the candidates no longer decide a part or
 * have grown past LEAF_SCAN_MAX.
 */
static void leaf_summary(struct iova_index_leaf *l, uint64_t pred,
			 struct iova_index_sum *sum)
{
	uint64_t m = l->hmask & l->gmask, g = 0, ak = 0, tk = 0;
	unsigned int c = 0;

	for (; m; m &= m - 1) {
		unsigned int j = iova_ctz64(m);
		uint64_t a = leaf_gap_lo(l, j, pred), b = l->lo[j] - 1;
		uint64_t vg = b - a + 1, va = iova_run_key(a, b), vt = iova_point_key(a, b);

		if (++c > LEAF_SCAN_MAX) {
			leaf_rebuild(l, pred, sum);
			return;
		}
		g = iova_max64(g, vg);
		ak = iova_max64(ak, va);
		tk = iova_max64(tk, vt);
		/*
		 * A candidate at or below every threshold needs no rescan: it
		 * becomes a counted gap (invariant 7), so that a leaf whose
		 * gaps keep changing (holes filled one by one) does not scan
		 * the same small gaps again on every change.
		 */
		if (vg <= l->th[0] && va <= l->th[1] && vt <= l->th[2]) {
			l->hmask &= ~(UINT64_C(1) << j);
			l->cnt[0] += vg == l->th[0];
			l->cnt[1] += va == l->th[1];
			l->cnt[2] += vt == l->th[2];
		}
	}
	if (!leaf_part(g, l->th[0], l->cnt[0], &sum->gap) ||
	    !leaf_part(ak, l->th[1], l->cnt[1], &sum->akey) ||
	    !leaf_part(tk, l->th[2], l->cnt[2], &sum->tkey))
		leaf_rebuild(l, pred, sum);
}

/* Bit i of an inner node's child mask. */
static inline uint32_t bit32(unsigned int i)
{
	return (uint32_t)1 << i;
}

/* The children of in that own a non-empty gap (the others summarise to 0). */
static inline uint32_t inner_gaps(const struct iova_index_inner *in)
{
	return in->gmask & (uint32_t)low_bits(in->n);
}

/*
 * The first and the last child of child mask m; false if m is empty.  The
 * loops over an inner node visit this span with a plain loop: a fill
 * leaves the children on one side full, and inside the span most children
 * have gaps, where visiting the bits one by one costs more.
 */
static inline bool gap_span(uint32_t m, unsigned int *first, unsigned int *last)
{
	if (!m)
		return false;
	*first = iova_ctz64(m);
	*last = iova_flog2(m);
	return true;
}

/* The largest value so far in *m1, the second largest (ties count) in *m2. */
static inline void top2_add(uint64_t *m1, uint64_t *m2, uint64_t v)
{
	if (v > *m2) {	/* rarely taken once the two have been seen */
		if (v > *m1) {
			*m2 = *m1;
			*m1 = v;
		} else {
			*m2 = v;
		}
	}
}

/*
 * The summaries of inner node in (the maxima over its children), recording
 * in's second-largest values on the way: a rescan leaves them all valid.
 */
static void inner_summary(struct iova_index_inner *in, struct iova_index_sum *sum)
{
	uint64_t g = 0, a = 0, t = 0, g2 = 0, a2 = 0, t2 = 0;
	unsigned int i, end;

	if (gap_span(inner_gaps(in), &i, &end)) {
		for (; i <= end; i++) {
			top2_add(&g, &g2, in->gap[i]);
			top2_add(&a, &a2, in->akey[i]);
			top2_add(&t, &t2, in->tkey[i]);
		}
	}
	sum->gap = g;
	sum->akey = a;
	sum->tkey = t;
	in->sec[0] = g2;
	in->sec[1] = a2;
	in->sec[2] = t2;
	in->sec_ok = 7;
}

static uint64_t node_last(const void *node, bool is_leaf)
{
	const struct iova_index_inner *in = node;

	if (is_leaf) {
		const struct iova_index_leaf *l = node;

		return leaf_hi(l, l->n - 1);
	}
	return in->key[in->n - 1];
}

static void node_summary(void *node, bool is_leaf, uint64_t pred,
			 struct iova_index_sum *sum)
{
	if (is_leaf)
		leaf_summary(node, pred, sum);
	else
		inner_summary(node, sum);
}

static inline void slot_get(const struct iova_index_inner *in, unsigned int i,
			    struct iova_index_sum *sum)
{
	sum->gap = in->gap[i];
	sum->akey = in->akey[i];
	sum->tkey = in->tkey[i];
}

/*
 * Does slot i of in already hold key and sum?  Its gap bit counts too: a
 * slot past the old n may hold stale values that happen to match.
 */
static inline bool slot_same(const struct iova_index_inner *in, unsigned int i,
			     uint64_t key, const struct iova_index_sum *sum)
{
	return in->key[i] == key && in->gap[i] == sum->gap &&
	       in->akey[i] == sum->akey && in->tkey[i] == sum->tkey &&
	       ((in->gmask >> i) & 1) == !!sum->gap;
}

/*
 * Write key and sum into slot i of in, with its gap bit, leaving in's
 * second-largest values to the caller (fix_up_leaf() keeps them).
 */
static inline void slot_write(struct iova_index_inner *in, unsigned int i,
			      uint64_t key, const struct iova_index_sum *sum)
{
	in->key[i] = key;
	in->gap[i] = sum->gap;
	in->akey[i] = sum->akey;
	in->tkey[i] = sum->tkey;
	in->gmask = (in->gmask & ~bit32(i)) | (uint32_t)!!sum->gap << i;
}

/* slot_write(), forgetting in's second-largest values. */
static inline void slot_put(struct iova_index_inner *in, unsigned int i,
			    uint64_t key, const struct iova_index_sum *sum)
{
	slot_write(in, i, key, sum);
	in->sec_ok = 0;
}

/* Write child i's key and summaries into in; true if anything changed. */
static bool set_slot(struct iova_index_inner *in, unsigned int i, void *child,
		     bool child_leaf, uint64_t pred)
{
	uint64_t key = node_last(child, child_leaf);
	struct iova_index_sum sum;

	node_summary(child, child_leaf, pred, &sum);
	if (slot_same(in, i, key, &sum))
		return false;
	slot_put(in, i, key, &sum);
	return true;
}

/* The pred_end of child i of in, whose own pred_end is pred. */
static inline uint64_t child_pred(const struct iova_index_inner *in, unsigned int i,
				  uint64_t pred)
{
	return i ? in->key[i - 1] + 1 : pred;
}

/*
 * Node p->node[d] changed (contents, not the number of its siblings).
 * Refresh its slot in each ancestor, stopping as soon as a slot is unchanged.
 */
static void fix_up(struct iova_index *t, struct iova_index_cursor *p, int d)
{
	uint32_t leaf_depth = t->height - 1;

	for (; d > 0; d--) {
		struct iova_index_inner *parent = p->node[d - 1];

		if (!set_slot(parent, p->idx[d - 1], p->node[d],
			      (uint32_t)d == leaf_depth, p->pred[d]))
			return;
	}
}

/*
 * Part k of node in's summary after one of its slots went from old to new,
 * where cur was the part's maximum over in's slots (what in's parent
 * holds for it): the new maximum into *out, keeping in->sec[k] (the
 * maximum of the other slots when the changed one held the maximum).  False if only a
 * rescan can tell: the slot held the maximum, shrank, and sec[k] is not
 * known.
 */
static inline bool part_after(struct iova_index_inner *in, unsigned int k,
			      uint64_t cur, uint64_t old, uint64_t new, uint64_t *out)
{
	uint32_t bit = 1u << k;
	uint64_t sec = in->sec[k];

	if (old == cur) {
		/* The others' maximum is sec[k]; their second is not known. */
		if (new >= cur || ((in->sec_ok & bit) && new >= sec)) {
			*out = new;	/* sec[k] stays */
			return true;
		}
		if (!(in->sec_ok & bit))
			return false;
		*out = sec;
		in->sec_ok &= ~bit;
		return true;
	}
	/* old < cur: the maximum is among the other slots. */
	if (new >= cur) {
		*out = new;
		in->sec[k] = cur;
		in->sec_ok |= bit;
		return true;
	}
	*out = cur;
	if (old == sec && new < old)
		in->sec_ok &= ~bit;	/* the second may have shrunk */
	else
		in->sec[k] = iova_max64(sec, new);
	return true;
}

/* part_after() for a slot that grew (new >= old): never needs a rescan. */
static inline void part_grew(struct iova_index_inner *in, unsigned int k,
			     uint64_t cur, uint64_t old, uint64_t new)
{
	if (old == cur)
		return;		/* the others' maximum, sec[k], stays second */
	if (new >= cur) {
		in->sec[k] = cur;
		in->sec_ok |= 1u << k;
	} else {
		in->sec[k] = iova_max64(in->sec[k], new);
	}
}

/*
 * fix_up() for a leaf p->node[d] that changed in place (an insert or erase
 * without a split, a shift or a merge below), so that at each level up only
 * one slot changed: the summaries of each ancestor follow from its slot's
 * old and new values and the ancestor's second-largest values, and an
 * ancestor is rescanned only where its maximum came from that slot, shrank,
 * and its second is not known.  The root's seconds are never read here (it
 * has no slot to compare with) and are forgotten when its slots change.
 */
static void fix_up_leaf(struct iova_index_cursor *p, int d)
{
	struct iova_index_inner *parent;
	struct iova_index_sum old, new, cur, next;
	uint64_t key;
	unsigned int i;

	if (d == 0)
		return;
	parent = p->node[d - 1];
	i = p->idx[d - 1];
	slot_get(parent, i, &old);
	key = node_last(p->node[d], true);
	leaf_summary(p->node[d], p->pred[d], &new);
	if (slot_same(parent, i, key, &new))
		return;
	if (d == 1) {
		slot_put(parent, i, key, &new);
		return;
	}
	slot_write(parent, i, key, &new);
	for (d--; d > 0; d--) {
		struct iova_index_inner *in = p->node[d];

		key = in->key[in->n - 1];
		parent = p->node[d - 1];
		i = p->idx[d - 1];
		slot_get(parent, i, &cur);
		if (!part_after(in, 0, cur.gap, old.gap, new.gap, &next.gap) ||
		    !part_after(in, 1, cur.akey, old.akey, new.akey, &next.akey) ||
		    !part_after(in, 2, cur.tkey, old.tkey, new.tkey, &next.tkey))
			inner_summary(in, &next);
		if (slot_same(parent, i, key, &next))
			return;
		if (d == 1)
			slot_put(parent, i, key, &next);
		else
			slot_write(parent, i, key, &next);
		old = cur;
		new = next;
	}
}

/*
 * The gaps below p->node[d] grew to include a run with these summaries (an
 * erase merged two gaps; nothing else changed): raise the slots on the path
 * with a max, stopping as soon as one is already large enough.
 */
static void bump_up(struct iova_index_cursor *p, int d, const struct iova_index_sum *run)
{
	struct iova_index_sum old, new;
	bool wrote = false;	/* slot idx[d] of node[d] went from old to new */

	for (; d > 0; d--) {
		struct iova_index_inner *parent = p->node[d - 1];
		unsigned int i = p->idx[d - 1];
		struct iova_index_sum cur;

		slot_get(parent, i, &cur);
		if (wrote) {
			/* node[d]'s maximum was cur. */
			struct iova_index_inner *in = p->node[d];

			part_grew(in, 0, cur.gap, old.gap, new.gap);
			part_grew(in, 1, cur.akey, old.akey, new.akey);
			part_grew(in, 2, cur.tkey, old.tkey, new.tkey);
		}
		if (sum_covers(&cur, run))
			return;
		old = cur;
		sum_max(&cur, run);
		new = cur;
		slot_write(parent, i, parent->key[i], &cur);
		wrote = true;
	}
	if (wrote)	/* the root's seconds are not kept */
		((struct iova_index_inner *)p->node[0])->sec_ok = 0;
}

/*
 * Would splitting the gap [a, b) of a leaf leave its summaries unchanged?
 * Yes if that gap was strictly below every maximum of the leaf's slot: the
 * pieces are sub-runs, and all three summaries only shrink on sub-runs
 * (fit.h), so the maxima still come from another gap.
 */
static bool split_keeps_summary(const struct iova_index *t,
				const struct iova_index_cursor *p, uint64_t a, uint64_t b)
{
	uint32_t ld = t->height - 1;
	const struct iova_index_inner *parent;
	unsigned int i;
	struct iova_index_sum run;

	if (ld == 0)
		return true;	/* a root leaf has no slot to keep */
	iova_assert_internal(a < b, "split of an empty gap");
	parent = p->node[ld - 1];
	i = p->idx[ld - 1];
	run_sum(a, b - 1, &run);
	return run.gap < parent->gap[i] && run.akey < parent->akey[i] &&
	       run.tkey < parent->tkey[i];
}

/*
 * The first i < n with a[i] >= pfn, else n.  Single loads, so the lockless
 * readers share it (a plain load on every target that matters).
 */
static inline unsigned int lower_bound(const uint64_t *a, unsigned int n,
				       uint64_t pfn)
{
	unsigned int lo = 0, hi = n;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (iova_read_once(a[mid]) >= pfn)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* The first child of in with key >= pfn, else the last child. */
static inline unsigned int inner_lower_bound(const struct iova_index_inner *in,
					     uint64_t pfn)
{
	return lower_bound(in->key, in->n - 1, pfn);
}

/*
 * Start fetching every cache line of a node's sorted words that a binary
 * search may touch, so that its misses overlap instead of following one
 * another (len is a constant: the loop unrolls).
 */
static inline void prefetch_bytes(const void *p, size_t len)
{
	size_t o;

	for (o = 0; o < len; o += 64)
		__builtin_prefetch((const char *)p + o);
	__builtin_prefetch((const char *)p + len - 1);
}

/* Descend towards pfn: in each inner node, the first child with key >= pfn. */
static struct iova_index_leaf *descend(const struct iova_index *t, uint64_t pfn,
				       struct iova_index_cursor *p)
{
	void *node = t->root;
	uint64_t pred = t->start;
	uint32_t d;

	for (d = 0; d + 1 < t->height; d++) {
		struct iova_index_inner *in = node;
		unsigned int lo;

		prefetch_bytes(in->key, sizeof(in->key));
		lo = inner_lower_bound(in, pfn);

		if (p) {
			p->node[d] = in;
			p->idx[d] = lo;
			p->pred[d] = pred;
		}
		pred = child_pred(in, lo, pred);
		node = in->child[lo];
	}
	if (p) {
		p->node[d] = node;
		p->pred[d] = pred;
	}
	prefetch_bytes(((struct iova_index_leaf *)node)->lo,
		       sizeof(((struct iova_index_leaf *)node)->lo));
	return node;
}

/* The first of the n ranges of l with lo > pfn, or n. */
static inline unsigned int leaf_upper_bound(const struct iova_index_leaf *l,
					    unsigned int n, uint64_t pfn)
{
	return pfn == UINT64_MAX ? n : lower_bound(l->lo, n, pfn + 1);
}

/*
 * The first range j of l with hi >= pfn, or l->n: the last range starting
 * at or below pfn if it reaches pfn, else the next one (ranges are sorted
 * and disjoint, so every earlier one ends below pfn).
 */
static unsigned int leaf_lower_bound(const struct iova_index_leaf *l, uint64_t pfn)
{
	unsigned int k = leaf_upper_bound(l, l->n, pfn);

	return k && leaf_hi(l, k - 1) >= pfn ? k - 1 : k;
}

/* ------------------------------------------------------------------ */
/* Setup                                                               */

void iova_index_init(struct iova_index *t, uint64_t start, uint64_t end, bool has_udata,
		     void *root)
{
	struct iova_index_leaf *l = root;

	*t = (struct iova_index){
		.root = root,
		.height = 1,
		.has_udata = has_udata,
		.start = start,
		.end = end,
		.free_gaps = 1,
		.nr_leaves = 1,
		.leaf_size = iova_index_leaf_size(has_udata),
	};
	l->n = 0;
	l->rsv = 0;
	l->gmask = 0;
	l->ext = NULL;
	leaf_forget_thresholds(l);
}

static void free_subtree(struct iova_index *t, void *node, uint32_t depth,
			 void (*free_node)(void *, size_t, void *), void *ctx)
{
	if (depth + 1 < t->height) {
		struct iova_index_inner *in = node;
		unsigned int i;

		for (i = 0; i < in->n; i++)
			free_subtree(t, in->child[i], depth + 1, free_node, ctx);
		free_node(node, sizeof(struct iova_index_inner), ctx);
	} else {
		struct iova_index_leaf *l = node;

		if (l->ext)
			free_node(l->ext, sizeof(struct iova_index_inner), ctx);
		free_node(node, t->leaf_size, ctx);
	}
}

void iova_index_destroy(struct iova_index *t,
			void (*free_node)(void *node, size_t size, void *ctx),
			void *ctx)
{
	void *n;

	if (t->root)
		free_subtree(t, t->root, 0, free_node, ctx);
	t->root = NULL;
	while ((n = iova_index_pool_get(t, true)))
		free_node(n, t->leaf_size, ctx);
	while ((n = iova_index_pool_get(t, false)))
		free_node(n, sizeof(struct iova_index_inner), ctx);
}

/* ------------------------------------------------------------------ */
/* Lookup                                                              */

bool iova_index_find_next(const struct iova_index *t, uint64_t pfn, struct iova_index_range *out)
{
	struct iova_index_leaf *l = descend(t, pfn, NULL);
	unsigned int j = leaf_lower_bound(l, pfn);

	if (j == l->n)
		return false;	/* the last child's keys are all < pfn */
	leaf_get(t, l, j, out);
	return true;
}

bool iova_index_find(const struct iova_index *t, uint64_t pfn, struct iova_index_range *out)
{
	struct iova_index_range r;

	if (!iova_index_find_next(t, pfn, &r) || r.lo > pfn)
		return false;
	if (out)
		*out = r;
	return true;
}

bool iova_index_set_udata(struct iova_index *t, uint64_t pfn, void *udata)
{
	struct iova_index_leaf *l = descend(t, pfn, NULL);
	unsigned int j = leaf_lower_bound(l, pfn);

	if (!t->has_udata || j == l->n || l->lo[j] > pfn)
		return false;
	iova_index_write_begin(t);
	l->udata[j] = udata;
	iova_index_write_end(t);
	return true;
}

/* ------------------------------------------------------------------ */
/* Lockless lookup                                                     */

/*
 * A sequence count (the kernel's seqcount pattern): the writer makes
 * t->seq odd, changes the tree, makes it even again.  A reader samples an
 * even count, reads with single loads (iova_read_once: no load is torn or
 * repeated by the compiler), and keeps what it read only if the count has
 * not moved.  It also checks the count before following each child
 * pointer, so the pointer it follows was the right kind of node at the
 * right depth when it read it; after that a writer may reuse the node
 * (same kind, from the pool) but cannot free it (the caller's grace
 * period), so the reader reads garbage at worst, which the final check
 * throws away.  Indices are clamped because a garbage count could be
 * anything.
 */
void iova_index_write_begin(struct iova_index *t)
{
	if (t->wdepth++)
		return;
	iova_write_once(t->seq, t->seq + 1);
	iova_smp_wmb();		/* the odd count before any change */
}

void iova_index_write_end(struct iova_index *t)
{
	iova_assert_internal(t->wdepth > 0, "gaptree: unbalanced write section");
	if (--t->wdepth)
		return;
	/*
	 * Every change before the even count (a release: what the writer
	 * made before, user structs included, is visible to a reader that
	 * samples this count).
	 */
	iova_store_release(&t->seq, t->seq + 1);
}

static inline uint32_t read_begin(const struct iova_index *t)
{
	unsigned int spins = 0;
	uint32_t s;

	while ((s = iova_load_acquire(&t->seq)) & 1)
		iova_relax(&spins);	/* a writer is in its section */
	return s;
}

static inline bool read_moved(const struct iova_index *t, uint32_t s)
{
	iova_smp_rmb();		/* what was read, before the count */
	return iova_read_once(t->seq) != s;
}

/* A count read while the tree changes may be anything: keep it in [lo, cap]. */
static inline unsigned int clamp_n(uint32_t n, unsigned int lo, unsigned int cap)
{
	return n < lo ? lo : n > cap ? cap : n;
}

/* One attempt: 1 found, 0 none, -1 the tree moved (retry). */
static int find_next_once(const struct iova_index *t, uint64_t pfn,
			  struct iova_index_range *out)
{
	uint32_t s = read_begin(t);
	const void *node = iova_read_once(t->root);
	uint32_t h = iova_read_once(t->height), d;
	const struct iova_index_leaf *l;
	unsigned int lo, n;

	if (read_moved(t, s))
		return -1;
	for (d = 0; d + 1 < h; d++) {
		const struct iova_index_inner *in = node;

		n = clamp_n(iova_read_once(in->n), 1, IOVA_INDEX_INNER_CAP);
		lo = lower_bound(in->key, n - 1, pfn);
		node = iova_read_once(in->child[lo]);
		if (read_moved(t, s))
			return -1;	/* node may not be a child of in */
	}
	l = node;
	n = clamp_n(iova_read_once(l->n), 0, IOVA_INDEX_LEAF_CAP);
	lo = leaf_upper_bound(l, n, pfn);
	if (lo && leaf_hi_once(l, lo - 1) >= pfn)
		lo--;
	if (lo < n) {
		out->lo = iova_read_once(l->lo[lo]);
		out->hi = leaf_hi_once(l, lo);
		out->rsv = (iova_read_once(l->rsv) >> lo) & 1;
		out->udata = t->has_udata ? iova_read_once(l->udata[lo]) : NULL;
	}
	if (read_moved(t, s))
		return -1;
	return lo < n;
}

bool iova_index_find_next_lockless(const struct iova_index *t, uint64_t pfn,
				   struct iova_index_range *out)
{
	int ret;

	iova_racy_begin();
	while ((ret = find_next_once(t, pfn, out)) < 0)
		;
	iova_racy_end();
	return ret;
}

bool iova_index_find_lockless(const struct iova_index *t, uint64_t pfn,
			      struct iova_index_range *out)
{
	struct iova_index_range r;

	if (!iova_index_find_next_lockless(t, pfn, &r) || r.lo > pfn)
		return false;
	if (out)
		*out = r;
	return true;
}

static uint64_t tree_last_hi(const struct iova_index *t, bool *any)
{
	const void *node = t->root;
	uint32_t d;

	for (d = 0; d + 1 < t->height; d++) {
		const struct iova_index_inner *in = node;

		node = in->child[in->n - 1];
	}
	*any = ((const struct iova_index_leaf *)node)->n != 0;
	return *any ? node_last(node, true) : 0;
}

/* The tail gap [*a, end]; false if it is empty. */
static bool tail_gap(const struct iova_index *t, uint64_t *a)
{
	bool any;
	uint64_t last = tree_last_hi(t, &any);

	if (!any) {
		*a = t->start;
		return true;
	}
	if (last >= t->end)
		return false;
	*a = last + 1;
	return true;
}

bool iova_index_range_free(const struct iova_index *t, uint64_t lo, uint64_t hi)
{
	struct iova_index_range r;

	/* The first range ending at or after lo must start after hi. */
	return !iova_index_find_next(t, lo, &r) || r.lo > hi;
}

/* ------------------------------------------------------------------ */
/* Insert                                                              */

/* Counting helper for free_gaps: 1 if [a, b) is non-empty. */
static inline uint64_t nonempty(uint64_t a, uint64_t b)
{
	return b > a;
}

/*
 * Split full leaf l while inserting a range at position pos.  The new node
 * becomes the left sibling and takes nleft of the n + 1 ranges.  Returns
 * the new left leaf.
 */
static struct iova_index_leaf *split_leaf(struct iova_index *t, struct iova_index_leaf *l,
					  unsigned int pos, uint64_t lo, uint64_t hi,
					  unsigned int rb, void *udata)
{
	struct iova_index_leaf *left = take_node(t, true);
	unsigned int n = l->n, nleft;

	if (pos == 0)
		nleft = 1;		/* prepend: [new] + [old full leaf] */
	else if (pos == n)
		nleft = n;		/* append: [old full leaf] + [new] */
	else
		nleft = (n + 1) / 2;

	leaf_forget_thresholds(l);	/* many ranges move: simpler than counting */
	if (pos < nleft) {
		leaf_copy(t, left, 0, l, 0, pos);
		leaf_set(t, left, pos, lo, hi, rb, udata);
		leaf_copy(t, left, pos + 1, l, pos, nleft - 1 - pos);
		leaf_copy(t, l, 0, l, nleft - 1, n - (nleft - 1));
		l->n = n - (nleft - 1);
	} else {
		leaf_copy(t, left, 0, l, 0, nleft);
		leaf_copy(t, l, 0, l, nleft, pos - nleft);
		leaf_set(t, l, pos - nleft, lo, hi, rb, udata);
		leaf_copy(t, l, pos - nleft + 1, l, pos, n - pos);
		l->n = n + 1 - nleft;
	}
	left->n = nleft;
	leaf_trim_bits(l);
	return left;
}

/* Copy cnt child slots src[si..] to dst[di..]; overlapping copies are fine. */
static void inner_copy(struct iova_index_inner *dst, unsigned int di,
		       struct iova_index_inner *src, unsigned int si, unsigned int cnt)
{
	uint32_t bits, keep;

	dst->sec_ok = 0;
	if (!cnt)
		return;
	bits = (src->gmask >> si) & (uint32_t)low_bits(cnt);
	keep = ~((uint32_t)low_bits(cnt) << di);
	iova_memmove(&dst->key[di], &src->key[si], cnt * sizeof(uint64_t));
	iova_memmove(&dst->gap[di], &src->gap[si], cnt * sizeof(uint64_t));
	iova_memmove(&dst->akey[di], &src->akey[si], cnt * sizeof(uint64_t));
	iova_memmove(&dst->tkey[di], &src->tkey[si], cnt * sizeof(uint64_t));
	iova_memmove(&dst->child[di], &src->child[si], cnt * sizeof(void *));
	dst->gmask = (dst->gmask & keep) | bits << di;
}

/* Insert child c (already summarised by the caller) at slot i of in. */
static void inner_insert_slot(struct iova_index_inner *in, unsigned int i, void *c)
{
	inner_copy(in, i + 1, in, i, in->n - i);
	in->child[i] = c;
	in->key[i] = 0;
	in->gap[i] = 0;
	in->akey[i] = 0;
	in->tkey[i] = 0;
	in->gmask &= ~bit32(i);
	in->sec_ok = 0;
	in->n++;
}

/* Is p->node[d] the leftmost (or rightmost) node of its level? */
static bool path_at_edge(const struct iova_index_cursor *p, int d, bool leftmost)
{
	for (; d > 0; d--) {
		const struct iova_index_inner *up = p->node[d - 1];

		if (p->idx[d - 1] != (leftmost ? 0 : up->n - 1))
			return false;
	}
	return true;
}

/*
 * The full inner node in = p->node[e] (e >= 1) must take the new child left
 * at slot i = p->idx[e], before right.  If a sibling of in under the same
 * parent has room, pass it one child slot instead of splitting (B*-style,
 * as shift_to_sibling() does for leaves).  pred is left's pred_end.
 */
static bool inner_shift(struct iova_index *t, struct iova_index_cursor *p, int e,
			void *left, void *right, uint64_t pred, bool child_leaf)
{
	struct iova_index_inner *in = p->node[e], *gp = p->node[e - 1], *s;
	unsigned int i = p->idx[e], gi = p->idx[e - 1], n = in->n;
	uint64_t gpred = p->pred[e - 1];
	struct iova_index_inner *ls = gi > 0 ? gp->child[gi - 1] : NULL;
	struct iova_index_inner *rs = gi + 1 < gp->n ? gp->child[gi + 1] : NULL;

	if (ls && ls->n < IOVA_INDEX_INNER_CAP) {
		s = ls;
		/* The left sibling takes left itself, or in's first child. */
		if (i == 0) {
			s->child[s->n] = left;
			s->sec_ok = 0;	/* set_slot() may find the new slot "unchanged" */
			set_slot(s, s->n++, left, child_leaf, pred);
		} else {
			inner_copy(s, s->n++, in, 0, 1);
			inner_copy(in, 0, in, 1, i - 1);
			in->child[i - 1] = left;
			set_slot(in, i - 1, left, child_leaf, pred);
		}
		/* right stays at slot i either way */
		set_slot(in, i, right, child_leaf, node_last(left, child_leaf) + 1);
		set_slot(gp, gi - 1, s, false, child_pred(gp, gi - 1, gpred));
	} else if (rs && i + 1 < n && rs->n < IOVA_INDEX_INNER_CAP) {
		s = rs;
		/* The right sibling takes in's last child. */
		inner_copy(s, 1, s, 0, s->n);
		inner_copy(s, 0, in, n - 1, 1);
		s->n++;
		inner_copy(in, i + 1, in, i, n - 1 - i);
		in->child[i] = left;
		set_slot(in, i, left, child_leaf, pred);
		set_slot(in, i + 1, right, child_leaf,
			 node_last(left, child_leaf) + 1);
	} else {
		return false;
	}
	set_slot(gp, gi, in, false, child_pred(gp, gi, gpred));
	if (gi + 1 < gp->n)
		set_slot(gp, gi + 1, gp->child[gi + 1], false,
			 child_pred(gp, gi + 1, gpred));
	fix_up(t, p, e - 1);
	return true;
}

/*
 * A node at depth d split: left is the new left sibling of p->node[d], and
 * both are complete.  Link left into the parent (splitting upward as
 * needed), refresh the slots of both, and fix the ancestors.  At each level
 * one of four cases, with in = the parent, i = right's slot in it, and
 * nleft = the children the new left half nl keeps:
 *
 *  a) room in the parent: insert left at slot i.
 *       in: [c0 .. c(i-1) | right | ...]  ->  [c0 .. c(i-1) | left | right | ...]
 *  b) the parent is full but a sibling of it has room (inner_shift): one
 *     child moves to that sibling, then as a); done.
 *  c) split the parent, left lands in the left half (i < nleft):
 *       nl: [c0 .. c(i-1) | left | right? ...]   (nleft children)
 *       in: [... | right? | c(i+1) .. c(n-1)]    (the rest; right stays in
 *            nl if i + 1 < nleft, else it is in's first child)
 *  d) split the parent, left lands in the right half (i >= nleft):
 *       nl: [c0 .. c(nleft-1)]
 *       in: [c(nleft) .. c(i-1) | left | right | c(i+1) .. c(n-1)]
 *  nleft is 1 at the tree's left edge and n at its right edge (sequential
 *  fills grow there: the old node stays full), else the halves.  After c)
 *  or d) the parent itself split: go up one level with (nl, in).
 *  At the root: a new root [left | right], and the tree is one level taller.
 */
static void link_left(struct iova_index *t, struct iova_index_cursor *p, int d, void *left)
{
	bool child_leaf = (uint32_t)d == t->height - 1;
	void *right = p->node[d];
	uint64_t pred = p->pred[d];

	while (d > 0) {
		struct iova_index_inner *in = p->node[d - 1];
		unsigned int i = p->idx[d - 1];
		struct iova_index_inner *nl;
		unsigned int n = in->n, nleft;

		if (n < IOVA_INDEX_INNER_CAP) {
			inner_insert_slot(in, i, left);
			set_slot(in, i, left, child_leaf, pred);
			set_slot(in, i + 1, right, child_leaf,
				 node_last(left, child_leaf) + 1);
			fix_up(t, p, d - 1);
			return;
		}
		if (d > 1 && inner_shift(t, p, d - 1, left, right, pred,
					 child_leaf))
			return;
		/*
		 * Split the full parent too; the new left half takes nleft.
		 * At the tree's left or right edge (where sequential fills
		 * grow) split off just the new child, elsewhere halve.
		 */
		nl = take_node(t, false);
		if (i == 0 && path_at_edge(p, d - 1, true))
			nleft = 1;
		else if (i + 1 == n && path_at_edge(p, d - 1, false))
			nleft = n;
		else
			nleft = (n + 1) / 2;
		if (i < nleft) {
			inner_copy(nl, 0, in, 0, i);
			nl->child[i] = left;
			inner_copy(nl, i + 1, in, i, nleft - 1 - i);
			inner_copy(in, 0, in, nleft - 1, n - (nleft - 1));
			in->n = n - (nleft - 1);
			nl->n = nleft;
			set_slot(nl, i, left, child_leaf, pred);
			if (i + 1 < nleft)
				set_slot(nl, i + 1, right, child_leaf,
					 node_last(left, child_leaf) + 1);
			else
				set_slot(in, 0, right, child_leaf,
					 node_last(left, child_leaf) + 1);
		} else {
			unsigned int j = i - nleft;

			inner_copy(nl, 0, in, 0, nleft);
			inner_copy(in, 0, in, nleft, j);
			in->child[j] = left;
			inner_copy(in, j + 1, in, i, n - i);
			in->n = n + 1 - nleft;
			nl->n = nleft;
			set_slot(in, j, left, child_leaf, pred);
			set_slot(in, j + 1, right, child_leaf,
				 node_last(left, child_leaf) + 1);
		}
		/* Continue one level up with the split parent. */
		left = nl;
		right = in;
		pred = p->pred[d - 1];
		child_leaf = false;
		d--;
	}
	/* The root split: grow a new root above left and right. */
	{
		struct iova_index_inner *root = take_node(t, false);

		root->n = 2;
		root->child[0] = left;
		root->child[1] = right;
		set_slot(root, 0, left, child_leaf, t->start);
		set_slot(root, 1, right, child_leaf,
			 node_last(left, child_leaf) + 1);
		t->root = root;
		t->height++;
		iova_assert(t->height <= IOVA_INDEX_MAX_HEIGHT, "gaptree too tall");
	}
}

static void leaf_insert_at(struct iova_index *t, struct iova_index_leaf *l,
			   unsigned int pos, uint64_t lo, uint64_t hi, unsigned int rb,
			   void *udata)
{
	leaf_copy(t, l, pos + 1, l, pos, l->n - pos);
	leaf_set(t, l, pos, lo, hi, rb, udata);
	l->n++;
}

/*
 * The leaf l (slot i of its parent) is full and a range goes in at pos.
 * Instead of splitting, let a sibling under the same parent with room take
 * a range (B*-style): the new range itself when it goes at an end of l,
 * else l's first or last range.  So a split only happens when the
 * neighbours are full too, random inserts keep leaves fuller, and a new
 * one-range leaf from an end split always has full neighbours (tiny leaves
 * cannot chain).  Returns false if no sibling has room.
 */
static bool shift_to_sibling(struct iova_index *t, struct iova_index_cursor *p,
			     struct iova_index_leaf *l, unsigned int pos, uint64_t lo,
			     uint64_t hi, unsigned int rb, void *udata)
{
	int ld = (int)t->height - 1;
	struct iova_index_inner *par = p->node[ld - 1];
	unsigned int i = p->idx[ld - 1];
	uint64_t ppred = p->pred[ld - 1];
	struct iova_index_leaf *ls = i > 0 ? par->child[i - 1] : NULL;
	struct iova_index_leaf *rs = i + 1 < par->n ? par->child[i + 1] : NULL;
	struct iova_index_leaf *s;

	if (ls && pos < l->n && ls->n < IOVA_INDEX_LEAF_CAP) {
		s = ls;
		/* The left sibling takes the new range or l's first one. */
		if (pos == 0) {
			leaf_set(t, s, s->n, lo, hi, rb, udata);
		} else {
			/* l's first range moves out: out of l's counts */
			leaf_uncount(l, 0, p->pred[ld], l->lo[0] - 1);
			leaf_copy(t, s, s->n, l, 0, 1);
			leaf_copy(t, l, 0, l, 1, pos - 1);
			leaf_set(t, l, pos - 1, lo, hi, rb, udata);
		}
		s->n++;
		set_slot(par, i - 1, s, true, child_pred(par, i - 1, ppred));
	} else if (rs && pos > 0 && rs->n < IOVA_INDEX_LEAF_CAP) {
		s = rs;
		/* The right sibling takes the new range or l's last one. */
		if (pos == l->n)	/* s's first gap shrinks to [hi + 1, ...) */
			leaf_uncount(s, 0, leaf_hi(l, l->n - 1) + 1, s->lo[0] - 1);
		else		/* l's last range moves out */
			leaf_uncount(l, l->n - 1,
				     leaf_gap_lo(l, l->n - 1, p->pred[ld]),
				     l->lo[l->n - 1] - 1);
		leaf_copy(t, s, 1, s, 0, s->n);
		if (pos == l->n) {
			leaf_set(t, s, 0, lo, hi, rb, udata);
		} else {
			leaf_copy(t, s, 0, l, l->n - 1, 1);
			leaf_copy(t, l, pos + 1, l, pos, l->n - 1 - pos);
			leaf_set(t, l, pos, lo, hi, rb, udata);
		}
		s->n++;
	} else {
		return false;
	}
	set_slot(par, i, l, true, child_pred(par, i, ppred));
	if (i + 1 < par->n)
		set_slot(par, i + 1, par->child[i + 1], true,
			 child_pred(par, i + 1, ppred));
	fix_up(t, p, ld - 1);
	return true;
}

/* Insert [lo, hi] at position pos of the leaf at the end of path p. */
static void insert_path(struct iova_index *t, struct iova_index_cursor *p, unsigned int pos,
			uint64_t lo, uint64_t hi, unsigned int rb, void *udata)
{
	uint32_t ld = t->height - 1;
	struct iova_index_leaf *l = p->node[ld];
	uint64_t a;	/* the gap being split starts at a */

	iova_assert(iova_index_pool_ready(t), "iova_index_insert without a ready pool");
	iova_assert(lo <= hi && lo >= t->start && hi <= t->end,
		    "iova_index_insert: range outside the domain");
	a = leaf_gap_lo(l, pos, p->pred[ld]);
	iova_assert(a <= lo, "iova_index_insert: range overlaps its predecessor");
	/* The new range owns [a, lo); the successor now owns [hi + 1, ...). */
	rb = (rb & RB_RSV) | (a < lo ? RB_GAP : 0);
	/* The gap [a, b) splits into [a, lo) and [hi + 1, b). */
	t->free_gaps += nonempty(a, lo);
	if (pos < l->n) {
		iova_assert(l->lo[pos] > hi, "iova_index_insert: range overlaps");
		t->free_gaps += nonempty(hi + 1, l->lo[pos]);
		t->free_gaps -= nonempty(a, l->lo[pos]);
	} else {
		/* Tail: non-empty before; after iff hi < end. */
		t->free_gaps += (hi < t->end) ? 1 : 0;
		t->free_gaps -= 1;
	}
	t->count++;

	if (pos < l->n) {
		leaf_uncount(l, pos, a, l->lo[pos] - 1);	/* it shrinks */
		set_bit_to(&l->gmask, pos, hi + 1 < l->lo[pos]);
	}
	if (l->n < IOVA_INDEX_LEAF_CAP) {
		bool same = pos < l->n && split_keeps_summary(t, p, a, l->lo[pos]);

		leaf_insert_at(t, l, pos, lo, hi, rb, udata);
		if (!same)	/* else neither key nor summaries changed */
			fix_up_leaf(p, (int)ld);
		return;
	}
	if (ld > 0 && shift_to_sibling(t, p, l, pos, lo, hi, rb, udata))
		return;
	link_left(t, p, (int)ld, split_leaf(t, l, pos, lo, hi, rb, udata));
}

void iova_index_insert(struct iova_index *t, uint64_t lo, uint64_t hi, bool rsv,
		       void *udata)
{
	struct iova_index_cursor p;
	struct iova_index_leaf *l = descend(t, lo, &p);

	iova_index_write_begin(t);
	insert_path(t, &p, leaf_lower_bound(l, lo), lo, hi, rsv ? RB_RSV : 0,
		    udata);
	iova_index_write_end(t);
}

void iova_index_insert_at(struct iova_index *t, struct iova_index_cursor *c, uint64_t lo,
			  uint64_t hi, bool rsv, void *udata)
{
	if (!c->valid) {
		iova_index_insert(t, lo, hi, rsv, udata);
		return;
	}
	iova_assert(c->height == t->height, "insert at a stale cursor");
	c->valid = false;
	iova_index_write_begin(t);
	insert_path(t, c, c->pos, lo, hi, rsv ? RB_RSV : 0, udata);
	iova_index_write_end(t);
}

/* ------------------------------------------------------------------ */
/* Erase                                                               */

/*
 * Node p->node[d] (not the root) may be underfull: merge it into a sibling
 * when both fit in MERGE_*; remove an empty node.  Walks up while parents
 * shrink.  Collapses a root with one child.
 */
static uint32_t node_count(const void *node, bool is_leaf)
{
	return is_leaf ? ((const struct iova_index_leaf *)node)->n
		       : ((const struct iova_index_inner *)node)->n;
}

/*
 * Append the ranges of ls to ld (which has room) without taking a node: an
 * erase cannot.  If only ls has high halves, its block moves to ld.
 */
static void leaf_absorb(struct iova_index *t, struct iova_index_leaf *ld,
			struct iova_index_leaf *ls)
{
	if (ls->ext && !ld->ext) {
		uint32_t *e = ls->ext;

		ls->ext = NULL;
		leaf_copy(t, ld, ld->n, ls, 0, ls->n);	/* neither has a block */
		iova_memmove(&e[ld->n], &e[0], ls->n * sizeof(uint32_t));
		iova_memset(&e[0], 0, ld->n * sizeof(uint32_t));
		ld->ext = e;
	} else {
		leaf_copy(t, ld, ld->n, ls, 0, ls->n);
	}
	ld->n += ls->n;
}

static void rebalance(struct iova_index *t, struct iova_index_cursor *p, int d)
{
	for (; d > 0; d--) {
		bool is_leaf = (uint32_t)d == t->height - 1;
		struct iova_index_inner *par = p->node[d - 1];
		unsigned int i = p->idx[d - 1], li;
		uint32_t n = node_count(par->child[i], is_leaf);
		uint32_t cap = is_leaf ? MERGE_LEAF : MERGE_INNER;
		uint64_t ppred = p->pred[d - 1];

		if (n == 0) {
			/* Drop the empty child i; it owned no gap. */
			drop_node(t, par->child[i], is_leaf);
			inner_copy(par, i, par, i + 1, par->n - i - 1);
			par->n--;
			/* The next child's pred_end moved down. */
			if (i < par->n)
				set_slot(par, i, par->child[i], is_leaf,
					 child_pred(par, i, ppred));
		} else {
			void *dst, *src;

			if (i > 0 && node_count(par->child[i - 1], is_leaf) + n <= cap)
				li = i - 1;
			else if (i + 1 < par->n &&
				 node_count(par->child[i + 1], is_leaf) + n <= cap)
				li = i;
			else
				break;
			/* Move every entry of child li + 1 into child li. */
			dst = par->child[li];
			src = par->child[li + 1];
			if (is_leaf) {
				leaf_absorb(t, dst, src);
			} else {
				struct iova_index_inner *id = dst, *is = src;

				inner_copy(id, id->n, is, 0, is->n);
				id->n += is->n;
			}
			drop_node(t, src, is_leaf);
			inner_copy(par, li + 1, par, li + 2, par->n - li - 2);
			par->n--;
			set_slot(par, li, dst, is_leaf, child_pred(par, li, ppred));
		}
		/* An emptied parent is dropped at the next level up. */
		if (par->n)
			fix_up(t, p, d - 1);
	}
	/* Collapse single-child inner roots. */
	while (t->height > 1 && ((struct iova_index_inner *)t->root)->n == 1) {
		struct iova_index_inner *root = t->root;

		t->root = root->child[0];
		drop_node(t, root, false);
		t->height--;
	}
}

/*
 * Refresh the leaf that holds the first range with hi >= pfn (whose gap
 * just grew because its predecessor, in another leaf, was erased).
 */
static void refresh_at(struct iova_index *t, uint64_t pfn)
{
	struct iova_index_cursor p;
	struct iova_index_leaf *l = descend(t, pfn, &p);
	unsigned int j;

	/* Its gap now holds the erased range, so it is not empty. */
	j = leaf_lower_bound(l, pfn);
	/*
	 * The erase took this gap out of the counts already; a rebuild since
	 * (a rebalance refreshes slots) may have counted it again at its
	 * current extent, which is what to take out now.
	 */
	leaf_uncount(l, j, leaf_gap_lo(l, j, p.pred[t->height - 1]), l->lo[j] - 1);
	l->gmask |= UINT64_C(1) << j;
	l->hmask |= UINT64_C(1) << j;
	fix_up_leaf(&p, (int)t->height - 1);
}

bool iova_index_find_at(struct iova_index *t, uint64_t pfn,
			struct iova_index_range *out, struct iova_index_cursor *c)
{
	struct iova_index_leaf *l = descend(t, pfn, c);
	unsigned int j = leaf_lower_bound(l, pfn);

	c->height = t->height;
	if (j == l->n || l->lo[j] > pfn)
		return false;
	leaf_get(t, l, j, out);
	c->pos = j;
	return true;
}

static void erase_found(struct iova_index *t, struct iova_index_cursor *p,
			const struct iova_index_range *found);

bool iova_index_erase(struct iova_index *t, uint64_t pfn, bool must_start, bool rsv,
		      struct iova_index_range *out)
{
	struct iova_index_cursor c;
	struct iova_index_range r;

	if (!iova_index_find_at(t, pfn, &r, &c) || (must_start && r.lo != pfn) ||
	    r.rsv != rsv)
		return false;
	if (out)
		*out = r;
	erase_found(t, &c, &r);
	return true;
}

void iova_index_erase_at(struct iova_index *t, struct iova_index_cursor *c,
			 struct iova_index_range *out)
{
	struct iova_index_range r;

	iova_assert(c->height == t->height &&
		    c->pos < ((struct iova_index_leaf *)c->node[t->height - 1])->n,
		    "erase at a cursor iova_index_find_at() did not just fill");
	leaf_get(t, c->node[t->height - 1], c->pos, &r);
	if (out)
		*out = r;
	erase_found(t, c, &r);
}

/* Erase found, the range at p's leaf position, which iova_index_find_at() filled. */
static void erase_found(struct iova_index *t, struct iova_index_cursor *p,
			const struct iova_index_range *found)
{
	uint32_t ld = t->height - 1;
	struct iova_index_leaf *l = p->node[ld];
	unsigned int j = p->pos;
	const struct iova_index_range r = *found;
	uint64_t a;
	bool last_in_leaf, next_exists;

	iova_index_write_begin(t);

	/* The gaps [a, r.lo) and [r.hi + 1, next) merge into one. */
	a = leaf_gap_lo(l, j, p->pred[ld]);
	last_in_leaf = j + 1 == l->n;
	if (!last_in_leaf) {
		t->free_gaps += 1 - nonempty(a, r.lo) -
				nonempty(r.hi + 1, l->lo[j + 1]);
		next_exists = true;
	} else {
		struct iova_index_range nx;

		next_exists = r.hi < UINT64_MAX && iova_index_find_next(t, r.hi + 1, &nx);
		if (next_exists) {
			/*
			 * The successor's gap, in the next leaf, grows: take its
			 * current extent out of that leaf's counts now, before
			 * a rebalance can move it or rebuild that leaf.
			 */
			struct iova_index_cursor q;
			struct iova_index_leaf *nl = descend(t, r.hi + 1, &q);
			unsigned int nj = leaf_lower_bound(nl, r.hi + 1);

			if (r.hi + 1 < nl->lo[nj])
				leaf_uncount(nl, nj, r.hi + 1, nl->lo[nj] - 1);
		}
		if (next_exists)
			t->free_gaps += 1 - nonempty(a, r.lo) -
					nonempty(r.hi + 1, nx.lo);
		else
			t->free_gaps += 1 - nonempty(a, r.lo) -
					(r.hi < t->end ? 1 : 0);
	}
	t->count--;

	/* Both gaps change: take them out of the leaf's counts. */
	if (a < r.lo)
		leaf_uncount(l, j, a, r.lo - 1);
	if (!last_in_leaf && r.hi + 1 < l->lo[j + 1])
		leaf_uncount(l, j + 1, r.hi + 1, l->lo[j + 1] - 1);
	leaf_copy(t, l, j, l, j + 1, l->n - j - 1);
	l->n--;
	leaf_trim_bits(l);
	if (!last_in_leaf) {
		/* The successor in this leaf now owns [a, its lo): only grew. */
		struct iova_index_sum run;

		l->gmask |= UINT64_C(1) << j;
		l->hmask |= UINT64_C(1) << j;	/* it grew */
		run_sum(a, l->lo[j] - 1, &run);
		bump_up(p, (int)ld, &run);
	} else if (l->n) {
		fix_up_leaf(p, (int)ld);
	}
	if (ld > 0)
		rebalance(t, p, (int)ld);
	/* A successor in another leaf owns the grown gap. */
	if (last_in_leaf && next_exists)
		refresh_at(t, r.hi + 1);
	iova_index_write_end(t);
}

/* ------------------------------------------------------------------ */
/* Search                                                              */

struct search {
	struct iova_index *t;
	const struct iova_req *r;
	bool top;
	uint64_t pfn;
	struct iova_index_cursor *c;	/* records the path to the chosen gap */
};

static bool fit_run(struct search *s, uint64_t a, uint64_t b)
{
	return s->top ? iova_fit_top(s->r, a, b, &s->pfn)
		      : iova_fit_bottom(s->r, a, b, &s->pfn);
}

static bool search_leaf(struct search *s, const struct iova_index_leaf *l,
			uint64_t pred)
{
	const struct iova_req *r = s->r;
	unsigned int n = l->n, j0;
	uint64_t m;

	if (!n)
		return false;
	/*
	 * Only ranges with a non-empty gap (gmask) are visited, starting at
	 * the one whose gap holds the near bound: top-down, the gaps of ranges
	 * after the first one with hi >= max start above max; bottom-up, the
	 * gaps of ranges before the first one with hi > min end below min.
	 */
	if (s->top) {
		/* Usually the whole leaf lies below max: no binary search. */
		j0 = leaf_hi(l, n - 1) < r->max ? n - 1 : leaf_lower_bound(l, r->max);
		m = l->gmask & low_bits((j0 < n ? j0 : n - 1) + 1);
	} else {
		/* Usually the whole leaf lies above min: no binary search. */
		j0 = r->min < l->lo[0] ? 0 :
		     r->min == UINT64_MAX ? n : leaf_lower_bound(l, r->min + 1);
		m = l->gmask & ~low_bits(j0);
	}
	/*
	 * The gaps that are not candidates are at or below the thresholds in
	 * every part (invariant 7), and the test only grows with them: if
	 * the thresholds cannot fit the request, only candidates can.
	 */
	if (iova_req_test(r, l->th[0], l->th[1], l->th[2]) == IOVA_FIT_NO)
		m &= l->hmask;
	while (m) {
		unsigned int j = s->top ? iova_flog2(m) : iova_ctz64(m);
		uint64_t a = leaf_gap_lo(l, j, pred), b = l->lo[j] - 1;

		m &= ~(UINT64_C(1) << j);
		if (s->top ? b < r->min : a > r->max)
			break;		/* every later gap is out of bounds */
		if (b - a < r->size - 1)
			continue;	/* too short, clipped or not */
		if (fit_run(s, a, b)) {
			if (s->c) {
				uint32_t ld = s->t->height - 1;

				s->c->node[ld] = (void *)l;
				s->c->pred[ld] = pred;
				s->c->pos = j;	/* the new range goes before j */
				s->c->height = s->t->height;
				s->c->valid = true;
			}
			return true;
		}
	}
	return false;
}

static bool search_node(struct search *s, const void *node, uint32_t d,
			uint64_t pred);

/*
 * Try child i of in (pred_end pred): 1 if the placement was found below
 * it, 0 to go on with the next child, -1 to stop (every later child lies
 * past the far bound).
 */
static inline int search_child(struct search *s, const struct iova_index_inner *in,
			       unsigned int i, uint32_t d, uint64_t pred)
{
	const struct iova_req *r = s->r;
	uint64_t cp = child_pred(in, i, pred);
	enum iova_fit f;

	/* Gaps of child i lie inside [cp, key[i] - 1]. */
	if (s->top) {
		if (in->key[i] <= r->min)
			return -1;
		if (cp > r->max)
			return 0;
	} else {
		if (cp > r->max)
			return -1;
		if (in->key[i] <= r->min)
			return 0;
	}
	f = iova_req_test(r, in->gap[i], in->akey[i], in->tkey[i]);
	if (f == IOVA_FIT_NO)
		return 0;
	if (s->c) {
		s->c->node[d] = (void *)in;
		s->c->idx[d] = i;
		s->c->pred[d] = pred;
	}
	if (search_node(s, in->child[i], d + 1, cp))
		return 1;
	/* Only an edge child or an inexact test may come back empty. */
	iova_assert_internal(f == IOVA_FIT_MAYBE || cp < r->min ||
			     in->key[i] - 1 > r->max,
			     "gaptree: exact summary led nowhere");
	s->t->search_backtracks++;
	return 0;
}

static bool search_node(struct search *s, const void *node, uint32_t d,
			uint64_t pred)
{
	const struct iova_index_inner *in = node;
	const struct iova_req *r = s->r;
	const uint64_t *v;	/* the summary the loops scan, against thr */
	uint64_t thr;
	unsigned int n, i, end;
	uint32_t m;
	int got;

	s->t->search_nodes++;
	if (d + 1 == s->t->height)
		return search_leaf(s, node, pred);
	/*
	 * Start at the child that holds the near bound: for top-down, every
	 * child after the first one with key >= max starts above max.  The
	 * loops skip children whose largest gap is too short (necessary for
	 * every request) before anything else; for a size-aligned request,
	 * whose aligned-run key answers exactly (Cond A) and implies
	 * gap >= size, they skip on the key, so long but misaligned gaps
	 * cost no call either.
	 */
	if (r->mode == IOVA_REQ_KEY) {
		v = in->akey;
		thr = r->q;
	} else {
		v = in->gap;
		thr = r->size;
	}
	n = in->n;
	m = inner_gaps(in);	/* children without a gap cannot fit */
	if (s->top) {
		i = n - 1;
		if (n > 1 && in->key[n - 2] >= r->max)
			i = inner_lower_bound(in, r->max);
		/* From the last child with a gap down to the first one. */
		if (!gap_span(m & (uint32_t)low_bits(i + 1), &end, &i))
			return false;
		for (;; i--) {
			if (v[i] >= thr) {
				got = search_child(s, in, i, d, pred);
				if (got)
					return got > 0;
			}
			if (i == end)
				return false;
		}
	}
	i = r->min == UINT64_MAX ? n : inner_lower_bound(in, r->min + 1);
	if (!gap_span(m & ~(uint32_t)low_bits(i), &i, &end))
		return false;
	for (; i <= end; i++) {
		if (v[i] < thr)
			continue;
		got = search_child(s, in, i, d, pred);
		if (got)
			return got > 0;
	}
	return false;
}

bool iova_index_search(struct iova_index *t, const struct iova_req *req, bool top_down,
		       uint64_t *pfn, struct iova_index_cursor *c)
{
	struct search s = { .t = t, .r = req, .top = top_down, .c = c };

	if (c)
		c->valid = false;
	uint64_t ta = 0;
	bool tail = tail_gap(t, &ta);

	if (top_down && tail && fit_run(&s, ta, t->end))
		goto found;
	if (search_node(&s, t->root, 0, t->start))
		goto found;
	if (!top_down && tail && fit_run(&s, ta, t->end))
		goto found;
	return false;
found:
	*pfn = s.pfn;
	return true;
}

/* ------------------------------------------------------------------ */
/* Largest gap inside bounds                                           */

static uint64_t clipped(uint64_t a, uint64_t b, uint64_t min, uint64_t max)
{
	a = iova_max64(a, min);
	b = iova_min64(b, max);
	return a > b ? 0 : iova_span(a, b);
}

static uint64_t largest_node(struct iova_index *t, const void *node, uint32_t d,
			     uint64_t pred, uint64_t min, uint64_t max)
{
	uint64_t best = 0;
	unsigned int i;

	t->search_nodes++;
	if (d + 1 == t->height) {
		const struct iova_index_leaf *l = node;
		uint64_t m;

		for (m = l->gmask; m; m &= m - 1) {
			unsigned int j = iova_ctz64(m);

			best = iova_max64(best, clipped(leaf_gap_lo(l, j, pred),
							l->lo[j] - 1, min, max));
		}
		return best;
	}
	{
		const struct iova_index_inner *in = node;
		unsigned int end;

		if (!gap_span(inner_gaps(in), &i, &end))
			return 0;
		for (; i <= end; i++) {
			uint64_t cp = child_pred(in, i, pred);

			if (in->key[i] <= min || cp > max || in->gap[i] <= best)
				continue;
			if (cp >= min && in->key[i] - 1 <= max)
				best = in->gap[i];	/* inside: exact */
			else
				best = iova_max64(best, largest_node(t, in->child[i],
								     d + 1, cp,
								     min, max));
		}
	}
	return best;
}

uint64_t iova_index_largest_gap(struct iova_index *t, uint64_t min, uint64_t max)
{
	uint64_t ta = 0, best = largest_node(t, t->root, 0, t->start, min, max);

	if (tail_gap(t, &ta))
		best = iova_max64(best, clipped(ta, t->end, min, max));
	return best;
}

/* ------------------------------------------------------------------ */
/* Walk, bytes, validate                                               */

static int walk_node(const struct iova_index *t, const void *node, uint32_t d,
		     int (*fn)(const struct iova_index_range *, void *), void *arg)
{
	unsigned int i;
	int ret;

	if (d + 1 == t->height) {
		const struct iova_index_leaf *l = node;
		struct iova_index_range r;

		for (i = 0; i < l->n; i++) {
			leaf_get(t, l, i, &r);
			ret = fn(&r, arg);
			if (ret)
				return ret;
		}
		return 0;
	}
	for (i = 0; i < ((const struct iova_index_inner *)node)->n; i++) {
		ret = walk_node(t, ((const struct iova_index_inner *)node)->child[i],
				d + 1, fn, arg);
		if (ret)
			return ret;
	}
	return 0;
}

int iova_index_walk(const struct iova_index *t,
		    int (*fn)(const struct iova_index_range *r, void *arg), void *arg)
{
	return walk_node(t, t->root, 0, fn, arg);
}

uint64_t iova_index_bytes(const struct iova_index *t)
{
	return (t->nr_leaves + t->pool.nr_leaves) * (uint64_t)t->leaf_size +
	       (t->nr_inners + t->nr_exts + t->pool.nr_inners) *
	       (uint64_t)sizeof(struct iova_index_inner);
}

struct vstate {
	const struct iova_index *t;
	uint64_t next;		/* pred_end expected for the next range */
	bool any;		/* a range has been seen */
	bool at_top;		/* the last range seen ends at UINT64_MAX */
	uint64_t count, gaps, leaves, inners, exts;
	uint64_t pages_live, pages_rsv, ranges_rsv;
};

/* Validate the subtree; on success return its summaries and last hi. */
static const char *validate_node(struct vstate *v, const void *node,
				 uint32_t d, uint64_t pred, bool is_root,
				 struct iova_index_sum *sum, uint64_t *last)
{
	const struct iova_index *t = v->t;
	unsigned int i;

	if (pred != v->next)
		return "4) pred_end passed down differs from the previous hi + 1";
	if (d + 1 == t->height) {
		const struct iova_index_leaf *l = node;

		v->leaves++;
		v->exts += l->ext ? 1 : 0;
		if (l->n > IOVA_INDEX_LEAF_CAP)
			return "3) leaf over capacity";
		if (!is_root && l->n == 0)
			return "3) empty non-root leaf";
		if ((l->rsv | l->gmask) & ~low_bits(l->n))
			return "1) a flag bit is set beyond the leaf's ranges";
		for (i = 0; i < l->n; i++) {
			uint64_t lo = l->lo[i], hi = leaf_hi(l, i), sz;
			bool gap = lo > leaf_gap_lo(l, i, pred);

			if (lo > hi)
				return "1) range with lo > hi";
			if (lo < t->start || hi > t->end)
				return "1) range outside the domain";
			if (v->at_top || (v->any && lo < v->next))
				return "1) ranges overlap or are out of order";
			if (lo > v->next)
				v->gaps++;
			if (((l->gmask >> i) & 1) != gap)
				return "2) a leaf's gap bit differs from its gap";
			sz = hi - lo + 1;	/* page counts are mod 2^64 */
			if ((l->rsv >> i) & 1) {
				v->pages_rsv += sz;
				v->ranges_rsv++;
			} else {
				v->pages_live += sz;
			}
			v->count++;
			v->any = true;
			v->at_top = hi == UINT64_MAX;
			v->next = hi + 1;	/* wraps only for the very last */
		}
		leaf_summary_full(l, pred, sum);
		{
			unsigned int c0 = 0, c1 = 0, c2 = 0;

			for (i = 0; i < l->n; i++) {
				uint64_t a = leaf_gap_lo(l, i, pred);
				uint64_t b = l->lo[i] - 1, g, ak, tk;

				if (!((l->gmask >> i) & 1) || ((l->hmask >> i) & 1))
					continue;
				g = b - a + 1;
				ak = iova_run_key(a, b);
				tk = iova_point_key(a, b);
				if (g > l->th[0] || ak > l->th[1] || tk > l->th[2])
					return "7) a gap above a threshold is not a candidate";
				c0 += g == l->th[0];
				c1 += ak == l->th[1];
				c2 += tk == l->th[2];
			}
			if (c0 != l->cnt[0] || c1 != l->cnt[1] || c2 != l->cnt[2])
				return "7) a leaf's threshold counts differ";
		}
		*last = l->n ? leaf_hi(l, l->n - 1) : 0;
		return NULL;
	}
	{
		const struct iova_index_inner *in = node;

		v->inners++;
		if (in->n > IOVA_INDEX_INNER_CAP)
			return "3) inner node over capacity";
		if (in->n < 1 || (is_root && in->n < 2))
			return "3) inner node with too few children";
		uint64_t sec[3] = { 0, 0, 0 };

		sum->gap = 0;
		sum->akey = 0;
		sum->tkey = 0;
		for (i = 0; i < in->n; i++) {
			struct iova_index_sum cs;
			uint64_t cl;
			const char *why;

			why = validate_node(v, in->child[i], d + 1,
					    child_pred(in, i, pred), false,
					    &cs, &cl);
			if (why)
				return why;
			if (in->key[i] != cl)
				return "4) key differs from the child's last hi";
			if (in->gap[i] != cs.gap)
				return "5) gap summary differs from a recompute";
			if (((in->gmask >> i) & 1) != !!cs.gap)
				return "5) an inner gap bit differs from its gap";
			if (in->akey[i] != cs.akey)
				return "5) aligned-run key differs from a recompute";
			if (in->tkey[i] != cs.tkey)
				return "5) aligned-point key differs from a recompute";
			top2_add(&sum->gap, &sec[0], cs.gap);
			top2_add(&sum->akey, &sec[1], cs.akey);
			top2_add(&sum->tkey, &sec[2], cs.tkey);
		}
		for (i = 0; i < 3; i++)
			if (((in->sec_ok >> i) & 1) && in->sec[i] != sec[i])
				return "5) a known second-largest summary differs from a recompute";
		*last = in->key[in->n - 1];
		return NULL;
	}
}

const char *iova_index_validate(const struct iova_index *t, uint64_t *pages_live,
				uint64_t *pages_rsv, uint64_t *ranges_rsv)
{
	struct vstate v = { .t = t, .next = t->start };
	struct iova_index_sum sum;
	uint64_t last;
	const char *why;

	if (!t->root || t->height < 1 || t->height > IOVA_INDEX_MAX_HEIGHT)
		return "3) bad root or height";
	if (t->start > t->end)
		return "1) start > end";
	why = validate_node(&v, t->root, 0, t->start, true, &sum, &last);
	if (why)
		return why;
	/* The tail gap [last + 1, end]. */
	if (!v.any || last < t->end)
		v.gaps++;
	if (v.count != t->count)
		return "6) range count differs";
	if (v.gaps != t->free_gaps)
		return "6) free gap count differs";
	if (v.leaves != t->nr_leaves || v.inners != t->nr_inners ||
	    v.exts != t->nr_exts)
		return "6) node counts differ";
	if (pages_live)
		*pages_live = v.pages_live;
	if (pages_rsv)
		*pages_rsv = v.pages_rsv;
	if (ranges_rsv)
		*ranges_rsv = v.ranges_rsv;
	return NULL;
}
