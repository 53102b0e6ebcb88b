/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "dev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "utils.h"

static const struct {
  const char *path;
  unsigned major, minor;
} default_devices[] = {
    {"/dev/null", 1, 3},    {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8},  {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

static bool dev_is_bind_mounted(const struct spec_config *c) {
  for (size_t i = 0; i < c->mounts_len; i++) {
    const struct spec_mount *m = &c->mounts[i];
    if (strcmp(m->destination, "/dev") != 0)
      continue;
    if (m->type && strcmp(m->type, "bind") == 0)
      return true;
    for (size_t j = 0; m->options && m->options[j]; j++)
      if (strcmp(m->options[j], "bind") == 0 ||
          strcmp(m->options[j], "rbind") == 0)
        return true;
  }
  return false;
}

static int create_device(int rootfd, const char *path, mode_t type,
                         unsigned major, unsigned minor, mode_t perm,
                         uid_t uid, gid_t gid, bool userns, werr_t *err) {
  if (userns || type == 0) {
    /* Bind the host's node (same path) over an empty file. */
    _cleanup_close_ int fd = mkfile_in_root(rootfd, path, 0644, err);
    if (fd < 0)
      return -1;
    char target[FD_PATH_MAX];
    fd_path(fd, target);
    if (mount(path, target, NULL, MS_BIND, NULL) < 0)
      return werr_sys(err, "bind device %s", path);
    return 0;
  }
  _cleanup_free_ char *dir = xstrdup(path);
  char *slash = strrchr(dir, '/');
  *slash = '\0';
  const char *base = slash + 1;
  _cleanup_close_ int dfd = mkdir_in_root(rootfd, dir[0] ? dir : "/", 0755,
                                          err);
  if (dfd < 0)
    return -1;
  /* An image may ship its own node or file there: replace it. */
  if (unlinkat(dfd, base, 0) < 0 && errno != ENOENT && errno != EISDIR)
    return werr_sys(err, "remove %s in rootfs", path);
  if (mknodat(dfd, base, type | perm, makedev(major, minor)) < 0)
    return werr_sys(err, "mknod %s", path);
  /* mknod honours the umask; the config's mode is what is wanted. */
  if (fchmodat(dfd, base, perm, 0) < 0)
    return werr_sys(err, "chmod %s", path);
  if (fchownat(dfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return werr_sys(err, "chown %s", path);
  return 0;
}

static int dev_symlink(int rootfd, const char *target, const char *path,
                       werr_t *err) {
  _cleanup_close_ int dfd = mkdir_in_root(rootfd, "/dev", 0755, err);
  if (dfd < 0)
    return -1;
  const char *base = strrchr(path, '/') + 1;
  if (symlinkat(target, dfd, base) < 0 && errno != EEXIST)
    return werr_sys(err, "symlink %s", path);
  return 0;
}

int dev_setup(int rootfd, const struct spec_config *c, bool userns,
              werr_t *err) {
  if (!dev_is_bind_mounted(c)) {
    for (size_t i = 0; i < sizeof(default_devices) / sizeof(*default_devices);
         i++) {
      bool overridden = false;
      for (size_t j = 0; j < c->linux_.devices_len; j++)
        if (strcmp(c->linux_.devices[j].path, default_devices[i].path) == 0)
          overridden = true;
      if (overridden)
        continue;
      if (create_device(rootfd, default_devices[i].path, S_IFCHR,
                        default_devices[i].major, default_devices[i].minor,
                        0666, 0, 0, userns, err) < 0)
        return -1;
    }
    static const char *const links[][2] = {
        {"/proc/self/fd", "/dev/fd"},
        {"/proc/self/fd/0", "/dev/stdin"},
        {"/proc/self/fd/1", "/dev/stdout"},
        {"/proc/self/fd/2", "/dev/stderr"},
        {"pts/ptmx", "/dev/ptmx"},
    };
    for (size_t i = 0; i < sizeof(links) / sizeof(*links); i++)
      if (dev_symlink(rootfd, links[i][0], links[i][1], err) < 0)
        return -1;
    if (access("/proc/kcore", F_OK) == 0 &&
        dev_symlink(rootfd, "/proc/kcore", "/dev/core", err) < 0)
      return -1;
  }
  for (size_t i = 0; i < c->linux_.devices_len; i++) {
    const struct spec_device *d = &c->linux_.devices[i];
    mode_t type = d->type[0] == 'b' ? S_IFBLK
                  : d->type[0] == 'p' ? S_IFIFO
                                      : S_IFCHR;
    mode_t perm = d->has_fileMode ? (d->fileMode & 07777) : 0666;
    if (create_device(rootfd, d->path, type, (unsigned)d->major,
                      (unsigned)d->minor, perm, d->has_uid ? d->uid : 0,
                      d->has_gid ? d->gid : 0, userns, err) < 0)
      return werr_prefix(err, "linux.devices[%zu]", i);
  }
  return 0;
}
