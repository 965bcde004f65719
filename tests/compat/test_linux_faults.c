/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Fault injection across both APIs.
 *
 * A fixed script mixes the Linux-compatible API (on a compat domain C) with
 * the native one (on a native domain N, and on C's own native domain).  A
 * clean run counts the T memory allocations the library makes (index nodes,
 * struct iova, private state, magazines: all go through the counted hook of
 * iova__fault_inject()).  Then for every k in 1..T the script runs again
 * with the k-th allocation failing, and:
 *   - exactly one call fails, with its documented error (NULL / 0 /
 *     -ENOMEM), where the model says it would have succeeded;
 *   - both domains validate and equal the model (oracle.h) right after it;
 *   - a 32-bit alloc_iova() right after the failure succeeds where the
 *     model says there is room (no remembered failure), and so does the
 *     native equivalent on N;
 *   - retrying the failed call succeeds, and the rest of the script runs
 *     exactly as in the clean run.
 * The model: oracle.h for the index (C's includes the floor [0, start-1]),
 * plus a LIFO model of the single CPU slot's magazines once caches are on
 * (the script keeps them far from full, so no depot is involved).
 */
#include "iova/iova.h"
#include "iova/cache.h"
#include "iova/linux.h"

#include <inttypes.h>
#include <limits.h>

#include "oracle/oracle.h"
#include "tap.h"

/* src/internal.h (fault-injection builds; a stub returning 0 otherwise). */
unsigned long iova__fault_inject(unsigned long k);

#define C_START 1UL
#define C_TOP (UINT64_MAX >> 12)
#define N_START 0x10u
#define N_END 0xFFFFFu
#define MAXS 2048
#define MAXOPS 2560

enum opk {
	C_INIT, C_ALLOC, C_FAST, C_FREE, C_FREE_PTR, C_FAST_FREE, C_FIND,
	C_RESERVE, C_RCACHES, C_NALLOC, N_CREATE, N_ALLOC, N_FREE, N_RESERVE,
	NR_OPK
};

static const char *const opk_name[NR_OPK + 1] = {
	"init_iova_domain", "alloc_iova", "alloc_iova_fast", "free_iova",
	"__free_iova", "free_iova_fast", "find_iova", "reserve_iova",
	"iova_domain_init_rcaches", "iova_alloc (on a compat domain)",
	"iova_domain_create", "iova_alloc_udata", "iova_free", "iova_reserve",
	"free_iova_fast (new magazine)",
};

struct op {
	enum opk k;
	uint64_t size, a, b;	/* size; limit or [a, b] */
	unsigned int flag;	/* aligned / policy */
	int slot;		/* result slot, or the slot it refers to */
};

static struct op script[MAXOPS];
static unsigned int nops;

/* Run state. */
static struct iova_domain C;
static bool c_live;
static struct iova_ndomain *N;
static struct oracle oc, on;
static uint64_t slot_pfn[MAXS], slot_size[MAXS];
static struct iova *slot_it[MAXS];
static bool slot_live[MAXS];
static bool random_mode;
static bool expect_fail;	/* the model said the last call fails */	/* ops may refer to slots that are not live */
static bool caches_on;
static bool c_fast_used;	/* a fast call ran: init_rcaches is -EBUSY */
static uint64_t mag[6][512];
static unsigned int mag_n[6];
static unsigned long mismatches;

static void bad_free_hook(struct iova_domain *d, unsigned long pfn,
			  const char *what)
{
	(void)d;
	diag("unexpected bad free of %#lx: %s", pfn, what);
	mismatches++;
}

/* --- the script ----------------------------------------------------- */

static int nslots;

static int add(enum opk k, uint64_t size, uint64_t a, uint64_t b,
	       unsigned int flag, int slot)
{
	if (nops == MAXOPS)
		abort();
	script[nops++] = (struct op){ k, size, a, b, flag, slot };
	return slot;
}

static int new_slot(void)
{
	if (nslots == MAXS)
		abort();
	return nslots++;
}

static void build_script(void)
{
	enum opk c_kind[200];
	int big[255], many[300];
	int c_al[200], n_al[70], c_fast[12], c_nat[6], c_late[40], f2[6];
	int i;

	add(C_INIT, 0, 0, 0, 0, -1);
	add(N_CREATE, 0, 0, 0, 0, -1);
	add(C_RESERVE, 0, 0xFEE00, 0xFEEFF, 0, -1);
	add(C_RESERVE, 0, 0, 0, 0, -1);		/* below start_pfn */
	add(C_RESERVE, 0, 0xFEF00, 0xFEF0F, 0, -1);	/* adjacent: merges */
	add(N_RESERVE, 0, 0x100, 0x1FF, 0, -1);
	add(C_RCACHES, 0, 0, 0, 0, -1);	/* before any fast call */
	/*
	 * 32- and 36-bit, aligned or not, mixed with fast and native calls
	 * so that each kind meets node-pool refills (after leaf splits).
	 */
	for (i = 0; i < 200; i++) {
		c_kind[i] = i % 4 == 1 ? C_FAST : i % 4 == 3 ? C_NALLOC : C_ALLOC;
		if (c_kind[i] == C_NALLOC)
			c_al[i] = add(C_NALLOC, 1 + (uint64_t)i % 3, 0, 0xFFFFF,
				      0, new_slot());
		else
			c_al[i] = add(c_kind[i], 1 + (uint64_t)i % 5,
				      i % 3 ? 0xFFFFF : (UINT64_C(1) << 36) - 1,
				      0, (unsigned int)i & 1, new_slot());
	}
	for (i = 0; i < 70; i++)
		n_al[i] = add(N_ALLOC, 1 + (uint64_t)i % 7, N_START, N_END,
			      i % 3 == 0, new_slot());
	for (i = 0; i < 80; i++)	/* enough to split a leaf */
		add(C_NALLOC, 1, 0, 0xFFFFF, 0, new_slot());
	for (i = 0; i < 6; i++)	/* native calls on the compat domain */
		c_nat[i] = add(C_NALLOC, 2 + (uint64_t)i, 0, 0xFFFFF, 0,
			       new_slot());
	for (i = 0; i < 6; i++)	/* their struct iova, made on demand */
		add(C_FIND, 0, 0, 0, 0, c_nat[i]);
	for (i = 0; i < 12; i++)
		c_fast[i] = add(C_FAST, 1 + (uint64_t)i % 40, 0xFFFFF, 0, 0,
				new_slot());
	for (i = 0; i < 12; i += 3)
		add(C_FIND, 0, 0, 0, 0, c_fast[i]);
	add(C_RESERVE, 0, 0x40000, 0x40FFF, 0, -1);
	for (i = 0; i < 200; i += 3)	/* free some: merges gaps */
		add(c_kind[i] == C_FAST ? C_FAST_FREE :
		    c_kind[i] == C_NALLOC || i % 2 ? C_FREE : C_FREE_PTR,
		    0, 0, 0, 0, c_al[i]);
	for (i = 0; i < 70; i += 3)
		add(N_FREE, 0, 0, 0, 0, n_al[i]);
	for (i = 0; i < 6; i += 2)
		add(C_FREE, 0, 0, 0, 0, c_nat[i]);
	for (i = 0; i < 12; i += 2)
		add(C_FAST_FREE, 0, 0, 0, 0, c_fast[i]);
	for (i = 0; i < 40; i++)
		c_late[i] = add(C_ALLOC, 1 + (uint64_t)i % 9, 0xFFFFF, 0,
				(unsigned int)i & 1, new_slot());
	add(N_RESERVE, 0, 0x300, 0x4FF, 0, -1);
	for (i = 0; i < 6; i++)
		f2[i] = add(C_FAST, 1 + (uint64_t)i % 3, 0xFFFFF, 0, 0,
			    new_slot());
	for (i = 0; i < 6; i += 2)
		add(C_FAST_FREE, 0, 0, 0, 0, f2[i]);
	for (i = 0; i < 3; i++)	/* hits */
		add(C_FAST, 1 + (uint64_t)(i * 2) % 3, 0xFFFFF, 0, 0, new_slot());
	add(C_FIND, 0, 0, 0, 0, f2[1]);
	add(C_FAST_FREE, 0, 0, 0, 0, f2[1]);	/* drops its struct */
	for (i = 0; i < 40; i += 3)
		add(C_FREE_PTR, 0, 0, 0, 0, c_late[i]);
	for (i = 0; i < 30; i++)
		add(C_ALLOC, 1 + (uint64_t)i % 4, (UINT64_C(1) << 36) - 1, 0,
		    1, new_slot());
	add(C_RESERVE, 0, 0xFEDF0, 0xFEE10, 0, -1);	/* -EBUSY or merge */
	for (i = 0; i < 20; i++)
		add(N_ALLOC, 1 + (uint64_t)i % 3, N_START, 0xFFFF, 2,
		    new_slot());
	/*
	 * Structs made on demand until the domain's struct slab needs a new
	 * chunk inside find_iova() (a chunk holds a few hundred structs, so
	 * 300 new ones cross a chunk's end at least once).
	 */
	for (i = 0; i < 300; i++)
		many[i] = add(C_FAST, 1, 0xFFFFF, 0, 0, new_slot());
	for (i = 0; i < 300; i++)
		add(C_FIND, 0, 0, 0, 0, many[i]);
	/*
	 * Last, 255 frees of one order (8 pfns) into the single CPU slot: the
	 * 255th finds loaded and prev full and needs a new magazine (whose
	 * failure sends the range to the index instead).  Order 3 is not
	 * allocated again, so the model needs no magazine order for it.
	 */
	for (i = 0; i < 255; i++)
		big[i] = add(C_FAST, 8, 0xFFFFF, 0, 0, new_slot());
	for (i = 0; i < 255; i++)
		add(C_FAST_FREE, 0, 0, 0, 0, big[i]);
}

/*
 * A random script (random mode): the same kinds of call, with random sizes,
 * limits (tight ones that fill up, 32/36-bit, ULONG_MAX, below start_pfn)
 * and reservations, and frees or finds of earlier results.  Ops that refer
 * to a result which the model says is not live are skipped at run time.
 */
static uint64_t rstate;

static uint64_t rnd(void)	/* splitmix64 */
{
	uint64_t z = (rstate += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint64_t rnd_limit(void)
{
	unsigned int r = (unsigned int)(rnd() % 100);

	if (r < 35)
		return 0x3FF;
	if (r < 65)
		return 0xFFFFF;
	if (r < 85)
		return (UINT64_C(1) << 36) - 1;
	if (r < 95)
		return ULONG_MAX;
	return 0;	/* below start_pfn */
}

static void build_random(uint64_t seed, unsigned int n)
{
	static enum opk kind[MAXS];
	unsigned int rc_at = (unsigned int)(rnd() % n);
	int s;

	rstate = seed;
	nops = 0;
	nslots = 0;
	add(C_INIT, 0, 0, 0, 0, -1);
	add(N_CREATE, 0, 0, 0, 0, -1);
	if (rnd() & 1)
		rc_at = n;	/* no caches in this script */
	while (nops < n && nslots < MAXS - 1) {
		unsigned int r = (unsigned int)(rnd() % 100);
		uint64_t x;

		if (nops == rc_at)
			add(C_RCACHES, 0, 0, 0, 0, -1);
		if (r < 22) {
			kind[nslots] = C_ALLOC;
			add(C_ALLOC, rnd() % 10 ? 1 + rnd() % 8 : 1 + rnd() % 100,
			    rnd_limit(), 0, (unsigned int)rnd() & 1, new_slot());
		} else if (r < 37) {
			kind[nslots] = C_FAST;
			add(C_FAST, rnd() % 10 ? 1 + rnd() % 8 : 1 + rnd() % 70,
			    rnd_limit(), 0, 0, new_slot());
		} else if (r < 42) {
			kind[nslots] = C_NALLOC;
			add(C_NALLOC, 1 + rnd() % 4, 0, rnd_limit(), 0, new_slot());
		} else if (r < 48) {
			kind[nslots] = N_ALLOC;
			x = N_START + rnd() % 0x800;
			add(N_ALLOC, 1 + rnd() % 9, x,
			    rnd() & 1 ? N_END : x + rnd() % 0x100,
			    (unsigned int)(rnd() % 3), new_slot());
		} else if (r < 53) {
			x = rnd() % 0x500;
			add(C_RESERVE, 0, x, x + rnd() % 16, 0, -1);
		} else if (r < 55) {
			x = rnd() % 0x900;
			add(N_RESERVE, 0, x, x + rnd() % 32, 0, -1);
		} else if (nslots) {
			s = (int)(rnd() % (uint64_t)nslots);
			switch (kind[s]) {
			case C_ALLOC:
				add(r < 62 ? C_FIND : r & 1 ? C_FREE : C_FREE_PTR,
				    0, 0, 0, 0, s);
				break;
			case C_FAST:
				add(r < 62 ? C_FIND : r % 5 ? C_FAST_FREE : C_FREE,
				    0, 0, 0, 0, s);
				break;
			case C_NALLOC:
				add(r < 62 ? C_FIND : C_FREE, 0, 0, 0, 0, s);
				break;
			default:
				add(N_FREE, 0, 0, 0, 0, s);
				break;
			}
		}
	}
}

/* --- the model -------------------------------------------------------- */

static uint64_t pow2_up(uint64_t x)
{
	uint64_t p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

static unsigned int order_of(uint64_t size)
{
	unsigned int o = 0;

	while ((UINT64_C(1) << o) < size)
		o++;
	return o;
}

struct walk {
	const struct oracle *o;
	size_t i;
	bool same;
};

static int cmp_cb(const struct iova_range *r, void *arg)
{
	struct walk *w = arg;
	const struct orange *e = w->i < w->o->n ? &w->o->r[w->i] : NULL;

	if (!e || e->lo != r->lo || e->hi != r->hi ||
	    e->rsv != !!(r->flags & IOVA_RANGE_RESERVED))
		w->same = false;
	w->i++;
	return 0;
}

static bool same_as(struct iova_ndomain *d, const struct oracle *o)
{
	struct walk w = { o, 0, true };

	iova_for_each(d, cmp_cb, &w);
	return w.same && w.i == o->n;
}

/* The armed countdown of the running script (run_script()). */
static unsigned long fi_rem;

/* Both domains valid and equal to the model, and C's structs right.  The
 * validation's own allocations (the caches' scratch array) are neither
 * failed nor counted. */
static bool state_ok_armed(void);

static bool state_ok(void)
{
	bool ok;

	iova__fault_inject(0);
	ok = state_ok_armed();
	iova__fault_inject(fi_rem);
	return ok;
}

static bool state_ok_armed(void)
{
	struct iova_ndomain *cn = c_live ? iova_linux_native(&C) : NULL;
	int s;

	if (c_live && (!cn || iova_domain_validate(cn, NULL) ||
		       !same_as(cn, &oc)))
		return false;
	if (N && (iova_domain_validate(N, NULL) || !same_as(N, &on)))
		return false;
	for (s = 0; s < nslots; s++)
		if (slot_it[s] && (slot_it[s]->pfn_lo != slot_pfn[s] ||
				   slot_it[s]->pfn_hi !=
					   slot_pfn[s] + slot_size[s] - 1))
			return false;
	return true;
}

static void reset(void)
{
	oracle_init(&oc, C_START, C_TOP);	/* nothing below start_pfn */
	c_fast_used = false;
	oracle_init(&on, N_START, N_END);
	memset(slot_it, 0, sizeof(slot_it));
	memset(slot_live, 0, sizeof(slot_live));
	memset(mag_n, 0, sizeof(mag_n));
	caches_on = false;
	c_live = false;
	N = NULL;
}

static void teardown(void)
{
	if (c_live)
		put_iova_domain(&C);
	iova_domain_destroy(N);
	c_live = false;
	N = NULL;
}

/* dst = a private copy of src (oracle_reserve edits in place). */
static void oracle_copy(struct oracle *dst, const struct oracle *src)
{
	*dst = *src;
	dst->cap = src->cap ? src->cap : 1;
	dst->r = malloc(dst->cap * sizeof(*dst->r));
	if (!dst->r)
		abort();
	if (src->n)
		memcpy(dst->r, src->r, src->n * sizeof(*src->r));
}

/* --- running one op ------------------------------------------------- */

/* ABSORBED: a free_iova_fast() whose spare magazine could not be had and
 * that gave the range back to the index instead (void: no error). */
enum { AS_MODELLED = 0, FAILED = 1, ABSORBED = 2, MISMATCH = -1 };

static long oracle_live(const struct oracle *o, uint64_t pfn)
{
	long i = oracle_find(o, pfn);

	return i >= 0 && !o->r[i].rsv ? i : -1;
}

static int do_fast_alloc(const struct op *o)
{
	uint64_t size = o->size < 32 ? pow2_up(o->size) : o->size, want;
	unsigned int ord = order_of(size), i;
	bool hit = false;
	unsigned long got;

	if (caches_on && ord < 6) {
		for (i = mag_n[ord]; i-- > 0;)
			if (mag[ord][i] + size - 1 <= o->a) {
				want = mag[ord][i];
				hit = true;
				break;
			}
	}
	if (!hit && oracle_place(&oc, size, pow2_up(size), C_START, o->a, true,
				 &want))
		want = 0;
	/* No flush-and-retry once caches hold ranges: a retry after an
	 * injected failure would move them back to the index. */
	got = alloc_iova_fast(&C, o->size, o->a, !caches_on);
	if (o->size && o->a >= C_START)
		c_fast_used = true;	/* it reached the native fast path */
	if (got == want && got) {
		if (hit)
			mag[ord][i] = mag[ord][--mag_n[ord]];
		else
			oracle_insert(&oc, want, want + size - 1, false);
		slot_pfn[o->slot] = want;
		slot_size[o->slot] = size;
		slot_live[o->slot] = true;
		return AS_MODELLED;
	}
	expect_fail = !want;
	if (!got && !want)
		return AS_MODELLED;	/* no room, as modelled */
	if (!got && !hit)
		return FAILED;	/* a hit allocates nothing: cannot fail */
	diag("alloc_iova_fast(%" PRIu64 "): got %#lx want %#" PRIx64, o->size,
	     got, want);
	return MISMATCH;
}

static int do_fast_free(const struct op *o)
{
	uint64_t pfn = slot_pfn[o->slot], size = slot_size[o->slot];
	struct iova_cache_stats cs0 = { 0 }, cs1 = { 0 };
	unsigned int ord = order_of(size);
	struct iova_ndomain *cn;
	long i;

	if (!slot_live[o->slot])
		return AS_MODELLED;
	/* Random scripts keep each order within one magazine (the model). */
	if (random_mode && caches_on && ord < 6 && mag_n[ord] >= 120)
		return AS_MODELLED;
	i = oracle_live(&oc, pfn);
	if (i < 0)
		return MISMATCH;
	cn = iova_linux_native(&C);
	if (caches_on && ord < 6)
		iova_cache_get_stats(cn, ord, &cs0);
	free_iova_fast(&C, pfn, size);
	slot_it[o->slot] = NULL;
	slot_live[o->slot] = false;
	if (caches_on && ord < 6) {
		iova_cache_get_stats(cn, ord, &cs1);
		if (cs1.put_fallbacks != cs0.put_fallbacks) {
			oracle_remove(&oc, (size_t)i);
			return ABSORBED;
		}
		mag[ord][mag_n[ord]++] = pfn;	/* stays live in the index */
	} else {
		oracle_remove(&oc, (size_t)i);
	}
	return AS_MODELLED;
}

static int run_op(const struct op *o)
{
	uint64_t want = 0, pfn = 0;
	struct iova *it;
	long i;
	int ret, exp;

	expect_fail = false;
	switch (o->k) {
	case C_INIT:
		init_iova_domain(&C, 4096, C_START);
		c_live = true;
		return C._priv ? AS_MODELLED : FAILED;
	case C_ALLOC:
		exp = oracle_place(&oc, o->size, o->flag ? pow2_up(o->size) : 1,
				   C_START, o->a, true, &want);
		it = alloc_iova(&C, o->size, o->a, o->flag);
		expect_fail = exp;
		if (exp)
			return it ? MISMATCH : AS_MODELLED;
		if (!it)
			return FAILED;
		if (it->pfn_lo != want || it->pfn_hi != want + o->size - 1)
			return MISMATCH;
		oracle_insert(&oc, want, want + o->size - 1, false);
		slot_pfn[o->slot] = want;
		slot_size[o->slot] = o->size;
		slot_live[o->slot] = true;
		slot_it[o->slot] = it;
		return AS_MODELLED;
	case C_FAST:
		return do_fast_alloc(o);
	case C_FREE:	/* by a pfn inside the range */
		if (!slot_live[o->slot])
			return AS_MODELLED;
		pfn = slot_pfn[o->slot] + slot_size[o->slot] / 2;
		i = oracle_live(&oc, pfn);
		if (i < 0)
			return MISMATCH;
		free_iova(&C, pfn);
		oracle_remove(&oc, (size_t)i);
		slot_it[o->slot] = NULL;
		slot_live[o->slot] = false;
		return AS_MODELLED;
	case C_FREE_PTR:
		if (!slot_live[o->slot])
			return AS_MODELLED;
		i = oracle_live(&oc, slot_pfn[o->slot]);
		if (i < 0 || !slot_it[o->slot])
			return MISMATCH;
		__free_iova(&C, slot_it[o->slot]);
		oracle_remove(&oc, (size_t)i);
		slot_it[o->slot] = NULL;
		slot_live[o->slot] = false;
		return AS_MODELLED;
	case C_FAST_FREE:
		return do_fast_free(o);
	case C_FIND:
		if (!slot_live[o->slot])
			return AS_MODELLED;
		it = find_iova(&C, slot_pfn[o->slot]);
		if (!it)
			return FAILED;
		if (it->pfn_lo != slot_pfn[o->slot])
			return MISMATCH;
		slot_it[o->slot] = it;
		return AS_MODELLED;
	case C_RESERVE: {
		struct oracle save;

		oracle_copy(&save, &oc);
		exp = oracle_reserve(&save, o->a, o->b);
		it = reserve_iova(&C, o->a, o->b);
		expect_fail = exp;
		if (exp) {
			free(save.r);
			return it ? MISMATCH : AS_MODELLED;
		}
		if (!it) {
			free(save.r);
			return FAILED;
		}
		free(oc.r);
		oc = save;
		return it->pfn_lo <= o->a && it->pfn_hi >= o->b ? AS_MODELLED
								  : MISMATCH;
	}
	case C_RCACHES:
		ret = iova_linux_init_rcaches(&C, 1, 0);
		if (c_fast_used && !caches_on)
			return ret == -EBUSY ? AS_MODELLED : MISMATCH;
		if (ret)
			return ret == -ENOMEM ? FAILED : MISMATCH;
		caches_on = true;
		return AS_MODELLED;
	case C_NALLOC:
		exp = oracle_place(&oc, o->size, 1, o->a, o->b, false, &want);
		ret = iova_alloc(iova_linux_native(&C), o->size, 1, o->a, o->b,
				 IOVA_BOTTOM_UP, &pfn);
		expect_fail = exp;
		if (exp)
			return ret ? AS_MODELLED : MISMATCH;
		if (ret)
			return ret == -ENOMEM ? FAILED : MISMATCH;
		if (pfn != want)
			return MISMATCH;
		oracle_insert(&oc, want, want + o->size - 1, false);
		slot_pfn[o->slot] = want;
		slot_size[o->slot] = o->size;
		slot_live[o->slot] = true;
		return AS_MODELLED;
	case N_CREATE: {
		struct iova_domain_config cfg = { .granule = 4096,
						  .start_pfn = N_START,
						  .end_pfn = N_END,
						  .flags = IOVA_DOMAIN_UDATA };

		ret = iova_domain_create(&cfg, &N);
		if (ret)
			N = NULL;
		return ret == -ENOMEM ? FAILED : ret ? MISMATCH : AS_MODELLED;
	}
	case N_ALLOC: {
		uint64_t align = o->flag == 2 ? pow2_up(o->size) : 1;
		bool top = o->flag != 1;
		struct iova_range r;

		exp = oracle_place(&on, o->size, align, o->a, o->b, top, &want);
		ret = iova_alloc_udata(N, o->size, align, o->a, o->b,
				       top ? IOVA_TOP_DOWN : IOVA_BOTTOM_UP,
				       &slot_it[o->slot], &pfn);
		expect_fail = exp;
		if (exp)
			return ret == -ENOMEM ? AS_MODELLED : MISMATCH;
		if (ret)
			return ret == -ENOMEM ? FAILED : MISMATCH;
		if (pfn != want || iova_find(N, pfn, &r) ||
		    r.udata != (void *)&slot_it[o->slot])
			return MISMATCH;
		oracle_insert(&on, want, want + o->size - 1, false);
		slot_pfn[o->slot] = want;
		slot_size[o->slot] = o->size;
		slot_live[o->slot] = true;
		return AS_MODELLED;
	}
	case N_FREE:
		if (!slot_live[o->slot])
			return AS_MODELLED;
		if (oracle_free(&on, slot_pfn[o->slot]))
			return MISMATCH;
		slot_live[o->slot] = false;
		return iova_free(N, slot_pfn[o->slot]) ? MISMATCH : AS_MODELLED;
	case N_RESERVE: {
		struct oracle save;

		oracle_copy(&save, &on);
		exp = oracle_reserve(&save, o->a, o->b);
		ret = iova_reserve(N, o->a, o->b);
		expect_fail = exp;
		if (exp || ret) {
			free(save.r);
			if (ret == exp)
				return AS_MODELLED;
			return ret == -ENOMEM ? FAILED : MISMATCH;
		}
		free(on.r);
		on = save;
		return AS_MODELLED;
	}
	case NR_OPK:
		break;
	}
	return MISMATCH;
}

/* After a failure: a 32-bit allocation on each domain must work. */
static bool probes_ok(void)
{
	uint64_t want, pfn;
	struct iova *it;
	bool good = true;

	if (c_live && !oracle_place(&oc, 1, 1, C_START, 0xFFFFF, true, &want)) {
		it = alloc_iova(&C, 1, 0xFFFFF, false);
		good &= it && it->pfn_lo == want;
		if (it)
			__free_iova(&C, it);
	}
	if (N && !oracle_place(&on, 1, 1, N_START, 0xFFFFF, true, &want)) {
		good &= iova_alloc(N, 1, 1, 0, 0xFFFFF, IOVA_TOP_DOWN, &pfn) == 0 &&
			pfn == want;
		if (good)
			iova_free(N, pfn);
	}
	return good;
}

/*
 * Run the script with the k-th allocation failing (0: none).  Returns the
 * number of failed calls; *site gets the kind of the (last) one.
 */
static int run_script(unsigned long k, unsigned int *site, unsigned long *allocs)
{
	unsigned int i;
	int failed = 0, r;

	unsigned long rem = k, n, total = 0;
	bool fired;

	reset();
	fi_rem = k;
	iova__fault_inject(k);
	for (i = 0; i < nops; i++) {
		r = run_op(&script[i]);
		/* Which call met the k-th allocation? */
		n = iova__fault_inject(0);
		total += n;
		fired = rem && n >= rem;
		rem = fired ? 0 : rem ? rem - n : 0;
		fi_rem = rem;
		iova__fault_inject(rem);
		if (fired && r == AS_MODELLED) {
			/* A call the model says fails anyway (no room) may meet
			 * the injected failure: same error, nothing to retry. */
			if (!expect_fail) {
				diag("k=%lu op %u (%s): the failed allocation went unnoticed",
				     k, i, opk_name[script[i].k]);
				mismatches++;
			}
			failed++;
			*site = script[i].k;
		}
		if (r == ABSORBED) {
			/* Nothing to retry: the free happened, uncached. */
			failed++;
			*site = NR_OPK;
			if (!state_ok() || !probes_ok()) {
				diag("k=%lu op %u: state after an absorbed failure", k, i);
				mismatches++;
			}
		} else if (r == FAILED) {
			failed++;
			*site = script[i].k;
			if (!state_ok()) {
				diag("k=%lu op %u (%s): state differs after the failure",
				     k, i, opk_name[script[i].k]);
				mismatches++;
			}
			if (!probes_ok()) {
				diag("k=%lu op %u (%s): 32-bit probe failed after the failure",
				     k, i, opk_name[script[i].k]);
				mismatches++;
			}
			if (script[i].k == C_INIT)
				r = iova_linux_native(&C) ? AS_MODELLED : FAILED;
			else
				r = run_op(&script[i]);
			if (r != AS_MODELLED) {
				diag("k=%lu op %u (%s): the retry did not succeed",
				     k, i, opk_name[script[i].k]);
				mismatches++;
			}
		} else if (r == MISMATCH) {
			diag("k=%lu op %u (%s): result differs from the model", k,
			     i, opk_name[script[i].k]);
			mismatches++;
		}
		/* The whole state: after every call in the clean run; in the
		 * injected runs around the failure, every 64 calls and at the
		 * end (the calls themselves are checked against the model). */
		if ((k == 0 || fired || i % 64 == 0 || i + 1 == nops) &&
		    !state_ok()) {
			diag("k=%lu op %u (%s): state differs from the model", k,
			     i, opk_name[script[i].k]);
			mismatches++;
		}
		if (mismatches > 20)
			break;
	}
	*allocs = total + iova__fault_inject(0);
	teardown();
	return failed;
}

/*
 * Random mode: argv = random SEED OPS KSTEP.  Four scripts (seeds SEED..
 * SEED+3); each runs clean, then with the k-th allocation failing for
 * k = 1, 1 + KSTEP, ...
 */
static int random_main(uint64_t seed, unsigned int n, unsigned long step)
{
	unsigned long T, k, allocs, runs = 0, wrong = 0;
	unsigned int site, i;
	int f;

	random_mode = true;
	if (n > MAXOPS - 8)
		n = MAXOPS - 8;
	for (i = 0; i < 4; i++) {
		build_random(seed + i, n);
		f = run_script(0, &site, &T);
		ok(f == 0 && mismatches == 0,
		   "random script, seed %" PRIu64 ": %u ops match the model (%lu allocations)",
		   seed + i, nops, T);
		for (k = 1; k <= T && mismatches <= 20; k += step ? step : 1) {
			runs++;
			if (run_script(k, &site, &allocs) != 1) {
				diag("seed %" PRIu64 " k=%lu: not exactly one failure",
				     seed + i, k);
				wrong++;
			}
		}
	}
	ok(wrong == 0 && mismatches == 0,
	   "random scripts: %lu fault-injected runs, each one documented failure, valid, == model, retry works",
	   runs);
	oracle_free_all(&oc);
	oracle_free_all(&on);
	return tap_done();
}

int main(int argc, char **argv)

{
	unsigned long T, k, allocs, hits[NR_OPK + 1] = { 0 }, wrong = 0;
	unsigned int site = 0, nsites = 0;
	int f;

	iova_linux_set_bad_free_hook(bad_free_hook);
	if (argc > 4 && !strcmp(argv[1], "random"))
		return random_main(strtoull(argv[2], NULL, 0),
				   (unsigned int)strtoul(argv[3], NULL, 0),
				   strtoul(argv[4], NULL, 0));
	build_script();
	f = run_script(0, &site, &T);
	ok(f == 0 && mismatches == 0,
	   "clean run of %u ops matches the model (%lu allocations)", nops, T);
	if (T == 0) {
		ok(1, "# SKIP fault injection not built (IOVA_FAULT_INJECT=OFF)");
		return tap_done();
	}
	for (k = 1; k <= T && mismatches <= 20; k++) {
		f = run_script(k, &site, &allocs);
		if (f != 1) {
			diag("k=%lu: %d calls failed, want exactly 1", k, f);
			wrong++;
		} else {
			hits[site]++;
		}
	}
	ok(wrong == 0, "every k in 1..%lu made exactly one call fail", T);
	ok(mismatches == 0,
	   "after each failure: documented error, valid, state == model, 32-bit alloc works, retry works");
	for (site = 0; site <= NR_OPK; site++)
		if (hits[site]) {
			nsites++;
			diag("%-32s failed at %lu of the %lu ks", opk_name[site],
			     hits[site], T);
		}
	diag("fault injection reached %lu allocations in %u kinds of call", T,
	     nsites);
	ok(hits[C_INIT] && hits[C_ALLOC] && hits[C_FAST] && hits[C_FIND] &&
	   hits[C_RESERVE] && hits[C_NALLOC] && hits[N_CREATE] &&
	   hits[N_ALLOC] && hits[N_RESERVE] &&
	   (hits[C_RCACHES] || !true) &&
	   (hits[NR_OPK] || !true),
	   "every allocating call of both APIs was reached");
	oracle_free_all(&oc);
	oracle_free_all(&on);
	return tap_done();
}
