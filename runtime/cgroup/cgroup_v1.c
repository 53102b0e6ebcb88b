/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.resources on cgroup v1 controllers: the runtime-spec names are the
 * v1 ones, so this is mostly a table of file names plus the ordering rules
 * the kernel imposes (memory <= memory+swap at every step). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_plan.h"
#include "cleanup.h"

/* v1 reports "unlimited" as a page-rounded LONG_MAX. */
static uint64_t v1_limit(int64_t v) { return v < 0 ? UINT64_MAX : (uint64_t)v; }
static bool v1_unlimited(uint64_t v) { return v >= (1ull << 62); }

int cg_v1_plan_memory(const struct cg_hier *hr, const struct spec_res_memory *m,
                      const char *path, bool update, struct cg_plan *p,
                      werr_t *err) {
  const char *dir = hr->dir;
  _cleanup_free_ char *fl = json_path(path, "limit"),
                      *fs = json_path(path, "swap");
  bool has_memsw = cg_exists(dir, "memory.memsw.limit_in_bytes");
  if (m->has_swap && !has_memsw)
    return cg_unsupported(err, fs, "swap accounting disabled: %s/%s missing",
                          dir, "memory.memsw.limit_in_bytes");
  if (m->has_limit && m->limit > 0 && update && m->has_checkBeforeUpdate &&
      m->checkBeforeUpdate) {
    uint64_t usage = 0;
    if (cg_read_u64(dir, "memory.usage_in_bytes", &usage) == 0 &&
        usage > (uint64_t)m->limit)
      return werr(err,
                  "%s: %" PRId64 " is below the current usage %" PRIu64
                  " (checkBeforeUpdate)",
                  fl, m->limit, usage);
  }
  uint64_t cur_swap = UINT64_MAX;
  if (has_memsw &&
      cg_read_u64(dir, "memory.memsw.limit_in_bytes", &cur_swap) == 0 &&
      v1_unlimited(cur_swap))
    cur_swap = UINT64_MAX;
  /* The kernel keeps limit <= memsw at every step: lower the limit first
   * when it fits under the current memsw, else raise memsw first. */
  if (m->has_limit && !m->has_swap && v1_limit(m->limit) > cur_swap)
    return werr(err,
                "%s: %" PRId64
                " is above the current memory+swap limit %" PRIu64
                " (set swap as well)",
                fl, m->limit, cur_swap);
  bool limit_first =
      !m->has_swap || !m->has_limit || v1_limit(m->limit) <= cur_swap;
  if (m->has_limit && limit_first)
    cg_plan_add(p, dir, "memory.limit_in_bytes", fl, true, "%" PRId64,
                m->limit);
  if (m->has_swap)
    cg_plan_add(p, dir, "memory.memsw.limit_in_bytes", fs, true, "%" PRId64,
                m->swap);
  if (m->has_limit && !limit_first)
    cg_plan_add(p, dir, "memory.limit_in_bytes", fl, true, "%" PRId64,
                m->limit);
  if (m->has_reservation) {
    _cleanup_free_ char *f = json_path(path, "reservation");
    cg_plan_add(p, dir, "memory.soft_limit_in_bytes", f, true, "%" PRId64,
                m->reservation);
  }
  if (m->has_kernel) {
    _cleanup_free_ char *f = json_path(path, "kernel");
    if (!cg_exists(dir, "memory.kmem.limit_in_bytes")) {
      if (m->kernel != -1)
        cg_deprecated_ignored(f, "cgroup v1 kmem disabled");
    } else {
      cg_plan_add(p, dir, "memory.kmem.limit_in_bytes", f, true, "%" PRId64,
                  m->kernel);
      p->ops[p->n - 1].check = CG_CHECK_KMEM;
    }
  }
  if (m->has_kernelTCP) {
    _cleanup_free_ char *f = json_path(path, "kernelTCP");
    if (!cg_exists(dir, "memory.kmem.tcp.limit_in_bytes")) {
      if (m->kernelTCP != -1)
        cg_deprecated_ignored(f, "cgroup v1 kmem.tcp disabled");
    } else {
      cg_plan_add(p, dir, "memory.kmem.tcp.limit_in_bytes", f, true, "%" PRId64,
                  m->kernelTCP);
    }
  }
  if (m->has_swappiness) {
    _cleanup_free_ char *f = json_path(path, "swappiness");
    cg_plan_add(p, dir, "memory.swappiness", f, true, "%" PRIu64,
                m->swappiness);
  }
  if (m->has_disableOOMKiller) {
    _cleanup_free_ char *f = json_path(path, "disableOOMKiller");
    cg_plan_add(p, dir, "memory.oom_control", f, false, "%d",
                m->disableOOMKiller ? 1 : 0);
  }
  if (m->has_useHierarchy) {
    _cleanup_free_ char *f = json_path(path, "useHierarchy");
    uint64_t cur = 0;
    /* Since Linux 5.11 the file reads 1 and refuses 0. */
    if (cg_read_u64(dir, "memory.use_hierarchy", &cur) == 0 &&
        cur == (m->useHierarchy ? 1u : 0u))
      return 0;
    cg_plan_add(p, dir, "memory.use_hierarchy", f, true, "%d",
                m->useHierarchy ? 1 : 0);
  }
  return 0;
}

