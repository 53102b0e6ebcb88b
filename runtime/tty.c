/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <poll.h>
#include <termios.h>

#define POLLIN_MASK POLLIN
#define POLLHUP_MASK (POLLHUP | POLLERR)
#include <unistd.h>

#include "cleanup.h"
#include "utils.h"

int tty_setup_in_container(const struct spec_process *p, werr_t *err) {
  _cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY |
                                                     O_CLOEXEC);
  if (master < 0)
    return werr_sys(err, "open /dev/ptmx in container");
  if (unlockpt(master) < 0)
    return werr_sys(err, "unlockpt");
  char name[128];
  if (ptsname_r(master, name, sizeof(name)) != 0)
    return werr_sys(err, "ptsname");
  _cleanup_close_ int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return werr_sys(err, "open %s", name);
  if (p->has_consoleSize) {
    struct winsize ws = {.ws_row = (unsigned short)p->consoleSize_height,
                         .ws_col = (unsigned short)p->consoleSize_width};
    if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
      return werr_sys(err, "set console size");
  }
  /* /dev/console is where many programs look for their terminal. */
  int cfd = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                 0600);
  if (cfd >= 0) {
    close(cfd);
    if (mount(name, "/dev/console", NULL, MS_BIND, NULL) < 0)
      return werr_sys(err, "bind %s on /dev/console", name);
  }
  if (setsid() < 0)
    return werr_sys(err, "setsid");
  if (ioctl(slave, TIOCSCTTY, 0) < 0)
    return werr_sys(err, "make %s the controlling terminal", name);
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave, fd) < 0)
      return werr_sys(err, "dup2 pty to fd %d", fd);
  return take_fd(master);
}

int tty_send_console(const char *path, int master, werr_t *err) {
  _cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return werr_sys(err, "console socket");
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof(sa.sun_path))
    return werr_code(err, ENAMETOOLONG, "--console-socket %s: path too long",
                     path);
  strcpy(sa.sun_path, path);
  if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
    return werr_sys(err, "connect to --console-socket %s", path);
  char name[] = "/dev/ptmx";
  struct iovec iov = {.iov_base = name, .iov_len = sizeof(name) - 1};
  char cbuf[CMSG_SPACE(sizeof(int))] = {0};
  struct msghdr mh = {.msg_iov = &iov,
                      .msg_iovlen = 1,
                      .msg_control = cbuf,
                      .msg_controllen = sizeof(cbuf)};
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &master, sizeof(int));
  if (sendmsg(s, &mh, MSG_NOSIGNAL) < 0)
    return werr_sys(err, "send console to %s", path);
  return 0;
}

struct tty_relay {
  int master;
  bool raw;
  struct termios saved;
};

int tty_relay_start(int master, struct tty_relay **out, werr_t *err) {
  (void)err;
  struct tty_relay *r = xmalloc0(sizeof(*r));
  r->master = master;
  if (isatty(0) && tcgetattr(0, &r->saved) == 0) {
    struct termios raw = r->saved;
    cfmakeraw(&raw);
    if (tcsetattr(0, TCSANOW, &raw) == 0)
      r->raw = true;
  }
  tty_relay_resize(r);
  *out = r;
  return 0;
}

void tty_relay_resize(struct tty_relay *r) {
  struct winsize ws;
  if (isatty(0) && ioctl(0, TIOCGWINSZ, &ws) == 0)
    ioctl(r->master, TIOCSWINSZ, &ws);
}

static int copy_once(int from, int to) {
  char buf[8192];
  ssize_t n = read(from, buf, sizeof(buf));
  if (n <= 0)
    return (n < 0 && (errno == EINTR || errno == EAGAIN)) ? 0 : 1;
  return write_all(to, buf, (size_t)n) < 0 ? 1 : 0;
}

int tty_relay_pump(struct tty_relay *r, short master_revents,
                   short stdin_revents) {
  if (master_revents & POLLIN_MASK)
    if (copy_once(r->master, 1))
      return 1;
  if (master_revents & (POLLHUP_MASK))
    return 1;
  if (stdin_revents & POLLIN_MASK)
    copy_once(0, r->master);
  return 0;
}

void tty_relay_stop(struct tty_relay *r) {
  if (r == NULL)
    return;
  if (r->raw)
    tcsetattr(0, TCSANOW, &r->saved);
  free(r);
}
