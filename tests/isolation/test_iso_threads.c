/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Issue 15: the ownership map under real threads.
 *
 *   test_iso_threads mixed THREADS OPS SEED
 *   test_iso_threads findrace OPS SEED
 *
 * mixed: THREADS threads (3-4) on one Linux-compatible domain with its
 * per-CPU caches, each mixing alloc_iova / __free_iova / free_iova,
 * alloc_iova_fast / free_iova_fast, find_iova of its own ranges, and the
 * native calls on the domain behind it (iova_alloc / iova_free,
 * iova_alloc_fast / iova_free_fast), with reservations made at set-up and
 * at run time (below start_pfn too) and deliberate misuses: fast frees of
 * a reserved pfn and of a pfn below start_pfn (a double free is left to
 * the single-threaded tests: with threads, the range may meanwhile belong
 * to another thread, and then the "double" free is a good one).  A shared
 * map holds the owner of every pfn, claimed and released with atomic
 * exchanges (a range is released before it is freed): a claim that finds
 * another owner is a pfn handed out twice, or a reserved or below-start
 * pfn handed out.  Every misuse must be refused (reported once); no good
 * free may be.  At the end, after a flush, only the reservations are live,
 * the domain validates, and put_iova_domain() gives back every block.
 *
 * findrace (findings 2 and 3 with real threads): thread A allocates and
 * frees fast ranges in a 16-pfn window, thread B alloc_iova / __free_iova
 * in the same window, thread C calls find_iova() on A's current pfn.  No
 * free of B's may be refused (its struct was never replaced), the owner
 * map holds, and nothing leaks.
 *
 * Bounded by operation counts, not by time.  Run under TSan by the tsan
 * preset (label stress).
 */
#include "iova/iova.h"
#include "iova/cache.h"
#include "iova/linux.h"

#include <sched.h>

#include "tap.h"
#include "isolation/iso.h"
#include "isolation/iso_wrap.h"

#define START 0x100ul
#define LIMIT 0xFFFFul		/* every allocation is at or below this */
#define MSI_LO 0x3000ul
#define MSI_HI 0x30FFul
#define HOLD 24
#define RSV_OWNER 0xFFu

static struct iova_domain D;
static struct iova_ndomain *nd;
static _Atomic unsigned char owner[LIMIT + 1];
static atomic_ulong violations, reports, expected_reports, errors;
static atomic_ulong first_reported;

static void bad_free_hook(struct iova_domain *iovad, unsigned long pfn,
			  const char *what)
{
	(void)iovad;
	(void)pfn;
	(void)what;
	atomic_fetch_add(&reports, 1);
}

static void violation(const char *why, unsigned long pfn, unsigned int who,
		      unsigned int prev)
{
	if (atomic_fetch_add(&violations, 1) == 0 &&
	    !atomic_exchange(&first_reported, 1))
		diag("first violation: %s: pfn %#lx claimed by %u, owned by %u",
		     why, pfn, who, prev);
}

/* Claim [lo, lo + size - 1] for who (1..), or report. */
static bool claim(unsigned long lo, unsigned long size, unsigned int who)
{
	unsigned long p;
	bool good = true;

	if (lo < START || lo + size - 1 > LIMIT || lo + size - 1 < lo) {
		violation(lo < START ? "below start_pfn" : "above the limit", lo,
			  who, 0);
		return false;
	}
	for (p = lo; p < lo + size; p++) {
		unsigned int prev = atomic_exchange(&owner[p],
						    (unsigned char)who);

		if (prev) {
			violation(prev == RSV_OWNER ? "a reserved pfn handed out"
						    : "a pfn handed out twice",
				  p, who, prev);
			if (prev == RSV_OWNER)
				atomic_store(&owner[p], RSV_OWNER);
			good = false;
		}
	}
	return good;
}

static void release(unsigned long lo, unsigned long size, unsigned int who)
{
	unsigned long p;

	for (p = lo; p < lo + size && p <= LIMIT; p++) {
		unsigned char want = (unsigned char)who;

		if (!atomic_compare_exchange_strong(&owner[p], &want, 0))
			violation("a pfn released by a non-owner (its range "
				  "was handed out again)", p, who, want);
	}
}

