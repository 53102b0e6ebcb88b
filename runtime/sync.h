/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Messages between ward and the container init over a SOCK_SEQPACKET pair:
 * one typed message per packet, optionally carrying fds (SCM_RIGHTS).  The
 * init reports failures as SYNC_ERROR with the one-line message, so the
 * user sees the init's error from `ward create`. */
#ifndef WARD_SYNC_H
#define WARD_SYNC_H

#include <stddef.h>

#include "ward_error.h"

enum sync_type {
  SYNC_GO = 1,         /* ward → init: maps written, cgroup entered; value: pid */
  SYNC_MOUNT_FDS,      /* ward → init: idmapped mount fds */
  SYNC_PRE_PIVOT,      /* init → ward: mounts done, run createRuntime hooks
                          (only when there are: init_stops_before_pivot) */
  SYNC_HOOKS_DONE,     /* ward → init: go on to pivot_root */
  SYNC_CONSOLE,        /* init → ward: the pty master */
  SYNC_READY,          /* init → ward: waiting on the exec fifo */
  SYNC_PID,            /* exec helper → ward: pid of the exec'd process */
  SYNC_ERROR,          /* either way: errnum + message, then exit */
  SYNC_ACK,
  SYNC_JOINED,         /* init → ward: in the namespaces given by path */
};

#define SYNC_MAX_FDS 250

struct sync_msg {
  int type;
  int errnum;
  long long value; /* e.g. a pid, or which mount an fd is for */
  char text[1024];
};

int sync_send(int sock, int type, long long value, const int *fds,
              size_t nfds, werr_t *err);
/* Send E (or a generic message) as SYNC_ERROR; never fails loudly. */
void sync_send_error(int sock, const struct ward_error *e);
/* Receive one message; fds (up to *nfds in, count out) may be NULL.  A
 * SYNC_ERROR from the peer becomes *err and -1; so does EOF. */
int sync_recv(int sock, struct sync_msg *m, int *fds, size_t *nfds,
              werr_t *err);
/* Same, but EOF (every copy of the peer's end closed: it exited, or it
 * exec'd and its O_CLOEXEC end closed) returns 0; a message returns 1. */
int sync_recv_or_eof(int sock, struct sync_msg *m, int *fds, size_t *nfds,
                     werr_t *err);
/* Receive and require TYPE. */
int sync_expect(int sock, int type, struct sync_msg *m, int *fds,
                size_t *nfds, werr_t *err);

#endif
