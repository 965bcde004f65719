/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Deterministic single-thread test of the magazine and depot transitions.
 * One CPU slot (nr_cpus = 1) so every thread uses the same magazines; the
 * expected sequences below follow docs/caches.md step by step.
 */
#define _GNU_SOURCE	/* pthread_setaffinity_np for the two-slot test */
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <string.h>

#include "cache_dump.h"
#include "pin.h"
#include "tap.h"

#define L 0xFFFFFu	/* the 32-bit limit at 4 KiB */

static struct iova_ndomain *mk(uint64_t start, uint64_t end,
			      const struct iova_cache_config *cc)
{
	struct iova_domain_config c = { .start_pfn = start, .end_pfn = end };
	struct iova_ndomain *d = NULL;

	if (iova_domain_create(&c, &d))
		return NULL;
	if (cc && iova_domain_init_caches(d, cc)) {
		iova_domain_destroy(d);
		return NULL;
	}
	return d;
}

static uint64_t A(struct iova_ndomain *d, uint64_t size, uint64_t lim)
{
	uint64_t pfn = 0;

	if (iova_alloc_fast(d, size, lim, true, &pfn))
		return UINT64_MAX;
	return pfn;
}

static uint64_t live(struct iova_ndomain *d)
{
	struct iova_stats st;

	iova_get_stats(d, &st);
	return st.live_ranges;
}

static struct iova_cache_stats cst(struct iova_ndomain *d, unsigned int order)
{
	struct iova_cache_stats s = { 0 };

	iova_cache_get_stats(d, order, &s);
	return s;
}

static void slot_is(struct iova_ndomain *d, unsigned int order,
		    unsigned int want_l, unsigned int want_p, const char *what)
{
	unsigned int l = 99, p = 99;

	iova__cache_slot_counts(d, 0, order, &l, &p);
	if (!ok(l == want_l && p == want_p, "%s: loaded %u prev %u", what,
		want_l, want_p))
		diag("got loaded %u prev %u", l, p);
}

static void depot_is(struct iova_ndomain *d, unsigned int order,
		     unsigned int want_f, unsigned int want_e, const char *what)
{
	unsigned int f = 99, e = 99;

	iova__cache_depot_counts(d, order, &f, &e);
	if (!ok(f == want_f && e == want_e, "%s: depot full %u empty %u", what,
		want_f, want_e))
		diag("got full %u empty %u", f, e);
}

/* Linux conformance scenario 15 (linux-iova-semantics.md §8). */
static void test_linux_lifo(void)
{
	struct iova_cache_config cc = { .nr_cpus = 1 };
	struct iova_ndomain *d = mk(1, 0, &cc);
	struct iova_cache_stats s;

	is_u64(A(d, 1, L), 0xFFFFF, "s15: first alloc from the index");
	is_u64(A(d, 1, L), 0xFFFFE, "s15: second");
	is_u64(A(d, 1, L), 0xFFFFD, "s15: third");
	is_int(iova_free_fast(d, 0xFFFFE, 1), 0, "s15: free 0xFFFFE (cached)");
	is_int(iova_free_fast(d, 0xFFFFD, 1), 0, "s15: free 0xFFFFD (cached)");
	is_u64(live(d), 3, "s15: cached ranges stay live in the index");
	is_u64(A(d, 1, L), 0xFFFFD, "s15: LIFO: the last freed comes back");
	is_u64(A(d, 1, L), 0xFFFFE, "s15: then the one before");
	s = cst(d, 0);
	is_u64(s.hits, 2, "s15: 2 hits");
	is_u64(s.misses, 3, "s15: 3 misses");

	/* The magazine is scanned for a range under the limit. */
	is_u64(A(d, 1, 0x80000), 0x80000, "s15: 0x80000 from the index");
	is_int(iova_free_fast(d, 0x80000, 1), 0, "s15: cache 0x80000");
	is_int(iova_free_fast(d, 0xFFFFD, 1), 0, "s15: cache 0xFFFFD on top");
	is_u64(A(d, 1, 0x8FFFF), 0x80000, "s15: low limit skips the top entry");
	slot_is(d, 0, 1, 0, "s15: 0xFFFFD stays");
	is_u64(A(d, 1, 0x7FFFF), 0x7FFFF, "s15: nothing fits: index");
	is_u64(cst(d, 0).misses, 5, "s15: a miss counted");
	is_u64(A(d, 1, L), 0xFFFFD, "s15: 0xFFFFD still there");
	check_valid(d, "scenario 15");

	/* Rounding: 3 -> 4 (order 2), freed with the real length. */
	is_u64(A(d, 3, L), 0xFFFF8, "size 3 rounds to 4, aligned");
	is_int(iova_free_fast(d, 0xFFFF8, 3), 0, "free with size 3");
	is_u64(cst(d, 2).cached_ranges, 1, "cached in order 2");
	is_u64(A(d, 4, L), 0xFFFF8, "a size-4 request gets it back");
	is_int(iova_free_fast(d, 0xFFFF8, 4), 0, "free with size 4");
	/* Not cacheable: 33 keeps its size, align 64 (scenario 6). */
	is_u64(A(d, 33, L), 0xFFFC0, "size 33: not rounded, align 64");
	is_u64(live(d), 7, "7 live: 5 held, 1 cached, the 33");
	is_int(iova_free_fast(d, 0xFFFC0, 33), 0, "free size 33: index");
	is_u64(live(d), 6, "freed in the index at once");
	is_int(iova_free_fast(d, 0xFFFC0, 33), -ENOENT, "double free: -ENOENT");
	check_valid(d, "rounding");
	iova_domain_destroy(d);
}

