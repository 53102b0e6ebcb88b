/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The lowest cgroup layer: where the hierarchies are (one reading of
 * /proc/self/mountinfo), the file helpers every knob goes through, and the
 * processes under a directory.  Nothing here knows about linux.resources. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cgroup_layout.h"
#include "cleanup.h"
#include "utils.h"

bool strv_contains(char *const *v, const char *s) {
  for (; v && *v; v++)
    if (strcmp(*v, s) == 0)
      return true;
  return false;
}

static void strv_push(char ***v, const char *s) {
  size_t n = strv_len(*v);
  char **nv = realloc(*v, (n + 2) * sizeof(char *));
  if (nv == NULL)
    abort();
  nv[n] = xstrdup(s);
  nv[n + 1] = NULL;
  *v = nv;
}

const char *cg_layout_name(enum cg_layout l) {
  switch (l) {
  case CG_LAYOUT_V1:
    return "v1";
  case CG_LAYOUT_V2:
    return "v2";
  case CG_LAYOUT_HYBRID:
    return "hybrid";
  }
  return "?";
}

/* ---- layout detection ---------------------------------------------- */

void cg_hier_free(struct cg_hier *x) {
  free(x->name);
  strv_free(x->controllers);
  free(x->mnt);
  free(x->dir);
}

void cgroup_handle_free(struct cgroup_handle *h) {
  if (h == NULL)
    return;
  for (size_t i = 0; i < h->n; i++)
    cg_hier_free(&h->h[i]);
  free(h->h);
  free(h->path);
  free(h);
}

/* Mount options of a v1 cgroup that are not controllers. */
static bool v1_option_is_flag(const char *name) {
  static const char *const flags[] = {"rw",
                                      "ro",
                                      "noprefix",
                                      "clone_children",
                                      "xattr",
                                      "cpuset_v2_mode",
                                      "favordynmods",
                                      "release_agent",
                                      "none",
                                      "all",
                                      NULL};
  return strv_contains((char *const *)flags, name);
}

static struct cg_hier *add_hier(struct cgroup_handle *h) {
  struct cg_hier *v = realloc(h->h, (h->n + 1) * sizeof(*v));
  if (v == NULL)
    abort();
  h->h = v;
  memset(&v[h->n], 0, sizeof(v[0]));
  return &v[h->n++];
}

static void read_v2_controllers(struct cg_hier *x) {
  _cleanup_free_ char *list = NULL;
  _cleanup_werr_ werr_t e = NULL;
  if (cg_read(x->mnt, "cgroup.controllers", &list, &e) == 0) {
    char *save = NULL;
    for (char *c = strtok_r(list, " \n", &save); c;
         c = strtok_r(NULL, " \n", &save))
      strv_push(&x->controllers, c);
  }
}

/* The common host: one cgroup2 mount at /sys/fs/cgroup, told by statfs
 * without reading mountinfo (or loading libmount to read it).  Named v1
 * hierarchies elsewhere play no part on such a host, as below. */
