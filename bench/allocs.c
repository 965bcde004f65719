// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * The benchmark's allocator registry: libiova through its native API, and
 * the two baselines.  Each baseline instance takes a mutex around every call
 * (mainline takes its rbtree spinlock for every operation too; libiova takes
 * its domain lock), so the comparison is lock-for-lock and threads are safe.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_iface.h"
#include "baselines/augrb.h"
#include "baselines/augrb32.h"
#include "baselines/classic.h"
#include "iova_linux.h"
#include "iova/cache.h"
#include "iova/iova.h"
#ifdef BENCH_HAVE_KERNEL
#include "kernel_designs.h"
#endif

static uint64_t pow2_roundup(uint64_t x)
{
	return x <= 1 ? 1 : (uint64_t)1 << (64 - __builtin_clzll(x - 1));
}

/* ---- libiova, native API ---- */

static void *iova_create(uint64_t start_pfn, uint64_t end_pfn)
{
	struct iova_domain_config cfg;
	struct iova_ndomain *d = NULL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.granule = 4096;
	cfg.start_pfn = start_pfn;
	cfg.end_pfn = end_pfn;
	if (iova_domain_create(&cfg, &d))
		return NULL;
	/* the magazine caches behind iova_alloc_fast (the fastpair workload);
	 * the index and iova_alloc do not use them */
	if (iova_domain_init_caches(d, NULL)) {
		iova_domain_destroy(d);
		return NULL;
	}
	return d;
}

static int iova_alloc_fast_(void *a, uint64_t size, uint64_t limit_pfn,
			    uint64_t *pfn)
{
	return iova_alloc_fast(a, size, limit_pfn, true, pfn);
}

static void iova_free_fast_(void *a, uint64_t pfn, uint64_t size)
{
	(void)iova_free_fast(a, pfn, size);
}

static void iova_destroy_(void *a)
{
	iova_domain_destroy(a);
}

static int iova_alloc_(void *a, uint64_t size, uint64_t limit_pfn,
		       bool size_aligned, uint64_t *pfn)
{
	return iova_alloc(a, size, size_aligned ? pow2_roundup(size) : 1, 0,
			  limit_pfn, IOVA_TOP_DOWN, pfn);
}

static int iova_free_(void *a, uint64_t pfn)
{
	return iova_free(a, pfn);
}

static int iova_reserve_(void *a, uint64_t lo, uint64_t hi)
{
	return iova_reserve(a, lo, hi);
}

static uint64_t iova_bytes_(void *a)
{
	struct iova_stats st;

	return iova_get_stats(a, &st) ? 0 : st.index_bytes;
}

static uint64_t iova_count_(void *a)
{
	struct iova_stats st;

	if (iova_get_stats(a, &st))
		return 0;
	return st.live_ranges + st.reserved_ranges;
}

static const struct bench_alloc_ops iova_ops = {
	.name = "iova",
	.create = iova_create,
	.destroy = iova_destroy_,
	.alloc = iova_alloc_,
	.free = iova_free_,
	.reserve = iova_reserve_,
	.bytes = iova_bytes_,
	.count = iova_count_,
	.alloc_fast = iova_alloc_fast_,
	.free_fast = iova_free_fast_,
};

/* ---- classic (mainline model) ---- */

struct classic_inst {
	pthread_mutex_t lock;
	uint64_t end_pfn;
	struct classic_domain d;
};

static void *classic_create(uint64_t start_pfn, uint64_t end_pfn)
{
	struct classic_inst *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	classic_init_iova_domain(&c->d, 4096, start_pfn);
	if (classic_init_rcaches(&c->d)) {
		classic_put_iova_domain(&c->d);
		free(c);
		return NULL;
	}
	c->end_pfn = end_pfn;
	return c;
}

