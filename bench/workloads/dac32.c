// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * dac32: n live 64-bit ranges (1..16 pages, top-down from the 48-bit
 * aperture end), then the *first* 32-bit allocation.  Models a device with
 * a 32-bit mask (or dma-iommu's 32-bit-first attempt) joining a domain that
 * 64-bit devices have filled.  One timed op per repeat (the set-up is
 * rebuilt for each repeat): isolates the walk over ranges above the limit.
 */
#include <stdlib.h>

#include "../bench.h"

static void gen64(uint64_t *rng, struct req *q)
{
	q->size = 1 + rng_below(rng, 16);
	q->limit = mask_limit(64);
	q->aligned = true;
}

static int run_dac32(struct bench_run *r)
{
	uint64_t rng = rng_seed(r->seed, 3 + (uint64_t)r->repeat_idx);
	uint64_t *slots, t0, pfn;
	int64_t filled;
	void *a;

	a = r->ops->create(DOM_START, DOM_END);
	if (!a)
		return -1;
	slots = malloc(r->n * sizeof(*slots));
	if (!slots)
		abort();
	bench_setup_begin(r);
	filled = populate_gen(r, a, gen64, NULL, slots, r->n, &rng);
	if (filled >= 0) {
		bench_measure_begin(r);
		t0 = bench_now();
		if (r->ops->alloc(a, 1, mask_limit(32), true, &pfn))
			r->st.fails++;
		bench_op_done(r, &r->st, t0);
		bench_measure_end(r);
	}
	bench_snapshot(r, a);
	r->ops->destroy(a);
	free(slots);
	return 0;
}

static const uint64_t n_def[] = { 1000, 10000, 100000, 1000000, 0 };
static const uint64_t n_quick[] = { 10000, 100000, 0 };

const struct bench_workload wl_dac32 = {
	.name = "dac32",
	.what = "first 32-bit alloc after n live 64-bit ranges (one op per repeat)",
	.n_default = n_def,
	.n_full = n_def,
	.n_quick = n_quick,
	.ops_default = 1,
	.threads_ok = false,
	.wall_ns = true,	/* one op: its wall time */
	.run = run_dac32,
};