/*
 * Loaded/prev swap, depot push and pop, opportunistic trim, with magazines
 * of 4 and a depot of at most 2.  p[i] = the i-th range handed out.
 */
static void test_transitions(void)
{
	struct iova_cache_config cc = { .nr_cpus = 1, .mag_size = 4,
					.depot_max = 2 };
	struct iova_ndomain *d = mk(1, 0, &cc);
	struct iova_cache_stats s;
	uint64_t p[20], pfn;
	int i, bad;

	for (i = 0; i < 20; i++)
		p[i] = A(d, 1, L);
	is_u64(p[19], L - 19, "20 ranges from the top");
	is_u64(cst(d, 0).misses, 20, "20 misses");
	for (i = 0; i < 4; i++)
		iova_free_fast(d, p[i], 1);
	slot_is(d, 0, 4, 0, "4 frees fill loaded");
	iova_free_fast(d, p[4], 1);
	slot_is(d, 0, 1, 4, "5th free: swap, prev full");
	for (i = 5; i < 8; i++)
		iova_free_fast(d, p[i], 1);
	slot_is(d, 0, 4, 4, "8 frees: both full");
	depot_is(d, 0, 0, 0, "depot still empty");
	iova_free_fast(d, p[8], 1);
	slot_is(d, 0, 1, 4, "9th free: loaded to the depot");
	depot_is(d, 0, 1, 0, "one full magazine in the depot");
	for (i = 9; i < 13; i++)
		iova_free_fast(d, p[i], 1);
	depot_is(d, 0, 2, 0, "13th free: second depot push");
	for (i = 13; i < 16; i++)
		iova_free_fast(d, p[i], 1);
	is_u64(live(d), 20, "16 cached + 4 held, all live");
	iova_free_fast(d, p[16], 1);
	depot_is(d, 0, 2, 0, "17th free: depot at its bound");
	s = cst(d, 0);
	is_u64(s.trims, 1, "so loaded's 4 ranges went back to the index");
	is_u64(live(d), 16, "16 live now");
	is_u64(s.depot_pushes, 2, "2 depot pushes");
	for (i = 17; i < 20; i++)
		iova_free_fast(d, p[i], 1);
	is_u64(cst(d, 0).cached_ranges, 16, "16 cached: 4 + 4 + 2 x 4");
	check_valid(d, "the frees");

	/* Pops: loaded (LIFO), then prev after a swap, then the depot. */
	bad = 0;
	for (i = 19; i >= 16; i--)
		bad += A(d, 1, L) != p[i];
	ok(!bad, "loaded pops p19..p16");
	for (i = 3; i >= 0; i--)
		bad += A(d, 1, L) != p[i];
	ok(!bad, "then prev (swapped in) pops p3..p0");
	slot_is(d, 0, 0, 0, "both empty");
	for (i = 11; i >= 8; i--)
		bad += A(d, 1, L) != p[i];
	ok(!bad, "then the newest depot magazine: p11..p8");
	depot_is(d, 0, 1, 1, "one full left, the empty one kept as a spare");
	for (i = 7; i >= 4; i--)
		bad += A(d, 1, L) != p[i];
	ok(!bad, "then the older one: p7..p4");
	depot_is(d, 0, 0, 2, "depot drained, 2 spares");
	s = cst(d, 0);
	is_u64(s.hits, 16, "16 hits");
	is_u64(s.depot_pops, 2, "2 depot pops");
	is_u64(A(d, 1, L), p[12], "miss: the index's highest free (trimmed p12)");
	is_u64(cst(d, 0).misses, 21, "21 misses");
	check_valid(d, "the pops");

	/* The spares are used before any allocation. */
	for (i = 0; i < 12; i++) {
		pfn = A(d, 1, L);
		iova_free_fast(d, pfn, 1);
	}
	iova__fault_inject(0);
	for (i = 0; i < 9; i++)
		p[i] = A(d, 1, L);
	for (i = 0; i < 9; i++)
		iova_free_fast(d, p[i], 1);
	depot_is(d, 0, 1, 1, "9 frees: a spare became loaded");
	is_u64(iova__fault_inject(0), 0, "and no magazine was allocated");

	/* Explicit trim: every depot magazine back, spares freed. */
	is_u64(iova_cache_trim(d), 1, "trim gives back 1 magazine");
	depot_is(d, 0, 0, 0, "depot empty after trim");
	is_u64(cst(d, 0).trims, 2, "2 trims in all");
	check_valid(d, "trim");

	/* Flush one CPU: everything back, magazines stay. */
	iova_cache_flush_cpu(d, 0);
	slot_is(d, 0, 0, 0, "flush_cpu empties the slot");
	is_u64(cst(d, 0).cached_ranges, 0, "nothing cached");
	is_u64(cst(d, 3).flushes, 1, "flush counted in every order");
	is_u64(live(d), 17, "only the 17 held ranges stay live");
	iova_cache_flush_cpu(d, 7);	/* no such slot: no-op */
	{
		char buf[4096] = "";
		FILE *f = fmemopen(buf, sizeof(buf), "w");

		if (f) {
			cache_dump(d, f);
			fclose(f);
		}
		ok(strstr(buf, "order 0: depot 0 full") != NULL,
		   "dump names the depot state");
	}
	check_valid(d, "flush_cpu");
	iova_domain_destroy(d);
}

