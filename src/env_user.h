/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * The userspace environment of the core (see src/env.h for the contract):
 * C11 and POSIX threads only.  The runtime parts (asserts, default memory
 * hooks, the test hooks) are in src/env_user.c.
 */
#ifndef IOVA_ENV_USER_H
#define IOVA_ENV_USER_H

#include <assert.h>
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "../include/iova/iova.h"

/*
 * Test hooks (fault injection of node and struct memory, random yields at
 * cache handoffs) exist only in the library variant the tests link
 * (IOVA_TEST_HOOKS, or the older IOVA_FAULT_INJECT); the shipped library
 * has neither.
 */
#if !defined(IOVA_TEST_HOOKS) && defined(IOVA_FAULT_INJECT)
#define IOVA_TEST_HOOKS IOVA_FAULT_INJECT
#endif
#ifndef IOVA_TEST_HOOKS
#define IOVA_TEST_HOOKS 0
#endif

void iova__assert_fail(const char *expr, const char *msg, const char *file,
		       int line);
#define iova_env_panic(msg) iova__assert_fail("", msg, __FILE__, __LINE__)
#define iova_env_check(c, m)                                                 \
	((c) ? (void)0 : iova__assert_fail(#c, m, __FILE__, __LINE__))
#define iova_memmove __builtin_memmove
#define iova_noinline __attribute__((__noinline__))
/* The kernel exports the Linux API after each function; userspace needs
 * nothing (the public headers mark it IOVA_API). */
#define EXPORT_SYMBOL_GPL(fn) _Static_assert(1, #fn)
/* Before a member or a variable; static_assert comes from <assert.h>. */
#define iova_aligned(n) _Alignas(n)
#define iova_memset __builtin_memset

/* Userspace counts per domain (struct iova_stats), not per event. */
#define iova_env_count(ev) ((void)0)
#define iova_env_misuse(msg) ((void)0)
/* A Linux-API domain got its caches / is being torn down (the kernel
 * registers it for CPU hotplug); nothing to do in userspace. */
#define iova_env_caches_up(iovad) ((void)(iovad))
#define iova_env_domain_down(iovad) ((void)(iovad))

/* --- the domain lock ------------------------------------------------ */

/*
 * A spin-then-park lock (src/env_user.c).  The word v is 0 free, 1 held,
 * 2 held with a waiter that may sleep; sleepers counts the waiters parked
 * (or about to park).  Taking a free lock is one compare-exchange,
 * dropping it one exchange, and only an unlock that finds 2 makes a
 * system call (a wake).  A waiter first spins on loads (holds are a few
 * hundred ns, far shorter than a sleep and a wake), then parks in the
 * kernel (futex) once the lock has not changed hands for a while (the
 * holder was likely preempted: seq counts acquisitions) or its spin budget
 * is spent; once woken it spins again before it parks again, so that a
 * holder that keeps the lock busy pays one wake per sleep, not one per
 * unlock.  The lock sits alone on its
 * cache line (with the default hooks, which align the domain to a line),
 * so a spinning waiter does not pull the holder's data away.  Not fair: a
 * holder may take the lock again at once, which keeps the index on one CPU.
 */
typedef struct {
	atomic_uint v;
	atomic_uint sleepers;
	atomic_uint seq;	/* acquisitions (written by the holder only) */
	char pad[64 - 3 * sizeof(atomic_uint)];
} iova_lock_t;

void iova__lock_slow(iova_lock_t *l);
void iova__unlock_wake(iova_lock_t *l);

static inline int iova_lock_init(iova_lock_t *l)
{
	atomic_init(&l->v, 0);
	atomic_init(&l->sleepers, 0);
	atomic_init(&l->seq, 0);
	return 0;
}

static inline void iova_lock_destroy(iova_lock_t *l)
{
	(void)l;
}

static inline void iova_lock(iova_lock_t *l)
{
	unsigned int free_v = 0;

	if (__builtin_expect(!atomic_compare_exchange_strong_explicit(
				     &l->v, &free_v, 1, memory_order_acquire,
				     memory_order_relaxed), 0))
		iova__lock_slow(l);
	/* A waiter watches this to tell a busy holder from a stalled one. */
	atomic_store_explicit(&l->seq,
			      atomic_load_explicit(&l->seq, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

static inline void iova_unlock(iova_lock_t *l)
{
	if (__builtin_expect(atomic_exchange_explicit(&l->v, 0,
						      memory_order_release) == 2, 0))
		iova__unlock_wake(l);
}

/* --- short-hold spinlocks (cache slots and depots) ------------------ */

/*
 * One exchange to take, one release store to drop.  A waiter spins with a
 * pause, then yields, then sleeps (a holder may have been preempted).
 */
typedef struct {
	atomic_uint v;	/* 0 free, 1 held */
} iova_spin_t;

void iova__spin_backoff(unsigned int *spins);

static inline void iova_spin_init(iova_spin_t *l)
{
	atomic_init(&l->v, 0);
}

static inline bool iova_spin_trylock(iova_spin_t *l)
{
	return !atomic_exchange_explicit(&l->v, 1, memory_order_acquire);
}

/* Wait until l looks free (without taking it). */
static inline void iova_spin_wait(iova_spin_t *l)
{
	unsigned int spins = 0;

	while (atomic_load_explicit(&l->v, memory_order_relaxed))
		iova__spin_backoff(&spins);
}

static inline void iova_spin_lock(iova_spin_t *l)
{
	while (!iova_spin_trylock(l))
		iova_spin_wait(l);
}

static inline void iova_spin_unlock(iova_spin_t *l)
{
	atomic_store_explicit(&l->v, 0, memory_order_release);
}

/* --- atomics --------------------------------------------------------- */

typedef atomic_ulong iova_atomic_t;
#define iova_atomic_init(a, v) atomic_init((a), (v))
#define iova_atomic_read(a) atomic_load(a)
#define iova_atomic_inc(a) ((void)atomic_fetch_add((a), 1))
#define iova_atomic_dec(a) ((void)atomic_fetch_sub((a), 1))
#define iova_atomic_add(a, v) ((void)atomic_fetch_add((a), (v)))
#define iova_atomic_sub(a, v) ((void)atomic_fetch_sub((a), (v)))

#define iova_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define iova_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
/* Returns true if *p was old and is now new. */
#define iova_cmpxchg_ptr(p, old, new)                                        \
	__sync_bool_compare_and_swap((p), (old), (new))

/* --- lockless readers (src/index: the sequence count) ------------------ */

/* One load or store that the compiler neither tears nor repeats. */
#define iova_read_once(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define iova_write_once(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
/*
 * Order earlier loads before later loads / earlier stores before later.
 * (ThreadSanitizer models no fences and GCC refuses them there; on x86,
 * where loads are not reordered with loads nor stores with stores, a
 * compiler barrier is the whole fence.)
 */
#if defined(__SANITIZE_THREAD__) && defined(__x86_64__)
#define iova_smp_rmb() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define iova_smp_wmb() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#else
#define iova_smp_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define iova_smp_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#endif
/* Wait a little (spins counts the calls: pause, then yield, then sleep). */
#define iova_relax(spins) iova__spin_backoff(spins)

/*
 * A sequence-count reader reads memory that the writer writes with plain
 * stores and throws away what it read if the count moved: a race by
 * design, so ThreadSanitizer is told to ignore those reads (it still sees
 * the count's acquire, which orders what the reader keeps).
 */
#if defined(__SANITIZE_THREAD__)
#define IOVA_ENV_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define IOVA_ENV_TSAN 1
#endif
#endif
#ifdef IOVA_ENV_TSAN
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
#define iova_racy_begin() AnnotateIgnoreReadsBegin(__FILE__, __LINE__)
#define iova_racy_end() AnnotateIgnoreReadsEnd(__FILE__, __LINE__)
#else
#define iova_racy_begin() ((void)0)
#define iova_racy_end() ((void)0)
#endif

/*
 * Deferred reclamation for lockless readers: Debian's liburcu, the
 * "bulletproof" flavour (no thread has to register: a library cannot ask
 * its callers to).  Built with IOVA_HAVE_URCU (CMake finds liburcu-bp);
 * without it lookups take the domain lock instead.  The liburcu headers
 * stay inside src/env_user.c.
 */
#ifdef IOVA_HAVE_URCU
#define IOVA_ENV_LOCKLESS_LOOKUP 1
#else
#define IOVA_ENV_LOCKLESS_LOOKUP 0
#endif

/* liburcu's struct rcu_head (room checked in env_user.c), then ours. */
struct iova_rcu_head {
	void *_urcu[2];
	void (*fn)(struct iova_rcu_head *h);
};

void iova__rcu_read_lock(void);
void iova__rcu_read_unlock(void);
/* fn(h) runs after every reader that might see what h is in has left. */
void iova__call_rcu(struct iova_rcu_head *h,
		    void (*fn)(struct iova_rcu_head *h));
/* Wait until every fn queued by iova__call_rcu() so far has run. */
void iova__rcu_barrier(void);
#define iova_rcu_read_lock() iova__rcu_read_lock()
#define iova_rcu_read_unlock() iova__rcu_read_unlock()
#define iova_call_rcu(h, fn) iova__call_rcu((h), (fn))
#define iova_rcu_barrier() iova__rcu_barrier()

/* --- CPUs ------------------------------------------------------------ */

unsigned int iova__cpu_slow(void);
unsigned int iova_nr_cpus(void);

#if defined(__GLIBC__) && defined(__has_include) && defined(__has_builtin)
#if __has_include(<sys/rseq.h>) && __has_builtin(__builtin_thread_pointer)
#include <sys/rseq.h>
#define IOVA_ENV_HAVE_RSEQ 1
#endif
#endif

/*
 * Each thread's CPU hint where rseq is missing (env_user.c).  Thread-locals
 * of the default model, so that the shared library can be dlopen()ed; the
 * build asks for TLS descriptors where the compiler has them, whose access
 * clobbers no register, so the hit paths stay free of a frame.
 */
#define IOVA_ENV_TLS __thread __attribute__((__visibility__("hidden")))
extern IOVA_ENV_TLS unsigned int iova__cpu_hint, iova__cpu_hint_left;

/*
 * The CPU this thread runs on now (a hint: it may move at once), or
 * UINT_MAX when finding out takes a call (no rseq and the hint is spent).
 */
static inline unsigned int iova_this_cpu_nocall(void)
{
#ifdef IOVA_ENV_HAVE_RSEQ
	/* glibc registers rseq for every thread: the kernel keeps cpu_id. */
	if (__builtin_expect(__rseq_size >= 8, 1)) {
		const volatile int32_t *id = (const volatile int32_t *)(void *)
			((char *)__builtin_thread_pointer() + __rseq_offset +
			 offsetof(struct rseq, cpu_id));
		int32_t c = *id;

		if (__builtin_expect(c >= 0, 1))
			return (unsigned int)c;
	}
#endif
	if (__builtin_expect(iova__cpu_hint_left != 0, 1)) {
		iova__cpu_hint_left--;
		return iova__cpu_hint;
	}
	return UINT_MAX;
}

static inline unsigned int iova_this_cpu(void)
{
	unsigned int c = iova_this_cpu_nocall();

	return c != UINT_MAX ? c : iova__cpu_slow();
}

/* --- test hooks -------------------------------------------------------- */

/*
 * For tests; defined only in the library variant built with the hooks.
 * The k-th hook allocation from now fails (k = 1: the next one); 0 turns
 * it off.  Returns the number of allocations since the last call.
 */
unsigned long iova__fault_inject(unsigned long k);
/* Random yields at cache handoffs, for every domain. */
void iova__test_set_yield(bool on);
/*
 * Forget this thread's CPU hint (used where rseq is missing), as a test that
 * moves the thread to another CPU must: in every build, a no-op with rseq.
 */
void iova__cpu_hint_drop(void);

#if IOVA_TEST_HOOKS
bool iova__fault_fire(void);
void iova__test_yield(void);
#else
static inline bool iova__fault_fire(void)
{
	return false;
}

static inline void iova__test_yield(void)
{
}
#endif

/* --- memory and reports ------------------------------------------------ */

/* malloc-backed hooks: nodes on cache lines. */
extern const struct iova_mem_hooks iova__default_mem;
/* The hooks of a Linux-API domain: nodes on lines, small objects plain. */
extern const struct iova_mem_hooks iova__linux_mem;

struct iova_domain;
/* A Linux-API bad free with no hook installed: abort in debug builds. */
void iova__report_bad_free(struct iova_domain *iovad, unsigned long pfn,
			   const char *what);

#define IOVA_ENV_LINUX_H "../../include/iova/linux.h"	/* from src/linux/ */

#endif /* IOVA_ENV_USER_H */
