/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * The Linux-compatible API (include/iova/linux.h) under the fuzz target:
 * fuzz_ops.c hands inputs whose first byte is >= 0xe0 to fuzz_linux_run().
 *
 * The model is oracle.h over the native pfn space [start_pfn, ULONG_MAX >>
 * shift] (linux.h: iova_linux_native()); reservations below start_pfn are
 * records only, modelled by the user-reservation oracle.  Checked against it, after every call:
 *   alloc_iova()       the exact highest fit in [start_pfn, limit_pfn],
 *                      aligned to roundup_pow_of_two(size) when asked;
 *   alloc_iova_fast()  the same with the fast path's rounding (the caches
 *                      are not set up here, so the index answers);
 *   free_iova()        any pfn inside a live allocation frees it; anything
 *                      else is a bad free: counted, reported, no change;
 *   __free_iova(), free_iova_fast()  likewise, with their own rules;
 *   find_iova()        the containing range, the same struct every time;
 *   reserve_iova()     merges, refuses live overlaps, returns a struct
 *                      covering the request;
 * plus validate of the native domain, the whole range list, the bad-free
 * count, put/init cycles, and injected node-allocation failures (a call in
 * which one fired must fail and change nothing).
 *
 * The per-CPU caches (iova_domain_init_rcaches()) are not exercised here:
 * with them the placement is not the oracle's (see docs/assurance.md).
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iova/iova.h"
#include "iova/linux.h"
#include "oracle/oracle.h"
#include "fuzz/fuzz_common.h"

void fuzz_linux_run(const uint8_t *data, size_t size);

/* From src/internal.h (which cannot be included beside linux.h). */
unsigned long iova__fault_inject(unsigned long k);

#define FL_MAX_RANGES 600
#define FL_MAX_OPS 1500

struct lin_struct {
	uint64_t lo;		/* live range start */
	struct iova *it;	/* its struct (NULL: a fast range without) */
	bool fast;
	unsigned long fast_size;	/* size passed to alloc_iova_fast() */
};

struct fl {
	struct fuzz_input in;
	struct iova_domain dom;
	unsigned long shift, start, top;
	bool usable;		/* granule accepted and not put */
	struct oracle o;	/* everything the native domain holds */
	struct oracle ur;	/* user reservations only */
	struct lin_struct *ls;
	size_t nls, capls;
	struct iova **rsv;	/* structs reserve_iova() returned */
	size_t nrsv, caprsv;
	unsigned long bad_frees, hook_calls, ops;
};

static struct fl *cur;
static unsigned long fi_left;

#define fail(...) fuzz_fail(" (linux)", cur ? cur->ops : 0, __VA_ARGS__)

/* Did the armed failure fire since the last call?  Re-arms the rest. */
static bool fired(void)
{
	unsigned long n = iova__fault_inject(0);
	bool f = fi_left && n >= fi_left;

	fi_left = f ? 0 : fi_left ? fi_left - n : 0;
	iova__fault_inject(fi_left);
	return f;
}

static void bad_free_hook(struct iova_domain *iovad, unsigned long pfn,
			  const char *what)
{
	(void)pfn;
	(void)what;
	if (!cur || iovad != &cur->dom)
		__builtin_trap();
	cur->hook_calls++;
}

/* --- struct bookkeeping ---------------------------------------------- */

static struct lin_struct *ls_get(struct fl *f, uint64_t lo)
{
	size_t i;

	for (i = 0; i < f->nls; i++)
		if (f->ls[i].lo == lo)
			return &f->ls[i];
	return NULL;
}

static void ls_add(struct fl *f, uint64_t lo, struct iova *it, bool fast,
		   unsigned long fast_size)
{
	if (f->nls == f->capls) {
		f->capls = f->capls ? 2 * f->capls : 64;
		f->ls = realloc(f->ls, f->capls * sizeof(*f->ls));
		if (!f->ls)
			abort();
	}
	f->ls[f->nls++] = (struct lin_struct){ lo, it, fast, fast_size };
}

static void ls_del(struct fl *f, uint64_t lo)
{
	struct lin_struct *s = ls_get(f, lo);

	if (s)
		*s = f->ls[--f->nls];
}

