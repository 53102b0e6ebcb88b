/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The idmap registry (in a private directory): round trip, keys, the flock
 * under 20 concurrent allocators; and the ward.idmap.* annotation parser. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "idmap_alloc.h"
#include "idmap_registry.h"
#include "idmap_request.h"

#include "unit.h"
static char dir[256];

static void test_roundtrip(void) {
  struct idmap_registry *r;
  werr_t err = NULL;
  /* Read-only open of a registry never written: empty, nothing created. */
  char sub[300];
  snprintf(sub, sizeof(sub), "%s/none", dir);
  CHECK(idmap_registry_open(sub, false, &r, &err) == 0 && r->len == 0);
  idmap_registry_close(r);
  CHECK(access(sub, F_OK) < 0);

  CHECK(idmap_registry_open(dir, true, &r, &err) == 0);
  struct idmap_entry *e = idmap_registry_add(r);
  e->root = strdup("/run/ward");
  e->id = strdup("c1");
  e->kind = strdup(IDMAP_KIND_ISOLATED);
  e->uid_base = 1065536, e->uid_size = 65536;
  e->gid_base = 1065536, e->gid_size = 65536;
  e->raw = calloc(2, sizeof(char *));
  e->raw[0] = strdup("both 1000 1000");
  e = idmap_registry_add(r);
  e->key = strdup("web");
  e->kind = strdup(IDMAP_KIND_ISOLATED);
  e->uid_base = 1131072, e->uid_size = 10;
  e->gid_base = 1131072, e->gid_size = 10;
  CHECK(idmap_registry_commit(r, &err) == 0);
  idmap_registry_close(r);

  CHECK(idmap_registry_open(dir, false, &r, &err) == 0);
  CHECK(r->len == 2);
  e = idmap_registry_by_owner(r, "/run/ward", "c1");
  CHECK(e && e->uid_base == 1065536 && e->gid_size == 65536 && e->raw &&
        strcmp(e->raw[0], "both 1000 1000") == 0 && e->raw[1] == NULL);
  CHECK(idmap_registry_by_owner(r, "/other", "c1") == NULL);
  e = idmap_registry_by_key(r, "web");
  CHECK(e && e->id == NULL && e->uid_size == 10);
  char *d = idmap_entry_describe(e);
  CHECK(strcmp(d, "key web") == 0);
  free(d);
  d = idmap_entry_describe(&r->items[0]);
  CHECK(strcmp(d, "container c1 in /run/ward") == 0);
  free(d);
  /* Read-only registries refuse to commit. */
  CHECK(idmap_registry_commit(r, &err) == -1);
  idmap_registry_close(r);

  CHECK(idmap_registry_open(dir, true, &r, &err) == 0);
  idmap_registry_remove(r, idmap_registry_by_owner(r, "/run/ward", "c1"));
  CHECK(r->len == 1 && r->items[0].key && strcmp(r->items[0].key, "web") == 0);
  CHECK(idmap_registry_commit(r, &err) == 0);
  idmap_registry_close(r);
  CHECK(idmap_registry_open(dir, false, &r, &err) == 0 && r->len == 1);
  idmap_registry_remove(r, &r->items[0]);
  idmap_registry_close(r);
  werr_free(&err);
}

static void test_corrupt(void) {
  char sub[300], file[400];
  snprintf(sub, sizeof(sub), "%s/corrupt", dir);
  struct idmap_registry *r;
  werr_t err = NULL;
  CHECK(idmap_registry_open(sub, true, &r, &err) == 0);
  idmap_registry_close(r);
  snprintf(file, sizeof(file), "%s/allocations.json", sub);
  FILE *f = fopen(file, "w");
  fputs("{\"allocations\": [{\"kind\": \"isolated\"}]}", f);
  fclose(f);
  CHECK(idmap_registry_open(sub, false, &r, &err) == -1);
  CHECK(err && strstr(err->msg, "allocations[0]: needs a container or a key"));
  werr_free(&err);
}

/* 20 processes allocate at once; the lock must serialize them. */
static void test_concurrent(void) {
  char sub[300];
  snprintf(sub, sizeof(sub), "%s/conc", dir);
  for (int i = 0; i < 20; i++) {
    if (fork() == 0) {
      struct idmap_registry *r;
      werr_t err = NULL;
      if (idmap_registry_open(sub, true, &r, &err) < 0)
        _exit(1);
      struct idmap_used *used = calloc(r->len + 1, sizeof(*used));
      for (size_t j = 0; j < r->len; j++)
        used[j] = (struct idmap_used){r->items[j].uid_base,
                                      r->items[j].uid_size, "x"};
      uint64_t base;
      if (idmap_alloc_first_fit((struct idmap_range){1000000, 100000000}, used,
                                r->len, 65536, &base, NULL) < 0)
        _exit(2);
      usleep(1000); /* widen the window a missing lock would open */
      struct idmap_entry *e = idmap_registry_add(r);
      char id[16];
      snprintf(id, sizeof(id), "c%d", i);
      e->root = strdup("/r");
      e->id = strdup(id);
      e->kind = strdup(IDMAP_KIND_ISOLATED);
      e->uid_base = e->gid_base = base;
      e->uid_size = e->gid_size = 65536;
      if (idmap_registry_commit(r, &err) < 0)
        _exit(3);
      idmap_registry_close(r);
      _exit(0);
    }
  }
  int ok = 1, status;
  while (wait(&status) > 0)
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      ok = 0;
  CHECK(ok);
  struct idmap_registry *r;
  werr_t err = NULL;
  CHECK(idmap_registry_open(sub, false, &r, &err) == 0);
  CHECK(r->len == 20);
  int disjoint = 1;
  for (size_t a = 0; a < r->len; a++)
    for (size_t b = a + 1; b < r->len; b++)
      if (r->items[a].uid_base == r->items[b].uid_base)
        disjoint = 0;
  CHECK(disjoint);
  idmap_registry_close(r);
}

