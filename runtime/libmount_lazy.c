/* SPDX-License-Identifier: GPL-2.0-or-later */
/* See libmount_lazy.h.  The prototypes come from <libmount.h>, so a
 * signature that drifts from the library fails to compile.  A libmount
 * function not listed here still links (the Makefile links -lmount
 * --as-needed): it just brings back the load at start. */
#include "libmount_lazy.h"

#include <dlfcn.h>
#include <libmount.h>
#include <stdio.h>
#include <stdlib.h>

#define LIBMOUNT_SONAME "libmount.so.1"

static void *lib;

void libmount_preload(void) {
  if (lib)
    return;
  lib = dlopen(LIBMOUNT_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    /* The same failure as a missing DT_NEEDED library, only later: there
     * is no error path in the callers' signatures to carry it. */
    fprintf(stderr, "ward: cannot load %s: %s\n", LIBMOUNT_SONAME, dlerror());
    abort();
  }
}

static void *resolve(const char *name) {
  libmount_preload();
  void *f = dlsym(lib, name);
  if (f == NULL) {
    fprintf(stderr, "ward: %s: no %s: %s\n", LIBMOUNT_SONAME, name, dlerror());
    abort();
  }
  return f;
}

/* RET NAME(PARAMS) calling the real NAME with ARGS. */
#define LAZY(ret, name, params, args)                                         \
  ret name params {                                                           \
    static __typeof__(&name) real;                                            \
    if (real == NULL)                                                         \
      real = (__typeof__(&name))resolve(#name);                               \
    return real args;                                                         \
  }

LAZY(struct libmnt_table *, mnt_new_table_from_file, (const char *filename),
     (filename))
LAZY(void, mnt_unref_table, (struct libmnt_table * tb), (tb))
LAZY(int, mnt_table_next_fs,
     (struct libmnt_table * tb, struct libmnt_iter *itr, struct libmnt_fs **fs),
     (tb, itr, fs))
LAZY(struct libmnt_fs *, mnt_table_find_mountpoint,
     (struct libmnt_table * tb, const char *path, int direction),
     (tb, path, direction))
LAZY(struct libmnt_iter *, mnt_new_iter, (int direction), (direction))
LAZY(void, mnt_free_iter, (struct libmnt_iter * itr), (itr))
LAZY(const char *, mnt_fs_get_fstype, (struct libmnt_fs * fs), (fs))
LAZY(const char *, mnt_fs_get_target, (struct libmnt_fs * fs), (fs))
LAZY(const char *, mnt_fs_get_fs_options, (struct libmnt_fs * fs), (fs))
LAZY(dev_t, mnt_fs_get_devno, (struct libmnt_fs * fs), (fs))
LAZY(int, mnt_optstr_next_option,
     (char **optstr, char **name, size_t *namesz, char **value,
      size_t *valuesz),
     (optstr, name, namesz, value, valuesz))
LAZY(int, mnt_split_optstr,
     (const char *optstr, char **user, char **vfs, char **fs, int ignore_user,
      int ignore_vfs),
     (optstr, user, vfs, fs, ignore_user, ignore_vfs))
LAZY(const struct libmnt_optmap *, mnt_get_builtin_optmap, (int id), (id))
LAZY(int, mnt_optstr_get_flags,
     (const char *optstr, unsigned long *flags,
      const struct libmnt_optmap *map),
     (optstr, flags, map))
