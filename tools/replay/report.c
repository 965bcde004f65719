// SPDX-License-Identifier: MIT OR GPL-2.0-only
/* Reports of iova-replay; see report.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

const char *report_bytes(char *buf, size_t len, double bytes)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB",
					    "PiB", "EiB" };
	unsigned u = 0;

	while (bytes >= 1024 && u < 6) {
		bytes /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f %s", bytes, unit[u]);
	else
		snprintf(buf, len, "%.5g %s", bytes, unit[u]);
	return buf;
}

static double gap_bytes(const struct trace *t, uint64_t pfns)
{
	return (double)pfns * (double)t->granule;
}

void report_trace(FILE *f, const char *name, const struct trace *t)
{
	fprintf(f, "trace %s: %zu ops (%" PRIu64 " allocs, %" PRIu64
		" frees, %" PRIu64 " reserves), granule %" PRIu64
		", pfns [0x%" PRIx64 ", 0x%" PRIx64 "]\n",
		name, t->nops - (size_t)t->kstats.coalesced, t->nallocs,
		t->nfrees, t->nreserves, t->granule, t->start_pfn, t->end_pfn);
	if (t->imported) {
		const struct kimport_stats *k = &t->kstats;

		fprintf(f, "  imported from kernel events: %" PRIu64 " lines, %"
			PRIu64 " map, %" PRIu64 " unmap, %" PRIu64
			" skipped, %" PRIu64 " malformed, %" PRIu64
			" lost-event markers\n",
			k->lines, k->maps, k->unmaps, k->skipped, k->malformed,
			k->lost);
		fprintf(f, "  %" PRIu64 " maps folded into scatter-gather "
			"allocations, %" PRIu64 " partial unmaps, %" PRIu64
			" unmatched unmaps, %" PRIu64 " remaps, %" PRIu64
			" sizes rounded up, %" PRIu64
			" still mapped at the end (not leaks)\n",
			k->coalesced, k->partial_unmaps, k->unmatched_unmaps,
			k->remapped, k->rounded, k->live_at_end);
		if (k->prelive_ranges)
			fprintf(f, "  %" PRIu64 " ranges (%" PRIu64 " pages) were "
				"live before the capture (unmapped, never mapped "
				"in it): %s\n", k->prelive_ranges,
				k->prelive_pages, t->nreserves ?
				"reserved first (--pre-reserve)" :
				"--pre-reserve reserves them, so that "
				"placements can match the trace's");
	}
}

double report_run_mops(const struct replay_result *r)
{
	uint64_t timed = r->allocs - r->unsupported + r->frees -
			 r->skipped_frees + r->reserves;

	return r->op_ns ? (double)timed * 1e3 / (double)r->op_ns : 0;
}

/* Throughput: the median over the runs when there were several. */
static double mops(const struct replay_result *r)
{
	return r->runs ? r->mops_median : report_run_mops(r);
}

/* (max - min) / median over the runs, in percent; 0 for one run. */
static double spread_pct(const struct replay_result *r)
{
	return r->runs > 1 && r->mops_median > 0 ?
		       100.0 * (r->mops_max - r->mops_min) / r->mops_median :
		       0.0;
}

static uint64_t min_gap4g(const struct replay_result *r)
{
	uint64_t m = UINT64_MAX;
	size_t i;

	for (i = 0; i < r->nsamples; i++)
		if (r->samples[i].gap4g < m)
			m = r->samples[i].gap4g;
	return r->nsamples ? m : 0;
}

static uint64_t max_gaps(const struct replay_result *r)
{
	uint64_t m = 0;
	size_t i;

	for (i = 0; i < r->nsamples; i++)
		if (r->samples[i].gaps > m)
			m = r->samples[i].gaps;
	return m;
}

static const struct replay_sample *last(const struct replay_result *r)
{
	static const struct replay_sample none;

	return r->nsamples ? &r->samples[r->nsamples - 1] : &none;
}

