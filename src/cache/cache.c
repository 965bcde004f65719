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
 * and the Linux entry points and by nothing else.  Everything else is out
 * of line and redoes the call.
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
	struct cache_cold *cold = rc->cold;
	unsigned int k, j, o;

	for (k = 0; k < cold->nr_chunks; k++) {
		struct cache_cpu *c0 = rc->dir[k];

		if (!c0)
			continue;
		for (j = 0; j < cache_chunk_slots(rc, k); j++) {
			struct cache_cpu *c = cache_cpu_find(rc, (k << rc->chunk_shift) + j);

			for (o = 0; o < rc->max_order; o++) {
				if (c->slot[o].loaded)
					iova__mem_free(d, c->slot[o].loaded, cold->mag_bytes);
				if (c->slot[o].prev)
					iova__mem_free(d, c->slot[o].prev, cold->mag_bytes);
			}
		}
		iova__mem_free(d, cache_cpu_tail(rc, c0)->raw,
			       cache_cpu_tail(rc, c0)->raw_bytes);
	}
	for (o = 0; o < rc->max_order; o++) {
		struct cache_depot *dp = cache_depot_at(rc, o);

		for (k = 0; k < dp->nr_full; k++)
			iova__mem_free(d, depot_mag(dp, true)[k], cold->mag_bytes);
		for (k = 0; k < dp->nr_empty; k++)
			iova__mem_free(d, depot_mag(dp, false)[k], cold->mag_bytes);
		if (dp->arr)
			iova__mem_free(d, dp->arr, depot_arr_bytes(dp->cap));
	}
	if (cold->set.slot)
		iova__mem_free(d, cold->set.slot, cold->set.bytes);
	if (cold->scratch)
		iova__mem_free(d, cold->scratch, cold->scratch_bytes);
	iova__mem_free(d, cold->self_raw, cold->self_raw_bytes);
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

/*
 * log2 of the slots per chunk: at most CACHE_DIR_ENTRIES entries up to 256
 * CPUs (1 slot per chunk up to 32 CPUs), chunks of 8 above.
 */
static unsigned int chunk_shift_for(unsigned int nr_cpus)
{
	unsigned int sh = 0;

	while (sh < CACHE_CHUNK_MAX_SHIFT &&
	       ((nr_cpus + (1u << sh) - 1) >> sh) > CACHE_DIR_ENTRIES)
		sh++;
	return sh;
}

