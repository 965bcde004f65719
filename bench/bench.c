// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * iova-bench: every allocator design on every workload, in one process.
 * See bench/README.md and `iova-bench --help`.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "iova/iova.h"

#ifdef BENCH_HAVE_CALLGRIND_H
#include <valgrind/callgrind.h>
#endif

static const struct bench_workload *const workloads[] = {
	&wl_dac32, &wl_mixed, &wl_nic, &wl_nvme, &wl_full32,
	&wl_frag, &wl_reserve, &wl_scale,
	&wl_fill1, &wl_fillmix, &wl_pair32, &wl_drain, &wl_drain32,
	&wl_fastpair, &wl_memmix, &wl_memfill32, &wl_memfill48, NULL,
};

/* ---- time ---- */

uint64_t bench_timer_ns;
static bool no_clock;	/* callgrind mode: count instructions, not time */

uint64_t bench_now(void)
{
	struct timespec ts;

	if (no_clock)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t bench_cpu_now(void)
{
	struct timespec ts;

	if (no_clock)
		return 0;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void bench_cpu_begin(struct bench_stat *s)
{
	s->cpu_t0 = bench_cpu_now();
}

/* Cost of one thread-CPU clock read that lands inside a begin/end pair. */
static uint64_t cpu_read_ns;

void bench_cpu_end(struct bench_stat *s)
{
	uint64_t d = bench_cpu_now() - s->cpu_t0;

	s->cpu_ns += d > cpu_read_ns ? d - cpu_read_ns : 0;
}

/* Wall clock here: a thread-CPU clock read is a system call, too costly. */
void bench_untimed_begin(struct bench_stat *s)
{
	s->untimed_t0 = bench_now();
}

void bench_untimed_end(struct bench_stat *s)
{
	s->untimed_ns += bench_now() - s->untimed_t0 + 2 * bench_timer_ns;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

static void calibrate_timer(void)
{
	uint64_t s[1001];
	int i;

	for (i = 0; i < 1001; i++) {
		uint64_t t0 = bench_now();

		s[i] = bench_now() - t0;
	}
	qsort(s, 1001, sizeof(s[0]), cmp_u64);
	bench_timer_ns = s[500];
	for (i = 0; i < 101; i++) {
		uint64_t t0 = bench_cpu_now();

		s[i] = bench_cpu_now() - t0;
	}
	qsort(s, 101, sizeof(s[0]), cmp_u64);
	cpu_read_ns = s[50];
}

/* ---- histogram ---- */

static unsigned bucket_of(uint64_t ns)
{
	unsigned e, sub;

	if (ns < BH_SUB)
		return (unsigned)ns;
	e = 63u - (unsigned)__builtin_clzll(ns);	/* ns in [2^e, 2^e+1) */
	sub = (unsigned)((ns >> (e - 3)) & (BH_SUB - 1));
	e = (e - 3 + 1) * BH_SUB + sub;
	return e < BH_BUCKETS ? e : BH_BUCKETS - 1;
}

/* Upper edge (exclusive) of bucket b. */
static uint64_t bucket_top(unsigned b)
{
	unsigned e, sub;

	if (b < BH_SUB)
		return b + 1;
	e = b / BH_SUB - 1 + 3;
	sub = b % BH_SUB;
	return ((uint64_t)(BH_SUB + sub + 1)) << (e - 3);
}

void hist_add(struct bench_hist *h, uint64_t ns)
{
	h->b[bucket_of(ns)]++;
	h->n++;
}

void hist_merge(struct bench_hist *dst, const struct bench_hist *src)
{
	unsigned i;

	for (i = 0; i < BH_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->n += src->n;
}

uint64_t hist_quantile(const struct bench_hist *h, double q)
{
	uint64_t want, acc = 0;
	unsigned i;

	if (!h->n)
		return 0;
	want = (uint64_t)ceil(q * (double)h->n);
	if (want == 0)
		want = 1;
	for (i = 0; i < BH_BUCKETS; i++) {
		acc += h->b[i];
		if (acc >= want)
			return bucket_top(i);
	}
	return bucket_top(BH_BUCKETS - 1);
}

/* ---- run control ---- */

static bool tty;
static char progress_label[160];

static void progress(struct bench_run *r, const char *phase, uint64_t done,
		     uint64_t total)
{
	uint64_t now = bench_now();

	if (now - r->t_progress < 1000000000ull)
		return;
	r->t_progress = now;
	fprintf(stderr, "%s  [%s %s: %llu/%llu, %.0f s]%s", tty ? "\r" : "",
		progress_label, phase, (unsigned long long)done,
		(unsigned long long)total, (double)(now - r->t_phase) / 1e9,
		tty ? "   " : "\n");
	fflush(stderr);
}

void bench_setup_begin(struct bench_run *r)
{
	r->t_phase = r->t_progress = bench_now();
}

bool bench_setup_over(struct bench_run *r, uint64_t done, uint64_t total)
{
	if (bench_now() - r->t_phase > r->setup_budget_ns) {
		r->capped = CAP_SETUP;
		return true;
	}
	progress(r, "set-up", done, total);
	return false;
}

void bench_measure_begin(struct bench_run *r)
{
	atomic_store(&r->ops_live, 0);
	r->t_phase = r->t_progress = bench_now();
	bench_cpu_begin(&r->st);
#ifdef BENCH_HAVE_CALLGRIND_H
	if (r->callgrind) {
		CALLGRIND_ZERO_STATS;
		CALLGRIND_START_INSTRUMENTATION;
	}
#endif
}

void bench_measure_end(struct bench_run *r)
{
	r->wall_ns = bench_now() - r->t_phase;
	bench_cpu_end(&r->st);
#ifdef BENCH_HAVE_CALLGRIND_H
	if (r->callgrind) {
		char desc[200];

		CALLGRIND_STOP_INSTRUMENTATION;
		snprintf(desc, sizeof(desc), "wl=%s n=%llu alloc=%s ops=%llu",
			 r->wl_name, (unsigned long long)r->n, r->ops->name,
			 (unsigned long long)atomic_load(&r->ops_live));
		CALLGRIND_DUMP_STATS_AT(desc);
	}
#endif
}

bool bench_op_done(struct bench_run *r, struct bench_stat *s, uint64_t t0)
{
	uint64_t t1 = bench_now(), d = t1 - t0;
	unsigned long long k;

	d = d > bench_timer_ns ? d - bench_timer_ns : 0;
	hist_add(&s->hist, d);
	if (s->nsamples < s->cap)
		s->samples[s->nsamples++] = d;
	s->ops++;
	s->op_ns += d;
	k = atomic_fetch_add(&r->ops_live, 1) + 1;
	if (d > r->op_cap_ns) {
		atomic_store(&r->capped, CAP_OP);
		atomic_store(&r->stop, 1);
		return true;
	}
	if ((k & 63) == 0) {
		if (t1 - r->t_phase > r->budget_ns) {
			int none = CAP_NONE;

			atomic_compare_exchange_strong(&r->capped, &none,
						       CAP_BUDGET);
			atomic_store(&r->stop, 1);
			return true;
		}
		if (r->threads <= 1)
			progress(r, "ops", k, r->ops_target);
	}
	return atomic_load(&r->stop) != 0;
}

void bench_snapshot(struct bench_run *r, void *a)
{
	r->bytes = r->ops->bytes(a);
	r->ranges = r->ops->count(a);
}

/* ---- options ---- */

#define MAX_ALLOCS 8
#define MAX_NS 16

struct opts {
	const char *filter;
	const char *allocs;
	uint64_t ns[MAX_NS];
	unsigned nn;
	unsigned threads, repeat;
	unsigned tlist[MAX_NS], nt;	/* --threads list (--mt runs each) */
	const char *mt;			/* --mt paths, NULL = not this mode */
	uint64_t seed, ops;
	double budget, op_cap, setup_budget;
	const char *csv;
	bool quick, full, callgrind, list;
	bool budget_set, repeat_set;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: iova-bench [options]\n"
"  --filter W[,W]    workloads whose name contains one of these (default: all)\n"
"  --alloc A[,A]     allocators (default: all registered but the opt-in ones\n"
"                    marked * by --list)\n"
"  --n N[,N]         live-range counts (1e5 and 100000 both work); default per workload\n"
"  --threads T[,T]   threads for the churn workloads (nic, nvme, mixed, scale;\n"
"                    the largest T), and the extra thread counts of --mt\n"
"  --mt PATHS        thread-scaling mode instead of the workloads: 1, 2 and\n"
"                    every --threads count on one domain, thread i pinned to\n"
"                    CPU i %% nproc; PATHS is all or a list of fast (cached\n"
"                    iova_alloc_fast/iova_free_fast), slow (iova_alloc/\n"
"                    iova_free, no caches), find (iova_find/iova_find_next\n"
"                    while one writer allocates and frees); prints ns/op per\n"
"                    thread, aggregate Mops/s and the ratio to 1 thread.\n"
"                    --n (default 1e5 set-up ranges, half freed), --budget\n"
"                    (default 0.5 s per phase), --repeat (default 5), --seed\n"
"  --repeat R        repeats per measurement; ns/op is the median (default 3)\n"
"  --seed S          random seed (default 1)\n"
"  --ops K           timed operations per repeat (default per workload)\n"
"  --budget SEC      time budget of one timed phase; beyond it the run is\n"
"                    marked capped and reported from the ops done\n"
"                    (default 1; 3 with --full; 0.5 with --quick)\n"
"  --op-cap SEC      one op slower than this stops the run, capped (default 1)\n"
"  --setup-budget SEC  set-up longer than this: no result, capped (default 60)\n"
"  --csv FILE        also write one CSV row per workload/N/allocator\n"
"  --full            the whole suite: larger N lists (1e7 scale), 3 s budgets\n"
"                    (5-10 minutes)\n"
"  --quick           smaller N lists, 1 repeat, short budgets\n"
"  --callgrind       instruction-count mode: fixed small op count, 1 repeat;\n"
"                    run under valgrind --tool=callgrind --instr-atstart=no\n"
"                    (see bench/README.md and bench/callgrind.sh)\n"
"  --list            list workloads and allocators\n"
"  --help, -h        this text\n"
"  --version         print the version\n"
"Exit status: 0 done, 2 bad usage or no allocator matched.\n");
}

/* A count such as 1e5 or 100000: a positive finite number; else exit 2
 * naming the option and the argument. */
static uint64_t parse_count(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !(v >= 1) || v > 1e15) {
		fprintf(stderr, "iova-bench: --%s: bad count '%s' (a number >= 1, e.g. 1e5)\n",
			opt, s);
		exit(2);
	}
	return (uint64_t)(v + 0.5);
}

static double parse_seconds(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !(v > 0) || v > 1e6) {
		fprintf(stderr, "iova-bench: --%s: bad number of seconds '%s'\n", opt, s);
		exit(2);
	}
	return v;
}

static uint64_t parse_u64(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (end == s || *end || errno || *s == '-') {
		fprintf(stderr, "iova-bench: --%s: bad number '%s'\n", opt, s);
		exit(2);
	}
	return (uint64_t)v;
}

static void parse_ns(struct opts *o, const char *arg)
{
	char buf[256], *tok, *save = NULL;

	if (strlen(arg) >= sizeof(buf)) {
		fprintf(stderr, "iova-bench: --n: list too long '%s'\n", arg);
		exit(2);
	}
	snprintf(buf, sizeof(buf), "%s", arg);
	o->nn = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (o->nn == MAX_NS) {
			fprintf(stderr, "iova-bench: --n: more than %d sizes in '%s'\n",
				MAX_NS, arg);
			exit(2);
		}
		o->ns[o->nn++] = parse_count("n", tok);
	}
	if (!o->nn) {
		fprintf(stderr, "iova-bench: --n: no size in '%s'\n", arg);
		exit(2);
	}
}

