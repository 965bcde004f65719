/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * The kernel build compiles every core file into one translation unit
 * (kernel/linux/iova.c #includes them); this object does the same in
 * userspace, so that two core files defining a static function of the same
 * name, or a core file that only compiles beside its own header, fail the
 * ordinary build and not only make kernel-check.
 */
#include "../../src/index/fit.c"
#include "../../src/index/gaptree.c"
#include "../../src/domain/domain.c"
#include "../../src/cache/mag.c"
#include "../../src/cache/cache.c"
#include "../../src/cache/depot.c"
#include "../../src/linux/linux.c"
