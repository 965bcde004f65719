/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Command-line helpers shared by the tools (iova-replay, iova-tracegen,
 * iova-soak) and the demo: every option goes through getopt_long, and a
 * bad value is reported with the option and the value it was given.
 * Header-only (static functions); needs _POSIX_C_SOURCE or _GNU_SOURCE
 * for nothing beyond C11.
 */
#ifndef IOVA_TOOLS_CLI_H
#define IOVA_TOOLS_CLI_H

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iova/iova.h"

/* Exit status of a usage error, for every tool. */
#define CLI_EXIT_USAGE 2

/* "PROG (libiova) X.Y.Z" on stdout. */
static inline void cli_version(const char *prog)
{
	printf("%s (libiova) %s\n", prog, IOVA_VERSION_STRING);
}

/*
 * Parse arg, the value of option opt, as an unsigned number (decimal, or
 * 0x hex) in [min, max].  On failure print "PROG: OPT: 'ARG' is not ..."
 * and return false.
 */
static inline bool cli_u64(const char *prog, const char *opt, const char *arg,
			   uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;
	const char *s = arg;

	while (*s == ' ' || *s == '\t')
		s++;
	errno = 0;
	v = *s == '-' ? 0 : strtoull(s, &end, 0);
	if (*s == '-' || !*s || errno || *end || v < min || v > max) {
		if (max == UINT64_MAX)
			fprintf(stderr, "%s: %s: '%s' is not a number >= %" PRIu64
				"\n", prog, opt, arg, min);
		else
			fprintf(stderr, "%s: %s: '%s' is not a number in [%"
				PRIu64 ", %" PRIu64 "]\n", prog, opt, arg, min,
				max);
		return false;
	}
	*out = v;
	return true;
}

/* As cli_u64(), for a finite number in [min, max]. */
static inline bool cli_double(const char *prog, const char *opt,
			      const char *arg, double min, double max,
			      double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (!*arg || errno || *end || !(v >= min && v <= max)) {
		fprintf(stderr, "%s: %s: '%s' is not a number in [%g, %g]\n",
			prog, opt, arg, min, max);
		return false;
	}
	*out = v;
	return true;
}

/*
 * The name of the option getopt_long() just rejected, for the message:
 * "--foo" for a long one (from argv[optind - 1]), "-x" for a short one.
 */
static inline void cli_bad_option(const char *prog, int c, int optopt_,
				  const char *last)
{
	if (c == ':')
		fprintf(stderr, "%s: %s needs a value\n", prog, last);
	else if (optopt_ && optopt_ != '?')
		fprintf(stderr, "%s: unknown option -%c\n", prog, optopt_);
	else
		fprintf(stderr, "%s: unknown option %.*s\n", prog,
			(int)strcspn(last, "="), last);
	fprintf(stderr, "Try '%s --help'.\n", prog);
}

/* After the options: false (and a message) if an operand is left over. */
static inline bool cli_no_operands(const char *prog, int argc, char **argv)
{
	if (optind >= argc)
		return true;
	fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
	return false;
}

#endif
