/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host-wide record of the id ranges ward handed out: one JSON file,
 * read and rewritten under an exclusive flock so that concurrent
 * `ward create`s see each other's allocations.
 *
 * Host-wide, not per --root: the promise is a range no other container on
 * the host shares, and two orchestrators using two state roots must not be
 * handed the same ids. */
#ifndef WARD_IDMAP_REGISTRY_H
#define WARD_IDMAP_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward_error.h"

/* Where root's registry lives (an unprivileged ward keeps its own under
 * $XDG_RUNTIME_DIR, its ranges being its own subuids). */
#define IDMAP_REGISTRY_DIR "/run/ward-idmap"
#define IDMAP_REGISTRY_FILE "allocations.json"

#define IDMAP_KIND_ISOLATED "isolated" /* a unique range */
#define IDMAP_KIND_SHARED "shared"     /* the default first 65536 ids */
#define IDMAP_KIND_OCI "oci"           /* config.json's maps, plus raw */

struct idmap_entry {
  char *root, *id; /* the owning container; both NULL while a key idles */
  char *key;       /* ward.idmap.key, or NULL */
  char *kind;      /* IDMAP_KIND_* */
  uint64_t uid_base, uid_size, gid_base, gid_size; /* size 0: none */
  char **raw;    /* normalized ward.idmap.raw lines, NULL-terminated */
  char *created; /* RFC 3339 */
};

struct idmap_registry {
  char *dir;
  int lock_fd;
  bool writable;
  struct idmap_entry *items;
  size_t len;
};

/* The directory for the invoking user. Caller frees. */
char *idmap_registry_dir(void);

/* Lock and load.  WRITE: create DIR if needed, exclusive lock.  Else a
 * shared lock, and a missing DIR reads as empty. */
int idmap_registry_open(const char *dir, bool write,
                        struct idmap_registry **out, werr_t *err);
/* Atomically replace the file with the entries now in R (lock still held). */
int idmap_registry_commit(struct idmap_registry *r, werr_t *err);
/* Unlock and free (without committing). */
void idmap_registry_close(struct idmap_registry *r);

struct idmap_entry *idmap_registry_by_owner(struct idmap_registry *r,
                                            const char *root, const char *id);
struct idmap_entry *idmap_registry_by_key(struct idmap_registry *r,
                                          const char *key);
/* A new zeroed entry at the end (pointers into items move). */
struct idmap_entry *idmap_registry_add(struct idmap_registry *r);
void idmap_registry_remove(struct idmap_registry *r, struct idmap_entry *e);
void idmap_entry_clear(struct idmap_entry *e);

/* "container ROOT/ID", "key NAME (container ROOT/ID)", "key NAME (idle)".
 * Caller frees. */
char *idmap_entry_describe(const struct idmap_entry *e);

/* Does the owning container's state directory still exist? */
bool idmap_entry_has_state(const struct idmap_entry *e);

#endif
