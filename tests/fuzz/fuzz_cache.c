/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * The per-CPU caches (include/iova/cache.h) under the fuzz target:
 * fuzz_ops.c hands inputs whose first byte is in [0xd0, 0xe0) here.
 *
 * With caches, where a range comes from depends on what the magazines
 * hold, so the oracle cannot predict every placement.  What it can check,
 * and does after every call (one CPU slot, so everything is deterministic):
 *
 *  - The user's view: the oracle holds the ranges the user owns (from
 *    iova_alloc_fast() or iova_alloc()) and the reservations.  Every one of
 *    them is in the native domain, exactly.  Every other native range is a
 *    cached one: live, not reserved, of a cached order's size and
 *    alignment, and their number equals the sum of the caches'
 *    cached_ranges.  So no range is ever handed out twice: a cached range
 *    is never one the user holds, and a new range never overlaps one.
 *  - iova_alloc_fast() returns a size-aligned range of the rounded size,
 *    inside [start, max_pfn], over no user range; it is either a cached
 *    range or the highest fit among the native free space, or (after a
 *    flush, when flush_retry is set) the highest fit of the user's view.
 *    It fails only if no fit exists (in the native view; in the user's
 *    view when flush_retry is set), or when an injected failure fired.
 *  - iova_free_fast() succeeds exactly on the start of a user range of the
 *    rounded size (aligned, for cached orders); anything else, a double
 *    free of a cached range included, is -ENOENT and changes nothing
 *    (IOVA_CACHE_CHECK_FREES is set).
 *  - iova_cache_flush_all() leaves no cached range; iova_reserve() and
 *    iova_find() see cached ranges as allocated; iova_alloc() too, except
 *    that with no room in the index it flushes the caches and asks again.
 *  - validate after every call; destroy with cached ranges returns every
 *    byte to the hooks.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iova/iova.h"
#include "iova/cache.h"
#include "oracle/oracle.h"
#include "fuzz/fuzz_common.h"

void fuzz_cache_run(const uint8_t *data, size_t size);

#define FC_MAX_RANGES 600
#define FC_MAX_OPS 1500

struct fc {
	struct fuzz_input in;
	struct iova_ndomain *d;
	struct oracle o;	/* user ranges and reservations */
	struct oracle view;	/* o plus the cached ranges (rebuilt) */
	uint64_t start, end;
	bool caches;		/* iova_domain_init_caches() done */
	bool fast_used;		/* a fast call ran first: init is -EBUSY */
	unsigned int max_order;	/* in force for rounding */
	unsigned long ops;
};

static struct fc *cur;

/* Counting hooks; the k-th call can be made to fail. */
static uint64_t held, calls, fail_at;

static void *c_alloc(size_t size, void *ctx)
{
	unsigned char *p;

	(void)ctx;
	calls++;
	if (fail_at && calls == fail_at) {
		fail_at = 0;
		return NULL;
	}
	if (posix_memalign((void **)&p, 64, size + 64))
		return NULL;
	memcpy(p, &size, sizeof(size));
	held += size;
	return p + 64;
}

static void c_free(void *ptr, size_t size, void *ctx)
{
	unsigned char *p = (unsigned char *)ptr - 64;
	size_t was;

	(void)ctx;
	memcpy(&was, p, sizeof(was));
	if (was != size)
		__builtin_trap();
	held -= size;
	free(p);
}

static const struct iova_mem_hooks c_hooks = { c_alloc, c_free, NULL };

#define fail(...) fuzz_fail(" (cache)", cur ? cur->ops : 0, __VA_ARGS__)

static unsigned int clog2(uint64_t x)	/* x >= 1 */
{
	unsigned int k = 0;

	while (k < 64 && (UINT64_C(1) << k) < x)
		k++;
	return k;
}

/* --- the views ---------------------------------------------------------- */

struct rebuild {
	struct fc *f;
	size_t i;	/* next user range expected */
	uint64_t extras;
};

