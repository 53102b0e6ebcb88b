/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The container's cgroup (cgroup.h): which path the container gets,
 * creating and removing its directories, moving processes in, freezing and
 * signalling them.  Where the hierarchies are is cgroup_layout.c's; knob by
 * knob the work is in cgroup_plan.c / cgroup_v1.c / cgroup_v2.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_plan.h"
#include "cleanup.h"
#include "utils.h"

#define WARD_CGROUP_PARENT "/ward"

const char *cgroup_layout(const struct cgroup_handle *h) {
  return h->none ? "none" : cg_layout_name(h->layout);
}

/* ---- cgroupsPath ---------------------------------------------------- */

/* Append the components of REL to BUF (which has room), refusing "." and
 * "..": a cgroupsPath never leaves the hierarchy. */
static int append_components(char **buf, const char *rel, werr_t *err) {
  _cleanup_free_ char *copy = xstrdup(rel);
  char *save = NULL;
  for (char *c = strtok_r(copy, "/", &save); c;
       c = strtok_r(NULL, "/", &save)) {
    if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0)
      return werr(err,
                  "linux.cgroupsPath: \"%s\" must not contain \".\" or \"..\"",
                  rel);
    char *n = xasprintf("%s/%s", *buf, c);
    free(*buf);
    *buf = n;
  }
  return 0;
}

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice", as systemd nests
 * slices; "-.slice" is the root. */
static int expand_slice(const char *slice, char **out, werr_t *err) {
  size_t len = strlen(slice);
  if (len < 6 || strcmp(slice + len - 6, ".slice") != 0 || strchr(slice, '/'))
    return werr(err, "linux.cgroupsPath: \"%s\" is not a slice name", slice);
  _cleanup_free_ char *base = strndup(slice, len - 6);
  if (base == NULL)
    abort();
  char *path = xstrdup("");
  if (strcmp(base, "-") == 0) {
    *out = path;
    return 0;
  }
  if (base[0] == '\0' || base[0] == '-' || base[strlen(base) - 1] == '-' ||
      strstr(base, "--")) {
    free(path);
    return werr(err, "linux.cgroupsPath: \"%s\" is not a valid slice name",
                slice);
  }
  for (char *dash = base;; dash++) {
    dash = strchr(dash, '-');
    size_t plen = dash ? (size_t)(dash - base) : strlen(base);
    char *n = xasprintf("%s/%.*s.slice", path, (int)plen, base);
    free(path);
    path = n;
    if (dash == NULL)
      break;
  }
  *out = path;
  return 0;
}

/* slice:prefix:name with no '/', the slice empty or a .slice name. */
static bool is_systemd_form(const char *s) {
  const char *c1 = strchr(s, ':');
  if (c1 == NULL || strchr(s, '/'))
    return false;
  const char *c2 = strchr(c1 + 1, ':');
  if (c2 == NULL || strchr(c2 + 1, ':'))
    return false;
  size_t sl = (size_t)(c1 - s);
  return sl == 0 || (sl > 6 && strncmp(c1 - 6, ".slice", 6) == 0);
}

