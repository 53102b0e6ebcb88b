/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The engine: a veth pair between the host side (our network namespace) and
 * the container's, bridged or routed, and the tables that filter it.  Every
 * object is named after the container (see net_names_for), so teardown needs
 * nothing but the id and is idempotent. */
#include "ward-net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

/* Incus's routed NIC: the host end answers as the container's gateway on
 * these link-local addresses. */
static const uint8_t routed_gw4[4] = {169, 254, 0, 1};
static const uint8_t routed_gw6[16] = {0xfe, 0x80, [15] = 1};

static void cleanup_nlp(struct nl **nl) {
  nl_close(*nl);
}
#define _cleanup_nl_ __attribute__((cleanup(cleanup_nlp)))

static int sysctl_set(const char *family, const char *ifname, const char *key,
                      const char *value, werr_t *err) {
  char path[128];
  snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", family, ifname,
           key);
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, value, strlen(value)) != (ssize_t)strlen(value))
    return werr_sys(err, "write %s", path);
  return 0;
}

static int sysctl_is(const char *family, const char *ifname, const char *key,
                     const char *want, werr_t *err) {
  char path[128], buf[16] = "";
  snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", family, ifname,
           key);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
  if (n < 0)
    return werr_sys(err, "read %s", path);
  buf[strcspn(buf, "\n")] = '\0';
  if (strcmp(buf, want))
    /* As Incus: the host's forwarding policy is the administrator's to
     * set, not ours to change behind their back. */
    return werr_code(err, EINVAL,
                "ward.net.parent: routed mode needs net.%s.conf.%s.%s=%s",
                family, ifname, key, want);
  return 0;
}

/* Proxy ARP/NDP on the parent makes the container's addresses answer on
 * the parent's network; it needs forwarding (and proxy_ndp) there. */
static int check_parent(struct nl *h, const struct net_config *c,
                        unsigned *parent, werr_t *err) {
  *parent = 0;
  if (c->parent[0] == '\0')
    return 0;
  if (nl_link_get(h, c->parent, parent, NULL, NULL, err) < 0)
    return -1;
  if (*parent == 0)
    return werr_code(err, ENODEV, "ward.net.parent: no link \"%s\"", c->parent);
  if (c->n4 && sysctl_is("ipv4", c->parent, "forwarding", "1", err) < 0)
    return -1;
  if (c->n6 && (sysctl_is("ipv6", c->parent, "forwarding", "1", err) < 0 ||
                sysctl_is("ipv6", c->parent, "proxy_ndp", "1", err) < 0))
    return -1;
  return 0;
}

static int proxies(struct nl *h, const struct net_config *c, unsigned parent,
                   bool add, werr_t *err) {
  const struct cidr *all[2] = {c->v4, c->v6};
  size_t n[2] = {c->n4, c->n6};
  int r = 0;
  for (int f = 0; f < 2; f++)
    for (size_t i = 0; i < n[f]; i++) {
      struct cidr a = all[f][i];
      if (nl_neigh_proxy(h, parent, &a, add, err) < 0) {
        if (add) {
          /* Undo only what this call made: an entry that existed before
           * (EEXIST) belongs to someone else. */
          werr_t ignored = NULL;
          for (int g = 0; g <= f; g++)
            for (size_t j = 0; j < (g < f ? n[g] : i); j++)
              nl_neigh_proxy(h, parent, &all[g][j], false, &ignored);
          werr_free(&ignored);
          return -1;
        }
        r = -1;
      }
    }
  return r;
}

static int check_subnet(struct nl *nl, const struct net_config *c,
                        unsigned br, int family, werr_t *err) {
  const struct cidr *want = family == AF_INET ? c->v4 : c->v6;
  size_t nwant = family == AF_INET ? c->n4 : c->n6;
  struct cidr have[32];
  size_t n = 0, global = 0;
  if (nwant == 0)
    return 0;
  if (nl_addr_list(nl, br, family, have, 32, &n, err) < 0)
    return werr_prefix(err, "bridge %s", c->bridge);
  for (size_t i = 0; i < n; i++)
    if (!(family == AF_INET6 && have[i].addr[0] == 0xfe &&
          (have[i].addr[1] & 0xc0) == 0x80))
      have[global++] = have[i];
  /* A bridge without addresses of the family is a plain switch: any
   * address may be used on it. */
  if (global == 0)
    return 0;
  for (size_t i = 0; i < nwant; i++) {
    bool inside = false;
    for (size_t j = 0; j < global; j++)
      inside |= cidr_contains(&have[j], &want[i]) &&
                want[i].prefix == have[j].prefix;
    if (!inside) {
      char s[INET6_ADDRSTRLEN];
      format_addr(family, want[i].addr, s, sizeof(s));
      return werr_code(err, EINVAL,
                  "ward.net.ipv%c.address: %s/%u is outside the subnet of "
                  "bridge %s",
                  family == AF_INET ? '4' : '6', s, want[i].prefix, c->bridge);
    }
  }
  return 0;
}

