/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Differential test: random operations against the library and the oracle
 * (oracle.h), comparing every result.  Geometries vary per epoch: small
 * dense domains, domains touching 0 and UINT64_MAX, the whole 64-bit space,
 * 32-bit-like domains with mixed DMA masks.
 *
 * usage: test_differential [OPS] [SEED] [VALIDATE_EVERY]
 * The seed is printed; rerun with it to reproduce a failure.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "iova/iova.h"
#include "oracle.h"
#include "tap.h"

static uint64_t rng_state;

static uint64_t rnd(void)	/* splitmix64 */
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)	/* uniform-ish in [0, n) */
{
	return n ? rnd() % n : rnd();
}

static bool chance(unsigned pct)
{
	return below(100) < pct;
}

/* A random value in [lo, hi] (inclusive, any span). */
static uint64_t in_range(uint64_t lo, uint64_t hi)
{
	uint64_t span = hi - lo;

	return span == UINT64_MAX ? rnd() : lo + below(span + 1);
}

struct ctx {
	struct iova_ndomain *d;
	struct oracle o;
	uint64_t ops, mismatches, validate_every;
	uint64_t epoch_ops;
	const char *geo;
	bool udata;		/* domain keeps a user pointer per range */
	bool long_sizes;	/* most sizes 2^32 pages or more */
};

/* The user pointer a live range carries in udata epochs. */
static void *tag(uint64_t lo)
{
	return (void *)(uintptr_t)(lo * 0x9E3779B97F4A7C15ull | 1);
}

static unsigned long long fails;
static uint64_t max_height, n_alloc_ok, n_alloc_fail, n_free_ok, n_rsv_ok, n_busy;

#define CHECK(c, ...)                                                        \
	do {                                                                 \
		if (!(c)) {                                                  \
			if (fails++ < 20) {                                  \
				printf("# MISMATCH op %" PRIu64 " (%s): ",   \
				       x->ops, x->geo);                      \
				printf(__VA_ARGS__);                         \
				printf("\n");                                \
			}                                                    \
		}                                                            \
	} while (0)

/* An interesting pfn: anywhere, near a range edge, near the domain edges. */
static uint64_t pick_pfn(struct ctx *x)
{
	struct oracle *o = &x->o;
	uint64_t v;

	switch (below(6)) {
	case 0:
	case 1:
		return in_range(o->start, o->end);
	case 2:
		if (o->n) {
			struct orange *r = &o->r[below(o->n)];

			v = chance(50) ? r->lo : r->hi;
			return v + (below(3) - 1);	/* may wrap: fine */
		}
		return in_range(o->start, o->end);
	case 3:
		return o->start + below(4) - 1;
	case 4:
		return o->end - below(4) + 1;
	default:
		v = UINT64_C(1) << below(64);
		return v - below(2);
	}
}

static uint64_t pick_size(struct ctx *x)
{
	uint64_t span = x->o.end - x->o.start;	/* + 1, maybe wrapped */
	unsigned w = (unsigned)below(100);

	/* Around 2^32: the leaf keeps a length's high half apart (gaptree.h). */
	if (x->long_sizes && w < 70)
		return (UINT64_C(1) << (31 + below(6))) + below(5) - 2 +
		       (chance(50) ? below(UINT64_C(1) << 33) : 0);
	if (w < 50)
		return 1 + below(8);
	if (w < 80)
		return 1 + below(64);
	if (w < 90)
		return 1 + below(span < 4096 ? span + 1 : 4096);
	if (w < 93)
		return span == UINT64_MAX ? UINT64_MAX - below(3) : span + 1 - below(2);
	return UINT64_C(1) << below(64);
}

static uint64_t pick_align(uint64_t size)
{
	unsigned k;

	switch (below(5)) {
	case 0:
	case 1:
		return 1;
	case 2:
	case 3:	/* size-aligned, as the Linux API asks */
		for (k = 0; k < 63 && (UINT64_C(1) << k) < size; k++)
			;
		return UINT64_C(1) << k;
	default:
		return UINT64_C(1) << below(chance(80) ? 8 : 64);
	}
}

