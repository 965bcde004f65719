// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Single-path workloads (the rows of the lab's comparison table):
 *   fill1     top-down fill of an empty domain with n 1-page ranges (64-bit
 *             mask); one op = one alloc
 *   fillmix   the same with 1..64-page size-aligned ranges in random order
 *   pair32    a steady 32-bit alloc+free pair (1 page) with n 64-bit ranges
 *             live (1..16 pages); the first, cold 32-bit allocation (dac32)
 *             is done untimed before the timed phase
 *   drain     n live 64-bit ranges (1..16 pages) freed in random order; one
 *             op = one free
 *   drain32   the 32-bit space filled with up to n 1..16-page ranges (it
 *             holds ~1.1e5), then freed in random order
 *   fastpair  alloc_fast + free_fast pair (alloc_iova_fast/free_iova_fast
 *             or the design's equivalent), sizes 1..32, 64-bit mask, with n
 *             64-bit ranges live; designs without a fast path have no row
 *   memmix    mixed churn (as `mixed`) whose notes also give the measured
 *             heap growth per live range (glibc mallinfo2) next to B/range
 * Each repeat builds its own domain: a fill or drain is measured from the
 * same state every time.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include "../bench.h"

static void gen_mix64(uint64_t *rng, struct req *q)
{
	q->size = 1 + rng_below(rng, 64);
	q->limit = mask_limit(64);
	q->aligned = true;
}

static void gen_16_32bit(uint64_t *rng, struct req *q)
{
	q->size = 1 + rng_below(rng, 16);
	q->limit = mask_limit(32);
	q->aligned = true;
}

static uint64_t *alloc_slots(uint64_t n)
{
	uint64_t *s = malloc((n ? n : 1) * sizeof(*s));

	if (!s) {
		fprintf(stderr, "bench: out of memory\n");
		exit(2);
	}
	return s;
}

/* Fill: the timed phase is the allocation of n ranges from empty. */
static int run_fill(struct bench_run *r, req_gen_fn gen)
{
	uint64_t rng = rng_seed(r->seed, 21), k, t0, pfn;
	struct req q;
	void *a = r->ops->create(DOM_START, DOM_END);

	if (!a)
		return -1;
	bench_measure_begin(r);
	for (k = 0; k < r->n; k++) {
		gen(&rng, &q);
		t0 = bench_now();
		if (r->ops->alloc(a, q.size, q.limit, q.aligned, &pfn))
			r->st.fails++;
		if (bench_op_done(r, &r->st, t0))
			break;
	}
	bench_measure_end(r);
	bench_snapshot(r, a);
	r->ops->destroy(a);
	return 0;
}

static int run_fill1(struct bench_run *r)
{
	return run_fill(r, gen_nic);
}

static int run_fillmix(struct bench_run *r)
{
	return run_fill(r, gen_mix64);
}

static int run_pair32(struct bench_run *r)
{
	uint64_t rng = rng_seed(r->seed, 3), *slots, k, t0, pfn;
	int64_t filled;
	void *a = r->ops->create(DOM_START, DOM_END);

	if (!a)
		return -1;
	slots = alloc_slots(r->n);
	bench_setup_begin(r);
	filled = populate_gen(r, a, gen_scale, NULL, slots, r->n, &rng);
	/* the cold first 32-bit allocation, untimed */
	if (filled >= 0 && !r->ops->alloc(a, 1, mask_limit(32), true, &pfn))
		r->ops->free(a, pfn);
	if (filled >= 0) {
		bench_measure_begin(r);
		for (k = 0; k < r->ops_target; k++) {
			t0 = bench_now();
			if (r->ops->alloc(a, 1, mask_limit(32), true, &pfn))
				r->st.fails++;
			else
				r->ops->free(a, pfn);
			if (bench_op_done(r, &r->st, t0))
				break;
		}
		bench_measure_end(r);
	}
	bench_snapshot(r, a);
	r->ops->destroy(a);
	free(slots);
	return 0;
}

static int run_drain_gen(struct bench_run *r, req_gen_fn gen)
{
	uint64_t rng = rng_seed(r->seed, 5), *slots, k, t0;
	int64_t filled;
	void *a = r->ops->create(DOM_START, DOM_END);

	if (!a)
		return -1;
	slots = alloc_slots(r->n);
	bench_setup_begin(r);
	filled = populate_gen(r, a, gen, NULL, slots, r->n, &rng);
	if (filled > 0) {
		/* random order (Fisher-Yates), untimed */
		for (k = (uint64_t)filled - 1; k > 0; k--) {
			uint64_t j = rng_below(&rng, k + 1), t = slots[k];

			slots[k] = slots[j];
			slots[j] = t;
		}
		bench_snapshot(r, a);	/* bytes/range of the full domain */
		bench_measure_begin(r);
		for (k = 0; k < (uint64_t)filled; k++) {
			t0 = bench_now();
			if (r->ops->free(a, slots[k]))
				r->st.fails++;
			if (bench_op_done(r, &r->st, t0))
				break;
		}
		bench_measure_end(r);
	} else {
		bench_snapshot(r, a);
	}
	r->ops->destroy(a);
	free(slots);
	return 0;
}

static int run_drain(struct bench_run *r)
{
	return run_drain_gen(r, gen_scale);
}

static int run_drain32(struct bench_run *r)
{
	return run_drain_gen(r, gen_16_32bit);
}

static int run_fastpair(struct bench_run *r)
{
	uint64_t rng = rng_seed(r->seed, 7), *slots, k, t0, pfn, size;
	int64_t filled;
	void *a;

	if (!r->ops->alloc_fast || !r->ops->free_fast)
		return 0;	/* no fast path: no row */
	a = r->ops->create(DOM_START, DOM_END);
	if (!a)
		return -1;
	slots = alloc_slots(r->n);
	bench_setup_begin(r);
	filled = populate_gen(r, a, gen_scale, NULL, slots, r->n, &rng);
	if (filled >= 0) {
		/* warm the caches: one pair of every size, untimed */
		for (size = 1; size <= 32; size++)
			if (!r->ops->alloc_fast(a, size, mask_limit(64), &pfn))
				r->ops->free_fast(a, pfn, size);
		bench_measure_begin(r);
		for (k = 0; k < r->ops_target; k++) {
			size = 1 + rng_below(&rng, 32);
			t0 = bench_now();
			if (r->ops->alloc_fast(a, size, mask_limit(64), &pfn))
				r->st.fails++;
			else
				r->ops->free_fast(a, pfn, size);
			if (bench_op_done(r, &r->st, t0))
				break;
		}
		bench_measure_end(r);
	}
	bench_snapshot(r, a);
	r->ops->destroy(a);
	free(slots);
	return 0;
}

/* ---- memmix: mixed churn (churn.c's generators), with measured heap growth ---- */

static uint64_t heap_now(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
}

static int run_memmix(struct bench_run *r)
{
	uint64_t rng = rng_seed(r->seed, 9), *slots, k, t0, pfn, i, h0, live = 0;
	int64_t filled;
	struct req q;
	void *a;

	slots = alloc_slots(r->n);
	h0 = heap_now();
	a = r->ops->create(DOM_START, DOM_END);
	if (!a) {
		free(slots);
		return -1;
	}
	bench_setup_begin(r);
	filled = populate_gen(r, a, gen_mixed, gen_mixed_wide, slots, r->n, &rng);
	if (filled >= 0) {
		for (i = (uint64_t)filled; i < r->n; i++)
			slots[i] = NO_PFN;
		bench_measure_begin(r);
		for (k = 0; k < r->ops_target; k++) {
			i = rng_below(&rng, r->n);
			gen_mixed(&rng, &q);
			t0 = bench_now();
			if (slots[i] != NO_PFN)
				r->ops->free(a, slots[i]);
			if (r->ops->alloc(a, q.size, q.limit, q.aligned, &pfn) == 0) {
				slots[i] = pfn;
			} else {
				slots[i] = NO_PFN;
				r->st.fails++;
			}
			if (bench_op_done(r, &r->st, t0))
				break;
		}
		bench_measure_end(r);
		for (i = 0; i < r->n; i++)
			live += slots[i] != NO_PFN;
		r->heap_bytes = (int64_t)(heap_now() - h0);
		r->heap_ranges = live;
	}
	bench_snapshot(r, a);
	r->ops->destroy(a);
	free(slots);
	return 0;
}

static const uint64_t n_1e5[] = { 100000, 0 };
static const uint64_t n_1e4[] = { 10000, 0 };
static const uint64_t n_fill[] = { 100000, 1000000, 0 };
static const uint64_t n_1e6[] = { 1000000, 0 };

const struct bench_workload wl_fill1 = {
	.name = "fill1",
	.what = "top-down fill from empty, 1-page ranges (64-bit mask); op = alloc",
	.n_default = n_1e5, .n_full = n_fill, .n_quick = n_1e4,
	.ops_default = 0,	/* n allocations */
	.run = run_fill1,
};

const struct bench_workload wl_fillmix = {
	.name = "fillmix",
	.what = "top-down fill from empty, 1..64 pages size-aligned; op = alloc",
	.n_default = n_fill, .n_full = n_fill, .n_quick = n_1e4,
	.ops_default = 0,
	.run = run_fillmix,
};

const struct bench_workload wl_pair32 = {
	.name = "pair32",
	.what = "steady 32-bit 1-page alloc+free pair, n 64-bit ranges live",
	.n_default = n_1e5, .n_full = n_1e5, .n_quick = n_1e4,
	.ops_default = 20000,
	.run = run_pair32,
};

const struct bench_workload wl_drain = {
	.name = "drain",
	.what = "free n live 64-bit ranges (1..16 pages) in random order; op = free",
	.n_default = n_1e5, .n_full = n_1e5, .n_quick = n_1e4,
	.ops_default = 0,
	.run = run_drain,
};

const struct bench_workload wl_drain32 = {
	.name = "drain32",
	.what = "free a full 32-bit space (<= n 1..16-page ranges) in random order",
	.n_default = n_1e5, .n_full = n_1e5, .n_quick = n_1e4,
	.ops_default = 0,
	.run = run_drain32,
};

const struct bench_workload wl_fastpair = {
	.name = "fastpair",
	.what = "alloc_fast+free_fast pair, sizes 1..32, n 64-bit ranges live",
	.n_default = n_1e4, .n_full = n_1e4, .n_quick = n_1e4,
	.ops_default = 200000,
	.run = run_fastpair,
};

const struct bench_workload wl_memmix = {
	.name = "memmix",
	.what = "mixed churn; notes give measured heap growth per live range",
	.n_default = n_1e6, .n_full = n_1e6, .n_quick = n_1e5,
	.ops_default = 20000,
	.run = run_memmix,
};
