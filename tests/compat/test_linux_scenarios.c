/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * The conformance scenarios of linux-iova-semantics.md section 8, one named
 * test each, through include/iova/linux.h.  Where libiova deliberately
 * differs (docs/linux-compat.md), the test expects libiova's documented
 * result and names mainline's in the TAP line.  Every expected value was
 * derived by hand from those two documents.
 *
 * Common set-up: granule 4 KiB, start_pfn 1 (so dma_32bit_pfn 0x100000).
 */
#include "iova/iova.h"
#include "iova/cache.h"
#include "iova/linux.h"

#include "tap.h"

static unsigned long hook_calls;

static void count_bad_free(struct iova_domain *iovad, unsigned long pfn,
			   const char *what)
{
	(void)iovad;
	(void)pfn;
	(void)what;
	hook_calls++;
}

static void fresh(struct iova_domain *d)
{
	init_iova_domain(d, 4096, 1);
}

static void check_valid(struct iova_domain *d, const char *name)
{
	const char *why = "no native domain";
	struct iova_ndomain *nd = iova_linux_native(d);

	ok(nd && iova_domain_validate(nd, &why) == 0, "%s: domain valid%s%s",
	   name, nd ? "" : " ", nd ? "" : why);
}

/* alloc_iova(size, limit, aligned) must give [lo, hi]. */
static void check_alloc(struct iova_domain *d, unsigned long size,
			unsigned long limit, bool aligned, bool fail,
			unsigned long lo, unsigned long hi, const char *name)
{
	struct iova *a = alloc_iova(d, size, limit, aligned);

	if (fail) {
		ok(!a, "%s", name);
	} else if (!ok(a && a->pfn_lo == lo && a->pfn_hi == hi, "%s", name)) {
		if (a)
			diag("got [%#lx, %#lx]", a->pfn_lo, a->pfn_hi);
		else
			diag("got NULL");
	}
}

#define A(d, s, lim, al, lo, hi, name) check_alloc(d, s, lim, al, false, lo, hi, name)
#define AF(d, s, lim, al, name) check_alloc(d, s, lim, al, true, 0, 0, name)

static void scenarios_1_to_4(void)
{
	struct iova_domain d;

	fresh(&d);
	is_u64(d.dma_32bit_pfn, 0x100000, "setup: dma_32bit_pfn from the granule");
	A(&d, 1, 0xFFFFF, true, 0xFFFFF, 0xFFFFF,
	  "scenario 1: fresh A(1, 0xFFFFF) -> [0xFFFFF] (as mainline)");
	A(&d, 2, 0xFFFFF, true, 0xFFFFC, 0xFFFFD,
	  "scenario 2: A(2, aligned) -> [0xFFFFC, 0xFFFFD], 0xFFFFE left free (as mainline)");
	A(&d, 1, 0xFFFFF, true, 0xFFFFE, 0xFFFFE,
	  "scenario 3: A(1) -> [0xFFFFE], the exact highest fit (mainline: [0xFFFFB], below its cached node)");
	free_iova(&d, 0xFFFFD);	/* the hi pfn of [0xFFFFC, 0xFFFFD] */
	ok(!find_iova(&d, 0xFFFFC) && !find_iova(&d, 0xFFFFD),
	   "scenario 4: free_iova(0xFFFFD), a pfn inside the range, frees all of it (as mainline)");
	A(&d, 1, 0xFFFFF, true, 0xFFFFD, 0xFFFFD,
	  "scenario 4: then A(1) -> [0xFFFFD], the highest free pfn (mainline: [0xFFFFE], its live set is {FFFFB, FFFFE, FFFFF})");
	check_valid(&d, "scenarios 1-4");
	put_iova_domain(&d);
}

