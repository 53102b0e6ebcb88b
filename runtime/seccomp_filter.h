/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.seccomp in two steps: compile (in ward, before the init is cloned,
 * while the state root's BPF cache is reachable) and install (in the init,
 * the very last step before exec). */
#ifndef WARD_SECCOMP_FILTER_H
#define WARD_SECCOMP_FILTER_H

#include "config.h"
#include "linux_seccomp.h"

struct seccomp_prog;

int seccomp_filter_prepare(const struct spec_seccomp *s, const char *state_root,
                           struct seccomp_prog **out, werr_t *err);
/* *notify_fd gets the user-notification listener (or -1). */
int seccomp_filter_install(struct seccomp_prog *p, int *notify_fd,
                           werr_t *err);
/* In ward: hand the listener to linux.seccomp.listenerPath with the state. */
int seccomp_notify_forward(const struct spec_seccomp *s,
                           const char *state_json, int notify_fd, werr_t *err);
void seccomp_prog_free(struct seccomp_prog *p);

#endif
