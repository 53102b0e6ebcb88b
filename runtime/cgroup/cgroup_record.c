/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cgroup as the container's state record holds it (cgroup.h's
 * cgroup_serialize / cgroup_open): the path, the layout and, per
 * hierarchy, where it was mounted, so that later commands need not read
 * the mount table again while those mounts are still there. */
#include <errno.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <yajl/yajl_gen.h>

#include "cgroup_plan.h"
#include "cleanup.h"
#include "json.h"
#include "utils.h"

char *cgroup_serialize(const struct cgroup_handle *h) {
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    abort();
  yajl_gen_map_open(g);
  json_gen_str(g, "layout");
  json_gen_str(g, h->none ? "none" : cg_layout_name(h->layout));
  json_gen_str(g, "path");
  json_gen_str(g, h->path);
  json_gen_str(g, "created");
  yajl_gen_map_open(g);
  for (size_t i = 0; i < h->n; i++) {
    json_gen_str(g, h->h[i].name);
    yajl_gen_integer(g, h->h[i].created);
  }
  yajl_gen_map_close(g);
  /* Where each hierarchy is and which filesystem it is: cgroup_open
   * finds them again without reading the mount table (mounts_from). */
  dev_t *devs = xmalloc0((h->n + 1) * sizeof(dev_t));
  bool all = !h->none && h->n > 0;
  for (size_t i = 0; i < h->n && all; i++) {
    struct stat st;
    all = stat(h->h[i].mnt, &st) == 0;
    devs[i] = st.st_dev;
  }
  if (all) {
    json_gen_str(g, "mounts");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < h->n; i++) {
      yajl_gen_map_open(g);
      json_gen_kv(g, "name", h->h[i].name);
      json_gen_kv(g, "mnt", h->h[i].mnt);
      json_gen_str(g, "dev");
      yajl_gen_integer(g, (long long)devs[i]);
      json_gen_str(g, "v2");
      yajl_gen_bool(g, h->h[i].v2);
      json_gen_str(g, "named");
      yajl_gen_bool(g, h->h[i].named);
      yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
  }
  free(devs);
  yajl_gen_map_close(g);
  return json_gen_finish(g);
}

/* The words of S between SEPS, as a NULL-terminated vector. */
static char **split_words(const char *s, const char *seps) {
  size_t n = 0;
  char **v = xmalloc0(sizeof(char *));
  _cleanup_free_ char *copy = xstrdup(s);
  char *save = NULL;
  for (char *t = strtok_r(copy, seps, &save); t;
       t = strtok_r(NULL, seps, &save)) {
    char **nv = realloc(v, (n + 2) * sizeof(char *));
    if (nv == NULL)
      abort();
    v = nv;
    v[n++] = xstrdup(t);
    v[n] = NULL;
  }
  return v;
}

static const char *json_string_at(yajl_val obj, const char *key) {
  yajl_val v = json_get(obj, key);
  return v && YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}

/* The hierarchies as cgroup_serialize recorded them, if every one is
 * still mounted where it was (the same filesystem, by st_dev): what
 * cg_detect would find of the container's directories, without parsing
 * /proc/self/mountinfo.  A mount namespace that shows another layout (a
 * test's cgroup2 over /sys/fs/cgroup) fails the check, and cg_detect
 * then reports it.  A hierarchy mounted since is not looked at: the
 * container has no directory there.  0: filled; -1: no usable record,
 * H untouched. */
