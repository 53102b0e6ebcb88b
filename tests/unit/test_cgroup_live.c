/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cgroup part against the real kernel, on three layouts: the host's
 * own, pure v2 (a cgroup2 mount over /sys/fs/cgroup in a private mount
 * namespace) and pure v1 (a tmpfs holding only the v1 hierarchies).  Each
 * scenario creates a cgroup, moves a forked child in, checks the files,
 * the device filter from inside the child, update, freeze, the cgroup
 * mount, stats, kill and removal.  Needs root; skips what the host lacks
 * and says why. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_plan.h"
#include "cleanup.h"
#include "linux_resources.h"

/* unit.h's summary and root gate; its CHECK macros are replaced below by
 * ones whose counters the forked scenarios share. */
#include "unit.h"
#undef CHECK
#undef CHECK_STR

static int *counts; /* shared with the scenario processes: passed, failed */

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (cond) {                                                                \
      __atomic_add_fetch(&counts[0], 1, __ATOMIC_SEQ_CST);                     \
    } else {                                                                   \
      __atomic_add_fetch(&counts[1], 1, __ATOMIC_SEQ_CST);                     \
      fprintf(stderr, "%s:%d: FAIL [%s]: %s\n", __FILE__, __LINE__, scen,      \
              #cond);                                                          \
    }                                                                          \
  } while (0)

#define CHECK_STR(a, b)                                                        \
  do {                                                                         \
    const char *_a = (a), *_b = (b);                                           \
    if (_a && _b && strcmp(_a, _b) == 0) {                                     \
      __atomic_add_fetch(&counts[0], 1, __ATOMIC_SEQ_CST);                     \
    } else {                                                                   \
      __atomic_add_fetch(&counts[1], 1, __ATOMIC_SEQ_CST);                     \
      fprintf(stderr, "%s:%d: FAIL [%s]: %s\n  got:  %s\n  want: %s\n",        \
              __FILE__, __LINE__, scen, #a, _a ? _a : "(null)",                \
              _b ? _b : "(null)");                                             \
    }                                                                          \
  } while (0)

static const char *scen = "";
static char devnode[64];

static struct spec_resources *res(const char *json) {
  char *j = strdup(json);
  for (char *p = j; *p; p++)
    if (*p == '\'')
      *p = '"';
  yajl_val v = NULL;
  werr_t err = NULL;
  struct spec_resources *r = NULL;
  if (json_parse_buf(j, "test", &v, &err) < 0 ||
      spec_parse_resources(v, "linux.resources", &r, &err) < 0) {
    fprintf(stderr, "bad test JSON: %s\n", err->msg);
    abort();
  }
  yajl_tree_free(v);
  free(j);
  return r;
}

static char *file(const char *dir, const char *name) {
  char *s = NULL;
  werr_t err = NULL;
  if (cg_read(dir, name, &s, &err) < 0)
    werr_free(&err);
  return s;
}

static int read_file_plain(const char *path, char **out) {
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return -1;
  werr_t err = NULL;
  int rc = read_all_fd(fd, out, NULL, &err);
  werr_free(&err);
  close(fd);
  return rc;
}

static bool gone(const char *path) {
  struct stat st;
  return stat(path, &st) < 0 && errno == ENOENT;
}

/* A child that waits for a byte, then tries /dev/null and DEVNODE and
 * reports "<null errno> <dev errno>", then sleeps. */
struct child {
  pid_t pid;
  int go, report;
};

static void child_start(struct child *c) {
  int a[2], b[2];
  if (pipe(a) < 0 || pipe(b) < 0)
    abort();
  c->pid = fork();
  if (c->pid == 0) {
    char x;
    close(a[1]);
    close(b[0]);
    if (read(a[0], &x, 1) != 1)
      _exit(1);
    int fd = open("/dev/null", O_RDONLY);
    int e1 = fd < 0 ? errno : 0;
    if (fd >= 0)
      close(fd);
    fd = open(devnode, O_RDONLY | O_NONBLOCK);
    int e2 = fd < 0 ? errno : 0;
    if (fd >= 0)
      close(fd);
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%d %d", e1, e2);
    if (write(b[1], buf, (size_t)n) < 0)
      _exit(1);
    for (;;)
      pause();
  }
  close(a[0]);
  close(b[1]);
  c->go = a[1];
  c->report = b[0];
}

