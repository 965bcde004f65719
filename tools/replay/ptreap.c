// SPDX-License-Identifier: MIT OR GPL-2.0-only
/* Treap of ranges; see ptreap.h. */
#include <stdlib.h>
#include <string.h>

#include "ptreap.h"

void pt_init(struct ptreap *t)
{
	memset(t, 0, sizeof(*t));
	t->root = PT_NIL;
	t->free_list = PT_NIL;
	t->rng = 0x9e3779b9u;
}

static uint32_t pt_rand(struct ptreap *t)
{
	t->rng ^= t->rng << 13;
	t->rng ^= t->rng >> 17;
	t->rng ^= t->rng << 5;
	return t->rng;
}

uint32_t pt_new(struct ptreap *t, uint64_t lo, uint64_t end, uint32_t slot)
{
	uint32_t i;

	if (t->free_list != PT_NIL) {
		i = t->free_list;
		t->free_list = t->p[i].left;
	} else {
		uint32_t grow = t->cap / 2 > 1024 ? t->cap / 2 : 1024;
		struct piece *n;
		uint32_t k;

		if (t->cap > UINT32_MAX - grow - 1)
			return PT_NIL;
		n = realloc(t->p, (size_t)(t->cap + grow) * sizeof(*n));
		if (!n)
			return PT_NIL;
		t->p = n;
		for (k = t->cap + grow - 1; k > t->cap; k--) {
			n[k].left = t->free_list;
			t->free_list = k;
		}
		i = t->cap;
		t->cap += grow;
	}
	t->p[i].lo = lo;
	t->p[i].end = end;
	t->p[i].slot = slot;
	t->p[i].prio = pt_rand(t);
	t->p[i].left = t->p[i].right = PT_NIL;
	return i;
}

/* Split r into keys < key (*a) and keys >= key (*b). */
static void pt_split(struct ptreap *t, uint32_t r, uint64_t key,
		     uint32_t *a, uint32_t *b)
{
	if (r == PT_NIL) {
		*a = *b = PT_NIL;
		return;
	}
	if (t->p[r].lo < key) {
		pt_split(t, t->p[r].right, key, &t->p[r].right, b);
		*a = r;
	} else {
		pt_split(t, t->p[r].left, key, a, &t->p[r].left);
		*b = r;
	}
}

static uint32_t pt_merge(struct ptreap *t, uint32_t a, uint32_t b)
{
	if (a == PT_NIL)
		return b;
	if (b == PT_NIL)
		return a;
	if (t->p[a].prio > t->p[b].prio) {
		t->p[a].right = pt_merge(t, t->p[a].right, b);
		return a;
	}
	t->p[b].left = pt_merge(t, a, t->p[b].left);
	return b;
}

void pt_insert(struct ptreap *t, uint32_t n)
{
	uint32_t a, b;

	pt_split(t, t->root, t->p[n].lo, &a, &b);
	t->root = pt_merge(t, pt_merge(t, a, n), b);
}

void pt_erase(struct ptreap *t, uint64_t lo)
{
	uint32_t a, m, b;

	pt_split(t, t->root, lo, &a, &b);
	if (lo == UINT64_MAX) {
		m = b;
		b = PT_NIL;
	} else {
		pt_split(t, b, lo + 1, &m, &b);
	}
	if (m != PT_NIL) {
		t->p[m].left = t->free_list;
		t->free_list = m;
	}
	t->root = pt_merge(t, a, b);
}

/* The piece with the largest lo <= key, or PT_NIL. */
uint32_t pt_le(const struct ptreap *t, uint64_t key)
{
	uint32_t r = t->root, best = PT_NIL;

	while (r != PT_NIL) {
		if (t->p[r].lo <= key) {
			best = r;
			r = t->p[r].right;
		} else {
			r = t->p[r].left;
		}
	}
	return best;
}

/* The piece with the smallest lo > key, or PT_NIL. */
uint32_t pt_gt(const struct ptreap *t, uint64_t key)
{
	uint32_t r = t->root, best = PT_NIL;

	while (r != PT_NIL) {
		if (t->p[r].lo > key) {
			best = r;
			r = t->p[r].left;
		} else {
			r = t->p[r].right;
		}
	}
	return best;
}

void pt_destroy(struct ptreap *t)
{
	free(t->p);
	pt_init(t);
}

static int walk(const struct ptreap *t, uint32_t r,
		int (*fn)(const struct piece *p, void *arg), void *arg)
{
	int ret;

	while (r != PT_NIL) {
		ret = walk(t, t->p[r].left, fn, arg);
		if (ret)
			return ret;
		ret = fn(&t->p[r], arg);
		if (ret)
			return ret;
		r = t->p[r].right;
	}
	return 0;
}

int pt_walk(const struct ptreap *t, int (*fn)(const struct piece *p,
					      void *arg), void *arg)
{
	return walk(t, t->root, fn, arg);
}
