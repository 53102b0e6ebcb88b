/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What ward keeps beside CRIU's images: the mounts and stdio that lie
 * outside the container (CRIU must be told, as runc tells it), the cgroup
 * path and the idmap allocation at dump time. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "checkpoint.h"
#include "cleanup.h"
#include "json.h"
#include "utils.h"

struct mnt {
  int id;
  char dev[32];
  char *root;
  char *point;
  char *fstype;
};

static void unescape(char *s) {
  char *w = s;
  for (char *r = s; *r;) {
    if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] && r[3]) {
      *w++ = (char)strtol((char[]){r[1], r[2], r[3], 0}, NULL, 8);
      r += 4;
    } else {
      *w++ = *r++;
    }
  }
  *w = '\0';
}

static void mnts_free(struct mnt *m, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(m[i].root);
    free(m[i].point);
    free(m[i].fstype);
  }
  free(m);
}

static int mnts_read(const char *path, struct mnt **out, size_t *n,
                     werr_t *err) {
  _cleanup_fclose_ FILE *f = fopen(path, "re");
  if (!f)
    return werr_sys(err, "open %s", path);
  struct mnt *m = NULL;
  size_t len = 0;
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    char root[4096], point[4096], dev[32];
    int id, parent;
    if (sscanf(line, "%d %d %31s %4095s %4095s", &id, &parent, dev, root,
               point) != 5)
      continue;
    char *sep = strstr(line, " - ");
    char fstype[256] = "";
    if (!sep || sscanf(sep + 3, "%255s", fstype) != 1)
      continue;
    m = realloc(m, (len + 1) * sizeof(*m));
    if (!m)
      abort();
    unescape(root);
    unescape(point);
    m[len] = (struct mnt){.id = id,
                          .root = xstrdup(root),
                          .point = xstrdup(point),
                          .fstype = xstrdup(fstype)};
    snprintf(m[len].dev, sizeof(m[len].dev), "%s", dev);
    len++;
  }
  free(line);
  *out = m;
  *n = len;
  return 0;
}

static bool under(const char *path, const char *dir) {
  if (strcmp(dir, "/") == 0)
    return true;
  size_t n = strlen(dir);
  return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* A mount whose filesystem is mounted in the container at a root above
 * its own is CRIU's to restore; otherwise its source is outside. */
static bool internal(const struct mnt *c, size_t n, size_t k) {
  for (size_t i = 0; i < n; i++)
    if (i != k && strcmp(c[i].dev, c[k].dev) == 0 &&
        (strcmp(c[i].root, "/") == 0 ||
         (under(c[k].root, c[i].root) && strcmp(c[k].root, c[i].root) != 0)))
      return true;
  return false;
}

static char *host_source(const struct mnt *h, size_t nh, const struct mnt *m,
                         const struct mnt **hm) {
  const struct mnt *best = NULL;
  for (size_t i = 0; i < nh; i++)
    if (strcmp(h[i].dev, m->dev) == 0 && under(m->root, h[i].root) &&
        (!best || strlen(h[i].root) > strlen(best->root)))
      best = &h[i];
  if (!best)
    return NULL;
  *hm = best;
  const char *rest =
      m->root + (strcmp(best->root, "/") ? strlen(best->root) : 0);
  if (strcmp(best->point, "/") == 0)
    return xstrdup(rest[0] ? rest : "/");
  return xasprintf("%s%s", best->point, rest);
}

static int scan_mounts(pid_t pid, const char *cgroup_path, struct ckpt_meta *m,
                       werr_t *err) {
  _cleanup_free_ char *path = xasprintf("/proc/%d/mountinfo", pid);
  struct mnt *c = NULL, *h = NULL;
  size_t nc = 0, nh = 0;
  int rc = -1;
  if (mnts_read(path, &c, &nc, err) < 0 ||
      mnts_read("/proc/self/mountinfo", &h, &nh, err) < 0)
    goto out;
  for (size_t k = 0; k < nc; k++) {
    if (strcmp(c[k].point, "/") == 0 || strcmp(c[k].root, "/") == 0 ||
        internal(c, nc, k))
      continue;
    const struct mnt *hm = NULL;
    char *src = host_source(h, nh, &c[k], &hm);
    if (!src) {
      werr_code(err, ENOENT,
                "mount %s in the container: its source is not visible on the "
                "host, CRIU could not restore it",
                c[k].point);
      goto out;
    }
    m->mounts = realloc(m->mounts, (m->n_mounts + 1) * sizeof(*m->mounts));
    if (!m->mounts)
      abort();
    struct ckpt_ext_mount *e = &m->mounts[m->n_mounts++];
    *e = (struct ckpt_ext_mount){.key = xstrdup(c[k].point), .source = src};
    bool cg = strcmp(c[k].fstype, "cgroup") == 0 ||
              strcmp(c[k].fstype, "cgroup2") == 0;
    /* The container's own cgroup, bound from each hierarchy: restore
     * binds the new container's instead. */
    if (cg && cgroup_path && strcmp(c[k].root, cgroup_path) == 0 &&
        strcmp(hm->root, "/") == 0)
      e->cg_base = xstrdup(hm->point);
  }
  rc = 0;
out:
  mnts_free(c, nc);
  mnts_free(h, nh);
  return rc;
}

/* The init's stdio: pipes and files from outside the container are
 * handed back by the restoring ward (CRIU's inherit-fd), as runc does. */
static int scan_stdio(pid_t pid, struct ckpt_meta *m, werr_t *err) {
  _cleanup_free_ char *mi = xasprintf("/proc/%d/mountinfo", pid);
  struct mnt *c = NULL;
  size_t nc = 0;
  if (mnts_read(mi, &c, &nc, err) < 0)
    return -1;
  for (int fd = 0; fd < 3; fd++) {
    char link[64], target[4096];
    snprintf(link, sizeof(link), "/proc/%d/fd/%d", pid, fd);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n < 0)
      continue;
    target[n] = '\0';
    if (strncmp(target, "pipe:", 5) == 0) {
      m->stdio[fd] = xstrdup(target);
      continue;
    }
    if (target[0] != '/')
      continue; /* sockets, anon inodes: CRIU's own rules apply */
    char info[64];
    snprintf(info, sizeof(info), "/proc/%d/fdinfo/%d", pid, fd);
    _cleanup_free_ char *text = NULL;
    struct stat st;
    if (read_file(info, &text, NULL, NULL) < 0 || stat(link, &st) < 0)
      continue;
    char *p = strstr(text, "mnt_id:");
    if (!p)
      continue;
    int mnt_id = atoi(p + 7);
    bool inside = false;
    for (size_t i = 0; i < nc; i++)
      inside |= c[i].id == mnt_id;
    if (!inside)
      m->stdio[fd] = xasprintf("file[%x:%llx]", (unsigned)mnt_id,
                               (unsigned long long)st.st_ino);
  }
  mnts_free(c, nc);
  return 0;
}

