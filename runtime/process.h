/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The last steps before execve, shared by the container init and `ward
 * exec`: limits, identity, capabilities, no_new_privs, seccomp. */
#ifndef WARD_PROCESS_H
#define WARD_PROCESS_H

#include "config.h"
#include "seccomp_filter.h"

/* args[0] looked up in the PATH of process.env, inside the container.
 * `exec: "foo": executable file not found in $PATH` as runc words it. */
int process_resolve_exe(const struct spec_process *p, char **out, werr_t *err);
/* rlimits, oomScoreAdj, umask. */
int process_set_limits(const struct spec_process *p, werr_t *err);
/* Bounding set, groups, gid/uid, capabilities, no_new_privs and the seccomp
 * filter, in the order that keeps each step permitted.  *notify_fd gets a
 * seccomp user-notification listener, if the profile asked for one. */
int process_become_user(const struct spec_process *p,
                        struct seccomp_prog *seccomp, int *notify_fd,
                        werr_t *err);
/* Mark every fd from 3 + PRESERVE on close-on-exec. */
int process_close_fds(int preserve, werr_t *err);
/* execve with process.env; returns only on failure. */
int process_exec(const struct spec_process *p, const char *exe, werr_t *err);

#endif
