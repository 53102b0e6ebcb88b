/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ward run` and `ward exec` in the foreground: relay the terminal (if
 * MASTER >= 0), forward signals, wait for PID (our child or, via the
 * subreaper bit, our grandchild) and return its exit status, 128+N when
 * it was killed by signal N. */
#ifndef WARD_FOREGROUND_H
#define WARD_FOREGROUND_H

#include <sys/types.h>

#include "ward_error.h"

/* Block the signals foreground_wait forwards, from the moment the process
 * may run (before start): one arriving before the wait is queued and
 * forwarded instead of killing ward and orphaning the container. */
void foreground_hold_signals(void);
/* PIDFD may be -1: one is opened for PID. */
int foreground_wait(pid_t pid, int pidfd, int master, werr_t *err);

#endif
