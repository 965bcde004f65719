/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * The kernel environment of libiova's core (see src/env.h of libiova for
 * the contract).  It sits next to the core's src/env.h, which includes it
 * when __KERNEL__ is defined.
 *
 * Locks: both lock kinds are spinlocks taken with interrupts disabled (the
 * DMA API maps and unmaps from interrupt context), each keeping the flags
 * it saved, so that nested locks restore in reverse order.
 */
#ifndef IOVA_ENV_KERNEL_H
#define IOVA_ENV_KERNEL_H

#include <linux/types.h>
#include <linux/bug.h>
#include <linux/build_bug.h>
#include <linux/bitops.h>
#include <linux/string.h>
#include <linux/limits.h>
#include <linux/errno.h>
#include <linux/spinlock.h>
#include <linux/atomic.h>
#include <linux/smp.h>
#include <linux/cpumask.h>
#include <linux/processor.h>
#include <linux/export.h>
#include <linux/compiler.h>
#include <linux/rcupdate.h>

/*
 * Debug level 1 (src/env.h), as a kernel build without NDEBUG always had it:
 * the cheap iova_assert() checks as WARN_ONCE, and checked cached frees, so a
 * free_iova_fast() that is not exactly a live range or is already cached is
 * refused under the domain lock instead of being cached (a double free never
 * becomes a double hand-out).  The price is that lock on every cached free
 * (docs/caches.md, "Checked frees and what they cost"); 0 would give
 * mainline's unchecked caches.
 */
#ifndef IOVA_DEBUG
#define IOVA_DEBUG 1
#endif

#ifndef UINT64_MAX
#define UINT64_MAX U64_MAX
#endif
#ifndef UINT32_MAX
#define UINT32_MAX U32_MAX
#endif
#ifndef UINT64_C
#define UINT64_C(x) (x##ULL)
#endif

#include "../include/iova/iova.h"

#define IOVA_TEST_HOOKS 0

#define iova_noinline noinline
#define iova_aligned(n) __aligned(n)	/* before a member, as C11 _Alignas */

#define iova_env_panic(msg) WARN(1, "libiova: %s\n", msg)
#define iova_env_check(c, m) WARN_ONCE(!(c), "libiova: %s\n", (m))
#define iova_memmove memmove
#define iova_memset memset

/* Counted per CPU for /sys/kernel/debug/iova/stats (drivers/iommu/iova.c). */
void iova_env_count_event(unsigned int ev);
#define iova_env_count(ev) iova_env_count_event(ev)
void iova_env_misuse_report(const char *func, const char *msg);
#define iova_env_misuse(msg) iova_env_misuse_report(__func__, (msg))

/* CPU hotplug: a dead CPU's magazines go back to the index (iova.c). */
struct iova_domain;
void iova_env_caches_up(struct iova_domain *iovad);
void iova_env_domain_down(struct iova_domain *iovad);

struct iova_irqsave_lock {
	spinlock_t s;		/* protects what the core says it does */
	unsigned long flags;	/* written only by the holder */
};

#define iova_lock_t struct iova_irqsave_lock

static inline int iova_lock_init(iova_lock_t *l)
{
	spin_lock_init(&l->s);
	return 0;
}

static inline void iova_lock_destroy(iova_lock_t *l)
{
}

static inline void iova_lock(iova_lock_t *l)
{
	unsigned long flags;

	spin_lock_irqsave(&l->s, flags);
	l->flags = flags;
}

static inline void iova_unlock(iova_lock_t *l)
{
	spin_unlock_irqrestore(&l->s, l->flags);
}

#define iova_spin_t struct iova_irqsave_lock

static inline void iova_spin_init(iova_spin_t *l)
{
	spin_lock_init(&l->s);
}

static inline bool iova_spin_trylock(iova_spin_t *l)
{
	unsigned long flags;

	if (!spin_trylock_irqsave(&l->s, flags))
		return false;
	l->flags = flags;
	return true;
}