int cgroup_resolve_path(const char *id, const char *cgroupsPath, bool systemd,
                        char **out, werr_t *err) {
  const char *cp = cgroupsPath ? cgroupsPath : "";
  _cleanup_free_ char *dflt = NULL;
  if (systemd && cp[0] == '\0')
    cp = dflt = xasprintf("system.slice:ward:%s", id);
  if (systemd && !is_systemd_form(cp))
    return werr(err,
                "linux.cgroupsPath: \"%s\" must be slice:prefix:name with "
                "--systemd-cgroup",
                cp);
  if (is_systemd_form(cp)) {
    const char *c1 = strchr(cp, ':'), *c2 = strchr(c1 + 1, ':');
    _cleanup_free_ char *slice = strndup(cp, (size_t)(c1 - cp));
    _cleanup_free_ char *prefix = strndup(c1 + 1, (size_t)(c2 - c1 - 1));
    const char *name = c2 + 1;
    if (slice == NULL || prefix == NULL)
      abort();
    if (name[0] == '\0')
      return werr(err, "linux.cgroupsPath: \"%s\" has an empty name", cp);
    _cleanup_free_ char *spath = NULL;
    if (expand_slice(slice[0] ? slice : "system.slice", &spath, err) < 0)
      return -1;
    if (prefix[0])
      *out = xasprintf("%s/%s-%s.scope", spath, prefix, name);
    else
      *out = xasprintf("%s/%s.scope", spath, name);
    return 0;
  }
  char *path;
  if (cp[0] == '\0') {
    path = xasprintf("%s/%s", WARD_CGROUP_PARENT, id);
  } else {
    path = xstrdup(cp[0] == '/' ? "" : WARD_CGROUP_PARENT);
    if (append_components(&path, cp, err) < 0) {
      free(path);
      return -1;
    }
  }
  if (path[0] == '\0') {
    free(path);
    return werr(err, "linux.cgroupsPath: \"%s\" is the root cgroup", cp);
  }
  *out = path;
  return 0;
}

/* ---- create / destroy ---------------------------------------------- */

/* One level down the container's path: CUR (a hierarchy's mount point,
 * then each prefix of the path below it) extended by the component at *P,
 * which moves past it.  CUR is freed. */
static char *next_level(char *cur, const char **p) {
  const char *next = strchr(*p + 1, '/');
  size_t len = next ? (size_t)(next - *p) : strlen(*p);
  char *n = xasprintf("%s%.*s", cur, (int)len, *p);
  free(cur);
  *p += len;
  return n;
}

/* A fresh v1 cpuset cgroup has no CPUs and refuses tasks: inherit. */
static int cpuset_inherit(const char *dir, werr_t *err) {
  _cleanup_free_ char *parent = xstrdup(dir);
  *strrchr(parent, '/') = '\0';
  static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
  for (int i = 0; i < 2; i++) {
    _cleanup_free_ char *cur = NULL, *up = NULL;
    if (cg_read(dir, files[i], &cur, err) < 0)
      return -1;
    if (cur[0] != '\0')
      continue;
    if (cg_read(parent, files[i], &up, err) < 0 ||
        cg_write(dir, files[i], up[0] ? up : "\n", err) < 0)
      return -1;
  }
  return 0;
}

/* The mark on a parent cgroup ward made for a container's path
 * (containerd's /NAMESPACE of /NAMESPACE/ID): whichever ward container
 * is deleted last removes it, not only the one it was made for, which
 * another container may outlive.  A trusted xattr: root only, so a
 * rootless ward makes no mark and removes only its own levels. */
#define PARENT_MARK "trusted.ward.parent"

static bool ward_made(const char *dir) {
  return getxattr(dir, PARENT_MARK, NULL, 0) >= 0;
}

/* Components of a cgroup path ("/ward/ID": 2). */
static int path_depth(const char *path) {
  int n = 0;
  for (const char *c = path; *c; c++)
    n += *c == '/';
  return n;
}

static int mkdir_path(struct cgroup_handle *h, struct cg_hier *x, werr_t *err) {
  int ncomp = path_depth(h->path);
  bool cpuset = strv_contains(x->controllers, "cpuset");
  for (int attempt = 0;; attempt++) {
    _cleanup_free_ char *cur = xstrdup(x->mnt);
    const char *p = h->path;
    int i = 0, first = -1;
    bool raced = false;
    x->created = 0;
    while (*p) {
      cur = next_level(cur, &p);
      if (mkdir(cur, 0755) == 0) {
        if (first < 0)
          first = i;
        /* From here on every level is ours: count it before anything
         * else can fail, so cleanup removes it. */
        x->created = ncomp - first;
        if (*p != '\0')
          (void)setxattr(cur, PARENT_MARK, "1", 1, 0);
        if (cpuset && cpuset_inherit(cur, err) < 0)
          return -1;
      } else if (errno == ENOENT && attempt < 20) {
        /* A parent vanished under a concurrent delete (the last container
         * out removes the parents ward made, even one this create made a
         * moment ago): make the path again. */
        raced = true;
        break;
      } else if (errno != EEXIST) {
        return werr_sys(err, "mkdir %s", cur);
      } else if (cpuset && cpuset_inherit(cur, err) < 0) {
        /* Made by a concurrent create that may not have filled it yet:
         * a level left empty would leave ours empty too. */
        return -1;
      }
      i++;
    }
    if (!raced)
      return 0;
  }
}