/* --- mixed ------------------------------------------------------------- */

enum kind { K_NONE, K_LINUX, K_LFAST, K_NATIVE, K_NFAST };

struct held {
	enum kind kind;
	unsigned long lo, size;
	struct iova *it;
};

struct worker {
	pthread_t th;
	unsigned int id;
	unsigned long ops;
	uint64_t rng;
	struct held h[HOLD];
};

static unsigned long pick_size(struct worker *w)
{
	uint64_t r = iso_rnd(&w->rng);

	switch (r & 3) {
	case 0:
	case 1:
		return 1 + (r >> 8) % 4;
	case 2:
		return 1 + (r >> 8) % 40;
	default:
		return 1 + (r >> 8) % 130;
	}
}

static unsigned long pick_limit(struct worker *w)
{
	uint64_t r = iso_rnd(&w->rng);

	return (r & 1) ? LIMIT : START + 0x200 + (r >> 8) % (LIMIT - START - 0x200);
}

static void do_alloc(struct worker *w, struct held *x)
{
	uint64_t r = iso_rnd(&w->rng);
	unsigned long size = pick_size(w), lim = pick_limit(w), lo = 0;
	uint64_t pfn = 0;
	struct iova *it = NULL;
	enum kind k = (enum kind)(1 + r % 4);

	switch (k) {
	case K_LINUX:
		it = alloc_iova(&D, size, lim, r & 16);
		if (!it)
			return;
		lo = it->pfn_lo;
		break;
	case K_LFAST:
		lo = alloc_iova_fast(&D, size, lim, true);
		if (!lo)
			return;
		break;
	case K_NATIVE:
		if (iova_alloc(nd, size, (r & 16) ? UINT64_C(1) << iso_clog2(size)
						  : 1, START, lim,
			       (r & 32) ? IOVA_BOTTOM_UP : IOVA_TOP_DOWN, &pfn))
			return;
		lo = pfn;
		break;
	default:
		if (iova_alloc_fast(nd, size, lim, true, &pfn))
			return;
		lo = pfn;
		break;
	}
	claim(lo, size, w->id);
	*x = (struct held){ k, lo, size, it };
}

static void do_free(struct worker *w, struct held *x)
{
	uint64_t r = iso_rnd(&w->rng);
	unsigned long before = atomic_load(&reports);

	if (x->kind == K_LINUX && (r & 3) == 0 && find_iova(&D, x->lo) != x->it)
		atomic_fetch_add(&errors, 1);
	if (x->kind == K_LFAST && (r & 3) == 1) {
		struct iova *f = find_iova(&D, x->lo + x->size - 1);

		if (f && (f->pfn_lo != x->lo || f->pfn_hi < x->lo + x->size - 1))
			atomic_fetch_add(&errors, 1);
	}
	release(x->lo, x->size, w->id);
	switch (x->kind) {
	case K_LINUX:
		if (r & 4)
			__free_iova(&D, x->it);
		else
			free_iova(&D, x->lo + (r >> 8) % x->size);
		break;
	case K_LFAST:
		free_iova_fast(&D, x->lo, x->size);
		break;
	case K_NATIVE:
		if (iova_free(nd, x->lo))
			atomic_fetch_add(&errors, 1);
		break;
	default:
		if (iova_free_fast(nd, x->lo, x->size))
			atomic_fetch_add(&errors, 1);
		break;
	}
	(void)before;
	x->kind = K_NONE;
}

/* A deliberate misuse: must be refused. */
static void do_misuse(struct worker *w)
{
	uint64_t r = iso_rnd(&w->rng);
	unsigned long pfn;

	switch (r % 5) {
	case 0:
		pfn = 0x10 + (r >> 8) % 0x10;		/* below start, reserved */
		break;
	case 1:
		pfn = 0x80 + (r >> 8) % 0x40;		/* below start */
		break;
	case 2:
		pfn = MSI_LO + (r >> 8) % 0x100;	/* the MSI window */
		break;
	case 3:
		pfn = 0x18;				/* the caller's reservation */
		break;
	default: {					/* native, below start */
		if (iova_free_fast(nd, 0x20 + (r >> 8) % 0xC0, 1) != -ENOENT)
			atomic_fetch_add(&errors, 1);
		return;
	}
	}
	atomic_fetch_add(&expected_reports, 1);
	free_iova_fast(&D, pfn, 1);
}

