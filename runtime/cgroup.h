/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A container's cgroup on a v1, v2 or hybrid host.  container.c creates it
 * before the init is released and destroys it on delete; the cgroup
 * commands (ps, pause, resume, update, events, kill --all) reopen it from
 * the string recorded in the state file. */
#ifndef WARD_CGROUP_H
#define WARD_CGROUP_H

#include <stdbool.h>
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
int cgroup_enter(struct cgroup_handle *h, pid_t pid, werr_t *err);
/* What the state file records to find the cgroup again. Caller frees. */
char *cgroup_serialize(const struct cgroup_handle *h);
int cgroup_open(const char *serialized, struct cgroup_handle **out,
                werr_t *err);
/* Remove every directory cgroup_create made (retrying while tasks drain). */
int cgroup_destroy(struct cgroup_handle *h, werr_t *err);
int cgroup_signal_all(struct cgroup_handle *h, int sig, werr_t *err);
int cgroup_pids(struct cgroup_handle *h, pid_t **pids, size_t *n,
                werr_t *err);
int cgroup_is_frozen(struct cgroup_handle *h, bool *frozen, werr_t *err);
int cgroup_freeze(struct cgroup_handle *h, bool freeze, werr_t *err);
void cgroup_handle_free(struct cgroup_handle *h);

#endif
