/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "idmap_raw.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

/* The largest valid id: (uid_t)-1 means "no id" to the kernel. */
#define ID_MAX 4294967294ULL

static const char *const kind_names[] = {"both", "uid", "gid"};
static const char raw_syntax[] =
    "want \"both|uid|gid HOST[-HOST] CONTAINER[-CONTAINER]\"";

void idmap_raw_free(struct idmap_raw *r) {
  free(r->items);
  r->items = NULL;
  r->len = 0;
}

bool idmap_raw_applies(const struct idmap_raw_entry *e, bool gid) {
  return e->kind == IDMAP_RAW_BOTH ||
         e->kind == (gid ? IDMAP_RAW_GID : IDMAP_RAW_UID);
}

static void fmt_range(char *buf, size_t len, uint32_t first, uint32_t size) {
  if (size == 1)
    snprintf(buf, len, "%u", first);
  else
    snprintf(buf, len, "%u-%u", first, (uint32_t)(first + size - 1));
}

char *idmap_raw_format(const struct idmap_raw_entry *e) {
  char h[32], c[32], *s = NULL;
  fmt_range(h, sizeof(h), e->host, e->size);
  fmt_range(c, sizeof(c), e->container, e->size);
  if (asprintf(&s, "%s %s %s", kind_names[e->kind], h, c) < 0)
    abort();
  return s;
}

/* A decimal id with no sign, no leading junk, at most ID_MAX. */
static int parse_id(const char *s, size_t len, uint64_t *out) {
  if (len == 0 || len > 10)
    return -1;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (!isdigit((unsigned char)s[i]))
      return -1;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  if (v > ID_MAX)
    return -1;
  *out = v;
  return 0;
}

/* "A" or "A-B" (inclusive, A <= B) into first/size. */
static int parse_range(const char *tok, size_t len, unsigned line,
                       const char *side, uint32_t *first, uint32_t *size,
                       werr_t *err) {
  const char *dash = memchr(tok, '-', len);
  uint64_t a, b;
  if (dash == NULL) {
    if (parse_id(tok, len, &a) < 0)
      goto bad;
    b = a;
  } else {
    if (parse_id(tok, (size_t)(dash - tok), &a) < 0 ||
        parse_id(dash + 1, len - (size_t)(dash - tok) - 1, &b) < 0)
      goto bad;
    if (b < a)
      return werr_code(err, EINVAL,
                       IDMAP_RAW_ANNOTATION " line %u: %s range \"%.*s\" ends "
                                            "before it starts",
                       line, side, (int)len, tok);
  }
  *first = (uint32_t)a;
  *size = (uint32_t)(b - a + 1);
  return 0;
bad:
  return werr_code(err, EINVAL,
                   IDMAP_RAW_ANNOTATION " line %u: %s ids \"%.*s\": want an id "
                                        "or FIRST-LAST, each 0..%llu",
                   line, side, (int)len, tok, ID_MAX);
}

static int parse_line(const char *s, size_t len, unsigned line,
                      struct idmap_raw_entry *e, werr_t *err) {
  const char *tok[4];
  size_t toklen[4], ntok = 0;
  size_t i = 0;
  while (i < len) {
    while (i < len && isspace((unsigned char)s[i]))
      i++;
    if (i == len)
      break;
    size_t start = i;
    while (i < len && !isspace((unsigned char)s[i]))
      i++;
    if (ntok == 4)
      break;
    tok[ntok] = s + start;
    toklen[ntok++] = i - start;
  }
  if (ntok != 3)
    return werr_code(err, EINVAL, IDMAP_RAW_ANNOTATION " line %u: \"%.*s\": %s",
                     line, (int)len, s, raw_syntax);
  e->line = line;
  size_t k;
  for (k = 0; k < 3; k++)
    if (toklen[0] == strlen(kind_names[k]) &&
        memcmp(tok[0], kind_names[k], toklen[0]) == 0)
      break;
  if (k == 3)
    return werr_code(err, EINVAL,
                     IDMAP_RAW_ANNOTATION
                     " line %u: \"%.*s\": unknown kind, %s",
                     line, (int)toklen[0], tok[0], raw_syntax);
  e->kind = (enum idmap_raw_kind)k;
  uint32_t hsize, csize;
  if (parse_range(tok[1], toklen[1], line, "host", &e->host, &hsize, err) < 0 ||
      parse_range(tok[2], toklen[2], line, "container", &e->container, &csize,
                  err) < 0)
    return -1;
  if (hsize != csize)
    return werr_code(err, EINVAL,
                     IDMAP_RAW_ANNOTATION
                     " line %u: %u host ids but %u container "
                     "ids: both sides must have the same size",
                     line, hsize, csize);
  e->size = hsize;
  return 0;
}

static bool kinds_share_map(enum idmap_raw_kind a, enum idmap_raw_kind b) {
  return a == IDMAP_RAW_BOTH || b == IDMAP_RAW_BOTH || a == b;
}

