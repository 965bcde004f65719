/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Per-CPU magazine caches: internal types shared by the files of src/cache/
 * and the tests (which may include this header to look inside).
 * Environment-neutral: CPU numbers and locks come from src/env.h.
 *
 * Invariants (checked by the validate hook; cited as "C1)" etc.):
 *  C1) A CPU slot exists only once its chunk was allocated (slots come in
 *      chunks of 1 << chunk_shift, allocated on a CPU's first free into a
 *      cache or first depot refill, never freed before the domain).  Per
 *      order, its loaded and prev magazines are each NULL (not yet had, or
 *      given back by an idle trim or a CPU flush) or hold n <= mag_size
 *      pfns; prev is NULL whenever loaded is, and the two differ.
 *  C2) A depot's full stack holds magazines with exactly mag_size pfns,
 *      its empty stack spare magazines; both hold <= cap <= depot_max.
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
 * both the slot's and the depot's lock.  A magazine goes back to the
 * memory hooks only empty (its pfns went to the index first).
 *
 * Lock order: CPU slot lock -> depot lock -> domain lock.  CPU slot locks
 * are only ever nested in ascending slot order (validate).  The memory
 * hooks are never called with any of these held, except the free hook
 * under the domain lock (domain.h): chunks, magazines and depot arrays are
 * allocated with no lock held and installed afterwards (a chunk with a
 * compare-and-swap of its directory entry), and what a locked section
 * takes out is freed after the locks are dropped.
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
static_assert(IOVA_CACHE_DEFAULT_MAX_ORDER <= IOVA_CACHE_MAX_ORDER,
	      "default orders within the limit");
