/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Per-CPU magazine caches: set-up, teardown and the fast paths
 * iova_alloc_fast() / iova_free_fast().  The depot, flushes, trimming,
 * statistics and validation are in depot.c.  Invariants C1-C4 and the lock
 * order are at the top of cache_internal.h.
 *
 * Hot path (a hit, inlined in the two entry points at the end): the CPU
 * number from the rseq area (cache_cpu.h), one atomic exchange to take the
 * CPU slot's lock, a pop from or a push to the loaded magazine, a release
 * store to drop the lock.  Everything else is out of line.
 */
#include <unistd.h>

#include "cache_internal.h"
#include "cache_cpu.h"

/* --- memory -------------------------------------------------------- */

static struct iova_mag *mag_alloc_rc(struct iova_ndomain *d,
				     const struct iova_rcache *rc)
{
	struct iova_mag *m = iova__node_alloc(d, rc->mag_bytes);

	if (m)
		m->n = 0;
	return m;
}

struct iova_mag *iova__mag_alloc(struct iova_ndomain *d)
{
	return mag_alloc_rc(d, d->rcache);
}

void iova__mag_free(struct iova_ndomain *d, struct iova_mag *m)
{
	iova__node_free(d, m, d->rcache->mag_bytes);
}

/* Allocate bytes with a line-aligned start inside; *raw gets the block. */
static void *alloc_aligned(struct iova_ndomain *d, size_t bytes, void **raw,
			   size_t *raw_bytes)
{
	char *p;
	uintptr_t a;

	*raw_bytes = bytes + IOVA_CACHE_LINE;
	p = iova__node_alloc(d, *raw_bytes);
	*raw = p;
	if (!p)
		return NULL;
	a = ((uintptr_t)p + IOVA_CACHE_LINE - 1) & ~(uintptr_t)(IOVA_CACHE_LINE - 1);
	p += a - (uintptr_t)p;
	__builtin_memset(p, 0, bytes);
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
				iova__node_free(d, c->slot[o].loaded, rc->mag_bytes);
			if (c->slot[o].prev)
				iova__node_free(d, c->slot[o].prev, rc->mag_bytes);
		}
	}
	for (o = 0; rc->depot && o < rc->max_order; o++) {
		struct cache_depot *dp = cache_depot_at(rc, o);

		for (i = 0; i < dp->full.nr; i++)
			iova__node_free(d, dp->full.mag[i], rc->mag_bytes);
		for (i = 0; i < dp->empty.nr; i++)
			iova__node_free(d, dp->empty.mag[i], rc->mag_bytes);
	}
	if (rc->cpus_raw)
		iova__node_free(d, rc->cpus_raw, rc->cpus_raw_bytes);
	if (rc->depot_raw)
		iova__node_free(d, rc->depot_raw, rc->depot_raw_bytes);
	iova__node_free(d, rc->self_raw, rc->self_raw_bytes);
}

static int config_fill(const struct iova_cache_config *cfg,
		       struct iova_cache_config *c)
{
	long n;

	*c = cfg ? *cfg : (struct iova_cache_config){ 0 };
	if (c->max_order > IOVA_CACHE_MAX_ORDER ||
	    c->mag_size > IOVA_CACHE_MAX_MAG_SIZE ||
	    c->nr_cpus > IOVA_CACHE_MAX_CPUS ||
	    c->depot_max > IOVA_CACHE_MAX_CPUS ||
	    (c->flags & ~IOVA_CACHE_CHECK_FREES))
		return -EINVAL;
	if (!c->max_order)
		c->max_order = IOVA_CACHE_DEF_MAX_ORDER;
	if (!c->mag_size)
		c->mag_size = IOVA_CACHE_DEF_MAG_SIZE;
	if (!c->nr_cpus) {
		n = sysconf(_SC_NPROCESSORS_CONF);
		c->nr_cpus = n < 1 ? 1u : n > IOVA_CACHE_MAX_CPUS
			? (unsigned int)IOVA_CACHE_MAX_CPUS : (unsigned int)n;
	}
	if (!c->depot_max)
		c->depot_max = c->nr_cpus;
	return 0;
}

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
	ret = d->rcache ? -EEXIST : 0;
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
	if (!rc->cpus || !rc->depot)
		goto nomem;
	for (o = 0; o < c.max_order; o++) {
		struct cache_depot *dp = cache_depot_at(rc, o);
		char *arrays = (char *)(dp + 1);

		cache_lock_init(&dp->lock);
		dp->full.mag = (struct iova_mag **)(void *)arrays;
		dp->empty.mag = (struct iova_mag **)(void *)(arrays + stack_bytes);
		dp->full.cap = dp->empty.cap = c.depot_max;
	}
	for (i = 0; i < c.nr_cpus; i++) {
		struct cache_cpu *cc = cache_cpu_at(rc, i);

		cache_lock_init(&cc->lock);
		cc->index = i;
		for (o = 0; o < c.max_order; o++) {
			cc->slot[o].loaded = mag_alloc_rc(d, rc);
			cc->slot[o].prev = mag_alloc_rc(d, rc);
			if (!cc->slot[o].loaded || !cc->slot[o].prev)
				goto nomem;
		}
	}
	/* Publish under the domain lock (a fence for later lock holders). */
	iova_lock(&d->lock);
	ret = d->rcache ? -EEXIST : 0;
	if (!ret)
		d->rcache = rc;
	iova_unlock(&d->lock);
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

