/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The last steps before execve, shared by the container init and `ward
 * exec`: limits, identity, capabilities, no_new_privs, seccomp. */
#ifndef WARD_PROCESS_H
#define WARD_PROCESS_H

#include "config.h"
#include "seccomp_filter.h"

/* args[0] looked up in the PATH of process.env, inside the container.
 * `exec: "foo": executable file not found in $PATH` as runc words it.
 * Also settles the env process_exec passes: process.env, plus HOME from
 * the container's /etc/passwd (else "/") when it has none, as runc does. */
int process_resolve_exe(const struct spec_process *p, char **out, werr_t *err);
/* rlimits, umask. */
int process_set_limits(const struct spec_process *p, werr_t *err);
/* process.oomScoreAdj, written while /proc/self is still ours to write:
 * before the process turns non-dumpable (its /proc files then belong to
 * the host's root, whom a user namespace does not map). */
int process_set_oom_score(const struct spec_process *p, werr_t *err);
/* How a seccomp user-notification listener leaves the process.  BEFORE
 * runs just ahead of seccomp(2) and announces the number the listener will
 * get (the lowest free fd once BEFORE is done);
 * AFTER runs under the new filter and must make at most the one call its
 * owner documents (a read that waits until the listener was taken). */
struct seccomp_handoff {
  int (*before)(void *ctx, werr_t *err);
  void (*after)(void *ctx);
  void *ctx;
};
/* Bounding set, groups, gid/uid, capabilities, no_new_privs and the seccomp
 * filter, in the order that keeps each step permitted.  The caller's next
 * call must be execve: with noNewPrivileges the filter is the last step;
 * without it the filter needs CAP_SYS_ADMIN and goes before the identity
 * and capability calls.  H (may be NULL: the listener is then closed by
 * execve) hands a notify listener on. */
int process_become_user(const struct spec_process *p,
                        struct seccomp_prog *seccomp,
                        const struct seccomp_handoff *h, werr_t *err);
/* Close every fd from 3 up, except the first PRESERVE (--preserve-fds,
 * LISTEN_FDS) and the KEEP list (at most PROCESS_KEEP_MAX). */
#define PROCESS_KEEP_MAX 16
int process_close_inherited(int preserve, const int *keep, size_t nkeep,
                            werr_t *err);
/* Mark every fd from 3 + PRESERVE on close-on-exec. */
int process_close_fds(int preserve, werr_t *err);
/* execve with process.env; returns only on failure. */
int process_exec(const struct spec_process *p, const char *exe, werr_t *err);

#endif
