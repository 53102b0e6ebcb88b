/* SPDX-License-Identifier: GPL-2.0-or-later */
/* process.scheduler / ioPriority / execCPUAffinity (applied in forked
 * children, read back from the kernel) and the LSM checks. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lsm.h"
#include "process_sched.h"

#include "unit.h"

#define CHILD_CHECK(cond)                                                      \
  do {                                                                         \
    if (!(cond))                                                               \
      _exit(__LINE__ % 250 + 1);                                              \
  } while (0)

static void expect(int line, int rc, werr_t *err, const char *want) {
  char *got = (rc < 0 && *err) ? werr_text(*err) : NULL;
  if (want == NULL ? rc == 0 : (got && strcmp(got, want) == 0)) {
    passed++;
  } else {
    failed++;
    fprintf(stderr, "line %d: want %s\n  got %s\n", line,
            want ? want : "success", got ? got : "(no error)");
  }
  free(got);
  werr_free(err);
}
#define EXPECT(rc, want) expect(__LINE__, rc, &err, want)

static char *policy_flags[] = {"SCHED_FLAG_RESET_ON_FORK", NULL};
static char *bad_flags[] = {"SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_NOPE", NULL};

static void test_sched_check(void) {
  werr_t err = NULL;
  struct spec_process p;
  memset(&p, 0, sizeof(p));
  EXPECT(sched_check(&p, &err), NULL);

  p.scheduler.present = true;
  EXPECT(sched_check(&p, &err), "process.scheduler.policy: required");
  p.scheduler.policy = "SCHED_NOPE";
  EXPECT(sched_check(&p, &err),
         "process.scheduler.policy: unknown policy \"SCHED_NOPE\"");
  p.scheduler.policy = "SCHED_OTHER";
  p.scheduler.nice = 20;
  EXPECT(sched_check(&p, &err),
         "process.scheduler.nice: must be between -20 and 19");
  p.scheduler.nice = 0;
  p.scheduler.priority = 5;
  EXPECT(sched_check(&p, &err),
         "process.scheduler.priority: only SCHED_FIFO and SCHED_RR take a "
         "priority");
  p.scheduler.policy = "SCHED_FIFO";
  p.scheduler.priority = 0;
  EXPECT(sched_check(&p, &err),
         "process.scheduler.priority: must be between 1 and 99 for "
         "SCHED_FIFO");
  p.scheduler.priority = 10;
  p.scheduler.runtime = 1000;
  EXPECT(sched_check(&p, &err),
         "process.scheduler: runtime, deadline and period are only for "
         "SCHED_DEADLINE");
  p.scheduler.runtime = 0;
  p.scheduler.flags = bad_flags;
  EXPECT(sched_check(&p, &err),
         "process.scheduler.flags[1]: unknown flag \"SCHED_FLAG_NOPE\"");
  p.scheduler.flags = policy_flags;
  EXPECT(sched_check(&p, &err), NULL);

  p.ioPriority.present = true;
  p.ioPriority.class = "IOPRIO_CLASS_NOPE";
  EXPECT(sched_check(&p, &err),
         "process.ioPriority.class: unknown class \"IOPRIO_CLASS_NOPE\"");
  p.ioPriority.class = "IOPRIO_CLASS_BE";
  p.ioPriority.priority = 8;
  EXPECT(sched_check(&p, &err),
         "process.ioPriority.priority: must be between 0 and 7");
  p.ioPriority.priority = 7;
  EXPECT(sched_check(&p, &err), NULL);

  static const char *const bad_lists[] = {"x", "1-", "3-1", "0,", ",0", "0-1-2",
                                          "-1"};
  for (size_t i = 0; i < sizeof(bad_lists) / sizeof(*bad_lists); i++) {
    p.execCPUAffinity_final = (char *)bad_lists[i];
    char want[128];
    snprintf(want, sizeof(want),
             "process.execCPUAffinity.final: invalid CPU list \"%s\"",
             bad_lists[i]);
    EXPECT(sched_check(&p, &err), want);
  }
  p.execCPUAffinity_final = "0-1,99999";
  EXPECT(sched_check(&p, &err),
         "process.execCPUAffinity.final: CPU 99999 is out of range");
  p.execCPUAffinity_final = "0-3,5,7-8";
  p.execCPUAffinity_initial = "";
  EXPECT(sched_check(&p, &err), NULL);
}

static int cpus_allowed(char *out, size_t n) {
  FILE *f = fopen("/proc/self/status", "re");
  char line[256];
  int found = -1;
  while (f && fgets(line, sizeof(line), f))
    if (strncmp(line, "Cpus_allowed_list:", 18) == 0) {
      snprintf(out, n, "%s", line + 18 + strspn(line + 18, " \t"));
      out[strcspn(out, "\n")] = '\0';
      found = 0;
    }
  if (f)
    fclose(f);
  return found;
}

static void test_apply(void) {
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    struct spec_process p;
    werr_t err = NULL;
    char cpus[64];
    memset(&p, 0, sizeof(p));
    p.execCPUAffinity_initial = "0";
    CHILD_CHECK(sched_apply_initial(&p, &err) == 0);
    CHILD_CHECK(cpus_allowed(cpus, sizeof(cpus)) == 0);
    CHILD_CHECK(strcmp(cpus, "0") == 0);
    /* initial only: final goes back to every CPU */
    CHILD_CHECK(sched_apply_final(&p, &err) == 0);
    CHILD_CHECK(cpus_allowed(cpus, sizeof(cpus)) == 0);
    char all[32];
    snprintf(all, sizeof(all), ncpu > 1 ? "0-%ld" : "0", ncpu - 1);
    CHILD_CHECK(strcmp(cpus, all) == 0);
    if (ncpu > 1) {
      p.execCPUAffinity_final = "1";
      CHILD_CHECK(sched_apply_final(&p, &err) == 0);
      CHILD_CHECK(cpus_allowed(cpus, sizeof(cpus)) == 0);
      CHILD_CHECK(strcmp(cpus, "1") == 0);
    }
    p.execCPUAffinity_final = "4000";
    CHILD_CHECK(sched_apply_final(&p, &err) < 0);
    CHILD_CHECK(strcmp(err->msg, "process.execCPUAffinity.final: "
                                 "sched_setaffinity 4000") == 0);
    werr_free(&err);
    p.execCPUAffinity_final = NULL;
    p.execCPUAffinity_initial = NULL;

    p.ioPriority.present = true;
    p.ioPriority.class = "IOPRIO_CLASS_BE";
    p.ioPriority.priority = 5;
    p.scheduler.present = true;
    p.scheduler.policy = "SCHED_BATCH";
    p.scheduler.nice = 7;
    CHILD_CHECK(sched_apply_final(&p, &err) == 0);
    CHILD_CHECK(syscall(SYS_ioprio_get, 1, 0) == ((2 << 13) | 5));
    CHILD_CHECK(sched_getscheduler(0) == SCHED_BATCH);
    errno = 0;
    CHILD_CHECK(getpriority(PRIO_PROCESS, 0) == 7 && errno == 0);

    p.ioPriority.present = false;
    p.scheduler.policy = "SCHED_FIFO";
    p.scheduler.nice = 0;
    p.scheduler.priority = 10;
    p.scheduler.flags = policy_flags;
    CHILD_CHECK(sched_apply_final(&p, &err) == 0);
    /* RESET_ON_FORK shows up in the policy sched_getscheduler reports. */
    CHILD_CHECK((sched_getscheduler(0) & ~SCHED_RESET_ON_FORK) == SCHED_FIFO);
    struct sched_param sp;
    CHILD_CHECK(sched_getparam(0, &sp) == 0 && sp.sched_priority == 10);
    _exit(0);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
    fprintf(stderr, "  child status %d\n", st);

  /* Without CAP_SYS_NICE the kernel refuses a real-time policy. */
  pid = fork();
  if (pid == 0) {
    struct spec_process p;
    werr_t err = NULL;
    memset(&p, 0, sizeof(p));
    p.scheduler.present = true;
    p.scheduler.policy = "SCHED_RR";
    p.scheduler.priority = 1;
    CHILD_CHECK(setresuid(65534, 65534, 65534) == 0);
    CHILD_CHECK(sched_apply_final(&p, &err) < 0);
    char *t = werr_text(err);
    CHILD_CHECK(strcmp(t, "process.scheduler: sched_setattr SCHED_RR: "
                          "Operation not permitted") == 0);
    _exit(0);
  }
  waitpid(pid, &st, 0);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_lsm(void) {
  werr_t err = NULL;
  struct spec_config c;
  memset(&c, 0, sizeof(c));
  c.has_process = true;
  EXPECT(lsm_check(&c, &err), NULL);
  EXPECT(lsm_apply_exec_label(&c.process, &err), NULL);
  c.process.apparmorProfile = "";
  c.process.selinuxLabel = "";
  EXPECT(lsm_check(&c, &err), NULL);

  if (!lsm_apparmor_enabled()) {
    c.process.apparmorProfile = "ward-default";
    EXPECT(lsm_check(&c, &err),
           "process.apparmorProfile: AppArmor is not enabled on this host");
    EXPECT(lsm_apply_exec_label(&c.process, &err),
           "process.apparmorProfile: AppArmor is not enabled on this host");
    c.process.apparmorProfile = NULL;
  } else {
    fprintf(stderr, "  (AppArmor enabled: not-enabled errors not tested)\n");
  }
  if (!lsm_selinux_enabled()) {
    c.process.selinuxLabel = "system_u:system_r:container_t:s0";
    EXPECT(lsm_check(&c, &err),
           "process.selinuxLabel: SELinux is not enabled on this host");
    EXPECT(lsm_check_process(&c.process, &err),
           "process.selinuxLabel: SELinux is not enabled on this host");
    c.process.selinuxLabel = NULL;
    c.linux_.mountLabel = "system_u:object_r:container_file_t:s0";
    EXPECT(lsm_check(&c, &err),
           "linux.mountLabel: SELinux is not enabled on this host");
  } else {
    fprintf(stderr, "  (SELinux enabled: not-enabled errors not tested)\n");
  }
}