/* --threads T[,T]: each 1..256; the churn workloads use the largest. */
static void parse_threads(struct opts *o, const char *arg)
{
	char buf[256], *tok, *save = NULL;

	if (strlen(arg) >= sizeof(buf)) {
		fprintf(stderr, "iova-bench: --threads: list too long '%s'\n", arg);
		exit(2);
	}
	snprintf(buf, sizeof(buf), "%s", arg);
	o->nt = 0;
	o->threads = 1;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		uint64_t t = parse_count("threads", tok);

		if (t > 256) {
			fprintf(stderr, "iova-bench: --threads: at most 256, not '%s'\n",
				tok);
			exit(2);
		}
		if (o->nt == MAX_NS) {
			fprintf(stderr, "iova-bench: --threads: more than %d counts in '%s'\n",
				MAX_NS, arg);
			exit(2);
		}
		o->tlist[o->nt++] = (unsigned)t;
		if (t > o->threads)
			o->threads = (unsigned)t;
	}
	if (!o->nt) {
		fprintf(stderr, "iova-bench: --threads: no count in '%s'\n", arg);
		exit(2);
	}
}

/* --mt's argument: all, or a comma list of fast, slow, find. */
static bool matches_only(const char *list)
{
	char buf[256], *tok, *save = NULL;
	bool any = false;

	if (strlen(list) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "all") && strcmp(tok, "fast") &&
		    strcmp(tok, "slow") && strcmp(tok, "find"))
			return false;
		any = true;
	}
	return any;
}

