// SPDX-License-Identifier: MIT OR GPL-2.0-only
/* Recording wrapper around a bench_alloc_ops; see trace_record.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "alloc_iface.h"
#include "trace_record.h"
#include "trace_write.h"

static struct {
	pthread_mutex_t lock;
	const struct bench_alloc_ops *inner;
	const char *path, *comment;
	struct trace_writer *w;
	void *recorded;		/* the domain being recorded */
	int error;
	unsigned long failed_allocs, failed_frees, failed_reserves;
} rec = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void *r_create(uint64_t start_pfn, uint64_t end_pfn)
{
	void *a = rec.inner->create(start_pfn, end_pfn);

	pthread_mutex_lock(&rec.lock);
	if (a && !rec.recorded && !rec.error) {
		rec.w = trace_writer_open(rec.path, 4096, start_pfn, end_pfn);
		if (!rec.w) {
			rec.error = -EIO;
		} else {
			rec.recorded = a;
			trace_write_comment(rec.w, "SPDX-License-Identifier: "
					    "MIT OR GPL-2.0-only");
			if (rec.comment)
				trace_write_comment(rec.w, "%s", rec.comment);
			trace_write_comment(rec.w, "recorded from design %s",
					    rec.inner->name);
		}
	}
	pthread_mutex_unlock(&rec.lock);
	return a;
}

static void r_destroy(void *a)
{
	pthread_mutex_lock(&rec.lock);
	if (a == rec.recorded)
		rec.recorded = NULL;	/* the trace stays open until end */
	pthread_mutex_unlock(&rec.lock);
	rec.inner->destroy(a);
}

static uint64_t pow2_up(uint64_t v)
{
	uint64_t p = 1;

	while (p < v && p)
		p <<= 1;
	return p;
}

static int r_alloc(void *a, uint64_t size, uint64_t limit_pfn,
		   bool size_aligned, uint64_t *pfn)
{
	int e;

	if (a != rec.recorded)
		return rec.inner->alloc(a, size, limit_pfn, size_aligned, pfn);
	pthread_mutex_lock(&rec.lock);
	e = rec.inner->alloc(a, size, limit_pfn, size_aligned, pfn);
	if (e) {
		rec.failed_allocs++;
	} else {
		struct trace_op op;

		memset(&op, 0, sizeof(op));
		op.kind = TRACE_ALLOC;
		op.id = *pfn;
		op.a = size;
		op.b = limit_pfn;
		op.align = size_aligned ? pow2_up(size) : 1;
		op.policy = TRACE_TOP_DOWN;
		op.has_at = 1;
		op.at = *pfn;
		if (trace_write_alloc_op(rec.w, &op))
			rec.error = -EIO;
	}
	pthread_mutex_unlock(&rec.lock);
	return e;
}

static int r_free(void *a, uint64_t pfn)
{
	int e;

	if (a != rec.recorded)
		return rec.inner->free(a, pfn);
	pthread_mutex_lock(&rec.lock);
	e = rec.inner->free(a, pfn);
	if (e)
		rec.failed_frees++;
	else if (trace_write_free(rec.w, pfn))
		rec.error = -EIO;
	pthread_mutex_unlock(&rec.lock);
	return e;
}

static int r_reserve(void *a, uint64_t lo, uint64_t hi)
{
	int e;

	if (a != rec.recorded)
		return rec.inner->reserve(a, lo, hi);
	pthread_mutex_lock(&rec.lock);
	e = rec.inner->reserve(a, lo, hi);
	if (e)
		rec.failed_reserves++;
	else if (trace_write_reserve(rec.w, lo, hi))
		rec.error = -EIO;
	pthread_mutex_unlock(&rec.lock);
	return e;
}

static uint64_t r_bytes(void *a)
{
	return rec.inner->bytes(a);
}

static uint64_t r_count(void *a)
{
	return rec.inner->count(a);
}

static struct bench_alloc_ops rec_ops = {
	.create = r_create,
	.destroy = r_destroy,
	.alloc = r_alloc,
	.free = r_free,
	.reserve = r_reserve,
	.bytes = r_bytes,
	.count = r_count,
};

const struct bench_alloc_ops *
trace_record_begin(const struct bench_alloc_ops *inner, const char *path,
		   const char *comment)
{
	pthread_mutex_lock(&rec.lock);
	if (rec.inner) {
		pthread_mutex_unlock(&rec.lock);
		return NULL;
	}
	rec.inner = inner;
	rec.path = path;
	rec.comment = comment;
	rec.w = NULL;
	rec.recorded = NULL;
	rec.error = 0;
	rec.failed_allocs = rec.failed_frees = rec.failed_reserves = 0;
	rec_ops.name = inner->name;
	pthread_mutex_unlock(&rec.lock);
	return &rec_ops;
}

int trace_record_end(void)
{
	int e;

	pthread_mutex_lock(&rec.lock);
	e = rec.error;
	if (rec.w) {
		if (rec.failed_allocs || rec.failed_frees || rec.failed_reserves)
			trace_write_comment(rec.w, "not recorded: %lu failed "
					    "allocs, %lu failed frees, %lu "
					    "failed reserves",
					    rec.failed_allocs, rec.failed_frees,
					    rec.failed_reserves);
		if (trace_writer_close(rec.w))
			e = -EIO;
	}
	rec.w = NULL;
	rec.inner = NULL;
	rec.recorded = NULL;
	pthread_mutex_unlock(&rec.lock);
	return e;
}
