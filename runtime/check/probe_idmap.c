/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Idmapped mounts, tried for real: open_tree(OPEN_TREE_CLONE) gives a
 * detached copy of the mount, mount_setattr(MOUNT_ATTR_IDMAP) idmaps it,
 * and closing the fd drops it; nothing is ever attached.  Overlayfs with an
 * idmapped lower layer is tried inside a throwaway mount namespace. */
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_internal.h"
#include "cleanup.h"
#include "idmap.h"
#include "utils.h"

/* A user namespace mapping 0-65535 to the default base: any map will do
 * for the trial, the kernel only needs one that is not the initial. */
static int trial_userns(int *fd, char **why) {
  struct spec_idmap m = {0, (uint32_t)IDMAP_DEFAULT_BASE, 65536};
  struct spec_idmaps maps = {&m, 1};
  _cleanup_werr_ werr_t e = NULL;
  if (idmap_userns_fd(&maps, &maps, fd, &e) < 0) {
    *why = werr_text(e);
    return -1;
  }
  return 0;
}

/* The filesystem type of the mount PATH is on. Caller frees. */
static char *fstype_of(const char *path) {
  struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");
  if (tb == NULL)
    return xstrdup("?");
  struct libmnt_fs *fs = mnt_table_find_mountpoint(tb, path, MNT_ITER_BACKWARD);
  char *t = xstrdup(fs && mnt_fs_get_fstype(fs) ? mnt_fs_get_fstype(fs) : "?");
  mnt_unref_table(tb);
  return t;
}

/* 0: PATH's filesystem can be idmapped; else errno, and *why. */
static int try_idmap(const char *path, char **why) {
  _cleanup_close_ int userns = -1;
  if (trial_userns(&userns, why) < 0)
    return EPERM;
  _cleanup_close_ int tree =
      open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0) {
    int e = errno;
    *why = xasprintf("open_tree %s: %s", path, strerror(e));
    return e;
  }
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP,
                            .userns_fd = (uint64_t)userns};
  if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0) {
    int e = errno;
    *why = xasprintf("mount_setattr(MOUNT_ATTR_IDMAP) on %s: %s", path,
                     strerror(e));
    return e;
  }
  return 0; /* closing TREE drops the detached copy */
}

static void idmap_row(struct check_result *r, const char *what,
                      const char *path, bool missing_is_parent) {
  if (geteuid() != 0) {
    check_unseen(r, "idmapped mounts need root");
    return;
  }
  _cleanup_free_ char *type = fstype_of(path);
  _cleanup_free_ char *why = NULL;
  int e = try_idmap(path, &why);
  if (e == 0) {
    check_set(r, CHECK_OK, "%s %s (%s%s) can be idmapped", what, path, type,
              missing_is_parent ? ", the nearest existing parent" : "");
    return;
  }
  check_set(r, CHECK_WARN, "%s %s (%s) cannot be idmapped: %s", what, path,
            type, why);
  check_set_fix(r, "set the annotation ward.idmap.chown=true (shift the "
                   "rootfs once), or keep rootfs on a filesystem that "
                   "supports idmapped mounts (ext4, xfs, btrfs, tmpfs)");
}

void probe_idmap_state_root(const struct check_opts *o,
                            struct check_result *r) {
  /* The state root may not exist yet: its filesystem is its parent's. */
  _cleanup_free_ char *p = xstrdup(o->state_root);
  struct stat st;
  bool parent = false;
  while (stat(p, &st) < 0 && strcmp(p, "/") != 0) {
    char *slash = strrchr(p, '/');
    if (slash == p)
      slash[1] = '\0';
    else
      *slash = '\0';
    parent = true;
  }
  idmap_row(r, "state root", p, parent);
}

void probe_idmap_rootfs(const struct check_opts *o, struct check_result *r) {
  if (o->rootfs == NULL) {
    check_set(r, CHECK_OK, "not tried (ward check --rootfs DIR tries one)");
    return;
  }
  struct stat st;
  if (stat(o->rootfs, &st) < 0 || !S_ISDIR(st.st_mode)) {
    check_set(r, CHECK_FAIL, "--rootfs %s: not a directory", o->rootfs);
    return;
  }
  idmap_row(r, "rootfs", o->rootfs, false);
}

struct overlay_trial {
  const char *dir;
  int userns;
  int step; /* what failed */
  int err;
};

/* In a child with its own mount namespace: a tmpfs on DIR, an idmapped
 * clone of DIR/lower attached at DIR/idm, an overlay over it.  The
 * namespace dies with the child, taking every mount along. */
static int overlay_child(void *arg) {
  struct overlay_trial *t = arg;
  char p[4][4096];
  static const char *const sub[] = {"lower", "upper", "work", "merged"};
  t->step = 1;
  if (unshare(CLONE_NEWNS) < 0 ||
      mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
      mount("ward-check", t->dir, "tmpfs", 0, "mode=0700") < 0)
    goto fail;
  for (int i = 0; i < 4; i++) {
    snprintf(p[i], sizeof(p[i]), "%s/%s", t->dir, sub[i]);
    if (mkdir(p[i], 0755) < 0)
      goto fail;
  }
  char idm[4096];
  snprintf(idm, sizeof(idm), "%s/idm", t->dir);
  if (mkdir(idm, 0755) < 0)
    goto fail;
  t->step = 2;
  int tree = open_tree(AT_FDCWD, p[0], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP,
                            .userns_fd = (uint64_t)t->userns};
  if (tree < 0 || mount_setattr(tree, "", AT_EMPTY_PATH, &attr,
                                sizeof(attr)) < 0 ||
      move_mount(tree, "", AT_FDCWD, idm, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    goto fail;
  t->step = 3;
  char opts[3 * 4096 + 64];
  snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", idm,
           p[1], p[2]);
  if (mount("overlay", p[3], "overlay", 0, opts) < 0)
    goto fail;
  t->step = 0;
  return 0;
fail:
  t->err = errno;
  return 1;
}

void probe_idmap_overlay(const struct check_opts *o, struct check_result *r) {
  (void)o;
  if (geteuid() != 0) {
    check_unseen(r, "overlayfs with idmapped layers needs root");
    return;
  }
  _cleanup_free_ char *why = NULL;
  _cleanup_close_ int userns = -1;
  if (trial_userns(&userns, &why) < 0) {
    check_set(r, CHECK_WARN, "%s", why);
    return;
  }
  char dir[] = "/tmp/ward-check-XXXXXX";
  if (mkdtemp(dir) == NULL) {
    check_set(r, CHECK_WARN, "mkdtemp /tmp: %s", strerror(errno));
    return;
  }
  struct overlay_trial *t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (t == MAP_FAILED)
    abort();
  *t = (struct overlay_trial){.dir = dir, .userns = userns, .step = 1};
  int rc = check_in_child(overlay_child, t);
  rmdir(dir);
  static const char *const what[] = {"", "set up a private tmpfs",
                                     "idmap the lower layer",
                                     "mount overlay on the idmapped layer"};
  if (rc == 0 && t->step == 0)
    check_set(r, CHECK_OK,
              "overlay mounts on an idmapped lower layer (tried in a "
              "private mount namespace)");
  else
    check_set(r, CHECK_WARN, "cannot %s: %s",
              what[t->step > 0 && t->step < 4 ? t->step : 1],
              strerror(t->err));
  if (r->status != CHECK_OK)
    check_set_fix(r, "a kernel >= 5.19 mounts overlayfs on idmapped "
                     "layers; else idmap the merged rootfs instead");
  munmap(t, sizeof(*t));
}
