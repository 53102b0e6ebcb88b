/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kubernetes runs a pod as a sandbox (pause) container and app containers
 * that join its network, ipc and uts namespaces by /proc/PID/ns/... path;
 * containerd's pod_annotations give every one of them the ward.idmap.*
 * annotations.  The sandbox gets the pod's range; an app container cannot
 * have a user namespace of its own (setns into a namespace needs
 * CAP_SYS_ADMIN in its owner), so it joins the sandbox's, and its maps are
 * the sandbox's: no range of its own, nothing in the registry. */
#include "idmap_pod.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "utils.h"

/* The user namespace owning the namespace at PATH, when it is not ward's
 * own: 1 with its (dev, ino) in *owner.  0 when it is ward's own or PATH is
 * no namespace (ns_plan_open reports a bad path with its own line). */
static int foreign_owner(const char *path, struct stat *owner) {
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  _cleanup_close_ int ufd = ioctl(fd, NS_GET_USERNS);
  struct stat self;
  if (ufd < 0 || fstat(ufd, owner) < 0 || stat("/proc/self/ns/user", &self) < 0)
    return 0;
  return owner->st_dev != self.st_dev || owner->st_ino != self.st_ino;
}

int idmap_pod_join(struct spec_config *c, const char *asked, werr_t *err) {
  struct spec_namespace *ns = c->linux_.namespaces;
  int first = -1;
  struct stat owner = {0};
  for (int i = 0; i < SPEC_NS_COUNT; i++) {
    if (i == SPEC_NS_USER || !ns[i].present || ns[i].path == NULL)
      continue;
    struct stat o;
    if (!foreign_owner(ns[i].path, &o))
      continue;
    if (first < 0) {
      first = i;
      owner = o;
    } else if (o.st_dev != owner.st_dev || o.st_ino != owner.st_ino) {
      return werr_code(err, EINVAL,
                       "%s: the %s namespace %s and the %s namespace %s "
                       "belong to different user namespaces; a container "
                       "can join only one",
                       asked, spec_ns_name((enum spec_ns)first),
                       ns[first].path, spec_ns_name((enum spec_ns)i),
                       ns[i].path);
    }
  }
  if (first < 0)
    return 0;
  const char *path = ns[first].path;
  /* The maps are read from a process in the owner: the one the path
   * names.  A namespace fd alone does not lead to one. */
  int pid = 0, end = 0;
  if (sscanf(path, "/proc/%d/ns/%*[a-z_]%n", &pid, &end) != 1 ||
      path[end] != '\0' || pid <= 0)
    return werr_code(err, EINVAL,
                     "%s: the %s namespace %s belongs to another user "
                     "namespace, which ward joins only when the path has the "
                     "form /proc/PID/ns/%s (to read its id maps)",
                     asked, spec_ns_name((enum spec_ns)first), path,
                     spec_ns_procname((enum spec_ns)first));
  _cleanup_free_ char *user = xasprintf("/proc/%d/ns/user", pid);
  struct stat u;
  if (stat(user, &u) < 0)
    return werr_sys(err, "%s: %s", asked, user);
  if (u.st_dev != owner.st_dev || u.st_ino != owner.st_ino)
    return werr_code(err, EINVAL,
                     "%s: the %s namespace %s belongs to another user "
                     "namespace than process %d's own (%s); ward cannot "
                     "read that namespace's id maps",
                     asked, spec_ns_name((enum spec_ns)first), path, pid,
                     user);
  struct spec_idmaps uid = {0}, gid = {0};
  if (idmap_read_proc_map(pid, "uid_map", &uid, err) < 0)
    return -1;
  if (idmap_read_proc_map(pid, "gid_map", &gid, err) < 0) {
    free(uid.items);
    return -1;
  }
  free(c->linux_.uidMappings.items);
  free(c->linux_.gidMappings.items);
  c->linux_.uidMappings = uid;
  c->linux_.gidMappings = gid;
  ns[SPEC_NS_USER].present = true;
  free(ns[SPEC_NS_USER].path);
  ns[SPEC_NS_USER].path = xstrdup(user);
  c->has_linux = true;
  return 1;
}
