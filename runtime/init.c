/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "lazylib.h"
#include "exec_status.h"
#include "hooks.h"
#include "lsm.h"
#include "mount.h"
#include "process_sched.h"
#include "process.h"
#include "state_json.h"
#include "sync.h"
#include "tty.h"
#include "utils.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1

struct init_state {
  const struct init_args *a;
  int rootfs_idmap_fd;
  int *mount_fds;
  pid_t host_pid;
  pid_t fifo_opener; /* see spawn_fifo_opener */
};

static __attribute__((noreturn)) void die(const struct init_args *a,
                                          werr_t *err) {
  sync_send_error(a->sync_fd, *err);
  _exit(1);
}

/* Wait for ward's GO, collecting idmapped mount fds sent before it. */
static int wait_go(struct init_state *s, werr_t *err) {
  for (;;) {
    struct sync_msg m;
    int fd = -1;
    size_t n = 1;
    if (sync_recv(s->a->sync_fd, &m, &fd, &n, err) < 0)
      return -1;
    if (m.type == SYNC_GO) {
      s->host_pid = (pid_t)m.value;
      return 0;
    }
    if (m.type != SYNC_MOUNT_FDS || n != 1)
      return werr_code(err, EPROTO, "sync: unexpected message %d", m.type);
    if (m.value < 0)
      s->rootfs_idmap_fd = fd;
    else if ((size_t)m.value < s->a->c->mounts_len)
      s->mount_fds[m.value] = fd;
    else
      close(fd);
  }
}

static char *state_json(const struct init_args *a, pid_t pid,
                        const char *status) {
  return spec_state_of_config(a->c, a->id, a->bundle, status, pid);
}

static int set_sysctls(const struct spec_config *c, werr_t *err) {
  for (size_t i = 0; i < c->linux_.sysctl.len; i++) {
    const struct kv *kv = &c->linux_.sysctl.items[i];
    _cleanup_free_ char *path = xasprintf("/proc/sys/%s", kv->key);
    for (char *p = path + strlen("/proc/sys/"); *p; p++)
      if (*p == '.')
        *p = '/';
    if (write_proc_file(path, kv->value, err) < 0)
      return werr_prefix(err, "linux.sysctl.%s", kv->key);
  }
  return 0;
}

static int set_names(const struct spec_config *c, werr_t *err) {
  if (c->hostname && c->hostname[0] &&
      sethostname(c->hostname, strlen(c->hostname)) < 0)
    return werr_sys(err, "hostname: sethostname");
  if (c->domainname && c->domainname[0] &&
      setdomainname(c->domainname, strlen(c->domainname)) < 0)
    return werr_sys(err, "domainname: setdomainname");
  return 0;
}

static int set_personality(const struct spec_config *c, werr_t *err) {
  const struct spec_personality *p = &c->linux_.personality;
  if (!p->present)
    return 0;
  unsigned long persona = strcmp(p->domain, "LINUX32") == 0 ? PER_LINUX32
                                                             : PER_LINUX;
  if (personality(persona) < 0)
    return werr_sys(err, "linux.personality: %s", p->domain);
  return 0;
}

/* Without a mount namespace of its own the init chroots, and no /proc is
 * left through which to reopen the O_PATH fifo fd for writing, as the
 * blocking open that waits for `ward start` must.  So a child sharing our
 * fd table (CLONE_FILES, not CLONE_FS: our chroot leaves its root alone)
 * does that open and puts the write end in place of the O_PATH fd.  Its
 * root is the caller's, but so is the container's mount namespace. */
static int spawn_fifo_opener(struct init_state *s, werr_t *err) {
  int fifo_fd = s->a->fifo_fd;
  char path[FD_PATH_MAX];
  fd_path(fifo_fd, path);
  pid_t parent = getpid();
  pid_t pid = (pid_t)syscall(SYS_clone, CLONE_FILES | SIGCHLD, NULL, NULL,
                             NULL, NULL);
  if (pid < 0)
    return werr_sys(err, "clone the exec fifo opener");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != parent)
      _exit(1);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || dup3(fd, fifo_fd, O_CLOEXEC) < 0)
      _exit(1);
    close(fd);
    _exit(0);
  }
  s->fifo_opener = pid;
  return 0;
}