static int rebuild_cb(const struct iova_range *r, void *arg)
{
	struct rebuild *b = arg;
	struct fc *f = b->f;
	const struct orange *o = b->i < f->o.n ? &f->o.r[b->i] : NULL;

	if (o && o->lo == r->lo) {
		EXPECT(o->hi == r->hi && o->rsv == !!(r->flags & IOVA_RANGE_RESERVED),
		       "user range [%#" PRIx64 ", %#" PRIx64 "] is [%#" PRIx64
		       ", %#" PRIx64 "] in the domain", o->lo, o->hi, r->lo,
		       r->hi);
		b->i++;
	} else {
		/* Not the user's: must be a cached range. */
		uint64_t len = r->hi - r->lo + 1;
		unsigned int ord = clog2(len);

		EXPECT(!(r->flags & IOVA_RANGE_RESERVED) && f->caches &&
			       ord < f->max_order && len == UINT64_C(1) << ord &&
			       !(r->lo & (len - 1)),
		       "range [%#" PRIx64 ", %#" PRIx64 "] is neither the "
		       "user's nor a cacheable range", r->lo, r->hi);
		EXPECT(!o || r->hi < o->lo, "cached range [%#" PRIx64 ", %#"
		       PRIx64 "] overlaps a user range", r->lo, r->hi);
		b->extras++;
	}
	oracle_insert(&f->view, r->lo, r->hi, r->flags & IOVA_RANGE_RESERVED);
	return 0;
}

/* Check the domain against the user's view; rebuild the native view. */
static void check(struct fc *f)
{
	struct rebuild b = { f, 0, 0 };
	const char *why = NULL;
	uint64_t cached = 0;
	unsigned int ord;

	if (iova_domain_validate(f->d, &why))
		fail("validate: %s", why ? why : "?");
	f->view.n = 0;
	iova_for_each(f->d, rebuild_cb, &b);
	EXPECT(b.i == f->o.n, "the domain lost user ranges (%zu of %zu)", b.i,
	       f->o.n);
	for (ord = 0; f->caches && ord < f->max_order; ord++) {
		struct iova_cache_stats cs;

		EXPECT(iova_cache_get_stats(f->d, ord, &cs) == 0, "cache stats");
		cached += cs.cached_ranges;
	}
	EXPECT(cached == b.extras, "caches hold %" PRIu64 " ranges, the domain "
	       "%" PRIu64 " ranges that are not the user's", cached, b.extras);
}

/* --- operations ----------------------------------------------------------- */

static uint64_t pick_pfn(struct fc *f)
{
	uint8_t s = fuzz_u8(&f->in);

	switch (s & 3) {
	case 0:
		if (f->end - f->start == UINT64_MAX)
			return fuzz_uint(&f->in, 8);
		return f->start + fuzz_uint(&f->in, 2) % (f->end - f->start + 1);
	case 1:
		if (f->o.n)
			return f->o.r[fuzz_uint(&f->in, 2) % f->o.n].lo + (s >> 7);
		return f->start;
	case 2:
		if (f->view.n)
			return f->view.r[fuzz_uint(&f->in, 2) % f->view.n].lo;
		return f->end;
	default:
		return fuzz_uint(&f->in, 8);
	}
}

static uint64_t pick_size(struct fc *f)
{
	uint8_t s = fuzz_u8(&f->in);

	switch (s & 3) {
	case 0:
	case 1:
		return 1 + (s >> 2 & 15);
	case 2:
		return 1 + fuzz_u8(&f->in);
	default:
		return (s >> 2) == 63 ? 0 : UINT64_C(1) << (s >> 2);
	}
}

