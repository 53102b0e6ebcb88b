/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ward.idmap.raw: parsing, punching through a map (split, adjacent,
 * overlapping, edge ids), and the 340-line limit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idmap_raw.h"

#include "unit.h"
/* Parse TEXT, expect failure whose message contains WANT. */
static void parse_fails(const char *text, const char *want, int line) {
  struct idmap_raw r = {0};
  werr_t err = NULL;
  int rc = idmap_raw_parse(text, &r, &err);
  if (rc == 0 || err == NULL || strstr(err->msg, want) == NULL) {
    failed++;
    fprintf(stderr, "%s:%d: parse(%s): want error with \"%s\", got %s\n",
            __FILE__, line, text, want, err ? err->msg : "success");
  } else {
    passed++;
  }
  CHECK(r.items == NULL);
  werr_free(&err);
}
#define PARSE_FAILS(t, w) parse_fails(t, w, __LINE__)

/* MAP as "c h s," text, for compact comparisons. */
static char *map_text(const struct spec_idmaps *m) {
  static char buf[8192];
  size_t off = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < m->len; i++)
    off +=
        snprintf(buf + off, sizeof(buf) - off, "%s%u %u %u", i ? "," : "",
                 m->items[i].containerID, m->items[i].hostID, m->items[i].size);
  return buf;
}

static struct spec_idmaps one(uint32_t c, uint32_t h, uint32_t s) {
  struct spec_idmaps m = {calloc(1, sizeof(struct spec_idmap)), 1};
  m.items[0] = (struct spec_idmap){c, h, s};
  return m;
}

/* Apply RAW text to a one-line map; compare with WANT_UID/WANT_GID or an
 * error containing WANT_ERR. */
static void apply(const char *raw_text, struct spec_idmaps base,
                  const char *want_uid, const char *want_gid,
                  const char *want_err, int line) {
  struct idmap_raw r = {0};
  werr_t err = NULL;
  struct spec_idmaps u = {malloc(base.len * sizeof(*base.items) + 1), base.len};
  struct spec_idmaps g = {malloc(base.len * sizeof(*base.items) + 1), base.len};
  memcpy(u.items, base.items, base.len * sizeof(*base.items));
  memcpy(g.items, base.items, base.len * sizeof(*base.items));
  int rc = idmap_raw_parse(raw_text, &r, &err);
  if (rc == 0)
    rc = idmap_raw_apply(&u, &r, false, "linux.uidMappings", &err);
  if (rc == 0)
    rc = idmap_raw_apply(&g, &r, true, "linux.gidMappings", &err);
  if (want_err) {
    if (rc == 0 || strstr(err->msg, want_err) == NULL) {
      failed++;
      fprintf(stderr, "%s:%d: want error \"%s\", got %s\n", __FILE__, line,
              want_err, rc ? err->msg : "success");
    } else
      passed++;
  } else if (rc != 0) {
    failed++;
    fprintf(stderr, "%s:%d: unexpected error %s\n", __FILE__, line, err->msg);
  } else {
    char ut[8192];
    snprintf(ut, sizeof(ut), "%s", map_text(&u));
    if (want_uid &&
        (strcmp(ut, want_uid) != 0 || strcmp(map_text(&g), want_gid) != 0)) {
      failed++;
      fprintf(stderr, "%s:%d: uid %s (want %s) gid %s (want %s)\n", __FILE__,
              line, ut, want_uid, map_text(&g), want_gid);
    } else
      passed++;
  }
  werr_free(&err);
  idmap_raw_free(&r);
  free(u.items);
  free(g.items);
  free(base.items);
}
#define APPLY(raw, base, u, g) apply(raw, base, u, g, NULL, __LINE__)
#define APPLY_FAILS(raw, base, e) apply(raw, base, NULL, NULL, e, __LINE__)

#define B 1000000u

