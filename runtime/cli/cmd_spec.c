/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ward spec` writes a default config.json; `ward features` prints the
 * runtime-spec features document. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "commands.h"
#include "default_config.h"
#include "checkpoint.h"
#include "oci_features.h"
#include "utils.h"

#define SPEC_USAGE "ward spec [--bundle DIR] [--rootless]"
int cmd_spec(struct global_opts *g, int argc, char **argv, werr_t *err) {
  (void)g;
  if (cmd_wants_help(argc, argv, SPEC_USAGE))
    return 0;
  static const struct option opts[] = {{"bundle", required_argument, 0, 'b'},
                                       {"rootless", no_argument, 0, 'r'},
                                       {0, 0, 0, 0}};
  const char *bundle = ".";
  bool rootless = false;
  int ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "+:b:", opts, NULL)) != -1) {
    if (ch == 'b')
      bundle = optarg;
    else if (ch == 'r')
      rootless = true;
    else
      return cmd_bad_option(ch, argv, SPEC_USAGE, err);
  }
  _cleanup_free_ char *path = xasprintf("%s/config.json", bundle);
  if (access(path, F_OK) == 0)
    return werr_code(err, EEXIST, "%s: file exists, not overwriting", path);
  _cleanup_free_ char *doc =
      spec_default_config_json(rootless, getuid(), getgid());
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                                0644);
  if (fd < 0)
    return werr_sys(err, "create %s", path);
  if (write_all(fd, doc, strlen(doc)) < 0 || write_all(fd, "\n", 1) < 0)
    return werr_sys(err, "write %s", path);
  return 0;
}

int cmd_features(struct global_opts *g, int argc, char **argv, werr_t *err) {
  if (cmd_wants_help(argc, argv, "ward features"))
    return 0;
  static const struct option none[] = {{0, 0, 0, 0}};
  optind = 1;
  int ch = getopt_long(argc, argv, "+:", none, NULL);
  if (ch != -1)
    return cmd_bad_option(ch, argv, "ward features", err);
  if (optind < argc)
    return werr_code(err, EINVAL, "features: unexpected argument \"%s\" (usage: "
                             "ward features)", argv[optind]);
  _cleanup_free_ char *doc = spec_features_json(ckpt_usable(g->criu, NULL));
  printf("%s\n", doc);
  return 0;
}
