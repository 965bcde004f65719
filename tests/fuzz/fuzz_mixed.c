/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * The mixed fuzz target (issue 15): the native, fast and Linux calls on one
 * domain, from two logical threads, with a deterministic interleaving
 * schedule taken from the input, against the ownership map of
 * tests/isolation/iso.h.
 *
 * The domain is a Linux-compatible one (init_iova_domain(), optionally
 * with its per-CPU caches); the native calls go to the domain behind it
 * (iova_linux_native()).  Thread 0 is the calling thread, thread 1 a
 * helper thread.  Each operation is decoded from the input before it runs
 * (so that what the input means never depends on what the library did),
 * and runs on its thread; an operation of thread 0 that allocates memory
 * can be preempted: at its k-th allocation (the malloc wrappers of
 * tests/isolation/iso_wrap.h) thread 1 runs its next m operations, and
 * only then does thread 0's call go on.  If thread 1 blocks there (on a
 * lock thread 0 holds), the library serialises the two: thread 1 finishes
 * after thread 0's call.
 *
 * Checked, after every operation:
 *  - every range handed out (alloc_iova, alloc_iova_fast, iova_alloc,
 *    iova_alloc_fast) is claimed in the ownership map: never over a live
 *    claim (a pfn handed out twice), a reservation the caller made, below
 *    start_pfn or above the limit asked for;
 *  - every free of a held range with its own call is good (no bad free
 *    reported, native 0); every misuse (a fast free of a pfn below
 *    start_pfn, of a reserved pfn, of free space or a cached range (double
 *    free), of a held range with the wrong size, outside the domain) is
 *    refused: reported once (Linux) or -ENOENT (native), nothing cached
 *    (the ones only the full check can see are made only where frees are
 *    fully checked);
 *  - find_iova() of a held Linux range is its struct (alloc_iova) or NULL
 *    or a struct of exactly it (alloc_iova_fast); of a pfn below start_pfn
 *    that the caller did not reserve, NULL;
 *  - reserve_iova() never succeeds over a live claim;
 * and at the end: after every range is freed and the caches flushed
 * nothing is live, the native domain validates, and put_iova_domain()
 * gives back every block the library allocated.
 *
 * The native ranges use only uncached sizes (>= 64 pfns, so the caches of
 * the two APIs are never shared: a struct iova made by find_iova() never
 * ends up on a range the native API frees).
 */
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iova/iova.h"
#include "iova/cache.h"
#include "iova/linux.h"
#include "fuzz/fuzz_common.h"
#include "isolation/iso.h"
#include "isolation/iso_wrap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FM_MAX_OPS 600
#define FM_MAX_HELD 400

static unsigned long fm_op;

#define fail(...) fuzz_fail(" (mixed)", fm_op, __VA_ARGS__)

enum fm_code {
	C_ALLOC_IOVA, C_ALLOC_FAST, C_NALLOC, C_NALLOC_FAST, C_FREE, C_FIND,
	C_RESERVE, C_MISUSE, C_FLUSH, C_NCODES
};

struct fm_opd {
	uint8_t code, thread, a, b, c, d;
	uint8_t preempt_at;	/* 0: none; else thread 1 runs at this alloc */
	uint8_t preempt_n;	/* how many of thread 1's ops then */
};

struct fm {
	struct iova_domain dom;
	struct iova_ndomain *nd;
	unsigned long start, window, top;
	bool caches;
	struct own_map om;
	long base_blocks;
	struct fm_opd ops[FM_MAX_OPS];
	size_t nops, next1;	/* next1: thread 1's next op index */
};

static struct fm F;
static struct side helper;
static bool helper_up;
static _Thread_local unsigned long t_reports;

static void bad_free_hook(struct iova_domain *iovad, unsigned long pfn,
			  const char *what)
{
	(void)pfn;
	(void)what;
	if (iovad != &F.dom)
		fail("bad-free hook for another domain");
	t_reports++;
}

/* --- the model ------------------------------------------------------- */

static void claim(unsigned long lo, unsigned long size, unsigned long limit,
		  enum own_kind kind, unsigned int thread, void *handle)
{
	const char *why;

	if (size && lo + size - 1 > limit)
		fail("[%#lx, +%#lx] handed out above the limit %#lx", lo, size,
		     limit);
	if (!own_claim(&F.om, lo, size, kind, thread, handle, &why))
		fail("thread %u: [%#lx, +%#lx] (kind %d): %s", thread, lo, size,
		     kind, why);
}

