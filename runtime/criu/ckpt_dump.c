/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ward checkpoint`: CRIU dumps the container's tree; ward writes its own
 * files beside the images last, so only a dump that succeeded looks
 * complete.  A failed dump leaves the container running. */
#include <criu/criu.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "checkpoint.h"
#include "cleanup.h"
#include "config.h"
#include "container.h"
#include "state.h"
#include "utils.h"

/* What makes an image dir restorable: gone after a failed dump. */
static void unmark_complete(const char *dir) {
  static const char *const files[] = {CKPT_META, CKPT_STATE, CKPT_CONFIG,
                                      "inventory.img"};
  for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
    _cleanup_free_ char *p = xasprintf("%s/%s", dir, files[i]);
    unlink(p);
  }
}

static int copy_file(const char *from, const char *to, werr_t *err) {
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (read_file(from, &text, &len, err) < 0)
    return -1;
  return write_file_atomic(to, text, len, err);
}

/* Namespaces the container joined by path stay outside the image; CRIU
 * wants them named by inode under runc's keys. */
static int add_external_ns(criu_opts *co, const struct spec_config *c,
                           werr_t *err) {
  static const struct {
    enum spec_ns t;
    const char *key;
  } ext[] = {{SPEC_NS_NETWORK, "extRootNetNS"}, {SPEC_NS_PID, "extRootPidNS"}};
  for (size_t i = 0; i < sizeof(ext) / sizeof(*ext); i++) {
    const struct spec_namespace *ns = &c->linux_.namespaces[ext[i].t];
    if (!ns->present || !ns->path)
      continue;
    struct stat st;
    if (stat(ns->path, &st) < 0)
      return werr_sys(err, "linux.namespaces: %s", ns->path);
    _cleanup_free_ char *e =
        xasprintf("%s[%llu]:%s", spec_ns_procname(ext[i].t),
                  (unsigned long long)st.st_ino, ext[i].key);
    criu_local_add_external(co, e);
  }
  return 0;
}

static void thaw_unless(const struct container_state *st, bool was_paused) {
  if (was_paused || !st->cgroup || !st->cgroup[0])
    return;
  struct cgroup_handle *h = NULL;
  bool frozen = false;
  if (cgroup_open(st->cgroup, &h, NULL) < 0)
    return;
  if (cgroup_is_frozen(h, &frozen, NULL) == 0 && frozen)
    cgroup_freeze(h, false, NULL);
  cgroup_handle_free(h);
}

static int describe(const struct ward_ctx *ctx, criu_opts *co,
                    const struct container_state *st,
                    const struct spec_config *c, struct ckpt_meta *meta,
                    werr_t *err) {
  _cleanup_free_ char *cg = NULL;
  werr_t e = NULL;
  if (cgroup_resolve_path(st->id, c->linux_.cgroupsPath, st->systemd_cgroup,
                          &cg, &e) < 0)
    werr_free(&e);
  if (ckpt_meta_scan(st->pid, cg, meta, err) < 0)
    return -1;
  meta->idmap_kind = ckpt_idmap_kind(ctx->root, st->id);
  for (size_t i = 0; i < meta->n_mounts; i++)
    criu_local_add_ext_mount(co, meta->mounts[i].key, meta->mounts[i].key);
  for (int fd = 0; fd < 3; fd++) {
    const char *k = meta->stdio[fd];
    bool seen = false;
    for (int j = 0; j < fd; j++)
      seen |= meta->stdio[j] && k && strcmp(meta->stdio[j], k) == 0;
    if (k && strncmp(k, "file[", 5) == 0 && !seen)
      criu_local_add_external(co, k);
  }
  return add_external_ns(co, c, err);
}

static int run_dump(const struct ward_ctx *ctx,
                    const struct container_state *st,
                    const struct ckpt_dump_opts *o, const char *log,
                    werr_t *err) {
  struct spec_config *c = NULL;
  if (spec_config_load(st->config, &c, err) < 0)
    return -1;
  criu_opts *co = NULL;
  _cleanup_close_ int img_fd = -1, work_fd = -1;
  struct ckpt_meta meta = {0};
  int rc = -1;
  if (ckpt_opts_new(&o->c, log, &co, &img_fd, &work_fd, err) < 0)
    goto out;
  criu_local_set_pid(co, st->pid);
  criu_local_set_root(co, st->rootfs);
  criu_local_set_leave_running(co, o->leave_running || o->pre_dump);
  if (o->parent_path && criu_local_set_parent_images(co, o->parent_path) < 0) {
    werr_code(err, ENOMEM, "--parent-path");
    goto out;
  }
  {
    /* CRIU freezes through the cgroup, as with runc: a client that paused
     * the container first (containerd does) leaves tasks ptrace cannot
     * seize, and CRIU keeps a frozen cgroup frozen. */
    _cleanup_free_ char *cg = NULL;
    werr_t e = NULL;
    if (cgroup_resolve_path(st->id, c->linux_.cgroupsPath, st->systemd_cgroup,
                            &cg, &e) < 0)
      werr_free(&e);
    _cleanup_free_ char *fz = ckpt_freezer_path(cg);
    if (fz && access(fz, F_OK) == 0)
      criu_local_set_freeze_cgroup(co, fz);
  }
  if (o->pre_dump || o->parent_path) {
    bool mt = false;
    if (ckpt_mem_track(o->c.criu, &mt, err) < 0)
      goto out;
    if (o->pre_dump && !mt) {
      werr_code(
          err, ENOTSUP,
          "--pre-dump: CRIU cannot track memory changes on this kernel (no "
          "soft-dirty bits, CONFIG_MEM_SOFT_DIRTY), so there is nothing a "
          "pre-dump could save; checkpoint without it");
      goto out;
    }
    /* Without tracking, the parent's pages are still shared by CRIU's
     * page dedup; only the dirty-page shortcut is lost. */
    criu_local_set_track_mem(co, mt);
  }
  if (!o->pre_dump && describe(ctx, co, st, c, &meta, err) < 0)
    goto out;
  int r = o->pre_dump ? criu_local_pre_dump(co) : criu_local_dump(co);
  if (r < 0) {
    ckpt_criu_error(r, o->pre_dump ? "checkpoint --pre-dump" : "checkpoint",
                    &o->c, log, err);
    goto out;
  }
  if (!o->pre_dump) {
    _cleanup_free_ char *sfrom = xasprintf("%s/state.json", st->dir);
    _cleanup_free_ char *sto = xasprintf("%s/" CKPT_STATE, o->c.image_path);
    _cleanup_free_ char *cto = xasprintf("%s/" CKPT_CONFIG, o->c.image_path);
    if (copy_file(sfrom, sto, err) < 0 || copy_file(st->config, cto, err) < 0 ||
        ckpt_meta_save(o->c.image_path, &meta, err) < 0)
      goto out;
  }
  rc = 0;
out:
  ckpt_meta_free(&meta);
  if (co)
    criu_local_free_opts(co);
  spec_config_free(c);
  return rc;
}

int ckpt_dump(const struct ward_ctx *ctx, const char *id,
              const struct ckpt_dump_opts *o, werr_t *err) {
  if (o->c.lazy_pages)
    return werr_code(
        err, ENOTSUP,
        "--lazy-pages: not supported by ward (it needs CRIU's page "
        "server and lazy-pages daemon)");
  struct container_state *st = NULL;
  if (state_load(ctx->root, id, &st, err) < 0)
    return -1;
  int rc = -1;
  /* Before anything is touched: an unusable CRIU is one line. */
  if (!ckpt_usable(o->c.criu, err))
    goto out;
  enum container_status s = state_status(st);
  bool was_paused = s == STATUS_PAUSED;
  if (s != STATUS_RUNNING && s != STATUS_PAUSED) {
    werr_code(err, EINVAL, "cannot checkpoint container \"%s\": it is %s", id,
              state_status_name(s));
    goto out;
  }
  if (mkdir(o->c.image_path, 0700) < 0 && errno != EEXIST) {
    werr_sys(err, "--image-path %s", o->c.image_path);
    goto out;
  }
  /* A leftover of an earlier checkpoint must not make a failed one look
   * complete. */
  unmark_complete(o->c.image_path);
  const char *log = o->pre_dump ? "pre-dump.log" : "dump.log";
  {
    _cleanup_close_ int lock = state_lock(st->dir, err);
    if (lock < 0)
      goto out;
    if (run_dump(ctx, st, o, log, err) < 0) {
      if (!o->pre_dump)
        unmark_complete(o->c.image_path);
      thaw_unless(st, was_paused);
      goto out;
    }
  }
  if (!o->leave_running && !o->pre_dump) {
    /* CRIU ended the tree after dumping it; the container goes with it,
     * as with runc. */
    if (container_delete(ctx, st, NULL, true, err) < 0)
      goto out;
  }
  rc = 0;
out:
  container_state_free(st);
  return rc;
}
