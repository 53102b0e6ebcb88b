/* SPDX-License-Identifier: GPL-2.0-or-later */
/* From linux.resources to a plan: which hierarchy each section goes to on
 * this host (the section table), and the sections whose files are the
 * same on v1 and v2. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_plan.h"
#include "cleanup.h"

static int check_subset(const char *list, const char *parent_list) {
  /* Both are valid lists (the parser checked LIST); compare as bitmaps. */
  unsigned char want[65536 / 8] = {0}, have[65536 / 8] = {0};
  const char *lists[2] = {list, parent_list};
  unsigned char *maps[2] = {want, have};
  for (int k = 0; k < 2; k++) {
    const char *q = lists[k];
    while (*q) {
      char *end;
      unsigned long lo = strtoul(q, &end, 10), hi = lo;
      if (end == q)
        break;
      q = end;
      if (*q == '-')
        hi = strtoul(q + 1, &end, 10), q = end;
      for (unsigned long b = lo; b <= hi && b < 65536; b++)
        maps[k][b / 8] |= (unsigned char)(1u << (b % 8));
      if (*q == ',')
        q++;
      else if (*q)
        break;
    }
  }
  for (size_t i = 0; i < sizeof(want); i++)
    if (want[i] & ~have[i])
      return -1;
  return 0;
}

static int cg_plan_cpuset(const struct cg_hier *hr, const struct spec_res_cpu *c,
                   const char *path, struct cg_plan *p, werr_t *err) {
  const char *vals[2] = {c->cpus, c->mems};
  const char *names[2] = {"cpus", "mems"};
  const char *files[2] = {"cpuset.cpus", "cpuset.mems"};
  const char *eff[2] = {"cpuset.effective_cpus", "cpuset.effective_mems"};
  _cleanup_free_ char *parent = strdup(hr->dir);
  if (parent == NULL)
    abort();
  char *slash = strrchr(parent, '/');
  if (slash && slash != parent)
    *slash = '\0';
  for (int i = 0; i < 2; i++) {
    if (vals[i] == NULL)
      continue;
    _cleanup_free_ char *f = json_path(path, names[i]);
    _cleanup_free_ char *avail = NULL;
    _cleanup_werr_ werr_t e = NULL;
    if (!cg_exists(hr->dir, files[i]))
      return cg_unsupported(err, f, "%s/%s is missing", hr->dir, files[i]);
    if (cg_read(parent, eff[i], &avail, &e) == 0 && avail[0] &&
        check_subset(vals[i], avail) < 0)
      return werr(err, "%s: \"%s\" is not within the available \"%s\"", f,
                  vals[i], avail);
    cg_plan_add(p, hr->dir, files[i], f, true, "%s", vals[i]);
  }
  return 0;
}

static int plan_pids(const struct cgroup_handle *h,
                     const struct spec_res_pids *pd, const char *path,
                     struct cg_plan *p, werr_t *err) {
  _cleanup_free_ char *f = json_path(path, "limit");
  const struct cg_hier *hr = cg_v1(h, "pids");
  if (hr == NULL)
    hr = cg_v2_with(h, "pids");
  if (hr == NULL)
    return cg_unsupported(err, f, "no pids controller");
  if (!cg_exists(hr->dir, "pids.max"))
    return cg_unsupported(err, f, "%s/pids.max is missing", hr->dir);
  if (pd->limit > 0)
    cg_plan_add(p, hr->dir, "pids.max", f, true, "%" PRId64, pd->limit);
  else
    cg_plan_add(p, hr->dir, "pids.max", f, true, "max");
  return 0;
}

static int plan_hugetlb(const struct cgroup_handle *h,
                        const struct spec_resources *r, const char *path,
                        struct cg_plan *p, werr_t *err) {
  const struct cg_hier *hr = cg_v1(h, "hugetlb");
  if (hr == NULL)
    hr = cg_v2_with(h, "hugetlb");
  for (size_t i = 0; i < r->hugepageLimits_len; i++) {
    const struct spec_res_hugepage *l = &r->hugepageLimits[i];
    _cleanup_free_ char *lp = json_path_idx(path, i);
    _cleanup_free_ char *f = json_path(lp, "limit");
    _cleanup_free_ char *max = NULL, *rsvd = NULL;
    if (hr == NULL)
      return cg_unsupported(err, f, "no hugetlb controller");
    const char *suffix = hr->v2 ? "max" : "limit_in_bytes";
    if (asprintf(&max, "hugetlb.%s.%s", l->pageSize, suffix) < 0 ||
        asprintf(&rsvd, "hugetlb.%s.rsvd.%s", l->pageSize, suffix) < 0)
      abort();
    if (!cg_exists(hr->dir, max)) {
      _cleanup_free_ char *ps = json_path(lp, "pageSize");
      return cg_unsupported(err, ps, "no %s huge pages: %s/%s is missing",
                            l->pageSize, hr->dir, max);
    }
    /* Reservation limits where the kernel has them (never SIGBUS after a
     * successful mmap), the fault-time limit always, as runc does. */
    if (cg_exists(hr->dir, rsvd))
      cg_plan_add(p, hr->dir, rsvd, f, true, "%" PRIu64, l->limit);
    cg_plan_add(p, hr->dir, max, f, true, "%" PRIu64, l->limit);
  }
  return 0;
}