/* Remove DIR and the cgroups the container made below it, waiting while
 * dying tasks leave (rmdir says EBUSY until they are gone). */
static int remove_tree(const char *dir, werr_t *err) {
  /* Mostly empty by now: one rmdir, and the walk only when it is refused
   * (cgroupfs says EBUSY for child cgroups as for tasks still leaving). */
  if (rmdir(dir) == 0 || errno == ENOENT)
    return 0;
  if (errno != EBUSY && errno != ENOTEMPTY)
    return werr_sys(err, "rmdir %s", dir);
  DIR *d = opendir(dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : werr_sys(err, "open %s", dir);
  struct dirent *e;
  int rc = 0;
  while ((e = readdir(d)) != NULL) {
    if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 ||
        strcmp(e->d_name, "..") == 0)
      continue;
    _cleanup_free_ char *sub = xasprintf("%s/%s", dir, e->d_name);
    if (remove_tree(sub, err) < 0)
      rc = -1;
  }
  closedir(d);
  if (rc < 0)
    return -1;
  long wait = 1, waited = 0;
  while (rmdir(dir) < 0) {
    if (errno == ENOENT)
      return 0;
    if (errno != EBUSY || waited > 10000)
      return werr_sys(err, "rmdir %s", dir);
    sleep_ms(wait);
    waited += wait;
    wait = wait < 100 ? wait * 2 : 100;
  }
  return 0;
}

static int remove_created(struct cgroup_handle *h, werr_t *err) {
  int rc = 0;
  for (size_t i = 0; i < h->n; i++) {
    struct cg_hier *x = &h->h[i];
    if (x->created <= 0 || x->dir == NULL)
      continue;
    _cleanup_werr_ werr_t e = NULL;
    if (remove_tree(x->dir, &e) < 0) {
      if (rc == 0 && err) {
        werr_free(err);
        *err = e;
        e = NULL;
      }
      rc = -1;
      continue;
    }
    /* Parents ward created, for this container or another: gone when no
     * other container uses them; EBUSY or ENOTEMPTY just means one does. */
    _cleanup_free_ char *up = xstrdup(x->dir);
    _cleanup_free_ char *parent = xasprintf("%s/ward", x->mnt);
    bool parent_gone = false;
    for (int k = 1;; k++) {
      char *slash = strrchr(up, '/');
      if (slash == NULL || slash == up)
        break;
      *slash = '\0';
      if (strlen(up) <= strlen(x->mnt) || (k >= x->created && !ward_made(up)) ||
          rmdir(up) < 0)
        break;
      parent_gone = parent_gone || strcmp(up, parent) == 0;
    }
    /* /ward is ward's own parent, whoever made it: the last container out
     * removes it (a racing create re-makes it, see mkdir_path). */
    if (!parent_gone && strncmp(h->path, "/ward/", 6) == 0)
      rmdir(parent);
    x->created = 0;
  }
  return rc;
}

static bool dir_has_procs(const char *dir) {
  _cleanup_free_ char *s = NULL;
  _cleanup_werr_ werr_t e = NULL;
  return cg_read(dir, "cgroup.procs", &s, &e) == 0 && s[0] != '\0';
}

/* v2: controllers are usable in a cgroup only when every ancestor enables
 * them in cgroup.subtree_control.  Enable all that are available (so a
 * later `update` finds them); one refused is reported by the plan when a
 * knob needs it.  Read only what is not known: the root's controllers were
 * read by the detection, a level's controllers are what its parent enables,
 * and a level this create made enables nothing yet (a concurrent create
 * that enabled some meanwhile only makes a write repeat itself). */