static void scenario_5(void)
{
	struct iova_domain d;
	unsigned long pfn;
	struct iova *it;

	fresh(&d);
	A(&d, 3, 0xFFFFF, true, 0xFFFFC, 0xFFFFE,
	  "scenario 5: fresh A(3, aligned) -> [0xFFFFC, 0xFFFFE] (as mainline)");
	put_iova_domain(&d);
	fresh(&d);
	A(&d, 3, 0xFFFFF, false, 0xFFFFD, 0xFFFFF,
	  "scenario 5: fresh A(3, unaligned) -> [0xFFFFD, 0xFFFFF] (as mainline)");
	put_iova_domain(&d);
	fresh(&d);
	A(&d, 5, 0xFFFFF, true, 0xFFFF8, 0xFFFFC,
	  "scenario 5: fresh A(5, aligned) -> [0xFFFF8, 0xFFFFC] (as mainline)");
	put_iova_domain(&d);
	fresh(&d);
	pfn = alloc_iova_fast(&d, 3, 0xFFFFF, true);
	is_u64(pfn, 0xFFFFC, "scenario 5: fresh alloc_iova_fast(3) -> 0xFFFFC (as mainline)");
	it = find_iova(&d, 0xFFFFF);
	ok(it && it->pfn_lo == 0xFFFFC && it->pfn_hi == 0xFFFFF,
	   "scenario 5: its range is [0xFFFFC, 0xFFFFF], size rounded to 4 (as mainline)");
	ok(it && find_iova(&d, 0xFFFFC) == it,
	   "scenario 5: find_iova() returns the same struct for any pfn of the range");
	free_iova_fast(&d, pfn, 3);
	ok(!find_iova(&d, 0xFFFFC), "scenario 5: free_iova_fast(pfn, 3) frees the rounded range");
	check_valid(&d, "scenario 5");
	put_iova_domain(&d);
}

static void scenario_6(void)
{
	struct iova_domain d;
	unsigned long pfn;
	struct iova *it;

	fresh(&d);
	ok(iova_linux_init_rcaches(&d, 1, 0) == 0, "scenario 6: caches set up (one CPU slot)");
	pfn = alloc_iova_fast(&d, 33, 0xFFFFF, true);
	is_u64(pfn, 0xFFFC0, "scenario 6: alloc_iova_fast(33) -> 0xFFFC0, not rounded, aligned to 64 (as mainline)");
	it = find_iova(&d, pfn);
	ok(it && it->pfn_lo == 0xFFFC0 && it->pfn_hi == 0xFFFE0,
	   "scenario 6: its range is [0xFFFC0, 0xFFFE0] (as mainline)");
	A(&d, 1, 0xFFFFF, true, 0xFFFFF, 0xFFFFF,
	  "scenario 6: A(1) -> [0xFFFFF], the 31-pfn hole above is used (mainline: [0xFFFBF])");
	free_iova_fast(&d, 0xFFFC0, 33);
	ok(!find_iova(&d, 0xFFFC0) && !find_iova(&d, 0xFFFE0),
	   "scenario 6: free_iova_fast(0xFFFC0, 33) goes straight to the index (as mainline)");
	check_valid(&d, "scenario 6");
	put_iova_domain(&d);
}

static void scenario_7(void)
{
	struct iova_domain d;

	fresh(&d);
	A(&d, 1, (1UL << 36) - 1, true, 0xFFFFFFFFFUL, 0xFFFFFFFFFUL,
	  "scenario 7: fresh A(1, 2^36-1) -> [0xFFFFFFFFF] (as mainline)");
	A(&d, 4, (1UL << 36) - 1, true, 0xFFFFFFFF8UL, 0xFFFFFFFFBUL,
	  "scenario 7: A(4, 2^36-1, aligned) -> [0xFFFFFFFF8, 0xFFFFFFFFB] (as mainline)");
	A(&d, 1, 0xFFFFF, true, 0xFFFFF, 0xFFFFF,
	  "scenario 7: A(1, 0xFFFFF) -> [0xFFFFF]: 32-bit placement unaffected (as mainline)");
	check_valid(&d, "scenario 7");
	put_iova_domain(&d);
}

