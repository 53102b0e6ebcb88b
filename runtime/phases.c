/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "phases.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "utils.h"

static const int stop_signals[3] = {SIGTERM, SIGINT, SIGHUP};
static volatile sig_atomic_t stop_sig;

static void on_stop(int sig) {
  if (stop_sig == 0)
    stop_sig = sig;
}

void phases_catch_signals(struct phase_signals *saved) {
  struct sigaction sa = {.sa_handler = on_stop}; /* no SA_RESTART */
  sigemptyset(&sa.sa_mask);
  stop_sig = 0;
  for (size_t i = 0; i < 3; i++)
    sigaction(stop_signals[i], &sa, &saved->old[i]);
}

void phases_restore_signals(const struct phase_signals *saved) {
  for (size_t i = 0; i < 3; i++)
    sigaction(stop_signals[i], &saved->old[i], NULL);
}

void phases_child_reset(void) {
  struct sigaction sa = {.sa_handler = SIG_DFL};
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < 3; i++)
    sigaction(stop_signals[i], &sa, NULL);
}

void phases_block(sigset_t *old) {
  sigset_t set;
  sigemptyset(&set);
  for (size_t i = 0; i < 3; i++)
    sigaddset(&set, stop_signals[i]);
  sigprocmask(SIG_BLOCK, &set, old);
}

void phases_unblock(const sigset_t *old) {
  sigprocmask(SIG_SETMASK, old, NULL);
}

static long long now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The --debug lines go where ward's warnings go: stderr and --log. */
static void ward_debug_log(const char *line) {
  fprintf(stderr, "ward: debug: %s\n", line);
  ward_log_line("debug", line);
}

static void debug_line(const char *op, const char *name, long long us,
                       bool failed) {
  char line[160];
  snprintf(line, sizeof(line), "%s: %s %lld us%s", op, name, us,
           failed ? " (failed)" : "");
  ward_debug_log(line);
}

int phases_run(const char *op, const struct phase *phases, size_t n, void *arg,
               bool debug, werr_t *err) {
  long long t0 = now_us();
  size_t i = 0;
  int rc = 0;
  for (; i < n; i++) {
    if (stop_sig) {
      werr_code(err, EINTR, "%s: interrupted by SIG%s", op,
                sigabbrev_np(stop_sig));
      rc = -1;
      break;
    }
    long long t = now_us();
    rc = phases[i].run(arg, err);
    if (debug)
      debug_line(op, phases[i].name, now_us() - t, rc < 0);
    if (rc < 0) {
      if (stop_sig)
        werr_prefix(err, "%s: interrupted by SIG%s", op,
                    sigabbrev_np(stop_sig));
      i++; /* the failed phase undoes its own part too */
      break;
    }
  }
  if (rc < 0) {
    long long t = now_us();
    while (i-- > 0)
      if (phases[i].undo)
        phases[i].undo(arg);
    if (debug)
      debug_line(op, "undo", now_us() - t, false);
  }
  if (debug)
    debug_line(op, "total", now_us() - t0, rc < 0);
  return rc;
}
