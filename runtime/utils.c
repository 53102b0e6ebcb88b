/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "utils.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <linux/magic.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"

int mkdir_p(const char *path, mode_t mode, werr_t *err) {
  _cleanup_free_ char *p = xstrdup(path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/')
      continue;
    *s = '\0';
    if (mkdir(p, mode) < 0 && errno != EEXIST)
      return werr_sys(err, "mkdir %s", p);
    *s = '/';
  }
  if (mkdir(p, mode) < 0 && errno != EEXIST)
    return werr_sys(err, "mkdir %s", p);
  return 0;
}

int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t w = write(fd, p, len);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

int write_file(const char *path, const char *data, size_t len, werr_t *err) {
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                                0644);
  if (fd < 0)
    return werr_sys(err, "open %s", path);
  if (write_all(fd, data, len) < 0)
    return werr_sys(err, "write %s", path);
  return 0;
}

int write_file_str(const char *path, const char *s, werr_t *err) {
  return write_file(path, s, strlen(s), err);
}

int write_proc_file(const char *path, const char *s, werr_t *err) {
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return werr_sys(err, "open %s", path);
  struct statfs sf;
  if (fstatfs(fd, &sf) < 0)
    return werr_sys(err, "statfs %s", path);
  if (sf.f_type != PROC_SUPER_MAGIC)
    return werr_code(err, EINVAL, "%s: not on procfs, refusing to write", path);
  if (write_all(fd, s, strlen(s)) < 0)
    return werr_sys(err, "write %s", path);
  return 0;
}

int write_file_atomic(const char *path, const char *data, size_t len,
                      werr_t *err) {
  _cleanup_free_ char *tmp = xasprintf("%s.tmp.%d", path, getpid());
  if (write_file(tmp, data, len, err) < 0)
    return -1;
  if (rename(tmp, path) < 0) {
    werr_sys(err, "rename %s", path);
    unlink(tmp);
    return -1;
  }
  return 0;
}

int read_file(const char *path, char **out, size_t *len, werr_t *err) {
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return werr_sys(err, "open %s", path);
  if (read_all_fd(fd, out, len, err) < 0)
    return werr_prefix(err, "%s", path);
  return 0;
}

int proc_stat_fields(const char *path, char *state, unsigned long long *v,
                     int n) {
  _cleanup_free_ char *buf = NULL;
  if (read_file(path, &buf, NULL, NULL) < 0)
    return -1;
  char *p = strrchr(buf, ')');
  if (p == NULL || p[1] != ' ' || p[2] == '\0')
    return -1;
  *state = p[2];
  p += 3;
  for (int k = 4; k < n; k++) {
    if (*p != ' ')
      return -1;
    v[k] = strtoull(p + 1, &p, 10);
  }
  return 0;
}

static int rm_rf_at(int parent, const char *name, dev_t dev, werr_t *err) {
  struct stat st;
  if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT)
      return 0;
    return werr_sys(err, "stat %s", name);
  }
  if (S_ISDIR(st.st_mode)) {
    if (st.st_dev != dev)
      return werr_code(err, EBUSY, "%s: is a mount point, not removing", name);
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
                                     O_NOFOLLOW);
    if (fd < 0)
      return werr_sys(err, "open %s", name);
    DIR *d = fdopendir(fd);
    if (d == NULL) {
      close(fd);
      return werr_sys(err, "opendir %s", name);
    }
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL) {
      if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
        continue;
      if (rm_rf_at(dirfd(d), de->d_name, dev, err) < 0) {
        rc = -1;
        break;
      }
    }
    closedir(d);
    if (rc < 0)
      return -1;
    if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
      return werr_sys(err, "rmdir %s", name);
    return 0;
  }
  if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
    return werr_sys(err, "unlink %s", name);
  return 0;
}

int rm_rf(const char *path, werr_t *err) {
  struct stat st;
  if (lstat(path, &st) < 0)
    return errno == ENOENT ? 0 : werr_sys(err, "stat %s", path);
  if (rm_rf_at(AT_FDCWD, path, st.st_dev, err) < 0)
    return werr_prefix(err, "remove %s", path);
  return 0;
}

void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

