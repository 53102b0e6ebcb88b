/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Deciding a container's id maps (OCI maps as given, or a range ward
 * allocates the Incus way), giving the allocation back, and writing the
 * maps (directly, or through newuidmap/newgidmap when unprivileged).
 * Idmapped mounts are in idmap_mount.c. */
#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "idmap_alloc.h"
#include "idmap_pod.h"
#include "idmap_raw.h"
#include "idmap_registry.h"
#include "idmap_request.h"
#include "idmap_shadow.h"
#include "utils.h"

/* ---- deciding the maps (create) ---------------------------------------- */

/* The registry matches containers by (root, id): make ROOT absolute the
 * same way at create and at delete. */
static char *absolute_root(const char *root) {
  char *r = realpath(root, NULL);
  if (r)
    return r;
  if (root[0] == '/') {
    r = strdup(root);
  } else {
    char cwd[4096];
    if (getcwd(cwd, sizeof(cwd)) == NULL ||
        asprintf(&r, "%s/%s", cwd, root) < 0)
      r = strdup(root);
  }
  if (r == NULL)
    abort();
  size_t n = strlen(r);
  while (n > 1 && r[n - 1] == '/')
    r[--n] = '\0';
  return r;
}

static struct spec_idmaps one_map(uint64_t host, uint64_t size) {
  struct spec_idmaps m = {calloc(1, sizeof(struct spec_idmap)), 1};
  if (m.items == NULL)
    abort();
  m.items[0] = (struct spec_idmap){0, (uint32_t)host, (uint32_t)size};
  return m;
}

static struct spec_idmaps copy_map(const struct spec_idmaps *src) {
  struct spec_idmaps m = {NULL, src->len};
  m.items = calloc(src->len ? src->len : 1, sizeof(*m.items));
  if (m.items == NULL)
    abort();
  memcpy(m.items, src->items, src->len * sizeof(*m.items));
  return m;
}

/* What other allocations hold, on one side (uid or gid), for the
 * allocator.  Owner strings live in OWNERS (freed by the caller). */
struct used_list {
  struct idmap_used *items;
  size_t len, cap;
  char **owners;
  size_t owners_len;
};

static void used_push(struct used_list *u, uint64_t base, uint64_t size,
                      char *owner) {
  if (size == 0) {
    free(owner);
    return;
  }
  if (u->len == u->cap) {
    u->cap = u->cap ? u->cap * 2 : 16;
    u->items = realloc(u->items, u->cap * sizeof(*u->items));
    u->owners = realloc(u->owners, u->cap * sizeof(*u->owners));
    if (u->items == NULL || u->owners == NULL)
      abort();
  }
  u->owners[u->owners_len++] = owner;
  u->items[u->len++] = (struct idmap_used){base, size, owner};
}

static void used_free(struct used_list *u) {
  for (size_t i = 0; i < u->owners_len; i++)
    free(u->owners[i]);
  free(u->owners);
  free(u->items);
}

/* Isolated ranges only (what raw host ids must stay out of). */
static void collect_isolated(struct idmap_registry *reg,
                             const struct idmap_entry *self, bool gid,
                             struct used_list *u) {
  for (size_t i = 0; i < reg->len; i++) {
    const struct idmap_entry *e = &reg->items[i];
    if (e == self || strcmp(e->kind, IDMAP_KIND_ISOLATED) != 0)
      continue;
    used_push(u, gid ? e->gid_base : e->uid_base,
              gid ? e->gid_size : e->uid_size, idmap_entry_describe(e));
  }
}

/* Everything a new isolated range must avoid: other isolated ranges, host
 * ids other containers punched through, and the shared default range. */
static void collect_taken(struct idmap_registry *reg,
                          const struct idmap_entry *self, bool gid,
                          struct idmap_range pool, struct used_list *u) {
  collect_isolated(reg, self, gid, u);
  for (size_t i = 0; i < reg->len; i++) {
    const struct idmap_entry *e = &reg->items[i];
    if (e == self || e->raw == NULL)
      continue;
    for (char **l = e->raw; *l; l++) {
      struct idmap_raw r = {0};
      werr_t ignore = NULL;
      if (idmap_raw_parse(*l, &r, &ignore) == 0 && r.len == 1 &&
          idmap_raw_applies(&r.items[0], gid)) {
        char *who = idmap_entry_describe(e);
        used_push(u, r.items[0].host, r.items[0].size,
                  xasprintf("raw ids of %s", who));
        free(who);
      }
      werr_free(&ignore);
      idmap_raw_free(&r);
    }
  }
  used_push(u, pool.base,
            pool.size < IDMAP_ISOLATED_SIZE ? pool.size : IDMAP_ISOLATED_SIZE,
            xasprintf("the shared default range"));
}

