/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Issue 15, finding 6: no false ENOMEM while the caches hold the space.
 *
 * A differential run with the caches on: random fast and non-fast calls
 * on one small domain (so that it fills up and the caches hold a good part
 * of it), against the brute-force model of tests/oracle/oracle.h holding
 * the *user-visible* state: the ranges the user holds and the reservations
 * it made.  The library's cached ranges are not in the model: for the user
 * they are free space.  So:
 *
 *  - iova_alloc() / alloc_iova() (not fast) must succeed whenever the model
 *    has a fit for the request (size, alignment, bounds, policy; EXACT: the
 *    exact range is free); a failure then is a false ENOMEM.  Counted, must
 *    be 0.
 *  - iova_alloc_fast() / alloc_iova_fast() with flush_retry: the same.
 *    Without flush_retry a failure is allowed (documented).
 *  - Every range handed out lies in the model's free space, inside the
 *    bounds, aligned (the ownership check: never a pfn twice, never a
 *    reserved one).
 *
 * usage: test_no_false_enomem native|linux [OPS [SEED]]
 */
#include "iova/iova.h"
#include "iova/cache.h"
#include "iova/linux.h"

#include "tap.h"
#include "oracle/oracle.h"
#include "isolation/iso.h"
#include "isolation/iso_wrap.h"

#define START 0x10u
#define END 0xFFFu		/* 4080 pfns */
#define MAX_LIVE 400

struct held {
	uint64_t lo, size;	/* size as asked (fast: as passed) */
	uint64_t span;		/* pfns the model marks (rounded) */
	int kind;		/* 0 plain, 1 fast */
	struct iova *it;	/* alloc_iova */
};

static struct oracle user;	/* user ranges + reservations */
static struct held held[MAX_LIVE];
static size_t nheld;
static uint64_t rng;
static unsigned long false_enomem, bad_place, allocs, fails, first_op;
static unsigned long op;

static uint64_t rnd(void)
{
	return iso_rnd(&rng);
}

static uint64_t pick_size(void)
{
	uint64_t r = rnd();

	switch (r & 7) {
	case 0: case 1: case 2:
		return 1 + (r >> 8) % 4;
	case 3: case 4:
		return 1 + (r >> 8) % 32;
	case 5:
		return 1 + (r >> 8) % 64;
	case 6:
		return 1 + (r >> 8) % 200;
	default:
		return UINT64_C(1) << ((r >> 8) % 8);
	}
}

static void place_ok(uint64_t lo, uint64_t span, uint64_t align, uint64_t min,
		     uint64_t max, const char *what)
{
	if (lo % align || lo < min || lo + span - 1 > max ||
	    !oracle_is_free(&user, lo, lo + span - 1)) {
		if (!bad_place++)
			diag("op %lu: %s handed out [%#" PRIx64 ", +%" PRIu64
			     "] (align %" PRIu64 ", bounds [%#" PRIx64 ", %#"
			     PRIx64 "]): not free for the user, or out of "
			     "bounds", op, what, lo, span, align, min, max);
	}
}

static void note_false(const char *what, uint64_t size, uint64_t align,
		       uint64_t min, uint64_t max, uint64_t fit)
{
	if (!false_enomem++) {
		first_op = op;
		diag("op %lu: %s(size %" PRIu64 ", align %" PRIu64 ", [%#" PRIx64
		     ", %#" PRIx64 "]) failed; the user-visible space has a fit "
		     "at %#" PRIx64, op, what, size, align, min, max, fit);
	}
}

static void hold(uint64_t lo, uint64_t size, uint64_t span, int kind,
		 struct iova *it)
{
	oracle_insert(&user, lo, lo + span - 1, false);
	held[nheld++] = (struct held){ lo, size, span, kind, it };
}

static struct held *pick_held(void)
{
	return nheld ? &held[rnd() % nheld] : NULL;
}

static void unhold(struct held *h)
{
	oracle_free(&user, h->lo);
	*h = held[--nheld];
}

/* A request: size, align, bounds, policy. */
struct req {
	uint64_t size, align, min, max;
	int policy;		/* 0 top, 1 bottom, 2 exact */
};

static void pick_req(struct req *q)
{
	uint64_t r = rnd();

	q->size = pick_size();
	q->align = (r & 1) ? UINT64_C(1) << iso_clog2(q->size) : 1;
	q->min = 0;
	q->max = UINT64_MAX;
	if ((r >> 1) % 4 == 0) {	/* a window */
		q->min = START + (r >> 8) % (END - START);
		q->max = q->min + (r >> 24) % 2048;
	} else if ((r >> 1) % 4 == 1) {	/* a mask */
		q->max = (UINT64_C(1) << (6 + (r >> 8) % 7)) - 1;
	}
	q->policy = (r >> 4) % 16 == 0 ? 2 : (r >> 4) % 3 == 0 ? 1 : 0;
	if (q->policy == 2) {
		q->min = (START + (r >> 32) % (END - START)) & ~(q->align - 1);
		q->max = UINT64_MAX;
	}
}

