/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ward.idmap.chown=true: instead of an idmapped mount, shift the rootfs's
 * ownership once so that its on-disk owners are the host ids of the
 * container's map (LXD's "remap").  The map a tree was shifted to is kept
 * on the rootfs directory itself (an xattr only host root can write), so a
 * later start with the same map does nothing and a changed map shifts from
 * the old one to the new one. */
#ifndef WARD_IDMAP_CHOWN_H
#define WARD_IDMAP_CHOWN_H

#include <stdbool.h>

#include "config.h"
#include "ward_error.h"

#define IDMAP_CHOWN_XATTR "trusted.ward.idmap"

/* Shift ROOTFS (not crossing into other mounts) to UID/GID.  *changed
 * tells whether anything was walked. */
int idmap_chown_rootfs(const char *rootfs, const struct spec_idmaps *uid,
                       const struct spec_idmaps *gid, bool *changed,
                       werr_t *err);

/* The record kept in the xattr: "uid C:H:S,... gid C:H:S,...".
 * Pure; the caller frees. */
char *idmap_chown_record(const struct spec_idmaps *uid,
                         const struct spec_idmaps *gid);
int idmap_chown_parse_record(const char *s, struct spec_idmaps *uid,
                             struct spec_idmaps *gid);

/* Host id of an on-disk id when moving from OLD (NULL: the tree holds
 * container ids, i.e. was never shifted) to NEW; false when the id has no
 * place in NEW and must stay as it is. */
bool idmap_chown_shift_id(const struct spec_idmaps *old,
                          const struct spec_idmaps *new_, uint32_t id,
                          uint32_t *out);

#endif
