/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * libFuzzer target over the native API.
 *
 * The input decodes into a domain geometry and a sequence of operations.
 * Every operation runs against the library and against the brute-force
 * model of tests/oracle/oracle.h; every result is compared, the domain is
 * validated after each operation, and the whole range list, the counters and
 * the memory held through the hooks are compared often.  Any difference
 * calls __builtin_trap() after printing what differed.
 *
 * Memory failures are injected by the input, two ways: iova__fault_inject()
 * (the k-th node allocation from now fails) and the domain's memory hooks
 * (the k-th hook call returns NULL).  The target knows exactly when an
 * armed failure went off, so it checks that
 *   - a call in which a failure fired returns -ENOMEM, changes nothing
 *     (range list, counters and held bytes equal the oracle's), and counts
 *     one alloc_fail_nomem;
 *   - the same call, repeated at once, gives the oracle's answer (a failure
 *     is never remembered as "full");
 *   - calls that must not allocate (free, find, stats, ...) allocate nothing.
 *
 * Byte layout (all reads past the end give 0, so every input is valid):
 *   a first byte >= 0xe0 selects the Linux-compatible API (fuzz_linux.c),
 *   one in [0xd0, 0xe0) the per-CPU caches (fuzz_cache.c);
 *   geometry: 1 selector byte + parameters, 1 flags byte;
 *   then one opcode byte per operation followed by its parameters.
 *
 * Build: tests/fuzz/build_fuzzer.sh (clang, libFuzzer); under gcc the
 * same file is linked with replay_main.c and replays tests/fuzz/corpus/.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iova/iova.h"
#include "domain/domain.h"
#include "oracle/oracle.h"
#include "fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* fuzz_linux.c: inputs whose first byte is >= 0xe0 go there. */
void fuzz_linux_run(const uint8_t *data, size_t size);
/* fuzz_cache.c: inputs whose first byte is in [0xd0, 0xe0). */
void fuzz_cache_run(const uint8_t *data, size_t size);

/* Population cap: the oracle is O(n) per operation. */
#define FZ_MAX_RANGES 1000
#define FZ_MAX_OPS 2000

/* ------------------------------------------------------------------ */
/* Input                                                               */

/* ------------------------------------------------------------------ */
/* State                                                               */

/* User pointers of live ranges, keyed by lo (reservations not tracked). */
struct shadow_udata {
	uint64_t lo;
	void *udata;
};

struct fz {
	struct fuzz_input in;
	struct iova_ndomain *d;
	struct oracle o;
	bool udata;		/* IOVA_DOMAIN_UDATA */
	bool hooked;		/* our counting hooks are in use */
	struct shadow_udata *ud;
	size_t nud, capud;
	struct iova_stats want;	/* expected event counters */
	unsigned long ops;
};

/* Counting memory hooks: every block carries its size in a header. */
struct hook_state {
	uint64_t live_bytes, live_blocks;
	uint64_t calls;		/* alloc calls */
	uint64_t fail_at;	/* fail the call with this number (0: off) */
	bool fired;
};

static struct hook_state hs;

#define HDR 64	/* keeps the library's cache-line alignment assumption */

static void *hook_alloc(size_t size, void *ctx)
{
	unsigned char *p;

	if (ctx != &hs)
		__builtin_trap();
	hs.calls++;
	if (hs.fail_at && hs.calls == hs.fail_at) {
		hs.fail_at = 0;
		hs.fired = true;
		return NULL;
	}
	if (posix_memalign((void **)&p, HDR, size + HDR))
		return NULL;
	memcpy(p, &size, sizeof(size));
	hs.live_bytes += size;
	hs.live_blocks++;
	return p + HDR;
}

static void hook_free(void *ptr, size_t size, void *ctx)
{
	unsigned char *p = (unsigned char *)ptr - HDR;
	size_t was;

	if (ctx != &hs || !ptr)
		__builtin_trap();
	memcpy(&was, p, sizeof(was));
	if (was != size) {
		fprintf(stderr, "fuzz_ops: free of %zu bytes, allocated %zu\n",
			size, was);
		__builtin_trap();
	}
	hs.live_bytes -= size;
	hs.live_blocks--;
	free(p);
}

static const struct iova_mem_hooks hooks = { hook_alloc, hook_free, &hs };
static const struct iova_mem_hooks bad_hooks = { NULL, hook_free, &hs };

/*
 * iova__fault_inject() bookkeeping.  fi_left is the armed countdown (0:
 * off).  fi_poll() returns the node allocations made since the last poll
 * and tells whether the armed failure fired among them, then re-arms what
 * is left.
 */
static unsigned long fi_left;

