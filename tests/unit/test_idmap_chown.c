/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ward.idmap.chown: the record format, id shifting, and (as root) a real
 * shift of a small tree: setuid bits, hard links, symlinks not followed,
 * file capabilities moved to the new root, no second shift for the same
 * map, re-shift on a changed map. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "idmap_chown.h"

#include "unit.h"
#define B 1000000u
#define C 2000000u

static void test_record(void) {
  struct spec_idmap u[2] = {{0, B, 1000}, {1000, 1000, 1}};
  struct spec_idmap g[1] = {{0, B, 65536}};
  struct spec_idmaps um = {u, 2}, gm = {g, 1};
  char *s = idmap_chown_record(&um, &gm);
  CHECK(strcmp(s, "uid 0:1000000:1000,1000:1000:1 gid 0:1000000:65536") == 0);
  struct spec_idmaps pu, pg;
  CHECK(idmap_chown_parse_record(s, &pu, &pg) == 0);
  CHECK(pu.len == 2 && pu.items[1].containerID == 1000 &&
        pu.items[1].size == 1);
  CHECK(pg.len == 1 && pg.items[0].size == 65536);
  free(pu.items);
  free(pg.items);
  free(s);
  CHECK(idmap_chown_parse_record("uid 0:1:2 gid x", &pu, &pg) == -1);
  CHECK(idmap_chown_parse_record("garbage", &pu, &pg) == -1);
}

static void test_shift_id(void) {
  struct spec_idmap o[1] = {{0, B, 65536}},
                    n[2] = {{0, C, 1000}, {1000, 1000, 1}};
  struct spec_idmaps old = {o, 1}, new_ = {n, 2};
  uint32_t x;
  /* Never shifted: on-disk ids are container ids. */
  CHECK(idmap_chown_shift_id(NULL, &old, 0, &x) && x == B);
  CHECK(idmap_chown_shift_id(NULL, &old, 65535, &x) && x == B + 65535);
  CHECK(!idmap_chown_shift_id(NULL, &old, 65536, &x));
  /* From one map to another, through the container id. */
  CHECK(idmap_chown_shift_id(&old, &new_, B + 5, &x) && x == C + 5);
  CHECK(idmap_chown_shift_id(&old, &new_, B + 1000, &x) && x == 1000);
  CHECK(!idmap_chown_shift_id(&old, &new_, B + 1001, &x));
  CHECK(!idmap_chown_shift_id(&old, &new_, 0, &x));
}

static char root[256];

static void mk(const char *rel, mode_t mode, uid_t u, gid_t g) {
  char p[512];
  snprintf(p, sizeof(p), "%s/%s", root, rel);
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
  close(fd);
  if (chown(p, u, g) < 0 || chmod(p, mode) < 0)
    perror(p);
}

static struct stat st_of(const char *rel) {
  char p[512];
  struct stat st = {0};
  snprintf(p, sizeof(p), "%s/%s", root, rel);
  if (lstat(p, &st) < 0)
    perror(p);
  return st;
}

