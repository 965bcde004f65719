// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * The domain (src/domain/domain.h): node memory, placement, frees and the
 * reservation merge rules under the domain lock, on top of the index; then
 * the native API of include/iova/iova.h, which checks arguments, takes the
 * lock and calls the same functions.  Environment-neutral: the kernel build
 * compiles this file unchanged.
 */
#include "domain.h"

/* --- memory -------------------------------------------------------- */

void *iova__mem_alloc(struct iova_ndomain *d, size_t size)
{
	if (iova__fault_fire())
		return NULL;
	return d->mem.alloc(size, d->mem.ctx);
}

void iova__mem_free(struct iova_ndomain *d, void *p, size_t size)
{
	d->mem.free(p, size, d->mem.ctx);
}

static void free_node_cb(void *node, size_t size, void *ctx)
{
	iova__mem_free(ctx, node, size);
}

/*
 * With d->lock held: make sure the next insert cannot run out of nodes.
 * The nodes are allocated with the lock dropped (hooks may sleep).
 */
static iova_noinline int pool_refill(struct iova_ndomain *d)
{
	struct iova_index *t = &d->tree;

	while (!iova_index_pool_ready(t)) {
		void *got[1 + IOVA_INDEX_MAX_HEIGHT];
		uint32_t want_l, want_i, i, ng = 0;

		iova_index_insert_need(t, &want_l, &want_i);
		want_l = want_l > t->pool.nr_leaves ? want_l - t->pool.nr_leaves : 0;
		want_i = want_i > t->pool.nr_inners ? want_i - t->pool.nr_inners : 0;
		iova_unlock(&d->lock);
		for (i = 0; i < want_l + want_i; i++) {
			size_t sz = i < want_l ? t->leaf_size : iova_index_inner_size();

			got[i] = iova__mem_alloc(d, sz);
			if (!got[i])
				break;
			ng++;
		}
		if (ng < want_l + want_i) {
			for (i = 0; i < ng; i++)
				iova__mem_free(d, got[i], i < want_l ? t->leaf_size
								: iova_index_inner_size());
			iova_lock(&d->lock);
			d->st.alloc_fail_nomem++;
			iova_env_count(IOVA_EV_ALLOC_NOMEM);
			return -ENOMEM;
		}
		iova_lock(&d->lock);
		for (i = 0; i < ng; i++)
			iova_index_pool_put(t, got[i], i < want_l);
	}
	return 0;
}

/* pool_refill() where the pool is short: the check inline, as it rarely is. */
static inline int pool_fill(struct iova_ndomain *d)
{
	return iova_likely(iova_index_pool_ready(&d->tree)) ? 0 : pool_refill(d);
}

/*
 * A node that left the tree, waiting for the readers that may still be in
 * it: the first bytes of the node itself, so deferring allocates nothing.
 */
struct dead_node {
	struct iova_rcu_head rcu;
	struct iova_ndomain *d;
	size_t size;
};

static_assert(sizeof(struct dead_node) <= sizeof(struct iova_index_inner),
	      "a dead node's record fits in the smallest node");

static void dead_node_free(struct iova_rcu_head *h)
{
	struct dead_node *n = (struct dead_node *)(void *)h;
	struct iova_ndomain *d = n->d;
	size_t size = n->size;

	iova__mem_free(d, n, size);
	iova_atomic_sub(&d->rcu_pending, size);
}

/*
 * Free a list of nodes linked through their first word, once no lockless
 * reader can be in them (iova_domain_destroy() waits for the stragglers).
 */
static void free_list(struct iova_ndomain *d, void *list, size_t size)
{
	while (list) {
		struct dead_node *n = list;

		list = *(void **)list;
		if (!IOVA_ENV_LOCKLESS_LOOKUP) {
			iova__mem_free(d, n, size);
			continue;
		}
		n->d = d;
		n->size = size;
		iova_atomic_add(&d->rcu_pending, size);
		iova_call_rcu(&n->rcu, dead_node_free);
	}
}

