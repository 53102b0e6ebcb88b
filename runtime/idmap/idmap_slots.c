/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The registry's range index: slots/SLOT/ directories of empty
 * "TS.BASE.SIZE.ENTRY" files, one per recorded range touching that 65536-id
 * slot, and the slotmap hint that lets first fit skip full slots.
 * The files are the truth; the hint is only trusted for "full", which is
 * withdrawn before any file of the slot goes away. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "idmap_raw.h"
#include "idmap_registry.h"
#include "idmap_request.h"
#include "utils.h"

#define SLOT_SHIFT 16
#define SLOTS 65536u
#define MAP_MAGIC "WRDMAP1"
#define MAP_HDR 16 /* magic (8) + sweep cursor (4) + pad */
#define MAP_BYTES (MAP_HDR + 2 * SLOTS)

enum { SLOT_FREE = 0, SLOT_FULL = 1, SLOT_PARTIAL = 2 };

struct claim {
  char type;  /* 'i' isolated, 'r' raw */
  char sides; /* 'b' uid and gid, 'u' uid, 'g' gid */
  uint64_t base, size;
  char entry[IDMAP_ENTRY_NAME_LEN];
};

struct claims {
  struct claim *items;
  size_t len, cap;
};

static void claims_push(struct claims *c, struct claim x) {
  if (c->len == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 8;
    c->items = realloc(c->items, c->cap * sizeof(*c->items));
    if (c->items == NULL)
      abort();
  }
  c->items[c->len++] = x;
}

/* What entry E records, both sides at once: a range the same on both (the
 * usual case) is one file, not two. */
static void entry_claims(const struct idmap_entry *e, struct claims *out) {
  char name[IDMAP_ENTRY_NAME_LEN];
  idmap_entry_name(e, name);
  struct claim c = {0};
  memcpy(c.entry, name, sizeof(name));
  if (strcmp(e->kind, IDMAP_KIND_ISOLATED) == 0) {
    c.type = 'i';
    bool same = e->uid_base == e->gid_base && e->uid_size == e->gid_size;
    if (e->uid_size) {
      c.sides = same ? 'b' : 'u';
      c.base = e->uid_base, c.size = e->uid_size;
      claims_push(out, c);
    }
    if (e->gid_size && !same) {
      c.sides = 'g';
      c.base = e->gid_base, c.size = e->gid_size;
      claims_push(out, c);
    }
  }
  for (size_t i = 0; e->raw && e->raw[i]; i++) {
    struct idmap_raw raw = {0};
    werr_t ignore = NULL;
    if (idmap_raw_parse(e->raw[i], &raw, &ignore) == 0 && raw.len == 1) {
      c.type = 'r';
      c.sides = raw.items[0].kind == IDMAP_RAW_BOTH  ? 'b'
                : raw.items[0].kind == IDMAP_RAW_UID ? 'u'
                                                     : 'g';
      c.base = raw.items[0].host;
      c.size = raw.items[0].size;
      claims_push(out, c);
    }
    werr_free(&ignore);
    idmap_raw_free(&raw);
  }
}

static bool applies(const struct claim *c, bool gid) {
  return c->sides == 'b' || c->sides == (gid ? 'g' : 'u');
}

static bool claims_has(const struct claims *c, const struct claim *x) {
  for (size_t i = 0; i < c->len; i++)
    if (c->items[i].type == x->type && c->items[i].sides == x->sides &&
        c->items[i].base == x->base &&
        c->items[i].size == x->size &&
        strcmp(c->items[i].entry, x->entry) == 0)
      return true;
  return false;
}

static char *slot_dir(const struct idmap_registry *r, uint32_t n) {
  return xasprintf("%s/slots/%u", r->dir, n);
}

static char *claim_file(const struct idmap_registry *r, uint32_t n,
                        const struct claim *c) {
  return xasprintf("%s/slots/%u/%c%c.%llu.%llu.%s", r->dir, n, c->type,
                   c->sides, (unsigned long long)c->base,
                   (unsigned long long)c->size, c->entry);
}

