/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
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
#include "record.h"
#include "ns.h"
#include "phases.h"
#include "seccomp_filter.h"
#include "state_json.h"
#include "sync.h"
#include "tty.h"
#include "utils.h"

#define CONFIG_COPY "config.json"

static int validate(const struct create_opts *o, const struct spec_config *c,
                    werr_t *err) {
  if (!c->has_process)
    return werr_code(err, EINVAL,
                     "config.json: process: required to create a container");
  if (c->process.terminal && !o->console_socket && !o->foreground)
    return werr_code(err, EINVAL,
                     "process.terminal is set: a detached container needs "
                     "--console-socket to receive its terminal");
  if (!c->process.terminal && o->console_socket)
    return werr_code(err, EINVAL,
                     "--console-socket given but process.terminal is false");
  if (caps_validate(&c->process, err) < 0 ||
      sched_check(&c->process, err) < 0 || lsm_check(c, err) < 0)
    return werr_prefix(err, "config.json");
  if (c->linux_.netDevices_len)
    return werr_code(
        err, ENOTSUP,
        "config.json: linux.netDevices: not supported by ward yet");
  if (c->linux_.intelRdt.present) {
    if (access("/sys/fs/resctrl/info", F_OK) < 0)
      return werr_code(err, ENOTSUP,
                       "config.json: linux.intelRdt: resctrl is not mounted on "
                       "this host (/sys/fs/resctrl)");
    return werr_code(err, ENOTSUP,
                     "config.json: linux.intelRdt: not supported by ward yet");
  }
  return 0;
}

char *container_resolve_rootfs(const char *bundle, const char *root_path,
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
    werr_code(err, ENOTDIR, "rootfs %s: not a directory", joined);
    free(real);
    return NULL;
  }
  return real;
}

/* Namespaces the init creates belong to the user namespace it is cloned
 * in: one it will join by path must be the cloner's already, or a new
 * mount or pid namespace stays out of the init's reach (it could neither
 * mount nor mount /proc).  ward cannot enter it itself (it would never
 * come back), so a short-lived child joins and clones the init as ward's
 * own child (CLONE_PARENT), and passes back its pid and pidfd.  Returns 0
 * in the init. */
