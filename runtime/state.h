/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state store: ROOT/ID/state.json plus the exec fifo and a lock.
 * Survives ward exiting; every later invocation (kill, state, delete, ps,
 * pause, update ...) starts with state_load().
 *
 * Crash consistency: ROOT/ID appears with its record already in it
 * (state_claim), and the record names each resource before it is made
 * (cgroup directories, idmap allocation, init pid), so whatever prefix of
 * create ran, `delete --force` finds and undoes all of it.  A directory
 * half-made or half-removed by a killed ward is a dot entry
 * (.new.PID/.del.PID) that state_sweep() removes once PID is gone. */
#ifndef WARD_STATE_H
#define WARD_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "json.h"
#include "ward_error.h"

enum container_status {
  STATUS_CREATING,
  STATUS_CREATED,
  STATUS_RUNNING,
  STATUS_PAUSED,
  STATUS_STOPPED,
};

/* The fifo the init waits on in the container's state directory: `start`
 * opens it to let the init go, and reads the init's exec status from it. */
#define EXEC_FIFO "exec.fifo"

struct container_state {
  char *id;
  char *bundle;      /* absolute */
  char *rootfs;      /* absolute */
  char *created;     /* RFC 3339, UTC, nanoseconds */
  pid_t pid;         /* the container init (host pid) */
  uint64_t pid_start; /* /proc/PID/stat field 22, guards pid reuse */
  char *cgroup;      /* cgroup_serialize() output */
  bool systemd_cgroup;
  char *config;      /* absolute path of config.json, for hooks/delete */
  struct kvlist annotations;
  /* Set while create runs: CREATOR (pid + start time) is the ward doing
   * it; a record still creating after its creator died is a killed
   * create that delete --force cleans up. */
  bool creating;
  pid_t creator;
  uint64_t creator_start;
  bool idmap; /* an idmap allocation may exist under (root, id) */
  /* Filled by state_load(), not stored. */
  char *dir;
};

/* The OCI state document of ST (`ward state`, hooks' stdin), with STATUS
 * and PID (0: omitted) as the caller knows them.  Caller frees. */
char *state_document(const struct container_state *st, const char *status,
                     pid_t pid, bool pretty);

/* A valid id is 1..1024 chars of [A-Za-z0-9_+.-], not "." or "..". */
int state_validate_id(const char *id, werr_t *err);
char *state_dir(const char *root, const char *id);
/* "container \"ID\" does not exist" when missing (errno ENOENT). */
int state_load(const char *root, const char *id,
               struct container_state **out, werr_t *err);
int state_save(const struct container_state *st, werr_t *err);
/* Make ROOT/ID atomically with ST's record and CONFIG_TEXT (as
 * CONFIG_NAME) already inside: built as ROOT/.new.PID, locked, then
 * renamed into place without replacing anything ("container \"ID\"
 * already exists", EEXIST).  Sets st->dir; returns the lock fd. */
int state_claim(const char *root, struct container_state *st,
                const char *config_name, const char *config_text,
                werr_t *err);
/* Remove ST's directory so that a kill half-way leaves no record without
 * its resources: it is renamed out of the way first. */
int state_remove(const struct container_state *st, werr_t *err);
/* Remove what killed wards left in ROOT: .new.PID/.del.PID entries whose
 * PID is gone, and ROOT/ID itself if it holds no record (a create killed
 * by an older ward).  Best effort. */
void state_sweep(const char *root, const char *id);
void container_state_free(struct container_state *st);
/* The status as it is now: stopped once the init is gone, paused when the
 * cgroup is frozen, created while the init still waits on the exec fifo. */
enum container_status state_status(const struct container_state *st);
/* state_status() for an init known to be alive (state_pidfd() pins it),
 * with the container's cgroup CG already open (NULL: none to look at). */
struct cgroup_handle;
enum container_status state_status_live(const struct container_state *st,
                                        struct cgroup_handle *cg);
const char *state_status_name(enum container_status s);
/* Is the recorded init (same pid *and* start time) still alive? */
bool state_init_alive(const struct container_state *st);
/* A pidfd for the recorded init, or -1 with ESRCH if it is gone/reused. */
int state_pidfd(const struct container_state *st, werr_t *err);
/* Exclusive lock on ROOT/ID (held until the fd is closed). */
int state_lock(const char *dir, werr_t *err);
uint64_t proc_start_time(pid_t pid);

#endif
