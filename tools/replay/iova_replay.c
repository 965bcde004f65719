// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * iova-replay: replay an allocation trace (native format, or the kernel's
 * iommu:map/unmap events) against every allocator design and compare them.
 * Usage and exit codes: see usage() below and docs/trace-format.md.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cli.h"
#include "alloc_iface.h"
#include "backends.h"
#include "report.h"
#include "trace.h"
#include "trace_write.h"

enum {
	EXIT_OK = 0,
	EXIT_FAILURES = 1,	/* a design failed allocs/frees/reserves */
	EXIT_USAGE = 2,
	EXIT_PARSE = 3,		/* the trace did not parse, or holds nothing */
	EXIT_IO = 4,		/* unreadable input, unwritable output, OOM */
	EXIT_UNSAFE = 5,	/* a design broke a safety rule */
};

static const char prog[] = "iova-replay";

static void usage(FILE *f)
{
	fprintf(f,
"usage: iova-replay TRACE [options]\n"
"  TRACE               native trace, perf script output or a tracefs\n"
"                      'trace' file with iommu:map/unmap events ('-' = stdin);\n"
"                      gzip, xz, zstd and bzip2 files are read through the\n"
"                      system's decompressor\n"
"  --alloc NAME|all    design(s) to run, comma-separated or repeated\n"
"                      (default all: the benchmark registry, plus 'trace'\n"
"                      when the trace records its own placements); other\n"
"                      names: trace, iova-native, iova-linux (if built)\n"
"  --api native|linux  libiova through its native API (default) or the\n"
"                      Linux-compatible one ('iova' becomes 'iova-linux')\n"
"  --compare           print the designs side by side\n"
"  --plot FILE         write a gnuplot script FILE and its data FILE.dat\n"
"  --csv FILE          one CSV row per design ('-' = stdout; the text report\n"
"                      then goes to stderr)\n"
"  --json FILE         the same as one JSON object ('-' = stdout)\n"
"  --sample N          fragmentation sample every N ops (default ~256/trace)\n"
"  --repeat N          replay each design N times (1..1000); throughput is\n"
"                      the median run's, with the spread (default 3; 1 for\n"
"                      traces of 1e6 operations or more)\n"
"  --stall-us N        flag operations that take N microseconds or more\n"
"                      (default 1000)\n"
"  --format auto|native|kernel\n"
"  --granule BYTES     kernel import: IOMMU granule (default 4096)\n"
"  --limit-bits N      kernel import: DMA limit (default: the smallest\n"
"                      power of two >= 4 GiB covering every mapped iova;\n"
"                      requests the trace placed below 4 GiB get 32 bits)\n"
"  --no-round          kernel import: keep mapped sizes (no pow2 rounding\n"
"                      below 32 pages, no size alignment)\n"
"  --no-coalesce       kernel import: do not fold scatter-gather segments\n"
"  --pre-reserve       kernel import: reserve the ranges live before the\n"
"                      capture (unmapped, never mapped in it) first, so that\n"
"                      placements can match the trace's\n"
"  --strict            warnings (malformed events, no 'end') are errors\n"
"  --write FILE        write the loaded trace in native format ('-' = stdout)\n"
"  --no-replay         stop after loading (and --write)\n"
"  --list              list the designs and exit\n"
"  --progress|--quiet  force or suppress the progress bar (default: when\n"
"                      stderr is a terminal and a design takes > 1 s)\n"
"  -h, --help          this text;  -V, --version  the version\n"
"exit: 0 ok, 1 allocation/free/reserve failures, 2 usage, 3 parse error\n"
"      (or a trace with no events), 4 I/O or memory error, 5 safety\n"
"      violation by a design\n");
}

#define MAX_DESIGNS 16
#define MAX_REPEAT 1000

struct cli {
	const char *trace;
	const char *names[MAX_DESIGNS];
	size_t nnames;
	bool linux_api, compare, no_replay, list;
	int progress;		/* -1 auto, 0 off, 1 on */
	const char *plot, *write, *csv, *json;
	uint64_t sample, repeat, stall_us;
	struct trace_opts topts;
};

static int add_names(struct cli *c, char *list)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (c->nnames == MAX_DESIGNS) {
			fprintf(stderr, "%s: --alloc: more than %d designs\n",
				prog, MAX_DESIGNS);
			return -1;
		}
		c->names[c->nnames++] = tok;
	}
	return 0;
}

