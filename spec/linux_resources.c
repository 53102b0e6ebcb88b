/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parser for LinuxResources.  As in runc, a value of 0 for the memory,
 * shares, quota and period knobs means "not set": writing 0 to those files
 * would either be refused by the kernel or kill the container at once. */
#include "linux_resources.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "xalloc.h"

static int require(yajl_val obj, const char *path, const char *key,
                   werr_t *err) {
  if (json_get(obj, key) == NULL)
    return werr(err, "%s.%s: required", path, key);
  return 0;
}

/* A memory amount: -1 (unlimited), 0 (unset) or a positive byte count. */
static int mem_value(yajl_val obj, const char *path, const char *key, bool *has,
                     int64_t *out, werr_t *err) {
  *has = false;
  if (json_i64_opt(obj, path, key, has, out, err) < 0)
    return -1;
  if (*has && *out < -1)
    return werr(err, "%s.%s: must be -1 (unlimited) or >= 0", path, key);
  if (*has && *out == 0)
    *has = false;
  return 0;
}

static int parse_memory(yajl_val v, const char *path, struct spec_res_memory *m,
                        werr_t *err) {
  if (json_want_object(v, path, err) < 0)
    return -1;
  m->present = true;
  if (mem_value(v, path, "limit", &m->has_limit, &m->limit, err) < 0 ||
      mem_value(v, path, "reservation", &m->has_reservation, &m->reservation,
                err) < 0 ||
      mem_value(v, path, "swap", &m->has_swap, &m->swap, err) < 0 ||
      mem_value(v, path, "kernel", &m->has_kernel, &m->kernel, err) < 0 ||
      mem_value(v, path, "kernelTCP", &m->has_kernelTCP, &m->kernelTCP, err) <
          0)
    return -1;
  if (json_u64_opt(v, path, "swappiness", &m->has_swappiness, &m->swappiness,
                   err) < 0)
    return -1;
  if (m->has_swappiness && m->swappiness > 100)
    return werr(err, "%s.swappiness: must be between 0 and 100", path);
  m->has_disableOOMKiller = json_get(v, "disableOOMKiller") != NULL;
  m->has_useHierarchy = json_get(v, "useHierarchy") != NULL;
  m->has_checkBeforeUpdate = json_get(v, "checkBeforeUpdate") != NULL;
  if (json_bool(v, path, "disableOOMKiller", &m->disableOOMKiller, err) < 0 ||
      json_bool(v, path, "useHierarchy", &m->useHierarchy, err) < 0 ||
      json_bool(v, path, "checkBeforeUpdate", &m->checkBeforeUpdate, err) < 0)
    return -1;
  if (m->has_limit && m->has_swap && m->limit > 0 && m->swap > 0 &&
      m->swap < m->limit)
    return werr(err, "%s.swap: must be >= memory.limit (it limits memory+swap)",
                path);
  return 0;
}

int spec_check_cpuset_list(const char *s) {
  /* "0-3,5,7-8": ranges of decimal numbers, low <= high. */
  const char *p = s;
  if (*p == '\0')
    return -1;
  for (;;) {
    if (!isdigit((unsigned char)*p))
      return -1;
    char *end;
    unsigned long lo = strtoul(p, &end, 10), hi = lo;
    p = end;
    if (*p == '-') {
      p++;
      if (!isdigit((unsigned char)*p))
        return -1;
      hi = strtoul(p, &end, 10);
      p = end;
      if (hi < lo)
        return -1;
    }
    if (lo > 65535 || hi > 65535)
      return -1;
    if (*p == '\0')
      return 0;
    if (*p != ',')
      return -1;
    p++;
  }
}