/* A [min, max] pair: full, a DMA mask, random, or around the domain. */
static void pick_bounds(struct ctx *x, uint64_t *min, uint64_t *max)
{
	unsigned w = (unsigned)below(100);

	if (w < 30) {
		*min = 0;
		*max = UINT64_MAX;
	} else if (w < 55) {	/* mask-like limits: 2^k - 1 */
		uint64_t span = x->o.end - x->o.start;
		unsigned bits = span ? 64 - (unsigned)__builtin_clzll(span) : 1;

		*min = 0;
		*max = (UINT64_C(1) << below(64)) - 1;
		if (chance(70))	/* relative to the domain's start */
			*max = x->o.start + ((UINT64_C(1) << below(bits)) - 1);
	} else if (w < 75) {
		uint64_t a = pick_pfn(x), b = pick_pfn(x);

		*min = a < b ? a : b;
		*max = a < b ? b : a;
	} else if (w < 90) {
		*min = x->o.start;
		*max = pick_pfn(x);
		if (*max < *min)
			*max = x->o.end;
	} else {
		*min = 0;
		*max = x->o.start + (x->o.end - x->o.start) / (1 + below(4));
	}
}

static bool last_alloc_failed;

static void op_alloc(struct ctx *x)
{
	uint64_t size = pick_size(x), align = pick_align(size), min, max;
	uint64_t got = 0, want = 0;
	enum iova_policy pol = (enum iova_policy)below(3);
	int r1, r2;

	pick_bounds(x, &min, &max);
	if (pol == IOVA_EXACT) {
		min = pick_pfn(x) & ~(align - 1);
		if (chance(30))
			max = UINT64_MAX;
		if (min > max)
			max = min;
		if (size - 1 > UINT64_MAX - min) {
			r1 = iova_alloc(x->d, size, align, min, max, pol, &got);
			CHECK(r1 == -EINVAL, "exact wrap: got %d", r1);
			return;
		}
		r2 = (min >= x->o.start && min + (size - 1) <= max &&
		      min + (size - 1) <= x->o.end &&
		      oracle_is_free(&x->o, min, min + size - 1)) ? 0 : -ENOMEM;
		want = min;
	} else {
		r2 = oracle_place(&x->o, size, align, min, max,
				  pol == IOVA_TOP_DOWN, &want);
	}
	r1 = x->udata ? iova_alloc_udata(x->d, size, align, min, max, pol,
					 tag(want), &got)
		      : iova_alloc(x->d, size, align, min, max, pol, &got);
	if (x->udata && r1 == 0 && got != want)	/* keep the tag honest */
		iova_set_udata(x->d, got, tag(got));
	CHECK(r1 == r2, "alloc(size %" PRIx64 " align %" PRIx64 " [%" PRIx64
		       ", %" PRIx64 "] pol %d) = %d, oracle %d (at %" PRIx64 ")",
	      size, align, min, max, pol, r1, r2, want);
	if (r1 == 0)
		n_alloc_ok++;
	else
		n_alloc_fail++;
	last_alloc_failed = r1 != 0;
	if (r1 == 0 && r2 == 0) {
		CHECK(got == want, "alloc(size %" PRIx64 " align %" PRIx64
				   " [%" PRIx64 ", %" PRIx64 "] pol %d) at %" PRIx64
				   ", oracle %" PRIx64,
		      size, align, min, max, pol, got, want);
		oracle_insert(&x->o, got, got + size - 1, false);
	} else if (r1 == 0) {
		oracle_insert(&x->o, got, got + size - 1, false); /* keep in sync */
	}
}

static void op_free(struct ctx *x)
{
	uint64_t pfn;
	int r1, r2;

	if (x->o.n && chance(80)) {
		struct orange *r = &x->o.r[below(x->o.n)];

		pfn = r->lo + (chance(10) ? 1 : 0);
	} else {
		pfn = pick_pfn(x);
	}
	r2 = oracle_free(&x->o, pfn);
	r1 = iova_free(x->d, pfn);
	CHECK(r1 == r2, "free(%" PRIx64 ") = %d, oracle %d", pfn, r1, r2);
	n_free_ok += r1 == 0;
}

static void op_reserve(struct ctx *x)
{
	uint64_t lo = pick_pfn(x), hi = lo + below(chance(80) ? 8 : 300);
	int r1, r2;

	if (hi < lo || chance(5))
		hi = chance(50) ? UINT64_MAX : lo - 1;	/* maybe lo > hi */
	r2 = oracle_reserve(&x->o, lo, hi);
	r1 = iova_reserve(x->d, lo, hi);
	CHECK(r1 == r2, "reserve(%" PRIx64 ", %" PRIx64 ") = %d, oracle %d",
	      lo, hi, r1, r2);
	n_rsv_ok += r1 == 0;
	n_busy += r1 == -EBUSY;
}