static inline unsigned int this_cpu(const struct iova_rcache *rc)
{
	unsigned int u = cache_getcpu();

	return iova_likely(u < rc->nr_cpus) ? u : u % rc->nr_cpus;
}

/*
 * The slot we picked is busy (another thread on this CPU was preempted
 * holding it, or a flush runs): wait, then look again, since we may have
 * been moved to another CPU meanwhile.  Correctness never depends on using
 * the "right" slot, only on holding the lock of the one we use.
 */
static __attribute__((noinline)) struct cache_cpu *
cpu_lock_slow(const struct iova_rcache *rc, struct cache_cpu *c)
{
	do {
		cache_lock_wait(&c->lock);
		c = cache_cpu_at(rc, this_cpu(rc));
	} while (!cache_trylock(&c->lock));
	return c;
}

/* Lock the slot of the CPU we run on. */
static inline struct cache_cpu *cpu_lock(const struct iova_rcache *rc)
{
	struct cache_cpu *c = cache_cpu_at(rc, this_cpu(rc));

	if (iova_likely(cache_trylock(&c->lock)))
		return c;
	return cpu_lock_slow(rc, c);
}

void iova__cache_maybe_yield(const struct iova_rcache *rc)
{
	static _Thread_local uint32_t seed = 0x9e3779b9u;

	if (!rc->debug_yield)
		return;
	seed ^= seed << 13;
	seed ^= seed >> 17;
	seed ^= seed << 5;
	if ((seed & 3) == 0)
		sched_yield();
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
	cache_lock(&dp->lock);
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
	cache_unlock(&dp->lock);
	return drop;
}

/* cache_get() when the top of loaded is missing or above the limit. */
static __attribute__((noinline)) bool
cache_get_slow(struct iova_ndomain *d, struct iova_rcache *rc,
	       struct cache_cpu *c, unsigned int order, uint64_t top,
	       uint64_t *pfn_out)
{
	struct cache_slot *s = &c->slot[order];
	struct iova_mag *drop = NULL;
	bool hit;

	if (!s->loaded->n) {
		drop = slot_refill(rc, order, c);
		iova__cache_maybe_yield(rc);
	}
	hit = mag_take(s->loaded, top, pfn_out);
	if (hit)
		s->hits++;
	else
		s->misses++;
	cache_unlock(&c->lock);
	if (drop)
		iova__mag_free(d, drop);
	return hit;
}

/* Cache hit: *pfn_out; miss: false.  top = highest acceptable start. */
static inline bool cache_get(struct iova_ndomain *d, struct iova_rcache *rc,
			     unsigned int order, uint64_t top,
			     uint64_t *pfn_out)
{
	struct cache_cpu *c = cpu_lock(rc);
	struct cache_slot *s = &c->slot[order];
	struct iova_mag *m = s->loaded;
	size_t n = m->n;

	if (iova_likely(n)) {
		uint64_t pfn = m->pfn[n - 1];

		if (iova_likely(pfn <= top)) {
			m->n = n - 1;
			s->hits++;
			cache_unlock(&c->lock);
			*pfn_out = pfn;
			return true;
		}
	}
	return cache_get_slow(d, rc, c, order, top, pfn_out);
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

	cache_lock(&dp->lock);
	if (dp->full.nr >= rc->depot_max) {
		dp->trims++;
		cache_unlock(&dp->lock);
		/* Slot lock -> domain lock: allowed by the lock order. */
		iova_lock(&d->lock);
		n = m->n;
		m->n = 0;
		iova__cache_release_locked(d, m->pfn, n, order);
		iova_unlock(&d->lock);
		*trimmed = true;
		return true;
	}
	e = mag_stack_pop(&dp->empty, c->index);
	if (!e && *spare) {
		e = *spare;
		*spare = NULL;
	} else if (!e) {
		cache_unlock(&dp->lock);
		return false;
	}
	mag_stack_push(&dp->full, m, c->index);
	dp->pushes++;
	cache_unlock(&dp->lock);
	e->n = 0;
	s->loaded = e;
	return true;
}

