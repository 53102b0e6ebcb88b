/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "state.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <limits.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "cgroup.h"
#include "cleanup.h"
#include "utils.h"

#define STATE_FILE "state.json"
#define EXEC_FIFO "exec.fifo"

int state_validate_id(const char *id, werr_t *err) {
  size_t n = id ? strlen(id) : 0;
  if (n == 0)
    return werr(err, EINVAL, "invalid container id \"\": must not be empty");
  /* runc's set, [A-Za-z0-9_+.-]; the id names a directory in --root, so
   * it is at most NAME_MAX long (runc fails later with ENAMETOOLONG). */
  if (n > NAME_MAX)
    return werr(err, EINVAL,
                "invalid container id: %zu characters, at most %d allowed", n,
                NAME_MAX);
  if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
    return werr(err, EINVAL, "invalid container id \"%s\"", id);
  for (const char *p = id; *p; p++)
    if (!isalnum((unsigned char)*p) && !strchr("_+.-", *p))
      return werr(err, EINVAL,
                  "invalid container id \"%s\": only [A-Za-z0-9_+.-] allowed",
                  id);
  return 0;
}

char *state_dir(const char *root, const char *id) {
  return xasprintf("%s/%s", root, id);
}

static void gstr(yajl_gen g, const char *s) {
  yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}
static void gkv(yajl_gen g, const char *k, const char *v) {
  gstr(g, k);
  gstr(g, v ? v : "");
}

int state_save(const struct container_state *st, werr_t *err) {
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    abort();
  yajl_gen_map_open(g);
  gkv(g, "id", st->id);
  gkv(g, "bundle", st->bundle);
  gkv(g, "rootfs", st->rootfs);
  gkv(g, "created", st->created);
  gkv(g, "config", st->config);
  gkv(g, "cgroup", st->cgroup);
  gstr(g, "systemdCgroup");
  yajl_gen_bool(g, st->systemd_cgroup);
  gstr(g, "pid");
  yajl_gen_integer(g, st->pid);
  gstr(g, "pidStart");
  yajl_gen_integer(g, (long long)st->pid_start);
  gstr(g, "annotations");
  yajl_gen_map_open(g);
  for (size_t i = 0; i < st->annotations.len; i++)
    gkv(g, st->annotations.items[i].key, st->annotations.items[i].value);
  yajl_gen_map_close(g);
  yajl_gen_map_close(g);
  const unsigned char *buf;
  size_t len;
  yajl_gen_get_buf(g, &buf, &len);
  _cleanup_free_ char *path = xasprintf("%s/" STATE_FILE, st->dir);
  int rc = write_file_atomic(path, (const char *)buf, len, err);
  yajl_gen_free(g);
  return rc;
}

int state_load(const char *root, const char *id,
               struct container_state **out, werr_t *err) {
  if (state_validate_id(id, err) < 0)
    return -1;
  _cleanup_free_ char *dir = state_dir(root, id);
  _cleanup_free_ char *path = xasprintf("%s/" STATE_FILE, dir);
  _cleanup_free_ char *buf = NULL;
  werr_t e = NULL;
  if (read_file(path, &buf, NULL, &e) < 0) {
    int en = e->errnum;
    werr_free(&e);
    if (en == ENOENT)
      return werr_plain(err, ENOENT, "container \"%s\" does not exist", id);
    return werr(err, en, "container \"%s\": cannot read %s", id, path);
  }
  yajl_val v = NULL;
  if (json_parse_buf(buf, path, &v, err) < 0)
    return -1;
  struct container_state *st = xmalloc0(sizeof(*st));
  int64_t pid = 0, start = 0;
  int rc = 0;
  if (json_str(v, "", "id", &st->id, err) < 0 ||
      json_str(v, "", "bundle", &st->bundle, err) < 0 ||
      json_str(v, "", "rootfs", &st->rootfs, err) < 0 ||
      json_str(v, "", "created", &st->created, err) < 0 ||
      json_str(v, "", "config", &st->config, err) < 0 ||
      json_str(v, "", "cgroup", &st->cgroup, err) < 0 ||
      json_bool(v, "", "systemdCgroup", &st->systemd_cgroup, err) < 0 ||
      json_i64(v, "", "pid", &pid, err) < 0 ||
      json_i64(v, "", "pidStart", &start, err) < 0 ||
      json_strmap(v, "", "annotations", &st->annotations, err) < 0)
    rc = -1;
  yajl_tree_free(v);
  if (rc < 0) {
    container_state_free(st);
    return werr_prefix(err, "%s", path);
  }
  st->pid = (pid_t)pid;
  st->pid_start = (uint64_t)start;
  st->dir = take_ptr(dir);
  if (st->id == NULL)
    st->id = xstrdup(id);
  *out = st;
  return 0;
}

