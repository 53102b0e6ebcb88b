/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ward check`: flags only; the probes, the linter and the fix live in
 * runtime/check/. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "commands.h"

#define CHECK_USAGE                                                            \
  "ward check [--format table|json] [--rootfs DIR] [--criu BIN]\n"             \
  "       ward check --bundle DIR [--format table|json]\n"                     \
  "       ward check --fix name-leakage\n"                                     \
  "  host: every condition ward depends on, ok/warn/fail (exit 1 on fail);\n"  \
  "  --bundle: lint DIR/config.json (exit 1 on a high finding);\n"             \
  "  --fix name-leakage: chmod 400 /proc/sched_debug, chmod 700 "              \
  "/sys/kernel/slab"

int cmd_check(struct global_opts *g, int argc, char **argv, werr_t *err) {
  if (cmd_wants_help(argc, argv, CHECK_USAGE))
    return 0;
  static const struct option opts[] = {{"format", required_argument, 0, 'f'},
                                       {"bundle", required_argument, 0, 'b'},
                                       {"rootfs", required_argument, 0, 'r'},
                                       {"criu", required_argument, 0, 'c'},
                                       {"fix", required_argument, 0, 'x'},
                                       /* else taken for --rootfs */
                                       {"root", required_argument, 0, 'R'},
                                       {0, 0, 0, 0}};
  const char *bundle = NULL, *fix = NULL;
  struct check_opts o = {.state_root = g->root};
  bool json = false;
  int ch;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "+f:b:", opts, NULL)) != -1) {
    switch (ch) {
    case 'f':
      if (strcmp(optarg, "json") != 0 && strcmp(optarg, "table") != 0)
        return werr_code(err, EINVAL,
                          "check: --format: want table or json, got \"%s\"",
                          optarg);
      json = strcmp(optarg, "json") == 0;
      break;
    case 'b':
      bundle = optarg;
      break;
    case 'r':
      o.rootfs = optarg;
      break;
    case 'c':
      o.criu = optarg;
      break;
    case 'x':
      fix = optarg;
      break;
    case 'R':
      return werr_code(err, EINVAL,
                        "check: --root is a global option: ward --root DIR "
                        "check");
    default:
      return werr_code(err, EINVAL,
                        "check: invalid option or missing value (see ward "
                        "check --help)");
    }
  }
  if (optind < argc)
    return werr_code(err, EINVAL, "check: unexpected argument \"%s\"",
                      argv[optind]);
  if (fix && (bundle || o.rootfs))
    return werr_code(err, EINVAL, "check: --fix goes alone");
  if (fix)
    return check_fix(fix, err) < 0 ? -1 : 0;
  if (bundle) {
    struct lint_report r;
    if (check_bundle(bundle, &r, err) < 0)
      return -1;
    lint_report_print(&r, json);
    int rc = lint_report_has_high(&r) ? 1 : 0;
    lint_report_free(&r);
    return rc;
  }
  struct check_report r;
  check_host(&o, &r);
  check_report_print(&r, json);
  int rc = check_report_failed(&r) ? 1 : 0;
  check_report_free(&r);
  return rc;
}
