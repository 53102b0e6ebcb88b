/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mounts[].options through libmount's table plus ward's extensions; signal
 * names; the OCI state document. */
#include <libmount.h>
#include <linux/mount.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <time.h>

#include "mount_opts.h"
#include "state_json.h"
#include "unit.h"
#include "cleanup.h"
#include "utils.h"

static struct mount_opts parse(char **opts) {
  struct mount_opts o;
  werr_t err = NULL;
  CHECK(mount_opts_parse(opts, "mounts[0].options", &o, &err) == 0);
  werr_free(&err);
  return o;
}

/* What mount_opts.c did when it called libmount at run time (it now uses
 * libmount's table copied at build time): the oracle for one option. */
static void libmount_reference(const char *opt, struct mount_opts *o) {
  char *user = NULL, *vfs = NULL, *fs = NULL;
  CHECK(mnt_split_optstr(opt, &user, &vfs, &fs, 0, 0) == 0);
  memset(o, 0, sizeof(*o));
  if (vfs) {
    const struct libmnt_optmap *map = mnt_get_builtin_optmap(MNT_LINUX_MAP);
    unsigned long one = 0, all = ~0UL;
    mnt_optstr_get_flags(vfs, &one, map);
    mnt_optstr_get_flags(vfs, &all, map);
    if (one & (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)) {
      o->propagation = one;
    } else {
      o->bind = one & MS_BIND;
      o->flags = one;
      o->clear_flags = ~all;
    }
  } else if (fs) {
    o->data = xstrdup(fs);
  }
  free(user), free(vfs), free(fs);
}

static void same_as_libmount(const char *opt) {
  struct mount_opts want, got;
  libmount_reference(opt, &want);
  char *one[] = {(char *)opt, NULL};
  got = parse(one);
  bool same = got.flags == want.flags && got.clear_flags == want.clear_flags &&
              got.propagation == want.propagation && got.bind == want.bind &&
              !!got.data == !!want.data &&
              (!got.data || strcmp(got.data, want.data) == 0);
  if (!same)
    fprintf(stderr, "option \"%s\": ward flags %#lx/%#lx prop %#lx data %s, "
            "libmount %#lx/%#lx prop %#lx data %s\n", opt, got.flags,
            got.clear_flags, got.propagation, got.data ? got.data : "-",
            want.flags, want.clear_flags, want.propagation,
            want.data ? want.data : "-");
  CHECK(same);
  mount_opts_free(&got);
  mount_opts_free(&want);
}


static void test_flags_and_data(void) {
  char *opts[] = {"nosuid", "noexec", "newinstance", "ptmxmode=0666",
                  "mode=0620", "gid=5", NULL};
  struct mount_opts o = parse(opts);
  CHECK(o.flags == (MS_NOSUID | MS_NOEXEC));
  CHECK_STR(o.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  CHECK(!o.bind && !o.tmpcopyup && o.propagation == 0);
  mount_opts_free(&o);
}

static void test_bind_propagation_and_inverse(void) {
  char *opts[] = {"rbind", "ro", "rprivate", NULL};
  struct mount_opts o = parse(opts);
  CHECK(o.bind);
  CHECK(o.flags == (MS_BIND | MS_REC | MS_RDONLY));
  CHECK(o.propagation == (MS_PRIVATE | MS_REC));
  CHECK(o.data == NULL);
  mount_opts_free(&o);

  /* the last of ro/rw wins, and rw is remembered as cleared */
  char *rw[] = {"ro", "rw", "suid", NULL};
  o = parse(rw);
  CHECK((o.flags & MS_RDONLY) == 0);
  CHECK(o.clear_flags & MS_RDONLY);
  CHECK(o.clear_flags & MS_NOSUID);
  mount_opts_free(&o);
}

static void test_ward_extensions(void) {
  char *opts[] = {"tmpcopyup", "rro", "rnosuid", "ridmap", "mode=755", NULL};
  struct mount_opts o = parse(opts);
  CHECK(o.tmpcopyup);
  CHECK(o.idmap && o.ridmap);
  CHECK(o.attr_set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID));
  CHECK_STR(o.data, "mode=755");
  mount_opts_free(&o);

  char *none[] = {"", NULL};
  o = parse(none);
  CHECK(o.flags == 0 && o.data == NULL);
  mount_opts_free(&o);
  o = parse(NULL);
  CHECK(o.flags == 0);
  mount_opts_free(&o);
}

