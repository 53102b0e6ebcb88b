/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every harness shares: the input as a NUL-terminated string (ward's
 * parsers take C strings, and an embedded NUL only ends the text early, as
 * it would when read from a file). */
#ifndef WARD_FUZZ_H
#define WARD_FUZZ_H

#define _XOPEN_SOURCE_EXTENDED 1
#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* A private 0700 directory for harnesses that read files, removed at exit
 * (a run that crashes leaves it, with the input, for a look). */
static char fuzz_tmp[64];

static inline int fuzz_rm_one(const char *path, const struct stat *st,
                              int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static inline void fuzz_tmp_remove(void) {
  nftw(fuzz_tmp, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The input as the whole content of PATH (harnesses whose parser reads a
 * file: the registry, the seccomp cache, the state record). */
static inline void fuzz_write_file(const char *path, const uint8_t *data,
                                   size_t size) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || write(fd, data, size) != (ssize_t)size)
    abort();
  close(fd);
}

static inline const char *fuzz_tmpdir(const char *name) {
  snprintf(fuzz_tmp, sizeof(fuzz_tmp), "/tmp/ward-fuzz-%s.XXXXXX", name);
  if (mkdtemp(fuzz_tmp) == NULL)
    abort();
  atexit(fuzz_tmp_remove);
  return fuzz_tmp;
}

#endif
