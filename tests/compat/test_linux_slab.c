/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * The struct iova slab of a Linux-API domain (src/linux/linux.c), checked
 * from outside against an independent record of every live allocation:
 *  - no two live structs share memory, and each keeps the pfns the record
 *    says, through fills, random frees by pfn and by pointer, structs made
 *    on demand by find_iova() and their frees by free_iova_fast();
 *  - heap growth (glibc mallinfo2, where the allocator is glibc's): a fill
 *    of N 1-page ranges costs at most MAX_BYTES_PER_RANGE bytes per range,
 *    index and structs together, and freeing every range gives the slab's
 *    chunks back (what stays is bounded by a few chunks and nodes), and
 *    put gives back the rest (N structs alone are 128 KiB).
 * Fault injection of the slab's chunk allocations is in test_linux_faults.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>

#include "iova/cache.h"
#include "iova/iova.h"
#include "iova/linux.h"

#include "tap.h"
#include "env.h"	/* iova_rcu_barrier(): the index's deferred node frees */

#define N 8000u
#define CHURN 8000u
#define MAX_BYTES_PER_RANGE 48.0	/* was 57.7 with a malloc per struct */
#define MAX_LEFT_BYTES (64u * 1024u)	/* after every range is freed */
#define MAX_PUT_BYTES (64u * 1024u)	/* after put (a slab leak: > 128 KiB) */

struct rec {
	struct iova *it;	/* NULL: fast range without a struct */
	unsigned long lo, hi;
	bool fast, live;
};

static struct rec rec[N + CHURN];
static unsigned nrec;
static unsigned long bad;

static void count_bad(struct iova_domain *d, unsigned long pfn, const char *w)
{
	(void)d;
	(void)pfn;
	(void)w;
	bad++;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(uint64_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (rng * 0x2545F4914F6CDD1Dull) % n;
}

static uint64_t heap(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

/* Every live struct holds its record's pfns, and none overlaps another. */
static int check_structs(void)
{
	static uintptr_t p[N + CHURN];
	unsigned i, n = 0, wrong = 0;

	for (i = 0; i < nrec; i++) {
		if (!rec[i].live || !rec[i].it)
			continue;
		if (rec[i].it->pfn_lo != rec[i].lo || rec[i].it->pfn_hi != rec[i].hi)
			wrong++;
		p[n++] = (uintptr_t)rec[i].it;
	}
	qsort(p, n, sizeof(p[0]), cmp_ptr);
	for (i = 1; i < n; i++)
		if (p[i] - p[i - 1] < sizeof(struct iova))
			wrong++;
	return wrong;
}

static void add_rec(struct iova *it, unsigned long lo, unsigned long hi, bool fast)
{
	rec[nrec++] = (struct rec){ it, lo, hi, fast, true };
}

/* A random live record, or -1. */
static int pick_live(void)
{
	unsigned tries;

	for (tries = 0; tries < 64; tries++) {
		unsigned i = (unsigned)rnd(nrec);

		if (rec[i].live)
			return (int)i;
	}
	return -1;
}

int main(void)
{
	struct iova_domain d;
	uint64_t h0, hb, h_fill, h_free;
	unsigned i, wrong = 0, fails = 0, live = 0;
	bool glibc_heap;

	iova_linux_set_bad_free_hook(count_bad);
	/* Warm up what a process allocates once (stdio, the first domain). */
	init_iova_domain(&d, 4096, 1);
	ok(iova_linux_init_rcaches(&d, 1, 0) == 0, "rcaches (one CPU slot)");
	put_iova_domain(&d);
	h0 = heap();
	init_iova_domain(&d, 4096, 1);
	ok(iova_linux_init_rcaches(&d, 1, 0) == 0, "rcaches (one CPU slot)");
	hb = heap();
	for (i = 0; i < N; i++) {
		struct iova *it = alloc_iova(&d, 1, (1UL << 36) - 1, false);

		if (!it) {
			fails++;
			continue;
		}
		add_rec(it, it->pfn_lo, it->pfn_hi, false);
	}
	h_fill = heap() - hb;
	ok(fails == 0 && check_structs() == 0,
	   "fill of %u: every struct distinct and intact", N);
	/* Under a sanitizer's allocator mallinfo2 sees none of it. */
	glibc_heap = h_fill >= (uint64_t)N * sizeof(struct iova);
	if (glibc_heap)
		ok((double)h_fill / N <= MAX_BYTES_PER_RANGE,
		   "heap growth per range %.1f B <= %.0f (index + struct iova)",
		   (double)h_fill / N, MAX_BYTES_PER_RANGE);
	else
		ok(1, "# SKIP heap growth not visible to mallinfo2 (%llu B)",
		   (unsigned long long)h_fill);

	for (i = 0; i < CHURN; i++) {
		uint64_t op = rnd(8);
		int k = pick_live();

		if (op < 3 || k < 0) {			/* alloc_iova */
			struct iova *it = alloc_iova(&d, 1 + rnd(8),
						     op ? (1UL << 36) - 1 : 0xFFFFF,
						     op & 1);
			if (it)
				add_rec(it, it->pfn_lo, it->pfn_hi, false);
		} else if (op == 3) {			/* a fast range */
			unsigned long sz = 1 + rnd(4);
			unsigned long pfn = alloc_iova_fast(&d, sz, 0xFFFFF, true);

			if (pfn) {
				unsigned long rs = sz <= 1 ? 1 : sz <= 2 ? 2 : 4;

				add_rec(NULL, pfn, pfn + rs - 1, true);
			}
		} else if (op == 4) {			/* its struct on demand */
			if (rec[k].fast && !rec[k].it) {
				rec[k].it = find_iova(&d, rec[k].lo);
				if (!rec[k].it)
					wrong++;
			}
		} else if (rec[k].fast) {
			free_iova_fast(&d, rec[k].lo, rec[k].hi - rec[k].lo + 1);
			rec[k].live = false;
		} else if (op & 1) {
			free_iova(&d, rec[k].lo);
			rec[k].live = false;
		} else {
			__free_iova(&d, rec[k].it);
			rec[k].live = false;
		}
		if (nrec == N + CHURN)
			break;
		if (i % 4096 == 0)
			wrong += check_structs();
	}
	wrong += check_structs();
	ok(wrong == 0 && bad == 0,
	   "churn: structs distinct and intact, no bad free (%u wrong)", wrong);

	/* Every range freed (fast ones through the caches, then flushed). */
	for (i = 0; i < nrec; i++) {
		if (!rec[i].live)
			continue;
		if (rec[i].fast)
			free_iova_fast(&d, rec[i].lo, rec[i].hi - rec[i].lo + 1);
		else
			__free_iova(&d, rec[i].it);
		rec[i].live = false;
		live++;
	}
	iova_cache_flush_all(iova_linux_native(&d));
	/* Freed index nodes wait for a grace period (lockless readers): let it pass. */
	iova_rcu_barrier();
	h_free = heap() - hb;
	ok(bad == 0, "%u live ranges freed, no bad free", live);
	if (glibc_heap)
		ok(h_free <= MAX_LEFT_BYTES,
		   "after the frees the domain holds %llu B <= %u (chunks went back)",
		   (unsigned long long)h_free, MAX_LEFT_BYTES);
	else
		ok(1, "# SKIP heap not visible to mallinfo2");
	put_iova_domain(&d);
	if (glibc_heap)
		ok(heap() - h0 <= MAX_PUT_BYTES,
		   "put gives the bytes back (%lld B left: glibc counts its tcache as in use)",
		   (long long)(heap() - h0));
	else
		ok(1, "# SKIP heap not visible to mallinfo2");
	return tap_done();
}
