/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Compile linux.seccomp with libseccomp into classic BPF (or take it from
 * the cache), then load it with seccomp(2) directly: loading ourselves lets
 * the cached program skip libseccomp entirely, and lets ward pick the
 * filter flags (NEW_LISTENER, LOG, SPEC_ALLOW, WAIT_KILLABLE_RECV). */
#include "seccomp_filter.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "seccomp_cache.h"

#define PATH "linux.seccomp"

/* Above this many rules libseccomp's binary-tree layout beats its linear
 * one; libseccomp <= 2.5.4 mis-handles the tree with no rules at all. */
#define OPTIMIZE_MIN_RULES 32

struct seccomp_prog {
  struct sock_filter *insns;
  size_t len;
  unsigned long kflags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
  bool from_cache;
};

/* libseccomp returns -errno: report it like a failed syscall. */
#define scmp_err(err, rc, ...) (errno = -(rc), werr_sys((err), __VA_ARGS__))

static uint32_t scmp_action(enum spec_scmp_action a, bool has_ret,
                            uint32_t ret) {
  switch (a) {
  case SPEC_SCMP_ACT_KILL:
  case SPEC_SCMP_ACT_KILL_THREAD:
    return SCMP_ACT_KILL_THREAD;
  case SPEC_SCMP_ACT_KILL_PROCESS:
    return SCMP_ACT_KILL_PROCESS;
  case SPEC_SCMP_ACT_TRAP:
    return SCMP_ACT_TRAP;
  case SPEC_SCMP_ACT_ERRNO:
    return SCMP_ACT_ERRNO(has_ret ? ret : EPERM);
  case SPEC_SCMP_ACT_TRACE:
    return SCMP_ACT_TRACE(has_ret ? ret : EPERM);
  case SPEC_SCMP_ACT_LOG:
    return SCMP_ACT_LOG;
  case SPEC_SCMP_ACT_NOTIFY:
    return SCMP_ACT_NOTIFY;
  case SPEC_SCMP_ACT_ALLOW:
  case SPEC_SCMP_ACT_COUNT:
    break;
  }
  return SCMP_ACT_ALLOW;
}

static enum scmp_compare scmp_op(enum spec_scmp_op op) {
  switch (op) {
  case SPEC_SCMP_CMP_NE:
    return SCMP_CMP_NE;
  case SPEC_SCMP_CMP_LT:
    return SCMP_CMP_LT;
  case SPEC_SCMP_CMP_LE:
    return SCMP_CMP_LE;
  case SPEC_SCMP_CMP_GE:
    return SCMP_CMP_GE;
  case SPEC_SCMP_CMP_GT:
    return SCMP_CMP_GT;
  case SPEC_SCMP_CMP_MASKED_EQ:
    return SCMP_CMP_MASKED_EQ;
  case SPEC_SCMP_CMP_EQ:
  case SPEC_SCMP_CMP_COUNT:
    break;
  }
  return SCMP_CMP_EQ;
}

/* 0 when the linked libseccomp does not know the architecture. */
static uint32_t scmp_arch(enum spec_scmp_arch a) {
  switch (a) {
  case SPEC_SCMP_ARCH_X86: return SCMP_ARCH_X86;
  case SPEC_SCMP_ARCH_X86_64: return SCMP_ARCH_X86_64;
  case SPEC_SCMP_ARCH_X32: return SCMP_ARCH_X32;
  case SPEC_SCMP_ARCH_ARM: return SCMP_ARCH_ARM;
  case SPEC_SCMP_ARCH_AARCH64: return SCMP_ARCH_AARCH64;
  case SPEC_SCMP_ARCH_MIPS: return SCMP_ARCH_MIPS;
  case SPEC_SCMP_ARCH_MIPS64: return SCMP_ARCH_MIPS64;
  case SPEC_SCMP_ARCH_MIPS64N32: return SCMP_ARCH_MIPS64N32;
  case SPEC_SCMP_ARCH_MIPSEL: return SCMP_ARCH_MIPSEL;
  case SPEC_SCMP_ARCH_MIPSEL64: return SCMP_ARCH_MIPSEL64;
  case SPEC_SCMP_ARCH_MIPSEL64N32: return SCMP_ARCH_MIPSEL64N32;
  case SPEC_SCMP_ARCH_PPC: return SCMP_ARCH_PPC;
  case SPEC_SCMP_ARCH_PPC64: return SCMP_ARCH_PPC64;
  case SPEC_SCMP_ARCH_PPC64LE: return SCMP_ARCH_PPC64LE;
  case SPEC_SCMP_ARCH_S390: return SCMP_ARCH_S390;
  case SPEC_SCMP_ARCH_S390X: return SCMP_ARCH_S390X;
  case SPEC_SCMP_ARCH_PARISC: return SCMP_ARCH_PARISC;
  case SPEC_SCMP_ARCH_PARISC64: return SCMP_ARCH_PARISC64;
  case SPEC_SCMP_ARCH_RISCV64: return SCMP_ARCH_RISCV64;
#ifdef SCMP_ARCH_LOONGARCH64
  case SPEC_SCMP_ARCH_LOONGARCH64: return SCMP_ARCH_LOONGARCH64;
#endif
#ifdef SCMP_ARCH_M68K
  case SPEC_SCMP_ARCH_M68K: return SCMP_ARCH_M68K;
#endif
#ifdef SCMP_ARCH_SH
  case SPEC_SCMP_ARCH_SH: return SCMP_ARCH_SH;
  case SPEC_SCMP_ARCH_SHEB: return SCMP_ARCH_SHEB;
#endif
  default:
    return 0;
  }
}