static int need(const char *dir, const char *file, const char *field,
                const char *why, werr_t *err) {
  if (cg_exists(dir, file))
    return 0;
  return cg_unsupported(err, field, "%s: %s/%s missing", why, dir, file);
}

int cg_v1_plan_cpu(const struct cg_hier *hr, const struct spec_res_cpu *c,
                   const char *path, struct cg_plan *p, werr_t *err) {
  const char *dir = hr->dir;
  if (c->has_shares) {
    _cleanup_free_ char *f = json_path(path, "shares");
    cg_plan_add(p, dir, "cpu.shares", f, true, "%" PRIu64, c->shares);
  }
  if (c->has_period) {
    _cleanup_free_ char *f = json_path(path, "period");
    if (need(dir, "cpu.cfs_period_us", f, "no CFS bandwidth control", err) < 0)
      return -1;
    cg_plan_add(p, dir, "cpu.cfs_period_us", f, true, "%" PRIu64, c->period);
  }
  if (c->has_quota) {
    _cleanup_free_ char *f = json_path(path, "quota");
    if (need(dir, "cpu.cfs_quota_us", f, "no CFS bandwidth control", err) < 0)
      return -1;
    cg_plan_add(p, dir, "cpu.cfs_quota_us", f, true, "%" PRId64, c->quota);
  }
  if (c->has_burst) {
    _cleanup_free_ char *f = json_path(path, "burst");
    if (need(dir, "cpu.cfs_burst_us", f, "kernel without CFS burst", err) < 0)
      return -1;
    cg_plan_add(p, dir, "cpu.cfs_burst_us", f, true, "%" PRIu64, c->burst);
  }
  if (c->has_realtimePeriod) {
    _cleanup_free_ char *f = json_path(path, "realtimePeriod");
    if (need(dir, "cpu.rt_period_us", f, "kernel without RT group scheduling",
             err) < 0)
      return -1;
    cg_plan_add(p, dir, "cpu.rt_period_us", f, true, "%" PRIu64,
                c->realtimePeriod);
  }
  if (c->has_realtimeRuntime) {
    _cleanup_free_ char *f = json_path(path, "realtimeRuntime");
    if (need(dir, "cpu.rt_runtime_us", f, "kernel without RT group scheduling",
             err) < 0)
      return -1;
    cg_plan_add(p, dir, "cpu.rt_runtime_us", f, true, "%" PRId64,
                c->realtimeRuntime);
  }
  if (c->has_idle) {
    _cleanup_free_ char *f = json_path(path, "idle");
    if (need(dir, "cpu.idle", f, "kernel without SCHED_IDLE groups", err) < 0)
      return -1;
    cg_plan_add(p, dir, "cpu.idle", f, true, "%" PRId64, c->idle);
  }
  return 0;
}

static const char *pick(const char *dir, const char *a, const char *b) {
  if (cg_exists(dir, a))
    return a;
  if (b && cg_exists(dir, b))
    return b;
  return NULL;
}

static void plan_throttle(const char *dir, const char *file, const char *path,
                          const char *key,
                          const struct spec_res_throttle_list *l,
                          struct cg_plan *p) {
  _cleanup_free_ char *f = json_path(path, key);
  for (size_t i = 0; i < l->len; i++) {
    _cleanup_free_ char *fi = json_path_idx(f, i);
    cg_plan_add(p, dir, file, fi, false, "%" PRId64 ":%" PRId64 " %" PRIu64,
                l->items[i].major, l->items[i].minor, l->items[i].rate);
  }
}

