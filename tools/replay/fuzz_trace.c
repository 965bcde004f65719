// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Fuzz target for the trace readers.  For any input:
 *  1. the native reader and the kernel-event importer must return (0 or a
 *     parse error), never crash, and on error leave an empty trace;
 *  2. a trace that loads is written back in native format, and that text
 *     must load again into the same operations (round trip);
 *  3. the loaded trace is replayed on the "trace" pseudo-design, which
 *     exercises the replay engine's shadow and fragmentation sweep.
 *
 * Built with clang -fsanitize=fuzzer (tools/replay/CMakeLists.txt); under
 * gcc tests/replay/fuzz_main.c runs it over the committed seed corpus.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "trace.h"
#include "trace_write.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(void *ctx, const char *name, unsigned long line, bool fatal,
		  const char *text)
{
	(void)ctx;
	(void)name;
	(void)line;
	(void)fatal;
	(void)text;
}

static bool same_op(const struct trace_op *a, const struct trace_op *b)
{
	return a->kind == b->kind && a->slot == b->slot && a->a == b->a &&
	       a->b == b->b && (a->kind != TRACE_ALLOC ||
				(a->policy == b->policy &&
				 a->align == b->align &&
				 a->min_pfn == b->min_pfn &&
				 a->has_at == b->has_at && a->at == b->at));
}

static void check_roundtrip(const struct trace *t)
{
	struct trace_opts o;
	struct trace u;
	char *buf = NULL;
	size_t len = 0, i, j;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	if (trace_write_all(f, t, NULL)) {
		fclose(f);
		free(buf);
		return;
	}
	fclose(f);
	memset(&o, 0, sizeof(o));
	o.format = TRACE_FMT_NATIVE;
	o.msg = quiet;
	o.strict = true;
	if (trace_parse_buf(buf, len, "roundtrip", &o, &u))
		abort();	/* what we wrote must read back */
	if (u.granule != t->granule || u.start_pfn != t->start_pfn ||
	    u.end_pfn != t->end_pfn)
		abort();
	/* NOPs are not written; slots are renumbered densely. */
	for (i = 0, j = 0; i < t->nops; i++) {
		struct trace_op x = t->ops[i];

		if (x.kind == TRACE_NOP)
			continue;
		if (j >= u.nops)
			abort();
		x.slot = u.ops[j].slot;
		if (!same_op(&x, &u.ops[j]))
			abort();
		j++;
	}
	if (j != u.nops)
		abort();
	trace_free(&u);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum trace_format fmts[] = { TRACE_FMT_NATIVE,
						  TRACE_FMT_KERNEL };
	struct trace_opts o;
	struct trace t;
	size_t k;

	if (size > 1 << 16)
		return 0;
	for (k = 0; k < 2; k++) {
		memset(&o, 0, sizeof(o));
		o.format = fmts[k];
		o.msg = quiet;
		o.strict = size & 1;	/* both modes, chosen by the input */
		if (trace_parse_buf((const char *)data, size, "fuzz", &o, &t)) {
			if (t.nops || t.ops)
				abort();
			continue;
		}
		check_roundtrip(&t);
		if (t.nops <= 4096) {
			struct replay_result r;
			struct replay_opts ro;

			memset(&ro, 0, sizeof(ro));
			if (!replay_run(&t, &replay_trace_backend, &ro, &r))
				replay_result_free(&r);
		}
		trace_free(&t);
	}
	return 0;
}
