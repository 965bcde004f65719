/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Per-CPU magazine caches: internal types shared by the files of src/cache/
 * and the tests (which may include this header to look inside).
 * Environment-neutral: CPU numbers and locks come from src/env.h.
 *
 * Invariants (checked by the validate hook; cited as "C1)" etc.):
 *  C1) Every CPU slot has a non-NULL loaded and prev magazine per order,
 *      each holding n <= mag_size pfns.
 *  C2) A depot's full stack holds magazines with exactly mag_size pfns,
 *      its empty stack spare magazines; both hold <= depot_max.
 *  C3) Every cached pfn of order k is the start of a live (not reserved)
 *      index range of exactly 2^k pfns, so the index never sees it as free.
 *  C4) No pfn is cached twice (so no range can be handed out twice).
 *  C5) With checked frees, the set of cached pfns (struct cached_set) holds
 *      exactly the pfns in magazines (C4 is then enforced at every free).
 *
 * A range is at any instant in exactly one of: held by a user, one
 * magazine slot (C3, C4), in flight between a magazine and the index (a
 * local array of a flush or trim: still live in the index), or free in the
 * index.  Moves between "user" and "magazine" happen under the CPU slot's
 * lock; moves of whole magazines between a slot and the depot happen under
 * both the slot's and the depot's lock.
 *
 * Lock order: CPU slot lock -> depot lock -> domain lock.  CPU slot locks
 * are only ever nested in ascending slot order (validate, stats).  The
 * memory hooks are never called with any of these held, except the free
 * hook under the domain lock (domain.h).
 */
#ifndef IOVA_CACHE_MAG_H
#define IOVA_CACHE_MAG_H

#include "../domain/domain.h"
#include "../../include/iova/cache.h"

#define IOVA_CACHE_LINE 64

/* Test hook: a random yield at a magazine or depot handoff. */
#if IOVA_TEST_HOOKS
#define cache_yield() iova__test_yield()
#else
#define cache_yield() ((void)0)
#endif

/* The public defaults and limits (include/iova/cache.h) as the code needs them. */
_Static_assert(IOVA_CACHE_DEFAULT_MAX_ORDER <= IOVA_CACHE_MAX_ORDER,
	       "default orders within the limit");
_Static_assert(IOVA_CACHE_MAX_ORDER < 64, "2^order fits in a pfn");
_Static_assert(((8 + 8 * IOVA_CACHE_DEFAULT_MAG_SIZE) &
		(8 + 8 * IOVA_CACHE_DEFAULT_MAG_SIZE - 1)) == 0,
	       "the default magazine is a power of two bytes (1024)");

/*
 * A magazine: a stack of pfns of one order.  In a CPU slot, n is the count
 * (pfn[0..n-1] valid, pfn[n-1] the top).  In the depot the count is
 * implied (full: mag_size, empty: 0) and the word is free to link
 * magazines on their way back to the index.  8 + 8 * mag_size bytes.
 */
struct iova_mag {
	union {
		size_t n;
		struct iova_mag *next;
	};
	uint64_t pfn[];
};

/* One order of one CPU slot.  Written only under the slot's lock. */
struct cache_slot {
	struct iova_mag *loaded;	/* allocations pop here first */
	struct iova_mag *prev;		/* swapped in when loaded runs dry/full */
	uint64_t hits, misses;
};

/* A CPU slot: a cache-line aligned array entry of rc->cpu_stride bytes. */
struct cache_cpu {
	iova_spin_t lock;
	unsigned int index;
	uint64_t _pad;
	struct cache_slot slot[];	/* rc->max_order of them */
};

/*
 * A stack of magazines with the CPU slot each came from (nobody's: the
 * slot count).  A slot takes back its own newest magazine before another
 * slot's: its lines are still in that CPU's cache, so magazines (full or
 * empty) move between CPUs only when one CPU frees what another allocates.
 * Counting identity: mag[0..nr-1] are the magazines, oldest first, and
 * nr <= the arrays' size (depot_max).
 */
