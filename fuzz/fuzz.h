/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every harness shares: the input as a NUL-terminated string (ward's
 * parsers take C strings, and an embedded NUL only ends the text early, as
 * it would when read from a file). */
#ifndef WARD_FUZZ_H
#define WARD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Bigger inputs only slow the search: no config or state file is this big. */
#define FUZZ_MAX_INPUT (256 * 1024)

static inline char *fuzz_cstr(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (s == NULL)
    abort();
  memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

#endif
