/* SPDX-License-Identifier: GPL-2.0-or-later */
/* From linux.resources to a plan (cgroup_layout.h): cgroup_plan.c says
 * which hierarchy each section goes to on this host, cgroup_v1.c and
 * cgroup_v2.c turn a section into that version's files.  Resources are
 * planned first (every file checked, every value converted, the eBPF
 * device program loaded) and applied second. */
#ifndef WARD_CGROUP_PLAN_H
#define WARD_CGROUP_PLAN_H

#include "cgroup_layout.h"

/* Does R ask for any limit (anything but devices) a cgroup must exist for? */
bool cg_resources_need_limits(const struct spec_resources *r);
/* Plans for one layout.  PATH is "linux.resources" or "resources".
 * UPDATE: the cgroup already runs a container (checkBeforeUpdate). */
int cg_plan_resources(const struct cgroup_handle *h,
                      const struct spec_resources *r, const char *path,
                      bool update, struct cg_plan *p, werr_t *err);
int cg_v1_plan_memory(const struct cg_hier *hr, const struct spec_res_memory *m,
                      const char *path, bool update, struct cg_plan *p,
                      werr_t *err);
int cg_v1_plan_cpu(const struct cg_hier *hr, const struct spec_res_cpu *c,
                   const char *path, struct cg_plan *p, werr_t *err);
int cg_v1_plan_blockio(const struct cg_hier *hr,
                       const struct spec_res_blockio *b, const char *path,
                       struct cg_plan *p, werr_t *err);
int cg_v1_plan_devices(const struct cg_hier *hr, const struct spec_resources *r,
                       const char *path, struct cg_plan *p, werr_t *err);
int cg_v2_plan_memory(const struct cg_hier *hr, const struct spec_res_memory *m,
                      const char *path, bool update, struct cg_plan *p,
                      werr_t *err);
int cg_v2_plan_cpu(const struct cg_hier *hr, const struct spec_res_cpu *c,
                   const char *path, struct cg_plan *p, werr_t *err);
int cg_v2_plan_blockio(const struct cg_hier *hr,
                       const struct spec_res_blockio *b, const char *path,
                       struct cg_plan *p, werr_t *err);
int cg_v2_plan_unified(const struct cgroup_handle *h, const struct cg_hier *hr,
                       const struct kvlist *u, const char *path,
                       struct cg_plan *p, werr_t *err);
/* Conversions used on v2 (documented in the README). */
uint64_t cg_shares_to_weight(uint64_t shares);
uint64_t cg_blkio_to_io_weight(uint64_t weight);

#endif
