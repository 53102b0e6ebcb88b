/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.namespaces: which to create (clone flags), which to join (fds
 * opened up front so a bad path fails before anything exists), and the
 * time namespace whose offsets must be written before anyone enters it. */
#ifndef WARD_NS_H
#define WARD_NS_H

#include <stdbool.h>

#include "config.h"

struct ns_plan {
  int join_fd[SPEC_NS_COUNT]; /* -1: not joined */
  bool create[SPEC_NS_COUNT];
};

int ns_plan_open(const struct spec_config *c, struct ns_plan *p, werr_t *err);
void ns_plan_close(struct ns_plan *p);
/* Flags for clone3: everything created except cgroup (unshared by the
 * init once it sits in its cgroup) and time (see ns_prepare_parent). */
unsigned long long ns_clone_flags(const struct ns_plan *p);
/* In ward before the clone: join a pid namespace by path (it applies to
 * children) and unshare a new time namespace with the configured offsets. */
int ns_prepare_parent(const struct spec_config *c, const struct ns_plan *p,
                      werr_t *err);
/* In the init: setns() into every namespace given by path, user first;
 * errors name the path from C. */
int ns_join_in_child(const struct spec_config *c, const struct ns_plan *p,
                     werr_t *err);

#endif