static void enable_controllers(struct cgroup_handle *h, struct cg_hier *x) {
  int ncomp = path_depth(h->path);
  _cleanup_free_ char *cur = xstrdup(x->mnt);
  _cleanup_free_ char *avail = NULL;
  if (x->controllers != NULL) {
    avail = xstrdup("");
    for (char **c = x->controllers; *c; c++) {
      char *more = xasprintf("%s %s", avail, *c);
      free(avail);
      avail = more;
    }
  }
  const char *p = h->path;
  for (int level = 0;; level++) {
    const char *next = strchr(p + 1, '/');
    _cleanup_free_ char *enabled = NULL;
    _cleanup_werr_ werr_t e = NULL;
    if (avail == NULL && cg_read(cur, "cgroup.controllers", &avail, &e) < 0)
      return;
    if (level > ncomp - x->created)
      enabled = xstrdup("");
    else if (cg_read(cur, "cgroup.subtree_control", &enabled, &e) < 0)
      return;
    _cleanup_free_ char *now = xasprintf(" %s ", enabled);
    char *save = NULL;
    for (char *c = strtok_r(avail, " \n", &save); c;
         c = strtok_r(NULL, " \n", &save)) {
      _cleanup_free_ char *needle = xasprintf(" %s ", c);
      if (strstr(now, needle))
        continue;
      _cleanup_free_ char *want = xasprintf("+%s", c);
      _cleanup_werr_ werr_t e2 = NULL;
      if (cg_write(cur, "cgroup.subtree_control", want, &e2) == 0) {
        char *more = xasprintf("%s%s ", now, c);
        free(now);
        now = more;
      }
    }
    if (next == NULL)
      break; /* never in the leaf: it holds the processes */
    free(avail);
    avail = xstrdup(now); /* what the next level may use */
    cur = next_level(cur, &p);
  }
}

static int no_cgroup(werr_t *err) {
  return werr_code(err, ENOTSUP,
                    "the container has no cgroup of its own (ward ran "
                    "rootless without write access to cgroupfs)");
}

static bool permission_error(int e) {
  return e == EACCES || e == EPERM || e == EROFS;
}

static void become_none(struct cgroup_handle *h) {
  remove_created(h, NULL);
  for (size_t i = 0; i < h->n; i++)
    cg_hier_free(&h->h[i]);
  h->n = 0;
  h->none = true;
}

/* Trailing components of PATH that do not exist under X's mount yet. */
static int levels_missing(const struct cgroup_handle *h,
                          const struct cg_hier *x) {
  int ncomp = path_depth(h->path), i = 0;
  _cleanup_free_ char *cur = xstrdup(x->mnt);
  for (const char *p = h->path; *p; i++) {
    cur = next_level(cur, &p);
    if (access(cur, F_OK) < 0)
      return ncomp - i;
  }
  return 0;
}

int cgroup_prepare(const char *id, const char *cgroupsPath, bool systemd,
                   struct cgroup_handle **out, werr_t *err) {
  struct cgroup_handle *h = calloc(1, sizeof(*h));
  if (h == NULL)
    abort();
  if (cgroup_resolve_path(id, cgroupsPath, systemd, &h->path, err) < 0 ||
      cg_detect(h, err) < 0) {
    cgroup_handle_free(h);
    return -1;
  }
  cg_set_dirs(h);
  h->rootless = cg_running_rootless();
  for (size_t i = 0; i < h->n; i++)
    h->h[i].created = levels_missing(h, &h->h[i]);
  *out = h;
  return 0;
}