/* cache_put() when loaded is full; entered with slot c locked. */
static __attribute__((noinline)) bool
cache_put_slow(struct iova_ndomain *d, struct iova_rcache *rc,
	       struct cache_cpu *c, unsigned int order, uint64_t pfn)
{
	struct cache_depot *dp = cache_depot_at(rc, order);
	struct iova_mag *spare = NULL;
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
			iova__cache_maybe_yield(rc);
		}
		if (done) {
			s->loaded->pfn[s->loaded->n++] = pfn;
			cache_unlock(&c->lock);
			break;
		}
		cache_unlock(&c->lock);
		iova__cache_maybe_yield(rc);
		spare = iova__mag_alloc(d);
		if (!spare) {
			cache_lock(&dp->lock);
			dp->put_fallbacks++;
			cache_unlock(&dp->lock);
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
		cache_lock(&dp->lock);
		if (dp->empty.nr < rc->depot_max) {
			mag_stack_push(&dp->empty, spare, rc->nr_cpus);
			spare = NULL;
		}
		cache_unlock(&dp->lock);
		if (spare)
			iova__mag_free(d, spare);
	}
	return true;
}

/* Cache pfn; false if no magazine could be had (free it to the index). */
static inline bool cache_put(struct iova_ndomain *d, struct iova_rcache *rc,
			     unsigned int order, uint64_t pfn)
{
	struct cache_cpu *c = cpu_lock(rc);
	struct iova_mag *m = c->slot[order].loaded;
	size_t n = m->n;

	if (iova_likely(n < rc->mag_size)) {
		m->pfn[n] = pfn;
		m->n = n + 1;
		cache_unlock(&c->lock);
		return true;
	}
	return cache_put_slow(d, rc, c, order, pfn);
}

/* --- the index side ------------------------------------------------ */

static int index_alloc(struct iova_ndomain *d, uint64_t size, unsigned int order,
		       uint64_t max_pfn, uint64_t *pfn_out)
{
	int ret;

	iova_lock(&d->lock);
	ret = iova__alloc_locked(d, size, (uint64_t)1 << order, 0, max_pfn,
				 IOVA_TOP_DOWN, NULL, pfn_out);
	iova_unlock(&d->lock);
	return ret;
}

/* With d->lock held: is [pfn, pfn + size - 1] exactly a live range? */
static bool is_live_range(struct iova_ndomain *d, uint64_t pfn, uint64_t size)
{
	struct iova_index_range g;

	return iova_index_find(&d->tree, pfn, &g) && !g.rsv && g.lo == pfn &&
	       g.hi - g.lo == size - 1;
}

static int index_free(struct iova_ndomain *d, uint64_t pfn, uint64_t size)
{
	int ret;

	iova_lock(&d->lock);
	if (is_live_range(d, pfn, size)) {
		ret = iova__free_locked(d, pfn, true, NULL);
	} else {
		d->st.bad_frees++;
		ret = -ENOENT;
	}
	iova__unlock_trim(d);
	return ret;
}

/* --- the API ------------------------------------------------------- */

/* The cache missed (or the order is not cached): the index, then a flush. */
static __attribute__((noinline)) int
alloc_miss(struct iova_ndomain *d, uint64_t size, unsigned int order,
	   uint64_t max_pfn, bool flush_retry, uint64_t *pfn_out)
{
	int ret = index_alloc(d, size, order, max_pfn, pfn_out);

	if (ret == -ENOMEM && flush_retry && d->rcache) {
		iova_cache_flush_all(d);
		ret = index_alloc(d, size, order, max_pfn, pfn_out);
	}
	return ret;
}

/* Everything but a hit on an uncontended slot (see iova_alloc_fast()). */
static __attribute__((noinline)) int
alloc_fast_slow(struct iova_ndomain *d, uint64_t size, uint64_t max_pfn,
		bool flush_retry, uint64_t *pfn_out)
{
	struct iova_rcache *rc;
	unsigned int order;

	if (!d || !pfn_out || !size)
		return -EINVAL;
	order = iova_clog2(size);
	if (order > 63)
		return -EINVAL;
	rc = d->rcache;
	if (rc && order < rc->max_order) {
		uint64_t span = ((uint64_t)1 << order) - 1;

		if (iova_likely(max_pfn >= span) &&
		    cache_get(d, rc, order, max_pfn - span, pfn_out))
			return 0;
	}
	/*
	 * Round as if the caches were there (default orders without them), so
	 * a range allocated before iova_domain_init_caches() with the default
	 * orders is freed correctly after it.
	 */
	if (order < (rc ? rc->max_order : IOVA_CACHE_DEF_MAX_ORDER))
		size = (uint64_t)1 << order;
	return alloc_miss(d, size, order, max_pfn, flush_retry, pfn_out);
}

