/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Edge cases of the native API with hand-computed expectations: the ends
 * of the pfn space, whole-domain sizes, clamping, invalid arguments (which
 * must change nothing), reservations, exact aligned fits, memory hooks and
 * injected memory failures.
 */
#include <stdlib.h>
#include <string.h>

#include "domain/domain.h"
#include "tap.h"

#define TOP IOVA_TOP_DOWN
#define BOT IOVA_BOTTOM_UP
#define EXACT IOVA_EXACT

static struct iova_ndomain *mk(uint64_t granule, uint64_t start, uint64_t end)
{
	struct iova_domain_config cfg = { .granule = granule,
					  .start_pfn = start, .end_pfn = end };
	struct iova_ndomain *d = NULL;

	if (iova_domain_create(&cfg, &d))
		abort();
	return d;
}

static uint64_t A(struct iova_ndomain *d, uint64_t size, uint64_t align,
		  uint64_t min, uint64_t max, enum iova_policy p)
{
	uint64_t pfn;
	int r = iova_alloc(d, size, align, min, max, p, &pfn);

	return r ? (uint64_t)(int64_t)r : pfn;	/* errors show as -errno */
}

#define ERR(e) ((uint64_t)(int64_t)(e))

static void valid(struct iova_ndomain *d, const char *what)
{
	const char *why = NULL;

	ok(iova_domain_validate(d, &why) == 0, "%s: valid%s%s", what,
	   why ? ": " : "", why ? why : "");
}

static void ends_of_space(void)
{
	struct iova_ndomain *d = mk(1, 0, UINT64_MAX);
	struct iova_range r;

	is_u64(A(d, 1, 1, 0, UINT64_MAX, TOP), UINT64_MAX, "top-down takes pfn ULONG_MAX");
	is_u64(A(d, 1, 1, 0, UINT64_MAX, BOT), 0, "bottom-up takes pfn 0");
	is_u64(A(d, 2, 2, 0, UINT64_MAX, TOP), UINT64_MAX - 3,
	       "aligned pair below the top: 0x..FC");
	is_u64(A(d, 2, 1, UINT64_MAX - 1, UINT64_MAX, EXACT), ERR(-ENOMEM),
	       "exact over a live pfn fails");
	is_u64(A(d, 2, 1, UINT64_MAX, UINT64_MAX, EXACT), ERR(-EINVAL),
	       "exact range wrapping past ULONG_MAX is invalid");
	is_u64(A(d, 1, 1, UINT64_MAX - 1, UINT64_MAX, EXACT), UINT64_MAX - 1,
	       "exact at ULONG_MAX - 1");
	ok(iova_find(d, UINT64_MAX, &r) == 0 && r.lo == UINT64_MAX, "find ULONG_MAX");
	is_int(iova_free(d, UINT64_MAX), 0, "free ULONG_MAX");
	is_int(iova_free(d, UINT64_MAX), -ENOENT, "double free caught");
	is_u64(iova_largest_gap(d, 0, UINT64_MAX), UINT64_MAX - 4,
	       "largest gap is [1, 2^64 - 5]");
	valid(d, "ends of space");
	iova_domain_destroy(d);

	/* A reservation of the whole 64-bit space, then nothing fits. */
	d = mk(1, 0, UINT64_MAX);
	is_int(iova_reserve(d, 0, UINT64_MAX), 0, "reserve all 2^64 pfns");
	is_u64(A(d, 1, 1, 0, UINT64_MAX, TOP), ERR(-ENOMEM), "then nothing fits");
	is_u64(iova_largest_gap(d, 0, UINT64_MAX), 0, "no gap");
	valid(d, "whole-space reservation");
	iova_domain_destroy(d);
	d = mk(1, 0, UINT64_MAX);
	is_u64(iova_largest_gap(d, 0, UINT64_MAX), UINT64_MAX,
	       "an empty 2^64 space saturates to ULONG_MAX");
	is_u64(A(d, UINT64_MAX, 1, 0, UINT64_MAX, TOP), 1,
	       "size ULONG_MAX top-down starts at 1");
	iova_domain_destroy(d);
}

