/* SPDX-License-Identifier: GPL-2.0-or-later */
/* process.terminal: a pty allocated inside the container's devpts, its
 * master handed to --console-socket (as runc does) or relayed by ward. */
#ifndef WARD_TTY_H
#define WARD_TTY_H

#include <stdbool.h>

#include "config.h"

/* In the init, after pivot_root: new pty, slave on /dev/console and as the
 * controlling terminal on fds 0-2.  Returns the master fd. */
int tty_setup_in_container(const struct spec_process *p, werr_t *err);
/* Send the master over the AF_UNIX socket at PATH (SCM_RIGHTS). */
int tty_send_console(const char *path, int master, werr_t *err);
/* Copy between the user's terminal and the master, forwarding window size,
 * until the master hangs up.  Raw mode on stdin while relaying. */
struct tty_relay;
int tty_relay_start(int master, struct tty_relay **out, werr_t *err);
/* One poll round's worth of copying; returns 0 normally, 1 on hangup. */
int tty_relay_pump(struct tty_relay *r, short master_revents,
                   short stdin_revents);
void tty_relay_resize(struct tty_relay *r);
void tty_relay_stop(struct tty_relay *r);

#endif