void report_one(FILE *f, const struct trace *t, const struct replay_result *r)
{
	char b1[32], b2[32], b3[32];
	const struct replay_sample *s = last(r);

	fprintf(f, "== %s ==\n", r->name);
	if (!r->placement_only) {
		fprintf(f, "  %" PRIu64 " ops in %.3f ms of operations "
			"(%.3f ms wall): %.3g Mops/s", r->nops,
			(double)r->op_ns / 1e6, r->wall_s * 1e3, mops(r));
		if (r->runs > 1)
			fprintf(f, ", the median of %u runs (%.3g..%.3g, "
				"spread %.1f%%)", r->runs, r->mops_min,
				r->mops_max, spread_pct(r));
		fputc('\n', f);
		if (r->stall_runs)
			fprintf(f, "  STALLS: %" PRIu64 " operations took >= %.3g "
				"ms in %u of %u runs (preemption or page faults "
				"on a shared machine?); the throughput is the "
				"median run's\n", r->stall_ops,
				(double)r->stall_ns / 1e6, r->stall_runs,
				r->runs ? r->runs : 1);
		fprintf(f, "  alloc ns: p50 %" PRIu64 "  p90 %" PRIu64
			"  p99 %" PRIu64 "  p99.9 %" PRIu64 "  max %" PRIu64
			"  (n=%" PRIu64 ")\n",
			rhist_pct(&r->h_alloc, 0.5), rhist_pct(&r->h_alloc, 0.9),
			rhist_pct(&r->h_alloc, 0.99),
			rhist_pct(&r->h_alloc, 0.999), r->h_alloc.max,
			r->h_alloc.n);
		fprintf(f, "  free  ns: p50 %" PRIu64 "  p90 %" PRIu64
			"  p99 %" PRIu64 "  p99.9 %" PRIu64 "  max %" PRIu64
			"  (n=%" PRIu64 ")\n",
			rhist_pct(&r->h_free, 0.5), rhist_pct(&r->h_free, 0.9),
			rhist_pct(&r->h_free, 0.99), rhist_pct(&r->h_free, 0.999),
			r->h_free.max, r->h_free.n);
	} else {
		fprintf(f, "  the trace's own placement (no timing)\n");
	}
	fprintf(f, "  failures: %" PRIu64 " allocs, %" PRIu64 " frees, %"
		PRIu64 " reserves", r->alloc_fail, r->free_fail,
		r->reserve_fail);
	if (r->first_fail_line)
		fprintf(f, " (the first at line %lu)", r->first_fail_line);
	fprintf(f, "; %" PRIu64 " unsupported requests, %" PRIu64
		" frees skipped\n", r->unsupported, r->skipped_frees);
	if (r->violations && r->placement_only)
		fprintf(f, "  note: %" PRIu64 " placements break the inferred "
			"requests (limit, alignment, overlap); first: %s\n",
			r->violations, r->violation);
	else if (r->violations)
		fprintf(f, "  SAFETY: %" PRIu64 " violations; first: %s\n",
			r->violations, r->violation);
	if (!r->placement_only)
		fprintf(f, "  memory: peak %s, final %s, %.1f B/range at the "
			"peak of %" PRIu64 " live\n",
			report_bytes(b1, sizeof(b1), (double)r->peak_bytes),
			report_bytes(b2, sizeof(b2), (double)r->final_bytes),
			r->peak_live ? (double)r->bytes_at_peak_live /
					       (double)r->peak_live : 0.0,
			r->peak_live);
	fprintf(f, "  fragmentation (%zu samples): largest gap below 4 GiB "
		"%s (min %s), below the max limit %s; %" PRIu64
		" free gaps (max %" PRIu64 ")\n", r->nsamples,
		report_bytes(b1, sizeof(b1), gap_bytes(t, s->gap4g)),
		report_bytes(b2, sizeof(b2), gap_bytes(t, min_gap4g(r))),
		report_bytes(b3, sizeof(b3), gap_bytes(t, s->gapmax)), s->gaps,
		max_gaps(r));
	if (r->with_at && !r->placement_only)
		fprintf(f, "  placement: %.1f%% of %" PRIu64
			" allocations at the trace's own IOVA\n",
			100.0 * (double)r->same_at / (double)r->with_at,
			r->with_at);
}