void iova__unlock_trim(struct iova_ndomain *d)
{
	struct iova_index *t = &d->tree;
	void *leaves = NULL, *inners = NULL, *n;

	while (t->pool.nr_leaves > IOVA_POOL_SPARE_LEAVES) {
		n = iova_index_pool_get(t, true);
		*(void **)n = leaves;
		leaves = n;
	}
	while (t->pool.nr_inners > t->height + IOVA_INDEX_EXT_NEED + 1) {
		n = iova_index_pool_get(t, false);
		*(void **)n = inners;
		inners = n;
	}
	iova_unlock(&d->lock);
	free_list(d, leaves, t->leaf_size);
	free_list(d, inners, iova_index_inner_size());
}

/* --- lifetime ------------------------------------------------------ */

int iova__domain_create(const struct iova_domain_config *c,
			struct iova_ndomain **out)
{
	bool udata = c->flags & IOVA_DOMAIN_UDATA;
	struct iova_ndomain *d;
	void *root;

	if (iova__fault_fire())
		return -ENOMEM;
	d = c->mem->alloc(sizeof(*d), c->mem->ctx);
	if (!d)
		return -ENOMEM;
	iova_memset(d, 0, sizeof(*d));
	iova_atomic_init(&d->rcu_pending, 0);
	d->mem = *c->mem;
	d->granule = c->granule;
	d->shift = iova_ctz64(c->granule);
	d->flags = c->flags;
	root = iova__mem_alloc(d, iova_index_leaf_size(udata));
	if (!root || iova_lock_init(&d->lock)) {
		if (root)
			iova__mem_free(d, root, iova_index_leaf_size(udata));
		c->mem->free(d, sizeof(*d), c->mem->ctx);
		return -ENOMEM;
	}
	iova_index_init(&d->tree, c->start_pfn, c->end_pfn, udata, root);
	*out = d;
	return 0;
}

int iova__attach_ext(struct iova_ndomain *d, const struct iova__domain_ext *ext,
		     struct iova_rcache *rc)
{
	int ret = 0;

	iova_lock(&d->lock);
	if (d->rcache)
		ret = -EEXIST;
	else if (d->fast_used)
		ret = -EBUSY;
	if (!ret) {
		d->ext = ext;
		iova_store_release(&d->rcache, rc);
	}
	iova_unlock(&d->lock);
	return ret;
}

/* --- with the lock held -------------------------------------------- */

static inline void debug_check(struct iova_ndomain *d)
{
	const char *why = NULL;

	if (IOVA_EXPENSIVE && iova__validate_locked(d, &why))
		iova_env_panic(why);
}

int iova__alloc_locked(struct iova_ndomain *d, uint64_t size, uint64_t align,
		       uint64_t min_pfn, uint64_t max_pfn,
		       enum iova_policy policy, void *udata, uint64_t *pfn_out)
{
	struct iova_index *t = &d->tree;
	struct iova_index_cursor cur;
	struct iova_req req;
	uint64_t lo, hi, pfn;
	int ret;

	ret = pool_fill(d);
	if (ret)
		return ret;
	lo = iova_max64(min_pfn, t->start);
	hi = iova_min64(max_pfn, t->end);
	if (lo > hi)
		goto nospace;
	if (policy == IOVA_EXACT) {
		pfn = min_pfn;
		if (pfn < lo || size - 1 > hi - pfn ||
		    !iova_index_range_free(t, pfn, pfn + size - 1))
			goto nospace;
		iova_index_insert(t, pfn, pfn + size - 1, false, udata);
	} else {
		iova_req_init(&req, size, align, lo, hi);
		if (!iova_index_search(t, &req, policy == IOVA_TOP_DOWN, &pfn, &cur))
			goto nospace;
		iova_index_insert_at(t, &cur, pfn, pfn + size - 1, false, udata);
	}
	d->live_ranges++;
	d->live_pages += size;
	d->st.allocs++;
	iova_env_count(IOVA_EV_ALLOC);
	*pfn_out = pfn;
	debug_check(d);
	return 0;
nospace:
	d->st.alloc_fail_nospace++;
	iova_env_count(IOVA_EV_ALLOC_NOSPACE);
	return -ENOSPC;
}

