/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The container init: the child ward clones into the new namespaces.  Its
 * first act closes every fd it does not need; it builds the container's
 * world step by step, reporting every failure to `ward create` over the
 * sync socket, then waits on the exec fifo.  Released by `ward start`, it
 * runs the startContainer hooks, closes the rest, switches to the user,
 * loads the seccomp filter last and execs, reporting any failure to
 * `ward start` over the fifo (exec_status.h). */
#ifndef WARD_INIT_H
#define WARD_INIT_H

#include <stdbool.h>

#include "cgroup.h"
#include "config.h"
#include "ns.h"
#include "seccomp_filter.h"

struct init_args {
  const struct spec_config *c;
  const char *id;
  const char *bundle;
  const char *rootfs;
  int sync_fd;
  int fifo_fd; /* O_PATH fd of the exec fifo */
  int lock_fd; /* ward's state lock: closed at once, the init must not hold it */
  int preserve_fds;
  bool no_pivot;
  bool no_new_keyring;
  const struct ns_plan *ns;
  const struct cgroup_handle *cgroup;
  struct seccomp_prog *seccomp;
};

__attribute__((noreturn)) void container_init(const struct init_args *a);

/* Whether the init stops before pivot_root for ward to run the prestart
 * and createRuntime hooks (SYNC_PRE_PIVOT / SYNC_HOOKS_DONE).  Both sides
 * decide from the same config; without such hooks the round trip, one
 * wake-up of each process, is left out. */
static inline bool init_stops_before_pivot(const struct spec_config *c) {
  return c->hooks.prestart.len || c->hooks.createRuntime.len;
}

#endif