static void rsv_add(struct fl *f, struct iova *it)
{
	size_t i;

	for (i = 0; i < f->nrsv; i++)
		if (f->rsv[i] == it)
			return;
	if (f->nrsv == f->caprsv) {
		f->caprsv = f->caprsv ? 2 * f->caprsv : 16;
		f->rsv = realloc(f->rsv, f->caprsv * sizeof(*f->rsv));
		if (!f->rsv)
			abort();
	}
	f->rsv[f->nrsv++] = it;
}

/* --- picking --------------------------------------------------------- */

static uint64_t pick_pfn(struct fl *f)
{
	uint8_t s = fuzz_u8(&f->in);
	uint64_t small = s >> 4;

	switch (s & 7) {
	case 0:
		return f->top == UINT64_MAX ? fuzz_uint(&f->in, 8)
					    : fuzz_uint(&f->in, 8) % (f->top + 1);
	case 1:
		return f->start + small - 2;
	case 2:
		return f->top - small + 1;
	case 3:
	case 4:
		if (f->o.n) {
			const struct orange *r = &f->o.r[fuzz_uint(&f->in, 2) % f->o.n];

			return ((s & 1) ? r->lo : r->hi) + (small & 3) - 1;
		}
		return f->start + small;
	case 5:
		return (UINT64_C(1) << (fuzz_u8(&f->in) & 63)) - (small & 1);
	case 6:
		return fuzz_uint(&f->in, 8);
	default:
		return f->start + fuzz_uint(&f->in, 2);
	}
}

static unsigned long pick_size(struct fl *f)
{
	uint8_t s = fuzz_u8(&f->in);

	switch (s & 7) {
	case 0:
	case 1:
	case 2:
		return 1 + (s >> 3 & 7);
	case 3:
		return 1 + fuzz_u8(&f->in);
	case 4:
		return UINT64_C(1) << (fuzz_u8(&f->in) & 63);
	case 5:
		return (UINT64_C(1) << 63) + (s >> 3 & 1);
	case 6:
		return 1 + fuzz_uint(&f->in, 2);
	default:
		return fuzz_uint(&f->in, 8);
	}
}

static unsigned long pick_limit(struct fl *f)
{
	uint8_t s = fuzz_u8(&f->in);

	switch (s & 3) {
	case 0:
		return ULONG_MAX;
	case 1:	/* a DMA mask, in pfns */
		return (s >> 2) ? ((1UL << (s >> 2)) - 1) >> f->shift
				: ULONG_MAX >> f->shift;
	case 2:
		return f->dom.dma_32bit_pfn ? f->dom.dma_32bit_pfn - 1 : 0;
	default:
		return pick_pfn(f);
	}
}

static uint64_t pow2_ceil(uint64_t x)
{
	unsigned int k = 0;

	while (k < 63 && (UINT64_C(1) << k) < x)
		k++;
	return UINT64_C(1) << k;
}

/* --- comparison ------------------------------------------------------ */

struct cmp {
	struct fl *f;
	size_t i;
};

static int cmp_cb(const struct iova_range *r, void *arg)
{
	struct cmp *c = arg;
	const struct orange *o;

	EXPECT(c->i < c->f->o.n, "native holds more ranges than the model");
	o = &c->f->o.r[c->i++];
	EXPECT(r->lo == o->lo && r->hi == o->hi &&
		       !!(r->flags & IOVA_RANGE_RESERVED) == o->rsv,
	       "native range [%#" PRIx64 ", %#" PRIx64 "], model [%#" PRIx64
	       ", %#" PRIx64 "]", r->lo, r->hi, o->lo, o->hi);
	return 0;
}

static void compare(struct fl *f)
{
	struct iova_ndomain *nd;
	struct cmp c = { f, 0 };
	const char *why = NULL;

	if (!f->usable || !f->dom._priv) {
		/* Nothing can exist without the native domain. */
		EXPECT(f->nls == 0 && f->ur.n == 0,
		       "ranges exist but the domain does not");
		return;
	}
	nd = iova_linux_native(&f->dom);
	EXPECT(nd != NULL, "iova_linux_native");
	if (iova_domain_validate(nd, &why))
		fail("validate: %s", why ? why : "?");
	iova_for_each(nd, cmp_cb, &c);
	EXPECT(c.i == f->o.n, "native holds %zu ranges, model %zu", c.i,
	       f->o.n);
	EXPECT(iova_linux_bad_frees(&f->dom) == f->bad_frees,
	       "bad frees %lu, model %lu", iova_linux_bad_frees(&f->dom),
	       f->bad_frees);
}

