// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * The classic baseline must pick the same addresses as mainline Linux on the
 * conformance scenarios of linux-iova-semantics.md section 8.  Every
 * expected value below is transcribed from that document (granule 4 KiB,
 * start_pfn 1, dma_32bit_pfn 0x100000), not from the code under test.
 */
#include <stdlib.h>

#include "classic.h"
#include "tap.h"

#define D32 0xFFFFFull	/* the 32-bit limit_pfn */

static struct classic_domain dom;

static void fresh(uint64_t start)
{
	classic_init_iova_domain(&dom, 4096, start);
}

static void done(void)
{
	const char *why = "";

	ok(classic_validate(&dom, &why) == 0, "domain valid (%s)", why);
	classic_put_iova_domain(&dom);
}

/* alloc_iova; returns lo or ~0 on failure, and checks hi = lo + size - 1. */
static uint64_t A(uint64_t size, uint64_t limit, bool aligned)
{
	struct classic_iova *n = classic_alloc_iova(&dom, size, limit, aligned);

	if (!n)
		return UINT64_MAX;
	if (n->pfn_hi != n->pfn_lo + size - 1)
		diag("bad hi 0x%llx for lo 0x%llx size %llu",
		     (unsigned long long)n->pfn_hi,
		     (unsigned long long)n->pfn_lo, (unsigned long long)size);
	return n->pfn_lo;
}

#define FAIL UINT64_MAX

static void scenarios_1_to_4(void)
{
	fresh(1);
	is_u64(A(1, D32, true), 0xFFFFF, "s1: fresh A(1) -> 0xFFFFF");
	is_u64(A(2, D32, true), 0xFFFFC, "s2: A(2,T) -> 0xFFFFC (0xFFFFE left free)");
	is_u64(A(1, D32, true), 0xFFFFB, "s3: A(1) -> 0xFFFFB, below the cached node");
	classic_free_iova(&dom, 0xFFFFD);	/* a middle pfn */
	ok(!classic_find_iova(&dom, 0xFFFFC), "s4: free_iova(0xFFFFD) freed [0xFFFFC,0xFFFFD]");
	is_u64(A(1, D32, true), 0xFFFFE, "s4: then A(1) -> 0xFFFFE");
	done();
}

static void scenario_5(void)
{
	struct classic_iova *n;
	uint64_t pfn;

	fresh(1);
	is_u64(A(3, D32, true), 0xFFFFC, "s5: fresh A(3,T) -> [0xFFFFC,0xFFFFE]");
	done();
	fresh(1);
	is_u64(A(3, D32, false), 0xFFFFD, "s5: fresh A(3,F) -> [0xFFFFD,0xFFFFF]");
	done();
	fresh(1);
	is_u64(A(5, D32, true), 0xFFFF8, "s5: fresh A(5,T) -> [0xFFFF8,0xFFFFC]");
	done();
	fresh(1);
	classic_init_rcaches(&dom);
	pfn = classic_alloc_iova_fast(&dom, 3, D32, true);
	is_u64(pfn, 0xFFFFC, "s5: fresh alloc_iova_fast(3) -> 0xFFFFC");
	n = classic_find_iova(&dom, pfn);
	ok(n && n->pfn_lo == 0xFFFFC && n->pfn_hi == 0xFFFFF,
	   "s5: ... node [0xFFFFC,0xFFFFF] (size rounded to 4)");
	done();
}

static void scenario_6(void)
{
	struct classic_iova *n;
	uint64_t pfn;

	fresh(1);
	classic_init_rcaches(&dom);
	pfn = classic_alloc_iova_fast(&dom, 33, D32, true);
	n = classic_find_iova(&dom, pfn);
	ok(pfn == 0xFFFC0 && n && n->pfn_hi == 0xFFFE0,
	   "s6: fresh alloc_iova_fast(33) -> [0xFFFC0,0xFFFE0] (align 64, no rounding)");
	is_u64(A(1, D32, true), 0xFFFBF, "s6: then A(1) -> 0xFFFBF (31-pfn hole above skipped)");
	classic_free_iova_fast(&dom, 0xFFFC0, 33);
	ok(!classic_find_iova(&dom, 0xFFFC0) &&
	   classic_rcache_count(&dom, 5, NULL) == 0 &&
	   classic_rcache_count(&dom, 6, NULL) == 0,
	   "s6: free_iova_fast(0xFFFC0, 33) goes straight to the tree");
	done();
}

