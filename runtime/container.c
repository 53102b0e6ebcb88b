/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "cgroup.h"
#include "cleanup.h"
#include "exec_status.h"
#include "hooks.h"
#include "idmap.h"
#include "init.h"
#include "lsm.h"
#include "process_sched.h"
#include "ns.h"
#include "seccomp_cache.h"
#include "seccomp_filter.h"
#include "state_json.h"
#include "sync.h"
#include "tty.h"
#include "utils.h"

#define EXEC_FIFO "exec.fifo"
#define CONFIG_COPY "config.json"

/* What a failed create must undo, in reverse order of creation. */
struct undo {
  const char *root;
  const char *id;
  char *dir;
  bool idmap;
  struct cgroup_handle *cgroup;
  pid_t pid;
  int pidfd;
};

static void undo_run(struct undo *u) {
  werr_t e = NULL;
  if (u->pid > 0) {
    if (u->pidfd >= 0)
      syscall(SYS_pidfd_send_signal, u->pidfd, SIGKILL, NULL, 0);
    else
      kill(u->pid, SIGKILL);
    waitpid(u->pid, NULL, 0);
  }
  if (u->cgroup) {
    cgroup_destroy(u->cgroup, &e);
    werr_free(&e);
    cgroup_handle_free(u->cgroup);
    u->cgroup = NULL;
  }
  if (u->idmap) {
    idmap_release(u->root, u->id, &e);
    werr_free(&e);
  }
  if (u->dir) {
    rm_rf(u->dir, &e);
    werr_free(&e);
  }
  free(u->dir);
  if (u->pidfd >= 0)
    close(u->pidfd);
}

static int validate(struct global_opts *g, const struct create_opts *o,
                    const struct spec_config *c, werr_t *err) {
  (void)g;
  if (!c->has_process)
    return werr(err, EINVAL, "config.json: process: required to create a container");
  if (c->process.terminal && !o->console_socket && !o->foreground)
    return werr(err, EINVAL,
                "process.terminal is set: a detached container needs "
                "--console-socket to receive its terminal");
  if (!c->process.terminal && o->console_socket)
    return werr(err, EINVAL,
                "--console-socket given but process.terminal is false");
  if (caps_validate(&c->process, err) < 0 ||
      sched_check(&c->process, err) < 0 || lsm_check(c, err) < 0)
    return werr_prefix(err, "config.json");
  if (c->linux_.netDevices_len)
    return werr(err, ENOTSUP,
                "config.json: linux.netDevices: not supported by ward yet");
  if (c->linux_.intelRdt.present) {
    if (access("/sys/fs/resctrl/info", F_OK) < 0)
      return werr(err, ENOTSUP,
                  "config.json: linux.intelRdt: resctrl is not mounted on "
                  "this host (/sys/fs/resctrl)");
    return werr(err, ENOTSUP,
                "config.json: linux.intelRdt: not supported by ward yet");
  }
  return 0;
}

static char *resolve_rootfs(const char *bundle, const char *root_path,
                            werr_t *err) {
  _cleanup_free_ char *joined = root_path[0] == '/'
                                    ? xstrdup(root_path)
                                    : xasprintf("%s/%s", bundle, root_path);
  char *real = realpath(joined, NULL);
  if (real == NULL) {
    werr_sys(err, "rootfs %s", joined);
    return NULL;
  }
  struct stat st;
  if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
    werr(err, ENOTDIR, "rootfs %s: not a directory", joined);
    free(real);
    return NULL;
  }
  return real;
}

static pid_t clone_init(unsigned long long flags, int *pidfd, int cgroup_fd,
                        werr_t *err) {
  struct clone_args ca = {
      .flags = flags | CLONE_PIDFD | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0),
      .pidfd = (uint64_t)(uintptr_t)pidfd,
      .exit_signal = SIGCHLD,
      .cgroup = (uint64_t)(cgroup_fd >= 0 ? cgroup_fd : 0),
  };
  pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
  if (pid < 0)
    return werr_sys(err, "clone3 (namespaces %#llx)", flags);
  return pid;
}

static char *creating_state_json(const struct spec_config *c, const char *id,
                                 const char *bundle, pid_t pid,
                                 const char *status) {
  struct spec_state s = {.ociVersion = c->ociVersion,
                         .id = id,
                         .status = status,
                         .pid = pid,
                         .bundle = bundle,
                         .annotations = &c->annotations};
  return spec_state_emit(&s, false);
}

