/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ward exec`: its flags, and the process they describe (the container's
 * own with the command line and flags applied, or --process FILE).  The
 * work is the core's: container_exec() in runtime/exec.c. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "commands.h"
#include "exec.h"
#include "json.h"
#include "utils.h"

#define EXEC_USAGE                                                             \
  "ward exec [--process FILE] [--detach] [--pid-file FILE] [--tty] "           \
  "[--console-socket SOCK] [--cwd DIR] [--env K=V]... [--user UID[:GID]] "     \
  "[--additional-gids GID]... [--cap CAP]... [--no-new-privs] "                \
  "[--preserve-fds N] ID [COMMAND [ARGS...]]"

/* The flags; what the core needs of them is struct exec_opts (exec.h). */
struct exec_flags {
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
static int build_process(const struct exec_flags *o, const struct spec_config *c,
                         char **args, struct spec_process *p, werr_t *err) {
  if (o->process_file) {
    yajl_val v = NULL;
    if (json_parse_file(o->process_file, &v, err) < 0)
      return -1;
    int rc = spec_parse_process(v, "", p, err);
    yajl_tree_free(v);
    if (rc < 0)
      return werr_prefix(err, "%s", o->process_file);
    return 0;
  }
  if (args == NULL || args[0] == NULL)
    return werr_code(err, EINVAL, "exec: a command or --process is required");
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
      return werr_code(err, EINVAL, "--user: must be UID[:GID], got \"%s\"",
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
  struct exec_flags o = {0};
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
    werr_code(err, EINVAL,
              "exec: missing container id (usage: " EXEC_USAGE ")");
    goto out0;
  }
  struct ward_ctx ctx = cmd_ctx(g);
  struct container_state *st = NULL;
  if (state_load(ctx.root, argv[optind], &st, err) < 0)
    goto out0;
  struct spec_config *c = NULL;
  struct spec_process p;
  memset(&p, 0, sizeof(p));
  if (spec_config_load(st->config, &c, err) < 0)
    goto out1;
  if (build_process(&o, c, argv + optind + 1, &p, err) < 0)
    goto out2;
  struct exec_opts eo = {.pid_file = o.pid_file,
                         .console_socket = o.console_socket,
                         .detach = o.detach,
                         .preserve_fds = o.preserve_fds};
  rc = container_exec(&ctx, st, c, &p, &eo, err);
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
