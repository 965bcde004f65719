/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * The Linux-compatible API (include/iova/linux.h) on top of the native one.
 *
 * A compat domain owns a native domain created with IOVA_DOMAIN_UDATA, whose
 * pfn space is [0, ULONG_MAX >> shift]: the pfns below start_pfn are held by
 * a "floor" reservation (so that no allocation path, the per-CPU caches
 * included, can hand them out, while reserve_iova() below start_pfn still
 * works), and every range's user pointer is its struct iova:
 *
 *   live allocation from alloc_iova()       -> its struct iova (always)
 *   live allocation from alloc_iova_fast()  -> NULL until find_iova() makes
 *                                              one; dropped when freed
 *   reservation                             -> the struct of the lowest
 *                                              user reservation merged in it
 *   the floor alone                         -> NULL (find_iova: not found)
 *
 * Counting identities (struct iova_linux_priv):
 *   live_structs == live allocations whose user pointer is not NULL
 *   rsv_list     == every struct reserve_iova() made (freed by put)
 *
 * Locking: the native domain lock protects the index; priv->lock serialises
 * reserve_iova() and the on-demand creation of structs, and is taken before
 * (never inside) a native call.  struct iova memory comes from the native
 * domain's node hooks, so the fault-injection hook counts it too.
 */
#include "../internal.h"
#include "iova/cache.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "iova/linux.h"

#define MAGIC_LIVE 0x10fa11e5c0a7d0a1UL	/* init_iova_domain() ran */
#define MAGIC_BAD 0x10fa11e5bad0bad0UL	/* bad granule: every call fails */
#define MAGIC_DEAD 0x10fa11e5dead0000UL	/* put_iova_domain() ran */

/* Sizes above this cannot be size-aligned (2^63 with a 64-bit long). */
#define HALF_SPACE (ULONG_MAX / 2 + 1)

/* Sizes below this are rounded up to a power of two by alloc_iova_fast(). */
#define FAST_ROUND_BELOW (1UL << (IOVA_RANGE_CACHE_MAX_SIZE - 1))

struct iova_linux_priv {
	struct iova_ndomain *nd;
	iova_lock_t lock;		/* see the top of the file */
	struct iova *rsv_list;		/* linked through _link */
	atomic_ulong live_structs;
	atomic_ulong bad_frees;
	bool rcaches;			/* iova_domain_init_caches() done */
};

static _Atomic(iova_linux_bad_free_fn) bad_free_hook;
static atomic_uint cache_users;

/* --- small helpers ------------------------------------------------- */

static uint64_t pow2_up(uint64_t x)	/* x <= 2^63 */
{
	return UINT64_C(1) << iova_clog2(x);
}

static unsigned int granule_shift(const struct iova_domain *iovad)
{
	return iova_ctz64(iovad->granule);
}

static unsigned long top_pfn(const struct iova_domain *iovad)
{
	return ULONG_MAX >> granule_shift(iovad);
}

static struct iova *struct_alloc(struct iova_linux_priv *p)
{
	struct iova *it = iova__node_alloc(p->nd, sizeof(*it));

	if (it)
		it->_link = NULL;
	return it;
}

static void struct_free(struct iova_linux_priv *p, struct iova *it)
{
	iova__node_free(p->nd, it, sizeof(*it));
}

static void bad_free(struct iova_domain *iovad, struct iova_linux_priv *p,
		     unsigned long pfn, const char *what)
{
	iova_linux_bad_free_fn fn = atomic_load(&bad_free_hook);

	if (p)
		atomic_fetch_add(&p->bad_frees, 1);
	if (fn) {
		fn(iovad, pfn, what);
	} else if (IOVA_DEBUG >= 1) {
		fprintf(stderr, "libiova: bad free of pfn %#lx: %s\n", pfn,
			what);
		abort();
	}
}

void iova_linux_set_bad_free_hook(iova_linux_bad_free_fn fn)
{
	atomic_store(&bad_free_hook, fn);
}

/* --- domain lifetime ----------------------------------------------- */

static void priv_destroy(struct iova_linux_priv *p)
{
	struct iova_ndomain *nd = p->nd;

	iova_lock_destroy(&p->lock);
	iova__node_free(nd, p, sizeof(*p));
	iova_domain_destroy(nd);
}

