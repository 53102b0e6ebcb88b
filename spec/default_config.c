/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "json.h"
#include "default_config.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

static const char *const default_caps[] = {
    "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL};
static const char *const masked_paths[] = {
    "/proc/acpi",          "/proc/asound",     "/proc/kcore",
    "/proc/keys",          "/proc/latency_stats", "/proc/timer_list",
    "/proc/timer_stats",   "/proc/sched_debug", "/sys/firmware",
    "/proc/scsi",          "/sys/kernel/slab",  NULL};
static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
    NULL};

static void str(yajl_gen g, const char *s) {
  yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void key_str(yajl_gen g, const char *k, const char *v) {
  str(g, k);
  str(g, v);
}

static void strv(yajl_gen g, const char *k, const char *const *v) {
  str(g, k);
  yajl_gen_array_open(g);
  for (; *v; v++)
    str(g, *v);
  yajl_gen_array_close(g);
}

static void mount(yajl_gen g, const char *dest, const char *type,
                  const char *src, const char *const *opts) {
  yajl_gen_map_open(g);
  key_str(g, "destination", dest);
  key_str(g, "type", type);
  key_str(g, "source", src);
  if (opts)
    strv(g, "options", opts);
  yajl_gen_map_close(g);
}

static void gen_process(yajl_gen g) {
  static const char *const args[] = {"sh", NULL};
  static const char *const env[] = {
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "TERM=xterm", NULL};
  str(g, "process");
  yajl_gen_map_open(g);
  str(g, "terminal");
  yajl_gen_bool(g, 1);
  str(g, "user");
  yajl_gen_map_open(g);
  str(g, "uid");
  yajl_gen_integer(g, 0);
  str(g, "gid");
  yajl_gen_integer(g, 0);
  yajl_gen_map_close(g);
  strv(g, "args", args);
  strv(g, "env", env);
  key_str(g, "cwd", "/");
  str(g, "capabilities");
  yajl_gen_map_open(g);
  strv(g, "bounding", default_caps);
  strv(g, "effective", default_caps);
  strv(g, "permitted", default_caps);
  yajl_gen_map_close(g);
  str(g, "rlimits");
  yajl_gen_array_open(g);
  yajl_gen_map_open(g);
  key_str(g, "type", "RLIMIT_NOFILE");
  str(g, "hard");
  yajl_gen_integer(g, 1024);
  str(g, "soft");
  yajl_gen_integer(g, 1024);
  yajl_gen_map_close(g);
  yajl_gen_array_close(g);
  str(g, "noNewPrivileges");
  yajl_gen_bool(g, 1);
  yajl_gen_map_close(g);
}

static void gen_mounts(yajl_gen g, bool rootless) {
  static const char *const dev[] = {"nosuid", "strictatime", "mode=755",
                                    "size=65536k", NULL};
  static const char *const pts[] = {"nosuid",        "noexec",    "newinstance",
                                    "ptmxmode=0666", "mode=0620", "gid=5",
                                    NULL};
  static const char *const shm[] = {"nosuid", "noexec", "nodev", "mode=1777",
                                    "size=65536k", NULL};
  static const char *const mq[] = {"nosuid", "noexec", "nodev", NULL};
  static const char *const sys[] = {"nosuid", "noexec", "nodev", "ro", NULL};
  static const char *const sys_rootless[] = {"rbind", "nosuid", "noexec",
                                             "nodev", "ro", NULL};
  static const char *const cg[] = {"nosuid", "noexec", "nodev", "relatime",
                                   "ro", NULL};
  str(g, "mounts");
  yajl_gen_array_open(g);
  mount(g, "/proc", "proc", "proc", NULL);
  mount(g, "/dev", "tmpfs", "tmpfs", dev);
  /* Without gid=5: an unprivileged user has no mapping for the tty group. */
  if (rootless) {
    static const char *const pts_rootless[] = {
        "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL};
    mount(g, "/dev/pts", "devpts", "devpts", pts_rootless);
  } else {
    mount(g, "/dev/pts", "devpts", "devpts", pts);
  }
  mount(g, "/dev/shm", "tmpfs", "shm", shm);
  mount(g, "/dev/mqueue", "mqueue", "mqueue", mq);
  if (rootless)
    mount(g, "/sys", "none", "/sys", sys_rootless);
  else
    mount(g, "/sys", "sysfs", "sysfs", sys);
  mount(g, "/sys/fs/cgroup", "cgroup", "cgroup", cg);
  yajl_gen_array_close(g);
}

static void idmap(yajl_gen g, const char *key, unsigned long host) {
  str(g, key);
  yajl_gen_array_open(g);
  yajl_gen_map_open(g);
  str(g, "containerID");
  yajl_gen_integer(g, 0);
  str(g, "hostID");
  yajl_gen_integer(g, (long long)host);
  str(g, "size");
  yajl_gen_integer(g, 1);
  yajl_gen_map_close(g);
  yajl_gen_array_close(g);
}

static void gen_linux(yajl_gen g, bool rootless, uid_t uid, gid_t gid) {
  str(g, "linux");
  yajl_gen_map_open(g);
  if (rootless) {
    idmap(g, "uidMappings", uid);
    idmap(g, "gidMappings", gid);
  } else {
    /* Deny every device; the runtime then allows its default set. */
    str(g, "resources");
    yajl_gen_map_open(g);
    str(g, "devices");
    yajl_gen_array_open(g);
    yajl_gen_map_open(g);
    str(g, "allow");
    yajl_gen_bool(g, 0);
    key_str(g, "access", "rwm");
    yajl_gen_map_close(g);
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
  }
  str(g, "namespaces");
  yajl_gen_array_open(g);
  static const char *const ns[] = {"pid", "network", "ipc", "uts", "mount",
                                   "user", NULL};
  for (const char *const *n = ns; *n; n++) {
    if (rootless && strcmp(*n, "network") == 0)
      continue;
    yajl_gen_map_open(g);
    key_str(g, "type", *n);
    yajl_gen_map_close(g);
  }
  yajl_gen_array_close(g);
  strv(g, "maskedPaths", masked_paths);
  strv(g, "readonlyPaths", readonly_paths);
  yajl_gen_map_close(g);
}

char *spec_default_config_json(bool rootless, uid_t uid, gid_t gid) {
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    abort();
  yajl_gen_config(g, yajl_gen_beautify, 1);
  yajl_gen_config(g, yajl_gen_indent_string, "\t");
  yajl_gen_map_open(g);
  key_str(g, "ociVersion", "1.2.0");
  gen_process(g);
  str(g, "root");
  yajl_gen_map_open(g);
  key_str(g, "path", "rootfs");
  str(g, "readonly");
  yajl_gen_bool(g, 1);
  yajl_gen_map_close(g);
  key_str(g, "hostname", "ward");
  /* Root's container gets a host id range no other container shares, so
   * `ward check --bundle` finds nothing above low in this config. */
  if (!rootless) {
    str(g, "annotations");
    yajl_gen_map_open(g);
    key_str(g, "ward.idmap.isolated", "true");
    yajl_gen_map_close(g);
  }
  gen_mounts(g, rootless);
  gen_linux(g, rootless, uid, gid);
  yajl_gen_map_close(g);

  return json_gen_finish(g);
}
