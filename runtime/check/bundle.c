/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ward check --bundle DIR`: what in a config.json weakens the container,
 * one line of advice each, high / medium / low.  Severity follows what a
 * process that escapes the namespaces gets: without a user namespace it
 * is host root, so most rules are one step worse there. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "check_internal.h"
#include "cleanup.h"
#include "config.h"
#include "idmap.h"
#include "json.h"
#include "linux_resources.h"
#include "state.h"
#include "utils.h"

/* Incus's and runc's masked paths, plus the two that leak container
 * names (Incus security guide). */
static const char *const usual_masked[] = {
    "/proc/acpi",        "/proc/kcore",      "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug", "/proc/scsi",       "/sys/firmware",
    "/sys/kernel/slab",  NULL};

struct lint {
  struct lint_report *out;
  const struct spec_config *c;
  bool userns;   /* the container gets or joins a user namespace */
  bool isolated; /* ward.idmap.isolated (or implied) */
};

static void add(struct lint *l, enum lint_severity sev, const char *rule,
                const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void add(struct lint *l, enum lint_severity sev, const char *rule,
                const char *path, const char *fmt, ...) {
  struct lint_report *r = l->out;
  struct lint_finding *v = realloc(r->items, (r->len + 1) * sizeof(*v));
  if (v == NULL)
    abort();
  r->items = v;
  va_list ap;
  va_start(ap, fmt);
  char *s;
  if (vasprintf(&s, fmt, ap) < 0)
    abort();
  va_end(ap);
  v[r->len++] = (struct lint_finding){sev, rule, xstrdup(path), s};
}

/* One step less severe inside a user namespace. */
static enum lint_severity worse_without_userns(const struct lint *l,
                                               enum lint_severity sev) {
  return l->userns || sev == LINT_HIGH ? sev : sev + 1;
}

static bool strv_has(char **v, const char *s) {
  for (; v && *v; v++)
    if (strcmp(*v, s) == 0)
      return true;
  return false;
}

static void rule_privileged(struct lint *l) {
  const struct spec_config *c = l->c;
  if (!l->userns && c->process.user.uid == 0)
    add(l, LINT_HIGH, "privileged", "process.user.uid",
        "uid 0 without a user namespace is host root: not root safe; set "
        "the annotation ward.idmap.isolated=true");
}

static void rule_userns_shared(struct lint *l) {
  const struct spec_namespace *ns = &l->c->linux_.namespaces[SPEC_NS_USER];
  if (ns->present && ns->path) {
    add(l, LINT_MEDIUM, "userns-shared", "linux.namespaces",
        "joins the user namespace %s: whoever else is in it shares every "
        "id; ward.idmap.isolated=true gives a range of its own",
        ns->path);
    return;
  }
  if (l->userns && !l->isolated && l->c->linux_.uidMappings.len == 0)
    add(l, LINT_MEDIUM, "userns-shared", "annotations",
        "a user namespace without maps gets the shared default range, the "
        "same ids as every such container; set ward.idmap.isolated=true");
}

static void rule_seccomp(struct lint *l) {
  if (l->c->linux_.seccomp == NULL)
    add(l, worse_without_userns(l, LINT_LOW), "no-seccomp", "linux.seccomp",
        "no seccomp filter: every syscall reaches the kernel (podman's or "
        "docker's default profile blocks the rarely needed ones)");
}

static void rule_caps(struct lint *l) {
  const struct spec_capabilities *k = &l->c->process.capabilities;
  char **sets[] = {k->bounding, k->effective, k->permitted, k->inheritable,
                   k->ambient};
  /* Every capability the kernel knows, in any set. */
  size_t have = 0, max = (size_t)cap_max_bits();
  for (size_t i = 0; i < max; i++) {
    char *name = cap_to_name((cap_value_t)i);
    char upper[64] = "";
    for (size_t j = 0; name && name[j] && j < sizeof(upper) - 1; j++)
      upper[j] = (char)(name[j] >= 'a' && name[j] <= 'z' ? name[j] - 32
                                                          : name[j]);
    cap_free(name);
    for (size_t s = 0; s < 5; s++)
      if (strv_has(sets[s], upper)) {
        have++;
        break;
      }
  }
  if (max > 0 && have >= max) {
    add(l, worse_without_userns(l, LINT_MEDIUM), "all-caps",
        "process.capabilities",
        "every capability: the container can do what root can; keep the "
        "default set (CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE...)");
    return;
  }
  static const char *const risky[] = {"CAP_SYS_ADMIN", "CAP_SYS_MODULE",
                                      "CAP_SYS_PTRACE", NULL};
  for (const char *const *cap = risky; *cap; cap++)
    for (size_t s = 0; s < 5; s++)
      if (strv_has(sets[s], *cap)) {
        add(l, worse_without_userns(l, LINT_MEDIUM), "risky-cap",
            "process.capabilities",
            "%s: %s; drop it unless the workload needs it", *cap,
            strcmp(*cap, "CAP_SYS_ADMIN") == 0
                ? "mounts, namespaces and much of the kernel's admin API"
            : strcmp(*cap, "CAP_SYS_MODULE") == 0
                ? "loads kernel modules (host root without a user namespace)"
                : "ptrace of any process it sees, fds and memory included");
        break;
      }
}

static bool host_ns(const struct spec_namespace *ns, const char *proc) {
  if (!ns->present)
    return true;
  if (ns->path == NULL)
    return false;
  char p1[64], pself[64];
  snprintf(p1, sizeof(p1), "/proc/1/ns/%s", proc);
  snprintf(pself, sizeof(pself), "/proc/self/ns/%s", proc);
  return strcmp(ns->path, p1) == 0 || strcmp(ns->path, pself) == 0;
}

static void rule_host_ns(struct lint *l) {
  static const struct {
    enum spec_ns ns;
    enum lint_severity sev;
    const char *what;
  } list[] = {
      {SPEC_NS_NETWORK, LINT_MEDIUM,
       "the host's network: its interfaces, ports and abstract unix sockets"},
      {SPEC_NS_PID, LINT_LOW, "the host's processes: it sees and signals them"},
      {SPEC_NS_IPC, LINT_LOW, "the host's SysV IPC and POSIX message queues"},
  };
  for (size_t i = 0; i < sizeof(list) / sizeof(*list); i++)
    if (host_ns(&l->c->linux_.namespaces[list[i].ns],
                spec_ns_procname(list[i].ns)))
      add(l, worse_without_userns(l, list[i].sev), "host-namespace",
          "linux.namespaces",
          "no own %s namespace: shares %s; add {\"type\": \"%s\"}",
          spec_ns_name(list[i].ns), list[i].what, spec_ns_name(list[i].ns));
}

static void rule_writable_sys(struct lint *l) {
  const struct spec_config *c = l->c;
  bool proc = false;
  for (size_t i = 0; i < c->mounts_len; i++) {
    const struct spec_mount *m = &c->mounts[i];
    if (m->type && strcmp(m->type, "proc") == 0)
      proc = true;
    if (strcmp(m->destination, "/sys") == 0 && !strv_has(m->options, "ro") &&
        !strv_has(m->options, "rro")) {
      _cleanup_free_ char *p = xasprintf("mounts[%zu].options", i);
      add(l, worse_without_userns(l, LINT_MEDIUM), "writable-sys", p,
          "/sys is mounted writable; add \"ro\"");
    }
  }
  if (proc && !strv_has(c->linux_.readonlyPaths, "/proc/sys") &&
      !strv_has(c->linux_.maskedPaths, "/proc/sys"))
    add(l, worse_without_userns(l, LINT_MEDIUM), "writable-sys",
        "linux.readonlyPaths",
        "/proc/sys is writable (kernel tunables); add it to readonlyPaths");
}

static void rule_masked(struct lint *l) {
  char missing[512] = "";
  for (const char *const *p = usual_masked; *p; p++) {
    size_t n = strlen(missing);
    if (!strv_has(l->c->linux_.maskedPaths, (char *)*p))
      snprintf(missing + n, sizeof(missing) - n, "%s%s", n ? ", " : "", *p);
  }
  if (missing[0])
    add(l, LINT_MEDIUM, "masked-paths", "linux.maskedPaths",
        "missing %s (kernel memory, keys and timers; sched_debug and "
        "kernel/slab list every container's cgroup)",
        missing);
}

static void rule_propagation(struct lint *l) {
  const char *p = l->c->linux_.rootfsPropagation;
  if (p && (strcmp(p, "shared") == 0 || strcmp(p, "rshared") == 0))
    add(l, LINT_MEDIUM, "shared-propagation", "linux.rootfsPropagation",
        "%s: mounts made in the container propagate to the host; use "
        "\"slave\" or \"private\"",
        p);
}

static void rule_devices(struct lint *l) {
  const struct spec_resources *r = l->c->linux_.resources;
  for (size_t i = 0; r && i < r->devices_len; i++) {
    const struct spec_res_device_rule *d = &r->devices[i];
    if (d->allow && d->type == 'a' && d->major == -1 && d->minor == -1 &&
        (d->access & SPEC_DEV_ACC_ALL) == SPEC_DEV_ACC_ALL) {
      _cleanup_free_ char *p = xasprintf("linux.resources.devices[%zu]", i);
      add(l, worse_without_userns(l, LINT_MEDIUM), "all-devices", p,
          "a *:* rwm: every device node, host disks included, can be made "
          "and opened; allow only the devices it needs");
    }
  }
}

static bool annot_true(const struct spec_config *c, const char *k) {
  const char *v = kvlist_get(&c->annotations, k);
  return v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

static void rule_net_filtering(struct lint *l) {
  const char *mode = kvlist_get(&l->c->annotations, "ward.net.mode");
  if (mode == NULL || strcmp(mode, "bridged") != 0)
    return;
  bool v4 = annot_true(l->c, "ward.net.ipv4_filtering");
  bool v6 = annot_true(l->c, "ward.net.ipv6_filtering");
  bool mac = annot_true(l->c, "ward.net.mac_filtering") || v4 || v6;
  if (!mac || !v4 || !v6)
    add(l, LINT_MEDIUM, "net-filtering", "annotations",
        "bridged NIC without %s%s%s filtering: the container can spoof other "
        "hosts on the bridge; set %s%s%s=true",
        mac ? "" : "MAC, ", v4 ? "" : "IPv4 ", v6 ? "" : "IPv6 ",
        !v4 ? "ward.net.ipv4_filtering" : "",
        !v4 && !v6 ? " and ward.net.ipv6_filtering" : "",
        v4 && !v6 ? "ward.net.ipv6_filtering" : "");
}

/* Issue 10: an idmapped writable rootfs shared by two isolated containers
 * is one filesystem for both: the ranges differ, the files do not. */
static void rule_shared_rootfs(struct lint *l, const char *bundle) {
  const struct spec_config *c = l->c;
  if (!l->isolated || c->root_readonly || c->root_path == NULL)
    return;
  _cleanup_free_ char *given =
      c->root_path[0] == '/' ? xstrdup(c->root_path)
                             : xasprintf("%s/%s", bundle, c->root_path);
  _cleanup_free_ char *mine = realpath(given, NULL);
  if (mine == NULL)
    return;
  struct check_allocs reg = {0};
  _cleanup_werr_ werr_t e = NULL;
  if (check_isolated_allocs(&reg, &e) < 0) {
    check_allocs_free(&reg);
    return;
  }
  for (size_t i = 0; i < reg.len; i++) {
    const struct check_alloc *x = &reg.items[i];
    if (x->id == NULL || x->root == NULL)
      continue;
    struct container_state *st = NULL;
    _cleanup_werr_ werr_t e2 = NULL;
    if (state_load(x->root, x->id, &st, &e2) < 0)
      continue;
    _cleanup_free_ char *theirs = st->rootfs ? realpath(st->rootfs, NULL) : NULL;
    bool writable = true;
    struct spec_config *other = NULL;
    _cleanup_werr_ werr_t e3 = NULL;
    if (st->config && spec_config_load(st->config, &other, &e3) == 0) {
      writable = !other->root_readonly;
      spec_config_free(other);
    }
    if (theirs && writable && strcmp(theirs, mine) == 0)
      add(l, LINT_MEDIUM, "shared-rootfs", "root.path",
          "%s is also the writable rootfs of isolated container %s (in %s): "
          "their id ranges differ but their files do not, so isolation "
          "ends at the filesystem; give each its own copy or make it "
          "readonly",
          mine, x->id, x->root);
    container_state_free(st);
  }
  check_allocs_free(&reg);
}

/* "config.json: linux.x[1].y: problem" -> path "linux.x[1].y". */
static void parser_finding(struct lint *l, const char *text) {
  const char *p = strstr(text, "config.json: ");
  p = p ? p + strlen("config.json: ") : text;
  const char *colon = strstr(p, ": ");
  _cleanup_free_ char *path =
      colon && !memchr(p, ' ', (size_t)(colon - p)) ? strndup(p, (size_t)(colon - p))
                                                    : xstrdup("");
  add(l, LINT_HIGH, "config-error", path, "%s", text);
}

int check_bundle(const char *bundle, struct lint_report *out, werr_t *err) {
  *out = (struct lint_report){0};
  _cleanup_free_ char *file = xasprintf("%s/config.json", bundle);
  if (access(file, R_OK) < 0)
    return werr_sys(err, "%s", file);
  struct lint l = {.out = out};
  struct spec_config *c = NULL;
  _cleanup_werr_ werr_t perr = NULL;
  if (spec_config_load(file, &c, &perr) < 0) {
    _cleanup_free_ char *t = werr_text(perr);
    parser_finding(&l, t);
    return 0;
  }
  l.c = c;
  struct idmap_request rq = {0};
  if (idmap_request_parse(&c->annotations, &rq, &perr) < 0) {
    _cleanup_free_ char *t = werr_text(perr);
    add(&l, LINT_HIGH, "config-error", "annotations", "%s", t);
  } else {
    l.isolated = rq.isolated;
    l.userns = c->linux_.namespaces[SPEC_NS_USER].present ||
               idmap_request_wants_userns(&rq);
  }
  idmap_request_free(&rq);
  _cleanup_free_ char *abs = realpath(bundle, NULL);
  rule_privileged(&l);
  rule_userns_shared(&l);
  rule_seccomp(&l);
  rule_caps(&l);
  rule_host_ns(&l);
  rule_writable_sys(&l);
  rule_masked(&l);
  rule_propagation(&l);
  rule_devices(&l);
  rule_net_filtering(&l);
  rule_shared_rootfs(&l, abs ? abs : bundle);
  spec_config_free(c);
  return 0;
}

void lint_report_free(struct lint_report *r) {
  for (size_t i = 0; i < r->len; i++) {
    free(r->items[i].path);
    free(r->items[i].advice);
  }
  free(r->items);
  *r = (struct lint_report){0};
}

const char *lint_severity_name(enum lint_severity s) {
  return s == LINT_HIGH ? "high" : s == LINT_MEDIUM ? "medium" : "low";
}

bool lint_report_has_high(const struct lint_report *r) {
  for (size_t i = 0; i < r->len; i++)
    if (r->items[i].severity == LINT_HIGH)
      return true;
  return false;
}

void lint_report_print(const struct lint_report *r, bool json) {
  size_t count[3] = {0};
  for (size_t i = 0; i < r->len; i++)
    count[r->items[i].severity]++;
  if (!json) {
    if (r->len == 0)
      printf("no findings\n");
    for (size_t i = 0; i < r->len; i++)
      printf("%-6s %-18s %s: %s\n", lint_severity_name(r->items[i].severity),
             r->items[i].rule, r->items[i].path[0] ? r->items[i].path : "-",
             r->items[i].advice);
    return;
  }
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    abort();
  yajl_gen_config(g, yajl_gen_beautify, 1);
  yajl_gen_map_open(g);
  json_gen_str(g, "findings");
  yajl_gen_array_open(g);
  for (size_t i = 0; i < r->len; i++) {
    yajl_gen_map_open(g);
    json_gen_kv(g, "severity", lint_severity_name(r->items[i].severity));
    json_gen_kv(g, "rule", r->items[i].rule);
    json_gen_kv(g, "path", r->items[i].path);
    json_gen_kv(g, "advice", r->items[i].advice);
    yajl_gen_map_close(g);
  }
  yajl_gen_array_close(g);
  json_gen_str(g, "summary");
  yajl_gen_map_open(g);
  for (int s = LINT_HIGH; s >= LINT_LOW; s--) {
    json_gen_str(g, lint_severity_name(s));
    yajl_gen_integer(g, (long long)count[s]);
  }
  yajl_gen_map_close(g);
  yajl_gen_map_close(g);
  _cleanup_free_ char *doc = json_gen_finish(g);
  fputs(doc, stdout);
  if (doc[0] == '\0' || doc[strlen(doc) - 1] != '\n')
    putchar('\n');
}