/*
 * Memory of the native domain: index nodes on cache lines (as the native
 * default does), small objects (struct iova, 24 bytes) from plain malloc so
 * that they cost a malloc chunk, not an aligned block.  Both go through
 * iova__node_alloc(), so fault injection counts them.
 */
static void *compat_mem_alloc(size_t size, void *ctx)
{
	void *p;

	(void)ctx;
	if (size <= sizeof(struct iova_linux_priv))
		return malloc(size);
	return posix_memalign(&p, 64, size) ? NULL : p;
}

static void compat_mem_free(void *ptr, size_t size, void *ctx)
{
	(void)size;
	(void)ctx;
	free(ptr);
}

static const struct iova_mem_hooks compat_mem = { compat_mem_alloc,
						  compat_mem_free, NULL };

/* The native domain with its floor, and the private state; NULL: ENOMEM. */
static struct iova_linux_priv *priv_create(const struct iova_domain *iovad)
{
	struct iova_domain_config cfg = {
		.granule = iovad->granule,
		.start_pfn = 0,
		.end_pfn = top_pfn(iovad),
		.mem = &compat_mem,
		.flags = IOVA_DOMAIN_UDATA,
	};
	struct iova_linux_priv *p;
	struct iova_ndomain *nd;

	if (iova_domain_create(&cfg, &nd))
		return NULL;
	if (iovad->start_pfn && iova_reserve(nd, 0, iovad->start_pfn - 1))
		goto fail;
	p = iova__node_alloc(nd, sizeof(*p));
	if (!p)
		goto fail;
	p->nd = nd;
	p->rsv_list = NULL;
	atomic_init(&p->live_structs, 0);
	atomic_init(&p->bad_frees, 0);
	p->rcaches = false;
	if (iova_lock_init(&p->lock)) {
		iova__node_free(nd, p, sizeof(*p));
		goto fail;
	}
	return p;
fail:
	iova_domain_destroy(nd);
	return NULL;
}

/*
 * The private state of a usable domain, created now if an earlier attempt
 * ran out of memory.  NULL: the domain is not usable (see the magic) or
 * memory is short.
 */
static struct iova_linux_priv *domain_priv(struct iova_domain *iovad)
{
	struct iova_linux_priv *p, *expected = NULL;

	if (!iovad || iovad->_magic != MAGIC_LIVE)
		return NULL;
	p = __atomic_load_n(&iovad->_priv, __ATOMIC_ACQUIRE);
	if (p)
		return p;
	p = priv_create(iovad);
	if (!p)
		return NULL;
	if (!__atomic_compare_exchange_n(&iovad->_priv, &expected, p, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		priv_destroy(p);	/* another thread won */
		return expected;
	}
	return p;
}

void init_iova_domain(struct iova_domain *iovad, unsigned long granule,
		      unsigned long start_pfn)
{
	if (!iovad)
		return;
	iovad->granule = granule;
	iovad->start_pfn = start_pfn;
	iovad->_priv = NULL;
	if (!iova_is_pow2(granule) || granule > (1UL << 31)) {
		iovad->dma_32bit_pfn = iovad->max32_alloc_size = 0;
		iovad->_magic = MAGIC_BAD;
		return;
	}
	iovad->dma_32bit_pfn =
		(unsigned long)(UINT64_C(1) << (32 - granule_shift(iovad)));
	iovad->max32_alloc_size = iovad->dma_32bit_pfn;
	iovad->_magic = MAGIC_LIVE;
	(void)domain_priv(iovad);	/* on failure, the next call retries */
}

static int free_struct_cb(const struct iova_range *r, void *arg)
{
	struct iova_linux_priv *p = arg;

	if (!(r->flags & IOVA_RANGE_RESERVED) && r->udata)
		struct_free(p, r->udata);
	return 0;
}

void put_iova_domain(struct iova_domain *iovad)
{
	struct iova_linux_priv *p;

	if (!iovad || (iovad->_magic != MAGIC_LIVE &&
		       iovad->_magic != MAGIC_BAD))
		return;
	p = iovad->_priv;
	if (p) {
		struct iova *it = p->rsv_list;

		iova_for_each(p->nd, free_struct_cb, p);
		while (it) {
			struct iova *next = it->_link;

			struct_free(p, it);
			it = next;
		}
		priv_destroy(p);	/* the caches go with the domain */
	}
	iovad->_priv = NULL;
	iovad->_magic = MAGIC_DEAD;
}

struct iova_ndomain *iova_linux_native(struct iova_domain *iovad)
{
	struct iova_linux_priv *p = domain_priv(iovad);

