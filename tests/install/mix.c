/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Both APIs in one file.  As written it must compile cleanly; with
 * -DIOVA_MIX_WRONG it passes a Linux `struct iova_domain *` to the native
 * iova_alloc(), which the compiler must refuse (distinct types: a domain
 * of one API given to the other spun forever when they were one type).
 */
#include <stdint.h>

#include "iova/cache.h"
#include "iova/iova.h"
#include "iova/linux.h"

int mix(struct iova_domain *iovad, struct iova_ndomain *d);

int mix(struct iova_domain *iovad, struct iova_ndomain *d)
{
	uint64_t pfn;

	(void)d;
#ifdef IOVA_MIX_WRONG
	return iova_alloc(iovad, 1, 1, 0, 100, IOVA_TOP_DOWN, &pfn);
#else
	return iova_alloc(iova_linux_native(iovad), 1, 1, 0, 100,
			  IOVA_TOP_DOWN, &pfn);
#endif
}
