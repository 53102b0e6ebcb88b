/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "record.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "idmap.h"
#include "utils.h"

#define CONFIG_COPY "config.json"

static int save(struct container_record *r, werr_t *err) {
  return state_save(&r->st, err);
}

int container_record_begin(struct container_record *r,
                           const struct ward_ctx *ctx, const char *id,
                           const char *bundle, const char *rootfs,
                           const char *config_text,
                           const struct spec_config *c, werr_t *err) {
  *r = (struct container_record){.ctx = ctx, .lock = -1, .pidfd = -1};
  /* Everything the create may make is named in the first record, so the
   * record is written once here and not again before each step: the
   * cgroup directories (computed, not made), and an idmap allocation if
   * the config may ask for one.  Undoing what was never made is a no-op. */
  if (cgroup_prepare(id, c->linux_.cgroupsPath, ctx->systemd_cgroup,
                     &r->cgroup, err) < 0)
    return -1;
  r->cgroup_str = cgroup_serialize(r->cgroup);
  state_sweep(ctx->root, id);
  r->created = now_rfc3339();
  /* poststop hooks and exec read the config as it was at create; the
   * path is known before the directory exists under its name. */
  _cleanup_free_ char *dir = state_dir(ctx->root, id);
  r->config_copy = xasprintf("%s/" CONFIG_COPY, dir);
  r->st = (struct container_state){
      .id = (char *)id,
      .bundle = (char *)bundle,
      .rootfs = (char *)rootfs,
      .created = r->created,
      .config = r->config_copy,
      .cgroup = r->cgroup_str,
      .idmap = idmap_may_allocate(c),
      .systemd_cgroup = ctx->systemd_cgroup,
      .annotations = c->annotations,
      .creating = true,
      .creator = getpid(),
      .creator_start = proc_start_time(getpid()),
  };
  r->lock = state_claim(ctx->root, &r->st, CONFIG_COPY, config_text, err);
  return r->lock < 0 ? -1 : 0;
}

int container_record_idmap(struct container_record *r, werr_t *err) {
  if (r->st.idmap)
    return 0;
  r->st.idmap = true;
  return save(r, err);
}

/* The directories are named in the record since container_record_begin:
 * a create killed half-way through cgroup_make leaves only what it names.
 * Saved again only if making them changed the names. */
int container_record_cgroup(struct container_record *r,
                            const struct spec_resources *resources,
                            werr_t *err) {
  if (cgroup_make(r->cgroup, resources, err) < 0)
    return -1;
  char *now = cgroup_serialize(r->cgroup);
  if (strcmp(now, r->cgroup_str) == 0) {
    free(now);
    return 0;
  }
  free(r->cgroup_str);
  r->st.cgroup = r->cgroup_str = now;
  return save(r, err);
}

int container_record_pid(struct container_record *r, pid_t pid, int pidfd,
                         werr_t *err) {
  r->pid = pid;
  r->pidfd = pidfd;
  r->st.pid = pid;
  r->st.pid_start = proc_start_time(pid);
  return save(r, err);
}

int container_record_done(struct container_record *r, werr_t *err) {
  r->st.creating = false;
  return save(r, err);
}

void container_record_undo_pid(struct container_record *r) {
  if (r->pid <= 0)
    return;
  if (r->pidfd >= 0)
    syscall(SYS_pidfd_send_signal, r->pidfd, SIGKILL, NULL, 0);
  else
    kill(r->pid, SIGKILL);
  waitpid(r->pid, NULL, 0);
  r->pid = 0;
}

void container_record_undo_cgroup(struct container_record *r) {
  if (r->cgroup == NULL)
    return;
  werr_t e = NULL;
  cgroup_destroy(r->cgroup, &e);
  werr_free(&e);
}

/* Only what this maker allocated: a failed allocation changed nothing,
 * and an entry under the same (root, id) may be a live container's whose
 * state dir was removed. */
void container_record_undo_idmap(struct container_record *r) {
  if (!r->idmap_made)
    return;
  werr_t e = NULL;
  idmap_release(r->ctx->root, r->st.id, &e);
  werr_free(&e);
  r->idmap_made = false;
}

void container_record_undo_begin(struct container_record *r) {
  if (r->st.dir == NULL)
    return; /* never claimed: ROOT/ID may be another container's */
  werr_t e = NULL;
  state_remove(&r->st, &e);
  werr_free(&e);
}

void container_record_abort(struct container_record *r) {
  container_record_undo_pid(r);
  container_record_undo_cgroup(r);
  container_record_undo_idmap(r);
  container_record_undo_begin(r);
}

void container_record_free(struct container_record *r) {
  cgroup_handle_free(r->cgroup);
  r->cgroup = NULL;
  if (r->pidfd >= 0)
    close(r->pidfd);
  r->pidfd = -1;
  if (r->lock >= 0)
    close(r->lock);
  r->lock = -1;
  free(r->st.dir);
  r->st.dir = NULL;
  free(r->created);
  free(r->config_copy);
  free(r->cgroup_str);
  r->created = r->config_copy = r->cgroup_str = NULL;
}
