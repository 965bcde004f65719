/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * The caches' memory is taken on first use and given back when idle
 * (src/cache/mag.h C1, docs/caches.md):
 *  - set-up costs one small block and nothing per CPU; a CPU gets its slot
 *    chunk and a magazine when it first frees, a second magazine when the
 *    first fills;
 *  - a failed allocation of any of these never fails the caller: the range
 *    goes to (or comes from) the index, and no range is lost or handed out
 *    twice (an ownership map);
 *  - iova_cache_trim() gives an idle CPU's magazines back (the heap returns
 *    to its level before the traffic, but for the slot chunk), and leaves a
 *    busy CPU's alone;
 *  - iova_cache_flush_cpu() (the kernel's CPU-dead callback) gives a CPU's
 *    ranges and magazines back, whatever CPU it runs on.
 * The memory oracle is the domain's own hooks: they count the bytes they
 * hand out, check that every free names the size of its allocation, and
 * can be made to fail; the index's share (iova_stats.index_bytes) is taken
 * out, the rest is the caches'.
 */
#define _GNU_SOURCE	/* pthread_setaffinity_np, sched_getcpu */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "cache_dump.h"
#include "pin.h"
#include "tap.h"

#define L 0xFFFFFu	/* the 32-bit limit at 4 KiB */
#define MAG 1024u	/* one default magazine */

/* --- counting hooks ------------------------------------------------ */

static atomic_long live_bytes, live_blocks, size_mismatches;
static atomic_bool hooks_fail;

static void *c_alloc(size_t size, void *ctx)
{
	size_t *p;

	(void)ctx;
	if (atomic_load(&hooks_fail))
		return NULL;
	p = malloc(size + 16);
	if (!p)
		return NULL;
	p[0] = size;
	atomic_fetch_add(&live_bytes, (long)size);
	atomic_fetch_add(&live_blocks, 1);
	return (char *)p + 16;
}

static void c_free(void *ptr, size_t size, void *ctx)
{
	size_t *p = (size_t *)(void *)((char *)ptr - 16);

	(void)ctx;
	if (p[0] != size)
		atomic_fetch_add(&size_mismatches, 1);
	atomic_fetch_sub(&live_bytes, (long)p[0]);
	atomic_fetch_sub(&live_blocks, 1);
	free(p);
}

static const struct iova_mem_hooks counting = { c_alloc, c_free, NULL };

/* Bytes the hooks hold for d beyond its index (and beyond base). */
static long heap(struct iova_ndomain *d)
{
	struct iova_stats st;

	iova_get_stats(d, &st);
	return atomic_load(&live_bytes) - (long)st.index_bytes;
}

/* The part of the caches that exists only with checked frees (debug
 * builds): the cached set and validation's scratch array. */
static long checked_extra(struct iova_ndomain *d)
{
	struct cache_cold *cold = d->rcache->cold;

	return (long)(cold->set.bytes + cold->scratch_bytes);
}

/* --- helpers ---------------------------------------------------------- */

static struct iova_ndomain *mk(const struct iova_cache_config *cc, long *base)
{
	struct iova_domain_config c = { .start_pfn = 1, .mem = &counting };
	struct iova_ndomain *d = NULL;

	if (iova_domain_create(&c, &d))
		return NULL;
	*base = heap(d);	/* the domain alone */
	if (cc && iova_domain_init_caches(d, cc)) {
		iova_domain_destroy(d);
		return NULL;
	}
	return d;
}

static uint64_t A(struct iova_ndomain *d, uint64_t size)
{
	uint64_t pfn = 0;

	if (iova_alloc_fast(d, size, L, true, &pfn))
		return UINT64_MAX;
	return pfn;
}

static struct iova_cache_stats cst(struct iova_ndomain *d, unsigned int order)
{
	struct iova_cache_stats s = { 0 };

	iova_cache_get_stats(d, order, &s);
	return s;
}

static uint64_t mag_bytes_all(struct iova_ndomain *d)
{
	uint64_t b = 0;
	unsigned int o;

	for (o = 0; o < 6; o++)
		b += cst(d, o).mag_bytes;
	return b;
}

static uint64_t cached_all(struct iova_ndomain *d)
{
	uint64_t n = 0;
	unsigned int o;

	for (o = 0; o < 6; o++)
		n += cst(d, o).cached_ranges;
	return n;
}

static uint64_t live(struct iova_ndomain *d)
{
	struct iova_stats st;

	iova_get_stats(d, &st);
	return st.live_ranges;
}

/* Slot bytes of a chunk of n default slots, as allocated (line slack). */
static long chunk_bytes(unsigned int n)
{
	return (long)n * 256 + 64;
}

/* --- first use ------------------------------------------------------ */

static void test_first_use(void)
{
	struct iova_cache_config cc = { .nr_cpus = 256 };
	struct iova_ndomain *d;
	struct iova_cache_stats s;
	uint64_t p[300];
	long base, h0, h1;
	unsigned int o, l = 99, pv = 99;
	int cpu, i;

	if (!pin_to(0)) {
		ok(1, "# SKIP first-use test: cannot run on CPU 0");
		return;
	}
	cpu = 0;
	d = mk(&cc, &base);
	if (!ok(d != NULL, "a domain with caches for 256 CPUs"))
		return;
	h0 = heap(d) - base;
	s = cst(d, 0);
	diag("set-up: %ld bytes (%ld of them for checked frees)", h0,
	     checked_extra(d));
	ok(h0 - checked_extra(d) <= 1024, "set-up costs <= 1 KiB at 256 CPUs (%ld)",
	   h0 - checked_extra(d));
	is_u64(s.cache_bytes, (uint64_t)h0, "cache_bytes == what the hooks hold");
	is_u64(s.cpu_slots, 0, "no CPU slot yet");
	is_u64(mag_bytes_all(d), 0, "no magazine yet");

	for (i = 0; i < 300; i++)
		p[i] = A(d, 1);
	is_u64(heap(d) - base, (uint64_t)h0, "300 allocations: still nothing per CPU");
	is_u64(cst(d, 0).cpu_slots, 0, "no slot: a CPU that only allocates has none");
	is_u64(cst(d, 0).misses, 300, "their misses are counted");

	is_int(iova_free_fast(d, p[0], 1), 0, "first free");
	h1 = heap(d) - base;
	s = cst(d, 0);
	is_u64(s.cpu_slots, 8, "a chunk of 8 slots");
	is_u64(s.mag_bytes, MAG, "one magazine of order 0");
	is_u64((uint64_t)(h1 - h0), (uint64_t)(chunk_bytes(8) + MAG),
	       "the hooks gave a chunk and a magazine, nothing else");
	is_u64(s.cache_bytes, (uint64_t)h1, "cache_bytes follows");
	for (o = 1; o < 6; o++)
		if (cst(d, o).mag_bytes)
			break;
	is_int(o, 6, "no magazine of the other orders");
	iova__cache_slot_counts(d, (unsigned int)cpu, 0, &l, &pv);
	ok(l == 1 && pv == 0, "loaded holds it, no prev (%u, %u)", l, pv);
	for (i = 1; i < 127; i++)
		iova_free_fast(d, p[i], 1);
	is_u64(cst(d, 0).mag_bytes, MAG, "127 frees: still one magazine");
	iova_free_fast(d, p[127], 1);
	is_u64(cst(d, 0).mag_bytes, 2 * MAG, "the 128th brings prev");
	is_u64(heap(d) - base - h1, MAG, "one more magazine from the hooks");
	check_valid(d, "first use");
	iova_domain_destroy(d);
	is_u64((uint64_t)atomic_load(&live_blocks), 0, "destroy frees every block");
	is_u64((uint64_t)atomic_load(&size_mismatches), 0, "every free had its size");
	pin_none();
}

/* --- failures ------------------------------------------------------- */

#define NH 600
static uint64_t held[NH];
static unsigned char held_size[NH];
static unsigned char owner[L + 64];	/* 1: held by the test */

/* Claim a range in the ownership map: false if any pfn was held. */
static bool claim(uint64_t pfn, uint64_t n, bool take)
{
	bool okay = true;
	uint64_t i;

	for (i = 0; i < n; i++) {
		if (owner[pfn + i] == take)
			okay = false;
		owner[pfn + i] = take;
	}
	return okay;
}

static uint64_t span(uint64_t size)
{
	return (uint64_t)1 << iova_clog2(size);
}

/*
 * Allocate nh ranges of sizes 1..8, then free them all with the k-th
 * allocation of the hooks failing (every one from there on with all), then
 * allocate them again: never -ENOMEM from a cache failure, nothing handed
 * out twice, and every range accounted for (held, cached or free).
 * Returns the number of violations.
 */
static unsigned int fail_round(const struct iova_cache_config *cc,
			       unsigned long k, bool all, uint64_t *fallbacks)
{
	struct iova_ndomain *d;
	unsigned int bad = 0, i, o;
	long base;

	d = mk(cc, &base);
	if (!d)
		return 1000;
	iova_memset(owner, 0, sizeof(owner));
	for (i = 0; i < NH; i++) {
		held_size[i] = (unsigned char)(1 + i % 8);
		held[i] = A(d, held_size[i]);
		if (held[i] == UINT64_MAX || !claim(held[i], span(held_size[i]), 1))
			bad++;
	}
	if (all)
		atomic_store(&hooks_fail, true);
	else
		iova__fault_inject(k);
	for (i = 0; i < NH; i++) {
		bad += iova_free_fast(d, held[i], held_size[i]) != 0;
		claim(held[i], span(held_size[i]), 0);
		held[i] = UINT64_MAX;
	}
	atomic_store(&hooks_fail, false);
	iova__fault_inject(0);
	*fallbacks = 0;
	for (o = 0; o < 6; o++)
		*fallbacks += cst(d, o).put_fallbacks;
	/* Nothing held: every live range is a cached one. */
	if (live(d) != cached_all(d)) {
		diag("k %lu: %" PRIu64 " live, %" PRIu64 " cached", k, live(d),
		     cached_all(d));
		bad++;
	}
	if (all)
		iova__fault_inject(0);
	for (i = 0; i < NH; i++) {
		held[i] = A(d, held_size[i]);
		if (held[i] == UINT64_MAX || !claim(held[i], span(held_size[i]), 1))
			bad++;
	}
	for (i = 0; i < NH; i++)
		bad += iova_free_fast(d, held[i], held_size[i]) != 0;
	iova_cache_flush_all(d);
	bad += live(d) != 0;
	bad += iova__cache_validate(d, NULL) != 0;
	bad += iova_domain_validate(d, NULL) != 0;
	iova_domain_destroy(d);
	return bad;
}

static void test_failures(void)
{
	struct iova_cache_config cc = { .nr_cpus = 1, .mag_size = 16,
					.depot_max = 4 };
	unsigned long k, sites;
	unsigned int bad = 0, worst = 0;
	uint64_t fb = 0, fb_any = 0;
	struct iova_ndomain *d;
	long base;
	int i;

	/* How many allocations the free phase makes (slot, magazines,
	 * depot arrays): each of them fails in turn. */
	d = mk(&cc, &base);
	for (i = 0; i < NH; i++) {
		held_size[i] = (unsigned char)(1 + i % 8);
		held[i] = A(d, held_size[i]);
	}
	iova__fault_inject(0);
	for (i = 0; i < NH; i++)
		iova_free_fast(d, held[i], held_size[i]);
	sites = iova__fault_inject(0);
	iova_domain_destroy(d);
	ok(sites >= 10, "the frees allocate %lu blocks", sites);
	for (k = 1; k <= sites; k++) {
		unsigned int b = fail_round(&cc, k, false, &fb);

		bad += b;
		fb_any += fb;
		if (b > worst)
			worst = b;
		if (b)
			diag("failing allocation %lu: %u violations", k, b);
	}
	is_int(bad, 0, "each failing allocation: no loss, no double hand-out");
	ok(fb_any >= sites, "and each sent frees to the index (%" PRIu64 ")", fb_any);
	is_int(fail_round(&cc, 0, true, &fb), 0, "every allocation failing: the same");
	is_u64(fb, NH, "all %u frees went to the index", NH);
}

/* A CPU without a slot that finds a full depot magazine makes a slot to
 * take it; if that fails it allocates from the index instead. */
static void test_get_side_slot(void)
{
	struct iova_cache_config cc = { .nr_cpus = 2, .mag_size = 4,
					.depot_max = 4 };
	struct iova_ndomain *d;
	uint64_t p[16], q, r;
	long base;
	int i;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || !pin_to(1)) {
		ok(1, "# SKIP get-side slot test: needs CPUs 0 and 1");
		return;
	}
	d = mk(&cc, &base);
	for (i = 0; i < 16; i++)
		p[i] = A(d, 1);
	for (i = 0; i < 16; i++)	/* CPU 1: 8 in its magazines, 2 in the depot */
		iova_free_fast(d, p[i], 1);
	is_u64(cst(d, 0).depot_mags, 2, "CPU 1 filled 2 depot magazines");
	pin_to(0);
	is_u64(cst(d, 0).cpu_slots, 1, "only CPU 1 has a slot");
	iova__fault_inject(1);
	q = A(d, 1);
	iova__fault_inject(0);
	ok(q != UINT64_MAX && q < p[15], "slot allocation fails: the index serves");
	is_u64(cst(d, 0).cpu_slots, 1, "still one slot");
	r = A(d, 1);
	is_u64(cst(d, 0).cpu_slots, 2, "next miss: CPU 0 makes its slot...");
	ok(r == p[15] || r == p[11], "...and takes a depot magazine (%#" PRIx64 ")", r);
	is_u64(cst(d, 0).depot_mags, 1, "one left");
	iova_free_fast(d, q, 1);
	iova_free_fast(d, r, 1);
	check_valid(d, "get-side slot");
	iova_domain_destroy(d);
	pin_none();
}