struct mag_stack {
	struct iova_mag **mag;	/* cap entries, then cap owners (unsigned) */
	unsigned int nr, cap;
};

static inline unsigned int *mag_stack_owner(const struct mag_stack *st)
{
	return (unsigned int *)(void *)(st->mag + st->cap);
}

/* With the depot lock held and nr < cap. */
static inline void mag_stack_push(struct mag_stack *st, struct iova_mag *m,
				  unsigned int owner)
{
	st->mag[st->nr] = m;
	mag_stack_owner(st)[st->nr] = owner;
	st->nr++;
}

/* With the depot lock held: owner's newest magazine, else the newest. */
static inline struct iova_mag *mag_stack_pop(struct mag_stack *st,
					     unsigned int owner)
{
	unsigned int *own = mag_stack_owner(st);
	unsigned int i = st->nr, k;
	struct iova_mag *m;

	if (!i)
		return NULL;
	k = i - 1;
	while (i--) {
		if (own[i] == owner) {
			k = i;
			break;
		}
	}
	m = st->mag[k];
	for (; k + 1 < st->nr; k++) {
		st->mag[k] = st->mag[k + 1];
		own[k] = own[k + 1];
	}
	st->nr--;
	return m;
}

/*
 * The depot of one order: full magazines (each with mag_size pfns) and
 * spare empty ones, at most depot_max of each.  What a push or a pop
 * touches is in the first line (lock, stacks, counters) and the stacks'
 * arrays, which follow the struct in the same block (rc->depot_stride).
 * Counting identity: pushes - pops - (full magazines taken by flushes and
 * trims) == full.nr.
 */
struct cache_depot {
	_Alignas(IOVA_CACHE_LINE) iova_spin_t lock;
	struct mag_stack full, empty;
	uint64_t pushes, pops;
	/* second line: rare events */
	_Alignas(IOVA_CACHE_LINE) uint64_t trims;
	uint64_t flushes, flushed_ranges, put_fallbacks;
};

/*
 * The pfns now in magazines, when frees are checked (C5): buckets of 8
 * slots, a pfn in the bucket its hash picks and nowhere else.  A slot is 0
 * (free) or pfn + 1.  Inserts happen under the domain lock (so they never
 * race each other) after the free was checked against the index; removals
 * (a hand-out) clear their slot with a compare-and-swap, lock-free.  A pfn
 * whose bucket is full is not cached: it goes back to the index.
 */
#define CACHED_SET_WAYS 8
struct cached_set {
	uint64_t *slot;		/* nr_buckets * CACHED_SET_WAYS */
	uint64_t mask;		/* nr_buckets - 1 */
	size_t bytes;
};

struct iova_rcache {
	/* Read-only after init (shared by every CPU without bouncing). */
	_Alignas(IOVA_CACHE_LINE) unsigned int max_order;
	unsigned int mag_size, nr_cpus, depot_max, flags;
	bool checked;			/* frees checked against the index */
	uint64_t start, room;		/* domain start, end - start */
	size_t mag_bytes;		/* 8 + 8 * mag_size */
	size_t cpu_stride;		/* bytes per CPU slot: 1 << cpu_shift,
					 * at least a cache line */
	unsigned int cpu_shift;
	char *cpus;			/* nr_cpus slots, line aligned */
	char *depot;			/* max_order depots, line aligned,
					 * depot_stride bytes apart */
	size_t depot_stride;
	struct cached_set set;		/* checked frees only */
	uint64_t *scratch;		/* checked frees only: validation's
					 * array (validate allocates nothing) */
	size_t scratch_bytes;
	void *cpus_raw, *depot_raw;	/* what the hooks returned (the depot
					 * block also holds the full arrays) */
	size_t cpus_raw_bytes, depot_raw_bytes;
	void *self_raw;			/* this struct, as allocated */
	size_t self_raw_bytes;
};

