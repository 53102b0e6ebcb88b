/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config.json: the document, root, mounts, hooks, annotations, the id
 * mappings other parsers reuse, and the checks that span sections.
 * process.* lives in config_process.c, linux.* in config_linux.c. */
#include "config.h"

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "config_parts.h"
#include "linux_resources.h"
#include "linux_seccomp.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* The one table of namespace kinds: everything ward knows about a kind
 * (its OCI name, its /proc/PID/ns name, its CLONE flag, whether clone3
 * creates it and when it is joined) is a field of its row. */
static const struct spec_ns_kind ns_kinds[SPEC_NS_COUNT] = {
    [SPEC_NS_USER] = {"user", "user", CLONE_NEWUSER, true, 0},
    [SPEC_NS_PID] = {"pid", "pid", CLONE_NEWPID, true, -1},
    [SPEC_NS_NETWORK] = {"network", "net", CLONE_NEWNET, true, 1},
    [SPEC_NS_IPC] = {"ipc", "ipc", CLONE_NEWIPC, true, 2},
    [SPEC_NS_UTS] = {"uts", "uts", CLONE_NEWUTS, true, 3},
    [SPEC_NS_MOUNT] = {"mount", "mnt", CLONE_NEWNS, true, 4},
    /* cgroup: unshared by the init once it sits in its cgroup, so that
     * the namespace's root is the container's cgroup. time: unshared by
     * ward itself, because offsets are written before the first process
     * enters. pid and time are joined by ward before the clone. */
    [SPEC_NS_CGROUP] = {"cgroup", "cgroup", CLONE_NEWCGROUP, false, 5},
    [SPEC_NS_TIME] = {"time", "time", CLONE_NEWTIME, false, -1},
};

const struct spec_ns_kind *spec_ns_kind(enum spec_ns ns) {
  static const struct spec_ns_kind unknown = {"unknown", "unknown", 0, false,
                                              -1};
  return (unsigned)ns < SPEC_NS_COUNT ? &ns_kinds[ns] : &unknown;
}

const char *spec_ns_name(enum spec_ns ns) { return spec_ns_kind(ns)->name; }

const char *spec_ns_procname(enum spec_ns ns) {
  return spec_ns_kind(ns)->procname;
}

int spec_ns_cloneflag(enum spec_ns ns) { return spec_ns_kind(ns)->flag; }

/* ---- shared checks ---------------------------------------------------- */

bool spec_one_of(const char *s, const char *const *allowed) {
  for (; *allowed; allowed++)
    if (strcmp(s, *allowed) == 0)
      return true;
  return false;
}

char *spec_join(const char *const *allowed) {
  size_t n = 1;
  for (const char *const *a = allowed; *a; a++)
    n += strlen(*a) + 1;
  char *s = spec_xcalloc(1, n);
  for (const char *const *a = allowed; *a; a++) {
    if (a != allowed)
      strcat(s, " ");
    strcat(s, *a);
  }
  return s;
}

int spec_want_one_of(const char *s, const char *const *allowed,
                     const char *path, werr_t *err) {
  if (spec_one_of(s, allowed))
    return 0;
  _cleanup_free_ char *list = spec_join(allowed);
  return werr(err, "%s: must be one of %s, got \"%s\"", path, list, s);
}

int spec_require(yajl_val obj, const char *parent, const char *key,
                 werr_t *err) {
  if (json_get(obj, key) != NULL)
    return 0;
  _cleanup_free_ char *p = json_path(parent, key);
  return werr(err, "%s: required", p);
}

int spec_want_abs(const char *s, const char *path, werr_t *err) {
  if (s != NULL && s[0] == '/')
    return 0;
  return werr(err, "%s: must be an absolute path", path);
}

/* ---- id mappings ------------------------------------------------------ */

void spec_idmaps_free(struct spec_idmaps *m) {
  free(m->items);
  m->items = NULL;
  m->len = 0;
}

static bool ranges_overlap(uint32_t a, uint32_t alen, uint32_t b,
                           uint32_t blen) {
  return (uint64_t)a < (uint64_t)b + blen && (uint64_t)b < (uint64_t)a + alen;
}

