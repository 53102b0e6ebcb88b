/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "state.h"

#include <ctype.h>
#include <dirent.h>
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
#include "state_json.h"
#include "utils.h"

#define STATE_FILE "state.json"

char *state_document(const struct container_state *st, const char *status,
                     pid_t pid, bool pretty) {
  struct spec_state ss = {.id = st->id,
                          .status = status,
                          .pid = pid,
                          .bundle = st->bundle,
                          .rootfs = st->rootfs,
                          .created = st->created,
                          .annotations = &st->annotations};
  return spec_state_emit(&ss, pretty);
}

int state_validate_id(const char *id, werr_t *err) {
  size_t n = id ? strlen(id) : 0;
  if (n == 0)
    return werr_code(err, EINVAL,
                     "invalid container id \"\": must not be empty");
  /* runc's set, [A-Za-z0-9_+.-]; the id names a directory in --root, so
   * it is at most NAME_MAX long (runc fails later with ENAMETOOLONG). */
  if (n > NAME_MAX)
    return werr_code(err, EINVAL,
                "invalid container id: %zu characters, at most %d allowed", n,
                NAME_MAX);
  if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
    return werr_code(err, EINVAL, "invalid container id \"%s\"", id);
  for (const char *p = id; *p; p++)
    if (!isalnum((unsigned char)*p) && !strchr("_+.-", *p))
      return werr_code(
          err, EINVAL,
          "invalid container id \"%s\": only [A-Za-z0-9_+.-] allowed", id);
  return 0;
}

char *state_dir(const char *root, const char *id) {
  return xasprintf("%s/%s", root, id);
}

int state_save(const struct container_state *st, werr_t *err) {
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    abort();
  yajl_gen_map_open(g);
  json_gen_kv(g, "id", st->id ? st->id : "");
  json_gen_kv(g, "bundle", st->bundle ? st->bundle : "");
  json_gen_kv(g, "rootfs", st->rootfs ? st->rootfs : "");
  json_gen_kv(g, "created", st->created ? st->created : "");
  json_gen_kv(g, "config", st->config ? st->config : "");
  json_gen_kv(g, "cgroup", st->cgroup ? st->cgroup : "");
  json_gen_str(g, "systemdCgroup");
  yajl_gen_bool(g, st->systemd_cgroup);
  json_gen_str(g, "pid");
  yajl_gen_integer(g, st->pid);
  json_gen_str(g, "pidStart");
  yajl_gen_integer(g, (long long)st->pid_start);
  json_gen_str(g, "creating");
  yajl_gen_bool(g, st->creating);
  json_gen_str(g, "creator");
  yajl_gen_integer(g, st->creator);
  json_gen_str(g, "creatorStart");
  yajl_gen_integer(g, (long long)st->creator_start);
  json_gen_str(g, "idmap");
  yajl_gen_bool(g, st->idmap);
  json_gen_str(g, "annotations");
  yajl_gen_map_open(g);
  for (size_t i = 0; i < st->annotations.len; i++)
    json_gen_kv(g, st->annotations.items[i].key, st->annotations.items[i].value ? st->annotations.items[i].value : "");
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
      return werr_code(err, ENOENT, "container \"%s\" does not exist", id);
    return werr_code(err, en, "container \"%s\": cannot read %s", id, path);
  }
  yajl_val v = NULL;
  if (json_parse_buf(buf, path, &v, err) < 0)
    return -1;
  struct container_state *st = xmalloc0(sizeof(*st));
  int64_t pid = 0, start = 0, creator = 0, creator_start = 0;
  st->idmap = true; /* a record from before the field: ask the registry */
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
      json_bool(v, "", "creating", &st->creating, err) < 0 ||
      json_i64(v, "", "creator", &creator, err) < 0 ||
      json_i64(v, "", "creatorStart", &creator_start, err) < 0 ||
      json_bool(v, "", "idmap", &st->idmap, err) < 0 ||
      json_strmap(v, "", "annotations", &st->annotations, err) < 0)
    rc = -1;
  yajl_tree_free(v);
  if (rc < 0) {
    container_state_free(st);
    return werr_prefix(err, "%s", path);
  }
  st->pid = (pid_t)pid;
  st->pid_start = (uint64_t)start;
  st->creator = (pid_t)creator;
  st->creator_start = (uint64_t)creator_start;
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

/* PID's start time (/proc/PID/stat field 22) and whether it is a zombie
 * or dead, from one read.  0: no such process. */
static uint64_t proc_stat_start(pid_t pid, bool *dead) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  unsigned long long v[23];
  char state;
  *dead = true;
  if (proc_stat_fields(path, &state, v, 23) < 0)
    return 0;
  *dead = state == 'Z' || state == 'X';
  return v[22];
}

uint64_t proc_start_time(pid_t pid) {
  bool dead;
  return proc_stat_start(pid, &dead);
}

static bool proc_alive(pid_t pid, uint64_t want_start) {
  if (pid <= 0)
    return false;
  bool dead;
  uint64_t start = proc_stat_start(pid, &dead);
  return start != 0 && start == want_start && !dead;
}

bool state_init_alive(const struct container_state *st) {
  return proc_alive(st->pid, st->pid_start);
}

