// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Replay engine; see replay.h.
 *
 * Timing: each operation is bracketed by two CLOCK_MONOTONIC reads; the
 * median cost of an empty bracket is measured first and subtracted.  The
 * throughput is operations / (sum of the corrected times), so sampling and
 * shadow bookkeeping never count.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ptreap.h"
#include "replay.h"

#define NO_PFN UINT64_MAX

uint64_t replay_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t timer_overhead(void)
{
	uint64_t d[201];
	int i;

	for (i = 0; i < 201; i++) {
		uint64_t t0 = replay_now_ns();

		d[i] = replay_now_ns() - t0;
	}
	qsort(d, 201, sizeof(d[0]), cmp_u64);
	return d[100];
}

/* ---- the "trace" pseudo-design ----------------------------------------- */

static void *tb_create(const void *arg, const struct trace *t)
{
	static int dummy;

	(void)arg;
	(void)t;
	return &dummy;
}

static void tb_destroy(void *ctx)
{
	(void)ctx;
}

static int tb_alloc(void *ctx, const struct trace_op *op, uint64_t *pfn)
{
	(void)ctx;
	if (!op->has_at)
		return -EOPNOTSUPP;
	*pfn = op->at;
	return 0;
}

static int tb_free(void *ctx, uint64_t pfn, const struct trace_op *op)
{
	(void)ctx;
	(void)pfn;
	(void)op;
	return 0;
}

static int tb_reserve(void *ctx, uint64_t lo, uint64_t hi)
{
	(void)ctx;
	(void)lo;
	(void)hi;
	return 0;
}

const struct replay_backend replay_trace_backend = {
	.name = "trace",
	.placement_only = true,
	.create = tb_create,
	.destroy = tb_destroy,
	.alloc = tb_alloc,
	.free = tb_free,
	.reserve = tb_reserve,
	.bytes = NULL,
};

/* ---- shadow state ------------------------------------------------------ */

/*
 * Every live placement is kept in a treap (node lo = first pfn, node end =
 * LAST pfn, inclusive here, so a range may reach UINT64_MAX), which makes
 * the overlap check per allocation O(log n) and a fragmentation sample an
 * in-order walk.  Reservations are few and kept in a sorted array.
 */
struct range {
	uint64_t lo, hi;
};

struct shadow {
	const struct trace *t;
	struct ptreap tr;
	uint64_t *pfn;		/* per slot, NO_PFN when not live */
	size_t *aop;		/* per slot: index of its alloc op */
	uint8_t *in_tree;	/* per slot: placement is in tr */
	uint64_t nlive;
	struct range *res;	/* successful reservations, clipped, sorted */
	size_t nres, res_cap;
	uint64_t pfn4g, lim;
};

static void violate(struct replay_result *res, const struct trace_op *op,
		    const char *what, uint64_t pfn)
{
	if (!res->violations++)
		snprintf(res->violation, sizeof(res->violation),
			 "line %lu: %s (pfn 0x%" PRIx64 ")",
			 (unsigned long)op->line, what, pfn);
}

/* Check one placement against the request, the domain, reservations and
 * live ranges.  Returns false if it must not enter the shadow. */
static bool check_alloc(struct shadow *sh, struct replay_result *res,
			const struct trace_op *op, uint64_t pfn)
{
	const struct trace *t = sh->t;
	uint64_t hi = pfn + op->a - 1;
	uint64_t lim = op->b < t->end_pfn ? op->b : t->end_pfn;
	uint64_t min = op->min_pfn > t->start_pfn ? op->min_pfn : t->start_pfn;
	uint32_t p;
	size_t i;

	if (hi < pfn) {
		violate(res, op, "range wraps past the top", pfn);
		return false;
	}
	if (pfn < min || hi > lim)
		violate(res, op, "placed outside [min, limit] or the domain",
			pfn);
	else if (pfn & (op->align - 1))
		violate(res, op, "misaligned", pfn);
	else if (op->policy == TRACE_EXACT && pfn != op->min_pfn)
		violate(res, op, "exact request placed elsewhere", pfn);
	for (i = 0; i < sh->nres; i++)
		if (pfn <= sh->res[i].hi && hi >= sh->res[i].lo) {
			violate(res, op, "overlaps a reservation", pfn);
			break;
		}
	p = pt_le(&sh->tr, hi);
	if (p != PT_NIL && sh->tr.p[p].end >= pfn) {
		violate(res, op, "overlaps a live allocation", pfn);
		return false;
	}
	return true;
}

static int add_reserve(struct shadow *sh, uint64_t lo, uint64_t hi)
{
	size_t i;

	if (lo < sh->t->start_pfn)
		lo = sh->t->start_pfn;
	if (hi > sh->t->end_pfn)
		hi = sh->t->end_pfn;
	if (lo > hi)
		return 0;
	if (sh->nres == sh->res_cap) {
		size_t nc = sh->res_cap ? sh->res_cap * 2 : 16;
		struct range *r = realloc(sh->res, nc * sizeof(*r));

		if (!r)
			return -ENOMEM;
		sh->res = r;
		sh->res_cap = nc;
	}
	for (i = sh->nres; i > 0 && sh->res[i - 1].lo > lo; i--)
		sh->res[i] = sh->res[i - 1];
	sh->res[i].lo = lo;
	sh->res[i].hi = hi;
	sh->nres++;
	return 0;
}

