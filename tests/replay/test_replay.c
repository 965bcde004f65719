// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Replay engine: fragmentation numbers on a hand-computed layout, the
 * safety checks (overlap, bounds, alignment), failure accounting, sampling,
 * and libiova's native API replaying the example traces with no violation.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "backends.h"
#include "replay.h"
#include "tap.h"
#include "trace.h"

static void quiet(void *ctx, const char *name, unsigned long line, bool fatal,
		  const char *text)
{
	(void)ctx;
	(void)name;
	(void)line;
	(void)fatal;
	(void)text;
}

static int load_text(const char *text, struct trace *t)
{
	struct trace_opts o;

	memset(&o, 0, sizeof(o));
	o.msg = quiet;
	return trace_parse_buf(text, strlen(text), "inline", &o, t);
}

/* 8 GiB domain (pfns 1 .. 0x1fffff), 4 KiB granule. */
static const char layout[] =
	"iovatrace 1\ngranule 4096\nstart_pfn 1\nend_pfn 0x1fffff\n"
	"a 0 16 0xfffff 16 td at=0xffff0\n"
	"a 1 1 0x1fffff 1 td at=0x1fffff\n"
	"r 0x80000 0x8ffff\n"
	"a 2 4 0xfffff 4 td at=0x100\n"
	"f 0\n"
	"end 5\n";

static void test_fragmentation(void)
{
	struct replay_result r;
	struct replay_opts o;
	struct trace t;
	const struct replay_sample *s;

	is_int(load_text(layout, &t), 0, "layout loads");
	memset(&o, 0, sizeof(o));
	o.sample_every = 1;
	is_int(replay_run(&t, &replay_trace_backend, &o, &r), 0, "replay runs");
	is_u64(r.nsamples, 5, "one sample per op");
	is_u64(r.violations, 0, "no violation");
	is_u64(r.same_at, 0, "placement-only design does not score itself");
	if (r.nsamples == 5) {
		/* After op 4: free gaps [1,0xff] [0x104,0x7ffff]
		 * [0x90000,0xfffef] [0x100000,0x1ffffe]. */
		s = &r.samples[3];
		is_u64(s->op, 4, "sample 4 after op 4");
		is_u64(s->live, 3, "3 live");
		is_u64(s->gaps, 4, "4 free gaps");
		is_u64(s->gap4g, 0x7fefc, "largest gap below 4 GiB");
		is_u64(s->gapmax, 0xfffff, "largest gap below the max limit");
		/* After freeing the block under 4 GiB the top two merge. */
		s = &r.samples[4];
		is_u64(s->live, 2, "2 live");
		is_u64(s->gaps, 3, "3 free gaps");
		is_u64(s->gap4g, 0x7fefc, "below 4 GiB unchanged");
		is_u64(s->gapmax, 0x16ffff, "merged gap across 4 GiB");
		s = &r.samples[0];
		is_u64(s->gaps, 2, "first sample: 2 gaps");
		is_u64(s->gap4g, 0xfffef, "first sample: below the block");
	}
	is_u64(r.final_live, 2, "final live");
	replay_result_free(&r);
	trace_free(&t);
}

/* A design that places everything at pfn 0x100 and fails sizes > 4. */
static void *bad_create(const void *arg, const struct trace *t)
{
	static int x;

	(void)arg;
	(void)t;
	return &x;
}

static void bad_destroy(void *c)
{
	(void)c;
}

static int bad_alloc(void *c, const struct trace_op *op, uint64_t *pfn)
{
	(void)c;
	if (op->policy != TRACE_TOP_DOWN)
		return -EOPNOTSUPP;
	if (op->a > 4)
		return -ENOMEM;
	*pfn = 0x100;
	return 0;
}

static int bad_free(void *c, uint64_t pfn, const struct trace_op *op)
{
	(void)c;
	(void)op;
	return pfn == 0x100 ? 0 : -ENOENT;
}

static int bad_reserve(void *c, uint64_t lo, uint64_t hi)
{
	(void)c;
	return lo > hi ? -EINVAL : lo == 0x5000 ? -EBUSY : 0;
}

static uint64_t bad_bytes(void *c)
{
	(void)c;
	return 1000;
}

static const struct replay_backend bad_be = {
	.name = "bad", .create = bad_create, .destroy = bad_destroy,
	.alloc = bad_alloc, .free = bad_free, .reserve = bad_reserve,
	.bytes = bad_bytes,
};

