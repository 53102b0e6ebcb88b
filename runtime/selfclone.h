/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CVE-2019-5736: a container must never reach a writable ward binary via
 * /proc/PID/exe.  Commands that put processes into containers first
 * re-exec ward from a read-only detached mount of itself (root) or from a
 * sealed memfd copy (unprivileged), so /proc/self/exe is never writable. */
#ifndef WARD_SELFCLONE_H
#define WARD_SELFCLONE_H

#include "ward_error.h"

/* Returns only on failure, or at once if already running from the copy. */
int selfclone_ensure(char **argv, werr_t *err);

#endif
