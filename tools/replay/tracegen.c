// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * iova-tracegen: write a synthetic workload as a native trace, through the
 * trace_write.h API (the same calls a benchmark workload makes to dump
 * itself).  The example traces in examples/traces/ come from here; their
 * README lists the exact commands.
 *
 *   iova-tracegen WORKLOAD [--live N] [--ops N] [--seed S] [-o FILE]
 *
 * Workloads (48-bit domain, 4 KiB granule, pfns from 1):
 *   churn    1-page map/unmap at random, N live, 64-bit mask
 *   mixed    sizes 1..64 size-aligned, 30% of requests with a 32-bit mask
 *   nvme     scatter-gather-like I/O: 1..64-page requests (mostly 1, 2, 8,
 *            32), a 32-bit-first device, bursts of frees in FIFO order
 *   reserve  PCI and MSI windows reserved below 4 GiB, then mixed requests
 *            including bottom-up and exact ones (only 'iova-native' can
 *            replay those; registry designs count them as unsupported)
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cli.h"
#include "trace_write.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

static uint64_t below(uint64_t n)
{
	return rnd() % n;
}

#define PFN_48 ((UINT64_C(1) << 36) - 1)
#define PFN_32 ((UINT64_C(1) << 20) - 1)

struct live {
	uint64_t *id;
	size_t n, cap;
	uint64_t next_id;
};

static int live_push(struct live *l, uint64_t id)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 1024;
		uint64_t *p = realloc(l->id, nc * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->id = p;
		l->cap = nc;
	}
	l->id[l->n++] = id;
	return 0;
}

/* Remove and return a random live id (FIFO if fifo). */
static uint64_t live_take(struct live *l, int fifo)
{
	size_t i = fifo ? 0 : (size_t)below(l->n);
	uint64_t id = l->id[i];

	if (fifo)
		memmove(l->id, l->id + 1, (l->n - 1) * sizeof(*l->id));
	else
		l->id[i] = l->id[l->n - 1];
	l->n--;
	return id;
}