/* A bad free: the hook ran once; counted when the domain exists. */
static void expect_bad_free(struct fl *f, unsigned long calls_before,
			    const char *what)
{
	EXPECT(f->hook_calls == calls_before + 1, "%s: hook calls %lu -> %lu",
	       what, calls_before, f->hook_calls);
	if (f->usable && f->dom._priv)
		f->bad_frees++;
}

/* --- operations ------------------------------------------------------ */

static void op_alloc(struct fl *f, bool fast)
{
	uint8_t s = fuzz_u8(&f->in);
	unsigned long size = pick_size(f), limit = pick_limit(f), eff = size;
	uint64_t align = 1, want_at = 0;
	bool aligned = s & 1, ok_model;
	int want = -ENOMEM;

	if (fast) {
		aligned = true;
		if (size && size < (1UL << (IOVA_RANGE_CACHE_MAX_SIZE - 1)))
			eff = pow2_ceil(size);
	}
	ok_model = f->usable && size && limit >= f->start &&
		   !(aligned && size > (1UL << 63));
	if (ok_model) {
		if (aligned)
			align = pow2_ceil(eff);
		if (f->o.n < FL_MAX_RANGES)
			want = oracle_place(&f->o, eff, align, f->start, limit,
					    true, &want_at);
		else
			return;
	}
	if (fast) {
		unsigned long pfn = alloc_iova_fast(&f->dom, size, limit, s & 2);

		if (fired()) {
			EXPECT(pfn == 0, "alloc_iova_fast: injected failure, "
			       "got %#lx", pfn);
			return;
		}
		EXPECT(pfn == (want ? 0 : want_at),
		       "alloc_iova_fast(%#lx, limit %#lx) = %#lx, model %d at %#"
		       PRIx64, size, limit, pfn, want, want_at);
		if (!want) {
			oracle_insert(&f->o, want_at, want_at + eff - 1, false);
			ls_add(f, want_at, NULL, true, size);
		}
		return;
	}
	{
		struct iova *it = alloc_iova(&f->dom, size, limit, aligned);

		if (fired()) {
			EXPECT(it == NULL, "alloc_iova: injected failure, got "
			       "a range");
			return;
		}
		EXPECT((it != NULL) == (want == 0),
		       "alloc_iova(%#lx, limit %#lx, aligned %d) = %p, model %d",
		       size, limit, aligned, (void *)it, want);
		if (!it)
			return;
		EXPECT(it->pfn_lo == want_at && iova_size(it) == eff,
		       "alloc_iova(%#lx, limit %#lx, aligned %d) at %#lx, "
		       "model %#" PRIx64, size, limit, aligned, it->pfn_lo,
		       want_at);
		EXPECT(iova_dma_addr(&f->dom, it) ==
			       (dma_addr_t)it->pfn_lo << f->shift &&
		       iova_pfn(&f->dom, iova_dma_addr(&f->dom, it)) == it->pfn_lo,
		       "iova_dma_addr / iova_pfn");
		oracle_insert(&f->o, want_at, want_at + eff - 1, false);
		ls_add(f, want_at, it, false, 0);
	}
}

static void model_free(struct fl *f, uint64_t lo)
{
	oracle_free(&f->o, lo);
	ls_del(f, lo);
}

static void op_free(struct fl *f)
{
	uint8_t s = fuzz_u8(&f->in);
	unsigned long pfn, calls = f->hook_calls;
	bool had;
	long i;

	if (f->o.n && (s & 3)) {
		const struct orange *r = &f->o.r[fuzz_uint(&f->in, 2) % f->o.n];

		pfn = r->lo + (r->hi - r->lo) / (1 + (s >> 2 & 3));
	} else {
		pfn = pick_pfn(f);
	}
	i = oracle_find(&f->o, pfn);
	had = f->dom._priv != NULL;
	free_iova(&f->dom, pfn);
	EXPECT(!fired() || !had, "free_iova allocated");
	if (f->usable && i >= 0 && !f->o.r[i].rsv) {
		EXPECT(f->hook_calls == calls, "free_iova(%#lx): reported bad",
		       pfn);
		model_free(f, f->o.r[i].lo);
	} else {
		expect_bad_free(f, calls, "free_iova");
	}
}

