/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CRIU: present, its version, and whether it can dump here.  Until ward
 * links libcriu this asks the criu binary (`criu --version`, `criu
 * check`); with libcriu, criu_get_version() and criu_check() replace the
 * two calls below and nothing else changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_internal.h"
#include "cleanup.h"
#include "utils.h"

/* The last non-empty line of TEXT (for criu check's verdict). */
static const char *last_line(char *text) {
  char *end = text + strlen(text);
  while (end > text && (end[-1] == '\n' || end[-1] == ' '))
    *--end = '\0';
  char *nl = strrchr(text, '\n');
  return nl ? nl + 1 : text;
}

void probe_criu(const struct check_opts *o, struct check_result *r) {
  const char *bin = o->criu ? o->criu : "criu";
  char *ver_argv[] = {(char *)bin, "--version", NULL};
  _cleanup_free_ char *ver = NULL;
  int rc = check_run(ver_argv, &ver);
  if (rc == 127) {
    check_set(r, CHECK_WARN,
              "%s not found: checkpoint and restore cannot work here", bin);
    check_set_fix(r, "apt-get install criu (or pass --criu PATH)");
    return;
  }
  char *v = ver ? strstr(ver, "Version: ") : NULL;
  _cleanup_free_ char *version =
      v ? strndup(v + 9, strcspn(v + 9, "\n")) : xstrdup("unknown");
  if (geteuid() != 0) {
    check_set(r, CHECK_WARN,
              "%s %s (the criu binary; libcriu not linked yet); `criu check` "
              "needs root, not run as uid %u",
              bin, version, (unsigned)geteuid());
    check_set_fix(r, "run `ward check` as root");
    return;
  }
  char *check_argv[] = {(char *)bin, "check", NULL};
  _cleanup_free_ char *out = NULL;
  rc = check_run(check_argv, &out);
  if (rc != 0) {
    check_set(r, CHECK_WARN,
              "%s %s (the criu binary; libcriu not linked yet): `criu "
              "check` fails, it cannot dump here: %s",
              bin, version, out ? last_line(out) : "no output");
    check_set_fix(r, "criu check --all shows what the kernel lacks");
    return;
  }
  check_set(r, CHECK_OK,
            "%s %s (the criu binary; libcriu not linked yet): criu check: %s",
            bin, version, out ? last_line(out) : "ok");
}