static void classic_destroy(void *a)
{
	struct classic_inst *c = a;

	classic_put_iova_domain(&c->d);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static int classic_alloc_(void *a, uint64_t size, uint64_t limit_pfn,
			  bool size_aligned, uint64_t *pfn)
{
	struct classic_inst *c = a;
	struct classic_iova *n;

	/* Like dma-iommu capping the mask at the aperture end. */
	if (limit_pfn > c->end_pfn)
		limit_pfn = c->end_pfn;
	pthread_mutex_lock(&c->lock);
	n = classic_alloc_iova(&c->d, size, limit_pfn, size_aligned);
	pthread_mutex_unlock(&c->lock);
	if (!n)
		return -ENOMEM;
	*pfn = n->pfn_lo;
	return 0;
}

static int classic_free_(void *a, uint64_t pfn)
{
	struct classic_inst *c = a;
	struct classic_iova *n;

	pthread_mutex_lock(&c->lock);
	n = classic_find_iova(&c->d, pfn);
	if (n)
		classic___free_iova(&c->d, n);
	pthread_mutex_unlock(&c->lock);
	return n ? 0 : -ENOENT;
}

static int classic_reserve_(void *a, uint64_t lo, uint64_t hi)
{
	struct classic_inst *c = a;
	struct classic_iova *n;

	if (lo > hi)
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	n = classic_reserve_iova(&c->d, lo, hi);
	pthread_mutex_unlock(&c->lock);
	return n ? 0 : -ENOMEM;
}

static uint64_t classic_bytes(void *a)
{
	struct classic_inst *c = a;

	return c->d.nodes * CLASSIC_IOVA_OBJ_BYTES;
}

static uint64_t classic_count(void *a)
{
	return ((struct classic_inst *)a)->d.nodes;
}

/* The model's rcache (one CPU), under the same lock. */
static int classic_alloc_fast_(void *a, uint64_t size, uint64_t limit_pfn,
			       uint64_t *pfn)
{
	struct classic_inst *c = a;
	uint64_t p;

	if (limit_pfn > c->end_pfn)
		limit_pfn = c->end_pfn;
	pthread_mutex_lock(&c->lock);
	p = classic_alloc_iova_fast(&c->d, size, limit_pfn, true);
	pthread_mutex_unlock(&c->lock);
	if (!p)
		return -ENOMEM;
	*pfn = p;
	return 0;
}

static void classic_free_fast_(void *a, uint64_t pfn, uint64_t size)
{
	struct classic_inst *c = a;

	pthread_mutex_lock(&c->lock);
	classic_free_iova_fast(&c->d, pfn, size);
	pthread_mutex_unlock(&c->lock);
}

static const struct bench_alloc_ops classic_ops = {
	.name = "classic",
	.create = classic_create,
	.destroy = classic_destroy,
	.alloc = classic_alloc_,
	.free = classic_free_,
	.reserve = classic_reserve_,
	.bytes = classic_bytes,
	.count = classic_count,
	.alloc_fast = classic_alloc_fast_,
	.free_fast = classic_free_fast_,
};

/* ---- augrb ---- */

struct augrb_inst {
	pthread_mutex_t lock;
	struct augrb_domain d;
};

static void *augrb_create(uint64_t start_pfn, uint64_t end_pfn)
{
	struct augrb_inst *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	if (augrb_init(&g->d, start_pfn, end_pfn)) {
		free(g);
		return NULL;
	}
	pthread_mutex_init(&g->lock, NULL);
	return g;
}

static void augrb_destroy_(void *a)
{
	struct augrb_inst *g = a;

	augrb_destroy(&g->d);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

static int augrb_alloc_(void *a, uint64_t size, uint64_t limit_pfn,
			bool size_aligned, uint64_t *pfn)
{
	struct augrb_inst *g = a;
	int r;

	pthread_mutex_lock(&g->lock);
	r = augrb_alloc(&g->d, size, size_aligned ? pow2_roundup(size) : 1,
			limit_pfn, pfn);
	pthread_mutex_unlock(&g->lock);
	return r;
}

static int augrb_free_(void *a, uint64_t pfn)
{
	struct augrb_inst *g = a;
	int r;

	pthread_mutex_lock(&g->lock);
	r = augrb_free(&g->d, pfn);
	pthread_mutex_unlock(&g->lock);
	return r;
}

static int augrb_reserve_(void *a, uint64_t lo, uint64_t hi)
{
	struct augrb_inst *g = a;
	int r;

	pthread_mutex_lock(&g->lock);
	r = augrb_reserve(&g->d, lo, hi);
	pthread_mutex_unlock(&g->lock);
	return r;
}

static uint64_t augrb_bytes(void *a)
{
	/* 56-byte node; a 64-byte malloc chunk on glibc (LP64). */
	return ((struct augrb_inst *)a)->d.nodes * 64u;
}

static uint64_t augrb_count(void *a)
{
	return ((struct augrb_inst *)a)->d.nodes;
}

static const struct bench_alloc_ops augrb_ops = {
	.name = "augrb",
	.create = augrb_create,
	.destroy = augrb_destroy_,
	.alloc = augrb_alloc_,
	.free = augrb_free_,
	.reserve = augrb_reserve_,
	.bytes = augrb_bytes,
	.count = augrb_count,
};

const struct bench_alloc_ops *const bench_allocs[] = {
	&iova_ops,
	&bench_iova_linux_ops,
	&classic_ops,
	&augrb_ops,
	&bench_augrb32_ops,
#ifdef BENCH_HAVE_KERNEL
	&bench_linux_ops,
	&bench_maple_ops,
#endif
	NULL,
};

const struct bench_alloc_ops *bench_alloc_by_name(const char *name)
{
	unsigned i;

	for (i = 0; bench_allocs[i]; i++)
		if (!strcmp(bench_allocs[i]->name, name))
			return bench_allocs[i];
	return NULL;
}
