// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Per-CPU magazine caches: giving ranges back to the index (flushes and
 * trims), statistics and validation.  Invariants C1-C5 and the lock order
 * are at the top of mag.h.
 *
 * Trim policy (docs/caches.md): the depot of an order holds at most
 * depot_max full magazines (default: one per CPU slot, the level mainline's
 * worker trims down to).  A free that would push one more gives that
 * magazine's ranges back to the index at once instead, so no background
 * thread is needed and the depot never exceeds its bound.
 * iova_cache_trim() gives back every full depot magazine, frees the spare
 * empty ones and the depot's arrays, and gives back the magazines of every
 * idle CPU slot: one with no cache traffic since the previous
 * iova_cache_trim() (struct cache_cpu_tail).  A program (or the kernel
 * glue, from a timer) that calls it every T seconds gets a quiet CPU's
 * magazines back within 2T; its slot (cpu_stride bytes in its chunk) stays
 * until the domain goes, since a fast path may be reading it without a
 * lock (freeing it would need a grace period).
 */
#include "mag.h"

/* --- back to the index --------------------------------------------- */

/* Give a list of full magazines back to the index, then recycle them. */
static void release_full_list(struct iova_ndomain *d, unsigned int order,
			      struct iova_mag *list)
{
	struct iova_rcache *rc = d->rcache;
	struct cache_depot *dp = cache_depot_at(rc, order);
	struct iova_mag *m, *next;

	if (!list)
		return;
	iova_lock(&d->lock);
	for (m = list; m; m = m->next)
		iova__cache_release_locked(d, m->pfn, rc->mag_size, order);
	iova_env_count(IOVA_EV_CACHE_SPILL);
	iova__unlock_trim(d);
	/* Keep what the spare stack has room for; free the rest unlocked. */
	iova_spin_lock(&dp->lock);
	for (m = list; m && dp->nr_empty < dp->cap; m = next) {
		next = m->next;
		depot_push(dp, false, m, rc->nr_cpus);
	}
	iova_spin_unlock(&dp->lock);
	iova__mag_free_list(d, m);
}

/* --- flushes and trims --------------------------------------------- */

/* The activity snapshot of a locked slot (struct cache_cpu_tail). */
static void slot_activity(const struct iova_rcache *rc, struct cache_cpu *c,
			  uint64_t *ops, uint64_t *n, unsigned int *mags)
{
	unsigned int o;

	*ops = cache_cpu_tail(rc, c)->ops;
	*n = 0;
	*mags = 0;
	for (o = 0; o < rc->max_order; o++) {
		const struct cache_slot *s = &c->slot[o];

		*ops += s->hits + s->misses;
		if (s->loaded) {
			*n += s->loaded->n;
			(*mags)++;
		}
		if (s->prev) {
			*n += s->prev->n;
			(*mags)++;
		}
	}
}

/*
 * With the slot lock held: give the slot's ranges back to the index; with
 * take, also detach its magazines onto *list (the caller frees them once
 * the lock is dropped).  flushed[o] gets the ranges of order o.
 */
static void slot_release(struct iova_ndomain *d, struct cache_cpu *c, bool take,
			 uint64_t *flushed, struct iova_mag **list)
{
	struct iova_rcache *rc = d->rcache;
	unsigned int o;

	/* Slot lock -> domain lock; node memory is freed after both. */
	iova_lock(&d->lock);
	for (o = 0; o < rc->max_order; o++) {
		struct cache_slot *s = &c->slot[o];
		struct iova_mag *m[2] = { s->loaded, s->prev };
		unsigned int i;

		flushed[o] = 0;
		for (i = 0; i < 2; i++) {
			if (!m[i])
				continue;
			flushed[o] += m[i]->n;
			iova__cache_release_locked(d, m[i]->pfn, m[i]->n, o);
			m[i]->n = 0;
			if (take) {
				m[i]->next = *list;
				*list = m[i];
			}
		}
		if (take) {
			s->loaded = NULL;
			s->prev = NULL;
		}
	}
	iova_unlock(&d->lock);
}

static void count_flushed(struct iova_rcache *rc, const uint64_t *flushed)
{
	unsigned int o;

	for (o = 0; o < rc->max_order; o++) {
		struct cache_depot *dp = cache_depot_at(rc, o);

		if (!flushed[o])
			continue;
		iova_spin_lock(&dp->lock);
		dp->flushed_ranges += flushed[o];
		iova_spin_unlock(&dp->lock);
	}
}