static uint64_t pow2_up(uint64_t v)
{
	uint64_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

static int alloc_one(struct trace_writer *w, struct live *l, uint64_t size,
		     uint64_t limit, int aligned)
{
	uint64_t id = l->next_id++;

	if (trace_write_alloc(w, id, size, limit, aligned ? pow2_up(size) : 1,
			      TRACE_TOP_DOWN))
		return -EIO;
	return live_push(l, id);
}

static uint64_t nvme_size(void)
{
	static const uint64_t common[] = { 1, 1, 1, 2, 2, 8, 8, 32 };
	uint64_t r = below(10);

	if (r < 8)
		return common[r];
	return 1 + below(64);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: iova-tracegen WORKLOAD [options]\n"
"  WORKLOAD          churn | mixed | nvme | reserve (see the source header)\n"
"  --live N          live allocations to keep (default 1000, >= 1)\n"
"  --ops N           operations to write (default 10000)\n"
"  --seed S          random seed (default 1)\n"
"  -o, --output FILE where to write the trace (default '-', stdout)\n"
"  -h, --help        this text;  -V, --version  the version\n"
"exit: 0 ok, 2 usage, 4 cannot write\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "live", required_argument, NULL, 'l' },
		{ "ops", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static const char prog[] = "iova-tracegen";
	const char *wl = NULL, *out = "-";
	uint64_t nlive = 1000, nops = 10000, seed = 1, done = 0;
	struct trace_writer *w;
	struct live l = { 0 };
	int c, e = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:hV", lopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (!cli_u64(prog, "--live", optarg, 1, UINT32_MAX, &nlive))
				return CLI_EXIT_USAGE;
			break;
		case 'n':
			if (!cli_u64(prog, "--ops", optarg, 0, UINT64_MAX, &nops))
				return CLI_EXIT_USAGE;
			break;
		case 's':
			if (!cli_u64(prog, "--seed", optarg, 0, UINT64_MAX, &seed))
				return CLI_EXIT_USAGE;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			cli_version(prog);
			return 0;
		default:
			cli_bad_option(prog, c, optopt, argv[optind - 1]);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		wl = argv[optind++];
	if (!cli_no_operands(prog, argc, argv))
		return CLI_EXIT_USAGE;
	if (!wl) {
		fprintf(stderr, "%s: no workload given\nTry '%s --help'.\n",
			prog, prog);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(wl, "churn") && strcmp(wl, "mixed") &&
	    strcmp(wl, "nvme") && strcmp(wl, "reserve")) {
		fprintf(stderr, "%s: unknown workload '%s' (churn, mixed, nvme "
			"or reserve)\n", prog, wl);
		return CLI_EXIT_USAGE;
	}
	rng_state = seed * UINT64_C(0x9e3779b97f4a7c15) + 1;
	w = trace_writer_open(out, 4096, 1, PFN_48);
	if (!w) {
		perror(out);
		return 4;
	}
	trace_write_comment(w, "SPDX-License-Identifier: MIT OR GPL-2.0-only");
	trace_write_comment(w, "iova-tracegen %s --live %" PRIu64 " --ops %"
			    PRIu64 " --seed %" PRIu64, wl, nlive, nops, seed);
	if (!strcmp(wl, "reserve")) {
		/* A 32-bit PCI MMIO window and the x86 MSI doorbell page. */
		e |= trace_write_reserve(w, 0xc0000, 0xfebff);
		e |= trace_write_reserve(w, 0xfee00, 0xfeeff);
		done += 2;
	}
	while (done < nops && !e) {
		int alloc = l.n < nlive / 2 || (l.n < nlive * 3 / 2 &&
						below(2));
		uint64_t size = 1, limit = PFN_48;
		int aligned = 1;

		if (!alloc && l.n) {
			if (!strcmp(wl, "nvme")) {
				/* completions: a FIFO burst */
				uint64_t burst = 1 + below(8);

				while (burst-- && l.n && done < nops) {
					e |= trace_write_free(w, live_take(&l, 1));
					done++;
				}
				continue;
			}
			e |= trace_write_free(w, live_take(&l, 0));
			done++;
			continue;
		}
		if (!strcmp(wl, "churn")) {
			aligned = 0;
		} else if (!strcmp(wl, "mixed")) {
			size = 1 + below(64);
			if (below(10) < 3)
				limit = PFN_32;
		} else if (!strcmp(wl, "nvme")) {
			size = nvme_size();
			limit = PFN_32;	/* pci_32bit_workaround: 32-bit first */
		} else {		/* reserve */
			uint64_t r = below(20);
			uint64_t id = l.next_id++;
			struct trace_op op;

			size = 1 + below(16);
			memset(&op, 0, sizeof(op));
			op.kind = TRACE_ALLOC;
			op.id = id;
			op.a = size;
			op.b = below(2) ? PFN_32 : PFN_48;
			op.align = pow2_up(size);
			if (r == 0) {
				op.policy = TRACE_BOTTOM_UP;
				op.has_min = 1;
				op.min_pfn = 0x1000;
			} else if (r == 1) {
				/* an exact request in the middle of the
				 * space, far from both other policies */
				op.policy = TRACE_EXACT;
				op.has_min = 1;
				op.min_pfn = UINT64_C(0x10000000) + id * 64;
				op.b = PFN_48;
				op.align = 1;
			}
			e |= trace_write_alloc_op(w, &op);
			e |= live_push(&l, id);
			done++;
			continue;
		}
		e |= alloc_one(w, &l, size, limit, aligned);
		done++;
	}
	e |= trace_writer_close(w);
	free(l.id);
	if (e) {
		fprintf(stderr, "iova-tracegen: write error\n");
		return 4;
	}
	return 0;
}
