/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The container's filesystem view, built by the init inside its new mount
 * namespace: rootfs, mounts[], pivot_root, then maskedPaths/readonlyPaths
 * and the read-only root.  Every destination is resolved inside the rootfs
 * with openat2(RESOLVE_IN_ROOT) and mounted through /proc/self/fd/N, so a
 * symlink planted in the image cannot redirect a mount to the host. */
#ifndef WARD_MOUNT_H
#define WARD_MOUNT_H

#include <stdbool.h>

#include "cgroup.h"
#include "config.h"

struct mount_ctx {
  const struct spec_config *c;
  const char *rootfs;   /* absolute host path, for messages */
  int rootfs_fd;        /* O_PATH of the rootfs, opened by ward: the path
                         * may not be searchable by the container's root */
  int root_mount_fd;    /* out: the container's root mount (mount_rootfs) */
  int rootfs_idmap_fd;  /* detached idmapped rootfs, or -1 */
  const int *mount_fds; /* per mounts[i]: detached idmapped mount or -1 */
  const struct cgroup_handle *cgroup;
  bool userns;          /* the init runs in a new user namespace */
  bool cgroupns;        /* ... and a new cgroup namespace */
};

/* Before pivot_root: propagation, rootfs bind, every mounts[] entry. */
int mount_rootfs(struct mount_ctx *m, werr_t *err);
/* pivot_root into the root mount (or MS_MOVE + chroot with NO_PIVOT). */
int mount_pivot(const struct mount_ctx *m, bool no_pivot, werr_t *err);
/* After pivot_root: maskedPaths, readonlyPaths, readonly root, and the
 * rootfs propagation the config asked for. */
int mount_finalize(const struct mount_ctx *m, werr_t *err);
/* Flags a bind remount must keep (locked in a user namespace). */
unsigned long mount_locked_flags(int fd);

#endif
