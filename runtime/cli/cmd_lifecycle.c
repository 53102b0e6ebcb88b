/* SPDX-License-Identifier: GPL-2.0-or-later */
/* create, start, run, delete, kill, state, list. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "cgroup.h"
#include "cleanup.h"
#include "commands.h"
#include "container.h"
#include "foreground.h"
#include "state_json.h"
#include "tty.h"
#include "utils.h"

struct ward_ctx cmd_ctx(const struct global_opts *g) {
  return (struct ward_ctx){.root = g->root,
                           .systemd_cgroup = g->systemd_cgroup,
                           .debug = g->debug};
}

static int parse_int_arg(const char *flag, const char *v, int *out,
                         werr_t *err) {
  char *end = NULL;
  long n = strtol(v, &end, 10);
  if (!v[0] || *end || n < 0 || n > 1 << 20)
    return werr_code(err, EINVAL, "%s: invalid number \"%s\"", flag, v);
  *out = (int)n;
  return 0;
}

#define CREATE_USAGE                                                           \
  "ward create [--bundle DIR] [--pid-file FILE] [--console-socket SOCK] "      \
  "[--preserve-fds N] [--no-pivot] [--no-new-keyring] ID"
#define RUN_USAGE                                                              \
  "ward run [--bundle DIR] [--detach] [--pid-file FILE] "                      \
  "[--console-socket SOCK] [--preserve-fds N] [--no-pivot] "                   \
  "[--no-new-keyring] [--keep] ID"

static int parse_create(int argc, char **argv, struct create_opts *o,
                        bool *detach, bool *keep, const char *usage,
                        werr_t *err) {
  static const struct option opts[] = {
      {"bundle", required_argument, 0, 'b'},
      {"pid-file", required_argument, 0, 'p'},
      {"console-socket", required_argument, 0, 'c'},
      {"preserve-fds", required_argument, 0, 'f'},
      {"no-pivot", no_argument, 0, 'P'},
      {"no-new-keyring", no_argument, 0, 'K'},
      {"detach", no_argument, 0, 'd'},
      {"keep", no_argument, 0, 'k'},
      {"no-subreaper", no_argument, 0, 'S'},
      {0, 0, 0, 0}};
  int ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "+:b:d", opts, NULL)) != -1) {
    switch (ch) {
    case 'b':
      o->bundle = optarg;
      break;
    case 'p':
      o->pid_file = optarg;
      break;
    case 'c':
      o->console_socket = optarg;
      break;
    case 'f':
      if (parse_int_arg("--preserve-fds", optarg, &o->preserve_fds, err) < 0)
        return -1;
      break;
    case 'P':
      o->no_pivot = true;
      break;
    case 'K':
      o->no_new_keyring = true;
      break;
    case 'd':
      if (detach == NULL)
        return werr_code(err, EINVAL, "%s: unknown option --detach", argv[0]);
      *detach = true;
      break;
    case 'k':
      if (keep == NULL)
        return werr_code(err, EINVAL, "%s: unknown option --keep", argv[0]);
      *keep = true;
      break;
    case 'S':
      break;
    default:
      return cmd_bad_option(ch, argv, usage, err);
    }
  }
  if (cmd_need_id(argc, argv, usage, false, err) < 0)
    return -1;
  o->id = argv[optind];
  return 0;
}

int cmd_create(struct global_opts *g, int argc, char **argv, werr_t *err) {
  if (cmd_wants_help(argc, argv, CREATE_USAGE))
    return 0;
  struct create_opts o = {0};
  if (parse_create(argc, argv, &o, NULL, NULL, CREATE_USAGE, err) < 0)
    return -1;
  struct created c;
  struct ward_ctx ctx = cmd_ctx(g);
  if (container_create(&ctx, &o, &c, err) < 0)
    return -1;
  if (c.pidfd >= 0)
    close(c.pidfd);
  spec_config_free(c.config);
  return 0;
}

#define START_USAGE "ward start ID"
int cmd_start(struct global_opts *g, int argc, char **argv, werr_t *err) {
  if (cmd_wants_help(argc, argv, START_USAGE))
    return 0;
  optind = 1;
  static const struct option none[] = {{0, 0, 0, 0}};
  int ch = getopt_long(argc, argv, "+:", none, NULL);
  if (ch != -1)
    return cmd_bad_option(ch, argv, START_USAGE, err);
  if (cmd_need_id(argc, argv, START_USAGE, false, err) < 0)
    return -1;
  struct ward_ctx ctx = cmd_ctx(g);
  return container_start(&ctx, argv[optind], NULL, err);
}

int cmd_run(struct global_opts *g, int argc, char **argv, werr_t *err) {
  if (cmd_wants_help(argc, argv, RUN_USAGE))
    return 0;
  struct create_opts o = {0};
  bool detach = false, keep = false;
  if (parse_create(argc, argv, &o, &detach, &keep, RUN_USAGE, err) < 0)
    return -1;
  o.foreground = !detach;
  o.start_at_once = true;
  struct created c;
  struct ward_ctx ctx = cmd_ctx(g);
  if (container_create(&ctx, &o, &c, err) < 0)
    return -1;
  int rc;
  if (!detach)
    foreground_hold_signals();
  if (container_start(&ctx, o.id, &c, err) < 0) {
    /* As runc's run: a container whose start failed is deleted, detached
     * or not, unless --keep asked to keep it. */
    rc = -1;
  } else if (detach) {
    rc = 0;
    goto out;
  } else {
    rc = foreground_wait(c.pid, c.pidfd, c.console_master, err);
  }
  if (!keep) {
    /* Only the id and dir: the delete reads the record under its lock. */
    _cleanup_free_ char *dir = state_dir(g->root, o.id);
    struct container_state st = {.id = (char *)o.id, .dir = dir};
    werr_t e = NULL;
    if (access(dir, F_OK) == 0)
      container_delete(&ctx, &st, c.config, true, rc < 0 ? &e : err);
    werr_free(&e);
  }
