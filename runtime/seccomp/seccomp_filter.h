/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.seccomp in two steps: compile (in ward, before the init is cloned,
 * while the state root's BPF cache is reachable) and install (in the init,
 * the very last step before exec). */
#ifndef WARD_SECCOMP_FILTER_H
#define WARD_SECCOMP_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "linux_seccomp.h"

struct seccomp_prog;

/* Where compiled filters are kept host-wide: root-owned 0700, on tmpfs like
 * the idmap registry, at most 64 entries (seccomp_cache.c). */
#define SECCOMP_CACHE_DIR "/run/ward-cache/seccomp"

/* *out is NULL when S is NULL (no linux.seccomp).  CACHE_DIR is where
 * compiled filters are kept (SECCOMP_CACHE_DIR); NULL: nothing is cached. */
int seccomp_filter_prepare(const struct spec_seccomp *s, const char *cache_dir,
                           struct seccomp_prog **out, werr_t *err);
/* *notify_fd gets the user-notification listener (or -1); it is O_CLOEXEC.
 * Only seccomp(2) runs here: no allocation before the syscall, so the
 * filter can be loaded from any point the caller picks.  Without
 * noNewPrivileges the caller must still hold CAP_SYS_ADMIN. */
int seccomp_filter_install(struct seccomp_prog *p, int *notify_fd,
                           werr_t *err);
/* In ward: hand the listener to linux.seccomp.listenerPath with the state.
 * STATE_JSON is the container's OCI state object (what `ward state` prints,
 * status "creating"); it becomes the "state" member of the container
 * process state sent to the agent. */
int seccomp_notify_forward(const struct spec_seccomp *s,
                           const char *state_json, int notify_fd, werr_t *err);
/* In ward: take the listener the init reports by number (fd REMOTE_FD in
 * the process behind PIDFD), with pidfd_getfd(2), as runc does: no
 * sendmsg under the new filter.  The init must keep the fd open until ward
 * acknowledges the copy.  (*err)->errnum is EBADF while REMOTE_FD is not
 * open yet (the init has not loaded its filter). */
int seccomp_notify_fetch(int pidfd, int remote_fd, werr_t *err);
void seccomp_prog_free(struct seccomp_prog *p);
/* Does loading P create a user-notification listener? */
bool seccomp_prog_has_listener(const struct seccomp_prog *p);

/* For tests and `make bench`. */
bool seccomp_prog_from_cache(const struct seccomp_prog *p);
size_t seccomp_prog_len(const struct seccomp_prog *p);

#endif
