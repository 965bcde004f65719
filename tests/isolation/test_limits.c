/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Issue 15, finding 7: the edges.
 *
 * a) iova_domain_create() with end_pfn above UINT64_MAX >> log2(granule)
 *    (byte addresses would wrap to 0) is -EINVAL and writes nothing, for
 *    every granule 2^0..2^63; the largest legal end_pfn and the default
 *    (0) are accepted and reported back.
 * b) The iova_find_next() cursor idiom of include/iova/iova.h terminates
 *    and visits every range once, including a range that ends at the
 *    domain's last pfn UINT64_MAX (granule 1).  The loop is bounded: a
 *    wrap that restarts the walk is a failure, not a hang.
 * c) A memory failure inside iova_alloc_fast(..., flush_retry = true) (a
 *    failing memory hook; the Linux alloc_iova_fast(..., true) with a
 *    failing malloc) is -ENOMEM (0) and does not flush the caches: the
 *    cached ranges are still there afterwards and are handed out again.
 */
#include "iova/iova.h"
#include "iova/cache.h"
#include "iova/linux.h"

#include "tap.h"
#include "isolation/iso.h"
#include "isolation/iso_wrap.h"

/* --- a) end_pfn above the byte-address space --------------------------- */

static void create_limits(void)
{
	unsigned int k;
	unsigned long bad = 0, good = 0;

	for (k = 0; k < 64; k++) {
		uint64_t top = UINT64_MAX >> k;
		struct iova_domain_config cfg = { .granule = UINT64_C(1) << k };
		struct iova_ndomain *d = (struct iova_ndomain *)&cfg;
		int r;

		cfg.end_pfn = top;
		r = iova_domain_create(&cfg, &d);
		if (r || iova_domain_end_pfn(d) != top) {
			if (!good++)
				diag("granule 2^%u, end_pfn %#" PRIx64 ": %d", k,
				     top, r);
		}
		if (!r)
			iova_domain_destroy(d);
		cfg.end_pfn = 0;
		d = NULL;
		r = iova_domain_create(&cfg, &d);
		if (r || iova_domain_end_pfn(d) != top) {
			if (!good++)
				diag("granule 2^%u, end_pfn 0: %d", k, r);
		}
		if (!r)
			iova_domain_destroy(d);
		if (k == 0)
			continue;
		{
			const uint64_t over[] = { top + 1, top + 2, UINT64_MAX,
						  (top << 1) | 1 };
			size_t i;

			for (i = 0; i < 4; i++) {
				d = (struct iova_ndomain *)&cfg;
				cfg.end_pfn = over[i];
				cfg.start_pfn = i == 3 ? top : 0;
				r = iova_domain_create(&cfg, &d);
				if (r != -EINVAL ||
				    d != (struct iova_ndomain *)&cfg) {
					if (!bad++)
						diag("granule 2^%u, end_pfn %#"
						     PRIx64 ": %d", k, over[i], r);
					if (!r)
						iova_domain_destroy(d);
				}
			}
			cfg.start_pfn = 0;
		}
	}
	is_int(good, 0, "the largest legal end_pfn and the default are "
	       "accepted for every granule 2^0..2^63");
	is_int(bad, 0, "end_pfn above UINT64_MAX >> log2(granule) is -EINVAL "
	       "and writes nothing, for every granule 2^1..2^63");
}

/* --- b) the find_next idiom -------------------------------------------- */

#define WALK_LIMIT 64

/*
 * The idiom as include/iova/iova.h documents it at 9fb3a9f: "a cursor for
 * iteration: continue from out->hi + 1".  If the fix documents another
 * idiom (a stop condition, a new call), this function is the one place to
 * change.  Returns the number of ranges visited, or -1 if the walk did not
 * end within WALK_LIMIT steps.
 */
static int walk_documented(struct iova_ndomain *d, uint64_t *los, int max)
{
	struct iova_range r;
	int n = 0, e;

	/* The idiom of include/iova/iova.h (iova_find_after). */
	for (e = iova_find_next(d, 0, &r); !e; e = iova_find_after(d, &r, &r)) {
		if (n == WALK_LIMIT)
			return -1;
		if (n < max)
			los[n] = r.lo;
		n++;
	}
	return n;
}

static void walk_case(uint64_t granule, uint64_t start, uint64_t end,
		      const char *name)
{
	struct iova_domain_config cfg = { .granule = granule, .start_pfn = start,
					  .end_pfn = end };
	struct iova_ndomain *d;
	uint64_t top, los[WALK_LIMIT], want[8], p;
	int n, nw = 0, i, dup = 0;

	if (iova_domain_create(&cfg, &d)) {
		ok(0, "%s: create", name);
		return;
	}
	top = iova_domain_end_pfn(d);
	/* Ranges at the start, in the middle, and one ending at the top. */
	if (!iova_reserve(d, start, start + 3))
		want[nw++] = start;
	if (!iova_alloc(d, 16, 1, start + 100, start + 200, IOVA_BOTTOM_UP, &p))
		want[nw++] = p;
	if (!iova_alloc(d, 10, 1, top - 9, top, IOVA_EXACT, &p))
		want[nw++] = p;
	n = walk_documented(d, los, WALK_LIMIT);
	if (!ok(n == nw, "%s: the documented find_next walk ends and visits %d "
		"ranges (the last one ends at %#" PRIx64 ")", name, nw, top))
		diag("visited %d (-1: still going after %d steps)", n, WALK_LIMIT);
	for (i = 0; n > 0 && i < n && i < nw; i++)
		dup += los[i] != want[i];
	ok(n != nw || dup == 0, "%s: each range once, in order", name);
	iova_domain_destroy(d);
}

