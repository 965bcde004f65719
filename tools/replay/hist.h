/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Log-bucket latency histogram: values below 16 get a bucket each, above
 * that every power of two is split into 8 buckets (at most 12.5% error).
 * Fixed size, no allocation: adding a value is a few instructions.
 */
#ifndef IOVA_REPLAY_HIST_H
#define IOVA_REPLAY_HIST_H

#include <stdint.h>

#define HIST_BUCKETS 512

struct rhist {
	uint64_t n, sum, max;
	uint64_t b[HIST_BUCKETS];
};

void rhist_init(struct rhist *h);
void rhist_add(struct rhist *h, uint64_t v);
/* Smallest bucket upper bound (clamped to max) below which a fraction p
 * (0..1) of the values lie; 0 for an empty histogram. */
uint64_t rhist_pct(const struct rhist *h, double p);
/* Values in the buckets from v's up: those >= v, plus at most the
 * others of v's own bucket (12.5% below v). */
uint64_t rhist_count_ge(const struct rhist *h, uint64_t v);
/* The bucket index of v, and the largest value in bucket i (for tests). */
unsigned rhist_bucket(uint64_t v);
uint64_t rhist_bucket_hi(unsigned i);

#endif
