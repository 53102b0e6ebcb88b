/* SPDX-License-Identifier: GPL-2.0-or-later */
/* User-namespace id maps: OCI maps as given, or an allocated range (the
 * Incus model: ward.idmap.* annotations, /etc/subuid), raw punch-through,
 * the allocation registry, and idmapped mounts. */
#ifndef WARD_IDMAP_H
#define WARD_IDMAP_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
/* The parts of the folder others use, through this header only: the
 * registry (`ward idmap`, `ward check`), the ward.idmap.* request, and the
 * subordinate-id rules. */
#include "idmap_registry.h"
#include "idmap_request.h"
#include "idmap_shadow.h"

/* Decide this container's maps from its ward.idmap.* annotations and the
 * host's /etc/subuid, /etc/subgid.  When ward allocates, it fills
 * c->linux_.uidMappings/gidMappings (and adds a new user namespace if the
 * annotations ask for one) and records the allocation in the host-wide
 * registry (idmap_registry.h) under (absolute STATE_ROOT, ID).  Called with
 * STATE_ROOT/ID freshly and exclusively created.  No-op without a user
 * namespace to create. */
int idmap_prepare(const char *state_root, const char *id, struct spec_config *c,
                  werr_t *err);
/* Whether idmap_prepare may allocate for C: a user namespace to create
 * without maps, or a ward.idmap.* annotation (which asks for one).  Decided from the
 * config alone, so that the create record names the allocation before it
 * can exist. */
bool idmap_may_allocate(const struct spec_config *c);
/* Give back what idmap_prepare recorded for ID (no-op if nothing); a
 * ward.idmap.key range stays reserved for its key. */
int idmap_release(const char *state_root, const char *id, werr_t *err);
/* Write /proc/PID/{uid,gid}_map (and setgroups), or use newuidmap/newgidmap
 * when ward runs unprivileged. */
int idmap_write(pid_t pid, const struct spec_idmaps *uid,
                const struct spec_idmaps *gid, werr_t *err);
/* Detached idmapped mounts for the init to attach, made by ward once the
 * init's user namespace exists (INIT_PID).  *rootfs_fd and mount_fds[i]
 * (one per c->mounts[i]) are -1 where no idmapped mount is needed. */
int idmap_mount_fds(const struct spec_config *c, const char *rootfs,
                    pid_t init_pid, int *rootfs_fd, int *mount_fds,
                    werr_t *err);

/* A user namespace holding UID/GID, as an fd for mount_setattr's
 * MOUNT_ATTR_IDMAP (a throwaway child unshares it; nothing else stays). */
int idmap_userns_fd(const struct spec_idmaps *uid,
                    const struct spec_idmaps *gid, int *out, werr_t *err);

#endif