/* The model's answer: 0 and *at, or -ENOMEM. */
static int model(const struct req *q, uint64_t *at)
{
	if (q->policy == 2) {
		if (q->min < START || q->min + q->size - 1 > END ||
		    !oracle_is_free(&user, q->min, q->min + q->size - 1))
			return -ENOMEM;
		*at = q->min;
		return 0;
	}
	return oracle_place(&user, q->size, q->align, q->min, q->max,
			    q->policy == 0, at);
}

/* --- native -------------------------------------------------------------- */

static struct iova_ndomain *nd;

static void n_alloc(void)
{
	struct req q;
	uint64_t at = 0, pfn = 0;
	int w, r;
	static const enum iova_policy pol[] = { IOVA_TOP_DOWN, IOVA_BOTTOM_UP,
						IOVA_EXACT };

	pick_req(&q);
	if (nheld == MAX_LIVE)
		return;
	w = model(&q, &at);
	r = iova_alloc(nd, q.size, q.align, q.min, q.max, pol[q.policy], &pfn);
	allocs++;
	if (r == 0) {
		place_ok(pfn, q.size, q.align, q.min, q.max, "iova_alloc");
		if (oracle_is_free(&user, pfn, pfn + q.size - 1))
			hold(pfn, q.size, q.size, 0, NULL);
		return;
	}
	fails++;
	if (w == 0)
		note_false("iova_alloc", q.size, q.align, q.min, q.max, at);
}

static void n_alloc_fast(void)
{
	uint64_t size = pick_size(), r8 = rnd(), max, span, align, at = 0, pfn = 0;
	bool flush = r8 & 1;
	unsigned int ord = iso_clog2(size);
	int r, w;

	if (nheld == MAX_LIVE)
		return;
	max = (r8 & 6) ? START + (r8 >> 8) % (END - START + 64) : UINT64_MAX;
	align = UINT64_C(1) << ord;
	span = ord < 6 ? align : size;
	w = oracle_place(&user, span, align, 0, max, true, &at);
	r = iova_alloc_fast(nd, size, max, flush, &pfn);
	allocs++;
	if (r == 0) {
		place_ok(pfn, span, align, 0, max, "iova_alloc_fast");
		if (oracle_is_free(&user, pfn, pfn + span - 1))
			hold(pfn, size, span, 1, NULL);
		return;
	}
	fails++;
	if (flush && w == 0)
		note_false("iova_alloc_fast(flush_retry)", span, align, 0, max, at);
}

static void n_free(void)
{
	struct held *h = pick_held();
	int r;

	if (!h)
		return;
	r = h->kind ? iova_free_fast(nd, h->lo, h->size) : iova_free(nd, h->lo);
	if (r && !bad_place++)
		diag("op %lu: free of a held range refused: %d", op, r);
	unhold(h);
}

static void n_reserve(void)
{
	uint64_t lo = START + rnd() % (END - START), hi = lo + rnd() % 8;
	int r = iova_reserve(nd, lo, hi);

	if (r == 0) {
		if (oracle_reserve(&user, lo, hi) == -EBUSY && !bad_place++)
			diag("op %lu: iova_reserve over a user range succeeded",
			     op);
	}
}

static void run_native(unsigned long ops)
{
	struct iova_domain_config cfg = { .granule = 4096, .start_pfn = START,
					  .end_pfn = END };
	struct iova_cache_config cc = { .nr_cpus = 1, .mag_size = 16,
					.depot_max = 2 };
	const char *why = NULL;

	if (iova_domain_create(&cfg, &nd) || iova_domain_init_caches(nd, &cc)) {
		ok(0, "set-up");
		return;
	}
	oracle_init(&user, START, END);
	for (op = 0; op < ops; op++) {
		uint64_t r = rnd() % 100;

		if (r < 30)
			n_alloc();
		else if (r < 60)
			n_alloc_fast();
		else if (r < 96)
			n_free();
		else if (r < 98)
			n_reserve();
		else if (r < 99)
			iova_cache_flush_cpu(nd, 0);
		else
			iova_cache_trim(nd);
		if (op % 4096 == 0 && iova_domain_validate(nd, &why)) {
			ok(0, "validate at op %lu: %s", op, why);
			break;
		}
	}
	iova_domain_destroy(nd);
}

/* --- Linux ---------------------------------------------------------------- */

static struct iova_domain D;
static unsigned long reports;

static void hook(struct iova_domain *iovad, unsigned long pfn, const char *what)
{
	(void)iovad;
	if (!reports++)
		diag("op %lu: bad free of %#lx reported: %s", op, pfn, what);
}

