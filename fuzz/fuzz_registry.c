/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The idmap registry's reader through its public header: the input is the
 * registry file in a private directory, opened read-only as `ward idmap
 * list` does.  Kept to the open/close calls so a change of the on-disk
 * format leaves only the seeds to refresh. */
#include <assert.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "fuzz.h"
#include "idmap_registry.h"

static char dir[64];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  snprintf(dir, sizeof(dir), "/tmp/ward-fuzz-registry.XXXXXX");
  if (mkdtemp(dir) == NULL)
    abort();
  /* Without its lock file a registry reads as empty, never parsed. */
  char lock[96];
  snprintf(lock, sizeof(lock), "%s/lock", dir);
  int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    abort();
  close(fd);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > FUZZ_MAX_INPUT)
    return -1;
  char path[128];
  snprintf(path, sizeof(path), "%s/" IDMAP_REGISTRY_FILE, dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || write(fd, data, size) != (ssize_t)size)
    abort();
  close(fd);
  struct idmap_registry *r = NULL;
  werr_t err = NULL;
  if (idmap_registry_open(dir, false, &r, &err) == 0) {
    idmap_registry_close(r);
  } else {
    assert(err && err->msg && err->msg[0]);
    werr_free(&err);
  }
  return 0;
}
