/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * A program that uses an installed libiova through find_package(iova):
 * the Linux-compatible API, and the native domain behind it.  Exit status
 * 0 on success; each failure is printed.
 */
#include <stdio.h>

#include <iova/iova.h>
#include <iova/linux.h>

static int failures;

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "consumer: FAILED: %s\n", what);
		failures++;
	}
}

int main(void)
{
	struct iova_domain iovad;
	struct iova *a, *r;
	struct iova_ndomain *nd;

	check(iova_version() == IOVA_VERSION, "library version == header version");
	check(iova_version() >= IOVA_MAKE_VERSION(0, 1, 0), "version >= 0.1.0");

	init_iova_domain(&iovad, 4096, 1);
	r = reserve_iova(&iovad, 0xFEE00, 0xFEEFF);
	check(r && r->pfn_lo == 0xFEE00 && r->pfn_hi == 0xFEEFF, "reserve_iova");
	/* The highest size-aligned fit at or below the limit (above the window). */
	a = alloc_iova(&iovad, 8, 0xFFFFF, true);
	check(a && a->pfn_lo == 0xFFFF8 && a->pfn_hi == 0xFFFFF, "alloc_iova");
	check(find_iova(&iovad, 0xFFFFA) == a, "find_iova");
	nd = iova_linux_native(&iovad);
	check(nd && iova_domain_validate(nd, NULL) == 0, "native domain validates");
	if (a)
		__free_iova(&iovad, a);
	check(iova_linux_bad_frees(&iovad) == 0, "no bad frees");
	put_iova_domain(&iovad);

	if (failures)
		return 1;
	printf("find_package consumer: ok\n");
	return 0;
}