static void op_free_struct(struct fl *f)
{
	uint8_t s = fuzz_u8(&f->in);
	unsigned long calls = f->hook_calls;
	struct lin_struct *ls = NULL;
	size_t i;

	if ((s & 3) == 0) {
		__free_iova(&f->dom, NULL);
		(void)fired();	/* may have made the domain */
		expect_bad_free(f, calls, "__free_iova(NULL)");
		return;
	}
	if ((s & 3) == 1 && f->nrsv) {
		__free_iova(&f->dom, f->rsv[fuzz_uint(&f->in, 1) % f->nrsv]);
		expect_bad_free(f, calls, "__free_iova(reservation)");
		return;
	}
	for (i = 0; i < f->nls; i++) {
		ls = &f->ls[(i + fuzz_uint(&f->in, 1)) % f->nls];
		if (ls->it)
			break;
		ls = NULL;
	}
	if (!ls)
		return;
	__free_iova(&f->dom, ls->it);
	EXPECT(!fired(), "__free_iova allocated");
	EXPECT(f->hook_calls == calls, "__free_iova of a live struct: bad");
	model_free(f, ls->lo);
}

static void op_free_fast(struct fl *f)
{
	uint8_t s = fuzz_u8(&f->in);
	unsigned long calls = f->hook_calls, pfn, size, want;
	struct lin_struct *ls = f->nls ? &f->ls[fuzz_uint(&f->in, 2) % f->nls] : NULL;
	long i;
	bool good, had;

	if (ls && (s & 3)) {
		const struct orange *r = &f->o.r[oracle_find(&f->o, ls->lo)];

		pfn = ls->lo + ((s & 3) == 3);
		size = ls->fast ? ls->fast_size : r->hi - r->lo + 1;
		if (s & 4)
			size = pick_size(f);	/* maybe the wrong size */
	} else {
		pfn = pick_pfn(f);
		size = pick_size(f);
	}
	want = size && size < (1UL << (IOVA_RANGE_CACHE_MAX_SIZE - 1))
		       ? pow2_ceil(size) : size;
	i = oracle_find(&f->o, pfn);
	good = f->usable && size && size <= (1UL << 63) && i >= 0 &&
	       !f->o.r[i].rsv && f->o.r[i].lo == pfn &&
	       f->o.r[i].hi - f->o.r[i].lo + 1 == want;
	had = f->dom._priv != NULL;
	free_iova_fast(&f->dom, pfn, size);
	EXPECT(!fired() || !had, "free_iova_fast allocated");
	if (good) {
		EXPECT(f->hook_calls == calls, "free_iova_fast(%#lx, %#lx): "
		       "reported bad", pfn, size);
		model_free(f, pfn);
	} else {
		expect_bad_free(f, calls, "free_iova_fast");
	}
}

static void op_find(struct fl *f)
{
	uint64_t pfn = pick_pfn(f);
	long i = oracle_find(&f->o, pfn), u = oracle_find(&f->ur, pfn);
	struct iova *it = find_iova(&f->dom, pfn);
	bool fi = fired();

	if (f->usable && pfn < f->start) {
		/* Below start_pfn: only what the caller reserved there. */
		if (u < 0)
			EXPECT(it == NULL, "find_iova(%#" PRIx64 ") below start_pfn, "
			       "not reserved", pfn);
		else
			EXPECT(it && it->pfn_lo <= pfn && pfn <= it->pfn_hi,
			       "find_iova(%#" PRIx64 ") below start_pfn of a user "
			       "reservation", pfn);
		return;
	}
	if (!f->usable || i < 0) {
		EXPECT(it == NULL, "find_iova(%#" PRIx64 ") of a free pfn", pfn);
		return;
	}
	if (f->o.r[i].rsv) {
		if (u >= 0)
			EXPECT(it != NULL || fi, "find_iova(%#" PRIx64
			       ") of a user reservation = NULL", pfn);
		if (it) {
			EXPECT(it->pfn_lo <= pfn && pfn <= it->pfn_hi &&
				       (it->pfn_lo >= f->o.r[i].lo ||
					it->pfn_lo < f->start) &&
				       it->pfn_hi <= f->o.r[i].hi,
			       "find_iova(%#" PRIx64 "): reservation [%#lx, "
			       "%#lx] in [%#" PRIx64 ", %#" PRIx64 "]", pfn,
			       it->pfn_lo, it->pfn_hi, f->o.r[i].lo,
			       f->o.r[i].hi);
			rsv_add(f, it);
		}
		return;
	}
	{
		struct lin_struct *ls = ls_get(f, f->o.r[i].lo);

		EXPECT(ls != NULL, "model lost a range");
		if (fi && !ls->it) {
			EXPECT(it == NULL, "find_iova: injected failure");
			return;
		}
		EXPECT(!fi, "find_iova of a range with a struct allocated");
		EXPECT(it && it->pfn_lo == f->o.r[i].lo &&
			       it->pfn_hi == f->o.r[i].hi,
		       "find_iova(%#" PRIx64 ") = wrong range", pfn);
		if (ls->it)
			EXPECT(it == ls->it, "find_iova: another struct");
		ls->it = it;
	}
}