static int parse(const char *k1, const char *v1, const char *k2, const char *v2,
                 struct idmap_request *rq, werr_t *err) {
  struct kvlist l = {0};
  if (k1)
    kvlist_set(&l, k1, v1);
  if (k2)
    kvlist_set(&l, k2, v2);
  kvlist_set(&l, "org.example.other", "x");
  int rc = idmap_request_parse(&l, rq, err);
  kvlist_free(&l);
  return rc;
}

static void request_fails(const char *k1, const char *v1, const char *k2,
                          const char *v2, const char *want, int line) {
  struct idmap_request rq;
  werr_t err = NULL;
  if (parse(k1, v1, k2, v2, &rq, &err) == 0 || strcmp(err->msg, want) != 0) {
    failed++;
    fprintf(stderr, "%s:%d:\n  want %s\n  got  %s\n", __FILE__, line, want,
            err ? err->msg : "success");
  } else
    passed++;
  werr_free(&err);
}
#define REQ_FAILS(k1, v1, k2, v2, w) request_fails(k1, v1, k2, v2, w, __LINE__)

static void test_request(void) {
  struct idmap_request rq;
  werr_t err = NULL;
  CHECK(parse(NULL, NULL, NULL, NULL, &rq, &err) == 0);
  CHECK(!rq.isolated && !rq.has_raw && !idmap_request_wants_userns(&rq));
  idmap_request_free(&rq);
  CHECK(parse("ward.idmap.isolated", "true", NULL, NULL, &rq, &err) == 0);
  CHECK(rq.isolated && rq.size == 65536 &&
        strcmp(rq.isolated_why, "ward.idmap.isolated") == 0);
  idmap_request_free(&rq);
  CHECK(parse("ward.idmap.size", "1", NULL, NULL, &rq, &err) == 0);
  CHECK(rq.isolated && rq.size == 1 &&
        strcmp(rq.isolated_why, "ward.idmap.size") == 0);
  idmap_request_free(&rq);
  CHECK(parse("ward.idmap.key", "web-1", "ward.idmap.base", "2000000", &rq,
              &err) == 0);
  CHECK(rq.isolated && rq.has_base && rq.base == 2000000 &&
        strcmp(rq.key, "web-1") == 0);
  idmap_request_free(&rq);
  CHECK(parse("ward.idmap.raw", "both 1000 1000", "ward.idmap.chown", "true",
              &rq, &err) == 0);
  CHECK(!rq.isolated && rq.has_raw && rq.raw.len == 1 && rq.chown &&
        idmap_request_wants_userns(&rq));
  idmap_request_free(&rq);
  CHECK(parse("ward.idmap.isolated", "false", NULL, NULL, &rq, &err) == 0);
  CHECK(!rq.isolated);
  idmap_request_free(&rq);

  REQ_FAILS("ward.idmap.isolated", "yes", NULL, NULL,
            "ward.idmap.isolated: must be \"true\" or \"false\", got \"yes\"");
  REQ_FAILS("ward.idmap.size", "0", NULL, NULL,
            "ward.idmap.size: must be a whole number from 1 to 4294967295, got "
            "\"0\"");
  REQ_FAILS("ward.idmap.size", "65536k", NULL, NULL,
            "ward.idmap.size: must be a whole number from 1 to 4294967295, got "
            "\"65536k\"");
  REQ_FAILS("ward.idmap.base", "-1", NULL, NULL,
            "ward.idmap.base: must be a whole number from 0 to 4294967294, got "
            "\"-1\"");
  REQ_FAILS("ward.idmap.base", "4294967000", NULL, NULL,
            "ward.idmap.base: 4294967000 + 65536 ids runs past the largest id "
            "4294967294");
  REQ_FAILS(
      "ward.idmap.key", "a/b", NULL, NULL,
      "ward.idmap.key: \"a/b\": want 1-255 characters of [A-Za-z0-9_+.-]");
  REQ_FAILS("ward.idmap.isolated", "false", "ward.idmap.size", "10",
            "ward.idmap.size: needs an isolated range, but ward.idmap.isolated "
            "is false");
  REQ_FAILS("ward.idmap.isolate", "true", NULL, NULL,
            "ward.idmap.isolate: unknown annotation (known: isolated, base, "
            "size, key, raw, chown)");
  REQ_FAILS("ward.idmap.raw", "both 1000 1000\nboth 1 2 3", NULL, NULL,
            "ward.idmap.raw line 2: \"both 1 2 3\": want \"both|uid|gid "
            "HOST[-HOST] CONTAINER[-CONTAINER]\"");
  REQ_FAILS("ward.idmap.chown", "1", NULL, NULL,
            "ward.idmap.chown: must be \"true\" or \"false\", got \"1\"");
}

int main(void) {
  snprintf(dir, sizeof(dir), "/tmp/test_idmap_registry.XXXXXX");
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  test_roundtrip();
  test_corrupt();
  test_concurrent();
  test_request();
  char cmd[300];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    failed++;
  return unit_summary("test_idmap_registry");
}
