/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The registry's entries: one small schema-checked JSON file each, the
 * bounded lock, and the migration of the old single allocations.json.  The
 * range index is in idmap_slots.c. */
#include "idmap_registry.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "cleanup.h"
#include "idmap_raw.h"
#include "json.h"
#include "utils.h"

/* An entry is a few hundred bytes (raw lines at most ~16 KB); the old file
 * held every entry. */
#define ENTRY_MAX_BYTES (1 << 20)
#define LEGACY_MAX_BYTES (256 << 20)
#define ID_LIMIT 4294967296ULL /* host ids are 32-bit */

char *idmap_registry_dir(void) {
  const char *xdg = getenv("XDG_RUNTIME_DIR");
  if (geteuid() != 0 && xdg && xdg[0] == '/')
    return xasprintf("%s/ward-idmap", xdg);
  return xstrdup(IDMAP_REGISTRY_DIR);
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

void idmap_entries_free(struct idmap_entry *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    idmap_entry_clear(&v[i]);
  free(v);
}

/* ---- names --------------------------------------------------------------- */

static uint64_t fnv1a(uint64_t h, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)s[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

void idmap_owner_name(const char *root, const char *id,
                      char name[IDMAP_ENTRY_NAME_LEN]) {
  uint64_t h = fnv1a(0xcbf29ce484222325ULL, root, strlen(root) + 1);
  h = fnv1a(h, id, strlen(id));
  snprintf(name, IDMAP_ENTRY_NAME_LEN, "c-%016llx", (unsigned long long)h);
}

static void key_name(const char *key, char name[IDMAP_ENTRY_NAME_LEN]) {
  uint64_t h = fnv1a(0xcbf29ce484222325ULL, key, strlen(key));
  snprintf(name, IDMAP_ENTRY_NAME_LEN, "k-%016llx", (unsigned long long)h);
}

void idmap_entry_name(const struct idmap_entry *e,
                      char name[IDMAP_ENTRY_NAME_LEN]) {
  if (e->key)
    key_name(e->key, name);
  else
    idmap_owner_name(e->root, e->id, name);
}

/* ---- the schema ---------------------------------------------------------- */

static bool key_ok(const char *k) {
  size_t n = strlen(k);
  if (n == 0 || n > 255)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)k[i]) && !strchr("_+.-", k[i]))
      return false;
  return true;
}

static int only_keys(yajl_val obj, const char *path, const char *const *known,
                     werr_t *err) {
  for (size_t i = 0; i < obj->u.object.len; i++) {
    const char *k = obj->u.object.keys[i];
    size_t j = 0;
    while (known[j] && strcmp(known[j], k) != 0)
      j++;
    if (known[j] == NULL)
      return werr_code(err, EINVAL, "%s%s%s: unknown field", path,
                        path[0] ? "." : "", k);
    for (size_t d = 0; d < i; d++)
      if (strcmp(obj->u.object.keys[d], k) == 0)
        return werr_code(err, EINVAL, "%s%s%s: given twice", path,
                          path[0] ? "." : "", k);
  }
  return 0;
}

static int want_id(yajl_val obj, const char *path, const char *key,
                   uint64_t *out, werr_t *err) {
  yajl_val v = json_get(obj, key);
  if (v == NULL || !YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0 ||
      (uint64_t)YAJL_GET_INTEGER(v) > ID_LIMIT)
    return werr_code(err, EINVAL, "%s.%s: must be a whole number from 0 to "
                                   "%llu",
                      path, key, ID_LIMIT);
  *out = (uint64_t)YAJL_GET_INTEGER(v);
  return 0;
}