/* Everything on the host side that must exist before the veth is made. */
static int check_bridge(struct nl *h, const struct net_config *c,
                        unsigned *br, werr_t *err) {
  char kind[32];
  if (nl_link_get(h, c->bridge, br, kind, NULL, err) < 0)
    return -1;
  if (*br == 0)
    return werr_code(err, ENODEV, "ward.net.bridge: no bridge \"%s\"", c->bridge);
  if (strcmp(kind, "bridge"))
    return werr_code(err, EINVAL, "ward.net.bridge: \"%s\" is not a bridge",
                c->bridge);
  if (check_subnet(h, c, *br, AF_INET, err) < 0 ||
      check_subnet(h, c, *br, AF_INET6, err) < 0)
    return -1;
  return 0;
}

static int container_side(struct nl *ct, const struct net_config *c,
                          werr_t *err) {
  unsigned lo, eth;
  if (nl_link_get(ct, "lo", &lo, NULL, NULL, err) < 0 ||
      nl_link_get(ct, c->ifname, &eth, NULL, NULL, err) < 0)
    return -1;
  if (eth == 0)
    return werr_code(err, ENODEV, "%s: not in the container", c->ifname);
  if (lo && nl_link_set(ct, lo, 0, true, err) < 0)
    return -1;
  for (size_t i = 0; i < c->n4; i++) {
    struct cidr a = c->v4[i];
    if (c->mode == NET_ROUTED)
      a.prefix = 32;
    if (nl_addr_add(ct, eth, &a, err) < 0)
      return -1;
  }
  for (size_t i = 0; i < c->n6; i++) {
    struct cidr a = c->v6[i];
    if (c->mode == NET_ROUTED)
      a.prefix = 128;
    if (nl_addr_add(ct, eth, &a, err) < 0)
      return -1;
  }
  if (nl_link_set(ct, eth, 0, true, err) < 0)
    return -1;
  bool routed = c->mode == NET_ROUTED;
  if ((routed && c->n4) || c->has_gw4)
    if (nl_route_add(ct, AF_INET, NULL, 0, routed ? routed_gw4 : c->gw4, eth,
                     routed, err) < 0)
      return -1;
  if ((routed && c->n6) || c->has_gw6)
    if (nl_route_add(ct, AF_INET6, NULL, 0, routed ? routed_gw6 : c->gw6, eth,
                     false, err) < 0)
      return -1;
  return 0;
}

static int routed_host_side(struct nl *h, const struct net_config *c,
                            unsigned hidx, werr_t *err) {
  /* The container must never become the host's IPv6 router, and a source
   * address not routed back through this port is dropped (IPv4 by
   * rp_filter, IPv6 by the fib rule of the inet table). */
  if (sysctl_set("ipv4", c->host_if, "rp_filter", "1", err) < 0 ||
      sysctl_set("ipv6", c->host_if, "accept_ra", "0", err) < 0)
    return -1;
  if (c->n4) {
    struct cidr gw = {.family = AF_INET, .prefix = 32};
    memcpy(gw.addr, routed_gw4, 4);
    if (nl_addr_add(h, hidx, &gw, err) < 0)
      return -1;
  }
  if (c->n6) {
    struct cidr gw = {.family = AF_INET6, .prefix = 64};
    memcpy(gw.addr, routed_gw6, 16);
    if (nl_addr_add(h, hidx, &gw, err) < 0)
      return -1;
  }
  if (nl_link_set(h, hidx, 0, true, err) < 0)
    return -1;
  for (size_t i = 0; i < c->n4; i++)
    if (nl_route_add(h, AF_INET, c->v4[i].addr, 32, NULL, hidx, false, err) <
        0)
      return -1;
  for (size_t i = 0; i < c->n6; i++)
    if (nl_route_add(h, AF_INET6, c->v6[i].addr, 128, NULL, hidx, false,
                     err) < 0)
      return -1;
  return nft_install_routed_filter(c->table, c->host_if, err);
}