static const char *side_name(bool gid) { return gid ? "gid" : "uid"; }

static const char *pool_source(const struct idmap_shadow *sh, bool gid) {
  if (!sh->use_files)
    return "ward's default range (no shadow files)";
  return gid ? "the range in " IDMAP_SUBGID : "the range in " IDMAP_SUBUID;
}

static bool delegated(const struct idmap_subids *ids, uint64_t base,
                      uint64_t size) {
  for (size_t i = 0; i < ids->len; i++)
    if (idmap_range_within(ids->items[i], (struct idmap_range){base, size}))
      return true;
  return false;
}

/* Pick the isolated range on one side. */
static int pick_range(const struct idmap_request *rq,
                      const struct idmap_shadow *sh, const char *user,
                      struct idmap_registry *reg,
                      const struct idmap_entry *self, bool gid, uint64_t *base,
                      werr_t *err) {
  const struct idmap_subids *ids = gid ? &sh->gid : &sh->uid;
  struct used_list used = {0};
  collect_taken(reg, self, gid, ids->pool, &used);
  int rc = -1;
  if (rq->has_base) {
    struct idmap_range want = {rq->base, rq->size};
    if (!delegated(ids, want.base, want.size)) {
      werr_code(err, ERANGE,
                IDMAP_ANNOT_BASE ": %s %llu-%llu is not inside %s's range (%s: "
                                 "%llu-%llu)",
                side_name(gid), (unsigned long long)want.base,
                (unsigned long long)(want.base + want.size - 1), user,
                pool_source(sh, gid), (unsigned long long)ids->pool.base,
                (unsigned long long)(ids->pool.base + ids->pool.size - 1));
      goto out;
    }
    const struct idmap_used *o =
        idmap_alloc_overlap(used.items, used.len, want);
    if (o) {
      werr_code(err, EEXIST,
                IDMAP_ANNOT_BASE ": %s %llu-%llu overlaps %s (%llu-%llu)",
                side_name(gid), (unsigned long long)want.base,
                (unsigned long long)(want.base + want.size - 1), o->owner,
                (unsigned long long)o->base,
                (unsigned long long)(o->base + o->size - 1));
      goto out;
    }
    *base = rq->base;
    rc = 0;
    goto out;
  }
  struct idmap_free_info fi;
  if (idmap_alloc_first_fit(ids->pool, used.items, used.len, rq->size, base,
                            &fi) < 0) {
    werr_code(err, ENOSPC,
              "%s: no free range of %llu %ss left in %s (%llu-%llu): %llu %ss "
              "free in %zu gaps, the largest %llu",
              rq->isolated_why, (unsigned long long)rq->size, side_name(gid),
              pool_source(sh, gid), (unsigned long long)ids->pool.base,
              (unsigned long long)(ids->pool.base + ids->pool.size - 1),
              (unsigned long long)fi.total, side_name(gid), fi.gaps,
              (unsigned long long)fi.largest);
    goto out;
  }
  rc = 0;
out:
  used_free(&used);
  return rc;
}

/* Raw host ids must not reach into another container's isolated range. */
static int check_raw_hosts(const struct idmap_raw *raw,
                           struct idmap_registry *reg,
                           const struct idmap_entry *self, werr_t *err) {
  for (int gid = 0; gid < 2; gid++) {
    struct used_list iso = {0};
    collect_isolated(reg, self, gid, &iso);
    for (size_t i = 0; i < raw->len; i++) {
      const struct idmap_raw_entry *e = &raw->items[i];
      if (!idmap_raw_applies(e, gid))
        continue;
      const struct idmap_used *o = idmap_alloc_overlap(
          iso.items, iso.len, (struct idmap_range){e->host, e->size});
      if (o) {
        werr_code(
            err, EEXIST,
            IDMAP_RAW_ANNOTATION " line %u: host %ss %u-%u lie inside the "
                                 "isolated range of %s",
            e->line, side_name(gid), e->host, e->host + e->size - 1, o->owner);
        used_free(&iso);
        return -1;
      }
    }
    used_free(&iso);
  }
  return 0;
}

static char **raw_lines(const struct idmap_raw *raw) {
  if (raw->len == 0)
    return NULL;
  char **v = calloc(raw->len + 1, sizeof(*v));
  if (v == NULL)
    abort();
  for (size_t i = 0; i < raw->len; i++)
    v[i] = idmap_raw_format(&raw->items[i]);
  return v;
}