static int parse_cpu(yajl_val v, const char *path, struct spec_res_cpu *c,
                     werr_t *err) {
  if (json_want_object(v, path, err) < 0)
    return -1;
  c->present = true;
  if (json_u64_opt(v, path, "shares", &c->has_shares, &c->shares, err) < 0 ||
      json_i64_opt(v, path, "quota", &c->has_quota, &c->quota, err) < 0 ||
      json_u64_opt(v, path, "burst", &c->has_burst, &c->burst, err) < 0 ||
      json_u64_opt(v, path, "period", &c->has_period, &c->period, err) < 0 ||
      json_i64_opt(v, path, "realtimeRuntime", &c->has_realtimeRuntime,
                   &c->realtimeRuntime, err) < 0 ||
      json_u64_opt(v, path, "realtimePeriod", &c->has_realtimePeriod,
                   &c->realtimePeriod, err) < 0 ||
      json_i64_opt(v, path, "idle", &c->has_idle, &c->idle, err) < 0 ||
      json_str(v, path, "cpus", &c->cpus, err) < 0 ||
      json_str(v, path, "mems", &c->mems, err) < 0)
    return -1;
  if (c->has_shares && c->shares == 0)
    c->has_shares = false;
  if (c->has_shares && (c->shares < 2 || c->shares > 262144))
    return werr(err, "%s.shares: must be between 2 and 262144", path);
  if (c->has_quota && c->quota == 0)
    c->has_quota = false;
  if (c->has_quota && c->quota != -1 && c->quota < 1000)
    return werr(err, "%s.quota: must be -1 (unlimited) or >= 1000", path);
  if (c->has_period && c->period == 0)
    c->has_period = false;
  if (c->has_period && (c->period < 1000 || c->period > 1000000))
    return werr(err, "%s.period: must be between 1000 and 1000000", path);
  if (c->has_burst && c->has_quota && c->quota > 0 &&
      c->burst > (uint64_t)c->quota)
    return werr(err, "%s.burst: must not be larger than quota", path);
  if (c->has_realtimeRuntime && c->realtimeRuntime < -1)
    return werr(err, "%s.realtimeRuntime: must be -1 or >= 0", path);
  if (c->has_realtimePeriod && c->realtimePeriod == 0)
    c->has_realtimePeriod = false;
  if (c->has_realtimeRuntime && c->has_realtimePeriod &&
      c->realtimeRuntime > 0 &&
      (uint64_t)c->realtimeRuntime > c->realtimePeriod)
    return werr(err,
                "%s.realtimeRuntime: must not be larger than realtimePeriod",
                path);
  if (c->has_idle && c->idle != 0 && c->idle != 1)
    return werr(err, "%s.idle: must be 0 or 1", path);
  if (c->cpus && c->cpus[0] == '\0')
    c->cpus = (free(c->cpus), NULL);
  if (c->mems && c->mems[0] == '\0')
    c->mems = (free(c->mems), NULL);
  if (c->cpus && spec_check_cpuset_list(c->cpus) < 0)
    return werr(err, "%s.cpus: \"%s\" is not a CPU list like \"0-3,5\"", path,
                c->cpus);
  if (c->mems && spec_check_cpuset_list(c->mems) < 0)
    return werr(err, "%s.mems: \"%s\" is not a memory node list like \"0-1\"",
                path, c->mems);
  return 0;
}

static int parse_weight(yajl_val obj, const char *path, const char *key,
                        bool *has, uint16_t *out, werr_t *err) {
  uint64_t u = 0;
  *has = false;
  if (json_u64_opt(obj, path, key, has, &u, err) < 0)
    return -1;
  if (*has && u == 0)
    *has = false;
  if (*has && (u < 10 || u > 1000))
    return werr(err, "%s.%s: must be between 10 and 1000", path, key);
  *out = (uint16_t)u;
  return 0;
}

static int parse_majmin(yajl_val e, const char *p, int64_t *maj, int64_t *min,
                        werr_t *err) {
  if (require(e, p, "major", err) < 0 || require(e, p, "minor", err) < 0 ||
      json_i64(e, p, "major", maj, err) < 0 ||
      json_i64(e, p, "minor", min, err) < 0)
    return -1;
  if (*maj < 0 || *maj > 0xfff)
    return werr(err, "%s.major: must be between 0 and 4095", p);
  if (*min < 0 || *min > 0xfffff)
    return werr(err, "%s.minor: must be between 0 and 1048575", p);
  return 0;
}

