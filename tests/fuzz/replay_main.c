/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * A main() for fuzz targets built without libFuzzer (gcc, CTest): runs
 * LLVMFuzzerTestOneInput() on every file named on the command line, and on
 * every regular file of every directory named (sorted, so runs repeat).
 * Prints one TAP line per file; a mismatch inside the target traps, which
 * fails the test.
 *
 * usage: fuzz_ops_replay PATH...
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

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf = NULL, *nb;
	size_t cap = 0, got;

	*len = 0;
	if (!fp)
		return NULL;
	for (;;) {
		if (*len == cap) {
			cap = cap ? 2 * cap : 1024;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(fp);
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + *len, 1, cap - *len, fp);
		if (!got)
			break;
		*len += got;
	}
	fclose(fp);
	return buf ? buf : malloc(1);
}

static void run_file(const char *path)
{
	size_t len;
	unsigned char *buf = slurp(path, &len);

	if (!ok(buf != NULL, "read %s", path))
		return;
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	ok(1, "%s (%zu bytes)", path, len);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_dir(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;

	if (!ok(dp != NULL, "open directory %s", dir))
		return;
	while ((de = readdir(dp))) {
		char *p;
		struct stat sb;
		size_t l;

		if (de->d_name[0] == '.')
			continue;
		l = strlen(dir) + strlen(de->d_name) + 2;
		p = malloc(l);
		if (!p)
			abort();
		snprintf(p, l, "%s/%s", dir, de->d_name);
		if (stat(p, &sb) || !S_ISREG(sb.st_mode)) {
			free(p);
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			names = realloc(names, cap * sizeof(*names));
			if (!names)
				abort();
		}
		names[n++] = p;
	}
	closedir(dp);
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		run_file(names[i]);
		free(names[i]);
	}
	free(names);
	ok(n > 0, "%s holds %zu inputs", dir, n);
}

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		struct stat sb;

		if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode))
			run_dir(argv[i]);
		else
			run_file(argv[i]);
	}
	if (argc < 2)
		ok(0, "usage: %s PATH...", argv[0]);
	return tap_done();
}
