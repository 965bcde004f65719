// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Kernel-event importer.  The expected counts of the two sample files were
 * worked out by reading examples/traces/perf-script-sample.txt and
 * tracefs-sample.txt line by line (their README lists what each line is
 * for), not by running the importer.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "trace.h"

#define MAXW 32

struct seen {
	unsigned long warn_line[MAXW];
	int warns, fatals;
	unsigned long fatal_line;
	char fatal_text[256];
};

static void collect(void *ctx, const char *name, unsigned long line,
		    bool fatal, const char *text)
{
	struct seen *s = ctx;

	(void)name;
	if (fatal) {
		if (!s->fatals++) {
			s->fatal_line = line;
			snprintf(s->fatal_text, sizeof(s->fatal_text), "%s", text);
		}
	} else if (s->warns < MAXW) {
		s->warn_line[s->warns++] = line;
	}
}

static void opts_init(struct trace_opts *o, struct seen *s)
{
	memset(o, 0, sizeof(*o));
	memset(s, 0, sizeof(*s));
	o->format = TRACE_FMT_KERNEL;
	o->msg = collect;
	o->msg_ctx = s;
}

static int load(const char *file, struct trace_opts *o, struct trace *t)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", IOVA_EXAMPLES_DIR, file);
	return trace_load_file(path, o, t);
}

/* Expected op, compact. */
struct xop {
	int kind;
	uint32_t slot;
	uint64_t size, at, limit, align;
	uint32_t line;
};

static void check_ops(const struct trace *t, const struct xop *x, size_t n,
		      const char *what)
{
	size_t i, j = 0;
	int good = 1;

	for (i = 0; i < t->nops; i++) {
		const struct trace_op *op = &t->ops[i];

		if (op->kind == TRACE_NOP)
			continue;
		if (j == n) {
			good = 0;
			diag("%s: extra op at index %zu", what, i);
			break;
		}
		if (op->kind != x[j].kind || op->slot != x[j].slot ||
		    op->line != x[j].line ||
		    (op->kind == TRACE_ALLOC &&
		     (op->a != x[j].size || op->at != x[j].at ||
		      op->b != x[j].limit || op->align != x[j].align ||
		      !op->has_at))) {
			good = 0;
			diag("%s: op %zu: kind %d slot %u line %u size %llu at "
			     "0x%llx limit 0x%llx align %llu", what, j, op->kind,
			     op->slot, op->line, (unsigned long long)op->a,
			     (unsigned long long)op->at,
			     (unsigned long long)op->b,
			     (unsigned long long)op->align);
		}
		j++;
	}
	ok(good && j == n, "%s: the %zu operations are as expected", what, n);
}

#define A TRACE_ALLOC
#define F TRACE_FREE
#define L32 0xfffffull

