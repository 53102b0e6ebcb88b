/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The libcriu options every request carries, and CRIU's failures turned
 * into one line that says where its log is. */
#include <criu/criu.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cleanup.h"
#include "utils.h"

int ckpt_parse_cg_mode(const char *s, int *mode, werr_t *err) {
  static const struct {
    const char *name;
    int mode;
  } modes[] = {{"soft", CRIU_CG_MODE_SOFT},
               {"full", CRIU_CG_MODE_FULL},
               {"strict", CRIU_CG_MODE_STRICT},
               {"ignore", CRIU_CG_MODE_IGNORE}};
  for (size_t i = 0; i < sizeof(modes) / sizeof(*modes); i++)
    if (strcmp(s, modes[i].name) == 0) {
      *mode = modes[i].mode;
      return 0;
    }
  return werr_code(
      err, EINVAL,
      "--manage-cgroups-mode: must be soft, full, strict or ignore, "
      "got \"%s\"",
      s);
}

static int set_service(criu_opts *o, const char *criu, werr_t *err) {
  /* libcriu starts the binary as its service (`criu swrk`). */
  const char *bin = criu ? criu : "criu";
  if (criu && access(criu, X_OK) < 0)
    return werr_sys(err, "--criu %s", criu);
  if (criu_local_set_service_binary(o, bin) < 0)
    return werr_code(err, ENOMEM, "libcriu: set service binary");
  return 0;
}

/* CRIU's kernel probe (kerndat) through a feature check.  Not
 * criu_check(): the CHECK request of Debian 12's libcriu carries no
 * options and CRIU 4.1's service crashes on that; the feature check runs
 * the same probe that fails where CRIU cannot work (3.17's "Unexpected
 * rt vDSO area bounds" on newer kernels).  CRIU writes its complaint to
 * the stderr it inherits: kept off ours, the caller says it in one line. */
static int feature_check(const char *criu_path, bool *mem_track, werr_t *err) {
  criu_opts *o = NULL;
  if (criu_local_init_opts(&o) < 0)
    return werr_code(err, ENOMEM, "libcriu: init options");
  int rc = -1;
  if (set_service(o, criu_path, err) == 0) {
    struct criu_feature_check f = {.mem_track = true};
    fflush(stderr);
    int saved = dup(2);
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0) {
      dup2(null, 2);
      close(null);
    }
    int r = criu_local_feature_check(o, &f, sizeof(f));
    int v = r == 0 ? 0 : criu_local_get_version(o);
    if (saved >= 0) {
      dup2(saved, 2);
      close(saved);
    }
    if (r == 0) {
      *mem_track = f.mem_track;
      rc = 0;
    } else if (v > 0) {
      werr_code(err, EIO,
                "CRIU %d.%d.%d (%s) cannot work on this host: its kernel check "
                "fails (run `%s check` to see why)",
                v / 10000, v / 100 % 100, v % 100,
                criu_path ? criu_path : "criu", criu_path ? criu_path : "criu");
    } else {
      werr_code(err, ENOENT,
                "CRIU support is missing: cannot run %s (install criu or give "
                "--criu PATH)",
                criu_path ? criu_path : "criu");
    }
  }
  criu_local_free_opts(o);
  return rc;
}

int ckpt_criu_version(const char *criu_path) {
  criu_opts *o = NULL;
  if (criu_local_init_opts(&o) < 0)
    return 0;
  werr_t e = NULL;
  int v = 0;
  if (set_service(o, criu_path, &e) == 0) {
    fflush(stderr);
    int saved = dup(2), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0) {
      dup2(null, 2);
      close(null);
    }
    v = criu_local_get_version(o);
    if (saved >= 0) {
      dup2(saved, 2);
      close(saved);
    }
  }
  werr_free(&e);
  criu_local_free_opts(o);
  return v > 0 ? v : 0;
}

bool ckpt_usable(const char *criu_path, werr_t *err) {
  bool mt = false;
  return feature_check(criu_path, &mt, err) == 0;
}

