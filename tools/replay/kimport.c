// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Importer for the kernel's iommu:map / iommu:unmap trace events, as printed
 * by `perf script` or found in tracefs's "trace" file.  The event bodies are
 *
 *	map:   IOMMU: iova=0x<start> - 0x<end> paddr=0x<phys> size=<bytes>
 *	unmap: IOMMU: iova=0x<start> - 0x<end> size=<bytes> unmapped_size=<bytes>
 *
 * where <end> = start + size is exclusive (older kernels print no "- end";
 * both are accepted).  What each event becomes, and why, is described in
 * docs/trace-format.md ("Importing kernel events"); in short:
 *
 *  - a map is an allocation of its pages, with its iova kept as "at";
 *  - an unmap that exactly covers several whole, untouched mappings turns
 *    them into one allocation (scatter-gather: one map per segment, one
 *    unmap for the whole), freed once;
 *  - an unmap of part of a mapping keeps the rest; the allocation is freed
 *    when its last page is unmapped;
 *  - a map over a live mapping means an unmap was lost: the old one is
 *    freed first;
 *  - afterwards sizes below 32 pages are rounded up to a power of two and
 *    every allocation is size-aligned, as alloc_iova_fast() does.
 *
 * Live mappings are kept as "pieces" [lo, end) in pfns, in a treap keyed
 * by lo; pieces never overlap.
 */
#include <stdlib.h>
#include <string.h>

#include "ptreap.h"
#include "trace_internal.h"

/* ---- event line parsing ---------------------------------------------- */

enum ev_kind { EV_SKIP, EV_MAP, EV_UNMAP, EV_BAD, EV_LOST };

struct event {
	enum ev_kind kind;
	uint64_t iova, size, paddr, unmapped;
	uint64_t lost;		/* EV_LOST: the n of "[LOST n EVENTS]" */
	const char *why;	/* EV_BAD */
};

/* All decimal digits (perf's optional numeric columns: period...). */
static bool is_number(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static const char *find_sub(const char *s, size_t n, const char *w)
{
	size_t m = strlen(w), i;

	for (i = 0; i + m <= n; i++)
		if (!memcmp(s + i, w, m))
			return s + i;
	return NULL;
}

/* "1234.567890:" (perf and tracefs timestamps). */
static bool is_timestamp(const char *s, size_t n)
{
	size_t i = 0, digits = 0;
	bool dot = false;

	if (n < 2 || s[n - 1] != ':')
		return false;
	for (i = 0; i + 1 < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] == '.' && !dot)
			dot = true;
		else
			return false;
	}
	return digits > 0;
}

static bool span_is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && !memcmp(s, w, n);
}

/* Parse "key=" followed by a number at s[0..n); *v. */
static bool kv_num(const char *s, size_t n, const char *key, uint64_t *v)
{
	size_t k = strlen(key);

	return n > k && !memcmp(s, key, k) && parse_u64(s + k, n - k, v);
}