static void child_devices(struct child *c, int *null_errno, int *dev_errno) {
  char buf[32] = "";
  if (write(c->go, "x", 1) != 1 || read(c->report, buf, sizeof(buf) - 1) <= 0)
    abort();
  sscanf(buf, "%d %d", null_errno, dev_errno);
}

/* One scenario: ID, the resources to apply and the files they must show
 * (file, expected content) in the hierarchy that holds each. */
struct expect {
  const char *controller; /* v1 name, or NULL for the v2 dir */
  const char *file, *want;
};

struct bad_update {
  const char *json, *msg_prefix;
};

static void scenario(const char *id, const char *resources,
                     const struct expect *ex, size_t nex,
                     const struct bad_update *bad, size_t nbad) {
  struct spec_resources *r = res(resources);
  struct cgroup_handle *h = NULL;
  werr_t err = NULL;
  int rc = cgroup_create(id, NULL, false, r, &h, &err);
  if (rc < 0)
    fprintf(stderr, "[%s] create: %s\n", scen, err->msg);
  CHECK(rc == 0);
  spec_resources_free(r);
  werr_free(&err);
  if (rc < 0)
    return;
  printf("[%s] layout %s, cgroup %s\n", scen, cgroup_layout(h), h->path);
  for (size_t i = 0; i < nex; i++) {
    struct cg_hier *x =
        ex[i].controller ? cg_v1(h, ex[i].controller) : cg_v2(h);
    CHECK(x != NULL);
    if (x == NULL)
      continue;
    _cleanup_free_ char *got = file(x->dir, ex[i].file);
    CHECK_STR(got, ex[i].want);
  }

  struct child c;
  child_start(&c);
  CHECK(cgroup_enter(h, c.pid, &err) == 0);
  werr_free(&err);
  int e_null = -1, e_dev = -1;
  child_devices(&c, &e_null, &e_dev);
  CHECK(e_null == 0);
  CHECK(e_dev == EPERM);

  /* The state string finds the same cgroup again. */
  _cleanup_free_ char *ser = cgroup_serialize(h);
  struct cgroup_handle *h2 = NULL;
  CHECK(cgroup_open(ser, &h2, &err) == 0);
  werr_free(&err);
  if (h2) {
    CHECK_STR(h2->path, h->path);
    /* From the recorded mounts, the same hierarchies cg_detect found. */
    CHECK(h2->layout == h->layout && h2->n == h->n);
    for (size_t i = 0; i < h->n && i < h2->n; i++) {
      CHECK_STR(h2->h[i].name, h->h[i].name);
      CHECK_STR(h2->h[i].mnt, h->h[i].mnt);
      CHECK_STR(h2->h[i].dir, h->h[i].dir);
      CHECK(h2->h[i].v2 == h->h[i].v2 && h2->h[i].named == h->h[i].named);
      CHECK(h2->h[i].created == h->h[i].created);
      size_t k = 0;
      for (; h->h[i].controllers && h->h[i].controllers[k]; k++)
        CHECK(strv_contains(h2->h[i].controllers, h->h[i].controllers[k]));
      CHECK(strv_len(h2->h[i].controllers) == k);
    }
    pid_t *pids = NULL;
    size_t n = 0;
    CHECK(cgroup_pids(h2, &pids, &n, &err) == 0);
    CHECK(n == 1 && pids && pids[0] == c.pid);
    free(pids);
    werr_free(&err);
  }

  /* A refused update names the field and changes nothing, whether it is
   * caught while planning or by the kernel half-way (rollback). */
  for (size_t b = 0; b < nbad; b++) {
    struct spec_resources *u = res(bad[b].json);
    CHECK(cgroup_update(h2, u, "resources", &err) < 0);
    const char *msg = err ? err->msg : "";
    if (strncmp(msg, bad[b].msg_prefix, strlen(bad[b].msg_prefix)) != 0) {
      __atomic_add_fetch(&counts[1], 1, __ATOMIC_SEQ_CST);
      fprintf(stderr, "[%s] update error \"%s\" does not start with \"%s\"\n",
              scen, msg, bad[b].msg_prefix);
    }
    werr_free(&err);
    spec_resources_free(u);
    for (size_t i = 0; i < nex; i++) {
      struct cg_hier *x =
          ex[i].controller ? cg_v1(h, ex[i].controller) : cg_v2(h);
      if (x == NULL)
        continue;
      _cleanup_free_ char *got = file(x->dir, ex[i].file);
      CHECK_STR(got, ex[i].want);
    }
  }

  /* v2: exactly one device filter, still one after an update replaced it
   * (BPF_F_REPLACE), and it is the new one that decides. */
  if (!cg_v1(h, "devices") && cg_v2(h)) {
    const char *dir = cg_v2(h)->dir;
    CHECK(cg_bpf_count(dir) == 1);
    struct spec_resources *u =
        res("{'devices':[{'allow':true,'type':'a','access':'rwm'}]}");
    CHECK(cgroup_update(h2, u, "resources", &err) == 0);
    werr_free(&err);
    spec_resources_free(u);
    CHECK(cg_bpf_count(dir) == 1);
  }

  /* Freeze: the state reads frozen, and back. */
  bool frozen = false;
  CHECK(cgroup_freeze(h2, true, &err) == 0);
  werr_free(&err);
  CHECK(cgroup_is_frozen(h2, &frozen, &err) == 0 && frozen);
  CHECK(cgroup_freeze(h2, false, &err) == 0);
  CHECK(cgroup_is_frozen(h2, &frozen, &err) == 0 && !frozen);
  werr_free(&err);

  /* Stats are a JSON object with runc's top-level keys. */
  _cleanup_free_ char *js = NULL;
  CHECK(cgroup_stats_json(h2, &js, &err) == 0);
  werr_free(&err);
  if (js) {
    yajl_val v = NULL;
    CHECK(json_parse_buf(js, "stats", &v, &err) == 0);
    CHECK(json_get(v, "cpu") && json_get(v, "memory") && json_get(v, "pids") &&
          json_get(v, "blkio") && json_get(v, "hugetlb"));
    yajl_tree_free(v);
    werr_free(&err);
  }

  /* The cgroup mount: read-only, one entry per hierarchy on v1/hybrid. */
  char mnt[] = "/tmp/ward-cgmnt-XXXXXX";
  if (mkdtemp(mnt)) {
    rc = cgroup_mount(h2, mnt, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                      false, &err);
    if (rc < 0)
      fprintf(stderr, "[%s] cgroup_mount: %s\n", scen, err->msg);
    CHECK(rc == 0);
    werr_free(&err);
    char probe[128];
    snprintf(probe, sizeof(probe), "%s/x", mnt);
    CHECK(mkdir(probe, 0755) < 0 && errno == EROFS);
    if (h->layout == CG_LAYOUT_V2) {
      snprintf(probe, sizeof(probe), "%s/cgroup.procs", mnt);
    } else {
      struct cg_hier *x = cg_v1(h, "pids");
      snprintf(probe, sizeof(probe), "%s/%s/cgroup.procs", mnt,
               x ? strrchr(x->mnt, '/') + 1 : "?");
    }
    _cleanup_free_ char *procs = NULL;
    CHECK(read_file_plain(probe, &procs) == 0 && procs && atoi(procs) == c.pid);
    umount2(mnt, MNT_DETACH);
    rmdir(mnt);
  }

  /* Kill everything, remove every directory. */
  CHECK(cgroup_signal_all(h2, SIGKILL, &err) == 0);
  werr_free(&err);
  int st = 0;
  CHECK(waitpid(c.pid, &st, 0) == c.pid && WIFSIGNALED(st) &&
        WTERMSIG(st) == SIGKILL);
  close(c.go);
  close(c.report);
  CHECK(cgroup_destroy(h2, &err) == 0);
  if (err)
    fprintf(stderr, "[%s] destroy: %s\n", scen, err->msg);
  werr_free(&err);
  for (size_t i = 0; i < h->n; i++)
    CHECK(gone(h->h[i].dir));
  cgroup_handle_free(h2);
  cgroup_handle_free(h);
}

