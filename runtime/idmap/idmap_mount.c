/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Idmapped mounts: after the maps are written, ward clones the rootfs and
 * idmapped bind mounts into detached mounts idmapped through the
 * container's user namespace (or one holding mounts[].uidMappings), for the
 * init to attach with move_mount.  Also runs the ward.idmap.chown shift,
 * which makes the rootfs idmapped mount unnecessary. */
#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "idmap_chown.h"
#include "idmap_overlay.h"
#include "idmap_pod.h"
#include "idmap_raw.h"
#include "idmap_request.h"

static bool has_option(char **opts, const char *o) {
  for (char **p = opts; p && *p; p++)
    if (strcmp(*p, o) == 0)
      return true;
  return false;
}

/* A user namespace holding UID/GID for mount_setattr: a child unshares,
 * we write its maps, keep a reference to the namespace, and let it go. */
int idmap_userns_fd(const struct spec_idmaps *uid,
                    const struct spec_idmaps *gid, int *out, werr_t *err) {
  int ready[2], hold[2];
  if (pipe2(ready, O_CLOEXEC) < 0)
    return werr_sys(err, "pipe");
  if (pipe2(hold, O_CLOEXEC) < 0) {
    close(ready[0]);
    close(ready[1]);
    return werr_sys(err, "pipe");
  }
  pid_t pid = fork();
  if (pid < 0) {
    werr_sys(err, "fork");
    close(ready[0]), close(ready[1]), close(hold[0]), close(hold[1]);
    return -1;
  }
  if (pid == 0) {
    close(ready[0]);
    close(hold[1]);
    char c = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
    if (write(ready[1], &c, 1) != 1)
      _exit(1);
    /* Stay until the parent has what it needs (EOF on hold). */
    while (read(hold[0], &c, 1) < 0 && errno == EINTR)
      ;
    _exit(0);
  }
  close(ready[1]);
  close(hold[0]);
  int rc = -1;
  char c = 0;
  ssize_t r;
  while ((r = read(ready[0], &c, 1)) < 0 && errno == EINTR)
    ;
  if (r != 1 || c != 'y') {
    werr_code(err, EPERM, "create a user namespace for an idmapped mount");
    goto out;
  }
  if (idmap_write(pid, uid, gid, err) < 0)
    goto out;
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
  *out = open(path, O_RDONLY | O_CLOEXEC);
  if (*out < 0) {
    werr_sys(err, "open %s", path);
    goto out;
  }
  rc = 0;
out:
  close(ready[0]);
  close(hold[1]);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
  return rc;
}

/* A writable idmapped mount lets container root create files owned by
 * on-disk uid 0 in the host's tree: `chmod 4755` inside plants a setuid-root
 * binary that any host user who can reach the directory runs as root.  A
 * nosuid mount cannot help (it would only change the container's view, not
 * the host's path to the same inodes), so ward refuses unless the host
 * already keeps other users out, as Incus keeps its container dirs: some
 * directory on the way from / to PATH (PATH included) is owned by root
 * (ward's user), not searchable by others, and not searchable by its group
 * unless that group is root's.  The walk goes through the resolved path,
 * component by component with O_NOFOLLOW, checking each directory on its
 * fd. */
static int check_not_reachable(const char *path, const char *what,
                               werr_t *err) {
  _cleanup_free_ char *real = realpath(path, NULL);
  if (real == NULL)
    return werr_sys(err, "%s %s", what, path);
  _cleanup_close_ int dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return werr_sys(err, "open /");
  /* The deepest root-owned directory above PATH: the one to suggest. */
  _cleanup_free_ char *suggest = NULL;
  _cleanup_free_ char *walk = strdup(real);
  if (walk == NULL)
    abort();
  char *save = NULL;
  for (char *c = strtok_r(walk, "/", &save);; c = strtok_r(NULL, "/", &save)) {
    struct stat st;
    if (fstat(dfd, &st) < 0)
      return werr_sys(err, "%s: stat a parent of %s", what, real);
    bool private = st.st_uid == geteuid() && !(st.st_mode & S_IXOTH) &&
                   (!(st.st_mode & S_IXGRP) || st.st_gid == 0);
    if (private)
      return 0;
    if (c == NULL)
      break;
    size_t done = (size_t)(c - walk);
    if (done > 1 && st.st_uid == geteuid()) {
      free(suggest);
      suggest = strndup(real, done - 1);
    }
    int next = openat(dfd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0)
      return werr_sys(err, "%s: open %s in %s", what, c, real);
    close(dfd);
    dfd = next;
  }
  return werr_code(err, EPERM,
                    "%s %s: writable and idmapped, but every directory from / "
                    "to it is searchable by other users, who could run "
                    "setuid-root files the container creates there; run "
                    "`chmod o-x %s` (or make it read-only)",
                    what, real, suggest ? suggest : real);
}

