/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Idmapped overlay layers.  The kernel (6.15+) takes overlay layers as
 * detached mounts by fd (fsconfig FSCONFIG_SET_FD on "lowerdir+",
 * "upperdir", "workdir"), so each layer is an open_tree clone idmapped with
 * mount_setattr and never attached anywhere.  The overlay is created by
 * ward, host root in the host's user namespace, so its trusted.overlay.*
 * xattrs (opaque dirs, redirects) keep their meaning; but it acts on its
 * layers as the container's root (fsuid/fsgid), since host uid 0 has no
 * image in the layers' idmap and overlayfs could not create its work dir
 * or copy anything up. */
#include "idmap_overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"
#include "utils.h"

static void push(char ***v, char *s) {
  size_t n = 0;
  while (*v && (*v)[n])
    n++;
  char **nv = realloc(*v, (n + 2) * sizeof(char *));
  if (nv == NULL)
    abort();
  nv[n] = s;
  nv[n + 1] = NULL;
  *v = nv;
}

/* mountinfo escapes ' ', '\t', '\n', '\\' and, inside overlay's options,
 * ',' and '=' as \ooo. */
static char *unoctal(const char *s, size_t len) {
  char *out = xmalloc0(len + 1), *d = out;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '\\' && i + 3 < len && s[i + 1] >= '0' &&
        s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' &&
        s[i + 3] >= '0' && s[i + 3] <= '7') {
      *d++ = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 +
                    (s[i + 3] - '0'));
      i += 3;
    } else {
      *d++ = s[i];
    }
  }
  return out;
}

/* overlayfs's own escaping in a mount(2) option string: a backslash makes
 * the next character literal (a ':' or ',' in a path). */
static void ovl_unescape(char *s) {
  char *d = s;
  for (; *s; s++) {
    if (*s == '\\' && s[1])
      s++;
    *d++ = *s;
  }
  *d = '\0';
}

static int layer_path(const char *key, char *p, werr_t *err) {
  if (p[0] != '/')
    return werr_code(err, EINVAL,
                      "rootfs overlay: %s %s is a relative path (relative to "
                      "the directory its mounter ran in, which ward cannot "
                      "know); set ward.idmap.chown=true instead",
                      key, p);
  return 0;
}

/* "lowerdir=a:b::d1::d2": layers split on unescaped ':', "::" starting a
 * data-only layer. */
static int split_lowerdir(const char *v, struct idmap_overlay *o,
                          werr_t *err) {
  size_t len = strlen(v);
  bool data = false;
  const char *start = v;
  for (size_t i = 0; i <= len; i++) {
    if (v[i] == '\\' && v[i + 1]) {
      i++;
      continue;
    }
    if (v[i] != ':' && v[i] != '\0')
      continue;
    size_t n = (size_t)(v + i - start);
    if (n == 0) {
      data = true;
    } else {
      char *p = strndup(start, n);
      if (p == NULL)
        abort();
      ovl_unescape(p);
      if (layer_path("lowerdir", p, err) < 0) {
        free(p);
        return -1;
      }
      push(data ? &o->data : &o->lower, p);
    }
    start = v + i + 1;
  }
  return 0;
}