/* A create that fails leaves nothing behind and names the field. */
static void failing_create(const char *id, const char *resources,
                           const char *want) {
  struct spec_resources *r = res(resources);
  struct cgroup_handle *h = NULL, *probe = NULL;
  werr_t err = NULL;
  CHECK(cgroup_create(id, NULL, false, r, &h, &err) < 0);
  CHECK_STR(err ? err->msg : NULL, want);
  werr_free(&err);
  spec_resources_free(r);
  if (h) {
    /* It did not fail: the cgroup is this test's to remove (the
     * live-*-fail cgroups left on hosts were these). */
    CHECK(cgroup_destroy(h, &err) == 0);
    werr_free(&err);
    cgroup_handle_free(h);
  }
  /* Where would it have been? */
  probe = calloc(1, sizeof(*probe));
  if (cg_detect(probe, &err) == 0) {
    for (size_t i = 0; i < probe->n; i++) {
      char path[512];
      snprintf(path, sizeof(path), "%s/ward/%s", probe->h[i].mnt, id);
      CHECK(gone(path));
    }
  }
  werr_free(&err);
  cgroup_handle_free(probe);
}

/* v1 keeps limit <= memsw at every step: raising both and lowering both
 * must each pick the right order. */
static void swap_order(const char *id) {
  char sid[128];
  snprintf(sid, sizeof(sid), "%s-swap", id);
  struct spec_resources *r =
      res("{'memory':{'limit':67108864,'swap':134217728}}");
  struct cgroup_handle *h = NULL;
  werr_t err = NULL;
  CHECK(cgroup_create(sid, NULL, false, r, &h, &err) == 0);
  spec_resources_free(r);
  werr_free(&err);
  if (h == NULL)
    return;
  const char *dir = cg_v1(h, "memory")->dir;
  static const char *steps[][3] = {
      {"{'memory':{'limit':268435456,'swap':536870912}}", "268435456",
       "536870912"},
      {"{'memory':{'limit':16777216,'swap':33554432}}", "16777216", "33554432"},
      {"{'memory':{'limit':-1,'swap':-1}}", "9223372036854771712",
       "9223372036854771712"},
  };
  for (size_t i = 0; i < 3; i++) {
    struct spec_resources *u = res(steps[i][0]);
    int rc = cgroup_update(h, u, "resources", &err);
    if (rc < 0)
      fprintf(stderr, "[%s] %s: %s\n", scen, steps[i][0], err->msg);
    CHECK(rc == 0);
    werr_free(&err);
    spec_resources_free(u);
    _cleanup_free_ char *l = file(dir, "memory.limit_in_bytes");
    _cleanup_free_ char *sw = file(dir, "memory.memsw.limit_in_bytes");
    CHECK_STR(l, steps[i][1]);
    CHECK_STR(sw, steps[i][2]);
  }
  /* Raising the limit above memory+swap without swap is refused up front. */
  struct spec_resources *u = res("{'memory':{'limit':67108864}}");
  struct spec_resources *lo =
      res("{'memory':{'limit':16777216,'swap':33554432}}");
  CHECK(cgroup_update(h, lo, "resources", &err) == 0);
  CHECK(cgroup_update(h, u, "resources", &err) < 0);
  CHECK_STR(err ? err->msg : NULL,
            "resources.memory.limit: 67108864 is above the current "
            "memory+swap limit 33554432 (set swap as well)");
  werr_free(&err);
  spec_resources_free(u);
  spec_resources_free(lo);
  CHECK(cgroup_destroy(h, &err) == 0);
  werr_free(&err);
  cgroup_handle_free(h);
}

