/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel features ward uses, each tried with a call that has no lasting
 * effect (an fd closed at once, or arguments the kernel rejects only after
 * it has recognised the feature), and the LSMs. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_internal.h"
#include "cleanup.h"
#include "lsm.h"
#include "utils.h"

static const char *kernel_release(void) {
  static struct utsname u;
  if (u.release[0] == '\0' && uname(&u) < 0)
    return "?";
  return u.release;
}

static void need_kernel(struct check_result *r, const char *what,
                        const char *version) {
  check_set_fix(r, "boot a kernel >= %s (this one is %s) for %s", version,
                kernel_release(), what);
}

void probe_kernel_clone3(const struct check_opts *o, struct check_result *r) {
  (void)o;
  /* CLONE_INTO_CGROUP with an fd that is not open: a kernel that knows the
   * flag gets as far as the fd (EBADF) without creating a process; one
   * that does not says EINVAL first. */
  struct clone_args a = {.flags = CLONE_INTO_CGROUP,
                         .exit_signal = SIGCHLD,
                         .cgroup = INT_MAX};
  long rc = syscall(SYS_clone3, &a, sizeof(a));
  int e = errno;
  if (rc == 0)
    _exit(0); /* cannot happen: the fd is not open */
  if (rc > 0) {
    waitpid((pid_t)rc, NULL, 0);
    check_set(r, CHECK_WARN, "clone3 with a closed cgroup fd made pid %ld",
              rc);
    return;
  }
  if (e == ENOSYS) {
    check_set(r, CHECK_FAIL, "no clone3 (ENOSYS)");
    need_kernel(r, "clone3", "5.3");
  } else if (e == EBADF) {
    check_set(r, CHECK_OK, "clone3 with CLONE_INTO_CGROUP");
  } else {
    check_set(r, CHECK_WARN,
              "clone3 works, CLONE_INTO_CGROUP does not (%s): pure-v2 "
              "containers are migrated after clone instead",
              strerror(e));
    need_kernel(r, "CLONE_INTO_CGROUP", "5.7");
  }
}

void probe_kernel_pidfd(const struct check_opts *o, struct check_result *r) {
  (void)o;
  int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
  if (fd < 0) {
    check_set(r, CHECK_FAIL, "pidfd_open: %s", strerror(errno));
    need_kernel(r, "pidfd_open", "5.3");
    return;
  }
  long rc = syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0);
  int e = errno;
  close(fd);
  if (rc < 0) {
    check_set(r, CHECK_FAIL, "pidfd_send_signal: %s", strerror(e));
    need_kernel(r, "pidfd_send_signal", "5.1");
    return;
  }
  check_set(r, CHECK_OK, "pidfd_open, pidfd_send_signal");
}

void probe_kernel_openat2(const struct check_opts *o, struct check_result *r) {
  (void)o;
  struct open_how how = {.flags = O_PATH | O_CLOEXEC,
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  int fd = (int)syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));
  if (fd < 0) {
    check_set(r, CHECK_FAIL, "openat2(RESOLVE_IN_ROOT): %s", strerror(errno));
    need_kernel(r, "openat2", "5.6");
    return;
  }
  close(fd);
  check_set(r, CHECK_OK, "openat2 with RESOLVE_IN_ROOT");
}

void probe_kernel_mount_api(const struct check_opts *o,
                            struct check_result *r) {
  (void)o;
  /* A plain open_tree (no clone) is an O_PATH fd anyone may take;
   * mount_setattr with nothing to change on it is a no-op that only a
   * kernel with the call accepts (EPERM unprivileged still proves it). */
  int fd = open_tree(AT_FDCWD, "/", OPEN_TREE_CLOEXEC);
  if (fd < 0) {
    check_set(r, CHECK_FAIL, "open_tree: %s", strerror(errno));
    need_kernel(r, "the mount API", "5.2");
    return;
  }
  struct mount_attr attr = {0};
  int rc = mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr));
  int e = errno;
  close(fd);
  if (rc < 0 && e == ENOSYS) {
    check_set(r, CHECK_FAIL, "open_tree works, mount_setattr does not");
    need_kernel(r, "mount_setattr", "5.12");
    return;
  }
  check_set(r, CHECK_OK, "open_tree, move_mount, mount_setattr");
}

void probe_kernel_seccomp(const struct check_opts *o, struct check_result *r) {
  (void)o;
  const struct scmp_version *v = seccomp_version();
  unsigned api = seccomp_api_get();
  struct seccomp_notif_sizes sz;
  bool notify = syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) == 0;
  unsigned action = SECCOMP_RET_USER_NOTIF;
  bool avail =
      syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
  _cleanup_free_ char *lib =
      v ? xasprintf("%u.%u.%u", v->major, v->minor, v->micro) : xstrdup("?");
  if (api == 0) {
    check_set(r, CHECK_FAIL, "libseccomp %s sees no seccomp in the kernel %s",
              lib, kernel_release());
    check_set_fix(r, "boot a kernel with CONFIG_SECCOMP_FILTER=y");
    return;
  }
  if (!notify || !avail) {
    check_set(r, CHECK_WARN,
              "seccomp filters work (libseccomp %s, API level %u) but not "
              "SCMP_ACT_NOTIFY: linux.seccomp.listenerPath fails",
              lib, api);
    need_kernel(r, "seccomp user notification", "5.0");
    return;
  }
  if (api < 5) {
    check_set(r, CHECK_WARN,
              "kernel has notify, libseccomp %s only API level %u: "
              "SCMP_ACT_NOTIFY needs level 5",
              lib, api);
    check_set_fix(r, "install libseccomp >= 2.5");
    return;
  }
  check_set(r, CHECK_OK,
            "seccomp filters and user notification in kernel %s; libseccomp "
            "%s, API level %u",
            kernel_release(), lib, api);
}

void probe_kernel_timens(const struct check_opts *o, struct check_result *r) {
  (void)o;
  struct stat st;
  if (stat("/proc/self/ns/time", &st) < 0) {
    check_set(r, CHECK_WARN,
              "no /proc/self/ns/time: a `time` namespace in config.json "
              "fails");
    need_kernel(r, "time namespaces", "5.6");
    return;
  }
  check_set(r, CHECK_OK, "time namespaces (timeOffsets)");
}

void probe_kernel_lsm(const struct check_opts *o, struct check_result *r) {
  (void)o;
  _cleanup_free_ char *lsms = NULL;
  _cleanup_werr_ werr_t e = NULL;
  if (read_file("/sys/kernel/security/lsm", &lsms, NULL, &e) == 0)
    lsms[strcspn(lsms, "\n")] = '\0';
  check_set(r, CHECK_OK, "AppArmor %s, SELinux %s; active LSMs: %s",
            lsm_apparmor_enabled() ? "enabled" : "disabled",
            lsm_selinux_enabled() ? "enabled" : "disabled",
            lsms ? lsms
                 : (geteuid() == 0 ? "unknown (no securityfs)"
                                   : "not readable as non-root"));
}
