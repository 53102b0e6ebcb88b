/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Networking for ward-net's bridged mode: nftables with the bridge family
 * (tried in a network namespace of its own, so no table ever appears on
 * the host), ward-net and podman's hook file installed, br_netfilter. */
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_internal.h"
#include "cleanup.h"
#include "utils.h"

static int nft_trial(void *arg) {
  char **out = arg;
  int flags = CLONE_NEWNET | (geteuid() != 0 ? CLONE_NEWUSER : 0);
  if (unshare(flags) < 0)
    return 126;
  char *argv[] = {"nft", "add", "table", "bridge", "ward_check", NULL};
  int rc = check_run(argv, out);
  return rc;
}

void probe_net_nft_bridge(const struct check_opts *o, struct check_result *r) {
  (void)o;
  char *out = NULL;
  /* The child's output is lost with it: only the status comes back. */
  int rc = check_in_child(nft_trial, &out);
  if (rc == 0) {
    check_set(r, CHECK_OK, "nftables bridge family (a table made in a "
                           "throwaway network namespace)");
  } else if (rc == 127) {
    check_set(r, CHECK_WARN, "nft not found: ward-net's bridged filtering "
                             "cannot be set up");
    check_set_fix(r, "apt-get install nftables");
  } else if (rc == 126) {
    check_set(r, CHECK_WARN, "cannot make a network namespace to try nft in");
  } else {
    check_set(r, CHECK_WARN,
              "nft cannot create a bridge-family table: ward-net's MAC/IP "
              "filtering cannot work");
    check_set_fix(r, "modprobe nf_tables (kernel with CONFIG_NF_TABLES_BRIDGE)");
  }
}

static bool executable(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

void probe_net_ward_net(const struct check_opts *o, struct check_result *r) {
  (void)o;
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  _cleanup_free_ char *beside = NULL;
  if (n > 0) {
    self[n] = '\0';
    /* PREFIX/bin/ward -> PREFIX/libexec/ward/ward-net */
    beside = xasprintf("%s/../libexec/ward/ward-net", dirname(self));
  }
  const char *cands[] = {beside, "/usr/local/libexec/ward/ward-net",
                         "/usr/libexec/ward/ward-net"};
  const char *found = NULL;
  for (size_t i = 0; i < sizeof(cands) / sizeof(*cands) && !found; i++)
    if (cands[i] && executable(cands[i]))
      found = cands[i];
  const char *hooks[] = {"/etc/containers/oci/hooks.d/ward-net.json",
                         "/usr/share/containers/oci/hooks.d/ward-net.json",
                         "/usr/local/share/containers/oci/hooks.d/ward-net.json"};
  const char *hook = NULL;
  for (size_t i = 0; i < sizeof(hooks) / sizeof(*hooks) && !hook; i++)
    if (access(hooks[i], R_OK) == 0)
      hook = hooks[i];
  if (found == NULL) {
    check_set(r, CHECK_WARN,
              "ward-net not installed (looked in PREFIX/libexec/ward/): "
              "ward.net.* annotations do nothing");
    check_set_fix(r, "make install");
    return;
  }
  _cleanup_free_ char *real = realpath(found, NULL);
  check_set(r, CHECK_OK, "%s; podman hook file: %s", real ? real : found,
            hook ? hook : "none (podman runs ward-net only through ward)");
}

void probe_net_br_netfilter(const struct check_opts *o,
                            struct check_result *r) {
  (void)o;
  struct stat st;
  if (stat("/proc/sys/net/bridge", &st) < 0) {
    check_set(r, CHECK_OK, "br_netfilter not loaded: bridged frames are "
                           "filtered by nft's bridge family only");
    return;
  }
  _cleanup_free_ char *v4 = NULL, *v6 = NULL;
  _cleanup_werr_ werr_t e = NULL, e6 = NULL;
  read_file("/proc/sys/net/bridge/bridge-nf-call-iptables", &v4, NULL, &e);
  read_file("/proc/sys/net/bridge/bridge-nf-call-ip6tables", &v6, NULL, &e6);
  if (v4)
    v4[strcspn(v4, "\n")] = '\0';
  if (v6)
    v6[strcspn(v6, "\n")] = '\0';
  check_set(r, CHECK_OK,
            "br_netfilter loaded: bridge-nf-call-iptables=%s, "
            "bridge-nf-call-ip6tables=%s (bridged container traffic also "
            "meets the host's ip/ip6 rules when 1)",
            v4 ? v4 : "?", v6 ? v6 : "?");
}
