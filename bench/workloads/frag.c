// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * frag: long-lived plus short-lived ranges.  Set-up: n long-lived ranges
 * (1..64 pages) interleaved with 3n short-lived ones (by size class), then
 * the short ones are freed in random order, leaving the long-lived ranges scattered between
 * holes of every size.  Timed op: one cycle of a FIFO of 1024 short-lived
 * ranges (1..128 pages: free the oldest, allocate one); every 16th cycle also
 * replaces a random long-lived range.  All size-aligned, 64-bit mask.
 * Isolates searching a fragmented space where many holes are too small.
 */
#include <stdlib.h>

#include "../bench.h"

#define WINDOW 1024

static unsigned size_class(uint64_t size)
{
	return size <= 1 ? 0u : 64u - (unsigned)__builtin_clzll(size - 1);
}

static int cmp_class(const void *x, const void *y)
{
	const struct req *a = x, *b = y;
	unsigned ca = size_class(a->size), cb = size_class(b->size);

	if (ca != cb)
		return ca < cb ? -1 : 1;
	/* Then by size; long and short ones of one size side by side. */
	return a->size != b->size ? (a->size < b->size ? -1 : 1)
				  : (a->limit > b->limit) - (a->limit < b->limit);
}

static int run_frag(struct bench_run *r)
{
	struct req *batch = NULL;
	uint64_t j, rng = rng_seed(r->seed, 7), *lng, *shrt, win[WINDOW];
	uint64_t nl = 0, ns = 0, i, k, t0, pfn, head = 0, used = 0;
	const uint64_t lim = mask_limit(64);
	void *a;

	a = r->ops->create(DOM_START, DOM_END);
	if (!a)
		return -1;
	lng = malloc(r->n * sizeof(*lng));
	shrt = malloc(3 * r->n * sizeof(*shrt));
	if (!lng || !shrt)
		abort();
	bench_setup_begin(r);
	/*
	 * n long-lived and 3n short-lived requests allocated in ascending size
	 * class (as populate_gen() does, so that augrb's set-up stays fast),
	 * long and short ones side by side within each class.
	 */
	batch = malloc(4 * r->n * sizeof(*batch));
	if (!batch)
		abort();
	for (j = 0; j < 4 * r->n; j++) {
		batch[j].size = 1 + rng_below(&rng, 64);
		batch[j].limit = (j & 3) == 0;	/* 1 = long-lived */
		batch[j].aligned = true;
	}
	qsort(batch, 4 * r->n, sizeof(batch[0]), cmp_class);
	for (j = 0; j < 4 * r->n; j++) {
		if (r->ops->alloc(a, batch[j].size, lim, true, &pfn) == 0) {
			if (batch[j].limit)
				lng[nl++] = pfn;
			else
				shrt[ns++] = pfn;
		}
		if ((j & 1023) == 0 && bench_setup_over(r, j, 4 * r->n))
			goto out;
	}
	while (ns) {
		i = rng_below(&rng, ns);
		r->ops->free(a, shrt[i]);
		shrt[i] = shrt[--ns];
		if ((ns & 1023) == 0 && bench_setup_over(r, r->n, r->n))
			goto out;
	}
	bench_measure_begin(r);
	for (k = 0; k < r->ops_target; k++) {
		uint64_t size = 1 + rng_below(&rng, 128);

		t0 = bench_now();
		if (used == WINDOW) {	/* retire the oldest short-lived range */
			r->ops->free(a, win[head]);
			head = (head + 1) % WINDOW;
			used--;
		}
		if (r->ops->alloc(a, size, lim, true, &pfn) == 0)
			win[(head + used++) % WINDOW] = pfn;
		else
			r->st.fails++;
		if ((k & 15) == 15 && nl) {
			i = rng_below(&rng, nl);
			r->ops->free(a, lng[i]);
			if (r->ops->alloc(a, 1 + rng_below(&rng, 64), lim, true,
					  &lng[i]))
				lng[i] = lng[--nl];
		}
		if (bench_op_done(r, &r->st, t0))
			break;
	}
	bench_measure_end(r);
out:
	bench_snapshot(r, a);
	r->ops->destroy(a);
	free(lng);
	free(shrt);
	free(batch);
	return 0;
}

static const uint64_t n_def[] = { 100000, 0 };

const struct bench_workload wl_frag = {
	.name = "frag",
	.what = "n long-lived ranges among freed short-lived holes; FIFO churn of short ones",
	.n_default = n_def,
	.n_full = n_def,
	.n_quick = n_def,
	.ops_default = 20000,
	.threads_ok = false,
	.run = run_frag,
};
