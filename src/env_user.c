// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * The userspace runtime of the environment (src/env_user.h): asserts, the
 * default memory hooks, CPU numbers, the spin backoff, the Linux-API
 * bad-free report, and (in the tests' library variant only) the test hooks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

#include "env.h"

void iova__assert_fail(const char *expr, const char *msg, const char *file,
		       int line)
{
	fprintf(stderr, "libiova: assertion failed at %s:%d: %s (%s)\n", file,
		line, msg, expr);
	abort();
}

/* --- memory ------------------------------------------------------------ */

static void *line_alloc(size_t size, void *ctx)
{
	void *p;

	(void)ctx;
	/* Nodes are read a cache line at a time: align them to one. */
	return posix_memalign(&p, 64, size) ? NULL : p;
}

static void plain_free(void *p, size_t size, void *ctx)
{
	(void)size;
	(void)ctx;
	free(p);
}

const struct iova_mem_hooks iova__default_mem = { line_alloc, plain_free,
						  NULL };

/*
 * A Linux-API domain also allocates 24-byte struct iova records: those
 * cost a malloc chunk, not an aligned block.
 */
static void *linux_alloc(size_t size, void *ctx)
{
	return size <= 64 ? malloc(size) : line_alloc(size, ctx);
}

const struct iova_mem_hooks iova__linux_mem = { linux_alloc, plain_free,
						NULL };

/* --- deferred reclamation ------------------------------------------------ */

#ifdef IOVA_HAVE_URCU
#include <urcu-bp.h>
#include <urcu/call-rcu.h>

_Static_assert(sizeof(struct rcu_head) <= offsetof(struct iova_rcu_head, fn),
	       "struct iova_rcu_head starts with room for liburcu's rcu_head");
_Static_assert(_Alignof(struct rcu_head) <= _Alignof(struct iova_rcu_head),
	       "and is aligned for it");

/*
 * liburcu is not built with ThreadSanitizer, so the orderings it gives
 * (call_rcu() before its callback; every callback before rcu_barrier()
 * returns) are told to it by hand.
 */
#ifdef IOVA_ENV_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define tsan_acquire(p) __tsan_acquire(p)
#define tsan_release(p) __tsan_release(p)
#else
#define tsan_acquire(p) ((void)(p))
#define tsan_release(p) ((void)(p))
#endif
static char rcu_callbacks_done;	/* a TSan sync address */

#ifdef IOVA_ENV_TSAN
/*
 * liburcu's own memory moves between its threads (rcu_barrier() allocates,
 * the call_rcu thread frees) by orderings TSan cannot see: do not report
 * what its uninstrumented code does.  (A library built with TSan is only
 * ever a test build.)
 */
const char *__tsan_default_suppressions(void);
__attribute__((__visibility__("default"))) const char *
__tsan_default_suppressions(void)
{
	return "called_from_lib:liburcu-bp.so\n"
	       "called_from_lib:liburcu-common.so\n";
}
#endif

static void rcu_trampoline(struct rcu_head *rh)
{
	struct iova_rcu_head *h = (struct iova_rcu_head *)(void *)rh;

	tsan_acquire(h);
	h->fn(h);
	tsan_release(&rcu_callbacks_done);
}

void iova__rcu_read_lock(void)
{
	urcu_bp_read_lock();
}

void iova__rcu_read_unlock(void)
{
	urcu_bp_read_unlock();
}

void iova__call_rcu(struct iova_rcu_head *h,
		    void (*fn)(struct iova_rcu_head *h))
{
	h->fn = fn;
	tsan_release(h);
	urcu_bp_call_rcu((struct rcu_head *)(void *)h, rcu_trampoline);
}

void iova__rcu_barrier(void)
{
	urcu_bp_barrier();
	tsan_acquire(&rcu_callbacks_done);
}
#else
/* No lockless readers: nothing reads a node outside the domain lock. */
void iova__rcu_read_lock(void)
{
}

void iova__rcu_read_unlock(void)
{
}

void iova__call_rcu(struct iova_rcu_head *h,
		    void (*fn)(struct iova_rcu_head *h))
{
	fn(h);
}

void iova__rcu_barrier(void)
{
}
#endif

/* --- CPUs and waiting ---------------------------------------------------- */

/*
 * Without rseq (an older kernel or libc, or valgrind) sched_getcpu() is a
 * vDSO or system call on every cache operation.  Its answer is only a hint
 * anyway (the thread may move at once, and a cache uses whichever slot it
 * holds the lock of), so a thread keeps its last answer for CPU_HINT_USES
 * calls before it asks again.
 */
#define CPU_HINT_USES 64
IOVA_ENV_TLS unsigned int iova__cpu_hint, iova__cpu_hint_left;

void iova__cpu_hint_drop(void)
{
	iova__cpu_hint_left = 0;
}

/* iova_this_cpu() without rseq once the hint is spent: ask again. */
unsigned int iova__cpu_slow(void)
{
	int c = sched_getcpu();

	iova__cpu_hint = c < 0 ? 0u : (unsigned int)c;
	iova__cpu_hint_left = CPU_HINT_USES - 1;
	return iova__cpu_hint;
}

unsigned int iova_nr_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);

	return n < 1 ? 1u : n > 65536 ? 65536u : (unsigned int)n;
}

