/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * cache_mem: the heap that per-CPU caches cost per domain.
 *
 *   cache_mem [--cpus LIST] [--domains LIST] [--max-mb M] [--csv]
 *
 * For each CPU-slot count in LIST (default 0,64,256; 0 = this machine's
 * CPUs, the library's default) and each domain count (default
 * 1,1000,10000): create that many domains (malloc hooks), set up their
 * caches, then run traffic on every domain from CPU 0 (a thread pinned
 * there), then from CPU 1 too, then call iova_cache_trim() twice (the
 * second finds every CPU idle).  After each step it prints the heap growth
 * per domain since the domains were created without caches (glibc
 * mallinfo2(): uordblks + hblkhd, one arena), and how much of that is the
 * index's (the ranges the caches hold stay live there; iova_stats
 * index_bytes).  The traffic: 32 iova_alloc_fast + iova_free_fast pairs of
 * sizes 1..32 (every cached order once).  A configuration whose first
 * domain predicts more than M MiB (default 4096) is skipped.
 *
 * The last column is mainline Linux's formula for the same nr_cpus (fixed
 * at init, whatever the traffic): nr_cpus * 6 * (2 * (8 + 128 * 8) + 24)
 * + 6 * 128 bytes (per CPU and order two magazines and a struct
 * iova_cpu_rcache; per order a struct iova_rcache with its delayed work).
 * Not a test: the numbers are the allocator's.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iova/cache.h"

#define LIMIT 0xFFFFFull

static long heap_now(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (long)(mi.uordblks + mi.hblkhd);
}

static double mainline_bytes(unsigned int nr_cpus)
{
	return (double)nr_cpus * 6 * (2 * (8 + 128 * 8) + 24) + 6 * 128;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "cache_mem: %s failed (%d)\n", what, err);
	exit(1);
}

struct job {
	struct iova_ndomain **d;
	unsigned long n;
	int cpu;
	bool pinned;
};

static void *traffic(void *arg)
{
	struct job *j = arg;
	cpu_set_t set;
	unsigned long i;
	uint64_t k, pfn[32];

	CPU_ZERO(&set);
	CPU_SET(j->cpu, &set);
	j->pinned = !pthread_setaffinity_np(pthread_self(), sizeof(set), &set) &&
		    (sched_yield(), sched_getcpu() == j->cpu);
	for (i = 0; i < j->n; i++) {
		for (k = 0; k < 32; k++)
			if (iova_alloc_fast(j->d[i], k + 1, LIMIT, true, &pfn[k]))
				die("iova_alloc_fast", -1);
		for (k = 0; k < 32; k++)
			iova_free_fast(j->d[i], pfn[k], k + 1);
	}
	return NULL;
}

static bool run_on(struct iova_ndomain **d, unsigned long n, int cpu)
{
	struct job j = { d, n, cpu, false };
	pthread_t th;

	if (pthread_create(&th, NULL, traffic, &j))
		die("pthread_create", -1);
	pthread_join(th, NULL);
	return j.pinned;
}

static long index_bytes(struct iova_ndomain **d, unsigned long n)
{
	struct iova_stats st;
	unsigned long i;
	long b = 0;

	for (i = 0; i < n; i++) {
		iova_get_stats(d[i], &st);
		b += (long)st.index_bytes;
	}
	return b;
}

/* Parse "a,b,c" into v (at most 16). */
static int parse_list(const char *s, unsigned long *v)
{
	int n = 0;

	while (*s && n < 16) {
		char *end;

		v[n++] = strtoul(s, &end, 0);
		if (end == s)
			return -1;
		s = *end == ',' ? end + 1 : end;
	}
	return n;
}

enum { S_SETUP, S_CPU0, S_CPU01, S_TRIM, S_NR };

