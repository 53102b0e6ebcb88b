/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "utils.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *env_get(char **env, const char *name) {
  size_t n = strlen(name);
  for (size_t i = 0; env && env[i]; i++)
    if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
      return env[i] + n + 1;
  return NULL;
}

static bool is_executable(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
         access(path, X_OK) == 0;
}

/* What execve gets; set by process_resolve_exe, which every path to
 * process_exec calls inside the container's root and before the filter. */
static char **exec_env;

/* runc (libcontainer's setupUser) gives a process whose env has no HOME
 * the home of its uid in the container's /etc/passwd, else "/"; images
 * rely on it (a shell's ~, git, pip), so do the same. fgetpwent reads the
 * container's file itself, never the host's NSS. */
static char **env_with_home(const struct spec_process *p) {
  if (env_get(p->env, "HOME"))
    return p->env;
  _cleanup_free_ char *home = NULL;
  FILE *f = fopen("/etc/passwd", "re");
  if (f) {
    struct passwd *pw;
    while ((pw = fgetpwent(f)) != NULL)
      if (pw->pw_uid == p->user.uid) {
        if (pw->pw_dir && *pw->pw_dir)
          home = xstrdup(pw->pw_dir);
        break;
      }
    fclose(f);
  }
  size_t n = 0;
  while (p->env && p->env[n])
    n++;
  char **env = xmalloc0((n + 2) * sizeof(char *));
  for (size_t i = 0; i < n; i++)
    env[i] = p->env[i];
  env[n] = xasprintf("HOME=%s", home ? home : "/");
  return env;
}

int process_resolve_exe(const struct spec_process *p, char **out,
                        werr_t *err) {
  exec_env = env_with_home(p);
  const char *name = p->args[0];
  if (strchr(name, '/')) {
    if (!is_executable(name))
      return werr_sys(err, "exec: \"%s\"", name);
    *out = xstrdup(name);
    return 0;
  }
  const char *path = env_get(p->env, "PATH");
  _cleanup_free_ char *dirs = xstrdup(path ? path : DEFAULT_PATH);
  char *save = NULL;
  for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
    char *cand = xasprintf("%s/%s", *d ? d : ".", name);
    if (is_executable(cand)) {
      *out = cand;
      return 0;
    }
    free(cand);
  }
  return werr_code(err, ENOENT,
                   "exec: \"%s\": executable file not found in $PATH", name);
}

int process_set_limits(const struct spec_process *p, werr_t *err) {
  for (size_t i = 0; i < p->rlimits_len; i++) {
    struct rlimit rl = {.rlim_cur = p->rlimits[i].soft,
                        .rlim_max = p->rlimits[i].hard};
    if (setrlimit(p->rlimits[i].resource, &rl) < 0)
      return werr_sys(err, "process.rlimits[%zu]: set %s to %llu/%llu", i,
                      p->rlimits[i].type, (unsigned long long)rl.rlim_cur,
                      (unsigned long long)rl.rlim_max);
  }
  if (p->user.has_umask)
    umask((mode_t)p->user.umask);
  else
    umask(022);
  return 0;
}

int process_set_oom_score(const struct spec_process *p, werr_t *err) {
  if (!p->has_oomScoreAdj)
    return 0;
  char buf[16];
  snprintf(buf, sizeof(buf), "%d", p->oomScoreAdj);
  if (write_proc_file("/proc/self/oom_score_adj", buf, err) < 0)
    return werr_prefix(err, "process.oomScoreAdj");
  return 0;
}

static int load_seccomp(struct seccomp_prog *seccomp,
                        const struct seccomp_handoff *h, werr_t *err) {
  if (seccomp == NULL)
    return 0;
  bool listener = seccomp_prog_has_listener(seccomp);
  if (listener && h && h->before(h->ctx, err) < 0)
    return -1;
  /* From here on the process runs under the container's filter. */
  int notify_fd = -1;
  if (seccomp_filter_install(seccomp, &notify_fd, err) < 0)
    return -1;
  /* The listener is O_CLOEXEC: execve closes our copy, nothing else has
   * to (a close(2) here would be one more call under the filter). */
  if (notify_fd >= 0 && h)
    h->after(h->ctx);
  return 0;
}

int process_become_user(const struct spec_process *p,
                        struct seccomp_prog *seccomp,
                        const struct seccomp_handoff *h, werr_t *err) {
  const struct spec_user *u = &p->user;
  if (caps_drop_bounding(p, err) < 0)
    return -1;
  /* Without no_new_privs, seccomp(2) needs CAP_SYS_ADMIN, which the user
   * may be about to lose: load the filter while we still hold it.  The
   * calls left under it are the ones runc makes there: prctl, setgroups,
   * setresgid, setresuid, capset, then execve. */
  if (!p->noNewPrivileges && load_seccomp(seccomp, h, err) < 0)
    return -1;
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return werr_sys(err, "prctl(PR_SET_KEEPCAPS)");
  gid_t *groups = (gid_t *)u->additionalGids;
  /* setgroups is denied in a user namespace whose map ward could not
   * write as root (rootless); with no extra groups that is harmless. */
  if (setgroups(u->additionalGids_len, groups) < 0 &&
      !(errno == EPERM && u->additionalGids_len == 0))
    return werr_sys(err, "process.user.additionalGids: setgroups");
  if (setresgid(u->gid, u->gid, u->gid) < 0)
    return werr_sys(err, "process.user.gid: setgid %u", u->gid);
  if (setresuid(u->uid, u->uid, u->uid) < 0)
    return werr_sys(err, "process.user.uid: setuid %u", u->uid);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return werr_sys(err, "prctl(PR_SET_KEEPCAPS)");
  if (caps_apply(p, err) < 0)
    return -1;
  if (p->noNewPrivileges) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
      return werr_sys(err, "process.noNewPrivileges: prctl");
    /* The last step: nothing but execve runs under the filter. */
    if (load_seccomp(seccomp, h, err) < 0)
      return -1;
  }
  return 0;
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

int process_close_inherited(int preserve, const int *keep, size_t nkeep,
                            werr_t *err) {
  int k[PROCESS_KEEP_MAX];
  size_t n = 0;
  unsigned from = 3u + (unsigned)(preserve > 0 ? preserve : 0);
  for (size_t i = 0; i < nkeep && n < PROCESS_KEEP_MAX; i++)
    if (keep[i] >= (int)from)
      k[n++] = keep[i];
  qsort(k, n, sizeof(int), cmp_int);
  for (size_t i = 0; i < n; i++) {
    unsigned kf = (unsigned)k[i];
    if (kf < from) /* listed twice */
      continue;
    if (kf > from && syscall(SYS_close_range, from, kf - 1u, 0) < 0)
      return werr_sys(err, "close_range %u-%u", from, kf - 1u);
    from = kf + 1u;
  }
  if (syscall(SYS_close_range, from, ~0u, 0) < 0)
    return werr_sys(err, "close_range %u-", from);
  return 0;
}

int process_close_fds(int preserve, werr_t *err) {
  unsigned first = 3u + (unsigned)(preserve > 0 ? preserve : 0);
  if (syscall(SYS_close_range, first, ~0u, CLOSE_RANGE_CLOEXEC) < 0)
    return werr_sys(err, "close_range");
  return 0;
}

int process_exec(const struct spec_process *p, const char *exe, werr_t *err) {
  /* Under the filter now (see process_become_user): execve only. */
  char *empty[] = {NULL};
  execve(exe, p->args, exec_env ? exec_env : p->env ? p->env : empty);
  return werr_sys(err, "exec %s", exe);
}
