/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pure part of isolated idmap allocation: given the host pool and the
 * ranges already taken, find a free range (first fit over the free gaps,
 * sorted by base) or say why there is none.  No I/O. */
#ifndef WARD_IDMAP_ALLOC_H
#define WARD_IDMAP_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "ward_error.h"

/* Half-open host id range [base, base + size).  64-bit so that base + size
 * never overflows for any 32-bit id. */
struct idmap_range {
  uint64_t base, size;
};

/* A taken range and who holds it ("container t-1", "the shared default
 * range", "key web"), for error messages. */
struct idmap_used {
  uint64_t base, size;
  const char *owner;
};

/* How much of POOL is still free, for "no room" messages. */
struct idmap_free_info {
  uint64_t total;   /* ids free in all gaps together */
  uint64_t largest; /* the biggest single gap */
  size_t gaps;
};

/* Lowest base b with [b, b + size) inside POOL and clear of every USED
 * range (in any order, may overlap each other or lie outside POOL).
 * Returns 0 and *base, or -1 with ENOSPC and *info filled.  O(n log n). */
int idmap_alloc_first_fit(struct idmap_range pool,
                          const struct idmap_used *used, size_t n,
                          uint64_t size, uint64_t *base,
                          struct idmap_free_info *info);

/* The first USED range (lowest base) that overlaps WANT, or NULL. */
const struct idmap_used *idmap_alloc_overlap(const struct idmap_used *used,
                                             size_t n, struct idmap_range want);

/* Is WANT entirely inside POOL? */
static inline int idmap_range_within(struct idmap_range pool,
                                     struct idmap_range want) {
  return want.base >= pool.base &&
         want.base + want.size <= pool.base + pool.size;
}

#endif