static void test_signals(void) {
  int sig = 0;
  werr_t err = NULL;
  CHECK(parse_signal("9", &sig, &err) == 0 && sig == SIGKILL);
  CHECK(parse_signal("KILL", &sig, &err) == 0 && sig == SIGKILL);
  CHECK(parse_signal("SIGTERM", &sig, &err) == 0 && sig == SIGTERM);
  CHECK(parse_signal("sigusr1", &sig, &err) == 0 && sig == SIGUSR1);
  CHECK(parse_signal("RTMIN+2", &sig, &err) == 0 && sig == SIGRTMIN + 2);
  CHECK(parse_signal("NOPE", &sig, &err) < 0);
  CHECK_STR(err ? err->msg : NULL, "invalid signal \"NOPE\"");
  werr_free(&err);
  CHECK(parse_signal("0", &sig, &err) < 0);
  werr_free(&err);
  CHECK(parse_signal("65", &sig, &err) < 0);
  werr_free(&err);
}

/* now_rfc3339 computes the date itself (gmtime_r would read
 * /etc/localtime): it must say what gmtime says. */
static void test_now_rfc3339(void) {
  for (int tries = 0; tries < 3; tries++) {
    time_t before = time(NULL);
    char *s = now_rfc3339();
    struct tm tm;
    gmtime_r(&before, &tm);
    char want[32];
    strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S.", &tm);
    bool same = strncmp(s, want, strlen(want)) == 0 && strlen(s) == 30 &&
                s[29] == 'Z';
    free(s);
    if (time(NULL) != before)
      continue; /* a second passed in between: try again */
    CHECK(same);
    return;
  }
}

static void test_state_document(void) {
  struct kvlist ann = {0};
  kvlist_set(&ann, "k", "v \"quoted\"");
  struct spec_state s = {.id = "c1", .status = "running", .pid = 42,
                         .bundle = "/b", .rootfs = "/b/rootfs",
                         .created = "2026-01-01T00:00:00.000000000Z",
                         .annotations = &ann};
  char *doc = spec_state_emit(&s, false);
  CHECK_STR(doc, "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"status\":\"running\","
                 "\"pid\":42,\"bundle\":\"/b\",\"rootfs\":\"/b/rootfs\","
                 "\"created\":\"2026-01-01T00:00:00.000000000Z\","
                 "\"annotations\":{\"k\":\"v \\\"quoted\\\"\"}}");
  free(doc);
  /* stopped: no pid, no annotations when empty */
  struct kvlist empty = {0};
  struct spec_state t = {.id = "c2", .status = "stopped", .bundle = "/b",
                         .annotations = &empty};
  doc = spec_state_emit(&t, false);
  CHECK_STR(doc, "{\"ociVersion\":\"1.2.0\",\"id\":\"c2\",\"status\":\"stopped\","
                 "\"bundle\":\"/b\"}");
  free(doc);
  kvlist_free(&ann);
}

/* Every name in libmount's tables, bare and with a value, and the options
 * OCI configs carry, read as libmount reads them. */
static void test_table_is_libmounts(void) {
  for (int map = MNT_LINUX_MAP; map <= MNT_USERSPACE_MAP; map++)
    for (const struct libmnt_optmap *e = mnt_get_builtin_optmap(map);
         e && e->name; e++) {
      char name[64];
      snprintf(name, sizeof(name), "%.*s", (int)strcspn(e->name, "[="),
               e->name);
      _cleanup_free_ char *valued = xasprintf("%s=1", name);
      _cleanup_free_ char *longer = xasprintf("%sz", name);
      same_as_libmount(name);
      same_as_libmount(valued);
      same_as_libmount(longer);
    }
  const char *more[] = {"mode=755", "size=65536k", "newinstance",
                        "ptmxmode=0666", "gid=5", "x-foo", "X-mount.mkdir",
                        "comment=systemd", "uid=0", "nr_inodes=1k",
                        "lowerdir=/a:/b", "context=\"a,b\""};
  for (size_t i = 0; i < sizeof(more) / sizeof(*more); i++)
    same_as_libmount(more[i]);
}

int main(void) {
  test_table_is_libmounts();
  test_flags_and_data();
  test_bind_propagation_and_inverse();
  test_ward_extensions();
  test_signals();
  test_state_document();
  test_now_rfc3339();
  return unit_summary("test_mount_opts");
}
