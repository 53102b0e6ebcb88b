/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The lower half of runtime/cgroup, shared by its files (never included
 * from outside the folder but by unit tests): the host layout, the
 * container's directories in it, file helpers, the device rules, and the
 * plan type, the list of file writes linux.resources turns into.
 *
 * Layers, each using only those below it:
 *   cgroup_layout.c, cgroup_ops.c, cgroup_devices_bpf.c   (this header)
 *   cgroup_v1.c, cgroup_v2.c      per-version planners   (cgroup_plan.h)
 *   cgroup_plan.c                 linux.resources -> plan (cgroup_plan.h)
 *   cgroup.c, cgroup_stats.c, cgroup_mount.c  the public face (cgroup.h) */
#ifndef WARD_CGROUP_LAYOUT_H
#define WARD_CGROUP_LAYOUT_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup.h"

enum cg_layout { CG_LAYOUT_V1, CG_LAYOUT_V2, CG_LAYOUT_HYBRID };

/* One mounted hierarchy: a v1 one (its controllers, or "name=X" for a
 * named one) or the v2 unified one. */
struct cg_hier {
  char *name;         /* "cpu,cpuacct", "name=systemd", "unified" */
  char **controllers; /* v1: bound controllers; v2: root cgroup.controllers */
  char *mnt;          /* where it is mounted */
  bool v2;
  bool named;  /* v1 without controllers (name=systemd) */
  char *dir;   /* mnt + container path */
  int created; /* trailing path components ward created */
};

struct cgroup_handle {
  enum cg_layout layout;
  char *path; /* "/ward/ID", relative to every hierarchy root */
  struct cg_hier *h;
  size_t n;
  /* Rootless without write access to cgroupfs and nothing to limit: the
   * container runs in ward's own cgroup, as runc's rootless mode does. */
  bool none;
  bool rootless;
  /* The init was cloned straight into the v2 directory (CLONE_INTO_CGROUP):
   * cgroup_enter must not migrate it there again. */
  bool v2_entered;
};

const char *cg_layout_name(enum cg_layout l);
void cg_hier_free(struct cg_hier *x);

/* Fill h->layout and h->h: a cgroup2 /sys/fs/cgroup by statfs alone, else
 * from /proc/self/mountinfo (only mounts that are visible, so a test can
 * shadow /sys/fs/cgroup in a private mount ns). */
int cg_detect(struct cgroup_handle *h, werr_t *err);
/* Each hierarchy's dir for h->path (its mount point + the path). */
void cg_set_dirs(struct cgroup_handle *h);
/* Not real root: an unprivileged user, or root of a user namespace. */
bool cg_running_rootless(void);
/* The v1 hierarchy that has CONTROLLER bound, or NULL. */
struct cg_hier *cg_v1(const struct cgroup_handle *h, const char *controller);
/* The v2 hierarchy, or NULL. */
struct cg_hier *cg_v2(const struct cgroup_handle *h);
/* The v2 hierarchy when CONTROLLER is available in it (and not bound to
 * v1), or NULL. */
struct cg_hier *cg_v2_with(const struct cgroup_handle *h,
                           const char *controller);
bool strv_contains(char *const *v, const char *s);

/* Small file helpers; errors name the file. */
int cg_write(const char *dir, const char *file, const char *value, werr_t *err);
/* Whole file, trailing newline stripped.  Caller frees. */
int cg_read(const char *dir, const char *file, char **out, werr_t *err);
bool cg_exists(const char *dir, const char *file);
/* "key value" line of a flat keyed file (memory.events, cpu.stat). */
int cg_read_key(const char *dir, const char *file, const char *key,
                uint64_t *out);
int cg_read_u64(const char *dir, const char *file, uint64_t *out);

/* The plan. */
enum cg_check { CG_CHECK_NONE, CG_CHECK_KMEM };
struct cg_op {
  char *dir, *file, *value;
  char *field;  /* JSON path named in errors */
  bool restore; /* single-value file: read before, restore on failure */
  enum cg_check check;
  char *old; /* filled while applying */
};
struct cg_plan {
  struct cg_op *ops;
  size_t n;
  /* v2 device filter: loaded while planning, attached last. */
  int bpf_prog;
  char *bpf_dir;
  char *bpf_field;
};
void cg_plan_init(struct cg_plan *p);
void cg_plan_free(struct cg_plan *p);
void cg_plan_add(struct cg_plan *p, const char *dir, const char *file,
                 const char *field, bool restore, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
int cg_plan_apply(struct cg_plan *p, werr_t *err);
/* memory.kernel and kernelTCP, deprecated in the runtime-spec: where the
 * kernel has no such knob, one warning and go on (runc 1.1 ignores them
 * everywhere).  Unlike cg_unsupported() this weakens no limit the kernel
 * could still enforce. */
void cg_deprecated_ignored(const char *field, const char *why);
/* "the memory controller": error for a knob with nowhere to go. */
int cg_unsupported(werr_t *err, const char *field, const char *why, ...)
    __attribute__((format(printf, 3, 4)));

/* Device rules: the config's, then runc's default allowed devices, then
 * linux.devices.  Caller frees. */
struct spec_res_device_rule *cg_device_rules(const struct spec_resources *r,
                                             size_t *n);
/* cgroup_devices_bpf.c */
struct bpf_insn;
int cg_bpf_build(const struct spec_res_device_rule *rules, size_t n,
                 struct bpf_insn **out, size_t *len);
int cg_bpf_load(const struct spec_res_device_rule *rules, size_t n,
                werr_t *err);
/* Attach PROG to DIR, atomically replacing a program ward attached
 * before; other programs of ours there are detached. */
int cg_bpf_attach(const char *dir, int prog, werr_t *err);
/* Number of device programs attached directly to DIR (-1 on error). */
int cg_bpf_count(const char *dir);

/* Recursive list of the processes in DIR and its sub-cgroups. */
int cg_dir_pids(const char *dir, pid_t **pids, size_t *n, werr_t *err);

#endif
