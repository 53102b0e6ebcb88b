/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "idmap_registry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "cleanup.h"
#include "json.h"

static char *xstrdup_or_null(const char *s) {
  if (s == NULL)
    return NULL;
  char *p = strdup(s);
  if (p == NULL)
    abort();
  return p;
}

char *idmap_registry_dir(void) {
  char *d = NULL;
  const char *xdg = getenv("XDG_RUNTIME_DIR");
  if (geteuid() != 0 && xdg && xdg[0] == '/') {
    if (asprintf(&d, "%s/ward-idmap", xdg) < 0)
      abort();
    return d;
  }
  return xstrdup_or_null(IDMAP_REGISTRY_DIR);
}

void idmap_entry_clear(struct idmap_entry *e) {
  free(e->root);
  free(e->id);
  free(e->key);
  free(e->kind);
  strv_free(e->raw);
  free(e->created);
  memset(e, 0, sizeof(*e));
}

static int mkdir_p(const char *dir, werr_t *err) {
  _cleanup_free_ char *copy = xstrdup_or_null(dir);
  for (char *p = copy + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(copy, 0755) < 0 && errno != EEXIST)
      return werr_sys(err, "mkdir %s", copy);
    *p = '/';
  }
  /* The registry says which host ids belong to whom: root-only. */
  if (mkdir(copy, 0700) < 0 && errno != EEXIST)
    return werr_sys(err, "mkdir %s", copy);
  return 0;
}

static int load_range(yajl_val obj, const char *path, const char *key,
                      uint64_t *base, uint64_t *size, werr_t *err) {
  yajl_val v = json_get(obj, key);
  if (v == NULL)
    return 0;
  _cleanup_free_ char *p = json_path(path, key);
  if (json_want_object(v, p, err) < 0 ||
      json_u64(v, p, "base", base, err) < 0 ||
      json_u64(v, p, "size", size, err) < 0)
    return -1;
  return 0;
}

static int load_entry(yajl_val v, const char *path, struct idmap_entry *e,
                      werr_t *err) {
  if (json_want_object(v, path, err) < 0)
    return -1;
  yajl_val c = json_get(v, "container");
  if (c) {
    _cleanup_free_ char *cp = json_path(path, "container");
    if (json_want_object(c, cp, err) < 0 ||
        json_str(c, cp, "root", &e->root, err) < 0 ||
        json_str(c, cp, "id", &e->id, err) < 0)
      return -1;
  }
  if (json_str(v, path, "key", &e->key, err) < 0 ||
      json_str(v, path, "kind", &e->kind, err) < 0 ||
      json_str(v, path, "created", &e->created, err) < 0 ||
      json_strv(v, path, "raw", &e->raw, err) < 0 ||
      load_range(v, path, "uid", &e->uid_base, &e->uid_size, err) < 0 ||
      load_range(v, path, "gid", &e->gid_base, &e->gid_size, err) < 0)
    return -1;
  if (e->kind == NULL)
    e->kind = xstrdup_or_null(IDMAP_KIND_ISOLATED);
  if ((e->root == NULL) != (e->id == NULL) || (e->id == NULL && e->key == NULL))
    return werr(err, "%s: needs a container or a key", path);
  return 0;
}

static int load(struct idmap_registry *r, werr_t *err) {
  _cleanup_free_ char *file = NULL;
  if (asprintf(&file, "%s/" IDMAP_REGISTRY_FILE, r->dir) < 0)
    abort();
  yajl_val doc = NULL;
  if (json_parse_file(file, &doc, err) < 0) {
    if ((*err)->errnum == ENOENT) {
      werr_free(err);
      return 0;
    }
    return -1;
  }
  int rc = -1;
  yajl_val all = json_get(doc, "allocations");
  if (all && json_want_array(all, "allocations", err) < 0)
    goto out;
  size_t n = all ? all->u.array.len : 0;
  r->items = calloc(n ? n : 1, sizeof(*r->items));
  if (r->items == NULL)
    abort();
  for (size_t i = 0; i < n; i++) {
    _cleanup_free_ char *p = json_path_idx("allocations", i);
    if (load_entry(all->u.array.values[i], p, &r->items[i], err) < 0) {
      idmap_entry_clear(&r->items[i]);
      werr_prefix(err, "%s", file);
      goto out;
    }
    r->len++;
  }
  rc = 0;
out:
  yajl_tree_free(doc);
  return rc;
}