static pid_t clone_in_userns(int userns_fd, unsigned long long flags,
                             int *pidfd, werr_t *err) {
  int sp[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
    return werr_sys(err, "socketpair");
  pid_t helper = fork();
  if (helper < 0) {
    close(sp[0]);
    close(sp[1]);
    return werr_sys(err, "fork");
  }
  if (helper == 0) {
    close(sp[0]);
    werr_t e = NULL;
    int fd = -1;
    if (setns(userns_fd, CLONE_NEWUSER) < 0) {
      werr_sys(&e, "join the user namespace to clone the init in");
      sync_send_error(sp[1], e);
      _exit(1);
    }
    /* clone3 takes no exit signal with CLONE_PARENT: the init gets ours,
     * SIGCHLD, as fork's child. */
    struct clone_args ca = {.flags = flags | CLONE_PARENT | CLONE_PIDFD,
                            .pidfd = (uint64_t)(uintptr_t)&fd};
    pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
    if (pid == 0) {
      close(sp[1]);
      return 0;
    }
    if (pid < 0) {
      werr_sys(&e, "clone3 (namespaces %#llx)", flags);
      sync_send_error(sp[1], e);
      _exit(1);
    }
    _exit(sync_send(sp[1], SYNC_PID, pid, &fd, 1, &e) < 0 ? 1 : 0);
  }
  close(sp[1]);
  struct sync_msg m;
  int fd = -1;
  size_t n = 1;
  int rc = sync_expect(sp[0], SYNC_PID, &m, &fd, &n, err);
  close(sp[0]);
  while (waitpid(helper, NULL, 0) < 0 && errno == EINTR)
    ;
  if (rc < 0)
    return -1;
  if (n != 1)
    return werr_code(err, EPROTO, "sync: init pid without its pidfd");
  *pidfd = fd;
  return (pid_t)m.value;
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
  return spec_state_of_config(c, id, bundle, status, pid);
}

/* Talk to the init until it waits on the exec fifo. */
static int drive_init(const struct create_opts *o, const struct spec_config *c,
                      const char *bundle, pid_t pid, int sock, bool joined,
                      int *console_master, werr_t *err) {
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
      if (sync_send(sock, SYNC_HOOKS_DONE, 0, NULL, 0, err) < 0)
        return -1;
      break;
    }
    case SYNC_CONSOLE:
      if (rfd < 0)
        return werr_code(err, EPROTO, "sync: console message without fd");
      if (container_pass_console(o->console_socket, take_fd(rfd),
                                 console_master, err) < 0)
        return -1;
      break;
    case SYNC_READY:
      return 0;
    case SYNC_JOINED:
      if (joined)
        return werr_code(err, EPROTO, "sync: JOINED twice");
      joined = true;
      break;
    default:
      return werr_code(err, EPROTO, "sync: unexpected message %d", m.type);
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

int container_pass_console(const char *console_socket, int fd, int *keep,
                           werr_t *err) {
  if (console_socket == NULL) {
    *keep = fd;
    return 0;
  }
  int rc = tty_send_console(console_socket, fd, err);
  close(fd);
  return rc;
}

int container_write_pid_file(const char *path, pid_t pid, werr_t *err) {
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

/* ---- create, as phases ------------------------------------------------ */

/* Everything the create phases share; rec is the crash-consistent record
 * (record.h), saved whenever a phase is about to make something only it
 * can name. */
struct create_run {
  const struct ward_ctx *ctx;
  const struct create_opts *o;
  struct spec_config *c;
  const char *config_text, *bundle, *rootfs;
  struct container_record rec;
  int fifo_fd, start_fd;
  bool joined; /* the init's JOINED was read (else drive_init reads it) */
  struct seccomp_prog *seccomp;
  struct ns_plan ns;
  bool ns_open;
  int sv[2];
  struct created *out;
};

static int ph_record(void *arg, werr_t *err) {
  struct create_run *r = arg;
  return container_record_begin(&r->rec, r->ctx, r->o->id, r->bundle,
                                r->rootfs, r->config_text, r->c, err);
}

static void undo_record(void *arg) {
  container_record_undo_begin(&((struct create_run *)arg)->rec);
}

/* Decides the maps: fills linux.uidMappings/gidMappings and may add a user
 * namespace to the parsed config.  Every later phase (namespaces above
 * all) reads the config as decided here, so this order is fixed. */
static int ph_idmap(void *arg, werr_t *err) {
  struct create_run *r = arg;
  if (!r->rec.st.idmap)
    return 0; /* nothing in the config asks for a user namespace */
  if (idmap_prepare(r->ctx->root, r->o->id, r->c, err) < 0)
    return -1;
  r->rec.idmap_made = true;
  return 0;
}

static void undo_idmap(void *arg) {
  container_record_undo_idmap(&((struct create_run *)arg)->rec);
}

static int ph_cgroup(void *arg, werr_t *err) {
  struct create_run *r = arg;
  return container_record_cgroup(&r->rec, r->c->linux_.resources, err);
}

static void undo_cgroup(void *arg) {
  container_record_undo_cgroup(&((struct create_run *)arg)->rec);
}

static int ph_seccomp(void *arg, werr_t *err) {
  struct create_run *r = arg;
  if (r->c->linux_.seccomp == NULL)
    return 0;
  return seccomp_filter_prepare(r->c->linux_.seccomp, SECCOMP_CACHE_DIR,
                                &r->seccomp, err);
}

static int ph_namespaces(void *arg, werr_t *err) {
  struct create_run *r = arg;
  if (ns_plan_open(r->c, &r->ns, err) < 0)
    return werr_prefix(err, "config.json");
  r->ns_open = true;
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, r->sv) < 0)
    return werr_sys(err, "socketpair");
  return ns_prepare_parent(r->c, &r->ns, err);
}

static int ph_fifo(void *arg, werr_t *err) {
  struct create_run *r = arg;
  _cleanup_free_ char *fifo = xasprintf("%s/" EXEC_FIFO, r->rec.st.dir);
  /* Writable by all: the init opens it after switching to process.user. */
  if (mkfifo(fifo, 0622) < 0 || chmod(fifo, 0622) < 0)
    return werr_sys(err, "mkfifo %s", fifo);
  r->fifo_fd = open(fifo, O_PATH | O_CLOEXEC);
  if (r->fifo_fd < 0)
    return werr_sys(err, "open %s", fifo);
  /* `run` starts at once: with a reader already there, the init's open of
   * the write end does not block, so it goes on to exec while ward records
   * "created" and starts (no round trip through the fifo).  The init
   * inherits this fd only until its first act closes it. */
  if (r->o->start_at_once) {
    r->start_fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (r->start_fd < 0)
      return werr_sys(err, "open %s", fifo);
  }
  return 0;
}

