/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ward exec` in the core: the CLI parses flags and builds the process;
 * this checks the container can take it, joins it and runs it. */
#ifndef WARD_EXEC_H
#define WARD_EXEC_H

#include <stdbool.h>

#include "config.h"
#include "container.h"

struct exec_opts {
  const char *pid_file;
  const char *console_socket; /* the pty master goes there (else: kept) */
  bool detach;                /* return once the process runs */
  int preserve_fds;
};

/* Run P in container ST (whose config copy is C).  Detached: 0 once P
 * exec'd.  Otherwise waits and returns P's exit status, relaying signals
 * and the terminal as `ward run` does. */
int container_exec(const struct ward_ctx *ctx, struct container_state *st,
                   const struct spec_config *c, struct spec_process *p,
                   const struct exec_opts *o, werr_t *err);

#endif
