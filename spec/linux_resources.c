/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "linux_resources.h"

#include <stdlib.h>

int spec_parse_resources(yajl_val v, const char *path,
                         struct spec_resources **out, werr_t *err) {
  if (json_want_object(v, path, err) < 0)
    return -1;
  *out = calloc(1, sizeof(**out));
  if (*out == NULL)
    abort();
  return 0;
}

void spec_resources_free(struct spec_resources *r) {
  free(r);
}