static __attribute__((noreturn)) void run_init(struct create_run *r,
                                               const sigset_t *mask) {
  phases_child_reset();
  phases_unblock(mask);
  close(r->sv[0]);
  struct init_args a = {.c = r->c,
                        .id = r->o->id,
                        .bundle = r->bundle,
                        .rootfs = r->rootfs,
                        .sync_fd = r->sv[1],
                        .fifo_fd = r->fifo_fd,
                        .lock_fd = r->rec.lock,
                        .preserve_fds = preserve_count(r->o),
                        .no_pivot = r->o->no_pivot,
                        .no_new_keyring = r->o->no_new_keyring,
                        .ns = &r->ns,
                        .cgroup = r->rec.cgroup,
                        .seccomp = r->seccomp};
  container_init(&a);
}

/* The init waits for SYNC_GO: if ward dies before sending it, the socket
 * closes and the init exits. */
static int ph_clone(void *arg, werr_t *err) {
  struct create_run *r = arg;
  _cleanup_close_ int cgroup_fd = cgroup_clone_fd(r->rec.cgroup);
  /* The init starts in the bundle (relative bind sources are relative to
   * it) by inheriting ward's cwd: once in its user namespace it may not be
   * allowed to search its way there.  ward goes back at once, so a
   * relative --pid-file or --console-socket stays the caller's. */
  _cleanup_close_ int cwd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cwd_fd < 0 || chdir(r->bundle) < 0)
    return werr_sys(err, "chdir %s", r->bundle);
  sigset_t mask;
  int pidfd = -1;
  phases_block(&mask);
  /* In a joined user namespace the cgroup is entered by ph_cgroup_enter
   * (CLONE_INTO_CGROUP would check ward's rights from inside it). */
  int userns = r->ns.join_fd[SPEC_NS_USER];
  pid_t pid = userns >= 0 ? clone_in_userns(userns, ns_clone_flags(&r->ns),
                                            &pidfd, err)
                          : clone_init(ns_clone_flags(&r->ns), &pidfd,
                                       cgroup_fd, err);
  if (pid == 0)
    run_init(r, &mask);
  phases_unblock(&mask);
  if (pid < 0) {
    if (fchdir(cwd_fd) < 0)
      werr_sys(err, "return to the working directory");
    return -1;
  }
  if (cgroup_fd >= 0 && userns < 0)
    cgroup_cloned_into(r->rec.cgroup);
  close(r->sv[1]);
  r->sv[1] = -1;
  /* Recorded before the init is released, so that a ward killed from here
   * on leaves a container `delete --force` can clean up. */
  if (container_record_pid(&r->rec, pid, pidfd, err) < 0)
    return -1;
  if (fchdir(cwd_fd) < 0)
    return werr_sys(err, "return to the working directory");
  return 0;
}

static void undo_clone(void *arg) {
  container_record_undo_pid(&((struct create_run *)arg)->rec);
}

/* The init's first word: it is in the namespaces given by path, or why
 * not.  Waited for only when what ward does before GO needs the init in
 * its user namespace (the maps, idmapped mounts, a cgroup entered from
 * inside a joined one).  Without one, GO goes at once and drive_init reads
 * JOINED later: the init finds GO waiting instead of sleeping a round
 * trip. */
static int ph_joined(void *arg, werr_t *err) {
  struct create_run *r = arg;
  if (!r->ns.create[SPEC_NS_USER] && r->ns.join_fd[SPEC_NS_USER] < 0)
    return 0;
  if (sync_expect(r->sv[0], SYNC_JOINED, NULL, NULL, NULL, err) < 0)
    return -1;
  r->joined = true;
  return 0;
}

static int ph_userns(void *arg, werr_t *err) {
  struct create_run *r = arg;
  if (!r->ns.create[SPEC_NS_USER])
    return 0;
  return idmap_write(r->rec.pid, &r->c->linux_.uidMappings,
                     &r->c->linux_.gidMappings, err);
}

static int ph_cgroup_enter(void *arg, werr_t *err) {
  struct create_run *r = arg;
  return cgroup_enter(r->rec.cgroup, r->rec.pid, err);
}