int idmap_overlay_parse(const char *superopts, struct idmap_overlay *o,
                        werr_t *err) {
  *o = (struct idmap_overlay){0};
  const char *s = superopts;
  while (*s) {
    size_t n = strcspn(s, ",");
    const char *eq = memchr(s, '=', n);
    _cleanup_free_ char *key = unoctal(s, eq ? (size_t)(eq - s) : n);
    _cleanup_free_ char *val =
        eq ? unoctal(eq + 1, n - (size_t)(eq + 1 - s)) : NULL;
    s += n;
    if (*s == ',')
      s++;
    if (strcmp(key, "lowerdir") == 0) {
      if (split_lowerdir(val ? val : "", o, err) < 0)
        goto fail;
    } else if (strcmp(key, "lowerdir+") == 0 || strcmp(key, "datadir+") == 0) {
      /* Given by fsconfig: no escaping of their own. */
      if (layer_path(key, val ? val : "", err) < 0)
        goto fail;
      push(key[0] == 'l' ? &o->lower : &o->data, take_ptr(val));
    } else if (strcmp(key, "upperdir") == 0 || strcmp(key, "workdir") == 0) {
      if (val == NULL)
        val = xstrdup("");
      ovl_unescape(val);
      if (layer_path(key, val, err) < 0)
        goto fail;
      char **slot = key[0] == 'u' ? &o->upper : &o->work;
      free(*slot);
      *slot = take_ptr(val);
    } else if (strcmp(key, "rw") != 0 && strcmp(key, "ro") != 0) {
      push(&o->opts, val ? xasprintf("%s=%s", key, val) : take_ptr(key));
    }
  }
  if (o->lower == NULL)
    werr_code(err, EINVAL, "rootfs overlay: no lower layer in its options");
  else if ((o->upper == NULL) != (o->work == NULL))
    werr_code(err, EINVAL,
               "rootfs overlay: upperdir and workdir must come together");
  else
    return 0;
fail:
  idmap_overlay_free(o);
  return -1;
}

void idmap_overlay_free(struct idmap_overlay *o) {
  strv_free(o->lower);
  strv_free(o->data);
  strv_free(o->opts);
  free(o->upper);
  free(o->work);
  *o = (struct idmap_overlay){0};
}

/* Our own walk of mountinfo rather than libmount's: libmount unescapes the
 * super options as a whole, which turns a path's \054 back into a ',' that
 * can no longer be told from the separator. */
int idmap_overlay_probe(const char *rootfs, bool *is, struct idmap_overlay *o,
                        werr_t *err) {
  *is = false;
  struct statx stx;
  if (statx(AT_FDCWD, rootfs, 0, STATX_MNT_ID, &stx) < 0)
    return werr_sys(err, "statx %s", rootfs);
  if (!(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) ||
      !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) ||
      !(stx.stx_mask & STATX_MNT_ID))
    return 0;
  _cleanup_free_ char *text = NULL;
  if (read_file("/proc/self/mountinfo", &text, NULL, err) < 0)
    return -1;
  for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    char *f[64];
    size_t n = 0;
    for (char *s2 = NULL, *t = strtok_r(line, " ", &s2); t && n < 64;
         t = strtok_r(NULL, " ", &s2))
      f[n++] = t;
    if (n < 10 || strtoull(f[0], NULL, 10) != stx.stx_mnt_id)
      continue;
    size_t dash = 6;
    while (dash < n && strcmp(f[dash], "-") != 0)
      dash++;
    if (dash + 3 >= n)
      return 0;
    if (strcmp(f[dash + 1], "overlay") != 0 || strcmp(f[3], "/") != 0)
      return 0;
    if (idmap_overlay_parse(f[dash + 3], o, err) < 0)
      return werr_prefix(err, "%s", rootfs);
    *is = true;
    return 0;
  }
  return 0;
}

static bool host_of_root(const struct spec_idmaps *m, uint32_t *host) {
  for (size_t i = 0; i < m->len; i++)
    if (m->items[i].containerID == 0 && m->items[i].size > 0) {
      *host = m->items[i].hostID;
      return true;
    }
  return false;
}

/* A detached clone of PATH, idmapped through USERNS_FD (read-only for a
 * lower layer), private to the container: nothing it mounts below comes
 * back to the host. */
