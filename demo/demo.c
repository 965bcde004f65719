/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * iova-demo: allocate and free a realistic mix through the native API and
 * print what was measured.
 *
 *  1. Limit independence: the cost of a top-down 1-page allocation + free
 *     with a 32-bit limit on a domain holding N live ranges that were placed
 *     with a 48-bit limit (the case that makes Linux walk every node), for
 *     N = 1e3 .. 1e6, and index bytes per live range.
 *  2. A mixed-mask churn: sizes 1..64 size-aligned, masks 32/39/44/48 bits
 *     (30% 32-bit), random frees, at a steady population.
 *
 * usage: iova-demo [--max-n N] [--repeat R] [--seed S] [--part 1|2]
 * Times are medians over R repeats of a batch; the machine may be noisy.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "iova/iova.h"

static uint64_t rng = 1;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "iova-demo: %s failed: %d\n", what, err);
	exit(1);
}

#define MASK(bits) ((UINT64_C(1) << ((bits) - 12)) - 1)	/* pfn limit */

/* Part 1: 32-bit allocation cost against N ranges placed at 48 bits. */
static void limit_independence(uint64_t max_n, int repeat)
{
	const int batch = 20000;
	double base = 0;
	uint64_t n;

	printf("1. Top-down 1-page alloc+free under a 32-bit limit, with N live\n"
	       "   ranges placed under a 48-bit limit (median of %d x %d pairs)\n\n",
	       repeat, batch);
	printf("   %10s %12s %12s %12s %10s\n", "N", "ns/pair", "vs N=1e3",
	       "bytes/range", "height");
	for (n = 1000; n <= max_n; n *= 10) {
		struct iova_ndomain *d;
		struct iova_domain_config cfg = { .start_pfn = 1 };
		struct iova_stats st;
		double t[64];
		uint64_t i, pfn;
		int r, k;

		if ((r = iova_domain_create(&cfg, &d)))
			die("create", r);
		for (i = 0; i < n; i++)
			if ((r = iova_alloc(d, 1, 1, 0, MASK(48), IOVA_TOP_DOWN, &pfn)))
				die("fill", r);
		iova_get_stats(d, &st);
		for (k = 0; k < repeat && k < 64; k++) {
			double t0 = now_ns();
			int j;

			for (j = 0; j < batch; j++) {
				if (iova_alloc(d, 1, 1, 0, MASK(32), IOVA_TOP_DOWN, &pfn) ||
				    iova_free(d, pfn))
					die("32-bit pair", -1);
			}
			t[k] = (now_ns() - t0) / batch;
		}
		t[0] = median(t, k);
		if (n == 1000)
			base = t[0];
		printf("   %10" PRIu64 " %12.1f %11.2fx %12.2f %10u\n", n, t[0],
		       t[0] / base, (double)st.index_bytes / (double)n,
		       st.index_height);
		iova_domain_destroy(d);
	}
	printf("\n");
}

