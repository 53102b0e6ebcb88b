/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Placeholder until the cgroups work (issue 5) lands: no cgroup is made. */
#include "cgroup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct cgroup_handle {
  int unused;
};

int cgroup_create(const char *id, const char *cgroupsPath, bool systemd,
                  const struct spec_resources *resources,
                  struct cgroup_handle **out, werr_t *err) {
  (void)id, (void)cgroupsPath, (void)systemd, (void)resources, (void)err;
  *out = calloc(1, sizeof(**out));
  return 0;
}
int cgroup_enter(struct cgroup_handle *h, pid_t pid, werr_t *err) {
  (void)h, (void)pid, (void)err;
  return 0;
}
char *cgroup_serialize(const struct cgroup_handle *h) {
  (void)h;
  return strdup("");
}
int cgroup_open(const char *serialized, struct cgroup_handle **out,
                werr_t *err) {
  (void)serialized, (void)err;
  *out = calloc(1, sizeof(**out));
  return 0;
}
int cgroup_destroy(struct cgroup_handle *h, werr_t *err) {
  (void)h, (void)err;
  return 0;
}
int cgroup_signal_all(struct cgroup_handle *h, int sig, werr_t *err) {
  (void)h, (void)sig;
  return werr(err, ENOSYS, "cgroup: not implemented");
}
int cgroup_pids(struct cgroup_handle *h, pid_t **pids, size_t *n,
                werr_t *err) {
  (void)h, (void)pids, (void)n;
  return werr(err, ENOSYS, "cgroup: not implemented");
}
int cgroup_is_frozen(struct cgroup_handle *h, bool *frozen, werr_t *err) {
  (void)h, (void)err;
  *frozen = false;
  return 0;
}
int cgroup_freeze(struct cgroup_handle *h, bool freeze, werr_t *err) {
  (void)h, (void)freeze;
  return werr(err, ENOSYS, "cgroup: not implemented");
}
void cgroup_handle_free(struct cgroup_handle *h) {
  free(h);
}