static void op_find(struct ctx *x)
{
	uint64_t pfn = pick_pfn(x);
	struct iova_range r;
	long i = oracle_find(&x->o, pfn);
	int r1 = iova_find(x->d, pfn, &r);

	CHECK((r1 == 0) == (i >= 0), "find(%" PRIx64 ") = %d", pfn, r1);
	if (r1 == 0 && i >= 0)
		CHECK(r.lo == x->o.r[i].lo && r.hi == x->o.r[i].hi &&
			      !!(r.flags & IOVA_RANGE_RESERVED) == x->o.r[i].rsv,
		      "find(%" PRIx64 ") range differs", pfn);
	if (r1 == 0 && i >= 0)
		CHECK(r.udata == (x->udata && !x->o.r[i].rsv ? tag(r.lo) : NULL),
		      "find(%" PRIx64 ") user pointer differs", pfn);
	/* find_next */
	{
		size_t j = oracle_lower(&x->o, pfn);

		r1 = iova_find_next(x->d, pfn, &r);
		CHECK((r1 == 0) == (j < x->o.n), "find_next(%" PRIx64 ") = %d",
		      pfn, r1);
		if (r1 == 0 && j < x->o.n)
			CHECK(r.lo == x->o.r[j].lo && r.hi == x->o.r[j].hi,
			      "find_next(%" PRIx64 ") range differs", pfn);
	}
}

static void op_largest(struct ctx *x)
{
	uint64_t min, max, a, b;

	pick_bounds(x, &min, &max);
	a = iova_largest_gap(x->d, min, max);
	b = oracle_largest(&x->o, min, max);
	CHECK(a == b, "largest_gap(%" PRIx64 ", %" PRIx64 ") = %" PRIx64
		      ", oracle %" PRIx64, min, max, a, b);
}

/* Invalid arguments: the documented error, nothing changed. */
static void op_bad(struct ctx *x)
{
	uint64_t pfn = 0x1234, before = x->o.n;
	struct iova_stats st;
	int r;

	switch (below(6)) {
	case 0:
		r = iova_alloc(x->d, 0, 1, 0, UINT64_MAX, IOVA_TOP_DOWN, &pfn);
		break;
	case 1:
		r = iova_alloc(x->d, 4, 3 + 2 * below(100), 0, UINT64_MAX,
			       IOVA_TOP_DOWN, &pfn);
		break;
	case 2:
		r = iova_alloc(x->d, 1, 1, 10, 9, IOVA_BOTTOM_UP, &pfn);
		break;
	case 3:
		r = iova_alloc(x->d, 1, 1, 0, 9, (enum iova_policy)7, &pfn);
		break;
	case 4:
		r = iova_alloc(x->d, 1, 1, 0, 9, IOVA_TOP_DOWN, NULL);
		break;
	default:
		r = iova_reserve(x->d, 10, 9);
		break;
	}
	CHECK(r == -EINVAL, "bad input gave %d", r);
	CHECK(pfn == 0x1234, "bad input wrote the output");
	iova_get_stats(x->d, &st);
	CHECK(st.live_ranges + st.reserved_ranges == before,
	      "bad input changed the domain");
}

struct cmp_state {
	struct ctx *x;
	size_t i;
	bool bad;
};

static int cmp_cb(const struct iova_range *r, void *arg)
{
	struct cmp_state *c = arg;
	struct orange *o;

	if (c->i >= c->x->o.n) {
		c->bad = true;
		return 1;
	}
	o = &c->x->o.r[c->i++];
	if (r->lo != o->lo || r->hi != o->hi ||
	    !!(r->flags & IOVA_RANGE_RESERVED) != o->rsv ||
	    r->udata != (c->x->udata && !o->rsv ? tag(o->lo) : NULL))
		c->bad = true;
	return c->bad;
}

static void full_compare(struct ctx *x)
{
	struct cmp_state c = { x, 0, false };
	struct iova_stats st;
	uint64_t lp = 0, rp = 0, lr = 0, rr = 0;
	size_t i;

	iova_for_each(x->d, cmp_cb, &c);
	CHECK(!c.bad && c.i == x->o.n, "range lists differ (%zu of %zu)", c.i,
	      x->o.n);
	for (i = 0; i < x->o.n; i++) {
		uint64_t sz = x->o.r[i].hi - x->o.r[i].lo + 1;

		if (x->o.r[i].rsv)
			rp += sz, rr++;
		else
			lp += sz, lr++;
	}
	iova_get_stats(x->d, &st);
	if (st.index_height > max_height)
		max_height = st.index_height;
	CHECK(st.live_ranges == lr && st.live_pages == lp &&
		      st.reserved_ranges == rr && st.reserved_pages == rp,
	      "counters differ");
	CHECK(st.free_gaps == oracle_gaps(&x->o), "free gaps %" PRIu64
		      " oracle %" PRIu64, st.free_gaps, oracle_gaps(&x->o));
}