static void l_alloc(void)
{
	uint64_t size = pick_size(), r8 = rnd(), at = 0, align, max;
	bool aligned = r8 & 1;
	struct iova *it;
	int w;

	if (nheld == MAX_LIVE)
		return;
	max = (r8 & 6) ? START + (r8 >> 8) % (END - START + 1) : END;
	align = aligned ? UINT64_C(1) << iso_clog2(size) : 1;
	w = oracle_place(&user, size, align, START, max, true, &at);
	it = alloc_iova(&D, size, max, aligned);
	allocs++;
	if (it) {
		place_ok(it->pfn_lo, size, align, START, max, "alloc_iova");
		if (oracle_is_free(&user, it->pfn_lo, it->pfn_lo + size - 1))
			hold(it->pfn_lo, size, size, 0, it);
		return;
	}
	fails++;
	if (w == 0 && max >= START)
		note_false("alloc_iova", size, align, START, max, at);
}

static void l_alloc_fast(void)
{
	uint64_t size = pick_size(), r8 = rnd(), at = 0, align, max, span;
	bool flush = r8 & 1;
	unsigned long pfn;
	int w;

	if (nheld == MAX_LIVE)
		return;
	max = (r8 & 6) ? START + (r8 >> 8) % (END - START + 1) : END;
	align = UINT64_C(1) << iso_clog2(size);
	span = size < 32 ? align : size;
	w = oracle_place(&user, span, align, START, max, true, &at);
	pfn = alloc_iova_fast(&D, size, max, flush);
	allocs++;
	if (pfn) {
		place_ok(pfn, span, align, START, max, "alloc_iova_fast");
		if (oracle_is_free(&user, pfn, pfn + span - 1))
			hold(pfn, size, span, 1, NULL);
		return;
	}
	fails++;
	if (flush && w == 0 && max >= START)
		note_false("alloc_iova_fast(flush)", span, align, START, max, at);
}

static void l_free(void)
{
	struct held *h = pick_held();

	if (!h)
		return;
	if (h->kind)
		free_iova_fast(&D, h->lo, h->size);
	else if (rnd() & 1)
		__free_iova(&D, h->it);
	else
		free_iova(&D, h->lo + rnd() % h->size);
	unhold(h);
}

static void l_reserve(void)
{
	uint64_t lo = START + rnd() % (END - START), hi = lo + rnd() % 8;

	if (hi > END)
		hi = END;
	if (reserve_iova(&D, lo, hi) &&
	    oracle_reserve(&user, lo, hi) == -EBUSY && !bad_place++)
		diag("op %lu: reserve_iova over a user range succeeded", op);
}

static void run_linux(unsigned long ops)
{
	struct iova_ndomain *n;
	const char *why = NULL;

	iova_linux_set_bad_free_hook(hook);
	init_iova_domain(&D, 4096, START);
	if (iova_linux_init_rcaches(&D, 1, 0)) {
		ok(0, "set-up");
		return;
	}
	n = iova_linux_native(&D);
	/* The Linux domain spans the whole pfn space; the test uses
	 * [START, END] of it (every limit is at most END). */
	oracle_init(&user, START, END);
	for (op = 0; op < ops; op++) {
		uint64_t r = rnd() % 100;

		if (r < 30)
			l_alloc();
		else if (r < 60)
			l_alloc_fast();
		else if (r < 97)
			l_free();
		else if (r < 99)
			l_reserve();
		else
			iova_cache_flush_cpu(n, 0);
		if (op % 4096 == 0 && iova_domain_validate(n, &why)) {
			ok(0, "validate at op %lu: %s", op, why);
			break;
		}
	}
	is_int(reports, 0, "linux: no bad free of a held range");
	put_iova_domain(&D);
}

int main(int argc, char **argv)
{
	bool lin = argc > 1 && !strcmp(argv[1], "linux");
	unsigned long ops = argc > 2 ? strtoul(argv[2], NULL, 0) : 300000;

	rng = argc > 3 ? strtoull(argv[3], NULL, 0) : 15;
	rng = rng * UINT64_C(0x9E3779B97F4A7C15) + 1;
	if (lin)
		run_linux(ops);
	else
		run_native(ops);
	diag("%s: %lu ops, %lu allocation calls, %lu failed, %lu false ENOMEM "
	     "(first at op %lu)", lin ? "linux" : "native", ops, allocs, fails,
	     false_enomem, first_op);
	is_int(false_enomem, 0, "%s, caches on: no false ENOMEM from the "
	       "non-fast allocation or a flushing fast one (%lu ops)",
	       lin ? "linux" : "native", ops);
	is_int(bad_place, 0, "%s: every range handed out was free for the "
	       "user and inside its bounds", lin ? "linux" : "native");
	oracle_free_all(&user);
	return tap_done();
}
