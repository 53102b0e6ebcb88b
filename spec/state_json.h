/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The OCI state document (runtime-spec "state"), as `ward state` prints it
 * and hooks receive it on stdin; runc adds rootfs, created and owner. */
#ifndef WARD_STATE_JSON_H
#define WARD_STATE_JSON_H

#include <stdbool.h>
#include <sys/types.h>

#include "json.h"

struct spec_state {
  /* The runtime-spec version the state complies with (runc's own, not the
   * config's): NULL is the version ward implements. */
  const char *ociVersion;
  const char *id;
  const char *status;
  pid_t pid; /* 0: omitted */
  const char *bundle;
  const char *rootfs;  /* NULL: omitted */
  const char *created; /* NULL: omitted */
  const struct kvlist *annotations;
};

/* Caller frees. */
char *spec_state_emit(const struct spec_state *s, bool pretty);

struct spec_config;
/* The state of a container that is being created from C (what the
 * create-time hooks and the seccomp agent get): no rootfs/created yet. */
char *spec_state_of_config(const struct spec_config *c, const char *id,
                           const char *bundle, const char *status, pid_t pid);

#endif