/* Scenario 16 with the default magazines of 127, one slot. */
static void test_linux_depot(void)
{
	struct iova_cache_config cc = { .nr_cpus = 1 };
	struct iova_ndomain *d = mk(1, 0, &cc);
	static uint64_t p[400];
	struct iova_cache_stats s;
	int i;

	for (i = 0; i < 400; i++)
		p[i] = A(d, 1, L);
	for (i = 0; i < 127; i++)
		iova_free_fast(d, p[i], 1);
	slot_is(d, 0, 127, 0, "s16: 127 frees fill loaded");
	iova_free_fast(d, p[127], 1);
	slot_is(d, 0, 1, 127, "s16: the 128th fills prev (swap)");
	for (i = 128; i < 254; i++)
		iova_free_fast(d, p[i], 1);
	depot_is(d, 0, 0, 0, "s16: 254 frees: depot still empty");
	iova_free_fast(d, p[254], 1);
	depot_is(d, 0, 1, 0, "s16: the 255th moves a full magazine to the depot");
	for (i = 255; i < 400; i++)
		iova_free_fast(d, p[i], 1);
	s = cst(d, 0);
	is_u64(s.depot_mags, 1, "s16: depot bound 1 (= nr_cpus)");
	is_u64(s.trims, 1, "s16: the 382nd free trimmed 127 ranges to the index");
	is_u64(s.cached_ranges, 400 - 127, "s16: 273 cached");
	is_u64(live(d), 273, "s16: 273 live");
	is_u64(s.mag_bytes, 3 * 1024, "s16: 3 magazines of 1 KiB");
	check_valid(d, "scenario 16");
	iova_domain_destroy(d);
}

