/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Shared by the DMA-isolation tests (issue 15): the ownership map, counting
 * memory hooks for native domains, and a helper thread that runs "the other
 * thread's" operations while the main thread is stopped inside a memory
 * hook.  Public headers only; nothing here knows how the library works.
 *
 * The ownership map is the oracle: every range a caller was handed is
 * claimed for its owner, pfn by pfn as far as the overlap test goes, and a
 * claim that overlaps a live claim, a reservation the caller made, a pfn
 * below the domain's start or above its end is an isolation violation.  It
 * knows nothing of caches or rounding: a caller owns what it asked for.
 */
#ifndef IOVA_TESTS_ISO_H
#define IOVA_TESTS_ISO_H

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iova/iova.h"

/* --- random numbers --------------------------------------------------- */

static inline uint64_t iso_rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* ceil(log2(x)) for x >= 1, by counting (independent of the library). */
static inline unsigned int iso_clog2(uint64_t x)
{
	unsigned int k = 0;

	while (k < 64 && (UINT64_C(1) << k) < x)
		k++;
	return k;
}

/* --- the ownership map ------------------------------------------------ */

#define OWN_MAX 8192

enum own_kind {
	OWN_FREE = 0,
	OWN_NATIVE,		/* iova_alloc(): iova_free(lo) */
	OWN_NFAST,		/* iova_alloc_fast(): iova_free_fast(lo, size) */
	OWN_LINUX,		/* alloc_iova(): __free_iova / free_iova */
	OWN_LFAST,		/* alloc_iova_fast(): free_iova_fast(lo, size) */
	OWN_RSV,		/* a reservation the caller made */
};

struct own_entry {
	uint64_t lo, hi;	/* what the caller asked for */
	uint64_t size;		/* the size passed to the allocating call */
	enum own_kind kind;
	unsigned int owner;	/* thread or logical owner */
	void *handle;		/* struct iova * for OWN_LINUX */
	uint64_t gen;		/* claim number (to tell reuses apart) */
};

struct own_map {
	uint64_t start, end;	/* pfns a caller may be handed */
	struct own_entry e[OWN_MAX];
	size_t n;
	uint64_t gens;
	pthread_mutex_t lock;	/* for the threaded users */
};

static inline void own_init(struct own_map *m, uint64_t start, uint64_t end)
{
	m->start = start;
	m->end = end;
	m->n = 0;
	m->gens = 0;
	pthread_mutex_init(&m->lock, NULL);
}

/* The entry overlapping [lo, hi], or -1. */
static inline long own_overlap(const struct own_map *m, uint64_t lo,
			       uint64_t hi)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->e[i].lo <= hi && lo <= m->e[i].hi)
			return (long)i;
	return -1;
}

/* The entry containing pfn, or -1. */
static inline long own_find(const struct own_map *m, uint64_t pfn)
{
	return own_overlap(m, pfn, pfn);
}

/*
 * Claim [lo, lo + size - 1] for owner.  Returns NULL and fills why (a
 * static string) when the claim violates isolation.
 */
static inline struct own_entry *own_claim(struct own_map *m, uint64_t lo,
					  uint64_t size, enum own_kind kind,
					  unsigned int owner, void *handle,
					  const char **why)
{
	uint64_t hi = lo + size - 1;
	long k;

	*why = NULL;
	if (size == 0 || hi < lo)
		*why = "range wraps past UINT64_MAX";
	else if (lo < m->start)
		*why = "pfn below the domain's start handed out";
	else if (hi > m->end)
		*why = "pfn above the domain's end handed out";
	else if ((k = own_overlap(m, lo, hi)) >= 0)
		*why = m->e[k].kind == OWN_RSV
			       ? "a reserved pfn handed out"
			       : "a pfn handed out twice (owned by another range)";
	else if (m->n == OWN_MAX)
		*why = "test ownership map full";
	if (*why)
		return NULL;
	m->e[m->n] = (struct own_entry){ lo, hi, size, kind, owner, handle,
					 ++m->gens };
	return &m->e[m->n++];
}

/* Reservations: merged with nothing (an overlap test needs no merging). */
static inline void own_reserve(struct own_map *m, uint64_t lo, uint64_t hi)
{
	if (m->n < OWN_MAX)
		m->e[m->n++] = (struct own_entry){ lo, hi, 0, OWN_RSV, 0, NULL,
						   ++m->gens };
}

static inline void own_drop(struct own_map *m, size_t i)
{
	m->e[i] = m->e[--m->n];
}

/* --- counting memory hooks for native domains ------------------------- */

/*
 * Every block carries its size in a 64-byte header; a free with another
 * size, or of a block never handed out, is counted as a hook error.  The
 * k-th alloc call can be made to fail, or to run a callback first (the
 * callback runs on the calling thread, which may be inside any library
 * call that allocates).
 */
