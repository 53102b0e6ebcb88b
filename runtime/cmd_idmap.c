/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Placeholder until the idmap work (issue 4) lands. */
#include <errno.h>

#include "commands.h"

int cmd_idmap(struct global_opts *g, int argc, char **argv, werr_t *err) {
  (void)g, (void)argc, (void)argv;
  return werr(err, ENOSYS, "idmap: not implemented yet");
}
