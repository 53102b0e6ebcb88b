/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "idmap_chown.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "idmap_raw.h"

static void append(char **buf, size_t *len, size_t *cap, const char *s) {
  size_t n = strlen(s);
  if (*len + n + 1 > *cap) {
    *cap = (*len + n + 1) * 2;
    char *p = realloc(*buf, *cap);
    if (p == NULL)
      abort();
    *buf = p;
  }
  memcpy(*buf + *len, s, n + 1);
  *len += n;
}

char *idmap_chown_record(const struct spec_idmaps *uid,
                         const struct spec_idmaps *gid) {
  char *buf = NULL;
  size_t len = 0, cap = 0;
  for (int k = 0; k < 2; k++) {
    const struct spec_idmaps *m = k ? gid : uid;
    append(&buf, &len, &cap, k ? " gid " : "uid ");
    for (size_t i = 0; i < m->len; i++) {
      char item[48];
      snprintf(item, sizeof(item), "%s%u:%u:%u", i ? "," : "",
               m->items[i].containerID, m->items[i].hostID, m->items[i].size);
      append(&buf, &len, &cap, item);
    }
  }
  return buf;
}

static int parse_map(const char *s, size_t len, struct spec_idmaps *m) {
  *m = (struct spec_idmaps){0};
  size_t n = len ? 1 : 0;
  for (size_t i = 0; i < len; i++)
    n += s[i] == ',';
  if (n == 0)
    return 0;
  m->items = calloc(n, sizeof(*m->items));
  if (m->items == NULL)
    abort();
  const char *p = s, *end = s + len;
  while (p < end) {
    unsigned c, h, z;
    int used = 0;
    if (sscanf(p, "%u:%u:%u%n", &c, &h, &z, &used) != 3 || used == 0)
      goto bad;
    m->items[m->len++] = (struct spec_idmap){c, h, z};
    p += used;
    if (p < end && *p != ',')
      goto bad;
    if (p < end)
      p++;
  }
  return 0;
bad:
  free(m->items);
  *m = (struct spec_idmaps){0};
  return -1;
}

int idmap_chown_parse_record(const char *s, struct spec_idmaps *uid,
                             struct spec_idmaps *gid) {
  if (strncmp(s, "uid ", 4) != 0)
    return -1;
  const char *g = strstr(s, " gid ");
  if (g == NULL)
    return -1;
  if (parse_map(s + 4, (size_t)(g - (s + 4)), uid) < 0)
    return -1;
  if (parse_map(g + 5, strlen(g + 5), gid) < 0) {
    free(uid->items);
    *uid = (struct spec_idmaps){0};
    return -1;
  }
  return 0;
}

bool idmap_chown_shift_id(const struct spec_idmaps *old,
                          const struct spec_idmaps *new_, uint32_t id,
                          uint32_t *out) {
  uint32_t c = id;
  if (old && !idmap_map_to_container(old, id, &c))
    return false;
  return idmap_map_to_host(new_, c, out);
}

struct shift {
  const struct spec_idmaps *old_uid, *old_gid, *uid, *gid;
  dev_t dev;
  void *seen; /* tsearch tree of inodes with several links */
  unsigned long changed, skipped;
  const char *rootfs;
};

static int cmp_ino(const void *a, const void *b) {
  ino_t x = *(const ino_t *)a, y = *(const ino_t *)b;
  return x < y ? -1 : x > y;
}

/* Has this multiply-linked inode been shifted already (via another name)?
 * Shifting it twice would move it twice. */
static bool seen_before(struct shift *s, const struct stat *st) {
  if (S_ISDIR(st->st_mode) || st->st_nlink < 2)
    return false;
  ino_t *key = malloc(sizeof(*key));
  if (key == NULL)
    abort();
  *key = st->st_ino;
  ino_t **found = tsearch(key, &s->seen, cmp_ino);
  if (found == NULL)
    abort();
  if (*found != key) {
    free(key);
    return true;
  }
  return false;
}

