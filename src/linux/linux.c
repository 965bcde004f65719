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
 * ever handed out); their structs are only in rsv[], where find_iova() of
 * such a pfn looks.
 *
 * Counting identity (struct iova_linux_priv):
 *   rsv[0 .. nr_rsv) == every struct reserve_iova() made (freed by put)
 *
 * Every struct iova comes from the domain's slab (struct struct_slab):
 * chunks of SLAB_CHUNK_BYTES through the domain's memory hooks, each with
 * its own free list, so that a 16-byte struct costs 16 bytes and a bit, not
 * a malloc chunk.  A chunk is allocated with every lock dropped; a free
 * never allocates (it cannot fail); an empty chunk goes back to the hooks,
 * except one kept as a spare so that an alloc+free pair at a chunk's edge
 * does not allocate every time; put frees them all.
 *
 * Locking: the native domain lock protects the slab, and the index and the
 * user pointers against other writers (find_iova() reads both without it,
 * see src/domain/domain.h); priv->lock serialises reserve_iova() (and the
 * reads of rsv[]) and is taken before, never inside, the native lock.
 */
#include "../cache/mag.h"
#include IOVA_ENV_LINUX_H

#define MAGIC_LIVE 0x10fa11e5c0a7d0a1UL	/* init_iova_domain() ran */
#define MAGIC_BAD 0x10fa11e5bad0bad0UL	/* bad granule: every call fails */
#define MAGIC_DEAD 0x10fa11e5dead0000UL	/* put_iova_domain() ran */

/* Sizes above this cannot be size-aligned (2^63 with a 64-bit long). */
#define HALF_SPACE (ULONG_MAX / 2 + 1)

/* The Linux constants are the caches' defaults: one home for each. */
static_assert(IOVA_RANGE_CACHE_MAX_SIZE == IOVA_CACHE_DEFAULT_MAX_ORDER,
	      "Linux caches orders 0..5");
static_assert(IOVA_MAG_SIZE == IOVA_CACHE_DEFAULT_MAG_SIZE,
	      "a Linux magazine holds 127 pfns");

/* A slab chunk: a header, then objects (16-byte aligned). */
#define SLAB_CHUNK_BYTES 4096u

struct slab_chunk {
	struct slab_chunk *next, *prev;	/* on the partial list */
	void *free;		/* freed objects, linked through their first word */
	uint32_t used;		/* objects handed out */
	uint32_t fresh;		/* obj[fresh..] were never handed out */
	struct iova obj[];
};

#define SLAB_OBJS \
	((SLAB_CHUNK_BYTES - sizeof(struct slab_chunk)) / sizeof(struct iova))
static_assert(sizeof(struct slab_chunk) % 16 == 0 && SLAB_OBJS >= 64,
	      "a slab chunk holds many aligned structs");

/*
 * Under the native domain lock.  Every chunk is in tab[], an open-addressed
 * hash set (linear probing, at most half full) keyed by the SLAB_CHUNK_BYTES
 * frame its address starts in: two chunks cannot start in one frame, and an
 * object lies in the chunk starting in its own frame or in the one before,
 * so a free finds its chunk in one or two short probes whatever the number
 * of chunks and wherever the hooks put them.
 */
struct struct_slab {
	struct slab_chunk **tab;	/* cap slots (a power of two), NULL: empty */
	size_t nr, cap;			/* chunks in tab[], its slots */
	struct slab_chunk *partial;	/* chunks with an object to hand out */
	struct slab_chunk *spare;	/* an empty chunk kept, or NULL */
	struct slab_chunk *last;	/* where the last object came or went */
};

