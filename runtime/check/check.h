/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ward check`: the host doctor (every condition ward depends on, each
 * ok / warn / fail with what was seen and the one fix), the bundle linter
 * (config.json findings by severity) and the one host fix ward applies
 * itself (name leakage).  Every host probe is read-only, or undoes what it
 * tried before it returns, and works unprivileged (saying what it could not
 * see). */
#ifndef WARD_CHECK_H
#define WARD_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "ward_error.h"

enum check_status { CHECK_OK, CHECK_WARN, CHECK_FAIL };

struct check_result {
  const char *name;  /* "cgroup.layout" */
  enum check_status status;
  char *seen;        /* what the probe found, one line */
  char *fix;         /* the one command or config line, or NULL */
};

struct check_opts {
  const char *state_root; /* ward --root */
  const char *rootfs;     /* --rootfs DIR, or NULL */
  const char *criu;       /* --criu BIN, or NULL for "criu" in PATH */
};

struct check_report {
  struct check_result *items;
  size_t len;
};

/* Run every host probe, in table order. */
void check_host(const struct check_opts *o, struct check_report *out);
void check_report_free(struct check_report *r);
const char *check_status_name(enum check_status s);
/* A table, or a JSON document {"checks": [...], "summary": {...}}. */
void check_report_print(const struct check_report *r, bool json);
/* Does any result fail? */
bool check_report_failed(const struct check_report *r);

/* The bundle linter. */
enum lint_severity { LINT_LOW, LINT_MEDIUM, LINT_HIGH };
struct lint_finding {
  enum lint_severity severity;
  const char *rule; /* "privileged" */
  char *path;       /* JSON path the finding is about ("process.user.uid") */
  char *advice;     /* one line */
};
struct lint_report {
  struct lint_finding *items;
  size_t len;
};
/* Lint BUNDLE/config.json.  Live containers (the shared-rootfs rule) are
 * found through the host-wide idmap registry, whatever their --root.  A
 * config the parser rejects is one high finding carrying the parser's JSON
 * path.  -1 only when the bundle has no readable config.json at all. */
int check_bundle(const char *bundle, struct lint_report *out, werr_t *err);
void lint_report_free(struct lint_report *r);
const char *lint_severity_name(enum lint_severity s);
void lint_report_print(const struct lint_report *r, bool json);
bool lint_report_has_high(const struct lint_report *r);

/* Known fixes (`ward check --fix NAME`). */
#define CHECK_FIX_NAME_LEAKAGE "name-leakage"
/* chmod 400 /proc/sched_debug, chmod 700 /sys/kernel/slab (where present);
 * prints what it changed. */
int check_fix(const char *name, werr_t *err);

#endif