static void set_maps(struct spec_config *c, struct spec_idmaps *uid,
                     struct spec_idmaps *gid) {
  free(c->linux_.uidMappings.items);
  free(c->linux_.gidMappings.items);
  c->linux_.uidMappings = *uid;
  c->linux_.gidMappings = *gid;
  *uid = (struct spec_idmaps){0};
  *gid = (struct spec_idmaps){0};
}

/* Under the registry lock: choose, build, check and record. */
static int decide_locked(const char *root, const char *id,
                         struct spec_config *c, const struct idmap_request *rq,
                         const struct idmap_shadow *sh, const char *user,
                         struct idmap_registry *reg, werr_t *err) {
  /* The caller made ROOT/ID exclusively before calling: an entry already
   * recorded for it is left over from a container of the same name whose
   * state was removed by hand.  It cannot be in use any more. */
  struct idmap_entry *self = idmap_registry_by_owner(reg, root, id);
  if (self) {
    if (self->key) {
      free(self->root);
      free(self->id);
      self->root = self->id = NULL;
    } else {
      idmap_registry_remove(reg, self);
    }
  }
  bool oci = c->linux_.uidMappings.len || c->linux_.gidMappings.len;
  struct spec_idmaps uid = {0}, gid = {0};
  uint64_t ubase = 0, gbase = 0, usize = 0, gsize = 0;
  const char *kind;
  struct idmap_entry *keyed =
      rq->key ? idmap_registry_by_key(reg, rq->key) : NULL;
  int rc = -1;
  if (oci) {
    kind = IDMAP_KIND_OCI;
    uid = copy_map(&c->linux_.uidMappings);
    gid = copy_map(&c->linux_.gidMappings);
  } else if (keyed) {
    if (keyed->id) {
      werr_code(err, EBUSY, IDMAP_ANNOT_KEY " %s: in use by container %s in %s",
                rq->key, keyed->id, keyed->root);
      goto out;
    }
    if ((rq->has_size && rq->size != keyed->uid_size) ||
        (rq->has_base &&
         (rq->base != keyed->uid_base || rq->base != keyed->gid_base))) {
      werr_code(err, EEXIST,
                IDMAP_ANNOT_KEY
                " %s: holds uids %llu-%llu, gids %llu-%llu; "
                "ward.idmap.base/size ask for another range (run `ward idmap "
                "release %s` first)",
                rq->key, (unsigned long long)keyed->uid_base,
                (unsigned long long)(keyed->uid_base + keyed->uid_size - 1),
                (unsigned long long)keyed->gid_base,
                (unsigned long long)(keyed->gid_base + keyed->gid_size - 1),
                rq->key);
      goto out;
    }
    kind = IDMAP_KIND_ISOLATED;
    ubase = keyed->uid_base, usize = keyed->uid_size;
    gbase = keyed->gid_base, gsize = keyed->gid_size;
    /* The shadow files may have changed since the key was made. */
    if (!delegated(&sh->uid, ubase, usize) ||
        !delegated(&sh->gid, gbase, gsize)) {
      werr_code(err, ERANGE,
                IDMAP_ANNOT_KEY
                " %s: its range (uids %llu-%llu, gids "
                "%llu-%llu) is no longer delegated to %s; release it with "
                "`ward idmap release %s`",
                rq->key, (unsigned long long)ubase,
                (unsigned long long)(ubase + usize - 1),
                (unsigned long long)gbase,
                (unsigned long long)(gbase + gsize - 1), user, rq->key);
      goto out;
    }
  } else if (rq->isolated) {
    kind = IDMAP_KIND_ISOLATED;
    if (pick_range(rq, sh, user, reg, NULL, false, &ubase, err) < 0 ||
        pick_range(rq, sh, user, reg, NULL, true, &gbase, err) < 0)
      goto out;
    usize = gsize = rq->size;
  } else {
    kind = IDMAP_KIND_SHARED;
    ubase = sh->uid.pool.base, gbase = sh->gid.pool.base;
    usize = gsize = IDMAP_ISOLATED_SIZE;
  }
  if (!oci) {
    uid = one_map(ubase, usize);
    gid = one_map(gbase, gsize);
  }
  if (rq->has_raw) {
    if (check_raw_hosts(&rq->raw, reg, keyed, err) < 0 ||
        idmap_raw_apply(&uid, &rq->raw, false, "linux.uidMappings", err) < 0 ||
        idmap_raw_apply(&gid, &rq->raw, true, "linux.gidMappings", err) < 0)
      goto out;
  }
  if (idmap_map_check(&uid, "linux.uidMappings", err) < 0 ||
      idmap_map_check(&gid, "linux.gidMappings", err) < 0)
    goto out;

  /* Record, then commit: nothing is visible to others until the rename. */
  struct idmap_entry *e = keyed ? keyed : idmap_registry_add(reg);
  e->root = strdup(root);
  e->id = strdup(id);
  if (e->root == NULL || e->id == NULL)
    abort();
  if (!keyed) {
    e->key = rq->key ? strdup(rq->key) : NULL;
    e->kind = strdup(kind);
    e->uid_base = ubase, e->uid_size = usize;
    e->gid_base = gbase, e->gid_size = gsize;
    e->created = now_rfc3339();
  }
  strv_free(e->raw);
  e->raw = raw_lines(&rq->raw);
  if (idmap_registry_commit(reg, err) < 0)
    goto out;
  set_maps(c, &uid, &gid);
  rc = 0;
out:
  free(uid.items);
  free(gid.items);
  return rc;
}

