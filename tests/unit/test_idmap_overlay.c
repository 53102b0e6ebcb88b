/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The overlay super options as mountinfo shows them: octal escapes of
 * ',', '=', ' ' and '\\', overlayfs's own backslash escapes in lowerdir,
 * "::" data layers, lowerdir+/datadir+, and relative paths refused. */
#include <string.h>

#include "idmap_overlay.h"

#include "unit.h"

static void test_containerd_line(void) {
  struct idmap_overlay o;
  werr_t err = NULL;
  CHECK(idmap_overlay_parse(
            "rw,lowerdir=/s/2/fs:/s/1/fs,upperdir=/s/3/fs,workdir=/s/3/work,"
            "index=off,volatile",
            &o, &err) == 0);
  CHECK_STR(o.lower[0], "/s/2/fs");
  CHECK_STR(o.lower[1], "/s/1/fs");
  CHECK(o.lower[2] == NULL && o.data == NULL);
  CHECK_STR(o.upper, "/s/3/fs");
  CHECK_STR(o.work, "/s/3/work");
  CHECK_STR(o.opts[0], "index=off");
  CHECK_STR(o.opts[1], "volatile");
  CHECK(o.opts[2] == NULL);
  idmap_overlay_free(&o);
}

static void test_escapes(void) {
  struct idmap_overlay o;
  werr_t err = NULL;
  /* "/a,b c" given to mount(2) as "/a\,b c", and "/x:y" as "/x\:y". */
  CHECK(idmap_overlay_parse("ro,lowerdir=/a\\134\\054b\\040c:/x\\134:y::/d1"
                            "::/d2,redirect_dir=on",
                            &o, &err) == 0);
  CHECK_STR(o.lower[0], "/a,b c");
  CHECK_STR(o.lower[1], "/x:y");
  CHECK(o.lower[2] == NULL);
  CHECK_STR(o.data[0], "/d1");
  CHECK_STR(o.data[1], "/d2");
  CHECK(o.upper == NULL);
  CHECK_STR(o.opts[0], "redirect_dir=on");
  idmap_overlay_free(&o);
  /* lowerdir+ (fsconfig): only the octal escapes. */
  CHECK(idmap_overlay_parse("rw,lowerdir+=/l\\0541,lowerdir+=/l2,datadir+=/d,"
                            "upperdir=/u\\075x,workdir=/w",
                            &o, &err) == 0);
  CHECK_STR(o.lower[0], "/l,1");
  CHECK_STR(o.lower[1], "/l2");
  CHECK_STR(o.data[0], "/d");
  CHECK_STR(o.upper, "/u=x");
  idmap_overlay_free(&o);
}

static void test_refused(void) {
  struct idmap_overlay o;
  werr_t err = NULL;
  CHECK(idmap_overlay_parse("rw,lowerdir=l/ABC:l/DEF,upperdir=/u,workdir=/w",
                            &o, &err) < 0);
  CHECK(err && strstr(err->msg, "lowerdir l/ABC is a relative path"));
  CHECK(o.lower == NULL && o.upper == NULL);
  werr_free(&err);
  CHECK(idmap_overlay_parse("rw,lowerdir=/l,upperdir=/u", &o, &err) < 0);
  CHECK(err && strstr(err->msg, "upperdir and workdir must come together"));
  werr_free(&err);
  CHECK(idmap_overlay_parse("rw,upperdir=/u,workdir=/w", &o, &err) < 0);
  CHECK(err && strstr(err->msg, "no lower layer"));
  werr_free(&err);
}

int main(void) {
  test_containerd_line();
  test_escapes();
  test_refused();
  return unit_summary("test_idmap_overlay");
}