static int ph_mounts(void *arg, werr_t *err) {
  struct create_run *r = arg;
  if (send_idmapped_mounts(r->c, r->rootfs, r->rec.pid, r->sv[0], err) < 0)
    return -1;
  /* The init learns its pid as the host sees it (for the hooks' state). */
  if (sync_send(r->sv[0], SYNC_GO, r->rec.pid, NULL, 0, err) == 0)
    return 0;
  /* An init that failed before JOINED (a setns, its scheduler) and exited
   * left its own error behind, which says more than our failed send. */
  struct sync_msg m;
  werr_t e = NULL;
  if (!r->joined && sync_recv_or_eof(r->sv[0], &m, NULL, NULL, &e) < 0 &&
      e && !e->sys) {
    werr_free(err);
    *err = e;
  } else {
    werr_free(&e);
  }
  return -1;
}

/* The init sets itself up; ward runs the prestart/createRuntime hooks and
 * passes the console until the init waits on the exec fifo. */
static int ph_init(void *arg, werr_t *err) {
  struct create_run *r = arg;
  return drive_init(r->o, r->c, r->bundle, r->rec.pid, r->sv[0], r->joined,
                    &r->out->console_master, err);
}

static void undo_console(void *arg) {
  struct create_run *r = arg;
  if (r->out->console_master >= 0)
    close(r->out->console_master);
  r->out->console_master = -1;
}

static int ph_done(void *arg, werr_t *err) {
  struct create_run *r = arg;
  if (r->o->pid_file &&
      container_write_pid_file(r->o->pid_file, r->rec.pid, err) < 0)
    return -1;
  return container_record_done(&r->rec, err);
}

static const struct phase create_phases[] = {
    {"record", ph_record, undo_record},
    {"idmap", ph_idmap, undo_idmap},
    {"cgroup", ph_cgroup, undo_cgroup},
    {"seccomp", ph_seccomp, NULL},
    {"namespaces", ph_namespaces, NULL},
    {"fifo", ph_fifo, NULL},
    {"clone", ph_clone, undo_clone},
    {"joined", ph_joined, NULL},
    {"userns", ph_userns, NULL},
    {"cgroup-enter", ph_cgroup_enter, NULL},
    {"mounts", ph_mounts, NULL},
    {"init", ph_init, undo_console},
    {"done", ph_done, NULL},
};

int container_create(const struct ward_ctx *ctx, const struct create_opts *o,
                     struct created *out, werr_t *err) {
  out->console_master = -1;
  out->pidfd = -1;
  out->start_fd = -1;
  out->pid = 0;
  out->config = NULL;
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
  _cleanup_free_ char *rootfs = container_resolve_rootfs(bundle, c->root_path, err);
  if (rootfs == NULL || validate(o, c, err) < 0)
    goto out;

  struct create_run r = {.ctx = ctx,
                         .o = o,
                         .c = c,
                         .config_text = config_text,
                         .bundle = bundle,
                         .rootfs = rootfs,
                         .rec = {.lock = -1, .pidfd = -1},
                         .fifo_fd = -1,
                         .start_fd = -1,
                         .sv = {-1, -1},
                         .out = out};
  struct phase_signals sigs;
  phases_catch_signals(&sigs);
  rc = phases_run("create", create_phases,
                  sizeof(create_phases) / sizeof(*create_phases), &r,
                  ctx->debug, err);
  phases_restore_signals(&sigs);
  if (rc == 0) {
    out->pid = r.rec.pid;
    out->pidfd = take_fd(r.rec.pidfd);
    out->start_fd = take_fd(r.start_fd);
    out->config = take_ptr(c);
  }
  if (r.start_fd >= 0)
    close(r.start_fd);
  for (size_t i = 0; i < 2; i++)
    if (r.sv[i] >= 0)
      close(r.sv[i]);
  if (r.ns_open)
    ns_plan_close(&r.ns);
  seccomp_prog_free(r.seccomp);
  if (r.fifo_fd >= 0)
    close(r.fifo_fd);
  container_record_free(&r.rec);
out:
  spec_config_free(c);
  return rc;
}

static int load_config_copy(const struct container_state *st,
                            struct spec_config **c, werr_t *err) {
  return spec_config_load(st->config, c, err);
}

/* ---- start ------------------------------------------------------------ */