static const char *V1_RES =
    "{'memory':{'limit':67108864,'swappiness':10},'cpu':{'shares':512,"
    "'quota':50000,'period':100000},'pids':{'limit':64},"
    "'devices':[{'allow':false,'access':'rwm'}]}";

static void run_v1_like(const char *id) {
  bool hybrid = strcmp(scen, "host") == 0;
  struct cgroup_handle *d = calloc(1, sizeof(*d));
  werr_t err = NULL;
  bool memsw = false;
  if (cg_detect(d, &err) == 0) {
    struct cg_hier *m = cg_v1(d, "memory");
    char p[256];
    snprintf(p, sizeof(p), "%s/memory.memsw.limit_in_bytes", m ? m->mnt : "");
    memsw = access(p, F_OK) == 0;
  }
  werr_free(&err);
  cgroup_handle_free(d);
  const struct expect ex[] = {
      {"memory", "memory.limit_in_bytes", "67108864"},
      {"memory", "memory.swappiness", "10"},
      {"cpu", "cpu.shares", "512"},
      {"cpu", "cpu.cfs_quota_us", "50000"},
      {"pids", "pids.max", "64"},
      {"devices", "devices.list",
       "c *:* m\nb *:* m\nc 1:3 rwm\nc 1:8 rwm\nc 1:7 rwm\nc 5:0 rwm\n"
       "c 1:5 rwm\nc 1:9 rwm\nc 136:* rwm\nc 5:2 rwm\nc 10:200 rwm"},
  };
  const struct bad_update bad[] = {
      {"{'pids':{'limit':10},'cpu':{'cpus':'0-4000'}}",
       "resources.cpu.cpus: \"0-4000\" is not within the available"},
      /* A child of /ward gets no RT time: the kernel refuses after the
       * memory limit was written, which must be put back. */
      {"{'memory':{'limit':33554432},'cpu':{'realtimeRuntime':1000}}",
       "resources.cpu.realtimeRuntime: write "},
      {"{'memory':{'limit':33554432},'unified':{'memory.high':'1'}}",
       hybrid ? "resources.unified.memory.high: not supported on this host "
                "(the memory controller is bound to cgroup v1)"
              : "resources.unified: requires cgroup v2 (this host has only "
                "v1)"},
  };
  scenario(id, V1_RES, ex, sizeof(ex) / sizeof(ex[0]), bad, 3);
  if (memsw)
    swap_order(id);
  else
    printf("[%s] swap accounting off: memory+swap ordering not tested\n", scen);
  char fid[128];
  snprintf(fid, sizeof(fid), "%s-fail", id);
  failing_create(fid, "{'pids':{'limit':5},'network':{'classID':1}}",
                 "linux.resources.network.classID: not supported on this host "
                 "(net_cls controller not mounted)");
  {
    /* memory.kernel is deprecated: where the kernel has no working knob it
     * is a warning (stderr), not an error, as in runc 1.1. */
    struct spec_resources *r = res("{'memory':{'kernel':1048576}}");
    struct cgroup_handle *h = NULL;
    werr_t err = NULL;
    CHECK(cgroup_create(fid, NULL, false, r, &h, &err) == 0);
    if (h) {
      CHECK(cgroup_destroy(h, &err) == 0);
      cgroup_handle_free(h);
    }
    werr_free(&err);
    spec_resources_free(r);
  }
  failing_create(fid, "{'unified':{'memory.high':'1M'}}",
                 hybrid ? "linux.resources.unified.memory.high: not supported "
                          "on this host (the memory controller is bound to "
                          "cgroup v1)"
                        : "linux.resources.unified: requires cgroup v2 (this "
                          "host has only v1)");
}

