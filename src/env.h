/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * The environment of the core.  Every file under src/index, src/domain,
 * src/cache and src/linux includes this header and nothing of the C library
 * or the kernel directly, so the same files compile in userspace and inside
 * the kernel.  What differs lives in one header per environment:
 *
 *   src/env_user.h            userspace: a futex spin-then-park lock, C11
 *                             atomics, rseq, liburcu-bp
 *   (kernel) iova_env_kernel.h  kernel/linux/iova_env.h, copied next to
 *                             this file by kernel/check.sh: spinlocks with
 *                             saved irq flags, atomic_long_t, smp ids
 *
 * Each provides:
 *   types      bool, size_t, uint{8,16,32,64}_t, UINT64_MAX, UINT64_C
 *   iova_lock_t       a lock that may be held while other locks are taken
 *                     (the domain lock): iova_lock_init/destroy/lock/unlock
 *   iova_spin_t       a short-hold lock with trylock (cache slots, depots):
 *                     iova_spin_init/trylock/lock/unlock/wait
 *   iova_atomic_t     an unsigned long counter: iova_atomic_init/read/inc/
 *                     dec/add/sub
 *   iova_load_acquire(p), iova_store_release(p, v), iova_cmpxchg_ptr(p, o, n)
 *   lockless readers: iova_read_once(x), iova_write_once(x, v),
 *                     iova_smp_rmb(), iova_smp_wmb(), iova_relax(&spins),
 *                     iova_racy_begin/end() (reads a sequence count
 *                     validates), IOVA_ENV_LOCKLESS_LOOKUP (1: lookups
 *                     skip the domain lock), struct iova_rcu_head,
 *                     iova_rcu_read_lock/unlock(), iova_call_rcu(h, fn),
 *                     iova_rcu_barrier()
 *   iova_this_cpu(), iova_nr_cpus()
 *   iova_this_cpu_nocall(): iova_this_cpu() if it needs no call, else
 *                     UINT_MAX (the hot paths then take their slow path)
 *   iova_env_panic(msg), iova_env_count(event), iova_env_misuse(msg)
 *                     (msg follows the caller's name: "of size 0")
 *   iova_env_caches_up(iovad), iova_env_domain_down(iovad): a Linux-API
 *                     domain got its caches / goes away (CPU hotplug)
 *   iova_noinline, EXPORT_SYMBOL_GPL(fn) (after a Linux-API function)
 *   static_assert(c, msg), iova_aligned(n) (before a member: C11 _Alignas)
 *   IOVA_ENV_LINUX_H  the header with the Linux API's struct iova and
 *                     struct iova_domain (src/linux/ only)
 *   iova__default_mem, iova__linux_mem: the memory hooks of a native domain
 *                     created without hooks, and of a Linux-API domain
 *   iova__report_bad_free(iovad, pfn, what): how a Linux-API bad free is
 *                     reported when no hook is installed
 *
 * Debug levels (IOVA_DEBUG):
 *   0  no checks;
 *   1  iova_assert(): cheap checks on hot paths (default in Debug builds);
 *   2  iova_assert_internal(): also internal consistency checks;
 *   3  iova_assert_expensive(): also a full validate after every mutation.
 */
#ifndef IOVA_ENV_H
#define IOVA_ENV_H

#ifdef __KERNEL__
#include "iova_env_kernel.h"
#else
#include "env_user.h"
#endif

/*
 * Events an environment may count (the kernel's debugfs does; userspace
 * keeps per-domain statistics instead and ignores them).
 */
enum iova_event {
	IOVA_EV_ALLOC,		/* a range placed in the index */
	IOVA_EV_ALLOC_NOSPACE,	/* no fit below the limit */
	IOVA_EV_ALLOC_NOMEM,	/* a node or struct iova could not be had */
	IOVA_EV_FREE,		/* a range removed from the index */
	IOVA_EV_BAD_FREE,	/* a free of something not live (refused) */
	IOVA_EV_RESERVE,
	IOVA_EV_FAST_ALLOC,	/* fast allocation calls */
	IOVA_EV_FAST_FREE,	/* fast free calls */
	IOVA_EV_CACHE_HIT,	/* fast allocation served by a magazine */
	IOVA_EV_CACHE_MISS,	/* cached order, nothing fitting in a magazine */
	IOVA_EV_CACHE_PUT,	/* fast free kept in a magazine */
	IOVA_EV_CACHE_SPILL,	/* a magazine given back to the index */
	IOVA_EV_FLUSH,		/* every cache flushed to find room */
	IOVA_EV_MISUSE,		/* an invalid argument (refused) */
	IOVA_EV_CPU_DEAD,	/* a dead CPU's magazines given back (kernel) */
	IOVA_EV_TRIM,		/* a periodic trim of a domain's caches (kernel) */
	IOVA_EV_NR
};

#ifndef IOVA_DEBUG
#ifdef NDEBUG
#define IOVA_DEBUG 0
#else
#define IOVA_DEBUG 1
#endif
#endif

/* A check that is off is still compiled, but not evaluated. */
#if IOVA_DEBUG >= 1
#define iova_assert(c, m) iova_env_check(c, m)
#else
#define iova_assert(c, m) ((void)sizeof(!(c)), (void)sizeof(m))
#endif
#if IOVA_DEBUG >= 2
#define iova_assert_internal(c, m) iova_env_check(c, m)
#else
#define iova_assert_internal(c, m) ((void)sizeof(!(c)), (void)sizeof(m))
#endif
#if IOVA_DEBUG >= 3
#define IOVA_EXPENSIVE 1
#else
#define IOVA_EXPENSIVE 0
#endif

#define iova_likely(x) __builtin_expect(!!(x), 1)
#define iova_unlikely(x) __builtin_expect(!!(x), 0)

/* Bit helpers on 64-bit values (x != 0 where noted). */
static inline unsigned int iova_ctz64(uint64_t x) /* x != 0 */
{
	return (unsigned int)__builtin_ctzll(x);
}

static inline unsigned int iova_flog2(uint64_t x) /* floor(log2 x), x != 0 */
{
	return 63u - (unsigned int)__builtin_clzll(x);
}

static inline unsigned int iova_clog2(uint64_t x) /* ceil(log2 x), x != 0 */
{
	return x <= 1 ? 0 : iova_flog2(x - 1) + 1;
}

static inline bool iova_is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

static inline uint64_t iova_min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline uint64_t iova_max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

#endif /* IOVA_ENV_H */