static void *mixed_worker(void *arg)
{
	struct worker *w = arg;
	unsigned long i;

	for (i = 0; i < w->ops; i++) {
		uint64_t r = iso_rnd(&w->rng);
		struct held *x = &w->h[r % HOLD];

		if ((r >> 20) % 64 == 0) {
			do_misuse(w);
		} else if ((r >> 20) % 512 == 1) {
			/* A run-time reservation in this thread's window. */
			unsigned long lo = 0xE000 + w->id * 0x100 +
					   (r >> 32) % 0xF0;

			if (reserve_iova(&D, lo, lo + 3)) {
				unsigned long p;

				for (p = lo; p <= lo + 3; p++) {
					unsigned int prev = atomic_exchange(
						&owner[p], RSV_OWNER);

					if (prev && prev != RSV_OWNER)
						violation("a reservation over a "
							  "live range", p,
							  RSV_OWNER, prev);
				}
			}
		} else if ((r >> 20) % 512 == 2) {
			iova_cache_flush_cpu(nd, (unsigned int)(r >> 40) % 4);
		} else if (x->kind) {
			do_free(w, x);
		} else {
			do_alloc(w, x);
		}
	}
	for (i = 0; i < HOLD; i++)
		if (w->h[i].kind)
			do_free(w, &w->h[i]);
	return NULL;
}

static void rsv_mark(unsigned long lo, unsigned long hi)
{
	unsigned long p;

	for (p = lo; p <= hi && p <= LIMIT; p++)
		atomic_store(&owner[p], RSV_OWNER);
}

static int mixed(unsigned long nthreads, unsigned long ops, uint64_t seed)
{
	struct worker w[8];
	struct iova_stats st;
	const char *why = NULL;
	long base = wrap_live_blocks();
	unsigned long i, p;

	if (nthreads > 8)
		nthreads = 8;
	init_iova_domain(&D, 4096, START);
	/* Misuses are refused only with the full check in a release build
	 * (docs/caches.md: its cost keeps it off by default). */
	ok(iova_linux_init_rcaches(&D, 0, IOVA_LINUX_CHECK_FREES) == 0,
	   "caches set up, frees fully checked");
	nd = iova_linux_native(&D);
	/* Below start_pfn (the caller's) and the MSI window. */
	ok(reserve_iova(&D, 0x10, 0x1F) && reserve_iova(&D, 0x40, 0x4F) &&
		   reserve_iova(&D, MSI_LO, MSI_HI),
	   "reservations");
	for (p = 0; p < START; p++)
		atomic_store(&owner[p], RSV_OWNER);	/* never handed out */
	rsv_mark(MSI_LO, MSI_HI);
	for (i = 0; i < nthreads; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].id = (unsigned int)i + 1;
		w[i].ops = ops;
		w[i].rng = seed * 0x9E3779B97F4A7C15ull + i + 1;
		pthread_create(&w[i].th, NULL, mixed_worker, &w[i]);
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(w[i].th, NULL);
	if (!ok(violations == 0, "%lu threads x %lu ops: the ownership map "
		"holds (no pfn twice, none reserved or below start)", nthreads,
		ops))
		diag("%lu violations", (unsigned long)violations);
	is_int(errors, 0, "no good call refused, every find matched");
	is_int(reports, expected_reports, "every misuse reported as a bad "
	       "free, no good free reported (%lu misuses)",
	       (unsigned long)expected_reports);
	iova_cache_flush_all(nd);
	iova_get_stats(nd, &st);
	is_u64(st.live_ranges, 0, "after a flush nothing is live but the "
	       "reservations");
	ok(iova_domain_validate(nd, &why) == 0, "validate: %s", why ? why : "ok");
	put_iova_domain(&D);
	is_int(wrap_live_blocks() - base, 0, "put_iova_domain gives back every "
	       "block");
	return 0;
}

