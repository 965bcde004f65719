/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Corners the API-level tests cannot reach, checked directly:
 *  - the placement arithmetic of src/index/fit.c against brute force
 *    (the aligned-run key, Cond A's exactness, fit_top/fit_bottom), on
 *    runs anywhere in the 64-bit space, the very top and the whole space
 *    included;
 *  - validate's structural checks that need a corrupted shape (an empty
 *    non-root leaf, an inner node over capacity, an aligned-point key, a
 *    bad height, start > end), and its cache check (a cached range that
 *    is no longer live).
 * Each corruption is undone and the domain validated again.
 */
#include <string.h>

#include "domain/domain.h"
#include "iova/cache.h"
#include "tap.h"
#include "corrupt.h"

__extension__ typedef unsigned __int128 u128;

static uint64_t rng_state = 0x1234567;

static uint64_t rnd(void)	/* splitmix64 */
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* First multiple of 2^order at or above a (128-bit: may pass 2^64). */
static u128 up(uint64_t a, unsigned int order)
{
	u128 m = (u128)1 << order;

	return ((u128)a + m - 1) / m * m;
}

/* The aligned-run key of [a, b] from its definition (fit.h). */
static uint64_t brute_key(uint64_t a, uint64_t b)
{
	unsigned int m = 0, j;
	u128 x, f = 0, fmax = IOVA_KEY_FMAX;

	for (j = 0; j <= 64; j++) {
		x = up(a, j);
		if (x + ((u128)1 << j) - 1 <= b)
			m = j;
	}
	x = up(a, m + 1);
	if (x <= b)
		f = (u128)b - x + 1;
	return (uint64_t)(m + 1) << IOVA_KEY_SHIFT | (uint64_t)(f < fmax ? f : fmax);
}

/* Highest/lowest aligned start with [x, x + size - 1] in [a, b] ∩ [min, max]. */
static bool brute_fit(uint64_t a, uint64_t b, uint64_t size, uint64_t align,
		      uint64_t min, uint64_t max, bool top, uint64_t *out)
{
	u128 lo = a > min ? a : min, hi = b < max ? b : max, x;

	if (lo > hi || hi - lo + 1 < size)
		return false;
	if (top) {
		x = (hi + 1 - size) / align * align;
		if (x < lo)
			return false;
	} else {
		x = (lo + align - 1) / align * align;
		if (x + size - 1 > hi)
			return false;
	}
	*out = (uint64_t)x;
	return true;
}

/* A run [a, b] somewhere interesting, of span < 2^12 unless wide. */
static void pick_run(uint64_t *a, uint64_t *b, bool wide)
{
	uint64_t span = wide ? rnd() >> (rnd() % 64) : rnd() % 4096;

	switch (rnd() % 4) {
	case 0:
		*a = rnd() % 8192;
		break;
	case 1:
		*a = UINT64_MAX - span - rnd() % 64;
		break;
	case 2:
		*a = (rnd() >> (rnd() % 64)) & ~(uint64_t)(rnd() % 64);
		break;
	default:
		*a = rnd();
		break;
	}
	if (span > UINT64_MAX - *a)
		span = UINT64_MAX - *a;
	*b = *a + span;
}

