// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Per-CPU magazine caches: set-up, teardown, the cached set of checked
 * frees, and the fast paths iova_alloc_fast() / iova_free_fast().  The
 * depot, flushes, trimming, statistics and validation are in depot.c.
 * Invariants C1-C5 and the lock order are at the top of mag.h.
 * Environment-neutral: the kernel build compiles this file unchanged.
 *
 * Hot path (a hit): the CPU number (iova_this_cpu()), a trylock of that
 * CPU's slot, a pop from or a push to the loaded magazine, an unlock: the
 * inlined cache_fast_get() / cache_fast_put() of mag.h, used by the native
 * and the Linux entry points and by nothing else.  Everything else is out of line and redoes the call.
 */
#include "mag.h"


/* --- memory -------------------------------------------------------- */

/* Allocate bytes with a line-aligned start inside; *raw gets the block. */
static void *alloc_aligned(struct iova_ndomain *d, size_t bytes, void **raw,
			   size_t *raw_bytes)
{
	char *p;
	uintptr_t a;

	*raw_bytes = bytes + IOVA_CACHE_LINE;
	p = iova__mem_alloc(d, *raw_bytes);
	*raw = p;
	if (!p)
		return NULL;
	a = ((uintptr_t)p + IOVA_CACHE_LINE - 1) & ~(uintptr_t)(IOVA_CACHE_LINE - 1);
	p += a - (uintptr_t)p;
	iova_memset(p, 0, bytes);
	return p;
}

/* --- set-up and teardown ------------------------------------------- */

static void free_caches(struct iova_ndomain *d, struct iova_rcache *rc)
{
	unsigned int i, o;

	for (i = 0; rc->cpus && i < rc->nr_cpus; i++) {
		struct cache_cpu *c = cache_cpu_at(rc, i);

		for (o = 0; o < rc->max_order; o++) {
			if (c->slot[o].loaded)
				iova__mem_free(d, c->slot[o].loaded, rc->mag_bytes);
			if (c->slot[o].prev)
				iova__mem_free(d, c->slot[o].prev, rc->mag_bytes);
		}
	}
	for (o = 0; rc->depot && o < rc->max_order; o++) {
		struct cache_depot *dp = cache_depot_at(rc, o);

		for (i = 0; i < dp->full.nr; i++)
			iova__mem_free(d, dp->full.mag[i], rc->mag_bytes);
		for (i = 0; i < dp->empty.nr; i++)
			iova__mem_free(d, dp->empty.mag[i], rc->mag_bytes);
	}
	if (rc->set.slot)
		iova__mem_free(d, rc->set.slot, rc->set.bytes);
	if (rc->scratch)
		iova__mem_free(d, rc->scratch, rc->scratch_bytes);
	if (rc->cpus_raw)
		iova__mem_free(d, rc->cpus_raw, rc->cpus_raw_bytes);
	if (rc->depot_raw)
		iova__mem_free(d, rc->depot_raw, rc->depot_raw_bytes);
	iova__mem_free(d, rc->self_raw, rc->self_raw_bytes);
}

static int config_fill(const struct iova_cache_config *cfg,
		       struct iova_cache_config *c)
{
	*c = cfg ? *cfg : (struct iova_cache_config){ 0 };
	if (c->max_order > IOVA_CACHE_MAX_ORDER ||
	    c->mag_size > IOVA_CACHE_MAX_MAG_SIZE ||
	    c->nr_cpus > IOVA_CACHE_MAX_CPUS ||
	    c->depot_max > IOVA_CACHE_MAX_CPUS ||
	    (c->flags & ~IOVA_CACHE_CHECK_FREES))
		return -EINVAL;
	if (!c->max_order)
		c->max_order = IOVA_CACHE_DEFAULT_MAX_ORDER;
	if (!c->mag_size)
		c->mag_size = IOVA_CACHE_DEFAULT_MAG_SIZE;
	if (!c->nr_cpus) {
		c->nr_cpus = iova_nr_cpus();
		if (c->nr_cpus > IOVA_CACHE_MAX_CPUS)
			c->nr_cpus = IOVA_CACHE_MAX_CPUS;
	}
	if (!c->depot_max)
		c->depot_max = c->nr_cpus;
	return 0;
}

static void flush_ext(struct iova_ndomain *d)
{
	iova_cache_flush_all(d);
}

static const struct iova__domain_ext cache_ext = {
	.flush = flush_ext,
	.validate = iova__cache_validate,
	.destroy = iova__cache_destroy,
};

