/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libmount, loaded on first use (see lazylib.h): only the cgroup v1/hybrid
 * layout detection and `ward check` read mountinfo through it.  Mount
 * options use libmount's table, copied at build time (mount_opts.c). */
#include <libmount.h>

#include "lazylib.h"

static struct lazylib libmount = {.soname = "libmount.so.1"};

#define LAZY(ret, name, params, args) LAZYLIB_FN(libmount, ret, name, params, args)

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