static void walks(void)
{
	walk_case(1, 0, 0, "granule 1, [0, UINT64_MAX]");
	walk_case(1, 0x1000, UINT64_MAX, "granule 1, [0x1000, UINT64_MAX]");
	walk_case(1, 0, UINT64_MAX - 1, "granule 1, [0, UINT64_MAX - 1]");
	walk_case(4096, 1, 0, "granule 4096, default end");
}

/* --- c) a memory failure under flush_retry ------------------------------ */

#define NCACHED 20
#define END 0xFFFFFu

static void native_nomem_no_flush(void)
{
	struct mem_ctl mc;
	struct iova_mem_hooks h;
	struct iova_domain_config cfg = { .granule = 4096, .start_pfn = 1,
					  .end_pfn = END, .mem = &h };
	struct iova_cache_config cc = { .nr_cpus = 1 };
	struct iova_cache_stats before, after;
	struct iova_ndomain *d;
	uint64_t cached[NCACHED], p, got;
	int i, r = 0, tries, hits;
	bool fired = false;

	mem_ctl_hooks(&mc, &h);
	if (iova_domain_create(&cfg, &d) || iova_domain_init_caches(d, &cc)) {
		ok(0, "set-up");
		return;
	}
	for (i = 0; i < NCACHED; i++)
		iova_alloc_fast(d, 1, END, false, &cached[i]);
	for (i = 0; i < NCACHED; i++)
		iova_free_fast(d, cached[i], 1);
	iova_cache_get_stats(d, 0, &before);
	is_u64(before.cached_ranges, NCACHED, "native: %d ranges cached",
	       NCACHED);
	/* Uncached-order allocations until one of them needs memory. */
	for (tries = 0; tries < 4000 && !fired; tries++) {
		mc.fail_at = mc.calls + 1;
		mc.failed = false;
		r = iova_alloc_fast(d, 128, END, true, &p);
		fired = mc.failed;
		mc.fail_at = 0;
	}
	if (!ok(fired, "native: a memory failure was injected (after %d "
		"allocations)", tries))
		goto out;
	is_int(r, -ENOMEM, "native: iova_alloc_fast(flush_retry) with a memory "
	       "failure: -ENOMEM");
	iova_cache_get_stats(d, 0, &after);
	is_u64(after.cached_ranges, NCACHED, "native: the caches still hold "
	       "their ranges (no flush on a memory failure)");
	is_u64(after.flushes, before.flushes, "native: no flush counted");
	for (i = 0, hits = 0; i < NCACHED; i++) {
		int k;

		if (iova_alloc_fast(d, 1, END, false, &got))
			continue;
		for (k = 0; k < NCACHED; k++)
			hits += got == cached[k];
	}
	is_int(hits, NCACHED, "native: the cached ranges are handed out again");
out:
	iova_domain_destroy(d);
	ok(mc.live_bytes == 0 && mc.errors == 0, "native: hooks back to zero");
}

static struct iova_domain D;

static void linux_nomem_no_flush(void)
{
	long base = wrap_live_blocks();
	unsigned long cached[NCACHED], p = 1;
	struct iova_cache_stats before, after;
	struct iova_ndomain *nd;
	int i, tries, hits;
	bool fired = false;

	init_iova_domain(&D, 4096, 1);
	if (iova_linux_init_rcaches(&D, 1, 0) || !(nd = iova_linux_native(&D))) {
		ok(0, "linux set-up");
		return;
	}
	for (i = 0; i < NCACHED; i++)
		cached[i] = alloc_iova_fast(&D, 1, END, false);
	for (i = 0; i < NCACHED; i++)
		free_iova_fast(&D, cached[i], 1);
	iova_cache_get_stats(nd, 0, &before);
	for (tries = 0; tries < 4000 && !fired; tries++) {
		wrap_fail(1);
		p = alloc_iova_fast(&D, 128, END, true);
		fired = !wrap_fail_pending();
		wrap_fail(0);
	}
	if (!ok(fired, "linux: a malloc failure was injected (after %d "
		"allocations)", tries))
		goto out;
	is_int(p, 0, "linux: alloc_iova_fast(flush_rcache) with a malloc "
	       "failure: 0");
	iova_cache_get_stats(nd, 0, &after);
	is_u64(after.cached_ranges, before.cached_ranges, "linux: the caches "
	       "still hold their ranges");
	for (i = 0, hits = 0; i < NCACHED; i++) {
		unsigned long got = alloc_iova_fast(&D, 1, END, false);
		int k;

		for (k = 0; k < NCACHED; k++)
			hits += got == cached[k];
	}
	is_int(hits, NCACHED, "linux: the cached ranges are handed out again");
out:
	put_iova_domain(&D);
	is_int(wrap_live_blocks() - base, 0, "linux: no leak");
}

int main(void)
{
	create_limits();
	walks();
	native_nomem_no_flush();
	linux_nomem_no_flush();
	return tap_done();
}