/* --- idle trim ------------------------------------------------------- */

static void traffic(struct iova_ndomain *d, unsigned int n, uint64_t *p)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = A(d, 1 + i % 32);
	for (i = 0; i < n; i++)
		iova_free_fast(d, p[i], 1 + i % 32);
}

static void test_idle_trim(void)
{
	struct iova_cache_config cc = { .nr_cpus = 1, .mag_size = 8,
					.depot_max = 2 };
	static uint64_t p[400];
	struct iova_ndomain *d;
	long base, h0, h1;
	unsigned int i;

	d = mk(&cc, &base);
	h0 = heap(d) - base;
	traffic(d, 400, p);
	h1 = heap(d) - base;
	diag("after traffic: %ld cache bytes, %" PRIu64 " cached ranges", h1,
	     cached_all(d));
	ok(mag_bytes_all(d) > 6 * 2 * 72, "magazines of every order");
	iova_cache_trim(d);
	ok(mag_bytes_all(d) >= 6 * 2 * 72, "first trim: the CPU's magazines stay");
	is_u64(cst(d, 0).idle_trims, 0, "not idle yet");
	/* Traffic between the trims that never reaches the caches. */
	for (i = 0; i < 3; i++)
		p[i] = A(d, 64);	/* uncached: no cache call at all */
	for (i = 0; i < 3; i++)
		iova_free_fast(d, p[i], 64);
	iova_cache_trim(d);
	is_u64(cst(d, 0).idle_trims, 1, "no cache call since the last trim: idle");
	is_u64(mag_bytes_all(d), 0, "every magazine given back");
	is_u64(cached_all(d), 0, "every range given back");
	is_u64(live(d), 0, "nothing live in the index");
	is_u64((uint64_t)(heap(d) - base), (uint64_t)(h0 + chunk_bytes(1)),
	       "the heap is back to its set-up level, plus the slot");
	is_u64(cst(d, 0).cache_bytes, (uint64_t)(heap(d) - base),
	       "cache_bytes says the same");
	check_valid(d, "idle trim");

	/* A CPU that keeps freeing between trims is not idle. */
	for (i = 0; i < 4; i++)
		p[i] = A(d, 1);
	iova_free_fast(d, p[0], 1);
	iova_cache_trim(d);
	iova_free_fast(d, p[1], 1);	/* a fast free only */
	iova_cache_trim(d);
	is_u64(cst(d, 0).mag_bytes, 72, "a fast free in between: magazine kept");
	is_u64(cst(d, 0).idle_trims, 1, "not counted as idle");
	iova_free_fast(d, p[2], 1);
	p[2] = A(d, 1);			/* a hit: n back where it was */
	iova_cache_trim(d);
	is_u64(cst(d, 0).mag_bytes, 72, "a free and a hit in between: kept");
	iova_cache_trim(d);
	is_u64(cst(d, 0).mag_bytes, 0, "then idle: given back");
	is_u64(cst(d, 0).idle_trims, 2, "counted");
	iova_free_fast(d, p[2], 1);
	iova_free_fast(d, p[3], 1);
	is_u64(cst(d, 0).mag_bytes, 72, "a free after an idle trim: a new magazine");
	is_u64(cst(d, 0).cached_ranges, 2, "cached there");
	check_valid(d, "busy trims");
	iova_domain_destroy(d);
	is_u64((uint64_t)atomic_load(&live_blocks), 0, "destroy frees every block");
}

