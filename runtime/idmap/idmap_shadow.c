/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "idmap_shadow.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"

#define ID_LIMIT 4294967295ULL /* ids are < this */

void idmap_subids_free(struct idmap_subids *s) {
  free(s->items);
  s->items = NULL;
  s->len = 0;
  s->pool = (struct idmap_range){0, 0};
}

/* One "name:start:count" line; false when malformed. */
static bool parse_subid_line(const char *line, size_t len, char *name,
                             size_t namecap, struct idmap_range *r) {
  const char *c1 = memchr(line, ':', len);
  if (c1 == NULL || (size_t)(c1 - line) >= namecap || c1 == line)
    return false;
  memcpy(name, line, (size_t)(c1 - line));
  name[c1 - line] = '\0';
  char buf[64];
  size_t rest = len - (size_t)(c1 - line) - 1;
  if (rest >= sizeof(buf))
    return false;
  memcpy(buf, c1 + 1, rest);
  buf[rest] = '\0';
  char *end;
  errno = 0;
  unsigned long long start = strtoull(buf, &end, 10);
  if (errno || end == buf || *end != ':' || buf[0] == '-')
    return false;
  char *cnt = end + 1;
  unsigned long long count = strtoull(cnt, &end, 10);
  if (errno || end == cnt || cnt[0] == '-')
    return false;
  while (*end == ' ' || *end == '\t' || *end == '\r')
    end++;
  if (*end != '\0' || count == 0 || start + count > ID_LIMIT)
    return false;
  r->base = start;
  r->size = count;
  return true;
}

/* Calls FN for every well-formed line of TEXT. */
static void each_subid_line(const char *text,
                            void (*fn)(const char *name, struct idmap_range r,
                                       void *ud),
                            void *ud) {
  const char *p = text;
  while (p && *p) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    char name[256];
    struct idmap_range r;
    if (len && p[0] != '#' && parse_subid_line(p, len, name, sizeof(name), &r))
      fn(name, r, ud);
    p = nl ? nl + 1 : NULL;
  }
}

struct collect {
  const char *user, *uid;
  struct idmap_subids *out;
  size_t cap;
};

static void collect_user(const char *name, struct idmap_range r, void *ud) {
  struct collect *c = ud;
  if (!((c->user && strcmp(name, c->user) == 0) ||
        (c->uid && strcmp(name, c->uid) == 0)))
    return;
  struct idmap_subids *s = c->out;
  if (s->len == c->cap) {
    c->cap = c->cap ? c->cap * 2 : 4;
    struct idmap_range *n = realloc(s->items, c->cap * sizeof(*n));
    if (n == NULL)
      abort();
    s->items = n;
  }
  s->items[s->len++] = r;
  if (r.size > s->pool.size)
    s->pool = r;
}

int idmap_subids_parse(const char *text, const char *user, const char *uid,
                       struct idmap_subids *out) {
  *out = (struct idmap_subids){0};
  struct collect c = {user, uid, out, 0};
  each_subid_line(text, collect_user, &c);
  return 0;
}

/* A range to suggest adding: the LXD packaging default when it is clear of
 * every entry in the file, else the first 65536-aligned base above them. */
struct suggest {
  uint64_t base;
  bool moved;
};

static void push_past(const char *name, struct idmap_range r, void *ud) {
  (void)name;
  struct suggest *s = ud;
  uint64_t size = IDMAP_DEFAULT_SIZE;
  if (s->base + size > ID_LIMIT)
    size = ID_LIMIT - s->base;
  if (r.base < s->base + size && s->base < r.base + r.size) {
    uint64_t end = r.base + r.size;
    s->base = (end + IDMAP_MIN_POOL - 1) / IDMAP_MIN_POOL * IDMAP_MIN_POOL;
    s->moved = true;
  }
}

static char *suggest_line(const char *text, const char *user) {
  struct suggest s = {IDMAP_DEFAULT_BASE, true};
  /* Moving past one entry can land on another: repeat until stable. */
  for (int i = 0; i < 64 && s.moved; i++) {
    s.moved = false;
    each_subid_line(text, push_past, &s);
  }
  uint64_t size = IDMAP_DEFAULT_SIZE;
  if (s.base + size > ID_LIMIT)
    size = s.base < ID_LIMIT ? ID_LIMIT - s.base : 0;
  char *line = NULL;
  if (asprintf(&line, "%s:%" PRIu64 ":%" PRIu64, user, s.base, size) < 0)
    abort();
  return line;
}

