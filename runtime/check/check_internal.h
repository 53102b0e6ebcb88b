/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the probe files of runtime/check/ (not a public face). */
#ifndef WARD_CHECK_INTERNAL_H
#define WARD_CHECK_INTERNAL_H

#include <stdint.h>

#include "check.h"

/* Fill R: STATUS and SEEN (printf); replaces what was there. */
void check_set(struct check_result *r, enum check_status status,
               const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The one fix for R (printf). */
void check_set_fix(struct check_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Not root: say what could not be seen, as a warning. */
void check_unseen(struct check_result *r, const char *what);

typedef void (*check_probe_fn)(const struct check_opts *o,
                               struct check_result *r);

/* probe_cgroup.c */
void probe_cgroup_layout(const struct check_opts *o, struct check_result *r);
void probe_cgroup_controllers(const struct check_opts *o,
                              struct check_result *r);
void probe_cgroup_delegation(const struct check_opts *o,
                             struct check_result *r);
void probe_cgroup_manager(const struct check_opts *o, struct check_result *r);
/* probe_userns.c */
void probe_userns_enabled(const struct check_opts *o, struct check_result *r);
void probe_userns_subids(const struct check_opts *o, struct check_result *r);
void probe_userns_capacity(const struct check_opts *o, struct check_result *r);
/* probe_idmap.c */
void probe_idmap_state_root(const struct check_opts *o, struct check_result *r);
void probe_idmap_rootfs(const struct check_opts *o, struct check_result *r);
void probe_idmap_overlay(const struct check_opts *o, struct check_result *r);
/* probe_kernel.c */
void probe_kernel_clone3(const struct check_opts *o, struct check_result *r);
void probe_kernel_pidfd(const struct check_opts *o, struct check_result *r);
void probe_kernel_openat2(const struct check_opts *o, struct check_result *r);
void probe_kernel_mount_api(const struct check_opts *o, struct check_result *r);
void probe_kernel_seccomp(const struct check_opts *o, struct check_result *r);
void probe_kernel_timens(const struct check_opts *o, struct check_result *r);
void probe_kernel_lsm(const struct check_opts *o, struct check_result *r);
/* probe_criu.c */
void probe_criu(const struct check_opts *o, struct check_result *r);
/* probe_net.c */
void probe_net_nft_bridge(const struct check_opts *o, struct check_result *r);
void probe_net_ward_net(const struct check_opts *o, struct check_result *r);
void probe_net_br_netfilter(const struct check_opts *o, struct check_result *r);
/* probe_leak.c */
void probe_leak_sched_debug(const struct check_opts *o, struct check_result *r);
void probe_leak_slab(const struct check_opts *o, struct check_result *r);

/* Run FN in a forked child and return its exit status (or -1): for trials
 * that need a namespace of their own, so nothing outlives them. */
int check_in_child(int (*fn)(void *arg), void *arg);

/* Run ARGV (PATH searched) with stdin from /dev/null; *OUT gets stdout
 * and stderr together (caller frees).  Returns the exit status, 127 when it
 * could not run, -1 when killed. */
int check_run(char *const argv[], char **out);

/* registry_view.c: the registry's isolated ranges (a key's idle range has
 * no root/id). */
struct check_alloc {
  char *root, *id;
  uint64_t uid_base, uid_size;
};
struct check_allocs {
  char *dir; /* the registry directory read */
  struct check_alloc *items;
  size_t len;
};
int check_isolated_allocs(struct check_allocs *out, werr_t *err);
void check_allocs_free(struct check_allocs *a);

#endif