int iova_domain_init_caches(struct iova_ndomain *d,
			    const struct iova_cache_config *cfg)
{
	struct iova_cache_config c;
	struct iova_rcache *rc;
	void *raw;
	size_t raw_bytes, slot_bytes, stack_bytes;
	unsigned int i, o;
	int ret;

	if (!d)
		return -EINVAL;
	ret = config_fill(cfg, &c);
	if (ret)
		return ret;
	iova_lock(&d->lock);
	ret = d->rcache ? -EEXIST : d->fast_used ? -EBUSY : 0;
	iova_unlock(&d->lock);
	if (ret)
		return ret;

	rc = alloc_aligned(d, sizeof(*rc), &raw, &raw_bytes);
	if (!rc)
		return -ENOMEM;
	rc->self_raw = raw;
	rc->self_raw_bytes = raw_bytes;
	rc->max_order = c.max_order;
	rc->mag_size = c.mag_size;
	rc->nr_cpus = c.nr_cpus;
	rc->depot_max = c.depot_max;
	rc->flags = c.flags;
	rc->checked = (c.flags & IOVA_CACHE_CHECK_FREES) || IOVA_DEBUG >= 1;
	rc->start = d->tree.start;
	rc->room = d->tree.end - d->tree.start;
	rc->mag_bytes = sizeof(struct iova_mag) + (size_t)c.mag_size * sizeof(uint64_t);
	slot_bytes = sizeof(struct cache_cpu) + c.max_order * sizeof(struct cache_slot);
	/* A power of two (a shift on the hot path), at least a line. */
	rc->cpu_shift = iova_clog2(slot_bytes < IOVA_CACHE_LINE ? IOVA_CACHE_LINE
							  : slot_bytes);
	rc->cpu_stride = (size_t)1 << rc->cpu_shift;

	/* Build everything privately; publish d->rcache at the end. */
	rc->cpus = alloc_aligned(d, rc->cpu_stride * c.nr_cpus, &rc->cpus_raw,
				 &rc->cpus_raw_bytes);
	/* Each depot, then its two stacks' arrays (pointers, then owners). */
	stack_bytes = ((size_t)c.depot_max * (sizeof(struct iova_mag *) +
					      sizeof(unsigned int)) + 7) & ~(size_t)7;
	rc->depot_stride = (sizeof(struct cache_depot) + 2 * stack_bytes +
			    IOVA_CACHE_LINE - 1) & ~(size_t)(IOVA_CACHE_LINE - 1);
	rc->depot = alloc_aligned(d, rc->depot_stride * c.max_order,
				  &rc->depot_raw, &rc->depot_raw_bytes);
	if (!rc->cpus || !rc->depot || (rc->checked && iova__cached_set_init(d, rc)))
		goto nomem;
	for (o = 0; o < c.max_order; o++) {
		struct cache_depot *dp = cache_depot_at(rc, o);
		char *arrays = (char *)(dp + 1);

		iova_spin_init(&dp->lock);
		dp->full.mag = (struct iova_mag **)(void *)arrays;
		dp->empty.mag = (struct iova_mag **)(void *)(arrays + stack_bytes);
		dp->full.cap = dp->empty.cap = c.depot_max;
	}
	for (i = 0; i < c.nr_cpus; i++) {
		struct cache_cpu *cc = cache_cpu_at(rc, i);

		iova_spin_init(&cc->lock);
		cc->index = i;
		for (o = 0; o < c.max_order; o++) {
			cc->slot[o].loaded = iova__mag_alloc(d, rc);
			cc->slot[o].prev = iova__mag_alloc(d, rc);
			if (!cc->slot[o].loaded || !cc->slot[o].prev)
				goto nomem;
		}
	}
	/* Publish under the domain lock (a fence for later lock holders). */
	ret = iova__attach_ext(d, &cache_ext, rc);
	if (ret)
		free_caches(d, rc);
	return ret;
nomem:
	free_caches(d, rc);
	return -ENOMEM;
}

void iova__cache_destroy(struct iova_ndomain *d)
{
	/* The cached ranges are live index ranges: they go with the tree. */
	if (d->rcache)
		free_caches(d, d->rcache);
	d->rcache = NULL;
}

/* --- CPU slots ----------------------------------------------------- */

/*
 * The slot we picked is busy (another thread on this CPU was preempted
 * holding it, or a flush runs): wait, then look again, since we may have
 * been moved to another CPU meanwhile.  Correctness never depends on using
 * the "right" slot, only on holding the lock of the one we use.
 */