static int parse_idmap(yajl_val e, const char *path, struct spec_idmap *m,
                       werr_t *err) {
  static const char *const keys[] = {"containerID", "hostID", "size"};
  uint32_t *dst[] = {&m->containerID, &m->hostID, &m->size};
  if (json_want_object(e, path, err) < 0)
    return -1;
  for (size_t k = 0; k < 3; k++)
    if (spec_require(e, path, keys[k], err) < 0 ||
        json_u32(e, path, keys[k], dst[k], err) < 0)
      return -1;
  if (m->size == 0)
    return werr(err, "%s.size: must be > 0", path);
  /* The kernel rejects an extent whose end wraps past 2^32-1, and
   * 4294967295 itself is never a valid id. */
  if ((uint64_t)m->containerID + m->size > UINT32_MAX)
    return werr(err, "%s: containerID + size must be <= 4294967295", path);
  if ((uint64_t)m->hostID + m->size > UINT32_MAX)
    return werr(err, "%s: hostID + size must be <= 4294967295", path);
  return 0;
}

int spec_parse_idmaps(yajl_val obj, const char *parent, const char *key,
                      struct spec_idmaps *out, werr_t *err) {
  yajl_val v = json_get(obj, key);
  if (v == NULL)
    return 0;
  _cleanup_free_ char *path = json_path(parent, key);
  if (json_want_array(v, path, err) < 0)
    return -1;
  size_t n = v->u.array.len;
  if (n > SPEC_IDMAP_MAX_LINES)
    return werr(err, "%s: at most %d entries (the kernel's limit), got %zu",
                path, SPEC_IDMAP_MAX_LINES, n);
  _cleanup_free_ struct spec_idmap *items = spec_xcalloc(n, sizeof(*items));
  for (size_t i = 0; i < n; i++) {
    _cleanup_free_ char *ip = json_path_idx(path, i);
    if (parse_idmap(v->u.array.values[i], ip, &items[i], err) < 0)
      return -1;
    /* The kernel refuses overlapping extents with a bare EINVAL; say which. */
    for (size_t j = 0; j < i; j++) {
      if (ranges_overlap(items[i].containerID, items[i].size,
                         items[j].containerID, items[j].size))
        return werr(err, "%s: containerID range overlaps %s[%zu]", ip, path, j);
      if (ranges_overlap(items[i].hostID, items[i].size, items[j].hostID,
                         items[j].size))
        return werr(err, "%s: hostID range overlaps %s[%zu]", ip, path, j);
    }
  }
  spec_idmaps_free(out);
  out->items = take_ptr(items);
  out->len = n;
  return 0;
}

/* ---- mounts ----------------------------------------------------------- */

static void mount_free(struct spec_mount *m) {
  free(m->destination);
  free(m->source);
  free(m->type);
  strv_free(m->options);
  spec_idmaps_free(&m->uidMappings);
  spec_idmaps_free(&m->gidMappings);
}

static int parse_mount(yajl_val e, const char *path, struct spec_mount *m,
                       werr_t *err) {
  if (json_want_object(e, path, err) < 0 ||
      spec_require(e, path, "destination", err) < 0 ||
      json_str(e, path, "destination", &m->destination, err) < 0 ||
      json_str(e, path, "source", &m->source, err) < 0 ||
      json_str(e, path, "type", &m->type, err) < 0 ||
      json_strv(e, path, "options", &m->options, err) < 0 ||
      spec_parse_idmaps(e, path, "uidMappings", &m->uidMappings, err) < 0 ||
      spec_parse_idmaps(e, path, "gidMappings", &m->gidMappings, err) < 0)
    return -1;
  _cleanup_free_ char *dp = json_path(path, "destination");
  if (spec_want_abs(m->destination, dp, err) < 0)
    return -1;
  if ((m->uidMappings.len == 0) != (m->gidMappings.len == 0))
    return werr(err, "%s: uidMappings and gidMappings must be set together",
                path);
  return 0;
}

static int parse_mounts(yajl_val root, struct spec_config *c, werr_t *err) {
  yajl_val v = json_get(root, "mounts");
  if (v == NULL)
    return 0;
  if (json_want_array(v, "mounts", err) < 0)
    return -1;
  c->mounts = spec_xcalloc(v->u.array.len, sizeof(*c->mounts));
  for (size_t i = 0; i < v->u.array.len; i++) {
    _cleanup_free_ char *p = json_path_idx("mounts", i);
    c->mounts_len = i + 1; /* so spec_config_free sees the partial one */
    if (parse_mount(v->u.array.values[i], p, &c->mounts[i], err) < 0)
      return -1;
  }
  return 0;
}

/* ---- hooks ------------------------------------------------------------ */

static void hooklist_free(struct spec_hooklist *l) {
  for (size_t i = 0; i < l->len; i++) {
    free(l->items[i].path);
    strv_free(l->items[i].args);
    strv_free(l->items[i].env);
  }
  free(l->items);
  l->items = NULL;
  l->len = 0;
}