int ckpt_mem_track(const char *criu_path, bool *ok, werr_t *err) {
  return feature_check(criu_path, ok, err);
}

int ckpt_opts_new(const struct ckpt_common *c, const char *log_name,
                  struct criu_opts **out, int *img_fd, int *work_fd,
                  werr_t *err) {
  *out = NULL;
  *img_fd = *work_fd = -1;
  criu_opts *o = NULL;
  if (criu_local_init_opts(&o) < 0)
    return werr_code(err, ENOMEM, "libcriu: init options");
  if (set_service(o, c->criu, err) < 0)
    goto fail;
  *img_fd = open(c->image_path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (*img_fd < 0) {
    werr_sys(err, "--image-path %s", c->image_path);
    goto fail;
  }
  const char *work = c->work_path ? c->work_path : c->image_path;
  if (c->work_path && mkdir_p(c->work_path, 0700, err) < 0)
    goto fail;
  *work_fd = open(work, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (*work_fd < 0) {
    werr_sys(err, "--work-path %s", work);
    goto fail;
  }
  /* libcriu hands the fds to its service by number: they must survive
   * the exec of `criu swrk`. */
  fcntl(*img_fd, F_SETFD, 0);
  fcntl(*work_fd, F_SETFD, 0);
  criu_local_set_images_dir_fd(o, *img_fd);
  criu_local_set_work_dir_fd(o, *work_fd);
  criu_local_set_log_level(o, 4);
  criu_local_set_log_file(o, log_name);
  criu_local_set_manage_cgroups(o, true);
  if (c->cg_mode >= 0)
    criu_local_set_manage_cgroups_mode(o, (enum criu_cg_mode)c->cg_mode);
  criu_local_set_tcp_established(o, c->tcp_established);
  criu_local_set_ext_unix_sk(o, c->ext_unix_sk);
  criu_local_set_shell_job(o, c->shell_job);
  criu_local_set_file_locks(o, c->file_locks);
  criu_local_set_auto_dedup(o, c->auto_dedup);
  criu_local_set_orphan_pts_master(o, true);
  *out = o;
  return 0;
fail:
  criu_local_free_opts(o);
  if (*img_fd >= 0)
    close(*img_fd);
  if (*work_fd >= 0)
    close(*work_fd);
  *img_fd = *work_fd = -1;
  return -1;
}

/* The first line of CRIU's log that says "Error": the cause (later ones
 * are the unwinding), without its timestamp. */
static char *log_error(const char *path) {
  _cleanup_free_ char *text = NULL;
  if (read_file(path, &text, NULL, NULL) < 0)
    return NULL;
  for (char *line = text; *line;) {
    char *nl = strchr(line, '\n');
    size_t n = nl ? (size_t)(nl - line) : strlen(line);
    char *e = memmem(line, n, "Error (", 7);
    /* rlimit: CRIU noting it lacks CAP_SYS_RESOURCE, never the cause. */
    if (e && !memmem(line, n, "rlimit:", 7))
      return xasprintf("%.*s", (int)(n - (size_t)(e - line)), e);
    if (!nl)
      break;
    line = nl + 1;
  }
  return NULL;
}

int ckpt_criu_error(int rc, const char *what, const struct ckpt_common *c,
                    const char *log_name, werr_t *err) {
  const char *work = c->work_path ? c->work_path : c->image_path;
  _cleanup_free_ char *dir = realpath(work, NULL);
  _cleanup_free_ char *log = xasprintf("%s/%s", dir ? dir : work, log_name);
  _cleanup_free_ char *errs = log_error(log);
  if (errs)
    return werr_code(err, EIO, "%s: CRIU failed (log %s): %s", what, log, errs);
  if (access(log, F_OK) == 0)
    return werr_code(err, EIO, "%s: CRIU failed (log %s)", what, log);
  return werr_code(
      err, rc < 0 ? -rc : EIO,
      "%s: could not run CRIU (libcriu error %d; is criu installed? "
      "see --criu)",
      what, rc);
}
