// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * IOVA allocator for the kernel's IOMMU DMA layer, built on libiova.
 *
 * Every domain keeps its ranges in libiova's gap-augmented B+tree (drivers/iommu/libiova/,
 * the library's src/index/ and src/index/fit.c compiled unchanged), so the highest
 * free placement below any limit, aligned or not, is found by visiting O(height) nodes.
 * Small sizes go through per-CPU magazines first, as callers of alloc_iova_fast() expect.
 *
 * Rules this file keeps:
 *  - Tree nodes are allocated (GFP_ATOMIC) with the domain lock dropped, before an insert
 *    needs them; a failed node allocation fails only the call that asked, changes nothing
 *    and is never remembered.
 *  - Freeing never allocates and cannot fail for a live range: an erase only gives nodes
 *    back to the domain's spare pool, and a magazine that cannot be parked is emptied
 *    into the tree rather than kept.
 *  - Misuse (size 0, inverted or out-of-range reservations, freeing what is not there)
 *    changes nothing and is reported (WARN_ONCE for API misuse, a counter and a
 *    rate-limited message for unknown frees).
 * Counters are in /sys/kernel/debug/iova/stats.
 */
#include <linux/iova.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/percpu.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/log2.h>
#include <linux/mutex.h>
#include <linux/limits.h>

/* The core's integer constants, as its userspace build gets them from <stdint.h>. */
#ifndef UINT64_MAX
#define UINT64_MAX U64_MAX
#endif
#ifndef UINT64_C
#define UINT64_C(c) c##ULL
#endif

#include "libiova/src/index/gaptree.c"
#include "libiova/src/index/fit.c"

/* Sizes up to 2^(IOVA_RANGE_CACHE_MAX_SIZE - 1) pfns are cached per CPU. */
#define IOVA_RANGE_CACHE_MAX_SIZE	6
#define IOVA_MAG_SIZE			127	/* a magazine is 1 KiB */
#define IOVA_POOL_SPARE_LEAVES		2

/* ------------------------------------------------------------------ statistics */
enum iova_stat {
	IOVA_ST_ALLOCS,		/* ranges placed in a tree */
	IOVA_ST_ALLOC_FAILS,	/* no room below the limit */
	IOVA_ST_ALLOC_NOMEM,	/* a node or struct iova could not be allocated */
	IOVA_ST_FREES,		/* ranges removed from a tree */
	IOVA_ST_BAD_FREES,	/* frees of pfns that were not live */
	IOVA_ST_RESERVES,
	IOVA_ST_FAST_ALLOCS,	/* alloc_iova_fast() calls */
	IOVA_ST_FAST_FREES,	/* free_iova_fast() calls */
	IOVA_ST_CACHE_HITS,	/* alloc_iova_fast() served by a magazine */
	IOVA_ST_CACHE_MISSES,	/* cacheable size, magazines had nothing that fits */
	IOVA_ST_CACHE_PUTS,	/* free_iova_fast() kept in a magazine */
	IOVA_ST_CACHE_SPILLS,	/* magazines emptied back into the tree */
	IOVA_ST_FLUSHES,	/* flush-everything-and-retry after a failure */
	IOVA_ST_MISUSE,
	IOVA_ST_NR
};

static const char * const iova_stat_names[IOVA_ST_NR] = {
	"allocs", "alloc_fails", "alloc_nomem", "frees", "bad_frees", "reserves",
	"fast_allocs", "fast_frees", "cache_hits", "cache_misses", "cache_puts",
	"cache_spills", "flushes", "misuse",
};

struct iova_stats_pcpu {
	u64 v[IOVA_ST_NR];
};

static DEFINE_PER_CPU(struct iova_stats_pcpu, iova_stats);

#define iova_stat(i) this_cpu_inc(iova_stats.v[i])

static u64 iova_stat_sum(enum iova_stat i)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(&iova_stats, cpu)->v[i];
	return sum;
}

/* The KUnit suite sets this around deliberate misuse, so it does not WARN. */
static bool iova_expect_misuse;