static void scenario_8(void)
{
	static const unsigned long ours[9] = { 0xC, 9, 8, 7, 6, 5, 4, 3, 2 };
	struct iova_domain d;
	unsigned int i;
	bool all = true;

	fresh(&d);
	A(&d, 2, 15, true, 0xE, 0xF, "scenario 8: A(2, 15) -> [0xE, 0xF] (as mainline)");
	A(&d, 1, 15, true, 0xD, 0xD, "scenario 8: A(1, 15) -> [0xD] (as mainline)");
	A(&d, 2, 15, true, 0xA, 0xB, "scenario 8: A(2, 15) -> [0xA, 0xB], hole at 0xC (as mainline)");
	AF(&d, 8, 15, true, "scenario 8: A(8, 15) fails (as mainline; nothing is remembered)");
	for (i = 0; i < 9; i++) {
		struct iova *a = alloc_iova(&d, 1, 15, true);

		if (!a || a->pfn_lo != ours[i]) {
			all = false;
			diag("A(1) #%u: got %#lx, want %#lx", i + 1,
			     a ? a->pfn_lo : 0, ours[i]);
		}
	}
	ok(all, "scenario 8: nine A(1) -> 0xC, 9, 8, ..., 2: the hole first (mainline: 9, 8, ..., 1)");
	A(&d, 1, 15, true, 1, 1, "scenario 8: the next A(1) -> [1] (mainline: [0xC], from its second pass)");
	AF(&d, 1, 15, true, "scenario 8: the next A(1) fails, [1, 15] is full (as mainline)");
	check_valid(&d, "scenario 8");
	put_iova_domain(&d);
}

static void scenario_9(void)
{
	struct iova_domain d;

	fresh(&d);
	AF(&d, 8, 7, true, "scenario 9: A(8, 7) fails: the aligned start 0 is below start_pfn (as mainline)");
	A(&d, 4, 7, true, 4, 7, "scenario 9: A(4, 7) -> [4, 7] (as mainline)");
	AF(&d, 4, 7, true, "scenario 9: A(4, 7) fails (as mainline)");
	A(&d, 2, 7, true, 2, 3, "scenario 9: A(2, 7) -> [2, 3] (as mainline)");
	A(&d, 1, 7, true, 1, 1, "scenario 9: A(1, 7) -> [1] (as mainline)");
	check_valid(&d, "scenario 9");
	put_iova_domain(&d);
}

static void scenario_10(void)
{
	struct iova_domain d;

	fresh(&d);
	AF(&d, 1, 0, true, "scenario 10: A(1, 0) fails: limit below start_pfn (as mainline)");
	A(&d, 1, 0xFFFFF, true, 0xFFFFF, 0xFFFFF,
	  "scenario 10: then A(1, 0xFFFFF) -> [0xFFFFF]: no max32 poisoning (mainline: fails)");
	A(&d, 1, 1UL << 40, true, 1UL << 40, 1UL << 40,
	  "scenario 10: A(1, 2^40) -> [0x10000000000] (as mainline)");
	ok(d.max32_alloc_size == d.dma_32bit_pfn,
	   "scenario 10: max32_alloc_size stays dma_32bit_pfn (kept for source compatibility)");
	check_valid(&d, "scenario 10");
	put_iova_domain(&d);
}

static void scenario_11(void)
{
	struct iova_domain d;

	fresh(&d);
	AF(&d, 0x80000, 0x7FFFF, true,
	  "scenario 11: A(0x80000, 0x7FFFF, aligned) fails (as mainline)");
	A(&d, 0x80000, 0xFFFFF, true, 0x80000, 0xFFFFF,
	  "scenario 11: then A(0x80000, 0xFFFFF) -> [0x80000, 0xFFFFF] (mainline: fails, poisoned by the 31-bit failure)");
	put_iova_domain(&d);
	fresh(&d);
	A(&d, 0x80000, 0xFFFFF, true, 0x80000, 0xFFFFF,
	  "scenario 11: on a fresh domain the same request -> [0x80000, 0xFFFFF] (as mainline)");
	put_iova_domain(&d);
}

static void scenario_12(void)
{
	struct iova_domain d;
	struct iova *r;

	fresh(&d);
	r = reserve_iova(&d, 0xFEE00, 0xFEEFF);
	ok(r && r->pfn_lo == 0xFEE00 && r->pfn_hi == 0xFEEFF,
	   "scenario 12: reserve_iova(0xFEE00, 0xFEEFF) -> that range (as mainline)");
	A(&d, 0x1000, 0xFFFFF, true, 0xFF000, 0xFFFFF,
	  "scenario 12: A(0x1000) -> [0xFF000, 0xFFFFF] (as mainline)");
	A(&d, 0x200, 0xFFFFF, true, 0xFEC00, 0xFEDFF,
	  "scenario 12: A(0x200) -> [0xFEC00, 0xFEDFF] (as mainline)");
	A(&d, 0x100, 0xFFFFF, true, 0xFEF00, 0xFEFFF,
	  "scenario 12: A(0x100) -> [0xFEF00, 0xFEFFF], the free run above the window (mainline: [0xFEB00], skips it)");
	A(&d, 0x100, 0xFFFFF, true, 0xFEB00, 0xFEBFF,
	  "scenario 12: A(0x100) -> [0xFEB00, 0xFEBFF] (mainline: [0xFEA00])");
	ok(find_iova(&d, 0xFEE80) == r, "scenario 12: find_iova() in the window -> the reservation");
	check_valid(&d, "scenario 12");
	put_iova_domain(&d);
}