static iova_noinline struct cache_cpu *
cpu_lock_slow(const struct iova_rcache *rc, struct cache_cpu *c)
{
	do {
		iova_spin_wait(&c->lock);
		c = cache_cpu_at(rc, cache_this_cpu(rc));
	} while (!iova_spin_trylock(&c->lock));
	return c;
}

/* Lock the slot of the CPU we run on. */
static inline struct cache_cpu *cpu_lock(const struct iova_rcache *rc)
{
	struct cache_cpu *c = cache_cpu_at(rc, cache_this_cpu(rc));

	if (iova_likely(iova_spin_trylock(&c->lock)))
		return c;
	return cpu_lock_slow(rc, c);
}

/* --- magazine operations (slot lock held) -------------------------- */

/*
 * Take the topmost pfn <= top.  LIFO when the top entry fits; otherwise the
 * entry found is replaced by the top one.
 */
static bool mag_take(struct iova_mag *m, uint64_t top, uint64_t *out)
{
	size_t i = m->n;

	while (i--) {
		uint64_t pfn = m->pfn[i];

		if (pfn <= top) {
			*out = pfn;
			m->pfn[i] = m->pfn[--m->n];
			return true;
		}
	}
	return false;
}

/*
 * Refill an empty loaded magazine: swap with prev if it holds any, else
 * exchange it for a full one from the depot.  Returns an empty magazine
 * that the caller must free after dropping the slot lock, or NULL.
 */
static struct iova_mag *slot_refill(struct iova_rcache *rc, unsigned int order,
				    struct cache_cpu *c)
{
	struct cache_depot *dp = cache_depot_at(rc, order);
	struct cache_slot *s = &c->slot[order];
	struct iova_mag *m = s->loaded, *full, *drop = NULL;

	if (s->prev->n) {
		s->loaded = s->prev;
		s->prev = m;
		return NULL;
	}
	iova_spin_lock(&dp->lock);
	full = mag_stack_pop(&dp->full, c->index);
	if (full) {
		dp->pops++;
		full->n = rc->mag_size;
		s->loaded = full;
		if (dp->empty.nr < rc->depot_max)
			mag_stack_push(&dp->empty, m, c->index);
		else
			drop = m;
	}
	iova_spin_unlock(&dp->lock);
	return drop;
}

/* A cached allocation that cache_try_get() could not serve. */
static iova_noinline bool
cache_get(struct iova_ndomain *d, struct iova_rcache *rc, unsigned int order,
	  uint64_t top, uint64_t *pfn_out)
{
	struct cache_cpu *c = cpu_lock(rc);
	struct cache_slot *s = &c->slot[order];
	struct iova_mag *drop = NULL;
	bool hit;

	if (!s->loaded->n) {
		drop = slot_refill(rc, order, c);
		cache_yield();
	}
	hit = mag_take(s->loaded, top, pfn_out);
	if (hit)
		s->hits++;
	else
		s->misses++;
	iova_spin_unlock(&c->lock);
	if (hit && rc->checked)
		iova__cached_set_remove(&rc->set, *pfn_out);
	if (drop)
		iova__mag_free(d, drop);
	return hit;
}

/*
 * Both magazines of the slot are full: move loaded to the depot and load an
 * empty one (a spare from the depot, or *spare).  If the depot already holds
 * depot_max full magazines, give loaded's ranges back to the index instead
 * (the opportunistic trim) and reuse it; *trimmed tells the caller to trim
 * the index's node pool once the slot lock is dropped (no hook calls under
 * a cache lock).  Returns false if no empty magazine was at hand: the
 * caller allocates one outside the locks and retries.
 */
static bool slot_make_room(struct iova_ndomain *d, struct iova_rcache *rc,
			   unsigned int order, struct cache_cpu *c,
			   struct iova_mag **spare, bool *trimmed)
{
	struct cache_depot *dp = cache_depot_at(rc, order);
	struct cache_slot *s = &c->slot[order];
	struct iova_mag *m = s->loaded, *e;
	size_t n;

	iova_spin_lock(&dp->lock);
	if (dp->full.nr >= rc->depot_max) {
		dp->trims++;
		iova_spin_unlock(&dp->lock);
		/* Slot lock -> domain lock: allowed by the lock order. */
		iova_lock(&d->lock);
		n = m->n;
		m->n = 0;
		iova__cache_release_locked(d, m->pfn, n, order);
		iova_unlock(&d->lock);
		iova_env_count(IOVA_EV_CACHE_SPILL);
		*trimmed = true;
		return true;
	}
	e = mag_stack_pop(&dp->empty, c->index);
	if (!e && *spare) {
		e = *spare;
		*spare = NULL;
	} else if (!e) {
		iova_spin_unlock(&dp->lock);
		return false;
	}
	mag_stack_push(&dp->full, m, c->index);
	dp->pushes++;
	iova_spin_unlock(&dp->lock);
	e->n = 0;
	s->loaded = e;
	return true;
}

