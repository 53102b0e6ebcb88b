/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ward features`: the runtime-spec features.md document.  Not named
 * features.h: with -Ispec that would shadow glibc's <features.h>. */
#ifndef WARD_OCI_FEATURES_H
#define WARD_OCI_FEATURES_H

#include <stdbool.h>

/* Pretty-printed JSON, caller frees.  CHECKPOINT: CRIU works here. */
char *spec_features_json(bool checkpoint);

/* The 41 Linux capability names ward knows (CAP_CHOWN .. CAP_CHECKPOINT_RESTORE),
 * indexed by capability number, NULL-terminated. */
extern const char *const spec_capability_names[];

#endif
