/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host-wide record of the id ranges ward handed out.
 *
 * Host-wide, not per --root: the promise is a range no other container on
 * the host shares, and two orchestrators using two state roots must not be
 * handed the same ids.
 *
 * Layout of DIR (all under one flock on DIR/lock, waited for at most
 * IDMAP_LOCK_WAIT_S seconds):
 *   entries/c-HASH      one JSON file per allocation owned by a container
 *                       (HASH of its absolute state root and id)
 *   entries/k-HASH      one per ward.idmap.key range (HASH of the key);
 *                       while a container uses it, entries/c-HASH is a
 *                       symlink to it
 *   slots/SLOT/         the index: for every 65536-id slot (host id >> 16)
 *                       an empty file "TS.BASE.SIZE.ENTRY" per range that
 *                       touches it (T: i isolated, r raw ids; S: b uid and
 *                       gid, u uid, g gid)
 *   slotmap             a hint: one byte per slot (free, full, partial) so
 *                       that first fit skips full slots without listing
 *                       them; never trusted for "free", rebuilt when bad
 *   allocations.json    the old single-file format, migrated on first write
 * An allocation reads the hint and the few slot dirs at the frontier and
 * writes a handful of small files, whatever the number of containers. */
#ifndef WARD_IDMAP_REGISTRY_H
#define WARD_IDMAP_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "idmap_alloc.h"
#include "ward_error.h"

/* Where root's registry lives (an unprivileged ward keeps its own under
 * $XDG_RUNTIME_DIR, its ranges being its own subuids). */
#define IDMAP_REGISTRY_DIR "/run/ward-idmap"
#define IDMAP_REGISTRY_LEGACY "allocations.json"
#define IDMAP_LOCK_WAIT_S 10

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
  int map_fd; /* slotmap, opened on first use */
  uint8_t *map; /* 2 x 65536 slot bytes (uid, then gid), or NULL */
};

/* The directory for the invoking user. Caller frees. */
char *idmap_registry_dir(void);

/* Lock (bounded wait) and check.  IDMAP_WRITE: create DIR if needed,
 * exclusive lock, migrate an old allocations.json (an invalid one stops
 * the open).  IDMAP_RELEASE: the same, but an old file that does not
 * validate is left for later: giving back one's own entry needs nothing
 * from it.  IDMAP_READ: a shared lock, and a missing DIR reads as empty. */
enum { IDMAP_READ = 0, IDMAP_WRITE = 1, IDMAP_RELEASE = 2 };
int idmap_registry_open(const char *dir, int mode,
                        struct idmap_registry **out, werr_t *err);
/* Unlock and free. */
void idmap_registry_close(struct idmap_registry *r);

/* The entry recorded for a container or a key: 1 and *out filled, 0 when
 * there is none, -1 when its file does not validate. */
int idmap_registry_find_owner(struct idmap_registry *r, const char *root,
                              const char *id, struct idmap_entry *out,
                              werr_t *err);
int idmap_registry_find_key(struct idmap_registry *r, const char *key,
                            struct idmap_entry *out, werr_t *err);
/* Every entry (sorted by uid base), each file validated. */
int idmap_registry_list(struct idmap_registry *r, struct idmap_entry **out,
                        size_t *n, werr_t *err);
void idmap_entries_free(struct idmap_entry *v, size_t n);

/* Record E: a new entry, or (OLD non-NULL) the new contents of OLD's.  The
 * index is updated around it so that a crash at any point leaves at worst
 * an index file without its entry (cleaned by idmap_registry_sweep), never
 * an entry whose ranges look free. */
int idmap_registry_put(struct idmap_registry *r, const struct idmap_entry *e,
                       const struct idmap_entry *old, werr_t *err);
/* Forget E (entry file, owner link, index). */
int idmap_registry_drop(struct idmap_registry *r, const struct idmap_entry *e,
                        werr_t *err);

/* ---- the index (idmap_slots.c) ----------------------------------------- */

/* Lowest base in POOL for SIZE ids clear of every recorded isolated range
 * and raw id, and of the shared default range (POOL's first 65536).
 * -1 with ENOSPC and *info filled when none. */
int idmap_registry_first_fit(struct idmap_registry *r, bool gid,
                             struct idmap_range pool, uint64_t size,
                             uint64_t *base, struct idmap_free_info *info,
                             werr_t *err);
/* The recorded range (isolated ones only if ISOLATED_ONLY) that overlaps
 * WANT with the lowest base, ignoring entry EXCLUDE (NULL: none): 1 and
 * *o filled (o->owner allocated, "container X in R" / "raw ids of ..."),
 * 0 when none. */
int idmap_registry_overlap(struct idmap_registry *r, bool gid,
                           struct idmap_range want, bool isolated_only,
                           const struct idmap_entry *exclude,
                           struct idmap_used *o, werr_t *err);
/* Reclaim what is provably unused among the entries indexed in the next
 * MAX_SLOTS occupied uid slots (0: all): index files whose entry is gone,
 * and entries whose container's state is gone and whose ids no process
 * uses.  Round-robin across calls. */
int idmap_registry_sweep(struct idmap_registry *r, size_t max_slots,
                         werr_t *err);
/* How many slots each allocation sweeps: enough that a small registry is
 * swept whole every time, few enough to keep an allocation under 1 ms. */
#define IDMAP_SWEEP_SLOTS 4

/* Is any of E's host ids in a process's uid_map or gid_map?  1 and *pid
 * (the first such process), 0 when none.  Walks /proc. */
int idmap_entry_in_use(const struct idmap_entry *e, pid_t *pid);

void idmap_entry_clear(struct idmap_entry *e);
/* "container ID in ROOT", "key NAME (container ID in ROOT)", "key NAME".
 * Caller frees. */
char *idmap_entry_describe(const struct idmap_entry *e);
/* Does the owning container's state directory still exist? */
bool idmap_entry_has_state(const struct idmap_entry *e);
/* The entry's file name under entries/ ("c-HASH" or "k-HASH"). */
#define IDMAP_ENTRY_NAME_LEN 19 /* "c-" + 16 hex + NUL */
void idmap_entry_name(const struct idmap_entry *e,
                      char name[IDMAP_ENTRY_NAME_LEN]);
void idmap_owner_name(const char *root, const char *id,
                      char name[IDMAP_ENTRY_NAME_LEN]);

/* Internal to the registry's two files. */
int idmap_registry_load_name(struct idmap_registry *r, const char *name,
                             struct idmap_entry *out, werr_t *err);
int idmap_slots_add(struct idmap_registry *r, const struct idmap_entry *e,
                    const struct idmap_entry *old, werr_t *err);
int idmap_slots_remove(struct idmap_registry *r, const struct idmap_entry *e,
                       const struct idmap_entry *keep, werr_t *err);
/* Parse the lines of /proc/PID/{uid,gid}_map TEXT: does any line's host
 * range overlap [BASE, BASE + SIZE)? */
bool idmap_map_text_overlaps(const char *text, uint64_t base, uint64_t size);

#endif
