/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Thread stress of iova_alloc_fast()/iova_free_fast():
 *   test_cache_stress [THREADS [OPS_PER_THREAD [SEED]]]
 *
 * Each thread allocates and frees ranges of mixed sizes under mixed limits
 * and now and then flushes, trims, injects a memory failure or moves itself
 * to another CPU.  A shared
 * map holds the owner of every pfn, claimed and released with atomic
 * exchanges: a range handed out twice (or a pfn outside its range) shows up
 * as a non-zero previous owner.  At the end every range is accounted for:
 * live in the index == cached, and after a flush nothing is live.
 *
 * Five phases exercise different shapes: the defaults; one slot shared by
 * every thread with tiny magazines and random yields at the handoffs; more
 * slots than CPUs with 4-entry magazines and 4 cached orders; every free
 * checked (IOVA_CACHE_CHECK_FREES: index lookup and magazine scan); and
 * frequent idle trims and CPU flushes that give magazines back to the
 * hooks while other threads use them (8 slots, most of them idle at times).  Sized to
 * run in seconds natively and well under a minute under TSan on 2 cores.
 * Not a benchmark.
 */
#define _GNU_SOURCE	/* pthread_setaffinity_np: forced migrations */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "cache_dump.h"
#include "tap.h"

#define DOM_END 0x3FFFu		/* pfns [1, DOM_END] */
#define HELD_MAX 32

static _Atomic unsigned char owner[DOM_END + 64];
static long ncpus = 1;
static bool trim_often;	/* the idle-trim phase: worker 1 trims every ~64 ops */
static atomic_ulong violations, bad_frees, enomem, allocs;

struct worker {
	pthread_t th;
	struct iova_ndomain *d;
	unsigned int id;	/* 1.. */
	unsigned long ops;
	uint64_t rng;
	uint64_t held_pfn[HELD_MAX], held_size[HELD_MAX];
	unsigned int nheld;
};

static uint64_t rnd(struct worker *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng;
}

static uint64_t span_of(struct iova_ndomain *d, uint64_t size)
{
	struct iova_cache_config c;
	unsigned int order = size <= 1 ? 0 : 64 - (unsigned int)__builtin_clzll(size - 1);

	iova_cache_get_config(d, &c);
	return order < c.max_order ? (uint64_t)1 << order : size;
}

/* Claim (tag = owner) or release (tag = 0) every pfn of a range. */
static void mark(struct worker *w, uint64_t pfn, uint64_t n, bool claim)
{
	unsigned char want = claim ? 0 : (unsigned char)w->id;
	uint64_t i;

	for (i = 0; i < n; i++) {
		unsigned char prev = atomic_exchange_explicit(
			&owner[pfn + i], claim ? (unsigned char)w->id : 0,
			memory_order_acq_rel);

		if (prev != want)
			atomic_fetch_add(&violations, 1);
	}
}

static void do_alloc(struct worker *w)
{
	static const uint64_t limits[] = { DOM_END, DOM_END, DOM_END, 0x1FFF,
					   0x1FFF, 0x3FF, UINT64_MAX, 0xFF };
	uint64_t r = rnd(w), size, lim, pfn = 0, span;
	int ret;

	size = (r & 7) == 0 ? 33 + (r >> 8) % 16	/* uncached */
	       : (r & 3) == 1 ? 1 + (r >> 8) % 32	/* any cached size */
	       : 1 + (r >> 8) % 4;			/* mostly small */
	lim = limits[(r >> 20) % 8];
	/* Low limits mostly try without a flush, as dma-iommu's 32-bit try. */
	ret = iova_alloc_fast(w->d, size, lim,
			      ((r >> 24) % 8 != 0) == (lim > 0x3FF), &pfn);
	if (ret) {
		if (ret != -ENOMEM)
			atomic_fetch_add(&violations, 1);
		atomic_fetch_add_explicit(&enomem, 1, memory_order_relaxed);
		return;
	}
	atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
	span = span_of(w->d, size);
	if (pfn < 1 || pfn > DOM_END || pfn + span - 1 > iova_min64(lim, DOM_END) ||
	    (pfn & (((uint64_t)1 << iova_clog2(size)) - 1))) {
		atomic_fetch_add(&violations, 1);
		return;
	}
	mark(w, pfn, span, true);
	w->held_pfn[w->nheld] = pfn;
	w->held_size[w->nheld] = size;
	w->nheld++;
}

static void do_free(struct worker *w, unsigned int i)
{
	uint64_t pfn = w->held_pfn[i], size = w->held_size[i];

	mark(w, pfn, span_of(w->d, size), false);
	if (iova_free_fast(w->d, pfn, size))
		atomic_fetch_add(&bad_frees, 1);
	w->nheld--;
	w->held_pfn[i] = w->held_pfn[w->nheld];
	w->held_size[i] = w->held_size[w->nheld];
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned long k;

	for (k = 0; k < w->ops; k++) {
		uint64_t r = rnd(w);

		if ((r & 1023) == 3 && ncpus > 1) {
			/* Move to another CPU now and then (migrations). */
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET((int)((r >> 16) % (uint64_t)ncpus), &set);
			pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
			iova__cpu_hint_drop();	/* where rseq is missing */
		}
		if (trim_often && w->id == 1 && (r & 63) == 5) {
			/* Idle slots (more slots than CPUs, migrations) lose
			 * their magazines while the others keep working. */
			if ((r >> 6) & 1)
				iova_cache_trim(w->d);
			else
				iova_cache_flush_cpu(w->d, (unsigned int)(r >> 16) % 8);
		}
		if ((r & 4095) == 7) {
			switch ((r >> 12) % 4) {
			case 0:
				iova_cache_flush_cpu(w->d, (unsigned int)(r >> 16) % 4);
				break;
			case 1:
				iova_cache_flush_all(w->d);
				break;
			case 2:
				iova_cache_trim(w->d);
				break;
			default:
				if (w->id == 1)
					iova__fault_inject(1 + (r >> 16) % 8);
				break;
			}
		}
		if (w->nheld < HELD_MAX && (w->nheld == 0 || (r >> 32) % 16 < 9))
			do_alloc(w);
		else if (w->nheld)
			do_free(w, (unsigned int)((r >> 40) % w->nheld));
	}
	while (w->nheld)
		do_free(w, w->nheld - 1);
	return NULL;
}