static int load_range(yajl_val obj, const char *path, const char *key,
                      uint64_t *base, uint64_t *size, werr_t *err) {
  yajl_val v = json_get(obj, key);
  if (v == NULL)
    return 0;
  _cleanup_free_ char *p = json_path(path, key);
  static const char *const known[] = {"base", "size", NULL};
  if (json_want_object(v, p, err) < 0 || only_keys(v, p, known, err) < 0 ||
      want_id(v, p, "base", base, err) < 0 ||
      want_id(v, p, "size", size, err) < 0)
    return -1;
  if (*size == 0 || *base + *size > ID_LIMIT)
    return werr_code(err, EINVAL,
                      "%s: %llu + %llu ids: want 1 or more ids below 2^32", p,
                      (unsigned long long)*base, (unsigned long long)*size);
  return 0;
}

/* One entry object, fully checked: fields, types, bounds, raw lines. */
static int load_entry(yajl_val v, const char *path, bool legacy,
                      struct idmap_entry *e, werr_t *err) {
  static const char *const known[] = {"container", "key", "kind", "uid",
                                      "gid", "raw", "created", "version",
                                      NULL};
  if (json_want_object(v, path, err) < 0 ||
      only_keys(v, path, known, err) < 0)
    return -1;
  yajl_val c = json_get(v, "container");
  if (c) {
    _cleanup_free_ char *cp = json_path(path, "container");
    static const char *const ck[] = {"root", "id", NULL};
    if (json_want_object(c, cp, err) < 0 || only_keys(c, cp, ck, err) < 0 ||
        json_str(c, cp, "root", &e->root, err) < 0 ||
        json_str(c, cp, "id", &e->id, err) < 0)
      return -1;
    if (e->root == NULL || e->root[0] != '/' || e->id == NULL ||
        e->id[0] == '\0' || strchr(e->id, '/'))
      return werr_code(err, EINVAL,
                        "%s: want an absolute root and an id without '/'", cp);
  }
  if (json_str(v, path, "key", &e->key, err) < 0 ||
      json_str(v, path, "kind", &e->kind, err) < 0 ||
      json_str(v, path, "created", &e->created, err) < 0 ||
      json_strv(v, path, "raw", &e->raw, err) < 0 ||
      load_range(v, path, "uid", &e->uid_base, &e->uid_size, err) < 0 ||
      load_range(v, path, "gid", &e->gid_base, &e->gid_size, err) < 0)
    return -1;
  yajl_val ver = json_get(v, "version");
  if (ver && (!YAJL_IS_INTEGER(ver) || YAJL_GET_INTEGER(ver) != 1))
    return werr_code(err, EINVAL, "%s.version: want 1", path);
  if (e->kind == NULL && legacy)
    e->kind = xstrdup(IDMAP_KIND_ISOLATED);
  if (e->kind == NULL || (strcmp(e->kind, IDMAP_KIND_ISOLATED) != 0 &&
                          strcmp(e->kind, IDMAP_KIND_SHARED) != 0 &&
                          strcmp(e->kind, IDMAP_KIND_OCI) != 0))
    return werr_code(err, EINVAL,
                      "%s.kind: want \"isolated\", \"shared\" or \"oci\"",
                      path);
  if (e->key && !key_ok(e->key))
    return werr_code(err, EINVAL,
                      "%s.key: want 1-255 characters of [A-Za-z0-9_+.-]", path);
  if (e->id == NULL && e->key == NULL)
    return werr_code(err, EINVAL, "%s: needs a container or a key", path);
  if (strcmp(e->kind, IDMAP_KIND_ISOLATED) == 0 &&
      (e->uid_size == 0 || e->gid_size == 0))
    return werr_code(err, EINVAL, "%s: an isolated range needs uid and gid",
                      path);
  for (size_t i = 0; e->raw && e->raw[i]; i++) {
    struct idmap_raw raw = {0};
    werr_t rerr = NULL;
    int rc = idmap_raw_parse(e->raw[i], &raw, &rerr);
    bool one = rc == 0 && raw.len == 1;
    idmap_raw_free(&raw);
    if (!one) {
      werr_code(err, EINVAL, "%s.raw[%zu]: %s", path, i,
                 rerr ? rerr->msg : "want one line");
      werr_free(&rerr);
      return -1;
    }
  }
  return 0;
}

