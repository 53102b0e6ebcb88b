/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "sync.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int sync_send(int sock, int type, long long value, const int *fds,
              size_t nfds, werr_t *err) {
  struct sync_msg m = {.type = type, .value = value};
  struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
  char cbuf[CMSG_SPACE(sizeof(int) * SYNC_MAX_FDS)];
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
  if (nfds > SYNC_MAX_FDS)
    return werr_code(err, E2BIG, "sync: too many fds (%zu)", nfds);
  if (nfds > 0) {
    memset(cbuf, 0, sizeof(cbuf));
    mh.msg_control = cbuf;
    mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
  }
  ssize_t w;
  do
    w = sendmsg(sock, &mh, MSG_NOSIGNAL);
  while (w < 0 && errno == EINTR);
  if (w < 0)
    return werr_sys(err, "sync: send");
  return 0;
}

void sync_send_error(int sock, const struct ward_error *e) {
  struct sync_msg m = {.type = SYNC_ERROR};
  if (e) {
    char *t = werr_text(e);
    m.errnum = e->errnum;
    strncpy(m.text, t, sizeof(m.text) - 1);
    free(t);
  } else {
    strcpy(m.text, "container init failed");
  }
  ssize_t w;
  do
    w = send(sock, &m, sizeof(m), MSG_NOSIGNAL);
  while (w < 0 && errno == EINTR);
}

int sync_recv(int sock, struct sync_msg *m, int *fds, size_t *nfds,
              werr_t *err) {
  int r = sync_recv_or_eof(sock, m, fds, nfds, err);
  if (r == 0)
    return werr(err, "container init exited unexpectedly");
  return r < 0 ? -1 : 0;
}

int sync_recv_or_eof(int sock, struct sync_msg *m, int *fds, size_t *nfds,
                     werr_t *err) {
  struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
  char cbuf[CMSG_SPACE(sizeof(int) * SYNC_MAX_FDS)];
  struct msghdr mh = {.msg_iov = &iov,
                      .msg_iovlen = 1,
                      .msg_control = cbuf,
                      .msg_controllen = sizeof(cbuf)};
  size_t want = nfds ? *nfds : 0;
  if (nfds)
    *nfds = 0;
  ssize_t r;
  do
    r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return werr_sys(err, "sync: receive");
  if (r == 0)
    return 0;
  if ((size_t)r != sizeof(*m))
    return werr_code(err, EPROTO, "sync: short message");
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
      continue;
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int *in = (int *)CMSG_DATA(c);
    for (size_t i = 0; i < n; i++) {
      if (fds && i < want)
        fds[(*nfds)++] = in[i];
      else
        close(in[i]);
    }
  }
  m->text[sizeof(m->text) - 1] = '\0';
  if (m->type == SYNC_ERROR)
    return werr_code(err, m->errnum, "%s", m->text);
  return 1;
}

int sync_expect(int sock, int type, struct sync_msg *m, int *fds,
                size_t *nfds, werr_t *err) {
  struct sync_msg local;
  if (m == NULL)
    m = &local;
  if (sync_recv(sock, m, fds, nfds, err) < 0)
    return -1;
  if (m->type != type)
    return werr_code(err, EPROTO, "sync: expected message %d, got %d", type,
                m->type);
  return 0;
}
