/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Typed, path-naming accessors over yajl's tree API.  Every getter takes the
 * JSON path of the enclosing object ("linux.uidMappings[1]") so an error can
 * name exactly the field it concerns.  An absent key is not an error: the
 * output is left untouched and 0 is returned; a present key of the wrong type
 * or range is.  JSON null counts as absent, as the runtime-spec allows. */
#ifndef WARD_JSON_H
#define WARD_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "ward_error.h"

struct kv {
  char *key;
  char *value;
};
struct kvlist {
  struct kv *items;
  size_t len;
};
void kvlist_free(struct kvlist *l);
const char *kvlist_get(const struct kvlist *l, const char *key);
int kvlist_set(struct kvlist *l, const char *key, const char *value);

/* Bounds on every JSON document ward reads, checked before parsing: real
 * configs nest about 8 deep and weigh well under 1 MiB. */
#define JSON_MAX_DEPTH 128
#define JSON_MAX_BYTES (16 << 20)

/* Parse a whole document; WHAT names it in errors ("config.json").  A
 * document beyond the bounds above is refused with one line naming WHAT. */
int json_parse_file(const char *file, yajl_val *out, werr_t *err);
int json_parse_buf(const char *buf, const char *what, yajl_val *out,
                   werr_t *err);
/* A JSON document from FD, refused (one line naming WHAT) once it passes
 * JSON_MAX_BYTES, before it is all in memory. */
int json_read_fd(int fd, const char *what, char **out, werr_t *err);
/* Read a whole fd or file into a NUL-terminated buffer. */
int read_all_fd(int fd, char **out, size_t *len, werr_t *err);

/* obj[key], NULL when obj is not an object, key is absent or null. */
yajl_val json_get(yajl_val obj, const char *key);
/* "parent.key" / "parent[idx]" (parent may be ""). Caller frees. */
char *json_path(const char *parent, const char *key);
char *json_path_idx(const char *parent, size_t idx);

/* Require an object at path (v non-NULL). */
int json_want_object(yajl_val v, const char *path, werr_t *err);
int json_want_array(yajl_val v, const char *path, werr_t *err);

int json_str(yajl_val obj, const char *parent, const char *key, char **out,
             werr_t *err);
int json_bool(yajl_val obj, const char *parent, const char *key, bool *out,
              werr_t *err);
int json_i64(yajl_val obj, const char *parent, const char *key, int64_t *out,
             werr_t *err);
int json_u64(yajl_val obj, const char *parent, const char *key, uint64_t *out,
             werr_t *err);
/* uint32 range (uids, gids, sizes, modes). */
int json_u32(yajl_val obj, const char *parent, const char *key, uint32_t *out,
             werr_t *err);
int json_int(yajl_val obj, const char *parent, const char *key, int *out,
             werr_t *err);
/* Like the above but also report presence. */
int json_i64_opt(yajl_val obj, const char *parent, const char *key,
                 bool *has, int64_t *out, werr_t *err);
int json_u64_opt(yajl_val obj, const char *parent, const char *key,
                 bool *has, uint64_t *out, werr_t *err);
/* NULL-terminated string array; absent leaves *out NULL. */
int json_strv(yajl_val obj, const char *parent, const char *key, char ***out,
              werr_t *err);
/* Object of string values. */
int json_strmap(yajl_val obj, const char *parent, const char *key,
                struct kvlist *out, werr_t *err);

size_t strv_len(char **v);

/* A C string as a JSON string; "KEY": "VALUE" (a NULL VALUE is null). */
void json_gen_str(yajl_gen g, const char *s);
void json_gen_kv(yajl_gen g, const char *k, const char *v);
/* "KEY": [ each string of the NULL-terminated V ] */
void json_gen_strv(yajl_gen g, const char *k, const char *const *v);

/* The document G built, as a NUL-terminated string (caller frees); G is
 * freed. */
char *json_gen_finish(yajl_gen g);

#endif
