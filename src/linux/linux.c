// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * The Linux IOVA API (alloc_iova(), find_iova(), reserve_iova(), the fast
 * calls...) on top of a native domain, with one behaviour in both builds:
 * userspace (include/iova/linux.h) and the kernel (our include/linux/iova.h,
 * kernel/linux/iova.h), which compile this file unchanged.  The struct
 * iova_domain and struct iova come from the environment's header
 * (IOVA_ENV_LINUX_H); the behaviour is documented in docs/linux-compat.md.
 *
 * A Linux domain owns a native domain created with IOVA_DOMAIN_UDATA over
 * [start_pfn, ULONG_MAX >> shift], in which every range's user pointer is
 * its struct iova:
 *
 *   live allocation from alloc_iova()       -> its struct iova (always)
 *   live allocation from alloc_iova_fast()  -> NULL until find_iova() makes
 *                                              one
 *
 * As in mainline, where the struct is the tree node, a range keeps its
 * struct while a per-CPU cache holds it: free_iova_fast() only moves the
 * range.  The struct is freed when the range leaves the index (a free, or
 * a cache giving it back: the domain's udata_release) or at put.
 *   reservation                             -> the struct of the lowest
 *                                              reservation merged in it
 *
 * Reservations below start_pfn touch no native range (nothing below it is
 * ever handed out); their structs are only on rsv_list, where find_iova()
 * of such a pfn looks.
 *
 * Counting identity (struct iova_linux_priv):
 *   rsv_list == every struct reserve_iova() made (freed by put)
 *
 * Locking: the native domain lock protects the index and the user
 * pointers against other writers (find_iova() reads both without it, see
 * src/domain/domain.h); priv->lock serialises reserve_iova() (and the reads of
 * rsv_list) and is taken before, never inside, the native lock.
 */
#include "../cache/mag.h"
#include IOVA_ENV_LINUX_H

#define MAGIC_LIVE 0x10fa11e5c0a7d0a1UL	/* init_iova_domain() ran */
#define MAGIC_BAD 0x10fa11e5bad0bad0UL	/* bad granule: every call fails */
#define MAGIC_DEAD 0x10fa11e5dead0000UL	/* put_iova_domain() ran */

/* Sizes above this cannot be size-aligned (2^63 with a 64-bit long). */
#define HALF_SPACE (ULONG_MAX / 2 + 1)

/* The Linux constants are the caches' defaults: one home for each. */
_Static_assert(IOVA_RANGE_CACHE_MAX_SIZE == IOVA_CACHE_DEFAULT_MAX_ORDER,
	       "Linux caches orders 0..5");
_Static_assert(IOVA_MAG_SIZE == IOVA_CACHE_DEFAULT_MAG_SIZE,
	       "a Linux magazine holds 127 pfns");

struct iova_linux_priv {
	struct iova_ndomain *nd;
	iova_lock_t lock;		/* see the top of the file */
	struct iova *rsv_list;		/* linked through _link */
	iova_atomic_t bad_frees;
};

static iova_linux_bad_free_fn bad_free_hook;
static iova_atomic_t cache_users;

/* --- small helpers ------------------------------------------------- */

static unsigned int granule_shift(const struct iova_domain *iovad)
{
	return iova_ctz64(iovad->granule);
}

static unsigned long top_pfn(const struct iova_domain *iovad)
{
	return ULONG_MAX >> granule_shift(iovad);
}

static struct iova *struct_alloc(struct iova_linux_priv *p, uint64_t lo,
				 uint64_t hi)
{
	struct iova *it = iova__mem_alloc(p->nd, sizeof(*it));

	if (it) {
		it->_link = NULL;
		it->pfn_lo = (unsigned long)lo;
		it->pfn_hi = (unsigned long)hi;
	}
	return it;
}

static void struct_free(struct iova_linux_priv *p, struct iova *it)
{
	iova__mem_free(p->nd, it, sizeof(*it));
}

/* Forget a live allocation's struct (after its range left the index). */
static void drop_struct(struct iova_linux_priv *p, struct iova *it)
{
	if (it)
		struct_free(p, it);
}

/*
 * The native domain's hook for a struct still attached to a range that the
 * caches give back to the index (a find_iova() of a cached range).
 */
static void release_struct(struct iova_ndomain *nd, void *udata)
{
	struct iova_linux_priv *p = nd->udata_release_ctx;

	drop_struct(p, udata);
}

static void bad_free(struct iova_domain *iovad, struct iova_linux_priv *p,
		     unsigned long pfn, const char *what)
{
	iova_linux_bad_free_fn fn = iova_load_acquire(&bad_free_hook);

	if (p)
		iova_atomic_inc(&p->bad_frees);
	iova_env_count(IOVA_EV_BAD_FREE);
	if (fn)
		fn(iovad, pfn, what);
	else
		iova__report_bad_free(iovad, pfn, what);
}

void iova_linux_set_bad_free_hook(iova_linux_bad_free_fn fn)
{
	iova_store_release(&bad_free_hook, fn);
}

/* --- domain lifetime ----------------------------------------------- */

static void priv_destroy(struct iova_linux_priv *p)
{
	struct iova_ndomain *nd = p->nd;

	iova_lock_destroy(&p->lock);
	iova__mem_free(nd, p, sizeof(*p));
	iova_domain_destroy(nd);
}

/* The native domain and the private state; NULL: memory is short. */
static struct iova_linux_priv *priv_create(const struct iova_domain *iovad)
{
	struct iova_domain_config cfg = {
		.granule = iovad->granule,
		.start_pfn = iovad->start_pfn,
		.end_pfn = top_pfn(iovad),
		.mem = &iova__linux_mem,
		.flags = IOVA_DOMAIN_UDATA,
	};
	bool empty = iovad->start_pfn > cfg.end_pfn;
	struct iova_linux_priv *p;
	struct iova_ndomain *nd;

	/* A start_pfn above the pfn space leaves nothing to hand out: the
	 * native domain is its last pfn, reserved. */
	if (empty)
		cfg.start_pfn = cfg.end_pfn;
	if (iova__domain_create(&cfg, &nd))
		return NULL;
	if (empty && iova_reserve(nd, cfg.end_pfn, cfg.end_pfn))
		goto fail;
	p = iova__mem_alloc(nd, sizeof(*p));
	if (!p)
		goto fail;
	p->nd = nd;
	p->rsv_list = NULL;
	iova_atomic_init(&p->bad_frees, 0);
	if (iova_lock_init(&p->lock)) {
		iova__mem_free(nd, p, sizeof(*p));
		goto fail;
	}
	nd->udata_release = release_struct;
	nd->udata_release_ctx = p;
	return p;
fail:
	iova_domain_destroy(nd);
	return NULL;
}

/* domain_priv() when the private state does not exist yet. */
static iova_noinline struct iova_linux_priv *
domain_priv_create(struct iova_domain *iovad)
{
	struct iova_linux_priv *p = priv_create(iovad);

	if (!p)
		return NULL;
	if (!iova_cmpxchg_ptr(&iovad->_priv, (struct iova_linux_priv *)NULL, p)) {
		priv_destroy(p);	/* another thread won */
		p = iova_load_acquire(&iovad->_priv);
	}
	return p;
}

/*
 * The private state of a usable domain, created now if an earlier attempt
 * ran out of memory.  NULL: the domain is not usable (see the magic) or
 * memory is short.
 */
static inline struct iova_linux_priv *domain_priv(struct iova_domain *iovad)
{
	struct iova_linux_priv *p;

	if (iova_unlikely(!iovad || iovad->_magic != MAGIC_LIVE))
		return NULL;
	p = iova_load_acquire(&iovad->_priv);
	if (iova_likely(p))
		return p;
	return domain_priv_create(iovad);
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
		iova_env_misuse("init_iova_domain() with a bad granule");
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
IOVA_EXPORT(init_iova_domain);

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

		if (p->nd->rcache)
			iova_env_domain_down(iovad);
		/* Cached ranges are live ranges: their structs go here too. */
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
IOVA_EXPORT(put_iova_domain);

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
	p = iova_load_acquire(&iovad->_priv);
	return p ? iova_atomic_read(&p->bad_frees) : 0;
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

	if (!size)
		iova_env_misuse("alloc_iova() of size 0");
	if (!p || !size || limit_pfn < iovad->start_pfn)
		return NULL;
	if (size_aligned) {
		if (size > HALF_SPACE)
			return NULL;
		align = UINT64_C(1) << iova_clog2(size);
	}
	/* The struct first: a failure here leaves the index untouched. */
	it = struct_alloc(p, 0, 0);
	if (!it)
		return NULL;
	nd = p->nd;
	/* One lock hold: the range never shows a half-filled struct. */
	iova_lock(&nd->lock);
	ret = iova__alloc_flush_locked(nd, size, align, 0, limit_pfn,
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
	return it;
}
IOVA_EXPORT(alloc_iova);

/*
 * Free the live range containing pfn in one hold of the native lock.  If
 * want is not NULL, pfn must be the range's start and want its struct.
 * Returns 0 (*out is the range), -ENOENT (no live range), -EPERM (a
 * reservation) or -EINVAL (not want's range).
 */
static int free_checked(struct iova_ndomain *nd, uint64_t pfn,
			const struct iova *want, struct iova_range *out)
{
	int ret;

	iova_lock(&nd->lock);
	if (iova__find_locked(nd, pfn, false, out))
		ret = -ENOENT;
	else if (out->flags & IOVA_RANGE_RESERVED)
		ret = -EPERM;
	else if (want && (out->lo != pfn || out->udata != want))
		ret = -EINVAL;
	else	/* checked above, under this lock hold */
		ret = iova__free_start_locked(nd, out->lo, out);
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
IOVA_EXPORT(__free_iova);

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
IOVA_EXPORT(free_iova);

/* --- lookup --------------------------------------------------------- */

/* A reservation below start_pfn covering pfn, from rsv_list. */
static struct iova *find_low_reservation(struct iova_linux_priv *p,
					 unsigned long pfn)
{
	struct iova *it;

	iova_lock(&p->lock);
	for (it = p->rsv_list; it; it = it->_link)
		if (it->pfn_lo <= pfn && pfn <= it->pfn_hi)
			break;
	iova_unlock(&p->lock);
	return it;
}

/*
 * The struct of the range containing pfn, read without the domain lock
 * (iova__find()).  A range made by alloc_iova_fast() gets one now, under
 * the lock: allocated with the lock dropped, then attached only if the
 * same range is still there without one (a range freed and placed again
 * meanwhile keeps the struct it has: nothing is ever replaced).
 */
struct iova *find_iova(struct iova_domain *iovad, unsigned long pfn)
{
	struct iova_linux_priv *p = domain_priv(iovad);
	struct iova *it, *fresh = NULL;
	struct iova_ndomain *nd;
	struct iova_range r;

	if (!p)
		return NULL;
	if (pfn < iovad->start_pfn)
		return find_low_reservation(p, pfn);
	nd = p->nd;
	/* Without the lock first: a range that has its struct is answered. */
	if (iova__find(nd, pfn, false, &r))
		return NULL;
	if (r.udata || (r.flags & IOVA_RANGE_RESERVED))
		return r.udata;
	for (;;) {
		iova_lock(&nd->lock);
		if (iova__find_locked(nd, pfn, false, &r)) {
			it = NULL;
		} else if (r.udata || (r.flags & IOVA_RANGE_RESERVED)) {
			it = r.udata;
		} else if (fresh && fresh->pfn_lo == r.lo && fresh->pfn_hi == r.hi) {
			iova__set_udata_locked(nd, pfn, fresh);
			it = fresh;
			fresh = NULL;
		} else {
			/* No struct yet: make one outside the lock and look again. */
			iova_unlock(&nd->lock);
			if (fresh)
				struct_free(p, fresh);
			fresh = struct_alloc(p, r.lo, r.hi);
			if (!fresh)
				return NULL;
			continue;
		}
		iova_unlock(&nd->lock);
		break;
	}
	if (fresh)
		struct_free(p, fresh);
	return it;
}
IOVA_EXPORT(find_iova);

/* --- reservations --------------------------------------------------- */

/*
 * The reservations that overlap or touch [lo, hi] merge with it: the lowest
 * that has a struct keeps it, and the extent it reports grows to cover all
 * of them.  Returns that struct (or NULL) and widens *lo, *hi.
 */
static struct iova *merged_struct(struct iova_linux_priv *p, unsigned long *lo,
				  unsigned long *hi, unsigned long top)
{
	struct iova *keep = NULL;
	struct iova_range r;
	uint64_t cur = *lo ? *lo - 1 : 0, end = *hi;

	while (!iova_find_next(p->nd, cur, &r) &&
	       (r.lo <= end || (end < top && r.lo == end + 1))) {
		struct iova *it = r.udata;

		if ((r.flags & IOVA_RANGE_RESERVED) && it) {
			if (!keep)
				keep = it;
			if (it->pfn_lo < *lo)
				*lo = it->pfn_lo;
			if (it->pfn_hi > *hi)
				*hi = it->pfn_hi;
		}
		if (r.hi >= top)
			break;
		cur = r.hi + 1;
	}
	return keep;
}

struct iova *reserve_iova(struct iova_domain *iovad, unsigned long pfn_lo,
			  unsigned long pfn_hi)
{
	struct iova_linux_priv *p = domain_priv(iovad);
	unsigned long lo = pfn_lo, hi = pfn_hi, top;
	struct iova *keep = NULL, *fresh;

	if (!p)
		return NULL;
	top = top_pfn(iovad);
	if (pfn_lo > pfn_hi || pfn_hi > top) {
		iova_env_misuse("reserve_iova() of an inverted or too high range");
		return NULL;
	}
	iova_lock(&p->lock);
	fresh = struct_alloc(p, pfn_lo, pfn_hi);
	if (!fresh)
		goto fail;
	if (pfn_hi >= iovad->start_pfn) {
		unsigned long in_lo = pfn_lo < iovad->start_pfn ? iovad->start_pfn
								: pfn_lo;

		keep = merged_struct(p, &lo, &hi, top);
		if (iova_reserve(p->nd, in_lo, pfn_hi))
			goto fail;	/* -EBUSY or -ENOMEM: nothing changed */
		if (keep) {
			struct_free(p, fresh);
			fresh = NULL;
			keep->pfn_lo = lo;
			keep->pfn_hi = hi;
		} else {
			keep = fresh;
		}
		/* Cannot fail: the merged range contains in_lo. */
		iova_set_udata(p->nd, in_lo, keep);
	} else {
		keep = fresh;	/* wholly below start_pfn: a record only */
	}
	if (keep == fresh) {
		keep->_link = p->rsv_list;
		p->rsv_list = keep;
	}
	iova_unlock(&p->lock);
	return keep;
fail:
	if (fresh)
		struct_free(p, fresh);
	iova_unlock(&p->lock);
	return NULL;
}
IOVA_EXPORT(reserve_iova);

/* --- the fast path ---------------------------------------------------- */

/*
 * The size the fast calls use, as mainline rounds it whether or not the
 * caches exist: below 2^(IOVA_RANGE_CACHE_MAX_SIZE - 1), up to a power of
 * two (the caches' own rounding then agrees: the same orders).
 */
static inline uint64_t fast_size(unsigned long size)
{
	if (size < (1UL << (IOVA_RANGE_CACHE_MAX_SIZE - 1)))
		return UINT64_C(1) << iova_flog2(2 * (uint64_t)size - 1);
	return size;
}

int iova_linux_init_rcaches(struct iova_domain *iovad, unsigned int nr_cpus,
			    unsigned int flags)
{
	struct iova_cache_config cfg = {
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
	ret = iova_domain_init_caches(p->nd, &cfg);
	if (!ret)
		iova_env_caches_up(iovad);
	return ret == -EEXIST ? 0 : ret;
}

int iova_domain_init_rcaches(struct iova_domain *iovad)
{
	return iova_linux_init_rcaches(iovad, 0, 0);
}
IOVA_EXPORT(iova_domain_init_rcaches);

unsigned long alloc_iova_fast(struct iova_domain *iovad, unsigned long size,
			      unsigned long limit_pfn, bool flush_rcache)
{
	struct iova_linux_priv *p = domain_priv(iovad);
	uint64_t pfn = 0, fsize;
	struct iova_rcache *rc;

	if (iova_unlikely(!p || !size || size > HALF_SPACE ||
			  limit_pfn < iovad->start_pfn)) {
		if (!size)
			iova_env_misuse("alloc_iova_fast() of size 0");
		return 0;
	}
	fsize = fast_size(size);
	/* A cache hit, inlined as the native entry point has it. */
	rc = iova_load_acquire(&p->nd->rcache);
	if (iova_likely(cache_fast_get(rc, cache_size_order(fsize), limit_pfn, &pfn)))
		return (unsigned long)pfn;
	if (iova_alloc_fast(p->nd, fsize, limit_pfn, flush_rcache, &pfn))
		return 0;
	return (unsigned long)pfn;
}
IOVA_EXPORT(alloc_iova_fast);

void free_iova_fast(struct iova_domain *iovad, unsigned long pfn,
		    unsigned long size)
{
	struct iova_linux_priv *p = domain_priv(iovad);
	struct iova_rcache *rc;
	uint64_t fsize;

	if (iova_unlikely(!p || !size || size > HALF_SPACE)) {
		bad_free(iovad, p, pfn, p ? "size 0 or above 2^63"
					  : "domain not usable");
		return;
	}
	fsize = fast_size(size);
	/* A push to this CPU's magazine, inlined as the native entry point
	 * has it (unchecked caches only; a misaligned or outside pfn goes on
	 * to be refused below).  A struct stays with its range. */
	rc = iova_load_acquire(&p->nd->rcache);
	if (iova_likely(cache_fast_put(rc, cache_size_order(fsize), pfn) > 0))
		return;
	if (iova_unlikely(iova_free_fast(p->nd, pfn, fsize)))
		bad_free(iovad, p, pfn, "not the start of a live fast range of that size");
}
IOVA_EXPORT(free_iova_fast);

/* --- process-wide --------------------------------------------------- */

int iova_cache_get(void)
{
	iova_atomic_inc(&cache_users);
	return 0;
}
IOVA_EXPORT(iova_cache_get);

void iova_cache_put(void)
{
	/* A put without a get is ignored. */
	if (iova_atomic_read(&cache_users))
		iova_atomic_dec(&cache_users);
}
IOVA_EXPORT(iova_cache_put);