/*
 * Flush one slot; with take, its magazines go back to the hooks too (a
 * dead CPU's, or an idle one's).  idle: only if the slot saw no traffic
 * since the previous call (and it holds magazines); returns whether the
 * slot was flushed.
 */
static bool flush_slot(struct iova_ndomain *d, struct cache_cpu *c, bool take,
		       bool idle)
{
	struct iova_rcache *rc = d->rcache;
	uint64_t flushed[IOVA_CACHE_MAX_ORDER], ops, n;
	struct iova_mag *list = NULL;
	unsigned int mags;

	iova_spin_lock(&c->lock);
	if (idle) {
		struct cache_cpu_tail *t = cache_cpu_tail(rc, c);

		slot_activity(rc, c, &ops, &n, &mags);
		if (ops != t->seen_ops || n != t->seen_n || !mags) {
			t->seen_ops = ops;
			t->seen_n = n;
			iova_spin_unlock(&c->lock);
			return false;
		}
		t->seen_n = 0;	/* what the slot holds after this */
	}
	slot_release(d, c, take, flushed, &list);
	cache_yield();
	iova_spin_unlock(&c->lock);
	count_flushed(rc, flushed);
	iova__mag_free_list(d, list);
	iova_lock(&d->lock);
	iova__unlock_trim(d);
	return true;
}

void iova_cache_flush_cpu(struct iova_ndomain *d, unsigned int cpu)
{
	struct cache_cpu *c;

	if (!d || !d->rcache || cpu >= d->rcache->nr_cpus)
		return;
	c = cache_cpu_find(d->rcache, cpu);
	if (!c)
		return;	/* never used: nothing cached, no magazines */
	flush_slot(d, c, true, false);
	iova_atomic_inc(&d->rcache->cold->flushes);
}

/* Take every full magazine of the depot, as a list; *nr gets its length. */
static struct iova_mag *depot_take_all(struct cache_depot *dp, unsigned int *nr)
{
	struct iova_mag *list = NULL;
	unsigned int i;

	iova_spin_lock(&dp->lock);
	*nr = dp->nr_full;
	for (i = 0; i < dp->nr_full; i++) {
		depot_mag(dp, true)[i]->next = list;
		list = depot_mag(dp, true)[i];
	}
	depot_set_nr(dp, true, 0);
	iova_spin_unlock(&dp->lock);
	return list;
}

void iova_cache_flush_all(struct iova_ndomain *d)
{
	struct iova_rcache *rc;
	unsigned int i, o, nr;

	if (!d || !d->rcache)
		return;
	rc = d->rcache;
	for (i = 0; i < rc->nr_cpus; i++) {
		struct cache_cpu *c = cache_cpu_find(rc, i);

		if (c) {
			flush_slot(d, c, false, false);
			iova_atomic_inc(&rc->cold->flushes);
		}
	}
	for (o = 0; o < rc->max_order; o++) {
		struct cache_depot *dp = cache_depot_at(rc, o);
		struct iova_mag *list = depot_take_all(dp, &nr);

		cache_yield();
		release_full_list(d, o, list);
		iova_spin_lock(&dp->lock);
		dp->flushed_ranges += (uint64_t)nr * rc->mag_size;
		iova_spin_unlock(&dp->lock);
	}
}

unsigned int iova_cache_trim(struct iova_ndomain *d)
{
	struct iova_rcache *rc;
	unsigned int i, o, nr, total = 0;

	if (!d || !d->rcache)
		return 0;
	rc = d->rcache;
	/* Idle CPU slots first: their magazines, then the depot's. */
	for (i = 0; i < rc->nr_cpus; i++) {
		struct cache_cpu *c = cache_cpu_find(rc, i);

		if (c && flush_slot(d, c, true, true))
			iova_atomic_inc(&rc->cold->idle_trims);
	}
	for (o = 0; o < rc->max_order; o++) {
		struct cache_depot *dp = cache_depot_at(rc, o);
		struct iova_mag *list = depot_take_all(dp, &nr), *spares = NULL;
		void *arr = NULL;
		unsigned int cap = 0;

		release_full_list(d, o, list);
		iova_spin_lock(&dp->lock);
		dp->trims += nr;
		while (dp->nr_empty) {
			struct iova_mag *m = depot_mag(dp, false)[dp->nr_empty - 1];

			depot_set_nr(dp, false, dp->nr_empty - 1);
			m->next = spares;
			spares = m;
		}
		if (!dp->nr_full && dp->arr) {
			/* Empty: the arrays go too (back on the next push). */
			arr = dp->arr;
			cap = dp->cap;
			dp->arr = NULL;
			iova_store_release(&dp->cap, 0u);
		}
		iova_spin_unlock(&dp->lock);
		iova__mag_free_list(d, spares);
		if (arr)
			iova__cache_mem_free(d, rc, arr, depot_arr_bytes(cap));
		total += nr;
	}
	return total;
}

