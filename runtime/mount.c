/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "mount.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "dev.h"
#include "mount_opts.h"
#include "utils.h"


static unsigned long propagation_flags(const char *name) {
  static const struct {
    const char *name;
    unsigned long flags;
  } t[] = {
      {"private", MS_PRIVATE},      {"rprivate", MS_PRIVATE | MS_REC},
      {"slave", MS_SLAVE},          {"rslave", MS_SLAVE | MS_REC},
      {"shared", MS_SHARED},        {"rshared", MS_SHARED | MS_REC},
      {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
  };
  for (size_t i = 0; name && i < sizeof(t) / sizeof(*t); i++)
    if (strcmp(name, t[i].name) == 0)
      return t[i].flags;
  return MS_PRIVATE | MS_REC;
}

unsigned long mount_locked_flags(int fd) {
  struct statvfs s;
  if (fstatvfs(fd, &s) < 0)
    return 0;
  unsigned long f = 0;
  if (s.f_flag & ST_NOSUID)
    f |= MS_NOSUID;
  if (s.f_flag & ST_NODEV)
    f |= MS_NODEV;
  if (s.f_flag & ST_NOEXEC)
    f |= MS_NOEXEC;
  if (s.f_flag & ST_NOATIME)
    f |= MS_NOATIME;
  if (s.f_flag & ST_NODIRATIME)
    f |= MS_NODIRATIME;
  if (s.f_flag & ST_RELATIME)
    f |= MS_RELATIME;
  return f;
}

static int copy_tree(int from, int to, werr_t *err);

static int copy_entry(int from, int to, const char *name, werr_t *err) {
  struct stat st;
  if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return werr_sys(err, "tmpcopyup: stat %s", name);
  if (S_ISDIR(st.st_mode)) {
    if (mkdirat(to, name, st.st_mode & 07777) < 0 && errno != EEXIST)
      return werr_sys(err, "tmpcopyup: mkdir %s", name);
    _cleanup_close_ int sf = openat(from, name, O_RDONLY | O_DIRECTORY |
                                                   O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int df = openat(to, name, O_RDONLY | O_DIRECTORY |
                                                 O_NOFOLLOW | O_CLOEXEC);
    if (sf < 0 || df < 0)
      return werr_sys(err, "tmpcopyup: open %s", name);
    if (copy_tree(sf, df, err) < 0)
      return -1;
  } else if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t n = readlinkat(from, name, target, sizeof(target) - 1);
    if (n < 0)
      return werr_sys(err, "tmpcopyup: readlink %s", name);
    target[n] = '\0';
    if (symlinkat(target, to, name) < 0)
      return werr_sys(err, "tmpcopyup: symlink %s", name);
  } else if (S_ISREG(st.st_mode)) {
    _cleanup_close_ int sf = openat(from, name, O_RDONLY | O_NOFOLLOW |
                                                   O_CLOEXEC);
    _cleanup_close_ int df = openat(to, name, O_WRONLY | O_CREAT | O_EXCL |
                                                 O_CLOEXEC, st.st_mode & 07777);
    if (sf < 0 || df < 0)
      return werr_sys(err, "tmpcopyup: open %s", name);
    char buf[65536];
    ssize_t r;
    while ((r = read(sf, buf, sizeof(buf))) > 0)
      if (write_all(df, buf, (size_t)r) < 0)
        return werr_sys(err, "tmpcopyup: write %s", name);
    if (r < 0)
      return werr_sys(err, "tmpcopyup: read %s", name);
  } else {
    if (mknodat(to, name, st.st_mode, st.st_rdev) < 0)
      return werr_sys(err, "tmpcopyup: mknod %s", name);
  }
  if (fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 &&
      errno != EINVAL)
    return werr_sys(err, "tmpcopyup: chown %s", name);
  return 0;
}

static int copy_tree(int from, int to, werr_t *err) {
  int dfd = dup(from);
  if (dfd < 0)
    return werr_sys(err, "dup");
  DIR *d = fdopendir(dfd);
  if (d == NULL) {
    close(dfd);
    return werr_sys(err, "tmpcopyup: opendir");
  }
  rewinddir(d);
  struct dirent *de;
  int rc = 0;
  while (rc == 0 && (de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    rc = copy_entry(from, to, de->d_name, err);
  }
  closedir(d);
  return rc;
}

/* The destination's parent directories and itself, created inside the
 * rootfs: a directory, or an empty file when binding a non-directory. */
static int prepare_destination(int rootfd, const struct spec_mount *mnt,
                               bool bind, int idfd, werr_t *err) {
  bool dir = true;
  if (bind && mnt->source) {
    /* An idmapped source is already open (ward cloned it): its path may
     * sit below a directory the container's root cannot search, as the
     * reachability rule for writable idmapped mounts wants. */
    struct stat st;
    if ((idfd >= 0 ? fstat(idfd, &st) : stat(mnt->source, &st)) < 0)
      return werr_sys(err, "mount source %s", mnt->source);
    dir = S_ISDIR(st.st_mode);
  }
  return dir ? mkdir_in_root(rootfd, mnt->destination, 0755, err)
             : mkfile_in_root(rootfd, mnt->destination, 0644, err);
}

/* Binds a host tree instead of a fresh filesystem; mount_one then makes it
 * nosuid/nodev/noexec (and read-only if asked) recursively. */
static int mount_fallback_bind(const char *host, const char *target,
                               struct mount_opts *o, werr_t *err) {
  if (mount(host, target, NULL, MS_BIND | MS_REC, NULL) < 0)
    return werr_sys(err, "bind %s", host);
  o->attr_set |= MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
  if (o->flags & MS_RDONLY)
    o->attr_set |= MOUNT_ATTR_RDONLY;
  return 0;
}

/* CVE-2019-16884 / CVE-2019-19921: /proc must be procfs, and nothing may
 * be mounted inside it (a volume over /proc/self/attr swallows the LSM
 * label, one over /proc/sys undoes readonlyPaths), except the files lxcfs
 * provides.  Judged on where the destination really is in the rootfs. */
static const char *const lxcfs_files[] = {
    "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat",
    "/proc/swaps",   "/proc/uptime",    "/proc/loadavg", "/proc/slabinfo"};

static int check_proc_path(const char *rel, size_t i, const char *type,
                           werr_t *err) {
  if (strcmp(rel, "/proc") == 0) {
    if (type == NULL || strcmp(type, "proc") != 0)
      return werr_code(
          err, EINVAL,
          "mounts[%zu]: /proc must be a mount of type proc, got %s", i,
          type ? type : "none");
    return 0;
  }
  if (strncmp(rel, "/proc/", 6) != 0)
    return 0;
  for (size_t k = 0; k < sizeof(lxcfs_files) / sizeof(*lxcfs_files); k++)
    if (strcmp(rel, lxcfs_files[k]) == 0)
      return 0;
  return werr_code(err, EINVAL,
                   "mounts[%zu]: destination %s is inside /proc: refusing", i,
                   rel);
}

/* "/a/./b//../c" -> "/a/c", as the kernel would walk it without symlinks. */
static char *clean_path(const char *path) {
  char *out = xmalloc0(strlen(path) + 2);
  _cleanup_free_ char *copy = xstrdup(path);
  char *save = NULL;
  size_t len = 0;
  for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
    if (strcmp(c, ".") == 0)
      continue;
    if (strcmp(c, "..") == 0) {
      while (len > 0 && out[len - 1] != '/')
        len--;
      if (len > 0)
        len--;
      out[len] = '\0';
      continue;
    }
    out[len++] = '/';
    strcpy(out + len, c);
    len += strlen(c);
  }
  if (len == 0)
    strcpy(out, "/");
  return out;
}

/* CVE-2019-16884 / CVE-2019-19921: /proc must be procfs, and nothing may
 * be mounted inside it (a volume over /proc/self/attr swallows the LSM
 * label, one over /proc/sys undoes readonlyPaths), except the files lxcfs
 * provides.  Checked on the path as written, then on where the destination
 * really is in the rootfs once resolved (an image symlink cannot sneak a
 * mount in). */
static int check_proc_destination(const struct mount_ctx *m, int dfd,
                                  size_t i, const char *type, werr_t *err) {
  if (dfd < 0) {
    _cleanup_free_ char *clean = clean_path(m->c->mounts[i].destination);
    return check_proc_path(clean, i, type, err);
  }
  char link[FD_PATH_MAX], real[4096];
  fd_path(dfd, link);
  ssize_t n = readlink(link, real, sizeof(real) - 1);
  if (n < 0)
    return werr_sys(err, "mounts[%zu]: readlink", i);
  real[n] = '\0';
  size_t rl = strlen(m->rootfs);
  const char *rel = real;
  if (strncmp(real, m->rootfs, rl) == 0 && (real[rl] == '/' || !real[rl]))
    rel = real[rl] ? real + rl : "/";
  return check_proc_path(rel, i, type, err);
}

static int mount_one(const struct mount_ctx *m, int rootfd, size_t i,
                     werr_t *err) {
  const struct spec_mount *mnt = &m->c->mounts[i];
  char path[64];
  snprintf(path, sizeof(path), "mounts[%zu].options", i);
  struct mount_opts o;
  if (mount_opts_parse(mnt->options, path, &o, err) < 0)
    return -1;
  const char *type = mnt->type;
  bool bind = o.bind || (type && strcmp(type, "bind") == 0);
  int rc = -1;
  _cleanup_close_ int dfd = -1, below = -1, top = -1;
  char target[FD_PATH_MAX];
  if (check_proc_destination(m, -1, i, type, err) < 0)
    goto out;
  dfd = prepare_destination(rootfd, mnt, bind,
                            m->mount_fds ? m->mount_fds[i] : -1, err);
  if (dfd < 0)
    goto out;
  if (check_proc_destination(m, dfd, i, type, err) < 0)
    goto out;
  fd_path(dfd, target);
  if (o.tmpcopyup) {
    below = open_in_root(rootfd, mnt->destination, O_RDONLY | O_DIRECTORY, 0,
                         err);
    if (below < 0)
      goto out;
  }

  int idfd = m->mount_fds ? m->mount_fds[i] : -1;
  if (idfd >= 0) {
    /* move_mount refuses a /proc/self/fd/N target path: name it by fd. */
    if (syscall(SYS_move_mount, idfd, "", dfd, "",
                MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
      werr_sys(err, "move idmapped mount onto %s", mnt->destination);
      goto out;
    }
  } else if (bind) {
    if (mount(mnt->source, target, NULL, MS_BIND | (o.flags & MS_REC),
              NULL) < 0) {
      werr_sys(err, "bind %s on %s", mnt->source, mnt->destination);
      goto out;
    }
  } else if (type && strcmp(type, "cgroup") == 0) {
    if (cgroup_mount(m->cgroup, target, o.flags, m->cgroupns, err) < 0)
      goto out;
  } else {
    unsigned long flags = o.flags & ~(MS_BIND | MS_REC);
    if (mount(mnt->source ? mnt->source : type, target, type, flags,
              o.data) < 0) {
      int e = errno;
      /* sysfs needs a network namespace owned by our user namespace, mqueue
       * an IPC one: without them, show the host's read-only. */
      if (e == EPERM && type && strcmp(type, "sysfs") == 0) {
        if (mount_fallback_bind("/sys", target, &o, err) < 0)
          goto out;
      } else if (e == EPERM && type && strcmp(type, "mqueue") == 0) {
        if (mount_fallback_bind("/dev/mqueue", target, &o, err) < 0)
          goto out;
      } else {
        errno = e;
        werr_sys(err, "mount %s (%s) on %s", mnt->source ? mnt->source : "",
                 type ? type : "", mnt->destination);
        goto out;
      }
    }
  }

  bool remount = bind && (o.flags & ~(MS_BIND | MS_REC)) != 0;
  if (!remount && !o.tmpcopyup && !o.attr_set && !o.attr_clr &&
      !o.propagation) {
    rc = 0; /* nothing to change on the new mount (proc, /dev, sysfs ...) */
    goto out;
  }
  /* The fd still names the covered directory: reopen to reach the mount. */
  top = open_in_root(rootfd, mnt->destination, O_PATH, 0, err);
  if (top < 0)
    goto out;
  fd_path(top, target);
  /* Also for a mount ward cloned (idmapped or not): ro, nosuid ... */
  if (remount) {
    unsigned long keep = mount_locked_flags(top) & ~o.clear_flags;
    if (mount(NULL, target, NULL,
              MS_REMOUNT | MS_BIND | keep | (o.flags & ~(MS_BIND | MS_REC)),
              NULL) < 0) {
      werr_sys(err, "remount %s", mnt->destination);
      goto out;
    }
  }
  if (o.tmpcopyup) {
    _cleanup_close_ int dst = open_in_root(rootfd, mnt->destination,
                                           O_RDONLY | O_DIRECTORY, 0, err);
    if (dst < 0 || copy_tree(below, dst, err) < 0)
      goto out;
  }
  if (o.attr_set || o.attr_clr) {
    struct mount_attr a = {.attr_set = o.attr_set, .attr_clr = o.attr_clr};
    if (syscall(SYS_mount_setattr, top, "", AT_EMPTY_PATH | AT_RECURSIVE, &a,
                sizeof(a)) < 0) {
      werr_sys(err, "mount_setattr %s", mnt->destination);
      goto out;
    }
  }
  if (o.propagation &&
      mount(NULL, target, NULL, o.propagation, NULL) < 0) {
    werr_sys(err, "set propagation of %s", mnt->destination);
    goto out;
  }
  rc = 0;
out:
  mount_opts_free(&o);
  return rc;
}

int mount_rootfs(struct mount_ctx *m, werr_t *err) {
  unsigned long prop = propagation_flags(m->c->linux_.rootfsPropagation);
  /* pivot_root refuses shared parents, and an unbindable root cannot be
   * cloned or bound from: start rslave, apply those two last (finalize). */
  unsigned long initial =
      (prop & (MS_SHARED | MS_UNBINDABLE)) ? (MS_SLAVE | MS_REC) : prop;
  if (mount(NULL, "/", NULL, initial, NULL) < 0)
    return werr_sys(err, "make / %s",
                    m->c->linux_.rootfsPropagation ? m->c->linux_.rootfsPropagation
                                                    : "rprivate");
  /* The root mount is a detached copy of the rootfs (or ward's idmapped
   * one) attached over it by fd: no path lookup, and the fd we keep names
   * the new mount itself, for the mounts below and for pivot_root. */
  int tree = m->rootfs_idmap_fd;
  if (tree < 0) {
    tree = (int)syscall(SYS_open_tree, m->rootfs_fd, "",
                        OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE |
                            AT_EMPTY_PATH);
    if (tree < 0)
      return werr_sys(err, "bind rootfs %s", m->rootfs);
  }
  if (syscall(SYS_move_mount, tree, "", m->rootfs_fd, "",
              MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
    werr_sys(err, "attach rootfs %s", m->rootfs);
    if (tree != m->rootfs_idmap_fd)
      close(tree);
    return -1;
  }
  m->root_mount_fd = tree;
  for (size_t i = 0; i < m->c->mounts_len; i++)
    if (mount_one(m, tree, i, err) < 0)
      return -1;
  return dev_setup(tree, m->c, m->userns, err);
}

int mount_pivot(const struct mount_ctx *m, bool no_pivot, werr_t *err) {
  if (fchdir(m->root_mount_fd) < 0)
    return werr_sys(err, "chdir %s", m->rootfs);
  if (no_pivot) {
    if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
      return werr_sys(err, "move %s to /", m->rootfs);
    if (chroot(".") < 0)
      return werr_sys(err, "chroot %s", m->rootfs);
    if (chdir("/") < 0)
      return werr_sys(err, "chdir /");
    return 0;
  }
  _cleanup_close_ int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0)
    return werr_sys(err, "open /");
  /* pivot_root(".", ".") stacks the old root on top of the new one; it is
   * then detached without needing a directory for it in the image. */
  if (syscall(SYS_pivot_root, ".", ".") < 0)
    return werr_sys(err, "pivot_root %s", m->rootfs);
  if (fchdir(oldroot) < 0)
    return werr_sys(err, "chdir old root");
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return werr_sys(err, "make old root rslave");
  if (umount2(".", MNT_DETACH) < 0)
    return werr_sys(err, "detach old root");
  if (chdir("/") < 0)
    return werr_sys(err, "chdir /");
  return 0;
}

static int mask_path(int rootfd, const char *p, werr_t *err) {
  /* Followed, inside the root: masking an image's symlink itself would
   * leave its target readable. */
  _cleanup_close_ int fd = open_in_root(rootfd, p, O_PATH, 0, NULL);
  if (fd < 0) {
    if (errno == ENOENT)
      return 0;
    return werr_sys(err, "maskedPaths: open %s", p);
  }
  struct stat st;
  if (fstat(fd, &st) < 0)
    return werr_sys(err, "maskedPaths: stat %s", p);
  char target[FD_PATH_MAX];
  fd_path(fd, target);
  if (S_ISDIR(st.st_mode)) {
    if (mount("tmpfs", target, "tmpfs", MS_RDONLY, "size=0k,mode=0555") < 0)
      return werr_sys(err, "maskedPaths: mount tmpfs on %s", p);
  } else if (mount("/dev/null", target, NULL, MS_BIND, NULL) < 0) {
    return werr_sys(err, "maskedPaths: bind /dev/null on %s", p);
  }
  return 0;
}

static int readonly_path(int rootfd, const char *p, werr_t *err) {
  _cleanup_close_ int fd = open_in_root(rootfd, p, O_PATH, 0, NULL);
  if (fd < 0) {
    if (errno == ENOENT)
      return 0;
    return werr_sys(err, "readonlyPaths: open %s", p);
  }
  char target[FD_PATH_MAX];
  fd_path(fd, target);
  if (mount(target, target, NULL, MS_BIND | MS_REC, NULL) < 0)
    return werr_sys(err, "readonlyPaths: bind %s", p);
  _cleanup_close_ int top = open_in_root(rootfd, p, O_PATH, 0, err);
  if (top < 0)
    return -1;
  fd_path(top, target);
  if (mount(NULL, target, NULL,
            MS_REMOUNT | MS_BIND | MS_RDONLY | mount_locked_flags(top),
            NULL) < 0)
    return werr_sys(err, "readonlyPaths: remount %s", p);
  return 0;
}

int mount_finalize(const struct mount_ctx *m, werr_t *err) {
  const struct spec_linux *l = &m->c->linux_;
  _cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return werr_sys(err, "open /");
  for (size_t i = 0; l->maskedPaths && l->maskedPaths[i]; i++)
    if (mask_path(rootfd, l->maskedPaths[i], err) < 0)
      return -1;
  for (size_t i = 0; l->readonlyPaths && l->readonlyPaths[i]; i++)
    if (readonly_path(rootfd, l->readonlyPaths[i], err) < 0)
      return -1;
  if (m->c->root_readonly &&
      mount(NULL, "/", NULL,
            MS_REMOUNT | MS_BIND | MS_RDONLY | mount_locked_flags(rootfd),
            NULL) < 0)
    return werr_sys(err, "remount / read-only");
  unsigned long prop = propagation_flags(l->rootfsPropagation);
  if ((prop & (MS_SHARED | MS_UNBINDABLE)) &&
      mount(NULL, "/", NULL, prop, NULL) < 0)
    return werr_sys(err, "make / %s", l->rootfsPropagation);
  return 0;
}