int iova__alloc_flush_locked(struct iova_ndomain *d, uint64_t size,
			     uint64_t align, uint64_t min_pfn, uint64_t max_pfn,
			     enum iova_policy policy, void *udata,
			     uint64_t *pfn_out)
{
	int ret = iova__alloc_locked(d, size, align, min_pfn, max_pfn, policy,
				     udata, pfn_out);

	if (ret == -ENOSPC && d->ext && min_pfn <= d->tree.end &&
	    max_pfn >= d->tree.start) {
		iova_unlock(&d->lock);
		iova_env_count(IOVA_EV_FLUSH);
		d->ext->flush(d);
		iova_lock(&d->lock);
		ret = iova__alloc_locked(d, size, align, min_pfn, max_pfn,
					 policy, udata, pfn_out);
	}
	return ret;
}

static void to_range(const struct iova_index_range *g, struct iova_range *r)
{
	r->lo = g->lo;
	r->hi = g->hi;
	r->flags = g->rsv ? IOVA_RANGE_RESERVED : 0;
	r->udata = g->udata;
}

/* Account for an erased live range. */
static void freed(struct iova_ndomain *d, const struct iova_index_range *g,
		  struct iova_range *out)
{
	d->live_ranges--;
	d->live_pages -= g->hi - g->lo + 1;
	d->st.frees++;
	iova_env_count(IOVA_EV_FREE);
	if (out)
		to_range(g, out);
	debug_check(d);
}

int iova__free_locked(struct iova_ndomain *d, uint64_t pfn, uint64_t size,
		      const void *udata, struct iova_range *out)
{
	struct iova_index_cursor c;
	struct iova_index_range g;

	/* One descent: the checks read the range where the erase finds it. */
	if (!iova_index_find_at(&d->tree, pfn, &g, &c) || g.rsv ||
	    (size && (g.lo != pfn || g.hi - g.lo != size - 1)) ||
	    (udata && g.udata != udata)) {
		d->st.bad_frees++;
		return -ENOENT;
	}
	iova_index_erase_at(&d->tree, &c, &g);
	freed(d, &g, out);
	return 0;
}

int iova__find_at_locked(struct iova_ndomain *d, uint64_t pfn,
			 struct iova_range *out, struct iova_index_cursor *c)
{
	struct iova_index_range g;

	if (!iova_index_find_at(&d->tree, pfn, &g, c))
		return -ENOENT;
	to_range(&g, out);
	return 0;
}

void iova__free_at_locked(struct iova_ndomain *d, struct iova_index_cursor *c,
			  struct iova_range *out)
{
	struct iova_index_range g;

	iova_index_erase_at(&d->tree, c, &g);
	freed(d, &g, out);
}

int iova__free_start_locked(struct iova_ndomain *d, uint64_t pfn,
			    struct iova_range *out)
{
	struct iova_index_range g;

	if (!iova_index_erase(&d->tree, pfn, true, false, &g)) {
		d->st.bad_frees++;
		return -ENOENT;
	}
	freed(d, &g, out);
	return 0;
}

int iova__free_release_locked(struct iova_ndomain *d, uint64_t pfn,
			      uint64_t size)
{
	struct iova_range r;
	int ret = iova__free_locked(d, pfn, size, NULL, &r);

	if (!ret && r.udata && d->udata_release)
		d->udata_release(d, r.udata);
	return ret;
}

size_t iova__release_locked(struct iova_ndomain *d, const uint64_t *pfn,
			    size_t n, unsigned int order)
{
	struct iova_range r;
	size_t i, bad = 0;

	(void)order;	/* only the assert reads it */
	for (i = 0; i < n; i++) {
		/* C3: a cached pfn starts a live range of its order. */
		if (iova__free_start_locked(d, pfn[i], &r)) {
			iova_assert(0, "C3) a cached pfn was not a live range");
			bad++;
			continue;
		}
		iova_assert(r.hi - r.lo == ((uint64_t)1 << order) - 1,
			    "C3) a cached pfn was a range of another size");
		if (r.udata && d->udata_release)
			d->udata_release(d, r.udata);
	}
	return bad;
}

int iova__find(struct iova_ndomain *d, uint64_t pfn, bool next,
	       struct iova_range *out)
{
	struct iova_index_range g;
	bool found;

