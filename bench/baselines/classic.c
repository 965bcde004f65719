// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * The classic (mainline Linux) IOVA allocator, modelled from the behavioural
 * description (linux-iova-semantics.md sections 1-3).  See classic.h.
 */
#include "classic.h"

#include <errno.h>
#include <stdlib.h>

static inline struct classic_iova *to_iova(const struct brb_node *n)
{
	return brb_entry(n, struct classic_iova, node);
}

/* Number of bits needed for x (0 for 0): the kernel's fls_long(). */
static inline unsigned int fls64(uint64_t x)
{
	return x ? 64u - (unsigned int)__builtin_clzll(x) : 0u;
}

static inline unsigned int order_base_2(uint64_t x)
{
	return x <= 1 ? 0u : fls64(x - 1);
}

void classic_init_iova_domain(struct classic_domain *d, uint64_t granule,
			      uint64_t start_pfn)
{
	unsigned int shift = (unsigned int)__builtin_ctzll(granule);

	d->rbroot.node = NULL;
	d->granule = granule;
	d->start_pfn = start_pfn;
	d->dma_32bit_pfn = (uint64_t)1 << (32 - shift);
	d->max32_alloc_size = d->dma_32bit_pfn;
	d->anchor.pfn_lo = d->anchor.pfn_hi = CLASSIC_ANCHOR;
	brb_link(&d->anchor.node, NULL, &d->rbroot.node);
	brb_insert_fixup(&d->rbroot, &d->anchor.node, NULL);
	d->cached_node = d->cached32_node = &d->anchor.node;
	d->rcaches = NULL;
	d->nodes = 0;
	d->walk_steps = 0;
}

static struct brb_node *get_cached_rbnode(struct classic_domain *d,
					  uint64_t limit_excl)
{
	if (limit_excl <= d->dma_32bit_pfn)
		return d->cached32_node;
	return d->cached_node;
}

static void cached_rbnode_insert_update(struct classic_domain *d,
					struct classic_iova *n)
{
	if (n->pfn_hi < d->dma_32bit_pfn)
		d->cached32_node = &n->node;
	else
		d->cached_node = &n->node;
}

static void cached_rbnode_delete_update(struct classic_domain *d,
					struct classic_iova *f)
{
	struct classic_iova *c32 = to_iova(d->cached32_node);
	struct classic_iova *c = to_iova(d->cached_node);

	if (&f->node == d->cached32_node ||
	    (f->pfn_hi < d->dma_32bit_pfn && f->pfn_lo >= c32->pfn_lo))
		d->cached32_node = brb_next(&f->node);
	if (f->pfn_lo < d->dma_32bit_pfn)
		d->max32_alloc_size = d->dma_32bit_pfn;
	if (f->pfn_lo >= c->pfn_lo)
		d->cached_node = brb_next(&f->node);
}

/* Insert n by descending from start (a node whose subtree n belongs in). */
static int insert_from(struct classic_domain *d, struct classic_iova *n,
		       struct brb_node *start)
{
	struct brb_node *parent = NULL, **link = &d->rbroot.node;
	struct brb_node *cur = start ? start : d->rbroot.node;

	if (start) {
		parent = brb_parent(start);
		if (!parent)
			link = &d->rbroot.node;
		else if (parent->left == start)
			link = &parent->left;
		else
			link = &parent->right;
	}
	while (cur) {
		struct classic_iova *c = to_iova(cur);

		parent = cur;
		if (n->pfn_lo < c->pfn_lo)
			link = &cur->left;
		else if (n->pfn_lo > c->pfn_lo)
			link = &cur->right;
		else
			return -EEXIST;	/* the kernel WARNs here */
		cur = *link;
	}
	brb_link(&n->node, parent, link);
	brb_insert_fixup(&d->rbroot, &n->node, NULL);
	return 0;
}

/*
 * The node a retry pass starts from: the anchor for limits above 4 GiB,
 * else the lowest node whose range reaches the exclusive limit.
 */
