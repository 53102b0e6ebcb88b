/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Is a recorded range still in use?  The kernel knows: every process's
 * /proc/PID/uid_map and gid_map say which host ids its user namespace
 * maps.  The registry drops an entry only when none maps its ids. */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "idmap_raw.h"
#include "idmap_registry.h"

bool idmap_map_text_overlaps(const char *text, uint64_t base, uint64_t size) {
  const char *p = text;
  while (p && *p) {
    unsigned long long in, out, cnt;
    /* The whole identity map is the host's own namespace (seen for
     * processes whose ns link ward may not stat), not a container's. */
    if (sscanf(p, "%llu %llu %llu", &in, &out, &cnt) == 3 && cnt > 0 &&
        !(in == 0 && out == 0 && cnt == 4294967295ULL) && size > 0 &&
        out < base + size && base < out + cnt)
      return true;
    p = strchr(p, '\n');
    if (p)
      p++;
  }
  return false;
}

/* Does /proc/PID/FILE map any id of [BASE, BASE+SIZE) on the host side? */
static bool pid_maps(int procfd, const char *pid, const char *file,
                     uint64_t base, uint64_t size) {
  if (size == 0)
    return false;
  char path[300];
  snprintf(path, sizeof(path), "%s/%s", pid, file);
  int fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  char buf[8192];
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  return idmap_map_text_overlaps(buf, base, size);
}

/* A zombie keeps its credentials (and so its maps) until reaped, but runs
 * nothing: what a SIGKILLed container's init looks like for a moment. */
static bool zombie(int procfd, const char *pid) {
  char path[300], buf[512];
  snprintf(path, sizeof(path), "%s/stat", pid);
  int fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return true; /* gone already */
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0)
    return true;
  buf[n] = '\0';
  const char *paren = strrchr(buf, ')');
  if (!paren || (paren[2] != 'Z' && paren[2] != 'X'))
    return false;
  /* A leader that exited before its other threads also reads Z. */
  snprintf(path, sizeof(path), "%s/task", pid);
  int tfd = openat(procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *task = tfd >= 0 ? fdopendir(tfd) : NULL;
  if (task == NULL) {
    if (tfd >= 0)
      close(tfd);
    return true;
  }
  int threads = 0;
  struct dirent *de;
  while ((de = readdir(task)) != NULL)
    threads += de->d_name[0] != '.';
  closedir(task);
  return threads <= 1;
}

int idmap_entry_in_use(const struct idmap_entry *e, pid_t *pid) {
  DIR *proc = opendir("/proc");
  if (proc == NULL)
    return 1; /* cannot prove it unused */
  struct idmap_raw raw = {0};
  /* Raw host ids may be shared by several containers (both 1000 1000): an
   * isolated range alone says whether this one still runs. */
  bool isolated = e->kind && strcmp(e->kind, IDMAP_KIND_ISOLATED) == 0 &&
                  e->uid_size && e->gid_size;
  for (size_t i = 0; !isolated && e->raw && e->raw[i]; i++) {
    struct idmap_raw one = {0};
    werr_t ignore = NULL;
    if (idmap_raw_parse(e->raw[i], &one, &ignore) == 0 && one.len == 1) {
      raw.items = realloc(raw.items, (raw.len + 1) * sizeof(*raw.items));
      if (raw.items == NULL)
        abort();
      raw.items[raw.len++] = one.items[0];
    }
    werr_free(&ignore);
    idmap_raw_free(&one);
  }
  /* Processes in ward's own user namespace map every id to itself. */
  struct stat self_ns;
  bool have_self = stat("/proc/self/ns/user", &self_ns) == 0;
  /* The shared default range is everyone's: only an isolated range or
   * raw ids can be in use by this entry's container alone. */
  bool own = e->kind && strcmp(e->kind, IDMAP_KIND_ISOLATED) == 0;
  uint64_t usize = own ? e->uid_size : 0, gsize = own ? e->gid_size : 0;
  int found = 0;
  struct dirent *de;
  while (!found && (de = readdir(proc)) != NULL) {
    if (!isdigit((unsigned char)de->d_name[0]))
      continue;
    int pfd = dirfd(proc);
    char nsp[300];
    struct stat ns;
    snprintf(nsp, sizeof(nsp), "%s/ns/user", de->d_name);
    if (have_self && fstatat(pfd, nsp, &ns, 0) == 0 &&
        ns.st_ino == self_ns.st_ino && ns.st_dev == self_ns.st_dev)
      continue;
    bool hit = pid_maps(pfd, de->d_name, "uid_map", e->uid_base, usize) ||
               pid_maps(pfd, de->d_name, "gid_map", e->gid_base, gsize);
    for (size_t i = 0; !hit && i < raw.len; i++)
      hit = pid_maps(pfd, de->d_name,
                     idmap_raw_applies(&raw.items[i], true) ? "gid_map"
                                                            : "uid_map",
                     raw.items[i].host, raw.items[i].size) ||
            (raw.items[i].kind == IDMAP_RAW_BOTH &&
             pid_maps(pfd, de->d_name, "uid_map", raw.items[i].host,
                      raw.items[i].size));
    if (hit && !zombie(pfd, de->d_name)) {
      found = 1;
      if (pid)
        *pid = (pid_t)atoi(de->d_name);
    }
  }
  closedir(proc);
  idmap_raw_free(&raw);
  return found;
}