/* ---- compare table ---------------------------------------------------- */

#define COLW 13

static void row_head(FILE *f, const char *label)
{
	fprintf(f, "%-28s", label);
}

static void cell(FILE *f, const char *text)
{
	fprintf(f, "%*s", COLW, text);
}

enum rowkind {
	R_MOPS, R_RATIO, R_SPREAD, R_STALLS, R_A50, R_A99, R_A999, R_AMAX,
	R_F50, R_F99,
	R_AFAIL, R_UNSUP, R_VIOL, R_PEAKB, R_BPR, R_G4F, R_G4MIN, R_GMF,
	R_GAPS, R_GAPSMAX, R_SAME, R_COUNT
};

static const char *const row_label[R_COUNT] = {
	"throughput (Mops/s)", "speed vs first", "spread over runs (%)",
	"runs with stalls", "alloc p50 (ns)",
	"alloc p99 (ns)", "alloc p99.9 (ns)", "alloc max (ns)",
	"free p50 (ns)", "free p99 (ns)", "alloc failures",
	"unsupported requests", "safety violations", "peak index memory",
	"bytes/range at peak live", "largest gap <4G, final",
	"largest gap <4G, minimum", "largest gap <max, final",
	"free gaps, final", "free gaps, maximum", "same IOVA as trace (%)",
};

void report_compare(FILE *f, const struct trace *t,
		    const struct replay_result *r, size_t n)
{
	const struct replay_result *base = NULL;
	bool any_at = false;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		if (!base && !r[i].placement_only)
			base = &r[i];
		if (r[i].with_at)
			any_at = true;
	}
	row_head(f, "");
	for (i = 0; i < n; i++)
		cell(f, r[i].name);
	fputc('\n', f);
	for (k = 0; k < R_COUNT; k++) {
		if (k == R_SAME && !any_at)
			continue;
		row_head(f, row_label[k]);
		for (i = 0; i < n; i++) {
			const struct replay_result *x = &r[i];
			const struct replay_sample *s = last(x);
			char b[40];
			bool timing = k <= R_F99 || k == R_PEAKB || k == R_BPR;

			if (x->placement_only && (timing || k == R_SAME)) {
				cell(f, "-");
				continue;
			}
			switch (k) {
			case R_MOPS:
				snprintf(b, sizeof(b), "%.3g", mops(x));
				break;
			case R_RATIO:
				snprintf(b, sizeof(b), "%.3gx",
					 base && mops(base) > 0 ?
						 mops(x) / mops(base) : 0.0);
				break;
			case R_SPREAD:
				snprintf(b, sizeof(b), "%.1f", spread_pct(x));
				break;
			case R_STALLS:
				snprintf(b, sizeof(b), "%u/%u", x->stall_runs,
					 x->runs ? x->runs : 1);
				break;
			case R_A50:
			case R_A99:
			case R_A999:
			case R_AMAX:
				snprintf(b, sizeof(b), "%" PRIu64,
					 k == R_AMAX ? x->h_alloc.max :
					 rhist_pct(&x->h_alloc,
						   k == R_A50 ? 0.5 :
						   k == R_A99 ? 0.99 : 0.999));
				break;
			case R_F50:
			case R_F99:
				snprintf(b, sizeof(b), "%" PRIu64,
					 rhist_pct(&x->h_free,
						   k == R_F50 ? 0.5 : 0.99));
				break;
			case R_AFAIL:
				snprintf(b, sizeof(b), "%" PRIu64, x->alloc_fail);
				break;
			case R_UNSUP:
				snprintf(b, sizeof(b), "%" PRIu64, x->unsupported);
				break;
			case R_VIOL:
				snprintf(b, sizeof(b), "%" PRIu64, x->violations);
				break;
			case R_PEAKB:
				report_bytes(b, sizeof(b), (double)x->peak_bytes);
				break;
			case R_BPR:
				snprintf(b, sizeof(b), "%.1f",
					 x->peak_live ?
						 (double)x->bytes_at_peak_live /
							 (double)x->peak_live :
						 0.0);
				break;
			case R_G4F:
				report_bytes(b, sizeof(b), gap_bytes(t, s->gap4g));
				break;
			case R_G4MIN:
				report_bytes(b, sizeof(b),
					     gap_bytes(t, min_gap4g(x)));
				break;
			case R_GMF:
				report_bytes(b, sizeof(b), gap_bytes(t, s->gapmax));
				break;
			case R_GAPS:
				snprintf(b, sizeof(b), "%" PRIu64, s->gaps);
				break;
			case R_GAPSMAX:
				snprintf(b, sizeof(b), "%" PRIu64, max_gaps(x));
				break;
			case R_SAME:
				if (x->with_at)
					snprintf(b, sizeof(b), "%.1f",
						 100.0 * (double)x->same_at /
							 (double)x->with_at);
				else
					snprintf(b, sizeof(b), "-");
				break;
			default:
				b[0] = '\0';
			}
			cell(f, b);
		}
		fputc('\n', f);
	}
}

