/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /dev inside the rootfs: the default devices every OCI runtime provides,
 * linux.devices, and the fd/stdio/ptmx links. */
#ifndef WARD_DEV_H
#define WARD_DEV_H

#include <stdbool.h>

#include "config.h"

/* In a user namespace mknod is not allowed: nodes are bind mounted from
 * the host instead. */
int dev_setup(int rootfd, const struct spec_config *c, bool userns,
              werr_t *err);

#endif