int iova_domain_init_caches(struct iova_ndomain *d,
			    const struct iova_cache_config *cfg)
{
	struct iova_cache_config c;
	struct iova_rcache *rc;
	struct cache_cold *cold;
	void *raw;
	size_t raw_bytes, slot_bytes, head_bytes, depot_bytes, bytes;
	unsigned int o, sh, nr_chunks, tail_off;
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

	/*
	 * The block: header + directory, depots, cold part (with a counter
	 * per order).  Nothing per CPU: slots come in chunks, later.
	 */
	sh = chunk_shift_for(c.nr_cpus);
	nr_chunks = (c.nr_cpus + (1u << sh) - 1) >> sh;
	head_bytes = (sizeof(*rc) + nr_chunks * sizeof(rc->dir[0]) +
		      IOVA_CACHE_LINE - 1) & ~(size_t)(IOVA_CACHE_LINE - 1);
	depot_bytes = c.max_order * sizeof(struct cache_depot);
	bytes = head_bytes + depot_bytes + sizeof(*cold) +
		c.max_order * sizeof(cold->orphan_misses[0]);
	rc = alloc_aligned(d, bytes, &raw, &raw_bytes);
	if (!rc)
		return -ENOMEM;
	rc->depot = (struct cache_depot *)(void *)((char *)rc + head_bytes);
	cold = (struct cache_cold *)(void *)((char *)rc->depot + depot_bytes);
	rc->cold = cold;
	cold->self_raw = raw;
	cold->self_raw_bytes = raw_bytes;
	iova_atomic_init(&cold->bytes, (unsigned long)raw_bytes);
	iova_atomic_init(&cold->slots, 0);
	iova_atomic_init(&cold->flushes, 0);
	iova_atomic_init(&cold->idle_trims, 0);
	rc->max_order = c.max_order;
	rc->mag_size = c.mag_size;
	rc->nr_cpus = c.nr_cpus;
	rc->chunk_shift = (uint8_t)sh;
	rc->chunk_mask = (1u << sh) - 1;
	cold->nr_chunks = nr_chunks;
	cold->depot_max = c.depot_max;
	cold->flags = c.flags;
	rc->checked = (c.flags & IOVA_CACHE_CHECK_FREES) || IOVA_DEBUG >= 1;
	rc->start = d->tree.start;
	rc->room = d->tree.end - d->tree.start;
	rc->fast_orders = 0;
	while (!rc->checked && rc->fast_orders < c.max_order &&
	       ((uint64_t)1 << rc->fast_orders) - 1 <= rc->room)
		rc->fast_orders++;
	cold->mag_bytes = sizeof(struct iova_mag) + (size_t)c.mag_size * sizeof(uint64_t);
	/*
	 * The slot, then its tail; a power of two (a shift on the hot path),
	 * at least a line.
	 */
	tail_off = (unsigned int)((sizeof(struct cache_cpu) +
				   c.max_order * sizeof(struct cache_slot) + 7) & ~(size_t)7);
	slot_bytes = tail_off + sizeof(struct cache_cpu_tail);
	rc->cpu_shift = (uint8_t)iova_clog2(slot_bytes < IOVA_CACHE_LINE ?
					    IOVA_CACHE_LINE : slot_bytes);
	cold->cpu_stride = (size_t)1 << rc->cpu_shift;
	cold->tail_off = tail_off;
	for (o = 0; o < c.max_order; o++)
		iova_spin_init(&cache_depot_at(rc, o)->lock);
	if (rc->checked && iova__cached_set_init(d, rc)) {
		free_caches(d, rc);
		return -ENOMEM;
	}
	/* Publish under the domain lock (a fence for later lock holders). */
	ret = iova__attach_ext(d, &cache_ext, rc);
	if (ret)
		free_caches(d, rc);
	return ret;
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
 * Allocate the chunk that holds slot cpu (no lock held) and publish it,
 * unless another thread did first.  Returns the slot, or NULL if the hooks
 * failed.
 */
static iova_noinline struct cache_cpu *
chunk_make(struct iova_ndomain *d, struct iova_rcache *rc, unsigned int cpu)
{
	struct cache_cold *cold = rc->cold;
	unsigned int k = cpu >> rc->chunk_shift, n = cache_chunk_slots(rc, k), j;
	struct cache_cpu *c0;
	void *raw;
	size_t raw_bytes;

	c0 = alloc_aligned(d, n * cold->cpu_stride, &raw, &raw_bytes);
	if (!c0)
		return NULL;
	for (j = 0; j < n; j++) {
		struct cache_cpu *c = (struct cache_cpu *)(void *)
			((char *)c0 + ((size_t)j << rc->cpu_shift));

		iova_spin_init(&c->lock);
		c->index = (k << rc->chunk_shift) + j;
	}
	cache_cpu_tail(rc, c0)->raw = raw;
	cache_cpu_tail(rc, c0)->raw_bytes = raw_bytes;
	cache_yield();
	/* A full barrier: the slots are initialised before they are seen. */
	if (iova_cmpxchg_ptr(&rc->dir[k], (struct cache_cpu *)NULL, c0)) {
		iova_atomic_add(&cold->bytes, (unsigned long)raw_bytes);
		iova_atomic_add(&cold->slots, n);
	} else {
		iova__mem_free(d, raw, raw_bytes);	/* another thread's won */
	}
	return cache_cpu_find(rc, cpu);
}

/*
 * The slot we picked is busy (another thread on this CPU was preempted
 * holding it, or a flush runs): wait, then look again, since we may have
 * been moved to another CPU meanwhile.  Correctness never depends on using
 * the "right" slot, only on holding the lock of the one we use.  NULL: the
 * CPU we now run on has no slot.
 */
static iova_noinline struct cache_cpu *
cpu_lock_slow(const struct iova_rcache *rc, struct cache_cpu *c)
{
	do {
		iova_spin_wait(&c->lock);
		c = cache_cpu_find(rc, cache_this_cpu(rc));
		if (!c)
			return NULL;
	} while (!iova_spin_trylock(&c->lock));
	return c;
}

/* Lock the slot of the CPU we run on; NULL if it has none. */
static inline struct cache_cpu *cpu_lock(const struct iova_rcache *rc)
{
	struct cache_cpu *c = cache_cpu_find(rc, cache_this_cpu(rc));

	if (iova_likely(c && iova_spin_trylock(&c->lock)))
		return c;
	return c ? cpu_lock_slow(rc, c) : NULL;
}

/*
 * Lock the slot of the CPU we run on, making its chunk if need be (no
 * lock held); NULL if the hooks cannot provide it.
 */
static struct cache_cpu *cpu_lock_make(struct iova_ndomain *d,
				       struct iova_rcache *rc)
{
	struct cache_cpu *c;

	while (!(c = cpu_lock(rc)))
		if (!chunk_make(d, rc, cache_this_cpu(rc)))
			return NULL;
	return c;
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
 * Refill an empty (or missing) loaded magazine: swap with prev if it holds
 * any, else exchange it for a full one from the depot (a missing one is
 * just replaced).  Returns an empty magazine that the caller must free
 * after dropping the slot lock, or NULL.
 */
static struct iova_mag *slot_refill(struct iova_rcache *rc, unsigned int order,
				    struct cache_cpu *c)
{
	struct cache_depot *dp = cache_depot_at(rc, order);
	struct cache_slot *s = &c->slot[order];
	struct iova_mag *m = s->loaded, *full, *drop = NULL;

	if (s->prev && s->prev->n) {
		s->loaded = s->prev;
		s->prev = m;
		return NULL;
	}
	if (!iova_load_acquire(&dp->nr_full))
		return NULL;	/* a racy look: nothing to take */
	iova_spin_lock(&dp->lock);
	full = depot_pop(dp, true, c->index);
	if (full) {
		dp->pops++;
		full->n = rc->mag_size;
		s->loaded = full;
		if (m && dp->nr_empty < dp->cap)
			depot_push(dp, false, m, c->index);
		else
			drop = m;
	}
	iova_spin_unlock(&dp->lock);
	return drop;
}

/*
 * A cached allocation that cache_try_get() could not serve: 1 (a hit), 0
 * (a miss, counted in the slot) or -1 (a miss of a CPU without a slot).  A
 * CPU without a slot makes one only to take a full depot magazine.
 */
static iova_noinline int
cache_get(struct iova_ndomain *d, struct iova_rcache *rc, unsigned int order,
	  uint64_t top, uint64_t *pfn_out)
{
	struct cache_cpu *c = cpu_lock(rc);
	struct cache_slot *s;
	struct iova_mag *drop = NULL;
	bool hit;

	if (!c) {
		if (!iova_load_acquire(&cache_depot_at(rc, order)->nr_full))
			return -1;
		c = cpu_lock_make(d, rc);
		if (!c)
			return -1;
	}
	s = &c->slot[order];
	if (!s->loaded || !s->loaded->n) {
		drop = slot_refill(rc, order, c);
		cache_yield();
	}
	hit = s->loaded && mag_take(s->loaded, top, pfn_out);
	if (hit)
		s->hits++;
	else
		s->misses++;
	iova_spin_unlock(&c->lock);
	if (hit && rc->checked)
		iova__cached_set_remove(&rc->cold->set, *pfn_out);
	if (drop)
		iova__mag_free(d, drop);
	return hit;
}

/* What a free needs before it can go on (slot_make_room()). */
enum room { ROOM_OK, ROOM_NEED_MAG, ROOM_NEED_ARR };

/* An array block for a depot, allocated outside the locks. */
struct arr_block {
	void *arr;
	unsigned int cap;
};

/*
 * With the depot lock held and the full stack at its cap (< depot_max):
 * move the stacks into the larger block *grow if there is one; the old
 * block goes to *grow for the caller to free.  false: allocate one first.
 */
static bool depot_grow(struct cache_depot *dp, struct arr_block *grow)
{
	void *old = dp->arr, *arr = grow->arr;
	unsigned int cap = dp->cap, i, f;

	if (!arr || grow->cap <= cap)
		return false;
	for (f = 0; f < 2; f++) {
		unsigned int nr = f ? dp->nr_full : dp->nr_empty;

		for (i = 0; i < nr; i++) {
			arr_mag(arr, grow->cap, f)[i] = arr_mag(old, cap, f)[i];
			arr_owner(arr, grow->cap, f)[i] = arr_owner(old, cap, f)[i];
		}
	}
	dp->arr = arr;
	iova_store_release(&dp->cap, grow->cap);
	grow->arr = old;
	grow->cap = cap;
	return true;
}

/*
 * Both magazines of the slot are full: move loaded to the depot and load an
 * empty one (a spare from the depot, or *spare).  If the depot already holds
 * depot_max full magazines, give loaded's ranges back to the index instead
 * (the opportunistic trim) and reuse it; *trimmed tells the caller to trim
 * the index's node pool once the slot lock is dropped (no hook calls under
 * a cache lock).  Returns ROOM_NEED_MAG if no empty magazine was at hand,
 * ROOM_NEED_ARR if the depot's arrays are full: the caller allocates outside
 * the locks and retries.
 */
static enum room slot_make_room(struct iova_ndomain *d, struct iova_rcache *rc,
				unsigned int order, struct cache_cpu *c,
				struct iova_mag **spare, struct arr_block *grow,
				bool *trimmed)
{
	struct cache_depot *dp = cache_depot_at(rc, order);
	struct cache_slot *s = &c->slot[order];
	struct iova_mag *m = s->loaded, *e;
	size_t n;

	iova_spin_lock(&dp->lock);
	if (dp->nr_full >= rc->cold->depot_max) {
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
		return ROOM_OK;
	}
	if (dp->nr_full >= dp->cap && !depot_grow(dp, grow)) {
		iova_spin_unlock(&dp->lock);
		return ROOM_NEED_ARR;
	}
	e = depot_pop(dp, false, c->index);
	if (!e && *spare) {
		e = *spare;
		*spare = NULL;
	} else if (!e) {
		iova_spin_unlock(&dp->lock);
		return ROOM_NEED_MAG;
	}
	depot_push(dp, true, m, c->index);
	dp->pushes++;
	iova_spin_unlock(&dp->lock);
	e->n = 0;
	s->loaded = e;
	return ROOM_OK;
}

/* A spare empty magazine for a slot without one: the depot's or *spare. */
static struct iova_mag *take_empty(struct cache_depot *dp, unsigned int owner,
				   struct iova_mag **spare)
{
	struct iova_mag *e = NULL;

	if (iova_load_acquire(&dp->nr_empty)) {
		iova_spin_lock(&dp->lock);
		e = depot_pop(dp, false, owner);
		iova_spin_unlock(&dp->lock);
	}
	if (!e && *spare) {
		e = *spare;
		*spare = NULL;
	}
	if (e)
		e->n = 0;
	return e;
}

/*
 * Make room for one pfn in slot c, order: ROOM_OK, or what to allocate
 * first.  Magazines come on first use: loaded when the CPU first frees
 * this order, prev when loaded first fills.
 */
static enum room slot_room(struct iova_ndomain *d, struct iova_rcache *rc,
			   unsigned int order, struct cache_cpu *c,
			   struct iova_mag **spare, struct arr_block *grow,
			   bool *trimmed)
{
	struct cache_depot *dp = cache_depot_at(rc, order);
	struct cache_slot *s = &c->slot[order];
	struct iova_mag *e;

	if (s->loaded && s->loaded->n < rc->mag_size)
		return ROOM_OK;
	if (s->prev && s->prev->n < rc->mag_size) {
		e = s->loaded;
		s->loaded = s->prev;
		s->prev = e;
		return ROOM_OK;
	}
	if (!s->loaded || !s->prev) {
		e = take_empty(dp, c->index, spare);
		if (!e)
			return ROOM_NEED_MAG;
		s->prev = s->loaded;	/* NULL, or full */
		s->loaded = e;
		return ROOM_OK;
	}
	return slot_make_room(d, rc, order, c, spare, grow, trimmed);
}

static void count_fallback(struct cache_depot *dp)
{
	iova_spin_lock(&dp->lock);
	dp->put_fallbacks++;
	iova_spin_unlock(&dp->lock);
}

/*
 * A cached free that cache_try_put() could not serve; false: no memory (a
 * slot, a magazine or a depot array could not be had).
 */
static iova_noinline bool
cache_put(struct iova_ndomain *d, struct iova_rcache *rc, unsigned int order,
	  uint64_t pfn)
{
	struct cache_depot *dp = cache_depot_at(rc, order);
	struct iova_mag *spare = NULL;
	struct arr_block grow = { NULL, 0 };
	struct cache_cpu *c = cpu_lock_make(d, rc);
	bool trimmed = false, ok = true;
	enum room r;

	if (!c) {
		count_fallback(dp);
		return false;
	}
	for (;;) {
		struct cache_slot *s = &c->slot[order];

		/*
		 * A plain push shows in the slot's pfn count; anything else
		 * (a swap, a magazine in or out) counts as an op (idle).
		 */
		if (!s->loaded || s->loaded->n >= rc->mag_size)
			cache_cpu_tail(rc, c)->ops++;
		r = slot_room(d, rc, order, c, &spare, &grow, &trimmed);
		cache_yield();
		if (r == ROOM_OK) {
			s->loaded->pfn[s->loaded->n++] = pfn;
			iova_spin_unlock(&c->lock);
			break;
		}
		iova_spin_unlock(&c->lock);
		cache_yield();
		if (r == ROOM_NEED_MAG && !spare) {
			spare = iova__mag_alloc(d, rc);
			ok = spare;
		} else if (r == ROOM_NEED_ARR) {
			unsigned int cap = iova_load_acquire(&dp->cap);
			unsigned int max = rc->cold->depot_max;

			cap = cap ? 2 * cap : 4;
			if (grow.arr && grow.cap < cap) {
				/* An old block given back, or too small now. */
				iova__cache_mem_free(d, rc, grow.arr,
						     depot_arr_bytes(grow.cap));
				grow.arr = NULL;
			}
			if (!grow.arr) {
				grow.cap = cap < max ? cap : max;
				grow.arr = iova__cache_mem_alloc(d, rc,
								 depot_arr_bytes(grow.cap));
				ok = grow.arr;
			}
		}
		if (ok) {
			c = cpu_lock_make(d, rc);	/* maybe another CPU */
			ok = c;
		}
		if (!ok) {
			count_fallback(dp);
			break;
		}
	}
	if (trimmed) {
		iova_lock(&d->lock);
		iova__unlock_trim(d);
	}
	if (spare) {
		/* Not needed after all (another path made room): keep or free. */
		iova_spin_lock(&dp->lock);
		if (dp->nr_empty < dp->cap) {
			depot_push(dp, false, spare, rc->nr_cpus);
			spare = NULL;
		}
		iova_spin_unlock(&dp->lock);
		if (spare)
			iova__mag_free(d, spare);
	}
	if (grow.arr)	/* the replaced block, or one not needed */
		iova__cache_mem_free(d, rc, grow.arr, depot_arr_bytes(grow.cap));
	return ok;
}

/* --- the index side ------------------------------------------------ */

/*
 * The index serves a fast allocation: 2^order pfns aligned to 2^order when
 * the order is cached, else size pfns (same alignment).  rc is re-read
 * under the domain lock: a fast call that finds no caches there marks the
 * domain so that caches can never be added under its ranges' feet.
 */
static int index_alloc(struct iova_ndomain *d, uint64_t size, unsigned int order,
		       uint64_t max_pfn, bool flush_retry, bool orphan,
		       uint64_t *pfn_out)
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
	if (orphan)
		rc->cold->orphan_misses[order]++;
	if (flush_retry)
		ret = iova__alloc_flush_locked(d, size, align, 0, max_pfn,
					       IOVA_TOP_DOWN, NULL, pfn_out);
	else
		ret = iova__alloc_locked(d, size, align, 0, max_pfn,
					 IOVA_TOP_DOWN, NULL, pfn_out);
	iova_unlock(&d->lock);
	return ret == -ENOSPC ? -ENOMEM : ret;
}

/*
 * Everything but a hit on an uncontended slot (see iova_alloc_fast()): the
 * entry point's own arguments, so that its tail call moves none.
 */
static iova_noinline int
alloc_fast_slow(struct iova_ndomain *d, uint64_t size, uint64_t max_pfn,
		bool flush_retry, uint64_t *pfn_out)
{
	unsigned int order = cache_size_order(size);
	struct iova_rcache *rc;
	bool orphan = false;

	if (!d || !pfn_out || !cache_size_ok(size))
		return -EINVAL;
	rc = iova_load_acquire(&d->rcache);
	if (rc && order < rc->max_order) {
		uint64_t span = ((uint64_t)1 << order) - 1;
		int r = -1;

		if (iova_likely(max_pfn >= span))
			r = cache_get(d, rc, order, max_pfn - span, pfn_out);
		if (r > 0) {
			iova_env_count(IOVA_EV_CACHE_HIT);
			return 0;
		}
		iova_env_count(IOVA_EV_CACHE_MISS);
		orphan = r < 0;
	}
	return index_alloc(d, size, order, max_pfn, flush_retry, orphan, pfn_out);
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
		ret = iova__cached_set_insert(&rc->cold->set, pfn);
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
	return alloc_fast_slow(d, size, max_pfn, flush_retry, pfn_out);
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
