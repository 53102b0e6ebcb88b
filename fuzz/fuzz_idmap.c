/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ward.idmap.raw parsing, hole punching and isolated range allocation,
 * checked against what they promise rather than for crashes alone:
 *   - a punched map maps no container id (and no host id) twice,
 *   - each raw line maps exactly as written, the rest of the map is kept,
 *     and the map covers exactly the union of both (sizes kept),
 *   - an allocation lies inside the pool, overlaps nothing taken, has the
 *     size asked, is the lowest such base, and repeated allocations never
 *     overlap each other; "no room" only when no gap is big enough.
 * Input: the annotation text, a NUL, then bytes that build the map, the
 * pool and the taken ranges. */
#include <assert.h>
#include <stdbool.h>

#include "fuzz.h"
#include "idmap_alloc.h"
#include "idmap_raw.h"

struct reader {
  const uint8_t *p;
  size_t n;
};

static uint64_t take(struct reader *r, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes && r->n; i++, r->p++, r->n--)
    v |= (uint64_t)*r->p << (8 * i);
  return v;
}

/* Ids in a small window, so ranges collide often; sometimes anywhere. */
static uint32_t take_id(struct reader *r) {
  uint8_t wide = (uint8_t)take(r, 1);
  return (wide & 0xf0) == 0xf0 ? (uint32_t)take(r, 4) : (uint32_t)take(r, 2);
}

struct ival {
  uint64_t lo, hi; /* half-open */
};

