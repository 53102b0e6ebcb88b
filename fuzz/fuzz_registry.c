/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The idmap registry's reader through its public header: the input is a
 * registry file in a private directory, read as `ward idmap list` and every
 * allocation do.  Small on purpose, so a change of the on-disk layout
 * leaves only the seeds to refresh.
 *   one file per allocation (IDMAP_REGISTRY_LEGACY defined): the input is
 *     the entry of container c1 in /fuzz, read by idmap_registry_find_owner
 *   the single allocations.json (before): read by idmap_registry_open */
#include <assert.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "idmap_registry.h"

static const char *dir;
static char file[160];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  dir = fuzz_tmpdir("registry");
  /* Without its lock file a registry reads as empty, never parsed. */
  char lock[96];
  snprintf(lock, sizeof(lock), "%s/lock", dir);
  int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    abort();
  close(fd);
#ifdef IDMAP_REGISTRY_LEGACY
  char name[IDMAP_ENTRY_NAME_LEN];
  idmap_owner_name("/fuzz", "c1", name);
  snprintf(file, sizeof(file), "%s/entries", dir);
  if (mkdir(file, 0700) < 0)
    abort();
  snprintf(file, sizeof(file), "%s/entries/%s", dir, name);
#else
  snprintf(file, sizeof(file), "%s/" IDMAP_REGISTRY_FILE, dir);
#endif
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > FUZZ_MAX_INPUT)
    return -1;
  fuzz_write_file(file, data, size);
  struct idmap_registry *r = NULL;
  werr_t err = NULL;
#ifdef IDMAP_REGISTRY_LEGACY
  if (idmap_registry_open(dir, IDMAP_READ, &r, &err) < 0)
    abort(); /* the input is not read yet: nothing may fail here */
  struct idmap_entry e;
  memset(&e, 0, sizeof(e));
  int got = idmap_registry_find_owner(r, "/fuzz", "c1", &e, &err);
  if (got == 1)
    idmap_entry_clear(&e);
  else
    assert(got == 0 || (err && err->msg && err->msg[0]));
  werr_free(&err);
  idmap_registry_close(r);
#else
  if (idmap_registry_open(dir, false, &r, &err) == 0) {
    idmap_registry_close(r);
  } else {
    assert(err && err->msg && err->msg[0]);
    werr_free(&err);
  }
#endif
  return 0;
}
