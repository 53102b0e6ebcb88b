/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The per-container nftables tables, written in nft's language and handed
 * to libnftables as one transaction: a table is either whole or absent.
 * The rules follow Incus's bridged NIC filters (security.mac_filtering,
 * ipv4_filtering, ipv6_filtering) and its routed NIC's IPv6 source check. */
#include "ward-net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "xalloc.h"

static int run(const char *cmds, bool quiet_absent, werr_t *err) {
  struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
  if (nft == NULL)
    return werr_code(err, ENOMEM, "nftables: cannot create a context");
  nft_ctx_buffer_output(nft);
  nft_ctx_buffer_error(nft);
  int r = nft_run_cmd_from_buffer(nft, cmds);
  if (r != 0 && !quiet_absent) {
    /* nft's message spans lines (the command, a caret line): keep the
     * first, which says what went wrong. */
    const char *e = nft_ctx_get_error_buffer(nft);
    size_t n = e ? strcspn(e, "\n") : 0;
    werr_code(err, EINVAL, "nftables: %.*s", (int)n, n ? e : "command failed");
  }
  nft_ctx_free(nft);
  return r == 0 ? 0 : -1;
}

static void put_mac(FILE *f, const uint8_t *m) {
  fprintf(f, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
          m[5]);
}

static void put_addr(FILE *f, int family, const uint8_t *a) {
  char s[INET6_ADDRSTRLEN];
  format_addr(family, a, s, sizeof(s));
  fputs(s, f);
}

static void put_hex128(FILE *f, const uint8_t *a) {
  fputs("0x", f);
  for (int i = 0; i < 16; i++)
    fprintf(f, "%02x", a[i]);
}

/* Any previous table of that name goes in the same transaction, so a stale
 * one from a crashed run never adds to the new rules. */
static void put_fresh_table(FILE *f, const char *family, const char *table) {
  fprintf(f, "add table %s %s\ndelete table %s %s\n", family, table, family,
          table);
}

static void put_ipv4_rules(FILE *f, const struct nft_filter *x) {
  if (x->n4 == 0) {
    /* Filtering on and no address: the family is closed altogether. */
    fputs("    ether type arp drop\n    ether type ip drop\n", f);
    return;
  }
  fputs("    ether type arp arp saddr ether != ", f);
  put_mac(f, x->mac);
  /* 0.0.0.0: the ARP probe of RFC 5227, sent before an address is used. */
  fputs(" drop\n    ether type arp arp saddr ip != { 0.0.0.0", f);
  for (size_t i = 0; i < x->n4; i++) {
    fputs(", ", f);
    put_addr(f, AF_INET, x->v4[i].addr);
  }
  fputs(" } drop\n", f);
  fputs("    ether type ip ip saddr 0.0.0.0 ip daddr 255.255.255.255 "
        "udp sport 68 udp dport 67 accept\n",
        f);
  fputs("    ether type ip ip saddr != { ", f);
  for (size_t i = 0; i < x->n4; i++) {
    fputs(i ? ", " : "", f);
    put_addr(f, AF_INET, x->v4[i].addr);
  }
  fputs(" } drop\n", f);
}

static void put_ipv6_rules(FILE *f, const struct nft_filter *x) {
  if (x->n6 == 0) {
    fputs("    ether type ip6 drop\n", f);
    return;
  }
  uint8_t ll[16];
  ipv6_link_local(x->mac, ll);
  /* A router advertisement would make the container the router of every
   * other host on the bridge. */
  fputs("    ether type ip6 icmpv6 type nd-router-advert drop\n", f);
  /* "::" is the source of duplicate address detection; DHCPv6 solicits come
   * from the link-local address. */
  fputs("    ether type ip6 ip6 saddr != { ::, ", f);
  put_addr(f, AF_INET6, ll);
  for (size_t i = 0; i < x->n6; i++) {
    fputs(", ", f);
    put_addr(f, AF_INET6, x->v6[i].addr);
  }
  fputs(" } drop\n", f);
  /* The neighbour advertisement's target sits 48 bytes into the IPv6
   * packet (40 of header, 8 of ICMPv6 header and flags). */
  fputs("    ether type ip6 icmpv6 type nd-neighbor-advert "
        "@nh,384,128 != { ",
        f);
  put_hex128(f, ll);
  for (size_t i = 0; i < x->n6; i++) {
    fputs(", ", f);
    put_hex128(f, x->v6[i].addr);
  }
  fputs(" } drop\n", f);
}

int nft_install_bridge_filter(const struct nft_filter *x, werr_t *err) {
  _cleanup_free_ char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (f == NULL)
    abort();
  put_fresh_table(f, "bridge", x->table);
  fprintf(f, "table bridge %s {\n  chain port {\n", x->table);
  if (x->mac_filtering) {
    fputs("    ether saddr != ", f);
    put_mac(f, x->mac);
    fputs(" drop\n", f);
  }
  if (x->ipv4_filtering || x->ipv6_filtering)
    /* Read with the VLAN tag the kernel may have taken off, so 802.1Q and
     * 802.1ad (Q-in-Q) frames are seen as what they are and dropped. */
    fputs("    ether type != { arp, ip, ip6 } drop\n", f);
  if (x->ipv4_filtering)
    put_ipv4_rules(f, x);
  if (x->ipv6_filtering)
    put_ipv6_rules(f, x);
  /* Prerouting sees every frame from the port, to be forwarded or to reach
   * the host. */
  fprintf(f,
          "  }\n  chain prerouting {\n"
          "    type filter hook prerouting priority -200; policy accept;\n"
          "    iifname \"%s\" jump port\n  }\n}\n",
          x->host_if);
  fclose(f);
  if (run(buf, false, err) < 0)
    return werr_prefix(err, "table bridge %s", x->table);
  return 0;
}

int nft_install_routed_filter(const char *table, const char *host_if,
                              werr_t *err) {
  _cleanup_free_ char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (f == NULL)
    abort();
  put_fresh_table(f, "inet", table);
  /* IPv6 has no rp_filter: a source whose route does not point back at the
   * container's port did not come from the container. */
  fprintf(f,
          "table inet %s {\n  chain prerouting {\n"
          "    type filter hook prerouting priority -300; policy accept;\n"
          "    iifname \"%s\" meta nfproto ipv6 fib saddr . iif oif missing "
          "drop\n  }\n}\n",
          table, host_if);
  fclose(f);
  if (run(buf, false, err) < 0)
    return werr_prefix(err, "table inet %s", table);
  return 0;
}

int nft_remove_tables(const char *table, werr_t *err) {
  _cleanup_free_ char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (f == NULL)
    abort();
  put_fresh_table(f, "bridge", table);
  put_fresh_table(f, "inet", table);
  put_fresh_table(f, "netdev", table);
  fclose(f);
  if (run(buf, false, err) < 0)
    return werr_prefix(err, "remove tables %s", table);
  return 0;
}

int nft_bridge_table_exists(const char *table, werr_t *err) {
  _cleanup_free_ char *cmd = xasprintf("list table bridge %s", table);
  werr_t ignored = NULL;
  int r = run(cmd, true, &ignored);
  werr_free(&ignored);
  (void)err;
  return r == 0 ? 1 : 0;
}
