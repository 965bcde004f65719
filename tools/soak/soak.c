/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Soak test: a long random workload on one native domain holding about
 * --ranges live ranges (default 10^7), looking for leaks, unbounded growth
 * and broken invariants that only show at scale or after hours.
 *
 * The workload: fill to the target population, then cycle between the
 * target and 90% of it (each cycle frees and allocates ~10% of the ranges at
 * random), with sizes of 1..256 pfns (mostly small), size-aligned or not,
 * under a 32-bit or a 36-bit limit, mostly top-down with some bottom-up and
 * exact requests, and a fixed set of reservations.  Every few million
 * operations it
 *   - validates the whole domain (O(n));
 *   - checks the counters against its own list of live ranges;
 *   - checks that the memory hooks hold exactly the domain + index bytes;
 *   - injects a node-allocation failure and checks that it fails cleanly
 *     and that the retry succeeds;
 * and at every cycle top it records index_bytes: after the first cycles
 * the index must not keep growing at the same population (no leak, no
 * unbounded pool).  It prints ops done, live ranges, index bytes per range,
 * RSS (/proc/self/statm) and peak RSS every --report seconds.
 *
 * usage: iova-soak [--minutes N] [--ranges N] [--seed N]
 *                  [--validate-every OPS] [--report SECONDS]
 * Exit status: 0 if every check held, 1 otherwise.
 *
 * Build and run: tools/soak/soak.sh (see its header).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../cli.h"
#include "iova/iova.h"
#include "domain/domain.h"	/* iova__fault_inject(), sizeof(struct iova_ndomain) */

/* --- memory hooks that count ---------------------------------------- */

static uint64_t held_bytes, held_blocks;

static void *soak_alloc(size_t size, void *ctx)
{
	void *p;

	(void)ctx;
	if (posix_memalign(&p, 64, size))
		return NULL;
	held_bytes += size;	/* single-threaded: no atomics needed */
	held_blocks++;
	return p;
}

static void soak_free(void *p, size_t size, void *ctx)
{
	(void)ctx;
	held_bytes -= size;
	held_blocks--;
	free(p);
}

static const struct iova_mem_hooks hooks = { soak_alloc, soak_free, NULL };

/* --- helpers ---------------------------------------------------------- */

static uint64_t rng = 0x5eed;

static uint64_t rnd(void)	/* xorshift64* */
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1Dull;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static unsigned long failures;

#define CHECK(c, ...)                                                        \
	do {                                                                 \
		if (!(c)) {                                                  \
			failures++;                                          \
			fprintf(stderr, "soak: FAILED: " __VA_ARGS__);       \
			fputc('\n', stderr);                                 \
		}                                                            \
	} while (0)

/* --- the workload ----------------------------------------------------- */

#define SPACE_END ((UINT64_C(1) << 36) - 1)	/* pfns [1, 2^36 - 1] */
#define DMA32_END ((UINT64_C(1) << 32) - 1)

struct soak {
	struct iova_ndomain *d;
	uint64_t *live;		/* starts of live ranges (unordered) */
	uint64_t n, cap;
	uint64_t ops, alloc_fail, injected;
	uint64_t peak_rss;
};

static uint64_t pick_size(void)
{
	uint64_t r = rnd() % 100;

	if (r < 70)
		return 1;
	if (r < 90)
		return 2 + rnd() % 15;
	return 17 + rnd() % 240;
}

static bool alloc_one(struct soak *s)
{
	uint64_t size = pick_size(), align = 1, pfn, max, min = 0;
	uint64_t r = rnd();
	enum iova_policy pol = IOVA_TOP_DOWN;
	int ret;

	if (r & 1) {	/* size-aligned, as dma-iommu asks */
		align = 1;
		while (align < size)
			align <<= 1;
	}
	max = (r >> 1) % 100 < 40 ? DMA32_END : SPACE_END;
	switch ((r >> 8) % 20) {
	case 0:
		pol = IOVA_BOTTOM_UP;
		break;
	case 1:	/* exact: a random aligned place, often taken */
		pol = IOVA_EXACT;
		max = SPACE_END;
		min = (1 + rnd() % (SPACE_END - 256)) & ~(align - 1);
		if (!min)
			min = align;
		break;
	case 2:	/* a random window */
		min = rnd() % SPACE_END;
		max = min + (rnd() % (UINT64_C(1) << 28));
		break;
	default:
		break;
	}
	ret = iova_alloc(s->d, size, align, min, max, pol, &pfn);
	s->ops++;
	if (ret) {
		CHECK(ret == -ENOMEM, "alloc returned %d", ret);
		s->alloc_fail++;
		return false;
	}
	s->live[s->n++] = pfn;
	return true;
}

