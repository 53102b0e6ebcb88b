/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What ward keeps beside CRIU's images: written and read back whole, and a
 * directory without it refused in one line. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "checkpoint.h"
#include "config.h"
#include "unit.h"
#include "utils.h"

static void test_roundtrip(const char *dir) {
  struct ckpt_ext_mount mounts[2] = {{.key = "/sys/fs/cgroup/cpu",
                                      .source = "/sys/fs/cgroup/cpu/ward/a",
                                      .cg_base = "/sys/fs/cgroup/cpu"},
                                     {.key = "/data", .source = "/srv/da\"ta"}};
  struct ckpt_meta m = {.mounts = mounts,
                        .n_mounts = 2,
                        .stdio = {"file[18:3]", "pipe:[77]", NULL},
                        .cgroup = "/ward/a",
                        .uid_map = "         0    1065536      65536\n",
                        .gid_map = "         0    1065536      65536\n",
                        .idmap_kind = "isolated"};
  werr_t err = NULL;
  CHECK(ckpt_meta_save(dir, &m, &err) == 0);
  struct ckpt_meta r = {0};
  CHECK(ckpt_meta_load(dir, &r, &err) == 0);
  CHECK(r.n_mounts == 2);
  if (r.n_mounts == 2) {
    CHECK_STR(r.mounts[0].key, "/sys/fs/cgroup/cpu");
    CHECK_STR(r.mounts[0].cg_base, "/sys/fs/cgroup/cpu");
    CHECK_STR(r.mounts[1].source, "/srv/da\"ta");
    CHECK(r.mounts[1].cg_base == NULL);
  }
  CHECK_STR(r.stdio[0], "file[18:3]");
  CHECK_STR(r.stdio[1], "pipe:[77]");
  CHECK(r.stdio[2] == NULL);
  CHECK_STR(r.cgroup, "/ward/a");
  CHECK_STR(r.uid_map, m.uid_map);
  CHECK_STR(r.idmap_kind, "isolated");
  ckpt_meta_free(&r);
  werr_free(&err);
}

static void test_missing(const char *dir) {
  char *empty = xasprintf("%s/empty", dir);
  mkdir(empty, 0700);
  struct ckpt_meta r = {0};
  werr_t err = NULL;
  CHECK(ckpt_meta_load(empty, &r, &err) < 0);
  char *t = err ? werr_text(err) : NULL;
  CHECK(t && strstr(t, "not a complete ward checkpoint") && !strchr(t, '\n'));
  free(t);
  werr_free(&err);
  free(empty);
}

/* userns-N.img as CRIU 4.1 wrote it for "0 1065536 65536" (both maps). */
static const unsigned char userns_img[] = {
    0x19, 0x43, 0x56, 0x54, 0x06, 0x49, 0x47, 0x55, 0x18, 0x00, 0x00, 0x00,
    0x0a, 0x0a, 0x08, 0x00, 0x10, 0xc0, 0x84, 0x41, 0x18, 0x80, 0x80, 0x04,
    0x12, 0x0a, 0x08, 0x00, 0x10, 0xc0, 0x84, 0x41, 0x18, 0x80, 0x80, 0x04};

static void set_maps(struct spec_config *c, struct spec_idmap *m) {
  c->linux_.uidMappings = (struct spec_idmaps){.items = m, .len = 1};
  c->linux_.gidMappings = (struct spec_idmaps){.items = m, .len = 1};
}

static void test_userns_remap(const char *dir) {
  char *sub = xasprintf("%s/userns", dir);
  char *img = xasprintf("%s/userns-14.img", sub);
  mkdir(sub, 0700);
  werr_t err = NULL;
  CHECK(write_file(img, (const char *)userns_img, sizeof(userns_img), &err) ==
        0);
  struct spec_config c = {0};
  struct spec_idmap moved = {
      .containerID = 0, .hostID = 2000000, .size = 65536};
  set_maps(&c, &moved);
  CHECK(ckpt_userns_remap(sub, &c, &err) == 0);
  char *text = NULL;
  size_t len = 0;
  CHECK(read_file(img, &text, &len, &err) == 0);
  /* 2000000 is 0x80 0x89 0x7a as a varint; the framing size follows. */
  CHECK(len == sizeof(userns_img));
  CHECK(text && memmem(text, len, "\x10\x80\x89\x7a", 4) != NULL);
  free(text);
  struct spec_idmap back = {.containerID = 0, .hostID = 1065536, .size = 65536};
  set_maps(&c, &back);
  CHECK(ckpt_userns_remap(sub, &c, &err) == 0);
  CHECK(read_file(img, &text, &len, &err) == 0);
  CHECK(len == sizeof(userns_img) && memcmp(text, userns_img, len) == 0);
  free(text);
  /* No extent of the same size: refused, the file left as it was. */
  struct spec_idmap small = {.containerID = 0, .hostID = 2000000, .size = 1};
  set_maps(&c, &small);
  CHECK(ckpt_userns_remap(sub, &c, &err) < 0);
  CHECK(read_file(img, &text, &len, &err) == 0);
  CHECK(len == sizeof(userns_img) && memcmp(text, userns_img, len) == 0);
  free(text);
  werr_free(&err);
  free(img);
  free(sub);
}

static void test_cg_mode(void) {
  int mode = -1;
  werr_t err = NULL;
  CHECK(ckpt_parse_cg_mode("strict", &mode, &err) == 0 && mode >= 0);
  CHECK(ckpt_parse_cg_mode("loose", &mode, &err) < 0);
  char *t = err ? werr_text(err) : NULL;
  CHECK(t && strstr(t, "soft, full, strict or ignore"));
  free(t);
  werr_free(&err);
}

int main(void) {
  char tmpl[] = "/tmp/ward-ckpt-meta-XXXXXX";
  char *dir = mkdtemp(tmpl);
  CHECK(dir != NULL);
  if (dir) {
    test_roundtrip(dir);
    test_missing(dir);
    test_userns_remap(dir);
    werr_t err = NULL;
    rm_rf(dir, &err);
    werr_free(&err);
  }
  test_cg_mode();
  return unit_summary("test_ckpt_meta");
}
