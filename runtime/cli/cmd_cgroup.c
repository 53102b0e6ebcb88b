/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The commands that work on a container's cgroup: ps, pause, resume,
 * update, events.  Flags and output follow runc's. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "commands.h"
#include "linux_resources.h"
#include "state.h"

struct target {
  struct container_state *st;
  struct cgroup_handle *h;
  int lock;
};

static void target_close(struct target *t) {
  cgroup_handle_free(t->h);
  container_state_free(t->st);
  if (t->lock >= 0)
    close(t->lock);
}

/* Load ID's state (locked when LOCK) and open its cgroup. */
static int target_open(struct global_opts *g, int argc, char **argv,
                       const char *usage, bool lock, struct target *t,
                       werr_t *err) {
  memset(t, 0, sizeof(*t));
  t->lock = -1;
  if (cmd_need_id(argc, argv, usage, false, err) < 0)
    return -1;
  if (state_load(g->root, argv[optind], &t->st, err) < 0)
    return -1;
  if (lock && (t->lock = state_lock(t->st->dir, err)) < 0)
    goto fail;
  if (cgroup_open(t->st->cgroup, &t->h, err) < 0)
    goto fail;
  return 0;
fail:
  target_close(t);
  return -1;
}

static int not_in_state(werr_t *err, const struct target *t, const char *what) {
  return werr_code(err, EINVAL, "container \"%s\" is %s, not %s", t->st->id,
                    state_status_name(state_status(t->st)), what);
}

/* ---- ps ---------------------------------------------------------------- */

#define PS_USAGE "ward ps [--format table|json] ID [-- PS-ARGS...]"

static bool has_pid(const pid_t *pids, size_t n, long pid) {
  for (size_t i = 0; i < n; i++)
    if (pids[i] == pid)
      return true;
  return false;
}

/* Run ps(1) with ARGS and keep the header and the lines of our pids. */
static int ps_table(char **args, size_t nargs, const pid_t *pids, size_t n,
                    werr_t *err) {
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) < 0)
    return werr_sys(err, "pipe");
  pid_t child = fork();
  if (child < 0)
    return werr_sys(err, "fork");
  if (child == 0) {
    dup2(pfd[1], STDOUT_FILENO);
    char **argv = calloc(nargs + 3, sizeof(char *));
    if (argv == NULL)
      _exit(127);
    argv[0] = "ps";
    if (nargs == 0)
      argv[1] = "-ef";
    for (size_t i = 0; i < nargs; i++)
      argv[i + 1] = args[i];
    execvp("ps", argv);
    _exit(127);
  }
  close(pfd[1]);
  _cleanup_free_ char *out = NULL;
  int rc = read_all_fd(pfd[0], &out, NULL, err);
  close(pfd[0]);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR)
    ;
  if (rc < 0)
    return werr_prefix(err, "ps");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return werr(err, "ps: exited with status %d%s",
                WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                WIFEXITED(status) && WEXITSTATUS(status) == 127
                    ? " (is ps installed?)"
                    : "");
  char *save = NULL;
  char *header = strtok_r(out, "\n", &save);
  if (header == NULL)
    return 0;
  /* Which column is PID. */
  int col = -1, k = 0;
  _cleanup_free_ char *hcopy = strdup(header);
  char *hs = NULL;
  for (char *f = strtok_r(hcopy, " \t", &hs); f;
       f = strtok_r(NULL, " \t", &hs), k++)
    if (strcmp(f, "PID") == 0)
      col = k;
  if (col < 0)
    return werr(err, "ps: no PID column in the output (use -o pid,...)");
  printf("%s\n", header);
  for (char *line = strtok_r(NULL, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    _cleanup_free_ char *copy = strdup(line);
    char *ls = NULL, *f = strtok_r(copy, " \t", &ls);
    for (int i = 0; f && i < col; i++)
      f = strtok_r(NULL, " \t", &ls);
    if (f && has_pid(pids, n, strtol(f, NULL, 10)))
      printf("%s\n", line);
  }
  return 0;
}

