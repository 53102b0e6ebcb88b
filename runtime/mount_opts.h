/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mounts[].options split into what mount(2) needs, using libmount's option
 * table for the kernel flags; ward adds only the OCI extensions libmount
 * does not know (tmpcopyup, idmap/ridmap, recursive r* attributes). */
#ifndef WARD_MOUNT_OPTS_H
#define WARD_MOUNT_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "ward_error.h"

struct mount_opts {
  unsigned long flags;       /* MS_* for mount(2), incl. MS_BIND|MS_REC */
  unsigned long clear_flags; /* explicitly asked off ("rw", "suid") */
  unsigned long propagation; /* MS_SHARED|MS_SLAVE|... (| MS_REC) */
  char *data;                /* fs-specific: "mode=755,size=65536k" */
  uint64_t attr_set, attr_clr; /* MOUNT_ATTR_* for rro, rnosuid, ... */
  bool tmpcopyup;
  bool idmap, ridmap;
  bool bind;
};

/* PATH names the option list in errors ("mounts[2].options"). */
int mount_opts_parse(char **options, const char *path, struct mount_opts *o,
                     werr_t *err);
void mount_opts_free(struct mount_opts *o);

#endif