static void test_perf_sample(void)
{
	/* Line by line: 1-5 comments; 6 map A (1 page, pfn 0xfffff); 7 map B
	 * (2 pages at 0xffffc); 8 map C (3 pages at 0xffff8, rounds to 4);
	 * 9 irq event; 10-12 three segments of one scatter-gather buffer
	 * (2+1+2 pages from 0xffff0, rounds to 8); 13 unmap B; 14 one unmap
	 * of the three segments; 15 bad hex; 16 call chain; 17 unmap of
	 * something never mapped; 18 unmap of C's first page; 19 map D
	 * (16 pages at the 48-bit top); 20 unmap without unmapped_size;
	 * 21 unmap of the rest of C; 22 end != iova + size; 23 cut off. */
	static const struct xop x[] = {
		{ A, 0, 1, 0xfffff, L32, 1, 6 },
		{ A, 1, 2, 0xffffc, L32, 2, 7 },
		{ A, 2, 4, 0xffff8, L32, 4, 8 },
		{ A, 3, 8, 0xffff0, L32, 8, 10 },
		{ F, 1, 0, 0, 0, 0, 13 },
		{ F, 3, 0, 0, 0, 0, 14 },
		{ A, 6, 16, 0xffffffff0, 0xfffffffff, 16, 19 },
		{ F, 2, 0, 0, 0, 0, 21 },
	};
	static const unsigned long bad_lines[] = { 15, 20, 22, 23 };
	struct trace_opts o;
	struct seen s;
	struct trace t;
	const struct kimport_stats *k = &t.kstats;
	int i;

	opts_init(&o, &s);
	is_int(load("perf-script-sample.txt", &o, &t), 0, "perf: loads");
	ok(t.imported, "perf: marked as imported");
	is_u64(k->lines, 23, "perf: 23 lines");
	is_u64(k->maps, 7, "perf: 7 map events");
	is_u64(k->unmaps, 5, "perf: 5 unmap events");
	is_u64(k->skipped, 7, "perf: 7 skipped (5 comments, irq, call chain)");
	is_u64(k->malformed, 4, "perf: 4 malformed");
	is_u64(k->lost, 0, "perf: nothing lost");
	is_u64(k->allocs, 5, "perf: 5 allocations");
	is_u64(k->frees, 3, "perf: 3 frees");
	is_u64(k->coalesced, 2, "perf: 2 segments folded");
	is_u64(k->partial_unmaps, 1, "perf: 1 partial unmap");
	is_u64(k->unmatched_unmaps, 1, "perf: 1 unmatched unmap");
	is_u64(k->remapped, 0, "perf: no remap");
	is_u64(k->rounded, 2, "perf: 2 sizes rounded (3->4, 5->8)");
	is_u64(k->live_at_end, 2, "perf: 2 still mapped at the end");
	is_u64(t.granule, 4096, "perf: granule");
	is_u64(t.start_pfn, 1, "perf: start_pfn 1");
	is_u64(t.end_pfn, 0xfffffffff, "perf: 48-bit domain");
	is_int(s.warns, 4, "perf: one warning per malformed line");
	for (i = 0; i < 4; i++)
		is_u64(s.warn_line[i], bad_lines[i], "perf: warning %d at line %lu",
		       i, bad_lines[i]);
	check_ops(&t, x, sizeof(x) / sizeof(x[0]), "perf");
	trace_free(&t);

	/* --strict: the first malformed line is fatal. */
	opts_init(&o, &s);
	o.strict = true;
	is_int(load("perf-script-sample.txt", &o, &t), TRACE_EPARSE,
	       "perf strict: fails");
	is_u64(s.fatal_line, 15, "perf strict: at line 15");

	/* --no-round: mapped sizes, no alignment. */
	opts_init(&o, &s);
	o.no_round = true;
	is_int(load("perf-script-sample.txt", &o, &t), 0, "perf no-round: loads");
	is_u64(t.kstats.rounded, 0, "perf no-round: nothing rounded");
	ok(t.nops > 3 && t.ops[2].a == 3 && t.ops[2].align == 1,
	   "perf no-round: C is 3 pages, unaligned");
	trace_free(&t);

	/* --no-coalesce: the segments stay three allocations, all freed by
	 * the one unmap (line 13), in address order. */
	opts_init(&o, &s);
	o.no_coalesce = true;
	is_int(load("perf-script-sample.txt", &o, &t), 0,
	       "perf no-coalesce: loads");
	is_u64(t.kstats.allocs, 7, "perf no-coalesce: 7 allocations");
	is_u64(t.kstats.frees, 5, "perf no-coalesce: 5 frees");
	is_u64(t.kstats.coalesced, 0, "perf no-coalesce: nothing folded");
	trace_free(&t);

	/* --limit-bits 32: every request gets the 32-bit limit; D lies above
	 * it, which is reported. */
	opts_init(&o, &s);
	o.limit_bits = 32;
	is_int(load("perf-script-sample.txt", &o, &t), 0, "perf 32-bit: loads");
	is_u64(t.end_pfn, L32, "perf 32-bit: domain ends at 4 GiB");
	is_int(s.warns, 5, "perf 32-bit: 4 malformed + 1 above the limit");
	trace_free(&t);
}