static int layer_clone(const char *path, int userns_fd, bool ro, int *out,
                       werr_t *err) {
  _cleanup_close_ int fd =
      open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (fd < 0)
    return werr_sys(err, "rootfs overlay layer %s: open_tree", path);
  struct mount_attr attr = {
      .attr_set = MOUNT_ATTR_IDMAP | (ro ? MOUNT_ATTR_RDONLY : 0),
      .userns_fd = (uint64_t)userns_fd,
      .propagation = MS_PRIVATE,
  };
  if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0) {
    if (errno == EINVAL || errno == EOPNOTSUPP || errno == ENOSYS)
      return werr_sys(err,
                      "idmapped mount of the rootfs overlay layer %s: its "
                      "filesystem cannot be idmapped; set "
                      "ward.idmap.chown=true to shift its ownership once "
                      "instead",
                      path);
    return werr_sys(err, "idmapped mount of the rootfs overlay layer %s",
                    path);
  }
  *out = take_fd(fd);
  return 0;
}

/* The kernel's own words about a refused parameter (the fs context log),
 * or "" when it said nothing. */
static void fs_log(int fs, char buf[256]) {
  int e = errno;
  ssize_t n = read(fs, buf, 255);
  errno = e;
  buf[0] = '\0';
  if (n > 2) {
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    memmove(buf, buf + 2, strlen(buf + 2) + 1); /* "e " */
  }
}

static int fs_error(int fs, const char *what, werr_t *err) {
  char log[256];
  fs_log(fs, log);
  if (log[0])
    return werr_sys(err, "rootfs overlay: %s (kernel: %s)", what, log);
  return werr_sys(err, "rootfs overlay: %s", what);
}

static int set_fd(int fs, const char *key, int fd, const char *path,
                  werr_t *err) {
  if (fsconfig(fs, FSCONFIG_SET_FD, key, NULL, fd) == 0)
    return 0;
  if (errno != EINVAL)
    return fs_error(fs, key, err);
  char log[256];
  fs_log(fs, log);
  return werr_code(err, ENOTSUP,
                    "rootfs overlay: %s %s refused as a detached idmapped "
                    "mount (kernel: %s); overlay layers by fd need Linux "
                    "6.15; set ward.idmap.chown=true instead",
                    key, path, log[0] ? log : "EINVAL");
}

/* The client's overlay stays mounted on the same upper dir (overlayfs
 * warns, and allows it without index=on).  Its work dir cannot be shared:
 * a volatile mount (podman's) marks it so that no second mount may use
 * it.  ward's own, "ward-work" beside it, is made afresh each time (a
 * volatile one left by a killed container would be refused too) and goes
 * when the client removes the snapshot. */
static char *fresh_workdir(const char *work, werr_t *err) {
  const char *slash = strrchr(work, '/');
  char *w = xasprintf("%.*s/ward-work", (int)(slash - work), work);
  if (rm_rf(w, err) < 0 || (mkdir(w, 0700) < 0 && errno != EEXIST)) {
    if (*err == NULL)
      werr_sys(err, "rootfs overlay: mkdir %s", w);
    free(w);
    return NULL;
  }
  return w;
}

/* Upper and work must be on one mount for overlayfs: one clone of their
 * common parent, each reached below it and checked to be the same
 * directory as by path (not a mount on top of it). */
