// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Randomised differential safety test of the bench baselines against a
 * brute-force oracle: a per-pfn map of a small address space.
 *  - classic and augrb never hand out a pfn that is live or reserved, never
 *    go outside [start_pfn, limit], and respect size alignment;
 *  - augrb's placement equals the oracle's highest fit, and it fails only
 *    when the oracle finds no fit;
 *  - frees and reserves leave each design's ranges equal to its oracle.
 * Each design has its own oracle: their placement policies differ.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "augrb.h"
#include "classic.h"
#include "tap.h"

#define SPACE 2048u		/* pfns [0, SPACE) */
#define MAXLIVE 512

enum { FREE = 0, LIVE = 1, RSVD = 2 };

struct oracle {
	unsigned char st[SPACE];	/* FREE/LIVE/RSVD */
	unsigned short start[SPACE];	/* for LIVE pfns: start of the range */
	uint64_t live[MAXLIVE];		/* starts of live ranges */
	unsigned nlive;
};

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

static uint64_t roundup_pow2(uint64_t x)
{
	uint64_t p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

/* Highest aligned fit in [start, min(limit, end)], or UINT64_MAX. */
static uint64_t oracle_fit(const struct oracle *o, uint64_t start, uint64_t end,
			   uint64_t size, uint64_t align, uint64_t limit)
{
	uint64_t top = limit < end ? limit : end, s, i;

	if (top < start || top - start + 1 < size)
		return UINT64_MAX;
	for (s = (top - size + 1) & ~(align - 1);; s -= align) {
		if (s < start)
			return UINT64_MAX;
		for (i = 0; i < size && o->st[s + i] == FREE; i++)
			;
		if (i == size)
			return s;
		if (s < align)
			return UINT64_MAX;
	}
}

static int oracle_range_is(const struct oracle *o, uint64_t lo, uint64_t hi,
			   int state)
{
	uint64_t i;

	for (i = lo; i <= hi; i++)
		if (o->st[i] != state)
			return 0;
	return 1;
}

static void oracle_take(struct oracle *o, uint64_t lo, uint64_t size)
{
	uint64_t i;

	for (i = lo; i < lo + size; i++) {
		o->st[i] = LIVE;
		o->start[i] = (unsigned short)lo;
	}
	o->live[o->nlive++] = lo;
}

static void oracle_release(struct oracle *o, unsigned idx)
{
	uint64_t lo = o->live[idx], i;

	for (i = lo; i < SPACE && o->st[i] == LIVE && o->start[i] == lo; i++)
		o->st[i] = FREE;
	o->live[idx] = o->live[--o->nlive];
}

static struct oracle oc, oa;	/* classic's and augrb's */
static struct classic_domain cd;
static struct augrb_domain ad;

/* Compare a design's full state with its oracle. */
static int same_classic(uint64_t start)
{
	unsigned char seen[SPACE];
	uint64_t p;

	memset(seen, FREE, sizeof(seen));
	for (p = 0; p < SPACE; p++) {
		struct classic_iova *n = classic_find_iova(&cd, p);

		if (n && p >= start)
			seen[p] = oc.st[p] == RSVD ? RSVD : LIVE;
	}
	for (p = start; p < SPACE; p++)
		if ((seen[p] != FREE) != (oc.st[p] != FREE))
			return 0;
	return 1;
}

static int same_augrb(void)
{
	unsigned char seen[SPACE];
	struct augrb_node *n;
	uint64_t p;

	memset(seen, FREE, sizeof(seen));
	for (n = augrb_first(&ad); n; n = augrb_next(n)) {
		if (n == &ad.anchor)
			continue;
		for (p = n->lo; p <= n->hi; p++)
			seen[p] = n->reserved ? RSVD : LIVE;
		if (!n->reserved && (oa.st[n->lo] != LIVE || oa.start[n->lo] != n->lo))
			return 0;
	}
	return memcmp(seen, oa.st, SPACE) == 0;
}

static unsigned bad_cls, bad_aug, bad_fit, bad_state, bad_free, bad_rsv,
	bad_valid, n_alloc_ok, n_alloc_fail;

static void one_alloc(uint64_t start, uint64_t end)
{
	uint64_t size = 1 + (rnd_below(4) ? rnd_below(8) : rnd_below(64));
	bool al = rnd_below(2);
	uint64_t align = al ? roundup_pow2(size) : 1;
	uint64_t limit = rnd_below(4) ? end : start + rnd_below(end - start + 40);
	struct classic_iova *n;
	uint64_t want, got;
	int r;

	if (rnd_below(20) == 0)
		limit = start ? start - 1 : 0;	/* below the domain */
	/* classic: safety only. */
	if (oc.nlive < MAXLIVE) {
		/* The bench wrapper clamps the limit to the domain too. */
		n = classic_alloc_iova(&cd, size, limit < end ? limit : end, al);
		if (n) {
			if (n->pfn_lo < start || n->pfn_hi > limit ||
			    n->pfn_hi > end || n->pfn_hi - n->pfn_lo + 1 != size ||
			    (n->pfn_lo & (align - 1)) ||
			    !oracle_range_is(&oc, n->pfn_lo, n->pfn_hi, FREE)) {
				bad_cls++;
				classic___free_iova(&cd, n);
			} else {
				oracle_take(&oc, n->pfn_lo, size);
			}
		}
	}
	/* augrb: safety and the exact highest fit. */
	if (oa.nlive < MAXLIVE) {
		want = oracle_fit(&oa, start, end, size, align, limit);
		r = augrb_alloc(&ad, size, align, limit, &got);
		if (r == 0) {
			n_alloc_ok++;
			if (got < start || got + size - 1 > limit ||
			    got + size - 1 > end || (got & (align - 1)) ||
			    !oracle_range_is(&oa, got, got + size - 1, FREE))
				bad_aug++;
			else
				oracle_take(&oa, got, size);
			if (got != want)
				bad_fit++;
		} else {
			n_alloc_fail++;
			if (r != -ENOMEM || want != UINT64_MAX)
				bad_fit++;
		}
	}
}

static void one_free(uint64_t start, uint64_t end)
{
	unsigned i;
	uint64_t p;

	if (oc.nlive) {
		i = (unsigned)rnd_below(oc.nlive);
		classic_free_iova(&cd, oc.live[i]);
		oracle_release(&oc, i);
	}
	if (oa.nlive) {
		i = (unsigned)rnd_below(oa.nlive);
		if (augrb_free(&ad, oa.live[i]) != 0)
			bad_free++;
		oracle_release(&oa, i);
	}
	/* A bogus free: a free, middle or reserved pfn changes nothing. */
	p = start + rnd_below(end - start + 1);
	if (oa.st[p] != LIVE || oa.start[p] != p)
		if (augrb_free(&ad, p) != -ENOENT)
			bad_free++;
}

static void one_reserve(uint64_t start, uint64_t end)
{
	uint64_t lo = rnd_below(SPACE), hi = lo + rnd_below(16), i;
	int r;

	if (hi >= SPACE)
		hi = SPACE - 1;
	/* augrb: refuses an overlap with a live range, else merges. */
	{
		uint64_t clo = lo < start ? start : lo;
		uint64_t chi = hi > end ? end : hi;
		int live = 0;

		for (i = clo; i <= chi && clo <= chi; i++)
			if (oa.st[i] == LIVE)
				live = 1;
		r = augrb_reserve(&ad, lo, hi);
		if (live ? r != -EBUSY : r != 0)
			bad_rsv++;
		if (!live)
			for (i = clo; i <= chi && clo <= chi; i++)
				oa.st[i] = RSVD;
	}
	/*
	 * classic: mainline merges reservations into overlapping *live* nodes
	 * (widening them), so only reserve over free or reserved space.
	 */
	if (lo >= start && hi <= end) {
		int any_live = 0;

		for (i = lo; i <= hi; i++)
			any_live |= oc.st[i] == LIVE;
		if (!any_live) {
			if (!classic_reserve_iova(&cd, lo, hi))
				bad_rsv++;
			for (i = lo; i <= hi; i++)
				oc.st[i] = RSVD;
		}
	}
}

static void run(uint64_t start, uint64_t end, unsigned ops, uint64_t seed)
{
	const char *why = "";
	unsigned k;

	rng = seed;
	memset(&oc, 0, sizeof(oc));
	memset(&oa, 0, sizeof(oa));
	bad_cls = bad_aug = bad_fit = bad_state = bad_free = bad_rsv = 0;
	bad_valid = n_alloc_ok = n_alloc_fail = 0;
	classic_init_iova_domain(&cd, 4096, start);
	augrb_init(&ad, start, end);
	/* The classic model has no upper domain bound: fence it. */
	if (end + 1 < SPACE) {
		classic_reserve_iova(&cd, end + 1, SPACE - 1);
		memset(oc.st + end + 1, RSVD, SPACE - 1 - end);
	}
	for (k = 0; k < ops; k++) {
		unsigned op = (unsigned)rnd_below(100);

		if (op < 50)
			one_alloc(start, end);
		else if (op < 92)
			one_free(start, end);
		else
			one_reserve(start, end);
		if (k % 64 == 0 || k == ops - 1) {
			if (classic_validate(&cd, &why) || augrb_validate(&ad, &why))
				bad_valid++;
			if (!same_classic(start) || !same_augrb())
				bad_state++;
		}
	}
	is_int(bad_cls, 0, "seed %llx [%llu,%llu]: classic never overlaps, stays in bounds, aligns",
	       (unsigned long long)seed, (unsigned long long)start, (unsigned long long)end);
	is_int(bad_aug, 0, "augrb never overlaps, stays in bounds, aligns");
	is_int(bad_fit, 0, "augrb placement = oracle highest fit (%u ok, %u failed)",
	       n_alloc_ok, n_alloc_fail);
	is_int(bad_free, 0, "frees agree (bogus frees -ENOENT)");
	is_int(bad_rsv, 0, "reserves agree");
	is_int(bad_state, 0, "states equal the oracles");
	is_int(bad_valid, 0, "structure invariants hold (%s)", why);
	classic_put_iova_domain(&cd);
	augrb_destroy(&ad);
}

int main(int argc, char **argv)
{
	unsigned ops = argc > 1 ? (unsigned)atoi(argv[1]) : 100000;
	uint64_t s;

	for (s = 1; s <= 8; s++)
		run(s % 3, SPACE - 1 - (s % 4) * 300, ops, 0x1234567ull * s + 17);
	return tap_done();
}