/* Fragmentation sweep state: walks covered ranges in lo order. */
struct sweep {
	const struct shadow *sh;
	size_t ri;		/* next reservation */
	uint64_t cur;		/* lowest pfn not known to be covered */
	bool top;		/* everything up to end_pfn is covered */
	struct replay_sample *s;
};

static void sweep_gap(struct sweep *w, uint64_t lo, uint64_t hi)
{
	uint64_t l4 = w->sh->pfn4g, lm = w->sh->lim;

	w->s->gaps++;
	if (lo <= l4) {
		uint64_t h = hi < l4 ? hi : l4;

		if (h - lo + 1 > w->s->gap4g || h - lo + 1 == 0)
			w->s->gap4g = h - lo + 1 ? h - lo + 1 : UINT64_MAX;
	}
	if (lo <= lm) {
		uint64_t h = hi < lm ? hi : lm;

		if (h - lo + 1 > w->s->gapmax || h - lo + 1 == 0)
			w->s->gapmax = h - lo + 1 ? h - lo + 1 : UINT64_MAX;
	}
}

static void sweep_cover(struct sweep *w, uint64_t lo, uint64_t hi)
{
	if (w->top || hi < w->cur)
		return;
	if (lo > w->cur)
		sweep_gap(w, w->cur, lo - 1);
	if (hi >= w->sh->t->end_pfn)
		w->top = true;
	else
		w->cur = hi + 1;
}

static int sweep_piece(const struct piece *p, void *arg)
{
	struct sweep *w = arg;
	const struct shadow *sh = w->sh;

	while (w->ri < sh->nres && sh->res[w->ri].lo <= p->lo) {
		sweep_cover(w, sh->res[w->ri].lo, sh->res[w->ri].hi);
		w->ri++;
	}
	sweep_cover(w, p->lo, p->end);
	return 0;
}

static void take_sample(struct shadow *sh, struct replay_sample *s)
{
	struct sweep w;

	w.sh = sh;
	w.ri = 0;
	w.cur = sh->t->start_pfn;
	w.top = false;
	w.s = s;
	s->live = sh->nlive;
	s->gaps = s->gap4g = s->gapmax = 0;
	pt_walk(&sh->tr, sweep_piece, &w);
	for (; w.ri < sh->nres; w.ri++)
		sweep_cover(&w, sh->res[w.ri].lo, sh->res[w.ri].hi);
	if (!w.top)
		sweep_gap(&w, w.cur, sh->t->end_pfn);
}

/* ---- progress ---------------------------------------------------------- */

static void progress(const char *name, size_t done, size_t total,
		    uint64_t elapsed_ns)
{
	char bar[31];
	unsigned fill = total ? (unsigned)((double)done / (double)total * 30) : 30;
	unsigned i;

	for (i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\r%-12.12s [%s] %3u%%  %.1f s ", name, bar,
		total ? (unsigned)((double)done * 100 / (double)total) : 100,
		(double)elapsed_ns / 1e9);
	fflush(stderr);
}

/* ---- the run ----------------------------------------------------------- */

