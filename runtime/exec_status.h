/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The exec fifo once `ward start` opened it: the init's status channel,
 * so that `start` returns only when the container's process was exec'd,
 * or fails with the init's own error.
 *
 * The init holds the write end, O_CLOEXEC.  It writes '0' when released,
 * then either execs (the write end closes: `start` reads EOF) or writes
 * 'E', its one-line error and a newline, and exits.  A profile with a
 * seccomp notify action adds, between the two, "A <fd>\n" (take this
 * pipe's write end and write 'a') and "L <fd>\n" (the listener will be
 * this fd: take it, hand it to the agent, then write 'b').  Everything but
 * the wait for 'b' happens before the filter is loaded. */
#ifndef WARD_EXEC_STATUS_H
#define WARD_EXEC_STATUS_H

#include "config.h"
#include "process.h"

/* In the init: report E on FD and exit(1). */
__attribute__((noreturn)) void exec_status_fail(int fd, const werr_t e);

/* In the init: the listener handoff over status fd FD (see above). */
struct exec_status_handoff {
  int fd;
  int ack[2];
};
void exec_status_handoff_init(struct exec_status_handoff *h, int fd,
                              struct seccomp_handoff *out);

/* In `ward start`, after the '0': wait for EOF (exec'd: 0) or the init's
 * error (-1, with the init's text as *err).  FFD is the fifo's read end
 * (O_NONBLOCK), PIDFD the init's.  S and STATE_JSON serve a notify
 * listener, which goes to S->listenerPath. */
int exec_status_wait(int ffd, int pidfd, const struct spec_seccomp *s,
                     const char *state_json, werr_t *err);

#endif
