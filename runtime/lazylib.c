/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "lazylib.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static bool forbidden;

void lazylib_forbid(void) {
  forbidden = true;
}

void *lazylib_sym(struct lazylib *l, const char *name) {
  if (l->handle == NULL) {
    if (forbidden) {
      fprintf(stderr,
              "ward: internal error: %s needed (for %s) in a process that is "
              "entering a container\n",
              l->soname, name);
      abort();
    }
    l->handle = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
    if (l->handle == NULL) {
      fprintf(stderr, "ward: cannot load %s: %s\n", l->soname, dlerror());
      abort();
    }
  }
  void *f = dlsym(l->handle, name);
  if (f == NULL) {
    fprintf(stderr, "ward: %s: no %s: %s\n", l->soname, name, dlerror());
    abort();
  }
  return f;
}
