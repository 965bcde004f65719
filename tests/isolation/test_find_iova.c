/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Issue 15, findings 2, 3 and 4: find_iova() of the Linux-compatible API.
 *
 * 2  find_iova() racing with free_iova_fast() + alloc_iova(): the struct
 *    find_iova() makes for a fast range must never replace or detach the
 *    struct of another range.  Made deterministic: "the other thread" (a
 *    helper thread, iso.h) runs its free and alloc while find_iova() is
 *    stopped in its n-th memory allocation (the malloc wrappers of
 *    iso_wrap.h), for every n find_iova() reaches.  If the helper cannot
 *    finish (it blocks on a lock find_iova() holds), the library serialises
 *    the two and that interleaving cannot happen: it is finished after
 *    find_iova() returns.  Either way: the new range's owner frees it with
 *    __free_iova() without a bad free, the pfn is then free, and
 *    put_iova_domain() gives back every block.
 * 3  find_iova() of a range held by a per-CPU cache: NULL or a struct of
 *    exactly that range; nothing leaks (flush, put: every block back).
 * 4  find_iova() below start_pfn: NULL unless the caller reserved that pfn.
 *
 * Plus a leak check on every path that creates a struct iova: alloc_iova,
 * find_iova of a fast range (freed fast, or live at put), reserve_iova
 * (new and merged), and each of them with an injected malloc failure.
 */
#include "iova/iova.h"
#include "iova/cache.h"
#include "iova/linux.h"

#include "tap.h"
#include "isolation/iso.h"
#include "isolation/iso_wrap.h"

#define LIM 0xFFFFFul

static struct iova_domain D;
static atomic_ulong bad_frees;
static struct side helper;

static void bad_free_hook(struct iova_domain *iovad, unsigned long pfn,
			  const char *what)
{
	(void)iovad;
	if (!atomic_fetch_add(&bad_frees, 1))
		diag("bad free reported: pfn %#lx: %s", pfn, what);
}

/* rc: 0 no caches, 1 caches, 2 caches with CHECK_FREES. */
static struct iova_ndomain *setup(unsigned long start, int rc)
{
	init_iova_domain(&D, 4096, start);
	if (rc)
		iova_linux_init_rcaches(&D, 1, rc == 2 ? IOVA_LINUX_CHECK_FREES : 0);
	atomic_store(&bad_frees, 0);
	return iova_linux_native(&D);
}

static const char *const rc_name[] = { "no caches", "caches",
				       "caches + CHECK_FREES" };

/* --- finding 2 --------------------------------------------------------- */

struct race {
	unsigned long pfn;	/* the fast range find_iova() looks at */
	int rc;
	bool realloc_fast;	/* the new range comes from alloc_iova_fast */
	struct iova *it2;	/* the other thread's new range (alloc_iova) */
	unsigned long pfn2;	/* ... or its pfn (alloc_iova_fast) */
};

static void other_thread(void *arg)
{
	struct race *r = arg;

	free_iova_fast(&D, r->pfn, 1);
	if (r->rc)
		iova_cache_flush_all(iova_linux_native(&D));
	if (r->realloc_fast)
		r->pfn2 = alloc_iova_fast(&D, 1, LIM, false);
	else
		r->it2 = alloc_iova(&D, 1, LIM, false);
}

static struct race *armed_race;
static bool ran_inside;

static void at_alloc(void *arg)
{
	(void)arg;
	ran_inside = side_run(&helper, other_thread, armed_race, 2000);
}

