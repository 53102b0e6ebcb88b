/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ward.net.* annotations.  Everything is checked here, before the first
 * netlink request, so bad input never leaves a veth or a table behind. */
#include "ward-net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "xalloc.h"

#define ANN "ward.net."

static uint64_t fnv1a(const char *s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 0x100000001b3ULL;
  }
  return h;
}

/* The link name must fit IFNAMSIZ whatever the id's length, so it is a hash;
 * the table keeps the id itself (so `nft list tables` shows whose it is),
 * with characters nft's identifiers do not allow replaced. */
void net_names_for(const char *id, const char *suffix, char host_if[IFNAMSIZ],
                   char *table, size_t table_len) {
  _cleanup_free_ char *key =
      xasprintf("%s%s%s", id, suffix ? "/" : "", suffix ? suffix : "");
  if (host_if)
    snprintf(host_if, IFNAMSIZ, "ward%08x",
             (unsigned)(fnv1a(key) & 0xffffffff));
  snprintf(table, table_len, "ward-%s%s%s", id, suffix ? "-" : "",
           suffix ? suffix : "");
  for (char *p = table; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
      *p = '_';
}

int parse_mac(const char *s, uint8_t mac[6]) {
  unsigned b[6];
  char tail;
  if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
             &b[5], &tail) != 6 || strlen(s) != 17)
    return -1;
  for (int i = 0; i < 6; i++)
    mac[i] = (uint8_t)b[i];
  /* A multicast or all-zero source address is never a NIC's own. */
  if (mac[0] & 1)
    return -1;
  if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
    return -1;
  return 0;
}

int parse_cidr(const char *s, bool need_prefix, struct cidr *out) {
  char buf[INET6_ADDRSTRLEN + 8];
  if (strlen(s) >= sizeof(buf))
    return -1;
  strcpy(buf, s);
  char *slash = strchr(buf, '/');
  if (slash)
    *slash = '\0';
  else if (need_prefix)
    return -1;
  memset(out, 0, sizeof(*out));
  if (inet_pton(AF_INET, buf, out->addr) == 1) {
    out->family = AF_INET;
    out->prefix = 32;
  } else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
    out->family = AF_INET6;
    out->prefix = 128;
  } else
    return -1;
  if (slash) {
    char *end;
    errno = 0;
    long p = strtol(slash + 1, &end, 10);
    if (errno || end == slash + 1 || *end || p < 0 || p > (long)out->prefix)
      return -1;
    out->prefix = (unsigned)p;
  }
  return 0;
}

void format_addr(int family, const void *addr, char *buf, size_t len) {
  if (inet_ntop(family, addr, buf, (socklen_t)len) == NULL)
    snprintf(buf, len, "?");
}

/* EUI-64 from the MAC, as the kernel derives the container's link-local. */
void ipv6_link_local(const uint8_t mac[6], uint8_t out[16]) {
  memset(out, 0, 16);
  out[0] = 0xfe;
  out[1] = 0x80;
  out[8] = mac[0] ^ 0x02;
  out[9] = mac[1];
  out[10] = mac[2];
  out[11] = 0xff;
  out[12] = 0xfe;
  out[13] = mac[3];
  out[14] = mac[4];
  out[15] = mac[5];
}

bool cidr_contains(const struct cidr *net, const struct cidr *a) {
  if (net->family != a->family)
    return false;
  unsigned bits = net->prefix;
  for (unsigned i = 0; bits > 0; i++, bits = bits > 8 ? bits - 8 : 0) {
    uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
    if ((net->addr[i] & mask) != (a->addr[i] & mask))
      return false;
  }
  return true;
}

bool net_annotations_present(const struct kvlist *ann) {
  for (size_t i = 0; ann && i < ann->len; i++)
    if (strncmp(ann->items[i].key, ANN, strlen(ANN)) == 0)
      return true;
  return false;
}

static int want_bool(const char *key, const char *v, bool *out, werr_t *err) {
  if (v == NULL)
    return 0;
  if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes"))
    *out = true;
  else if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no"))
    *out = false;
  else
    return werr_code(err, EINVAL, "%s: must be true or false, not \"%s\"", key, v);
  return 0;
}

static int want_ifname(const char *key, const char *v, char out[IFNAMSIZ],
                       werr_t *err) {
  if (v == NULL)
    return 0;
  if (v[0] == '\0' || strlen(v) >= IFNAMSIZ || strchr(v, '/') ||
      strchr(v, ':') || strpbrk(v, " \t\n") || !strcmp(v, ".") ||
      !strcmp(v, ".."))
    return werr_code(err, EINVAL, "%s: \"%s\" is not an interface name", key, v);
  strcpy(out, v);
  return 0;
}