static void op_reserve(struct fl *f)
{
	uint8_t s = fuzz_u8(&f->in);
	uint64_t lo = pick_pfn(f), hi;
	struct iova *it;
	int want = -EINVAL;
	bool fi;

	switch (s & 3) {
	case 0:
		hi = lo + (s >> 2);
		break;
	case 1:
		hi = pick_pfn(f);
		break;
	case 2:
		hi = lo - 1;
		break;
	default:
		hi = f->top + (s >> 2 & 1);
		break;
	}
	if (f->usable && lo <= hi && hi <= f->top) {
		/* Is it refused (a live overlap)?  Ask on a copy. */
		struct oracle c = f->o;

		c.r = malloc((c.n + 1) * sizeof(*c.r));
		if (!c.r)
			abort();
		if (c.n)
			memcpy(c.r, f->o.r, c.n * sizeof(*c.r));
		c.cap = c.n + 1;
		want = oracle_reserve(&c, lo, hi);
		oracle_free_all(&c);
	}
	it = reserve_iova(&f->dom, lo, hi);
	fi = fired();
	if (fi) {
		EXPECT(it == NULL, "reserve_iova: injected failure");
		return;
	}
	EXPECT((it != NULL) == (want == 0), "reserve_iova(%#" PRIx64 ", %#"
	       PRIx64 ") = %p, model %d", lo, hi, (void *)it, want);
	if (!it)
		return;
	EXPECT(it->pfn_lo <= lo && it->pfn_hi >= hi, "reserve_iova(%#" PRIx64
	       ", %#" PRIx64 ") reports [%#lx, %#lx]", lo, hi, it->pfn_lo,
	       it->pfn_hi);
	oracle_reserve(&f->o, lo, hi);
	oracle_reserve(&f->ur, lo, hi);
	rsv_add(f, it);
}

static void op_inject(struct fl *f)
{
	(void)fired();
	fi_left = 1 + (fuzz_u8(&f->in) & 7);
	iova__fault_inject(fi_left);
}

static void domain_setup(struct fl *f, unsigned long granule,
			 unsigned long start)
{
	bool ok_granule = granule && !(granule & (granule - 1)) &&
			  granule <= (1UL << 31);

	init_iova_domain(&f->dom, granule, start);
	(void)fired();	/* an injected failure: the next call retries */
	f->usable = ok_granule;
	f->shift = ok_granule ? (unsigned long)__builtin_ctzl(granule) : 0;
	f->start = start;
	f->top = ULONG_MAX >> f->shift;
	EXPECT(f->dom.granule == granule && f->dom.start_pfn == start,
	       "init_iova_domain fields");
	if (ok_granule)
		EXPECT(f->dom.dma_32bit_pfn == 1UL << (32 - f->shift) &&
			       f->dom.max32_alloc_size == f->dom.dma_32bit_pfn,
		       "dma_32bit_pfn");
	/* Nothing below start_pfn is in the native domain. */
	oracle_init(&f->o, start <= f->top ? start : f->top, f->top);
	if (start > f->top)	/* nothing to hand out: the last pfn reserved */
		oracle_reserve(&f->o, f->top, f->top);
	oracle_init(&f->ur, 0, f->top);
	f->nls = f->nrsv = 0;
	f->bad_frees = 0;
}

