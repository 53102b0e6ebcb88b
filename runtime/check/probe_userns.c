/* SPDX-License-Identifier: GPL-2.0-or-later */
/* User namespaces: enabled (a real unshare in a throwaway child), the
 * subordinate ids ward will use under the Incus rules (the same
 * idmap_shadow code create uses), and how many more isolated containers
 * of the default size fit beside what the registry holds. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_internal.h"
#include "cleanup.h"
#include "idmap.h"
#include "utils.h"

static int try_userns(void *arg) {
  (void)arg;
  return unshare(CLONE_NEWUSER) == 0 ? 0 : 1;
}

void probe_userns_enabled(const struct check_opts *o, struct check_result *r) {
  (void)o;
  _cleanup_free_ char *max = NULL;
  _cleanup_werr_ werr_t e = NULL;
  if (read_file("/proc/sys/user/max_user_namespaces", &max, NULL, &e) < 0) {
    check_set(r, CHECK_FAIL, "no /proc/sys/user/max_user_namespaces: the "
                             "kernel has no user namespaces");
    check_set_fix(r, "boot a kernel built with CONFIG_USER_NS=y");
    return;
  }
  max[strcspn(max, "\n")] = '\0';
  if (strtoull(max, NULL, 10) == 0) {
    check_set(r, CHECK_FAIL, "user.max_user_namespaces = 0");
    check_set_fix(r, "sysctl -w user.max_user_namespaces=15000");
    return;
  }
  if (check_in_child(try_userns, NULL) != 0) {
    _cleanup_free_ char *unpriv = NULL;
    _cleanup_werr_ werr_t e2 = NULL;
    bool debian_knob =
        read_file("/proc/sys/kernel/unprivileged_userns_clone", &unpriv, NULL,
                  &e2) == 0 &&
        unpriv[0] == '0';
    check_set(r, CHECK_FAIL,
              "user.max_user_namespaces = %s but unshare(CLONE_NEWUSER) "
              "fails as uid %u%s",
              max, (unsigned)geteuid(),
              debian_knob ? " (kernel.unprivileged_userns_clone = 0)" : "");
    check_set_fix(r, debian_knob ? "sysctl -w kernel.unprivileged_userns_clone=1"
                                 : "allow user namespaces for this user "
                                   "(AppArmor restrict_unprivileged_userns?)");
    return;
  }
  check_set(r, CHECK_OK, "user.max_user_namespaces = %s; unshare works", max);
}

static void fix_broken(struct check_result *r,
                       const struct idmap_shadow_probe *p, const char *user) {
  if (!p->has_newuidmap || !p->has_newgidmap)
    check_set_fix(r, "apt-get install uidmap (newuidmap, newgidmap), and "
                     "add \"%s:%llu:%llu\" to /etc/subuid and /etc/subgid",
                  user, IDMAP_DEFAULT_BASE, IDMAP_DEFAULT_SIZE);
  else
    check_set_fix(r, "add the line \"%s:%llu:%llu\" to %s", user,
                  IDMAP_DEFAULT_BASE, IDMAP_DEFAULT_SIZE,
                  !p->has_subuid && !p->has_subgid ? "/etc/subuid and /etc/subgid"
                  : !p->has_subuid                 ? "/etc/subuid"
                                                   : "/etc/subgid");
}

/* Probe and decide for the invoking user (root: "root"); 0 and *sh, or -1
 * with R filled. */
static int load_shadow(struct check_result *r, struct idmap_shadow *sh) {
  struct idmap_shadow_probe p = {0};
  _cleanup_werr_ werr_t e = NULL;
  _cleanup_free_ char *user = idmap_shadow_user();
  _cleanup_free_ char *uid = xasprintf("%u", (unsigned)getuid());
  if (idmap_shadow_probe(&p, &e) < 0) {
    _cleanup_free_ char *t = werr_text(e);
    check_set(r, CHECK_FAIL, "%s", t);
    return -1;
  }
  int rc = idmap_shadow_decide(&p, user, uid, sh, &e);
  if (rc < 0) {
    _cleanup_free_ char *t = werr_text(e);
    check_set(r, CHECK_FAIL, "%s", t);
    const char *add = strstr(t, "add the line");
    if (add)
      check_set_fix(r, "%s", add);
    else
      fix_broken(r, &p, user);
  }
  idmap_shadow_probe_free(&p);
  return rc;
}