int state_pidfd(const struct container_state *st, werr_t *err) {
  if (st->pid <= 0)
    return werr_code(err, ESRCH, "container \"%s\": no such process", st->id);
  int fd = (int)syscall(SYS_pidfd_open, st->pid, 0);
  if (fd < 0)
    return werr_code(err, ESRCH, "container \"%s\": no such process", st->id);
  /* Checked after the pidfd pins the process: if the start time still
   * matches now, the pidfd refers to our init and not a recycled pid. */
  if (!state_init_alive(st)) {
    close(fd);
    return werr_code(err, ESRCH, "container \"%s\": no such process", st->id);
  }
  return fd;
}

/* Created or running or paused, for an init known to be alive. */
static enum container_status status_alive(const struct container_state *st,
                                          struct cgroup_handle *cg,
                                          bool open_cg) {
  _cleanup_free_ char *fifo = xasprintf("%s/" EXEC_FIFO, st->dir);
  if (access(fifo, F_OK) == 0)
    return STATUS_CREATED;
  struct cgroup_handle *h = NULL;
  if (open_cg && st->cgroup && st->cgroup[0] &&
      cgroup_open(st->cgroup, &h, NULL) == 0)
    cg = h;
  bool frozen = false;
  if (cg)
    cgroup_is_frozen(cg, &frozen, NULL);
  cgroup_handle_free(h);
  return frozen ? STATUS_PAUSED : STATUS_RUNNING;
}

enum container_status state_status(const struct container_state *st) {
  if (st->creating) {
    /* Before the init exists, the creator is what is alive or not; after,
     * the init (a killed creator's init exits once its socket closes). */
    if (st->pid <= 0)
      return proc_alive(st->creator, st->creator_start) ? STATUS_CREATING
                                                         : STATUS_STOPPED;
    return state_init_alive(st) ? STATUS_CREATING : STATUS_STOPPED;
  }
  if (st->pid <= 0)
    return STATUS_STOPPED;
  if (!state_init_alive(st))
    return STATUS_STOPPED;
  return status_alive(st, NULL, true);
}

enum container_status state_status_live(const struct container_state *st,
                                        struct cgroup_handle *cg) {
  if (st->creating)
    return STATUS_CREATING;
  return status_alive(st, cg, false);
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

/* Not named after the id: an id may be NAME_MAX long already. */
static char *side_name(const char *root, const char *what) {
  return xasprintf("%s/.%s.%d", root, what, (int)getpid());
}

int state_claim(const char *root, struct container_state *st,
                const char *config_name, const char *config_text,
                werr_t *err) {
  if (mkdir_p(root, 0711, err) < 0)
    return -1;
  _cleanup_free_ char *tmp = side_name(root, "new");
  _cleanup_free_ char *dir = state_dir(root, st->id);
  if (mkdir(tmp, 0711) < 0)
    return werr_sys(err, "mkdir %s", tmp);
  int lock = -1;
  _cleanup_free_ char *conf = xasprintf("%s/%s", tmp, config_name);
  st->dir = tmp;
  if (write_file_str(conf, config_text, err) < 0 || state_save(st, err) < 0)
    goto fail;
  lock = state_lock(tmp, err);
  if (lock < 0)
    goto fail;
  if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_NOREPLACE) < 0) {
    if (errno == EEXIST || errno == ENOTEMPTY)
      werr_code(err, EEXIST, "container \"%s\" already exists", st->id);
    else
      werr_sys(err, "rename %s to %s", tmp, dir);
    goto fail;
  }
  st->dir = take_ptr(dir);
  return lock;
fail:
  st->dir = NULL;
  if (lock >= 0)
    close(lock);
  rm_rf(tmp, NULL);
  return -1;
}

int state_remove(const struct container_state *st, werr_t *err) {
  _cleanup_free_ char *root = xstrdup(st->dir);
  char *slash = strrchr(root, '/');
  if (slash)
    *slash = '\0';
  _cleanup_free_ char *gone = side_name(root, "del");
  if (rename(st->dir, gone) < 0) {
    if (errno == ENOENT)
      return 0;
    return werr_sys(err, "rename %s", st->dir);
  }
  return rm_rf(gone, err);
}

void state_sweep(const char *root, const char *id) {
  DIR *d = opendir(root);
  if (d == NULL)
    return;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    const char *s = de->d_name;
    if (strncmp(s, ".new.", 5) != 0 && strncmp(s, ".del.", 5) != 0)
      continue;
    char *end = NULL;
    long pid = strtol(s + 5, &end, 10);
    if (end == s + 5 || *end || pid <= 0)
      continue;
    if (kill((pid_t)pid, 0) == 0 || errno == EPERM)
      continue; /* its ward is still at work */
    _cleanup_free_ char *p = xasprintf("%s/%s", root, s);
    rm_rf(p, NULL);
  }
  closedir(d);
  _cleanup_free_ char *dir = state_dir(root, id);
  _cleanup_free_ char *rec = xasprintf("%s/" STATE_FILE, dir);
  if (access(dir, F_OK) == 0 && access(rec, F_OK) < 0 && errno == ENOENT)
    rm_rf(dir, NULL);
}
