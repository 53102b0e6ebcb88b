/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.resources on the cgroup v2 unified hierarchy.  The runtime-spec
 * speaks v1, so values are converted the way runc and crun do; a knob v2
 * has no equivalent for is refused, except where the value asks for the v2
 * behaviour anyway (kernel: -1, useHierarchy: true, disableOOMKiller:
 * false). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_plan.h"
#include "cleanup.h"

/* runc's ConvertCPUSharesToCgroupV2Value: [2, 262144] -> [1, 10000]. */
uint64_t cg_shares_to_weight(uint64_t shares) {
  if (shares == 0)
    return 0;
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

/* runc's ConvertBlkIOToIOWeightValue: [10, 1000] -> [1, 10000]. */
uint64_t cg_blkio_to_io_weight(uint64_t weight) {
  if (weight == 0)
    return 0;
  return 1 + (weight - 10) * 9999 / 990;
}

static int need(const char *dir, const char *file, const char *field,
                const char *why, werr_t *err) {
  if (cg_exists(dir, file))
    return 0;
  return cg_unsupported(err, field, "%s: %s/%s missing", why, dir, file);
}

static void fmt_max(char *buf, size_t len, int64_t v) {
  if (v < 0)
    snprintf(buf, len, "max");
  else
    snprintf(buf, len, "%" PRId64, v);
}

int cg_v2_plan_memory(const struct cg_hier *hr, const struct spec_res_memory *m,
                      const char *path, bool update, struct cg_plan *p,
                      werr_t *err) {
  const char *dir = hr->dir;
  _cleanup_free_ char *fl = json_path(path, "limit"),
                      *fs = json_path(path, "swap");
  char buf[32];
  if (m->has_limit && m->limit > 0 && update && m->has_checkBeforeUpdate &&
      m->checkBeforeUpdate) {
    uint64_t usage = 0;
    if (cg_read_u64(dir, "memory.current", &usage) == 0 &&
        usage > (uint64_t)m->limit)
      return werr(err,
                  "%s: %" PRId64 " is below the current usage %" PRIu64
                  " (checkBeforeUpdate)",
                  fl, m->limit, usage);
  }
  /* memory.swap.max counts swap only; the spec's swap is memory+swap. */
  bool set_swap = false;
  char swapbuf[32];
  if (m->has_swap) {
    if (m->swap == -1) {
      snprintf(swapbuf, sizeof(swapbuf), "max");
    } else if (!m->has_limit || m->limit == -1) {
      return werr(err,
                  "%s: needs a memory limit on cgroup v2 (memory.swap.max = "
                  "swap - limit)",
                  fs);
    } else {
      snprintf(swapbuf, sizeof(swapbuf), "%" PRId64, m->swap - m->limit);
    }
    set_swap = true;
  } else if (m->has_limit && m->limit == -1) {
    /* Unlimited memory without a swap value: unlimited swap too, as on v1
     * where memsw follows. */
    snprintf(swapbuf, sizeof(swapbuf), "max");
    set_swap = cg_exists(dir, "memory.swap.max");
  }
  if (m->has_swap &&
      need(dir, "memory.swap.max", fs, "swap accounting disabled", err) < 0)
    return -1;
  if (m->has_limit) {
    if (need(dir, "memory.max", fl, "memory controller not enabled", err) < 0)
      return -1;
    fmt_max(buf, sizeof(buf), m->limit);
    cg_plan_add(p, dir, "memory.max", fl, true, "%s", buf);
  }
  if (set_swap)
    cg_plan_add(p, dir, "memory.swap.max", fs, true, "%s", swapbuf);
  if (m->has_reservation) {
    _cleanup_free_ char *f = json_path(path, "reservation");
    if (need(dir, "memory.low", f, "memory controller not enabled", err) < 0)
      return -1;
    fmt_max(buf, sizeof(buf), m->reservation);
    cg_plan_add(p, dir, "memory.low", f, true, "%s", buf);
  }
  if (m->has_kernel && m->kernel != -1) {
    _cleanup_free_ char *f = json_path(path, "kernel");
    cg_deprecated_ignored(f, "cgroup v2 has no kernel memory limit");
  }
  if (m->has_kernelTCP && m->kernelTCP != -1) {
    _cleanup_free_ char *f = json_path(path, "kernelTCP");
    cg_deprecated_ignored(f, "cgroup v2 has no kernel TCP memory limit");
  }
  if (m->has_swappiness) {
    _cleanup_free_ char *f = json_path(path, "swappiness");
    return cg_unsupported(err, f, "cgroup v2 has no per-cgroup swappiness");
  }
  if (m->has_disableOOMKiller && m->disableOOMKiller) {
    _cleanup_free_ char *f = json_path(path, "disableOOMKiller");
    return cg_unsupported(err, f, "cgroup v2 cannot disable the OOM killer");
  }
  if (m->has_useHierarchy && !m->useHierarchy) {
    _cleanup_free_ char *f = json_path(path, "useHierarchy");
    return cg_unsupported(err, f,
                          "cgroup v2 accounting is always "
                          "hierarchical");
  }
  return 0;
}

int cg_v2_plan_cpu(const struct cg_hier *hr, const struct spec_res_cpu *c,
                   const char *path, struct cg_plan *p, werr_t *err) {
  const char *dir = hr->dir;
  if (c->has_shares) {
    _cleanup_free_ char *f = json_path(path, "shares");
    if (need(dir, "cpu.weight", f, "cpu controller not enabled", err) < 0)
      return -1;
    cg_plan_add(p, dir, "cpu.weight", f, true, "%" PRIu64,
                cg_shares_to_weight(c->shares));
  }
  if (c->has_quota || c->has_period) {
    _cleanup_free_ char *f = json_path(path, c->has_quota ? "quota" : "period");
    if (need(dir, "cpu.max", f, "cpu controller not enabled", err) < 0)
      return -1;
    /* cpu.max holds both: keep the half that was not given. */
    char quota[32] = "max";
    uint64_t period = 100000;
    _cleanup_free_ char *cur = NULL;
    _cleanup_werr_ werr_t e = NULL;
    if (cg_read(dir, "cpu.max", &cur, &e) == 0) {
      char q[32];
      unsigned long long pp;
      if (sscanf(cur, "%31s %llu", q, &pp) == 2) {
        snprintf(quota, sizeof(quota), "%s", q);
        period = pp;
      }
    }
    if (c->has_quota)
      fmt_max(quota, sizeof(quota), c->quota);
    if (c->has_period)
      period = c->period;
    cg_plan_add(p, dir, "cpu.max", f, true, "%s %" PRIu64, quota, period);
  }
  if (c->has_burst) {
    _cleanup_free_ char *f = json_path(path, "burst");
    if (need(dir, "cpu.max.burst", f, "kernel without CFS burst", err) < 0)
      return -1;
    cg_plan_add(p, dir, "cpu.max.burst", f, true, "%" PRIu64, c->burst);
  }
  if (c->has_realtimeRuntime || c->has_realtimePeriod) {
    _cleanup_free_ char *f = json_path(
        path, c->has_realtimeRuntime ? "realtimeRuntime" : "realtimePeriod");
    return cg_unsupported(err, f, "cgroup v2 has no realtime CPU bandwidth");
  }
  if (c->has_idle) {
    _cleanup_free_ char *f = json_path(path, "idle");
    if (need(dir, "cpu.idle", f, "kernel without SCHED_IDLE groups", err) < 0)
      return -1;
    cg_plan_add(p, dir, "cpu.idle", f, true, "%" PRId64, c->idle);
  }
  return 0;
}

int cg_v2_plan_blockio(const struct cg_hier *hr,
                       const struct spec_res_blockio *b, const char *path,
                       struct cg_plan *p, werr_t *err) {
  const char *dir = hr->dir;
  /* BFQ takes the v1 range as is; io.weight needs the conversion. */
  bool bfq = cg_exists(dir, "io.bfq.weight");
  bool iow = cg_exists(dir, "io.weight");
  if (b->has_weight) {
    _cleanup_free_ char *f = json_path(path, "weight");
    if (bfq)
      cg_plan_add(p, dir, "io.bfq.weight", f, false, "%u", (unsigned)b->weight);
    else if (iow)
      cg_plan_add(p, dir, "io.weight", f, false, "default %" PRIu64,
                  cg_blkio_to_io_weight(b->weight));
    else
      return cg_unsupported(err, f, "no io.weight or io.bfq.weight in %s", dir);
  }
  if (b->has_leafWeight) {
    _cleanup_free_ char *f = json_path(path, "leafWeight");
    return cg_unsupported(err, f, "cgroup v2 has no leaf weights");
  }
  _cleanup_free_ char *fw = json_path(path, "weightDevice");
  for (size_t i = 0; i < b->weightDevice_len; i++) {
    const struct spec_res_weight_device *d = &b->weightDevice[i];
    _cleanup_free_ char *fi = json_path_idx(fw, i);
    if (d->has_leafWeight)
      return cg_unsupported(err, fi, "cgroup v2 has no leaf weights");
    if (bfq)
      cg_plan_add(p, dir, "io.bfq.weight", fi, false,
                  "%" PRId64 ":%" PRId64 " %u", d->major, d->minor,
                  (unsigned)d->weight);
    else if (iow)
      cg_plan_add(p, dir, "io.weight", fi, false,
                  "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
                  cg_blkio_to_io_weight(d->weight));
    else
      return cg_unsupported(err, fi, "no io.weight or io.bfq.weight in %s",
                            dir);
  }
  static const struct {
    const char *key, *name;
  } th[] = {
      {"throttleReadBpsDevice", "rbps"},
      {"throttleWriteBpsDevice", "wbps"},
      {"throttleReadIOPSDevice", "riops"},
      {"throttleWriteIOPSDevice", "wiops"},
  };
  const struct spec_res_throttle_list *lists[] = {
      &b->throttleReadBpsDevice, &b->throttleWriteBpsDevice,
      &b->throttleReadIOPSDevice, &b->throttleWriteIOPSDevice};
  for (size_t k = 0; k < 4; k++) {
    _cleanup_free_ char *f = json_path(path, th[k].key);
    for (size_t i = 0; i < lists[k]->len; i++) {
      const struct spec_res_throttle_device *d = &lists[k]->items[i];
      _cleanup_free_ char *fi = json_path_idx(f, i);
      if (need(dir, "io.max", fi, "io controller not enabled", err) < 0)
        return -1;
      char rate[32] = "max";
      if (d->rate)
        snprintf(rate, sizeof(rate), "%" PRIu64, d->rate);
      cg_plan_add(p, dir, "io.max", fi, false, "%" PRId64 ":%" PRId64 " %s=%s",
                  d->major, d->minor, th[k].name, rate);
    }
  }
  return 0;
}

int cg_v2_plan_unified(const struct cgroup_handle *h, const struct cg_hier *hr,
                       const struct kvlist *u, const char *path,
                       struct cg_plan *p, werr_t *err) {
  for (size_t i = 0; i < u->len; i++) {
    const char *key = u->items[i].key;
    _cleanup_free_ char *f = json_path(path, key);
    if (!cg_exists(hr->dir, key)) {
      char ctrl[64];
      snprintf(ctrl, sizeof(ctrl), "%.*s", (int)strcspn(key, "."), key);
      if (cg_v1(h, ctrl))
        return cg_unsupported(err, f, "the %s controller is bound to cgroup v1",
                              ctrl);
      if (strcmp(ctrl, "cgroup") != 0 && !strv_contains(hr->controllers, ctrl))
        return cg_unsupported(err, f,
                              "the %s controller is not available in "
                              "cgroup v2 at %s",
                              ctrl, hr->mnt);
      return werr_code(err, ENOENT, "%s: %s/%s", f, hr->dir, key);
    }
    cg_plan_add(p, hr->dir, key, f, true, "%s", u->items[i].value);
  }
  return 0;
}