/* A file that does not validate is never written over: keep a copy beside
 * it (once) and say so, so the operator can repair it. */
static int refuse_invalid(const char *file, const char *buf, size_t len,
                          werr_t *err) {
  _cleanup_free_ char *bak = xasprintf("%s.invalid", file);
  _cleanup_close_ int fd =
      open(bak, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0 && buf)
    (void)write_all(fd, buf, len);
  _cleanup_free_ char *why = xstrdup(*err ? (*err)->msg : "invalid");
  return werr_code(err, EINVAL,
                    "%s: %s (not a valid idmap registry file: left untouched, "
                    "a copy in %s; repair or remove it)",
                    file, why, bak);
}

static int read_capped(const char *file, size_t cap, char **buf, size_t *len,
                       werr_t *err) {
  _cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return werr_sys(err, "open %s", file);
  struct stat st;
  if (fstat(fd, &st) < 0)
    return werr_sys(err, "stat %s", file);
  if (!S_ISREG(st.st_mode) || (size_t)st.st_size > cap)
    return werr_code(err, EINVAL,
                      "%s: not a regular file of at most %zu bytes, left "
                      "untouched (repair or remove it)",
                      file, cap);
  if (read_all_fd(fd, buf, len, err) < 0)
    return werr_prefix(err, "%s", file);
  return 0;
}

static char *entries_dir(const struct idmap_registry *r) {
  return xasprintf("%s/entries", r->dir);
}

int idmap_registry_load_name(struct idmap_registry *r, const char *name,
                             struct idmap_entry *out, werr_t *err) {
  _cleanup_free_ char *file = xasprintf("%s/entries/%s", r->dir, name);
  _cleanup_free_ char *buf = NULL;
  size_t len = 0;
  memset(out, 0, sizeof(*out));
  /* entries/c-HASH may be a symlink to the key's entry it uses. */
  _cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return 0;
    return werr_sys(err, "open %s", file);
  }
  struct stat st;
  if (fstat(fd, &st) < 0)
    return werr_sys(err, "stat %s", file);
  if (!S_ISREG(st.st_mode) || st.st_size > ENTRY_MAX_BYTES) {
    werr_code(err, EINVAL, "not a regular file of at most %d bytes",
               ENTRY_MAX_BYTES);
    return refuse_invalid(file, NULL, 0, err);
  }
  if (read_all_fd(fd, &buf, &len, err) < 0)
    return werr_prefix(err, "%s", file);
  yajl_val doc = NULL;
  if (json_parse_buf(buf, "entry", &doc, err) < 0)
    return refuse_invalid(file, buf, len, err);
  int rc = load_entry(doc, "entry", false, out, err);
  yajl_tree_free(doc);
  char want[IDMAP_ENTRY_NAME_LEN];
  if (rc == 0) {
    idmap_entry_name(out, want);
    if (strcmp(want, name) != 0 &&
        !(out->id && name[0] == 'c' && out->key &&
          (idmap_owner_name(out->root, out->id, want), strcmp(want, name) == 0)))
      rc = werr_code(err, EINVAL, "entry: its owner does not match its name");
  }
  if (rc < 0) {
    idmap_entry_clear(out);
    return refuse_invalid(file, buf, len, err);
  }
  return 1;
}

int idmap_registry_find_owner(struct idmap_registry *r, const char *root,
                              const char *id, struct idmap_entry *out,
                              werr_t *err) {
  char name[IDMAP_ENTRY_NAME_LEN];
  idmap_owner_name(root, id, name);
  int rc = idmap_registry_load_name(r, name, out, err);
  if (rc == 1 && (out->id == NULL || strcmp(out->id, id) != 0 ||
                  strcmp(out->root, root) != 0)) {
    /* A key released while its owner link stayed (crash), or a hash
     * collision: not this container's. */
    idmap_entry_clear(out);
    return 0;
  }
  return rc;
}