/* Everything up to the exec fifo; errors reach `ward create`. */
static int init_setup(struct init_state *s, werr_t *err) {
  const struct init_args *a = s->a;
  const struct spec_config *c = a->c;
  const struct spec_process *p = &c->process;

  /* ward waits for JOINED before anything else: a failed setns reaches
   * the user as itself, not as ward's next send failing. */
  if (sched_apply_initial(p, err) < 0 || ns_join_in_child(c, a->ns, err) < 0 ||
      sync_send(a->sync_fd, SYNC_JOINED, 0, NULL, 0, err) < 0)
    return -1;
  /* Each names a host namespace: gone before anyone can look. */
  for (int i = 0; i < SPEC_NS_COUNT; i++)
    if (a->ns->join_fd[i] >= 0)
      close(a->ns->join_fd[i]);
  if (wait_go(s, err) < 0)
    return -1;
  /* Opened now: after GO, so the maps exist and our capabilities in the
   * user namespace cover directories owned by mapped ids (podman chowns its
   * storage to the container's root), but before we become the container's
   * root, while directories owned by ward's own uid (a 0700 /tmp or home)
   * are still ours to search. */
  _cleanup_close_ int rootfs_fd = open(a->rootfs, O_PATH | O_DIRECTORY |
                                                      O_CLOEXEC);
  if (rootfs_fd < 0)
    return werr_sys(err, "open rootfs %s", a->rootfs);
  /* Until exec, /proc/self/exe of this process is ward itself: keep it out
   * of reach of other processes in the container (CVE-2019-5736).  Not
   * before GO: an unprivileged ward must still open our uid_map.  And
   * not before oom_score_adj: a non-dumpable process's /proc files belong
   * to the host's root, which a user namespace does not map. */
  if (process_set_oom_score(p, err) < 0)
    return -1;
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  bool mntns = a->ns->create[SPEC_NS_MOUNT];
  if (!mntns && spawn_fifo_opener(s, err) < 0)
    return -1;
  if (a->ns->create[SPEC_NS_USER] || a->ns->join_fd[SPEC_NS_USER] >= 0) {
    /* Become the container's root now that the maps exist (a joined user
     * namespace does not map ward's uid 0). */
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
      return werr_sys(err, "become root in the user namespace");
  }
  if (a->ns->create[SPEC_NS_CGROUP] && unshare(CLONE_NEWCGROUP) < 0)
    return werr_sys(err, "unshare cgroup namespace");
  if (!a->no_new_keyring) {
    _cleanup_free_ char *name = xasprintf("_ses.%s", a->id);
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name) < 0 &&
        errno != ENOSYS && errno != EPERM && errno != EACCES)
      return werr_sys(err, "join session keyring");
  }

  struct mount_ctx mc = {.c = c,
                         .rootfs = a->rootfs,
                         .rootfs_fd = rootfs_fd,
                         .root_mount_fd = -1,
                         .rootfs_idmap_fd = s->rootfs_idmap_fd,
                         .mount_fds = s->mount_fds,
                         .cgroup = a->cgroup,
                         .userns = a->ns->create[SPEC_NS_USER] ||
                                   a->ns->join_fd[SPEC_NS_USER] >= 0,
                         .cgroupns = a->ns->create[SPEC_NS_CGROUP]};
  if (mntns && mount_rootfs(&mc, err) < 0)
    return -1;

  /* prestart/createRuntime hooks run in ward, in the runtime's namespaces. */
  if (init_stops_before_pivot(c) &&
      (sync_send(a->sync_fd, SYNC_PRE_PIVOT, 0, NULL, 0, err) < 0 ||
       sync_expect(a->sync_fd, SYNC_HOOKS_DONE, NULL, NULL, NULL, err) < 0))
    return -1;
  if (c->hooks.createContainer.len) {
    _cleanup_free_ char *js = state_json(a, s->host_pid, "creating");
    if (hooks_run(&c->hooks.createContainer, "hooks.createContainer", js,
                  err) < 0)
      return -1;
  }

  if (mntns && mount_pivot(&mc, a->no_pivot, err) < 0)
    return -1;
  if (!mntns && (fchdir(rootfs_fd) < 0 || chroot(".") < 0))
    return werr_sys(err, "chroot %s", a->rootfs);
  if (set_sysctls(c, err) < 0 || set_names(c, err) < 0)
    return -1;
  /* runc creates a missing cwd; do it while the root is still writable,
   * resolving inside the new root so it cannot land outside. */
  if (p->cwd && strcmp(p->cwd, "/") != 0) {
    _cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
      return werr_sys(err, "open /");
    int fd = mkdir_in_root(rootfd, p->cwd, 0755, err);
    if (fd < 0)
      return werr_prefix(err, "process.cwd");
    close(fd);
  }
  if (mntns && mount_finalize(&mc, err) < 0)
    return -1;
  /* Consumed: the mounts and the new root are in place, and each fd names a host tree. */
  for (size_t i = 0; i < c->mounts_len; i++)
    if (s->mount_fds[i] >= 0) {
      close(s->mount_fds[i]);
      s->mount_fds[i] = -1;
    }
  if (s->rootfs_idmap_fd >= 0 && s->rootfs_idmap_fd != mc.root_mount_fd)
    close(s->rootfs_idmap_fd);
  s->rootfs_idmap_fd = -1;
  if (mc.root_mount_fd >= 0)
    close(mc.root_mount_fd);

  /* The init leads its own session, as runc's does (the terminal setup
   * does it itself): CRIU cannot dump a tree whose session leader is
   * outside the container. */
  if (!p->terminal && setsid() < 0)
    return werr_sys(err, "setsid");
  if (p->terminal) {
    int master = tty_setup_in_container(p, err);
    if (master < 0)
      return -1;
    int rc = sync_send(a->sync_fd, SYNC_CONSOLE, 0, &master, 1, err);
    close(master);
    if (rc < 0)
      return -1;
  }
  const char *cwd = p->cwd ? p->cwd : "/";
  if (chdir(cwd) < 0)
    return werr_sys(err, "process.cwd: chdir %s", cwd);
  if (set_personality(c, err) < 0 || process_set_limits(p, err) < 0)
    return -1;
  return 0;
}