/* Does name match one of the comma-separated substrings in list? */
static bool matches(const char *list, const char *name, bool exact)
{
	char buf[256], *tok, *save = NULL;

	if (!list || !*list)
		return true;
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (exact ? !strcmp(tok, name) : strstr(name, tok) != NULL)
			return true;
	return false;
}

enum {
	OPT_FILTER = 256, OPT_ALLOC, OPT_N, OPT_THREADS, OPT_REPEAT, OPT_SEED,
	OPT_OPS, OPT_BUDGET, OPT_OP_CAP, OPT_SETUP_BUDGET, OPT_CSV, OPT_QUICK,
	OPT_FULL, OPT_CALLGRIND, OPT_LIST, OPT_VERSION, OPT_MT,
};

static const struct option long_opts[] = {
	{ "filter", required_argument, NULL, OPT_FILTER },
	{ "alloc", required_argument, NULL, OPT_ALLOC },
	{ "n", required_argument, NULL, OPT_N },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "mt", required_argument, NULL, OPT_MT },
	{ "repeat", required_argument, NULL, OPT_REPEAT },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "ops", required_argument, NULL, OPT_OPS },
	{ "budget", required_argument, NULL, OPT_BUDGET },
	{ "op-cap", required_argument, NULL, OPT_OP_CAP },
	{ "setup-budget", required_argument, NULL, OPT_SETUP_BUDGET },
	{ "csv", required_argument, NULL, OPT_CSV },
	{ "quick", no_argument, NULL, OPT_QUICK },
	{ "full", no_argument, NULL, OPT_FULL },
	{ "callgrind", no_argument, NULL, OPT_CALLGRIND },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void parse_opts(struct opts *o, int argc, char **argv)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->threads = 1;
	o->repeat = 0;
	o->seed = 1;
	o->budget = -1;
	o->op_cap = 1.0;
	o->setup_budget = 60.0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_FILTER:
			o->filter = optarg;
			break;
		case OPT_ALLOC:
			o->allocs = optarg;
			break;
		case OPT_N:
			parse_ns(o, optarg);
			break;
		case OPT_THREADS:
			parse_threads(o, optarg);
			break;
		case OPT_MT:
			if (!matches_only(optarg)) {
				fprintf(stderr, "iova-bench: --mt: paths are all, fast, slow, find, not '%s'\n",
					optarg);
				exit(2);
			}
			o->mt = optarg;
			break;
		case OPT_REPEAT:
			o->repeat = (unsigned)parse_count("repeat", optarg);
			o->repeat_set = true;
			if (o->repeat > 64) {
				fprintf(stderr, "iova-bench: --repeat: at most 64, not '%s'\n",
					optarg);
				exit(2);
			}
			break;
		case OPT_SEED:
			o->seed = parse_u64("seed", optarg);
			break;
		case OPT_OPS:
			o->ops = parse_count("ops", optarg);
			break;
		case OPT_BUDGET:
			o->budget = parse_seconds("budget", optarg);
			o->budget_set = true;
			break;
		case OPT_OP_CAP:
			o->op_cap = parse_seconds("op-cap", optarg);
			break;
		case OPT_SETUP_BUDGET:
			o->setup_budget = parse_seconds("setup-budget", optarg);
			break;
		case OPT_CSV:
			o->csv = optarg;
			break;
		case OPT_QUICK:
			o->quick = true;
			break;
		case OPT_FULL:
			o->full = true;
			break;
		case OPT_CALLGRIND:
			o->callgrind = true;
			break;
		case OPT_LIST:
			o->list = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_VERSION:
			printf("iova-bench (libiova %d.%d)\n", IOVA_VERSION_MAJOR,
			       IOVA_VERSION_MINOR);
			exit(0);
		case ':':
			fprintf(stderr, "iova-bench: option '%s' needs a value\n"
				"Try 'iova-bench --help'.\n", argv[optind - 1]);
			exit(2);
		default:
			if (optopt > 0 && optopt < 256)
				fprintf(stderr, "iova-bench: unknown option '-%c'\n", optopt);
			else
				fprintf(stderr, "iova-bench: unknown option '%s'\n",
					argv[optind - 1]);
			fprintf(stderr, "Try 'iova-bench --help'.\n");
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "iova-bench: unexpected argument '%s'\n"
			"Try 'iova-bench --help'.\n", argv[optind]);
		exit(2);
	}
	if (o->quick && o->full) {
		fprintf(stderr, "iova-bench: --quick and --full exclude each other\n");
		exit(2);
	}
	if (!o->repeat)
		o->repeat = o->quick || o->callgrind ? 1 : 3;
	if (o->budget < 0)
		o->budget = o->quick ? 0.5 : o->full ? 3.0 : 1.0;
}

