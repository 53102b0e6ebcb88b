/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "utils.h"

static int run_one(const struct spec_hook *h, const char *kind, size_t idx,
                   const char *state_json, werr_t *err) {
  int in[2];
  if (pipe2(in, O_CLOEXEC) < 0)
    return werr_sys(err, "%s[%zu]: pipe", kind, idx);
  pid_t pid = fork();
  if (pid < 0) {
    close(in[0]);
    close(in[1]);
    return werr_sys(err, "%s[%zu]: fork", kind, idx);
  }
  if (pid == 0) {
    /* A hook starts as from a shell: not with the signals `ward run`
     * holds for forwarding blocked, nor with SIGPIPE ignored (both would
     * survive execve). */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    dup2(in[0], 0);
    char *empty[] = {NULL};
    char *argv0[] = {h->path, NULL};
    execve(h->path, h->args && h->args[0] ? h->args : argv0,
           h->env ? h->env : empty);
    _exit(127);
  }
  close(in[0]);
  /* A hook that does not read stdin must not make us block or die. */
  signal(SIGPIPE, SIG_IGN);
  write_all(in[1], state_json, strlen(state_json));
  close(in[1]);

  _cleanup_close_ int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (h->has_timeout && pfd >= 0) {
    struct pollfd p = {.fd = pfd, .events = POLLIN};
    int r;
    do
      r = poll(&p, 1, h->timeout * 1000);
    while (r < 0 && errno == EINTR);
    if (r == 0) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      return werr_code(err, ETIMEDOUT, "%s[%zu] %s: timed out after %ds", kind,
                       idx, h->path, h->timeout);
    }
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return werr_sys(err, "%s[%zu]: wait", kind, idx);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    return werr(err, "%s[%zu] %s: cannot execute", kind, idx, h->path);
  if (WIFEXITED(status))
    return werr(err, "%s[%zu] %s: exit status %d", kind, idx, h->path,
                WEXITSTATUS(status));
  return werr(err, "%s[%zu] %s: killed by signal %d", kind, idx, h->path,
              WTERMSIG(status));
}

int hooks_run(const struct spec_hooklist *l, const char *kind,
              const char *state_json, werr_t *err) {
  for (size_t i = 0; i < l->len; i++)
    if (run_one(&l->items[i], kind, i, state_json, err) < 0)
      return -1;
  return 0;
}

void hooks_run_warn(const struct spec_hooklist *l, const char *kind,
                    const char *state_json) {
  for (size_t i = 0; i < l->len; i++) {
    werr_t e = NULL;
    if (run_one(&l->items[i], kind, i, state_json, &e) < 0) {
      _cleanup_free_ char *t = werr_text(e);
      ward_warn("%s", t);
      werr_free(&e);
    }
  }
}