static void whole_domain_and_bounds(void)
{
	struct iova_ndomain *d = mk(4096, 1, 0xFFFFF);

	is_u64(A(d, 0xFFFFF, 1, 0, UINT64_MAX, TOP), 1, "size equal to the domain");
	is_u64(A(d, 1, 1, 0, UINT64_MAX, TOP), ERR(-ENOMEM), "then full");
	is_int(iova_free(d, 1), 0, "free it");
	is_u64(A(d, 0x100000, 1, 0, UINT64_MAX, TOP), ERR(-ENOMEM),
	       "one more than the domain fails");
	is_u64(A(d, 1, 1, 0, 0, TOP), ERR(-ENOMEM), "bounds below start_pfn");
	is_u64(A(d, 1, 1, 0x100000, UINT64_MAX, TOP), ERR(-ENOMEM),
	       "bounds above end_pfn");
	is_u64(A(d, 4, 4, 0, UINT64_MAX, TOP), 0xFFFFC, "64-bit mask clamps to the domain");
	is_u64(A(d, 1, 1, 0, UINT64_MAX, BOT), 1, "bottom-up starts at start_pfn");
	is_u64(A(d, 4, 4, 0, UINT64_MAX, BOT), 4, "bottom-up aligned");
	is_u64(A(d, 1, 1, 0, 0x7FFFF, TOP), 0x7FFFF, "31-bit limit, after 32-bit ones");
	valid(d, "bounds");
	iova_domain_destroy(d);
}

/* Invalid arguments give -EINVAL and change nothing. */
static void invalid_args(void)
{
	struct iova_ndomain *d = mk(4096, 1, 0xFFFFF), *bad = NULL;
	struct iova_domain_config cfg = { 0 };
	struct iova_stats before, after;
	struct iova_range r;
	uint64_t pfn = 77;

	A(d, 8, 8, 0, UINT64_MAX, TOP);
	iova_reserve(d, 0x100, 0x1FF);
	iova_get_stats(d, &before);
	is_int(iova_alloc(d, 0, 1, 0, UINT64_MAX, TOP, &pfn), -EINVAL, "size 0");
	is_int(iova_alloc(d, 1, 0, 0, UINT64_MAX, TOP, &pfn), -EINVAL, "align 0");
	is_int(iova_alloc(d, 1, 6, 0, UINT64_MAX, TOP, &pfn), -EINVAL, "align 6");
	is_int(iova_alloc(d, 1, 1, 5, 4, TOP, &pfn), -EINVAL, "min > max");
	is_int(iova_alloc(d, 1, 1, 0, 4, (enum iova_policy)3, &pfn), -EINVAL, "policy 3");
	is_int(iova_alloc(d, 1, 1, 0, 4, TOP, NULL), -EINVAL, "NULL output");
	is_int(iova_alloc(d, 2, 2, 3, 100, EXACT, &pfn), -EINVAL, "exact misaligned");
	is_int(iova_alloc(d, 3, 1, UINT64_MAX - 1, UINT64_MAX, EXACT, &pfn), -EINVAL,
	       "exact overflow");
	is_int(iova_alloc_udata(d, 1, 1, 0, 9, TOP, &pfn, &pfn), -EOPNOTSUPP,
	       "udata without IOVA_DOMAIN_UDATA");
	is_int(iova_reserve(d, 9, 8), -EINVAL, "reserve lo > hi");
	is_int(iova_find(d, 1, NULL), -EINVAL, "find NULL output");
	is_int(iova_find_next(d, 1, NULL), -EINVAL, "find_next NULL output");
	is_int(iova_set_udata(d, 0x100, NULL), -EOPNOTSUPP, "set_udata without the flag");
	is_int(iova_get_stats(d, NULL), -EINVAL, "stats NULL");
	is_int(iova_for_each(d, NULL, NULL), -EINVAL, "for_each NULL fn");
	is_int(iova_free(NULL, 1), -EINVAL, "free NULL domain");
	is_int(iova_alloc(NULL, 1, 1, 0, 1, TOP, &pfn), -EINVAL, "alloc NULL domain");
	is_int(iova_reserve(NULL, 1, 1), -EINVAL, "reserve NULL domain");
	is_int(iova_find(NULL, 1, &r), -EINVAL, "find NULL domain");
	is_int(iova_domain_validate(NULL, NULL), -EINVAL, "validate NULL");
	is_u64(iova_largest_gap(d, 9, 8), 0, "largest_gap min > max is 0");
	is_u64(pfn, 77, "no output written on errors");
	iova_get_stats(d, &after);
	ok(after.live_ranges == before.live_ranges &&
		   after.live_pages == before.live_pages &&
		   after.reserved_pages == before.reserved_pages &&
		   after.free_gaps == before.free_gaps,
	   "invalid calls changed nothing");
	/* Domain creation. */
	cfg.granule = 3000;
	is_int(iova_domain_create(&cfg, &bad), -EINVAL, "granule not a power of two");
	cfg.granule = 4096;
	cfg.start_pfn = 10;
	cfg.end_pfn = 9;
	is_int(iova_domain_create(&cfg, &bad), -EINVAL, "start > end");
	cfg.end_pfn = 0;
	cfg.flags = 0x80;
	is_int(iova_domain_create(&cfg, &bad), -EINVAL, "unknown flag");
	is_int(iova_domain_create(NULL, NULL), -EINVAL, "NULL out");
	ok(bad == NULL, "no domain returned on errors");
	iova_domain_destroy(NULL);
	iova_domain_destroy(d);
}