out:
  spec_config_free(c.config);
  if (c.pidfd >= 0)
    close(c.pidfd);
  if (c.start_fd >= 0)
    close(c.start_fd);
  if (c.console_master >= 0)
    close(c.console_master);
  return rc;
}

#define DELETE_USAGE "ward delete [--force] ID"
int cmd_delete(struct global_opts *g, int argc, char **argv, werr_t *err) {
  if (cmd_wants_help(argc, argv, DELETE_USAGE))
    return 0;
  static const struct option opts[] = {{"force", no_argument, 0, 'f'},
                                       {0, 0, 0, 0}};
  bool force = false;
  int ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "+:f", opts, NULL)) != -1) {
    if (ch == 'f')
      force = true;
    else
      return cmd_bad_option(ch, argv, DELETE_USAGE, err);
  }
  if (cmd_need_id(argc, argv, DELETE_USAGE, false, err) < 0)
    return -1;
  struct ward_ctx ctx = cmd_ctx(g);
  struct container_state *st = NULL;
  if (state_load(g->root, argv[optind], &st, err) < 0) {
    /* containerd and podman expect a forced delete of a gone container to
     * succeed. */
    if (force && (*err)->errnum == ENOENT) {
      werr_free(err);
      container_sweep(&ctx, argv[optind]);
      return 0;
    }
    return -1;
  }
  int rc = container_delete(&ctx, st, NULL, force, err);
  container_state_free(st);
  return rc;
}