/* --- CPU-dead flush -------------------------------------------------- */

static void test_cpu_dead(void)
{
	struct iova_cache_config cc = { .nr_cpus = 64, .mag_size = 8 };
	static uint64_t p[64];
	struct iova_ndomain *d;
	long base, h0, h1;
	unsigned int l = 9, pv = 9;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || !pin_to(1)) {
		ok(1, "# SKIP CPU-dead test: needs CPUs 0 and 1");
		return;
	}
	d = mk(&cc, &base);
	h0 = heap(d) - base;
	traffic(d, 32, p);		/* CPU 1: 32 cached, none in the depot */
	h1 = heap(d) - base;
	is_u64(cst(d, 0).cpu_slots, 2, "CPUs 0 and 1 share a chunk");
	pin_to(0);
	iova_cache_flush_cpu(d, 0);	/* never used: nothing to do */
	is_u64(heap(d) - base, (uint64_t)h1, "flushing an unused slot: no change");
	iova_cache_flush_cpu(d, 1);	/* CPU 1 died (from CPU 0) */
	is_u64(cached_all(d), 0, "its ranges went back");
	is_u64(live(d), 0, "free in the index");
	is_u64(mag_bytes_all(d), 0, "its magazines too");
	is_u64((uint64_t)(heap(d) - base), (uint64_t)(h0 + chunk_bytes(2)),
	       "the heap: set-up + the chunk");
	iova__cache_slot_counts(d, 1, 0, &l, &pv);
	ok(l == 0 && pv == 0, "slot 1 empty");
	iova_cache_flush_cpu(d, 63);	/* a slot whose chunk was never made */
	iova_cache_flush_cpu(d, 64);	/* no such slot */
	check_valid(d, "CPU-dead flush");
	pin_to(1);			/* the CPU comes back */
	traffic(d, 32, p);
	ok(mag_bytes_all(d) > 0 && cached_all(d) == 32, "it caches again");
	pin_to(0);
	check_valid(d, "CPU back");
	iova_domain_destroy(d);
	pin_none();
}

int main(void)
{
	test_first_use();
	test_failures();
	test_get_side_slot();
	test_idle_trim();
	test_cpu_dead();
	is_u64((uint64_t)atomic_load(&size_mismatches), 0, "no free with a wrong size");
	return tap_done();
}
