/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * The caches' lock: a test-and-set spinlock that yields the CPU when it
 * spins too long.  One atomic exchange to take it and one release store to
 * drop it, which is what keeps an alloc+free pair near 10 ns; a pthread
 * mutex costs two atomic read-modify-writes per lock/unlock.
 *
 * A holder never calls the memory hooks; only flushes and the depot-bound
 * trim wait for the domain lock while holding one.  So waits are short
 * unless the holder was preempted: then the waiter yields, and after about
 * a thousand yields sleeps 50 us at a time.  Not async-signal-safe: a
 * signal handler must not use the fast API.
 */
#ifndef IOVA_CACHE_LOCK_H
#define IOVA_CACHE_LOCK_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <threads.h>	/* thrd_sleep: C11 */
#include <time.h>

typedef struct {
	atomic_uint v;	/* 0 free, 1 held */
} cache_lock_t;

static inline void cache_lock_init(cache_lock_t *l)
{
	atomic_init(&l->v, 0);
}

static inline void cache_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

static inline bool cache_trylock(cache_lock_t *l)
{
	return !atomic_exchange_explicit(&l->v, 1, memory_order_acquire);
}

/*
 * Spin on a plain load (no line bouncing), then yield, then sleep: a
 * real-time waiter whose yield would not let a preempted lower-priority
 * holder run must still get out of its way.
 */
static inline void cache_lock_wait(cache_lock_t *l)
{
	unsigned int spins = 0;

	while (atomic_load_explicit(&l->v, memory_order_relaxed)) {
		if (++spins < 128) {
			cache_cpu_relax();
		} else if (spins < 1024) {
			sched_yield();
		} else {
			struct timespec ts = { 0, 50000 };

			thrd_sleep(&ts, NULL);
		}
	}
}

static inline void cache_lock(cache_lock_t *l)
{
	while (!cache_trylock(l))
		cache_lock_wait(l);
}

static inline void cache_unlock(cache_lock_t *l)
{
	atomic_store_explicit(&l->v, 0, memory_order_release);
}

#endif /* IOVA_CACHE_LOCK_H */
