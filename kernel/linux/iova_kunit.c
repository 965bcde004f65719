// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * KUnit suite "libiova" for drivers/iommu/iova.c (libiova edition): the shared core's
 * semantics, run in the kernel.  Included by iova.c when KUnit is built in, so it can use
 * the glue's event counters and allocation-failure knob.
 *
 * The placement scenarios follow libiova's description of mainline (granule 4 KiB,
 * start_pfn 1, the 32-bit boundary at pfn 0x100000), with libiova's answers: the exact
 * highest fit below the limit, and no failure remembered from one call to the next.
 */
#include <kunit/test.h>
#include <linux/sched.h>

#define KT_D32	0xFFFFFUL	/* the last pfn below 4 GiB */

static struct iova_domain *kt_domain(struct kunit *test, unsigned long start_pfn)
{
	struct iova_domain *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, d);
	init_iova_domain(d, SZ_4K, start_pfn);
	return d;
}

/* The native domain's counters (the shared core keeps them per domain). */
static unsigned long kt_live(struct iova_domain *d, bool pages)
{
	struct iova_ndomain *nd = iova_linux_native(d);
	struct iova_stats st;

	if (!nd || iova_get_stats(nd, &st))
		return ~0UL;
	return pages ? st.live_pages : st.live_ranges;
}

static void kt_put(struct kunit *test, struct iova_domain *d)
{
	struct iova_ndomain *nd = iova_linux_native(d);
	const char *why = NULL;

	if (nd) {
		KUNIT_EXPECT_EQ(test, iova_domain_validate(nd, &why), 0);
		KUNIT_EXPECT_NULL_MSG(test, why, "invariant broken: %s", why ? why : "");
	}
	put_iova_domain(d);
}

/* alloc_iova() and return pfn_lo, or ~0UL on failure; checks the size. */
static unsigned long kt_alloc(struct kunit *test, struct iova_domain *d, unsigned long size,
			      unsigned long limit, bool aligned)
{
	struct iova *v = alloc_iova(d, size, limit, aligned);

	if (!v)
		return ~0UL;
	KUNIT_EXPECT_EQ(test, iova_size(v), size);
	KUNIT_EXPECT_LE(test, v->pfn_hi, limit);
	return v->pfn_lo;
}

static int kt_init(struct kunit *test)
{
	return iova_cache_get();
}

static void kt_exit(struct kunit *test)
{
	WRITE_ONCE(iova_expect_misuse, false);
	atomic_set(&iova_fail_allocs, 0);
	iova_cache_put();
}

/* §8.1-4, §8.14: highest fit, alignment holes are reused, frees by any inner pfn. */
static void kt_top_down(struct kunit *test)
{
	struct iova_domain *d = kt_domain(test, 1);
	struct iova *v;

	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 1, KT_D32, true), 0xFFFFFUL);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 2, KT_D32, true), 0xFFFFCUL);
	/* mainline walks below its cached node and answers 0xFFFFB; the highest fit is: */
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 1, KT_D32, true), 0xFFFFEUL);
	v = find_iova(d, 0xFFFFD);
	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_EXPECT_EQ(test, v->pfn_lo, 0xFFFFCUL);
	KUNIT_EXPECT_EQ(test, v->pfn_hi, 0xFFFFDUL);
	KUNIT_EXPECT_NULL(test, find_iova(d, 0xFFFFB));
	free_iova(d, 0xFFFFD);			/* an inner pfn frees the whole range */
	KUNIT_EXPECT_NULL(test, find_iova(d, 0xFFFFC));
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 1, KT_D32, true), 0xFFFFDUL);
	KUNIT_EXPECT_EQ(test, kt_live(d, false), 3UL);
	kt_put(test, d);
}

/* §8.5-6: size alignment is roundup_pow_of_two(size); fast-path rounding. */
static void kt_alignment(struct kunit *test)
{
	struct iova_domain *d;
	unsigned long pfn;

	d = kt_domain(test, 1);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 3, KT_D32, true), 0xFFFFCUL);
	kt_put(test, d);
	d = kt_domain(test, 1);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 3, KT_D32, false), 0xFFFFDUL);
	kt_put(test, d);
	d = kt_domain(test, 1);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 5, KT_D32, true), 0xFFFF8UL);
	kt_put(test, d);
	d = kt_domain(test, 1);
	pfn = alloc_iova_fast(d, 3, KT_D32, false);	/* rounded up to 4 */
	KUNIT_EXPECT_EQ(test, pfn, 0xFFFFCUL);
	KUNIT_EXPECT_EQ(test, kt_live(d, true), 4UL);
	kt_put(test, d);
	d = kt_domain(test, 1);
	pfn = alloc_iova_fast(d, 33, KT_D32, false);	/* not rounded, aligned to 64 */
	KUNIT_EXPECT_EQ(test, pfn, 0xFFFC0UL);
	KUNIT_EXPECT_EQ(test, kt_live(d, true), 33UL);
	/* the 31-pfn hole above it is the highest fit (mainline skips it: 0xFFFBF) */
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 1, KT_D32, true), 0xFFFFFUL);
	free_iova_fast(d, pfn, 33);			/* not cacheable: straight to the tree */
	KUNIT_EXPECT_EQ(test, kt_live(d, true), 1UL);
	kt_put(test, d);
}

