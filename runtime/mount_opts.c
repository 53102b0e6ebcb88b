/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "mount_opts.h"

#include <linux/mount.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "cleanup.h"
#include "mount_optmap.h"
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

/* The entry OPT ("name" or "name=value") selects, matched as libmount
 * matches: its name (up to any '=') starts the entry's pattern up to the
 * pattern's end, '=' or '[' ("loop[=]"), or starts with a prefix entry
 * ("x-"); a value counts only where the entry takes one ("ro=1" is no
 * flag; "defaults", with no flag, takes any; "name=" is bare).
 * tests/unit/test_mount_opts.c and fuzz/fuzz_mount_opts.c hold this to
 * libmount. */
#define optmap_find(map, opt) optmap_find_n(map, sizeof(map) / sizeof(*map), opt)
static const struct mount_optmap_entry *
optmap_find_n(const struct mount_optmap_entry *map, size_t n, const char *opt) {
  size_t len = strcspn(opt, "=");
  bool valued = opt[len] == '=' && opt[len + 1] != '\0';
  for (size_t i = 0; i < n; i++) {
    const struct mount_optmap_entry *e = &map[i];
    if (e->prefix) {
      if (strncmp(opt, e->name, strlen(e->name)) == 0 &&
          strlen(e->name) <= len)
        return e;
      continue;
    }
    if (strncmp(e->name, opt, len) != 0 || !strchr("=[", e->name[len]))
      continue;
    if (!valued || e->value != MOUNT_OPTMAP_VALUE_NONE || e->id == 0)
      return e;
  }
  return NULL;
}

static void parse_one(const char *opt, struct mount_opts *o) {
  if (strcmp(opt, "tmpcopyup") == 0) {
    o->tmpcopyup = true;
    return;
  }
  if (strcmp(opt, "idmap") == 0 || strcmp(opt, "ridmap") == 0) {
    o->idmap = true;
    o->ridmap = opt[0] == 'r';
    return;
  }
  for (size_t i = 0; i < sizeof(recursive_attrs) / sizeof(*recursive_attrs);
       i++)
    if (strcmp(opt, recursive_attrs[i].name) == 0) {
      o->attr_set |= recursive_attrs[i].set;
      o->attr_clr |= recursive_attrs[i].clr;
      return;
    }
  const struct mount_optmap_entry *e = optmap_find(mount_optmap_vfs, opt);
  if (e) {
    unsigned long one = e->invert ? 0 : e->id, cleared = e->invert ? e->id : 0;
    if (one & PROPAGATION) {
      o->propagation = one;
      return;
    }
    if (one & MS_BIND)
      o->bind = true;
    o->flags = (o->flags & ~cleared) | one;
    o->clear_flags = (o->clear_flags & ~one) | cleared;
    return;
  }
  /* userspace-only options (e.g. "defaults", "noauto") mean nothing here;
   * what neither table knows goes to the filesystem, as in mount(8) */
  if (optmap_find(mount_optmap_user, opt) == NULL)
    append_data(o, opt);
}

int mount_opts_parse(char **options, const char *path, struct mount_opts *o,
                     werr_t *err) {
  /* Every option is accepted (an unknown one is the filesystem's to
   * refuse, at mount time, where the error names the mount). */
  (void)path, (void)err;
  memset(o, 0, sizeof(*o));
  for (size_t i = 0; options && options[i]; i++)
    if (options[i][0] != '\0')
      parse_one(options[i], o);
  return 0;
}

void mount_opts_free(struct mount_opts *o) {
  free(o->data);
  o->data = NULL;
}
