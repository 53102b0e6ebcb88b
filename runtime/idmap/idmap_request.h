/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a config.json asks of ward's idmap logic through its ward.idmap.*
 * annotations.  Pure parsing and validation: every bad value is a one-line
 * error naming the annotation. */
#ifndef WARD_IDMAP_REQUEST_H
#define WARD_IDMAP_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "idmap_raw.h"
#include "json.h"
#include "ward_error.h"

#define IDMAP_ANNOT_PREFIX "ward.idmap."
#define IDMAP_ANNOT_ISOLATED "ward.idmap.isolated"
#define IDMAP_ANNOT_BASE "ward.idmap.base"
#define IDMAP_ANNOT_SIZE "ward.idmap.size"
#define IDMAP_ANNOT_KEY "ward.idmap.key"
#define IDMAP_ANNOT_CHOWN "ward.idmap.chown"
/* IDMAP_RAW_ANNOTATION is "ward.idmap.raw". */

#define IDMAP_ISOLATED_SIZE 65536ULL

struct idmap_request {
  /* A unique range: ward.idmap.isolated=true, or implied by base, size or
   * key.  isolated_why names the annotation that asked, for errors. */
  bool isolated;
  const char *isolated_why;
  bool has_base;
  uint64_t base;
  uint64_t size; /* IDMAP_ISOLATED_SIZE unless ward.idmap.size */
  bool has_size;
  char *key;
  bool has_raw;
  struct idmap_raw raw;
  bool chown;
};

/* KEY is one of ward's idmap annotations (ward.idmap.*), known or not. */
bool idmap_annotation(const char *key);
int idmap_request_parse(const struct kvlist *annotations,
                        struct idmap_request *out, werr_t *err);
void idmap_request_free(struct idmap_request *r);
/* Does the request need a user namespace ward maps (isolated or raw)? */
bool idmap_request_wants_userns(const struct idmap_request *r);

#endif
