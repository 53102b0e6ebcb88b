/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Every subcommand: parse its own flags from argv (argv[0] is the command
 * name), do the work, return the exit code (>= 0) or -1 with *err set.
 * Only cli.c prints errors. */
#ifndef WARD_COMMANDS_H
#define WARD_COMMANDS_H

#include <stdbool.h>

#include "ward_error.h"

struct global_opts {
  const char *root;  /* state root, default /run/ward */
  const char *log;   /* --log FILE or NULL */
  bool log_json;     /* --log-format json */
  bool debug;
  bool systemd_cgroup;
  const char *criu;  /* --criu PATH: CRIU binary for libcriu, or NULL */
};

#define WARD_DEFAULT_ROOT "/run/ward"

/* What the core gets of the global options (runtime/cli/cmd_lifecycle.c);
 * the core never sees global_opts. */
struct ward_ctx;
struct ward_ctx cmd_ctx(const struct global_opts *g);

typedef int (*cmd_fn)(struct global_opts *g, int argc, char **argv,
                      werr_t *err);

/* runtime/cmd_lifecycle.c */
int cmd_create(struct global_opts *g, int argc, char **argv, werr_t *err);
int cmd_start(struct global_opts *g, int argc, char **argv, werr_t *err);
int cmd_run(struct global_opts *g, int argc, char **argv, werr_t *err);
int cmd_delete(struct global_opts *g, int argc, char **argv, werr_t *err);
int cmd_kill(struct global_opts *g, int argc, char **argv, werr_t *err);
int cmd_state(struct global_opts *g, int argc, char **argv, werr_t *err);
int cmd_list(struct global_opts *g, int argc, char **argv, werr_t *err);
/* runtime/cmd_exec.c */
int cmd_exec(struct global_opts *g, int argc, char **argv, werr_t *err);
/* runtime/cmd_spec.c */
int cmd_spec(struct global_opts *g, int argc, char **argv, werr_t *err);
int cmd_features(struct global_opts *g, int argc, char **argv, werr_t *err);
/* runtime/cmd_cgroup.c */
int cmd_ps(struct global_opts *g, int argc, char **argv, werr_t *err);
int cmd_pause(struct global_opts *g, int argc, char **argv, werr_t *err);
int cmd_resume(struct global_opts *g, int argc, char **argv, werr_t *err);
int cmd_update(struct global_opts *g, int argc, char **argv, werr_t *err);
int cmd_events(struct global_opts *g, int argc, char **argv, werr_t *err);
/* runtime/cmd_idmap.c */
int cmd_idmap(struct global_opts *g, int argc, char **argv, werr_t *err);
/* runtime/cmd_checkpoint.c */
int cmd_checkpoint(struct global_opts *g, int argc, char **argv, werr_t *err);
int cmd_restore(struct global_opts *g, int argc, char **argv, werr_t *err);
/* runtime/cli/cmd_check.c */
int cmd_check(struct global_opts *g, int argc, char **argv, werr_t *err);

/* Shared by commands: true when argv asks for --help/-h (prints USAGE). */
bool cmd_wants_help(int argc, char **argv, const char *usage);
/* The one-line error for what getopt returned CH ('?' or ':') for; optstrings
 * start with "+:" so a missing value is told apart. Returns -1. */
int cmd_bad_option(int ch, char **argv, const char *usage, werr_t *err);
/* The container id at argv[optind]; ONLY: and nothing after it. */
int cmd_need_id(int argc, char **argv, const char *usage, bool only,
                werr_t *err);

#endif