/* Part 2: mixed masks, sizes 1..64 size-aligned, random frees. */
static void mixed_churn(uint64_t live, int repeat)
{
	static const unsigned masks[] = { 32, 39, 44, 48 };
	struct iova_ndomain *d;
	struct iova_domain_config cfg = { .start_pfn = 1 };
	struct iova_stats st;
	uint64_t *held, i, pfn, fails = 0;
	const int batch = 20000;
	double t[64];
	int r, k;

	held = calloc(live, sizeof(*held));
	if (!held || (r = iova_domain_create(&cfg, &d)))
		die("setup", -1);
	for (i = 0; i < live; i++) {
		uint64_t size = 1 + rnd() % 64, align = 1;
		unsigned m = rnd() % 10 < 3 ? 32 : masks[1 + rnd() % 3];

		while (align < size)
			align <<= 1;
		/* Like dma-iommu: when the 32-bit space is full, go wide. */
		if (iova_alloc(d, size, align, 0, MASK(m), IOVA_TOP_DOWN, &held[i]) &&
		    (r = iova_alloc(d, size, align, 0, MASK(48), IOVA_TOP_DOWN,
				    &held[i])))
			die("fill", r);
	}
	for (k = 0; k < repeat && k < 64; k++) {
		double t0 = now_ns();
		int j;

		for (j = 0; j < batch; j++) {
			uint64_t slot = rnd() % live, size = 1 + rnd() % 64, align = 1;
			unsigned m = rnd() % 10 < 3 ? 32 : masks[1 + rnd() % 3];

			while (align < size)
				align <<= 1;
			if (iova_free(d, held[slot]))
				die("free", -1);
			if (iova_alloc(d, size, align, 0, MASK(m), IOVA_TOP_DOWN, &pfn))
				fails++, pfn = 0;
			held[slot] = pfn;
			if (!pfn) {	/* keep the population: retry unbounded */
				if ((r = iova_alloc(d, size, align, 0, MASK(48),
						    IOVA_TOP_DOWN, &held[slot])))
					die("refill", r);
			}
		}
		t[k] = (now_ns() - t0) / batch;
	}
	iova_get_stats(d, &st);
	printf("2. Mixed masks (30%% 32-bit, else 39/44/48), sizes 1..64 size-aligned,\n"
	       "   %" PRIu64 " live, free random + alloc (median of %d x %d cycles)\n\n",
	       live, repeat, batch);
	printf("   ns/cycle %.1f   bytes/range %.2f   free gaps %" PRIu64
	       "   height %u   failed 32-bit requests %" PRIu64 "\n",
	       median(t, k), (double)st.index_bytes / (double)live, st.free_gaps,
	       st.index_height, fails);
	printf("   nodes visited per search %.2f, backtracks %" PRIu64 "\n\n",
	       (double)st.search_nodes / (double)(st.allocs ? st.allocs : 1),
	       st.search_backtracks);
	free(held);
	iova_domain_destroy(d);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: iova-demo [options]\n"
"  --max-n N      largest number of live ranges (default 1000000, >= 1000)\n"
"  --repeat R     runs per point, the median is shown (default 7)\n"
"  --seed S       random seed\n"
"  --part 1|2     only part 1 (limit independence) or 2 (mixed churn)\n"
"  -h, --help     this text;  -V, --version  the version\n"
"exit: 0 ok, 1 a library call failed, 2 usage\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "max-n", required_argument, NULL, 'n' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 's' },
		{ "part", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static const char prog[] = "iova-demo";
	uint64_t max_n = 1000000, v;
	int repeat = 7, part = 0, c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hV", lopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!cli_u64(prog, "--max-n", optarg, 1000, UINT32_MAX,
				     &max_n))
				return CLI_EXIT_USAGE;
			break;
		case 'r':
			if (!cli_u64(prog, "--repeat", optarg, 1, 1000, &v))
				return CLI_EXIT_USAGE;
			repeat = (int)v;
			break;
		case 's':
			if (!cli_u64(prog, "--seed", optarg, 0, UINT64_MAX, &v))
				return CLI_EXIT_USAGE;
			rng = v;
			break;
		case 'p':
			if (!cli_u64(prog, "--part", optarg, 1, 2, &v))
				return CLI_EXIT_USAGE;
			part = (int)v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			cli_version(prog);
			return 0;
		default:
			cli_bad_option(prog, c, optopt, argv[optind - 1]);
			return CLI_EXIT_USAGE;
		}
	}
	if (!cli_no_operands(prog, argc, argv))
		return CLI_EXIT_USAGE;
	printf("libiova %d.%d demo (4 KiB granule, start_pfn 1)\n\n",
	       IOVA_VERSION_MAJOR, IOVA_VERSION_MINOR);
	if (part != 2)
		limit_independence(max_n, repeat);
	if (part != 1)
		mixed_churn(max_n < 1000000 ? max_n : 1000000, repeat);
	return 0;
}
