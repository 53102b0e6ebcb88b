/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "process_sched.h"

#include <errno.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdio.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

/* glibc 2.36 has no sched_setattr wrapper; this is the kernel's
 * SCHED_ATTR_SIZE_VER1 layout. */
struct ward_sched_attr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
  uint32_t sched_util_min, sched_util_max;
};

static const struct {
  const char *name;
  unsigned policy;
} policies[] = {
    {"SCHED_OTHER", 0}, {"SCHED_FIFO", 1}, {"SCHED_RR", 2},
    {"SCHED_BATCH", 3}, {"SCHED_ISO", 4},  {"SCHED_IDLE", 5},
    {"SCHED_DEADLINE", 6},
};
#define POLICY_FIFO 1
#define POLICY_RR 2
#define POLICY_DEADLINE 6

static const struct {
  const char *name;
  uint64_t bit;
} sched_flags[] = {
    {"SCHED_FLAG_RESET_ON_FORK", 0x01}, {"SCHED_FLAG_RECLAIM", 0x02},
    {"SCHED_FLAG_DL_OVERRUN", 0x04},    {"SCHED_FLAG_KEEP_POLICY", 0x08},
    {"SCHED_FLAG_KEEP_PARAMS", 0x10},   {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
    {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40},
};

static const struct {
  const char *name;
  int class;
} io_classes[] = {
    {"IOPRIO_CLASS_RT", 1}, {"IOPRIO_CLASS_BE", 2}, {"IOPRIO_CLASS_IDLE", 3}};
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_LEVELS 8

#define N(a) (sizeof(a) / sizeof(*(a)))
/* Far beyond any machine; bounds the mask we allocate for a CPU list. */
#define MAX_CPUS 8192

static int resolve_scheduler(const struct spec_scheduler *s,
                             struct ward_sched_attr *attr, werr_t *err) {
  memset(attr, 0, sizeof(*attr));
  attr->size = sizeof(*attr);
  if (s->policy == NULL || s->policy[0] == '\0')
    return werr(err, "process.scheduler.policy: required");
  size_t i = 0;
  while (i < N(policies) && strcmp(policies[i].name, s->policy) != 0)
    i++;
  if (i == N(policies))
    return werr(err, "process.scheduler.policy: unknown policy \"%s\"",
                s->policy);
  attr->sched_policy = policies[i].policy;
  bool rt = attr->sched_policy == POLICY_FIFO ||
            attr->sched_policy == POLICY_RR;
  if (s->nice < -20 || s->nice > 19)
    return werr(err, "process.scheduler.nice: must be between -20 and 19");
  if (!rt && s->priority != 0)
    return werr(err, "process.scheduler.priority: only SCHED_FIFO and SCHED_RR "
                     "take a priority");
  if (rt && (s->priority < 1 || s->priority > 99))
    return werr(err,
                "process.scheduler.priority: must be between 1 and 99 for %s",
                s->policy);
  if (attr->sched_policy != POLICY_DEADLINE &&
      (s->runtime || s->deadline || s->period))
    return werr(err, "process.scheduler: runtime, deadline and period are only "
                     "for SCHED_DEADLINE");
  for (size_t f = 0; s->flags && s->flags[f]; f++) {
    size_t j = 0;
    while (j < N(sched_flags) && strcmp(sched_flags[j].name, s->flags[f]) != 0)
      j++;
    if (j == N(sched_flags))
      return werr(err, "process.scheduler.flags[%zu]: unknown flag \"%s\"", f,
                  s->flags[f]);
    attr->sched_flags |= sched_flags[j].bit;
  }
  attr->sched_nice = s->nice;
  attr->sched_priority = (uint32_t)s->priority;
  attr->sched_runtime = s->runtime;
  attr->sched_deadline = s->deadline;
  attr->sched_period = s->period;
  return 0;
}

static int resolve_ioprio(const struct spec_io_priority *io, int *value,
                          werr_t *err) {
  if (io->class == NULL)
    return werr(err, "process.ioPriority.class: required");
  size_t i = 0;
  while (i < N(io_classes) && strcmp(io_classes[i].name, io->class) != 0)
    i++;
  if (i == N(io_classes))
    return werr(err, "process.ioPriority.class: unknown class \"%s\"",
                io->class);
  if (io->priority < 0 || io->priority >= IOPRIO_LEVELS)
    return werr(err, "process.ioPriority.priority: must be between 0 and %d",
                IOPRIO_LEVELS - 1);
  *value = (io_classes[i].class << IOPRIO_CLASS_SHIFT) | io->priority;
  return 0;
}

/* "0-3,8,10-11" (the cpuset list format) into a CPU mask. */
static int parse_cpu_list(const char *list, const char *field, cpu_set_t **out,
                          size_t *size, werr_t *err) {
  int max = -1;
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1) {
      *out = CPU_ALLOC(max + 1);
      if (*out == NULL)
        abort();
      *size = CPU_ALLOC_SIZE(max + 1);
      CPU_ZERO_S(*size, *out);
    }
    const char *p = list;
    while (*p) {
      char *end = NULL;
      errno = 0;
      long lo = strtol(p, &end, 10), hi;
      if (end == p || lo < 0 || errno)
        goto bad;
      hi = lo;
      if (*end == '-') {
        p = end + 1;
        hi = strtol(p, &end, 10);
        if (end == p || hi < lo || errno)
          goto bad;
      }
      if (hi >= MAX_CPUS)
        return werr(err, "%s: CPU %ld is out of range", field, hi);
      if (pass == 0 && hi > max)
        max = (int)hi;
      for (long c = lo; pass == 1 && c <= hi; c++)
        CPU_SET_S((size_t)c, *size, *out);
      if (*end == ',' && end[1] != '\0')
        end++;
      else if (*end != '\0')
        goto bad;
      p = end;
    }
    if (max < 0)
      goto bad;
  }
  return 0;