/* "" when fine, else why this file's entries cannot serve.  SHORT_DESC
 * gets e.g. "no subordinate uids" for the message. */
static bool subids_usable(const struct idmap_subids *s) {
  return s->pool.size >= IDMAP_MIN_POOL;
}

static char *describe_short(const struct idmap_subids *s, const char *user,
                            const char *file, const char *what) {
  char *d = NULL;
  int r;
  if (s->len == 0)
    r = asprintf(&d, "%s gives %s no subordinate %ss", file, user, what);
  else
    r = asprintf(&d,
                 "%s gives %s only %" PRIu64 " subordinate %ss (%s:%" PRIu64
                 ":%" PRIu64 ")",
                 file, user, s->pool.size, what, user, s->pool.base,
                 s->pool.size);
  if (r < 0)
    abort();
  return d;
}

int idmap_shadow_decide(const struct idmap_shadow_probe *p, const char *user,
                        const char *uid, struct idmap_shadow *out,
                        werr_t *err) {
  *out = (struct idmap_shadow){0};
  bool have[4] = {p->has_subuid, p->has_subgid, p->has_newuidmap,
                  p->has_newgidmap};
  static const char *const names[4] = {IDMAP_SUBUID, IDMAP_SUBGID, "newuidmap",
                                       "newgidmap"};
  int n = have[0] + have[1] + have[2] + have[3];
  if (n == 0) {
    struct idmap_range def = {IDMAP_DEFAULT_BASE, IDMAP_DEFAULT_SIZE};
    for (int i = 0; i < 2; i++) {
      struct idmap_subids *s = i ? &out->gid : &out->uid;
      s->items = malloc(sizeof(*s->items));
      if (s->items == NULL)
        abort();
      s->items[0] = def;
      s->len = 1;
      s->pool = def;
    }
    return 0;
  }
  if (n < 4) {
    char present[128] = "", missing[128] = "";
    for (int i = 0; i < 4; i++) {
      char *dst = have[i] ? present : missing;
      size_t l = strlen(dst);
      snprintf(dst + l, 128 - l, "%s%s", l ? ", " : "", names[i]);
    }
    return werr_code(err, ENOENT,
                     "broken shadow setup: %s found but %s missing; user "
                     "namespaces need all four (or none, for the default range "
                     "%llu-%llu)",
                     present, missing, IDMAP_DEFAULT_BASE,
                     IDMAP_DEFAULT_BASE + IDMAP_DEFAULT_SIZE - 1);
  }
  out->use_files = true;
  idmap_subids_parse(p->subuid_text ? p->subuid_text : "", user, uid,
                     &out->uid);
  idmap_subids_parse(p->subgid_text ? p->subgid_text : "", user, uid,
                     &out->gid);
  bool uid_ok = subids_usable(&out->uid), gid_ok = subids_usable(&out->gid);
  if (uid_ok && gid_ok)
    return 0;
  /* One message that names the first problem and every line to add. */
  const struct idmap_subids *bad = uid_ok ? &out->gid : &out->uid;
  _cleanup_free_ char *why = describe_short(
      bad, user, uid_ok ? IDMAP_SUBGID : IDMAP_SUBUID, uid_ok ? "gid" : "uid");
  _cleanup_free_ char *uline =
      uid_ok ? NULL : suggest_line(p->subuid_text ? p->subuid_text : "", user);
  _cleanup_free_ char *gline =
      gid_ok ? NULL : suggest_line(p->subgid_text ? p->subgid_text : "", user);
  idmap_shadow_free(out);
  if (uline && gline && strcmp(uline, gline) == 0)
    return werr_code(
        err, ERANGE,
        "%s, at least %llu are needed: add the line \"%s\" to " IDMAP_SUBUID
        " and " IDMAP_SUBGID,
        why, IDMAP_MIN_POOL, uline);
  if (uline && gline)
    return werr_code(
        err, ERANGE,
        "%s, at least %llu are needed: add the line \"%s\" to " IDMAP_SUBUID
        " and \"%s\" to " IDMAP_SUBGID,
        why, IDMAP_MIN_POOL, uline, gline);
  return werr_code(err, ERANGE,
                   "%s, at least %llu are needed: add the line \"%s\" to %s",
                   why, IDMAP_MIN_POOL, uline ? uline : gline,
                   uline ? IDMAP_SUBUID : IDMAP_SUBGID);
}

