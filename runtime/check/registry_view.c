/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The isolated allocations of the host-wide idmap registry, read through
 * its public header only (open with a shared lock, list, close): the one
 * place runtime/check/ depends on the registry, so a new registry
 * internals change nothing else here. */
#include <stdlib.h>
#include <string.h>

#include "check_internal.h"
#include "idmap.h"
#include "utils.h"

int check_isolated_allocs(struct check_allocs *out, werr_t *err) {
  *out = (struct check_allocs){.dir = idmap_registry_dir()};
  struct idmap_registry *reg = NULL;
  if (idmap_registry_open(out->dir, IDMAP_READ, &reg, err) < 0)
    return -1;
  struct idmap_entry *items = NULL;
  size_t n = 0;
  int rc = idmap_registry_list(reg, &items, &n, err);
  idmap_registry_close(reg);
  if (rc < 0)
    return -1;
  out->items = xmalloc0((n + 1) * sizeof(*out->items));
  for (size_t i = 0; i < n; i++) {
    const struct idmap_entry *x = &items[i];
    if (x->uid_size == 0 || x->kind == NULL ||
        strcmp(x->kind, IDMAP_KIND_ISOLATED) != 0)
      continue;
    out->items[out->len++] = (struct check_alloc){
        .root = x->root ? xstrdup(x->root) : NULL,
        .id = x->id ? xstrdup(x->id) : NULL,
        .uid_base = x->uid_base,
        .uid_size = x->uid_size};
  }
  idmap_entries_free(items, n);
  return 0;
}

void check_allocs_free(struct check_allocs *a) {
  for (size_t i = 0; i < a->len; i++) {
    free(a->items[i].root);
    free(a->items[i].id);
  }
  free(a->items);
  free(a->dir);
  *a = (struct check_allocs){0};
}