static void test_checks(void)
{
	static const char text[] =
		"iovatrace 1\ngranule 4096\nstart_pfn 1\nend_pfn 0xffffff\n"
		"a 0 1 0xffffff 1 td\n"			/* 0x100, fine */
		"a 1 1 0xffffff 1 td\n"			/* overlaps 0 */
		"a 2 8 0xffffff 8 td\n"			/* -ENOMEM */
		"f 2\n"					/* skipped */
		"a 3 2 0xffffff 1 bu min=0x10\n"	/* unsupported */
		"f 3\n"					/* skipped */
		"f 0\n"
		"a 4 2 0xff 1 td\n"			/* 0x100 > limit 0xff */
		"f 4\n"
		"a 5 2 0xffff 4 td\n"			/* fine */
		"r 0x5000 0x5fff\n"			/* -EBUSY */
		"r 0x200 0x200\n"
		"f 5\n"
		"f 1\n"					/* the overlapping one */
		"end 14\n";
	struct replay_result r;
	struct replay_opts o;
	struct trace t;

	is_int(load_text(text, &t), 0, "checks trace loads");
	memset(&o, 0, sizeof(o));
	is_int(replay_run(&t, &bad_be, &o, &r), 0, "replay runs");
	is_u64(r.allocs, 6, "6 allocs");
	is_u64(r.alloc_fail, 1, "1 failure");
	is_u64(r.first_fail_line, 7, "first failure at line 7");
	is_u64(r.unsupported, 1, "1 unsupported");
	is_u64(r.skipped_frees, 2, "2 frees skipped");
	is_u64(r.reserve_fail, 1, "1 reserve failed");
	is_u64(r.violations, 2, "2 violations (overlap, limit)");
	ok(strstr(r.violation, "line 6") && strstr(r.violation, "overlaps"),
	   "first violation: the overlap at line 6 (%s)", r.violation);
	is_u64(r.h_alloc.n, 5, "timed allocs exclude unsupported");
	is_u64(r.h_free.n, 4, "timed frees");
	is_u64(r.peak_bytes, 1000, "bytes from the design");
	replay_result_free(&r);
	trace_free(&t);
}

static void test_sampling(void)
{
	char text[4096];
	size_t n = 0;
	int i;
	struct replay_result r;
	struct replay_opts o;
	struct trace t;

	n += (size_t)snprintf(text + n, sizeof(text) - n,
			      "iovatrace 1\nend_pfn 0xfffff\n");
	for (i = 0; i < 50; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "a %d 1 0xfffff 1 td at=0x%x\n", i, 0x1000 + i * 2);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "end 50\n");
	is_int(load_text(text, &t), 0, "50-op trace loads");
	memset(&o, 0, sizeof(o));
	o.sample_every = 7;
	is_int(replay_run(&t, &replay_trace_backend, &o, &r), 0, "runs");
	is_u64(r.nsamples, 8, "7 periodic samples + the final one");
	is_u64(r.samples[r.nsamples - 1].op, 50, "final sample at the end");
	is_u64(r.samples[r.nsamples - 1].gaps, 51, "50 blocks with holes: 51 gaps");
	is_u64(r.peak_live, 50, "peak live");
	replay_result_free(&r);
	trace_free(&t);
}

static void test_native_examples(void)
{
	static const char *const files[] = {
		"churn.trace", "mixed.trace", "nvme.trace", "reserve.trace",
		"perf-script-sample.txt", "tracefs-sample.txt",
	};
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct replay_result r;
		struct replay_opts o;
		struct trace_opts to;
		struct trace t;
		char path[512];

		snprintf(path, sizeof(path), "%s/%s", IOVA_EXAMPLES_DIR, files[i]);
		memset(&to, 0, sizeof(to));
		to.msg = quiet;
		if (!ok(trace_load_file(path, &to, &t) == 0, "%s loads", files[i]))
			continue;
		memset(&o, 0, sizeof(o));
		if (!ok(replay_run(&t, &replay_native_backend, &o, &r) == 0,
			"%s replays on iova-native", files[i])) {
			trace_free(&t);
			continue;
		}
		is_u64(r.violations, 0, "%s: no safety violation", files[i]);
		if (r.violations)
			diag("%s", r.violation);
		is_u64(r.alloc_fail, 0, "%s: no failed allocation", files[i]);
		is_u64(r.free_fail, 0, "%s: no failed free", files[i]);
		is_u64(r.unsupported, 0, "%s: every request expressible",
		       files[i]);
		if (t.imported)
			is_u64(r.same_at, r.with_at,
			       "%s: exact highest fit = the kernel's placement",
			       files[i]);
		replay_result_free(&r);
		trace_free(&t);
	}
}

int main(void)
{
	test_fragmentation();
	test_checks();
	test_sampling();
	test_native_examples();
	return tap_done();
}
