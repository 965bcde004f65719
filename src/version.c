/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/* The library's version at run time (include/iova/iova.h). */
#include "iova/iova.h"

unsigned int iova_version(void)
{
	return IOVA_VERSION;
}
