// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Per-CPU magazine caches, the bottom of the layer: magazine memory, the
 * cached set of checked frees (C5), and giving cached ranges back to the
 * index.  cache.c (set-up, hot path) and depot.c (flushes, trims, stats,
 * validation) build on these; this file calls only the domain.
 * Invariants C1-C5 and the lock order are at the top of mag.h.
 */
#include "mag.h"

/* --- memory -------------------------------------------------------- */

void *iova__cache_mem_alloc(struct iova_ndomain *d, const struct iova_rcache *rc,
			    size_t bytes)
{
	void *p = iova__mem_alloc(d, bytes);

	if (p)
		iova_atomic_add(&rc->cold->bytes, (unsigned long)bytes);
	return p;
}

void iova__cache_mem_free(struct iova_ndomain *d, const struct iova_rcache *rc,
			  void *p, size_t bytes)
{
	/* Unsigned wrap-around: the counter goes down by bytes. */
	iova_atomic_add(&rc->cold->bytes, 0ul - (unsigned long)bytes);
	iova__mem_free(d, p, bytes);
}

struct iova_mag *iova__mag_alloc(struct iova_ndomain *d,
				 const struct iova_rcache *rc)
{
	struct iova_mag *m = iova__cache_mem_alloc(d, rc, rc->cold->mag_bytes);

	if (m)
		m->n = 0;
	return m;
}

void iova__mag_free(struct iova_ndomain *d, struct iova_mag *m)
{
	iova__cache_mem_free(d, d->rcache, m, d->rcache->cold->mag_bytes);
}

void iova__mag_free_list(struct iova_ndomain *d, struct iova_mag *list)
{
	while (list) {
		struct iova_mag *next = list->next;

		iova__mag_free(d, list);
		list = next;
	}
}

/* --- the cached set (checked frees, C5) ------------------------------ */

static inline uint64_t *set_bucket(const struct cached_set *s, uint64_t pfn)
{
	uint64_t h = (pfn * UINT64_C(0x9e3779b97f4a7c15)) >> 32;

	return s->slot + (h & s->mask) * CACHED_SET_WAYS;
}

bool iova__cached_set_has(const struct cached_set *s, uint64_t pfn)
{
	const uint64_t *b = set_bucket(s, pfn);
	unsigned int i;

	for (i = 0; i < CACHED_SET_WAYS; i++)
		if (iova_load_acquire(&b[i]) == pfn + 1)
			return true;
	return false;
}

/*
 * With d->lock held (inserts never race each other): 0 (inserted),
 * -EEXIST (already cached: a double free), -ENOSPC (bucket full, or the
 * one pfn the encoding cannot hold).
 */
int iova__cached_set_insert(struct cached_set *s, uint64_t pfn)
{
	uint64_t *b = set_bucket(s, pfn), *free_slot = NULL;
	unsigned int i;

	if (pfn == UINT64_MAX)
		return -ENOSPC;	/* pfn + 1 would read as a free slot */
	for (i = 0; i < CACHED_SET_WAYS; i++) {
		uint64_t v = iova_load_acquire(&b[i]);

		if (v == pfn + 1)
			return -EEXIST;
		if (!v && !free_slot)
			free_slot = &b[i];
	}
	if (!free_slot)
		return -ENOSPC;
	iova_store_release(free_slot, pfn + 1);
	return 0;
}

/* Lock-free: a removal only ever clears its own pfn's slot. */
void iova__cached_set_remove(struct cached_set *s, uint64_t pfn)
{
	uint64_t *b = set_bucket(s, pfn);
	unsigned int i;

	for (i = 0; i < CACHED_SET_WAYS; i++)
		if (iova_load_acquire(&b[i]) == pfn + 1 &&
		    iova_cmpxchg_ptr(&b[i], pfn + 1, (uint64_t)0))
			return;
	iova_assert(0, "C5) a cached pfn was missing from the cached set");
}

int iova__cached_set_init(struct iova_ndomain *d, struct iova_rcache *rc)
{
	/* C1 + C2: the most pfns the magazines can hold at once. */
	struct cache_cold *cold = rc->cold;
	uint64_t bound = (uint64_t)rc->max_order * rc->mag_size *
			 (2 * (uint64_t)rc->nr_cpus + cold->depot_max);
	uint64_t nb = 1;

	/* Half full on average with CACHED_SET_WAYS slots per bucket. */
	while (nb * CACHED_SET_WAYS < 2 * bound)
		nb <<= 1;
	cold->set.mask = nb - 1;
	cold->set.bytes = nb * CACHED_SET_WAYS * sizeof(uint64_t);
	cold->set.slot = iova__cache_mem_alloc(d, rc, cold->set.bytes);
	/* Validation's pfns, then its snapshot of the directory. */
	cold->scratch_bytes = bound * sizeof(uint64_t) +
			      cold->nr_chunks * sizeof(struct cache_cpu *) + 1;
	cold->scratch = iova__cache_mem_alloc(d, rc, cold->scratch_bytes);
	if (!cold->set.slot || !cold->scratch)
		return -ENOMEM;
	iova_memset(cold->set.slot, 0, cold->set.bytes);
	return 0;
}

void iova__cache_release_locked(struct iova_ndomain *d, const uint64_t *pfn,
				size_t n, unsigned int order)
{
	struct iova_rcache *rc = d->rcache;
	size_t i;

	if (rc->checked)
		for (i = 0; i < n; i++)
			iova__cached_set_remove(&rc->cold->set, pfn[i]);
	iova__release_locked(d, pfn, n, order);
}
