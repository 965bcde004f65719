// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Per-CPU magazine caches: giving ranges back to the index (flushes and
 * trims), statistics and validation.  Invariants C1-C4 and the lock order
 * are at the top of mag.h.
 *
 * Trim policy (docs/caches.md): the depot of an order holds at most
 * depot_max full magazines (default: one per CPU slot, the level mainline's
 * worker trims down to).  A free that would push one more gives that
 * magazine's ranges back to the index at once instead, so no background
 * thread is needed and the depot never exceeds its bound.  iova_cache_trim()
 * gives back every full depot magazine and frees the spare empty ones; an
 * idle program calls it to return IOVA space and memory.
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
	/* Keep up to depot_max spares; free the rest outside the lock. */
	iova_spin_lock(&dp->lock);
	for (m = list; m && dp->empty.nr < rc->depot_max; m = next) {
		next = m->next;
		mag_stack_push(&dp->empty, m, rc->nr_cpus);
	}
	iova_spin_unlock(&dp->lock);
	for (; m; m = next) {
		next = m->next;
		iova__mag_free(d, m);
	}
}

/* --- flushes and trims --------------------------------------------- */

static void flush_slot(struct iova_ndomain *d, struct cache_cpu *c)
{
	struct iova_rcache *rc = d->rcache;
	uint64_t flushed[IOVA_CACHE_MAX_ORDER];
	unsigned int o;

	iova_spin_lock(&c->lock);
	/* Slot lock -> domain lock; node memory is freed after both. */
	iova_lock(&d->lock);
	for (o = 0; o < rc->max_order; o++) {
		struct cache_slot *s = &c->slot[o];

		flushed[o] = s->loaded->n + s->prev->n;
		iova__cache_release_locked(d, s->loaded->pfn, s->loaded->n, o);
		iova__cache_release_locked(d, s->prev->pfn, s->prev->n, o);
		s->loaded->n = 0;
		s->prev->n = 0;
	}
	iova_unlock(&d->lock);
	cache_yield();
	for (o = 0; o < rc->max_order; o++) {
		struct cache_depot *dp = cache_depot_at(rc, o);

		iova_spin_lock(&dp->lock);
		dp->flushes++;
		dp->flushed_ranges += flushed[o];
		iova_spin_unlock(&dp->lock);
	}
	iova_spin_unlock(&c->lock);
	iova_lock(&d->lock);
	iova__unlock_trim(d);
}

void iova_cache_flush_cpu(struct iova_ndomain *d, unsigned int cpu)
{
	if (!d || !d->rcache || cpu >= d->rcache->nr_cpus)
		return;
	flush_slot(d, cache_cpu_at(d->rcache, cpu));
}

/* Take every full magazine of the depot, as a list; *nr gets its length. */
static struct iova_mag *depot_take_all(struct cache_depot *dp, unsigned int *nr)
{
	struct iova_mag *list = NULL;
	unsigned int i;

	iova_spin_lock(&dp->lock);
	*nr = dp->full.nr;
	for (i = 0; i < dp->full.nr; i++) {
		dp->full.mag[i]->next = list;
		list = dp->full.mag[i];
	}
	dp->full.nr = 0;
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
	for (i = 0; i < rc->nr_cpus; i++)
		flush_slot(d, cache_cpu_at(rc, i));
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
	unsigned int o, nr, total = 0;

	if (!d || !d->rcache)
		return 0;
	rc = d->rcache;
	for (o = 0; o < rc->max_order; o++) {
		struct cache_depot *dp = cache_depot_at(rc, o);
		struct iova_mag *list = depot_take_all(dp, &nr), *spares, *m;

		release_full_list(d, o, list);
		iova_spin_lock(&dp->lock);
		dp->trims += nr;
		spares = NULL;
		while (dp->empty.nr) {
			m = dp->empty.mag[--dp->empty.nr];
			m->next = spares;
			spares = m;
		}
		iova_spin_unlock(&dp->lock);
		while (spares) {
			m = spares->next;
			iova__mag_free(d, spares);
			spares = m;
		}
		total += nr;
	}
	return total;
}

/* --- lookups, statistics ------------------------------------------- */

static bool mag_has(const struct iova_mag *m, size_t n, uint64_t pfn)
{
	size_t i;

	for (i = 0; i < n; i++)
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
		struct cache_cpu *c = cache_cpu_at(rc, i);
		struct cache_slot *s = &c->slot[order];

		iova_spin_lock(&c->lock);
		found = mag_has(s->loaded, s->loaded->n, pfn) ||
			mag_has(s->prev, s->prev->n, pfn);
		iova_spin_unlock(&c->lock);
	}
	iova_spin_lock(&dp->lock);
	for (i = 0; i < dp->full.nr && !found; i++)
		found = mag_has(dp->full.mag[i], rc->mag_size, pfn);
	iova_spin_unlock(&dp->lock);
	return found;
}

int iova_cache_get_stats(struct iova_ndomain *d, unsigned int order,
			 struct iova_cache_stats *st)
{
	struct iova_rcache *rc;
	struct cache_depot *dp;
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
		struct cache_cpu *c = cache_cpu_at(rc, i);
		struct cache_slot *s = &c->slot[order];

