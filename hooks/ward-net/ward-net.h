/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ward-net: one engine (veth set-up, bridged or routed, and Incus-style
 * anti-spoofing rules in nftables) behind three front doors: an OCI hook
 * (createRuntime / poststop), the same hook from podman's hooks.d, and a CNI
 * 1.0.0 chained plugin.  Netlink goes through libmnl, rules through
 * libnftables; nothing here runs ip(8) or nft(8). */
#ifndef WARD_NET_H
#define WARD_NET_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "json.h"
#include "ward_error.h"

#define NET_MAX_ADDRS 8

struct cidr {
  int family; /* AF_INET or AF_INET6 */
  uint8_t addr[16];
  unsigned prefix;
};

enum net_mode { NET_BRIDGED, NET_ROUTED };

struct net_config {
  const char *id;
  enum net_mode mode;
  char bridge[IFNAMSIZ];
  char parent[IFNAMSIZ]; /* routed: proxy ARP/NDP on this link ("": none) */
  char ifname[IFNAMSIZ]; /* inside the container */
  uint8_t mac[6];
  unsigned mtu; /* 0: kernel default */
  struct cidr v4[NET_MAX_ADDRS], v6[NET_MAX_ADDRS];
  size_t n4, n6;
  bool has_gw4, has_gw6;
  uint8_t gw4[4], gw6[16];
  bool mac_filtering, ipv4_filtering, ipv6_filtering;
  /* Derived from id: the host end of the veth and the nft table name. */
  char host_if[IFNAMSIZ];
  char table[128];
};

/* config.c: the ward.net.* annotations, checked before anything is made. */
bool net_annotations_present(const struct kvlist *ann);
int net_config_from_annotations(struct net_config *c, const char *id,
                                const struct kvlist *ann, werr_t *err);
/* What teardown needs when the annotations no longer parse: the names. */
void net_config_names_only(struct net_config *c, const char *id);
/* HOST_IF may be NULL (CNI names no link of its own). */
void net_names_for(const char *id, const char *suffix, char host_if[IFNAMSIZ],
                   char *table, size_t table_len);
int parse_mac(const char *s, uint8_t mac[6]);
int parse_cidr(const char *s, bool need_prefix, struct cidr *out);
void format_addr(int family, const void *addr, char *buf, size_t len);
void ipv6_link_local(const uint8_t mac[6], uint8_t out[16]);
bool cidr_contains(const struct cidr *net, const struct cidr *a);

/* netlink.c: libmnl requests, one socket per network namespace. */
struct nl;
struct nl *nl_open(int netns_fd, werr_t *err); /* -1: the current netns */
void nl_close(struct nl *nl);
/* 0 and *index 0 when absent; KIND gets IFLA_INFO_KIND ("" when none). */
int nl_link_get(struct nl *nl, const char *name, unsigned *index,
                char kind[32], unsigned *master, werr_t *err);
int nl_veth_create(struct nl *nl, const char *host, const char *peer,
                   int peer_netns_fd, const uint8_t peer_mac[6], unsigned mtu,
                   werr_t *err);
int nl_link_set(struct nl *nl, unsigned index, unsigned master, bool up,
                werr_t *err);
/* Absent is success. */
int nl_link_del(struct nl *nl, const char *name, werr_t *err);
int nl_addr_add(struct nl *nl, unsigned index, const struct cidr *a,
                werr_t *err);
/* A proxy ARP/NDP entry for A on link INDEX; deleting an absent one is
 * success. */
int nl_neigh_proxy(struct nl *nl, unsigned index, const struct cidr *a,
                   bool add, werr_t *err);
/* Default route (DST NULL) or a host route to DST, via GW when not NULL. */
int nl_route_add(struct nl *nl, int family, const uint8_t *dst,
                 unsigned dst_len, const uint8_t *gw, unsigned oif,
                 bool onlink, werr_t *err);
/* The addresses of FAMILY on link INDEX. */
int nl_addr_list(struct nl *nl, unsigned index, int family, struct cidr *out,
                 size_t max, size_t *n, werr_t *err);

/* nft.c: the per-container tables. */
struct nft_filter {
  const char *table;
  const char *host_if;
  const uint8_t *mac;
  const struct cidr *v4, *v6;
  size_t n4, n6;
  bool mac_filtering, ipv4_filtering, ipv6_filtering;
};
int nft_install_bridge_filter(const struct nft_filter *f, werr_t *err);
int nft_install_routed_filter(const char *table, const char *host_if,
                              werr_t *err);
/* Every family's table of that name; absent is success. */
int nft_remove_tables(const char *table, werr_t *err);
/* 1 when the bridge-family table exists, 0 when not. */
int nft_bridge_table_exists(const char *table, werr_t *err);

/* veth.c: the engine. */
int net_setup(const struct net_config *c, int netns_fd, werr_t *err);
/* Removes C's link, tables and, with a parent, its proxy entries. */
int net_teardown(const struct net_config *c, werr_t *err);

/* cni_parse.c: what a CNI call says, read without touching the host (the
 * fuzzer drives these).  CNI error codes from the spec's well-known list. */
enum {
  CNI_ERR_VERSION = 1,
  CNI_ERR_ENV = 4,
  CNI_ERR_DECODE = 6,
  CNI_ERR_CONFIG = 7,
  CNI_ERR_PLUGIN = 100,
};

struct cni_req {
  const char *command, *containerid, *ifname, *netns;
  char *version;
  yajl_val conf, prev;
  bool filter[3]; /* mac, ipv4, ipv6 */
  char table[128];
};

/* The network configuration BUF (stdin's text); *CODE is the CNI code to
 * report on failure. */
int cni_parse_conf(struct cni_req *q, const char *buf, int *code, werr_t *err);
void cni_req_free(struct cni_req *q);
/* prevResult.interfaces: the container's entry (its index and MAC) and the
 * first entry outside any sandbox that IS_VETH accepts. */
int cni_find_port(const struct cni_req *q,
                  bool (*is_veth)(const char *name, void *ctx), void *ctx,
                  char host_if[IFNAMSIZ], long *ctr_idx, uint8_t mac[6],
                  werr_t *err);
/* prevResult.ips of interface CTR_IDX (or of none) into F's v4/v6. */
int cni_collect_ips(const struct cni_req *q, long ctr_idx,
                    struct nft_filter *f, struct cidr *v4, struct cidr *v6,
                    werr_t *err);

/* oci.c, cni.c: the front doors; return the exit status. */
int oci_hook_main(const char *action);
int cni_main(const char *command);

#endif