static bool parse_claim(const char *s, struct claim *c) {
  char *end;
  if ((s[0] != 'i' && s[0] != 'r') || !s[1] || !strchr("bug", s[1]) ||
      s[2] != '.')
    return false;
  c->type = s[0];
  c->sides = s[1];
  errno = 0;
  c->base = strtoull(s + 3, &end, 10);
  if (errno || *end != '.' || end == s + 3)
    return false;
  const char *p = end + 1;
  c->size = strtoull(p, &end, 10);
  if (errno || *end != '.' || end == p || c->size == 0 ||
      c->base + c->size > ((uint64_t)SLOTS << SLOT_SHIFT))
    return false;
  p = end + 1;
  if (strlen(p) != IDMAP_ENTRY_NAME_LEN - 1 || (p[0] != 'c' && p[0] != 'k') ||
      p[1] != '-' || strspn(p + 2, "0123456789abcdef") != 16)
    return false;
  memcpy(c->entry, p, IDMAP_ENTRY_NAME_LEN);
  return true;
}

/* The claims filed in slot N (none when its directory is missing). */
static int load_slot(struct idmap_registry *r, uint32_t n, struct claims *out,
                     werr_t *err) {
  _cleanup_free_ char *d = slot_dir(r, n);
  DIR *dir = opendir(d);
  if (dir == NULL)
    return errno == ENOENT ? 0 : werr_sys(err, "open %s", d);
  struct dirent *de;
  int rc = 0;
  while ((de = readdir(dir)) != NULL) {
    if (de->d_name[0] == '.')
      continue;
    struct claim c;
    if (!parse_claim(de->d_name, &c) ||
        (c.base >> SLOT_SHIFT) > n || ((c.base + c.size - 1) >> SLOT_SHIFT) < n) {
      rc = werr_code(err, EINVAL,
                      "%s/%s: not a registry index file, left untouched "
                      "(remove it)",
                      d, de->d_name);
      break;
    }
    claims_push(out, c);
  }
  closedir(dir);
  return rc;
}

/* ---- the hint ------------------------------------------------------------ */

static int map_load(struct idmap_registry *r, werr_t *err) {
  if (r->map)
    return 0;
  r->map = xmalloc0(MAP_BYTES);
  _cleanup_free_ char *file = xasprintf("%s/slotmap", r->dir);
  r->map_fd = open(file, (r->writable ? O_RDWR | O_CREAT : O_RDONLY) |
                             O_CLOEXEC | O_NOFOLLOW,
                   0600);
  if (r->map_fd < 0) {
    if (errno == ENOENT)
      return 0; /* read-only, never written: all unknown */
    return werr_sys(err, "open %s", file);
  }
  ssize_t n = pread(r->map_fd, r->map, MAP_BYTES, 0);
  if (n == MAP_BYTES && memcmp(r->map, MAP_MAGIC, 8) == 0)
    return 0;
  /* Missing, short or foreign: a hint only, so start over with "unknown"
   * everywhere; first fit then checks the slot directories themselves. */
  memset(r->map, 0, MAP_BYTES);
  memcpy(r->map, MAP_MAGIC, 8);
  if (r->writable &&
      (ftruncate(r->map_fd, 0) < 0 || ftruncate(r->map_fd, MAP_BYTES) < 0 ||
       pwrite(r->map_fd, r->map, MAP_HDR, 0) != MAP_HDR))
    return werr_sys(err, "write %s", file);
  return 0;
}

static uint8_t map_get(const struct idmap_registry *r, bool gid, uint32_t n) {
  return r->map[MAP_HDR + (gid ? SLOTS : 0) + n];
}

static void map_set(struct idmap_registry *r, bool gid, uint32_t n,
                    uint8_t v) {
  size_t off = MAP_HDR + (gid ? SLOTS : 0) + n;
  if (r->map[off] == v)
    return;
  r->map[off] = v;
  if (r->writable && r->map_fd >= 0)
    (void)!pwrite(r->map_fd, &v, 1, (off_t)off); /* a hint: best effort */
}

static int cmp_claim(const void *a, const void *b) {
  const struct claim *x = a, *y = b;
  return x->base < y->base ? -1 : x->base > y->base;
}