int idmap_registry_find_key(struct idmap_registry *r, const char *key,
                            struct idmap_entry *out, werr_t *err) {
  char name[IDMAP_ENTRY_NAME_LEN];
  key_name(key, name);
  int rc = idmap_registry_load_name(r, name, out, err);
  if (rc == 1 && strcmp(out->key, key) != 0)
    return werr_code(err, EEXIST, "%s/entries/%s: holds key %s, not %s",
                      r->dir, name, out->key, key);
  return rc;
}

static int legacy_load(const char *file, struct idmap_entry **items,
                       size_t *n, werr_t *err);

static int cmp_entry(const void *a, const void *b) {
  const struct idmap_entry *x = a, *y = b;
  if (x->uid_base != y->uid_base)
    return x->uid_base < y->uid_base ? -1 : 1;
  return 0;
}

int idmap_registry_list(struct idmap_registry *r, struct idmap_entry **out,
                        size_t *n, werr_t *err) {
  *out = NULL;
  *n = 0;
  _cleanup_free_ char *d = entries_dir(r);
  DIR *dir = opendir(d);
  if (dir == NULL && errno != ENOENT)
    return werr_sys(err, "open %s", d);
  size_t cap = 0;
  struct dirent *de;
  int rc = 0;
  while (dir && (de = readdir(dir)) != NULL) {
    size_t nl = strlen(de->d_name);
    if (de->d_name[0] == '.' || de->d_type == DT_LNK ||
        (nl > 8 && strcmp(de->d_name + nl - 8, ".invalid") == 0))
      continue; /* tmp files, owner links, copies of damaged entries */
    if (strlen(de->d_name) != IDMAP_ENTRY_NAME_LEN - 1) {
      rc = werr_code(err, EINVAL, "%s/%s: not a registry entry name", d,
                      de->d_name);
      break;
    }
    if (*n == cap) {
      cap = cap ? 2 * cap : 16;
      *out = realloc(*out, cap * sizeof(**out));
      if (*out == NULL)
        abort();
    }
    int got = idmap_registry_load_name(r, de->d_name, &(*out)[*n], err);
    if (got < 0) {
      rc = -1;
      break;
    }
    if (got == 1)
      (*n)++;
  }
  if (dir)
    closedir(dir);
  if (rc < 0) {
    idmap_entries_free(*out, *n);
    *out = NULL;
    *n = 0;
    return -1;
  }
  _cleanup_free_ char *legacy = xasprintf("%s/" IDMAP_REGISTRY_LEGACY, r->dir);
  if (!r->writable && access(legacy, F_OK) == 0) {
    struct idmap_entry *old;
    size_t nold;
    if (legacy_load(legacy, &old, &nold, err) < 0) {
      idmap_entries_free(*out, *n);
      *out = NULL;
      *n = 0;
      return -1;
    }
    *out = realloc(*out, (*n + nold + 1) * sizeof(**out));
    if (*out == NULL)
      abort();
    memcpy(*out + *n, old, nold * sizeof(*old));
    *n += nold;
    free(old);
  }
  if (*n)
    qsort(*out, *n, sizeof(**out), cmp_entry);
  return 0;
}

/* ---- writing ------------------------------------------------------------- */

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

static char *entry_json(const struct idmap_entry *e) {
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    abort();
  yajl_gen_map_open(g);
  GSTR(g, "version");
  yajl_gen_integer(g, 1);
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
  return json_gen_finish(g);
}

/* tmp + rename: a reader sees the old entry or the new one.  No fsync: the
 * registry describes running processes and lives in /run, which a reboot
 * empties; what must survive is a killed ward, and rename gives that. */
static int write_entry(struct idmap_registry *r, const char *name,
                       const struct idmap_entry *e, werr_t *err) {
  _cleanup_free_ char *json = entry_json(e);
  _cleanup_free_ char *file = xasprintf("%s/entries/%s", r->dir, name);
  _cleanup_free_ char *tmp = xasprintf("%s/entries/.%s.tmp", r->dir, name);
  _cleanup_close_ int fd =
      open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return werr_sys(err, "open %s", tmp);
  if (write_all(fd, json, strlen(json)) < 0) {
    werr_sys(err, "write %s", tmp);
    unlink(tmp);
    return -1;
  }
  if (rename(tmp, file) < 0) {
    werr_sys(err, "rename %s to %s", tmp, file);
    unlink(tmp);
    return -1;
  }
  return 0;
}

