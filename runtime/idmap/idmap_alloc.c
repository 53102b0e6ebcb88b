/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "idmap_alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int cmp_used_base(const void *a, const void *b) {
  const struct idmap_used *x = a, *y = b;
  if (x->base != y->base)
    return x->base < y->base ? -1 : 1;
  return 0;
}

int idmap_alloc_first_fit(struct idmap_range pool,
                          const struct idmap_used *used, size_t n,
                          uint64_t size, uint64_t *base,
                          struct idmap_free_info *info) {
  struct idmap_free_info fi = {0};
  struct idmap_used *sorted = NULL;
  if (n) {
    sorted = malloc(n * sizeof(*sorted));
    if (sorted == NULL)
      abort();
    memcpy(sorted, used, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), cmp_used_base);
  }

  /* Walk the gaps between taken ranges from the pool's start: `cursor` is
   * the first id not known to be taken. */
  uint64_t pool_end = pool.base + pool.size;
  uint64_t cursor = pool.base;
  int found = 0;
  for (size_t i = 0; i <= n; i++) {
    uint64_t gap_end = pool_end;
    if (i < n) {
      if (sorted[i].size == 0)
        continue;
      gap_end = sorted[i].base < pool_end ? sorted[i].base : pool_end;
    }
    if (gap_end > cursor) {
      uint64_t gap = gap_end - cursor;
      if (!found && size > 0 && gap >= size) {
        *base = cursor;
        found = 1;
      }
      fi.total += gap;
      fi.gaps++;
      if (gap > fi.largest)
        fi.largest = gap;
    }
    if (i < n) {
      uint64_t end = sorted[i].base + sorted[i].size;
      if (end > cursor)
        cursor = end;
    }
    if (cursor >= pool_end)
      break;
  }
  free(sorted);
  if (info)
    *info = fi;
  if (!found) {
    errno = ENOSPC;
    return -1;
  }
  return 0;
}

const struct idmap_used *idmap_alloc_overlap(const struct idmap_used *used,
                                             size_t n,
                                             struct idmap_range want) {
  const struct idmap_used *best = NULL;
  for (size_t i = 0; i < n; i++) {
    const struct idmap_used *u = &used[i];
    if (u->size == 0 || want.size == 0)
      continue;
    if (u->base < want.base + want.size && want.base < u->base + u->size)
      if (best == NULL || u->base < best->base)
        best = u;
  }
  return best;
}