/* Talk to the init until it waits on the exec fifo. */
static int drive_init(struct global_opts *g, const struct create_opts *o,
                      const struct spec_config *c, const char *bundle,
                      pid_t pid, int sock, int *console_master, werr_t *err) {
  (void)g;
  for (;;) {
    struct sync_msg m;
    int fd = -1;
    size_t n = 1;
    if (sync_recv(sock, &m, &fd, &n, err) < 0)
      return -1;
    _cleanup_close_ int rfd = n ? fd : -1;
    switch (m.type) {
    case SYNC_PRE_PIVOT: {
      _cleanup_free_ char *js =
          creating_state_json(c, o->id, bundle, pid, "creating");
      if (hooks_run(&c->hooks.prestart, "hooks.prestart", js, err) < 0 ||
          hooks_run(&c->hooks.createRuntime, "hooks.createRuntime", js,
                    err) < 0)
        return -1;
      if (sync_send(sock, SYNC_HOOKS_DONE, pid, NULL, 0, err) < 0)
        return -1;
      break;
    }
    case SYNC_CONSOLE:
      if (rfd < 0)
        return werr(err, EPROTO, "sync: console message without fd");
      if (o->console_socket) {
        if (tty_send_console(o->console_socket, rfd, err) < 0)
          return -1;
      } else {
        *console_master = take_fd(rfd);
      }
      break;
    case SYNC_READY:
      return 0;
    default:
      return werr(err, EPROTO, "sync: unexpected message %d", m.type);
    }
  }
}

static int send_idmapped_mounts(const struct spec_config *c,
                                const char *rootfs, pid_t pid, int sock,
                                werr_t *err) {
  int rootfs_fd = -1;
  _cleanup_free_ int *fds = xmalloc0((c->mounts_len + 1) * sizeof(int));
  if (idmap_mount_fds(c, rootfs, pid, &rootfs_fd, fds, err) < 0)
    return -1;
  int rc = 0;
  if (rootfs_fd >= 0) {
    rc = sync_send(sock, SYNC_MOUNT_FDS, -1, &rootfs_fd, 1, err);
    close(rootfs_fd);
  }
  for (size_t i = 0; i < c->mounts_len; i++) {
    if (fds[i] < 0)
      continue;
    if (rc == 0)
      rc = sync_send(sock, SYNC_MOUNT_FDS, (long long)i, &fds[i], 1, err);
    close(fds[i]);
  }
  return rc;
}

static int write_pid_file(const char *path, pid_t pid, werr_t *err) {
  char buf[32];
  int n = snprintf(buf, sizeof(buf), "%d", pid);
  if (write_file_atomic(path, buf, (size_t)n, err) < 0)
    return werr_prefix(err, "--pid-file");
  return 0;
}

static int preserve_count(const struct create_opts *o) {
  int n = o->preserve_fds;
  /* Socket activation: fds the caller passed us by LISTEN_FDS go along. */
  const char *lf = getenv("LISTEN_FDS");
  if (lf) {
    int l = atoi(lf);
    if (l > n)
      n = l;
  }
  return n;
}