static void report_invalid(struct ctx *x, const char *why)
{
	CHECK(0, "validate: %s", why);
}

static void new_epoch(struct ctx *x)
{
	struct iova_domain_config cfg = { 0 };
	uint64_t span;
	int r;

	iova_domain_destroy(x->d);
	x->long_sizes = false;
	switch (below(6)) {
	case 0:
		x->geo = "small";
		cfg.start_pfn = below(3);
		span = 16 + below(4096);
		cfg.end_pfn = cfg.start_pfn + span;
		break;
	case 1:
		x->geo = "top";
		cfg.granule = 1;
		cfg.end_pfn = UINT64_MAX;
		cfg.start_pfn = UINT64_MAX - 16 - below(4096);
		break;
	case 2:
		x->geo = "whole";
		cfg.granule = 1;
		cfg.start_pfn = 0;
		cfg.end_pfn = UINT64_MAX;
		break;
	case 3:
		x->geo = "32bit";
		cfg.start_pfn = 1;
		cfg.end_pfn = (UINT64_C(1) << (12 + below(9))) - 1;
		break;
	case 5:
		x->geo = "long";
		x->long_sizes = true;
		cfg.start_pfn = below(UINT64_C(1) << 36);
		cfg.end_pfn = cfg.start_pfn + (UINT64_C(1) << (42 + below(4)));
		break;
	default:
		x->geo = "mid";
		cfg.start_pfn = below(UINT64_C(1) << 40);
		cfg.end_pfn = cfg.start_pfn + 64 + below(2048);
		break;
	}
	x->udata = chance(30);
	cfg.flags = x->udata ? IOVA_DOMAIN_UDATA : 0;
	r = iova_domain_create(&cfg, &x->d);
	if (r) {
		printf("# create failed %d\n", r);
		exit(99);
	}
	oracle_init(&x->o, cfg.start_pfn,
		    cfg.end_pfn ? cfg.end_pfn : UINT64_MAX >> 12);
	x->epoch_ops = 2000 + below(40000);
}

int main(int argc, char **argv)
{
	uint64_t total = argc > 1 ? strtoull(argv[1], NULL, 0) : 1000000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 42;
	struct ctx x = { 0 };
	uint64_t since = 0;

	x.validate_every = argc > 3 ? strtoull(argv[3], NULL, 0) : 1;
	if (!x.validate_every)
		x.validate_every = 1;
	rng_state = seed;
	diag("seed %" PRIu64 ", %" PRIu64 " operations, validate every %" PRIu64,
	     seed, total, x.validate_every);
	new_epoch(&x);
	for (x.ops = 0; x.ops < total; x.ops++) {
		struct ctx *xp = &x;


		/* Keep the population around a target that varies. */
		unsigned target = 20 + (unsigned)((x.ops / 5000) % 7) * 60;
		unsigned w = (unsigned)below(100);

		if (since++ >= x.epoch_ops) {
			full_compare(&x);
			new_epoch(&x);
			since = 0;
		}
		if (w < 42)
			x.o.n < target && !(last_alloc_failed && chance(60))
				? op_alloc(&x) : op_free(&x);
		else if (w < 70)
			x.o.n > target / 2 ? op_free(&x) : op_alloc(&x);
		else if (w < 75)
			op_reserve(&x);
		else if (w < 88)
			op_find(&x);
		else if (w < 95)
			op_largest(&x);
		else
			op_bad(&x);
		if (x.ops % x.validate_every == 0) {
			const char *why = NULL;

			if (iova_domain_validate(x.d, &why))
				report_invalid(xp, why);
		}
		if (x.ops % 4096 == 0)
			full_compare(&x);
		if (fails > 20)
			break;
	}
	full_compare(&x);
	diag("allocs %" PRIu64 " ok / %" PRIu64 " failed, frees %" PRIu64
	     ", reserves %" PRIu64 " ok / %" PRIu64 " busy, max height %" PRIu64,
	     n_alloc_ok, n_alloc_fail, n_free_ok, n_rsv_ok, n_busy, max_height);
	ok(fails == 0, "%" PRIu64 " differential operations, seed %" PRIu64
		       ": %llu mismatches", x.ops, seed, fails);
	iova_domain_destroy(x.d);
	oracle_free_all(&x.o);
	return tap_done();
}