/* --- lookups, statistics ------------------------------------------- */

static bool mag_has(const struct iova_mag *m, size_t n, uint64_t pfn)
{
	size_t i;

	for (i = 0; m && i < n; i++)
		if (m->pfn[i] == pfn)
			return true;
	return false;
}

bool iova__cache_contains(struct iova_ndomain *d, unsigned int order,
			  uint64_t pfn)
{
	struct iova_rcache *rc = d->rcache;
	struct cache_depot *dp = cache_depot_at(rc, order);
	bool found = false;
	unsigned int i;

	for (i = 0; i < rc->nr_cpus && !found; i++) {
		struct cache_cpu *c = cache_cpu_find(rc, i);
		struct cache_slot *s;

		if (!c)
			continue;
		s = &c->slot[order];
		iova_spin_lock(&c->lock);
		found = mag_has(s->loaded, s->loaded ? s->loaded->n : 0, pfn) ||
			mag_has(s->prev, s->prev ? s->prev->n : 0, pfn);
		iova_spin_unlock(&c->lock);
	}
	iova_spin_lock(&dp->lock);
	for (i = 0; i < dp->nr_full && !found; i++)
		found = mag_has(depot_mag(dp, true)[i], rc->mag_size, pfn);
	iova_spin_unlock(&dp->lock);
	return found;
}

int iova_cache_get_stats(struct iova_ndomain *d, unsigned int order,
			 struct iova_cache_stats *st)
{
	struct iova_rcache *rc;
	struct cache_depot *dp;
	uint64_t mags = 0;
	unsigned int i;

	if (!d || !st)
		return -EINVAL;
	rc = d->rcache;
	if (!rc)
		return -ENOENT;
	if (order >= rc->max_order)
		return -EINVAL;
	*st = (struct iova_cache_stats){ 0 };
	for (i = 0; i < rc->nr_cpus; i++) {
		struct cache_cpu *c = cache_cpu_find(rc, i);
		struct cache_slot *s;

		if (!c)
			continue;
		s = &c->slot[order];
		iova_spin_lock(&c->lock);
		st->hits += s->hits;
		st->misses += s->misses;
		if (s->loaded) {
			st->cached_ranges += s->loaded->n;
			mags++;
		}
		if (s->prev) {
			st->cached_ranges += s->prev->n;
			mags++;
		}
		iova_spin_unlock(&c->lock);
	}
	iova_lock(&d->lock);
	st->misses += rc->cold->orphan_misses[order];
	iova_unlock(&d->lock);
	dp = cache_depot_at(rc, order);
	iova_spin_lock(&dp->lock);
	st->depot_mags = dp->nr_full;
	st->trims = dp->trims;
	st->cached_ranges += (uint64_t)dp->nr_full * rc->mag_size;
	st->depot_pushes = dp->pushes;
	st->depot_pops = dp->pops;
	st->flushed_ranges = dp->flushed_ranges;
	st->put_fallbacks = dp->put_fallbacks;
	st->mag_bytes = (mags + dp->nr_full + dp->nr_empty) * rc->cold->mag_bytes;
	iova_spin_unlock(&dp->lock);
	st->flushes = iova_atomic_read(&rc->cold->flushes);
	st->cpu_slots = iova_atomic_read(&rc->cold->slots);
	st->idle_trims = iova_atomic_read(&rc->cold->idle_trims);
	st->cache_bytes = iova_atomic_read(&rc->cold->bytes);
	return 0;
}

int iova_cache_get_config(struct iova_ndomain *d, struct iova_cache_config *cfg)
{
	struct iova_rcache *rc;

	if (!d || !cfg)
		return -EINVAL;
	rc = d->rcache;
	if (!rc)
		return -ENOENT;
	cfg->max_order = rc->max_order;
	cfg->mag_size = rc->mag_size;
	cfg->nr_cpus = rc->nr_cpus;
	cfg->depot_max = rc->cold->depot_max;
	/* In force: a debug build checks frees fully without the flag. */
	cfg->flags = rc->cold->flags | (rc->checked ? IOVA_CACHE_CHECK_FREES : 0);
	return 0;
}

/* --- test hooks and validation ------------------------------------- */

#if IOVA_TEST_HOOKS
void iova__cache_set_debug_yield(struct iova_ndomain *d, bool on)
{
	(void)d;
	iova__test_set_yield(on);
}
#endif