int idmap_check_not_reachable(const char *path, const char *what,
                              werr_t *err) {
  return check_not_reachable(path, what, err);
}

/* Clone PATH into a detached mount and idmap it through USERNS_FD. */
static int idmapped_clone(const char *path, bool recursive_tree,
                          bool recursive_idmap, int userns_fd, int *out,
                          werr_t *err) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
  if (recursive_tree)
    flags |= AT_RECURSIVE;
  _cleanup_close_ int fd = open_tree(AT_FDCWD, path, flags);
  if (fd < 0)
    return werr_sys(err, "open_tree %s", path);
  struct mount_attr attr = {
      .attr_set = MOUNT_ATTR_IDMAP,
      .userns_fd = (uint64_t)userns_fd,
  };
  if (mount_setattr(fd, "",
                    AT_EMPTY_PATH | (recursive_idmap ? AT_RECURSIVE : 0), &attr,
                    sizeof(attr)) < 0) {
    if (errno == EINVAL || errno == EOPNOTSUPP || errno == ENOSYS)
      return werr_sys(err,
                      "idmapped mount of %s: its filesystem (or a mount "
                      "below it) cannot be idmapped; set ward.idmap.chown=true "
                      "to shift its ownership once instead",
                      path);
    return werr_sys(err, "idmapped mount of %s", path);
  }
  *out = take_fd(fd);
  return 0;
}

/* The maps a running process's user namespace actually has. */
int idmap_read_proc_map(pid_t pid, const char *file, struct spec_idmaps *m,
                        werr_t *err) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
  _cleanup_fclose_ FILE *f = fopen(path, "re");
  if (f == NULL)
    return werr_sys(err, "open %s", path);
  *m = (struct spec_idmaps){0};
  unsigned c, h, s;
  size_t cap = 0;
  while (fscanf(f, "%u %u %u", &c, &h, &s) == 3) {
    if (m->len == cap) {
      cap = cap ? cap * 2 : 8;
      m->items = realloc(m->items, cap * sizeof(*m->items));
      if (m->items == NULL)
        abort();
    }
    m->items[m->len++] = (struct spec_idmap){c, h, s};
  }
  return 0;
}

static bool same_userns(pid_t pid) {
  struct stat a, b;
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
  if (stat("/proc/self/ns/user", &a) < 0 || stat(path, &b) < 0)
    return false;
  return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static void close_all(int *rootfs_fd, int *mount_fds, size_t n) {
  if (*rootfs_fd >= 0)
    close(*rootfs_fd);
  *rootfs_fd = -1;
  for (size_t i = 0; i < n; i++) {
    if (mount_fds[i] >= 0)
      close(mount_fds[i]);
    mount_fds[i] = -1;
  }
}

/* Does the rootfs need an idmapped mount: is its owner a stranger inside?
 * A tree already shifted (runc style, or ward.idmap.chown) is owned by a
 * mapped id and is used as it is; a tree owned by host root under an
 * allocated map is not, and gets idmapped. */
static int rootfs_needs_idmap(const char *rootfs, const struct spec_idmaps *uid,
                              const struct spec_idmaps *gid, bool *need,
                              werr_t *err) {
  struct stat st;
  if (stat(rootfs, &st) < 0)
    return werr_sys(err, "stat %s", rootfs);
  uint32_t ignored;
  *need = !idmap_map_to_container(uid, st.st_uid, &ignored) ||
          !idmap_map_to_container(gid, st.st_gid, &ignored);
  return 0;
}

static int open_userns(pid_t init_pid, int *out, werr_t *err) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/ns/user", init_pid);
  *out = open(path, O_RDONLY | O_CLOEXEC);
  if (*out < 0)
    return werr_sys(err, "open %s", path);
  return 0;
}

