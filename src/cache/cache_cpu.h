/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Which CPU are we on?  Only a hint: the caches lock the slot they pick, so
 * a stale answer (the thread migrated a moment later) costs a little
 * sharing, never correctness.
 *
 * glibc >= 2.35 registers an rseq area per thread, where the kernel keeps
 * the current CPU number: reading it is one load (0.5 ns here), against
 * about 5 ns for sched_getcpu() in glibc 2.36.  Used when the compiler can
 * name the thread pointer and the area is registered; sched_getcpu()
 * otherwise (other libcs, clang without __builtin_thread_pointer, valgrind,
 * GLIBC_TUNABLES=glibc.pthread.rseq=0).
 */
#ifndef IOVA_CACHE_CPU_H
#define IOVA_CACHE_CPU_H

#include <sched.h>
#include <stdint.h>

#if defined(__GLIBC__) && defined(__has_include) && defined(__has_builtin)
#if __has_include(<sys/rseq.h>) && __has_builtin(__builtin_thread_pointer)
#include <sys/rseq.h>
#define IOVA_CACHE_HAVE_RSEQ 1
#endif
#endif

static inline unsigned int cache_getcpu_slow(void)
{
	int c = sched_getcpu();

	return c < 0 ? 0u : (unsigned int)c;
}

static inline unsigned int cache_getcpu(void)
{
#ifdef IOVA_CACHE_HAVE_RSEQ
	if (iova_likely(__rseq_size >= 8)) {
		const volatile int32_t *id = (const volatile int32_t *)(void *)
			((char *)__builtin_thread_pointer() + __rseq_offset +
			 offsetof(struct rseq, cpu_id));
		int32_t c = *id;

		if (iova_likely(c >= 0))
			return (unsigned int)c;
	}
#endif
	return cache_getcpu_slow();
}

#endif /* IOVA_CACHE_CPU_H */
