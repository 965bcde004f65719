/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * The environment of the portable core (src/index/, src/index/fit.c):
 * integer helpers, asserts and the debug levels.  The core includes only
 * <stdint.h>, <stddef.h>, <stdbool.h> and this file, so the same files
 * compile in userspace and inside a kernel (__KERNEL__ branch).
 *
 * Debug levels (IOVA_DEBUG):
 *   0  no checks;
 *   1  iova_assert(): cheap checks on hot paths (default in Debug builds);
 *   2  iova_assert_internal(): also internal consistency checks;
 *   3  iova_assert_expensive(): also a full validate after every mutation.
 */
#ifndef IOVA_ENV_H
#define IOVA_ENV_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/bug.h>
#include <linux/bitops.h>
#include <linux/string.h>
#include <linux/limits.h>
#ifndef UINT64_MAX
#define UINT64_MAX U64_MAX
#endif
#ifndef UINT32_MAX
#define UINT32_MAX U32_MAX
#endif
#ifndef UINT64_C
#define UINT64_C(x) (x##ULL)
#endif
#define iova_env_panic(msg) WARN(1, "libiova: %s\n", msg)
#define iova_memmove memmove
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/* Provided by src/domain/domain.c in userspace (prints and aborts). */
void iova__assert_fail(const char *expr, const char *msg, const char *file,
		       int line);
#define iova_env_panic(msg) iova__assert_fail("", msg, __FILE__, __LINE__)
#define iova_memmove __builtin_memmove
#endif

#ifndef IOVA_DEBUG
#ifdef NDEBUG
#define IOVA_DEBUG 0
#else
#define IOVA_DEBUG 1
#endif
#endif

#ifdef __KERNEL__
#define iova__check(c, m) WARN_ON_ONCE(!(c))
#else
#define iova__check(c, m)                                                    \
	((c) ? (void)0 : iova__assert_fail(#c, m, __FILE__, __LINE__))
#endif

#if IOVA_DEBUG >= 1
#define iova_assert(c, m) iova__check(c, m)
#else
#define iova_assert(c, m) ((void)0)
#endif
#if IOVA_DEBUG >= 2
#define iova_assert_internal(c, m) iova__check(c, m)
#else
#define iova_assert_internal(c, m) ((void)0)
#endif
#if IOVA_DEBUG >= 3
#define IOVA_EXPENSIVE 1
#else
#define IOVA_EXPENSIVE 0
#endif

#define iova_likely(x) __builtin_expect(!!(x), 1)
#define iova_unlikely(x) __builtin_expect(!!(x), 0)

/* Bit helpers on 64-bit values (x != 0 where noted). */
static inline unsigned int iova_ctz64(uint64_t x) /* x != 0 */
{
	return (unsigned int)__builtin_ctzll(x);
}

static inline unsigned int iova_flog2(uint64_t x) /* floor(log2 x), x != 0 */
{
	return 63u - (unsigned int)__builtin_clzll(x);
}

static inline unsigned int iova_clog2(uint64_t x) /* ceil(log2 x), x != 0 */
{
	return x <= 1 ? 0 : iova_flog2(x - 1) + 1;
}

static inline bool iova_is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

static inline uint64_t iova_min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline uint64_t iova_max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

#endif /* IOVA_ENV_H */
