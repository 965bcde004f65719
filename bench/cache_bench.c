/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * cache_bench: cost of the per-CPU magazine caches (docs/caches.md).
 *
 *   cache_bench [--pairs N] [--repeats R] [--threads T] [--csv]
 *   cache_bench --callgrind N     (N pairs in run_pairs() only, for
 *       valgrind --tool=callgrind --toggle-collect=run_pairs)
 *
 * Reports, for iova_alloc_fast()+iova_free_fast() pairs that hit the cache:
 *  - single-thread pair cost: median (and min, max) ns over R repeats;
 *  - the same with sizes cycling through 1..32 pfns (all six orders);
 *  - batches of 256 allocations then 256 frees (a magazine swap and a
 *    depot push and pop on every batch);
 *  - throughput with 1 thread and with T threads (each pinned to its own
 *    CPU), and the T/1 ratio over R/2 runs (R if R < 5): the median by
 *    wall time, the median by each thread's CPU time, and best T-thread
 *    run / best 1-thread run (the last two mean something on a busy
 *    machine, the first only on a quiet one);
 *  - interference: per CPU, ns per pair in windows of 4096 pairs that ran
 *    undisturbed (wall ~ CPU time) alone on that CPU, and while every other
 *    thread ran undisturbed on its CPU too; the sum of alone/together is T
 *    when nothing is shared (see concurrent_ratio());
 *  - for contrast, the uncached index path (iova_alloc + iova_free).
 * Not a test: numbers depend on the machine and its load.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iova/cache.h"

#define LIMIT 0xFFFFFull	/* 32-bit limit at 4 KiB pages */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "cache_bench: %s failed (%d)\n", what, err);
	exit(1);
}

static struct iova_ndomain *make_domain(bool caches)
{
	struct iova_domain_config dc = { .start_pfn = 1 };
	struct iova_ndomain *d;
	int r = iova_domain_create(&dc, &d);

	if (r)
		die("iova_domain_create", r);
	/* IOVA_BENCH_CHECK_FREES=1: the fully checked frees (the cost of
	 * IOVA_CACHE_CHECK_FREES, docs/caches.md). */
	const char *chk = getenv("IOVA_BENCH_CHECK_FREES");
	struct iova_cache_config cc = {
		.flags = chk && *chk == '1' ? IOVA_CACHE_CHECK_FREES : 0,
	};

	if (caches && (r = iova_domain_init_caches(d, &cc)))
		die("iova_domain_init_caches", r);
	return d;
}

static volatile uint64_t sink;

/* The measured loop (callgrind toggles on this function). */
__attribute__((noinline)) void run_pairs(struct iova_ndomain *d, uint64_t n,
					 uint64_t size);
__attribute__((noinline)) void run_pairs(struct iova_ndomain *d, uint64_t n,
					 uint64_t size)
{
	uint64_t i, pfn = 0, acc = 0;

	for (i = 0; i < n; i++) {
		if (iova_alloc_fast(d, size, LIMIT, true, &pfn))
			die("iova_alloc_fast", -1);
		acc += pfn;
		iova_free_fast(d, pfn, size);
	}
	sink = acc;
}

static void run_pairs_mixed(struct iova_ndomain *d, uint64_t n)
{
	uint64_t i, pfn = 0, acc = 0;

	for (i = 0; i < n; i++) {
		uint64_t size = 1 + (i & 31);

		if (iova_alloc_fast(d, size, LIMIT, true, &pfn))
			die("iova_alloc_fast", -1);
		acc += pfn;
		iova_free_fast(d, pfn, size);
	}
	sink = acc;
}

#ifndef BATCH
#define BATCH 256
#endif
static void run_batches(struct iova_ndomain *d, uint64_t n)
{
	static _Thread_local uint64_t held[BATCH];
	uint64_t i, k;

	for (i = 0; i < n; i += BATCH) {
		for (k = 0; k < BATCH; k++)
			if (iova_alloc_fast(d, 1, LIMIT, true, &held[k]))
				die("iova_alloc_fast", -1);
		for (k = 0; k < BATCH; k++)
			iova_free_fast(d, held[k], 1);
	}
}