/* §8.7: limits above 4 GiB; the two regions do not disturb each other. */
static void kt_high_limits(struct kunit *test)
{
	struct iova_domain *d = kt_domain(test, 1);
	unsigned long l36 = (1UL << 36) - 1;

	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 1, l36, true), 0xFFFFFFFFFUL);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 4, l36, true), 0xFFFFFFFF8UL);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 1, KT_D32, true), 0xFFFFFUL);
	/* a 64-bit limit is clamped to the domain */
	KUNIT_EXPECT_NE(test, kt_alloc(test, d, 1, ULONG_MAX, true), ~0UL);
	kt_put(test, d);
}

/* §8.8-9: a small space; failures leave nothing behind. */
static void kt_small_space(struct kunit *test)
{
	struct iova_domain *d = kt_domain(test, 1);
	unsigned long want[] = { 0xC, 9, 8, 7, 6, 5, 4, 3, 2, 1 };
	unsigned int i;

	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 2, 15, true), 0xEUL);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 1, 15, true), 0xDUL);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 2, 15, true), 0xAUL);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 8, 15, true), ~0UL);
	for (i = 0; i < ARRAY_SIZE(want); i++)
		KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 1, 15, true), want[i]);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 1, 15, true), ~0UL);
	free_iova(d, 5);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 1, 15, true), 5UL);
	kt_put(test, d);

	d = kt_domain(test, 1);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 8, 7, true), ~0UL);	/* would need pfn 0 */
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 4, 7, true), 4UL);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 4, 7, true), ~0UL);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 2, 7, true), 2UL);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 1, 7, true), 1UL);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 1, 7, true), ~0UL);
	kt_put(test, d);
}

/* §8.10-11: a failure is never remembered as "the 32-bit space is full". */
static void kt_no_poisoning(struct kunit *test)
{
	struct iova_domain *d = kt_domain(test, 1);

	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 1, 0, true), ~0UL);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 1, KT_D32, true), KT_D32);
	kt_put(test, d);
	d = kt_domain(test, 1);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 0x80000, 0x7FFFF, true), ~0UL);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 0x80000, KT_D32, true), 0x80000UL);
	kt_put(test, d);
}

/* §8.12-13: reservations are never handed out, and merge. */
static void kt_reserve(struct kunit *test)
{
	struct iova_domain *d = kt_domain(test, 1);
	struct iova *r;

	r = reserve_iova(d, 0xFEE00, 0xFEEFF);
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_EXPECT_EQ(test, r->pfn_lo, 0xFEE00UL);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 0x1000, KT_D32, true), 0xFF000UL);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 0x200, KT_D32, true), 0xFEC00UL);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 0x100, KT_D32, true), 0xFEF00UL);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 0x100, KT_D32, true), 0xFEB00UL);
	r = find_iova(d, 0xFEE80);			/* a reservation: its record */
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_EXPECT_EQ(test, r->pfn_lo, 0xFEE00UL);
	WRITE_ONCE(iova_expect_misuse, true);
	free_iova(d, 0xFEE80);				/* not live: refused */
	WRITE_ONCE(iova_expect_misuse, false);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 1, 0xFEEFF, false), 0xFEAFFUL);
	kt_put(test, d);

	d = kt_domain(test, 1);
	KUNIT_ASSERT_NOT_NULL(test, reserve_iova(d, 0x100, 0x1FF));
	KUNIT_ASSERT_NOT_NULL(test, reserve_iova(d, 0x150, 0x250));
	KUNIT_ASSERT_NOT_NULL(test, reserve_iova(d, 0x80, 0x120));
	KUNIT_ASSERT_NOT_NULL(test, reserve_iova(d, 0x251, 0x300));	/* touches: merges */
	KUNIT_EXPECT_EQ(test, kt_live(d, false), 0UL);
	KUNIT_EXPECT_EQ(test, find_iova(d, 0x80)->pfn_hi, 0x300UL);	/* one merged range */
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 1, 0x300, false), 0x7FUL);
	/* reserving over a live range is refused and changes nothing */
	KUNIT_EXPECT_NULL(test, reserve_iova(d, 0x40, 0x90));
	KUNIT_EXPECT_NOT_NULL(test, find_iova(d, 0x7F));
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 1, 0x300, false), 0x7EUL);
	/* below start_pfn is allowed (dma-iommu reserves windows anywhere) */
	KUNIT_EXPECT_NOT_NULL(test, reserve_iova(d, 0, 0));
	kt_put(test, d);
}