static int plan_network(const struct cgroup_handle *h,
                        const struct spec_res_network *n, const char *path,
                        struct cg_plan *p, werr_t *err) {
  if (n->has_classID) {
    _cleanup_free_ char *f = json_path(path, "classID");
    const struct cg_hier *hr = cg_v1(h, "net_cls");
    if (hr == NULL)
      return cg_unsupported(err, f,
                            h->layout == CG_LAYOUT_V2
                                ? "net_cls exists only in cgroup v1"
                                : "net_cls controller not mounted");
    cg_plan_add(p, hr->dir, "net_cls.classid", f, true, "%" PRIu32, n->classID);
  }
  if (n->priorities_len == 0)
    return 0;
  _cleanup_free_ char *f = json_path(path, "priorities");
  const struct cg_hier *hr = cg_v1(h, "net_prio");
  if (hr == NULL)
    return cg_unsupported(err, f,
                          h->layout == CG_LAYOUT_V2
                              ? "net_prio exists only in cgroup v1"
                              : "net_prio controller not mounted");
  for (size_t i = 0; i < n->priorities_len; i++) {
    _cleanup_free_ char *fi = json_path_idx(f, i);
    cg_plan_add(p, hr->dir, "net_prio.ifpriomap", fi, false, "%s %" PRIu32,
                n->priorities[i].name, n->priorities[i].priority);
  }
  return 0;
}

static int plan_rdma(const struct cgroup_handle *h,
                     const struct spec_resources *r, const char *path,
                     struct cg_plan *p, werr_t *err) {
  const struct cg_hier *hr = cg_v1(h, "rdma");
  if (hr == NULL)
    hr = cg_v2_with(h, "rdma");
  for (size_t i = 0; i < r->rdma_len; i++) {
    const struct spec_res_rdma *d = &r->rdma[i];
    _cleanup_free_ char *f = json_path(path, d->device);
    if (hr == NULL)
      return cg_unsupported(err, f, "no rdma controller");
    char hh[32] = "max", ho[32] = "max";
    if (d->has_hcaHandles)
      snprintf(hh, sizeof(hh), "%" PRIu32, d->hcaHandles);
    if (d->has_hcaObjects)
      snprintf(ho, sizeof(ho), "%" PRIu32, d->hcaObjects);
    cg_plan_add(p, hr->dir, "rdma.max", f, false,
                "%s hca_handle=%s hca_object=%s", d->device, hh, ho);
  }
  return 0;
}

static int plan_devices(const struct cgroup_handle *h,
                        const struct spec_resources *r, const char *path,
                        struct cg_plan *p, werr_t *err) {
  _cleanup_free_ char *f = json_path(path, "devices");
  const struct cg_hier *hr = cg_v1(h, "devices");
  if (hr)
    return cg_v1_plan_devices(hr, r, f, p, err);
  hr = cg_v2(h);
  if (hr == NULL)
    return cg_unsupported(err, f, "no devices controller and no cgroup v2");
  size_t n;
  _cleanup_free_ struct spec_res_device_rule *rules = cg_device_rules(r, &n);
  p->bpf_prog = cg_bpf_load(rules, n, err);
  if (p->bpf_prog < 0)
    return werr_prefix(err, "%s", f);
  p->bpf_dir = strdup(hr->dir);
  p->bpf_field = strdup(f);
  if (p->bpf_dir == NULL || p->bpf_field == NULL)
    abort();
  return 0;
}

static int plan_memory(const struct cgroup_handle *h,
                       const struct spec_resources *r, const char *f,
                       bool update, struct cg_plan *p, werr_t *err) {
  const struct cg_hier *hr;
  if ((hr = cg_v1(h, "memory")))
    return cg_v1_plan_memory(hr, &r->memory, f, update, p, err);
  if ((hr = cg_v2_with(h, "memory")))
    return cg_v2_plan_memory(hr, &r->memory, f, update, p, err);
  return cg_unsupported(err, f, "no memory controller");
}

static int plan_cpu(const struct cgroup_handle *h,
                    const struct spec_resources *r, const char *f,
                    bool update, struct cg_plan *p, werr_t *err) {
  (void)update;
  const struct spec_res_cpu *c = &r->cpu;
  bool cpu_knobs = c->has_shares || c->has_quota || c->has_period ||
                   c->has_burst || c->has_realtimeRuntime ||
                   c->has_realtimePeriod || c->has_idle;
  const struct cg_hier *hr;
  if (cpu_knobs) {
    if ((hr = cg_v1(h, "cpu"))) {
      if (cg_v1_plan_cpu(hr, c, f, p, err) < 0)
        return -1;
    } else if ((hr = cg_v2_with(h, "cpu"))) {
      if (cg_v2_plan_cpu(hr, c, f, p, err) < 0)
        return -1;
    } else {
      return cg_unsupported(err, f, "no cpu controller");
    }
  }
  if (c->cpus || c->mems) {
    _cleanup_free_ char *fs = json_path(f, c->cpus ? "cpus" : "mems");
    if ((hr = cg_v1(h, "cpuset")) || (hr = cg_v2_with(h, "cpuset")))
      return cg_plan_cpuset(hr, c, f, p, err);
    return cg_unsupported(err, fs, "no cpuset controller");
  }
  return 0;
}