int idmap_registry_open(const char *dir, bool write,
                        struct idmap_registry **out, werr_t *err) {
  struct idmap_registry *r = calloc(1, sizeof(*r));
  if (r == NULL)
    abort();
  r->dir = xstrdup_or_null(dir);
  r->lock_fd = -1;
  r->writable = write;
  _cleanup_free_ char *lock = NULL;
  if (asprintf(&lock, "%s/lock", dir) < 0)
    abort();
  if (write && mkdir_p(dir, err) < 0)
    goto fail;
  r->lock_fd =
      open(lock, (write ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC, 0600);
  if (r->lock_fd < 0) {
    if (!write && errno == ENOENT) {
      *out = r; /* nothing recorded yet */
      return 0;
    }
    werr_sys(err, "open %s", lock);
    goto fail;
  }
  while (flock(r->lock_fd, write ? LOCK_EX : LOCK_SH) < 0) {
    if (errno != EINTR) {
      werr_sys(err, "flock %s", lock);
      goto fail;
    }
  }
  if (load(r, err) < 0)
    goto fail;
  *out = r;
  return 0;
fail:
  idmap_registry_close(r);
  return -1;
}

void idmap_registry_close(struct idmap_registry *r) {
  if (r == NULL)
    return;
  if (r->lock_fd >= 0)
    close(r->lock_fd); /* drops the flock */
  for (size_t i = 0; i < r->len; i++)
    idmap_entry_clear(&r->items[i]);
  free(r->items);
  free(r->dir);
  free(r);
}

#define GSTR(g, s) yajl_gen_string(g, (const unsigned char *)(s), strlen(s))

static void gen_range(yajl_gen g, const char *key, uint64_t base,
                      uint64_t size) {
  if (size == 0)
    return;
  GSTR(g, key);
  yajl_gen_map_open(g);
  GSTR(g, "base");
  yajl_gen_integer(g, (long long)base);
  GSTR(g, "size");
  yajl_gen_integer(g, (long long)size);
  yajl_gen_map_close(g);
}

static void gen_entry(yajl_gen g, const struct idmap_entry *e) {
  yajl_gen_map_open(g);
  if (e->id) {
    GSTR(g, "container");
    yajl_gen_map_open(g);
    GSTR(g, "root");
    GSTR(g, e->root);
    GSTR(g, "id");
    GSTR(g, e->id);
    yajl_gen_map_close(g);
  }
  if (e->key) {
    GSTR(g, "key");
    GSTR(g, e->key);
  }
  GSTR(g, "kind");
  GSTR(g, e->kind ? e->kind : IDMAP_KIND_ISOLATED);
  gen_range(g, "uid", e->uid_base, e->uid_size);
  gen_range(g, "gid", e->gid_base, e->gid_size);
  if (e->raw && e->raw[0]) {
    GSTR(g, "raw");
    yajl_gen_array_open(g);
    for (char **p = e->raw; *p; p++)
      GSTR(g, *p);
    yajl_gen_array_close(g);
  }
  if (e->created) {
    GSTR(g, "created");
    GSTR(g, e->created);
  }
  yajl_gen_map_close(g);
}

int idmap_registry_commit(struct idmap_registry *r, werr_t *err) {
  if (!r->writable)
    return werr_code(err, EBADF, "%s: opened read-only", r->dir);
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    abort();
  yajl_gen_config(g, yajl_gen_beautify, 1);
  yajl_gen_map_open(g);
  GSTR(g, "version");
  yajl_gen_integer(g, 1);
  GSTR(g, "allocations");
  yajl_gen_array_open(g);
  for (size_t i = 0; i < r->len; i++)
    gen_entry(g, &r->items[i]);
  yajl_gen_array_close(g);
  yajl_gen_map_close(g);
  const unsigned char *buf;
  size_t len;
  yajl_gen_get_buf(g, &buf, &len);

  _cleanup_free_ char *file = NULL, *tmp = NULL;
  if (asprintf(&file, "%s/" IDMAP_REGISTRY_FILE, r->dir) < 0 ||
      asprintf(&tmp, "%s/" IDMAP_REGISTRY_FILE ".tmp", r->dir) < 0)
    abort();
  int rc = -1;
  _cleanup_close_ int fd =
      open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    werr_sys(err, "open %s", tmp);
    goto out;
  }
  size_t off = 0;
  while (off < len) {
    ssize_t w = write(fd, buf + off, len - off);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      werr_sys(err, "write %s", tmp);
      goto out;
    }
    off += (size_t)w;
  }
  if (fsync(fd) < 0) {
    werr_sys(err, "fsync %s", tmp);
    goto out;
  }
  if (rename(tmp, file) < 0) {
    werr_sys(err, "rename %s to %s", tmp, file);
    goto out;
  }
  rc = 0;
out:
  if (rc < 0)
    unlink(tmp);
  yajl_gen_free(g);
  return rc;
}

struct idmap_entry *idmap_registry_by_owner(struct idmap_registry *r,
                                            const char *root, const char *id) {
  for (size_t i = 0; i < r->len; i++) {
    struct idmap_entry *e = &r->items[i];
    if (e->id && strcmp(e->id, id) == 0 && strcmp(e->root, root) == 0)
      return e;
  }
  return NULL;
}

struct idmap_entry *idmap_registry_by_key(struct idmap_registry *r,
                                          const char *key) {
  for (size_t i = 0; i < r->len; i++)
    if (r->items[i].key && strcmp(r->items[i].key, key) == 0)
      return &r->items[i];
  return NULL;
}

struct idmap_entry *idmap_registry_add(struct idmap_registry *r) {
  struct idmap_entry *n = realloc(r->items, (r->len + 1) * sizeof(*n));
  if (n == NULL)
    abort();
  r->items = n;
  memset(&n[r->len], 0, sizeof(*n));
  return &n[r->len++];
}

void idmap_registry_remove(struct idmap_registry *r, struct idmap_entry *e) {
  size_t i = (size_t)(e - r->items);
  idmap_entry_clear(e);
  memmove(&r->items[i], &r->items[i + 1], (r->len - i - 1) * sizeof(*r->items));
  r->len--;
}

char *idmap_entry_describe(const struct idmap_entry *e) {
  char *s = NULL;
  int rc;
  if (e->key && e->id)
    rc = asprintf(&s, "key %s (container %s in %s)", e->key, e->id, e->root);
  else if (e->key)
    rc = asprintf(&s, "key %s", e->key);
  else
    rc = asprintf(&s, "container %s in %s", e->id, e->root);
  if (rc < 0)
    abort();
  return s;
}

bool idmap_entry_has_state(const struct idmap_entry *e) {
  if (e->id == NULL)
    return false;
  _cleanup_free_ char *dir = NULL;
  if (asprintf(&dir, "%s/%s", e->root, e->id) < 0)
    abort();
  struct stat st;
  return stat(dir, &st) == 0;
}