	if (!IOVA_ENV_LOCKLESS_LOOKUP) {
		int ret;

		iova_lock(&d->lock);
		ret = iova__find_locked(d, pfn, next, out);
		iova_unlock(&d->lock);
		return ret;
	}
	iova_rcu_read_lock();
	found = next ? iova_index_find_next_lockless(&d->tree, pfn, &g)
		     : iova_index_find_lockless(&d->tree, pfn, &g);
	iova_rcu_read_unlock();
	if (!found)
		return -ENOENT;
	to_range(&g, out);
	return 0;
}

int iova__find_locked(struct iova_ndomain *d, uint64_t pfn, bool next,
		      struct iova_range *out)
{
	struct iova_index_range g;
	bool found = next ? iova_index_find_next(&d->tree, pfn, &g)
			  : iova_index_find(&d->tree, pfn, &g);

	if (!found)
		return -ENOENT;
	to_range(&g, out);
	return 0;
}

int iova__set_udata_locked(struct iova_ndomain *d, uint64_t pfn, void *udata)
{
	return iova_index_set_udata(&d->tree, pfn, udata) ? 0 : -ENOENT;
}

/*
 * Reserve [lo, hi] (inside the domain, pool filled): the reservations that
 * overlap or touch it merge into one range.
 */
static int reserve_merge(struct iova_ndomain *d, uint64_t lo, uint64_t hi)
{
	struct iova_index *t = &d->tree;
	uint64_t from = lo > t->start ? lo - 1 : lo;	/* adjacent too */
	uint64_t to = hi < t->end ? hi + 1 : hi;
	uint64_t nlo = lo, nhi = hi, pfn = from;
	struct iova_index_range g;

	/* First pass: refuse if a live range overlaps [lo, hi]. */
	while (iova_index_find_next(t, pfn, &g) && g.lo <= to) {
		if (!g.rsv && g.lo <= hi && g.hi >= lo)
			return -EBUSY;
		if (g.hi >= to)
			break;
		pfn = g.hi + 1;
	}
	/*
	 * Second pass: absorb the reservations that overlap or touch, in one
	 * write section (a lockless reader never sees a reserved pfn free).
	 */
	iova_index_write_begin(t);
	while (iova_index_find_next(t, from, &g) && g.lo <= to) {
		if (!g.rsv) {
			if (g.hi >= to)
				break;
			from = g.hi + 1;
			continue;
		}
		nlo = iova_min64(nlo, g.lo);
		nhi = iova_max64(nhi, g.hi);
		iova_index_erase(t, g.lo, true, true, NULL);
		d->reserved_ranges--;
		d->reserved_pages -= g.hi - g.lo + 1;
	}
	iova_index_insert(t, nlo, nhi, true, NULL);
	iova_index_write_end(t);
	d->reserved_ranges++;
	d->reserved_pages += nhi - nlo + 1;
	d->st.reserves++;
	iova_env_count(IOVA_EV_RESERVE);
	return 0;
}

int iova__reserve_locked(struct iova_ndomain *d, uint64_t lo, uint64_t hi)
{
	int ret;

	lo = iova_max64(lo, d->tree.start);
	hi = iova_min64(hi, d->tree.end);
	if (lo > hi)
		return 0;	/* nothing of it lies inside the domain */
	ret = pool_fill(d);
	if (!ret)
		ret = reserve_merge(d, lo, hi);
	if (!ret)
		debug_check(d);
	return ret;
}

struct rsv_check {
	bool have_prev;
	struct iova_index_range prev;
	const char *why;
};

static int rsv_check_cb(const struct iova_index_range *g, void *arg)
{
	struct rsv_check *c = arg;

	if (c->have_prev && c->prev.rsv && g->rsv && c->prev.hi + 1 == g->lo) {
		c->why = "D2) two reservations touch but were not merged";
		return 1;
	}
	c->prev = *g;
	c->have_prev = true;
	return 0;
}

int iova__validate_locked(struct iova_ndomain *d, const char **why)
{
	uint64_t pl = 0, pr = 0, rr = 0;
	const char *w = iova_index_validate(&d->tree, &pl, &pr, &rr);
	struct rsv_check c = { 0 };

	if (!w && iova_index_walk(&d->tree, rsv_check_cb, &c))
		w = c.why;
	if (!w && (rr != d->reserved_ranges ||
		   d->tree.count != d->live_ranges + d->reserved_ranges))
		w = "D1) range counters differ from the tree";
	if (!w && (pl != d->live_pages || pr != d->reserved_pages))
		w = "D1) page counters differ from the tree";
	if (why)
		*why = w;
	return w ? -EIO : 0;
}

