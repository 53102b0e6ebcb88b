/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ward.idmap.raw: host ids punched through a container's map, with the
 * syntax and meaning of Incus's raw.idmap.  One entry per line:
 *     both|uid|gid HOST[-HOST] CONTAINER[-CONTAINER]
 * (inclusive ranges of the same size).  Pure: parsing and map arithmetic. */
#ifndef WARD_IDMAP_RAW_H
#define WARD_IDMAP_RAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ward_error.h"

#define IDMAP_RAW_ANNOTATION "ward.idmap.raw"

enum idmap_raw_kind { IDMAP_RAW_BOTH, IDMAP_RAW_UID, IDMAP_RAW_GID };

struct idmap_raw_entry {
  enum idmap_raw_kind kind;
  uint32_t host, container, size;
  unsigned line; /* 1-based line in the annotation, for errors */
};
struct idmap_raw {
  struct idmap_raw_entry *items;
  size_t len;
};

/* Parse the annotation text.  Blank lines are skipped.  Errors read
 * "ward.idmap.raw line 3: ...".  Overlapping container ids between two
 * lines of the same kind are an error here already. */
int idmap_raw_parse(const char *text, struct idmap_raw *out, werr_t *err);
void idmap_raw_free(struct idmap_raw *r);
/* Does ENTRY apply to the gid map (else the uid map)? */
bool idmap_raw_applies(const struct idmap_raw_entry *e, bool gid);
/* "both 1000-1001 1000-1001".  Caller frees. */
char *idmap_raw_format(const struct idmap_raw_entry *e);

/* Punch RAW's uid (or gid) entries through MAP, in place: the container
 * ids of each entry are cut out of MAP's ranges (splitting them) and the
 * entry is added, so every container id maps once and the rest stays
 * contiguous.  The result is sorted by container id, adjacent contiguous
 * lines merged.  Host ids mapped twice are an error naming the raw line;
 * more than SPEC_IDMAP_MAX_LINES lines is an error naming FIELD
 * ("linux.uidMappings"). */
int idmap_raw_apply(struct spec_idmaps *map, const struct idmap_raw *raw,
                    bool gid, const char *field, werr_t *err);

/* Check a finished map: at most SPEC_IDMAP_MAX_LINES lines, no zero sizes,
 * no id range past 2^32-2, no overlap on either side.  Errors name FIELD. */
int idmap_map_check(const struct spec_idmaps *map, const char *field,
                    werr_t *err);

/* Host id -> container id through MAP; false when not mapped. */
bool idmap_map_to_container(const struct spec_idmaps *map, uint32_t host,
                            uint32_t *container);
bool idmap_map_to_host(const struct spec_idmaps *map, uint32_t container,
                       uint32_t *host);

#endif
