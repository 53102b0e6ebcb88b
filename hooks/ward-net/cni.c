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
  return cni_parse_conf(q, buf, code, err);
}

struct link_probe {
  struct nl *nl;
  werr_t *err;
};

static bool link_is_veth(const char *name, void *ctx) {
  struct link_probe *p = ctx;
  char kind[32];
  unsigned idx;
  /* A name that is not (or no longer) a link is just not the port. */
  if (nl_link_get(p->nl, name, &idx, kind, NULL, p->err) < 0) {
    werr_free(p->err);
    return false;
  }
  return idx && !strcmp(kind, "veth");
}

static int find_port(const struct cni_req *q, char host_if[IFNAMSIZ],
                     long *ctr_idx, uint8_t mac[6], werr_t *err) {
  _cleanup_werr_ werr_t probe_err = NULL;
  struct link_probe p = {.nl = nl_open(-1, err), .err = &probe_err};
  if (p.nl == NULL)
    return -1;
  int r = cni_find_port(q, link_is_veth, &p, host_if, ctr_idx, mac, err);
  nl_close(p.nl);
  return r;
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
  if (cni_collect_ips(q, ctr_idx, &f, v4, v6, err) < 0)
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
  cni_req_free(&q);
  return rc;
}