int iova__cache_slot_counts(struct iova_ndomain *d, unsigned int cpu,
			    unsigned int order, unsigned int *loaded,
			    unsigned int *prev)
{
	struct iova_rcache *rc = d ? d->rcache : NULL;
	struct cache_cpu *c;
	struct cache_slot *s;

	if (!rc)
		return -ENOENT;
	if (cpu >= rc->nr_cpus || order >= rc->max_order)
		return -EINVAL;
	*loaded = *prev = 0;
	c = cache_cpu_find(rc, cpu);
	if (!c)
		return 0;
	s = &c->slot[order];
	iova_spin_lock(&c->lock);
	if (s->loaded)
		*loaded = (unsigned int)s->loaded->n;
	if (s->prev)
		*prev = (unsigned int)s->prev->n;
	iova_spin_unlock(&c->lock);
	return 0;
}

int iova__cache_depot_counts(struct iova_ndomain *d, unsigned int order,
			     unsigned int *nr_full, unsigned int *nr_empty)
{
	struct iova_rcache *rc = d ? d->rcache : NULL;
	struct cache_depot *dp;

	if (!rc)
		return -ENOENT;
	if (order >= rc->max_order)
		return -EINVAL;
	dp = cache_depot_at(rc, order);
	iova_spin_lock(&dp->lock);
	*nr_full = dp->nr_full;
	*nr_empty = dp->nr_empty;
	iova_spin_unlock(&dp->lock);
	return 0;
}

/* Heapsort of n pfns (validation only: no C library in the core). */
static void sift_down(uint64_t *a, size_t i, size_t n)
{
	for (;;) {
		size_t c = 2 * i + 1;
		uint64_t t;

		if (c >= n)
			return;
		if (c + 1 < n && a[c + 1] > a[c])
			c++;
		if (a[i] >= a[c])
			return;
		t = a[i];
		a[i] = a[c];
		a[c] = t;
		i = c;
	}
}

static void sort_u64(uint64_t *a, size_t n)
{
	size_t i;

	for (i = n / 2; i-- > 0;)
		sift_down(a, i, n);
	while (n > 1) {
		uint64_t t = a[0];

		a[0] = a[--n];
		a[n] = t;
		sift_down(a, 0, n);
	}
}

/* Append a magazine's pfns to the scratch array, checking C3 on the way. */
static const char *check_mag(struct iova_ndomain *d, const struct iova_mag *m,
			     size_t n, unsigned int order, uint64_t *all,
			     size_t *nall)
{
	uint64_t size = (uint64_t)1 << order;
	struct iova_range g;
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t pfn = m->pfn[i];

		if (iova__find_locked(d, pfn, false, &g) ||
		    (g.flags & IOVA_RANGE_RESERVED) || g.lo != pfn ||
		    g.hi - g.lo != size - 1)
			return "C3) a cached pfn is not a live range of its order";
		if (d->rcache->checked &&
		    !iova__cached_set_has(&d->rcache->cold->set, pfn))
			return "C5) a cached pfn is missing from the cached set";
		all[(*nall)++] = pfn;
	}
	return NULL;
}

/* C1 of one locked slot, and its pfns (C3) into the scratch array. */
static const char *check_slot(struct iova_ndomain *d, struct cache_cpu *c,
			      unsigned int cpu, uint64_t *all, size_t cap,
			      size_t *nall)
{
	struct iova_rcache *rc = d->rcache;
	const char *w = NULL;
	unsigned int o;

	if (c->index != cpu)
		return "C1) a CPU slot with the wrong number";
	for (o = 0; o < rc->max_order && !w; o++) {
		struct cache_slot *s = &c->slot[o];
		size_t nl = s->loaded ? s->loaded->n : 0;
		size_t np = s->prev ? s->prev->n : 0;

		if (!s->loaded && s->prev)
			return "C1) a CPU slot has prev without loaded";
		if (s->loaded && s->loaded == s->prev)
			return "C1) a CPU slot has one magazine twice";
		if (nl > rc->mag_size || np > rc->mag_size)
			return "C1) a magazine holds more than mag_size";
		if (*nall + nl + np > cap)
			return "C2) more cached pfns than the bounds allow";
		if (nl)
			w = check_mag(d, s->loaded, nl, o, all, nall);
		if (!w && np)
			w = check_mag(d, s->prev, np, o, all, nall);
	}
	return w;
}

/* snap: the directory as it was when its slots were locked. */
static const char *validate_all_locked(struct iova_ndomain *d, uint64_t *all,
				       size_t cap, size_t *nall,
				       struct cache_cpu *const *snap)
{
	struct iova_rcache *rc = d->rcache;
	unsigned int depot_max = rc->cold->depot_max;
	const char *w = NULL;
	unsigned int i, j, o, k;

