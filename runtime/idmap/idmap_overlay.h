/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An overlayfs rootfs (containerd's overlayfs snapshotter, podman's overlay
 * storage) rebuilt from idmapped layers: the same lower, upper and work
 * directories, each a detached idmapped mount through the container's user
 * namespace, under a new overlay that the init attaches as its root.  Files
 * on disk stay owned by host root and nothing is copied up. */
#ifndef WARD_IDMAP_OVERLAY_H
#define WARD_IDMAP_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "ward_error.h"

struct idmap_overlay {
  char **lower;  /* top first, as overlayfs lists them (NULL-terminated) */
  char **data;   /* data-only lower layers (datadir+ or "::") */
  char *upper;   /* NULL for a read-only overlay */
  char *work;
  char **opts;   /* every other super option: "key" or "key=value" */
};

/* Parse the super options of an overlay line of /proc/self/mountinfo (as
 * the kernel escapes them there).  Relative layer paths are refused: ward
 * cannot know the mounter's working directory. */
int idmap_overlay_parse(const char *superopts, struct idmap_overlay *o,
                        werr_t *err);
void idmap_overlay_free(struct idmap_overlay *o);

/* Is ROOTFS itself the root of an overlayfs mount (in ward's mount
 * namespace)?  Fills *O and sets *is when it is. */
int idmap_overlay_probe(const char *rootfs, bool *is, struct idmap_overlay *o,
                        werr_t *err);

/* The new overlay as a detached mount (*OUT), each layer idmapped through
 * USERNS_FD whose maps are UID/GID.  CHECK_UPPER: apply the rule of
 * writable idmapped mounts (idmap_check_not_reachable) to the upper dir. */
int idmap_overlay_mount(const char *rootfs, const struct idmap_overlay *o,
                        int userns_fd, const struct spec_idmaps *uid,
                        const struct spec_idmaps *gid, bool check_upper,
                        int *out, werr_t *err);

/* idmap_mount.c: refuse a writable idmapped PATH that other users can
 * reach (see there); WHAT names it in the error. */
int idmap_check_not_reachable(const char *path, const char *what, werr_t *err);

#endif
