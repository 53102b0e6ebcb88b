/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Front door 3: a CNI 1.0.0 chained plugin, placed after a plugin that made
 * the veth and attached it to a bridge (Debian's `bridge`).  It takes the
 * host-side port, the container's MAC and addresses from prevResult, puts
 * the same filters as the OCI hook on that port and passes the result on. */
#include "ward-net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

/* The CNI spec's well-known error codes. */
enum {
  CNI_ERR_VERSION = 1,
  CNI_ERR_ENV = 4,
  CNI_ERR_DECODE = 6,
  CNI_ERR_CONFIG = 7,
  CNI_ERR_PLUGIN = 100,
};

static const char *const versions[] = {"0.4.0", "1.0.0", NULL};

static int fail(const char *version, int code, const struct ward_error *e) {
  _cleanup_free_ char *msg = werr_text(e);
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    abort();
  yajl_gen_map_open(g);
  json_gen_kv(g, "cniVersion", version ? version : "1.0.0");
  json_gen_str(g, "code");
  yajl_gen_integer(g, code);
  json_gen_kv(g, "msg", msg);
  yajl_gen_map_close(g);
  _cleanup_free_ char *out = json_gen_finish(g);
  printf("%s\n", out);
  fprintf(stderr, "ward-net: %s\n", msg);
  return 1;
}

/* yajl has no tree-to-text: write V back out as it came in. */
static void gen_tree(yajl_gen g, yajl_val v) {
  if (v == NULL || YAJL_IS_NULL(v))
    yajl_gen_null(g);
  else if (YAJL_IS_STRING(v))
    json_gen_str(g, YAJL_GET_STRING(v));
  else if (YAJL_IS_NUMBER(v))
    yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
  else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))
    yajl_gen_bool(g, YAJL_IS_TRUE(v));
  else if (YAJL_IS_ARRAY(v)) {
    yajl_gen_array_open(g);
    for (size_t i = 0; i < v->u.array.len; i++)
      gen_tree(g, v->u.array.values[i]);
    yajl_gen_array_close(g);
  } else {
    yajl_gen_map_open(g);
    for (size_t i = 0; i < v->u.object.len; i++) {
      json_gen_str(g, v->u.object.keys[i]);
      gen_tree(g, v->u.object.values[i]);
    }
    yajl_gen_map_close(g);
  }
}

/* prevResult, with the network's cniVersion (the spec wants the result in
 * the version the configuration asked for). */
static void print_result(yajl_val prev, const char *version) {
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL)
    abort();
  yajl_gen_map_open(g);
  json_gen_kv(g, "cniVersion", version);
  for (size_t i = 0; prev && i < prev->u.object.len; i++) {
    if (!strcmp(prev->u.object.keys[i], "cniVersion"))
      continue;
    json_gen_str(g, prev->u.object.keys[i]);
    gen_tree(g, prev->u.object.values[i]);
  }
  yajl_gen_map_close(g);
  _cleanup_free_ char *out = json_gen_finish(g);
  printf("%s\n", out);
}

struct cni_req {
  const char *command, *containerid, *ifname, *netns;
  char *version;
  yajl_val conf, prev;
  bool filter[3]; /* mac, ipv4, ipv6 */
  char table[128];
};

static int read_env(struct cni_req *q, werr_t *err) {
  q->containerid = getenv("CNI_CONTAINERID");
  q->ifname = getenv("CNI_IFNAME");
  q->netns = getenv("CNI_NETNS");
  if (q->containerid == NULL || !*q->containerid)
    return werr_code(err, EINVAL, "CNI_CONTAINERID: missing");
  if (q->ifname == NULL || !*q->ifname)
    return werr_code(err, EINVAL, "CNI_IFNAME: missing");
  if (strcmp(q->command, "DEL") && (q->netns == NULL || !*q->netns))
    return werr_code(err, EINVAL, "CNI_NETNS: missing");
  net_names_for(q->containerid, q->ifname, NULL, q->table, sizeof(q->table));
  return 0;
}