static int parse_throttle(yajl_val v, const char *path, const char *key,
                          struct spec_res_throttle_list *l, werr_t *err) {
  yajl_val a = json_get(v, key);
  if (a == NULL)
    return 0;
  _cleanup_free_ char *ap = json_path(path, key);
  if (json_want_array(a, ap, err) < 0)
    return -1;
  l->items = xcalloc(a->u.array.len, sizeof(*l->items));
  for (size_t i = 0; i < a->u.array.len; i++) {
    _cleanup_free_ char *p = json_path_idx(ap, i);
    yajl_val e = a->u.array.values[i];
    struct spec_res_throttle_device *d = &l->items[l->len];
    if (json_want_object(e, p, err) < 0 ||
        parse_majmin(e, p, &d->major, &d->minor, err) < 0 ||
        require(e, p, "rate", err) < 0 ||
        json_u64(e, p, "rate", &d->rate, err) < 0)
      return -1;
    l->len++;
  }
  return 0;
}

static int parse_blockio(yajl_val v, const char *path,
                         struct spec_res_blockio *b, werr_t *err) {
  if (json_want_object(v, path, err) < 0)
    return -1;
  b->present = true;
  if (parse_weight(v, path, "weight", &b->has_weight, &b->weight, err) < 0 ||
      parse_weight(v, path, "leafWeight", &b->has_leafWeight, &b->leafWeight,
                   err) < 0)
    return -1;
  yajl_val a = json_get(v, "weightDevice");
  if (a) {
    _cleanup_free_ char *ap = json_path(path, "weightDevice");
    if (json_want_array(a, ap, err) < 0)
      return -1;
    b->weightDevice = xcalloc(a->u.array.len, sizeof(*b->weightDevice));
    for (size_t i = 0; i < a->u.array.len; i++) {
      _cleanup_free_ char *p = json_path_idx(ap, i);
      yajl_val e = a->u.array.values[i];
      struct spec_res_weight_device *d = &b->weightDevice[b->weightDevice_len];
      if (json_want_object(e, p, err) < 0 ||
          parse_majmin(e, p, &d->major, &d->minor, err) < 0 ||
          parse_weight(e, p, "weight", &d->has_weight, &d->weight, err) < 0 ||
          parse_weight(e, p, "leafWeight", &d->has_leafWeight, &d->leafWeight,
                       err) < 0)
        return -1;
      if (!d->has_weight && !d->has_leafWeight)
        return werr(err, "%s: needs weight or leafWeight", p);
      b->weightDevice_len++;
    }
  }
  if (parse_throttle(v, path, "throttleReadBpsDevice",
                     &b->throttleReadBpsDevice, err) < 0 ||
      parse_throttle(v, path, "throttleWriteBpsDevice",
                     &b->throttleWriteBpsDevice, err) < 0 ||
      parse_throttle(v, path, "throttleReadIOPSDevice",
                     &b->throttleReadIOPSDevice, err) < 0 ||
      parse_throttle(v, path, "throttleWriteIOPSDevice",
                     &b->throttleWriteIOPSDevice, err) < 0)
    return -1;
  return 0;
}

uint64_t spec_hugepage_size_bytes(const char *s) {
  char *end;
  if (!isdigit((unsigned char)s[0]))
    return 0;
  unsigned long long n = strtoull(s, &end, 10);
  uint64_t mult;
  if (strcmp(end, "KB") == 0)
    mult = 1ull << 10;
  else if (strcmp(end, "MB") == 0)
    mult = 1ull << 20;
  else if (strcmp(end, "GB") == 0)
    mult = 1ull << 30;
  else
    return 0;
  if (n == 0 || n > (UINT64_MAX >> 30))
    return 0;
  return n * mult;
}

