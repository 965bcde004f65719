// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Gap-augmented rbtree with the limit-aware highest-fit walk.  See augrb.h.
 */
#include "augrb.h"

#include <errno.h>
#include <stdlib.h>

static inline struct augrb_node *to_an(const struct brb_node *n)
{
	return brb_entry(n, struct augrb_node, node);
}

#ifdef AUGRB_CLAMPED32
/* The part of a's gap [lo - gap, lo - 1] below AUGRB_DMA32_PFN. */
static uint64_t gap32(const struct augrb_node *a)
{
	uint64_t glo = a->lo - a->gap, top;

	if (!a->gap || glo >= AUGRB_DMA32_PFN)
		return 0;
	top = a->lo - 1 < AUGRB_DMA32_PFN - 1 ? a->lo - 1 : AUGRB_DMA32_PFN - 1;
	return top - glo + 1;
}
#endif

static void aug_update(struct brb_node *n)
{
	struct augrb_node *a = to_an(n);
	uint64_t m = a->gap;

	if (n->left && to_an(n->left)->max_gap > m)
		m = to_an(n->left)->max_gap;
	if (n->right && to_an(n->right)->max_gap > m)
		m = to_an(n->right)->max_gap;
	a->max_gap = m;
#ifdef AUGRB_CLAMPED32
	m = gap32(a);
	if (n->left && to_an(n->left)->max_gap32 > m)
		m = to_an(n->left)->max_gap32;
	if (n->right && to_an(n->right)->max_gap32 > m)
		m = to_an(n->right)->max_gap32;
	a->max_gap32 = m;
#endif
}

int augrb_init(struct augrb_domain *d, uint64_t start_pfn, uint64_t end_pfn)
{
	if (start_pfn > end_pfn || end_pfn == UINT64_MAX)
		return -EINVAL;
	d->root.node = NULL;
	d->start_pfn = start_pfn;
	d->end_pfn = end_pfn;
	d->anchor.lo = d->anchor.hi = end_pfn + 1;
	d->anchor.gap = end_pfn + 1 - start_pfn;
	d->anchor.max_gap = d->anchor.gap;
	d->anchor.reserved = 1;
#ifdef AUGRB_CLAMPED32
	d->anchor.max_gap32 = gap32(&d->anchor);
#endif
	brb_link(&d->anchor.node, NULL, &d->root.node);
	brb_insert_fixup(&d->root, &d->anchor.node, NULL);
	d->nodes = 0;
	d->visits = 0;
	return 0;
}

static void free_subtree(struct augrb_domain *d, struct brb_node *n)
{
	while (n) {
		struct brb_node *l = n->left;

		free_subtree(d, n->right);
		if (to_an(n) != &d->anchor)
			free(to_an(n));
		n = l;
	}
}

void augrb_destroy(struct augrb_domain *d)
{
	free_subtree(d, d->root.node);
	d->root.node = NULL;
	d->nodes = 0;
}

struct search {
	uint64_t size, mask, limit;
	uint64_t pfn;
	unsigned long visits;
#ifdef AUGRB_CLAMPED32
	bool use32;	/* limit below AUGRB_DMA32_PFN: prune by max_gap32 */
#endif
};

/*
 * Highest fit in the gaps owned by the subtree at n, all of which lie at or
 * above floor.  Returns the owning node or NULL.
 */
