/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * The bad-input matrix: every public function of include/iova/iova.h and
 * include/iova/linux.h, called with every class of invalid argument it can
 * receive, must return its documented error (iova.h: -EINVAL, -ENOENT,
 * -EBUSY, -EOPNOTSUPP; linux.h: NULL, 0, or a reported bad free) and leave
 * the domain exactly as it was: the full range list (bounds, flags, user
 * pointers) and the structural statistics are compared before and after.
 * The event counters that exist to record rejected calls (bad_frees,
 * alloc_fail_*) and the spare-node bytes are not part of "the state".
 * Meant to run under ASan/UBSan as well.
 *
 * Classes: NULL domain, NULL output or callback, size 0, size overflow
 * (wrapping past UINT64_MAX or above 2^63), alignment not a power of two,
 * reversed bounds, unknown policy or flag, misaligned exact address, bounds
 * outside the domain, a free pfn, a pfn inside (not at the start of) a
 * range, a reserved pfn, a double free, a foreign or stale struct, an
 * unusable compat domain (bad granule, destroyed, never initialised).
 */
#include "iova/iova.h"
#include "iova/linux.h"

#include <errno.h>
#include <string.h>

#include "tap.h"

#define TOP IOVA_TOP_DOWN
#define EXACT IOVA_EXACT
#define MAXR 64

struct snap {
	struct iova_range r[MAXR];
	size_t n;
	struct iova_stats st;
};

static int snap_cb(const struct iova_range *r, void *arg)
{
	struct snap *s = arg;

	if (s->n < MAXR)
		s->r[s->n] = *r;
	s->n++;
	return 0;
}

static void take(struct iova_ndomain *d, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	iova_for_each(d, snap_cb, s);
	iova_get_stats(d, &s->st);
}

static bool same(const struct snap *a, const struct snap *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n && i < MAXR; i++)
		if (a->r[i].lo != b->r[i].lo || a->r[i].hi != b->r[i].hi ||
		    a->r[i].flags != b->r[i].flags ||
		    a->r[i].udata != b->r[i].udata)
			return false;
	return a->st.live_ranges == b->st.live_ranges &&
	       a->st.live_pages == b->st.live_pages &&
	       a->st.reserved_ranges == b->st.reserved_ranges &&
	       a->st.reserved_pages == b->st.reserved_pages &&
	       a->st.free_gaps == b->st.free_gaps &&
	       a->st.index_nodes == b->st.index_nodes &&
	       a->st.index_height == b->st.index_height &&
	       a->st.allocs == b->st.allocs && a->st.frees == b->st.frees &&
	       a->st.reserves == b->st.reserves;
}

static struct snap before, after;
static unsigned long reports;

static void hook(struct iova_domain *d, unsigned long pfn, const char *what)
{
	(void)d;
	(void)pfn;
	(void)what;
	reports++;
}

