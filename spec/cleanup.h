/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Scope-bound cleanup, systemd/crun style: every early return frees and
 * closes what the scope owned.  Steal with take_ptr()/take_fd(). */
#ifndef WARD_CLEANUP_H
#define WARD_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cleanup_freep(void *p) {
  free(*(void **)p);
}
static inline void cleanup_closep(int *fd) {
  if (*fd >= 0) {
    int saved = errno;
    close(*fd);
    errno = saved;
  }
}
static inline void cleanup_fclosep(FILE **f) {
  if (*f)
    fclose(*f);
}
/* A NULL-terminated array of strings. */
static inline void strv_free(char **v) {
  if (v == NULL)
    return;
  for (char **p = v; *p; p++)
    free(*p);
  free(v);
}
static inline void cleanup_strvp(char ***v) {
  strv_free(*v);
}

#define _cleanup_free_ __attribute__((cleanup(cleanup_freep)))
#define _cleanup_close_ __attribute__((cleanup(cleanup_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(cleanup_fclosep)))
#define _cleanup_strv_ __attribute__((cleanup(cleanup_strvp)))
#define _cleanup_werr_ __attribute__((cleanup(werr_free)))

#define take_ptr(p)                                                            \
  ({                                                                           \
    __typeof__(p) _tmp = (p);                                                  \
    (p) = NULL;                                                                \
    _tmp;                                                                      \
  })
#define take_fd(fd)                                                            \
  ({                                                                           \
    int _tmp = (fd);                                                           \
    (fd) = -1;                                                                 \
    _tmp;                                                                      \
  })

#endif
