/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /etc/subuid + /etc/subgid + newuidmap/newgidmap rules (pure part). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idmap_shadow.h"

#include "unit.h"
static struct idmap_shadow_probe probe(int su, int sg, int nu, int ng,
                                       const char *tu, const char *tg) {
  struct idmap_shadow_probe p = {
      su, sg, nu, ng, su ? (char *)tu : NULL, sg ? (char *)tg : NULL};
  return p;
}

/* decide() must fail with exactly WANT. */
static void decide_fails(struct idmap_shadow_probe p, const char *want,
                         int line) {
  struct idmap_shadow s;
  werr_t err = NULL;
  int rc = idmap_shadow_decide(&p, "root", "0", &s, &err);
  if (rc == 0 || strcmp(err->msg, want) != 0) {
    failed++;
    fprintf(stderr, "%s:%d:\n  want %s\n  got  %s\n", __FILE__, line, want,
            rc ? err->msg : "success");
  } else
    passed++;
  werr_free(&err);
}
#define DECIDE_FAILS(p, w) decide_fails(p, w, __LINE__)

static void test_parse(void) {
  struct idmap_subids s;
  idmap_subids_parse("alice:100000:65536\nroot:1000000:1000000000\n"
                     "# comment\nroot:1000:1\nbad line\nroot:x:5\n"
                     "0:5000:10\nroot:7:0\nrootx:1:1\n",
                     "root", "0", &s);
  CHECK(s.len == 3);
  CHECK(s.items[0].base == 1000000 && s.items[0].size == 1000000000);
  CHECK(s.items[1].base == 1000 && s.items[1].size == 1);
  CHECK(s.items[2].base == 5000 && s.items[2].size == 10);
  CHECK(s.pool.base == 1000000 && s.pool.size == 1000000000);
  idmap_subids_free(&s);
  idmap_subids_parse("", "root", "0", &s);
  CHECK(s.len == 0 && s.pool.size == 0);
  /* Past the last id. */
  idmap_subids_parse("root:4294967200:96\nroot:4294967200:95\n", "root", "0",
                     &s);
  CHECK(s.len == 1 && s.items[0].size == 95);
  idmap_subids_free(&s);
}

static void test_none_of_four(void) {
  struct idmap_shadow_probe p = probe(0, 0, 0, 0, NULL, NULL);
  struct idmap_shadow s;
  werr_t err = NULL;
  CHECK(idmap_shadow_decide(&p, "root", "0", &s, &err) == 0);
  CHECK(!s.use_files);
  CHECK(s.uid.pool.base == 1000000 && s.uid.pool.size == 1000000000);
  CHECK(s.gid.pool.base == 1000000 && s.gid.pool.size == 1000000000);
  idmap_shadow_free(&s);
}

static void test_broken(void) {
  DECIDE_FAILS(probe(1, 1, 0, 1, "", ""),
               "broken shadow setup: /etc/subuid, /etc/subgid, newgidmap found "
               "but newuidmap missing; user namespaces need all four (or "
               "none, for the default range 1000000-1000999999)");
  DECIDE_FAILS(probe(1, 0, 1, 0, "", ""),
               "broken shadow setup: /etc/subuid, newuidmap found but "
               "/etc/subgid, newgidmap missing; user namespaces need all four "
               "(or none, for the default range 1000000-1000999999)");
  DECIDE_FAILS(probe(0, 0, 1, 1, "", ""),
               "broken shadow setup: newuidmap, newgidmap found but "
               "/etc/subuid, /etc/subgid missing; user namespaces need all "
               "four (or none, for the default range 1000000-1000999999)");
}

static void test_no_range(void) {
  /* This host: files exist, root has nothing. */
  DECIDE_FAILS(probe(1, 1, 1, 1, "", ""),
               "/etc/subuid gives root no subordinate uids, at least 65536 "
               "are needed: add the line \"root:1000000:1000000000\" to "
               "/etc/subuid and /etc/subgid");
  DECIDE_FAILS(probe(1, 1, 1, 1, "root:1000000:1000000000\n", "alice:1:2\n"),
               "/etc/subgid gives root no subordinate gids, at least 65536 "
               "are needed: add the line \"root:1000000:1000000000\" to "
               "/etc/subgid");
}

