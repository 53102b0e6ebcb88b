/* SPDX-License-Identifier: GPL-2.0-or-later */
/* From linux.resources to a list of file writes: which hierarchy each knob
 * goes to on this host, the file helpers, and applying a plan with
 * rollback. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "cleanup.h"

static char *join(const char *dir, const char *file) {
  char *s;
  if (asprintf(&s, "%s/%s", dir, file) < 0)
    abort();
  return s;
}

int cg_write(const char *dir, const char *file, const char *value,
             werr_t *err) {
  _cleanup_free_ char *p = join(dir, file);
  _cleanup_close_ int fd = open(p, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return werr_sys(err, "open %s", p);
  size_t len = strlen(value);
  ssize_t w = write(fd, value, len);
  if (w < 0)
    return werr_sys(err, "write %s", p);
  if ((size_t)w != len)
    return werr_code(err, EIO, "write %s: short write", p);
  return 0;
}

int cg_read(const char *dir, const char *file, char **out, werr_t *err) {
  _cleanup_free_ char *p = join(dir, file);
  _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return werr_sys(err, "open %s", p);
  char *buf;
  size_t len;
  if (read_all_fd(fd, &buf, &len, err) < 0)
    return werr_prefix(err, "%s", p);
  while (len > 0 && buf[len - 1] == '\n')
    buf[--len] = '\0';
  *out = buf;
  return 0;
}

bool cg_exists(const char *dir, const char *file) {
  _cleanup_free_ char *p = join(dir, file);
  return access(p, F_OK) == 0;
}

int cg_read_u64(const char *dir, const char *file, uint64_t *out) {
  _cleanup_free_ char *s = NULL;
  _cleanup_werr_ werr_t e = NULL;
  if (cg_read(dir, file, &s, &e) < 0)
    return -1;
  if (strcmp(s, "max") == 0) {
    *out = UINT64_MAX;
    return 0;
  }
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s)
    return -1;
  *out = v;
  return 0;
}

int cg_read_key(const char *dir, const char *file, const char *key,
                uint64_t *out) {
  _cleanup_free_ char *s = NULL;
  _cleanup_werr_ werr_t e = NULL;
  if (cg_read(dir, file, &s, &e) < 0)
    return -1;
  size_t kl = strlen(key);
  for (char *line = s; line && *line;) {
    char *nl = strchr(line, '\n');
    if (nl)
      *nl = '\0';
    if (strncmp(line, key, kl) == 0 && line[kl] == ' ') {
      *out = strtoull(line + kl + 1, NULL, 10);
      return 0;
    }
    line = nl ? nl + 1 : NULL;
  }
  return -1;
}

int cg_unsupported(werr_t *err, const char *field, const char *why, ...) {
  char *w = NULL;
  va_list ap;
  va_start(ap, why);
  if (vasprintf(&w, why, ap) < 0)
    abort();
  va_end(ap);
  werr_code(err, EOPNOTSUPP, "%s: not supported on this host (%s)", field, w);
  free(w);
  return -1;
}

void cg_plan_init(struct cg_plan *p) {
  memset(p, 0, sizeof(*p));
  p->bpf_prog = -1;
}

void cg_plan_free(struct cg_plan *p) {
  for (size_t i = 0; i < p->n; i++) {
    free(p->ops[i].dir);
    free(p->ops[i].file);
    free(p->ops[i].value);
    free(p->ops[i].field);
    free(p->ops[i].old);
  }
  free(p->ops);
  if (p->bpf_prog >= 0)
    close(p->bpf_prog);
  free(p->bpf_dir);
  free(p->bpf_field);
  cg_plan_init(p);
}

void cg_plan_add(struct cg_plan *p, const char *dir, const char *file,
                 const char *field, bool restore, const char *fmt, ...) {
  struct cg_op *ops = realloc(p->ops, (p->n + 1) * sizeof(*ops));
  if (ops == NULL)
    abort();
  p->ops = ops;
  struct cg_op *o = &p->ops[p->n++];
  memset(o, 0, sizeof(*o));
  o->dir = strdup(dir);
  o->file = strdup(file);
  o->field = strdup(field);
  if (o->dir == NULL || o->file == NULL || o->field == NULL)
    abort();
  o->restore = restore;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&o->value, fmt, ap) < 0)
    abort();
  va_end(ap);
}

/* memory.kmem.limit_in_bytes is still there on kernels >= 6.1 but writes to
 * it are accepted and ignored: read back to tell. */
