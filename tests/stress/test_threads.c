/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Thread stress of the native API on one domain: every thread allocates
 * (all policies, mixed limits, aligned or not), frees, reserves, finds.
 * A shared ownership map (one atomic owner word per pfn of a small
 * domain) proves that no pfn is ever held by two ranges at once.
 *
 * usage: test_threads [THREADS] [OPS_PER_THREAD] [SEED]
 * Deterministic per thread (seeded); the interleaving is not.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "iova/iova.h"
#include "tap.h"

#define SPACE 8192u	/* pfns [0, SPACE) */
#define HELD 64		/* ranges a thread holds at most */

static struct iova_ndomain *d;
static atomic_uint owner[SPACE];	/* 0 = free, else thread id + 1 */
static atomic_ulong violations, allocs, frees;
static unsigned long ops_per_thread;
static uint64_t seed;

struct held {
	uint64_t lo, size;
};

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static void claim(struct held *h, unsigned me)
{
	uint64_t p;

	for (p = h->lo; p < h->lo + h->size; p++) {
		unsigned expect = 0;

		if (p >= SPACE || !atomic_compare_exchange_strong(&owner[p], &expect, me))
			atomic_fetch_add(&violations, 1);
	}
}

static void release(struct held *h, unsigned me)
{
	uint64_t p;

	for (p = h->lo; p < h->lo + h->size; p++) {
		unsigned expect = me;

		if (!atomic_compare_exchange_strong(&owner[p], &expect, 0))
			atomic_fetch_add(&violations, 1);
	}
}

static void *worker(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;
	uint64_t s = seed * 1000003u + me;
	struct held h[HELD];
	unsigned n = 0;
	unsigned long i;

	for (i = 0; i < ops_per_thread; i++) {
		uint64_t w = rnd(&s) % 100;

		if (w < 45 && n < HELD) {
			uint64_t size = 1 + rnd(&s) % 16, align = 1, pfn;
			uint64_t max = rnd(&s) % 3 ? SPACE - 1 : SPACE / 2 - 1;
			enum iova_policy pol = (enum iova_policy)(rnd(&s) % 3);
			uint64_t min = pol == IOVA_EXACT ? rnd(&s) % SPACE : 0;

			if (rnd(&s) % 2)
				while (align < size)
					align <<= 1;
			if (pol == IOVA_EXACT) {
				min &= ~(align - 1);
				max = SPACE - 1;
			}
			if (!iova_alloc(d, size, align, min, max, pol, &pfn)) {
				h[n].lo = pfn;
				h[n].size = size;
				claim(&h[n], me);
				n++;
				atomic_fetch_add(&allocs, 1);
			}
		} else if (w < 90 && n) {
			unsigned k = (unsigned)(rnd(&s) % n);

			release(&h[k], me);
			if (iova_free(d, h[k].lo))
				atomic_fetch_add(&violations, 1);
			h[k] = h[--n];
			atomic_fetch_add(&frees, 1);
		} else if (w < 97) {
			struct iova_range r;
			uint64_t p = rnd(&s) % SPACE;

			/* A range we hold must be found exactly as held. */
			if (n) {
				struct held *x = &h[rnd(&s) % n];

				if (iova_find(d, x->lo + x->size - 1, &r) ||
				    r.lo != x->lo || r.hi != x->lo + x->size - 1)
					atomic_fetch_add(&violations, 1);
			}
			(void)iova_find(d, p, &r);
		} else {
			/* Reservations only in the top 64 pfns, which nobody
			 * tracks; -EBUSY when a live range is there is fine. */
			uint64_t lo = SPACE - 64 + rnd(&s) % 60;
			int r = iova_reserve(d, lo, lo + rnd(&s) % 4);

			if (r && r != -EBUSY)
				atomic_fetch_add(&violations, 1);
		}
	}
	while (n) {
		release(&h[--n], me);
		if (iova_free(d, h[n].lo))
			atomic_fetch_add(&violations, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned threads = argc > 1 ? (unsigned)atoi(argv[1]) : 4, t;
	struct iova_domain_config cfg = { .start_pfn = 0, .end_pfn = SPACE - 1 };
	pthread_t tid[64];
	struct iova_stats st;
	const char *why = NULL;

	ops_per_thread = argc > 2 ? strtoul(argv[2], NULL, 0) : 200000;
	seed = argc > 3 ? strtoull(argv[3], NULL, 0) : 7;
	if (threads < 1 || threads > 64)
		threads = 4;
	diag("%u threads x %lu ops, seed %" PRIu64, threads, ops_per_thread, seed);
	if (iova_domain_create(&cfg, &d))
		return 99;
	for (t = 0; t < threads; t++)
		pthread_create(&tid[t], NULL, worker, (void *)(uintptr_t)(t + 1));
	for (t = 0; t < threads; t++)
		pthread_join(tid[t], NULL);
	is_u64(atomic_load(&violations), 0, "no pfn held twice, every free/find agreed");
	ok(atomic_load(&allocs) > threads * ops_per_thread / 10,
	   "%lu allocations, %lu frees", atomic_load(&allocs), atomic_load(&frees));
	ok(iova_domain_validate(d, &why) == 0, "valid at the end%s%s",
	   why ? ": " : "", why ? why : "");
	iova_get_stats(d, &st);
	is_u64(st.live_ranges, 0, "every live range was freed");
	iova_domain_destroy(d);
	return tap_done();
}