static unsigned long fi_poll(bool *fired)
{
	unsigned long n = iova__fault_inject(0);

	*fired = fi_left && n >= fi_left;
	fi_left = *fired ? 0 : fi_left ? fi_left - n : 0;
	iova__fault_inject(fi_left);
	return n;
}

/* Did any armed failure (either kind) go off since the last call? */
static bool fault_fired(unsigned long *allocs)
{
	bool fi, hk = hs.fired;
	unsigned long n = fi_poll(&fi);

	hs.fired = false;
	if (allocs)
		*allocs = n;
	return fi || hk;
}

static void disarm(void)
{
	bool fired;

	fi_left = 0;
	fi_poll(&fired);
	hs.fail_at = 0;
	hs.fired = false;
}

/* ------------------------------------------------------------------ */
/* Failure reporting                                                   */

static struct fz *cur;

#define fail(...) fuzz_fail("", cur ? cur->ops : 0, __VA_ARGS__)

/* ------------------------------------------------------------------ */
/* The udata shadow                                                    */

static void *shadow_get(struct fz *f, uint64_t lo)
{
	size_t i;

	for (i = 0; i < f->nud; i++)
		if (f->ud[i].lo == lo)
			return f->ud[i].udata;
	return NULL;
}

static void shadow_del(struct fz *f, uint64_t lo)
{
	size_t i;

	for (i = 0; i < f->nud; i++)
		if (f->ud[i].lo == lo) {
			f->ud[i] = f->ud[--f->nud];
			return;
		}
}

static void shadow_set(struct fz *f, uint64_t lo, void *udata)
{
	shadow_del(f, lo);
	if (!udata)
		return;
	if (f->nud == f->capud) {
		f->capud = f->capud ? 2 * f->capud : 64;
		f->ud = realloc(f->ud, f->capud * sizeof(*f->ud));
		if (!f->ud)
			abort();
	}
	f->ud[f->nud++] = (struct shadow_udata){ lo, udata };
}

/* ------------------------------------------------------------------ */
/* Whole-state comparison                                              */

struct walk_cmp {
	struct fz *f;
	size_t i;
	size_t stop_at;	/* return 7 from the callback at this index */
};

static int walk_cb(const struct iova_range *r, void *arg)
{
	struct walk_cmp *w = arg;
	struct fz *f = w->f;
	const struct orange *o;

	EXPECT(w->i < f->o.n, "for_each: more ranges than the oracle's %zu",
	       f->o.n);
	o = &f->o.r[w->i];
	EXPECT(r->lo == o->lo && r->hi == o->hi &&
		       !!(r->flags & IOVA_RANGE_RESERVED) == o->rsv,
	       "for_each #%zu: [%" PRIx64 ", %" PRIx64 "] rsv %u, oracle [%"
	       PRIx64 ", %" PRIx64 "] rsv %d", w->i, r->lo, r->hi, r->flags,
	       o->lo, o->hi, o->rsv);
	if (!o->rsv)
		EXPECT(r->udata == shadow_get(f, o->lo),
		       "for_each: udata of [%" PRIx64 ", ...] differs", o->lo);
	if (w->i++ == w->stop_at)
		return 7;
	return 0;
}

static void check_stats(struct fz *f)
{
	struct iova_stats st;
	uint64_t lr = 0, lp = 0, rr = 0, rp = 0;
	size_t i;

	/* Nodes waiting for lockless readers are freed by another thread:
	 * let those frees finish, so that the hooks' count is still. */
	if (iova_atomic_read(&f->d->rcu_pending))
		iova__rcu_barrier();
	EXPECT(iova_get_stats(f->d, &st) == 0, "get_stats failed");
	for (i = 0; i < f->o.n; i++) {
		uint64_t sz = f->o.r[i].hi - f->o.r[i].lo + 1;

		if (f->o.r[i].rsv)
			rr++, rp += sz;
		else
			lr++, lp += sz;
	}
	EXPECT(st.live_ranges == lr && st.live_pages == lp &&
		       st.reserved_ranges == rr && st.reserved_pages == rp,
	       "stats: live %" PRIu64 "/%" PRIu64 " rsv %" PRIu64 "/%" PRIu64
	       ", oracle %" PRIu64 "/%" PRIu64 " %" PRIu64 "/%" PRIu64,
	       st.live_ranges, st.live_pages, st.reserved_ranges,
	       st.reserved_pages, lr, lp, rr, rp);
	EXPECT(st.free_gaps == oracle_gaps(&f->o), "stats: free_gaps %" PRIu64
	       ", oracle %" PRIu64, st.free_gaps, oracle_gaps(&f->o));
	EXPECT(st.allocs == f->want.allocs && st.frees == f->want.frees &&
		       st.reserves == f->want.reserves &&
		       st.bad_frees == f->want.bad_frees,
	       "stats: allocs %" PRIu64 " frees %" PRIu64 " reserves %" PRIu64
	       " bad_frees %" PRIu64 ", want %" PRIu64 " %" PRIu64 " %" PRIu64
	       " %" PRIu64, st.allocs, st.frees, st.reserves, st.bad_frees,
	       f->want.allocs, f->want.frees, f->want.reserves,
	       f->want.bad_frees);
	EXPECT(st.alloc_fail_nospace == f->want.alloc_fail_nospace &&
		       st.alloc_fail_nomem == f->want.alloc_fail_nomem,
	       "stats: nospace %" PRIu64 " nomem %" PRIu64 ", want %" PRIu64
	       " %" PRIu64, st.alloc_fail_nospace, st.alloc_fail_nomem,
	       f->want.alloc_fail_nospace, f->want.alloc_fail_nomem);
	EXPECT(st.index_height >= 1 && st.index_nodes >= 1 &&
		       st.index_bytes >= st.index_nodes * sizeof(uint64_t),
	       "stats: index shape");
	/* Everything the domain holds came through the hooks. */
	if (f->hooked)
		EXPECT(hs.live_bytes == sizeof(struct iova_ndomain) + st.index_bytes,
		       "hooks hold %" PRIu64 " bytes, domain %zu + index %" PRIu64,
		       hs.live_bytes, sizeof(struct iova_ndomain), st.index_bytes);
}

