/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "caps.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "ward_error.h"

static const char *const set_names[] = {"bounding", "effective",
                                        "inheritable", "permitted", "ambient"};

static char **set_of(const struct spec_capabilities *c, int i) {
  char **const sets[] = {c->bounding, c->effective, c->inheritable,
                         c->permitted, c->ambient};
  return sets[i];
}

static int cap_value(const char *name, cap_value_t *v) {
  if (cap_from_name(name, v) < 0)
    return -1;
  return 0;
}

int caps_validate(const struct spec_process *p, werr_t *err) {
  (void)err;
  if (!p->has_capabilities)
    return 0;
  for (int s = 0; s < 5; s++) {
    char **v = set_of(&p->capabilities, s);
    for (size_t i = 0; v && v[i]; i++) {
      cap_value_t cv;
      /* runtime-spec (v1.1 on): a capability that cannot be mapped to the
       * kernel or granted "MUST be logged as a warning", and runtimes
       * "SHOULD NOT fail"; runc warns and goes on.  Granting less than
       * asked weakens nothing, and the warning still shows a typo.
       * cap_from_name also takes numbers and lower case; insist on the
       * spec's spelling.  in_set skips what is warned about here. */
      if (strncmp(v[i], "CAP_", 4) != 0 || cap_value(v[i], &cv) < 0)
        ward_warn("config.json: process.capabilities.%s[%zu]: unknown "
                  "capability \"%s\", ignored",
                  set_names[s], i, v[i]);
    }
  }
  return 0;
}

static bool in_set(char **v, cap_value_t cap) {
  for (size_t i = 0; v && v[i]; i++) {
    cap_value_t cv;
    if (cap_value(v[i], &cv) == 0 && cv == cap)
      return true;
  }
  return false;
}

int caps_drop_bounding(const struct spec_process *p, werr_t *err) {
  char **bounding = p->has_capabilities ? p->capabilities.bounding : NULL;
  cap_value_t last = (cap_value_t)cap_max_bits() - 1;
  for (cap_value_t c = 0; c <= last; c++) {
    if (in_set(bounding, c))
      continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) {
      char *n = cap_to_name(c);
      werr_sys(err, "drop %s from the bounding set", n ? n : "capability");
      cap_free(n);
      return -1;
    }
  }
  return 0;
}

int caps_apply(const struct spec_process *p, werr_t *err) {
  const struct spec_capabilities *c = &p->capabilities;
  cap_t caps = cap_init();
  if (caps == NULL)
    return werr_sys(err, "cap_init");
  cap_value_t last = (cap_value_t)cap_max_bits() - 1;
  for (cap_value_t v = 0; v <= last; v++) {
    if (!p->has_capabilities)
      break;
    if (in_set(c->effective, v))
      cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
    if (in_set(c->permitted, v))
      cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET);
    if (in_set(c->inheritable, v))
      cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_SET);
  }
  int rc = cap_set_proc(caps);
  cap_free(caps);
  if (rc < 0)
    return werr_sys(err, "set capabilities");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
      errno != EINVAL)
    return werr_sys(err, "clear ambient capabilities");
  for (size_t i = 0; p->has_capabilities && c->ambient && c->ambient[i];
       i++) {
    cap_value_t v;
    if (cap_value(c->ambient[i], &v) < 0 || v > last)
      continue;
    /* The kernel only raises what is also permitted and inheritable; runc's
     * own default config lists ambient caps that are not inheritable, and
     * runc skips those, so ward does too. */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, v, 0, 0) < 0 &&
        errno != EPERM)
      return werr_sys(err, "raise ambient capability %s", c->ambient[i]);
  }
  return 0;
}
