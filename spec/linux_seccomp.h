/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.seccomp (LinuxSeccomp).  The parser resolves every action, operator,
 * architecture and flag name to an enum so that a typo fails at create time
 * with the JSON path; syscall names stay strings because whether a name
 * exists depends on the libseccomp and kernel ward runs on (unknown ones are
 * skipped when the filter is compiled, as runc does). */
#ifndef WARD_LINUX_SECCOMP_H
#define WARD_LINUX_SECCOMP_H

#include "config.h"

enum spec_scmp_action {
  SPEC_SCMP_ACT_KILL, /* the kernel's KILL_THREAD, as in libseccomp */
  SPEC_SCMP_ACT_KILL_PROCESS,
  SPEC_SCMP_ACT_KILL_THREAD,
  SPEC_SCMP_ACT_TRAP,
  SPEC_SCMP_ACT_ERRNO,
  SPEC_SCMP_ACT_TRACE,
  SPEC_SCMP_ACT_ALLOW,
  SPEC_SCMP_ACT_LOG,
  SPEC_SCMP_ACT_NOTIFY,
  SPEC_SCMP_ACT_COUNT
};

enum spec_scmp_op {
  SPEC_SCMP_CMP_NE,
  SPEC_SCMP_CMP_LT,
  SPEC_SCMP_CMP_LE,
  SPEC_SCMP_CMP_EQ,
  SPEC_SCMP_CMP_GE,
  SPEC_SCMP_CMP_GT,
  SPEC_SCMP_CMP_MASKED_EQ,
  SPEC_SCMP_CMP_COUNT
};

/* Every SCMP_ARCH_* the runtime-spec and runc know.  Ones the linked
 * libseccomp lacks are skipped at compile time: they cannot be the native
 * architecture of a host that libseccomp was built for. */
enum spec_scmp_arch {
  SPEC_SCMP_ARCH_X86,
  SPEC_SCMP_ARCH_X86_64,
  SPEC_SCMP_ARCH_X32,
  SPEC_SCMP_ARCH_ARM,
  SPEC_SCMP_ARCH_AARCH64,
  SPEC_SCMP_ARCH_MIPS,
  SPEC_SCMP_ARCH_MIPS64,
  SPEC_SCMP_ARCH_MIPS64N32,
  SPEC_SCMP_ARCH_MIPSEL,
  SPEC_SCMP_ARCH_MIPSEL64,
  SPEC_SCMP_ARCH_MIPSEL64N32,
  SPEC_SCMP_ARCH_PPC,
  SPEC_SCMP_ARCH_PPC64,
  SPEC_SCMP_ARCH_PPC64LE,
  SPEC_SCMP_ARCH_S390,
  SPEC_SCMP_ARCH_S390X,
  SPEC_SCMP_ARCH_PARISC,
  SPEC_SCMP_ARCH_PARISC64,
  SPEC_SCMP_ARCH_RISCV64,
  SPEC_SCMP_ARCH_LOONGARCH64,
  SPEC_SCMP_ARCH_M68K,
  SPEC_SCMP_ARCH_SH,
  SPEC_SCMP_ARCH_SHEB,
  SPEC_SCMP_ARCH_COUNT
};

/* linux.seccomp.flags, as a bit set. */
enum {
  SPEC_SCMP_FLAG_TSYNC = 1u << 0, /* accepted, no effect: the init is single-threaded */
  SPEC_SCMP_FLAG_LOG = 1u << 1,
  SPEC_SCMP_FLAG_SPEC_ALLOW = 1u << 2,
  SPEC_SCMP_FLAG_WAIT_KILLABLE_RECV = 1u << 3,
};

/* The arguments a syscall can have; args[].index ranges over 0..5. */
#define SPEC_SCMP_MAX_ARGS 6

struct spec_seccomp_arg {
  uint32_t index;
  uint64_t value, valueTwo;
  enum spec_scmp_op op;
};

struct spec_seccomp_syscall {
  char **names; /* NULL-terminated, at least one */
  enum spec_scmp_action action;
  bool has_errnoRet;
  uint32_t errnoRet;
  struct spec_seccomp_arg *args;
  size_t args_len;
};

struct spec_seccomp {
  enum spec_scmp_action defaultAction;
  bool has_defaultErrnoRet;
  uint32_t defaultErrnoRet;
  enum spec_scmp_arch *architectures;
  size_t architectures_len;
  unsigned flags; /* SPEC_SCMP_FLAG_* */
  char *listenerPath, *listenerMetadata;
  struct spec_seccomp_syscall *syscalls;
  size_t syscalls_len;
};

/* PATH is the JSON path of V ("linux.seccomp"). */
int spec_parse_seccomp(yajl_val v, const char *path, struct spec_seccomp **out,
                       werr_t *err);
void spec_seccomp_free(struct spec_seccomp *s);

const char *spec_scmp_action_name(enum spec_scmp_action a);
const char *spec_scmp_op_name(enum spec_scmp_op op);
const char *spec_scmp_arch_name(enum spec_scmp_arch a);
/* True when the default action or any rule is SCMP_ACT_NOTIFY. */
bool spec_seccomp_uses_notify(const struct spec_seccomp *s);

#endif
