/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mounts[].options through ward's extensions and libmount's option table.
 * Input: one option per line (an option may itself hold commas, as
 * "mode=755,size=64k" can in a config.json array). */
#include <assert.h>

#include "fuzz.h"
#include "mount_opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 16 * 1024)
    return -1;
  char *buf = fuzz_cstr(data, size);
  size_t n = 1;
  for (char *p = buf; *p; p++)
    n += *p == '\n';
  char **opts = calloc(n + 1, sizeof(*opts));
  size_t i = 0;
  for (char *save = NULL, *tok = strtok_r(buf, "\n", &save); tok;
       tok = strtok_r(NULL, "\n", &save))
    opts[i++] = tok;
  struct mount_opts o;
  memset(&o, 0, sizeof(o));
  werr_t err = NULL;
  if (mount_opts_parse(opts, "mounts[0].options", &o, &err) == 0) {
    assert(err == NULL);
    assert(o.data == NULL || o.data[0] != '\0');
    mount_opts_free(&o);
  } else {
    assert(err && err->msg && strstr(err->msg, "mounts[0].options"));
    werr_free(&err);
    mount_opts_free(&o);
  }
  free(opts);
  free(buf);
  return 0;
}