static void free_one(struct soak *s)
{
	uint64_t i = rnd() % s->n;
	uint64_t pfn = s->live[i];
	int ret = iova_free(s->d, pfn);

	s->ops++;
	CHECK(ret == 0, "free(%#" PRIx64 ") = %d", pfn, ret);
	s->live[i] = s->live[--s->n];
}

static void checks(struct soak *s, bool full)
{
	struct iova_stats st;
	const char *why = NULL;

	iova_get_stats(s->d, &st);
	CHECK(st.live_ranges == s->n, "live_ranges %" PRIu64 ", expected %"
	      PRIu64, st.live_ranges, s->n);
	CHECK(held_bytes == sizeof(struct iova_ndomain) + st.index_bytes,
	      "hooks hold %" PRIu64 " bytes, domain %zu + index %" PRIu64,
	      held_bytes, sizeof(struct iova_ndomain), st.index_bytes);
	if (full) {
		double t = now_s();
		int ret = iova_domain_validate(s->d, &why);

		CHECK(ret == 0, "validate: %s", why ? why : "?");
		fprintf(stderr, "soak: validate of %" PRIu64 " ranges: %.2f s\n",
			st.live_ranges + st.reserved_ranges, now_s() - t);
	}
}

/*
 * A node-allocation failure must fail one call cleanly, and the retry must
 * work.  The pool often holds what an insert needs, so allocate until the
 * armed failure is reached.
 */
static void inject(struct soak *s)
{
	struct iova_stats a, b;
	uint64_t pfn = 0, size = 1;
	unsigned int tries;
	int ret = 0;

	iova__fault_inject(1);
	for (tries = 0; tries < 100000 && s->n < s->cap; tries++) {
		size = 1 + rnd() % 64;
		iova_get_stats(s->d, &a);
		ret = iova_alloc(s->d, size, 1, 0, SPACE_END, IOVA_TOP_DOWN, &pfn);
		if (ret)
			break;
		s->live[s->n++] = pfn;
		s->ops++;
	}
	iova__fault_inject(0);
	if (!ret)
		return;	/* no node allocation was needed: fine */
	iova_get_stats(s->d, &b);
	s->injected++;
	CHECK(ret == -ENOMEM && b.alloc_fail_nomem == a.alloc_fail_nomem + 1 &&
		      b.live_ranges == a.live_ranges &&
		      b.index_bytes == a.index_bytes,
	      "injected failure: ret %d, nomem %" PRIu64 " -> %" PRIu64, ret,
	      a.alloc_fail_nomem, b.alloc_fail_nomem);
	ret = iova_alloc(s->d, size, 1, 0, SPACE_END, IOVA_TOP_DOWN, &pfn);
	CHECK(ret == 0, "retry after an injected failure = %d", ret);
	if (!ret)
		s->live[s->n++] = pfn;
}

