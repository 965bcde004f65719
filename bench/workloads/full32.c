// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * full32: the 32-bit space (pfns 1..2^20-1) is filled with n equal,
 * size-aligned ranges (size = 2^20 / n rounded down to a power of two).
 * Each cycle frees one random range and refills it (untimed); the timed ops
 * are two requests of twice that size under the 32-bit limit, which can
 * never fit: isolates the cost of failing (the classic walk covers every
 * range after a free resets max32_alloc_size; then it fails fast).  ns/op
 * is the mean per-op wall time here (see wall_ns in bench.h).
 */
#include <stdlib.h>

#include "../bench.h"

static int run_full32(struct bench_run *r)
{
	uint64_t rng = rng_seed(r->seed, 5), *slots, size, t0, pfn, k, i;
	uint64_t filled = 0;
	void *a;
	int j;

	size = ((uint64_t)1 << 20) / (r->n ? r->n : 1);
	if (size == 0)
		size = 1;
	size = (uint64_t)1 << (63 - __builtin_clzll(size));
	a = r->ops->create(DOM_START, DOM_END);
	if (!a)
		return -1;
	slots = malloc(r->n * sizeof(*slots));
	if (!slots)
		abort();
	bench_setup_begin(r);
	while (filled < r->n &&
	       r->ops->alloc(a, size, mask_limit(32), true, &slots[filled]) == 0) {
		filled++;
		if ((filled & 1023) == 0 && bench_setup_over(r, filled, r->n))
			goto out;
	}
	if (filled == 0)
		goto out;
	bench_measure_begin(r);
	for (k = 0; k < r->ops_target; k += 2) {
		i = rng_below(&rng, filled);
		bench_untimed_begin(&r->st);
		r->ops->free(a, slots[i]);
		bench_untimed_end(&r->st);
		for (j = 0; j < 2; j++) {
			t0 = bench_now();
			if (r->ops->alloc(a, 2 * size, mask_limit(32), true, &pfn))
				r->st.fails++;
			else
				r->ops->free(a, pfn);	/* cannot happen */
			if (bench_op_done(r, &r->st, t0))
				goto done;
		}
		bench_untimed_begin(&r->st);
		if (r->ops->alloc(a, size, mask_limit(32), true, &slots[i]))
			slots[i] = slots[--filled];
		bench_untimed_end(&r->st);
		if (!filled)
			break;
	}
done:
	bench_measure_end(r);
out:
	bench_snapshot(r, a);
	r->ops->destroy(a);
	free(slots);
	return 0;
}

static const uint64_t n_def[] = { 65536, 0 };

const struct bench_workload wl_full32 = {
	.name = "full32",
	.what = "32-bit space full of n ranges: failing 32-bit requests",
	.n_default = n_def,
	.n_full = n_def,
	.n_quick = n_def,
	.ops_default = 4000,
	.threads_ok = false,
	.wall_ns = true,	/* the free and refill between ops are untimed */
	.run = run_full32,
};
