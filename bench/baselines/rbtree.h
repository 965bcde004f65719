/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * A small intrusive red-black tree with optional augmentation, shared by the
 * benchmark baselines.  Written for libiova's bench; the colour lives in the
 * low bit of the parent pointer so a node is three words (24 B on LP64), the
 * same footprint as the kernel's rb_node that the classic baseline models.
 *
 * The tree does not compare keys: callers descend themselves and link the
 * new node with brb_link(), then call brb_insert_fixup().  Augmented users
 * pass a callback that recomputes one node's summary from its children; the
 * tree calls it on both nodes of every rotation (lower node first), and
 * callers call brb_propagate() when a node's own contribution changes.
 */
#ifndef IOVA_BENCH_RBTREE_H
#define IOVA_BENCH_RBTREE_H

#include <stddef.h>
#include <stdint.h>

struct brb_node {
	uintptr_t parent_color;	/* parent pointer | colour bit (1 = black) */
	struct brb_node *left, *right;
};

struct brb_root {
	struct brb_node *node;
};

typedef void (*brb_augment_fn)(struct brb_node *n);

#define brb_entry(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

static inline struct brb_node *brb_parent(const struct brb_node *n)
{
	return (struct brb_node *)(n->parent_color & ~(uintptr_t)1);
}

static inline int brb_is_black(const struct brb_node *n)
{
	return !n || (n->parent_color & 1);
}

/* Attach a new (red) leaf node below parent at *link (the child slot). */
static inline void brb_link(struct brb_node *node, struct brb_node *parent,
			    struct brb_node **link)
{
	node->parent_color = (uintptr_t)parent;	/* red */
	node->left = node->right = NULL;
	*link = node;
}

void brb_insert_fixup(struct brb_root *root, struct brb_node *node,
		      brb_augment_fn aug);
void brb_erase(struct brb_root *root, struct brb_node *node,
	       brb_augment_fn aug);
/* Call aug on n and each of its ancestors, bottom-up. */
void brb_propagate(struct brb_node *n, brb_augment_fn aug);

struct brb_node *brb_first(const struct brb_root *root);
struct brb_node *brb_last(const struct brb_root *root);
struct brb_node *brb_next(const struct brb_node *n);
struct brb_node *brb_prev(const struct brb_node *n);

/*
 * Check the red-black properties and parent links.  Returns the black
 * height (>= 1), or -1 if a property is broken.
 */
int brb_check(const struct brb_root *root);

#endif
