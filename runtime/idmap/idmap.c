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
#include <sys/stat.h>
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
                      struct idmap_registry *reg, bool gid, uint64_t *base,
                      werr_t *err) {
  const struct idmap_subids *ids = gid ? &sh->gid : &sh->uid;
  struct idmap_range pool = ids->pool;
  if (rq->has_base) {
    struct idmap_range want = {rq->base, rq->size};
    if (!delegated(ids, want.base, want.size))
      return werr_code(
          err, ERANGE,
          IDMAP_ANNOT_BASE ": %s %llu-%llu is not inside %s's range (%s: "
                           "%llu-%llu)",
          side_name(gid), (unsigned long long)want.base,
          (unsigned long long)(want.base + want.size - 1), user,
          pool_source(sh, gid), (unsigned long long)pool.base,
          (unsigned long long)(pool.base + pool.size - 1));
    uint64_t shared =
        pool.size < IDMAP_ISOLATED_SIZE ? pool.size : IDMAP_ISOLATED_SIZE;
    struct idmap_used o = {0};
    int got = 0;
    if (want.base < pool.base + shared && pool.base < want.base + want.size) {
      o = (struct idmap_used){pool.base, shared,
                              xstrdup("the shared default range")};
      got = 1;
    } else {
      got = idmap_registry_overlap(reg, gid, want, false, NULL, &o, err);
    }
    if (got < 0)
      return -1;
    if (got) {
      werr_code(err, EEXIST,
                 IDMAP_ANNOT_BASE ": %s %llu-%llu overlaps %s (%llu-%llu)",
                 side_name(gid), (unsigned long long)want.base,
                 (unsigned long long)(want.base + want.size - 1), o.owner,
                 (unsigned long long)o.base,
                 (unsigned long long)(o.base + o.size - 1));
      free((char *)o.owner);
      return -1;
    }
    *base = rq->base;
    return 0;
  }
  struct idmap_free_info fi;
  for (int round = 0; round < 2; round++) {
    if (idmap_registry_first_fit(reg, gid, pool, rq->size, base, &fi, err) ==
        0)
      return 0;
    if (*err)
      return -1;
    /* Full: reclaim whatever is provably unused, then look once more. */
    if (round == 0 && idmap_registry_sweep(reg, 0, err) < 0)
      return -1;
  }
  return werr_code(
      err, ENOSPC,
      "%s: no free range of %llu %ss left in %s (%llu-%llu): %llu %ss "
      "free in %zu gaps, the largest %llu",
      rq->isolated_why, (unsigned long long)rq->size, side_name(gid),
      pool_source(sh, gid), (unsigned long long)pool.base,
      (unsigned long long)(pool.base + pool.size - 1),
      (unsigned long long)fi.total, side_name(gid), fi.gaps,
      (unsigned long long)fi.largest);
}

