// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * augrb32 (the review's patch 3/4 model) against a brute-force oracle: a
 * per-pfn map of pfns [1, 2047], with dma_32bit_pfn built as 1024 so that
 * both pruning modes (clamped_gap32 for limits below it, the plain max gap
 * above) are exercised.  Every allocation must be the oracle's highest
 * (aligned) fit, fail exactly when the oracle finds none, and the tree's
 * augmentation must validate after every step.
 */
#include <errno.h>
#include <string.h>

#include "alloc_iface.h"
#include "augrb32.h"
#include "tap.h"

#define SPACE 2048u
#define START 1u
#define MAXLIVE 600

static unsigned char used[SPACE];
static uint64_t live[MAXLIVE], lsize[MAXLIVE];
static unsigned nlive;
static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t below(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

/* highest s in [START, limit - size + 1] with s % align == 0, all free */
static uint64_t oracle_fit(uint64_t size, uint64_t align, uint64_t limit)
{
	uint64_t s, i;

	if (limit > SPACE - 1)
		limit = SPACE - 1;
	if (limit + 1 < START + size)
		return UINT64_MAX;
	for (s = (limit - size + 1) & ~(align - 1);; s -= align) {
		if (s < START)
			return UINT64_MAX;
		for (i = 0; i < size && !used[s + i]; i++)
			;
		if (i == size)
			return s;
		if (s < align)
			return UINT64_MAX;
	}
}

int main(void)
{
	const struct bench_alloc_ops *o = &bench_augrb32_ops;
	void *a = o->create(START, SPACE - 1);
	unsigned step, bad_fit = 0, bad_valid = 0, allocs = 0, fails = 0;
	const char *why = "";

	if (!ok(a != NULL, "augrb32 domain [1, 2047]"))
		return tap_done();
	for (step = 0; step < 30000; step++) {
		if (below(100) < 55 || !nlive) {
			uint64_t size = 1 + below(24), pfn = 0, want, i;
			bool aligned = below(2);
			uint64_t align = 1, limit;
			int r;

			if (aligned)
				while (align < size)
					align <<= 1;
			/* below, at and above the 32-bit boundary, and the top */
			switch (below(4)) {
			case 0: limit = 300 + below(723); break;
			case 1: limit = 1023; break;
			case 2: limit = 1024 + below(1023); break;
			default: limit = SPACE - 1; break;
			}
			want = oracle_fit(size, align, limit);
			r = o->alloc(a, size, limit, aligned, &pfn);
			if (want == UINT64_MAX) {
				fails++;
				bad_fit += r != -ENOMEM;
			} else if (r || pfn != want) {
				if (bad_fit++ < 5)
					printf("# size %llu align %llu limit %llu: got %d 0x%llx, oracle 0x%llx\n",
					       (unsigned long long)size, (unsigned long long)align,
					       (unsigned long long)limit, r,
					       (unsigned long long)pfn, (unsigned long long)want);
			} else if (nlive < MAXLIVE) {
				allocs++;
				for (i = 0; i < size; i++)
					used[pfn + i] = 1;
				live[nlive] = pfn;
				lsize[nlive++] = size;
			} else {
				o->free(a, pfn);
			}
		} else {
			unsigned k = (unsigned)below(nlive);
			uint64_t i;

			if (o->free(a, live[k]))
				bad_fit++;
			for (i = 0; i < lsize[k]; i++)
				used[live[k] + i] = 0;
			live[k] = live[--nlive];
			lsize[k] = lsize[nlive];
		}
		if (augrb32_check(a, &why) && bad_valid++ < 3)
			printf("# invalid after step %u: %s\n", step, why);
	}
	is_int(bad_fit, 0, "augrb32 = oracle highest fit (%u placed, %u correctly refused)",
	       allocs, fails);
	is_int(bad_valid, 0, "augrb32 augmentation (max gap, max clamped_gap32) valid at every step");
	o->destroy(a);
	return tap_done();
}