/* Bad inputs change nothing and do not crash. */
static void kt_bad_inputs(struct kunit *test)
{
	struct iova_domain *d = kt_domain(test, 1);
	u64 misuse = iova_event_sum(IOVA_EV_MISUSE), bad = iova_event_sum(IOVA_EV_BAD_FREE);

	WRITE_ONCE(iova_expect_misuse, true);
	KUNIT_EXPECT_NULL(test, alloc_iova(d, 0, KT_D32, true));
	KUNIT_EXPECT_EQ(test, alloc_iova_fast(d, 0, KT_D32, true), 0UL);
	KUNIT_EXPECT_NULL(test, reserve_iova(d, 0x20, 0x10));
	KUNIT_EXPECT_NULL(test, reserve_iova(d, 0x10, 1UL << 52));
	free_iova(d, 0x1234);				/* never allocated */
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 4, KT_D32, true), 0xFFFFCUL);
	free_iova(d, 0xFFFFC);
	free_iova(d, 0xFFFFC);				/* double free */
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 2, 0, false), ~0UL);	/* limit < start */
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 0x100001, KT_D32, false), ~0UL);
	WRITE_ONCE(iova_expect_misuse, false);
	KUNIT_EXPECT_EQ(test, iova_event_sum(IOVA_EV_MISUSE) - misuse, 4ULL);
	KUNIT_EXPECT_EQ(test, iova_event_sum(IOVA_EV_BAD_FREE) - bad, 2ULL);
	KUNIT_EXPECT_EQ(test, kt_live(d, false), 0UL);
	kt_put(test, d);
}

/* A node allocation failure fails that call only, and changes nothing. */
static void kt_alloc_failure(struct kunit *test)
{
	struct iova_domain *d = kt_domain(test, 1);
	unsigned long i, n = 0, pages;

	atomic_set(&iova_fail_allocs, 1);		/* the root leaf */
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 1, KT_D32, false), ~0UL);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 1, KT_D32, false), KT_D32);
	/* grow the tree until an insert needs a fresh node, with node allocations failing */
	for (i = 0; i < 1000; i++)
		KUNIT_ASSERT_NE(test, kt_alloc(test, d, 1, KT_D32, true), ~0UL);
	pages = kt_live(d, true);
	atomic_set(&iova_fail_allocs, 1000000);
	for (i = 0; i < 200; i++)
		if (kt_alloc(test, d, 1, KT_D32, true) != ~0UL)
			n++;
	KUNIT_EXPECT_LT(test, n, 200UL);		/* some inserts needed memory */
	KUNIT_EXPECT_EQ(test, kt_live(d, true), pages + n);
	/* frees never need memory */
	for (i = 0; i < 100; i++)
		free_iova(d, KT_D32 - 1 - i);
	KUNIT_EXPECT_EQ(test, kt_live(d, true), pages + n - 100);
	atomic_set(&iova_fail_allocs, 0);
	/* and nothing was remembered */
	for (i = 0; i < 300; i++)
		KUNIT_ASSERT_NE(test, kt_alloc(test, d, 1, KT_D32, true), ~0UL);
	kt_put(test, d);
}

