/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The isolated-range allocator: first fit over gaps, exhaustion, base
 * collisions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idmap_alloc.h"

#include "unit.h"
#define POOL ((struct idmap_range){1000000, 1000000000})
#define K 65536ULL

static void test_empty_pool_first(void) {
  uint64_t base = 0;
  struct idmap_free_info fi;
  CHECK(idmap_alloc_first_fit(POOL, NULL, 0, K, &base, &fi) == 0);
  CHECK(base == 1000000);
  CHECK(fi.total == 1000000000);
  CHECK(fi.gaps == 1);
}

static void test_skips_default_and_taken(void) {
  /* The shared default range and two containers, out of order. */
  struct idmap_used used[] = {
      {1000000 + 2 * K, K, "c2"},
      {1000000, K, "default"},
      {1000000 + K, K, "c1"},
  };
  uint64_t base = 0;
  CHECK(idmap_alloc_first_fit(POOL, used, 3, K, &base, NULL) == 0);
  CHECK(base == 1000000 + 3 * K);
}

static void test_first_fit_uses_hole(void) {
  /* A released container left a hole: first fit reuses it. */
  struct idmap_used used[] = {
      {1000000, K, "default"},
      {1000000 + 2 * K, K, "c2"},
  };
  uint64_t base = 0;
  CHECK(idmap_alloc_first_fit(POOL, used, 2, K, &base, NULL) == 0);
  CHECK(base == 1000000 + K);
  /* Too small a hole is skipped for a bigger request. */
  CHECK(idmap_alloc_first_fit(POOL, used, 2, K + 1, &base, NULL) == 0);
  CHECK(base == 1000000 + 3 * K);
}

static void test_exhaustion_reports_left(void) {
  struct idmap_range pool = {100000, 3 * K};
  struct idmap_used used[] = {
      {100000, K, "default"},
      {100000 + K, 1000, "a"},
      {100000 + 2 * K, K, "b"},
  };
  uint64_t base = 7;
  struct idmap_free_info fi;
  errno = 0;
  CHECK(idmap_alloc_first_fit(pool, used, 3, K, &base, &fi) == -1);
  CHECK(errno == ENOSPC);
  CHECK(base == 7);
  CHECK(fi.total == K - 1000);
  CHECK(fi.largest == K - 1000);
  CHECK(fi.gaps == 1);
  /* What is left still fits a smaller request. */
  CHECK(idmap_alloc_first_fit(pool, used, 3, K - 1000, &base, NULL) == 0);
  CHECK(base == 100000 + K + 1000);
}

static void test_full_pool(void) {
  struct idmap_range pool = {0, K};
  struct idmap_used used[] = {{0, K, "all"}};
  uint64_t base;
  struct idmap_free_info fi;
  CHECK(idmap_alloc_first_fit(pool, used, 1, 1, &base, &fi) == -1);
  CHECK(fi.total == 0 && fi.largest == 0 && fi.gaps == 0);
}

static void test_overlapping_and_outside_used(void) {
  /* Raw entries may overlap isolated ranges or lie outside the pool. */
  struct idmap_range pool = {1000, 100};
  struct idmap_used used[] = {
      {0, 1010, "below, reaching in"},
      {1020, 10, "x"},
      {1025, 10, "overlaps x"},
      {5000, 10, "far above"},
  };
  uint64_t base;
  struct idmap_free_info fi;
  CHECK(idmap_alloc_first_fit(pool, used, 4, 10, &base, &fi) == 0);
  CHECK(base == 1010);
  CHECK(fi.total == 10 + 65);
  CHECK(fi.largest == 65);
  CHECK(idmap_alloc_first_fit(pool, used, 4, 11, &base, NULL) == 0);
  CHECK(base == 1035);
  CHECK(idmap_alloc_first_fit(pool, used, 4, 66, &base, NULL) == -1);
}

static void test_pool_end_exact(void) {
  /* A range that ends exactly at the pool end (and at the last valid id). */
  struct idmap_range pool = {4294967295ULL - K, K};
  uint64_t base;
  CHECK(idmap_alloc_first_fit(pool, NULL, 0, K, &base, NULL) == 0);
  CHECK(base == 4294967295ULL - K);
  CHECK(idmap_alloc_first_fit(pool, NULL, 0, K + 1, &base, NULL) == -1);
}

static void test_overlap(void) {
  struct idmap_used used[] = {
      {1000000, K, "default"},
      {2000000, K, "c1"},
      {1500000, K, "c0"},
  };
  const struct idmap_used *u;
  u = idmap_alloc_overlap(used, 3, (struct idmap_range){2000000 - 1, 2});
  CHECK(u && strcmp(u->owner, "c1") == 0);
  /* Touching but not overlapping. */
  u = idmap_alloc_overlap(used, 3, (struct idmap_range){2000000 + K, K});
  CHECK(u == NULL);
  u = idmap_alloc_overlap(used, 3, (struct idmap_range){2000000 - K, K});
  CHECK(u == NULL);
  /* Spanning two: the lowest is named. */
  u = idmap_alloc_overlap(used, 3, (struct idmap_range){1500000, 600000});
  CHECK(u && strcmp(u->owner, "c0") == 0);
  CHECK(idmap_range_within(POOL, (struct idmap_range){1000000, K}));
  CHECK(!idmap_range_within(POOL, (struct idmap_range){999999, K}));
  CHECK(!idmap_range_within(
      POOL, (struct idmap_range){1000000000 + 1000000 - K + 1, K}));
}

static void test_many(void) {
  /* 10000 ranges allocated one after another stay disjoint and packed. */
  size_t n = 10000;
  struct idmap_used *used = calloc(n, sizeof(*used));
  struct idmap_range pool = {0, n * 100};
  int ok = 1;
  for (size_t i = 0; i < n; i++) {
    uint64_t base;
    if (idmap_alloc_first_fit(pool, used, i, 100, &base, NULL) < 0 ||
        base != i * 100) {
      ok = 0;
      break;
    }
    used[i] = (struct idmap_used){base, 100, "x"};
  }
  CHECK(ok);
  uint64_t base;
  CHECK(idmap_alloc_first_fit(pool, used, n, 1, &base, NULL) == -1);
  free(used);
}

int main(void) {
  test_empty_pool_first();
  test_skips_default_and_taken();
  test_first_fit_uses_hole();
  test_exhaustion_reports_left();
  test_full_pool();
  test_overlapping_and_outside_used();
  test_pool_end_exact();
  test_overlap();
  test_many();
  return unit_summary("test_idmap_alloc");
}