static bool same_owner(const struct idmap_entry *a,
                       const struct idmap_entry *b) {
  return a && b && a->id && b->id && strcmp(a->id, b->id) == 0 &&
         strcmp(a->root, b->root) == 0;
}

static int unlink_owner_link(struct idmap_registry *r,
                             const struct idmap_entry *e, werr_t *err) {
  if (!e || !e->key || !e->id)
    return 0;
  char owner[IDMAP_ENTRY_NAME_LEN];
  idmap_owner_name(e->root, e->id, owner);
  _cleanup_free_ char *link = xasprintf("%s/entries/%s", r->dir, owner);
  struct stat st;
  if (lstat(link, &st) == 0 && S_ISLNK(st.st_mode) && unlink(link) < 0)
    return werr_sys(err, "unlink %s", link);
  return 0;
}

int idmap_registry_put(struct idmap_registry *r, const struct idmap_entry *e,
                       const struct idmap_entry *old, werr_t *err) {
  if (!r->writable)
    return werr_code(err, EBADF, "%s: opened read-only", r->dir);
  char name[IDMAP_ENTRY_NAME_LEN];
  idmap_entry_name(e, name);
  if (idmap_slots_add(r, e, old, err) < 0 || write_entry(r, name, e, err) < 0)
    return -1;
  if (!same_owner(old, e) && unlink_owner_link(r, old, err) < 0)
    return -1;
  if (e->key && e->id) {
    char owner[IDMAP_ENTRY_NAME_LEN];
    idmap_owner_name(e->root, e->id, owner);
    _cleanup_free_ char *link = xasprintf("%s/entries/%s", r->dir, owner);
    if (symlink(name, link) < 0 && errno != EEXIST)
      return werr_sys(err, "symlink %s", link);
  }
  return old ? idmap_slots_remove(r, old, e, err) : 0;
}

int idmap_registry_drop(struct idmap_registry *r, const struct idmap_entry *e,
                        werr_t *err) {
  if (!r->writable)
    return werr_code(err, EBADF, "%s: opened read-only", r->dir);
  char name[IDMAP_ENTRY_NAME_LEN];
  idmap_entry_name(e, name);
  _cleanup_free_ char *file = xasprintf("%s/entries/%s", r->dir, name);
  if (unlink_owner_link(r, e, err) < 0)
    return -1;
  if (unlink(file) < 0 && errno != ENOENT)
    return werr_sys(err, "unlink %s", file);
  return idmap_slots_remove(r, e, NULL, err);
}

/* ---- the old single file --------------------------------------------------- */

static bool same_entry_owner(const struct idmap_entry *a,
                             const struct idmap_entry *b) {
  return same_owner(a, b) || (a->key && b->key && strcmp(a->key, b->key) == 0);
}

/* Check the whole of allocations.json; fill *items only if all of it is
 * valid: its shape, every entry, no entry given twice. */
