// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * "augrb32": the limit-aware augmented rbtree of the 2026 review's patch
 * 3/4, as a model.  The same tree as augrb (baselines/augrb.c, compiled
 * again here under other names) with a second augmented field, the largest
 * clamped_gap32 in each subtree (the part of a gap below dma_32bit_pfn,
 * 2^20 with 4 KiB pages).  A search prunes by that field when limit_pfn <
 * dma_32bit_pfn, else by the plain max gap, and never by address: gaps
 * above a limit between 4 GiB and the top of the space (the 33..56-bit
 * masks) look usable to the pruning and are walked, O(n) in the worst case.
 * Placement is the exact highest fit, as augrb.
 */
#define AUGRB_CLAMPED32 1
#ifndef AUGRB_DMA32_PFN	/* the tests build it with a small one */
#define AUGRB_DMA32_PFN ((uint64_t)1 << 20)
#endif
#define augrb_node augrb32_node
#define augrb_domain augrb32_domain
#define augrb_init augrb32_init
#define augrb_destroy augrb32_destroy
#define augrb_alloc augrb32_alloc
#define augrb_free augrb32_free
#define augrb_reserve augrb32_reserve
#define augrb_find augrb32_find
#define augrb_first augrb32_first
#define augrb_next augrb32_next
#define augrb_validate augrb32_validate
#include "augrb.c"

#include <pthread.h>

#include "../alloc_iface.h"
#include "augrb32.h"

struct augrb32_inst {
	pthread_mutex_t lock;
	struct augrb32_domain d;
};

static void *a32_create(uint64_t start_pfn, uint64_t end_pfn)
{
	struct augrb32_inst *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	if (augrb32_init(&g->d, start_pfn, end_pfn)) {
		free(g);
		return NULL;
	}
	pthread_mutex_init(&g->lock, NULL);
	return g;
}

static void a32_destroy(void *a)
{
	struct augrb32_inst *g = a;

	augrb32_destroy(&g->d);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

static int a32_alloc(void *a, uint64_t size, uint64_t limit_pfn,
		     bool size_aligned, uint64_t *pfn)
{
	struct augrb32_inst *g = a;
	uint64_t align = 1;
	int r;

	if (size_aligned && size > 1)
		align = (uint64_t)1 << (64 - __builtin_clzll(size - 1));
	pthread_mutex_lock(&g->lock);
	r = augrb32_alloc(&g->d, size, align, limit_pfn, pfn);
	pthread_mutex_unlock(&g->lock);
	return r;
}

static int a32_free(void *a, uint64_t pfn)
{
	struct augrb32_inst *g = a;
	int r;

	pthread_mutex_lock(&g->lock);
	r = augrb32_free(&g->d, pfn);
	pthread_mutex_unlock(&g->lock);
	return r;
}

static int a32_reserve(void *a, uint64_t lo, uint64_t hi)
{
	struct augrb32_inst *g = a;
	int r;

	pthread_mutex_lock(&g->lock);
	r = augrb32_reserve(&g->d, lo, hi);
	pthread_mutex_unlock(&g->lock);
	return r;
}

/* the node in its glibc malloc chunk (size + 8, rounded up to 16) */
static uint64_t a32_bytes(void *a)
{
	uint64_t chunk = (sizeof(struct augrb32_node) + 8 + 15) & ~(uint64_t)15;

	return ((struct augrb32_inst *)a)->d.nodes * chunk;
}

static uint64_t a32_count(void *a)
{
	return ((struct augrb32_inst *)a)->d.nodes;
}

int augrb32_check(void *a, const char **why)
{
	return augrb32_validate(&((struct augrb32_inst *)a)->d, why);
}

const struct bench_alloc_ops bench_augrb32_ops = {
	.name = "augrb32",
	.create = a32_create,
	.destroy = a32_destroy,
	.alloc = a32_alloc,
	.free = a32_free,
	.reserve = a32_reserve,
	.bytes = a32_bytes,
	.count = a32_count,
	.opt_in = true,	/* O(n) set-up of the 1e6 workloads: --alloc augrb32 */
};