/* Two slots: a slot takes back its own depot magazine before the newest. */
static void test_depot_owner(void)
{
	struct iova_cache_config cc = { .nr_cpus = 2, .mag_size = 2,
					.depot_max = 2 };
	struct iova_ndomain *d;
	uint64_t p[10], got[2];
	unsigned int f = 0, e = 0;
	int i;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || !pin_to(0)) {
		ok(1, "# SKIP two-slot test: needs CPUs 0 and 1");
		return;
	}
	d = mk(1, 0, &cc);
	for (i = 0; i < 10; i++)
		p[i] = A(d, 1, L);
	for (i = 0; i < 5; i++)	/* CPU 0: [p4], [p0 p1], depot [p2 p3] */
		iova_free_fast(d, p[i], 1);
	if (!pin_to(1)) {
		ok(1, "# SKIP two-slot test: cannot move to CPU 1");
		iova_domain_destroy(d);
		return;
	}
	for (i = 5; i < 10; i++)	/* CPU 1: [p9], [p5 p6], depot [p7 p8] */
		iova_free_fast(d, p[i], 1);
	iova__cache_depot_counts(d, 0, &f, &e);
	is_int(f, 2, "two full magazines in the depot, CPU 1's the newest");
	pin_to(0);
	for (i = 0; i < 3; i++)	/* drain CPU 0's loaded and prev */
		A(d, 1, L);
	got[0] = A(d, 1, L);
	got[1] = A(d, 1, L);
	ok(got[0] == p[3] && got[1] == p[2],
	   "CPU 0 takes back its own magazine [p2 p3], not the newest");
	pin_to(1);
	for (i = 0; i < 3; i++)
		A(d, 1, L);
	is_u64(A(d, 1, L), p[8], "CPU 1 gets its own, p8...");
	is_u64(A(d, 1, L), p[7], "...and p7");
	check_valid(d, "two slots");
	iova_domain_destroy(d);
	pin_none();
}

/* A failed allocation flushes every cache and retries once. */
static void test_flush_retry(void)
{
	struct iova_cache_config cc = { .nr_cpus = 1, .mag_size = 4,
					.depot_max = 1 };
	struct iova_ndomain *d = mk(0, 15, &cc);
	uint64_t pfn = 0;
	int i;

	for (i = 0; i < 16; i++)
		A(d, 1, 15);
	is_u64(live(d), 16, "16 pfns: the domain is full");
	is_int(iova_free_fast(d, 14, 1), 0, "cache 14");
	is_int(iova_free_fast(d, 15, 1), 0, "cache 15");
	is_int(iova_free_fast(d, 8, 1), 0, "cache 8");
	is_int(iova_alloc_fast(d, 2, 15, false, &pfn), -ENOMEM,
	       "size 2 without flush: -ENOMEM");
	is_u64(cst(d, 0).cached_ranges, 3, "caches untouched");
	is_int(iova_alloc_fast(d, 2, 15, true, &pfn), 0, "with flush: ok");
	is_u64(pfn, 14, "the flushed 14-15 pair");
	is_u64(cst(d, 0).cached_ranges, 0, "caches flushed");
	is_u64(cst(d, 0).flushed_ranges, 3, "3 ranges flushed");
	is_u64(cst(d, 1).flushes, 1, "one flush");
	is_u64(live(d), 14, "14 live: 13 + the pair");
	is_int(iova_alloc_fast(d, 4, 15, true, &pfn), -ENOMEM,
	       "no room even after a flush: -ENOMEM");
	is_u64(cst(d, 1).flushes, 2, "a second flush was tried");
	check_valid(d, "flush retry");
	iova_domain_destroy(d);
}