	for (k = 0; k < rc->cold->nr_chunks && !w; k++) {
		for (j = 0; snap[k] && j < cache_chunk_slots(rc, k) && !w; j++) {
			unsigned int cpu = (k << rc->chunk_shift) + j;

			w = check_slot(d, cache_cpu_find(rc, cpu), cpu, all, cap, nall);
		}
	}
	for (o = 0; o < rc->max_order && !w; o++) {
		struct cache_depot *dp = cache_depot_at(rc, o);

		if (dp->cap > depot_max || !dp->arr != !dp->cap)
			return "C2) a depot's arrays are not of 1..depot_max entries";
		if (dp->nr_full > dp->cap || dp->nr_empty > dp->cap)
			return "C2) a depot holds more magazines than its arrays";
		for (k = 0; k < dp->nr_empty; k++)
			if (!depot_mag(dp, false)[k] ||
			    depot_owner(dp, false)[k] > rc->nr_cpus)
				return "C2) a bad spare magazine entry";
		for (k = 0; k < dp->nr_full && !w; k++) {
			if (!depot_mag(dp, true)[k] ||
			    depot_owner(dp, true)[k] >= rc->nr_cpus)
				return "C2) a bad full magazine entry";
			if (*nall + rc->mag_size > cap)
				return "C2) more cached pfns than the bounds allow";
			w = check_mag(d, depot_mag(dp, true)[k], rc->mag_size, o,
				      all, nall);
		}
	}
	if (w)
		return w;
	sort_u64(all, *nall);
	for (i = 1; i < *nall; i++)
		if (all[i] == all[i - 1])
			return "C4) a pfn is cached twice";
	return NULL;
}

/*
 * Lock (or unlock) every slot of the chunks in snap, in ascending order
 * (unlocking in descending order).
 */
static void lock_snapshot(struct iova_rcache *rc, struct cache_cpu *const *snap,
			  bool lock)
{
	unsigned int nr = rc->cold->nr_chunks, k, j;

	for (k = 0; k < nr; k++) {
		unsigned int kk = lock ? k : nr - 1 - k;
		unsigned int n = snap[kk] ? cache_chunk_slots(rc, kk) : 0;

		for (j = 0; j < n; j++) {
			unsigned int jj = lock ? j : n - 1 - j;
			struct cache_cpu *c = cache_cpu_find(rc, (kk << rc->chunk_shift) + jj);

			if (lock)
				iova_spin_lock(&c->lock);
			else
				iova_spin_unlock(&c->lock);
		}
	}
}

int iova__cache_validate(struct iova_ndomain *d, const char **why)
{
	struct iova_rcache *rc;
	struct cache_cold *cold;
	struct cache_cpu **snap;
	const char *w;
	uint64_t *all;
	size_t cap, bytes, nall = 0;
	unsigned int o, k;

	if (why)
		*why = NULL;
	if (!d)
		return -EINVAL;
	rc = d->rcache;
	if (!rc)
		return 0;
	cold = rc->cold;
	/* Bound of C1 + C2: what can be cached at most. */
	cap = ((size_t)rc->nr_cpus * 2 + cold->depot_max) * rc->mag_size *
	      rc->max_order;
	bytes = cap * sizeof(*all) + cold->nr_chunks * sizeof(*snap) + 1;
	all = cold->scratch ? cold->scratch : iova__mem_alloc(d, bytes);
	if (!all)
		return -ENOMEM;
	/*
	 * Chunks that appear later are not looked at (their slots hold what
	 * users freed; nothing moves between them and the depot or the index
	 * while the depot and domain locks below are held).
	 */
	snap = (struct cache_cpu **)(void *)(all + cap);
	for (k = 0; k < cold->nr_chunks; k++)
		snap[k] = iova_load_acquire(&rc->dir[k]);
	lock_snapshot(rc, snap, true);
	for (o = 0; o < rc->max_order; o++)
		iova_spin_lock(&cache_depot_at(rc, o)->lock);
	iova_lock(&d->lock);
	w = validate_all_locked(d, all, cap, &nall, snap);
	iova_unlock(&d->lock);
	for (o = rc->max_order; o-- > 0;)
		iova_spin_unlock(&cache_depot_at(rc, o)->lock);
	lock_snapshot(rc, snap, false);
	if (all != cold->scratch)
		iova__mem_free(d, all, bytes);
	if (why)
		*why = w;
	return w ? -EIO : 0;
}