/* One entry of syscalls[].  As runc does, an entry that compares the same
 * argument twice becomes one rule per comparison (any of them matches):
 * libseccomp cannot AND two comparisons of one argument. */
static int add_rule(scmp_filter_ctx ctx, const struct spec_seccomp_syscall *sc,
                    size_t idx, uint32_t action, werr_t *err) {
  struct scmp_arg_cmp cmp[SPEC_SCMP_MAX_ARGS];
  size_t ncmp = 0;
  unsigned seen = 0;
  bool split = false;
  for (size_t i = 0; i < sc->args_len && !split; i++) {
    const struct spec_seccomp_arg *a = &sc->args[i];
    if (seen & (1u << a->index))
      split = true; /* also covers more than SPEC_SCMP_MAX_ARGS entries */
    seen |= 1u << a->index;
    if (!split)
      cmp[ncmp++] = (struct scmp_arg_cmp){.arg = a->index,
                                          .op = scmp_op(a->op),
                                          .datum_a = a->value,
                                          .datum_b = a->valueTwo};
  }

  for (size_t n = 0; sc->names[n]; n++) {
    int nr = seccomp_syscall_resolve_name(sc->names[n]);
    /* Unknown here (newer than this libseccomp, or another arch's only):
     * skipped, as runc does, so one profile serves every host. */
    if (nr == __NR_SCMP_ERROR)
      continue;
    int rc;
    if (!split) {
      rc = seccomp_rule_add_array(ctx, action, nr, (unsigned)ncmp, cmp);
    } else {
      rc = 0;
      for (size_t i = 0; i < sc->args_len && rc == 0; i++) {
        const struct spec_seccomp_arg *a = &sc->args[i];
        struct scmp_arg_cmp one = {.arg = a->index,
                                   .op = scmp_op(a->op),
                                   .datum_a = a->value,
                                   .datum_b = a->valueTwo};
        rc = seccomp_rule_add_array(ctx, action, nr, 1, &one);
      }
    }
    if (rc < 0)
      return scmp_err(err, rc, PATH ".syscalls[%zu]: add rule for \"%s\"",
                      idx, sc->names[n]);
  }
  return 0;
}

static int export_bpf(scmp_filter_ctx ctx, struct seccomp_prog *p,
                      werr_t *err) {
  _cleanup_close_ int fd = memfd_create("ward-seccomp-bpf", MFD_CLOEXEC);
  if (fd < 0)
    return werr_sys(err, PATH ": memfd_create");
  int rc = seccomp_export_bpf(ctx, fd);
  if (rc < 0)
    return scmp_err(err, rc, PATH ": export BPF");
  if (lseek(fd, 0, SEEK_SET) < 0)
    return werr_sys(err, PATH ": lseek");
  _cleanup_free_ char *buf = NULL;
  size_t n = 0;
  if (read_all_fd(fd, &buf, &n, err) < 0)
    return werr_prefix(err, PATH ": read exported BPF");
  if (n == 0 || n % sizeof(struct sock_filter) != 0 ||
      n / sizeof(struct sock_filter) > BPF_MAXINSNS)
    return werr_code(err, E2BIG,
                     PATH ": compiled filter has %zu instructions (the kernel "
                          "takes at most %d)",
                     n / sizeof(struct sock_filter), BPF_MAXINSNS);
  p->len = n / sizeof(struct sock_filter);
  p->insns = malloc(n);
  if (p->insns == NULL)
    abort();
  memcpy(p->insns, buf, n);
  return 0;
}

