// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * iova-bench --mt: thread scaling of libiova's native API on one shared
 * domain, for 1, 2 and every thread count of --threads.  Thread i is
 * pinned to CPU i % nproc.  Three paths:
 *
 *   fast  iova_alloc_fast/iova_free_fast with the per-CPU caches (1 page);
 *   slow  iova_alloc/iova_free with no caches (1 page, top-down, 64-bit
 *         limit): every op takes the domain lock;
 *   find  T readers call iova_find and iova_find_next on ranges that stay
 *         live, while one more thread (the writer, pinned to CPU T % nproc)
 *         allocates and frees on the same domain; only the readers' ops
 *         count, the writer's rate is printed beside them.
 *
 * The domain is first filled with n one-page ranges (--n, default 1e5)
 * from which every other one is freed again: a tree of n/2 live ranges
 * with holes.  Each worker then keeps its own FIFO of W live ranges: one
 * op is one alloc or one free (a free of its oldest, an alloc of a new
 * one).  A phase runs for --budget seconds (default 0.5) after every
 * thread is pinned and ready; repeats (--repeat, default 5): for each
 * thread count the repeat with the median aggregate throughput is printed.
 *
 * Printed per path and thread count: ns/op of each thread (its wall time
 * over its ops, and its CPU time over its ops), aggregate Mops/s (all
 * workers' ops over the phase's wall time) and that aggregate over the
 * 1-thread aggregate of the same run (the repeats of all thread counts are
 * interleaved, so that each sees the same spread of machine load).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "iova/cache.h"
#include "iova/iova.h"

#define MT_FIFO 32		/* live ranges per worker */
#define MT_MAX_REPEAT 64
#define MT_MAX_COUNTS 18	/* 1, 2 and up to 16 more */

enum mt_path { MT_FAST, MT_SLOW, MT_FIND, MT_NPATH };

static const char *const mt_path_name[MT_NPATH] = { "fast", "slow", "find" };

struct mt_ctx;

struct mt_thread {
	pthread_t tid;
	struct mt_ctx *c;
	unsigned idx, cpu;
	bool writer;		/* the find path's writer */
	bool pinned;
	uint64_t rng;
	uint64_t ops, fails;
	double wall_ns, cpu_ns;
	uint64_t fifo[MT_FIFO];
} __attribute__((aligned(64)));

struct mt_ctx {
	struct iova_ndomain *d;
	enum mt_path path;
	const uint64_t *live;	/* ranges that stay live (find) */
	uint64_t nlive;
	atomic_uint ready;
	atomic_int go, stop;
	atomic_int err;
	char pad[64];
};

/* Wall and thread CPU time in ns (bench.c's clocks; --mt never runs with --callgrind). */
static double mono_ns(void)
{
	return (double)bench_now();
}

static double tcpu_ns(void)
{
	return (double)bench_cpu_now();
}