/* The k-th range held by thread t (any if k is larger), or -1. */
static long pick_held(unsigned int t, unsigned int k)
{
	size_t i, n = 0;
	long last = -1;

	for (i = 0; i < F.om.n; i++) {
		if (F.om.e[i].kind == OWN_RSV || F.om.e[i].owner != t)
			continue;
		last = (long)i;
		if (n++ == k)
			return last;
	}
	if (last < 0)
		return -1;
	return pick_held(t, k % (unsigned int)n);
}

static unsigned long op_size(uint8_t a)
{
	switch (a & 3) {
	case 0:
	case 1:
		return 1 + (a >> 2 & 7);
	case 2:
		return 1 + (a >> 2);
	default:
		return 1 + (a >> 2) * 4;
	}
}

static unsigned long op_limit(uint8_t b)
{
	unsigned long l = F.start + (F.window >> (b & 3)) - 1;

	return (b & 0x80) ? F.start + (b >> 2 & 0x1f) : l;
}

/* --- operations ---------------------------------------------------- */

static void run_one(const struct fm_opd *o);

static void preempt_cb(void *arg);

struct batch {
	size_t from, n;
};

static void run_batch(void *arg)
{
	struct batch *b = arg;
	size_t i;

	for (i = 0; i < b->n && b->from + i < F.nops; i++)
		run_one(&F.ops[b->from + i]);
}

static struct batch cur_batch;

/*
 * Thread 1 blocked inside the preempted call (on a lock thread 0 holds):
 * thread 0 finishes its library call, then waits for thread 1 before it
 * looks at the model again (after_call()), so the model is never touched
 * by both at once.
 */
static _Thread_local bool preempt_blocked;

static void preempt_cb(void *arg)
{
	(void)arg;
	if (!side_run(&helper, run_batch, &cur_batch, 50))
		preempt_blocked = true;
}

static void after_call(void)
{
	if (preempt_blocked) {
		preempt_blocked = false;
		side_join(&helper);
	}
}

static void op_alloc(const struct fm_opd *o)
{
	unsigned long size = op_size(o->a), lim = op_limit(o->b), lo;
	uint64_t pfn;
	struct iova *it;
	int r;

	if (F.om.n >= FM_MAX_HELD)
		return;
	switch (o->code) {
	case C_ALLOC_IOVA:
		it = alloc_iova(&F.dom, size, lim, o->c & 1);
		after_call();
		if (it) {
			if (it->pfn_hi - it->pfn_lo + 1 != size)
				fail("alloc_iova(%#lx): struct of %#lx pfns",
				     size, it->pfn_hi - it->pfn_lo + 1);
			claim(it->pfn_lo, size, lim, OWN_LINUX, o->thread, it);
		}
		break;
	case C_ALLOC_FAST:
		lo = alloc_iova_fast(&F.dom, size, lim, o->c & 1);
		after_call();
		if (lo)
			claim(lo, size, lim, OWN_LFAST, o->thread, NULL);
		break;
	case C_NALLOC:
		size += 63;	/* uncached sizes only (see the top) */
		r = iova_alloc(F.nd, size, (o->c & 1) ? 64 : 1, 0, lim,
			       (o->c & 2) ? IOVA_BOTTOM_UP : IOVA_TOP_DOWN, &pfn);
		after_call();
		if (!r)
			claim(pfn, size, lim, OWN_NATIVE, o->thread, NULL);
		break;
	default:
		size += 63;
		r = iova_alloc_fast(F.nd, size, lim, o->c & 1, &pfn);
		after_call();
		if (!r)
			claim(pfn, size, lim, OWN_NFAST, o->thread, NULL);
		break;
	}
}

static void op_free(const struct fm_opd *o)
{
	long i = pick_held(o->thread, o->a);
	struct own_entry e;
	unsigned long before = t_reports;
	int r = 0;

	if (i < 0)
		return;
	e = F.om.e[i];
	own_drop(&F.om, (size_t)i);	/* before the call: it may be reused */
	switch (e.kind) {
	case OWN_LINUX:
		if (o->b & 1)
			__free_iova(&F.dom, e.handle);
		else
			free_iova(&F.dom, e.lo + o->c % e.size);
		break;
	case OWN_LFAST:
		free_iova_fast(&F.dom, e.lo, e.size);
		break;
	case OWN_NATIVE:
		r = iova_free(F.nd, e.lo);
		break;
	default:
		r = iova_free_fast(F.nd, e.lo, e.size);
		break;
	}
	after_call();
	if (r || t_reports != before)
		fail("thread %u: free of its range [%#" PRIx64 ", +%#" PRIx64
		     "] (kind %d) refused (%d, %lu reports)", o->thread, e.lo,
		     e.size, e.kind, r, t_reports - before);
}