/* ---- one measurement: a workload at one N for one allocator ---- */

struct result {
	const struct bench_alloc_ops *ops;
	double ns_op;		/* median over repeats of CPU ns per op */
	double wall_op;		/* median over repeats of mean wall ns per op */
	double mops;		/* aggregate throughput, median repeat */
	struct bench_hist hist;	/* merged over repeats */
	uint64_t nops, fails, bytes, ranges;
	int64_t heap_bytes;	/* measured heap growth (memmix), < 0 = none */
	uint64_t heap_ranges;
	int capped;
	bool ok;		/* a measurement exists */
};

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

static const char *cap_name(int c)
{
	switch (c) {
	case CAP_BUDGET:
		return "capped(budget)";
	case CAP_OP:
		return "capped(op)";
	case CAP_SETUP:
		return "capped(setup)";
	default:
		return "";
	}
}

static void measure(const struct opts *o, const struct bench_workload *w,
		    uint64_t n, const struct bench_alloc_ops *ops,
		    struct result *res)
{
	double ns[64], mops[64], wall[64];
	unsigned rep, k = 0;

	memset(res, 0, sizeof(*res));
	res->ops = ops;
	res->heap_bytes = -1;
	for (rep = 0; rep < o->repeat && rep < 64; rep++) {
		struct bench_run *r = calloc(1, sizeof(*r));

		if (!r)
			abort();
		r->ops = ops;
		r->wl_name = w->name;
		r->n = n;
		r->seed = o->seed;
		r->threads = w->threads_ok ? o->threads : 1;
		r->ops_target = o->ops ? o->ops : w->ops_default;
		if (o->callgrind && !o->ops && r->ops_target > 2000)
			r->ops_target = 2000;
		r->budget_ns = (uint64_t)(o->budget * 1e9);
		r->op_cap_ns = (uint64_t)(o->op_cap * 1e9);
		r->setup_budget_ns = (uint64_t)(o->setup_budget * 1e9);
		r->callgrind = o->callgrind;
		if (w->wall_ns) {
			r->st.cap = r->ops_target;
			r->st.samples = malloc(r->st.cap * sizeof(uint64_t));
			if (!r->st.samples)
				r->st.cap = 0;
		}
		r->repeat_idx = (int)rep;
		r->repeats = (int)o->repeat;
		atomic_init(&r->stop, 0);
		atomic_init(&r->capped, CAP_NONE);
		atomic_init(&r->ops_live, 0);
		r->heap_bytes = -1;
		snprintf(progress_label, sizeof(progress_label),
			 "%s n=%llu %s rep %u/%u", w->name,
			 (unsigned long long)n, ops->name, rep + 1, o->repeat);
		if (w->run(r)) {
			fprintf(stderr, "iova-bench: %s: cannot create a domain\n",
				ops->name);
			free(r);
			return;
		}
		if (tty && r->t_progress != r->t_phase)
			fprintf(stderr, "\r%*s\r", 100, "");
		if (atomic_load(&r->capped) > res->capped)
			res->capped = atomic_load(&r->capped);
		if (r->st.ops) {
			double busy = (double)r->st.cpu_ns -
				      (double)r->st.untimed_ns -
				      2.0 * (double)bench_timer_ns *
					      (double)r->st.ops;

			if (w->wall_ns && r->st.nsamples == r->st.ops) {
				/* Trimmed mean: drop the slowest 0.1%. */
				uint64_t keep = r->st.ops - r->st.ops / 1000, j;

				qsort(r->st.samples, r->st.nsamples,
				      sizeof(uint64_t), cmp_u64);
				for (busy = 0, j = 0; j < keep; j++)
					busy += (double)r->st.samples[j];
				busy *= (double)r->st.ops / (double)keep;
			} else if (o->callgrind || w->wall_ns || busy <= 0) {
				busy = (double)r->st.op_ns;
			}
			ns[k] = busy / (double)r->st.ops;
			wall[k] = (double)r->st.op_ns / (double)r->st.ops;
			mops[k] = r->wall_ns ? (double)r->st.ops * 1e3 /
						       (double)r->wall_ns
					     : 0;
			k++;
			hist_merge(&res->hist, &r->st.hist);
			res->nops += r->st.ops;
			res->fails += r->st.fails;
		}
		res->bytes = r->bytes;
		res->ranges = r->ranges;
		if (r->heap_bytes >= 0 && res->heap_bytes < 0) {
			res->heap_bytes = r->heap_bytes;	/* the first repeat's */
			res->heap_ranges = r->heap_ranges;
		}
		free(r->st.samples);
		free(r);
		if (res->capped == CAP_SETUP)
			break;	/* no point repeating a set-up that times out */
	}
	if (k) {
		unsigned i, j;

		for (i = 1; i < k; i++)	/* sort both by ns */
			for (j = i; j > 0 && ns[j - 1] > ns[j]; j--) {
				double t = ns[j];

				ns[j] = ns[j - 1];
				ns[j - 1] = t;
				t = mops[j];
				mops[j] = mops[j - 1];
				mops[j - 1] = t;
			}
		res->ns_op = k % 2 ? ns[k / 2] : (ns[k / 2 - 1] + ns[k / 2]) / 2;
		qsort(wall, k, sizeof(wall[0]), cmp_double);
		res->wall_op = k % 2 ? wall[k / 2]
				     : (wall[k / 2 - 1] + wall[k / 2]) / 2;
		res->mops = mops[k / 2];
		res->ok = true;
	}
}

