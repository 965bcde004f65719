// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Design "iova-lx": libiova through its Linux-compatible API
 * (include/iova/linux.h), called exactly as the kernel designs are:
 * alloc_iova / find_iova + __free_iova / reserve_iova, and the
 * alloc_iova_fast / free_iova_fast pair with the rcaches.  Every range has
 * a struct iova here, as in mainline, so its memory is comparable with the
 * linux and maple rows.
 */
#include <errno.h>
#include <stdlib.h>

#include "iova/iova.h"
#include "iova/linux.h"

#include "alloc_iface.h"
#include "iova_linux.h"

struct lx {
	struct iova_domain dom;
	uint64_t end_pfn;
	uint64_t ranges;
};

static void *lx_create(uint64_t start_pfn, uint64_t end_pfn)
{
	struct lx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (iova_cache_get()) {
		free(c);
		return NULL;
	}
	init_iova_domain(&c->dom, 4096, (unsigned long)start_pfn);
	if (iova_domain_init_rcaches(&c->dom)) {
		put_iova_domain(&c->dom);
		iova_cache_put();
		free(c);
		return NULL;
	}
	c->end_pfn = end_pfn;
	return c;
}

static void lx_destroy(void *a)
{
	struct lx *c = a;

	put_iova_domain(&c->dom);
	iova_cache_put();
	free(c);
}

static int lx_alloc(void *a, uint64_t size, uint64_t limit_pfn,
		    bool size_aligned, uint64_t *pfn)
{
	struct lx *c = a;
	struct iova *v;

	if (limit_pfn > c->end_pfn)
		limit_pfn = c->end_pfn;
	v = alloc_iova(&c->dom, (unsigned long)size, (unsigned long)limit_pfn,
		       size_aligned);
	if (!v)
		return -ENOMEM;
	c->ranges++;
	*pfn = v->pfn_lo;
	return 0;
}

static int lx_free(void *a, uint64_t pfn)
{
	struct lx *c = a;
	struct iova *v = find_iova(&c->dom, (unsigned long)pfn);

	if (!v || v->pfn_lo != pfn)
		return -ENOENT;
	__free_iova(&c->dom, v);
	c->ranges--;
	return 0;
}

static int lx_reserve(void *a, uint64_t lo, uint64_t hi)
{
	struct lx *c = a;

	if (lo > hi)
		return -EINVAL;
	if (!reserve_iova(&c->dom, (unsigned long)lo, (unsigned long)hi))
		return -ENOMEM;
	c->ranges++;
	return 0;
}

static uint64_t lx_count(void *a)
{
	return ((struct lx *)a)->ranges;
}

/* The index's own bytes plus a struct iova per range: 16 bytes in the
 * domain's slab, 4 KiB chunks of 254 (4096 / 254 bytes each). */
static uint64_t lx_bytes(void *a)
{
	struct lx *c = a;
	struct iova_ndomain *n = iova_linux_native(&c->dom);
	struct iova_stats st;
	uint64_t b = c->ranges * 4096u / 254u;

	if (n && !iova_get_stats(n, &st))
		b += st.index_bytes;
	return b;
}

static int lx_alloc_fast(void *a, uint64_t size, uint64_t limit_pfn, uint64_t *pfn)
{
	struct lx *c = a;
	unsigned long p;

	if (limit_pfn > c->end_pfn)
		limit_pfn = c->end_pfn;
	p = alloc_iova_fast(&c->dom, (unsigned long)size, (unsigned long)limit_pfn, true);
	if (!p)
		return -ENOMEM;
	*pfn = p;
	return 0;
}

static void lx_free_fast(void *a, uint64_t pfn, uint64_t size)
{
	struct lx *c = a;

	free_iova_fast(&c->dom, (unsigned long)pfn, (unsigned long)size);
}

const struct bench_alloc_ops bench_iova_linux_ops = {
	.name = "iova-lx",
	.create = lx_create,
	.destroy = lx_destroy,
	.alloc = lx_alloc,
	.free = lx_free,
	.reserve = lx_reserve,
	.bytes = lx_bytes,
	.count = lx_count,
	.alloc_fast = lx_alloc_fast,
	.free_fast = lx_free_fast,
	.opt_in = true,	/* --alloc iova-lx */
};