/*
 * Pause before the core looks its slot up again and retries the trylock
 * (possibly on another CPU's slot): the retries are the wait, without
 * taking l.  A spin_trylock() that fails on a held queued spinlock only
 * reads the lock word, as a spin_is_locked() poll would.
 */
static inline void iova_spin_wait(iova_spin_t *l)
{
	cpu_relax();
}

#define iova_spin_lock(l) iova_lock(l)
#define iova_spin_unlock(l) iova_unlock(l)

#define iova_atomic_t atomic_long_t
#define iova_atomic_init(a, v) atomic_long_set((a), (v))
#define iova_atomic_read(a) ((unsigned long)atomic_long_read(a))
#define iova_atomic_inc(a) atomic_long_inc(a)
#define iova_atomic_dec(a) atomic_long_dec(a)
#define iova_atomic_add(a, v) atomic_long_add((v), (a))
#define iova_atomic_sub(a, v) atomic_long_sub((v), (a))

/*
 * Lockless readers (src/index: the sequence count) and RCU: lookups read
 * the index inside rcu_read_lock(), and a node that left the tree is
 * freed by an RCU callback (it holds its own rcu_head: nothing allocated).
 */
#define IOVA_ENV_LOCKLESS_LOOKUP 1
#define iova_read_once(x) READ_ONCE(x)
#define iova_write_once(x, v) WRITE_ONCE(x, v)
#define iova_smp_rmb() smp_rmb()	/* pairs with iova_smp_wmb() */
#define iova_smp_wmb() smp_wmb()	/* pairs with iova_smp_rmb() */
#define iova_relax(spins) ((void)(spins), cpu_relax())
/* Reads the count check makes safe (a race by design, as in seqcount). */
#define iova_racy_begin() ((void)0)
#define iova_racy_end() ((void)0)

struct iova_rcu_head {
	struct rcu_head rh;
	void (*fn)(struct iova_rcu_head *h);
};

static inline void iova__rcu_cb(struct rcu_head *rh)
{
	struct iova_rcu_head *h = container_of(rh, struct iova_rcu_head, rh);

	h->fn(h);
}

static inline void iova_call_rcu(struct iova_rcu_head *h,
				 void (*fn)(struct iova_rcu_head *h))
{
	h->fn = fn;
	call_rcu(&h->rh, iova__rcu_cb);
}

#define iova_rcu_read_lock() rcu_read_lock()
#define iova_rcu_read_unlock() rcu_read_unlock()
#define iova_rcu_barrier() rcu_barrier()

/*
 * The core publishes a fully initialised object with a release store and
 * reads it with an acquire load.
 */
#define iova_load_acquire(p) smp_load_acquire(p) /* pairs with iova_store_release() */
#define iova_store_release(p, v) smp_store_release((p), (v)) /* pairs with iova_load_acquire() */
#define iova_cmpxchg_ptr(p, old, new) ({				\
	__auto_type __iova_old = (old);					\
	cmpxchg((p), __iova_old, (new)) == __iova_old;			\
})

static inline unsigned int iova_this_cpu(void)
{
	return raw_smp_processor_id();
}

/* Never a call in the kernel (see src/env.h). */
static inline unsigned int iova_this_cpu_nocall(void)
{
	return raw_smp_processor_id();
}

static inline unsigned int iova_nr_cpus(void)
{
	return nr_cpu_ids;
}

static inline bool iova__fault_fire(void)
{
	return false;
}

static inline void iova__test_yield(void)
{
}

/* GFP_ATOMIC memory (drivers/iommu/iova.c). */
extern const struct iova_mem_hooks iova__default_mem;
extern const struct iova_mem_hooks iova__linux_mem;

struct iova_domain;
void iova__report_bad_free(struct iova_domain *iovad, unsigned long pfn,
			   const char *what);

/*
 * The Linux API's types.  (A string, not <linux/iova.h>: GNU C predefines
 * "linux" as 1, which would rewrite the name inside a macro.)
 */
#include <linux/iova.h>
#define IOVA_ENV_LINUX_H "../iova_env_kernel.h"	/* from src/linux/ */

#endif /* IOVA_ENV_KERNEL_H */