int main(int argc, char **argv)
{
	unsigned long cpus[16] = { 0, 64, 256 }, doms[16] = { 1, 1000, 10000 };
	int ncpus = 3, ndoms = 3, a, c, k, s;
	double max_mb = 4096;
	bool csv = false, pinned = true;
	static const char *const sname[S_NR] = { "set-up", "CPU 0", "CPUs 0+1",
						 "2 trims" };

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--cpus") && a + 1 < argc)
			ncpus = parse_list(argv[++a], cpus);
		else if (!strcmp(argv[a], "--domains") && a + 1 < argc)
			ndoms = parse_list(argv[++a], doms);
		else if (!strcmp(argv[a], "--max-mb") && a + 1 < argc)
			max_mb = strtod(argv[++a], NULL);
		else if (!strcmp(argv[a], "--csv"))
			csv = true;
		else
			ncpus = -1;
		if (ncpus < 0 || ndoms < 0) {
			fprintf(stderr, "usage: %s [--cpus LIST] [--domains LIST] "
				"[--max-mb M] [--csv]\n", argv[0]);
			return 2;
		}
	}
	mallopt(M_ARENA_MAX, 1);	/* every thread's blocks in one count */
	if (csv)
		printf("nr_cpus,domains,state,heap_per_domain,index_per_domain,"
		       "mainline_per_domain\n");
	else
		printf("%7s %8s  %-9s %14s %14s %14s %16s\n", "nr_cpus", "domains",
		       "state", "heap B/dom", "index B/dom", "cache B/dom",
		       "mainline B/dom");
	for (c = 0; c < ncpus; c++) {
		for (k = 0; k < ndoms; k++) {
			struct iova_domain_config dc = { .start_pfn = 1 };
			struct iova_cache_config cc = { .nr_cpus = (unsigned int)cpus[c] };
			unsigned long n = doms[k], i;
			struct iova_ndomain **d = calloc(n, sizeof(*d));
			long h0, i0, h[S_NR], ix[S_NR];
			int r;

			if (!d)
				die("calloc", -1);
			for (i = 0; i < n; i++)
				if ((r = iova_domain_create(&dc, &d[i])))
					die("iova_domain_create", r);
			h0 = heap_now();
			i0 = index_bytes(d, n);
			for (i = 0; i < n; i++) {
				if ((r = iova_domain_init_caches(d[i], &cc)))
					die("iova_domain_init_caches", r);
				if (i == 0 && (double)(heap_now() - h0) * (double)n >
					      max_mb * 1048576.0)
					break;
			}
			if (i < n) {
				printf("%7lu %8lu  skipped: %ld B for the first domain "
				       "(> %.0f MiB for all)\n", cpus[c], n,
				       heap_now() - h0, max_mb);
				goto out;
			}
			if (!cc.nr_cpus) {
				struct iova_cache_config got;

				iova_cache_get_config(d[0], &got);
				cc.nr_cpus = got.nr_cpus;
			}
			h[S_SETUP] = heap_now();
			ix[S_SETUP] = index_bytes(d, n);
			pinned &= run_on(d, n, 0);
			h[S_CPU0] = heap_now();
			ix[S_CPU0] = index_bytes(d, n);
			pinned &= run_on(d, n, 1);
			h[S_CPU01] = heap_now();
			ix[S_CPU01] = index_bytes(d, n);
			for (i = 0; i < n; i++) {
				iova_cache_trim(d[i]);
				iova_cache_trim(d[i]);
			}
			h[S_TRIM] = heap_now();
			ix[S_TRIM] = index_bytes(d, n);
			for (s = 0; s < S_NR; s++) {
				double hd = (double)(h[s] - h0) / (double)n;
				double id = (double)(ix[s] - i0) / (double)n;

				if (csv)
					printf("%u,%lu,%s,%.0f,%.0f,%.0f\n", cc.nr_cpus,
					       n, sname[s], hd, id,
					       mainline_bytes(cc.nr_cpus));
				else
					printf("%7u %8lu  %-9s %14.0f %14.0f %14.0f %16.0f\n",
					       cc.nr_cpus, n, sname[s], hd, id, hd - id,
					       mainline_bytes(cc.nr_cpus));
			}
out:
			for (i = 0; i < n; i++)
				iova_domain_destroy(d[i]);
			free(d);
		}
	}
	if (!pinned)
		printf("# note: a traffic thread could not be pinned to its CPU\n");
	return 0;
}
