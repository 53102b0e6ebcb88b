/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "exec_status.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "seccomp_filter.h"
#include "utils.h"

#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* How long `start` waits for a failed init to finish exiting, so that
 * `state` already says stopped when `start` returns. */
#define EXIT_WAIT_MS 5000

void exec_status_fail(int fd, const werr_t e) {
  _cleanup_free_ char *t = e ? werr_text(e) : xstrdup("container init failed");
  for (char *p = t; *p; p++)
    if (*p == '\n')
      *p = ' ';
  _cleanup_free_ char *line = xasprintf("E%s\n", t);
  (void)write_all(fd, line, strlen(line));
  _exit(1);
}

/* The lowest free fd: what seccomp(2) returns as the listener, since the
 * init opens nothing between this call and the load. */
static int next_free_fd(werr_t *err) {
  int fd = fcntl(2, F_DUPFD_CLOEXEC, 0);
  if (fd < 0)
    return werr_sys(err, "seccomp: find the listener's fd number");
  close(fd);
  return fd;
}

static int say(int fd, char what, int n, werr_t *err) {
  char buf[32];
  int len = snprintf(buf, sizeof(buf), "%c %d\n", what, n);
  if (write_all(fd, buf, (size_t)len) < 0)
    return werr_sys(err, "exec fifo: write");
  return 0;
}

static int handoff_before(void *ctx, werr_t *err) {
  struct exec_status_handoff *h = ctx;
  if (pipe2(h->ack, O_CLOEXEC) < 0)
    return werr_sys(err, "seccomp: pipe");
  if (say(h->fd, 'A', h->ack[1], err) < 0)
    return -1;
  char c = 0;
  ssize_t r;
  do
    r = read(h->ack[0], &c, 1);
  while (r < 0 && errno == EINTR);
  if (r != 1 || c != 'a')
    return werr_code(err, EPROTO, "seccomp: ward start did not take the "
                             "listener's pipe");
  /* Only `ward start` holds the write end now: if it dies, the read
   * below ends with EOF instead of waiting forever. */
  close(h->ack[1]);
  h->ack[1] = -1;
  int l = next_free_fd(err);
  if (l < 0)
    return -1;
  return say(h->fd, 'L', l, err);
}

static void handoff_after(void *ctx) {
  struct exec_status_handoff *h = ctx;
  char c;
  /* The one call under the filter before execve, as runc makes one (a
   * read of its sync pipe) while its parent takes the listener with
   * pidfd_getfd(2): the listener is O_CLOEXEC, so we must not exec before
   * ward has its copy.  No sendmsg: the fd never crosses a socket. */
  (void)!read(h->ack[0], &c, 1);
}

void exec_status_handoff_init(struct exec_status_handoff *h, int fd,
                              struct seccomp_handoff *out) {
  h->fd = fd;
  h->ack[0] = h->ack[1] = -1;
  out->before = handoff_before;
  out->after = handoff_after;
  out->ctx = h;
}

/* ---- `ward start` ------------------------------------------------------ */

static void kill_init(int pidfd) {
  syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
}

static void wait_exit(int pidfd, int ms) {
  struct pollfd p = {.fd = pidfd, .events = POLLIN};
  while (poll(&p, 1, ms) < 0 && errno == EINTR)
    ;
}

/* Try to take listener number N; 0 when the init has not loaded its
 * filter yet, 1 once it was handed to the agent. */
static int take_listener(int pidfd, int n, const struct spec_seccomp *s,
                         const char *state_json, werr_t *err) {
  _cleanup_werr_ werr_t e = NULL;
  _cleanup_close_ int lfd = seccomp_notify_fetch(pidfd, n, &e);
  if (lfd < 0 && e->errnum == EBADF)
    return 0;
  if (lfd < 0) {
    *err = take_ptr(e);
    return -1;
  }
  if (seccomp_notify_forward(s, state_json, lfd, err) < 0)
    return werr_prefix(err, "linux.seccomp.listenerPath");
  return 1;
}

int exec_status_wait(int ffd, int pidfd, const struct spec_seccomp *s,
                     const char *state_json, werr_t *err) {
  char buf[2048];
  size_t len = 0;
  bool eof = false;
  int listener = -1;
  _cleanup_close_ int ackw = -1;
  for (;;) {
    char *nl;
    while ((nl = memchr(buf, '\n', len)) != NULL ||
           (len == sizeof(buf) - 1) || (eof && len > 0)) {
      if (nl == NULL)
        nl = buf + len;
      *nl = '\0';
      if (buf[0] == 'E') {
        werr(err, "%s", buf + 1);
        wait_exit(pidfd, EXIT_WAIT_MS);
        return -1;
      }
      int n = (int)strtol(buf + 1, NULL, 10);
      if (buf[0] == 'A' && ackw < 0 && s) {
        ackw = (int)syscall(SYS_pidfd_getfd, pidfd, n, 0);
        if (ackw < 0) {
          werr_sys(err, "seccomp: take the listener's pipe from the init");
          goto fail;
        }
        if (write_all(ackw, "a", 1) < 0) {
          werr_sys(err, "seccomp: listener pipe");
          goto fail;
        }
      } else if (buf[0] == 'L' && ackw >= 0 && listener < 0) {
        listener = n;
      } else {
        werr_code(err, EPROTO, "exec fifo: unexpected \"%.32s\" from the init",
             buf);
        goto fail;
      }
      size_t used = (size_t)(nl - buf) + (nl < buf + len ? 1 : 0);
      memmove(buf, buf + used, len - used);
      len -= used;
    }
    if (listener >= 0) {
      int r = take_listener(pidfd, listener, s, state_json, err);
      if (r < 0)
        goto fail;
      if (r > 0) {
        listener = -1;
        if (write_all(ackw, "b", 1) < 0) {
          werr_sys(err, "seccomp: listener pipe");
          goto fail;
        }
        close(ackw);
        ackw = -1;
        continue;
      }
    }
    if (eof) {
      if (listener >= 0)
        return werr_code(err, ESRCH, "container init exited before it "
                                      "loaded its seccomp filter");
      return 0;
    }
    /* While the listener is due, poll briefly: the init makes one
     * syscall (the load) between its "L" line and the listener's
     * existence. */
    struct pollfd p = {.fd = ffd, .events = POLLIN};
    if (poll(&p, 1, listener >= 0 ? 1 : -1) < 0 && errno != EINTR)
      return werr_sys(err, "poll exec fifo");
    ssize_t r = read(ffd, buf + len, sizeof(buf) - 1 - len);
    if (r > 0)
      len += (size_t)r;
    else if (r == 0)
      eof = true;
    else if (errno != EAGAIN && errno != EINTR)
      return werr_sys(err, "read exec fifo");
  }
fail:
  kill_init(pidfd);
  wait_exit(pidfd, EXIT_WAIT_MS);
  return -1;
}
