/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>

#include "commands.h"

int cmd_exec(struct global_opts *g, int argc, char **argv, werr_t *err) {
  (void)g;
  if (cmd_wants_help(argc, argv, "ward exec [--process FILE] ID [ARGS...]"))
    return 0;
  return werr(err, ENOSYS, "exec: not implemented yet");
}