char *ckpt_freezer_path(const char *cgroup_path) {
  if (!cgroup_path)
    return NULL;
  _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f)
    return NULL;
  char *line = NULL, *found = NULL;
  size_t cap = 0;
  while (!found && getline(&line, &cap, f) > 0) {
    char root[4096], point[4096], fstype[64], src[256], opts[1024];
    char *sep = strstr(line, " - ");
    if (!sep || sscanf(line, "%*d %*d %*s %4095s %4095s", root, point) != 2 ||
        sscanf(sep + 3, "%63s %255s %1023s", fstype, src, opts) != 3 ||
        strcmp(root, "/") != 0)
      continue;
    unescape(point);
    bool v1 = strcmp(fstype, "cgroup") == 0;
    bool freezer = false;
    for (char *o = strtok(opts, ","); v1 && o; o = strtok(NULL, ","))
      freezer |= strcmp(o, "freezer") == 0;
    if (freezer)
      found = xasprintf("%s%s", point, cgroup_path);
  }
  if (!found) {
    /* Pure v2: the freezer is every cgroup's cgroup.freeze. */
    rewind(f);
    while (!found && getline(&line, &cap, f) > 0) {
      char root[4096], point[4096], fstype[64];
      char *sep = strstr(line, " - ");
      if (sep && sscanf(line, "%*d %*d %*s %4095s %4095s", root, point) == 2 &&
          sscanf(sep + 3, "%63s", fstype) == 1 &&
          strcmp(fstype, "cgroup2") == 0 && strcmp(root, "/") == 0 &&
          strcmp(point, "/sys/fs/cgroup") == 0)
        found = xasprintf("%s%s", point, cgroup_path);
    }
  }
  free(line);
  return found;
}

int ckpt_meta_scan(pid_t pid, const char *cgroup_path, struct ckpt_meta *m,
                   werr_t *err) {
  if (scan_mounts(pid, cgroup_path, m, err) < 0 || scan_stdio(pid, m, err) < 0)
    return -1;
  m->cgroup = cgroup_path ? xstrdup(cgroup_path) : NULL;
  struct stat self, it;
  char ns[64], map[64];
  snprintf(ns, sizeof(ns), "/proc/%d/ns/user", pid);
  if (stat("/proc/self/ns/user", &self) == 0 && stat(ns, &it) == 0 &&
      self.st_ino != it.st_ino) {
    snprintf(map, sizeof(map), "/proc/%d/uid_map", pid);
    if (read_file(map, &m->uid_map, NULL, err) < 0)
      return -1;
    snprintf(map, sizeof(map), "/proc/%d/gid_map", pid);
    if (read_file(map, &m->gid_map, NULL, err) < 0)
      return -1;
  }
  return 0;
}