static int parse_hook(yajl_val e, const char *path, struct spec_hook *h,
                      werr_t *err) {
  int64_t timeout = 0;
  if (json_want_object(e, path, err) < 0 ||
      spec_require(e, path, "path", err) < 0 ||
      json_str(e, path, "path", &h->path, err) < 0 ||
      json_strv(e, path, "args", &h->args, err) < 0 ||
      json_strv(e, path, "env", &h->env, err) < 0 ||
      json_i64_opt(e, path, "timeout", &h->has_timeout, &timeout, err) < 0)
    return -1;
  _cleanup_free_ char *pp = json_path(path, "path");
  if (spec_want_abs(h->path, pp, err) < 0)
    return -1;
  if (h->has_timeout && (timeout <= 0 || timeout > INT32_MAX))
    return werr(err, "%s.timeout: must be > 0", path);
  h->timeout = (int)timeout;
  return 0;
}

static int parse_hooklist(yajl_val hooks, const char *key,
                          struct spec_hooklist *l, werr_t *err) {
  yajl_val v = json_get(hooks, key);
  if (v == NULL)
    return 0;
  _cleanup_free_ char *path = json_path("hooks", key);
  if (json_want_array(v, path, err) < 0)
    return -1;
  l->items = spec_xcalloc(v->u.array.len, sizeof(*l->items));
  for (size_t i = 0; i < v->u.array.len; i++) {
    _cleanup_free_ char *p = json_path_idx(path, i);
    l->len = i + 1;
    if (parse_hook(v->u.array.values[i], p, &l->items[i], err) < 0)
      return -1;
  }
  return 0;
}

static int parse_hooks(yajl_val root, struct spec_hooks *h, werr_t *err) {
  yajl_val v = json_get(root, "hooks");
  if (v == NULL)
    return 0;
  if (json_want_object(v, "hooks", err) < 0)
    return -1;
  if (parse_hooklist(v, "prestart", &h->prestart, err) < 0 ||
      parse_hooklist(v, "createRuntime", &h->createRuntime, err) < 0 ||
      parse_hooklist(v, "createContainer", &h->createContainer, err) < 0 ||
      parse_hooklist(v, "startContainer", &h->startContainer, err) < 0 ||
      parse_hooklist(v, "poststart", &h->poststart, err) < 0 ||
      parse_hooklist(v, "poststop", &h->poststop, err) < 0)
    return -1;
  return 0;
}

/* ---- checks spanning sections ----------------------------------------- */

int spec_sysctl_namespace(const char *raw) {
  /* "net/ipv4/ip_forward" is the same knob as "net.ipv4.ip_forward". */
  char key[256];
  snprintf(key, sizeof(key), "%s", raw);
  for (char *p = key; *p; p++)
    if (*p == '/')
      *p = '.';
  static const char *const ipc_exact[] = {
      "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
      "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
      "kernel.shm_rmid_forced", NULL};
  if (spec_one_of(key, ipc_exact) || strncmp(key, "fs.mqueue.", 10) == 0)
    return SPEC_NS_IPC;
  if (strncmp(key, "net.", 4) == 0)
    return SPEC_NS_NETWORK;
  if (strcmp(key, "kernel.hostname") == 0 ||
      strcmp(key, "kernel.domainname") == 0)
    return SPEC_NS_UTS;
  return -1;
}

static int check_sysctls(const struct spec_linux *l, werr_t *err) {
  for (size_t i = 0; i < l->sysctl.len; i++) {
    int ns = spec_sysctl_namespace(l->sysctl.items[i].key);
    if (ns < 0)
      return werr(err,
                  "linux.sysctl: \"%s\" is not namespaced; refusing to change "
                  "the host's value",
                  l->sysctl.items[i].key);
    if (!l->namespaces[ns].present)
      return werr(err,
                  "linux.sysctl: \"%s\" requires a %s namespace in "
                  "linux.namespaces",
                  l->sysctl.items[i].key, spec_ns_name(ns));
  }
  return 0;
}

static int check_linux(const struct spec_config *c, werr_t *err) {
  const struct spec_linux *l = &c->linux_;
  const struct spec_namespace *ns = l->namespaces;

  if (l->uidMappings.len > 0 && !ns[SPEC_NS_USER].present)
    return werr(err, "linux.uidMappings: requires a user namespace in "
                     "linux.namespaces");
  if (l->gidMappings.len > 0 && !ns[SPEC_NS_USER].present)
    return werr(err, "linux.gidMappings: requires a user namespace in "
                     "linux.namespaces");
  /* A new user namespace without maps is valid: ward allocates an isolated
   * range for it (runtime/idmap.c), so no "mappings required" check here. */
  if (l->timeOffsets_monotonic.present || l->timeOffsets_boottime.present) {
    if (!ns[SPEC_NS_TIME].present)
      return werr(err, "linux.timeOffsets: requires a time namespace in "
                       "linux.namespaces");
    if (ns[SPEC_NS_TIME].path != NULL)
      return werr(err,
                  "linux.timeOffsets: cannot be set when joining an existing "
                  "time namespace");
  }
  if (l->netDevices_len > 0 && !ns[SPEC_NS_NETWORK].present)
    return werr(err, "linux.netDevices: requires a network namespace in "
                     "linux.namespaces");
  return check_sysctls(l, err);
}

