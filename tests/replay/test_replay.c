// SPDX-License-Identifier: MIT OR GPL-2.0-only
#include "tap.h"
int main(void)
{
	return tap_done();
}