static bool is_range(const struct iova *it, unsigned long lo, unsigned long hi)
{
	return it && it->pfn_lo == lo && it->pfn_hi == hi;
}

static void scenario_13(void)
{
	struct iova_domain d;
	struct iova *n1, *n2, *r;

	fresh(&d);
	n1 = reserve_iova(&d, 0x100, 0x1FF);
	ok(is_range(n1, 0x100, 0x1FF), "scenario 13: set-up {[0x100, 0x1FF]} by reserve_iova");
	r = reserve_iova(&d, 0x150, 0x250);
	ok(r == n1 && is_range(r, 0x100, 0x250),
	   "scenario 13: reserve(0x150, 0x250) -> the existing struct, merged to [0x100, 0x250] (mainline: new node [0x200, 0x250])");
	r = reserve_iova(&d, 0x80, 0x120);
	ok(r == n1 && is_range(r, 0x80, 0x250),
	   "scenario 13: reserve(0x80, 0x120) -> the existing struct widened to [0x80, 0x250] (mainline: [0x80, 0x1FF])");
	r = reserve_iova(&d, 0x180, 0x1C0);
	ok(r == n1 && is_range(r, 0x80, 0x250),
	   "scenario 13: reserve(0x180, 0x1C0) -> the same struct, unchanged (as mainline)");
	r = reserve_iova(&d, 0x50, 0x300);
	ok(r == n1 && is_range(r, 0x50, 0x300),
	   "scenario 13: reserve(0x50, 0x300) -> one range [0x50, 0x300] (mainline: [0x50, 0x1FF] plus a new [0x251, 0x300])");
	ok(find_iova(&d, 0x2F0) == n1, "scenario 13: find_iova() anywhere in it -> that struct");
	put_iova_domain(&d);

	fresh(&d);
	n1 = reserve_iova(&d, 0x100, 0x1FF);
	n2 = reserve_iova(&d, 0x300, 0x3FF);
	ok(is_range(n1, 0x100, 0x1FF) && is_range(n2, 0x300, 0x3FF) && n1 != n2,
	   "scenario 13: set-up {[0x100, 0x1FF], [0x300, 0x3FF]}");
	r = reserve_iova(&d, 0x180, 0x380);
	ok(r == n1 && is_range(r, 0x100, 0x3FF),
	   "scenario 13: reserve(0x180, 0x380) -> the lower struct, merged to [0x100, 0x3FF] (mainline: the second node widened to [0x200, 0x3FF])");
	ok(is_range(n2, 0x300, 0x3FF) && find_iova(&d, 0x350) == n1,
	   "scenario 13: the absorbed struct stays readable; find_iova() returns the merged one");
	ok(!reserve_iova(&d, 0x10, 1UL << 52),
	   "scenario 13: reserve(x, 2^52) at shift 12 -> NULL (as mainline, without the WARN)");
	r = reserve_iova(&d, 0x400, 0x410);
	ok(r == n1 && is_range(r, 0x100, 0x410),
	   "scenario 13: an adjacent reservation merges too (mainline: a separate node)");
	check_valid(&d, "scenario 13");
	put_iova_domain(&d);
}

