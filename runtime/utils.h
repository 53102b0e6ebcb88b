/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers over syscalls; each names the path it concerns on error. */
#ifndef WARD_UTILS_H
#define WARD_UTILS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ward_error.h"
#include "xalloc.h"


int mkdir_p(const char *path, mode_t mode, werr_t *err);
int write_file(const char *path, const char *data, size_t len, werr_t *err);
int write_file_str(const char *path, const char *s, werr_t *err);
/* Write via a temp file + rename so readers never see half a file. */
int write_file_atomic(const char *path, const char *data, size_t len,
                      werr_t *err);
int read_file(const char *path, char **out, size_t *len, werr_t *err);
/* /proc/PID/stat at PATH, numbered as in proc(5): *state is field 3 and
 * v[k] field k for 4 <= k < n (v[0..3] untouched).  comm (field 2) may hold
 * spaces and parens: the fields restart after its last ')'. */
int proc_stat_fields(const char *path, char *state, unsigned long long *v,
                     int n);
/* rm -rf that never crosses a mount point. */
int rm_rf(const char *path, werr_t *err);
/* Parse a signal given as number, "KILL" or "SIGKILL". */
int parse_signal(const char *s, int *sig, werr_t *err);
/* openat2(RESOLVE_IN_ROOT): resolve PATH inside the tree of ROOTFD, so a
 * symlink in the image can never lead outside it. */
int open_in_root(int rootfd, const char *path, int flags, mode_t mode,
                 werr_t *err);
/* Sleep MS milliseconds, resuming after signals. */
void sleep_ms(long ms);
/* write() all of buf, retrying on EINTR/short writes. */
int write_all(int fd, const void *buf, size_t len);


/* Write S to a file that must be on procfs (CVE-2019-16884: a directory
 * shadowing /proc must not collect what ward means for the kernel). */
int write_proc_file(const char *path, const char *s, werr_t *err);
/* mkdir -p of PATH inside the tree of ROOTFD (symlinks resolved inside it).
 * Returns an O_PATH fd of the directory. */
int mkdir_in_root(int rootfd, const char *path, mode_t mode, werr_t *err);
/* Create an empty file at PATH inside ROOTFD if missing (parents too). */
int mkfile_in_root(int rootfd, const char *path, mode_t mode, werr_t *err);
/* "/proc/self/fd/N": lets mount(2) act on an fd opened safely. */
#define FD_PATH_MAX 32
void fd_path(int fd, char buf[FD_PATH_MAX]);
#endif
