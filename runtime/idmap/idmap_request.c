/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "idmap_request.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const known[] = {
    IDMAP_ANNOT_ISOLATED, IDMAP_ANNOT_BASE,  IDMAP_ANNOT_SIZE,
    IDMAP_ANNOT_KEY,      IDMAP_ANNOT_CHOWN, IDMAP_RAW_ANNOTATION,
};

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
    return werr_code(err, EINVAL,
                     "%s: must be a whole number from %llu to %llu, got \"%s\"",
                     name, (unsigned long long)min, (unsigned long long)max, v);
  *out = x;
  return 0;
}

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

int idmap_request_parse(const struct kvlist *annotations,
                        struct idmap_request *out, werr_t *err) {
  struct idmap_request r = {.size = IDMAP_ISOLATED_SIZE};
  bool has_isolated = false, isolated = false;
  for (size_t i = 0; i < annotations->len; i++) {
    const char *k = annotations->items[i].key;
    const char *v = annotations->items[i].value;
    if (strncmp(k, IDMAP_ANNOT_PREFIX, strlen(IDMAP_ANNOT_PREFIX)) != 0)
      continue;
    size_t j;
    for (j = 0; j < sizeof(known) / sizeof(known[0]); j++)
      if (strcmp(k, known[j]) == 0)
        break;
    if (j == sizeof(known) / sizeof(known[0])) {
      werr_code(
          err, EINVAL,
          "%s: unknown annotation (known: isolated, base, size, key, raw, "
          "chown)",
          k);
      goto fail;
    }
    int rc = 0;
    if (strcmp(k, IDMAP_ANNOT_ISOLATED) == 0) {
      has_isolated = true;
      rc = parse_bool(k, v, &isolated, err);
    } else if (strcmp(k, IDMAP_ANNOT_CHOWN) == 0) {
      rc = parse_bool(k, v, &r.chown, err);
    } else if (strcmp(k, IDMAP_ANNOT_BASE) == 0) {
      r.has_base = true;
      rc = parse_num(k, v, 0, 4294967294ULL, &r.base, err);
    } else if (strcmp(k, IDMAP_ANNOT_SIZE) == 0) {
      r.has_size = true;
      rc = parse_num(k, v, 1, 4294967295ULL, &r.size, err);
    } else if (strcmp(k, IDMAP_ANNOT_KEY) == 0) {
      rc = check_key(v, err);
      if (rc == 0) {
        r.key = strdup(v);
        if (r.key == NULL)
          abort();
      }
    } else if (strcmp(k, IDMAP_RAW_ANNOTATION) == 0) {
      r.has_raw = true;
      rc = idmap_raw_parse(v, &r.raw, err);
    }
    if (rc < 0)
      goto fail;
  }
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