static void report(struct soak *s, double t0, const char *what)
{
	struct iova_stats st;
	uint64_t rss = rss_bytes();

	if (rss > s->peak_rss)
		s->peak_rss = rss;
	iova_get_stats(s->d, &st);
	printf("%-6s %7.0f s  ops %12" PRIu64 "  live %9" PRIu64
	       "  index %7.1f MiB (%5.2f B/range, height %u)  held %7.1f MiB"
	       "  rss %7.1f MiB  peak %7.1f MiB\n",
	       what, now_s() - t0, s->ops, st.live_ranges,
	       st.index_bytes / 1048576.0,
	       st.live_ranges + st.reserved_ranges
		       ? (double)st.index_bytes /
				 (double)(st.live_ranges + st.reserved_ranges)
		       : 0.0,
	       st.index_height, held_bytes / 1048576.0, rss / 1048576.0,
	       s->peak_rss / 1048576.0);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	double minutes = 20, report_s = 30, t0, last_report;
	uint64_t target = 10000000, validate_every = 4000000, next_validate;
	uint64_t low, cycles = 0, top_bytes_first = 0, top_bytes_max = 0;
	struct iova_domain_config cfg = { 0 };
	struct soak s = { 0 };
	bool growing = true;
	static const struct option lopts[] = {
		{ "minutes", required_argument, NULL, 'm' },
		{ "ranges", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "validate-every", required_argument, NULL, 'v' },
		{ "report", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static const char prog[] = "iova-soak";
	uint64_t v;
	int i, c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hV", lopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (!cli_double(prog, "--minutes", optarg, 0, 1e6, &minutes))
				return CLI_EXIT_USAGE;
			break;
		case 'n':
			if (!cli_u64(prog, "--ranges", optarg, 1000, UINT32_MAX,
				     &target))
				return CLI_EXIT_USAGE;
			break;
		case 's':
			if (!cli_u64(prog, "--seed", optarg, 0, UINT64_MAX, &v))
				return CLI_EXIT_USAGE;
			rng = v | 1;
			break;
		case 'v':
			if (!cli_u64(prog, "--validate-every", optarg, 1,
				     UINT64_MAX, &validate_every))
				return CLI_EXIT_USAGE;
			break;
		case 'r':
			if (!cli_double(prog, "--report", optarg, 0.001, 1e6,
					&report_s))
				return CLI_EXIT_USAGE;
			break;
		case 'h':
			printf("usage: iova-soak [--minutes N] [--ranges N] "
			       "[--seed N] [--validate-every OPS] "
			       "[--report SECONDS] [--help] [--version]\n");
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
	low = target - target / 10;
	cfg.start_pfn = 1;
	cfg.end_pfn = SPACE_END;
	cfg.mem = &hooks;
	if (iova_domain_create(&cfg, &s.d)) {
		fprintf(stderr, "soak: cannot create the domain\n");
		return 1;
	}
	s.cap = target + target / 8 + 64;
	s.live = malloc(s.cap * sizeof(*s.live));
	if (!s.live) {
		fprintf(stderr, "soak: out of memory\n");
		return 1;
	}
	/* Fixed reservations: MSI-like windows and PCI holes. */
	for (i = 0; i < 1000; i++) {
		uint64_t lo = rnd() % SPACE_END;

		CHECK(iova_reserve(s.d, lo, lo + rnd() % 16) == 0, "reserve");
	}
	CHECK(iova_reserve(s.d, 0xfee00, 0xfeeff) == 0, "reserve MSI window");

	printf("soak: target %" PRIu64 " live ranges, %.0f minutes, validate "
	       "every %" PRIu64 " ops\n", target, minutes, validate_every);
	t0 = last_report = now_s();
	next_validate = validate_every;
	while (now_s() - t0 < minutes * 60) {
		unsigned int k;

		for (k = 0; k < 4096; k++) {
			if (growing) {
				if (!alloc_one(&s) && s.n == 0)
					break;
				if (s.n >= target) {
					struct iova_stats st;

					growing = false;
					iova_get_stats(s.d, &st);
					cycles++;
					if (cycles == 3)	/* settled */
						top_bytes_first = st.index_bytes;
					if (cycles >= 3 &&
					    st.index_bytes > top_bytes_max)
						top_bytes_max = st.index_bytes;
				}
			} else {
				free_one(&s);
				if (rnd() % 2)	/* mixed frees and allocs */
					alloc_one(&s);
				if (s.n <= low)
					growing = true;
			}
		}
		if (s.ops >= next_validate) {
			checks(&s, true);
			inject(&s);
			next_validate = s.ops + validate_every;
		}
		if (now_s() - last_report >= report_s) {
			report(&s, t0, growing ? "grow" : "shrink");
			last_report = now_s();
		}
	}
	checks(&s, true);
	report(&s, t0, "end");
	if (cycles >= 6 && top_bytes_first)	/* 25% slack: fragmentation */
		CHECK(top_bytes_max <= top_bytes_first + top_bytes_first / 4,
		      "index grows at the same population: %" PRIu64 " -> %"
		      PRIu64 " bytes", top_bytes_first, top_bytes_max);
	printf("soak: %" PRIu64 " ops, %" PRIu64 " cycles, %" PRIu64
	       " failed allocations (no space), %" PRIu64 " injected failures, "
	       "peak RSS %.1f MiB, index at cycle tops %" PRIu64 "..%" PRIu64
	       " bytes\n", s.ops, cycles, s.alloc_fail, s.injected,
	       s.peak_rss / 1048576.0, top_bytes_first, top_bytes_max);
	iova_domain_destroy(s.d);
	CHECK(held_bytes == 0 && held_blocks == 0,
	      "destroy left %" PRIu64 " bytes in %" PRIu64 " blocks", held_bytes,
	      held_blocks);
	free(s.live);
	printf("soak: %s (%lu failed checks)\n", failures ? "FAILED" : "ok",
	       failures);
	return failures ? 1 : 0;
}
