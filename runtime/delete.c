/* SPDX-License-Identifier: GPL-2.0-or-later */
/* delete, as phases: kill, poststop hooks, cgroup, idmap, and the record
 * last.  Each step copes with its object being gone already, so a delete
 * killed half-way, or one after a killed create (whatever prefix of the
 * create's record names), can be run again. */
#include "container.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "hooks.h"
#include "idmap.h"
#include "phases.h"
#include "state_json.h"
#include "utils.h"

static void wait_pidfd(int pidfd, int ms) {
  struct pollfd p = {.fd = pidfd, .events = POLLIN};
  while (poll(&p, 1, ms) < 0 && errno == EINTR)
    ;
}

int container_kill_all_and_wait(struct container_state *st, werr_t *err) {
  struct cgroup_handle *h = NULL;
  if (st->cgroup && st->cgroup[0] && cgroup_open(st->cgroup, &h, NULL) == 0) {
    werr_t e = NULL;
    if (cgroup_signal_all(h, SIGKILL, &e) < 0)
      werr_free(&e);
    cgroup_handle_free(h);
  }
  _cleanup_close_ int pidfd = state_pidfd(st, NULL);
  if (pidfd < 0)
    return 0;
  if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0 &&
      errno != ESRCH)
    return werr_sys(err, "kill container \"%s\"", st->id);
  wait_pidfd(pidfd, 10000);
  /* Reap it if it is ours (ward run); otherwise its parent does. */
  waitpid(st->pid, NULL, WNOHANG);
  return 0;
}

/* ---- delete ----------------------------------------------------------- */

struct delete_run {
  const struct ward_ctx *ctx;
  const struct spec_config *c; /* the caller's, or NULL: read the copy */
  struct container_state *st; /* the caller's, then reloaded under the lock */
  bool own_st;
  bool force;
  int lock;
};

/* The record may have changed while we waited for the lock (a create
 * finishing, another delete): decide from the one on disk now. */
static int ph_delete_lock(void *arg, werr_t *err) {
  struct delete_run *r = arg;
  r->lock = state_lock(r->st->dir, err);
  if (r->lock < 0)
    return -1;
  struct container_state *now = NULL;
  if (state_load(r->ctx->root, r->st->id, &now, err) < 0)
    return -1;
  if (r->own_st)
    container_state_free(r->st);
  r->st = now;
  r->own_st = true;
  return 0;
}

static int ph_delete_kill(void *arg, werr_t *err) {
  struct delete_run *r = arg;
  struct container_state *st = r->st;
  enum container_status s = state_status(st);
  if ((s == STATUS_RUNNING || s == STATUS_PAUSED) && !r->force)
    return werr_code(err, EBUSY,
                     "cannot delete container \"%s\" that is not stopped: %s",
                     st->id, state_status_name(s));
  /* A killed create's processes may outlive its init: always sweep its
   * cgroup. */
  if (s == STATUS_STOPPED && !st->creating)
    return 0;
  if (s == STATUS_PAUSED && st->cgroup && st->cgroup[0]) {
    struct cgroup_handle *h = NULL;
    if (cgroup_open(st->cgroup, &h, NULL) == 0) {
      cgroup_signal_all(h, SIGKILL, NULL);
      cgroup_freeze(h, false, NULL);
      cgroup_handle_free(h);
    }
  }
  return container_kill_all_and_wait(st, err);
}

/* runtime-spec: poststop failures are logged, delete still succeeds. */
static int ph_delete_poststop(void *arg, werr_t *err) {
  struct delete_run *r = arg;
  (void)err;
  struct spec_config *own = NULL;
  const struct spec_config *c = r->c;
  if (c == NULL && spec_config_load(r->st->config, &own, NULL) == 0)
    c = own;
  if (c && c->hooks.poststop.len) {
    _cleanup_free_ char *js = state_document(r->st, "stopped", 0, false);
    hooks_run_warn(&c->hooks.poststop, "hooks.poststop", js);
  }
  spec_config_free(own);
  return 0;
}

static int ph_delete_cgroup(void *arg, werr_t *err) {
  struct delete_run *r = arg;
  if (r->st->cgroup == NULL || r->st->cgroup[0] == '\0')
    return 0;
  struct cgroup_handle *h = NULL;
  if (cgroup_open(r->st->cgroup, &h, err) < 0)
    return -1;
  int rc = cgroup_destroy(h, err);
  cgroup_handle_free(h);
  return rc;
}

static int ph_delete_idmap(void *arg, werr_t *err) {
  struct delete_run *r = arg;
  if (!r->st->idmap)
    return 0;
  return idmap_release(r->ctx->root, r->st->id, err);
}

static int ph_delete_state(void *arg, werr_t *err) {
  struct delete_run *r = arg;
  if (state_remove(r->st, err) < 0)
    return -1;
  state_sweep(r->ctx->root, r->st->id);
  return 0;
}

/* The record goes last: a delete killed before it leaves a record that
 * still names whatever was not removed yet. */
static const struct phase delete_phases[] = {
    {"lock", ph_delete_lock, NULL},
    {"kill", ph_delete_kill, NULL},
    {"poststop", ph_delete_poststop, NULL},
    {"cgroup", ph_delete_cgroup, NULL},
    {"idmap", ph_delete_idmap, NULL},
    {"state", ph_delete_state, NULL},
};

int container_delete(const struct ward_ctx *ctx, struct container_state *st,
                     const struct spec_config *c, bool force, werr_t *err) {
  struct delete_run r = {
      .ctx = ctx, .c = c, .st = st, .force = force, .lock = -1};
  int rc = phases_run("delete", delete_phases,
                      sizeof(delete_phases) / sizeof(*delete_phases), &r,
                      ctx->debug, err);
  if (r.lock >= 0)
    close(r.lock);
  if (r.own_st)
    container_state_free(r.st);
  return rc;
}

void container_sweep(const struct ward_ctx *ctx, const char *id) {
  state_sweep(ctx->root, id);
}