static bool in_path(const char *prog) {
  const char *path = getenv("PATH");
  if (path == NULL)
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  _cleanup_free_ char *copy = strdup(path);
  if (copy == NULL)
    abort();
  char *save = NULL;
  for (char *dir = strtok_r(copy, ":", &save); dir;
       dir = strtok_r(NULL, ":", &save)) {
    _cleanup_free_ char *full = NULL;
    if (asprintf(&full, "%s/%s", *dir ? dir : ".", prog) < 0)
      abort();
    if (access(full, X_OK) == 0)
      return true;
  }
  return false;
}

static int read_optional(const char *file, bool *has, char **text,
                         werr_t *err) {
  _cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      *has = false;
      return 0;
    }
    return werr_sys(err, "open %s", file);
  }
  *has = true;
  size_t len;
  if (read_all_fd(fd, text, &len, err) < 0)
    return werr_prefix(err, "read %s", file);
  return 0;
}

int idmap_shadow_probe(struct idmap_shadow_probe *p, werr_t *err) {
  *p = (struct idmap_shadow_probe){0};
  if (read_optional(IDMAP_SUBUID, &p->has_subuid, &p->subuid_text, err) < 0 ||
      read_optional(IDMAP_SUBGID, &p->has_subgid, &p->subgid_text, err) < 0) {
    idmap_shadow_probe_free(p);
    return -1;
  }
  p->has_newuidmap = in_path("newuidmap");
  p->has_newgidmap = in_path("newgidmap");
  return 0;
}

void idmap_shadow_probe_free(struct idmap_shadow_probe *p) {
  free(p->subuid_text);
  free(p->subgid_text);
  p->subuid_text = p->subgid_text = NULL;
}

char *idmap_shadow_user(void) {
  uid_t uid = geteuid();
  struct passwd *pw = getpwuid(uid);
  char *s = NULL;
  if (pw && pw->pw_name)
    s = strdup(pw->pw_name);
  else if (uid == 0)
    s = strdup("root");
  else if (asprintf(&s, "%u", (unsigned)uid) < 0)
    s = NULL;
  if (s == NULL)
    abort();
  return s;
}

int idmap_shadow_load(struct idmap_shadow *out, werr_t *err) {
  struct idmap_shadow_probe p;
  if (idmap_shadow_probe(&p, err) < 0)
    return -1;
  _cleanup_free_ char *user = idmap_shadow_user();
  char uid[16];
  snprintf(uid, sizeof(uid), "%u", (unsigned)geteuid());
  int r = idmap_shadow_decide(&p, user, uid, out, err);
  idmap_shadow_probe_free(&p);
  if (r == 0 && geteuid() != 0) {
    out->has_self = true;
    out->self_uid = geteuid();
    out->self_gid = getegid();
  }
  return r;
}

void idmap_shadow_free(struct idmap_shadow *s) {
  idmap_subids_free(&s->uid);
  idmap_subids_free(&s->gid);
}

static bool allowed(const struct idmap_subids *s, uint64_t base,
                    uint64_t size) {
  for (size_t i = 0; i < s->len; i++)
    if (idmap_range_within(s->items[i], (struct idmap_range){base, size}))
      return true;
  return false;
}

int idmap_shadow_check_raw(const struct idmap_shadow *s, const char *user,
                           const struct idmap_raw *raw, werr_t *err) {
  if (!s->use_files)
    return 0;
  for (size_t i = 0; i < raw->len; i++) {
    const struct idmap_raw_entry *e = &raw->items[i];
    bool own_uid = s->has_self && e->size == 1 && e->host == s->self_uid;
    bool own_gid = s->has_self && e->size == 1 && e->host == s->self_gid;
    bool uid_bad = idmap_raw_applies(e, false) && !own_uid &&
                   !allowed(&s->uid, e->host, e->size);
    bool gid_bad = idmap_raw_applies(e, true) && !own_gid &&
                   !allowed(&s->gid, e->host, e->size);
    if (!uid_bad && !gid_bad)
      continue;
    const char *files = uid_bad && gid_bad ? IDMAP_SUBUID " and " IDMAP_SUBGID
                        : uid_bad          ? IDMAP_SUBUID
                                           : IDMAP_SUBGID;
    return werr_code(err, EPERM,
                     IDMAP_RAW_ANNOTATION
                     " line %u: host ids %u-%u are not "
                     "delegated to %s: add the line \"%s:%u:%u\" to %s",
                     e->line, e->host, e->host + e->size - 1, user, user,
                     e->host, e->size, files);
  }
  return 0;
}