static int parse_hugepages(yajl_val a, const char *path,
                           struct spec_resources *r, werr_t *err) {
  if (json_want_array(a, path, err) < 0)
    return -1;
  r->hugepageLimits = xcalloc(a->u.array.len, sizeof(*r->hugepageLimits));
  for (size_t i = 0; i < a->u.array.len; i++) {
    _cleanup_free_ char *p = json_path_idx(path, i);
    yajl_val e = a->u.array.values[i];
    struct spec_res_hugepage *h = &r->hugepageLimits[r->hugepageLimits_len];
    r->hugepageLimits_len++;
    if (json_want_object(e, p, err) < 0 || require(e, p, "pageSize", err) < 0 ||
        require(e, p, "limit", err) < 0 ||
        json_str(e, p, "pageSize", &h->pageSize, err) < 0 ||
        json_u64(e, p, "limit", &h->limit, err) < 0)
      return -1;
    if (spec_hugepage_size_bytes(h->pageSize) == 0)
      return werr(err,
                  "%s.pageSize: \"%s\" is not a size like \"2MB\" or \"1GB\"",
                  p, h->pageSize);
  }
  return 0;
}

static int parse_network(yajl_val v, const char *path,
                         struct spec_res_network *n, werr_t *err) {
  if (json_want_object(v, path, err) < 0)
    return -1;
  n->present = true;
  uint64_t cls = 0;
  if (json_u64_opt(v, path, "classID", &n->has_classID, &cls, err) < 0)
    return -1;
  if (cls > UINT32_MAX)
    return werr(err, "%s.classID: must be <= %" PRIu32, path, UINT32_MAX);
  n->classID = (uint32_t)cls;
  yajl_val a = json_get(v, "priorities");
  if (a == NULL)
    return 0;
  _cleanup_free_ char *ap = json_path(path, "priorities");
  if (json_want_array(a, ap, err) < 0)
    return -1;
  n->priorities = xcalloc(a->u.array.len, sizeof(*n->priorities));
  for (size_t i = 0; i < a->u.array.len; i++) {
    _cleanup_free_ char *p = json_path_idx(ap, i);
    yajl_val e = a->u.array.values[i];
    struct spec_res_net_priority *pr = &n->priorities[n->priorities_len];
    n->priorities_len++;
    if (json_want_object(e, p, err) < 0 || require(e, p, "name", err) < 0 ||
        require(e, p, "priority", err) < 0 ||
        json_str(e, p, "name", &pr->name, err) < 0 ||
        json_u32(e, p, "priority", &pr->priority, err) < 0)
      return -1;
    if (pr->name[0] == '\0' || strpbrk(pr->name, " \t\n/") ||
        strlen(pr->name) >= 16)
      return werr(err, "%s.name: \"%s\" is not an interface name", p, pr->name);
  }
  return 0;
}

static int parse_rdma(yajl_val v, const char *path, struct spec_resources *r,
                      werr_t *err) {
  if (json_want_object(v, path, err) < 0)
    return -1;
  r->rdma = xcalloc(v->u.object.len, sizeof(*r->rdma));
  for (size_t i = 0; i < v->u.object.len; i++) {
    const char *dev = v->u.object.keys[i];
    _cleanup_free_ char *p = json_path(path, dev);
    yajl_val e = v->u.object.values[i];
    struct spec_res_rdma *d = &r->rdma[r->rdma_len];
    r->rdma_len++;
    d->device = xstrdup(dev);
    if (dev[0] == '\0' || strpbrk(dev, " \t\n/="))
      return werr(err, "%s: \"%s\" is not an RDMA device name", path, dev);
    uint64_t h = 0, o = 0;
    if (json_want_object(e, p, err) < 0 ||
        json_u64_opt(e, p, "hcaHandles", &d->has_hcaHandles, &h, err) < 0 ||
        json_u64_opt(e, p, "hcaObjects", &d->has_hcaObjects, &o, err) < 0)
      return -1;
    if (h > UINT32_MAX || o > UINT32_MAX)
      return werr(err, "%s: limits must be <= %" PRIu32, p, UINT32_MAX);
    if (!d->has_hcaHandles && !d->has_hcaObjects)
      return werr(err, "%s: needs hcaHandles or hcaObjects", p);
    d->hcaHandles = (uint32_t)h;
    d->hcaObjects = (uint32_t)o;
  }
  return 0;
}

