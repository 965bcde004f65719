// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Recording a design's calls as a trace (trace_record.h), and replaying the
 * recording through the registry backend: a deterministic design must put
 * every allocation where it did while being recorded.  The design here is a
 * tiny stand-in (a bitmap over 256 pfns), local to this test.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_iface.h"
#include "backends.h"
#include "tap.h"
#include "trace.h"
#include "trace_record.h"

#define SPACE 256

struct standin {
	uint64_t start, end;
	uint8_t used[SPACE];	/* 0 free, 1 allocated, 2 reserved */
	uint64_t size_at[SPACE];	/* size of the range starting here */
	uint64_t live;
};

static void *s_create(uint64_t start_pfn, uint64_t end_pfn)
{
	struct standin *s = calloc(1, sizeof(*s));

	if (!s || end_pfn >= SPACE || start_pfn > end_pfn) {
		free(s);
		return NULL;
	}
	s->start = start_pfn;
	s->end = end_pfn;
	return s;
}

static void s_destroy(void *a)
{
	free(a);
}

static bool s_free_run(const struct standin *s, uint64_t lo, uint64_t size)
{
	uint64_t i;

	for (i = lo; i < lo + size; i++)
		if (s->used[i])
			return false;
	return true;
}

static int s_alloc(void *a, uint64_t size, uint64_t limit_pfn,
		   bool size_aligned, uint64_t *pfn)
{
	struct standin *s = a;
	uint64_t align = 1, lim = limit_pfn < s->end ? limit_pfn : s->end;
	uint64_t lo, i;

	while (size_aligned && align < size)
		align <<= 1;
	if (!size || size > SPACE || lim < s->start || lim + 1 < size)
		return -ENOMEM;
	for (lo = (lim + 1 - size) & ~(align - 1);; lo -= align) {
		if (lo >= s->start && s_free_run(s, lo, size)) {
			for (i = lo; i < lo + size; i++)
				s->used[i] = 1;
			s->size_at[lo] = size;
			s->live++;
			*pfn = lo;
			return 0;
		}
		if (lo < align || lo - align < s->start)
			return -ENOMEM;
	}
}

static int s_free(void *a, uint64_t pfn)
{
	struct standin *s = a;
	uint64_t i;

	if (pfn >= SPACE || !s->size_at[pfn] || s->used[pfn] != 1)
		return -ENOENT;
	for (i = pfn; i < pfn + s->size_at[pfn]; i++)
		s->used[i] = 0;
	s->size_at[pfn] = 0;
	s->live--;
	return 0;
}

static int s_reserve(void *a, uint64_t lo, uint64_t hi)
{
	struct standin *s = a;
	uint64_t i;

	if (lo > hi)
		return -EINVAL;
	for (i = lo; i <= hi && i < SPACE; i++)
		if (s->used[i] == 1)
			return -EBUSY;
	for (i = lo; i <= hi && i < SPACE; i++)
		s->used[i] = 2;
	return 0;
}

static uint64_t s_bytes(void *a)
{
	(void)a;
	return sizeof(struct standin);
}

static uint64_t s_count(void *a)
{
	return ((struct standin *)a)->live;
}

static const struct bench_alloc_ops standin_ops = {
	.name = "standin", .create = s_create, .destroy = s_destroy,
	.alloc = s_alloc, .free = s_free, .reserve = s_reserve,
	.bytes = s_bytes, .count = s_count,
};

static void quiet(void *ctx, const char *name, unsigned long line, bool fatal,
		  const char *text)
{
	(void)ctx;
	(void)name;
	(void)line;
	(void)fatal;
	(void)text;
}

int main(void)
{
	char path[] = "/tmp/replay-record-XXXXXX";
	const struct bench_alloc_ops *ops;
	struct replay_backend be;
	struct replay_result r;
	struct replay_opts ro;
	struct trace_opts to;
	struct trace t;
	uint64_t p[8];
	void *a, *b;
	int fd = mkstemp(path);

	if (!ok(fd >= 0, "temporary file"))
		return tap_done();
	ops = trace_record_begin(&standin_ops, path, "test_record");
	ok(ops != NULL && !strcmp(ops->name, "standin"), "recording starts");
	ok(trace_record_begin(&standin_ops, path, NULL) == NULL,
	   "one recording at a time");
	a = ops->create(1, 255);
	b = ops->create(1, 255);	/* a second domain: not recorded */
	ok(a && b, "domains created through the wrapper");
	is_int(ops->reserve(a, 0xf0, 0xf7), 0, "reserve");
	is_int(ops->alloc(a, 1, 255, false, &p[0]), 0, "alloc 1");
	is_u64(p[0], 255, "... at the top");
	is_int(ops->alloc(a, 3, 255, true, &p[1]), 0, "alloc 3 aligned");
	is_u64(p[1], 0xfc, "... 4-aligned, just below the top page");
	is_int(ops->alloc(a, 16, 0x7f, true, &p[2]), 0, "alloc 16 below 0x7f");
	is_u64(p[2], 0x70, "... at 0x70");
	is_int(ops->alloc(a, 300, 255, false, &p[3]), -ENOMEM,
	       "impossible alloc fails (not recorded)");
	is_int(ops->free(a, p[1]), 0, "free");
	is_int(ops->free(a, p[1]), -ENOENT, "double free fails (not recorded)");
	is_int(ops->alloc(a, 2, 255, true, &p[4]), 0, "alloc 2 aligned");
	is_int(ops->alloc(b, 2, 255, true, &p[5]), 0, "other domain works");
	is_u64(ops->count(a), 3, "count passes through");
	ops->destroy(b);
	ops->destroy(a);
	is_int(trace_record_end(), 0, "recording ends cleanly");

	memset(&to, 0, sizeof(to));
	to.msg = quiet;
	to.strict = true;
	is_int(trace_load_file(path, &to, &t), 0, "the recording loads (strict)");
	is_u64(t.start_pfn, 1, "start_pfn from create");
	is_u64(t.end_pfn, 255, "end_pfn from create");
	is_u64(t.nops, 6, "1 reserve, 4 allocs, 1 free");
	is_u64(t.nallocs, 4, "4 allocs");
	if (t.nops == 6) {
		is_int(t.ops[0].kind, TRACE_RESERVE, "op 0: reserve");
		ok(t.ops[2].has_at && t.ops[2].at == 0xfc && t.ops[2].align == 4 &&
		   t.ops[2].a == 3, "op 2: 3 pfns, align 4, at 0xfc");
		is_int(t.ops[4].kind, TRACE_FREE, "op 4: free");
		is_u64(t.ops[4].slot, t.ops[2].slot, "op 4 frees op 2");
	}
	/* Replaying the recording on the same design reproduces it. */
	replay_backend_bench(&standin_ops, &be);
	memset(&ro, 0, sizeof(ro));
	is_int(replay_run(&t, &be, &ro, &r), 0, "replay through the registry "
	       "backend");
	is_u64(r.with_at, 4, "4 placements to compare");
	is_u64(r.same_at, 4, "all 4 where they were recorded");
	is_u64(r.violations, 0, "no violation");
	is_u64(r.alloc_fail + r.free_fail + r.reserve_fail, 0, "no failure");
	replay_result_free(&r);
	trace_free(&t);
	remove(path);
	return tap_done();
}
