/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "xalloc.h"

void kvlist_free(struct kvlist *l) {
  for (size_t i = 0; i < l->len; i++) {
    free(l->items[i].key);
    free(l->items[i].value);
  }
  free(l->items);
  l->items = NULL;
  l->len = 0;
}

const char *kvlist_get(const struct kvlist *l, const char *key) {
  for (size_t i = 0; i < l->len; i++)
    if (strcmp(l->items[i].key, key) == 0)
      return l->items[i].value;
  return NULL;
}

int kvlist_set(struct kvlist *l, const char *key, const char *value) {
  for (size_t i = 0; i < l->len; i++)
    if (strcmp(l->items[i].key, key) == 0) {
      free(l->items[i].value);
      l->items[i].value = xstrdup(value);
      return 0;
    }
  struct kv *n = realloc(l->items, (l->len + 1) * sizeof(*n));
  if (n == NULL)
    abort();
  l->items = n;
  l->items[l->len].key = xstrdup(key);
  l->items[l->len].value = xstrdup(value);
  l->len++;
  return 0;
}

/* At most MAX bytes; one more than that is E2BIG (nothing is kept). */
static int read_fd_max(int fd, size_t max, char **out, size_t *len,
                       werr_t *err) {
  size_t cap = 8192, n = 0;
  char *buf = malloc(cap);
  if (buf == NULL)
    abort();
  for (;;) {
    if (n + 1 >= cap) {
      cap *= 2;
      char *nb = realloc(buf, cap);
      if (nb == NULL)
        abort();
      buf = nb;
    }
    ssize_t r = read(fd, buf + n, cap - n - 1);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      free(buf);
      return werr_sys(err, "read");
    }
    if (r == 0)
      break;
    n += (size_t)r;
    if (n > max) {
      free(buf);
      return werr_code(err, E2BIG, "JSON larger than %zu MiB", max >> 20);
    }
  }
  buf[n] = '\0';
  *out = buf;
  if (len)
    *len = n;
  return 0;
}

int read_all_fd(int fd, char **out, size_t *len, werr_t *err) {
  return read_fd_max(fd, SIZE_MAX, out, len, err);
}

int json_read_fd(int fd, const char *what, char **out, werr_t *err) {
  if (read_fd_max(fd, JSON_MAX_BYTES, out, NULL, err) < 0)
    return werr_prefix(err, "%s", what);
  return 0;
}

/* yajl builds, and frees, its tree recursively: a few MB of "[[[[..." under
 * an unknown key overflows the stack.  Every JSON input ward reads (config,
 * process, resources, state, registry) is checked here, on the raw bytes,
 * before any tree exists. */
static int json_check_bounds(const char *buf, const char *what, werr_t *err) {
  size_t depth = 0, len = 0;
  bool in_str = false;
  for (const char *p = buf; *p; p++, len++) {
    if (in_str) {
      if (*p == '\\' && p[1])
        p++, len++;
      else if (*p == '"')
        in_str = false;
    } else if (*p == '"') {
      in_str = true;
    } else if (*p == '[' || *p == '{') {
      if (++depth > JSON_MAX_DEPTH)
        return werr_code(err, E2BIG, "%s: JSON nested deeper than %d levels", what,
                    JSON_MAX_DEPTH);
    } else if ((*p == ']' || *p == '}') && depth > 0) {
      depth--;
    }
    if (len >= JSON_MAX_BYTES)
      return werr_code(err, E2BIG, "%s: JSON larger than %d MiB", what,
                  JSON_MAX_BYTES >> 20);
  }
  return 0;
}

int json_parse_buf(const char *buf, const char *what, yajl_val *out,
                   werr_t *err) {
  if (json_check_bounds(buf, what, err) < 0)
    return -1;
  char ebuf[512] = "";
  yajl_val v = yajl_tree_parse(buf, ebuf, sizeof(ebuf));
  if (v == NULL) {
    /* yajl's message spans lines; keep the one-line promise. */
    for (char *p = ebuf; *p; p++)
      if (*p == '\n' || *p == '\r')
        *p = ' ';
    size_t l = strlen(ebuf);
    while (l > 0 && ebuf[l - 1] == ' ')
      ebuf[--l] = '\0';
    return werr(err, "%s: invalid JSON: %s", what,
                ebuf[0] ? ebuf : "parse error");
  }
  *out = v;
  return 0;
}

