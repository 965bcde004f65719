// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * KUnit suite "iova_paths": the review's pathological paths, timed inside the kernel
 * through <linux/iova.h> alone, so that the same file runs on the stock allocator and on
 * libiova's (kernel/check.sh builds it into both kernels).  It checks only what both must
 * do (placement under the limit, a failure in a full space) and prints the times:
 *
 *   iova_paths: first32 <ns>    the first 32-bit allocation after N ranges placed under a
 *                               48-bit limit (mainline walks all of them from its cached node)
 *   iova_paths: pair32 <ns>     a 32-bit alloc + free pair after that (mean of PAIRS)
 *   iova_paths: fail32 <ns>     the first failing 32-bit allocation in a full 32-bit space
 *                               of N ranges (mainline walks them, then remembers the size)
 *
 * kernel/host/analyze.py reads these lines and reports the ratio stock / ours.
 */
#include <kunit/test.h>
#include <linux/iova.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#define KP_N		100000UL		/* live ranges */
#define KP_PAIRS	1000UL
#define KP_D32		((1UL << 20) - 1)	/* the last pfn below 4 GiB (4 KiB pages) */
#define KP_D48		((1UL << 36) - 1)

struct kp_ctx {
	struct iova_domain d;
	struct iova **held;
};

static int kp_init(struct kunit *test)
{
	struct kp_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	if (!c || iova_cache_get())
		return -ENOMEM;
	c->held = vmalloc(KP_N * sizeof(*c->held));
	if (!c->held) {
		iova_cache_put();
		return -ENOMEM;
	}
	test->priv = c;
	return 0;
}

static void kp_exit(struct kunit *test)
{
	struct kp_ctx *c = test->priv;

	vfree(c->held);
	iova_cache_put();
}

/* Place KP_N one-page ranges at or below limit; returns how many were placed. */
static unsigned long kp_fill(struct kp_ctx *c, unsigned long limit)
{
	unsigned long i;

	for (i = 0; i < KP_N; i++) {
		c->held[i] = alloc_iova(&c->d, 1, limit, true);
		if (!c->held[i])
			break;
		if ((i & 1023) == 1023)
			cond_resched();
	}
	return i;
}

static void kp_empty(struct kp_ctx *c, unsigned long n)
{
	while (n--)
		__free_iova(&c->d, c->held[n]);
}

static void kp_first32(struct kunit *test)
{
	struct kp_ctx *c = test->priv;
	unsigned long n, i;
	struct iova *v;
	u64 t0, t1, sum = 0;

	init_iova_domain(&c->d, SZ_4K, 1);
	n = kp_fill(c, KP_D48);
	KUNIT_ASSERT_EQ(test, n, KP_N);
	t0 = ktime_get_ns();
	v = alloc_iova(&c->d, 1, KP_D32, true);
	t1 = ktime_get_ns();
	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_EXPECT_LE(test, v->pfn_hi, KP_D32);
	kunit_info(test, "iova_paths: first32 %llu ns (after %lu ranges at 48 bits)\n",
		   t1 - t0, n);
	__free_iova(&c->d, v);
	for (i = 0; i < KP_PAIRS; i++) {
		t0 = ktime_get_ns();
		v = alloc_iova(&c->d, 1, KP_D32, true);
		if (v)
			__free_iova(&c->d, v);
		sum += ktime_get_ns() - t0;
		KUNIT_ASSERT_NOT_NULL(test, v);
	}
	kunit_info(test, "iova_paths: pair32 %llu ns (mean of %lu)\n", sum / KP_PAIRS,
		   KP_PAIRS);
	kp_empty(c, n);
	put_iova_domain(&c->d);
}

static void kp_fail32(struct kunit *test)
{
	struct kp_ctx *c = test->priv;
	unsigned long n;
	struct iova *v;
	u64 t0, t1;

	/* A 32-bit space of exactly KP_N pfns, filled one page at a time. */
	init_iova_domain(&c->d, SZ_4K, KP_D32 + 1 - KP_N);
	n = kp_fill(c, KP_D32);
	KUNIT_ASSERT_EQ(test, n, KP_N);
	t0 = ktime_get_ns();
	v = alloc_iova(&c->d, 2, KP_D32, true);
	t1 = ktime_get_ns();
	KUNIT_EXPECT_NULL(test, v);
	kunit_info(test, "iova_paths: fail32 %llu ns (full 32-bit space of %lu ranges)\n",
		   t1 - t0, n);
	kp_empty(c, n);
	put_iova_domain(&c->d);
}

static struct kunit_case kp_cases[] = {
	KUNIT_CASE_SLOW(kp_first32),
	KUNIT_CASE_SLOW(kp_fail32),
	{}
};

static struct kunit_suite kp_suite = {
	.name = "iova_paths",
	.init = kp_init,
	.exit = kp_exit,
	.test_cases = kp_cases,
};
kunit_test_suite(kp_suite);

MODULE_DESCRIPTION("IOVA allocator: pathological paths, timed (libiova kernel-check)");
MODULE_LICENSE("Dual MIT/GPL");
