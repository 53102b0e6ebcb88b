/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Allocation that cannot fail: ward is short-lived, and out of memory has
 * no better answer than abort().  The lowest layer (spec/) owns them so
 * that every layer uses the same ones. */
#ifndef WARD_XALLOC_H
#define WARD_XALLOC_H

#include <stddef.h>

void *xmalloc0(size_t n);
/* calloc(n, sz) that aborts; n == 0 still returns a pointer. */
void *xcalloc(size_t n, size_t sz);
/* NULL duplicates as "". */
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
