/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.*: namespaces, id mappings, devices and the other Linux-only
 * sections.  resources and seccomp have their own parsers. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "config.h"
#include "config_parts.h"
#include "linux_resources.h"
#include "linux_seccomp.h"

static const char *const propagations[] = {
    "private", "rprivate", "slave",      "rslave",
    "shared",  "rshared",  "unbindable", "runbindable", NULL};
static const char *const device_types[] = {"c", "b", "u", "p", NULL};
static const char *const personality_domains[] = {"LINUX", "LINUX32", NULL};

static int ns_from_name(const char *name) {
  for (int i = 0; i < SPEC_NS_COUNT; i++)
    if (strcmp(name, spec_ns_name(i)) == 0)
      return i;
  return -1;
}

static int parse_namespace(yajl_val e, const char *path, struct spec_linux *l,
                           werr_t *err) {
  _cleanup_free_ char *type = NULL, *nspath = NULL;
  if (json_want_object(e, path, err) < 0 ||
      spec_require(e, path, "type", err) < 0 ||
      json_str(e, path, "type", &type, err) < 0 ||
      json_str(e, path, "path", &nspath, err) < 0)
    return -1;
  int ns = ns_from_name(type);
  if (ns < 0)
    return werr(err, "%s.type: unknown namespace type \"%s\"", path, type);
  if (l->namespaces[ns].present)
    return werr(err, "%s.type: duplicate namespace \"%s\"", path, type);
  if (nspath != NULL) {
    _cleanup_free_ char *pp = json_path(path, "path");
    if (spec_want_abs(nspath, pp, err) < 0)
      return -1;
  }
  l->namespaces[ns].present = true;
  l->namespaces[ns].path = take_ptr(nspath);
  return 0;
}

static int parse_namespaces(yajl_val lin, const char *path,
                            struct spec_linux *l, werr_t *err) {
  yajl_val v = json_get(lin, "namespaces");
  if (v == NULL)
    return 0;
  _cleanup_free_ char *np = json_path(path, "namespaces");
  if (json_want_array(v, np, err) < 0)
    return -1;
  for (size_t i = 0; i < v->u.array.len; i++) {
    _cleanup_free_ char *ip = json_path_idx(np, i);
    if (parse_namespace(v->u.array.values[i], ip, l, err) < 0)
      return -1;
  }
  return 0;
}

static int parse_time_offset(yajl_val offs, const char *path, const char *key,
                             struct spec_time_offset *t, werr_t *err) {
  yajl_val v = json_get(offs, key);
  if (v == NULL)
    return 0;
  _cleanup_free_ char *kp = json_path(path, key);
  if (json_want_object(v, kp, err) < 0 ||
      json_i64(v, kp, "secs", &t->secs, err) < 0 ||
      json_u32(v, kp, "nanosecs", &t->nanosecs, err) < 0)
    return -1;
  if (t->nanosecs >= 1000000000u)
    return werr(err, "%s.nanosecs: must be < 1000000000", kp);
  t->present = true;
  return 0;
}

static int parse_time_offsets(yajl_val lin, const char *path,
                              struct spec_linux *l, werr_t *err) {
  yajl_val v = json_get(lin, "timeOffsets");
  if (v == NULL)
    return 0;
  _cleanup_free_ char *tp = json_path(path, "timeOffsets");
  if (json_want_object(v, tp, err) < 0)
    return -1;
  /* The keys are clock names, i.e. values: a typo must not be ignored. */
  for (size_t i = 0; i < v->u.object.len; i++) {
    const char *k = v->u.object.keys[i];
    if (strcmp(k, "monotonic") != 0 && strcmp(k, "boottime") != 0)
      return werr(err,
                  "%s.%s: unknown clock (the kernel offsets monotonic and "
                  "boottime only)",
                  tp, k);
  }
  if (parse_time_offset(v, tp, "monotonic", &l->timeOffsets_monotonic, err) <
          0 ||
      parse_time_offset(v, tp, "boottime", &l->timeOffsets_boottime, err) < 0)
    return -1;
  return 0;
}

