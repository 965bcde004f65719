/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/* Helpers shared by the trace readers; not part of any interface. */
#ifndef IOVA_REPLAY_TRACE_INTERNAL_H
#define IOVA_REPLAY_TRACE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace.h"

#define TRACE_MAX_LINE 4096

/* Walks a buffer line by line; a line excludes its '\n' (and a '\r'). */
struct line_iter {
	const char *buf;
	size_t len, pos;
	unsigned long lineno;
	bool last_unterminated;	/* the last line returned had no '\n' */
};

void line_iter_init(struct line_iter *it, const char *buf, size_t len);
/* Next line in *s / *n; false at the end. */
bool line_iter_next(struct line_iter *it, const char **s, size_t *n);

/* Reporting context for one load. */
struct msg_ctx {
	const struct trace_opts *opts;
	const char *name;
	unsigned long warnings;
};

void msg_report(struct msg_ctx *m, unsigned long line, bool fatal,
		const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 4, 5)))
#endif
	;

/*
 * Parse an unsigned number at s[0..n): decimal, or hex with 0x/0X.  The
 * whole span must be used.  false on junk, empty or overflow.
 */
bool parse_u64(const char *s, size_t n, uint64_t *out);

/* id -> slot map (open addressing, linear probing, backward-shift erase). */
struct id_map {
	uint64_t *keys;
	uint32_t *vals;
	uint8_t *used;
	size_t cap, count;
};

void id_map_init(struct id_map *m);
void id_map_free(struct id_map *m);
/* 0, or TRACE_ENOMEM. */
int id_map_put(struct id_map *m, uint64_t key, uint32_t val);
bool id_map_get(const struct id_map *m, uint64_t key, uint32_t *val);
bool id_map_del(struct id_map *m, uint64_t key);

#endif