static void op_cycle(struct fl *f)
{
	uint8_t s = fuzz_u8(&f->in);

	put_iova_domain(&f->dom);
	f->usable = false;
	f->nls = f->nrsv = 0;
	oracle_init(&f->o, 0, f->top);
	oracle_init(&f->ur, 0, f->top);
	if (s & 1) {	/* calls on a destroyed domain fail */
		unsigned long calls = f->hook_calls;

		EXPECT(alloc_iova(&f->dom, 1, ULONG_MAX, false) == NULL &&
			       alloc_iova_fast(&f->dom, 1, ULONG_MAX, true) == 0 &&
			       find_iova(&f->dom, f->start) == NULL &&
			       reserve_iova(&f->dom, 0, 0) == NULL &&
			       iova_linux_native(&f->dom) == NULL &&
			       iova_domain_init_rcaches(&f->dom) == -EINVAL,
		       "a destroyed domain answered");
		free_iova(&f->dom, f->start);
		EXPECT(f->hook_calls == calls + 1, "free on a destroyed domain");
		put_iova_domain(&f->dom);	/* twice: no-op */
	}
	if (s & 2)
		(void)fired(), fi_left = 1 + (s >> 2 & 7),
			iova__fault_inject(fi_left);
	domain_setup(f, f->dom.granule, f->start);
}

void fuzz_linux_run(const uint8_t *data, size_t size)
{
	static const unsigned long granules[] = { 4096, 1, 512, 65536,
						  1UL << 31, 0, 3, 1UL << 32 };
	struct fl f;
	uint8_t g;
	unsigned long granule, start;

	memset(&f, 0, sizeof(f));
	f.in.p = data;
	f.in.n = size;
	cur = &f;
	fi_left = 0;
	iova__fault_inject(0);
	iova_linux_set_bad_free_hook(bad_free_hook);
	EXPECT(iova_cache_get() == 0, "iova_cache_get");

	g = fuzz_u8(&f.in);
	granule = granules[(g & 7) < 5 || (g & 0x80) ? (g & 7) % 5 : g & 7];
	switch (g >> 3 & 7) {
	case 0:
		start = 0;
		break;
	case 1:
		start = 1;
		break;
	case 2:
		start = fuzz_u8(&f.in);
		break;
	case 3:
		start = fuzz_uint(&f.in, 2);
		break;
	case 4:	/* near the top of the pfn space */
		start = (ULONG_MAX >> (granule && !(granule & (granule - 1))
					       ? __builtin_ctzl(granule) : 0)) -
			fuzz_uint(&f.in, 1);
		break;
	default:
		start = fuzz_uint(&f.in, 8);
		break;
	}
	if (g & 0x40) {	/* fail the set-up; a later call retries */
		fi_left = 1 + (fuzz_u8(&f.in) & 7);
		iova__fault_inject(fi_left);
	}
	domain_setup(&f, granule, start);
	if (!f.usable) {
		unsigned long calls = f.hook_calls;

		EXPECT(alloc_iova(&f.dom, 1, ULONG_MAX, false) == NULL &&
			       reserve_iova(&f.dom, 0, 0) == NULL &&
			       iova_domain_init_rcaches(&f.dom) == -EINVAL,
		       "a domain with a bad granule answered");
		__free_iova(&f.dom, NULL);
		EXPECT(f.hook_calls == calls + 1, "bad free not reported");
	}
	while (f.in.n && f.ops < FL_MAX_OPS) {
		uint8_t op = fuzz_u8(&f.in);

		f.ops++;
		switch (op % 12) {
		case 0:
		case 1:
		case 2:
			op_alloc(&f, false);
			break;
		case 3:
			op_alloc(&f, true);
			break;
		case 4:
		case 5:
			op_free(&f);
			break;
		case 6:
			op_free_struct(&f);
			break;
		case 7:
			op_free_fast(&f);
			break;
		case 8:
			op_find(&f);
			break;
		case 9:
			op_reserve(&f);
			break;
		case 10:
			op_inject(&f);
			break;
		default:
			if (op & 0x80)
				op_cycle(&f);
			else
				op_find(&f);
			break;
		}
		if (!fi_left)
			compare(&f);
	}
	fi_left = 0;
	iova__fault_inject(0);
	compare(&f);
	put_iova_domain(&f.dom);
	iova_cache_put();
	iova_linux_set_bad_free_hook(NULL);
	oracle_free_all(&f.o);
	oracle_free_all(&f.ur);
	free(f.ls);
	free(f.rsv);
	cur = NULL;
}