static void parse_body(const char *s, size_t n, struct event *ev)
{
	/* Tokens after "IOMMU:". */
	bool got_iova = false, got_end = false, got_size = false;
	bool got_paddr = false, got_unm = false, want_end = false;
	uint64_t end = 0;
	size_t i = 0;

	while (i < n) {
		size_t j;

		while (i < n && is_blank(s[i]))
			i++;
		if (i == n)
			break;
		for (j = i; j < n && !is_blank(s[j]); j++)
			;
		if (want_end) {
			if (!parse_u64(s + i, j - i, &end)) {
				ev->why = "bad end address after '-'";
				goto bad;
			}
			got_end = true;
			want_end = false;
		} else if (span_is(s + i, j - i, "-")) {
			if (!got_iova || got_end) {
				ev->why = "unexpected '-'";
				goto bad;
			}
			want_end = true;
		} else if (j - i >= 5 && !memcmp(s + i, "iova=", 5)) {
			if (got_iova || !kv_num(s + i, j - i, "iova=", &ev->iova)) {
				ev->why = "bad iova=";
				goto bad;
			}
			got_iova = true;
		} else if (j - i >= 6 && !memcmp(s + i, "paddr=", 6)) {
			if (got_paddr ||
			    !kv_num(s + i, j - i, "paddr=", &ev->paddr)) {
				ev->why = "bad paddr=";
				goto bad;
			}
			got_paddr = true;
		} else if (j - i >= 5 && !memcmp(s + i, "size=", 5)) {
			if (got_size || !kv_num(s + i, j - i, "size=", &ev->size)) {
				ev->why = "bad size=";
				goto bad;
			}
			got_size = true;
		} else if (j - i >= 14 && !memcmp(s + i, "unmapped_size=", 14)) {
			if (got_unm || !kv_num(s + i, j - i, "unmapped_size=",
					       &ev->unmapped)) {
				ev->why = "bad unmapped_size=";
				goto bad;
			}
			got_unm = true;
		} else if (got_iova && got_size && !want_end &&
			   (ev->kind == EV_MAP ? got_paddr : got_unm) &&
			   !memchr(s + i, '=', j - i)) {
			/* The event is complete: what follows are perf's
			 * optional columns (-F +ip,sym,dso...). */
			break;
		} else {
			ev->why = "unexpected field";
			goto bad;
		}
		i = j;
	}
	if (want_end) {
		ev->why = "missing end address after '-'";
		goto bad;
	}
	if (!got_iova || !got_size) {
		ev->why = "missing iova= or size=";
		goto bad;
	}
	if (ev->kind == EV_MAP && (!got_paddr || got_unm)) {
		ev->why = "map needs iova=, paddr=, size=";
		goto bad;
	}
	if (ev->kind == EV_UNMAP && (!got_unm || got_paddr)) {
		ev->why = "unmap needs iova=, size=, unmapped_size=";
		goto bad;
	}
	if (ev->size == 0 && ev->kind == EV_MAP) {
		ev->why = "map of size 0";
		goto bad;
	}
	if (ev->iova > UINT64_MAX - ev->size) {
		ev->why = "iova + size overflows";
		goto bad;
	}
	if (got_end && end != ev->iova + ev->size) {
		ev->why = "end address is not iova + size";
		goto bad;
	}
	if (ev->kind == EV_UNMAP && ev->unmapped > ev->size) {
		ev->why = "unmapped_size > size";
		goto bad;
	}
	return;
bad:
	ev->kind = EV_BAD;
}

static void parse_event(const char *s, size_t n, struct event *ev)
{
	size_t i = 0;
	bool may_be_name = true, after_ts = false;
	const char *lost;

	memset(ev, 0, sizeof(*ev));
	ev->kind = EV_SKIP;
	while (i < n && is_blank(s[i]))
		i++;
	if (i == n || s[i] == '#')
		return;
	lost = find_sub(s + i, n - i, "[LOST ");
	if (lost && find_sub(s + i, n - i, "EVENTS]")) {
		size_t d = (size_t)(lost + 6 - s), e = d;

		while (e < n && s[e] >= '0' && s[e] <= '9')
			e++;
		ev->kind = EV_LOST;
		if (!parse_u64(s + d, e - d, &ev->lost))
			ev->lost = 0;
		return;
	}
	/* Find the event name: a token "map:", "unmap:", "iommu:map:" or
	 * "iommu:unmap:" that is the first token or follows the timestamp,
	 * possibly after numeric columns (perf script -F +period). */
	while (i < n) {
		size_t j;

		for (j = i; j < n && !is_blank(s[j]); j++)
			;
		if (may_be_name && (span_is(s + i, j - i, "map:") ||
				    span_is(s + i, j - i, "iommu:map:")))
			ev->kind = EV_MAP;
		else if (may_be_name && (span_is(s + i, j - i, "unmap:") ||
					 span_is(s + i, j - i, "iommu:unmap:")))
			ev->kind = EV_UNMAP;
		if (ev->kind != EV_SKIP) {
			i = j;
			while (i < n && is_blank(s[i]))
				i++;
			if (n - i < 6 || memcmp(s + i, "IOMMU:", 6)) {
				ev->kind = EV_BAD;
				ev->why = "map/unmap event without 'IOMMU:'";
				return;
			}
			parse_body(s + i + 6, n - i - 6, ev);
			return;
		}
		if (after_ts && !is_number(s + i, j - i))
			break;	/* the event after the timestamp is another */
		if (!after_ts && is_timestamp(s + i, j - i))
			after_ts = true;
		may_be_name = after_ts;
		i = j;
		while (i < n && is_blank(s[i]))
			i++;
	}
	/* Not a map/unmap event; but iommu fields mean a damaged one. */
	if (find_sub(s, n, "IOMMU: iova=")) {
		ev->kind = EV_BAD;
		ev->why = "iova fields without a map/unmap event name";
	}
}