static void frees_and_reserves(void)
{
	struct iova_ndomain *d = mk(4096, 1, 0xFFFFF);
	struct iova_range r;
	uint64_t p;

	p = A(d, 8, 1, 0, UINT64_MAX, TOP);
	is_u64(p, 0xFFFF8, "8 pages at the top");
	is_int(iova_free(d, p + 1), -ENOENT, "free of a middle pfn is refused (native)");
	is_int(iova_free(d, 0x5000), -ENOENT, "free of free space");
	ok(iova_find(d, p + 3, &r) == 0 && r.lo == p && r.hi == p + 7 &&
		   r.flags == 0, "find by a middle pfn");
	is_int(iova_reserve(d, 0xFFFF0, 0xFFFFA), -EBUSY, "reserve over a live range");
	is_int(iova_reserve(d, 0xFFFF0, 0xFFFF7), 0, "reserve adjacent to a live range");
	ok(iova_find(d, 0xFFFF7, &r) == 0 && r.lo == 0xFFFF0 && r.hi == 0xFFFF7 &&
		   (r.flags & IOVA_RANGE_RESERVED), "adjacent live range not merged");
	is_int(iova_reserve(d, 0xFFFE0, 0xFFFEF), 0, "touching reservation");
	ok(iova_find(d, 0xFFFE0, &r) == 0 && r.lo == 0xFFFE0 && r.hi == 0xFFFF7,
	   "touching reservations merge to [0xFFFE0, 0xFFFF7]");
	is_int(iova_reserve(d, 0xFFF00, 0xFFFE4), 0, "overlapping reservation");
	ok(iova_find(d, 0xFFF00, &r) == 0 && r.lo == 0xFFF00 && r.hi == 0xFFFF7,
	   "overlaps merge to [0xFFF00, 0xFFFF7]");
	is_int(iova_free(d, 0xFFF00), -ENOENT, "a reservation cannot be freed");
	is_int(iova_reserve(d, 0x200000, 0x300000), 0, "reserve outside: ignored");
	is_int(iova_reserve(d, 0xFFFFF, UINT64_MAX), -EBUSY, "clipped, still overlaps");
	is_u64(A(d, 1, 1, 0, UINT64_MAX, TOP), 0xFFEFF, "allocation skips reservations");
	is_int(iova_free(d, p), 0, "free");
	is_int(iova_free(d, p), -ENOENT, "double free");
	valid(d, "frees and reserves");
	iova_domain_destroy(d);
}

/* Exactly aligned fits are found even where max-gap pruning would lie. */
static void exact_alignment(void)
{
	struct iova_ndomain *d = mk(4096, 0, 1023);
	uint64_t i;

	/* Free pfns: only 512 (aligned to 512) and 1..3 runs elsewhere. */
	iova_reserve(d, 0, 511);
	iova_reserve(d, 513, 1023);
	is_u64(A(d, 1, 512, 0, UINT64_MAX, TOP), 512, "over-aligned size 1 at 512");
	iova_domain_destroy(d);

	/* Many 7-page holes, each starting at 8k + 1: size 4 aligned 4 fits
	 * at 8k + 4 only; the highest is in the top hole. */
	d = mk(4096, 0, 8 * 4096 - 1);
	for (i = 0; i < 4096; i++)
		iova_reserve(d, 8 * i, 8 * i);
	is_u64(A(d, 4, 4, 0, UINT64_MAX, TOP), 8 * 4095 + 4, "size-aligned in a 7-page hole");
	is_u64(A(d, 8, 8, 0, UINT64_MAX, TOP), ERR(-ENOMEM), "no aligned 8 exists");
	is_u64(A(d, 7, 1, 0, UINT64_MAX, TOP), 8 * 4094 + 1, "unaligned 7 fits exactly");
	is_u64(A(d, 4, 4, 0, 8 * 100 + 2, TOP), 8 * 99 + 4,
	       "size-aligned under a limit inside a hole");
	is_u64(A(d, 3, 4, 0, UINT64_MAX, BOT), 4, "bottom-up over-aligned");
	valid(d, "alignment");
	iova_domain_destroy(d);
}