static int plan_pids_section(const struct cgroup_handle *h,
                             const struct spec_resources *r, const char *f,
                             bool update, struct cg_plan *p, werr_t *err) {
  (void)update;
  return plan_pids(h, &r->pids, f, p, err);
}

static int plan_blockio(const struct cgroup_handle *h,
                        const struct spec_resources *r, const char *f,
                        bool update, struct cg_plan *p, werr_t *err) {
  (void)update;
  const struct cg_hier *hr;
  if ((hr = cg_v1(h, "blkio")))
    return cg_v1_plan_blockio(hr, &r->blockIO, f, p, err);
  if ((hr = cg_v2_with(h, "io")))
    return cg_v2_plan_blockio(hr, &r->blockIO, f, p, err);
  return cg_unsupported(err, f, "no blkio/io controller");
}

static int plan_hugetlb_section(const struct cgroup_handle *h,
                                const struct spec_resources *r, const char *f,
                                bool update, struct cg_plan *p, werr_t *err) {
  (void)update;
  return plan_hugetlb(h, r, f, p, err);
}

static int plan_network_section(const struct cgroup_handle *h,
                                const struct spec_resources *r, const char *f,
                                bool update, struct cg_plan *p, werr_t *err) {
  (void)update;
  return plan_network(h, &r->network, f, p, err);
}

static int plan_rdma_section(const struct cgroup_handle *h,
                             const struct spec_resources *r, const char *f,
                             bool update, struct cg_plan *p, werr_t *err) {
  (void)update;
  return plan_rdma(h, r, f, p, err);
}

static int plan_unified(const struct cgroup_handle *h,
                        const struct spec_resources *r, const char *f,
                        bool update, struct cg_plan *p, werr_t *err) {
  (void)update;
  const struct cg_hier *hr = cg_v2(h);
  if (hr == NULL)
    return werr(err, "%s: requires cgroup v2 (this host has only v1)", f);
  return cg_v2_plan_unified(h, hr, &r->unified, f, p, err);
}

static bool has_memory(const struct spec_resources *r) {
  return r->memory.present;
}
static bool has_cpu(const struct spec_resources *r) { return r->cpu.present; }
static bool has_pids(const struct spec_resources *r) {
  return r->pids.present;
}
static bool has_blockio(const struct spec_resources *r) {
  return r->blockIO.present;
}
static bool has_hugetlb(const struct spec_resources *r) {
  return r->hugepageLimits_len > 0;
}
static bool has_network(const struct spec_resources *r) {
  return r->network.present;
}
static bool has_rdma(const struct spec_resources *r) {
  return r->rdma_len > 0;
}
static bool has_unified(const struct spec_resources *r) {
  return r->unified.len > 0;
}

/* The one table of linux.resources sections, in the order they are
 * planned: a new section is a row here (and its parser in spec/). Devices
 * are not a row: they are planned last, and only where a cgroup can
 * enforce them (see cg_plan_resources). */
static const struct {
  const char *name;
  bool (*given)(const struct spec_resources *r);
  int (*plan)(const struct cgroup_handle *h, const struct spec_resources *r,
              const char *field, bool update, struct cg_plan *p, werr_t *err);
} sections[] = {
    {"memory", has_memory, plan_memory},
    {"cpu", has_cpu, plan_cpu},
    {"pids", has_pids, plan_pids_section},
    {"blockIO", has_blockio, plan_blockio},
    {"hugepageLimits", has_hugetlb, plan_hugetlb_section},
    {"network", has_network, plan_network_section},
    {"rdma", has_rdma, plan_rdma_section},
    {"unified", has_unified, plan_unified},
};

bool cg_resources_need_limits(const struct spec_resources *r) {
  if (r == NULL)
    return false;
  for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
    if (sections[i].given(r))
      return true;
  return false;
}

int cg_plan_resources(const struct cgroup_handle *h,
                      const struct spec_resources *r, const char *path,
                      bool update, struct cg_plan *p, werr_t *err) {
  if (r == NULL)
    return 0;
  for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
    if (!sections[i].given(r))
      continue;
    _cleanup_free_ char *f = json_path(path, sections[i].name);
    if (sections[i].plan(h, r, f, update, p, err) < 0)
      return -1;
  }
  /* Last: a half-applied device list is the worst place to fail.
   * Rootless, device nodes are bind mounts of the host's and the filter
   * cannot be installed: skipped, as runc does. */
  if (r->has_devices && !h->rootless && plan_devices(h, r, path, p, err) < 0)
    return -1;
  return 0;
}
