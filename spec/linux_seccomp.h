/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.seccomp (LinuxSeccomp). */
#ifndef WARD_LINUX_SECCOMP_H
#define WARD_LINUX_SECCOMP_H

#include "config.h"

struct spec_seccomp {
  int placeholder; /* filled in by the seccomp work (issue 6) */
};

int spec_parse_seccomp(yajl_val v, const char *path, struct spec_seccomp **out,
                       werr_t *err);
void spec_seccomp_free(struct spec_seccomp *s);

#endif