static bool detect_pure_v2(struct cgroup_handle *h) {
  struct statfs sf;
  if (statfs("/sys/fs/cgroup", &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC)
    return false;
  struct cg_hier *x = add_hier(h);
  x->v2 = true;
  x->name = xstrdup("unified");
  x->mnt = xstrdup("/sys/fs/cgroup");
  read_v2_controllers(x);
  h->layout = CG_LAYOUT_V2;
  return true;
}

int cg_detect(struct cgroup_handle *h, werr_t *err) {
  if (detect_pure_v2(h))
    return 0;
  struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");
  if (tb == NULL)
    return werr_sys(err, "read /proc/self/mountinfo");
  struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
  if (it == NULL)
    abort();
  dev_t seen[64];
  size_t nseen = 0;
  struct cg_hier v2 = {0};
  bool have_v2 = false;
  struct libmnt_fs *fs;
  while (mnt_table_next_fs(tb, it, &fs) == 0) {
    const char *type = mnt_fs_get_fstype(fs);
    const char *target = mnt_fs_get_target(fs);
    if (type == NULL || target == NULL ||
        (strcmp(type, "cgroup") != 0 && strcmp(type, "cgroup2") != 0))
      continue;
    /* Mounts hidden under a later mount (a test's private cgroup2 over
     * /sys/fs/cgroup) still appear in mountinfo: only what the path
     * reaches counts. */
    struct stat st;
    dev_t dev = mnt_fs_get_devno(fs);
    if (stat(target, &st) < 0 || st.st_dev != dev)
      continue;
    bool dup = false;
    for (size_t i = 0; i < nseen; i++)
      dup |= seen[i] == dev;
    if (dup || nseen == sizeof(seen) / sizeof(seen[0]))
      continue;
    seen[nseen++] = dev;
    if (strcmp(type, "cgroup2") == 0) {
      /* Prefer the one at the usual places if there are several. */
      if (have_v2 && strcmp(target, "/sys/fs/cgroup") != 0)
        continue;
      cg_hier_free(&v2);
      memset(&v2, 0, sizeof(v2));
      v2.v2 = true;
      v2.name = xstrdup("unified");
      v2.mnt = xstrdup(target);
      have_v2 = true;
      continue;
    }
    const char *opts = mnt_fs_get_fs_options(fs);
    char *name = NULL, *value = NULL;
    size_t nsz = 0, vsz = 0;
    char *optstr = (char *)(opts ? opts : "");
    char **ctrls = NULL;
    _cleanup_free_ char *label = NULL;
    while (mnt_optstr_next_option(&optstr, &name, &nsz, &value, &vsz) == 0) {
      _cleanup_free_ char *opt = strndup(name, nsz);
      if (opt == NULL)
        abort();
      if (strcmp(opt, "name") == 0 && value) {
        free(label);
        label = xasprintf("name=%.*s", (int)vsz, value);
      } else if (!v1_option_is_flag(opt)) {
        strv_push(&ctrls, opt);
      }
    }
    struct cg_hier *x = add_hier(h);
    x->mnt = xstrdup(target);
    x->controllers = ctrls;
    x->named = ctrls == NULL;
    if (ctrls) {
      size_t len = 0;
      for (char **c = ctrls; *c; c++)
        len += strlen(*c) + 1;
      x->name = calloc(1, len + 1);
      if (x->name == NULL)
        abort();
      for (char **c = ctrls; *c; c++) {
        if (c != ctrls)
          strcat(x->name, ",");
        strcat(x->name, *c);
      }
    } else {
      x->name = label ? xstrdup(label) : xstrdup(target);
    }
  }
  mnt_free_iter(it);
  mnt_unref_table(tb);

  size_t controllers = 0;
  for (size_t i = 0; i < h->n; i++)
    controllers += !h->h[i].named;
  if (controllers == 0) {
    /* Pure v2: named v1 hierarchies (name=systemd) play no part. */
    for (size_t i = 0; i < h->n; i++)
      cg_hier_free(&h->h[i]);
    h->n = 0;
  }
  if (have_v2) {
    read_v2_controllers(&v2);
    *add_hier(h) = v2;
  }
  if (h->n == 0)
    return werr_code(err, ENOENT,
                "cgroup: no cgroup filesystem mounted (/proc/self/mountinfo)");
  h->layout = controllers == 0 ? CG_LAYOUT_V2
              : have_v2        ? CG_LAYOUT_HYBRID
                               : CG_LAYOUT_V1;
  return 0;
}

struct cg_hier *cg_v1(const struct cgroup_handle *h, const char *controller) {
  for (size_t i = 0; i < h->n; i++)
    if (!h->h[i].v2 && strv_contains(h->h[i].controllers, controller))
      return &h->h[i];
  return NULL;
}

struct cg_hier *cg_v2(const struct cgroup_handle *h) {
  for (size_t i = 0; i < h->n; i++)
    if (h->h[i].v2)
      return &h->h[i];
  return NULL;
}

struct cg_hier *cg_v2_with(const struct cgroup_handle *h,
                           const char *controller) {
  struct cg_hier *x = cg_v2(h);
  if (x && strv_contains(x->controllers, controller) &&
      cg_v1(h, controller) == NULL)
    return x;
  return NULL;
}

/* The container's directory in every hierarchy: mount point + path. */
void cg_set_dirs(struct cgroup_handle *h) {
  for (size_t i = 0; i < h->n; i++) {
    free(h->h[i].dir);
    h->h[i].dir = xasprintf("%s%s", h->h[i].mnt, h->path);
  }
}

/* Not real root: an unprivileged user, or root of a user namespace. */
bool cg_running_rootless(void) {
  if (geteuid() != 0)
    return true;
  _cleanup_free_ char *map = NULL;
  _cleanup_werr_ werr_t e = NULL;
  if (cg_read("/proc/self", "uid_map", &map, &e) < 0)
    return false;
  unsigned a, b, c;
  return !(sscanf(map, "%u %u %u", &a, &b, &c) == 3 && a == 0 && b == 0 &&
           c == 4294967295u);
}

/* ---- files ---------------------------------------------------------- */

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

void cg_deprecated_ignored(const char *field, const char *why) {
  ward_warn("%s: deprecated in the runtime-spec and not available here (%s): "
            "ignored, as runc does",
            field, why);
}

/* ---- processes ------------------------------------------------------ */

static int collect(const char *dir, pid_t **pids, size_t *n, werr_t *err) {
  _cleanup_free_ char *s = NULL;
  if (cg_read(dir, "cgroup.procs", &s, err) < 0)
    return errno == ENOENT ? 0 : -1;
  char *save = NULL;
  for (char *t = strtok_r(s, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
    pid_t *np = realloc(*pids, (*n + 1) * sizeof(pid_t));
    if (np == NULL)
      abort();
    *pids = np;
    (*pids)[(*n)++] = (pid_t)atoi(t);
  }
  DIR *d = opendir(dir);
  if (d == NULL)
    return 0;
  struct dirent *e;
  int rc = 0;
  while (rc == 0 && (e = readdir(d)) != NULL) {
    if (e->d_type != DT_DIR || e->d_name[0] == '.')
      continue;
    _cleanup_free_ char *sub = xasprintf("%s/%s", dir, e->d_name);
    rc = collect(sub, pids, n, err);
  }
  closedir(d);
  return rc;
}

int cg_dir_pids(const char *dir, pid_t **pids, size_t *n, werr_t *err) {
  *pids = NULL;
  *n = 0;
  if (collect(dir, pids, n, err) < 0) {
    free(*pids);
    *pids = NULL;
    return -1;
  }
  return 0;
}

/* Every process is in every hierarchy; v2 (or v1 freezer) sees them all
 * even when the container made sub-cgroups in some hierarchy. */