static void full_compare(struct fz *f)
{
	struct walk_cmp w = { f, 0, (size_t)-1 };

	EXPECT(iova_for_each(f->d, walk_cb, &w) == 0, "for_each stopped");
	EXPECT(w.i == f->o.n, "for_each: %zu ranges, oracle %zu", w.i, f->o.n);
	check_stats(f);
}

static void validate(struct fz *f)
{
	const char *why = NULL;

	if (iova_domain_validate(f->d, &why))
		fail("validate: %s", why ? why : "(no reason)");
}

/* ------------------------------------------------------------------ */
/* Picking values                                                      */

static uint64_t in_span(struct fz *f, uint64_t lo, uint64_t hi)
{
	uint64_t span = hi - lo, v = fuzz_uint(&f->in, 8);

	return span == UINT64_MAX ? v : lo + v % (span + 1);
}

/* An interesting pfn: edges of the domain and of ranges, powers of two. */
static uint64_t pick_pfn(struct fz *f)
{
	uint8_t s = fuzz_u8(&f->in);
	uint64_t small = s >> 4;

	switch (s & 7) {
	case 0:
		return in_span(f, f->o.start, f->o.end);
	case 1:
		return f->o.start + small - 1;	/* start - 1 .. start + 14 */
	case 2:
		return f->o.end - small + 1;	/* end + 1 .. end - 14 */
	case 3:
	case 4:
		if (f->o.n) {
			const struct orange *r =
				&f->o.r[fuzz_uint(&f->in, 2) % f->o.n];
			uint64_t v = (s & 1) ? r->lo : r->hi;

			return v + (small & 3) - 1;	/* may wrap: fine */
		}
		return in_span(f, f->o.start, f->o.end);
	case 5:
		return (UINT64_C(1) << (fuzz_u8(&f->in) & 63)) - (small & 1);
	case 6:
		return fuzz_uint(&f->in, 8);
	default:
		return small & 1 ? UINT64_MAX - (small >> 1) : small >> 1;
	}
}

static uint64_t pick_size(struct fz *f)
{
	uint8_t s = fuzz_u8(&f->in);
	uint64_t span = f->o.end - f->o.start;	/* pfns - 1 */

	switch (s & 7) {
	case 0:
	case 1:
	case 2:
		return 1 + (s >> 3 & 7);
	case 3:
		return 1 + fuzz_u8(&f->in);
	case 4:
		return span == UINT64_MAX ? UINT64_MAX - (s >> 3 & 3)
					  : span + 1 - (s >> 3 & 1);
	case 5:
		return UINT64_C(1) << (fuzz_u8(&f->in) & 63);
	case 6:
		return 1 + fuzz_uint(&f->in, 2);
	default:
		return fuzz_uint(&f->in, 8);	/* 0 and huge included */
	}
}

static uint64_t pow2_ceil(uint64_t x)
{
	unsigned int k = 0;

	while (k < 63 && (UINT64_C(1) << k) < x)
		k++;
	return UINT64_C(1) << k;
}

static uint64_t pick_align(struct fz *f, uint64_t size)
{
	uint8_t s = fuzz_u8(&f->in);

	switch (s & 3) {
	case 0:
		return 1;
	case 1:
		return pow2_ceil(size);	/* size-aligned */
	case 2:
		return UINT64_C(1) << (s >> 2 & 63);
	default:
		return (s >> 2) == 0 ? 0 : (UINT64_C(1) << (s >> 2 & 31)) * 3;
	}
}