/* Block until `ward start` opens the fifo's read end; then the fifo fd is
 * our write end, the status channel of exec_status.h. */
static void wait_start(struct init_state *s) {
  const struct init_args *a = s->a;
  if (s->fifo_opener > 0) {
    int st = 0;
    while (waitpid(s->fifo_opener, &st, 0) < 0 && errno == EINTR)
      ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
      _exit(1);
  } else {
    char fifo[FD_PATH_MAX];
    fd_path(a->fifo_fd, fifo);
    int wfd = open(fifo, O_WRONLY | O_CLOEXEC);
    if (wfd < 0 || dup3(wfd, a->fifo_fd, O_CLOEXEC) < 0)
      _exit(1);
    close(wfd);
  }
  if (write(a->fifo_fd, "0", 1) != 1)
    _exit(1);
}

void container_init(const struct init_args *a) {
  werr_t err = NULL;
  struct init_state s = {.a = a, .rootfs_idmap_fd = -1};
  lazylib_forbid();
  /* First act: nothing of the caller's (its cwd, a shell's fd 251, ward's
   * own cgroup and lock fds) stays reachable through /proc/1/fd.  Kept:
   * stdio, the preserved fds, the sync socket, the exec fifo (a fifo, not
   * a directory) and the namespaces still to join. */
  int keep[2 + SPEC_NS_COUNT];
  size_t nkeep = 0;
  keep[nkeep++] = a->sync_fd;
  keep[nkeep++] = a->fifo_fd;
  for (int i = 0; i < SPEC_NS_COUNT; i++)
    if (a->ns->join_fd[i] >= 0)
      keep[nkeep++] = a->ns->join_fd[i];
  if (process_close_inherited(a->preserve_fds, keep, nkeep, &err) < 0)
    die(a, &err);
  s.mount_fds = xmalloc0((a->c->mounts_len + 1) * sizeof(int));
  for (size_t i = 0; i < a->c->mounts_len; i++)
    s.mount_fds[i] = -1;
  if (init_setup(&s, &err) < 0)
    die(a, &err);

  const struct spec_process *p = &a->c->process;
  _cleanup_free_ char *exe = NULL;
  /* A missing binary is a create-time error, as with runc. */
  if (process_resolve_exe(p, &exe, &err) < 0)
    die(a, &err);
  if (sync_send(a->sync_fd, SYNC_READY, 0, NULL, 0, &err) < 0)
    die(a, &err);
  close(a->sync_fd);

  wait_start(&s);
  /* From here every failure goes to `ward start` over the fifo.  All the
   * calls come before the seccomp filter, which process_become_user loads
   * last (see there); only execve runs under it. */
  int st = a->fifo_fd;
  if (a->c->hooks.startContainer.len) {
    _cleanup_free_ char *js = state_json(a, s.host_pid, "created");
    if (hooks_run(&a->c->hooks.startContainer, "hooks.startContainer", js,
                  &err) < 0)
      exec_status_fail(st, err);
  }
  struct exec_status_handoff hs;
  struct seccomp_handoff h;
  exec_status_handoff_init(&hs, st, &h);
  if (process_close_fds(a->preserve_fds, &err) < 0 ||
      sched_apply_final(p, &err) < 0 || lsm_apply_exec_label(p, &err) < 0 ||
      process_become_user(p, a->seccomp, &h, &err) < 0)
    exec_status_fail(st, err);
  process_exec(p, exe, &err);
  /* Under the filter: reporting may be denied, but is worth the try. */
  exec_status_fail(st, err);
}
