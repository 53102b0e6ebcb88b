/* SPDX-License-Identifier: GPL-2.0-or-later */
/* process.*: the container's init, also the whole of `ward exec --process`. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cleanup.h"
#include "config.h"
#include "config_parts.h"

static const struct {
  const char *name;
  int resource;
} rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

static const char *const sched_policies[] = {
    "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",       "SCHED_BATCH",
    "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE", NULL};
static const char *const sched_flags[] = {
    "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM",
    "SCHED_FLAG_DL_OVERRUN",    "SCHED_FLAG_KEEP_POLICY",
    "SCHED_FLAG_KEEP_PARAMS",   "SCHED_FLAG_UTIL_CLAMP_MIN",
    "SCHED_FLAG_UTIL_CLAMP_MAX", NULL};
static const char *const ioprio_classes[] = {
    "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE", NULL};

static int parse_console_size(yajl_val proc, const char *path,
                              struct spec_process *p, werr_t *err) {
  yajl_val v = json_get(proc, "consoleSize");
  if (v == NULL)
    return 0;
  _cleanup_free_ char *cp = json_path(path, "consoleSize");
  if (json_want_object(v, cp, err) < 0 ||
      spec_require(v, cp, "height", err) < 0 ||
      spec_require(v, cp, "width", err) < 0 ||
      json_u32(v, cp, "height", &p->consoleSize_height, err) < 0 ||
      json_u32(v, cp, "width", &p->consoleSize_width, err) < 0)
    return -1;
  p->has_consoleSize = true;
  return 0;
}

static int parse_user(yajl_val proc, const char *path, struct spec_user *u,
                      werr_t *err) {
  yajl_val v = json_get(proc, "user");
  if (v == NULL)
    return 0;
  _cleanup_free_ char *up = json_path(path, "user");
  uint64_t umask = 0;
  if (json_want_object(v, up, err) < 0 ||
      json_u32(v, up, "uid", &u->uid, err) < 0 ||
      json_u32(v, up, "gid", &u->gid, err) < 0 ||
      json_u64_opt(v, up, "umask", &u->has_umask, &umask, err) < 0)
    return -1;
  if (umask > 0777)
    return werr(err, "%s.umask: must be <= 0777 (511), got %" PRIu64, up,
                umask);
  u->umask = (uint32_t)umask;

  yajl_val g = json_get(v, "additionalGids");
  if (g == NULL)
    return 0;
  _cleanup_free_ char *gp = json_path(up, "additionalGids");
  if (json_want_array(g, gp, err) < 0)
    return -1;
  u->additionalGids = spec_xcalloc(g->u.array.len, sizeof(uint32_t));
  for (size_t i = 0; i < g->u.array.len; i++) {
    yajl_val e = g->u.array.values[i];
    if (e == NULL || !YAJL_IS_INTEGER(e) || YAJL_GET_INTEGER(e) < 0 ||
        YAJL_GET_INTEGER(e) > UINT32_MAX)
      return werr(err, "%s[%zu]: must be an integer in 0..4294967295", gp, i);
    u->additionalGids[i] = (uint32_t)YAJL_GET_INTEGER(e);
    u->additionalGids_len = i + 1;
  }
  return 0;
}

static int check_env(char **env, const char *path, werr_t *err) {
  for (size_t i = 0; env && env[i]; i++) {
    const char *eq = strchr(env[i], '=');
    if (eq == NULL || eq == env[i])
      return werr(err, "%s.env[%zu]: must be KEY=VALUE, got \"%s\"", path, i,
                  env[i]);
  }
  return 0;
}

static int parse_capabilities(yajl_val proc, const char *path,
                              struct spec_process *p, werr_t *err) {
  yajl_val v = json_get(proc, "capabilities");
  if (v == NULL)
    return 0;
  _cleanup_free_ char *cp = json_path(path, "capabilities");
  if (json_want_object(v, cp, err) < 0)
    return -1;
  struct spec_capabilities *c = &p->capabilities;
  struct {
    const char *key;
    char ***set;
    bool *has;
  } sets[] = {
      {"bounding", &c->bounding, &c->has_bounding},
      {"effective", &c->effective, &c->has_effective},
      {"inheritable", &c->inheritable, &c->has_inheritable},
      {"permitted", &c->permitted, &c->has_permitted},
      {"ambient", &c->ambient, &c->has_ambient},
  };
  for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
    if (json_strv(v, cp, sets[i].key, sets[i].set, err) < 0)
      return -1;
    *sets[i].has = json_get(v, sets[i].key) != NULL;
  }
  p->has_capabilities = true;
  return 0;
}

static int rlimit_resource(const char *name) {
  for (size_t i = 0; i < sizeof(rlimit_names) / sizeof(rlimit_names[0]); i++)
    if (strcmp(name, rlimit_names[i].name) == 0)
      return rlimit_names[i].resource;
  return -1;
}

static int parse_rlimit(yajl_val e, const char *path, struct spec_rlimit *r,
                        werr_t *err) {
  if (json_want_object(e, path, err) < 0 ||
      spec_require(e, path, "type", err) < 0 ||
      json_str(e, path, "type", &r->type, err) < 0 ||
      spec_require(e, path, "soft", err) < 0 ||
      spec_require(e, path, "hard", err) < 0 ||
      json_u64(e, path, "soft", &r->soft, err) < 0 ||
      json_u64(e, path, "hard", &r->hard, err) < 0)
    return -1;
  r->resource = rlimit_resource(r->type);
  if (r->resource < 0)
    return werr(err, "%s.type: unknown rlimit \"%s\"", path, r->type);
  if (r->soft > r->hard)
    return werr(err, "%s: soft (%" PRIu64 ") must be <= hard (%" PRIu64 ")",
                path, r->soft, r->hard);
  return 0;
}

static int parse_rlimits(yajl_val proc, const char *path,
                         struct spec_process *p, werr_t *err) {
  yajl_val v = json_get(proc, "rlimits");
  if (v == NULL)
    return 0;
  _cleanup_free_ char *rp = json_path(path, "rlimits");
  if (json_want_array(v, rp, err) < 0)
    return -1;
  p->rlimits = spec_xcalloc(v->u.array.len, sizeof(*p->rlimits));
  for (size_t i = 0; i < v->u.array.len; i++) {
    _cleanup_free_ char *ip = json_path_idx(rp, i);
    p->rlimits_len = i + 1;
    if (parse_rlimit(v->u.array.values[i], ip, &p->rlimits[i], err) < 0)
      return -1;
    for (size_t j = 0; j < i; j++)
      if (p->rlimits[j].resource == p->rlimits[i].resource)
        return werr(err, "%s.type: duplicate \"%s\" (also %s[%zu])", ip,
                    p->rlimits[i].type, rp, j);
  }
  return 0;
}

static int parse_scheduler(yajl_val proc, const char *path,
                           struct spec_scheduler *s, werr_t *err) {
  yajl_val v = json_get(proc, "scheduler");
  if (v == NULL)
    return 0;
  _cleanup_free_ char *sp = json_path(path, "scheduler");
  _cleanup_free_ char *pp = json_path(sp, "policy");
  int64_t nice = 0, prio = 0;
  if (json_want_object(v, sp, err) < 0 ||
      spec_require(v, sp, "policy", err) < 0 ||
      json_str(v, sp, "policy", &s->policy, err) < 0 ||
      spec_want_one_of(s->policy, sched_policies, pp, err) < 0 ||
      json_i64(v, sp, "nice", &nice, err) < 0 ||
      json_i64(v, sp, "priority", &prio, err) < 0 ||
      json_strv(v, sp, "flags", &s->flags, err) < 0 ||
      json_u64(v, sp, "runtime", &s->runtime, err) < 0 ||
      json_u64(v, sp, "deadline", &s->deadline, err) < 0 ||
      json_u64(v, sp, "period", &s->period, err) < 0)
    return -1;
  if (nice < -20 || nice > 19)
    return werr(err, "%s.nice: must be in -20..19, got %" PRId64, sp, nice);
  if (prio < 0 || prio > 99)
    return werr(err, "%s.priority: must be in 0..99, got %" PRId64, sp, prio);
  s->nice = (int32_t)nice;
  s->priority = (int32_t)prio;
  for (size_t i = 0; s->flags && s->flags[i]; i++) {
    _cleanup_free_ char *fp = json_path(sp, "flags");
    _cleanup_free_ char *ip = json_path_idx(fp, i);
    if (spec_want_one_of(s->flags[i], sched_flags, ip, err) < 0)
      return -1;
  }
  s->present = true;
  return 0;
}

static int parse_io_priority(yajl_val proc, const char *path,
                             struct spec_io_priority *io, werr_t *err) {
  yajl_val v = json_get(proc, "ioPriority");
  if (v == NULL)
    return 0;
  _cleanup_free_ char *ip = json_path(path, "ioPriority");
  _cleanup_free_ char *cp = json_path(ip, "class");
  if (json_want_object(v, ip, err) < 0 ||
      spec_require(v, ip, "class", err) < 0 ||
      json_str(v, ip, "class", &io->class, err) < 0 ||
      spec_want_one_of(io->class, ioprio_classes, cp, err) < 0 ||
      json_int(v, ip, "priority", &io->priority, err) < 0)
    return -1;
  if (io->priority < 0 || io->priority > 7)
    return werr(err, "%s.priority: must be in 0..7, got %d", ip, io->priority);
  io->present = true;
  return 0;
}

/* "0-3,7,9-10": what sched_setaffinity(2) callers write in cpusets. */
static bool valid_cpu_list(const char *s) {
  if (*s == '\0')
    return false;
  while (*s) {
    if (!isdigit((unsigned char)*s))
      return false;
    unsigned long lo = strtoul(s, (char **)&s, 10);
    if (*s == '-') {
      s++;
      if (!isdigit((unsigned char)*s))
        return false;
      if (strtoul(s, (char **)&s, 10) < lo)
        return false;
    }
    if (*s == ',') {
      s++;
      if (*s == '\0')
        return false;
    } else if (*s != '\0') {
      return false;
    }
  }
  return true;
}

