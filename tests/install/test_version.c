/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * The version: iova_version() at run time equals the header's IOVA_VERSION,
 * the parts, the combined number and the string agree, IOVA_MAKE_VERSION()
 * orders versions like their components, and the newest release heading in
 * CHANGELOG.md (argv[1]) is this version.
 */
#include <stdio.h>
#include <string.h>

#include "iova/iova.h"
#include "tap.h"

int main(int argc, char **argv)
{
	char want[64], line[256], got[64] = "";
	FILE *f;

	ok(iova_version() == IOVA_VERSION, "iova_version() %#x == IOVA_VERSION %#x",
	   iova_version(), (unsigned int)IOVA_VERSION);
	ok(IOVA_VERSION == (IOVA_VERSION_MAJOR * 65536u + IOVA_VERSION_MINOR * 256u +
			    IOVA_VERSION_PATCH),
	   "IOVA_VERSION is major << 16 | minor << 8 | patch");
	snprintf(want, sizeof(want), "%d.%d.%d", IOVA_VERSION_MAJOR,
		 IOVA_VERSION_MINOR, IOVA_VERSION_PATCH);
	ok(!strcmp(want, IOVA_VERSION_STRING), "IOVA_VERSION_STRING \"%s\" == %s",
	   IOVA_VERSION_STRING, want);
	ok(IOVA_MAKE_VERSION(0, 1, 9) < IOVA_MAKE_VERSION(0, 2, 0) &&
	   IOVA_MAKE_VERSION(0, 255, 255) < IOVA_MAKE_VERSION(1, 0, 0) &&
	   IOVA_MAKE_VERSION(1, 2, 3) == 0x010203,
	   "IOVA_MAKE_VERSION orders like (major, minor, patch)");
	ok(IOVA_VERSION_MINOR < 256 && IOVA_VERSION_PATCH < 256,
	   "minor and patch fit their 8 bits");

	f = argc > 1 ? fopen(argv[1], "r") : NULL;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "## %63[0-9.]", got) == 1)
			break;
	if (f)
		fclose(f);
	ok(!strcmp(got, want), "CHANGELOG.md's newest heading is %s (got \"%s\")",
	   want, got);
	return tap_done();
}