#define KILL_USAGE "ward kill [--all] ID [SIGNAL]"
int cmd_kill(struct global_opts *g, int argc, char **argv, werr_t *err) {
  if (cmd_wants_help(argc, argv, KILL_USAGE))
    return 0;
  static const struct option opts[] = {{"all", no_argument, 0, 'a'},
                                       {0, 0, 0, 0}};
  bool all = false;
  int ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "+:a", opts, NULL)) != -1) {
    if (ch == 'a')
      all = true;
    else
      return cmd_bad_option(ch, argv, KILL_USAGE, err);
  }
  if (cmd_need_id(argc, argv, KILL_USAGE, false, err) < 0)
    return -1;
  const char *id = argv[optind];
  int sig = SIGTERM;
  if (optind + 1 < argc && parse_signal(argv[optind + 1], &sig, err) < 0)
    return -1;
  struct container_state *st = NULL;
  if (state_load(g->root, id, &st, err) < 0)
    return -1;
  int rc = -1;
  _cleanup_close_ int pidfd = -1;
  if (!state_init_alive(st)) {
    werr_code(err, ESRCH, "container \"%s\": container not running", id);
    goto out;
  }
  if (all && st->cgroup && st->cgroup[0]) {
    struct cgroup_handle *h = NULL;
    if (cgroup_open(st->cgroup, &h, err) < 0)
      goto out;
    rc = cgroup_signal_all(h, sig, err);
    cgroup_handle_free(h);
    goto out;
  }
  pidfd = state_pidfd(st, err);
  if (pidfd < 0)
    goto out;
  if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0) {
    if (errno == ESRCH)
      werr_code(err, ESRCH, "container \"%s\": no such process", id);
    else
      werr_sys(err, "kill container \"%s\"", id);
    goto out;
  }
  rc = 0;
out:
  container_state_free(st);
  return rc;
}

static char *state_doc(struct container_state *st, bool pretty) {
  enum container_status s = state_status(st);
  return state_document(st, state_status_name(s),
                        s == STATUS_STOPPED ? 0 : st->pid, pretty);
}

#define STATE_USAGE "ward state ID"
int cmd_state(struct global_opts *g, int argc, char **argv, werr_t *err) {
  if (cmd_wants_help(argc, argv, STATE_USAGE))
    return 0;
  optind = 1;
  static const struct option none[] = {{0, 0, 0, 0}};
  int ch = getopt_long(argc, argv, "+:", none, NULL);
  if (ch != -1)
    return cmd_bad_option(ch, argv, STATE_USAGE, err);
  if (cmd_need_id(argc, argv, STATE_USAGE, false, err) < 0)
    return -1;
  struct container_state *st = NULL;
  if (state_load(g->root, argv[optind], &st, err) < 0)
    return -1;
  _cleanup_free_ char *doc = state_doc(st, true);
  printf("%s\n", doc);
  container_state_free(st);
  return 0;
}

#define LIST_USAGE "ward list [--format table|json] [--quiet]"
int cmd_list(struct global_opts *g, int argc, char **argv, werr_t *err) {
  if (cmd_wants_help(argc, argv, LIST_USAGE))
    return 0;
  static const struct option opts[] = {{"format", required_argument, 0, 'f'},
                                       {"quiet", no_argument, 0, 'q'},
                                       {0, 0, 0, 0}};
  bool json = false, quiet = false;
  int ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "+:f:q", opts, NULL)) != -1) {
    if (ch == 'f' && strcmp(optarg, "json") == 0)
      json = true;
    else if (ch == 'f' && strcmp(optarg, "table") == 0)
      json = false;
    else if (ch == 'q')
      quiet = true;
    else if (ch == 'f')
      return werr_code(err, EINVAL, "list: --format must be table or json, not "
                               "\"%s\"", optarg);
    else
      return cmd_bad_option(ch, argv, LIST_USAGE, err);
  }
  DIR *d = opendir(g->root);
  if (d == NULL && errno != ENOENT)
    return werr_sys(err, "open %s", g->root);
  if (json)
    printf("[");
  else if (!quiet)
    printf("%-20s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS",
           "BUNDLE", "CREATED", "OWNER");
  bool first = true;
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.')
      continue;
    struct container_state *st = NULL;
    if (state_load(g->root, de->d_name, &st, NULL) < 0)
      continue;
    if (quiet) {
      printf("%s\n", st->id);
    } else if (json) {
      _cleanup_free_ char *doc = state_doc(st, false);
      printf("%s%s", first ? "" : ",", doc);
    } else {
      enum container_status s = state_status(st);
      printf("%-20s %-8d %-10s %-40s %-32s %s\n", st->id,
             s == STATUS_STOPPED ? 0 : st->pid, state_status_name(s),
             st->bundle, st->created, "root");
    }
    first = false;
    container_state_free(st);
  }
  if (json)
    printf("]\n");
  if (d)
    closedir(d);
  return 0;
}