static int check_kmem(const struct cg_op *o, werr_t *err) {
  uint64_t now = 0;
  if (strcmp(o->value, "-1") == 0)
    return 0;
  if (cg_read_u64(o->dir, o->file, &now) < 0)
    return werr(err, "%s: cannot read back %s/%s", o->field, o->dir, o->file);
  if (now >= (1ull << 62))
    return cg_unsupported(err, o->field, "cgroup v1 kmem disabled");
  return 0;
}

static void rollback(struct cg_plan *p, size_t upto) {
  for (size_t i = upto; i-- > 0;) {
    struct cg_op *o = &p->ops[i];
    if (o->old == NULL)
      continue;
    _cleanup_werr_ werr_t e = NULL;
    (void)cg_write(o->dir, o->file, o->old, &e);
  }
}

int cg_plan_apply(struct cg_plan *p, werr_t *err) {
  for (size_t i = 0; i < p->n; i++) {
    struct cg_op *o = &p->ops[i];
    if (o->restore) {
      _cleanup_werr_ werr_t e = NULL;
      if (cg_read(o->dir, o->file, &o->old, &e) < 0)
        o->old = NULL;
    }
    if (cg_write(o->dir, o->file, o->value, err) < 0) {
      werr_prefix(err, "%s", o->field);
      rollback(p, i + 1);
      return -1;
    }
    if (o->check == CG_CHECK_KMEM && check_kmem(o, err) < 0) {
      rollback(p, i + 1);
      return -1;
    }
  }
  if (p->bpf_prog >= 0 && cg_bpf_attach(p->bpf_dir, p->bpf_prog, err) < 0) {
    werr_prefix(err, "%s", p->bpf_field);
    rollback(p, p->n);
    return -1;
  }
  return 0;
}

/* runc's AllowedDevices: mknod of anything, the standard character
 * devices, ptys and /dev/net/tun. */
static const struct spec_res_device_rule default_devices[] = {
    {true, 'c', -1, -1, SPEC_DEV_ACC_MKNOD},
    {true, 'b', -1, -1, SPEC_DEV_ACC_MKNOD},
    {true, 'c', 1, 3, SPEC_DEV_ACC_ALL},    /* null */
    {true, 'c', 1, 8, SPEC_DEV_ACC_ALL},    /* random */
    {true, 'c', 1, 7, SPEC_DEV_ACC_ALL},    /* full */
    {true, 'c', 5, 0, SPEC_DEV_ACC_ALL},    /* tty */
    {true, 'c', 1, 5, SPEC_DEV_ACC_ALL},    /* zero */
    {true, 'c', 1, 9, SPEC_DEV_ACC_ALL},    /* urandom */
    {true, 'c', 136, -1, SPEC_DEV_ACC_ALL}, /* pts */
    {true, 'c', 5, 2, SPEC_DEV_ACC_ALL},    /* ptmx */
    {true, 'c', 10, 200, SPEC_DEV_ACC_ALL}, /* net/tun */
};

struct spec_res_device_rule *cg_device_rules(const struct spec_resources *r,
                                             size_t *n) {
  size_t nd = sizeof(default_devices) / sizeof(default_devices[0]);
  size_t total = r->devices_len + nd + r->config_devices_len;
  struct spec_res_device_rule *v = calloc(total, sizeof(*v));
  if (v == NULL)
    abort();
  if (r->devices_len)
    memcpy(v, r->devices, r->devices_len * sizeof(*v));
  memcpy(v + r->devices_len, default_devices, sizeof(default_devices));
  if (r->config_devices_len)
    memcpy(v + r->devices_len + nd, r->config_devices,
           r->config_devices_len * sizeof(*v));
  *n = total;
  return v;
}

