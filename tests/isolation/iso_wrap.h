/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Memory hooks for the Linux-compatible API, whose struct iova and index
 * memory comes from malloc() and friends inside the library: the test
 * binary is linked with
 *   -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,
 *       --wrap=posix_memalign,--wrap=aligned_alloc
 * (ISO_WRAP_LINK_OPTIONS in tests/isolation/CMakeLists.txt) so that every
 * call from the library and the test goes through the functions below,
 * which count the blocks still held (leak checks) and can run a callback
 * at the n-th allocation made by one thread (deterministic interleavings:
 * "the other thread" runs inside find_iova()'s struct allocation).
 *
 * Include this header in exactly one file of a binary.  Blocks are tracked
 * by address in a fixed table (no allocation of its own); a block freed
 * here that was not allocated here (libc's own strdup() and the like) is
 * passed through untracked.
 */
#ifndef IOVA_TESTS_ISO_WRAP_H
#define IOVA_TESTS_ISO_WRAP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void __real_free(void *p);
int __real_posix_memalign(void **out, size_t align, size_t size);
void *__real_aligned_alloc(size_t align, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
void __wrap_free(void *p);
int __wrap_posix_memalign(void **out, size_t align, size_t size);
void *__wrap_aligned_alloc(size_t align, size_t size);

#define WRAP_SLOTS (1u << 20)
#define WRAP_TOMB ((uintptr_t)1)

static uintptr_t wrap_tab[WRAP_SLOTS];
static pthread_mutex_t wrap_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long wrap_live;		/* blocks held */
static atomic_ulong wrap_lost;		/* table full: not tracked */

/* The trigger: the n-th allocation made by the arming thread. */
static _Thread_local unsigned long wrap_countdown;
static _Thread_local void (*wrap_cb)(void *);
static _Thread_local void *wrap_cb_arg;
static _Thread_local unsigned long wrap_fail_countdown;
static _Thread_local unsigned long wrap_thread_allocs;

static inline size_t wrap_hash(uintptr_t p)
{
	return (size_t)((p >> 4) * UINT64_C(0x9E3779B97F4A7C15) >> 44) &
	       (WRAP_SLOTS - 1);
}

static void wrap_track(void *p)
{
	size_t i, k;

	if (!p)
		return;
	pthread_mutex_lock(&wrap_lock);
	for (k = 0, i = wrap_hash((uintptr_t)p); k < WRAP_SLOTS;
	     k++, i = (i + 1) & (WRAP_SLOTS - 1)) {
		if (wrap_tab[i] == 0 || wrap_tab[i] == WRAP_TOMB) {
			wrap_tab[i] = (uintptr_t)p;
			atomic_fetch_add(&wrap_live, 1);
			pthread_mutex_unlock(&wrap_lock);
			return;
		}
	}
	atomic_fetch_add(&wrap_lost, 1);
	pthread_mutex_unlock(&wrap_lock);
}

static void wrap_untrack(void *p)
{
	size_t i, k;

	if (!p)
		return;
	pthread_mutex_lock(&wrap_lock);
	for (k = 0, i = wrap_hash((uintptr_t)p); k < WRAP_SLOTS && wrap_tab[i];
	     k++, i = (i + 1) & (WRAP_SLOTS - 1)) {
		if (wrap_tab[i] == (uintptr_t)p) {
			wrap_tab[i] = WRAP_TOMB;
			atomic_fetch_sub(&wrap_live, 1);
			break;
		}
	}
	pthread_mutex_unlock(&wrap_lock);
}

/* Called before every allocation: the trigger and the injected failure. */
static bool wrap_before(void)
{
	wrap_thread_allocs++;
	if (wrap_countdown && --wrap_countdown == 0 && wrap_cb) {
		void (*cb)(void *) = wrap_cb;

		wrap_cb = NULL;
		cb(wrap_cb_arg);
	}
	if (wrap_fail_countdown && --wrap_fail_countdown == 0)
		return false;
	return true;
}

void *__wrap_malloc(size_t size)
{
	void *p;

	if (!wrap_before())
		return NULL;
	p = __real_malloc(size);
	wrap_track(p);
	return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
	void *p;

	if (!wrap_before())
		return NULL;
	p = __real_calloc(n, size);
	wrap_track(p);
	return p;
}

void *__wrap_realloc(void *old, size_t size)
{
	void *p;

	if (!old)
		return __wrap_malloc(size);
	if (!wrap_before())
		return NULL;
	p = __real_realloc(old, size);
	if (p) {
		wrap_untrack(old);
		wrap_track(p);
	}
	return p;
}

void __wrap_free(void *p)
{
	wrap_untrack(p);
	__real_free(p);
}

int __wrap_posix_memalign(void **out, size_t align, size_t size)
{
	int r;

	if (!wrap_before())
		return 12;	/* ENOMEM */
	r = __real_posix_memalign(out, align, size);
	if (!r)
		wrap_track(*out);
	return r;
}

void *__wrap_aligned_alloc(size_t align, size_t size)
{
	void *p;

	if (!wrap_before())
		return NULL;
	p = __real_aligned_alloc(align, size);
	wrap_track(p);
	return p;
}

/* Blocks allocated through the wrappers and not freed yet. */
static inline long wrap_live_blocks(void)
{
	return atomic_load(&wrap_live);
}

/* Run cb(arg) at the n-th allocation (n >= 1) this thread makes from now
 * on (before that allocation is made); 0 disarms. */
static inline void wrap_arm(unsigned long n, void (*cb)(void *), void *arg)
{
	wrap_countdown = n;
	wrap_cb = n ? cb : NULL;
	wrap_cb_arg = arg;
}

/* Has the armed callback run?  (It disarms itself when it does.) */
static inline bool wrap_fired(void)
{
	return wrap_cb == NULL;
}

/* Fail the n-th allocation this thread makes from now on; 0 disarms. */
static inline void wrap_fail(unsigned long n)
{
	wrap_fail_countdown = n;
}

/* Is the armed failure still pending (not reached yet)? */
static inline bool wrap_fail_pending(void)
{
	return wrap_fail_countdown != 0;
}

/* Allocations this thread made through the wrappers since the last call. */
static inline unsigned long wrap_thread_count(void)
{
	unsigned long n = wrap_thread_allocs;

	wrap_thread_allocs = 0;
	return n;
}

#endif
