/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Container name leakage (Incus's security guide): /proc/sched_debug and
 * /sys/kernel/slab readable by everyone let any user list the cgroups, and
 * so the containers.  `ward check --fix name-leakage` applies exactly the
 * two chmods and nothing else. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "check_internal.h"
#include "cleanup.h"

#define SCHED_DEBUG "/proc/sched_debug"
#define SLAB "/sys/kernel/slab"

static void leak_row(struct check_result *r, const char *path, mode_t safe,
                     mode_t others) {
  struct stat st;
  if (stat(path, &st) < 0) {
    if (errno == ENOENT)
      check_set(r, CHECK_OK, "%s absent: nothing leaks", path);
    else
      check_set(r, CHECK_WARN, "stat %s: %s", path, strerror(errno));
    return;
  }
  mode_t mode = st.st_mode & 07777;
  if (mode & others) {
    check_set(r, CHECK_WARN,
              "%s is mode %04o: any user can list the cgroups, and so the "
              "containers",
              path, (unsigned)mode);
    check_set_fix(r, "chmod %o %s (or: ward check --fix name-leakage)",
                  (unsigned)safe, path);
    return;
  }
  check_set(r, CHECK_OK, "%s is mode %04o", path, (unsigned)mode);
}

void probe_leak_sched_debug(const struct check_opts *o,
                            struct check_result *r) {
  (void)o;
  leak_row(r, SCHED_DEBUG, 0400, 0044);
}

void probe_leak_slab(const struct check_opts *o, struct check_result *r) {
  (void)o;
  leak_row(r, SLAB, 0700, 0055);
}

static int fix_one(const char *path, mode_t mode, werr_t *err) {
  struct stat st;
  if (stat(path, &st) < 0) {
    if (errno == ENOENT) {
      printf("%s: absent, nothing to do\n", path);
      return 0;
    }
    return werr_sys(err, "stat %s", path);
  }
  if ((st.st_mode & 07777) == mode) {
    printf("%s: already %04o\n", path, (unsigned)mode);
    return 0;
  }
  if (chmod(path, mode) < 0)
    return werr_sys(err, "chmod %o %s", (unsigned)mode, path);
  printf("chmod %o %s (was %04o)\n", (unsigned)mode, path,
         (unsigned)(st.st_mode & 07777));
  return 0;
}

int check_fix(const char *name, werr_t *err) {
  if (strcmp(name, CHECK_FIX_NAME_LEAKAGE) != 0)
    return werr_code(err, EINVAL,
                      "check: --fix: unknown fix \"%s\" (known: " 
                      CHECK_FIX_NAME_LEAKAGE ")",
                      name);
  if (fix_one(SCHED_DEBUG, 0400, err) < 0 || fix_one(SLAB, 0700, err) < 0)
    return -1;
  return 0;
}
