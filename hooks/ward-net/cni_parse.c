/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The CNI front door's reading of its input: the network configuration on
 * stdin and the prevResult inside it.  Nothing here touches the host, so
 * fuzz/fuzz_net_cni.c drives exactly what ward-net runs. */
#include "ward-net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

static const char *const versions[] = {"0.4.0", "1.0.0", NULL};

int cni_parse_conf(struct cni_req *q, const char *buf, int *code, werr_t *err) {
  *code = CNI_ERR_DECODE;
  if (json_parse_buf(buf, "network configuration", &q->conf, err) < 0 ||
      json_want_object(q->conf, "network configuration", err) < 0)
    return -1;
  *code = CNI_ERR_CONFIG;
  if (json_str(q->conf, "", "cniVersion", &q->version, err) < 0)
    return -1;
  if (q->version == NULL)
    return werr_code(err, EINVAL, "cniVersion: missing");
  bool known = false;
  for (const char *const *v = versions; *v; v++)
    known |= !strcmp(*v, q->version);
  if (!known) {
    *code = CNI_ERR_VERSION;
    return werr_code(err, EINVAL,
                     "cniVersion: %s is not supported (0.4.0, 1.0.0)",
                     q->version);
  }
  /* Filtering is why this plugin is in the chain: all on unless said. */
  q->filter[0] = q->filter[1] = q->filter[2] = true;
  if (json_bool(q->conf, "", "mac_filtering", &q->filter[0], err) < 0 ||
      json_bool(q->conf, "", "ipv4_filtering", &q->filter[1], err) < 0 ||
      json_bool(q->conf, "", "ipv6_filtering", &q->filter[2], err) < 0)
    return -1;
  q->prev = json_get(q->conf, "prevResult");
  if (q->prev && !YAJL_IS_OBJECT(q->prev))
    return werr_code(err, EINVAL, "prevResult: must be an object");
  return 0;
}

void cni_req_free(struct cni_req *q) {
  free(q->version);
  q->version = NULL;
  yajl_tree_free(q->conf);
  q->conf = q->prev = NULL;
}

/* The port: the interface of prevResult outside any sandbox that is a veth
 * (the bridge is listed there too). */
int cni_find_port(const struct cni_req *q,
                  bool (*is_veth)(const char *name, void *ctx), void *ctx,
                  char host_if[IFNAMSIZ], long *ctr_idx, uint8_t mac[6],
                  werr_t *err) {
  yajl_val ifs = json_get(q->prev, "interfaces");
  if (ifs == NULL || !YAJL_IS_ARRAY(ifs))
    return werr_code(err, EINVAL,
                     "prevResult.interfaces: missing (ward-net must follow a "
                     "plugin such as bridge in the chain)");
  host_if[0] = '\0';
  *ctr_idx = -1;
  for (size_t i = 0; i < ifs->u.array.len; i++) {
    yajl_val e = ifs->u.array.values[i];
    _cleanup_free_ char *path = json_path_idx("prevResult.interfaces", i);
    _cleanup_free_ char *name = NULL, *sandbox = NULL, *hw = NULL;
    if (json_want_object(e, path, err) < 0 ||
        json_str(e, path, "name", &name, err) < 0 ||
        json_str(e, path, "sandbox", &sandbox, err) < 0 ||
        json_str(e, path, "mac", &hw, err) < 0)
      return -1;
    if (name == NULL)
      continue;
    if (sandbox && *sandbox) {
      if (strcmp(name, q->ifname))
        continue;
      *ctr_idx = (long)i;
      if (hw == NULL || parse_mac(hw, mac) < 0)
        return werr_code(err, EINVAL, "%s.mac: not a unicast MAC address",
                         path);
      continue;
    }
    if (host_if[0] == '\0' && strlen(name) < IFNAMSIZ && is_veth(name, ctx))
      strcpy(host_if, name);
  }
  if (*ctr_idx < 0)
    return werr_code(err, EINVAL,
                     "prevResult.interfaces: no \"%s\" in a sandbox",
                     q->ifname);
  if (host_if[0] == '\0')
    return werr_code(err, EINVAL, "prevResult.interfaces: no host-side veth");
  return 0;
}

int cni_collect_ips(const struct cni_req *q, long ctr_idx,
                    struct nft_filter *f, struct cidr *v4, struct cidr *v6,
                    werr_t *err) {
  yajl_val ips = json_get(q->prev, "ips");
  if (ips && !YAJL_IS_ARRAY(ips))
    return werr_code(err, EINVAL, "prevResult.ips: must be an array");
  for (size_t i = 0; ips && i < ips->u.array.len; i++) {
    yajl_val e = ips->u.array.values[i];
    _cleanup_free_ char *path = json_path_idx("prevResult.ips", i);
    _cleanup_free_ char *addr = NULL;
    bool has_if = false;
    int64_t ifidx = -1;
    if (json_want_object(e, path, err) < 0 ||
        json_str(e, path, "address", &addr, err) < 0 ||
        json_i64_opt(e, path, "interface", &has_if, &ifidx, err) < 0)
      return -1;
    if (has_if && ifidx != ctr_idx)
      continue;
    struct cidr c;
    if (addr == NULL || parse_cidr(addr, true, &c) < 0)
      return werr_code(err, EINVAL, "%s.address: not an address in CIDR form",
                       path);
    size_t *n = c.family == AF_INET ? &f->n4 : &f->n6;
    struct cidr *out = c.family == AF_INET ? v4 : v6;
    if (*n == NET_MAX_ADDRS)
      return werr_code(err, EINVAL, "%s: more than %d addresses", path,
                       NET_MAX_ADDRS);
    out[(*n)++] = c;
  }
  return 0;
}
