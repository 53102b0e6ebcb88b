/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The crash-consistent record of a container being made, for create and
 * for anything else that makes a container (restore): each resource is
 * named in ROOT/ID/state.json before it is made, so `delete --force`
 * undoes any prefix of the making, even after SIGKILL.  Use in this order:
 * begin, [idmap: mark then allocate], [cgroup], [pid right after the init
 * exists], done; on failure, the undo_* calls in reverse (or abort). */
#ifndef WARD_RECORD_H
#define WARD_RECORD_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup.h"
#include "container.h"
#include "state.h"

struct container_record {
  const struct ward_ctx *ctx;
  struct container_state st; /* st.dir once begun */
  int lock;                  /* ROOT/ID locked until container_record_free */
  struct cgroup_handle *cgroup;
  bool idmap_made; /* the caller's allocation succeeded: undo releases */
  pid_t pid;
  int pidfd;
  char *created, *config_copy, *cgroup_str; /* owned strings of st */
};

/* ROOT/ID appears with the record (creating, nothing made yet) and
 * CONFIG_TEXT as its config.json copy already inside, locked.  The record
 * already names C's cgroup directories and, when C may ask for one
 * (idmap_may_allocate), an idmap allocation.
 * "container \"ID\" already exists" (EEXIST) if taken. */
int container_record_begin(struct container_record *r,
                           const struct ward_ctx *ctx, const char *id,
                           const char *bundle, const char *rootfs,
                           const char *config_text,
                           const struct spec_config *c, werr_t *err);
/* Before allocating an idmap range for (root, id) that the first record
 * did not foresee (a restore's image may hold one); set r->idmap_made once
 * the allocation succeeded. */
int container_record_idmap(struct container_record *r, werr_t *err);
/* Make the recorded cgroup directories and apply RESOURCES. */
int container_record_cgroup(struct container_record *r,
                            const struct spec_resources *resources,
                            werr_t *err);
/* The init (PIDFD may be -1), before it is released. */
int container_record_pid(struct container_record *r, pid_t pid, int pidfd,
                         werr_t *err);
/* Made: no longer `creating`. */
int container_record_done(struct container_record *r, werr_t *err);

void container_record_undo_pid(struct container_record *r);
void container_record_undo_cgroup(struct container_record *r);
void container_record_undo_idmap(struct container_record *r);
void container_record_undo_begin(struct container_record *r);
/* Every undo, newest first. */
void container_record_abort(struct container_record *r);
/* Release memory and the lock (what was made stays). */
void container_record_free(struct container_record *r);

#endif