static int parse_unified(yajl_val v, const char *path, struct spec_resources *r,
                         werr_t *err) {
  if (json_strmap(v, path, "unified", &r->unified, err) < 0)
    return -1;
  for (size_t i = 0; i < r->unified.len; i++) {
    const char *k = r->unified.items[i].key;
    /* A key names a file in the container's own cgroup directory, never a
     * path out of it, and never the membership files ward manages. */
    if (k[0] == '\0' || strchr(k, '/') || strchr(k, '.') == NULL || k[0] == '.')
      return werr(err,
                  "%s.unified.%s: not a cgroup v2 file name like "
                  "\"memory.high\"",
                  path, k);
    if (strcmp(k, "cgroup.procs") == 0 || strcmp(k, "cgroup.threads") == 0 ||
        strcmp(k, "cgroup.subtree_control") == 0 ||
        strcmp(k, "cgroup.kill") == 0 || strcmp(k, "cgroup.freeze") == 0)
      return werr(err, "%s.unified.%s: managed by ward, cannot be set", path,
                  k);
  }
  return 0;
}

int spec_device_access_bits(const char *s) {
  int bits = 0;
  for (const char *p = s; *p; p++) {
    int b = *p == 'r'   ? (int)SPEC_DEV_ACC_READ
            : *p == 'w' ? (int)SPEC_DEV_ACC_WRITE
            : *p == 'm' ? (int)SPEC_DEV_ACC_MKNOD
                        : -1;
    if (b < 0 || (bits & b))
      return -1;
    bits |= b;
  }
  return bits;
}

static int parse_devices(yajl_val a, const char *path, struct spec_resources *r,
                         werr_t *err) {
  if (json_want_array(a, path, err) < 0)
    return -1;
  r->has_devices = true;
  r->devices = xcalloc(a->u.array.len, sizeof(*r->devices));
  for (size_t i = 0; i < a->u.array.len; i++) {
    _cleanup_free_ char *p = json_path_idx(path, i);
    yajl_val e = a->u.array.values[i];
    struct spec_res_device_rule *d = &r->devices[r->devices_len];
    _cleanup_free_ char *type = NULL, *access = NULL;
    d->major = d->minor = -1;
    if (json_want_object(e, p, err) < 0 || require(e, p, "allow", err) < 0 ||
        json_bool(e, p, "allow", &d->allow, err) < 0 ||
        json_str(e, p, "type", &type, err) < 0 ||
        json_i64(e, p, "major", &d->major, err) < 0 ||
        json_i64(e, p, "minor", &d->minor, err) < 0 ||
        json_str(e, p, "access", &access, err) < 0)
      return -1;
    if (type == NULL || type[0] == '\0')
      d->type = 'a';
    else if (strlen(type) == 1 && strchr("acb", type[0]))
      d->type = type[0];
    else
      return werr(err, "%s.type: must be \"a\", \"c\" or \"b\"", p);
    if (d->major < -1 || d->major > 0xfff)
      return werr(err, "%s.major: must be -1 (any) or 0..4095", p);
    if (d->minor < -1 || d->minor > 0xfffff)
      return werr(err, "%s.minor: must be -1 (any) or 0..1048575", p);
    int bits = (access == NULL || access[0] == '\0')
                   ? (int)SPEC_DEV_ACC_ALL
                   : spec_device_access_bits(access);
    if (bits < 0)
      return werr(err, "%s.access: \"%s\" must be made of r, w and m", p,
                  access);
    d->access = (unsigned)bits;
    r->devices_len++;
  }
  return 0;
}