/* --- the native API ------------------------------------------------- */

int iova_domain_create(const struct iova_domain_config *cfg,
		       struct iova_ndomain **out)
{
	struct iova_domain_config c = { 0 };
	uint64_t top;

	if (!out)
		return -EINVAL;
	if (cfg)
		c = *cfg;
	if (!c.granule)
		c.granule = 4096;
	if (!iova_is_pow2(c.granule) || (c.flags & ~IOVA_DOMAIN_UDATA))
		return -EINVAL;
	if (c.mem && (!c.mem->alloc || !c.mem->free))
		return -EINVAL;
	/* The last pfn whose byte address still fits in 64 bits. */
	top = UINT64_MAX >> iova_ctz64(c.granule);
	if (!c.end_pfn)
		c.end_pfn = top;
	if (c.start_pfn > c.end_pfn || c.end_pfn > top)
		return -EINVAL;
	if (!c.mem)
		c.mem = &iova__default_mem;
	return iova__domain_create(&c, out);
}

void iova_domain_destroy(struct iova_ndomain *d)
{
	struct iova_mem_hooks mem;

	if (!d)
		return;
	mem = d->mem;
	/* Nodes freed after a grace period use the hooks and d. */
	if (iova_atomic_read(&d->rcu_pending))
		iova_rcu_barrier();
	if (d->ext)
		d->ext->destroy(d);
	iova_index_destroy(&d->tree, free_node_cb, d);
	iova_lock_destroy(&d->lock);
	mem.free(d, sizeof(*d), mem.ctx);
}

uint64_t iova_domain_granule(const struct iova_ndomain *d)
{
	return d->granule;
}

uint64_t iova_domain_start_pfn(const struct iova_ndomain *d)
{
	return d->tree.start;
}

uint64_t iova_domain_end_pfn(const struct iova_ndomain *d)
{
	return d->tree.end;
}

static int check_alloc_args(uint64_t size, uint64_t align, uint64_t min_pfn,
			    uint64_t max_pfn, enum iova_policy policy)
{
	if (!size || !iova_is_pow2(align) || min_pfn > max_pfn)
		return -EINVAL;
	switch (policy) {
	case IOVA_TOP_DOWN:
	case IOVA_BOTTOM_UP:
		return 0;
	case IOVA_EXACT:
		if (min_pfn & (align - 1))
			return -EINVAL;
		if (size - 1 > UINT64_MAX - min_pfn)
			return -EINVAL;	/* would wrap past UINT64_MAX */
		return 0;
	}
	return -EINVAL;
}

int iova_alloc_udata(struct iova_ndomain *d, uint64_t size, uint64_t align,
		     uint64_t min_pfn, uint64_t max_pfn,
		     enum iova_policy policy, void *udata, uint64_t *pfn_out)
{
	int ret;

	if (!d || !pfn_out)
		return -EINVAL;
	ret = check_alloc_args(size, align, min_pfn, max_pfn, policy);
	if (ret)
		return ret;
	if (udata && !(d->flags & IOVA_DOMAIN_UDATA))
		return -EOPNOTSUPP;
	iova_lock(&d->lock);
	ret = iova__alloc_flush_locked(d, size, align, min_pfn, max_pfn,
				       policy, udata, pfn_out);
	iova_unlock(&d->lock);
	return ret == -ENOSPC ? -ENOMEM : ret;
}

int iova_alloc(struct iova_ndomain *d, uint64_t size, uint64_t align,
	       uint64_t min_pfn, uint64_t max_pfn, enum iova_policy policy,
	       uint64_t *pfn_out)
{
	return iova_alloc_udata(d, size, align, min_pfn, max_pfn, policy, NULL,
				pfn_out);
}

int iova_free(struct iova_ndomain *d, uint64_t pfn)
{
	int ret;

	if (!d)
		return -EINVAL;
	iova_lock(&d->lock);
	ret = iova__free_start_locked(d, pfn, NULL);
	iova__unlock_trim(d);
	return ret;
}