void iova__spin_backoff(unsigned int *spins)
{
	if (++*spins < 128) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#elif defined(__aarch64__)
		__asm__ __volatile__("yield" ::: "memory");
#endif
	} else if (*spins < 1024) {
		sched_yield();
	} else {
		struct timespec ts = { 0, 50000 };

		thrd_sleep(&ts, NULL);
	}
}

/* --- the domain lock (src/env_user.h) ---------------------------------- */

/*
 * A waiter's spin, in pauses (~5-50 ns each, by CPU): it reads the lock
 * after 1, 2, 4 ... up to IOVA_LOCK_BACKOFF pauses (each read pulls the
 * lock's line away from a holder that may be about to take it again), and
 * parks when the lock has not changed hands for IOVA_LOCK_STALL pauses
 * (the holder is likely preempted: many times a normal hold) or after
 * IOVA_LOCK_SPIN pauses in all (a waiter that keeps losing to busy holders
 * stops burning its CPU).  Build-time tunables for measurements.
 */
#ifndef IOVA_LOCK_SPIN
#define IOVA_LOCK_SPIN 4096
#endif
#ifndef IOVA_LOCK_STALL
#define IOVA_LOCK_STALL 256
#endif
#ifndef IOVA_LOCK_BACKOFF
#define IOVA_LOCK_BACKOFF 64
#endif

static void lock_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

static void lock_park(iova_lock_t *l)
{
#ifdef __linux__
	/* Sleeps only while the word is still 2; any change wakes it. */
	syscall(SYS_futex, &l->v, FUTEX_WAIT_PRIVATE, 2u, NULL, NULL, 0);
#else
	unsigned int spins = 1024;

	iova__spin_backoff(&spins);
#endif
}

/*
 * Spin until the lock is taken (true) or the spins run out.  A thread that
 * takes it while sleepers are counted marks it 2: the unlock that erased
 * their 2 woke only one of them, and this one's unlock must wake the next.
 */
static bool lock_spin(iova_lock_t *l)
{
	unsigned int i = 0, k, delay = 1, v, seq, last = 0, since = 0;

	while (i < IOVA_LOCK_SPIN) {
		/* Acquire: a sleeper's count is seen with the 0 of the unlock
		 * that followed its 2. */
		v = atomic_load_explicit(&l->v, memory_order_acquire);
		if (v == 0) {
			unsigned int want = atomic_load_explicit(
				&l->sleepers, memory_order_relaxed) ? 2u : 1u;

			if (atomic_compare_exchange_weak_explicit(
				    &l->v, &v, want, memory_order_acquire,
				    memory_order_relaxed))
				return true;
		}
		seq = atomic_load_explicit(&l->seq, memory_order_relaxed);
		if (i && seq == last) {
			if (since >= IOVA_LOCK_STALL)
				return false;
		} else {
			last = seq;
			since = 0;
		}
		for (k = 0; k < delay; k++)
			lock_relax();
		i += delay;
		since += delay;
		if (delay < IOVA_LOCK_BACKOFF)
			delay *= 2;
	}
	return false;
}

void iova__lock_slow(iova_lock_t *l)
{
	for (;;) {
		if (lock_spin(l))
			return;
		atomic_fetch_add(&l->sleepers, 1);
		/* Mark the lock 2 (or take it, marked 2: at worst one wake
		 * too many), then sleep while it stays 2. */
		if (atomic_exchange(&l->v, 2) == 0) {
			atomic_fetch_sub(&l->sleepers, 1);
			return;
		}
		lock_park(l);
		atomic_fetch_sub(&l->sleepers, 1);
	}
}

void iova__unlock_wake(iova_lock_t *l)
{
#ifdef __linux__
	syscall(SYS_futex, &l->v, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
#else
	(void)l;
#endif
}

/* --- Linux-API reports ------------------------------------------------- */

void iova__report_bad_free(struct iova_domain *iovad, unsigned long pfn,
			   const char *what)
{
	(void)iovad;
	if (IOVA_DEBUG >= 1) {
		fprintf(stderr, "libiova: bad free of pfn %#lx: %s\n", pfn, what);
		abort();
	}
}

/* --- test hooks ---------------------------------------------------------- */

#if IOVA_TEST_HOOKS
static atomic_ulong fault_countdown;	/* 0: off */
static atomic_ulong fault_allocs;	/* allocations since the last call */

unsigned long iova__fault_inject(unsigned long k)
{
	atomic_store(&fault_countdown, k);
	return atomic_exchange(&fault_allocs, 0);
}

bool iova__fault_fire(void)
{
	unsigned long c;

	atomic_fetch_add(&fault_allocs, 1);
	c = atomic_load(&fault_countdown);
	while (c) {
		if (atomic_compare_exchange_weak(&fault_countdown, &c, c - 1))
			return c == 1;
	}
	return false;
}

static atomic_bool yield_on;

void iova__test_set_yield(bool on)
{
	atomic_store(&yield_on, on);
}

void iova__test_yield(void)
{
	static _Thread_local uint32_t seed = 0x9e3779b9u;

	if (!atomic_load_explicit(&yield_on, memory_order_relaxed))
		return;
	seed ^= seed << 13;
	seed ^= seed >> 17;
	seed ^= seed << 5;
	if ((seed & 3) == 0)
		sched_yield();
}
#endif