/* Native: expr must give want and leave d unchanged. */
#define N_BAD(d, expr, want, name)                                            \
	do {                                                                 \
		long long got_;                                              \
		take(d, &before);                                            \
		got_ = (long long)(expr);                                    \
		take(d, &after);                                             \
		ok(got_ == (long long)(want) && same(&before, &after),       \
		   "iova.h: %s -> %s, no change", name, #want);              \
		if (got_ != (long long)(want))                               \
			diag("got %lld", got_);                              \
	} while (0)

/* Compat: run stmt, check cond, reports_want bad-free reports of which
 * counted_want are counted on iovad, and no change in the native domain
 * behind iovad. */
#define L_BAD2(iovad, stmt, cond, reports_want, counted_want, name)          \
	do {                                                                 \
		struct iova_ndomain *nd_ = iova_linux_native(iovad);          \
		unsigned long r0_ = reports, b0_ = iova_linux_bad_frees(iovad); \
		if (nd_)                                                     \
			take(nd_, &before);                                  \
		stmt;                                                        \
		if (nd_)                                                     \
			take(nd_, &after);                                   \
		ok((cond) && reports - r0_ == (reports_want) &&              \
		   (!nd_ || (same(&before, &after) &&                        \
			     iova_linux_bad_frees(iovad) - b0_ ==            \
				     (counted_want))),                       \
		   "linux.h: %s, no change", name);                          \
	} while (0)
#define L_BAD(iovad, stmt, cond, n, name) L_BAD2(iovad, stmt, cond, n, n, name)

static int count_cb(const struct iova_range *r, void *arg)
{
	(void)r;
	++*(int *)arg;
	return 0;
}

static void native_matrix(void)
{
	struct iova_domain_config cfg = { .granule = 4096, .start_pfn = 0x10,
					  .end_pfn = 0xFFFFF };
	struct iova_mem_hooks half = { NULL, NULL, NULL };
	struct iova_ndomain *d, *u, *out = NULL;
	struct iova_range r;
	uint64_t pfn = 0, a, b;
	int x = 0;

	/* iova_domain_create: every invalid config. */
	is_int(iova_domain_create(&cfg, NULL), -EINVAL, "iova.h: create, NULL out -> -EINVAL");
	cfg.granule = 3;
	is_int(iova_domain_create(&cfg, &out), -EINVAL, "iova.h: create, granule 3 -> -EINVAL");
	cfg.granule = 4096;
	cfg.start_pfn = 0x100000;
	is_int(iova_domain_create(&cfg, &out), -EINVAL, "iova.h: create, start > end -> -EINVAL");
	cfg.start_pfn = 0x10;
	cfg.flags = 0x80;
	is_int(iova_domain_create(&cfg, &out), -EINVAL, "iova.h: create, unknown flag -> -EINVAL");
	cfg.flags = 0;
	cfg.mem = &half;
	is_int(iova_domain_create(&cfg, &out), -EINVAL, "iova.h: create, hooks without alloc/free -> -EINVAL");
	ok(out == NULL, "iova.h: create, *out untouched on error");
	cfg.mem = NULL;

	if (iova_domain_create(&cfg, &d) || iova_domain_create(&cfg, &u)) {
		ok(0, "iova.h: set-up");
		return;
	}
	iova_alloc(d, 4, 4, 0, 0xFFFFF, TOP, &a);		/* [FFFFC, FFFFF] */
	iova_alloc(d, 2, 1, 0, 0xFFFFF, TOP, &b);		/* [FFFFA, FFFFB] */
	iova_reserve(d, 0x800, 0x8FF);

	/* iova_alloc / iova_alloc_udata. */
	N_BAD(d, iova_alloc(d, 0, 1, 0, 0xFFFFF, TOP, &pfn), -EINVAL, "alloc, size 0");
	N_BAD(d, iova_alloc(d, 1, 0, 0, 0xFFFFF, TOP, &pfn), -EINVAL, "alloc, align 0");
	N_BAD(d, iova_alloc(d, 1, 3, 0, 0xFFFFF, TOP, &pfn), -EINVAL, "alloc, align 3");
	N_BAD(d, iova_alloc(d, 1, 1, 9, 8, TOP, &pfn), -EINVAL, "alloc, min > max");
	N_BAD(d, iova_alloc(d, 1, 1, 0, 9, (enum iova_policy)7, &pfn), -EINVAL, "alloc, unknown policy");
	N_BAD(d, iova_alloc(d, 1, 1, 0, 9, TOP, NULL), -EINVAL, "alloc, NULL output");
	N_BAD(d, iova_alloc(d, 2, 2, 0x101, 0xFFFFF, EXACT, &pfn), -EINVAL, "alloc, exact misaligned");
	N_BAD(d, iova_alloc(d, 3, 1, UINT64_MAX - 1, UINT64_MAX, EXACT, &pfn), -EINVAL, "alloc, exact wraps past 2^64");
	N_BAD(d, iova_alloc(NULL, 1, 1, 0, 9, TOP, &pfn), -EINVAL, "alloc, NULL domain");
	N_BAD(d, iova_alloc(d, 1, 1, 0x100000, UINT64_MAX, TOP, &pfn), -ENOMEM, "alloc, bounds above the domain");
	N_BAD(d, iova_alloc(d, 1, 1, 0, 0xF, TOP, &pfn), -ENOMEM, "alloc, bounds below start_pfn");
	N_BAD(d, iova_alloc(d, UINT64_MAX, 1, 0, UINT64_MAX, TOP, &pfn), -ENOMEM, "alloc, size above the domain");
	N_BAD(d, iova_alloc(d, 1, 1, 0xFFFFC, 0xFFFFC, EXACT, &pfn), -ENOMEM, "alloc, exact on a live range");
	N_BAD(d, iova_alloc(d, 1, 1, 0x800, 0x800, EXACT, &pfn), -ENOMEM, "alloc, exact on a reservation");
	N_BAD(d, iova_alloc_udata(u, 1, 1, 0, 0xFFFFF, TOP, &x, &pfn), -EOPNOTSUPP, "alloc_udata, domain without IOVA_DOMAIN_UDATA");
	N_BAD(d, iova_alloc_udata(d, 0, 1, 0, 0xFFFFF, TOP, &x, &pfn), -EINVAL, "alloc_udata, size 0");
	N_BAD(d, iova_alloc_udata(NULL, 1, 1, 0, 9, TOP, &x, &pfn), -EINVAL, "alloc_udata, NULL domain");

	/* iova_free. */
	N_BAD(d, iova_free(d, 0x1000), -ENOENT, "free, free pfn");
	N_BAD(d, iova_free(d, a + 1), -ENOENT, "free, pfn inside a range");
	N_BAD(d, iova_free(d, 0x850), -ENOENT, "free, reserved pfn");
	N_BAD(d, iova_free(d, 0x800), -ENOENT, "free, start of a reservation");
	N_BAD(d, iova_free(d, UINT64_MAX), -ENOENT, "free, pfn outside the domain");
	N_BAD(d, iova_free(NULL, a), -EINVAL, "free, NULL domain");
	iova_free(d, b);
	N_BAD(d, iova_free(d, b), -ENOENT, "free, double free");

	/* Lookups. */
	N_BAD(d, iova_find(d, 0x1000, &r), -ENOENT, "find, free pfn");
	N_BAD(d, iova_find(d, UINT64_MAX, &r), -ENOENT, "find, pfn outside the domain");
	N_BAD(d, iova_find(d, a, NULL), -EINVAL, "find, NULL output");
	N_BAD(d, iova_find(NULL, a, &r), -EINVAL, "find, NULL domain");
	N_BAD(d, iova_find_next(d, 0x100000, &r), -ENOENT, "find_next, nothing above");
	N_BAD(d, iova_find_next(d, 0, NULL), -EINVAL, "find_next, NULL output");
	N_BAD(d, iova_find_next(NULL, 0, &r), -EINVAL, "find_next, NULL domain");

	/* iova_set_udata. */
	N_BAD(d, iova_set_udata(u, a, &x), -EOPNOTSUPP, "set_udata, domain without IOVA_DOMAIN_UDATA");
	N_BAD(d, iova_set_udata(NULL, a, &x), -EINVAL, "set_udata, NULL domain");
	cfg.flags = IOVA_DOMAIN_UDATA;
	iova_domain_destroy(u);
	if (iova_domain_create(&cfg, &u) == 0) {
		N_BAD(u, iova_set_udata(u, 0x1000, &x), -ENOENT, "set_udata, free pfn");
		iova_domain_destroy(u);
	}

	/* iova_reserve. */
	N_BAD(d, iova_reserve(d, 9, 8), -EINVAL, "reserve, lo > hi");
	N_BAD(d, iova_reserve(NULL, 1, 2), -EINVAL, "reserve, NULL domain");
	N_BAD(d, iova_reserve(d, 0xFFFF0, 0xFFFFC), -EBUSY, "reserve, over a live range");
	N_BAD(d, iova_reserve(d, 0, 0xF), 0, "reserve, wholly below the domain (ignored)");
	N_BAD(d, iova_reserve(d, 0x100000, UINT64_MAX), 0, "reserve, wholly above the domain (ignored)");

	/* Walks, statistics, validation. */
	N_BAD(d, iova_for_each(d, NULL, NULL), -EINVAL, "for_each, NULL callback");
	N_BAD(d, iova_for_each(NULL, count_cb, &x), -EINVAL, "for_each, NULL domain");
	N_BAD(d, iova_get_stats(d, NULL), -EINVAL, "get_stats, NULL output");
	N_BAD(d, iova_get_stats(NULL, &before.st), -EINVAL, "get_stats, NULL domain");
	N_BAD(d, iova_largest_gap(d, 9, 8), 0, "largest_gap, min > max");
	N_BAD(d, iova_largest_gap(NULL, 0, 8), 0, "largest_gap, NULL domain");
	N_BAD(d, iova_largest_gap(d, 0x100000, UINT64_MAX), 0, "largest_gap, bounds outside the domain");
	N_BAD(d, iova_domain_validate(NULL, NULL), -EINVAL, "validate, NULL domain");
	iova_domain_destroy(NULL);
	ok(1, "iova.h: destroy, NULL domain -> no-op");
	ok(iova_domain_validate(d, NULL) == 0, "iova.h: domain valid after the matrix");
	iova_domain_destroy(d);
}

static void compat_matrix(void)
{
	struct iova_domain d, e, bad, zero;
	struct iova *a, *f, *rs, fake;
	unsigned long fast, top = ULONG_MAX >> 12;

	init_iova_domain(&d, 4096, 0x10);
	init_iova_domain(&e, 4096, 0x10);
	a = alloc_iova(&d, 4, 0xFFFFF, true);	/* [FFFFC, FFFFF] */
	fast = alloc_iova_fast(&d, 3, 0xFFFFF, true);	/* [FFFF8, FFFFB] */
	rs = reserve_iova(&d, 0x800, 0x8FF);
	f = alloc_iova(&e, 1, 0xFFFFF, false);
	ok(a && fast == 0xFFFF8 && rs && f, "linux.h: set-up");
	if (!(a && fast && rs && f))
		return;

	/* alloc_iova. */
	L_BAD(&d, a = alloc_iova(&d, 0, 0xFFFFF, true), !a, 0, "alloc_iova, size 0 -> NULL");
	L_BAD(&d, a = alloc_iova(&d, (1UL << 63) + 1, ULONG_MAX, true), !a, 0, "alloc_iova, aligned size above 2^63 -> NULL");
	L_BAD(&d, a = alloc_iova(&d, 1, 0xF, false), !a, 0, "alloc_iova, limit below start_pfn -> NULL");
	L_BAD(&d, a = alloc_iova(&d, 1, 0, false), !a, 0, "alloc_iova, limit 0 -> NULL");
	L_BAD(&d, a = alloc_iova(&d, ULONG_MAX, ULONG_MAX, false), !a, 0, "alloc_iova, size above the pfn space -> NULL");
	L_BAD(&d, a = alloc_iova(NULL, 1, 0xFFFFF, false), !a, 0, "alloc_iova, NULL domain -> NULL");
	a = find_iova(&d, 0xFFFFC);

	/* alloc_iova_fast. */
	L_BAD(&d, fast = alloc_iova_fast(&d, 0, 0xFFFFF, true), !fast, 0, "alloc_iova_fast, size 0 -> 0");
	L_BAD(&d, fast = alloc_iova_fast(&d, (1UL << 63) + 1, ULONG_MAX, true), !fast, 0, "alloc_iova_fast, size above 2^63 -> 0");
	L_BAD(&d, fast = alloc_iova_fast(&d, 1, 0xF, true), !fast, 0, "alloc_iova_fast, limit below start_pfn -> 0");
	L_BAD(&d, fast = alloc_iova_fast(NULL, 1, 0xFFFFF, true), !fast, 0, "alloc_iova_fast, NULL domain -> 0");
	fast = 0xFFFF8;

	/* free_iova. */
	L_BAD(&d, free_iova(&d, 0x1000), true, 1, "free_iova, free pfn -> reported");
	L_BAD(&d, free_iova(&d, 0x850), true, 1, "free_iova, reserved pfn -> reported");
	L_BAD(&d, free_iova(&d, 0x5), true, 1, "free_iova, pfn below start_pfn -> reported");
	L_BAD(&d, free_iova(&d, ULONG_MAX), true, 1, "free_iova, pfn above the pfn space -> reported");
	L_BAD2(&d, free_iova(NULL, 0xFFFFC), true, 1, 0, "free_iova, NULL domain -> reported");

	/* __free_iova. */
	L_BAD(&d, __free_iova(&d, NULL), true, 1, "__free_iova, NULL -> reported");
	L_BAD2(&d, __free_iova(NULL, a), true, 1, 0, "__free_iova, NULL domain -> reported");
	L_BAD(&d, __free_iova(&d, rs), true, 1, "__free_iova, a reservation's struct -> reported");
	fake = *a;
	L_BAD(&d, __free_iova(&d, &fake), true, 1, "__free_iova, a copy of a live struct -> reported");
	L_BAD(&d, __free_iova(&d, f), true, 1, "__free_iova, another domain's struct -> reported");
	fake.pfn_lo = 0x1000;
	fake.pfn_hi = 0x1000;
	L_BAD(&d, __free_iova(&d, &fake), true, 1, "__free_iova, a struct for free space -> reported");

	/* free_iova_fast. */
	L_BAD(&d, free_iova_fast(&d, fast, 0), true, 1, "free_iova_fast, size 0 -> reported");
	L_BAD(&d, free_iova_fast(&d, fast + 1, 3), true, 1, "free_iova_fast, pfn inside the range -> reported");
	L_BAD(&d, free_iova_fast(&d, fast, 8), true, 1, "free_iova_fast, wrong size -> reported");
	L_BAD(&d, free_iova_fast(&d, 0x1000, 1), true, 1, "free_iova_fast, free pfn -> reported");
	L_BAD(&d, free_iova_fast(&d, 0x800, 1), true, 1, "free_iova_fast, reserved pfn -> reported");
	L_BAD(&d, free_iova_fast(&d, fast, (1UL << 63) + 1), true, 1, "free_iova_fast, size above 2^63 -> reported");
	L_BAD2(&d, free_iova_fast(NULL, fast, 3), true, 1, 0, "free_iova_fast, NULL domain -> reported");

	/* find_iova. */
	L_BAD(&d, f = find_iova(&d, 0x1000), !f, 0, "find_iova, free pfn -> NULL");
	L_BAD(&d, f = find_iova(&d, 0x5), !f, 0, "find_iova, pfn below start_pfn (not reserved) -> NULL");
	L_BAD(&d, f = find_iova(&d, ULONG_MAX), !f, 0, "find_iova, pfn above the pfn space -> NULL");
	L_BAD(&d, f = find_iova(NULL, 0xFFFFC), !f, 0, "find_iova, NULL domain -> NULL");

	/* reserve_iova. */
	L_BAD(&d, f = reserve_iova(&d, 9, 8), !f, 0, "reserve_iova, lo > hi -> NULL");
	L_BAD(&d, f = reserve_iova(&d, 0x10, top + 1), !f, 0, "reserve_iova, hi above ULONG_MAX >> shift -> NULL");
	L_BAD(&d, f = reserve_iova(&d, ULONG_MAX, ULONG_MAX), !f, 0, "reserve_iova, pfn ULONG_MAX -> NULL");
	L_BAD(&d, f = reserve_iova(&d, 0xFFFF0, 0xFFFFC), !f, 0, "reserve_iova, over a live range -> NULL");
	L_BAD(&d, f = reserve_iova(&d, 0xFFFF9, 0xFFFF9), !f, 0, "reserve_iova, inside a live fast range -> NULL");
	L_BAD(&d, f = reserve_iova(NULL, 1, 2), !f, 0, "reserve_iova, NULL domain -> NULL");

	/* Double frees, through each path. */
	fake = *a;
	free_iova(&d, 0xFFFFD);
	L_BAD(&d, free_iova(&d, 0xFFFFD), true, 1, "free_iova, double free -> reported");
	L_BAD(&d, __free_iova(&d, &fake), true, 1, "__free_iova, a copy of a freed struct -> reported");
	free_iova_fast(&d, fast, 3);	/* no caches set up: to the index */
	L_BAD(&d, free_iova_fast(&d, fast, 3), true, 1, "free_iova_fast, double free (uncached) -> reported");

	/* rcaches. */
	is_int(iova_domain_init_rcaches(NULL), -EINVAL, "linux.h: iova_domain_init_rcaches, NULL domain -> -EINVAL");
	is_int(iova_domain_init_rcaches(&d), -EBUSY,
	       "linux.h: iova_domain_init_rcaches after fast calls -> -EBUSY");
	{
		struct iova_domain c;

		init_iova_domain(&c, 4096, 1);
		ok(reserve_iova(&c, 0x800, 0x8FF) != NULL, "linux.h: second domain, reserved");
		ok(iova_linux_init_rcaches(&c, 1, IOVA_LINUX_CHECK_FREES) == 0,
		   "linux.h: caches set up, frees checked");
		fast = alloc_iova_fast(&c, 1, 0xFFFFF, true);
		free_iova_fast(&c, fast, 1);	/* cached */
		L_BAD(&c, free_iova_fast(&c, 0x1000, 1), true, 1, "free_iova_fast, cached path, free pfn -> reported");
		L_BAD(&c, free_iova_fast(&c, 0x801, 1), true, 1, "free_iova_fast, cached path, reserved pfn -> reported");
		L_BAD(&c, free_iova_fast(&c, fast, 1), true, 1, "free_iova_fast, cached path, double free -> reported");
		L_BAD(&c, free_iova_fast(&c, 0x1001, 2), true, 1, "free_iova_fast, cached path, misaligned pfn -> reported");
		L_BAD(&c, free_iova_fast(&c, top + 1, 1), true, 1, "free_iova_fast, cached path, pfn above the pfn space -> reported");
		L_BAD(&c, free_iova_fast(&c, 0, 1), true, 1, "free_iova_fast, cached path, pfn below start_pfn -> reported");
		ok(iova_domain_init_rcaches(&c) == 0, "linux.h: iova_domain_init_rcaches again -> 0, no-op");
		put_iova_domain(&c);
	}

	/* Unusable domains: bad granule, destroyed, never initialised. */
	init_iova_domain(&bad, 3, 1);
	put_iova_domain(&e);
	memset(&zero, 0, sizeof(zero));
	{
		struct iova_domain *u[3] = { &bad, &e, &zero };
		const char *nm[3] = { "granule 3", "destroyed", "zeroed" };
		int i;

		for (i = 0; i < 3; i++) {
			unsigned long r0 = reports;

			ok(!alloc_iova(u[i], 1, 0xFFFFF, false) &&
			   !alloc_iova_fast(u[i], 1, 0xFFFFF, true) &&
			   !reserve_iova(u[i], 1, 2) && !find_iova(u[i], 1) &&
			   iova_domain_init_rcaches(u[i]) == -EINVAL &&
			   !iova_linux_native(u[i]) && iova_linux_bad_frees(u[i]) == 0,
			   "linux.h: %s domain: every call fails", nm[i]);
			free_iova(u[i], 1);
			__free_iova(u[i], &fake);
			free_iova_fast(u[i], 1, 1);
			ok(reports - r0 == 3, "linux.h: %s domain: frees are reported", nm[i]);
		}
		init_iova_domain(&bad, 0, 1);
		ok(!alloc_iova(&bad, 1, 0xFFFFF, false), "linux.h: granule 0 domain: fails");
		init_iova_domain(&bad, 1UL << 32, 1);
		ok(!alloc_iova(&bad, 1, 0xFFFFF, false), "linux.h: granule 2^32 domain: fails");
		put_iova_domain(&bad);
		put_iova_domain(&e);	/* twice: no-op */
		put_iova_domain(&zero);
		put_iova_domain(NULL);
		init_iova_domain(NULL, 4096, 1);
		ok(1, "linux.h: put_iova_domain on destroyed/zeroed/NULL, init on NULL -> no-op");
	}

	iova_cache_put();	/* without a get: ignored */
	is_int(iova_cache_get(), 0, "linux.h: iova_cache_get -> 0");
	iova_cache_put();
	iova_cache_put();
	ok(1, "linux.h: iova_cache_put without a get -> ignored");

	{
		struct iova_ndomain *nd = iova_linux_native(&d);

		ok(nd && iova_domain_validate(nd, NULL) == 0, "linux.h: domain valid after the matrix");
	}
	put_iova_domain(&d);
}

int main(void)
{
	iova_linux_set_bad_free_hook(hook);
	native_matrix();
	compat_matrix();
	return tap_done();
}