struct iova_linux_priv {
	struct iova_ndomain *nd;
	iova_lock_t lock;		/* see the top of the file */
	struct iova **rsv;		/* every reservation's struct */
	size_t nr_rsv, cap_rsv;
	struct struct_slab slab;	/* under nd->lock */
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

/* --- the struct iova slab (see the top of the file) ---------------- */

static void partial_push(struct struct_slab *s, struct slab_chunk *c)
{
	c->prev = NULL;
	c->next = s->partial;
	if (s->partial)
		s->partial->prev = c;
	s->partial = c;
}

static void partial_unlink(struct struct_slab *s, struct slab_chunk *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		s->partial = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

static bool chunk_holds(const struct slab_chunk *c, const struct iova *it)
{
	uintptr_t a = (uintptr_t)it, b = (uintptr_t)c->obj;

	return a >= b && a < b + SLAB_OBJS * sizeof(struct iova);
}

static uintptr_t frame_of(const void *a)
{
	return (uintptr_t)a / SLAB_CHUNK_BYTES;
}

/* Where a chunk starting in frame f is looked for first (cap > 1). */
static size_t frame_home(size_t cap, uintptr_t f)
{
	return (size_t)(((uint64_t)f * UINT64_C(0x9e3779b97f4a7c15)) >> 32) &
	       (cap - 1);
}

/* The chunk that starts in frame f, or NULL. */
static struct slab_chunk *tab_find(const struct struct_slab *s, uintptr_t f)
{
	struct slab_chunk *c;
	size_t i;

	if (!s->cap)
		return NULL;
	i = frame_home(s->cap, f);
	while ((c = s->tab[i]) && frame_of(c) != f)
		i = (i + 1) & (s->cap - 1);
	return c;
}

/* Into a table of cap slots with room (fewer than cap / 2 used). */
static void tab_add(struct slab_chunk **tab, size_t cap, struct slab_chunk *c)
{
	size_t i = frame_home(cap, frame_of(c));

	while (tab[i])
		i = (i + 1) & (cap - 1);
	tab[i] = c;
}

/*
 * Take c out, moving back every later entry of its probe run that may
 * take the freed slot (one whose home is not cyclically in (hole, j]), so
 * that no lookup meets an empty slot before its chunk.
 */
static void tab_remove(struct struct_slab *s, struct slab_chunk *c)
{
	size_t mask = s->cap - 1, hole = frame_home(s->cap, frame_of(c)), j;

	while (s->tab[hole] != c)
		hole = (hole + 1) & mask;
	for (j = (hole + 1) & mask; s->tab[j]; j = (j + 1) & mask) {
		size_t home = frame_home(s->cap, frame_of(s->tab[j]));

		if (((j - home) & mask) >= ((j - hole) & mask)) {
			s->tab[hole] = s->tab[j];
			hole = j;
		}
	}
	s->tab[hole] = NULL;
}

/* The chunk an object of this slab lies in (nd->lock held). */
static struct slab_chunk *chunk_of(const struct struct_slab *s,
				   const struct iova *it)
{
	struct slab_chunk *c = s->last;

	if (iova_likely(c && chunk_holds(c, it)))
		return c;
	c = tab_find(s, frame_of(it));
	if (!c || !chunk_holds(c, it))
		c = tab_find(s, frame_of(it) - 1);
	iova_assert(c && chunk_holds(c, it),
		    "a struct iova that is not from its domain's slab");
	return c;
}

/* An object, or NULL when no chunk has one (nd->lock held). */
static struct iova *slab_get_locked(struct struct_slab *s)
{
	struct slab_chunk *c = s->partial;
	struct iova *it;

	if (iova_unlikely(!c))
		return NULL;
	if (c->free) {
		it = c->free;
		c->free = *(void **)c->free;
	} else {
		it = &c->obj[c->fresh++];
	}
	if (++c->used == SLAB_OBJS)
		partial_unlink(s, c);
	if (iova_unlikely(c == s->spare))
		s->spare = NULL;
	s->last = c;
	return it;
}

/*
 * Give an object back (nd->lock held).  Returns a chunk that became empty
 * and must go back to the hooks (the caller frees it, after the unlock if
 * it can), or NULL.  Never allocates.
 */
static struct slab_chunk *slab_put_locked(struct struct_slab *s,
					  struct iova *it)
{
	struct slab_chunk *c = chunk_of(s, it);

	*(void **)it = c->free;
	c->free = it;
	if (c->used-- == SLAB_OBJS)
		partial_push(s, c);
	s->last = c;
	if (iova_likely(c->used))
		return NULL;
	if (!s->spare) {
		s->spare = c;
		return NULL;
	}
	partial_unlink(s, c);
	tab_remove(s, c);
	s->nr--;
	s->last = NULL;
	return c;
}

static void chunk_release(struct iova_linux_priv *p, struct slab_chunk *c)
{
	if (c)
		iova__mem_free(p->nd, c, SLAB_CHUNK_BYTES);
}

/*
 * One more chunk (and a table twice as large when the chunk would fill
 * the table past half), allocated with every lock dropped.  0 (the caller
 * looks again: another thread may have used the new objects meanwhile) or
 * -ENOMEM.
 */
static iova_noinline int slab_grow(struct iova_linux_priv *p)
{
	struct iova_ndomain *nd = p->nd;
	struct struct_slab *s = &p->slab;
	struct slab_chunk **tab = NULL, **old = NULL, *c;
	size_t cap, old_cap = 0, k;

	iova_lock(&nd->lock);
	cap = 2 * (s->nr + 1) <= s->cap ? 0 : s->cap ? 2 * s->cap : 16;
	iova_unlock(&nd->lock);
	c = iova__mem_alloc(nd, SLAB_CHUNK_BYTES);
	if (!c)
		return -ENOMEM;
	if (cap) {
		tab = iova__mem_alloc(nd, cap * sizeof(*tab));
		if (!tab) {
			iova__mem_free(nd, c, SLAB_CHUNK_BYTES);
			return -ENOMEM;
		}
		iova_memset(tab, 0, cap * sizeof(*tab));
	}
	iova_lock(&nd->lock);
	if (tab && cap > s->cap) {
		for (k = 0; k < s->cap; k++)
			if (s->tab[k])
				tab_add(tab, cap, s->tab[k]);
		old = s->tab;
		old_cap = s->cap;
		s->tab = tab;
		s->cap = cap;
		tab = NULL;
	}
	if (2 * (s->nr + 1) <= s->cap) {
		tab_add(s->tab, s->cap, c);
		s->nr++;
		c->free = NULL;
		c->used = 0;
		c->fresh = 0;
		partial_push(s, c);
		c = NULL;
	}
	iova_unlock(&nd->lock);
	/* c: another thread filled the table meanwhile; look again. */
	if (c)
		iova__mem_free(nd, c, SLAB_CHUNK_BYTES);
	if (tab)
		iova__mem_free(nd, tab, cap * sizeof(*tab));
	if (old)
		iova__mem_free(nd, old, old_cap * sizeof(*old));
	return 0;
}

/* Every chunk back to the hooks (put: nothing else runs). */
static void slab_destroy(struct iova_linux_priv *p)
{
	struct struct_slab *s = &p->slab;
	size_t k;

	for (k = 0; k < s->cap; k++)
		if (s->tab[k])
			iova__mem_free(p->nd, s->tab[k], SLAB_CHUNK_BYTES);
	if (s->tab)
		iova__mem_free(p->nd, s->tab, s->cap * sizeof(s->tab[0]));
	s->tab = NULL;
	s->nr = 0;
	s->cap = 0;
	s->partial = NULL;
	s->spare = NULL;
	s->last = NULL;
}

/* An object with nd->lock held on return; NULL (unlocked): memory is short. */
static struct iova *struct_get_lock(struct iova_linux_priv *p)
{
	struct iova *it;

	for (;;) {
		iova_lock(&p->nd->lock);
		it = slab_get_locked(&p->slab);
		if (iova_likely(it))
			return it;
		iova_unlock(&p->nd->lock);
		if (slab_grow(p))
			return NULL;
	}
}

static struct iova *struct_alloc(struct iova_linux_priv *p, uint64_t lo,
				 uint64_t hi)
{
	struct iova *it = struct_get_lock(p);

	if (it) {
		iova_unlock(&p->nd->lock);
		it->pfn_lo = (unsigned long)lo;
		it->pfn_hi = (unsigned long)hi;
	}
	return it;
}

static void struct_free(struct iova_linux_priv *p, struct iova *it)
{
	struct slab_chunk *c;

	iova_lock(&p->nd->lock);
	c = slab_put_locked(&p->slab, it);
	iova_unlock(&p->nd->lock);
	chunk_release(p, c);
}

/*
 * The native domain's hook for a struct still attached to a range that the
 * caches give back to the index (a find_iova() of a cached range); called
 * with nd->lock held, where the hooks' free may be called.
 */
static void release_struct(struct iova_ndomain *nd, void *udata)
{
	struct iova_linux_priv *p = nd->udata_release_ctx;

	if (udata)
		chunk_release(p, slab_put_locked(&p->slab, udata));
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

	nd->udata_release = NULL;	/* the structs go with the slab */
	slab_destroy(p);
	if (p->rsv)
		iova__mem_free(nd, p->rsv, p->cap_rsv * sizeof(p->rsv[0]));
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

	/*
	 * A start_pfn above the pfn space leaves nothing to hand out: the
	 * native domain is its last pfn, reserved.
	 */
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
	p->rsv = NULL;
	p->nr_rsv = 0;
	p->cap_rsv = 0;
	p->slab = (struct struct_slab){ .tab = NULL };
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

/*
 * The same without creating it (NULL then too): for the inlined cache
 * hits, which then call nothing and leave the creation to their miss path.
 */
static inline struct iova_linux_priv *domain_priv_made(struct iova_domain *iovad)
{
	if (iova_unlikely(!iovad || iovad->_magic != MAGIC_LIVE))
		return NULL;
	return iova_load_acquire(&iovad->_priv);
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
		iova_env_misuse("with a bad granule");
		iovad->dma_32bit_pfn = 0;
		iovad->max32_alloc_size = 0;
		iovad->_magic = MAGIC_BAD;
		return;
	}
	iovad->dma_32bit_pfn =
		(unsigned long)(UINT64_C(1) << (32 - granule_shift(iovad)));
	iovad->max32_alloc_size = iovad->dma_32bit_pfn;
	iovad->_magic = MAGIC_LIVE;
	(void)domain_priv(iovad);	/* on failure, the next call retries */
}
EXPORT_SYMBOL_GPL(init_iova_domain);

void put_iova_domain(struct iova_domain *iovad)
{
	struct iova_linux_priv *p;

	if (!iovad || (iovad->_magic != MAGIC_LIVE &&
		       iovad->_magic != MAGIC_BAD))
		return;
	p = iovad->_priv;
	if (p) {
		if (p->nd->rcache)
			iova_env_domain_down(iovad);
		/*
		 * Every struct (cached ranges' and reservations' included)
		 * goes with the slab; the caches go with the domain.
		 */
		priv_destroy(p);
	}
	iovad->_priv = NULL;
	iovad->_magic = MAGIC_DEAD;
}
EXPORT_SYMBOL_GPL(put_iova_domain);

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
	struct slab_chunk *c;
	struct iova *it;
	int ret;

	if (!size)
		iova_env_misuse("of size 0");
	if (!p || !size || limit_pfn < iovad->start_pfn)
		return NULL;
	if (size_aligned) {
		if (size > HALF_SPACE)
			return NULL;
		align = UINT64_C(1) << iova_clog2(size);
	}
	/*
	 * The struct first, and the lock with it: a failure here leaves the
	 * index untouched.  One lock hold: the range never shows a
	 * half-filled struct.
	 */
	it = struct_get_lock(p);
	if (!it)
		return NULL;
	nd = p->nd;
	ret = iova__alloc_flush_locked(nd, size, align, 0, limit_pfn,
				       IOVA_TOP_DOWN, it, &pfn);
	if (iova_likely(!ret)) {
		it->pfn_lo = (unsigned long)pfn;
		it->pfn_hi = (unsigned long)(pfn + size - 1);
		iova_unlock(&nd->lock);
		return it;
	}
	c = slab_put_locked(&p->slab, it);
	iova_unlock(&nd->lock);
	chunk_release(p, c);
	return NULL;
}
EXPORT_SYMBOL_GPL(alloc_iova);

/*
 * Free the live range containing pfn, and its struct, in one hold of the
 * native lock.  If want is not NULL, pfn must be the range's start and want
 * its struct.  Returns 0 (*out is the range), -ENOENT (no live range),
 * -EPERM (a reservation) or -EINVAL (not want's range).
 */
static int free_checked(struct iova_linux_priv *p, uint64_t pfn,
			const struct iova *want, struct iova_range *out)
{
	struct iova_ndomain *nd = p->nd;
	struct iova_index_cursor at;
	struct slab_chunk *c = NULL;
	int ret = 0;

	iova_lock(&nd->lock);
	if (iova__find_at_locked(nd, pfn, out, &at))
		ret = -ENOENT;
	else if (out->flags & IOVA_RANGE_RESERVED)
		ret = -EPERM;
	else if (want && (out->lo != pfn || out->udata != want))
		ret = -EINVAL;
	else	/* checked above, under this lock hold */
		iova__free_at_locked(nd, &at, out);
	if (!ret && out->udata)
		c = slab_put_locked(&p->slab, out->udata);
	iova__unlock_trim(nd);
	chunk_release(p, c);
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
	switch (free_checked(p, lo, iova, &r)) {
	case 0:
		return;
	case -EPERM:
		bad_free(iovad, p, lo, "struct iova of a reservation");
		return;
	default:
		bad_free(iovad, p, lo, "not the struct iova of a live allocation");
		return;
	}
}
EXPORT_SYMBOL_GPL(__free_iova);

void free_iova(struct iova_domain *iovad, unsigned long pfn)
{
	struct iova_linux_priv *p = domain_priv(iovad);
	struct iova_range r;

	if (!p) {
		bad_free(iovad, NULL, pfn, "domain not usable");
		return;
	}
	switch (free_checked(p, pfn, NULL, &r)) {
	case 0:
		return;
	case -EPERM:
		bad_free(iovad, p, pfn, "pfn reserved");
		return;
	default:
		bad_free(iovad, p, pfn, "pfn not allocated (double free?)");
		return;
	}
}
EXPORT_SYMBOL_GPL(free_iova);

/* --- lookup --------------------------------------------------------- */

/* A reservation below start_pfn covering pfn, from rsv[]. */
static struct iova *find_low_reservation(struct iova_linux_priv *p,
					 unsigned long pfn)
{
	struct iova *it = NULL;
	size_t k;

	iova_lock(&p->lock);
	for (k = 0; k < p->nr_rsv; k++) {
		if (p->rsv[k]->pfn_lo <= pfn && pfn <= p->rsv[k]->pfn_hi) {
			it = p->rsv[k];
			break;
		}
	}
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
EXPORT_SYMBOL_GPL(find_iova);

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

/* A larger rsv[] (priv->lock held).  0 or -ENOMEM. */
static int rsv_grow(struct iova_linux_priv *p)
{
	size_t cap = p->cap_rsv ? 2 * p->cap_rsv : 8;
	struct iova **arr = iova__mem_alloc(p->nd, cap * sizeof(*arr));

	if (!arr)
		return -ENOMEM;
	if (p->rsv) {
		iova_memmove(arr, p->rsv, p->nr_rsv * sizeof(*arr));
		iova__mem_free(p->nd, p->rsv, p->cap_rsv * sizeof(*arr));
	}
	p->rsv = arr;
	p->cap_rsv = cap;
	return 0;
}

struct iova *reserve_iova(struct iova_domain *iovad, unsigned long pfn_lo,
			  unsigned long pfn_hi)
{
	struct iova_linux_priv *p = domain_priv(iovad);
	unsigned long lo = pfn_lo, hi = pfn_hi, top;
	struct iova *keep = NULL, *fresh = NULL;

	if (!p)
		return NULL;
	top = top_pfn(iovad);
	if (pfn_lo > pfn_hi || pfn_hi > top) {
		iova_env_misuse("of an inverted or too high range");
		return NULL;
	}
	iova_lock(&p->lock);
	/* Room in rsv[] first: nothing after iova_reserve() may fail. */
	if (p->nr_rsv == p->cap_rsv && rsv_grow(p))
		goto fail;
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
	if (keep == fresh)
		p->rsv[p->nr_rsv++] = keep;
	iova_unlock(&p->lock);
	return keep;
fail:
	if (fresh)
		struct_free(p, fresh);
	iova_unlock(&p->lock);
	return NULL;
}
EXPORT_SYMBOL_GPL(reserve_iova);

/* --- the fast path ---------------------------------------------------- */

/*
 * The size the fast calls use, as mainline rounds it whether or not the
 * caches exist: below 2^(IOVA_RANGE_CACHE_MAX_SIZE - 1), up to a power of
 * two.  Rounding never changes the order the caches file a size under, so
 * the inlined hits take cache_size_order(size) without it.
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
EXPORT_SYMBOL_GPL(iova_domain_init_rcaches);

/*
 * Everything but a cache hit (see alloc_iova_fast()): the entry point's
 * own arguments, so that its tail call moves none.
 */
static iova_noinline unsigned long
alloc_fast_miss(struct iova_domain *iovad, unsigned long size,
		unsigned long limit_pfn, bool flush_rcache)
{
	struct iova_linux_priv *p = domain_priv(iovad);
	uint64_t pfn = 0;

	if (!p || size > HALF_SPACE || limit_pfn < iovad->start_pfn)
		return 0;
	if (iova_alloc_fast(p->nd, fast_size(size), limit_pfn, flush_rcache, &pfn))
		return 0;
	return (unsigned long)pfn;
}

/*
 * A cache hit is inlined as the native entry point has it, and calls
 * nothing: anything else is one tail call to alloc_fast_miss(), so a hit
 * needs no stack frame (a size of 0 is reported here, where the kernel's
 * report names the function).
 */
unsigned long alloc_iova_fast(struct iova_domain *iovad, unsigned long size,
			      unsigned long limit_pfn, bool flush_rcache)
{
	struct iova_linux_priv *p = domain_priv_made(iovad);
	uint64_t pfn;

	if (iova_unlikely(!size)) {
		iova_env_misuse("of size 0");
		return 0;
	}
	if (iova_likely(p && size <= HALF_SPACE &&
			limit_pfn >= iovad->start_pfn) &&
	    iova_likely(cache_fast_get(iova_load_acquire(&p->nd->rcache),
				       cache_size_order(size),
				       limit_pfn, &pfn)))
		return (unsigned long)pfn;
	return alloc_fast_miss(iovad, size, limit_pfn, flush_rcache);
}
EXPORT_SYMBOL_GPL(alloc_iova_fast);

/* Everything but a push to this CPU's magazine (see free_iova_fast()). */
static iova_noinline void free_fast_miss(struct iova_domain *iovad,
					 unsigned long pfn, unsigned long size)
{
	struct iova_linux_priv *p = domain_priv(iovad);

	if (!p || !size || size > HALF_SPACE)
		bad_free(iovad, p, pfn, p ? "size 0 or above 2^63"
					  : "domain not usable");
	else if (iova_free_fast(p->nd, pfn, fast_size(size)))
		bad_free(iovad, p, pfn, "not the start of a live fast range of that size");
}

/*
 * A push to this CPU's magazine is inlined as the native entry point has it
 * (unchecked caches only; a misaligned or outside pfn goes on to be refused
 * by the miss path), and calls nothing.  A struct stays with its range.
 */
void free_iova_fast(struct iova_domain *iovad, unsigned long pfn,
		    unsigned long size)
{
	struct iova_linux_priv *p = domain_priv_made(iovad);

	if (iova_likely(p && size && size <= HALF_SPACE) &&
	    iova_likely(cache_fast_put(iova_load_acquire(&p->nd->rcache),
				       cache_size_order(size), pfn) > 0))
		return;
	free_fast_miss(iovad, pfn, size);
}
EXPORT_SYMBOL_GPL(free_iova_fast);

/* --- process-wide --------------------------------------------------- */

int iova_cache_get(void)
{
	iova_atomic_inc(&cache_users);
	return 0;
}
EXPORT_SYMBOL_GPL(iova_cache_get);

void iova_cache_put(void)
{
	/* A put without a get is ignored. */
	if (iova_atomic_read(&cache_users))
		iova_atomic_dec(&cache_users);
}
EXPORT_SYMBOL_GPL(iova_cache_put);