static int legacy_load(const char *file, struct idmap_entry **items,
                       size_t *n, werr_t *err) {
  _cleanup_free_ char *buf = NULL;
  size_t len = 0;
  *items = NULL;
  *n = 0;
  if (read_capped(file, LEGACY_MAX_BYTES, &buf, &len, err) < 0)
    return -1;
  yajl_val doc = NULL;
  if (json_parse_buf(buf, "allocations.json", &doc, err) < 0)
    return refuse_invalid(file, buf, len, err);
  static const char *const known[] = {"version", "allocations", NULL};
  int rc = -1;
  yajl_val all = json_get(doc, "allocations");
  yajl_val ver = json_get(doc, "version");
  if (json_want_object(doc, "(top level)", err) < 0 ||
      only_keys(doc, "", known, err) < 0)
    goto out;
  if (ver && (!YAJL_IS_INTEGER(ver) || YAJL_GET_INTEGER(ver) != 1)) {
    werr_code(err, EINVAL, "version: want 1");
    goto out;
  }
  if (all == NULL) {
    werr_code(err, EINVAL, "allocations: required");
    goto out;
  }
  if (json_want_array(all, "allocations", err) < 0)
    goto out;
  size_t len_all = all->u.array.len;
  *items = calloc(len_all ? len_all : 1, sizeof(**items));
  if (*items == NULL)
    abort();
  for (size_t i = 0; i < len_all; i++) {
    _cleanup_free_ char *p = json_path_idx("allocations", i);
    struct idmap_entry *e = &(*items)[i];
    if (load_entry(all->u.array.values[i], p, true, e, err) < 0) {
      idmap_entry_clear(e);
      goto out;
    }
    (*n)++;
    for (size_t j = 0; j < i; j++)
      if (same_entry_owner(&(*items)[j], e)) {
        _cleanup_free_ char *who = idmap_entry_describe(e);
        werr_code(err, EEXIST, "%s: %s is given twice (also allocations[%zu])",
                   p, who, j);
        goto out;
      }
  }
  rc = 0;
out:
  yajl_tree_free(doc);
  if (rc < 0) {
    idmap_entries_free(*items, *n);
    *items = NULL;
    *n = 0;
    return refuse_invalid(file, buf, len, err);
  }
  return 0;
}

/* Move the old file's entries into entries/; idempotent, so a crash in the
 * middle is finished by the next writer. */
static int legacy_migrate(struct idmap_registry *r, werr_t *err) {
  _cleanup_free_ char *file = xasprintf("%s/" IDMAP_REGISTRY_LEGACY, r->dir);
  if (access(file, F_OK) < 0)
    return 0;
  struct idmap_entry *items;
  size_t n;
  if (legacy_load(file, &items, &n, err) < 0)
    return -1;
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    char name[IDMAP_ENTRY_NAME_LEN];
    idmap_entry_name(&items[i], name);
    struct idmap_entry old;
    int got = idmap_registry_load_name(r, name, &old, err);
    if (got < 0)
      rc = -1;
    else
      rc = idmap_registry_put(r, &items[i], got ? &old : NULL, err);
    if (got == 1)
      idmap_entry_clear(&old);
  }
  idmap_entries_free(items, n);
  if (rc < 0)
    return werr_prefix(err, "migrating %s", file);
  _cleanup_free_ char *done = xasprintf("%s.migrated", file);
  if (rename(file, done) < 0)
    return werr_sys(err, "rename %s to %s", file, done);
  return 0;
}

/* ---- the lock ------------------------------------------------------------ */

/* The pid /proc/locks names as holding a flock on FD's file, or 0. */
static pid_t lock_holder(int fd) {
  struct stat st;
  if (fstat(fd, &st) < 0)
    return 0;
  _cleanup_fclose_ FILE *f = fopen("/proc/locks", "re");
  if (f == NULL)
    return 0;
  char line[256];
  while (fgets(line, sizeof(line), f)) {
    char type[16];
    int pid;
    unsigned maj, min;
    unsigned long long ino;
    if (strstr(line, "->"))
      continue; /* a waiter, not the holder */
    if (sscanf(line, "%*d: %15s %*s %*s %d %x:%x:%llu", type, &pid, &maj, &min,
               &ino) == 5 &&
        strcmp(type, "FLOCK") == 0 && maj == major(st.st_dev) &&
        min == minor(st.st_dev) && ino == st.st_ino)
      return pid;
  }
  return 0;
}

