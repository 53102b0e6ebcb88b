/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private to spec/config*.c: the section parsers config.c strings together
 * and the small checks they share. */
#ifndef WARD_CONFIG_PARTS_H
#define WARD_CONFIG_PARTS_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static inline void *spec_xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (p == NULL)
    abort();
  return p;
}

/* Whether s is one of the NULL-terminated ALLOWED. */
bool spec_one_of(const char *s, const char *const *allowed);
/* "a b c": ALLOWED joined for messages. Caller frees. */
char *spec_join(const char *const *allowed);
/* Fails with "PATH: must be one of A B C, got "X"". */
int spec_want_one_of(const char *s, const char *const *allowed,
                     const char *path, werr_t *err);

/* Present-and-required helpers: "PARENT.KEY: required". */
int spec_require(yajl_val obj, const char *parent, const char *key,
                 werr_t *err);
int spec_want_abs(const char *s, const char *path, werr_t *err);

/* linux.* (config_linux.c). On error *l holds what was parsed so far;
 * spec_linux_free releases it either way. */
int spec_parse_linux(yajl_val v, const char *path, struct spec_linux *l,
                     werr_t *err);
void spec_linux_free(struct spec_linux *l);

#endif
