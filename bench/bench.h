/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Internal interface between the benchmark driver (bench.c) and the
 * workloads (bench/workloads/).
 */
#ifndef IOVA_BENCH_BENCH_H
#define IOVA_BENCH_BENCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "alloc_iface.h"

/* Log-bucket latency histogram: 8 buckets per power of two, 1 ns .. ~2^44. */
#define BH_SUB 8
#define BH_BUCKETS (45 * BH_SUB)

struct bench_hist {
	uint64_t b[BH_BUCKETS];
	uint64_t n;
};

void hist_add(struct bench_hist *h, uint64_t ns);
void hist_merge(struct bench_hist *dst, const struct bench_hist *src);
/* Value at quantile q (0..1): the upper edge of the bucket holding it. */
uint64_t hist_quantile(const struct bench_hist *h, double q);

/* Per-thread counters of the timed phase. */
struct bench_stat {
	struct bench_hist hist;
	uint64_t ops;		/* timed operations done */
	uint64_t op_ns;		/* sum of their wall durations (timer cost removed) */
	uint64_t fails;		/* allocations that failed (-ENOMEM) */
	/* Thread CPU time of the timed phase, and of untimed work inside it. */
	uint64_t cpu_ns, cpu_t0, untimed_ns, untimed_t0;
	/* Per-op wall times, kept for wall_ns workloads (single thread). */
	uint64_t *samples, nsamples, cap;
};

/*
 * CPU-time accounting of a timed phase on the calling thread: ns/op is
 * (CPU time - untimed work - clock reads) / ops, which a descheduled thread
 * on a loaded machine does not inflate (per-op wall times still feed the
 * percentiles).  bench_measure_begin/end do this for r->st.
 */
void bench_cpu_begin(struct bench_stat *s);
void bench_cpu_end(struct bench_stat *s);
/* Bracket work inside a timed phase that is not part of any op (only
 * needed when the workload does not set wall_ns). */
void bench_untimed_begin(struct bench_stat *s);
void bench_untimed_end(struct bench_stat *s);

enum bench_cap {
	CAP_NONE = 0,
	CAP_BUDGET,	/* the timed phase ran out of its time budget */
	CAP_OP,		/* one operation exceeded the per-op cap */
	CAP_SETUP,	/* the set-up (populate) ran out of time */
};

struct bench_run {
	/* inputs */
	const struct bench_alloc_ops *ops;
	const char *wl_name;
	uint64_t n;		/* the workload's size parameter (live ranges) */
	uint64_t seed;
	unsigned threads;
	uint64_t ops_target;	/* timed operations to do (per repeat) */
	uint64_t budget_ns;	/* time budget of the timed phase */
	uint64_t op_cap_ns;	/* a single op longer than this stops the run */
	uint64_t setup_budget_ns;
	bool callgrind;		/* instruction-count mode */
	int repeat_idx, repeats;
	/* state */
	uint64_t t_phase;	/* start of the current phase */
	atomic_int stop;	/* set when capped: every thread stops */
	atomic_int capped;	/* enum bench_cap (set by any thread) */
	uint64_t t_progress;	/* last progress line */
	atomic_ullong ops_live;	/* timed ops so far, all threads */
	/* results */
	struct bench_stat st;	/* merged over threads */
	uint64_t wall_ns;	/* wall time of the timed phase */
	uint64_t bytes, ranges;	/* index bytes and ranges at the end */
	/* measured heap growth of the domain (memmix) and its live ranges;
	 * heap_bytes < 0 = not measured */
	int64_t heap_bytes;
	uint64_t heap_ranges;
};

uint64_t bench_now(void);
/* This thread's CPU time in ns (0 in callgrind mode). */
uint64_t bench_cpu_now(void);
/* Timer cost subtracted from each measured op. */
extern uint64_t bench_timer_ns;

/* Set-up: start, and check the set-up budget (true = give up). */
void bench_setup_begin(struct bench_run *r);
bool bench_setup_over(struct bench_run *r, uint64_t done, uint64_t total);
/* Timed phase: begin/end (callgrind instrumentation toggles here). */
void bench_measure_begin(struct bench_run *r);
void bench_measure_end(struct bench_run *r);
/*
 * Record one timed op that started at t0 (from bench_now()).  Returns true
 * when the run must stop (budget, per-op cap, or another thread capped).
 */
bool bench_op_done(struct bench_run *r, struct bench_stat *s, uint64_t t0);
/*
 * iova-bench --mt (bench/threads.c): the thread-scaling table of the
 * cached, uncached and lookup paths for 1, 2 and each of the nt counts.
 * Returns 0, or 1 if some run could not be done.
 */