static int do_create(struct global_opts *g, const struct create_opts *o,
                     struct spec_config *c, const char *bundle,
                     const char *rootfs, struct undo *u, struct created *out,
                     werr_t *err) {
  if (mkdir_p(g->root, 0711, err) < 0)
    return -1;
  u->dir = state_dir(g->root, o->id);
  if (mkdir(u->dir, 0711) < 0) {
    int e = errno;
    free(u->dir);
    u->dir = NULL;
    if (e == EEXIST)
      return werr_plain(err, EEXIST, "container \"%s\" already exists", o->id);
    errno = e;
    return werr_sys(err, "mkdir %s/%s", g->root, o->id);
  }
  _cleanup_close_ int lock = state_lock(u->dir, err);
  if (lock < 0)
    return -1;

  if (idmap_prepare(g->root, o->id, c, err) < 0)
    return -1;
  u->idmap = true;
  if (cgroup_create(o->id, c->linux_.cgroupsPath, g->systemd_cgroup,
                    c->linux_.resources, &u->cgroup, err) < 0)
    return -1;
  /* A first record, before anything else exists that only it can find:
   * `delete --force` after a killed create removes the cgroup too. */
  _cleanup_free_ char *created = now_rfc3339();
  _cleanup_free_ char *cgroup = cgroup_serialize(u->cgroup);
  _cleanup_free_ char *config_copy = xasprintf("%s/" CONFIG_COPY, u->dir);
  struct container_state st = {.id = (char *)o->id,
                               .bundle = (char *)bundle,
                               .rootfs = (char *)rootfs,
                               .created = created,
                               .cgroup = cgroup,
                               .config = config_copy,
                               .systemd_cgroup = g->systemd_cgroup,
                               .annotations = c->annotations,
                               .dir = u->dir};
  if (state_save(&st, err) < 0)
    return -1;
  _cleanup_free_ char *fifo = xasprintf("%s/" EXEC_FIFO, u->dir);
  /* Writable by all: the init opens it after switching to process.user. */
  if (mkfifo(fifo, 0622) < 0 || chmod(fifo, 0622) < 0)
    return werr_sys(err, "mkfifo %s", fifo);
  _cleanup_close_ int fifo_fd = open(fifo, O_PATH | O_CLOEXEC);
  if (fifo_fd < 0)
    return werr_sys(err, "open %s", fifo);
  struct seccomp_prog *seccomp = NULL;
  if (c->linux_.seccomp &&
      seccomp_filter_prepare(c->linux_.seccomp, SECCOMP_CACHE_DIR, &seccomp,
                             err) < 0)
    return -1;

  struct ns_plan ns;
  if (ns_plan_open(c, &ns, err) < 0) {
    seccomp_prog_free(seccomp);
    return werr_prefix(err, "config.json");
  }
  int sv[2] = {-1, -1};
  int rc = -1;
  _cleanup_close_ int cgroup_fd = -1, cwd_fd = -1;
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    werr_sys(err, "socketpair");
    goto out;
  }
  if (ns_prepare_parent(c, &ns, err) < 0)
    goto out;
  int pidfd = -1;
  cgroup_fd = cgroup_clone_fd(u->cgroup);
  /* The init starts in the bundle (relative bind sources are relative to
   * it) by inheriting ward's cwd: once in its user namespace it may not be
   * allowed to search its way there.  ward goes back at once, so a
   * relative --pid-file or --console-socket stays the caller's. */
  cwd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cwd_fd < 0 || chdir(bundle) < 0) {
    werr_sys(err, "chdir %s", bundle);
    goto out;
  }
  pid_t pid = clone_init(ns_clone_flags(&ns), &pidfd, cgroup_fd, err);
  if (pid != 0 && fchdir(cwd_fd) < 0 && pid > 0) {
    werr_sys(err, "return to the working directory");
    u->pid = pid;
    u->pidfd = pidfd;
    goto out;
  }
  if (pid < 0)
    goto out;
  if (pid == 0) {
    close(sv[0]);
    struct init_args a = {.c = c,
                          .id = o->id,
                          .bundle = bundle,
                          .rootfs = rootfs,
                          .sync_fd = sv[1],
                          .fifo_fd = fifo_fd,
                          .lock_fd = lock,
                          .preserve_fds = preserve_count(o),
                          .no_pivot = o->no_pivot,
                          .no_new_keyring = o->no_new_keyring,
                          .ns = &ns,
                          .cgroup = u->cgroup,
                          .seccomp = seccomp};
    container_init(&a);
  }
  u->pid = pid;
  u->pidfd = pidfd;
  if (cgroup_fd >= 0)
    cgroup_cloned_into(u->cgroup);
  close(sv[1]);
  sv[1] = -1;

  if (ns.create[SPEC_NS_USER] &&
      idmap_write(pid, &c->linux_.uidMappings, &c->linux_.gidMappings, err) < 0)
    goto out;
  if (cgroup_enter(u->cgroup, pid, err) < 0)
    goto out;

  /* Recorded (again, now with the pid) before the init is released, so
   * that a ward killed from here on leaves a container `delete --force`
   * can clean up. */
  st.pid = pid;
  st.pid_start = proc_start_time(pid);
  if (state_save(&st, err) < 0)
    goto out;

  if (send_idmapped_mounts(c, rootfs, pid, sv[0], err) < 0)
    goto out;
  if (sync_send(sv[0], SYNC_GO, 0, NULL, 0, err) < 0)
    goto out;
  if (drive_init(g, o, c, bundle, pid, sv[0], &out->console_master, err) < 0)
    goto out;
  if (o->pid_file && write_pid_file(o->pid_file, pid, err) < 0)
    goto out;
  out->pid = pid;
  out->pidfd = dup(pidfd);
  rc = 0;