void ckpt_meta_free(struct ckpt_meta *m) {
  for (size_t i = 0; i < m->n_mounts; i++) {
    free(m->mounts[i].key);
    free(m->mounts[i].source);
    free(m->mounts[i].cg_base);
  }
  free(m->mounts);
  for (int i = 0; i < 3; i++)
    free(m->stdio[i]);
  free(m->cgroup);
  free(m->uid_map);
  free(m->gid_map);
  free(m->idmap_kind);
  memset(m, 0, sizeof(*m));
}

static void gstr(yajl_gen g, const char *s) {
  if (s)
    yajl_gen_string(g, (const unsigned char *)s, strlen(s));
  else
    yajl_gen_null(g);
}

int ckpt_meta_save(const char *dir, const struct ckpt_meta *m, werr_t *err) {
  yajl_gen g = yajl_gen_alloc(NULL);
  yajl_gen_config(g, yajl_gen_beautify, 1);
  yajl_gen_map_open(g);
  gstr(g, "mounts");
  yajl_gen_array_open(g);
  for (size_t i = 0; i < m->n_mounts; i++) {
    yajl_gen_map_open(g);
    gstr(g, "key");
    gstr(g, m->mounts[i].key);
    gstr(g, "source");
    gstr(g, m->mounts[i].source);
    if (m->mounts[i].cg_base) {
      gstr(g, "cgroupBase");
      gstr(g, m->mounts[i].cg_base);
    }
    yajl_gen_map_close(g);
  }
  yajl_gen_array_close(g);
  gstr(g, "stdio");
  yajl_gen_array_open(g);
  for (int i = 0; i < 3; i++)
    gstr(g, m->stdio[i]);
  yajl_gen_array_close(g);
  gstr(g, "cgroup");
  gstr(g, m->cgroup);
  gstr(g, "uidMap");
  gstr(g, m->uid_map);
  gstr(g, "gidMap");
  gstr(g, m->gid_map);
  gstr(g, "idmapKind");
  gstr(g, m->idmap_kind);
  yajl_gen_map_close(g);
  _cleanup_free_ char *text = json_gen_finish(g);
  _cleanup_free_ char *path = xasprintf("%s/" CKPT_META, dir);
  return write_file_atomic(path, text, strlen(text), err);
}

static char *opt_str(yajl_val v, const char *key) {
  yajl_val s = json_get(v, key);
  return YAJL_IS_STRING(s) ? xstrdup(YAJL_GET_STRING(s)) : NULL;
}

int ckpt_meta_load(const char *dir, struct ckpt_meta *m, werr_t *err) {
  _cleanup_free_ char *path = xasprintf("%s/" CKPT_META, dir);
  if (access(path, F_OK) < 0)
    return werr_code(
        err, ENOENT,
        "--image-path %s: not a complete ward checkpoint (no " CKPT_META ")",
        dir);
  yajl_val v = NULL;
  if (json_parse_file(path, &v, err) < 0)
    return -1;
  yajl_val mounts = json_get(v, "mounts");
  if (YAJL_IS_ARRAY(mounts)) {
    size_t n = YAJL_GET_ARRAY(mounts)->len;
    m->mounts = xmalloc0((n + 1) * sizeof(*m->mounts));
    for (size_t i = 0; i < n; i++) {
      yajl_val e = YAJL_GET_ARRAY(mounts)->values[i];
      struct ckpt_ext_mount *x = &m->mounts[m->n_mounts];
      x->key = opt_str(e, "key");
      x->source = opt_str(e, "source");
      x->cg_base = opt_str(e, "cgroupBase");
      if (x->key && x->source)
        m->n_mounts++;
    }
  }
  yajl_val stdio = json_get(v, "stdio");
  for (size_t i = 0;
       YAJL_IS_ARRAY(stdio) && i < 3 && i < YAJL_GET_ARRAY(stdio)->len; i++) {
    yajl_val s = YAJL_GET_ARRAY(stdio)->values[i];
    m->stdio[i] = YAJL_IS_STRING(s) ? xstrdup(YAJL_GET_STRING(s)) : NULL;
  }
  m->cgroup = opt_str(v, "cgroup");
  m->uid_map = opt_str(v, "uidMap");
  m->gid_map = opt_str(v, "gidMap");
  m->idmap_kind = opt_str(v, "idmapKind");
  yajl_tree_free(v);
  return 0;
}
