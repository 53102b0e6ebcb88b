/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The config.json `ward spec` writes: runc's default, with ward's name. */
#ifndef WARD_DEFAULT_CONFIG_H
#define WARD_DEFAULT_CONFIG_H

#include <stdbool.h>
#include <sys/types.h>

/* Pretty-printed JSON, caller frees.  runc's default plus a user namespace
 * with an isolated ward-allocated range (ward.idmap.isolated=true) and
 * /sys/kernel/slab masked (it lists every cgroup).  ROOTLESS instead maps
 * container root to UID/GID (the caller's ids), drops the network
 * namespace and the device cgroup rule, and bind-mounts the host's /sys,
 * as an unprivileged user cannot mount sysfs or own gid 5. */
char *spec_default_config_json(bool rootless, uid_t uid, gid_t gid);

#endif
