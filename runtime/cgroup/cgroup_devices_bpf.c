/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The device list (the config's rules, runc's default allowed devices,
 * linux.devices), and the cgroup v2 device filter: v2 has no devices controller, so the device
 * list becomes a BPF_PROG_TYPE_CGROUP_DEVICE program.
 *
 * The rules keep v1's meaning exactly: evaluation is done per access bit
 * (mknod, read, write); for each bit the request asks for, the last rule
 * that covers that bit and matches the device decides; a rule of type 'a'
 * matches every device and every access (v1 resets its list on it); when
 * no rule matches, the bit is denied.  A request is allowed when every bit
 * it asks for is.  So "deny all, then allow c 1:3 rw, then deny c 1:3 w"
 * behaves as on v1, which a first-match filter would not do.
 *
 * The program is attached with BPF_F_ALLOW_MULTI (a parent's filter keeps
 * applying) and an update replaces it with BPF_F_REPLACE, so there is no
 * instant without a filter.  Since Linux 5.11 BPF memory is charged to the
 * memory cgroup, so RLIMIT_MEMLOCK is not touched. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup_layout.h"
#include "cleanup.h"

static const struct spec_res_device_rule default_devices[] = {
    {true, 'c', -1, -1, SPEC_DEV_ACC_MKNOD},
    {true, 'b', -1, -1, SPEC_DEV_ACC_MKNOD},
    {true, 'c', 1, 3, SPEC_DEV_ACC_ALL},    /* null */
    {true, 'c', 1, 8, SPEC_DEV_ACC_ALL},    /* random */
    {true, 'c', 1, 7, SPEC_DEV_ACC_ALL},    /* full */
    {true, 'c', 5, 0, SPEC_DEV_ACC_ALL},    /* tty */
    {true, 'c', 1, 5, SPEC_DEV_ACC_ALL},    /* zero */
    {true, 'c', 1, 9, SPEC_DEV_ACC_ALL},    /* urandom */
    {true, 'c', 136, -1, SPEC_DEV_ACC_ALL}, /* pts */
    {true, 'c', 5, 2, SPEC_DEV_ACC_ALL},    /* ptmx */
    {true, 'c', 10, 200, SPEC_DEV_ACC_ALL}, /* net/tun */
};

struct spec_res_device_rule *cg_device_rules(const struct spec_resources *r,
                                             size_t *n) {
  size_t nd = sizeof(default_devices) / sizeof(default_devices[0]);
  size_t total = r->devices_len + nd + r->config_devices_len;
  struct spec_res_device_rule *v = calloc(total, sizeof(*v));
  if (v == NULL)
    abort();
  if (r->devices_len)
    memcpy(v, r->devices, r->devices_len * sizeof(*v));
  memcpy(v + r->devices_len, default_devices, sizeof(default_devices));
  if (r->config_devices_len)
    memcpy(v + r->devices_len + nd, r->config_devices,
           r->config_devices_len * sizeof(*v));
  *n = total;
  return v;
}

/* cpuset.cpus and cpuset.mems have the same names and syntax on v1 and v2;
 * check them against what the parent may hand out so a typo is refused
 * before anything is written. */

struct prog {
  struct bpf_insn *v;
  size_t n, cap;
};

