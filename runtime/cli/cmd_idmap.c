/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ward idmap`: what the host-wide idmap registry holds, and releasing a
 * persistent (ward.idmap.key) range or one whose container's state is
 * gone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "cleanup.h"
#include "commands.h"
#include "idmap.h"

static const char usage[] =
    "ward idmap [list] [--format table|json] | ward idmap release NAME\n"
    "  list: the id ranges ward allocated host-wide (isolated, shared\n"
    "        default, raw ids); release: give back the range kept for\n"
    "        ward.idmap.key=NAME, or a container NAME whose state is gone";

static const char *entry_state(const struct idmap_entry *e) {
  if (e->id == NULL)
    return "idle";
  return idmap_entry_has_state(e) ? "live" : "no-state";
}

static void fmt_range(char *buf, size_t len, uint64_t base, uint64_t size) {
  if (size == 0)
    snprintf(buf, len, "-");
  else
    snprintf(buf, len, "%llu-%llu", (unsigned long long)base,
             (unsigned long long)(base + size - 1));
}

static void list_table(const struct idmap_entry *items, size_t n) {
  printf("%-24s %-10s %-16s %-9s %-23s %-23s %s\n", "CONTAINER", "STATE", "KEY",
         "KIND", "UIDS", "GIDS", "RAW");
  for (size_t i = 0; i < n; i++) {
    const struct idmap_entry *e = &items[i];
    char uids[48], gids[48];
    fmt_range(uids, sizeof(uids), e->uid_base, e->uid_size);
    fmt_range(gids, sizeof(gids), e->gid_base, e->gid_size);
    printf("%-24s %-10s %-16s %-9s %-23s %-23s ", e->id ? e->id : "-",
           entry_state(e), e->key ? e->key : "-", e->kind, uids, gids);
    if (e->raw == NULL || e->raw[0] == NULL)
      fputs("-", stdout);
    for (char **l = e->raw; l && *l; l++)
      printf("%s%s", l == e->raw ? "" : "; ", *l);
    putchar('\n');
  }
}

#define GSTR(g, s) yajl_gen_string(g, (const unsigned char *)(s), strlen(s))

static void gen_range(yajl_gen g, const char *key, uint64_t base,
                      uint64_t size) {
  GSTR(g, key);
  if (size == 0) {
    yajl_gen_null(g);
    return;
  }
  yajl_gen_map_open(g);
  GSTR(g, "base");
  yajl_gen_integer(g, (long long)base);
  GSTR(g, "size");
  yajl_gen_integer(g, (long long)size);
  yajl_gen_map_close(g);
}

static void gen_opt_str(yajl_gen g, const char *key, const char *v) {
  GSTR(g, key);
  if (v)
    GSTR(g, v);
  else
    yajl_gen_null(g);
}

static void list_json(const struct idmap_entry *items, size_t n) {
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    abort();
  yajl_gen_config(g, yajl_gen_beautify, 1);
  yajl_gen_array_open(g);
  for (size_t i = 0; i < n; i++) {
    const struct idmap_entry *e = &items[i];
    yajl_gen_map_open(g);
    gen_opt_str(g, "container", e->id);
    gen_opt_str(g, "root", e->root);
    gen_opt_str(g, "key", e->key);
    gen_opt_str(g, "kind", e->kind);
    gen_opt_str(g, "state", entry_state(e));
    gen_range(g, "uid", e->uid_base, e->uid_size);
    gen_range(g, "gid", e->gid_base, e->gid_size);
    GSTR(g, "raw");
    yajl_gen_array_open(g);
    for (char **l = e->raw; l && *l; l++)
      GSTR(g, *l);
    yajl_gen_array_close(g);
    gen_opt_str(g, "created", e->created);
    yajl_gen_map_close(g);
  }
  yajl_gen_array_close(g);
  const unsigned char *buf;
  size_t len;
  yajl_gen_get_buf(g, &buf, &len);
  fwrite(buf, 1, len, stdout);
  if (len == 0 || buf[len - 1] != '\n')
    putchar('\n');
  yajl_gen_free(g);
}

static int do_list(int argc, char **argv, werr_t *err) {
  bool json = false;
  for (int i = 0; i < argc; i++) {
    const char *fmt = NULL;
    if (strcmp(argv[i], "--format") == 0 || strcmp(argv[i], "-f") == 0) {
      if (i + 1 >= argc)
        return werr_code(err, EINVAL, "idmap list: %s needs a value", argv[i]);
      fmt = argv[++i];
    } else if (strncmp(argv[i], "--format=", 9) == 0) {
      fmt = argv[i] + 9;
    } else {
      return werr_code(err, EINVAL, "idmap list: unexpected argument \"%s\"",
                       argv[i]);
    }
    if (strcmp(fmt, "json") == 0)
      json = true;
    else if (strcmp(fmt, "table") == 0)
      json = false;
    else
      return werr_code(err, EINVAL,
                       "idmap list: --format: want table or json, got \"%s\"",
                       fmt);
  }
  _cleanup_free_ char *dir = idmap_registry_dir();
  struct idmap_registry *r;
  if (idmap_registry_open(dir, IDMAP_READ, &r, err) < 0)
    return -1;
  struct idmap_entry *items;
  size_t n;
  int rc = idmap_registry_list(r, &items, &n, err);
  idmap_registry_close(r);
  if (rc < 0)
    return -1;
  if (json)
    list_json(items, n);
  else
    list_table(items, n);
  idmap_entries_free(items, n);
  return fflush(stdout) == 0 ? 0 : werr_sys(err, "write stdout");
}

/* Forget E (a key's range, or a container's whose state is gone), once no
 * process uses its ids. */
static int release_one(struct idmap_registry *r, struct idmap_entry *e,
                       werr_t *err) {
  pid_t pid = 0;
  if (e->id && idmap_entry_in_use(e, &pid)) {
    _cleanup_free_ char *who = idmap_entry_describe(e);
    return werr_code(err, EBUSY,
                      "idmap release: %s: its ids are still used by pid %d",
                      who, (int)pid);
  }
  return idmap_registry_drop(r, e, err);
}

static int do_release(int argc, char **argv, werr_t *err) {
  if (argc != 1)
    return werr_code(err, EINVAL, "idmap release: want exactly one NAME");
  const char *name = argv[0];
  _cleanup_free_ char *dir = idmap_registry_dir();
  struct idmap_registry *r;
  if (idmap_registry_open(dir, IDMAP_WRITE, &r, err) < 0)
    return -1;
  int rc = -1;
  size_t removed = 0, n = 0;
  struct idmap_entry key = {0}, *items = NULL;
  int got = idmap_registry_find_key(r, name, &key, err);
  if (got < 0)
    goto out;
  if (got) {
    if (key.id && idmap_entry_has_state(&key)) {
      werr_code(
          err, EBUSY,
          "idmap release: key %s is in use by container %s in %s (delete "
          "it first)",
          name, key.id, key.root);
      goto out;
    }
    if (release_one(r, &key, err) < 0)
      goto out;
    removed++;
  } else {
    /* A container's own range goes with `ward delete`; only one whose
     * state vanished (its --root removed by hand) is released here. */
    if (idmap_registry_list(r, &items, &n, err) < 0)
      goto out;
    for (size_t i = 0; i < n; i++) {
      struct idmap_entry *e = &items[i];
      if (e->key || !e->id || strcmp(e->id, name) != 0)
        continue;
      if (idmap_entry_has_state(e)) {
        werr_code(err, EBUSY,
                   "idmap release: container %s in %s still exists; `ward "
                   "delete` releases its range",
                   name, e->root);
        goto out;
      }
      if (release_one(r, e, err) < 0)
        goto out;
      removed++;
    }
  }
  if (removed == 0) {
    werr_code(err, ENOENT, "idmap release: no key or container named %s", name);
    goto out;
  }
  rc = 0;
out:
  idmap_entry_clear(&key);
  idmap_entries_free(items, n);
  idmap_registry_close(r);
  return rc;
}

int cmd_idmap(struct global_opts *g, int argc, char **argv, werr_t *err) {
  (void)g; /* the registry is host-wide, not under --root */
  if (cmd_wants_help(argc, argv, usage))
    return 0;
  if (argc < 2 || argv[1][0] == '-')
    return do_list(argc - 1, argv + 1, err);
  if (strcmp(argv[1], "list") == 0)
    return do_list(argc - 2, argv + 2, err);
  if (strcmp(argv[1], "release") == 0)
    return do_release(argc - 2, argv + 2, err);
  return werr_code(err, EINVAL,
                   "idmap: unknown subcommand \"%s\" (want list or release)",
                   argv[1]);
}
