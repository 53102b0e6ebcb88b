/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroups: the layout ward detects (the same code create uses), where each
 * controller lives, whether the v2 part hands its controllers down, and
 * who manages the tree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "check_internal.h"
#include "cleanup.h"
#include "utils.h"

/* Controllers ward's limits need; a host without them cannot limit. */
static const char *const wanted[] = {"cpu", "memory", "pids", NULL};

static struct cgroup_handle *host(struct check_result *r) {
  struct cgroup_handle *h = NULL;
  _cleanup_werr_ werr_t e = NULL;
  if (cgroup_host(&h, &e) < 0) {
    _cleanup_free_ char *t = werr_text(e);
    check_set(r, CHECK_FAIL, "%s", t);
    check_set_fix(r, "mount cgroup2 on /sys/fs/cgroup "
                     "(mount -t cgroup2 none /sys/fs/cgroup)");
    return NULL;
  }
  return h;
}

static bool strv_has(char *const *v, const char *s) {
  for (; v && *v; v++)
    if (strcmp(*v, s) == 0)
      return true;
  return false;
}

/* The hierarchy that has controller C (v1 first, as ward does). */
static bool where(const struct cgroup_handle *h, const char *c,
                  struct cgroup_hier_info *out) {
  struct cgroup_hier_info x;
  for (size_t i = 0; cgroup_hier_at(h, i, &x); i++)
    if (!x.v2 && strv_has(x.controllers, c)) {
      *out = x;
      return true;
    }
  for (size_t i = 0; cgroup_hier_at(h, i, &x); i++)
    if (x.v2 && strv_has(x.controllers, c)) {
      *out = x;
      return true;
    }
  return false;
}

void probe_cgroup_layout(const struct check_opts *o, struct check_result *r) {
  (void)o;
  struct cgroup_handle *h = host(r);
  if (h == NULL)
    return;
  const char *layout = cgroup_layout(h);
  struct cgroup_hier_info x;
  const char *v2 = NULL;
  size_t v1 = 0;
  for (size_t i = 0; cgroup_hier_at(h, i, &x); i++) {
    if (x.v2)
      v2 = x.mnt;
    else
      v1++;
  }
  if (strcmp(layout, "v2") == 0)
    check_set(r, CHECK_OK, "v2: cgroup2 at %s", v2);
  else if (strcmp(layout, "hybrid") == 0)
    check_set(r, CHECK_OK, "hybrid: %zu v1 hierarchies, cgroup2 at %s", v1,
              v2);
  else
    check_set(r, CHECK_OK, "v1: %zu hierarchies, no cgroup2", v1);
  cgroup_handle_free(h);
}

void probe_cgroup_controllers(const struct check_opts *o,
                              struct check_result *r) {
  (void)o;
  struct cgroup_handle *h = host(r);
  if (h == NULL)
    return;
  static const char *const all[] = {"cpu",     "cpuacct", "cpuset", "memory",
                                    "devices", "freezer", "blkio",  "io",
                                    "pids",    "hugetlb", "rdma",   "misc",
                                    NULL};
  char seen[512] = "", missing[128] = "";
  for (const char *const *c = all; *c; c++) {
    struct cgroup_hier_info x;
    size_t l = strlen(seen);
    if (where(h, *c, &x))
      snprintf(seen + l, sizeof(seen) - l, "%s%s:%s", l ? " " : "", *c,
               x.v2 ? "v2" : "v1");
  }
  for (const char *const *c = wanted; *c; c++) {
    struct cgroup_hier_info x;
    size_t l = strlen(missing);
    if (!where(h, *c, &x))
      snprintf(missing + l, sizeof(missing) - l, "%s%s", l ? ", " : "", *c);
  }
  if (missing[0]) {
    check_set(r, CHECK_WARN, "%s; missing: %s (their limits fail)",
              seen[0] ? seen : "no controllers", missing);
    check_set_fix(r, "boot a kernel with the %s controller(s) and mount "
                     "their hierarchy",
                  missing);
  } else {
    check_set(r, CHECK_OK, "%s", seen);
  }
  cgroup_handle_free(h);
}