int cmd_ps(struct global_opts *g, int argc, char **argv, werr_t *err) {
  if (cmd_wants_help(argc, argv, PS_USAGE))
    return 0;
  static const struct option opts[] = {{"format", required_argument, 0, 'f'},
                                       {0, 0, 0, 0}};
  const char *format = "table";
  int ch;
  optind = 1;
  opterr = 0; /* one-line errors: ours, not getopt's */
  while ((ch = getopt_long(argc, argv, "+:f:", opts, NULL)) != -1) {
    if (ch != 'f')
      return cmd_bad_option(ch, argv, PS_USAGE, err);
    format = optarg;
  }
  if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
    return werr_code(err, EINVAL, "ps: --format must be table or json, not \"%s\"",
                format);
  struct target t;
  if (target_open(g, argc, argv, PS_USAGE, false, &t, err) < 0)
    return -1;
  int rc = -1;
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (cgroup_pids(t.h, &pids, &n, err) < 0)
    goto out;
  int first_arg = optind + 1;
  if (first_arg < argc && strcmp(argv[first_arg], "--") == 0)
    first_arg++;
  if (strcmp(format, "json") == 0) {
    if (first_arg < argc) {
      werr_code(err, EINVAL, "ps: PS-ARGS cannot be used with --format json");
      goto out;
    }
    printf("[");
    for (size_t i = 0; i < n; i++)
      printf("%s%d", i ? "," : "", (int)pids[i]);
    printf("]\n");
    rc = 0;
  } else {
    rc = ps_table(argv + first_arg, (size_t)(argc - first_arg), pids, n, err);
  }
out:
  target_close(&t);
  return rc;
}

/* ---- pause / resume ------------------------------------------------- */

/* pause and resume take an id and no options. */
static int id_only(int argc, char **argv, werr_t *err) {
  optind = 1;
  opterr = 0; /* one-line errors: ours, not getopt's */
  if (argc > 1 && argv[1][0] == '-')
    return werr_code(err, EINVAL, "%s: unknown option %s (usage: ward %s ID)",
                argv[0], argv[1], argv[0]);
  return 0;
}

int cmd_pause(struct global_opts *g, int argc, char **argv, werr_t *err) {
  if (cmd_wants_help(argc, argv, "ward pause ID"))
    return 0;
  if (id_only(argc, argv, err) < 0)
    return -1;
  struct target t;
  if (target_open(g, argc, argv, "ward pause ID", true, &t, err) < 0)
    return -1;
  enum container_status s = state_status(t.st);
  int rc = (s == STATUS_RUNNING || s == STATUS_CREATED)
               ? cgroup_freeze(t.h, true, err)
               : not_in_state(err, &t, "running");
  target_close(&t);
  return rc;
}

int cmd_resume(struct global_opts *g, int argc, char **argv, werr_t *err) {
  if (cmd_wants_help(argc, argv, "ward resume ID"))
    return 0;
  if (id_only(argc, argv, err) < 0)
    return -1;
  struct target t;
  if (target_open(g, argc, argv, "ward resume ID", true, &t, err) < 0)
    return -1;
  bool frozen = false;
  int rc = cgroup_is_frozen(t.h, &frozen, err);
  if (rc == 0)
    rc = frozen && state_init_alive(t.st) ? cgroup_freeze(t.h, false, err)
                                          : not_in_state(err, &t, "paused");
  target_close(&t);
  return rc;
}

/* ---- update ---------------------------------------------------------- */

#define UPDATE_USAGE                                                           \
  "ward update [--resources FILE|-] [--memory N] [--memory-reservation N] "    \
  "[--memory-swap N] [--kernel-memory N] [--kernel-memory-tcp N] "             \
  "[--cpu-shares N] [--cpu-quota N] [--cpu-period N] [--cpu-rt-runtime N] "    \
  "[--cpu-rt-period N] [--cpuset-cpus LIST] [--cpuset-mems LIST] "             \
  "[--pids-limit N] [--blkio-weight N] ID"

