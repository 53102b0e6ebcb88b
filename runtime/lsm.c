/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cleanup.h"

#ifndef SELINUX_MAGIC
#define SELINUX_MAGIC 0xf97cff8c
#endif

/* The runtime-spec leaves "" meaning unset. */
static bool set(const char *s) {
  return s != NULL && s[0] != '\0';
}

bool lsm_apparmor_enabled(void) {
  char buf[4] = "";
  _cleanup_close_ int fd = open("/sys/module/apparmor/parameters/enabled",
                                O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read(fd, buf, sizeof(buf) - 1) < 1)
    return false;
  return buf[0] == 'Y';
}

bool lsm_selinux_enabled(void) {
  struct statfs sfs;
  return statfs("/sys/fs/selinux", &sfs) == 0 &&
         (unsigned long)sfs.f_type == (unsigned long)SELINUX_MAGIC;
}

int lsm_check_process(const struct spec_process *p, werr_t *err) {
  if (set(p->apparmorProfile) && !lsm_apparmor_enabled())
    return werr(err, "process.apparmorProfile: AppArmor is not enabled on this "
                     "host");
  if (set(p->selinuxLabel) && !lsm_selinux_enabled())
    return werr(err,
                "process.selinuxLabel: SELinux is not enabled on this host");
  return 0;
}

int lsm_check(const struct spec_config *c, werr_t *err) {
  if (c->has_process && lsm_check_process(&c->process, err) < 0)
    return -1;
  if (set(c->linux_.mountLabel) && !lsm_selinux_enabled())
    return werr(err, "linux.mountLabel: SELinux is not enabled on this host");
  return 0;
}

static int write_attr(const char *field, const char *path, const char *text,
                      werr_t *err) {
  _cleanup_close_ int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return werr_sys(err, "%s: open %s", field, path);
  struct statfs sfs;
  if (fstatfs(fd, &sfs) < 0)
    return werr_sys(err, "%s: statfs %s", field, path);
  if (sfs.f_type != PROC_SUPER_MAGIC)
    return werr_code(err, EXDEV, "%s: %s is not on procfs", field, path);
  size_t n = strlen(text);
  ssize_t w;
  do
    w = write(fd, text, n);
  while (w < 0 && errno == EINTR);
  if (w < 0)
    return werr_sys(err, "%s: write %s", field, path);
  if ((size_t)w != n)
    return werr_code(err, EIO, "%s: short write to %s", field, path);
  return 0;
}

int lsm_apply_exec_label(const struct spec_process *p, werr_t *err) {
  if (set(p->apparmorProfile)) {
    if (!lsm_apparmor_enabled())
      return werr(err,
                  "process.apparmorProfile: AppArmor is not enabled on this "
                  "host");
    _cleanup_free_ char *cmd = NULL;
    if (asprintf(&cmd, "exec %s", p->apparmorProfile) < 0)
      abort();
    /* The per-LSM directory (Linux 5.8+) keeps working when several LSMs
     * are stacked; older kernels only have the shared file. */
    const char *path = "/proc/self/attr/apparmor/exec";
    if (access(path, F_OK) < 0)
      path = "/proc/self/attr/exec";
    if (write_attr("process.apparmorProfile", path, cmd, err) < 0)
      return -1;
  }
  if (set(p->selinuxLabel)) {
    if (!lsm_selinux_enabled())
      return werr(err,
                  "process.selinuxLabel: SELinux is not enabled on this host");
    if (write_attr("process.selinuxLabel", "/proc/self/attr/exec",
                   p->selinuxLabel, err) < 0)
      return -1;
  }
  return 0;
}
