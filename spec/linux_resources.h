/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.resources (LinuxResources), also the input of `ward update`. */
#ifndef WARD_LINUX_RESOURCES_H
#define WARD_LINUX_RESOURCES_H

#include "config.h"

struct spec_resources {
  int placeholder; /* filled in by the cgroups work (issue 5) */
};

/* v is the LinuxResources object; path names it in errors. */
int spec_parse_resources(yajl_val v, const char *path,
                         struct spec_resources **out, werr_t *err);
void spec_resources_free(struct spec_resources *r);

#endif
