/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CVE-2019-5736: a container must never reach a writable ward binary via
 * /proc/PID/exe.  Commands that put processes into containers first move
 * ward onto a read-only detached mount of itself (root: in place with
 * PR_SET_MM_MAP, else by re-exec) or a sealed memfd copy (unprivileged),
 * so /proc/self/exe is never writable. */
#ifndef WARD_SELFCLONE_H
#define WARD_SELFCLONE_H

#include "ward_error.h"

/* 0 once /proc/self/exe is safe (moved in place, or already so); when it
 * re-executes, returns only on failure. */
int selfclone_ensure(char **argv, werr_t *err);

#endif
