/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One error type for all of ward: an errno (0 when none applies) and a
 * one-line message.  Functions that can fail return -1 and fill *err; only
 * runtime/cli.c prints it.  Context is prepended on the way up, so the final
 * line reads "config.json: linux.uidMappings[1].size: must be > 0". */
#ifndef WARD_ERROR_H
#define WARD_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

struct ward_error {
  int errnum; /* a code for callers to test (ENOENT, ESRCH ...), or 0 */
  char *msg;
  bool sys; /* errnum came from a failed syscall: printed as strerror */
};
typedef struct ward_error *werr_t;

/* What errnum is for: a caller that must tell one failure from another
 * (a missing container, a vanished process) tests it.  It is printed only
 * when a syscall failed (werr_sys).  Each sets *err (freeing any previous
 * one) and returns -1. */

/* A complete message, no code: "config.json: process.cwd: must be ...". */
int werr(werr_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A complete message plus CODE for callers to test; CODE is not printed
 * ("container \"x\" does not exist", ENOENT). */
int werr_code(werr_t *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A syscall failed: errno is captured before anything can clobber it,
 * kept as the code and printed as "MSG: strerror(errno)". */
int werr_sys(werr_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prepend "PREFIX: " to an existing error; returns -1. */
int werr_prefix(werr_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void werr_free(werr_t *err);
/* The text as printed: "MSG" or "MSG: strerror(errnum)". Caller frees. */
char *werr_text(const struct ward_error *e);

/* The log sink (spec/ward_log.c).  The CLI sets it up from --log and
 * --log-format; every line ward logs goes through ward_log_line(), so --log
 * holds one valid UTF-8 line per event in the chosen format (json: level,
 * msg, time; text: logrus style). */
void ward_log_setup(const char *path, bool json);
/* One line at LEVEL ("error", "warning") to the --log sink only. */
void ward_log_line(const char *level, const char *text);
/* The one warning path: "ward: warning: MSG" on stderr and level "warning"
 * in --log.  For what the runtime-spec says to log and go on past (a
 * failing poststart/poststop hook, a deprecated field with no kernel knob). */
void ward_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* RFC 3339 UTC with nanoseconds, like runc's "created" and its log lines.
 * Caller frees. */
char *now_rfc3339(void);
/* S with every byte that is not part of valid UTF-8 replaced by U+FFFD and
 * every newline by a space, so it fits one log line.  Caller frees. */
char *ward_log_clean(const char *s);

#endif