static void udata_and_iteration(void)
{
	struct iova_domain_config cfg = { .start_pfn = 0, .end_pfn = 999,
					  .flags = IOVA_DOMAIN_UDATA };
	struct iova_ndomain *d;
	struct iova_range r;
	uint64_t p;
	int x = 5, y = 6;

	iova_domain_create(&cfg, &d);
	is_int(iova_alloc_udata(d, 10, 1, 0, 999, TOP, &x, &p), 0, "alloc with udata");
	ok(iova_find(d, p + 5, &r) == 0 && r.udata == &x, "udata found");
	is_int(iova_set_udata(d, p, &y), 0, "set udata");
	ok(iova_find(d, p, &r) == 0 && r.udata == &y, "udata replaced");
	is_int(iova_set_udata(d, 3, &y), -ENOENT, "set udata on free space");
	ok(iova_find_next(d, 0, &r) == 0 && r.lo == 990, "find_next from 0");
	is_int(iova_find_next(d, 1000, &r), -ENOENT, "find_next past the last");
	iova_domain_destroy(d);
}

/* A counting allocator: all memory goes back at destroy. */
static long live_blocks;

static void *cnt_alloc(size_t size, void *ctx)
{
	(void)ctx;
	live_blocks++;
	return malloc(size);
}

static void cnt_free(void *p, size_t size, void *ctx)
{
	(void)ctx;
	(void)size;
	live_blocks--;
	free(p);
}

static void hooks_and_failures(void)
{
	static const struct iova_mem_hooks hooks = { cnt_alloc, cnt_free, NULL };
	struct iova_domain_config cfg = { .start_pfn = 1, .end_pfn = 0xFFFFF,
					  .mem = &hooks };
	struct iova_ndomain *d;
	struct iova_stats st;
	uint64_t p, i, n;
	int r, failures = 0;

	is_int(iova_domain_create(&cfg, &d), 0, "create with hooks");
	for (i = 0; i < 3000; i++)
		A(d, 1, 1, 0, UINT64_MAX, TOP);
	ok(live_blocks > 3, "hooks used (%ld blocks)", live_blocks);
	/* Fail each of the next allocations in turn: the failing call
	 * returns -ENOMEM, changes nothing, and the next call succeeds. */
	for (n = 1; n <= 8; n++) {
		uint64_t before;

		iova_get_stats(d, &st);
		before = st.live_ranges;
		iova__fault_inject(n);
		for (i = 0; i < 5000; i++) {
			r = iova_alloc(d, 1, 1, 0, 0xFFFFF, TOP, &p);
			if (r) {
				failures++;
				iova_get_stats(d, &st);
				ok(r == -ENOMEM && st.live_ranges == before + i,
				   "injected failure %llu: -ENOMEM, nothing changed",
				   (unsigned long long)n);
				ok(iova_alloc(d, 1, 1, 0, 0xFFFFF, TOP, &p) == 0,
				   "the next 32-bit allocation succeeds");
				break;
			}
		}
		iova__fault_inject(0);
	}
	ok(failures > 0, "the fault injection reached the allocator (%d)", failures);
	valid(d, "after injected failures");
	iova_get_stats(d, &st);
	ok(st.alloc_fail_nomem == (uint64_t)failures && st.alloc_fail_nospace == 0,
	   "failures counted as nomem, never as no space");
	iova_domain_destroy(d);
	is_int(live_blocks, 0, "destroy with live ranges frees every block");
	iova__fault_inject(1);
	is_int(iova_domain_create(&cfg, &d), -ENOMEM, "create under memory failure");
	iova__fault_inject(0);
	is_int(live_blocks, 0, "nothing leaked by the failed create");
}

int main(void)
{
	ends_of_space();
	whole_domain_and_bounds();
	invalid_args();
	frees_and_reserves();
	exact_alignment();
	udata_and_iteration();
	hooks_and_failures();
	return tap_done();
}
