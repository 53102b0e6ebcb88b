/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_version.h>

#include "cleanup.h"
#include "commands.h"
#include "selfclone.h"
#include "utils.h"

#ifndef WARD_VERSION
#define WARD_VERSION "0.0.0"
#endif

struct command {
  const char *name;
  cmd_fn fn;
  bool spawns; /* puts a process into a container: selfclone_ensure first */
  const char *summary;
};

static const struct command commands[] = {
    {"create", cmd_create, true, "create a container from a bundle"},
    {"start", cmd_start, false, "run the user process of a created container"},
    {"run", cmd_run, true, "create and start a container, wait for it"},
    {"exec", cmd_exec, true, "run another process in a running container"},
    {"state", cmd_state, false, "print the OCI state of a container"},
    {"kill", cmd_kill, false, "send a signal to the container's init"},
    {"delete", cmd_delete, false, "remove a container and everything it used"},
    {"list", cmd_list, false, "list containers"},
    {"ps", cmd_ps, false, "list the processes of a container"},
    {"pause", cmd_pause, false, "freeze every process of a container"},
    {"resume", cmd_resume, false, "thaw a paused container"},
    {"update", cmd_update, false, "change the resources of a container"},
    {"events", cmd_events, false, "print stats and OOM events"},
    {"spec", cmd_spec, false, "write a default config.json"},
    {"features", cmd_features, false, "print what this ward supports (JSON)"},
    {"idmap", cmd_idmap, false, "list or release idmap allocations"},
    {"checkpoint", cmd_checkpoint, false, "checkpoint a container with CRIU"},
    {"restore", cmd_restore, true, "restore a container from a checkpoint"},
    {"check", cmd_check, false, "check the host, lint a bundle (--bundle)"},
};

static struct global_opts G = {.root = WARD_DEFAULT_ROOT};

static void usage(FILE *f) {
  fprintf(f, "usage: ward [--root DIR] [--log FILE] [--log-format text|json] "
             "[--debug] [--systemd-cgroup] [--criu PATH] COMMAND [ARGS]\n\ncommands:\n");
  for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
    fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\nward COMMAND --help shows the command's flags.\n");
}

static void print_version(void) {
  printf("ward version %s\nspec: 1.2.0\n", WARD_VERSION);
  const struct scmp_version *v = seccomp_version();
  if (v)
    printf("libseccomp: %u.%u.%u\n", v->major, v->minor, v->micro);
  printf("yajl: %d.%d.%d\n", YAJL_MAJOR, YAJL_MINOR, YAJL_MICRO);
}

bool cmd_wants_help(int argc, char **argv, const char *usage_line) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0)
      break;
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      printf("usage: %s\n", usage_line);
      return true;
    }
  }
  return false;
}

int cmd_need_id(int argc, char **argv, const char *usage, bool only,
                werr_t *err) {
  if (optind >= argc)
    return werr_code(err, EINVAL, "%s: missing container id (usage: %s)",
                     argv[0], usage);
  if (only && optind != argc - 1)
    return werr_code(err, EINVAL,
                     "%s: needs exactly one container id (usage: %s)", argv[0],
                     usage);
  return 0;
}

int cmd_bad_option(int ch, char **argv, const char *usage, werr_t *err) {
  const char *arg = argv[optind - 1];
  char shortopt[3] = {'-', (char)optopt, '\0'};
  /* An unknown short option inside a cluster ("-dx") is reported alone. */
  if (ch == '?' && optopt > 0 && optopt < 128 && arg[0] == '-' &&
      arg[1] != '-')
    arg = shortopt;
  if (ch == ':')
    return werr_code(err, EINVAL, "%s: option %s needs a value (usage: %s)",
                argv[0], arg, usage);
  return werr_code(err, EINVAL, "%s: unknown option %s (usage: %s)", argv[0], arg,
              usage);
}

static void report(werr_t err) {
  _cleanup_free_ char *raw = werr_text(err);
  /* One line, always, and valid UTF-8 whatever the input held. */
  _cleanup_free_ char *text = ward_log_clean(raw);
  fprintf(stderr, "ward: %s\n", text);
  ward_log_line("error", text);
}

/* "--flag value" and "--flag=value"; returns the value or NULL. */
static const char *flag_value(int argc, char **argv, int *i, const char *name,
                              werr_t *err) {
  size_t n = strlen(name);
  if (strncmp(argv[*i], name, n) != 0)
    return NULL;
  if (argv[*i][n] == '=')
    return argv[*i] + n + 1;
  if (argv[*i][n] != '\0')
    return NULL;
  if (*i + 1 >= argc) {
    werr_code(err, EINVAL, "%s needs a value", name);
    return NULL;
  }
  return argv[++*i];
}

int cli_main(int argc, char **argv) {
  werr_t err = NULL;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *a = argv[i], *v;
    if (strcmp(a, "--version") == 0 || strcmp(a, "-v") == 0) {
      print_version();
      return 0;
    }
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return 0;
    }
    if (strcmp(a, "--debug") == 0) {
      G.debug = true;
    } else if (strcmp(a, "--systemd-cgroup") == 0) {
      G.systemd_cgroup = true;
    } else if ((v = flag_value(argc, argv, &i, "--root", &err))) {
      G.root = v;
    } else if ((v = flag_value(argc, argv, &i, "--log", &err))) {
      G.log = v;
    } else if ((v = flag_value(argc, argv, &i, "--log-format", &err))) {
      if (strcmp(v, "json") == 0)
        G.log_json = true;
      else if (strcmp(v, "text") == 0)
        G.log_json = false;
      else
        werr_code(&err, EINVAL,
                  "--log-format: must be text or json, got \"%s\"", v);
    } else if ((v = flag_value(argc, argv, &i, "--criu", &err))) {
      G.criu = v;
    } else if ((v = flag_value(argc, argv, &i, "--rootless", &err))) {
      /* accepted for runc compatibility */
    } else if (err == NULL) {
      werr_code(&err, EINVAL, "unknown global option %s", a);
    }
    if (err)
      break;
  }
  ward_log_setup(G.log, G.log_json);
  if (err == NULL && i >= argc) {
    usage(stderr);
    return 1;
  }
  const struct command *cmd = NULL;
  for (size_t k = 0; err == NULL && k < sizeof(commands) / sizeof(*commands);
       k++)
    if (strcmp(argv[i], commands[k].name) == 0)
      cmd = &commands[k];
  if (err == NULL && cmd == NULL)
    werr_code(&err, EINVAL, "unknown command \"%s\" (see ward --help)",
              argv[i]);
  if (err) {
    report(err);
    werr_free(&err);
    return 1;
  }
  if (G.root[0] != '/') {
    char *abs = realpath(".", NULL);
    if (abs)
      G.root = xasprintf("%s/%s", abs, G.root);
    free(abs);
  }
  if (cmd->spawns && selfclone_ensure(argv, &err) < 0) {
    report(err);
    werr_free(&err);
    return 1;
  }
  /* Every command reports a bad flag itself, in one line (cmd_bad_option). */
  opterr = 0;
  int rc = cmd->fn(&G, argc - i, argv + i, &err);
  fflush(stdout);
  if (rc < 0 || err) {
    if (err)
      report(err);
    werr_free(&err);
    return rc > 0 ? rc : 1;
  }
  return rc;
}