static void op_find(const struct fm_opd *o)
{
	unsigned int t = o->b & 1;
	long i = pick_held(t, o->a);
	struct own_entry e;
	struct iova *it;
	unsigned long pfn;

	if ((o->b & 6) == 0) {
		/* Below start_pfn: NULL unless the caller reserved it. */
		if (!F.start)
			return;
		pfn = o->c % F.start;
		it = find_iova(&F.dom, pfn);
		after_call();
		if (own_find(&F.om, pfn) < 0 && it)
			fail("find_iova(%#lx) below start_pfn %#lx, not reserved:"
			     " [%#lx, %#lx]", pfn, F.start, it->pfn_lo,
			     it->pfn_hi);
		if (own_find(&F.om, pfn) >= 0 && !it)
			fail("find_iova(%#lx) of a reserved pfn: NULL", pfn);
		return;
	}
	if (i < 0)
		return;
	e = F.om.e[i];
	if (e.kind != OWN_LINUX && e.kind != OWN_LFAST)
		return;	/* native ranges are not the Linux API's */
	pfn = e.lo + o->c % e.size;
	it = find_iova(&F.dom, pfn);
	after_call();
	/* Preempted, the range may have been freed meanwhile: only check (and
	 * dereference) what is still held as it was. */
	i = own_find(&F.om, pfn);
	if (i < 0 || F.om.e[i].gen != e.gen)
		return;
	if (e.kind == OWN_LINUX && it != e.handle)
		fail("find_iova(%#lx) of an alloc_iova range: not its struct",
		     pfn);
	if (e.kind == OWN_LFAST && it &&
	    (it->pfn_lo != e.lo || it->pfn_hi < e.lo + e.size - 1))
		fail("find_iova(%#lx) of a fast range [%#" PRIx64 ", +%#" PRIx64
		     "]: [%#lx, %#lx]", pfn, e.lo, e.size, it->pfn_lo,
		     it->pfn_hi);
}

static void op_reserve(const struct fm_opd *o)
{
	unsigned long lo, hi;
	struct iova *it;

	if (F.om.n >= FM_MAX_HELD)
		return;
	if ((o->a & 3) == 0 && F.start)
		lo = o->b % F.start;	/* below start_pfn */
	else
		lo = F.start + (((unsigned long)o->b << 8 | o->c) % F.window);
	hi = lo + (o->a >> 2 & 7);
	it = reserve_iova(&F.dom, lo, hi);
	after_call();
	if (!it)
		return;
	if (it->pfn_lo > lo || it->pfn_hi < hi)
		fail("reserve_iova(%#lx, %#lx) = [%#lx, %#lx]", lo, hi,
		     it->pfn_lo, it->pfn_hi);
	{
		long k = own_overlap(&F.om, lo, hi);

		if (k >= 0 && F.om.e[k].kind != OWN_RSV)
			fail("reserve_iova(%#lx, %#lx) over a live range "
			     "[%#" PRIx64 ", +%#" PRIx64 "]", lo, hi,
			     F.om.e[k].lo, F.om.e[k].size);
	}
	own_reserve(&F.om, lo, hi);
}

static uint64_t cached_total(void)
{
	struct iova_cache_config c;
	struct iova_cache_stats st;
	uint64_t n = 0;
	unsigned int ord;

	if (!F.caches || iova_cache_get_config(F.nd, &c))
		return 0;
	for (ord = 0; ord < c.max_order; ord++)
		if (!iova_cache_get_stats(F.nd, ord, &st))
			n += st.cached_ranges;
	return n;
}

/* Are fast frees fully checked: no caches (the index checks), the flag or a
 * debug build (iova_cache_get_config() reports the flags in force)? */
static bool frees_checked(void)
{
	struct iova_cache_config c;

	if (iova_cache_get_config(F.nd, &c))
		return true;
	return c.flags & IOVA_CACHE_CHECK_FREES;
}

