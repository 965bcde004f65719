/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * A tiny TAP emitter.  Each test program calls ok()/is_u64() and ends with
 * `return tap_done();`, whose value is the number of failures (CTest reads
 * the exit status, `prove` reads the output).
 */
#ifndef IOVA_TESTS_TAP_H
#define IOVA_TESTS_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

static unsigned tap_run, tap_failed;

static inline int tap_okv(int cond, const char *file, int line,
			  const char *fmt, va_list ap)
{
	tap_run++;
	if (!cond)
		tap_failed++;
	printf("%sok %u - ", cond ? "" : "not ", tap_run);
	vprintf(fmt, ap);
	printf("\n");
	if (!cond)
		printf("#   failed at %s:%d\n", file, line);
	fflush(stdout);
	return cond;
}

static inline int tap_ok_at(int cond, const char *file, int line,
			    const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = tap_okv(cond, file, line, fmt, ap);
	va_end(ap);
	return r;
}

#define ok(cond, ...) tap_ok_at(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* Compare two 64-bit values and print both on failure. */
#define is_u64(got, want, ...)                                               \
	do {                                                                 \
		uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);        \
		if (!ok(g_ == w_, __VA_ARGS__))                              \
			printf("#   got 0x%" PRIx64 ", want 0x%" PRIx64 "\n",   \
			       g_, w_);                                      \
	} while (0)

#define is_int(got, want, ...)                                               \
	do {                                                                 \
		long long g_ = (long long)(got), w_ = (long long)(want);     \
		if (!ok(g_ == w_, __VA_ARGS__))                              \
			printf("#   got %lld, want %lld\n", g_, w_);         \
	} while (0)

static inline void diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

static inline int tap_done(void)
{
	printf("1..%u\n", tap_run);
	if (tap_failed)
		printf("# %u of %u checks failed\n", tap_failed, tap_run);
	return tap_failed > 125 ? 125 : (int)tap_failed;
}

#endif