/* ---- gnuplot ---------------------------------------------------------- */

/* Quote a string for a gnuplot single-quoted literal. */
static void gp_quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);	/* '' is a quote inside '...' */
		fputc(*s, f);
	}
	fputc('\'', f);
}

int report_plot(const char *path, const char *trace_name,
		const struct trace *t, const struct replay_result *r,
		size_t n)
{
	size_t plen = strlen(path), i, j;
	char *dat = malloc(plen + 5), *png = malloc(plen + 5);
	FILE *g = NULL, *d = NULL;
	int err = 0;

	if (!dat || !png) {
		err = -ENOMEM;
		goto out;
	}
	snprintf(dat, plen + 5, "%s.dat", path);
	if (plen > 3 && !strcmp(path + plen - 3, ".gp"))
		snprintf(png, plen + 5, "%.*s.png", (int)(plen - 3), path);
	else
		snprintf(png, plen + 5, "%s.png", path);
	d = fopen(dat, "w");
	g = fopen(path, "w");
	if (!d || !g) {
		err = -errno;
		goto out;
	}
	fprintf(d, "# iova-replay fragmentation samples of %s\n", trace_name);
	fprintf(d, "# op live gap_below_4g_bytes gap_below_max_bytes "
		"free_gaps index_bytes\n");
	for (i = 0; i < n; i++) {
		if (i)
			fprintf(d, "\n\n");
		fprintf(d, "# design %s\n", r[i].name);
		for (j = 0; j < r[i].nsamples; j++) {
			const struct replay_sample *s = &r[i].samples[j];

			fprintf(d, "%" PRIu64 " %" PRIu64 " %.0f %.0f %" PRIu64
				" %" PRIu64 "\n", s->op, s->live,
				gap_bytes(t, s->gap4g), gap_bytes(t, s->gapmax),
				s->gaps, s->bytes);
		}
	}
	fprintf(g, "# Written by iova-replay; run: gnuplot %s\n", path);
	fprintf(g, "set terminal pngcairo size 1200,1000 noenhanced\n");
	fprintf(g, "set output ");
	gp_quoted(g, png);
	fprintf(g, "\ndat = ");
	gp_quoted(g, dat);
	fprintf(g, "\nnames = '");
	for (i = 0; i < n; i++)
		fprintf(g, "%s%s", i ? " " : "", r[i].name);
	fprintf(g, "'\nset key outside right\nset grid\n");
	fprintf(g, "set multiplot layout 4,1 title ");
	gp_quoted(g, trace_name);
	fprintf(g, "\nset xlabel 'operations'\n");
	fprintf(g, "set ylabel 'largest gap <4 GiB (MiB)'\n");
	fprintf(g, "plot for [i=0:%zu] dat index i using 1:($3/1048576.0) "
		"with lines lw 2 dt i+1 title word(names, i+1)\n", n - 1);
	fprintf(g, "set ylabel 'largest gap <max limit (GiB)'\n");
	fprintf(g, "plot for [i=0:%zu] dat index i using 1:($4/1073741824.0) "
		"with lines lw 2 dt i+1 title word(names, i+1)\n", n - 1);
	fprintf(g, "set ylabel 'free gaps'\n");
	fprintf(g, "plot for [i=0:%zu] dat index i using 1:5 "
		"with lines lw 2 dt i+1 title word(names, i+1)\n", n - 1);
	fprintf(g, "set ylabel 'index bytes / live range'\n");
	fprintf(g, "plot for [i=0:%zu] dat index i using 1:($2 > 0 ? $6/$2 : 0) "
		"with lines lw 2 dt i+1 title word(names, i+1)\n", n - 1);
	fprintf(g, "unset multiplot\n");
	if (ferror(g) || ferror(d))
		err = -EIO;
out:
	if (d && fclose(d) && !err)
		err = -EIO;
	if (g && fclose(g) && !err)
		err = -EIO;
	free(dat);
	free(png);
	return err;
}

