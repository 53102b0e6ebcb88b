/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "ns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "utils.h"

/* Is FD the namespace ward itself runs in?  Compared by (dev, inode), so
 * /proc/self/ns/net, /proc/<ward's pid>/ns/net or a bind mount of it are
 * all caught. */
static bool is_own_ns(int fd, enum spec_ns n) {
  struct stat a, b;
  char self[64];
  snprintf(self, sizeof(self), "/proc/self/ns/%s", spec_ns_procname(n));
  return fstat(fd, &a) == 0 && stat(self, &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

/* A sysctl or hostname is the container's only when its namespace is: in
 * a namespace joined by path that is ward's own, writing it would change
 * the caller's (the host's) value.  runc refuses net.* there; ward refuses
 * every namespaced family: net.* (network), kernel.{shm*,msg*,sem},
 * fs.mqueue.* (ipc), kernel.{hostname,domainname}, hostname and domainname
 * (uts). */
static int check_not_own_ns(const struct spec_config *c,
                            const struct ns_plan *p, werr_t *err) {
  bool own[SPEC_NS_COUNT] = {false};
  for (int i = 0; i < SPEC_NS_COUNT; i++)
    own[i] = p->join_fd[i] >= 0 && is_own_ns(p->join_fd[i], (enum spec_ns)i);
  for (size_t i = 0; i < c->linux_.sysctl.len; i++) {
    const char *key = c->linux_.sysctl.items[i].key;
    int n = spec_sysctl_namespace(key);
    if (n >= 0 && own[n])
      return werr_code(err, EPERM,
                  "linux.sysctl: \"%s\": the %s namespace %s is the one ward "
                  "runs in; refusing to change the host's value",
                  key, spec_ns_name((enum spec_ns)n),
                  c->linux_.namespaces[n].path);
  }
  const char *uts_field = c->hostname && c->hostname[0]       ? "hostname"
                          : c->domainname && c->domainname[0] ? "domainname"
                                                              : NULL;
  if (uts_field && own[SPEC_NS_UTS])
    return werr_code(err, EPERM,
                "%s: the uts namespace %s is the one ward runs in; refusing "
                "to change the host's %s",
                uts_field, c->linux_.namespaces[SPEC_NS_UTS].path, uts_field);
  return 0;
}

/* setns would only say EINVAL, and in the init, after the fact: a path
 * that is no namespace, or one of another kind, is named here. */
static int check_type(int fd, enum spec_ns n, const char *path, werr_t *err) {
  int t = ioctl(fd, NS_GET_NSTYPE);
  if (t < 0)
    return werr_code(err, EINVAL,
                     "linux.namespaces: %s namespace path %s: not a namespace",
                     spec_ns_name(n), path);
  if ((unsigned long)t == (unsigned long)spec_ns_cloneflag(n))
    return 0;
  for (int i = 0; i < SPEC_NS_COUNT; i++)
    if ((unsigned long)t == (unsigned long)spec_ns_cloneflag((enum spec_ns)i))
      return werr_code(err, EINVAL,
                       "linux.namespaces: %s namespace path %s: is a %s "
                       "namespace",
                       spec_ns_name(n), path, spec_ns_name((enum spec_ns)i));
  return werr_code(err, EINVAL,
                   "linux.namespaces: %s namespace path %s: is a namespace of "
                   "another kind",
                   spec_ns_name(n), path);
}

int ns_plan_open(const struct spec_config *c, struct ns_plan *p, werr_t *err) {
  for (int i = 0; i < SPEC_NS_COUNT; i++) {
    p->join_fd[i] = -1;
    p->create[i] = false;
  }
  for (int i = 0; i < SPEC_NS_COUNT; i++) {
    const struct spec_namespace *n = &c->linux_.namespaces[i];
    if (!n->present)
      continue;
    if (n->path == NULL) {
      p->create[i] = true;
      continue;
    }
    p->join_fd[i] = open(n->path, O_RDONLY | O_CLOEXEC);
    if (p->join_fd[i] < 0) {
      werr_sys(err, "linux.namespaces: %s namespace path %s",
               spec_ns_name((enum spec_ns)i), n->path);
      ns_plan_close(p);
      return -1;
    }
    if (check_type(p->join_fd[i], (enum spec_ns)i, n->path, err) < 0) {
      ns_plan_close(p);
      return -1;
    }
  }
  if (check_not_own_ns(c, p, err) < 0) {
    ns_plan_close(p);
    return -1;
  }
  return 0;
}

void ns_plan_close(struct ns_plan *p) {
  for (int i = 0; i < SPEC_NS_COUNT; i++)
    if (p->join_fd[i] >= 0) {
      close(p->join_fd[i]);
      p->join_fd[i] = -1;
    }
}

unsigned long long ns_clone_flags(const struct ns_plan *p) {
  unsigned long long f = 0;
  for (int i = 0; i < SPEC_NS_COUNT; i++)
    if (p->create[i] && spec_ns_kind((enum spec_ns)i)->by_clone)
      f |= (unsigned long long)spec_ns_cloneflag((enum spec_ns)i);
  return f;
}

int ns_prepare_parent(const struct spec_config *c, const struct ns_plan *p,
                      werr_t *err) {
  if (p->join_fd[SPEC_NS_PID] >= 0 &&
      setns(p->join_fd[SPEC_NS_PID], spec_ns_cloneflag(SPEC_NS_PID)) < 0)
    return werr_sys(err, "join pid namespace %s",
                    c->linux_.namespaces[SPEC_NS_PID].path);
  if (p->join_fd[SPEC_NS_TIME] >= 0 &&
      setns(p->join_fd[SPEC_NS_TIME], spec_ns_cloneflag(SPEC_NS_TIME)) < 0)
    return werr_sys(err, "join time namespace %s",
                    c->linux_.namespaces[SPEC_NS_TIME].path);
  if (p->create[SPEC_NS_TIME]) {
    /* Offsets can only be written before the first process enters, so
     * ward unshares (its children land in the new namespace) and writes
     * them before cloning the init. */
    if (unshare(spec_ns_cloneflag(SPEC_NS_TIME)) < 0)
      return werr_sys(err, "unshare time namespace");
    const struct spec_time_offset *m = &c->linux_.timeOffsets_monotonic;
    const struct spec_time_offset *b = &c->linux_.timeOffsets_boottime;
    char buf[128];
    int n = snprintf(buf, sizeof(buf), "monotonic %lld %u\nboottime %lld %u\n",
                     m->present ? (long long)m->secs : 0LL,
                     m->present ? m->nanosecs : 0u,
                     b->present ? (long long)b->secs : 0LL,
                     b->present ? b->nanosecs : 0u);
    if (write_file("/proc/self/timens_offsets", buf, (size_t)n, err) < 0)
      return werr_prefix(err, "linux.timeOffsets");
  }
  return 0;
}

int ns_join_in_child(const struct spec_config *c, const struct ns_plan *p,
                     werr_t *err) {
  /* By join_order: user first, since joining the others needs privilege
   * in their owner.  A user namespace the init was cloned in already
   * (see clone_init in container.c) cannot be joined again. */
  for (int rank = 0; rank < SPEC_NS_COUNT; rank++)
    for (int i = 0; i < SPEC_NS_COUNT; i++) {
      enum spec_ns n = (enum spec_ns)i;
      if (spec_ns_kind(n)->join_order != rank || p->join_fd[n] < 0)
        continue;
      if (n == SPEC_NS_USER && is_own_ns(p->join_fd[n], n))
        continue;
      if (setns(p->join_fd[n], spec_ns_cloneflag(n)) < 0)
        return werr_sys(err, "linux.namespaces: join %s namespace %s",
                        spec_ns_name(n), c->linux_.namespaces[n].path);
    }
  return 0;
}