/* ---- the importer ----------------------------------------------------- */

struct allocrec {
	size_t op;		/* index of the alloc op */
	uint32_t npieces;
	uint8_t pristine;	/* never partially unmapped */
	uint8_t dead;
};

/* A run of pfns [lo, end). */
struct span {
	uint64_t lo, end;
	unsigned long line;
};

struct kstate {
	struct msg_ctx m;
	const struct trace_opts *opts;
	struct trace *t;
	struct kimport_stats *st;
	struct ptreap tr;
	struct allocrec *rec;
	size_t rec_cap;
	uint32_t *hit;		/* pieces touched by one event */
	uint32_t *hitslot;	/* ... and their allocations */
	size_t hit_cap, nhit;
	unsigned shift;
	uint64_t max_end;	/* highest exclusive pfn mapped */
	uint64_t min_lo;
	struct span *pre;	/* unmaps of nothing mapped: [lo, end) */
	size_t npre, pre_cap;
};

static int push_hit(struct kstate *k, uint32_t p)
{
	if (k->nhit == k->hit_cap) {
		size_t nc = k->hit_cap ? k->hit_cap * 2 : 64;
		uint32_t *n = realloc(k->hit, nc * sizeof(*n));

		if (!n)
			return TRACE_ENOMEM;
		k->hit = n;
		n = realloc(k->hitslot, nc * sizeof(*n));
		if (!n)
			return TRACE_ENOMEM;
		k->hitslot = n;
		k->hit_cap = nc;
	}
	k->hitslot[k->nhit] = k->tr.p[p].slot;
	k->hit[k->nhit++] = p;
	return 0;
}

/* Collect the pieces overlapping [lo, end) into k->hit, in address order. */
static int overlapping(struct kstate *k, uint64_t lo, uint64_t end)
{
	uint32_t p = pt_le(&k->tr, lo);

	k->nhit = 0;
	if (p != PT_NIL && k->tr.p[p].end > lo && push_hit(k, p))
		return TRACE_ENOMEM;
	for (p = pt_gt(&k->tr, lo); p != PT_NIL && k->tr.p[p].lo < end;
	     p = pt_gt(&k->tr, k->tr.p[p].lo))
		if (push_hit(k, p))
			return TRACE_ENOMEM;
	return 0;
}

static int emit_free(struct kstate *k, uint32_t slot, unsigned long line)
{
	struct trace_op op;

	memset(&op, 0, sizeof(op));
	op.kind = TRACE_FREE;
	op.slot = slot;
	op.id = slot;
	op.line = (uint32_t)line;
	k->rec[slot].dead = 1;
	k->t->nfrees++;
	k->st->frees++;
	return trace_push(k->t, &op);
}

/* Drop the remaining pieces of allocation slot (rare: a partly unmapped
 * allocation that is mapped over) and free it. */
static int free_whole(struct kstate *k, uint32_t slot, unsigned long line)
{
	while (k->rec[slot].npieces) {
		uint32_t p = k->tr.root;

		while (p != PT_NIL && k->tr.p[p].left != PT_NIL)
			p = k->tr.p[p].left;
		for (; p != PT_NIL; p = pt_gt(&k->tr, k->tr.p[p].lo))
			if (k->tr.p[p].slot == slot)
				break;
		if (p == PT_NIL)
			break;
		pt_erase(&k->tr, k->tr.p[p].lo);
		k->rec[slot].npieces--;
	}
	return emit_free(k, slot, line);
}