enum {
	O_ALLOC = 256, O_API, O_COMPARE, O_PLOT, O_CSV, O_JSON, O_SAMPLE,
	O_REPEAT, O_STALL, O_FORMAT, O_GRANULE, O_LIMIT, O_NO_ROUND,
	O_NO_COALESCE, O_PRE_RESERVE, O_STRICT, O_WRITE, O_NO_REPLAY, O_LIST,
	O_PROGRESS, O_QUIET,
};

/* 0, or -1 after a message naming the bad option or value. */
static int parse_cli(int argc, char **argv, struct cli *c)
{
	static const struct option lopts[] = {
		{ "alloc", required_argument, NULL, O_ALLOC },
		{ "api", required_argument, NULL, O_API },
		{ "compare", no_argument, NULL, O_COMPARE },
		{ "plot", required_argument, NULL, O_PLOT },
		{ "csv", required_argument, NULL, O_CSV },
		{ "json", required_argument, NULL, O_JSON },
		{ "sample", required_argument, NULL, O_SAMPLE },
		{ "repeat", required_argument, NULL, O_REPEAT },
		{ "stall-us", required_argument, NULL, O_STALL },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "granule", required_argument, NULL, O_GRANULE },
		{ "limit-bits", required_argument, NULL, O_LIMIT },
		{ "no-round", no_argument, NULL, O_NO_ROUND },
		{ "no-coalesce", no_argument, NULL, O_NO_COALESCE },
		{ "pre-reserve", no_argument, NULL, O_PRE_RESERVE },
		{ "strict", no_argument, NULL, O_STRICT },
		{ "write", required_argument, NULL, O_WRITE },
		{ "no-replay", no_argument, NULL, O_NO_REPLAY },
		{ "list", no_argument, NULL, O_LIST },
		{ "progress", no_argument, NULL, O_PROGRESS },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	uint64_t n;
	int o;

	memset(c, 0, sizeof(*c));
	c->progress = -1;
	c->stall_us = 1000;
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":hV", lopts, NULL)) != -1) {
		const char *v = optarg;

		switch (o) {
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case 'V':
			cli_version(prog);
			exit(EXIT_OK);
		case O_ALLOC:
			if (add_names(c, optarg))
				return -1;
			break;
		case O_API:
			if (!strcmp(v, "linux")) {
				c->linux_api = true;
			} else if (strcmp(v, "native")) {
				fprintf(stderr, "%s: --api: '%s' is not native "
					"or linux\n", prog, v);
				return -1;
			}
			break;
		case O_COMPARE:
			c->compare = true;
			break;
		case O_PLOT:
			c->plot = v;
			break;
		case O_CSV:
			c->csv = v;
			break;
		case O_JSON:
			c->json = v;
			break;
		case O_WRITE:
			c->write = v;
			break;
		case O_SAMPLE:
			if (!cli_u64(prog, "--sample", v, 1, UINT64_MAX, &c->sample))
				return -1;
			break;
		case O_REPEAT:
			if (!cli_u64(prog, "--repeat", v, 1, MAX_REPEAT, &c->repeat))
				return -1;
			break;
		case O_STALL:
			if (!cli_u64(prog, "--stall-us", v, 1, UINT64_MAX / 1000,
				     &c->stall_us))
				return -1;
			break;
		case O_FORMAT:
			if (!strcmp(v, "auto"))
				c->topts.format = TRACE_FMT_AUTO;
			else if (!strcmp(v, "native"))
				c->topts.format = TRACE_FMT_NATIVE;
			else if (!strcmp(v, "kernel") || !strcmp(v, "perf") ||
				 !strcmp(v, "tracefs"))
				c->topts.format = TRACE_FMT_KERNEL;
			else {
				fprintf(stderr, "%s: --format: '%s' is not auto, "
					"native or kernel\n", prog, v);
				return -1;
			}
			break;
		case O_GRANULE:
			if (!cli_u64(prog, "--granule", v, 1, UINT64_C(1) << 62, &n))
				return -1;
			if (!trace_is_pow2(n)) {
				fprintf(stderr, "%s: --granule: '%s' is not a "
					"power of two\n", prog, v);
				return -1;
			}
			c->topts.granule = n;
			break;
		case O_LIMIT:
			if (!cli_u64(prog, "--limit-bits", v, 1, 64, &n))
				return -1;
			c->topts.limit_bits = (unsigned)n;
			break;
		case O_NO_ROUND:
			c->topts.no_round = true;
			break;
		case O_NO_COALESCE:
			c->topts.no_coalesce = true;
			break;
		case O_PRE_RESERVE:
			c->topts.pre_reserve = true;
			break;
		case O_STRICT:
			c->topts.strict = true;
			break;
		case O_NO_REPLAY:
			c->no_replay = true;
			break;
		case O_LIST:
			c->list = true;
			break;
		case O_PROGRESS:
			c->progress = 1;
			break;
		case O_QUIET:
			c->progress = 0;
			break;
		default:
			cli_bad_option(prog, o, optopt, argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc)
		c->trace = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "%s: more than one trace ('%s', '%s')\n", prog,
			c->trace, argv[optind]);
		return -1;
	}
	if (!c->trace && !c->list) {
		fprintf(stderr, "%s: no trace given\nTry '%s --help'.\n", prog,
			prog);
		return -1;
	}
	if (c->csv && c->json && !strcmp(c->csv, "-") && !strcmp(c->json, "-")) {
		fprintf(stderr, "%s: --csv and --json cannot both be '-'\n", prog);
		return -1;
	}
	return 0;
}