static int parse_cpu_affinity(yajl_val proc, const char *path,
                              struct spec_process *p, werr_t *err) {
  yajl_val v = json_get(proc, "execCPUAffinity");
  if (v == NULL)
    return 0;
  _cleanup_free_ char *ap = json_path(path, "execCPUAffinity");
  if (json_want_object(v, ap, err) < 0 ||
      json_str(v, ap, "initial", &p->execCPUAffinity_initial, err) < 0 ||
      json_str(v, ap, "final", &p->execCPUAffinity_final, err) < 0)
    return -1;
  if (p->execCPUAffinity_initial &&
      !valid_cpu_list(p->execCPUAffinity_initial))
    return werr(err, "%s.initial: invalid CPU list \"%s\"", ap,
                p->execCPUAffinity_initial);
  if (p->execCPUAffinity_final && !valid_cpu_list(p->execCPUAffinity_final))
    return werr(err, "%s.final: invalid CPU list \"%s\"", ap,
                p->execCPUAffinity_final);
  return 0;
}

static int parse_into(yajl_val v, const char *path, struct spec_process *p,
                      werr_t *err) {
  if (json_want_object(v, path[0] ? path : "process", err) < 0 ||
      json_bool(v, path, "terminal", &p->terminal, err) < 0 ||
      parse_console_size(v, path, p, err) < 0 ||
      parse_user(v, path, &p->user, err) < 0 ||
      json_strv(v, path, "args", &p->args, err) < 0 ||
      json_strv(v, path, "env", &p->env, err) < 0 ||
      json_str(v, path, "cwd", &p->cwd, err) < 0 ||
      parse_capabilities(v, path, p, err) < 0 ||
      parse_rlimits(v, path, p, err) < 0 ||
      json_bool(v, path, "noNewPrivileges", &p->noNewPrivileges, err) < 0 ||
      json_str(v, path, "apparmorProfile", &p->apparmorProfile, err) < 0)
    return -1;
  int64_t oom = 0;
  if (json_i64_opt(v, path, "oomScoreAdj", &p->has_oomScoreAdj, &oom, err) < 0)
    return -1;
  if (oom < -1000 || oom > 1000)
    return werr(err, "%s%soomScoreAdj: must be in -1000..1000, got %" PRId64,
                path, path[0] ? "." : "", oom);
  p->oomScoreAdj = (int)oom;
  if (json_str(v, path, "selinuxLabel", &p->selinuxLabel, err) < 0 ||
      parse_scheduler(v, path, &p->scheduler, err) < 0 ||
      parse_io_priority(v, path, &p->ioPriority, err) < 0 ||
      parse_cpu_affinity(v, path, p, err) < 0)
    return -1;

  _cleanup_free_ char *argsp = json_path(path, "args");
  if (p->args == NULL)
    return werr(err, "%s: required", argsp);
  if (p->args[0] == NULL)
    return werr(err, "%s: must not be empty", argsp);
  if (check_env(p->env, path[0] ? path : "process", err) < 0)
    return -1;
  if (p->cwd == NULL) {
    p->cwd = strdup("/");
    if (p->cwd == NULL)
      abort();
  }
  _cleanup_free_ char *cwdp = json_path(path, "cwd");
  return spec_want_abs(p->cwd, cwdp, err);
}

int spec_parse_process(yajl_val v, const char *path, struct spec_process *p,
                       werr_t *err) {
  struct spec_process tmp = {0};
  if (path == NULL)
    path = "";
  if (parse_into(v, path, &tmp, err) < 0) {
    spec_process_free(&tmp);
    return -1;
  }
  /* *p may be uninitialised stack memory (ward exec): overwrite, never free. */
  *p = tmp;
  return 0;
}

void spec_process_free(struct spec_process *p) {
  free(p->user.additionalGids);
  strv_free(p->args);
  strv_free(p->env);
  free(p->cwd);
  strv_free(p->capabilities.bounding);
  strv_free(p->capabilities.effective);
  strv_free(p->capabilities.inheritable);
  strv_free(p->capabilities.permitted);
  strv_free(p->capabilities.ambient);
  for (size_t i = 0; i < p->rlimits_len; i++)
    free(p->rlimits[i].type);
  free(p->rlimits);
  free(p->apparmorProfile);
  free(p->selinuxLabel);
  free(p->scheduler.policy);
  strv_free(p->scheduler.flags);
  free(p->ioPriority.class);
  free(p->execCPUAffinity_initial);
  free(p->execCPUAffinity_final);
  memset(p, 0, sizeof(*p));
}