/* A cached free that cache_try_put() could not serve; false: no magazine. */
static iova_noinline bool
cache_put(struct iova_ndomain *d, struct iova_rcache *rc, unsigned int order,
	  uint64_t pfn)
{
	struct cache_depot *dp = cache_depot_at(rc, order);
	struct iova_mag *spare = NULL;
	struct cache_cpu *c = cpu_lock(rc);
	struct cache_slot *s;
	bool done, trimmed = false;

	for (;;) {
		s = &c->slot[order];
		if (s->loaded->n < rc->mag_size) {
			done = true;
		} else if (s->prev->n < rc->mag_size) {
			struct iova_mag *t = s->loaded;

			s->loaded = s->prev;
			s->prev = t;
			done = true;
		} else {
			done = slot_make_room(d, rc, order, c, &spare,
					      &trimmed);
			cache_yield();
		}
		if (done) {
			s->loaded->pfn[s->loaded->n++] = pfn;
			iova_spin_unlock(&c->lock);
			break;
		}
		iova_spin_unlock(&c->lock);
		cache_yield();
		spare = iova__mag_alloc(d, rc);
		if (!spare) {
			iova_spin_lock(&dp->lock);
			dp->put_fallbacks++;
			iova_spin_unlock(&dp->lock);
			return false;
		}
		c = cpu_lock(rc);	/* maybe another CPU by now */
	}
	if (trimmed) {
		iova_lock(&d->lock);
		iova__unlock_trim(d);
	}
	if (spare) {
		/* Not needed after all (another path made room): keep or free. */
		iova_spin_lock(&dp->lock);
		if (dp->empty.nr < rc->depot_max) {
			mag_stack_push(&dp->empty, spare, rc->nr_cpus);
			spare = NULL;
		}
		iova_spin_unlock(&dp->lock);
		if (spare)
			iova__mag_free(d, spare);
	}
	return true;
}

/* --- the index side ------------------------------------------------ */

/*
 * The index serves a fast allocation: 2^order pfns aligned to 2^order when
 * the order is cached, else size pfns (same alignment).  rc is re-read
 * under the domain lock: a fast call that finds no caches there marks the
 * domain so that caches can never be added under its ranges' feet.
 */
static int index_alloc(struct iova_ndomain *d, uint64_t size, unsigned int order,
		       uint64_t max_pfn, bool flush_retry, uint64_t *pfn_out)
{
	uint64_t align = (uint64_t)1 << order;
	struct iova_rcache *rc;
	int ret;

	iova_lock(&d->lock);
	rc = d->rcache;
	if (!rc)
		d->fast_used = true;
	else if (order < rc->max_order)
		size = align;
	if (flush_retry)
		ret = iova__alloc_flush_locked(d, size, align, 0, max_pfn,
					       IOVA_TOP_DOWN, NULL, pfn_out);
	else
		ret = iova__alloc_locked(d, size, align, 0, max_pfn,
					 IOVA_TOP_DOWN, NULL, pfn_out);
	iova_unlock(&d->lock);
	return ret == -ENOSPC ? -ENOMEM : ret;
}

/* Everything but a hit on an uncontended slot (see iova_alloc_fast()). */
static iova_noinline int
alloc_fast_slow(struct iova_ndomain *d, uint64_t size, unsigned int order,
		uint64_t max_pfn, bool flush_retry, uint64_t *pfn_out)
{
	struct iova_rcache *rc;

	if (!d || !pfn_out || !cache_size_ok(size))
		return -EINVAL;
	rc = iova_load_acquire(&d->rcache);
	if (rc && order < rc->max_order) {
		uint64_t span = ((uint64_t)1 << order) - 1;

		if (iova_likely(max_pfn >= span) &&
		    cache_get(d, rc, order, max_pfn - span, pfn_out)) {
			iova_env_count(IOVA_EV_CACHE_HIT);
			return 0;
		}
		iova_env_count(IOVA_EV_CACHE_MISS);
	}
	return index_alloc(d, size, order, max_pfn, flush_retry, pfn_out);
}

