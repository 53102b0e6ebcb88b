/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "idmap_request.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int parse_bool(const char *name, const char *v, bool *out, werr_t *err) {
  if (strcmp(v, "true") == 0)
    *out = true;
  else if (strcmp(v, "false") == 0)
    *out = false;
  else
    return werr_code(err, EINVAL,
                      "%s: must be \"true\" or \"false\", got \"%s\"", name, v);
  return 0;
}

/* A decimal id count/base: digits only, within [MIN, MAX]. */
static int parse_num(const char *name, const char *v, uint64_t min,
                     uint64_t max, uint64_t *out, werr_t *err) {
  size_t n = strlen(v);
  bool ok = n > 0 && n <= 10;
  uint64_t x = 0;
  for (size_t i = 0; ok && i < n; i++) {
    if (!isdigit((unsigned char)v[i]))
      ok = false;
    else
      x = x * 10 + (uint64_t)(v[i] - '0');
  }
  if (!ok || x < min || x > max)
    return werr_code(
        err, EINVAL, "%s: must be a whole number from %llu to %llu, got \"%s\"",
        name, (unsigned long long)min, (unsigned long long)max, v);
  *out = x;
  return 0;
}

struct parse_state {
  bool has_isolated, isolated;
};

/* Key names travel into listings and commands: the container-id charset. */
static int check_key(const char *v, werr_t *err) {
  size_t n = strlen(v);
  bool ok = n > 0 && n <= 255 && strcmp(v, ".") != 0 && strcmp(v, "..") != 0;
  for (size_t i = 0; ok && i < n; i++)
    ok = isalnum((unsigned char)v[i]) || strchr("_+.-", v[i]) != NULL;
  if (!ok)
    return werr_code(err, EINVAL,
                      IDMAP_ANNOT_KEY ": \"%s\": want 1-255 characters of "
                                      "[A-Za-z0-9_+.-]",
                      v);
  return 0;
}

static int set_isolated(const char *k, const char *v, struct idmap_request *r,
                        struct parse_state *st, werr_t *err) {
  (void)r;
  st->has_isolated = true;
  return parse_bool(k, v, &st->isolated, err);
}

static int set_chown(const char *k, const char *v, struct idmap_request *r,
                     struct parse_state *st, werr_t *err) {
  (void)st;
  return parse_bool(k, v, &r->chown, err);
}

static int set_base(const char *k, const char *v, struct idmap_request *r,
                    struct parse_state *st, werr_t *err) {
  (void)st;
  r->has_base = true;
  return parse_num(k, v, 0, 4294967294ULL, &r->base, err);
}

static int set_size(const char *k, const char *v, struct idmap_request *r,
                    struct parse_state *st, werr_t *err) {
  (void)st;
  r->has_size = true;
  return parse_num(k, v, 1, 4294967295ULL, &r->size, err);
}

static int set_key(const char *k, const char *v, struct idmap_request *r,
                   struct parse_state *st, werr_t *err) {
  (void)k, (void)st;
  if (check_key(v, err) < 0)
    return -1;
  free(r->key);
  r->key = strdup(v);
  if (r->key == NULL)
    abort();
  return 0;
}

static int set_raw(const char *k, const char *v, struct idmap_request *r,
                   struct parse_state *st, werr_t *err) {
  (void)k, (void)st;
  idmap_raw_free(&r->raw);
  r->has_raw = true;
  return idmap_raw_parse(v, &r->raw, err);
}

/* The one table of ward.idmap.* annotations: adding a key is adding a row
 * (the "known:" list in the error is made from it). */
static const struct {
  const char *key;
  int (*set)(const char *k, const char *v, struct idmap_request *r,
             struct parse_state *st, werr_t *err);
} annotations_known[] = {
    {IDMAP_ANNOT_ISOLATED, set_isolated}, {IDMAP_ANNOT_BASE, set_base},
    {IDMAP_ANNOT_SIZE, set_size},         {IDMAP_ANNOT_KEY, set_key},
    {IDMAP_RAW_ANNOTATION, set_raw},      {IDMAP_ANNOT_CHOWN, set_chown},
};
#define N_KNOWN (sizeof(annotations_known) / sizeof(annotations_known[0]))

static void unknown_annotation(const char *k, werr_t *err) {
  char names[256] = "";
  size_t prefix = strlen(IDMAP_ANNOT_PREFIX);
  for (size_t j = 0; j < N_KNOWN; j++) {
    if (j > 0)
      strncat(names, ", ", sizeof(names) - strlen(names) - 1);
    strncat(names, annotations_known[j].key + prefix,
            sizeof(names) - strlen(names) - 1);
  }
  werr_code(err, EINVAL, "%s: unknown annotation (known: %s)", k, names);
}

bool idmap_annotation(const char *key) {
  return strncmp(key, IDMAP_ANNOT_PREFIX, strlen(IDMAP_ANNOT_PREFIX)) == 0;
}

int idmap_request_parse(const struct kvlist *annotations,
                        struct idmap_request *out, werr_t *err) {
  struct idmap_request r = {.size = IDMAP_ISOLATED_SIZE};
  struct parse_state st = {0};
  bool has_isolated, isolated;
  for (size_t i = 0; i < annotations->len; i++) {
    const char *k = annotations->items[i].key;
    const char *v = annotations->items[i].value;
    if (!idmap_annotation(k))
      continue;
    size_t j = 0;
    while (j < N_KNOWN && strcmp(k, annotations_known[j].key) != 0)
      j++;
    if (j == N_KNOWN) {
      unknown_annotation(k, err);
      goto fail;
    }
    if (annotations_known[j].set(k, v, &r, &st, err) < 0)
      goto fail;
  }
  has_isolated = st.has_isolated;
  isolated = st.isolated;
  /* base, size and key only make sense for a range of one's own. */
  const char *implied = r.has_base   ? IDMAP_ANNOT_BASE
                        : r.has_size ? IDMAP_ANNOT_SIZE
                        : r.key      ? IDMAP_ANNOT_KEY
                                     : NULL;
  if (has_isolated && !isolated && implied) {
    werr_code(err, EINVAL,
               "%s: needs an isolated range, but " IDMAP_ANNOT_ISOLATED
               " is false",
               implied);
    goto fail;
  }
  if (has_isolated && isolated) {
    r.isolated = true;
    r.isolated_why = IDMAP_ANNOT_ISOLATED;
  } else if (implied) {
    r.isolated = true;
    r.isolated_why = implied;
  }
  if (r.has_base && r.base + r.size > 4294967295ULL) {
    werr_code(err, EINVAL,
               IDMAP_ANNOT_BASE ": %llu + %llu ids runs past the largest id "
                                "4294967294",
               (unsigned long long)r.base, (unsigned long long)r.size);
    goto fail;
  }
  *out = r;
  return 0;
fail:
  idmap_request_free(&r);
  return -1;
}

void idmap_request_free(struct idmap_request *r) {
  free(r->key);
  r->key = NULL;
  idmap_raw_free(&r->raw);
}

bool idmap_request_wants_userns(const struct idmap_request *r) {
  return r->isolated || r->has_raw;
}
