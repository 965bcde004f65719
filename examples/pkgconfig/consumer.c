/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * A program that uses an installed libiova through pkg-config:
 *
 *   cc consumer.c $(pkg-config --cflags --libs libiova) -o consumer
 *
 * It includes every public header (the native and the Linux-compatible
 * API mix safely), checks that the library it runs with is the version it
 * was compiled against, and allocates through the index and the per-CPU
 * caches.  Exit status 0 on success; each failure is printed.
 */
#include <inttypes.h>
#include <stdio.h>

#include <iova/cache.h>
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
	struct iova_domain_config cfg = { .granule = 4096, .start_pfn = 1,
					  .end_pfn = 0xFFFFF };
	struct iova_ndomain *d = NULL;
	uint64_t pfn = 0, fast = 0;

	printf("compiled against libiova %s, running with %u.%u.%u\n",
	       IOVA_VERSION_STRING, iova_version() >> 16,
	       iova_version() >> 8 & 0xFF, iova_version() & 0xFF);
	check(iova_version() == IOVA_VERSION, "library version == header version");

	check(iova_domain_create(&cfg, &d) == 0, "iova_domain_create");
	if (!d)
		return 1;
	check(iova_reserve(d, 0xFEE00, 0xFEEFF) == 0, "iova_reserve");
	check(iova_alloc(d, 16, 16, 0, 0xFFFFF, IOVA_TOP_DOWN, &pfn) == 0 &&
	      pfn == 0xFFFF0, "top-down alloc of 16 pfns ends at the top");
	check(iova_domain_init_caches(d, NULL) == 0, "iova_domain_init_caches");
	check(iova_alloc_fast(d, 4, 0xFFFFF, true, &fast) == 0 && fast != pfn,
	      "iova_alloc_fast");
	check(iova_free_fast(d, fast, 4) == 0, "iova_free_fast");
	check(iova_free(d, pfn) == 0, "iova_free");
	check(iova_domain_validate(d, NULL) == 0, "iova_domain_validate");
	iova_domain_destroy(d);

	if (failures)
		return 1;
	printf("pkg-config consumer: ok (allocated %#" PRIx64 ")\n", pfn);
	return 0;
}
