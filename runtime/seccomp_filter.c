/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Placeholder until the seccomp work (issue 6) lands. */
#include "seccomp_filter.h"

#include <errno.h>
#include <stdlib.h>

struct seccomp_prog {
  int unused;
};

int seccomp_filter_prepare(const struct spec_seccomp *s, const char *state_root,
                           struct seccomp_prog **out, werr_t *err) {
  (void)s, (void)state_root, (void)err;
  *out = NULL;
  return 0;
}
int seccomp_filter_install(struct seccomp_prog *p, int *notify_fd,
                           werr_t *err) {
  (void)p, (void)err;
  *notify_fd = -1;
  return 0;
}
int seccomp_notify_forward(const struct spec_seccomp *s,
                           const char *state_json, int notify_fd, werr_t *err) {
  (void)s, (void)state_json, (void)notify_fd;
  return werr(err, ENOSYS, "seccomp: not implemented");
}
void seccomp_prog_free(struct seccomp_prog *p) {
  free(p);
}