static void scenario_14(void)
{
	struct iova_domain d;
	struct iova *a;
	unsigned long before;

	fresh(&d);
	A(&d, 1, 0xFFFFF, true, 0xFFFFF, 0xFFFFF, "scenario 14: set-up A(1)");
	a = alloc_iova(&d, 2, 0xFFFFF, true);
	ok(is_range(a, 0xFFFFC, 0xFFFFD), "scenario 14: set-up [0xFFFFC, 0xFFFFD]");
	ok(find_iova(&d, 0xFFFFD) == a, "scenario 14: find_iova(0xFFFFD) -> that node (as mainline)");
	ok(!find_iova(&d, 0xFFFFE), "scenario 14: find_iova(free pfn) -> NULL (as mainline)");
	before = iova_linux_bad_frees(&d);
	hook_calls = 0;
	free_iova(&d, 0xFFFFE);
	ok(find_iova(&d, 0xFFFFD) == a && find_iova(&d, 0xFFFFF) && !find_iova(&d, 0xFFFFE),
	   "scenario 14: free_iova(free pfn) changes nothing (as mainline)");
	ok(iova_linux_bad_frees(&d) == before + 1 && hook_calls == 1,
	   "scenario 14: ... and is counted and reported (mainline: silent)");
	check_valid(&d, "scenario 14");
	put_iova_domain(&d);
}

static void scenario_15(void)
{
	struct iova_domain d;

	fresh(&d);
	ok(iova_linux_init_rcaches(&d, 1, 0) == 0, "scenario 15: caches set up (one CPU slot)");
	is_u64(alloc_iova_fast(&d, 1, 0xFFFFF, true), 0xFFFFF, "scenario 15: fast(1) -> 0xFFFFF (as mainline)");
	is_u64(alloc_iova_fast(&d, 1, 0xFFFFF, true), 0xFFFFE, "scenario 15: fast(1) -> 0xFFFFE (as mainline)");
	is_u64(alloc_iova_fast(&d, 1, 0xFFFFF, true), 0xFFFFD, "scenario 15: fast(1) -> 0xFFFFD (as mainline)");
	free_iova_fast(&d, 0xFFFFE, 1);
	free_iova_fast(&d, 0xFFFFD, 1);
	ok(find_iova(&d, 0xFFFFD) && find_iova(&d, 0xFFFFE),
	   "scenario 15: cached ranges stay allocated in the index (as mainline)");
	is_u64(alloc_iova_fast(&d, 1, 0xFFFFF, true), 0xFFFFD, "scenario 15: fast(1) -> 0xFFFFD, LIFO (as mainline)");
	is_u64(alloc_iova_fast(&d, 1, 0xFFFFF, true), 0xFFFFE, "scenario 15: fast(1) -> 0xFFFFE (as mainline)");
	/* Magazine [0x80000, 0xFFFFD], top last. */
	is_u64(alloc_iova_fast(&d, 1, 0x80000, true), 0x80000, "scenario 15: set-up fast(1, 0x80000) -> 0x80000");
	free_iova_fast(&d, 0x80000, 1);
	free_iova_fast(&d, 0xFFFFD, 1);
	is_u64(alloc_iova_fast(&d, 1, 0x8FFFF, true), 0x80000,
	       "scenario 15: with magazine [0x80000, 0xFFFFD], fast(1, 0x8FFFF) -> 0x80000 (as mainline)");
	is_u64(alloc_iova_fast(&d, 1, 0xFFFFF, true), 0xFFFFD,
	       "scenario 15: ... and 0xFFFFD stayed in the magazine (as mainline)");
	check_valid(&d, "scenario 15");
	put_iova_domain(&d);
}

static void scenario_16(void)
{
	enum { N = 400 };
	static unsigned long pfns[N];
	struct iova_cache_stats cs = { 0 };
	struct iova_stats st = { 0 };
	struct iova_domain d;
	struct iova_ndomain *nd;
	unsigned int i;
	bool all = true;

	fresh(&d);
	ok(iova_linux_init_rcaches(&d, 1, 0) == 0, "scenario 16: caches set up (one CPU slot, depot_max 1)");
	nd = iova_linux_native(&d);
	for (i = 0; i < N; i++) {
		pfns[i] = alloc_iova_fast(&d, 1, 0xFFFFF, true);
		all &= pfns[i] == 0xFFFFF - i;
	}
	ok(all, "scenario 16: set-up: 400 order-0 ranges");
	for (i = 0; i < 128; i++)
		free_iova_fast(&d, pfns[i], 1);
	iova_cache_get_stats(nd, 0, &cs);
	ok(cs.cached_ranges == 128 && cs.depot_mags == 0,
	   "scenario 16: the 128th free goes into the swapped-in prev magazine, depot empty (as mainline)");
	for (; i < 255; i++)
		free_iova_fast(&d, pfns[i], 1);
	iova_cache_get_stats(nd, 0, &cs);
	ok(cs.cached_ranges == 255 && cs.depot_mags == 1 && cs.depot_pushes == 1,
	   "scenario 16: the 255th free moves a full magazine (127) to the depot (as mainline)");
	for (; i < 382; i++)
		free_iova_fast(&d, pfns[i], 1);
	iova_cache_get_stats(nd, 0, &cs);
	iova_get_stats(nd, &st);
	ok(cs.depot_mags == 1 && cs.trims == 1 && cs.cached_ranges == 255 &&
	   st.live_ranges == N - 127,
	   "scenario 16: the 382nd free would exceed depot_max: 127 ranges go back to the index at once "
	   "(mainline: a 2nd depot magazine, trimmed by the worker ~100 ms later)");
	check_valid(&d, "scenario 16");
	put_iova_domain(&d);
}

