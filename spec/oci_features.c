/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What ward implements, for callers (containerd, CRI-O) that probe before
 * they build a config.  Keep these lists in step with the parsers. */
#include "oci_features.h"

#include "config.h"
#include "json.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#ifndef WARD_VERSION
#define WARD_VERSION "unknown"
#endif

const char *const spec_capability_names[] = {
    "CAP_CHOWN",           "CAP_DAC_OVERRIDE",    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",          "CAP_FSETID",          "CAP_KILL",
    "CAP_SETGID",          "CAP_SETUID",          "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",       "CAP_NET_RAW",         "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",       "CAP_SYS_MODULE",      "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",      "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",       "CAP_SYS_BOOT",        "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",    "CAP_SYS_TIME",        "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",           "CAP_LEASE",           "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",         "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",       "CAP_SYSLOG",          "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",   "CAP_AUDIT_READ",      "CAP_PERFMON",
    "CAP_BPF",             "CAP_CHECKPOINT_RESTORE", NULL};

static const char *const hooks[] = {"prestart",        "createRuntime",
                                    "createContainer", "startContainer",
                                    "poststart",       "poststop",
                                    NULL};
static const char *const mount_options[] = {
    "async",       "atime",      "bind",        "defaults",     "dev",
    "diratime",    "dirsync",    "exec",        "idmap",        "iversion",
    "lazytime",    "loud",       "mand",        "noatime",      "nodev",
    "nodiratime",  "noexec",     "noiversion",  "nolazytime",   "nomand",
    "norelatime",  "nostrictatime", "nosuid",   "nosymfollow",  "private",
    "ratime",      "rbind",      "rdev",        "rdiratime",    "relatime",
    "remount",     "rexec",      "ridmap",      "rnoatime",     "rnodev",
    "rnodiratime", "rnoexec",    "rnorelatime", "rnostrictatime", "rnosuid",
    "rnosymfollow", "ro",        "rprivate",    "rrelatime",    "rro",
    "rrw",         "rshared",    "rslave",      "rstrictatime", "rsuid",
    "rsymfollow",  "runbindable", "rw",         "shared",       "silent",
    "slave",       "strictatime", "suid",       "symfollow",    "sync",
    "tmpcopyup",   "unbindable", NULL};
static const char *const seccomp_actions[] = {
    "SCMP_ACT_ALLOW",        "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
    "SCMP_ACT_NOTIFY",       "SCMP_ACT_TRACE", "SCMP_ACT_TRAP",
    NULL};
static const char *const seccomp_operators[] = {
    "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",        "SCMP_CMP_LE",
    "SCMP_CMP_LT", "SCMP_CMP_NE", "SCMP_CMP_MASKED_EQ", NULL};
static const char *const seccomp_archs[] = {
    "SCMP_ARCH_AARCH64",     "SCMP_ARCH_ARM",       "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_MIPS",        "SCMP_ARCH_MIPS64",    "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",      "SCMP_ARCH_MIPSEL64",  "SCMP_ARCH_MIPSEL64N32",
    "SCMP_ARCH_PPC",         "SCMP_ARCH_PPC64",     "SCMP_ARCH_PPC64LE",
    "SCMP_ARCH_RISCV64",     "SCMP_ARCH_S390",      "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",      "SCMP_ARCH_PARISC64",
    "SCMP_ARCH_X32",         "SCMP_ARCH_X86",       "SCMP_ARCH_X86_64",
    NULL};
static const char *const seccomp_flags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL};

static void flag(yajl_gen g, const char *k, bool v) {
  json_gen_str(g, k);
  yajl_gen_bool(g, v);
}

/* "KEY": {"enabled": true} */
static void enabled(yajl_gen g, const char *k) {
  json_gen_str(g, k);
  yajl_gen_map_open(g);
  flag(g, "enabled", true);
  yajl_gen_map_close(g);
}

static void gen_linux(yajl_gen g) {
  json_gen_str(g, "linux");
  yajl_gen_map_open(g);
  json_gen_str(g, "namespaces");
  yajl_gen_array_open(g);
  for (int i = 0; i < SPEC_NS_COUNT; i++)
    json_gen_str(g, spec_ns_name((enum spec_ns)i));
  yajl_gen_array_close(g);
  json_gen_strv(g, "capabilities", spec_capability_names);

  json_gen_str(g, "cgroup");
  yajl_gen_map_open(g);
  flag(g, "v1", true);
  flag(g, "v2", true);
  flag(g, "systemd", false);
  flag(g, "systemdUser", false);
  flag(g, "rdma", false);
  yajl_gen_map_close(g);

  json_gen_str(g, "seccomp");
  yajl_gen_map_open(g);
  flag(g, "enabled", true);
  json_gen_strv(g, "actions", seccomp_actions);
  json_gen_strv(g, "operators", seccomp_operators);
  json_gen_strv(g, "archs", seccomp_archs);
  json_gen_strv(g, "knownFlags", seccomp_flags);
  json_gen_strv(g, "supportedFlags", seccomp_flags);
  yajl_gen_map_close(g);

  enabled(g, "apparmor");
  enabled(g, "selinux");
  enabled(g, "intelRdt");

  json_gen_str(g, "mountExtensions");
  yajl_gen_map_open(g);
  enabled(g, "idmap");
  yajl_gen_map_close(g);
  yajl_gen_map_close(g);
}

char *spec_features_json(bool checkpoint) {
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    abort();
  yajl_gen_config(g, yajl_gen_beautify, 1);
  yajl_gen_config(g, yajl_gen_indent_string, "    ");
  yajl_gen_map_open(g);
  json_gen_str(g, "ociVersionMin");
  json_gen_str(g, "1.0.0");
  json_gen_str(g, "ociVersionMax");
  json_gen_str(g, "1.2.0");
  json_gen_strv(g, "hooks", hooks);
  json_gen_strv(g, "mountOptions", mount_options);
  gen_linux(g);
  json_gen_str(g, "annotations");
  yajl_gen_map_open(g);
  json_gen_str(g, "io.github.ward.version");
  json_gen_str(g, WARD_VERSION);
  /* runc's key, which clients read to offer checkpoint/restore. */
  json_gen_str(g, "org.opencontainers.runc.checkpoint.enabled");
  json_gen_str(g, checkpoint ? "true" : "false");
  yajl_gen_map_close(g);
  yajl_gen_map_close(g);

  return json_gen_finish(g);
}
