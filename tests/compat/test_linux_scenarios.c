/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
#include "iova/linux.h"
#include "tap.h"
int main(void)
{
	struct iova_domain d;
	struct iova *a;

	init_iova_domain(&d, 4096, 1);
	a = alloc_iova(&d, 1, 0xFFFFF, true);
	ok(a && a->pfn_lo == 0xFFFFF, "1");
	put_iova_domain(&d);
	return tap_done();
}