static int parse_device(yajl_val e, const char *path, struct spec_device *d,
                        werr_t *err) {
  bool has_major = false, has_minor = false;
  if (json_want_object(e, path, err) < 0 ||
      spec_require(e, path, "type", err) < 0 ||
      spec_require(e, path, "path", err) < 0 ||
      json_str(e, path, "type", &d->type, err) < 0 ||
      json_str(e, path, "path", &d->path, err) < 0 ||
      json_i64_opt(e, path, "major", &has_major, &d->major, err) < 0 ||
      json_i64_opt(e, path, "minor", &has_minor, &d->minor, err) < 0)
    return -1;
  _cleanup_free_ char *tp = json_path(path, "type");
  _cleanup_free_ char *pp = json_path(path, "path");
  if (spec_want_one_of(d->type, device_types, tp, err) < 0 ||
      spec_want_abs(d->path, pp, err) < 0)
    return -1;
  if (strcmp(d->type, "p") != 0) {
    if (!has_major)
      return werr(err, "%s.major: required for type \"%s\"", path, d->type);
    if (!has_minor)
      return werr(err, "%s.minor: required for type \"%s\"", path, d->type);
  }
  if (d->major < 0 || d->major > 0xfff)
    return werr(err, "%s.major: must be in 0..4095, got %" PRId64, path,
                d->major);
  if (d->minor < 0 || d->minor > 0xfffff)
    return werr(err, "%s.minor: must be in 0..1048575, got %" PRId64, path,
                d->minor);
  uint64_t mode = 0;
  if (json_u64_opt(e, path, "fileMode", &d->has_fileMode, &mode, err) < 0)
    return -1;
  if (mode > 07777)
    return werr(err, "%s.fileMode: must be <= 07777 (4095), got %" PRIu64, path,
                mode);
  d->fileMode = (uint32_t)mode;
  d->has_uid = json_get(e, "uid") != NULL;
  d->has_gid = json_get(e, "gid") != NULL;
  if (json_u32(e, path, "uid", &d->uid, err) < 0 ||
      json_u32(e, path, "gid", &d->gid, err) < 0)
    return -1;
  return 0;
}

static int parse_devices(yajl_val lin, const char *path, struct spec_linux *l,
                         werr_t *err) {
  yajl_val v = json_get(lin, "devices");
  if (v == NULL)
    return 0;
  _cleanup_free_ char *dp = json_path(path, "devices");
  if (json_want_array(v, dp, err) < 0)
    return -1;
  l->devices = spec_xcalloc(v->u.array.len, sizeof(*l->devices));
  for (size_t i = 0; i < v->u.array.len; i++) {
    _cleanup_free_ char *ip = json_path_idx(dp, i);
    l->devices_len = i + 1;
    if (parse_device(v->u.array.values[i], ip, &l->devices[i], err) < 0)
      return -1;
  }
  return 0;
}

static int parse_abs_paths(yajl_val lin, const char *path, const char *key,
                           char ***out, werr_t *err) {
  if (json_strv(lin, path, key, out, err) < 0)
    return -1;
  _cleanup_free_ char *kp = json_path(path, key);
  for (size_t i = 0; *out && (*out)[i]; i++) {
    _cleanup_free_ char *ip = json_path_idx(kp, i);
    if (spec_want_abs((*out)[i], ip, err) < 0)
      return -1;
  }
  return 0;
}

static int parse_personality(yajl_val lin, const char *path,
                             struct spec_personality *p, werr_t *err) {
  yajl_val v = json_get(lin, "personality");
  if (v == NULL)
    return 0;
  _cleanup_free_ char *pp = json_path(path, "personality");
  _cleanup_free_ char *dp = json_path(pp, "domain");
  if (json_want_object(v, pp, err) < 0 ||
      spec_require(v, pp, "domain", err) < 0 ||
      json_str(v, pp, "domain", &p->domain, err) < 0 ||
      spec_want_one_of(p->domain, personality_domains, dp, err) < 0 ||
      json_strv(v, pp, "flags", &p->flags, err) < 0)
    return -1;
  p->present = true;
  return 0;
}

static int parse_intel_rdt(yajl_val lin, const char *path,
                           struct spec_intel_rdt *r, werr_t *err) {
  yajl_val v = json_get(lin, "intelRdt");
  if (v == NULL)
    return 0;
  _cleanup_free_ char *rp = json_path(path, "intelRdt");
  if (json_want_object(v, rp, err) < 0 ||
      json_str(v, rp, "closID", &r->closID, err) < 0 ||
      json_str(v, rp, "l3CacheSchema", &r->l3CacheSchema, err) < 0 ||
      json_str(v, rp, "memBwSchema", &r->memBwSchema, err) < 0 ||
      json_str(v, rp, "schemata", &r->schemata, err) < 0 ||
      json_bool(v, rp, "enableCMT", &r->enableCMT, err) < 0 ||
      json_bool(v, rp, "enableMBM", &r->enableMBM, err) < 0)
    return -1;
  /* closID names a directory under /sys/fs/resctrl. */
  if (r->closID && (r->closID[0] == '\0' || strchr(r->closID, '/') ||
                    strcmp(r->closID, ".") == 0 ||
                    strcmp(r->closID, "..") == 0))
    return werr(err, "%s.closID: must be a plain directory name, got \"%s\"",
                rp, r->closID);
  r->present = true;
  return 0;
}

/* What dev_valid_name() in the kernel accepts. */
static bool valid_ifname(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 15 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
    return false;
  for (; *s; s++)
    if (*s == '/' || *s == ':' || *s == ' ' || *s == '\t' || *s == '\n')
      return false;
  return true;
}

