/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/* Text reports, the --compare table and the gnuplot output of iova-replay. */
#ifndef IOVA_REPLAY_REPORT_H
#define IOVA_REPLAY_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "replay.h"
#include "trace.h"

/* One paragraph about the trace (and the importer's counts). */
void report_trace(FILE *f, const char *name, const struct trace *t);
/* A block per design. */
void report_one(FILE *f, const struct trace *t, const struct replay_result *r);
/* Designs side by side; ratios against the first timed design. */
void report_compare(FILE *f, const struct trace *t,
		    const struct replay_result *r, size_t n);
/*
 * Write path (a gnuplot script drawing path with .png) and path.dat
 * (one block per design: op live gap4g gapmax gaps bytes, gaps in bytes).
 * 0 or -errno.
 */
int report_plot(const char *path, const char *trace_name,
		const struct trace *t, const struct replay_result *r,
		size_t n);

/*
 * One row per design, the same values in both: CSV with a header line
 * (the first column is the trace), and a JSON object {tool, version,
 * trace: {...}, designs: [...]}.  0 or -EIO.
 */
int report_csv(FILE *f, const char *trace_name, const struct trace *t,
	       const struct replay_result *r, size_t n);
int report_json(FILE *f, const char *trace_name, const struct trace *t,
		const struct replay_result *r, size_t n, const char *version);

/* Throughput of one run (allocs, frees and reserves per microsecond). */
double report_run_mops(const struct replay_result *r);

/* "12.3 MiB" style; buf of at least 16 bytes. */
const char *report_bytes(char *buf, size_t len, double bytes);

#endif
