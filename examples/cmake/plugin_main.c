/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
#include <stdio.h>

int plugin_run(void);

int main(void)
{
	int err = plugin_run();

	if (err) {
		fprintf(stderr, "consumer_with_plugin: FAILED: step %d\n", err);
		return 1;
	}
	printf("static libiova inside a shared object: ok\n");
	return 0;
}
