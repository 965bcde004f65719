/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Placement arithmetic, pure and portable: where a request fits inside one
 * free run, the aligned-run key that summarises a run, and the pruning test
 * the index applies to a subtree summary.
 *
 * The aligned-run key of a free run [a, b]:
 *   m = the largest order such that [a, b] holds a whole 2^m-aligned block
 *       of 2^m pfns;
 *   F = b - x + 1 where x is the first 2^(m+1)-aligned pfn >= a (0 if x > b),
 *       i.e. the longest fit that starts on a 2^(m+1) boundary;
 *   key = (m + 1) << 57 | min(F, KEY_FMAX).
 * For a size-aligned request (align 2^k, 2^(k-1) < size <= 2^k, k >= 1) a
 * run fits it iff key >= (k << 57 | size)  [Cond A, exact]:
 *   m >= k:     the run holds an aligned 2^k block, so it fits, and the key's
 *               order m + 1 > k;
 *   m == k - 1: F is exactly the longest fit from a 2^k boundary;
 *   m < k - 1:  a fit would hold an aligned 2^(k-1) block, so none exists.
 * Unaligned requests use the largest gap: fits iff gap >= size [Cond G,
 * exact].
 *
 * The aligned-point key of [a, b]: t = the largest alignment order of a pfn
 * in the run (the pfn x with the most trailing zeros is unique; t = 64 for
 * pfn 0) and L = b - x + 1; key = t << 57 | min(L, KEY_FMAX).  For an
 * over-aligned request (align 2^k, size <= 2^(k-1)), a run with m + 1 < k
 * holds at most one 2^k-aligned pfn, which is then x: it fits iff t >= k and
 * L >= size.  With Cond A for the runs with m + 1 >= k [Cond P, exact]:
 *   a subtree fits iff akey >= (k << 57 | size), or some run has t >= k and
 *   L >= size; the maximum tkey (T, L_T) answers the second part exactly
 *   when T < k (none) or L_T >= size (yes), and only otherwise is the
 *   subtree entered on hope.
 * Under-aligned requests (size > align) use a sufficient test (a fit
 * aligned to roundup_pow_of_two(size), or gap >= size + align - 1) and
 * necessary ones, and may look inside a subtree that turns out not to fit
 * (a backtrack).  All three keys only shrink on a sub-run, which lets an
 * insert skip recomputing a summary and lets an erase raise it with a max.
 *
 * What is not bounded, and why.  A request (size s, align 2^k) fits a run
 * [a, b] iff R_k = b - roundup(a, 2^k) + 1 >= s, so a subtree fits iff
 * W_k = max over its runs of R_k reaches s: one maximum per order k.  The
 * three maxima above determine W_k only when s is in (2^(k-1), 2^k] (Cond
 * A) or s = 1 (Cond P: L >= 1 always), and s <= gap for align 1 (Cond G).
 * For every other shape two subtrees can have equal summaries while only
 * one of them fits, so no test on the summaries is exact:
 *   over-aligned, size 3 align 8: {[16, 16], [4, 6]} does not fit,
 *     {[16, 16], [8, 10]} fits at 8; both have gap 3, akey (2, 3) and
 *     tkey (4, 1);
 *   under-aligned, size 3 align 2: {[3, 5]} does not fit, {[3, 5],
 *     [10, 12]} fits at 10; both have gap 3, akey (2, 2), tkey (2, 2).
 * When every leaf looks like the first set of such a pair (every gap one
 * pfn short of a fit: test_complexity's "size 2 align 8" and "size 3
 * align 2" layouts) a request that cannot be placed enters every subtree
 * on hope and visits every node: O(n / 60), about 17,000 nodes at 1e6
 * ranges.  A placeable request stops at the first fit, and results are
 * exact in every case.  Bounding them would take the W_k themselves, up
 * to 64 words per child slot (about +5 bytes per range for the leaves'
 * slots alone), which the hot paths and the memory target do not allow.
 */
#ifndef IOVA_DOMAIN_POLICY_H
#define IOVA_DOMAIN_POLICY_H

#include "../env.h"

#define IOVA_KEY_SHIFT 57
#define IOVA_KEY_FMAX ((UINT64_C(1) << IOVA_KEY_SHIFT) - 1)

enum iova_req_mode {
	IOVA_REQ_GAP,		/* align == 1: Cond G */
	IOVA_REQ_KEY,		/* size-aligned: Cond A */
	IOVA_REQ_BOUNDS,	/* anything else: bounds only */
};

struct iova_req {
	uint64_t size, align;	/* align: power of two */
	uint64_t min, max;	/* inclusive, clamped to the domain */
	uint64_t q;		/* key query (KEY, and sufficient for BOUNDS) */
	uint64_t suff_gap;	/* gap >= this guarantees a fit (0: never) */
	uint32_t k;		/* log2(align) */
	bool over;		/* over-aligned: size <= align / 2 (Cond P) */
	enum iova_req_mode mode;
};

enum iova_fit { IOVA_FIT_NO = 0, IOVA_FIT_YES = 1, IOVA_FIT_MAYBE = 2 };

/* Prepare a request; size >= 1, align a power of two, min <= max. */
void iova_req_init(struct iova_req *r, uint64_t size, uint64_t align,
		   uint64_t min, uint64_t max);

/* Can a subtree with these summaries hold a fit (ignoring the bounds)? */
static inline enum iova_fit iova_req_test(const struct iova_req *r,
					  uint64_t gap, uint64_t akey,
					  uint64_t tkey)
{
	unsigned int ord;

	if (gap < r->size)
		return IOVA_FIT_NO;
	switch (r->mode) {
	case IOVA_REQ_GAP:
		return IOVA_FIT_YES;
	case IOVA_REQ_KEY:
		return akey >= r->q ? IOVA_FIT_YES : IOVA_FIT_NO;
	default:
		break;
	}
	if ((r->q && akey >= r->q) || (r->suff_gap && gap >= r->suff_gap))
		return IOVA_FIT_YES;
	if (r->over) {	/* Cond P */
		if ((tkey >> IOVA_KEY_SHIFT) < r->k)
			return IOVA_FIT_NO;
		return (tkey & IOVA_KEY_FMAX) >= r->size ? IOVA_FIT_YES
							  : IOVA_FIT_MAYBE;
	}
	/*
	 * Under-aligned (size > 2^k): a fit holds a whole aligned 2^k block, so
	 * its run has order m >= k, i.e. key order m + 1 > k.
	 */
	ord = (unsigned int)(akey >> IOVA_KEY_SHIFT);
	if (r->q && ord <= r->k)
		return IOVA_FIT_NO;
	return IOVA_FIT_MAYBE;
}

/*
 * A bound strictly above the aligned-run key of any run of len pfns: the
 * order m of such a run is at most floor(log2 len).
 */
static inline uint64_t iova_run_key_bound(uint64_t len)
{
	return (uint64_t)(iova_flog2(len) + 2) << IOVA_KEY_SHIFT;
}

/* Pfns in [a, b], a <= b, saturating at UINT64_MAX. */
static inline uint64_t iova_span(uint64_t a, uint64_t b)
{
	uint64_t d = b - a;

	return d == UINT64_MAX ? UINT64_MAX : d + 1;
}

/* Round a up to a multiple of 2^order; false if that passes UINT64_MAX. */
static inline bool iova_round_up_order(uint64_t a, unsigned int order,
				       uint64_t *out)
{
	uint64_t mask;

	if (order >= 64) {
		*out = 0;
		return a == 0;
	}
	mask = (UINT64_C(1) << order) - 1;
	if (!(a & mask)) {
		*out = a;
		return true;
	}
	if ((a | mask) == UINT64_MAX)
		return false;
	*out = (a | mask) + 1;
	return true;
}

/* Does [a, b] hold a whole 2^order-aligned block of 2^order pfns? */
static inline bool iova_holds_block(uint64_t a, uint64_t b,
				    unsigned int order)
{
	uint64_t x;

	if (order >= 64)
		return a == 0 && b == UINT64_MAX;
	if (!iova_round_up_order(a, order, &x) || x > b)
		return false;
	return b - x >= (UINT64_C(1) << order) - 1;
}

/* The aligned-run key of the free run [a, b], a <= b. */
static inline uint64_t iova_run_key(uint64_t a, uint64_t b)
{
	uint64_t len = iova_span(a, b), x, f = 0;
	unsigned int m;

	/*
	 * Fast path, when no rounding below can pass UINT64_MAX: b < 2^63
	 * (so a + 2^(m + 1) - 1 <= b + len <= 2b + 1 fits) and the key's
	 * length part cannot saturate.
	 */
	if (iova_likely(b < (UINT64_C(1) << 56))) {
		uint64_t mask, mask2;

		m = iova_flog2(len);
		mask = (UINT64_C(1) << m) - 1;
		/* [a, b] holds the 2^m block at roundup(a) unless it ends past b */
		if (((a + mask) & ~mask) + mask > b)
			m--;	/* then m >= 1: a run of one pfn holds a block */
		mask2 = (UINT64_C(2) << m) - 1;
		x = (a + mask2) & ~mask2;
		f = x <= b ? b - x + 1 : 0;
		return (uint64_t)(m + 1) << IOVA_KEY_SHIFT | f;
	}

	if (a == 0 && b == UINT64_MAX) {
		m = 64;
	} else {
		/*
		 * Any 2^j consecutive pfns hold an aligned 2^(j-1) block, so
		 * with j = floor(log2 len) the order m is j or j - 1.
		 */
		m = iova_flog2(len);
		if (m && !iova_holds_block(a, b, m))
			m--;
	}
	if (iova_round_up_order(a, m + 1, &x) && x <= b)
		f = iova_span(x, b);
	return (uint64_t)(m + 1) << IOVA_KEY_SHIFT | iova_min64(f, IOVA_KEY_FMAX);
}

/* The aligned-point key of the free run [a, b], a <= b. */
static inline uint64_t iova_point_key(uint64_t a, uint64_t b)
{
	uint64_t x = 0;
	unsigned int t = 64;

	if (a) {
		/* Keep b's bits from the highest one where a - 1 and b differ. */
		x = b & ~((UINT64_C(1) << iova_flog2((a - 1) ^ b)) - 1);
		t = iova_ctz64(x);
	}
	return (uint64_t)t << IOVA_KEY_SHIFT |
	       iova_min64(iova_span(x, b), IOVA_KEY_FMAX);
}

/*
 * The highest (top) or lowest start x in the free run [a, b] intersected
 * with [r->min, r->max] such that x % align == 0 and [x, x + size - 1] lies
 * in both.  Returns false if there is none.
 */
static inline bool iova_fit_top(const struct iova_req *r, uint64_t a,
				uint64_t b, uint64_t *x)
{
	uint64_t lo = iova_max64(a, r->min), hi = iova_min64(b, r->max), s;

	if (lo > hi || hi - lo < r->size - 1)
		return false;
	s = (hi - (r->size - 1)) & ~(r->align - 1);
	if (s < lo)
		return false;
	*x = s;
	return true;
}

static inline bool iova_fit_bottom(const struct iova_req *r, uint64_t a,
				   uint64_t b, uint64_t *x)
{
	uint64_t lo = iova_max64(a, r->min), hi = iova_min64(b, r->max), s;

	if (lo > hi || !iova_round_up_order(lo, r->k, &s) || s > hi ||
	    hi - s < r->size - 1)
		return false;
	*x = s;
	return true;
}

#endif /* IOVA_DOMAIN_POLICY_H */