int idmap_prepare(const char *state_root, const char *id, struct spec_config *c,
                  werr_t *err) {
  struct idmap_request rq;
  if (idmap_request_parse(&c->annotations, &rq, err) < 0)
    return -1;
  int rc = -1;
  struct idmap_shadow sh = {0};
  struct idmap_registry *reg = NULL;
  _cleanup_free_ char *user = NULL, *root = NULL, *dir = NULL;
  struct spec_namespace *ns = &c->linux_.namespaces[SPEC_NS_USER];
  bool wants = idmap_request_wants_userns(&rq);
  const char *asked = rq.isolated ? rq.isolated_why : IDMAP_RAW_ANNOTATION;
  bool oci = c->linux_.uidMappings.len || c->linux_.gidMappings.len;

  if (wants && !oci && !(ns->present && ns->path)) {
    /* An app container of a pod: the pod's range is the sandbox's. */
    int joined = idmap_pod_join(c, asked, err);
    if (joined != 0) {
      rc = joined < 0 ? -1 : 0;
      goto out;
    }
  }
  if (wants && ns->present && ns->path) {
    werr_code(err, EINVAL,
              "%s: cannot apply when joining the user namespace %s "
              "(linux.namespaces)",
              asked, ns->path);
    goto out;
  }
  if (wants && !ns->present) {
    /* Asking for an isolated range (or raw ids) is asking for a user
     * namespace: the annotations alone are enough. */
    ns->present = true;
    c->has_linux = true;
  }
  if (!ns->present || ns->path) {
    rc = 0;
    goto out;
  }
  if (oci && rq.isolated) {
    werr_code(err, EINVAL,
              "%s and linux.%s cannot be used together: ward allocates an "
              "isolated range itself (ward.idmap.raw can be added to OCI maps)",
              rq.isolated_why,
              c->linux_.uidMappings.len ? "uidMappings" : "gidMappings");
    goto out;
  }
  if (oci && !rq.has_raw) {
    /* runc's contract: the maps are the caller's; only the kernel's limits
     * apply, and no host range is needed. */
    rc = idmap_map_check(&c->linux_.uidMappings, "linux.uidMappings", err) ||
                 idmap_map_check(&c->linux_.gidMappings, "linux.gidMappings",
                                 err)
             ? -1
             : 0;
    goto out;
  }
  if (idmap_shadow_load(&sh, err) < 0)
    goto out;
  user = idmap_shadow_user();
  if (rq.has_raw && idmap_shadow_check_raw(&sh, user, &rq.raw, err) < 0)
    goto out;
  root = absolute_root(state_root);
  dir = idmap_registry_dir();
  if (idmap_registry_open(dir, true, &reg, err) < 0)
    goto out;
  rc = decide_locked(root, id, c, &rq, &sh, user, reg, err);
out:
  idmap_registry_close(reg);
  idmap_shadow_free(&sh);
  idmap_request_free(&rq);
  return rc;
}

int idmap_release(const char *state_root, const char *id, werr_t *err) {
  _cleanup_free_ char *dir = idmap_registry_dir();
  _cleanup_free_ char *file = NULL;
  if (asprintf(&file, "%s/" IDMAP_REGISTRY_FILE, dir) < 0)
    abort();
  if (access(file, F_OK) < 0)
    return 0; /* nothing was ever recorded here */
  _cleanup_free_ char *root = absolute_root(state_root);
  struct idmap_registry *reg;
  if (idmap_registry_open(dir, true, &reg, err) < 0)
    return -1;
  int rc = 0;
  struct idmap_entry *e = idmap_registry_by_owner(reg, root, id);
  if (e) {
    if (e->key) { /* the range stays with its key */
      free(e->root);
      free(e->id);
      e->root = e->id = NULL;
      strv_free(e->raw);
      e->raw = NULL;
    } else {
      idmap_registry_remove(reg, e);
    }
    rc = idmap_registry_commit(reg, err);
  }
  idmap_registry_close(reg);
  return rc;
}

