/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A plan: the file writes linux.resources turned into, applied in order
 * with the old values restored if one fails, so a refused update changes
 * nothing. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_layout.h"
#include "cleanup.h"

void cg_plan_init(struct cg_plan *p) {
  memset(p, 0, sizeof(*p));
  p->bpf_prog = -1;
}

void cg_plan_free(struct cg_plan *p) {
  for (size_t i = 0; i < p->n; i++) {
    free(p->ops[i].dir);
    free(p->ops[i].file);
    free(p->ops[i].value);
    free(p->ops[i].field);
    free(p->ops[i].old);
  }
  free(p->ops);
  if (p->bpf_prog >= 0)
    close(p->bpf_prog);
  free(p->bpf_dir);
  free(p->bpf_field);
  cg_plan_init(p);
}

void cg_plan_add(struct cg_plan *p, const char *dir, const char *file,
                 const char *field, bool restore, const char *fmt, ...) {
  struct cg_op *ops = realloc(p->ops, (p->n + 1) * sizeof(*ops));
  if (ops == NULL)
    abort();
  p->ops = ops;
  struct cg_op *o = &p->ops[p->n++];
  memset(o, 0, sizeof(*o));
  o->dir = strdup(dir);
  o->file = strdup(file);
  o->field = strdup(field);
  if (o->dir == NULL || o->file == NULL || o->field == NULL)
    abort();
  o->restore = restore;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&o->value, fmt, ap) < 0)
    abort();
  va_end(ap);
}

/* memory.kmem.limit_in_bytes is still there on kernels >= 6.1 but writes to
 * it are accepted and ignored: read back to tell. */
static int check_kmem(const struct cg_op *o, werr_t *err) {
  uint64_t now = 0;
  if (strcmp(o->value, "-1") == 0)
    return 0;
  if (cg_read_u64(o->dir, o->file, &now) < 0)
    return werr(err, "%s: cannot read back %s/%s", o->field, o->dir,
                o->file);
  if (now >= (1ull << 62))
    cg_deprecated_ignored(o->field, "this kernel ignores kmem.limit_in_bytes");
  return 0;
}

static void rollback(struct cg_plan *p, size_t upto) {
  for (size_t i = upto; i-- > 0;) {
    struct cg_op *o = &p->ops[i];
    if (o->old == NULL)
      continue;
    _cleanup_werr_ werr_t e = NULL;
    (void)cg_write(o->dir, o->file, o->old, &e);
  }
}

int cg_plan_apply(struct cg_plan *p, werr_t *err) {
  for (size_t i = 0; i < p->n; i++) {
    struct cg_op *o = &p->ops[i];
    if (o->restore) {
      _cleanup_werr_ werr_t e = NULL;
      if (cg_read(o->dir, o->file, &o->old, &e) < 0)
        o->old = NULL;
    }
    if (cg_write(o->dir, o->file, o->value, err) < 0) {
      werr_prefix(err, "%s", o->field);
      rollback(p, i + 1);
      return -1;
    }
    if (o->check == CG_CHECK_KMEM && check_kmem(o, err) < 0) {
      rollback(p, i + 1);
      return -1;
    }
  }
  if (p->bpf_prog >= 0 && cg_bpf_attach(p->bpf_dir, p->bpf_prog, err) < 0) {
    werr_prefix(err, "%s", p->bpf_field);
    rollback(p, p->n);
    return -1;
  }
  return 0;
}

/* runc's AllowedDevices: mknod of anything, the standard character
 * devices, ptys and /dev/net/tun. */
