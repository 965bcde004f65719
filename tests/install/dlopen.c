/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * dlopen(argv[1]) (the installed libiova.so.0) and call into it through
 * dlsym: a shared library whose thread-locals used the initial-exec model
 * could fail to load this way.  Exit 0 on success.
 */
#include <dlfcn.h>
#include <stdio.h>

#include "iova/iova.h"

int main(int argc, char **argv)
{
	void *h = argc > 1 ? dlopen(argv[1], RTLD_NOW | RTLD_LOCAL) : NULL;
	unsigned int (*version)(void);
	int (*create)(const struct iova_domain_config *, struct iova_ndomain **);
	void (*destroy)(struct iova_ndomain *);
	struct iova_ndomain *d = NULL;

	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	*(void **)&version = dlsym(h, "iova_version");
	*(void **)&create = dlsym(h, "iova_domain_create");
	*(void **)&destroy = dlsym(h, "iova_domain_destroy");
	if (!version || !create || !destroy || version() != IOVA_VERSION ||
	    create(NULL, &d) || !d) {
		fprintf(stderr, "dlopen: symbols or calls failed\n");
		return 1;
	}
	destroy(d);
	if (dlsym(h, "iova__fault_inject")) {
		fprintf(stderr, "dlopen: an internal symbol is visible\n");
		return 1;
	}
	dlclose(h);
	printf("dlopen: ok\n");
	return 0;
}