static int parse_net_devices(yajl_val lin, const char *path,
                             struct spec_linux *l, werr_t *err) {
  yajl_val v = json_get(lin, "netDevices");
  if (v == NULL)
    return 0;
  _cleanup_free_ char *np = json_path(path, "netDevices");
  if (json_want_object(v, np, err) < 0)
    return -1;
  l->netDevices = spec_xcalloc(v->u.object.len, sizeof(*l->netDevices));
  for (size_t i = 0; i < v->u.object.len; i++) {
    const char *host = v->u.object.keys[i];
    yajl_val e = v->u.object.values[i];
    _cleanup_free_ char *ep = json_path(np, host);
    struct spec_net_device *d = &l->netDevices[i];
    l->netDevices_len = i + 1;
    if (!valid_ifname(host))
      return werr(err, "%s: \"%s\" is not a valid interface name", np, host);
    d->host_name = strdup(host);
    if (d->host_name == NULL)
      abort();
    /* {} and null both mean "keep the host's name". */
    if (e != NULL && !YAJL_IS_NULL(e) &&
        (json_want_object(e, ep, err) < 0 ||
         json_str(e, ep, "name", &d->name, err) < 0))
      return -1;
    if (d->name == NULL) {
      d->name = strdup(host);
      if (d->name == NULL)
        abort();
    }
    if (!valid_ifname(d->name))
      return werr(err, "%s.name: \"%s\" is not a valid interface name", ep,
                  d->name);
    for (size_t j = 0; j < i; j++)
      if (strcmp(l->netDevices[j].name, d->name) == 0)
        return werr(err, "%s.name: \"%s\" is also the name of %s.%s", ep,
                    d->name, np, l->netDevices[j].host_name);
  }
  return 0;
}

int spec_parse_linux(yajl_val v, const char *path, struct spec_linux *l,
                     werr_t *err) {
  if (json_want_object(v, path, err) < 0 ||
      parse_namespaces(v, path, l, err) < 0 ||
      spec_parse_idmaps(v, path, "uidMappings", &l->uidMappings, err) < 0 ||
      spec_parse_idmaps(v, path, "gidMappings", &l->gidMappings, err) < 0 ||
      parse_time_offsets(v, path, l, err) < 0 ||
      parse_devices(v, path, l, err) < 0 ||
      json_str(v, path, "cgroupsPath", &l->cgroupsPath, err) < 0 ||
      json_str(v, path, "rootfsPropagation", &l->rootfsPropagation, err) < 0)
    return -1;
  if (l->rootfsPropagation) {
    _cleanup_free_ char *pp = json_path(path, "rootfsPropagation");
    if (spec_want_one_of(l->rootfsPropagation, propagations, pp, err) < 0)
      return -1;
  }
  yajl_val res = json_get(v, "resources");
  if (res != NULL) {
    _cleanup_free_ char *rp = json_path(path, "resources");
    if (spec_parse_resources(res, rp, &l->resources, err) < 0)
      return -1;
    /* runc's rule: the nodes the config creates are usable even under a
     * deny-all device list. */
    spec_resources_allow_devices(l->resources, l->devices, l->devices_len);
  }
  if (parse_abs_paths(v, path, "maskedPaths", &l->maskedPaths, err) < 0 ||
      parse_abs_paths(v, path, "readonlyPaths", &l->readonlyPaths, err) < 0 ||
      json_str(v, path, "mountLabel", &l->mountLabel, err) < 0 ||
      json_strmap(v, path, "sysctl", &l->sysctl, err) < 0)
    return -1;
  yajl_val sec = json_get(v, "seccomp");
  if (sec != NULL) {
    _cleanup_free_ char *sp = json_path(path, "seccomp");
    if (spec_parse_seccomp(sec, sp, &l->seccomp, err) < 0)
      return -1;
  }
  if (parse_personality(v, path, &l->personality, err) < 0 ||
      parse_intel_rdt(v, path, &l->intelRdt, err) < 0 ||
      parse_net_devices(v, path, l, err) < 0)
    return -1;
  return 0;
}

void spec_linux_free(struct spec_linux *l) {
  for (int i = 0; i < SPEC_NS_COUNT; i++)
    free(l->namespaces[i].path);
  spec_idmaps_free(&l->uidMappings);
  spec_idmaps_free(&l->gidMappings);
  for (size_t i = 0; i < l->devices_len; i++) {
    free(l->devices[i].type);
    free(l->devices[i].path);
  }
  free(l->devices);
  free(l->cgroupsPath);
  free(l->rootfsPropagation);
  if (l->resources)
    spec_resources_free(l->resources);
  strv_free(l->maskedPaths);
  strv_free(l->readonlyPaths);
  free(l->mountLabel);
  kvlist_free(&l->sysctl);
  if (l->seccomp)
    spec_seccomp_free(l->seccomp);
  free(l->personality.domain);
  strv_free(l->personality.flags);
  free(l->intelRdt.closID);
  free(l->intelRdt.l3CacheSchema);
  free(l->intelRdt.memBwSchema);
  free(l->intelRdt.schemata);
  for (size_t i = 0; i < l->netDevices_len; i++) {
    free(l->netDevices[i].host_name);
    free(l->netDevices[i].name);
  }
  free(l->netDevices);
  memset(l, 0, sizeof(*l));
}
