/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *xmalloc0(size_t n) { return xcalloc(1, n); }

void *xcalloc(size_t n, size_t sz) {
  void *p = calloc(n ? n : 1, sz ? sz : 1);
  if (p == NULL)
    abort();
  return p;
}

char *xstrdup(const char *s) {
  char *p = strdup(s ? s : "");
  if (p == NULL)
    abort();
  return p;
}

char *xasprintf(const char *fmt, ...) {
  char *s = NULL;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&s, fmt, ap) < 0)
    abort();
  va_end(ap);
  return s;
}
