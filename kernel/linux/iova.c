// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * IOVA allocator for the kernel's IOMMU DMA layer, built on libiova.
 *
 * This file is glue only.  The allocator is libiova's core, compiled unchanged from
 * drivers/iommu/libiova/ (the same files libiova's userspace tests cover):
 *   src/index/    the gap-augmented B+tree: the highest fit below any limit, aligned or
 *                 not, in O(height) node visits;
 *   src/domain/   node memory, placement, frees and reservations under the domain lock;
 *   src/cache/    per-CPU magazines and their depots;
 *   src/linux/    the functions of <linux/iova.h> (alloc_iova(), find_iova(), ...).
 * What is here: the environment the core runs in (GFP_ATOMIC memory, the misuse and
 * bad-free reports, the event counters behind /sys/kernel/debug/iova/stats), the
 * symbols dma-iommu expects (exports, iova_cache_get/put, iova_rcache_range), and the
 * KUnit suite.  Locks and per-CPU access are in libiova/src/iova_env_kernel.h.
 */
#include <linux/iova.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/percpu.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/cpuhotplug.h>
#include <linux/mutex.h>

#include "libiova/src/index/fit.c"
#include "libiova/src/index/gaptree.c"
#include "libiova/src/domain/domain.c"
#include "libiova/src/cache/mag.c"
#include "libiova/src/cache/cache.c"
#include "libiova/src/cache/depot.c"
#include "libiova/src/linux/linux.c"

/* ------------------------------------------------------------------ events */
static const char * const iova_event_names[IOVA_EV_NR] = {
	[IOVA_EV_ALLOC] = "allocs",
	[IOVA_EV_ALLOC_NOSPACE] = "alloc_fails",
	[IOVA_EV_ALLOC_NOMEM] = "alloc_nomem",
	[IOVA_EV_FREE] = "frees",
	[IOVA_EV_BAD_FREE] = "bad_frees",
	[IOVA_EV_RESERVE] = "reserves",
	[IOVA_EV_FAST_ALLOC] = "fast_allocs",
	[IOVA_EV_FAST_FREE] = "fast_frees",
	[IOVA_EV_CACHE_HIT] = "cache_hits",
	[IOVA_EV_CACHE_MISS] = "cache_misses",
	[IOVA_EV_CACHE_PUT] = "cache_puts",
	[IOVA_EV_CACHE_SPILL] = "cache_spills",
	[IOVA_EV_FLUSH] = "flushes",
	[IOVA_EV_MISUSE] = "misuse",
	[IOVA_EV_CPU_DEAD] = "cpu_dead_flushes",
	[IOVA_EV_TRIM] = "cache_trims",
};

struct iova_events {
	u64 v[IOVA_EV_NR];
};

static DEFINE_PER_CPU(struct iova_events, iova_events);

void iova_env_count_event(unsigned int ev)
{
	this_cpu_inc(iova_events.v[ev]);
}

static u64 iova_event_sum(unsigned int ev)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(&iova_events, cpu)->v[ev];
	return sum;
}

/* The KUnit suite sets this around deliberate misuse, so it does not WARN. */
static bool iova_expect_misuse;

void iova_env_misuse_report(const char *func, const char *msg)
{
	this_cpu_inc(iova_events.v[IOVA_EV_MISUSE]);
	if (!READ_ONCE(iova_expect_misuse))
		WARN_ONCE(1, "iova: %s() %s\n", func, msg);
}

void iova__report_bad_free(struct iova_domain *iovad, unsigned long pfn, const char *what)
{
	if (!READ_ONCE(iova_expect_misuse))
		pr_warn_ratelimited("iova: bad free of pfn 0x%lx: %s\n", pfn, what);
}

/* ------------------------------------------------------------------ memory */
/* KUnit: make the next N allocations of the core fail. */
static atomic_t iova_fail_allocs = ATOMIC_INIT(0);

static void *iova_mem_alloc(size_t size, void *ctx)
{
	if (unlikely(atomic_read(&iova_fail_allocs) > 0) &&
	    atomic_dec_return(&iova_fail_allocs) >= 0)
		return NULL;
	return kmalloc(size, GFP_ATOMIC | __GFP_NOWARN);
}

