/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libseccomp, loaded on first use (see lazylib.h): a config without
 * linux.seccomp never needs it, and a cached filter needs it only for the
 * cache key's version line.  Every call runs in ward before any namespace
 * is made or joined. */
#include <seccomp.h>

#include "lazylib.h"

static struct lazylib libseccomp = {.soname = "libseccomp.so.2"};

#define LAZY(ret, name, params, args)                                         \
  LAZYLIB_FN(libseccomp, ret, name, params, args)

LAZY(unsigned int, seccomp_api_get, (void), ())
LAZY(int, seccomp_arch_add, (scmp_filter_ctx ctx, uint32_t arch_token),
     (ctx, arch_token))
LAZY(uint32_t, seccomp_arch_native, (void), ())
LAZY(int, seccomp_attr_set,
     (scmp_filter_ctx ctx, enum scmp_filter_attr attr, uint32_t value),
     (ctx, attr, value))
LAZY(int, seccomp_export_bpf, (const scmp_filter_ctx ctx, int fd), (ctx, fd))
LAZY(scmp_filter_ctx, seccomp_init, (uint32_t def_action), (def_action))
LAZY(void, seccomp_release, (scmp_filter_ctx ctx), (ctx))
LAZY(int, seccomp_rule_add_array,
     (scmp_filter_ctx ctx, uint32_t action, int syscall, unsigned int arg_cnt,
      const struct scmp_arg_cmp *arg_array),
     (ctx, action, syscall, arg_cnt, arg_array))
LAZY(int, seccomp_syscall_resolve_name, (const char *name), (name))
LAZY(const struct scmp_version *, seccomp_version, (void), ())