/* §8.15: per-CPU magazines are LIFO and respect the caller's limit. */
static void kt_rcache(struct kunit *test)
{
	struct iova_domain *d = kt_domain(test, 1);
	unsigned long a, b, c;

	KUNIT_ASSERT_EQ(test, iova_domain_init_rcaches(d), 0);
	migrate_disable();
	a = alloc_iova_fast(d, 1, KT_D32, true);
	b = alloc_iova_fast(d, 1, KT_D32, true);
	c = alloc_iova_fast(d, 1, KT_D32, true);
	KUNIT_EXPECT_EQ(test, a, 0xFFFFFUL);
	KUNIT_EXPECT_EQ(test, b, 0xFFFFEUL);
	KUNIT_EXPECT_EQ(test, c, 0xFFFFDUL);
	free_iova_fast(d, b, 1);
	free_iova_fast(d, c, 1);
	KUNIT_EXPECT_EQ(test, kt_live(d, false), 3UL);	/* cached ranges stay allocated */
	KUNIT_EXPECT_EQ(test, alloc_iova_fast(d, 1, KT_D32, true), c);
	KUNIT_EXPECT_EQ(test, alloc_iova_fast(d, 1, KT_D32, true), b);
	/* a cached range above the caller's limit is not handed out */
	a = alloc_iova_fast(d, 1, 0x8FFFF, true);
	KUNIT_EXPECT_EQ(test, a, 0x8FFFFUL);
	free_iova_fast(d, a, 1);
	free_iova_fast(d, b, 1);			/* b (0xFFFFE) is on top */
	KUNIT_EXPECT_EQ(test, alloc_iova_fast(d, 1, 0x8FFFF, true), a);
	migrate_enable();
	kt_put(test, d);
}

/* A full cache is flushed and the allocation retried; magazines are bounded. */
static void kt_rcache_flush(struct kunit *test)
{
	struct iova_domain *d = kt_domain(test, 1);
	unsigned long i, pfn, n = 0;
	u64 flushes = iova_event_sum(IOVA_EV_FLUSH);

	KUNIT_ASSERT_EQ(test, iova_domain_init_rcaches(d), 0);
	/* fill pfns 1..0x3FF with 1-pfn ranges and cache them all */
	while ((pfn = alloc_iova_fast(d, 1, 0x3FF, false)))
		n++;
	KUNIT_EXPECT_EQ(test, n, 0x3FFUL);
	for (i = 1; i <= 0x3FF; i++)
		free_iova_fast(d, i, 1);
	/* the depots are bounded: some ranges went back to the tree, the newest are cached */
	KUNIT_EXPECT_LT(test, kt_live(d, false), 0x3FFUL);
	KUNIT_EXPECT_GT(test, kt_live(d, false), 0UL);
	/* [0x200, 0x3FF] is free only once the caches give their ranges back */
	KUNIT_EXPECT_EQ(test, alloc_iova_fast(d, 512, 0x3FF, false), 0UL);
	pfn = alloc_iova_fast(d, 512, 0x3FF, true);
	KUNIT_EXPECT_EQ(test, pfn, 0x200UL);
	KUNIT_EXPECT_GE(test, iova_event_sum(IOVA_EV_FLUSH), flushes + 1);
	kt_put(test, d);
}

/* Many random operations against a bitmap model on a small domain. */
static void kt_random(struct kunit *test)
{
	enum { SPACE = 2048, OPS = 4000 };
	struct iova_domain *d = kt_domain(test, 1);
	unsigned long *map = kunit_kzalloc(test, BITS_TO_LONGS(SPACE) * sizeof(long), GFP_KERNEL);
	unsigned long *lo = kunit_kcalloc(test, OPS, sizeof(long), GFP_KERNEL);
	unsigned long *sz = kunit_kcalloc(test, OPS, sizeof(long), GFP_KERNEL);
	unsigned long nlive = 0, i, j, x = 12345;

	KUNIT_ASSERT_NOT_NULL(test, map);
	KUNIT_ASSERT_NOT_NULL(test, lo);
	KUNIT_ASSERT_NOT_NULL(test, sz);
	for (i = 0; i < OPS; i++) {
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		if (nlive && ((x >> 33) % 3 == 0)) {
			j = (x >> 40) % nlive;
			free_iova(d, lo[j] + sz[j] / 2);
			bitmap_clear(map, lo[j], sz[j]);
			lo[j] = lo[nlive - 1];
			sz[j] = sz[nlive - 1];
			nlive--;
		} else {
			unsigned long size = 1 + ((x >> 20) % 9);
			unsigned long limit = 1 + ((x >> 45) % (SPACE - 1));
			bool al = (x >> 60) & 1;
			unsigned long align = al ? roundup_pow_of_two(size) : 1, best = ~0UL, p;
			struct iova *v = alloc_iova(d, size, limit, al);

			/* the model's answer: the highest aligned free fit in [1, limit] */
			for (p = (limit + 1 - size) & ~(align - 1); limit + 1 >= size && p >= 1;
			     p -= align) {
				if (find_next_bit(map, p + size, p) >= p + size) {
					best = p;
					break;
				}
				if (p < align)
					break;
			}
			if (!v) {
				KUNIT_ASSERT_EQ(test, best, ~0UL);
				continue;
			}
			KUNIT_ASSERT_EQ(test, v->pfn_lo, best);
			bitmap_set(map, v->pfn_lo, size);
			lo[nlive] = v->pfn_lo;
			sz[nlive] = size;
			nlive++;
		}
	}
	KUNIT_EXPECT_EQ(test, kt_live(d, false), nlive);
	kt_put(test, d);
}

