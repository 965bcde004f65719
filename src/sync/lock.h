/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/* One place for the locks of the userspace build. */
#ifndef IOVA_SYNC_LOCK_H
#define IOVA_SYNC_LOCK_H

#include <pthread.h>

typedef pthread_mutex_t iova_lock_t;

static inline int iova_lock_init(iova_lock_t *l)
{
	return pthread_mutex_init(l, NULL) ? -1 : 0;
}

static inline void iova_lock_destroy(iova_lock_t *l)
{
	pthread_mutex_destroy(l);
}

static inline void iova_lock(iova_lock_t *l)
{
	pthread_mutex_lock(l);
}

static inline void iova_unlock(iova_lock_t *l)
{
	pthread_mutex_unlock(l);
}

#endif