static_assert(IOVA_CACHE_MAX_ORDER < 64, "2^order fits in a pfn");
static_assert(((8 + 8 * IOVA_CACHE_DEFAULT_MAG_SIZE) &
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
	struct iova_mag *loaded;	/* allocations pop here first; NULL:
					 * this CPU has no magazine of the order
					 */
	struct iova_mag *prev;		/* swapped in when loaded runs dry/full;
					 * NULL: not had yet (NULL if loaded is)
					 */
	uint64_t hits, misses;
};

/*
 * A CPU slot: cpu_stride bytes (a power of two, at least a line) inside a
 * chunk of the directory.  What a hit touches (the lock, the loaded
 * pointer, hits) comes first; the rare fields are in the tail, at
 * rc->cold->tail_off past the slot's start (struct cache_cpu_tail).
 */
struct cache_cpu {
	iova_spin_t lock;
	unsigned int index;		/* the CPU (slot) number */
	uint64_t _pad;
	struct cache_slot slot[];	/* rc->max_order of them */
};

/*
 * The rare fields of a CPU slot, written under its lock.  "Idle" (the trim
 * policy, depot.c): every cache call on the slot changes the snapshot
 * (ops + hits + misses, pfns in its magazines): an allocation counts a hit
 * or a miss; a free either pushes a pfn (the count grows; a run of such
 * pushes cannot bring it back) or moves a magazine (counted in ops).  So
 * two equal snapshots taken by consecutive iova_cache_trim() calls mean no
 * cache traffic in between.
 */
struct cache_cpu_tail {
	uint64_t ops;			/* frees that moved a magazine */
	uint64_t seen_ops, seen_n;	/* the snapshot of the last trim */
	void *raw;			/* slot 0 of a chunk: the chunk as */
	size_t raw_bytes;		/* the hooks returned it */
};

/*
 * The depot of one order: full magazines (each with mag_size pfns) and
 * spare empty ones, at most cap of each (cap <= depot_max).  The stacks'
 * arrays are one block, allocated when the first full magazine arrives and
 * doubled as needed (outside the locks), freed by a trim that empties the
 * depot: cap full magazine pointers, cap empty ones, then their owners (the
 * CPU slot each came from; nobody's: nr_cpus).  A slot takes back its own
 * newest magazine before another slot's: its lines are still in that CPU's
 * cache, so magazines (full or empty) move between CPUs only when one CPU
 * frees what another allocates.  Everything in one line (userspace).
 * Counting identity: pushes - pops - (full magazines taken by flushes and
 * trims) == nr_full.
 */
struct cache_depot {
	iova_aligned(IOVA_CACHE_LINE) iova_spin_t lock;
	unsigned int nr_full, nr_empty, cap;
	void *arr;			/* NULL while cap == 0 */
	uint64_t pushes, pops;
	uint64_t trims, flushed_ranges, put_fallbacks;
};

/* Bytes of a depot array block of cap entries per stack. */
static inline size_t depot_arr_bytes(unsigned int cap)
{
	return (size_t)cap * 2 * (sizeof(struct iova_mag *) + sizeof(unsigned int));
}

/* The stacks inside a block of cap entries per stack. */
static inline struct iova_mag **arr_mag(void *arr, unsigned int cap, bool full)
{
	return (struct iova_mag **)arr + (full ? 0 : cap);
}

static inline unsigned int *arr_owner(void *arr, unsigned int cap, bool full)
{
	return (unsigned int *)(void *)((struct iova_mag **)arr + 2 * (size_t)cap) +
	       (full ? 0 : cap);
}

static inline struct iova_mag **depot_mag(const struct cache_depot *dp, bool full)
{
	return arr_mag(dp->arr, dp->cap, full);
}

static inline unsigned int *depot_owner(const struct cache_depot *dp, bool full)
{
	return arr_owner(dp->arr, dp->cap, full);
}

/*
 * With the depot lock held: set a stack's count.  The counts (and cap) are
 * also read without the lock, as hints (is there anything to take?), so
 * they are written with release stores.
 */
static inline void depot_set_nr(struct cache_depot *dp, bool full,
				unsigned int nr)
{
	if (full)
		iova_store_release(&dp->nr_full, nr);
	else
		iova_store_release(&dp->nr_empty, nr);
}

/* With the depot lock held and the stack below cap. */
static inline void depot_push(struct cache_depot *dp, bool full,
			      struct iova_mag *m, unsigned int owner)
{
	unsigned int nr = full ? dp->nr_full : dp->nr_empty;

	depot_mag(dp, full)[nr] = m;
	depot_owner(dp, full)[nr] = owner;
	depot_set_nr(dp, full, nr + 1);
}

/* With the depot lock held: owner's newest magazine, else the newest. */
static inline struct iova_mag *depot_pop(struct cache_depot *dp, bool full,
					 unsigned int owner)
{
	unsigned int nr = full ? dp->nr_full : dp->nr_empty;
	struct iova_mag **mag = depot_mag(dp, full);
	unsigned int *own = depot_owner(dp, full);
	unsigned int i = nr, k;
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
	m = mag[k];
	for (; k + 1 < nr; k++) {
		mag[k] = mag[k + 1];
		own[k] = own[k + 1];
	}
	depot_set_nr(dp, full, nr - 1);
	return m;
}

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

/*
 * The directory has at most this many entries when nr_cpus <= 256
 * (chunks of up to 8 slots); above, chunks of 8 (1 entry per 8 CPUs).
 */
#define CACHE_DIR_ENTRIES 32u
#define CACHE_CHUNK_MAX_SHIFT 3u

/*
 * What the fast paths never read: configuration, memory bookkeeping and
 * counters.  After the depots in the same block.
 */
struct cache_cold {
	iova_atomic_t bytes;		/* all cache memory now (hooks' sizes) */
	iova_atomic_t slots;		/* CPU slots allocated (in chunks) */
	iova_atomic_t flushes;		/* CPU slot flushes */
	iova_atomic_t idle_trims;	/* slots whose magazines an idle trim
					 * gave back
					 */
	unsigned int depot_max, flags;
	unsigned int nr_chunks, tail_off;
	size_t mag_bytes;		/* 8 + 8 * mag_size */
	size_t cpu_stride;		/* 1 << rc->cpu_shift */
	struct cached_set set;		/* checked frees only */
	uint64_t *scratch;		/* checked frees only: validation's
					 * array (validate allocates nothing)
					 */
	size_t scratch_bytes;
	void *self_raw;			/* the block, as allocated */
	size_t self_raw_bytes;
	uint64_t orphan_misses[];	/* per order, under d->lock: misses of
					 * CPUs without a slot
					 */
};

/*
 * The caches of a domain: one block from the hooks, line aligned: this
 * header and the directory, the depots (a line each), the cold part.
 * Nothing per CPU until a CPU uses the caches: then its chunk of slots
 * (one directory entry) and, per order it frees, its magazines.
 */
struct iova_rcache {
	/*
	 * Read-only after init; the directory entries are written once,
	 * NULL to a chunk (so they are read-mostly too).
	 */
	iova_aligned(IOVA_CACHE_LINE) unsigned int max_order;
	unsigned int mag_size, nr_cpus;
	unsigned int chunk_mask;	/* slots per chunk - 1 */
	uint8_t chunk_shift, cpu_shift;	/* log2 slots per chunk, log2 stride */
	bool checked;			/* frees checked against the index */
	/*
	 * The orders the inlined paths serve: 0 with checked frees, else
	 * max_order less any order whose span the domain cannot hold (so
	 * that cache_misplaced() needs no span test).
	 */
	uint8_t fast_orders;
	uint64_t start, room;		/* domain start, end - start */
	struct cache_depot *depot;	/* max_order of them */
	struct cache_cold *cold;
	struct cache_cpu *dir[];	/* nr_chunks: chunk k holds slots
					 * k << chunk_shift.. (NULL: none yet)
					 */
};

static inline struct cache_depot *cache_depot_at(const struct iova_rcache *rc,
						 unsigned int order)
{
	return &rc->depot[order];
}

/* Derived facts the code relies on. */
static_assert(sizeof(size_t) == sizeof(void *),
	      "a magazine's first word is a count or a link");
static_assert(sizeof(iova_spin_t) > 4 ||
	      sizeof(struct cache_depot) == IOVA_CACHE_LINE,
	      "a depot is one line (userspace locks)");
static_assert(offsetof(struct iova_rcache, dir) < IOVA_CACHE_LINE,
	      "what the fast paths read, then the directory, from line 0");

/*
 * The slot of CPU (slot number) i, or NULL if its chunk does not exist.
 * The acquire pairs with the chunk's publication (cache.c).
 */
static inline struct cache_cpu *cache_cpu_find(const struct iova_rcache *rc,
					       unsigned int i)
{
	size_t cpu = i;		/* 64-bit index arithmetic: no extensions */
	char *chunk = (char *)iova_load_acquire(&rc->dir[cpu >> rc->chunk_shift]);

	if (iova_unlikely(!chunk))
		return NULL;
	return (struct cache_cpu *)(void *)(chunk + ((cpu & rc->chunk_mask)
						     << rc->cpu_shift));
}

static inline struct cache_cpu_tail *cache_cpu_tail(const struct iova_rcache *rc,
						    struct cache_cpu *c)
{
	return (struct cache_cpu_tail *)(void *)((char *)c + rc->cold->tail_off);
}

/* Slots in chunk k (the last one may be short). */
static inline unsigned int cache_chunk_slots(const struct iova_rcache *rc,
					     unsigned int k)
{
	unsigned int first = k << rc->chunk_shift;
	unsigned int n = rc->chunk_mask + 1;

	return rc->nr_cpus - first < n ? rc->nr_cpus - first : n;
}

/* --- mag.c: the bottom of the layer ---------------------------------- */

/*
 * Memory of the caches through the domain's hooks, counted in
 * cold->bytes: an empty magazine (NULL if the hooks fail), and any other
 * block.  Never with a cache or domain lock held (the free hook may be
 * called under the domain lock, but the caches never do).
 */
struct iova_mag *iova__mag_alloc(struct iova_ndomain *d,
				 const struct iova_rcache *rc);
void iova__mag_free(struct iova_ndomain *d, struct iova_mag *m);
void *iova__cache_mem_alloc(struct iova_ndomain *d, const struct iova_rcache *rc,
			    size_t bytes);
void iova__cache_mem_free(struct iova_ndomain *d, const struct iova_rcache *rc,
			  void *p, size_t bytes);
/* Free a list of magazines linked through next (NULL-terminated). */
void iova__mag_free_list(struct iova_ndomain *d, struct iova_mag *list);

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

/*
 * Counts of CPU slot cpu, order: loaded n, prev n (0 for a missing slot
 * or magazine).  -ENOENT/-EINVAL.
 */
int iova__cache_slot_counts(struct iova_ndomain *d, unsigned int cpu,
			    unsigned int order, unsigned int *loaded,
			    unsigned int *prev);

/* The depot's full and empty magazine counts of one order. */
int iova__cache_depot_counts(struct iova_ndomain *d, unsigned int order,
			     unsigned int *nr_full, unsigned int *nr_empty);

/* --- the hot path (inlined by both APIs' entry points) ---------------- */

/* The slot number of CPU u (CPU numbers past nr_cpus share slots). */
static inline unsigned int cache_slot_of(const struct iova_rcache *rc,
					 unsigned int u)
{
	return iova_likely(u < rc->nr_cpus) ? u : u % rc->nr_cpus;
}

static inline unsigned int cache_this_cpu(const struct iova_rcache *rc)
{
	return cache_slot_of(rc, iova_this_cpu());
}

/*
 * The slot of the CPU we run on (cache_this_cpu()), found without a call,
 * so that a hit needs no stack frame: NULL if it has none yet, or if
 * finding the CPU takes a call (the slow path then does both).
 */
static inline struct cache_cpu *cache_cpu_here(const struct iova_rcache *rc)
{
	unsigned int u = iova_this_cpu_nocall();

	if (iova_unlikely(u >= rc->nr_cpus)) {	/* one compare on a hit */
		if (u == UINT_MAX)
			return NULL;
		u = cache_slot_of(rc, u);
	}
	return cache_cpu_find(rc, u);
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
 * it starts at or below top.  false on anything else (no slot or magazine
 * yet, busy slot, empty magazine, a top entry above the limit, checked
 * caches): the caller takes the slow path, which redoes the whole attempt.
 * It calls nothing, so that the entry points that inline it need no stack
 * frame on a hit.
 */
static inline bool cache_try_get(struct iova_rcache *rc, unsigned int order,
				 uint64_t top, uint64_t *pfn_out)
{
	struct cache_cpu *c = cache_cpu_here(rc);
	struct cache_slot *s;
	struct iova_mag *m;
	uint64_t pfn;
	size_t n;

	if (iova_unlikely(!c) || iova_unlikely(!iova_spin_trylock(&c->lock)))
		return false;
	s = &c->slot[order];
	m = s->loaded;
	n = m ? m->n : 0;
	pfn = n ? m->pfn[n - 1] : UINT64_MAX;
	if (iova_unlikely(!n) || iova_unlikely(pfn > top)) {
		iova_spin_unlock(&c->lock);
		return false;
	}
	m->n = n - 1;
	s->hits++;
	iova_spin_unlock(&c->lock);
	*pfn_out = pfn;
	return true;
}

/* A push to an uncontended slot whose loaded magazine has room. */
static inline bool cache_try_put(struct iova_rcache *rc, unsigned int order,
				 uint64_t pfn)
{
	struct cache_cpu *c = cache_cpu_here(rc);
	struct iova_mag *m;
	size_t n;

	if (iova_unlikely(!c) || iova_unlikely(!iova_spin_trylock(&c->lock)))
		return false;
	m = c->slot[order].loaded;
	n = m ? m->n : rc->mag_size;
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
 * A free's placement, for span = 2^order - 1 <= room: misaligned to its
 * order or not inside the domain.  A pfn below the start wraps pfn - start
 * past room, so one compare covers both ends.
 */
static inline bool cache_misplaced(const struct iova_rcache *rc, uint64_t pfn,
				   uint64_t span)
{
	return (pfn & span) || pfn - rc->start > rc->room - span;
}

/* The same for any order (an order wider than the domain fits nowhere). */
static inline bool cache_bad_geometry(const struct iova_rcache *rc, uint64_t pfn,
				      uint64_t span)
{
	return span > rc->room || cache_misplaced(rc, pfn, span);
}

/*
 * The whole cached side of the entry points (native and Linux), for a size
 * of the given order: a hit under max_pfn, or false (not served here).
 */
static inline bool cache_fast_get(struct iova_rcache *rc, unsigned int order,
				  uint64_t max_pfn, uint64_t *pfn_out)
{
	uint64_t span;

	if (iova_unlikely(!rc || order >= rc->fast_orders))
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

	if (iova_unlikely(!rc || order >= rc->fast_orders))
		return 0;
	span = ((uint64_t)1 << order) - 1;
	if (iova_unlikely(cache_misplaced(rc, pfn, span)))
		return -ENOENT;
	if (iova_likely(cache_try_put(rc, order, pfn))) {
		iova_env_count(IOVA_EV_CACHE_PUT);
		return 1;
	}
	return 0;
}

#endif /* IOVA_CACHE_MAG_H */
