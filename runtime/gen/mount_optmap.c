/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Build-time: writes libmount's own mount option tables (MNT_LINUX_MAP,
 * MNT_USERSPACE_MAP) as C, so that ward reads container mount options with
 * libmount's table without loading libmount (and libblkid, libselinux,
 * pcre2) in every container's init.  Output: build/gen/mount_optmap.h,
 * used by runtime/mount_opts.c; tests/unit/test_mount_opts.c checks the
 * result against libmount itself. */
#include <libmount.h>
#include <stdio.h>
#include <string.h>

static void c_string(const char *s) {
  putchar('"');
  for (; *s; s++)
    if (*s == '"' || *s == '\\')
      printf("\\%c", *s);
    else
      putchar(*s);
  putchar('"');
}

/* NAME as libmount writes its patterns, kept whole for matching as it
 * matches: "loop[=]" takes an optional value, "offset=" a required one. */
static void entry(const struct libmnt_optmap *e) {
  size_t n = strcspn(e->name, "[=");
  const char *value = e->name[n] == '[' ? "MOUNT_OPTMAP_VALUE_MAY"
                      : e->name[n] == '=' ? "MOUNT_OPTMAP_VALUE_MUST"
                                          : "MOUNT_OPTMAP_VALUE_NONE";
  printf("    {");
  c_string(e->name);
  printf(", %#lxUL, %s, %s, %s},\n", (unsigned long)(unsigned)e->id,
         e->mask & MNT_INVERT ? "true" : "false",
         e->mask & MNT_PREFIX ? "true" : "false", value);
}

static void table(const char *name, int id) {
  printf("static const struct mount_optmap_entry %s[] = {\n", name);
  for (const struct libmnt_optmap *e = mnt_get_builtin_optmap(id); e && e->name;
       e++)
    entry(e);
  printf("};\n\n");
}

int main(void) {
  const char *ver = NULL;
  mnt_get_library_version(&ver);
  printf("/* Written by runtime/gen/mount_optmap.c from libmount %s: do not "
         "edit. */\n#include \"mount_optmap_entry.h\"\n\n",
         ver ? ver : "?");
  table("mount_optmap_vfs", MNT_LINUX_MAP);
  table("mount_optmap_user", MNT_USERSPACE_MAP);
  return 0;
}