/* "512m", "1g", "1024", "-1": docker's RAMInBytes (binary units). */
static int parse_size(const char *flag, const char *s, int64_t *out,
                      werr_t *err) {
  if (strcmp(s, "-1") == 0) {
    *out = -1;
    return 0;
  }
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || v < 0 || s[0] == '-')
    goto bad;
  while (*end == ' ')
    end++;
  double mult = 1;
  switch (*end) {
  case 'k':
  case 'K':
    mult = 1024.0;
    end++;
    break;
  case 'm':
  case 'M':
    mult = 1024.0 * 1024;
    end++;
    break;
  case 'g':
  case 'G':
    mult = 1024.0 * 1024 * 1024;
    end++;
    break;
  case 't':
  case 'T':
    mult = 1024.0 * 1024 * 1024 * 1024;
    end++;
    break;
  case 'p':
  case 'P':
    mult = 1024.0 * 1024 * 1024 * 1024 * 1024;
    end++;
    break;
  }
  if (*end == 'i' || *end == 'I')
    end++;
  if (*end == 'b' || *end == 'B')
    end++;
  if (*end != '\0' || v * mult > 9.2e18)
    goto bad;
  *out = (int64_t)(v * mult);
  return 0;
bad:
  return werr_code(err, EINVAL, "update: %s: invalid size \"%s\"", flag, s);
}

static int parse_int(const char *flag, const char *s, int64_t *out,
                     werr_t *err) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end)
    return werr_code(err, EINVAL, "update: %s: invalid number \"%s\"", flag, s);
  *out = v;
  return 0;
}

enum {
  O_MEMORY = 256,
  O_MEMRES,
  O_MEMSWAP,
  O_KMEM,
  O_KMEMTCP,
  O_SHARES,
  O_QUOTA,
  O_PERIOD,
  O_RTRUN,
  O_RTPERIOD,
  O_CPUS,
  O_MEMS,
  O_PIDS,
  O_BLKIO,
};

/* The flags become a LinuxResources document, so they are checked by the
 * same parser as --resources. */
static int update_flags_json(int argc, char **argv, char **resources_file,
                             char **json, werr_t *err) {
  static const struct option opts[] = {
      {"resources", required_argument, 0, 'r'},
      {"memory", required_argument, 0, O_MEMORY},
      {"memory-reservation", required_argument, 0, O_MEMRES},
      {"memory-swap", required_argument, 0, O_MEMSWAP},
      {"kernel-memory", required_argument, 0, O_KMEM},
      {"kernel-memory-tcp", required_argument, 0, O_KMEMTCP},
      {"cpu-shares", required_argument, 0, O_SHARES},
      {"cpu-share", required_argument, 0, O_SHARES},
      {"cpu-quota", required_argument, 0, O_QUOTA},
      {"cpu-period", required_argument, 0, O_PERIOD},
      {"cpu-rt-runtime", required_argument, 0, O_RTRUN},
      {"cpu-rt-period", required_argument, 0, O_RTPERIOD},
      {"cpuset-cpus", required_argument, 0, O_CPUS},
      {"cpuset-mems", required_argument, 0, O_MEMS},
      {"pids-limit", required_argument, 0, O_PIDS},
      {"blkio-weight", required_argument, 0, O_BLKIO},
      {0, 0, 0, 0}};
  char mem[256] = "", cpu[512] = "", pids[64] = "", blkio[64] = "";
  int nflags = 0, ch;
  optind = 1;
  opterr = 0; /* one-line errors: ours, not getopt's */
  while ((ch = getopt_long(argc, argv, "+:r:", opts, NULL)) != -1) {
    int64_t v = 0;
    const char *name = NULL;
    for (const struct option *o = opts; o->name; o++)
      if (o->val == ch)
        name = o->name;
    if (ch == '?' || ch == ':' || name == NULL)
      return cmd_bad_option(ch, argv, UPDATE_USAGE, err);
    if (ch == 'r') {
      *resources_file = optarg;
      continue;
    }
    nflags++;
    char *dst = ch <= O_KMEMTCP ? mem
                : ch <= O_MEMS  ? cpu
                : ch == O_PIDS  ? pids
                                : blkio;
    size_t cap = ch <= O_KMEMTCP ? sizeof(mem)
                 : ch <= O_MEMS  ? sizeof(cpu)
                 : ch == O_PIDS  ? sizeof(pids)
                                 : sizeof(blkio);
    size_t len = strlen(dst);
    const char *sep = len ? "," : "";
    static const char *const keys[] = {[O_MEMORY - O_MEMORY] = "limit",
                                       [O_MEMRES - O_MEMORY] = "reservation",
                                       [O_MEMSWAP - O_MEMORY] = "swap",
                                       [O_KMEM - O_MEMORY] = "kernel",
                                       [O_KMEMTCP - O_MEMORY] = "kernelTCP",
                                       [O_SHARES - O_MEMORY] = "shares",
                                       [O_QUOTA - O_MEMORY] = "quota",
                                       [O_PERIOD - O_MEMORY] = "period",
                                       [O_RTRUN - O_MEMORY] = "realtimeRuntime",
                                       [O_RTPERIOD - O_MEMORY] =
                                           "realtimePeriod",
                                       [O_CPUS - O_MEMORY] = "cpus",
                                       [O_MEMS - O_MEMORY] = "mems",
                                       [O_PIDS - O_MEMORY] = "limit",
                                       [O_BLKIO - O_MEMORY] = "weight"};
    const char *key = keys[ch - O_MEMORY];
    _cleanup_free_ char *flag = NULL;
    if (asprintf(&flag, "--%s", name) < 0)
      abort();
    if (ch == O_CPUS || ch == O_MEMS) {
      /* The parser checks the list syntax; keep the JSON well-formed. */
      if (strpbrk(optarg, "\"\\") || strlen(optarg) > 200)
        return werr_code(err, EINVAL, "update: %s: invalid list \"%s\"", flag,
                    optarg);
      snprintf(dst + len, cap - len, "%s\"%s\":\"%s\"", sep, key, optarg);
      continue;
    }
    if ((ch <= O_KMEMTCP ? parse_size(flag, optarg, &v, err)
                         : parse_int(flag, optarg, &v, err)) < 0)
      return -1;
    snprintf(dst + len, cap - len, "%s\"%s\":%" PRId64, sep, key, v);
  }
  if (*resources_file && nflags)
    return werr_code(err, EINVAL,
                "update: --resources cannot be combined with other flags");
  if (asprintf(json, "{%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s}",
               mem[0] ? "\"memory\":{" : "", mem, mem[0] ? "}" : "",
               mem[0] && cpu[0] ? "," : "", cpu[0] ? "\"cpu\":{" : "", cpu,
               cpu[0] ? "}" : "", (mem[0] || cpu[0]) && pids[0] ? "," : "",
               pids[0] ? "\"pids\":{" : "", pids, pids[0] ? "}" : "",
               (mem[0] || cpu[0] || pids[0]) && blkio[0] ? "," : "",
               blkio[0] ? "\"blockIO\":{" : "", blkio, blkio[0] ? "}" : "") < 0)
    abort();
  return nflags;
}

