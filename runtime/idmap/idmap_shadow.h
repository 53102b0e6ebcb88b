/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where ward's host id ranges come from: the invoking user's (root's)
 * entries in /etc/subuid and /etc/subgid, with the rules Incus follows:
 *  - all four of /etc/subuid, /etc/subgid, newuidmap, newgidmap present:
 *    use the user's entries; the largest is the allocation pool and must
 *    hold at least 65536 ids; every entry authorizes raw host ids;
 *  - none of the four: assume base 1000000, size 1000000000;
 *  - anything in between: a broken shadow setup, refused. */
#ifndef WARD_IDMAP_SHADOW_H
#define WARD_IDMAP_SHADOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "idmap_alloc.h"
#include "idmap_raw.h"
#include "ward_error.h"

#define IDMAP_SUBUID "/etc/subuid"
#define IDMAP_SUBGID "/etc/subgid"
/* The range assumed without shadow files (and the one suggested to add). */
#define IDMAP_DEFAULT_BASE 1000000ULL
#define IDMAP_DEFAULT_SIZE 1000000000ULL
/* A user namespace that can hold every id POSIX requires a system to have
 * (0..65535, "nobody" 65534 included). */
#define IDMAP_MIN_POOL 65536ULL

struct idmap_subids {
  struct idmap_range *items; /* the user's entries, file order */
  size_t len;
  struct idmap_range pool; /* the largest entry */
};

struct idmap_shadow {
  bool use_files; /* false: none of the four, default pool */
  struct idmap_subids uid, gid;
  /* An unprivileged ward may also map its own uid/gid (newuidmap allows a
   * user's own id); root's own id 0 is never implied. */
  bool has_self;
  uint32_t self_uid, self_gid;
};

/* What was found on the host; filled by idmap_shadow_probe. */
struct idmap_shadow_probe {
  bool has_subuid, has_subgid, has_newuidmap, has_newgidmap;
  char *subuid_text, *subgid_text; /* file contents when present */
};

/* Entries for USER (a name) or UID (its number as text) in a subuid/subgid
 * style TEXT.  Malformed lines are skipped, as shadow-utils does. */
int idmap_subids_parse(const char *text, const char *user, const char *uid,
                       struct idmap_subids *out);
void idmap_subids_free(struct idmap_subids *s);

/* Apply the rules to what was probed (pure).  Errors are one line and say
 * what is missing or which line to add. */
int idmap_shadow_decide(const struct idmap_shadow_probe *p, const char *user,
                        const char *uid, struct idmap_shadow *out, werr_t *err);
/* Look at the host: the two files, newuidmap/newgidmap in PATH. */
int idmap_shadow_probe(struct idmap_shadow_probe *p, werr_t *err);
void idmap_shadow_probe_free(struct idmap_shadow_probe *p);
/* probe + decide for the invoking user. */
int idmap_shadow_load(struct idmap_shadow *out, werr_t *err);
void idmap_shadow_free(struct idmap_shadow *s);

/* With shadow files in use, every raw host id must lie inside one of the
 * user's entries (or be the unprivileged user's own id); else an error
 * naming the raw line and the line to add ("root:1000:1"). */
int idmap_shadow_check_raw(const struct idmap_shadow *s, const char *user,
                           const struct idmap_raw *raw, werr_t *err);

/* The name the shadow files know the invoking user by ("root"). */
char *idmap_shadow_user(void);

#endif