static int read_conf(struct cni_req *q, int *code, werr_t *err) {
  _cleanup_free_ char *buf = NULL;
  *code = CNI_ERR_DECODE;
  if (read_all_fd(0, &buf, NULL, err) < 0)
    return werr_prefix(err, "network configuration on stdin");
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
    return werr_code(err, EINVAL, "cniVersion: %s is not supported (0.4.0, 1.0.0)",
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

/* The port: the interface of prevResult outside any sandbox that is a veth
 * (the bridge is listed there too). */
static int find_port(const struct cni_req *q, char host_if[IFNAMSIZ],
                     long *ctr_idx, uint8_t mac[6], werr_t *err) {
  yajl_val ifs = json_get(q->prev, "interfaces");
  if (ifs == NULL || !YAJL_IS_ARRAY(ifs))
    return werr_code(err, EINVAL,
                "prevResult.interfaces: missing (ward-net must follow a "
                "plugin such as bridge in the chain)");
  struct nl *nl = nl_open(-1, err);
  if (nl == NULL)
    return -1;
  host_if[0] = '\0';
  *ctr_idx = -1;
  int r = 0;
  for (size_t i = 0; r == 0 && i < ifs->u.array.len; i++) {
    yajl_val e = ifs->u.array.values[i];
    _cleanup_free_ char *path = json_path_idx("prevResult.interfaces", i);
    _cleanup_free_ char *name = NULL, *sandbox = NULL, *hw = NULL;
    if (json_want_object(e, path, err) < 0 ||
        json_str(e, path, "name", &name, err) < 0 ||
        json_str(e, path, "sandbox", &sandbox, err) < 0 ||
        json_str(e, path, "mac", &hw, err) < 0) {
      r = -1;
      break;
    }
    if (name == NULL)
      continue;
    if (sandbox && *sandbox) {
      if (strcmp(name, q->ifname))
        continue;
      *ctr_idx = (long)i;
      if (hw == NULL || parse_mac(hw, mac) < 0)
        r = werr_code(err, EINVAL, "%s.mac: not a unicast MAC address", path);
      continue;
    }
    char kind[32];
    unsigned idx;
    if (host_if[0] == '\0' && strlen(name) < IFNAMSIZ &&
        nl_link_get(nl, name, &idx, kind, NULL, err) == 0 && idx &&
        !strcmp(kind, "veth"))
      strcpy(host_if, name);
  }
  nl_close(nl);
  if (r == 0 && *ctr_idx < 0)
    r = werr_code(err, EINVAL, "prevResult.interfaces: no \"%s\" in a sandbox",
             q->ifname);
  if (r == 0 && host_if[0] == '\0')
    r = werr_code(err, EINVAL, "prevResult.interfaces: no host-side veth");
  return r;
}

static int collect_ips(const struct cni_req *q, long ctr_idx,
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

static int cmd_add(struct cni_req *q, int *code, werr_t *err) {
  *code = CNI_ERR_CONFIG;
  if (q->prev == NULL)
    return werr_code(err, EINVAL,
                "prevResult: missing (ward-net is a chained plugin: put it "
                "after bridge in a conflist)");
  char host_if[IFNAMSIZ];
  long ctr_idx;
  uint8_t mac[6];
  struct cidr v4[NET_MAX_ADDRS], v6[NET_MAX_ADDRS];
  if (find_port(q, host_if, &ctr_idx, mac, err) < 0)
    return -1;
  struct nft_filter f = {.table = q->table, .host_if = host_if, .mac = mac,
                         .v4 = v4, .v6 = v6, .mac_filtering = q->filter[0],
                         .ipv4_filtering = q->filter[1],
                         .ipv6_filtering = q->filter[2]};
  if (collect_ips(q, ctr_idx, &f, v4, v6, err) < 0)
    return -1;
  if (f.ipv4_filtering || f.ipv6_filtering)
    f.mac_filtering = true;
  *code = CNI_ERR_PLUGIN;
  if ((f.mac_filtering || f.ipv4_filtering || f.ipv6_filtering) &&
      nft_install_bridge_filter(&f, err) < 0)
    return -1;
  print_result(q->prev, q->version);
  return 0;
}

static int cmd_check(struct cni_req *q, int *code, werr_t *err) {
  *code = CNI_ERR_CONFIG;
  if (q->prev == NULL)
    return werr_code(err, EINVAL, "prevResult: missing");
  char host_if[IFNAMSIZ];
  long ctr_idx;
  uint8_t mac[6];
  if (find_port(q, host_if, &ctr_idx, mac, err) < 0)
    return -1;
  *code = CNI_ERR_PLUGIN;
  if ((q->filter[0] || q->filter[1] || q->filter[2]) &&
      nft_bridge_table_exists(q->table, err) != 1)
    return werr_code(err, ENOENT, "table bridge %s: missing", q->table);
  return 0;
}

int cni_main(const char *command) {
  _cleanup_werr_ werr_t err = NULL;
  struct cni_req q = {.command = command};
  int code = CNI_ERR_ENV, r;
  if (!strcmp(command, "VERSION")) {
    printf("{\"cniVersion\":\"1.0.0\",\"supportedVersions\":"
           "[\"0.4.0\",\"1.0.0\"]}\n");
    return 0;
  }
  if (strcmp(command, "ADD") && strcmp(command, "DEL") &&
      strcmp(command, "CHECK"))
    r = werr_code(&err, EINVAL, "CNI_COMMAND: unknown command \"%s\"", command);
  else if ((r = read_env(&q, &err)) == 0 &&
           (r = read_conf(&q, &code, &err)) == 0) {
    if (!strcmp(command, "ADD"))
      r = cmd_add(&q, &code, &err);
    else if (!strcmp(command, "CHECK"))
      r = cmd_check(&q, &code, &err);
    else {
      /* DEL must succeed when there is nothing (left) to remove. */
      code = CNI_ERR_PLUGIN;
      r = nft_remove_tables(q.table, &err);
    }
  }
  int rc = r < 0 ? fail(q.version, code, err) : 0;
  free(q.version);
  yajl_tree_free(q.conf);
  return rc;
}
