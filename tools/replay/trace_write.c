// SPDX-License-Identifier: MIT OR GPL-2.0-only
/* Native trace writer: see trace_write.h and docs/trace-format.md. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "trace_write.h"

struct trace_writer {
	FILE *f;
	bool own;
	bool error;
	uint64_t nops;
};

static void w_check(struct trace_writer *w, int r)
{
	if (r < 0)
		w->error = true;
}

static struct trace_writer *w_start(FILE *f, bool own, uint64_t granule,
				    uint64_t start_pfn, uint64_t end_pfn)
{
	struct trace_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->f = f;
	w->own = own;
	w_check(w, fprintf(f,
			   "iovatrace 1\n"
			   "granule %" PRIu64 "\n"
			   "start_pfn 0x%" PRIx64 "\n"
			   "end_pfn 0x%" PRIx64 "\n",
			   granule, start_pfn, end_pfn));
	return w;
}

struct trace_writer *trace_writer_open(const char *path, uint64_t granule,
				       uint64_t start_pfn, uint64_t end_pfn)
{
	FILE *f;
	struct trace_writer *w;

	if (!strcmp(path, "-"))
		return trace_writer_stream(stdout, granule, start_pfn, end_pfn);
	f = fopen(path, "w");
	if (!f)
		return NULL;
	w = w_start(f, true, granule, start_pfn, end_pfn);
	if (!w) {
		fclose(f);
		errno = ENOMEM;
	}
	return w;
}

struct trace_writer *trace_writer_stream(FILE *f, uint64_t granule,
					 uint64_t start_pfn, uint64_t end_pfn)
{
	return w_start(f, false, granule, start_pfn, end_pfn);
}

int trace_write_comment(struct trace_writer *w, const char *fmt, ...)
{
	char text[1024];
	const char *p = text;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (;;) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);

		w_check(w, fprintf(w->f, n ? "# %.*s\n" : "#\n", n, p));
		if (!nl)
			break;
		p = nl + 1;
	}
	return w->error ? -EIO : 0;
}

static const char *const policy_names[] = { "td", "bu", "ex" };

int trace_write_alloc(struct trace_writer *w, uint64_t id, uint64_t size,
		      uint64_t limit_pfn, uint64_t align,
		      enum trace_policy policy)
{
	struct trace_op op;

	memset(&op, 0, sizeof(op));
	op.kind = TRACE_ALLOC;
	op.id = id;
	op.a = size;
	op.b = limit_pfn;
	op.align = align;
	op.policy = (uint8_t)policy;
	return trace_write_alloc_op(w, &op);
}

int trace_write_alloc_op(struct trace_writer *w, const struct trace_op *op)
{
	const char *pol = op->policy < 3 ? policy_names[op->policy] : "td";

	w_check(w, fprintf(w->f, "a %" PRIu64 " %" PRIu64 " 0x%" PRIx64
			   " %" PRIu64 " %s", op->id, op->a, op->b, op->align,
			   pol));
	if (op->has_min)
		w_check(w, fprintf(w->f, " min=0x%" PRIx64, op->min_pfn));
	if (op->has_at)
		w_check(w, fprintf(w->f, " at=0x%" PRIx64, op->at));
	w_check(w, fputc('\n', w->f) == EOF ? -1 : 0);
	w->nops++;
	return w->error ? -EIO : 0;
}

int trace_write_free(struct trace_writer *w, uint64_t id)
{
	w_check(w, fprintf(w->f, "f %" PRIu64 "\n", id));
	w->nops++;
	return w->error ? -EIO : 0;
}

int trace_write_reserve(struct trace_writer *w, uint64_t lo, uint64_t hi)
{
	w_check(w, fprintf(w->f, "r 0x%" PRIx64 " 0x%" PRIx64 "\n", lo, hi));
	w->nops++;
	return w->error ? -EIO : 0;
}

int trace_writer_close(struct trace_writer *w)
{
	int r;

	if (!w)
		return -EIO;
	w_check(w, fprintf(w->f, "end %" PRIu64 "\n", w->nops));
	w_check(w, fflush(w->f) ? -1 : 0);
	if (w->own)
		w_check(w, fclose(w->f) ? -1 : 0);
	r = w->error ? -EIO : 0;
	free(w);
	return r;
}

int trace_write_all(FILE *f, const struct trace *t, const char *comment)
{
	struct trace_writer *w;
	size_t i;
	int r = 0;

	w = trace_writer_stream(f, t->granule, t->start_pfn, t->end_pfn);
	if (!w)
		return -ENOMEM;
	if (comment)
		r = trace_write_comment(w, "%s", comment);
	for (i = 0; i < t->nops && !r; i++) {
		const struct trace_op *op = &t->ops[i];

		switch (op->kind) {
		case TRACE_ALLOC:
			r = trace_write_alloc_op(w, op);
			break;
		case TRACE_FREE:
			r = trace_write_free(w, op->id);
			break;
		case TRACE_RESERVE:
			r = trace_write_reserve(w, op->a, op->b);
			break;
		default:
			break;
		}
	}
	return trace_writer_close(w) || r ? -EIO : 0;
}