/* Raw host ids must not reach into another container's isolated range. */
static int check_raw_hosts(const struct idmap_raw *raw,
                           struct idmap_registry *reg,
                           const struct idmap_entry *self, werr_t *err) {
  for (int gid = 0; gid < 2; gid++) {
    for (size_t i = 0; i < raw->len; i++) {
      const struct idmap_raw_entry *e = &raw->items[i];
      if (!idmap_raw_applies(e, gid))
        continue;
      struct idmap_used o;
      int got = idmap_registry_overlap(
          reg, gid, (struct idmap_range){e->host, e->size}, true, self, &o,
          err);
      if (got < 0)
        return -1;
      if (got) {
        werr_code(
            err, EEXIST,
            IDMAP_RAW_ANNOTATION " line %u: host %ss %u-%u lie inside the "
                                 "isolated range of %s",
            e->line, side_name(gid), e->host, e->host + e->size - 1, o.owner);
        free((char *)o.owner);
        return -1;
      }
    }
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

/* The caller made ROOT/ID exclusively before calling: an entry already
 * recorded for it is left over from a container of the same name whose
 * state was removed by hand.  It goes only if no process still uses its
 * ids; else this create stops and the entry stays. */
static int forget_stale(struct idmap_registry *reg, const char *root,
                        const char *id, werr_t *err) {
  struct idmap_entry old;
  int got = idmap_registry_find_owner(reg, root, id, &old, err);
  if (got <= 0)
    return got;
  int rc;
  pid_t pid = 0;
  if (idmap_entry_in_use(&old, &pid)) {
    rc = werr_code(
        err, EBUSY,
        "container %s in %s: the ids recorded for an earlier container of "
        "that name (uids %llu-%llu) are still used by pid %d; stop it (its "
        "state directory was removed) or pick another id",
        id, root, (unsigned long long)old.uid_base,
        (unsigned long long)(old.uid_base + old.uid_size - 1), (int)pid);
  } else if (old.key) {
    struct idmap_entry idle = old;
    idle.root = idle.id = NULL;
    idle.raw = NULL;
    rc = idmap_registry_put(reg, &idle, &old, err);
  } else {
    rc = idmap_registry_drop(reg, &old, err);
  }
  idmap_entry_clear(&old);
  return rc;
}

/* Under the registry lock: choose, build, check and record. */
static int decide_locked(const char *root, const char *id,
                         struct spec_config *c, const struct idmap_request *rq,
                         const struct idmap_shadow *sh, const char *user,
                         struct idmap_registry *reg, werr_t *err) {
  /* The caller made ROOT/ID exclusively before calling: an entry already
   * recorded for it is left over from a container of the same name whose
   * state was removed by hand.  It cannot be in use any more. */
  if (forget_stale(reg, root, id, err) < 0)
    return -1;
  /* Keep the registry from filling with ranges nobody uses: a few slots
   * per allocation, round-robin, so the cost stays flat. */
  if (idmap_registry_sweep(reg, IDMAP_SWEEP_SLOTS, err) < 0)
    return -1;
  bool oci = c->linux_.uidMappings.len || c->linux_.gidMappings.len;
  struct spec_idmaps uid = {0}, gid = {0};
  uint64_t ubase = 0, gbase = 0, usize = 0, gsize = 0;
  const char *kind;
  struct idmap_entry keyed_buf = {0}, *keyed = NULL;
  if (rq->key) {
    int got = idmap_registry_find_key(reg, rq->key, &keyed_buf, err);
    if (got < 0)
      return -1;
    keyed = got ? &keyed_buf : NULL;
  }
  int rc = -1;
  char *created = NULL, **raw = NULL;
  if (oci) {
    kind = IDMAP_KIND_OCI;
    uid = copy_map(&c->linux_.uidMappings);
    gid = copy_map(&c->linux_.gidMappings);
  } else if (keyed) {
    pid_t pid;
    if (keyed->id && !idmap_entry_has_state(keyed) &&
        !idmap_entry_in_use(keyed, &pid)) {
      /* Its container is gone (state and processes): the key idles. */
      struct idmap_entry idle = *keyed;
      idle.root = idle.id = NULL;
      idle.raw = NULL;
      if (idmap_registry_put(reg, &idle, keyed, err) < 0)
        goto out;
      free(keyed->root);
      free(keyed->id);
      strv_free(keyed->raw);
      keyed->root = keyed->id = NULL;
      keyed->raw = NULL;
    }
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
    if (pick_range(rq, sh, user, reg, false, &ubase, err) < 0 ||
        pick_range(rq, sh, user, reg, true, &gbase, err) < 0)
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

  /* One entry file (and its index files) appear; nothing else moves. */
  struct idmap_entry e = {0};
  if (keyed) {
    e = *keyed;
  } else {
    e.key = rq->key;
    e.kind = (char *)kind;
    e.uid_base = ubase, e.uid_size = usize;
    e.gid_base = gbase, e.gid_size = gsize;
  }
  created = keyed ? NULL : now_rfc3339();
  raw = raw_lines(&rq->raw);
  if (!keyed)
    e.created = created;
  e.root = (char *)root;
  e.id = (char *)id;
  e.raw = raw;
  if (idmap_registry_put(reg, &e, keyed, err) < 0)
    goto out;
  set_maps(c, &uid, &gid);
  rc = 0;
out:
  free(uid.items);
  free(gid.items);
  idmap_entry_clear(&keyed_buf);
  free(created);
  strv_free(raw);
  return rc;
}

/* A superset of what idmap_prepare allocates for: any ward.idmap.*
 * annotation, or a new user namespace without OCI maps. */
bool idmap_may_allocate(const struct spec_config *c) {
  const struct spec_namespace *ns = &c->linux_.namespaces[SPEC_NS_USER];
  if (ns->present && !ns->path && !c->linux_.uidMappings.len &&
      !c->linux_.gidMappings.len)
    return true; /* a new user namespace the config gives no maps for */
  for (size_t i = 0; i < c->annotations.len; i++)
    if (idmap_annotation(c->annotations.items[i].key))
      return true;
  return false;
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
  if (idmap_registry_open(dir, IDMAP_WRITE, &reg, err) < 0)
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
  _cleanup_free_ char *root = absolute_root(state_root);
  char name[IDMAP_ENTRY_NAME_LEN];
  idmap_owner_name(root, id, name);
  _cleanup_free_ char *file = xasprintf("%s/entries/%s", dir, name);
  struct stat st;
  /* A container ward allocated nothing for never touches the registry (no
   * lock, no file read), so a damaged or locked registry cannot block its
   * delete.  One made by an older ward is in the old allocations.json until
   * the next allocation moves it to entries/; the sweep then reclaims it,
   * its state and processes being gone. */
  if (lstat(file, &st) < 0)
    return 0;
  struct idmap_registry *reg;
  /* An old file that does not validate stays as it is (its ranges taken
   * until it is repaired, then reclaimed by the sweep); it does not keep
   * this container from giving back its own entry. */
  if (idmap_registry_open(dir, IDMAP_RELEASE, &reg, err) < 0)
    return -1;
  int rc = 0;
  struct idmap_entry e;
  int got = idmap_registry_find_owner(reg, root, id, &e, err);
  if (got < 0) {
    rc = -1;
  } else if (got && e.key) { /* the range stays with its key */
    struct idmap_entry idle = e;
    idle.root = idle.id = NULL;
    idle.raw = NULL;
    rc = idmap_registry_put(reg, &idle, &e, err);
  } else if (got) {
    rc = idmap_registry_drop(reg, &e, err);
  }
  if (got == 1)
    idmap_entry_clear(&e);
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
