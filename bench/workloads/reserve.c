// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * reserve: a domain with many reserved holes, as dma-iommu builds from PCI
 * host-bridge windows, dma-ranges gaps and MSI doorbells.  Set-up: the
 * x86 MSI window (0xFEE00-0xFEEFF), a 512 MiB PCI MMIO hole below 4 GiB,
 * min(n/16, 4096) small random holes in the 32-bit space, then n live
 * ranges (1..16 pages, 30% under a 32-bit mask, else 64-bit).  Timed op:
 * one cycle "reserve a new 1..16-page hole at a random address between
 * 2^22 and 2^30 pfns, free a random live range, allocate one".  Isolates
 * reservation cost (mainline scans every range from the lowest) and
 * allocation among many reserved holes.
 */
#include <stdlib.h>

#include "../bench.h"

static void gen(uint64_t *rng, struct req *q)
{
	q->size = 1 + rng_below(rng, 16);
	q->limit = rng_below(rng, 10) < 3 ? mask_limit(32) : mask_limit(64);
	q->aligned = true;
}

static int run_reserve(struct bench_run *r)
{
	uint64_t rng = rng_seed(r->seed, 11), *slots, holes, i, k, t0, lo;
	struct req q;
	int64_t filled;
	void *a;

	a = r->ops->create(DOM_START, DOM_END);
	if (!a)
		return -1;
	slots = malloc(r->n * sizeof(*slots));
	if (!slots)
		abort();
	bench_setup_begin(r);
	r->ops->reserve(a, 0xFEE00, 0xFEEFF);
	r->ops->reserve(a, 0xC0000, 0xDFFFF);
	holes = r->n / 16 < 4096 ? r->n / 16 : 4096;
	for (i = 0; i < holes; i++) {
		lo = 0x1000 + rng_below(&rng, 0xBF000);
		r->ops->reserve(a, lo, lo + rng_below(&rng, 16));
		if ((i & 255) == 0 && bench_setup_over(r, i, holes))
			goto out;
	}
	filled = populate_gen(r, a, gen, NULL, slots, r->n, &rng);
	if (filled < 0)
		goto out;
	for (i = (uint64_t)filled; i < r->n; i++)
		slots[i] = NO_PFN;
	bench_measure_begin(r);
	for (k = 0; k < r->ops_target; k++) {
		lo = ((uint64_t)1 << 22) + rng_below(&rng, ((uint64_t)1 << 30) - ((uint64_t)1 << 22));
		i = rng_below(&rng, r->n);
		gen(&rng, &q);
		t0 = bench_now();
		r->ops->reserve(a, lo, lo + rng_below(&rng, 16));
		if (slots[i] != NO_PFN)
			r->ops->free(a, slots[i]);
		if (r->ops->alloc(a, q.size, q.limit, q.aligned, &slots[i])) {
			slots[i] = NO_PFN;
			r->st.fails++;
		}
		if (bench_op_done(r, &r->st, t0))
			break;
	}
	bench_measure_end(r);
out:
	bench_snapshot(r, a);
	r->ops->destroy(a);
	free(slots);
	return 0;
}

static const uint64_t n_def[] = { 100000, 0 };

const struct bench_workload wl_reserve = {
	.name = "reserve",
	.what = "reserve a hole + free + alloc among PCI/MSI/random reserved holes",
	.n_default = n_def,
	.n_full = n_def,
	.n_quick = n_def,
	.ops_default = 10000,
	.threads_ok = false,
	.run = run_reserve,
};
