/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libcriu (and the protobuf-c it needs), loaded on first use: only
 * checkpoint, restore and `features` call it (see lazylib.h). */
#include <criu/criu.h>

#include "lazylib.h"

static struct lazylib libcriu = {.soname = "libcriu.so.2"};

#define LAZY(ret, name, params, args) LAZYLIB_FN(libcriu, ret, name, params, args)

LAZY(int, criu_get_orphan_pts_master_fd, (void), ())
LAZY(int, criu_local_add_cg_root, (criu_opts *opts, const char *ctrl, const char *path), (opts, ctrl, path))
LAZY(int, criu_local_add_ext_mount, (criu_opts *opts, const char *key, const char *val), (opts, key, val))
LAZY(int, criu_local_add_external, (criu_opts *opts, const char *key), (opts, key))
LAZY(int, criu_local_add_inherit_fd, (criu_opts *opts, int fd, const char *key), (opts, fd, key))
LAZY(int, criu_local_dump, (criu_opts *opts), (opts))
LAZY(int, criu_local_feature_check, (criu_opts *opts, struct criu_feature_check *features, size_t size), (opts, features, size))
LAZY(void, criu_local_free_opts, (criu_opts *opts), (opts))
LAZY(int, criu_local_get_version, (criu_opts *opts), (opts))
LAZY(int, criu_local_init_opts, (criu_opts **opts), (opts))
LAZY(int, criu_local_pre_dump, (criu_opts *opts), (opts))
LAZY(int, criu_local_restore_child, (criu_opts *opts), (opts))
LAZY(void, criu_local_set_auto_dedup, (criu_opts *opts, bool auto_dedup), (opts, auto_dedup))
LAZY(void, criu_local_set_evasive_devices, (criu_opts *opts, bool evasive_devices), (opts, evasive_devices))
LAZY(void, criu_local_set_ext_unix_sk, (criu_opts *opts, bool ext_unix_sk), (opts, ext_unix_sk))
LAZY(void, criu_local_set_file_locks, (criu_opts *opts, bool file_locks), (opts, file_locks))
LAZY(int, criu_local_set_freeze_cgroup, (criu_opts *opts, const char *name), (opts, name))
LAZY(void, criu_local_set_images_dir_fd, (criu_opts *opts, int fd), (opts, fd))
LAZY(void, criu_local_set_leave_running, (criu_opts *opts, bool leave_running), (opts, leave_running))
LAZY(int, criu_local_set_log_file, (criu_opts *opts, const char *log_file), (opts, log_file))
LAZY(void, criu_local_set_log_level, (criu_opts *opts, int log_level), (opts, log_level))
LAZY(void, criu_local_set_manage_cgroups, (criu_opts *opts, bool manage), (opts, manage))
LAZY(void, criu_local_set_manage_cgroups_mode, (criu_opts *opts, enum criu_cg_mode mode), (opts, mode))
LAZY(void, criu_local_set_notify_cb, (criu_opts *opts, int (*cb)(char *action, criu_notify_arg_t na)), (opts, cb))
LAZY(void, criu_local_set_orphan_pts_master, (criu_opts *opts, bool orphan_pts_master), (opts, orphan_pts_master))
LAZY(int, criu_local_set_parent_images, (criu_opts *opts, const char *path), (opts, path))
LAZY(void, criu_local_set_pid, (criu_opts *opts, int pid), (opts, pid))
LAZY(int, criu_local_set_root, (criu_opts *opts, const char *root), (opts, root))
LAZY(int, criu_local_set_service_binary, (criu_opts *opts, const char *path), (opts, path))
LAZY(void, criu_local_set_shell_job, (criu_opts *opts, bool shell_job), (opts, shell_job))
LAZY(void, criu_local_set_tcp_established, (criu_opts *opts, bool tcp_established), (opts, tcp_established))
LAZY(void, criu_local_set_track_mem, (criu_opts *opts, bool track_mem), (opts, track_mem))
LAZY(void, criu_local_set_work_dir_fd, (criu_opts *opts, int fd), (opts, fd))
