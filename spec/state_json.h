/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The OCI state document (runtime-spec "state"), as `ward state` prints it
 * and hooks receive it on stdin; runc adds rootfs, created and owner. */
#ifndef WARD_STATE_JSON_H
#define WARD_STATE_JSON_H

#include <stdbool.h>
#include <sys/types.h>

#include "json.h"

struct spec_state {
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

#endif