/* A bind source ward opens itself, as host root, before the init becomes
 * the container's root: a path that root cannot search (podman's 0700
 * userdata with hosts, resolv.conf, .containerenv, shm) is reached all the
 * same, and nothing is resolved by path after the switch.  Under
 * ward.idmap.isolated (AUTO_IDMAP) it is idmapped through the container's
 * user namespace when its filesystem supports that and it is read-only or
 * out of other users' reach (the rule for writable idmapped mounts);
 * otherwise it is bound as it is, its files owned by ids the container may
 * not map. */
static int bind_clone(const struct spec_mount *m, size_t i, pid_t init_pid,
                      bool rbind, bool auto_idmap, int *out, werr_t *err) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
  if (rbind)
    flags |= AT_RECURSIVE;
  _cleanup_close_ int fd = open_tree(AT_FDCWD, m->source, flags);
  if (fd < 0)
    return werr_sys(err, "mounts[%zu].source %s", i, m->source);
  /* rslave, as the bind in the container's rslave root would be: host
   * mounts below still show, nothing mounted inside reaches the host. */
  struct mount_attr slave = {.propagation = MS_SLAVE};
  if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &slave,
                    sizeof(slave)) < 0)
    return werr_sys(err, "mounts[%zu].source %s: make it a slave", i,
                    m->source);
  if (auto_idmap) {
    _cleanup_werr_ werr_t ignored = NULL;
    _cleanup_close_ int userns = -1;
    if ((has_option(m->options, "ro") ||
         check_not_reachable(m->source, "", &ignored) == 0) &&
        open_userns(init_pid, &userns, err) == 0) {
      struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP,
                                .userns_fd = (uint64_t)userns};
      /* Refused where the filesystem (or a mount below) cannot be
       * idmapped: the plain clone is used then. */
      mount_setattr(fd, "", AT_EMPTY_PATH | (rbind ? AT_RECURSIVE : 0), &attr,
                    sizeof(attr));
    }
  }
  *out = take_fd(fd);
  return 0;
}

static int mount_fd_for(const struct spec_config *c, size_t i, pid_t init_pid,
                        bool has_userns, bool auto_idmap, int *out,
                        werr_t *err) {
  const struct spec_mount *m = &c->mounts[i];
  bool idmap = has_option(m->options, "idmap");
  bool ridmap = has_option(m->options, "ridmap");
  bool maps = m->uidMappings.len || m->gidMappings.len;
  bool rbind = has_option(m->options, "rbind");
  bool bind = rbind || has_option(m->options, "bind") ||
              (m->type && strcmp(m->type, "bind") == 0);
  if (!idmap && !ridmap && !maps) {
    /* A relative source stays with the init, which starts in the bundle.
     * So does every source of an unprivileged ward: cloning a mount needs
     * CAP_SYS_ADMIN over the host's mount namespace, which it lacks, and
     * its sources are its own user's anyway. */
    if (!has_userns || !bind || m->source == NULL || m->source[0] != '/' ||
        geteuid() != 0)
      return 0;
    return bind_clone(m, i, init_pid, rbind, auto_idmap, out, err);
  }
  const char *dest = m->destination ? m->destination : "?";
  if (!bind)
    return werr_code(err, EINVAL,
                      "mounts[%zu] (%s): idmapped mounts need a bind mount "
                      "(options \"bind\" or \"rbind\")",
                      i, dest);
  if (maps && (!m->uidMappings.len || !m->gidMappings.len))
    return werr_code(err, EINVAL, "mounts[%zu].%s: required together with %s",
                      i, m->uidMappings.len ? "gidMappings" : "uidMappings",
                      m->uidMappings.len ? "uidMappings" : "gidMappings");
  if (m->source == NULL)
    return werr_code(err, EINVAL,
                      "mounts[%zu].source: required for a bind mount", i);
  if (!has_option(m->options, "ro")) {
    char what[64];
    snprintf(what, sizeof(what), "mounts[%zu].source", i);
    if (check_not_reachable(m->source, what, err) < 0)
      return -1;
  }
  _cleanup_close_ int userns = -1;
  if (maps) {
    if (idmap_map_check(&m->uidMappings, "mounts[].uidMappings", err) < 0 ||
        idmap_map_check(&m->gidMappings, "mounts[].gidMappings", err) < 0 ||
        idmap_userns_fd(&m->uidMappings, &m->gidMappings, &userns, err) < 0)
      return werr_prefix(err, "mounts[%zu] (%s)", i, dest);
  } else {
    if (!has_userns)
      return werr_code(
          err, EINVAL,
          "mounts[%zu] (%s): \"%s\" without uidMappings/gidMappings "
          "uses the container's user namespace, and it has none",
          i, dest, ridmap ? "ridmap" : "idmap");
    if (open_userns(init_pid, &userns, err) < 0)
      return -1;
  }
  return idmapped_clone(m->source, rbind, ridmap, userns, out, err);
}