static void op_alloc_fast(struct fc *f)
{
	uint8_t s = fuzz_u8(&f->in);
	uint64_t size = pick_size(f), max, eff, align, pfn = 0, want_v = 0,
		 want_u = 0;
	bool flush = s & 1, hook_armed = fail_at != 0;
	int r, wv, wu;
	unsigned int ord;

	max = (s & 6) ? pick_pfn(f) : UINT64_MAX;
	if (f->o.n >= FC_MAX_RANGES)
		return;
	r = iova_alloc_fast(f->d, size, max, flush, &pfn);
	if (size && size <= (UINT64_C(1) << 63))
		f->fast_used = true;
	if (!size || size > (UINT64_C(1) << 63)) {
		EXPECT(r == -EINVAL, "alloc_fast(size %#" PRIx64 ") = %d", size, r);
		return;
	}
	ord = clog2(size);
	align = UINT64_C(1) << ord;
	eff = ord < f->max_order ? align : size;
	wv = oracle_place(&f->view, eff, align, f->start, max, true, &want_v);
	wu = oracle_place(&f->o, eff, align, f->start, max, true, &want_u);
	if (r) {
		EXPECT(r == -ENOMEM, "alloc_fast = %d", r);
		if (hook_armed && !fail_at)
			return;	/* the armed failure fired */
		EXPECT(wv == -ENOMEM && (!flush || !f->caches || wu == -ENOMEM),
		       "alloc_fast(size %#" PRIx64 ", max %#" PRIx64 ", flush "
		       "%d) failed; fits at %#" PRIx64 " (native view %d) / %#"
		       PRIx64 " (user view %d)", size, max, flush, want_v, wv,
		       want_u, wu);
		return;
	}
	EXPECT(!(pfn & (align - 1)) && pfn >= f->start && pfn <= f->end &&
		       eff - 1 <= f->end - pfn && pfn <= max &&
		       eff - 1 <= max - pfn,
	       "alloc_fast(size %#" PRIx64 ", max %#" PRIx64 ") = %#" PRIx64
	       ": misaligned or out of bounds", size, max, pfn);
	EXPECT(oracle_is_free(&f->o, pfn, pfn + eff - 1), "alloc_fast(size %#"
	       PRIx64 ") = %#" PRIx64 ": over a user range (handed out twice)",
	       size, pfn);
	{
		long i = oracle_find(&f->view, pfn);
		bool from_cache = i >= 0 && f->view.r[i].lo == pfn &&
				  f->view.r[i].hi == pfn + eff - 1;

		EXPECT(from_cache || (wv == 0 && pfn == want_v) ||
			       (flush && wv && !wu && pfn == want_u) ||
			       (hook_armed && !fail_at),
		       "alloc_fast(size %#" PRIx64 ", max %#" PRIx64 ") = %#"
		       PRIx64 ": not cached, highest native fit %#" PRIx64
		       " (%d), user fit %#" PRIx64 " (%d)", size, max, pfn,
		       want_v, wv, want_u, wu);
	}
	oracle_insert(&f->o, pfn, pfn + eff - 1, false);
}

static void op_free_fast(struct fc *f)
{
	uint8_t s = fuzz_u8(&f->in);
	uint64_t pfn, size, len = 0, eff;
	unsigned int ord;
	long i;
	bool good;
	int r;

	if (f->o.n && (s & 3)) {
		const struct orange *o = &f->o.r[fuzz_uint(&f->in, 2) % f->o.n];

		pfn = o->lo;
		len = o->hi - o->lo + 1;
		size = (s & 3) == 1 ? len : (s & 3) == 2 ? len / 2 + 1 : len + 1;
	} else {
		pfn = pick_pfn(f);	/* cached ranges too: double frees */
		size = pick_size(f);
	}
	r = iova_free_fast(f->d, pfn, size);
	if (size)
		f->fast_used = true;
	if (!size) {
		EXPECT(r == -EINVAL, "free_fast(size 0) = %d", r);
		return;
	}
	ord = clog2(size);
	eff = ord < f->max_order ? UINT64_C(1) << ord : size;
	i = oracle_find(&f->o, pfn);
	good = ord < 64 && i >= 0 && !f->o.r[i].rsv && f->o.r[i].lo == pfn &&
	       f->o.r[i].hi - pfn + 1 == eff &&
	       !(f->caches && ord < f->max_order && (pfn & (eff - 1)));
	EXPECT(r == (good ? 0 : -ENOENT), "free_fast(%#" PRIx64 ", size %#"
	       PRIx64 ") = %d, model %d", pfn, size, r, good ? 0 : -ENOENT);
	if (good)
		oracle_free(&f->o, pfn);
}

