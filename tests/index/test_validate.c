/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Corrupt a domain on purpose, one invariant at a time, and check that
 * iova_domain_validate() names the broken invariant; then undo the damage
 * and check the domain is valid again (so each case is isolated).
 */
#include <string.h>

#include "domain/domain.h"
#include "tap.h"
#include "corrupt.h"


static struct iova_index_inner *root_inner(void)
{
	return d->tree.height > 1 ? d->tree.root : NULL;
}

static struct iova_index_leaf *first_leaf(void)
{
	void *n = d->tree.root;
	uint32_t i;

	for (i = 0; i + 1 < d->tree.height; i++)
		n = ((struct iova_index_inner *)n)->child[0];
	return n;
}


int main(void)
{
	struct iova_domain_config cfg = { .start_pfn = 1, .end_pfn = 0xFFFFF };
	struct iova_index_leaf *l;
	struct iova_index_inner *in;
	uint64_t pfn, i;

	if (iova_domain_create(&cfg, &d))
		return 99;
	/* Two pages apart: every range owns a one-page gap; 3 levels. */
	for (i = 0; i < 5000; i++)
		if (iova_alloc(d, 1, 2, 0, 0xFFFFF, IOVA_TOP_DOWN, &pfn))
			return 98;
	iova_reserve(d, 0x10, 0x1F);
	expect_valid("nothing");
	ok(d->tree.height >= 3, "tree has %u levels", d->tree.height);
	l = first_leaf();
	in = root_inner();

	CORRUPT("ranges out of order", "1)", l->lo[1], l->lo[0]);
	/* range 0 is the reservation [0x10, 0x1F]: its end wraps past 2^64 */
	CORRUPT("lo > hi", "1)", l->lo[0], UINT64_MAX - 1);
	CORRUPT("a range below start", "1)", l->lo[0], 0);
	CORRUPT("a reserved bit past the end", "1)", l->rsv,
		l->rsv | (UINT64_C(1) << (l->n)));
	CORRUPT("a gap bit", "2)", l->gmask, l->gmask ^ 2);
	CORRUPT("an inner key", "4)", in->key[0], in->key[0] + 1);
	CORRUPT("a gap summary", "5)", in->gap[1], in->gap[1] + 1);
	CORRUPT("an inner gap bit", "5)", in->gmask, in->gmask ^ 1);
	CORRUPT("an aligned-run key", "5)", in->akey[1], in->akey[1] ^ 1);
	CORRUPT("the range count", "6)", d->tree.count, d->tree.count + 1);
	CORRUPT("the free-gap count", "6)", d->tree.free_gaps,
		d->tree.free_gaps - 1);
	CORRUPT("the leaf count", "6)", d->tree.nr_leaves,
		d->tree.nr_leaves + 1);
	CORRUPT("the high-half block count", "6)", d->tree.nr_exts,
		d->tree.nr_exts + 1);
	CORRUPT("the live page counter", "D1)", d->live_pages,
		d->live_pages + 1);
	CORRUPT("the reserved range counter", "D1)", d->reserved_ranges,
		d->reserved_ranges + 1);
	CORRUPT("a leaf over capacity", "3)", l->n, IOVA_INDEX_LEAF_CAP + 1);
	CORRUPT("an inner root with one child", "3)", in->n, 1);
	{
		/* A range that moved into its neighbour's gap: the passed-down
		 * pred_end or the gap summary no longer matches. */
		struct iova_index_leaf *l2 = ((struct iova_index_inner *)in->child[0])->child[1];

		CORRUPT("a leaf's first range overlapping its predecessor",
			"1)", l2->lo[0], l->lo[l->n - 1] + l->len[l->n - 1]);
	}
	{
		/* Two reservations that touch must have been merged. */
		uint64_t a;

		ok(iova_alloc(d, 16, 1, 0x20, 0x2F, IOVA_EXACT, &a) == 0,
		   "exact [0x20, 0x2F] next to the reservation");
		d->live_ranges--;
		d->live_pages -= 16;
		d->reserved_ranges++;
		d->reserved_pages += 16;
		l->rsv |= 2;
		expect_broken("touching reservations", "D2)");
		l->rsv &= ~(uint64_t)2;
		d->live_ranges++;
		d->live_pages += 16;
		d->reserved_ranges--;
		d->reserved_pages -= 16;
		expect_valid("the reservation test");
	}
	iova_domain_destroy(d);
	return tap_done();
}
