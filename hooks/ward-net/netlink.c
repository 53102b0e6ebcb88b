/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rtnetlink through libmnl.  A socket answers for the network namespace it
 * was opened in, so the container's side gets its own socket, opened after
 * a setns() into it and before returning to ours. */
#include "ward-net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "xalloc.h"

struct nl {
  struct mnl_socket *sk;
  unsigned seq, portid;
};

struct nl *nl_open(int netns_fd, werr_t *err) {
  _cleanup_close_ int self = -1;
  if (netns_fd >= 0) {
    self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0)
      return werr_sys(err, "open /proc/self/ns/net"), NULL;
    if (setns(netns_fd, CLONE_NEWNET) < 0)
      return werr_sys(err, "setns into the container's network namespace"),
             NULL;
  }
  struct mnl_socket *sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  int saved = errno;
  if (self >= 0 && setns(self, CLONE_NEWNET) < 0) {
    /* Staying in the container's netns would put the host's objects there:
     * never go on. */
    werr_sys(err, "setns back into our network namespace");
    if (sk)
      mnl_socket_close(sk);
    return NULL;
  }
  errno = saved;
  if (sk == NULL)
    return werr_sys(err, "netlink socket"), NULL;
  if (mnl_socket_bind(sk, 0, MNL_SOCKET_AUTOPID) < 0) {
    werr_sys(err, "netlink bind");
    mnl_socket_close(sk);
    return NULL;
  }
  struct nl *nl = xcalloc(1, sizeof(*nl));
  nl->sk = sk;
  nl->seq = (unsigned)time(NULL);
  nl->portid = mnl_socket_get_portid(sk);
  return nl;
}

void nl_close(struct nl *nl) {
  if (nl) {
    mnl_socket_close(nl->sk);
    free(nl);
  }
}

/* Send NLH and read answers until the ack or the dump's end; CB sees each
 * data message.  Returns -1 with errno set from the kernel's answer. */
static int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
                   void *data) {
  nlh->nlmsg_seq = ++nl->seq;
  if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
    return -1;
  char buf[MNL_SOCKET_BUFFER_SIZE];
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl->sk, buf, sizeof(buf));
    if (n < 0)
      return -1;
    int r = mnl_cb_run(buf, (size_t)n, nl->seq, nl->portid, cb, data);
    if (r == MNL_CB_ERROR)
      return -1;
    if (r == MNL_CB_STOP)
      return 0;
  }
}

static struct nlmsghdr *req(char *buf, uint16_t type, uint16_t flags) {
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  return nlh;
}

struct link_info {
  unsigned index, master;
  char *kind;
};

static int link_attr_cb(const struct nlattr *a, void *data) {
  const struct nlattr **tb = data;
  int t = mnl_attr_get_type(a);
  if (t <= IFLA_MAX)
    tb[t] = a;
  return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data) {
  struct link_info *li = data;
  struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
  const struct nlattr *tb[IFLA_MAX + 1] = {0};
  mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, tb);
  li->index = (unsigned)ifi->ifi_index;
  if (tb[IFLA_MASTER])
    li->master = mnl_attr_get_u32(tb[IFLA_MASTER]);
  if (tb[IFLA_LINKINFO]) {
    const struct nlattr *a;
    mnl_attr_for_each_nested(a, tb[IFLA_LINKINFO]) {
      if (mnl_attr_get_type(a) == IFLA_INFO_KIND)
        snprintf(li->kind, 32, "%s", mnl_attr_get_str(a));
    }
  }
  return MNL_CB_OK;
}

int nl_link_get(struct nl *nl, const char *name, unsigned *index,
                char kind[32], unsigned *master, werr_t *err) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = req(buf, RTM_GETLINK, 0);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
  ifi->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  char k[32] = "";
  struct link_info li = {.kind = k};
  *index = 0;
  if (nl_talk(nl, nlh, link_cb, &li) < 0) {
    if (errno == ENODEV)
      return 0;
    return werr_sys(err, "link %s", name);
  }
  *index = li.index;
  if (kind)
    memcpy(kind, k, 32);
  if (master)
    *master = li.master;
  return 0;
}

int nl_veth_create(struct nl *nl, const char *host, const char *peer,
                   int peer_netns_fd, const uint8_t peer_mac[6], unsigned mtu,
                   werr_t *err) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = req(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
  ifi->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, host);
  if (mtu)
    mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
  struct nlattr *linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
  struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  struct nlattr *pinfo = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
  /* The peer is born in the container's namespace under its final name:
   * no window where it sits in ours, no rename to race. */
  struct ifinfomsg *pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
  pifi->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
  mnl_attr_put(nlh, IFLA_ADDRESS, 6, peer_mac);
  if (mtu)
    mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
  if (peer_netns_fd >= 0)
    mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
  mnl_attr_nest_end(nlh, pinfo);
  mnl_attr_nest_end(nlh, data);
  mnl_attr_nest_end(nlh, linkinfo);
  if (nl_talk(nl, nlh, NULL, NULL) < 0)
    return werr_sys(err, "create veth %s (peer %s)", host, peer);
  return 0;
}

int nl_link_set(struct nl *nl, unsigned index, unsigned master, bool up,
                werr_t *err) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = req(buf, RTM_NEWLINK, 0);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = (int)index;
  if (up) {
    ifi->ifi_change = IFF_UP;
    ifi->ifi_flags = IFF_UP;
  }
  if (master)
    mnl_attr_put_u32(nlh, IFLA_MASTER, master);
  if (nl_talk(nl, nlh, NULL, NULL) < 0)
    return werr_sys(err, "set link %u%s%s", index, master ? " master" : "",
                    up ? " up" : "");
  return 0;
}

