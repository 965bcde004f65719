// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Memory of a top-down fill, measured as heap growth:
 *   memfill32  n 1-page allocations from an empty domain under a 32-bit
 *              mask (the 2^20 - 1 pfns of [1, 2^20 - 1] hold 1e6)
 *   memfill48  the same under a 48-bit mask
 * One op = one allocation.  The notes give glibc's heap growth (mallinfo2:
 * uordblks + hblkhd) from before the domain's creation to the end of the
 * fill, per live range, next to the design's own count (B/range): for the
 * Linux-API rows that is the index and every struct iova together, and for
 * the kernel designs their slab chunks and maple nodes.  memmix gives the
 * same figure after mixed churn.
 */
#define _GNU_SOURCE
#include <malloc.h>

#include "../bench.h"

static uint64_t heap_bytes_now(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
}

static int run_memfill(struct bench_run *r, unsigned bits)
{
	uint64_t k, t0, pfn, h0 = heap_bytes_now(), done = 0;
	void *a = r->ops->create(DOM_START, DOM_END);

	if (!a)
		return -1;
	bench_measure_begin(r);
	for (k = 0; k < r->n; k++) {
		t0 = bench_now();
		if (r->ops->alloc(a, 1, mask_limit(bits), false, &pfn))
			r->st.fails++;
		else
			done++;
		if (bench_op_done(r, &r->st, t0))
			break;
	}
	bench_measure_end(r);
	r->heap_bytes = (int64_t)(heap_bytes_now() - h0);
	r->heap_ranges = done;
	bench_snapshot(r, a);
	r->ops->destroy(a);
	return 0;
}

static int run_memfill32(struct bench_run *r)
{
	return run_memfill(r, 32);
}

static int run_memfill48(struct bench_run *r)
{
	return run_memfill(r, 48);
}

static const uint64_t n_default[] = { 100000, 0 };
static const uint64_t n_full[] = { 100000, 1000000, 0 };
static const uint64_t n_quick[] = { 10000, 0 };

const struct bench_workload wl_memfill32 = {
	.name = "memfill32",
	.what = "top-down fill, 1 page, 32-bit mask; notes give heap growth per range",
	.n_default = n_default, .n_full = n_full, .n_quick = n_quick,
	.ops_default = 0,	/* n allocations */
	.run = run_memfill32,
};

const struct bench_workload wl_memfill48 = {
	.name = "memfill48",
	.what = "top-down fill, 1 page, 48-bit mask; notes give heap growth per range",
	.n_default = n_default, .n_full = n_full, .n_quick = n_quick,
	.ops_default = 0,
	.run = run_memfill48,
};