/* Magazine allocation failures fall back to the index. */
static void test_faults(void)
{
	struct iova_cache_config cc = { .nr_cpus = 1, .mag_size = 2,
					.depot_max = 2 };
	struct iova_ndomain *d;
	uint64_t p[8];
	unsigned long k, sites;
	bool checked;
	int i, r;

	/* Init: every allocation it makes can fail, and then nothing leaks
	 * (ASan) and the domain still works uncached. */
	d = mk(1, 0, NULL);
	iova__fault_inject(0);
	is_int(iova_domain_init_caches(d, &cc), 0, "init");
	sites = iova__fault_inject(0);
	checked = d->rcache->checked;
	iova_domain_destroy(d);
	/* One block, nothing per CPU (lazy); checked frees add their set and
	 * validation's scratch array. */
	ok(sites == (checked ? 3u : 1u), "init made %lu allocations", sites);
	for (k = 1; k <= sites; k++) {
		d = mk(1, 0, NULL);
		iova__fault_inject(k);
		r = iova_domain_init_caches(d, &cc);
		iova__fault_inject(0);
		if (r != -ENOMEM)
			break;
		r = iova_alloc_fast(d, 1, L, true, &p[0]);
		r |= iova_free_fast(d, p[0], 1);
		iova_domain_destroy(d);
		if (r)
			break;
	}
	ok(k > sites, "each init allocation failure: -ENOMEM, uncached ok");

	d = mk(1, 0, &cc);
	for (i = 0; i < 5; i++)
		p[i] = A(d, 1, L);
	for (i = 0; i < 4; i++)
		iova_free_fast(d, p[i], 1);
	slot_is(d, 0, 2, 2, "both magazines full");
	iova__fault_inject(1);
	is_int(iova_free_fast(d, p[4], 1), 0, "5th free with a failing hook");
	iova__fault_inject(0);
	is_u64(cst(d, 0).put_fallbacks, 1, "fell back to the index");
	is_u64(live(d), 4, "p4 is free in the index");
	slot_is(d, 0, 2, 2, "magazines unchanged");
	is_u64(A(d, 1, L), p[3], "caches still serve");
	is_int(iova_free_fast(d, p[3], 1), 0, "re-cache");
	check_valid(d, "fault");
	iova_domain_destroy(d);
}