static int lock_bounded(int fd, int op, const char *path, werr_t *err) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  long nap_us = 200;
  for (;;) {
    if (flock(fd, op | LOCK_NB) == 0)
      return 0;
    if (errno != EWOULDBLOCK && errno != EINTR)
      return werr_sys(err, "flock %s", path);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec >= IDMAP_LOCK_WAIT_S) {
      pid_t pid = lock_holder(fd);
      char comm[64] = "";
      if (pid > 0) {
        _cleanup_free_ char *cf = xasprintf("/proc/%d/comm", pid);
        _cleanup_fclose_ FILE *f = fopen(cf, "re");
        if (f && fgets(comm, sizeof(comm), f))
          comm[strcspn(comm, "\n")] = '\0';
      }
      if (pid > 0 && comm[0])
        return werr_code(err, ETIMEDOUT,
                          "%s: held by pid %d (%s) for over %d s; is it "
                          "stuck?",
                          path, pid, comm, IDMAP_LOCK_WAIT_S);
      if (pid > 0)
        return werr_code(err, ETIMEDOUT,
                          "%s: held by pid %d for over %d s; is it stuck?",
                          path, pid, IDMAP_LOCK_WAIT_S);
      return werr_code(err, ETIMEDOUT, "%s: still locked after %d s", path,
                        IDMAP_LOCK_WAIT_S);
    }
    usleep((useconds_t)nap_us);
    if (nap_us < 20000)
      nap_us *= 2;
  }
}

int idmap_registry_open(const char *dir, int mode,
                        struct idmap_registry **out, werr_t *err) {
  bool write = mode != IDMAP_READ;
  struct idmap_registry *r = xmalloc0(sizeof(*r));
  r->dir = xstrdup(dir);
  r->lock_fd = r->map_fd = -1;
  r->writable = write;
  _cleanup_free_ char *lock = xasprintf("%s/lock", dir);
  if (write) {
    _cleanup_free_ char *parent = xstrdup(dir);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
      *slash = '\0';
      if (mkdir_p(parent, 0755, err) < 0)
        goto fail;
    }
    /* The registry says which host ids belong to whom: root-only. */
    const char *subs[] = {"", "/entries", "/slots"};
    for (size_t i = 0; i < 3; i++) {
      _cleanup_free_ char *d = xasprintf("%s%s", dir, subs[i]);
      if (mkdir(d, 0700) < 0 && errno != EEXIST) {
        werr_sys(err, "mkdir %s", d);
        goto fail;
      }
    }
  }
  r->lock_fd =
      open(lock, (write ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC, 0600);
  if (r->lock_fd < 0 && (write || errno != ENOENT)) {
    werr_sys(err, "open %s", lock);
    goto fail;
  }
  /* No lock file: nothing was ever written by this ward (an old file may
   * still be there to check). */
  if (r->lock_fd >= 0 &&
      lock_bounded(r->lock_fd, write ? LOCK_EX : LOCK_SH, lock, err) < 0)
    goto fail;
  if (write && legacy_migrate(r, err) < 0) {
    if (mode != IDMAP_RELEASE)
      goto fail;
    werr_free(err);
  }
  if (!write) {
    /* Not migrated yet: still say what is wrong with it. */
    _cleanup_free_ char *file = xasprintf("%s/" IDMAP_REGISTRY_LEGACY, dir);
    struct idmap_entry *items;
    size_t n;
    if (access(file, F_OK) == 0) {
      if (legacy_load(file, &items, &n, err) < 0)
        goto fail;
      idmap_entries_free(items, n);
    }
  }
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
  if (r->map_fd >= 0)
    close(r->map_fd);
  free(r->map);
  free(r->dir);
  free(r);
}

/* ---- about an entry -------------------------------------------------------- */

char *idmap_entry_describe(const struct idmap_entry *e) {
  if (e->key && e->id)
    return xasprintf("key %s (container %s in %s)", e->key, e->id, e->root);
  if (e->key)
    return xasprintf("key %s", e->key);
  return xasprintf("container %s in %s", e->id, e->root);
}

bool idmap_entry_has_state(const struct idmap_entry *e) {
  if (e->id == NULL)
    return false;
  _cleanup_free_ char *dir = xasprintf("%s/%s", e->root, e->id);
  struct stat st;
  return stat(dir, &st) == 0 || errno != ENOENT;
}