static void run_v2(const char *id) {
  const struct expect ex[] = {
      {NULL, "hugetlb.2MB.max", "4194304"},
      {NULL, "hugetlb.2MB.rsvd.max", "4194304"},
  };
  const struct bad_update bad[] = {
      {"{'hugepageLimits':[{'pageSize':'2MB','limit':2097152}],"
       "'memory':{'limit':1048576}}",
       "resources.memory: not supported on this host (no memory controller)"},
      {"{'hugepageLimits':[{'pageSize':'2MB','limit':2097152}],"
       "'unified':{'pids.max':'5'}}",
       "resources.unified.pids.max: not supported on this host (the pids "
       "controller is not available in cgroup v2 at /sys/fs/cgroup)"},
  };
  scenario(id,
           "{'hugepageLimits':[{'pageSize':'2MB','limit':4194304}],"
           "'devices':[{'allow':false,'access':'rwm'}]}",
           ex, 2, bad, 2);
  char fid[128];
  snprintf(fid, sizeof(fid), "%s-fail", id);
  printf("[%s] memory/pids/cpu are bound to v1 on this host: checking the "
         "error instead of the files\n",
         scen);
  failing_create(fid, "{'pids':{'limit':5}}",
                 "linux.resources.pids.limit: not supported on this host (no "
                 "pids controller)");
  failing_create(fid, "{'network':{'classID':1}}",
                 "linux.resources.network.classID: not supported on this host "
                 "(net_cls exists only in cgroup v1)");
}

