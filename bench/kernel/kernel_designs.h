/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * The designs built from the real kernel source (bench/kernel/), present
 * when the build was configured with IOVA_BENCH_KERNEL_SRC (make
 * bench-kernel); BENCH_HAVE_KERNEL is then defined for their users.
 * Binaries that link them are GPL-2.0-only and built locally only.
 */
#ifndef IOVA_BENCH_KERNEL_DESIGNS_H
#define IOVA_BENCH_KERNEL_DESIGNS_H

#include <stddef.h>
#include <stdint.h>

struct bench_alloc_ops;

/* drivers/iommu/iova.c + lib/rbtree.c behind bench/kernel/kshim.h */
extern const struct bench_alloc_ops bench_linux_ops;
/* lib/maple_tree.c with the IOVA domain of the 2026 conversion */
extern const struct bench_alloc_ops bench_maple_ops;

/* sizeof(struct maple_node) as built: 256 = the x86-64 layout, 512 = the
 * harness's default 32-bit layout on a 64-bit host. */
size_t maple_layout_bytes(void);
/* maple nodes allocated now (all domains). */
long maple_nodes_live(void);
/* maple: an allocation with any power-of-two alignment (the fidelity test). */
int maple_alloc_raw(void *a, uint64_t size, uint64_t align, uint64_t limit,
		    uint64_t *pfn);

/* linux: the real alloc_iova_fast (with its rcaches) as the kernel calls it;
 * returns the pfn or 0 */
unsigned long linux_alloc_iova_fast_raw(void *a, unsigned long size,
					unsigned long limit_pfn);

#endif
