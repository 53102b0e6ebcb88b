/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "linux_seccomp.h"

#include <stdlib.h>

int spec_parse_seccomp(yajl_val v, const char *path, struct spec_seccomp **out,
                       werr_t *err) {
  if (json_want_object(v, path, err) < 0)
    return -1;
  *out = calloc(1, sizeof(**out));
  if (*out == NULL)
    abort();
  return 0;
}

void spec_seccomp_free(struct spec_seccomp *s) {
  free(s);
}