/* The first block (then char) device outside ward's default allow list
 * that opens here. */
static int pick_probe_device(void) {
  static const struct {
    const char *dir;
    mode_t mode;
  } kinds[] = {{"/sys/dev/block", S_IFBLK}, {"/sys/dev/char", S_IFCHR}};
  for (size_t k = 0; k < 2; k++) {
    DIR *d = opendir(kinds[k].dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
      unsigned maj, min;
      if (sscanf(e->d_name, "%u:%u", &maj, &min) != 2)
        continue;
      if (kinds[k].mode == S_IFCHR && (maj == 1 || maj == 4 || maj == 5 ||
                                       maj == 136 || (maj == 10 && min == 200)))
        continue;
      unlink(devnode);
      if (mknod(devnode, kinds[k].mode | 0600, makedev(maj, min)) < 0)
        continue;
      int fd = open(devnode, O_RDONLY | O_NONBLOCK);
      if (fd >= 0) {
        close(fd);
        closedir(d);
        printf("probe device: %c %u:%u\n", k == 0 ? 'b' : 'c', maj, min);
        fflush(stdout);
        return 0;
      }
    }
    if (d)
      closedir(d);
  }
  unlink(devnode);
  return -1;
}

static int in_private_ns(void) {
  if (unshare(CLONE_NEWNS) < 0 ||
      mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return -1;
  return 0;
}

static int setup_v2(void) {
  if (in_private_ns() < 0 ||
      mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL) < 0)
    return -1;
  return 0;
}

/* Remount the host's v1 hierarchies, and only them, on a fresh tmpfs. */
static int setup_v1(void) {
  struct cgroup_handle *d = calloc(1, sizeof(*d));
  werr_t err = NULL;
  if (cg_detect(d, &err) < 0 || cg_v1(d, "memory") == NULL) {
    werr_free(&err);
    cgroup_handle_free(d);
    return -1;
  }
  if (in_private_ns() < 0 ||
      mount("tmpfs", "/sys/fs/cgroup", "tmpfs", 0, "mode=755") < 0)
    return -1;
  for (size_t i = 0; i < d->n; i++) {
    struct cg_hier *x = &d->h[i];
    if (x->v2)
      continue;
    char opts[256];
    if (x->named)
      snprintf(opts, sizeof(opts), "none,%s", x->name);
    else
      snprintf(opts, sizeof(opts), "%s", x->name);
    if (mkdir(x->mnt, 0755) < 0 ||
        mount("cgroup", x->mnt, "cgroup", 0, opts) < 0)
      return -1;
  }
  cgroup_handle_free(d);
  return 0;
}