static int do_map(struct kstate *k, const struct event *ev,
		  unsigned long line)
{
	struct trace *t = k->t;
	uint64_t lo = ev->iova >> k->shift;
	uint64_t end = (ev->iova + ev->size - 1) / t->granule + 1;
	struct trace_op op;
	uint32_t slot, p;
	size_t i;

	if (overlapping(k, lo, end))
		return TRACE_ENOMEM;
	/* A live mapping here: its unmap was lost (or never traced).  Free
	 * what is in the way, each allocation once. */
	for (i = 0; i < k->nhit; i++) {
		pt_erase(&k->tr, k->tr.p[k->hit[i]].lo);
		k->rec[k->hitslot[i]].npieces--;
	}
	for (i = 0; i < k->nhit; i++) {
		uint32_t s = k->hitslot[i];

		if (k->rec[s].dead)
			continue;
		k->st->remapped++;
		if (free_whole(k, s, line))
			return TRACE_ENOMEM;
	}
	if (t->nslots == UINT32_MAX)
		return TRACE_ENOMEM;
	slot = t->nslots;
	if (slot == k->rec_cap) {
		size_t nc = k->rec_cap ? k->rec_cap * 2 : 1024;
		struct allocrec *n = realloc(k->rec, nc * sizeof(*n));

		if (!n)
			return TRACE_ENOMEM;
		k->rec = n;
		k->rec_cap = nc;
	}
	memset(&op, 0, sizeof(op));
	op.kind = TRACE_ALLOC;
	op.policy = TRACE_TOP_DOWN;
	op.slot = slot;
	op.id = slot;
	op.a = end - lo;
	op.align = 1;
	op.has_at = 1;
	op.at = lo;
	op.line = (uint32_t)line;
	k->rec[slot].op = t->nops;
	k->rec[slot].npieces = 1;
	k->rec[slot].pristine = 1;
	k->rec[slot].dead = 0;
	if (trace_push(t, &op))
		return TRACE_ENOMEM;
	t->nslots++;
	p = pt_new(&k->tr, lo, end, slot);
	if (p == PT_NIL)
		return TRACE_ENOMEM;
	pt_insert(&k->tr, p);
	if (end > k->max_end)
		k->max_end = end;
	if (lo < k->min_lo)
		k->min_lo = lo;
	return 0;
}