	return p ? p->nd : NULL;
}

unsigned long iova_linux_bad_frees(const struct iova_domain *iovad)
{
	struct iova_linux_priv *p;

	if (!iovad || iovad->_magic != MAGIC_LIVE)
		return 0;
	p = __atomic_load_n(&iovad->_priv, __ATOMIC_ACQUIRE);
	return p ? atomic_load(&p->bad_frees) : 0;
}

/* --- allocation and free ------------------------------------------- */

struct iova *alloc_iova(struct iova_domain *iovad, unsigned long size,
			unsigned long limit_pfn, bool size_aligned)
{
	struct iova_linux_priv *p = domain_priv(iovad);
	uint64_t align = 1, pfn = 0;
	struct iova_ndomain *nd;
	struct iova *it;
	int ret;

	if (!p || !size || limit_pfn < iovad->start_pfn)
		return NULL;
	if (size_aligned) {
		if (size > HALF_SPACE)
			return NULL;
		align = pow2_up(size);
	}
	/* The struct first: a failure here leaves the index untouched. */
	it = struct_alloc(p);
	if (!it)
		return NULL;
	nd = p->nd;
	/* One lock hold: the range never shows a half-filled struct. */
	iova_lock(&nd->lock);
	ret = iova__alloc_locked(nd, size, align, iovad->start_pfn, limit_pfn,
				 IOVA_TOP_DOWN, it, &pfn);
	if (!ret) {
		it->pfn_lo = (unsigned long)pfn;
		it->pfn_hi = (unsigned long)(pfn + size - 1);
	}
	iova_unlock(&nd->lock);
	if (ret) {
		struct_free(p, it);
		return NULL;
	}
	atomic_fetch_add(&p->live_structs, 1);
	return it;
}

/* Forget a live allocation's struct (after its range left the index). */
static void drop_struct(struct iova_linux_priv *p, struct iova *it)
{
	if (it) {
		atomic_fetch_sub(&p->live_structs, 1);
		struct_free(p, it);
	}
}

/*
 * Free the live range containing pfn in one hold of the domain lock.  If
 * want is not NULL, pfn must be the range's start and want its user
 * pointer.  Returns 0 (*out is the range), -ENOENT (pfn is free), -EPERM
 * (a reservation) or -EINVAL (not want's range).
 */
static int free_checked(struct iova_ndomain *nd, uint64_t pfn,
			const struct iova *want, struct iova_range *out)
{
	struct iova_index_range g;
	int ret;

	iova_lock(&nd->lock);
	if (!iova_index_find(&nd->tree, pfn, &g))
		ret = -ENOENT;
	else if (g.rsv)
		ret = -EPERM;
	else if (want && (g.lo != pfn || g.udata != want))
		ret = -EINVAL;
	else
		ret = iova__free_locked(nd, g.lo, true, out);
	iova__unlock_trim(nd);
	return ret;
}

void __free_iova(struct iova_domain *iovad, struct iova *iova)
{
	struct iova_linux_priv *p = domain_priv(iovad);
	struct iova_range r;
	unsigned long lo;

	if (!p) {
		bad_free(iovad, NULL, iova ? iova->pfn_lo : 0,
			 "domain not usable");
		return;
	}
	if (!iova) {
		bad_free(iovad, p, 0, "NULL struct iova");
		return;
	}
	lo = iova->pfn_lo;
	switch (free_checked(p->nd, lo, iova, &r)) {
	case 0:
		drop_struct(p, iova);
		return;
	case -EPERM:
		bad_free(iovad, p, lo, "struct iova of a reservation");
		return;
	default:
		bad_free(iovad, p, lo, "not the struct iova of a live allocation");
		return;
	}
}

void free_iova(struct iova_domain *iovad, unsigned long pfn)
{
	struct iova_linux_priv *p = domain_priv(iovad);
	struct iova_range r;

	if (!p) {
		bad_free(iovad, NULL, pfn, "domain not usable");
		return;
	}
	switch (free_checked(p->nd, pfn, NULL, &r)) {
	case 0:
		drop_struct(p, r.udata);
		return;
	case -EPERM:
		bad_free(iovad, p, pfn, "pfn reserved");
		return;
	default:
		bad_free(iovad, p, pfn, "pfn not allocated (double free?)");
		return;
	}
}

/* --- lookup --------------------------------------------------------- */

/* With p->lock held: the struct to report for range r containing pfn. */
static struct iova *struct_of_locked(struct iova_linux_priv *p,
				     const struct iova_range *r,
				     unsigned long pfn)
{
	struct iova *it = r->udata;

	if (r->flags & IOVA_RANGE_RESERVED) {
		/* NULL: the floor alone; else only what users reserved. */
		if (!it || pfn < it->pfn_lo || pfn > it->pfn_hi)
			return NULL;
		return it;
	}
	if (it)
		return it;
	/* An alloc_iova_fast() range: make its struct now. */
	it = struct_alloc(p);
	if (!it)
		return NULL;
	it->pfn_lo = (unsigned long)r->lo;
	it->pfn_hi = (unsigned long)r->hi;
	if (iova_set_udata(p->nd, r->lo, it)) {
		struct_free(p, it);	/* freed concurrently */
		return NULL;
	}
	atomic_fetch_add(&p->live_structs, 1);
	return it;
}

struct iova *find_iova(struct iova_domain *iovad, unsigned long pfn)
{
	struct iova_linux_priv *p = domain_priv(iovad);
	struct iova_range r;
	struct iova *it;