static void run_index_pairs(struct iova_ndomain *d, uint64_t n)
{
	uint64_t i, pfn = 0, acc = 0;

	for (i = 0; i < n; i++) {
		if (iova_alloc(d, 1, 1, 0, LIMIT, IOVA_TOP_DOWN, &pfn))
			die("iova_alloc", -1);
		acc += pfn;
		iova_free(d, pfn);
	}
	sink = acc;
}

enum kind { K_PAIRS, K_MIXED, K_BATCH, K_INDEX };

static void run_kind(enum kind k, struct iova_ndomain *d, uint64_t n)
{
	switch (k) {
	case K_PAIRS:
		run_pairs(d, n, 1);
		break;
	case K_MIXED:
		run_pairs_mixed(d, n);
		break;
	case K_BATCH:
		run_batches(d, n);
		break;
	case K_INDEX:
		run_index_pairs(d, n);
		break;
	}
}

/*
 * ns per pair over reps (one domain, warmed up): wall-clock median, min,
 * max, and the median by the thread's CPU time (out[3]), which leaves out
 * the time other programs took from us on a busy machine.
 */
static void time_single(enum kind k, uint64_t n, int reps, double out[4])
{
	struct iova_ndomain *d = make_domain(k != K_INDEX);
	double *v = calloc((size_t)reps * 2, sizeof(*v));
	int r;

	run_kind(k, d, n / 10 + BATCH);	/* warm up: magazines, index nodes */
	for (r = 0; r < reps; r++) {
		double t0 = now_ns(), c0 = thread_cpu_ns();

		run_kind(k, d, n);
		v[r] = (now_ns() - t0) / (double)n;
		v[reps + r] = (thread_cpu_ns() - c0) / (double)n;
	}
	out[1] = out[2] = v[0];
	for (r = 0; r < reps; r++) {
		out[1] = v[r] < out[1] ? v[r] : out[1];
		out[2] = v[r] > out[2] ? v[r] : out[2];
	}
	out[0] = median(v, reps);
	out[3] = median(v + reps, reps);
	iova_domain_destroy(d);
	free(v);
}

struct thr {
	pthread_t th;
	struct iova_ndomain *d;
	enum kind k;
	uint64_t n;
	int cpu;
	pthread_barrier_t *bar;
	double cpu_ns;	/* CPU time of the timed loop */
	double t0, t1;	/* wall clock around it */
	double *win;	/* NULL, or per chunk: wall start, wall end, CPU ns */
};

#define CHUNK 4096	/* pairs per window of concurrent_ratio() */

