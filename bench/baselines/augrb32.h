/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/* augrb32: the review's patch 3/4 model (baselines/augrb32.c). */
#ifndef IOVA_BENCH_AUGRB32_H
#define IOVA_BENCH_AUGRB32_H

struct bench_alloc_ops;
extern const struct bench_alloc_ops bench_augrb32_ops;
/* augrb32_validate() on an instance made by bench_augrb32_ops.create. */
int augrb32_check(void *a, const char **why);

#endif
