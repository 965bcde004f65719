// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * dio: the direct-I/O workload helper of kernel/check.sh.
 *
 * Built twice from this file: statically for the guest initramfs, and natively for the
 * host, so both sides generate and check the very same data.
 *
 *   dio now                                  monotonic clock, seconds
 *   dio fill   FILE OFF LEN SEED             write the pattern (buffered; host side)
 *   dio write  DEV  OFF LEN BS SEED          write the pattern with O_DIRECT, BS bytes per I/O
 *   dio verify [-b] DEV OFF LEN BS SEED      read back (O_DIRECT unless -b) and compare
 *   dio exit CODE                            write CODE to QEMU's isa-debug-exit port 0xf4
 *
 * The pattern depends on the seed and on the absolute byte offset of every 8-byte word,
 * so data landing at the wrong place (a stale or misdirected DMA mapping) is caught,
 * not just data that is garbled.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <sys/io.h>
#endif

static uint64_t word_at(uint64_t seed, uint64_t byte_off)
{
	uint64_t z = seed ^ ((byte_off >> 3) * 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void make_block(unsigned char *buf, size_t len, uint64_t seed, uint64_t off)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t w = word_at(seed, off + i);

		memcpy(buf + i, &w, 8);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t num(const char *s)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || end == s) {
		fprintf(stderr, "dio: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static void *xalloc(size_t len)
{
	void *p = NULL;

	if (posix_memalign(&p, 4096, len ? len : 4096)) {
		fprintf(stderr, "dio: out of memory (%zu)\n", len);
		exit(2);
	}
	return p;
}

static int full_pwrite(int fd, const unsigned char *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, (off_t)off);

		if (n <= 0) {
			perror("dio: pwrite");
			return -1;
		}
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int full_pread(int fd, unsigned char *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, (off_t)off);

		if (n <= 0) {
			if (n == 0)
				fprintf(stderr, "dio: short read at %" PRIu64 "\n", off);
			else
				perror("dio: pread");
			return -1;
		}
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int do_fill(const char *path, uint64_t off, uint64_t len, uint64_t seed)
{
	const size_t chunk = 1 << 20;
	unsigned char *buf = xalloc(chunk);
	int fd = open(path, O_WRONLY);

	if (fd < 0) {
		perror(path);
		return 1;
	}
	for (uint64_t done = 0; done < len; done += chunk) {
		size_t n = len - done < chunk ? (size_t)(len - done) : chunk;

		make_block(buf, n, seed, off + done);
		if (full_pwrite(fd, buf, n, off + done))
			return 1;
	}
	if (fsync(fd) || close(fd)) {
		perror("dio: fsync");
		return 1;
	}
	free(buf);
	return 0;
}

static int do_io(int write, int direct, const char *path, uint64_t off, uint64_t len,
		 uint64_t bs, uint64_t seed)
{
	unsigned char *buf, *want;
	double t0, t;
	uint64_t ios = 0, bad = 0;
	int fd;

	if (!bs || bs % 512 || len % bs || off % 512) {
		fprintf(stderr, "dio: offset, length and block size must be multiples of 512\n");
		return 2;
	}
	buf = xalloc(bs);
	want = xalloc(bs);
	fd = open(path, (write ? O_WRONLY : O_RDONLY) | (direct ? O_DIRECT : 0));
	if (fd < 0) {
		perror(path);
		return 1;
	}
	t0 = now();
	for (uint64_t done = 0; done < len; done += bs, ios++) {
		make_block(want, bs, seed, off + done);
		if (write) {
			if (full_pwrite(fd, want, bs, off + done))
				return 1;
			continue;
		}
		memset(buf, 0x5a, bs);
		if (full_pread(fd, buf, bs, off + done))
			return 1;
		if (memcmp(buf, want, bs)) {
			if (bad < 4) {
				uint64_t i = 0;

				while (i < bs && !memcmp(buf + i, want + i, 8))
					i += 8;
				fprintf(stderr, "dio: MISMATCH in %s at byte %" PRIu64 " (I/O of %" PRIu64
					" bytes at %" PRIu64 ")\n", path, off + done + i, bs, off + done);
			}
			bad++;
		}
	}
	if (write && fsync(fd)) {
		perror("dio: fsync");
		return 1;
	}
	close(fd);
	t = now() - t0;
	printf("dio: %s %s off=%" PRIu64 " len=%" PRIu64 " bs=%" PRIu64 " ios=%" PRIu64
	       " %.3fs %.1fMiB/s %s\n", write ? "write" : "verify", path, off, len, bs, ios, t,
	       t > 0 ? (double)len / t / 1048576.0 : 0.0,
	       write ? "ok" : (bad ? "BAD" : "ok"));
	free(buf);
	free(want);
	return bad ? 1 : 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: dio now | fill FILE OFF LEN SEED | write DEV OFF LEN BS SEED |"
			" verify [-b] DEV OFF LEN BS SEED\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "now")) {
		printf("%.3f\n", now());
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "exit")) {
#if defined(__x86_64__) || defined(__i386__)
		if (ioperm(0xf4, 4, 1) == 0)
			outb((unsigned char)num(argv[2]), 0xf4);
#endif
		perror("dio: exit port");
		return 1;
	}
	if (argc == 6 && !strcmp(argv[1], "fill"))
		return do_fill(argv[2], num(argv[3]), num(argv[4]), num(argv[5]));
	if (argc == 7 && !strcmp(argv[1], "write"))
		return do_io(1, 1, argv[2], num(argv[3]), num(argv[4]), num(argv[5]), num(argv[6]));
	if (argc == 7 && !strcmp(argv[1], "verify"))
		return do_io(0, 1, argv[2], num(argv[3]), num(argv[4]), num(argv[5]), num(argv[6]));
	if (argc == 8 && !strcmp(argv[1], "verify") && !strcmp(argv[2], "-b"))
		return do_io(0, 0, argv[3], num(argv[4]), num(argv[5]), num(argv[6]), num(argv[7]));
	return usage();
}