static void pick_bounds(struct fz *f, uint64_t *min, uint64_t *max)
{
	uint8_t s = fuzz_u8(&f->in);
	uint64_t a, b;

	switch (s & 7) {
	case 0:
		*min = 0;
		*max = UINT64_MAX;
		return;
	case 1:	/* a DMA mask */
		*min = 0;
		*max = (UINT64_C(1) << (s >> 3 & 63)) - 1;
		if (!(s >> 3))
			*max = UINT64_MAX;
		return;
	case 2:	/* a mask relative to the domain start */
		*min = f->o.start;
		*max = f->o.start + (UINT64_C(1) << (fuzz_u8(&f->in) & 63)) - 1;
		if (*max < *min)
			*max = UINT64_MAX;
		return;
	case 3:
	case 4:
		a = pick_pfn(f);
		b = pick_pfn(f);
		*min = a < b ? a : b;
		*max = a < b ? b : a;
		return;
	case 5:
		*min = f->o.start;
		*max = pick_pfn(f);
		return;	/* may be min > max: -EINVAL */
	case 6:
		*min = pick_pfn(f);
		*max = f->o.end;
		return;
	default:
		*min = pick_pfn(f);
		*max = pick_pfn(f);
		return;
	}
}

/* ------------------------------------------------------------------ */
/* Operations                                                          */

/* What the native API must answer for an allocation (model). */
static int model_alloc(struct fz *f, uint64_t size, uint64_t align,
		       uint64_t min, uint64_t max, int pol, void *udata,
		       uint64_t *at)
{
	if (!size || !align || (align & (align - 1)) || min > max)
		return -EINVAL;
	if (pol == IOVA_EXACT) {
		if (min % align || size - 1 > UINT64_MAX - min)
			return -EINVAL;
	} else if (pol != IOVA_TOP_DOWN && pol != IOVA_BOTTOM_UP) {
		return -EINVAL;
	}
	if (udata && !f->udata)
		return -EOPNOTSUPP;
	if (pol == IOVA_EXACT) {
		*at = min;
		return min + (size - 1) <= max &&
				       oracle_is_free(&f->o, min, min + size - 1)
			       ? 0
			       : -ENOMEM;
	}
	return oracle_place(&f->o, size, align, min, max, pol == IOVA_TOP_DOWN,
			    at);
}

/*
 * One allocation, compared with the model.  Returns the library's result.
 * A call in which an injected failure fired is checked and then repeated.
 */
static int do_alloc(struct fz *f, uint64_t size, uint64_t align, uint64_t min,
		    uint64_t max, int pol, void *udata, uint64_t *at)
{
	uint64_t want_at = 0, got = UINT64_C(0xdeadbeef);
	int want = model_alloc(f, size, align, min, max, pol, udata, &want_at);
	int r;

	for (;;) {
		r = udata ? iova_alloc_udata(f->d, size, align, min, max,
					     (enum iova_policy)pol, udata, &got)
			  : iova_alloc(f->d, size, align, min, max,
				       (enum iova_policy)pol, &got);
		if (!fault_fired(NULL))
			break;
		EXPECT(r == -ENOMEM, "alloc: a memory failure fired but the "
		       "call returned %d", r);
		EXPECT(got == UINT64_C(0xdeadbeef), "alloc: failed call wrote "
		       "its output");
		f->want.alloc_fail_nomem++;
		full_compare(f);	/* nothing changed */
		validate(f);
	}
	EXPECT(r == want, "alloc(size %#" PRIx64 ", align %#" PRIx64 ", [%#"
	       PRIx64 ", %#" PRIx64 "], policy %d) = %d, oracle %d (at %#"
	       PRIx64 ")", size, align, min, max, pol, r, want, want_at);
	if (r) {
		EXPECT(got == UINT64_C(0xdeadbeef), "alloc: failed call wrote "
		       "its output");
		if (r == -ENOMEM)
			f->want.alloc_fail_nospace++;
		return r;
	}
	EXPECT(got == want_at, "alloc(size %#" PRIx64 ", align %#" PRIx64
	       ", [%#" PRIx64 ", %#" PRIx64 "], policy %d) at %#" PRIx64
	       ", oracle %#" PRIx64, size, align, min, max, pol, got, want_at);
	oracle_insert(&f->o, got, got + size - 1, false);
	shadow_set(f, got, udata);
	f->want.allocs++;
	*at = got;
	return 0;
}