#define iova_misuse(fmt, ...)							\
	do {									\
		iova_stat(IOVA_ST_MISUSE);					\
		if (!READ_ONCE(iova_expect_misuse))				\
			WARN_ONCE(1, "iova: " fmt, ##__VA_ARGS__);		\
	} while (0)

/* ------------------------------------------------------------------ memory */
static struct kmem_cache *iova_cache;
static unsigned int iova_cache_users;
static DEFINE_MUTEX(iova_cache_mutex);

/* KUnit: make the next N tree-node allocations fail. */
static atomic_t iova_fail_node_allocs = ATOMIC_INIT(0);

static void *iova_node_alloc(size_t size)
{
	if (unlikely(atomic_read(&iova_fail_node_allocs) > 0) &&
	    atomic_dec_return(&iova_fail_node_allocs) >= 0)
		return NULL;
	return kzalloc(size, GFP_ATOMIC | __GFP_NOWARN);
}

static void iova_node_free_cb(void *node, size_t size, void *ctx)
{
	kfree(node);
}

static void iova_free_chain(void *list)
{
	while (list) {
		void *next = *(void **)list;

		kfree(list);
		list = next;
	}
}

/* ------------------------------------------------------------------ the index */
static inline struct iova_index *iova_index(struct iova_domain *iovad)
{
	BUILD_BUG_ON(sizeof(struct iova_index) > sizeof(iovad->index));
	return (struct iova_index *)iovad->index;
}

/* The highest pfn whose address still fits in a dma_addr_t. */
static unsigned long iova_end_pfn(struct iova_domain *iovad)
{
	u64 end = U64_MAX >> iova_shift(iovad);

	return end > ULONG_MAX ? ULONG_MAX : (unsigned long)end;
}

/* The root leaf is allocated on first use: init_iova_domain() cannot fail. */
static int iova_index_get(struct iova_domain *iovad)
{
	unsigned long flags;
	void *root;

	if (likely(READ_ONCE(iovad->index_ready)))
		return 0;
	root = iova_node_alloc(iova_index_leaf_size(true));
	if (!root)
		return -ENOMEM;
	spin_lock_irqsave(&iovad->iova_lock, flags);
	if (!iovad->index_ready) {
		iova_index_init(iova_index(iovad), 0, iova_end_pfn(iovad), true, root);
		WRITE_ONCE(iovad->index_ready, true);
		root = NULL;
	}
	spin_unlock_irqrestore(&iovad->iova_lock, flags);
	kfree(root);
	return 0;
}

/*
 * With the lock held: make sure the next insert has its nodes.  Allocates with the
 * lock dropped, so the caller must look at the tree only after this returns.
 */
static int iova_pool_fill(struct iova_domain *iovad, unsigned long *flags)
{
	struct iova_index *t = iova_index(iovad);

	while (!iova_index_pool_ready(t)) {
		void *got[1 + IOVA_INDEX_MAX_HEIGHT];
		u32 want_l, want_i, i, ng = 0;
		bool failed = false;

		iova_index_insert_need(t, &want_l, &want_i);
		want_l = want_l > t->pool.nr_leaves ? want_l - t->pool.nr_leaves : 0;
		want_i = want_i > t->pool.nr_inners ? want_i - t->pool.nr_inners : 0;
		spin_unlock_irqrestore(&iovad->iova_lock, *flags);
		for (i = 0; i < want_l + want_i && i < ARRAY_SIZE(got); i++) {
			got[i] = iova_node_alloc(i < want_l ? t->leaf_size : iova_index_inner_size());
			if (!got[i]) {
				failed = true;
				break;
			}
			ng++;
		}
		if (failed) {
			for (i = 0; i < ng; i++)
				kfree(got[i]);
			spin_lock_irqsave(&iovad->iova_lock, *flags);
			return -ENOMEM;
		}
		spin_lock_irqsave(&iovad->iova_lock, *flags);
		for (i = 0; i < ng; i++)
			iova_index_pool_put(t, got[i], i < want_l);
	}
	return 0;
}

/* Unlock, freeing (outside the lock) spare nodes beyond what the next insert needs. */
static void iova_unlock_trim(struct iova_domain *iovad, unsigned long flags)
{
	struct iova_index *t = iova_index(iovad);
	void *leaves = NULL, *inners = NULL, *n;

	if (iovad->index_ready) {
		while (t->pool.nr_leaves > IOVA_POOL_SPARE_LEAVES) {
			n = iova_index_pool_get(t, true);
			*(void **)n = leaves;
			leaves = n;
		}
		while (t->pool.nr_inners > t->height + 1) {
			n = iova_index_pool_get(t, false);
			*(void **)n = inners;
			inners = n;
		}
	}
	spin_unlock_irqrestore(&iovad->iova_lock, flags);
	iova_free_chain(leaves);
	iova_free_chain(inners);
}

/* With the lock held and the pool ready: place size pfns at the highest fit. */
static bool iova_place_locked(struct iova_domain *iovad, unsigned long size,
			      unsigned long align, unsigned long limit_pfn,
			      struct iova *rec, unsigned long *pfn)
{
	struct iova_index *t = iova_index(iovad);
	u64 lo = iovad->start_pfn, hi = min_t(u64, limit_pfn, t->end), x;
	struct iova_index_cursor cur;
	struct iova_req req;

	if (lo > hi || size - 1 > hi - lo)
		return false;
	iova_req_init(&req, size, align, lo, hi);
	if (!iova_index_search(t, &req, true, &x, &cur))
		return false;
	if (rec) {
		rec->pfn_lo = x;
		rec->pfn_hi = x + size - 1;
	}
	iova_index_insert_at(t, &cur, x, x + size - 1, false, rec);
	iovad->live_ranges++;
	iovad->live_pages += size;
	*pfn = x;
	return true;
}

static int iova_alloc_range(struct iova_domain *iovad, unsigned long size,
			    unsigned long limit_pfn, bool size_aligned,
			    struct iova *rec, unsigned long *pfn)
{
	unsigned int order = fls_long(size - 1);
	unsigned long align = 1, flags;
	int ret;

	if (size_aligned) {
		if (order >= BITS_PER_LONG) {
			iova_stat(IOVA_ST_ALLOC_FAILS);
			return -ENOSPC;
		}
		align = 1UL << order;
	}
	if (iova_index_get(iovad)) {
		iova_stat(IOVA_ST_ALLOC_NOMEM);
		return -ENOMEM;
	}
	spin_lock_irqsave(&iovad->iova_lock, flags);
	ret = iova_pool_fill(iovad, &flags);
	if (!ret && !iova_place_locked(iovad, size, align, limit_pfn, rec, pfn))
		ret = -ENOSPC;
	spin_unlock_irqrestore(&iovad->iova_lock, flags);
	if (!ret)
		iova_stat(IOVA_ST_ALLOCS);
	else
		iova_stat(ret == -ENOMEM ? IOVA_ST_ALLOC_NOMEM : IOVA_ST_ALLOC_FAILS);
	return ret;
}

/* With the lock held: remove the live range containing pfn (or starting at it). */
static bool iova_erase_locked(struct iova_domain *iovad, unsigned long pfn,
			      bool must_start, struct iova_index_range *r)
{
	if (!iovad->index_ready || !iova_index_erase(iova_index(iovad), pfn, must_start, false, r))
		return false;
	iovad->live_ranges--;
	iovad->live_pages -= r->hi - r->lo + 1;
	return true;
}

static void iova_bad_free(unsigned long pfn)
{
	iova_stat(IOVA_ST_BAD_FREES);
	if (!READ_ONCE(iova_expect_misuse))
		pr_warn_ratelimited("iova: free of pfn 0x%lx, which is not allocated\n", pfn);
}

/* ------------------------------------------------------------------ domains */
void init_iova_domain(struct iova_domain *iovad, unsigned long granule,
		      unsigned long start_pfn)
{
	if (WARN_ON(granule > PAGE_SIZE || !is_power_of_2(granule)))
		granule = PAGE_SIZE;
	spin_lock_init(&iovad->iova_lock);
	iovad->granule = granule;
	iovad->start_pfn = start_pfn;
	iovad->dma_32bit_pfn = 1UL << (32 - iova_shift(iovad));
	iovad->index_ready = false;
	INIT_LIST_HEAD(&iovad->reservations);
	iovad->live_ranges = 0;
	iovad->live_pages = 0;
	memset(iovad->index, 0, sizeof(iovad->index));
	iovad->rcaches = NULL;
}
EXPORT_SYMBOL_GPL(init_iova_domain);

struct iova *alloc_iova(struct iova_domain *iovad, unsigned long size,
			unsigned long limit_pfn, bool size_aligned)
{
	struct iova *rec;
	unsigned long pfn;

	if (unlikely(!size)) {
		iova_misuse("alloc_iova() of size 0\n");
		return NULL;
	}
	rec = kmem_cache_zalloc(iova_cache, GFP_ATOMIC | __GFP_NOWARN);
	if (!rec) {
		iova_stat(IOVA_ST_ALLOC_NOMEM);
		return NULL;
	}
	if (iova_alloc_range(iovad, size, limit_pfn, size_aligned, rec, &pfn)) {
		kmem_cache_free(iova_cache, rec);
		return NULL;
	}
	return rec;
}
EXPORT_SYMBOL_GPL(alloc_iova);

struct iova *find_iova(struct iova_domain *iovad, unsigned long pfn)
{
	struct iova *ret = NULL;
	unsigned long flags;
	struct iova_index_range r;

	if (!READ_ONCE(iovad->index_ready))
		return NULL;
	spin_lock_irqsave(&iovad->iova_lock, flags);
	if (iova_index_find(iova_index(iovad), pfn, &r) && !r.rsv)
		ret = r.udata;
	spin_unlock_irqrestore(&iovad->iova_lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(find_iova);

void __free_iova(struct iova_domain *iovad, struct iova *iova)
{
	unsigned long flags;
	struct iova_index_range r;
	bool ok = false;

	if (!iovad->index_ready) {
		iova_misuse("__free_iova() on an empty domain\n");
		return;
	}
	spin_lock_irqsave(&iovad->iova_lock, flags);
	if (iova_index_find(iova_index(iovad), iova->pfn_lo, &r) && !r.rsv && r.udata == iova)
		ok = iova_erase_locked(iovad, iova->pfn_lo, true, &r);
	iova_unlock_trim(iovad, flags);
	if (!ok) {
		iova_misuse("__free_iova() of [0x%lx, 0x%lx], which is not live\n",
			    iova->pfn_lo, iova->pfn_hi);
		return;
	}
	iova_stat(IOVA_ST_FREES);
	kmem_cache_free(iova_cache, iova);
}
EXPORT_SYMBOL_GPL(__free_iova);

void free_iova(struct iova_domain *iovad, unsigned long pfn)
{
	unsigned long flags;
	struct iova_index_range r;
	bool ok = false;

	if (READ_ONCE(iovad->index_ready)) {
		spin_lock_irqsave(&iovad->iova_lock, flags);
		ok = iova_erase_locked(iovad, pfn, false, &r);
		iova_unlock_trim(iovad, flags);
	}
	if (!ok) {
		iova_bad_free(pfn);
		return;
	}
	iova_stat(IOVA_ST_FREES);
	if (r.udata)
		kmem_cache_free(iova_cache, r.udata);
}
EXPORT_SYMBOL_GPL(free_iova);

/*
 * With the lock held and the pool ready: reserve [a, b], which holds no live pfn,
 * merging every reservation that overlaps or touches it.
 */
static void iova_reserve_piece(struct iova_index *t, unsigned long a, unsigned long b)
{
	u64 from = a > t->start ? a - 1 : a, to = b < t->end ? b + 1 : b;
	u64 nlo = a, nhi = b, p = from;
	struct iova_index_range r;

	while (iova_index_find_next(t, p, &r) && r.lo <= to) {
		if (r.rsv) {
			nlo = min(nlo, r.lo);
			nhi = max(nhi, r.hi);
			iova_index_erase(t, r.lo, true, true, NULL);
			continue;
		}
		if (r.hi >= to)
			break;
		p = r.hi + 1;
	}
	iova_index_insert(t, nlo, nhi, true, NULL);
}

struct iova_reservation {
	struct list_head node;
	struct iova iova;
};

/*
 * Reserve [pfn_lo, pfn_hi]: those pfns are never handed out.  Live ranges inside it are
 * left alone (the free pfns around them are reserved).  The returned record describes
 * the request and lives until put_iova_domain().
 */
struct iova *reserve_iova(struct iova_domain *iovad, unsigned long pfn_lo,
			  unsigned long pfn_hi)
{
	struct iova_reservation *res;
	struct iova *ret_iova = NULL;
	unsigned long flags, pos;
	struct iova_index *t;
	struct iova_index_range r;
	int ret = 0;

	if ((u64)(pfn_lo | pfn_hi) > (U64_MAX >> iova_shift(iovad))) {
		iova_misuse("reserve_iova() of [0x%lx, 0x%lx] beyond the address space\n",
			    pfn_lo, pfn_hi);
		return NULL;
	}
	if (pfn_lo > pfn_hi) {
		iova_misuse("reserve_iova() of inverted range [0x%lx, 0x%lx]\n", pfn_lo, pfn_hi);
		return NULL;
	}
	res = kzalloc(sizeof(*res), GFP_ATOMIC | __GFP_NOWARN);
	if (!res || iova_index_get(iovad)) {
		kfree(res);
		iova_stat(IOVA_ST_ALLOC_NOMEM);
		return NULL;
	}
	res->iova.pfn_lo = pfn_lo;
	res->iova.pfn_hi = pfn_hi;
	t = iova_index(iovad);
	spin_lock_irqsave(&iovad->iova_lock, flags);
	pos = pfn_lo;
	for (;;) {
		bool live = false;
		unsigned long p = pos;

		ret = iova_pool_fill(iovad, &flags);
		if (ret)
			break;
		/* the first live range that overlaps [pos, pfn_hi] ends this piece */
		while (iova_index_find_next(t, p, &r) && r.lo <= pfn_hi) {
			if (!r.rsv) {
				live = true;
				break;
			}
			if (r.hi >= pfn_hi)
				break;
			p = r.hi + 1;
		}
		if (live && r.lo <= pos) {
			/* pos is inside a live range: skip it */
			if (r.hi >= pfn_hi)
				break;
			pos = r.hi + 1;
			continue;
		}
		iova_reserve_piece(t, pos, live ? r.lo - 1 : pfn_hi);
		if (!live || r.hi >= pfn_hi)
			break;
		pos = r.hi + 1;
	}
	if (!ret) {
		list_add(&res->node, &iovad->reservations);
		ret_iova = &res->iova;
		res = NULL;
	}
	iova_unlock_trim(iovad, flags);
	if (ret) {
		kfree(res);
		iova_stat(IOVA_ST_ALLOC_NOMEM);
		return NULL;
	}
	iova_stat(IOVA_ST_RESERVES);
	return ret_iova;
}
EXPORT_SYMBOL_GPL(reserve_iova);

/* ------------------------------------------------------------------ per-CPU magazines */
struct iova_magazine {
	union {
		unsigned long n;		/* in a CPU's hands: pfns held */
		struct iova_magazine *next;	/* in the depot: always full */
	};
	unsigned long pfns[IOVA_MAG_SIZE];
};

struct iova_cpu_rcache {
	spinlock_t lock;
	struct iova_magazine *loaded, *prev;
};

struct iova_rcache {
	spinlock_t lock;			/* the depot */
	unsigned int depot_size, depot_max;
	struct iova_magazine *depot;
	struct iova_cpu_rcache __percpu *cpu_rcaches;
};

unsigned long iova_rcache_range(void)
{
	return PAGE_SIZE << (IOVA_RANGE_CACHE_MAX_SIZE - 1);
}

static struct iova_magazine *iova_mag_alloc(gfp_t gfp)
{
	return kzalloc(sizeof(struct iova_magazine), gfp);
}

/* Take the most recent pfn whose range [pfn, pfn + size - 1] ends at or below limit. */
static unsigned long iova_mag_pop(struct iova_magazine *m, unsigned long size,
				  unsigned long limit_pfn)
{
	unsigned long i, pfn;

	for (i = m->n; i-- > 0;) {
		if (m->pfns[i] + (size - 1) <= limit_pfn) {
			pfn = m->pfns[i];
			m->pfns[i] = m->pfns[--m->n];
			return pfn;
		}
	}
	return 0;
}

/* Give every range in m back to the tree; m ends empty.  Never allocates. */
static void iova_mag_spill(struct iova_domain *iovad, struct iova_magazine *m)
{
	unsigned long flags, i;
	struct iova_index_range r;

	if (!m || !m->n)
		return;
	spin_lock_irqsave(&iovad->iova_lock, flags);
	for (i = 0; i < m->n; i++) {
		if (iova_erase_locked(iovad, m->pfns[i], true, &r))
			iova_stat(IOVA_ST_FREES);
		else
			iova_stat(IOVA_ST_BAD_FREES);
	}
	iova_unlock_trim(iovad, flags);
	m->n = 0;
	iova_stat(IOVA_ST_CACHE_SPILLS);
}

static void iova_free_rcaches(struct iova_domain *iovad)
{
	struct iova_magazine *m;
	unsigned int i;
	int cpu;

	if (!iovad->rcaches)
		return;
	for (i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) {
		struct iova_rcache *rc = &iovad->rcaches[i];

		if (rc->cpu_rcaches) {
			for_each_possible_cpu(cpu) {
				struct iova_cpu_rcache *c = per_cpu_ptr(rc->cpu_rcaches, cpu);

				kfree(c->loaded);
				kfree(c->prev);
			}
			free_percpu(rc->cpu_rcaches);
		}
		while ((m = rc->depot)) {
			rc->depot = m->next;
			kfree(m);
		}
	}
	kfree(iovad->rcaches);
	iovad->rcaches = NULL;
}

int iova_domain_init_rcaches(struct iova_domain *iovad)
{
	unsigned int i;
	int cpu;

	iovad->rcaches = kcalloc(IOVA_RANGE_CACHE_MAX_SIZE, sizeof(struct iova_rcache),
				 GFP_KERNEL);
	if (!iovad->rcaches)
		return -ENOMEM;
	for (i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) {
		struct iova_rcache *rc = &iovad->rcaches[i];

		spin_lock_init(&rc->lock);
		rc->depot_max = max(2U, num_possible_cpus());
		rc->cpu_rcaches = alloc_percpu(struct iova_cpu_rcache);
		if (!rc->cpu_rcaches)
			goto fail;
		for_each_possible_cpu(cpu) {
			struct iova_cpu_rcache *c = per_cpu_ptr(rc->cpu_rcaches, cpu);

			spin_lock_init(&c->lock);
			c->loaded = iova_mag_alloc(GFP_KERNEL);
			c->prev = iova_mag_alloc(GFP_KERNEL);
			if (!c->loaded || !c->prev)
				goto fail;
		}
	}
	return 0;
fail:
	iova_free_rcaches(iovad);
	return -ENOMEM;
}
EXPORT_SYMBOL_GPL(iova_domain_init_rcaches);

static unsigned long iova_rcache_get(struct iova_domain *iovad, unsigned long size,
				     unsigned long limit_pfn)
{
	unsigned int order = order_base_2(size);
	struct iova_magazine *spare = NULL;
	struct iova_cpu_rcache *c;
	struct iova_rcache *rc;
	unsigned long flags, pfn;

	rc = &iovad->rcaches[order];
	c = raw_cpu_ptr(rc->cpu_rcaches);
	spin_lock_irqsave(&c->lock, flags);
	pfn = iova_mag_pop(c->loaded, size, limit_pfn);
	if (!pfn && c->prev->n) {
		swap(c->loaded, c->prev);
		pfn = iova_mag_pop(c->loaded, size, limit_pfn);
	}
	if (!pfn && !c->loaded->n && READ_ONCE(rc->depot)) {
		struct iova_magazine *m;

		spin_lock(&rc->lock);
		m = rc->depot;
		if (m) {
			rc->depot = m->next;
			rc->depot_size--;
			m->n = IOVA_MAG_SIZE;
			spare = c->loaded;
			c->loaded = m;
		}
		spin_unlock(&rc->lock);
		if (m)
			pfn = iova_mag_pop(c->loaded, size, limit_pfn);
	}
	spin_unlock_irqrestore(&c->lock, flags);
	kfree(spare);
	return pfn;
}

static bool iova_rcache_put(struct iova_domain *iovad, unsigned long pfn,
			    unsigned long size)
{
	unsigned int order = order_base_2(size);
	struct iova_magazine *empty = NULL;
	struct iova_cpu_rcache *c;
	struct iova_rcache *rc;
	unsigned long flags;

	if (!iovad->rcaches || order >= IOVA_RANGE_CACHE_MAX_SIZE)
		return false;
	rc = &iovad->rcaches[order];
	c = raw_cpu_ptr(rc->cpu_rcaches);
	spin_lock_irqsave(&c->lock, flags);
	if (c->loaded->n == IOVA_MAG_SIZE && c->prev->n == IOVA_MAG_SIZE &&
	    READ_ONCE(rc->depot_size) < rc->depot_max) {
		/* this CPU will need an empty magazine: allocate it without the lock */
		spin_unlock_irqrestore(&c->lock, flags);
		empty = iova_mag_alloc(GFP_ATOMIC | __GFP_NOWARN);
		spin_lock_irqsave(&c->lock, flags);
	}
	if (c->loaded->n == IOVA_MAG_SIZE) {
		if (c->prev->n < IOVA_MAG_SIZE) {
			swap(c->loaded, c->prev);
		} else {
			if (empty) {
				spin_lock(&rc->lock);
				if (rc->depot_size < rc->depot_max) {
					c->prev->next = rc->depot;
					rc->depot = c->prev;
					rc->depot_size++;
					c->prev = c->loaded;
					c->loaded = empty;
					empty = NULL;
				}
				spin_unlock(&rc->lock);
			}
			if (c->loaded->n == IOVA_MAG_SIZE) {
				/* depot full or no memory: prev's ranges go back to the tree */
				iova_mag_spill(iovad, c->prev);
				swap(c->loaded, c->prev);
			}
		}
	}
	c->loaded->pfns[c->loaded->n++] = pfn;
	spin_unlock_irqrestore(&c->lock, flags);
	kfree(empty);
	return true;
}

/* Return every cached range of every CPU and of the depots to the tree. */
static void iova_rcache_flush_all(struct iova_domain *iovad)
{
	struct iova_magazine *m, *chain;
	unsigned long flags;
	unsigned int i;
	int cpu;

	for (i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) {
		struct iova_rcache *rc = &iovad->rcaches[i];

		for_each_possible_cpu(cpu) {
			struct iova_cpu_rcache *c = per_cpu_ptr(rc->cpu_rcaches, cpu);

			spin_lock_irqsave(&c->lock, flags);
			iova_mag_spill(iovad, c->loaded);
			iova_mag_spill(iovad, c->prev);
			spin_unlock_irqrestore(&c->lock, flags);
		}
		spin_lock_irqsave(&rc->lock, flags);
		chain = rc->depot;
		rc->depot = NULL;
		rc->depot_size = 0;
		spin_unlock_irqrestore(&rc->lock, flags);
		while ((m = chain)) {
			chain = m->next;
			m->n = IOVA_MAG_SIZE;
			iova_mag_spill(iovad, m);
			kfree(m);
		}
	}
}

unsigned long alloc_iova_fast(struct iova_domain *iovad, unsigned long size,
			      unsigned long limit_pfn, bool flush_rcache)
{
	unsigned long pfn;

	if (unlikely(!size)) {
		iova_misuse("alloc_iova_fast() of size 0\n");
		return 0;
	}
	iova_stat(IOVA_ST_FAST_ALLOCS);
	/* small sizes are rounded up so that they can come from (and go to) a magazine */
	if (size < (1UL << (IOVA_RANGE_CACHE_MAX_SIZE - 1)))
		size = roundup_pow_of_two(size);
	if (iovad->rcaches && order_base_2(size) < IOVA_RANGE_CACHE_MAX_SIZE) {
		pfn = iova_rcache_get(iovad, size, limit_pfn);
		if (pfn) {
			iova_stat(IOVA_ST_CACHE_HITS);
			return pfn;
		}
		iova_stat(IOVA_ST_CACHE_MISSES);
	}
	for (;;) {
		if (!iova_alloc_range(iovad, size, limit_pfn, true, NULL, &pfn))
			return pfn;
		if (!flush_rcache || !iovad->rcaches)
			return 0;
		flush_rcache = false;
		iova_stat(IOVA_ST_FLUSHES);
		iova_rcache_flush_all(iovad);
	}
}
EXPORT_SYMBOL_GPL(alloc_iova_fast);

void free_iova_fast(struct iova_domain *iovad, unsigned long pfn, unsigned long size)
{
	iova_stat(IOVA_ST_FAST_FREES);
	if (iova_rcache_put(iovad, pfn, size)) {
		iova_stat(IOVA_ST_CACHE_PUTS);
		return;
	}
	free_iova(iovad, pfn);
}
EXPORT_SYMBOL_GPL(free_iova_fast);

static int iova_put_range_cb(const struct iova_index_range *r, void *arg)
{
	if (!r->rsv && r->udata)
		kmem_cache_free(iova_cache, r->udata);
	return 0;
}

void put_iova_domain(struct iova_domain *iovad)
{
	struct iova_reservation *res, *tmp;

	iova_free_rcaches(iovad);
	if (iovad->index_ready) {
		iova_index_walk(iova_index(iovad), iova_put_range_cb, NULL);
		iova_index_destroy(iova_index(iovad), iova_node_free_cb, NULL);
		iovad->index_ready = false;
	}
	list_for_each_entry_safe(res, tmp, &iovad->reservations, node) {
		list_del(&res->node);
		kfree(res);
	}
	iovad->live_ranges = 0;
	iovad->live_pages = 0;
}
EXPORT_SYMBOL_GPL(put_iova_domain);

/* ------------------------------------------------------------------ module glue */
int iova_cache_get(void)
{
	int ret = 0;

	mutex_lock(&iova_cache_mutex);
	if (!iova_cache_users) {
		iova_cache = kmem_cache_create("iommu_iova", sizeof(struct iova), 0, 0, NULL);
		if (!iova_cache)
			ret = -ENOMEM;
	}
	if (!ret)
		iova_cache_users++;
	mutex_unlock(&iova_cache_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(iova_cache_get);

void iova_cache_put(void)
{
	mutex_lock(&iova_cache_mutex);
	if (WARN_ON(!iova_cache_users)) {
		mutex_unlock(&iova_cache_mutex);
		return;
	}
	if (!--iova_cache_users) {
		kmem_cache_destroy(iova_cache);
		iova_cache = NULL;
	}
	mutex_unlock(&iova_cache_mutex);
}
EXPORT_SYMBOL_GPL(iova_cache_put);

#ifdef CONFIG_DEBUG_FS
static int iova_stats_show(struct seq_file *s, void *unused)
{
	unsigned int i;

	seq_puts(s, "# libiova IOVA allocator, all domains\n");
	for (i = 0; i < IOVA_ST_NR; i++)
		seq_printf(s, "%s: %llu\n", iova_stat_names[i], iova_stat_sum(i));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(iova_stats);

static int __init iova_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("iova", NULL);

	debugfs_create_file("stats", 0444, dir, NULL, &iova_stats_fops);
	return 0;
}
late_initcall(iova_debugfs_init);
#endif

#if IS_BUILTIN(CONFIG_KUNIT)
#include "iova_kunit.c"
#endif

MODULE_DESCRIPTION("IOVA allocator (libiova)");
MODULE_LICENSE("Dual MIT/GPL");