static struct brb_node *find_limit(struct classic_domain *d,
				   uint64_t limit_excl)
{
	struct brb_node *n = d->rbroot.node, *best = &d->anchor.node;

	if (limit_excl > d->dma_32bit_pfn)
		return &d->anchor.node;
	while (n) {
		if (to_iova(n)->pfn_hi >= limit_excl) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

static int alloc_and_insert_range(struct classic_domain *d, uint64_t size,
				  uint64_t limit_excl,
				  struct classic_iova *new_iova,
				  bool size_aligned)
{
	struct brb_node *curr, *prev;
	struct classic_iova *ci;
	uint64_t high = limit_excl, low = d->start_pfn, retry_pfn;
	uint64_t align_mask = ~(uint64_t)0, new_pfn;
	unsigned long steps = 0;

	if (size_aligned) {
		unsigned int sh = fls64(size - 1);

		align_mask = sh >= 64 ? 0 : align_mask << sh;
	}
	if (limit_excl <= d->dma_32bit_pfn && size >= d->max32_alloc_size)
		return -ENOMEM;		/* fast fail, nothing updated */

	curr = get_cached_rbnode(d, limit_excl);
	ci = to_iova(curr);
	retry_pfn = ci->pfn_hi;
retry:
	do {
		if (ci->pfn_lo < high)
			high = ci->pfn_lo;
		new_pfn = (high - size) & align_mask;
		prev = curr;
		curr = brb_prev(curr);
		steps++;
		if (curr)
			ci = to_iova(curr);
	} while (curr && new_pfn <= ci->pfn_hi && new_pfn >= low);

	if (high < size || new_pfn < low) {
		if (low == d->start_pfn && retry_pfn < limit_excl) {
			high = limit_excl;
			low = retry_pfn + 1;
			curr = find_limit(d, limit_excl);
			ci = to_iova(curr);
			goto retry;
		}
		d->max32_alloc_size = size;
		d->walk_steps += steps;
		return -ENOMEM;
	}
	d->walk_steps += steps;
	new_iova->pfn_lo = new_pfn;
	new_iova->pfn_hi = new_pfn + size - 1;
	insert_from(d, new_iova, prev);
	cached_rbnode_insert_update(d, new_iova);
	return 0;
}

struct classic_iova *classic_alloc_iova(struct classic_domain *d,
					uint64_t size, uint64_t limit_pfn,
					bool size_aligned)
{
	struct classic_iova *n;

	/* size 0 has no guard in the kernel (undefined); refuse it here. */
	if (size == 0)
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	if (alloc_and_insert_range(d, size, limit_pfn + 1, n, size_aligned)) {
		free(n);
		return NULL;
	}
	d->nodes++;
	return n;
}

struct classic_iova *classic_find_iova(struct classic_domain *d, uint64_t pfn)
{
	struct brb_node *n = d->rbroot.node;

	while (n) {
		struct classic_iova *c = to_iova(n);

		if (pfn < c->pfn_lo)
			n = n->left;
		else if (pfn > c->pfn_hi)
			n = n->right;
		else
			return c;
	}
	return NULL;
}

static void remove_iova(struct classic_domain *d, struct classic_iova *iova)
{
	cached_rbnode_delete_update(d, iova);
	brb_erase(&d->rbroot, &iova->node, NULL);
}

static void free_node(struct classic_domain *d, struct classic_iova *iova)
{
	if (iova->pfn_lo == CLASSIC_ANCHOR)
		return;		/* never free the anchor */
	d->nodes--;
	free(iova);
}

void classic___free_iova(struct classic_domain *d, struct classic_iova *iova)
{
	remove_iova(d, iova);
	free_node(d, iova);
}

void classic_free_iova(struct classic_domain *d, uint64_t pfn)
{
	struct classic_iova *iova = classic_find_iova(d, pfn);

	if (!iova)
		return;
	remove_iova(d, iova);
	free_node(d, iova);
}

struct classic_iova *classic_reserve_iova(struct classic_domain *d,
					  uint64_t pfn_lo, uint64_t pfn_hi)
{
	unsigned int shift = (unsigned int)__builtin_ctzll(d->granule);
	struct brb_node *n;
	struct classic_iova *iova;
	int overlap = 0;

	if ((pfn_lo | pfn_hi) > (UINT64_MAX >> shift))
		return NULL;	/* the kernel WARNs */

	for (n = brb_first(&d->rbroot); n; n = brb_next(n)) {
		iova = to_iova(n);
		if (pfn_lo <= iova->pfn_hi && pfn_hi >= iova->pfn_lo) {
			/* Merge: widen the node down, trim the request. */
			if (pfn_lo < iova->pfn_lo)
				iova->pfn_lo = pfn_lo;
			if (pfn_hi > iova->pfn_hi)
				pfn_lo = iova->pfn_hi + 1;
			if (pfn_lo >= iova->pfn_lo && pfn_hi <= iova->pfn_hi)
				return iova;
			overlap = 1;
		} else if (overlap) {
			break;
		}
	}
	iova = calloc(1, sizeof(*iova));
	if (!iova)
		return NULL;
	iova->pfn_lo = pfn_lo;
	iova->pfn_hi = pfn_hi;
	if (insert_from(d, iova, NULL)) {
		free(iova);
		return NULL;
	}
	d->nodes++;
	return iova;
}

/* ---- rcache model: one CPU ---- */

static struct classic_mag *mag_alloc(void)
{
	return calloc(1, sizeof(struct classic_mag));
}

/* Give every pfn in mag back to the tree; the magazine becomes empty. */
static unsigned long mag_free_pfns(struct classic_domain *d,
				   struct classic_mag *mag)
{
	unsigned long i, n = mag->size;

	for (i = 0; i < n; i++) {
		struct classic_iova *iova = classic_find_iova(d, mag->pfns[i]);

		if (!iova)
			continue;	/* the kernel WARNs */
		remove_iova(d, iova);
		free_node(d, iova);
	}
	mag->size = 0;
	return n;
}

int classic_init_rcaches(struct classic_domain *d)
{
	unsigned int i;

	d->rcaches = calloc(CLASSIC_RCACHE_ORDERS, sizeof(*d->rcaches));
	if (!d->rcaches)
		return -ENOMEM;
	for (i = 0; i < CLASSIC_RCACHE_ORDERS; i++) {
		d->rcaches[i].loaded = mag_alloc();
		d->rcaches[i].prev = mag_alloc();
		if (!d->rcaches[i].loaded || !d->rcaches[i].prev)
			return -ENOMEM;	/* the teardown frees the rest */
	}
	return 0;
}

static bool rcache_insert(struct classic_domain *d, uint64_t pfn,
			  uint64_t size)
{
	unsigned int order = order_base_2(size);
	struct classic_rcache *rc;
	struct classic_mag *tmp;

	if (!d->rcaches || order >= CLASSIC_RCACHE_ORDERS)
		return false;
	rc = &d->rcaches[order];
	if (rc->loaded->size < CLASSIC_MAG_SIZE) {
		/* push below */
	} else if (rc->prev->size < CLASSIC_MAG_SIZE) {
		tmp = rc->loaded;
		rc->loaded = rc->prev;
		rc->prev = tmp;
	} else {
		tmp = mag_alloc();
		if (!tmp)
			return false;
		rc->loaded->next = rc->depot;
		rc->depot = rc->loaded;
		rc->depot_size++;
		rc->work_pending = true;
		rc->loaded = tmp;
	}
	rc->loaded->pfns[rc->loaded->size++] = pfn;
	return true;
}

static uint64_t rcache_get(struct classic_domain *d, uint64_t size,
			   uint64_t limit_excl)
{
	unsigned int order = order_base_2(size);
	struct classic_rcache *rc;
	struct classic_mag *m, *tmp;
	uint64_t bound, pfn;
	long i;

	if (!d->rcaches || order >= CLASSIC_RCACHE_ORDERS)
		return 0;
	rc = &d->rcaches[order];
	if (rc->loaded->size == 0) {
		if (rc->prev->size) {
			tmp = rc->loaded;
			rc->loaded = rc->prev;
			rc->prev = tmp;
		} else if (rc->depot) {
			free(rc->loaded);
			rc->loaded = rc->depot;
			rc->depot = rc->depot->next;
			rc->depot_size--;
		} else {
			return 0;
		}
	}
	m = rc->loaded;
	bound = limit_excl - size;	/* take a pfn <= limit + 1 - size */
	for (i = (long)m->size - 1; i >= 0; i--) {
		if (m->pfns[i] <= bound) {
			pfn = m->pfns[i];
			m->pfns[i] = m->pfns[--m->size];
			return pfn;
		}
	}
	return 0;
}

static void flush_all_rcaches(struct classic_domain *d)
{
	unsigned int i;

	for (i = 0; i < CLASSIC_RCACHE_ORDERS; i++) {
		struct classic_rcache *rc = &d->rcaches[i];

		mag_free_pfns(d, rc->loaded);
		mag_free_pfns(d, rc->prev);
	}
	for (i = 0; i < CLASSIC_RCACHE_ORDERS; i++) {
		struct classic_rcache *rc = &d->rcaches[i];

		while (rc->depot) {
			struct classic_mag *m = rc->depot;

			rc->depot = m->next;
			rc->depot_size--;
			mag_free_pfns(d, m);
			free(m);
		}
	}
}

uint64_t classic_alloc_iova_fast(struct classic_domain *d, uint64_t size,
				 uint64_t limit_pfn, bool flush_rcache)
{
	struct classic_iova *n;
	uint64_t pfn;

	if (size == 0)
		return 0;
	if (size < (1u << (CLASSIC_RCACHE_ORDERS - 1)))
		size = (uint64_t)1 << order_base_2(size);
	pfn = rcache_get(d, size, limit_pfn + 1);
	if (pfn)
		return pfn;
	for (;;) {
		n = classic_alloc_iova(d, size, limit_pfn, true);
		if (n)
			return n->pfn_lo;
		if (!flush_rcache || !d->rcaches)
			return 0;
		flush_all_rcaches(d);
		flush_rcache = false;
	}
}

void classic_free_iova_fast(struct classic_domain *d, uint64_t pfn,
			    uint64_t size)
{
	if (rcache_insert(d, pfn, size))
		return;
	classic_free_iova(d, pfn);
}

unsigned long classic_depot_work(struct classic_domain *d)
{
	const unsigned long online_cpus = 1;
	unsigned long freed = 0;
	unsigned int i;

	if (!d->rcaches)
		return 0;
	for (i = 0; i < CLASSIC_RCACHE_ORDERS; i++) {
		struct classic_rcache *rc = &d->rcaches[i];
		struct classic_mag *m = NULL;

		if (!rc->work_pending)
			continue;
		if (rc->depot_size > online_cpus) {
			m = rc->depot;
			rc->depot = m->next;
			rc->depot_size--;
		}
		if (m) {
			freed += mag_free_pfns(d, m);
			free(m);
		}
		rc->work_pending = rc->depot_size > online_cpus;
	}
	return freed;
}

unsigned long classic_rcache_count(const struct classic_domain *d,
				   unsigned int order, unsigned long *depot)
{
	const struct classic_rcache *rc;
	const struct classic_mag *m;
	unsigned long n;

	if (!d->rcaches || order >= CLASSIC_RCACHE_ORDERS)
		return 0;
	rc = &d->rcaches[order];
	n = rc->loaded->size + rc->prev->size;
	for (m = rc->depot; m; m = m->next)
		n += m->size;
	if (depot)
		*depot = rc->depot_size;
	return n;
}

static void free_subtree(struct classic_domain *d, struct brb_node *n)
{
	while (n) {
		struct brb_node *l = n->left;

		free_subtree(d, n->right);
		free_node(d, to_iova(n));
		n = l;
	}
}

void classic_put_iova_domain(struct classic_domain *d)
{
	unsigned int i;

	if (d->rcaches) {
		for (i = 0; i < CLASSIC_RCACHE_ORDERS; i++) {
			struct classic_rcache *rc = &d->rcaches[i];

			free(rc->loaded);
			free(rc->prev);
			while (rc->depot) {
				struct classic_mag *m = rc->depot;

				rc->depot = m->next;
				free(m);
			}
		}
		free(d->rcaches);
		d->rcaches = NULL;
	}
	free_subtree(d, d->rbroot.node);
	d->rbroot.node = NULL;
}

int classic_validate(struct classic_domain *d, const char **why)
{
	struct brb_node *n, *last = NULL;
	uint64_t count = 0;

	if (brb_check(&d->rbroot) < 0) {
		*why = "red-black properties";
		return -1;
	}
	for (n = brb_first(&d->rbroot); n; n = brb_next(n)) {
		struct classic_iova *c = to_iova(n);

		if (c->pfn_lo > c->pfn_hi) {
			*why = "lo > hi";
			return -1;
		}
		if (last && to_iova(last)->pfn_hi >= c->pfn_lo) {
			*why = "overlap or order";
			return -1;
		}
		if (c != &d->anchor)
			count++;
		last = n;
	}
	if (!last || to_iova(last) != &d->anchor) {
		*why = "anchor is not the last node";
		return -1;
	}
	if (count != d->nodes) {
		*why = "node count";
		return -1;
	}
	return 0;
}