static void *pick_udata(struct fz *f)
{
	uint8_t s = fuzz_u8(&f->in);

	if (!(s & 3))
		return NULL;
	/* Any non-NULL pointer value: the library only stores it. */
	return (void *)(uintptr_t)(0x1000u + (f->ops << 8) + s);
}

static void op_alloc(struct fz *f)
{
	uint8_t s = fuzz_u8(&f->in);
	uint64_t size = pick_size(f), align = pick_align(f, size), min, max, at;
	int pol = s & 3;	/* 3: an unknown policy */
	void *udata = (s & 4) ? pick_udata(f) : NULL;

	pick_bounds(f, &min, &max);
	if (pol == IOVA_EXACT && (s & 8)) {	/* mostly well-formed EXACT */
		min = align > 1 ? min & ~(align - 1) : min;
		if (min > max || (s & 16))
			max = UINT64_MAX;
	}
	do_alloc(f, size, align, min, max, pol, udata, &at);
}

static void expect_no_alloc(const char *what)
{
	unsigned long n;

	EXPECT(!fault_fired(&n) && n == 0, "%s allocated %lu nodes", what, n);
}

static void do_free(struct fz *f, uint64_t pfn)
{
	int want = oracle_free(&f->o, pfn);
	uint64_t calls = hs.calls;
	int r = iova_free(f->d, pfn);

	expect_no_alloc("free");
	EXPECT(hs.calls == calls, "free called the alloc hook");
	EXPECT(r == want, "free(%#" PRIx64 ") = %d, oracle %d", pfn, r, want);
	if (r == 0) {
		shadow_del(f, pfn);
		f->want.frees++;
	} else {
		f->want.bad_frees++;
	}
}

/*
 * Many allocations with one shape: deep trees (small nodes), splits, full
 * domains; optionally free every other one afterwards, which leaves
 * fragmented space.
 */
static void op_fill(struct fz *f)
{
	uint8_t s = fuzz_u8(&f->in);
	unsigned int count = 1 + fuzz_u8(&f->in) * ((s & 8) ? 4u : 1u);
	uint64_t size = 1 + (fuzz_u8(&f->in) & 15), align, min, max, at;
	int pol = s & 1 ? IOVA_BOTTOM_UP : IOVA_TOP_DOWN;
	uint64_t *got = malloc(count * sizeof(*got));
	unsigned int i, n = 0;

	if (!got)
		abort();
	align = (s & 2) ? pow2_ceil(size) : 1;
	pick_bounds(f, &min, &max);
	if (min > max)
		min = max;
	for (i = 0; i < count && f->o.n < FZ_MAX_RANGES; i++) {
		if (do_alloc(f, size, align, min, max, pol, NULL, &at))
			break;
		got[n++] = at;
	}
	if (s & 4)	/* holes */
		for (i = 1; i < n; i += 2)
			do_free(f, got[i]);
	free(got);
	validate(f);
}

static void op_free(struct fz *f)
{
	uint8_t s = fuzz_u8(&f->in);
	uint64_t pfn;

	if (f->o.n && (s & 3)) {
		const struct orange *r = &f->o.r[fuzz_uint(&f->in, 2) % f->o.n];

		pfn = r->lo + ((s & 3) == 3);	/* sometimes inside: -ENOENT */
	} else {
		pfn = pick_pfn(f);
	}
	do_free(f, pfn);
}

/* Free many: every step-th live range, from the bottom or the top. */
static void op_drain(struct fz *f)
{
	uint8_t s = fuzz_u8(&f->in);
	size_t step = 1 + (s & 7), count = 1 + fuzz_u8(&f->in) * 4u, k, m = 0;
	uint64_t *los = malloc((f->o.n + 1) * sizeof(*los));

	if (!los)
		abort();
	for (k = 0; k < f->o.n && m < count; k += step) {
		size_t i = (s & 8) ? k : f->o.n - 1 - k;

		if (!f->o.r[i].rsv)
			los[m++] = f->o.r[i].lo;
	}
	for (k = 0; k < m; k++)
		do_free(f, los[k]);
	free(los);
	validate(f);
}

static void op_reserve(struct fz *f)
{
	uint8_t s = fuzz_u8(&f->in);
	uint64_t lo = pick_pfn(f), hi, a, b;
	int want, r;

	switch (s & 3) {
	case 0:
		hi = lo + (s >> 2);
		break;
	case 1:
		hi = pick_pfn(f);
		break;
	case 2:
		hi = lo - 1;	/* lo > hi unless lo == 0 */
		break;
	default:
		hi = UINT64_MAX;
		break;
	}
	if (hi < lo && (s & 3) != 2)
		hi = UINT64_MAX;
	a = lo > f->o.start ? lo : f->o.start;
	b = hi < f->o.end ? hi : f->o.end;
	for (;;) {
		r = iova_reserve(f->d, lo, hi);
		if (!fault_fired(NULL))
			break;
		EXPECT(r == -ENOMEM, "reserve: a memory failure fired but the "
		       "call returned %d", r);
		f->want.alloc_fail_nomem++;
		full_compare(f);	/* nothing changed */
		validate(f);
	}
	want = oracle_reserve(&f->o, lo, hi);	/* applies it on success */
	EXPECT(r == want, "reserve(%#" PRIx64 ", %#" PRIx64 ") = %d, oracle %d",
	       lo, hi, r, want);
	if (r == 0 && a <= b)
		f->want.reserves++;
}