/* Misuse is caught and changes nothing. */
static void test_bad_frees(void)
{
	struct iova_cache_config cc = { .nr_cpus = 1,
					.flags = IOVA_CACHE_CHECK_FREES };
	struct iova_ndomain *d = mk(1, 0, &cc), *u;
	struct iova_cache_config got;
	struct iova_range r;
	uint64_t pfn = 0;

	is_int(iova_domain_init_caches(d, &cc), -EEXIST, "init twice: -EEXIST");
	cc.max_order = 33;
	u = mk(1, 0, NULL);
	is_int(iova_domain_init_caches(u, &cc), -EINVAL, "max_order 33: -EINVAL");
	is_int(iova_domain_init_caches(NULL, NULL), -EINVAL, "NULL: -EINVAL");
	is_int(iova_domain_init_caches(u, &(struct iova_cache_config){
		.nr_cpus = 65537 }), -EINVAL, "nr_cpus 65537: -EINVAL");
	is_int(iova_domain_init_caches(u, &(struct iova_cache_config){
		.mag_size = 65536 }), -EINVAL, "mag_size 65536: -EINVAL");
	is_int(iova_domain_init_caches(u, &(struct iova_cache_config){
		.flags = 2 }), -EINVAL, "unknown flag: -EINVAL");
	is_int(iova_cache_get_stats(u, 0, &(struct iova_cache_stats){ 0 }),
	       -ENOENT, "no caches: stats -ENOENT");
	is_int(iova_cache_get_stats(d, 6, &(struct iova_cache_stats){ 0 }),
	       -EINVAL, "order 6 not cached: -EINVAL");
	is_int(iova_cache_get_config(d, &got), 0, "config");
	ok(got.max_order == 6 && got.mag_size == 127 && got.nr_cpus == 1 &&
	   got.depot_max == 1, "defaults 6 / 127 / depot = nr_cpus");

	/* Without caches the fast API is the plain size-aligned one. */
	is_u64(A(u, 3, L), 0xFFFFC, "uncached: size 3, aligned to 4");
	ok(iova_find(u, 0xFFFFE, &r) == 0 && r.lo == 0xFFFFC && r.hi == 0xFFFFE,
	   "3 pfns taken (no rounding without caches)");
	is_u64(A(u, 33, L), 0xFFFC0, "uncached: size 33 stays 33");
	ok(iova_find(u, 0xFFFE0, &r) == 0 && iova_find(u, 0xFFFE1, &r) == -ENOENT,
	   "33 pfns taken");
	is_int(iova_free_fast(u, 0xFFFC0, 33), 0, "uncached free of 33");
	/* Caches cannot come after fast calls (their rounding would differ). */
	is_int(iova_domain_init_caches(u, NULL), -EBUSY, "caches after fast calls: -EBUSY");
	is_int(iova_free_fast(u, 0xFFFFC, 4), -ENOENT, "the size-3 range is not freed as 4");
	is_int(iova_free_fast(u, 0xFFFFC, 3), 0, "free the size-3 range");
	iova_domain_destroy(u);
	u = mk(1, 0, &(struct iova_cache_config){ .nr_cpus = 1 });
	ok(u != NULL, "a fresh domain with caches");
	is_u64(A(u, 3, L), 0xFFFFC, "cached order 2: size 3 rounds to 4");
	is_int(iova_free_fast(u, 0xFFFFC, 3), 0, "free the size-3 range");
	is_u64(cst(u, 2).cached_ranges, 1, "cached as order 2");
	is_u64(A(u, 4, L), 0xFFFFC, "and handed out again as 4");
	is_int(iova_free_fast(u, 0xFFFFC, 4), 0, "free it");
	iova_cache_flush_all(u);
	is_u64(live(u), 0, "freed");
	is_int(iova_alloc_fast(u, 0, L, true, &pfn), -EINVAL, "size 0: -EINVAL");
	is_int(iova_alloc_fast(u, (1ull << 63) + 1, UINT64_MAX, true, &pfn),
	       -EINVAL, "size above 2^63: -EINVAL");
	is_int(iova_alloc_fast(u, 1, 0, true, &pfn), -ENOMEM,
	       "limit below start: -ENOMEM");
	iova_domain_destroy(u);
	u = mk(1, 0, NULL);
	iova_cache_flush_all(u);
	is_int((int)iova_cache_trim(u), 0, "trim without caches: 0");
	iova_domain_destroy(u);

	pfn = A(d, 2, L);
	is_int(iova_free_fast(d, pfn + 1, 2), -ENOENT, "misaligned: -ENOENT");
	is_int(iova_free_fast(d, pfn, 1), -ENOENT, "wrong size: -ENOENT");
	is_int(iova_free_fast(d, pfn - 2, 2), -ENOENT, "free range: -ENOENT");
	is_int(iova_free_fast(d, pfn, 2), 0, "the right free");
	is_int(iova_free_fast(d, pfn, 2), -ENOENT, "double free: -ENOENT");
	is_u64(cst(d, 1).cached_ranges, 1, "cached once");
	is_u64(A(d, 2, L), pfn, "handed out once...");
	ok(A(d, 2, L) != pfn, "...and not twice");
	is_int(iova_free_fast(d, 0, 0), -EINVAL, "size 0: -EINVAL");
	check_valid(d, "bad frees");
	iova_domain_destroy(d);
}

int main(void)
{
	test_linux_lifo();
	test_transitions();
	test_linux_depot();
	test_depot_owner();
	test_flush_retry();
	test_faults();
	test_bad_frees();
	return tap_done();
}
