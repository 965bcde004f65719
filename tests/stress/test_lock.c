/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Stress of the userspace domain lock (iova_lock_t in src/env_user.h, the
 * spin-then-park lock): THREADS threads take one lock ITERS times each and,
 * inside it, bump a plain (non-atomic) counter and an "inside" flag that
 * must never be seen set on entry.  Now and then a holder sleeps with the
 * lock held, so that the waiters run out of spins and park in the kernel:
 * the holder then looks at the lock word and counts the times it saw a
 * parked waiter (2), which proves that the park and wake path ran.  A lost
 * wake-up hangs a waiter: a watchdog fails the test after WATCHDOG seconds.
 * The oracle is independent of the lock: the counter must be THREADS x
 * ITERS, the flag never set on entry, and under TSan any broken exclusion
 * is also a data race on the plain counter.
 *
 * usage: test_lock [THREADS] [ITERS] [SEED]
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "env.h"
#include "tap.h"

#define WATCHDOG 120

static iova_lock_t lock;
static unsigned long counter;		/* plain: protected by lock only */
static atomic_int inside;
static atomic_ulong violations, saw_parked, sleeps;
static atomic_int finished;
static unsigned long iters;
static unsigned long long seed;

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static void *worker(void *arg)
{
	uint64_t s = seed * 1000003u + (uintptr_t)arg;
	unsigned long i;

	for (i = 0; i < iters; i++) {
		uint64_t x = rnd(&s);

		iova_lock(&lock);
		if (atomic_exchange(&inside, 1))
			atomic_fetch_add(&violations, 1);
		counter++;
		if ((x & 1023) == 0) {
			/* A long hold: 200 us, far beyond the spin. */
			struct timespec ts = { 0, 200000 };

			nanosleep(&ts, NULL);
			atomic_fetch_add(&sleeps, 1);
			if (atomic_load_explicit(&lock.v, memory_order_relaxed) == 2)
				atomic_fetch_add(&saw_parked, 1);
		} else if ((x & 1023) < 8) {
			sched_yield();	/* a holder that loses its CPU */
		}
		atomic_store(&inside, 0);
		iova_unlock(&lock);
	}
	return NULL;
}

static void *watchdog(void *arg)
{
	int t;

	(void)arg;
	for (t = 0; t < WATCHDOG * 10; t++) {
		struct timespec ts = { 0, 100000000 };

		if (atomic_load(&finished))
			return NULL;
		nanosleep(&ts, NULL);
	}
	printf("not ok - the threads did not finish in %d s (a lost wake-up?)\n",
	       WATCHDOG);
	fflush(stdout);
	_exit(1);
}

int main(int argc, char **argv)
{
	unsigned threads = argc > 1 ? (unsigned)atoi(argv[1]) : 4, t;
	pthread_t tid[64], wd;

	iters = argc > 2 ? strtoul(argv[2], NULL, 0) : 200000;
	seed = argc > 3 ? strtoull(argv[3], NULL, 0) : 1;
	if (threads < 2 || threads > 64)
		threads = 4;
	diag("%u threads x %lu lock/unlock, seed %llu", threads, iters, seed);
	ok(iova_lock_init(&lock) == 0, "init");
	pthread_create(&wd, NULL, watchdog, NULL);
	for (t = 0; t < threads; t++)
		pthread_create(&tid[t], NULL, worker, (void *)(uintptr_t)t);
	for (t = 0; t < threads; t++)
		pthread_join(tid[t], NULL);
	atomic_store(&finished, 1);
	pthread_join(wd, NULL);
	is_u64(atomic_load(&violations), 0, "never two holders at once");
	iova_lock(&lock);
	is_u64(counter, (uint64_t)threads * iters, "every critical section counted");
	iova_unlock(&lock);
	ok(atomic_load(&saw_parked) > 0,
	   "waiters parked behind a sleeping holder (%lu of %lu long holds)",
	   atomic_load(&saw_parked), atomic_load(&sleeps));
	is_u64(atomic_load_explicit(&lock.v, memory_order_relaxed), 0,
	       "the lock is free at the end");
	is_u64(atomic_load(&lock.sleepers), 0, "no sleeper is counted at the end");
	iova_lock_destroy(&lock);
	return tap_done();
}