int cmd_update(struct global_opts *g, int argc, char **argv, werr_t *err) {
  if (cmd_wants_help(argc, argv, UPDATE_USAGE))
    return 0;
  char *file = NULL;
  _cleanup_free_ char *json = NULL, *buf = NULL;
  int nflags = update_flags_json(argc, argv, &file, &json, err);
  if (nflags < 0)
    return -1;
  if (cmd_need_id(argc, argv, UPDATE_USAGE, false, err) < 0)
    return -1;
  if (optind + 1 < argc)
    return werr_code(err, EINVAL, "update: unexpected argument \"%s\"",
                argv[optind + 1]);
  const char *what = "resources";
  if (file) {
    int fd = strcmp(file, "-") == 0 ? STDIN_FILENO
                                    : open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return werr_sys(err, "update: open %s", file);
    what = strcmp(file, "-") == 0 ? "resources (stdin)" : file;
    int rc = json_read_fd(fd, what, &buf, err);
    if (fd != STDIN_FILENO)
      close(fd);
    if (rc < 0)
      return werr_prefix(err, "update");
  } else if (nflags == 0) {
    return werr_code(err, EINVAL, "update: nothing to change (usage: %s)",
                UPDATE_USAGE);
  }
  yajl_val v = NULL;
  if (json_parse_buf(file ? buf : json, what, &v, err) < 0)
    return -1;
  struct spec_resources *r = NULL;
  int rc = spec_parse_resources(v, "resources", &r, err);
  yajl_tree_free(v);
  if (rc < 0)
    return -1;
  struct target t;
  if (target_open(g, argc, argv, UPDATE_USAGE, true, &t, err) < 0) {
    spec_resources_free(r);
    return -1;
  }
  enum container_status s = state_status(t.st);
  if (s == STATUS_STOPPED || s == STATUS_CREATING)
    rc = not_in_state(err, &t, "running");
  else
    rc = cgroup_update(t.h, r, "resources", err);
  spec_resources_free(r);
  target_close(&t);
  return rc;
}