out:
  if (sv[0] >= 0)
    close(sv[0]);
  if (sv[1] >= 0)
    close(sv[1]);
  ns_plan_close(&ns);
  seccomp_prog_free(seccomp);
  return rc;
}

int container_create(struct global_opts *g, const struct create_opts *o,
                     struct created *out, werr_t *err) {
  out->console_master = -1;
  out->pidfd = -1;
  out->pid = 0;
  if (state_validate_id(o->id, err) < 0)
    return -1;
  _cleanup_free_ char *bundle = realpath(o->bundle ? o->bundle : ".", NULL);
  if (bundle == NULL)
    return werr_sys(err, "bundle %s", o->bundle ? o->bundle : ".");
  _cleanup_free_ char *config_path = xasprintf("%s/config.json", bundle);
  _cleanup_free_ char *config_text = NULL;
  if (read_file(config_path, &config_text, NULL, err) < 0)
    return -1;
  struct spec_config *c = NULL;
  if (spec_config_parse(config_text, &c, err) < 0)
    return -1;
  int rc = -1;
  _cleanup_free_ char *copy = NULL;
  _cleanup_free_ char *rootfs = resolve_rootfs(bundle, c->root_path, err);
  if (rootfs == NULL)
    goto out;
  if (validate(g, o, c, err) < 0)
    goto out;

  struct undo u = {.root = g->root, .id = o->id, .pidfd = -1};
  if (do_create(g, o, c, bundle, rootfs, &u, out, err) < 0) {
    if (out->console_master >= 0)
      close(out->console_master);
    undo_run(&u);
    goto out;
  }
  /* poststop hooks and exec read the config as it was at create. */
  copy = xasprintf("%s/" CONFIG_COPY, u.dir);
  if (write_file_str(copy, config_text, err) < 0) {
    undo_run(&u);
    goto out;
  }
  if (u.pidfd >= 0)
    close(u.pidfd);
  cgroup_handle_free(u.cgroup);
  free(u.dir);
  rc = 0;
out:
  spec_config_free(c);
  return rc;
}

static int load_config_copy(const struct container_state *st,
                            struct spec_config **c, werr_t *err) {
  return spec_config_load(st->config, c, err);
}

int container_start(struct global_opts *g, const char *id, werr_t *err) {
  struct container_state *st = NULL;
  if (state_load(g->root, id, &st, err) < 0)
    return -1;
  int rc = -1;
  enum container_status s = state_status(st);
  _cleanup_free_ char *fifo = xasprintf("%s/" EXEC_FIFO, st->dir);
  _cleanup_close_ int pidfd = -1, ffd = -1;
  struct spec_config *c = NULL;
  if (s != STATUS_CREATED) {
    if (s == STATUS_STOPPED)
      werr(err, EINVAL, "cannot start a container that has stopped");
    else
      werr(err, EINVAL, "cannot start an already %s container",
           state_status_name(s));
    goto out;
  }
  pidfd = state_pidfd(st, err);
  if (pidfd < 0)
    goto out;
  ffd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (ffd < 0) {
    werr_sys(err, "open %s", fifo);
    goto out;
  }
  /* Wait for the init's byte, or for the init to die. */
  for (;;) {
    struct pollfd p[2] = {{.fd = ffd, .events = POLLIN},
                          {.fd = pidfd, .events = POLLIN}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      werr_sys(err, "poll %s", fifo);
      goto out;
    }
    if (p[0].revents & POLLIN) {
      char b;
      if (read(ffd, &b, 1) == 1)
        break;
    }
    if (p[1].revents) {
      werr_plain(err, ESRCH, "container \"%s\": init exited before start", id);
      goto out;
    }
  }
  unlink(fifo);
  /* [h-init] The init runs its last steps now: wait until it has exec'd
   * (or report its error), handing a seccomp listener to the agent. */
  if (load_config_copy(st, &c, err) < 0) {
    syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
    goto out;
  }
  {
    struct spec_state ss = {.ociVersion = c->ociVersion,
                            .id = st->id,
                            .status = "created",
                            .pid = st->pid,
                            .bundle = st->bundle,
                            .annotations = &st->annotations};
    _cleanup_free_ char *js = spec_state_emit(&ss, false);
    if (exec_status_wait(ffd, pidfd, c->linux_.seccomp, js, err) < 0)
      goto out;
  }
  /* [/h-init] */
  if (c->hooks.poststart.len) {
    struct spec_state ss = {.ociVersion = c->ociVersion,
                            .id = st->id,
                            .status = "running",
                            .pid = st->pid,
                            .bundle = st->bundle,
                            .annotations = &st->annotations};
    _cleanup_free_ char *js = spec_state_emit(&ss, false);
    /* poststart failures are logged but do not stop the container (spec) */
    hooks_run_warn(&c->hooks.poststart, "hooks.poststart", js);
  }
  rc = 0;
out:
  spec_config_free(c);
  container_state_free(st);
  return rc;
}