/* Full, partial or free on one side, from the slot's own files. */
static uint8_t coverage(struct claims *c, uint32_t n, bool gid) {
  if (c->len)
    qsort(c->items, c->len, sizeof(*c->items), cmp_claim);
  uint64_t lo = (uint64_t)n << SLOT_SHIFT, hi = lo + (1u << SLOT_SHIFT);
  uint64_t cur = lo;
  bool any = false;
  for (size_t i = 0; i < c->len && cur < hi; i++) {
    if (!applies(&c->items[i], gid))
      continue;
    any = true;
    if (c->items[i].base > cur)
      return SLOT_PARTIAL;
    uint64_t end = c->items[i].base + c->items[i].size;
    if (end > cur)
      cur = end;
  }
  if (!any)
    return SLOT_FREE;
  return cur >= hi ? SLOT_FULL : SLOT_PARTIAL;
}

static int refresh(struct idmap_registry *r, uint32_t n, werr_t *err) {
  struct claims c = {0};
  int rc = load_slot(r, n, &c, err);
  if (rc == 0) {
    if (c.len == 0) {
      _cleanup_free_ char *d = slot_dir(r, n);
      rmdir(d); /* ENOENT, ENOTEMPTY (a racing crash): fine */
    }
    map_set(r, false, n, coverage(&c, n, false));
    map_set(r, true, n, coverage(&c, n, true));
  }
  free(c.items);
  return rc;
}

/* ---- adding and removing an entry's ranges --------------------------------- */

#define FOR_SLOTS(n, c)                                                        \
  for (uint64_t n = (c)->base >> SLOT_SHIFT;                                   \
       n <= ((c)->base + (c)->size - 1) >> SLOT_SHIFT; n++)

