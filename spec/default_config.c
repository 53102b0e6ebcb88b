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

static void mount(yajl_gen g, const char *dest, const char *type,
                  const char *src, const char *const *opts) {
  yajl_gen_map_open(g);
  json_gen_kv(g, "destination", dest);
  json_gen_kv(g, "type", type);
  json_gen_kv(g, "source", src);
  if (opts)
    json_gen_strv(g, "options", opts);
  yajl_gen_map_close(g);
}

static void gen_process(yajl_gen g) {
  static const char *const args[] = {"sh", NULL};
  static const char *const env[] = {
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "TERM=xterm", NULL};
  json_gen_str(g, "process");
  yajl_gen_map_open(g);
  json_gen_str(g, "terminal");
  yajl_gen_bool(g, 1);
  json_gen_str(g, "user");
  yajl_gen_map_open(g);
  json_gen_str(g, "uid");
  yajl_gen_integer(g, 0);
  json_gen_str(g, "gid");
  yajl_gen_integer(g, 0);
  yajl_gen_map_close(g);
  json_gen_strv(g, "args", args);
  json_gen_strv(g, "env", env);
  json_gen_kv(g, "cwd", "/");
  json_gen_str(g, "capabilities");
  yajl_gen_map_open(g);
  json_gen_strv(g, "bounding", default_caps);
  json_gen_strv(g, "effective", default_caps);
  json_gen_strv(g, "permitted", default_caps);
  yajl_gen_map_close(g);
  json_gen_str(g, "rlimits");
  yajl_gen_array_open(g);
  yajl_gen_map_open(g);
  json_gen_kv(g, "type", "RLIMIT_NOFILE");
  json_gen_str(g, "hard");
  yajl_gen_integer(g, 1024);
  json_gen_str(g, "soft");
  yajl_gen_integer(g, 1024);
  yajl_gen_map_close(g);
  yajl_gen_array_close(g);
  json_gen_str(g, "noNewPrivileges");
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
  json_gen_str(g, "mounts");
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
  json_gen_str(g, key);
  yajl_gen_array_open(g);
  yajl_gen_map_open(g);
  json_gen_str(g, "containerID");
  yajl_gen_integer(g, 0);
  json_gen_str(g, "hostID");
  yajl_gen_integer(g, (long long)host);
  json_gen_str(g, "size");
  yajl_gen_integer(g, 1);
  yajl_gen_map_close(g);
  yajl_gen_array_close(g);
}

static void gen_linux(yajl_gen g, bool rootless, uid_t uid, gid_t gid) {
  json_gen_str(g, "linux");
  yajl_gen_map_open(g);
  if (rootless) {
    idmap(g, "uidMappings", uid);
    idmap(g, "gidMappings", gid);
  } else {
    /* Deny every device; the runtime then allows its default set. */
    json_gen_str(g, "resources");
    yajl_gen_map_open(g);
    json_gen_str(g, "devices");
    yajl_gen_array_open(g);
    yajl_gen_map_open(g);
    json_gen_str(g, "allow");
    yajl_gen_bool(g, 0);
    json_gen_kv(g, "access", "rwm");
    yajl_gen_map_close(g);
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
  }
  json_gen_str(g, "namespaces");
  yajl_gen_array_open(g);
  static const char *const ns[] = {"pid", "network", "ipc", "uts", "mount",
                                   "user", NULL};
  for (const char *const *n = ns; *n; n++) {
    if (rootless && strcmp(*n, "network") == 0)
      continue;
    yajl_gen_map_open(g);
    json_gen_kv(g, "type", *n);
    yajl_gen_map_close(g);
  }
  yajl_gen_array_close(g);
  json_gen_strv(g, "maskedPaths", masked_paths);
  json_gen_strv(g, "readonlyPaths", readonly_paths);
  yajl_gen_map_close(g);
}

char *spec_default_config_json(bool rootless, uid_t uid, gid_t gid) {
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    abort();
  yajl_gen_config(g, yajl_gen_beautify, 1);
  yajl_gen_config(g, yajl_gen_indent_string, "\t");
  yajl_gen_map_open(g);
  json_gen_kv(g, "ociVersion", "1.2.0");
  gen_process(g);
  json_gen_str(g, "root");
  yajl_gen_map_open(g);
  json_gen_kv(g, "path", "rootfs");
  json_gen_str(g, "readonly");
  yajl_gen_bool(g, 1);
  yajl_gen_map_close(g);
  json_gen_kv(g, "hostname", "ward");
  /* Root's container gets a host id range no other container shares, so
   * `ward check --bundle` finds nothing above low in this config. */
  if (!rootless) {
    json_gen_str(g, "annotations");
    yajl_gen_map_open(g);
    json_gen_kv(g, "ward.idmap.isolated", "true");
    yajl_gen_map_close(g);
  }
  gen_mounts(g, rootless);
  gen_linux(g, rootless, uid, gid);
  yajl_gen_map_close(g);

  return json_gen_finish(g);
}
