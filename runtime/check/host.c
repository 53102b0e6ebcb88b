/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host doctor: one table row per probe, run in order, and the report
 * as a table or JSON. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "check_internal.h"
#include "cleanup.h"
#include "json.h"
#include "utils.h"

static const struct {
  const char *name;
  check_probe_fn fn;
} probes[] = {
    {"cgroup.layout", probe_cgroup_layout},
    {"cgroup.controllers", probe_cgroup_controllers},
    {"cgroup.delegation", probe_cgroup_delegation},
    {"cgroup.manager", probe_cgroup_manager},
    {"userns.enabled", probe_userns_enabled},
    {"userns.subids", probe_userns_subids},
    {"userns.capacity", probe_userns_capacity},
    {"idmap.state-root", probe_idmap_state_root},
    {"idmap.rootfs", probe_idmap_rootfs},
    {"idmap.overlay", probe_idmap_overlay},
    {"kernel.clone3", probe_kernel_clone3},
    {"kernel.pidfd", probe_kernel_pidfd},
    {"kernel.openat2", probe_kernel_openat2},
    {"kernel.mount-api", probe_kernel_mount_api},
    {"kernel.seccomp", probe_kernel_seccomp},
    {"kernel.time-ns", probe_kernel_timens},
    {"lsm", probe_kernel_lsm},
    {"criu", probe_criu},
    {"net.nft-bridge", probe_net_nft_bridge},
    {"net.ward-net", probe_net_ward_net},
    {"net.br-netfilter", probe_net_br_netfilter},
    {"leak.sched-debug", probe_leak_sched_debug},
    {"leak.slab", probe_leak_slab},
};

void check_set(struct check_result *r, enum check_status status,
               const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s;
  if (vasprintf(&s, fmt, ap) < 0)
    abort();
  va_end(ap);
  free(r->seen);
  r->seen = s;
  r->status = status;
}

void check_set_fix(struct check_result *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s;
  if (vasprintf(&s, fmt, ap) < 0)
    abort();
  va_end(ap);
  free(r->fix);
  r->fix = s;
}

void check_unseen(struct check_result *r, const char *what) {
  check_set(r, CHECK_WARN, "not seen as uid %u: %s", (unsigned)geteuid(),
            what);
  check_set_fix(r, "run `ward check` as root");
}

int check_in_child(int (*fn)(void *arg), void *arg) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0)
    _exit(fn(arg) & 0xff);
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void check_host(const struct check_opts *o, struct check_report *out) {
  size_t n = sizeof(probes) / sizeof(*probes);
  out->items = xmalloc0(n * sizeof(*out->items));
  out->len = n;
  for (size_t i = 0; i < n; i++) {
    struct check_result *r = &out->items[i];
    r->name = probes[i].name;
    probes[i].fn(o, r);
    if (r->seen == NULL)
      check_set(r, CHECK_FAIL, "the probe said nothing");
  }
}

void check_report_free(struct check_report *r) {
  for (size_t i = 0; i < r->len; i++) {
    free(r->items[i].seen);
    free(r->items[i].fix);
  }
  free(r->items);
  *r = (struct check_report){0};
}

const char *check_status_name(enum check_status s) {
  switch (s) {
  case CHECK_OK:
    return "ok";
  case CHECK_WARN:
    return "warn";
  default:
    return "fail";
  }
}

bool check_report_failed(const struct check_report *r) {
  for (size_t i = 0; i < r->len; i++)
    if (r->items[i].status == CHECK_FAIL)
      return true;
  return false;
}

static void print_json(const struct check_report *r) {
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    abort();
  yajl_gen_config(g, yajl_gen_beautify, 1);
  size_t count[3] = {0};
  yajl_gen_map_open(g);
  json_gen_str(g, "checks");
  yajl_gen_array_open(g);
  for (size_t i = 0; i < r->len; i++) {
    const struct check_result *c = &r->items[i];
    count[c->status]++;
    yajl_gen_map_open(g);
    json_gen_kv(g, "name", c->name);
    json_gen_kv(g, "status", check_status_name(c->status));
    json_gen_kv(g, "seen", c->seen);
    json_gen_kv(g, "fix", c->fix);
    yajl_gen_map_close(g);
  }
  yajl_gen_array_close(g);
  json_gen_str(g, "summary");
  yajl_gen_map_open(g);
  for (int s = CHECK_OK; s <= CHECK_FAIL; s++) {
    json_gen_str(g, check_status_name(s));
    yajl_gen_integer(g, (long long)count[s]);
  }
  yajl_gen_map_close(g);
  yajl_gen_map_close(g);
  _cleanup_free_ char *doc = json_gen_finish(g);
  fputs(doc, stdout);
  if (doc[0] == '\0' || doc[strlen(doc) - 1] != '\n')
    putchar('\n');
}

void check_report_print(const struct check_report *r, bool json) {
  if (json) {
    print_json(r);
    return;
  }
  printf("%-6s %-19s %s\n", "STATUS", "CHECK", "SEEN");
  for (size_t i = 0; i < r->len; i++) {
    const struct check_result *c = &r->items[i];
    printf("%-6s %-19s %s\n", check_status_name(c->status), c->name, c->seen);
    if (c->fix && c->status != CHECK_OK)
      printf("%-6s %-19s fix: %s\n", "", "", c->fix);
  }
}

int check_run(char *const argv[], char **out) {
  *out = NULL;
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return 127;
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return 127;
  }
  if (pid == 0) {
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0 || dup2(p[1], 1) < 0 ||
        dup2(p[1], 2) < 0)
      _exit(127);
    execvp(argv[0], argv);
    _exit(127);
  }
  close(p[1]);
  size_t len = 0;
  _cleanup_werr_ werr_t e = NULL;
  if (read_all_fd(p[0], out, &len, &e) < 0)
    *out = xstrdup("");
  close(p[0]);
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
