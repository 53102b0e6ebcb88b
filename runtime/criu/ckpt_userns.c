/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Moving a checkpoint to another id range: CRIU keeps everything inside
 * the container's user namespace in its own ids (creds, tmpfs contents,
 * mount options) and the namespace's maps in userns-N.img; only those
 * maps name host ids.  This rewrites them: CRIU's image framing (two magic
 * words, then a u32 size and a protobuf UsernsEntry per entry) and the two
 * messages involved, UsernsEntry { repeated UidGidExtent uid_map = 1,
 * gid_map = 2 } and UidGidExtent { uint32 first = 1, lower_first = 2,
 * count = 3 }, read and written here directly: libcriu does not carry
 * CRIU's image definitions. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "cleanup.h"
#include "config.h"
#include "utils.h"

struct buf {
  unsigned char *p;
  size_t len, cap;
};

static void put(struct buf *b, const void *d, size_t n) {
  if (b->len + n > b->cap) {
    b->cap = (b->len + n) * 2 + 64;
    b->p = realloc(b->p, b->cap);
    if (!b->p)
      abort();
  }
  memcpy(b->p + b->len, d, n);
  b->len += n;
}

static void put_varint(struct buf *b, uint64_t v) {
  do {
    unsigned char c = v & 0x7f;
    v >>= 7;
    if (v)
      c |= 0x80;
    put(b, &c, 1);
  } while (v);
}

static bool get_varint(const unsigned char **p, const unsigned char *end,
                       uint64_t *v) {
  *v = 0;
  for (int shift = 0; *p < end && shift < 64; shift += 7) {
    unsigned char c = *(*p)++;
    *v |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80))
      return true;
  }
  return false;
}

/* The new host id for the extent (FIRST, COUNT) in MAPS. */
static bool remap(const struct spec_idmaps *maps, uint64_t first,
                  uint64_t count, uint64_t *lower) {
  for (size_t i = 0; i < maps->len; i++)
    if (maps->items[i].containerID == first && maps->items[i].size == count) {
      *lower = maps->items[i].hostID;
      return true;
    }
  return false;
}

/* One UidGidExtent, re-encoded with its host id from MAPS. */
static bool extent(const unsigned char *p, const unsigned char *end,
                   const struct spec_idmaps *maps, struct buf *out) {
  uint64_t f[4] = {0};
  while (p < end) {
    uint64_t tag, v;
    if (!get_varint(&p, end, &tag) || (tag & 7) != 0 || tag >> 3 > 3 ||
        !get_varint(&p, end, &v))
      return false;
    f[tag >> 3] = v;
  }
  if (!remap(maps, f[1], f[3], &f[2]))
    return false;
  for (int k = 1; k <= 3; k++) {
    put_varint(out, (uint64_t)k << 3);
    put_varint(out, f[k]);
  }
  return true;
}

static bool userns_entry(const unsigned char *p, const unsigned char *end,
                         const struct spec_config *c, struct buf *out) {
  while (p < end) {
    uint64_t tag, n;
    if (!get_varint(&p, end, &tag) || (tag & 7) != 2 ||
        !get_varint(&p, end, &n) || n > (uint64_t)(end - p))
      return false;
    uint64_t field = tag >> 3;
    if (field != 1 && field != 2)
      return false;
    struct buf e = {0};
    bool ok = extent(
        p, p + n, field == 1 ? &c->linux_.uidMappings : &c->linux_.gidMappings,
        &e);
    if (ok) {
      put_varint(out, tag);
      put_varint(out, e.len);
      put(out, e.p, e.len);
    }
    free(e.p);
    if (!ok)
      return false;
    p += n;
  }
  return true;
}

static int rewrite_one(const char *path, const struct spec_config *c,
                       werr_t *err) {
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (read_file(path, &text, &len, err) < 0)
    return -1;
  const unsigned char *p = (const unsigned char *)text, *end = p + len;
  struct buf out = {0};
  bool ok = len >= 8;
  if (ok)
    put(&out, p, 8); /* the magic words */
  for (p += 8; ok && p < end;) {
    uint32_t n;
    if (end - p < 4) {
      ok = false;
      break;
    }
    memcpy(&n, p, 4);
    p += 4;
    if (n > (uint64_t)(end - p)) {
      ok = false;
      break;
    }
    struct buf e = {0};
    ok = userns_entry(p, p + n, c, &e);
    if (ok) {
      uint32_t m = (uint32_t)e.len;
      put(&out, &m, 4);
      put(&out, e.p, e.len);
    }
    free(e.p);
    p += n;
  }
  int rc = ok ? write_file_atomic(path, (char *)out.p, out.len, err)
              : werr_code(err, EINVAL,
                          "%s: a map the config's user namespace has no "
                          "extent of the same size for (or not CRIU's "
                          "format)",
                          path);
  free(out.p);
  return rc;
}

int ckpt_userns_remap(const char *dir, const struct spec_config *c,
                      werr_t *err) {
  DIR *d = opendir(dir);
  if (!d)
    return werr_sys(err, "--image-path %s", dir);
  struct dirent *de;
  int rc = 0, found = 0;
  while (rc == 0 && (de = readdir(d))) {
    size_t n = strlen(de->d_name);
    if (strncmp(de->d_name, "userns-", 7) != 0 || n < 11 ||
        strcmp(de->d_name + n - 4, ".img") != 0)
      continue;
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, de->d_name);
    rc = rewrite_one(path, c, err);
    found++;
  }
  closedir(d);
  if (rc == 0 && !found)
    rc = werr_code(err, ENOENT, "--image-path %s: no userns-*.img to remap",
                   dir);
  return rc;
}