static void race_case(int rc, bool realloc_fast, unsigned long n, bool *more)
{
	long base = wrap_live_blocks();
	struct iova_ndomain *nd = setup(1, rc);
	struct race r = { 0, rc, realloc_fast, NULL, 0 };
	struct iova_range rg;
	struct iova *it;
	const char *what = realloc_fast ? "alloc_iova_fast" : "alloc_iova";
	unsigned long bf;

	r.pfn = alloc_iova_fast(&D, 1, LIM, false);
	if (!ok(r.pfn != 0, "race setup"))
		return;
	armed_race = &r;
	ran_inside = false;
	wrap_arm(n, at_alloc, NULL);
	it = find_iova(&D, r.pfn);
	*more = wrap_fired();
	wrap_arm(0, NULL, NULL);
	if (!*more) {
		/* find_iova made fewer than n allocations: no such point. */
		free_iova_fast(&D, r.pfn, 1);
		put_iova_domain(&D);
		is_int(wrap_live_blocks() - base, 0, "%s, n=%lu (not reached): "
		       "no leak", rc_name[rc], n);
		return;
	}
	side_join(&helper);
	diag("%s, other thread frees and %s at allocation %lu of find_iova: "
	     "%s", rc_name[rc], what, n,
	     ran_inside ? "ran inside" : "serialised (blocked until after)");
	bf = atomic_load(&bad_frees);
	is_int(bf, 0, "%s, %s at find_iova's allocation %lu: no bad free "
	       "during the race", rc_name[rc], what, n);
	if (!realloc_fast) {
		if (!ok(r.it2 != NULL, "%s: alloc_iova succeeded", rc_name[rc]))
			goto out;
		ok(it == NULL || it == r.it2 ||
			   (it->pfn_lo <= r.pfn && r.pfn <= it->pfn_hi),
		   "%s, n=%lu: find_iova returned NULL, the live struct, or a "
		   "struct covering the pfn", rc_name[rc], n);
		ok(r.it2->pfn_lo == r.it2->pfn_hi,
		   "%s, n=%lu: the new range's struct still describes its "
		   "range [%#lx, %#lx]", rc_name[rc], n, r.it2->pfn_lo,
		   r.it2->pfn_hi);
		__free_iova(&D, r.it2);
		is_int(atomic_load(&bad_frees) - bf, 0,
		       "%s, n=%lu: the new range's owner frees it with "
		       "__free_iova (its struct was not replaced)", rc_name[rc], n);
		if (rc)
			iova_cache_flush_all(nd);
		ok(iova_find(nd, r.pfn, &rg) == -ENOENT,
		   "%s, n=%lu: the pfn is free after that free", rc_name[rc], n);
	} else {
		if (!ok(r.pfn2 != 0, "%s: alloc_iova_fast succeeded", rc_name[rc]))
			goto out;
		if (r.pfn2 == r.pfn && it)
			ok(it->pfn_lo == r.pfn && it->pfn_hi == r.pfn,
			   "%s, n=%lu: find_iova's struct describes the range at "
			   "the pfn", rc_name[rc], n);
		free_iova_fast(&D, r.pfn2, 1);
		is_int(atomic_load(&bad_frees) - bf, 0,
		       "%s, n=%lu: the new fast range's owner frees it",
		       rc_name[rc], n);
	}
out:
	put_iova_domain(&D);
	is_int(wrap_live_blocks() - base, 0, "%s, %s at find_iova's allocation "
	       "%lu: put_iova_domain gives back every block (no leak)",
	       rc_name[rc], what, n);
}

static void finding2(void)
{
	int rc, f;
	unsigned long n;
	bool more;

	for (rc = 0; rc < 3; rc++)
		for (f = 0; f < 2; f++)
			for (n = 1, more = true; more && n <= 8; n++)
				race_case(rc, f, n, &more);
}

/* --- finding 3 --------------------------------------------------------- */

static void finding3(void)
{
	int rc;

	for (rc = 1; rc < 3; rc++) {
		long base = wrap_live_blocks();
		struct iova_ndomain *nd = setup(1, rc);
		unsigned long pfn = alloc_iova_fast(&D, 1, LIM, false), p2;
		struct iova *it;

		free_iova_fast(&D, pfn, 1);	/* now in this CPU's cache */
		it = find_iova(&D, pfn);
		ok(it == NULL || (it->pfn_lo == pfn && it->pfn_hi == pfn),
		   "%s: find_iova of a cached range: NULL or exactly that range",
		   rc_name[rc]);
		iova_cache_flush_all(nd);
		put_iova_domain(&D);
		is_int(wrap_live_blocks() - base, 0, "%s: alloc_fast, free_fast, "
		       "find_iova, flush, put: no leak", rc_name[rc]);

		/* The cached range handed out again, found, freed fast. */
		base = wrap_live_blocks();
		nd = setup(1, rc);
		pfn = alloc_iova_fast(&D, 1, LIM, false);
		free_iova_fast(&D, pfn, 1);
		(void)find_iova(&D, pfn);
		p2 = alloc_iova_fast(&D, 1, LIM, false);
		it = find_iova(&D, p2);
		ok(it && it->pfn_lo == p2 && it->pfn_hi == p2,
		   "%s: find_iova of the range handed out again describes it",
		   rc_name[rc]);
		free_iova_fast(&D, p2, 1);
		is_int(atomic_load(&bad_frees), 0, "%s: no bad free", rc_name[rc]);
		iova_cache_flush_all(nd);
		put_iova_domain(&D);
		is_int(wrap_live_blocks() - base, 0, "%s: ... and again after "
		       "reuse: no leak", rc_name[rc]);
	}
}

/* --- finding 4 --------------------------------------------------------- */

