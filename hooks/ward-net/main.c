/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One binary, three front doors: CNI when the runtime sets CNI_COMMAND,
 * otherwise an OCI hook ("ward-net [setup|teardown]", state on stdin). */
#include "ward-net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  const char *cni = getenv("CNI_COMMAND");
  if (cni && *cni)
    return cni_main(cni);
  if (argc > 2 || (argc == 2 && (!strcmp(argv[1], "-h") ||
                                 !strcmp(argv[1], "--help")))) {
    fprintf(stderr, "usage: ward-net [setup|teardown] < OCI-state\n"
                    "       CNI_COMMAND=ADD|DEL|CHECK|VERSION ward-net\n");
    return argc == 2 ? 0 : 1;
  }
  return oci_hook_main(argc == 2 ? argv[1] : NULL);
}
