/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "state_json.h"

#include "config.h"
#include "json.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

char *spec_state_of_config(const struct spec_config *c, const char *id,
                           const char *bundle, const char *status, pid_t pid) {
  struct spec_state s = {.id = id,
                         .status = status,
                         .pid = pid,
                         .bundle = bundle,
                         .annotations = &c->annotations};
  return spec_state_emit(&s, false);
}

char *spec_state_emit(const struct spec_state *s, bool pretty) {
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    abort();
  yajl_gen_config(g, yajl_gen_beautify, pretty ? 1 : 0);
  yajl_gen_map_open(g);
  json_gen_str(g, "ociVersion");
  json_gen_str(g, s->ociVersion ? s->ociVersion : "1.2.0");
  json_gen_str(g, "id");
  json_gen_str(g, s->id);
  json_gen_str(g, "status");
  json_gen_str(g, s->status);
  if (s->pid > 0) {
    json_gen_str(g, "pid");
    yajl_gen_integer(g, s->pid);
  }
  json_gen_str(g, "bundle");
  json_gen_str(g, s->bundle ? s->bundle : "");
  if (s->rootfs) {
    json_gen_str(g, "rootfs");
    json_gen_str(g, s->rootfs);
  }
  if (s->created) {
    json_gen_str(g, "created");
    json_gen_str(g, s->created);
  }
  if (s->annotations && s->annotations->len) {
    json_gen_str(g, "annotations");
    yajl_gen_map_open(g);
    for (size_t i = 0; i < s->annotations->len; i++) {
      json_gen_str(g, s->annotations->items[i].key);
      json_gen_str(g, s->annotations->items[i].value);
    }
    yajl_gen_map_close(g);
  }
  yajl_gen_map_close(g);
  return json_gen_finish(g);
}