int cgroup_make(struct cgroup_handle *h, const struct spec_resources *resources,
                werr_t *err) {
  for (size_t i = 0; i < h->n; i++) {
    struct cg_hier *x = &h->h[i];
    x->created = 0; /* what cgroup_prepare foresaw; now count what is made */
    if (mkdir_path(h, x, err) < 0) {
      if (h->rootless && permission_error((*err)->errnum)) {
        /* Devices cannot be enforced rootless anyway: the nodes are bind
         * mounts of the host's. */
        if (!cg_resources_need_limits(resources)) {
          werr_free(err);
          become_none(h);
          return 0;
        }
        werr_prefix(err, "linux.resources need a cgroup ward can write "
                         "(rootless)");
      }
      goto fail;
    }
    if (x->created == 0 && dir_has_procs(x->dir)) {
      werr_code(err, EBUSY, "linux.cgroupsPath: %s already has processes in it",
                x->dir);
      goto fail;
    }
    if (x->v2)
      enable_controllers(h, x);
  }
  struct cg_plan plan;
  cg_plan_init(&plan);
  if (cg_plan_resources(h, resources, "linux.resources", false, &plan, err) <
          0 ||
      cg_plan_apply(&plan, err) < 0) {
    cg_plan_free(&plan);
    goto fail;
  }
  cg_plan_free(&plan);
  return 0;
fail:
  remove_created(h, NULL);
  return -1;
}

int cgroup_create(const char *id, const char *cgroupsPath, bool systemd,
                  const struct spec_resources *resources,
                  struct cgroup_handle **out, werr_t *err) {
  struct cgroup_handle *h = NULL;
  if (cgroup_prepare(id, cgroupsPath, systemd, &h, err) < 0)
    return -1;
  if (cgroup_make(h, resources, err) < 0) {
    cgroup_handle_free(h);
    return -1;
  }
  *out = h;
  return 0;
}

int cgroup_update(struct cgroup_handle *h, const struct spec_resources *r,
                  const char *path, werr_t *err) {
  if (h->none)
    return no_cgroup(err);
  struct cg_plan plan;
  cg_plan_init(&plan);
  int rc = cg_plan_resources(h, r, path, true, &plan, err);
  if (rc == 0)
    rc = cg_plan_apply(&plan, err);
  cg_plan_free(&plan);
  return rc;
}

