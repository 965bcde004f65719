/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * A small treap of non-overlapping ranges [lo, end) keyed by lo, with a
 * payload slot.  Nodes live in one array and are named by index, so an
 * index stays valid when the array grows.  Used by the kernel-event
 * importer (live mappings) and by the replayer's shadow (placements).
 */
#ifndef IOVA_REPLAY_PTREAP_H
#define IOVA_REPLAY_PTREAP_H

#include <stdint.h>

#define PT_NIL UINT32_MAX

struct piece {
	uint64_t lo, end;	/* end exclusive */
	uint32_t slot;		/* payload */
	uint32_t prio;
	uint32_t left, right;	/* child indices, or next free */
};

struct ptreap {
	struct piece *p;
	uint32_t cap, root, free_list;
	uint32_t rng;
};

void pt_init(struct ptreap *t);
void pt_destroy(struct ptreap *t);
/* A detached node; PT_NIL if out of memory. */
uint32_t pt_new(struct ptreap *t, uint64_t lo, uint64_t end, uint32_t slot);
void pt_insert(struct ptreap *t, uint32_t n);
/* Remove (and recycle) the node whose lo is exactly lo, if any. */
void pt_erase(struct ptreap *t, uint64_t lo);
/* Node with the largest lo <= key / the smallest lo > key; or PT_NIL. */
uint32_t pt_le(const struct ptreap *t, uint64_t key);
uint32_t pt_gt(const struct ptreap *t, uint64_t key);
/* Call fn on every node in key order; stops early on a non-zero return. */
int pt_walk(const struct ptreap *t, int (*fn)(const struct piece *p,
					      void *arg), void *arg);

#endif