/* File capabilities carry the uid of the namespace root they belong to
 * (v3) and chown drops them: put them back, moved to the new root. */
static int restore_fcaps(struct shift *s, int dfd, const char *name,
                         const struct vfs_ns_cap_data *caps, ssize_t len,
                         werr_t *err) {
  struct vfs_ns_cap_data v3;
  memset(&v3, 0, sizeof(v3));
  memcpy(&v3, caps, (size_t)len < sizeof(v3) ? (size_t)len : sizeof(v3));
  uint32_t rev = caps->magic_etc & VFS_CAP_REVISION_MASK;
  uint32_t rootid = rev == VFS_CAP_REVISION_3 ? caps->rootid : 0;
  uint32_t newroot;
  if (!idmap_chown_shift_id(s->old_uid, s->uid, rootid, &newroot))
    newroot = rootid;
  v3.magic_etc =
      VFS_CAP_REVISION_3 | (caps->magic_etc & VFS_CAP_FLAGS_EFFECTIVE);
  v3.rootid = newroot;
  /* Writing through /proc/self/fd keeps us on this inode (no path walk
   * through names the container could have planted). */
  _cleanup_close_ int fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  char proc[64];
  if (fd < 0)
    return werr_sys(err, "open %s/.../%s", s->rootfs, name);
  snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
  if (setxattr(proc, "security.capability", &v3, sizeof(v3), 0) < 0)
    return werr_sys(err, "restore file capabilities of %s/.../%s", s->rootfs,
                    name);
  return 0;
}

static int shift_one(struct shift *s, int dfd, const char *name,
                     const struct stat *st, werr_t *err) {
  if (seen_before(s, st))
    return 0;
  uint32_t nu = st->st_uid, ng = st->st_gid;
  bool mu = idmap_chown_shift_id(s->old_uid, s->uid, st->st_uid, &nu);
  bool mg = idmap_chown_shift_id(s->old_gid, s->gid, st->st_gid, &ng);
  if (!mu || !mg)
    s->skipped++;
  if (nu == st->st_uid && ng == st->st_gid)
    return 0;
  /* Read what chown drops: file capabilities (setuid bits come from st). */
  struct vfs_ns_cap_data caps;
  ssize_t caplen = -1;
  if (S_ISREG(st->st_mode)) {
    _cleanup_close_ int fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    char proc[64];
    if (fd >= 0) {
      snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
      caplen = getxattr(proc, "security.capability", &caps, sizeof(caps));
    }
  }
  if (fchownat(dfd, name, nu, ng, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) < 0)
    return werr_sys(err, "chown %s/.../%s to %u:%u", s->rootfs,
                    *name ? name : ".", nu, ng);
  s->changed++;
  if (!S_ISLNK(st->st_mode) && (st->st_mode & (S_ISUID | S_ISGID)) &&
      (*name ? fchmodat(dfd, name, st->st_mode & 07777, 0)
             : fchmod(dfd, st->st_mode & 07777)) < 0)
    return werr_sys(err, "chmod %s/.../%s", s->rootfs, name);
  if (caplen >= (ssize_t)XATTR_CAPS_SZ_2 &&
      restore_fcaps(s, dfd, name, &caps, caplen, err) < 0)
    return -1;
  return 0;
}

