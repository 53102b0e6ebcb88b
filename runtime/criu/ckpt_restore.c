/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ward restore`: the state dir and cgroup are made as create makes them,
 * then CRIU brings the dumped tree back as ward's child, into that cgroup
 * and with the container's outside mounts and stdio handed over the way
 * the dump recorded them.  Anything that fails undoes it all. */
#include <criu/criu.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "checkpoint.h"
#include "cleanup.h"
#include "config.h"
#include "container.h"
#include "foreground.h"
#include "idmap.h"
#include "record.h"
#include "state.h"
#include "tty.h"
#include "utils.h"

static bool is_bind(const struct spec_mount *m) {
  if (m->type && strcmp(m->type, "bind") == 0)
    return true;
  for (char **o = m->options; o && *o; o++)
    if (strcmp(*o, "bind") == 0 || strcmp(*o, "rbind") == 0)
      return true;
  return false;
}

/* Where KEY's mount comes from now: the new cgroup for the container's
 * cgroup mounts, the restoring bundle's bind source when it names the
 * same destination (restore elsewhere), else the source at dump time. */
static char *ext_source(const struct ckpt_ext_mount *m,
                        const struct spec_config *c, const char *bundle,
                        const char *cgroup_path) {
  if (m->cg_base && cgroup_path)
    return xasprintf("%s%s", m->cg_base, cgroup_path);
  for (size_t i = 0; i < c->mounts_len; i++) {
    const struct spec_mount *cm = &c->mounts[i];
    if (!is_bind(cm) || !cm->source || strcmp(cm->destination, m->key) != 0)
      continue;
    return cm->source[0] == '/' ? xstrdup(cm->source)
                                : xasprintf("%s/%s", bundle, cm->source);
  }
  return xstrdup(m->source);
}

static bool under_tmpfs(const struct spec_config *c, const char *dest) {
  for (size_t i = 0; i < c->mounts_len; i++) {
    const struct spec_mount *m = &c->mounts[i];
    size_t n = m->destination ? strlen(m->destination) : 0;
    if (n && m->type && strcmp(m->type, "tmpfs") == 0 &&
        strncmp(dest, m->destination, n) == 0 && dest[n] == '/')
      return true;
  }
  return false;
}

/* Mount points as create makes them (runc does the same before a
 * restore): a rootfs that never ran this config lacks them, and CRIU
 * mounts onto what is there.  Those on a tmpfs come back with its
 * contents; cgroup mounts sit on the tmpfs ward puts at their place. */
static int prepare_mountpoints(const struct spec_config *c, const char *bundle,
                               const char *rootfs, werr_t *err) {
  _cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return werr_sys(err, "open rootfs %s", rootfs);
  for (size_t i = 0; i < c->mounts_len; i++) {
    const struct spec_mount *m = &c->mounts[i];
    if (!m->destination || under_tmpfs(c, m->destination) ||
        (m->type && strcmp(m->type, "cgroup") == 0))
      continue;
    if (!is_bind(m) || !m->source) {
      int fd = mkdir_in_root(rootfd, m->destination, 0755, err);
      if (fd < 0)
        return werr_prefix(err, "mounts: %s", m->destination);
      close(fd);
      continue;
    }
    _cleanup_free_ char *src = m->source[0] == '/'
                                   ? xstrdup(m->source)
                                   : xasprintf("%s/%s", bundle, m->source);
    struct stat st;
    if (stat(src, &st) < 0)
      return werr_sys(err, "mounts: bind source %s", src);
    int fd = S_ISDIR(st.st_mode)
                 ? mkdir_in_root(rootfd, m->destination, 0755, err)
                 : mkfile_in_root(rootfd, m->destination, 0644, err);
    if (fd < 0)
      return werr_prefix(err, "mounts: %s", m->destination);
    close(fd);
  }
  return 0;
}

struct rctx {
  const struct ckpt_restore_opts *o;
  struct spec_config *c;
  char *bundle, *rootfs, *cgroup_path;
  struct container_record rec; /* state dir, allocation, cgroup, pid */
  bool begun;                  /* rec holds a claimed state dir */
  char *criu_root;             /* mounted while CRIU runs */
  struct ckpt_meta meta;
  int master; /* foreground with a terminal: the pty master to relay */
};

static int describe(criu_opts *co, const struct rctx *x) {
  for (size_t i = 0; i < x->meta.n_mounts; i++) {
    _cleanup_free_ char *src =
        ext_source(&x->meta.mounts[i], x->c, x->bundle, x->cgroup_path);
    criu_local_add_ext_mount(co, x->meta.mounts[i].key, src);
  }
  /* The init's stdio from outside the container becomes the restoring
   * ward's own, as with runc. */
  for (int fd = 0; fd < 3; fd++) {
    const char *k = x->meta.stdio[fd];
    bool seen = false;
    for (int j = 0; j < fd; j++)
      seen |= x->meta.stdio[j] && k && strcmp(x->meta.stdio[j], k) == 0;
    if (k && !seen)
      criu_local_add_inherit_fd(co, fd, k);
  }
  if (x->cgroup_path)
    criu_local_add_cg_root(co, NULL, x->cgroup_path);
  return 0;
}

/* Notifications must be on for CRIU to hand over the new pty master
 * ("orphan-pts-master"); libcriu keeps the fd, nothing to do here. */
static int notify_ok(char *action, criu_notify_arg_t na) {
  (void)action, (void)na;
  return 0;
}

static int write_pid_file(const char *path, pid_t pid, werr_t *err) {
  char buf[32];
  int n = snprintf(buf, sizeof(buf), "%d", pid);
  if (write_file_atomic(path, buf, (size_t)n, err) < 0)
    return werr_prefix(err, "--pid-file");
  return 0;
}

/* The record, the allocation and the cgroup as create makes them
 * (record.h): each named before it exists, so that a ward killed half-way
 * leaves what `delete --force` removes. */
static int make_container(const struct ward_ctx *ctx, struct rctx *x,
                          werr_t *err) {
  const struct ckpt_restore_opts *o = x->o;
  _cleanup_free_ char *config_src = xasprintf("%s/config.json", x->bundle);
  _cleanup_free_ char *config_text = NULL;
  if (read_file(config_src, &config_text, NULL, err) < 0)
    return -1;
  if (container_record_begin(&x->rec, ctx, o->id, x->bundle, x->rootfs,
                             config_text, x->c, err) < 0)
    return -1;
  x->begun = true;
  if (container_record_idmap(&x->rec, err) < 0 ||
      ckpt_idmap_prepare(ctx->root, o->id, config_src, o->c.image_path, &x->c,
                         &x->meta, err) < 0)
    return -1;
  x->rec.idmap_made = true;
  /* The config may have been read again. */
  x->rec.st.annotations = x->c->annotations;
  return container_record_cgroup(&x->rec, x->c->linux_.resources, err);
}

static int do_restore(const struct ward_ctx *ctx, struct rctx *x, werr_t *err) {
  const struct ckpt_restore_opts *o = x->o;
  if (make_container(ctx, x, err) < 0)
    return -1;
  if (prepare_mountpoints(x->c, x->bundle, x->rootfs, err) < 0)
    return -1;
  /* CRIU wants the root to be a mount point whose parent is not
   * overmounted: a bind of the rootfs in the state dir (runc's way). */
  char *croot = xasprintf("%s/criu-root", x->rec.st.dir);
  if (mkdir(croot, 0755) < 0) {
    werr_sys(err, "mkdir %s", croot);
    free(croot);
    return -1;
  }
  bool idmapped = false;
  if (ckpt_idmap_root(x->c, x->rootfs, croot, &idmapped, err) < 0) {
    rmdir(croot);
    free(croot);
    return -1;
  }
  if (!idmapped && mount(x->rootfs, croot, NULL, MS_BIND | MS_REC, NULL) < 0) {
    werr_sys(err, "bind %s on %s", x->rootfs, croot);
    rmdir(croot);
    free(croot);
    return -1;
  }
  x->criu_root = croot;
  if (ckpt_idmap_images(o->c.image_path, x->c, err) < 0)
    return -1;

  criu_opts *co = NULL;
  _cleanup_close_ int img_fd = -1, work_fd = -1;
  if (ckpt_opts_new(&o->c, "restore.log", &co, &img_fd, &work_fd, err) < 0)
    return -1;
  criu_local_set_root(co, croot);
  criu_local_set_evasive_devices(co, true);
  criu_local_set_notify_cb(co, notify_ok);
  describe(co, x);
  int r = criu_local_restore_child(co);
  criu_local_free_opts(co);
  umount2(croot, MNT_DETACH);
  rmdir(croot);
  free(croot);
  x->criu_root = NULL;
  if (r <= 0)
    return ckpt_criu_error(r, "restore", &o->c, "restore.log", err);
  if (container_record_pid(&x->rec, r, -1, err) < 0 ||
      container_record_done(&x->rec, err) < 0)
    return -1;
  if (o->pid_file && write_pid_file(o->pid_file, r, err) < 0)
    return -1;
  if (x->c->process.terminal) {
    /* CRIU made a new pty for the restored tree and hands us its master
     * (runc's orphan-pts-master): it goes where create sends one. */
    int master = criu_get_orphan_pts_master_fd();
    if (master < 0)
      return werr_code(err, EPROTO,
                       "restore: CRIU gave no terminal for the "
                       "container's process.terminal");
    if (o->console_socket) {
      int rc = tty_send_console(o->console_socket, master, err);
      close(master);
      if (rc < 0)
        return -1;
    } else {
      x->master = master;
    }
  }
  return 0;
}

int ckpt_restore(const struct ward_ctx *ctx, const struct ckpt_restore_opts *o,
                 werr_t *err) {
  if (o->c.lazy_pages)
    return werr_code(
        err, ENOTSUP,
        "--lazy-pages: not supported by ward (it needs CRIU's page "
        "server and lazy-pages daemon)");
  if (state_validate_id(o->id, err) < 0 || !ckpt_usable(o->c.criu, err))
    return -1;
  struct rctx x = {.o = o, .master = -1};
  int rc = -1;
  x.bundle = realpath(o->bundle ? o->bundle : ".", NULL);
  if (!x.bundle)
    return werr_sys(err, "bundle %s", o->bundle ? o->bundle : ".");
  _cleanup_free_ char *config_path = xasprintf("%s/config.json", x.bundle);
  if (spec_config_load(config_path, &x.c, err) < 0)
    goto out;
  x.rootfs = container_resolve_rootfs(x.bundle, x.c->root_path, err);
  if (!x.rootfs)
    goto out;
  struct stat sb;
  if (stat(o->c.image_path, &sb) < 0) {
    werr_sys(err, "--image-path %s", o->c.image_path);
    goto out;
  }
  if (ckpt_meta_load(o->c.image_path, &x.meta, err) < 0)
    goto out;
  if (x.c->process.terminal && o->detach && !o->console_socket) {
    werr_code(err, EINVAL,
              "process.terminal is set: a detached container needs "
              "--console-socket to receive its terminal");
    goto out;
  }
  if (!x.c->process.terminal && o->console_socket) {
    werr_code(err, EINVAL,
              "--console-socket given but process.terminal is false");
    goto out;
  }
  werr_t e = NULL;
  if (cgroup_resolve_path(o->id, x.c->linux_.cgroupsPath, ctx->systemd_cgroup,
                          &x.cgroup_path, &e) < 0) {
    *err = e;
    goto out;
  }
  if (do_restore(ctx, &x, err) < 0) {
    if (x.master >= 0)
      close(x.master);
    if (x.criu_root) {
      umount2(x.criu_root, MNT_DETACH);
      rmdir(x.criu_root);
      free(x.criu_root);
    }
    if (x.begun)
      container_record_abort(&x.rec);
    goto out;
  }
  rc = 0;
  pid_t pid = x.rec.pid;
  /* Released before waiting: the container is made. */
  container_record_free(&x.rec);
  x.begun = false;
  if (!o->detach) {
    /* In the foreground, as `ward run`: the container's exit is ours. */
    rc = foreground_wait(pid, -1, x.master, err);
  }
  if (x.master >= 0)
    close(x.master);
out:
  if (x.begun)
    container_record_free(&x.rec);
  ckpt_meta_free(&x.meta);
  spec_config_free(x.c);
  free(x.bundle);
  free(x.rootfs);
  free(x.cgroup_path);
  return rc;
}
