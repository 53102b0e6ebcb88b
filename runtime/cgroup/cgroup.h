/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A container's cgroup on a v1, v2 or hybrid host.  container.c creates it
 * before the init is released and destroys it on delete; the cgroup
 * commands (ps, pause, resume, update, events, kill --all) reopen it from
 * the string recorded in the state file. */
#ifndef WARD_CGROUP_H
#define WARD_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "linux_resources.h"

struct cgroup_handle;

/* Create the cgroup(s) for container ID from linux.cgroupsPath (NULL or ""
 * for the default) and apply RESOURCES (may be NULL).  On failure nothing is
 * left behind. */
int cgroup_create(const char *id, const char *cgroupsPath, bool systemd,
                  const struct spec_resources *resources,
                  struct cgroup_handle **out, werr_t *err);
/* cgroup_create in two steps, for a caller that must record what it is
 * about to make before making it (a killed create leaves nothing that its
 * record does not name): cgroup_prepare resolves the path and finds the
 * hierarchies without touching them, and cgroup_serialize() of its handle
 * already names every directory cgroup_make may create.  cgroup_make
 * creates and applies RESOURCES; on failure it removes what it made. */
int cgroup_prepare(const char *id, const char *cgroupsPath, bool systemd,
                   struct cgroup_handle **out, werr_t *err);
int cgroup_make(struct cgroup_handle *h, const struct spec_resources *resources,
                werr_t *err);
int cgroup_enter(struct cgroup_handle *h, pid_t pid, werr_t *err);
/* On a pure v2 host, an fd of the container's directory for clone3's
 * CLONE_INTO_CGROUP (-1 elsewhere).  Every migration takes the kernel's
 * cgroup_threadgroup_rwsem for writing, which waits for an RCU grace
 * period (milliseconds); a process born in its cgroup needs none.  Call
 * cgroup_cloned_into() once the clone succeeded. */
int cgroup_clone_fd(const struct cgroup_handle *h);
void cgroup_cloned_into(struct cgroup_handle *h);
/* What the state file records to find the cgroup again. Caller frees. */
char *cgroup_serialize(const struct cgroup_handle *h);
int cgroup_open(const char *serialized, struct cgroup_handle **out,
                werr_t *err);
/* Remove every directory cgroup_create made (retrying while tasks drain). */
int cgroup_destroy(struct cgroup_handle *h, werr_t *err);
int cgroup_signal_all(struct cgroup_handle *h, int sig, werr_t *err);
int cgroup_pids(struct cgroup_handle *h, pid_t **pids, size_t *n, werr_t *err);
int cgroup_is_frozen(struct cgroup_handle *h, bool *frozen, werr_t *err);
int cgroup_freeze(struct cgroup_handle *h, bool freeze, werr_t *err);
void cgroup_handle_free(struct cgroup_handle *h);

/* The cgroup path (relative to every hierarchy root) for container ID:
 * "" -> /ward/ID, "/a/b" -> /a/b, "a/b" -> /ward/a/b, and the systemd form
 * "slice:prefix:name" -> <slice path>/prefix-name.scope.  The systemd form
 * is required with SYSTEMD and also recognised without it.  Pure; errors
 * name linux.cgroupsPath.  Caller frees. */
int cgroup_resolve_path(const char *id, const char *cgroupsPath, bool systemd,
                        char **out, werr_t *err);

/* Apply RESOURCES to a live container (`ward update`); PATH names the JSON
 * in errors ("resources").  Everything is checked first; if a write still
 * fails, the values already written are restored. */
int cgroup_update(struct cgroup_handle *h, const struct spec_resources *r,
                  const char *path, werr_t *err);

/* Mount the container's cgroups on TARGET (a directory reachable from the
 * caller, e.g. "/proc/self/fd/N"), for a config mount of type "cgroup".
 * Called by the init before pivot_root while the host's cgroup mounts are
 * visible.  v2: a fresh cgroup2 mount when the init has its own cgroup
 * namespace, else a bind of the container's directory.  v1 and hybrid: a
 * tmpfs holding one bind of the container's directory per hierarchy (plus
 * "unified" on hybrid), named as on the host.  MOUNT_FLAGS: MS_RDONLY,
 * MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_*ATIME. */
int cgroup_mount(const struct cgroup_handle *h, const char *target,
                 unsigned long mount_flags, bool own_cgroupns, werr_t *err);

/* The layout ward sees: "v1", "v2" or "hybrid". */
const char *cgroup_layout(const struct cgroup_handle *h);

/* runc's stats object ("data" of a stats event) as JSON text. */
int cgroup_stats_json(struct cgroup_handle *h, char **json, werr_t *err);
/* OOM kills so far (memory.events oom_kill on v2, memory.oom_control
 * oom_kill on v1).  -1 with *err when there is no memory controller. */
int cgroup_oom_count(struct cgroup_handle *h, uint64_t *count, werr_t *err);
/* An fd that becomes readable (poll POLLIN) when an OOM event may have
 * happened: a v1 eventfd registered on memory.oom_control, or an inotify
 * watch on v2 memory.events.  Caller closes. */
int cgroup_oom_fd(struct cgroup_handle *h, werr_t *err);
/* After cgroup_oom_fd() polled readable: drain it and say how many OOM
 * events to report (0 or 1); SEEN carries the oom_kill count between
 * calls.  -1 once the cgroup is gone. */
int cgroup_oom_drain(struct cgroup_handle *h, int fd, uint64_t *seen);

/* The host's hierarchies as ward sees them (`ward check`): a handle with
 * the layout and no container path.  Free with cgroup_handle_free. */
int cgroup_host(struct cgroup_handle **out, werr_t *err);
struct cgroup_hier_info {
  const char *name;         /* "cpu", "name=systemd", "unified" */
  const char *mnt;          /* where it is mounted */
  bool v2;
  char *const *controllers; /* v1: bound; v2: root cgroup.controllers */
};
/* The I-th hierarchy of H; false past the last. */
bool cgroup_hier_at(const struct cgroup_handle *h, size_t i,
                    struct cgroup_hier_info *out);

#endif
