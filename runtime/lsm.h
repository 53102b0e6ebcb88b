/* SPDX-License-Identifier: GPL-2.0-or-later */
/* AppArmor and SELinux: refuse labels the host cannot enforce, and set the
 * label the container process gets at execve. */
#ifndef WARD_LSM_H
#define WARD_LSM_H

#include <stdbool.h>

#include "config.h"

bool lsm_apparmor_enabled(void);
bool lsm_selinux_enabled(void);

/* At create, before anything exists: process.apparmorProfile,
 * process.selinuxLabel and linux.mountLabel each need their LSM enabled. */
int lsm_check(const struct spec_config *c, werr_t *err);
/* The same for a process alone (`ward exec --process`). */
int lsm_check_process(const struct spec_process *p, werr_t *err);

/* In the init (or exec'd process) before execve, after /proc is the
 * container's procfs: the label takes effect at the next execve.  Refuses
 * to write unless the attr file really is on procfs (CVE-2019-16884: an
 * image or volume shadowing /proc must not swallow the label). */
int lsm_apply_exec_label(const struct spec_process *p, werr_t *err);

#endif