static void *thr_main(void *arg)
{
	struct thr *t = arg;
	cpu_set_t set;

	if (t->cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(t->cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	run_kind(t->k, t->d, t->n / 10 + BATCH);	/* warm up this CPU */
	pthread_barrier_wait(t->bar);
	t->t0 = now_ns();
	t->cpu_ns = thread_cpu_ns();
	if (t->win) {
		uint64_t c;

		for (c = 0; c < t->n / CHUNK; c++) {
			double c0 = thread_cpu_ns();

			t->win[3 * c] = now_ns();
			run_kind(t->k, t->d, CHUNK);
			t->win[3 * c + 1] = now_ns();
			t->win[3 * c + 2] = thread_cpu_ns() - c0;
		}
	} else {
		run_kind(t->k, t->d, t->n);
	}
	t->cpu_ns = thread_cpu_ns() - t->cpu_ns;
	t->t1 = now_ns();
	return NULL;
}

/*
 * Pairs per second with nthreads threads, each doing n pairs: by wall time,
 * and (*cpu_rate) as the sum of each thread's pairs per second of its own
 * CPU time, which leaves out the time other programs on a busy machine
 * took from us but keeps any cost of sharing (line bouncing, lock waits).
 */
static double throughput_on(enum kind k, int nthreads, uint64_t n, bool pin,
			    int cpu0, double *cpu_rate, double **win)
{
	struct iova_ndomain *d = make_domain(k != K_INDEX);
	struct thr *t = calloc((size_t)nthreads, sizeof(*t));
	pthread_barrier_t bar;
	double t0, t1;
	int i;

	pthread_barrier_init(&bar, NULL, (unsigned int)nthreads + 1);
	for (i = 0; i < nthreads; i++) {
		t[i] = (struct thr){ .d = d, .k = k, .n = n, .bar = &bar,
				     .cpu = pin ? cpu0 + i : -1,
				     .win = win ? win[i] : NULL };
		pthread_create(&t[i].th, NULL, thr_main, &t[i]);
	}
	pthread_barrier_wait(&bar);
	for (i = 0; i < nthreads; i++)
		pthread_join(t[i].th, NULL);
	/* From the first start to the last end, as the threads saw them. */
	t0 = t[0].t0;
	t1 = t[0].t1;
	*cpu_rate = 0;
	for (i = 0; i < nthreads; i++) {
		t0 = t[i].t0 < t0 ? t[i].t0 : t0;
		t1 = t[i].t1 > t1 ? t[i].t1 : t1;
		*cpu_rate += (double)n / (t[i].cpu_ns * 1e-9);
	}
	pthread_barrier_destroy(&bar);
	iova_domain_destroy(d);
	free(t);
	return (double)n * nthreads / ((t1 - t0) * 1e-9);
}

static double throughput(enum kind k, int nthreads, uint64_t n, bool pin,
			 double *cpu_rate, double **win)
{
	return throughput_on(k, nthreads, n, pin, 0, cpu_rate, win);
}

/*
 * Over reps: out[0], out[1] = median rate with 1 and with T threads, out[2]
 * = median of their ratio, out[3] = median ratio of the CPU-time rates,
 * out[4] = best T-thread rate / best 1-thread rate (on a busy machine the
 * best short run is the one nobody interrupted).
 */
static void scaling(enum kind k, int nthreads, uint64_t n, int reps, bool pin,
		    double out[5])
{
	double *v = calloc((size_t)reps * 4, sizeof(double));
	double c1, ct, b1 = 0, bt = 0;
	int r, j;

	for (r = 0; r < reps; r++) {
		v[r] = throughput(k, 1, n, pin, &c1, NULL);
		v[reps + r] = throughput(k, nthreads, n, pin, &ct, NULL);
		v[2 * reps + r] = v[reps + r] / v[r];
		v[3 * reps + r] = ct / c1;
		b1 = v[r] > b1 ? v[r] : b1;
		bt = v[reps + r] > bt ? v[reps + r] : bt;
	}
	for (j = 0; j < 4; j++)
		out[j] = median(v + j * reps, reps);
	out[4] = bt / b1;
	free(v);
}

/* A window that ran without being descheduled (wall ~ CPU time). */
static bool clean(const double *w)
{
	double wall = w[1] - w[0];

	return wall - w[2] < 0.02 * wall + 500;
}

/* Did thread other run, undisturbed, throughout [a0, a1]? */
static bool covered(const double *win, uint64_t nwin, double a0, double a1)
{
	double lo = 0, hi = 0;
	bool any = false;
	uint64_t c;

	for (c = 0; c < nwin; c++) {
		const double *w = win + 3 * c;

		if (w[1] < a0 || w[0] > a1)
			continue;
		if (!clean(w))
			return false;
		lo = any && lo < w[0] ? lo : w[0];
		hi = any && hi > w[1] ? hi : w[1];
		any = true;
	}
	return any && lo <= a0 && hi >= a1;
}

/* Median ns per pair of thread self's clean windows that overlapped only
 * clean windows of every other thread, or 0; *count += their number. */
static double clean_median(double *const *w, int self, int nthreads,
			   uint64_t nwin, double *scratch, uint64_t *count)
{
	uint64_t c, n = 0;
	int j;

	for (c = 0; c < nwin; c++) {
		const double *a = w[self] + 3 * c;
		bool ok = clean(a);

		for (j = 0; j < nthreads && ok; j++)
			if (j != self)
				ok = covered(w[j], nwin, a[0], a[1]);
		if (ok)
			scratch[n++] = (a[1] - a[0]) / CHUNK;
	}
	*count += n;
	return n ? median(scratch, (int)n) : 0;
}

/*
 * Interference, measured where it can be on a busy machine: thread i is
 * pinned to CPU i; its ns per pair in windows of CHUNK pairs that ran
 * undisturbed while it ran alone on CPU i, against windows that ran
 * undisturbed while every other thread also ran undisturbed on its own CPU.
 * Returns the sum over i of alone_i / together_i: T when nothing is shared,
 * and what the T/1 throughput ratio is on an idle machine whose CPUs are
 * equally fast (the vCPUs here are not).  alone[i], together[i] get the
 * medians over reps, *nq the number of T-thread windows used.
 */
static double concurrent_ratio(enum kind k, int nthreads, uint64_t n, int reps,
			       double *alone, double *together, uint64_t *nq)
{
	uint64_t nwin = n / CHUNK, cnt = 0;
	double *w[64], *scratch, *va, *vt, sum = 0, dummy;
	int r, i;

	if (nthreads > 64)
		nthreads = 64;
	for (i = 0; i < nthreads; i++)
		w[i] = calloc(nwin * 3 + 3, sizeof(double));
	scratch = calloc(nwin + 1, sizeof(double));
	va = calloc((size_t)reps * (size_t)nthreads, sizeof(double));
	vt = calloc((size_t)reps * (size_t)nthreads, sizeof(double));
	for (r = 0; r < reps; r++) {
		for (i = 0; i < nthreads; i++) {
			uint64_t ign = 0;

			throughput_on(k, 1, n, true, i, &dummy, w);
			va[i * reps + r] = clean_median(w, 0, 1, nwin, scratch, &ign);
		}
		throughput_on(k, nthreads, n, true, 0, &dummy, w);
		for (i = 0; i < nthreads; i++)
			vt[i * reps + r] = clean_median(w, i, nthreads, nwin,
							 scratch, &cnt);
	}
	for (i = 0; i < nthreads; i++) {
		alone[i] = median(va + i * reps, reps);
		together[i] = median(vt + i * reps, reps);
		if (alone[i] > 0 && together[i] > 0)
			sum += alone[i] / together[i];
	}
	*nq = cnt;
	for (i = 0; i < nthreads; i++)
		free(w[i]);
	free(scratch);
	free(va);
	free(vt);
	return sum;
}

int main(int argc, char **argv)
{
	uint64_t pairs = 10000000, cg = 0;
	int reps = 11, nthreads = 2, i;
	bool csv = false;
	double s[5];
	int sreps;
	static const char *const names[] = { "pair size 1", "pair sizes 1..32",
					     "batch 256 size 1", "index (no cache)" };

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pairs") && i + 1 < argc)
			pairs = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--repeats") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			nthreads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--callgrind") && i + 1 < argc)
			cg = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--csv"))
			csv = true;
		else {
			fprintf(stderr, "usage: %s [--pairs N] [--repeats R] "
				"[--threads T] [--csv] | --callgrind N\n", argv[0]);
			return 2;
		}
	}
	if (reps < 1)
		reps = 1;
	if (nthreads < 1)
		nthreads = 1;
	if (cg) {
		struct iova_ndomain *d = make_domain(true);

		run_pairs(d, 1000, 1);	/* fill the magazines first */
		run_pairs(d, cg, 1);
		printf("callgrind: %" PRIu64 " pairs in run_pairs (plus 1000 "
		       "warm-up); divide Ir by %" PRIu64 "\n", cg, cg + 1000);
		iova_domain_destroy(d);
		return 0;
	}

	if (csv)
		printf("case,median_ns,min_ns,max_ns,median_cpu_ns\n");
	else
		printf("%-22s %10s %10s %10s %10s   (%" PRIu64 " pairs x %d repeats)\n",
		       "single thread", "median ns", "min ns", "max ns", "cpu ns",
		       pairs, reps);
	for (i = K_PAIRS; i <= K_INDEX; i++) {
		time_single((enum kind)i, i == K_INDEX ? pairs / 10 : pairs, reps, s);
		if (csv)
			printf("%s,%.2f,%.2f,%.2f,%.2f\n", names[i], s[0], s[1],
			       s[2], s[3]);
		else
			printf("%-22s %10.2f %10.2f %10.2f %10.2f\n", names[i],
			       s[0], s[1], s[2], s[3]);
	}

	sreps = reps < 5 ? reps : reps / 2;
	if (!csv)
		printf("\n%-22s %14s %14s %8s %8s %8s   (%" PRIu64 " pairs/thread, %d runs)\n",
		       "throughput", "1 thr Mpair/s", "T thr Mpair/s", "T/1", "T/1 cpu",
		       "T/1 best", pairs, sreps);
	else
		printf("case,threads,rate1_mps,rateT_mps,ratio,ratio_cpu,ratio_best\n");
	{
		static const struct { enum kind k; bool pin; const char *name; } sc[] = {
			{ K_PAIRS, true, "pair size 1, pinned" },
			{ K_PAIRS, false, "pair size 1, unpinned" },
			{ K_BATCH, true, "batch 256, pinned" },
			{ K_INDEX, true, "index (no cache)" },
		};
		unsigned int j;

		for (j = 0; j < sizeof(sc) / sizeof(sc[0]); j++) {
			uint64_t n = sc[j].k == K_INDEX ? pairs / 10 : pairs;

			scaling(sc[j].k, nthreads, n, sreps, sc[j].pin, s);
			if (csv)
				printf("%s,%d,%.2f,%.2f,%.3f,%.3f,%.3f\n", sc[j].name,
				       nthreads, s[0] / 1e6, s[1] / 1e6, s[2], s[3], s[4]);
			else
				printf("%-22s %14.2f %14.2f %8.3f %8.3f %8.3f   (T = %d)\n",
				       sc[j].name, s[0] / 1e6, s[1] / 1e6, s[2], s[3],
				       s[4], nthreads);
		}
		if (!csv)
			printf("\n%-22s %-18s %-18s %8s %8s   (windows of %d pairs "
			       "that ran undisturbed)\n", "interference, pinned",
			       "alone ns CPU 0 1..", "together ns", "sum a/t",
			       "windows", CHUNK);
		else
			printf("case,threads,alone_ns,together_ns,ratio,windows\n");
		for (j = 0; j < sizeof(sc) / sizeof(sc[0]); j++) {
			double a[64], tg[64], q;
			char as[128] = "", ts[128] = "";
			uint64_t nq;
			int c, nt = nthreads > 64 ? 64 : nthreads;

			if (!sc[j].pin)
				continue;
			q = concurrent_ratio(sc[j].k, nt,
					     sc[j].k == K_INDEX ? pairs / 10 : pairs,
					     sreps, a, tg, &nq);
			for (c = 0; c < nt && c < 8; c++) {
				size_t la = strlen(as), lt = strlen(ts);

				snprintf(as + la, sizeof(as) - la, "%s%.2f",
					 c ? " " : "", a[c]);
				snprintf(ts + lt, sizeof(ts) - lt, "%s%.2f",
					 c ? " " : "", tg[c]);
			}
			if (csv)
				printf("%s,%d,%s,%s,%.3f,%" PRIu64 "\n", sc[j].name,
				       nthreads, as, ts, q, nq);
			else
				printf("%-22s %-18s %-18s %8.3f %8" PRIu64 "\n",
				       sc[j].name, as, ts, q, nq);
		}
	}
	return 0;
}
