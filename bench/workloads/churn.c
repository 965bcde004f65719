// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Churn workloads: a steady population of n live ranges; each timed op is
 * one cycle "free a random live range, allocate a new one".
 *   nic    1-page mappings, 64-bit mask (a NIC's rx/tx buffers)
 *   nvme   1..256 pages, 64-bit mask, random completion order
 *   mixed  masks 32/39/44/48 bits (30% 32-bit), 1..64 pages, size-aligned
 *   scale  1..16 pages, 64-bit mask, n from 1e3 to 1e7
 */
#include "../bench.h"

void gen_nic(uint64_t *rng, struct req *q)
{
	(void)rng;
	q->size = 1;
	q->limit = mask_limit(64);
	q->aligned = true;
}

static void gen_nvme(uint64_t *rng, struct req *q)
{
	q->size = 1 + rng_below(rng, 256);
	q->limit = mask_limit(64);
	q->aligned = true;
}

void gen_scale(uint64_t *rng, struct req *q)
{
	q->size = 1 + rng_below(rng, 16);
	q->limit = mask_limit(64);
	q->aligned = true;
}

static unsigned pick_mask(uint64_t *rng)
{
	uint64_t x = rng_below(rng, 1000);

	if (x < 300)
		return 32;
	if (x < 534)
		return 39;
	if (x < 767)
		return 44;
	return 48;
}

void gen_mixed(uint64_t *rng, struct req *q)
{
	q->size = 1 + rng_below(rng, 64);
	q->limit = mask_limit(pick_mask(rng));
	q->aligned = true;
}

/* Set-up only: when the 32-bit space is full, the rest go to wider masks. */
void gen_mixed_wide(uint64_t *rng, struct req *q)
{
	static const unsigned bits[3] = { 39, 44, 48 };

	q->size = 1 + rng_below(rng, 64);
	q->limit = mask_limit(bits[rng_below(rng, 3)]);
	q->aligned = true;
}

static const struct churn_spec nic_spec = { .gen = gen_nic };
static const struct churn_spec nvme_spec = { .gen = gen_nvme };
static const struct churn_spec scale_spec = { .gen = gen_scale };
static const struct churn_spec mixed_spec = {
	.gen = gen_mixed,
	.refill = gen_mixed_wide,
};

static int run_nic(struct bench_run *r)
{
	return run_churn(r, &nic_spec);
}

static int run_nvme(struct bench_run *r)
{
	return run_churn(r, &nvme_spec);
}

static int run_scale(struct bench_run *r)
{
	return run_churn(r, &scale_spec);
}

static int run_mixed(struct bench_run *r)
{
	return run_churn(r, &mixed_spec);
}

static const uint64_t n_1e4[] = { 10000, 0 };
static const uint64_t n_1e5[] = { 100000, 0 };
static const uint64_t n_mixed[] = { 100000, 1000000, 0 };
static const uint64_t n_scale[] = { 1000, 10000, 100000, 1000000, 0 };
static const uint64_t n_scale_full[] = { 1000, 10000, 100000, 1000000, 10000000, 0 };
static const uint64_t n_scale_quick[] = { 1000, 10000, 100000, 0 };

const struct bench_workload wl_nic = {
	.name = "nic",
	.what = "1-page churn at n live (64-bit mask): free random + alloc",
	.n_default = n_1e5,
	.n_full = n_1e5,
	.n_quick = n_1e4,
	.ops_default = 20000,
	.threads_ok = true,
	.run = run_nic,
};

const struct bench_workload wl_nvme = {
	.name = "nvme",
	.what = "1..256-page churn at n live (64-bit mask): free random + alloc",
	.n_default = n_1e5,
	.n_full = n_1e5,
	.n_quick = n_1e4,
	.ops_default = 20000,
	.threads_ok = true,
	.run = run_nvme,
};

const struct bench_workload wl_mixed = {
	.name = "mixed",
	.what = "masks 32/39/44/48 (30% 32-bit), 1..64 pages aligned: free random + alloc",
	.n_default = n_mixed,
	.n_full = n_mixed,
	.n_quick = n_1e5,
	.ops_default = 20000,
	.threads_ok = true,
	.run = run_mixed,
};

const struct bench_workload wl_scale = {
	.name = "scale",
	.what = "1..16-page churn (64-bit mask) as n grows 1e3..1e7",
	.n_default = n_scale,
	.n_full = n_scale_full,
	.n_quick = n_scale_quick,
	.ops_default = 20000,
	.threads_ok = true,
	.run = run_scale,
};