int nl_link_del(struct nl *nl, const char *name, werr_t *err) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = req(buf, RTM_DELLINK, 0);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
  ifi->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  if (nl_talk(nl, nlh, NULL, NULL) < 0 && errno != ENODEV)
    return werr_sys(err, "delete link %s", name);
  return 0;
}

int nl_addr_add(struct nl *nl, unsigned index, const struct cidr *a,
                werr_t *err) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = req(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
  ifa->ifa_family = (uint8_t)a->family;
  ifa->ifa_prefixlen = (uint8_t)a->prefix;
  ifa->ifa_index = index;
  size_t len = a->family == AF_INET ? 4 : 16;
  mnl_attr_put(nlh, IFA_LOCAL, len, a->addr);
  mnl_attr_put(nlh, IFA_ADDRESS, len, a->addr);
  if (a->family == AF_INET6)
    /* The address is ours by configuration: DAD would only delay the
     * container's first packets by a second. */
    mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
  if (nl_talk(nl, nlh, NULL, NULL) < 0) {
    char s[INET6_ADDRSTRLEN];
    format_addr(a->family, a->addr, s, sizeof(s));
    return werr_sys(err, "add address %s/%u on link %u", s, a->prefix, index);
  }
  return 0;
}

int nl_route_add(struct nl *nl, int family, const uint8_t *dst,
                 unsigned dst_len, const uint8_t *gw, unsigned oif,
                 bool onlink, werr_t *err) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = req(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
  size_t len = family == AF_INET ? 4 : 16;
  rtm->rtm_family = (uint8_t)family;
  rtm->rtm_dst_len = dst ? (uint8_t)dst_len : 0;
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_STATIC;
  rtm->rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  rtm->rtm_type = RTN_UNICAST;
  if (onlink)
    rtm->rtm_flags |= RTNH_F_ONLINK;
  if (dst)
    mnl_attr_put(nlh, RTA_DST, len, dst);
  if (gw)
    mnl_attr_put(nlh, RTA_GATEWAY, len, gw);
  mnl_attr_put_u32(nlh, RTA_OIF, oif);
  if (nl_talk(nl, nlh, NULL, NULL) < 0) {
    char d[INET6_ADDRSTRLEN] = "default", g[INET6_ADDRSTRLEN] = "";
    if (dst)
      format_addr(family, dst, d, sizeof(d));
    if (gw)
      format_addr(family, gw, g, sizeof(g));
    return werr_sys(err, "add route %s%s%s on link %u", d, gw ? " via " : "",
                    g, oif);
  }
  return 0;
}

int nl_neigh_proxy(struct nl *nl, unsigned index, const struct cidr *a,
                   bool add, werr_t *err) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = req(buf, add ? RTM_NEWNEIGH : RTM_DELNEIGH,
                             add ? NLM_F_CREATE | NLM_F_EXCL : 0);
  struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
  ndm->ndm_family = (uint8_t)a->family;
  ndm->ndm_ifindex = (int)index;
  ndm->ndm_state = NUD_PERMANENT;
  ndm->ndm_flags = NTF_PROXY;
  mnl_attr_put(nlh, NDA_DST, a->family == AF_INET ? 4 : 16, a->addr);
  if (nl_talk(nl, nlh, NULL, NULL) < 0 && (add || errno != ENOENT)) {
    char s[INET6_ADDRSTRLEN];
    format_addr(a->family, a->addr, s, sizeof(s));
    return werr_sys(err, "%s proxy entry %s on link %u",
                    add ? "add" : "delete", s, index);
  }
  return 0;
}

struct addr_dump {
  unsigned index;
  int family;
  struct cidr *out;
  size_t max, n;
};

static int addr_attr_cb(const struct nlattr *a, void *data) {
  const struct nlattr **tb = data;
  int t = mnl_attr_get_type(a);
  if (t <= IFA_MAX)
    tb[t] = a;
  return MNL_CB_OK;
}

static int addr_cb(const struct nlmsghdr *nlh, void *data) {
  struct addr_dump *d = data;
  struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
  if (ifa->ifa_index != d->index || ifa->ifa_family != d->family ||
      d->n == d->max)
    return MNL_CB_OK;
  const struct nlattr *tb[IFA_MAX + 1] = {0};
  mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, tb);
  const struct nlattr *a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
  size_t len = d->family == AF_INET ? 4 : 16;
  if (a == NULL || mnl_attr_get_payload_len(a) != len)
    return MNL_CB_OK;
  struct cidr *c = &d->out[d->n++];
  memset(c, 0, sizeof(*c));
  c->family = d->family;
  c->prefix = ifa->ifa_prefixlen;
  memcpy(c->addr, mnl_attr_get_payload(a), len);
  return MNL_CB_OK;
}

int nl_addr_list(struct nl *nl, unsigned index, int family, struct cidr *out,
                 size_t max, size_t *n, werr_t *err) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_GETADDR;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
  ifa->ifa_family = (uint8_t)family;
  struct addr_dump d = {
      .index = index, .family = family, .out = out, .max = max};
  if (nl_talk(nl, nlh, addr_cb, &d) < 0)
    return werr_sys(err, "list addresses of link %u", index);
  *n = d.n;
  return 0;
}