int cgroup_clone_fd(const struct cgroup_handle *h) {
  if (h->none || h->layout != CG_LAYOUT_V2 || h->n != 1)
    return -1;
  return open(h->h[0].dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

void cgroup_cloned_into(struct cgroup_handle *h) {
  h->v2_entered = true;
}

int cgroup_enter(struct cgroup_handle *h, pid_t pid, werr_t *err) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%d", (int)pid);
  for (size_t i = 0; i < h->n; i++)
    if (!(h->v2_entered && h->h[i].v2) && cg_write(h->h[i].dir, "cgroup.procs", buf, err) < 0) {
      /* Rootless, moving a process needs write access to the common
       * ancestor too: without limits to enforce, stay where we are. */
      if (h->rootless && permission_error((*err)->errnum) && !h->h[i].created) {
        werr_free(err);
        continue;
      }
      return -1;
    }
  return 0;
}

int cgroup_destroy(struct cgroup_handle *h, werr_t *err) {
  return remove_created(h, err);
}

/* ---- processes -------------------------------------------------------- */

static const struct cg_hier *procs_hier(const struct cgroup_handle *h) {
  const struct cg_hier *x = cg_v2(h);
  if (x == NULL)
    x = cg_v1(h, "freezer");
  if (x == NULL)
    x = cg_v1(h, "pids");
  if (x == NULL)
    x = h->n ? &h->h[0] : NULL;
  return x;
}

int cgroup_pids(struct cgroup_handle *h, pid_t **pids, size_t *n, werr_t *err) {
  if (h->none)
    return no_cgroup(err);
  const struct cg_hier *x = procs_hier(h);
  if (x == NULL)
    return werr_code(err, ENOENT, "cgroup: no hierarchy");
  return cg_dir_pids(x->dir, pids, n, err);
}

/* ---- freezer ------------------------------------------------------- */

int cgroup_is_frozen(struct cgroup_handle *h, bool *frozen, werr_t *err) {
  *frozen = false;
  if (h->none)
    return 0;
  const struct cg_hier *x = cg_v1(h, "freezer");
  _cleanup_free_ char *s = NULL;
  if (x) {
    if (cg_read(x->dir, "freezer.state", &s, err) < 0)
      return -1;
    *frozen = strcmp(s, "FROZEN") == 0;
    return 0;
  }
  if ((x = cg_v2(h)) == NULL)
    return werr_code(err, ENOENT, "cgroup: no freezer");
  /* cgroup.freeze is what was asked; cgroup.events "frozen" is what is. */
  if (cg_read(x->dir, "cgroup.freeze", &s, err) < 0)
    return -1;
  *frozen = strcmp(s, "1") == 0;
  return 0;
}

int cgroup_freeze(struct cgroup_handle *h, bool freeze, werr_t *err) {
  if (h->none)
    return freeze ? no_cgroup(err) : 0;
  const struct cg_hier *x = cg_v1(h, "freezer");
  const char *want = freeze ? "FROZEN" : "THAWED";
  long wait = 1, waited = 0;
  if (x) {
    for (;;) {
      /* Writing again nudges tasks that were busy at the first try. */
      if (cg_write(x->dir, "freezer.state", want, err) < 0)
        return -1;
      _cleanup_free_ char *s = NULL;
      if (cg_read(x->dir, "freezer.state", &s, err) < 0)
        return -1;
      if (strcmp(s, want) == 0)
        return 0;
      if (waited > 10000) {
        if (freeze) {
          _cleanup_werr_ werr_t e = NULL;
          (void)cg_write(x->dir, "freezer.state", "THAWED", &e);
        }
        return werr_code(err, ETIMEDOUT, "%s/freezer.state: still %s", x->dir, s);
      }
      sleep_ms(wait);
      waited += wait;
      wait = wait < 50 ? wait * 2 : 50;
    }
  }
  if ((x = cg_v2(h)) == NULL)
    return werr_code(err, ENOENT, "cgroup: no freezer");
  if (cg_write(x->dir, "cgroup.freeze", freeze ? "1" : "0", err) < 0)
    return -1;
  for (;;) {
    uint64_t frozen = 0;
    if (cg_read_key(x->dir, "cgroup.events", "frozen", &frozen) < 0)
      return werr_code(err, EIO, "%s/cgroup.events: no frozen key", x->dir);
    if ((frozen != 0) == freeze)
      return 0;
    if (waited > 10000) {
      if (freeze) {
        _cleanup_werr_ werr_t e = NULL;
        (void)cg_write(x->dir, "cgroup.freeze", "0", &e);
      }
      return werr_code(err, ETIMEDOUT, "%s/cgroup.events: frozen did not become %d",
                  x->dir, freeze);
    }
    sleep_ms(wait);
    waited += wait;
    wait = wait < 50 ? wait * 2 : 50;
  }
}

static int kill_listed(struct cgroup_handle *h, int sig, werr_t *err) {
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (cgroup_pids(h, &pids, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (kill(pids[i], sig) < 0 && errno != ESRCH)
      return werr_sys(err, "kill %d", (int)pids[i]);
  return 0;
}

int cgroup_signal_all(struct cgroup_handle *h, int sig, werr_t *err) {
  const struct cg_hier *v2 = cg_v2(h);
  if (sig == SIGKILL && v2 && cg_exists(v2->dir, "cgroup.kill"))
    return cg_write(v2->dir, "cgroup.kill", "1", err);
  const struct cg_hier *fz = cg_v1(h, "freezer");
  if (sig != SIGKILL || fz == NULL)
    return kill_listed(h, sig, err);
  /* v1: freeze so nothing forks while we list, kill, thaw so they die. */
  bool was_frozen = false;
  if (cgroup_is_frozen(h, &was_frozen, err) < 0 ||
      (!was_frozen && cgroup_freeze(h, true, err) < 0))
    return -1;
  int rc = kill_listed(h, sig, err);
  _cleanup_werr_ werr_t e = NULL;
  if (cgroup_freeze(h, false, rc < 0 ? &e : err) < 0 && rc == 0)
    rc = -1;
  return rc;
}