static void phase(const char *name, const struct iova_cache_config *cc,
		  bool yield, unsigned int nthreads, unsigned long ops,
		  uint64_t seed)
{
	struct iova_domain_config dc = { .start_pfn = 1, .end_pfn = DOM_END };
	struct iova_ndomain *d = NULL;
	struct worker *w = calloc(nthreads, sizeof(*w));
	struct iova_stats st;
	uint64_t cached = 0;
	const char *why = NULL;
	unsigned int i, o;
	struct iova_cache_config got;
	unsigned long nz = 0;

	atomic_store(&violations, 0);
	atomic_store(&bad_frees, 0);
	atomic_store(&enomem, 0);
	atomic_store(&allocs, 0);
	if (!ok(w && !iova_domain_create(&dc, &d) &&
		!iova_domain_init_caches(d, cc), "%s: set up", name))
		return;
	iova__cache_set_debug_yield(d, yield);
	for (i = 0; i < nthreads; i++) {
		w[i].d = d;
		w[i].id = i + 1;
		w[i].ops = ops;
		w[i].rng = seed * 0x9E3779B97F4A7C15ull + i + 1;
		pthread_create(&w[i].th, NULL, worker_main, &w[i]);
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(w[i].th, NULL);
	iova__fault_inject(0);

	is_u64(atomic_load(&violations), 0, "%s: no range held twice, all in bounds", name);
	is_u64(atomic_load(&bad_frees), 0, "%s: every free accepted", name);
	diag("%s: %lu allocations, %lu -ENOMEM", name, atomic_load(&allocs),
	     atomic_load(&enomem));
	is_int(iova_domain_validate(d, &why), 0, "%s: domain valid %s", name,
	       why ? why : "");
	if (iova__cache_validate(d, &why)) {
		ok(0, "%s: caches valid: %s", name, why ? why : "?");
		cache_dump(d, stdout);
	} else {
		ok(1, "%s: caches valid", name);
	}
	iova_cache_get_config(d, &got);
	for (o = 0; o < got.max_order; o++) {
		struct iova_cache_stats cs;

		iova_cache_get_stats(d, o, &cs);
		cached += cs.cached_ranges;
		if (o == 0)
			diag("%s: order 0: %" PRIu64 " hits %" PRIu64 " misses %"
			     PRIu64 " pushes %" PRIu64 " pops %" PRIu64 " trims %"
			     PRIu64 " flushes", name, cs.hits, cs.misses,
			     cs.depot_pushes, cs.depot_pops, cs.trims, cs.flushes);
		if (o == 0)
			diag("%s: %" PRIu64 " slots, %" PRIu64 " idle trims, %"
			     PRIu64 " cache bytes", name, cs.cpu_slots,
			     cs.idle_trims, cs.cache_bytes);
	}
	iova_get_stats(d, &st);
	is_u64(st.live_ranges, cached, "%s: live ranges == cached ranges", name);
	iova_cache_flush_all(d);
	iova_get_stats(d, &st);
	is_u64(st.live_ranges, 0, "%s: nothing live after flush_all", name);
	for (i = 0; i <= DOM_END; i++)
		nz += atomic_load_explicit(&owner[i], memory_order_relaxed) != 0;
	is_u64(nz, 0, "%s: ownership map empty", name);
	is_int(iova__cache_validate(d, &why), 0, "%s: caches valid after flush", name);
	iova_domain_destroy(d);
	free(w);
}

int main(int argc, char **argv)
{
	unsigned int nthreads = argc > 1 ? (unsigned int)atoi(argv[1]) : 4;
	unsigned long ops = argc > 2 ? strtoul(argv[2], NULL, 0) : 60000;
	uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 0) : 1;
	struct iova_cache_config defaults = { 0 };
	struct iova_cache_config shared = { .nr_cpus = 1, .mag_size = 8,
					    .depot_max = 1 };
	struct iova_cache_config small = { .nr_cpus = 3, .mag_size = 4,
					   .depot_max = 2, .max_order = 4 };
	struct iova_cache_config idle = { .nr_cpus = 8, .mag_size = 4,
					  .depot_max = 2 };
	struct iova_cache_config checked = { .nr_cpus = 2, .mag_size = 16,
					     .depot_max = 1,
					     .flags = IOVA_CACHE_CHECK_FREES };

	if (nthreads < 1 || nthreads > 200)
		nthreads = 4;
	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpus > 64)
		ncpus = 64;
	diag("threads %u, ops/thread %lu, seed %" PRIu64, nthreads, ops, seed);
	phase("defaults", &defaults, false, nthreads, ops, seed);
	phase("one shared slot", &shared, true, nthreads, ops, seed + 1);
	phase("small magazines", &small, true, nthreads, ops, seed + 2);
	phase("checked frees", &checked, false, nthreads, ops / 2, seed + 3);
	trim_often = true;
	phase("idle trims", &idle, true, nthreads, ops / 2, seed + 4);
	trim_often = false;
	return tap_done();
}
