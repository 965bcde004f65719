// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * iova-replay: replay an allocation trace (native format, or the kernel's
 * iommu:map/unmap events) against every allocator design and compare them.
 * Usage and exit codes: see usage() below and docs/trace-format.md.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc_iface.h"
#include "backends.h"
#include "report.h"
#include "trace.h"
#include "trace_write.h"

enum {
	EXIT_OK = 0,
	EXIT_FAILURES = 1,	/* a design failed allocs/frees/reserves */
	EXIT_USAGE = 2,
	EXIT_PARSE = 3,		/* the trace did not parse */
	EXIT_IO = 4,		/* unreadable input, unwritable output, OOM */
	EXIT_UNSAFE = 5,	/* a design broke a safety rule */
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: iova-replay TRACE [options]\n"
"  TRACE               native trace, perf script output or a tracefs\n"
"                      'trace' file with iommu:map/unmap events ('-' = stdin)\n"
"  --alloc NAME|all    design(s) to run, comma-separated or repeated\n"
"                      (default all: the benchmark registry, plus 'trace'\n"
"                      when the trace records its own placements); other\n"
"                      names: trace, iova-native, iova-linux (if built)\n"
"  --api native|linux  libiova through its native API (default) or the\n"
"                      Linux-compatible one ('iova' becomes 'iova-linux')\n"
"  --compare           print the designs side by side and write a plot\n"
"  --plot FILE         gnuplot script to write (default iova-replay.gp with\n"
"                      --compare); data goes to FILE.dat\n"
"  --sample N          fragmentation sample every N ops (default ~256/trace)\n"
"  --repeat N          replay each design N times, report the fastest run\n"
"                      (default 3; 1 for traces of 1e6 operations or more)\n"
"  --format auto|native|kernel\n"
"  --granule BYTES     kernel import: IOMMU granule (default 4096)\n"
"  --limit-bits N      kernel import: DMA limit (default: the smallest\n"
"                      power of two >= 4 GiB covering every mapped iova;\n"
"                      requests the trace placed below 4 GiB get 32 bits)\n"
"  --no-round          kernel import: keep mapped sizes (no pow2 rounding\n"
"                      below 32 pages, no size alignment)\n"
"  --no-coalesce       kernel import: do not fold scatter-gather segments\n"
"  --strict            warnings (malformed events, no 'end') are errors\n"
"  --write FILE        write the loaded trace in native format ('-' = stdout)\n"
"  --no-replay         stop after loading (and --write)\n"
"  --list              list the designs and exit\n"
"  --progress|--quiet  force or suppress the progress bar (default: when\n"
"                      stderr is a terminal and a design takes > 1 s)\n"
"exit: 0 ok, 1 allocation/free/reserve failures, 2 usage, 3 parse error,\n"
"      4 I/O or memory error, 5 safety violation by a design\n");
}

#define MAX_DESIGNS 16

struct cli {
	const char *trace;
	const char *names[MAX_DESIGNS];
	size_t nnames;
	bool linux_api, compare, no_replay, list;
	int progress;		/* -1 auto, 0 off, 1 on */
	const char *plot, *write;
	uint64_t sample, repeat;
	struct trace_opts topts;
};

static bool num_opt(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

static int add_names(struct cli *c, char *list)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (c->nnames == MAX_DESIGNS)
			return -1;
		c->names[c->nnames++] = tok;
	}
	return 0;
}

static int parse_cli(int argc, char **argv, struct cli *c)
{
	int i;

	memset(c, 0, sizeof(*c));
	c->progress = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t n;

#define NEED_ARG                                                          \
	do {                                                              \
		if (!v) {                                                 \
			fprintf(stderr, "iova-replay: %s needs a value\n", a); \
			return -1;                                        \
		}                                                         \
		i++;                                                      \
	} while (0)
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(EXIT_OK);
		} else if (!strcmp(a, "--alloc")) {
			NEED_ARG;
			if (add_names(c, argv[i]))
				return -1;
		} else if (!strcmp(a, "--api")) {
			NEED_ARG;
			if (!strcmp(v, "linux"))
				c->linux_api = true;
			else if (strcmp(v, "native"))
				return -1;
		} else if (!strcmp(a, "--compare")) {
			c->compare = true;
		} else if (!strcmp(a, "--plot")) {
			NEED_ARG;
			c->plot = v;
		} else if (!strcmp(a, "--write")) {
			NEED_ARG;
			c->write = v;
		} else if (!strcmp(a, "--sample")) {
			NEED_ARG;
			if (!num_opt(v, &c->sample) || !c->sample)
				return -1;
		} else if (!strcmp(a, "--repeat")) {
			NEED_ARG;
			if (!num_opt(v, &c->repeat) || !c->repeat)
				return -1;
		} else if (!strcmp(a, "--format")) {
			NEED_ARG;
			if (!strcmp(v, "auto"))
				c->topts.format = TRACE_FMT_AUTO;
			else if (!strcmp(v, "native"))
				c->topts.format = TRACE_FMT_NATIVE;
			else if (!strcmp(v, "kernel") || !strcmp(v, "perf") ||
				 !strcmp(v, "tracefs"))
				c->topts.format = TRACE_FMT_KERNEL;
			else
				return -1;
		} else if (!strcmp(a, "--granule")) {
			NEED_ARG;
			if (!num_opt(v, &n) || !trace_is_pow2(n))
				return -1;
			c->topts.granule = n;
		} else if (!strcmp(a, "--limit-bits")) {
			NEED_ARG;
			if (!num_opt(v, &n) || n < 1 || n > 64)
				return -1;
			c->topts.limit_bits = (unsigned)n;
		} else if (!strcmp(a, "--no-round")) {
			c->topts.no_round = true;
		} else if (!strcmp(a, "--no-coalesce")) {
			c->topts.no_coalesce = true;
		} else if (!strcmp(a, "--strict")) {
			c->topts.strict = true;
		} else if (!strcmp(a, "--no-replay")) {
			c->no_replay = true;
		} else if (!strcmp(a, "--list")) {
			c->list = true;
		} else if (!strcmp(a, "--progress")) {
			c->progress = 1;
		} else if (!strcmp(a, "--quiet")) {
			c->progress = 0;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "iova-replay: unknown option %s\n", a);
			return -1;
		} else if (!c->trace) {
			c->trace = a;
		} else {
			fprintf(stderr, "iova-replay: more than one trace\n");
			return -1;
		}