struct mem_ctl {
	atomic_long live_bytes, live_blocks;
	atomic_ulong calls;	/* alloc calls */
	atomic_ulong errors;	/* free of a bad block or with a bad size */
	unsigned long fail_at;	/* fail the call with this number; 0: off */
	bool failed;		/* the armed failure fired */
	unsigned long cb_at;	/* run cb at the call with this number */
	void (*cb)(void *arg);
	void *cb_arg;
	bool cb_ran;
};

#define MEM_MAGIC UINT64_C(0x150a110c8eadbeef)

static inline void *mem_ctl_alloc(size_t size, void *ctx)
{
	struct mem_ctl *c = ctx;
	unsigned long n = atomic_fetch_add(&c->calls, 1) + 1;
	unsigned char *p;
	uint64_t hdr[2];

	if (c->cb && c->cb_at == n) {
		void (*cb)(void *) = c->cb;

		c->cb = NULL;
		c->cb_ran = true;
		cb(c->cb_arg);
	}
	if (c->fail_at && c->fail_at == n) {
		c->fail_at = 0;
		c->failed = true;
		return NULL;
	}
	if (posix_memalign((void **)&p, 64, size + 64))
		return NULL;
	hdr[0] = MEM_MAGIC;
	hdr[1] = size;
	memcpy(p, hdr, sizeof(hdr));
	atomic_fetch_add(&c->live_bytes, (long)size);
	atomic_fetch_add(&c->live_blocks, 1);
	return p + 64;
}

static inline void mem_ctl_free(void *ptr, size_t size, void *ctx)
{
	struct mem_ctl *c = ctx;
	unsigned char *p;
	uint64_t hdr[2];

	if (!ptr) {
		atomic_fetch_add(&c->errors, 1);
		return;
	}
	p = (unsigned char *)ptr - 64;
	memcpy(hdr, p, sizeof(hdr));
	if (hdr[0] != MEM_MAGIC || hdr[1] != size) {
		atomic_fetch_add(&c->errors, 1);
		return;	/* keep it: a bad free must not corrupt the heap */
	}
	hdr[0] = 0;
	memcpy(p, hdr, sizeof(hdr));
	atomic_fetch_sub(&c->live_bytes, (long)size);
	atomic_fetch_sub(&c->live_blocks, 1);
	free(p);
}

static inline void mem_ctl_hooks(struct mem_ctl *c, struct iova_mem_hooks *h)
{
	memset(c, 0, sizeof(*c));
	h->alloc = mem_ctl_alloc;
	h->free = mem_ctl_free;
	h->ctx = c;
}

/* --- the other thread ------------------------------------------------- */

/*
 * A helper thread that runs fn(arg) on request.  side_run() waits for it
 * at most wait_ms: true if it finished (it ran entirely while the caller
 * was stopped where it called side_run()), false if it is still running,
 * i.e. blocked on something the caller holds (the library serialises the
 * two: that interleaving cannot happen).  side_join() waits for the end.
 */
struct side {
	pthread_t th;
	pthread_mutex_t m;
	pthread_cond_t cv;
	void (*fn)(void *);
	void *arg;
	int state;		/* 0 idle, 1 requested, 2 running, 3 quit */
	bool started;
};

static inline void *side_main(void *p)
{
	struct side *s = p;

	pthread_mutex_lock(&s->m);
	for (;;) {
		while (s->state == 0 || s->state == 2)
			pthread_cond_wait(&s->cv, &s->m);
		if (s->state == 3)
			break;
		s->state = 2;
		pthread_mutex_unlock(&s->m);
		s->fn(s->arg);
		pthread_mutex_lock(&s->m);
		s->state = 0;
		pthread_cond_broadcast(&s->cv);
	}
	pthread_mutex_unlock(&s->m);
	return NULL;
}

static inline void side_start(struct side *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->m, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (pthread_create(&s->th, NULL, side_main, s))
		abort();
	s->started = true;
}

static inline bool side_run(struct side *s, void (*fn)(void *), void *arg,
			    unsigned int wait_ms)
{
	struct timespec ts;
	bool done;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += wait_ms / 1000;
	ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->m);
	s->fn = fn;
	s->arg = arg;
	s->state = 1;
	pthread_cond_broadcast(&s->cv);
	while (s->state != 0)
		if (pthread_cond_timedwait(&s->cv, &s->m, &ts) == ETIMEDOUT)
			break;
	done = s->state == 0;
	pthread_mutex_unlock(&s->m);
	return done;
}

static inline void side_join(struct side *s)
{
	pthread_mutex_lock(&s->m);
	while (s->state != 0)
		pthread_cond_wait(&s->cv, &s->m);
	pthread_mutex_unlock(&s->m);
}

static inline void side_stop(struct side *s)
{
	if (!s->started)
		return;
	side_join(s);
	pthread_mutex_lock(&s->m);
	s->state = 3;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->m);
	pthread_join(s->th, NULL);
	s->started = false;
}

#endif