static void test_tree(void) {
  if (!unit_as_root("test_idmap_chown: tree test"))
    return;
  snprintf(root, sizeof(root), "/tmp/test_idmap_chown.XXXXXX");
  if (mkdtemp(root) == NULL) {
    failed++;
    return;
  }
  chown(root, 0, 0);
  char p[512], q[512];
  snprintf(p, sizeof(p), "%s/home", root);
  mkdir(p, 0755);
  snprintf(p, sizeof(p), "%s/home/user", root);
  mkdir(p, 0700);
  chown(p, 1000, 1000);
  mk("home/user/file", 0644, 1000, 1000);
  mk("su", 04755, 0, 0);
  mk("sg", 02755, 0, 50);
  mk("far", 0644, 70000, 70000); /* outside the map: left alone */
  mk("linked", 0644, 0, 0);
  snprintf(p, sizeof(p), "%s/linked", root);
  snprintf(q, sizeof(q), "%s/home/hardlink", root);
  link(p, q);
  mk("ping", 0755, 0, 0);
  struct vfs_cap_data v2 = {.magic_etc =
                                VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE};
  v2.data[0].permitted = 1u << CAP_NET_RAW;
  snprintf(p, sizeof(p), "%s/ping", root);
  CHECK(setxattr(p, "security.capability", &v2, XATTR_CAPS_SZ_2, 0) == 0);
  /* A symlink to a host file: the link is shifted, the target is not. */
  mk("victim", 0644, 0, 0);
  snprintf(p, sizeof(p), "%s/victim", root);
  snprintf(q, sizeof(q), "%s/evil", root);
  symlink(p, q);

  struct spec_idmap u1[1] = {{0, B, 65536}};
  struct spec_idmaps m1 = {u1, 1};
  bool changed = false;
  werr_t err = NULL;
  CHECK(idmap_chown_rootfs(root, &m1, &m1, &changed, &err) == 0);
  if (err)
    fprintf(stderr, "%s\n", err->msg);
  CHECK(changed);
  CHECK(st_of("").st_uid == B && st_of("").st_gid == B);
  CHECK(st_of("home/user").st_uid == B + 1000);
  CHECK(st_of("home/user/file").st_uid == B + 1000 &&
        st_of("home/user/file").st_gid == B + 1000);
  CHECK(st_of("su").st_uid == B && (st_of("su").st_mode & 07777) == 04755);
  CHECK(st_of("sg").st_gid == B + 50 && (st_of("sg").st_mode & 07777) == 02755);
  CHECK(st_of("far").st_uid == 70000);
  CHECK(st_of("linked").st_uid == B); /* once, not twice */
  CHECK(st_of("evil").st_uid == B);
  /* "victim" itself is in the tree too, so it is shifted once like any
   * file; the point is that the symlink did not shift it a second time. */
  CHECK(st_of("victim").st_uid == B);
  struct vfs_ns_cap_data v3 = {0};
  snprintf(p, sizeof(p), "%s/ping", root);
  ssize_t n = getxattr(p, "security.capability", &v3, sizeof(v3));
  CHECK(n == XATTR_CAPS_SZ_3);
  CHECK((v3.magic_etc & VFS_CAP_REVISION_MASK) == VFS_CAP_REVISION_3);
  CHECK(v3.rootid == B);
  CHECK(v3.data[0].permitted == (1u << CAP_NET_RAW));
  char rec[256];
  n = getxattr(root, IDMAP_CHOWN_XATTR, rec, sizeof(rec) - 1);
  CHECK(n > 0);
  rec[n > 0 ? n : 0] = '\0';
  CHECK(strcmp(rec, "uid 0:1000000:65536 gid 0:1000000:65536") == 0);

  /* Same map again: nothing to do (a file changed by hand stays). */
  mk("fresh", 0644, 0, 0);
  CHECK(idmap_chown_rootfs(root, &m1, &m1, &changed, &err) == 0);
  CHECK(!changed);
  CHECK(st_of("fresh").st_uid == 0);

  /* A new map: from the recorded one to it. */
  struct spec_idmap u2[2] = {{0, C, 1000}, {1000, 1000, 1}};
  struct spec_idmaps m2 = {u2, 2};
  CHECK(idmap_chown_rootfs(root, &m2, &m2, &changed, &err) == 0);
  CHECK(changed);
  CHECK(st_of("").st_uid == C);
  CHECK(st_of("home/user/file").st_uid == 1000);
  CHECK(st_of("su").st_uid == C && (st_of("su").st_mode & 07777) == 04755);
  CHECK(st_of("linked").st_uid == C);
  CHECK(st_of("fresh").st_uid == 0); /* not in the old map: untouched */
  n = getxattr(p, "security.capability", &v3, sizeof(v3));
  CHECK(n == XATTR_CAPS_SZ_3 && v3.rootid == C);
  werr_free(&err);

  /* Not a directory. */
  snprintf(p, sizeof(p), "%s/su", root);
  CHECK(idmap_chown_rootfs(p, &m1, &m1, &changed, &err) == -1);
  CHECK(err && strstr(err->msg, "/su: Not a directory") == NULL &&
        strstr(err->msg, "open "));
  werr_free(&err);

  snprintf(p, sizeof(p), "rm -rf '%s'", root);
  if (system(p) != 0)
    failed++;
}

int main(void) {
  test_record();
  test_shift_id();
  test_tree();
  return unit_summary("test_idmap_chown");
}