static int walk(struct shift *s, int dfd, int depth, werr_t *err) {
  if (depth > 4096)
    return werr_code(err, ELOOP, "%s: directory tree too deep", s->rootfs);
  int dup_fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
  if (dup_fd < 0)
    return werr_sys(err, "dup");
  DIR *d = fdopendir(dup_fd);
  if (d == NULL) {
    close(dup_fd);
    return werr_sys(err, "opendir in %s", s->rootfs);
  }
  int rc = 0;
  struct dirent *de;
  errno = 0;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    struct stat st;
    if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT)
        continue;
      rc = werr_sys(err, "stat %s/.../%s", s->rootfs, de->d_name);
      break;
    }
    if (st.st_dev != s->dev)
      continue; /* another filesystem mounted inside: not ours */
    if (shift_one(s, dfd, de->d_name, &st, err) < 0) {
      rc = -1;
      break;
    }
    if (S_ISDIR(st.st_mode)) {
      _cleanup_close_ int child = openat(
          dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (child < 0) {
        rc = werr_sys(err, "open %s/.../%s", s->rootfs, de->d_name);
        break;
      }
      if (walk(s, child, depth + 1, err) < 0) {
        rc = -1;
        break;
      }
    }
    errno = 0;
  }
  if (rc == 0 && errno != 0)
    rc = werr_sys(err, "readdir in %s", s->rootfs);
  closedir(d);
  return rc;
}

static bool maps_equal(const struct spec_idmaps *a,
                       const struct spec_idmaps *b) {
  if (a->len != b->len)
    return false;
  for (size_t i = 0; i < a->len; i++)
    if (a->items[i].containerID != b->items[i].containerID ||
        a->items[i].hostID != b->items[i].hostID ||
        a->items[i].size != b->items[i].size)
      return false;
  return true;
}

int idmap_chown_rootfs(const char *rootfs, const struct spec_idmaps *uid,
                       const struct spec_idmaps *gid, bool *changed,
                       werr_t *err) {
  *changed = false;
  _cleanup_close_ int fd =
      open(rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return werr_sys(err, "open %s", rootfs);
  _cleanup_free_ char *want = idmap_chown_record(uid, gid);
  char have[8192];
  ssize_t n = fgetxattr(fd, IDMAP_CHOWN_XATTR, have, sizeof(have) - 1);
  struct spec_idmaps old_uid = {0}, old_gid = {0};
  bool has_old = false;
  if (n >= 0) {
    have[n] = '\0';
    if (strcmp(have, want) == 0)
      return 0; /* already shifted to this very map */
    if (idmap_chown_parse_record(have, &old_uid, &old_gid) < 0)
      return werr_code(err, EINVAL,
                       "%s: unreadable " IDMAP_CHOWN_XATTR
                       " record \"%s\"; remove "
                       "it if the tree holds container ids",
                       rootfs, have);
    has_old = true;
  } else if (errno != ENODATA) {
    if (errno == ENOTSUP)
      return werr_sys(err,
                      "ward.idmap.chown: %s cannot record its shift in "
                      "the " IDMAP_CHOWN_XATTR " xattr",
                      rootfs);
    return werr_sys(err, "read " IDMAP_CHOWN_XATTR " of %s", rootfs);
  }
  if (has_old && maps_equal(&old_uid, uid) && maps_equal(&old_gid, gid)) {
    free(old_uid.items);
    free(old_gid.items);
    return 0;
  }
  struct stat st;
  if (fstat(fd, &st) < 0) {
    free(old_uid.items);
    free(old_gid.items);
    return werr_sys(err, "stat %s", rootfs);
  }
  struct shift s = {
      .old_uid = has_old ? &old_uid : NULL,
      .old_gid = has_old ? &old_gid : NULL,
      .uid = uid,
      .gid = gid,
      .dev = st.st_dev,
      .rootfs = rootfs,
  };
  int rc = shift_one(&s, fd, "", &st, err);
  if (rc == 0)
    rc = walk(&s, fd, 0, err);
  tdestroy(s.seen, free);
  free(old_uid.items);
  free(old_gid.items);
  if (rc < 0)
    return werr_prefix(err, "ward.idmap.chown");
  /* Recorded only once the whole tree is done: a rerun after an
   * interruption starts from the same old map and leaves the files already
   * moved alone (their new ids lie outside the old host range). */
  if (fsetxattr(fd, IDMAP_CHOWN_XATTR, want, strlen(want), 0) < 0)
    return werr_sys(err, "ward.idmap.chown: record the shift on %s", rootfs);
  *changed = true;
  return 0;
}