/* --- findrace ------------------------------------------------------------ */

#define WIN_LO 0x100ul
#define WIN_HI 0x10Ful

static atomic_ulong shared_pfn;
static atomic_int done_ab;
static unsigned long race_ops;
static atomic_ulong b_refused, c_calls;

static void *thread_a(void *arg)
{
	unsigned long i;

	(void)arg;
	for (i = 0; i < race_ops; i++) {
		unsigned long p = alloc_iova_fast(&D, 1, WIN_HI, true);

		if (!p)
			continue;
		claim(p, 1, 1);
		atomic_store(&shared_pfn, p);
		if (i % 4 == 0)
			sched_yield();
		release(p, 1, 1);
		free_iova_fast(&D, p, 1);
	}
	atomic_fetch_add(&done_ab, 1);
	return NULL;
}

static void *thread_b(void *arg)
{
	unsigned long i;

	(void)arg;
	for (i = 0; i < race_ops; i++) {
		struct iova *it = alloc_iova(&D, 1, WIN_HI, false);
		unsigned long before;

		if (!it)
			continue;
		claim(it->pfn_lo, 1, 2);
		release(it->pfn_lo, 1, 2);
		before = atomic_load(&reports);
		__free_iova(&D, it);
		if (atomic_load(&reports) != before)
			atomic_fetch_add(&b_refused, 1);
	}
	atomic_fetch_add(&done_ab, 1);
	return NULL;
}

static void *thread_c(void *arg)
{
	(void)arg;
	while (atomic_load(&done_ab) < 2) {
		unsigned long p = atomic_load(&shared_pfn);

		if (p)
			(void)find_iova(&D, p);	/* not dereferenced */
		atomic_fetch_add(&c_calls, 1);
	}
	return NULL;
}

static int findrace(unsigned long ops, int rc)
{
	pthread_t a, b, c;
	long base = wrap_live_blocks();
	unsigned long p;

	race_ops = ops;
	atomic_store(&done_ab, 0);
	atomic_store(&shared_pfn, 0);
	atomic_store(&b_refused, 0);
	atomic_store(&reports, 0);
	memset((void *)owner, 0, sizeof(owner));
	for (p = 0; p < WIN_LO; p++)
		atomic_store(&owner[p], RSV_OWNER);
	init_iova_domain(&D, 4096, WIN_LO);
	if (rc)
		iova_linux_init_rcaches(&D, 1, 0);
	pthread_create(&a, NULL, thread_a, NULL);
	pthread_create(&b, NULL, thread_b, NULL);
	pthread_create(&c, NULL, thread_c, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	pthread_join(c, NULL);
	is_int(b_refused, 0, "findrace%s: %lu x alloc_iova / __free_iova beside "
	       "fast frees and %lu find_iova: no free refused (no struct "
	       "replaced)", rc ? " (caches)" : "", ops,
	       (unsigned long)c_calls);
	is_int(reports, 0, "findrace%s: no bad free at all", rc ? " (caches)" : "");
	is_int(violations, 0, "findrace%s: ownership map holds",
	       rc ? " (caches)" : "");
	if (rc)
		iova_cache_flush_all(iova_linux_native(&D));
	put_iova_domain(&D);
	is_int(wrap_live_blocks() - base, 0, "findrace%s: no leak",
	       rc ? " (caches)" : "");
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "mixed";

	iova_linux_set_bad_free_hook(bad_free_hook);
	if (!strcmp(mode, "findrace")) {
		unsigned long ops = argc > 2 ? strtoul(argv[2], NULL, 0) : 100000;

		findrace(ops, 0);
		findrace(ops, 1);
	} else {
		unsigned long n = argc > 2 ? strtoul(argv[2], NULL, 0) : 4;
		unsigned long ops = argc > 3 ? strtoul(argv[3], NULL, 0) : 20000;
		uint64_t seed = argc > 4 ? strtoull(argv[4], NULL, 0) : 1;

		mixed(n, ops, seed);
	}
	return tap_done();
}
