/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ward checkpoint` and `ward restore`: runc's flags, parsed here; the
 * work is runtime/criu/'s. */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "checkpoint.h"
#include "commands.h"

#define COMMON_FLAGS                                                           \
  "[--work-path DIR] [--tcp-established] [--ext-unix-sk] [--shell-job] "       \
  "[--file-locks] [--manage-cgroups-mode soft|full|strict|ignore] "            \
  "[--empty-ns NS] [--auto-dedup] [--lazy-pages]"
#define CHECKPOINT_USAGE                                                       \
  "ward checkpoint [--image-path DIR] [--parent-path DIR] "                    \
  "[--leave-running] [--pre-dump] " COMMON_FLAGS " ID"
#define RESTORE_USAGE                                                          \
  "ward restore [--bundle DIR] [--image-path DIR] [--detach] "                 \
  "[--pid-file FILE] [--console-socket SOCK] [--no-pivot] " COMMON_FLAGS " ID"

enum {
  OPT_IMAGE = 256,
  OPT_WORK,
  OPT_PARENT,
  OPT_LEAVE,
  OPT_TCP,
  OPT_EXTUNIX,
  OPT_SHELL,
  OPT_LOCKS,
  OPT_PREDUMP,
  OPT_CGMODE,
  OPT_EMPTYNS,
  OPT_DEDUP,
  OPT_LAZY,
  OPT_PIDFILE,
  OPT_CONSOLE,
  OPT_NOPIVOT,
  OPT_IGNORED_ARG,
  OPT_IGNORED,
};

#define COMMON_OPTIONS                                                         \
  {"image-path", required_argument, 0, OPT_IMAGE},                             \
      {"work-path", required_argument, 0, OPT_WORK},                           \
      {"tcp-established", no_argument, 0, OPT_TCP},                            \
      {"ext-unix-sk", no_argument, 0, OPT_EXTUNIX},                            \
      {"shell-job", no_argument, 0, OPT_SHELL},                                \
      {"file-locks", no_argument, 0, OPT_LOCKS},                               \
      {"manage-cgroups-mode", required_argument, 0, OPT_CGMODE},               \
      {"empty-ns", required_argument, 0, OPT_EMPTYNS},                         \
      {"auto-dedup", no_argument, 0, OPT_DEDUP},                               \
      {"lazy-pages", no_argument, 0, OPT_LAZY},                                \
      {"status-fd", required_argument, 0, OPT_IGNORED_ARG}, {                  \
    "page-server", required_argument, 0, OPT_IGNORED_ARG                       \
  }

/* The boolean flags both commands share, and the field each sets. */
static const struct {
  int opt;
  size_t field;
} bool_flags[] = {
    {OPT_TCP, offsetof(struct ckpt_common, tcp_established)},
    {OPT_EXTUNIX, offsetof(struct ckpt_common, ext_unix_sk)},
    {OPT_SHELL, offsetof(struct ckpt_common, shell_job)},
    {OPT_LOCKS, offsetof(struct ckpt_common, file_locks)},
    {OPT_DEDUP, offsetof(struct ckpt_common, auto_dedup)},
    {OPT_LAZY, offsetof(struct ckpt_common, lazy_pages)},
};

/* One flag of the set both commands share; 1 if it was not one. */
static int common_flag(int ch, struct ckpt_common *c, werr_t *err) {
  for (size_t i = 0; i < sizeof(bool_flags) / sizeof(*bool_flags); i++)
    if (ch == bool_flags[i].opt) {
      *(bool *)((char *)c + bool_flags[i].field) = true;
      return 0;
    }
  switch (ch) {
  case OPT_IMAGE:
    c->image_path = optarg;
    return 0;
  case OPT_WORK:
    c->work_path = optarg;
    return 0;
  case OPT_CGMODE:
    return ckpt_parse_cg_mode(optarg, &c->cg_mode, err);
  case OPT_EMPTYNS:
    /* runc's --empty-ns network leaves the netns to be set up by others;
     * Debian 12's libcriu has no setter for it. */
    return werr_code(
        err, ENOTSUP,
        "--empty-ns: not supported by ward (its libcriu cannot ask "
        "CRIU for an empty namespace)");
  case OPT_IGNORED_ARG:
    return 0;
  }
  return 1;
}

int cmd_checkpoint(struct global_opts *g, int argc, char **argv, werr_t *err) {
  /* Clients probe `checkpoint --help` to learn whether the runtime can
   * checkpoint: only say yes when CRIU works here. */
  if (cmd_wants_help(argc, argv, CHECKPOINT_USAGE))
    return ckpt_usable(g->criu, err) ? 0 : -1;
  static const struct option opts[] = {
      COMMON_OPTIONS,
      {"parent-path", required_argument, 0, OPT_PARENT},
      {"leave-running", no_argument, 0, OPT_LEAVE},
      {"pre-dump", no_argument, 0, OPT_PREDUMP},
      {0, 0, 0, 0}};
  struct ckpt_dump_opts o = {.c = {.image_path = "checkpoint", .cg_mode = -1}};
  int ch;
  optind = 1;
  while ((ch = getopt_long_only(argc, argv, "+:", opts, NULL)) != -1) {
    int r = common_flag(ch, &o.c, err);
    if (r < 0)
      return -1;
    if (r == 0)
      continue;
    switch (ch) {
    case OPT_PARENT:
      o.parent_path = optarg;
      break;
    case OPT_LEAVE:
      o.leave_running = true;
      break;
    case OPT_PREDUMP:
      o.pre_dump = true;
      break;
    default:
      return cmd_bad_option(ch, argv, CHECKPOINT_USAGE, err);
    }
  }
  if (cmd_need_id(argc, argv, CHECKPOINT_USAGE, true, err) < 0)
    return -1;
  o.c.criu = g->criu;
  struct ward_ctx ctx = cmd_ctx(g);
  return ckpt_dump(&ctx, argv[optind], &o, err);
}

int cmd_restore(struct global_opts *g, int argc, char **argv, werr_t *err) {
  /* Clients probe `checkpoint --help` to learn whether the runtime can
   * checkpoint: only say yes when CRIU works here. */
  if (cmd_wants_help(argc, argv, RESTORE_USAGE))
    return ckpt_usable(g->criu, err) ? 0 : -1;
  static const struct option opts[] = {
      COMMON_OPTIONS,
      {"bundle", required_argument, 0, 'b'},
      {"detach", no_argument, 0, 'd'},
      {"pid-file", required_argument, 0, OPT_PIDFILE},
      {"console-socket", required_argument, 0, OPT_CONSOLE},
      {"no-pivot", no_argument, 0, OPT_NOPIVOT},
      {"no-subreaper", no_argument, 0, OPT_IGNORED},
      {0, 0, 0, 0}};
  struct ckpt_restore_opts o = {
      .c = {.image_path = "checkpoint", .cg_mode = -1}};
  int ch;
  optind = 1;
  /* _only: go-runc (containerd's shim) writes -no-subreaper. */
  while ((ch = getopt_long_only(argc, argv, "+:b:d", opts, NULL)) != -1) {
    int r = common_flag(ch, &o.c, err);
    if (r < 0)
      return -1;
    if (r == 0)
      continue;
    switch (ch) {
    case 'b':
      o.bundle = optarg;
      break;
    case 'd':
      o.detach = true;
      break;
    case OPT_PIDFILE:
      o.pid_file = optarg;
      break;
    case OPT_CONSOLE:
      o.console_socket = optarg;
      break;
    case OPT_NOPIVOT:
      o.no_pivot = true;
      break;
    case OPT_IGNORED:
      break;
    default:
      return cmd_bad_option(ch, argv, RESTORE_USAGE, err);
    }
  }
  if (cmd_need_id(argc, argv, RESTORE_USAGE, true, err) < 0)
    return -1;
  o.id = argv[optind];
  o.c.criu = g->criu;
  struct ward_ctx ctx = cmd_ctx(g);
  return ckpt_restore(&ctx, &o, err);
}