/* cpuset.cpus and cpuset.mems have the same names and syntax on v1 and v2;
 * check them against what the parent may hand out so a typo is refused
 * before anything is written. */
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

int cg_plan_cpuset(const struct cg_hier *hr, const struct spec_res_cpu *c,
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
  _cleanup_free_ char *f = json_path(path, "pids.limit");
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

int cg_plan_resources(const struct cgroup_handle *h,
                      const struct spec_resources *r, const char *path,
                      bool update, struct cg_plan *p, werr_t *err) {
  if (r == NULL)
    return 0;
  if (r->memory.present) {
    _cleanup_free_ char *f = json_path(path, "memory");
    const struct cg_hier *hr;
    if ((hr = cg_v1(h, "memory"))) {
      if (cg_v1_plan_memory(hr, &r->memory, f, update, p, err) < 0)
        return -1;
    } else if ((hr = cg_v2_with(h, "memory"))) {
      if (cg_v2_plan_memory(hr, &r->memory, f, update, p, err) < 0)
        return -1;
    } else {
      return cg_unsupported(err, f, "no memory controller");
    }
  }
  if (r->cpu.present) {
    _cleanup_free_ char *f = json_path(path, "cpu");
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
      if ((hr = cg_v1(h, "cpuset"))) {
        if (cg_plan_cpuset(hr, c, f, p, err) < 0)
          return -1;
      } else if ((hr = cg_v2_with(h, "cpuset"))) {
        if (cg_plan_cpuset(hr, c, f, p, err) < 0)
          return -1;
      } else {
        return cg_unsupported(err, fs, "no cpuset controller");
      }
    }
  }
  if (r->pids.present && plan_pids(h, &r->pids, path, p, err) < 0)
    return -1;
  if (r->blockIO.present) {
    _cleanup_free_ char *f = json_path(path, "blockIO");
    const struct cg_hier *hr;
    if ((hr = cg_v1(h, "blkio"))) {
      if (cg_v1_plan_blockio(hr, &r->blockIO, f, p, err) < 0)
        return -1;
    } else if ((hr = cg_v2_with(h, "io"))) {
      if (cg_v2_plan_blockio(hr, &r->blockIO, f, p, err) < 0)
        return -1;
    } else {
      return cg_unsupported(err, f, "no blkio/io controller");
    }
  }
  if (r->hugepageLimits_len) {
    _cleanup_free_ char *f = json_path(path, "hugepageLimits");
    if (plan_hugetlb(h, r, f, p, err) < 0)
      return -1;
  }
  if (r->network.present) {
    _cleanup_free_ char *f = json_path(path, "network");
    if (plan_network(h, &r->network, f, p, err) < 0)
      return -1;
  }
  if (r->rdma_len) {
    _cleanup_free_ char *f = json_path(path, "rdma");
    if (plan_rdma(h, r, f, p, err) < 0)
      return -1;
  }
  if (r->unified.len) {
    _cleanup_free_ char *f = json_path(path, "unified");
    const struct cg_hier *hr = cg_v2(h);
    if (hr == NULL)
      return werr(err, "%s: requires cgroup v2 (this host has only v1)", f);
    if (cg_v2_plan_unified(h, hr, &r->unified, f, p, err) < 0)
      return -1;
  }
  /* Last: a half-applied device list is the worst place to fail.
   * Rootless, device nodes are bind mounts of the host's and the filter
   * cannot be installed: skipped, as runc does. */
  if (r->has_devices && !h->rootless && plan_devices(h, r, path, p, err) < 0)
    return -1;
  return 0;
}
