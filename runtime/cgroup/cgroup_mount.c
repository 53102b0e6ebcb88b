/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A config mount of type "cgroup": what the container sees at
 * /sys/fs/cgroup.  Built with the new mount API so every piece is made
 * detached, given its flags, and only then attached: the target is an
 * O_PATH fd path (/proc/self/fd/N), through which remounting would hit the
 * directory under the mount rather than the mount. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup_layout.h"
#include "cleanup.h"

static unsigned attrs_of(unsigned long f) {
  unsigned a = 0;
  if (f & MS_RDONLY)
    a |= MOUNT_ATTR_RDONLY;
  if (f & MS_NOSUID)
    a |= MOUNT_ATTR_NOSUID;
  if (f & MS_NODEV)
    a |= MOUNT_ATTR_NODEV;
  if (f & MS_NOEXEC)
    a |= MOUNT_ATTR_NOEXEC;
  if (f & MS_NOATIME)
    a |= MOUNT_ATTR_NOATIME;
  else if (f & MS_STRICTATIME)
    a |= MOUNT_ATTR_STRICTATIME;
  if (f & MS_NODIRATIME)
    a |= MOUNT_ATTR_NODIRATIME;
  return a;
}

static int set_attrs(int fd, unsigned attrs, const char *what, werr_t *err) {
  struct mount_attr ma = {.attr_set = attrs};
  if (attrs & (MOUNT_ATTR_NOATIME | MOUNT_ATTR_STRICTATIME))
    ma.attr_clr = MOUNT_ATTR__ATIME;
  if (attrs && mount_setattr(fd, "", AT_EMPTY_PATH, &ma, sizeof(ma)) < 0)
    return werr_sys(err, "set mount flags on %s", what);
  return 0;
}

/* A detached bind of SRC with ATTRS. */
static int clone_dir(const char *src, unsigned attrs, werr_t *err) {
  int fd = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (fd < 0)
    return werr_sys(err, "bind %s", src);
  if (set_attrs(fd, attrs, src, err) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int new_fs(const char *type, unsigned attrs, werr_t *err) {
  _cleanup_close_ int fs = fsopen(type, FSOPEN_CLOEXEC);
  if (fs < 0)
    return werr_sys(err, "fsopen %s", type);
  if (strcmp(type, "tmpfs") == 0 &&
      (fsconfig(fs, FSCONFIG_SET_STRING, "mode", "755", 0) < 0 ||
       fsconfig(fs, FSCONFIG_SET_STRING, "source", "cgroup", 0) < 0))
    return werr_sys(err, "configure %s", type);
  if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return werr_sys(err, "create %s", type);
  int m = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
  if (m < 0)
    return werr_sys(err, "fsmount %s", type);
  return m;
}

static int attach(int fd, int dirfd, const char *path, const char *what,
                  werr_t *err) {
  /* The target is typically the magic link /proc/self/fd/N: follow it. */
  int flags = MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS;
  if (move_mount(fd, "", dirfd, path, flags) < 0)
    return werr_sys(err, "mount %s on %s", what, path);
  return 0;
}

static const char *base(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

/* Co-mounted controllers show up on the host as symlinks next to the
 * mount ("cpu -> cpu,cpuacct"); give the container the same names. */
static void copy_symlinks(const struct cgroup_handle *h, int tfd) {
  const struct cg_hier *first = NULL;
  for (size_t i = 0; i < h->n && first == NULL; i++)
    if (!h->h[i].v2)
      first = &h->h[i];
  if (first == NULL)
    return;
  _cleanup_free_ char *parent = strdup(first->mnt);
  if (parent == NULL)
    abort();
  char *slash = strrchr(parent, '/');
  if (slash == NULL || slash == parent)
    return;
  *slash = '\0';
  DIR *d = opendir(parent);
  if (d == NULL)
    return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_type != DT_LNK)
      continue;
    char target[256];
    ssize_t n = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1);
    if (n <= 0)
      continue;
    target[n] = '\0';
    for (size_t i = 0; i < h->n; i++)
      if (strcmp(base(h->h[i].mnt), target) == 0) {
        (void)symlinkat(target, tfd, e->d_name);
        break;
      }
  }
  closedir(d);
}

int cgroup_mount(const struct cgroup_handle *h, const char *target,
                 unsigned long mount_flags, bool own_cgroupns, werr_t *err) {
  unsigned attrs = attrs_of(mount_flags);
  if (h->none) {
    /* No cgroup of its own (rootless): the host's tree, read-only, as
     * runc's rootless mode gives it. */
    _cleanup_close_ int fd =
        open_tree(AT_FDCWD, "/sys/fs/cgroup",
                  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    if (fd < 0)
      return werr_sys(err, "bind /sys/fs/cgroup");
    struct mount_attr ma = {.attr_set = attrs | MOUNT_ATTR_RDONLY};
    if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &ma, sizeof(ma)) <
        0)
      return werr_sys(err, "set mount flags on /sys/fs/cgroup");
    return attach(fd, AT_FDCWD, target, "/sys/fs/cgroup", err);
  }
  if (h->layout == CG_LAYOUT_V2) {
    const struct cg_hier *x = cg_v2(h);
    /* In its own cgroup namespace a fresh cgroup2 mount is rooted at the
     * container's cgroup; without one it would show the host's tree. */
    _cleanup_close_ int fd = own_cgroupns ? new_fs("cgroup2", attrs, err)
                                          : clone_dir(x->dir, attrs, err);
    if (fd < 0)
      return -1;
    return attach(fd, AT_FDCWD, target, "cgroup2", err);
  }
  /* v1 and hybrid: a tmpfs of binds, as runc does (a v1 cgroup fs cannot
   * be mounted from a user namespace anyway). */
  _cleanup_close_ int tfd = new_fs("tmpfs", attrs & ~MOUNT_ATTR_RDONLY, err);
  if (tfd < 0 || attach(tfd, AT_FDCWD, target, "tmpfs", err) < 0)
    return -1;
  for (size_t i = 0; i < h->n; i++) {
    const struct cg_hier *x = &h->h[i];
    const char *name = base(x->mnt);
    if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
      continue;
    if (mkdirat(tfd, name, 0755) < 0 && errno != EEXIST)
      return werr_sys(err, "mkdir %s/%s", target, name);
    _cleanup_close_ int fd = clone_dir(x->dir, attrs, err);
    if (fd < 0 || attach(fd, tfd, name, x->dir, err) < 0)
      return -1;
  }
  copy_symlinks(h, tfd);
  if (attrs & MOUNT_ATTR_RDONLY)
    return set_attrs(tfd, MOUNT_ATTR_RDONLY, target, err);
  return 0;
}
