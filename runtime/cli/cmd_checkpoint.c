/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Checkpoint/restore through CRIU: not implemented yet; podman probes
 * `checkpoint --help`, which must work. */
#include <errno.h>

#include "commands.h"

#define CHECKPOINT_USAGE                                                       \
  "ward checkpoint --image-path DIR [--work-path DIR] [--leave-running] ID"
#define RESTORE_USAGE                                                          \
  "ward restore --bundle DIR --image-path DIR [--work-path DIR] [--detach] "   \
  "[--pid-file FILE] ID"

int cmd_checkpoint(struct global_opts *g, int argc, char **argv,
                   werr_t *err) {
  (void)g;
  if (cmd_wants_help(argc, argv, CHECKPOINT_USAGE))
    return 0;
  return werr_code(err, ENOSYS, "checkpoint: not implemented yet");
}

int cmd_restore(struct global_opts *g, int argc, char **argv, werr_t *err) {
  (void)g;
  if (cmd_wants_help(argc, argv, RESTORE_USAGE))
    return 0;
  return werr_code(err, ENOSYS, "restore: not implemented yet");
}
