// SPDX-License-Identifier: MIT OR GPL-2.0-only
/* Log-bucket histogram; see hist.h. */
#include <string.h>

#include "hist.h"

void rhist_init(struct rhist *h)
{
	memset(h, 0, sizeof(*h));
}

unsigned rhist_bucket(uint64_t v)
{
	unsigned e = 0;
	uint64_t x = v;

	if (v < 16)
		return (unsigned)v;
	while (x >>= 1)
		e++;
	/* e >= 4: 8 sub-buckets from the 3 bits below the leading one. */
	return 16 + (e - 4) * 8 + (unsigned)((v >> (e - 3)) & 7);
}

uint64_t rhist_bucket_hi(unsigned i)
{
	unsigned e, sub;
	uint64_t lo;

	if (i < 16)
		return i;
	e = (i - 16) / 8 + 4;
	sub = (i - 16) % 8;
	lo = (uint64_t)(8 + sub) << (e - 3);
	return lo + ((UINT64_C(1) << (e - 3)) - 1);
}

void rhist_add(struct rhist *h, uint64_t v)
{
	h->b[rhist_bucket(v)]++;
	h->n++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

uint64_t rhist_pct(const struct rhist *h, double p)
{
	uint64_t want, seen = 0;
	unsigned i;

	if (!h->n)
		return 0;
	if (p >= 1.0)
		return h->max;
	want = (uint64_t)(p * (double)h->n);
	if (want >= h->n)
		want = h->n - 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen > want) {
			uint64_t hi = rhist_bucket_hi(i);

			return hi < h->max ? hi : h->max;
		}
	}
	return h->max;
}

uint64_t rhist_count_ge(const struct rhist *h, uint64_t v)
{
	uint64_t n = 0;
	unsigned i;

	for (i = rhist_bucket(v); i < HIST_BUCKETS; i++)
		n += h->b[i];
	return n;
}