static int mounts_from(yajl_val mounts, const char *layout,
                       struct cgroup_handle *h) {
  if (mounts == NULL || !YAJL_IS_ARRAY(mounts) || mounts->u.array.len == 0)
    return -1;
  enum cg_layout l;
  if (strcmp(layout, "v1") == 0)
    l = CG_LAYOUT_V1;
  else if (strcmp(layout, "v2") == 0)
    l = CG_LAYOUT_V2;
  else if (strcmp(layout, "hybrid") == 0)
    l = CG_LAYOUT_HYBRID;
  else
    return -1;
  size_t n = mounts->u.array.len;
  for (size_t i = 0; i < n; i++) {
    yajl_val m = mounts->u.array.values[i];
    const char *name = json_string_at(m, "name"), *mnt = json_string_at(m, "mnt");
    yajl_val dev = json_get(m, "dev");
    bool v2 = YAJL_IS_TRUE(json_get(m, "v2"));
    struct stat st;
    struct statfs sf;
    /* And a cgroup filesystem of that version: ward writes below it. */
    if (name == NULL || mnt == NULL || mnt[0] != '/' || dev == NULL ||
        !YAJL_IS_INTEGER(dev) || stat(mnt, &st) < 0 ||
        (long long)st.st_dev != YAJL_GET_INTEGER(dev) || statfs(mnt, &sf) < 0 ||
        sf.f_type != (v2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC))
      return -1;
  }
  struct cg_hier *v = xmalloc0(n * sizeof(*v));
  for (size_t i = 0; i < n; i++) {
    yajl_val m = mounts->u.array.values[i];
    struct cg_hier *x = &v[i];
    x->name = xstrdup(json_string_at(m, "name"));
    x->mnt = xstrdup(json_string_at(m, "mnt"));
    x->v2 = YAJL_IS_TRUE(json_get(m, "v2"));
    x->named = !x->v2 && YAJL_IS_TRUE(json_get(m, "named"));
    _cleanup_free_ char *list = NULL;
    _cleanup_werr_ werr_t e = NULL;
    /* v2: what is available now, as cg_detect reads it. */
    if (x->v2 && cg_read(x->mnt, "cgroup.controllers", &list, &e) == 0)
      x->controllers = split_words(list, " \n");
    else if (!x->v2 && !x->named)
      x->controllers = split_words(x->name, ",");
  }
  h->h = v;
  h->n = n;
  h->layout = l;
  return 0;
}

int cgroup_open(const char *serialized, struct cgroup_handle **out,
                werr_t *err) {
  yajl_val v = NULL;
  if (serialized == NULL || serialized[0] == '\0')
    return werr_code(err, ENOENT, "cgroup: the container has no cgroup recorded");
  if (json_parse_buf(serialized, "cgroup state", &v, err) < 0)
    return -1;
  struct cgroup_handle *h = calloc(1, sizeof(*h));
  if (h == NULL)
    abort();
  _cleanup_free_ char *layout = NULL;
  if (json_str(v, "cgroup", "layout", &layout, err) < 0 ||
      json_str(v, "cgroup", "path", &h->path, err) < 0)
    goto fail;
  if (layout == NULL || h->path == NULL || h->path[0] != '/' ||
      strstr(h->path, "/..")) {
    werr_code(err, EINVAL, "cgroup: malformed state \"%s\"", serialized);
    goto fail;
  }
  if (strcmp(layout, "none") == 0) {
    h->none = true;
    yajl_tree_free(v);
    *out = h;
    return 0;
  }
  if (mounts_from(json_get(v, "mounts"), layout, h) < 0 &&
      cg_detect(h, err) < 0)
    goto fail;
  if (strcmp(layout, cg_layout_name(h->layout)) != 0) {
    werr(err,
         "cgroup: the container was created on a %s layout, this mount "
         "namespace has %s",
         layout, cg_layout_name(h->layout));
    goto fail;
  }
  cg_set_dirs(h);
  h->rootless = cg_running_rootless();
  yajl_val created = json_get(v, "created");
  for (size_t i = 0; i < h->n; i++) {
    yajl_val c = json_get(created, h->h[i].name);
    if (c && YAJL_IS_INTEGER(c))
      h->h[i].created = (int)YAJL_GET_INTEGER(c);
  }
  yajl_tree_free(v);
  *out = h;
  return 0;
fail:
  yajl_tree_free(v);
  cgroup_handle_free(h);
  return -1;
}

