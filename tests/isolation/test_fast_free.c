/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Issue 15, finding 5: fast frees are checked in every build.
 *
 * With the caches on and default flags (and with CHECK_FREES), each misuse
 * of iova_free_fast() / free_iova_fast() must be refused: native -ENOENT,
 * Linux a bad free reported once through iova_linux_set_bad_free_hook(),
 * and in both cases nothing enters a cache (the per-order cached_ranges
 * stay as they were).  The misuses: a double free, a pfn in a reservation
 * (the MSI window), a pfn below start_pfn, a pfn outside the domain, a
 * size that does not match the live range, free space, the inside of a
 * live range.  After each misuse a stream of fast and plain allocations
 * runs against the ownership map: no pfn twice, never a reserved or
 * below-start pfn.
 *
 * Built twice (CMakeLists.txt): against the library of the build (debug
 * builds check more on their own) and against the release-like copy at
 * IOVA_DEBUG=0, so the result does not depend on IOVA_DEBUG.
 */
#include "iova/iova.h"
#include "iova/cache.h"
#include "iova/linux.h"

#include "tap.h"
#include "isolation/iso.h"
#include "isolation/iso_wrap.h"

#define START 0x100u
#define END 0xFFFFFu
#define MSI_LO 0xFEE00u
#define MSI_HI 0xFEEFFu

static struct own_map om;
static unsigned long violations;
static const char *first_why;

static void claim(uint64_t lo, uint64_t size, enum own_kind kind, void *h)
{
	const char *why;

	if (!own_claim(&om, lo, size, kind, 0, h, &why) && !violations++) {
		first_why = why;
		diag("violation: %s: [%#" PRIx64 ", +%#" PRIx64 "]", why, lo,
		     size);
	}
}

static uint64_t cached_total(struct iova_ndomain *d)
{
	struct iova_cache_config c;
	struct iova_cache_stats st;
	uint64_t n = 0;
	unsigned int o;

	if (iova_cache_get_config(d, &c))
		return 0;
	for (o = 0; o < c.max_order; o++)
		if (!iova_cache_get_stats(d, o, &st))
			n += st.cached_ranges;
	return n;
}

/* The misuses, each a (pfn, size) to free after some set-up. */
enum misuse {
	M_DOUBLE, M_DOUBLE_4, M_MSI, M_MSI_64, M_BELOW, M_BELOW_64, M_ZERO,
	M_OUTSIDE, M_TOP, M_SIZE_SMALL, M_SIZE_BIG, M_SIZE_UNCACHED, M_FREE,
	M_INSIDE, M_COUNT
};

static const char *const misuse_name[] = {
	"double free (size 1)", "double free (size 4)",
	"pfn in the MSI reservation", "size-64 block in the MSI reservation",
	"pfn below start_pfn", "size-64 block below start_pfn", "pfn 0",
	"pfn above the domain", "pfn UINT64_MAX / ULONG_MAX",
	"size smaller than the live range", "size larger than the live range",
	"uncached size that does not match", "free space",
	"inside a live range (not its start)",
};

/*
 * The misuses only the full check refuses (a range that is aligned and
 * inside the domain); the others are refused in every configuration.
 */
static bool deep_misuse(enum misuse m)
{
	switch (m) {
	case M_DOUBLE: case M_DOUBLE_4: case M_MSI: case M_MSI_64:
	case M_SIZE_SMALL: case M_SIZE_BIG: case M_FREE: case M_INSIDE:
		return true;
	default:
		return false;
	}
}

/* Are frees fully checked in this domain (the flag, or a debug build)? */
static bool fully_checked(struct iova_ndomain *d)
{
	struct iova_cache_config got;

	return !iova_cache_get_config(d, &got) &&
	       (got.flags & IOVA_CACHE_CHECK_FREES);
}

/* --- native ---------------------------------------------------------- */

static void native_free_owned(struct iova_ndomain *d)
{
	while (om.n) {
		struct own_entry *e = &om.e[om.n - 1];

		if (e->kind == OWN_NFAST)
			iova_free_fast(d, e->lo, e->size);
		else if (e->kind == OWN_NATIVE)
			iova_free(d, e->lo);
		own_drop(&om, om.n - 1);
	}
}

