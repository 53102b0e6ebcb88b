/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Placeholder until the cgroups work (issue 5) lands. */
#include <errno.h>

#include "commands.h"

#define STUB(name)                                                             \
  int cmd_##name(struct global_opts *g, int argc, char **argv, werr_t *err) {  \
    (void)g, (void)argc, (void)argv;                                           \
    return werr(err, ENOSYS, #name ": not implemented yet");                   \
  }
STUB(ps)
STUB(pause)
STUB(resume)
STUB(update)
STUB(events)
