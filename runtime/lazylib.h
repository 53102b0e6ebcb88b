/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Libraries loaded on first use instead of at every start.  libmount pulls
 * in libblkid, libselinux (whose constructor probes selinuxfs) and pcre2;
 * libcriu pulls in protobuf-c; libseccomp is only needed to compile a
 * filter the cache does not hold.  Linking them costs every ward process
 * ~0.7 ms and ~0.7 MB (libmount) or ~0.25 ms (libcriu), twice for the
 * commands that re-execute themselves, while `run` of a config without
 * seccomp needs none of them.
 *
 * Each wrapper file (libmount_lazy.c, criu/criu_lazy.c,
 * seccomp/seccomp_lazy.c) defines, with LAZYLIB_FN, the library functions
 * ward calls, under their own names and with the prototypes of the
 * library's header, so a signature that drifts fails to compile.  A
 * function not wrapped still links, but the linker then records the
 * library again: the Makefile checks the binary's NEEDED list. */
#ifndef WARD_LAZYLIB_H
#define WARD_LAZYLIB_H

#include <stddef.h>

struct lazylib {
  const char *soname;
  void *handle;
};

/* The address of NAME in L, loading L first; aborts with one line when
 * the library or the symbol is missing (the same failure as a missing
 * DT_NEEDED library, only later: callers have no error path for it). */
void *lazylib_sym(struct lazylib *l, const char *name);

/* From here on any load aborts.  Called by every process that is about to
 * enter a container: after pivot_root dlopen would search the container's
 * /lib, so such a process must never load a library. */
void lazylib_forbid(void);

/* RET NAME(PARAMS) calling the real NAME of LIB with ARGS. */
#define LAZYLIB_FN(lib, ret, name, params, args)                              \
  ret name params {                                                           \
    static __typeof__(&name) real;                                            \
    if (real == NULL)                                                         \
      real = (__typeof__(&name))lazylib_sym(&(lib), #name);                   \
    return real args;                                                         \
  }

#endif