/* ---- output ---- */

static void fmt_ns(char *buf, size_t len, double ns)
{
	if (ns < 10000)
		snprintf(buf, len, "%.0f", ns);
	else if (ns < 1e7)
		snprintf(buf, len, "%.1fu", ns / 1e3);
	else
		snprintf(buf, len, "%.1fm", ns / 1e6);
}

static void fmt_ratio(char *buf, size_t len, const struct result *base,
		      const struct result *me)
{
	double x;

	if (!base || !base->ok || !me->ok || me->ns_op <= 0) {
		snprintf(buf, len, "-");
		return;
	}
	x = base->ns_op / me->ns_op;
	snprintf(buf, len, x >= 100 ? "%.0fx" : "%.2fx", x);
	if (base->capped && strlen(buf) + 2 < len)
		strcat(buf, "+");	/* the baseline was capped */
}

static void print_header(void)
{
	printf("%-8s %9s %-8s %9s %8s %8s %8s %7s %9s %9s %9s %9s %6s  %s\n",
	       "workload", "n", "alloc", "ns/op", "p50", "p99", "p99.9",
	       "B/range", "vs.clas", "vs.augrb", "vs.linux", "vs.maple",
	       "fail%", "notes");
}

static void report(FILE *csv, const struct opts *o,
		   const struct bench_workload *w, uint64_t n,
		   struct result *res, unsigned nres)
{
	const struct result *classic = NULL, *augrb = NULL, *klinux = NULL,
			    *maple = NULL;
	unsigned i;