static void op_misuse(const struct fm_opd *o)
{
	unsigned long pfn, size = 1 + (o->c & 3), before = t_reports;
	uint64_t cached = cached_total();
	bool native = o->b & 1;
	long i;
	int r = 0;

	switch (o->a % 6) {
	case 0:	/* below start_pfn */
		if (!F.start)
			return;
		pfn = o->c % F.start;
		break;
	case 1: {	/* a reservation the caller made */
		size_t k, n = 0;

		for (k = 0; k < F.om.n; k++)
			n += F.om.e[k].kind == OWN_RSV;
		if (!n)
			return;
		n = o->c % n;
		for (k = 0; k < F.om.n; k++)
			if (F.om.e[k].kind == OWN_RSV && !n--)
				break;
		pfn = F.om.e[k].lo;
		break;
	}
	case 2:	/* free space, a cached range: a double free */
		pfn = F.start + (((unsigned long)o->b << 8 | o->c) % F.window);
		size = 1;
		break;
	case 3:	/* a held fast range with the wrong size */
		i = pick_held(o->thread, o->c);
		if (i < 0 || F.om.e[i].kind != OWN_LFAST)
			return;
		pfn = F.om.e[i].lo;
		size = F.om.e[i].size;
		size = size <= 32 ? 2 * size + 32 : size - 1;
		native = false;
		break;
	case 4:	/* outside the domain */
		pfn = F.top + 1 + (o->c & 3);
		if (pfn <= F.top)
			pfn = F.top;	/* top == ULONG_MAX: the last pfn below */
		break;
	default:	/* inside a held range, not its start */
		i = pick_held(o->thread, o->c);
		if (i < 0 || F.om.e[i].size < 2)
			return;
		pfn = F.om.e[i].lo + 1;
		break;
	}
	/* Only if no one holds the pfns (else the free may be a good one). */
	if ((o->a % 6) != 3 && (o->a % 6) != 5 &&
	    (i = own_overlap(&F.om, pfn, pfn + size - 1)) >= 0 &&
	    F.om.e[i].kind != OWN_RSV)
		return;
	if ((o->a % 6) == 4 && pfn == F.top)
		return;
	/*
	 * A reservation, free space or a double free, or the inside of a held
	 * range: aligned and inside the domain, so only the full check refuses
	 * them on the cached path.  Without it (a release build's default,
	 * docs/caches.md) the caller is trusted: such a misuse is not made.
	 */
	if ((o->a % 6 == 1 || o->a % 6 == 2 || o->a % 6 == 5) && !frees_checked())
		return;
	if (native) {
		r = iova_free_fast(F.nd, pfn, size);
		after_call();
		if (r != -ENOENT)
			fail("iova_free_fast(%#lx, %lu), a misuse (%d): %d", pfn,
			     size, o->a % 6, r);
	} else {
		free_iova_fast(&F.dom, pfn, size);
		after_call();
		if (t_reports != before + 1)
			fail("free_iova_fast(%#lx, %lu), a misuse (%d): %lu "
			     "reports", pfn, size, o->a % 6, t_reports - before);
	}
	if (cached_total() != cached)
		fail("a misused fast free of %#lx entered a cache", pfn);
}

static void run_one(const struct fm_opd *o)
{
	fm_op++;
	switch (o->code) {
	case C_ALLOC_IOVA:
	case C_ALLOC_FAST:
	case C_NALLOC:
	case C_NALLOC_FAST:
		op_alloc(o);
		break;
	case C_FREE:
		op_free(o);
		break;
	case C_FIND:
		op_find(o);
		break;
	case C_RESERVE:
		op_reserve(o);
		break;
	case C_MISUSE:
		op_misuse(o);
		break;
	default:
		if (o->a & 1)
			iova_cache_flush_all(F.nd);
		else
			iova_cache_flush_cpu(F.nd, o->b & 1);
		after_call();
		break;
	}
}

static void run_thread1_now(size_t idx)
{
	struct batch b = { idx, 1 };

	if (!side_run(&helper, run_batch, &b, 60000))
		fail("thread 1 did not finish an operation in 60 s");
}

/* --- the schedule ------------------------------------------------------- */