static void test_policy(void)
{
	unsigned long bad_key = 0, bad_cond = 0, bad_fit = 0, n;
	uint64_t a, b, k, x = 0, y = 0;
	struct iova_req r;

	k = iova_run_key(0, UINT64_MAX);
	is_u64(k, brute_key(0, UINT64_MAX), "key of the whole 64-bit space");
	is_u64(k >> IOVA_KEY_SHIFT, 65, "whole space: order 64");
	is_u64(iova_run_key(UINT64_MAX, UINT64_MAX),
	       brute_key(UINT64_MAX, UINT64_MAX), "key of the last pfn");
	is_u64(iova_run_key(1, UINT64_MAX), brute_key(1, UINT64_MAX),
	       "key of [1, 2^64 - 1]");
	for (n = 0; n < 200000; n++) {
		pick_run(&a, &b, n % 4 == 0);
		if (iova_run_key(a, b) != brute_key(a, b) && bad_key++ < 5)
			diag("key [%#" PRIx64 ", %#" PRIx64 "] = %#" PRIx64
			     ", brute %#" PRIx64, a, b, iova_run_key(a, b),
			     brute_key(a, b));
	}
	ok(bad_key == 0, "aligned-run key matches its definition (%lu bad)",
	   bad_key);

	/* Cond A and the other modes, against a brute-force fit. */
	for (n = 0; n < 200000; n++) {
		uint64_t size, align, min, max;
		unsigned int kk = (unsigned int)(rnd() % 64);
		enum iova_fit f;
		bool fits, top = rnd() & 1, got;

		pick_run(&a, &b, n % 3 == 0);
		align = UINT64_C(1) << kk;
		switch (rnd() % 3) {
		case 0:	/* size-aligned: Cond A (exact) */
			size = kk ? (align >> 1) + 1 + rnd() % (align >> 1) : 1;
			break;
		case 1:	/* unaligned: Cond G */
			align = 1;
			size = 1 + rnd() % 300;
			break;
		default:	/* over-aligned or odd sizes: bounds */
			size = 1 + rnd() % (kk > 12 ? 4096 : align * 2);
			break;
		}
		min = rnd() % 2 ? 0 : a + rnd() % 64;
		max = rnd() % 2 ? UINT64_MAX : b - rnd() % 64;
		if (min > max)
			min = max;
		iova_req_init(&r, size, align, min, max);
		fits = brute_fit(a, b, size, align, 0, UINT64_MAX, top, &x);
		f = iova_req_test(&r, iova_span(a, b), iova_run_key(a, b),
				  iova_point_key(a, b));
		if (((f == IOVA_FIT_YES && !fits) || (f == IOVA_FIT_NO && fits) ||
		     (f == IOVA_FIT_MAYBE && r.mode != IOVA_REQ_BOUNDS)) &&
		    bad_cond++ < 5)
			diag("req_test size %#" PRIx64 " align %#" PRIx64
			     " run [%#" PRIx64 ", %#" PRIx64 "] = %d, fits %d",
			     size, align, a, b, f, fits);
		fits = brute_fit(a, b, size, align, min, max, top, &x);
		got = top ? iova_fit_top(&r, a, b, &y) : iova_fit_bottom(&r, a, b, &y);
		if ((got != fits || (got && x != y)) && bad_fit++ < 5)
			diag("fit_%s size %#" PRIx64 " align %#" PRIx64
			     " run [%#" PRIx64 ", %#" PRIx64 "] in [%#" PRIx64
			     ", %#" PRIx64 "]: %d at %#" PRIx64 ", brute %d at %#"
			     PRIx64, top ? "top" : "bottom", size, align, a, b,
			     min, max, got, y, fits, x);
	}
	ok(bad_cond == 0, "iova_req_test is exact for GAP and KEY, sound for "
	   "BOUNDS (%lu bad)", bad_cond);
	ok(bad_fit == 0, "fit_top/fit_bottom match brute force (%lu bad)",
	   bad_fit);
}



static void test_validate_shapes(void)
{
	struct iova_domain_config cfg = { .start_pfn = 16, .end_pfn = 0xFFFFF };
	struct iova_index_inner *in;
	struct iova_index_leaf *leaf;
	uint64_t pfn, i;

	if (iova_domain_create(&cfg, &d)) {
		ok(0, "create");
		return;
	}
	for (i = 0; i < 3000; i++)
		if (iova_alloc(d, 1, 2, 0, UINT64_MAX, IOVA_TOP_DOWN, &pfn))
			break;
	ok(d->tree.height >= 2, "a tree of %u levels", d->tree.height);
	in = d->tree.root;
	leaf = in->child[0];
	if (d->tree.height > 2)
		leaf = ((struct iova_index_inner *)in->child[0])->child[0];
	CORRUPT("an empty non-root leaf", "3)", leaf->n, 0);
	CORRUPT("an inner node over capacity", "3)", in->n, IOVA_INDEX_INNER_CAP + 1);
	CORRUPT("an aligned-point key", "5)", in->tkey[1], in->tkey[1] ^ 1);
	CORRUPT("a height of 0", "3)", d->tree.height, 0);
	CORRUPT("a height above the maximum", "3)", d->tree.height,
		IOVA_INDEX_MAX_HEIGHT + 1);
	CORRUPT("start > end", "1)", d->tree.start, d->tree.end + 1);
	iova_domain_destroy(d);
}

/*
 * The domain's validate includes the caches': a cached range that is no
 * longer live (a caller freed it with iova_free() behind the cache's back)
 * is reported, and putting it back makes the domain valid again.
 */
static void test_cache_validate(void)
{
	struct iova_domain_config cfg = { .start_pfn = 0, .end_pfn = 1023 };
	struct iova_cache_config cc = { .nr_cpus = 1,
					.flags = IOVA_CACHE_CHECK_FREES };
	const char *why = NULL;
	uint64_t pfn = 0, again = 0;
	int r;

	if (iova_domain_create(&cfg, &d) || iova_domain_init_caches(d, &cc)) {
		ok(0, "create a domain with caches");
		return;
	}
	ok(iova_alloc_fast(d, 1, UINT64_MAX, false, &pfn) == 0 &&
		   iova_free_fast(d, pfn, 1) == 0,
	   "a range at %#" PRIx64 " goes into the cache", pfn);
	ok(iova_free(d, pfn) == 0, "freed behind the cache's back");
	r = iova_domain_validate(d, &why);
	ok(r == -EIO && why, "validate reports the cached range that is not "
	   "live (%s)", why ? why : "no reason");
	ok(iova_alloc(d, 1, 1, pfn, pfn, IOVA_EXACT, &again) == 0 &&
		   again == pfn, "the range is live again");
	expect_valid("the cached range");
	iova_domain_destroy(d);
}

int main(void)
{
	test_policy();
	test_validate_shapes();
	test_cache_validate();
	return tap_done();
}