/* Whatever scenario NAME run by PID left under /ward in the host's
 * hierarchies (its ids are live-NAME-PID and live-NAME-PID-*), even after
 * a CHECK failed or the scenario crashed half-way: each one is a failure,
 * and removed. */
static void sweep(const char *name, pid_t pid) {
  struct cgroup_handle *d = calloc(1, sizeof(*d));
  werr_t err = NULL;
  char id[64];
  snprintf(id, sizeof(id), "live-%s-%d", name, (int)pid);
  size_t idlen = strlen(id);
  if (d && cg_detect(d, &err) == 0) {
    for (size_t i = 0; i < d->n; i++) {
      char dir[512];
      snprintf(dir, sizeof(dir), "%s/ward", d->h[i].mnt);
      DIR *w = opendir(dir);
      struct dirent *e;
      while (w && (e = readdir(w)) != NULL) {
        if (strncmp(e->d_name, id, idlen) != 0 ||
            (e->d_name[idlen] != '\0' && e->d_name[idlen] != '-'))
          continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        fprintf(stderr, "[%s] FAIL: left %s\n", name, path);
        counts[1]++;
        rmdir(path);
      }
      if (w)
        closedir(w);
    }
  }
  werr_free(&err);
  cgroup_handle_free(d);
}

static void run(const char *name, int (*setup)(void),
                void (*body)(const char *)) {
  pid_t p = fork();
  if (p == 0) {
    scen = name;
    if (setup() < 0) {
      /* Root can build every layout in a private mount namespace: not
       * being able to is a failure, not a reason to skip. */
      fprintf(stderr, "[%s] FAIL: cannot set up the layout (%s)\n", name,
              strerror(errno));
      _exit(1);
    }
    char id[64];
    snprintf(id, sizeof(id), "live-%s-%d", name, (int)getpid());
    body(id);
    fflush(stdout);
    _exit(0);
  }
  int st;
  waitpid(p, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    counts[1]++;
    fprintf(stderr, "[%s] scenario crashed\n", name);
  }
  sweep(name, p);
}

static int setup_host(void) { return in_private_ns(); }

static void run_host(const char *id) {
  struct cgroup_handle *d = calloc(1, sizeof(*d));
  werr_t err = NULL;
  int rc = cg_detect(d, &err);
  bool v2 = rc == 0 && d->layout == CG_LAYOUT_V2;
  werr_free(&err);
  cgroup_handle_free(d);
  if (rc < 0)
    return;
  if (v2)
    run_v2(id);
  else
    run_v1_like(id);
}

int main(void) {
  if (!unit_as_root("test_cgroup_live"))
    return 0;
  counts = mmap(NULL, 2 * sizeof(int), PROT_READ | PROT_WRITE,
                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (counts == MAP_FAILED)
    abort();
  /* A device the host itself can open, so EPERM inside can only come from
   * the device cgroup or filter. */
  snprintf(devnode, sizeof(devnode), "/tmp/ward-live-dev-%d", (int)getpid());
  if (pick_probe_device() < 0) {
    fprintf(stderr, "test_cgroup_live: FAIL: no device the host can open\n");
    return 1;
  }
  run("host", setup_host, run_host);
  run("v2", setup_v2, run_v2);
  run("v1", setup_v1, run_v1_like);
  unlink(devnode);
  passed = counts[0];
  failed = counts[1];
  return unit_summary("test_cgroup_live");
}
