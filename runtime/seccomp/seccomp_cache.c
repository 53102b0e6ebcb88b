/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "seccomp_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "utils.h"

#define CACHE_DIR "seccomp-cache"
#define MAGIC "ward-seccomp-bpf 1"
/* Far above any real profile (podman's default key is ~10 KiB); a bigger
 * file is not ours. */
#define MAX_KEY (4u << 20)

struct strbuf {
  char *s;
  size_t len, cap;
};

static void sb_printf(struct strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sb_printf(struct strbuf *b, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->s ? b->s + b->len : NULL, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0)
      abort();
    if (b->len + (size_t)n < b->cap) {
      b->len += (size_t)n;
      return;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap <= b->len + (size_t)n)
      cap *= 2;
    char *s = realloc(b->s, cap);
    if (s == NULL)
      abort();
    b->s = s;
    b->cap = cap;
  }
}

char *seccomp_cache_key(const struct spec_seccomp *s) {
  struct strbuf b = {0};
  const struct scmp_version *v = seccomp_version();
  /* Names are length-prefixed so no name can be confused with syntax. */
  sb_printf(&b, "libseccomp %u.%u.%u api %u native %" PRIu32 "\n", v->major,
            v->minor, v->micro, seccomp_api_get(), seccomp_arch_native());
  sb_printf(&b, "default %d %d %" PRIu32 "\n", (int)s->defaultAction,
            (int)s->has_defaultErrnoRet, s->defaultErrnoRet);
  for (size_t i = 0; i < s->architectures_len; i++)
    sb_printf(&b, "arch %d\n", (int)s->architectures[i]);
  for (size_t i = 0; i < s->syscalls_len; i++) {
    const struct spec_seccomp_syscall *sc = &s->syscalls[i];
    sb_printf(&b, "rule %d %d %" PRIu32, (int)sc->action, (int)sc->has_errnoRet,
              sc->errnoRet);
    for (size_t j = 0; sc->names[j]; j++)
      sb_printf(&b, " %zu:%s", strlen(sc->names[j]), sc->names[j]);
    for (size_t j = 0; j < sc->args_len; j++)
      sb_printf(&b, " [%" PRIu32 " %d %" PRIu64 " %" PRIu64 "]",
                sc->args[j].index, (int)sc->args[j].op, sc->args[j].value,
                sc->args[j].valueTwo);
    sb_printf(&b, "\n");
  }
  return b.s;
}

/* FNV-1a: only spreads entries over file names; the stored key decides. */
static uint64_t fnv1a(const char *s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 0x100000001b3ull;
  }
  return h;
}

static char *entry_path(const char *root, const char *key) {
  char *p = NULL;
  if (asprintf(&p, "%s/" CACHE_DIR "/%016" PRIx64 ".bpf", root, fnv1a(key)) <
      0)
    abort();
  return p;
}

int seccomp_cache_load(const char *state_root, const char *key,
                       struct sock_filter **insns, size_t *len, werr_t *err) {
  _cleanup_free_ char *path = entry_path(state_root, key);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ELOOP)
      return 0;
    return werr_sys(err, "open %s", path);
  }
  /* Only an entry ward itself wrote may become a filter: owned by us and
   * writable by nobody else. */
  struct stat st;
  if (fstat(fd, &st) < 0)
    return werr_sys(err, "stat %s", path);
  if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
      (st.st_mode & (S_IWGRP | S_IWOTH)) ||
      (uint64_t)st.st_size > MAX_KEY + 64 + BPF_MAXINSNS * 8)
    return 0;
  _cleanup_free_ char *buf = NULL;
  size_t n = 0;
  if (read_all_fd(fd, &buf, &n, err) < 0)
    return werr_prefix(err, "%s", path);
  const char *nl = memchr(buf, '\n', n < 64 ? n : 64);
  size_t keylen = 0, ninsns = 0, hdr = nl ? (size_t)(nl - buf) + 1 : 0;
  if (nl == NULL || sscanf(buf, MAGIC " %zu %zu\n", &keylen, &ninsns) != 2)
    return 0;
  if (keylen != strlen(key) || ninsns == 0 || ninsns > BPF_MAXINSNS ||
      n != hdr + keylen + ninsns * sizeof(struct sock_filter) ||
      memcmp(buf + hdr, key, keylen) != 0)
    return 0;
  struct sock_filter *f = malloc(ninsns * sizeof(*f));
  if (f == NULL)
    abort();
  memcpy(f, buf + hdr + keylen, ninsns * sizeof(*f));
  *insns = f;
  *len = ninsns;
  return 1;
}

int seccomp_cache_store(const char *state_root, const char *key,
                        const struct sock_filter *insns, size_t len,
                        werr_t *err) {
  if (mkdir(state_root, 0700) < 0 && errno != EEXIST)
    return werr_sys(err, "mkdir %s", state_root);
  _cleanup_free_ char *dir = NULL;
  if (asprintf(&dir, "%s/" CACHE_DIR, state_root) < 0)
    abort();
  if (mkdir(dir, 0700) < 0 && errno != EEXIST)
    return werr_sys(err, "mkdir %s", dir);
  _cleanup_free_ char *path = entry_path(state_root, key);
  _cleanup_free_ char *tmp = NULL;
  if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
    abort();
  _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0)
    return werr_sys(err, "create %s", tmp);
  char hdr[64];
  int h = snprintf(hdr, sizeof(hdr), MAGIC " %zu %zu\n", strlen(key), len);
  if (write_all(fd, hdr, (size_t)h) < 0 ||
      write_all(fd, key, strlen(key)) < 0 ||
      write_all(fd, insns, len * sizeof(*insns)) < 0) {
    werr_sys(err, "write %s", tmp);
    unlink(tmp);
    return -1;
  }
  if (rename(tmp, path) < 0) {
    werr_sys(err, "rename %s", path);
    unlink(tmp);
    return -1;
  }
  return 0;
}
