/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ward exec`: another process in a running container.  ward forks a
 * helper that joins the init's namespaces (by pidfd) from inside the
 * container's cgroup, and the helper forks the process itself so that it
 * lands in the container's pid namespace. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "commands.h"
#include "foreground.h"
#include "lsm.h"
#include "process.h"
#include "process_sched.h"
#include "seccomp_cache.h"
#include "seccomp_filter.h"
#include "state.h"
#include "sync.h"
#include "tty.h"
#include "utils.h"


#define EXEC_USAGE                                                             \
  "ward exec [--process FILE] [--detach] [--pid-file FILE] [--tty] "           \
  "[--console-socket SOCK] [--cwd DIR] [--env K=V]... [--user UID[:GID]] "     \
  "[--additional-gids GID]... [--cap CAP]... [--no-new-privs] "                \
  "[--preserve-fds N] ID [COMMAND [ARGS...]]"

struct exec_opts {
  const char *process_file, *pid_file, *console_socket, *cwd, *user;
  char **env_add;
  size_t env_n;
  char **caps_add;
  size_t caps_n;
  uint32_t *gids;
  size_t gids_n;
  bool detach, tty, no_new_privs;
  int preserve_fds;
};

static void push(char ***v, size_t *n, const char *s) {
  char **nv = realloc(*v, (*n + 2) * sizeof(char *));
  if (nv == NULL)
    abort();
  nv[(*n)++] = xstrdup(s);
  nv[*n] = NULL;
  *v = nv;
}

static char **strv_dup(char **v) {
  size_t n = strv_len(v);
  char **r = xmalloc0((n + 1) * sizeof(char *));
  for (size_t i = 0; i < n; i++)
    r[i] = xstrdup(v[i]);
  return r;
}

/* Replace or append KEY=VALUE in an environment vector. */
static void env_set(char ***env, const char *kv) {
  size_t klen = strcspn(kv, "=");
  size_t n = strv_len(*env);
  for (size_t i = 0; i < n; i++)
    if (strncmp((*env)[i], kv, klen) == 0 && (*env)[i][klen] == '=') {
      free((*env)[i]);
      (*env)[i] = xstrdup(kv);
      return;
    }
  push(env, &n, kv);
}

/* The process to run: --process FILE, or the container's process with
 * the command line and flags applied, as runc does. */
static int build_process(const struct exec_opts *o, const struct spec_config *c,
                         char **args, struct spec_process *p, werr_t *err) {
  if (o->process_file) {
    _cleanup_free_ char *buf = NULL;
    if (read_file(o->process_file, &buf, NULL, err) < 0)
      return -1;
    yajl_val v = NULL;
    if (json_parse_buf(buf, o->process_file, &v, err) < 0)
      return -1;
    int rc = spec_parse_process(v, "", p, err);
    yajl_tree_free(v);
    if (rc < 0)
      return werr_prefix(err, "%s", o->process_file);
    return 0;
  }
  if (args == NULL || args[0] == NULL)
    return werr(err, EINVAL, "exec: a command or --process is required");
  memset(p, 0, sizeof(*p));
  p->args = strv_dup(args);
  p->env = strv_dup(c->process.env);
  for (size_t i = 0; i < o->env_n; i++)
    env_set(&p->env, o->env_add[i]);
  p->cwd = xstrdup(o->cwd ? o->cwd : c->process.cwd ? c->process.cwd : "/");
  p->terminal = o->tty;
  p->user = c->process.user;
  p->user.additionalGids = NULL;
  p->user.additionalGids_len = 0;
  if (o->gids_n) {
    p->user.additionalGids = xmalloc0(o->gids_n * sizeof(uint32_t));
    memcpy(p->user.additionalGids, o->gids, o->gids_n * sizeof(uint32_t));
    p->user.additionalGids_len = o->gids_n;
  } else if (c->process.user.additionalGids_len) {
    size_t n = c->process.user.additionalGids_len;
    p->user.additionalGids = xmalloc0(n * sizeof(uint32_t));
    memcpy(p->user.additionalGids, c->process.user.additionalGids,
           n * sizeof(uint32_t));
    p->user.additionalGids_len = n;
  }
  if (o->user) {
    char *end;
    unsigned long uid = strtoul(o->user, &end, 10);
    if (end == o->user || (*end && *end != ':'))
      return werr(err, EINVAL, "--user: must be UID[:GID], got \"%s\"",
                  o->user);
    p->user.uid = (uint32_t)uid;
    if (*end == ':')
      p->user.gid = (uint32_t)strtoul(end + 1, NULL, 10);
  }
  p->noNewPrivileges = c->process.noNewPrivileges || o->no_new_privs;
  p->has_capabilities = c->process.has_capabilities;
  const struct spec_capabilities *cc = &c->process.capabilities;
  struct spec_capabilities *pc = &p->capabilities;
  pc->bounding = strv_dup(cc->bounding);
  pc->effective = strv_dup(cc->effective);
  pc->inheritable = strv_dup(cc->inheritable);
  pc->permitted = strv_dup(cc->permitted);
  pc->ambient = strv_dup(cc->ambient);
  for (size_t i = 0; i < o->caps_n; i++) {
    size_t n;
    p->has_capabilities = true;
    n = strv_len(pc->bounding), push(&pc->bounding, &n, o->caps_add[i]);
    n = strv_len(pc->effective), push(&pc->effective, &n, o->caps_add[i]);
    n = strv_len(pc->permitted), push(&pc->permitted, &n, o->caps_add[i]);
    n = strv_len(pc->ambient), push(&pc->ambient, &n, o->caps_add[i]);
  }
  if (c->process.rlimits_len) {
    p->rlimits = xmalloc0(c->process.rlimits_len * sizeof(*p->rlimits));
    for (size_t i = 0; i < c->process.rlimits_len; i++) {
      p->rlimits[i] = c->process.rlimits[i];
      p->rlimits[i].type = xstrdup(c->process.rlimits[i].type);
    }
    p->rlimits_len = c->process.rlimits_len;
  }
  return 0;
}

/* Namespaces of PID that differ from ours: joining one's own namespace is
 * an error for user namespaces, and pointless for the rest. */
static int ns_to_join(pid_t pid) {
  int flags = 0;
  for (int i = 0; i < SPEC_NS_COUNT; i++) {
    const struct spec_ns_kind *k = spec_ns_kind((enum spec_ns)i);
    char a[64], b[64];
    struct stat sa, sb;
    snprintf(a, sizeof(a), "/proc/self/ns/%s", k->procname);
    snprintf(b, sizeof(b), "/proc/%d/ns/%s", pid, k->procname);
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_ino != sb.st_ino)
      flags |= k->flag;
  }
  return flags;
}

static __attribute__((noreturn)) void exec_child(int sock,
                                                 const struct spec_process *p,
                                                 struct seccomp_prog *seccomp,
                                                 int preserve) {
  werr_t err = NULL;
  /* While /proc/self is still ours to write (see init.c). */
  if (process_set_oom_score(p, &err) < 0)
    goto fail;
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  _cleanup_free_ char *exe = NULL;
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
      process_become_user(p, seccomp, NULL, &err) < 0)
    goto fail;
  process_exec(p, exe, &err);
fail:
  sync_send_error(sock, err);
  _exit(1);
}

static int run_exec(struct global_opts *g, const struct exec_opts *o,
                    struct container_state *st, const struct spec_config *c,
                    struct spec_process *p, werr_t *err) {
  (void)g;
  struct seccomp_prog *seccomp = NULL;
  if (c->linux_.seccomp &&
      seccomp_filter_prepare(c->linux_.seccomp, SECCOMP_CACHE_DIR, &seccomp,
                             err) < 0)
    return -1;
  int rc = -1;
  int sv[2] = {-1, -1};
  _cleanup_close_ int pidfd = state_pidfd(st, err);
  _cleanup_close_ int master = -1;
  struct cgroup_handle *cg = NULL;
  pid_t helper = -1, child = -1;
  if (pidfd < 0)
    goto out;
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    werr_sys(err, "socketpair");
    goto out;
  }
  /* The exec'd process is our grandchild: be its subreaper to wait for it. */
  if (!o->detach && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
    werr_sys(err, "prctl(PR_SET_CHILD_SUBREAPER)");
    goto out;
  }
  int nsflags = ns_to_join(st->pid);
  helper = fork();
  if (helper < 0) {
    werr_sys(err, "fork");
    goto out;
  }
  if (helper == 0) {
    close(sv[0]);
    werr_t e = NULL;
    /* First act, as in the init: no fd of the caller's but stdio and the
     * preserved ones goes into the container. */
    int keep[] = {sv[1], pidfd};
    if (process_close_inherited(o->preserve_fds, keep, 2, &e) < 0) {
      sync_send_error(sv[1], e);
      _exit(1);
    }
    struct sync_msg m;
    if (sync_expect(sv[1], SYNC_GO, &m, NULL, NULL, &e) < 0)
      _exit(1);
    if (nsflags && setns(pidfd, nsflags) < 0) {
      werr_sys(&e, "join the namespaces of container \"%s\"", st->id);
      sync_send_error(sv[1], e);
      _exit(1);
    }
    pid_t k = fork();
    if (k < 0) {
      werr_sys(&e, "fork");
      sync_send_error(sv[1], e);
      _exit(1);
    }
    if (k == 0)
      exec_child(sv[1], p, seccomp, o->preserve_fds);
    sync_send(sv[1], SYNC_PID, k, NULL, 0, &e);
    _exit(0);
  }
  close(sv[1]);
  sv[1] = -1;
  if (st->cgroup && st->cgroup[0]) {
    if (cgroup_open(st->cgroup, &cg, err) < 0 ||
        cgroup_enter(cg, helper, err) < 0)
      goto out;
  }
  if (sync_send(sv[0], SYNC_GO, 0, NULL, 0, err) < 0)
    goto out;
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
      werr(err, EPROTO, "exec: no pid from helper");
      goto out;
    }
    if (m.type == SYNC_PID) {
      child = (pid_t)m.value;
    } else if (m.type == SYNC_CONSOLE && n == 1) {
      if (o->console_socket) {
        int r = tty_send_console(o->console_socket, fd, err);
        close(fd);
        if (r < 0)
          goto out;
      } else {
        master = fd;
      }
    } else if (n == 1) {
      close(fd);
    }
  }
  waitpid(helper, NULL, 0);
  helper = -1;
  if (child <= 0) {
    werr(err, EPROTO, "exec: no pid from helper");
    goto out;
  }
  if (o->pid_file) {
    char buf[32];
    int len = snprintf(buf, sizeof(buf), "%d", child);
    if (write_file_atomic(o->pid_file, buf, (size_t)len, err) < 0) {
      werr_prefix(err, "--pid-file");
      goto out;
    }
  }
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
  cgroup_handle_free(cg);
  seccomp_prog_free(seccomp);
  return rc;
}

int cmd_exec(struct global_opts *g, int argc, char **argv, werr_t *err) {
  if (cmd_wants_help(argc, argv, EXEC_USAGE))
    return 0;
  static const struct option opts[] = {
      {"process", required_argument, 0, 'p'},
      {"detach", no_argument, 0, 'd'},
      {"pid-file", required_argument, 0, 'P'},
      {"tty", no_argument, 0, 't'},
      {"console-socket", required_argument, 0, 'c'},
      {"cwd", required_argument, 0, 'w'},
      {"env", required_argument, 0, 'e'},
      {"user", required_argument, 0, 'u'},
      {"additional-gids", required_argument, 0, 'g'},
      {"cap", required_argument, 0, 'C'},
      {"no-new-privs", no_argument, 0, 'n'},
      {"preserve-fds", required_argument, 0, 'f'},
      {"process-label", required_argument, 0, 'L'},
      {"apparmor", required_argument, 0, 'A'},
      {"cgroup", required_argument, 0, 'G'},
      {0, 0, 0, 0}};
  struct exec_opts o = {0};
  int ch, rc = -1;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "+:p:dte:u:g:", opts, NULL)) != -1) {
    switch (ch) {
    case 'p':
      o.process_file = optarg;
      break;
    case 'd':
      o.detach = true;
      break;
    case 'P':
      o.pid_file = optarg;
      break;
    case 't':
      o.tty = true;
      break;
    case 'c':
      o.console_socket = optarg;
      break;
    case 'w':
      o.cwd = optarg;
      break;
    case 'e':
      push(&o.env_add, &o.env_n, optarg);
      break;
    case 'u':
      o.user = optarg;
      break;
    case 'g': {
      uint32_t *n = realloc(o.gids, (o.gids_n + 1) * sizeof(uint32_t));
      if (n == NULL)
        abort();
      o.gids = n;
      o.gids[o.gids_n++] = (uint32_t)strtoul(optarg, NULL, 10);
      break;
    }
    case 'C':
      push(&o.caps_add, &o.caps_n, optarg);
      break;
    case 'n':
      o.no_new_privs = true;
      break;
    case 'f':
      o.preserve_fds = atoi(optarg);
      break;
    case 'L':
    case 'A':
    case 'G':
      break;
    default:
      cmd_bad_option(ch, argv, EXEC_USAGE, err);
      goto out0;
    }
  }
  if (optind >= argc) {
    werr(err, EINVAL, "exec: missing container id (usage: " EXEC_USAGE ")");
    goto out0;
  }
  struct container_state *st = NULL;
  if (state_load(g->root, argv[optind], &st, err) < 0)
    goto out0;
  struct spec_config *c = NULL;
  struct spec_process p;
  memset(&p, 0, sizeof(p));
  enum container_status s = state_status(st);
  if (s != STATUS_RUNNING && s != STATUS_CREATED) {
    werr_plain(err, EINVAL, "cannot exec in a %s container \"%s\"",
               state_status_name(s), st->id);
    goto out1;
  }
  if (spec_config_load(st->config, &c, err) < 0)
    goto out1;
  if (build_process(&o, c, argv + optind + 1, &p, err) < 0 ||
      sched_check(&p, err) < 0 || lsm_check_process(&p, err) < 0)
    goto out2;
  if (p.terminal && !o.console_socket && o.detach) {
    werr(err, EINVAL, "exec: --tty with --detach needs --console-socket");
    goto out2;
  }
  rc = run_exec(g, &o, st, c, &p, err);
out2:
  spec_process_free(&p);
  spec_config_free(c);
out1:
  container_state_free(st);
out0:
  strv_free(o.env_add);
  strv_free(o.caps_add);
  free(o.gids);
  return rc;
}