static void op_alloc(struct fc *f)
{
	uint8_t s = fuzz_u8(&f->in);
	uint64_t size = pick_size(f), pfn = 0, want = 0, align;
	bool hook_armed = fail_at != 0;
	int r, w;

	if (!size || f->o.n >= FC_MAX_RANGES)
		return;
	align = (s & 1) ? UINT64_C(1) << (clog2(size) & 63) : 1;
	w = oracle_place(&f->view, size, align, 0, UINT64_MAX, !(s & 2), &want);
	/* No room in the index while caches hold ranges: the library gives
	 * them back and asks again, so the user's view decides (issue 15). */
	if (w && f->caches)
		w = oracle_place(&f->o, size, align, 0, UINT64_MAX, !(s & 2), &want);
	r = iova_alloc(f->d, size, align, 0, UINT64_MAX,
		       (s & 2) ? IOVA_BOTTOM_UP : IOVA_TOP_DOWN, &pfn);
	if (r && hook_armed && !fail_at)
		return;
	EXPECT(r == w && (r || pfn == want), "alloc(size %#" PRIx64 ") = %d at %#"
	       PRIx64 ", native view %d at %#" PRIx64, size, r, pfn, w, want);
	if (!r)
		oracle_insert(&f->o, pfn, pfn + size - 1, false);
}

static void op_free(struct fc *f)
{
	uint64_t pfn;
	int r;

	if (!f->o.n)
		return;
	pfn = f->o.r[fuzz_uint(&f->in, 2) % f->o.n].lo;
	r = iova_free(f->d, pfn);
	EXPECT(r == oracle_free(&f->o, pfn), "free(%#" PRIx64 ") = %d", pfn, r);
}

static void op_reserve(struct fc *f)
{
	uint64_t lo = pick_pfn(f), hi = lo + (fuzz_u8(&f->in) & 15);
	bool hook_armed = fail_at != 0;
	int r, w;

	if (hi < lo)
		hi = UINT64_MAX;
	w = oracle_reserve(&f->view, lo, hi);	/* the view is rebuilt anyway */
	r = iova_reserve(f->d, lo, hi);
	if (r == -ENOMEM && hook_armed && !fail_at)
		return;
	EXPECT(r == w, "reserve(%#" PRIx64 ", %#" PRIx64 ") = %d, native view "
	       "%d", lo, hi, r, w);
	if (!r)
		oracle_reserve(&f->o, lo, hi);
}

static void op_find(struct fc *f)
{
	uint64_t pfn = pick_pfn(f);
	struct iova_range rg;
	long i = oracle_find(&f->view, pfn);
	int r = iova_find(f->d, pfn, &rg);

	EXPECT(r == (i >= 0 ? 0 : -ENOENT) &&
		       (r || (rg.lo == f->view.r[i].lo && rg.hi == f->view.r[i].hi)),
	       "find(%#" PRIx64 ") = %d", pfn, r);
}

static void op_flush(struct fc *f)
{
	uint8_t s = fuzz_u8(&f->in);

	switch (s % 4) {
	case 0:
		iova_cache_flush_all(f->d);
		check(f);
		EXPECT(f->view.n == f->o.n, "flush_all left %zu cached ranges",
		       f->view.n - f->o.n);
		break;
	case 1:
		iova_cache_flush_cpu(f->d, s >> 2 & 1);	/* 1: no such slot */
		break;
	case 2: {
		unsigned int got = iova_cache_trim(f->d);

		EXPECT(f->caches || got == 0, "trim without caches = %u", got);
		break;
	}
	default: {
		struct iova_cache_config c;
		int r = iova_cache_get_config(f->d, &c);

		EXPECT(f->caches ? r == 0 && c.nr_cpus == 1 &&
				   c.max_order == f->max_order
				 : r == -ENOENT, "get_config = %d", r);
		break;
	}
	}
}

