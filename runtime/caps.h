/* SPDX-License-Identifier: GPL-2.0-or-later */
/* process.capabilities through libcap. */
#ifndef WARD_CAPS_H
#define WARD_CAPS_H

#include "config.h"

/* At create time: one warning line for each name libcap does not know
 * (process.capabilities.bounding[3]: unknown capability "CAP_FOO",
 * ignored), which is then not granted: the runtime-spec's rule, and runc's.
 * Names newer than the running kernel are skipped the same way. */
int caps_validate(const struct spec_process *p, werr_t *err);
/* Drop from the bounding set what is not listed (needs CAP_SETPCAP, so
 * before the uid change). */
int caps_drop_bounding(const struct spec_process *p, werr_t *err);
/* After the uid change (with PR_SET_KEEPCAPS): set effective, permitted,
 * inheritable, then raise the ambient ones. */
int caps_apply(const struct spec_process *p, werr_t *err);

#endif