static bool ranges_overlap(uint64_t a, uint64_t an, uint64_t b, uint64_t bn) {
  return a < b + bn && b < a + an;
}

int idmap_raw_parse(const char *text, struct idmap_raw *out, werr_t *err) {
  struct idmap_raw r = {0};
  size_t cap = 0;
  unsigned line = 0;
  const char *p = text;
  while (*p) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    line++;
    size_t j = 0;
    while (j < len && isspace((unsigned char)p[j]))
      j++;
    if (j < len) {
      /* Trailing "\r" and blanks are whitespace for parse_line. */
      struct idmap_raw_entry e;
      if (parse_line(p, len, line, &e, err) < 0)
        goto fail;
      /* Two lines claiming the same container id (or host id) in the same
       * map cannot both hold; say which two. */
      for (size_t i = 0; i < r.len; i++) {
        const struct idmap_raw_entry *o = &r.items[i];
        if (!kinds_share_map(o->kind, e.kind))
          continue;
        if (ranges_overlap(o->container, o->size, e.container, e.size)) {
          werr_code(err, EINVAL,
                    IDMAP_RAW_ANNOTATION
                    " line %u: container ids overlap line %u",
                    line, o->line);
          goto fail;
        }
        if (ranges_overlap(o->host, o->size, e.host, e.size)) {
          werr_code(err, EINVAL,
                    IDMAP_RAW_ANNOTATION " line %u: host ids overlap line %u",
                    line, o->line);
          goto fail;
        }
      }
      if (r.len == cap) {
        cap = cap ? cap * 2 : 8;
        struct idmap_raw_entry *n = realloc(r.items, cap * sizeof(*n));
        if (n == NULL)
          abort();
        r.items = n;
      }
      r.items[r.len++] = e;
    }
    if (nl == NULL)
      break;
    p = nl + 1;
  }
  *out = r;
  return 0;
fail:
  idmap_raw_free(&r);
  return -1;
}

static int cmp_container(const void *a, const void *b) {
  const struct spec_idmap *x = a, *y = b;
  if (x->containerID != y->containerID)
    return x->containerID < y->containerID ? -1 : 1;
  return 0;
}

static int cmp_host(const void *a, const void *b) {
  const struct spec_idmap *x = a, *y = b;
  if (x->hostID != y->hostID)
    return x->hostID < y->hostID ? -1 : 1;
  return 0;
}

struct segvec {
  struct spec_idmap *items;
  size_t len, cap;
};

static void seg_push(struct segvec *v, uint32_t c, uint32_t h, uint32_t n) {
  if (v->len == v->cap) {
    v->cap = v->cap ? v->cap * 2 : 16;
    struct spec_idmap *p = realloc(v->items, v->cap * sizeof(*p));
    if (p == NULL)
      abort();
    v->items = p;
  }
  v->items[v->len++] = (struct spec_idmap){c, h, n};
}

/* Cut container ids [c, c + n) out of every segment of V. */
static void seg_punch(struct segvec *v, uint64_t c, uint64_t n) {
  struct segvec out = {0};
  for (size_t i = 0; i < v->len; i++) {
    struct spec_idmap s = v->items[i];
    uint64_t sc = s.containerID, se = sc + s.size;
    if (!ranges_overlap(sc, s.size, c, n)) {
      seg_push(&out, s.containerID, s.hostID, s.size);
      continue;
    }
    if (sc < c)
      seg_push(&out, s.containerID, s.hostID, (uint32_t)(c - sc));
    if (se > c + n)
      seg_push(&out, (uint32_t)(c + n), (uint32_t)(s.hostID + (c + n - sc)),
               (uint32_t)(se - (c + n)));
  }
  free(v->items);
  *v = out;
}

/* Which raw line (if any) produced segment S, for error messages. */
static const struct idmap_raw_entry *
raw_for(const struct idmap_raw *raw, bool gid, const struct spec_idmap *s) {
  for (size_t i = 0; raw && i < raw->len; i++) {
    const struct idmap_raw_entry *e = &raw->items[i];
    if (idmap_raw_applies(e, gid) && e->container == s->containerID &&
        e->host == s->hostID && e->size == s->size)
      return e;
  }
  return NULL;
}