int json_parse_file(const char *file, yajl_val *out, werr_t *err) {
  _cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return werr_sys(err, "open %s", file);
  _cleanup_free_ char *buf = NULL;
  if (json_read_fd(fd, file, &buf, err) < 0)
    return -1;
  return json_parse_buf(buf, file, out, err);
}

yajl_val json_get(yajl_val obj, const char *key) {
  if (obj == NULL || !YAJL_IS_OBJECT(obj))
    return NULL;
  for (size_t i = 0; i < obj->u.object.len; i++)
    if (strcmp(obj->u.object.keys[i], key) == 0) {
      yajl_val v = obj->u.object.values[i];
      return (v == NULL || YAJL_IS_NULL(v)) ? NULL : v;
    }
  return NULL;
}

char *json_path(const char *parent, const char *key) {
  char *s = NULL;
  if (parent == NULL || parent[0] == '\0')
    s = xstrdup(key);
  else if (asprintf(&s, "%s.%s", parent, key) < 0)
    abort();
  return s;
}

char *json_path_idx(const char *parent, size_t idx) {
  char *s = NULL;
  if (asprintf(&s, "%s[%zu]", parent ? parent : "", idx) < 0)
    abort();
  return s;
}

static const char *sep(const char *parent) {
  return (parent && parent[0]) ? "." : "";
}
#define P(parent) ((parent) ? (parent) : "")

int json_want_object(yajl_val v, const char *path, werr_t *err) {
  if (v == NULL || !YAJL_IS_OBJECT(v))
    return werr(err, "%s: must be an object", path);
  return 0;
}

int json_want_array(yajl_val v, const char *path, werr_t *err) {
  if (v == NULL || !YAJL_IS_ARRAY(v))
    return werr(err, "%s: must be an array", path);
  return 0;
}

int json_str(yajl_val obj, const char *parent, const char *key, char **out,
             werr_t *err) {
  yajl_val v = json_get(obj, key);
  if (v == NULL)
    return 0;
  if (!YAJL_IS_STRING(v))
    return werr(err, "%s%s%s: must be a string", P(parent), sep(parent), key);
  free(*out);
  *out = xstrdup(YAJL_GET_STRING(v));
  return 0;
}

int json_bool(yajl_val obj, const char *parent, const char *key, bool *out,
              werr_t *err) {
  yajl_val v = json_get(obj, key);
  if (v == NULL)
    return 0;
  if (YAJL_IS_TRUE(v))
    *out = true;
  else if (YAJL_IS_FALSE(v))
    *out = false;
  else
    return werr(err, "%s%s%s: must be a boolean", P(parent), sep(parent), key);
  return 0;
}

int json_i64_opt(yajl_val obj, const char *parent, const char *key,
                 bool *has, int64_t *out, werr_t *err) {
  yajl_val v = json_get(obj, key);
  if (v == NULL)
    return 0;
  if (!YAJL_IS_INTEGER(v))
    return werr(err, "%s%s%s: must be an integer", P(parent), sep(parent), key);
  *out = YAJL_GET_INTEGER(v);
  if (has)
    *has = true;
  return 0;
}

int json_i64(yajl_val obj, const char *parent, const char *key, int64_t *out,
             werr_t *err) {
  return json_i64_opt(obj, parent, key, NULL, out, err);
}

int json_u64_opt(yajl_val obj, const char *parent, const char *key,
                 bool *has, uint64_t *out, werr_t *err) {
  yajl_val v = json_get(obj, key);
  if (v == NULL)
    return 0;
  /* yajl stores integers as long long; values above INT64_MAX come back as
   * doubles, which the runtime-spec's uint64 fields may legitimately hold
   * (e.g. -1 is used as "unlimited" in some, but those are int64). */
  if (YAJL_IS_INTEGER(v)) {
    if (YAJL_GET_INTEGER(v) < 0)
      return werr(err, "%s%s%s: must be >= 0", P(parent), sep(parent), key);
    *out = (uint64_t)YAJL_GET_INTEGER(v);
  } else if (YAJL_IS_NUMBER(v) && v->u.number.r) {
    char *end = NULL;
    errno = 0;
    unsigned long long u = strtoull(v->u.number.r, &end, 10);
    if (errno != 0 || *end != '\0' || v->u.number.r[0] == '-')
      return werr(err, "%s%s%s: must be an unsigned 64-bit integer", P(parent),
                  sep(parent), key);
    *out = u;
  } else {
    return werr(err, "%s%s%s: must be an integer", P(parent), sep(parent), key);
  }
  if (has)
    *has = true;
  return 0;
}