static void finding4(void)
{
	static const unsigned long none[] = { 0x0, 0xf, 0x21, 0x30, 0x3f, 0x51,
					      0xff };
	long base = wrap_live_blocks();
	struct iova *a, *b, *it;
	size_t i;

	setup(0x100, 0);
	a = reserve_iova(&D, 0x10, 0x20);
	b = reserve_iova(&D, 0x40, 0x50);
	ok(a && b, "reserve_iova below start_pfn");
	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		it = find_iova(&D, none[i]);
		if (!ok(it == NULL, "find_iova(%#lx) below start_pfn, not "
			"reserved by the caller: NULL", none[i]))
			diag("got [%#lx, %#lx]", it->pfn_lo, it->pfn_hi);
	}
	it = find_iova(&D, 0x15);
	ok(it && it->pfn_lo <= 0x15 && 0x15 <= it->pfn_hi,
	   "find_iova(0x15): a struct covering 0x15 (reserved by the caller)");
	it = find_iova(&D, 0x45);
	ok(it && it->pfn_lo <= 0x45 && 0x45 <= it->pfn_hi,
	   "find_iova(0x45): a struct covering 0x45 (reserved by the caller)");
	/* A reservation across start_pfn: the part below is the caller's. */
	it = reserve_iova(&D, 0xf0, 0x110);
	ok(it != NULL, "reserve_iova(0xf0, 0x110)");
	it = find_iova(&D, 0xf8);
	ok(it && it->pfn_lo <= 0xf8 && 0xf8 <= it->pfn_hi,
	   "find_iova(0xf8): reserved by the caller");
	it = find_iova(&D, 0xe0);
	ok(it == NULL, "find_iova(0xe0): below start_pfn, not reserved: NULL");
	it = find_iova(&D, 0x30);
	ok(it == NULL, "find_iova(0x30) still NULL");
	put_iova_domain(&D);
	is_int(wrap_live_blocks() - base, 0, "reservations: no leak");
}

/* --- leaks on every struct-creating path ------------------------------- */

static void leak_paths(void)
{
	int rc, fail;

	for (rc = 0; rc < 3; rc++) {
		for (fail = 0; fail < 2; fail++) {
			long base = wrap_live_blocks();
			struct iova *it, *r1;
			unsigned long pfn, p2;
			const char *f = fail ? ", each with a malloc failure first"
					     : "";

			setup(0x10, rc);
			/* alloc_iova, freed three ways. */
			if (fail) {
				wrap_fail(1);
				(void)alloc_iova(&D, 3, LIM, true);
				wrap_fail(0);
			}
			it = alloc_iova(&D, 3, LIM, true);
			if (it)
				__free_iova(&D, it);
			it = alloc_iova(&D, 3, LIM, false);
			if (it)
				free_iova(&D, it->pfn_lo + 1);
			(void)alloc_iova(&D, 9, LIM, false);	/* live at put */
			/* find_iova of fast ranges: freed fast, live at put. */
			pfn = alloc_iova_fast(&D, 4, LIM, false);
			if (fail) {
				wrap_fail(1);
				(void)find_iova(&D, pfn);
				wrap_fail(0);
			}
			(void)find_iova(&D, pfn);
			(void)find_iova(&D, pfn + 3);
			free_iova_fast(&D, pfn, 4);
			p2 = alloc_iova_fast(&D, 2, LIM, false);
			(void)find_iova(&D, p2);
			p2 = alloc_iova_fast(&D, 100, LIM, false);
			(void)find_iova(&D, p2 + 50);
			free_iova(&D, p2 + 1);	/* a fast range, its struct */
			p2 = alloc_iova_fast(&D, 8, LIM, false);
			(void)find_iova(&D, p2);	/* live at put */
			/* reserve_iova: new, merged, below start. */
			if (fail) {
				wrap_fail(1);
				(void)reserve_iova(&D, 0x1000, 0x1000);
				wrap_fail(0);
			}
			r1 = reserve_iova(&D, 0x1000, 0x1010);
			(void)reserve_iova(&D, 0x1011, 0x1020);
			(void)reserve_iova(&D, 0x0ff0, 0x1005);
			(void)reserve_iova(&D, 0x2, 0x4);
			(void)find_iova(&D, 0x1015);
			(void)find_iova(&D, 0x3);
			ok(r1 != NULL, "reserve_iova");
			is_int(atomic_load(&bad_frees), 0, "%s%s: no bad free",
			       rc_name[rc], f);
			iova_cache_flush_all(iova_linux_native(&D));
			put_iova_domain(&D);
			is_int(wrap_live_blocks() - base, 0, "%s%s: every struct "
			       "iova path gives back its memory", rc_name[rc], f);
		}
	}
}

int main(void)
{
	iova_linux_set_bad_free_hook(bad_free_hook);
	side_start(&helper);
	finding2();
	finding3();
	finding4();
	leak_paths();
	side_stop(&helper);
	return tap_done();
}