static void test_tracefs_sample(void)
{
	/* 1 SPDX line; 2-13 tracefs header; 14 map E (rx buffer, 0xfffff);
	 * 15 map F (0xffffe); 16 map G (2 pages at 0xffffc); 17 lost-events
	 * marker; 18 unmap F; 19 map H over G (G's unmap was lost);
	 * 20 workqueue event; 21 size=abc; 22 unmap with unmapped_size=0;
	 * 23 garbled event name; 24 unmap H; 25 unmapped_size > size; 26 map I at
	 * 64 GiB - 4 KiB (the top of a 36-bit mask). */
	static const struct xop x[] = {
		{ A, 0, 1, 0xfffff, L32, 1, 14 },
		{ A, 1, 1, 0xffffe, L32, 1, 15 },
		{ A, 2, 2, 0xffffc, L32, 2, 16 },
		{ F, 1, 0, 0, 0, 0, 18 },
		{ F, 2, 0, 0, 0, 0, 19 },
		{ A, 3, 2, 0xffffc, L32, 2, 19 },
		{ F, 3, 0, 0, 0, 0, 24 },
		{ A, 4, 1, 0xffffff, 0xffffff, 1, 26 },
	};
	static const unsigned long warn_lines[] = { 17, 21, 23, 25 };
	struct trace_opts o;
	struct seen s;
	struct trace t;
	const struct kimport_stats *k = &t.kstats;
	int i;

	opts_init(&o, &s);
	is_int(load("tracefs-sample.txt", &o, &t), 0, "tracefs: loads");
	is_u64(k->lines, 26, "tracefs: 26 lines");
	is_u64(k->maps, 5, "tracefs: 5 map events");
	is_u64(k->unmaps, 3, "tracefs: 3 unmap events");
	is_u64(k->skipped, 15, "tracefs: 15 skipped (13 header, lost, wq)");
	is_u64(k->malformed, 3, "tracefs: 3 malformed");
	is_u64(k->lost, 1, "tracefs: 1 lost-events marker");
	is_u64(k->allocs, 5, "tracefs: 5 allocations");
	is_u64(k->frees, 3, "tracefs: 3 frees");
	is_u64(k->remapped, 1, "tracefs: 1 remap");
	is_u64(k->unmatched_unmaps, 1, "tracefs: 1 unmatched unmap");
	is_u64(k->partial_unmaps, 0, "tracefs: no partial unmap");
	is_u64(k->coalesced, 0, "tracefs: nothing folded");
	is_u64(k->rounded, 0, "tracefs: nothing rounded");
	is_u64(k->live_at_end, 2, "tracefs: 2 still mapped");
	is_u64(t.end_pfn, 0xffffff, "tracefs: 36-bit domain (the top map)");
	is_int(s.warns, 4, "tracefs: 4 warnings");
	for (i = 0; i < 4; i++)
		is_u64(s.warn_line[i], warn_lines[i],
		       "tracefs: warning %d at line %lu", i, warn_lines[i]);
	check_ops(&t, x, sizeof(x) / sizeof(x[0]), "tracefs");
	trace_free(&t);
	opts_init(&o, &s);
	o.strict = true;
	is_int(load("tracefs-sample.txt", &o, &t), TRACE_EPARSE,
	       "tracefs strict: fails");
	is_u64(s.fatal_line, 17, "tracefs strict: at the lost events (17)");
}

static int import(const char *text, struct trace_opts *o, struct trace *t)
{
	return trace_parse_buf(text, strlen(text), "inline", o, t);
}

#define EV "x 1 [000] 1.000000: "