	for (i = 0; i < nres; i++) {
		if (!strcmp(res[i].ops->name, "classic"))
			classic = &res[i];
		if (!strcmp(res[i].ops->name, "augrb"))
			augrb = &res[i];
		if (!strcmp(res[i].ops->name, "linux"))
			klinux = &res[i];
		if (!strcmp(res[i].ops->name, "maple"))
			maple = &res[i];
	}
	for (i = 0; i < nres; i++) {
		const struct result *x = &res[i];
		char a[32], b[32], c[32], d[32], rc[32], ra[32], rl[32], rm[32],
			bpr[32], heap[64] = "";
		double bytes_pr = x->ranges ? (double)x->bytes / (double)x->ranges : 0;
		double failp = x->nops ? 100.0 * (double)x->fails / (double)x->nops : 0;
		uint64_t p50 = hist_quantile(&x->hist, 0.5);
		uint64_t p99 = hist_quantile(&x->hist, 0.99);
		uint64_t p999 = hist_quantile(&x->hist, 0.999);

		if (x->ok) {
			fmt_ns(a, sizeof(a), x->ns_op);
			fmt_ns(b, sizeof(b), (double)p50);
			fmt_ns(c, sizeof(c), (double)p99);
			fmt_ns(d, sizeof(d), (double)p999);
		} else {
			strcpy(a, "-");
			strcpy(b, "-");
			strcpy(c, "-");
			strcpy(d, "-");
		}
		fmt_ratio(rc, sizeof(rc), x == classic ? NULL : classic, x);
		fmt_ratio(ra, sizeof(ra), x == augrb ? NULL : augrb, x);
		fmt_ratio(rl, sizeof(rl), x == klinux ? NULL : klinux, x);
		fmt_ratio(rm, sizeof(rm), x == maple ? NULL : maple, x);
		snprintf(bpr, sizeof(bpr), "%.1f", bytes_pr);
		if (x->heap_bytes >= 0 && x->heap_ranges)
			snprintf(heap, sizeof(heap), ", heap %.1f B/range",
				 (double)x->heap_bytes / (double)x->heap_ranges);
		printf("%-8s %9llu %-8s %9s %8s %8s %8s %7s %9s %9s %9s %9s %6.1f  %s%s%llu ops%s\n",
		       w->name, (unsigned long long)n, x->ops->name, a, b, c, d,
		       bpr, rc, ra, rl, rm, failp, cap_name(x->capped),
		       x->capped ? ", " : "", (unsigned long long)x->nops, heap);
		if (csv)
			fprintf(csv,
				"%s,%llu,%s,%u,%u,%llu,%.1f,%llu,%llu,%llu,%.2f,%llu,%llu,%s,%.4g,%.4g,%.4g,%.1f,%.4g,%.4g,%.1f\n",
				w->name, (unsigned long long)n, x->ops->name,
				w->threads_ok ? o->threads : 1, o->repeat,
				(unsigned long long)x->nops,
				x->ok ? x->ns_op : -1.0,
				(unsigned long long)p50, (unsigned long long)p99,
				(unsigned long long)p999, bytes_pr,
				(unsigned long long)x->ranges,
				(unsigned long long)x->fails,
				x->capped ? cap_name(x->capped) : "no",
				classic && classic->ok && x->ok ? classic->ns_op / x->ns_op : 0,
				augrb && augrb->ok && x->ok ? augrb->ns_op / x->ns_op : 0,
				x->mops, x->ok ? x->wall_op : -1.0,
				klinux && klinux->ok && x->ok ? klinux->ns_op / x->ns_op : 0,
				maple && maple->ok && x->ok ? maple->ns_op / x->ns_op : 0,
				x->heap_bytes >= 0 && x->heap_ranges
					? (double)x->heap_bytes / (double)x->heap_ranges
					: -1.0);
	}
	fflush(stdout);
	if (csv)
		fflush(csv);
}