static void wait_pidfd(int pidfd, int ms) {
  struct pollfd p = {.fd = pidfd, .events = POLLIN};
  while (poll(&p, 1, ms) < 0 && errno == EINTR)
    ;
}

int container_kill_all_and_wait(struct container_state *st, werr_t *err) {
  struct cgroup_handle *h = NULL;
  if (st->cgroup && st->cgroup[0] && cgroup_open(st->cgroup, &h, NULL) == 0) {
    werr_t e = NULL;
    if (cgroup_signal_all(h, SIGKILL, &e) < 0)
      werr_free(&e);
    cgroup_handle_free(h);
  }
  _cleanup_close_ int pidfd = state_pidfd(st, NULL);
  if (pidfd < 0)
    return 0;
  if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0 &&
      errno != ESRCH)
    return werr_sys(err, "kill container \"%s\"", st->id);
  wait_pidfd(pidfd, 10000);
  /* Reap it if it is ours (ward run); otherwise its parent does. */
  waitpid(st->pid, NULL, WNOHANG);
  return 0;
}

int container_delete(struct global_opts *g, struct container_state *st,
                     bool force, werr_t *err) {
  _cleanup_close_ int lock = state_lock(st->dir, err);
  if (lock < 0)
    return -1;
  enum container_status s = state_status(st);
  if (s == STATUS_RUNNING || s == STATUS_PAUSED) {
    if (!force)
      return werr_plain(err, EBUSY,
                  "cannot delete container \"%s\" that is not stopped: %s",
                  st->id, state_status_name(s));
  }
  if (s != STATUS_STOPPED) {
    if (s == STATUS_PAUSED && st->cgroup && st->cgroup[0]) {
      struct cgroup_handle *h = NULL;
      if (cgroup_open(st->cgroup, &h, NULL) == 0) {
        cgroup_signal_all(h, SIGKILL, NULL);
        cgroup_freeze(h, false, NULL);
        cgroup_handle_free(h);
      }
    }
    if (container_kill_all_and_wait(st, err) < 0)
      return -1;
  }
  struct spec_config *c = NULL;
  if (load_config_copy(st, &c, NULL) == 0 && c->hooks.poststop.len) {
    struct spec_state ss = {.ociVersion = c->ociVersion,
                            .id = st->id,
                            .status = "stopped",
                            .bundle = st->bundle,
                            .annotations = &st->annotations};
    _cleanup_free_ char *js = spec_state_emit(&ss, false);
    /* runtime-spec: poststop failures are logged, delete still succeeds */
    hooks_run_warn(&c->hooks.poststop, "hooks.poststop", js);
  }
  spec_config_free(c);
  if (st->cgroup && st->cgroup[0]) {
    struct cgroup_handle *h = NULL;
    if (cgroup_open(st->cgroup, &h, err) < 0)
      return -1;
    int rc = cgroup_destroy(h, err);
    cgroup_handle_free(h);
    if (rc < 0)
      return -1;
  }
  if (idmap_release(g->root, st->id, err) < 0)
    return -1;
  if (rm_rf(st->dir, err) < 0)
    return -1;
  return 0;
}