static void check_find(struct fz *f, uint64_t pfn)
{
	struct iova_range r;
	long i = oracle_find(&f->o, pfn);
	size_t j = oracle_lower(&f->o, pfn);
	int ret;

	memset(&r, 0xa5, sizeof(r));
	ret = iova_find(f->d, pfn, &r);
	EXPECT(ret == (i >= 0 ? 0 : -ENOENT), "find(%#" PRIx64 ") = %d", pfn,
	       ret);
	if (i >= 0) {
		const struct orange *o = &f->o.r[i];

		EXPECT(r.lo == o->lo && r.hi == o->hi &&
			       !!(r.flags & IOVA_RANGE_RESERVED) == o->rsv,
		       "find(%#" PRIx64 ") = [%#" PRIx64 ", %#" PRIx64 "]", pfn,
		       r.lo, r.hi);
		if (!o->rsv)
			EXPECT(r.udata == shadow_get(f, o->lo),
			       "find(%#" PRIx64 "): udata differs", pfn);
	}
	ret = iova_find_next(f->d, pfn, &r);
	EXPECT(ret == (j < f->o.n ? 0 : -ENOENT), "find_next(%#" PRIx64
	       ") = %d", pfn, ret);
	if (j < f->o.n)
		EXPECT(r.lo == f->o.r[j].lo && r.hi == f->o.r[j].hi,
		       "find_next(%#" PRIx64 ") = [%#" PRIx64 ", %#" PRIx64
		       "], oracle [%#" PRIx64 ", %#" PRIx64 "]", pfn, r.lo,
		       r.hi, f->o.r[j].lo, f->o.r[j].hi);
}

static void op_find(struct fz *f)
{
	check_find(f, pick_pfn(f));
	expect_no_alloc("find");
}

/* Walk the whole domain with find_next, as a caller would iterate. */
static void op_iterate(struct fz *f)
{
	struct iova_range r;
	uint64_t pfn = 0;
	size_t k = 0;

	while (iova_find_next(f->d, pfn, &r) == 0) {
		EXPECT(k < f->o.n && r.lo == f->o.r[k].lo && r.hi == f->o.r[k].hi,
		       "iteration step %zu differs", k);
		k++;
		if (r.hi == UINT64_MAX)
			break;
		pfn = r.hi + 1;
	}
	EXPECT(k == f->o.n, "iteration saw %zu ranges, oracle %zu", k, f->o.n);
}

static void op_udata(struct fz *f)
{
	uint64_t pfn = pick_pfn(f);
	void *u = pick_udata(f);
	long i = oracle_find(&f->o, pfn);
	int r = iova_set_udata(f->d, pfn, u);

	if (!f->udata) {
		EXPECT(r == -EOPNOTSUPP, "set_udata without UDATA = %d", r);
		return;
	}
	EXPECT(r == (i >= 0 ? 0 : -ENOENT), "set_udata(%#" PRIx64 ") = %d", pfn,
	       r);
	if (i >= 0 && !f->o.r[i].rsv)
		shadow_set(f, f->o.r[i].lo, u);
	check_find(f, pfn);
}

static void op_largest(struct fz *f)
{
	uint64_t min, max, got, want;

	pick_bounds(f, &min, &max);
	got = iova_largest_gap(f->d, min, max);
	want = min > max ? 0 : oracle_largest(&f->o, min, max);
	EXPECT(got == want, "largest_gap(%#" PRIx64 ", %#" PRIx64 ") = %#" PRIx64
	       ", oracle %#" PRIx64, min, max, got, want);
	expect_no_alloc("largest_gap");
}

static void op_walk_stop(struct fz *f)
{
	struct walk_cmp w = { f, 0, fuzz_u8(&f->in) };
	int r = iova_for_each(f->d, walk_cb, &w);

	if (w.stop_at < f->o.n)
		EXPECT(r == 7 && w.i == w.stop_at + 1,
		       "for_each did not stop: %d after %zu", r, w.i);
	else
		EXPECT(r == 0 && w.i == f->o.n, "for_each = %d after %zu", r, w.i);
}