int parse_signal(const char *s, int *sig, werr_t *err) {
  if (s == NULL || *s == '\0')
    return werr(err, "invalid signal \"\"");
  if (isdigit((unsigned char)s[0])) {
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v <= 0 || v >= NSIG)
      return werr(err, "invalid signal \"%s\"", s);
    *sig = (int)v;
    return 0;
  }
  const char *name = s;
  if (strncasecmp(name, "SIG", 3) == 0)
    name += 3;
  for (int i = 1; i < NSIG; i++) {
    const char *abbrev = sigabbrev_np(i);
    if (abbrev && strcasecmp(abbrev, name) == 0) {
      *sig = i;
      return 0;
    }
  }
  if (strncasecmp(name, "RTMIN+", 6) == 0 || strncasecmp(name, "RTMAX-", 6) == 0) {
    char *end;
    long off = strtol(name + 6, &end, 10);
    int v = name[3] == 'I' || name[3] == 'i' ? SIGRTMIN + (int)off
                                             : SIGRTMAX - (int)off;
    if (*end == '\0' && v >= SIGRTMIN && v <= SIGRTMAX) {
      *sig = v;
      return 0;
    }
  }
  return werr(err, "invalid signal \"%s\"", s);
}

int open_in_root(int rootfd, const char *path, int flags, mode_t mode,
                 werr_t *err) {
  struct open_how how = {
      .flags = (uint64_t)(flags | O_CLOEXEC),
      .mode = (flags & O_CREAT) ? mode : 0,
      .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  int fd;
  do
    fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
  while (fd < 0 && errno == EAGAIN);
  if (fd < 0)
    return werr_sys(err, "open %s in rootfs", path);
  return fd;
}

void fd_path(int fd, char buf[FD_PATH_MAX]) {
  snprintf(buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
}

static int mkdir_in_root_depth(int rootfd, const char *path, mode_t mode,
                               int depth, werr_t *err) {
  int fd = open_in_root(rootfd, path, O_PATH | O_DIRECTORY, 0, NULL);
  if (fd >= 0)
    return fd;
  if (depth > 40)
    return werr_code(err, ELOOP, "mkdir %s in rootfs: too many symlinks", path);
  _cleanup_free_ char *p = xstrdup(path);
  int parent = dup(rootfd);
  if (parent < 0)
    return werr_sys(err, "dup");
  char *save = NULL;
  _cleanup_free_ char *prefix = xstrdup("");
  for (char *comp = strtok_r(p, "/", &save); comp;
       comp = strtok_r(NULL, "/", &save)) {
    char *np = xasprintf("%s/%s", prefix, comp);
    free(prefix);
    prefix = np;
    fd = open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, 0, NULL);
    if (fd < 0 && errno == ENOENT) {
      if (mkdirat(parent, comp, mode) == 0 || errno != EEXIST) {
        fd = open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, 0, err);
      } else {
        /* A dangling symlink in the image: create what it points to, the
         * way the kernel would resolve it with this rootfs as /. */
        char target[4096];
        ssize_t n = readlinkat(parent, comp, target, sizeof(target) - 1);
        if (n < 0) {
          werr_sys(err, "mkdir %s in rootfs", prefix);
        } else {
          target[n] = '\0';
          _cleanup_free_ char *dir = xstrdup(prefix);
          *strrchr(dir, '/') = '\0';
          _cleanup_free_ char *resolved =
              target[0] == '/' ? xstrdup(target)
                               : xasprintf("%s/%s", dir, target);
          int t = mkdir_in_root_depth(rootfd, resolved, mode, depth + 1, err);
          if (t >= 0)
            close(t);
          fd = t < 0 ? -1
                     : open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, 0,
                                    err);
        }
      }
    } else if (fd < 0) {
      werr_sys(err, "open %s in rootfs", prefix);
    }
    close(parent);
    if (fd < 0)
      return -1;
    parent = fd;
  }
  return parent;
}

int mkdir_in_root(int rootfd, const char *path, mode_t mode, werr_t *err) {
  return mkdir_in_root_depth(rootfd, path, mode, 0, err);
}

int mkfile_in_root(int rootfd, const char *path, mode_t mode, werr_t *err) {
  int fd = open_in_root(rootfd, path, O_PATH, 0, NULL);
  if (fd >= 0)
    return fd;
  _cleanup_free_ char *dir = xstrdup(path);
  char *slash = strrchr(dir, '/');
  const char *base = path;
  if (slash) {
    *slash = '\0';
    base = path + (slash - dir) + 1;
  } else {
    strcpy(dir, ".");
  }
  _cleanup_close_ int dfd = mkdir_in_root(rootfd, dir[0] ? dir : "/", 0755,
                                          err);
  if (dfd < 0)
    return -1;
  int f = openat(dfd, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                 mode);
  if (f < 0 && errno != EEXIST && errno != ELOOP)
    return werr_sys(err, "create %s in rootfs", path);
  if (f >= 0)
    close(f);
  return open_in_root(rootfd, path, O_PATH, 0, err);
}
