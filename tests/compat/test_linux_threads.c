/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Threads on one compat domain: alloc_iova / find_iova / free_iova /
 * __free_iova, alloc_iova_fast / free_iova_fast through the per-CPU caches
 * (with find_iova creating structs on demand), and reserve_iova, all at
 * once.  Each thread checks that what it holds is its own (find_iova gives
 * back its struct with its bounds), and at the end the domain validates,
 * holds only the reservations, and saw no bad free.  Deterministic per
 * thread; not a benchmark.  Run under TSan by the tsan preset.
 *
 * usage: test_linux_threads [THREADS] [ITERS]
 */
#include "iova/iova.h"
#include "iova/cache.h"
#include "iova/linux.h"

#include <pthread.h>
#include <stdlib.h>

#include "tap.h"

#define HOLD 64

static struct iova_domain D;
static unsigned long iters = 20000;
static _Atomic unsigned long errors, bad_frees_seen;

static void hook(struct iova_domain *d, unsigned long pfn, const char *what)
{
	(void)d;
	(void)pfn;
	(void)what;
	bad_frees_seen++;
}

struct held {
	struct iova *it;	/* alloc_iova */
	unsigned long pfn, size;	/* alloc_iova_fast */
};

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void *worker(void *arg)
{
	unsigned long id = (unsigned long)(uintptr_t)arg, i;
	uint64_t seed = 0x9E3779B97F4A7C15ull * (id + 1);
	struct held h[HOLD] = { { 0 } };

	for (i = 0; i < iters; i++) {
		struct held *x = &h[next_rand(&seed) % HOLD];
		uint64_t r = next_rand(&seed);

		if (x->it) {
			if (find_iova(&D, x->it->pfn_hi) != x->it)
				errors++;
			if (r & 1)
				__free_iova(&D, x->it);
			else
				free_iova(&D, x->it->pfn_lo + (r >> 8) % iova_size(x->it));
			x->it = NULL;
		} else if (x->pfn) {
			struct iova *f = (r & 6) == 0 ? find_iova(&D, x->pfn) : NULL;

			if (f && (f->pfn_lo != x->pfn || iova_size(f) < x->size))
				errors++;
			free_iova_fast(&D, x->pfn, x->size);
			x->pfn = 0;
		} else if (r & 2) {
			unsigned long lim = r & 4 ? 0xFFFFFul : (1ul << 40) - 1;

			x->it = alloc_iova(&D, 1 + (r >> 8) % 9, lim, r & 8);
			if (!x->it)
				errors++;
		} else {
			x->size = 1 + (r >> 8) % 40;
			x->pfn = alloc_iova_fast(&D, x->size, 0xFFFFFul, true);
			if (!x->pfn)
				errors++;
		}
		if (i % 1024 == 0 &&
		    !reserve_iova(&D, 0x200000 + id * 0x1000 + (i / 1024) % 16,
				  0x200000 + id * 0x1000 + (i / 1024) % 16 + 3))
			errors++;
	}
	for (i = 0; i < HOLD; i++) {
		if (h[i].it)
			__free_iova(&D, h[i].it);
		if (h[i].pfn)
			free_iova_fast(&D, h[i].pfn, h[i].size);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long nthreads = argc > 1 ? strtoul(argv[1], NULL, 0) : 4, i;
	pthread_t th[64];
	struct iova_stats st;
	struct iova_ndomain *nd;

	if (argc > 2)
		iters = strtoul(argv[2], NULL, 0);
	if (nthreads > 64)
		nthreads = 64;
	iova_linux_set_bad_free_hook(hook);
	init_iova_domain(&D, 4096, 1);
	ok(iova_domain_init_rcaches(&D) == 0, "caches set up");
	for (i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i);
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	nd = iova_linux_native(&D);
	iova_cache_flush_all(nd);
	ok(errors == 0, "%lu threads x %lu ops: every call succeeded, every find matched",
	   nthreads, iters);
	ok(bad_frees_seen == 0 && iova_linux_bad_frees(&D) == 0, "no bad free");
	ok(iova_domain_validate(nd, NULL) == 0, "domain valid");
	iova_get_stats(nd, &st);
	is_u64(st.live_ranges, 0, "every range freed (caches flushed)");
	ok(st.reserved_ranges >= 1, "reservations kept");
	put_iova_domain(&D);
	return tap_done();
}