bad:
  if (*out)
    CPU_FREE(take_ptr(*out));
  return werr(err, "%s: invalid CPU list \"%s\"", field, list);
}

static int set_affinity(const char *list, const char *field, werr_t *err) {
  cpu_set_t *set = NULL;
  size_t size = 0;
  if (parse_cpu_list(list, field, &set, &size, err) < 0)
    return -1;
  int rc = sched_setaffinity(0, size, set);
  CPU_FREE(set);
  if (rc < 0)
    return werr_sys(err, "%s: sched_setaffinity %s", field, list);
  return 0;
}

static bool set(const char *s) {
  return s != NULL && s[0] != '\0';
}

int sched_check(const struct spec_process *p, werr_t *err) {
  struct ward_sched_attr attr;
  int io = 0;
  if (p->scheduler.present && resolve_scheduler(&p->scheduler, &attr, err) < 0)
    return -1;
  if (p->ioPriority.present && resolve_ioprio(&p->ioPriority, &io, err) < 0)
    return -1;
  static const char *const fields[] = {"process.execCPUAffinity.initial",
                                       "process.execCPUAffinity.final"};
  const char *lists[] = {p->execCPUAffinity_initial, p->execCPUAffinity_final};
  for (int i = 0; i < 2; i++) {
    if (!set(lists[i]))
      continue;
    cpu_set_t *cpus = NULL;
    size_t size = 0;
    if (parse_cpu_list(lists[i], fields[i], &cpus, &size, err) < 0)
      return -1;
    CPU_FREE(cpus);
  }
  return 0;
}

int sched_apply_initial(const struct spec_process *p, werr_t *err) {
  if (!set(p->execCPUAffinity_initial))
    return 0;
  return set_affinity(p->execCPUAffinity_initial,
                      "process.execCPUAffinity.initial", err);
}

/* Every CPU the kernel knows; sched_setaffinity narrows it to the cpuset. */
static int reset_affinity(werr_t *err) {
  long n = sysconf(_SC_NPROCESSORS_CONF);
  if (n < 1)
    n = 1;
  if (n > MAX_CPUS)
    n = MAX_CPUS;
  cpu_set_t *set = CPU_ALLOC(n);
  if (set == NULL)
    abort();
  size_t size = CPU_ALLOC_SIZE(n);
  CPU_ZERO_S(size, set);
  for (long c = 0; c < n; c++)
    CPU_SET_S((size_t)c, size, set);
  int rc = sched_setaffinity(0, size, set);
  CPU_FREE(set);
  if (rc < 0)
    return werr_sys(err, "process.execCPUAffinity: reset to all CPUs");
  return 0;
}

static bool have_cap_sys_nice(void) {
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
  struct __user_cap_data_struct data[2];
  if (syscall(SYS_capget, &hdr, data) < 0)
    return false;
  return data[CAP_SYS_NICE / 32].effective & (1u << (CAP_SYS_NICE % 32));
}

/* Is this process in a cgroup v1 hierarchy that has the cpu controller? */
static bool in_cgroup_v1_cpu(void) {
  _cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
  char line[512];
  while (f && fgets(line, sizeof(line), f)) {
    char *ctrl = strchr(line, ':');
    if (ctrl == NULL || strncmp(line, "0:", 2) == 0)
      continue;
    char *end = strchr(++ctrl, ':');
    if (end == NULL)
      continue;
    *end = '\0';
    for (char *save = NULL, *c = strtok_r(ctrl, ",", &save); c;
         c = strtok_r(NULL, ",", &save))
      if (strcmp(c, "cpu") == 0)
        return true;
  }
  return false;
}

/* EPERM for a real-time policy while holding CAP_SYS_NICE: with cgroup v1
 * real-time group scheduling, a new cgroup has no real-time budget. */
static int sched_error(const struct spec_process *p, werr_t *err) {
  const char *pol = p->scheduler.policy;
  if (errno == EPERM &&
      (strcmp(pol, "SCHED_FIFO") == 0 || strcmp(pol, "SCHED_RR") == 0) &&
      have_cap_sys_nice() && in_cgroup_v1_cpu())
    return werr_sys(err,
                    "process.scheduler: sched_setattr %s (a cgroup v1 cpu "
                    "controller gives a new cgroup no real-time budget: set "
                    "linux.resources.cpu.realtimeRuntime)",
                    pol);
  return werr_sys(err, "process.scheduler: sched_setattr %s", pol);
}

int sched_apply_final(const struct spec_process *p, werr_t *err) {
  if (set(p->execCPUAffinity_final)) {
    if (set_affinity(p->execCPUAffinity_final, "process.execCPUAffinity.final",
                     err) < 0)
      return -1;
  } else if (set(p->execCPUAffinity_initial)) {
    if (reset_affinity(err) < 0)
      return -1;
  }
  if (p->ioPriority.present) {
    int value = 0;
    if (resolve_ioprio(&p->ioPriority, &value, err) < 0)
      return -1;
    if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, value) < 0)
      return werr_sys(err, "process.ioPriority: ioprio_set %s %d",
                      p->ioPriority.class, p->ioPriority.priority);
  }
  if (p->scheduler.present) {
    struct ward_sched_attr attr;
    if (resolve_scheduler(&p->scheduler, &attr, err) < 0)
      return -1;
    if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
      return sched_error(p, err);
  }
  return 0;
}
