/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Shared by the fuzz target's three modes (fuzz_ops.c, fuzz_linux.c,
 * fuzz_cache.c): decoding the input bytes and reporting a mismatch.
 * Each file defines fail(...) for its mode on top of fuzz_fail(); EXPECT
 * uses it.
 */
#ifndef IOVA_TESTS_FUZZ_COMMON_H
#define IOVA_TESTS_FUZZ_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct fuzz_input {
	const uint8_t *p;
	size_t n;
};

/* The next input byte; 0 once the input is used up. */
static inline uint8_t fuzz_u8(struct fuzz_input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

/* nbytes little-endian input bytes (1..8). */
static inline uint64_t fuzz_uint(struct fuzz_input *in, unsigned int nbytes)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < nbytes; i++)
		v |= (uint64_t)fuzz_u8(in) << (8 * i);
	return v;
}

/* Print a mismatch of the given mode at operation op, then trap. */
__attribute__((format(printf, 3, 4), noreturn))
static inline void fuzz_fail(const char *mode, unsigned long op,
			     const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_ops%s: MISMATCH at op %lu: ", mode, op);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	__builtin_trap();
}

#define EXPECT(c, ...)                                                       \
	do {                                                                 \
		if (!(c))                                                    \
			fail(__VA_ARGS__);                                   \
	} while (0)

#endif
