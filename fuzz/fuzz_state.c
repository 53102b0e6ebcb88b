/* SPDX-License-Identifier: GPL-2.0-or-later */
/* STATE_ROOT/ID/state.json as every command after create reads it
 * (state_load), from a private directory. */
#include <assert.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "state.h"

static const char *root;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  root = fuzz_tmpdir("state");
  char dir[96];
  snprintf(dir, sizeof(dir), "%s/c1", root);
  if (mkdir(dir, 0700) < 0)
    abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > FUZZ_MAX_INPUT)
    return -1;
  char path[128];
  snprintf(path, sizeof(path), "%s/c1/state.json", root);
  fuzz_write_file(path, data, size);
  struct container_state *st = NULL;
  werr_t err = NULL;
  if (state_load(root, "c1", &st, &err) == 0) {
    assert(st && st->id && st->dir);
    (void)state_status_name(state_status(st));
    container_state_free(st);
  } else {
    assert(err && err->msg && err->msg[0]);
    werr_free(&err);
  }
  return 0;
}
