/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Lookups without the domain lock, checked against the writer's own log.
 *
 * One writer allocates (EXACT placement, so it knows every range before it
 * exists), frees, and grows a reservation one pfn at a time (each growth
 * merges into the previous reservation).  Reader threads call iova_find()
 * and iova_find_next() at random pfns, with no lock, and check every
 * answer against an independent record:
 *
 *  - the log: each allocation attempt gets a generation g, stored as the
 *    range's user pointer; log[g] holds its lo and size, and the values of
 *    a global clock just before the allocation (born) and just after its
 *    free (died).  An answer carrying g must have exactly log[g]'s bounds
 *    (no torn entry: lo, hi and udata from one range), and its lifetime
 *    must overlap the call: born <= clock at the call's end, and not died
 *    before the call began.
 *  - pinned ranges, allocated before the readers start and never freed:
 *    find() inside one must return it, and find_next() must never skip
 *    one (no false "free" while nodes split, merge or move).
 *  - the growing reservation: find() at its first pfn must always return a
 *    reservation that starts there and ends inside what was reserved by
 *    the call's end (the merge is one write section).
 *
 * With SHIFT, every pfn above is a unit of 2^SHIFT pages (ranges, the
 * reservation and the domain scaled by it; readers look up any page of a
 * unit): SHIFT 32 makes every range 2^32 pages or more, whose lengths the
 * index keeps in two halves (gaptree.h), so readers must never see one
 * half of a length change without the other.
 *
 * usage: test_lockless [READERS] [WRITER_OPS] [SEED] [SHIFT]
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "iova/iova.h"
#include "tap.h"

#define SPACE (1u << 16)	/* pfns [0, SPACE) */
#define PIN_EVERY 1024u		/* a pinned range [k * PIN_EVERY, +1] */
#define RSV_LO (SPACE - 4096u)	/* the reservation grows from here */
#define RSV_MAX 2048u		/* ... by at most this many pfns */
#define HELD 4096		/* live ranges the writer keeps at most */
#define PIN_TAG ((void *)(uintptr_t)1)	/* udata of a pinned range */

struct life {
	uint64_t lo, size;	/* written before the generation is used */
	atomic_ulong born, died;	/* clock values; died 0 = not yet */
};

static struct iova_ndomain *d;
static struct life *logv;
static unsigned long nlog;	/* writer only */
static unsigned long log_cap;	/* set before the readers start */
static atomic_ulong clk = 1;	/* advanced around every writer step */
static atomic_ulong rsv_hi = RSV_LO;	/* reserved [RSV_LO, rsv_hi] so far */
static atomic_bool stop;
static atomic_ulong violations, lookups, found, pinned_checks, rsv_checks;
static unsigned int shift;	/* a test pfn is 2^shift pages */

/* The first page of unit u. */
static uint64_t U(uint64_t u)
{
	return u << shift;
}

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static void *gen_tag(unsigned long g)
{
	return (void *)(uintptr_t)((g + 1) << 1);	/* even, never PIN_TAG */
}

static void bad(const char *what, uint64_t pfn, const struct iova_range *r)
{
	if (atomic_fetch_add(&violations, 1) < 10)
		diag("violation: %s (pfn %" PRIu64 ", got [%" PRIu64 ", %" PRIu64
		     "] flags %u udata %p)", what, pfn, r ? r->lo : 0,
		     r ? r->hi : 0, r ? r->flags : 0, r ? r->udata : NULL);
}

static bool in_rsv_window(uint64_t p)
{
	return p >= RSV_LO && p <= RSV_LO + RSV_MAX;
}

/* The answer r for a live (not reserved, not pinned) range, call [c0, c1]. */
static void check_logged(uint64_t pfn, const struct iova_range *r,
			 unsigned long c0, unsigned long c1)
{
	uintptr_t u = (uintptr_t)r->udata;
	unsigned long g, died;
	struct life *l;

	if (!u || (u & 1) || (g = (u >> 1) - 1) >= log_cap) {
		bad("unknown user pointer", pfn, r);
		return;
	}
	l = &logv[g];
	if (atomic_load(&l->born) == 0 || atomic_load(&l->born) > c1) {
		bad("range born after the call", pfn, r);
		return;
	}
	if (r->lo != l->lo || r->hi != l->lo + l->size - 1)
		bad("torn answer: bounds are not its range's", pfn, r);
	died = atomic_load(&l->died);
	if (died && died < c0)
		bad("range freed before the call began", pfn, r);
}

