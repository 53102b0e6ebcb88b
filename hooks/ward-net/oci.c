/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Front door 1 (and 2): an OCI hook.  The runtime writes the state on stdin:
 * createRuntime ("creating", pid of the container's init, whose network
 * namespace already exists) sets up, poststop ("stopped") tears down.  The
 * same program serves podman's hooks.d, whatever runtime podman drives. */
#include "ward-net.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

struct oci_state {
  char *id, *status;
  int64_t pid;
  struct kvlist ann;
};

static void oci_state_free(struct oci_state *s) {
  free(s->id);
  free(s->status);
  kvlist_free(&s->ann);
}

static int read_state(struct oci_state *s, werr_t *err) {
  _cleanup_free_ char *buf = NULL;
  if (read_all_fd(0, &buf, NULL, err) < 0)
    return werr_prefix(err, "state on stdin");
  yajl_val root = NULL;
  if (json_parse_buf(buf, "state on stdin", &root, err) < 0)
    return -1;
  int r = -1;
  if (json_want_object(root, "state", err) == 0 &&
      json_str(root, "", "id", &s->id, err) == 0 &&
      json_str(root, "", "status", &s->status, err) == 0 &&
      json_i64(root, "", "pid", &s->pid, err) == 0 &&
      json_strmap(root, "", "annotations", &s->ann, err) == 0) {
    r = 0;
    if (s->id == NULL || s->id[0] == '\0')
      r = werr_code(err, EINVAL, "state on stdin: id: missing");
  }
  yajl_tree_free(root);
  if (r < 0)
    werr_prefix(err, "state on stdin");
  return r;
}

static int setup(const struct oci_state *s, werr_t *err) {
  struct net_config c;
  if (net_config_from_annotations(&c, s->id, &s->ann, err) < 0)
    return -1;
  if (s->pid <= 0)
    return werr_code(err, EINVAL,
                "state on stdin: pid: missing (run ward-net from createRuntime)");
  char path[64];
  snprintf(path, sizeof(path), "/proc/%lld/ns/net", (long long)s->pid);
  _cleanup_close_ int ns = open(path, O_RDONLY | O_CLOEXEC);
  if (ns < 0)
    return werr_sys(err, "open %s", path);
  return net_setup(&c, ns, err);
}

int oci_hook_main(const char *action) {
  _cleanup_werr_ werr_t err = NULL;
  struct oci_state s = {0};
  int r = read_state(&s, &err);
  if (r == 0) {
    bool down = action ? !strcmp(action, "teardown")
                       : (s.status && !strcmp(s.status, "stopped"));
    if (action && strcmp(action, "setup") && strcmp(action, "teardown"))
      r = werr_code(&err, EINVAL, "unknown action \"%s\" (setup or teardown)",
               action);
    else if (!net_annotations_present(&s.ann))
      r = 0; /* not a container of ours: podman calls every hook it has */
    else if (down) {
      /* Teardown works from names alone when the annotations no longer
       * parse: whatever was made must still go. */
      struct net_config c;
      werr_t ignored = NULL;
      if (net_config_from_annotations(&c, s.id, &s.ann, &ignored) < 0)
        net_config_names_only(&c, s.id);
      werr_free(&ignored);
      r = net_teardown(&c, &err);
    } else
      r = setup(&s, &err);
  }
  oci_state_free(&s);
  if (r < 0) {
    _cleanup_free_ char *msg = werr_text(err);
    fprintf(stderr, "ward-net: %s\n", msg);
    return 1;
  }
  return 0;
}
