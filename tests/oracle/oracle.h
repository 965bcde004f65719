/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * An obviously correct model of a domain: a sorted array of ranges, and
 * brute-force answers computed in 128-bit arithmetic by scanning every gap.
 * It shares no code with the library (not even the alignment helpers).
 */
#ifndef IOVA_TESTS_ORACLE_H
#define IOVA_TESTS_ORACLE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

struct orange {
	uint64_t lo, hi;
	bool rsv;
};

struct oracle {
	uint64_t start, end;
	struct orange *r;
	size_t n, cap;
};

static inline void oracle_init(struct oracle *o, uint64_t start, uint64_t end)
{
	o->start = start;
	o->end = end;
	o->n = 0;
}

static inline void oracle_free_all(struct oracle *o)
{
	free(o->r);
	o->r = NULL;
	o->n = o->cap = 0;
}

/* Index of the first range with hi >= pfn (or n). */
static inline size_t oracle_lower(const struct oracle *o, uint64_t pfn)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (o->r[i].hi >= pfn)
			return i;
	return o->n;
}

static inline void oracle_insert(struct oracle *o, uint64_t lo, uint64_t hi,
				 bool rsv)
{
	size_t i = oracle_lower(o, lo);

	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 64;
		o->r = realloc(o->r, o->cap * sizeof(*o->r));
		if (!o->r)
			abort();
	}
	memmove(&o->r[i + 1], &o->r[i], (o->n - i) * sizeof(*o->r));
	o->r[i] = (struct orange){ lo, hi, rsv };
	o->n++;
}

static inline void oracle_remove(struct oracle *o, size_t i)
{
	memmove(&o->r[i], &o->r[i + 1], (o->n - i - 1) * sizeof(*o->r));
	o->n--;
}

/* Gap g (0..n): [lo, hi] as 128-bit values; empty if lo > hi. */
static inline void oracle_gap(const struct oracle *o, size_t g, u128 *lo,
			      u128 *hi)
{
	*lo = g == 0 ? (u128)o->start : (u128)o->r[g - 1].hi + 1;
	*hi = g == o->n ? (u128)o->end : (u128)o->r[g].lo - 1;
	if (g < o->n && o->r[g].lo == 0)
		*hi = 0, *lo = 1;	/* empty */
}

/*
 * The highest (top) or lowest aligned start inside the gaps, within
 * [min, max] clamped to the domain.  -ENOMEM if none.
 */
static inline int oracle_place(const struct oracle *o, uint64_t size,
			       uint64_t align, uint64_t min, uint64_t max,
			       bool top, uint64_t *out)
{
	u128 bmin = min > o->start ? min : o->start;
	u128 bmax = max < o->end ? max : o->end;
	size_t k;

	if (bmin > bmax)
		return -ENOMEM;
	for (k = 0; k <= o->n; k++) {
		size_t g = top ? o->n - k : k;
		u128 a, b, x;

		oracle_gap(o, g, &a, &b);
		if (a < bmin)
			a = bmin;
		if (b > bmax)
			b = bmax;
		if (a > b || b - a + 1 < size)
			continue;
		if (top) {
			x = (b + 1 - size) / align * align;
			if (x < a)
				continue;
		} else {
			x = (a + align - 1) / align * align;
			if (x + size - 1 > b)
				continue;
		}
		*out = (uint64_t)x;
		return 0;
	}
	return -ENOMEM;
}

/* Is [lo, hi] free and inside the domain? */
static inline bool oracle_is_free(const struct oracle *o, uint64_t lo,
				  uint64_t hi)
{
	size_t i;

	if (lo < o->start || hi > o->end)
		return false;
	for (i = 0; i < o->n; i++)
		if (o->r[i].lo <= hi && o->r[i].hi >= lo)
			return false;
	return true;
}

/* The range containing pfn, or -1. */
static inline long oracle_find(const struct oracle *o, uint64_t pfn)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (o->r[i].lo <= pfn && pfn <= o->r[i].hi)
			return (long)i;
	return -1;
}

static inline int oracle_free(struct oracle *o, uint64_t pfn)
{
	long i = oracle_find(o, pfn);

	if (i < 0 || o->r[i].lo != pfn || o->r[i].rsv)
		return -ENOENT;
	oracle_remove(o, (size_t)i);
	return 0;
}

/* Reserve [lo, hi]: clip, refuse over live ranges, merge reservations. */
static inline int oracle_reserve(struct oracle *o, uint64_t lo, uint64_t hi)
{
	u128 a, b;
	size_t i;

	if (lo > hi)
		return -EINVAL;
	a = lo > o->start ? lo : o->start;
	b = hi < o->end ? hi : o->end;
	if (a > b)
		return 0;
	for (i = 0; i < o->n; i++)
		if (!o->r[i].rsv && o->r[i].lo <= b && o->r[i].hi >= a)
			return -EBUSY;
	/* Merge every reservation that overlaps or touches [a, b]. */
	for (i = 0; i < o->n;) {
		struct orange r = o->r[i];

		if (r.rsv && (u128)r.lo <= b + 1 && (u128)r.hi + 1 >= a) {
			if (r.lo < a)
				a = r.lo;
			if (r.hi > b)
				b = r.hi;
			oracle_remove(o, i);
			continue;
		}
		i++;
	}
	oracle_insert(o, (uint64_t)a, (uint64_t)b, true);
	return 0;
}

/* Largest free run inside [min, max] (saturating). */
static inline uint64_t oracle_largest(const struct oracle *o, uint64_t min,
				      uint64_t max)
{
	u128 best = 0, bmin = min > o->start ? min : o->start;
	u128 bmax = max < o->end ? max : o->end;
	size_t g;

	for (g = 0; g <= o->n; g++) {
		u128 a, b;

		oracle_gap(o, g, &a, &b);
		if (a < bmin)
			a = bmin;
		if (b > bmax)
			b = bmax;
		if (a <= b && b - a + 1 > best)
			best = b - a + 1;
	}
	return best > UINT64_MAX ? UINT64_MAX : (uint64_t)best;
}

static inline uint64_t oracle_gaps(const struct oracle *o)
{
	uint64_t c = 0;
	size_t g;

	for (g = 0; g <= o->n; g++) {
		u128 a, b;

		oracle_gap(o, g, &a, &b);
		c += a <= b;
	}
	return c;
}

#endif
