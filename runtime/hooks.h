/* SPDX-License-Identifier: GPL-2.0-or-later */
/* OCI hooks: each runs with the state JSON on stdin, its own args and env,
 * and an optional timeout after which it is killed. */
#ifndef WARD_HOOKS_H
#define WARD_HOOKS_H

#include "config.h"

/* KIND names the list in errors ("hooks.createRuntime"). */
int hooks_run(const struct spec_hooklist *l, const char *kind,
              const char *state_json, werr_t *err);
/* poststart and poststop: the runtime-spec says a failure is logged as a
 * warning and the remaining hooks and the lifecycle go on as if it had
 * succeeded.  Runs every hook; each failure is one ward_warn() line. */
void hooks_run_warn(const struct spec_hooklist *l, const char *kind,
                    const char *state_json);

#endif
