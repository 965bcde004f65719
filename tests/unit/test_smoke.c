/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
#include "domain/domain.h"
#include "tap.h"

int main(void)
{
	struct iova_ndomain *d;
	uint64_t pfn = 0;
	int i;

	is_int(iova_domain_create(NULL, &d), 0, "create");
	is_int(iova_alloc(d, 1, 1, 0, 0xFFFFF, IOVA_TOP_DOWN, &pfn), 0, "alloc");
	is_u64(pfn, 0xFFFFF, "top of 32-bit space");
	for (i = 0; i < 10000; i++)
		if (iova_alloc(d, 2, 2, 0, 0xFFFFF, IOVA_TOP_DOWN, &pfn))
			break;
	is_u64(pfn, 0xFFFFF - 1 - 2 * 10000 + 1 - 1, "10000 aligned pairs");
	ok(iova_domain_validate(d, NULL) == 0, "valid");
	iova_domain_destroy(d);
	return tap_done();
}