/*
 * Could path be created or overwritten?  Checked before the (possibly
 * long) load and replay, so that a typo fails at once.  "-" is stdout.
 */
static bool writable(const char *what, const char *path)
{
	struct stat st;
	char *dir, *slash;
	bool ok;

	if (!strcmp(path, "-"))
		return true;
	if (!*path) {
		fprintf(stderr, "%s: %s: empty file name\n", prog, what);
		return false;
	}
	if (!stat(path, &st)) {
		if (S_ISDIR(st.st_mode)) {
			fprintf(stderr, "%s: %s %s: is a directory\n", prog,
				what, path);
			return false;
		}
		if (access(path, W_OK)) {
			fprintf(stderr, "%s: %s %s: %s\n", prog, what, path,
				strerror(errno));
			return false;
		}
		return true;
	}
	if (errno != ENOENT) {
		fprintf(stderr, "%s: %s %s: %s\n", prog, what, path,
			strerror(errno));
		return false;
	}
	dir = strdup(path);
	if (!dir)
		return false;
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	errno = 0;
	ok = !stat(dir, &st) && S_ISDIR(st.st_mode) && !access(dir, W_OK | X_OK);
	if (!ok)
		fprintf(stderr, "%s: %s %s: cannot create a file in %s: %s\n",
			prog, what, path, dir,
			errno ? strerror(errno) : "not a directory");
	free(dir);
	return ok;
}

static void list_designs(void)
{
	size_t i;

	printf("registry (bench/allocs.c):");
	for (i = 0; bench_allocs[i]; i++)
		printf(" %s", bench_allocs[i]->name);
	printf("\nreplay only: trace iova-native");
#ifdef IOVA_REPLAY_HAVE_LINUX
	printf(" iova-linux");
#endif
	printf("\n");
}

/* Resolve one name into *be; false if unknown (message printed). */
static bool resolve(const char *name, bool linux_api, struct replay_backend *be)
{
	const struct bench_alloc_ops *ops;

	if (linux_api && !strcmp(name, "iova"))
		name = "iova-linux";
	if (!strcmp(name, "trace")) {
		*be = replay_trace_backend;
		return true;
	}
	if (!strcmp(name, "iova-native")) {
		*be = replay_native_backend;
		return true;
	}
	if (!strcmp(name, "iova-linux")) {
#ifdef IOVA_REPLAY_HAVE_LINUX
		*be = replay_linux_backend;
		return true;
#else
		fprintf(stderr, "iova-replay: built without the Linux-compatible "
			"API (configure with -DIOVA_REPLAY_LINUX_API=ON)\n");
		return false;
#endif
	}
	ops = bench_alloc_by_name(name);
	if (!ops) {
		fprintf(stderr, "iova-replay: unknown design '%s' (try --list)\n",
			name);
		return false;
	}
	replay_backend_bench(ops, be);
	return true;
}

