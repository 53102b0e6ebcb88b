/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Checkpoint and restore through libcriu (runc's model): CRIU dumps the
 * container's process tree into an image directory; ward saves beside the
 * images what it needs to make the tree a container again (its state, the
 * config, the idmap allocation, the mounts CRIU must be told about).
 * Restore creates the state dir and cgroup as create does, then has CRIU
 * bring the tree back as ward's child. */
#ifndef WARD_CHECKPOINT_H
#define WARD_CHECKPOINT_H

#include <stdbool.h>
#include <sys/types.h>

#include "container.h"
#include "ward_error.h"

/* Options both directions share (runc's names). */
struct ckpt_common {
  const char *criu; /* --criu: CRIU binary, or NULL for PATH's */
  const char *image_path;
  const char *work_path; /* default: image_path (CRIU's logs stay there) */
  bool tcp_established;
  bool ext_unix_sk;
  bool shell_job;
  bool file_locks;
  bool auto_dedup;
  bool lazy_pages;
  int cg_mode; /* -1: CRIU's default (soft) */
};

struct ckpt_dump_opts {
  struct ckpt_common c;
  const char *parent_path; /* relative to image_path, as CRIU takes it */
  bool leave_running;
  bool pre_dump;
};

struct ckpt_restore_opts {
  struct ckpt_common c;
  const char *id;
  const char *bundle;
  const char *pid_file;
  const char *console_socket;
  bool detach;
  bool no_pivot;
};

/* `ward checkpoint`: on failure the container keeps running and the image
 * directory holds nothing restorable. */
int ckpt_dump(const struct ward_ctx *ctx, const char *id,
              const struct ckpt_dump_opts *o, werr_t *err);
/* `ward restore`: returns 0 (detached) or the container's exit status;
 * -1 with nothing left behind on failure. */
int ckpt_restore(const struct ward_ctx *ctx, const struct ckpt_restore_opts *o,
                 werr_t *err);
/* Can CRIU (CRIU_PATH, or "criu" on PATH when NULL) work on this host?
 * Runs CRIU's kernel probe through libcriu. */
bool ckpt_usable(const char *criu_path, werr_t *err);
/* CRIU's version as libcriu reports it (30 17 01 -> 31701); 0 when it
 * cannot be run. */
int ckpt_criu_version(const char *criu_path);
/* Can CRIU track memory changes here (soft-dirty bits), as --pre-dump
 * and --parent-path need?  -1 when CRIU is not usable at all. */
int ckpt_mem_track(const char *criu_path, bool *ok, werr_t *err);
/* "soft", "full", "strict", "ignore" -> libcriu's mode. */
int ckpt_parse_cg_mode(const char *s, int *mode, werr_t *err);

/* Between the files of runtime/criu/. */
struct criu_opts;
/* libcriu options every request carries: service binary, log, dirs. */
int ckpt_opts_new(const struct ckpt_common *c, const char *log_name,
                  struct criu_opts **out, int *img_fd, int *work_fd,
                  werr_t *err);
/* Turn a failed libcriu call (RC) into one line naming the log and its
 * last errors. */
int ckpt_criu_error(int rc, const char *what, const struct ckpt_common *c,
                    const char *log_name, werr_t *err);

/* The mounts of a container CRIU must be told about, found from its
 * mountinfo: bind mounts whose source lies outside the container. */
struct ckpt_ext_mount {
  char *key;     /* mount point inside the container */
  char *source;  /* host path it was bound from */
  char *cg_base; /* cgroup mounts: the host hierarchy's mount point */
};
struct ckpt_meta {
  struct ckpt_ext_mount *mounts;
  size_t n_mounts;
  char *stdio[3]; /* CRIU keys of the init's stdio ("pipe:[N]",
                     "file[mnt:ino]"), NULL where CRIU needs none */
  char *cgroup;   /* the cgroup path (below each hierarchy) at dump */
  /* Its own user namespace: /proc's maps and the registry's kind. */
  char *uid_map, *gid_map, *idmap_kind;
};
void ckpt_meta_free(struct ckpt_meta *m);
/* The freezer directory of the cgroup at CGROUP_PATH (a v1 freezer
 * hierarchy, else pure v2's), or NULL. */
char *ckpt_freezer_path(const char *cgroup_path);
int ckpt_meta_scan(pid_t pid, const char *cgroup_path, struct ckpt_meta *m,
                   werr_t *err);
int ckpt_meta_save(const char *dir, const struct ckpt_meta *m, werr_t *err);
int ckpt_meta_load(const char *dir, struct ckpt_meta *m, werr_t *err);

/* runtime/criu/ckpt_idmap.c */
struct spec_config;
/* The registry's kind for ROOT/ID ("isolated", "shared", "oci") or NULL. */
char *ckpt_idmap_kind(const char *root, const char *id);
/* idmap_prepare() for a restore: the dumped isolated range when it is
 * free, else a new one the images (and M, saved again) are moved to.
 * CONFIG is reloaded into *C when the first try changed it.  Fails when
 * the maps cannot be those of the images. */
int ckpt_idmap_prepare(const char *root, const char *id, const char *config,
                       const char *image_dir, struct spec_config **c,
                       struct ckpt_meta *m, werr_t *err);
/* runtime/criu/ckpt_userns.c: point the images' user-namespace maps at
 * C's (same container ids and sizes, other host ids). */
int ckpt_userns_remap(const char *dir, const struct spec_config *c,
                      werr_t *err);
/* Attach an idmapped clone of ROOTFS for C's maps on TARGET when the
 * rootfs needs one (*done then true). */
int ckpt_idmap_root(const struct spec_config *c, const char *rootfs,
                    const char *target, bool *done, werr_t *err);
/* Hand the image files to the container's root. */
int ckpt_idmap_images(const char *dir, const struct spec_config *c,
                      werr_t *err);

#define CKPT_META "ward-checkpoint.json"
#define CKPT_STATE "ward-state.json"
#define CKPT_CONFIG "ward-config.json"

#endif