static int do_unmap(struct kstate *k, const struct event *ev,
		    unsigned long line)
{
	struct trace *t = k->t;
	uint64_t lo, end;
	size_t i;
	bool whole = true, partial = false;

	if (ev->unmapped == 0) {
		k->st->unmatched_unmaps++;
		return 0;
	}
	lo = ev->iova >> k->shift;
	end = (ev->iova + ev->unmapped - 1) / t->granule + 1;
	if (overlapping(k, lo, end))
		return TRACE_ENOMEM;
	if (!k->nhit) {
		/* Mapped before the capture began (or a lost map). */
		k->st->unmatched_unmaps++;
		if (k->npre == k->pre_cap) {
			size_t nc = k->pre_cap ? k->pre_cap * 2 : 64;
			struct span *n = realloc(k->pre, nc * sizeof(*n));

			if (!n)
				return TRACE_ENOMEM;
			k->pre = n;
			k->pre_cap = nc;
		}
		k->pre[k->npre].lo = lo;
		k->pre[k->npre].end = end;
		k->pre[k->npre++].line = line;
		return 0;
	}
	for (i = 0; i < k->nhit; i++) {
		const struct piece *p = &k->tr.p[k->hit[i]];
		const struct allocrec *r = &k->rec[p->slot];

		if (p->lo < lo || p->end > end || !r->pristine ||
		    r->npieces != 1)
			whole = false;
	}
	if (whole && k->nhit > 1 && !(k->opts && k->opts->no_coalesce)) {
		/* Scatter-gather: fold the segments into the earliest. */
		uint32_t lead = k->tr.p[k->hit[0]].slot;
		uint64_t span_lo = k->tr.p[k->hit[0]].lo;
		uint64_t span_end = k->tr.p[k->hit[k->nhit - 1]].end;
		struct trace_op *op;

		for (i = 1; i < k->nhit; i++) {
			uint32_t s = k->tr.p[k->hit[i]].slot;

			if (k->rec[s].op < k->rec[lead].op)
				lead = s;
		}
		for (i = 0; i < k->nhit; i++) {
			uint32_t s = k->tr.p[k->hit[i]].slot;

			k->rec[s].npieces = 0;
			if (s != lead) {
				t->ops[k->rec[s].op].kind = TRACE_NOP;
				k->rec[s].dead = 1;
				k->st->coalesced++;
			}
		}
		for (i = 0; i < k->nhit; i++)
			pt_erase(&k->tr, k->tr.p[k->hit[i]].lo);
		op = &t->ops[k->rec[lead].op];
		op->a = span_end - span_lo;
		op->at = span_lo;
		return emit_free(k, lead, line);
	}
	/* Piece by piece; hit[] is in address order and stays valid as
	 * long as we only erase or shrink the piece being handled. */
	for (i = 0; i < k->nhit; i++) {
		uint32_t pi = k->hit[i];
		struct piece pc = k->tr.p[pi];
		struct allocrec *r = &k->rec[pc.slot];

		if (pc.lo >= lo && pc.end <= end) {
			pt_erase(&k->tr, pc.lo);
			r->npieces--;
		} else if (pc.lo >= lo) {		/* head unmapped */
			uint32_t n;

			pt_erase(&k->tr, pc.lo);
			n = pt_new(&k->tr, end, pc.end, pc.slot);
			if (n == PT_NIL)
				return TRACE_ENOMEM;
			pt_insert(&k->tr, n);
			r->pristine = 0;
		} else if (pc.end <= end) {		/* tail unmapped */
			k->tr.p[pi].end = lo;
			r->pristine = 0;
		} else {				/* a hole in the middle */
			uint32_t n = pt_new(&k->tr, end, pc.end, pc.slot);

			if (n == PT_NIL)
				return TRACE_ENOMEM;
			k->tr.p[pi].end = lo;	/* indices survive realloc */
			pt_insert(&k->tr, n);
			r->npieces++;
			r->pristine = 0;
		}
	}
	/* Free the allocations left with nothing mapped, in address order;
	 * the unmap was partial if one it touched keeps some pages. */
	for (i = 0; i < k->nhit; i++) {
		uint32_t s = k->hitslot[i];

		if (k->rec[s].npieces)
			partial = true;
		else if (!k->rec[s].dead && emit_free(k, s, line))
			return TRACE_ENOMEM;
	}
	if (partial)
		k->st->partial_unmaps++;
	return 0;
}

/*
 * The DMA limit nobody recorded: top-down allocation starts at the top of
 * the device's mask, so the highest mapped address is close to it.  Take
 * the smallest power of two covering it, at least 32 bits.
 */
static unsigned auto_bits(uint64_t max_end_pfn, unsigned shift)
{
	unsigned b = 32;

	while (b < 64 && (b <= shift ||
			  max_end_pfn > (UINT64_C(1) << (b - shift))))
		b++;
	return b;
}

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sort and merge overlapping or adjacent spans; the new count. */
static size_t span_merge(struct span *s, size_t n)
{
	size_t i, m = 0;

	qsort(s, n, sizeof(*s), span_cmp);
	for (i = 0; i < n; i++) {
		if (m && s[i].lo <= s[m - 1].end) {
			if (s[i].end > s[m - 1].end)
				s[m - 1].end = s[i].end;
		} else {
			s[m++] = s[i];
		}
	}
	return m;
}