/* Invalid arguments and NULL pointers: the documented error, no change. */
static void op_bad(struct fz *f)
{
	uint8_t s = fuzz_u8(&f->in);
	struct iova_range rg;
	struct iova_stats st;
	uint64_t pfn = 0;
	int r = 0, want = -EINVAL;

	switch (s % 12) {
	case 0:
		r = iova_alloc(f->d, 1, 1, 0, UINT64_MAX, IOVA_TOP_DOWN, NULL);
		break;
	case 1:
		r = iova_alloc(NULL, 1, 1, 0, UINT64_MAX, IOVA_TOP_DOWN, &pfn);
		break;
	case 2:
		r = iova_free(NULL, 0);
		break;
	case 3:
		r = iova_find(f->d, 0, NULL);
		break;
	case 4:
		r = iova_find_next(NULL, 0, &rg);
		break;
	case 5:
		r = iova_find(NULL, 0, &rg);
		break;
	case 6:
		r = iova_set_udata(NULL, 0, NULL);
		break;
	case 7:
		r = iova_reserve(NULL, 0, 1);
		break;
	case 8:
		r = iova_for_each(f->d, NULL, NULL);
		if (r == -EINVAL)
			r = iova_for_each(NULL, walk_cb, NULL);
		break;
	case 9:
		r = iova_get_stats(f->d, NULL);
		if (r == -EINVAL)
			r = iova_get_stats(NULL, &st);
		break;
	case 10:
		r = iova_domain_validate(NULL, NULL);
		if (r == -EINVAL)
			r = iova_find_next(f->d, 0, NULL);
		break;
	default:
		EXPECT(iova_largest_gap(NULL, 0, UINT64_MAX) == 0,
		       "largest_gap(NULL)");
		iova_domain_destroy(NULL);
		r = -EINVAL;
		break;
	}
	EXPECT(r == want, "bad call #%d = %d", s % 12, r);
	expect_no_alloc("a bad call");
}

/* Arm a memory failure: the k-th node allocation or hook call from now. */
static void op_inject(struct fz *f)
{
	uint8_t s = fuzz_u8(&f->in);
	unsigned long k = 1 + (s >> 2 & 15);

	if ((s & 1) || !f->hooked) {
		bool fired;

		fi_poll(&fired);	/* settle the count first */
		fi_left = k;
		iova__fault_inject(k);
	} else {
		hs.fail_at = hs.calls + k;
	}
}

/* ------------------------------------------------------------------ */
/* Geometry and the driver                                             */

static int model_create(const struct iova_domain_config *c, uint64_t *start,
			uint64_t *end)
{
	uint64_t g = c->granule ? c->granule : 4096;

	if ((g & (g - 1)) || (c->flags & ~IOVA_DOMAIN_UDATA))
		return -EINVAL;
	if (c->mem && (!c->mem->alloc || !c->mem->free))
		return -EINVAL;
	*start = c->start_pfn;
	*end = c->end_pfn ? c->end_pfn : UINT64_MAX >> __builtin_ctzll(g);
	/* An end whose byte address would wrap is refused (issue 15). */
	if (*end > UINT64_MAX >> __builtin_ctzll(g))
		return -EINVAL;
	return *start > *end ? -EINVAL : 0;
}

