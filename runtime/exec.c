/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ward exec`'s core: another process in a running (or created)
 * container.  ward forks a helper that joins the init's namespaces (by
 * pidfd) from inside the container's cgroup, and the helper forks the
 * process itself so that it lands in the container's pid namespace.  The
 * console and --pid-file steps are create's (container.h). */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "lazylib.h"
#include "exec_status.h"
#include "foreground.h"
#include "lsm.h"
#include "process.h"
#include "process_sched.h"
#include "seccomp_filter.h"
#include "sync.h"
#include "tty.h"
#include "utils.h"

/* Namespaces of PID that differ from ours: joining one's own namespace is
 * an error for user namespaces, and pointless for the rest.  By directory
 * fd: the /proc lookups are made once, not per namespace. */
static int ns_to_join(pid_t pid) {
  char dir[64];
  snprintf(dir, sizeof(dir), "/proc/%d/ns", pid);
  _cleanup_close_ int self = open("/proc/self/ns", O_PATH | O_DIRECTORY | O_CLOEXEC);
  _cleanup_close_ int them = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (self < 0 || them < 0)
    return 0; /* setns then has nothing to do: the error comes from the pidfd */
  int flags = 0;
  for (int i = 0; i < SPEC_NS_COUNT; i++) {
    const struct spec_ns_kind *k = spec_ns_kind((enum spec_ns)i);
    struct stat sa, sb;
    if (fstatat(self, k->procname, &sa, 0) == 0 &&
        fstatat(them, k->procname, &sb, 0) == 0 && sa.st_ino != sb.st_ino)
      flags |= k->flag;
  }
  return flags;
}

static __attribute__((noreturn)) void exec_child(int sock,
                                                 const struct spec_process *p,
                                                 struct seccomp_prog *seccomp,
                                                 int preserve, int status_fd) {
  werr_t err = NULL;
  /* Before the first goto: clang refuses a jump past a cleanup variable. */
  _cleanup_free_ char *exe = NULL;
  /* A notify listener goes to ward as the init's does (exec_status.h),
   * over STATUS_FD. */
  struct exec_status_handoff hs;
  struct seccomp_handoff h;
  if (status_fd >= 0)
    exec_status_handoff_init(&hs, status_fd, &h);
  /* While /proc/self is still ours to write (see init.c). */
  if (process_set_oom_score(p, &err) < 0)
    goto fail;
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (p->terminal) {
    int master = tty_setup_in_container(p, &err);
    if (master < 0)
      goto fail;
    int rc = sync_send(sock, SYNC_CONSOLE, 0, &master, 1, &err);
    close(master);
    if (rc < 0)
      goto fail;
  }
  if (chdir(p->cwd ? p->cwd : "/") < 0) {
    werr_sys(&err, "cwd: chdir %s", p->cwd);
    goto fail;
  }
  /* Every call before the filter, which process_become_user loads last:
   * after it only execve.  ward learns of the exec from EOF on SOCK
   * (O_CLOEXEC), of a failure from SYNC_ERROR. */
  if (process_resolve_exe(p, &exe, &err) < 0 ||
      process_set_limits(p, &err) < 0 || sched_apply_final(p, &err) < 0 ||
      lsm_apply_exec_label(p, &err) < 0 ||
      process_close_fds(preserve, &err) < 0 ||
      process_become_user(p, seccomp, status_fd >= 0 ? &h : NULL, &err) < 0)
    goto fail;
  process_exec(p, exe, &err);
fail:
  sync_send_error(sock, err);
  _exit(1);
}

/* Serve CHILD's status pipe STFD until it exec'd or failed: its notify
 * listener goes to the agent at listenerPath with the container's state,
 * as `ward start` does for the init.  A failure the child reported on
 * SOCK is the one to tell. */
static int hand_listener(int sock, int stfd, const struct container_state *st,
                         enum container_status status,
                         const struct spec_config *c, pid_t child,
                         werr_t *err) {
  _cleanup_close_ int cpidfd = (int)syscall(SYS_pidfd_open, child, 0);
  if (cpidfd < 0)
    return werr_sys(err, "exec: pidfd_open %d", child);
  _cleanup_free_ char *js =
      state_document(st, state_status_name(status), st->pid, false);
  if (exec_status_wait(stfd, cpidfd, c->linux_.seccomp, js, err) == 0)
    return 0;
  struct pollfd pf = {.fd = sock, .events = POLLIN};
  if (poll(&pf, 1, 0) == 1) {
    struct sync_msg m;
    werr_t e = NULL;
    if (sync_recv_or_eof(sock, &m, NULL, NULL, &e) < 0 && e) {
      werr_free(err);
      *err = e;
    } else {
      werr_free(&e);
    }
  }
  return -1;
}

/* The helper, born in the container's v2 cgroup when CGROUP_FD >= 0
 * (*BORN_IN set): moving it there by cgroup.procs takes the kernel's
 * cgroup_threadgroup_rwsem for writing, an RCU grace period that was most
 * of an exec's time.  Anything clone3 refuses (an older kernel, no right
 * to the directory rootless) falls back to fork, and cgroup_enter then
 * does, or reports, the move. */
static pid_t fork_helper(int cgroup_fd, bool *born_in) {
  *born_in = false;
  if (cgroup_fd >= 0) {
    struct clone_args ca = {.flags = CLONE_INTO_CGROUP,
                            .exit_signal = SIGCHLD,
                            .cgroup = (uint64_t)cgroup_fd};
    pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
    if (pid >= 0) {
      *born_in = true;
      return pid;
    }
  }
  return fork();
}

static int run_exec(const struct exec_opts *o, struct container_state *st,
                    enum container_status status, struct cgroup_handle *cg,
                    int pidfd, const struct spec_config *c,
                    struct spec_process *p, werr_t *err) {
  struct seccomp_prog *seccomp = NULL;
  if (c->linux_.seccomp &&
      seccomp_filter_prepare(c->linux_.seccomp, SECCOMP_CACHE_DIR, &seccomp,
                             err) < 0)
    return -1;
  int rc = -1;
  int sv[2] = {-1, -1};
  /* The exec status pipe, only for a notify listener's handoff. */
  int stp[2] = {-1, -1};
  _cleanup_close_ int master = -1;
  _cleanup_close_ int cgroup_fd = cg ? cgroup_clone_fd(cg) : -1;
  bool born_in = false;
  pid_t helper = -1, child = -1;
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    werr_sys(err, "socketpair");
    goto out;
  }
  if (seccomp && seccomp_prog_has_listener(seccomp) &&
      (pipe2(stp, O_CLOEXEC) < 0 ||
       fcntl(stp[0], F_SETFL, O_NONBLOCK) < 0)) {
    werr_sys(err, "exec: status pipe");
    goto out;
  }
  /* The exec'd process is our grandchild: be its subreaper to wait for it. */
  if (!o->detach && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
    werr_sys(err, "prctl(PR_SET_CHILD_SUBREAPER)");
    goto out;
  }
  int nsflags = ns_to_join(st->pid);
  /* In the foreground the process may run from the fork on: a signal for
   * it that arrives before foreground_wait is held, then forwarded, as
   * `ward run` does, instead of killing us and orphaning the process.
   * The helper restores OLD_MASK so that the process does not inherit the
   * block. */
  sigset_t old_mask;
  sigprocmask(SIG_BLOCK, NULL, &old_mask);
  if (!o->detach)
    foreground_hold_signals();
  helper = fork_helper(cgroup_fd, &born_in);
  if (helper < 0) {
    werr_sys(err, "fork");
    goto out;
  }
  if (helper == 0) {
    lazylib_forbid();
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    close(sv[0]);
    if (stp[0] >= 0)
      close(stp[0]);
    werr_t e = NULL;
    /* First act, as in the init: no fd of the caller's but stdio and the
     * preserved ones goes into the container. */
    int keep[] = {sv[1], pidfd, stp[1]};
    if (process_close_inherited(o->preserve_fds, keep, 3, &e) < 0) {
      sync_send_error(sv[1], e);
      _exit(1);
    }
    struct sync_msg m;
    if (!born_in && sync_expect(sv[1], SYNC_GO, &m, NULL, NULL, &e) < 0)
      _exit(1);
    if (nsflags && setns(pidfd, nsflags) < 0) {
      werr_sys(&e, "join the namespaces of container \"%s\"", st->id);
      sync_send_error(sv[1], e);
      _exit(1);
    }
    /* vfork: the helper only waits for the process' execve (or failure)
     * to report its pid, so nothing copies ward's memory a second time.
     * Not where ward has work to do with the process before its execve
     * and so must know its pid to kill it on a failure: a notify
     * listener's handoff (the process waits for it), a console to pass. */
    pid_t k = stp[1] >= 0 || p->terminal ? fork() : vfork();
    if (k < 0) {
      werr_sys(&e, "fork");
      sync_send_error(sv[1], e);
      _exit(1);
    }
    if (k == 0)
      exec_child(sv[1], p, seccomp, o->preserve_fds, stp[1]);
    if (stp[1] >= 0)
      close(stp[1]);
    /* Sent before our exit, on the socket the process shares: ward's EOF
     * (this exit and the process' execve both done) always comes after
     * it.  A "ready" message from the process itself would race this one
     * (ward once stopped reading at it: "no pid from helper"). */
    sync_send(sv[1], SYNC_PID, k, NULL, 0, &e);
    _exit(0);
  }
  close(sv[1]);
  sv[1] = -1;
  if (stp[1] >= 0) {
    close(stp[1]);
    stp[1] = -1;
  }
  if (!born_in) {
    if (cg && cgroup_enter(cg, helper, err) < 0)
      goto out;
    if (sync_send(sv[0], SYNC_GO, 0, NULL, 0, err) < 0)
      goto out;
  }
  for (;;) {
    struct sync_msg m;
    int fd = -1;
    size_t n = 1;
    int r = sync_recv_or_eof(sv[0], &m, &fd, &n, err);
    if (r < 0)
      goto out;
    if (r == 0 && child > 0)
      break; /* the helper is gone and the process exec'd */
    if (r == 0) {
      werr_code(err, EPROTO, "exec: no pid from helper");
      goto out;
    }
    if (m.type == SYNC_PID) {
      child = (pid_t)m.value;
      if (stp[0] >= 0 &&
          hand_listener(sv[0], stp[0], st, status, c, child, err) < 0)
        goto out;
    } else if (m.type == SYNC_CONSOLE && n == 1) {
      if (container_pass_console(o->console_socket, fd, &master, err) < 0)
        goto out;
    } else if (n == 1) {
      close(fd);
    }
  }
  waitpid(helper, NULL, 0);
  helper = -1;
  if (child <= 0) {
    werr_code(err, EPROTO, "exec: no pid from helper");
    goto out;
  }
  if (o->pid_file && container_write_pid_file(o->pid_file, child, err) < 0)
    goto out;
  if (o->detach) {
    rc = 0;
    goto out;
  }
  rc = foreground_wait(child, -1, master, err);
  child = -1;
out:
  if (rc < 0 && child > 0)
    kill(child, SIGKILL);
  if (helper > 0) {
    kill(helper, SIGKILL);
    waitpid(helper, NULL, 0);
  }
  if (sv[0] >= 0)
    close(sv[0]);
  if (sv[1] >= 0)
    close(sv[1]);
  for (int i = 0; i < 2; i++)
    if (stp[i] >= 0)
      close(stp[i]);
  seccomp_prog_free(seccomp);
  return rc;
}


int container_exec(const struct ward_ctx *ctx, struct container_state *st,
                   const struct spec_config *c, struct spec_process *p,
                   const struct exec_opts *o, werr_t *err) {
  (void)ctx;
  /* The pidfd first: while it pins the init, the status need not look at
   * /proc again, and one cgroup handle serves the freezer and the move. */
  _cleanup_close_ int pidfd = state_pidfd(st, NULL);
  struct cgroup_handle *cg = NULL;
  werr_t cg_err = NULL;
  if (pidfd >= 0 && st->cgroup && st->cgroup[0])
    cgroup_open(st->cgroup, &cg, &cg_err);
  enum container_status s =
      pidfd >= 0 ? state_status_live(st, cg) : state_status(st);
  int rc = -1;
  if (s != STATUS_RUNNING && s != STATUS_CREATED) {
    werr_code(err, EINVAL, "cannot exec in a %s container \"%s\"",
              state_status_name(s), st->id);
    goto out;
  }
  if (cg_err) {
    if (err) {
      werr_free(err);
      *err = take_ptr(cg_err);
    }
    goto out;
  }
  if (sched_check(p, err) < 0 || lsm_check_process(p, err) < 0)
    goto out;
  if (p->terminal && !o->console_socket && o->detach) {
    werr_code(err, EINVAL, "exec: --tty with --detach needs --console-socket");
    goto out;
  }
  rc = run_exec(o, st, s, cg, pidfd, c, p, err);
out:
  werr_free(&cg_err);
  cgroup_handle_free(cg);
  return rc;
}