		iova_spin_lock(&c->lock);
		st->hits += s->hits;
		st->misses += s->misses;
		st->cached_ranges += s->loaded->n + s->prev->n;
		iova_spin_unlock(&c->lock);
	}
	dp = cache_depot_at(rc, order);
	iova_spin_lock(&dp->lock);
	st->depot_mags = dp->full.nr;
	st->flushes = dp->flushes;
	st->trims = dp->trims;
	st->cached_ranges += (uint64_t)dp->full.nr * rc->mag_size;
	st->depot_pushes = dp->pushes;
	st->depot_pops = dp->pops;
	st->flushed_ranges = dp->flushed_ranges;
	st->put_fallbacks = dp->put_fallbacks;
	st->mag_bytes = ((uint64_t)rc->nr_cpus * 2 + dp->full.nr + dp->empty.nr) *
			rc->mag_bytes;
	iova_spin_unlock(&dp->lock);
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
	cfg->depot_max = rc->depot_max;
	/* In force: a debug build checks frees fully without the flag. */
	cfg->flags = rc->flags | (rc->checked ? IOVA_CACHE_CHECK_FREES : 0);
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

	if (!rc)
		return -ENOENT;
	if (cpu >= rc->nr_cpus || order >= rc->max_order)
		return -EINVAL;
	c = cache_cpu_at(rc, cpu);
	iova_spin_lock(&c->lock);
	*loaded = (unsigned int)c->slot[order].loaded->n;
	*prev = (unsigned int)c->slot[order].prev->n;
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
	*nr_full = dp->full.nr;
	*nr_empty = dp->empty.nr;
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
		if (d->rcache->checked && !iova__cached_set_has(&d->rcache->set, pfn))
			return "C5) a cached pfn is missing from the cached set";
		all[(*nall)++] = pfn;
	}
	return NULL;
}

static const char *validate_all_locked(struct iova_ndomain *d, uint64_t *all,
				       size_t cap, size_t *nall)
{
	struct iova_rcache *rc = d->rcache;
	const char *w = NULL;
	unsigned int i, o, k;

	for (i = 0; i < rc->nr_cpus && !w; i++) {
		struct cache_cpu *c = cache_cpu_at(rc, i);

		for (o = 0; o < rc->max_order && !w; o++) {
			struct cache_slot *s = &c->slot[o];

			if (!s->loaded || !s->prev || s->loaded == s->prev)
				return "C1) a CPU slot lacks a magazine";
			if (s->loaded->n > rc->mag_size || s->prev->n > rc->mag_size)
				return "C1) a magazine holds more than mag_size";
			if (*nall + s->loaded->n + s->prev->n > cap)
				return "C2) more cached pfns than the bounds allow";
			w = check_mag(d, s->loaded, s->loaded->n, o, all, nall);
			if (!w)
				w = check_mag(d, s->prev, s->prev->n, o, all, nall);
		}
	}
	for (o = 0; o < rc->max_order && !w; o++) {
		struct cache_depot *dp = cache_depot_at(rc, o);

		if (dp->full.nr > rc->depot_max || dp->empty.nr > rc->depot_max)
			return "C2) a depot holds more than depot_max magazines";
		for (k = 0; k < dp->empty.nr; k++)
			if (!dp->empty.mag[k] ||
			    mag_stack_owner(&dp->empty)[k] > rc->nr_cpus)
				return "C2) a bad spare magazine entry";
		for (k = 0; k < dp->full.nr && !w; k++) {
			if (!dp->full.mag[k] ||
			    mag_stack_owner(&dp->full)[k] >= rc->nr_cpus)
				return "C2) a bad full magazine entry";
			if (*nall + rc->mag_size > cap)
				return "C2) more cached pfns than the bounds allow";
			w = check_mag(d, dp->full.mag[k], rc->mag_size, o, all, nall);
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

int iova__cache_validate(struct iova_ndomain *d, const char **why)
{
	struct iova_rcache *rc;
	const char *w;
	uint64_t *all;
	size_t cap, nall = 0;
	unsigned int i, o;

	if (why)
		*why = NULL;
	if (!d)
		return -EINVAL;
	rc = d->rcache;
	if (!rc)
		return 0;
	/* Bound of C1 + C2: what can be cached at most. */
	cap = ((size_t)rc->nr_cpus * 2 + rc->depot_max) * rc->mag_size *
	      rc->max_order;
	all = rc->scratch ? rc->scratch : iova__mem_alloc(d, cap * sizeof(*all) + 1);
	if (!all)
		return -ENOMEM;
	for (i = 0; i < rc->nr_cpus; i++)
		iova_spin_lock(&cache_cpu_at(rc, i)->lock);
	for (o = 0; o < rc->max_order; o++)
		iova_spin_lock(&cache_depot_at(rc, o)->lock);
	iova_lock(&d->lock);
	w = validate_all_locked(d, all, cap, &nall);
	iova_unlock(&d->lock);
	for (o = rc->max_order; o-- > 0;)
		iova_spin_unlock(&cache_depot_at(rc, o)->lock);
	for (i = rc->nr_cpus; i-- > 0;)
		iova_spin_unlock(&cache_cpu_at(rc, i)->lock);
	if (all != rc->scratch)
		iova__mem_free(d, all, cap * sizeof(*all) + 1);
	if (why)
		*why = w;
	return w ? -EIO : 0;
}
