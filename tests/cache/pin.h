/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Pinning the calling thread, for the cache tests that need a given CPU's
 * slot (the including file defines _GNU_SOURCE first).
 */
#ifndef TESTS_CACHE_PIN_H
#define TESTS_CACHE_PIN_H

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <unistd.h>

#include "cache/mag.h"	/* iova__cpu_hint_drop() */

/* Run on CPU cpu only; false if that is not possible here. */
static inline bool pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		return false;
	iova__cpu_hint_drop();	/* where rseq is missing */
	sched_yield();
	return sched_getcpu() == cpu;
}

/* Run on any online CPU again. */
static inline void pin_none(void)
{
	cpu_set_t all;
	long i, n = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&all);
	for (i = 0; i < n && i < CPU_SETSIZE; i++)
		CPU_SET((int)i, &all);
	pthread_setaffinity_np(pthread_self(), sizeof(all), &all);
	iova__cpu_hint_drop();
}

#endif /* TESTS_CACHE_PIN_H */