/* A dead CPU's cached ranges go back to the index (the CPU-hotplug callback). */
static void kt_cpu_dead(struct kunit *test)
{
	struct iova_domain *d = kt_domain(test, 1);
	struct iova_cache_stats st;
	unsigned long pfn[8];
	unsigned int cpu, i;

	KUNIT_ASSERT_EQ(test, iova_domain_init_rcaches(d), 0);
	cpu = get_cpu();
	for (i = 0; i < 8; i++)
		pfn[i] = alloc_iova_fast(d, 1, KT_D32, false);
	for (i = 0; i < 8; i++)
		free_iova_fast(d, pfn[i], 1);
	put_cpu();
	KUNIT_ASSERT_EQ(test, iova_cache_get_stats(iova_linux_native(d), 0, &st), 0);
	KUNIT_EXPECT_EQ(test, st.cached_ranges, 8ULL);
	KUNIT_EXPECT_EQ(test, kt_live(d, false), 8UL);	/* cached ranges stay allocated */
	iova_cpuhp_dead(cpu, &d->cpuhp_dead);
	KUNIT_ASSERT_EQ(test, iova_cache_get_stats(iova_linux_native(d), 0, &st), 0);
	KUNIT_EXPECT_EQ(test, st.cached_ranges, 0ULL);
	KUNIT_EXPECT_EQ(test, kt_live(d, false), 0UL);
	/* and the space is free: the highest 1-page fit is the top again */
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 1, KT_D32, false), KT_D32);
	kt_put(test, d);
}

/* The periodic trim gives a quiet CPU's magazines and their ranges back. */
static void kt_trim(struct kunit *test)
{
	struct iova_domain *d = kt_domain(test, 1);
	struct iova_cache_stats st;
	unsigned long pfn[8];
	unsigned int i;

	KUNIT_ASSERT_EQ(test, iova_domain_init_rcaches(d), 0);
	for (i = 0; i < 8; i++)
		pfn[i] = alloc_iova_fast(d, 1, KT_D32, false);
	for (i = 0; i < 8; i++)
		free_iova_fast(d, pfn[i], 1);
	KUNIT_ASSERT_EQ(test, iova_cache_get_stats(iova_linux_native(d), 0, &st), 0);
	KUNIT_EXPECT_EQ(test, st.cached_ranges, 8ULL);
	/* no cache call from here on: after two trims every slot was idle once */
	iova_trim_work(&d->trim_work.work);
	iova_trim_work(&d->trim_work.work);
	KUNIT_ASSERT_EQ(test, iova_cache_get_stats(iova_linux_native(d), 0, &st), 0);
	KUNIT_EXPECT_EQ(test, st.cached_ranges, 0ULL);
	KUNIT_EXPECT_GE(test, st.idle_trims, 1ULL);
	KUNIT_EXPECT_EQ(test, st.mag_bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, kt_live(d, false), 0UL);
	KUNIT_EXPECT_EQ(test, kt_alloc(test, d, 1, KT_D32, false), KT_D32);
	kt_put(test, d);	/* cancels the (requeued) work */
}

static struct kunit_case libiova_cases[] = {
	KUNIT_CASE(kt_top_down),
	KUNIT_CASE(kt_alignment),
	KUNIT_CASE(kt_high_limits),
	KUNIT_CASE(kt_small_space),
	KUNIT_CASE(kt_no_poisoning),
	KUNIT_CASE(kt_reserve),
	KUNIT_CASE(kt_bad_inputs),
	KUNIT_CASE(kt_alloc_failure),
	KUNIT_CASE(kt_rcache),
	KUNIT_CASE(kt_rcache_flush),
	KUNIT_CASE(kt_cpu_dead),
	KUNIT_CASE(kt_trim),
	KUNIT_CASE(kt_random),
	{}
};

static struct kunit_suite libiova_suite = {
	.name = "libiova",
	.init = kt_init,
	.exit = kt_exit,
	.test_cases = libiova_cases,
};

kunit_test_suite(libiova_suite);
