/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A container's life, sequenced: create (validate, allocate, clone the init,
 * wire it up, record state), start, delete.  This is the only file that
 * calls the parts in order; each part owns one kernel concern. */
#ifndef WARD_CONTAINER_H
#define WARD_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "commands.h"
#include "state.h"

struct create_opts {
  const char *id;
  const char *bundle;
  const char *pid_file;
  const char *console_socket;
  int preserve_fds;
  bool no_pivot;
  bool no_new_keyring;
  bool foreground; /* `ward run` without -d: ward keeps the pty master */
};

struct created {
  pid_t pid;
  int pidfd;
  int console_master; /* -1 unless foreground with a terminal */
};

int container_create(struct global_opts *g, const struct create_opts *o,
                     struct created *out, werr_t *err);
int container_start(struct global_opts *g, const char *id, werr_t *err);
/* Kill (if FORCE), run poststop hooks, remove cgroup, idmap, state. */
int container_delete(struct global_opts *g, struct container_state *st,
                     bool force, werr_t *err);
/* Signal every process of the container and wait for the init to go. */
int container_kill_all_and_wait(struct container_state *st, werr_t *err);

#endif