static void native_case(enum misuse m, unsigned int flags)
{
	struct mem_ctl mc;
	struct iova_mem_hooks h;
	struct iova_domain_config cfg = { .granule = 4096, .start_pfn = START,
					  .end_pfn = END, .mem = &h };
	struct iova_cache_config cc = { .nr_cpus = 1, .flags = flags };
	struct iova_ndomain *d;
	uint64_t p = 0, q = 0, pfn = 0, size = 1, before;
	int r, i;

	mem_ctl_hooks(&mc, &h);
	violations = 0;
	if (iova_domain_create(&cfg, &d) || iova_domain_init_caches(d, &cc) ||
	    iova_reserve(d, MSI_LO, MSI_HI)) {
		ok(0, "set-up");
		return;
	}
	if (deep_misuse(m) && !fully_checked(d)) {
		ok(1, "native flags %u: %s # SKIP frees not fully checked in this "
		   "build: the caller is trusted (docs/caches.md)", flags,
		   misuse_name[m]);
		iova_domain_destroy(d);
		return;
	}
	own_init(&om, START, END);
	own_reserve(&om, MSI_LO, MSI_HI);
	switch (m) {
	case M_DOUBLE:
		iova_alloc_fast(d, 1, END, false, &p);
		iova_free_fast(d, p, 1);
		pfn = p;
		break;
	case M_DOUBLE_4:
		iova_alloc_fast(d, 4, END, false, &p);
		iova_free_fast(d, p, 4);
		pfn = p, size = 4;
		break;
	case M_MSI:
		pfn = MSI_LO + 0x40;
		break;
	case M_MSI_64:
		pfn = MSI_LO + 0x40, size = 64;
		break;
	case M_BELOW:
		pfn = 0x10;
		break;
	case M_BELOW_64:
		pfn = 0x40, size = 32;
		break;
	case M_ZERO:
		pfn = 0;
		break;
	case M_OUTSIDE:
		pfn = END + 1;
		break;
	case M_TOP:
		pfn = UINT64_MAX;
		break;
	case M_SIZE_SMALL:
		iova_alloc_fast(d, 4, END, false, &p);
		claim(p, 4, OWN_NFAST, NULL);
		pfn = p, size = 1;
		break;
	case M_SIZE_BIG:
		iova_alloc_fast(d, 1, END, false, &p);
		claim(p, 1, OWN_NFAST, NULL);
		pfn = p, size = 2;
		break;
	case M_SIZE_UNCACHED:
		iova_alloc_fast(d, 100, END, false, &p);
		claim(p, 100, OWN_NFAST, NULL);
		pfn = p, size = 99;
		break;
	case M_FREE:
		pfn = 0x2000;
		break;
	case M_INSIDE:
		iova_alloc(d, 16, 16, 0, END, IOVA_TOP_DOWN, &q);
		claim(q, 16, OWN_NATIVE, NULL);
		pfn = q + 4, size = 4;
		break;
	default:
		break;
	}
	before = cached_total(d);
	r = iova_free_fast(d, pfn, size);
	is_int(r, -ENOENT, "native flags %u: %s: iova_free_fast(%#" PRIx64
	       ", %" PRIu64 ") refused", flags, misuse_name[m], pfn, size);
	is_u64(cached_total(d), before, "native flags %u: %s: nothing cached",
	       flags, misuse_name[m]);
	/* Everything handed out from now on is checked. */
	for (i = 0; i < 64; i++) {
		static const uint64_t sz[] = { 1, 1, 4, 64, 32, 2, 100 };
		uint64_t s = sz[i % 7];

		if (!iova_alloc_fast(d, s, END, i & 1, &pfn))
			claim(pfn, s, OWN_NFAST, NULL);
		if (i % 8 == 0 &&
		    !iova_alloc(d, 1, 1, 0, END, IOVA_TOP_DOWN, &pfn))
			claim(pfn, 1, OWN_NATIVE, NULL);
	}
	if (!ok(violations == 0, "native flags %u: %s: isolation afterwards",
		flags, misuse_name[m]))
		diag("%lu violations, first: %s", violations, first_why);
	native_free_owned(d);
	iova_domain_destroy(d);
	ok(mc.live_bytes == 0 && mc.errors == 0, "native flags %u: %s: hooks "
	   "back to zero", flags, misuse_name[m]);
}