/*
 * The ranges live before the capture: pages unmapped by the trace that it
 * never maps itself (an unmap of nothing, minus every page any map of the
 * trace covers, so that a reservation of them never meets the trace's own
 * placements).  Leaves them sorted and disjoint in k->pre; counts them.
 */
static int infer_prelive(struct kstate *k)
{
	struct trace *t = k->t;
	struct span *m, *out;
	size_t nm = 0, i, j, no = 0;

	if (!k->npre)
		return 0;
	k->npre = span_merge(k->pre, k->npre);
	m = malloc((t->nslots ? t->nslots : 1) * sizeof(*m));
	out = malloc(2 * (k->npre + t->nslots + 1) * sizeof(*out));
	if (!m || !out) {
		free(m);
		free(out);
		return TRACE_ENOMEM;
	}
	for (i = 0; i < t->nops; i++)
		if (t->ops[i].kind == TRACE_ALLOC && t->ops[i].has_at) {
			m[nm].lo = t->ops[i].at;
			m[nm].end = t->ops[i].at + t->ops[i].a;
			m[nm++].line = 0;
		}
	nm = span_merge(m, nm);
	/* out = pre minus m, both sorted and disjoint. */
	for (i = 0, j = 0; i < k->npre; i++) {
		uint64_t lo = k->pre[i].lo, end = k->pre[i].end;

		while (j < nm && m[j].end <= lo)
			j++;
		while (lo < end) {
			size_t q = j;

			while (q < nm && m[q].end <= lo)
				q++;
			if (q < nm && m[q].lo <= lo) {
				lo = m[q].end;		/* skip a mapped run */
				continue;
			}
			out[no].lo = lo;
			out[no].end = q < nm && m[q].lo < end ? m[q].lo : end;
			out[no].line = k->pre[i].line;
			lo = out[no++].end;
		}
	}
	free(m);
	free(k->pre);
	k->pre = out;
	k->npre = no;
	k->pre_cap = 2 * (k->npre + t->nslots + 1);
	k->st->prelive_ranges = no;
	for (i = 0; i < no; i++)
		k->st->prelive_pages += out[i].end - out[i].lo;
	return 0;
}

/* Put a reservation of every pre-capture range at the start. */
static int prepend_reserves(struct kstate *k)
{
	struct trace *t = k->t;
	size_t i, n = k->npre;

	for (i = 0; i < n; i++) {
		struct trace_op op;

		memset(&op, 0, sizeof(op));
		if (trace_push(t, &op))
			return TRACE_ENOMEM;
	}
	memmove(t->ops + n, t->ops, (t->nops - n) * sizeof(*t->ops));
	for (i = 0; i < n; i++) {
		struct trace_op *op = &t->ops[i];

		memset(op, 0, sizeof(*op));
		op->kind = TRACE_RESERVE;
		op->a = k->pre[i].lo;
		op->b = k->pre[i].end - 1;
		op->line = (uint32_t)k->pre[i].line;
		if (op->b > t->end_pfn)
			op->b = t->end_pfn;
		if (op->a <= op->b)
			t->nreserves++;
		else
			op->kind = TRACE_NOP;
	}
	return 0;
}

/* "# entries-in-buffer/entries-written: 12/15   #P:2" */
static bool tracefs_counts(const char *s, size_t n, uint64_t *inbuf,
			   uint64_t *written)
{
	static const char key[] = "entries-in-buffer/entries-written:";
	const char *p = find_sub(s, n, key), *e = s + n, *q, *r;

	if (!p)
		return false;
	p += sizeof(key) - 1;
	while (p < e && is_blank(*p))
		p++;
	for (q = p; q < e && *q >= '0' && *q <= '9'; q++)
		;
	if (q == e || *q != '/')
		return false;
	for (r = q + 1; r < e && *r >= '0' && *r <= '9'; r++)
		;
	return parse_u64(p, (size_t)(q - p), inbuf) &&
	       parse_u64(q + 1, (size_t)(r - q - 1), written);
}