/* A comma-separated list of CIDR addresses of one family. */
static int want_addrs(const char *key, const char *v, int family,
                      bool need_prefix, struct cidr *out, size_t *n,
                      werr_t *err) {
  if (v == NULL)
    return 0;
  _cleanup_free_ char *copy = xstrdup(v);
  char *save = NULL;
  for (char *tok = strtok_r(copy, ",", &save); tok;
       tok = strtok_r(NULL, ",", &save)) {
    if (*n == NET_MAX_ADDRS)
      return werr_code(err, EINVAL, "%s: at most %d addresses", key,
                  NET_MAX_ADDRS);
    struct cidr c;
    if (parse_cidr(tok, need_prefix, &c) < 0 || c.family != family)
      return werr_code(err, EINVAL, "%s: \"%s\" is not an %s address%s", key, tok,
                  family == AF_INET ? "IPv4" : "IPv6",
                  need_prefix ? " in CIDR form" : "");
    out[(*n)++] = c;
  }
  if (*n == 0)
    return werr_code(err, EINVAL, "%s: empty", key);
  return 0;
}

static int want_gw(const char *key, const char *v, int family, uint8_t *out,
                   bool *has, werr_t *err) {
  if (v == NULL)
    return 0;
  if (inet_pton(family, v, out) != 1)
    return werr_code(err, EINVAL, "%s: \"%s\" is not an %s address", key, v,
                family == AF_INET ? "IPv4" : "IPv6");
  *has = true;
  return 0;
}

/* A gateway must be on-link: in one of the container's subnets (or, for
 * IPv6, link-local). */
static int check_gateway(const struct net_config *c, int family,
                         werr_t *err) {
  bool v4 = family == AF_INET;
  if (!(v4 ? c->has_gw4 : c->has_gw6))
    return 0;
  struct cidr gw = {.family = family, .prefix = v4 ? 32 : 128};
  memcpy(gw.addr, v4 ? c->gw4 : c->gw6, v4 ? 4 : 16);
  if (!v4 && gw.addr[0] == 0xfe && (gw.addr[1] & 0xc0) == 0x80)
    return 0;
  const struct cidr *a = v4 ? c->v4 : c->v6;
  size_t n = v4 ? c->n4 : c->n6;
  for (size_t i = 0; i < n; i++)
    if (cidr_contains(&a[i], &gw))
      return 0;
  char s[INET6_ADDRSTRLEN];
  format_addr(family, gw.addr, s, sizeof(s));
  return werr_code(err, EINVAL,
              ANN "ipv%c.gateway: %s is in none of the container's subnets",
              v4 ? '4' : '6', s);
}

static const char *const known[] = {
    "mode",         "bridge",       "name",          "hwaddr",
    "mtu",          "ipv4.address", "ipv4.gateway",  "ipv6.address",
    "ipv6.gateway", "mac_filtering", "ipv4_filtering", "ipv6_filtering",
    "parent",       NULL};

void net_config_names_only(struct net_config *c, const char *id) {
  memset(c, 0, sizeof(*c));
  c->id = id;
  strcpy(c->ifname, "eth0");
  net_names_for(id, NULL, c->host_if, c->table, sizeof(c->table));
}