/* --- Linux ------------------------------------------------------------- */

static struct iova_domain D;
static unsigned long reports;

static void bad_free_hook(struct iova_domain *iovad, unsigned long pfn,
			  const char *what)
{
	(void)iovad;
	(void)pfn;
	(void)what;
	reports++;
}

static void linux_free_owned(void)
{
	while (om.n) {
		struct own_entry *e = &om.e[om.n - 1];

		if (e->kind == OWN_LFAST)
			free_iova_fast(&D, e->lo, e->size);
		else if (e->kind == OWN_LINUX)
			__free_iova(&D, e->handle);
		own_drop(&om, om.n - 1);
	}
}

/* how: 0 iova_domain_init_rcaches, 1 one slot, 2 one slot + CHECK_FREES */
static void linux_case(enum misuse m, int how)
{
	long base = wrap_live_blocks();
	unsigned long top = ULONG_MAX >> 12, p = 0, pfn = 0, size = 1, rep, bf;
	struct iova_ndomain *nd;
	struct iova *it;
	uint64_t before;
	int i;

	violations = 0;
	init_iova_domain(&D, 4096, START);
	if (how ? iova_linux_init_rcaches(&D, 1, how == 2 ? IOVA_LINUX_CHECK_FREES
							  : 0)
		: iova_domain_init_rcaches(&D)) {
		ok(0, "set-up");
		return;
	}
	nd = iova_linux_native(&D);
	if (deep_misuse(m) && !fully_checked(nd)) {
		ok(1, "linux init %d: %s # SKIP frees not fully checked in this "
		   "build: the caller is trusted (docs/caches.md)", how,
		   misuse_name[m]);
		put_iova_domain(&D);
		return;
	}
	if (!ok(reserve_iova(&D, MSI_LO, MSI_HI) != NULL, "MSI reservation"))
		return;
	own_init(&om, START, top);
	own_reserve(&om, MSI_LO, MSI_HI);
	switch (m) {
	case M_DOUBLE:
		p = alloc_iova_fast(&D, 1, END, false);
		free_iova_fast(&D, p, 1);
		pfn = p;
		break;
	case M_DOUBLE_4:
		p = alloc_iova_fast(&D, 4, END, false);
		free_iova_fast(&D, p, 4);
		pfn = p, size = 4;
		break;
	case M_MSI:
		pfn = MSI_LO + 0x40;
		break;
	case M_MSI_64:
		pfn = MSI_LO + 0x40, size = 64;
		break;
	case M_BELOW:
		pfn = 0x10;
		break;
	case M_BELOW_64:
		pfn = 0x40, size = 32;
		break;
	case M_ZERO:
		pfn = 0;
		break;
	case M_OUTSIDE:
		pfn = top + 1;
		break;
	case M_TOP:
		pfn = ULONG_MAX;
		break;
	case M_SIZE_SMALL:
		p = alloc_iova_fast(&D, 4, END, false);
		claim(p, 4, OWN_LFAST, NULL);
		pfn = p, size = 1;
		break;
	case M_SIZE_BIG:
		p = alloc_iova_fast(&D, 1, END, false);
		claim(p, 1, OWN_LFAST, NULL);
		pfn = p, size = 2;
		break;
	case M_SIZE_UNCACHED:
		p = alloc_iova_fast(&D, 100, END, false);
		claim(p, 100, OWN_LFAST, NULL);
		pfn = p, size = 99;
		break;
	case M_FREE:
		pfn = 0x2000;
		break;
	case M_INSIDE:
		it = alloc_iova(&D, 16, END, true);
		if (it) {
			claim(it->pfn_lo, 16, OWN_LINUX, it);
			pfn = it->pfn_lo + 4, size = 4;
		}
		break;
	default:
		break;
	}
	before = cached_total(nd);
	rep = reports;
	bf = iova_linux_bad_frees(&D);
	free_iova_fast(&D, pfn, size);
	is_int(reports - rep, 1, "linux init %d: %s: free_iova_fast(%#lx, %lu) "
	       "reported as a bad free", how, misuse_name[m], pfn, size);
	is_int(iova_linux_bad_frees(&D) - bf, 1, "linux init %d: %s: counted",
	       how, misuse_name[m]);
	is_u64(cached_total(nd), before, "linux init %d: %s: nothing cached",
	       how, misuse_name[m]);
	for (i = 0; i < 64; i++) {
		static const unsigned long sz[] = { 1, 1, 4, 64, 32, 2, 100 };
		unsigned long s = sz[i % 7];

		p = alloc_iova_fast(&D, s, END, i & 1);
		if (p)
			claim(p, s, OWN_LFAST, NULL);
		if (i % 8 == 0) {
			it = alloc_iova(&D, 1, END, false);
			if (it)
				claim(it->pfn_lo, 1, OWN_LINUX, it);
		}
	}
	if (!ok(violations == 0, "linux init %d: %s: isolation afterwards", how,
		misuse_name[m]))
		diag("%lu violations, first: %s", violations, first_why);
	rep = reports;
	linux_free_owned();
	is_int(reports - rep, 0, "linux init %d: %s: the owners' frees are good",
	       how, misuse_name[m]);
	put_iova_domain(&D);
	is_int(wrap_live_blocks() - base, 0, "linux init %d: %s: no leak", how,
	       misuse_name[m]);
}

