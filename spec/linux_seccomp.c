/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "linux_seccomp.h"

#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "cleanup.h"

static const char *const action_names[SPEC_SCMP_ACT_COUNT] = {
    [SPEC_SCMP_ACT_KILL] = "SCMP_ACT_KILL",
    [SPEC_SCMP_ACT_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
    [SPEC_SCMP_ACT_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
    [SPEC_SCMP_ACT_TRAP] = "SCMP_ACT_TRAP",
    [SPEC_SCMP_ACT_ERRNO] = "SCMP_ACT_ERRNO",
    [SPEC_SCMP_ACT_TRACE] = "SCMP_ACT_TRACE",
    [SPEC_SCMP_ACT_ALLOW] = "SCMP_ACT_ALLOW",
    [SPEC_SCMP_ACT_LOG] = "SCMP_ACT_LOG",
    [SPEC_SCMP_ACT_NOTIFY] = "SCMP_ACT_NOTIFY",
};

static const char *const op_names[SPEC_SCMP_CMP_COUNT] = {
    [SPEC_SCMP_CMP_NE] = "SCMP_CMP_NE",
    [SPEC_SCMP_CMP_LT] = "SCMP_CMP_LT",
    [SPEC_SCMP_CMP_LE] = "SCMP_CMP_LE",
    [SPEC_SCMP_CMP_EQ] = "SCMP_CMP_EQ",
    [SPEC_SCMP_CMP_GE] = "SCMP_CMP_GE",
    [SPEC_SCMP_CMP_GT] = "SCMP_CMP_GT",
    [SPEC_SCMP_CMP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

static const char *const arch_names[SPEC_SCMP_ARCH_COUNT] = {
    [SPEC_SCMP_ARCH_X86] = "SCMP_ARCH_X86",
    [SPEC_SCMP_ARCH_X86_64] = "SCMP_ARCH_X86_64",
    [SPEC_SCMP_ARCH_X32] = "SCMP_ARCH_X32",
    [SPEC_SCMP_ARCH_ARM] = "SCMP_ARCH_ARM",
    [SPEC_SCMP_ARCH_AARCH64] = "SCMP_ARCH_AARCH64",
    [SPEC_SCMP_ARCH_MIPS] = "SCMP_ARCH_MIPS",
    [SPEC_SCMP_ARCH_MIPS64] = "SCMP_ARCH_MIPS64",
    [SPEC_SCMP_ARCH_MIPS64N32] = "SCMP_ARCH_MIPS64N32",
    [SPEC_SCMP_ARCH_MIPSEL] = "SCMP_ARCH_MIPSEL",
    [SPEC_SCMP_ARCH_MIPSEL64] = "SCMP_ARCH_MIPSEL64",
    [SPEC_SCMP_ARCH_MIPSEL64N32] = "SCMP_ARCH_MIPSEL64N32",
    [SPEC_SCMP_ARCH_PPC] = "SCMP_ARCH_PPC",
    [SPEC_SCMP_ARCH_PPC64] = "SCMP_ARCH_PPC64",
    [SPEC_SCMP_ARCH_PPC64LE] = "SCMP_ARCH_PPC64LE",
    [SPEC_SCMP_ARCH_S390] = "SCMP_ARCH_S390",
    [SPEC_SCMP_ARCH_S390X] = "SCMP_ARCH_S390X",
    [SPEC_SCMP_ARCH_PARISC] = "SCMP_ARCH_PARISC",
    [SPEC_SCMP_ARCH_PARISC64] = "SCMP_ARCH_PARISC64",
    [SPEC_SCMP_ARCH_RISCV64] = "SCMP_ARCH_RISCV64",
    [SPEC_SCMP_ARCH_LOONGARCH64] = "SCMP_ARCH_LOONGARCH64",
    [SPEC_SCMP_ARCH_M68K] = "SCMP_ARCH_M68K",
    [SPEC_SCMP_ARCH_SH] = "SCMP_ARCH_SH",
    [SPEC_SCMP_ARCH_SHEB] = "SCMP_ARCH_SHEB",
};

static const struct {
  const char *name;
  unsigned bit;
} flag_names[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SPEC_SCMP_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SPEC_SCMP_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SPEC_SCMP_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
     SPEC_SCMP_FLAG_WAIT_KILLABLE_RECV},
};

/* The seccomp return value carries 16 bits of data (SECCOMP_RET_DATA). */
#define ERRNO_RET_MAX 65535u

const char *spec_scmp_action_name(enum spec_scmp_action a) {
  return (unsigned)a < SPEC_SCMP_ACT_COUNT ? action_names[a] : "?";
}
const char *spec_scmp_op_name(enum spec_scmp_op op) {
  return (unsigned)op < SPEC_SCMP_CMP_COUNT ? op_names[op] : "?";
}
const char *spec_scmp_arch_name(enum spec_scmp_arch a) {
  return (unsigned)a < SPEC_SCMP_ARCH_COUNT ? arch_names[a] : "?";
}

bool spec_seccomp_uses_notify(const struct spec_seccomp *s) {
  if (s->defaultAction == SPEC_SCMP_ACT_NOTIFY)
    return true;
  for (size_t i = 0; i < s->syscalls_len; i++)
    if (s->syscalls[i].action == SPEC_SCMP_ACT_NOTIFY)
      return true;
  return false;
}

static int lookup(const char *const *table, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (strcmp(table[i], name) == 0)
      return i;
  return -1;
}

/* A string member that must be present: "PATH.KEY: required". */
static int want_str(yajl_val obj, const char *path, const char *key,
                    const char **out, werr_t *err) {
  yajl_val v = json_get(obj, key);
  if (v == NULL)
    return werr(err, "%s.%s: required", path, key);
  if (!YAJL_IS_STRING(v))
    return werr(err, "%s.%s: must be a string", path, key);
  *out = YAJL_GET_STRING(v);
  return 0;
}

static int parse_action(yajl_val obj, const char *path, const char *key,
                        enum spec_scmp_action *out, werr_t *err) {
  const char *name = NULL;
  if (want_str(obj, path, key, &name, err) < 0)
    return -1;
  int a = lookup(action_names, SPEC_SCMP_ACT_COUNT, name);
  if (a < 0)
    return werr(err, "%s.%s: unknown action \"%s\"", path, key, name);
  *out = (enum spec_scmp_action)a;
  return 0;
}

/* errnoRet is the errno for ERRNO and the tracer's message for TRACE; the
 * runtime-spec requires an error for any other action. */
static int parse_errno_ret(yajl_val obj, const char *path, const char *key,
                           enum spec_scmp_action action, bool *has,
                           uint32_t *out, werr_t *err) {
  if (json_u32(obj, path, key, out, err) < 0)
    return -1;
  if (json_get(obj, key) == NULL)
    return 0;
  if (action != SPEC_SCMP_ACT_ERRNO && action != SPEC_SCMP_ACT_TRACE)
    return werr(err, "%s.%s: not supported with action \"%s\"", path, key,
                spec_scmp_action_name(action));
  if (*out > ERRNO_RET_MAX)
    return werr(err, "%s.%s: must be <= %u", path, key, ERRNO_RET_MAX);
  *has = true;
  return 0;
}

static int parse_arg(yajl_val v, const char *path, struct spec_seccomp_arg *a,
                     werr_t *err) {
  if (json_want_object(v, path, err) < 0)
    return -1;
  static const char *const required[] = {"index", "value", "op"};
  for (size_t i = 0; i < sizeof(required) / sizeof(*required); i++)
    if (json_get(v, required[i]) == NULL)
      return werr(err, "%s.%s: required", path, required[i]);
  if (json_u32(v, path, "index", &a->index, err) < 0 ||
      json_u64(v, path, "value", &a->value, err) < 0 ||
      json_u64(v, path, "valueTwo", &a->valueTwo, err) < 0)
    return -1;
  if (a->index >= SPEC_SCMP_MAX_ARGS)
    return werr(err, "%s.index: must be <= %d", path, SPEC_SCMP_MAX_ARGS - 1);
  const char *op = NULL;
  if (want_str(v, path, "op", &op, err) < 0)
    return -1;
  int o = lookup(op_names, SPEC_SCMP_CMP_COUNT, op);
  if (o < 0)
    return werr(err, "%s.op: unknown operator \"%s\"", path, op);
  a->op = (enum spec_scmp_op)o;
  return 0;
}

static int parse_syscall(yajl_val v, const char *path,
                         struct spec_seccomp_syscall *sc, werr_t *err) {
  if (json_want_object(v, path, err) < 0)
    return -1;
  yajl_val names = json_get(v, "names");
  if (names == NULL)
    return werr(err, "%s.names: required", path);
  if (json_strv(v, path, "names", &sc->names, err) < 0)
    return -1;
  if (sc->names[0] == NULL)
    return werr(err, "%s.names: must contain at least one name", path);
  for (size_t i = 0; sc->names[i]; i++)
    if (sc->names[i][0] == '\0')
      return werr(err, "%s.names[%zu]: must not be empty", path, i);
  if (parse_action(v, path, "action", &sc->action, err) < 0)
    return -1;
  if (parse_errno_ret(v, path, "errnoRet", sc->action, &sc->has_errnoRet,
                      &sc->errnoRet, err) < 0)
    return -1;
  yajl_val args = json_get(v, "args");
  if (args == NULL)
    return 0;
  _cleanup_free_ char *apath = json_path(path, "args");
  if (json_want_array(args, apath, err) < 0)
    return -1;
  sc->args_len = args->u.array.len;
  sc->args = calloc(sc->args_len ? sc->args_len : 1, sizeof(*sc->args));
  if (sc->args == NULL)
    abort();
  for (size_t i = 0; i < sc->args_len; i++) {
    _cleanup_free_ char *p = json_path_idx(apath, i);
    if (parse_arg(args->u.array.values[i], p, &sc->args[i], err) < 0)
      return -1;
  }
  return 0;
}

static int parse_architectures(yajl_val v, const char *path,
                               struct spec_seccomp *s, werr_t *err) {
  _cleanup_strv_ char **names = NULL;
  if (json_strv(v, path, "architectures", &names, err) < 0)
    return -1;
  s->architectures_len = strv_len(names);
  s->architectures =
      calloc(s->architectures_len ? s->architectures_len : 1,
             sizeof(*s->architectures));
  if (s->architectures == NULL)
    abort();
  for (size_t i = 0; i < s->architectures_len; i++) {
    int a = lookup(arch_names, SPEC_SCMP_ARCH_COUNT, names[i]);
    if (a < 0)
      return werr(err, "%s.architectures[%zu]: unknown architecture \"%s\"",
                  path, i, names[i]);
    s->architectures[i] = (enum spec_scmp_arch)a;
  }
  return 0;
}

static int parse_flags(yajl_val v, const char *path, struct spec_seccomp *s,
                       werr_t *err) {
  _cleanup_strv_ char **names = NULL;
  if (json_strv(v, path, "flags", &names, err) < 0)
    return -1;
  for (size_t i = 0; names && names[i]; i++) {
    size_t j = 0;
    while (j < sizeof(flag_names) / sizeof(*flag_names) &&
           strcmp(flag_names[j].name, names[i]) != 0)
      j++;
    if (j == sizeof(flag_names) / sizeof(*flag_names))
      return werr(err, "%s.flags[%zu]: unknown flag \"%s\"", path, i, names[i]);
    s->flags |= flag_names[j].bit;
  }
  return 0;
}

/* The init hands the listener to ward (sendmsg(2) on the sync socket, or a
 * write(2) of its number) after the filter is loaded, so neither the
 * default action nor a rule for those syscalls may notify: the init would
 * wait for an agent that can only get the listener from that very call. */
static const char *const handoff_syscalls[] = {"write", "sendmsg"};

static int check_notify(const struct spec_seccomp *s, const char *path,
                        werr_t *err) {
  if (s->defaultAction == SPEC_SCMP_ACT_NOTIFY)
    return werr(err,
                "%s.defaultAction: SCMP_ACT_NOTIFY cannot be the default "
                "action",
                path);
  for (size_t i = 0; i < s->syscalls_len; i++) {
    const struct spec_seccomp_syscall *sc = &s->syscalls[i];
    if (sc->action != SPEC_SCMP_ACT_NOTIFY)
      continue;
    for (size_t j = 0; sc->names[j]; j++)
      for (size_t k = 0; k < sizeof(handoff_syscalls) / sizeof(char *); k++)
        if (strcmp(sc->names[j], handoff_syscalls[k]) == 0)
          return werr(err,
                      "%s.syscalls[%zu].names[%zu]: SCMP_ACT_NOTIFY cannot be "
                      "used for \"%s\"",
                      path, i, j, handoff_syscalls[k]);
  }
  if (s->listenerMetadata && s->listenerPath == NULL)
    return werr(err, "%s.listenerMetadata: set without listenerPath", path);
  if (s->listenerPath) {
    if (s->listenerPath[0] != '/')
      return werr(err, "%s.listenerPath: must be an absolute path", path);
    if (strlen(s->listenerPath) >= sizeof(((struct sockaddr_un *)0)->sun_path))
      return werr(err, "%s.listenerPath: longer than %zu bytes", path,
                  sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
  }
  if (spec_seccomp_uses_notify(s) && s->listenerPath == NULL)
    return werr(err, "%s.listenerPath: required when SCMP_ACT_NOTIFY is used",
                path);
  return 0;
}

static int parse(yajl_val v, const char *path, struct spec_seccomp *s,
                 werr_t *err) {
  if (json_want_object(v, path, err) < 0)
    return -1;
  if (parse_action(v, path, "defaultAction", &s->defaultAction, err) < 0)
    return -1;
  if (parse_errno_ret(v, path, "defaultErrnoRet", s->defaultAction,
                      &s->has_defaultErrnoRet, &s->defaultErrnoRet, err) < 0)
    return -1;
  if (parse_architectures(v, path, s, err) < 0 ||
      parse_flags(v, path, s, err) < 0)
    return -1;
  if (json_str(v, path, "listenerPath", &s->listenerPath, err) < 0 ||
      json_str(v, path, "listenerMetadata", &s->listenerMetadata, err) < 0)
    return -1;
  /* "" is how Go-based tools spell "unset". */
  if (s->listenerPath && s->listenerPath[0] == '\0')
    free(take_ptr(s->listenerPath));
  if (s->listenerMetadata && s->listenerMetadata[0] == '\0')
    free(take_ptr(s->listenerMetadata));

  yajl_val calls = json_get(v, "syscalls");
  if (calls != NULL) {
    _cleanup_free_ char *cpath = json_path(path, "syscalls");
    if (json_want_array(calls, cpath, err) < 0)
      return -1;
    size_t n = calls->u.array.len;
    s->syscalls = calloc(n ? n : 1, sizeof(*s->syscalls));
    if (s->syscalls == NULL)
      abort();
    for (size_t i = 0; i < n; i++) {
      _cleanup_free_ char *p = json_path_idx(cpath, i);
      s->syscalls_len = i + 1; /* so a partial entry is freed */
      if (parse_syscall(calls->u.array.values[i], p, &s->syscalls[i], err) <
          0)
        return -1;
    }
  }
  return check_notify(s, path, err);
}

int spec_parse_seccomp(yajl_val v, const char *path, struct spec_seccomp **out,
                       werr_t *err) {
  struct spec_seccomp *s = calloc(1, sizeof(*s));
  if (s == NULL)
    abort();
  if (parse(v, path, s, err) < 0) {
    spec_seccomp_free(s);
    return -1;
  }
  *out = s;
  return 0;
}

void spec_seccomp_free(struct spec_seccomp *s) {
  if (s == NULL)
    return;
  for (size_t i = 0; i < s->syscalls_len; i++) {
    strv_free(s->syscalls[i].names);
    free(s->syscalls[i].args);
  }
  free(s->syscalls);
  free(s->architectures);
  free(s->listenerPath);
  free(s->listenerMetadata);
  free(s);
}