int cg_v1_plan_blockio(const struct cg_hier *hr,
                       const struct spec_res_blockio *b, const char *path,
                       struct cg_plan *p, werr_t *err) {
  const char *dir = hr->dir;
  if (b->has_weight) {
    _cleanup_free_ char *f = json_path(path, "weight");
    const char *file = pick(dir, "blkio.weight", "blkio.bfq.weight");
    if (file == NULL)
      return cg_unsupported(err, f,
                            "no blkio.weight or blkio.bfq.weight in %s: "
                            "no CFQ/BFQ I/O scheduler",
                            dir);
    cg_plan_add(p, dir, file, f, true, "%u", (unsigned)b->weight);
  }
  if (b->has_leafWeight) {
    _cleanup_free_ char *f = json_path(path, "leafWeight");
    if (need(dir, "blkio.leaf_weight", f, "no CFQ I/O scheduler", err) < 0)
      return -1;
    cg_plan_add(p, dir, "blkio.leaf_weight", f, true, "%u",
                (unsigned)b->leafWeight);
  }
  if (b->weightDevice_len) {
    _cleanup_free_ char *f = json_path(path, "weightDevice");
    const char *wfile =
        pick(dir, "blkio.weight_device", "blkio.bfq.weight_device");
    for (size_t i = 0; i < b->weightDevice_len; i++) {
      const struct spec_res_weight_device *d = &b->weightDevice[i];
      _cleanup_free_ char *fi = json_path_idx(f, i);
      if (d->has_weight) {
        if (wfile == NULL)
          return cg_unsupported(err, fi,
                                "no blkio.weight_device in %s: no CFQ/BFQ I/O "
                                "scheduler",
                                dir);
        cg_plan_add(p, dir, wfile, fi, false, "%" PRId64 ":%" PRId64 " %u",
                    d->major, d->minor, (unsigned)d->weight);
      }
      if (d->has_leafWeight) {
        if (need(dir, "blkio.leaf_weight_device", fi, "no CFQ I/O scheduler",
                 err) < 0)
          return -1;
        cg_plan_add(p, dir, "blkio.leaf_weight_device", fi, false,
                    "%" PRId64 ":%" PRId64 " %u", d->major, d->minor,
                    (unsigned)d->leafWeight);
      }
    }
  }
  static const struct {
    const char *key, *file;
  } th[] = {
      {"throttleReadBpsDevice", "blkio.throttle.read_bps_device"},
      {"throttleWriteBpsDevice", "blkio.throttle.write_bps_device"},
      {"throttleReadIOPSDevice", "blkio.throttle.read_iops_device"},
      {"throttleWriteIOPSDevice", "blkio.throttle.write_iops_device"},
  };
  const struct spec_res_throttle_list *lists[] = {
      &b->throttleReadBpsDevice, &b->throttleWriteBpsDevice,
      &b->throttleReadIOPSDevice, &b->throttleWriteIOPSDevice};
  for (size_t k = 0; k < 4; k++) {
    if (lists[k]->len == 0)
      continue;
    _cleanup_free_ char *f = json_path(path, th[k].key);
    if (need(dir, th[k].file, f, "no blkio throttling", err) < 0)
      return -1;
    plan_throttle(dir, th[k].file, path, th[k].key, lists[k], p);
  }
  return 0;
}

static void rule_text(const struct spec_res_device_rule *r, char *buf,
                      size_t len) {
  if (r->type == 'a') {
    snprintf(buf, len, "a");
    return;
  }
  char maj[24] = "*", min[24] = "*", acc[4];
  size_t k = 0;
  if (r->major >= 0)
    snprintf(maj, sizeof(maj), "%" PRId64, r->major);
  if (r->minor >= 0)
    snprintf(min, sizeof(min), "%" PRId64, r->minor);
  if (r->access & SPEC_DEV_ACC_READ)
    acc[k++] = 'r';
  if (r->access & SPEC_DEV_ACC_WRITE)
    acc[k++] = 'w';
  if (r->access & SPEC_DEV_ACC_MKNOD)
    acc[k++] = 'm';
  acc[k] = '\0';
  snprintf(buf, len, "%c %s:%s %s", r->type, maj, min, acc);
}

int cg_v1_plan_devices(const struct cg_hier *hr, const struct spec_resources *r,
                       const char *path, struct cg_plan *p, werr_t *err) {
  (void)err;
  size_t n;
  _cleanup_free_ struct spec_res_device_rule *rules = cg_device_rules(r, &n);
  /* Start from deny-all, as the eBPF program on v2 does, so one config
   * means the same device list on every layout. */
  cg_plan_add(p, hr->dir, "devices.deny", path, false, "a");
  for (size_t i = 0; i < n; i++) {
    char text[64];
    _cleanup_free_ char *f =
        i < r->devices_len ? json_path_idx(path, i) : strdup(path);
    if (f == NULL)
      abort();
    rule_text(&rules[i], text, sizeof(text));
    cg_plan_add(p, hr->dir, rules[i].allow ? "devices.allow" : "devices.deny",
                f, false, "%s", text);
  }
  return 0;
}
