/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Corrupt-and-check helpers of the index tests (test_validate, test_corners):
 * break one field of the domain d, expect iova_domain_validate() to name the
 * broken invariant, restore it, expect a valid domain again.
 */
#ifndef TESTS_INDEX_CORRUPT_H
#define TESTS_INDEX_CORRUPT_H

#include <errno.h>
#include <string.h>

#include "tap.h"
#include "iova/iova.h"

static struct iova_ndomain *d;

/* Expect validate to fail with a reason starting with prefix. */
static void expect_broken(const char *what, const char *prefix)
{
	const char *why = NULL;
	int r = iova_domain_validate(d, &why);

	ok(r == -EIO && why && !strncmp(why, prefix, strlen(prefix)),
	   "%s is caught (%s)", what, why ? why : "no reason");
}

static void expect_valid(const char *what)
{
	const char *why = NULL;

	ok(iova_domain_validate(d, &why) == 0, "valid after undoing %s%s%s",
	   what, why ? ": " : "", why ? why : "");
}

#define CORRUPT(what, prefix, lvalue, bad)                                   \
	do {                                                                 \
		__typeof__(lvalue) saved_ = (lvalue);                        \
		(lvalue) = (bad);                                            \
		expect_broken(what, prefix);                                 \
		(lvalue) = saved_;                                           \
		expect_valid(what);                                          \
	} while (0)

#endif
