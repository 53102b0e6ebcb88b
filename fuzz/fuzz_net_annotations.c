/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ward-net's ward.net.* annotations (hooks/ward-net/config.c), checked
 * before the first netlink request.  Input: "KEY=VALUE" lines, then the
 * container id after a NUL.  Accepted or refused with one message; when
 * accepted, what the engine will trust holds: names fit IFNAMSIZ, counts
 * fit their arrays, prefixes fit their family. */
#include <assert.h>

#include "fuzz.h"
#include "json.h"
#include "ward-net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 16 * 1024)
    return -1;
  char *buf = fuzz_cstr(data, size);
  const uint8_t *nul = memchr(data, 0, size);
  const char *id = nul ? (const char *)buf + (nul - data) + 1 : "c1";
  if (id[0] == '\0')
    id = "c1";
  struct kvlist ann;
  memset(&ann, 0, sizeof(ann));
  for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    char *eq = strchr(line, '=');
    if (eq == NULL)
      continue;
    *eq = '\0';
    kvlist_set(&ann, line, eq + 1);
  }
  struct net_config c;
  memset(&c, 0, sizeof(c));
  werr_t err = NULL;
  if (net_config_from_annotations(&c, id, &ann, &err) == 0) {
    assert(strnlen(c.ifname, IFNAMSIZ) < IFNAMSIZ);
    assert(strnlen(c.bridge, IFNAMSIZ) < IFNAMSIZ);
    assert(strnlen(c.parent, IFNAMSIZ) < IFNAMSIZ);
    assert(strnlen(c.host_if, IFNAMSIZ) < IFNAMSIZ && c.host_if[0]);
    assert(strnlen(c.table, sizeof(c.table)) < sizeof(c.table));
    assert(c.n4 <= NET_MAX_ADDRS && c.n6 <= NET_MAX_ADDRS);
    for (size_t i = 0; i < c.n4; i++)
      assert(c.v4[i].family == AF_INET && c.v4[i].prefix <= 32);
    for (size_t i = 0; i < c.n6; i++)
      assert(c.v6[i].family == AF_INET6 && c.v6[i].prefix <= 128);
    assert(c.mtu == 0 || (c.mtu >= 1280 && c.mtu <= 65535));
  } else {
    assert(err && err->msg && err->msg[0]);
    werr_free(&err);
  }
  kvlist_free(&ann);
  free(buf);
  return 0;
}
