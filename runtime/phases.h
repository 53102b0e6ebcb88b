/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An operation (create, start, delete) as a list of named phases run by
 * one loop: each phase may name its undo step, the loop undoes the phases
 * that ran (newest first) when one fails or a stop signal arrived, and it
 * times every phase (`ward --debug` logs one line per phase). */
#ifndef WARD_PHASES_H
#define WARD_PHASES_H

#include <signal.h>
#include <stdbool.h>

#include "ward_error.h"

struct phase {
  const char *name;
  int (*run)(void *arg, werr_t *err);
  /* Undo what RUN made; also called for the phase that failed, so it must
   * cope with a partial RUN.  NULL: nothing to undo. */
  void (*undo)(void *arg);
};

/* Run PHASES[0..N) on ARG for operation OP ("create").  With DEBUG, log
 * "OP: NAME N us" per phase that ran and "OP: total N us". */
int phases_run(const char *op, const struct phase *phases, size_t n, void *arg,
               bool debug, werr_t *err);

/* SIGTERM, SIGINT and SIGHUP while an operation that must not be left
 * half-done runs: remembered instead of killing ward, and phases_run stops
 * at the next phase boundary (undoing what ran) with "interrupted by
 * SIGTERM".  Blocking calls return EINTR, so a wait (a lock) ends too. */
struct phase_signals {
  struct sigaction old[3];
};
void phases_catch_signals(struct phase_signals *saved);
void phases_restore_signals(const struct phase_signals *saved);
/* In a child forked while signals are caught: back to the default
 * actions, so `ward kill` of a created container still terminates it. */
void phases_child_reset(void);
/* Block the caught signals around a fork/clone (OLD receives the mask). */
void phases_block(sigset_t *old);
void phases_unblock(const sigset_t *old);

#endif
