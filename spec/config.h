/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The typed model of an OCI runtime-spec v1.2 config.json (Linux parts).
 * spec_config_load() parses and validates; nothing here touches the kernel.
 * Field names follow the JSON names so `grep -rn uidMappings` finds the
 * parser and the one place that applies the field. */
#ifndef WARD_CONFIG_H
#define WARD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ward_error.h"
#include "json.h"

struct spec_resources; /* spec/resources.h: linux.resources */
struct spec_seccomp;   /* spec/seccomp.h: linux.seccomp */

struct spec_idmap {
  uint32_t containerID, hostID, size;
};
struct spec_idmaps {
  struct spec_idmap *items;
  size_t len;
};
/* The kernel accepts at most this many lines in uid_map/gid_map. */
#define SPEC_IDMAP_MAX_LINES 340

struct spec_mount {
  char *destination;
  char *source;
  char *type;
  char **options; /* NULL-terminated, may be NULL */
  struct spec_idmaps uidMappings, gidMappings;
};

struct spec_rlimit {
  char *type; /* "RLIMIT_NOFILE" */
  int resource; /* RLIMIT_NOFILE, resolved by the parser */
  uint64_t soft, hard;
};

struct spec_capabilities {
  char **bounding, **effective, **inheritable, **permitted, **ambient;
  bool has_bounding, has_effective, has_inheritable, has_permitted,
      has_ambient;
};

struct spec_scheduler {
  bool present;
  char *policy; /* SCHED_OTHER ... */
  int32_t nice, priority;
  char **flags;
  uint64_t runtime, deadline, period;
};

struct spec_io_priority {
  bool present;
  char *class; /* IOPRIO_CLASS_RT|BE|IDLE */
  int priority;
};

struct spec_user {
  uint32_t uid, gid;
  bool has_umask;
  uint32_t umask;
  uint32_t *additionalGids;
  size_t additionalGids_len;
};

struct spec_process {
  bool terminal;
  bool has_consoleSize;
  uint32_t consoleSize_height, consoleSize_width;
  struct spec_user user;
  char **args;
  char **env;
  char *cwd;
  struct spec_capabilities capabilities;
  bool has_capabilities;
  struct spec_rlimit *rlimits;
  size_t rlimits_len;
  bool noNewPrivileges;
  char *apparmorProfile;
  bool has_oomScoreAdj;
  int oomScoreAdj;
  char *selinuxLabel;
  struct spec_scheduler scheduler;
  struct spec_io_priority ioPriority;
  char *execCPUAffinity_initial, *execCPUAffinity_final;
};

struct spec_hook {
  char *path;
  char **args;
  char **env;
  bool has_timeout;
  int timeout;
};
struct spec_hooklist {
  struct spec_hook *items;
  size_t len;
};
struct spec_hooks {
  struct spec_hooklist prestart, createRuntime, createContainer,
      startContainer, poststart, poststop;
};

/* Namespace kinds in the order ward enters/creates them. */
enum spec_ns {
  SPEC_NS_USER,
  SPEC_NS_PID,
  SPEC_NS_NETWORK,
  SPEC_NS_IPC,
  SPEC_NS_UTS,
  SPEC_NS_MOUNT,
  SPEC_NS_CGROUP,
  SPEC_NS_TIME,
  SPEC_NS_COUNT
};
struct spec_namespace {
  bool present;
  char *path; /* NULL: create a new one */
};
struct spec_ns_kind {
  const char *name;     /* "network" (config.json, features) */
  const char *procname; /* "net" (/proc/PID/ns/) */
  int flag;             /* CLONE_NEWNET */
  bool by_clone;        /* created by the init's clone3 flags */
  int join_order;       /* rank among the init's setns calls; -1: ward
                         * joins it before the clone */
};
const struct spec_ns_kind *spec_ns_kind(enum spec_ns ns);
const char *spec_ns_name(enum spec_ns ns);     /* "network" */
const char *spec_ns_procname(enum spec_ns ns); /* "net" (/proc/PID/ns/) */
int spec_ns_cloneflag(enum spec_ns ns);
/* The namespace a sysctl key ("net.ipv4.ip_forward" or "net/ipv4/...")
 * belongs to, or -1 when it is host-global. */
int spec_sysctl_namespace(const char *key);

struct spec_device {
  char *type; /* c, b, u, p */
  char *path;
  int64_t major, minor;
  bool has_fileMode, has_uid, has_gid;
  uint32_t fileMode, uid, gid;
};

struct spec_time_offset {
  bool present;
  int64_t secs;
  uint32_t nanosecs;
};

struct spec_personality {
  bool present;
  char *domain; /* LINUX, LINUX32 */
  char **flags;
};

struct spec_intel_rdt {
  bool present;
  char *closID, *l3CacheSchema, *memBwSchema, *schemata;
  bool enableCMT, enableMBM;
};

struct spec_net_device {
  char *host_name; /* the key in linux.netDevices */
  char *name;      /* name inside the container (defaults to key) */
};

struct spec_linux {
  struct spec_namespace namespaces[SPEC_NS_COUNT];
  struct spec_idmaps uidMappings, gidMappings;
  struct spec_time_offset timeOffsets_monotonic, timeOffsets_boottime;
  struct spec_device *devices;
  size_t devices_len;
  char *cgroupsPath;
  char *rootfsPropagation;
  struct spec_resources *resources; /* NULL when absent */
  char **maskedPaths, **readonlyPaths;
  char *mountLabel;
  struct kvlist sysctl;
  struct spec_seccomp *seccomp; /* NULL when absent */
  struct spec_personality personality;
  struct spec_intel_rdt intelRdt;
  struct spec_net_device *netDevices;
  size_t netDevices_len;
};

struct spec_config {
  char *ociVersion;
  char *root_path; /* as written in config.json */
  bool root_readonly;
  struct spec_mount *mounts;
  size_t mounts_len;
  struct spec_process process;
  bool has_process;
  char *hostname, *domainname;
  struct spec_hooks hooks;
  struct kvlist annotations;
  struct spec_linux linux_;
  bool has_linux;
};

/* Parse and validate BUNDLE/config.json (or FILE when bundle is NULL).
 * Errors read "config.json: <json path>: <problem>". */
int spec_config_load(const char *file, struct spec_config **out, werr_t *err);
int spec_config_parse(const char *buf, struct spec_config **out, werr_t *err);
void spec_config_free(struct spec_config *c);

/* Pieces other parsers reuse. */
int spec_parse_idmaps(yajl_val obj, const char *parent, const char *key,
                      struct spec_idmaps *out, werr_t *err);
void spec_idmaps_free(struct spec_idmaps *m);
int spec_parse_process(yajl_val v, const char *path, struct spec_process *p,
                       werr_t *err);
void spec_process_free(struct spec_process *p);

#endif