static bool has_placements(const struct trace *t)
{
	size_t i;

	for (i = 0; i < t->nops; i++)
		if (t->ops[i].kind == TRACE_ALLOC && t->ops[i].has_at)
			return true;
	return false;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Replay design be c->repeat times into *out: the median run (by
 * throughput) with the min, median and max over the runs and the stall
 * counts.  0, or -ENOMEM.
 */
static int run_design(const struct trace *t, const struct replay_backend *be,
		      const struct replay_opts *ro, const struct cli *c,
		      struct replay_result *out)
{
	unsigned runs = be->placement_only ? 1 : (unsigned)c->repeat, i, mid;
	struct replay_result *r = calloc(runs, sizeof(*r));
	double *m = calloc(runs, sizeof(*m)), want, *runs_copy;
	uint64_t stall_ns = c->stall_us * 1000, stall_ops = 0;
	unsigned stall_runs = 0;

	if (!r || !m) {
		free(r);
		free(m);
		return -ENOMEM;
	}
	for (i = 0; i < runs; i++) {
		uint64_t s;

		if (replay_run(t, be, ro, &r[i])) {
			while (i--)
				replay_result_free(&r[i]);
			free(r);
			free(m);
			return -ENOMEM;
		}
		m[i] = report_run_mops(&r[i]);
		s = rhist_count_ge(&r[i].h_alloc, stall_ns) +
		    rhist_count_ge(&r[i].h_free, stall_ns);
		stall_ops += s;
		stall_runs += s > 0;
	}
	runs_copy = malloc(runs * sizeof(*runs_copy));
	if (runs_copy)
		memcpy(runs_copy, m, runs * sizeof(*m));
	qsort(m, runs, sizeof(*m), cmp_double);
	/* The lower median for an even count: a real run's numbers. */
	want = m[(runs - 1) / 2];
	for (mid = 0; mid < runs; mid++)
		if (report_run_mops(&r[mid]) == want)
			break;
	*out = r[mid];
	for (i = 0; i < runs; i++)
		if (i != mid)
			replay_result_free(&r[i]);
	out->runs = runs;
	out->run_mops = runs_copy;
	out->mops_median = want;
	out->mops_min = m[0];
	out->mops_max = m[runs - 1];
	out->stall_ns = stall_ns;
	out->stall_ops = be->placement_only ? 0 : stall_ops;
	out->stall_runs = be->placement_only ? 0 : stall_runs;
	free(r);
	free(m);
	return 0;
}

/* fopen for writing, "-" = stdout; NULL after a message. */
static FILE *open_out(const char *what, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;

	if (!f)
		fprintf(stderr, "%s: %s %s: %s\n", prog, what, path,
			strerror(errno));
	return f;
}

static bool close_out(const char *what, const char *path, FILE *f, int err)
{
	if ((f == stdout ? fflush(f) : fclose(f)) || err) {
		fprintf(stderr, "%s: %s %s: write error\n", prog, what, path);
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	struct replay_backend be[MAX_DESIGNS];
	struct replay_result *res;
	struct replay_opts ro;
	struct trace t;
	struct cli c;
	size_t nbe = 0, i;
	int code = EXIT_OK, r;
	FILE *out = stdout;

	if (parse_cli(argc, argv, &c))
		return EXIT_USAGE;
	if (c.list) {
		list_designs();
		return EXIT_OK;
	}
	/* Designs and output paths first, so that a typo fails before a
	 * long load and replay. */
	if (!c.nnames) {
		c.names[0] = "all";
		c.nnames = 1;
	}
	for (i = 0; i < c.nnames; i++) {
		if (!strcmp(c.names[i], "all")) {
			size_t k;

			for (k = 0; bench_allocs[k] && nbe < MAX_DESIGNS; k++)
				if (!resolve(bench_allocs[k]->name, c.linux_api,
					     &be[nbe++]))
					return EXIT_USAGE;
			continue;
		}
		if (nbe == MAX_DESIGNS)
			break;
		if (!resolve(c.names[i], c.linux_api, &be[nbe++]))
			return EXIT_USAGE;
	}
	if (c.plot) {
		size_t n = strlen(c.plot) + 5;
		char *dat = malloc(n);
		bool ok;

		if (!dat)
			return EXIT_IO;
		snprintf(dat, n, "%s.dat", c.plot);
		ok = strcmp(c.plot, "-") && writable("--plot", c.plot) &&
		     writable("--plot", dat);
		if (!strcmp(c.plot, "-"))
			fprintf(stderr, "%s: --plot needs a file name\n", prog);
		free(dat);
		if (!ok)
			return EXIT_IO;
	}
	if ((c.write && !writable("--write", c.write)) ||
	    (c.csv && !writable("--csv", c.csv)) ||
	    (c.json && !writable("--json", c.json)))
		return EXIT_IO;
	if ((c.csv && !strcmp(c.csv, "-")) || (c.json && !strcmp(c.json, "-")) ||
	    (c.write && !strcmp(c.write, "-")))
		out = stderr;	/* stdout carries the data */

	trace_init(&t);
	r = trace_load_file(c.trace, &c.topts, &t);
	if (r == TRACE_EPARSE)
		return EXIT_PARSE;
	if (r)
		return EXIT_IO;
	if (!t.nallocs && !t.nreserves) {
		if (t.imported)
			fprintf(stderr, "%s: %s: no iommu:map events in %" PRIu64
				" lines (%" PRIu64 " malformed): nothing to "
				"replay; record with -e iommu:map -e iommu:unmap\n",
				prog, c.trace, t.kstats.lines, t.kstats.malformed);
		else
			fprintf(stderr, "%s: %s: the trace has no allocations "
				"or reservations: nothing to replay\n", prog,
				c.trace);
		trace_free(&t);
		return EXIT_PARSE;
	}
	report_trace(out, c.trace, &t);
	if (c.write) {
		FILE *f = open_out("--write", c.write);

		if (!f || !close_out("--write", c.write, f,
				     trace_write_all(f, &t, "written by iova-replay"))) {
			trace_free(&t);
			return EXIT_IO;
		}
	}
	if (c.no_replay) {
		trace_free(&t);
		return EXIT_OK;
	}
	/* "all" includes the trace's own placement when it has one. */
	for (i = 0; i < c.nnames; i++) {
		size_t k;
		bool have = false;

		for (k = 0; k < nbe; k++)
			have |= be[k].placement_only;
		if (!strcmp(c.names[i], "all") && has_placements(&t) &&
		    !have && nbe < MAX_DESIGNS)
			be[nbe++] = replay_trace_backend;
	}
	res = calloc(nbe, sizeof(*res));
	if (!res) {
		trace_free(&t);
		return EXIT_IO;
	}
	memset(&ro, 0, sizeof(ro));
	ro.sample_every = c.sample;
	ro.progress = c.progress < 0 ? isatty(STDERR_FILENO) : c.progress;
	if (!c.repeat)
		c.repeat = t.nops >= 1000000 ? 1 : 3;
	for (i = 0; i < nbe; i++) {
		if (run_design(&t, &be[i], &ro, &c, &res[i])) {
			fprintf(stderr, "%s: %s: out of memory or cannot create "
				"the domain\n", prog, be[i].name);
			code = EXIT_IO;
			nbe = i;
			break;
		}
		if (!c.compare)
			report_one(out, &t, &res[i]);
		if (res[i].placement_only)
			continue;
		if (res[i].violations && code < EXIT_UNSAFE)
			code = EXIT_UNSAFE;
		if ((res[i].alloc_fail || res[i].free_fail ||
		     res[i].reserve_fail) && code == EXIT_OK)
			code = EXIT_FAILURES;
	}
	if (c.compare && nbe) {
		report_compare(out, &t, res, nbe);
		for (i = 0; i < nbe; i++) {
			if (res[i].violations)
				fprintf(out, "%s %s: %s\n", res[i].placement_only ?
					"note: the trace's own placement breaks "
					"the inferred requests," : "SAFETY",
					res[i].name, res[i].violation);
			if (res[i].stall_runs)
				fprintf(out, "STALLS %s: %" PRIu64 " operations "
					">= %" PRIu64 " us in %u of %u runs; "
					"throughput is the median run's\n",
					res[i].name, res[i].stall_ops, c.stall_us,
					res[i].stall_runs, res[i].runs);
		}
	}
	if (c.plot && nbe) {
		if (report_plot(c.plot, c.trace, &t, res, nbe)) {
			fprintf(stderr, "%s: cannot write %s\n", prog, c.plot);
			if (code < EXIT_IO)
				code = EXIT_IO;
		} else {
			fprintf(out, "plot: gnuplot %s  (data in %s.dat)\n",
				c.plot, c.plot);
		}
	}
	if (c.csv && nbe) {
		FILE *f = open_out("--csv", c.csv);

		if (!f || !close_out("--csv", c.csv, f,
				     report_csv(f, c.trace, &t, res, nbe)))
			code = code < EXIT_IO ? EXIT_IO : code;
	}
	if (c.json && nbe) {
		FILE *f = open_out("--json", c.json);

		if (!f || !close_out("--json", c.json, f,
				     report_json(f, c.trace, &t, res, nbe,
						 IOVA_VERSION_STRING)))
			code = code < EXIT_IO ? EXIT_IO : code;
	}
	for (i = 0; i < nbe; i++)
		replay_result_free(&res[i]);
	free(res);
	trace_free(&t);
	return code;
}
