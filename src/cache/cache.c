/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/* Per-CPU magazine caches: placeholder until src/cache/ lands (issue 4). */
#include "../internal.h"

void _iova_cache_destroy(struct iova_domain *d)
{
	(void)d;
}