/* ---- machine-readable output ------------------------------------------ */

/* The values of one design's row, shared by CSV and JSON. */
struct row {
	const char *key;
	int kind;		/* 0 integer, 1 real, 2 string, 3 boolean,
				   4 a real holding a whole number,
				   5 the list of run throughputs */
	uint64_t u;
	double d;
	const char *s;
};

static size_t design_row(const struct trace *t, const struct replay_result *x,
			 const struct replay_result *base, struct row *v)
{
	const struct replay_sample *s = last(x);
	size_t n = 0;
	bool timed = !x->placement_only;

#define U(k, val) (v[n].key = (k), v[n].kind = 0, v[n++].u = (val))
#define D(k, val) (v[n].key = (k), v[n].kind = 1, v[n++].d = (val))
#define S(k, val) (v[n].key = (k), v[n].kind = 2, v[n++].s = (val))
#define B(k, val) (v[n].key = (k), v[n].kind = 3, v[n++].u = (val))
#define W(k, val) (v[n].key = (k), v[n].kind = 4, v[n++].d = (val))
	S("design", x->name);
	B("placement_only", x->placement_only);
	U("ops", x->nops);
	U("allocs", x->allocs);
	U("frees", x->frees);
	U("reserves", x->reserves);
	U("alloc_fail", x->alloc_fail);
	U("free_fail", x->free_fail);
	U("reserve_fail", x->reserve_fail);
	U("unsupported", x->unsupported);
	U("skipped_frees", x->skipped_frees);
	U("violations", x->violations);
	U("runs", x->runs ? x->runs : 1);
	v[n].key = "mops_runs";
	v[n++].kind = 5;
	D("mops_median", timed ? mops(x) : 0);
	D("mops_min", timed ? (x->runs ? x->mops_min : mops(x)) : 0);
	D("mops_max", timed ? (x->runs ? x->mops_max : mops(x)) : 0);
	D("spread_pct", timed ? spread_pct(x) : 0);
	D("ratio_vs_first", timed && base && mops(base) > 0 ?
				    mops(x) / mops(base) : 0);
	U("stall_runs", x->stall_runs);
	U("stall_ops", x->stall_ops);
	U("alloc_p50_ns", timed ? rhist_pct(&x->h_alloc, 0.5) : 0);
	U("alloc_p99_ns", timed ? rhist_pct(&x->h_alloc, 0.99) : 0);
	U("alloc_p999_ns", timed ? rhist_pct(&x->h_alloc, 0.999) : 0);
	U("alloc_max_ns", timed ? x->h_alloc.max : 0);
	U("free_p50_ns", timed ? rhist_pct(&x->h_free, 0.5) : 0);
	U("free_p99_ns", timed ? rhist_pct(&x->h_free, 0.99) : 0);
	U("peak_index_bytes", timed ? x->peak_bytes : 0);
	D("bytes_per_range", timed && x->peak_live ?
				     (double)x->bytes_at_peak_live /
					     (double)x->peak_live : 0);
	W("gap4g_final_bytes", gap_bytes(t, s->gap4g));
	W("gap4g_min_bytes", gap_bytes(t, min_gap4g(x)));
	W("gapmax_final_bytes", gap_bytes(t, s->gapmax));
	U("free_gaps_final", s->gaps);
	U("free_gaps_max", max_gaps(x));
	D("same_iova_pct", x->with_at && timed ?
				   100.0 * (double)x->same_at /
					   (double)x->with_at : 0);
#undef U
#undef D
#undef S
#undef B
#undef W
	return n;
}