static void test_parse_ok(void) {
  struct idmap_raw r = {0};
  werr_t err = NULL;
  CHECK(idmap_raw_parse("both 1000 1000\n\n  uid 2000-2009 10-19 \r\ngid 0 "
                        "4294967294\n",
                        &r, &err) == 0);
  CHECK(r.len == 3);
  CHECK(r.items[0].kind == IDMAP_RAW_BOTH && r.items[0].host == 1000 &&
        r.items[0].container == 1000 && r.items[0].size == 1 &&
        r.items[0].line == 1);
  CHECK(r.items[1].kind == IDMAP_RAW_UID && r.items[1].host == 2000 &&
        r.items[1].container == 10 && r.items[1].size == 10 &&
        r.items[1].line == 3);
  CHECK(r.items[2].kind == IDMAP_RAW_GID &&
        r.items[2].container == 4294967294u && r.items[2].line == 4);
  char *s = idmap_raw_format(&r.items[1]);
  CHECK(strcmp(s, "uid 2000-2009 10-19") == 0);
  free(s);
  s = idmap_raw_format(&r.items[0]);
  CHECK(strcmp(s, "both 1000 1000") == 0);
  free(s);
  CHECK(idmap_raw_applies(&r.items[0], true) &&
        idmap_raw_applies(&r.items[0], false));
  CHECK(idmap_raw_applies(&r.items[1], false) &&
        !idmap_raw_applies(&r.items[1], true));
  idmap_raw_free(&r);
  /* Empty and blank-only text is no entries. */
  CHECK(idmap_raw_parse("", &r, &err) == 0 && r.len == 0);
  CHECK(idmap_raw_parse("\n  \n", &r, &err) == 0 && r.len == 0);
  /* Same host id to uid and gid maps separately is fine. */
  CHECK(idmap_raw_parse("uid 1000 0\ngid 1000 0", &r, &err) == 0 && r.len == 2);
  idmap_raw_free(&r);
}

static void test_parse_errors(void) {
  PARSE_FAILS("both 1000", "ward.idmap.raw line 1: \"both 1000\": want");
  PARSE_FAILS("both 1000 1000 1", "line 1:");
  PARSE_FAILS("\n\nuser 1000 1000",
              "ward.idmap.raw line 3: \"user\": unknown kind");
  PARSE_FAILS("both x 1000", "line 1: host ids \"x\"");
  PARSE_FAILS("both 1000 -1", "line 1: container ids \"-1\"");
  PARSE_FAILS("both +5 5", "host ids \"+5\"");
  PARSE_FAILS("both 1000-999 0-1",
              "line 1: host range \"1000-999\" ends before it starts");
  PARSE_FAILS("both 1000-1009 0-8", "line 1: 10 host ids but 9 container ids");
  PARSE_FAILS("both 4294967295 0", "host ids \"4294967295\"");
  PARSE_FAILS("both 0 99999999999", "container ids");
  PARSE_FAILS("both 1000-1001 0-1\nuid 2000 1",
              "line 2: container ids overlap line 1");
  PARSE_FAILS("uid 1000 0\nboth 1000 5", "line 2: host ids overlap line 1");
  PARSE_FAILS("both 1000 1000\nboth 1000 1000",
              "line 2: container ids overlap line 1");
  PARSE_FAILS("both 1000 1000\n\tbad", "line 2:");
}

static void test_punch_issue_example(void) {
  APPLY("both 1000 1000", one(0, B, 65536),
        "0 1000000 1000,1000 1000 1,1001 1001001 64535",
        "0 1000000 1000,1000 1000 1,1001 1001001 64535");
}

static void test_punch_edges(void) {
  /* First and last container ids of the range. */
  APPLY("both 5000 0", one(0, B, 65536), "0 5000 1,1 1000001 65535",
        "0 5000 1,1 1000001 65535");
  APPLY("both 5000 65535", one(0, B, 65536), "0 1000000 65535,65535 5000 1",
        "0 1000000 65535,65535 5000 1");
  /* The whole range replaced. */
  APPLY("both 5000-70535 0-65535", one(0, B, 65536), "0 5000 65536",
        "0 5000 65536");
  /* Outside the range: simply added. */
  APPLY("uid 5000 70000", one(0, B, 65536), "0 1000000 65536,70000 5000 1",
        "0 1000000 65536");
  /* Overlapping the end of the range: the range is cut, the entry added. */
  APPLY("gid 5000-5009 65530-65539", one(0, B, 65536), "0 1000000 65536",
        "0 1000000 65530,65530 5000 10");
  /* The largest container id. */
  APPLY("both 7 4294967294", one(0, B, 65536), "0 1000000 65536,4294967294 7 1",
        "0 1000000 65536,4294967294 7 1");
}

static void test_punch_adjacent(void) {
  /* Two adjacent entries: no empty segment between them. */
  APPLY("both 1000 1000\nboth 2000 1001", one(0, B, 65536),
        "0 1000000 1000,1000 1000 1,1001 2000 1,1002 1001002 64534",
        "0 1000000 1000,1000 1000 1,1001 2000 1,1002 1001002 64534");
  /* Contiguous on both sides: merged into one line. */
  APPLY("both 1000-1001 1000-1001\nboth 1002 1002", one(0, B, 65536),
        "0 1000000 1000,1000 1000 3,1003 1001003 64533",
        "0 1000000 1000,1000 1000 3,1003 1001003 64533");
  /* A raw entry mapping ids onto themselves leaves the map as it was. */
  APPLY("both 1001000 1000", one(0, B, 65536), "0 1000000 65536",
        "0 1000000 65536");
}