static int check_sorted(const struct spec_idmaps *map,
                        const struct idmap_raw *raw, bool gid,
                        const char *field, werr_t *err) {
  if (map->len > SPEC_IDMAP_MAX_LINES)
    return werr_code(err, EINVAL,
                     "%s: %zu lines, the kernel accepts at most %d", field,
                     map->len, SPEC_IDMAP_MAX_LINES);
  for (size_t i = 0; i < map->len; i++) {
    const struct spec_idmap *m = &map->items[i];
    if (m->size == 0)
      return werr_code(err, EINVAL, "%s: a range of size 0 (container id %u)",
                       field, m->containerID);
    if ((uint64_t)m->containerID + m->size - 1 > ID_MAX ||
        (uint64_t)m->hostID + m->size - 1 > ID_MAX)
      return werr_code(err, EINVAL,
                       "%s: \"%u %u %u\" runs past the largest id %llu", field,
                       m->containerID, m->hostID, m->size, ID_MAX);
  }
  /* Container side: sorted by container id, so neighbours suffice. */
  for (size_t i = 1; i < map->len; i++) {
    const struct spec_idmap *a = &map->items[i - 1], *b = &map->items[i];
    if ((uint64_t)a->containerID + a->size > b->containerID)
      return werr_code(err, EINVAL, "%s: container id %u is mapped twice",
                       field, b->containerID);
  }
  /* Host side on a copy sorted by host id. */
  if (map->len > 1) {
    struct spec_idmap *h = malloc(map->len * sizeof(*h));
    if (h == NULL)
      abort();
    memcpy(h, map->items, map->len * sizeof(*h));
    qsort(h, map->len, sizeof(*h), cmp_host);
    for (size_t i = 1; i < map->len; i++) {
      const struct spec_idmap *a = &h[i - 1], *b = &h[i];
      if ((uint64_t)a->hostID + a->size <= b->hostID)
        continue;
      const struct idmap_raw_entry *e = raw_for(raw, gid, b);
      if (e == NULL)
        e = raw_for(raw, gid, a);
      uint32_t dup = b->hostID;
      free(h);
      if (e)
        return werr_code(err, EINVAL,
                         IDMAP_RAW_ANNOTATION
                         " line %u: host %s %u is already "
                         "mapped by the container's own range (%s)",
                         e->line, gid ? "gid" : "uid", dup, field);
      return werr_code(err, EINVAL, "%s: host id %u is mapped twice", field,
                       dup);
    }
    free(h);
  }
  return 0;
}

int idmap_map_check(const struct spec_idmaps *map, const char *field,
                    werr_t *err) {
  struct spec_idmaps sorted = {0};
  if (map->len) {
    sorted.items = malloc(map->len * sizeof(*sorted.items));
    if (sorted.items == NULL)
      abort();
    memcpy(sorted.items, map->items, map->len * sizeof(*sorted.items));
    sorted.len = map->len;
    qsort(sorted.items, sorted.len, sizeof(*sorted.items), cmp_container);
  }
  int r = check_sorted(&sorted, NULL, false, field, err);
  free(sorted.items);
  return r;
}

int idmap_raw_apply(struct spec_idmaps *map, const struct idmap_raw *raw,
                    bool gid, const char *field, werr_t *err) {
  struct segvec v = {0};
  for (size_t i = 0; i < map->len; i++)
    seg_push(&v, map->items[i].containerID, map->items[i].hostID,
             map->items[i].size);
  for (size_t i = 0; i < raw->len; i++) {
    const struct idmap_raw_entry *e = &raw->items[i];
    if (!idmap_raw_applies(e, gid))
      continue;
    seg_punch(&v, e->container, e->size);
    seg_push(&v, e->container, e->host, e->size);
  }
  if (v.len)
    qsort(v.items, v.len, sizeof(*v.items), cmp_container);
  /* Merge neighbours that are contiguous on both sides (a raw line that
   * maps ids onto themselves within the range leaves no seam). */
  size_t w = 0;
  for (size_t i = 0; i < v.len; i++) {
    if (w > 0) {
      struct spec_idmap *p = &v.items[w - 1];
      const struct spec_idmap *s = &v.items[i];
      if ((uint64_t)p->containerID + p->size == s->containerID &&
          (uint64_t)p->hostID + p->size == s->hostID &&
          (uint64_t)p->size + s->size <= UINT32_MAX) {
        p->size += s->size;
        continue;
      }
    }
    v.items[w++] = v.items[i];
  }
  v.len = w;
  struct spec_idmaps result = {v.items, v.len};
  if (check_sorted(&result, raw, gid, field, err) < 0) {
    free(v.items);
    return -1;
  }
  free(map->items);
  map->items = v.items;
  map->len = v.len;
  return 0;
}

bool idmap_map_to_container(const struct spec_idmaps *map, uint32_t host,
                            uint32_t *container) {
  for (size_t i = 0; i < map->len; i++) {
    const struct spec_idmap *m = &map->items[i];
    if (host >= m->hostID && (uint64_t)host < (uint64_t)m->hostID + m->size) {
      *container = m->containerID + (host - m->hostID);
      return true;
    }
  }
  return false;
}

bool idmap_map_to_host(const struct spec_idmaps *map, uint32_t container,
                       uint32_t *host) {
  for (size_t i = 0; i < map->len; i++) {
    const struct spec_idmap *m = &map->items[i];
    if (container >= m->containerID &&
        (uint64_t)container < (uint64_t)m->containerID + m->size) {
      *host = m->hostID + (container - m->containerID);
      return true;
    }
  }
  return false;
}
