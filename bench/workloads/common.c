// SPDX-License-Identifier: MIT OR GPL-2.0-only
/* Helpers shared by the workloads: populate and the churn engine. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench.h"

static unsigned size_class(uint64_t size)
{
	return size <= 1 ? 0u : 64u - (unsigned)__builtin_clzll(size - 1);
}

/* Set-up order: highest limit first, then ascending size class. */
static int cmp_req(const void *x, const void *y)
{
	const struct req *a = x, *b = y;
	unsigned ca, cb;

	if (a->limit != b->limit)
		return a->limit > b->limit ? -1 : 1;
	ca = size_class(a->size);
	cb = size_class(b->size);
	if (ca != cb)
		return ca < cb ? -1 : 1;
	return a->size < b->size ? -1 : a->size > b->size;
}

/* Allocate the sorted reqs; once a limit fails, skip the rest of it. */
static int64_t alloc_sorted(struct bench_run *r, void *a, struct req *q,
			    uint64_t count, uint64_t *slots, uint64_t *filled,
			    uint64_t n)
{
	uint64_t i, deficit = 0, full = NO_PFN;

	qsort(q, count, sizeof(*q), cmp_req);
	for (i = 0; i < count; i++) {
		if (q[i].limit == full ||
		    r->ops->alloc(a, q[i].size, q[i].limit, q[i].aligned,
				  &slots[*filled])) {
			full = q[i].limit;
			deficit++;
		} else {
			++*filled;
		}
		if ((i & 1023) == 0 && bench_setup_over(r, *filled, n))
			return -1;
	}
	return (int64_t)deficit;
}

int64_t populate_gen(struct bench_run *r, void *a, req_gen_fn gen,
		     req_gen_fn refill, uint64_t *slots, uint64_t n,
		     uint64_t *rng)
{
	struct req *q = malloc((n ? n : 1) * sizeof(*q));
	uint64_t i, filled = 0;
	int64_t deficit;

	if (!q) {
		fprintf(stderr, "bench: out of memory\n");
		exit(2);
	}
	for (i = 0; i < n; i++)
		gen(rng, &q[i]);
	deficit = alloc_sorted(r, a, q, n, slots, &filled, n);
	if (deficit > 0 && refill) {
		for (i = 0; i < (uint64_t)deficit; i++)
			refill(rng, &q[i]);
		deficit = alloc_sorted(r, a, q, (uint64_t)deficit, slots,
				       &filled, n);
	}
	free(q);
	return deficit < 0 ? -1 : (int64_t)filled;
}

struct churn_thread {
	struct bench_run *r;
	void *a;
	const struct churn_spec *spec;
	uint64_t *slots;	/* this thread's share */
	uint64_t nslots;
	uint64_t ops;		/* cycles to do */
	uint64_t rng;
	struct bench_stat st;
};

static void *churn_worker(void *arg)
{
	struct churn_thread *t = arg;
	struct bench_run *r = t->r;
	uint64_t k, i, t0, pfn;
	struct req q;

	bench_cpu_begin(&t->st);
	for (k = 0; k < t->ops; k++) {
		i = rng_below(&t->rng, t->nslots);
		t->spec->gen(&t->rng, &q);
		t0 = bench_now();
		if (t->slots[i] != NO_PFN)
			r->ops->free(t->a, t->slots[i]);
		if (r->ops->alloc(t->a, q.size, q.limit, q.aligned, &pfn) == 0) {
			t->slots[i] = pfn;
		} else {
			t->slots[i] = NO_PFN;
			t->st.fails++;
		}
		if (bench_op_done(r, &t->st, t0))
			break;
	}
	bench_cpu_end(&t->st);
	return NULL;
}

/*
 * The populated domain is kept from one repeat to the next (repeat k churns
 * on from where repeat k-1 stopped: the steady state), so the set-up is paid
 * once per workload/n/allocator.
 */
static struct {
	const struct bench_alloc_ops *ops;
	const struct churn_spec *spec;
	uint64_t n, seed;
	void *a;
	uint64_t *slots;
} kept;

int run_churn(struct bench_run *r, const struct churn_spec *spec)
{
	unsigned nt = r->threads ? r->threads : 1, i;
	struct churn_thread *th;
	pthread_t *tid;
	uint64_t *slots, rng = rng_seed(r->seed, 1), per;
	int64_t filled;
	void *a;

	if (nt > r->n)
		nt = 1;
	th = calloc(nt, sizeof(*th));
	tid = calloc(nt, sizeof(*tid));
	if (!th || !tid) {
		fprintf(stderr, "bench: out of memory\n");
		exit(2);
	}
	if (kept.a && kept.ops == r->ops && kept.spec == spec &&
	    kept.n == r->n && kept.seed == r->seed && r->repeat_idx > 0) {
		a = kept.a;
		slots = kept.slots;
		kept.a = NULL;
	} else {
		if (kept.a) {
			kept.ops->destroy(kept.a);
			free(kept.slots);
			kept.a = NULL;
		}
		a = r->ops->create(DOM_START, DOM_END);
		if (!a)
			return -1;
		slots = malloc(r->n * sizeof(*slots));
		if (!slots) {
			fprintf(stderr, "bench: out of memory\n");
			exit(2);
		}
		bench_setup_begin(r);
		filled = populate_gen(r, a, spec->gen, spec->refill, slots,
				      r->n, &rng);
		if (filled < 0)
			goto out;	/* capped in set-up */
		for (i = (uint64_t)filled; i < r->n; i++)
			slots[i] = NO_PFN;
	}
	per = r->n / nt;
	for (i = 0; i < nt; i++) {
		th[i].r = r;
		th[i].a = a;
		th[i].spec = spec;
		th[i].slots = slots + (uint64_t)i * per;
		th[i].nslots = i == nt - 1 ? r->n - (uint64_t)i * per : per;
		th[i].ops = r->ops_target / nt;
		th[i].rng = rng_seed(r->seed, 100 + i + 1000 * (uint64_t)r->repeat_idx);
	}
	bench_measure_begin(r);
	if (nt == 1) {
		churn_worker(&th[0]);
	} else {
		for (i = 0; i < nt; i++)
			if (pthread_create(&tid[i], NULL, churn_worker, &th[i])) {
				fprintf(stderr, "bench: pthread_create failed\n");
				exit(2);
			}
		for (i = 0; i < nt; i++)
			pthread_join(tid[i], NULL);
	}
	bench_measure_end(r);
	r->st.cpu_ns = 0;	/* the workers' own CPU time, not the waiting */
	for (i = 0; i < nt; i++) {
		r->st.cpu_ns += th[i].st.cpu_ns;
		hist_merge(&r->st.hist, &th[i].st.hist);
		r->st.ops += th[i].st.ops;
		r->st.op_ns += th[i].st.op_ns;
		r->st.fails += th[i].st.fails;
	}
	bench_snapshot(r, a);
	if (r->repeat_idx + 1 < r->repeats) {
		kept.ops = r->ops;
		kept.spec = spec;
		kept.n = r->n;
		kept.seed = r->seed;
		kept.a = a;
		kept.slots = slots;
		a = NULL;
	}
out:
	if (a) {
		bench_snapshot(r, a);
		r->ops->destroy(a);
		free(slots);
	}
	free(th);
	free(tid);
	return 0;
}
