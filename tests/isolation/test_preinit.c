/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Issue 15, finding 1: fast calls before the caches exist.
 *
 * A domain that has served an iova_alloc_fast()/iova_free_fast() call
 * (native) or alloc_iova_fast()/free_iova_fast() (Linux) must refuse a
 * later iova_domain_init_caches() (-EBUSY) / iova_domain_init_rcaches()
 * (non-zero), so that a range rounded one way before the caches and freed
 * another way after them can never be handed out twice or leak.
 *
 * For every cache option (max_order 1..32 and the default, mag_size 1 and
 * the default, nr_cpus 1 and 4, with and without CHECK_FREES) and both
 * orderings (fast calls first, caches first), the same workload runs: fast
 * ranges of sizes 1..100 around the order boundaries, a plain iova_alloc()
 * range, then the caches are set up (or refused), every range is freed
 * with its own size, and more fast and plain allocations follow (the
 * finding's sequence: alloc_fast(64), then alloc(1) under the same limit).
 * The ownership map (iso.h) checks every range handed out: never a pfn
 * twice, never outside the domain, every owned pfn allocated in the index;
 * at the end every range was freeable, nothing is live after a flush, and
 * the memory hooks (native) or the malloc wrappers (Linux) are back to
 * where they started.
 */
#include "iova/iova.h"
#include "iova/cache.h"
#include "iova/linux.h"

#include "tap.h"
#include "isolation/iso.h"
#include "isolation/iso_wrap.h"

#define END 0xFFFFFu

static struct own_map om;
static const char *first_why;
static unsigned long violations;

static void violation(const char *why, uint64_t lo, uint64_t size)
{
	if (!violations++) {
		first_why = why;
		diag("first violation: %s: [%#" PRIx64 ", +%#" PRIx64 "]", why,
		     lo, size);
	}
}

/* Claim a range just handed out and check the index covers it. */
static void claim(struct iova_ndomain *nd, uint64_t lo, uint64_t size,
		  enum own_kind kind, void *handle)
{
	const char *why;
	struct iova_range r;

	if (!own_claim(&om, lo, size, kind, 0, handle, &why)) {
		violation(why, lo, size);
		return;
	}
	if (iova_find(nd, lo, &r) || (r.flags & IOVA_RANGE_RESERVED) ||
	    iova_find(nd, lo + size - 1, &r) || (r.flags & IOVA_RANGE_RESERVED))
		violation("a range handed out is not allocated in the index", lo,
			  size);
}

static const uint64_t sizes[] = { 1, 2, 3, 5, 8, 17, 20, 32, 33, 40, 63,
				  64, 65, 100 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

/* --- native -------------------------------------------------------------- */

enum order_kind { FAST_FIRST, FAST_FIRST_ALL_FREED, CACHES_FIRST, PLAIN_FIRST };

static const char *const order_name[] = { "fast calls first",
					  "fast calls first, all freed",
					  "caches first", "plain alloc first" };

/* Free everything the map holds with its own call; count refusals. */
static unsigned long native_free_all(struct iova_ndomain *d)
{
	unsigned long refused = 0;

	while (om.n) {
		struct own_entry *e = &om.e[om.n - 1];
		int r = 0;

		if (e->kind == OWN_NFAST)
			r = iova_free_fast(d, e->lo, e->size);
		else if (e->kind == OWN_NATIVE)
			r = iova_free(d, e->lo);
		if (r) {
			if (!refused)
				diag("free of [%#" PRIx64 ", +%#" PRIx64 "] "
				     "(kind %d) refused: %d", e->lo, e->size,
				     e->kind, r);
			refused++;
		}
		own_drop(&om, om.n - 1);
	}
	return refused;
}

static void native_case(const struct iova_cache_config *cc, enum order_kind ok_,
			const char *cfgname)
{
	struct mem_ctl mc;
	struct iova_mem_hooks h;
	struct iova_domain_config cfg = { .granule = 4096, .start_pfn = 1,
					  .end_pfn = END, .mem = &h };
	struct iova_ndomain *d;
	struct iova_stats st;
	uint64_t pfn;
	unsigned long refused;
	size_t i;
	int r;

	mem_ctl_hooks(&mc, &h);
	own_init(&om, 1, END);
	violations = 0;
	if (iova_domain_create(&cfg, &d)) {
		ok(0, "create");
		return;
	}
	if (ok_ == CACHES_FIRST)
		is_int(iova_domain_init_caches(d, cc), 0, "%s, %s: init_caches",
		       cfgname, order_name[ok_]);
	if (ok_ == PLAIN_FIRST) {
		if (!iova_alloc(d, 5, 1, 0, END, IOVA_TOP_DOWN, &pfn))
			claim(d, pfn, 5, OWN_NATIVE, NULL);
		is_int(iova_domain_init_caches(d, cc), 0,
		       "%s, %s: init_caches after iova_alloc only", cfgname,
		       order_name[ok_]);
	}
	for (i = 0; i < NSIZES; i++) {
		r = iova_alloc_fast(d, sizes[i], END, false, &pfn);
		if (r) {
			violation("alloc_fast failed in an empty domain", 0,
				  sizes[i]);
			continue;
		}
		claim(d, pfn, sizes[i], OWN_NFAST, NULL);
	}
	if (!iova_alloc(d, 7, 1, 0, END, IOVA_TOP_DOWN, &pfn))
		claim(d, pfn, 7, OWN_NATIVE, NULL);
	if (ok_ == FAST_FIRST_ALL_FREED) {
		is_int(native_free_all(d), 0, "%s, %s: frees before init",
		       cfgname, order_name[ok_]);
	}
	if (ok_ <= FAST_FIRST_ALL_FREED) {
		r = iova_domain_init_caches(d, cc);
		is_int(r, -EBUSY, "%s, %s: init_caches refused (-EBUSY)",
		       cfgname, order_name[ok_]);
	}
	/* Every range freed with its own size (the cache.h rule). */
	refused = native_free_all(d);
	/* The finding's sequence, then a mixed tail; everything is claimed. */
	for (i = 0; i < NSIZES; i++) {
		if (!iova_alloc_fast(d, sizes[NSIZES - 1 - i], END, true, &pfn))
			claim(d, pfn, sizes[NSIZES - 1 - i], OWN_NFAST, NULL);
		if (!iova_alloc(d, 1 + i % 3, 1, 0, END, IOVA_TOP_DOWN, &pfn))
			claim(d, pfn, 1 + i % 3, OWN_NATIVE, NULL);
	}
	refused += native_free_all(d);
	is_int(refused, 0, "%s, %s: every range freed with its own call and size",
	       cfgname, order_name[ok_]);
	iova_cache_flush_all(d);
	iova_get_stats(d, &st);
	is_u64(st.live_ranges, 0, "%s, %s: nothing live after the frees and a "
	       "flush (no leak)", cfgname, order_name[ok_]);
	if (!ok(violations == 0, "%s, %s: isolation (ownership map)", cfgname,
		order_name[ok_]))
		diag("%lu violations, first: %s", violations, first_why);
	iova_domain_destroy(d);
	ok(mc.live_bytes == 0 && mc.live_blocks == 0 && mc.errors == 0,
	   "%s, %s: hooks back to zero at destroy (%ld bytes, %ld blocks, "
	   "%lu bad frees)", cfgname, order_name[ok_], (long)mc.live_bytes,
	   (long)mc.live_blocks, (unsigned long)mc.errors);
}

/* The finding's own sequence: alloc_fast(40), caches, free_fast(40),
 * alloc_fast(64), alloc(1) under the same limit. */
static void native_sequence(const struct iova_cache_config *cc,
			    const char *cfgname)
{
	struct mem_ctl mc;
	struct iova_mem_hooks h;
	struct iova_domain_config cfg = { .granule = 4096, .start_pfn = 1,
					  .end_pfn = END, .mem = &h };
	struct iova_ndomain *d;
	uint64_t pfn, sz[3] = { 40, 20, 3 };
	size_t k;

	for (k = 0; k < 3; k++) {
		mem_ctl_hooks(&mc, &h);
		own_init(&om, 1, END);
		violations = 0;
		if (iova_domain_create(&cfg, &d)) {
			ok(0, "create");
			return;
		}
		if (!iova_alloc_fast(d, sz[k], END, false, &pfn))
			claim(d, pfn, sz[k], OWN_NFAST, NULL);
		(void)iova_domain_init_caches(d, cc);	/* checked above */
		is_int(native_free_all(d), 0, "%s, sequence %" PRIu64 ": "
		       "free_fast with the size of the alloc", cfgname, sz[k]);
		if (!iova_alloc_fast(d, 64, END, false, &pfn))
			claim(d, pfn, 64, OWN_NFAST, NULL);
		if (!iova_alloc(d, 1, 1, 0, END, IOVA_TOP_DOWN, &pfn))
			claim(d, pfn, 1, OWN_NATIVE, NULL);
		if (!iova_alloc(d, 1, 1, 0, END, IOVA_TOP_DOWN, &pfn))
			claim(d, pfn, 1, OWN_NATIVE, NULL);
		if (!ok(violations == 0, "%s, sequence %" PRIu64 ": no pfn "
			"handed out twice", cfgname, sz[k]))
			diag("%lu violations, first: %s", violations, first_why);
		native_free_all(d);
		iova_domain_destroy(d);
		ok(mc.live_bytes == 0 && mc.errors == 0, "%s, sequence %" PRIu64
		   ": hooks back to zero", cfgname, sz[k]);
	}
}

static void native_all(void)
{
	static const unsigned int orders[] = { 0, 1, 4, 6, 7, 8, 32 };
	static const unsigned int mags[] = { 1, 0 };
	static const unsigned int cpus[] = { 1, 4 };
	static const unsigned int flags[] = { 0, IOVA_CACHE_CHECK_FREES };
	size_t a, b, c, e;
	int k;
	char name[96];

	for (a = 0; a < sizeof(orders) / sizeof(orders[0]); a++)
		for (b = 0; b < 2; b++)
			for (c = 0; c < 2; c++)
				for (e = 0; e < 2; e++) {
					struct iova_cache_config cc = {
						.max_order = orders[a],
						.mag_size = mags[b],
						.nr_cpus = cpus[c],
						.flags = flags[e],
					};

					snprintf(name, sizeof(name),
						 "native max_order %u mag %u "
						 "cpus %u flags %u",
						 orders[a], mags[b], cpus[c],
						 flags[e]);
					native_sequence(&cc, name);
					for (k = FAST_FIRST; k <= PLAIN_FIRST; k++)
						native_case(&cc, (enum order_kind)k,
							    name);
				}
	/* The default configuration (cfg NULL), fast calls first. */
	native_case(NULL, FAST_FIRST, "native cfg NULL");
	native_case(NULL, CACHES_FIRST, "native cfg NULL");
}

/* --- Linux --------------------------------------------------------------- */

static struct iova_domain D;
static _Thread_local unsigned long bad_frees;

static void bad_free_hook(struct iova_domain *iovad, unsigned long pfn,
			  const char *what)
{
	(void)iovad;
	if (!bad_frees++)
		diag("bad free reported: pfn %#lx: %s", pfn, what);
}

static unsigned long linux_free_all(void)
{
	unsigned long before = bad_frees;

	while (om.n) {
		struct own_entry *e = &om.e[om.n - 1];

		if (e->kind == OWN_LFAST)
			free_iova_fast(&D, e->lo, e->size);
		else if (e->kind == OWN_LINUX)
			__free_iova(&D, e->handle);
		own_drop(&om, om.n - 1);
	}
	return bad_frees - before;
}

/* init: 0 = iova_domain_init_rcaches(), else iova_linux_init_rcaches(). */
static int linux_init(int how, unsigned int nr_cpus, unsigned int flags)
{
	return how ? iova_linux_init_rcaches(&D, nr_cpus, flags)
		   : iova_domain_init_rcaches(&D);
}

static void linux_case(int how, unsigned int nr_cpus, unsigned int flags,
		       enum order_kind ok_)
{
	long base = wrap_live_blocks();
	struct iova_ndomain *nd;
	struct iova_stats st;
	unsigned long pfn, refused;
	struct iova *it;
	char name[96];
	size_t i;

	snprintf(name, sizeof(name), "linux %s nr_cpus %u flags %u",
		 how ? "iova_linux_init_rcaches" : "iova_domain_init_rcaches",
		 nr_cpus, flags);
	own_init(&om, 1, END);
	violations = 0;
	bad_frees = 0;
	init_iova_domain(&D, 4096, 1);
	nd = iova_linux_native(&D);
	if (!nd) {
		ok(0, "init_iova_domain");
		return;
	}
	if (ok_ == CACHES_FIRST)
		is_int(linux_init(how, nr_cpus, flags), 0, "%s, %s: init",
		       name, order_name[ok_]);
	if (ok_ == PLAIN_FIRST) {
		it = alloc_iova(&D, 5, END, false);
		if (it)
			claim(nd, it->pfn_lo, 5, OWN_LINUX, it);
		is_int(linux_init(how, nr_cpus, flags), 0,
		       "%s, %s: init after alloc_iova only", name,
		       order_name[ok_]);
	}
	for (i = 0; i < NSIZES; i++) {
		pfn = alloc_iova_fast(&D, sizes[i], END, false);
		if (!pfn) {
			violation("alloc_iova_fast failed in an empty domain", 0,
				  sizes[i]);
			continue;
		}
		claim(nd, pfn, sizes[i], OWN_LFAST, NULL);
	}
	it = alloc_iova(&D, 7, END, true);
	if (it)
		claim(nd, it->pfn_lo, 7, OWN_LINUX, it);
	if (ok_ == FAST_FIRST_ALL_FREED)
		is_int(linux_free_all(), 0, "%s, %s: frees before init", name,
		       order_name[ok_]);
	if (ok_ <= FAST_FIRST_ALL_FREED)
		ok(linux_init(how, nr_cpus, flags) != 0,
		   "%s, %s: init refused after fast calls", name,
		   order_name[ok_]);
	refused = linux_free_all();
	for (i = 0; i < NSIZES; i++) {
		pfn = alloc_iova_fast(&D, sizes[NSIZES - 1 - i], END, true);
		if (pfn)
			claim(nd, pfn, sizes[NSIZES - 1 - i], OWN_LFAST, NULL);
		it = alloc_iova(&D, 1 + i % 3, END, false);
		if (it)
			claim(nd, it->pfn_lo, 1 + i % 3, OWN_LINUX, it);
	}
	refused += linux_free_all();
	is_int(refused, 0, "%s, %s: every range freed without a bad free", name,
	       order_name[ok_]);
	iova_cache_flush_all(nd);
	iova_get_stats(nd, &st);
	is_u64(st.live_ranges, 0, "%s, %s: nothing live after the frees and a "
	       "flush", name, order_name[ok_]);
	if (!ok(violations == 0, "%s, %s: isolation (ownership map)", name,
		order_name[ok_]))
		diag("%lu violations, first: %s", violations, first_why);
	put_iova_domain(&D);
	is_int(wrap_live_blocks() - base, 0, "%s, %s: every block freed by "
	       "put_iova_domain", name, order_name[ok_]);
}

static void linux_all(void)
{
	static const unsigned int cpus[] = { 0, 1, 4 };
	int k;
	size_t c;

	for (k = FAST_FIRST; k <= PLAIN_FIRST; k++) {
		linux_case(0, 0, 0, (enum order_kind)k);
		for (c = 0; c < 3; c++) {
			linux_case(1, cpus[c], 0, (enum order_kind)k);
			linux_case(1, cpus[c], IOVA_LINUX_CHECK_FREES,
				   (enum order_kind)k);
		}
	}
}

int main(void)
{
	iova_linux_set_bad_free_hook(bad_free_hook);
	native_all();
	linux_all();
	return tap_done();
}
