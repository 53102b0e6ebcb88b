/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host's cgroup hierarchies without a container, for `ward check`:
 * the same detection create uses, so the doctor sees what ward sees. */
#include <stdlib.h>

#include "cgroup_layout.h"
#include "utils.h"

int cgroup_host(struct cgroup_handle **out, werr_t *err) {
  struct cgroup_handle *h = xmalloc0(sizeof(*h));
  if (cg_detect(h, err) < 0) {
    cgroup_handle_free(h);
    return -1;
  }
  *out = h;
  return 0;
}

bool cgroup_hier_at(const struct cgroup_handle *h, size_t i,
                    struct cgroup_hier_info *out) {
  if (i >= h->n)
    return false;
  *out = (struct cgroup_hier_info){.name = h->h[i].name,
                                   .mnt = h->h[i].mnt,
                                   .v2 = h->h[i].v2,
                                   .controllers = h->h[i].controllers};
  return true;
}
