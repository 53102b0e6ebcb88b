/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CRIU: present, its version, and whether it can dump here, asked through
 * libcriu as checkpoint and restore ask (runtime/criu/). */
#include <unistd.h>

#include "check_internal.h"
#include "checkpoint.h"
#include "cleanup.h"

void probe_criu(const struct check_opts *o, struct check_result *r) {
  const char *bin = o->criu ? o->criu : "criu";
  if (geteuid() != 0) {
    check_set(r, CHECK_WARN,
              "%s: CRIU's kernel check (criu check) needs root, not run as "
              "uid %u",
              bin, (unsigned)geteuid());
    check_set_fix(r, "run `ward check` as root");
    return;
  }
  int v = ckpt_criu_version(o->criu);
  if (v == 0) {
    check_set(r, CHECK_WARN,
              "%s not found (libcriu cannot run it): checkpoint and restore "
              "cannot work here",
              bin);
    check_set_fix(r, "apt-get install criu (or pass --criu PATH)");
    return;
  }
  _cleanup_werr_ werr_t e = NULL;
  if (!ckpt_usable(o->criu, &e)) {
    check_set(r, CHECK_WARN,
              "criu %d.%d.%d (%s): its kernel check (criu check, through "
              "libcriu) fails: it cannot dump here",
              v / 10000, v / 100 % 100, v % 100, bin);
    check_set_fix(r, "`criu check --all` shows what is missing; a CRIU that "
                     "runs on this kernel can be given with --criu PATH "
                     "(README: Checkpoint and restore)");
    return;
  }
  check_set(r, CHECK_OK,
            "criu %d.%d.%d (%s): its kernel check (criu check, through "
            "libcriu) passes",
            v / 10000, v / 100 % 100, v % 100, bin);
}
