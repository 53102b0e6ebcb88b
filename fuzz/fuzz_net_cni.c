/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ward-net as a CNI plugin (hooks/ward-net/cni_parse.c): the network
 * configuration on stdin with its prevResult, read as ADD reads it up to the
 * first netlink or nftables call.  Names starting with "veth" stand in for
 * host links of that kind.  When accepted, what the rules are built from
 * holds: a known cniVersion, a port name that fits IFNAMSIZ, the container's
 * interface inside the list, address counts within their arrays and
 * prefixes within their family. */
#include <assert.h>

#include "fuzz.h"
#include "ward-net.h"

static bool fake_veth(const char *name, void *ctx) {
  (void)ctx;
  return !strncmp(name, "veth", 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > FUZZ_MAX_INPUT)
    return -1;
  char *buf = fuzz_cstr(data, size);
  struct cni_req q = {.command = "ADD", .containerid = "c1", .ifname = "eth0"};
  werr_t err = NULL;
  int code = 0;
  if (cni_parse_conf(&q, buf, &code, &err) < 0) {
    assert(err && err->msg && err->msg[0]);
    assert(code == CNI_ERR_DECODE || code == CNI_ERR_CONFIG ||
           code == CNI_ERR_VERSION);
    werr_free(&err);
  } else if (q.prev) {
    assert(!strcmp(q.version, "0.4.0") || !strcmp(q.version, "1.0.0"));
    char host_if[IFNAMSIZ];
    long ctr_idx;
    uint8_t mac[6];
    struct cidr v4[NET_MAX_ADDRS], v6[NET_MAX_ADDRS];
    struct nft_filter f = {.v4 = v4, .v6 = v6};
    if (cni_find_port(&q, fake_veth, NULL, host_if, &ctr_idx, mac, &err) < 0 ||
        cni_collect_ips(&q, ctr_idx, &f, v4, v6, &err) < 0) {
      assert(err && err->msg && err->msg[0]);
      werr_free(&err);
    } else {
      assert(strnlen(host_if, IFNAMSIZ) < IFNAMSIZ && host_if[0]);
      yajl_val ifs = json_get(q.prev, "interfaces");
      assert(ctr_idx >= 0 && (size_t)ctr_idx < ifs->u.array.len);
      assert((mac[0] & 1) == 0);
      assert(f.n4 <= NET_MAX_ADDRS && f.n6 <= NET_MAX_ADDRS);
      for (size_t i = 0; i < f.n4; i++)
        assert(v4[i].family == AF_INET && v4[i].prefix <= 32);
      for (size_t i = 0; i < f.n6; i++)
        assert(v6[i].family == AF_INET6 && v6[i].prefix <= 128);
    }
  }
  cni_req_free(&q);
  free(buf);
  return 0;
}