void probe_userns_subids(const struct check_opts *o, struct check_result *r) {
  (void)o;
  struct idmap_shadow sh = {0};
  if (load_shadow(r, &sh) < 0)
    return;
  _cleanup_free_ char *user = idmap_shadow_user();
  if (!sh.use_files)
    check_set(r, CHECK_OK,
              "no /etc/subuid, /etc/subgid, newuidmap or newgidmap: ward "
              "uses the default range base %llu size %llu",
              IDMAP_DEFAULT_BASE, IDMAP_DEFAULT_SIZE);
  else
    check_set(r, CHECK_OK,
              "%s: uids %llu-%llu, gids %llu-%llu (the largest entries)", user,
              (unsigned long long)sh.uid.pool.base,
              (unsigned long long)(sh.uid.pool.base + sh.uid.pool.size - 1),
              (unsigned long long)sh.gid.pool.base,
              (unsigned long long)(sh.gid.pool.base + sh.gid.pool.size - 1));
  idmap_shadow_free(&sh);
}

static int cmp_range(const void *a, const void *b) {
  const struct idmap_range *x = a, *y = b;
  return x->base < y->base ? -1 : x->base > y->base;
}

/* Whole ranges of SIZE that fit in POOL's gaps around TAKEN (sorted here). */
static uint64_t fits(struct idmap_range pool, struct idmap_range *taken,
                     size_t n, uint64_t size) {
  qsort(taken, n, sizeof(*taken), cmp_range);
  uint64_t end = pool.base + pool.size, cur = pool.base, count = 0;
  for (size_t i = 0; i <= n && cur < end; i++) {
    uint64_t stop = i < n ? taken[i].base : end;
    if (stop > end)
      stop = end;
    if (stop > cur)
      count += (stop - cur) / size;
    if (i < n && taken[i].base + taken[i].size > cur)
      cur = taken[i].base + taken[i].size;
  }
  return count;
}

void probe_userns_capacity(const struct check_opts *o, struct check_result *r) {
  (void)o;
  struct idmap_shadow sh = {0};
  if (load_shadow(r, &sh) < 0) {
    check_set(r, CHECK_FAIL, "no isolated container fits: no usable id "
                             "range (see userns.subids)");
    return;
  }
  struct check_allocs reg = {0};
  _cleanup_werr_ werr_t e = NULL;
  if (check_isolated_allocs(&reg, &e) < 0) {
    _cleanup_free_ char *t = werr_text(e);
    if (geteuid() != 0)
      check_unseen(r, t);
    else
      check_set(r, CHECK_WARN, "cannot read the registry: %s", t);
    check_allocs_free(&reg);
    idmap_shadow_free(&sh);
    return;
  }
  struct idmap_range pool = sh.uid.pool;
  struct idmap_range *taken = xmalloc0((reg.len + 1) * sizeof(*taken));
  size_t n = 0, live = reg.len;
  /* The shared default range is always kept out of isolated ones. */
  taken[n++] = (struct idmap_range){
      pool.base, pool.size < IDMAP_ISOLATED_SIZE ? pool.size
                                                 : IDMAP_ISOLATED_SIZE};
  for (size_t i = 0; i < reg.len; i++)
    taken[n++] = (struct idmap_range){reg.items[i].uid_base,
                                      reg.items[i].uid_size};
  uint64_t more = fits(pool, taken, n, IDMAP_ISOLATED_SIZE);
  free(taken);
  const char *dir = reg.dir;
  if (more == 0) {
    check_set(r, CHECK_WARN,
              "no room for another isolated container of %llu ids in "
              "%llu-%llu (%zu allocated in %s)",
              IDMAP_ISOLATED_SIZE, (unsigned long long)pool.base,
              (unsigned long long)(pool.base + pool.size - 1), live, dir);
    check_set_fix(r, "give root a larger range in /etc/subuid and "
                     "/etc/subgid, or `ward idmap release` unused keys");
  } else {
    check_set(r, CHECK_OK,
              "%llu more isolated containers of %llu ids fit (%zu allocated "
              "in %s)",
              (unsigned long long)more, IDMAP_ISOLATED_SIZE, live, dir);
  }
  check_allocs_free(&reg);
  idmap_shadow_free(&sh);
}
