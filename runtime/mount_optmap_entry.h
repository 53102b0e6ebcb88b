/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One entry of libmount's option tables as build/gen/mount_optmap.h holds
 * them (written at build time by runtime/gen/mount_optmap.c). */
#ifndef WARD_MOUNT_OPTMAP_ENTRY_H
#define WARD_MOUNT_OPTMAP_ENTRY_H

#include <stdbool.h>

enum mount_optmap_value {
  MOUNT_OPTMAP_VALUE_NONE, /* "ro" */
  MOUNT_OPTMAP_VALUE_MAY,  /* "loop[=]" */
  MOUNT_OPTMAP_VALUE_MUST, /* "offset=" */
};

struct mount_optmap_entry {
  const char *name;
  unsigned long id; /* MS_* for the VFS table */
  bool invert;      /* "rw", "suid": the option clears ID */
  bool prefix;      /* "x-": any option starting so */
  enum mount_optmap_value value;
};

#endif
