/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A checkpointed container with its own user namespace: what the dump
 * records of its maps, the allocation on restore (the dumped range when it
 * is free), and what CRIU needs to restore inside that namespace (an
 * idmapped root, images its root can read). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cleanup.h"
#include "idmap.h"
#include "idmap_registry.h"
#include "utils.h"

char *ckpt_idmap_kind(const char *root, const char *id) {
  _cleanup_free_ char *dir = idmap_registry_dir();
  struct idmap_registry *reg = NULL;
  werr_t e = NULL;
  if (idmap_registry_open(dir, IDMAP_READ, &reg, &e) < 0) {
    werr_free(&e);
    return NULL;
  }
  struct idmap_entry en = {0};
  char *kind = NULL;
  if (idmap_registry_find_owner(reg, root, id, &en, &e) == 1 && en.kind)
    kind = xstrdup(en.kind);
  werr_free(&e);
  idmap_entry_clear(&en);
  idmap_registry_close(reg);
  return kind;
}

/* "0 BASE SIZE" as the one line of a map, else false. */
static bool single_range(const char *map, unsigned long long *base,
                         unsigned long long *size) {
  unsigned long long inside;
  int n = 0;
  if (!map || sscanf(map, " %llu %llu %llu %n", &inside, base, size, &n) != 3)
    return false;
  return inside == 0 && map[n] == '\0';
}

static char *map_text(const struct spec_idmaps *m) {
  char *s = xstrdup("");
  for (size_t i = 0; i < m->len; i++) {
    char *t = xasprintf("%s%u %u %u\n", s, m->items[i].containerID,
                        m->items[i].hostID, m->items[i].size);
    free(s);
    s = t;
  }
  return s;
}

static bool same_map(const char *dumped, const struct spec_idmaps *now) {
  _cleanup_free_ char *t = map_text(now);
  /* /proc's spacing differs from ours: compare the numbers. */
  unsigned long long a, b;
  const char *p = dumped, *q = t;
  int n, k;
  while (sscanf(p, " %llu%n", &a, &n) == 1) {
    if (sscanf(q, " %llu%n", &b, &k) != 1 || a != b)
      return false;
    p += n;
    q += k;
  }
  return sscanf(q, " %llu", &b) != 1;
}

int ckpt_idmap_prepare(const char *root, const char *id, const char *config,
                       const char *image_dir, struct spec_config **c,
                       struct ckpt_meta *m, werr_t *err) {
  unsigned long long ub, us, gb, gs;
  bool want_same = m->idmap_kind &&
                   strcmp(m->idmap_kind, IDMAP_KIND_ISOLATED) == 0 &&
                   single_range(m->uid_map, &ub, &us) &&
                   single_range(m->gid_map, &gb, &gs) && ub == gb && us == gs &&
                   kvlist_get(&(*c)->annotations, IDMAP_ANNOT_ISOLATED) &&
                   !kvlist_get(&(*c)->annotations, IDMAP_ANNOT_BASE) &&
                   !kvlist_get(&(*c)->annotations, IDMAP_ANNOT_KEY);
  if (want_same) {
    char base[32], size[32];
    snprintf(base, sizeof(base), "%llu", ub);
    snprintf(size, sizeof(size), "%llu", us);
    kvlist_set(&(*c)->annotations, IDMAP_ANNOT_BASE, base);
    kvlist_set(&(*c)->annotations, IDMAP_ANNOT_SIZE, size);
    werr_t e = NULL;
    if (idmap_prepare(root, id, *c, &e) == 0)
      return 0;
    /* Taken since: a new range, from a config without the request. */
    werr_free(&e);
    spec_config_free(*c);
    *c = NULL;
    if (spec_config_load(config, c, err) < 0)
      return -1;
  }
  if (idmap_prepare(root, id, *c, err) < 0)
    return -1;
  const struct spec_linux *l = &(*c)->linux_;
  if (m->uid_map && (!same_map(m->uid_map, &l->uidMappings) ||
                     !same_map(m->gid_map, &l->gidMappings))) {
    if (!want_same) {
      idmap_release(root, id, NULL);
      return werr_code(err, ENOTSUP,
                       "restore: config.json's user namespace maps are not "
                       "the checkpoint's; CRIU restores the maps it dumped");
    }
    /* The range was taken since: the checkpoint moves to the new one. */
    if (ckpt_userns_remap(image_dir, *c, err) < 0) {
      idmap_release(root, id, NULL);
      return werr_prefix(err,
                         "restore: the checkpoint's ids (host %llu-%llu) are "
                         "another container's now and cannot be moved",
                         ub, ub + us - 1);
    }
    free(m->uid_map);
    free(m->gid_map);
    m->uid_map = map_text(&l->uidMappings);
    m->gid_map = map_text(&l->gidMappings);
    if (ckpt_meta_save(image_dir, m, err) < 0) {
      idmap_release(root, id, NULL);
      return -1;
    }
  }
  return 0;
}