static int check_config(const struct spec_config *c, werr_t *err) {
  const struct spec_namespace *ns = c->linux_.namespaces;
  if (c->hostname && c->hostname[0] && !ns[SPEC_NS_UTS].present)
    return werr(err, "hostname: requires a uts namespace in "
                     "linux.namespaces");
  if (c->domainname && c->domainname[0] && !ns[SPEC_NS_UTS].present)
    return werr(err, "domainname: requires a uts namespace in "
                     "linux.namespaces");
  return check_linux(c, err);
}

/* ---- the document ----------------------------------------------------- */

static int parse_root(yajl_val doc, struct spec_config *c, werr_t *err) {
  yajl_val v = json_get(doc, "root");
  if (v == NULL)
    return werr(err, "root.path: required");
  if (json_want_object(v, "root", err) < 0 ||
      spec_require(v, "root", "path", err) < 0 ||
      json_str(v, "root", "path", &c->root_path, err) < 0 ||
      json_bool(v, "root", "readonly", &c->root_readonly, err) < 0)
    return -1;
  if (c->root_path[0] == '\0')
    return werr(err, "root.path: must not be empty");
  return 0;
}

static int parse_doc(yajl_val doc, struct spec_config *c, werr_t *err) {
  if (doc == NULL || !YAJL_IS_OBJECT(doc))
    return werr(err, "must be a JSON object");
  if (json_str(doc, "", "ociVersion", &c->ociVersion, err) < 0 ||
      parse_root(doc, c, err) < 0 || parse_mounts(doc, c, err) < 0)
    return -1;
  yajl_val proc = json_get(doc, "process");
  if (proc != NULL) {
    if (spec_parse_process(proc, "process", &c->process, err) < 0)
      return -1;
    c->has_process = true;
  }
  if (json_str(doc, "", "hostname", &c->hostname, err) < 0 ||
      json_str(doc, "", "domainname", &c->domainname, err) < 0 ||
      parse_hooks(doc, &c->hooks, err) < 0 ||
      json_strmap(doc, "", "annotations", &c->annotations, err) < 0)
    return -1;
  yajl_val lin = json_get(doc, "linux");
  if (lin != NULL) {
    c->has_linux = true;
    if (spec_parse_linux(lin, "linux", &c->linux_, err) < 0)
      return -1;
  }
  return check_config(c, err);
}

static int parse_named(const char *buf, const char *what,
                       struct spec_config **out, werr_t *err) {
  yajl_val doc = NULL;
  if (json_parse_buf(buf, what, &doc, err) < 0)
    return -1;
  struct spec_config *c = spec_xcalloc(1, sizeof(*c));
  int r = parse_doc(doc, c, err);
  yajl_tree_free(doc);
  if (r < 0) {
    spec_config_free(c);
    return werr_prefix(err, "%s", what);
  }
  *out = c;
  return 0;
}

int spec_config_parse(const char *buf, struct spec_config **out, werr_t *err) {
  return parse_named(buf, "config.json", out, err);
}

int spec_config_load(const char *file, struct spec_config **out, werr_t *err) {
  _cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return werr_sys(err, "open %s", file);
  _cleanup_free_ char *buf = NULL;
  const char *slash = strrchr(file, '/');
  if (json_read_fd(fd, slash ? slash + 1 : file, &buf, err) < 0)
    return -1;
  return parse_named(buf, slash ? slash + 1 : file, out, err);
}

void spec_config_free(struct spec_config *c) {
  if (c == NULL)
    return;
  free(c->ociVersion);
  free(c->root_path);
  for (size_t i = 0; i < c->mounts_len; i++)
    mount_free(&c->mounts[i]);
  free(c->mounts);
  spec_process_free(&c->process);
  free(c->hostname);
  free(c->domainname);
  hooklist_free(&c->hooks.prestart);
  hooklist_free(&c->hooks.createRuntime);
  hooklist_free(&c->hooks.createContainer);
  hooklist_free(&c->hooks.startContainer);
  hooklist_free(&c->hooks.poststart);
  hooklist_free(&c->hooks.poststop);
  kvlist_free(&c->annotations);
  spec_linux_free(&c->linux_);
  free(c);
}