int trace_import_kernel(const char *buf, size_t len, const char *name,
			const struct trace_opts *opts, struct trace *t)
{
	uint64_t hdr_inbuf = 0, hdr_written = 0, nevents = 0, nlost = 0;
	unsigned long hdr_line = 0;
	size_t b;
	struct kstate k;
	struct line_iter it;
	const char *s;
	size_t n;
	int r = 0;
	size_t i;
	unsigned bits;
	uint64_t pfn4g;

	memset(&k, 0, sizeof(k));
	trace_init(t);
	t->imported = true;
	k.m.opts = opts;
	k.m.name = name;
	k.opts = opts;
	k.t = t;
	k.st = &t->kstats;
	k.min_lo = UINT64_MAX;
	pt_init(&k.tr);
	if (opts && opts->granule) {
		if (!trace_is_pow2(opts->granule)) {
			msg_report(&k.m, 0, true, "granule must be a power of two");
			return TRACE_EPARSE;
		}
		t->granule = opts->granule;
	}
	k.shift = trace_ilog2(t->granule);
	line_iter_init(&it, buf, len);
	while (line_iter_next(&it, &s, &n)) {
		struct event ev;

		k.st->lines++;
		if (n > TRACE_MAX_LINE) {
			memset(&ev, 0, sizeof(ev));
			ev.kind = EV_BAD;
			ev.why = "line too long";
		} else {
			parse_event(s, n, &ev);
		}
		if (it.last_unterminated && n) {
			/* Cut in the middle of a line: what is left may still
			 * parse ("size=40" of "size=4096"), so never use it. */
			msg_report(&k.m, it.lineno, true, "truncated last line "
				   "(no newline at the end): the capture was cut");
			r = TRACE_EPARSE;
			break;
		}
		/* Entries of a tracefs buffer: every line but comments,
		 * lost-event markers and " => caller" stack lines. */
		for (b = 0; b < n && is_blank(s[b]); b++)
			;
		if (b < n && s[b] == '#' && !hdr_line &&
		    tracefs_counts(s, n, &hdr_inbuf, &hdr_written))
			hdr_line = it.lineno;
		else if (b < n && s[b] != '#' && ev.kind != EV_LOST &&
			 !(n - b >= 2 && s[b] == '=' && s[b + 1] == '>'))
			nevents++;
		nlost += ev.kind == EV_LOST ? ev.lost : 0;
		switch (ev.kind) {
		case EV_SKIP:
			k.st->skipped++;
			break;
		case EV_LOST:
			k.st->lost++;
			k.st->skipped++;
			msg_report(&k.m, it.lineno, opts && opts->strict,
				   "events were lost here; expect unmatched "
				   "unmaps and remaps");
			if (opts && opts->strict)
				r = TRACE_EPARSE;
			break;
		case EV_BAD:
			k.st->malformed++;
			msg_report(&k.m, it.lineno, opts && opts->strict,
				   "malformed iommu event: %s", ev.why);
			if (opts && opts->strict)
				r = TRACE_EPARSE;
			break;
		case EV_MAP:
			k.st->maps++;
			r = do_map(&k, &ev, it.lineno);
			break;
		case EV_UNMAP:
			k.st->unmaps++;
			r = do_unmap(&k, &ev, it.lineno);
			break;
		}
		if (r)
			break;
	}
	if (r) {
		if (r == TRACE_ENOMEM)
			msg_report(&k.m, it.lineno, true, "out of memory");
		goto out;
	}
	/* A tracefs "trace" file says how many entries it holds and how many
	 * were written: fewer lines means a cut or edited file; more written
	 * than held and reported lost means the ring buffer overwrote the
	 * oldest events, whose maps (or unmaps) are now unknown. */
	if (hdr_line && nevents != hdr_inbuf) {
		msg_report(&k.m, hdr_line, true, "the header says %llu entries "
			   "in the buffer but %llu event lines were read: the "
			   "file is truncated or edited",
			   (unsigned long long)hdr_inbuf,
			   (unsigned long long)nevents);
		r = TRACE_EPARSE;
		goto out;
	}
	if (hdr_line && hdr_written != hdr_inbuf + nlost) {
		msg_report(&k.m, hdr_line, true, "the header says %llu entries "
			   "were written, but the file holds %llu and reports "
			   "%llu lost: %s", (unsigned long long)hdr_written,
			   (unsigned long long)hdr_inbuf,
			   (unsigned long long)nlost,
			   hdr_written > hdr_inbuf + nlost ?
				   "the ring buffer overwrote events (capture "
				   "with a larger buffer_size_kb)" :
				   "the counts are inconsistent");
		r = TRACE_EPARSE;
		goto out;
	}
	r = infer_prelive(&k);
	if (r) {
		msg_report(&k.m, 0, true, "out of memory");
		goto out;
	}
	if (opts && opts->pre_reserve)
		for (i = 0; i < k.npre; i++)
			if (k.pre[i].end > k.max_end)
				k.max_end = k.pre[i].end;
	/* Geometry. */
	bits = opts && opts->limit_bits ? opts->limit_bits :
					  auto_bits(k.max_end, k.shift);
	if (bits <= k.shift || bits > 64) {
		msg_report(&k.m, 0, true, "limit of %u bits is impossible with "
			   "a %llu-byte granule", bits,
			   (unsigned long long)t->granule);
		r = TRACE_EPARSE;
		goto out;
	}
	t->end_pfn = bits - k.shift >= 64 ? UINT64_MAX :
					    (UINT64_C(1) << (bits - k.shift)) - 1;
	t->start_pfn = k.min_lo == 0 ? 0 : 1;
	if (k.max_end && k.max_end - 1 > t->end_pfn)
		msg_report(&k.m, 0, false, "mappings reach above the %u-bit "
			   "limit; the trace's own placement breaks it", bits);
	t->max_limit = t->end_pfn;
	pfn4g = trace_pfn_4g(t);
	/* Maps over live mappings with no lost events: more likely several
	 * IOMMU domains (one per device group, each with its own space) in
	 * one trace than missing unmaps. */
	if (k.st->remapped && !k.st->lost)
		msg_report(&k.m, 0, false, "%llu maps landed on live mappings "
			   "although no events were lost: the trace probably "
			   "mixes several IOMMU domains (devices), which are "
			   "replayed as one", (unsigned long long)k.st->remapped);
	/* Sizes and alignment as alloc_iova_fast() makes them. */
	for (i = 0; i < t->nops; i++) {
		struct trace_op *op = &t->ops[i];

		if (op->kind != TRACE_ALLOC)
			continue;
		op->min_pfn = t->start_pfn;
		if (!(opts && opts->no_round)) {
			if (op->a < 32) {
				uint64_t p = trace_roundup_pow2(op->a);

				if (p != op->a)
					k.st->rounded++;
				op->a = p;
			}
			op->align = trace_roundup_pow2(op->a);
			if (!op->align)
				op->align = 1;
		}
		/* The limit: with --limit-bits, that; otherwise 32 bits for
		 * what the trace placed below 4 GiB (dma-iommu tries a 32-bit
		 * allocation first for PCI devices) and the domain's top for
		 * the rest. */
		op->b = t->end_pfn;
		if (!(opts && opts->limit_bits) && pfn4g < t->end_pfn &&
		    op->at <= pfn4g && op->a - 1 <= pfn4g - op->at)
			op->b = pfn4g;
		k.st->allocs++;
		t->nallocs++;
		if (!k.rec[op->slot].dead)
			k.st->live_at_end++;
	}
	if (opts && opts->pre_reserve && k.npre && prepend_reserves(&k)) {
		msg_report(&k.m, 0, true, "out of memory");
		r = TRACE_ENOMEM;
	}
out:
	pt_destroy(&k.tr);
	free(k.rec);
	free(k.hit);
	free(k.hitslot);
	free(k.pre);
	if (r) {
		trace_free(t);
		return r;
	}
	return 0;
}