int idmap_mount_fds(const struct spec_config *c, const char *rootfs,
                    pid_t init_pid, int *rootfs_fd, int *mount_fds,
                    werr_t *err) {
  *rootfs_fd = -1;
  for (size_t i = 0; i < c->mounts_len; i++)
    mount_fds[i] = -1;
  struct idmap_request rq;
  if (idmap_request_parse(&c->annotations, &rq, err) < 0)
    return -1;
  bool chown = rq.chown;
  bool isolated = rq.isolated;
  idmap_request_free(&rq);
  /* Without a user namespace in the config the init is in ward's: no need
   * to compare the two through /proc. */
  bool has_userns = c->linux_.namespaces[SPEC_NS_USER].present &&
                    !same_userns(init_pid);
  _cleanup_close_ int userns = -1;
  struct spec_idmaps uid = {0}, gid = {0};
  struct idmap_overlay ovl = {0};
  int rc = -1;

  if (has_userns) {
    if (idmap_read_proc_map(init_pid, "uid_map", &uid, err) < 0 ||
        idmap_read_proc_map(init_pid, "gid_map", &gid, err) < 0)
      goto out;
    if (chown) {
      bool changed;
      if (idmap_chown_rootfs(rootfs, &uid, &gid, &changed, err) < 0)
        goto out;
    }
    bool need = false, overlay = false;
    if (rootfs_needs_idmap(rootfs, &uid, &gid, &need, err) < 0)
      goto out;
    if (need && (idmap_overlay_probe(rootfs, &overlay, &ovl, err) < 0 ||
                 open_userns(init_pid, &userns, err) < 0))
      goto out;
    /* overlayfs itself cannot be idmapped: its layers are, under a new
     * overlay; what the container writes lands in the upper dir. */
    if (need && overlay &&
        idmap_overlay_mount(rootfs, &ovl, userns, &uid, &gid,
                            !c->root_readonly, rootfs_fd, err) < 0)
      goto out;
    if (need && !overlay && !c->root_readonly &&
        check_not_reachable(rootfs, "root.path", err) < 0)
      goto out;
    /* The rootfs is bound recursively, like runc's rbind of root.path. */
    if (need && !overlay &&
        idmapped_clone(rootfs, true, false, userns, rootfs_fd, err) < 0)
      goto out;
  }
  for (size_t i = 0; i < c->mounts_len; i++)
    if (mount_fd_for(c, i, init_pid, has_userns, isolated && has_userns,
                     &mount_fds[i], err) < 0)
      goto out;
  rc = 0;
out:
  if (rc < 0)
    close_all(rootfs_fd, mount_fds, c->mounts_len);
  idmap_overlay_free(&ovl);
  free(uid.items);
  free(gid.items);
  return rc;
}