static uint64_t mt_rng(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static int mt_get(struct mt_ctx *c, uint64_t *pfn)
{
	if (c->path == MT_FAST)
		return iova_alloc_fast(c->d, 1, DOM_END, true, pfn);
	return iova_alloc(c->d, 1, 1, 0, DOM_END, IOVA_TOP_DOWN, pfn);
}

static int mt_put(struct mt_ctx *c, uint64_t pfn)
{
	if (c->path == MT_FAST)
		return iova_free_fast(c->d, pfn, 1);
	return iova_free(c->d, pfn);
}

/* One writer op pair: free the oldest of the FIFO, allocate in its place. */
static void churn(struct mt_thread *t, struct mt_ctx *c, unsigned *head)
{
	uint64_t *slot = &t->fifo[*head];

	if (mt_put(c, *slot)) {
		atomic_store(&c->err, 1);
		atomic_store(&c->stop, 1);
	}
	if (mt_get(c, slot)) {
		/* Cannot happen with this much space: stop rather than
		 * free a range twice. */
		atomic_store(&c->err, 1);
		atomic_store(&c->stop, 1);
	}
	*head = (*head + 1) % MT_FIFO;
	t->ops += 2;
}

static void lookups(struct mt_thread *t, struct mt_ctx *c)
{
	struct iova_range r;
	uint64_t x = mt_rng(&t->rng), pfn = c->live[x % c->nlive];
	int ret;

	/* Half iova_find on the range, half iova_find_next from just below it
	 * (the range before pfn may be freed and re-allocated meanwhile by the
	 * writer, so only a live range at or below pfn is checked). */
	if (x & (1ull << 63))
		ret = iova_find(c->d, pfn, &r);
	else
		ret = iova_find_next(c->d, pfn, &r);
	if (ret || r.lo != pfn || r.hi != pfn)
		t->fails++;
	t->ops++;
}

static void *mt_main(void *arg)
{
	struct mt_thread *t = arg;
	struct mt_ctx *c = t->c;
	unsigned head = 0, i;
	double w0, c0;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	t->pinned = !pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (c->path != MT_FIND || t->writer)
		for (i = 0; i < MT_FIFO; i++)
			if (mt_get(c, &t->fifo[i])) {
				atomic_store(&c->err, 1);
				return NULL;
			}
	atomic_fetch_add(&c->ready, 1);
	while (!atomic_load_explicit(&c->go, memory_order_acquire))
		;
	w0 = mono_ns();
	c0 = tcpu_ns();
	if (c->path == MT_FIND && !t->writer) {
		while (!atomic_load_explicit(&c->stop, memory_order_relaxed))
			for (i = 0; i < 64; i++)
				lookups(t, c);
	} else {
		while (!atomic_load_explicit(&c->stop, memory_order_relaxed))
			for (i = 0; i < 16; i++)
				churn(t, c, &head);
	}
	t->wall_ns = mono_ns() - w0;
	t->cpu_ns = tcpu_ns() - c0;
	if (c->path != MT_FIND || t->writer)
		for (i = 0; i < MT_FIFO; i++)
			mt_put(c, t->fifo[(head + i) % MT_FIFO]);
	return NULL;
}

struct mt_result {
	unsigned nthr;		/* workers (the find writer not counted) */
	double agg_mops;
	double wall_op[257], cpu_op[257];	/* per worker */
	double writer_mops;
	uint64_t fails;
	bool pinned;
};

/* The domain of one run: n one-page ranges top-down, every other one freed. */
static struct iova_ndomain *mt_domain(enum mt_path path, uint64_t n,
				      uint64_t **live, uint64_t *nlive)
{
	struct iova_domain_config dc = { .start_pfn = DOM_START,
					 .end_pfn = DOM_END };
	struct iova_ndomain *d;
	uint64_t i, k = 0, *all;

	if (iova_domain_create(&dc, &d))
		return NULL;
	if (path == MT_FAST && iova_domain_init_caches(d, NULL)) {
		iova_domain_destroy(d);
		return NULL;
	}
	all = malloc((n ? n : 1) * sizeof(*all));
	if (!all)
		abort();
	for (i = 0; i < n; i++)
		if (iova_alloc(d, 1, 1, 0, DOM_END, IOVA_TOP_DOWN, &all[i]))
			break;
	n = i;
	for (i = 0; i < n; i++) {
		if (i & 1)
			iova_free(d, all[i]);
		else
			all[k++] = all[i];
	}
	*live = all;
	*nlive = k;
	return d;
}

static int mt_run(enum mt_path path, unsigned nthr, uint64_t n, double secs,
		  uint64_t seed, struct mt_result *res)
{
	unsigned ncpu = (unsigned)sysconf(_SC_NPROCESSORS_ONLN), i, total;
	struct mt_thread *t;
	struct mt_ctx c;
	uint64_t *live = NULL, ops = 0;
	struct timespec ts;
	double w0, w1;

	if (ncpu < 1)
		ncpu = 1;
	memset(&c, 0, sizeof(c));
	memset(res, 0, sizeof(*res));
	c.path = path;
	c.d = mt_domain(path, n, &live, &c.nlive);
	if (!c.d)
		return -1;
	c.live = live;
	if (path == MT_FIND && !c.nlive)
		return -1;
	total = nthr + (path == MT_FIND);
	t = aligned_alloc(64, total * sizeof(*t));
	if (!t)
		abort();
	memset(t, 0, total * sizeof(*t));
	for (i = 0; i < total; i++) {
		t[i].c = &c;
		t[i].idx = i;
		t[i].cpu = i % ncpu;
		t[i].writer = path == MT_FIND && i == nthr;
		t[i].rng = seed * 0x100000001b3ull + i;
		if (pthread_create(&t[i].tid, NULL, mt_main, &t[i]))
			abort();
	}
	while (atomic_load(&c.ready) < total && !atomic_load(&c.err))
		sched_yield();
	w0 = mono_ns();
	atomic_store_explicit(&c.go, 1, memory_order_release);
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
	atomic_store(&c.stop, 1);
	w1 = 0;
	res->pinned = true;
	for (i = 0; i < total; i++) {
		pthread_join(t[i].tid, NULL);
		res->pinned &= t[i].pinned;
	}
	/* The phase ends when the last worker stops. */
	w1 = mono_ns();
	(void)w1;
	res->nthr = nthr;
	for (i = 0; i < nthr; i++) {
		ops += t[i].ops;
		res->fails += t[i].fails;
		res->wall_op[i] = t[i].ops ? t[i].wall_ns / (double)t[i].ops : 0;
		res->cpu_op[i] = t[i].ops ? t[i].cpu_ns / (double)t[i].ops : 0;
	}
	{
		/* Aggregate over the longest worker's phase (a worker starts
		 * its clock when it sees go and stops it when it sees stop). */
		double span = 0;

		for (i = 0; i < total; i++)
			if (t[i].wall_ns > span)
				span = t[i].wall_ns;
		if (span <= 0)
			span = w1 - w0;
		res->agg_mops = (double)ops * 1e3 / span;
		if (path == MT_FIND)
			res->writer_mops = t[nthr].wall_ns > 0
				? (double)t[nthr].ops * 1e3 / t[nthr].wall_ns : 0;
	}
	free(t);
	if (atomic_load(&c.err)) {
		fprintf(stderr, "iova-bench --mt: %s: an alloc or free failed\n",
			mt_path_name[path]);
		iova_domain_destroy(c.d);
		free(live);
		return -1;
	}
	iova_domain_destroy(c.d);
	free(live);
	return 0;
}

static int cmp_res(const void *x, const void *y)
{
	const struct mt_result *a = x, *b = y;

	return a->agg_mops < b->agg_mops ? -1 : a->agg_mops > b->agg_mops;
}

int bench_mt(const char *paths, const unsigned *tlist, unsigned nt,
	     uint64_t n, double secs, unsigned repeat, uint64_t seed)
{
	unsigned counts[MT_MAX_COUNTS], nrun[MT_MAX_COUNTS], ncount = 0, p, i,
		j, rep;
	static struct mt_result runs[MT_MAX_COUNTS][MT_MAX_REPEAT];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int ret = 0;

	counts[ncount++] = 1;
	counts[ncount++] = 2;
	for (i = 0; i < nt; i++) {
		for (j = 0; j < ncount && counts[j] != tlist[i]; j++)
			;
		if (j == ncount && ncount < MT_MAX_COUNTS)
			counts[ncount++] = tlist[i];
	}
	if (repeat > MT_MAX_REPEAT)
		repeat = MT_MAX_REPEAT;
	printf("# iova-bench --mt: %ld online CPUs; thread i pinned to CPU i %% %ld; "
	       "n = %llu (n/2 live), %.2f s per phase, median of %u repeats by aggregate\n",
	       ncpu, ncpu, (unsigned long long)n, secs, repeat);
	printf("# ns/op per thread: wall time / ops (CPU time / ops in brackets); "
	       "x1 = aggregate / 1-thread aggregate\n");
	printf("%-5s %4s %10s %7s  %s\n", "path", "thr", "agg Mops/s", "x1",
	       "ns/op per thread [cpu ns/op]");
	for (p = 0; p < MT_NPATH; p++) {
		double base = 0;

		if (paths && *paths && !strstr(paths, mt_path_name[p]) &&
		    strcmp(paths, "all"))
			continue;
		/* Repeats outside, thread counts inside: every count sees the
		 * same spread of machine load. */
		memset(nrun, 0, sizeof(nrun));
		for (rep = 0; rep < repeat; rep++)
			for (i = 0; i < ncount; i++)
				if (mt_run((enum mt_path)p, counts[i], n, secs,
					   seed + rep, &runs[i][nrun[i]]) == 0)
					nrun[i]++;
		for (i = 0; i < ncount; i++) {
			unsigned k = nrun[i];
			struct mt_result *m;
			char line[4096];
			size_t off = 0;

			if (!k) {
				printf("%-5s %4u %10s\n", mt_path_name[p],
				       counts[i], "-");
				ret = 1;
				continue;
			}
			qsort(runs[i], k, sizeof(runs[i][0]), cmp_res);
			m = &runs[i][k / 2];
			if (counts[i] == 1)
				base = m->agg_mops;
			line[0] = 0;
			for (j = 0; j < m->nthr && off + 40 < sizeof(line); j++)
				off += (size_t)snprintf(line + off, sizeof(line) - off,
						"%s%.0f [%.0f]", j ? ", " : "",
						m->wall_op[j], m->cpu_op[j]);
			printf("%-5s %4u %10.2f %6.2fx  %s", mt_path_name[p],
			       counts[i], m->agg_mops,
			       base > 0 ? m->agg_mops / base : 0, line);
			if (p == MT_FIND)
				printf("; writer %.2f Mops/s", m->writer_mops);
			if (m->fails)
				printf("; %llu wrong lookups",
				       (unsigned long long)m->fails);
			if (!m->pinned)
				printf("; (not pinned)");
			printf("\n");
			fflush(stdout);
		}
	}
	return ret;
}