static void emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src,
                 int16_t off, int32_t imm) {
  if (p->n == p->cap) {
    p->cap = p->cap ? p->cap * 2 : 64;
    p->v = realloc(p->v, p->cap * sizeof(*p->v));
    if (p->v == NULL)
      abort();
  }
  p->v[p->n++] = (struct bpf_insn){
      .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

/* Registers: r1 ctx, r2 device type, r3 access bits, r4 major, r5 minor. */
#define R0 0
#define R1 1
#define R2 2
#define R3 3
#define R4 4
#define R5 5

static void emit_deny(struct prog *p) {
  emit(p, BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 0);
  emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static bool covers(const struct spec_res_device_rule *r, unsigned bit) {
  return r->type == 'a' || (r->access & bit);
}

int cg_bpf_build(const struct spec_res_device_rule *rules, size_t n,
                 struct bpf_insn **out, size_t *len) {
  struct prog p = {0};
  /* struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
   * access_type = access << 16 | type. */
  emit(&p, BPF_LDX | BPF_MEM | BPF_W, R2, R1, 0, 0);
  emit(&p, BPF_ALU64 | BPF_MOV | BPF_X, R3, R2, 0, 0);
  emit(&p, BPF_ALU64 | BPF_RSH | BPF_K, R3, 0, 0, 16);
  emit(&p, BPF_ALU64 | BPF_AND | BPF_K, R2, 0, 0, 0xffff);
  emit(&p, BPF_LDX | BPF_MEM | BPF_W, R4, R1, 4, 0);
  emit(&p, BPF_LDX | BPF_MEM | BPF_W, R5, R1, 8, 0);

  static const unsigned bits[] = {BPF_DEVCG_ACC_MKNOD, BPF_DEVCG_ACC_READ,
                                  BPF_DEVCG_ACC_WRITE};
  for (size_t b = 0; b < 3; b++) {
    unsigned bit = bits[b];
    /* Jumps to the end of this bit's section, patched below. */
    size_t *fix = calloc(n + 1, sizeof(*fix)), nfix = 0;
    if (fix == NULL)
      abort();
    emit(&p, BPF_ALU64 | BPF_MOV | BPF_X, R0, R3, 0, 0);
    emit(&p, BPF_ALU64 | BPF_AND | BPF_K, R0, 0, 0, (int32_t)bit);
    fix[nfix++] = p.n;
    emit(&p, BPF_JMP | BPF_JEQ | BPF_K, R0, 0, 0, 0);
    bool decided = false;
    for (size_t i = n; i-- > 0 && !decided;) {
      const struct spec_res_device_rule *r = &rules[i];
      if (!covers(r, bit))
        continue;
      int checks = 0;
      if (r->type != 'a') {
        checks++;
        if (r->major >= 0)
          checks++;
        if (r->minor >= 0)
          checks++;
      }
      int action = r->allow ? 1 : 2;
      int k = 0;
      if (r->type != 'a') {
        int t = r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
        emit(&p, BPF_JMP | BPF_JNE | BPF_K, R2, 0,
             (int16_t)(checks - k - 1 + action), t);
        k++;
        if (r->major >= 0) {
          emit(&p, BPF_JMP | BPF_JNE | BPF_K, R4, 0,
               (int16_t)(checks - k - 1 + action), (int32_t)r->major);
          k++;
        }
        if (r->minor >= 0) {
          emit(&p, BPF_JMP | BPF_JNE | BPF_K, R5, 0,
               (int16_t)(checks - k - 1 + action), (int32_t)r->minor);
          k++;
        }
      } else {
        decided = true; /* matches everything: earlier rules are moot */
      }
      if (r->allow) {
        fix[nfix++] = p.n;
        emit(&p, BPF_JMP | BPF_JA, 0, 0, 0, 0);
      } else {
        emit_deny(&p);
      }
    }
    if (!decided)
      emit_deny(&p);
    size_t end = p.n;
    for (size_t i = 0; i < nfix; i++)
      p.v[fix[i]].off = (int16_t)(end - fix[i] - 1);
    free(fix);
  }
  emit(&p, BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 1);
  emit(&p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  *out = p.v;
  *len = p.n;
  return 0;
}

static int sys_bpf(int cmd, union bpf_attr *attr) {
  return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

int cg_bpf_load(const struct spec_res_device_rule *rules, size_t n,
                werr_t *err) {
  _cleanup_free_ struct bpf_insn *insns = NULL;
  size_t len;
  cg_bpf_build(rules, n, &insns, &len);
  /* A jump offset is 16 bits; so many rules would be a broken config. */
  if (len > 30000)
    return werr_code(err, E2BIG, "device filter: too many rules (%zu)", n);
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.expected_attach_type = BPF_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)insns;
  attr.insn_cnt = (uint32_t)len;
  attr.license = (uint64_t)(uintptr_t) "GPL";
  int fd = sys_bpf(BPF_PROG_LOAD, &attr);
  if (fd >= 0)
    return fd;
  int saved = errno;
  /* Load again with the verifier log to say why. */
  char log[4096] = "";
  attr.log_buf = (uint64_t)(uintptr_t)log;
  attr.log_size = sizeof(log);
  attr.log_level = 1;
  fd = sys_bpf(BPF_PROG_LOAD, &attr);
  if (fd >= 0)
    return fd;
  for (char *c = log; *c; c++)
    if (*c == '\n')
      *c = ' ';
  errno = saved;
  if (log[0])
    return werr_code(err, saved,
                     "load device filter (BPF_PROG_TYPE_CGROUP_DEVICE): %.300s",
                     log);
  return werr_sys(err, "load device filter (BPF_PROG_TYPE_CGROUP_DEVICE)");
}

static int query(int cgfd, uint32_t *ids, uint32_t *cnt) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.query.target_fd = (uint32_t)cgfd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
  attr.query.prog_cnt = *cnt;
  if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
    return -1;
  *cnt = attr.query.prog_cnt;
  return 0;
}

int cg_bpf_count(const char *dir) {
  _cleanup_close_ int cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  uint32_t ids[64], cnt = 64;
  if (cgfd < 0 || query(cgfd, ids, &cnt) < 0)
    return -1;
  return (int)cnt;
}

int cg_bpf_attach(const char *dir, int prog, werr_t *err) {
  _cleanup_close_ int cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cgfd < 0)
    return werr_sys(err, "open %s", dir);
  uint32_t ids[64], cnt = 64;
  if (query(cgfd, ids, &cnt) < 0)
    return werr_sys(err, "query device filters of %s", dir);
  /* Programs attached directly to the container's cgroup are ours (a
   * nested runtime would attach below it, not here). */
  _cleanup_close_ int old = -1;
  if (cnt > 0) {
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.prog_id = ids[0];
    old = sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
    if (old < 0)
      return werr_sys(err, "device filter %u of %s", ids[0], dir);
  }
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.target_fd = (uint32_t)cgfd;
  attr.attach_bpf_fd = (uint32_t)prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (old >= 0) {
    attr.attach_flags |= BPF_F_REPLACE;
    attr.replace_bpf_fd = (uint32_t)old;
  }
  if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
    return werr_sys(err, "attach device filter to %s", dir);
  for (uint32_t i = 1; i < cnt; i++) {
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.prog_id = ids[i];
    _cleanup_close_ int fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
    if (fd < 0)
      continue;
    memset(&a, 0, sizeof(a));
    a.target_fd = (uint32_t)cgfd;
    a.attach_bpf_fd = (uint32_t)fd;
    a.attach_type = BPF_CGROUP_DEVICE;
    if (sys_bpf(BPF_PROG_DETACH, &a) < 0)
      return werr_sys(err, "detach old device filter %u from %s", ids[i], dir);
  }
  return 0;
}