static void scenario_7(void)
{
	const uint64_t L36 = (1ull << 36) - 1;

	fresh(1);
	is_u64(A(1, L36, true), 0xFFFFFFFFFull, "s7: fresh A(1, 2^36-1) -> 0xFFFFFFFFF");
	is_u64(A(4, L36, true), 0xFFFFFFFF8ull, "s7: A(4, 2^36-1, T) -> [0xFFFFFFFF8,0xFFFFFFFFB]");
	is_u64(A(1, D32, true), 0xFFFFF, "s7: A(1, 0xFFFFF) -> 0xFFFFF (independent 32-bit cache)");
	done();
}

static void scenario_8(void)
{
	uint64_t want;
	int i, good = 1;

	fresh(1);
	is_u64(A(2, 15, true), 0xE, "s8: A(2) -> [0xE,0xF]");
	is_u64(A(1, 15, true), 0xD, "s8: A(1) -> 0xD");
	is_u64(A(2, 15, true), 0xA, "s8: A(2) -> [0xA,0xB] (hole at 0xC)");
	is_u64(A(8, 15, true), FAIL, "s8: A(8) fails (both passes)");
	is_u64(dom.max32_alloc_size, 8, "s8: max32_alloc_size = 8");
	for (i = 0, want = 9; i < 9; i++, want--)
		if (A(1, 15, true) != want)
			good = 0;
	ok(good, "s8: nine A(1) -> 9, 8, ..., 1");
	is_u64(A(1, 15, true), 0xC, "s8: next A(1) -> 0xC (the second pass)");
	is_u64(A(1, 15, true), FAIL, "s8: next A(1) fails");
	is_u64(dom.max32_alloc_size, 1, "s8: max32_alloc_size = 1");
	done();
}

static void scenario_9(void)
{
	fresh(1);
	is_u64(A(8, 7, true), FAIL, "s9: A(8, 7) fails (0 < start)");
	/* The failure sets max32 = 8; A(4) is smaller so it still searches. */
	is_u64(A(4, 7, true), 4, "s9: A(4, 7) -> [4,7]");
	is_u64(A(4, 7, true), FAIL, "s9: A(4, 7) fails (retry too)");
	is_u64(dom.max32_alloc_size, 4, "s9: max32_alloc_size = 4");
	is_u64(A(2, 7, true), 2, "s9: A(2) -> [2,3]");
	is_u64(A(1, 7, true), 1, "s9: A(1) -> [1,1]");
	done();
}

static void scenarios_10_11(void)
{
	fresh(1);
	is_u64(A(1, 0, true), FAIL, "s10: fresh A(1, 0) fails");
	is_u64(A(1, D32, true), FAIL, "s10: then A(1, 0xFFFFF) fails fast (poisoned)");
	is_u64(A(1, 1ull << 40, true), 1ull << 40, "s10: A(1, 2^40) -> 0x10000000000");
	done();

	fresh(1);
	is_u64(A(0x80000, 0x7FFFF, true), FAIL, "s11: fresh A(0x80000, 0x7FFFF) fails");
	is_u64(A(0x80000, D32, true), FAIL, "s11: then A(0x80000, 0xFFFFF) fails (poisoned)");
	done();
	fresh(1);
	is_u64(A(0x80000, D32, true), 0x80000, "s11: on a fresh domain -> [0x80000,0xFFFFF]");
	done();
}

static void scenario_12(void)
{
	fresh(1);
	ok(classic_reserve_iova(&dom, 0xFEE00, 0xFEEFF) != NULL, "s12: reserve(0xFEE00, 0xFEEFF)");
	is_u64(A(0x1000, D32, true), 0xFF000, "s12: A(0x1000) -> [0xFF000,0xFFFFF]");
	is_u64(A(0x200, D32, true), 0xFEC00, "s12: A(0x200) -> [0xFEC00,0xFEDFF]");
	is_u64(A(0x100, D32, true), 0xFEB00, "s12: A(0x100) -> 0xFEB00 (0xFEF00-0xFEFFF skipped)");
	is_u64(A(0x100, D32, true), 0xFEA00, "s12: A(0x100) -> 0xFEA00");
	done();
}

