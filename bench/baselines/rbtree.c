// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Red-black tree for the benchmark baselines (see rbtree.h).  Textbook
 * algorithm (insert: recolour or rotate at the uncle; erase: splice out the
 * node or its successor, then repair a "double black"), written with parent
 * pointers and NULL leaves.
 */
#include "rbtree.h"

static inline void set_parent(struct brb_node *n, struct brb_node *p)
{
	n->parent_color = (uintptr_t)p | (n->parent_color & 1);
}

static inline void set_black(struct brb_node *n)
{
	n->parent_color |= 1;
}

static inline void set_red(struct brb_node *n)
{
	n->parent_color &= ~(uintptr_t)1;
}

static inline void copy_colour(struct brb_node *dst, const struct brb_node *src)
{
	dst->parent_color = (dst->parent_color & ~(uintptr_t)1) |
			    (src->parent_color & 1);
}

/* Make the subtree rooted at u be rooted at v instead (v may be NULL). */
static void replace_child(struct brb_root *root, struct brb_node *u,
			  struct brb_node *v)
{
	struct brb_node *p = brb_parent(u);

	if (!p)
		root->node = v;
	else if (p->left == u)
		p->left = v;
	else
		p->right = v;
	if (v)
		set_parent(v, p);
}

/* x goes down-left, its right child y comes up. */
static void rotate_left(struct brb_root *root, struct brb_node *x,
			brb_augment_fn aug)
{
	struct brb_node *y = x->right;

	replace_child(root, x, y);
	x->right = y->left;
	if (y->left)
		set_parent(y->left, x);
	y->left = x;
	set_parent(x, y);
	if (aug) {
		aug(x);
		aug(y);
	}
}

/* x goes down-right, its left child y comes up. */
static void rotate_right(struct brb_root *root, struct brb_node *x,
			 brb_augment_fn aug)
{
	struct brb_node *y = x->left;

	replace_child(root, x, y);
	x->left = y->right;
	if (y->right)
		set_parent(y->right, x);
	y->right = x;
	set_parent(x, y);
	if (aug) {
		aug(x);
		aug(y);
	}
}

void brb_insert_fixup(struct brb_root *root, struct brb_node *z,
		      brb_augment_fn aug)
{
	struct brb_node *p, *g, *u;

	while ((p = brb_parent(z)) && !brb_is_black(p)) {
		g = brb_parent(p);	/* p is red, so it is not the root */
		if (p == g->left) {
			u = g->right;
			if (!brb_is_black(u)) {
				set_black(p);
				set_black(u);
				set_red(g);
				z = g;
				continue;
			}
			if (z == p->right) {
				rotate_left(root, p, aug);
				z = p;
				p = brb_parent(z);
			}
			set_black(p);
			set_red(g);
			rotate_right(root, g, aug);
		} else {
			u = g->left;
			if (!brb_is_black(u)) {
				set_black(p);
				set_black(u);
				set_red(g);
				z = g;
				continue;
			}
			if (z == p->left) {
				rotate_right(root, p, aug);
				z = p;
				p = brb_parent(z);
			}
			set_black(p);
			set_red(g);
			rotate_left(root, g, aug);
		}
	}
	set_black(root->node);
}

void brb_propagate(struct brb_node *n, brb_augment_fn aug)
{
	for (; n; n = brb_parent(n))
		aug(n);
}

void brb_erase(struct brb_root *root, struct brb_node *z, brb_augment_fn aug)
{
	struct brb_node *x, *xp, *y, *w;
	int removed_black;

	if (!z->left || !z->right) {
		x = z->left ? z->left : z->right;
		xp = brb_parent(z);
		removed_black = brb_is_black(z);
		replace_child(root, z, x);
	} else {
		y = z->right;
		while (y->left)
			y = y->left;
		removed_black = brb_is_black(y);
		x = y->right;
		if (brb_parent(y) == z) {
			xp = y;
		} else {
			xp = brb_parent(y);
			replace_child(root, y, x);
			y->right = z->right;
			set_parent(y->right, y);
		}
		replace_child(root, z, y);
		y->left = z->left;
		set_parent(y->left, y);
		copy_colour(y, z);
	}
	if (aug)
		brb_propagate(xp, aug);
	if (!removed_black)
		return;

	while (x != root->node && brb_is_black(x)) {
		if (x == xp->left) {
			w = xp->right;
			if (!brb_is_black(w)) {
				set_black(w);
				set_red(xp);
				rotate_left(root, xp, aug);
				w = xp->right;
			}
			if (brb_is_black(w->left) && brb_is_black(w->right)) {
				set_red(w);
				x = xp;
				xp = brb_parent(x);
				continue;
			}
			if (brb_is_black(w->right)) {
				set_black(w->left);
				set_red(w);
				rotate_right(root, w, aug);
				w = xp->right;
			}
			copy_colour(w, xp);
			set_black(xp);
			set_black(w->right);
			rotate_left(root, xp, aug);
			x = root->node;
			break;
		} else {
			w = xp->left;
			if (!brb_is_black(w)) {
				set_black(w);
				set_red(xp);
				rotate_right(root, xp, aug);
				w = xp->left;
			}
			if (brb_is_black(w->left) && brb_is_black(w->right)) {
				set_red(w);
				x = xp;
				xp = brb_parent(x);
				continue;
			}
			if (brb_is_black(w->left)) {
				set_black(w->right);
				set_red(w);
				rotate_left(root, w, aug);
				w = xp->left;
			}
			copy_colour(w, xp);
			set_black(xp);
			set_black(w->left);
			rotate_right(root, xp, aug);
			x = root->node;
			break;
		}
	}
	if (x)
		set_black(x);
}

struct brb_node *brb_first(const struct brb_root *root)
{
	struct brb_node *n = root->node;

	if (n)
		while (n->left)
			n = n->left;
	return n;
}

struct brb_node *brb_last(const struct brb_root *root)
{
	struct brb_node *n = root->node;

	if (n)
		while (n->right)
			n = n->right;
	return n;
}

struct brb_node *brb_next(const struct brb_node *n)
{
	struct brb_node *p;

	if (n->right) {
		n = n->right;
		while (n->left)
			n = n->left;
		return (struct brb_node *)n;
	}
	while ((p = brb_parent(n)) && n == p->right)
		n = p;
	return p;
}

struct brb_node *brb_prev(const struct brb_node *n)
{
	struct brb_node *p;

	if (n->left) {
		n = n->left;
		while (n->right)
			n = n->right;
		return (struct brb_node *)n;
	}
	while ((p = brb_parent(n)) && n == p->left)
		n = p;
	return p;
}

static int check_sub(const struct brb_node *n, const struct brb_node *parent)
{
	int l, r;

	if (!n)
		return 1;
	if (brb_parent(n) != parent)
		return -1;
	if (!brb_is_black(n) && (!brb_is_black(n->left) ||
				 !brb_is_black(n->right)))
		return -1;
	l = check_sub(n->left, n);
	r = check_sub(n->right, n);
	if (l < 0 || r < 0 || l != r)
		return -1;
	return l + brb_is_black(n);
}

int brb_check(const struct brb_root *root)
{
	if (root->node && !brb_is_black(root->node))
		return -1;
	return check_sub(root->node, NULL);
}