static void op_init(struct fc *f)
{
	uint8_t s = fuzz_u8(&f->in);
	struct iova_cache_config c = {
		.max_order = 1 + (s & 7),
		.mag_size = 1 + (fuzz_u8(&f->in) & 7),
		.nr_cpus = 1,
		.depot_max = s >> 3 & 3,
		.flags = IOVA_CACHE_CHECK_FREES,
	};
	struct iova_cache_config bad = c;
	bool armed;
	int r;

	bad.max_order = 33;
	r = iova_domain_init_caches(f->d, &bad);
	EXPECT(r == -EINVAL || (f->caches && r == -EEXIST),
	       "init_caches(max_order 33) = %d", r);
	bad = c;
	bad.flags = 0x80;
	r = iova_domain_init_caches(f->d, &bad);
	EXPECT(r == -EINVAL || (f->caches && r == -EEXIST),
	       "init_caches(unknown flag) = %d", r);
	if (s & 0x80)
		fail_at = calls + 1 + (s >> 5 & 1);
	armed = fail_at != 0;
	r = iova_domain_init_caches(f->d, &c);
	if (f->caches || f->fast_used) {
		EXPECT(r == (f->caches ? -EEXIST : -EBUSY),
		       "init_caches after caches or fast calls = %d", r);
		fail_at = 0;
		return;
	}
	if (r == -ENOMEM && armed && !fail_at) {
		check(f);	/* nothing changed */
		r = iova_domain_init_caches(f->d, &c);
	}
	fail_at = 0;
	EXPECT(r == 0, "init_caches = %d", r);
	/* Ranges the user holds keep their rounding: only sizes that round
	 * the same under both orders are freed fast (model: eff). */
	f->caches = true;
	f->max_order = c.max_order;
}

void fuzz_cache_run(const uint8_t *data, size_t size)
{
	struct iova_domain_config cfg = { .mem = &c_hooks, .granule = 1 };
	struct fc f;
	uint8_t g;

	memset(&f, 0, sizeof(f));
	f.in.p = data;
	f.in.n = size;
	cur = &f;
	held = calls = fail_at = 0;
	g = fuzz_u8(&f.in);
	switch (g & 3) {
	case 0:
		cfg.start_pfn = g >> 2 & 3;
		cfg.end_pfn = cfg.start_pfn + 63 + fuzz_uint(&f.in, 2) % 4096;
		break;
	case 1:	/* at the top of the 64-bit space */
		cfg.end_pfn = UINT64_MAX;
		cfg.start_pfn = UINT64_MAX - 63 - fuzz_uint(&f.in, 2) % 4096;
		break;
	case 2:
		cfg.start_pfn = fuzz_uint(&f.in, 5);
		cfg.end_pfn = cfg.start_pfn + 63 + fuzz_uint(&f.in, 1) * 8;
		break;
	default:
		cfg.end_pfn = UINT64_MAX;
		break;
	}
	if (iova_domain_create(&cfg, &f.d))
		fail("create");
	f.start = cfg.start_pfn;
	f.end = cfg.end_pfn;
	f.max_order = 0;	/* no rounding without caches */
	oracle_init(&f.o, f.start, f.end);
	oracle_init(&f.view, f.start, f.end);
	if (!(g & 0x10))
		op_init(&f);
	check(&f);
	while (f.in.n && f.ops < FC_MAX_OPS) {
		uint8_t op = fuzz_u8(&f.in);

		f.ops++;
		switch (op % 12) {
		case 0:
		case 1:
		case 2:
		case 3:
			op_alloc_fast(&f);
			break;
		case 4:
		case 5:
		case 6:
			op_free_fast(&f);
			break;
		case 7:
			op_alloc(&f);
			break;
		case 8:
			if (op & 0x80)
				op_free(&f);
			else
				op_reserve(&f);
			break;
		case 9:
			op_find(&f);
			break;
		case 10:
			op_flush(&f);
			break;
		default:
			if (op & 0x80)
				op_init(&f);
			else	/* a hook failure a few calls from now */
				fail_at = calls + 1 + (op >> 4 & 7);
			break;
		}
		check(&f);
	}
	fail_at = 0;
	iova_domain_destroy(f.d);	/* with user and cached ranges */
	EXPECT(held == 0, "destroy left %" PRIu64 " bytes", held);
	oracle_free_all(&f.o);
	oracle_free_all(&f.view);
	cur = NULL;
}