static struct augrb_node *search(struct search *s, struct brb_node *n,
				 uint64_t floor)
{
	while (n) {
		struct augrb_node *a = to_an(n);
		uint64_t glo, top, cand;

		s->visits++;
#ifdef AUGRB_CLAMPED32
		/* patch 3/4: the clamped max below 4 GiB, else the plain max
		 * gap; no pruning by address (what the walk leaves O(n) for
		 * limits between 4 GiB and the top of the space) */
		(void)floor;
		if ((s->use32 ? a->max_gap32 : a->max_gap) < s->size)
			return NULL;
		if (n->right) {
#else
		if (a->max_gap < s->size)
			return NULL;
		/* Address pruning: nothing here can start low enough. */
		if (floor > s->limit || s->limit - floor + 1 < s->size)
			return NULL;
		/* Gaps of the right subtree start at a->hi + 1. */
		if (n->right && a->hi < s->limit &&
		    s->limit - a->hi >= s->size) {
#endif
			struct augrb_node *r = search(s, n->right, a->hi + 1);

			if (r)
				return r;
		}
		/* This node's own gap [lo - gap, lo - 1], clipped. */
		if (a->gap >= s->size) {
			glo = a->lo - a->gap;
			top = a->lo - 1 < s->limit ? a->lo - 1 : s->limit;
			if (top >= glo && top - glo + 1 >= s->size) {
				cand = (top - s->size + 1) & s->mask;
				if (cand >= glo) {
					s->pfn = cand;
					return a;
				}
			}
		}
		n = n->left;	/* same floor */
	}
	return NULL;
}

int augrb_alloc(struct augrb_domain *d, uint64_t size, uint64_t align,
		uint64_t limit_pfn, uint64_t *pfn)
{
	struct search s;
	struct augrb_node *owner, *x;
	struct brb_node *parent, **link;

	if (size == 0 || align == 0 || (align & (align - 1)))
		return -EINVAL;
	if (limit_pfn > d->end_pfn)
		limit_pfn = d->end_pfn;
	if (limit_pfn < d->start_pfn || limit_pfn - d->start_pfn + 1 < size)
		return -ENOMEM;
	s.size = size;
	s.mask = ~(align - 1);
	s.limit = limit_pfn;
	s.visits = 0;
#ifdef AUGRB_CLAMPED32
	s.use32 = limit_pfn < AUGRB_DMA32_PFN;
#endif
	owner = search(&s, d->root.node, d->start_pfn);
	d->visits += s.visits;
	if (!owner)
		return -ENOMEM;
	x = malloc(sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->lo = s.pfn;
	x->hi = s.pfn + size - 1;
	x->reserved = 0;
	/* x becomes owner's predecessor: rightmost of owner's left subtree. */
	parent = &owner->node;
	link = &owner->node.left;
	while (*link) {
		parent = *link;
		link = &parent->right;
	}
	x->gap = x->lo - (owner->lo - owner->gap);
	owner->gap = owner->lo - x->hi - 1;
	x->max_gap = x->gap;
	brb_link(&x->node, parent, link);
	brb_propagate(&x->node, aug_update);	/* owner is an ancestor */
	brb_insert_fixup(&d->root, &x->node, aug_update);
	d->nodes++;
	*pfn = s.pfn;
	return 0;
}

struct augrb_node *augrb_find(struct augrb_domain *d, uint64_t pfn)
{
	struct brb_node *n = d->root.node;

	while (n) {
		struct augrb_node *a = to_an(n);

		if (pfn < a->lo)
			n = n->left;
		else if (pfn > a->hi)
			n = n->right;
		else
			return a;
	}
	return NULL;
}

/* Remove x; its gap and size go to its successor. */
static void remove_node(struct augrb_domain *d, struct augrb_node *x)
{
	struct augrb_node *succ = to_an(brb_next(&x->node));

	succ->gap = succ->lo - (x->lo - x->gap);
	brb_propagate(&succ->node, aug_update);
	brb_erase(&d->root, &x->node, aug_update);
	d->nodes--;
}

int augrb_free(struct augrb_domain *d, uint64_t pfn)
{
	struct augrb_node *x = augrb_find(d, pfn);

	if (!x || x->lo != pfn || x->reserved)
		return -ENOENT;
	remove_node(d, x);
	free(x);
	return 0;
}

/* Lowest node with hi >= pfn (the anchor bounds it). */
static struct augrb_node *lower_bound(struct augrb_domain *d, uint64_t pfn)
{
	struct brb_node *n = d->root.node;
	struct augrb_node *best = &d->anchor;

	while (n) {
		if (to_an(n)->hi >= pfn) {
			best = to_an(n);
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

int augrb_reserve(struct augrb_domain *d, uint64_t lo, uint64_t hi)
{
	struct augrb_node *a, *next, *x, *owner;
	struct brb_node *parent, **link;
	uint64_t qlo, qhi;

	if (lo > hi)
		return -EINVAL;
	if (hi < d->start_pfn || lo > d->end_pfn)
		return 0;
	if (lo < d->start_pfn)
		lo = d->start_pfn;
	if (hi > d->end_pfn)
		hi = d->end_pfn;
	/* Pass 1: refuse overlap with live ranges. */
	for (a = lower_bound(d, lo); a != &d->anchor && a->lo <= hi;
	     a = to_an(brb_next(&a->node)))
		if (!a->reserved)
			return -EBUSY;
	x = malloc(sizeof(*x));
	if (!x)
		return -ENOMEM;
	/* Pass 2: absorb overlapping or adjacent reservations. */
	qlo = lo ? lo - 1 : 0;
	qhi = hi + 1;
	for (a = lower_bound(d, qlo); a != &d->anchor && a->lo <= qhi; a = next) {
		next = to_an(brb_next(&a->node));
		if (!a->reserved)
			continue;	/* adjacent live range: leave it */
		if (a->lo < lo)
			lo = a->lo;
		if (a->hi > hi)
			hi = a->hi;
		remove_node(d, a);
		free(a);
	}
	/* Insert [lo, hi] as the predecessor of the node above it. */
	owner = lower_bound(d, hi);
	x->lo = lo;
	x->hi = hi;
	x->reserved = 1;
	parent = &owner->node;
	link = &owner->node.left;
	while (*link) {
		parent = *link;
		link = &parent->right;
	}
	x->gap = x->lo - (owner->lo - owner->gap);
	owner->gap = owner->lo - x->hi - 1;
	x->max_gap = x->gap;
	brb_link(&x->node, parent, link);
	brb_propagate(&x->node, aug_update);
	brb_insert_fixup(&d->root, &x->node, aug_update);
	d->nodes++;
	return 0;
}

struct augrb_node *augrb_first(struct augrb_domain *d)
{
	struct brb_node *n = brb_first(&d->root);

	return n ? to_an(n) : NULL;
}

struct augrb_node *augrb_next(struct augrb_node *a)
{
	struct brb_node *n = brb_next(&a->node);

	return n ? to_an(n) : NULL;
}

static int check_aug(struct brb_node *n)
{
	struct augrb_node *a;
	uint64_t m;

	if (!n)
		return 0;
	if (check_aug(n->left) || check_aug(n->right))
		return -1;
	a = to_an(n);
	m = a->gap;
	if (n->left && to_an(n->left)->max_gap > m)
		m = to_an(n->left)->max_gap;
	if (n->right && to_an(n->right)->max_gap > m)
		m = to_an(n->right)->max_gap;
#ifdef AUGRB_CLAMPED32
	{
		uint64_t m32 = gap32(a);

		if (n->left && to_an(n->left)->max_gap32 > m32)
			m32 = to_an(n->left)->max_gap32;
		if (n->right && to_an(n->right)->max_gap32 > m32)
			m32 = to_an(n->right)->max_gap32;
		if (m32 != a->max_gap32)
			return -1;
	}
#endif
	return m == a->max_gap ? 0 : -1;
}

int augrb_validate(struct augrb_domain *d, const char **why)
{
	struct brb_node *n;
	uint64_t prev_end = d->start_pfn, count = 0;	/* next free pfn */
	struct augrb_node *last = NULL;

	if (brb_check(&d->root) < 0) {
		*why = "red-black properties";
		return -1;
	}
	for (n = brb_first(&d->root); n; n = brb_next(n)) {
		struct augrb_node *a = to_an(n);

		if (a->lo > a->hi || a->lo < prev_end) {
			*why = "order, overlap or bounds";
			return -1;
		}
		if (a->gap != a->lo - prev_end) {
			*why = "stored gap";
			return -1;
		}
		prev_end = a->hi + 1;
		if (a != &d->anchor)
			count++;
		last = a;
	}
	if (last != &d->anchor) {
		*why = "anchor is not the last node";
		return -1;
	}
	if (count != d->nodes) {
		*why = "node count";
		return -1;
	}
	if (check_aug(d->root.node)) {
		*why = "subtree max gap";
		return -1;
	}
	return 0;
}
