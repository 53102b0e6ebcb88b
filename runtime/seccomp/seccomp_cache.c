/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "seccomp_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "utils.h"

/* About 10 KiB an entry: the cache stays under a MiB of tmpfs. */
#define CACHE_MAX_ENTRIES 64
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

static void entry_name(const char *key, char name[32]) {
  snprintf(name, 32, "%016" PRIx64 ".bpf", fnv1a(key));
}

/* A directory only ward's user can write: the entries in it
 * become seccomp filters for every container on the host.  Both the cache
 * dir and its parent are opened without following symlinks and checked on
 * the fd (owner, type, no group/other bits on the dir itself, no
 * group/other write on the parent), so nothing another user planted or
 * swapped in is used.  CREATE makes what is missing (0700). */
static int open_cache_dir(const char *dir, bool create, werr_t *err) {
  _cleanup_free_ char *parent = strdup(dir);
  if (parent == NULL)
    abort();
  char *slash = strrchr(parent, '/');
  if (slash == NULL || slash[1] == '\0')
    return werr_code(err, EINVAL, "seccomp cache %s: not an absolute path", dir);
  const char *base = slash + 1;
  *slash = '\0';
  if (create && parent[0] && mkdir(parent, 0700) < 0 && errno != EEXIST)
    return werr_sys(err, "mkdir %s", parent);
  _cleanup_close_ int pfd =
      open(parent[0] ? parent : "/", O_PATH | O_DIRECTORY | O_NOFOLLOW |
                                         O_CLOEXEC);
  if (pfd < 0)
    return werr_sys(err, "open %s", parent);
  struct stat st;
  if (fstat(pfd, &st) < 0)
    return werr_sys(err, "stat %s", parent);
  if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
    return werr_code(err, EPERM, "seccomp cache: %s is not owned by uid %u or is "
                            "writable by others: not used",
                parent, (unsigned)geteuid());
  if (create && mkdirat(pfd, base, 0700) < 0 && errno != EEXIST)
    return werr_sys(err, "mkdir %s", dir);
  int fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return werr_sys(err, "open %s", dir);
  if (fstat(fd, &st) < 0 || st.st_uid != geteuid() ||
      (st.st_mode & 077) != 0) {
    close(fd);
    return werr_code(err, EPERM, "seccomp cache: %s is not uid %u's, mode 0700: "
                            "not used",
                dir, (unsigned)geteuid());
  }
  return fd;
}

int seccomp_cache_load(const char *cache_dir, const char *key,
                       struct sock_filter **insns, size_t *len, werr_t *err) {
  _cleanup_close_ int dfd = open_cache_dir(cache_dir, false, err);
  if (dfd < 0)
    return errno == ENOENT ? 0 : -1;
  char name[32];
  entry_name(key, name);
  _cleanup_free_ char *path = NULL;
  if (asprintf(&path, "%s/%s", cache_dir, name) < 0)
    abort();
  _cleanup_close_ int fd =
      openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
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
  /* Recently used entries are the last to be evicted. */
  (void)futimens(fd, NULL);
  return 1;
}

/* Keep at most CACHE_MAX_ENTRIES: drop the least recently used beyond. */
static void evict(int dfd) {
  int fd = dup(dfd);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (d == NULL) {
    if (fd >= 0)
      close(fd);
    return;
  }
  struct ent {
    char name[32];
    struct timespec t;
  } *v = NULL;
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    struct stat st;
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
        fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    /* A temporary file a killed ward left (or any stray name): gone once
     * it is a minute old, so the directory stays bounded. */
    if (de->d_name[0] == '.' || strlen(de->d_name) >= 32) {
      if (st.st_mtim.tv_sec + 60 < time(NULL))
        (void)unlinkat(dfd, de->d_name, 0);
      continue;
    }
    struct ent *nv = realloc(v, (n + 1) * sizeof(*v));
    if (nv == NULL)
      abort();
    v = nv;
    memcpy(v[n].name, de->d_name, strlen(de->d_name) + 1); /* < 32 above */
    v[n].t = st.st_mtim;
    n++;
  }
  closedir(d);
  while (n > CACHE_MAX_ENTRIES) {
    size_t old = 0;
    for (size_t i = 1; i < n; i++)
      if (v[i].t.tv_sec < v[old].t.tv_sec ||
          (v[i].t.tv_sec == v[old].t.tv_sec &&
           v[i].t.tv_nsec < v[old].t.tv_nsec))
        old = i;
    (void)unlinkat(dfd, v[old].name, 0);
    v[old] = v[--n];
  }
  free(v);
}

int seccomp_cache_store(const char *cache_dir, const char *key,
                        const struct sock_filter *insns, size_t len,
                        werr_t *err) {
  _cleanup_close_ int dfd = open_cache_dir(cache_dir, true, err);
  if (dfd < 0)
    return -1;
  char name[32], tmp[64];
  entry_name(key, name);
  snprintf(tmp, sizeof(tmp), ".%s.%d", name, (int)getpid());
  _cleanup_close_ int fd =
      openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
             0600);
  if (fd < 0)
    return werr_sys(err, "create %s/%s", cache_dir, tmp);
  char hdr[64];
  int h = snprintf(hdr, sizeof(hdr), MAGIC " %zu %zu\n", strlen(key), len);
  if (write_all(fd, hdr, (size_t)h) < 0 ||
      write_all(fd, key, strlen(key)) < 0 ||
      write_all(fd, insns, len * sizeof(*insns)) < 0) {
    werr_sys(err, "write %s/%s", cache_dir, tmp);
    unlinkat(dfd, tmp, 0);
    return -1;
  }
  if (renameat(dfd, tmp, dfd, name) < 0) {
    werr_sys(err, "rename %s/%s", cache_dir, name);
    unlinkat(dfd, tmp, 0);
    return -1;
  }
  evict(dfd);
  return 0;
}
