/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/* The export marker of libiova's public headers (iova.h, cache.h, linux.h). */
#ifndef IOVA_API_H
#define IOVA_API_H

/*
 * IOVA_API marks the public functions: the library is built with hidden
 * visibility, so these are the only symbols its shared object exports.
 * Consumers need define nothing, for either the static or the shared
 * library.
 */
#ifndef IOVA_API
#if defined(__GNUC__) && !defined(__KERNEL__)
#define IOVA_API __attribute__((visibility("default")))
#else
#define IOVA_API
#endif
#endif

#endif /* IOVA_API_H */
