/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Containers of one pod: an app container that joins namespaces of a
 * sandbox living in a user namespace of its own joins that user namespace
 * too, with the sandbox's maps, instead of allocating a range. */
#ifndef WARD_IDMAP_POD_H
#define WARD_IDMAP_POD_H

#include <sys/types.h>

#include "config.h"

/* If C joins some namespace by path whose owning user namespace is not
 * ward's own, make C join that user namespace (linux.namespaces user path
 * /proc/PID/ns/user) with its maps in linux.uidMappings/gidMappings:
 * returns 1.  0: nothing to join (C keeps its own user namespace).  -1: the
 * owner cannot be joined (ASKED names the annotation in the message). */
int idmap_pod_join(struct spec_config *c, const char *asked, werr_t *err);

/* /proc/PID/FILE (uid_map or gid_map) as a map. */
int idmap_read_proc_map(pid_t pid, const char *file, struct spec_idmaps *m,
                        werr_t *err);

#endif