static void ctx_releasep(scmp_filter_ctx *ctx) {
  if (*ctx)
    seccomp_release(*ctx);
}

static int compile(const struct spec_seccomp *s, struct seccomp_prog *p,
                   werr_t *err) {
  uint32_t defact = scmp_action(s->defaultAction, s->has_defaultErrnoRet,
                                s->defaultErrnoRet);
  __attribute__((cleanup(ctx_releasep))) scmp_filter_ctx ctx =
      seccomp_init(defact);
  if (ctx == NULL)
    return werr_code(err, EINVAL,
                     PATH ".defaultAction: libseccomp rejects \"%s\"",
                     spec_scmp_action_name(s->defaultAction));
  int rc;
  if (s->syscalls_len > OPTIMIZE_MIN_RULES &&
      (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
    return scmp_err(err, rc, PATH ": enable binary-tree optimization");
  for (size_t i = 0; i < s->architectures_len; i++) {
    uint32_t token = scmp_arch(s->architectures[i]);
    if (token == 0)
      continue;
    rc = seccomp_arch_add(ctx, token);
    if (rc < 0 && rc != -EEXIST) /* EEXIST: native, or listed twice */
      return scmp_err(err, rc, PATH ".architectures[%zu]: add \"%s\"", i,
                      spec_scmp_arch_name(s->architectures[i]));
  }
  for (size_t i = 0; i < s->syscalls_len; i++) {
    const struct spec_seccomp_syscall *sc = &s->syscalls[i];
    uint32_t act = scmp_action(sc->action, sc->has_errnoRet, sc->errnoRet);
    /* libseccomp refuses a rule that only restates the default. */
    if (act == defact)
      continue;
    if (add_rule(ctx, sc, i, act, err) < 0)
      return -1;
  }
  return export_bpf(ctx, p, err);
}

int seccomp_filter_prepare(const struct spec_seccomp *s, const char *cache_dir,
                           struct seccomp_prog **out, werr_t *err) {
  *out = NULL;
  if (s == NULL)
    return 0;
  struct seccomp_prog *p = calloc(1, sizeof(*p));
  if (p == NULL)
    abort();
  if (spec_seccomp_uses_notify(s)) {
    p->kflags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    /* Only meaningful for (and only accepted with) a listener. */
    if (s->flags & SPEC_SCMP_FLAG_WAIT_KILLABLE_RECV)
      p->kflags |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
  }
  if (s->flags & SPEC_SCMP_FLAG_LOG)
    p->kflags |= SECCOMP_FILTER_FLAG_LOG;
  if (s->flags & SPEC_SCMP_FLAG_SPEC_ALLOW)
    p->kflags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;

  /* The cache only saves time: a cache that cannot be read or written
   * falls back to compiling, it never fails the container. */
  _cleanup_free_ char *key = cache_dir ? seccomp_cache_key(s) : NULL;
  _cleanup_werr_ werr_t cerr = NULL;
  if (key && seccomp_cache_load(cache_dir, key, &p->insns, &p->len, &cerr) > 0) {
    p->from_cache = true;
  } else {
    if (compile(s, p, err) < 0) {
      seccomp_prog_free(p);
      return -1;
    }
    if (key)
      (void)seccomp_cache_store(cache_dir, key, p->insns, p->len, &cerr);
  }
  *out = p;
  return 0;
}

int seccomp_filter_install(struct seccomp_prog *p, int *notify_fd,
                           werr_t *err) {
  *notify_fd = -1;
  if (p == NULL)
    return 0;
  struct sock_fprog fprog = {.len = (unsigned short)p->len,
                             .filter = p->insns};
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->kflags, &fprog);
  if (rc < 0) {
    if (errno == EACCES)
      return werr_sys(err, PATH ": load filter (needs process.noNewPrivileges "
                           "or CAP_SYS_ADMIN)");
    return werr_sys(err, PATH ": load filter");
  }
  if (p->kflags & SECCOMP_FILTER_FLAG_NEW_LISTENER)
    *notify_fd = (int)rc;
  return 0;
}

bool seccomp_prog_has_listener(const struct seccomp_prog *p) {
  return p && (p->kflags & SECCOMP_FILTER_FLAG_NEW_LISTENER);
}

bool seccomp_prog_from_cache(const struct seccomp_prog *p) {
  return p && p->from_cache;
}

size_t seccomp_prog_len(const struct seccomp_prog *p) {
  return p ? p->len : 0;
}

void seccomp_prog_free(struct seccomp_prog *p) {
  if (p == NULL)
    return;
  free(p->insns);
  free(p);
}