static void test_inline(void)
{
	struct trace_opts o;
	struct seen s;
	struct trace t;

	/* A hole punched in the middle keeps the allocation; it is freed
	 * when its last page goes. */
	opts_init(&o, &s);
	is_int(import(EV "iommu:map: IOMMU: iova=0x10000 - 0x18000 paddr=0x0 size=32768\n"
		      EV "iommu:unmap: IOMMU: iova=0x12000 - 0x13000 size=4096 unmapped_size=4096\n"
		      EV "iommu:unmap: IOMMU: iova=0x10000 - 0x12000 size=8192 unmapped_size=8192\n"
		      EV "iommu:unmap: IOMMU: iova=0x13000 - 0x18000 size=20480 unmapped_size=20480\n",
		      &o, &t), 0, "split: loads");
	is_u64(t.kstats.partial_unmaps, 2, "split: two partial unmaps");
	is_u64(t.kstats.frees, 1, "split: one free");
	ok(t.nops == 2 && t.ops[1].kind == TRACE_FREE && t.ops[1].line == 4,
	   "split: freed by the last unmap (line 4)");
	ok(t.nops >= 1 && t.ops[0].a == 8 && t.ops[0].align == 8,
	   "split: 8 pages, size-aligned");
	is_u64(t.start_pfn, 1, "start_pfn 1");
	is_u64(t.end_pfn, 0xfffff, "32-bit domain");
	trace_free(&t);

	/* Old kernels print no "- end"; a 64 KiB granule; an unmap that only
	 * removed part of what it asked (unmapped_size < size). */
	opts_init(&o, &s);
	o.granule = 65536;
	is_int(import("map: IOMMU: iova=0x00000000fff00000 paddr=0x0 size=131072\n"
		      "unmap: IOMMU: iova=0x00000000fff00000 size=262144 unmapped_size=131072\n",
		      &o, &t), 0, "old format, 64K granule: loads");
	ok(t.nops == 2 && t.ops[0].a == 2 && t.ops[0].at == 0xfff0,
	   "64K granule: 2 pages at pfn 0xfff0");
	is_u64(t.kstats.frees, 1, "unmapped_size < size still frees it");
	trace_free(&t);

	/* A map over a live mapping that was partly unmapped already:
	 * both of its pieces go, and it is freed once. */
	opts_init(&o, &s);
	is_int(import(EV "map: IOMMU: iova=0x10000 - 0x14000 paddr=0x0 size=16384\n"
		      EV "unmap: IOMMU: iova=0x11000 - 0x12000 size=4096 unmapped_size=4096\n"
		      EV "map: IOMMU: iova=0x10000 - 0x14000 paddr=0x0 size=16384\n",
		      &o, &t), 0, "remap over pieces: loads");
	is_u64(t.kstats.remapped, 1, "remap over pieces: one remap");
	is_u64(t.kstats.frees, 1, "remap over pieces: freed once");
	is_u64(t.kstats.live_at_end, 1, "remap over pieces: one live");
	is_int(s.warns, 1, "remap without lost events: a several-domains "
	       "warning");
	trace_free(&t);

	/* Not folded: segments that were not all untouched, or a single
	 * mapping per unmap. */
	opts_init(&o, &s);
	is_int(import(EV "map: IOMMU: iova=0x10000 - 0x11000 paddr=0x0 size=4096\n"
		      EV "map: IOMMU: iova=0x11000 - 0x13000 paddr=0x0 size=8192\n"
		      EV "unmap: IOMMU: iova=0x12000 - 0x13000 size=4096 unmapped_size=4096\n"
		      EV "unmap: IOMMU: iova=0x10000 - 0x13000 size=12288 unmapped_size=4096\n"
		      EV "unmap: IOMMU: iova=0x11000 - 0x12000 size=4096 unmapped_size=4096\n",
		      &o, &t), 0, "no fold after a partial unmap: loads");
	is_u64(t.kstats.coalesced, 0, "... nothing folded");
	is_u64(t.kstats.frees, 2, "... two frees");
	trace_free(&t);

	/* Every kind of damage names its line. */
	opts_init(&o, &s);
	is_int(import(EV "map: IOMMU:\n"
		      EV "map: iova=0x1000 paddr=0x0 size=4096\n"
		      EV "map: IOMMU: iova=0x1000 - paddr=0x0 size=4096\n"
		      EV "map: IOMMU: iova=0x1000 paddr=0x0 size=0\n"
		      EV "map: IOMMU: iova=0xffffffffffffffff paddr=0x0 size=4096\n"
		      EV "map: IOMMU: iova=0x1000 paddr=0x0 size=4096 color=red\n"
		      EV "unmap: IOMMU: iova=0x1000 paddr=0x0 size=4096 unmapped_size=0\n"
		      EV "map: IOMMU: iova=0x1000 iova=0x2000 paddr=0x0 size=4096\n",
		      &o, &t), 0, "damaged events: loads (not strict)");
	is_u64(t.kstats.malformed, 8, "damaged events: 8 malformed");
	ok(s.warns == 8 && s.warn_line[0] == 1 && s.warn_line[7] == 8,
	   "damaged events: lines 1..8 reported");
	is_u64(t.nops, 0, "damaged events: nothing imported");
	trace_free(&t);

	/* An empty or unrelated input is an empty trace, not an error. */
	opts_init(&o, &s);
	is_int(import("", &o, &t), 0, "empty input loads");
	is_u64(t.nops, 0, "... with no ops");
	trace_free(&t);
	opts_init(&o, &s);
	o.granule = 3000;
	is_int(import("", &o, &t), TRACE_EPARSE, "granule 3000 refused");
}

/* perf's optional columns, tracefs header counts, a cut last line, and
 * the ranges live before the capture. */