static int lookup(struct iova_ndomain *d, uint64_t pfn, bool next,
		  struct iova_range *out)
{
	if (!d || !out)
		return -EINVAL;
	return iova__find(d, pfn, next, out);
}

int iova_find(struct iova_ndomain *d, uint64_t pfn, struct iova_range *out)
{
	return lookup(d, pfn, false, out);
}

int iova_find_next(struct iova_ndomain *d, uint64_t pfn, struct iova_range *out)
{
	return lookup(d, pfn, true, out);
}

int iova_find_after(struct iova_ndomain *d, const struct iova_range *prev,
		    struct iova_range *out)
{
	if (!d || !prev || !out)
		return -EINVAL;
	if (prev->hi == UINT64_MAX)
		return -ENOENT;	/* nothing lies above the top pfn */
	return lookup(d, prev->hi + 1, true, out);
}

int iova_set_udata(struct iova_ndomain *d, uint64_t pfn, void *udata)
{
	int ret;

	if (!d)
		return -EINVAL;
	if (!(d->flags & IOVA_DOMAIN_UDATA))
		return -EOPNOTSUPP;
	iova_lock(&d->lock);
	ret = iova__set_udata_locked(d, pfn, udata);
	iova_unlock(&d->lock);
	return ret;
}

int iova_reserve(struct iova_ndomain *d, uint64_t lo, uint64_t hi)
{
	int ret;

	if (!d || lo > hi)
		return -EINVAL;
	iova_lock(&d->lock);
	ret = iova__reserve_locked(d, lo, hi);
	iova__unlock_trim(d);
	return ret;
}

struct walk_adapter {
	int (*fn)(const struct iova_range *r, void *arg);
	void *arg;
};

static int walk_cb(const struct iova_index_range *g, void *arg)
{
	struct walk_adapter *w = arg;
	struct iova_range r;

	to_range(g, &r);
	return w->fn(&r, w->arg);
}

int iova_for_each(struct iova_ndomain *d,
		  int (*fn)(const struct iova_range *r, void *arg), void *arg)
{
	struct walk_adapter w = { fn, arg };
	int ret;

	if (!d || !fn)
		return -EINVAL;
	iova_lock(&d->lock);
	ret = iova_index_walk(&d->tree, walk_cb, &w);
	iova_unlock(&d->lock);
	return ret;
}

int iova_get_stats(struct iova_ndomain *d, struct iova_stats *st)
{
	if (!d || !st)
		return -EINVAL;
	iova_lock(&d->lock);
	*st = d->st;
	st->live_ranges = d->live_ranges;
	st->live_pages = d->live_pages;
	st->reserved_ranges = d->reserved_ranges;
	st->reserved_pages = d->reserved_pages;
	st->free_gaps = d->tree.free_gaps;
	st->index_bytes = iova_index_bytes(&d->tree) +
			  iova_atomic_read(&d->rcu_pending);
	st->index_nodes = d->tree.nr_leaves + d->tree.nr_inners + d->tree.nr_exts;
	st->index_height = d->tree.height;
	st->search_nodes = d->tree.search_nodes;
	st->search_backtracks = d->tree.search_backtracks;
	iova_unlock(&d->lock);
	return 0;
}

uint64_t iova_largest_gap(struct iova_ndomain *d, uint64_t min_pfn,
			  uint64_t max_pfn)
{
	uint64_t r = 0;

	if (!d || min_pfn > max_pfn)
		return 0;
	iova_lock(&d->lock);
	min_pfn = iova_max64(min_pfn, d->tree.start);
	max_pfn = iova_min64(max_pfn, d->tree.end);
	if (min_pfn <= max_pfn)
		r = iova_index_largest_gap(&d->tree, min_pfn, max_pfn);
	iova_unlock(&d->lock);
	return r;
}

int iova_domain_validate(struct iova_ndomain *d, const char **why)
{
	int ret;

	if (why)
		*why = NULL;
	if (!d)
		return -EINVAL;
	/* The caches' locks come before the domain lock. */
	if (d->ext) {
		ret = d->ext->validate(d, why);
		if (ret)
			return ret;
	}
	iova_lock(&d->lock);
	ret = iova__validate_locked(d, why);
	iova_unlock(&d->lock);
	return ret;
}
