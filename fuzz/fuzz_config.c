/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config.json through the parser and validator, as `ward create` reads it.
 * Either it is accepted (then freed) or rejected with one message; both
 * without leak or UB. */
#include <assert.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > FUZZ_MAX_INPUT)
    return -1;
  char *buf = fuzz_cstr(data, size);
  struct spec_config *c = NULL;
  werr_t err = NULL;
  if (spec_config_parse(buf, &c, &err) == 0) {
    assert(c != NULL && err == NULL);
    spec_config_free(c);
  } else {
    assert(c == NULL && err != NULL && err->msg != NULL && err->msg[0]);
    werr_free(&err);
  }
  free(buf);
  return 0;
}