#undef NEED_ARG
	}
	if (!c->trace && !c->list)
		return -1;
	return 0;
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

int main(int argc, char **argv)
{
	struct replay_backend be[MAX_DESIGNS];
	struct replay_result *res;
	struct replay_opts ro;
	struct trace t;
	struct cli c;
	size_t nbe = 0, i;
	int code = EXIT_OK, r;

	if (parse_cli(argc, argv, &c)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (c.list) {
		list_designs();
		return EXIT_OK;
	}
	/* Designs first, so a typo fails before a long load. */
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
	trace_init(&t);
	r = trace_load_file(c.trace, &c.topts, &t);
	if (r == TRACE_EPARSE)
		return EXIT_PARSE;
	if (r)
		return EXIT_IO;
	report_trace(stdout, c.trace, &t);
	if (c.write) {
		FILE *f = strcmp(c.write, "-") ? fopen(c.write, "w") : stdout;

		if (!f || trace_write_all(f, &t, "written by iova-replay")) {
			fprintf(stderr, "iova-replay: cannot write %s\n", c.write);
			trace_free(&t);
			return EXIT_IO;
		}
		if (f != stdout && fclose(f)) {
			fprintf(stderr, "iova-replay: cannot write %s\n", c.write);
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
		uint64_t rep;
		bool failed = false;

		/* Keep the fastest of c.repeat runs (placement and failures
		 * are the same every time; timing noise is not). */
		for (rep = 0; rep < c.repeat && !failed; rep++) {
			struct replay_result tmp;

			if (be[i].placement_only && rep)
				break;
			if (replay_run(&t, &be[i], &ro, rep ? &tmp : &res[i])) {
				failed = true;
				break;
			}
			if (!rep)
				continue;
			if (tmp.op_ns < res[i].op_ns) {
				replay_result_free(&res[i]);
				res[i] = tmp;
			} else {
				replay_result_free(&tmp);
			}
		}
		if (failed) {
			fprintf(stderr, "iova-replay: %s: out of memory or "
				"cannot create the domain\n", be[i].name);
			code = EXIT_IO;
			nbe = i;
			break;
		}
		if (!c.compare)
			report_one(stdout, &t, &res[i]);
		if (res[i].placement_only)
			continue;
		if (res[i].violations && code < EXIT_UNSAFE)
			code = EXIT_UNSAFE;
		if ((res[i].alloc_fail || res[i].free_fail ||
		     res[i].reserve_fail) && code == EXIT_OK)
			code = EXIT_FAILURES;
	}
	if (c.compare && nbe) {
		report_compare(stdout, &t, res, nbe);
		for (i = 0; i < nbe; i++)
			if (res[i].violations)
				printf("%s %s: %s\n", res[i].placement_only ?
				       "note: the trace's own placement breaks "
				       "the inferred requests," : "SAFETY",
				       res[i].name, res[i].violation);
	}
	if ((c.compare || c.plot) && nbe) {
		const char *p = c.plot ? c.plot : "iova-replay.gp";

		if (report_plot(p, c.trace, &t, res, nbe)) {
			fprintf(stderr, "iova-replay: cannot write %s\n", p);
			if (code < EXIT_IO)
				code = EXIT_IO;
		} else {
			printf("plot: gnuplot %s  (data in %s.dat)\n", p, p);
		}
	}
	for (i = 0; i < nbe; i++)
		replay_result_free(&res[i]);
	free(res);
	trace_free(&t);
	return code;
}