int spec_parse_resources(yajl_val v, const char *path,
                         struct spec_resources **out, werr_t *err) {
  if (json_want_object(v, path, err) < 0)
    return -1;
  struct spec_resources *r = xcalloc(1, sizeof(*r));
  yajl_val x;
  _cleanup_free_ char *pm = json_path(path, "memory"),
                      *pc = json_path(path, "cpu"),
                      *pp = json_path(path, "pids"),
                      *pb = json_path(path, "blockIO"),
                      *ph = json_path(path, "hugepageLimits"),
                      *pn = json_path(path, "network"),
                      *pr = json_path(path, "rdma"),
                      *pd = json_path(path, "devices");
  if ((x = json_get(v, "memory")) && parse_memory(x, pm, &r->memory, err) < 0)
    goto fail;
  if ((x = json_get(v, "cpu")) && parse_cpu(x, pc, &r->cpu, err) < 0)
    goto fail;
  if ((x = json_get(v, "pids"))) {
    if (json_want_object(x, pp, err) < 0 || require(x, pp, "limit", err) < 0 ||
        json_i64(x, pp, "limit", &r->pids.limit, err) < 0)
      goto fail;
    r->pids.present = true;
  }
  if ((x = json_get(v, "blockIO")) &&
      parse_blockio(x, pb, &r->blockIO, err) < 0)
    goto fail;
  if ((x = json_get(v, "hugepageLimits")) && parse_hugepages(x, ph, r, err) < 0)
    goto fail;
  if ((x = json_get(v, "network")) &&
      parse_network(x, pn, &r->network, err) < 0)
    goto fail;
  if ((x = json_get(v, "rdma")) && parse_rdma(x, pr, r, err) < 0)
    goto fail;
  if (parse_unified(v, path, r, err) < 0)
    goto fail;
  if ((x = json_get(v, "devices")) && parse_devices(x, pd, r, err) < 0)
    goto fail;
  *out = r;
  return 0;
fail:
  spec_resources_free(r);
  return -1;
}

void spec_resources_allow_devices(struct spec_resources *r,
                                  const struct spec_device *devices, size_t n) {
  if (r == NULL || n == 0)
    return;
  struct spec_res_device_rule *d =
      realloc(r->config_devices, (r->config_devices_len + n) * sizeof(*d));
  if (d == NULL)
    abort();
  r->config_devices = d;
  for (size_t i = 0; i < n; i++) {
    const char *t = devices[i].type;
    char type = (t && (t[0] == 'b')) ? 'b' : 'c';
    /* Pipes have no device cgroup entry. */
    if (t && t[0] == 'p')
      continue;
    d[r->config_devices_len++] = (struct spec_res_device_rule){
        .allow = true,
        .type = type,
        .major = devices[i].major,
        .minor = devices[i].minor,
        .access = SPEC_DEV_ACC_ALL,
    };
  }
}

static void throttle_free(struct spec_res_throttle_list *l) { free(l->items); }

void spec_resources_free(struct spec_resources *r) {
  if (r == NULL)
    return;
  free(r->cpu.cpus);
  free(r->cpu.mems);
  free(r->blockIO.weightDevice);
  throttle_free(&r->blockIO.throttleReadBpsDevice);
  throttle_free(&r->blockIO.throttleWriteBpsDevice);
  throttle_free(&r->blockIO.throttleReadIOPSDevice);
  throttle_free(&r->blockIO.throttleWriteIOPSDevice);
  for (size_t i = 0; i < r->hugepageLimits_len; i++)
    free(r->hugepageLimits[i].pageSize);
  free(r->hugepageLimits);
  for (size_t i = 0; i < r->network.priorities_len; i++)
    free(r->network.priorities[i].name);
  free(r->network.priorities);
  for (size_t i = 0; i < r->rdma_len; i++)
    free(r->rdma[i].device);
  free(r->rdma);
  kvlist_free(&r->unified);
  free(r->devices);
  free(r->config_devices);
  free(r);
}