/*
 * Scenario 17 is dma-iommu, not iova.c: model its iommu_dma_alloc_iova()
 * (32-bit first for a PCI device while its sticky flag is set) on top of
 * the compat API, and check what the allocator gives it.
 */
struct model_dev {
	uint64_t dma_mask;
	bool pci_32bit_workaround;
};

static dma_addr_t model_dma_alloc(struct iova_domain *d, struct model_dev *dev,
				  size_t bytes, uint64_t aperture_end)
{
	unsigned long shift = iova_shift(d), len, pfn;
	uint64_t limit = dev->dma_mask < aperture_end ? dev->dma_mask : aperture_end;

	len = (unsigned long)(iova_align(d, bytes) >> shift);
	if (limit > 0xFFFFFFFFu && dev->pci_32bit_workaround) {
		pfn = alloc_iova_fast(d, len, 0xFFFFFFFFul >> shift, false);
		if (pfn)
			return (dma_addr_t)pfn << shift;
		dev->pci_32bit_workaround = false;	/* for good */
	}
	pfn = alloc_iova_fast(d, len, (unsigned long)(limit >> shift), true);
	return (dma_addr_t)pfn << shift;
}

static void scenario_17(void)
{
	const uint64_t ap_end = (UINT64_C(1) << 48) - 1;
	struct model_dev pci = { UINT64_MAX, true }, dev32 = { 0xFFFFFFFFu, false };
	struct iova_domain d;

	fresh(&d);
	ok(iova_linux_init_rcaches(&d, 1, 0) == 0, "scenario 17: caches set up");
	is_u64(model_dma_alloc(&d, &pci, 4096, ap_end), 0xFFFFF000u,
	       "scenario 17 (dma-iommu model): first map of a 64-bit PCI device -> top of the 32-bit space (as mainline)");
	ok(reserve_iova(&d, 1, 0xFFFFE) != NULL, "scenario 17: set-up: the rest of the 32-bit space reserved");
	is_u64(model_dma_alloc(&d, &pci, 4096, ap_end), ap_end + 1 - 4096,
	       "scenario 17: the 32-bit attempt fails -> just below min(mask, aperture_end) + 1 (as mainline)");
	ok(!pci.pci_32bit_workaround, "scenario 17: the device's flag is cleared");
	free_iova(&d, 0xFFFFF);
	is_u64(model_dma_alloc(&d, &pci, 8192, ap_end), ap_end + 1 - 4 * 4096,
	       "scenario 17: later maps use the full limit although 32-bit space is free again (as mainline)");
	is_u64(model_dma_alloc(&d, &dev32, 4096, ap_end), 0xFFFFF000u,
	       "scenario 17: a 32-bit device gets the freed 32-bit pfn");
	check_valid(&d, "scenario 17");
	put_iova_domain(&d);
}

int main(void)
{
	iova_linux_set_bad_free_hook(count_bad_free);
	scenarios_1_to_4();
	scenario_5();
	scenario_6();
	scenario_7();
	scenario_8();
	scenario_9();
	scenario_10();
	scenario_11();
	scenario_12();
	scenario_13();
	scenario_14();
	if (true) {
		scenario_15();
		scenario_16();
	} else {
		ok(1, "# SKIP scenario 15: per-CPU caches not built");
		ok(1, "# SKIP scenario 16: per-CPU caches not built");
	}
	scenario_17();
	return tap_done();
}