int json_u64(yajl_val obj, const char *parent, const char *key, uint64_t *out,
             werr_t *err) {
  return json_u64_opt(obj, parent, key, NULL, out, err);
}

int json_u32(yajl_val obj, const char *parent, const char *key, uint32_t *out,
             werr_t *err) {
  uint64_t u = *out;
  if (json_u64(obj, parent, key, &u, err) < 0)
    return -1;
  if (u > UINT32_MAX)
    return werr(err, "%s%s%s: must be <= %" PRIu32, P(parent), sep(parent), key,
                UINT32_MAX);
  *out = (uint32_t)u;
  return 0;
}

int json_int(yajl_val obj, const char *parent, const char *key, int *out,
             werr_t *err) {
  int64_t i = *out;
  if (json_i64(obj, parent, key, &i, err) < 0)
    return -1;
  if (i < INT32_MIN || i > INT32_MAX)
    return werr(err, "%s%s%s: out of range", P(parent), sep(parent), key);
  *out = (int)i;
  return 0;
}

int json_strv(yajl_val obj, const char *parent, const char *key, char ***out,
              werr_t *err) {
  yajl_val v = json_get(obj, key);
  if (v == NULL)
    return 0;
  if (!YAJL_IS_ARRAY(v))
    return werr(err, "%s%s%s: must be an array of strings", P(parent),
                sep(parent), key);
  size_t n = v->u.array.len;
  char **r = xmalloc0((n + 1) * sizeof(char *));
  for (size_t i = 0; i < n; i++) {
    yajl_val e = v->u.array.values[i];
    if (e == NULL || !YAJL_IS_STRING(e)) {
      strv_free(r);
      return werr(err, "%s%s%s[%zu]: must be a string", P(parent), sep(parent),
                  key, i);
    }
    r[i] = xstrdup(YAJL_GET_STRING(e));
  }
  strv_free(*out);
  *out = r;
  return 0;
}

int json_strmap(yajl_val obj, const char *parent, const char *key,
                struct kvlist *out, werr_t *err) {
  yajl_val v = json_get(obj, key);
  if (v == NULL)
    return 0;
  if (!YAJL_IS_OBJECT(v))
    return werr(err, "%s%s%s: must be an object of strings", P(parent),
                sep(parent), key);
  for (size_t i = 0; i < v->u.object.len; i++) {
    yajl_val e = v->u.object.values[i];
    if (e == NULL || !YAJL_IS_STRING(e))
      return werr(err, "%s%s%s.%s: must be a string", P(parent), sep(parent),
                  key, v->u.object.keys[i]);
    kvlist_set(out, v->u.object.keys[i], YAJL_GET_STRING(e));
  }
  return 0;
}

size_t strv_len(char **v) {
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

void json_gen_str(yajl_gen g, const char *s) {
  yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

void json_gen_kv(yajl_gen g, const char *k, const char *v) {
  json_gen_str(g, k);
  if (v)
    json_gen_str(g, v);
  else
    yajl_gen_null(g);
}

void json_gen_strv(yajl_gen g, const char *k, const char *const *v) {
  json_gen_str(g, k);
  yajl_gen_array_open(g);
  for (; v && *v; v++)
    json_gen_str(g, *v);
  yajl_gen_array_close(g);
}

char *json_gen_finish(yajl_gen g) {
  const unsigned char *buf = NULL;
  size_t len = 0;
  if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
    abort();
  char *out = xmalloc0(len + 1);
  memcpy(out, buf, len);
  yajl_gen_free(g);
  return out;
}
