/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every C unit test shares: pass/fail counters, CHECK macros, and q()
 * for JSON written with single quotes.  Each test ends with
 * unit_summary("test_x"), printing "test_x: N passed, M failed". */
#ifndef WARD_UNIT_H
#define WARD_UNIT_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int passed, failed;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (cond) {                                                                \
      passed++;                                                                \
    } else {                                                                   \
      failed++;                                                                \
      fprintf(stderr, "%s:%d: FAIL: %s\n", __FILE__, __LINE__, #cond);         \
    }                                                                          \
  } while (0)

#define CHECK_STR(a, b)                                                        \
  do {                                                                         \
    const char *_a = (a), *_b = (b);                                           \
    if (_a && _b && strcmp(_a, _b) == 0) {                                     \
      passed++;                                                                \
    } else {                                                                   \
      failed++;                                                                \
      fprintf(stderr, "%s:%d: FAIL: %s\n  got:  %s\n  want: %s\n", __FILE__,   \
              __LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)");           \
    }                                                                          \
  } while (0)

/* 'a' -> "a": JSON in C strings without the backslashes. */
static inline char *q(const char *s) {
  char *r = strdup(s);
  for (char *p = r; *p; p++)
    if (*p == '\'')
      *p = '"';
  return r;
}

/* Tests that need root: run as root they must run (a root that cannot set
 * them up fails them); as anyone else they skip, saying so. */
static inline bool unit_as_root(const char *what) {
  if (geteuid() == 0)
    return true;
  printf("%s: skipped: needs root (run as root to test it)\n", what);
  return false;
}

static inline int unit_summary(const char *name) {
  printf("%s: %d passed, %d failed\n", name, passed, failed);
  return failed ? 1 : 0;
}

#endif