	if (!p || iova_find(p->nd, pfn, &r))
		return NULL;
	if (r.udata && !(r.flags & IOVA_RANGE_RESERVED))
		return r.udata;	/* the common case: no second lock */
	/* Reservations (whose extent reserve_iova() may be widening) and
	 * ranges without a struct: look again under priv->lock. */
	iova_lock(&p->lock);
	it = iova_find(p->nd, pfn, &r) ? NULL : struct_of_locked(p, &r, pfn);
	iova_unlock(&p->lock);
	return it;
}

/* --- reservations --------------------------------------------------- */

struct iova *reserve_iova(struct iova_domain *iovad, unsigned long pfn_lo,
			  unsigned long pfn_hi)
{
	struct iova_linux_priv *p = domain_priv(iovad);
	struct iova *keep = NULL, *fresh;
	unsigned long lo = pfn_lo, hi = pfn_hi, top;
	struct iova_range r;
	uint64_t cur;

	if (!p || pfn_lo > pfn_hi)
		return NULL;
	top = top_pfn(iovad);
	if (pfn_hi > top)
		return NULL;
	iova_lock(&p->lock);
	fresh = struct_alloc(p);
	if (!fresh)
		goto fail;
	/*
	 * The reservations the native call will merge are those that overlap
	 * or touch [pfn_lo, pfn_hi].  The lowest with a struct keeps it, and
	 * the extent it reports grows to cover all of them.
	 */
	cur = pfn_lo ? pfn_lo - 1 : 0;
	while (!iova_find_next(p->nd, cur, &r) &&
	       (r.lo <= pfn_hi || (pfn_hi < top && r.lo == pfn_hi + 1))) {
		struct iova *it = r.udata;

		if ((r.flags & IOVA_RANGE_RESERVED) && it) {
			if (!keep)
				keep = it;
			if (it->pfn_lo < lo)
				lo = it->pfn_lo;
			if (it->pfn_hi > hi)
				hi = it->pfn_hi;
		}
		if (r.hi >= top)
			break;
		cur = r.hi + 1;
	}
	if (iova_reserve(p->nd, pfn_lo, pfn_hi))
		goto fail;	/* -EBUSY or -ENOMEM: nothing changed */
	if (keep) {
		struct_free(p, fresh);
	} else {
		keep = fresh;
		keep->_link = p->rsv_list;
		p->rsv_list = keep;
	}
	keep->pfn_lo = lo;
	keep->pfn_hi = hi;
	/* Cannot fail: the merged range contains pfn_lo and we hold p->lock. */
	iova_set_udata(p->nd, pfn_lo, keep);
	iova_unlock(&p->lock);
	return keep;
fail:
	if (fresh)
		struct_free(p, fresh);
	iova_unlock(&p->lock);
	return NULL;
}

/* --- the fast path ---------------------------------------------------- */

bool iova_linux_have_rcaches(void)
{
	return true;	/* the per-CPU caches are always built in */
}

int iova_linux_init_rcaches(struct iova_domain *iovad, unsigned int nr_cpus,
			    unsigned int flags)
{
	struct iova_cache_config cfg = {
		.max_order = IOVA_RANGE_CACHE_MAX_SIZE,
		.mag_size = IOVA_MAG_SIZE,
		.nr_cpus = nr_cpus,
		.flags = flags & IOVA_LINUX_CHECK_FREES ? IOVA_CACHE_CHECK_FREES : 0,
	};
	struct iova_linux_priv *p;
	int ret;

	if (!iovad || iovad->_magic != MAGIC_LIVE ||
	    (flags & ~IOVA_LINUX_CHECK_FREES))
		return -EINVAL;
	p = domain_priv(iovad);
	if (!p)
		return -ENOMEM;
	if (p->rcaches || !iova_linux_have_rcaches())
		return 0;	/* without caches the fast calls use the index */
	ret = iova_domain_init_caches(p->nd, &cfg);
	if (ret == -EEXIST)
		ret = 0;
	if (!ret)
		p->rcaches = true;
	return ret;
}

int iova_domain_init_rcaches(struct iova_domain *iovad)
{
	return iova_linux_init_rcaches(iovad, 0, 0);
}

unsigned long alloc_iova_fast(struct iova_domain *iovad, unsigned long size,
			      unsigned long limit_pfn, bool flush_rcache)
{
	struct iova_linux_priv *p = domain_priv(iovad);
	uint64_t pfn = 0;
	int ret;

	if (!p || !size || size > HALF_SPACE || limit_pfn < iovad->start_pfn)
		return 0;
	if (size < FAST_ROUND_BELOW)
		size = (unsigned long)pow2_up(size);
	if (iova_linux_have_rcaches())
		ret = iova_alloc_fast(p->nd, size, limit_pfn, flush_rcache, &pfn);
	else
		ret = iova_alloc(p->nd, size, pow2_up(size), iovad->start_pfn,
				 limit_pfn, IOVA_TOP_DOWN, &pfn);
	return ret ? 0 : (unsigned long)pfn;
}

void free_iova_fast(struct iova_domain *iovad, unsigned long pfn,
		    unsigned long size)
{
	struct iova_linux_priv *p = domain_priv(iovad);
	uint64_t want;
	struct iova_range r;
	bool found;

	if (!p) {
		bad_free(iovad, NULL, pfn, "domain not usable");
		return;
	}
	if (!size || size > HALF_SPACE) {
		bad_free(iovad, p, pfn, "size 0 or above 2^63");
		return;
	}
	want = size < FAST_ROUND_BELOW ? pow2_up(size) : size;
	/*
	 * Without caches, or when a live allocation may carry a struct (made
	 * by alloc_iova() or find_iova()), look the range up: it must start
	 * at pfn and have the (rounded) size, and its struct goes now, since
	 * a cached range is handed out again without one.
	 */
	found = false;
	if (!iova_linux_have_rcaches() || atomic_load(&p->live_structs)) {
		if (iova_find(p->nd, pfn, &r) ||
		    (r.flags & IOVA_RANGE_RESERVED) || r.lo != pfn ||
		    r.hi - r.lo + 1 != want) {
			bad_free(iovad, p, pfn,
				 "not the start of a live fast range of that size");
			return;
		}
		found = true;
	}
	if (!iova_linux_have_rcaches()) {
		if (iova_free(p->nd, pfn)) {
			bad_free(iovad, p, pfn, "range freed concurrently");
			return;
		}
		drop_struct(p, r.udata);
		return;
	}
	if (found && r.udata) {
		iova_set_udata(p->nd, pfn, NULL);
		drop_struct(p, r.udata);
	}
	if (iova_free_fast(p->nd, pfn, want))
		bad_free(iovad, p, pfn,
			 "not the start of a live fast range of that size");
}

/* --- process-wide --------------------------------------------------- */

int iova_cache_get(void)
{
	atomic_fetch_add(&cache_users, 1);
	return 0;
}

void iova_cache_put(void)
{
	unsigned int n = atomic_load(&cache_users);

	while (n && !atomic_compare_exchange_weak(&cache_users, &n, n - 1))
		;
}
