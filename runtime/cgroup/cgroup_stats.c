/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Statistics in runc's `events` format (types.Stats), read from whichever
 * hierarchy holds each controller, and the OOM notification source. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "json.h"
#include "cgroup_layout.h"
#include "cleanup.h"


static void kv(yajl_gen g, const char *k, uint64_t v) {
  json_gen_str(g, k);
  /* yajl integers are signed; "unlimited" is UINT64_MAX in runc's output. */
  char buf[32];
  int n = snprintf(buf, sizeof(buf), "%" PRIu64, v);
  yajl_gen_number(g, buf, (size_t)n);
}

static void kv_nz(yajl_gen g, const char *k, uint64_t v) {
  if (v)
    kv(g, k, v);
}

static uint64_t rd(const char *dir, const char *file) {
  uint64_t v = 0;
  if (dir == NULL || cg_read_u64(dir, file, &v) < 0)
    return 0;
  return v;
}

static uint64_t rdk(const char *dir, const char *file, const char *key) {
  uint64_t v = 0;
  if (dir == NULL || cg_read_key(dir, file, key, &v) < 0)
    return 0;
  return v;
}

static void u64_list(yajl_gen g, const char *k, const char *dir,
                     const char *file) {
  _cleanup_free_ char *s = NULL;
  _cleanup_werr_ werr_t e = NULL;
  if (cg_read(dir, file, &s, &e) < 0 || s[0] == '\0')
    return;
  json_gen_str(g, k);
  yajl_gen_array_open(g);
  char *save = NULL;
  for (char *t = strtok_r(s, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
    yajl_gen_number(g, t, strlen(t));
  yajl_gen_array_close(g);
}

static void cpu_stats(yajl_gen g, const struct cgroup_handle *h) {
  const struct cg_hier *acct = cg_v1(h, "cpuacct"), *cpu = cg_v1(h, "cpu"),
                       *v2 = cg_v2(h);
  json_gen_str(g, "cpu");
  yajl_gen_map_open(g);
  json_gen_str(g, "usage");
  yajl_gen_map_open(g);
  if (acct) {
    long hz = sysconf(_SC_CLK_TCK);
    uint64_t tick = hz > 0 ? 1000000000ull / (uint64_t)hz : 10000000ull;
    kv_nz(g, "total", rd(acct->dir, "cpuacct.usage"));
    u64_list(g, "percpu", acct->dir, "cpuacct.usage_percpu");
    u64_list(g, "percpu_kernel", acct->dir, "cpuacct.usage_percpu_sys");
    u64_list(g, "percpu_user", acct->dir, "cpuacct.usage_percpu_user");
    kv(g, "kernel", rdk(acct->dir, "cpuacct.stat", "system") * tick);
    kv(g, "user", rdk(acct->dir, "cpuacct.stat", "user") * tick);
  } else if (v2) {
    kv_nz(g, "total", rdk(v2->dir, "cpu.stat", "usage_usec") * 1000);
    kv(g, "kernel", rdk(v2->dir, "cpu.stat", "system_usec") * 1000);
    kv(g, "user", rdk(v2->dir, "cpu.stat", "user_usec") * 1000);
  }
  yajl_gen_map_close(g);
  json_gen_str(g, "throttling");
  yajl_gen_map_open(g);
  const char *tdir = cpu ? cpu->dir : (v2 ? v2->dir : NULL);
  kv_nz(g, "periods", rdk(tdir, "cpu.stat", "nr_periods"));
  kv_nz(g, "throttledPeriods", rdk(tdir, "cpu.stat", "nr_throttled"));
  kv_nz(g, "throttledTime",
        cpu ? rdk(tdir, "cpu.stat", "throttled_time")
            : rdk(tdir, "cpu.stat", "throttled_usec") * 1000);
  yajl_gen_map_close(g);
  yajl_gen_map_close(g);
}

static void mem_entry(yajl_gen g, const char *k, uint64_t limit, uint64_t usage,
                      uint64_t max, uint64_t failcnt) {
  json_gen_str(g, k);
  yajl_gen_map_open(g);
  kv(g, "limit", limit);
  kv_nz(g, "usage", usage);
  kv_nz(g, "max", max);
  kv(g, "failcnt", failcnt);
  yajl_gen_map_close(g);
}

/* memory.stat as "raw"; returns the value of CACHE_KEY. */
static uint64_t raw_stats(yajl_gen g, const char *dir, const char *cache_key) {
  _cleanup_free_ char *s = NULL;
  _cleanup_werr_ werr_t e = NULL;
  uint64_t cache = 0;
  if (cg_read(dir, "memory.stat", &s, &e) < 0)
    return 0;
  json_gen_str(g, "raw");
  yajl_gen_map_open(g);
  char *save = NULL;
  for (char *line = strtok_r(s, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    char *sp = strchr(line, ' ');
    if (sp == NULL)
      continue;
    *sp = '\0';
    uint64_t v = strtoull(sp + 1, NULL, 10);
    kv(g, line, v);
    if (strcmp(line, cache_key) == 0)
      cache = v;
  }
  yajl_gen_map_close(g);
  return cache;
}

static void memory_stats(yajl_gen g, const struct cgroup_handle *h) {
  const struct cg_hier *v1 = cg_v1(h, "memory"), *v2 = cg_v2_with(h, "memory");
  json_gen_str(g, "memory");
  yajl_gen_map_open(g);
  if (v1) {
    const char *d = v1->dir;
    uint64_t cache = raw_stats(g, d, "total_cache");
    kv_nz(g, "cache", cache);
    mem_entry(g, "usage", rd(d, "memory.limit_in_bytes"),
              rd(d, "memory.usage_in_bytes"),
              rd(d, "memory.max_usage_in_bytes"), rd(d, "memory.failcnt"));
    mem_entry(g, "swap", rd(d, "memory.memsw.limit_in_bytes"),
              rd(d, "memory.memsw.usage_in_bytes"),
              rd(d, "memory.memsw.max_usage_in_bytes"),
              rd(d, "memory.memsw.failcnt"));
    mem_entry(g, "kernel", rd(d, "memory.kmem.limit_in_bytes"),
              rd(d, "memory.kmem.usage_in_bytes"),
              rd(d, "memory.kmem.max_usage_in_bytes"),
              rd(d, "memory.kmem.failcnt"));
    mem_entry(g, "kernelTCP", rd(d, "memory.kmem.tcp.limit_in_bytes"),
              rd(d, "memory.kmem.tcp.usage_in_bytes"),
              rd(d, "memory.kmem.tcp.max_usage_in_bytes"),
              rd(d, "memory.kmem.tcp.failcnt"));
  } else if (v2) {
    const char *d = v2->dir;
    uint64_t cache = raw_stats(g, d, "file");
    kv_nz(g, "cache", cache);
    uint64_t usage = rd(d, "memory.current");
    mem_entry(g, "usage", rd(d, "memory.max"), usage, rd(d, "memory.peak"),
              rdk(d, "memory.events", "max"));
    /* Like runc: swap is reported as memory+swap, v1's meaning. */
    uint64_t swmax = rd(d, "memory.swap.max");
    uint64_t mmax = rd(d, "memory.max");
    mem_entry(g, "swap",
              swmax == UINT64_MAX || mmax == UINT64_MAX ? UINT64_MAX
                                                        : swmax + mmax,
              usage + rd(d, "memory.swap.current"), 0,
              rdk(d, "memory.swap.events", "max"));
  }
  yajl_gen_map_close(g);
}

static void pids_stats(yajl_gen g, const struct cgroup_handle *h) {
  const struct cg_hier *x = cg_v1(h, "pids");
  if (x == NULL)
    x = cg_v2_with(h, "pids");
  json_gen_str(g, "pids");
  yajl_gen_map_open(g);
  if (x) {
    uint64_t max = rd(x->dir, "pids.max");
    kv_nz(g, "current", rd(x->dir, "pids.current"));
    kv_nz(g, "limit", max == UINT64_MAX ? 0 : max);
  }
  yajl_gen_map_close(g);
}

static void blkio_entries(yajl_gen g, const char *key, const char *dir,
                          const char *file) {
  _cleanup_free_ char *s = NULL;
  _cleanup_werr_ werr_t e = NULL;
  if (cg_read(dir, file, &s, &e) < 0 || s[0] == '\0')
    return;
  json_gen_str(g, key);
  yajl_gen_array_open(g);
  char *save = NULL;
  for (char *line = strtok_r(s, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    unsigned maj, min;
    char op[32];
    unsigned long long v;
    if (sscanf(line, "%u:%u %31s %llu", &maj, &min, op, &v) != 4)
      continue; /* "Total N" */
    yajl_gen_map_open(g);
    kv_nz(g, "major", maj);
    kv_nz(g, "minor", min);
    json_gen_str(g, "op");
    json_gen_str(g, op);
    kv_nz(g, "value", v);
    yajl_gen_map_close(g);
  }
  yajl_gen_array_close(g);
}

/* v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0". */
static void io_stat(yajl_gen g, const char *dir) {
  _cleanup_free_ char *s = NULL;
  _cleanup_werr_ werr_t e = NULL;
  if (cg_read(dir, "io.stat", &s, &e) < 0 || s[0] == '\0')
    return;
  static const struct {
    const char *key, *rd, *wr;
  } kinds[] = {{"ioServiceBytesRecursive", "rbytes", "wbytes"},
               {"ioServicedRecursive", "rios", "wios"}};
  for (size_t k = 0; k < 2; k++) {
    json_gen_str(g, kinds[k].key);
    yajl_gen_array_open(g);
    _cleanup_free_ char *copy = strdup(s);
    if (copy == NULL)
      abort();
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
      unsigned maj, min;
      if (sscanf(line, "%u:%u", &maj, &min) != 2)
        continue;
      const char *names[2] = {kinds[k].rd, kinds[k].wr};
      const char *ops[2] = {"Read", "Write"};
      for (int i = 0; i < 2; i++) {
        char pat[32];
        snprintf(pat, sizeof(pat), " %s=", names[i]);
        char *at = strstr(line, pat);
        yajl_gen_map_open(g);
        kv_nz(g, "major", maj);
        kv_nz(g, "minor", min);
        json_gen_str(g, "op");
        json_gen_str(g, ops[i]);
        kv_nz(g, "value", at ? strtoull(at + strlen(pat), NULL, 10) : 0);
        yajl_gen_map_close(g);
      }
    }
    yajl_gen_array_close(g);
  }
}

static void blkio_stats(yajl_gen g, const struct cgroup_handle *h) {
  const struct cg_hier *v1 = cg_v1(h, "blkio"), *v2 = cg_v2_with(h, "io");
  json_gen_str(g, "blkio");
  yajl_gen_map_open(g);
  if (v1) {
    blkio_entries(g, "ioServiceBytesRecursive", v1->dir,
                  "blkio.throttle.io_service_bytes_recursive");
    blkio_entries(g, "ioServicedRecursive", v1->dir,
                  "blkio.throttle.io_serviced_recursive");
  } else if (v2) {
    io_stat(g, v2->dir);
  }
  yajl_gen_map_close(g);
}

/* /sys/kernel/mm/hugepages/hugepages-2048kB -> "2MB". */
static void hugetlb_stats(yajl_gen g, const struct cgroup_handle *h) {
  const struct cg_hier *x = cg_v1(h, "hugetlb");
  if (x == NULL)
    x = cg_v2_with(h, "hugetlb");
  json_gen_str(g, "hugetlb");
  yajl_gen_map_open(g);
  DIR *d = x ? opendir("/sys/kernel/mm/hugepages") : NULL;
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    unsigned long kb;
    if (sscanf(e->d_name, "hugepages-%lukB", &kb) != 1)
      continue;
    char size[32];
    if (kb >= (1ul << 20) && kb % (1ul << 20) == 0)
      snprintf(size, sizeof(size), "%luGB", kb >> 20);
    else if (kb >= 1024 && kb % 1024 == 0)
      snprintf(size, sizeof(size), "%luMB", kb >> 10);
    else
      snprintf(size, sizeof(size), "%luKB", kb);
    char f1[64], f2[64], f3[64];
    if (x->v2) {
      snprintf(f1, sizeof(f1), "hugetlb.%s.current", size);
      snprintf(f3, sizeof(f3), "hugetlb.%s.events", size);
    } else {
      snprintf(f1, sizeof(f1), "hugetlb.%s.usage_in_bytes", size);
      snprintf(f2, sizeof(f2), "hugetlb.%s.max_usage_in_bytes", size);
      snprintf(f3, sizeof(f3), "hugetlb.%s.failcnt", size);
    }
    json_gen_str(g, size);
    yajl_gen_map_open(g);
    kv_nz(g, "usage", rd(x->dir, f1));
    if (!x->v2)
      kv_nz(g, "max", rd(x->dir, f2));
    kv(g, "failcnt", x->v2 ? rdk(x->dir, f3, "max") : rd(x->dir, f3));
    yajl_gen_map_close(g);
  }
  if (d)
    closedir(d);
  yajl_gen_map_close(g);
}

int cgroup_stats_json(struct cgroup_handle *h, char **json, werr_t *err) {
  if (h->none)
    return werr_code(err, ENOTSUP,
                     "the container has no cgroup of its own "
                     "(ward ran rootless)");
  /* A cgroup that is gone means a container that is gone. */
  if (h->n == 0 || !cg_exists(h->h[0].dir, "cgroup.procs"))
    return werr_code(err, ENOENT, "cgroup %s: no longer exists", h->path);
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    abort();
  yajl_gen_map_open(g);
  cpu_stats(g, h);
  memory_stats(g, h);
  pids_stats(g, h);
  blkio_stats(g, h);
  hugetlb_stats(g, h);
  json_gen_str(g, "intel_rdt");
  yajl_gen_map_open(g);
  yajl_gen_map_close(g);
  json_gen_str(g, "network_interfaces");
  yajl_gen_null(g);
  yajl_gen_map_close(g);
  *json = json_gen_finish(g);
  return 0;
}

int cgroup_oom_count(struct cgroup_handle *h, uint64_t *count, werr_t *err) {
  const struct cg_hier *x = cg_v1(h, "memory");
  if (x)
    return cg_read_key(x->dir, "memory.oom_control", "oom_kill", count) < 0
               ? werr_code(err, EIO, "%s/memory.oom_control: no oom_kill",
                           x->dir)
               : 0;
  if ((x = cg_v2_with(h, "memory")))
    return cg_read_key(x->dir, "memory.events", "oom_kill", count) < 0
               ? werr_code(err, EIO, "%s/memory.events: no oom_kill", x->dir)
               : 0;
  return werr_code(err, ENOENT, "cgroup: no memory controller");
}

int cgroup_oom_fd(struct cgroup_handle *h, werr_t *err) {
  const struct cg_hier *x = cg_v1(h, "memory");
  if (x) {
    /* v1: an eventfd registered on memory.oom_control via
     * cgroup.event_control fires on every OOM (and on rmdir). */
    _cleanup_free_ char *path = NULL;
    if (asprintf(&path, "%s/memory.oom_control", x->dir) < 0)
      abort();
    _cleanup_close_ int ofd = open(path, O_RDONLY | O_CLOEXEC);
    if (ofd < 0)
      return werr_sys(err, "open %s", path);
    _cleanup_close_ int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (efd < 0)
      return werr_sys(err, "eventfd");
    char line[64];
    snprintf(line, sizeof(line), "%d %d", efd, ofd);
    if (cg_write(x->dir, "cgroup.event_control", line, err) < 0)
      return -1;
    return take_fd(efd);
  }
  if ((x = cg_v2_with(h, "memory"))) {
    _cleanup_close_ int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd < 0)
      return werr_sys(err, "inotify_init1");
    _cleanup_free_ char *path = NULL;
    if (asprintf(&path, "%s/memory.events", x->dir) < 0)
      abort();
    if (inotify_add_watch(fd, path, IN_MODIFY) < 0)
      return werr_sys(err, "inotify_add_watch %s", path);
    return take_fd(fd);
  }
  return werr_code(err, ENOENT, "cgroup: no memory controller");
}

int cgroup_oom_drain(struct cgroup_handle *h, int fd, uint64_t *seen) {
  char buf[4096];
  while (read(fd, buf, sizeof(buf)) > 0)
    ;
  const struct cg_hier *v1 = cg_v1(h, "memory");
  uint64_t now = 0;
  _cleanup_werr_ werr_t e = NULL;
  if (v1 == NULL) {
    /* v2: memory.events changed; only a higher oom_kill is an OOM kill. */
    if (cgroup_oom_count(h, &now, &e) < 0)
      return -1;
    int n = now > *seen ? 1 : 0;
    *seen = now;
    return n;
  }
  /* v1 notifies when the cgroup goes under OOM, before the victim is
   * counted (and again on rmdir): give the kill a moment to show. */
  for (int i = 0; i < 20; i++) {
    if (cgroup_oom_count(h, &now, &e) < 0)
      return -1;
    if (now > *seen) {
      *seen = now;
      return 1;
    }
    struct timespec ts = {0, 5 * 1000000L};
    nanosleep(&ts, NULL);
  }
  uint64_t under = 0;
  /* OOM killer disabled: the tasks wait instead of dying. */
  if (cg_read_key(v1->dir, "memory.oom_control", "under_oom", &under) == 0 &&
      under)
    return 1;
  return 0;
}