void container_state_free(struct container_state *st) {
  if (st == NULL)
    return;
  free(st->id);
  free(st->bundle);
  free(st->rootfs);
  free(st->created);
  free(st->cgroup);
  free(st->config);
  free(st->dir);
  kvlist_free(&st->annotations);
  free(st);
}

uint64_t proc_start_time(pid_t pid) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  _cleanup_free_ char *buf = NULL;
  if (read_file(path, &buf, NULL, NULL) < 0)
    return 0;
  /* comm may contain spaces and parens: fields restart after the last ')'. */
  char *p = strrchr(buf, ')');
  if (p == NULL)
    return 0;
  p++;
  /* p now points before field 3; starttime is field 22. */
  for (int field = 3; field < 22 && p; field++)
    p = strchr(p + 1, ' ');
  if (p == NULL)
    return 0;
  return strtoull(p + 1, NULL, 10);
}

static bool proc_is_zombie(pid_t pid) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  _cleanup_free_ char *buf = NULL;
  if (read_file(path, &buf, NULL, NULL) < 0)
    return true;
  char *p = strrchr(buf, ')');
  return p == NULL || p[2] == 'Z' || p[2] == 'X';
}

bool state_init_alive(const struct container_state *st) {
  if (st->pid <= 0)
    return false;
  uint64_t start = proc_start_time(st->pid);
  if (start == 0 || start != st->pid_start)
    return false;
  return !proc_is_zombie(st->pid);
}

int state_pidfd(const struct container_state *st, werr_t *err) {
  if (st->pid <= 0)
    return werr_plain(err, ESRCH, "container \"%s\": no such process", st->id);
  int fd = (int)syscall(SYS_pidfd_open, st->pid, 0);
  if (fd < 0)
    return werr_plain(err, ESRCH, "container \"%s\": no such process", st->id);
  /* Checked after the pidfd pins the process: if the start time still
   * matches now, the pidfd refers to our init and not a recycled pid. */
  if (!state_init_alive(st)) {
    close(fd);
    return werr_plain(err, ESRCH, "container \"%s\": no such process", st->id);
  }
  return fd;
}

enum container_status state_status(const struct container_state *st) {
  if (st->pid <= 0)
    return STATUS_CREATING;
  if (!state_init_alive(st))
    return STATUS_STOPPED;
  _cleanup_free_ char *fifo = xasprintf("%s/" EXEC_FIFO, st->dir);
  if (access(fifo, F_OK) == 0)
    return STATUS_CREATED;
  if (st->cgroup && st->cgroup[0]) {
    struct cgroup_handle *h = NULL;
    bool frozen = false;
    if (cgroup_open(st->cgroup, &h, NULL) == 0) {
      cgroup_is_frozen(h, &frozen, NULL);
      cgroup_handle_free(h);
    }
    if (frozen)
      return STATUS_PAUSED;
  }
  return STATUS_RUNNING;
}

const char *state_status_name(enum container_status s) {
  switch (s) {
  case STATUS_CREATING:
    return "creating";
  case STATUS_CREATED:
    return "created";
  case STATUS_RUNNING:
    return "running";
  case STATUS_PAUSED:
    return "paused";
  case STATUS_STOPPED:
    return "stopped";
  }
  return "unknown";
}

int state_lock(const char *dir, werr_t *err) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return werr_sys(err, "open %s", dir);
  if (flock(fd, LOCK_EX) < 0) {
    werr_sys(err, "lock %s", dir);
    close(fd);
    return -1;
  }
  return fd;
}