static int bridged_host_side(struct nl *h, const struct net_config *c,
                             unsigned hidx, unsigned br, werr_t *err) {
  /* The filter exists before the port joins the bridge: no frame of the
   * container's ever passes unfiltered. */
  if (c->mac_filtering || c->ipv4_filtering || c->ipv6_filtering) {
    struct nft_filter f = {
        .table = c->table,
        .host_if = c->host_if,
        .mac = c->mac,
        .v4 = c->v4,
        .v6 = c->v6,
        .n4 = c->n4,
        .n6 = c->n6,
        .mac_filtering = c->mac_filtering,
        .ipv4_filtering = c->ipv4_filtering,
        .ipv6_filtering = c->ipv6_filtering,
    };
    if (nft_install_bridge_filter(&f, err) < 0)
      return -1;
  }
  return nl_link_set(h, hidx, br, true, err);
}

int net_setup(const struct net_config *c, int netns_fd, werr_t *err) {
  _cleanup_nl_ struct nl *h = nl_open(-1, err);
  if (h == NULL)
    return -1;
  unsigned br = 0, hidx = 0, parent = 0;
  if (c->mode == NET_BRIDGED && check_bridge(h, c, &br, err) < 0)
    return -1;
  if (c->mode == NET_ROUTED && check_parent(h, c, &parent, err) < 0)
    return -1;
  if (nl_link_get(h, c->host_if, &hidx, NULL, NULL, err) < 0)
    return -1;
  if (hidx)
    return werr_code(err, EEXIST, "%s: already exists (container %s set up twice?)",
                c->host_if, c->id);
  _cleanup_nl_ struct nl *ct = nl_open(netns_fd, err);
  if (ct == NULL)
    return -1;
  if (nl_veth_create(h, c->host_if, c->ifname, netns_fd, c->mac, c->mtu, err) <
      0)
    return -1;
  int r = nl_link_get(h, c->host_if, &hidx, NULL, NULL, err);
  if (r == 0 && hidx == 0)
    r = werr_code(err, ENODEV, "%s: vanished after creation", c->host_if);
  if (r == 0)
    r = c->mode == NET_BRIDGED ? bridged_host_side(h, c, hidx, br, err)
                               : routed_host_side(h, c, hidx, err);
  if (r == 0)
    r = container_side(ct, c, err);
  if (r == 0 && parent)
    r = proxies(h, c, parent, true, err);
  if (r < 0) {
    /* proxies() undid its own; the rest goes by name. */
    struct net_config names = *c;
    names.parent[0] = '\0';
    werr_t ignored = NULL;
    net_teardown(&names, &ignored);
    werr_free(&ignored);
    return -1;
  }
  return 0;
}

/* Teardown goes on past a failure (everything it can remove, it does) and
 * reports the first. */
static void keep_first(werr_t *err, werr_t *e) {
  if (*e && *err == NULL)
    *err = take_ptr(*e);
  werr_free(e);
}

int net_teardown(const struct net_config *c, werr_t *err) {
  _cleanup_nl_ struct nl *h = nl_open(-1, err);
  if (h == NULL)
    return -1;
  werr_t e = NULL;
  int r = 0;
  if (c->parent[0]) {
    unsigned parent = 0;
    /* A parent that is gone took its proxy entries with it. */
    if (nl_link_get(h, c->parent, &parent, NULL, NULL, &e) < 0 ||
        (parent && proxies(h, c, parent, false, &e) < 0))
      r = -1;
    keep_first(err, &e);
  }
  /* Deleting one end deletes the pair, its addresses, routes through it
   * and its per-link sysctls. */
  if (nl_link_del(h, c->host_if, &e) < 0)
    r = -1;
  keep_first(err, &e);
  if (nft_remove_tables(c->table, &e) < 0)
    r = -1;
  keep_first(err, &e);
  return r;
}