static void test_punch_multi_segment(void) {
  /* Raw on top of explicit OCI maps spanning two lines. */
  struct spec_idmaps m = {calloc(2, sizeof(struct spec_idmap)), 2};
  m.items[0] = (struct spec_idmap){0, 100000, 10};
  m.items[1] = (struct spec_idmap){10, 200000, 10};
  APPLY("uid 1000-1003 8-11", m, "0 100000 8,8 1000 4,12 200002 8",
        "0 100000 10,10 200000 10");
}

static void test_host_collisions(void) {
  /* A raw host id already mapped by the range itself (elsewhere). */
  APPLY_FAILS("both 1000005 3", one(0, B, 65536),
              "ward.idmap.raw line 1: host uid 1000005 is already mapped");
  APPLY_FAILS("gid 1000005 3", one(0, B, 65536),
              "ward.idmap.raw line 1: host gid 1000005 is already mapped");
}

static void test_line_limit(void) {
  /* Every other id punched: 169 entries make 339 lines -> fine; 170 make
   * 341 -> too many for the kernel. */
  char *text = malloc(170 * 40);
  size_t off = 0;
  for (int i = 0; i < 169; i++)
    off += sprintf(text + off, "both %d %d\n", 10 + i, 1 + 2 * i);
  APPLY(text, one(0, B, 65536), NULL, NULL);
  off += sprintf(text + off, "both %d %d\n", 10 + 169, 1 + 2 * 169);
  APPLY_FAILS(text, one(0, B, 65536),
              "linux.uidMappings: 341 lines, the kernel accepts at most 340");
  free(text);
}

static void test_map_check(void) {
  werr_t err = NULL;
  struct spec_idmaps m = one(0, B, 65536);
  CHECK(idmap_map_check(&m, "linux.uidMappings", &err) == 0);
  free(m.items);
  struct spec_idmap two[2] = {{0, 100, 10}, {5, 1000, 10}};
  m = (struct spec_idmaps){two, 2};
  CHECK(idmap_map_check(&m, "linux.uidMappings", &err) == -1);
  CHECK(err && strstr(err->msg, "container id 5 is mapped twice"));
  two[1] = (struct spec_idmap){10, 105, 10};
  CHECK(idmap_map_check(&m, "linux.gidMappings", &err) == -1);
  CHECK(err &&
        strstr(err->msg, "linux.gidMappings: host id 105 is mapped twice"));
  two[1] = (struct spec_idmap){10, 4294967290u, 10};
  CHECK(idmap_map_check(&m, "linux.uidMappings", &err) == -1);
  CHECK(err && strstr(err->msg, "runs past the largest id"));
  struct spec_idmap *big = calloc(341, sizeof(*big));
  for (int i = 0; i < 341; i++)
    big[i] = (struct spec_idmap){i, 1000 + i * 2, 1};
  m = (struct spec_idmaps){big, 340};
  CHECK(idmap_map_check(&m, "linux.uidMappings", &err) == 0);
  m.len = 341;
  CHECK(idmap_map_check(&m, "linux.uidMappings", &err) == -1);
  CHECK(err && strcmp(err->msg, "linux.uidMappings: 341 lines, the kernel "
                                "accepts at most 340") == 0);
  free(big);
  werr_free(&err);
}

static void test_lookup(void) {
  struct spec_idmap l[3] = {
      {0, B, 1000}, {1000, 1000, 1}, {1001, B + 1001, 64535}};
  struct spec_idmaps m = {l, 3};
  uint32_t x;
  CHECK(idmap_map_to_container(&m, 1000, &x) && x == 1000);
  CHECK(idmap_map_to_container(&m, B + 1001, &x) && x == 1001);
  CHECK(!idmap_map_to_container(&m, B + 1000, &x));
  CHECK(!idmap_map_to_container(&m, 0, &x));
  CHECK(idmap_map_to_host(&m, 65535, &x) && x == B + 65535);
  CHECK(!idmap_map_to_host(&m, 65536, &x));
}

int main(void) {
  test_parse_ok();
  test_parse_errors();
  test_punch_issue_example();
  test_punch_edges();
  test_punch_adjacent();
  test_punch_multi_segment();
  test_host_collisions();
  test_line_limit();
  test_map_check();
  test_lookup();
  return unit_summary("test_idmap_raw");
}
