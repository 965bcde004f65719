// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Placement arithmetic; see fit.h for the aligned-run key and the
 * conditions it answers.
 */
#include "fit.h"

void iova_req_init(struct iova_req *r, uint64_t size, uint64_t align,
		   uint64_t min, uint64_t max)
{
	unsigned int k = iova_ctz64(align), ks;

	r->size = size;
	r->align = align;
	r->min = min;
	r->max = max;
	r->k = k;
	r->q = 0;
	r->over = false;
	/* A run of size + align - 1 pfns always holds an aligned fit. */
	r->suff_gap = size - 1 > UINT64_MAX - align ? 0 : size + align - 1;
	if (k == 0) {
		r->mode = IOVA_REQ_GAP;
		return;
	}
	r->mode = IOVA_REQ_BOUNDS;
	if (size >= IOVA_KEY_FMAX)
		return;
	ks = iova_clog2(size);
	if (ks == k) {
		r->mode = IOVA_REQ_KEY;	/* 2^(k-1) < size <= 2^k */
		r->q = (uint64_t)k << IOVA_KEY_SHIFT | size;
	} else if (ks < k) {
		/* Over-aligned: Cond A at order k, then Cond P (fit.h). */
		r->q = (uint64_t)k << IOVA_KEY_SHIFT | size;
		r->over = true;
	} else {
		/* Under-aligned: a fit aligned to 2^ks is aligned to 2^k. */
		r->q = (uint64_t)ks << IOVA_KEY_SHIFT | size;
	}
}
