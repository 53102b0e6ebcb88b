/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.seccomp: the JSON section through ward's parser and on into
 * libseccomp's compiler (seccomp_filter_prepare without a state root: no
 * cache, and nothing is loaded into this process). */
#include <assert.h>

#include "fuzz.h"
#include "json.h"
#include "linux_seccomp.h"
#include "seccomp_filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > FUZZ_MAX_INPUT)
    return -1;
  char *buf = fuzz_cstr(data, size);
  yajl_val v = NULL;
  werr_t err = NULL;
  if (json_parse_buf(buf, "config.json", &v, &err) < 0) {
    werr_free(&err);
    free(buf);
    return 0;
  }
  struct spec_seccomp *s = NULL;
  if (spec_parse_seccomp(v, "linux.seccomp", &s, &err) == 0) {
    struct seccomp_prog *p = NULL;
    if (seccomp_filter_prepare(s, NULL, &p, &err) == 0) {
      assert(s == NULL || p != NULL);
      assert(p == NULL || (seccomp_prog_len(p) > 0 && !seccomp_prog_from_cache(p)));
      seccomp_prog_free(p);
    } else {
      assert(err && err->msg && err->msg[0]);
      werr_free(&err);
    }
    spec_seccomp_free(s);
  } else {
    assert(err && err->msg && err->msg[0]);
    werr_free(&err);
  }
  yajl_tree_free(v);
  free(buf);
  return 0;
}
