/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Compiled seccomp BPF kept host-wide in SECCOMP_CACHE_DIR (not in the
 * caller's --root, which must hold only container directories), so starting
 * many containers with the same large profile costs one libseccomp compile.
 * An entry is found by a hash of its key but only used when the full key
 * stored in it matches byte for byte: a hash collision (accidental or
 * crafted) can only cost a recompile, never load another profile's filter. */
#ifndef WARD_SECCOMP_CACHE_H
#define WARD_SECCOMP_CACHE_H

#include <linux/filter.h>
#include <stddef.h>

#include "linux_seccomp.h"
#include "seccomp_filter.h"

/* The canonical text of everything that shapes the BPF: the rules, the
 * architectures, and the libseccomp version and API level that compile
 * them.  Flags and the listener are left out: they are applied at load. */
char *seccomp_cache_key(const struct spec_seccomp *s);

/* 1 with *insns and *len filled on a hit, 0 on a miss (absent, stale, foreign or
 * damaged entry), -1 on an error worth reporting. */
int seccomp_cache_load(const char *cache_dir, const char *key,
                       struct sock_filter **insns, size_t *len, werr_t *err);
/* Atomic (write then rename), so concurrent creates never read half a file. */
int seccomp_cache_store(const char *cache_dir, const char *key,
                        const struct sock_filter *insns, size_t len,
                        werr_t *err);

#endif
