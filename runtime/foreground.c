/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "foreground.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "tty.h"

static void forwarded(sigset_t *mask) {
  static const int fwd[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1,
                            SIGUSR2, SIGWINCH, SIGCONT, SIGTSTP};
  sigemptyset(mask);
  for (size_t i = 0; i < sizeof(fwd) / sizeof(*fwd); i++)
    sigaddset(mask, fwd[i]);
}

void foreground_hold_signals(void) {
  sigset_t mask;
  forwarded(&mask);
  sigprocmask(SIG_BLOCK, &mask, NULL);
}

int foreground_wait(pid_t pid, int pidfd, int master, werr_t *err) {
  _cleanup_close_ int own = -1;
  if (pidfd < 0) {
    own = pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0)
      return werr_sys(err, "pidfd_open %d", pid);
  }
  sigset_t mask;
  forwarded(&mask);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  _cleanup_close_ int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
  if (sfd < 0)
    return werr_sys(err, "signalfd");
  struct tty_relay *relay = NULL;
  if (master >= 0 && tty_relay_start(master, &relay, err) < 0)
    return -1;
  bool stdin_open = master >= 0;
  bool master_open = master >= 0;
  for (;;) {
    struct pollfd p[4] = {{.fd = pidfd, .events = POLLIN},
                          {.fd = sfd, .events = POLLIN},
                          {.fd = master_open ? master : -1, .events = POLLIN},
                          {.fd = stdin_open ? 0 : -1, .events = POLLIN}};
    if (poll(p, 4, -1) < 0) {
      if (errno == EINTR)
        continue;
      tty_relay_stop(relay);
      return werr_sys(err, "poll");
    }
    if (p[1].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
        if ((int)si.ssi_signo == SIGWINCH && relay)
          tty_relay_resize(relay);
        else
          syscall(SYS_pidfd_send_signal, pidfd, si.ssi_signo, NULL, 0);
      }
    }
    if (relay && (p[2].revents || p[3].revents)) {
      if (p[3].revents & (POLLHUP | POLLERR))
        stdin_open = false;
      if (tty_relay_pump(relay, p[2].revents, p[3].revents & POLLIN))
        master_open = false;
    }
    if (p[0].revents & POLLIN) {
      /* Drain what the container wrote last before reporting its exit. */
      while (relay && master_open) {
        struct pollfd m = {.fd = master, .events = POLLIN};
        if (poll(&m, 1, 50) <= 0 || tty_relay_pump(relay, m.revents, 0))
          break;
      }
      break;
    }
  }
  tty_relay_stop(relay);
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return werr_sys(err, "wait for process %d", pid);
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

