/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "mount_opts.h"

#include <libmount.h>
#include <linux/mount.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "cleanup.h"
#include "utils.h"

#define PROPAGATION (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)

/* The recursive attributes runc accepts (rro, rnosuid, ...): applied with
 * mount_setattr(AT_RECURSIVE) since mount(2) flags only affect one mount. */
static const struct {
  const char *name;
  uint64_t set, clr;
} recursive_attrs[] = {
    {"rro", MOUNT_ATTR_RDONLY, 0},
    {"rrw", 0, MOUNT_ATTR_RDONLY},
    {"rnosuid", MOUNT_ATTR_NOSUID, 0},
    {"rsuid", 0, MOUNT_ATTR_NOSUID},
    {"rnodev", MOUNT_ATTR_NODEV, 0},
    {"rdev", 0, MOUNT_ATTR_NODEV},
    {"rnoexec", MOUNT_ATTR_NOEXEC, 0},
    {"rexec", 0, MOUNT_ATTR_NOEXEC},
    {"rnoatime", MOUNT_ATTR_NOATIME, 0},
    {"rnodiratime", MOUNT_ATTR_NODIRATIME, 0},
    {"rrelatime", MOUNT_ATTR_RELATIME, 0},
    {"rstrictatime", MOUNT_ATTR_STRICTATIME, 0},
    {"rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0},
};

static void append_data(struct mount_opts *o, const char *opt) {
  if (o->data == NULL) {
    o->data = xstrdup(opt);
    return;
  }
  char *n = xasprintf("%s,%s", o->data, opt);
  free(o->data);
  o->data = n;
}

static int parse_one(const char *opt, const char *path, size_t idx,
                     struct mount_opts *o, werr_t *err) {
  if (strcmp(opt, "tmpcopyup") == 0) {
    o->tmpcopyup = true;
    return 0;
  }
  if (strcmp(opt, "idmap") == 0 || strcmp(opt, "ridmap") == 0) {
    o->idmap = true;
    o->ridmap = opt[0] == 'r';
    return 0;
  }
  for (size_t i = 0; i < sizeof(recursive_attrs) / sizeof(*recursive_attrs);
       i++)
    if (strcmp(opt, recursive_attrs[i].name) == 0) {
      o->attr_set |= recursive_attrs[i].set;
      o->attr_clr |= recursive_attrs[i].clr;
      return 0;
    }
  _cleanup_free_ char *user = NULL, *vfs = NULL, *fs = NULL;
  if (mnt_split_optstr(opt, &user, &vfs, &fs, 0, 0) != 0)
    return werr(err, "%s[%zu]: cannot parse \"%s\"", path, idx, opt);
  if (vfs) {
    unsigned long one = 0;
    const struct libmnt_optmap *map = mnt_get_builtin_optmap(MNT_LINUX_MAP);
    if (mnt_optstr_get_flags(vfs, &one, map) != 0)
      return werr(err, "%s[%zu]: cannot parse \"%s\"", path, idx, opt);
    if (one & PROPAGATION) {
      o->propagation = one;
      return 0;
    }
    if (one & MS_BIND)
      o->bind = true;
    /* libmount knows the inverted options ("rw", "suid", "dev"): run the
     * option against all-ones to learn which bits it clears. */
    unsigned long all = ~0UL;
    mnt_optstr_get_flags(vfs, &all, map);
    unsigned long cleared = ~all;
    o->flags = (o->flags & ~cleared) | one;
    o->clear_flags = (o->clear_flags & ~one) | cleared;
    return 0;
  }
  if (fs) {
    append_data(o, fs);
    return 0;
  }
  /* userspace-only options (e.g. "defaults", "noauto") mean nothing here */
  (void)user;
  return 0;
}

int mount_opts_parse(char **options, const char *path, struct mount_opts *o,
                     werr_t *err) {
  memset(o, 0, sizeof(*o));
  for (size_t i = 0; options && options[i]; i++) {
    if (options[i][0] == '\0')
      continue;
    if (parse_one(options[i], path, i, o, err) < 0) {
      mount_opts_free(o);
      return -1;
    }
  }
  return 0;
}

void mount_opts_free(struct mount_opts *o) {
  free(o->data);
  o->data = NULL;
}