/* The first pinned range with hi >= pfn, if any: its lo. */
static bool next_pin(uint64_t pfn, uint64_t *lo)
{
	uint64_t k = pfn / PIN_EVERY;

	if (pfn > k * PIN_EVERY + 1)
		k++;
	*lo = k * PIN_EVERY;
	return *lo < SPACE && !in_rsv_window(*lo);
}

static void *reader(void *arg)
{
	uint64_t s = (uint64_t)(uintptr_t)arg;
	unsigned long n = 0;

	while (!atomic_load(&stop)) {
		uint64_t pfn = rnd(&s) % SPACE, plo;
		unsigned int kind = (unsigned int)(rnd(&s) % 8);
		unsigned long c0, c1;
		struct iova_range r;
		int e;

		if (kind == 0)
			pfn = RSV_LO;
		else if (kind == 1)
			pfn = (rnd(&s) % (SPACE / PIN_EVERY)) * PIN_EVERY +
			      rnd(&s) % 2;
		c0 = atomic_load(&clk);
		{
			uint64_t q = U(pfn) + (rnd(&s) & (U(1) - 1));

			e = kind & 4 ? iova_find_next(d, q, &r) : iova_find(d, q, &r);
		}
		c1 = atomic_load(&clk);
		n++;
		if (!e) {	/* back to units: every range covers whole ones */
			if (r.lo & (U(1) - 1) || (r.hi + 1) & (U(1) - 1))
				bad("range not made of whole units", pfn, &r);
			r.lo >>= shift;
			r.hi >>= shift;
		}

		if (pfn == RSV_LO && !(kind & 4)) {
			atomic_fetch_add(&rsv_checks, 1);
			if (e || !(r.flags & IOVA_RANGE_RESERVED) ||
			    r.lo != RSV_LO || r.hi > atomic_load(&rsv_hi))
				bad("the growing reservation", pfn, e ? NULL : &r);
			continue;
		}
		if (kind & 4) {	/* find_next: never skips a pinned range */
			if (next_pin(pfn, &plo)) {
				atomic_fetch_add(&pinned_checks, 1);
				if (e || r.lo > plo)
					bad("find_next skipped a pinned range", pfn,
					    e ? NULL : &r);
			}
			if (e)
				continue;
			if (r.hi < pfn)
				bad("find_next: range below pfn", pfn, &r);
		} else {
			if (pfn % PIN_EVERY <= 1 &&
			    !in_rsv_window(pfn - pfn % PIN_EVERY)) {
				atomic_fetch_add(&pinned_checks, 1);
				if (e || r.udata != PIN_TAG ||
				    r.lo != pfn - pfn % PIN_EVERY)
					bad("find missed a pinned range", pfn,
					    e ? NULL : &r);
			}
			if (e)
				continue;
			if (r.lo > pfn || r.hi < pfn)
				bad("find: range does not hold pfn", pfn, &r);
		}
		atomic_fetch_add(&found, 1);
		if (r.flags & IOVA_RANGE_RESERVED) {
			if (!in_rsv_window(r.lo) || r.hi > atomic_load(&rsv_hi))
				bad("unknown reservation", pfn, &r);
		} else if (r.udata == PIN_TAG) {
			if (r.lo % PIN_EVERY || r.hi != r.lo + 1)
				bad("pinned range with wrong bounds", pfn, &r);
		} else {
			check_logged(pfn, &r, c0, c1);
		}
	}
	atomic_fetch_add(&lookups, n);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned int readers = argc > 1 ? (unsigned int)atoi(argv[1]) : 2;
	unsigned long ops = argc > 2 ? strtoul(argv[2], NULL, 0) : 200000;
	uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 0) : 1, s;
	struct iova_domain_config cfg = { .granule = 4096, .start_pfn = 0,
					  .flags = IOVA_DOMAIN_UDATA };
	static uint64_t held[HELD];
	unsigned long held_n = 0, i, allocs = 0, frees = 0;
	pthread_t th[16];
	const char *why = NULL;
	uint64_t p;

	shift = argc > 4 ? (unsigned int)atoi(argv[4]) : 0;
	if (readers < 1 || readers > 16 || !ops || shift > 40)
		return 2;
	cfg.end_pfn = U(SPACE) - 1;
	s = seed;
	log_cap = ops + 1;
	logv = calloc(log_cap, sizeof(*logv));
	ok(logv && iova_domain_create(&cfg, &d) == 0, "set-up");
	if (!logv || !d)
		return 1;
	for (p = 0; p < SPACE; p += PIN_EVERY)
		if (!in_rsv_window(p))
			iova_alloc_udata(d, U(2), 1, U(p), U(SPACE) - 1, IOVA_EXACT,
					 PIN_TAG, &(uint64_t){ 0 });
	iova_reserve(d, U(RSV_LO), U(RSV_LO + 1) - 1);

	for (i = 0; i < readers; i++)
		pthread_create(&th[i], NULL, reader,
			       (void *)(uintptr_t)(seed * 7919 + i + 1));

	for (i = 0; i < ops; i++) {
		uint64_t r = rnd(&s) % 100;

		if (r < 2 && atomic_load(&rsv_hi) < RSV_LO + RSV_MAX) {
			/* Grow the reservation: the new pfn merges into it. */
			uint64_t hi = atomic_load(&rsv_hi) + 1;

			atomic_store(&rsv_hi, hi);	/* before it can be seen */
			iova_reserve(d, U(hi), U(hi + 1) - 1);
		} else if (r < 55 && held_n < HELD) {
			struct life *l = &logv[nlog];
			uint64_t size = 1 + rnd(&s) % 8, lo;

			lo = rnd(&s) % (SPACE - size);
			if (in_rsv_window(lo) || in_rsv_window(lo + size - 1))
				continue;
			l->lo = lo;
			l->size = size;
			atomic_store(&l->born, atomic_fetch_add(&clk, 1) + 1);
			nlog++;
			if (!iova_alloc_udata(d, U(size), 1, U(lo), U(SPACE) - 1,
					      IOVA_EXACT, gen_tag(nlog - 1),
					      &(uint64_t){ 0 })) {
				held[held_n++] = nlog - 1;
				allocs++;
			} else {
				atomic_store(&l->died, atomic_fetch_add(&clk, 1) + 1);
			}
		} else if (held_n) {
			unsigned long k = rnd(&s) % held_n, g = held[k];

			if (iova_free(d, U(logv[g].lo)))
				bad("writer: free of its own range failed", logv[g].lo,
				    NULL);
			atomic_store(&logv[g].died, atomic_fetch_add(&clk, 1) + 1);
			held[k] = held[--held_n];
			frees++;
		}
	}
	atomic_store(&stop, true);
	for (i = 0; i < readers; i++)
		pthread_join(th[i], NULL);

	diag("writer: %lu allocs, %lu frees, reservation %" PRIu64
	     " pfns; readers: %lu lookups, %lu found, %lu pinned and %lu"
	     " reservation checks", allocs, frees,
	     (uint64_t)atomic_load(&rsv_hi) - RSV_LO + 1,
	     (unsigned long)atomic_load(&lookups), (unsigned long)atomic_load(&found),
	     (unsigned long)atomic_load(&pinned_checks),
	     (unsigned long)atomic_load(&rsv_checks));
	ok(allocs > ops / 4 && frees > ops / 8, "the writer churned");
	ok(atomic_load(&lookups) > 1000, "the readers ran");
	ok(atomic_load(&pinned_checks) > 100 && atomic_load(&rsv_checks) > 100,
	   "the pinned and reservation checks ran");
	ok(atomic_load(&violations) == 0, "every lockless answer was a range "
	   "live during the call, never torn, never a missed one");
	ok(iova_domain_validate(d, &why) == 0, "validate: %s", why ? why : "ok");
	iova_domain_destroy(d);
	free(logv);
	return tap_done();
}
