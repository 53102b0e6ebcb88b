/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.resources (LinuxResources), also the input of `ward update`.
 * Parsing is pure and validates everything that does not depend on the
 * host, so a bad `ward update` is refused before any file is written.
 * Every numeric field comes with a has_ flag: absent means "leave as is",
 * which is what `update` needs. */
#ifndef WARD_LINUX_RESOURCES_H
#define WARD_LINUX_RESOURCES_H

#include "config.h"

struct spec_res_memory {
  bool present;
  bool has_limit, has_reservation, has_swap, has_kernel, has_kernelTCP,
      has_swappiness, has_disableOOMKiller, has_useHierarchy,
      has_checkBeforeUpdate;
  int64_t limit, reservation, swap, kernel, kernelTCP; /* -1: unlimited */
  uint64_t swappiness;
  bool disableOOMKiller, useHierarchy, checkBeforeUpdate;
};

struct spec_res_cpu {
  bool present;
  bool has_shares, has_quota, has_burst, has_period, has_realtimeRuntime,
      has_realtimePeriod, has_idle;
  uint64_t shares, burst, period, realtimePeriod;
  int64_t quota, realtimeRuntime, idle; /* quota -1: unlimited */
  char *cpus, *mems;                    /* NULL when absent */
};

struct spec_res_pids {
  bool present;
  int64_t limit; /* <= 0: unlimited ("max") */
};

struct spec_res_weight_device {
  int64_t major, minor;
  bool has_weight, has_leafWeight;
  uint16_t weight, leafWeight;
};
struct spec_res_throttle_device {
  int64_t major, minor;
  uint64_t rate; /* 0 removes the limit */
};
struct spec_res_throttle_list {
  struct spec_res_throttle_device *items;
  size_t len;
};

struct spec_res_blockio {
  bool present;
  bool has_weight, has_leafWeight;
  uint16_t weight, leafWeight;
  struct spec_res_weight_device *weightDevice;
  size_t weightDevice_len;
  struct spec_res_throttle_list throttleReadBpsDevice, throttleWriteBpsDevice,
      throttleReadIOPSDevice, throttleWriteIOPSDevice;
};

struct spec_res_hugepage {
  char *pageSize; /* "2MB", as the kernel names it in hugetlb.<size>.* */
  uint64_t limit;
};

struct spec_res_net_priority {
  char *name;
  uint32_t priority;
};
struct spec_res_network {
  bool present;
  bool has_classID;
  uint32_t classID;
  struct spec_res_net_priority *priorities;
  size_t priorities_len;
};

struct spec_res_rdma {
  char *device; /* the key in linux.resources.rdma */
  bool has_hcaHandles, has_hcaObjects;
  uint32_t hcaHandles, hcaObjects;
};

/* One device cgroup rule.  major/minor -1 mean "*". */
struct spec_res_device_rule {
  bool allow;
  char type; /* 'a', 'c' or 'b' */
  int64_t major, minor;
  unsigned access; /* SPEC_DEV_ACC_* bits */
};
#define SPEC_DEV_ACC_MKNOD 1u
#define SPEC_DEV_ACC_READ 2u
#define SPEC_DEV_ACC_WRITE 4u
#define SPEC_DEV_ACC_ALL 7u

struct spec_resources {
  struct spec_res_memory memory;
  struct spec_res_cpu cpu;
  struct spec_res_pids pids;
  struct spec_res_blockio blockIO;
  struct spec_res_hugepage *hugepageLimits;
  size_t hugepageLimits_len;
  struct spec_res_network network;
  struct spec_res_rdma *rdma;
  size_t rdma_len;
  struct kvlist unified;
  bool has_devices; /* "devices" was given (even empty) */
  struct spec_res_device_rule *devices;
  size_t devices_len;
  /* Allow rules for the devices listed in linux.devices, appended after
   * `devices` (see spec_resources_allow_devices). */
  struct spec_res_device_rule *config_devices;
  size_t config_devices_len;
};

/* v is the LinuxResources object; path names it in errors
 * ("linux.resources" from config.json, "resources" from `ward update`). */
int spec_parse_resources(yajl_val v, const char *path,
                         struct spec_resources **out, werr_t *err);
void spec_resources_free(struct spec_resources *r);

/* Record an allow rule ("rwm") for each of linux.devices, so that devices
 * the config creates stay usable under a deny-all device list, as runc
 * does.  Call after parsing; R may be NULL (nothing to do). */
void spec_resources_allow_devices(struct spec_resources *r,
                                  const struct spec_device *devices, size_t n);

/* "0-3,5": a cpuset list as the kernel accepts it.  0 when valid. */
int spec_check_cpuset_list(const char *s);
/* "2MB" -> 2097152, 0 when malformed. */
uint64_t spec_hugepage_size_bytes(const char *s);
/* "rwm" -> bits, -1 when malformed. */
int spec_device_access_bits(const char *s);

#endif