#define MAX_ROW 40

static const struct replay_result *first_timed(const struct replay_result *r,
					       size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!r[i].placement_only)
			return &r[i];
	return NULL;
}

static void print_value(FILE *f, const struct row *v, bool json,
			const struct replay_result *x)
{
	unsigned i, runs = x->run_mops && !x->placement_only ? x->runs : 0;

	if (v->kind == 5) {
		fputs(json ? "[" : "", f);
		for (i = 0; i < runs; i++)
			fprintf(f, "%s%.6g", i ? (json ? ", " : ";") : "",
				x->run_mops[i]);
		fputs(json ? "]" : "", f);
	} else if (v->kind == 0)
		fprintf(f, "%" PRIu64, v->u);
	else if (v->kind == 1)
		fprintf(f, "%.6g", v->d);
	else if (v->kind == 3)
		fputs(json ? (v->u ? "true" : "false") : (v->u ? "1" : "0"), f);
	else
		fprintf(f, "%.0f", v->d);
}

/* A CSV field: quoted when it holds a comma, a quote or a line break. */
static void csv_str(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

int report_csv(FILE *f, const char *trace_name, const struct trace *t,
	       const struct replay_result *r, size_t n)
{
	const struct replay_result *base = first_timed(r, n);
	struct row v[MAX_ROW];
	size_t i, j, m;

	m = design_row(t, &r[0], base, v);
	fputs("trace", f);
	for (j = 0; j < m; j++)
		fprintf(f, ",%s", v[j].key);
	fputc('\n', f);
	for (i = 0; i < n; i++) {
		m = design_row(t, &r[i], base, v);
		csv_str(f, trace_name);
		for (j = 0; j < m; j++) {
			fputc(',', f);
			if (v[j].kind == 2)
				csv_str(f, v[j].s);
			else
				print_value(f, &v[j], false, &r[i]);
		}
		fputc('\n', f);
	}
	return ferror(f) ? -EIO : 0;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int report_json(FILE *f, const char *trace_name, const struct trace *t,
		const struct replay_result *r, size_t n, const char *version)
{
	const struct replay_result *base = first_timed(r, n);
	struct row v[MAX_ROW];
	size_t i, j, m;

	fputs("{\n  \"tool\": \"iova-replay\",\n  \"version\": ", f);
	json_str(f, version);
	fputs(",\n  \"trace\": {\"name\": ", f);
	json_str(f, trace_name);
	fprintf(f, ", \"ops\": %zu, \"allocs\": %" PRIu64 ", \"frees\": %"
		PRIu64 ", \"reserves\": %" PRIu64 ", \"granule\": %" PRIu64
		", \"start_pfn\": %" PRIu64 ", \"end_pfn\": %" PRIu64
		", \"imported\": %s, \"prelive_ranges\": %" PRIu64
		", \"prelive_pages\": %" PRIu64 "},\n  \"designs\": [",
		t->nops - (size_t)t->kstats.coalesced, t->nallocs, t->nfrees,
		t->nreserves, t->granule, t->start_pfn, t->end_pfn,
		t->imported ? "true" : "false", t->kstats.prelive_ranges,
		t->kstats.prelive_pages);
	for (i = 0; i < n; i++) {
		m = design_row(t, &r[i], base, v);
		fputs(i ? ",\n    {" : "\n    {", f);
		for (j = 0; j < m; j++) {
			fprintf(f, "%s\"%s\": ", j ? ", " : "", v[j].key);
			if (v[j].kind == 2)
				json_str(f, v[j].s);
			else
				print_value(f, &v[j], true, &r[i]);
		}
		fputc('}', f);
	}
	fputs("\n  ]\n}\n", f);
	return ferror(f) ? -EIO : 0;
}