static void test_short_range(void) {
  DECIDE_FAILS(probe(1, 1, 1, 1, "root:100000:65535\n", "root:100000:65536\n"),
               "/etc/subuid gives root only 65535 subordinate uids "
               "(root:100000:65535), at least 65536 are needed: add the line "
               "\"root:1000000:1000000000\" to /etc/subuid");
  /* The suggestion avoids other users' ranges. */
  DECIDE_FAILS(probe(1, 1, 1, 1, "alice:1000000:65536\nbob:1065536:100\n", ""),
               "/etc/subuid gives root no subordinate uids, at least 65536 "
               "are needed: add the line \"root:1114112:1000000000\" to "
               "/etc/subuid and \"root:1000000:1000000000\" to /etc/subgid");
  /* Near the top of the id space the suggestion shrinks to fit. */
  DECIDE_FAILS(
      probe(1, 1, 1, 1, "alice:1000:4294000000\n", "root:1000000:1000000000\n"),
      "/etc/subuid gives root no subordinate uids, at least 65536 "
      "are needed: add the line \"root:4294049792:917503\" to "
      "/etc/subuid");
}

static void test_good(void) {
  struct idmap_shadow_probe p =
      probe(1, 1, 1, 1, "root:1000:1\nroot:1000000:1000000000\n",
            "0:2000000:65536\nroot:1000:1\n");
  struct idmap_shadow s;
  werr_t err = NULL;
  CHECK(idmap_shadow_decide(&p, "root", "0", &s, &err) == 0);
  CHECK(s.use_files);
  CHECK(s.uid.pool.base == 1000000 && s.uid.pool.size == 1000000000);
  CHECK(s.gid.pool.base == 2000000 && s.gid.pool.size == 65536);
  CHECK(s.uid.len == 2 && s.gid.len == 2);

  struct idmap_raw raw = {0};
  CHECK(idmap_raw_parse("both 1000 1000", &raw, &err) == 0);
  CHECK(idmap_shadow_check_raw(&s, "root", &raw, &err) == 0);
  idmap_raw_free(&raw);
  CHECK(idmap_raw_parse("both 1000 1000\nuid 1001 5", &raw, &err) == 0);
  CHECK(idmap_shadow_check_raw(&s, "root", &raw, &err) == -1);
  CHECK(err && strcmp(err->msg, "ward.idmap.raw line 2: host ids 1001-1001 "
                                "are not delegated to root: add the line "
                                "\"root:1001:1\" to /etc/subuid") == 0);
  idmap_raw_free(&raw);
  CHECK(idmap_raw_parse("both 1000-1001 1000-1001", &raw, &err) == 0);
  CHECK(idmap_shadow_check_raw(&s, "root", &raw, &err) == -1);
  CHECK(err &&
        strstr(err->msg, "\"root:1000:2\" to /etc/subuid and /etc/subgid"));
  idmap_raw_free(&raw);
  /* An unprivileged user's own id is always allowed (newuidmap agrees). */
  s.has_self = true;
  s.self_uid = s.self_gid = 1001;
  CHECK(idmap_raw_parse("both 1001 0", &raw, &err) == 0);
  CHECK(idmap_shadow_check_raw(&s, "root", &raw, &err) == 0);
  s.has_self = false;
  CHECK(idmap_shadow_check_raw(&s, "root", &raw, &err) == -1);
  idmap_raw_free(&raw);
  /* Inside the big pool is delegated too. */
  CHECK(idmap_raw_parse("uid 2000000 1000", &raw, &err) == 0);
  CHECK(idmap_shadow_check_raw(&s, "root", &raw, &err) == 0);
  idmap_raw_free(&raw);
  idmap_shadow_free(&s);

  /* Without shadow files any raw id goes. */
  p = probe(0, 0, 0, 0, NULL, NULL);
  CHECK(idmap_shadow_decide(&p, "root", "0", &s, &err) == 0);
  CHECK(idmap_raw_parse("both 1000 1000", &raw, &err) == 0);
  CHECK(idmap_shadow_check_raw(&s, "root", &raw, &err) == 0);
  idmap_raw_free(&raw);
  idmap_shadow_free(&s);
  werr_free(&err);
}

int main(void) {
  test_parse();
  test_none_of_four();
  test_broken();
  test_no_range();
  test_short_range();
  test_good();
  return unit_summary("test_idmap_shadow");
}
