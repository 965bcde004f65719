// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Design "linux": the real drivers/iommu/iova.c and lib/rbtree.c of Linux
 * 6.12, compiled unmodified behind bench/kernel/kshim.h, rcaches included.
 * Their global names are renamed here (klinux_*) so that they link next to
 * libiova's own Linux-compatible API, which has the same names.
 *
 * The binary this links into contains GPL-2.0-only kernel code: built and
 * run locally, never distributed (bench/README.md).
 */
#define alloc_iova klinux_alloc_iova
#define free_iova klinux_free_iova
#define __free_iova klinux___free_iova
#define find_iova klinux_find_iova
#define reserve_iova klinux_reserve_iova
#define init_iova_domain klinux_init_iova_domain
#define put_iova_domain klinux_put_iova_domain
#define alloc_iova_fast klinux_alloc_iova_fast
#define free_iova_fast klinux_free_iova_fast
#define iova_domain_init_rcaches klinux_iova_domain_init_rcaches
#define iova_cache_get klinux_iova_cache_get
#define iova_cache_put klinux_iova_cache_put
#define iova_rcache_range klinux_iova_rcache_range
#define __rb_erase_color klinux___rb_erase_color
#define rb_insert_color klinux_rb_insert_color
#define rb_erase klinux_rb_erase
#define __rb_insert_augmented klinux___rb_insert_augmented
#define rb_first klinux_rb_first
#define rb_last klinux_rb_last
#define rb_next klinux_rb_next
#define rb_prev klinux_rb_prev
#define rb_replace_node klinux_rb_replace_node
#define rb_replace_node_rcu klinux_rb_replace_node_rcu
#define rb_next_postorder klinux_rb_next_postorder
#define rb_first_postorder klinux_rb_first_postorder

#include "lib/rbtree.c"
#include "drivers/iommu/iova.c"

#include <errno.h>
#include <unistd.h>

#include "alloc_iface.h"
#include "kernel_designs.h"

long kshim_slab_objs, kshim_slab_bytes, kshim_slab_chunk_bytes;

static int kshim_ncpu;
static int kshim_next_cpu;
static __thread int kshim_cpu = -1;

int kshim_num_online_cpus(void)
{
	int n = __atomic_load_n(&kshim_ncpu, __ATOMIC_RELAXED);

	if (!n) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);

		n = c < 1 ? 1 : c > KSHIM_NR_CPUS ? KSHIM_NR_CPUS : (int)c;
		__atomic_store_n(&kshim_ncpu, n, __ATOMIC_RELAXED);
	}
	return n;
}

int kshim_this_cpu(void)
{
	if (kshim_cpu < 0)
		kshim_cpu = __atomic_fetch_add(&kshim_next_cpu, 1, __ATOMIC_RELAXED) %
			    kshim_num_online_cpus();
	return kshim_cpu;
}

/* ---- the bench_alloc_ops adapter ---- */

struct kdomain {
	struct iova_domain iovad;
	unsigned long end_pfn;
};

static void *k_create(uint64_t start_pfn, uint64_t end_pfn)
{
	struct kdomain *k;

	if (iova_cache_get())
		return NULL;
	k = calloc(1, sizeof(*k));
	if (!k) {
		iova_cache_put();
		return NULL;
	}
	init_iova_domain(&k->iovad, 4096, start_pfn);
	if (iova_domain_init_rcaches(&k->iovad)) {
		put_iova_domain(&k->iovad);
		free(k);
		iova_cache_put();
		return NULL;
	}
	k->end_pfn = end_pfn;
	return k;
}

static void k_destroy(void *a)
{
	struct kdomain *k = a;

	put_iova_domain(&k->iovad);
	free(k);
	iova_cache_put();
}

static int k_alloc(void *a, uint64_t size, uint64_t limit_pfn,
		   bool size_aligned, uint64_t *pfn)
{
	struct kdomain *k = a;
	struct iova *n;

	/* dma-iommu caps the mask at the aperture end */
	if (limit_pfn > k->end_pfn)
		limit_pfn = k->end_pfn;
	n = alloc_iova(&k->iovad, size, limit_pfn, size_aligned);
	if (!n)
		return -ENOMEM;
	*pfn = n->pfn_lo;
	return 0;
}

static int k_free(void *a, uint64_t pfn)
{
	struct kdomain *k = a;
	struct iova *n = find_iova(&k->iovad, pfn);

	if (!n || n->pfn_lo != pfn)
		return -ENOENT;
	__free_iova(&k->iovad, n);
	return 0;
}

static int k_reserve(void *a, uint64_t lo, uint64_t hi)
{
	struct kdomain *k = a;

	if (lo > hi)
		return -EINVAL;
	return reserve_iova(&k->iovad, lo, hi) ? 0 : -ENOMEM;
}

static uint64_t k_count(void *a)
{
	struct kdomain *k = a;
	struct rb_node *n;
	uint64_t c = 0;

	for (n = rb_first(&k->iovad.rbroot); n; n = rb_next(n))
		c++;
	return c ? c - 1 : 0;	/* not the anchor */
}

/* Kernel-equivalent: a 40-byte struct iova in a SLAB_HWCACHE_ALIGN slab. */
static uint64_t k_bytes(void *a)
{
	return k_count(a) * 64u;
}

unsigned long linux_alloc_iova_fast_raw(void *a, unsigned long size,
					unsigned long limit_pfn)
{
	struct kdomain *k = a;

	return alloc_iova_fast(&k->iovad, size, limit_pfn, true);
}

static int k_alloc_fast(void *a, uint64_t size, uint64_t limit_pfn, uint64_t *pfn)
{
	struct kdomain *k = a;
	unsigned long p;

	if (limit_pfn > k->end_pfn)
		limit_pfn = k->end_pfn;
	p = alloc_iova_fast(&k->iovad, size, limit_pfn, true);
	if (!p)
		return -ENOMEM;
	*pfn = p;
	return 0;
}

static void k_free_fast(void *a, uint64_t pfn, uint64_t size)
{
	struct kdomain *k = a;

	free_iova_fast(&k->iovad, pfn, size);
}

const struct bench_alloc_ops bench_linux_ops = {
	.name = "linux",
	.create = k_create,
	.destroy = k_destroy,
	.alloc = k_alloc,
	.free = k_free,
	.reserve = k_reserve,
	.bytes = k_bytes,
	.count = k_count,
	.alloc_fast = k_alloc_fast,
	.free_fast = k_free_fast,
};