int net_config_from_annotations(struct net_config *c, const char *id,
                                const struct kvlist *ann, werr_t *err) {
  net_config_names_only(c, id);

  for (size_t i = 0; ann && i < ann->len; i++) {
    const char *k = ann->items[i].key;
    if (strncmp(k, ANN, strlen(ANN)))
      continue;
    bool ok = false;
    for (const char *const *p = known; *p; p++)
      ok |= !strcmp(k + strlen(ANN), *p);
    if (!ok)
      return werr_code(err, EINVAL, "%s: unknown setting", k);
  }

  const char *v = kvlist_get(ann, ANN "mode");
  if (v == NULL)
    return werr_code(err, EINVAL, ANN "mode: missing (bridged or routed)");
  if (!strcmp(v, "bridged"))
    c->mode = NET_BRIDGED;
  else if (!strcmp(v, "routed"))
    c->mode = NET_ROUTED;
  else
    return werr_code(err, EINVAL,
                ANN "mode: unknown mode \"%s\" (bridged or routed)", v);

  v = kvlist_get(ann, ANN "bridge");
  if (c->mode == NET_BRIDGED && v == NULL)
    return werr_code(err, EINVAL, ANN "bridge: missing (needed in bridged mode)");
  if (c->mode == NET_ROUTED && v)
    return werr_code(err, EINVAL, ANN "bridge: not used in routed mode");
  v = kvlist_get(ann, ANN "parent");
  if (c->mode == NET_BRIDGED && v)
    return werr_code(err, EINVAL, ANN "parent: routed mode only");
  if (want_ifname(ANN "parent", v, c->parent, err) < 0)
    return -1;
  v = kvlist_get(ann, ANN "bridge");
  if (want_ifname(ANN "bridge", v, c->bridge, err) < 0 ||
      want_ifname(ANN "name", kvlist_get(ann, ANN "name"), c->ifname, err) < 0)
    return -1;

  v = kvlist_get(ann, ANN "hwaddr");
  if (v) {
    if (parse_mac(v, c->mac) < 0)
      return werr_code(err, EINVAL,
                  ANN "hwaddr: \"%s\" is not a unicast MAC address", v);
  } else {
    /* Stable per container: the same id gets the same MAC (and so the same
     * link-local address) on every start. */
    uint64_t h = fnv1a(id) * 0x9e3779b97f4a7c15ULL;
    c->mac[0] = 0x02;
    for (int i = 1; i < 6; i++)
      c->mac[i] = (uint8_t)(h >> (8 * i));
  }

  v = kvlist_get(ann, ANN "mtu");
  if (v) {
    char *end;
    errno = 0;
    long m = strtol(v, &end, 10);
    if (errno || end == v || *end || m < 1280 || m > 65535)
      return werr_code(err, EINVAL, ANN "mtu: \"%s\" is not between 1280 and 65535",
                  v);
    c->mtu = (unsigned)m;
  }

  /* Bridged addresses need their subnet; routed ones are single hosts
   * (a prefix, if given, is checked and then ignored). */
  bool bridged = c->mode == NET_BRIDGED;
  if (want_addrs(ANN "ipv4.address", kvlist_get(ann, ANN "ipv4.address"),
                 AF_INET, bridged, c->v4, &c->n4, err) < 0 ||
      want_addrs(ANN "ipv6.address", kvlist_get(ann, ANN "ipv6.address"),
                 AF_INET6, bridged, c->v6, &c->n6, err) < 0 ||
      want_gw(ANN "ipv4.gateway", kvlist_get(ann, ANN "ipv4.gateway"), AF_INET,
              c->gw4, &c->has_gw4, err) < 0 ||
      want_gw(ANN "ipv6.gateway", kvlist_get(ann, ANN "ipv6.gateway"),
              AF_INET6, c->gw6, &c->has_gw6, err) < 0)
    return -1;

  if (want_bool(ANN "mac_filtering", kvlist_get(ann, ANN "mac_filtering"),
                &c->mac_filtering, err) < 0 ||
      want_bool(ANN "ipv4_filtering", kvlist_get(ann, ANN "ipv4_filtering"),
                &c->ipv4_filtering, err) < 0 ||
      want_bool(ANN "ipv6_filtering", kvlist_get(ann, ANN "ipv6_filtering"),
                &c->ipv6_filtering, err) < 0)
    return -1;

  if (c->mode == NET_ROUTED) {
    if (c->n4 + c->n6 == 0)
      return werr_code(err, EINVAL,
                  ANN "ipv4.address: routed mode needs at least one address");
    if (c->has_gw4 || c->has_gw6)
      return werr_code(err, EINVAL, ANN "%s.gateway: routed mode sets its own",
                  c->has_gw4 ? "ipv4" : "ipv6");
    if (c->mac_filtering || c->ipv4_filtering || c->ipv6_filtering)
      return werr_code(err, EINVAL,
                  ANN "%s: bridged mode only (routed mode always filters by "
                      "source route)",
                  c->mac_filtering    ? "mac_filtering"
                  : c->ipv4_filtering ? "ipv4_filtering"
                                      : "ipv6_filtering");
  }
  if (check_gateway(c, AF_INET, err) < 0 || check_gateway(c, AF_INET6, err) < 0)
    return -1;
  /* As Incus: an IP filter cannot hold without the MAC filter. */
  if (c->ipv4_filtering || c->ipv6_filtering)
    c->mac_filtering = true;
  return 0;
}