/* ---- writing the maps -------------------------------------------------- */

static char *map_text(const struct spec_idmaps *m, const char *sep) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (f == NULL)
    abort();
  for (size_t i = 0; i < m->len; i++)
    fprintf(f, "%s%u %u %u", i ? sep : "", m->items[i].containerID,
            m->items[i].hostID, m->items[i].size);
  if (strcmp(sep, "\n") == 0 && m->len)
    fputc('\n', f);
  fclose(f);
  return buf;
}

static int write_map(pid_t pid, const char *file, const struct spec_idmaps *m,
                     werr_t *err) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
  _cleanup_free_ char *text = map_text(m, "\n");
  /* The kernel takes the whole map in one write or not at all. */
  if (write_proc_file(path, text, err) < 0) {
    _cleanup_free_ char *one = map_text(m, ", ");
    return werr_prefix(err, "%s \"%s\"", file, one);
  }
  return 0;
}

/* newuidmap/newgidmap PID C H S...: the setuid helpers check the ranges
 * against /etc/subuid for an unprivileged ward. */
static int run_newidmap(const char *prog, pid_t pid,
                        const struct spec_idmaps *m, werr_t *err) {
  size_t argc = 2 + 3 * m->len + 1;
  char **argv = calloc(argc, sizeof(*argv));
  if (argv == NULL)
    abort();
  argv[0] = (char *)prog;
  argv[1] = xasprintf("%d", pid);
  for (size_t i = 0; i < m->len; i++) {
    argv[2 + 3 * i] = xasprintf("%u", m->items[i].containerID);
    argv[3 + 3 * i] = xasprintf("%u", m->items[i].hostID);
    argv[4 + 3 * i] = xasprintf("%u", m->items[i].size);
  }
  int rc = 0;
  pid_t child = fork();
  if (child < 0) {
    rc = werr_sys(err, "fork for %s", prog);
  } else if (child == 0) {
    execvp(prog, argv);
    _exit(127);
  } else {
    int status;
    while (waitpid(child, &status, 0) < 0)
      if (errno != EINTR) {
        status = -1;
        break;
      }
    if (status != 0) {
      _cleanup_free_ char *one = map_text(m, ", ");
      rc = werr_code(err, EPERM, "%s %d \"%s\": %s", prog, pid, one,
                     WIFEXITED(status) && WEXITSTATUS(status) == 127
                         ? "not found in PATH"
                         : "failed (is the range delegated in /etc/subuid and "
                           "/etc/subgid?)");
    }
  }
  for (size_t i = 1; i < argc; i++)
    free(argv[i]);
  free(argv);
  return rc;
}

/* Is M just "0 <me> 1", which an unprivileged process may write itself? */
static bool self_map(const struct spec_idmaps *m, uint32_t me) {
  return m->len == 1 && m->items[0].hostID == me && m->items[0].size == 1;
}

int idmap_write(pid_t pid, const struct spec_idmaps *uid,
                const struct spec_idmaps *gid, werr_t *err) {
  if (geteuid() == 0) {
    if (uid->len && write_map(pid, "uid_map", uid, err) < 0)
      return -1;
    if (gid->len && write_map(pid, "gid_map", gid, err) < 0)
      return -1;
    return 0;
  }
  /* Unprivileged: a map of our own single id is allowed directly (gid_map
   * only once setgroups is denied); anything more goes through the setuid
   * helpers. */
  if (uid->len) {
    if (self_map(uid, geteuid()) ? write_map(pid, "uid_map", uid, err) < 0
                                 : run_newidmap("newuidmap", pid, uid, err) < 0)
      return -1;
  }
  if (gid->len) {
    if (self_map(gid, getegid())) {
      char path[64];
      snprintf(path, sizeof(path), "/proc/%d/setgroups", pid);
      if (write_proc_file(path, "deny", err) < 0 ||
          write_map(pid, "gid_map", gid, err) < 0)
        return -1;
    } else if (run_newidmap("newgidmap", pid, gid, err) < 0) {
      return -1;
    }
  }
  return 0;
}