static void scenario_13(void)
{
	struct classic_iova *first, *n;

	fresh(1);
	first = classic_reserve_iova(&dom, 0x100, 0x1FF);
	n = classic_reserve_iova(&dom, 0x150, 0x250);
	ok(n && n != first && n->pfn_lo == 0x200 && n->pfn_hi == 0x250,
	   "s13: reserve(0x150,0x250) on {[0x100,0x1FF]} -> new node [0x200,0x250]");
	n = classic_reserve_iova(&dom, 0x80, 0x120);
	ok(n == first && first->pfn_lo == 0x80 && first->pfn_hi == 0x1FF,
	   "s13: reserve(0x80,0x120) -> existing node widened to [0x80,0x1FF]");
	n = classic_reserve_iova(&dom, 0x180, 0x1C0);
	ok(n == first && first->pfn_lo == 0x80 && first->pfn_hi == 0x1FF,
	   "s13: reserve(0x180,0x1C0) -> same node, unchanged");
	n = classic_reserve_iova(&dom, 0x50, 0x300);
	ok(first->pfn_lo == 0x50 && first->pfn_hi == 0x1FF,
	   "s13: reserve(0x50,0x300) widens the first node to [0x50,0x1FF]");
	ok(n && n->pfn_lo == 0x251 && n->pfn_hi == 0x300,
	   "s13: ... and returns the new node [0x251,0x300]");
	done();

	fresh(1);
	first = classic_reserve_iova(&dom, 0x100, 0x1FF);
	n = classic_reserve_iova(&dom, 0x300, 0x3FF);
	ok(classic_reserve_iova(&dom, 0x180, 0x380) == n &&
	   n->pfn_lo == 0x200 && n->pfn_hi == 0x3FF && dom.nodes == 2,
	   "s13: reserve(0x180,0x380) on {[0x100,0x1FF],[0x300,0x3FF]} -> second node widened to [0x200,0x3FF], no new node");
	ok(classic_reserve_iova(&dom, 0x10, 1ull << 52) == NULL,
	   "s13: reserve(x, 2^52) at shift 12 -> NULL");
	done();
}

static void scenario_14(void)
{
	struct classic_iova *n;

	fresh(1);
	A(2, D32, true);	/* [0xFFFFE, 0xFFFFF] */
	n = classic_alloc_iova(&dom, 2, D32, true);
	ok(n && n->pfn_lo == 0xFFFFC && classic_find_iova(&dom, 0xFFFFD) == n,
	   "s14: find_iova(0xFFFFD) on [0xFFFFC,0xFFFFD] -> that node");
	ok(classic_find_iova(&dom, 0x1234) == NULL, "s14: find_iova(free pfn) -> NULL");
	classic_free_iova(&dom, 0x1234);
	ok(dom.nodes == 2, "s14: free_iova(free pfn) changes nothing");
	done();
}