/*
 * A domain narrower than the largest cached order (4 pfns, orders to 5):
 * a fast free of an order wider than the domain is refused in every build,
 * even at a pfn its alignment allows, and nothing of that order is ever
 * handed out; the orders that fit are still cached.
 */
static void narrow_domain(unsigned int flags)
{
	struct iova_domain_config cfg = { .granule = 4096, .start_pfn = 0,
					  .end_pfn = 3 };
	struct iova_cache_config cc = { .nr_cpus = 1, .flags = flags };
	struct iova_ndomain *d;
	uint64_t pfn = 0, size;
	bool refused = true, none = true;
	int r;

	if (iova_domain_create(&cfg, &d) || iova_domain_init_caches(d, &cc)) {
		ok(0, "narrow: set-up");
		return;
	}
	r = iova_alloc_fast(d, 4, 3, false, &pfn);
	ok(r == 0 && pfn == 0, "narrow flags %u: the whole domain as order 2",
	   flags);
	/* This CPU's magazines now exist: the wide orders meet them too. */
	ok(iova_free_fast(d, pfn, 4) == 0 && cached_total(d) == 1,
	   "narrow flags %u: and back into the cache", flags);
	for (size = 8; size <= 32; size *= 2)	/* misses may load magazines */
		none &= iova_alloc_fast(d, size, 3, false, &pfn) != 0;
	for (size = 8; size <= 32; size *= 2)
		refused &= iova_free_fast(d, 0, size) == -ENOENT;
	for (size = 8; size <= 32; size *= 2)
		none &= iova_alloc_fast(d, size, 3, false, &pfn) != 0;
	ok(refused && cached_total(d) == 1, "narrow flags %u: fast frees of "
	   "orders wider than the domain are refused", flags);
	ok(none, "narrow flags %u: nothing of those orders is handed out", flags);
	r = iova_alloc_fast(d, 4, 3, false, &pfn);
	ok(r == 0 && pfn == 0 && cached_total(d) == 0,
	   "narrow flags %u: and out again", flags);
	ok(iova_free_fast(d, pfn, 4) == 0, "narrow flags %u: freed", flags);
	iova_domain_destroy(d);
}

int main(void)
{
	int m, k;

	narrow_domain(0);
	narrow_domain(IOVA_CACHE_CHECK_FREES);

	iova_linux_set_bad_free_hook(bad_free_hook);
	for (m = 0; m < M_COUNT; m++) {
		native_case((enum misuse)m, 0);
		native_case((enum misuse)m, IOVA_CACHE_CHECK_FREES);
		for (k = 0; k < 3; k++)
			linux_case((enum misuse)m, k);
	}
	return tap_done();
}