static inline struct cache_depot *cache_depot_at(const struct iova_rcache *rc,
						 unsigned int order)
{
	return (struct cache_depot *)(void *)(rc->depot + order * rc->depot_stride);
}

/* Derived facts the code relies on. */
_Static_assert(sizeof(size_t) == sizeof(void *),
	       "a magazine's first word is a count or a link");
_Static_assert(offsetof(struct cache_depot, trims) == IOVA_CACHE_LINE &&
	       sizeof(struct cache_depot) == 2 * IOVA_CACHE_LINE,
	       "a push or pop touches the depot's first line only");

static inline struct cache_cpu *cache_cpu_at(const struct iova_rcache *rc,
					     unsigned int i)
{
	return (struct cache_cpu *)(void *)(rc->cpus + ((size_t)i << rc->cpu_shift));
}

/* --- shared by cache.c and depot.c --------------------------------- */

/* --- mag.c: the bottom of the layer ---------------------------------- */

/* Magazine memory through the domain's hooks (an empty magazine). */
struct iova_mag *iova__mag_alloc(struct iova_ndomain *d,
				 const struct iova_rcache *rc);
void iova__mag_free(struct iova_ndomain *d, struct iova_mag *m);

/*
 * With d->lock held: give n cached pfns of order back to the index (and
 * out of the cached set).
 */
void iova__cache_release_locked(struct iova_ndomain *d, const uint64_t *pfn,
				size_t n, unsigned int order);

/* The domain hooks of the caches (struct iova__domain_ext). */
int iova__cache_validate(struct iova_ndomain *d, const char **why);
void iova__cache_destroy(struct iova_ndomain *d);

/* Is pfn in any magazine of order (takes each lock in turn)? */
bool iova__cache_contains(struct iova_ndomain *d, unsigned int order,
			  uint64_t pfn);

/* Cached-set operations (C5); see struct cached_set. */
int iova__cached_set_init(struct iova_ndomain *d, struct iova_rcache *rc);
bool iova__cached_set_has(const struct cached_set *s, uint64_t pfn);
/* Under d->lock: 0, -EEXIST (cached already), -ENOSPC (not recordable). */
int iova__cached_set_insert(struct cached_set *s, uint64_t pfn);
/* Lock-free; the pfn must be in the set. */
void iova__cached_set_remove(struct cached_set *s, uint64_t pfn);

/* --- for tests ----------------------------------------------------- */

/* Turn the random handoff yields on or off (test-hooks library only). */
void iova__cache_set_debug_yield(struct iova_ndomain *d, bool on);

/* Counts of CPU slot cpu, order: loaded n, prev n.  -ENOENT/-EINVAL. */
int iova__cache_slot_counts(struct iova_ndomain *d, unsigned int cpu,
			    unsigned int order, unsigned int *loaded,
			    unsigned int *prev);

/* The depot's full and empty magazine counts of one order. */
int iova__cache_depot_counts(struct iova_ndomain *d, unsigned int order,
			     unsigned int *nr_full, unsigned int *nr_empty);

/* --- the hot path (inlined by both APIs' entry points) ---------------- */

static inline unsigned int cache_this_cpu(const struct iova_rcache *rc)
{
	unsigned int u = iova_this_cpu();

	return iova_likely(u < rc->nr_cpus) ? u : u % rc->nr_cpus;
}


/*
 * ceil(log2 size) for 1 <= size <= 2^63, without a branch: the order the
 * caches file a size under.  The entry points compute it once and pass it
 * down; a size outside that interval never gets here (-EINVAL).
 */
static inline unsigned int cache_size_order(uint64_t size)
{
	return iova_flog2(2 * size - 1);
}

/* 1 <= size <= 2^63 (one compare). */
static inline bool cache_size_ok(uint64_t size)
{
	return size - 1 < (UINT64_C(1) << 63);
}