/* ---- events ---------------------------------------------------------- */

#define EVENTS_USAGE "ward events [--stats] [--interval DURATION] ID"

/* Go durations as runc takes them: "5s", "100ms", "1m30s"; a bare number
 * is seconds. */
static int parse_duration(const char *s, long *ms, werr_t *err) {
  double total = 0;
  const char *p = s;
  if (*p == '\0')
    goto bad;
  while (*p) {
    char *end;
    double v = strtod(p, &end);
    if (end == p || v < 0)
      goto bad;
    p = end;
    double unit = 1000;
    if (strncmp(p, "ns", 2) == 0)
      unit = 1e-6, p += 2;
    else if (strncmp(p, "us", 2) == 0)
      unit = 1e-3, p += 2;
    else if (strncmp(p, "ms", 2) == 0)
      unit = 1, p += 2;
    else if (*p == 's')
      unit = 1000, p++;
    else if (*p == 'm')
      unit = 60000, p++;
    else if (*p == 'h')
      unit = 3600000, p++;
    else if (*p != '\0')
      goto bad;
    total += v * unit;
  }
  if (total < 1 || total > 86400000.0)
    goto bad;
  *ms = (long)total;
  return 0;
bad:
  return werr_code(err, EINVAL, "events: --interval: invalid duration \"%s\"", s);
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int print_stats(struct target *t, werr_t *err) {
  _cleanup_free_ char *data = NULL;
  if (cgroup_stats_json(t->h, &data, err) < 0)
    return -1;
  printf("{\"type\":\"stats\",\"id\":\"%s\",\"data\":%s}\n", t->st->id, data);
  fflush(stdout);
  return 0;
}

int cmd_events(struct global_opts *g, int argc, char **argv, werr_t *err) {
  if (cmd_wants_help(argc, argv, EVENTS_USAGE))
    return 0;
  static const struct option opts[] = {{"stats", no_argument, 0, 's'},
                                       {"interval", required_argument, 0, 'i'},
                                       {0, 0, 0, 0}};
  bool stats_only = false;
  long interval = 5000;
  int ch;
  optind = 1;
  opterr = 0; /* one-line errors: ours, not getopt's */
  while ((ch = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
    if (ch == 's')
      stats_only = true;
    else if (ch == 'i') {
      if (parse_duration(optarg, &interval, err) < 0)
        return -1;
    } else
      return cmd_bad_option(ch, argv, EVENTS_USAGE, err);
  }
  struct target t;
  if (target_open(g, argc, argv, EVENTS_USAGE, false, &t, err) < 0)
    return -1;
  int rc = -1;
  _cleanup_close_ int oomfd = -1;
  _cleanup_werr_ werr_t oom_err = NULL;
  uint64_t last = 0;
  if (!state_init_alive(t.st)) {
    not_in_state(err, &t, "running");
    goto out;
  }
  if (stats_only) {
    rc = print_stats(&t, err);
    goto out;
  }
  /* No memory controller: stats only, no OOM events. */
  oomfd = cgroup_oom_fd(t.h, &oom_err);
  (void)cgroup_oom_count(t.h, &last, &oom_err);
  long next = now_ms() + interval;
  for (;;) {
    /* Once the init is gone, one last look for the OOM that killed it. */
    bool alive = state_init_alive(t.st);
    long left = next - now_ms();
    int timeout = !alive ? 0 : left < 0 ? 0 : left > 200 ? 200 : (int)left;
    struct pollfd p = {.fd = oomfd, .events = POLLIN};
    int r = poll(&p, oomfd >= 0 ? 1 : 0, timeout);
    if (r < 0 && errno != EINTR) {
      werr_sys(err, "events: poll");
      break;
    }
    if (r > 0 && (p.revents & POLLIN) &&
        cgroup_oom_drain(t.h, oomfd, &last) > 0) {
      printf("{\"type\":\"oom\",\"id\":\"%s\"}\n", t.st->id);
      fflush(stdout);
    }
    if (!alive) {
      rc = 0;
      break;
    }
    if (now_ms() >= next) {
      _cleanup_werr_ werr_t se = NULL;
      if (print_stats(&t, &se) < 0) {
        rc = 0; /* the container is gone */
        break;
      }
      next += interval;
    }
  }
out:
  target_close(&t);
  return rc;
}
