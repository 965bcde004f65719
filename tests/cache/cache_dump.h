/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/* Print the caches' state (config, per order the depot and every non-empty
 * slot), taking each lock in turn: for the reports of failed checks; and the
 * validity check the cache tests make after each scenario. */
#ifndef TESTS_CACHE_DUMP_H
#define TESTS_CACHE_DUMP_H

#include <inttypes.h>
#include <stdio.h>

#include "cache/mag.h"
#include "tap.h"

static void cache_dump(struct iova_ndomain *d, void *file)
{
	struct iova_rcache *rc = d ? d->rcache : NULL;
	FILE *f = file;
	unsigned int i, o;

	if (!rc) {
		fprintf(f, "caches: none\n");
		return;
	}
	fprintf(f, "caches: %u orders, %u per magazine, %u slots (%u per chunk), "
		"depot <= %u\n", rc->max_order, rc->mag_size, rc->nr_cpus,
		rc->chunk_mask + 1, rc->cold->depot_max);
	for (o = 0; o < rc->max_order; o++) {
		struct cache_depot *dp = cache_depot_at(rc, o);

		iova_spin_lock(&dp->lock);
		fprintf(f, " order %u: depot %u full, %u spare (cap %u); pushes %"
			PRIu64 " pops %" PRIu64 " trims %" PRIu64 "\n", o,
			dp->nr_full, dp->nr_empty, dp->cap, dp->pushes, dp->pops,
			dp->trims);
		iova_spin_unlock(&dp->lock);
		for (i = 0; i < rc->nr_cpus; i++) {
			struct cache_cpu *c = cache_cpu_find(rc, i);
			struct cache_slot *s;
			size_t nl, np;

			if (!c)
				continue;
			s = &c->slot[o];
			iova_spin_lock(&c->lock);
			nl = s->loaded ? s->loaded->n : 0;
			np = s->prev ? s->prev->n : 0;
			if (s->loaded || s->hits || s->misses)
				fprintf(f, "  slot %u: loaded %zu%s (top %#" PRIx64
					") prev %zu%s; hits %" PRIu64 " misses %"
					PRIu64 "\n", i, nl, s->loaded ? "" : " (none)",
					nl ? s->loaded->pfn[nl - 1] : 0, np,
					s->prev ? "" : " (none)", s->hits, s->misses);
			iova_spin_unlock(&c->lock);
		}
	}
}

/* One TAP check: the domain and its caches pass their validators (else
 * the reasons, and the caches' state). */
static inline void check_valid(struct iova_ndomain *d, const char *what)
{
	const char *why = NULL;
	int r1 = iova_domain_validate(d, &why), r2;

	if (r1)
		diag("domain: %s", why);
	r2 = iova__cache_validate(d, &why);
	if (r2) {
		diag("cache: %s", why);
		cache_dump(d, stdout);
	}
	ok(r1 == 0 && r2 == 0, "valid after %s", what);
}

#endif
