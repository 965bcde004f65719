/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/* A shared object with libiova.a inside it (see CMakeLists.txt). */
#include <stdint.h>

#include <iova/cache.h>
#include <iova/iova.h>

__attribute__((visibility("default"))) int plugin_run(void);

/* Allocate and free through the per-CPU caches; 0 on success. */
int plugin_run(void)
{
	struct iova_ndomain *d;
	uint64_t pfn[8];
	int i, err = 0;

	if (iova_domain_create(NULL, &d))
		return 1;
	if (iova_domain_init_caches(d, NULL))
		err = 2;
	for (i = 0; i < 8 && !err; i++)
		if (iova_alloc_fast(d, 1u << (i % 4), UINT32_MAX, true, &pfn[i]))
			err = 3;
	while (!err && i-- > 0)
		if (iova_free_fast(d, pfn[i], 1u << (i % 4)))
			err = 4;
	if (!err && iova_domain_validate(d, NULL))
		err = 5;
	iova_domain_destroy(d);
	return err;
}