/*
 * A hit on an uncontended slot: the top of this CPU's loaded magazine, if
 * it starts at or below top.  false on anything else (busy slot, empty
 * magazine, a top entry above the limit): the caller takes the slow path,
 * which redoes the whole attempt.
 */
static inline bool cache_try_get(struct iova_rcache *rc, unsigned int order,
				 uint64_t top, uint64_t *pfn_out)
{
	struct cache_cpu *c = cache_cpu_at(rc, cache_this_cpu(rc));
	struct cache_slot *s;
	struct iova_mag *m;
	uint64_t pfn;
	size_t n;

	if (iova_unlikely(!iova_spin_trylock(&c->lock)))
		return false;
	s = &c->slot[order];
	m = s->loaded;
	n = m->n;
	pfn = n ? m->pfn[n - 1] : UINT64_MAX;
	if (iova_unlikely(!n) || iova_unlikely(pfn > top)) {
		iova_spin_unlock(&c->lock);
		return false;
	}
	m->n = n - 1;
	s->hits++;
	iova_spin_unlock(&c->lock);
	if (rc->checked)
		iova__cached_set_remove(&rc->set, pfn);
	*pfn_out = pfn;
	return true;
}

/* A push to an uncontended slot whose loaded magazine has room. */
static inline bool cache_try_put(struct iova_rcache *rc, unsigned int order,
				 uint64_t pfn)
{
	struct cache_cpu *c = cache_cpu_at(rc, cache_this_cpu(rc));
	struct iova_mag *m;
	size_t n;

	if (iova_unlikely(!iova_spin_trylock(&c->lock)))
		return false;
	m = c->slot[order].loaded;
	n = m->n;
	if (iova_unlikely(n >= rc->mag_size)) {
		iova_spin_unlock(&c->lock);
		return false;
	}
	m->pfn[n] = pfn;
	m->n = n + 1;
	iova_spin_unlock(&c->lock);
	return true;
}

/*
 * The free's geometry: aligned to its order and inside the domain.  A pfn
 * below the start wraps pfn - start past room, so one compare covers both
 * ends.
 */
static inline bool cache_bad_geometry(const struct iova_rcache *rc, uint64_t pfn,
				uint64_t span)
{
	return (pfn & span) || span > rc->room ||
	       pfn - rc->start > rc->room - span;
}

/*
 * The whole cached side of the entry points (native and Linux), for a size
 * of the given order: a hit under max_pfn, or false (not served here).
 */
static inline bool cache_fast_get(struct iova_rcache *rc, unsigned int order,
				  uint64_t max_pfn, uint64_t *pfn_out)
{
	uint64_t span;

	if (iova_unlikely(!rc || order >= rc->max_order))
		return false;
	span = ((uint64_t)1 << order) - 1;
	if (iova_likely(max_pfn >= span) &&
	    iova_likely(cache_try_get(rc, order, max_pfn - span, pfn_out))) {
		iova_env_count(IOVA_EV_CACHE_HIT);
		return true;
	}
	return false;
}

/*
 * The same for a free into unchecked caches: 1 (cached), 0 (not served
 * here: take the slow path), -ENOENT (misaligned or outside the domain).
 */
static inline int cache_fast_put(struct iova_rcache *rc, unsigned int order,
				 uint64_t pfn)
{
	uint64_t span;

	if (iova_unlikely(!rc || order >= rc->max_order || rc->checked))
		return 0;
	span = ((uint64_t)1 << order) - 1;
	if (iova_unlikely(cache_bad_geometry(rc, pfn, span)))
		return -ENOENT;
	if (iova_likely(cache_try_put(rc, order, pfn))) {
		iova_env_count(IOVA_EV_CACHE_PUT);
		return 1;
	}
	return 0;
}

#endif /* IOVA_CACHE_MAG_H */
