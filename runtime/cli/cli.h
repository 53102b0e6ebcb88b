/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command line: global flags, dispatch, and the only place errors are
 * printed (stderr and --log, text or JSON) and exit codes chosen. */
#ifndef WARD_CLI_H
#define WARD_CLI_H

int cli_main(int argc, char **argv);

#endif
