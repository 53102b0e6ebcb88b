/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A seccomp cache entry as seccomp_cache_load finds it: the input replaces
 * the entry ward stored for one key.  Whatever the file holds, the load is
 * a miss or exactly the filter of that key (the key stored in the entry
 * matches byte for byte), never a crash or an over-read. */
#include <assert.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "seccomp_cache.h"

#define KEY "fuzz: a key as seccomp_cache_key writes one"

static char dir[96];
static char file[160];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  /* below a private directory: the cache refuses a world-writable parent */
  snprintf(dir, sizeof(dir), "%s/seccomp", fuzz_tmpdir("seccomp-cache"));
  /* Store one entry to learn its file name from the directory. */
  struct sock_filter insn = {0x06, 0, 0, 0x7fff0000}; /* ret ALLOW */
  werr_t err = NULL;
  if (seccomp_cache_store(dir, KEY, &insn, 1, &err) < 0) {
    fprintf(stderr, "fuzz_seccomp_cache: %s\n", err->msg);
    abort();
  }
  DIR *d = opendir(dir);
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL)
    if (de->d_name[0] != '.')
      snprintf(file, sizeof(file), "%s/%s", dir, de->d_name);
  if (d)
    closedir(d);
  if (file[0] == '\0')
    abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > FUZZ_MAX_INPUT)
    return -1;
  fuzz_write_file(file, data, size);
  struct sock_filter *insns = NULL;
  size_t len = 0;
  werr_t err = NULL;
  int rc = seccomp_cache_load(dir, KEY, &insns, &len, &err);
  if (rc == 1) {
    assert(insns && len > 0 && len <= BPF_MAXINSNS);
    /* the filter is the file's tail, after the key it names */
    assert(size >= len * sizeof(*insns) + strlen(KEY));
    assert(memcmp(insns, data + size - len * sizeof(*insns),
                  len * sizeof(*insns)) == 0);
    free(insns);
  } else {
    assert(rc == 0 && insns == NULL);
  }
  werr_free(&err);
  return 0;
}