int replay_run(const struct trace *t, const struct replay_backend *be,
	       const struct replay_opts *o, struct replay_result *res)
{
	struct shadow sh;
	uint64_t every, ovh, start, next_check = 4096, last_draw = 0;
	size_t i, cap_samples;
	bool bar = false;
	void *ctx;
	int r = 0;

	memset(res, 0, sizeof(*res));
	snprintf(res->name, sizeof(res->name), "%s", be->name);
	res->placement_only = be->placement_only;
	rhist_init(&res->h_alloc);
	rhist_init(&res->h_free);
	memset(&sh, 0, sizeof(sh));
	sh.t = t;
	pt_init(&sh.tr);
	sh.pfn4g = trace_pfn_4g(t);
	sh.lim = t->max_limit ? t->max_limit : t->end_pfn;
	every = o && o->sample_every ? o->sample_every : t->nops / 256;
	if (!every)
		every = 1;
	cap_samples = t->nops / every + 2;
	res->samples = calloc(cap_samples, sizeof(*res->samples));
	sh.pfn = malloc(((size_t)t->nslots + 1) * sizeof(*sh.pfn));
	sh.aop = malloc(((size_t)t->nslots + 1) * sizeof(*sh.aop));
	sh.in_tree = calloc((size_t)t->nslots + 1, 1);
	if (!res->samples || !sh.pfn || !sh.aop || !sh.in_tree) {
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < t->nslots; i++)
		sh.pfn[i] = NO_PFN;
	ctx = be->create(be->arg, t);
	if (!ctx) {
		r = -ENOMEM;
		goto out;
	}
	ovh = timer_overhead();
	start = replay_now_ns();
	for (i = 0; i < t->nops; i++) {
		const struct trace_op *op = &t->ops[i];
		uint64_t t0, t1, ns, pfn = 0;
		int e;

		switch (op->kind) {
		case TRACE_ALLOC:
			t0 = replay_now_ns();
			e = be->alloc(ctx, op, &pfn);
			t1 = replay_now_ns();
			ns = t1 - t0 > ovh ? t1 - t0 - ovh : 0;
			res->allocs++;
			if (e == -EOPNOTSUPP) {
				res->unsupported++;
				break;
			}
			res->op_ns += ns;
			rhist_add(&res->h_alloc, ns);
			if (e) {
				res->alloc_fail++;
				if (!res->first_fail_line)
					res->first_fail_line = op->line;
				break;
			}
			if (op->has_at && !be->placement_only) {
				res->with_at++;
				res->same_at += pfn == op->at;
			}
			sh.pfn[op->slot] = pfn;
			sh.aop[op->slot] = i;
			sh.in_tree[op->slot] = 0;
			if (check_alloc(&sh, res, op, pfn)) {
				uint32_t n = pt_new(&sh.tr, pfn,
						    pfn + op->a - 1, op->slot);

				if (n == PT_NIL) {
					r = -ENOMEM;
					goto out_destroy;
				}
				pt_insert(&sh.tr, n);
				sh.in_tree[op->slot] = 1;
				sh.nlive++;
			}
			break;
		case TRACE_FREE: {
			uint64_t p = sh.pfn[op->slot];

			res->frees++;
			if (p == NO_PFN) {
				res->skipped_frees++;
				break;
			}
			t0 = replay_now_ns();
			e = be->free(ctx, p, &t->ops[sh.aop[op->slot]]);
			t1 = replay_now_ns();
			ns = t1 - t0 > ovh ? t1 - t0 - ovh : 0;
			res->op_ns += ns;
			rhist_add(&res->h_free, ns);
			if (e) {
				res->free_fail++;
				violate(res, op, "free of a live range failed", p);
			}
			if (sh.in_tree[op->slot]) {
				pt_erase(&sh.tr, p);
				sh.nlive--;
			}
			sh.pfn[op->slot] = NO_PFN;
			break;
		}
		case TRACE_RESERVE:
			res->reserves++;
			t0 = replay_now_ns();
			e = be->reserve(ctx, op->a, op->b);
			t1 = replay_now_ns();
			res->op_ns += t1 - t0 > ovh ? t1 - t0 - ovh : 0;
			if (e) {
				res->reserve_fail++;
				if (!res->first_fail_line)
					res->first_fail_line = op->line;
			} else if (add_reserve(&sh, op->a, op->b)) {
				r = -ENOMEM;
				goto out_destroy;
			}
			break;
		default:
			break;
		}
		res->nops += op->kind != TRACE_NOP;
		if ((i + 1) % every == 0 && res->nsamples < cap_samples) {
			struct replay_sample *s = &res->samples[res->nsamples++];

			take_sample(&sh, s);
			s->op = i + 1;
			s->bytes = be->bytes ? be->bytes(ctx) : 0;
		}
		if (i + 1 == next_check) {
			uint64_t el = replay_now_ns() - start;

			next_check += 4096;
			if (o && o->progress && el > 1000000000u &&
			    el - last_draw >= 100000000u) {
				bar = true;
				last_draw = el;
				progress(be->name, i + 1, t->nops, el);
			}
		}
	}
	if (res->nsamples < cap_samples &&
	    (!res->nsamples || res->samples[res->nsamples - 1].op != t->nops)) {
		struct replay_sample *s = &res->samples[res->nsamples++];

		take_sample(&sh, s);
		s->op = t->nops;
		s->bytes = be->bytes ? be->bytes(ctx) : 0;
	}
	res->wall_s = (double)(replay_now_ns() - start) / 1e9;
	if (bar) {
		progress(be->name, t->nops, t->nops, replay_now_ns() - start);
		fputc('\n', stderr);
	}
	for (i = 0; i < res->nsamples; i++) {
		const struct replay_sample *s = &res->samples[i];

		if (s->bytes > res->peak_bytes)
			res->peak_bytes = s->bytes;
		if (s->live > res->peak_live) {
			res->peak_live = s->live;
			res->bytes_at_peak_live = s->bytes;
		}
	}
	if (res->nsamples) {
		res->final_bytes = res->samples[res->nsamples - 1].bytes;
		res->final_live = res->samples[res->nsamples - 1].live;
	}
out_destroy:
	be->destroy(ctx);
out:
	free(sh.pfn);
	free(sh.aop);
	free(sh.in_tree);
	free(sh.res);
	pt_destroy(&sh.tr);
	if (r)
		replay_result_free(res);
	return r;
}

void replay_result_free(struct replay_result *res)
{
	free(res->samples);
	res->samples = NULL;
	res->nsamples = 0;
	free(res->run_mops);
	res->run_mops = NULL;
}
