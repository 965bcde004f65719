// SPDX-License-Identifier: MIT OR GPL-2.0-only
/* Replay backend over the benchmark registry's bench_alloc_ops. */
#include <errno.h>
#include <stdlib.h>

#include "alloc_iface.h"
#include "backends.h"

struct bctx {
	const struct bench_alloc_ops *ops;
	void *a;
	uint64_t start_pfn;
};

static void *bb_create(const void *arg, const struct trace *t)
{
	struct bctx *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	c->ops = arg;
	c->start_pfn = t->start_pfn;
	c->a = c->ops->create(t->start_pfn, t->end_pfn);
	if (!c->a) {
		free(c);
		return NULL;
	}
	return c;
}

static void bb_destroy(void *ctx)
{
	struct bctx *c = ctx;

	c->ops->destroy(c->a);
	free(c);
}

static int bb_alloc(void *ctx, const struct trace_op *op, uint64_t *pfn)
{
	struct bctx *c = ctx;
	bool aligned = op->align > 1;

	if (op->policy != TRACE_TOP_DOWN || op->min_pfn > c->start_pfn ||
	    (aligned && op->align != trace_roundup_pow2(op->a)))
		return -EOPNOTSUPP;
	return c->ops->alloc(c->a, op->a, op->b, aligned, pfn);
}

static int bb_free(void *ctx, uint64_t pfn, const struct trace_op *op)
{
	struct bctx *c = ctx;

	(void)op;
	return c->ops->free(c->a, pfn);
}

static int bb_reserve(void *ctx, uint64_t lo, uint64_t hi)
{
	struct bctx *c = ctx;

	return c->ops->reserve(c->a, lo, hi);
}

static uint64_t bb_bytes(void *ctx)
{
	struct bctx *c = ctx;

	return c->ops->bytes ? c->ops->bytes(c->a) : 0;
}

void replay_backend_bench(const struct bench_alloc_ops *ops,
			  struct replay_backend *out)
{
	out->name = ops->name;
	out->placement_only = false;
	out->arg = ops;
	out->create = bb_create;
	out->destroy = bb_destroy;
	out->alloc = bb_alloc;
	out->free = bb_free;
	out->reserve = bb_reserve;
	out->bytes = bb_bytes;
}