int idmap_slots_add(struct idmap_registry *r, const struct idmap_entry *e,
                    const struct idmap_entry *old, werr_t *err) {
  if (map_load(r, err) < 0)
    return -1;
  struct claims add = {0}, had = {0};
  entry_claims(e, &add);
  if (old)
    entry_claims(old, &had);
  int rc = 0;
  for (size_t i = 0; i < add.len && rc == 0; i++) {
    const struct claim *c = &add.items[i];
    if (claims_has(&had, c))
      continue;
    FOR_SLOTS(n, c) {
      _cleanup_free_ char *f = claim_file(r, (uint32_t)n, c);
      int fd = open(f, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd < 0 && errno == ENOENT) {
        _cleanup_free_ char *d = slot_dir(r, (uint32_t)n);
        if (mkdir(d, 0700) < 0 && errno != EEXIST) {
          rc = werr_sys(err, "mkdir %s", d);
          break;
        }
        fd = open(f, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      }
      if (fd < 0 && errno != EEXIST) {
        rc = werr_sys(err, "create %s", f);
        break;
      }
      if (fd >= 0)
        close(fd);
      if ((rc = refresh(r, (uint32_t)n, err)) < 0)
        break;
    }
  }
  free(add.items);
  free(had.items);
  return rc;
}

/* Withdraw "full" first: a crash then leaves a slot that gets looked at. */
static void mark_partial(struct idmap_registry *r, uint32_t n,
                         const struct claim *c) {
  for (int gid = 0; gid < 2; gid++)
    if (applies(c, gid))
      map_set(r, gid, n, SLOT_PARTIAL);
}

int idmap_slots_remove(struct idmap_registry *r, const struct idmap_entry *e,
                       const struct idmap_entry *keep, werr_t *err) {
  if (map_load(r, err) < 0)
    return -1;
  struct claims del = {0}, kept = {0};
  entry_claims(e, &del);
  if (keep)
    entry_claims(keep, &kept);
  int rc = 0;
  for (size_t i = 0; i < del.len && rc == 0; i++) {
    const struct claim *c = &del.items[i];
    if (claims_has(&kept, c))
      continue;
    FOR_SLOTS(n, c) {
      mark_partial(r, (uint32_t)n, c);
      _cleanup_free_ char *f = claim_file(r, (uint32_t)n, c);
      if (unlink(f) < 0 && errno != ENOENT) {
        rc = werr_sys(err, "unlink %s", f);
        break;
      }
      if ((rc = refresh(r, (uint32_t)n, err)) < 0)
        break;
    }
  }
  free(del.items);
  free(kept.items);
  return rc;
}

/* ---- queries ------------------------------------------------------------- */

/* The claims of slot N that apply to one side; corrects the hint when it
 * was wrong. */
static int slot_claims(struct idmap_registry *r, bool gid, uint32_t n,
                       struct claims *out, werr_t *err) {
  out->len = 0;
  if (load_slot(r, n, out, err) < 0)
    return -1;
  size_t k = 0;
  for (size_t i = 0; i < out->len; i++)
    if (applies(&out->items[i], gid))
      out->items[k++] = out->items[i];
  out->len = k;
  uint8_t have = map_get(r, gid, n);
  if (r->writable && (have == SLOT_FREE) != (k == 0))
    map_set(r, gid, n, coverage(out, n, gid));
  return 0;
}

/* Everything taken inside POOL, exactly (every slot looked at): for the
 * "no room" message, and as the answer when the hint misled the fast path. */
static int exact_fit(struct idmap_registry *r, bool gid,
                     struct idmap_range pool, uint64_t size, uint64_t *base,
                     struct idmap_free_info *info, werr_t *err) {
  struct claims all = {0}, c = {0};
  struct idmap_used *used = NULL;
  size_t nused = 0;
  int rc = 0;
  uint64_t hi = pool.base + pool.size;
  for (uint64_t n = pool.base >> SLOT_SHIFT;
       pool.size && n <= (hi - 1) >> SLOT_SHIFT && rc == 0; n++) {
    rc = slot_claims(r, gid, (uint32_t)n, &c, err);
    for (size_t i = 0; rc == 0 && i < c.len; i++)
      claims_push(&all, c.items[i]);
  }
  if (rc == 0) {
    used = xmalloc0((all.len + 1) * sizeof(*used));
    for (size_t i = 0; i < all.len; i++)
      used[nused++] = (struct idmap_used){all.items[i].base, all.items[i].size,
                                          all.items[i].entry};
    used[nused++] = (struct idmap_used){
        pool.base, pool.size < IDMAP_ISOLATED_SIZE ? pool.size
                                                  : IDMAP_ISOLATED_SIZE,
        "shared"};
    if (idmap_alloc_first_fit(pool, used, nused, size, base, info) < 0)
      rc = -1; /* errno ENOSPC, *info filled */
  }
  free(used);
  free(all.items);
  free(c.items);
  return rc;
}

int idmap_registry_first_fit(struct idmap_registry *r, bool gid,
                             struct idmap_range pool, uint64_t size,
                             uint64_t *base, struct idmap_free_info *info,
                             werr_t *err) {
  if (map_load(r, err) < 0)
    return -1;
  uint64_t hi = pool.base + pool.size;
  uint64_t shared = pool.size < IDMAP_ISOLATED_SIZE ? pool.size
                                                   : IDMAP_ISOLATED_SIZE;
  uint64_t cursor = pool.base + shared;
  struct claims c = {0};
  int rc = 1; /* 1: still looking */
  while (rc == 1 && size && cursor + size <= hi) {
    uint64_t end = cursor + size, next = 0;
    for (uint64_t n = cursor >> SLOT_SHIFT;
         n <= (end - 1) >> SLOT_SHIFT && next == 0; n++) {
      if (map_get(r, gid, (uint32_t)n) == SLOT_FULL) {
        next = (n + 1) << SLOT_SHIFT;
        break;
      }
      if (slot_claims(r, gid, (uint32_t)n, &c, err) < 0) {
        rc = -1;
        break;
      }
      for (size_t i = 0; i < c.len; i++) {
        uint64_t ce = c.items[i].base + c.items[i].size;
        if (c.items[i].base < end && cursor < ce && ce > next)
          next = ce;
      }
    }
    if (rc == 1 && next == 0) {
      *base = cursor;
      rc = 0;
    }
    cursor = next;
  }
  free(c.items);
  if (rc == 0) {
    if (info)
      *info = (struct idmap_free_info){0};
    return 0;
  }
  if (rc < 0)
    return -1;
  return exact_fit(r, gid, pool, size, base, info, err);
}

int idmap_registry_overlap(struct idmap_registry *r, bool gid,
                           struct idmap_range want, bool isolated_only,
                           const struct idmap_entry *exclude,
                           struct idmap_used *o, werr_t *err) {
  if (want.size == 0)
    return 0;
  if (map_load(r, err) < 0)
    return -1;
  char ex[IDMAP_ENTRY_NAME_LEN] = "";
  if (exclude)
    idmap_entry_name(exclude, ex);
  struct claims c = {0};
  struct claim best = {0};
  bool found = false;
  int rc = 0;
  for (uint64_t n = want.base >> SLOT_SHIFT;
       n <= (want.base + want.size - 1) >> SLOT_SHIFT; n++) {
    if (slot_claims(r, gid, (uint32_t)n, &c, err) < 0) {
      rc = -1;
      break;
    }
    for (size_t i = 0; i < c.len; i++) {
      const struct claim *x = &c.items[i];
      if ((isolated_only && x->type != 'i') || strcmp(x->entry, ex) == 0)
        continue;
      if (x->base < want.base + want.size && want.base < x->base + x->size &&
          (!found || x->base < best.base)) {
        best = *x;
        found = true;
      }
    }
  }
  free(c.items);
  if (rc < 0 || !found)
    return rc;
  struct idmap_entry e;
  int got = idmap_registry_load_name(r, best.entry, &e, err);
  if (got < 0)
    return -1;
  _cleanup_free_ char *who =
      got ? idmap_entry_describe(&e)
          : xasprintf("an unfinished allocation (%s)", best.entry);
  if (got)
    idmap_entry_clear(&e);
  *o = (struct idmap_used){best.base, best.size,
                           best.type == 'r' ? xasprintf("raw ids of %s", who)
                                            : xstrdup(who)};
  return 1;
}

/* ---- reclaiming ------------------------------------------------------------ */

/* Entry NAME, indexed in slot N: drop it if provably unused. */
static int reclaim(struct idmap_registry *r, uint32_t n, const char *name,
                   const struct claims *slot, werr_t *err) {
  struct idmap_entry e;
  werr_t bad = NULL;
  int got = idmap_registry_load_name(r, name, &e, &bad);
  if (got < 0) {
    werr_free(&bad); /* left untouched; its ranges stay taken */
    return 0;
  }
  if (got == 0) {
    /* Index files whose entry never got written (a killed ward): only
     * this slot's; the others go when their slot is swept. */
    for (size_t i = 0; i < slot->len; i++) {
      if (strcmp(slot->items[i].entry, name) != 0)
        continue;
      mark_partial(r, n, &slot->items[i]);
      _cleanup_free_ char *f = claim_file(r, n, &slot->items[i]);
      unlink(f);
    }
    return refresh(r, n, err);
  }
  int rc = 0;
  pid_t pid;
  if (e.id && !idmap_entry_has_state(&e) && !idmap_entry_in_use(&e, &pid)) {
    if (e.key) {
      struct idmap_entry idle = e;
      idle.root = idle.id = NULL;
      idle.raw = NULL;
      rc = idmap_registry_put(r, &idle, &e, err);
    } else {
      rc = idmap_registry_drop(r, &e, err);
    }
  }
  idmap_entry_clear(&e);
  return rc;
}

int idmap_registry_sweep(struct idmap_registry *r, size_t max_slots,
                         werr_t *err) {
  if (!r->writable)
    return 0;
  if (map_load(r, err) < 0)
    return -1;
  uint32_t cursor;
  memcpy(&cursor, r->map + 8, sizeof(cursor));
  cursor %= SLOTS;
  size_t seen = 0;
  struct claims c = {0};
  int rc = 0;
  uint32_t n = cursor;
  for (uint32_t step = 0; step < SLOTS && rc == 0; step++) {
    n = (cursor + step) % SLOTS;
    if (map_get(r, false, n) == SLOT_FREE && map_get(r, true, n) == SLOT_FREE)
      continue;
    if (max_slots && seen++ >= max_slots)
      break;
    c.len = 0;
    if (load_slot(r, n, &c, err) < 0) {
      rc = -1;
      break;
    }
    for (size_t i = 0; i < c.len && rc == 0; i++) {
      bool dup = false;
      for (size_t j = 0; j < i; j++)
        dup |= strcmp(c.items[j].entry, c.items[i].entry) == 0;
      if (!dup)
        rc = reclaim(r, n, c.items[i].entry, &c, err);
    }
  }
  free(c.items);
  memcpy(r->map + 8, &n, sizeof(n));
  if (r->map_fd >= 0)
    (void)!pwrite(r->map_fd, &n, sizeof(n), 8);
  return rc;
}