/* The caller's own v2 cgroup ("0::/path"), or NULL. */
static char *own_v2_cgroup(void) {
  _cleanup_free_ char *text = NULL;
  _cleanup_werr_ werr_t e = NULL;
  if (read_file("/proc/self/cgroup", &text, NULL, &e) < 0)
    return NULL;
  for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
    if (strncmp(l, "0::", 3) == 0)
      return xstrdup(l + 3);
  return NULL;
}

static char *read_trim(const char *dir, const char *file) {
  _cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
  char *text = NULL;
  _cleanup_werr_ werr_t e = NULL;
  if (read_file(p, &text, NULL, &e) < 0)
    return NULL;
  text[strcspn(text, "\n")] = '\0';
  return text;
}

void probe_cgroup_delegation(const struct check_opts *o,
                             struct check_result *r) {
  (void)o;
  struct cgroup_handle *h = host(r);
  if (h == NULL)
    return;
  _cleanup_free_ char *enabled = NULL;
  struct cgroup_hier_info v2 = {0}, x;
  for (size_t i = 0; cgroup_hier_at(h, i, &x); i++)
    if (x.v2)
      v2 = x;
  if (v2.mnt == NULL) {
    check_set(r, CHECK_OK, "no cgroup2 hierarchy: nothing to delegate");
    goto out;
  }
  /* Controllers the v2 root offers that no v1 hierarchy holds. */
  char avail[256] = "";
  for (char *const *c = v2.controllers; c && *c; c++) {
    struct cgroup_hier_info y;
    if (where(h, *c, &y) && !y.v2)
      continue;
    size_t l = strlen(avail);
    snprintf(avail + l, sizeof(avail) - l, "%s%s", l ? " " : "", *c);
  }
  if (geteuid() != 0) {
    _cleanup_free_ char *own = own_v2_cgroup();
    _cleanup_free_ char *dir = xasprintf("%s%s", v2.mnt, own ? own : "/");
    if (access(dir, W_OK) == 0) {
      _cleanup_free_ char *ctl = read_trim(dir, "cgroup.controllers");
      check_set(r, CHECK_OK, "%s is delegated to uid %u (controllers: %s)",
                dir, (unsigned)geteuid(), ctl && ctl[0] ? ctl : "none");
    } else {
      check_set(r, CHECK_WARN,
                "%s is not writable by uid %u: containers stay in ward's "
                "cgroup and limits fail",
                dir, (unsigned)geteuid());
      check_set_fix(r, "systemd-run --user --scope -p Delegate=yes ward ...");
    }
    goto out;
  }
  enabled = read_trim(v2.mnt, "cgroup.subtree_control");
  if (strcmp(cgroup_layout(h), "v2") == 0 && avail[0] == '\0') {
    check_set(r, CHECK_WARN, "cgroup2 at %s offers no controllers", v2.mnt);
    check_set_fix(r, "unbind the controllers from cgroup v1 "
                     "(boot with cgroup_no_v1=all)");
  } else {
    check_set(r, CHECK_OK,
              "cgroup2 at %s: available %s; enabled for children: %s (ward "
              "enables the rest for its own cgroups)",
              v2.mnt, avail[0] ? avail : "none",
              enabled && enabled[0] ? enabled : "none");
  }
out:
  cgroup_handle_free(h);
}

void probe_cgroup_manager(const struct check_opts *o, struct check_result *r) {
  (void)o;
  struct stat st;
  _cleanup_free_ char *comm = NULL;
  _cleanup_werr_ werr_t e = NULL;
  if (read_file("/proc/1/comm", &comm, NULL, &e) == 0)
    comm[strcspn(comm, "\n")] = '\0';
  if (stat("/run/systemd/system", &st) == 0)
    check_set(r, CHECK_OK,
              "systemd (/run/systemd/system); ward still writes cgroupfs "
              "directly, --systemd-cgroup only changes how cgroupsPath reads");
  else
    check_set(r, CHECK_OK, "cgroupfs (no systemd; pid 1 is %s)",
              comm ? comm : "unknown");
}
