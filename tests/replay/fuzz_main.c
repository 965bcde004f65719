// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Runs tools/replay/fuzz_trace.c's LLVMFuzzerTestOneInput over files and
 * directories given on the command line (the committed seed corpus), so the
 * fuzz target is exercised under gcc and CTest without libFuzzer.  A crash
 * or abort fails the test; each input prints one TAP line.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (!ok(f != NULL, "open %s", path))
		return;
	for (;;) {
		size_t got;

		if (len == cap) {
			uint8_t *n;

			cap = cap ? cap * 2 : 4096;
			n = realloc(buf, cap);
			if (!n)
				break;
			buf = n;
		}
		got = fread(buf + len, 1, cap - len, f);
		if (!got)
			break;
		len += got;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	/* Every prefix too: truncated inputs are the common corruption. */
	{
		size_t cut;

		for (cut = 0; cut < len && cut < 4096; cut += 1 + cut / 64)
			LLVMFuzzerTestOneInput(buf, cut);
	}
	free(buf);
	ok(1, "%s (%zu bytes) and its prefixes", path, len);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_path(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, i;

	if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
		run_file(path);
		return;
	}
	d = opendir(path);
	if (!ok(d != NULL, "open directory %s", path))
		return;
	while ((e = readdir(d))) {
		char **nn;
		size_t l;

		if (e->d_name[0] == '.')
			continue;
		nn = realloc(names, (n + 1) * sizeof(*names));
		if (!nn)
			break;
		names = nn;
		l = strlen(path) + strlen(e->d_name) + 2;
		names[n] = malloc(l);
		if (!names[n])
			break;
		snprintf(names[n], l, "%s/%s", path, e->d_name);
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		run_file(names[i]);
		free(names[i]);
	}
	free(names);
	ok(n > 0, "%s holds %zu inputs", path, n);
}

int main(int argc, char **argv)
{
	int i;

	if (argc < 2)
		diag("usage: %s CORPUS_DIR|FILE...", argv[0]);
	for (i = 1; i < argc; i++)
		run_path(argv[i]);
	return tap_done();
}