/* CVE-2019-16884: a fake /proc (an image directory or a volume mounted
 * there) must not receive the AppArmor label, or the container runs
 * unconfined.  In a private mount namespace: pretend AppArmor is enabled,
 * shadow /proc with a tmpfs holding the attr file, and expect a refusal. */
static void test_label_refuses_fake_proc(void) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    CHILD_CHECK(unshare(CLONE_NEWNS) == 0);
    CHILD_CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
    CHILD_CHECK(mount("tmpfs", "/sys/module", "tmpfs", 0, NULL) == 0);
    CHILD_CHECK(mkdir("/sys/module/apparmor", 0755) == 0);
    CHILD_CHECK(mkdir("/sys/module/apparmor/parameters", 0755) == 0);
    int fd = open("/sys/module/apparmor/parameters/enabled",
                  O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    CHILD_CHECK(fd >= 0 && write(fd, "Y\n", 2) == 2);
    close(fd);
    CHILD_CHECK(lsm_apparmor_enabled());
    CHILD_CHECK(mount("tmpfs", "/proc", "tmpfs", 0, NULL) == 0);
    CHILD_CHECK(mkdir("/proc/self", 0755) == 0);
    CHILD_CHECK(mkdir("/proc/self/attr", 0755) == 0);
    CHILD_CHECK(mkdir("/proc/self/attr/apparmor", 0755) == 0);
    fd = open("/proc/self/attr/apparmor/exec", O_WRONLY | O_CREAT | O_CLOEXEC,
              0644);
    CHILD_CHECK(fd >= 0);
    close(fd);
    struct spec_process p;
    memset(&p, 0, sizeof(p));
    p.apparmorProfile = "ward-default";
    werr_t err = NULL;
    CHILD_CHECK(lsm_apply_exec_label(&p, &err) < 0);
    char *t = werr_text(err);
    CHILD_CHECK(strcmp(t, "process.apparmorProfile: "
                          "/proc/self/attr/apparmor/exec is not on procfs") ==
                0);
    struct stat st;
    CHILD_CHECK(stat("/proc/self/attr/apparmor/exec", &st) == 0 &&
                st.st_size == 0);
    _exit(0);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
    fprintf(stderr, "  child status %d\n", st);
}

int main(void) {
  test_sched_check();
  if (unit_as_root("test_process_attrs: apply tests"))
    test_apply();
  test_lsm();
  if (geteuid() == 0)
    test_label_refuses_fake_proc();
  return unit_summary("test_process_attrs");
}