static void iova_mem_free(void *p, size_t size, void *ctx)
{
	kfree(p);
}

const struct iova_mem_hooks iova__default_mem = { iova_mem_alloc, iova_mem_free, NULL };
const struct iova_mem_hooks iova__linux_mem = { iova_mem_alloc, iova_mem_free, NULL };

/* ------------------------------------------------------------------ CPU hotplug */
/*
 * A CPU that goes offline leaves ranges in its magazines: give them back to the index
 * (CPU n uses cache slot n, nr_cpu_ids slots).  Domains join the list when they get
 * their caches and leave it in put_iova_domain().
 */
static DEFINE_MUTEX(iova_cpuhp_mutex);
static bool iova_cpuhp_ready;

static int iova_cpuhp_dead(unsigned int cpu, struct hlist_node *node)
{
	struct iova_domain *iovad = hlist_entry_safe(node, struct iova_domain, cpuhp_dead);

	iova_cache_flush_cpu(iova_linux_native(iovad), cpu);
	this_cpu_inc(iova_events.v[IOVA_EV_CPU_DEAD]);
	return 0;
}

/* ------------------------------------------------------------------ idle trim */
/*
 * Every IOVA_TRIM_PERIOD a domain with caches gives back what sits idle
 * (iova_cache_trim()): the depot's full magazines go back to the tree, and a CPU
 * that made no cache call during a whole period gives its magazines back, so a
 * quiet CPU costs a domain nothing after at most two periods.  Mainline's depot
 * worker does the first part for its own depot.
 */
#define IOVA_TRIM_PERIOD	HZ

static void iova_trim_work(struct work_struct *work)
{
	struct iova_domain *iovad = container_of(to_delayed_work(work),
						 struct iova_domain, trim_work);

	iova_cache_trim(iova_linux_native(iovad));
	this_cpu_inc(iova_events.v[IOVA_EV_TRIM]);
	schedule_delayed_work(&iovad->trim_work, IOVA_TRIM_PERIOD);
}

void iova_env_caches_up(struct iova_domain *iovad)
{
	INIT_DELAYED_WORK(&iovad->trim_work, iova_trim_work);
	schedule_delayed_work(&iovad->trim_work, IOVA_TRIM_PERIOD);
	mutex_lock(&iova_cpuhp_mutex);
	if (!iova_cpuhp_ready &&
	    !cpuhp_setup_state_multi(CPUHP_IOMMU_IOVA_DEAD, "iommu/iova:dead", NULL,
				     iova_cpuhp_dead))
		iova_cpuhp_ready = true;
	mutex_unlock(&iova_cpuhp_mutex);
	/* Without the state a dead CPU's ranges stay cached until a flush: no leak. */
	if (iova_cpuhp_ready)
		cpuhp_state_add_instance_nocalls(CPUHP_IOMMU_IOVA_DEAD, &iovad->cpuhp_dead);
	else
		INIT_HLIST_NODE(&iovad->cpuhp_dead);
}

void iova_env_domain_down(struct iova_domain *iovad)
{
	cancel_delayed_work_sync(&iovad->trim_work);	/* it requeues itself */
	if (iova_cpuhp_ready && !hlist_unhashed(&iovad->cpuhp_dead))
		cpuhp_state_remove_instance_nocalls(CPUHP_IOMMU_IOVA_DEAD, &iovad->cpuhp_dead);
}

/* ------------------------------------------------------------------ dma-iommu's symbols */
unsigned long iova_rcache_range(void)
{
	return PAGE_SIZE << (IOVA_RANGE_CACHE_MAX_SIZE - 1);
}
EXPORT_SYMBOL_GPL(iova_rcache_range);

/* The other exports stand after their functions in libiova/src/linux/linux.c. */

/* ------------------------------------------------------------------ debugfs */
#ifdef CONFIG_DEBUG_FS
static int iova_stats_show(struct seq_file *s, void *unused)
{
	unsigned int i;

	seq_puts(s, "# libiova IOVA allocator, all domains\n");
	for (i = 0; i < IOVA_EV_NR; i++)
		seq_printf(s, "%s: %llu\n", iova_event_names[i], iova_event_sum(i));
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