static void test_capture_checks(void)
{
	struct trace_opts o;
	struct seen s;
	struct trace t;

	/* perf script -F +period: numbers between the timestamp and the
	 * event name; -F +ip,sym: columns after the event's fields. */
	opts_init(&o, &s);
	is_int(import(EV "         1 iommu:map: IOMMU: iova=0x10000 - 0x11000 paddr=0x0 size=4096\n"
		      EV "  250000 7 map: IOMMU: iova=0x20000 - 0x22000 paddr=0x0 size=8192\n"
		      EV "1 iommu:unmap: IOMMU: iova=0x10000 - 0x11000 size=4096 unmapped_size=4096 ffffffff8153a2b7 __iommu_unmap+0x47 ([kernel.kallsyms])\n",
		      &o, &t), 0, "period and ip/sym columns: load");
	is_u64(t.kstats.maps, 2, "... 2 maps");
	is_u64(t.kstats.unmaps, 1, "... 1 unmap");
	is_u64(t.kstats.malformed, 0, "... nothing malformed");
	ok(t.nops == 3 && t.ops[0].at == 0x10 && t.ops[1].at == 0x20 &&
	   t.ops[1].a == 2 && t.ops[2].kind == TRACE_FREE && t.ops[2].slot == 0,
	   "... map 0x10, map 2 pages at 0x20, free of the first");
	trace_free(&t);
	/* A word between the timestamp and the name is another event; an
	 * unknown key=value after the fields is still damage. */
	opts_init(&o, &s);
	is_int(import(EV "cycles iommu:map: IOMMU: iova=0x10000 paddr=0x0 size=4096\n"
		      EV "iommu:map: IOMMU: iova=0x10000 paddr=0x0 size=4096 extra=1\n",
		      &o, &t), 0, "a word before the name; a trailing key=value");
	is_u64(t.kstats.maps, 0, "... no map accepted");
	is_u64(t.kstats.malformed, 2, "... both lines malformed");
	trace_free(&t);

	/* A file cut in the middle of its last line fails, not strict. */
	opts_init(&o, &s);
	is_int(import(EV "iommu:map: IOMMU: iova=0x10000 paddr=0x0 size=4096\n"
		      EV "iommu:map: IOMMU: iova=0x20000 paddr=0x0 size=40",
		      &o, &t), TRACE_EPARSE, "cut last line: fails");
	is_u64(s.fatal_line, 2, "... at line 2");
	ok(strstr(s.fatal_text, "truncated") != NULL, "... saying truncated");

	/* tracefs header: entries in the buffer == entry lines, and entries
	 * written == in the buffer + reported lost. */
#define HDR(a, b) "# tracer: nop\n#\n# entries-in-buffer/entries-written: " \
		  a "/" b "   #P:2\n#\n"
#define MAP1 EV "map: IOMMU: iova=0x10000 - 0x11000 paddr=0x0 size=4096\n"
#define WQ EV "workqueue_execute_start: work struct 00000000: function f\n"
#define STK " => __iommu_map\n"
	opts_init(&o, &s);
	is_int(import(HDR("3", "3") MAP1 WQ STK MAP1, &o, &t), 0,
	       "header 3/3, 3 entries (a stack line is not one): loads");
	trace_free(&t);
	opts_init(&o, &s);
	is_int(import(HDR("3", "3") MAP1 WQ, &o, &t), TRACE_EPARSE,
	       "header 3/3, 2 entries: fails");
	is_u64(s.fatal_line, 3, "... at the header line");
	ok(strstr(s.fatal_text, "3 entries in the buffer but 2") != NULL,
	   "... naming both counts");
	opts_init(&o, &s);
	is_int(import(HDR("2", "5") MAP1 WQ, &o, &t), TRACE_EPARSE,
	       "header 2/5 and nothing reported lost: fails");
	ok(strstr(s.fatal_text, "overwrote") != NULL, "... the buffer overwrote");
	opts_init(&o, &s);
	is_int(import(HDR("2", "5") "CPU:0 [LOST 3 EVENTS]\n" MAP1 WQ, &o, &t),
	       0, "header 2/5 with 3 reported lost: loads");
	trace_free(&t);
	opts_init(&o, &s);
	is_int(import(HDR("2", "4") "CPU:0 [LOST 3 EVENTS]\n" MAP1 WQ, &o, &t),
	       TRACE_EPARSE, "header 2/4 with 3 reported lost: fails");
#undef HDR
#undef MAP1
#undef WQ
#undef STK

	/* Unmaps of what the trace never mapped: live before the capture.
	 * 0x20-0x21 and 0x40, 0x41 (two adjacent unmaps: one run) are;
	 * 0x30 is not, the trace maps it again later. */
	{
		static const char txt[] =
		    EV "map: IOMMU: iova=0x10000 - 0x11000 paddr=0x0 size=4096\n"
		    EV "unmap: IOMMU: iova=0x20000 - 0x22000 size=8192 unmapped_size=8192\n"
		    EV "unmap: IOMMU: iova=0x30000 - 0x31000 size=4096 unmapped_size=4096\n"
		    EV "unmap: IOMMU: iova=0x41000 - 0x42000 size=4096 unmapped_size=4096\n"
		    EV "unmap: IOMMU: iova=0x40000 - 0x41000 size=4096 unmapped_size=4096\n"
		    EV "map: IOMMU: iova=0x30000 - 0x31000 paddr=0x0 size=4096\n";

		opts_init(&o, &s);
		is_int(import(txt, &o, &t), 0, "pre-capture ranges: loads");
		is_u64(t.kstats.unmatched_unmaps, 4, "... 4 unmatched unmaps");
		is_u64(t.kstats.prelive_ranges, 2, "... 2 ranges live before");
		is_u64(t.kstats.prelive_pages, 4, "... of 4 pages");
		is_u64(t.nreserves, 0, "... not reserved by default");
		ok(t.nops == 2 && t.ops[0].kind == TRACE_ALLOC,
		   "... the trace is the two maps");
		trace_free(&t);
		opts_init(&o, &s);
		o.pre_reserve = true;
		is_int(import(txt, &o, &t), 0, "pre_reserve: loads");
		is_u64(t.nreserves, 2, "... 2 reservations");
		ok(t.nops == 4 && t.ops[0].kind == TRACE_RESERVE &&
		   t.ops[0].a == 0x20 && t.ops[0].b == 0x21 &&
		   t.ops[1].kind == TRACE_RESERVE && t.ops[1].a == 0x40 &&
		   t.ops[1].b == 0x41, "... [0x20, 0x21] and [0x40, 0x41] first");
		ok(t.nops == 4 && t.ops[2].kind == TRACE_ALLOC &&
		   t.ops[2].at == 0x10 && t.ops[3].kind == TRACE_ALLOC &&
		   t.ops[3].at == 0x30, "... then the two maps");
		trace_free(&t);
	}
}