/*
 * A checked cached free: under the domain lock, [pfn, pfn + 2^order - 1]
 * must be exactly a live range and not cached already; it then enters the
 * cached set.  A pfn whose bucket is full is freed to the index right here.
 * Returns 1 (cache it), 0 (freed to the index) or -ENOENT (refused).
 */
static iova_noinline int
check_cached_free(struct iova_ndomain *d, struct iova_rcache *rc,
		  unsigned int order, uint64_t pfn)
{
	uint64_t size = (uint64_t)1 << order;
	struct iova_range r;
	int ret;

	iova_lock(&d->lock);
	if (iova__find_locked(d, pfn, false, &r) || (r.flags & IOVA_RANGE_RESERVED) ||
	    r.lo != pfn || r.hi - r.lo != size - 1) {
		ret = -ENOENT;
	} else {
		ret = iova__cached_set_insert(&rc->set, pfn);
		if (ret == -EEXIST)
			ret = -ENOENT;	/* a double free */
		else if (ret == -ENOSPC)
			ret = iova__free_release_locked(d, pfn, size);
		else
			ret = 1;
	}
	if (ret == -ENOENT)
		d->st.bad_frees++;
	iova__unlock_trim(d);
	return ret;
}

/* Free to the index: exactly a live range of that size. */
static int index_free(struct iova_ndomain *d, uint64_t pfn, uint64_t size)
{
	int ret;

	iova_lock(&d->lock);
	ret = iova__free_release_locked(d, pfn, size);
	iova__unlock_trim(d);
	return ret;
}

/* Everything but a push to an uncontended slot (see iova_free_fast()). */
static iova_noinline int
free_fast_slow(struct iova_ndomain *d, uint64_t pfn, uint64_t size,
	       unsigned int order)
{
	struct iova_rcache *rc;
	uint64_t span;
	int ret;

	if (!d || !size)
		return -EINVAL;
	if (!cache_size_ok(size))
		order = 64;	/* above 2^63: never cached */
	rc = iova_load_acquire(&d->rcache);
	if (!rc) {
		/* Under the lock (index_free): caches can no longer appear. */
		iova_lock(&d->lock);
		if (!d->rcache) {
			d->fast_used = true;
			ret = iova__free_release_locked(d, pfn, size);
			iova__unlock_trim(d);
			return ret;
		}
		rc = d->rcache;
		iova_unlock(&d->lock);
	}
	if (order >= rc->max_order)
		return index_free(d, pfn, size);
	span = ((uint64_t)1 << order) - 1;
	if (iova_unlikely(cache_bad_geometry(rc, pfn, span)))
		return -ENOENT;
	if (rc->checked) {
		ret = check_cached_free(d, rc, order, pfn);
		if (ret <= 0)
			return ret;
	}
	if (iova_likely(cache_put(d, rc, order, pfn))) {
		iova_env_count(IOVA_EV_CACHE_PUT);
		return 0;
	}
	/* No magazine: the range goes back to the index. */
	iova_lock(&d->lock);
	iova__cache_release_locked(d, &pfn, 1, order);
	iova__unlock_trim(d);
	return 0;
}

/*
 * The two entry points are leaf functions on their common case: the
 * inlined try-path above.  Anything else (no caches, uncached order, empty
 * or full magazine, a limit the top entry misses, a busy slot, checked
 * frees) goes to the *_slow() versions, which get the order computed here.
 */
int iova_alloc_fast(struct iova_ndomain *d, uint64_t size, uint64_t max_pfn,
		    bool flush_retry, uint64_t *pfn_out)
{
	unsigned int order = cache_size_order(size);
	struct iova_rcache *rc = NULL;

	iova_env_count(IOVA_EV_FAST_ALLOC);
	if (iova_likely(d && pfn_out && cache_size_ok(size)))
		rc = iova_load_acquire(&d->rcache);
	if (iova_likely(cache_fast_get(rc, order, max_pfn, pfn_out)))
		return 0;
	return alloc_fast_slow(d, size, order, max_pfn, flush_retry, pfn_out);
}

int iova_free_fast(struct iova_ndomain *d, uint64_t pfn, uint64_t size)
{
	unsigned int order = cache_size_order(size);
	struct iova_rcache *rc = NULL;
	int r;

	iova_env_count(IOVA_EV_FAST_FREE);
	if (iova_likely(d && cache_size_ok(size)))
		rc = iova_load_acquire(&d->rcache);
	r = cache_fast_put(rc, order, pfn);
	if (iova_likely(r > 0))
		return 0;
	if (iova_unlikely(r < 0))
		return r;
	return free_fast_slow(d, pfn, size, order);
}