struct start_run {
  const struct ward_ctx *ctx;
  const char *id;
  struct created *run; /* `run`: what its create made; NULL for `start` */
  struct container_state *st;
  const struct spec_config *c; /* the config, from the exec phase on */
  struct spec_config *own_c;    /* ... when start read it */
  char *fifo;
  int pidfd, ffd;
};

static int ph_start_check(void *arg, werr_t *err) {
  struct start_run *r = arg;
  if (state_load(r->ctx->root, r->id, &r->st, err) < 0)
    return -1;
  if (r->run) {
    /* Created by this process a moment ago: no one else knows the init's
     * pidfd, and an init that died since shows in the exec phase. */
    r->pidfd = r->run->pidfd;
    return 0;
  }
  enum container_status s = state_status(r->st);
  if (s != STATUS_CREATED) {
    if (s == STATUS_STOPPED)
      return werr_code(err, EINVAL,
                       "cannot start a container that has stopped");
    return werr_code(err, EINVAL, "cannot start an already %s container",
                     state_status_name(s));
  }
  r->pidfd = state_pidfd(r->st, err);
  return r->pidfd < 0 ? -1 : 0;
}

/* Opening the fifo releases the init; wait for its byte, or its death. */
static int ph_start_release(void *arg, werr_t *err) {
  struct start_run *r = arg;
  r->fifo = xasprintf("%s/" EXEC_FIFO, r->st->dir);
  r->ffd = r->run && r->run->start_fd >= 0
               ? take_fd(r->run->start_fd)
               : open(r->fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (r->ffd < 0)
    return werr_sys(err, "open %s", r->fifo);
  for (;;) {
    struct pollfd p[2] = {{.fd = r->ffd, .events = POLLIN},
                          {.fd = r->pidfd, .events = POLLIN}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      return werr_sys(err, "poll %s", r->fifo);
    }
    if (p[0].revents & POLLIN) {
      char b;
      if (read(r->ffd, &b, 1) == 1)
        break;
    }
    if (p[1].revents)
      return werr_code(err, ESRCH, "container \"%s\": init exited before start",
                       r->id);
  }
  unlink(r->fifo);
  return 0;
}

/* The init runs its last steps now: wait until it has exec'd (or report
 * its error), handing a seccomp listener to the agent. */
static int ph_start_exec(void *arg, werr_t *err) {
  struct start_run *r = arg;
  if (r->c == NULL) {
    if (load_config_copy(r->st, &r->own_c, err) < 0) {
      syscall(SYS_pidfd_send_signal, r->pidfd, SIGKILL, NULL, 0);
      return -1;
    }
    r->c = r->own_c;
  }
  _cleanup_free_ char *js =
      state_document(r->st, "created", r->st->pid, false);
  return exec_status_wait(r->ffd, r->pidfd, r->c->linux_.seccomp, js, err);
}

/* poststart failures are logged but do not stop the container (spec). */
static int ph_start_poststart(void *arg, werr_t *err) {
  struct start_run *r = arg;
  const struct spec_config *c = r->c;
  (void)err;
  if (c->hooks.poststart.len) {
    struct spec_state ss = {.ociVersion = c->ociVersion,
                            .id = r->st->id,
                            .status = "running",
                            .pid = r->st->pid,
                            .bundle = r->st->bundle,
                            .annotations = &r->st->annotations};
    _cleanup_free_ char *js = spec_state_emit(&ss, false);
    hooks_run_warn(&c->hooks.poststart, "hooks.poststart", js);
  }
  return 0;
}

static const struct phase start_phases[] = {
    {"check", ph_start_check, NULL},
    {"release", ph_start_release, NULL},
    {"exec", ph_start_exec, NULL},
    {"poststart", ph_start_poststart, NULL},
};

int container_start(const struct ward_ctx *ctx, const char *id,
                    struct created *run, werr_t *err) {
  struct start_run r = {.ctx = ctx,
                        .id = id,
                        .run = run,
                        .c = run ? run->config : NULL,
                        .pidfd = -1,
                        .ffd = -1};
  int rc = phases_run("start", start_phases,
                      sizeof(start_phases) / sizeof(*start_phases), &r,
                      ctx->debug, err);
  if (r.pidfd >= 0 && run == NULL)
    close(r.pidfd);
  if (r.ffd >= 0)
    close(r.ffd);
  free(r.fifo);
  spec_config_free(r.own_c);
  container_state_free(r.st);
  return rc;
}