static void test_truncations(void)
{
	char path[512], *buf;
	FILE *f;
	long len;
	size_t cut, bad = 0;

	snprintf(path, sizeof(path), "%s/tracefs-sample.txt", IOVA_EXAMPLES_DIR);
	f = fopen(path, "rb");
	if (!ok(f != NULL, "open tracefs sample"))
		return;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)len);
	if (fread(buf, 1, (size_t)len, f) != (size_t)len)
		len = 0;
	fclose(f);
	/* Every prefix of the file, not strict: one that ends inside a line
	 * fails at that line (the file was cut); one that ends at a line
	 * boundary after the header (line 4: 12 entries) but before the
	 * last of them fails at the header (fewer entries than it says);
	 * the rest (the first 3 lines, and the whole file) load. */
	for (cut = 0; cut <= (size_t)len; cut++) {
		struct trace_opts o;
		struct seen s;
		struct trace t;
		unsigned long lines = 0, want_line = 0;
		size_t i;
		int r;

		for (i = 0; i < cut; i++)
			lines += buf[i] == '\n';
		if (cut && buf[cut - 1] != '\n')
			want_line = lines + 1;
		else if (lines >= 4 && cut < (size_t)len)
			want_line = 4;
		opts_init(&o, &s);
		r = trace_parse_buf(buf, cut, "cut", &o, &t);
		if (want_line ? r != TRACE_EPARSE || s.fatal_line != want_line :
				r != 0)
			bad++;
		if (!r)
			trace_free(&t);
	}
	is_u64(bad, 0, "all %ld prefixes: cut ones fail at the cut line, short "
	       "ones at the header's count, the rest load", len);
	free(buf);
}

int main(void)
{
	test_perf_sample();
	test_tracefs_sample();
	test_inline();
	test_capture_checks();
	test_truncations();
	return tap_done();
}