static int upper_work(int fs, const struct idmap_overlay *o, int userns_fd,
                      int *tree, werr_t *err) {
  _cleanup_free_ char *work = fresh_workdir(o->work, err);
  if (work == NULL)
    return -1;
  size_t common = 0;
  for (size_t i = 0; o->upper[i] && o->upper[i] == work[i]; i++)
    if (o->upper[i] == '/')
      common = i;
  _cleanup_free_ char *parent = strndup(o->upper, common ? common : 1);
  if (parent == NULL)
    abort();
  if (layer_clone(parent, userns_fd, false, tree, err) < 0)
    return -1;
  const char *names[2] = {o->upper, work};
  const char *keys[2] = {"upperdir", "workdir"};
  for (int k = 0; k < 2; k++) {
    const char *rel = names[k] + common + 1;
    _cleanup_close_ int fd =
        openat(*tree, rel, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat a, b;
    if (fd < 0 || fstat(fd, &a) < 0)
      return werr_sys(err, "rootfs overlay: %s %s", keys[k], names[k]);
    if (stat(names[k], &b) < 0)
      return werr_sys(err, "rootfs overlay: %s %s", keys[k], names[k]);
    if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
      return werr_code(err, EINVAL,
                        "rootfs overlay: %s %s is not on the same mount as "
                        "%s",
                        keys[k], names[k], parent);
    if (set_fd(fs, keys[k], fd, names[k], err) < 0)
      return -1;
  }
  return 0;
}

/* Create the superblock acting on the layers as the container's root:
 * fsuid/fsgid its host ids, every capability kept (setfsuid drops the
 * file ones from the effective set; they are raised again). */
static int create_as(int fs, uid_t uid, gid_t gid, werr_t *err) {
  cap_t caps = cap_get_proc();
  if (caps == NULL)
    return werr_sys(err, "rootfs overlay: read capabilities");
  setfsgid(gid);
  setfsuid(uid);
  int rc = 0;
  if (cap_set_proc(caps) < 0)
    rc = werr_sys(err, "rootfs overlay: raise capabilities");
  else if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    rc = fs_error(fs, "create", err);
  int e = errno;
  setfsuid(geteuid());
  setfsgid(getegid());
  cap_set_proc(caps);
  cap_free(caps);
  errno = e;
  return rc;
}

int idmap_overlay_mount(const char *rootfs, const struct idmap_overlay *o,
                        int userns_fd, const struct spec_idmaps *uid,
                        const struct spec_idmaps *gid, bool check_upper,
                        int *out, werr_t *err) {
  uint32_t ru, rg;
  if (!host_of_root(uid, &ru) || !host_of_root(gid, &rg))
    return werr_code(err, EINVAL,
                      "rootfs %s is overlayfs: its idmapped layers need the "
                      "container's uid and gid 0 mapped",
                      rootfs);
  if (o->upper && check_upper &&
      idmap_check_not_reachable(o->upper, "rootfs overlay upperdir", err) < 0)
    return -1;
  _cleanup_close_ int fs = fsopen("overlay", FSOPEN_CLOEXEC);
  if (fs < 0)
    return werr_sys(err, "fsopen overlay");
  /* Each layer's detached tree lives as long as its open_tree fd: overlayfs
   * takes its own private clone at create, so they stay open until then. */
  size_t n = strv_len(o->lower) + strv_len(o->data) + 1, used = 0;
  _cleanup_free_ int *trees = xcalloc(n, sizeof(int));
  for (size_t i = 0; i < n; i++)
    trees[i] = -1;
  int rc = -1;
  for (int pass = 0; pass < 2; pass++)
    for (char **l = pass ? o->data : o->lower; l && *l; l++) {
      if (layer_clone(*l, userns_fd, true, &trees[used], err) < 0)
        goto out;
      if (set_fd(fs, pass ? "datadir+" : "lowerdir+", trees[used++], *l,
                 err) < 0)
        goto out;
    }
  if (o->upper && upper_work(fs, o, userns_fd, &trees[used++], err) < 0)
    goto out;
  for (char **p = o->opts; p && *p; p++) {
    _cleanup_free_ char *key = xstrdup(*p);
    char *eq = strchr(key, '=');
    if (eq)
      *eq = '\0';
    int r = eq ? fsconfig(fs, FSCONFIG_SET_STRING, key, eq + 1, 0)
               : fsconfig(fs, FSCONFIG_SET_FLAG, key, NULL, 0);
    if (r < 0) {
      fs_error(fs, *p, err);
      goto out;
    }
  }
  if (create_as(fs, ru, rg, err) < 0)
    goto out;
  int m = fsmount(fs, FSMOUNT_CLOEXEC, 0);
  if (m < 0) {
    fs_error(fs, "fsmount", err);
    goto out;
  }
  *out = m;
  rc = 0;
out:
  for (size_t i = 0; i < used; i++)
    if (trees[i] >= 0)
      close(trees[i]);
  return rc;
}
