/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/* Design "iova-lx": libiova through include/iova/linux.h (iova_linux.c). */
#ifndef IOVA_BENCH_IOVA_LINUX_H
#define IOVA_BENCH_IOVA_LINUX_H

struct bench_alloc_ops;
extern const struct bench_alloc_ops bench_iova_linux_ops;

#endif
