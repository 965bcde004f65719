// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Replay backend "iova-linux": libiova through its Linux-compatible API.
 * Built only with -DIOVA_REPLAY_LINUX_API=ON (CMake), once
 * include/iova/linux.h exists; written against the kernel's signatures:
 * init_iova_domain(), iova_domain_init_rcaches(), alloc_iova_fast() /
 * free_iova_fast() for size-aligned requests (what dma-iommu does),
 * alloc_iova() / free_iova() otherwise, reserve_iova(), put_iova_domain().
 * Limits are clamped to the trace's end_pfn (a Linux domain has no top).
 * Memory is the native index behind the compat domain (iova_linux_native).
 */
#include <errno.h>
#include <stdlib.h>

/* Both APIs in one file: the native tag is renamed (see iova/linux.h). */
#include "iova/iova.h"
#include "iova/linux.h"

#define IOVA_REPLAY_HAVE_LINUX 1
#include "backends.h"

struct lctx {
	struct iova_domain dom;
	uint64_t end_pfn;
};

static void *lb_create(const void *arg, const struct trace *t)
{
	struct lctx *c = calloc(1, sizeof(*c));

	(void)arg;
	if (!c)
		return NULL;
	if (iova_cache_get()) {
		free(c);
		return NULL;
	}
	init_iova_domain(&c->dom, (unsigned long)t->granule,
			 (unsigned long)t->start_pfn);
	if (iova_domain_init_rcaches(&c->dom)) {
		put_iova_domain(&c->dom);
		iova_cache_put();
		free(c);
		return NULL;
	}
	c->end_pfn = t->end_pfn;
	return c;
}

static void lb_destroy(void *ctx)
{
	struct lctx *c = ctx;

	put_iova_domain(&c->dom);
	iova_cache_put();
	free(c);
}

static bool fast_path(const struct trace_op *op)
{
	return op->align == trace_roundup_pow2(op->a);
}

static int lb_alloc(void *ctx, const struct trace_op *op, uint64_t *pfn)
{
	struct lctx *c = ctx;
	unsigned long lim = (unsigned long)(op->b < c->end_pfn ? op->b :
					    c->end_pfn);

	if (op->policy != TRACE_TOP_DOWN || op->min_pfn > c->dom.start_pfn ||
	    (op->align > 1 && !fast_path(op)))
		return -EOPNOTSUPP;
	if (fast_path(op)) {
		unsigned long p = alloc_iova_fast(&c->dom, (unsigned long)op->a,
						  lim, true);

		if (!p)
			return -ENOMEM;
		*pfn = p;
	} else {
		struct iova *v = alloc_iova(&c->dom, (unsigned long)op->a, lim,
					    false);

		if (!v)
			return -ENOMEM;
		*pfn = v->pfn_lo;
	}
	return 0;
}

static int lb_free(void *ctx, uint64_t pfn, const struct trace_op *op)
{
	struct lctx *c = ctx;

	if (fast_path(op))
		free_iova_fast(&c->dom, (unsigned long)pfn, (unsigned long)op->a);
	else
		free_iova(&c->dom, (unsigned long)pfn);
	return 0;
}

static int lb_reserve(void *ctx, uint64_t lo, uint64_t hi)
{
	struct lctx *c = ctx;

	return reserve_iova(&c->dom, (unsigned long)lo, (unsigned long)hi) ?
		       0 : -ENOMEM;
}

static uint64_t lb_bytes(void *ctx)
{
	struct lctx *c = ctx;
	struct iova_ndomain *n = iova_linux_native(&c->dom);
	struct iova_stats st;

	return n && !iova_get_stats(n, &st) ? st.index_bytes : 0;
}

const struct replay_backend replay_linux_backend = {
	.name = "iova-linux",
	.create = lb_create,
	.destroy = lb_destroy,
	.alloc = lb_alloc,
	.free = lb_free,
	.reserve = lb_reserve,
	.bytes = lb_bytes,
};
