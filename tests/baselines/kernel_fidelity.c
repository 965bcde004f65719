// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Fidelity of the mainline model: the real drivers/iommu/iova.c (design
 * "linux", bench/kernel/) and bench/baselines/classic.c driven in lock-step
 * by one pseudo-random sequence must hand out the same address for every
 * allocation, fail the same requests, and agree on every reservation:
 *   A. random allocations (1..64 pages, size-aligned, 30% under the 32-bit
 *      limit), random frees and reservations;
 *   B. the 32-bit space filled until it refuses 64 requests in a row;
 *   C. churn in the full 32-bit space (frees, 32-bit and 64-bit allocs);
 *   D. alloc_iova_fast/free_iova_fast (rcaches) in lock-step.
 * Then the documented facts of the lab issue, each against an expectation
 * built by construction (not against either design's own output):
 *   - maple's size + align - 1 search reports ENOMEM for an aligned fit
 *     that exists, and cannot refill an exactly aligned hole in a full
 *     32-bit space, where linux (and classic) place it;
 *   - mainline's alloc_iova_fast returns a range above the limit when
 *     limit_pfn + 1 < size (a cached range of that size exists);
 *   - the maple tree is built with the kernel's x86-64 node layout.
 * Built only when the kernel source is present (make bench-kernel);
 * otherwise CTest runs a stand-in that skips with the reason.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_iface.h"
#include "classic.h"
#include "kernel_designs.h"
#include "tap.h"

#define DOM_START 1u
#define DOM_END (((uint64_t)1 << 36) - 1)
#define LIM32 0xFFFFFu		/* the 32-bit limit, inclusive, 4 KiB pages */
#define MAXLIVE 40000

struct live {
	uint64_t pfn, size;
	bool fast;
};

static struct live lv[MAXLIVE];
static unsigned nlive;
static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t below(uint64_t n)
{
	return rnd() % n;
}

struct pair {
	void *k;			/* the real iova.c */
	struct classic_domain c;	/* the model */
	unsigned mismatches, steps;
};

static const struct bench_alloc_ops *klin = &bench_linux_ops;

/* One allocation through both; true if both agree. */
static bool both_alloc(struct pair *p, uint64_t size, uint64_t limit)
{
	uint64_t kp = 0;
	int kr = klin->alloc(p->k, size, limit, true, &kp);
	struct classic_iova *ci = classic_alloc_iova(&p->c, size, limit, true);
	bool same = (kr == 0) == (ci != NULL) && (!ci || ci->pfn_lo == kp);

	p->steps++;
	if (!same) {
		if (p->mismatches++ < 5)
			printf("# alloc size %llu limit 0x%llx: linux %s 0x%llx, classic %s 0x%llx\n",
			       (unsigned long long)size, (unsigned long long)limit,
			       kr ? "fail" : "ok", (unsigned long long)kp,
			       ci ? "ok" : "fail",
			       (unsigned long long)(ci ? ci->pfn_lo : 0));
		return false;
	}
	if (!kr && nlive < MAXLIVE)
		lv[nlive++] = (struct live){ kp, size, false };
	else if (!kr) {	/* table full: give it back to both */
		klin->free(p->k, kp);
		classic_free_iova(&p->c, kp);
	}
	return true;
}

static void both_free(struct pair *p, unsigned i)
{
	struct live x = lv[i];

	lv[i] = lv[--nlive];
	if (x.fast) {
		klin->free_fast(p->k, x.pfn, x.size);
		classic_free_iova_fast(&p->c, x.pfn, x.size);
	} else {
		if (klin->free(p->k, x.pfn))
			p->mismatches++;
		classic_free_iova(&p->c, x.pfn);
	}
}

static void both_reserve(struct pair *p, uint64_t lo, uint64_t hi)
{
	int kr = klin->reserve(p->k, lo, hi);
	struct classic_iova *ci = classic_reserve_iova(&p->c, lo, hi);

	p->steps++;
	if ((kr == 0) != (ci != NULL))
		p->mismatches++;
}

static uint64_t req_size(void)
{
	return 1 + below(64);
}

static uint64_t req_limit(void)
{
	return below(10) < 3 ? LIM32 : DOM_END;
}

static void lockstep(void)
{
	struct pair p;
	unsigned i, fails_in_row = 0;

	memset(&p, 0, sizeof(p));
	p.k = klin->create(DOM_START, DOM_END);
	if (!ok(p.k != NULL, "linux domain created"))
		return;
	classic_init_iova_domain(&p.c, 4096, DOM_START);
	if (!ok(classic_init_rcaches(&p.c) == 0, "classic rcaches"))
		return;
	nlive = 0;

	/* A: random mix */
	for (i = 0; i < 20000; i++) {
		uint64_t x = below(100);

		if (x < 60 || nlive == 0) {
			both_alloc(&p, req_size(), req_limit());
		} else if (x < 97) {
			both_free(&p, (unsigned)below(nlive));
		} else {
			uint64_t lo = 1 + below(LIM32 * 4), len = below(32);

			both_reserve(&p, lo, lo + len);
		}
	}
	is_int(p.mismatches, 0, "A: %u random allocs/frees/reserves: same address every time",
	       p.steps);

	/* B: fill the 32-bit space */
	p.steps = 0;
	for (i = 0; i < 200000 && fails_in_row < 64; i++) {
		unsigned before = nlive;

		both_alloc(&p, req_size(), LIM32);
		fails_in_row = nlive == before ? fails_in_row + 1 : 0;
	}
	ok(fails_in_row >= 64, "B: the 32-bit space is full after %u allocations", p.steps);
	is_int(p.mismatches, 0, "B: the 32-bit fill matches");

	/* C: churn in the full 32-bit space */
	p.steps = 0;
	for (i = 0; i < 6000; i++) {
		if (below(2) && nlive)
			both_free(&p, (unsigned)below(nlive));
		else
			both_alloc(&p, req_size(), below(10) < 7 ? LIM32 : DOM_END);
	}
	is_int(p.mismatches, 0, "C: %u steps of churn in a full 32-bit space match", p.steps);

	/* D: the rcaches */
	p.steps = 0;
	for (i = 0; i < 20000; i++) {
		if (below(100) < 55 || nlive == 0) {
			uint64_t size = 1 + below(48), limit = req_limit(), kp = 0;
			int kr = klin->alloc_fast(p.k, size, limit, &kp);
			uint64_t cp = classic_alloc_iova_fast(&p.c, size, limit, true);

			p.steps++;
			if ((kr == 0) != (cp != 0) || (!kr && cp != kp)) {
				if (p.mismatches++ < 5)
					printf("# fast size %llu limit 0x%llx: linux %d 0x%llx, classic 0x%llx\n",
					       (unsigned long long)size,
					       (unsigned long long)limit, kr,
					       (unsigned long long)kp,
					       (unsigned long long)cp);
			} else if (!kr && nlive < MAXLIVE) {
				lv[nlive++] = (struct live){ kp, size, true };
			}
		} else {
			both_free(&p, (unsigned)below(nlive));
		}
	}
	is_int(p.mismatches, 0, "D: %u alloc_iova_fast/free_iova_fast steps match", p.steps);

	klin->destroy(p.k);
	classic_put_iova_domain(&p.c);
}

/* maple: an exactly aligned hole [32, 39] and nothing else free */
static void maple_padded_search(void)
{
	const struct bench_alloc_ops *m = &bench_maple_ops;
	void *md = m->create(1, 127), *kd = klin->create(1, 127);
	uint64_t pfn = 0;

	if (!ok(md && kd, "maple and linux domains [1, 127]"))
		return;
	ok(!m->reserve(md, 1, 31) && !m->reserve(md, 40, 127) &&
	   !klin->reserve(kd, 1, 31) && !klin->reserve(kd, 40, 127),
	   "reserve all but [32, 39] in both");
	is_int(klin->alloc(kd, 8, 127, true, &pfn), 0, "linux places 8 pages aligned in the hole");
	is_u64(pfn, 32, "... at 32, the only aligned fit");
	is_int(m->alloc(md, 8, 127, true, &pfn), -ENOMEM,
	       "maple: ENOMEM for the aligned fit at 32 (its search asks for 8 + 8 - 1 pages)");
	is_int(maple_alloc_raw(md, 8, 1, 127, &pfn), 0, "maple: unaligned, the hole is found");
	is_u64(pfn, 32, "... at 32");
	m->destroy(md);
	klin->destroy(kd);
}

/* maple: a full 32-bit space of 8-page aligned ranges, one freed */
static void maple_full32_refill(void)
{
	const struct bench_alloc_ops *m = &bench_maple_ops;
	void *md = m->create(DOM_START, DOM_END), *kd = klin->create(DOM_START, DOM_END);
	uint64_t pfn, n = 0, victim, kp = 0;

	if (!ok(md && kd, "maple and linux domains"))
		return;
	while (!m->alloc(md, 8, LIM32, true, &pfn) && n < 200000) {
		n++;
		if (klin->alloc(kd, 8, LIM32, true, &kp) || kp != pfn)
			break;
	}
	/* [8, 2^20 - 1] holds (2^20 - 8) / 8 aligned 8-page ranges */
	is_u64(n, ((uint64_t)1 << 20) / 8 - 1, "both fill the 32-bit space with 8-page ranges");
	victim = 8 * (1 + (n / 2));
	ok(!m->free(md, victim) && !klin->free(kd, victim), "free the range at 0x%llx in both",
	   (unsigned long long)victim);
	is_int(klin->alloc(kd, 8, LIM32, true, &kp), 0, "linux refills the exactly aligned hole");
	is_u64(kp, victim, "... at the freed address");
	is_int(m->alloc(md, 8, LIM32, true, &pfn), -ENOMEM,
	       "maple cannot refill it: ENOMEM (needs a 15-page gap)");
	m->destroy(md);
	klin->destroy(kd);
}

/* mainline's alloc_iova_fast with limit_pfn + 1 < size */
static void fast_above_limit(void)
{
	void *kd = klin->create(DOM_START, DOM_END);
	struct classic_domain c;
	uint64_t kp = 0;
	unsigned long got;
	uint64_t cgot;

	if (!ok(kd != NULL, "linux domain"))
		return;
	classic_init_iova_domain(&c, 4096, DOM_START);
	classic_init_rcaches(&c);
	is_int(klin->alloc_fast(kd, 8, DOM_END, &kp), 0, "alloc_iova_fast 8 pages");
	is_u64(classic_alloc_iova_fast(&c, 8, DOM_END, true), kp, "classic: same address");
	klin->free_fast(kd, kp, 8);
	classic_free_iova_fast(&c, kp, 8);
	/* limit 5: pfns [1, 5] cannot hold 8 pages; the cached one is far above */
	got = linux_alloc_iova_fast_raw(kd, 8, 5);
	ok(got > 5, "mainline: alloc_iova_fast(8, limit 5) returns 0x%lx, above the limit", got);
	is_u64(got, kp, "... the cached range");
	cgot = classic_alloc_iova_fast(&c, 8, 5, true);
	is_u64(cgot, got, "classic models the same above-limit result");
	klin->destroy(kd);
	classic_put_iova_domain(&c);
}

int main(void)
{
	printf("# maple node: %zu bytes\n", maple_layout_bytes());
	is_u64(maple_layout_bytes(), 256, "maple built with the x86-64 layout (256-byte nodes)");
	lockstep();
	maple_padded_search();
	maple_full32_refill();
	fast_above_limit();
	return tap_done();
}