static int cmp_ival(const void *a, const void *b) {
  const struct ival *x = a, *y = b;
  return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static uint64_t union_size(struct ival *v, size_t n) {
  qsort(v, n, sizeof(*v), cmp_ival);
  uint64_t total = 0, lo = 0, hi = 0;
  bool open = false;
  for (size_t i = 0; i < n; i++) {
    if (v[i].lo == v[i].hi)
      continue;
    if (open && v[i].lo <= hi) {
      if (v[i].hi > hi)
        hi = v[i].hi;
      continue;
    }
    if (open)
      total += hi - lo;
    lo = v[i].lo, hi = v[i].hi, open = true;
  }
  return open ? total + hi - lo : total;
}

static bool punched(const struct idmap_raw *raw, bool gid, uint32_t c) {
  for (size_t i = 0; i < raw->len; i++) {
    const struct idmap_raw_entry *e = &raw->items[i];
    if (idmap_raw_applies(e, gid) && c >= e->container &&
        (uint64_t)c < (uint64_t)e->container + e->size)
      return true;
  }
  return false;
}

static void check_punch(const struct idmap_raw *raw, struct reader *r,
                        bool gid) {
  struct spec_idmaps map = {0};
  size_t n = take(r, 1) % 6;
  map.items = calloc(n + 1, sizeof(*map.items));
  for (size_t i = 0; i < n; i++) {
    map.items[i].containerID = take_id(r);
    map.items[i].hostID = take_id(r);
    map.items[i].size = take_id(r);
  }
  map.len = n;
  werr_t err = NULL;
  if (idmap_map_check(&map, "linux.uidMappings", &err) < 0) {
    werr_free(&err);
    free(map.items);
    return; /* ward checks config.json's maps before punching */
  }
  struct spec_idmaps before = {malloc((n + 1) * sizeof(*map.items)), n};
  memcpy(before.items, map.items, n * sizeof(*map.items));

  if (idmap_raw_apply(&map, raw, gid, "linux.uidMappings", &err) < 0) {
    assert(err && err->msg && err->msg[0]);
    werr_free(&err);
    goto out;
  }
  /* No id mapped twice on either side, within the kernel's line limit. */
  int rc = idmap_map_check(&map, "linux.uidMappings", &err);
  assert(rc == 0);

  /* Raw lines map as written. */
  struct ival *iv = calloc(before.len + raw->len + 1, sizeof(*iv));
  size_t niv = 0;
  for (size_t i = 0; i < raw->len; i++) {
    const struct idmap_raw_entry *e = &raw->items[i];
    if (!idmap_raw_applies(e, gid))
      continue;
    uint32_t probes[3] = {0, e->size / 2, e->size - 1};
    for (int k = 0; k < 3; k++) {
      uint32_t h;
      assert(idmap_map_to_host(&map, e->container + probes[k], &h));
      assert(h == e->host + probes[k]);
    }
    iv[niv++] = (struct ival){e->container, (uint64_t)e->container + e->size};
  }
  /* The rest of the old map is untouched: probe both ends of each old
   * range and the ids next to every raw line inside it. */
  for (size_t i = 0; i < before.len; i++) {
    const struct spec_idmap *m = &before.items[i];
    iv[niv++] = (struct ival){m->containerID, (uint64_t)m->containerID + m->size};
    uint64_t probes[2 + 2 * 16];
    size_t np = 0;
    probes[np++] = m->containerID;
    probes[np++] = (uint64_t)m->containerID + m->size - 1;
    for (size_t j = 0; j < raw->len && np + 2 <= sizeof(probes) / sizeof(*probes); j++) {
      probes[np++] = (uint64_t)raw->items[j].container - 1;
      probes[np++] = (uint64_t)raw->items[j].container + raw->items[j].size;
    }
    for (size_t k = 0; k < np; k++) {
      uint64_t c = probes[k];
      if (c < m->containerID || c >= (uint64_t)m->containerID + m->size ||
          punched(raw, gid, (uint32_t)c))
        continue;
      uint32_t h;
      assert(idmap_map_to_host(&map, (uint32_t)c, &h));
      assert(h == m->hostID + ((uint32_t)c - m->containerID));
    }
  }
  /* Sizes kept: the new map covers the union, nothing more or less. */
  uint64_t total = 0;
  for (size_t i = 0; i < map.len; i++)
    total += map.items[i].size;
  assert(total == union_size(iv, niv));
  free(iv);
out:
  free(before.items);
  free(map.items);
}

static void check_alloc(struct reader *r) {
  struct idmap_range pool = {take_id(r), (uint64_t)take_id(r) + 1};
  size_t n = take(r, 1) % 16;
  struct idmap_used used[16 + 8];
  for (size_t i = 0; i < n; i++)
    used[i] = (struct idmap_used){take_id(r), take_id(r), "taken"};
  /* Allocate a few times, each result taken for the next, as successive
   * `ward create`s would. */
  size_t first_new = n;
  for (int round = 0; round < 8; round++) {
    uint64_t size = take_id(r);
    uint64_t base = 0;
    struct idmap_free_info fi;
    if (idmap_alloc_first_fit(pool, used, n, size, &base, &fi) < 0) {
      assert(size == 0 || fi.largest < size);
      assert(fi.total <= pool.size && fi.largest <= fi.total);
      break;
    }
    struct idmap_range got = {base, size};
    assert(size > 0);
    assert(idmap_range_within(pool, got));
    assert(idmap_alloc_overlap(used, n, got) == NULL);
    if (base > pool.base) {
      struct idmap_range lower = {base - 1, size};
      assert(idmap_alloc_overlap(used, n, lower) != NULL);
    }
    used[n++] = (struct idmap_used){base, size, "allocated"};
  }
  for (size_t i = first_new; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      assert(used[i].base + used[i].size <= used[j].base ||
             used[j].base + used[j].size <= used[i].base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 64 * 1024)
    return -1;
  const uint8_t *nul = memchr(data, 0, size);
  size_t tlen = nul ? (size_t)(nul - data) : size;
  char *text = fuzz_cstr(data, tlen);
  struct reader r = {data + tlen + (nul != NULL), size - tlen - (nul != NULL)};

  struct idmap_raw raw = {0};
  werr_t err = NULL;
  if (idmap_raw_parse(text, &raw, &err) == 0) {
    for (size_t i = 0; i < raw.len; i++) {
      assert(raw.items[i].size > 0);
      char *line = idmap_raw_format(&raw.items[i]);
      struct idmap_raw again = {0};
      /* A normalized line parses back to the same entry. */
      assert(idmap_raw_parse(line, &again, &err) == 0 && again.len == 1);
      assert(again.items[0].kind == raw.items[i].kind &&
             again.items[0].host == raw.items[i].host &&
             again.items[0].container == raw.items[i].container &&
             again.items[0].size == raw.items[i].size);
      idmap_raw_free(&again);
      free(line);
    }
    check_punch(&raw, &r, false);
    check_punch(&raw, &r, true);
  } else {
    assert(err && err->msg && strncmp(err->msg, "ward.idmap.raw", 14) == 0);
    werr_free(&err);
  }
  idmap_raw_free(&raw);
  free(text);
  check_alloc(&r);
  return 0;
}
