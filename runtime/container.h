/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A container's life, sequenced: create (validate, allocate, clone the init,
 * wire it up, record state), start, delete (delete.c), each as named phases
 * (phases.h).  This is the only place that calls the parts in order; each
 * part owns one kernel concern.  The CLI hands the core a ward_ctx and
 * never its own option types. */
#ifndef WARD_CONTAINER_H
#define WARD_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "state.h"

/* What every core operation needs from the command line.  Messages go to
 * the process-wide log sink the CLI set up (stderr and --log). */
struct ward_ctx {
  const char *root;    /* state root, absolute */
  bool systemd_cgroup; /* --systemd-cgroup: cgroupsPath is slice:prefix:name */
  bool debug;          /* --debug: log each phase's elapsed time */
};

struct create_opts {
  const char *id;
  const char *bundle;
  const char *pid_file;
  const char *console_socket;
  int preserve_fds;
  bool no_pivot;
  bool no_new_keyring;
  bool foreground; /* `ward run` without -d: ward keeps the pty master */
  bool start_at_once; /* `ward run`: container_start follows in this process */
};

struct created {
  pid_t pid;
  int pidfd;
  int console_master; /* -1 unless foreground with a terminal */
  /* With start_at_once: the exec fifo's read end, open since before the
   * init reached the fifo, so the init goes on to exec without waiting
   * for container_start (which takes this fd over).  -1 otherwise. */
  int start_fd;
  /* The parsed config, for a `run` that starts at once (the caller frees
   * it with spec_config_free). */
  struct spec_config *config;
};

/* Create: the record (state.json) exists before anything else and names
 * each resource before it is made; a failure, SIGTERM, SIGINT or SIGHUP
 * undoes what was made and returns -1. */
int container_create(const struct ward_ctx *ctx, const struct create_opts *o,
                     struct created *out, werr_t *err);
/* RUN: what this process's create made (`run`: its config, pidfd and
 * start_fd, which start takes over), or NULL for `start`, which reads the
 * record and the state dir's copy of the config. */
int container_start(const struct ward_ctx *ctx, const char *id,
                    struct created *run, werr_t *err);
/* Kill (if FORCE, or if a killed create left it), run poststop hooks,
 * remove cgroup, idmap, state.  Every step copes with its object being
 * gone already, so a delete killed half-way can be run again.  C: the
 * config `run` already holds, or NULL to read the state dir's copy. */
int container_delete(const struct ward_ctx *ctx, struct container_state *st,
                     const struct spec_config *c, bool force, werr_t *err);
/* `delete --force ID` where ID has no record: what killed wards left. */
void container_sweep(const struct ward_ctx *ctx, const char *id);
/* Signal every process of the container and wait for the init to go. */
int container_kill_all_and_wait(struct container_state *st, werr_t *err);

/* Shared by create and exec: a console pty master to --console-socket
 * (or kept in *KEEP for a foreground run), and the --pid-file. */
int container_pass_console(const char *console_socket, int fd, int *keep,
                           werr_t *err);
int container_write_pid_file(const char *path, pid_t pid, werr_t *err);
/* root.path (relative to BUNDLE or absolute), resolved; must be a
 * directory.  Caller frees; NULL with *err set. */
char *container_resolve_rootfs(const char *bundle, const char *root_path,
                               werr_t *err);

#endif