int main(int argc, char **argv)
{
	const struct bench_alloc_ops *sel[MAX_ALLOCS];
	struct result res[MAX_ALLOCS];
	unsigned nsel = 0, i, j, wi;
	struct opts o;
	FILE *csv = NULL;
	char host[128] = "?";
	time_t now = time(NULL);

	parse_opts(&o, argc, argv);
	if (o.mt) {
		if (o.callgrind || o.list || o.filter || o.allocs || o.csv) {
			fprintf(stderr, "iova-bench: --mt takes only --threads, --n, --budget, --repeat, --seed\n");
			return 2;
		}
		return bench_mt(o.mt, o.tlist, o.nt, o.nn ? o.ns[0] : 100000,
				o.budget_set ? o.budget : 0.5,
				o.repeat_set ? o.repeat : 5, o.seed) ? 1 : 0;
	}
	if (o.list) {
		for (i = 0; workloads[i]; i++)
			printf("%-8s %s\n", workloads[i]->name, workloads[i]->what);
		printf("allocators:");
		for (i = 0; bench_allocs[i]; i++)
			printf(" %s%s", bench_allocs[i]->name,
			       bench_allocs[i]->opt_in ? "*" : "");
		printf("\n(* = only when named with --alloc)\n");
		return 0;
	}
	for (i = 0; bench_allocs[i] && nsel < MAX_ALLOCS; i++)
		if (o.allocs ? matches(o.allocs, bench_allocs[i]->name, true)
			     : !bench_allocs[i]->opt_in)
			sel[nsel++] = bench_allocs[i];
	if (!nsel) {
		fprintf(stderr, "iova-bench: no allocator matches '%s'\n", o.allocs);
		return 2;
	}
	tty = isatty(2);
	calibrate_timer();
	if (o.callgrind) {
		/* No clock reads in the measured region; no time caps apply. */
		no_clock = true;
		bench_timer_ns = 0;
		o.budget = 1e9;
		o.op_cap = 1e9;
		o.setup_budget = 1e9;
	}
	gethostname(host, sizeof(host));
	if (o.csv) {
		csv = fopen(o.csv, "w");
		if (!csv) {
			fprintf(stderr, "iova-bench: %s: %s\n", o.csv, strerror(errno));
			return 2;
		}
		fprintf(csv, "workload,n,alloc,threads,repeats,ops,ns_per_op,p50_ns,p99_ns,p999_ns,bytes_per_range,ranges,fails,capped,ratio_vs_classic,ratio_vs_augrb,mops,wall_ns_per_op,ratio_vs_linux,ratio_vs_maple,heap_bytes_per_range\n");
	}
	printf("# iova-bench on %s, %s", host, ctime(&now));
	printf("# seed %llu, repeats %u, threads %u, budget %.1f s/phase, op cap %.2f s, timer cost %llu ns (subtracted)\n",
	       (unsigned long long)o.seed, o.repeat, o.threads, o.budget,
	       o.op_cap, (unsigned long long)bench_timer_ns);
	printf("# ns/op: median over repeats of thread CPU time per op (descheduling excluded; clock reads and untimed work subtracted);\n"
	       "# p50/p99/p99.9: per-op wall time, log2/8 histogram (bucket upper edge), all repeats;\n"
	       "# vs.clas / vs.augrb: baseline ns/op divided by this row's (x faster); '+' = the baseline was capped (a lower bound)\n");
	if (o.callgrind)
		printf("# callgrind mode: no clock is read, the times below are empty; bench/callgrind.sh reports Ir per op\n");
#ifndef BENCH_HAVE_CALLGRIND_H
	if (o.callgrind)
		printf("# callgrind.h was not found at build time: run under valgrind --tool=callgrind --toggle-collect='bench_op*' or count the whole process\n");
#endif
	print_header();
	for (wi = 0; workloads[wi]; wi++) {
		const struct bench_workload *w = workloads[wi];
		const uint64_t *list = o.quick || o.callgrind ? w->n_quick
				       : o.full ? w->n_full : w->n_default;
		uint64_t ns[MAX_NS];
		unsigned nn = 0;

		if (!matches(o.filter, w->name, false))
			continue;
		if (o.nn) {
			memcpy(ns, o.ns, o.nn * sizeof(ns[0]));
			nn = o.nn;
		} else {
			while (list[nn] && nn < MAX_NS) {
				ns[nn] = list[nn];
				nn++;
			}
		}
		for (j = 0; j < nn; j++) {
			for (i = 0; i < nsel; i++)
				measure(&o, w, ns[j], sel[i], &res[i]);
			report(csv, &o, w, ns[j], res, nsel);
		}
	}
	if (csv)
		fclose(csv);
	return 0;
}
