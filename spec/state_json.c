/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "json.h"
#include "state_json.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

static void str(yajl_gen g, const char *s) {
  yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

char *spec_state_emit(const struct spec_state *s, bool pretty) {
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    abort();
  yajl_gen_config(g, yajl_gen_beautify, pretty ? 1 : 0);
  yajl_gen_map_open(g);
  str(g, "ociVersion");
  str(g, s->ociVersion ? s->ociVersion : "1.2.0");
  str(g, "id");
  str(g, s->id);
  str(g, "status");
  str(g, s->status);
  if (s->pid > 0) {
    str(g, "pid");
    yajl_gen_integer(g, s->pid);
  }
  str(g, "bundle");
  str(g, s->bundle ? s->bundle : "");
  if (s->rootfs) {
    str(g, "rootfs");
    str(g, s->rootfs);
  }
  if (s->created) {
    str(g, "created");
    str(g, s->created);
  }
  if (s->annotations && s->annotations->len) {
    str(g, "annotations");
    yajl_gen_map_open(g);
    for (size_t i = 0; i < s->annotations->len; i++) {
      str(g, s->annotations->items[i].key);
      str(g, s->annotations->items[i].value);
    }
    yajl_gen_map_close(g);
  }
  yajl_gen_map_close(g);
  return json_gen_finish(g);
}
