// SPDX-License-Identifier: MIT OR GPL-2.0-only
/* Replay backend "iova-native": libiova's native API, every request kind. */
#include <errno.h>
#include <string.h>

#include "backends.h"
#include "iova/iova.h"

static void *nb_create(const void *arg, const struct trace *t)
{
	struct iova_domain_config cfg;
	struct iova_ndomain *d = NULL;

	(void)arg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.granule = t->granule;
	cfg.start_pfn = t->start_pfn;
	cfg.end_pfn = t->end_pfn;
	return iova_domain_create(&cfg, &d) ? NULL : d;
}

static void nb_destroy(void *ctx)
{
	iova_domain_destroy(ctx);
}

static int nb_alloc(void *ctx, const struct trace_op *op, uint64_t *pfn)
{
	static const enum iova_policy pol[] = {
		[TRACE_TOP_DOWN] = IOVA_TOP_DOWN,
		[TRACE_BOTTOM_UP] = IOVA_BOTTOM_UP,
		[TRACE_EXACT] = IOVA_EXACT,
	};

	return iova_alloc(ctx, op->a, op->align, op->min_pfn, op->b,
			  pol[op->policy % 3], pfn);
}

static int nb_free(void *ctx, uint64_t pfn, const struct trace_op *op)
{
	(void)op;
	return iova_free(ctx, pfn);
}

static int nb_reserve(void *ctx, uint64_t lo, uint64_t hi)
{
	return iova_reserve(ctx, lo, hi);
}

static uint64_t nb_bytes(void *ctx)
{
	struct iova_stats st;

	return iova_get_stats(ctx, &st) ? 0 : st.index_bytes;
}

const struct replay_backend replay_native_backend = {
	.name = "iova-native",
	.create = nb_create,
	.destroy = nb_destroy,
	.alloc = nb_alloc,
	.free = nb_free,
	.reserve = nb_reserve,
	.bytes = nb_bytes,
};