int bench_mt(const char *paths, const unsigned *tlist, unsigned nt,
	     uint64_t n, double secs, unsigned repeat, uint64_t seed);

/* Snapshot bytes and ranges before the workload destroys its domain. */
void bench_snapshot(struct bench_run *r, void *a);

struct bench_workload {
	const char *name;
	const char *what;		/* one line */
	/* n lists, 0-terminated: the default selection (make bench, < 3 min
	 * in all), --full, and --quick. */
	const uint64_t *n_default;
	const uint64_t *n_full;
	const uint64_t *n_quick;
	uint64_t ops_default;		/* timed ops per repeat */
	bool threads_ok;
	/* ns/op from per-op wall times, not phase CPU time: for workloads that
	 * do untimed work inside the timed phase.  The slowest 0.1% of ops are
	 * dropped from the mean (descheduling on a loaded machine). */
	bool wall_ns;
	/* Create the domain, set up, run the timed phase, snapshot, destroy.
	 * Returns 0, or -1 if the domain could not be created. */
	int (*run)(struct bench_run *r);
};

/* ---- helpers shared by the workloads (workloads/common.c) ---- */

/* pfn-space geometry: the limit for a DMA mask of `bits` with 4 KiB pages. */
#define PFN_SHIFT 12
static inline uint64_t mask_limit(unsigned bits)
{
	return bits >= 64 ? UINT64_MAX >> PFN_SHIFT
			  : ((uint64_t)1 << (bits - PFN_SHIFT)) - 1;
}

struct req;
/* Request generators shared by the workloads (workloads/churn.c):
 * 1 page, and 1..16 pages, size-aligned under a 64-bit mask. */
void gen_nic(uint64_t *rng, struct req *q);
void gen_scale(uint64_t *rng, struct req *q);
/* Masks 32/39/44/48 (30% 32-bit), 1..64 pages; and without the 32-bit mask. */
void gen_mixed(uint64_t *rng, struct req *q);
void gen_mixed_wide(uint64_t *rng, struct req *q);
/* Every workload's domain: pfns [1, 2^36 - 1], a 48-bit IOVA aperture. */
#define DOM_START 1u
#define DOM_END (((uint64_t)1 << 36) - 1)

static inline uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* Uniform in [0, n). */
static inline uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return rng_next(s) % n;
}

static inline uint64_t rng_seed(uint64_t seed, uint64_t salt)
{
	uint64_t s = seed * 0x9E3779B97F4A7C15ull + salt * 0xBF58476D1CE4E5B9ull;

	return s ? s : 1;
}

#define NO_PFN UINT64_MAX

/* A request generator: fills size, limit and size_aligned. */
struct req {
	uint64_t size, limit;
	bool aligned;
};
typedef void (*req_gen_fn)(uint64_t *rng, struct req *q);

/*
 * The churn engine: populate n live ranges with gen, then ops_target timed
 * cycles of "free a random live range, allocate a new one" (a new request
 * from gen), split over r->threads threads.  One cycle = one timed op.
 */
struct churn_spec {
	req_gen_fn gen;
	req_gen_fn refill;	/* optional, see populate_gen() */
};
int run_churn(struct bench_run *r, const struct churn_spec *spec);

/*
 * Populate: draw n requests from gen and allocate them highest limit first,
 * then by ascending size class (roundup_pow_of_two), so that every design
 * (the classic cached-node walk, and augrb whose gap pruning cannot see
 * alignment) fills in about O(log n) per range: the set-up is not what is
 * measured, and the timed phase draws requests in random order again.
 * Once a limit's space is full its remaining requests are dropped and, if
 * refill is given, replaced by as many requests drawn from refill.
 * Returns the number of ranges in slots, or -1 if the set-up budget ran out.
 */
int64_t populate_gen(struct bench_run *r, void *a, req_gen_fn gen,
		     req_gen_fn refill, uint64_t *slots, uint64_t n,
		     uint64_t *rng);

/* The registry of workloads (bench.c). */
extern const struct bench_workload wl_dac32, wl_mixed, wl_nic, wl_nvme,
	wl_full32, wl_frag, wl_reserve, wl_scale;
/* single-path workloads (workloads/paths.c) */
extern const struct bench_workload wl_fill1, wl_fillmix, wl_pair32, wl_drain,
	wl_drain32, wl_fastpair, wl_memmix;
/* memory of a top-down fill (workloads/memfill.c) */
extern const struct bench_workload wl_memfill32, wl_memfill48;

#endif
