/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "ward_error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int werr_v(werr_t *err, int errnum, const char *fmt, va_list ap) {
  if (err == NULL)
    return -1;
  werr_free(err);
  struct ward_error *e = calloc(1, sizeof(*e));
  if (e == NULL)
    abort();
  e->errnum = errnum;
  if (vasprintf(&e->msg, fmt, ap) < 0)
    abort();
  *err = e;
  return -1;
}

int werr(werr_t *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  werr_v(err, 0, fmt, ap);
  va_end(ap);
  return -1;
}

int werr_code(werr_t *err, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  werr_v(err, code, fmt, ap);
  va_end(ap);
  return -1;
}

int werr_sys(werr_t *err, const char *fmt, ...) {
  int saved = errno;
  va_list ap;
  va_start(ap, fmt);
  werr_v(err, saved, fmt, ap);
  va_end(ap);
  if (err && *err)
    (*err)->sys = true;
  errno = saved;
  return -1;
}

int werr_prefix(werr_t *err, const char *fmt, ...) {
  if (err == NULL || *err == NULL)
    return -1;
  char *prefix = NULL, *joined = NULL;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&prefix, fmt, ap) < 0)
    abort();
  va_end(ap);
  if (asprintf(&joined, "%s: %s", prefix, (*err)->msg) < 0)
    abort();
  free(prefix);
  free((*err)->msg);
  (*err)->msg = joined;
  return -1;
}

void werr_free(werr_t *err) {
  if (err == NULL || *err == NULL)
    return;
  free((*err)->msg);
  free(*err);
  *err = NULL;
}

char *werr_text(const struct ward_error *e) {
  char *s = NULL;
  if (e->sys && e->errnum != 0) {
    if (asprintf(&s, "%s: %s", e->msg, strerror(e->errnum)) < 0)
      abort();
  } else {
    s = strdup(e->msg);
    if (s == NULL)
      abort();
  }
  return s;
}