/* Returns false if the input asked for an invalid domain (checked). */
static bool setup(struct fz *f)
{
	struct iova_domain_config c = { 0 };
	uint8_t g = fuzz_u8(&f->in), fl;
	uint64_t start = 0, end = 0;
	bool use_null_cfg = false;
	int want, r;

	switch (g % 8) {
	case 0:	/* small and dense */
		c.start_pfn = g >> 3 & 3;
		c.end_pfn = c.start_pfn + 15 + fuzz_uint(&f->in, 2) % 4096;
		break;
	case 1:	/* touching UINT64_MAX */
		c.granule = 1;
		c.end_pfn = UINT64_MAX;
		c.start_pfn = UINT64_MAX - 15 - fuzz_uint(&f->in, 2) % 4096;
		break;
	case 2:	/* the whole 64-bit space */
		c.granule = 1;
		break;
	case 3:	/* 32-bit-like, pfn 0 excluded or not */
		c.start_pfn = g >> 3 & 1;
		c.end_pfn = (UINT64_C(1) << (12 + fuzz_u8(&f->in) % 9)) - 1;
		break;
	case 4:	/* somewhere in the middle */
		c.start_pfn = fuzz_uint(&f->in, 5);
		c.end_pfn = c.start_pfn + 64 + fuzz_uint(&f->in, 2) % 2048;
		break;
	case 5:	/* the defaults */
		use_null_cfg = (g >> 3 & 1) != 0;
		break;
	case 6:	/* a granule and a 48-bit-like space */
		c.granule = UINT64_C(1) << (fuzz_u8(&f->in) % 64);
		c.start_pfn = fuzz_u8(&f->in);
		break;
	default:	/* raw: may be invalid */
		c.granule = fuzz_uint(&f->in, 1) << (fuzz_u8(&f->in) % 57);
		c.start_pfn = fuzz_uint(&f->in, 8);
		c.end_pfn = fuzz_uint(&f->in, 8);
		break;
	}
	fl = fuzz_u8(&f->in);
	if (fl & 1)
		c.flags |= IOVA_DOMAIN_UDATA;
	if ((fl & 0x3e) == 0x3e)
		c.flags |= 0x100;	/* unknown flag: -EINVAL */
	f->hooked = !(fl & 0x40) && !use_null_cfg;
	c.mem = f->hooked ? &hooks : NULL;
	if ((fl & 0xc0) == 0xc0 && !use_null_cfg)
		c.mem = &bad_hooks;	/* -EINVAL */

	if (use_null_cfg) {
		struct iova_domain_config def = { 0 };

		want = model_create(&def, &start, &end);
	} else {
		want = model_create(&c, &start, &end);
	}
	/* Sometimes fail the first attempt (domain or root node). */
	if (want == 0 && (fl & 0x80) && f->hooked)
		hs.fail_at = 1 + (fl >> 1 & 1);
	else if (want == 0 && (fl & 0x30) == 0x10)
		fi_left = 1 + (fl >> 3 & 1), iova__fault_inject(fi_left);
	for (;;) {
		f->d = NULL;
		r = iova_domain_create(use_null_cfg ? NULL : &c, &f->d);
		if (!fault_fired(NULL))
			break;
		EXPECT(r == -ENOMEM && f->d == NULL,
		       "create with a memory failure = %d", r);
		EXPECT(!f->hooked || hs.live_bytes == 0,
		       "failed create leaked %" PRIu64 " bytes", hs.live_bytes);
	}
	EXPECT(r == want, "create(granule %#" PRIx64 ", [%#" PRIx64 ", %#"
	       PRIx64 "], flags %#x) = %d, model %d", c.granule, c.start_pfn,
	       c.end_pfn, c.flags, r, want);
	EXPECT(iova_domain_create(&c, NULL) == -EINVAL, "create(out NULL)");
	if (r)
		return false;
	EXPECT(iova_domain_start_pfn(f->d) == start &&
		       iova_domain_end_pfn(f->d) == end,
	       "geometry [%#" PRIx64 ", %#" PRIx64 "], model [%#" PRIx64
	       ", %#" PRIx64 "]", iova_domain_start_pfn(f->d),
	       iova_domain_end_pfn(f->d), start, end);
	EXPECT(iova_domain_granule(f->d) ==
		       (use_null_cfg || !c.granule ? 4096 : c.granule),
	       "granule");
	f->udata = (c.flags & IOVA_DOMAIN_UDATA) && !use_null_cfg;
	oracle_init(&f->o, start, end);
	return true;
}

typedef void (*op_fn)(struct fz *f);

static const op_fn ops[] = {
	op_alloc, op_alloc, op_alloc, op_alloc, op_free, op_free, op_free,
	op_reserve, op_find, op_largest, op_fill, op_drain, op_udata,
	op_inject, op_bad, op_walk_stop, op_iterate,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f;

	if (size && data[0] >= 0xd0) {
		disarm();
		if (data[0] >= 0xe0)
			fuzz_linux_run(data + 1, size - 1);
		else
			fuzz_cache_run(data + 1, size - 1);
		disarm();
		return 0;
	}
	memset(&f, 0, sizeof(f));
	memset(&hs, 0, sizeof(hs));
	f.in.p = data;
	f.in.n = size;
	cur = &f;
	disarm();
	if (setup(&f)) {
		while (f.in.n && f.ops < FZ_MAX_OPS) {
			uint8_t op = fuzz_u8(&f.in);

			f.ops++;
			ops[op % (sizeof(ops) / sizeof(ops[0]))](&f);
			validate(&f);
			if (f.o.n < 256 || f.ops % 16 == 0)
				full_compare(&f);
			expect_no_alloc("validate or stats");
		}
		disarm();
		full_compare(&f);
		iova_domain_destroy(f.d);	/* with live ranges */
	}
	disarm();
	if (hs.live_bytes || hs.live_blocks)
		fail("destroy left %" PRIu64 " bytes in %" PRIu64 " blocks",
		     hs.live_bytes, hs.live_blocks);
	oracle_free_all(&f.o);
	free(f.ud);
	cur = NULL;
	return 0;
}