static void decode(struct fuzz_input *in)
{
	F.nops = 0;
	while (in->n && F.nops < FM_MAX_OPS) {
		struct fm_opd *o = &F.ops[F.nops++];
		uint8_t s = fuzz_u8(in);

		o->code = (uint8_t)((s & 0x7f) % C_NCODES);
		o->thread = s >> 7;
		o->a = fuzz_u8(in);
		o->b = fuzz_u8(in);
		o->c = fuzz_u8(in);
		o->d = fuzz_u8(in);
		o->preempt_at = o->thread == 0 && (o->d & 0xc0) == 0xc0
					? 1 + (o->d & 3) : 0;
		o->preempt_n = 1 + (o->d >> 2 & 3);
	}
}

static void setup(struct fuzz_input *in)
{
	uint8_t g = fuzz_u8(in), w = fuzz_u8(in);
	static const unsigned long starts[] = { 1, 0x100, 0x1000, 0x10 };
	unsigned long granule = (g & 0x10) ? 1 : 4096;
	int r = 0;

	F.start = starts[g >> 2 & 3];
	F.window = 0x40ul << (w & 7);	/* 64 .. 8192 pfns */
	F.base_blocks = wrap_live_blocks();
	init_iova_domain(&F.dom, granule, F.start);
	F.top = ULONG_MAX >> (granule == 1 ? 0 : 12);
	F.nd = iova_linux_native(&F.dom);
	if (!F.nd)
		fail("init_iova_domain");
	F.caches = (g & 3) != 0;
	if ((g & 3) == 1)
		r = iova_linux_init_rcaches(&F.dom, 1, 0);
	else if ((g & 3) == 2)
		r = iova_linux_init_rcaches(&F.dom, 1, IOVA_LINUX_CHECK_FREES);
	else if ((g & 3) == 3)
		r = iova_linux_init_rcaches(&F.dom, 2, 0);
	if (r)
		fail("init_rcaches = %d", r);
	own_init(&F.om, F.start, F.top);
}

static void teardown(void)
{
	struct iova_stats st;
	const char *why = NULL;
	unsigned long before = t_reports;
	long left;

	while (F.om.n) {
		struct own_entry e = F.om.e[F.om.n - 1];
		int r = 0;

		own_drop(&F.om, F.om.n - 1);
		if (e.kind == OWN_LINUX)
			__free_iova(&F.dom, e.handle);
		else if (e.kind == OWN_LFAST)
			free_iova_fast(&F.dom, e.lo, e.size);
		else if (e.kind == OWN_NATIVE)
			r = iova_free(F.nd, e.lo);
		else if (e.kind == OWN_NFAST)
			r = iova_free_fast(F.nd, e.lo, e.size);
		if (r || t_reports != before)
			fail("final free of [%#" PRIx64 ", +%#" PRIx64 "] (kind "
			     "%d) refused", e.lo, e.size, e.kind);
	}
	iova_cache_flush_all(F.nd);
	if (iova_get_stats(F.nd, &st) || st.live_ranges)
		fail("%" PRIu64 " ranges live after every free and a flush",
		     st.live_ranges);
	if (iova_domain_validate(F.nd, &why))
		fail("validate: %s", why ? why : "?");
	put_iova_domain(&F.dom);
	left = wrap_live_blocks() - F.base_blocks;
	if (left)
		fail("put_iova_domain left %ld blocks allocated", left);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	size_t i;

	if (!helper_up) {
		side_start(&helper);
		helper_up = true;
		iova_linux_set_bad_free_hook(bad_free_hook);
	}
	fm_op = 0;
	setup(&in);
	decode(&in);
	F.next1 = 0;
	for (i = 0; i < F.nops; i++) {
		struct fm_opd *o = &F.ops[i];

		if (o->thread == 1) {
			if (i >= F.next1)
				run_thread1_now(i);
			continue;
		}
		if (o->preempt_at) {
			/* Thread 1's next preempt_n operations, from here. */
			size_t j = i + 1, n = 0;

			while (j < F.nops && F.ops[j].thread == 0)
				j++;
			cur_batch.from = j;
			while (j + n < F.nops && n < o->preempt_n &&
			       F.ops[j + n].thread == 1)
				n++;
			cur_batch.n = n;
			if (n && j >= F.next1) {
				wrap_arm(o->preempt_at, preempt_cb, NULL);
				run_one(o);
				if (!wrap_fired()) {
					wrap_arm(0, NULL, NULL);
				} else {
					side_join(&helper);
					F.next1 = j + n;
				}
				continue;
			}
		}
		run_one(o);
	}
	teardown();
	return 0;
}