/* A process in a new user namespace with C's maps, for the idmapped
 * mount: it only waits to be killed. */
static pid_t userns_holder(const struct spec_config *c, werr_t *err) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return werr_sys(err, "pipe");
  pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return werr_sys(err, "fork");
  }
  if (pid == 0) {
    close(p[0]);
    char ok = unshare(CLONE_NEWUSER) == 0;
    if (write(p[1], &ok, 1) != 1)
      _exit(1);
    for (;;)
      pause();
  }
  close(p[1]);
  char ok = 0;
  if (read(p[0], &ok, 1) != 1 || !ok) {
    close(p[0]);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return werr_code(err, EPERM, "restore: cannot make a user namespace");
  }
  close(p[0]);
  if (idmap_write(pid, &c->linux_.uidMappings, &c->linux_.gidMappings, err) <
      0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
  }
  return pid;
}

int ckpt_idmap_root(const struct spec_config *c, const char *rootfs,
                    const char *target, bool *done, werr_t *err) {
  *done = false;
  if (!c->linux_.namespaces[SPEC_NS_USER].present ||
      c->linux_.namespaces[SPEC_NS_USER].path || !c->linux_.uidMappings.len)
    return 0;
  pid_t holder = userns_holder(c, err);
  if (holder < 0)
    return -1;
  int rootfs_fd = -1;
  _cleanup_free_ int *fds = xmalloc0((c->mounts_len + 1) * sizeof(int));
  int rc = idmap_mount_fds(c, rootfs, holder, &rootfs_fd, fds, err);
  kill(holder, SIGKILL);
  waitpid(holder, NULL, 0);
  if (rc < 0)
    return -1;
  for (size_t i = 0; i < c->mounts_len; i++)
    if (fds[i] >= 0)
      close(fds[i]);
  if (rootfs_fd < 0)
    return 0;
  rc = (int)syscall(SYS_move_mount, rootfs_fd, "", AT_FDCWD, target,
                    0x00000004 /* MOVE_MOUNT_F_EMPTY_PATH */);
  close(rootfs_fd);
  if (rc < 0)
    return werr_sys(err, "attach the idmapped rootfs on %s", target);
  *done = true;
  return 0;
}

int ckpt_idmap_images(const char *dir, const struct spec_config *c,
                      werr_t *err) {
  const struct spec_linux *l = &c->linux_;
  if (!l->namespaces[SPEC_NS_USER].present || !l->uidMappings.len)
    return 0;
  uid_t uid = (uid_t)-1;
  gid_t gid = (gid_t)-1;
  for (size_t i = 0; i < l->uidMappings.len; i++)
    if (l->uidMappings.items[i].containerID == 0)
      uid = l->uidMappings.items[i].hostID;
  for (size_t i = 0; i < l->gidMappings.len; i++)
    if (l->gidMappings.items[i].containerID == 0)
      gid = l->gidMappings.items[i].hostID;
  if (uid == (uid_t)-1 || gid == (gid_t)-1)
    return 0;
  /* CRIU opens some images from inside the user namespace, as the
   * container's root, others before its maps exist, as host root: the
   * files stay root's and the container's root group may read them (they
   * hold its own memory). */
  (void)uid;
  _cleanup_close_ int dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dfd < 0)
    return werr_sys(err, "--image-path %s", dir);
  DIR *d = fdopendir(dup(dfd));
  if (!d)
    return werr_sys(err, "--image-path %s", dir);
  struct dirent *de;
  int rc = 0;
  while (rc == 0 && (de = readdir(d))) {
    struct stat st;
    if (de->d_type != DT_REG ||
        fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    if (fchownat(dfd, de->d_name, (uid_t)-1, gid, AT_SYMLINK_NOFOLLOW) < 0 ||
        fchmodat(dfd, de->d_name, (st.st_mode & 0700) | 0040, 0) < 0)
      rc = werr_sys(err, "give %s/%s to the container's root group", dir,
                    de->d_name);
  }
  closedir(d);
  if (rc == 0 && (fchown(dfd, (uid_t)-1, gid) < 0 || fchmod(dfd, 0710) < 0))
    rc = werr_sys(err, "give %s to the container's root group", dir);
  return rc;
}