/* Debug check of a cached free: live range of that size, not cached. */
static __attribute__((noinline)) bool
bad_cached_free(struct iova_ndomain *d, unsigned int order, uint64_t pfn)
{
	bool live;

	iova_lock(&d->lock);
	live = is_live_range(d, pfn, (uint64_t)1 << order);
	if (!live)
		d->st.bad_frees++;
	iova_unlock(&d->lock);
	return !live || iova__cache_contains(d, order, pfn);
}

/* Everything but a push to an uncontended slot (see iova_free_fast()). */
static __attribute__((noinline)) int
free_fast_slow(struct iova_ndomain *d, uint64_t pfn, uint64_t size)
{
	struct iova_rcache *rc;
	unsigned int order;

	if (!d || !size)
		return -EINVAL;
	order = iova_clog2(size);
	rc = d->rcache;
	if (iova_likely(rc && order < rc->max_order)) {
		uint64_t span = ((uint64_t)1 << order) - 1;

		/* Cheap checks, always: aligned and inside the domain. */
		if (iova_unlikely((pfn & span) || span > rc->room ||
				  pfn - rc->start > rc->room - span))
			return -ENOENT;
		if ((IOVA_DEBUG >= 1 || (rc->flags & IOVA_CACHE_CHECK_FREES)) &&
		    bad_cached_free(d, order, pfn))
			return -ENOENT;
		if (iova_likely(cache_put(d, rc, order, pfn)))
			return 0;
	}
	if (order < (rc ? rc->max_order : IOVA_CACHE_DEF_MAX_ORDER))
		size = (uint64_t)1 << order;	/* as iova_alloc_fast() */
	return index_free(d, pfn, size);
}

/*
 * The two entry points are leaf functions on their common case: a
 * trylock of this CPU's slot, a pop or push on the loaded magazine, and an
 * unlock.  Anything else (no caches, uncached order, empty or full
 * magazine, a limit the top entry misses, a busy slot, debug checks) goes
 * to the *_slow() versions above, which redo the whole call; they never
 * depend on what the fast attempt saw.
 */
int iova_alloc_fast(struct iova_ndomain *d, uint64_t size, uint64_t max_pfn,
		    bool flush_retry, uint64_t *pfn_out)
{
	struct iova_rcache *rc;
	unsigned int order;

	if (iova_likely(d && pfn_out && size) && (rc = d->rcache) &&
	    (order = iova_clog2(size)) < rc->max_order) {
		uint64_t span = ((uint64_t)1 << order) - 1;
		struct cache_cpu *c = cache_cpu_at(rc, this_cpu(rc));

		if (iova_likely(max_pfn >= span) &&
		    iova_likely(cache_trylock(&c->lock))) {
			struct cache_slot *s = &c->slot[order];
			struct iova_mag *m = s->loaded;
			size_t n = m->n;

			if (iova_likely(n) &&
			    iova_likely(m->pfn[n - 1] <= max_pfn - span)) {
				uint64_t pfn = m->pfn[n - 1];

				m->n = n - 1;
				s->hits++;
				cache_unlock(&c->lock);
				*pfn_out = pfn;
				return 0;
			}
			cache_unlock(&c->lock);
		}
	}
	return alloc_fast_slow(d, size, max_pfn, flush_retry, pfn_out);
}

int iova_free_fast(struct iova_ndomain *d, uint64_t pfn, uint64_t size)
{
	struct iova_rcache *rc;
	unsigned int order;

	if (iova_likely(d && size) && (rc = d->rcache) &&
	    (order = iova_clog2(size)) < rc->max_order &&
	    !(IOVA_DEBUG >= 1) && !(rc->flags & IOVA_CACHE_CHECK_FREES)) {
		uint64_t span = ((uint64_t)1 << order) - 1;
		struct cache_cpu *c;

		if (iova_unlikely((pfn & span) || span > rc->room ||
				  pfn - rc->start > rc->room - span))
			return -ENOENT;
		c = cache_cpu_at(rc, this_cpu(rc));
		if (iova_likely(cache_trylock(&c->lock))) {
			struct iova_mag *m = c->slot[order].loaded;
			size_t n = m->n;

			if (iova_likely(n < rc->mag_size)) {
				m->pfn[n] = pfn;
				m->n = n + 1;
				cache_unlock(&c->lock);
				return 0;
			}
			cache_unlock(&c->lock);
		}
	}
	return free_fast_slow(d, pfn, size);
}
