/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mounts[].options through ward's extensions and libmount's option table
 * (copied at build time).  Input: one option per line (an option may
 * itself hold commas, as "mode=755,size=64k" can in a config.json array).
 * Differential: every single option without commas or quotes must read as
 * libmount itself reads it. */
#include <assert.h>
#include <libmount.h>
#include <sys/mount.h>

#include "fuzz.h"
#include "mount_opts.h"

#define PROPAGATION (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)

static void same_as_libmount(char *opt) {
  static const char *const ours[] = {"tmpcopyup", "idmap", "ridmap", "rro",
                                     "rrw", "rnosuid", "rsuid", "rnodev",
                                     "rdev", "rnoexec", "rexec", "rnoatime",
                                     "rnodiratime", "rrelatime",
                                     "rstrictatime", "rnosymfollow"};
  if (!*opt || strpbrk(opt, ",\"'"))
    return;
  for (size_t i = 0; i < sizeof(ours) / sizeof(*ours); i++)
    if (!strcmp(opt, ours[i]))
      return;
  char *user = NULL, *vfs = NULL, *fs = NULL;
  if (mnt_split_optstr(opt, &user, &vfs, &fs, 0, 0) != 0)
    return;
  unsigned long one = 0, all = ~0UL;
  if (vfs) {
    const struct libmnt_optmap *map = mnt_get_builtin_optmap(MNT_LINUX_MAP);
    mnt_optstr_get_flags(vfs, &one, map);
    mnt_optstr_get_flags(vfs, &all, map);
  }
  char *single[] = {opt, NULL};
  struct mount_opts o;
  werr_t err = NULL;
  assert(mount_opts_parse(single, "m", &o, &err) == 0);
  if (one & PROPAGATION)
    assert(o.propagation == one && o.flags == 0);
  else
    assert(o.flags == one && o.clear_flags == ~all && o.propagation == 0);
  if (vfs || !fs)
    assert(o.data == NULL);
  else
    assert(o.data && !strcmp(o.data, fs));
  mount_opts_free(&o);
  free(user), free(vfs), free(fs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 16 * 1024)
    return -1;
  char *buf = fuzz_cstr(data, size);
  size_t n = 1;
  for (char *p = buf; *p; p++)
    n += *p == '\n';
  char **opts = calloc(n + 1, sizeof(*opts));
  size_t i = 0;
  for (char *save = NULL, *tok = strtok_r(buf, "\n", &save); tok;
       tok = strtok_r(NULL, "\n", &save))
    opts[i++] = tok;
  for (size_t k = 0; k < i; k++)
    same_as_libmount(opts[k]);
  struct mount_opts o;
  memset(&o, 0, sizeof(o));
  werr_t err = NULL;
  if (mount_opts_parse(opts, "mounts[0].options", &o, &err) == 0) {
    assert(err == NULL);
    assert(o.data == NULL || o.data[0] != '\0');
    mount_opts_free(&o);
  } else {
    assert(err && err->msg && strstr(err->msg, "mounts[0].options"));
    werr_free(&err);
    mount_opts_free(&o);
  }
  free(opts);
  free(buf);
  return 0;
}