static void scenarios_15_16(void)
{
	struct classic_iova *n;
	unsigned long depot = 0, i;
	uint64_t pfns[520], before;
	int good;

	fresh(1);
	classic_init_rcaches(&dom);
	is_u64(classic_alloc_iova_fast(&dom, 1, D32, true), 0xFFFFF, "s15: alloc_iova_fast(1) -> 0xFFFFF");
	is_u64(classic_alloc_iova_fast(&dom, 1, D32, true), 0xFFFFE, "s15: -> 0xFFFFE");
	is_u64(classic_alloc_iova_fast(&dom, 1, D32, true), 0xFFFFD, "s15: -> 0xFFFFD");
	classic_free_iova_fast(&dom, 0xFFFFE, 1);
	classic_free_iova_fast(&dom, 0xFFFFD, 1);
	is_u64(classic_alloc_iova_fast(&dom, 1, D32, true), 0xFFFFD, "s15: after freeing 0xFFFFE, 0xFFFFD -> 0xFFFFD (LIFO)");
	is_u64(classic_alloc_iova_fast(&dom, 1, D32, true), 0xFFFFE, "s15: -> 0xFFFFE");
	done();

	/* Magazine holding [0x80000, 0xFFFFD] (top last). */
	fresh(1);
	classic_init_rcaches(&dom);
	n = classic_alloc_iova(&dom, 1, 0xFFFFD, true);
	ok(n && n->pfn_lo == 0xFFFFD, "s15: set-up: a range at 0xFFFFD");
	n = classic_alloc_iova(&dom, 1, 0x80000, true);
	ok(n && n->pfn_lo == 0x80000, "s15: set-up: a range at 0x80000");
	classic_free_iova_fast(&dom, 0x80000, 1);
	classic_free_iova_fast(&dom, 0xFFFFD, 1);
	is_u64(classic_alloc_iova_fast(&dom, 1, 0x8FFFF, true), 0x80000,
	       "s15: alloc_iova_fast(1, 0x8FFFF) -> 0x80000 from the magazine");
	ok(classic_rcache_count(&dom, 0, NULL) == 1 && classic_find_iova(&dom, 0xFFFFD),
	   "s15: ... and 0xFFFFD stays cached");
	done();

	/* Section 8.16: magazines, depot and the worker (one online CPU). */
	fresh(1);
	classic_init_rcaches(&dom);
	good = 1;
	for (i = 0; i < 382; i++) {
		pfns[i] = classic_alloc_iova_fast(&dom, 1, D32, true);
		if (!pfns[i])
			good = 0;
	}
	ok(good, "s16: 382 order-0 allocations");
	for (i = 0; i < 127; i++)
		classic_free_iova_fast(&dom, pfns[i], 1);
	ok(dom.rcaches[0].loaded->size == 127 && dom.rcaches[0].prev->size == 0,
	   "s16: 127 frees fill the loaded magazine");
	classic_free_iova_fast(&dom, pfns[127], 1);
	ok(dom.rcaches[0].prev->size == 127 && dom.rcaches[0].loaded->size == 1,
	   "s16: the 128th free swaps: prev is the full one");
	for (i = 128; i < 254; i++)
		classic_free_iova_fast(&dom, pfns[i], 1);
	classic_rcache_count(&dom, 0, &depot);
	is_int(depot, 0, "s16: 254 frees: nothing in the depot yet");
	classic_free_iova_fast(&dom, pfns[254], 1);
	classic_rcache_count(&dom, 0, &depot);
	ok(depot == 1 && dom.rcaches[0].depot->size == 127 &&
	   dom.rcaches[0].loaded->size == 1,
	   "s16: the 255th free moves a full magazine (127 ranges) to the depot");
	for (i = 255; i < 382; i++)
		classic_free_iova_fast(&dom, pfns[i], 1);
	classic_rcache_count(&dom, 0, &depot);
	is_int(depot, 2, "s16: 382 frees: two magazines in the depot");
	before = dom.nodes;
	is_int(classic_depot_work(&dom), 127, "s16: the worker returns 127 ranges to the tree");
	is_u64(before - dom.nodes, 127, "s16: ... removing 127 tree nodes");
	is_int(classic_depot_work(&dom), 0, "s16: then it stops (depot_size 1 <= 1 CPU)");
	done();
}

/* Section 8.17: dma-iommu's 32-bit-first for a PCI device with a 64-bit mask. */
static uint64_t dma_alloc(bool *sac, uint64_t len, uint64_t limit)
{
	uint64_t pfn = 0;

	if (limit > D32 && *sac) {
		pfn = classic_alloc_iova_fast(&dom, len, D32, false);
		if (pfn)
			return pfn;
		*sac = false;
	}
	return classic_alloc_iova_fast(&dom, len, limit, true);
}

static void scenario_17(void)
{
	const uint64_t aperture_end = (1ull << 48) - 1;	/* in pfns */
	bool sac = true;
	uint64_t pfn;

	fresh(1);
	classic_init_rcaches(&dom);
	pfn = dma_alloc(&sac, 1, aperture_end);
	is_u64(pfn, 0xFFFFF, "s17: first map of a 64-bit device lands at the top of 32-bit space");
	ok(classic_reserve_iova(&dom, 1, 0xFFFFE) != NULL, "s17: (fill the rest of 32-bit space)");
	pfn = dma_alloc(&sac, 1, aperture_end);
	ok(!sac && pfn == aperture_end,
	   "s17: when the 32-bit attempt fails the device moves to the full limit for good");
	pfn = dma_alloc(&sac, 1, aperture_end);
	ok(pfn == aperture_end - 1, "s17: later maps keep using the full limit");
	done();
}

int main(void)
{
	scenarios_1_to_4();
	scenario_5();
	scenario_6();
	scenario_7();
	scenario_8();
	scenario_9();
	scenarios_10_11();
	scenario_12();
	scenario_13();
	scenario_14();
	scenarios_15_16();
	scenario_17();
	return tap_done();
}
